//! The pull-request loop: per-unit records that merge, incremental renders that
//! equal full ones, and `render --check` on a tree committed to git.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::Path;

/// env-clusters plus a chart app, so `--set` has something to change.
fn fleet(tag: &str) -> Scratch {
    let s = Scratch::example("env-clusters", tag);
    s.write(
        "apps/player/app.yaml",
        "name: player\nnamespace: player\nsource: chart\n",
    )
    .write(
        "apps/player/base/values.yaml",
        "image:\n  tag: \"1.0\"\nscreens: 2\n",
    )
    .write(
        "apps/player/base/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: player\nspec:\n  replicas: {{values.screens}}\n  template:\n    spec:\n      containers:\n        - name: player\n          image: ghcr.io/acme/player:{{values.image.tag}}\n          env:\n            - name: CLUSTER\n              value: {{cluster.name}}\n",
    )
    .write("apps/player/env/prod.yaml", "values:\n  screens: 4\n");
    s
}

/// A small deterministic generator (xorshift): the same seed, the same edits.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, v: &'a [String]) -> Option<&'a String> {
        (!v.is_empty()).then(|| &v[self.below(v.len())])
    }
}

/// The fleet's source files (not the hydrated tree), relative paths.
fn sources(root: &Path) -> Vec<String> {
    read_tree(root)
        .into_keys()
        .filter(|p| !p.starts_with("rendered/"))
        .collect()
}

/// One random edit of the kinds a pull request makes; returns what it did.
fn edit(s: &Scratch, rng: &mut Rng, step: usize) -> String {
    let files = sources(&s.0);
    let layers: Vec<String> = files
        .iter()
        .filter(|f| f.contains("/env/") || f.contains("/cluster/"))
        .cloned()
        .collect();
    let clusters: Vec<String> = files
        .iter()
        .filter(|f| f.starts_with("clusters/"))
        .cloned()
        .collect();
    let names: Vec<String> = clusters
        .iter()
        .map(|c| c["clusters/".len()..c.len() - 5].to_string())
        .collect();
    let n = rng.below(50) + 1;
    match rng.below(8) {
        // Change an input: a number that shapes the output, or only a comment.
        0 | 1 => {
            let f = rng.pick(&files).cloned().unwrap_or_default();
            let text = std::fs::read_to_string(s.0.join(&f)).unwrap_or_default();
            let mut changed = text.clone();
            for key in ["count: ", "screens: ", "replicas: "] {
                if let Some(i) = changed.find(key) {
                    let start = i + key.len();
                    let end = start
                        + changed[start..]
                            .find(|c: char| !c.is_ascii_digit())
                            .unwrap_or(changed.len() - start);
                    if end > start {
                        changed.replace_range(start..end, &n.to_string());
                        break;
                    }
                }
            }
            if changed == text && f.ends_with(".yaml") {
                changed.push_str(&format!("# edit {step}\n"));
            }
            std::fs::write(s.0.join(&f), changed).unwrap();
            format!("change {f}")
        }
        // Add an input: a cluster layer that the render looked for and did not find.
        2 => {
            let Some(c) = rng.pick(&names) else {
                return "nothing".into();
            };
            let (app, body) = if rng.below(2) == 0 {
                ("web", format!("replicas:\n  - name: web\n    count: {n}\n"))
            } else {
                ("player", format!("values:\n  screens: {n}\n"))
            };
            let f = format!("apps/{app}/cluster/{c}.yaml");
            if !s.0.join(format!("apps/{app}/cluster/{c}.yml")).exists() {
                s.write(&f, &body);
            }
            format!("add {f}")
        }
        // Remove an input.
        3 => match rng.pick(&layers) {
            Some(f) => {
                std::fs::remove_file(s.0.join(f)).unwrap();
                format!("remove {f}")
            }
            None => "nothing".into(),
        },
        // Rename an input: `.yaml` ↔ `.yml`, both of which a layer may be.
        4 => match rng.pick(&layers) {
            Some(f) => {
                let to = match f.strip_suffix(".yaml") {
                    Some(stem) => format!("{stem}.yml"),
                    None => format!("{}.yaml", f.trim_end_matches(".yml")),
                };
                std::fs::rename(s.0.join(f), s.0.join(&to)).unwrap();
                format!("rename {f} {to}")
            }
            None => "nothing".into(),
        },
        // Add a cluster, or remove one (keeping at least one).
        5 => {
            if rng.below(2) == 0 || clusters.len() < 2 {
                let env = ["dev", "staging", "prod"][rng.below(3)];
                let name = format!("{env}-x{step}");
                s.write(
                    &format!("clusters/{name}.yaml"),
                    &format!("name: {name}\nenv: {env}\n"),
                );
                format!("add cluster {name}")
            } else {
                let c = rng.pick(&clusters).unwrap();
                std::fs::remove_file(s.0.join(c)).unwrap();
                format!("remove {c}")
            }
        }
        // Change strata.yaml: the layout or the order of the layers.
        6 => {
            let p = s.0.join("strata.yaml");
            let text = std::fs::read_to_string(&p).unwrap();
            let text = if rng.below(2) == 0 {
                if text.contains("apps/{env}/{cluster}/{app}") {
                    text.replace("apps/{env}/{cluster}/{app}", "apps/{cluster}/{app}")
                } else {
                    text.replace("apps/{cluster}/{app}", "apps/{env}/{cluster}/{app}")
                }
            } else if text.contains("layers: [env, cluster]") {
                text.replace("layers: [env, cluster]", "layers: [cluster, env]")
            } else {
                text.replace("layers: [cluster, env]", "layers: [env, cluster]")
            };
            std::fs::write(&p, text).unwrap();
            "change strata.yaml".into()
        }
        _ => "only --set".into(),
    }
}

