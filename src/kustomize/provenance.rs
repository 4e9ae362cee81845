//! What a change did to a document, as dotted field paths, for `explain` and `diff`.

use serde_json::{Map, Value};

/// The leaf paths whose values differ between `before` and `after`
/// (added, removed or changed), dotted: `spec.template.spec.containers[0].image`.
pub fn changed_paths(before: &Map<String, Value>, after: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    diff_maps(before, after, &mut String::new(), &mut out);
    out
}

fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

fn diff_maps(
    x: &Map<String, Value>,
    y: &Map<String, Value>,
    path: &mut String,
    out: &mut Vec<String>,
) {
    let base = path.len();
    for (k, va) in x {
        push_key(path, k);
        match y.get(k) {
            Some(vb) => diff(va, vb, path, out),
            None => out.push(path.clone()),
        }
        path.truncate(base);
    }
    for k in y.keys().filter(|k| !x.contains_key(*k)) {
        push_key(path, k);
        out.push(path.clone());
        path.truncate(base);
    }
}

fn diff(a: &Value, b: &Value, path: &mut String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => diff_maps(x, y, path, out),
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            let base = path.len();
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                path.push_str(&format!("[{i}]"));
                diff(va, vb, path, out);
                path.truncate(base);
            }
        }
        _ if a == b => {}
        _ => out.push(path.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_leaf_changes() {
        let a = json!({"spec": {"replicas": 1, "x": [1, 2], "gone": true}});
        let b = json!({"spec": {"replicas": 3, "x": [1, 5], "new": {"a": 1}}});
        let (a, b) = (a.as_object().unwrap(), b.as_object().unwrap());
        assert_eq!(
            changed_paths(a, b),
            vec!["spec.gone", "spec.replicas", "spec.x[1]", "spec.new"]
        );
    }
}
