//! Fleet render: every selected (cluster, app) pair through the same engine as
//! `build`, in parallel, into a hydrated tree held in memory.
//!
//! Per pair: the app's base (kustomization, plain manifests or chart) → the app
//! namespace → each layer overlay present for the cluster, lowest first → the
//! root-only steps (hash suffixes, name references, sort) → one file per resource.

use crate::error::{Error, ErrorKind, Result};
use crate::fleet::inputs::{self, DigestCache, Inputs, Question, RecordingFs};
use crate::fleet::layout;
use crate::fleet::{App, Cluster, Fleet, Source, TargetFiles};
use crate::kustomize::build::{self, apply_overlay, finish};
use crate::kustomize::fs::FileSystem;
use crate::kustomize::kustomization::Kustomization;
use crate::kustomize::loader::{self, kustomization_from_value, yaml_error};
use crate::kustomize::resmap::ResMap;
use crate::kustomize::resource::Resource;
use crate::memo::SharedTexts;
use crate::yaml;
use rayon::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Called after each unit with (done, total), for a progress bar.
pub type Progress = std::sync::Arc<dyn Fn(usize, usize) + Send + Sync>;

/// What to render.
#[derive(Clone, Default)]
pub struct RenderOptions {
    /// Glob over cluster names; `None` selects all.
    pub clusters: Option<globset::GlobMatcher>,
    /// Glob over app names (or target paths in targets mode); `None` selects all.
    pub apps: Option<globset::GlobMatcher>,
    /// `--set a.b=c` overrides, applied last to chart values.
    pub set: Vec<crate::fleet::values::SetAssignment>,
    /// Only the pairs of shard `index` of `count` (0-based), for CI job matrices.
    pub shard: Option<(usize, usize)>,
    /// Told about each finished unit.
    pub progress: Option<Progress>,
    /// Keep each unit's resources (with provenance) in `Unit::resources`.
    pub keep_resources: bool,
    /// What an earlier render recorded per unit folder: a unit whose inputs still get
    /// the same answers is not rendered again (`Unit::reused`).
    pub previous: Option<std::sync::Arc<BTreeMap<String, Previous>>>,
}

/// What an earlier render recorded of one unit.
#[derive(Clone, Debug, Default)]
pub struct Previous {
    pub inputs: Vec<Question>,
    pub inputs_hash: String,
    /// Its files, relative to the output root.
    pub files: Vec<String>,
}

/// One rendered (cluster, app) pair, or one target in targets mode.
#[derive(Clone, Debug)]
pub struct Unit {
    pub cluster: String,
    pub app: String,
    /// Folder in the hydrated tree, relative to the output root.
    pub dir: String,
    /// Files it wrote, relative to the output root, in order.
    pub files: Vec<String>,
    /// Every question its render asked of the files, with the answer (empty for a
    /// reused unit: its record holds them).
    pub inputs: Inputs,
    /// SHA-256 (hex) over its definition (`unit_key`) and `inputs`.
    pub inputs_hash: String,
    /// Not rendered now: its inputs are as `RenderOptions::previous` recorded, so its
    /// files are too, and `HydratedTree::files` does not hold them.
    pub reused: bool,
    /// The resources, with their origins and edits, in file order; kept only when
    /// `RenderOptions::keep_resources` asks (validate, explain).
    pub resources: Vec<Resource>,
}

/// The hydrated tree in memory: file path (relative to the output root) → content
/// (of the units rendered now; a reused unit's files are only named).
#[derive(Clone, Debug, Default)]
pub struct HydratedTree {
    /// Each file's text; files with the same text share it.
    pub files: BTreeMap<String, Arc<str>>,
    pub units: Vec<Unit>,
    pub warnings: Vec<String>,
}

impl RenderOptions {
    /// Whether `--cluster`, `--app` and `--shard` select a unit an earlier render
    /// recorded: a pair, or a target (no cluster, its path as the app).
    pub fn selects_unit(&self, cluster: &str, app: &str) -> bool {
        match (cluster.is_empty(), app.is_empty()) {
            (false, _) => self.selects(cluster, app),
            (true, false) => {
                self.apps.as_ref().is_none_or(|g| g.is_match(app))
                    && self.clusters.as_ref().is_none_or(|g| g.is_match(app))
                    && self.shard.is_none_or(|(i, n)| shard_of(app, n) == i)
            }
            (true, true) => false,
        }
    }

    /// Whether `--cluster`, `--app` and `--shard` select this (cluster, app) pair.
    pub fn selects(&self, cluster: &str, app: &str) -> bool {
        self.clusters.as_ref().is_none_or(|g| g.is_match(cluster))
            && self.apps.as_ref().is_none_or(|g| g.is_match(app))
            && self
                .shard
                .is_none_or(|(i, n)| shard_of(&format!("{cluster}/{app}"), n) == i)
    }
}

/// A rendered unit: its description, the contents of its files, its warnings.
type Rendered = (Unit, Vec<Arc<str>>, Vec<String>);

