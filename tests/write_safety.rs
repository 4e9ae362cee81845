//! Writes stay inside the output folder, reads inside the repository: each hole an
//! attacker's pull request could open, tried with the binary. Every scratch
//! repository is a subfolder of a scratch folder with a sibling `outside/`, which
//! must be exactly as it was after the command.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A copy of the env-clusters example in `<scratch>/repo`, beside `<scratch>/outside`
/// that holds one file.
struct Attack {
    scratch: Scratch,
    repo: PathBuf,
    outside: PathBuf,
}

impl Attack {
    fn new(tag: &str) -> Attack {
        let scratch = Scratch::new(&format!("attack-{tag}"));
        let repo = scratch.0.join("repo");
        copy_dir(&example("env-clusters"), &repo);
        let _ = std::fs::remove_dir_all(repo.join("rendered"));
        let outside = scratch.0.join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("keep.txt"), "outside the repository\n").unwrap();
        Attack {
            scratch,
            repo,
            outside,
        }
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.repo.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn edit(&self, rel: &str, from: &str, to: &str) {
        let p = self.repo.join(rel);
        let t = std::fs::read_to_string(&p).unwrap();
        assert!(t.contains(from), "{rel} has no {from:?}");
        std::fs::write(p, t.replacen(from, to, 1)).unwrap();
    }

    fn link(&self, rel: &str, target: &Path) {
        let p = self.repo.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, p).unwrap();
    }

    fn run(&self, args: &[&str]) -> Output {
        strata(&self.repo, args)
    }

    fn rendered(&self) -> BTreeMap<String, String> {
        read_tree(&self.repo.join("rendered"))
    }

    /// The scratch folder holds only `repo` and `outside`, and `outside` only its file.
    fn assert_outside_untouched(&self) {
        let mut names: Vec<String> = std::fs::read_dir(&self.scratch.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["outside", "repo"], "written beside the repository");
        let outside: Vec<(String, String)> = read_tree(&self.outside).into_iter().collect();
        assert_eq!(
            outside,
            [(
                "keep.txt".to_string(),
                "outside the repository\n".to_string()
            )],
            "written outside the repository"
        );
    }
}

fn assert_error(out: &Output, code: i32, words: &[&str]) -> String {
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {err}",
        text(&out.stdout)
    );
    for w in words {
        assert!(err.contains(w), "expected {w:?} in: {err}");
    }
    err
}

#[test]
fn a_layout_that_leaves_the_output_is_refused_with_its_line() {
    let abs = Attack::new("layout-abs");
    let absolute = format!("{}/{{cluster}}/{{app}}", abs.outside.display());
    for (tag, layout) in [
        ("up", "../../{cluster}/{app}"),
        ("mid", "x/{cluster}/../../../../y/{app}"),
        ("abs", absolute.as_str()),
        ("dot", ".strata/{cluster}/{app}"),
    ] {
        let a = if tag == "abs" {
            &abs
        } else {
            &Attack::new(&format!("layout-{tag}"))
        };
        a.edit(
            "strata.yaml",
            "layout: \"apps/{env}/{cluster}/{app}\"",
            &format!("layout: \"{layout}\""),
        );
        let out = a.run(&["render"]);
        assert_error(&out, 2, &["strata.yaml:3: layout", layout]);
        assert!(!a.repo.join("rendered").exists(), "{layout}: rendered");
        a.assert_outside_untouched();
        let names: Vec<String> = std::fs::read_dir(&a.repo)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.contains(&"x".to_string()) && !names.contains(&"y".to_string()));
    }
}

