//! Helm's own template functions (`include`, `tpl`, `required`, `toYaml`, `fromYaml`,
//! `toJson`, `lookup`, ...) and the objects templates see (`.Files`, `.Capabilities`).

use super::gotmpl::funcs::{arity, fail, go_quote, FuncError, Funcs};
use super::gotmpl::value::Object;
use super::gotmpl::{TemplateSet, Value, MAX_VALUE_DEPTH};
use crate::kustomize::fs::FileBytes;
use base64::Engine as _;
use std::collections::{BTreeMap, HashSet};
use std::rc::Rc;

/// Mark a message from `required`/`fail` so the caller can word it as Helm does
/// (`execution error at (FILE:LINE:COL): MESSAGE`), as Helm's own markers do.
pub const USER_ERROR_START: &str = "HELM_ERR_START";
pub const USER_ERROR_END: &str = "HELM_ERR_END";

/// What `tpl`'s parse error says where Helm quotes the text it could not parse.
pub const TPL_TEXT_WITHHELD: &str = "(its text not quoted: it may hold a secret)";

/// Every function a Helm v4 template may name: Go's `text/template` builtins, sprig v3's
/// (without `env` and `expandenv`, which Helm removes) and Helm's own (`pkg/engine/funcs.go`).
/// Go's parser refuses a template naming any other, even where the call never runs; a
/// function here that strata lacks fails only when called.
pub const HELM_FUNCTIONS: &[&str] = &[
    "abbrev",
    "abbrevboth",
    "add",
    "add1",
    "add1f",
    "addf",
    "adler32sum",
    "ago",
    "all",
    "and",
    "any",
    "append",
    "atoi",
    "b32dec",
    "b32enc",
    "b64dec",
    "b64enc",
    "base",
    "bcrypt",
    "biggest",
    "buildCustomCert",
    "call",
    "camelcase",
    "cat",
    "ceil",
    "chunk",
    "clean",
    "coalesce",
    "compact",
    "concat",
    "contains",
    "date",
    "dateInZone",
    "dateModify",
    "date_in_zone",
    "date_modify",
    "decryptAES",
    "deepCopy",
    "deepEqual",
    "default",
    "derivePassword",
    "dict",
    "dig",
    "dir",
    "div",
    "divf",
    "duration",
    "durationRound",
    "empty",
    "encryptAES",
    "eq",
    "ext",
    "fail",
    "first",
    "float64",
    "floor",
    "fromJson",
    "fromJsonArray",
    "fromToml",
    "fromYaml",
    "fromYamlArray",
    "ge",
    "genCA",
    "genCAWithKey",
    "genPrivateKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "get",
    "getHostByName",
    "gt",
    "has",
    "hasKey",
    "hasPrefix",
    "hasSuffix",
    "hello",
    "html",
    "htmlDate",
    "htmlDateInZone",
    "htpasswd",
    "include",
    "indent",
    "index",
    "initial",
    "initials",
    "int",
    "int64",
    "isAbs",
    "join",
    "js",
    "kebabcase",
    "keys",
    "kindIs",
    "kindOf",
    "last",
    "le",
    "len",
    "list",
    "lookup",
    "lower",
    "lt",
    "max",
    "maxf",
    "merge",
    "mergeOverwrite",
    "min",
    "minf",
    "mod",
    "mul",
    "mulf",
    "mustAppend",
    "mustChunk",
    "mustCompact",
    "mustDateModify",
    "mustDeepCopy",
    "mustFirst",
    "mustFromJson",
    "mustHas",
    "mustInitial",
    "mustLast",
    "mustMerge",
    "mustMergeOverwrite",
    "mustPrepend",
    "mustPush",
    "mustRegexFind",
    "mustRegexFindAll",
    "mustRegexMatch",
    "mustRegexReplaceAll",
    "mustRegexReplaceAllLiteral",
    "mustRegexSplit",
    "mustRest",
    "mustReverse",
    "mustSlice",
    "mustToDate",
    "mustToJson",
    "mustToPrettyJson",
    "mustToRawJson",
    "mustToToml",
    "mustToYaml",
    "mustUniq",
    "mustWithout",
    "must_date_modify",
    "ne",
    "nindent",
    "nospace",
    "not",
    "now",
    "omit",
    "or",
    "osBase",
    "osClean",
    "osDir",
    "osExt",
    "osIsAbs",
    "pick",
    "pluck",
    "plural",
    "prepend",
    "print",
    "printf",
    "println",
    "push",
    "quote",
    "randAlpha",
    "randAlphaNum",
    "randAscii",
    "randBytes",
    "randInt",
    "randNumeric",
    "regexFind",
    "regexFindAll",
    "regexMatch",
    "regexQuoteMeta",
    "regexReplaceAll",
    "regexReplaceAllLiteral",
    "regexSplit",
    "repeat",
    "replace",
    "required",
    "rest",
    "reverse",
    "round",
    "semver",
    "semverCompare",
    "seq",
    "set",
    "sha1sum",
    "sha256sum",
    "sha512sum",
    "shuffle",
    "slice",
    "snakecase",
    "sortAlpha",
    "split",
    "splitList",
    "splitn",
    "squote",
    "sub",
    "subf",
    "substr",
    "swapcase",
    "ternary",
    "title",
    "toDate",
    "toDecimal",
    "toJson",
    "toPrettyJson",
    "toRawJson",
    "toString",
    "toStrings",
    "toToml",
    "toYaml",
    "toYamlPretty",
    "tpl",
    "trim",
    "trimAll",
    "trimPrefix",
    "trimSuffix",
    "trimall",
    "trunc",
    "tuple",
    "typeIs",
    "typeIsLike",
    "typeOf",
    "uniq",
    "unixEpoch",
    "unset",
    "until",
    "untilStep",
    "untitle",
    "upper",
    "urlJoin",
    "urlParse",
    "urlquery",
    "uuidv4",
    "values",
    "without",
    "wrap",
    "wrapWith",
];

