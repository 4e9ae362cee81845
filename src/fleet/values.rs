//! Chart values: Helm-style layering, `--set` expressions and JSON Schema checks.
//!
//! Pure functions over `serde_json::Value`; the caller reads the files.
//!
//! * [`merge_values`] layers one values document over another as Helm layers
//!   `values.yaml`, `-f` files and `--set`: maps merge key by key, lists and
//!   scalars are replaced whole, and a `null` deletes the key.
//! * [`parse_set`] / [`apply_set`] / [`set_values`] handle `--set a.b=1,c[0].d=x`.
//! * [`check_schema`] validates values against `values.schema.json`
//!   (draft 7, 2019-09 or 2020-12, picked from `$schema`; no network, no files:
//!   a `$ref` to another document is reported as an invalid schema).

use serde_json::{Map, Value};

/// Largest list index `--set` accepts (Helm's limit), so `a[99999999]=1` cannot
/// allocate a huge list.
const MAX_INDEX: usize = 65_536;

/// Layers `overlay` over `base`, in place.
///
/// * both maps: merged key by key, recursively;
/// * a `null` in the overlay deletes the key (also inside maps the overlay adds);
/// * anything else (lists, scalars, a map over a scalar or the reverse) replaces
///   the base value whole.
///
/// Layers are applied one after the other, so a key deleted by one layer and set
/// again by a later one starts afresh (Helm merges all user files first and only
/// then deletes against the chart's defaults; strata's order is the intuitive one).
pub fn merge_values(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => merge_maps(b, o),
        (base, Value::Object(o)) => {
            let mut fresh = Map::new();
            merge_maps(&mut fresh, o);
            *base = Value::Object(fresh);
        }
        (base, overlay) => *base = overlay.clone(),
    }
}

