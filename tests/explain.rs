//! `strata explain` on the bundled examples: which file and line set a field.

mod common;
use common::*;

fn explain(dir: &std::path::Path, args: &[&str]) -> String {
    let mut a = vec!["explain"];
    a.extend_from_slice(args);
    ok(dir, &a)
}

/// The words of the chain row for `loc` (`file:line`): location, layer, mechanism, what
/// the line says, and `<- set it` on the step that set the final value.
fn row(out: &str, loc: &str) -> String {
    out.lines()
        .find(|l| l.trim_start().starts_with(&format!("{loc} ")))
        .unwrap_or_else(|| panic!("no row {loc} in:\n{out}"))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs explain, expects exit 2 with nothing on stdout, returns stderr.
fn explain_fails(dir: &std::path::Path, args: &[&str]) -> String {
    let mut a = vec!["explain"];
    a.extend_from_slice(args);
    let out = strata(dir, &a);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: {}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    text(&out.stderr)
}

#[test]
fn a_layers_replicas_entry_is_named_with_its_line_after_the_base() {
    let out = explain(
        &example("env-clusters"),
        &["prod-1", "web", "Deployment/web", "spec.replicas"],
    );
    assert_eq!(
        out,
        "Deployment/web -n web (cluster prod-1, app web)\n  \
         from apps/web/base/deployment.yaml:1 (base, resource)\n\n\
         spec.replicas = 4\n  \
         apps/web/base/deployment.yaml:6  base      resource  replicas: 1\n  \
         apps/web/env/prod.yaml:3         env prod  replicas  count: 4    <- set it\n"
    );
}

#[test]
fn images_entries_patches_and_generators_point_at_their_lines() {
    let dir = example("env-clusters");
    let image = explain(
        &dir,
        &[
            "dev-1",
            "web",
            "Deployment/web",
            "spec.template.spec.containers[name=web].image",
        ],
    );
    assert_eq!(
        row(&image, "apps/web/env/dev.yaml:3"),
        "apps/web/env/dev.yaml:3 env dev images newTag: 1.5.0-rc.1 <- set it"
    );
    assert_eq!(
        row(&image, "apps/web/base/deployment.yaml:11"),
        "apps/web/base/deployment.yaml:11 base resource image: ghcr.io/acme/web:1.4.0"
    );
    let patch = explain(
        &dir,
        &[
            "prod-1",
            "web",
            "Deployment/web",
            "spec.template.spec.containers[name=web].resources.limits.memory",
        ],
    );
    assert!(patch.contains("= 1Gi\n"), "{patch}");
    assert_eq!(
        row(&patch, "apps/web/base/deployment.yaml:16"),
        "apps/web/base/deployment.yaml:16 base resource limits: {memory: 256Mi}"
    );
    assert_eq!(
        row(&patch, "apps/web/env/prod.yaml:9"),
        "apps/web/env/prod.yaml:9 env prod patch value: 1Gi <- set it",
        "the patch's value line"
    );
    // A hash-suffixed name by its stem; the dev layer's merge literal.
    let config = explain(
        &dir,
        &["dev-1", "web", "ConfigMap/web-config", "data.LOG_LEVEL"],
    );
    assert!(
        config.starts_with("ConfigMap/web-config-bk8dk6k2k4 -n web"),
        "{config}"
    );
    assert_eq!(
        row(&config, "apps/web/base/kustomization.yaml:9"),
        "apps/web/base/kustomization.yaml:9 base generator literals: [LOG_LEVEL=info, CACHE_TTL=60]"
    );
    assert_eq!(
        row(&config, "apps/web/env/dev.yaml:7"),
        "apps/web/env/dev.yaml:7 env dev configMapGenerator literals: [LOG_LEVEL=debug] <- set it"
    );
}

#[test]
fn a_chart_value_names_the_values_key_that_won_and_the_template_line() {
    let dir = example("edge-fleet");
    let field = "spec.template.spec.containers[name=player].env[name=SCREENS].value";
    let out = explain(&dir, &["shop-0010", "signage", "Deployment/signage", field]);
    let want = format!(
        "Deployment/signage -n signage (cluster shop-0010, app signage)\n  \
         from apps/signage/base/templates/deployment.yaml:1 (base, template)\n\n\
         {field} = \"8\"\n  \
         apps/signage/base/values.yaml:4                 base             values screens  screens: 2\n  \
         apps/signage/format/flagship.yaml:3             format flagship  values screens  screens: 8                      <- set it\n  \
         apps/signage/base/templates/deployment.yaml:24  base             template        value: {{{{quote values.screens}}}}\n"
    );
    assert_eq!(out, want);
    let set = explain(
        &dir,
        &[
            "shop-0010",
            "signage",
            "Deployment/signage",
            field,
            "--set",
            "screens=9",
        ],
    );
    assert!(set.contains("= \"9\"\n"), "{set}");
    assert_eq!(row(&set, "--set"), "--set --set set screens <- set it");
    // A value from the cluster file.
    let store = explain(
        &dir,
        &[
            "shop-0001",
            "signage",
            "Deployment/signage",
            "spec.template.spec.containers[name=player].env[name=STORE_ID].value",
        ],
    );
    assert_eq!(
        row(&store, "clusters/shop-0001.yaml:6"),
        "clusters/shop-0001.yaml:6 cluster cluster values values.storeId storeId: \"0001\" <- set it"
    );
}

#[test]
fn without_a_field_it_blames_every_field_a_layer_touched() {
    let out = explain(
        &example("env-clusters"),
        &["prod-1", "web", "Deployment/web"],
    );
    insta::assert_snapshot!("explain-env-clusters-prod-1-web-blame", out);
    // Fields only the base sets are not listed.
    assert!(
        !out.contains("readinessProbe") && !out.contains("requests.cpu"),
        "{out}"
    );
}

#[test]
fn json_is_the_documented_shape() {
    let out = explain(
        &example("env-clusters"),
        &[
            "prod-1",
            "web",
            "Deployment/web",
            "spec.replicas",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["cluster"], "prod-1");
    assert_eq!(v["app"], "web");
    assert_eq!(
        v["resource"],
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "web", "name": "web"})
    );
    let f = &v["fields"][0];
    assert_eq!(f["path"], "spec.replicas");
    assert_eq!(f["value"], 4);
    assert_eq!(
        f["set_by"],
        serde_json::json!({"file": "apps/web/env/prod.yaml", "line": 3, "layer": "env prod", "mechanism": "replicas", "text": "count: 4"})
    );
    assert_eq!(f["chain"].as_array().unwrap().len(), 2);
    assert_eq!(f["chain"][0]["file"], "apps/web/base/deployment.yaml");
    assert_eq!(f["chain"][0]["line"], 6);
}