/// A unit of work: a (cluster, app) pair, or a kustomization directory in targets mode.
enum Job<'f> {
    /// A pair and its folder.
    Pair(&'f Cluster, &'f App, String),
    Target(String),
}

impl Job<'_> {
    fn key(&self) -> String {
        match self {
            Job::Pair(c, a, _) => format!("{}/{}", c.name, a.name),
            Job::Target(t) => t.clone(),
        }
    }

    fn dir(&self) -> &str {
        match self {
            Job::Pair(_, _, d) | Job::Target(d) => d,
        }
    }

    /// Everything besides the files that shapes the unit: strata's version, the
    /// cluster and app definitions, the strata.yaml settings a render reads, the
    /// `--set` values.
    fn definition(&self, fleet: &Fleet, opts: &RenderOptions) -> String {
        let p = &fleet.project;
        // `kubernetesVersion` and `apiVersions` are what a Helm chart's `.Capabilities` says.
        let settings = format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            p.layout,
            p.layers,
            p.target_files,
            p.paths,
            p.kubernetes_version,
            p.api_versions,
            opts.set
        );
        let what = match self {
            Job::Pair(c, a, d) => format!(
                "pair|{}|{}|{:?}|{:?}|{}{}|{}|{d}",
                c.name,
                c.to_value(),
                a.namespace,
                a.source,
                // Only when set, so that the trees of other apps keep their keys.
                a.helm
                    .as_ref()
                    .map(|h| format!("{h:?}|"))
                    .unwrap_or_default(),
                a.dir,
                a.file
            ),
            Job::Target(t) => format!("target|{t}"),
        };
        let mut h = Sha256::new();
        h.update(concat!("strata ", env!("CARGO_PKG_VERSION")).as_bytes());
        h.update([0]);
        h.update(settings.as_bytes());
        h.update([0]);
        h.update(what.as_bytes());
        hex(&h.finalize())
    }
}

/// The (cluster, app) pairs and targets the options select, in render order.
fn jobs<'f>(fs: &dyn FileSystem, fleet: &'f Fleet, opts: &RenderOptions) -> Result<Vec<Job<'f>>> {
    let mut jobs = Vec::new();
    for (c, a) in fleet.pairs() {
        if opts.selects(&c.name, &a.name) {
            let dir = layout::unit_dir(&fleet.project.layout, c, &a.name)
                .map_err(|e| Error::new(ErrorKind::Invalid, crate::fleet::PROJECT_FILE, e))?;
            jobs.push(Job::Pair(c, a, dir));
        }
    }
    for t in expand_targets(fs, &fleet.project.targets)? {
        if opts.apps.as_ref().is_none_or(|g| g.is_match(&t))
            && opts.clusters.as_ref().is_none_or(|g| g.is_match(&t))
        {
            jobs.push(Job::Target(t));
        }
    }
    if let Some((index, count)) = opts.shard {
        jobs.retain(|j| shard_of(&j.key(), count) == index);
    }
    Ok(jobs)
}

/// A stable shard for a key: the same key lands in the same shard on every machine.
pub fn shard_of(key: &str, count: usize) -> usize {
    let h = Sha256::digest(key.as_bytes());
    (u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]) % count.max(1) as u64)
        as usize
}

/// Kustomization directories matching the `targets` globs, sorted.
pub fn expand_targets(fs: &dyn FileSystem, patterns: &[String]) -> Result<Vec<String>> {
    if patterns.is_empty() {
        return Ok(Vec::new());
    }
    let mut set = globset::GlobSetBuilder::new();
    for p in patterns {
        let glob = globset::GlobBuilder::new(p.trim_end_matches('/'))
            .literal_separator(true)
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Invalid,
                    crate::fleet::PROJECT_FILE,
                    format!("targets: bad pattern '{p}': {e}"),
                )
            })?;
        set.add(glob);
    }
    let set = set.build().map_err(|e| {
        Error::new(
            ErrorKind::Invalid,
            crate::fleet::PROJECT_FILE,
            e.to_string(),
        )
    })?;
    let mut out = Vec::new();
    let mut stack = vec![String::new()];
    while let Some(dir) = stack.pop() {
        let names = fs
            .list_dir(&dir)
            .map_err(|e| Error::from(e).in_file(&dir))?;
        for n in names {
            if n.starts_with('.') {
                continue;
            }
            let p = if dir.is_empty() {
                n.clone()
            } else {
                format!("{dir}/{n}")
            };
            if fs.is_dir(&p) {
                if set.is_match(&p)
                    && crate::kustomize::kustomization::FILE_NAMES
                        .iter()
                        .any(|f| fs.is_file(&format!("{p}/{f}")))
                {
                    out.push(p.clone());
                }
                stack.push(p);
            }
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(Error::new(
            ErrorKind::Missing,
            crate::fleet::PROJECT_FILE,
            format!("targets {patterns:?} match no directory with a kustomization.yaml; check the patterns"),
        ));
    }
    Ok(out)
}

