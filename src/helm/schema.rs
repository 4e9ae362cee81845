//! `values.schema.json` as Helm v4 checks it, with Helm's wording
//! (`- at '/replicaCount': got string, want number`). Helm quotes the failing value for
//! bounds, `pattern` and `format`; strata names the key and the constraint only, as
//! `crate::redact` rules for every chart value (any may end up in a Secret). `enum` and
//! `const` print only what the schema allows, as Helm does.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

/// The problems of `values` against `schema`, one line each (`- at 'PTR': MESSAGE`).
pub fn check(values: &Value, schema: &crate::memo::JsonSchema) -> Result<(), Vec<String>> {
    let validator = schema.compiled.as_ref().map_err(|e| {
        vec![format!(
            "- values.schema.json is not a usable JSON Schema: {}",
            e.masked()
        )]
    })?;
    let mut lines: Vec<String> = Vec::new();
    // A mapping's missing keys: one line for all of them, where the first was met.
    let mut missing: Vec<(String, Vec<String>, usize)> = Vec::new();
    for e in validator.iter_errors(values) {
        let at = e.instance_path().as_str().to_string();
        let msg = match e.kind() {
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or("").to_string();
                match missing.iter_mut().find(|(p, _, _)| *p == at) {
                    Some((_, names, _)) => names.push(name),
                    None => {
                        missing.push((at.clone(), vec![name], lines.len()));
                        lines.push(String::new());
                    }
                }
                continue;
            }
            ValidationErrorKind::Type { kind } => {
                format!("got {}, want {}", json_type(e.instance()), want_type(kind))
            }
            ValidationErrorKind::Maximum { limit } => {
                format!("maximum: want {}, got more", num(limit))
            }
            ValidationErrorKind::Minimum { limit } => {
                format!("minimum: want {}, got less", num(limit))
            }
            ValidationErrorKind::ExclusiveMaximum { limit } => {
                format!("exclusiveMaximum: want less than {}, got more", num(limit))
            }
            ValidationErrorKind::ExclusiveMinimum { limit } => {
                format!("exclusiveMinimum: want more than {}, got less", num(limit))
            }
            ValidationErrorKind::MaxLength { limit } => {
                format!("maxLength: got {}, want {limit}", str_len(e.instance()))
            }
            ValidationErrorKind::MinLength { limit } => {
                format!("minLength: got {}, want {limit}", str_len(e.instance()))
            }
            ValidationErrorKind::MaxItems { limit } => {
                format!("maxItems: got {}, want {limit}", arr_len(e.instance()))
            }
            ValidationErrorKind::MinItems { limit } => {
                format!("minItems: got {}, want {limit}", arr_len(e.instance()))
            }
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                format!("additional properties {} not allowed", quoted(unexpected))
            }
            ValidationErrorKind::Enum { options } => enum_message(options),
            ValidationErrorKind::Pattern { pattern } => {
                format!("value does not match pattern {}", quote(pattern))
            }
            ValidationErrorKind::Constant { expected_value } => match display(expected_value) {
                Some(want) => format!("value must be {want}"),
                None => "const failed".to_string(),
            },
            ValidationErrorKind::Format { format } => format!("value is not valid {format}"),
            _ => e.masked().to_string(),
        };
        lines.push(format!("- at '{at}': {msg}"));
    }
    for (at, names, line) in missing {
        let msg = match names.as_slice() {
            [one] => format!("missing property {}", quote(one)),
            _ => format!("missing properties {}", quoted(&names)),
        };
        lines[line] = format!("- at '{at}': {msg}");
    }
    if lines.is_empty() {
        Ok(())
    } else {
        Err(lines)
    }
}

/// The jsonschema library's words for `enum`: the values the schema allows, which come
/// from the schema, never from the values.
fn enum_message(options: &Value) -> String {
    let allowed: Option<Vec<String>> = match options {
        Value::Array(items) => items.iter().map(display).collect(),
        _ => None,
    };
    match allowed.as_deref() {
        Some([one]) => format!("value must be {one}"),
        Some(many) => format!("value must be one of {}", many.join(", ")),
        None => "enum failed".to_string(),
    }
}

/// The jsonschema library's `display` of a schema's value: a string in its single quotes,
/// a number or boolean as Go prints it; `None` for a list or mapping, which it does not
/// print.
fn display(v: &Value) -> Option<String> {
    Some(match v {
        Value::String(s) => quote(s),
        Value::Null => "<nil>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(_) | Value::Object(_) => return None,
    })
}

/// The jsonschema library's `quote`, for every name, pattern and schema string it
/// prints: Go's `%q` in single quotes ('a', 'it\'s').
fn quote(s: &str) -> String {
    let go = crate::helm::gotmpl::funcs::go_quote(s)
        .replace("\\\"", "\"")
        .replace('\'', "\\'");
    format!("'{}'", &go[1..go.len() - 1])
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| quote(n))
        .collect::<Vec<_>>()
        .join(", ")
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn want_type(kind: &TypeKind) -> String {
    match kind {
        TypeKind::Single(t) => t.to_string(),
        TypeKind::Multiple(set) => {
            let names: Vec<String> = set.iter().map(|t| t.to_string()).collect();
            names.join(" or ")
        }
    }
}

fn num(v: &Value) -> String {
    match v.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        Some(f) => f.to_string(),
        None => json_type(v).to_string(),
    }
}

fn str_len(v: &Value) -> usize {
    v.as_str().map(|s| s.chars().count()).unwrap_or(0)
}

fn arr_len(v: &Value) -> usize {
    v.as_array().map(Vec::len).unwrap_or(0)
}