/// Whether a Helm template may name the function `name` (see [`HELM_FUNCTIONS`]).
pub fn is_helm_function(name: &str) -> bool {
    // Asked for every call in every template a chart parses: a hash, not a search.
    static KNOWN: std::sync::LazyLock<
        std::collections::HashSet<&'static str, foldhash::fast::FixedState>,
    > = std::sync::LazyLock::new(|| HELM_FUNCTIONS.iter().copied().collect());
    KNOWN.contains(name)
}

/// Every function a chart template can call: Go's, sprig's and Helm's.
pub fn all() -> Funcs {
    let mut f = super::gotmpl::funcs::builtins();
    super::sprig::register(&mut f);
    super::sprig::register_more(&mut f);
    super::nondeterministic::register(&mut f);
    super::dates::register(&mut f);
    f.insert("include", |exec, a| {
        arity("include", a, 2)?;
        let name = match &a[0] {
            Value::String(s) => s.to_string(),
            other => other.to_go_string(),
        };
        let mut out = String::new();
        if let Some(trace) = &mut exec.trace {
            trace.begin(exec.call_site.clone());
        }
        let done = exec.run_named(&name, &a[1], &mut out, None);
        if let Some(trace) = &mut exec.trace {
            trace.end(&out);
        }
        done.map_err(FuncError::Exec)?;
        Ok(Value::str(out))
    });
    f.insert("tpl", |exec, a| {
        arity("tpl", a, 2)?;
        let text = match &a[0] {
            Value::String(s) => s.to_string(),
            other => other.to_go_string(),
        };
        // Helm parses the text as its engine's root template, whatever called `tpl`.
        let name = crate::helm::gotmpl::exec::TPL_NAME;
        // Helm quotes the whole text here; it is most often a chart value, which may be a
        // secret, so strata names it without quoting it (`crate::redact`'s rule).
        let set: TemplateSet = exec.set.with(name, &text).map_err(|e| {
            FuncError::Call(format!("cannot parse template {TPL_TEXT_WITHHELD}: {e}"))
        })?;
        let mut inner = exec.inner(&set, name);
        let mut out = String::new();
        let result = inner.run_named(name, &a[1], &mut out, None);
        exec.seeded_calls = inner.seeded_calls;
        exec.warnings.append(&mut inner.warnings);
        exec.changed.append(&mut inner.changed);
        result.map_err(|e| {
            FuncError::Call(format!(
                "error during tpl function execution for {}: {}",
                go_quote(&text),
                e.message
            ))
        })?;
        Ok(Value::str(out.replace("<no value>", "")))
    });
    f.insert("required", |_, a| {
        arity("required", a, 2)?;
        let missing = match &a[1] {
            Value::Nil => true,
            Value::String(s) => s.is_empty(),
            _ => false,
        };
        if missing {
            let msg = match &a[0] {
                Value::String(s) => s.to_string(),
                other => other.to_go_string(),
            };
            return fail(format!("{USER_ERROR_START}{msg}{USER_ERROR_END}"));
        }
        Ok(a[1].clone())
    });
    f.insert("fail", |_, a| {
        arity("fail", a, 1)?;
        let msg = match &a[0] {
            Value::String(s) => s.to_string(),
            other => other.to_go_string(),
        };
        fail(format!("{USER_ERROR_START}{msg}{USER_ERROR_END}"))
    });
    // toYaml and the JSON functions go through encoding/json: a value it refuses (a
    // NaN, a time RFC 3339 cannot write) makes the quiet ones print nothing and the
    // others fail with Go's error.
    f.insert("toYaml", |_, a| {
        arity("toYaml", a, 1)?;
        if json_marshal_error(&a[0]).is_some() {
            return Ok(Value::str(""));
        }
        Ok(Value::str(to_yaml(&a[0])))
    });
    f.insert("mustToYaml", |_, a| {
        arity("mustToYaml", a, 1)?;
        if let Some(e) = json_marshal_error(&a[0]) {
            return fail(format!("error marshaling into JSON: {e}"));
        }
        Ok(Value::str(to_yaml(&a[0])))
    });
    f.insert("toYamlPretty", |_, a| {
        arity("toYamlPretty", a, 1)?;
        Ok(Value::str(to_yaml(&a[0])))
    });
    f.insert("fromYaml", |_, a| {
        arity("fromYaml", a, 1)?;
        Ok(from_yaml(&str_of(&a[0]), false))
    });
    f.insert("fromYamlArray", |_, a| {
        arity("fromYamlArray", a, 1)?;
        Ok(from_yaml(&str_of(&a[0]), true))
    });
    f.insert("toJson", |_, a| {
        arity("toJson", a, 1)?;
        if json_marshal_error(&a[0]).is_some() {
            return Ok(Value::str(""));
        }
        Ok(Value::str(escape_html(&go_json(&a[0].to_json(), false))))
    });
    f.insert("mustToJson", |_, a| {
        arity("mustToJson", a, 1)?;
        if let Some(e) = json_marshal_error(&a[0]) {
            return fail(e);
        }
        Ok(Value::str(escape_html(&go_json(&a[0].to_json(), false))))
    });
    // sprig's toRawJson panics where its encoder fails.
    f.insert("toRawJson", |_, a| {
        arity("toRawJson", a, 1)?;
        if let Some(e) = json_marshal_error(&a[0]) {
            return fail(e);
        }
        Ok(Value::str(go_json(&a[0].to_json(), false)))
    });
    f.insert("toPrettyJson", |_, a| {
        arity("toPrettyJson", a, 1)?;
        if json_marshal_error(&a[0]).is_some() {
            return Ok(Value::str(""));
        }
        Ok(Value::str(escape_html(&go_json(&a[0].to_json(), true))))
    });
    f.insert("fromJson", |_, a| {
        arity("fromJson", a, 1)?;
        Ok(
            match serde_json::from_str::<serde_json::Value>(&str_of(&a[0])) {
                Ok(v @ serde_json::Value::Object(_)) => Value::from_json(&v),
                Ok(serde_json::Value::Null) => Value::map(BTreeMap::new()),
                // Go's json.Unmarshal into a map refuses any other JSON value.
                Ok(v) => Value::map(BTreeMap::from([(
                    "Error".to_string(),
                    Value::str(format!(
                        "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                        json_kind(&v)
                    )),
                )])),
                Err(e) => Value::map(BTreeMap::from([(
                    "Error".to_string(),
                    Value::str(e.to_string()),
                )])),
            },
        )
    });
    f.insert("fromJsonArray", |_, a| {
        arity("fromJsonArray", a, 1)?;
        Ok(
            match serde_json::from_str::<serde_json::Value>(&str_of(&a[0])) {
                Ok(v @ serde_json::Value::Array(_)) => Value::from_json(&v),
                Ok(serde_json::Value::Null) => Value::list(Vec::new()),
                Ok(v) => Value::list(vec![Value::str(format!(
                    "json: cannot unmarshal {} into Go value of type []interface {{}}",
                    json_kind(&v)
                ))]),
                Err(e) => Value::list(vec![Value::str(e.to_string())]),
            },
        )
    });
    // sprig's own (Helm keeps it): any JSON value, and an error where it does not parse.
    f.insert("mustFromJson", |_, a| {
        arity("mustFromJson", a, 1)?;
        serde_json::from_str::<serde_json::Value>(&str_of(&a[0]))
            .map(|v| Value::from_json(&v))
            .or_else(|e| fail(e.to_string()))
    });
    // BurntSushi/toml's encoder: toToml prints its error, mustToToml fails with it; a
    // Go panic under it (a nil value) fails both.
    f.insert("toToml", |_, a| {
        arity("toToml", a, 1)?;
        match super::toml::to_toml(&a[0]) {
            Ok(text) | Err(super::toml::EncodeError::Toml(text)) => Ok(Value::str(text)),
            Err(super::toml::EncodeError::Panic(msg)) => fail(msg),
        }
    });
    f.insert("mustToToml", |_, a| {
        arity("mustToToml", a, 1)?;
        match super::toml::to_toml(&a[0]) {
            Ok(text) => Ok(Value::str(text)),
            Err(super::toml::EncodeError::Toml(msg) | super::toml::EncodeError::Panic(msg)) => {
                fail(msg)
            }
        }
    });
    f.insert("fromToml", |_, a| {
        arity("fromToml", a, 1)?;
        Ok(super::toml::from_toml(&str_of(&a[0])))
    });
    f.insert("lookup", |_, a| {
        arity("lookup", a, 4)?;
        Ok(Value::map(BTreeMap::new()))
    });
    super::sprig::register_aliases(&mut f);
    f
}

