//! kustomize v5.5's built-in FieldSpec tables (where labels, annotations, images
//! and replicas go), and the walk that sets map entries along them.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::fieldspec::{split_path, walk, FieldSpec, WalkError};
use crate::kustomize::resource::Resource;
use serde_json::{Map, Value};

/// One table row: (group, version, kind, path, create). Empty strings match anything.
pub(crate) type Row = (&'static str, &'static str, &'static str, &'static str, bool);

const AFFINITY: &str = "spec/template/spec/affinity";

/// Selector fields that `commonLabels` (and `labels` with `includeSelectors`) also set.
/// `metadata/labels` and the template labels follow (`METADATA_LABELS`).
pub(crate) const SELECTOR_LABELS: &[Row] = &[
    ("", "v1", "Service", "spec/selector", true),
    ("", "v1", "ReplicationController", "spec/selector", true),
    ("", "", "Deployment", "spec/selector/matchLabels", true),
    ("apps", "", "Deployment", "@/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels", false),
    ("apps", "", "Deployment", "@/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels", false),
    ("apps", "", "Deployment", "@/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels", false),
    ("apps", "", "Deployment", "@/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels", false),
    ("apps", "", "Deployment", "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels", false),
    ("", "", "ReplicaSet", "spec/selector/matchLabels", true),
    ("", "", "DaemonSet", "spec/selector/matchLabels", true),
    ("apps", "", "StatefulSet", "spec/selector/matchLabels", true),
    ("apps", "", "StatefulSet", "@/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels", false),
    ("apps", "", "StatefulSet", "@/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels", false),
    ("apps", "", "StatefulSet", "@/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels", false),
    ("apps", "", "StatefulSet", "@/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels", false),
    ("apps", "", "StatefulSet", "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels", false),
    ("batch", "", "Job", "spec/selector/matchLabels", false),
    ("batch", "", "CronJob", "spec/jobTemplate/spec/selector/matchLabels", false),
    ("policy", "", "PodDisruptionBudget", "spec/selector/matchLabels", false),
    ("networking.k8s.io", "", "NetworkPolicy", "spec/podSelector/matchLabels", false),
    ("networking.k8s.io", "", "NetworkPolicy", "spec/ingress/from/podSelector/matchLabels", false),
    ("networking.k8s.io", "", "NetworkPolicy", "spec/egress/to/podSelector/matchLabels", false),
];

/// `metadata/labels` plus the pod-template (and claim-template) labels of workloads:
/// kustomize's `templateLabels` table, also the tail of its `commonLabels` table.
pub(crate) const METADATA_LABELS: &[Row] = &[
    ("", "", "", "metadata/labels", true),
    (
        "",
        "v1",
        "ReplicationController",
        "spec/template/metadata/labels",
        true,
    ),
    ("", "", "Deployment", "spec/template/metadata/labels", true),
    ("", "", "ReplicaSet", "spec/template/metadata/labels", true),
    ("", "", "DaemonSet", "spec/template/metadata/labels", true),
    (
        "apps",
        "",
        "StatefulSet",
        "spec/template/metadata/labels",
        true,
    ),
    (
        "apps",
        "",
        "StatefulSet",
        "spec/volumeClaimTemplates[]/metadata/labels",
        true,
    ),
    ("batch", "", "Job", "spec/template/metadata/labels", true),
    (
        "batch",
        "",
        "CronJob",
        "spec/jobTemplate/metadata/labels",
        true,
    ),
    (
        "batch",
        "",
        "CronJob",
        "spec/jobTemplate/spec/template/metadata/labels",
        true,
    ),
];

/// kustomize's `commonAnnotations` table.
pub(crate) const ANNOTATIONS: &[Row] = &[
    ("", "", "", "metadata/annotations", true),
    (
        "",
        "v1",
        "ReplicationController",
        "spec/template/metadata/annotations",
        true,
    ),
    (
        "",
        "",
        "Deployment",
        "spec/template/metadata/annotations",
        true,
    ),
    (
        "",
        "",
        "ReplicaSet",
        "spec/template/metadata/annotations",
        true,
    ),
    (
        "",
        "",
        "DaemonSet",
        "spec/template/metadata/annotations",
        true,
    ),
    (
        "",
        "",
        "StatefulSet",
        "spec/template/metadata/annotations",
        true,
    ),
    (
        "batch",
        "",
        "Job",
        "spec/template/metadata/annotations",
        true,
    ),
    (
        "batch",
        "",
        "CronJob",
        "spec/jobTemplate/metadata/annotations",
        true,
    ),
    (
        "batch",
        "",
        "CronJob",
        "spec/jobTemplate/spec/template/metadata/annotations",
        true,
    ),
];

