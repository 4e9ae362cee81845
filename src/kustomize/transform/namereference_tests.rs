//! Tests for the name-reference phase, and end-to-end cases for namespace,
//! namePrefix/nameSuffix and name references together. Expected values are
//! `kubectl kustomize` (kustomize v5.5.0) output.

use super::*;
use crate::kustomize::build::build;
use crate::kustomize::fs::MemFs;
use crate::kustomize::resource::{Origin, Resource};
use crate::yaml;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Identity key for order-free comparison (sorting is not this module's job).
fn key(v: &Value) -> String {
    format!(
        "{} {} {}/{}",
        v["apiVersion"].as_str().unwrap_or(""),
        v["kind"].as_str().unwrap_or(""),
        v["metadata"]["namespace"].as_str().unwrap_or(""),
        v["metadata"]["name"].as_str().unwrap_or("")
    )
}

fn keyed(docs: impl IntoIterator<Item = Value>) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for d in docs {
        assert!(out.insert(key(&d), d).is_none(), "duplicate id");
    }
    out
}

fn assert_builds(files: &[(&str, &str)], dir: &str, expected: &str) {
    let fs = MemFs::from_files(files.iter().copied());
    let out = build(&fs, dir).expect("build");
    let got = keyed(out.resources.into_iter().map(|r| Value::Object(r.doc)));
    let want = keyed(
        yaml::parse_stream(expected)
            .expect("expected YAML")
            .into_iter()
            .map(|d| d.value),
    );
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (k, w) in &want {
        assert_eq!(&got[k], w, "{k}");
    }
}

fn res(v: Value) -> Resource {
    match v {
        Value::Object(m) => Resource::new(
            m,
            Origin {
                file: "base/res.yaml".into(),
                line: 1,
                generated_by: None,
            },
        ),
        _ => panic!("not an object"),
    }
}

/// Renames `r` as a transformer would: stores its id, then sets the new name.
fn renamed(mut r: Resource, new_name: &str) -> Resource {
    r.store_previous_id();
    r.set_name(new_name);
    r
}

fn with_prefix(mut r: Resource, prefix: &str) -> Resource {
    r.meta.prefixes.push(prefix.into());
    let name = format!("{prefix}{}", r.name());
    renamed(r, &name)
}

fn resmap(rs: Vec<Resource>) -> ResMap {
    ResMap {
        resources: rs,
        ..ResMap::default()
    }
}

fn cm(name: &str, ns: &str) -> Resource {
    let mut v = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}});
    if !ns.is_empty() {
        v["metadata"]["namespace"] = json!(ns);
    }
    res(v)
}

#[test]
fn end_to_end_namespace_on_mixed_kinds() {
    assert_builds(NS_MIXED_FILES, "", NS_MIXED_EXPECTED);
}

#[test]
fn end_to_end_two_level_prefix_suffix_and_namespace() {
    assert_builds(TWO_LEVEL_FILES, "overlay", TWO_LEVEL_EXPECTED);
}

#[test]
fn end_to_end_same_names_in_different_namespaces() {
    assert_builds(SAME_NAMES_FILES, "top", SAME_NAMES_EXPECTED);
}

#[test]
fn end_to_end_namespace_quirks_of_mapping_references() {
    // kustomize quirks kept: a subject or webhook service naming namespace ns-a only
    // matches objects that *started* in ns-a when any object did (here the Ingress),
    // so the namespaced subject stays `sa` while the bare one becomes t-a-sa/ns-a;
    // a Deployment in ns-b never sees ns-a's ConfigMap or ServiceAccount.
    assert_builds(QUIRKS_FILES, "top", QUIRKS_EXPECTED);
}