#[test]
fn targets_mode_explains_a_kustomize_overlay() {
    let s = Scratch::example("kustomize", "explain");
    s.write(
        "strata.yaml",
        "output: rendered\ntargets: [\"overlays/*\"]\n",
    );
    let out = explain(
        &s.0,
        &[
            "overlays/prod",
            "Deployment/web",
            "spec.template.spec.containers[name=web].image",
        ],
    );
    assert!(out.contains("(target overlays/prod)"), "{out}");
    assert_eq!(
        row(&out, "overlays/prod/kustomization.yaml:14"),
        "overlays/prod/kustomization.yaml:14 overlays/prod images digest: sha256:4b7f1e5c0b6a8d3f2e9c1a7b5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e <- set it",
        "the digest line"
    );
    // A component's inline JSON patch: the line of its value.
    let out = explain(
        &s.0,
        &[
            "overlays/prod",
            "Deployment/web",
            "spec.template.spec.containers[name=web].env[name=REGION_ENDPOINT].value",
        ],
    );
    assert_eq!(
        row(&out, "components/region-eu/kustomization.yaml:11"),
        "components/region-eu/kustomization.yaml:11 components/region-eu patch value: https://api.eu.example.com <- set it"
    );
    assert!(!s.0.join("rendered").exists(), "explain writes nothing");
}