/// kustomize's `images` table (the `containers` walk in images.rs covers more).
pub(crate) const IMAGES: &[Row] = &[
    ("", "", "", "spec/containers[]/image", true),
    ("", "", "", "spec/initContainers[]/image", true),
    ("", "", "", "spec/template/spec/containers[]/image", true),
    (
        "",
        "",
        "",
        "spec/template/spec/initContainers[]/image",
        true,
    ),
];

/// kustomize's `replicas` table.
pub(crate) const REPLICAS: &[Row] = &[
    ("", "", "Deployment", "spec/replicas", true),
    ("", "", "ReplicationController", "spec/replicas", true),
    ("", "", "ReplicaSet", "spec/replicas", true),
    ("", "", "StatefulSet", "spec/replicas", true),
];

/// kustomize's `varReference` table: where `$(VAR)` is replaced.
pub(crate) const VAR_REFERENCE: &[Row] = &[
    (
        "",
        "",
        "CronJob",
        "spec/jobTemplate/spec/template/spec/containers/args",
        false,
    ),
    (
        "",
        "",
        "CronJob",
        "spec/jobTemplate/spec/template/spec/containers/command",
        false,
    ),
    (
        "",
        "",
        "CronJob",
        "spec/jobTemplate/spec/template/spec/containers/env/value",
        false,
    ),
    (
        "",
        "",
        "CronJob",
        "spec/jobTemplate/spec/template/spec/containers/volumeMounts/mountPath",
        false,
    ),
    (
        "",
        "",
        "CronJob",
        "spec/jobTemplate/spec/template/spec/initContainers/args",
        false,
    ),
    (
        "",
        "",
        "CronJob",
        "spec/jobTemplate/spec/template/spec/initContainers/command",
        false,
    ),
    (
        "",
        "",
        "CronJob",
        "spec/jobTemplate/spec/template/spec/initContainers/env/value",
        false,
    ),
    (
        "",
        "",
        "CronJob",
        "spec/jobTemplate/spec/template/spec/initContainers/volumeMounts/mountPath",
        false,
    ),
    (
        "",
        "",
        "CronJob",
        "spec/jobTemplate/spec/template/volumes/nfs/server",
        false,
    ),
    (
        "",
        "",
        "DaemonSet",
        "spec/template/spec/containers/args",
        false,
    ),
    (
        "",
        "",
        "DaemonSet",
        "spec/template/spec/containers/command",
        false,
    ),
    (
        "",
        "",
        "DaemonSet",
        "spec/template/spec/containers/env/value",
        false,
    ),
    (
        "",
        "",
        "DaemonSet",
        "spec/template/spec/containers/volumeMounts/mountPath",
        false,
    ),
    (
        "",
        "",
        "DaemonSet",
        "spec/template/spec/initContainers/args",
        false,
    ),
    (
        "",
        "",
        "DaemonSet",
        "spec/template/spec/initContainers/command",
        false,
    ),
    (
        "",
        "",
        "DaemonSet",
        "spec/template/spec/initContainers/env/value",
        false,
    ),
    (
        "",
        "",
        "DaemonSet",
        "spec/template/spec/initContainers/volumeMounts/mountPath",
        false,
    ),
    (
        "",
        "",
        "DaemonSet",
        "spec/template/spec/volumes/nfs/server",
        false,
    ),
    (
        "",
        "",
        "Deployment",
        "spec/template/spec/containers/args",
        false,
    ),
    (
        "",
        "",
        "Deployment",
        "spec/template/spec/containers/command",
        false,
    ),
    (
        "",
        "",
        "Deployment",
        "spec/template/spec/containers/env/value",
        false,
    ),
    (
        "",
        "",
        "Deployment",
        "spec/template/spec/containers/volumeMounts/mountPath",
        false,
    ),
    (
        "",
        "",
        "Deployment",
        "spec/template/spec/initContainers/args",
        false,
    ),
    (
        "",
        "",
        "Deployment",
        "spec/template/spec/initContainers/command",
        false,
    ),
    (
        "",
        "",
        "Deployment",
        "spec/template/spec/initContainers/env/value",
        false,
    ),
    (
        "",
        "",
        "Deployment",
        "spec/template/spec/initContainers/volumeMounts/mountPath",
        false,
    ),
    (
        "",
        "",
        "Deployment",
        "spec/template/spec/volumes/nfs/server",
        false,
    ),
    (
        "",
        "",
        "Deployment",
        "spec/template/metadata/annotations",
        false,
    ),
    ("", "", "Ingress", "spec/rules/host", false),
    ("", "", "Ingress", "spec/tls/hosts", false),
    ("", "", "Ingress", "spec/tls/secretName", false),
    ("", "", "Job", "spec/template/spec/containers/args", false),
    (
        "",
        "",
        "Job",
        "spec/template/spec/containers/command",
        false,
    ),
    (
        "",
        "",
        "Job",
        "spec/template/spec/containers/env/value",
        false,
    ),
    (
        "",
        "",
        "Job",
        "spec/template/spec/containers/volumeMounts/mountPath",
        false,
    ),
    (
        "",
        "",
        "Job",
        "spec/template/spec/initContainers/args",
        false,
    ),
    (
        "",
        "",
        "Job",
        "spec/template/spec/initContainers/command",
        false,
    ),
    (
        "",
        "",
        "Job",
        "spec/template/spec/initContainers/env/value",
        false,
    ),
    (
        "",
        "",
        "Job",
        "spec/template/spec/initContainers/volumeMounts/mountPath",
        false,
    ),
    (
        "",
        "",
        "Job",
        "spec/template/spec/volumes/nfs/server",
        false,
    ),
    ("", "", "Pod", "spec/containers/args", false),
    ("", "", "Pod", "spec/containers/command", false),
    ("", "", "Pod", "spec/containers/env/value", false),
    (
        "",
        "",
        "Pod",
        "spec/containers/volumeMounts/mountPath",
        false,
    ),
    ("", "", "Pod", "spec/initContainers/args", false),
    ("", "", "Pod", "spec/initContainers/command", false),
    ("", "", "Pod", "spec/initContainers/env/value", false),
    (
        "",
        "",
        "Pod",
        "spec/initContainers/volumeMounts/mountPath",
        false,
    ),
    ("", "", "Pod", "spec/volumes/nfs/server", false),
    (
        "",
        "",
        "ReplicaSet",
        "spec/template/spec/containers/args",
        false,
    ),
    (
        "",
        "",
        "ReplicaSet",
        "spec/template/spec/containers/command",
        false,
    ),
    (
        "",
        "",
        "ReplicaSet",
        "spec/template/spec/containers/env/value",
        false,
    ),
    (
        "",
        "",
        "ReplicaSet",
        "spec/template/spec/containers/volumeMounts/mountPath",
        false,
    ),
    (
        "",
        "",
        "ReplicaSet",
        "spec/template/spec/initContainers/args",
        false,
    ),
    (
        "",
        "",
        "ReplicaSet",
        "spec/template/spec/initContainers/command",
        false,
    ),
    (
        "",
        "",
        "ReplicaSet",
        "spec/template/spec/initContainers/env/value",
        false,
    ),
    (
        "",
        "",
        "ReplicaSet",
        "spec/template/spec/initContainers/volumeMounts/mountPath",
        false,
    ),
    (
        "",
        "",
        "ReplicaSet",
        "spec/template/spec/volumes/nfs/server",
        false,
    ),
    ("", "", "Service", "spec/ports/port", false),
    ("", "", "Service", "spec/ports/targetPort", false),
    (
        "",
        "",
        "StatefulSet",
        "spec/template/spec/containers/args",
        false,
    ),
    (
        "",
        "",
        "StatefulSet",
        "spec/template/spec/containers/command",
        false,
    ),
    (
        "",
        "",
        "StatefulSet",
        "spec/template/spec/containers/env/value",
        false,
    ),
    (
        "",
        "",
        "StatefulSet",
        "spec/template/spec/containers/volumeMounts/mountPath",
        false,
    ),
    (
        "",
        "",
        "StatefulSet",
        "spec/template/spec/initContainers/args",
        false,
    ),
    (
        "",
        "",
        "StatefulSet",
        "spec/template/spec/initContainers/command",
        false,
    ),
    (
        "",
        "",
        "StatefulSet",
        "spec/template/spec/initContainers/env/value",
        false,
    ),
    (
        "",
        "",
        "StatefulSet",
        "spec/template/spec/initContainers/volumeMounts/mountPath",
        false,
    ),
    (
        "",
        "",
        "StatefulSet",
        "spec/volumeClaimTemplates/spec/nfs/server",
        false,
    ),
    ("", "", "PersistentVolume", "spec/nfs/server", false),
    ("", "", "", "metadata/labels", false),
    ("", "", "", "metadata/annotations", false),
];

