//! A corpus of real public repositories (fixtures/corpus/<repo>/tree/, trimmed by
//! scripts/corpus.py to the files kustomize reads), each kustomization folder with real
//! kustomize v5.5's output or error stored in fixtures/corpus/<repo>/expected/<folder>/.
//! Where kustomize builds a folder, strata must print the same bytes; where it refuses,
//! strata must refuse (exit 2). Folders strata fails today are listed with a reason in
//! fixtures/corpus/known-failures.txt; a listed folder must still fail.
//!
//! `CONFORMANCE_FILTER=argo-cd cargo test --test corpus` runs the folders whose name has it.

mod common;

use common::suite::{self, fixtures_dir, Case, Keywords};
use std::path::Path;

/// Every folder holding `expected.yaml` or `expected-error` under `dir`, sorted.
fn expectation_dirs(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    if entries
        .iter()
        .any(|p| p.ends_with("expected.yaml") || p.ends_with("expected-error"))
    {
        out.push(dir.to_path_buf());
    }
    for p in entries.iter().filter(|p| p.is_dir()) {
        expectation_dirs(p, out);
    }
}

#[test]
fn corpus() {
    let root = fixtures_dir("corpus");
    let mut repos: Vec<_> = std::fs::read_dir(&root)
        .expect("fixtures/corpus")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("tree").is_dir())
        .collect();
    repos.sort();
    let mut cases = Vec::new();
    for repo in &repos {
        let name = repo.file_name().unwrap().to_string_lossy().into_owned();
        let expected = repo.join("expected");
        let mut dirs = Vec::new();
        expectation_dirs(&expected, &mut dirs);
        for d in dirs {
            let folder = d
                .strip_prefix(&expected)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let folder = if folder.is_empty() {
                ".".into()
            } else {
                folder
            };
            cases.push(Case {
                name: format!("{name}/{folder}"),
                cwd: repo.join("tree"),
                arg: folder,
                expect_dir: d,
            });
        }
    }
    let (agree, total) =
        suite::run_suite(&cases, &root.join("known-failures.txt"), Keywords::Optional);
    println!("{agree} of {total} corpus folders agree with kustomize");
}
