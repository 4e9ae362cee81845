//! Conformance suite for `strata build`: every case under `fixtures/build/` is an input
//! tree with the output of real kustomize v5.5 stored beside it (see
//! `fixtures/build/README.md`). Success cases must match byte for byte; error cases must
//! exit 2 with an empty stdout and a stderr naming every keyword. Cases listed in
//! `fixtures/build/known-failures.txt` may fail, and must: a listed case that passes is
//! itself a failure, so the list stays exact.
//!
//! Run one subset with `CONFORMANCE_FILTER=smp cargo test --test conformance` (a substring
//! of the case name); the known-failures list is then only checked for the cases run.

mod common;

use common::suite::{self, build_arg, fixtures_dir, Keywords};
use std::path::PathBuf;
use std::process::Command;

#[test]
fn conformance() {
    let root = fixtures_dir("build");
    suite::run_suite(
        &suite::case_dirs(&root),
        &root.join("known-failures.txt"),
        Keywords::Required,
    );
}

/// The stored expected outputs are still what the real kustomize prints. Needs
/// kubectl with kustomize v5.5 and `STRATA_LIVE_KUSTOMIZE=1` (it runs kubectl once per
/// case, ~20 s); otherwise it says why it skipped.
#[test]
fn stored_outputs_match_live_kustomize() {
    if std::env::var("STRATA_LIVE_KUSTOMIZE").as_deref() != Ok("1") {
        eprintln!("skipped: set STRATA_LIVE_KUSTOMIZE=1 to compare the stored outputs with kubectl kustomize");
        return;
    }
    let version = Command::new("kubectl")
        .args(["version", "--client"])
        .output();
    match version {
        Ok(o) if String::from_utf8_lossy(&o.stdout).contains("Kustomize Version: v5.5.") => {}
        _ => {
            eprintln!("skipped: kubectl with Kustomize v5.5 is not on PATH");
            return;
        }
    }
    let mut stale = Vec::new();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures_dir("build"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("expected.yaml").is_file())
        .collect();
    cases.sort();
    for case in &cases {
        let out = Command::new("kubectl")
            .current_dir(case)
            .args(["kustomize", &build_arg(case)])
            .output()
            .unwrap();
        let want = std::fs::read(case.join("expected.yaml")).unwrap();
        if out.stdout != want {
            stale.push(case.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(
        stale.is_empty(),
        "stored outputs differ from kubectl kustomize; run scripts/regen-conformance.sh: {stale:?}"
    );
    eprintln!("{} stored outputs match kubectl kustomize", cases.len());
}
