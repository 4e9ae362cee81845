//! `namespace`: moves every namespaced object into one namespace, as kustomize's
//! NamespaceTransformer does with its default configuration.
//!
//! What it sets (kustomize v5.5, `setRoleBindingSubjects: defaultOnly`, `unsetOnly: false`):
//! - `metadata.namespace` of every namespaced object (cluster-scoped kinds untouched);
//! - `metadata.name` of `v1` `Namespace` objects (a `Namespace` of another group keeps its name);
//! - `namespace` of (Cluster)RoleBinding `subjects` whose `name` is `default`, whatever their kind;
//! - `spec.service.namespace` of `apiregistration.k8s.io` APIServices (created when absent);
//! - `spec.conversion.webhook.clientConfig.service.namespace` of CRDs (only when present).
//!
//! Webhook configurations and other subjects are not touched here: the name-reference
//! phase moves them when the Service or ServiceAccount they name is part of the build.

use crate::engine::fieldspec::{walk, WalkError};
use crate::engine::resmap::ResMap;
use crate::engine::resource::{ResId, Resource};
use crate::error::{Error, ErrorKind, Result};
use serde_json::{Map, Value};
use std::collections::HashMap;

const BY: &str = "namespace";

/// Paths set besides `metadata.namespace`: (group, kind, path, create when absent).
const EXTRA_FIELDS: &[(&str, &str, &[&str], bool)] = &[
    (
        "apiregistration.k8s.io",
        "APIService",
        &["spec", "service", "namespace"],
        true,
    ),
    (
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        &[
            "spec",
            "conversion",
            "webhook",
            "clientConfig",
            "service",
            "namespace",
        ],
        false,
    ),
];

/// Sets `namespace` on every resource of `ra` as kustomize's `namespace:` field does;
/// `source` is the kustomization asking for it. A no-op for an empty namespace.
///
/// Every resource gets its identity stored (`store_previous_id`) first, cluster-scoped
/// ones included, as kustomize does: the name-reference phase relies on it.
pub fn apply(ra: &mut ResMap, namespace: &str, source: &str) -> Result<()> {
    if namespace.is_empty() {
        return Ok(());
    }
    for r in ra.iter_mut() {
        r.store_previous_id();
        let paths = set_namespace(r, namespace).map_err(|e| {
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

/// Applies the namespace to one object; returns the dotted paths it changed.
fn set_namespace(r: &mut Resource, ns: &str) -> std::result::Result<Vec<String>, String> {
    let gvk = r.gvk();
    let mut changed = Vec::new();
    if !gvk.is_cluster_scoped() && r.namespace() != ns {
        r.set_namespace(ns);
        changed.push("metadata.namespace".to_string());
    }
    if gvk.kind == "RoleBinding" || gvk.kind == "ClusterRoleBinding" {
        set_default_subjects(&mut r.doc, ns, &mut changed)?;
    }
    if gvk.kind == "Namespace" && r.api_version() == "v1" && r.name() != ns {
        r.set_name(ns);
        changed.push("metadata.name".to_string());
    }
    for (group, kind, path, create) in EXTRA_FIELDS {
        if gvk.kind != *kind || gvk.group != *group {
            continue;
        }
        let mut doc = Value::Object(std::mem::take(&mut r.doc));
        let result = walk(
            &mut doc,
            path,
            create.then_some(Value::Null),
            &mut |v, at| set_scalar(v, ns, at, &mut changed),
        );
        if let Value::Object(m) = doc {
            r.doc = m;
        }
        result.map_err(|e| format!("`{}` is not a mapping", e.at))?;
    }
    Ok(changed)
}

/// Sets a namespace field, refusing to overwrite a mapping or a list.
fn set_scalar(
    v: &mut Value,
    ns: &str,
    at: &str,
    changed: &mut Vec<String>,
) -> std::result::Result<(), WalkError> {
    match v {
        Value::String(s) if s == ns => Ok(()),
        Value::Object(_) | Value::Array(_) => Err(WalkError { at: at.to_string() }),
        _ => {
            *v = Value::String(ns.to_string());
            changed.push(at.to_string());
            Ok(())
        }
    }
}

/// kustomize's `defaultOnly` mode: subjects named `default` get the namespace.
fn set_default_subjects(
    doc: &mut Map<String, Value>,
    ns: &str,
    changed: &mut Vec<String>,
) -> std::result::Result<(), String> {
    let subjects = match doc.get_mut("subjects") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("`subjects` is not a list".to_string()),
    };
    for (i, subject) in subjects.iter_mut().enumerate() {
        let Some(m) = subject.as_object_mut() else {
            continue;
        };
        if m.get("name").and_then(Value::as_str) != Some("default") {
            continue;
        }
        if m.get("namespace").and_then(Value::as_str) != Some(ns) {
            if m.get("namespace")
                .is_some_and(|v| v.is_object() || v.is_array())
            {
                return Err(format!("`subjects[{i}].namespace` is not a string"));
            }
            m.insert("namespace".into(), Value::String(ns.to_string()));
            changed.push(format!("subjects[{i}].namespace"));
        }
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
