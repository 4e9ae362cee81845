//! kustomize's own test suite (`api/krusty` at v5.5.0), ported by scripts/port-krusty.py into
//! `fixtures/krusty/<Test>/`: each test's in-memory files as a tree, with real kustomize's
//! output (or error) stored beside them. Success cases must match byte for byte; error cases
//! must exit 2 (and name the keywords, where the case lists any). Cases strata fails today
//! are listed with a reason in `fixtures/krusty/known-failures.txt`; tests not ported (plugins,
//! Helm, network, non-default options) are listed in `fixtures/krusty/skipped.txt`.
//!
//! `CONFORMANCE_FILTER=Patch cargo test --test krusty` runs the cases whose name contains it.

mod common;

use common::suite::{self, fixtures_dir, Keywords};

#[test]
fn krusty() {
    let root = fixtures_dir("krusty");
    let (agree, total) = suite::run_suite(
        &suite::case_dirs(&root),
        &root.join("known-failures.txt"),
        Keywords::Optional,
    );
    println!("{agree} of {total} cases that need only builtins and local files agree");
}