/// The tree a full render into an empty folder writes for the same sources.
fn full_render(s: &Scratch, set: &[String]) -> (Option<i32>, BTreeMap<String, String>) {
    let full = Scratch::new("full");
    for f in sources(&s.0) {
        let to = full.0.join(&f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(s.0.join(&f), to).unwrap();
    }
    let mut args = vec!["render", "--full", "--quiet"];
    args.extend(set.iter().map(String::as_str));
    let code = strata(&full.0, &args).status.code();
    (code, read_tree(&full.0.join("rendered")))
}

#[test]
fn incremental_renders_equal_full_renders_after_random_edits() {
    for seed in [0x5eed_u64, 0xdecaf, 0xbadc0de] {
        let s = fleet(&format!("prop-{seed:x}"));
        let mut rng = Rng(seed);
        ok(&s.0, &["render", "--quiet"]);
        let mut log = Vec::new();
        for step in 0..12 {
            log.push(edit(&s, &mut rng, step));
            let set: Vec<String> = match rng.below(3) {
                0 => vec!["--set".into(), format!("screens={}", rng.below(9) + 1)],
                _ => Vec::new(),
            };
            let before = read_tree(&s.0.join("rendered"));
            let mut args = vec!["render", "--quiet"];
            args.extend(set.iter().map(String::as_str));
            let out = strata(&s.0, &args);
            let (full_code, full_tree) = full_render(&s, &set);
            assert_eq!(
                out.status.code(),
                full_code,
                "seed {seed:x} after {log:?}: {}",
                text(&out.stderr)
            );
            let now = read_tree(&s.0.join("rendered"));
            if full_code != Some(0) {
                assert_eq!(before, now, "a failed render changes nothing");
                continue;
            }
            assert!(
                now == full_tree,
                "seed {seed:x} after {log:?}: incremental and full renders differ in {:?}",
                now.keys()
                    .chain(full_tree.keys())
                    .filter(|k| now.get(*k) != full_tree.get(*k))
                    .collect::<Vec<_>>()
            );
            let mut check = vec!["render", "--check"];
            check.extend(set.iter().map(String::as_str));
            let out = strata(&s.0, &check);
            assert_eq!(
                out.status.code(),
                Some(0),
                "seed {seed:x} after {log:?}: {}",
                text(&out.stdout)
            );
            assert!(
                text(&out.stdout).contains(", 0 rendered now)"),
                "a check after a render renders nothing: {}",
                text(&out.stdout)
            );
        }
    }
}

#[cfg(unix)]
fn inode(p: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).unwrap().ino()
}

