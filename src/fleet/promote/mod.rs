//! `promote`: make one env or cluster run another's image versions (and chosen
//! chart values) by a minimal edit of the target's own layer file
//! (`apps/<app>/env/prod.yaml` for `--to prod`).
//!
//! Which file and key to edit comes from the same provenance as `explain`: an
//! `images` entry for kustomize and manifests apps, the values keys the chart's
//! template printed the image from for charts. Every plan is checked by rendering
//! the target with the edited file in memory before anything is written.

pub mod edit;

use crate::compare::flatten;
use crate::error::{Error, ErrorKind, Result};
use crate::fleet::explain::{self, Query, Unit};
use crate::fleet::render::{chart_values, render_pair, RenderOptions};
use crate::fleet::{App, Cluster, Fleet, Source};
use crate::kustomize::fs::{FileSystem, FsError};
use edit::ImageEdit;
use serde_json::Value;
use std::collections::BTreeMap;

/// What to promote.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub app: String,
    /// An env or a cluster name.
    pub from: String,
    pub to: String,
    /// Chart values keys (`image.tag`, `resources.memory`) to promote too.
    pub values: Vec<String>,
}

/// The edit promote makes, and what it changes.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The cluster whose versions are copied.
    pub from_cluster: String,
    /// The clusters the edited layer applies to.
    pub to_clusters: Vec<String>,
    /// The target's layer file.
    pub file: String,
    /// Its text now; `None` when promote creates it.
    pub before: Option<String>,
    pub after: String,
    pub changes: Vec<Change>,
}

/// One value promoted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// `image ghcr.io/acme/web` or `values image.tag`.
    pub what: String,
    pub from: String,
    pub to: String,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// A file view with some files replaced: the fleet as it will be after the edit.
pub struct Edited<'a> {
    pub inner: &'a dyn FileSystem,
    pub files: BTreeMap<String, Vec<u8>>,
}

impl FileSystem for Edited<'_> {
    fn read(&self, path: &str) -> std::result::Result<Vec<u8>, FsError> {
        match self.files.get(path) {
            Some(b) => Ok(b.clone()),
            None => self.inner.read(path),
        }
    }
    fn is_dir(&self, path: &str) -> bool {
        self.inner.is_dir(path)
            || self
                .files
                .keys()
                .any(|f| f.starts_with(&format!("{path}/")))
    }
    fn is_file(&self, path: &str) -> bool {
        self.files.contains_key(path) || self.inner.is_file(path)
    }
    fn list_dir(&self, path: &str) -> std::result::Result<Vec<String>, FsError> {
        let mut names = self.inner.list_dir(path).unwrap_or_default();
        for f in self.files.keys() {
            if let Some(rest) = f.strip_prefix(&format!("{path}/")) {
                if let Some(n) = rest.split('/').next() {
                    names.push(n.to_string());
                }
            }
        }
        names.sort();
        names.dedup();
        if names.is_empty() && !self.is_dir(path) {
            return Err(FsError::NotFound(path.to_string()));
        }
        Ok(names)
    }
    fn root_name(&self) -> String {
        self.inner.root_name()
    }
    fn canonical(&self, path: &str) -> std::result::Result<String, FsError> {
        if self.files.contains_key(path) {
            Ok(path.to_string())
        } else {
            self.inner.canonical(path)
        }
    }
}

fn bad(msg: String) -> Error {
    Error::new(ErrorKind::Invalid, "", msg)
}

/// The clusters an `--from`/`--to` names for the app, and the layer it is (`cluster`
/// or `env`) with its value.
fn side<'f>(
    fleet: &'f Fleet,
    app: &App,
    name: &str,
    flag: &str,
) -> Result<(Vec<&'f Cluster>, &'static str, String)> {
    let deployed: Vec<&Cluster> = fleet
        .pairs()
        .into_iter()
        .filter(|(_, a)| a.name == app.name)
        .map(|(c, _)| c)
        .collect();
    if let Some(c) = fleet.clusters.iter().find(|c| c.name == name) {
        if !deployed.iter().any(|d| d.name == c.name) {
            return Err(bad(format!(
                "{flag} {name}: app {} is not deployed to cluster {name}; its clusters: {}",
                app.name,
                names(&deployed)
            )));
        }
        return Ok((vec![c], "cluster", c.name.clone()));
    }
    let of_env: Vec<&Cluster> = deployed.iter().copied().filter(|c| c.env == name).collect();
    if of_env.is_empty() {
        let mut envs: Vec<&str> = deployed.iter().map(|c| c.env.as_str()).collect();
        envs.sort();
        envs.dedup();
        return Err(Error::new(
            ErrorKind::Missing,
            "",
            format!(
                "{flag} {name}: no env or cluster of that name runs app {}; its envs: {}; its clusters: {}",
                app.name,
                envs.join(", "),
                names(&deployed)
            ),
        ));
    }
    Ok((of_env, "env", name.to_string()))
}