fn merge_maps(base: &mut Map<String, Value>, overlay: &Map<String, Value>) {
    for (key, value) in overlay {
        match value {
            Value::Null => {
                base.remove(key);
            }
            Value::Object(_) => {
                let slot = base
                    .entry(key.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                merge_values(slot, value);
            }
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// One step of a `--set` path: a map key (`a`, or `a\.b` for a key containing a dot)
/// or a list index (`[0]`). The same steps as a validation finding's path, so one
/// function writes both (`validate::dotted`).
pub use crate::validate::schema::Seg as SetSegment;

/// One `path=value` assignment of a `--set` expression.
#[derive(Clone, Debug, PartialEq)]
pub struct SetAssignment {
    /// Never empty; always starts with a [`SetSegment::Key`].
    pub path: Vec<SetSegment>,
    /// The typed value (`true`, `false`, `null`, integers are typed; the rest are strings).
    pub value: Value,
}

impl SetAssignment {
    /// The path as it was written (`a.b[0].c`), for messages that must not show the value.
    pub fn key(&self) -> String {
        crate::validate::dotted(&self.path)
    }
}

/// Parses a `--set` expression as Helm does for the common cases:
///
/// * `a.b.c=v`: dotted path; `a\.b=v` for a key containing a dot;
/// * `a=1,b=2`: several assignments; `\,` for a comma inside a value;
/// * `list[0]=x`, `list[1].name=y`: list indexes (at most 65536);
/// * `list={a,b}`: a whole list;
/// * values: `true`/`false`/`null` (any case) and integers without a leading zero
///   become typed, `0` is the integer 0, everything else (floats included) is a string,
///   `a=` is the empty string;
/// * `\` escapes the next character anywhere.
pub fn parse_set(expr: &str) -> Result<Vec<SetAssignment>, String> {
    parse_set_as(expr, SetStyle::Typed)
}

/// How the values of a `--set`-like flag are read (Helm's `--set` and its siblings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetStyle {
    /// `--set`: typed as [`parse_set`] says.
    Typed,
    /// `--set-string` (and `--set-file`, whose values are paths): every value a string.
    Strings,
    /// `--set-json`: each value one JSON value (`a={"b":[1,2]},c=true`).
    Json,
    /// `--set-literal`: one key, and everything after its `=` as it is.
    Literal,
}

impl SetStyle {
    fn flag(self) -> &'static str {
        match self {
            SetStyle::Typed => "--set",
            SetStyle::Strings => "--set-string",
            SetStyle::Json => "--set-json",
            SetStyle::Literal => "--set-literal",
        }
    }
}

/// [`parse_set`] for the flag of `style`.
pub fn parse_set_as(expr: &str, style: SetStyle) -> Result<Vec<SetAssignment>, String> {
    let mut parser = SetParser {
        chars: expr.chars().collect(),
        pos: 0,
        expr,
        style,
    };
    let mut out = Vec::new();
    loop {
        let path = parser.path()?;
        let value = match style {
            SetStyle::Literal => {
                let rest: String = parser.chars[parser.pos..].iter().collect();
                parser.pos = parser.chars.len();
                Value::String(rest)
            }
            SetStyle::Json => parser.json()?,
            SetStyle::Typed | SetStyle::Strings => parser.value()?,
        };
        out.push(SetAssignment { path, value });
        match parser.next() {
            None => return Ok(out),
            Some(',') => {
                if parser.peek().is_none() {
                    return Ok(out);
                }
            }
            Some(c) => return Err(parser.error(&format!("unexpected {c:?} after a value"))),
        }
    }
}

struct SetParser<'a> {
    chars: Vec<char>,
    pos: usize,
    expr: &'a str,
    style: SetStyle,
}

impl SetParser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn error(&self, what: &str) -> String {
        // No position: it would point into the values the message leaves out.
        let form = match self.style {
            SetStyle::Literal => "key.sub[0].name=any text",
            SetStyle::Json => "key.sub[0].name=JSON,other=JSON",
            SetStyle::Typed | SetStyle::Strings => "key.sub[0].name=value,other=value",
        };
        // A JSON or literal value may hold commas and `=`: only the first key is
        // surely a key.
        let keys = match self.style {
            SetStyle::Json | SetStyle::Literal => match self.expr.split_once('=') {
                Some((key, _))
                    if key
                        .chars()
                        .all(|c| c.is_alphanumeric() || "._-/[]".contains(c)) =>
                {
                    format!("{key}=…")
                }
                _ => "…".to_string(),
            },
            SetStyle::Typed | SetStyle::Strings => keys_only(self.expr),
        };
        format!("{} {keys:?}: {what}; the form is {form}", self.style.flag())
    }

    /// Reads `a.b[0].c` up to and including `=`.
    fn path(&mut self) -> Result<Vec<SetSegment>, String> {
        let mut path = Vec::new();
        let mut key = String::new();
        let mut key_open = true; // a key is expected (start, or after a dot)
        loop {
            match self.next() {
                None => {
                    let shown: String = key.clone();
                    return Err(self.error(&format!("key {shown:?} has no value (missing `=`)")));
                }
                Some('\\') => match self.next() {
                    Some(c) => key.push(c),
                    None => return Err(self.error("`\\` at the end")),
                },
                Some('=') => {
                    if key_open {
                        if key.is_empty() {
                            return Err(self.error("empty key before `=`"));
                        }
                        path.push(SetSegment::Key(std::mem::take(&mut key)));
                    }
                    return Ok(path);
                }
                Some('.') => {
                    if key_open {
                        if key.is_empty() {
                            return Err(self.error("empty key before `.`"));
                        }
                        path.push(SetSegment::Key(std::mem::take(&mut key)));
                    }
                    key_open = true;
                }
                Some('[') => {
                    if key_open {
                        if key.is_empty() && path.is_empty() {
                            return Err(self.error("a list index needs a key before it"));
                        }
                        if !key.is_empty() {
                            path.push(SetSegment::Key(std::mem::take(&mut key)));
                        } else {
                            return Err(self.error("empty key before `[`"));
                        }
                    }
                    let mut digits = String::new();
                    loop {
                        match self.next() {
                            Some(']') => break,
                            Some(c) if c.is_ascii_digit() => digits.push(c),
                            _ => return Err(self.error("a list index is digits in `[ ]`")),
                        }
                    }
                    let index: usize = digits
                        .parse()
                        .map_err(|_| self.error("a list index is digits in `[ ]`"))?;
                    if index > MAX_INDEX {
                        return Err(
                            self.error(&format!("list index {index} is larger than {MAX_INDEX}"))
                        );
                    }
                    path.push(SetSegment::Index(index));
                    key_open = false;
                    if !matches!(self.peek(), Some('.' | '[' | '=')) {
                        return Err(self.error("expected `.`, `[` or `=` after `]`"));
                    }
                }
                Some(',') if key_open => {
                    return Err(self.error(&format!("key {key:?} has no value (missing `=`)")));
                }
                Some(c) => key.push(c),
            }
        }
    }

    /// Reads a value up to (not including) the `,` that ends it, or the end.
    fn value(&mut self) -> Result<Value, String> {
        if self.peek() == Some('{') {
            self.pos += 1;
            let mut items = Vec::new();
            if self.peek() == Some('}') {
                self.pos += 1;
                return Ok(Value::Array(items));
            }
            loop {
                let (raw, end) = self.scalar(&[',', '}']);
                items.push(self.typed(raw));
                match end {
                    Some(',') => continue,
                    Some('}') => return Ok(Value::Array(items)),
                    _ => return Err(self.error("list value `{...` has no closing `}`")),
                }
            }
        }
        let (raw, end) = self.scalar(&[',']);
        if end == Some(',') {
            self.pos -= 1; // leave the separator for the caller
        }
        Ok(self.typed(raw))
    }

    fn typed(&self, raw: String) -> Value {
        match self.style {
            SetStyle::Typed => typed(&raw),
            _ => Value::String(raw),
        }
    }

    /// One JSON value, up to the `,` after it or the end.
    fn json(&mut self) -> Result<Value, String> {
        let rest: String = self.chars[self.pos..].iter().collect();
        let mut values = serde_json::Deserializer::from_str(&rest).into_iter::<Value>();
        match values.next() {
            Some(Ok(v)) => {
                self.pos += rest[..values.byte_offset()].chars().count();
                Ok(v)
            }
            // serde's message would quote the text around the error: it may be a secret.
            _ => Err(self.error("a value is not one JSON value")),
        }
    }

    /// Reads characters up to one of `stops` (consumed and returned) or the end.
    fn scalar(&mut self, stops: &[char]) -> (String, Option<char>) {
        let mut raw = String::new();
        while let Some(c) = self.next() {
            if c == '\\' {
                if let Some(escaped) = self.next() {
                    raw.push(escaped);
                }
            } else if stops.contains(&c) {
                return (raw, Some(c));
            } else {
                raw.push(c);
            }
        }
        (raw, None)
    }
}

