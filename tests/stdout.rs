//! `strata render --stdout`: one unit as one YAML stream, nothing written.

mod common;
use common::*;

#[test]
fn one_fleet_unit_prints_its_folder_in_tree_order_and_writes_nothing() {
    let s = Scratch::example("env-clusters", "stdout");
    let out = ok(
        &s.0,
        &["render", "--stdout", "--cluster", "prod-1", "--app", "web"],
    );
    assert!(!s.0.join("rendered").exists(), "--stdout writes nothing");
    // The same documents as the unit's files, in the order of the tree.
    ok(&s.0, &["render", "--quiet"]);
    let tree = read_tree(&s.0.join("rendered"));
    let docs: Vec<&str> = out.split("---\n").collect();
    let names = [
        "configmap-web-config-459bd6dt8g.yaml",
        "service-web.yaml",
        "deployment-web.yaml",
    ];
    assert_eq!(docs.len(), names.len(), "{out}");
    for (doc, name) in docs.iter().zip(names) {
        assert_eq!(
            *doc,
            tree[&format!("apps/prod/prod-1/web/{name}")],
            "{name}"
        );
    }
    assert!(
        out.contains("replicas: 4"),
        "prod's layer is applied: {out}"
    );
}

#[test]
fn one_target_prints_what_kustomize_build_prints() {
    let s = Scratch::example("kustomize", "stdout");
    s.write(
        "strata.yaml",
        "output: rendered\ntargets: [\"overlays/*\"]\n",
    );
    let out = ok(&s.0, &["render", "--stdout", "--app", "overlays/prod"]);
    let want = std::fs::read_to_string(s.0.join("expected/prod.yaml")).unwrap();
    assert_eq!(out, want);
    assert!(!s.0.join("rendered").exists());
}

#[test]
fn a_selection_of_zero_or_several_units_exits_2_naming_them() {
    let s = Scratch::example("env-clusters", "stdout-bad");
    let out = strata(&s.0, &["render", "--stdout", "--app", "web"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("matches 4: dev-1/web, prod-1/web, prod-2/web, staging-1/web"),
        "{}",
        text(&out.stderr)
    );
    let out = strata(
        &s.0,
        &["render", "--stdout", "--cluster", "prod-1", "--app", "nope"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("select no unit"),
        "{}",
        text(&out.stderr)
    );
    let out = strata(&s.0, &["render", "--stdout", "--cluster", "prod-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("give --app APP"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).is_empty());
    assert!(!s.0.join("rendered").exists());
}