fn names(cs: &[&Cluster]) -> String {
    cs.iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Container images of a unit: (kind/name, field path) → image.
fn images(
    resources: &[crate::kustomize::resource::Resource],
) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for r in resources {
        for (path, leaf) in flatten::flatten(&r.doc) {
            let is_image = path.ends_with(".image")
                && (path.contains("containers[") || path.contains("initContainers["));
            if let (true, Some(image)) = (is_image, leaf.value.as_str()) {
                out.insert(
                    (format!("{}/{}", r.kind(), r.name()), path),
                    image.to_string(),
                );
            }
        }
    }
    out
}

/// `repo[:tag][@digest]` split into its parts.
pub fn split_image(image: &str) -> (String, Option<String>, Option<String>) {
    let (named, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d.to_string())),
        None => (image, None),
    };
    match named.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r.to_string(), Some(t.to_string()), digest),
        _ => (named.to_string(), None, digest),
    }
}

fn render_one(
    fs: &dyn FileSystem,
    fleet: &Fleet,
    c: &Cluster,
    app: &App,
) -> Result<Vec<crate::kustomize::resource::Resource>> {
    render_pair(
        fs,
        fleet,
        c,
        app,
        &RenderOptions::default(),
        &mut Vec::new(),
    )
}

fn value_at<'v>(v: &'v Value, keys: &[String]) -> Option<&'v Value> {
    keys.iter().try_fold(v, |v, k| v.get(k))
}

/// The paths of the scalar leaves of a value (maps walked; a list is left alone).
fn scalar_leaves(v: &Value, at: &[String], out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let mut p = at.to_vec();
                p.push(k.clone());
                scalar_leaves(x, &p, out);
            }
        }
        Value::Array(_) => {}
        _ => {
            if !out.iter().any(|p| p == at) {
                out.push(at.to_vec());
            }
        }
    }
}

fn shown(v: &Value) -> String {
    flatten::display(v)
}

