//! JSON 6902 patches: parsing them from JSON or YAML, and applying them.

use serde_json::Value;

/// Parses a JSON 6902 patch written as a JSON array or as YAML.
/// Returns `None` when the text is not a list of operations.
pub fn parse(text: &str) -> Result<json_patch::Patch, String> {
    let value: Value = if text.trim_start().starts_with('[') {
        serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?
    } else {
        let docs = crate::yaml::parse_stream(text)
            .map_err(|e| format!("invalid YAML at line {}: {}", e.line, e.message))?;
        let mut non_empty = docs.into_iter().filter(|d| !d.value.is_null());
        match (non_empty.next(), non_empty.next()) {
            (Some(d), None) => d.value,
            _ => return Err("expected one YAML list of operations".into()),
        }
    };
    if !value.is_array() {
        return Err("a JSON patch is a list of operations (`- op: replace ...`)".into());
    }
    serde_json::from_value(value).map_err(|e| format!("invalid JSON patch operation: {e}"))
}

/// Applies `patch` to `doc` atomically: on error `doc` is unchanged.
pub fn apply(doc: &mut Value, patch: &json_patch::Patch) -> Result<(), String> {
    json_patch::patch(doc, patch).map_err(|e| describe(&e))
}

fn describe(e: &json_patch::PatchError) -> String {
    let path = e.path.to_string();
    match &e.kind {
        json_patch::PatchErrorKind::TestFailed => {
            format!("operation {} (`test` at {path}) failed: the value there is not the one the patch expects", e.operation)
        }
        kind => format!("operation {} at {path}: {kind}", e.operation),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_and_json_forms() {
        let y = parse("- op: replace\n  path: /spec/replicas\n  value: 3\n").unwrap();
        let j = parse(r#"[{"op": "replace", "path": "/spec/replicas", "value": 3}]"#).unwrap();
        assert_eq!(y, j);
        let mut doc = json!({"spec": {"replicas": 1}});
        apply(&mut doc, &y).unwrap();
        assert_eq!(doc, json!({"spec": {"replicas": 3}}));
    }

    #[test]
    fn failing_test_op_is_reported_and_leaves_doc_unchanged() {
        let p =
            parse("- op: test\n  path: /spec/replicas\n  value: 2\n- op: remove\n  path: /spec\n")
                .unwrap();
        let mut doc = json!({"spec": {"replicas": 1}});
        let err = apply(&mut doc, &p).unwrap_err();
        assert!(err.contains("test"), "{err}");
        assert_eq!(doc, json!({"spec": {"replicas": 1}}));
    }

    #[test]
    fn escapes_and_append() {
        let p = parse("- op: add\n  path: /metadata/annotations/a.io~1b\n  value: x\n- op: add\n  path: /l/-\n  value: 2\n").unwrap();
        let mut doc = json!({"metadata": {"annotations": {}}, "l": [1]});
        apply(&mut doc, &p).unwrap();
        assert_eq!(
            doc,
            json!({"metadata": {"annotations": {"a.io/b": "x"}}, "l": [1, 2]})
        );
    }
}