#[test]
fn cluster_fields_that_name_folders_must_be_plain_names() {
    let cases: &[(&str, &str, &str, &str)] = &[
        // The env names the output folder and the env layer file.
        (
            "clusters/dev-1.yaml",
            "env: dev",
            "env: \"../../x\"",
            "clusters/dev-1.yaml:2: env '../../x'",
        ),
        (
            "clusters/dev-1.yaml",
            "region: eu",
            "region: .strata",
            "clusters/dev-1.yaml:3: region '.strata'",
        ),
        (
            "clusters/dev-1.yaml",
            "region: eu",
            "tenant: a/b",
            "clusters/dev-1.yaml:3: tenant 'a/b'",
        ),
    ];
    for (i, (file, from, to, words)) in cases.iter().enumerate() {
        let a = Attack::new(&format!("field-{i}"));
        assert_eq!(a.run(&["render", "--quiet"]).status.code(), Some(0));
        let before = a.rendered();
        a.edit(file, from, to);
        let out = a.run(&["render"]);
        assert_error(&out, 2, &[words]);
        assert_eq!(a.rendered(), before, "{file}: the tree changed");
        a.assert_outside_untouched();
    }
    // A label used as a layer names the layer file.
    let a = Attack::new("field-label");
    a.edit(
        "strata.yaml",
        "layers: [env, cluster]",
        "layers: [env, tier, cluster]",
    );
    a.write(
        "clusters/dev-1.yaml",
        "name: dev-1\nenv: dev\nlabels:\n  tier: \"../../../outside/keep\"\n",
    );
    let out = a.run(&["render"]);
    assert_error(
        &out,
        2,
        &["clusters/dev-1.yaml:4: labels.tier '../../../outside/keep'"],
    );
    assert!(!a.repo.join("rendered").exists());
    a.assert_outside_untouched();
    // So does a layer name in strata.yaml.
    let a = Attack::new("layer-name");
    a.edit(
        "strata.yaml",
        "layers: [env, cluster]",
        "layers: [env, \"../..\"]",
    );
    assert_error(&a.run(&["render"]), 2, &["strata.yaml:4: layer '../..'"]);
}

#[test]
fn a_symlinked_folder_inside_the_output_is_never_written_through() {
    let a = Attack::new("dirlink");
    assert_eq!(a.run(&["render", "--quiet"]).status.code(), Some(0));
    std::fs::remove_dir_all(a.repo.join("rendered/apps/dev")).unwrap();
    a.link("rendered/apps/dev", &a.outside);
    let before = a.rendered();

    let out = a.run(&["render", "--check"]);
    let err = assert_error(&out, 1, &["symbolic link"]);
    assert!(
        text(&out.stdout).contains("link: rendered/apps/dev\n"),
        "{}{err}",
        text(&out.stdout)
    );

    let out = a.run(&["render"]);
    assert_error(&out, 2, &["rendered/apps/dev: is a symbolic link"]);
    assert_eq!(a.rendered(), before, "the tree changed");
    assert!(a.repo.join("rendered/apps/dev").is_symlink());
    a.assert_outside_untouched();
    let names: Vec<String> = std::fs::read_dir(&a.repo)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("strata-new")), "{names:?}");
}

#[test]
fn a_symlinked_file_inside_the_output_is_never_read_through() {
    let a = Attack::new("filelink");
    assert_eq!(a.run(&["render", "--quiet"]).status.code(), Some(0));
    // The link points at a file with exactly the rendered content: reading through
    // it, --check would call the tree up to date.
    let file = "rendered/apps/dev/dev-1/web/deployment-web.yaml";
    let content = std::fs::read_to_string(a.repo.join(file)).unwrap();
    let target = a.scratch.0.join("deployment-web.yaml");
    std::fs::write(&target, &content).unwrap();
    std::fs::remove_file(a.repo.join(file)).unwrap();
    a.link(file, &target);

    let out = a.run(&["render", "--check"]);
    assert_error(&out, 1, &["symbolic link"]);
    assert!(
        text(&out.stdout).contains(&format!("link: {file}\n")),
        "{}",
        text(&out.stdout)
    );
    let out = a.run(&["render"]);
    assert_error(&out, 2, &[&format!("{file}: is a symbolic link")]);
    assert!(a.repo.join(file).is_symlink(), "the link was replaced");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), content);
    std::fs::remove_file(&target).unwrap();
    a.assert_outside_untouched();
}