/// Plans the promotion: which file, the text before and after, what changes. Checks
/// by rendering the target clusters with the edited file that the images match.
pub fn plan(fs: &dyn FileSystem, fleet: &Fleet, req: &Request) -> Result<Plan> {
    let app = fleet
        .apps
        .iter()
        .find(|a| a.name == req.app)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Missing,
                "",
                format!(
                    "--app {}: no such app; apps: {}",
                    req.app,
                    fleet
                        .apps
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
    let (from, _, _) = side(fleet, app, &req.from, "--from")?;
    let (to, layer, value) = side(fleet, app, &req.to, "--to")?;
    if !fleet.project.layers.iter().any(|l| l == layer) {
        return Err(Error::new(
            ErrorKind::Invalid,
            crate::fleet::PROJECT_FILE,
            format!(
                "--to {}: promote edits the {layer} layer, but `layers` ({}) has none; add `{layer}` to layers",
                req.to,
                fleet.project.layers.join(", ")
            ),
        ));
    }
    let src = from[0];
    let tgt = to[0];
    if from.iter().any(|f| to.iter().any(|t| t.name == f.name)) {
        return Err(bad(format!(
            "--from {} and --to {} share cluster {}; promote between different envs or clusters",
            req.from, req.to, src.name
        )));
    }
    let charted = matches!(app.source, Source::Chart | Source::Helm);
    if !req.values.is_empty() && !charted {
        return Err(bad(format!(
            "--values: app {} is not a chart (source: {:?}); --values promotes chart values",
            app.name, app.source
        )));
    }
    let dir = format!("{}/{layer}", app.dir);
    let file = ["yaml", "yml"]
        .iter()
        .map(|e| format!("{dir}/{value}.{e}"))
        .find(|p| fs.is_file(p))
        .unwrap_or_else(|| format!("{dir}/{value}.yaml"));
    let before = if fs.is_file(&file) {
        let b = fs.read(&file).map_err(|e| Error::from(e).in_file(&file))?;
        Some(
            String::from_utf8(b)
                .map_err(|_| Error::new(ErrorKind::Syntax, file.clone(), "not UTF-8 text"))?,
        )
    } else {
        None
    };
    if before.as_deref().is_some_and(|t| t.contains("{{")) {
        return Err(Error::new(
            ErrorKind::Invalid,
            file.clone(),
            "the layer file is a template ({{...}}); promote cannot edit it safely; change it by hand",
        ));
    }
    let src_images = images(&render_one(fs, fleet, src, app)?);
    let tgt_images = images(&render_one(fs, fleet, tgt, app)?);
    let mut text = before.clone().unwrap_or_default();
    let cannot = |why: String| {
        Error::new(
            ErrorKind::Invalid,
            file.clone(),
            format!("promote cannot edit it safely: {why}; edit it by hand"),
        )
    };
    let mut changes = Vec::new();
    let mut done: Vec<String> = Vec::new();
    // (key, named by --values): keys found through the image are expanded to their
    // scalar leaves; a key named by --values must be one.
    let mut values_keys: Vec<(Vec<String>, bool)> = Vec::new();
    for (key, t_img) in &tgt_images {
        let Some(s_img) = src_images.get(key) else {
            continue;
        };
        if s_img == t_img {
            continue;
        }
        let (s_repo, s_tag, s_digest) = split_image(s_img);
        let (t_repo, ..) = split_image(t_img);
        match app.source {
            Source::Chart | Source::Helm => {
                let (kind, name) = key.0.split_once('/').unwrap_or_default();
                let e = explain::explain(
                    fs,
                    fleet,
                    &Unit::Pair(src, app),
                    &Query {
                        kind: kind.into(),
                        name: name.into(),
                        namespace: None,
                        field: Some(key.1.clone()),
                    },
                    &[],
                )?;
                let keys: Vec<Vec<String>> = e
                    .fields
                    .iter()
                    .flat_map(|f| f.chain.iter())
                    .filter(|s| s.mechanism == "values")
                    .filter_map(|s| s.key.as_ref())
                    .map(|k| k.split('.').map(str::to_string).collect())
                    .collect();
                let by_value = e.fields.iter().all(|f| f.set_by.mechanism == "values");
                if keys.is_empty() || !by_value {
                    let by = e.fields.first().map(|f| f.set_by.clone());
                    let (file, line, how) = by
                        .map(|s| (s.file.clone(), s.line, format!("{s} ({})", s.mechanism)))
                        .unwrap_or_default();
                    return Err(Error::new(
                        ErrorKind::Invalid,
                        file,
                        format!(
                            "the image of {} {} on {} is set by {how}, not by a chart value; promote cannot edit that safely; make the template print a value (image.tag) or edit it by hand",
                            key.0, key.1, src.name
                        ),
                    )
                    .at_line(line));
                }
                for k in keys {
                    if !values_keys.iter().any(|(x, _)| *x == k) {
                        values_keys.push((k, false));
                    }
                }
            }
            _ => {
                if done.contains(&t_repo) {
                    continue;
                }
                done.push(t_repo.clone());
                let e = ImageEdit {
                    name: t_repo.clone(),
                    new_name: (s_repo != t_repo).then(|| s_repo.clone()),
                    new_tag: s_tag,
                    digest: s_digest,
                };
                text = edit::set_image(&text, &e).map_err(cannot)?;
                changes.push(Change {
                    what: format!("image {t_repo}"),
                    from: t_img.clone(),
                    to: s_img.clone(),
                });
            }
        }
    }
    for k in &req.values {
        let keys: Vec<String> = k.split('.').map(str::to_string).collect();
        if keys.iter().any(String::is_empty) {
            return Err(bad(format!(
                "--values '{k}': write a dotted key like image.tag"
            )));
        }
        values_keys.retain(|(x, _)| *x != keys);
        {
            values_keys.push((keys, true));
        }
    }
    if !values_keys.is_empty() {
        let s_vals = chart_values(fs, fleet, src, app, &[])?.merged;
        let t_vals = chart_values(fs, fleet, tgt, app, &[])?.merged;
        let mut leaves: Vec<Vec<String>> = Vec::new();
        for (keys, explicit) in &values_keys {
            let name = keys.join(".");
            let sv = value_at(&s_vals, keys);
            match sv {
                None if *explicit => {
                    return Err(Error::new(
                        ErrorKind::Missing,
                        "",
                        format!(
                            "--values {name}: cluster {} has no chart value {name}",
                            src.name
                        ),
                    ))
                }
                Some(v) if *explicit && (v.is_object() || v.is_array()) => {
                    return Err(bad(format!(
                        "--values {name}: it is a {}; promote copies single values (name a key inside it)",
                        if v.is_object() { "map" } else { "list" }
                    )));
                }
                Some(v) => scalar_leaves(v, keys, &mut leaves),
                None => {}
            }
        }
        for keys in &leaves {
            let name = keys.join(".");
            let Some(sv) = value_at(&s_vals, keys) else {
                continue;
            };
            let tv = value_at(&t_vals, keys);
            if tv == Some(sv) {
                continue;
            }
            let mut path = vec!["values".to_string()];
            path.extend(keys.iter().cloned());
            text = edit::set_value(&text, &path, sv).map_err(cannot)?;
            changes.push(Change {
                what: format!("values {name}"),
                from: tv.map(shown).unwrap_or_else(|| "(unset)".into()),
                to: shown(sv),
            });
        }
    }
    let plan = Plan {
        from_cluster: src.name.clone(),
        to_clusters: to.iter().map(|c| c.name.clone()).collect(),
        file: file.clone(),
        before: before.clone(),
        after: text,
        changes,
    };
    if !plan.is_empty() {
        check(fs, fleet, app, &plan, &src_images, &to)?;
    }
    Ok(plan)
}

/// Renders every target cluster with the edited file and checks that its images
/// now are the source's; names the file that keeps one from changing otherwise.
fn check(
    fs: &dyn FileSystem,
    fleet: &Fleet,
    app: &App,
    plan: &Plan,
    src_images: &BTreeMap<(String, String), String>,
    to: &[&Cluster],
) -> Result<()> {
    let edited = Edited {
        inner: fs,
        files: BTreeMap::from([(plan.file.clone(), plan.after.clone().into_bytes())]),
    };
    for c in to {
        let now = images(&render_one(&edited, fleet, c, app)?);
        for (key, img) in &now {
            let Some(want) = src_images.get(key) else {
                continue;
            };
            if img == want {
                continue;
            }
            let (kind, name) = key.0.split_once('/').unwrap_or_default();
            let e = explain::explain(
                &edited,
                fleet,
                &Unit::Pair(c, app),
                &Query {
                    kind: kind.into(),
                    name: name.into(),
                    namespace: None,
                    field: Some(key.1.clone()),
                },
                &[],
            )?;
            let by = e.fields.first().map(|f| f.set_by.clone());
            let (file, line, how) = by
                .map(|s| (s.file.clone(), s.line, format!("{} ({})", s, s.mechanism)))
                .unwrap_or_default();
            return Err(Error::new(
                ErrorKind::Invalid,
                file,
                format!(
                    "after editing {}, cluster {} would still run {img} (not {want}): its {} {} is set by {how}, which comes after {}; promote cannot edit it safely; change that file or promote --to {}",
                    plan.file, c.name, key.0, key.1, plan.file, c.name
                ),
            )
            .at_line(line));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_split_into_repo_tag_and_digest() {
        assert_eq!(
            split_image("ghcr.io:5000/a/web:1.2@sha256:ab"),
            (
                "ghcr.io:5000/a/web".into(),
                Some("1.2".into()),
                Some("sha256:ab".into())
            )
        );
        assert_eq!(
            split_image("ghcr.io:5000/a/web"),
            ("ghcr.io:5000/a/web".into(), None, None)
        );
        assert_eq!(split_image("web:1"), ("web".into(), Some("1".into()), None));
    }
}
