//! `namePrefix` and `nameSuffix`: kustomize's PrefixTransformer then SuffixTransformer.
//!
//! Every object's `metadata.name` gets the prefix (then the suffix), except
//! CustomResourceDefinitions, `apiregistration.k8s.io` APIServices and Namespaces
//! (judged by the kind the object was loaded with). Each rename stores the previous
//! identity and the affix in `ResMeta`, which the name-reference phase uses to
//! rewrite references and to choose among same-named candidates.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::fieldspec::{split_path, walk, FieldSpec, WalkError};
use crate::kustomize::resmap::ResMap;
use crate::kustomize::resource::{Gvk, Resource};
use serde_json::Value;

/// Renames the resources of `ra` as kustomize's `namePrefix` and `nameSuffix` do;
/// `source` is the kustomization asking for it. Empty strings do nothing.
///
/// kustomize runs the prefix transformer over every resource, then the suffix
/// transformer; each stores a previous identity, so a resource given both has
/// `name`, `prefix-name` as previous ids and `prefix-name-suffix` as its name.
pub fn apply(ra: &mut ResMap, prefix: &str, suffix: &str, source: &str) -> Result<()> {
    // The built-in tables plus the rows `configurations` and `crds` add (`ra.config`).
    let config = std::sync::Arc::clone(&ra.config);
    let config = config.or_defaults();
    apply_with_specs(ra, prefix, "", &config.name_prefix, source)?;
    apply_with_specs(ra, "", suffix, &config.name_suffix, source)
}

/// `apply` along the given field specs (a Prefix/SuffixTransformer's `fieldSpecs`):
/// a `metadata/name` spec renames the object (with its identity stored, so name
/// references follow); any other spec only prepends or appends to that field.
pub fn apply_with_specs(
    ra: &mut ResMap,
    prefix: &str,
    suffix: &str,
    specs: &[FieldSpec],
    source: &str,
) -> Result<()> {
    if !prefix.is_empty() {
        affix(ra, Affix::Prefix(prefix), specs, source)?;
    }
    if !suffix.is_empty() {
        affix(ra, Affix::Suffix(suffix), specs, source)?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Affix<'a> {
    Prefix(&'a str),
    Suffix(&'a str),
}

fn affix(ra: &mut ResMap, a: Affix, specs: &[FieldSpec], source: &str) -> Result<()> {
    let by = match a {
        Affix::Prefix(_) => "namePrefix",
        Affix::Suffix(_) => "nameSuffix",
    };
    for r in ra.iter_mut().filter(|r| !skipped(r)) {
        // kustomize's OrgId keeps the kind the object was loaded with, but its current
        // group and version (only kinds are stored as previous identities).
        let org = Gvk {
            kind: r.org_id().gvk.kind,
            ..r.gvk()
        };
        for fs in specs.iter().filter(|fs| fs.matches(&org)) {
            if fs.path == "metadata/name" {
                match a {
                    Affix::Prefix(p) => r.meta.prefixes.push(p.to_string()),
                    Affix::Suffix(s) => r.meta.suffixes.push(s.to_string()),
                }
                r.store_previous_id();
            }
            let segments = split_path(&fs.path);
            let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
            let mut changed = Vec::new();
            let mut doc = Value::Object(std::mem::take(&mut r.doc));
            let create = fs.create.then_some(Value::Null);
            let walked = walk(&mut doc, &segs, create, &mut |v, path| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => {
                        return Err(WalkError {
                            at: path.to_string(),
                        })
                    }
                };
                *v = Value::String(match a {
                    Affix::Prefix(p) => format!("{p}{text}"),
                    Affix::Suffix(s) => format!("{text}{s}"),
                });
                changed.push(path.to_string());
                Ok(())
            });
            if let Value::Object(m) = doc {
                r.doc = m;
            }
            if let Err(e) = walked {
                return Err(Error::new(
                    ErrorKind::Transform,
                    source,
                    format!(
                        "{by}: cannot change '{}' of {}: it is not a string; fix the object, or \
                         remove this kind from the field specs",
                        e.at,
                        r.cur_id()
                    ),
                )
                .at_line(r.origin.line));
            }
            r.record(by, source, changed);
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
