//! What a fleet holds that would render nothing, or apply to nothing: an empty fleet
//! (an error), and layer files, folders and cluster files that no cluster uses
//! (warnings, errors with `--strict`).

use crate::error::{Error, ErrorKind, Result};
use crate::fleet::{App, Cluster, Fleet, Project, PROJECT_FILE};
use crate::kustomize::fs::FileSystem;
use crate::yaml;

/// A fleet (outside targets mode) needs at least one cluster and one app: an empty
/// render would delete every unit of the output, so a misspelt `paths` entry or an
/// empty folder is an error, not an empty tree.
pub(crate) fn require_some(
    fs: &dyn FileSystem,
    p: &Project,
    what: &str,
    empty: bool,
) -> Result<()> {
    let (dir, example) = match what {
        "clusters" => (&p.paths.clusters, "<name>.yaml"),
        _ => (&p.paths.apps, "<app>/app.yaml"),
    };
    let line = fs
        .read(PROJECT_FILE)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| yaml::key_lines(&t).ok())
        .and_then(|docs| docs.into_iter().find(|d| !d.is_empty()))
        .and_then(|d| {
            d.get(&format!("/paths/{what}"))
                .or_else(|| d.get("/paths"))
                .copied()
        })
        .unwrap_or(0);
    let message = if !fs.is_dir(dir) {
        format!(
            "paths.{what}: the folder '{dir}/' does not exist; create it with a {dir}/{example}, or fix paths.{what} (rendering nothing would remove every unit of the output)"
        )
    } else if empty {
        let one = what.trim_end_matches('s');
        format!(
            "paths.{what}: '{dir}/' holds no {one}; add {dir}/{example}, or fix paths.{what} (rendering nothing would remove every unit of the output)"
        )
    } else {
        return Ok(());
    };
    Err(Error::new(ErrorKind::Missing, PROJECT_FILE, message).at_line(line))
}

/// Up to ten names, then how many more.
fn some_of(names: &[&str]) -> String {
    let mut out = names
        .iter()
        .take(10)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 10 {
        out.push_str(&format!(", and {} more", names.len() - 10));
    }
    out
}

/// The layer files and folders of an app that apply to none of its clusters: a file
/// for a value no cluster has (`env/prdo.yaml`), a folder that is not a layer but looks
/// like one (`regoin/`, or `region/` when `layers` has no `region`).
pub(crate) fn unused_layers(fs: &dyn FileSystem, fleet: &Fleet, app: &App) -> Vec<Error> {
    let mut out = Vec::new();
    let Ok(entries) = fs.list_dir(&app.dir) else {
        return out;
    };
    let layers = &fleet.project.layers;
    let gets: Vec<&Cluster> = fleet
        .clusters
        .iter()
        .filter(|c| app.clusters.as_ref().is_none_or(|s| s.matches(c)))
        .collect();
    for entry in entries {
        let dir = format!("{}/{entry}", app.dir);
        if entry.starts_with('.') || entry == "base" || !fs.is_dir(&dir) {
            continue;
        }
        if !layers.contains(&entry) {
            let layer_like = ["env", "region", "tenant", "cluster"].contains(&entry.as_str());
            let hint = match crate::validate::schema::closest(&entry, layers.iter()) {
                Some(l) => format!("did you mean {l}/? "),
                None if layer_like => {
                    format!("add {entry} to `layers` in strata.yaml, or remove the folder; ")
                }
                None => continue,
            };
            out.push(Error::new(
                ErrorKind::Invalid,
                format!("{dir}/"),
                format!(
                    "not a layer folder, so its files apply to no cluster; {hint}(layers: {})",
                    layers.join(", ")
                ),
            ));
            continue;
        }
        let Ok(files) = fs.list_dir(&dir) else {
            continue;
        };
        for f in files {
            let Some(value) = f.strip_suffix(".yaml").or_else(|| f.strip_suffix(".yml")) else {
                continue;
            };
            if gets.iter().any(|c| c.attribute(&entry) == Some(value)) {
                continue;
            }
            let values = |cs: &[&Cluster]| {
                let set: std::collections::BTreeSet<&str> =
                    cs.iter().filter_map(|c| c.attribute(&entry)).collect();
                some_of(&set.into_iter().collect::<Vec<_>>())
            };
            let everyone: Vec<&Cluster> = fleet.clusters.iter().collect();
            let plural = match entry.as_str() {
                "cluster" => "clusters".to_string(),
                "env" | "region" | "tenant" => format!("{entry}s"),
                _ => format!("{entry} values"),
            };
            let exists = everyone.iter().any(|c| c.attribute(&entry) == Some(value));
            let message = match (entry.as_str(), exists) {
                ("cluster", true) => format!(
                    "app {} does not go to cluster '{value}' (its clusters: {})",
                    app.name,
                    values(&gets)
                ),
                ("cluster", false) => {
                    format!("no cluster is named '{value}' (clusters: {})", values(&everyone))
                }
                (_, true) => format!(
                    "app {} goes to no cluster with {entry} '{value}' ({plural} of its clusters: {})",
                    app.name,
                    values(&gets)
                ),
                (_, false) => format!(
                    "no cluster has {entry} '{value}' ({plural}: {})",
                    values(&everyone)
                ),
            };
            out.push(Error::new(
                ErrorKind::Invalid,
                format!("{dir}/{f}"),
                format!("{message}; rename the file or remove it"),
            ));
        }
    }
    out
}

