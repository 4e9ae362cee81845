//! `commonAnnotations`: string annotations set on metadata and on the pod
//! templates of workloads, along kustomize's FieldSpec table.

use crate::error::Result;
use crate::kustomize::fieldspec::FieldSpec;
use crate::kustomize::resmap::ResMap;
use crate::kustomize::transform::tables;
use std::collections::BTreeMap;

/// Sets every annotation on every resource (and its pod templates).
pub fn apply(ra: &mut ResMap, annotations: &BTreeMap<String, String>, source: &str) -> Result<()> {
    if annotations.is_empty() {
        return Ok(());
    }
    // The built-in table plus the rows `configurations` and `crds` add (`ra.config`).
    let specs = ra.config.or_defaults().common_annotations.clone();
    apply_with_specs(ra, annotations, &specs, source)
}

/// `apply` along the given field specs (an AnnotationsTransformer's `fieldSpecs`).
pub fn apply_with_specs(
    ra: &mut ResMap,
    annotations: &BTreeMap<String, String>,
    specs: &[FieldSpec],
    source: &str,
) -> Result<()> {
    if annotations.is_empty() {
        return Ok(());
    }
    let entries: Vec<(&str, &str)> = annotations
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for r in ra.iter_mut() {
        let changed = tables::set_entries(r, specs, &entries, "annotations", source)?;
        r.record("commonAnnotations", source, changed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::{json, Value};

    fn resmap(docs: Vec<Value>) -> ResMap {
        ResMap::from_objects(docs, "res.yaml").unwrap()
    }

    // Expected values from `kubectl kustomize` (v5.5.0) on the same input.
    #[test]
    fn metadata_and_templates() {
        let mut ra = resmap(vec![
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web",
                   "annotations": {"keep": "me"}},
                   "spec": {"template": {"spec": {}}}}),
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"},
                   "spec": {"jobTemplate": {"spec": {"template": {"spec": {}}}}}}),
        ]);
        let mut ann = BTreeMap::new();
        ann.insert("note".to_string(), "true".to_string());
        apply(&mut ra, &ann, "k.yaml").unwrap();
        let note = json!({"note": "true"});
        assert_eq!(ra.resources[0].doc["metadata"]["annotations"], note);
        assert!(ra.resources[0].doc.get("spec").is_none());
        let dep = &ra.resources[1].doc;
        assert_eq!(
            dep["metadata"]["annotations"],
            json!({"keep": "me", "note": "true"})
        );
        assert_eq!(dep["spec"]["template"]["metadata"]["annotations"], note);
        let cj = &ra.resources[2].doc;
        assert_eq!(cj["spec"]["jobTemplate"]["metadata"]["annotations"], note);
        assert_eq!(
            cj["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["annotations"],
            note
        );
        assert_eq!(ra.resources[2].edits[0].by, "commonAnnotations");
    }
}
