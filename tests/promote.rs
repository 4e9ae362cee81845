//! `strata promote` on copies of the bundled examples.

mod common;
use common::*;

fn read(s: &Scratch, rel: &str) -> String {
    std::fs::read_to_string(s.0.join(rel)).unwrap()
}

/// Runs promote, expects exit 2 and no change to any file; returns stderr.
fn refused(s: &Scratch, args: &[&str]) -> String {
    let before = read_tree(&s.0);
    let mut a = vec!["promote"];
    a.extend_from_slice(args);
    let out = strata(&s.0, &a);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: {}",
        text(&out.stderr)
    );
    assert_eq!(read_tree(&s.0), before, "a refused promote writes nothing");
    text(&out.stderr)
}

#[test]
fn an_env_gets_the_source_image_as_a_new_images_entry_and_nothing_else_changes() {
    let s = Scratch::example("env-clusters", "promote");
    let prod = read(&s, "apps/web/env/prod.yaml");
    let out = ok(
        &s.0,
        &["promote", "--app", "web", "--from", "dev", "--to", "prod"],
    );
    let after = read(&s, "apps/web/env/prod.yaml");
    assert_eq!(
        after,
        format!("{prod}images:\n  - name: ghcr.io/acme/web\n    newTag: 1.5.0-rc.1\n"),
        "only the new entry is added"
    );
    insta::assert_snapshot!("promote-env-clusters-dev-to-prod", out);
    // Promoting again: nothing to do; with --exit-code that is exit 1.
    let again = strata(
        &s.0,
        &[
            "promote",
            "--app",
            "web",
            "--from",
            "dev",
            "--to",
            "prod",
            "--exit-code",
        ],
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stdout).starts_with("nothing to promote"),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(
        strata(
            &s.0,
            &["promote", "--app", "web", "--from", "dev", "--to", "prod"]
        )
        .status
        .code(),
        Some(0)
    );
    // And the render agrees.
    let unit = ok(
        &s.0,
        &["render", "--stdout", "--cluster", "prod-2", "--app", "web"],
    );
    assert!(
        unit.contains("image: ghcr.io/acme/web:1.5.0-rc.1"),
        "{unit}"
    );
}

#[test]
fn an_existing_entry_changes_only_its_tag_line_keeping_comments_and_quotes() {
    let s = Scratch::example("env-clusters", "promote-edit");
    s.write(
        "apps/web/env/staging.yaml",
        "# staging\nreplicas:\n  - name: web\n    count: 2\n\nimages:\n  - name: ghcr.io/acme/web   # the app\n    newTag: \"1.3.0\"  # pinned\n",
    );
    ok(
        &s.0,
        &[
            "promote", "--app", "web", "--from", "dev-1", "--to", "staging",
        ],
    );
    assert_eq!(
        read(&s, "apps/web/env/staging.yaml"),
        "# staging\nreplicas:\n  - name: web\n    count: 2\n\nimages:\n  - name: ghcr.io/acme/web   # the app\n    newTag: \"1.5.0-rc.1\"  # pinned\n"
    );
}

#[test]
fn dry_run_prints_the_edit_and_writes_nothing_and_render_rerenders() {
    let s = Scratch::example("env-clusters", "promote-dry");
    ok(&s.0, &["render", "--quiet"]);
    let before = read_tree(&s.0);
    let out = ok(
        &s.0,
        &[
            "promote",
            "--app",
            "web",
            "--from",
            "dev",
            "--to",
            "staging",
            "--dry-run",
        ],
    );
    assert!(
        out.contains("+images:\n+  - name: ghcr.io/acme/web\n+    newTag: 1.5.0-rc.1\n"),
        "{out}"
    );
    assert!(out.contains("(dry run: nothing written)"), "{out}");
    assert_eq!(read_tree(&s.0), before);
    ok(
        &s.0,
        &[
            "promote", "--app", "web", "--from", "dev", "--to", "staging", "--render",
        ],
    );
    assert!(read(
        &s,
        "rendered/apps/staging/staging-1/web/deployment-web.yaml"
    )
    .contains("1.5.0-rc.1"));
    assert!(
        strata(&s.0, &["render", "--check", "--quiet"])
            .status
            .code()
            == Some(0),
        "the tree is up to date after --render"
    );
}

#[test]
fn a_chart_gets_the_values_key_its_template_printed_and_named_values() {
    let s = Scratch::example("edge-fleet", "promote-chart");
    s.write(
        "apps/signage/region/north.yaml",
        "values:\n  playlist: seasonal\n  image:\n    tag: \"2.5.0\"\n",
    );
    let out = ok(
        &s.0,
        &[
            "promote",
            "--app",
            "signage",
            "--from",
            "shop-0004",
            "--to",
            "shop-0001",
            "--values",
            "playlist",
        ],
    );
    assert!(out.contains("values image.tag: 2.4.0 -> 2.5.0"), "{out}");
    assert_eq!(
        read(&s, "apps/signage/cluster/shop-0001.yaml"),
        "values:\n  image:\n    tag: 2.5.0\n  playlist: seasonal\n"
    );
    let unit = ok(
        &s.0,
        &[
            "render",
            "--stdout",
            "--cluster",
            "shop-0001",
            "--app",
            "signage",
        ],
    );
    assert!(unit.contains("image: ghcr.io/acme/signage:2.5.0"), "{unit}");
    let err = refused(
        &s,
        &[
            "--app",
            "signage",
            "--from",
            "shop-0010",
            "--to",
            "shop-0001",
            "--values",
            "resources",
        ],
    );
    assert!(
        err.contains("--values resources: it is a map; promote copies single values"),
        "{err}"
    );
    let err = refused(
        &s,
        &[
            "--app",
            "signage",
            "--from",
            "shop-0010",
            "--to",
            "shop-0001",
            "--values",
            "nope.x",
        ],
    );
    assert!(
        err.contains("--values nope.x: cluster shop-0010 has no chart value nope.x"),
        "{err}"
    );
}