/// What sits in the clusters folder and is not read as a cluster: a file that is not
/// `.yaml`/`.yml` (`prod-1.yam`), a subfolder. Notes (`*.md`) and hidden files are fine.
pub(crate) fn cluster_folder(fs: &dyn FileSystem, dir: &str, lint: &mut Vec<Error>) {
    let Ok(names) = fs.list_dir(dir) else { return };
    for n in names {
        let path = format!("{dir}/{n}");
        if n.starts_with('.') || n.ends_with(".yaml") || n.ends_with(".yml") || n.ends_with(".md") {
            continue;
        }
        let message = if fs.is_dir(&path) {
            format!("a folder in {dir}/, whose files are not read (cluster files are read from {dir}/ itself); move them up")
        } else {
            "not a .yaml or .yml file, so not read as a cluster; rename it if it is one".to_string()
        };
        let path = if fs.is_dir(&path) {
            format!("{path}/")
        } else {
            path
        };
        lint.push(Error::new(ErrorKind::Invalid, path, message));
    }
}

#[cfg(test)]
mod tests {
    use crate::error::Result;
    use crate::fleet::{load, Fleet};
    use crate::kustomize::fs::MemFs;

    fn load_files(files: &[(&str, &str)]) -> Result<Fleet> {
        load(&MemFs::from_files(files.iter().copied()))
    }

