//! The functions every Go template has (`len`, `index`, `printf`, `eq`, ...), the
//! registry that sprig's and Helm's functions join, and Go's `fmt` verbs.

use super::exec::{Exec, ExecError};
use super::value::{format_float_g, Value};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::LazyLock;

/// Why a function failed: Go prints `error calling NAME: MSG` for `Call`, the bare
/// message for argument errors, and passes an inner template's error through.
#[derive(Debug)]
pub enum FuncError {
    Call(String),
    Args(String),
    Exec(ExecError),
}

pub type Func = fn(&mut Exec, &[Value]) -> Result<Value, FuncError>;
/// Functions by name, looked up at every call: hashed with foldhash, which is several
/// times faster than SipHash on names this short.
pub type Funcs = HashMap<&'static str, Func, foldhash::fast::RandomState>;

/// `Err(Call(msg))`.
pub fn fail<T>(msg: impl Into<String>) -> Result<T, FuncError> {
    Err(FuncError::Call(msg.into()))
}

/// Checks the argument count as Go does for a function of fixed arity.
pub fn arity(name: &str, args: &[Value], want: usize) -> Result<(), FuncError> {
    if args.len() != want {
        return Err(FuncError::Args(format!(
            "wrong number of args for {name}: want {want} got {}",
            args.len()
        )));
    }
    Ok(())
}

/// Checks a minimum argument count (variadic functions).
pub fn at_least(name: &str, args: &[Value], want: usize) -> Result<(), FuncError> {
    if args.len() < want {
        return Err(FuncError::Args(format!(
            "wrong number of args for {name}: want at least {want} got {}",
            args.len()
        )));
    }
    Ok(())
}

/// The functions of Go's `text/template`.
pub fn builtins() -> Funcs {
    let mut f = Funcs::default();
    f.insert("not", |_, a| {
        arity("not", a, 1)?;
        Ok(Value::Bool(!a[0].truthy()))
    });
    f.insert("len", |_, a| {
        arity("len", a, 1)?;
        Ok(Value::Int(match &a[0] {
            Value::String(s) => s.len() as i64,
            Value::List(l) => l.len() as i64,
            Value::Map(m) => m.borrow().len() as i64,
            Value::Nil => return fail("len of nil pointer"),
            Value::Object(o) if o.len().is_some() => o.len().unwrap_or(0) as i64,
            other => return fail(format!("len of type {}", other.type_name())),
        }))
    });
    f.insert("index", |_, a| {
        at_least("index", a, 1)?;
        let mut v = a[0].clone();
        for key in &a[1..] {
            v = index_one(&v, key)?;
        }
        Ok(v)
    });
    f.insert("slice", |_, a| {
        at_least("slice", a, 1)?;
        let idx: Vec<i64> = a[1..]
            .iter()
            .map(|v| match v {
                Value::Int(i) => Ok(*i),
                _ => fail("cannot index slice/array with nil"),
            })
            .collect::<Result<_, _>>()?;
        match &a[0] {
            Value::String(s) => {
                let (i, j) = bounds(&idx, s.len())?;
                Ok(Value::str(s.get(i..j).unwrap_or("")))
            }
            Value::List(l) => {
                let (i, j) = bounds(&idx, l.len())?;
                Ok(Value::list(l[i..j].to_vec()))
            }
            Value::Nil => fail("slice of untyped nil"),
            other => fail(format!("can't slice item of type {}", other.type_name())),
        }
    });
    f.insert("print", |_, a| Ok(Value::str(sprint(a))));
    f.insert("println", |_, a| {
        let parts: Vec<String> = a.iter().map(print_arg).collect();
        Ok(Value::str(format!("{}\n", parts.join(" "))))
    });
    f.insert("printf", |_, a| {
        at_least("printf", a, 1)?;
        let format = match &a[0] {
            Value::String(s) => s.to_string(),
            other => other.to_go_string(),
        };
        Ok(Value::str(sprintf(&format, &a[1..])))
    });
    f.insert("eq", |_, a| {
        at_least("eq", a, 1)?;
        if a.len() < 2 {
            return fail("missing argument for comparison");
        }
        for b in &a[1..] {
            if go_eq(&a[0], b)? {
                return Ok(Value::Bool(true));
            }
        }
        Ok(Value::Bool(false))
    });
    f.insert("ne", |_, a| {
        arity("ne", a, 2)?;
        Ok(Value::Bool(!go_eq(&a[0], &a[1])?))
    });
    f.insert("lt", |_, a| {
        arity("lt", a, 2)?;
        Ok(Value::Bool(go_lt(&a[0], &a[1])?))
    });
    f.insert("le", |_, a| {
        arity("le", a, 2)?;
        Ok(Value::Bool(go_lt(&a[0], &a[1])? || go_eq(&a[0], &a[1])?))
    });
    f.insert("gt", |_, a| {
        arity("gt", a, 2)?;
        Ok(Value::Bool(!go_lt(&a[0], &a[1])? && !go_eq(&a[0], &a[1])?))
    });
    f.insert("ge", |_, a| {
        arity("ge", a, 2)?;
        Ok(Value::Bool(!go_lt(&a[0], &a[1])?))
    });
    f.insert("html", |_, a| {
        let s = eval_args(a);
        let mut out = String::new();
        for c in s.chars() {
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                '"' => out.push_str("&#34;"),
                '\'' => out.push_str("&#39;"),
                '\0' => out.push('\u{FFFD}'),
                c => out.push(c),
            }
        }
        Ok(Value::str(out))
    });
    f.insert("js", |_, a| Ok(Value::str(js_escape(&eval_args(a)))));
    f.insert("urlquery", |_, a| {
        let s = eval_args(a);
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    out.push(b as char)
                }
                b' ' => out.push('+'),
                _ => {
                    let _ = write!(out, "%{b:02X}");
                }
            }
        }
        Ok(Value::str(out))
    });
    // Go's `call` runs a function value. Helm's data holds none (no map entry, field or
    // method result is a func), so every call fails as Go's does; the executor passes
    // the callee's text first, as Go's does, for the message.
    f.insert("call", |_, a| {
        let [callee, fun, ..] = a else {
            return Err(FuncError::Args(
                "wrong number of args for call: want at least 1 got 0".to_string(),
            ));
        };
        match fun {
            Value::Nil => fail("call of nil"),
            other => fail(format!(
                "non-function {} of type {}",
                callee.to_go_string(),
                other.type_name()
            )),
        }
    });
    f
}