/// Renders the selected units in parallel on the current rayon pool. The result
/// does not depend on the number of threads.
pub fn render(fs: &dyn FileSystem, fleet: &Fleet, opts: &RenderOptions) -> Result<HydratedTree> {
    let jobs = jobs(fs, fleet, opts)?;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let digests = DigestCache::default();
    let texts = SharedTexts::default();
    let results: Vec<Result<Rendered>> = jobs
        .par_iter()
        .map(|j| {
            let key = j.definition(fleet, opts);
            let r = match reuse(fs, j, &key, opts, &digests) {
                Some(unit) => Ok((unit, Vec::new(), Vec::new())),
                None => render_job(fs, fleet, j, &key, opts, &digests, &texts),
            };
            if let Some(p) = &opts.progress {
                p(
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                    jobs.len(),
                );
            }
            r
        })
        .collect();
    let mut tree = HydratedTree {
        warnings: fleet.warnings.clone(),
        ..Default::default()
    };
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    for r in results {
        let (unit, contents, warnings) = r?;
        for w in warnings {
            if !tree.warnings.contains(&w) {
                tree.warnings.push(w);
            }
        }
        let mut contents = contents.into_iter();
        for path in &unit.files {
            if let Some(prev) = owner.insert(path.clone(), format!("{}/{}", unit.cluster, unit.app))
            {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    crate::fleet::PROJECT_FILE,
                    format!(
                        "two renders write {path}: {prev} and {}/{}; make the layout tell them apart (add {{cluster}} and {{app}})",
                        unit.cluster, unit.app
                    ),
                ));
            }
            if let Some(content) = contents.next() {
                tree.files.insert(path.clone(), content);
            }
        }
        tree.units.push(unit);
    }
    add_controllers(fleet, &mut tree, &mut owner, opts.keep_resources)?;
    Ok(tree)
}

/// Controller objects for every pair of the fleet (not only the selected ones: they
/// depend on the fleet's files alone, so a partial render keeps them whole). With
/// `keep`, they are kept as resources too (made by strata.yaml's `controllers`), so
/// validating in memory checks what validating the written tree checks.
fn add_controllers(
    fleet: &Fleet,
    tree: &mut HydratedTree,
    owner: &mut BTreeMap<String, String>,
    keep: bool,
) -> Result<()> {
    if fleet.project.controllers.is_empty() {
        return Ok(());
    }
    let output = fleet.project.output.trim_end_matches('/');
    let mut deployed = Vec::new();
    for (c, a) in fleet.pairs() {
        let dir = layout::unit_dir(&fleet.project.layout, c, &a.name)
            .map_err(|e| Error::new(ErrorKind::Invalid, crate::fleet::PROJECT_FILE, e))?;
        deployed.push(crate::fleet::controllers::Deployed {
            cluster: c,
            app: a,
            path: format!("{output}/{dir}"),
        });
    }
    let objects = crate::fleet::controllers::objects(fleet, &deployed)?;
    let mut files = Vec::new();
    let mut resources = Vec::new();
    let mut h = Sha256::new();
    for (path, obj) in objects {
        if let Some(prev) = owner.insert(path.clone(), "controllers".into()) {
            return Err(Error::new(
                ErrorKind::Conflict,
                crate::fleet::PROJECT_FILE,
                format!("{path} is written by {prev} and by the controller objects; change `layout` so no app folder is under controllers/"),
            ));
        }
        let text = yaml::to_yaml(&obj);
        h.update(path.as_bytes());
        h.update(text.as_bytes());
        tree.files.insert(path.clone(), text.into());
        files.push(path);
        if let (true, Value::Object(doc)) = (keep, obj) {
            resources.push(Resource::new(
                doc,
                crate::kustomize::resource::Origin {
                    file: crate::fleet::PROJECT_FILE.into(),
                    line: 0,
                    generated_by: Some(crate::fleet::PROJECT_FILE.into()),
                },
            ));
        }
    }
    tree.units.push(Unit {
        cluster: String::new(),
        app: String::new(),
        dir: "controllers".into(),
        files,
        inputs: Inputs::new(),
        inputs_hash: hex(&h.finalize()),
        reused: false,
        resources,
    });
    Ok(())
}

/// The unit as an earlier render left it, when every question it asked gets the
/// same answer now and its definition is the same.
fn reuse(
    fs: &dyn FileSystem,
    job: &Job,
    key: &str,
    opts: &RenderOptions,
    digests: &DigestCache,
) -> Option<Unit> {
    let prev = opts.previous.as_ref()?.get(job.dir())?;
    // In the recorded order, which is the order a render records them in.
    let answers = prev.inputs.iter().map(|q| (q, q.answer(fs, digests)));
    if inputs::inputs_hash(key, answers) != prev.inputs_hash {
        return None;
    }
    let (cluster, app) = match job {
        Job::Pair(c, a, _) => (c.name.clone(), a.name.clone()),
        Job::Target(t) => (String::new(), t.clone()),
    };
    Some(Unit {
        cluster,
        app,
        dir: job.dir().to_string(),
        files: prev.files.clone(),
        inputs: Inputs::new(),
        inputs_hash: prev.inputs_hash.clone(),
        reused: true,
        resources: Vec::new(),
    })
}

