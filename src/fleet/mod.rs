//! The fleet: `strata.yaml`, `clusters/*.yaml`, `apps/*/app.yaml`, and which app
//! goes to which cluster. Every file is checked strictly: unknown fields are errors.

pub mod controllers;
pub mod explain;
pub mod inputs;
pub mod layout;
pub mod lint;
pub mod paths;
pub mod promote;
pub mod render;
pub mod template;
pub mod values;

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::fs::FileSystem;
use crate::yaml;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The name of the project file at the repository root.
pub const PROJECT_FILE: &str = "strata.yaml";

/// `strata.yaml`: where things are and how the hydrated tree is laid out.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Project {
    /// The hydrated tree's root, relative to the repository.
    #[serde(default = "default_output")]
    pub output: String,
    /// Folder of each (cluster, app), with `{env}`, `{region}`, `{tenant}`, `{cluster}`, `{app}`.
    #[serde(default = "default_layout")]
    pub layout: String,
    /// Overlay layers, lowest first. `env`, `region`, `tenant` and `cluster` name the
    /// cluster's fields; any other name is a cluster label.
    #[serde(default = "default_layers")]
    pub layers: Vec<String>,
    /// Kubernetes version whose schemas `validate` uses.
    #[serde(default)]
    pub kubernetes_version: Option<String>,
    /// API versions the clusters serve beyond Helm's defaults, for `source: helm` apps'
    /// `.Capabilities.APIVersions` (as `helm template --api-versions`, or Argo CD passing
    /// a cluster's): `monitoring.coreos.com/v1`, `policy/v1/PodDisruptionBudget`.
    #[serde(default)]
    pub api_versions: Vec<String>,
    /// CRD manifests whose schemas validate custom resources.
    #[serde(default)]
    pub crds: Vec<String>,
    /// Controller objects to emit: `argocd`, `flux`, `kapp`.
    #[serde(default)]
    pub controllers: Vec<String>,
    /// The Git repository the controllers read the hydrated tree from.
    #[serde(default)]
    pub repository: Option<Repository>,
    /// Validation policies (see `strata validate`).
    #[serde(default)]
    pub policies: Option<Value>,
    /// Targets mode: glob patterns over kustomization directories, each rendered as
    /// `strata build` would, into the output at the same relative path.
    #[serde(default)]
    pub targets: Vec<String>,
    /// How each target's output is written in targets mode: `resources` (one file per
    /// resource, the default) or `stream` (one `kustomize.yaml`, as `strata build` prints).
    #[serde(default)]
    pub target_files: TargetFiles,
    /// Where clusters and apps live.
    #[serde(default)]
    pub paths: Paths,
    /// Settings of the controller objects, per env or cluster label (later entries win).
    #[serde(default)]
    pub controller_settings: Vec<controllers::Settings>,
}

/// `repository`: where GitOps controllers fetch the hydrated tree from.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Repository {
    /// Clone URL (`https://github.com/acme/fleet.git`); never contacted by strata.
    pub url: String,
    /// Branch, tag or commit the controllers track.
    #[serde(default = "default_revision")]
    pub revision: String,
    /// Name of the Flux `GitRepository` object that holds it.
    #[serde(default = "default_flux_source")]
    pub flux_source: String,
}

fn default_revision() -> String {
    "main".into()
}
fn default_flux_source() -> String {
    "flux-system".into()
}

/// How a target's output is written in targets mode.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum TargetFiles {
    #[default]
    Resources,
    Stream,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paths {
    #[serde(default = "default_clusters")]
    pub clusters: String,
    #[serde(default = "default_apps")]
    pub apps: String,
}

impl Default for Paths {
    fn default() -> Paths {
        Paths {
            clusters: default_clusters(),
            apps: default_apps(),
        }
    }
}

fn default_output() -> String {
    "rendered".into()
}
fn default_layout() -> String {
    "apps/{env}/{cluster}/{app}".into()
}
fn default_layers() -> Vec<String> {
    ["env", "region", "tenant", "cluster"]
        .map(String::from)
        .to_vec()
}
fn default_clusters() -> String {
    "clusters".into()
}
fn default_apps() -> String {
    "apps".into()
}

