//! sprig's template functions as Helm registers them (strings, lists, dicts, math,
//! encodings, regular expressions, semver, type tests). Functions whose output is not
//! reproducible (`randAlphaNum`, `uuidv4`, `now`, ...) live in `nondeterministic.rs`.

use super::gotmpl::funcs::{arity, at_least, fail, FuncError, Funcs};
use super::gotmpl::value::{bytes_of, give_up};
use super::gotmpl::{Value, MAX_VALUE_DEPTH};
use base64::Engine as _;
use sha2::Digest;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::rc::Rc;

type R = Result<Value, FuncError>;

/// sprig's `toString`: strings as they are, nil as "<nil>"... as `fmt.Sprint` prints.
pub fn to_string(v: &Value) -> String {
    match v {
        Value::Nil => "<nil>".into(),
        other => other.to_go_string(),
    }
}

/// `cast.ToInt64`-like conversion sprig uses for numbers (strings parse, bools 0/1).
pub fn to_i64(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Float(f) => *f as i64,
        Value::Bool(b) => i64::from(*b),
        Value::String(s) => {
            let t = s.trim();
            t.parse::<i64>()
                .ok()
                .or_else(|| t.parse::<f64>().ok().map(|f| f as i64))
                .unwrap_or(0)
        }
        _ => 0,
    }
}

/// `cast.ToFloat64`.
pub fn to_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => s.trim().parse::<f64>().unwrap_or(0.0),
        _ => 0.0,
    }
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Nil => String::new(),
        other => other.to_go_string(),
    }
}

fn list_of(v: &Value) -> Result<Vec<Value>, FuncError> {
    match v {
        Value::List(l) => Ok(l.to_vec()),
        Value::Nil => Ok(Vec::new()),
        other => fail(format!("Cannot find first on type {}", other.type_name())),
    }
}

/// Reads a dict in place (anything else reads as empty): `hasKey .Values "x"` runs for
/// most lines of a chart and must not copy `.Values` to look up one key.
fn with_dict<T>(v: &Value, read: impl FnOnce(&BTreeMap<String, Value>) -> T) -> T {
    match v {
        Value::Map(m) => read(&m.borrow()),
        _ => read(&BTreeMap::new()),
    }
}

/// sprig's `empty`: the zero value of its type.
pub fn empty(v: &Value) -> bool {
    !v.truthy()
}