fn bounds(idx: &[i64], len: usize) -> Result<(usize, usize), FuncError> {
    if idx.len() > 3 {
        return fail(format!("too many slice indexes: {}", idx.len()));
    }
    let i = idx.first().copied().unwrap_or(0);
    let j = idx.get(1).copied().unwrap_or(len as i64);
    if i < 0 || j < i || j > len as i64 {
        return fail(format!("index out of range: {}", if i < 0 { i } else { j }));
    }
    Ok((i as usize, j as usize))
}

fn index_one(v: &Value, key: &Value) -> Result<Value, FuncError> {
    match v {
        Value::Map(m) => match key {
            Value::String(k) => Ok(m.borrow().get(&**k).cloned().unwrap_or(Value::Nil)),
            Value::Nil => Ok(Value::Nil),
            other => fail(format!(
                "value has type {}; should be string",
                other.type_name()
            )),
        },
        Value::List(l) => {
            let i = match key {
                Value::Int(i) => *i,
                Value::Nil => return fail("cannot index slice/array with nil"),
                other => {
                    return fail(format!(
                        "cannot index slice/array with type {}",
                        other.type_name()
                    ))
                }
            };
            if i < 0 || i as usize >= l.len() {
                return fail(format!("index out of range: {i}"));
            }
            Ok(l[i as usize].clone())
        }
        Value::Nil => fail("index of untyped nil"),
        other => fail(format!("can't index item of type {}", other.type_name())),
    }
}

/// Go's `evalArgs`, the text `html`, `js` and `urlquery` escape: a lone string as it
/// is, else `fmt.Sprint` of the arguments with a missing value as "<no value>" (a
/// string to Sprint, so no space is put beside it).
fn eval_args(args: &[Value]) -> String {
    if let [Value::String(s)] = args {
        return s.to_string();
    }
    let printable: Vec<Value> = args
        .iter()
        .map(|a| match a {
            Value::Nil => Value::str("<no value>"),
            other => other.clone(),
        })
        .collect();
    sprint(&printable)
}