fn render_job(
    fs: &dyn FileSystem,
    fleet: &Fleet,
    job: &Job,
    key: &str,
    opts: &RenderOptions,
    digests: &DigestCache,
    texts: &SharedTexts,
) -> Result<Rendered> {
    let rec = RecordingFs::new(fs, digests);
    let mut warnings = Vec::new();
    let (cluster, app, dir, resources, stream) = match job {
        Job::Pair(c, a, dir) => {
            let resources = render_pair(&rec, fleet, c, a, opts, &mut warnings)?;
            (
                c.name.clone(),
                a.name.clone(),
                dir.clone(),
                resources,
                false,
            )
        }
        Job::Target(t) => {
            let out = build::build_with(&rec, t, opts.keep_resources)?;
            warnings.extend(out.warnings);
            (
                String::new(),
                t.clone(),
                t.clone(),
                out.resources,
                fleet.project.target_files == TargetFiles::Stream,
            )
        }
    };
    // Each text shared as soon as it is made: one another unit has already is dropped
    // here, and its memory taken by the next render.
    let (files, contents) = if stream {
        let text = yaml::to_yaml_stream(resources.iter().map(|r| &r.doc));
        (vec![join(&dir, "all.yaml")], vec![texts.share(text)])
    } else {
        let names = layout::file_names(&resources);
        let files = names.iter().map(|n| join(&dir, n)).collect();
        let contents = resources
            .iter()
            .map(|r| texts.share(yaml::map_to_yaml(&r.doc)))
            .collect();
        (files, contents)
    };
    let inputs = rec.inputs();
    let inputs_hash = inputs::inputs_hash(key, inputs.iter().map(|(q, a)| (q, *a)));
    Ok((
        Unit {
            cluster,
            app,
            dir,
            files,
            inputs,
            inputs_hash,
            reused: false,
            resources: if opts.keep_resources {
                resources
            } else {
                Vec::new()
            },
        },
        contents,
        warnings,
    ))
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// One (cluster, app) pair to its resources, in output order.
pub fn render_pair(
    fs: &dyn FileSystem,
    fleet: &Fleet,
    cluster: &Cluster,
    app: &App,
    opts: &RenderOptions,
    warnings: &mut Vec<String>,
) -> Result<Vec<Resource>> {
    let layers = load_layers(fs, fleet, cluster, app)?;
    let base_dir = format!("{}/base", app.dir);
    // The base kustomization's buildMetadata holds for the rendered app, as at a root.
    let mut build_metadata = Vec::new();
    let mut ra = match app.source {
        Source::Kustomize => {
            let (ra, k) = build::accumulate_dir(fs, &base_dir, warnings, opts.keep_resources)?;
            build_metadata = k.build_metadata;
            ra
        }
        Source::Manifests => load_manifests(fs, &base_dir)?,
        Source::Chart => {
            let values = chart_values_of(fs, &base_dir, &layers, &opts.set)?;
            render_chart(fs, &base_dir, cluster, app, &values)?
        }
        Source::Helm => render_helm(fs, fleet, &base_dir, app, &layers, &opts.set, warnings)?,
    };
    if let Some(ns) = app.namespace.as_deref().filter(|n| !n.is_empty()) {
        let k = Kustomization {
            namespace: ns.to_string(),
            ..Default::default()
        };
        ra = apply_overlay(
            fs,
            &app.dir,
            &app.file,
            &k,
            ra,
            warnings,
            opts.keep_resources,
        )?;
    }
    for l in &layers {
        ra = apply_overlay(
            fs,
            &l.dir,
            &l.file,
            &l.kustomization,
            ra,
            warnings,
            opts.keep_resources,
        )?;
    }
    let mut out = finish(ra, None, warnings)?;
    crate::kustomize::metadata::apply(&mut out, &base_dir, &build_metadata)?;
    Ok(out)
}

/// What templates see: the values, the cluster and the app.
pub fn template_context(cluster: &Cluster, app: &App, values: &Value) -> Value {
    serde_json::json!({
        "values": if values.is_null() { Value::Object(Default::default()) } else { values.clone() },
        "cluster": cluster.to_value(),
        "app": {"name": app.name, "namespace": app.namespace, "source": format!("{:?}", app.source).to_lowercase()},
    })
}

/// A layer overlay file present for a cluster.
struct Layer {
    file: String,
    /// The file's text after templating.
    text: String,
    dir: String,
    kustomization: Kustomization,
    values: Value,
}

/// The layer files that apply to the (cluster, app) pair, templated with the pair's
/// context.
fn load_layers(
    fs: &dyn FileSystem,
    fleet: &Fleet,
    cluster: &Cluster,
    app: &App,
) -> Result<Vec<Layer>> {
    let context = &template_context(cluster, app, &Value::Null);
    let mut out = Vec::new();
    for layer in &fleet.project.layers {
        let Some(value) = cluster.attribute(layer) else {
            continue;
        };
        let dir = format!("{}/{layer}", app.dir);
        let mut file = None;
        for ext in ["yaml", "yml"] {
            let path = format!("{dir}/{value}.{ext}");
            // A layer file that is a symlink out of the repository is an error, not absent.
            if crate::kustomize::fs::probe_file(fs, &path)
                .map_err(|e| Error::from(e).in_file(&path))?
            {
                file = Some(path);
                break;
            }
        }
        let Some(file) = file else { continue };
        let bytes = fs.read(&file).map_err(|e| Error::from(e).in_file(&file))?;
        let raw = String::from_utf8(bytes)
            .map_err(|_| Error::new(ErrorKind::Syntax, file.clone(), "not UTF-8 text"))?;
        let text = if raw.contains("{{") {
            crate::fleet::template::render_str(&raw, &file, context)?
        } else {
            raw
        };
        let doc = yaml::parse_stream(&text)
            .map_err(|e| yaml_error(&file, e))?
            .into_iter()
            .map(|d| d.value)
            .find(|v| !v.is_null());
        let mut map = match doc {
            None => Default::default(),
            Some(Value::Object(m)) => m,
            Some(_) => {
                return Err(Error::new(
                    ErrorKind::Syntax,
                    file,
                    "a layer file is a mapping: kustomization fields plus `values`",
                ))
            }
        };
        crate::fleet::check_against_schema(
            &file,
            &text,
            &Value::Object(map.clone()),
            "layer file",
            crate::fleet::schemas::LAYER,
        )?;
        let mut values = map.remove("values").unwrap_or(Value::Null);
        if app.source == Source::Helm {
            // Helm reads values as YAML 1.1 (`on`, `off`, `yes` are booleans), and the
            // chart's own values.yaml so: the layer's values are read the same way.
            values = yaml::parse_stream_helm(&text)
                .map_err(|e| yaml_error(&file, e))?
                .into_iter()
                .map(|d| d.value)
                .find(|v| !v.is_null())
                .and_then(|mut d| d.get_mut("values").map(Value::take))
                .unwrap_or(Value::Null);
        }
        let kustomization = kustomization_from_value(&file, &text, Value::Object(map))?;
        out.push(Layer {
            file,
            text,
            dir,
            kustomization,
            values,
        });
    }
    Ok(out)
}

/// Every `*.yaml`/`*.yml` file of a folder, in name order, as resources.
fn load_manifests(fs: &dyn FileSystem, dir: &str) -> Result<ResMap> {
    let names = fs.list_dir(dir).map_err(|e| Error::from(e).in_file(dir))?;
    let mut ra = ResMap::new();
    for n in names
        .iter()
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
    {
        let path = format!("{dir}/{n}");
        let bytes = fs.read(&path).map_err(|e| Error::from(e).in_file(&path))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::new(ErrorKind::Syntax, path.clone(), "not UTF-8 text"))?;
        ra.append_all(loader::load_resources(fs, &path, &text)?)?;
    }
    Ok(ra)
}

