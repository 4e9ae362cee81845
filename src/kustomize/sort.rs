//! Output order: kustomize's legacy kind order (the default), `fifo`, or
//! `legacy` with custom `orderFirst`/`orderLast` from `sortOptions`.
//!
//! kustomize reads `sortOptions` from the root kustomization only.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::kustomization::SortOptions;
use crate::kustomize::resource::{Gvk, ResId, Resource};
use std::cmp::Ordering;
use std::collections::HashMap;

/// Kinds put first by the legacy order, in this order.
const ORDER_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

/// Kinds put last by the legacy order, in this order.
const ORDER_LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Where kustomize's default order puts a kind: negative for the kinds it puts
/// first, positive for those it puts last, 0 for the rest.
pub fn kind_rank(kind: &str) -> i64 {
    if let Some(i) = ORDER_FIRST.iter().position(|k| *k == kind) {
        return i as i64 - ORDER_FIRST.len() as i64;
    }
    ORDER_LAST
        .iter()
        .position(|k| *k == kind)
        .map_or(0, |i| 1 + i as i64)
}

/// Sorts resources for output. Call [`check`] on the options first: this
/// function treats options it does not understand as the default order.
pub fn sort(mut resources: Vec<Resource>, opts: Option<&SortOptions>) -> Vec<Resource> {
    let (first, last): (Vec<&str>, Vec<&str>) = match opts {
        Some(o) if o.order == "fifo" => return resources,
        Some(o) => match &o.legacy_sort_options {
            Some(l) => (
                l.order_first.iter().map(String::as_str).collect(),
                l.order_last.iter().map(String::as_str).collect(),
            ),
            None => (ORDER_FIRST.to_vec(), ORDER_LAST.to_vec()),
        },
        None => (ORDER_FIRST.to_vec(), ORDER_LAST.to_vec()),
    };
    let mut rank: HashMap<&str, i64> = HashMap::new();
    let n = first.len() as i64;
    for (i, k) in first.iter().enumerate() {
        rank.insert(k, i as i64 - n);
    }
    for (i, k) in last.iter().enumerate() {
        rank.insert(k, 1 + i as i64);
    }
    let mut keyed: Vec<(ResId, Resource)> = resources.drain(..).map(|r| (r.cur_id(), r)).collect();
    keyed.sort_by(|(a, _), (b, _)| compare(a, b, &rank));
    keyed.into_iter().map(|(_, r)| r).collect()
}

/// Checks `sortOptions` as kustomize does before sorting.
pub fn check(opts: &SortOptions, source: &str) -> Result<()> {
    let err = |msg: String| Err(Error::new(ErrorKind::Invalid, source, msg));
    match opts.order.as_str() {
        "legacy" => Ok(()),
        "fifo" if opts.legacy_sort_options.is_some() => err(
            "the field 'sortOptions.legacySortOptions' is set but the selected sort order is \
             'fifo', not 'legacy'; remove legacySortOptions or set order: legacy"
                .into(),
        ),
        "fifo" => Ok(()),
        _ => err(format!(
            "the field 'sortOptions.order' must be one of [fifo, legacy] (got '{}')",
            opts.order
        )),
    }
}

fn compare(a: &ResId, b: &ResId, rank: &HashMap<&str, i64>) -> Ordering {
    if a.gvk != b.gvk {
        return gvk_order(&a.gvk, &b.gvk, rank);
    }
    id_sort_string(a).cmp(&id_sort_string(b))
}

fn gvk_order(a: &Gvk, b: &Gvk, rank: &HashMap<&str, i64>) -> Ordering {
    let ra = rank.get(a.kind.as_str()).copied().unwrap_or(0);
    let rb = rank.get(b.kind.as_str()).copied().unwrap_or(0);
    if ra != rb {
        return ra.cmp(&rb);
    }
    let (sa, sb) = (gvk_sort_string(a), gvk_sort_string(b));
    if a.kind == "Namespace" && b.kind == "Namespace" && (a.group.is_empty() || b.group.is_empty())
    {
        // kustomize puts core Namespaces after namespaces of other groups.
        return sb.cmp(&sa);
    }
    sa.cmp(&sb)
}

fn or<'a>(s: &'a str, missing: &'a str) -> &'a str {
    if s.is_empty() {
        missing
    } else {
        s
    }
}

fn gvk_sort_string(g: &Gvk) -> String {
    format!(
        "{}_{}_{}",
        or(&g.group, "~G"),
        or(&g.version, "~V"),
        or(&g.kind, "~K")
    )
}