impl Default for Project {
    fn default() -> Project {
        Project {
            output: default_output(),
            layout: default_layout(),
            layers: default_layers(),
            kubernetes_version: None,
            api_versions: Vec::new(),
            crds: Vec::new(),
            controllers: Vec::new(),
            repository: None,
            policies: None,
            targets: Vec::new(),
            target_files: TargetFiles::default(),
            paths: Paths::default(),
            controller_settings: Vec::new(),
        }
    }
}

/// The placeholders a layout may use.
pub const LAYOUT_PLACEHOLDERS: [&str; 5] = ["env", "region", "tenant", "cluster", "app"];

/// `clusters/<name>.yaml`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    pub name: String,
    pub env: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub tenant: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// API server, for controller objects; never contacted.
    #[serde(default)]
    pub server: Option<String>,
    /// Cluster-wide values, visible to every app.
    #[serde(default)]
    pub values: Value,
    /// The file it was read from.
    #[serde(skip)]
    pub file: String,
}

impl Cluster {
    /// The value of a selector key or layer name: a field, else a label.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        match key {
            "name" | "cluster" => Some(&self.name),
            "env" => Some(&self.env),
            "region" => self.region.as_deref(),
            "tenant" => self.tenant.as_deref(),
            _ => self
                .labels
                .get(key.strip_prefix("labels.").unwrap_or(key))
                .map(String::as_str),
        }
    }

    /// The cluster as templates see it.
    pub fn to_value(&self) -> Value {
        serde_json::json!({
            "name": self.name,
            "env": self.env,
            "region": self.region,
            "tenant": self.tenant,
            "labels": self.labels,
            "server": self.server,
            "values": if self.values.is_null() { Value::Object(Default::default()) } else { self.values.clone() },
        })
    }
}

/// How an app's base is made.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `base/` is a kustomization.
    Kustomize,
    /// `base/` holds plain manifests.
    Manifests,
    /// `base/templates/*.yaml` with `base/values.yaml`.
    Chart,
    /// `base/` is an upstream Helm chart (Chart.yaml, Go templates, vendored `charts/`).
    Helm,
}

/// `apps/<app>/app.yaml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct App {
    pub name: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default = "default_source")]
    pub source: Source,
    /// Which clusters get it; absent means all.
    #[serde(default)]
    pub clusters: Option<ClusterSelector>,
    /// For `source: helm`: which of the chart's documents the tree leaves out.
    #[serde(default)]
    pub helm: Option<HelmOptions>,
    #[serde(skip)]
    pub file: String,
    /// The app's folder (`apps/<app>`).
    #[serde(skip)]
    pub dir: String,
}

fn default_source() -> Source {
    Source::Kustomize
}

/// `helm:` of a `source: helm` app: the `helm template` flags that Argo CD's Helm source
/// and kustomize's `helmCharts` offer too. A tree applied as plain manifests (Flux's
/// kustomize-controller, `kubectl apply`) would create a chart's test Pods on every sync.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HelmOptions {
    /// `--skip-tests`: no test hooks (`helm.sh/hook: test`).
    #[serde(default)]
    pub skip_tests: bool,
    /// `--no-hooks`: no hooks at all.
    #[serde(default)]
    pub skip_hooks: bool,
    /// `--skip-schema-validation`: the values are not checked against the charts'
    /// `values.schema.json`.
    #[serde(default)]
    pub skip_schema_validation: bool,
}

/// A label selector over cluster fields (name, env, region, tenant) and labels.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterSelector {
    #[serde(default)]
    pub match_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub match_expressions: Vec<Expression>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expression {
    pub key: String,
    pub operator: Operator,
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl ClusterSelector {
    pub fn matches(&self, c: &Cluster) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| c.attribute(k) == Some(v.as_str()))
            && self.match_expressions.iter().all(|e| {
                let got = c.attribute(&e.key);
                match e.operator {
                    Operator::In => got.is_some_and(|g| e.values.iter().any(|v| v == g)),
                    Operator::NotIn => got.is_none_or(|g| !e.values.iter().any(|v| v == g)),
                    Operator::Exists => got.is_some(),
                    Operator::DoesNotExist => got.is_none(),
                }
            })
    }
}

