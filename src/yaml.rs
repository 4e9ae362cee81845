//! The only module that knows the YAML crate: parsing with limits and line numbers,
//! and an emitter that prints exactly what kustomize prints.
//!
//! PLACEHOLDER: a minimal version so the engine can run; replaced by the real one.

use serde_json::{Map, Number, Value};
use yaml_rust2::{Yaml, YamlLoader};

/// One document of a YAML stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Doc {
    /// The document, resolved as kustomize (go-yaml v3) resolves scalars.
    pub value: Value,
    /// 1-based line where the document's content starts.
    pub line: u32,
}

/// A YAML syntax error or a limit exceeded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    /// 1-based; 0 when unknown.
    pub line: u32,
    pub message: String,
}

/// Parses every document of a stream. Empty documents come back as `Value::Null`.
pub fn parse_stream(src: &str) -> Result<Vec<Doc>, YamlError> {
    let docs = YamlLoader::load_from_str(src).map_err(|e| YamlError {
        line: e.marker().line() as u32,
        message: e.to_string(),
    })?;
    Ok(docs
        .into_iter()
        .map(|d| Doc {
            value: to_json(d),
            line: 1,
        })
        .collect())
}

fn to_json(y: Yaml) -> Value {
    match y {
        Yaml::Real(s) => s
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::String(s)),
        Yaml::Integer(i) => Value::Number(i.into()),
        Yaml::String(s) => Value::String(s),
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Array(a) => Value::Array(a.into_iter().map(to_json).collect()),
        Yaml::Hash(h) => {
            let mut m = Map::new();
            for (k, v) in h {
                let key = match k {
                    Yaml::String(s) => s,
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    other => format!("{other:?}"),
                };
                m.insert(key, to_json(v));
            }
            Value::Object(m)
        }
        _ => Value::Null,
    }
}

/// One document as kustomize prints it, ending in a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    emit(value, 0, &mut out, false);
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            if s.is_empty()
                || s.parse::<f64>().is_ok()
                || matches!(s.as_str(), "true" | "false" | "null" | "~")
                || s.contains(": ")
                || s.starts_with([
                    '-', '*', '&', '!', '{', '[', '"', '\'', '#', '%', '@', '|', '>',
                ])
                || s.contains('\n')
            {
                serde_json::to_string(s).unwrap_or_default()
            } else {
                s.clone()
            }
        }
        _ => unreachable!(),
    }
}

fn emit(v: &Value, indent: usize, out: &mut String, in_seq: bool) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (i, (k, val)) in m.iter().enumerate() {
                if !(in_seq && i == 0) {
                    out.push_str(&pad);
                }
                out.push_str(k);
                out.push(':');
                match val {
                    Value::Object(c) if !c.is_empty() => {
                        out.push('\n');
                        emit(val, indent + 2, out, false);
                    }
                    Value::Array(c) if !c.is_empty() => {
                        out.push('\n');
                        emit(val, indent, out, false);
                    }
                    _ => {
                        out.push(' ');
                        emit(val, 0, out, false);
                    }
                }
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for item in a {
                out.push_str(&pad);
                out.push_str("- ");
                match item {
                    Value::Object(c) if !c.is_empty() => emit(item, indent + 2, out, true),
                    _ => emit(item, indent + 2, out, true),
                }
            }
        }
        Value::Object(_) => out.push_str("{}\n"),
        Value::Array(_) => out.push_str("[]\n"),
        _ => {
            out.push_str(&scalar(v));
            out.push('\n');
        }
    }
}

/// Documents joined as kustomize joins them (`---` between documents).
pub fn to_yaml_stream<'a>(
    docs: impl IntoIterator<Item = &'a serde_json::Map<String, Value>>,
) -> String {
    let mut out = String::new();
    for (i, d) in docs.into_iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&to_yaml(&Value::Object(d.clone())));
    }
    out
}

/// The 1-based line of the first mapping key `key` in `src`, for error messages.
pub fn line_of_key(src: &str, key: &str) -> Option<u32> {
    src.lines()
        .position(|l| l.trim_start().starts_with(&format!("{key}:")))
        .map(|i| i as u32 + 1)
}
