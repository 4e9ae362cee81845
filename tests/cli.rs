//! The binary as a user runs it: exit codes, stdout, stderr.

mod common;
use common::*;

#[test]
fn builds_the_bundled_example_as_kustomize_does() {
    for env in ["dev", "staging", "prod"] {
        let out = strata(
            &repo(),
            &["build", &format!("examples/kustomize/overlays/{env}")],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected =
            std::fs::read_to_string(repo().join(format!("examples/kustomize/expected/{env}.yaml")))
                .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            expected,
            "examples/kustomize/overlays/{env}"
        );
    }
}

#[test]
fn a_missing_directory_exits_2_and_says_so() {
    let s = Scratch::new("missing");
    let out = strata(&s.0, &["build", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn an_unknown_field_names_file_and_line() {
    let s = Scratch::new("unknown");
    s.write(
        "k/kustomization.yaml",
        "namespace: x\nreources:\n- a.yaml\n",
    );
    let out = strata(&s.0, &["build", "k"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("k/kustomization.yaml:2:"), "{err}");
    assert!(err.contains("reources"), "{err}");
}

#[test]
fn a_remote_base_is_refused_with_advice() {
    let s = Scratch::new("remote");
    s.write(
        "k/kustomization.yaml",
        "resources:\n- https://github.com/acme/base?ref=v1\n",
    );
    let out = strata(&s.0, &["build", "k"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("remote") && err.contains("Vendor"), "{err}");
}

#[test]
fn output_to_a_file_is_not_written_on_error() {
    let s = Scratch::new("noout");
    s.write("k/kustomization.yaml", "resources:\n- missing.yaml\n");
    let out = strata(&s.0, &["build", "k", "-o", "out.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!s.0.join("out.yaml").exists());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing.yaml"), "{err}");
}

#[test]
fn hostile_yaml_is_refused_quickly_with_bounded_memory() {
    let s = Scratch::new("hostile");
    let mut bomb = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a0: &a0 \"lol\"\n",
    );
    for i in 1..=12 {
        let prev = format!("*a{}", i - 1);
        bomb.push_str(&format!("  a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    s.write("bomb/kustomization.yaml", "resources: [cm.yaml]\n");
    s.write("bomb/cm.yaml", &bomb);
    let deep = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep}}\ndata: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    s.write("deep/kustomization.yaml", "resources: [cm.yaml]\n");
    s.write("deep/cm.yaml", &deep);
    for (dir, words) in [("bomb", "alias"), ("deep", "deep")] {
        let start = std::time::Instant::now();
        let out = strata(&s.0, &["build", dir]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{dir}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
        assert!(
            err.contains(&format!("{dir}/cm.yaml")) && err.contains(words),
            "{dir}: {err}"
        );
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "{dir} took {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn a_cycle_and_a_symlink_out_of_the_root_are_refused() {
    let s = Scratch::new("cycle");
    s.write("a/kustomization.yaml", "resources: [../b]\n");
    s.write("b/kustomization.yaml", "resources: [../a]\n");
    let out = strata(&s.0, &["build", "a"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cycle") || err.contains("include each other"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    #[cfg(unix)]
    {
        let outside = Scratch::new("outside-target");
        outside.write(
            "secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n",
        );
        s.write("k/kustomization.yaml", "resources: [link.yaml]\n");
        std::os::unix::fs::symlink(outside.0.join("secret.yaml"), s.0.join("k/link.yaml")).unwrap();
        let out = strata(&s.0, &["build", "k"]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("link.yaml") && err.contains("outside"),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn kustomize_features_strata_lacks_are_refused_not_ignored() {
    let s = Scratch::new("unsupported");
    s.write(
        "k/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
    );
    for (field, body, says) in [
        (
            "helmCharts",
            "helmCharts:\n- name: redis\n",
            "`helmCharts` inflates a Helm chart, which kustomize does only when given --enable-helm",
        ),
        (
            "transformers",
            "transformers: [t.yaml]\n",
            "an exec, container or Go plugin",
        ),
    ] {
        s.write(
            "k/kustomization.yaml",
            &format!("resources: [cm.yaml]\n{body}"),
        );
        s.write(
            "k/t.yaml",
            "apiVersion: example.com/v1\nkind: Sed\nmetadata: {name: sed}\n",
        );
        let out = strata(&s.0, &["build", "k"]);
        assert_eq!(out.status.code(), Some(2), "{field}");
        assert!(out.stdout.is_empty(), "{field}");
        let err = text(&out.stderr);
        assert!(err.contains(says) && err.contains("k/"), "{field}: {err}");
    }
}