/// A `--set` expression with each value replaced by `…`, for messages: the values
/// may be secrets ([`crate::redact`]), the keys are what the user needs to see.
fn keys_only(expr: &str) -> String {
    let mut out = String::new();
    let mut in_value = false;
    let mut chars = expr.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next();
                if !in_value {
                    out.push(c);
                    out.extend(next);
                }
            }
            '=' if !in_value => {
                out.push_str("=…");
                in_value = true;
            }
            ',' if in_value => {
                out.push(',');
                in_value = false;
            }
            _ if in_value => {}
            _ => out.push(c),
        }
    }
    out
}

/// Helm's typing of `--set` values.
fn typed(raw: &str) -> Value {
    if raw.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if raw.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if raw.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    if raw == "0" {
        return Value::from(0);
    }
    if !raw.starts_with('0') {
        if let Ok(i) = raw.parse::<i64>() {
            // Rust accepts a leading `+`, Go's ParseInt too: same result.
            return Value::from(i);
        }
    }
    Value::String(raw.to_string())
}

/// Applies one assignment to `values`, in place.
///
/// Maps and lists are created along the path as needed; a value of the wrong kind
/// on the way (a string where the path needs a map) is replaced, as Helm does.
/// A list index past the end pads the list with `null`. Assigning `null` deletes
/// the key (or sets the list element to `null`).
///
/// Unlike Helm, which builds the `--set` values apart and then *replaces* lists,
/// `list[1]=x` edits element 1 of the list already in `values`.
pub fn apply_set(values: &mut Value, path: &[SetSegment], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        *values = value;
        return;
    };
    match first {
        SetSegment::Key(key) => {
            if !values.is_object() {
                *values = Value::Object(Map::new());
            }
            let Value::Object(map) = values else { return };
            if rest.is_empty() {
                if value.is_null() {
                    map.remove(key);
                } else {
                    map.insert(key.clone(), value);
                }
                return;
            }
            let slot = map.entry(key.clone()).or_insert(Value::Null);
            apply_set(slot, rest, value);
        }
        SetSegment::Index(index) => {
            if !values.is_array() {
                *values = Value::Array(Vec::new());
            }
            let Value::Array(list) = values else { return };
            let index = (*index).min(MAX_INDEX);
            if list.len() <= index {
                list.resize(index + 1, Value::Null);
            }
            apply_set(&mut list[index], rest, value);
        }
    }
}

