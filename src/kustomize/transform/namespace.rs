//! `namespace`: moves every namespaced object into one namespace, as kustomize's
//! NamespaceTransformer does (the `namespace:` field, or a builtin plugin configuration
//! with its own field specs and options).
//!
//! What it sets (kustomize v5.5; the `namespace:` field uses the default options):
//! - `metadata.namespace` of every namespaced object (cluster-scoped kinds untouched),
//!   whatever the field specs say;
//! - (Cluster)RoleBinding `subjects`, per `setRoleBindingSubjects`: `defaultOnly` (the
//!   default) sets those named `default` whatever their kind, `allServiceAccounts` every
//!   ServiceAccount subject, `none` nothing;
//! - then every field spec: by default `metadata.name` of `v1` `Namespace` objects (a
//!   `metadata/name` spec applies only to `apiVersion: v1` objects), `spec.service.namespace`
//!   of `apiregistration.k8s.io` APIServices (created when absent) and
//!   `spec.conversion.webhook.clientConfig.service.namespace` of CRDs (only when present).
//!
//! With `unsetOnly`, only fields that are absent or empty are set.
//! Webhook configurations and other subjects are not touched here: the name-reference
//! phase moves them when the Service or ServiceAccount they name is part of the build.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::fieldspec::{split_path, walk, FieldSpec, WalkError};
use crate::kustomize::resmap::ResMap;
use crate::kustomize::resource::{ResId, Resource};
use serde_json::{Map, Value};
use std::collections::HashMap;

const BY: &str = "namespace";

/// kustomize's default `namespace` field specs (besides `metadata/namespace`, always set).
pub const DEFAULT_SPECS: &[(&str, &str, &str, bool)] = &[
    ("", "Namespace", "metadata/name", true),
    (
        "apiregistration.k8s.io",
        "APIService",
        "spec/service/namespace",
        true,
    ),
    (
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        "spec/conversion/webhook/clientConfig/service/namespace",
        false,
    ),
];

/// Which (Cluster)RoleBinding subjects get the namespace (`setRoleBindingSubjects`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Subjects {
    /// `defaultOnly`: subjects named `default`.
    #[default]
    DefaultOnly,
    /// `allServiceAccounts`: every subject of kind ServiceAccount.
    AllServiceAccounts,
    /// `none`.
    None,
}

/// How the namespace is set: the field specs and a NamespaceTransformer's options.
#[derive(Clone, Debug)]
pub struct Options {
    pub specs: Vec<FieldSpec>,
    /// Set only fields that are absent or empty.
    pub unset_only: bool,
    pub subjects: Subjects,
}

impl Default for Options {
    /// The `namespace:` field's options.
    fn default() -> Options {
        Options {
            specs: DEFAULT_SPECS
                .iter()
                .map(|&(group, kind, path, create)| FieldSpec {
                    group: group.into(),
                    kind: kind.into(),
                    ..FieldSpec::new(kind, path, create)
                })
                .collect(),
            unset_only: false,
            subjects: Subjects::DefaultOnly,
        }
    }
}

/// Sets `namespace` on every resource of `ra` as kustomize's `namespace:` field does;
/// `source` is the kustomization asking for it. A no-op for an empty namespace.
pub fn apply(ra: &mut ResMap, namespace: &str, source: &str) -> Result<()> {
    // The built-in table plus the rows `configurations` and `crds` add (`ra.config`).
    let opts = Options {
        specs: ra.config.or_defaults().namespace.clone(),
        ..Options::default()
    };
    apply_with(ra, namespace, &opts, source)
}

