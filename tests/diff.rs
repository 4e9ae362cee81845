//! `strata diff` as a user runs it: two folders, or the fleet at a git ref.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const UNIT: &str = "apps/prod/prod-eu-1/web";

/// Two small hydrated trees: a replica and image change, a ConfigMap whose hash
/// suffix changed with its multi-line content, an API version change, a Secret
/// whose value changed, an added Service and a removed Ingress.
fn crafted(s: &Scratch) {
    let f = |side: &str, name: &str, body: &str| s.write(&format!("{side}/{UNIT}/{name}"), body);
    let deploy = |replicas: u32, tag: &str, order_web_first: bool| {
        let web = format!("      - name: web\n        image: ghcr.io/acme/web:{tag}\n");
        let log = "      - name: log\n        image: ghcr.io/acme/log:1\n";
        let containers = if order_web_first {
            format!("{web}{log}")
        } else {
            format!("{log}{web}")
        };
        format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: web\nspec:\n  replicas: {replicas}\n  template:\n    spec:\n      containers:\n{containers}")
    };
    f("old", "deployment-web.yaml", &deploy(2, "1.0", true));
    f("new", "deployment-web.yaml", &deploy(3, "1.1", false));
    f("old", "configmap-app-config-7h2k9fm8tc.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config-7h2k9fm8tc\n  namespace: web\ndata:\n  app.properties: |\n    a=1\n    b=2\n    c=3\n    d=4\n    e=5\n");
    f("new", "configmap-app-config-b5m2g8h4kt.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config-b5m2g8h4kt\n  namespace: web\ndata:\n  app.properties: |\n    a=1\n    b=2\n    c=30\n    d=4\n    e=5\n");
    f("old", "poddisruptionbudget-web.yaml", "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n  namespace: web\nspec:\n  minAvailable: 1\n");
    f("new", "poddisruptionbudget-web.yaml", "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n  namespace: web\nspec:\n  minAvailable: 1\n");
    f("old", "secret-db.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: web\ndata:\n  password: aHVudGVyMg==\n");
    f("new", "secret-db.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: web\ndata:\n  password: c3dvcmRmaXNo\n");
    f("new", "service-web.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: web\nspec:\n  ports:\n  - port: 80\n");
    f("old", "ingress-web.yaml", "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: web\n");
    // Unchanged, in both trees.
    for side in ["old", "new"] {
        s.write(
            &format!("{side}/apps/dev/dev-eu-1/web/service-web.yaml"),
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n",
        );
    }
}