/// One place a chart's values come from: its values.yaml or a layer's `values`.
pub struct ValuesSource {
    pub file: String,
    /// The file's text (after templating, for layers).
    pub text: String,
    /// JSON pointer of the values within the file's document: `""` or `/values`.
    pub prefix: &'static str,
}

/// A chart's values as the render merges them (values.yaml < layers < `--set`),
/// the files they came from, lowest first, and its values.schema.json.
pub struct ChartValues {
    pub merged: Value,
    pub sources: Vec<ValuesSource>,
    /// `(file, schema)` when the chart has a values.schema.json.
    pub schema: Option<(String, std::sync::Arc<crate::memo::JsonSchema>)>,
    /// JSON pointers that `--set` assigned.
    pub set: Vec<String>,
}

/// Where a chart value was last set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueOrigin {
    /// A file (values.yaml or a layer) and the line of the key.
    File(String, u32),
    /// A `--set` on the command line.
    Set,
}

/// A chart value that breaks values.schema.json: the problem and where the value came
/// from. Its message never quotes the value ([`crate::redact`]).
#[derive(Clone, Debug)]
pub struct ValuesProblem {
    pub problem: crate::fleet::values::SchemaProblem,
    pub origin: Option<ValueOrigin>,
}

impl ValuesProblem {
    /// `values.password (from apps/db/env/prod.yaml:2) does not match the pattern ^ok-`.
    pub fn describe(&self) -> String {
        let from = match &self.origin {
            Some(ValueOrigin::File(f, l)) => format!(" (from {f}:{l})"),
            Some(ValueOrigin::Set) => " (from --set)".to_string(),
            None => String::new(),
        };
        format!(
            "{}{from} {}",
            self.problem.place("values"),
            self.problem.message
        )
    }
}