#[test]
fn secret_values_are_never_printed() {
    let s = Scratch::new("explain-secret");
    s.write("strata.yaml", "output: rendered\nlayers: [env]\n")
        .write("clusters/a.yaml", "name: a\nenv: prod\n")
        .write("apps/db/app.yaml", "name: db\nnamespace: db\n")
        .write(
            "apps/db/base/kustomization.yaml",
            "secretGenerator:\n  - name: creds\n    literals: [PASSWORD=hunter2-base]\n",
        )
        .write(
            "apps/db/env/prod.yaml",
            "secretGenerator:\n  - name: creds\n    behavior: merge\n    literals:\n      - PASSWORD=hunter2-prod\n",
        );
    for format in ["text", "json"] {
        let out = explain(&s.0, &["a", "db", "Secret/creds", "--format", format]);
        assert!(
            !out.contains("hunter2") && !out.contains("aHVudGVy"),
            "{out}"
        );
        let line = if format == "json" {
            "\"file\": \"apps/db/env/prod.yaml\",\n          \"line\": 5,"
        } else {
            "apps/db/env/prod.yaml:5"
        };
        assert!(out.contains(line), "the literal's line: {out}");
    }
    let out = explain(&s.0, &["a", "db", "Secret/creds", "data.PASSWORD"]);
    assert!(out.contains("data.PASSWORD = (hidden)"), "{out}");
    // A flow-style generator entry holds the literal on the name's line: a
    // Deployment's name reference to it does not quote that line.
    s.write(
        "apps/db/base/kustomization.yaml",
        "resources: [d.yaml]\nsecretGenerator:\n  - {name: creds, literals: [PASSWORD=hunter2-flow]}\n",
    )
    .write(
        "apps/db/base/d.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: db\nspec:\n  template:\n    spec:\n      volumes:\n        - name: c\n          secret: {secretName: creds}\n",
    );
    let out = explain(&s.0, &["a", "db", "Deployment/db"]);
    assert!(out.contains("apps/db/base/kustomization.yaml:3"), "{out}");
    assert!(!out.contains("hunter2"), "{out}");
}

#[test]
fn namespaces_pick_between_resources_and_must_match() {
    let dir = example("env-clusters");
    assert!(
        explain(&dir, &["prod-1", "web", "Service/web", "-n", "web"])
            .contains("Service/web -n web")
    );
    let err = explain_fails(&dir, &["prod-1", "web", "Service/web", "-n", "other"]);
    assert!(
        err.contains("renders no Service/web in namespace other"),
        "{err}"
    );
}

#[test]
fn unknown_cluster_app_resource_or_field_exits_2_listing_what_exists() {
    let dir = example("env-clusters");
    let err = explain_fails(&dir, &["nope", "web", "Deployment/web"]);
    assert!(
        err.contains("no cluster nope; clusters: dev-1, prod-1, prod-2, staging-1"),
        "{err}"
    );
    let err = explain_fails(&dir, &["prod-1", "nope", "Deployment/web"]);
    assert!(
        err.contains("no app nope; apps on prod-1: web, worker"),
        "{err}"
    );
    let err = explain_fails(&dir, &["dev-1", "worker", "CronJob/worker"]);
    assert!(
        err.contains("app worker is not deployed to cluster dev-1; apps on dev-1: web"),
        "{err}"
    );
    let err = explain_fails(&dir, &["prod-1", "web", "Deployment/nope"]);
    assert!(
        err.contains("renders no Deployment/nope; it renders: ConfigMap/web-config-459bd6dt8g (-n web), Service/web (-n web), Deployment/web (-n web)"),
        "{err}"
    );
    let err = explain_fails(&dir, &["prod-1", "web", "Deployment/web", "spec.nope"]);
    assert!(
        err.contains("no field spec.nope; the fields of Deployment web are: apiVersion, kind,"),
        "{err}"
    );
    let err = explain_fails(&dir, &["prod-1", "web", "Deployment/web", "spec.*"]);
    assert!(
        err.contains("explain takes one field, not a pattern"),
        "{err}"
    );
    let err = explain_fails(&dir, &["prod-1", "web"]);
    assert!(
        err.contains("usage: strata explain CLUSTER APP KIND/NAME [FIELD]"),
        "{err}"
    );
    let err = explain_fails(&dir, &["prod-1", "web", "web"]);
    assert!(err.contains("name the resource as KIND/NAME"), "{err}");
}