fn id_sort_string(id: &ResId) -> String {
    format!(
        "{}.{}.{}|{}|{}",
        or(&id.gvk.kind, "[noKind]"),
        or(&id.gvk.version, "[noVer]"),
        or(&id.gvk.group, "[noGrp]"),
        or(&id.namespace, "~X"),
        or(&id.name, "~N")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::kustomization::LegacySortOptions;
    use crate::kustomize::resource::Origin;
    use serde_json::{json, Value};

    fn res(api: &str, kind: &str, name: &str, ns: &str) -> Resource {
        let mut v = json!({"apiVersion": api, "kind": kind, "metadata": {"name": name}});
        if !ns.is_empty() {
            v["metadata"]["namespace"] = json!(ns);
        }
        let Value::Object(m) = v else { panic!() };
        Resource::new(m, Origin::default())
    }

    fn names(rs: &[Resource]) -> Vec<String> {
        rs.iter()
            .map(|r| format!("{}/{}", r.kind(), r.name()))
            .collect()
    }

    fn input() -> Vec<Resource> {
        vec![
            res("apps/v1", "Deployment", "b", ""),
            res(
                "admissionregistration.k8s.io/v1",
                "ValidatingWebhookConfiguration",
                "v",
                "",
            ),
            res("example.com/v1", "Foo", "f", ""),
            res("apps/v1", "Deployment", "a", "z"),
            res("apps/v1", "Deployment", "a", ""),
            res("v1", "Service", "s", ""),
            res("v1", "Namespace", "ns", ""),
            res("example.com/v1", "Namespace", "xns", ""),
            res("v1", "ConfigMap", "c", ""),
            res("batch/v1", "Job", "j", ""),
        ]
    }

    // Expected order from `kubectl kustomize` (v5.5.0) on the same input.
    #[test]
    fn legacy_default_order() {
        let out = sort(input(), None);
        assert_eq!(
            names(&out),
            vec![
                "Namespace/ns",
                "Namespace/xns",
                "ConfigMap/c",
                "Service/s",
                "Deployment/a",
                "Deployment/a",
                "Deployment/b",
                "Job/j",
                "Foo/f",
                "ValidatingWebhookConfiguration/v",
            ]
        );
        assert_eq!(out[4].namespace(), "z");
        assert_eq!(out[5].namespace(), "");
    }

    #[test]
    fn fifo_keeps_input_order() {
        let opts = SortOptions {
            order: "fifo".into(),
            legacy_sort_options: None,
        };
        let out = sort(input(), Some(&opts));
        assert_eq!(names(&out), names(&input()));
    }

    #[test]
    fn custom_legacy_lists() {
        let opts = SortOptions {
            order: "legacy".into(),
            legacy_sort_options: Some(LegacySortOptions {
                order_first: vec!["Job".into()],
                order_last: vec!["ConfigMap".into()],
            }),
        };
        let out = sort(input(), Some(&opts));
        assert_eq!(names(&out)[0], "Job/j");
        assert_eq!(names(&out)[9], "ConfigMap/c");
    }

    #[test]
    fn check_rejects_what_kustomize_rejects() {
        let bad = SortOptions {
            order: "random".into(),
            legacy_sort_options: None,
        };
        assert!(check(&bad, "k.yaml").is_err());
        let fifo_with_lists = SortOptions {
            order: "fifo".into(),
            legacy_sort_options: Some(LegacySortOptions::default()),
        };
        assert!(check(&fifo_with_lists, "k.yaml").is_err());
    }

    // Whole pipeline through `build` on an in-memory tree; order and values from
    // `kubectl kustomize` (v5.5.0) on the same files.
    #[test]
    fn build_applies_transformers_then_legacy_order() {
        let res = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - {name: web, image: "nginx:1.0"}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - {name: c, image: nginx}
---
apiVersion: example.com/v1
kind: Foo
metadata: {name: foo}
---
apiVersion: v1
kind: Service
metadata: {name: svc}
spec:
  ports: [{port: 80}]
"#;
        let k = r#"resources: [res.yaml]
commonLabels: {app: web}
labels:
- pairs: {team: a, app: ignored}
commonAnnotations: {note: "true"}
replicas: [{name: web, count: 2}]
images: [{name: nginx, newTag: "2"}]
"#;
        let fs =
            crate::kustomize::fs::MemFs::from_files([("res.yaml", res), ("kustomization.yaml", k)]);
        let out = crate::kustomize::build::build(&fs, "").unwrap();
        assert_eq!(
            names(&out.resources),
            vec!["Service/svc", "Deployment/web", "CronJob/cj", "Foo/foo"]
        );
        let svc = &out.resources[0].doc;
        assert_eq!(
            svc["metadata"]["labels"],
            json!({"app": "web", "team": "a"})
        );
        assert_eq!(svc["spec"]["selector"], json!({"app": "web"}));
        let dep = &out.resources[1].doc;
        assert_eq!(dep["spec"]["replicas"], json!(2));
        assert_eq!(
            dep["spec"]["template"]["spec"]["containers"][0]["image"],
            "nginx:2"
        );
        assert_eq!(
            dep["spec"]["template"]["metadata"]["annotations"],
            json!({"note": "true"})
        );
        let cj = &out.resources[2].doc;
        assert_eq!(
            cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"],
            "nginx:2"
        );
    }
}
