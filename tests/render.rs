//! `strata render`, `ls` and `init` as a user runs them on the bundled examples.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn tree_listing(tree: &BTreeMap<String, String>, only: impl Fn(&str) -> bool) -> String {
    let mut s = String::new();
    for (p, c) in tree.iter().filter(|(p, _)| only(p)) {
        s.push_str(&format!("=== {p}\n{c}"));
    }
    s
}

#[test]
fn examples_render_to_their_snapshots() {
    for name in ["env-clusters", "regions", "tenants"] {
        let s = Scratch::example(name, "snap");
        let out = strata(&s.0, &["render", "--quiet"]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out.stderr));
        let tree = read_tree(&s.0.join("rendered"));
        insta::assert_snapshot!(
            format!("example-{name}"),
            tree_listing(&tree, |p| !p.starts_with(".strata/"))
        );
    }
}

#[test]
fn edge_fleet_renders_every_shop_and_the_same_with_any_thread_count() {
    let one = Scratch::example("edge-fleet", "j1");
    let two = Scratch::example("edge-fleet", "j2");
    let a = strata(&one.0, &["render", "-j", "1", "--quiet"]);
    let b = strata(&two.0, &["render", "-j", "2"]);
    assert_eq!(a.status.code(), Some(0), "{}", text(&a.stderr));
    assert_eq!(b.status.code(), Some(0), "{}", text(&b.stderr));
    assert_eq!(
        text(&b.stderr),
        "",
        "no progress bar when stderr is not a terminal"
    );
    let ta = read_tree(&one.0.join("rendered"));
    let tb = read_tree(&two.0.join("rendered"));
    assert_eq!(ta, tb, "output differs between -j 1 and -j 2");
    let shops: std::collections::BTreeSet<&str> = ta
        .keys()
        .filter_map(|p| p.strip_prefix("shops/"))
        .filter_map(|p| p.split('/').nth(1))
        .collect();
    assert_eq!(shops.len(), 200);
    insta::assert_snapshot!(
        "example-edge-fleet-two-shops",
        tree_listing(&ta, |p| !p.starts_with(".strata/")
            && (p.contains("/shop-0001/") || p.contains("/shop-0010/")))
    );
}