/// Go's `template.JSEscapeString`: quotes, backslash and `<>&=` escaped, ASCII control
/// characters as `\u00XX`, other characters as they are unless Go's `unicode.IsPrint`
/// refuses them (`\uXXXX`).
pub fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u00{:02X}", c as u32);
            }
            c if c.is_ascii() || is_print(c) => out.push(c),
            c => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
        }
    }
    out
}

/// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII
/// space.
pub fn is_print(c: char) -> bool {
    static PRINT: LazyLock<Option<regex::Regex>> =
        LazyLock::new(|| go_unicode_class(r"\p{L}\p{M}\p{N}\p{P}\p{S}"));
    c == ' ' || in_class(&PRINT, c)
}

/// Go's `unicode.IsLetter`.
pub fn is_letter(c: char) -> bool {
    static LETTER: LazyLock<Option<regex::Regex>> = LazyLock::new(|| go_unicode_class(r"\p{L}"));
    in_class(&LETTER, c)
}

/// A character class as Go's `unicode` tables have it: they are Unicode 15.0's (Go
/// 1.21 on; Helm's SDK escapes what 15.1 and 16 added), regex's are newer, so a
/// character must also have been assigned by 15.0.
fn go_unicode_class(class: &str) -> Option<regex::Regex> {
    regex::Regex::new(&format!(r"^[[{class}]&&\p{{Age=15.0}}]$")).ok()
}

fn in_class(re: &Option<regex::Regex>, c: char) -> bool {
    let mut buf = [0u8; 4];
    re.as_ref()
        .is_some_and(|re| re.is_match(c.encode_utf8(&mut buf)))
}

/// What `print` makes of one argument (`<nil>` for nil).
fn print_arg(v: &Value) -> String {
    match v {
        Value::Nil => "<nil>".to_string(),
        other => other.to_go_string(),
    }
}

/// `fmt.Sprint`: spaces between operands when neither is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        let is_str = matches!(a, Value::String(_));
        if i > 0 && !is_str && !matches!(args[i - 1], Value::String(_)) {
            out.push(' ');
        }
        out.push_str(&print_arg(a));
    }
    out
}

#[derive(PartialEq)]
enum Kind {
    Bool,
    Int,
    Float,
    String,
    Other,
    Invalid,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::String(_) => Kind::String,
        Value::Nil => Kind::Invalid,
        _ => Kind::Other,
    }
}

/// Go's `eq` for two operands: basic kinds must match (an `int` literal against a
/// `float64` from values is an error, as in Helm); nil equals only nil.
pub fn go_eq(a: &Value, b: &Value) -> Result<bool, FuncError> {
    let (ka, kb) = (kind(a), kind(b));
    if ka != kb {
        if ka == Kind::Invalid || kb == Kind::Invalid {
            return Ok(false);
        }
        return fail("incompatible types for comparison");
    }
    Ok(match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Nil, Value::Nil) => true,
        (Value::List(_), _) | (Value::Map(_), _) => {
            return fail(format!(
                "non-comparable type {}: {}",
                a.to_go_string(),
                a.type_name()
            ))
        }
        _ => false,
    })
}

fn go_lt(a: &Value, b: &Value) -> Result<bool, FuncError> {
    let (ka, kb) = (kind(a), kind(b));
    if ka == Kind::Invalid || kb == Kind::Invalid || ka == Kind::Other || ka == Kind::Bool {
        return fail("invalid type for comparison");
    }
    if ka != kb {
        return fail("incompatible types for comparison");
    }
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => x < y,
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::String(x), Value::String(y)) => x < y,
        _ => false,
    })
}