/// The error Go's `json.Marshal` stops at for `v`, in its order (map keys sorted): a
/// float JSON has no number for, a time RFC 3339 cannot write, or a map or list that
/// contains itself (`set $d "self" $d`), which would otherwise be encoded forever.
fn json_marshal_error(v: &Value) -> Option<String> {
    // Go starts looking for a cycle a thousand maps and lists down, and names the one
    // it then meets twice.
    const CYCLES_AFTER: usize = 1000;
    fn walk(v: &Value, level: usize, seen: &mut HashSet<*const ()>) -> Option<String> {
        let (ptr, kind): (*const (), &str) = match v {
            Value::Float(f) if !f.is_finite() => {
                return Some(format!(
                    "json: unsupported value: {}",
                    super::gotmpl::value::format_float_g(*f)
                ))
            }
            Value::Map(m) => (Rc::as_ptr(m).cast(), "map[string]interface {}"),
            Value::List(l) => (Rc::as_ptr(l).cast(), "[]interface {}"),
            Value::Object(o) => {
                let t = o.as_any()?.downcast_ref::<super::dates::GoTime>()?;
                let why = t.rfc3339_error()?;
                return Some(format!(
                    "json: error calling MarshalJSON for type time.Time: Time.MarshalJSON: {why}"
                ));
            }
            _ => return None,
        };
        let level = level + 1;
        if level > MAX_VALUE_DEPTH {
            // Not a cycle (Go would have met it twice by now): too deep to encode here.
            super::gotmpl::value::give_up();
            return None;
        }
        let tracked = level > CYCLES_AFTER;
        if tracked && !seen.insert(ptr) {
            return Some(format!(
                "json: unsupported value: encountered a cycle via {kind}"
            ));
        }
        let found = match v {
            Value::Map(m) => m.borrow().values().find_map(|v| walk(v, level, seen)),
            Value::List(l) => l.iter().find_map(|v| walk(v, level, seen)),
            _ => None,
        };
        if tracked {
            seen.remove(&ptr);
        }
        found
    }
    walk(v, 0, &mut HashSet::new())
}

