//! `labels` and `commonLabels`: string labels set on metadata and, as asked, on
//! pod templates and selectors, along kustomize's FieldSpec tables.
//!
//! As in kustomize v5.5, each `labels` entry is applied in order, then
//! `commonLabels` (which is `labels` with `includeSelectors: true`, except that
//! user `fields` cannot be given). A key in both is not an error at build time.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::config::TransformerConfig;
use crate::kustomize::fieldspec::FieldSpec;
use crate::kustomize::kustomization::{Kustomization, Label};
use crate::kustomize::resmap::ResMap;
use crate::kustomize::transform::tables::{self, merge_one};
use std::collections::BTreeMap;

/// Applies the kustomization's `labels` entries, then its `commonLabels`.
/// The field specs are the built-in tables plus the rows of `configurations` and
/// `crds` (`ra.config`).
pub fn apply(ra: &mut ResMap, k: &Kustomization, source: &str) -> Result<()> {
    let shared = std::sync::Arc::clone(&ra.config);
    let config = shared.or_defaults();
    let common = &config.common_labels;
    for label in &k.labels {
        let specs = specs_for(label, config, common, source)?;
        set_labels(ra, &label.pairs, &specs, source)?;
    }
    set_labels(ra, &k.common_labels, common, source)
}

/// The field specs one `labels` entry applies to, merged as kustomize merges them.
fn specs_for(
    label: &Label,
    config: &TransformerConfig,
    common: &[FieldSpec],
    source: &str,
) -> Result<Vec<FieldSpec>> {
    let mut specs: Vec<FieldSpec> = label.fields.iter().map(FieldSpec::from).collect();
    let conflict = |what: &str| {
        Error::new(
            ErrorKind::Invalid,
            source,
            format!(
                "labels: {what}: conflicting fieldspecs (a `fields` entry has the path of a \
                 built-in one but a different `create`); change its `create` or drop it"
            ),
        )
    };
    let merge_all = |specs: &mut Vec<FieldSpec>, rows: &[FieldSpec], what: &str| {
        for fs in rows {
            merge_one(specs, fs.clone()).map_err(|()| conflict(what))?;
        }
        Ok::<(), Error>(())
    };
    merge_all(&mut specs, &config.labels, "failed to merge labels")?;
    if label.include_selectors {
        merge_all(&mut specs, common, "failed to merge labels")?;
    } else {
        if label.include_templates {
            merge_all(
                &mut specs,
                &config.template_labels,
                "failed to merge template fieldSpec",
            )?;
        }
        merge_one(&mut specs, FieldSpec::new("", "metadata/labels", true))
            .map_err(|()| conflict("failed to merge labels"))?;
    }
    Ok(specs)
}