/// The parameters (0-based) that a function of Go's, sprig's or Helm's declares as
/// `string`: Go's template engine refuses nil, numbers, maps and lists there
/// ("wrong type for value; expected string; got float64") where strata's functions
/// would read them as text.
pub fn string_params(name: &str) -> &'static [usize] {
    match name {
        "trim" | "upper" | "lower" | "title" | "untitle" | "nospace" | "initials" | "swapcase"
        | "shuffle" | "snakecase" | "camelcase" | "kebabcase" | "sha1sum" | "sha256sum"
        | "sha512sum" | "adler32sum" | "atoi" | "b64enc" | "b64dec" | "b32enc" | "b32dec"
        | "regexQuoteMeta" | "base" | "dir" | "clean" | "ext" | "isAbs" | "semver"
        | "genPrivateKey" | "bcrypt" | "urlParse" | "tpl" | "include" | "required" | "fromYaml"
        | "fromYamlArray" | "fromJson" | "fromJsonArray" | "fromToml" | "mustFromJson" | "fail"
        | "printf" | "getHostByName" => &[0],
        "abbrev" | "trunc" | "repeat" | "wrap" | "indent" | "nindent" => &[1],
        "abbrevboth" | "substr" => &[2],
        "trimall" | "trimAll" | "trimSuffix" | "trimPrefix" | "contains" | "hasPrefix"
        | "hasSuffix" | "plural" | "split" | "splitList" | "regexMatch" | "mustRegexMatch"
        | "regexFind" | "mustRegexFind" | "regexFindAll" | "mustRegexFindAll" | "regexSplit"
        | "mustRegexSplit" | "semverCompare" | "htpasswd" | "encryptAES" | "decryptAES"
        | "toDate" | "mustToDate" => &[0, 1],
        "wrapWith" => &[1, 2],
        "splitn" => &[0, 2],
        "replace"
        | "regexReplaceAll"
        | "mustRegexReplaceAll"
        | "regexReplaceAllLiteral"
        | "mustRegexReplaceAllLiteral" => &[0, 1, 2],
        _ => &[],
    }
}

/// `fmt.Sprintf` for the verbs templates use: `%v %s %d %q %f %e %g %x %X %t %c %T %%`,
/// with flags, width and precision; mismatches print as Go prints them (`%!d(string=x)`).
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut next = 0usize;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            chars.next();
        }
        spec.width = take_number(&mut chars, args, &mut next);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.prec = Some(take_number(&mut chars, args, &mut next).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        next += 1;
        out.push_str(&format_one(verb, &spec, arg));
    }
    if next < args.len() {
        out.push_str("%!(EXTRA ");
        let extra: Vec<String> = args[next..]
            .iter()
            .map(|a| format!("{}={}", a.type_name(), print_arg(a)))
            .collect();
        out.push_str(&extra.join(", "));
        out.push(')');
    }
    out
}

#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    zero: bool,
    space: bool,
    sharp: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

fn take_number(
    chars: &mut std::iter::Peekable<std::str::Chars>,
    args: &[Value],
    next: &mut usize,
) -> Option<usize> {
    if chars.peek() == Some(&'*') {
        chars.next();
        let v = args.get(*next);
        *next += 1;
        return match v {
            Some(Value::Int(i)) if *i >= 0 => Some(*i as usize),
            _ => None,
        };
    }
    let mut n: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        n = Some(n.unwrap_or(0) * 10 + d as usize);
        chars.next();
    }
    n
}

fn bad_verb(verb: char, v: &Value) -> String {
    match v {
        Value::Nil => format!("%!{verb}(<nil>)"),
        _ => format!("%!{verb}({}={})", v.type_name(), v.to_go_string()),
    }
}