impl ChartValues {
    /// The merged values against values.schema.json (none without a schema). An
    /// unusable schema is an error naming it.
    pub fn problems(&self) -> Result<Vec<ValuesProblem>> {
        let Some((schema_file, schema)) = &self.schema else {
            return Ok(Vec::new());
        };
        let problems = crate::fleet::values::check_schema(&self.merged, schema, schema_file)
            .map_err(|msg| Error::new(ErrorKind::Invalid, schema_file.clone(), msg))?;
        Ok(problems
            .into_iter()
            .map(|problem| ValuesProblem {
                origin: self.origin(&problem.pointer),
                problem,
            })
            .collect())
    }

    /// Where the value at `pointer` was last set: a `--set` on it or above it, else the
    /// last source file with the key (or, for a missing key, the nearest key above it).
    pub fn origin(&self, pointer: &str) -> Option<ValueOrigin> {
        let under = |p: &str, above: &str| {
            p == above || (p.starts_with(above) && p[above.len()..].starts_with('/'))
        };
        if self.set.iter().any(|s| under(pointer, s)) {
            return Some(ValueOrigin::Set);
        }
        let docs: Vec<Option<BTreeMap<String, u32>>> = self
            .sources
            .iter()
            .map(|s| {
                yaml::key_lines(&s.text)
                    .ok()
                    .and_then(|d| d.into_iter().find(|d| !d.is_empty()))
            })
            .collect();
        let mut p = pointer;
        loop {
            for (src, doc) in self.sources.iter().zip(&docs).rev() {
                if let Some(l) = doc
                    .as_ref()
                    .and_then(|d| d.get(&format!("{}{p}", src.prefix)))
                {
                    return Some(ValueOrigin::File(src.file.clone(), *l));
                }
            }
            p = &p[..p.rfind('/')?];
        }
    }
}

/// `--set` paths as JSON pointers.
fn set_pointers(set: &[crate::fleet::values::SetAssignment]) -> Vec<String> {
    use crate::fleet::values::SetSegment;
    set.iter()
        .map(|a| {
            a.path
                .iter()
                .map(|s| match s {
                    SetSegment::Key(k) => format!("/{}", k.replace('~', "~0").replace('/', "~1")),
                    SetSegment::Index(i) => format!("/{i}"),
                })
                .collect()
        })
        .collect()
}

fn read_text(fs: &dyn FileSystem, path: &str) -> Result<String> {
    let bytes = fs.read(path).map_err(|e| Error::from(e).in_file(path))?;
    String::from_utf8(bytes).map_err(|_| Error::new(ErrorKind::Syntax, path, "not UTF-8 text"))
}

/// The values of the chart app `app` for `cluster`, as `render` would use them.
pub fn chart_values(
    fs: &dyn FileSystem,
    fleet: &Fleet,
    cluster: &Cluster,
    app: &App,
    set: &[crate::fleet::values::SetAssignment],
) -> Result<ChartValues> {
    let layers = load_layers(fs, fleet, cluster, app)?;
    chart_values_of(fs, &format!("{}/base", app.dir), &layers, set)
}

fn chart_values_of(
    fs: &dyn FileSystem,
    dir: &str,
    layers: &[Layer],
    set: &[crate::fleet::values::SetAssignment],
) -> Result<ChartValues> {
    use crate::fleet::values;
    let mut merged = Value::Object(Default::default());
    let mut sources = Vec::new();
    let values_file = format!("{dir}/values.yaml");
    if crate::kustomize::fs::probe_file(fs, &values_file)
        .map_err(|e| Error::from(e).in_file(&values_file))?
    {
        let text = read_text(fs, &values_file)?;
        let doc = yaml::parse_stream(&text).map_err(|e| yaml_error(&values_file, e))?;
        if let Some(v) = doc.into_iter().map(|d| d.value).find(|v| !v.is_null()) {
            merged = v;
        }
        sources.push(ValuesSource {
            file: values_file,
            text,
            prefix: "",
        });
    }
    for l in layers.iter().filter(|l| !l.values.is_null()) {
        values::merge_values(&mut merged, &l.values);
        sources.push(ValuesSource {
            file: l.file.clone(),
            text: l.text.clone(),
            prefix: "/values",
        });
    }
    for a in set {
        values::apply_set(&mut merged, &a.path, a.value.clone());
    }
    let schema_file = format!("{dir}/values.schema.json");
    let schema = if crate::kustomize::fs::probe_file(fs, &schema_file)
        .map_err(|e| Error::from(e).in_file(&schema_file))?
    {
        let schema = crate::memo::json_schema(&read_text(fs, &schema_file)?).map_err(|e| {
            Error::new(
                ErrorKind::Syntax,
                schema_file.clone(),
                format!("invalid JSON: {e}"),
            )
            .at_line(e.line() as u32)
        })?;
        Some((schema_file, schema))
    } else {
        None
    };
    Ok(ChartValues {
        merged,
        sources,
        schema,
        set: set_pointers(set),
    })
}