#[test]
fn hashed_config_map_is_followed_in_every_pod_field() {
    let dep = res(json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {
            "containers": [{"name": "c",
                "env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "k"}}}],
                "envFrom": [{"configMapRef": {"name": "cfg"}}, {"configMapRef": {"name": "elsewhere"}}]}],
            "volumes": [
                {"name": "v", "configMap": {"name": "cfg"}},
                {"name": "p", "projected": {"sources": [{"configMap": {"name": "cfg"}}]}}
            ]}}}
    }));
    let mut ra = resmap(vec![renamed(cm("cfg", ""), "cfg-5g2b9d8f6k"), dep]);
    fix_back_references(&mut ra).unwrap();
    let spec = &ra.resources[1].doc["spec"]["template"]["spec"];
    let c = &spec["containers"][0];
    assert_eq!(
        c["env"][0]["valueFrom"]["configMapKeyRef"]["name"],
        "cfg-5g2b9d8f6k"
    );
    assert_eq!(c["envFrom"][0]["configMapRef"]["name"], "cfg-5g2b9d8f6k");
    assert_eq!(c["envFrom"][1]["configMapRef"]["name"], "elsewhere");
    assert_eq!(spec["volumes"][0]["configMap"]["name"], "cfg-5g2b9d8f6k");
    assert_eq!(
        spec["volumes"][1]["projected"]["sources"][0]["configMap"]["name"],
        "cfg-5g2b9d8f6k"
    );
    let edits = &ra.resources[1].edits;
    assert_eq!(edits.len(), 4);
    assert!(edits.iter().all(|e| e.by == "nameReference"));
    assert_eq!(
        edits[0].paths,
        vec!["spec.template.spec.volumes[0].configMap.name"]
    );
    assert_eq!(ra.resources[0].meta.ref_by.len(), 1);
    assert_eq!(ra.resources[0].meta.ref_by[0].name, "web");
}

#[test]
fn hpa_follows_its_deployment_and_not_a_same_named_statefulset() {
    let hpa = res(json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}}
    }));
    let dep =
        res(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}));
    let mut ra = resmap(vec![with_prefix(hpa, "p-"), with_prefix(dep, "p-")]);
    fix_back_references(&mut ra).unwrap();
    assert_eq!(
        ra.resources[0].doc["spec"]["scaleTargetRef"]["name"],
        "p-web"
    );
}

#[test]
fn references_to_objects_outside_the_build_are_left_alone() {
    let dep = res(json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"serviceAccountName": "builder",
            "imagePullSecrets": [{"name": "regcred"}]}}}
    }));
    let sa =
        res(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "other"}}));
    let mut ra = resmap(vec![with_prefix(dep, "p-"), with_prefix(sa, "p-")]);
    let before = ra.resources[0].doc.clone();
    fix_back_references(&mut ra).unwrap();
    assert_eq!(ra.resources[0].doc, before);
    assert!(ra.resources[0].edits.is_empty());
}

#[test]
fn ambiguous_referral_is_an_error_naming_the_candidates() {
    // kustomize: two bases (prefix p-, namespaces ns-a and ns-b) generate ConfigMap cm
    // with different data; an overlay (prefix q-) adds a ClusterRole naming "cm":
    // "found multiple possible referrals: ConfigMap.v1.[noGrp]/q-p-cm-h86gkk55b9.ns-a, ..."
    let mk = |ns: &str, hash: &str| {
        let mut r = with_prefix(cm("cm", ""), "p-");
        r.store_previous_id();
        r.set_namespace(ns);
        let r = renamed(r, &format!("p-cm-{hash}"));
        with_prefix(r, "q-")
    };
    let role = res(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "cr"},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["cm"]}]
    }));
    let mut ra = resmap(vec![
        mk("ns-a", "h86gkk55b9"),
        mk("ns-b", "7dhtbt57df"),
        with_prefix(role, "q-"),
    ]);
    let err = fix_back_references(&mut ra).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transform);
    assert_eq!(err.file, "base/res.yaml");
    assert!(
        err.message.contains("ConfigMap ns-a/q-p-cm-h86gkk55b9")
            && err.message.contains("ConfigMap ns-b/q-p-cm-7dhtbt57df"),
        "{}",
        err.message
    );
}

#[test]
fn without_the_referrers_prefix_no_candidate_is_chosen() {
    // Same as above but the ClusterRole has no prefix: kustomize leaves "cm" alone.
    let mk = |ns: &str, hash: &str| {
        let mut r = with_prefix(cm("cm", ""), "p-");
        r.store_previous_id();
        r.set_namespace(ns);
        renamed(r, &format!("p-cm-{hash}"))
    };
    let role = res(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "cr"},
        "rules": [{"resourceNames": ["cm", "p-cm"]}]
    }));
    let mut ra = resmap(vec![
        mk("ns-a", "h86gkk55b9"),
        mk("ns-b", "7dhtbt57df"),
        role,
    ]);
    fix_back_references(&mut ra).unwrap();
    assert_eq!(
        ra.resources[2].doc["rules"][0]["resourceNames"],
        json!(["cm", "p-cm"])
    );
}

