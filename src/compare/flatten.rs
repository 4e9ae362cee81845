//! A resource as a flat map of dotted field paths to leaf values, with list items
//! addressed by name where they have one (`spec.template.spec.containers[name=web].image`).

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A leaf: its value, and its path as the engine's edit records spell it (raw
/// keys, list indexes: `spec.template.spec.containers[0].image`), to find which
/// transformer or patch set it.
#[derive(Clone, Debug, PartialEq)]
pub struct Leaf {
    pub value: Value,
    pub engine_path: String,
}

/// Every leaf of a document: path → leaf. Leaves are scalars, empty maps and
/// lists, and lists of scalars (kept whole: one changed argument is one row, not
/// one row per shifted index).
pub fn flatten(doc: &Map<String, Value>) -> BTreeMap<String, Leaf> {
    let mut out = BTreeMap::new();
    let mut paths = (String::new(), String::new());
    walk_map(doc, &mut paths, &mut out);
    out
}

/// (path as shown, path as the engine records it)
type Paths = (String, String);

fn walk(v: &Value, paths: &mut Paths, out: &mut BTreeMap<String, Leaf>) {
    match v {
        Value::Object(m) if !m.is_empty() => walk_map(m, paths, out),
        Value::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
            let names = item_names(items);
            let base = (paths.0.len(), paths.1.len());
            for (i, item) in items.iter().enumerate() {
                match &names {
                    Some(n) => {
                        paths.0.push_str("[name=");
                        paths.0.push_str(n[i]);
                        paths.0.push(']');
                    }
                    None => paths.0.push_str(&format!("[{i}]")),
                }
                paths.1.push_str(&format!("[{i}]"));
                walk(item, paths, out);
                paths.0.truncate(base.0);
                paths.1.truncate(base.1);
            }
        }
        _ => {
            out.insert(
                paths.0.clone(),
                Leaf {
                    value: v.clone(),
                    engine_path: paths.1.clone(),
                },
            );
        }
    }
}

fn walk_map(m: &Map<String, Value>, paths: &mut Paths, out: &mut BTreeMap<String, Leaf>) {
    let base = (paths.0.len(), paths.1.len());
    for (k, v) in m {
        push_key(&mut paths.0, k);
        if !paths.1.is_empty() {
            paths.1.push('.');
        }
        paths.1.push_str(k);
        walk(v, paths, out);
        paths.0.truncate(base.0);
        paths.1.truncate(base.1);
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
            .map(|(k, v)| (k, display(&v.value)))
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
    fn leaves_carry_the_engine_spelling_of_their_path() {
        let doc = json!({"metadata": {"labels": {"a.b/c": "x"}}, "l": [{"name": "n", "v": 1}]});
        let f = flatten(doc.as_object().unwrap());
        assert_eq!(f["l[name=n].v"].engine_path, "l[0].v");
        assert_eq!(
            f["metadata.labels[\"a.b/c\"]"].engine_path,
            "metadata.labels.a.b/c"
        );
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