    const BASE: &[(&str, &str)] = &[
        ("strata.yaml", "layers: [env, region, cluster]\n"),
        ("clusters/dev-1.yaml", "name: dev-1\nenv: dev\nregion: eu\n"),
        (
            "clusters/prod-1.yaml",
            "name: prod-1\nenv: prod\nregion: us\n",
        ),
        ("apps/hello/app.yaml", "name: hello\n"),
        ("apps/hello/base/kustomization.yaml", "{}\n"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        BASE.iter().chain(extra).copied().collect()
    }

    #[test]
    fn layer_files_that_apply_to_no_cluster_are_named_with_the_values_that_exist() {
        let f = load_files(&with(&[
            ("apps/hello/env/prod.yaml", "{}\n"),
            ("apps/hello/env/prdo.yaml", "{}\n"),
            ("apps/hello/region/eu.yml", "{}\n"),
            ("apps/hello/region/ap.yaml", "{}\n"),
            ("apps/hello/cluster/dev-1.yaml", "{}\n"),
            ("apps/hello/cluster/dev-2.yaml", "{}\n"),
            ("apps/hello/regoin/eu.yaml", "{}\n"),
            ("apps/hello/tenant/a.yaml", "{}\n"),
            ("apps/hello/patches/p.yaml", "{}\n"),
            ("apps/notes/README.md", "not an app\n"),
            (
                "apps/dev-only/app.yaml",
                "name: dev-only\nclusters: {matchLabels: {env: dev}}\n",
            ),
            ("apps/dev-only/env/prod.yaml", "{}\n"),
            ("clusters/staging-1.yam", "name: staging-1\nenv: staging\n"),
            ("clusters/eu/prod-2.yaml", "name: prod-2\nenv: prod\n"),
            ("clusters/README.md", "notes\n"),
        ]))
        .unwrap();
        let said: Vec<String> = f.lint.iter().map(ToString::to_string).collect();
        assert_eq!(
            said,
            vec![
                "clusters/eu/: a folder in clusters/, whose files are not read (cluster files are read from clusters/ itself); move them up",
                "clusters/staging-1.yam: not a .yaml or .yml file, so not read as a cluster; rename it if it is one",
                "apps/notes/: has no app.yaml, so it is not an app; add app.yaml (name, source, clusters), or move the folder out of paths.apps",
                "apps/dev-only/env/prod.yaml: app dev-only goes to no cluster with env 'prod' (envs of its clusters: dev); rename the file or remove it",
                "apps/hello/cluster/dev-2.yaml: no cluster is named 'dev-2' (clusters: dev-1, prod-1); rename the file or remove it",
                "apps/hello/env/prdo.yaml: no cluster has env 'prdo' (envs: dev, prod); rename the file or remove it",
                "apps/hello/region/ap.yaml: no cluster has region 'ap' (regions: eu, us); rename the file or remove it",
                "apps/hello/regoin/: not a layer folder, so its files apply to no cluster; did you mean region/? (layers: env, region, cluster)",
                "apps/hello/tenant/: not a layer folder, so its files apply to no cluster; add tenant to `layers` in strata.yaml, or remove the folder; (layers: env, region, cluster)",
            ]
        );
        assert_eq!(f.warnings[0], format!("warning: {}", said[0]));
    }

    #[test]
    fn app_yml_is_an_app_file_too() {
        let f = load_files(&with(&[("apps/web/app.yml", "name: web\n")])).unwrap();
        assert_eq!(f.apps[1].file, "apps/web/app.yml");
        let e = load_files(&with(&[
            ("apps/web/app.yml", "name: web\n"),
            ("apps/web/app.yaml", "name: web\n"),
        ]))
        .unwrap_err();
        assert_eq!(e.file, "apps/web/app.yml");
        assert!(e.message.contains("both app.yaml and app.yml"), "{e}");
    }

    #[test]
    fn no_cluster_or_no_app_is_an_error_naming_strata_yaml() {
        let e = load_files(&[
            (
                "strata.yaml",
                "output: rendered\npaths:\n  clusters: clusterz\n",
            ),
            ("clusters/a.yaml", "name: a\nenv: dev\n"),
            ("apps/web/app.yaml", "name: web\n"),
        ])
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("strata.yaml", 3));
        assert!(
            e.message
                .starts_with("paths.clusters: the folder 'clusterz/' does not exist"),
            "{e}"
        );
        let e = load_files(&[
            ("strata.yaml", "paths: {apps: aps}\n"),
            ("clusters/a.yaml", "name: a\nenv: dev\n"),
        ])
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("strata.yaml", 1));
        assert!(e.message.contains("'aps/' does not exist"), "{e}");
        let e = load_files(&[
            ("strata.yaml", "{}\n"),
            ("clusters/a.yaml", "name: a\nenv: dev\n"),
            ("apps/README.md", "nothing\n"),
        ])
        .unwrap_err();
        assert!(
            e.message.starts_with("paths.apps: 'apps/' holds no app"),
            "{e}"
        );
        // Targets mode needs neither.
        assert!(load_files(&[("strata.yaml", "targets: [overlays/*]\nlayout: x\n")]).is_ok());
    }
}
