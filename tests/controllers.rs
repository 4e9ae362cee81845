//! Controller objects configured in strata.yaml (`controllerSettings`) and Argo CD
//! ApplicationSets. (Today's defaults are pinned by the render snapshots.)

mod common;
use common::*;

fn yaml(s: &Scratch, rel: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(s.0.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    strata::yaml::parse_stream(&text).unwrap().remove(0).value
}

fn append(s: &Scratch, rel: &str, more: &str) {
    let text = std::fs::read_to_string(s.0.join(rel)).unwrap();
    s.write(rel, &format!("{text}{more}"));
}

#[test]
fn argocd_project_sync_policy_and_labels_per_env() {
    let s = Scratch::example("regions", "ctl-argocd");
    append(
        &s,
        "strata.yaml",
        "controllerSettings:\n  - annotations: {acme.io/owner: platform}\n  - clusters: {matchLabels: {env: prod}}\n    project: prod\n    automated: false\n    labels: {acme.io/tier: prod}\n",
    );
    ok(&s.0, &["render", "--quiet"]);
    let prod = yaml(&s, "rendered/controllers/argocd/prod-eu-1/api.yaml");
    assert_eq!(prod["spec"]["project"], "prod");
    assert_eq!(
        prod["spec"]["syncPolicy"],
        serde_json::json!({"syncOptions": ["CreateNamespace=true"]})
    );
    assert_eq!(
        prod["metadata"]["labels"],
        serde_json::json!({"acme.io/tier": "prod"})
    );
    assert_eq!(
        prod["metadata"]["annotations"],
        serde_json::json!({"acme.io/owner": "platform"})
    );
    let staging = yaml(&s, "rendered/controllers/argocd/staging-eu-1/api.yaml");
    assert_eq!(staging["spec"]["project"], "default");
    assert_eq!(
        staging["spec"]["syncPolicy"]["automated"],
        serde_json::json!({"prune": true, "selfHeal": true})
    );
    assert!(staging["metadata"].get("labels").is_none());
}

#[test]
fn flux_interval_and_prune_and_kapp_secret_are_settable() {
    let s = Scratch::example("env-clusters", "ctl-flux");
    append(
        &s,
        "strata.yaml",
        "controllerSettings:\n  - clusters: {matchExpressions: [{key: env, operator: In, values: [prod]}]}\n    interval: 1h\n    prune: false\n",
    );
    ok(&s.0, &["render", "--quiet"]);
    let prod = yaml(&s, "rendered/controllers/flux/prod-1/web.yaml");
    assert_eq!(
        (
            prod["spec"]["interval"].clone(),
            prod["spec"]["prune"].clone()
        ),
        ("1h".into(), false.into())
    );
    let dev = yaml(&s, "rendered/controllers/flux/dev-1/web.yaml");
    assert_eq!(
        (
            dev["spec"]["interval"].clone(),
            dev["spec"]["prune"].clone()
        ),
        ("10m".into(), true.into())
    );

    let s = Scratch::example("tenants", "ctl-kapp");
    append(
        &s,
        "strata.yaml",
        "controllerSettings:\n  - kubeconfigSecret: {name: \"kc-{cluster}\", key: kubeconfig}\n",
    );
    ok(&s.0, &["render", "--quiet"]);
    let app = yaml(&s, "rendered/controllers/kapp/acme-prod-1/portal.yaml");
    assert_eq!(
        app["spec"]["cluster"]["kubeconfigSecretRef"],
        serde_json::json!({"name": "kc-acme-prod-1", "key": "kubeconfig"})
    );
}

#[test]
fn applicationsets_list_an_apps_clusters_one_set_per_sync_policy() {
    let s = Scratch::example("regions", "ctl-appset");
    let text = std::fs::read_to_string(s.0.join("strata.yaml")).unwrap();
    s.write(
        "strata.yaml",
        &text.replace(
            "controllers: [argocd]",
            "controllers: [argocd-applicationset]",
        ),
    );
    ok(&s.0, &["render", "--quiet"]);
    let tree = read_tree(&s.0.join("rendered/controllers"));
    assert_eq!(
        tree.keys().collect::<Vec<_>>(),
        vec!["argocd-applicationset/api.yaml"]
    );
    insta::assert_snapshot!(
        "applicationset-regions-api",
        tree["argocd-applicationset/api.yaml"]
    );
    append(
        &s,
        "strata.yaml",
        "controllerSettings:\n  - clusters: {matchLabels: {env: prod}}\n    automated: false\n",
    );
    ok(&s.0, &["render", "--quiet"]);
    let tree = read_tree(&s.0.join("rendered/controllers"));
    assert_eq!(
        tree.keys().collect::<Vec<_>>(),
        vec![
            "argocd-applicationset/api-1.yaml",
            "argocd-applicationset/api-2.yaml"
        ]
    );
    let first = yaml(&s, "rendered/controllers/argocd-applicationset/api-1.yaml");
    let clusters: Vec<&str> = first["spec"]["generators"][0]["list"]["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["cluster"].as_str().unwrap())
        .collect();
    assert_eq!(clusters, vec!["prod-eu-1", "prod-in-1", "prod-us-1"]);
    assert!(first["spec"]["template"]["spec"]["syncPolicy"]
        .get("automated")
        .is_none());
}

#[test]
fn bad_settings_exit_2_naming_the_file_and_write_nothing() {
    let s = Scratch::example("regions", "ctl-bad");
    append(
        &s,
        "strata.yaml",
        "controllerSettings:\n  - interval: soon\n",
    );
    let out = strata(&s.0, &["render"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("strata.yaml:9") && err.contains("interval") && !err.contains("soon"),
        "{err}"
    );
    assert!(!s.0.join("rendered").exists());

    let s = Scratch::example("regions", "ctl-bad2");
    append(&s, "strata.yaml", "controllerSettings:\n  - syncWave: 3\n");
    let out = strata(&s.0, &["render"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("strata.yaml:9"),
        "{}",
        text(&out.stderr)
    );

    let s = Scratch::example("env-clusters", "ctl-bad3");
    let text0 = std::fs::read_to_string(s.0.join("strata.yaml")).unwrap();
    s.write(
        "strata.yaml",
        &text0.replace(
            "controllers: [flux]",
            "controllers: [argocd-applicationset]",
        ),
    );
    s.write("clusters/dev-1.yaml", "name: dev-1\nenv: dev\n");
    let out = strata(&s.0, &["render"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("ApplicationSets need the cluster's API `server` URL"),
        "{}",
        text(&out.stderr)
    );
    assert!(!s.0.join("rendered").exists());
}