/// The whole fleet as read from the repository.
#[derive(Clone, Debug)]
pub struct Fleet {
    pub project: Project,
    /// Sorted by name.
    pub clusters: Vec<Cluster>,
    /// Sorted by name.
    pub apps: Vec<App>,
    /// What the commands print as warnings: `warning: <lint>`, one per line.
    pub warnings: Vec<String>,
    /// Files and folders that apply to nothing (a layer file for an env no cluster has,
    /// an app that selects no cluster...): warnings, errors with `--strict`.
    pub lint: Vec<Error>,
}

impl Fleet {
    /// Every (cluster, app) pair render would produce, cluster-major, in name order.
    pub fn pairs(&self) -> Vec<(&Cluster, &App)> {
        let mut out = Vec::new();
        for c in &self.clusters {
            for a in &self.apps {
                if a.clusters.as_ref().is_none_or(|s| s.matches(c)) {
                    out.push((c, a));
                }
            }
        }
        out
    }
}

/// The JSON Schemas of strata's own files (also for editors: `schemas/strata/`).
pub mod schemas {
    pub const PROJECT: &str = include_str!("../../schemas/strata/project.schema.json");
    pub const CLUSTER: &str = include_str!("../../schemas/strata/cluster.schema.json");
    pub const APP: &str = include_str!("../../schemas/strata/app.schema.json");
    pub const LAYER: &str = include_str!("../../schemas/strata/layer.schema.json");
}

/// Parses one YAML file into `T`: checked against its JSON Schema first (for
/// precise messages with the line), then read with strict fields.
pub fn read_strict<T: serde::de::DeserializeOwned>(
    fs: &dyn FileSystem,
    path: &str,
    what: &str,
    schema: &str,
) -> Result<T> {
    let bytes = fs.read(path).map_err(|e| Error::from(e).in_file(path))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::new(ErrorKind::Syntax, path, "not UTF-8 text"))?;
    parse_strict(path, &text, what, schema)
}

/// Like `read_strict`, from text.
pub fn parse_strict<T: serde::de::DeserializeOwned>(
    path: &str,
    text: &str,
    what: &str,
    schema: &str,
) -> Result<T> {
    let docs =
        yaml::parse_stream(text).map_err(|e| crate::kustomize::loader::yaml_error(path, e))?;
    let value = docs
        .into_iter()
        .map(|d| d.value)
        .find(|v| !v.is_null())
        .unwrap_or(Value::Object(Default::default()));
    check_against_schema(path, text, &value, what, schema)?;
    serde_json::from_value(value).map_err(|e| field_error(path, text, what, e))
}

/// Checks a parsed file against one of strata's JSON Schemas; the error names the
/// line of the top-level key at fault.
pub fn check_against_schema(
    path: &str,
    text: &str,
    value: &Value,
    what: &str,
    schema: &str,
) -> Result<()> {
    let schema = crate::memo::json_schema(schema).map_err(|e| {
        Error::new(
            ErrorKind::Invalid,
            path,
            format!("strata's own schema for {what} does not parse ({e}); this is a bug in strata"),
        )
    })?;
    let problems = crate::fleet::values::check_schema(value, &schema, what)
        .map_err(|msg| Error::new(ErrorKind::Invalid, path, msg))?;
    let Some(first) = problems.first() else {
        return Ok(());
    };
    // The line of the top-level key at fault: the first segment of the failing place,
    // or at the root, the key the problem names.
    let key = match first.pointer.split('/').nth(1) {
        Some(k) => k.replace("~1", "/").replace("~0", "~"),
        None => first.key.clone().unwrap_or_default(),
    };
    let line = yaml::line_of_key(text, &key).unwrap_or(0);
    let said: Vec<String> = problems
        .iter()
        .map(|p| {
            let place = p.place("");
            if place.is_empty() {
                format!("the file {}", p.message)
            } else {
                format!("`{place}` {}", p.message)
            }
        })
        .collect();
    Err(Error::new(
        ErrorKind::Invalid,
        path,
        format!("not a valid {what}: {}", said.join("; ")),
    )
    .at_line(line))
}

