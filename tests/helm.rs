//! Helm conformance: every case under `fixtures/helm/<chart>/cases/` is rendered by
//! strata's engine and compared with what Helm's own SDK rendered for it
//! (`expected/<case>.json`, made by `scripts/regen-helm.py`): each template's output byte
//! for byte, or Helm's error message exactly. Templates Helm itself renders differently
//! on every run (random names) are listed as nondeterministic and only checked to exist.
//!
//! `HELM_FILTER=argo cargo test --test helm` runs the cases whose path contains "argo".

use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use strata::helm::{chart, render};
use strata::kustomize::DiskFs;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/helm")
}

fn cases() -> Vec<(PathBuf, String)> {
    let filter = std::env::var("HELM_FILTER").unwrap_or_default();
    let mut out = Vec::new();
    let mut charts: Vec<_> = std::fs::read_dir(fixtures())
        .expect("fixtures/helm")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("chart").is_dir())
        .collect();
    charts.sort();
    for dir in charts {
        let mut names: Vec<String> = std::fs::read_dir(dir.join("cases"))
            .expect("cases")
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_suffix(".yaml")
                    .map(str::to_string)
            })
            .collect();
        names.sort();
        for case in names {
            if format!("{}/{case}", dir.display()).contains(&filter) {
                out.push((dir.clone(), case));
            }
        }
    }
    out
}

/// The chart and options of one case.
fn load_case(dir: &Path, case: &str) -> Result<(chart::Chart, render::Options), String> {
    let fs = DiskFs::new(dir).map_err(|e| e.to_string())?;
    let chart = chart::load_dir(&fs, "chart").map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(dir.join("cases").join(format!("{case}.yaml")))
        .map_err(|e| e.to_string())?;
    let values = strata::yaml::parse_stream(&text)
        .map_err(|e| e.message)?
        .into_iter()
        .map(|d| d.value)
        .find(|v| !v.is_null())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    let opts = render::Options {
        release: "rel".into(),
        namespace: "ns".into(),
        kube_version: None,
        api_versions: Vec::new(),
        values,
    };
    Ok((chart, opts))
}

/// Renders one case with strata: each template's output, or the error message.
fn strata_render(
    dir: &Path,
    case: &str,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    let (chart, opts) = load_case(dir, case)?;
    render::render(&chart, &opts)
        .map(|r| r.files)
        .map_err(|e| e.message)
}

