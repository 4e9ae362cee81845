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
///
/// Rows that `configurations` and `crds` add (`ra.config.name_prefix`, `name_suffix`)
/// get the affix too, on the kinds they select (by the kind the object was loaded with).
pub fn apply(ra: &mut ResMap, prefix: &str, suffix: &str, source: &str) -> Result<()> {
    let config = std::sync::Arc::clone(&ra.config);
    let config = config.or_defaults();
    let prefix_specs = config.name_prefix.clone();
    let suffix_specs = config.name_suffix.clone();
    if !prefix.is_empty() {
        for r in ra.iter_mut().filter(|r| !skipped(r)) {
            let gvk = org_gvk(r);
            for fs in prefix_specs.iter().filter(|fs| fs.matches(&gvk)) {
                if fs.path == NAME_PATH {
                    r.meta.prefixes.push(prefix.to_string());
                    r.store_previous_id();
                    let name = format!("{prefix}{}", r.name());
                    r.set_name(&name);
                    r.record("namePrefix", source, vec!["metadata.name".into()]);
                } else {
                    set_field(r, fs, &|v| format!("{prefix}{v}"), "namePrefix", source)?;
                }
            }
        }
    }
    if !suffix.is_empty() {
        for r in ra.iter_mut().filter(|r| !skipped(r)) {
            let gvk = org_gvk(r);
            for fs in suffix_specs.iter().filter(|fs| fs.matches(&gvk)) {
                if fs.path == NAME_PATH {
                    r.meta.suffixes.push(suffix.to_string());
                    r.store_previous_id();
                    let name = format!("{}{suffix}", r.name());
                    r.set_name(&name);
                    r.record("nameSuffix", source, vec!["metadata.name".into()]);
                } else {
                    set_field(r, fs, &|v| format!("{v}{suffix}"), "nameSuffix", source)?;
                }
            }
        }
    }
    Ok(())
}

const NAME_PATH: &str = "metadata/name";

/// The object's kind as loaded, with its current group and version (kustomize's `OrgId`).
fn org_gvk(r: &Resource) -> Gvk {
    Gvk {
        kind: r.org_id().gvk.kind,
        ..r.gvk()
    }
}

/// Adds the affix to a configured field other than the name (created empty first
/// when the row says `create`).
fn set_field(
    r: &mut Resource,
    fs: &FieldSpec,
    affixed: &dyn Fn(&str) -> String,
    by: &'static str,
    source: &str,
) -> Result<()> {
    let segments = split_path(&fs.path);
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let mut changed = Vec::new();
    let mut doc = Value::Object(std::mem::take(&mut r.doc));
    let walked = walk(
        &mut doc,
        &segs,
        fs.create.then_some(Value::Null),
        &mut |v, at| {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(WalkError { at: at.to_string() }),
            };
            *v = Value::String(affixed(&text));
            changed.push(at.to_string());
            Ok(())
        },
    );
    if let Value::Object(m) = doc {
        r.doc = m;
    }
    walked.map_err(|e| {
        Error::new(
            ErrorKind::Transform,
            source,
            format!(
                "{by}: cannot rename '{}' of {}: it is not a string; fix the object or the \
                 field spec {}",
                e.at,
                r.cur_id(),
                fs.path
            ),
        )
        .at_line(r.origin.line)
    })?;
    r.record(by, source, changed);
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