fn str_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Nil => String::new(),
        other => other.to_go_string(),
    }
}

/// `toYaml`: through JSON, keys sorted, go-yaml's output, no final newline.
pub fn to_yaml(v: &Value) -> String {
    let text = crate::yaml::to_yaml(&v.to_json());
    text.strip_suffix('\n').unwrap_or(&text).to_string()
}

fn from_yaml(text: &str, array: bool) -> Value {
    match crate::yaml::parse_stream_helm(text) {
        Ok(docs) => {
            let v = docs
                .into_iter()
                .map(|d| d.value)
                .next()
                .unwrap_or(serde_json::Value::Null);
            match (&v, array) {
                (serde_json::Value::Object(_), false) | (serde_json::Value::Array(_), true) => Value::from_json(&v),
                (serde_json::Value::Null, false) => Value::map(BTreeMap::new()),
                (serde_json::Value::Null, true) => Value::list(Vec::new()),
                (_, false) => Value::map(BTreeMap::from([(
                    "Error".to_string(),
                    Value::str("error unmarshaling JSON: json: cannot unmarshal into Go value of type map[string]interface {}"),
                )])),
                (_, true) => Value::list(Vec::new()),
            }
        }
        Err(e) => {
            let msg = format!("error converting YAML to JSON: yaml: {}", e.message);
            if array {
                Value::list(vec![Value::str(msg)])
            } else {
                Value::map(BTreeMap::from([("Error".to_string(), Value::str(msg))]))
            }
        }
    }
}

