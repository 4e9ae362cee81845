//! `namePrefix` and `nameSuffix`: kustomize's PrefixTransformer then SuffixTransformer.
//!
//! Every object's `metadata.name` gets the prefix (then the suffix), except
//! CustomResourceDefinitions, `apiregistration.k8s.io` APIServices and Namespaces
//! (judged by the kind the object was loaded with). Each rename stores the previous
//! identity and the affix in `ResMeta`, which the name-reference phase uses to
//! rewrite references and to choose among same-named candidates.

use crate::engine::resmap::ResMap;
use crate::engine::resource::{Gvk, Resource};
use crate::error::Result;

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
