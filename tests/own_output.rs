//! strata's own output passes strata's own checks: the controller objects it emits
//! validate against the controllers' CRDs (bundled), and validating the fleet in
//! memory finds what validating the written tree finds.

mod common;
use common::{example, strata, text, Scratch};
use serde_json::Value;

fn json_report(dir: &std::path::Path, args: &[&str]) -> Value {
    let out = strata(dir, args);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", text(&out.stderr)))
}

/// Every finding as one line with everything but its `source` (the rendered tree has
/// no provenance), sorted.
fn findings(report: &Value) -> Vec<String> {
    let mut out: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let mut f = f.clone();
            f.as_object_mut().unwrap().remove("source");
            f.to_string()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn controller_objects_validate_clean_with_strict() {
    let s = Scratch::new("own-controllers");
    s.write(
        "strata.yaml",
        "output: rendered\ncontrollers: [argocd, flux, kapp]\nrepository: {url: https://example.com/fleet.git}\n",
    )
    .write("clusters/dev-1.yaml", "name: dev-1\nenv: dev\nserver: https://dev-1.example.com\n")
    .write("clusters/prod-1.yaml", "name: prod-1\nenv: prod\nserver: https://prod-1.example.com\n")
    .write("apps/web/app.yaml", "name: web\nnamespace: web\nsource: manifests\n")
    .write(
        "apps/web/base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: b}\n",
    );
    assert_eq!(strata(&s.0, &["render", "--quiet"]).status.code(), Some(0));
    for args in [
        &["validate", "rendered", "--strict"][..],
        &["validate", "--strict"],
    ] {
        let out = strata(&s.0, args);
        let said = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {said}{}",
            text(&out.stderr)
        );
        assert!(said.contains("0 errors, 0 warnings"), "{args:?}: {said}");
        // The controller objects are checked, in memory too: 2 ConfigMaps, 2 Argo CD
        // app-of-apps and 2 Applications, 2 Flux Kustomizations, 2 kapp Apps.
        assert!(said.contains("in 10 resources"), "{args:?}: {said}");
    }
}

#[test]
fn objects_users_keep_beside_the_controllers_are_checked_against_their_crds() {
    let s = Scratch::new("own-kept");
    s.write(
        "kept.yaml",
        r#"apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: team, namespace: argocd}
spec:
  sourceRepos: ["*"]
  destinations: [{server: "*", namespace: "*"}]
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: all, namespace: argocd}
spec:
  generators: [{list: {elements: [{cluster: a}]}}]
  template:
    metadata: {name: "{{cluster}}"}
    spec:
      project: default
      source: {repoURL: "https://example.com/x.git", path: x}
      destination: {server: "https://kubernetes.default.svc"}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet, namespace: flux-system}
spec: {interval: 1m, url: "https://example.com/x.git", ref: {branch: main}}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo, namespace: flux-system}
spec:
  interval: 5m
  chart: {spec: {chart: podinfo, sourceRef: {kind: HelmRepository, name: podinfo}}}
"#,
    )
    .write(
        "typo.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: x, namespace: flux-system}\nspec:\n  interval: 1m\n  prun: true\n  sourceRef: {kind: GitRepository, name: fleet}\n",
    );
    let out = strata(&s.0, &["validate", "--strict", "kept.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = strata(&s.0, &["validate", "--strict", "typo.yaml"]);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("typo.yaml:6: error[schema/unknown-field]")
            && said.contains("unknown field `prun`; did you mean `prune`?"),
        "{said}"
    );
    assert!(
        said.contains("missing the required field `prune`"),
        "{said}"
    );
}

#[test]
fn validate_in_memory_and_validate_rendered_find_the_same() {
    let mut fleets = 0;
    for e in std::fs::read_dir(common::repo().join("examples")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if !example(&name).join("strata.yaml").is_file() {
            continue; // not a fleet (the plain kustomize example, CI recipes)
        }
        fleets += 1;
        let s = Scratch::example(&name, "same");
        assert_eq!(
            strata(&s.0, &["render", "--quiet"]).status.code(),
            Some(0),
            "{name}"
        );
        for strict in [&[][..], &["--strict"]] {
            let mut mem = vec!["validate", "--format", "json"];
            mem.extend(strict);
            let mut disk = mem.clone();
            disk.push("rendered");
            let (m, d) = (json_report(&s.0, &mem), json_report(&s.0, &disk));
            assert_eq!(findings(&m), findings(&d), "{name} {strict:?}");
            assert_eq!(m["summary"], d["summary"], "{name} {strict:?}");
        }
    }
    assert!(fleets >= 4, "{fleets} example fleets");
}