/// Sets `pairs` at `specs` on every resource (a LabelTransformer's `fieldSpecs`).
pub fn set_labels(
    ra: &mut ResMap,
    pairs: &BTreeMap<String, String>,
    specs: &[FieldSpec],
    source: &str,
) -> Result<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    let entries: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for r in ra.iter_mut() {
        let changed = tables::set_entries(r, specs, &entries, "labels", source)?;
        r.record("labels", source, changed);
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

    fn kust(yaml: &str) -> Kustomization {
        let v = crate::yaml::parse_stream(yaml).unwrap().remove(0).value;
        serde_json::from_value(v).unwrap()
    }

    fn fixture() -> ResMap {
        resmap(vec![
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"},
                   "spec": {"ports": [{"port": 80}]}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                   "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}),
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"},
                   "spec": {"jobTemplate": {"spec": {"template": {"spec": {}}}}}}),
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "metadata": {"name": "np"},
                   "spec": {"podSelector": {}, "ingress": [{"from": [
                       {"podSelector": {"matchLabels": {"x": "y"}}},
                       {"namespaceSelector": {}}]}]}}),
        ])
    }

    // Expected values from `kubectl kustomize` (v5.5.0) on the same input.
    #[test]
    fn common_labels_and_labels_entries() {
        let mut ra = fixture();
        let k = kust(
            "commonLabels: {app: web}\nlabels:\n- pairs: {team: a}\n- pairs: {tier: t}\n  includeTemplates: true\n",
        );
        apply(&mut ra, &k, "kustomization.yaml").unwrap();
        let all = json!({"app": "web", "team": "a", "tier": "t"});
        let tmpl = json!({"app": "web", "tier": "t"});
        let svc = &ra.resources[0].doc;
        assert_eq!(svc["metadata"]["labels"], all);
        assert_eq!(svc["spec"]["selector"], json!({"app": "web"}));
        let dep = &ra.resources[1].doc;
        assert_eq!(dep["metadata"]["labels"], all);
        assert_eq!(
            dep["spec"]["selector"],
            json!({"matchLabels": {"app": "web"}})
        );
        assert_eq!(dep["spec"]["template"]["metadata"]["labels"], tmpl);
        let cj = &ra.resources[2].doc;
        assert_eq!(cj["spec"]["jobTemplate"]["metadata"]["labels"], tmpl);
        assert_eq!(
            cj["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"],
            tmpl
        );
        // CronJob's jobTemplate selector is not created.
        assert!(cj["spec"]["jobTemplate"]["spec"].get("selector").is_none());
        let np = &ra.resources[3].doc;
        assert_eq!(np["spec"]["podSelector"], json!({}));
        assert_eq!(
            np["spec"]["ingress"][0]["from"],
            json!([{"podSelector": {"matchLabels": {"app": "web", "x": "y"}}},
                   {"namespaceSelector": {}}])
        );
        assert!(ra.resources[1]
            .edits
            .iter()
            .any(|e| e.paths.contains(&"spec.selector.matchLabels".to_string())));
    }

    #[test]
    fn labels_without_flags_touch_metadata_only() {
        let mut ra = fixture();
        let k = kust("labels:\n- pairs: {team: a}\n");
        apply(&mut ra, &k, "k.yaml").unwrap();
        let dep = &ra.resources[1].doc;
        assert_eq!(dep["metadata"]["labels"], json!({"team": "a"}));
        assert!(dep["spec"].get("selector").is_none());
        assert!(dep["spec"]["template"].get("metadata").is_none());
    }

    #[test]
    fn include_selectors_sets_selectors_and_templates() {
        let mut ra = fixture();
        let k = kust("labels:\n- pairs: {team: a}\n  includeSelectors: true\n");
        apply(&mut ra, &k, "k.yaml").unwrap();
        let dep = &ra.resources[1].doc;
        assert_eq!(dep["spec"]["selector"]["matchLabels"], json!({"team": "a"}));
        assert_eq!(
            dep["spec"]["template"]["metadata"]["labels"],
            json!({"team": "a"})
        );
    }

    #[test]
    fn custom_fields_are_added() {
        let mut ra = fixture();
        let k = kust(
            "labels:\n- pairs: {team: a}\n  fields:\n  - kind: Deployment\n    path: spec/template/spec/nodeSelector\n    create: true\n",
        );
        apply(&mut ra, &k, "k.yaml").unwrap();
        let dep = &ra.resources[1].doc;
        assert_eq!(
            dep["spec"]["template"]["spec"]["nodeSelector"],
            json!({"team": "a"})
        );
        assert_eq!(
            ra.resources[0].doc["metadata"]["labels"],
            json!({"team": "a"})
        );
    }

    #[test]
    fn a_scalar_selector_is_an_error() {
        let mut ra = resmap(vec![json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "svc"}, "spec": {"selector": "oops"}})]);
        let k = kust("commonLabels: {app: web}\n");
        let err = apply(&mut ra, &k, "k.yaml").unwrap_err();
        assert_eq!(err.file, "k.yaml");
        assert!(err.message.contains("spec/selector"), "{}", err.message);
    }

    // kustomize v5.5: a key in both is no error at build time; commonLabels runs last and wins.
    #[test]
    fn common_labels_win_over_labels_with_the_same_key() {
        let mut ra = fixture();
        let k = kust("commonLabels: {a: '1'}\nlabels:\n- pairs: {a: '2', b: '3'}\n");
        apply(&mut ra, &k, "k.yaml").unwrap();
        assert_eq!(
            ra.resources[1].doc["metadata"]["labels"],
            json!({"a": "1", "b": "3"})
        );
    }

    #[test]
    fn a_field_conflicting_with_the_builtin_one_is_an_error() {
        let mut ra = fixture();
        let k = kust(
            "labels:\n- pairs: {a: b}\n  fields:\n  - path: metadata/labels\n    create: false\n",
        );
        let err = apply(&mut ra, &k, "k.yaml").unwrap_err();
        assert!(err
            .message
            .contains("failed to merge labels: conflicting fieldspecs"));
    }
}
