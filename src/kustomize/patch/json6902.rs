//! JSON 6902 patches: parsing them from JSON or YAML, and applying them.

use serde_json::Value;

/// Parses a JSON 6902 patch written as a JSON array or as YAML.
/// Returns `None` when the text is not a list of operations.
pub fn parse(text: &str) -> Result<json_patch::Patch, String> {
    let value: Value = if text.trim_start().starts_with('[') {
        serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?
    } else {
        // kustomize converts it with `YAMLToJSON` (go-yaml v2): `value: {x: y}` sets true.
        let docs = crate::yaml::parse_yaml_to_json(text)
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

/// Applies `patch` to `doc` atomically (on error `doc` is unchanged), with two rules of
/// kustomize's patcher (evanphx/json-patch v4 on kustomize's working copy) that RFC 6902
/// does not have:
/// - `replace` of a key missing from an existing mapping adds it;
/// - the object has `metadata.annotations` while it is patched (kustomize's bookkeeping
///   annotations are there), so `add /metadata/annotations/x` works on an object without
///   annotations; an empty map left afterwards is removed again.
pub fn apply(doc: &mut Value, patch: &json_patch::Patch) -> Result<(), String> {
    let mut work = doc.clone();
    let added_annotations = match work.get_mut("metadata") {
        Some(Value::Object(meta)) if !meta.contains_key("annotations") => {
            meta.insert("annotations".into(), Value::Object(Default::default()));
            true
        }
        _ => false,
    };
    for (i, op) in patch.0.iter().enumerate() {
        let op = match op {
            json_patch::PatchOperation::Replace(r) if replaces_missing_key(&work, &r.path) => {
                json_patch::PatchOperation::Add(json_patch::AddOperation {
                    path: r.path.clone(),
                    value: r.value.clone(),
                })
            }
            other => other.clone(),
        };
        json_patch::patch_unsafe(&mut work, &[op]).map_err(|mut e| {
            e.operation = i;
            describe(&e)
        })?;
    }
    if added_annotations {
        if let Some(Value::Object(meta)) = work.get_mut("metadata") {
            if meta.get("annotations") == Some(&Value::Object(Default::default())) {
                meta.remove("annotations");
            }
        }
    }
    *doc = work;
    Ok(())
}

/// Whether `path` names a key that a mapping in `doc` does not have.
fn replaces_missing_key(doc: &Value, path: &json_patch::jsonptr::Pointer) -> bool {
    let text = path.as_str();
    let Some(cut) = text.rfind('/') else {
        return false;
    };
    doc.pointer(text).is_none() && doc.pointer(&text[..cut]).is_some_and(Value::is_object)
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
    fn replace_of_a_missing_key_adds_it_and_annotations_exist_while_patching() {
        let p = parse(
            "- op: replace\n  path: /data/y\n  value: '2'\n- op: add\n  path: /metadata/annotations/a\n  value: b\n",
        )
        .unwrap();
        let mut doc = json!({"metadata": {"name": "n"}, "data": {"x": "1"}});
        apply(&mut doc, &p).unwrap();
        assert_eq!(
            doc,
            json!({"metadata": {"name": "n", "annotations": {"a": "b"}}, "data": {"x": "1", "y": "2"}})
        );
        // Only a key of an existing mapping: a missing parent, a list index or a label
        // still fail, as in kustomize, and the error names the operation.
        for (i, path) in ["/spec/x", "/metadata/labels/z", "/list/3"]
            .iter()
            .enumerate()
        {
            let text = format!("- op: test\n  path: /data/x\n  value: '1'\n- op: replace\n  path: {path}\n  value: 1\n");
            let mut doc = json!({"metadata": {"name": "n"}, "data": {"x": "1"}, "list": [1]});
            let before = doc.clone();
            let err = apply(&mut doc, &parse(&text).unwrap()).unwrap_err();
            assert!(err.starts_with("operation 1 at"), "{i}: {err}");
            assert_eq!(doc, before);
        }
        // The annotations map kustomize adds for the patch does not stay behind.
        let p = parse("- op: replace\n  path: /data/x\n  value: '3'\n").unwrap();
        let mut doc = json!({"metadata": {"name": "n"}, "data": {"x": "1"}});
        apply(&mut doc, &p).unwrap();
        assert_eq!(doc, json!({"metadata": {"name": "n"}, "data": {"x": "3"}}));
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
