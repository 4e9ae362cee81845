//! `strata validate`: the defect corpus (`fixtures/validate/<case>/`: a manifest that
//! must be flagged with the exact rule, path and line, and a near-identical one that
//! must pass), the fleet rendered in memory, output formats and exit codes.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn strata(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run strata")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

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