#[test]
fn check_explains_what_a_render_would_change_and_render_fixes_it() {
    let s = Scratch::example("env-clusters", "check");
    let out = strata(&s.0, &["render", "--check"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "nothing rendered yet: everything is missing"
    );
    assert!(
        text(&out.stdout).contains("new unit: rendered/apps/dev/dev-1/web\n"),
        "{}",
        text(&out.stdout)
    );
    let first = text(&out.stdout);
    assert!(
        first.lines().count() == 41
            && first
                .ends_with(" more lines (`strata render --check --format json` has everything)\n"),
        "capped to a screenful, the rest counted: {first}"
    );
    assert!(!s.0.join("rendered").exists(), "--check must write nothing");

    assert_eq!(strata(&s.0, &["render", "--quiet"]).status.code(), Some(0));
    let out = strata(&s.0, &["render", "--check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    let dep =
        s.0.join("rendered/apps/prod/prod-1/web/deployment-web.yaml");
    let edited = std::fs::read_to_string(&dep)
        .unwrap()
        .replace("replicas: 4", "replicas: 5");
    std::fs::write(&dep, edited).unwrap();
    let cm =
        s.0.join("rendered/apps/staging/staging-1/web/service-web.yaml");
    std::fs::write(&cm, "<<<<<<< HEAD\n").unwrap();
    std::fs::remove_file(s.0.join("rendered/apps/dev/dev-1/web/service-web.yaml")).unwrap();
    std::fs::remove_file(s.0.join("clusters/prod-2.yaml")).unwrap();
    std::fs::write(s.0.join("rendered/NOTES.md"), "mine\n").unwrap();
    let out = strata(&s.0, &["render", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let o = text(&out.stdout);
    assert!(
        o.contains("removed unit: rendered/apps/prod/prod-2/web\n"),
        "{o}"
    );
    assert!(
        o.contains(
            "apps/prod/prod-1/web\n  ~ Deployment web/web (apps/v1)\n      ~ spec.replicas: 5 → 4"
        ),
        "the hand-edited file is named by its resource and field: {o}"
    );
    assert!(
        o.contains("rewritten by a render: rendered/apps/staging/staging-1/web/service-web.yaml"),
        "a file that is not YAML any more is named: {o}"
    );
    assert!(
        o.contains("apps/dev/dev-1/web\n  + Service web/web (v1)"),
        "the deleted file is added back: {o}"
    );
    assert!(
        text(&out.stderr).contains("4 units would change, 0 would be added, 2 removed"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !o.contains("NOTES.md"),
        "files strata does not own are not its business: {o}"
    );

    assert_eq!(strata(&s.0, &["render", "--quiet"]).status.code(), Some(0));
    assert_eq!(
        strata(&s.0, &["render", "--check", "--quiet"])
            .status
            .code(),
        Some(0)
    );
    assert!(
        !s.0.join("rendered/apps/prod/prod-2").exists(),
        "the removed cluster's files are deleted"
    );
    assert_eq!(
        std::fs::read_to_string(s.0.join("rendered/NOTES.md")).unwrap(),
        "mine\n",
        "user files are kept"
    );
}

#[test]
fn bad_input_exits_2_and_leaves_the_tree_as_it_was() {
    let s = Scratch::example("env-clusters", "bad");
    assert_eq!(strata(&s.0, &["render", "--quiet"]).status.code(), Some(0));
    let before = read_tree(&s.0.join("rendered"));
    let cases: &[(&str, &str, &str)] = &[
        (
            "clusters/dev-1.yaml",
            "name: dev-1\nregion: eu\n",
            "needs the key 'env'",
        ),
        (
            "clusters/dup.yaml",
            "name: prod-1\nenv: prod\n",
            "already used",
        ),
        (
            "apps/web/env/prod.yaml",
            "patches:\n- path: missing-patch.yaml\n",
            "missing-patch.yaml",
        ),
        (
            "strata.yaml",
            "output: rendered\nlayout: \"{zone}/{cluster}/{app}\"\n",
            "{zone}",
        ),
        (
            "apps/web/env/dev.yaml",
            "images: [\n",
            "apps/web/env/dev.yaml",
        ),
    ];
    for (file, content, words) in cases {
        let path = s.0.join(file);
        let saved = std::fs::read(&path).ok();
        std::fs::write(&path, content).unwrap();
        let out = strata(&s.0, &["render"]);
        assert_eq!(out.status.code(), Some(2), "{file}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(err.contains(words), "{file}: expected {words:?} in: {err}");
        assert!(
            err.contains(file.rsplit('/').next().unwrap()),
            "{file}: the message names the file: {err}"
        );
        assert_eq!(
            read_tree(&s.0.join("rendered")),
            before,
            "{file}: the tree changed"
        );
        match saved {
            Some(b) => std::fs::write(&path, b).unwrap(),
            None => std::fs::remove_file(&path).unwrap(),
        }
    }
}

#[test]
fn refuses_to_write_into_a_folder_it_does_not_own() {
    let s = Scratch::example("env-clusters", "owned");
    std::fs::create_dir_all(s.0.join("rendered")).unwrap();
    std::fs::write(s.0.join("rendered/important.yaml"), "keep me\n").unwrap();
    let out = strata(&s.0, &["render"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("has no .strata/, so strata did not write it"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(read_tree(&s.0.join("rendered")).len(), 1);
}

#[test]
fn ls_shows_the_matrix_and_json() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/env-clusters");
    let out = strata(&root, &["ls"]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!("ls-env-clusters", text(&out.stdout));
    let out = strata(&root, &["ls", "--format", "json", "--cluster", "prod-*"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pairs: Vec<String> = v["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{}/{}", p["cluster"], p["app"]))
        .collect();
    assert_eq!(
        pairs,
        vec![
            r#""prod-1"/"web""#,
            r#""prod-1"/"worker""#,
            r#""prod-2"/"web""#,
            r#""prod-2"/"worker""#
        ]
    );
}

#[test]
fn init_creates_a_fleet_that_renders() {
    let dir = std::env::temp_dir().join(format!("strata-init-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["init"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = strata(&dir, &["render", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let tree = read_tree(&dir.join("rendered"));
    assert!(
        tree.contains_key("apps/prod/prod-eu-1/hello/deployment-hello.yaml"),
        "{:?}",
        tree.keys()
    );
    let again = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["init"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(2),
        "init refuses a non-empty folder"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn targets_mode_renders_plain_kustomize_overlays_as_build_does() {
    let s = Scratch::example("kustomize", "targets");
    std::fs::write(
        s.0.join("strata.yaml"),
        "output: rendered\ntargets: [\"overlays/*\"]\ntargetFiles: stream\n",
    )
    .unwrap();
    let out = strata(&s.0, &["render", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for env in ["dev", "staging", "prod"] {
        let got =
            std::fs::read_to_string(s.0.join(format!("rendered/overlays/{env}/all.yaml"))).unwrap();
        let want = std::fs::read_to_string(s.0.join(format!("expected/{env}.yaml"))).unwrap();
        assert_eq!(
            got, want,
            "overlays/{env}: the stream must equal kustomize's output"
        );
    }
    std::fs::write(
        s.0.join("strata.yaml"),
        "output: rendered\ntargets: [\"overlays/*\"]\n",
    )
    .unwrap();
    assert_eq!(
        strata(&s.0, &["render", "--check", "--quiet"])
            .status
            .code(),
        Some(1),
        "switching to one file per resource is a change"
    );
    assert_eq!(strata(&s.0, &["render", "--quiet"]).status.code(), Some(0));
    let tree = read_tree(&s.0.join("rendered"));
    let prod: Vec<&str> = tree
        .keys()
        .map(String::as_str)
        .filter(|p| p.starts_with("overlays/prod/"))
        .collect();
    assert_eq!(
        prod,
        vec![
            "overlays/prod/configmap-web-config-c8d84chffc.yaml",
            "overlays/prod/deployment-web.yaml",
            "overlays/prod/horizontalpodautoscaler-web.yaml",
            "overlays/prod/ingress-web.yaml",
            "overlays/prod/service-web.yaml",
        ]
    );
    assert!(
        !tree.keys().any(|p| p.contains("/all.yaml")),
        "the stream files are gone: {:?}",
        tree.keys()
    );

    // In targets mode too, the check names the kustomization line that set a change.
    let k = s.0.join("overlays/prod/kustomization.yaml");
    let text_k = std::fs::read_to_string(&k).unwrap();
    std::fs::write(&k, text_k.replace("value: 12", "value: 16")).unwrap();
    let out = strata(&s.0, &["render", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let o = text(&out.stdout);
    assert!(
        o.contains(
            "~ spec.maxReplicas: 12 → 16  ← set by overlays/prod/kustomization.yaml:26 (patch)\n"
        ),
        "{o}"
    );
}

#[test]
fn a_partial_render_touches_only_the_selected_units() {
    let s = Scratch::example("env-clusters", "partial");
    assert_eq!(strata(&s.0, &["render", "--quiet"]).status.code(), Some(0));
    let before = read_tree(&s.0.join("rendered"));
    std::fs::write(
        s.0.join("apps/web/env/prod.yaml"),
        "replicas:\n  - name: web\n    count: 9\n",
    )
    .unwrap();
    let out = strata(&s.0, &["render", "--cluster", "prod-1", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let after = read_tree(&s.0.join("rendered"));
    let changed: Vec<&String> = after
        .keys()
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert_eq!(
        changed,
        vec![
            ".strata/units/apps/prod/prod-1/web.json",
            "apps/prod/prod-1/web/deployment-web.yaml"
        ]
    );
    assert!(after["apps/prod/prod-1/web/deployment-web.yaml"].contains("replicas: 9"));
    assert!(
        after["apps/prod/prod-2/web/deployment-web.yaml"].contains("replicas: 4"),
        "prod-2 was not selected"
    );
    let out = strata(&s.0, &["render", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let o = text(&out.stdout);
    assert!(
        o.contains(
            "apps/prod/prod-2/web\n  ~ Deployment web/web (apps/v1)\n      ~ spec.replicas: 4 → 9"
        ),
        "{o}"
    );
    assert!(!o.contains("prod-1"), "prod-1 is up to date: {o}");
}

#[test]
fn shards_partition_the_fleet() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/edge-fleet");
    let mut seen = std::collections::BTreeSet::new();
    let mut total = 0;
    for i in 1..=3 {
        let out = strata(
            &root,
            &["ls", "--format", "json", "--shard", &format!("{i}/3")],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for p in v["pairs"].as_array().unwrap() {
            assert!(
                seen.insert(format!("{}/{}", p["cluster"], p["app"])),
                "a pair in two shards"
            );
            total += 1;
        }
    }
    assert_eq!(total, 400);
    let out = strata(&root, &["ls", "--shard", "4/3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--shard"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn controllers_need_a_repository_and_known_names() {
    let s = Scratch::example("env-clusters", "ctl");
    let base = "output: rendered\nlayout: \"apps/{env}/{cluster}/{app}\"\nlayers: [env, cluster]\n";
    std::fs::write(
        s.0.join("strata.yaml"),
        format!("{base}controllers: [flux]\n"),
    )
    .unwrap();
    let out = strata(&s.0, &["render"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("strata.yaml: controllers need `repository"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(
        s.0.join("strata.yaml"),
        format!("{base}controllers: [spinnaker]\nrepository: {{url: x}}\n"),
    )
    .unwrap();
    let out = strata(&s.0, &["render"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("`controllers[0]` is not one of the allowed values: argocd, argocd-applicationset, flux, kapp"),
        "{}",
        text(&out.stderr)
    );
    assert!(!s.0.join("rendered").exists());
}

#[test]
fn every_example_fleet_passes_validation() {
    for name in ["env-clusters", "regions", "tenants", "edge-fleet"] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(name);
        let out = strata(&root, &["validate"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}

#[test]
fn two_renders_writing_one_path_is_an_error() {
    let s = Scratch::example("env-clusters", "clash");
    // A target at the very folder the layout gives prod-1/web.
    s.write(
        "apps/prod/prod-1/web/kustomization.yaml",
        "resources: [cm.yaml]\n",
    );
    s.write(
        "apps/prod/prod-1/web/cm.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
    );
    s.write(
        "strata.yaml",
        "output: rendered\nlayout: \"apps/{env}/{cluster}/{app}\"\nlayers: [env, cluster]\ntargets: [\"apps/prod/*/web\"]\n",
    );
    let out = strata(&s.0, &["render"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("two renders write apps/prod/prod-1/web/deployment-web.yaml"),
        "{err}"
    );
    assert!(!s.0.join("rendered").exists());
}

#[test]
fn leftovers_of_a_killed_render_are_cleaned_up() {
    let s = Scratch::example("env-clusters", "leftover");
    s.write(".rendered.strata-new-99999/apps/x.yaml", "half-written\n");
    assert_eq!(strata(&s.0, &["render", "--quiet"]).status.code(), Some(0));
    assert!(!s.0.join(".rendered.strata-new-99999").exists());
    let names: Vec<String> = std::fs::read_dir(&s.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("strata-new")), "{names:?}");
}

#[test]
fn check_says_which_file_and_line_set_each_changed_field() {
    let s = Scratch::example("env-clusters", "check-blame");
    ok(&s.0, &["render", "--quiet"]);
    let edit = |rel: &str, from: &str, to: &str| {
        let p = s.0.join(rel);
        let t = std::fs::read_to_string(&p).unwrap();
        assert!(t.contains(from), "{rel}: {t}");
        std::fs::write(&p, t.replace(from, to)).unwrap();
    };
    // A layer's replicas entry and an images entry; a new cluster (its unit is new:
    // nothing in it has an old value) and a removed one.
    edit("apps/web/env/prod.yaml", "count: 4", "count: 6");
    edit(
        "apps/web/env/dev.yaml",
        "newTag: 1.5.0-rc.1",
        "newTag: 1.5.0",
    );
    s.write(
        "clusters/dev-9.yaml",
        "name: dev-9\nenv: dev\nregion: eu\nserver: https://dev-9.k8s.example.internal\n",
    );
    std::fs::remove_file(s.0.join("clusters/prod-2.yaml")).unwrap();

    let out = strata(&s.0, &["render", "--check"]);
    let o = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{o}{}", text(&out.stderr));
    assert!(
        o.contains(
            "apps/prod/prod-1/web\n  ~ Deployment web/web (apps/v1)\n      ~ spec.replicas: 4 → 6  ← set by apps/web/env/prod.yaml:3 (replicas)\n"
        ),
        "{o}"
    );
    assert!(
        o.contains("image: ghcr.io/acme/web:1.5.0-rc.1 → ghcr.io/acme/web:1.5.0  ← set by apps/web/env/dev.yaml:3 (images)\n"),
        "{o}"
    );
    assert!(o.contains("new unit: rendered/apps/dev/dev-9/web\n"), "{o}");

    let out = strata(&s.0, &["render", "--check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let units = v["diff"]["units"].as_array().unwrap();
    let prod1 = units
        .iter()
        .find(|u| u["unit"] == "apps/prod/prod-1/web")
        .unwrap();
    assert_eq!(
        prod1["resources"][0]["fields"][0]["setBy"],
        serde_json::json!({"file": "apps/web/env/prod.yaml", "line": 3, "mechanism": "replicas"})
    );
    assert!(
        v["removedUnits"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("apps/prod/prod-2/web")),
        "{v}"
    );
    let quiet = strata(&s.0, &["render", "--check", "--quiet"]);
    assert_eq!(quiet.status.code(), Some(1));
    assert!(quiet.stdout.is_empty(), "{}", text(&quiet.stdout));
}

#[test]
fn check_blames_a_chart_field_on_the_values_key_that_set_it() {
    let s = Scratch::example("platform", "check-blame");
    ok(&s.0, &["render", "--quiet", "--cluster", "staging-1"]);
    let p = s.0.join("apps/ingress-nginx/env/staging.yaml");
    let t = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, t.replace("replicaCount: 2", "replicaCount: 4")).unwrap();
    let out = strata(&s.0, &["render", "--check", "--cluster", "staging-1"]);
    let o = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{o}{}", text(&out.stderr));
    assert!(
        o.contains(
            "  ~ Deployment ingress-nginx/ingress-nginx-controller (apps/v1)\n      ~ spec.replicas: 2 → 4  ← set by apps/ingress-nginx/env/staging.yaml:3 (values)\n"
        ),
        "{o}"
    );
}