#[test]
fn identical_candidates_resolve_to_the_first() {
    // Two ConfigMaps "cm" in two namespaces, both renamed p-cm: a cluster-scoped
    // ClusterRole sees both, and they share a name, so the name is p-cm.
    let role = res(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "cr"}, "rules": [{"resourceNames": ["cm"]}]
    }));
    let mut ra = resmap(vec![
        with_prefix(cm("cm", "a"), "p-"),
        with_prefix(cm("cm", "b"), "p-"),
        with_prefix(role, "p-"),
    ]);
    fix_back_references(&mut ra).unwrap();
    assert_eq!(
        ra.resources[2].doc["rules"][0]["resourceNames"],
        json!(["p-cm"])
    );
}

#[test]
fn role_ref_matches_the_kind_it_names() {
    let rb = |kind: &str| {
        res(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": format!("rb-{kind}")},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": "admin"}
        }))
    };
    let role = res(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "admin"}}),
    );
    let crole = res(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "admin"}}),
    );
    let mut ra = resmap(vec![
        renamed(role, "role-admin"),
        renamed(crole, "cluster-admin2"),
        rb("Role"),
        rb("ClusterRole"),
    ]);
    fix_back_references(&mut ra).unwrap();
    assert_eq!(ra.resources[2].doc["roleRef"]["name"], "role-admin");
    assert_eq!(ra.resources[3].doc["roleRef"]["name"], "cluster-admin2");
}

#[test]
fn subjects_get_the_service_accounts_name_and_namespace() {
    let sa = res(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa"}}));
    let mut sa = with_prefix(sa, "p-");
    sa.store_previous_id();
    sa.set_namespace("prod");
    let crb = res(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "crb"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "x"},
        "subjects": [
            {"kind": "ServiceAccount", "name": "sa"},
            {"kind": "ServiceAccount", "name": "sa", "namespace": "default"},
            {"kind": "ServiceAccount", "name": "sa", "namespace": "elsewhere"},
            {"kind": "ServiceAccount", "name": "other"}
        ]
    }));
    let mut ra = resmap(vec![sa, crb]);
    fix_back_references(&mut ra).unwrap();
    assert_eq!(
        ra.resources[1].doc["subjects"],
        json!([
            {"kind": "ServiceAccount", "name": "p-sa", "namespace": "prod"},
            {"kind": "ServiceAccount", "name": "p-sa", "namespace": "prod"},
            {"kind": "ServiceAccount", "name": "sa", "namespace": "elsewhere"},
            {"kind": "ServiceAccount", "name": "other"}
        ])
    );
    assert_eq!(
        ra.resources[1]
            .edits
            .iter()
            .flat_map(|e| e.paths.clone())
            .collect::<Vec<_>>(),
        vec![
            "subjects[0].name",
            "subjects[0].namespace",
            "subjects[1].name",
            "subjects[1].namespace"
        ]
    );
}

#[test]
fn nothing_renamed_means_nothing_to_do() {
    let dep = res(json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"volumes": [{"name": "v", "configMap": {"name": "cm"}}]}}}
    }));
    let mut ra = resmap(vec![cm("cm", ""), dep]);
    fix_back_references(&mut ra).unwrap();
    assert!(ra
        .resources
        .iter()
        .all(|r| r.edits.is_empty() && r.meta.ref_by.is_empty()));
}

#[test]
fn a_scalar_where_the_path_needs_a_mapping_is_an_error() {
    let dep = res(json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"volumes": ["cm"]}}}
    }));
    let mut ra = resmap(vec![renamed(cm("cm", ""), "cm-x"), dep]);
    let err = fix_back_references(&mut ra).unwrap_err();
    assert!(
        err.message.contains("spec.template.spec.volumes[0]"),
        "{}",
        err.message
    );
}

#[test]
fn table_paths_split_on_unescaped_slashes() {
    assert_eq!(
        crate::kustomize::fieldspec::split_path(
            r"metadata/annotations/nginx.ingress.kubernetes.io\/auth-secret"
        ),
        vec![
            "metadata",
            "annotations",
            "nginx.ingress.kubernetes.io/auth-secret"
        ]
    );
    let t = table();
    assert_eq!(t.specs.len(), 167);
    assert!(t.specs.iter().all(|s| !s.referrer.kind.is_empty()));
}

