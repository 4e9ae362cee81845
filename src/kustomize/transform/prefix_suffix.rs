//! `namePrefix` and `nameSuffix`: kustomize's PrefixTransformer then SuffixTransformer.
//!
//! Every object's `metadata.name` gets the prefix (then the suffix), except
//! CustomResourceDefinitions, `apiregistration.k8s.io` APIServices and Namespaces
//! (judged by the kind the object was loaded with). Each rename stores the previous
//! identity and the affix in `ResMeta`, which the name-reference phase uses to
//! rewrite references and to choose among same-named candidates.

use crate::error::Result;
use crate::kustomize::resmap::ResMap;
use crate::kustomize::resource::{Gvk, Resource};

/// Renames the resources of `ra` as kustomize's `namePrefix` and `nameSuffix` do;
/// `source` is the kustomization asking for it. Empty strings do nothing.
///
/// kustomize runs the prefix transformer over every resource, then the suffix
/// transformer; each stores a previous identity, so a resource given both has
/// `name`, `prefix-name` as previous ids and `prefix-name-suffix` as its name.
pub fn apply(ra: &mut ResMap, prefix: &str, suffix: &str, source: &str) -> Result<()> {
    if !prefix.is_empty() {
        for r in ra.iter_mut().filter(|r| !skipped(r)) {
            r.meta.prefixes.push(prefix.to_string());
            r.store_previous_id();
            let name = format!("{prefix}{}", r.name());
            r.set_name(&name);
            r.record("namePrefix", source, vec!["metadata.name".into()]);
        }
    }
    if !suffix.is_empty() {
        for r in ra.iter_mut().filter(|r| !skipped(r)) {
            r.meta.suffixes.push(suffix.to_string());
            r.store_previous_id();
            let name = format!("{}{suffix}", r.name());
            r.set_name(&name);
            r.record("nameSuffix", source, vec!["metadata.name".into()]);
        }
    }
    Ok(())
}

/// Kinds kustomize never renames: their names are fixed by the API (CRDs, APIServices)
/// or owned by the namespace transformer (Namespaces).
fn skipped(r: &Resource) -> bool {
    let org = r.org_id();
    let gvk = Gvk {
        kind: org.gvk.kind,
        ..r.gvk()
    };
    gvk.kind == "CustomResourceDefinition"
        || gvk.kind == "Namespace"
        || (gvk.kind == "APIService" && gvk.group == "apiregistration.k8s.io")
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::{json, Value};

    fn resmap(docs: Vec<Value>) -> ResMap {
        ResMap::from_objects(docs, "res.yaml").unwrap()
    }

    fn names(ra: &ResMap) -> Vec<&str> {
        ra.iter().map(Resource::name).collect()
    }

    #[test]
    fn prefix_then_suffix_with_previous_ids_and_affixes() {
        let mut ra = resmap(vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}}),
        ]);
        apply(&mut ra, "b-", "", "base/kustomization.yaml").unwrap();
        apply(&mut ra, "o-", "-s", "overlay/kustomization.yaml").unwrap();
        let r = &ra.resources[0];
        assert_eq!(r.name(), "o-b-cm-s");
        let prev: Vec<&str> = r.meta.prev_ids.iter().map(|id| id.name.as_str()).collect();
        assert_eq!(prev, vec!["cm", "b-cm", "o-b-cm"]);
        assert_eq!(r.meta.prefixes, vec!["b-", "o-"]);
        assert_eq!(r.meta.suffixes, vec!["-s"]);
        let by: Vec<&str> = r.edits.iter().map(|e| e.by).collect();
        assert_eq!(by, vec!["namePrefix", "namePrefix", "nameSuffix"]);
        assert_eq!(r.edits[2].source, "overlay/kustomization.yaml");
    }

    #[test]
    fn crds_api_services_and_namespaces_keep_their_names() {
        // As kubectl kustomize 5.5: only apiregistration.k8s.io APIServices are skipped,
        // Namespaces and CRDs of any group are.
        let mut ra = resmap(vec![
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "foos.x.io"}}),
            json!({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": "v1.foo.io"}}),
            json!({"apiVersion": "example.com/v1", "kind": "APIService", "metadata": {"name": "api"}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}}),
            json!({"apiVersion": "example.com/v1", "kind": "Namespace", "metadata": {"name": "ns2"}}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "cr"}}),
        ]);
        apply(&mut ra, "p-", "-s", "k.yaml").unwrap();
        assert_eq!(
            names(&ra),
            vec!["foos.x.io", "v1.foo.io", "p-api-s", "ns", "ns2", "p-cr-s"]
        );
        assert!(ra.resources[0].meta.prev_ids.is_empty());
        assert!(ra.resources[0].meta.prefixes.is_empty());
    }

    #[test]
    fn empty_affixes_do_nothing() {
        let mut ra = resmap(vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}}),
        ]);
        apply(&mut ra, "", "", "k.yaml").unwrap();
        assert_eq!(names(&ra), vec!["cm"]);
        assert!(ra.resources[0].meta.prev_ids.is_empty() && ra.resources[0].edits.is_empty());
    }
}