/// Registers sprig's functions (the deterministic ones) into `f`.
pub fn register(f: &mut Funcs) {
    // --- strings
    f.insert("trim", |_, a| {
        arity("trim", a, 1)?;
        Ok(Value::str(s(&a[0]).trim()))
    });
    f.insert("trimAll", |_, a| {
        arity("trimAll", a, 2)?;
        let cut: Vec<char> = s(&a[0]).chars().collect();
        Ok(Value::str(s(&a[1]).trim_matches(|c| cut.contains(&c))))
    });
    f.insert("trimPrefix", |_, a| {
        arity("trimPrefix", a, 2)?;
        let (p, x) = (s(&a[0]), s(&a[1]));
        Ok(Value::str(x.strip_prefix(&p).unwrap_or(&x)))
    });
    f.insert("trimSuffix", |_, a| {
        arity("trimSuffix", a, 2)?;
        let (p, x) = (s(&a[0]), s(&a[1]));
        Ok(Value::str(x.strip_suffix(&p).unwrap_or(&x)))
    });
    f.insert("upper", |_, a| {
        arity("upper", a, 1)?;
        Ok(Value::str(s(&a[0]).to_uppercase()))
    });
    f.insert("lower", |_, a| {
        arity("lower", a, 1)?;
        Ok(Value::str(s(&a[0]).to_lowercase()))
    });
    f.insert("title", |_, a| {
        arity("title", a, 1)?;
        let mut out = String::new();
        let mut prev_letter = false;
        for c in s(&a[0]).chars() {
            if !prev_letter {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
            prev_letter = c.is_alphanumeric() || c == '_' || c == '\'';
        }
        Ok(Value::str(out))
    });
    f.insert("untitle", |_, a| {
        arity("untitle", a, 1)?;
        let mut out = String::new();
        let mut at_start = true;
        for c in s(&a[0]).chars() {
            if at_start && !c.is_whitespace() {
                out.extend(c.to_lowercase());
            } else {
                out.push(c);
            }
            at_start = c.is_whitespace();
        }
        Ok(Value::str(out))
    });
    f.insert("repeat", |_, a| {
        arity("repeat", a, 2)?;
        let n = to_i64(&a[0]).max(0) as usize;
        Ok(Value::str(s(&a[1]).repeat(n)))
    });
    f.insert("substr", |_, a| {
        arity("substr", a, 3)?;
        let text = s(&a[2]);
        let (start, end) = (to_i64(&a[0]), to_i64(&a[1]));
        let b = text.as_bytes();
        let out = if start < 0 {
            &b[..(end.max(0) as usize).min(b.len())]
        } else if end < 0 || end as usize > b.len() {
            &b[(start as usize).min(b.len())..]
        } else {
            &b[(start as usize).min(end as usize)..end as usize]
        };
        Ok(Value::str(String::from_utf8_lossy(out)))
    });
    f.insert("nospace", |_, a| {
        arity("nospace", a, 1)?;
        Ok(Value::str(s(&a[0]).split_whitespace().collect::<String>()))
    });
    f.insert("trunc", |_, a| {
        arity("trunc", a, 2)?;
        let n = to_i64(&a[0]);
        let text = s(&a[1]);
        let len = text.len() as i64;
        Ok(Value::str(if n < 0 && -n < len {
            &text[(len + n) as usize..]
        } else if n >= 0 && len > n {
            &text[..n as usize]
        } else {
            &text[..]
        }))
    });
    f.insert("abbrev", |_, a| {
        arity("abbrev", a, 2)?;
        let n = to_i64(&a[0]);
        let text = s(&a[1]);
        if n < 4 {
            return Ok(Value::str(text));
        }
        Ok(Value::str(abbreviate_full(&text, 0, n)))
    });
    f.insert("abbrevboth", |_, a| {
        arity("abbrevboth", a, 3)?;
        let (left, right, text) = (to_i64(&a[0]), to_i64(&a[1]), s(&a[2]));
        if right < 4 || left > 0 && right < 7 {
            return Ok(Value::str(text));
        }
        Ok(Value::str(abbreviate_full(&text, left, right)))
    });
    f.insert("initials", |_, a| {
        arity("initials", a, 1)?;
        Ok(Value::str(
            s(&a[0])
                .split_whitespace()
                .filter_map(|w| w.chars().next())
                .collect::<String>(),
        ))
    });
    f.insert("contains", |_, a| {
        arity("contains", a, 2)?;
        Ok(Value::Bool(s(&a[1]).contains(&s(&a[0]))))
    });
    f.insert("hasPrefix", |_, a| {
        arity("hasPrefix", a, 2)?;
        Ok(Value::Bool(s(&a[1]).starts_with(&s(&a[0]))))
    });
    f.insert("hasSuffix", |_, a| {
        arity("hasSuffix", a, 2)?;
        Ok(Value::Bool(s(&a[1]).ends_with(&s(&a[0]))))
    });
    f.insert("quote", |_, a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| super::gotmpl::funcs::go_quote(&to_string(v)))
            .collect();
        Ok(Value::str(parts.join(" ")))
    });
    f.insert("squote", |_, a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| format!("'{}'", to_string(v)))
            .collect();
        Ok(Value::str(parts.join(" ")))
    });
    f.insert("cat", |_, a| {
        let parts: Vec<String> = a.iter().filter(|v| !v.is_nil()).map(to_string).collect();
        Ok(Value::str(parts.join(" ")))
    });
    f.insert("indent", |_, a| {
        arity("indent", a, 2)?;
        Ok(Value::str(indent(to_i64(&a[0]), &s(&a[1]))))
    });
    f.insert("nindent", |_, a| {
        arity("nindent", a, 2)?;
        Ok(Value::str(format!(
            "\n{}",
            indent(to_i64(&a[0]), &s(&a[1]))
        )))
    });
    f.insert("replace", |_, a| {
        arity("replace", a, 3)?;
        Ok(Value::str(s(&a[2]).replace(&s(&a[0]), &s(&a[1]))))
    });
    f.insert("plural", |_, a| {
        arity("plural", a, 3)?;
        Ok(if to_i64(&a[2]) == 1 {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    f.insert("snakecase", |_, a| {
        arity("snakecase", a, 1)?;
        Ok(Value::str(snake(&s(&a[0]))))
    });
    f.insert("kebabcase", |_, a| {
        arity("kebabcase", a, 1)?;
        Ok(Value::str(snake(&s(&a[0])).replace('_', "-")))
    });
    f.insert("camelcase", |_, a| {
        arity("camelcase", a, 1)?;
        let mut out = String::new();
        for part in s(&a[0]).split(['_', ' ', '-']).filter(|p| !p.is_empty()) {
            let mut cs = part.chars();
            if let Some(c) = cs.next() {
                out.extend(c.to_uppercase());
                out.push_str(cs.as_str());
            }
        }
        Ok(Value::str(out))
    });
    f.insert("swapcase", |_, a| {
        arity("swapcase", a, 1)?;
        Ok(Value::str(
            s(&a[0])
                .chars()
                .map(|c| {
                    if c.is_uppercase() {
                        c.to_lowercase().collect::<String>()
                    } else {
                        c.to_uppercase().collect::<String>()
                    }
                })
                .collect::<String>(),
        ))
    });
    f.insert("wrap", |_, a| {
        arity("wrap", a, 2)?;
        Ok(Value::str(wrap(&s(&a[1]), to_i64(&a[0]) as usize, "\n")))
    });
    f.insert("wrapWith", |_, a| {
        arity("wrapWith", a, 3)?;
        Ok(Value::str(wrap(
            &s(&a[2]),
            to_i64(&a[0]) as usize,
            &s(&a[1]),
        )))
    });
    f.insert("toString", |_, a| {
        arity("toString", a, 1)?;
        Ok(Value::str(to_string(&a[0])))
    });
    f.insert("toStrings", |_, a| {
        arity("toStrings", a, 1)?;
        Ok(Value::list(
            list_of(&a[0])?
                .iter()
                .map(|v| Value::str(to_string(v)))
                .collect(),
        ))
    });
    f.insert("atoi", |_, a| {
        arity("atoi", a, 1)?;
        Ok(Value::Int(s(&a[0]).trim().parse().unwrap_or(0)))
    });
    f.insert("int", |_, a| {
        arity("int", a, 1)?;
        Ok(Value::Int(to_i64(&a[0])))
    });
    f.insert("int64", |_, a| {
        arity("int64", a, 1)?;
        Ok(Value::Int(to_i64(&a[0])))
    });
    f.insert("float64", |_, a| {
        arity("float64", a, 1)?;
        Ok(Value::Float(to_f64(&a[0])))
    });
    f.insert("split", |_, a| {
        arity("split", a, 2)?;
        let mut m = BTreeMap::new();
        for (i, p) in s(&a[1]).split(&s(&a[0])).enumerate() {
            m.insert(format!("_{i}"), Value::str(p));
        }
        Ok(Value::map(m))
    });
    f.insert("splitList", |_, a| {
        arity("splitList", a, 2)?;
        let (sep, text) = (s(&a[0]), s(&a[1]));
        Ok(Value::list(
            split_go(&text, &sep).into_iter().map(Value::str).collect(),
        ))
    });
    f.insert("splitn", |_, a| {
        arity("splitn", a, 3)?;
        let mut m = BTreeMap::new();
        let n = to_i64(&a[1]).max(0) as usize;
        for (i, p) in s(&a[2]).splitn(n, &s(&a[0])).enumerate() {
            m.insert(format!("_{i}"), Value::str(p));
        }
        Ok(Value::map(m))
    });
    f.insert("join", |_, a| {
        arity("join", a, 2)?;
        let items: Vec<String> = match &a[1] {
            Value::List(l) => l.iter().map(to_string).collect(),
            Value::Nil => Vec::new(),
            other => vec![to_string(other)],
        };
        Ok(Value::str(items.join(&s(&a[0]))))
    });
    f.insert("sortAlpha", |_, a| {
        arity("sortAlpha", a, 1)?;
        let mut items: Vec<String> = list_of(&a[0])?.iter().map(to_string).collect();
        items.sort();
        Ok(Value::list(items.into_iter().map(Value::str).collect()))
    });
    // --- defaults and logic
    f.insert("default", |_, a| {
        at_least("default", a, 1)?;
        if a.len() == 1 {
            return Ok(a[0].clone());
        }
        Ok(if empty(&a[1]) {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    f.insert("empty", |_, a| {
        arity("empty", a, 1)?;
        Ok(Value::Bool(empty(&a[0])))
    });
    f.insert("coalesce", |_, a| {
        Ok(a.iter().find(|v| !empty(v)).cloned().unwrap_or(Value::Nil))
    });
    f.insert("all", |_, a| Ok(Value::Bool(a.iter().all(|v| !empty(v)))));
    f.insert("any", |_, a| Ok(Value::Bool(a.iter().any(|v| !empty(v)))));
    f.insert("ternary", |_, a| {
        arity("ternary", a, 3)?;
        Ok(if a[2].truthy() {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    f.insert("fail", |_, a| {
        arity("fail", a, 1)?;
        fail(s(&a[0]))
    });
    // --- encodings and hashes
    f.insert("b64enc", |_, a| {
        arity("b64enc", a, 1)?;
        Ok(Value::str(
            base64::engine::general_purpose::STANDARD.encode(bytes_of(&a[0])),
        ))
    });
    f.insert("b64dec", |_, a| {
        arity("b64dec", a, 1)?;
        Ok(Value::str(
            match base64::engine::general_purpose::STANDARD.decode(s(&a[0])) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(e) => e.to_string(),
            },
        ))
    });
    f.insert("b32enc", |_, a| {
        arity("b32enc", a, 1)?;
        Ok(Value::str(base32_encode(&bytes_of(&a[0]))))
    });
    f.insert("b32dec", |_, a| {
        arity("b32dec", a, 1)?;
        Ok(Value::str(match base32_decode(&s(&a[0])) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => e,
        }))
    });
    // --- URLs (Go's net/url)
    f.insert("urlParse", |_, a| {
        arity("urlParse", a, 1)?;
        let url =
            super::url::parse(&s(&a[0])).or_else(|e| fail(format!("unable to parse url: {e}")))?;
        let part = |k: &str, v: &str| (k.to_string(), Value::str(v));
        Ok(Value::map(BTreeMap::from([
            part("scheme", &url.scheme),
            part("host", &url.host),
            part("hostname", url.hostname()),
            part("path", &url.path),
            part("query", &url.raw_query),
            part("opaque", &url.opaque),
            part("fragment", &url.fragment),
            part(
                "userinfo",
                &url.user
                    .as_ref()
                    .map(|u| u.to_go_string())
                    .unwrap_or_default(),
            ),
        ])))
    });
    f.insert("urlJoin", |_, a| {
        arity("urlJoin", a, 1)?;
        // sprig's `dictGetOrEmpty`: a missing key is empty, anything but a string panics.
        let part = |key: &str| -> Result<String, FuncError> {
            with_dict(&a[0], |d| match d.get(key) {
                None => Ok(String::new()),
                Some(Value::String(v)) => Ok(v.to_string()),
                Some(Value::Nil) => {
                    fail("runtime error: invalid memory address or nil pointer dereference")
                }
                Some(other) => fail(format!(
                    "unable to parse {key} key, must be of type string, but {} found",
                    kind_of(other)
                )),
            })
        };
        let joined = super::url::join(
            &part("scheme")?,
            &part("userinfo")?,
            &part("host")?,
            &part("path")?,
            &part("query")?,
            &part("opaque")?,
            &part("fragment")?,
        )
        .or_else(|e| fail(format!("unable to parse userinfo in dict: {e}")))?;
        Ok(Value::str(joined))
    });
    f.insert("sha256sum", |_, a| {
        arity("sha256sum", a, 1)?;
        Ok(Value::str(hex(&sha2::Sha256::digest(bytes_of(&a[0])))))
    });
    f.insert("adler32sum", |_, a| {
        arity("adler32sum", a, 1)?;
        let (mut x, mut y) = (1u32, 0u32);
        for &b in bytes_of(&a[0]).iter() {
            x = (x + u32::from(b)) % 65521;
            y = (y + x) % 65521;
        }
        Ok(Value::str(((y << 16) | x).to_string()))
    });
    // --- lists
    f.insert("list", |_, a| Ok(Value::list(a.to_vec())));
    f.insert("tuple", |_, a| Ok(Value::list(a.to_vec())));
    f.insert("first", |_, a| {
        arity("first", a, 1)?;
        Ok(list_of(&a[0])?.first().cloned().unwrap_or(Value::Nil))
    });
    f.insert("last", |_, a| {
        arity("last", a, 1)?;
        Ok(list_of(&a[0])?.last().cloned().unwrap_or(Value::Nil))
    });
    f.insert("rest", |_, a| {
        arity("rest", a, 1)?;
        let l = list_of(&a[0])?;
        Ok(if l.is_empty() {
            Value::Nil
        } else {
            Value::list(l[1..].to_vec())
        })
    });
    f.insert("initial", |_, a| {
        arity("initial", a, 1)?;
        let l = list_of(&a[0])?;
        Ok(if l.is_empty() {
            Value::Nil
        } else {
            Value::list(l[..l.len() - 1].to_vec())
        })
    });
    f.insert("append", append);
    f.insert("push", append);
    f.insert("prepend", |_, a| {
        arity("prepend", a, 2)?;
        let mut l = list_of(&a[0])?;
        l.insert(0, a[1].clone());
        Ok(Value::list(l))
    });
    f.insert("concat", |_, a| {
        let mut out = Vec::new();
        for l in a {
            out.extend(list_of(l)?);
        }
        Ok(Value::list(out))
    });
    f.insert("reverse", |_, a| {
        arity("reverse", a, 1)?;
        let mut l = list_of(&a[0])?;
        l.reverse();
        Ok(Value::list(l))
    });
    f.insert("uniq", |_, a| {
        arity("uniq", a, 1)?;
        let mut out: Vec<Value> = Vec::new();
        for v in list_of(&a[0])? {
            if !out.iter().any(|o| deep_equal(o, &v)) {
                out.push(v);
            }
        }
        Ok(Value::list(out))
    });
    f.insert("compact", |_, a| {
        arity("compact", a, 1)?;
        Ok(Value::list(
            list_of(&a[0])?.into_iter().filter(|v| !empty(v)).collect(),
        ))
    });
    f.insert("without", |_, a| {
        at_least("without", a, 1)?;
        let drop = &a[1..];
        Ok(Value::list(
            list_of(&a[0])?
                .into_iter()
                .filter(|v| !drop.iter().any(|d| deep_equal(d, v)))
                .collect(),
        ))
    });
    f.insert("has", |_, a| {
        arity("has", a, 2)?;
        Ok(Value::Bool(
            list_of(&a[1])?.iter().any(|v| deep_equal(v, &a[0])),
        ))
    });
    f.insert("until", |_, a| {
        arity("until", a, 1)?;
        let n = to_i64(&a[0]);
        let step = if n < 0 { -1 } else { 1 };
        Ok(until_step(0, n, step))
    });
    f.insert("untilStep", |_, a| {
        arity("untilStep", a, 3)?;
        Ok(until_step(to_i64(&a[0]), to_i64(&a[1]), to_i64(&a[2])))
    });
    f.insert("seq", |_, a| {
        let n: Vec<i64> = a.iter().map(to_i64).collect();
        let (start, step, end) = match n.len() {
            1 => (1, 1, n[0]),
            2 => (n[0], if n[1] >= n[0] { 1 } else { -1 }, n[1]),
            3 => (n[0], n[1], n[2]),
            _ => return Ok(Value::str("")),
        };
        let mut out = Vec::new();
        let mut i = start;
        while step != 0 && ((step > 0 && i <= end) || (step < 0 && i >= end)) {
            out.push(i.to_string());
            i += step;
        }
        Ok(Value::str(out.join(" ")))
    });
    // --- dicts
    f.insert("dict", |_, a| {
        let mut m = BTreeMap::new();
        for pair in a.chunks(2) {
            let v = pair.get(1).cloned().unwrap_or_default();
            m.insert(to_string(&pair[0]), v);
        }
        Ok(Value::map(m))
    });
    f.insert("get", |_, a| {
        arity("get", a, 2)?;
        let key = s(&a[1]);
        Ok(with_dict(&a[0], |d| d.get(&key).cloned()).unwrap_or(Value::str("")))
    });
    f.insert("hasKey", |_, a| {
        arity("hasKey", a, 2)?;
        let key = s(&a[1]);
        Ok(Value::Bool(with_dict(&a[0], |d| d.contains_key(&key))))
    });
    f.insert("keys", |_, a| {
        let mut out = Vec::new();
        for d in a {
            with_dict(d, |d| out.extend(d.keys().map(Value::str)));
        }
        Ok(Value::list(out))
    });
    f.insert("values", |_, a| {
        arity("values", a, 1)?;
        Ok(Value::list(with_dict(&a[0], |d| {
            d.values().cloned().collect()
        })))
    });
    f.insert("pluck", |_, a| {
        at_least("pluck", a, 1)?;
        let key = s(&a[0]);
        Ok(Value::list(
            a[1..]
                .iter()
                .filter_map(|d| with_dict(d, |d| d.get(&key).cloned()))
                .collect(),
        ))
    });
    f.insert("pick", |_, a| {
        at_least("pick", a, 1)?;
        let keep: Vec<String> = a[1..].iter().map(s).collect();
        Ok(Value::map(with_dict(&a[0], |d| {
            d.iter()
                .filter(|(k, _)| keep.contains(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })))
    });
    f.insert("omit", |_, a| {
        at_least("omit", a, 1)?;
        let drop: Vec<String> = a[1..].iter().map(s).collect();
        Ok(Value::map(with_dict(&a[0], |d| {
            d.iter()
                .filter(|(k, _)| !drop.contains(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })))
    });
    f.insert("dig", |_, a| {
        at_least("dig", a, 3)?;
        let n = a.len();
        let default = a[n - 2].clone();
        let mut cur = a[n - 1].clone();
        for k in &a[..n - 2] {
            match cur {
                Value::Map(ref m) => {
                    let next = m.borrow().get(&s(k)).cloned();
                    match next {
                        Some(v) => cur = v,
                        None => return Ok(default),
                    }
                }
                _ => return Ok(default),
            }
        }
        Ok(cur)
    });
    f.insert("merge", |exec, a| merge(exec, a, false));
    f.insert("mergeOverwrite", |exec, a| merge(exec, a, true));
    f.insert("deepCopy", |_, a| {
        arity("deepCopy", a, 1)?;
        Ok(a[0].deep_copy())
    });
    // --- math (sprig converts to int64 and returns int64)
    f.insert("add", |_, a| Ok(Value::Int(a.iter().map(to_i64).sum())));
    f.insert("add1", |_, a| {
        arity("add1", a, 1)?;
        Ok(Value::Int(to_i64(&a[0]) + 1))
    });
    f.insert("sub", |_, a| {
        arity("sub", a, 2)?;
        Ok(Value::Int(to_i64(&a[0]) - to_i64(&a[1])))
    });
    f.insert("mul", |_, a| Ok(Value::Int(a.iter().map(to_i64).product())));
    f.insert("div", |_, a| {
        arity("div", a, 2)?;
        let d = to_i64(&a[1]);
        if d == 0 {
            return fail("runtime error: integer divide by zero");
        }
        Ok(Value::Int(to_i64(&a[0]) / d))
    });
    f.insert("mod", |_, a| {
        arity("mod", a, 2)?;
        let d = to_i64(&a[1]);
        if d == 0 {
            return fail("runtime error: integer divide by zero");
        }
        Ok(Value::Int(to_i64(&a[0]) % d))
    });
    f.insert("max", |_, a| {
        Ok(Value::Int(a.iter().map(to_i64).max().unwrap_or(0)))
    });
    f.insert("min", |_, a| {
        Ok(Value::Int(a.iter().map(to_i64).min().unwrap_or(0)))
    });
    f.insert("addf", |_, a| Ok(Value::Float(a.iter().map(to_f64).sum())));
    f.insert("subf", |_, a| {
        at_least("subf", a, 1)?;
        Ok(Value::Float(
            a[1..].iter().fold(to_f64(&a[0]), |x, y| x - to_f64(y)),
        ))
    });
    f.insert("mulf", |_, a| {
        Ok(Value::Float(a.iter().map(to_f64).product()))
    });
    f.insert("divf", |_, a| {
        at_least("divf", a, 1)?;
        Ok(Value::Float(
            a[1..].iter().fold(to_f64(&a[0]), |x, y| x / to_f64(y)),
        ))
    });
    f.insert("floor", |_, a| {
        arity("floor", a, 1)?;
        Ok(Value::Float(to_f64(&a[0]).floor()))
    });
    f.insert("ceil", |_, a| {
        arity("ceil", a, 1)?;
        Ok(Value::Float(to_f64(&a[0]).ceil()))
    });
    f.insert("round", |_, a| {
        at_least("round", a, 2)?;
        let p = 10f64.powi(to_i64(&a[1]) as i32);
        Ok(Value::Float((to_f64(&a[0]) * p).round() / p))
    });
    // --- regular expressions
    f.insert("regexMatch", |_, a| {
        arity("regexMatch", a, 2)?;
        Ok(Value::Bool(re(&a[0])?.is_match(&s(&a[1]))))
    });
    f.insert("regexFind", |_, a| {
        arity("regexFind", a, 2)?;
        Ok(Value::str(
            re(&a[0])?.find(&s(&a[1])).map(|m| m.as_str()).unwrap_or(""),
        ))
    });
    f.insert("regexFindAll", |_, a| {
        arity("regexFindAll", a, 3)?;
        let text = s(&a[1]);
        let n = to_i64(&a[2]);
        let all: Vec<Value> = re(&a[0])?
            .find_iter(&text)
            .take(if n < 0 { usize::MAX } else { n as usize })
            .map(|m| Value::str(m.as_str()))
            .collect();
        Ok(Value::list(all))
    });
    f.insert("regexReplaceAll", |_, a| {
        arity("regexReplaceAll", a, 3)?;
        let repl = go_expand_template(&s(&a[2]));
        Ok(Value::str(re(&a[0])?.replace_all(&s(&a[1]), repl.as_str())))
    });
    f.insert("regexReplaceAllLiteral", |_, a| {
        arity("regexReplaceAllLiteral", a, 3)?;
        Ok(Value::str(
            re(&a[0])?.replace_all(&s(&a[1]), regex::NoExpand(&s(&a[2]))),
        ))
    });
    f.insert("regexSplit", |_, a| {
        arity("regexSplit", a, 3)?;
        let text = s(&a[1]);
        let n = to_i64(&a[2]);
        let r = re(&a[0])?;
        let parts: Vec<Value> = if n < 0 {
            r.split(&text).map(Value::str).collect()
        } else {
            r.splitn(&text, n as usize).map(Value::str).collect()
        };
        Ok(Value::list(parts))
    });
    // --- types
    f.insert("typeOf", |_, a| {
        arity("typeOf", a, 1)?;
        Ok(Value::str(a[0].type_name()))
    });
    f.insert("kindOf", |_, a| {
        arity("kindOf", a, 1)?;
        Ok(Value::str(kind_of(&a[0])))
    });
    f.insert("typeIs", |_, a| {
        arity("typeIs", a, 2)?;
        Ok(Value::Bool(s(&a[0]) == a[1].type_name()))
    });
    f.insert("kindIs", |_, a| {
        arity("kindIs", a, 2)?;
        Ok(Value::Bool(s(&a[0]) == kind_of(&a[1])))
    });
    f.insert("deepEqual", |_, a| {
        arity("deepEqual", a, 2)?;
        Ok(Value::Bool(deep_equal(&a[0], &a[1])))
    });
    // --- semver
    f.insert("semverCompare", |_, a| {
        arity("semverCompare", a, 2)?;
        super::semver::compare(&s(&a[0]), &s(&a[1]))
            .map(Value::Bool)
            .or_else(fail)
    });
    f.insert("semver", |_, a| {
        arity("semver", a, 1)?;
        super::semver::parse_value(&s(&a[0])).or_else(fail)
    });
}

/// Registers the sprig functions defined by others (`mustX` variants, aliases).
pub fn register_aliases(f: &mut Funcs) {
    // sprig's `must` forms return an error where the plain form returns a zero
    // value; on the inputs where both succeed they agree.
    let aliases: &[(&'static str, &'static str)] = &[
        ("mustUniq", "uniq"),
        ("mustFirst", "first"),
        ("mustLast", "last"),
        ("mustRest", "rest"),
        ("mustInitial", "initial"),
        ("mustAppend", "append"),
        ("mustPush", "append"),
        ("mustPrepend", "prepend"),
        ("mustReverse", "reverse"),
        ("mustCompact", "compact"),
        ("mustWithout", "without"),
        ("mustHas", "has"),
        ("mustMerge", "merge"),
        ("mustMergeOverwrite", "mergeOverwrite"),
        ("mustRegexMatch", "regexMatch"),
        ("mustRegexFind", "regexFind"),
        ("mustRegexFindAll", "regexFindAll"),
        ("mustRegexReplaceAll", "regexReplaceAll"),
        ("mustRegexReplaceAllLiteral", "regexReplaceAllLiteral"),
        ("mustRegexSplit", "regexSplit"),
        ("mustDeepCopy", "deepCopy"),
        ("mustSlice", "slice"),
        ("mustChunk", "chunk"),
        ("trimall", "trimAll"),
        ("biggest", "max"),
        // filepath's forms are path's on a system whose separator is `/`.
        ("osBase", "base"),
        ("osClean", "clean"),
        ("osDir", "dir"),
        ("osExt", "ext"),
        ("osIsAbs", "isAbs"),
        ("mustToRawJson", "toRawJson"),
        ("mustToPrettyJson", "toPrettyJson"),
    ];
    for (alias, name) in aliases {
        if let Some(func) = f.get(name).copied() {
            f.insert(alias, func);
        }
    }
}

/// Registers sprig's path, hashing and dict-editing functions.
pub fn register_more(f: &mut Funcs) {
    f.insert("set", |exec, a| {
        arity("set", a, 3)?;
        let Value::Map(d) = &a[0] else {
            return fail(format!(
                "wrong type for value; expected map[string]interface {{}}; got {}",
                a[0].type_name()
            ));
        };
        d.borrow_mut().insert(s(&a[1]), a[2].clone());
        exec.note_changed(&a[0]);
        Ok(a[0].clone())
    });
    f.insert("unset", |exec, a| {
        arity("unset", a, 2)?;
        let Value::Map(d) = &a[0] else {
            return fail(format!(
                "wrong type for value; expected map[string]interface {{}}; got {}",
                a[0].type_name()
            ));
        };
        d.borrow_mut().remove(&s(&a[1]));
        exec.note_changed(&a[0]);
        Ok(a[0].clone())
    });
    f.insert("chunk", |_, a| {
        arity("chunk", a, 2)?;
        let size = to_i64(&a[0]).max(1) as usize;
        let l = list_of(&a[1])?;
        Ok(Value::list(
            l.chunks(size).map(|c| Value::list(c.to_vec())).collect(),
        ))
    });
    f.insert("base", |_, a| {
        arity("base", a, 1)?;
        let p = s(&a[0]);
        let t = p.trim_end_matches('/');
        Ok(Value::str(if p.is_empty() {
            "."
        } else if t.is_empty() {
            "/"
        } else {
            t.rsplit('/').next().unwrap_or(t)
        }))
    });
    f.insert("dir", |_, a| {
        arity("dir", a, 1)?;
        // Go's path.Dir: everything before the last slash, cleaned.
        let p = s(&a[0]);
        Ok(Value::str(clean_path(match p.rfind('/') {
            Some(i) => &p[..=i],
            None => "",
        })))
    });
    f.insert("clean", |_, a| {
        arity("clean", a, 1)?;
        Ok(Value::str(clean_path(&s(&a[0]))))
    });
    f.insert("hello", |_, a| {
        arity("hello", a, 0)?;
        Ok(Value::str("Hello!"))
    });
    f.insert("typeIsLike", |_, a| {
        arity("typeIsLike", a, 2)?;
        let t = a[1].type_name();
        let want = s(&a[0]);
        Ok(Value::Bool(want == t || format!("*{want}") == t))
    });
    f.insert("add1f", |_, a| {
        arity("add1f", a, 1)?;
        Ok(Value::Float(to_f64(&a[0]) + 1.0))
    });
    f.insert("maxf", |_, a| {
        at_least("maxf", a, 1)?;
        Ok(Value::Float(
            a.iter().map(to_f64).fold(f64::NEG_INFINITY, f64::max),
        ))
    });
    f.insert("minf", |_, a| {
        at_least("minf", a, 1)?;
        Ok(Value::Float(
            a.iter().map(to_f64).fold(f64::INFINITY, f64::min),
        ))
    });
    f.insert("ext", |_, a| {
        arity("ext", a, 1)?;
        let p = s(&a[0]);
        let base = p.rsplit('/').next().unwrap_or(&p);
        Ok(Value::str(
            base.rfind('.').map(|i| &base[i..]).unwrap_or(""),
        ))
    });
    f.insert("isAbs", |_, a| {
        arity("isAbs", a, 1)?;
        Ok(Value::Bool(s(&a[0]).starts_with('/')))
    });
    f.insert("sha1sum", |_, a| {
        arity("sha1sum", a, 1)?;
        Ok(Value::str(hex(&sha1(&bytes_of(&a[0])))))
    });
    f.insert("sha512sum", |_, a| {
        arity("sha512sum", a, 1)?;
        Ok(Value::str(hex(&sha2::Sha512::digest(bytes_of(&a[0])))))
    });
    f.insert("regexQuoteMeta", |_, a| {
        arity("regexQuoteMeta", a, 1)?;
        Ok(Value::str(regex::escape(&s(&a[0]))))
    });
    f.insert("getHostByName", |_, a| {
        arity("getHostByName", a, 1)?;
        Ok(Value::str(""))
    });
    f.insert("toDecimal", |_, a| {
        arity("toDecimal", a, 1)?;
        Ok(Value::Int(i64::from_str_radix(&s(&a[0]), 8).unwrap_or(0)))
    });
}

/// SHA-1 for `sha1sum` (the one place sprig asks for it; not worth a crate).
/// Go's `path.Clean`: one slash between names, no `.`, `..` resolved where it can be.
pub fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            name => parts.push(name),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                chunk[4 * i],
                chunk[4 * i + 1],
                chunk[4 * i + 2],
                chunk[4 * i + 3],
            ]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let (mut a, mut b, mut c, mut d, mut e) = (h[0], h[1], h[2], h[3], h[4]);
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, v) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&v.to_be_bytes());
    }
    out
}

fn append(_: &mut super::gotmpl::exec::Exec, a: &[Value]) -> R {
    arity("append", a, 2)?;
    let mut l = match &a[0] {
        Value::List(l) => l.to_vec(),
        Value::Nil => Vec::new(),
        other => return fail(format!("Cannot push on type {}", other.type_name())),
    };
    l.push(a[1].clone());
    Ok(Value::list(l))
}

/// mergo as sprig calls it: the first dict is changed in place and returned.
fn merge(exec: &mut super::gotmpl::exec::Exec, a: &[Value], overwrite: bool) -> R {
    at_least("merge", a, 1)?;
    let Value::Map(dst) = &a[0] else {
        return fail(format!(
            "wrong type for value; expected map[string]interface {{}}; got {}",
            a[0].type_name()
        ));
    };
    for src in &a[1..] {
        let src = with_dict(src, BTreeMap::clone);
        merge_into(dst, &src, overwrite, 0, &mut |m| exec.note_changed(m));
    }
    exec.note_changed(&a[0]);
    Ok(a[0].clone())
}

/// mergo's merge, in place as Go's maps are: maps merge deeply; a key already set in
/// `dst` stays unless `overwrite` (and then an empty source value does not overwrite).
/// `src` is a copy of the source's entries, and no borrow is held across the descent:
/// a map may be merged with itself, or hold itself (`set $d "self" $d`).
fn merge_into(
    dst: &Rc<RefCell<BTreeMap<String, Value>>>,
    src: &BTreeMap<String, Value>,
    overwrite: bool,
    depth: usize,
    changed: &mut dyn FnMut(&Value),
) {
    if depth > MAX_VALUE_DEPTH {
        // Two maps that hold themselves merge forever (Go overflows its stack).
        give_up();
        return;
    }
    for (k, v) in src {
        let existing = dst.borrow().get(k).cloned();
        match (&existing, v) {
            (Some(map @ Value::Map(d)), Value::Map(sm)) => {
                let sm = sm.borrow().clone();
                merge_into(d, &sm, overwrite, depth + 1, changed);
                changed(map);
            }
            (Some(existing), v) => {
                if (overwrite && !empty(v))
                    || empty(existing) && !matches!(existing, Value::Bool(false))
                {
                    dst.borrow_mut().insert(k.clone(), v.clone());
                }
            }
            (None, v) => {
                dst.borrow_mut().insert(k.clone(), v.clone());
            }
        }
    }
}

fn until_step(start: i64, stop: i64, step: i64) -> Value {
    let mut out = Vec::new();
    if step == 0 || (step > 0 && start >= stop) || (step < 0 && start <= stop) {
        return Value::list(out);
    }
    let mut i = start;
    while (step > 0 && i < stop) || (step < 0 && i > stop) {
        out.push(Value::Int(i));
        i += step;
    }
    Value::list(out)
}

/// The name of a value's `reflect.Kind` (`kindOf`, and sprig's messages).
fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::List(_) => "slice",
        Value::Map(_) => "map",
        Value::Object(_) => "ptr",
    }
}

/// `reflect.DeepEqual` over template values.
pub fn deep_equal(a: &Value, b: &Value) -> bool {
    deep_equal_at(a, b, 0, &mut HashSet::new())
}

/// As Go's, a pair of maps or lists met again is taken as equal, so that maps that
/// hold themselves compare (`visited`: the pairs compared so far, by address).
fn deep_equal_at(
    a: &Value,
    b: &Value,
    depth: usize,
    visited: &mut HashSet<(usize, usize)>,
) -> bool {
    if depth > MAX_VALUE_DEPTH {
        give_up();
        return false;
    }
    let mut first_visit = |x: *const (), y: *const ()| {
        let (x, y) = (x as usize, y as usize);
        visited.insert((x.min(y), x.max(y)))
    };
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            if Rc::ptr_eq(x, y) || !first_visit(Rc::as_ptr(x).cast(), Rc::as_ptr(y).cast()) {
                return true;
            }
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|(p, q)| deep_equal_at(p, q, depth + 1, visited))
        }
        (Value::Map(x), Value::Map(y)) => {
            if Rc::ptr_eq(x, y) || !first_visit(Rc::as_ptr(x).cast(), Rc::as_ptr(y).cast()) {
                return true;
            }
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.get(k)
                        .is_some_and(|w| deep_equal_at(v, w, depth + 1, visited))
                })
        }
        _ => false,
    }
}

fn re(v: &Value) -> Result<regex::Regex, FuncError> {
    /// Compiled patterns: charts call `regexReplaceAll` with the same few patterns in
    /// every template and every unit, and compiling is most of such a call.
    static COMPILED: std::sync::LazyLock<crate::memo::ByContent<regex::Regex>> =
        std::sync::LazyLock::new(Default::default);
    let pattern = s(v);
    COMPILED.get_or_try(pattern.as_bytes(), || {
        regex::Regex::new(&go_regex(&pattern))
            .map_err(|e| FuncError::Call(format!("error parsing regexp: {e}")))
    })
}

/// RE2 (Go) syntax the regex crate reads differently: in a class, Go takes a `-`
/// after a class escape (`[\w-.]`) as a literal; the regex crate wants it escaped.
fn go_regex(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut in_class = false;
    let mut prev_class_escape = false;
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next();
                out.push('\\');
                if let Some(n) = next {
                    out.push(n);
                }
                prev_class_escape =
                    in_class && matches!(next, Some('w' | 'W' | 'd' | 'D' | 's' | 'S'));
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '-' if in_class && (prev_class_escape || chars.peek() == Some(&']')) => {
                out.push_str("\\-")
            }
            _ => out.push(c),
        }
        prev_class_escape = false;
    }
    out
}