#[test]
fn ingress_auth_secret_annotation_is_followed() {
    let ing = res(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "ing", "annotations": {"nginx.ingress.kubernetes.io/auth-secret": "basic"}}
    }));
    let sec = res(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "basic"}}));
    let mut ra = resmap(vec![ing, renamed(sec, "basic-7f8m2c")]);
    fix_back_references(&mut ra).unwrap();
    assert_eq!(
        ra.resources[0].doc["metadata"]["annotations"]["nginx.ingress.kubernetes.io/auth-secret"],
        "basic-7f8m2c"
    );
}

const NS_MIXED_FILES: &[(&str, &str)] = &[
    (
        "kustomization.yaml",
        r#"namespace: prod
resources:
- res.yaml
"#,
    ),
    (
        "res.yaml",
        r#"apiVersion: v1
kind: Namespace
metadata:
  name: old
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
  namespace: other
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: cr
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: r
subjects:
- kind: ServiceAccount
  name: default
  namespace: foo
- kind: ServiceAccount
  name: sa1
  namespace: foo
- kind: ServiceAccount
  name: sa2
- kind: User
  name: default
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: crb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cr
subjects:
- kind: ServiceAccount
  name: default
- kind: ServiceAccount
  name: other
  namespace: x
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1.foo.io
spec:
  group: foo.io
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1.bar.io
spec:
  service:
    name: svc
    namespace: ns1
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: foos.x.io
spec:
  conversion:
    strategy: Webhook
    webhook:
      clientConfig:
        service:
          name: conv
          namespace: ns1
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: vwc
webhooks:
- name: a.b.c
  clientConfig:
    service:
      name: websvc
      namespace: ns1
- name: d.e.f
  clientConfig:
    service:
      name: svc2
      namespace: ns1
---
apiVersion: v1
kind: Service
metadata:
  name: websvc
  namespace: ns1
---
apiVersion: foo.io/v1
kind: Widget
metadata:
  name: w
"#,
    ),
];
/// `kubectl kustomize` (v5.5.0) output for NS_MIXED_FILES.
const NS_MIXED_EXPECTED: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: prod
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: foos.x.io
spec:
  conversion:
    strategy: Webhook
    webhook:
      clientConfig:
        service:
          name: conv
          namespace: prod
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: cr
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rb
  namespace: prod
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: r
subjects:
- kind: ServiceAccount
  name: default
  namespace: prod
- kind: ServiceAccount
  name: sa1
  namespace: foo
- kind: ServiceAccount
  name: sa2
- kind: User
  name: default
  namespace: prod
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: crb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cr
subjects:
- kind: ServiceAccount
  name: default
  namespace: prod
- kind: ServiceAccount
  name: other
  namespace: x
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
  namespace: prod
---
apiVersion: v1
kind: Service
metadata:
  name: websvc
  namespace: prod
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1.bar.io
spec:
  service:
    name: svc
    namespace: prod
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1.foo.io
spec:
  group: foo.io
  service:
    namespace: prod
---
apiVersion: foo.io/v1
kind: Widget
metadata:
  name: w
  namespace: prod
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: vwc
webhooks:
- clientConfig:
    service:
      name: websvc
      namespace: prod
  name: a.b.c
- clientConfig:
    service:
      name: svc2
      namespace: ns1
  name: d.e.f
"#;