#[test]
fn an_output_that_is_a_symlink_or_lies_behind_one_is_refused() {
    // The output folder itself.
    let a = Attack::new("outlink");
    a.link("rendered", &a.outside);
    for args in [&["render"][..], &["render", "--check"]] {
        assert_error(&a.run(args), 2, &["rendered: is a symbolic link"]);
    }
    a.assert_outside_untouched();
    // A folder on the way to it.
    let a = Attack::new("outparent");
    a.edit("strata.yaml", "output: rendered", "output: out/rendered");
    a.link("out", &a.outside);
    assert_error(&a.run(&["render"]), 2, &["out: is a symbolic link"]);
    a.assert_outside_untouched();
}

#[test]
fn fleet_folders_and_files_outside_the_repository_are_errors() {
    // By `..`: the cluster files sit outside; today they are not read and the
    // render removes every unit.
    for key in ["clusters", "apps"] {
        let a = Attack::new(&format!("paths-{key}"));
        copy_dir(
            &a.repo.join(key),
            &a.scratch.0.join(format!("outside/{key}")),
        );
        let before_outside = read_tree(&a.outside);
        assert_eq!(a.run(&["render", "--quiet"]).status.code(), Some(0));
        let before = a.rendered();
        let mut strata_yaml = std::fs::read_to_string(a.repo.join("strata.yaml")).unwrap();
        strata_yaml.push_str(&format!("paths:\n  {key}: ../outside/{key}\n"));
        std::fs::write(a.repo.join("strata.yaml"), &strata_yaml).unwrap();
        let out = a.run(&["render"]);
        assert_error(
            &out,
            2,
            &[&format!("strata.yaml:9: paths.{key} '../outside/{key}'")],
        );
        assert_eq!(a.rendered(), before, "{key}: the tree changed");
        assert_eq!(read_tree(&a.outside), before_outside);
    }
    // By a symlink.
    for key in ["clusters", "apps"] {
        let a = Attack::new(&format!("link-{key}"));
        assert_eq!(a.run(&["render", "--quiet"]).status.code(), Some(0));
        let before = a.rendered();
        std::fs::rename(a.repo.join(key), a.outside.join(key)).unwrap();
        a.link(key, &a.outside.join(key));
        let out = a.run(&["render"]);
        assert_error(
            &out,
            2,
            &["strata.yaml", &format!("paths.{key}"), "outside the root"],
        );
        assert_eq!(a.rendered(), before, "{key}: the tree changed");
    }
}

#[test]
fn a_layer_or_app_file_symlinked_out_of_the_repository_is_an_error() {
    for (tag, file) in [
        ("layer", "apps/web/env/dev.yaml"),
        ("app", "apps/web/app.yaml"),
    ] {
        let a = Attack::new(&format!("{tag}-link"));
        assert_eq!(a.run(&["render", "--quiet"]).status.code(), Some(0));
        let before = a.rendered();
        let target = a.outside.join("keep.txt");
        std::fs::remove_file(a.repo.join(file)).unwrap();
        a.link(file, &target);
        // Today the layer is dropped without a word: dev-1 loses its debug log level.
        let out = a.run(&["render"]);
        assert_error(&out, 2, &[&format!("{file}:"), "outside the root"]);
        assert_eq!(a.rendered(), before, "{file}: the tree changed");
        a.assert_outside_untouched();
    }
}