/// Go's `Regexp.Expand` template syntax (`$1`, `${name}`) in the regex crate's form.
fn go_expand_template(t: &str) -> String {
    // The regex crate reads `$1a` as the group named "1a"; Go reads it the same way,
    // so the syntax carries over as it is.
    t.to_string()
}

fn indent(n: i64, text: &str) -> String {
    let pad = " ".repeat(n.max(0) as usize);
    format!("{pad}{}", text.replace('\n', &format!("\n{pad}")))
}

/// Go's `strings.Split`: an empty separator splits into characters.
fn split_go(text: &str, sep: &str) -> Vec<String> {
    if sep.is_empty() {
        return text.chars().map(String::from).collect();
    }
    text.split(sep).map(String::from).collect()
}

fn snake(text: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if i > 0
                && (prev_lower || (next_lower && chars[i - 1].is_uppercase()))
                && !out.ends_with('_')
            {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else if c == ' ' || c == '-' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

/// `goutils.WrapCustom` as sprig's `wrap` uses it: break at spaces before `width`.
fn wrap(text: &str, width: usize, nl: &str) -> String {
    let width = width.max(1);
    let mut out = String::new();
    for (li, line) in text.split('\n').enumerate() {
        if li > 0 {
            out.push_str(nl);
        }
        let mut cur = 0usize;
        for (wi, word) in line.split(' ').enumerate() {
            if wi > 0 {
                if cur + 1 + word.len() > width {
                    out.push_str(nl);
                    cur = 0;
                } else {
                    out.push(' ');
                    cur += 1;
                }
            }
            out.push_str(word);
            cur += word.len();
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// goutils' `AbbreviateFull`, which sprig's `abbrev` and `abbrevboth` call: `max_width`
/// bytes at most, with "..." where text was cut, keeping text from about `offset` on.
/// Go cuts bytes; a cut inside a character gives U+FFFD here. Its errors (a width under
/// 4, or under 7 with an offset) are "", as sprig ignores them.
fn abbreviate_full(text: &str, offset: i64, max_width: i64) -> String {
    String::from_utf8_lossy(&abbreviate_bytes(text.as_bytes(), offset, max_width)).into_owned()
}

fn abbreviate_bytes(b: &[u8], offset: i64, max_width: i64) -> Vec<u8> {
    let len = b.len() as i64;
    let cut = |from: i64, to: i64| &b[from as usize..to as usize];
    let marked = |before: &[u8], after: &[u8]| [before, after].concat();
    if b.is_empty() || max_width < 4 {
        return Vec::new();
    }
    if len <= max_width {
        return b.to_vec();
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    if offset <= 4 {
        return marked(cut(0, max_width - 3), b"...");
    }
    if max_width < 7 {
        return Vec::new();
    }
    if offset + max_width - 3 < len {
        return marked(
            b"...",
            &abbreviate_bytes(cut(offset, len), 0, max_width - 3),
        );
    }
    marked(b"...", cut(len - (max_width - 3), len))
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Go's `base32.StdEncoding.EncodeToString`: RFC 4648, padded with `=`.
fn base32_encode(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len().div_ceil(5) * 8);
    for chunk in b.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let n = u64::from_be_bytes([0, 0, 0, block[0], block[1], block[2], block[3], block[4]]);
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                out.push(BASE32[((n >> (35 - 5 * i)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Go's `base32.StdEncoding.DecodeString`, and its error (`illegal base32 data at input
/// byte N`, N counted in the input without its line breaks, which Go drops first),
/// quantum by quantum as Go decodes: bytes after the padding are not read.
fn base32_decode(text: &str) -> Result<Vec<u8>, String> {
    let src: Vec<u8> = text
        .bytes()
        .filter(|c| *c != b'\n' && *c != b'\r')
        .collect();
    let olen = src.len();
    let illegal = |at: usize| format!("illegal base32 data at input byte {at}");
    let mut out = Vec::with_capacity(olen / 8 * 5);
    let mut i = 0;
    let mut end = false;
    while i < olen && !end {
        let mut quantum = [0u8; 8];
        let mut len = 8;
        let mut j = 0;
        while j < 8 {
            if i == olen {
                return Err(illegal(olen - j));
            }
            let c = src[i];
            i += 1;
            let rest = olen - i;
            if c == b'=' && j >= 2 && rest < 8 {
                if rest + j < 7 {
                    return Err(illegal(olen));
                }
                if let Some(k) = (0..7 - j).find(|&k| rest > k && src[i + k] != b'=') {
                    return Err(illegal(olen - rest + k - 1));
                }
                if matches!(j, 1 | 3 | 6) {
                    return Err(illegal(olen - rest - 1));
                }
                (len, end) = (j, true);
                break;
            }
            let Some(v) = BASE32.iter().position(|&x| x == c) else {
                return Err(illegal(olen - rest - 1));
            };
            quantum[j] = v as u8;
            j += 1;
        }
        let n = quantum.iter().fold(0u64, |n, &v| n << 5 | u64::from(v));
        let keep = match len {
            2 => 1,
            4 => 2,
            5 => 3,
            7 => 4,
            _ => 5,
        };
        out.extend_from_slice(&n.to_be_bytes()[3..3 + keep]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_equal_takes_maps_met_again_as_equal_as_go_does() {
        let cyclic = || {
            let d = Value::map(BTreeMap::from([("a".to_string(), Value::Int(1))]));
            if let Value::Map(m) = &d {
                m.borrow_mut().insert("self".into(), d.clone());
            }
            d
        };
        let (x, y) = (cyclic(), cyclic());
        assert!(deep_equal(&x, &x) && deep_equal(&x, &y));
        if let Value::Map(m) = &y {
            m.borrow_mut().insert("a".into(), Value::Int(2));
        }
        assert!(!deep_equal(&x, &y));
        let list = || Value::list(vec![Value::str("s"), Value::Nil]);
        assert!(deep_equal(&list(), &list()));
        assert!(!deep_equal(&list(), &Value::list(vec![Value::str("s")])));
    }
}