/// Go's `json.Marshal` escapes `<`, `>` and `&` for HTML safety.
/// JSON as Go's `encoding/json` writes it: floats in full below 1e21 (`12345678901234567000`),
/// else with an exponent (`1e+21`, `1.5e-7`); `pretty` indents by two spaces.
fn go_json(v: &serde_json::Value, pretty: bool) -> String {
    use serde::Serialize;
    let mut out = Vec::new();
    let done = if pretty {
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            GoFloats(serde_json::ser::PrettyFormatter::new()),
        );
        v.serialize(&mut ser)
    } else {
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            GoFloats(serde_json::ser::CompactFormatter),
        );
        v.serialize(&mut ser)
    };
    match done {
        // Go escapes the JavaScript line separators in every string it writes.
        Ok(()) => String::from_utf8(out)
            .unwrap_or_default()
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029"),
        Err(_) => String::new(),
    }
}

/// Go's `float64` text in JSON (`encoding/json`'s `floatEncoder`).
fn go_json_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // 'e' with the shortest digits; Go drops the exponent's leading zero (e-07 → e-7).
        let e = format!("{f:e}");
        let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        format!(
            "{mant}e{}{}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        )
    } else {
        // Rust's Display: the shortest digits, never an exponent (Go's 'f', -1).
        format!("{f}")
    }
}