fn format_one(verb: char, spec: &Spec, v: &Value) -> String {
    // Go's fmt applies a verb other than %v and %T to each element of a slice, and to
    // each key and value of a map (keys sorted), where a nil is `<nil>` whatever the
    // verb: `printf "%q" (list "a" nil)` is `["a" <nil>]`.
    if !matches!(verb, 'v' | 'T') {
        let inner = |v: &Value| match v {
            Value::Nil => pad("<nil>".to_string(), spec, false),
            v => format_one(verb, spec, v),
        };
        match v {
            Value::List(items) => {
                let each: Vec<String> = items.iter().map(inner).collect();
                return format!("[{}]", each.join(" "));
            }
            Value::Map(map) => {
                let each: Vec<String> = map
                    .borrow()
                    .iter()
                    .map(|(k, v)| format!("{}:{}", inner(&Value::str(k)), inner(v)))
                    .collect();
                return format!("map[{}]", each.join(" "));
            }
            _ => {}
        }
    }
    let body = match (verb, v) {
        ('v', Value::Nil) | ('s', Value::Nil) => {
            if verb == 's' {
                "%!s(<nil>)".to_string()
            } else {
                "<nil>".to_string()
            }
        }
        ('v', Value::Float(f)) => float_verb('g', spec, *f),
        ('v', Value::Int(i)) | ('d', Value::Int(i)) => int_verb(spec, *i),
        ('v', other) | ('s', other)
            if !matches!(other, Value::Int(_) | Value::Float(_) | Value::Bool(_))
                || verb == 'v' =>
        {
            let s = other.to_go_string();
            match spec.prec {
                Some(p) if verb == 's' => s.chars().take(p).collect(),
                _ => s,
            }
        }
        // `%T`: the Go type (charts branch on `printf "%T"`, e.g. Kong's env rendering).
        ('T', v) => v.type_name(),
        ('q', Value::String(s)) => go_quote(s),
        ('q', Value::Int(i)) => go_quote_rune(*i),
        ('t', Value::Bool(b)) => b.to_string(),
        ('f' | 'F' | 'e' | 'E' | 'g' | 'G', Value::Float(f)) => float_verb(verb, spec, *f),
        ('f' | 'F' | 'e' | 'E' | 'g' | 'G', Value::Int(i)) => format!("%!{verb}(int={i})"),
        ('x' | 'X', Value::Int(i)) => {
            let s = if verb == 'x' {
                format!("{:x}", i.unsigned_abs())
            } else {
                format!("{:X}", i.unsigned_abs())
            };
            let s = if spec.sharp { format!("0x{s}") } else { s };
            if *i < 0 {
                format!("-{s}")
            } else {
                s
            }
        }
        ('x' | 'X', Value::String(s)) => {
            let mut out = String::new();
            for b in s.bytes() {
                let _ = if verb == 'x' {
                    write!(out, "{b:02x}")
                } else {
                    write!(out, "{b:02X}")
                };
            }
            out
        }
        ('c', Value::Int(i)) => char::from_u32(*i as u32)
            .map(String::from)
            .unwrap_or_default(),
        ('o', Value::Int(i)) => format!("{i:o}"),
        ('b', Value::Int(i)) => format!("{i:b}"),
        ('v' | 's', Value::Bool(b)) if verb == 'v' => b.to_string(),
        _ => return bad_verb(verb, v),
    };
    pad(body, spec, matches!(v, Value::Int(_) | Value::Float(_)))
}

fn int_verb(spec: &Spec, i: i64) -> String {
    let mut s = i.to_string();
    if spec.plus && i >= 0 {
        s.insert(0, '+');
    } else if spec.space && i >= 0 {
        s.insert(0, ' ');
    }
    s
}

fn float_verb(verb: char, spec: &Spec, f: f64) -> String {
    let mut s = match verb {
        'f' | 'F' => format!("{:.*}", spec.prec.unwrap_or(6), f),
        'e' | 'E' => {
            let s = go_exp(f, spec.prec.unwrap_or(6));
            if verb == 'E' {
                s.to_uppercase()
            } else {
                s
            }
        }
        _ => match spec.prec {
            None => format_float_g(f),
            Some(p) => {
                let p = p.max(1);
                let exp = if f == 0.0 {
                    0
                } else {
                    f.abs().log10().floor() as i32
                };
                if exp < -4 || exp >= p as i32 {
                    go_exp(f, p - 1)
                } else {
                    let s = format!("{:.*}", (p as i32 - 1 - exp).max(0) as usize, f);
                    if s.contains('.') {
                        s.trim_end_matches('0').trim_end_matches('.').to_string()
                    } else {
                        s
                    }
                }
            }
        },
    };
    if spec.plus && f >= 0.0 {
        s.insert(0, '+');
    }
    s
}