/// `apply` with a NamespaceTransformer's field specs and options.
///
/// Every resource gets its identity stored (`store_previous_id`) first, cluster-scoped
/// ones included, as kustomize does: the name-reference phase relies on it.
pub fn apply_with(ra: &mut ResMap, namespace: &str, opts: &Options, source: &str) -> Result<()> {
    if namespace.is_empty() {
        return Ok(());
    }
    for r in ra.iter_mut() {
        r.store_previous_id();
        let paths = set_namespace(r, namespace, opts).map_err(|e| {
            Error::new(
                ErrorKind::Transform,
                r.origin.file.clone(),
                format!(
                    "cannot set namespace '{namespace}' (from {source}) on {} {}: {e}",
                    r.kind(),
                    r.name()
                ),
            )
            .at_line(r.origin.line)
        })?;
        r.record(BY, source, paths);
    }
    check_unique(ra, namespace, source)
}

/// Sets the namespace on one resource without storing its identity or checking for
/// conflicts (as kustomize's ValueAddTransformer does for `metadata/namespace`);
/// returns the dotted paths it changed.
pub fn set_on(
    r: &mut Resource,
    ns: &str,
    opts: &Options,
) -> std::result::Result<Vec<String>, String> {
    set_namespace(r, ns, opts)
}

fn is_role_binding(kind: &str) -> bool {
    kind == "RoleBinding" || kind == "ClusterRoleBinding"
}

/// Applies the namespace to one object; returns the dotted paths it changed.
fn set_namespace(
    r: &mut Resource,
    ns: &str,
    opts: &Options,
) -> std::result::Result<Vec<String>, String> {
    let gvk = r.gvk();
    let api_version = r.api_version().to_string();
    let mut changed = Vec::new();
    let mut doc = Value::Object(std::mem::take(&mut r.doc));
    let set_at = |doc: &mut Value, path: &str, create: bool, changed: &mut Vec<String>| {
        let segments = split_path(path);
        let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
        walk(doc, &segs, create.then_some(Value::Null), &mut |v, at| {
            set_scalar(v, ns, opts.unset_only, at, changed)
        })
        .map_err(|e| {
            format!(
                "`{}` is not a string; namespace field specs must name scalar fields",
                e.at
            )
        })
    };
    let mut result = Ok(());
    if !gvk.is_cluster_scoped() {
        result = set_at(&mut doc, "metadata/namespace", true, &mut changed);
    }
    if result.is_ok() && is_role_binding(&gvk.kind) {
        if let Value::Object(m) = &mut doc {
            result = set_subjects(m, ns, opts, &mut changed);
        }
    }
    for fs in opts.specs.iter().filter(|fs| fs.matches(&gvk)) {
        if result.is_err() {
            break;
        }
        let skip = fs.path == "metadata/namespace"
            || (fs.path == "metadata/name" && api_version != "v1")
            || (is_role_binding(&fs.kind) && fs.path == "subjects/namespace");
        if !skip {
            result = set_at(&mut doc, &fs.path, fs.create, &mut changed);
        }
    }
    if let Value::Object(m) = doc {
        r.doc = m;
    }
    result.map(|()| changed)
}

/// Sets a namespace field, refusing to overwrite a mapping or a list; with
/// `unset_only`, a field that has a value keeps it.
fn set_scalar(
    v: &mut Value,
    ns: &str,
    unset_only: bool,
    at: &str,
    changed: &mut Vec<String>,
) -> std::result::Result<(), WalkError> {
    match v {
        Value::String(s) if s == ns => Ok(()),
        Value::Object(_) | Value::Array(_) => Err(WalkError { at: at.to_string() }),
        Value::Null => {
            *v = Value::String(ns.to_string());
            changed.push(at.to_string());
            Ok(())
        }
        Value::String(s) if s.is_empty() => {
            *v = Value::String(ns.to_string());
            changed.push(at.to_string());
            Ok(())
        }
        _ if unset_only => Ok(()),
        _ => {
            *v = Value::String(ns.to_string());
            changed.push(at.to_string());
            Ok(())
        }
    }
}