/// A serde_json formatter that writes floats as Go does and leaves the rest to `F`.
struct GoFloats<F>(F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for GoFloats<F> {
    fn write_f64<W: ?Sized + std::io::Write>(&mut self, w: &mut W, v: f64) -> std::io::Result<()> {
        w.write_all(go_json_float(v).as_bytes())
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

fn escape_html(s: &str) -> String {
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// `.Files`: the chart's other files, with Helm's methods.
#[derive(Debug)]
pub struct Files {
    pub files: std::sync::Arc<Vec<(String, FileBytes)>>,
}

impl Object for Files {
    fn type_name(&self) -> &str {
        "chart.Files"
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    /// `range $path, $bytes := .Files.Glob "..."`: the files by path. The bytes are
    /// given as text, as `GetBytes` gives them.
    fn entries(&self) -> Option<Vec<(String, Value)>> {
        let mut files: Vec<(String, Value)> = self
            .files
            .iter()
            .map(|(n, b)| (n.clone(), Value::from_bytes(b)))
            .collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Some(files)
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let arg = |i: usize| args.get(i).map(str_of).unwrap_or_default();
        // A missing file is empty text.
        let bytes = |p: &str| {
            self.files
                .iter()
                .find(|(n, _)| n == p)
                .map_or(&[][..], |(_, b)| &b[..])
        };
        Some(Ok(match name {
            "Get" | "GetBytes" => Value::from_bytes(bytes(&arg(0))),
            "Lines" => {
                let text = String::from_utf8_lossy(bytes(&arg(0)));
                if text.is_empty() {
                    Value::list(Vec::new())
                } else {
                    Value::list(text.split('\n').map(Value::str).collect())
                }
            }
            "Glob" => {
                let Ok(glob) = globset::GlobBuilder::new(&arg(0))
                    .literal_separator(true)
                    .build()
                else {
                    return Some(Ok(Value::Object(Rc::new(Files {
                        files: Default::default(),
                    }))));
                };
                let m = glob.compile_matcher();
                let matched: Vec<_> = self
                    .files
                    .iter()
                    .filter(|(n, _)| m.is_match(n))
                    .cloned()
                    .collect();
                Value::Object(Rc::new(Files {
                    files: std::sync::Arc::new(matched),
                }))
            }
            "AsConfig" => {
                let m: BTreeMap<String, Value> = self
                    .files
                    .iter()
                    .map(|(n, b)| (base_name(n), Value::str(String::from_utf8_lossy(b))))
                    .collect();
                Value::str(to_yaml(&Value::map(m)))
            }
            "AsSecrets" => {
                let m: BTreeMap<String, Value> = self
                    .files
                    .iter()
                    .map(|(n, b)| {
                        (
                            base_name(n),
                            Value::str(base64::engine::general_purpose::STANDARD.encode(&b[..])),
                        )
                    })
                    .collect();
                Value::str(to_yaml(&Value::map(m)))
            }
            _ => return None,
        }))
    }

    fn len(&self) -> Option<usize> {
        Some(self.files.len())
    }

    fn print(&self) -> String {
        let names: Vec<String> = self.files.iter().map(|(n, _)| n.clone()).collect();
        format!(
            "map[{}]",
            names
                .iter()
                .map(|n| format!("{n}:[...]"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    }
}

fn base_name(p: &str) -> String {
    p.rsplit('/').next().unwrap_or(p).to_string()
}

/// `len .Files`-style questions are rare; `.Files` is printed and ranged as a map by
/// few charts, so it stays an object.
pub fn files_value(files: std::sync::Arc<Vec<(String, FileBytes)>>) -> Value {
    Value::Object(Rc::new(Files { files }))
}

/// `.Capabilities`: the Kubernetes version and API versions `helm template` assumes.
#[derive(Debug)]
pub struct Capabilities {
    pub kube_version: String,
    pub api_versions: Vec<String>,
}

impl Object for Capabilities {
    fn type_name(&self) -> &str {
        "*common.Capabilities"
    }

    fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "KubeVersion" => Value::Object(Rc::new(KubeVersion::new(&self.kube_version))),
            "APIVersions" => Value::Object(Rc::new(ApiVersions(self.api_versions.clone()))),
            "HelmVersion" => Value::Object(Rc::new(HelmVersion)),
            _ => return None,
        })
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "KubeVersion": KubeVersion::new(&self.kube_version).to_json(),
            "APIVersions": self.api_versions,
            "HelmVersion": HelmVersion.to_json(),
        })
    }
}

#[derive(Debug)]
struct KubeVersion {
    version: String,
    major: String,
    minor: String,
}

impl KubeVersion {
    fn new(v: &str) -> KubeVersion {
        let t = v.trim_start_matches('v');
        let mut parts = t.split('.');
        KubeVersion {
            version: format!("v{t}"),
            major: parts.next().unwrap_or("").to_string(),
            minor: parts.next().unwrap_or("").to_string(),
        }
    }
}

impl Object for KubeVersion {
    fn type_name(&self) -> &str {
        "common.KubeVersion"
    }

    fn field(&self, name: &str) -> Option<Value> {
        Some(Value::str(match name {
            "Version" | "GitVersion" => &self.version,
            "Major" => &self.major,
            "Minor" => &self.minor,
            _ => return None,
        }))
    }

    fn call(&self, name: &str, _args: &[Value]) -> Option<Result<Value, String>> {
        (name == "String").then(|| Ok(Value::str(&self.version)))
    }

    fn print(&self) -> String {
        self.version.clone()
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"Version": self.version, "Major": self.major, "Minor": self.minor})
    }
}

#[derive(Debug)]
struct ApiVersions(Vec<String>);

impl Object for ApiVersions {
    fn type_name(&self) -> &str {
        "common.VersionSet"
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        (name == "Has").then(|| {
            let want = args.first().map(str_of).unwrap_or_default();
            Ok(Value::Bool(self.0.contains(&want)))
        })
    }

    fn print(&self) -> String {
        format!("[{}]", self.0.join(" "))
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!(self.0)
    }
}

/// The Helm version charts see: the SDK strata is measured against.
#[derive(Debug)]
struct HelmVersion;

impl Object for HelmVersion {
    fn type_name(&self) -> &str {
        "version.BuildInfo"
    }

    fn field(&self, name: &str) -> Option<Value> {
        Some(Value::str(match name {
            "Version" => HELM_VERSION,
            "GitCommit" | "GitTreeState" => "",
            "GoVersion" => GO_VERSION,
            "KubeClientVersion" => KUBE_CLIENT_VERSION,
            _ => return None,
        }))
    }

    fn print(&self) -> String {
        format!("{{{HELM_VERSION}   {GO_VERSION} {KUBE_CLIENT_VERSION}}}")
    }

    /// `version.BuildInfo`'s JSON names; the empty git fields are `omitempty`.
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "version": HELM_VERSION,
            "go_version": GO_VERSION,
            "kube_client_version": KUBE_CLIENT_VERSION,
        })
    }
}