#[test]
fn a_chart_values_file_or_schema_symlinked_out_of_the_repository_is_an_error() {
    for file in ["values.yaml", "values.schema.json"] {
        let a = Attack::new("chart-link");
        a.write("apps/sign/app.yaml", "name: sign\nsource: chart\n");
        a.write(
            "apps/sign/base/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sign\ndata:\n  size: \"{{ values.size }}\"\n",
        );
        a.write("apps/sign/base/values.yaml", "size: 3\n");
        a.write(
            "apps/sign/base/values.schema.json",
            "{\"type\": \"object\", \"required\": [\"size\"]}\n",
        );
        assert_eq!(a.run(&["render", "--quiet"]).status.code(), Some(0));
        let before = a.rendered();
        let rel = format!("apps/sign/base/{file}");
        std::fs::rename(a.repo.join(&rel), a.outside.join(file)).unwrap();
        a.link(&rel, &a.outside.join(file));
        // Today the file is skipped: the chart renders without its values or schema.
        let out = a.run(&["render"]);
        assert_error(&out, 2, &[&format!("{rel}:"), "outside the root"]);
        assert_eq!(a.rendered(), before, "{file}: the tree changed");
    }
}

#[test]
fn an_absurd_thread_count_is_refused() {
    let a = Attack::new("jobs");
    for cmd in ["render", "validate"] {
        let out = a.run(&[cmd, "-j", "100000"]);
        assert_error(&out, 2, &["100000 threads", "at most 256"]);
    }
    assert!(!a.repo.join("rendered").exists());
    assert_eq!(
        a.run(&["render", "-j", "256", "--quiet"]).status.code(),
        Some(0)
    );
}

/// Whether this process runs as root, who may write into read-only folders.
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Runs strata as an unprivileged user: as root (a CI container), through setpriv
/// as `nobody` after handing the scratch folder to it; `None` when that is not
/// possible here.
fn unprivileged(a: &Attack, args: &[&str]) -> Option<Output> {
    if !is_root() {
        return Some(a.run(args));
    }
    let chown = Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(&a.scratch.0)
        .status()
        .ok()?;
    if !chown.success() {
        return None;
    }
    Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .current_dir(&a.repo)
        .output()
        .ok()
}

/// `mode` on `p` and every folder below it.
fn set_modes(p: &Path, mode: u32) {
    set_mode(p, mode);
    for e in std::fs::read_dir(p).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            set_modes(&e.path(), mode);
        }
    }
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_read_only_output_is_left_exactly_as_it_was() {
    // A render writes into the output in place (only the first render is assembled
    // beside it), so what matters is the folders it writes into: all of the output, or
    // one env's part of it, made read-only.
    for read_only in ["rendered", "rendered/apps/dev"] {
        let a = Attack::new("readonly");
        assert_eq!(a.run(&["render", "--quiet"]).status.code(), Some(0));
        a.edit("apps/web/base/deployment.yaml", "replicas: ", "replicas: 1");
        let before = a.rendered();
        let dir = a.repo.join(read_only);
        set_modes(&dir, 0o555);
        let Some(out) = unprivileged(&a, &["render"]) else {
            eprintln!("skipped: cannot run strata as an unprivileged user here");
            return;
        };
        set_modes(&dir, 0o755);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{read_only}: {}",
            text(&out.stderr)
        );
        assert_eq!(a.rendered(), before, "{read_only}: the tree changed");
        let names: Vec<String> = std::fs::read_dir(&a.repo)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            !names.iter().any(|n| n.contains("strata-new")),
            "{read_only}: {names:?}"
        );
        a.assert_outside_untouched();
    }
}