/// `known-failures.txt`: case names (`chart/case`) strata does not match yet.
fn known_failures() -> Vec<String> {
    std::fs::read_to_string(fixtures().join("known-failures.txt"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split(':').next().map(|n| n.trim().to_string()))
        .collect()
}

#[test]
fn every_fixture_renders_as_helm_renders_it() {
    let known = known_failures();
    let mut failures = Vec::new();
    let mut templates = 0usize;
    let all = cases();
    assert!(
        !all.is_empty() || std::env::var("HELM_FILTER").is_ok(),
        "no Helm fixtures found"
    );
    for (dir, case) in &all {
        let name = format!(
            "{}/{case}",
            dir.file_name().and_then(|n| n.to_str()).unwrap_or("")
        );
        let expected: Json = serde_json::from_str(
            &std::fs::read_to_string(dir.join("expected").join(format!("{case}.json")))
                .expect("expected output"),
        )
        .expect("expected JSON");
        let got = strata_render(dir, case);
        let before = failures.len();
        match (expected.get("error").and_then(Json::as_str), got) {
            (Some(want), Err(got)) => {
                if want.trim_end() != got.trim_end() {
                    failures.push(format!(
                        "{name}: error differs\n--- helm\n{want}\n--- strata\n{got}"
                    ));
                }
            }
            (Some(want), Ok(_)) => {
                failures.push(format!("{name}: helm fails ({want}) but strata renders"))
            }
            (None, Err(got)) => failures.push(format!("{name}: strata fails: {got}")),
            (None, Ok(files)) => {
                let want = expected["templates"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                let unstable: Vec<&str> = expected
                    .get("nondeterministic")
                    .and_then(Json::as_array)
                    .map(|a| a.iter().filter_map(Json::as_str).collect())
                    .unwrap_or_default();
                for (path, text) in &want {
                    templates += 1;
                    match files.get(path) {
                        Some(g) if Some(g.as_str()) == text.as_str() => {}
                        Some(g) => failures.push(format!(
                            "{name}: {path} differs\n{}",
                            first_difference(text.as_str().unwrap_or(""), g)
                        )),
                        None => failures.push(format!("{name}: {path} missing")),
                    }
                }
                for path in files.keys() {
                    if !want.contains_key(path) && !unstable.contains(&path.as_str()) {
                        failures.push(format!("{name}: {path} rendered by strata only"));
                    }
                }
                for path in unstable {
                    if !files.contains_key(path) {
                        failures.push(format!("{name}: {path} missing"));
                    }
                }
            }
        }
        // A known failure must fail, so the list stays exact.
        if known.contains(&name) {
            if failures.len() == before {
                failures.push(format!(
                    "{name}: listed in known-failures.txt but passes; remove it"
                ));
            } else {
                failures.truncate(before);
            }
        }
    }
    eprintln!(
        "helm conformance: {} cases, {templates} template outputs compared, {} failures",
        all.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn first_difference(want: &str, got: &str) -> String {
    for (i, (w, g)) in want.lines().zip(got.lines()).enumerate() {
        if w != g {
            return format!("line {}:\n  helm:   {w:?}\n  strata: {g:?}", i + 1);
        }
    }
    format!(
        "lengths differ: helm {} lines, strata {} lines",
        want.lines().count(),
        got.lines().count()
    )
}

mod common;
use common::{ok, read_tree, strata, text, Scratch};

#[test]
fn template_prints_helms_stream() {
    let chart = fixtures().join("metrics-server/chart");
    let out = ok(
        &fixtures(),
        &[
            "template",
            "rel",
            chart.to_str().unwrap_or_default(),
            "-n",
            "ns",
        ],
    );
    insta::assert_snapshot!("template-metrics-server", out);
    let only = ok(
        &fixtures(),
        &[
            "template",
            "rel",
            chart.to_str().unwrap_or_default(),
            "-s",
            "templates/service.yaml",
        ],
    );
    assert!(
        only.starts_with("---\n# Source: metrics-server/templates/service.yaml\n"),
        "{only}"
    );
    assert_eq!(only.matches("# Source:").count(), 1, "{only}");
}

#[test]
fn template_errors_name_the_file_and_exit_2() {
    let s = Scratch::new("helm-missing-dep");
    s.write("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n  - name: redis\n    version: 1.0.0\n    repository: https://charts.example.com\n");
    s.write("c/templates/a.yaml", "a: 1\n");
    let out = strata(&s.0, &["template", "r", "c"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("c/Chart.yaml")
            && err.contains("missing in charts/ directory: redis")
            && err.contains("helm dependency build"),
        "{err}"
    );
    assert!(text(&out.stdout).is_empty());

    s.write("d/Chart.yaml", "apiVersion: v2\nname: d\nversion: 0.1.0\n");
    s.write(
        "d/templates/a.yaml",
        "password: {{ required \"set .Values.password\" .Values.password }}\n",
    );
    let out = strata(&s.0, &["template", "r", "d"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim(),
        "error: execution error at (d/templates/a.yaml:1:13): set .Values.password"
    );
}

#[test]
fn platform_example_renders_upstream_charts_per_env() {
    let s = Scratch::example("platform", "helm");
    ok(&s.0, &["render"]);
    let tree = read_tree(&s.0.join("rendered"));
    let files = |prefix: &str| tree.keys().filter(|k| k.starts_with(prefix)).count();
    assert!(files("apps/prod/prod-1/ingress-nginx/") > 10);
    assert!(tree.contains_key(
        "apps/prod/prod-1/ingress-nginx/horizontalpodautoscaler-ingress-nginx-controller.yaml"
    ));
    assert!(!tree.contains_key(
        "apps/dev/dev-1/ingress-nginx/horizontalpodautoscaler-ingress-nginx-controller.yaml"
    ));
    assert_eq!(
        files("apps/dev/dev-1/external-dns/"),
        0,
        "external-dns is for staging and prod only"
    );
    let dns = &tree["apps/prod/prod-2/external-dns/deployment-external-dns.yaml"];
    assert!(
        dns.contains("--txt-owner-id=prod-2") && dns.contains("--domain-filter=prod-2.example.com"),
        "{dns}"
    );
    // The release is the app and the namespace the app's.
    let cm = &tree["apps/staging/staging-1/cert-manager/deployment-cert-manager.yaml"];
    assert!(
        cm.contains("namespace: cert-manager")
            && cm.contains("app.kubernetes.io/instance: cert-manager"),
        "{cm}"
    );
    // Unchanged inputs: a check finds nothing stale.
    ok(&s.0, &["render", "--check"]);
}

#[test]
fn build_enable_helm_inflates_vendored_charts() {
    let s = Scratch::new("helm-build");
    common::copy_dir(
        &fixtures().join("metrics-server/chart"),
        &s.0.join("charts/metrics-server"),
    );
    s.write(
        "kustomization.yaml",
        "helmCharts:\n  - name: metrics-server\n    releaseName: ms\n    namespace: kube-system\n    valuesInline:\n      replicas: 2\nnamePrefix: team-\n",
    );
    let refused = strata(&s.0, &["build", "."]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("--enable-helm"),
        "{}",
        text(&refused.stderr)
    );
    assert!(text(&refused.stdout).is_empty());

    let out = ok(&s.0, &["build", "--enable-helm", "."]);
    assert!(out.contains("name: team-ms-metrics-server\n"), "{out}");
    assert!(out.contains("replicas: 2\n"), "{out}");
    assert!(out.contains("namespace: kube-system\n"), "{out}");

    s.write(
        "kustomization.yaml",
        "helmCharts:\n  - name: redis\n    repo: https://charts.example.com\n",
    );
    let missing = strata(&s.0, &["build", "--enable-helm", "."]);
    assert_eq!(missing.status.code(), Some(2));
    let err = text(&missing.stderr);
    assert!(
        err.contains("kustomization.yaml")
            && err.contains("not in the repository")
            && err.contains("never downloads"),
        "{err}"
    );
}

#[test]
fn a_traced_render_prints_the_same_with_an_origin_for_each_line() {
    let mut traced_lines = 0;
    for (dir, case) in cases() {
        let Ok((chart, opts)) = load_case(&dir, &case) else {
            continue;
        };
        let plain = render::render(&chart, &opts);
        let traced = render::render_traced(&chart, &opts);
        match (plain, traced) {
            (Ok(plain), Ok(traced)) => {
                assert_eq!(plain.files, traced.files, "{}/{case}", dir.display());
                assert!(plain.lines.is_empty(), "traces only when asked");
                for (path, text) in &traced.files {
                    let lines = &traced.lines[path];
                    assert_eq!(lines.len(), text.split('\n').count(), "{path}");
                    for (l, o) in text.split('\n').zip(lines) {
                        assert_eq!(
                            o.is_some(),
                            !l.trim().is_empty(),
                            "{path}: a printed line has an origin, a blank one none: {l:?}"
                        );
                    }
                    traced_lines += lines.len();
                }
            }
            (Err(a), Err(b)) => assert_eq!(a, b),
            (a, b) => panic!("{}/{case}: {:?} / {:?}", dir.display(), a.err(), b.err()),
        }
    }
    assert!(traced_lines > 1000, "{traced_lines}");
}

/// For the first output line of `template` (in chart `name`, case `case`) that
/// starts with `prefix` after `after` lines that do: the template file and the text
/// of the template line that printed it, trimmed.
fn printed_by(
    name: &str,
    case: &str,
    template: &str,
    prefix: &str,
    after: usize,
) -> (String, String) {
    let dir = fixtures().join(name);
    let (chart, opts) = load_case(&dir, case).unwrap();
    let r = render::render_traced(&chart, &opts).unwrap();
    let text = &r.files[template];
    let at = text
        .split('\n')
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with(prefix))
        .nth(after)
        .unwrap_or_else(|| panic!("no line {prefix:?} in {template}:\n{text}"))
        .0;
    let (file, line) = r.lines[template][at].clone().unwrap()[0].clone();
    // `CHART/templates/x` is `chart/templates/x` in the fixture.
    let rel = format!("chart/{}", file.split_once('/').unwrap().1);
    let src = std::fs::read_to_string(dir.join(&rel)).unwrap();
    let said = src
        .lines()
        .nth(line as usize - 1)
        .unwrap()
        .trim()
        .to_string();
    (file, said)
}

#[test]
fn a_field_printed_directly_is_its_templates_line() {
    assert_eq!(
        printed_by(
            "podinfo",
            "default",
            "podinfo/templates/deployment.yaml",
            "replicas:",
            0
        ),
        (
            "podinfo/templates/deployment.yaml".into(),
            "replicas: {{ .Values.replicaCount }}".into()
        )
    );
}

#[test]
fn a_label_printed_through_include_and_nindent_is_the_helpers_line() {
    assert_eq!(
        printed_by(
            "podinfo",
            "default",
            "podinfo/templates/deployment.yaml",
            "app.kubernetes.io/managed-by:",
            0
        ),
        (
            "podinfo/templates/_helpers.tpl".into(),
            "app.kubernetes.io/managed-by: {{ .Release.Service }}".into()
        )
    );
    // Two includes deep (labels includes selectorLabels), in a selector and in the
    // pod template's labels.
    for after in 0..3 {
        assert_eq!(
            printed_by(
                "ingress-nginx",
                "default",
                "ingress-nginx/templates/controller-deployment.yaml",
                "app.kubernetes.io/instance:",
                after
            ),
            (
                "ingress-nginx/templates/_helpers.tpl".into(),
                "app.kubernetes.io/instance: {{ .Release.Name }}".into()
            )
        );
    }
    // The value an include printed on a line of the template's own text.
    assert_eq!(
        printed_by(
            "ingress-nginx",
            "default",
            "ingress-nginx/templates/controller-deployment.yaml",
            "helm.sh/chart:",
            0
        )
        .1,
        "{{- printf \"%s-%s\" .Chart.Name .Chart.Version | replace \"+\" \"_\" | trunc 63 | trimSuffix \"-\" -}}"
    );
}

#[test]
fn a_field_of_a_containers_block_from_a_define_is_its_line_there() {
    let t = "prometheus-blackbox-exporter/templates/deployment.yaml";
    let helpers = "prometheus-blackbox-exporter/templates/_helpers.tpl".to_string();
    assert_eq!(
        printed_by(
            "prometheus-blackbox-exporter",
            "default",
            t,
            "- containerPort:",
            0
        ),
        (
            helpers.clone(),
            "- containerPort: {{ .Values.containerPort }}".into()
        )
    );
    assert_eq!(
        printed_by(
            "prometheus-blackbox-exporter",
            "default",
            t,
            "name: http",
            0
        ),
        (helpers.clone(), "name: http".into()),
        "template text inside the define"
    );
    assert_eq!(
        printed_by(
            "prometheus-blackbox-exporter",
            "default",
            t,
            "- name: blackbox-exporter",
            0
        ),
        (helpers, "- name: blackbox-exporter".into())
    );
}

#[test]
fn an_output_line_traced_to_a_literal_template_line_is_that_line() {
    // A template line without `{{` prints itself (indented as an include's nindent
    // puts it): where the trace points at one, the output line must end with its text
    // (text of another line may come first: `---` joined to it by a `{{-`).
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (dir, case) in cases() {
        let Ok((chart, opts)) = load_case(&dir, &case) else {
            continue;
        };
        let Ok(r) = render::render_traced(&chart, &opts) else {
            continue;
        };
        let mut sources: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (path, text) in &r.files {
            for (out, chain) in text.split('\n').zip(&r.lines[path]) {
                let Some((file, line)) = chain.as_ref().and_then(|c| c.first()) else {
                    continue;
                };
                let lines = sources.entry(file.clone()).or_insert_with(|| {
                    let rel = format!("chart/{}", file.split_once('/').unwrap().1);
                    std::fs::read_to_string(dir.join(rel))
                        .map(|t| t.lines().map(str::to_string).collect())
                        .unwrap_or_default()
                });
                let Some(src) = lines.get(*line as usize - 1) else {
                    wrong.push(format!("{path}: {file}:{line} is past the end"));
                    continue;
                };
                if src.contains("{{") {
                    continue;
                }
                checked += 1;
                if !out.trim().ends_with(src.trim()) {
                    wrong.push(format!(
                        "{}/{case} {path}: {out:?} traced to {file}:{line} {src:?}",
                        dir.display()
                    ));
                }
            }
        }
    }
    assert!(checked > 1000, "{checked}");
    assert!(
        wrong.is_empty(),
        "{} of {checked}:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(20)].join("\n")
    );
}