const TWO_LEVEL_FILES: &[(&str, &str)] = &[
    (
        "base/kustomization.yaml",
        r#"namePrefix: b-
resources:
- res.yaml
"#,
    ),
    (
        "base/res.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
---
apiVersion: v1
kind: Secret
metadata:
  name: sec
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
---
apiVersion: v1
kind: Service
metadata:
  name: svc
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: dep
spec:
  template:
    spec:
      serviceAccountName: sa
      imagePullSecrets:
      - name: sec
      - name: notinbuild
      initContainers:
      - name: i
        envFrom:
        - configMapRef:
            name: cm
      containers:
      - name: c
        env:
        - name: A
          valueFrom:
            configMapKeyRef:
              name: cm
              key: k
        - name: B
          valueFrom:
            secretKeyRef:
              name: sec
              key: k
        envFrom:
        - configMapRef:
            name: cm
        - secretRef:
            name: sec
        - configMapRef:
            name: missing
      volumes:
      - name: v1
        configMap:
          name: cm
      - name: v2
        secret:
          secretName: sec
      - name: v3
        projected:
          sources:
          - configMap:
              name: cm
          - secret:
              name: sec
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: hpa
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: dep
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ing
  annotations:
    nginx.ingress.kubernetes.io/auth-secret: sec
spec:
  ingressClassName: ic
  defaultBackend:
    service:
      name: svc
      port:
        number: 80
  tls:
  - secretName: sec
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: svc
            port:
              number: 80
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: ic
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: role
rules:
- apiGroups: [""]
  resources: ["configmaps"]
  resourceNames: ["cm", "other"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: crole
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: role
subjects:
- kind: ServiceAccount
  name: sa
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rb2
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: crole
subjects:
- kind: ServiceAccount
  name: sa
  namespace: default
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: crb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: crole
subjects:
- kind: ServiceAccount
  name: sa
  namespace: default
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: foos.x.io
---
apiVersion: v1
kind: Namespace
metadata:
  name: myns
"#,
    ),
    (
        "overlay/kustomization.yaml",
        r#"namePrefix: o-
nameSuffix: -s
namespace: prod
resources:
- ../base
"#,
    ),
];
/// `kubectl kustomize` (v5.5.0) output for TWO_LEVEL_FILES.
const TWO_LEVEL_EXPECTED: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: prod
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: foos.x.io
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: o-b-sa-s
  namespace: prod
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: o-b-role-s
  namespace: prod
rules:
- apiGroups:
  - ""
  resourceNames:
  - o-b-cm-s
  - other
  resources:
  - configmaps
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: o-b-crole-s
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: o-b-rb-s
  namespace: prod
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: o-b-role-s
subjects:
- kind: ServiceAccount
  name: o-b-sa-s
  namespace: prod
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: o-b-rb2-s
  namespace: prod
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: o-b-crole-s
subjects:
- kind: ServiceAccount
  name: o-b-sa-s
  namespace: prod
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: o-b-crb-s
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: o-b-crole-s
subjects:
- kind: ServiceAccount
  name: o-b-sa-s
  namespace: prod
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: o-b-cm-s
  namespace: prod
---
apiVersion: v1
kind: Secret
metadata:
  name: o-b-sec-s
  namespace: prod
---
apiVersion: v1
kind: Service
metadata:
  name: o-b-svc-s
  namespace: prod
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: o-b-dep-s
  namespace: prod
spec:
  template:
    spec:
      containers:
      - env:
        - name: A
          valueFrom:
            configMapKeyRef:
              key: k
              name: o-b-cm-s
        - name: B
          valueFrom:
            secretKeyRef:
              key: k
              name: o-b-sec-s
        envFrom:
        - configMapRef:
            name: o-b-cm-s
        - secretRef:
            name: o-b-sec-s
        - configMapRef:
            name: missing
        name: c
      imagePullSecrets:
      - name: o-b-sec-s
      - name: notinbuild
      initContainers:
      - envFrom:
        - configMapRef:
            name: o-b-cm-s
        name: i
      serviceAccountName: o-b-sa-s
      volumes:
      - configMap:
          name: o-b-cm-s
        name: v1
      - name: v2
        secret:
          secretName: o-b-sec-s
      - name: v3
        projected:
          sources:
          - configMap:
              name: o-b-cm-s
          - secret:
              name: o-b-sec-s
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: o-b-hpa-s
  namespace: prod
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: o-b-dep-s
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  annotations:
    nginx.ingress.kubernetes.io/auth-secret: o-b-sec-s
  name: o-b-ing-s
  namespace: prod
spec:
  defaultBackend:
    service:
      name: o-b-svc-s
      port:
        number: 80
  ingressClassName: ic
  rules:
  - http:
      paths:
      - backend:
          service:
            name: o-b-svc-s
            port:
              number: 80
        path: /
        pathType: Prefix
  tls:
  - secretName: o-b-sec-s
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: o-b-ic-s
"#;

const SAME_NAMES_FILES: &[(&str, &str)] = &[
    (
        "a/kustomization.yaml",
        r#"namespace: ns-a
namePrefix: a-
resources:
- res.yaml
"#,
    ),
    (
        "a/res.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: r
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: r
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: r
subjects:
- kind: ServiceAccount
  name: sa
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: dep
spec:
  template:
    spec:
      serviceAccountName: sa
      volumes:
      - name: v
        configMap:
          name: cm
"#,
    ),
    (
        "b/kustomization.yaml",
        r#"namespace: ns-b
namePrefix: b-
resources:
- res.yaml
"#,
    ),
    (
        "b/res.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: r
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: r
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: r
subjects:
- kind: ServiceAccount
  name: sa
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: dep
spec:
  template:
    spec:
      serviceAccountName: sa
      volumes:
      - name: v
        configMap:
          name: cm
"#,
    ),
    (
        "top/kustomization.yaml",
        r#"resources:
- ../a
- ../b
- extra.yaml
"#,
    ),
    (
        "top/extra.yaml",
        r#"apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: cross
  namespace: ns-a
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: r
subjects:
- kind: ServiceAccount
  name: sa
  namespace: ns-b
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: crb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: r
subjects:
- kind: ServiceAccount
  name: sa
  namespace: ns-a
"#,
    ),
];
/// `kubectl kustomize` (v5.5.0) output for SAME_NAMES_FILES.
const SAME_NAMES_EXPECTED: &str = r#"apiVersion: v1
kind: ServiceAccount
metadata:
  name: a-sa
  namespace: ns-a
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: b-sa
  namespace: ns-b
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: a-r
  namespace: ns-a
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: b-r
  namespace: ns-b
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: a-r
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: b-r
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: a-rb
  namespace: ns-a
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: a-r
subjects:
- kind: ServiceAccount
  name: a-sa
  namespace: ns-a
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: cross
  namespace: ns-a
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: a-r
subjects:
- kind: ServiceAccount
  name: b-sa
  namespace: ns-b
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: b-rb
  namespace: ns-b
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: b-r
subjects:
- kind: ServiceAccount
  name: b-sa
  namespace: ns-b
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: crb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: r
subjects:
- kind: ServiceAccount
  name: sa
  namespace: ns-a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: a-cm
  namespace: ns-a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b-cm
  namespace: ns-b
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: a-dep
  namespace: ns-a
spec:
  template:
    spec:
      serviceAccountName: a-sa
      volumes:
      - configMap:
          name: a-cm
        name: v
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: b-dep
  namespace: ns-b
spec:
  template:
    spec:
      serviceAccountName: b-sa
      volumes:
      - configMap:
          name: b-cm
        name: v
"#;

const QUIRKS_FILES: &[(&str, &str)] = &[
    (
        "a/kustomization.yaml",
        r#"namePrefix: a-
namespace: ns-a
resources:
- res.yaml
"#,
    ),
    (
        "a/res.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: role
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
---
apiVersion: v1
kind: Service
metadata:
  name: svc
"#,
    ),
    (
        "top/kustomization.yaml",
        r#"namePrefix: t-
resources:
- ../a
- res.yaml
"#,
    ),
    (
        "top/res.yaml",
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: dep
  namespace: ns-b
spec:
  template:
    spec:
      serviceAccountName: sa
      volumes:
      - name: v
        configMap:
          name: cm
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rb
  namespace: ns-b
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: role
subjects:
- kind: ServiceAccount
  name: sa
  namespace: ns-a
- kind: ServiceAccount
  name: sa
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ing
  namespace: ns-b
spec:
  defaultBackend:
    service:
      name: svc
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ing
  namespace: ns-a
spec:
  defaultBackend:
    service:
      name: svc
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: vwc
webhooks:
- name: a.b.c
  clientConfig:
    service:
      name: svc
      namespace: ns-a
- name: d.e.f
  clientConfig:
    service:
      name: svc
      namespace: ns-b
"#,
    ),
];
/// `kubectl kustomize` (v5.5.0) output for QUIRKS_FILES.
const QUIRKS_EXPECTED: &str = r#"apiVersion: v1
kind: ServiceAccount
metadata:
  name: t-a-sa
  namespace: ns-a
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: t-a-role
  namespace: ns-a
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: t-rb
  namespace: ns-b
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: role
subjects:
- kind: ServiceAccount
  name: sa
  namespace: ns-a
- kind: ServiceAccount
  name: t-a-sa
  namespace: ns-a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: t-a-cm
  namespace: ns-a
---
apiVersion: v1
kind: Service
metadata:
  name: t-a-svc
  namespace: ns-a
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: t-dep
  namespace: ns-b
spec:
  template:
    spec:
      serviceAccountName: sa
      volumes:
      - configMap:
          name: cm
        name: v
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: t-ing
  namespace: ns-a
spec:
  defaultBackend:
    service:
      name: t-a-svc
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: t-ing
  namespace: ns-b
spec:
  defaultBackend:
    service:
      name: svc
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: t-vwc
webhooks:
- clientConfig:
    service:
      name: svc
      namespace: ns-a
  name: a.b.c
- clientConfig:
    service:
      name: svc
      namespace: ns-b
  name: d.e.f
"#;