pub const HELM_VERSION: &str = "v4.2";
const GO_VERSION: &str = "go1.26.6";
const KUBE_CLIENT_VERSION: &str = "v1.36";

/// The Kubernetes version `helm template` assumes without `--kube-version`.
pub const DEFAULT_KUBE_VERSION: &str = "v1.36.0";

/// The API versions `helm template` assumes without `--api-versions` (Helm v4's
/// default set, read off the SDK by `scripts/regen-helm.py`).
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha2",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

/// How Go's encoding/json names a JSON value's kind in its errors.
fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Null => "null",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_glob_is_false_as_an_empty_go_map_is() {
        // bitnami's apache: `if and (.Files.Glob "files/vhosts/*.conf") ...`.
        let files = Value::Object(std::rc::Rc::new(Files {
            files: std::sync::Arc::new(vec![(
                "files/a.conf".to_string(),
                FileBytes::Shared(b"x".to_vec().into()),
            )]),
        }));
        let Value::Object(o) = &files else {
            unreachable!()
        };
        let glob = |p: &str| o.call("Glob", &[Value::str(p)]).unwrap().unwrap();
        assert!(!glob("files/vhosts/*.conf").truthy());
        assert!(glob("files/*.conf").truthy());
        assert!(files.truthy());
    }
}

#[cfg(test)]
mod json_tests {
    use super::super::gotmpl::exec::TemplateSet;
    use super::*;

    fn run(src: &str) -> Result<String, String> {
        let mut set = TemplateSet::new(all());
        set.add("t", src).map_err(|e| e.message)?;
        set.execute("t", &Value::Nil).map_err(|e| e.message)
    }

    fn run_with(src: &str, data: serde_json::Value) -> Result<String, String> {
        let mut set = TemplateSet::new(all());
        set.add("t", src).map_err(|e| e.message)?;
        set.execute("t", &Value::from_json(&data))
            .map_err(|e| e.message)
    }