/// `setRoleBindingSubjects`: which subjects get the namespace.
fn set_subjects(
    doc: &mut Map<String, Value>,
    ns: &str,
    opts: &Options,
    changed: &mut Vec<String>,
) -> std::result::Result<(), String> {
    let (field, wanted) = match opts.subjects {
        Subjects::None => return Ok(()),
        Subjects::DefaultOnly => ("name", "default"),
        Subjects::AllServiceAccounts => ("kind", "ServiceAccount"),
    };
    let subjects = match doc.get_mut("subjects") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("`subjects` is not a list".to_string()),
    };
    for (i, subject) in subjects.iter_mut().enumerate() {
        let Some(m) = subject.as_object_mut() else {
            continue;
        };
        if m.get(field).and_then(Value::as_str) != Some(wanted) {
            continue;
        }
        let slot = m.entry("namespace").or_insert(Value::Null);
        set_scalar(
            slot,
            ns,
            opts.unset_only,
            &format!("subjects[{i}].namespace"),
            changed,
        )
        .map_err(|e| format!("`{}` is not a string", e.at))?;
    }
    Ok(())
}

/// kustomize refuses a namespace that makes two objects one (e.g. two `Namespace`s).
fn check_unique(ra: &ResMap, ns: &str, source: &str) -> Result<()> {
    let mut seen: HashMap<ResId, usize> = HashMap::new();
    for (i, r) in ra.iter().enumerate() {
        let mut id = r.cur_id();
        id.namespace = id.effective_namespace().to_string();
        if let Some(&first) = seen.get(&id) {
            return Err(Error::new(
                ErrorKind::Conflict,
                source.to_string(),
                format!(
                    "namespace '{ns}' makes two resources one: {} {} from {} and from {}; \
                     rename one of them or leave one out of this kustomization",
                    id.gvk.kind,
                    id.name,
                    place(&ra.resources[first]),
                    place(r),
                ),
            ));
        }
        seen.insert(id, i);
    }
    Ok(())
}

