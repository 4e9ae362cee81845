//! A resource as a flat map of dotted field paths to leaf values, with list items
//! addressed by name where they have one (`spec.template.spec.containers[name=web].image`).

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Every leaf of a document: path → value. Leaves are scalars, empty maps and
/// lists, and lists of scalars (kept whole: one changed argument is one row, not
/// one row per shifted index).
pub fn flatten(doc: &Map<String, Value>) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let mut path = String::new();
    walk_map(doc, &mut path, &mut out);
    out
}

fn walk(v: &Value, path: &mut String, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) if !m.is_empty() => walk_map(m, path, out),
        Value::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
            let names = item_names(items);
            let base = path.len();
            for (i, item) in items.iter().enumerate() {
                match &names {
                    Some(n) => {
                        path.push_str("[name=");
                        path.push_str(n[i]);
                        path.push(']');
                    }
                    None => path.push_str(&format!("[{i}]")),
                }
                walk(item, path, out);
                path.truncate(base);
            }
        }
        _ => {
            out.insert(path.clone(), v.clone());
        }
    }
}

fn walk_map(m: &Map<String, Value>, path: &mut String, out: &mut BTreeMap<String, Value>) {
    let base = path.len();
    for (k, v) in m {
        push_key(path, k);
        walk(v, path, out);
        path.truncate(base);
    }
}

/// The items' `name`s when every item is a mapping with a distinct string name:
/// then items match by name across clusters, whatever their order.
fn item_names(items: &[Value]) -> Option<Vec<&str>> {
    let names: Vec<&str> = items
        .iter()
        .map(|i| i.get("name").and_then(Value::as_str))
        .collect::<Option<_>>()?;
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    (sorted.len() == names.len()).then_some(names)
}

/// Appends a key: `.key`, or `["key"]` when the key has characters that would
/// make the path ambiguous (`metadata.labels["app.kubernetes.io/name"]`).
fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && !key
            .chars()
            .any(|c| matches!(c, '.' | '[' | ']' | '"') || c.is_whitespace());
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&Value::String(key.to_string()).to_string());
        path.push(']');
    }
}

/// A leaf as strata shows it: strings as they are, unless they would read as
/// another type (`"1"`, `"true"`, `""`) or have edge spaces, then quoted; other
/// scalars as YAML spells them; lists of scalars in flow style (`[a, b]`).
pub fn display(v: &Value) -> String {
    match v {
        Value::String(s) => display_str(s),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(display).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Object(_) => serde_json::to_string(v).unwrap_or_default(),
    }
}

fn display_str(s: &str) -> String {
    let quoted = || Value::String(s.to_string()).to_string();
    if s.is_empty() || s.trim() != s {
        return quoted();
    }
    if s.contains('\n') || s.len() > 64 {
        return s.to_string();
    }
    match crate::yaml::parse_stream(s) {
        Ok(docs) if docs.len() == 1 => match &docs[0].value {
            Value::Null | Value::Bool(_) | Value::Number(_) => quoted(),
            _ => s.to_string(),
        },
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flat(v: Value) -> Vec<(String, String)> {
        flatten(v.as_object().unwrap())
            .into_iter()
            .map(|(k, v)| (k, display(&v)))
            .collect()
    }

    #[test]
    fn named_items_are_addressed_by_name_and_others_by_index() {
        let got = flat(json!({
            "metadata": {"labels": {"app.kubernetes.io/name": "web"}},
            "spec": {"containers": [
                {"name": "web", "image": "a:1", "args": ["--x", "--y"]},
                {"name": "side", "ports": [{"containerPort": 80}]}
            ],
            "volumes": [], "empty": {}, "tolerations": [{"key": "a"}, {"key": "b"}]}
        }));
        let want: Vec<(String, String)> = [
            ("metadata.labels[\"app.kubernetes.io/name\"]", "web"),
            ("spec.containers[name=side].name", "side"),
            ("spec.containers[name=side].ports[0].containerPort", "80"),
            ("spec.containers[name=web].args", "[--x, --y]"),
            ("spec.containers[name=web].image", "a:1"),
            ("spec.containers[name=web].name", "web"),
            ("spec.empty", "{}"),
            ("spec.tolerations[0].key", "a"),
            ("spec.tolerations[1].key", "b"),
            ("spec.volumes", "[]"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn duplicate_names_fall_back_to_indexes() {
        let got = flat(json!({"l": [{"name": "a", "v": 1}, {"name": "a", "v": 2}]}));
        assert_eq!(got[0].0, "l[0].name");
        assert_eq!(got[3].0, "l[1].v");
    }

    #[test]
    fn strings_that_read_as_other_types_are_quoted() {
        assert_eq!(display(&json!("1")), "\"1\"");
        assert_eq!(display(&json!("true")), "\"true\"");
        assert_eq!(display(&json!("")), "\"\"");
        assert_eq!(display(&json!(" x")), "\" x\"");
        assert_eq!(display(&json!(1)), "1");
        assert_eq!(display(&json!("1.4.0")), "1.4.0");
        assert_eq!(display(&json!("a: b")), "a: b");
        assert_eq!(display(&json!(null)), "null");
    }
}