/// Go's `%e`: one digit, `prec` decimals, a signed exponent of at least two digits.
fn go_exp(f: f64, prec: usize) -> String {
    let s = format!("{:.*e}", prec, f);
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

fn pad(s: String, spec: &Spec, numeric: bool) -> String {
    let Some(w) = spec.width else { return s };
    let len = s.chars().count();
    if len >= w {
        return s;
    }
    let fill = w - len;
    if spec.minus {
        format!("{s}{}", " ".repeat(fill))
    } else if spec.zero && numeric {
        let (sign, digits) = match s.strip_prefix('-') {
            Some(d) => ("-", d.to_string()),
            None => ("", s.clone()),
        };
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        format!("{}{s}", " ".repeat(fill))
    }
}

/// `strconv.Quote`: a double-quoted Go string literal, as `quote`, `%q` and strata's own
/// chart templates print one. A character Go does not count as printable ([`is_print`]:
/// a no-break or zero-width space, a line separator, a private or unassigned one) is
/// written as its escape, so it shows in the output.
pub fn go_quote(s: &str) -> String {
    quote_with(s.chars(), '"')
}

/// `strconv.QuoteRune`, `%q` of an integer: a single-quoted character literal (U+FFFD
/// for a number that is no character).
fn go_quote_rune(i: i64) -> String {
    let c = u32::try_from(i)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{fffd}');
    quote_with(std::iter::once(c), '\'')
}

fn quote_with(chars: impl Iterator<Item = char>, quote: char) -> String {
    let mut out = String::with_capacity(chars.size_hint().0 + 2);
    out.push(quote);
    for c in chars {
        match c {
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_ascii() || is_print(c) => out.push(c),
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_what_go_does_not_print() {
        // Helm's SDK, `{{ "..." | quote }}` of each.
        for (c, want) in [
            ('\u{a0}', "\"\\u00a0\""),
            ('\u{200b}', "\"\\u200b\""),
            ('\u{ad}', "\"\\u00ad\""),
            ('\u{2028}', "\"\\u2028\""),
            ('\u{e000}', "\"\\ue000\""),
            ('\u{378}', "\"\\u0378\""),
            ('\u{85}', "\"\\u0085\""),
            ('\u{feff}', "\"\\ufeff\""),
            ('\u{e0001}', "\"\\U000e0001\""),
            ('\u{10ffff}', "\"\\U0010ffff\""),
            ('\u{1d173}', "\"\\U0001d173\""),
            ('\u{1f600}', "\"\u{1f600}\""),
            ('\u{301}', "\"\u{301}\""),
            ('é', "\"é\""),
        ] {
            assert_eq!(go_quote(&c.to_string()), want, "{:?}", c);
        }
    }

    #[test]
    fn sprintf_matches_go() {
        let s = |x: &str| Value::str(x);
        assert_eq!(sprintf("%s-%d", &[s("a"), Value::Int(3)]), "a-3");
        assert_eq!(sprintf("%q", &[s("a\"b")]), "\"a\\\"b\"");
        assert_eq!(
            sprintf("%05d|%-4s|", &[Value::Int(42), s("x")]),
            "00042|x   |"
        );
        assert_eq!(sprintf("%.2f", &[Value::Float(1.23456)]), "1.23");
        assert_eq!(sprintf("%v", &[Value::Float(1e6)]), "1e+06");
        assert_eq!(sprintf("%d", &[s("x")]), "%!d(string=x)");
        assert_eq!(
            sprintf(
                "%T %T %T %T %T",
                &[
                    s("x"),
                    Value::Int(1),
                    Value::Float(1.5),
                    Value::Nil,
                    Value::list(vec![])
                ]
            ),
            "string int float64 <nil> []interface {}"
        );
        assert_eq!(sprintf("%s %s", &[s("x")]), "x %!s(MISSING)");
        assert_eq!(sprintf("%s", &[s("x"), Value::Int(1)]), "x%!(EXTRA int=1)");
    }

    #[test]
    fn js_escapes_as_go_with_unicode_15_tables() {
        assert_eq!(
            js_escape("a'b\"<c>&=\\\n\u{7f}\u{80}é\u{a0}\u{ad}\u{2028}😀"),
            "a\\'b\\\"\\u003Cc\\u003E\\u0026\\u003D\\\\\\u000A\u{7f}\\u0080é\\u00A0\\u00AD\\u2028😀"
        );
        // Added in Unicode 15.1 and 16: Go's tables do not have them yet.
        assert_eq!(
            js_escape("\u{2EBF0}\u{897}\u{30FF}"),
            "\\u2EBF0\\u0897\u{30FF}"
        );
        assert!(is_letter('é') && !is_letter('1') && !is_letter('\u{2EBF0}'));
    }

    #[test]
    fn eq_refuses_int_against_float_like_go() {
        assert!(go_eq(&Value::Int(1), &Value::Float(1.0)).is_err());
        assert!(!go_eq(&Value::Nil, &Value::str("x")).unwrap());
        assert!(go_eq(&Value::str("a"), &Value::str("a")).unwrap());
    }
}