/// The files of `tree` outside strata's records folder.
fn without_records(tree: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tree.iter()
        .filter(|(k, _)| !k.starts_with(".strata/"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A render killed between its files and its records (every file, or only the
/// first, renamed into place; one more left under its temporary name) leaves units
/// whose files no longer match their records: `--check` says so, and the next render
/// redoes them, whatever the sources say by then, and removes the temporary files.
#[test]
fn a_render_killed_between_files_and_records_is_redone_by_the_next() {
    for (tag, all_files, back_to_a) in [
        ("all", true, false),
        ("first", false, false),
        ("reverted", true, true),
    ] {
        let a = Attack::new(&format!("killed-{tag}"));
        assert_eq!(a.run(&["render", "--quiet"]).status.code(), Some(0));
        let tree_a = a.rendered();
        // What a complete render of the edit writes, rendered in a copy.
        a.edit("apps/web/base/deployment.yaml", "cpu: 100m", "cpu: 150m");
        let copy = Scratch::new(&format!("killed-{tag}-copy"));
        copy_dir(&a.repo, &copy.0);
        assert_eq!(
            strata(&copy.0, &["render", "--quiet"]).status.code(),
            Some(0)
        );
        let tree_b = read_tree(&copy.0.join("rendered"));
        let changed: Vec<String> = without_records(&tree_b)
            .into_keys()
            .filter(|f| tree_a.get(f) != tree_b.get(f))
            .collect();
        assert!(
            changed.len() > 1,
            "the edit changes several files: {changed:?}"
        );
        // The kill: files written (all, or the first), records as they were, one
        // more file and one record still under their temporary names.
        for f in changed
            .iter()
            .take(if all_files { changed.len() } else { 1 })
        {
            std::fs::write(a.repo.join("rendered").join(f), &tree_b[f]).unwrap();
        }
        let last = changed.last().unwrap();
        let (dir, name) = last.rsplit_once('/').unwrap();
        let tmp_file = format!("rendered/{dir}/.{name}.strata-tmp");
        a.write(&tmp_file, &tree_b[last]);
        let tmp_record = "rendered/.strata/units/apps/dev/dev-1/.web.json.strata-tmp";
        a.write(tmp_record, "{");
        // Not strata's temporary names: kept.
        a.write("rendered/apps/dev/notes.strata-tmp", "mine\n");
        a.write("rendered/apps/dev/.strata-tmp", "mine\n");
        if back_to_a {
            a.edit("apps/web/base/deployment.yaml", "cpu: 150m", "cpu: 100m");
        }
        let expected = if back_to_a { &tree_a } else { &tree_b };

        let out = a.run(&["render", "--check"]);
        assert_eq!(out.status.code(), Some(1), "{tag}: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        for tmp in [&tmp_file, &tmp_record.to_string()] {
            assert!(
                stdout.contains(&format!(
                    "left by a killed render, removed by a render: {tmp}\n"
                )),
                "{tag}: {stdout}"
            );
        }
        let out = a.run(&["render"]);
        assert_eq!(out.status.code(), Some(0), "{tag}: {}", text(&out.stderr));
        let mut after = a.rendered();
        for mine in ["apps/dev/notes.strata-tmp", "apps/dev/.strata-tmp"] {
            assert_eq!(
                after.remove(mine).as_deref(),
                Some("mine\n"),
                "{tag}: {mine}"
            );
        }
        assert_eq!(
            &after, expected,
            "{tag}: the tree is not the complete render"
        );
        let out = a.run(&["render", "--check"]);
        assert_eq!(out.status.code(), Some(0), "{tag}: {}", text(&out.stdout));
        a.assert_outside_untouched();
    }
}

/// A link where a unit's folder will be created (a new env), or where a record
/// goes, is refused before anything is written, with the tree as it was.
#[test]
fn a_link_where_a_render_would_create_a_folder_or_a_record_is_refused() {
    for (tag, link) in [
        ("new-env", "rendered/apps/qa"),
        ("records", "rendered/.strata/units/apps/dev"),
        ("file", "rendered/.strata/units/apps/dev/dev-1/web.json"),
    ] {
        let a = Attack::new(&format!("create-{tag}"));
        assert_eq!(a.run(&["render", "--quiet"]).status.code(), Some(0));
        a.write("clusters/qa-1.yaml", "name: qa-1\nenv: qa\n");
        let p = a.repo.join(link);
        if p.is_dir() {
            std::fs::remove_dir_all(&p).unwrap();
        } else {
            let _ = std::fs::remove_file(&p);
        }
        a.link(link, &a.outside);
        let before = a.rendered();
        let out = a.run(&["render"]);
        assert_error(&out, 2, &[&format!("{link}: is a symbolic link")]);
        assert_eq!(a.rendered(), before, "{tag}: the tree changed");
        assert!(a.repo.join(link).is_symlink());
        a.assert_outside_untouched();
    }
}