fn place(r: &Resource) -> String {
    if r.origin.line > 0 {
        format!("{}:{}", r.origin.file, r.origin.line)
    } else {
        r.origin.file.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::resource::Origin;
    use serde_json::json;

    fn resmap(docs: Vec<Value>) -> ResMap {
        let mut ra = ResMap::new();
        for (i, d) in docs.into_iter().enumerate() {
            let Value::Object(m) = d else {
                panic!("not an object")
            };
            let origin = Origin {
                file: "res.yaml".into(),
                line: 1 + 10 * i as u32,
                generated_by: None,
            };
            ra.append(Resource::new(m, origin)).unwrap();
        }
        ra
    }

    fn docs(ra: &ResMap) -> Vec<Value> {
        ra.iter().map(|r| Value::Object(r.doc.clone())).collect()
    }

    // Expected values: `kubectl kustomize` (v5.5.0) with `namespace: prod`.
    #[test]
    fn namespaced_kinds_move_and_cluster_scoped_kinds_stay() {
        let mut ra = resmap(vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "other"}}),
            json!({"apiVersion": "foo.io/v1", "kind": "Widget", "metadata": {"name": "w"}}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "cr"}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "old"}}),
        ]);
        apply(&mut ra, "prod", "kustomization.yaml").unwrap();
        assert_eq!(
            docs(&ra),
            vec![
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "prod"}}),
                json!({"apiVersion": "foo.io/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "prod"}}),
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "cr"}}),
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}),
            ]
        );
        // Every resource remembers its identity, cluster-scoped ones included (as kustomize).
        let prev: Vec<String> = ra.iter().map(|r| r.meta.prev_ids[0].to_string()).collect();
        assert_eq!(
            prev,
            vec![
                "ConfigMap.v1.[noGrp]/cm.other",
                "Widget.v1.foo.io/w.[noNs]",
                "ClusterRole.v1.rbac.authorization.k8s.io/cr.[noNs]",
                "Namespace.v1.[noGrp]/old.[noNs]",
            ]
        );
        assert_eq!(ra.resources[0].edits[0].paths, vec!["metadata.namespace"]);
        assert_eq!(ra.resources[0].edits[0].source, "kustomization.yaml");
        assert!(ra.resources[2].edits.is_empty());
        assert_eq!(ra.resources[3].edits[0].paths, vec!["metadata.name"]);
    }

    #[test]
    fn only_subjects_named_default_get_the_namespace() {
        let mut ra = resmap(vec![json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "rb"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
            "subjects": [
                {"kind": "ServiceAccount", "name": "default", "namespace": "foo"},
                {"kind": "ServiceAccount", "name": "sa1", "namespace": "foo"},
                {"kind": "ServiceAccount", "name": "sa2"},
                {"kind": "User", "name": "default"}
            ]
        })]);
        apply(&mut ra, "prod", "k.yaml").unwrap();
        assert_eq!(
            ra.resources[0].doc["subjects"],
            json!([
                {"kind": "ServiceAccount", "name": "default", "namespace": "prod"},
                {"kind": "ServiceAccount", "name": "sa1", "namespace": "foo"},
                {"kind": "ServiceAccount", "name": "sa2"},
                {"kind": "User", "name": "default", "namespace": "prod"}
            ])
        );
        assert_eq!(
            ra.resources[0].edits[0].paths,
            vec![
                "metadata.namespace",
                "subjects[0].namespace",
                "subjects[3].namespace"
            ]
        );
    }

    #[test]
    fn api_service_gets_a_service_namespace_and_crd_only_an_existing_one() {
        let mut ra = resmap(vec![
            json!({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                   "metadata": {"name": "v1.foo.io"}, "spec": {"group": "foo.io"}}),
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                   "metadata": {"name": "foos.x.io"},
                   "spec": {"conversion": {"strategy": "Webhook", "webhook": {"clientConfig":
                       {"service": {"name": "conv", "namespace": "ns1"}}}}}}),
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                   "metadata": {"name": "bars.x.io"}, "spec": {"group": "x.io"}}),
        ]);
        apply(&mut ra, "prod", "k.yaml").unwrap();
        assert_eq!(
            ra.resources[0].doc["spec"],
            json!({"group": "foo.io", "service": {"namespace": "prod"}})
        );
        assert_eq!(
            ra.resources[1].doc["spec"]["conversion"]["webhook"]["clientConfig"]["service"],
            json!({"name": "conv", "namespace": "prod"})
        );
        assert_eq!(ra.resources[2].doc["spec"], json!({"group": "x.io"}));
    }

    #[test]
    fn two_namespaces_becoming_one_is_a_conflict() {
        // kustomize: "namespace transformation produces ID conflict".
        let mut ra = resmap(vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}}),
        ]);
        let err = apply(&mut ra, "prod", "k.yaml").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Conflict);
        assert_eq!(err.file, "k.yaml");
        assert!(
            err.message
                .contains("Namespace prod from res.yaml:1 and from res.yaml:11"),
            "{}",
            err.message
        );
    }

    #[test]
    fn empty_namespace_changes_nothing() {
        let mut ra = resmap(vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}}),
        ]);
        apply(&mut ra, "", "k.yaml").unwrap();
        assert!(ra.resources[0].meta.prev_ids.is_empty());
        assert!(!ra.resources[0].doc["metadata"]
            .as_object()
            .unwrap()
            .contains_key("namespace"));
    }

    #[test]
    fn a_namespace_kind_of_another_group_is_namespaced() {
        // kustomize takes scope from its schema by apiVersion and kind: an
        // `example.com/v1` Namespace is namespaced and keeps its name.
        let mut ra = resmap(vec![
            json!({"apiVersion": "example.com/v1", "kind": "Namespace", "metadata": {"name": "custom-ns"}}),
        ]);
        apply(&mut ra, "prod", "k.yaml").unwrap();
        assert_eq!(
            ra.resources[0].doc["metadata"],
            json!({"name": "custom-ns", "namespace": "prod"})
        );
    }
}
