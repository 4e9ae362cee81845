//! `strata compare` as a user runs it: the table in each format on the bundled
//! examples, bad input, secrets, and the HTML page in a real headless browser.

#[path = "browser/cdp.rs"]
mod cdp;

mod common;
use common::*;
use std::path::{Path, PathBuf};

const ENVS: [&str; 5] = ["compare", "--app", "web", "--envs", "dev,staging,prod"];

#[test]
fn env_clusters_web_across_envs_in_every_format() {
    let dir = example("env-clusters");
    for format in ["text", "markdown", "json"] {
        let mut args = ENVS.to_vec();
        args.extend(["--format", format]);
        insta::assert_snapshot!(
            format!("compare-env-clusters-web-envs-{format}"),
            ok(&dir, &args)
        );
    }
}

#[test]
fn env_clusters_every_cluster_and_a_narrow_table() {
    let dir = example("env-clusters");
    insta::assert_snapshot!(
        "compare-env-clusters-web-all-width-16",
        ok(
            &dir,
            &[
                "compare",
                "--app",
                "web",
                "--envs",
                "prod,dev",
                "--all-clusters",
                "--width",
                "16"
            ]
        )
    );
    // Two clusters of one env, as listed: only the cluster-independent fields, none here.
    insta::assert_snapshot!(
        "compare-env-clusters-web-prod-1-prod-2",
        ok(
            &dir,
            &["compare", "--app", "web", "--clusters", "prod-1,prod-2"]
        )
    );
}

#[test]
fn tenants_portal_across_all_its_clusters() {
    let dir = example("tenants");
    for format in ["text", "markdown", "json"] {
        insta::assert_snapshot!(
            format!("compare-tenants-portal-{format}"),
            ok(&dir, &["compare", "--app", "portal", "--format", format])
        );
    }
}