#[test]
fn bad_input_exits_2_naming_what_exists_and_writes_nothing() {
    let s = Scratch::example("env-clusters", "promote-bad");
    let err = refused(&s, &["--app", "nope", "--from", "dev", "--to", "prod"]);
    assert!(
        err.contains("--app nope: no such app; apps: web, worker"),
        "{err}"
    );
    let err = refused(&s, &["--app", "web", "--from", "qa", "--to", "prod"]);
    assert!(
        err.contains("--from qa: no env or cluster of that name runs app web; its envs: dev, prod, staging; its clusters: dev-1, prod-1, prod-2, staging-1"),
        "{err}"
    );
    let err = refused(&s, &["--app", "worker", "--from", "dev-1", "--to", "prod"]);
    assert!(
        err.contains("app worker is not deployed to cluster dev-1"),
        "{err}"
    );
    let err = refused(&s, &["--app", "web", "--from", "prod-1", "--to", "prod"]);
    assert!(err.contains("share cluster prod-1"), "{err}");
    let err = refused(
        &s,
        &[
            "--app",
            "web",
            "--from",
            "dev",
            "--to",
            "prod",
            "--values",
            "image.tag",
        ],
    );
    assert!(err.contains("--values: app web is not a chart"), "{err}");
    // A later layer pins the tag: the env layer cannot win over it.
    s.write(
        "apps/web/cluster/prod-2.yaml",
        "# pinned for the audit\nimages:\n  - name: ghcr.io/acme/web\n    newTag: 1.3.9\n",
    );
    let err = refused(&s, &["--app", "web", "--from", "dev", "--to", "prod"]);
    assert!(
        err.contains("apps/web/cluster/prod-2.yaml:4: after editing apps/web/env/prod.yaml, cluster prod-2 would still run ghcr.io/acme/web:1.3.9"),
        "{err}"
    );
    // A templated layer file is not edited.
    s.write(
        "apps/web/env/staging.yaml",
        "replicas:\n  - name: web\n    count: {{cluster.values.n}}\n",
    );
    let err = refused(&s, &["--app", "web", "--from", "dev", "--to", "staging"]);
    assert!(
        err.contains("apps/web/env/staging.yaml: the layer file is a template"),
        "{err}"
    );
}

#[test]
fn a_target_without_its_layer_in_layers_is_refused() {
    let s = Scratch::example("regions", "promote-layers");
    let err = refused(
        &s,
        &[
            "--app",
            "api",
            "--from",
            "staging-eu-1",
            "--to",
            "prod-eu-1",
        ],
    );
    assert!(
        err.contains("strata.yaml: --to prod-eu-1: promote edits the cluster layer, but `layers` (env, region) has none"),
        "{err}"
    );
}

#[test]
fn an_image_set_by_a_template_constant_is_refused_naming_the_file() {
    let s = Scratch::example("edge-fleet", "promote-const");
    s.write(
        "apps/signage/region/north.yaml",
        "patches:\n  - target: {kind: Deployment}\n    patch: |-\n      - op: replace\n        path: /spec/template/spec/containers/0/image\n        value: ghcr.io/acme/signage:3.0.0\n",
    );
    let err = refused(
        &s,
        &[
            "--app",
            "signage",
            "--from",
            "shop-0004",
            "--to",
            "shop-0001",
        ],
    );
    assert!(
        err.contains("apps/signage/region/north.yaml:6: the image of Deployment/signage spec.template.spec.containers[name=player].image on shop-0004 is set by apps/signage/region/north.yaml:6 (patch), not by a chart value"),
        "{err}"
    );
}

#[test]
fn a_helm_chart_gets_the_image_values_its_template_printed() {
    let s = Scratch::example("platform", "promote-helm");
    let dev = read(&s, "apps/cert-manager/env/dev.yaml");
    s.write(
        "apps/cert-manager/env/dev.yaml",
        &format!("{dev}  image:\n    tag: v1.15.1\n"),
    );
    let prod = read(&s, "apps/cert-manager/env/prod.yaml");
    let out = ok(
        &s.0,
        &[
            "promote",
            "--app",
            "cert-manager",
            "--from",
            "dev",
            "--to",
            "prod",
        ],
    );
    assert!(
        out.contains("values image.tag: (unset) -> v1.15.1"),
        "{out}"
    );
    assert_eq!(
        read(&s, "apps/cert-manager/env/prod.yaml"),
        format!("{prod}  image:\n    tag: v1.15.1\n")
    );
}