/// kustomize's `namespace` table: fields set to the namespace besides
/// `metadata/namespace` (namespace.rs applies them with their special cases).
pub(crate) const NAMESPACE: &[Row] = &[
    ("", "", "Namespace", "metadata/name", true),
    (
        "apiregistration.k8s.io",
        "",
        "APIService",
        "spec/service/namespace",
        true,
    ),
    (
        "apiextensions.k8s.io",
        "",
        "CustomResourceDefinition",
        "spec/conversion/webhook/clientConfig/service/namespace",
        false,
    ),
];

/// kustomize's `namePrefix` and `nameSuffix` tables.
pub(crate) const NAME: &[Row] = &[("", "", "", "metadata/name", false)];

/// The rows as field specs (`@` abbreviates the pod affinity prefix).
pub(crate) fn specs(rows: &[Row]) -> Vec<FieldSpec> {
    rows.iter()
        .map(|&(group, version, kind, path, create)| FieldSpec {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            path: match path.strip_prefix('@') {
                Some(rest) => format!("{AFFINITY}{rest}"),
                None => path.into(),
            },
            create,
        })
        .collect()
}

/// Adds `fs` unless an equivalent spec is there (kustomize's `FsSlice.MergeOne`):
/// one whose kind filter `fs`'s selects, with the same path. Equivalent specs
/// that disagree on `create` are an error.
pub(crate) fn merge_one(specs: &mut Vec<FieldSpec>, fs: FieldSpec) -> std::result::Result<(), ()> {
    let selected_by = |x: &FieldSpec| {
        (fs.group.is_empty() || fs.group == x.group)
            && (fs.version.is_empty() || fs.version == x.version)
            && (fs.kind.is_empty() || fs.kind == x.kind)
            && fs.path == x.path
    };
    match specs.iter().find(|x| selected_by(x)) {
        Some(x) if x.create != fs.create => Err(()),
        Some(_) => Ok(()),
        None => {
            specs.push(fs);
            Ok(())
        }
    }
}