#[test]
fn a_helm_chart_value_names_the_values_key_and_the_go_template_line() {
    let out = explain(
        &example("platform"),
        &[
            "prod-1",
            "cert-manager",
            "Deployment/cert-manager",
            "spec.replicas",
        ],
    );
    assert_eq!(
        row(&out, "apps/cert-manager/base/values.yaml:129"),
        "apps/cert-manager/base/values.yaml:129 base values replicaCount replicaCount: 1"
    );
    assert_eq!(
        row(&out, "apps/cert-manager/env/prod.yaml:5"),
        "apps/cert-manager/env/prod.yaml:5 env prod values replicaCount replicaCount: 2 <- set it"
    );
    assert_eq!(
        row(&out, "apps/cert-manager/base/templates/deployment.yaml:17"),
        "apps/cert-manager/base/templates/deployment.yaml:17 base template replicas: {{ .Values.replicaCount }}"
    );
}

#[test]
fn a_helm_field_printed_through_include_points_at_the_helpers_line() {
    let platform = example("platform");
    let deployment = [
        "staging-1",
        "ingress-nginx",
        "Deployment/ingress-nginx-controller",
    ];
    let ask = |field: &str| {
        let mut a = deployment.to_vec();
        a.push(field);
        explain(&platform, &a)
    };
    // A label from `{{- include "ingress-nginx.labels" . | nindent 4 }}`.
    let out = ask("metadata.labels[\"app.kubernetes.io/managed-by\"]");
    assert_eq!(
        row(&out, "apps/ingress-nginx/base/templates/_helpers.tpl:138"),
        "apps/ingress-nginx/base/templates/_helpers.tpl:138 base template app.kubernetes.io/managed-by: {{ .Release.Service }} <- set it"
    );
    // Two includes deep (labels → selectorLabels), in the selector.
    let out = ask("spec.selector.matchLabels[\"app.kubernetes.io/instance\"]");
    assert_eq!(
        row(&out, "apps/ingress-nginx/base/templates/_helpers.tpl:149"),
        "apps/ingress-nginx/base/templates/_helpers.tpl:149 base template app.kubernetes.io/instance: {{ .Release.Name }} <- set it"
    );
    // A name a helper computes from a values key: the key, then the helper's line.
    let out = ask("metadata.name");
    assert_eq!(
        row(&out, "apps/ingress-nginx/base/values.yaml:23"),
        "apps/ingress-nginx/base/values.yaml:23 base values controller.name name: controller <- set it"
    );
    assert!(
        row(&out, "apps/ingress-nginx/base/templates/_helpers.tpl:101").starts_with(
            "apps/ingress-nginx/base/templates/_helpers.tpl:101 base template {{- printf \"%s-%s\" (include \"ingress-nginx.fullname\" .)"
        ),
        "{out}"
    );
    // An empty values key on the helper's line did not set the field.
    let out = ask("metadata.namespace");
    assert!(!out.contains("values namespaceOverride"), "{out}");
    assert_eq!(
        row(&out, "apps/ingress-nginx/base/templates/_helpers.tpl:38"),
        "apps/ingress-nginx/base/templates/_helpers.tpl:38 base template {{- default .Release.Namespace .Values.namespaceOverride | trunc 63 | trimSuffix \"-\" -}} <- set it"
    );

    // An image a helper composes from pieces (`{{ template "cert-manager.image" (tuple
    // .Values.image ...) }}`): the line that composed them, with the values it handed.
    let out = explain(
        &platform,
        &[
            "prod-1",
            "cert-manager",
            "Deployment/cert-manager",
            "spec.template.spec.containers[name=cert-manager-controller].image",
        ],
    );
    assert!(
        row(&out, "apps/cert-manager/base/templates/deployment.yaml:89")
            .starts_with("apps/cert-manager/base/templates/deployment.yaml:89 base template image: \"{{ template \"cert-manager.image\" (tuple .Values.image"),
        "{out}"
    );
    assert_eq!(
        row(&out, "apps/cert-manager/base/values.yaml:191"),
        "apps/cert-manager/base/values.yaml:191 base values image image:"
    );

    let mut a = deployment.to_vec();
    a.extend(["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&explain(&platform, &a)).unwrap();
    let label = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "metadata.labels[\"app.kubernetes.io/managed-by\"]")
        .unwrap();
    assert_eq!(
        label["set_by"]["file"],
        "apps/ingress-nginx/base/templates/_helpers.tpl"
    );
    assert_eq!(label["set_by"]["line"], 138);
    assert_eq!(label["set_by"]["mechanism"], "template");
}