/// A chart's templates rendered with its values, checked against
/// values.schema.json first.
/// An upstream Helm chart rendered as Helm renders it: the release is the app, the
/// layers' `values` (and `--set`) are the user's values over the chart's own.
fn render_helm(
    fs: &dyn FileSystem,
    fleet: &Fleet,
    dir: &str,
    app: &App,
    layers: &[Layer],
    set: &[crate::fleet::values::SetAssignment],
    warnings: &mut Vec<String>,
) -> Result<ResMap> {
    use crate::helm;
    let (chart, opts) = helm_release(fs, fleet, dir, app, layers, set)?;
    let rendered = helm::render::render(&chart, &opts).map_err(|e| {
        Error::new(
            ErrorKind::Transform,
            chart.source.clone(),
            format!("the Helm chart does not render: {}", e.message),
        )
    })?;
    warnings.extend(rendered.warnings.iter().cloned());
    let mut ra = ResMap::new();
    let options = app.helm.clone().unwrap_or_default();
    for (path, text) in helm::render::manifests(
        &rendered,
        &helm::render::Stream {
            include_crds: true,
            no_hooks: options.skip_hooks,
            skip_tests: options.skip_tests,
            ..Default::default()
        },
    )
    .map_err(|e| Error::new(ErrorKind::Syntax, chart.source.clone(), e.message))?
    {
        ra.append_all(loader::load_resources(fs, &helm_path(dir, &path), &text)?)?;
    }
    Ok(ra)
}

/// `CHART/templates/x.yaml` (a template as Helm names it) is `DIR/templates/x.yaml`
/// in the repository.
fn helm_path(dir: &str, template: &str) -> String {
    let rel = template.split_once('/').map(|(_, r)| r).unwrap_or(template);
    join(dir, rel)
}

/// A `source: helm` app's templates rendered again recording the template line
/// behind each output line (through `include`), for `explain`: template path →
/// (its output, per output line the template file and line that printed it, then
/// the `include`/`template` calls it ran under, innermost first), all paths in the
/// repository.
pub type HelmLines = BTreeMap<String, (String, Vec<Option<crate::helm::render::PrintedBy>>)>;

/// [`HelmLines`] of one (cluster, app) pair, rendered with `set`.
pub fn helm_lines(
    fs: &dyn FileSystem,
    fleet: &Fleet,
    cluster: &Cluster,
    app: &App,
    set: &[crate::fleet::values::SetAssignment],
) -> Result<HelmLines> {
    let layers = load_layers(fs, fleet, cluster, app)?;
    let dir = format!("{}/base", app.dir);
    let (chart, opts) = helm_release(fs, fleet, &dir, app, &layers, set)?;
    let rendered = crate::helm::render::render_traced(&chart, &opts)
        .map_err(|e| Error::new(ErrorKind::Transform, chart.source.clone(), e.message))?;
    let mut out = BTreeMap::new();
    for (path, lines) in rendered.lines {
        let Some(text) = rendered.files.get(&path) else {
            continue;
        };
        let lines = lines
            .into_iter()
            .map(|c| {
                c.map(|c| {
                    c.into_iter()
                        .map(|(f, l)| (helm_path(&dir, &f), l))
                        .collect()
                })
            })
            .collect();
        out.insert(helm_path(&dir, &path), (text.clone(), lines));
    }
    Ok(out)
}

/// The chart and the release options a `source: helm` app renders with.
fn helm_release(
    fs: &dyn FileSystem,
    fleet: &Fleet,
    dir: &str,
    app: &App,
    layers: &[Layer],
    set: &[crate::fleet::values::SetAssignment],
) -> Result<(crate::helm::chart::Chart, crate::helm::render::Options)> {
    use crate::helm;
    let chart = helm::chart::load_dir(fs, dir)?;
    let mut user = serde_json::Map::new();
    for l in layers {
        if let Value::Object(v) = &l.values {
            helm::values::merge_user_values(&mut user, v);
        }
    }
    let mut user = Value::Object(user);
    for a in set {
        crate::fleet::values::apply_set(&mut user, &a.path, a.value.clone());
    }
    let opts = helm::render::Options {
        release: app.name.clone(),
        namespace: app
            .namespace
            .clone()
            .unwrap_or_else(|| "default".to_string()),
        kube_version: fleet.project.kubernetes_version.clone(),
        api_versions: fleet.project.api_versions.clone(),
        values: user.as_object().cloned().unwrap_or_default(),
        skip_schema_validation: app.helm.as_ref().is_some_and(|h| h.skip_schema_validation),
        ..Default::default()
    };
    Ok((chart, opts))
}