fn field_error(path: &str, text: &str, what: &str, e: serde_json::Error) -> Error {
    let msg = crate::redact::serde_message(&e);
    let field = msg.split('`').nth(1).unwrap_or("");
    let line = if field.is_empty() {
        0
    } else {
        yaml::line_of_key(text, field).unwrap_or(0)
    };
    let text = if msg.starts_with("unknown field") {
        format!("unknown field `{field}` in {what}; check the spelling (see schemas/ for the allowed fields)")
    } else if msg.starts_with("missing field") {
        format!("{what} needs the field `{field}`; add it")
    } else {
        format!("invalid {what}: {msg}")
    };
    Error::new(ErrorKind::Invalid, path, text).at_line(line)
}

/// Reads `strata.yaml` and every cluster and app file, for a command that renders: a
/// fleet with no cluster or no app is an error (outside targets mode).
pub fn load(fs: &dyn FileSystem) -> Result<Fleet> {
    load_with(fs, true)
}

/// Like [`load`], but a fleet with no cluster or no app is fine: for `validate PATH`
/// (which reads only the settings) and the base of `diff --base` (where an empty fleet
/// is one being created, and everything in the working tree is new).
pub fn load_any(fs: &dyn FileSystem) -> Result<Fleet> {
    load_with(fs, false)
}

fn load_with(fs: &dyn FileSystem, renders: bool) -> Result<Fleet> {
    if !fs.is_file(PROJECT_FILE) {
        return Err(Error::new(
            ErrorKind::Missing,
            PROJECT_FILE,
            "not found at the repository root; run `strata init` to start a fleet, or run strata from the fleet's root",
        ));
    }
    let project: Project = read_strict(fs, PROJECT_FILE, "strata.yaml", schemas::PROJECT)?;
    check_layout(&project)?;
    check_project_paths(fs, &project)?;
    let mut lint = Vec::new();
    let clusters = load_clusters(fs, &project)?;
    lint::cluster_folder(fs, &project.paths.clusters, &mut lint);
    let apps = load_apps(fs, &project, &mut lint)?;
    if renders && project.targets.is_empty() {
        lint::require_some(fs, &project, "clusters", clusters.is_empty())?;
        lint::require_some(fs, &project, "apps", apps.is_empty())?;
    }
    let mut fleet = Fleet {
        project,
        clusters,
        apps,
        warnings: Vec::new(),
        lint,
    };
    let mut unused = Vec::new();
    for a in &fleet.apps {
        if !fleet
            .clusters
            .iter()
            .any(|c| a.clusters.as_ref().is_none_or(|s| s.matches(c)))
        {
            unused.push(Error::new(
                ErrorKind::Invalid,
                a.file.clone(),
                format!("app {} selects no cluster", a.name),
            ));
        } else {
            unused.extend(lint::unused_layers(fs, &fleet, a));
        }
    }
    fleet.lint.extend(unused);
    fleet.warnings = fleet.lint.iter().map(|e| format!("warning: {e}")).collect();
    Ok(fleet)
}

fn check_layout(p: &Project) -> Result<()> {
    let mut rest = p.layout.as_str();
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').map(|e| start + e).ok_or_else(|| {
            Error::new(
                ErrorKind::Invalid,
                PROJECT_FILE,
                format!("layout '{}' has an unclosed `{{`", p.layout),
            )
        })?;
        let name = &rest[start + 1..end];
        if !LAYOUT_PLACEHOLDERS.contains(&name) {
            return Err(Error::new(
                ErrorKind::Invalid,
                PROJECT_FILE,
                format!(
                    "layout '{}' uses the placeholder {{{name}}}, which does not exist; use {}",
                    p.layout,
                    LAYOUT_PLACEHOLDERS.map(|n| format!("{{{n}}}")).join(", ")
                ),
            )
            .at_line(0));
        }
        rest = &rest[end + 1..];
    }
    if p.targets.is_empty() && !p.layout.contains("{cluster}") {
        return Err(Error::new(
            ErrorKind::Invalid,
            PROJECT_FILE,
            format!("layout '{}' has no {{cluster}}: two clusters would write one folder; add {{cluster}}", p.layout),
        ));
    }
    if p.targets.is_empty() && !p.layout.contains("{app}") {
        return Err(Error::new(
            ErrorKind::Invalid,
            PROJECT_FILE,
            format!(
                "layout '{}' has no {{app}}: two apps would write one folder; add {{app}}",
                p.layout
            ),
        ));
    }
    Ok(())
}