/// Parses `expr` with [`parse_set`] and applies every assignment in order.
pub fn set_values(values: &mut Value, expr: &str) -> Result<(), String> {
    for assignment in parse_set(expr)? {
        apply_set(values, &assignment.path, assignment.value);
    }
    Ok(())
}

/// One way a document breaks its schema, said without quoting the value
/// ([`crate::redact`]): where, and which constraint failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaProblem {
    /// JSON pointer of the failing value (`""` for the document).
    pub pointer: String,
    /// The key the problem is about when it names one (an unexpected or a missing key).
    pub key: Option<String>,
    /// What is wrong, after the subject: `does not match the pattern ^ok-`.
    pub message: String,
}

impl SchemaProblem {
    /// The failing place as a dotted path under `root`: `values.image.tag`,
    /// `values.ports[1]`, `values` for the document itself.
    pub fn place(&self, root: &str) -> String {
        let mut out = root.to_string();
        for seg in self.pointer.split('/').skip(1) {
            let seg = seg.replace("~1", "/").replace("~0", "~");
            if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
                out.push_str(&format!("[{seg}]"));
            } else {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&seg);
            }
        }
        out
    }
}

/// Validates `values` against a JSON Schema (draft 7, 2019-09 or 2020-12, from its
/// `$schema`; 2020-12 when absent). Offline: references to other documents fail.
///
/// `Ok` lists every problem (none: the values are valid); each is built from the
/// failed keyword and the schema, never from the value (jsonschema's own messages
/// quote it, and chart values may be secrets). `Err` is an unusable schema, in a
/// message naming `schema_file`.
pub fn check_schema(
    values: &Value,
    schema: &crate::memo::JsonSchema,
    schema_file: &str,
) -> Result<Vec<SchemaProblem>, String> {
    let validator = schema.compiled.as_ref().map_err(|e| {
        // The meta-schema check reports where in the user's schema the problem is.
        let at = e.instance_path().as_str();
        let at = if at.is_empty() {
            String::new()
        } else {
            format!(" at {at}")
        };
        format!(
            "{schema_file} is not a usable JSON Schema{at}: {e} (fix the schema; references to other files or URLs are not followed)"
        )
    })?;
    let mut problems: Vec<SchemaProblem> = Vec::new();
    for error in validator.iter_errors(values) {
        let (key, message) = describe(error.kind(), error.instance());
        let problem = SchemaProblem {
            pointer: error.instance_path().as_str().to_string(),
            key,
            message,
        };
        if !problems.contains(&problem) {
            problems.push(problem);
        }
    }
    Ok(problems)
}

