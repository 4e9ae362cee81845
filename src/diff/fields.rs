//! Per-field differences between two versions of one resource: maps by key, lists of
//! named items by name, other lists by position, multi-line strings as a unified diff.

use crate::diff::path::{FieldPath, Seg};
use serde::Serialize;
use serde_json::Value;

/// What happened to a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Added,
    Removed,
    Changed,
}

/// One changed field of a resource.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldChange {
    /// Printed path, e.g. `spec.template.spec.containers[name=web].image`.
    pub path: String,
    #[serde(rename = "change")]
    pub op: Op,
    /// The value before; absent when added, when hidden, or when `diff` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// The value after; absent when removed, when hidden, or when `diff` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    /// For multi-line strings: a unified diff of the lines (hunks only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// True when a secret value was withheld (the whole value, or parts of it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub redacted: bool,
    /// The structured path, for redaction and sorting; not part of the JSON shape.
    #[serde(skip)]
    pub segs: FieldPath,
    /// `diff --base`: the file and line that set the new value (as `explain` says).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_by: Option<SetBy>,
}

/// Where a field's new value was set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SetBy {
    pub file: String,
    /// 1-based; 0 when no line applies.
    pub line: u32,
    /// How: `resource`, `patch`, `images`, `values`, ... (as `explain` names them).
    pub mechanism: String,
}

impl std::fmt::Display for SetBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => write!(f, "{} ({})", self.file, self.mechanism),
            n => write!(f, "{}:{n} ({})", self.file, self.mechanism),
        }
    }
}

/// The field changes from `old` to `new`, in document order of the paths.
/// `context` is the number of unchanged lines around each hunk of a text diff.
pub fn diff_values(old: &Value, new: &Value, context: usize) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk(&FieldPath::default(), old, new, context, &mut out);
    out
}

fn change(path: &FieldPath, op: Op, old: Option<&Value>, new: Option<&Value>) -> FieldChange {
    FieldChange {
        path: path.to_string(),
        op,
        old: old.cloned(),
        new: new.cloned(),
        diff: None,
        redacted: false,
        segs: path.clone(),
        set_by: None,
    }
}

fn walk(path: &FieldPath, old: &Value, new: &Value, context: usize, out: &mut Vec<FieldChange>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = path.child(Seg::Key(k.clone()));
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => walk(&p, x, y, context, out),
                    (Some(x), None) => out.push(change(&p, Op::Removed, Some(x), None)),
                    (None, Some(y)) => out.push(change(&p, Op::Added, None, Some(y))),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => match (named(a), named(b)) {
            (Some(na), Some(nb)) => {
                let mut names: Vec<&str> = na.iter().chain(nb.iter()).copied().collect();
                names.sort();
                names.dedup();
                for n in names {
                    let p = path.child(Seg::Named(n.to_string()));
                    match (by_name(a, n), by_name(b, n)) {
                        (Some(x), Some(y)) => walk(&p, x, y, context, out),
                        (Some(x), None) => out.push(change(&p, Op::Removed, Some(x), None)),
                        (None, Some(y)) => out.push(change(&p, Op::Added, None, Some(y))),
                        (None, None) => {}
                    }
                }
            }
            _ => {
                for i in 0..a.len().max(b.len()) {
                    let p = path.child(Seg::Index(i));
                    match (a.get(i), b.get(i)) {
                        (Some(x), Some(y)) => walk(&p, x, y, context, out),
                        (Some(x), None) => out.push(change(&p, Op::Removed, Some(x), None)),
                        (None, Some(y)) => out.push(change(&p, Op::Added, None, Some(y))),
                        (None, None) => {}
                    }
                }
            }
        },
        (Value::String(a), Value::String(b)) if a.contains('\n') || b.contains('\n') => {
            let mut c = change(path, Op::Changed, None, None);
            c.diff = Some(unified(a, b, context));
            out.push(c);
        }
        _ => out.push(change(path, Op::Changed, Some(old), Some(new))),
    }
}

/// The names of a list's items when every item is a mapping with a string `name`
/// and no name repeats; `None` otherwise (then the list is compared by position).
/// An empty list counts as named, so adding the first container reads as an addition.
fn named(list: &[Value]) -> Option<Vec<&str>> {
    let mut names = Vec::with_capacity(list.len());
    for v in list {
        names.push(v.get("name")?.as_str()?);
    }
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    (sorted.len() == names.len()).then_some(names)
}

fn by_name<'v>(list: &'v [Value], name: &str) -> Option<&'v Value> {
    list.iter()
        .find(|v| v.get("name").and_then(Value::as_str) == Some(name))
}

/// A unified diff of two texts, hunk headers and lines only (no file header).
pub fn unified(old: &str, new: &str, context: usize) -> String {
    let d = similar::TextDiff::from_lines(old, new);
    let mut s = d.unified_diff().context_radius(context).to_string();
    if !s.ends_with('\n') && !s.is_empty() {
        s.push('\n');
    }
    // similar marks a missing final newline with this line, as diff(1) does.
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(c: &[FieldChange]) -> Vec<String> {
        c.iter().map(|c| format!("{:?} {}", c.op, c.path)).collect()
    }

    #[test]
    fn maps_by_key_and_named_lists_by_name() {
        let old = json!({"spec": {"replicas": 2, "template": {"spec": {"containers": [
            {"name": "web", "image": "web:1"}, {"name": "log", "image": "log:1"}]}}}});
        let new = json!({"spec": {"replicas": 3, "template": {"spec": {"containers": [
            {"name": "log", "image": "log:1"}, {"name": "web", "image": "web:2"}]}}}});
        let c = diff_values(&old, &new, 3);
        assert_eq!(
            paths(&c),
            vec![
                "Changed spec.replicas",
                "Changed spec.template.spec.containers[name=web].image"
            ]
        );
        assert_eq!(c[0].old, Some(json!(2)));
        assert_eq!(c[0].new, Some(json!(3)));
    }

    #[test]
    fn other_lists_by_position() {
        let c = diff_values(
            &json!({"args": ["a", "b"]}),
            &json!({"args": ["a", "c", "d"]}),
            3,
        );
        assert_eq!(paths(&c), vec!["Changed args[1]", "Added args[2]"]);
    }

    #[test]
    fn multi_line_strings_as_text_diff() {
        let c = diff_values(
            &json!({"data": {"f": "a\nb\nc\n"}}),
            &json!({"data": {"f": "a\nB\nc\n"}}),
            1,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(
            c[0].diff.as_deref(),
            Some("@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n")
        );
        assert!(c[0].old.is_none());
    }
}
