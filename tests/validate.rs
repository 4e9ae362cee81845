//! `strata validate`: the defect corpus (`fixtures/validate/<case>/`: a manifest that
//! must be flagged with the exact rule, path and line, and a near-identical one that
//! must pass), the fleet rendered in memory, output formats and exit codes.

mod common;
use common::*;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Output;

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// (rule, path, line) of every finding.
fn triples(report: &Value) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            format!(
                "{} {} {}",
                f["rule"].as_str().unwrap(),
                if path.is_empty() { "-" } else { path },
                f["line"]
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn defect_corpus() {
    let root = repo().join("fixtures/validate");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let extra = std::fs::read_to_string(case.join("args.txt")).unwrap_or_default();
        let extra: Vec<&str> = extra.split_whitespace().collect();
        let run = |file: &str| {
            let mut args = vec!["validate", "--format", "json", file];
            args.extend(&extra);
            strata(case, &args)
        };
        let mut want: Vec<String> = std::fs::read_to_string(case.join("expect.txt"))
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        want.sort();
        let bad = run("bad.yaml");
        let report = json(&bad);
        let got = triples(&report);
        let errors = report["summary"]["errors"].as_u64().unwrap();
        if got != want {
            failures.push(format!("{name}/bad.yaml: want {want:?}, got {got:?}"));
        }
        if bad.status.code() != Some(u8::from(errors > 0).into()) {
            failures.push(format!(
                "{name}/bad.yaml: exit {:?} with {errors} errors",
                bad.status.code()
            ));
        }
        let good = run("good.yaml");
        let got = triples(&json(&good));
        if !got.is_empty() || good.status.code() != Some(0) {
            failures.push(format!(
                "{name}/good.yaml: want no findings and exit 0, got {got:?}, exit {:?}",
                good.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ghcr.io/acme/web:1.0
";

/// Two clusters (dev, prod with label tier=gold), a kustomize app whose prod layer
/// misspells `replicas`, and a chart whose prod values break its schema.
fn fleet(name: &str) -> Scratch {
    let s = Scratch::new(name);
    s.write(
        "strata.yaml",
        "output: rendered
kubernetesVersion: \"1.33\"
policies:
  defaults:
    image-tag-pinned: error
  envs:
    prod:
      image-digest: error
      min-replicas: {severity: error, min: 2}
  labels:
    tier=gold:
      probes: warning
",
    )
    .write("clusters/dev-1.yaml", "name: dev-1\nenv: dev\n")
    .write("clusters/prod-1.yaml", "name: prod-1\nenv: prod\nlabels: {tier: gold}\n")
    .write("apps/web/app.yaml", "name: web\nnamespace: web\nsource: kustomize\n")
    .write("apps/web/base/kustomization.yaml", "resources: [deployment.yaml]\n")
    .write("apps/web/base/deployment.yaml", DEPLOYMENT)
    .write(
        "apps/web/env/prod.yaml",
        "patches:
- target: {kind: Deployment, name: web}
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replica: 3
",
    )
    .write("apps/api/app.yaml", "name: api\nnamespace: api\nsource: chart\n")
    .write("apps/api/base/values.yaml", "port: 8080\n")
    .write(
        "apps/api/base/values.schema.json",
        r#"{"type": "object", "properties": {"port": {"type": "integer"}}}"#,
    )
    .write(
        "apps/api/base/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\ndata:\n  port: \"{{values.port}}\"\n",
    )
    .write("apps/api/env/prod.yaml", "values:\n  port: eighty\n");
    s
}

fn find<'a>(report: &'a Value, rule: &str, cluster: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule && f["cluster"] == cluster)
        .collect()
}

#[test]
fn fleet_in_memory_findings_name_cluster_file_line_and_source() {
    let s = fleet("in-memory");
    let out = strata(&s.0, &["validate", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out);
    let typo = find(&r, "schema/unknown-field", "prod-1");
    assert_eq!(typo.len(), 1, "{r:#}");
    let f = typo[0];
    assert_eq!(f["app"], "web");
    assert_eq!(f["path"], "spec.replica");
    assert_eq!(
        f["file"],
        "rendered/apps/prod/prod-1/web/deployment-web.yaml"
    );
    assert_eq!(f["resource"]["kind"], "Deployment");
    assert_eq!(f["resource"]["namespace"], "web");
    assert_eq!(f["source"]["file"], "apps/web/env/prod.yaml");
    assert_eq!(
        f["source"]["line"], 8,
        "the line of the key in the inline patch"
    );
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("did you mean `replicas`?"));
    // The line is the key's line in the hydrated file.
    let text = std::fs::read_to_string(s.0.join("apps/web/base/deployment.yaml")).unwrap();
    assert!(!text.contains("replica:"));
    let rendered = strata(&s.0, &["render", "-q", "--app", "web"]);
    assert_eq!(
        rendered.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let file =
        std::fs::read_to_string(s.0.join("rendered/apps/prod/prod-1/web/deployment-web.yaml"))
            .unwrap();
    let line = file
        .lines()
        .position(|l| l.trim_start().starts_with("replica:"))
        .unwrap()
        + 1;
    assert_eq!(f["line"], line as u64);
    assert!(find(&r, "schema/unknown-field", "dev-1").is_empty());

    // Policies per env and per label.
    assert_eq!(find(&r, "policy/image-digest", "prod-1").len(), 1);
    assert!(find(&r, "policy/image-digest", "dev-1").is_empty());
    assert_eq!(find(&r, "policy/min-replicas", "prod-1").len(), 1);
    let probes = find(&r, "policy/probes", "prod-1");
    assert_eq!(probes.len(), 1);
    assert_eq!(probes[0]["severity"], "warning");
    // A base value: the source is the base file, at the field's line there.
    let digest = find(&r, "policy/image-digest", "prod-1")[0];
    assert_eq!(digest["source"]["file"], "apps/web/base/deployment.yaml");
    assert_eq!(digest["source"]["line"], 14);

    // Chart values against values.schema.json, at the layer line that set them; the
    // pair is left out of the render, and the others are still checked.
    let values = find(&r, "values/schema", "prod-1");
    assert_eq!(values.len(), 1, "{r:#}");
    assert_eq!(values[0]["file"], "apps/api/env/prod.yaml");
    assert_eq!(values[0]["line"], 2);
    assert_eq!(values[0]["path"], "port");
    assert_eq!(r["summary"]["resources"], 3); // web ×2, api on dev-1
}

#[test]
fn text_junit_and_sarif() {
    let s = fleet("formats");
    let text = strata(&s.0, &["validate"]);
    assert_eq!(text.status.code(), Some(1));
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("prod-1/web:\n  rendered/apps/prod/prod-1/web/deployment-web.yaml:"),
        "{text}"
    );
    assert!(
        text.contains("      from apps/web/env/prod.yaml:8\n"),
        "{text}"
    );

    let junit = strata(&s.0, &["validate", "--format", "junit"]);
    let junit = String::from_utf8_lossy(&junit.stdout);
    assert!(junit.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
    assert!(
        junit.contains("<testsuite name=\"prod-1/web\" tests=\"1\" failures=\"1\""),
        "{junit}"
    );
    assert!(
        junit.contains("<failure type=\"schema/unknown-field\""),
        "{junit}"
    );
    assert!(junit.contains("<testsuite name=\"inputs\""), "{junit}");

    let sarif = strata(&s.0, &["validate", "--format", "sarif"]);
    let v = json(&sarif);
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for res in run["results"].as_array().unwrap() {
        assert!(rules.contains(&res["ruleId"].as_str().unwrap()));
        let loc = &res["locations"][0]["physicalLocation"];
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.starts_with('/') && !uri.contains(".."), "{uri}");
    }
}

#[test]
fn waiver_with_a_reason_silences_one_rule() {
    let s = fleet("waiver");
    s.write(
        "apps/web/base/deployment.yaml",
        &DEPLOYMENT.replace(
            "  name: web\nspec:",
            "  name: web\n  annotations:\n    strata.dev/waive.image-digest: \"mirrored by digest at admission\"\nspec:",
        ),
    );
    let r = json(&strata(&s.0, &["validate", "--format", "json"]));
    assert!(find(&r, "policy/image-digest", "prod-1").is_empty());
    assert_eq!(find(&r, "policy/min-replicas", "prod-1").len(), 1);
}

#[test]
fn bad_input_exits_2() {
    let s = fleet("bad-input");
    let out = strata(&s.0, &["validate", "--kubernetes-version", "1.12"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no schemas for Kubernetes 1.12; strata ships 1.30"),
        "{err}"
    );

    s.write(
        "strata.yaml",
        "output: rendered\npolicies:\n  defaults:\n    image-tag-pined: error\n",
    );
    let out = strata(&s.0, &["validate"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "strata.yaml:4: unknown policy `image-tag-pined` (did you mean `image-tag-pinned`?)"
        ),
        "{err}"
    );

    let out = strata(&s.0, &["validate", "apps", "--app", "web"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("with a PATH, pass the folder"));

    s.write("strata.yaml", "output: rendered\ncrds: [crds/]\n");
    let out = strata(&s.0, &["validate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("crds: 'crds' does not exist"));

    s.write(
        "strata.yaml",
        "output: rendered\nkubernetesVersion: \"1.12\"\n",
    );
    let out = strata(&s.0, &["validate", "rendered"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("strata.yaml: kubernetesVersion 1.12"));
}

#[test]
fn a_committed_tree_gets_clusters_from_the_layout() {
    let s = fleet("committed");
    s.write("apps/api/env/prod.yaml", "values:\n  port: 80\n");
    let rendered = strata(&s.0, &["render", "-q"]);
    assert_eq!(
        rendered.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let r = json(&strata(&s.0, &["validate", "rendered", "--format", "json"]));
    let typo = find(&r, "schema/unknown-field", "prod-1");
    assert_eq!(typo.len(), 1, "{r:#}");
    assert_eq!(typo[0]["app"], "web");
    assert_eq!(
        typo[0]["file"],
        "rendered/apps/prod/prod-1/web/deployment-web.yaml"
    );
    assert_eq!(typo[0]["source"], Value::Null);
    assert_eq!(find(&r, "policy/image-digest", "prod-1").len(), 1);
    assert!(find(&r, "policy/image-digest", "dev-1").is_empty());
}

#[test]
fn secrets_values_are_never_printed() {
    let s = Scratch::new("secret");
    s.write("strata.yaml", "policies:\n  defaults:\n    no-plaintext-secret: error\n")
        .write("s.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: 12345\nstringData:\n  token: [hunter2]\n");
    for format in ["text", "json", "sarif", "junit"] {
        let out = strata(&s.0, &["validate", "s.yaml", "--format", format]);
        assert_eq!(out.status.code(), Some(1));
        let all = String::from_utf8_lossy(&out.stdout);
        assert!(all.contains("schema/type"), "{all}");
        assert!(!all.contains("12345") && !all.contains("hunter2"), "{all}");
    }
}

#[test]
fn helm_calls_of_random_functions_are_reported_with_file_and_line() {
    let s = Scratch::new("helm-nondet");
    s.write(
        "strata.yaml",
        "output: rendered\nkubernetesVersion: \"1.33\"\n",
    )
    .write("clusters/dev-1.yaml", "name: dev-1\nenv: dev\n")
    .write("clusters/dev-2.yaml", "name: dev-2\nenv: dev\n")
    .write(
        "apps/db/app.yaml",
        "name: db\nnamespace: db\nsource: helm\n",
    )
    .write(
        "apps/db/base/Chart.yaml",
        "apiVersion: v2\nname: db\nversion: 0.1.0\n",
    )
    .write("apps/db/base/values.yaml", "tls: false\n")
    .write(
        "apps/db/base/templates/secret.yaml",
        "apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password: {{ randAlphaNum 16 | quote }}
{{- if .Values.tls }}
  ca: {{ (genCA \"db\" 365).Cert | quote }}
{{- end }}
",
    );
    let out = strata(&s.0, &["validate", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = json(&out);
    let found: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "helm/non-deterministic")
        .map(|f| {
            format!(
                "{} {}:{} {} {}",
                f["severity"].as_str().unwrap(),
                f["file"].as_str().unwrap(),
                f["line"],
                f["app"].as_str().unwrap(),
                f["message"].as_str().unwrap().split(' ').next().unwrap()
            )
        })
        .collect();
    // Once per call site (not per cluster), including the one the values switch off.
    assert_eq!(
        found,
        [
            "warning apps/db/base/templates/secret.yaml:6 db randAlphaNum",
            "warning apps/db/base/templates/secret.yaml:8 db genCA",
        ]
    );
    // The render itself warns with the call site that ran.
    assert!(
        text(&out.stderr).contains("db/templates/secret.yaml:6: randAlphaNum"),
        "{}",
        text(&out.stderr)
    );
    let sarif = strata(&s.0, &["validate", "--format", "sarif"]);
    assert!(text(&sarif.stdout).contains("helm/non-deterministic"));
}