/// A failed keyword in words, from the schema's side only: the key it names, if any,
/// and the message. The instance is used for its JSON type, never its content.
fn describe(
    kind: &jsonschema::error::ValidationErrorKind,
    instance: &Value,
) -> (Option<String>, String) {
    use jsonschema::error::{TypeKind, ValidationErrorKind as K};
    let keys = |ks: &[String]| {
        ks.iter()
            .map(|k| format!("'{k}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let first = |ks: &[String]| ks.first().cloned();
    let message = match kind {
        K::AdditionalProperties { unexpected } | K::UnevaluatedProperties { unexpected } => {
            return (
                first(unexpected),
                format!(
                    "has the key{} {} that the schema does not allow",
                    if unexpected.len() == 1 { "" } else { "s" },
                    keys(unexpected)
                ),
            )
        }
        K::Required { property } => {
            let name = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_string);
            return (Some(name.clone()), format!("needs the key '{name}'"));
        }
        K::Type { kind } => {
            let want: Vec<String> = match kind {
                TypeKind::Single(t) => vec![t.to_string()],
                TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect(),
            };
            format!(
                "is {} where the schema wants {}",
                crate::redact::kind_of(instance),
                want.join(" or ")
            )
        }
        K::Pattern { pattern } => format!("does not match the pattern {pattern}"),
        K::BacktrackLimitExceeded { .. } | K::RegexEngineFailure { .. } => {
            "cannot be checked against its pattern (the pattern is too costly)".to_string()
        }
        K::Enum { options } => {
            let list: Vec<String> = match &**options {
                Value::Array(items) => items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect(),
                other => vec![other.to_string()],
            };
            format!("is not one of the allowed values: {}", list.join(", "))
        }
        K::Constant { expected_value } => format!("is not the required value {expected_value}"),
        K::Minimum { limit } => format!("is less than the minimum of {limit}"),
        K::Maximum { limit } => format!("is greater than the maximum of {limit}"),
        K::ExclusiveMinimum { limit } => format!("is not greater than {limit}"),
        K::ExclusiveMaximum { limit } => format!("is not less than {limit}"),
        K::MultipleOf { multiple_of } => format!("is not a multiple of {multiple_of}"),
        K::MinLength { limit } => format!("is shorter than {limit} characters"),
        K::MaxLength { limit } => format!("is longer than {limit} characters"),
        K::MinItems { limit } => format!("has fewer than {limit} items"),
        K::MaxItems { limit } => format!("has more than {limit} items"),
        K::AdditionalItems { limit } => format!("has more than {limit} items"),
        K::MinProperties { limit } => format!("has fewer than {limit} keys"),
        K::MaxProperties { limit } => format!("has more than {limit} keys"),
        K::UniqueItems => "has duplicate items".to_string(),
        K::Contains => "has no item that matches `contains`".to_string(),
        K::UnevaluatedItems { .. } => "has items the schema does not allow".to_string(),
        K::Format { format } => format!("is not a valid {format}"),
        K::ContentEncoding { content_encoding }
        | K::ContentMediaType {
            content_media_type: content_encoding,
        } => {
            format!("is not valid {content_encoding} content")
        }
        K::FromUtf8 { .. } => "is not valid base64-encoded UTF-8".to_string(),
        K::AnyOf { .. } => "matches none of the schemas of `anyOf`".to_string(),
        K::OneOfNotValid { .. } => "matches none of the schemas of `oneOf`".to_string(),
        K::OneOfMultipleValid { .. } => "matches more than one schema of `oneOf`".to_string(),
        K::Not { .. } => "matches a schema it must not (`not`)".to_string(),
        K::FalseSchema => "is not allowed here (the schema is `false`)".to_string(),
        K::PropertyNames { .. } => "has a key that `propertyNames` does not allow".to_string(),
        K::Custom { keyword, .. } => format!("fails `{keyword}`"),
        K::Referencing(e) => format!("cannot be checked: {e}"),
    };
    (None, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_styles_read_values_as_helms_flags_do() {
        let values = |expr: &str, style| -> Vec<Value> {
            parse_set_as(expr, style)
                .unwrap()
                .into_iter()
                .map(|a| a.value)
                .collect()
        };
        assert_eq!(
            values("a=true,b=07,c={1,null}", SetStyle::Strings),
            [json!("true"), json!("07"), json!(["1", "null"])]
        );
        assert_eq!(
            values(r#"a={"b":[1,"x,y"]},c=null,d="s""#, SetStyle::Json),
            [json!({"b": [1, "x,y"]}), Value::Null, json!("s")]
        );
        assert_eq!(
            values(r"a=x,b=y\z=", SetStyle::Literal),
            [json!(r"x,b=y\z=")]
        );
        let err = parse_set_as(r#"key={"user":"u","password":"pw"#, SetStyle::Json).unwrap_err();
        assert!(
            err.starts_with("--set-json \"key=…\":") && !err.contains("pw"),
            "{err}"
        );
        let err = parse_set_as(r#"{"password":"a=b"}"#, SetStyle::Json).unwrap_err();
        assert!(
            err.starts_with("--set-json \"…\":") && !err.contains("password"),
            "{err}"
        );
    }

    fn merged(base: Value, overlay: Value) -> Value {
        let mut base = base;
        merge_values(&mut base, &overlay);
        base
    }

    #[test]
    fn merge_maps_deeply() {
        let out = merged(
            json!({"image": {"repo": "web", "tag": "1.0"}, "replicas": 1}),
            json!({"image": {"tag": "2.0"}, "extra": {"a": 1}}),
        );
        assert_eq!(
            out,
            json!({"image": {"repo": "web", "tag": "2.0"}, "replicas": 1, "extra": {"a": 1}})
        );
    }

    #[test]
    fn merge_replaces_lists_and_scalars_whole() {
        let out = merged(
            json!({"hosts": ["a", "b", "c"], "port": 80, "tls": {"on": true}, "s": "x"}),
            json!({"hosts": ["z"], "port": "http", "tls": false, "s": {"k": 1}}),
        );
        assert_eq!(
            out,
            json!({"hosts": ["z"], "port": "http", "tls": false, "s": {"k": 1}})
        );
    }

    #[test]
    fn merge_null_deletes() {
        let out = merged(
            json!({"a": {"b": 1, "c": 2}, "d": 3}),
            json!({"a": {"b": null}, "d": null, "absent": null, "new": {"x": null, "y": 1}}),
        );
        assert_eq!(out, json!({"a": {"c": 2}, "new": {"y": 1}}));
        // Nulls inside lists are values, not deletions.
        assert_eq!(
            merged(json!({}), json!({"l": [null, 1]})),
            json!({"l": [null, 1]})
        );
        // Layers in order: deleted by one layer, set again by the next.
        let mut v = json!({"a": {"b": 1}});
        merge_values(&mut v, &json!({"a": null}));
        merge_values(&mut v, &json!({"a": {"c": 2}}));
        assert_eq!(v, json!({"a": {"c": 2}}));
    }

    fn set(values: Value, expr: &str) -> Value {
        let mut values = values;
        set_values(&mut values, expr).unwrap();
        values
    }

    #[test]
    fn set_paths_and_types() {
        assert_eq!(
            set(json!({}), "a.b.c=value"),
            json!({"a": {"b": {"c": "value"}}})
        );
        assert_eq!(
            set(
                json!({}),
                "t=true,f=FALSE,n=12,neg=-3,zero=0,lead=007,fl=1.5,s=abc,e="
            ),
            json!({"t": true, "f": false, "n": 12, "neg": -3, "zero": 0,
                   "lead": "007", "fl": "1.5", "s": "abc", "e": ""})
        );
        assert_eq!(
            set(json!({"a": {"b": 1, "c": 2}}), "a.b=null"),
            json!({"a": {"c": 2}})
        );
        // A scalar on the way is replaced by a map.
        assert_eq!(set(json!({"a": "x"}), "a.b=1"), json!({"a": {"b": 1}}));
    }

    #[test]
    fn set_escapes() {
        assert_eq!(
            set(
                json!({}),
                r"annotations.kubernetes\.io/ingress\.class=nginx,v=a\,b"
            ),
            json!({"annotations": {"kubernetes.io/ingress.class": "nginx"}, "v": "a,b"})
        );
        assert_eq!(set(json!({}), r"k=a\=b\\c"), json!({"k": r"a=b\c"}));
    }

    #[test]
    fn set_lists() {
        assert_eq!(
            set(json!({}), "hosts={a,b,3},empty={}"),
            json!({"hosts": ["a", "b", 3], "empty": []})
        );
        assert_eq!(
            set(json!({"l": ["a", "b"]}), "l[1]=z"),
            json!({"l": ["a", "z"]})
        );
        assert_eq!(
            set(json!({}), "l[2].name=x,m[0][1]=y"),
            json!({"l": [null, null, {"name": "x"}], "m": [[null, "y"]]})
        );
        let parsed = parse_set("a[0].b=1").unwrap();
        assert_eq!(
            parsed,
            vec![SetAssignment {
                path: vec![
                    SetSegment::Key("a".into()),
                    SetSegment::Index(0),
                    SetSegment::Key("b".into())
                ],
                value: json!(1)
            }]
        );
    }

    #[test]
    fn set_errors() {
        for bad in [
            "a",
            "a.b",
            "=1",
            "a..b=1",
            "a[x]=1",
            "a[1]b=1",
            "[0]=1",
            "a=1,b",
            "a={x,y",
            "a[99999999]=1",
        ] {
            let err = parse_set(bad).unwrap_err();
            assert!(
                err.starts_with(&format!("--set {:?}: ", keys_only(bad))),
                "{err}"
            );
        }
        assert_eq!(
            parse_set("a.b").unwrap_err(),
            "--set \"a.b\": key \"b\" has no value (missing `=`); \
             the form is key.sub[0].name=value,other=value"
        );
        // Values may be secrets: the message shows the keys only.
        assert_eq!(
            parse_set(r"password=hunter2\,x,user=admin,b").unwrap_err(),
            "--set \"password=…,user=…,b\": key \"b\" has no value (missing `=`); \
             the form is key.sub[0].name=value,other=value"
        );
    }

    /// Each problem as `place: message`, sorted.
    /// `schema` as the memo parses and compiles it.
    fn compiled(schema: &Value) -> std::sync::Arc<crate::memo::JsonSchema> {
        crate::memo::json_schema(&schema.to_string()).unwrap()
    }

    fn said(values: &Value, schema: &Value) -> Vec<String> {
        let mut out: Vec<String> = check_schema(values, &compiled(schema), "s.json")
            .unwrap()
            .iter()
            .map(|p| format!("{}: {}", p.place("values"), p.message))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn schema_errors_name_paths() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "required": ["image"],
            "properties": {
                "image": {
                    "type": "object",
                    "required": ["repository"],
                    "properties": {"tag": {"type": "string"}, "repository": {"type": "string"}}
                },
                "replicas": {"type": "integer", "minimum": 1},
                "ports": {"type": "array", "items": {"type": "integer"}}
            },
            "additionalProperties": false
        });
        let values = json!({
            "image": {"tag": 5},
            "replicas": 0,
            "ports": [80, "http"],
            "extra": true
        });
        assert_eq!(
            said(&values, &schema),
            vec![
                "values.image.tag: is a number where the schema wants string",
                "values.image: needs the key 'repository'",
                "values.ports[1]: is a string where the schema wants integer",
                "values.replicas: is less than the minimum of 1",
                "values: has the key 'extra' that the schema does not allow",
            ]
        );
        let problems = check_schema(&values, &compiled(&schema), "s.json").unwrap();
        let extra = problems.iter().find(|p| p.pointer.is_empty()).unwrap();
        assert_eq!(extra.key.as_deref(), Some("extra"));
        assert!(check_schema(
            &json!({"image": {"repository": "x", "tag": "1"}}),
            &compiled(&schema),
            "values.schema.json"
        )
        .unwrap()
        .is_empty());
    }

    /// Whatever keyword fails, the message is built from the schema: the value
    /// itself (maybe a secret) is never in it.
    #[test]
    fn schema_messages_never_quote_the_value() {
        let secret = "hunter2-SECRET";
        let schemas = [
            json!({"pattern": "^ok-"}),
            json!({"type": "integer"}),
            json!({"enum": ["a", "b"]}),
            json!({"const": "a"}),
            json!({"maxLength": 3}),
            json!({"format": "email"}),
            json!({"not": {"type": "string"}}),
            json!({"anyOf": [{"type": "integer"}, {"pattern": "^x"}]}),
            json!({"oneOf": [{"type": "integer"}, {"type": "boolean"}]}),
            json!(false),
        ];
        for schema in schemas {
            let schema = json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "format": "assertion",
                "properties": {"password": schema, "list": {"uniqueItems": true, "contains": {"type": "integer"}}},
                "propertyNames": {"maxLength": 8}
            });
            let values = json!({"password": secret, "list": [secret, secret]});
            let problems = check_schema(&values, &compiled(&schema), "s.json").unwrap();
            assert!(!problems.is_empty(), "{schema}");
            for p in problems {
                assert!(!p.message.contains("hunter2"), "{schema}: {}", p.message);
            }
        }
        let big: Vec<String> = (0..50).map(|i| format!("item-{i}")).collect();
        let schema = json!({"properties": {"list": {"maxItems": 2}}});
        assert_eq!(
            said(&json!({"list": big}), &schema),
            vec!["values.list: has more than 2 items"]
        );
    }

    #[test]
    fn schema_2020_12() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": {"port": {"type": "integer", "maximum": 65535}},
            "type": "object",
            "properties": {"ports": {"type": "array", "prefixItems": [{"$ref": "#/$defs/port"}]}}
        });
        assert_eq!(
            said(&json!({"ports": [70000]}), &schema),
            vec!["values.ports[0]: is greater than the maximum of 65535"]
        );
    }

    #[test]
    fn unusable_schema_names_the_file() {
        let error = check_schema(
            &json!({}),
            &compiled(&json!({"type": "nonsense"})),
            "apps/web/base/values.schema.json",
        )
        .unwrap_err();
        assert!(
            error.starts_with(
                "apps/web/base/values.schema.json is not a usable JSON Schema at /type: "
            ),
            "{error}"
        );
        // No network: a remote reference is refused, not fetched.
        let error = check_schema(
            &json!({}),
            &compiled(&json!({"$ref": "https://example.com/schema.json"})),
            "s.json",
        )
        .unwrap_err();
        assert!(
            error.starts_with("s.json is not a usable JSON Schema"),
            "{error}"
        );
    }
}