fn render_chart(
    fs: &dyn FileSystem,
    dir: &str,
    cluster: &Cluster,
    app: &App,
    values: &ChartValues,
) -> Result<ResMap> {
    let problems = values.problems()?;
    if let (Some((schema_file, _)), false) = (&values.schema, problems.is_empty()) {
        let said: Vec<String> = problems.iter().map(ValuesProblem::describe).collect();
        return Err(Error::new(
            ErrorKind::Invalid,
            schema_file.clone(),
            format!(
                "the values for cluster {} do not match the schema: {}; fix values.yaml, the layer values or --set",
                cluster.name,
                said.join("; ")
            ),
        ));
    }
    let tdir = format!("{dir}/templates");
    if !fs.is_dir(&tdir) {
        return Err(Error::new(
            ErrorKind::Missing,
            app.file.clone(),
            format!("app {} has source: chart but {tdir}/ does not exist; add templates or change `source`", app.name),
        ));
    }
    let mut sources = Vec::new();
    for n in fs
        .list_dir(&tdir)
        .map_err(|e| Error::from(e).in_file(&tdir))?
    {
        if [".yaml", ".yml", ".tpl"].iter().any(|ext| n.ends_with(ext)) {
            let path = format!("{tdir}/{n}");
            sources.push((path.clone(), read_text(fs, &path)?));
        }
    }
    let set = crate::fleet::template::TemplateSet::new(
        sources.iter().map(|(p, t)| (p.as_str(), t.as_str())),
    )?;
    let context = template_context(cluster, app, &values.merged);
    let mut ra = ResMap::new();
    for name in set.outputs() {
        let text = set.render(name, &context)?;
        ra.append_all(loader::load_resources(fs, name, &text)?)?;
    }
    Ok(ra)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::fs::MemFs;

    #[test]
    fn hex_is_lower_case_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
        // The record's digest of a file, as sha256sum prints it.
        assert_eq!(
            hex(&Sha256::digest(b"a: 1\n")),
            "37b128c59f1f5097f73f82691cb519f1f568667faab5ced1b4ab979d36837eae"
        );
    }

    fn fleet_fs() -> MemFs {
        MemFs::from_files([
            ("strata.yaml", "output: rendered\n"),
            ("clusters/prod-1.yaml", "name: prod-1\nenv: prod\nvalues: {domain: p1.example.com}\n"),
            ("apps/web/app.yaml", "name: web\nnamespace: web\n"),
            ("apps/web/base/kustomization.yaml", "resources: [d.yaml]\n"),
            (
                "apps/web/base/d.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n",
            ),
            (
                "apps/web/env/prod.yaml",
                "patches:\n- target: {kind: Deployment}\n  patch: |-\n    - op: replace\n      path: /spec/replicas\n      value: 3\n",
            ),
        ])
    }

    #[test]
    fn provenance_names_the_layer_that_set_a_field_only_when_asked() {
        let fs = fleet_fs();
        let fleet = crate::fleet::load(&fs).unwrap();
        let opts = RenderOptions {
            keep_resources: true,
            ..Default::default()
        };
        let tree = render(&fs, &fleet, &opts).unwrap();
        let r = &tree.units[0].resources[0];
        assert_eq!(r.origin.file, "apps/web/base/d.yaml");
        assert_eq!(r.origin.line, 1);
        let patch = r
            .edits
            .iter()
            .find(|e| e.by == "patch")
            .expect("the patch is recorded");
        assert_eq!(
            (patch.source.as_str(), patch.paths.clone()),
            ("apps/web/env/prod.yaml", vec!["spec.replicas".to_string()])
        );
        assert!(r.edits.iter().any(|e| e.by == "namespace"), "{:?}", r.edits);

        let tree = render(&fs, &fleet, &RenderOptions::default()).unwrap();
        assert!(tree.units[0].resources.is_empty());
        assert_eq!(tree.files.len(), 1);
        assert!(tree.files["apps/prod/prod-1/web/deployment-web.yaml"].contains("replicas: 3"));
    }

    // The base kustomization is the root of the app's build: its buildMetadata holds.
    #[test]
    fn the_base_build_metadata_marks_the_rendered_app() {
        let mut fs = fleet_fs();
        fs.add(
            "apps/web/base/kustomization.yaml",
            "resources: [d.yaml]\nbuildMetadata: [managedByLabel, originAnnotations]\n",
        );
        let fleet = crate::fleet::load(&fs).unwrap();
        let tree = render(&fs, &fleet, &RenderOptions::default()).unwrap();
        let out = &tree.files["apps/prod/prod-1/web/deployment-web.yaml"];
        assert!(
            out.contains("app.kubernetes.io/managed-by: kustomize-(devel)"),
            "{out}"
        );
        assert!(
            out.contains("config.kubernetes.io/origin: |\n      path: d.yaml\n"),
            "{out}"
        );
    }
}