#[test]
fn text_output_summary_first_then_fields() {
    let s = Scratch::new("text");
    crafted(&s);
    let out = strata(&s.0, &["diff", "old", "new", "--context", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(!t.contains('\x1b'), "no colour when not a terminal");
    insta::assert_snapshot!("diff-text", t);
}

#[test]
fn markdown_output_for_a_pr_comment() {
    let s = Scratch::new("markdown");
    crafted(&s);
    let out = strata(&s.0, &["diff", "old", "new", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!("diff-markdown", text(&out.stdout));
}

#[test]
fn json_output_has_a_stable_shape() {
    let s = Scratch::new("json");
    crafted(&s);
    let out = strata(&s.0, &["diff", "old", "new", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["summary"]["changed"], 4);
    assert_eq!(v["summary"]["added"], 1);
    assert_eq!(v["summary"]["removed"], 1);
    insta::assert_snapshot!("diff-json", t);
}

fn find<'a>(v: &'a serde_json::Value, kind: &str) -> &'a serde_json::Value {
    v["units"][0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {v}"))
}

#[test]
fn hash_suffixes_pair_and_api_versions_change_one_resource() {
    let s = Scratch::new("pairing");
    crafted(&s);
    let out = strata(&s.0, &["diff", "old", "new", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cm = find(&v, "ConfigMap");
    assert_eq!(cm["change"], "changed");
    assert_eq!(cm["oldName"], "app-config-7h2k9fm8tc");
    assert_eq!(cm["name"], "app-config-b5m2g8h4kt");
    let pdb = find(&v, "PodDisruptionBudget");
    assert_eq!(pdb["change"], "changed");
    assert_eq!(pdb["oldApiVersion"], "policy/v1beta1");
    assert_eq!(pdb["apiVersion"], "policy/v1");
    let d = find(&v, "Deployment");
    let paths: Vec<&str> = d["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "spec.replicas",
            "spec.template.spec.containers[name=web].image"
        ]
    );
}

#[test]
fn reordering_documents_keys_named_items_and_files_is_no_change() {
    let s = Scratch::new("reorder");
    s.write("old/u/all.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: \"1\"\n  y: \"2\"\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: a\n      - name: b\n        image: b\n");
    s.write("new/u/one.yaml", "kind: Deployment\napiVersion: apps/v1\nspec:\n  template:\n    spec:\n      containers:\n      - image: b\n        name: b\n      - name: a\n        image: a\nmetadata:\n  name: d\n");
    s.write(
        "new/u/two.yml",
        "data:\n  y: \"2\"\n  x: \"1\"\nmetadata:\n  name: a\nkind: ConfigMap\napiVersion: v1\n",
    );
    let out = strata(&s.0, &["diff", "old", "new", "--exit-code"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(
        text(&out.stdout),
        "strata diff: no differences (1 unit compared)\n"
    );
}

#[test]
fn exit_code_is_1_only_when_asked_and_different() {
    let s = Scratch::new("exit");
    crafted(&s);
    assert_eq!(strata(&s.0, &["diff", "old", "new"]).status.code(), Some(0));
    assert_eq!(
        strata(&s.0, &["diff", "old", "new", "--exit-code"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        strata(&s.0, &["diff", "old", "old", "--exit-code"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn ignore_rules_by_kind_and_field_path() {
    let s = Scratch::new("ignore");
    crafted(&s);
    let json = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["diff", "old", "new", "--format", "json"];
        args.extend(extra);
        let out = strata(&s.0, &args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let v = json(&[
        "--ignore",
        "Deployment:spec.replicas",
        "--ignore",
        "Secret:*",
        "--ignore",
        "Ingress:*",
    ]);
    let d = find(&v, "Deployment");
    assert_eq!(d["fields"].as_array().unwrap().len(), 1, "{d}");
    assert!(v["units"][0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["kind"] != "Secret" && r["kind"] != "Ingress"));
    let v = json(&[
        "--ignore",
        "spec.template.spec.containers[*].image",
        "--ignore",
        "spec.replicas",
    ]);
    assert!(
        v["units"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["kind"] != "Deployment"),
        "{v}"
    );
    let out = strata(&s.0, &["diff", "old", "new", "--ignore", "spec[x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--ignore"),
        "{}",
        text(&out.stderr)
    );
}

/// Secret values that must never be printed: raw and base64, in `data`,
/// `stringData`, and the last-applied-configuration annotation.
const SECRETS: [&str; 6] = [
    "hunter2-old-password",
    "aHVudGVyMi1vbGQtcGFzc3dvcmQ=",
    "swordfish-new-password",
    "c3dvcmRmaXNoLW5ldy1wYXNzd29yZA==",
    "plain-string-data-value",
    "last-applied-secret-token",
];

fn secret_trees(s: &Scratch) {
    s.write("old/u/secret-db.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{\"data\":{\"token\":\"last-applied-secret-token-1\"}}'\ndata:\n  password: aHVudGVyMi1vbGQtcGFzc3dvcmQ=\n  removed: aHVudGVyMi1vbGQtcGFzc3dvcmQ=\nstringData:\n  multi: |\n    line one\n    plain-string-data-value old\n");
    s.write("new/u/secret-db.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{\"data\":{\"token\":\"last-applied-secret-token-2\"}}'\ndata:\n  password: c3dvcmRmaXNoLW5ldy1wYXNzd29yZA==\n  added: c3dvcmRmaXNoLW5ldy1wYXNzd29yZA==\nstringData:\n  multi: |\n    line one\n    plain-string-data-value new\n  token: plain-string-data-value\n");
    // A Secret whose data appears whole (the map was absent before), and an added
    // and a removed Secret.
    s.write(
        "old/u/secret-b.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n",
    );
    s.write("new/u/secret-b.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: last-applied-secret-token\ndata:\n  k: c3dvcmRmaXNoLW5ldy1wYXNzd29yZA==\n");
    s.write("new/u/secret-new.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: new\nstringData:\n  k: swordfish-new-password\n");
    s.write("old/u/secret-gone.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: gone\nstringData:\n  k: hunter2-old-password\n");
    // The annotation on any kind.
    s.write("old/u/deployment-d.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: last-applied-secret-token-a\n");
    s.write("new/u/deployment-d.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: last-applied-secret-token-b\n");
}

#[test]
fn secret_values_never_appear_in_any_format() {
    let s = Scratch::new("secrets");
    secret_trees(&s);
    for format in ["text", "markdown", "json"] {
        let out = strata(
            &s.0,
            &["diff", "old", "new", "--format", format, "--context", "5"],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        for secret in SECRETS {
            assert!(!all.contains(secret), "{format} leaks {secret}:\n{all}");
        }
        // The changed keys are named.
        for key in [
            "data.password",
            "data.added",
            "data.removed",
            "stringData.multi",
            "stringData.token",
            "last-applied-configuration",
        ] {
            assert!(all.contains(key), "{format} does not name {key}:\n{all}");
        }
    }
    let out = strata(&s.0, &["diff", "old", "new"]);
    insta::assert_snapshot!("diff-secrets-text", text(&out.stdout));
}

#[test]
fn show_secrets_shows_them() {
    let s = Scratch::new("show-secrets");
    secret_trees(&s);
    for format in ["text", "markdown", "json"] {
        let out = strata(
            &s.0,
            &["diff", "old", "new", "--format", format, "--show-secrets"],
        );
        let all = text(&out.stdout);
        for secret in [
            "aHVudGVyMi1vbGQtcGFzc3dvcmQ=",
            "c3dvcmRmaXNoLW5ldy1wYXNzd29yZA==",
            "plain-string-data-value",
            "last-applied-secret-token",
        ] {
            assert!(
                all.contains(secret),
                "{format} hides {secret} with --show-secrets:\n{all}"
            );
        }
    }
}

#[test]
fn a_secret_that_is_not_valid_yaml_is_not_quoted_in_the_error() {
    let s = Scratch::new("secret-error");
    s.write(
        "old/u/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n",
    );
    s.write("new/u/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: !!int hunter2-old-password\n");
    let out = strata(&s.0, &["diff", "old", "new"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("new/u/secret.yaml:6"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_input_exits_2_with_a_clear_message() {
    let s = Scratch::new("bad");
    s.write(
        "a/x.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    );
    s.write(
        "b/x.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n",
    );
    s.write("c/x.yaml", "just a string\n");
    let out = strata(&s.0, &["diff", "a", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("nope: no such folder"),
        "{}",
        text(&out.stderr)
    );
    let out = strata(&s.0, &["diff", "a", "b"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("b/x.yaml:") && err.contains("not valid YAML"),
        "{err}"
    );
    let out = strata(&s.0, &["diff", "a", "c"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("c/x.yaml:1: a document that is not a mapping"),
        "{}",
        text(&out.stderr)
    );
    let out = strata(&s.0, &["diff", "a"]);
    assert_eq!(out.status.code(), Some(2));
    let out = strata(&s.0, &["diff"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--base"),
        "{}",
        text(&out.stderr)
    );
}

/// A fleet in a git repository, one commit, then a working-tree change.
fn fleet_repo(s: &Scratch, sub: &str) -> PathBuf {
    let root = s.0.join("repo");
    let p = |rel: &str| {
        if sub.is_empty() {
            format!("repo/{rel}")
        } else {
            format!("repo/{sub}/{rel}")
        }
    };
    s.write(
        &p("strata.yaml"),
        "output: rendered\nlayout: \"apps/{env}/{cluster}/{app}\"\nlayers: [env]\n",
    );
    s.write(&p("clusters/prod-1.yaml"), "name: prod-1\nenv: prod\n");
    s.write(&p("clusters/dev-1.yaml"), "name: dev-1\nenv: dev\n");
    s.write(
        &p("apps/web/app.yaml"),
        "name: web\nnamespace: web\nsource: manifests\n",
    );
    s.write(&p("apps/web/base/deployment.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: web\n        image: web:1\n");
    s.write(&p("apps/web/base/secret.yaml"), "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2-old-password\n");
    s.write(
        &p("apps/web/env/prod.yaml"),
        "replicas:\n- name: web\n  count: 3\n",
    );
    let r = Scratch(root.clone());
    r.git(&["init", "-q"]);
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "one"]);
    std::mem::forget(r);
    s.write(
        &p("apps/web/env/prod.yaml"),
        "replicas:\n- name: web\n  count: 4\n",
    );
    s.write(&p("apps/web/base/secret.yaml"), "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: swordfish-new-password\n");
    if sub.is_empty() {
        root
    } else {
        root.join(sub)
    }
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn base_renders_the_fleet_at_a_ref_without_touching_the_checkout() {
    let s = Scratch::new("base");
    let root = fleet_repo(&s, "");
    let tmp = s.0.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let index = std::fs::read(root.join(".git/index")).unwrap();
    let env = [("TMPDIR", tmp.to_str().unwrap())];
    let out = strata_env(&root, &["diff", "--base", "HEAD", "--exit-code"], &env);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(!t.contains("hunter2") && !t.contains("swordfish"), "{t}");
    insta::assert_snapshot!("diff-base-text", t);
    assert_eq!(
        std::fs::read(root.join(".git/index")).unwrap(),
        index,
        "the index changed"
    );
    assert!(
        leftovers(&tmp).is_empty(),
        "left behind: {:?}",
        leftovers(&tmp)
    );
    assert!(
        !root.join("rendered").exists(),
        "diff --base wrote the tree"
    );
    let status = Command::new("git")
        .current_dir(&root)
        .args(["status", "--porcelain"])
        .output()
        .unwrap();
    assert_eq!(
        text(&status.stdout),
        " M apps/web/base/secret.yaml\n M apps/web/env/prod.yaml\n"
    );
}

#[test]
fn base_works_for_a_fleet_in_a_subfolder_of_the_repository() {
    let s = Scratch::new("base-sub");
    let root = fleet_repo(&s, "deploy/fleet");
    let out = strata(&root, &["diff", "--base", "HEAD", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["changed"], 3, "{v}");
    assert_eq!(v["units"][1]["labels"]["cluster"], "prod-1", "{v}");
}

#[test]
fn base_errors_exit_2_and_leave_no_temporary_folder() {
    let s = Scratch::new("base-bad");
    let root = fleet_repo(&s, "");
    let tmp = s.0.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let env = [("TMPDIR", tmp.to_str().unwrap())];
    let out = strata_env(&root, &["diff", "--base", "no-such-branch"], &env);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--base 'no-such-branch': no such commit"),
        "{}",
        text(&out.stderr)
    );
    // A base whose fleet does not load: the error names the ref; the copy is gone.
    let r = Scratch(root.clone());
    r.write(
        "clusters/prod-1.yaml",
        "name: prod-1\nenv: prod\nbogus: 1\n",
    );
    r.git(&["commit", "-qam", "broken"]);
    r.write("clusters/prod-1.yaml", "name: prod-1\nenv: prod\n");
    std::mem::forget(r);
    let out = strata_env(&root, &["diff", "--base", "HEAD"], &env);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.contains("at HEAD: clusters/prod-1.yaml"), "{err}");
    assert!(
        leftovers(&tmp).is_empty(),
        "left behind: {:?}",
        leftovers(&tmp)
    );
    // Not a git repository.
    let plain = Scratch::new("base-nogit");
    plain.write("strata.yaml", "output: rendered\n");
    let out = strata_env(
        &plain.0,
        &["diff", "--base", "HEAD"],
        &[(
            "GIT_CEILING_DIRECTORIES",
            plain.0.parent().unwrap().to_str().unwrap(),
        )],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not in a git repository"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn markdown_is_capped_with_a_note_or_split_into_bodies() {
    let s = Scratch::new("cap");
    for i in 0..40 {
        for side in ["old", "new"] {
            let replicas = if side == "old" { 1 } else { 2 };
            let long = "x".repeat(300);
            s.write(
                &format!("{side}/apps/prod/prod-{i:02}/web/deployment-web.yaml"),
                &format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    note: {side}-{long}\nspec:\n  replicas: {replicas}\n"),
            );
        }
    }
    let out = strata(
        &s.0,
        &[
            "diff",
            "old",
            "new",
            "--format",
            "markdown",
            "--max-bytes",
            "8000",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let body = text(&out.stdout);
    assert!(body.len() <= 8000, "{}", body.len());
    assert!(body.contains("**Cut to fit 8000 bytes:**"), "{body}");
    assert_eq!(
        body.matches("<details>").count(),
        body.matches("</details>").count()
    );

    let out = strata(
        &s.0,
        &[
            "diff",
            "old",
            "new",
            "--format",
            "markdown",
            "--split-bytes",
            "6000",
            "-o",
            "comments",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut files = leftovers(&s.0.join("comments"));
    files.sort();
    assert!(files.len() > 2, "{files:?}");
    let mut all = String::new();
    for (i, f) in files.iter().enumerate() {
        let b = std::fs::read_to_string(s.0.join("comments").join(f)).unwrap();
        assert!(b.len() <= 6000, "{f}: {}", b.len());
        assert!(
            b.starts_with(&format!(
                "<!-- strata-diff part {}/{} -->",
                i + 1,
                files.len()
            )) || files.len() >= 10,
            "{b}"
        );
        all.push_str(&b);
    }
    // Nothing is cut when split: every cluster is there.
    for i in 0..40 {
        assert!(
            all.contains(&format!("<b>prod-{i:02}</b>"))
                || all.contains(&format!("apps/prod/prod-{i:02}/web")),
            "prod-{i:02} missing"
        );
    }
    assert!(!all.contains("Cut to fit"));
}

#[test]
fn base_renders_only_affected_units_and_agrees_with_a_full_render() {
    let s = Scratch::new("base-incremental");
    let root = fleet_repo(&s, "");
    // A new file in a `manifests` base: seen only through the folder's listing.
    let r = Scratch(root.clone());
    r.write(
        "apps/web/base/service.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n",
    );
    // A second app that does not change at all.
    r.write(
        "apps/api/app.yaml",
        "name: api\nnamespace: api\nsource: manifests\n",
    );
    r.write(
        "apps/api/base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n",
    );
    r.git(&["add", "apps/api"]);
    r.git(&["commit", "-qm", "api"]);
    std::mem::forget(r);
    // `--cluster '*'` selects everything, which renders the base whole.
    let fast = strata(&root, &["diff", "--base", "HEAD", "--format", "json"]);
    let full = strata(
        &root,
        &[
            "diff",
            "--base",
            "HEAD",
            "--format",
            "json",
            "--cluster",
            "*",
        ],
    );
    assert_eq!(fast.status.code(), Some(0), "{}", text(&fast.stderr));
    assert_eq!(text(&fast.stdout), text(&full.stdout));
    let v: serde_json::Value = serde_json::from_slice(&fast.stdout).unwrap();
    assert_eq!(v["summary"]["added"], 2, "{v}");
    assert_eq!(v["summary"]["unitsTotal"], 4, "{v}");
}

#[test]
fn an_interrupted_base_diff_leaves_no_temporary_folder() {
    let s = Scratch::new("base-interrupt");
    let root = fleet_repo(&s, "");
    let r = Scratch(root.clone());
    for i in 0..300 {
        r.write(
            &format!("clusters/prod-{i}.yaml"),
            &format!("name: prod-{i}\nenv: prod\n"),
        );
    }
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "many clusters"]);
    std::mem::forget(r);
    let tmp = s.0.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    // Many moments, as the race between the signal and the failure it causes in the
    // extraction (tar killed, the copy removed) goes either way.
    let moments = [0, 10, 20, 30, 45, 60, 80, 100, 120, 150, 200, 300];
    for (i, after_ms) in moments.into_iter().enumerate() {
        let signal = ["INT", "TERM", "HUP"][i % 3];
        let child = Command::new(env!("CARGO_BIN_EXE_strata"))
            .current_dir(&root)
            .args(["diff", "--base", "HEAD"])
            .env("TMPDIR", &tmp)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(after_ms));
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status();
        let out = child.wait_with_output().unwrap();
        // Killed before the copy existed (no code), interrupted while it did
        // (128 + signal), or, on a fast machine, already done.
        assert!(
            matches!(out.status.code(), None | Some(0 | 129 | 130 | 143)),
            "{:?}",
            out.status
        );
        assert!(
            leftovers(&tmp).is_empty(),
            "after SIG{signal} at {after_ms} ms: {:?}",
            leftovers(&tmp)
        );
    }
}

#[test]
fn base_extracts_into_a_private_folder_and_removes_copies_of_killed_runs() {
    use std::os::unix::fs::PermissionsExt;
    let s = Scratch::new("base-private");
    let root = fleet_repo(&s, "");
    let tmp = s.0.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    // A run killed with SIGKILL cannot clean up: its copy stays, with its pid.
    let mut gone = Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    let abandoned = tmp.join(format!("strata-diff-{dead}-1-0"));
    std::fs::create_dir_all(abandoned.join("apps")).unwrap();
    std::fs::write(abandoned.join("apps/secret.yaml"), "left behind\n").unwrap();
    // A copy another run still uses (in another container, say, where its pid is
    // not ours to see) is locked: it stays.
    let in_use = tmp.join(format!("strata-diff-{dead}-2-0"));
    std::fs::create_dir_all(&in_use).unwrap();
    let mut holder = Command::new("flock")
        .arg(&in_use)
        .args(["sleep", "600"])
        .spawn()
        .unwrap();
    // Until the holder has the lock (a non-blocking try fails).
    while Command::new("flock")
        .args(["--nonblock"])
        .arg(&in_use)
        .arg("true")
        .status()
        .unwrap()
        .success()
    {
        assert!(holder.try_wait().unwrap().is_none(), "flock exited");
        std::thread::yield_now();
    }
    // A `tar` first on the PATH notes the mode of the folder it extracts into.
    let bin = s.0.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let mode_file = s.0.join("mode");
    let tar = bin.join("tar");
    std::fs::write(
        &tar,
        format!(
            "#!/bin/sh\nfor a; do dest=$a; done\nstat -c %a \"$dest\" > '{}'\nexec /usr/bin/tar \"$@\"\n",
            mode_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&tar, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let env = [("TMPDIR", tmp.to_str().unwrap()), ("PATH", path.as_str())];
    let out = strata_env(&root, &["diff", "--base", "HEAD"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&mode_file).unwrap(),
        "700\n",
        "the copy of the base is readable by others"
    );
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(
        leftovers(&tmp),
        [format!("strata-diff-{dead}-2-0")],
        "the abandoned copy stays, or the copy in use is gone"
    );
}

#[test]
fn base_says_which_file_and_line_set_each_new_value_in_every_format() {
    let s = Scratch::new("base-blame");
    let root = fleet_repo(&s, "");
    let md = text(&strata(&root, &["diff", "--base", "HEAD", "--format", "markdown"]).stdout);
    assert!(
        md.contains("+ spec.replicas: 4  ← set by apps/web/env/prod.yaml:3 (replicas)"),
        "{md}"
    );
    let json = text(&strata(&root, &["diff", "--base", "HEAD", "--format", "json"]).stdout);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let fields: Vec<&serde_json::Value> = v["units"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|u| u["resources"].as_array().unwrap())
        .flat_map(|r| r["fields"].as_array().into_iter().flatten())
        .collect();
    let replicas = fields
        .iter()
        .find(|f| f["path"] == "spec.replicas")
        .unwrap();
    assert_eq!(
        replicas["setBy"],
        serde_json::json!({"file": "apps/web/env/prod.yaml", "line": 3, "mechanism": "replicas"})
    );
    assert!(!json.contains("swordfish") && !md.contains("swordfish"));
    // Two folders (no fleet to ask): no blame.
    let plain = text(&strata(&root, &["diff", "--format", "json", "apps", "apps"]).stdout);
    assert!(!plain.contains("setBy"), "{plain}");
}