#[test]
fn json_has_the_documented_shape() {
    let mut args = ENVS.to_vec();
    args.extend(["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&ok(&example("env-clusters"), &args)).unwrap();
    assert_eq!(v["app"], "web");
    assert_eq!(
        v["clusters"],
        serde_json::json!(["dev-1", "staging-1", "prod-1"])
    );
    let replicas = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "spec.replicas")
        .unwrap();
    assert_eq!(replicas["resource"], "Deployment web/web");
    assert_eq!(
        replicas["values"],
        serde_json::json!({"dev-1": "1", "staging-1": "2", "prod-1": "4"})
    );
}

#[test]
fn bad_input_exits_2_and_names_what_exists() {
    let dir = example("env-clusters");
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["compare", "--app", "nope"],
            &["no app 'nope'", "apps: web, worker"],
        ),
        (
            &["compare", "--app", "web", "--clusters", "dev-1,prod-9"],
            &["no cluster 'prod-9'", "dev-1, prod-1, prod-2, staging-1"],
        ),
        (
            &["compare", "--app", "web", "--envs", "dev,qa"],
            &["no cluster has env 'qa'", "envs: dev, prod, staging"],
        ),
        (
            &["compare", "--app", "worker", "--envs", "dev,prod"],
            &[
                "app worker is deployed to no cluster of env 'dev'",
                "its envs: prod, staging",
            ],
        ),
        (
            &["compare", "--app", "worker", "--clusters", "dev-1,prod-1"],
            &[
                "app worker is not deployed to cluster 'dev-1'",
                "prod-1, prod-2, staging-1",
            ],
        ),
        (
            &["compare", "--app", "web", "--clusters", "dev-1"],
            &["at least two clusters", "dev-1, prod-1, prod-2, staging-1"],
        ),
        (
            &["compare", "--app", "web", "--envs", "prod,prod"],
            &["at least two clusters", "selected prod-1"],
        ),
        (&["compare", "--app", "web", "--all-clusters"], &["--envs"]),
        (
            &[
                "compare",
                "--app",
                "web",
                "--envs",
                "dev",
                "--clusters",
                "dev-1",
            ],
            &["cannot be used with"],
        ),
        (&["compare", "--app", "web", "--format", "yaml"], &["yaml"]),
    ];
    for (args, wants) in cases {
        let out = strata(&dir, args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
        for want in *wants {
            assert!(err.contains(want), "{args:?}: want {want:?} in {err}");
        }
    }
    // A fleet with one cluster cannot be compared with anything.
    let s = Scratch::new("one");
    s.write("strata.yaml", "output: rendered\n");
    s.write("clusters/only.yaml", "name: only\nenv: dev\n");
    s.write("apps/a/app.yaml", "name: a\nsource: manifests\n");
    s.write(
        "apps/a/base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    );
    let out = strata(&s.0, &["compare", "--app", "a"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("app a is deployed to: only"),
        "{}",
        text(&out.stderr)
    );
}

/// A fleet whose app has a Secret that differs between clusters.
fn secret_fleet() -> Scratch {
    let s = Scratch::new("secret");
    s.write("strata.yaml", "output: rendered\nlayers: [env]\n");
    s.write("clusters/dev-1.yaml", "name: dev-1\nenv: dev\n");
    s.write("clusters/prod-1.yaml", "name: prod-1\nenv: prod\n");
    s.write(
        "apps/db/app.yaml",
        "name: db\nnamespace: db\nsource: kustomize\n",
    );
    s.write(
        "apps/db/base/kustomization.yaml",
        "resources: [secret.yaml]\n",
    );
    s.write(
        "apps/db/base/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{\"data\":{\"password\":\"c2VjcmV0LWJhc2U=\"}}'\ndata:\n  user: YWRtaW4=\n  password: c2VjcmV0LWJhc2U=\nstringData:\n  token: base-token-value\n",
    );
    s.write(
        "apps/db/env/prod.yaml",
        "patches:\n  - target: {kind: Secret, name: creds}\n    patch: |-\n      - {op: replace, path: /data/password, value: cHJvZC1zZWNyZXQ=}\n      - {op: replace, path: /stringData/token, value: prod-token-value}\n      - {op: replace, path: /metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration, value: prod-applied}\n",
    );
    s
}

#[test]
fn secret_values_are_never_printed_unless_asked() {
    let s = secret_fleet();
    let page = s.0.join("page.html");
    let page_arg = page.to_str().unwrap();
    let mut outputs = Vec::new();
    for format in ["text", "markdown", "json"] {
        outputs.push(ok(&s.0, &["compare", "--app", "db", "--format", format]));
    }
    ok(&s.0, &["compare", "--app", "db", "--html", page_arg]);
    outputs.push(std::fs::read_to_string(&page).unwrap());
    for out in &outputs {
        for secret in [
            "c2VjcmV0LWJhc2U=",
            "cHJvZC1zZWNyZXQ=",
            "YWRtaW4=",
            "base-token-value",
            "prod-token-value",
            "prod-applied",
        ] {
            assert!(!out.contains(secret), "{secret} printed in:\n{out}");
        }
        assert!(out.contains("(secret: differs)"), "{out}");
    }
    insta::assert_snapshot!("compare-secret-masked", outputs[0]);
    let shown = ok(&s.0, &["compare", "--app", "db", "--show-secrets"]);
    assert!(shown.contains("cHJvZC1zZWNyZXQ="), "{shown}");
    assert!(shown.contains("prod-token-value"), "{shown}");
    assert!(
        !shown.contains("YWRtaW4="),
        "equal everywhere: hidden\n{shown}"
    );
}

/// Writes the page for env-clusters web across dev, staging and prod.
fn write_page(s: &Scratch) -> PathBuf {
    let page = s.0.join("compare.html");
    let mut args = ENVS.to_vec();
    args.extend(["--html", page.to_str().unwrap()]);
    let out = ok(&example("env-clusters"), &args);
    assert!(
        out.contains("6 differing fields across 3 clusters"),
        "{out}"
    );
    page
}

#[test]
fn the_page_is_self_contained_and_escaped() {
    let s = Scratch::new("page");
    let page = std::fs::read_to_string(write_page(&s)).unwrap();
    // No rendered value of this app holds a URL, so none may appear at all.
    for external in [
        "http://", "https://", "src=", "<link", "@import", "url(", "//cdn",
    ] {
        assert!(!page.contains(external), "{external} in the page");
    }
    assert!(page.contains("<input id=\"filter\""));
    assert_eq!(
        page.matches("<details id=\"r").count(),
        3,
        "one per resource"
    );
    assert!(page.contains("<td class=\"path\">spec.replicas</td>"));
    // Side by side, and which file set each value where one did.
    assert!(page.contains(concat!(
        "<td class=\"v\">1</td>",
        "<td class=\"v\" title=\"set by replicas in apps/web/env/staging.yaml\">2</td>",
        "<td class=\"v\" title=\"set by replicas in apps/web/env/prod.yaml\">4</td>"
    )));
    assert!(page.contains("title=\"set by patch in apps/web/env/prod.yaml\">1Gi</td>"));
    assert!(page.contains("from apps/web/base/deployment.yaml:1; then "));
    // The full YAML per cluster: prod's Deployment with its patched memory.
    assert!(page.contains("replicas: 4\n"));
    assert!(page.contains("memory: 1Gi"));
    insta::assert_snapshot!("compare-env-clusters-web-html", page);
}

/// The table rows of a dumped DOM: (hidden, cell texts).
fn dom_rows(dom: &str) -> Vec<(bool, Vec<String>)> {
    let body = dom
        .split_once("<tbody>")
        .and_then(|(_, b)| b.split_once("</tbody>"))
        .map(|(b, _)| b)
        .expect("a table body");
    let cell = regex::Regex::new(r"<td[^>]*>(.*?)</td>").unwrap();
    let tag = regex::Regex::new(r"<[^>]+>").unwrap();
    body.split("</tr>")
        .filter(|r| r.contains("<tr"))
        .map(|r| {
            let hidden = r.contains("<tr hidden");
            let cells = cell
                .captures_iter(r)
                .map(|c| tag.replace_all(&c[1], "").into_owned())
                .collect();
            (hidden, cells)
        })
        .collect()
}

fn file_url(p: &Path) -> String {
    format!("file://{}", p.display())
}

#[test]
fn chromium_shows_the_differences_and_the_filter_from_the_address() {
    if !cdp::available("chromium_shows_the_differences_and_the_filter_from_the_address") {
        return;
    }
    let s = Scratch::new("dump");
    let url = file_url(&write_page(&s));

    let rows = dom_rows(&cdp::dump_dom(&url));
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().all(|(hidden, _)| !hidden));
    let replicas = rows
        .iter()
        .find(|(_, c)| c[1] == "spec.replicas")
        .expect("a spec.replicas row");
    assert_eq!(
        replicas.1,
        ["Deployment web/web", "spec.replicas", "1", "2", "4"]
    );
    let image = rows.iter().find(|(_, c)| c[1].ends_with(".image")).unwrap();
    assert_eq!(
        &image.1[2..],
        [
            "ghcr.io/acme/web:1.5.0-rc.1",
            "ghcr.io/acme/web:1.4.0",
            "ghcr.io/acme/web:1.4.0"
        ]
    );

    let dom = cdp::dump_dom(&format!("{url}#filter=replicas"));
    let shown: Vec<_> = dom_rows(&dom)
        .into_iter()
        .filter(|(hidden, _)| !hidden)
        .map(|(_, c)| c[1].clone())
        .collect();
    assert_eq!(shown, ["spec.replicas"]);
    assert!(
        dom.contains("<span id=\"count\">1 of 6 rows</span>"),
        "{dom}"
    );
}

#[test]
fn typing_in_the_filter_box_hides_rows_that_do_not_match() {
    if !cdp::available("typing_in_the_filter_box_hides_rows_that_do_not_match") {
        return;
    }
    let s = Scratch::new("cdp");
    let url = file_url(&write_page(&s));
    let mut b = cdp::Browser::open(&url);
    let visible = "JSON.stringify(Array.from(document.querySelectorAll('#diff tbody tr')).filter(r => !r.hidden).map(r => Array.from(r.cells).map(c => c.textContent)))";
    let rows = |b: &mut cdp::Browser| -> Vec<Vec<String>> {
        serde_json::from_str(b.eval(visible).as_str().unwrap()).unwrap()
    };
    assert_eq!(rows(&mut b).len(), 6);

    b.eval("document.getElementById('filter').focus()");
    b.type_text("replicas");
    assert_eq!(
        b.eval("document.getElementById('filter').value"),
        "replicas"
    );
    assert_eq!(
        rows(&mut b),
        [["Deployment web/web", "spec.replicas", "1", "2", "4"]]
    );
    assert_eq!(
        b.eval("document.getElementById('count').textContent"),
        "1 of 6 rows"
    );

    // Every word must match, anywhere in the row: a value narrows it too.
    b.eval("document.getElementById('filter').select()");
    b.type_text("web-config 459bd");
    let paths: Vec<String> = rows(&mut b).into_iter().map(|r| r[1].clone()).collect();
    assert_eq!(
        paths,
        [
            "metadata.name",
            "spec.template.spec.containers[name=web].envFrom[0].configMapRef.name"
        ]
    );

    b.eval("document.getElementById('filter').select()");
    b.type_text("no-such-thing");
    assert!(rows(&mut b).is_empty());
    assert_eq!(b.eval("document.getElementById('none').hidden"), false);

    // The rendered resource is one click away: the link opens its details.
    b.eval("document.getElementById('filter').select()");
    b.type_text("replicas");
    assert_eq!(b.eval("document.getElementById('r1').open"), false);
    b.eval("document.querySelector('#diff a[href=\"#r1\"]').click()");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while b.eval("document.getElementById('r1').open") != true {
        assert!(std::time::Instant::now() < deadline, "details did not open");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let yaml = b.eval("document.querySelectorAll('#r1 pre')[2].textContent");
    assert!(
        yaml.as_str().unwrap().contains("replicas: 4"),
        "prod-1's Deployment: {yaml}"
    );
}