#[cfg(unix)]
#[test]
fn an_edit_renders_only_the_units_that_read_it_and_writes_only_changed_files() {
    let s = fleet("one-edit");
    ok(&s.0, &["render", "--quiet"]);
    let out = s.0.join("rendered");
    let before: BTreeMap<String, u64> = read_tree(&out)
        .into_keys()
        .map(|k| (k.clone(), inode(&out.join(&k))))
        .collect();
    s.write(
        "apps/web/env/prod.yaml",
        &std::fs::read_to_string(s.0.join("apps/web/env/prod.yaml"))
            .unwrap()
            .replace("count: 4", "count: 6"),
    );
    let summary = ok(&s.0, &["render"]);
    assert!(
        summary.contains("(2 rendered, 9 unchanged inputs), 30 files (2 written, 0 removed)"),
        "{summary}"
    );
    let rewritten: Vec<&String> = before
        .iter()
        .filter(|(k, ino)| inode(&out.join(k)) != **ino)
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        rewritten,
        vec![
            ".strata/units/apps/prod/prod-1/web.json",
            ".strata/units/apps/prod/prod-2/web.json",
            "apps/prod/prod-1/web/deployment-web.yaml",
            "apps/prod/prod-2/web/deployment-web.yaml",
        ]
    );
    // A hand edit of a unit whose inputs did not change is caught and undone.
    let svc = out.join("apps/dev/dev-1/web/service-web.yaml");
    let original = std::fs::read_to_string(&svc).unwrap();
    std::fs::write(&svc, original.replace("port: 80", "port: 81")).unwrap();
    let check = strata(&s.0, &["render", "--check"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        text(&check.stdout).contains("~ Service web/web (v1)"),
        "{}",
        text(&check.stdout)
    );
    let json = strata(&s.0, &["render", "--check", "--format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["upToDate"], false);
    assert_eq!(v["changedUnits"], serde_json::json!(["apps/dev/dev-1/web"]));
    assert_eq!(v["diff"]["units"][0]["resources"][0]["kind"], "Service");
    assert_eq!(
        v["diff"]["units"][0]["resources"][0]["fields"][0]["path"], "spec.ports[0].port",
        "{v}"
    );
    let quiet = strata(&s.0, &["render", "--check", "--quiet"]);
    assert_eq!(quiet.status.code(), Some(1));
    assert!(
        quiet.stdout.is_empty() && quiet.stderr.is_empty(),
        "--quiet prints nothing"
    );
    ok(&s.0, &["render", "--quiet"]);
    assert_eq!(std::fs::read_to_string(&svc).unwrap(), original);
}

fn git_out(s: &Scratch, args: &[&str]) -> std::process::Output {
    std::process::Command::new("git")
        .current_dir(&s.0)
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn branches_rendering_different_units_merge_and_a_conflict_recovers_by_render() {
    let s = fleet("git");
    s.git(&["init", "-q", "-b", "main"]);
    ok(&s.0, &["render", "--quiet"]);
    s.git(&["add", "-A"]);
    s.git(&["commit", "-qm", "fleet"]);

    // Two pull requests, each changing one cluster.
    s.git(&["checkout", "-qb", "a", "main"]);
    s.write(
        "apps/web/cluster/prod-1.yaml",
        "replicas:\n  - name: web\n    count: 7\n",
    );
    ok(&s.0, &["render", "--quiet"]);
    s.git(&["add", "-A"]);
    s.git(&["commit", "-qm", "a"]);
    s.git(&["checkout", "-qb", "b", "main"]);
    s.write("apps/player/cluster/dev-1.yaml", "values:\n  screens: 5\n");
    ok(&s.0, &["render", "--quiet"]);
    s.git(&["add", "-A"]);
    s.git(&["commit", "-qm", "b"]);
    s.git(&["checkout", "-q", "main"]);
    s.git(&["merge", "-q", "--no-edit", "a"]);
    s.git(&["merge", "-q", "--no-edit", "b"]);
    let check = strata(&s.0, &["render", "--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));

    // Two pull requests changing the same unit: git conflicts in that unit only.
    s.git(&["checkout", "-qb", "c", "main"]);
    s.write(
        "apps/web/env/prod.yaml",
        &std::fs::read_to_string(s.0.join("apps/web/env/prod.yaml"))
            .unwrap()
            .replace("count: 4", "count: 5"),
    );
    ok(&s.0, &["render", "--quiet"]);
    s.git(&["commit", "-qam", "c"]);
    s.git(&["checkout", "-qb", "d", "main"]);
    s.write(
        "apps/web/cluster/prod-2.yaml",
        "replicas:\n  - name: web\n    count: 3\n",
    );
    ok(&s.0, &["render", "--quiet"]);
    s.git(&["add", "-A"]);
    s.git(&["commit", "-qm", "d"]);
    let merge = git_out(&s, &["merge", "--no-edit", "c"]);
    assert!(!merge.status.success(), "both branches changed prod-2/web");
    let conflicted = text(&git_out(&s, &["diff", "--name-only", "--diff-filter=U"]).stdout);
    let conflicted: Vec<&str> = conflicted.lines().collect();
    assert_eq!(
        conflicted,
        vec![
            "rendered/.strata/units/apps/prod/prod-2/web.json",
            "rendered/apps/prod/prod-2/web/deployment-web.yaml",
        ]
    );
    let out = strata(&s.0, &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("prod-2/web.json: cannot use it (it holds git conflict markers); rebuilt from the files under apps/prod/prod-2/web/"),
        "{}",
        text(&out.stderr)
    );
    let check = strata(&s.0, &["render", "--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));
    let dep =
        std::fs::read_to_string(s.0.join("rendered/apps/prod/prod-2/web/deployment-web.yaml"))
            .unwrap();
    assert!(dep.contains("replicas: 3"), "the cluster layer wins: {dep}");
    s.git(&["add", "-A"]);
    s.git(&["commit", "-qm", "merge c"]);
}

#[test]
fn a_tree_with_the_old_single_manifest_is_adopted_and_the_manifest_removed() {
    let s = fleet("legacy");
    ok(&s.0, &["render", "--quiet"]);
    let out = s.0.join("rendered");
    let rendered = read_tree(&out);
    // What an earlier strata wrote: one manifest for the whole tree.
    let units: Vec<String> = rendered
        .keys()
        .filter_map(|k| k.strip_prefix(".strata/units/")?.strip_suffix(".json"))
        .map(String::from)
        .collect();
    let files: BTreeMap<&String, &str> = rendered
        .keys()
        .filter(|k| !k.starts_with(".strata/"))
        .map(|k| (k, "0"))
        .collect();
    let inputs: BTreeMap<&String, &str> = units.iter().map(|u| (u, "0")).collect();
    std::fs::remove_dir_all(out.join(".strata")).unwrap();
    s.write(
        "rendered/.strata/manifest.json",
        &serde_json::json!({"version": 1, "generator": "strata 0.0.9", "files": files, "inputs": inputs})
            .to_string(),
    );
    // A file of a cluster removed since: the old manifest names it, so it goes.
    std::fs::remove_file(s.0.join("clusters/prod-2.yaml")).unwrap();
    let summary = ok(&s.0, &["render"]);
    assert!(
        summary.contains("removed unit: rendered/apps/prod/prod-2/web"),
        "{summary}"
    );
    let after = read_tree(&out);
    assert!(!after.contains_key(".strata/manifest.json"));
    assert!(
        !after.keys().any(|k| k.contains("prod-2")),
        "{:?}",
        after.keys()
    );
    assert_eq!(
        after.len(),
        rendered.len() - rendered.keys().filter(|k| k.contains("prod-2")).count()
    );
    ok(&s.0, &["render", "--check", "--quiet"]);
}

#[test]
fn a_file_the_chart_ignores_is_not_an_input() {
    let s = Scratch::example("platform", "helmignore");
    ok(&s.0, &["render", "--quiet"]);
    // external-dns's .helmignore has `ci/` and `tests/`: Helm never loads them, and
    // neither an edit nor a new file there renders anything again.
    s.write(
        "apps/external-dns/base/ci/ci-values.yaml",
        "changed: true\n",
    )
    .write("apps/external-dns/base/tests/new_test.yaml", "suite: new\n");
    let summary = ok(&s.0, &["render"]);
    assert!(summary.contains("(0 rendered,"), "{summary}");
    // A file the chart loads is one.
    s.write(
        "apps/external-dns/base/files/notes.txt",
        "read by .Files, so an input\n",
    );
    let summary = ok(&s.0, &["render"]);
    assert!(summary.contains("(3 rendered,"), "{summary}");
}