/// Sets `entries` (string keys and values) in the map at each place `specs`
/// name on `r`, creating maps where a spec says `create`. Returns the dotted
/// paths of the maps it wrote to.
/// Whether a map key written without quotes reads back as text (not `1`, `true`, `null`).
fn plain_key_is_text(k: &str) -> bool {
    matches!(crate::yaml::plain_scalar(k), Ok(Value::String(_)))
}

pub(crate) fn set_entries(
    r: &mut Resource,
    specs: &[FieldSpec],
    entries: &[(&str, &str)],
    what: &str,
    source: &str,
) -> Result<Vec<String>> {
    let gvk = r.gvk();
    let id = r.cur_id();
    let mut changed = Vec::new();
    let mut doc = Value::Object(std::mem::take(&mut r.doc));
    let mut result = Ok(());
    for fs in specs.iter().filter(|fs| fs.matches(&gvk)) {
        let segments = split_path(&fs.path);
        let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
        if segs.iter().any(|s| s.is_empty() || *s == "[]") {
            result = Err(Error::new(
                ErrorKind::Invalid,
                source,
                format!(
                    "field spec path '{}' has an empty segment; write it like metadata/labels",
                    fs.path
                ),
            ));
            break;
        }
        let create = fs.create.then(|| Value::Object(Map::new()));
        let mut bad_key: Option<String> = None;
        let walked = walk(&mut doc, &segs, create, &mut |v, path| {
            if v.is_null() {
                *v = Value::Object(Map::new());
            }
            let Some(map) = v.as_object_mut() else {
                return Err(WalkError {
                    at: path.to_string(),
                });
            };
            for (k, val) in entries {
                if !map.contains_key(*k) && !plain_key_is_text(k) {
                    bad_key = Some((*k).to_string());
                    return Err(WalkError {
                        at: path.to_string(),
                    });
                }
                map.insert((*k).to_string(), Value::String((*val).to_string()));
            }
            changed.push(path.to_string());
            Ok(())
        });
        if let Err(e) = walked {
            let msg = match bad_key.take() {
                // kyaml writes a new key unquoted; one that reads back as a number, a
                // boolean or null makes kustomize's output step fail (json: unsupported type).
                Some(k) => format!(
                    "cannot add the {what} key {k:?} at '{}' of {id}: unquoted it reads as a \
                     number, a boolean or null, which kustomize cannot write; use another key",
                    e.at
                ),
                None => format!(
                    "cannot set {what} at '{}' of {id}: '{}' is not a map; fix the object, or \
                     remove this kind from the field specs",
                    fs.path, e.at
                ),
            };
            result = Err(Error::new(ErrorKind::Transform, source, msg).at_line(r.origin.line));
            break;
        }
    }
    if let Value::Object(m) = doc {
        r.doc = m;
    }
    result.map(|()| changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_one_drops_specs_covered_by_a_wider_one_and_rejects_conflicts() {
        let mut s = specs(&[("", "", "Deployment", "metadata/labels", true)]);
        merge_one(&mut s, FieldSpec::new("", "metadata/labels", true)).unwrap();
        assert_eq!(s.len(), 1);
        assert!(merge_one(&mut s, FieldSpec::new("", "metadata/labels", false)).is_err());
        merge_one(&mut s, FieldSpec::new("Service", "spec/selector", true)).unwrap();
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn affinity_rows_expand() {
        let s = specs(SELECTOR_LABELS);
        assert_eq!(
            s[3].path,
            "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels"
        );
    }
}
