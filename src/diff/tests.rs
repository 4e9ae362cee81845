//! The engine on trees in memory: no disk, no process.

use super::*;

fn tree(files: &[(&str, &str)]) -> Tree {
    Tree {
        root: String::new(),
        files: files
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect(),
    }
}

fn cm(name: &str, v: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: \"{v}\"\n")
}

#[test]
fn labels_come_from_whole_segment_placeholders() {
    let l = labels("apps/{env}/{cluster}/{app}", "apps/prod/prod-eu-1/web");
    assert_eq!(l["env"], "prod");
    assert_eq!(l["cluster"], "prod-eu-1");
    assert_eq!(l["app"], "web");
    assert!(labels("apps/{env}/{cluster}/{app}", "other/prod/x/web").is_empty());
    assert!(labels("apps/{env}/{cluster}/{app}", "apps/prod").is_empty());
}

#[test]
fn hash_suffixes_are_recognised() {
    assert_eq!(hash_stem("app-config-7h2k9fm8tc"), Some("app-config"));
    assert_eq!(hash_stem("app-config-b5m2g8h4kt"), Some("app-config"));
    assert_eq!(hash_stem("web-deployment"), None);
    assert_eq!(hash_stem("app-AAAAAAAAAA"), None);
}

#[test]
fn hash_pairs_stay_within_a_unit_and_kind() {
    let old = tree(&[
        ("a/cm.yaml", &cm("cfg-7h2k9fm8tc", "1")),
        ("b/cm.yaml", &cm("cfg-7h2k9fm8tc", "1")),
    ]);
    let new = tree(&[
        ("a/cm2.yaml", &cm("cfg-b5m2g8h4kt", "2")),
        ("c/cm.yaml", &cm("cfg-b5m2g8h4kt", "1")),
    ]);
    let r = diff_trees(&old, &new, &DiffOptions::default()).unwrap();
    assert_eq!(
        (r.summary.changed, r.summary.added, r.summary.removed),
        (1, 1, 1)
    );
    let a = &r.units[0];
    assert_eq!(a.unit, "a");
    assert_eq!(a.resources[0].old_name.as_deref(), Some("cfg-7h2k9fm8tc"));
}

#[test]
fn identical_files_are_not_parsed() {
    // Not YAML at all, but the same bytes on both sides: never read.
    let old = tree(&[("a/x.yaml", "{{{ not yaml"), ("a/y.yaml", &cm("y", "1"))]);
    let new = tree(&[("a/x.yaml", "{{{ not yaml"), ("a/y.yaml", &cm("y", "2"))]);
    let r = diff_trees(&old, &new, &DiffOptions::default()).unwrap();
    assert_eq!(r.summary.changed, 1);
    assert_eq!(r.summary.units_total, 1);
}

#[test]
fn ignore_rules_parse() {
    let r = IgnoreRule::parse("Deployment:spec.replicas").unwrap();
    assert_eq!(r.kind.as_deref(), Some("deployment"));
    assert!(r.path.is_some());
    let r = IgnoreRule::parse("ConfigMap:*").unwrap();
    assert!(r.path.is_none());
    let r = IgnoreRule::parse("metadata.annotations[\"a:b\"]").unwrap();
    assert_eq!(r.kind, None);
    assert!(IgnoreRule::parse("Deployment:").unwrap().path.is_none());
    assert!(IgnoreRule::parse("spec[").is_err());
}

#[test]
fn errors_name_the_tree_and_never_quote_the_file() {
    let old = tree(&[]);
    let mut new = tree(&[("u/s.yaml", "a: !!int sekrit\n")]);
    new.root = "new".into();
    let e = diff_trees(&old, &new, &DiffOptions::default()).unwrap_err();
    assert_eq!(e.file, "new/u/s.yaml");
    assert_eq!(e.line, 1);
    assert!(!e.message.contains("sekrit"), "{e}");
}
