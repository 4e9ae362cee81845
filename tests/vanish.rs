//! Nothing vanishes without a word: a fleet that would render nothing is an error,
//! and a file that applies to nothing is a warning (an error with `--strict`).

mod common;
use common::{read_tree, strata, text, Scratch};

#[test]
fn a_missing_or_empty_clusters_or_apps_folder_is_an_error_and_the_tree_stays() {
    let s = Scratch::example("env-clusters", "vanish");
    assert_eq!(strata(&s.0, &["render", "--quiet"]).status.code(), Some(0));
    let before = read_tree(&s.0.join("rendered"));
    assert!(!before.is_empty());
    let project = std::fs::read_to_string(s.0.join("strata.yaml")).unwrap();
    let lines = project.lines().count() + 2;
    let cases = [
        (
            "paths:\n  clusters: clusterz\n",
            "strata.yaml:",
            "paths.clusters: the folder 'clusterz/' does not exist",
        ),
        (
            "paths:\n  apps: ap\n",
            "strata.yaml:",
            "paths.apps: the folder 'ap/' does not exist",
        ),
        (
            "paths:\n  apps: clusters\n",
            "strata.yaml:",
            "paths.apps: 'clusters/' holds no app",
        ),
    ];
    for (paths, file, words) in cases {
        std::fs::write(s.0.join("strata.yaml"), format!("{project}{paths}")).unwrap();
        for args in [&["render"][..], &["render", "--check"], &["validate"]] {
            let out = strata(&s.0, args);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{paths} {args:?}: {err}");
            assert!(
                err.contains(&format!("{file}{lines}: {words}")),
                "{paths} {args:?}: {err}"
            );
            assert_eq!(
                read_tree(&s.0.join("rendered")),
                before,
                "{paths}: the tree changed"
            );
        }
    }
    std::fs::write(s.0.join("strata.yaml"), &project).unwrap();
    for f in std::fs::read_dir(s.0.join("clusters")).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    let out = strata(&s.0, &["render"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("strata.yaml: paths.clusters: 'clusters/' holds no cluster"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(read_tree(&s.0.join("rendered")), before);
}

#[test]
fn files_that_apply_to_nothing_are_warnings_and_errors_with_strict() {
    let s = Scratch::example("env-clusters", "lint");
    s.write(
        "apps/web/env/prdo.yaml",
        "replicas: [{name: web, count: 5}]\n",
    )
    .write("apps/web/cluster/nope.yaml", "{}\n")
    .write("apps/web/clsuter/prod-1.yaml", "{}\n");
    let warned = [
        "warning: apps/web/env/prdo.yaml: no cluster has env 'prdo' (envs: dev, prod, staging)",
        "warning: apps/web/cluster/nope.yaml: no cluster is named 'nope' (clusters: ",
        "warning: apps/web/clsuter/: not a layer folder, so its files apply to no cluster; did you mean cluster/?",
    ];
    for args in [&["render"][..], &["validate"]] {
        let out = strata(&s.0, args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        for w in warned {
            assert!(err.contains(w), "{args:?}: {w} in {err}");
        }
    }
    let before = read_tree(&s.0.join("rendered"));
    for args in [
        &["render", "--strict"][..],
        &["render", "--strict", "--check"],
        &["validate", "--strict"],
        &["validate", "--strict", "rendered"],
    ] {
        let out = strata(&s.0, args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        for w in warned {
            let e = w.replace("warning: ", "error: ");
            assert!(err.contains(&e), "{args:?}: {e} in {err}");
        }
        assert!(err.contains("(--strict)"), "{err}");
        assert_eq!(read_tree(&s.0.join("rendered")), before, "{args:?}");
    }
}

#[test]
fn app_yml_is_read_like_app_yaml() {
    let s = Scratch::example("env-clusters", "yml");
    let apps = s.0.join("apps");
    let app = std::fs::read_dir(&apps)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::rename(app.join("app.yaml"), app.join("app.yml")).unwrap();
    let with_yml = strata(&s.0, &["ls"]);
    std::fs::rename(app.join("app.yml"), app.join("app.yaml")).unwrap();
    let with_yaml = strata(&s.0, &["ls"]);
    assert_eq!(
        with_yml.status.code(),
        Some(0),
        "{}",
        text(&with_yml.stderr)
    );
    assert_eq!(text(&with_yml.stdout), text(&with_yaml.stdout));
    std::fs::copy(app.join("app.yaml"), app.join("app.yml")).unwrap();
    let out = strata(&s.0, &["render"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("has both app.yaml and app.yml; keep one"),
        "{}",
        text(&out.stderr)
    );
    assert!(!s.0.join("rendered").exists());
}