/// The 1-based line of the node at a JSON pointer (`/paths/clusters`, `/labels/tier`)
/// in the first document of `text`; 0 when it cannot be found.
fn line_at(text: &str, pointer: &str) -> u32 {
    yaml::key_lines(text)
        .ok()
        .and_then(|docs| docs.into_iter().next())
        .and_then(|lines| lines.get(pointer).copied())
        .unwrap_or(0)
}

fn file_text(fs: &dyn FileSystem, path: &str) -> String {
    fs.read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// Every path strata.yaml names stays inside the repository (`fleet::paths` decides
/// what is safe): `output`, `layout`, `layers`, `paths.clusters` and `paths.apps`,
/// the last two not through a symlink either.
fn check_project_paths(fs: &dyn FileSystem, p: &Project) -> Result<()> {
    let text = file_text(fs, PROJECT_FILE);
    let bad = |pointer: &str, msg: String| {
        Err(Error::new(ErrorKind::Forbidden, PROJECT_FILE, msg).at_line(line_at(&text, pointer)))
    };
    if let Some(why) = paths::relative_problem(&p.output) {
        return bad(
            "/output",
            format!(
                "output '{}' {why}; set it to a folder inside the repository (e.g. `rendered`)",
                p.output.escape_debug()
            ),
        );
    }
    if let Some(why) = paths::layout_problem(&p.layout) {
        return bad(
            "/layout",
            format!("layout '{}' {why}; a layout is folder names and placeholders inside the output, e.g. apps/{{env}}/{{cluster}}/{{app}}", p.layout.escape_debug()),
        );
    }
    for (i, layer) in p.layers.iter().enumerate() {
        if let Some(why) = paths::segment_problem(layer) {
            return bad(
                &format!("/layers/{i}"),
                format!("layer '{}' {why}; a layer is a folder name in each app (env, region, tenant, cluster or a label)", layer.escape_debug()),
            );
        }
    }
    for (key, dir) in [("clusters", &p.paths.clusters), ("apps", &p.paths.apps)] {
        let pointer = format!("/paths/{key}");
        if let Some(why) = paths::relative_problem(dir) {
            return bad(
                &pointer,
                format!(
                    "paths.{key} '{}' {why}; set it to a folder inside the repository",
                    dir.escape_debug()
                ),
            );
        }
        let rel = dir.trim_end_matches('/');
        if let Err(e @ crate::kustomize::fs::FsError::OutsideRoot { .. }) = fs.canonical(rel) {
            return bad(&pointer, format!("paths.{key}: {e}"));
        }
    }
    Ok(())
}

/// The cluster fields that name folders (in the layout and the layers) are safe
/// path segments; the error names the cluster file and the line of the field.
fn check_cluster_paths(fs: &dyn FileSystem, p: &Project, c: &Cluster) -> Result<()> {
    let mut named: Vec<(String, &str)> = vec![
        ("/name".into(), c.name.as_str()),
        ("/env".into(), c.env.as_str()),
    ];
    named.extend(c.region.as_deref().map(|v| ("/region".to_string(), v)));
    named.extend(c.tenant.as_deref().map(|v| ("/tenant".to_string(), v)));
    for layer in &p.layers {
        if matches!(
            layer.as_str(),
            "name" | "cluster" | "env" | "region" | "tenant"
        ) {
            continue;
        }
        let key = layer.strip_prefix("labels.").unwrap_or(layer);
        if let Some(v) = c.labels.get(key) {
            named.push((
                format!("/labels/{}", key.replace('~', "~0").replace('/', "~1")),
                v,
            ));
        }
    }
    for (pointer, value) in named {
        if let Some(why) = paths::segment_problem(value) {
            let field = pointer.trim_start_matches('/').replacen('/', ".", 1);
            return Err(Error::new(
                ErrorKind::Invalid,
                c.file.clone(),
                format!(
                    "{field} '{}' {why}; it names a folder (in the layout or a layer), so it must be one plain name such as `prod`",
                    value.escape_debug()
                ),
            )
            .at_line(line_at(&file_text(fs, &c.file), &pointer)));
        }
    }
    Ok(())
}

fn yaml_files(fs: &dyn FileSystem, dir: &str) -> Result<Vec<String>> {
    if !fs.is_dir(dir) {
        return Ok(Vec::new());
    }
    Ok(fs
        .list_dir(dir)
        .map_err(|e| Error::from(e).in_file(dir))?
        .into_iter()
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
        .map(|n| format!("{dir}/{n}"))
        .collect())
}

fn load_clusters(fs: &dyn FileSystem, p: &Project) -> Result<Vec<Cluster>> {
    let mut clusters: Vec<Cluster> = Vec::new();
    for path in yaml_files(fs, &p.paths.clusters)? {
        let mut c: Cluster = read_strict(fs, &path, "cluster file", schemas::CLUSTER)?;
        c.file = path.clone();
        if c.name.is_empty() || c.env.is_empty() {
            return Err(Error::new(
                ErrorKind::Invalid,
                path,
                "a cluster needs a non-empty `name` and `env`",
            ));
        }
        check_cluster_paths(fs, p, &c)?;
        if let Some(prev) = clusters.iter().find(|o| o.name == c.name) {
            return Err(Error::new(
                ErrorKind::Conflict,
                path,
                format!(
                    "cluster name '{}' is already used by {}; cluster names must be unique",
                    c.name, prev.file
                ),
            ));
        }
        clusters.push(c);
    }
    clusters.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(clusters)
}

fn load_apps(fs: &dyn FileSystem, p: &Project, lint: &mut Vec<Error>) -> Result<Vec<App>> {
    let mut apps: Vec<App> = Vec::new();
    if !fs.is_dir(&p.paths.apps) {
        return Ok(apps);
    }
    for name in fs
        .list_dir(&p.paths.apps)
        .map_err(|e| Error::from(e).in_file(&p.paths.apps))?
    {
        let dir = format!("{}/{name}", p.paths.apps);
        if name.starts_with('.') {
            continue;
        }
        if !fs.is_dir(&dir) {
            // A folder that is a symlink out of the repository is an error, not a non-app.
            if let Err(e @ crate::kustomize::fs::FsError::OutsideRoot { .. }) = fs.canonical(&dir) {
                return Err(Error::from(e).in_file(&dir));
            }
            continue;
        }
        // `app.yml` is read like `app.yaml`, as `.yml` is for cluster and layer files.
        let mut found: Vec<String> = Vec::new();
        for n in ["app.yaml", "app.yml"] {
            let f = format!("{dir}/{n}");
            // An app file that is a symlink out of the repository is an error, not absent.
            if crate::kustomize::fs::probe_file(fs, &f).map_err(|e| Error::from(e).in_file(&f))? {
                found.push(f);
            }
        }
        let file = match found.as_slice() {
            [one] => one.clone(),
            [] => {
                lint.push(Error::new(
                    ErrorKind::Missing,
                    format!("{dir}/"),
                    "has no app.yaml, so it is not an app; add app.yaml (name, source, clusters), or move the folder out of paths.apps",
                ));
                continue;
            }
            _ => {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    found[1].clone(),
                    format!("{dir}/ has both app.yaml and app.yml; keep one"),
                ))
            }
        };
        let mut a: App = read_strict(fs, &file, "app file", schemas::APP)?;
        if a.helm.is_some() && a.source != Source::Helm {
            return Err(Error::new(
                ErrorKind::Syntax,
                file,
                "`helm:` applies to `source: helm` apps only; remove it, or set `source: helm`",
            ));
        }

        a.file = file.clone();
        a.dir = dir;
        if let Some(prev) = apps.iter().find(|o| o.name == a.name) {
            return Err(Error::new(
                ErrorKind::Conflict,
                file,
                format!(
                    "app name '{}' is already used by {}; app names must be unique",
                    a.name, prev.file
                ),
            ));
        }
        apps.push(a);
    }
    apps.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(apps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::fs::MemFs;

    fn fleet(files: &[(&str, &str)]) -> Result<Fleet> {
        load(&MemFs::from_files(files.iter().copied()))
    }

    #[test]
    fn selects_clusters_by_fields_and_labels() {
        let f = fleet(&[
            ("strata.yaml", "output: rendered\n"),
            ("clusters/a.yaml", "name: a\nenv: dev\nregion: eu\n"),
            ("clusters/b.yaml", "name: b\nenv: prod\nregion: us\nlabels: {tier: gold}\n"),
            ("apps/web/app.yaml", "name: web\nclusters:\n  matchExpressions:\n  - {key: env, operator: In, values: [prod]}\n"),
            ("apps/api/app.yaml", "name: api\nclusters:\n  matchLabels: {tier: gold}\n"),
            ("apps/all/app.yaml", "name: all\n"),
            ("apps/none/app.yaml", "name: none\nclusters:\n  matchExpressions:\n  - {key: tenant, operator: Exists}\n"),
        ])
        .unwrap();
        let pairs: Vec<String> = f
            .pairs()
            .iter()
            .map(|(c, a)| format!("{}/{}", c.name, a.name))
            .collect();
        assert_eq!(pairs, vec!["a/all", "b/all", "b/api", "b/web"]);
        assert_eq!(
            f.warnings,
            vec!["warning: apps/none/app.yaml: app none selects no cluster"]
        );
    }

    #[test]
    fn bad_files_name_file_and_line() {
        let e = fleet(&[("strata.yaml", "output: x\nlayot: y\n")]).unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("strata.yaml", 2));
        assert!(e.message.contains("layot"));
        let e = fleet(&[("strata.yaml", "{}"), ("clusters/a.yaml", "name: a\n")]).unwrap_err();
        assert!(e.message.contains("needs the key 'env'"), "{e}");
        let e = fleet(&[
            ("strata.yaml", "{}"),
            ("clusters/a.yaml", "name: a\nenv: x\n"),
            ("clusters/b.yaml", "name: a\nenv: y\n"),
        ])
        .unwrap_err();
        assert!(e.message.contains("already used by clusters/a.yaml"), "{e}");
        let e =
            fleet(&[("strata.yaml", "layout: \"{env}/{zone}/{cluster}/{app}\"\n")]).unwrap_err();
        assert!(e.message.contains("{zone}"), "{e}");
    }

    #[test]
    fn paths_that_leave_their_folder_name_file_and_line() {
        let e = fleet(&[(
            "strata.yaml",
            "output: out\nlayout: \"../{cluster}/{app}\"\n",
        )])
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("strata.yaml", 2), "{e}");
        let e = fleet(&[("strata.yaml", "paths:\n  apps: /etc\n")]).unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("strata.yaml", 2), "{e}");
        let e = fleet(&[("strata.yaml", "output: ../x\n")]).unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("strata.yaml", 1), "{e}");
        let e = fleet(&[
            ("strata.yaml", "layers: [env, tier]\n"),
            (
                "clusters/a.yaml",
                "name: a\nenv: dev\nlabels:\n  tier: ..\n",
            ),
        ])
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("clusters/a.yaml", 4), "{e}");
        assert!(e.message.starts_with("labels.tier '..' is `..`"), "{e}");
        // A label that is not a layer names no folder: any value is fine.
        fleet(&[
            ("strata.yaml", "{}"),
            (
                "clusters/a.yaml",
                "name: a\nenv: dev\nlabels:\n  tier: a/b\n",
            ),
            ("apps/web/app.yaml", "name: web\n"),
        ])
        .unwrap();
    }
}