    #[test]
    fn abbreviations_cut_bytes_without_panicking_inside_a_character() {
        // Go cuts bytes; a cut inside "é" was a panic (fixtures/helm/sprig-extra has the
        // ASCII cases, compared with Helm).
        assert_eq!(
            run(r#"{{ abbrev 5 "aéééé" }}|{{ abbrevboth 5 7 "aéééééééé" }}"#).unwrap(),
            "a\u{FFFD}...|...\u{FFFD}..."
        );
    }

    #[test]
    fn paths_clean_as_go_path_does() {
        // DataDog's datadog chart calls `clean`.
        assert_eq!(
            run(r#"{{ clean "a//b/./../c/" }} {{ clean "/../x" }} {{ clean "" }} {{ osClean "../a/.." }}"#)
                .unwrap(),
            "a/c /x . .."
        );
        assert_eq!(
            run(r#"{{ dir "a//b" }} {{ osDir "/a" }} {{ dir "x" }} {{ osBase "a/b.c" }} {{ osExt "a/b.c" }}"#)
                .unwrap(),
            "a / . b.c .c"
        );
        assert_eq!(
            run(r#"{{ typeIsLike "string" "x" }} {{ maxf 1 2.5 }} {{ minf 3 1.5 }} {{ add1f 1.5 }} {{ hello }}"#)
                .unwrap(),
            "true 2.5 1.5 2.5 Hello!"
        );
    }

    #[test]
    fn string_parameters_refuse_what_go_refuses() {
        // Helm fails these (Go's evalArg/validateType); strata read them as text.
        let data = serde_json::json!({"n": null, "num": 3.0, "m": {"a": 1}, "s": "x"});
        let err = |src: &str| run_with(src, data.clone()).unwrap_err();
        assert_eq!(
            err("{{ upper .nope }}"),
            "template: t:1:9: executing \"t\" at <.nope>: wrong type for value; expected string; got interface {}"
        );
        assert_eq!(
            err("{{ .n | trimSuffix \"-\" }}"),
            "template: t:1:19: executing \"t\" at <\"-\">: invalid value; expected string"
        );
        assert_eq!(
            err("{{ .n | b64enc }}"),
            "template: t:1:8: executing \"t\" at <b64enc>: invalid value; expected string"
        );
        assert!(err("{{ indent 2 .num }}")
            .ends_with("wrong type for value; expected string; got float64"));
        assert!(err("{{ tpl .m . }}").ends_with("expected string; got map[string]interface {}"));
        assert!(err("{{ lower nil }}").ends_with("at <nil>: cannot assign nil to string"));
        assert!(err("{{ upper 1 }}").ends_with("at <1>: expected string; found 1"));
        // Strings, and values that are not checked, still pass.
        assert_eq!(
            run_with(
                "{{ .s | upper }}{{ quote .n }}{{ .num | toString | upper }}",
                data
            )
            .unwrap(),
            "X3"
        );
    }

    #[test]
    fn from_json_is_helms_map_and_must_from_json_is_sprigs_any_value() {
        // opentelemetry-demo ranges over `mustFromJson` of a JSON list.
        assert_eq!(
            run(r#"{{ mustFromJson "[1,2]" }} {{ mustFromJson "\"s\"" }}"#).unwrap(),
            "[1 2] s"
        );
        assert_eq!(
            run(r#"{{ fromJson "[1,2]" }}"#).unwrap(),
            "map[Error:json: cannot unmarshal array into Go value of type map[string]interface {}]"
        );
        assert_eq!(run(r#"{{ fromJson "null" }}"#).unwrap(), "map[]");
        assert_eq!(
            run(r#"{{ fromJsonArray "{}" }}"#).unwrap(),
            "[json: cannot unmarshal object into Go value of type []interface {}]"
        );
        assert!(run(r#"{{ mustFromJson "[" }}"#).is_err());
    }

    #[test]
    fn helm_function_names_are_sorted_and_hold_every_function_strata_has() {
        assert!(HELM_FUNCTIONS.windows(2).all(|w| w[0] < w[1]));
        let mut strata_only: Vec<&str> = all()
            .keys()
            .copied()
            .filter(|f| !is_helm_function(f))
            .collect();
        strata_only.sort();
        assert!(strata_only.is_empty(), "{strata_only:?}");
        assert!(
            is_helm_function("and") && is_helm_function("toYaml") && is_helm_function("shuffle")
        );
        assert!(!is_helm_function("env") && !is_helm_function("expandenv"));
    }
}
