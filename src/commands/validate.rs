//! `strata validate [PATH]`: the fleet rendered in memory (or a folder of YAML)
//! through the validate engine; prints the report and picks the exit code.

use crate::cli::ValidateArgs;
use crate::commands::{fleet, CommandError};
use crate::error::{Error, ErrorKind};
use crate::fleet::render;
use crate::fleet::{Expression, Fleet, Operator, Source, PROJECT_FILE};
use crate::kustomize::fs::FileSystem;
use crate::kustomize::DiskFs;
use crate::validate::policy::PolicyConfig;
use crate::validate::report::{Checked, Report};
use crate::validate::schema::{self, KubeSchemas, Seg};
use crate::validate::{self as v, Crds, Doc, Finding, Severity, SourceRef, UnitInfo};
use crate::yaml;
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub fn run(args: &ValidateArgs) -> Result<u8, CommandError> {
    let pool = crate::threads::pool(args.jobs)?;
    // The command error is not Send: carry it out of the pool as text.
    pool.install(|| {
        match &args.path {
            None => run_fleet(args),
            Some(p) => run_path(args, p),
        }
        .map_err(|e| e.to_string())
    })
    .map_err(CommandError::from)
}

/// The schemas for `--kubernetes-version`, else strata.yaml's, else the default.
fn schemas(
    args: &ValidateArgs,
    fleet: Option<&Fleet>,
) -> Result<&'static KubeSchemas, CommandError> {
    let from_project = fleet.and_then(|f| f.project.kubernetes_version.clone());
    let (version, origin) = match (&args.kubernetes_version, from_project) {
        (Some(v), _) => (v.clone(), "--kubernetes-version"),
        (None, Some(v)) => (v, "strata.yaml: kubernetesVersion"),
        (None, None) => (schema::DEFAULT_VERSION.to_string(), "default"),
    };
    schema::kube(&version).map_err(|e| format!("{origin} {version}: {e}").into())
}

fn policies(fs: Option<&DiskFs>, fleet: Option<&Fleet>) -> Result<PolicyConfig, CommandError> {
    let Some(f) = fleet else {
        return Ok(PolicyConfig::default());
    };
    PolicyConfig::parse(f.project.policies.as_ref()).map_err(|(at, msg)| {
        let line = fs
            .and_then(|fs| fs.read(PROJECT_FILE).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|t| yaml::key_lines(&t).ok())
            .and_then(|docs| docs.into_iter().find(|d| !d.is_empty()))
            .and_then(|d| d.get(&at).copied())
            .unwrap_or(0);
        Error::new(ErrorKind::Invalid, PROJECT_FILE, msg)
            .at_line(line)
            .into()
    })
}

/// CRDs from the `crds:` files and folders of strata.yaml.
fn load_crds(
    fs: &DiskFs,
    fleet: &Fleet,
    kube: &KubeSchemas,
    crds: &mut Crds,
) -> Result<(), CommandError> {
    for entry in &fleet.project.crds {
        let entry = entry.trim_end_matches('/');
        let mut files = Vec::new();
        if fs.is_dir(entry) {
            let mut stack = vec![entry.to_string()];
            while let Some(dir) = stack.pop() {
                for n in fs
                    .list_dir(&dir)
                    .map_err(|e| Error::from(e).in_file(&dir))?
                {
                    let p = format!("{dir}/{n}");
                    if fs.is_dir(&p) {
                        stack.push(p);
                    } else if n.ends_with(".yaml") || n.ends_with(".yml") || n.ends_with(".json") {
                        files.push(p);
                    }
                }
            }
            files.sort();
        } else if fs.is_file(entry) {
            files.push(entry.to_string());
        } else {
            return Err(Error::new(
                ErrorKind::Missing,
                PROJECT_FILE,
                format!("crds: '{entry}' does not exist; fix the path or remove it"),
            )
            .into());
        }
        for file in files {
            let bytes = fs.read(&file).map_err(|e| Error::from(e).in_file(&file))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| Error::new(ErrorKind::Syntax, file.clone(), "not UTF-8 text"))?;
            let docs = yaml::parse_stream(&text)
                .map_err(|e| crate::kustomize::loader::yaml_error(&file, e))?;
            for d in docs {
                if let Value::Object(m) = d.value {
                    if v::is_crd(&m) {
                        crds.add(&m, &file, kube).map_err(|e| {
                            Error::new(
                                ErrorKind::Invalid,
                                file.clone(),
                                format!("not a usable CustomResourceDefinition: {e}"),
                            )
                            .at_line(d.line)
                        })?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Where `base` (the folder report paths are relative to) sits in its git work tree:
/// `infra/fleet/`, or empty at the top or outside git.
fn repo_prefix(base: &Path) -> String {
    let abs = std::fs::canonicalize(base).unwrap_or_else(|_| base.to_path_buf());
    let Some(top) = abs.ancestors().find(|d| d.join(".git").exists()) else {
        return String::new();
    };
    match abs.strip_prefix(top) {
        Ok(rel) if !rel.as_os_str().is_empty() => format!("{}/", rel.to_string_lossy()),
        _ => String::new(),
    }
}

fn finish(
    args: &ValidateArgs,
    kube: &KubeSchemas,
    findings: &[Finding],
    checked: &[Checked],
    base: &Path,
) -> Result<u8, CommandError> {
    let prefix = if args.format == "sarif" {
        repo_prefix(base)
    } else {
        String::new()
    };
    let report = Report {
        findings,
        checked,
        kubernetes_version: &kube.version,
        schema_source: &kube.source,
        uri_prefix: &prefix,
    };
    let text = match args.format.as_str() {
        "json" => report.json(),
        "junit" => report.junit(),
        "sarif" => report.sarif(),
        _ => report.text(),
    };
    match &args.output {
        Some(p) => std::fs::write(p, text)
            .map_err(|e| format!("{}: cannot write the report: {e}", p.display()))?,
        None => print!("{text}"),
    }
    Ok(u8::from(
        findings.iter().any(|f| f.severity == Severity::Error),
    ))
}

fn checked_of(units: &[UnitInfo], docs: &[Doc]) -> Vec<Checked> {
    docs.iter()
        .map(|d| {
            let meta = |k: &str| {
                d.doc
                    .get("metadata")
                    .and_then(|m| m.get(k))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            Checked {
                cluster: units[d.unit].cluster_name.clone(),
                app: units[d.unit].app.clone(),
                kind: d
                    .doc
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                namespace: meta("namespace"),
                name: meta("name"),
                file: d.file.clone(),
                doc_index: d.doc_index,
            }
        })
        .collect()
}

fn run_fleet(args: &ValidateArgs) -> Result<u8, CommandError> {
    let (root, fs, fleet) = fleet::open(&args.selection)?;
    fleet::refuse_lint(&fleet, args.strict)?;
    let kube = schemas(args, Some(&fleet))?;
    let policies = policies(Some(&fs), Some(&fleet))?;
    let mut crds = Crds::with_controllers(kube);
    load_crds(&fs, &fleet, kube, &mut crds)?;
    let mut opts = fleet::options(&args.selection)?;
    opts.keep_resources = true;

    // Chart values first, as Helm does: a pair whose values break values.schema.json
    // is reported and left out of the render (which would stop on it).
    let selected: Vec<(String, String)> = fleet
        .pairs()
        .into_iter()
        .filter(|(c, a)| opts.selects(&c.name, &a.name))
        .map(|(c, a)| (c.name.clone(), a.name.clone()))
        .collect();
    let mut findings = values_findings(&fs, &fleet, &selected)?;
    findings.extend(helm_call_findings(&fs, &fleet, &selected)?);
    let mut to_render = fleet.clone();
    let failed: BTreeSet<(String, String)> = findings
        .iter()
        .map(|f| (f.cluster.clone(), f.app.clone()))
        .collect();
    for app in to_render.apps.iter_mut() {
        let out: Vec<String> = failed
            .iter()
            .filter(|(_, a)| *a == app.name)
            .map(|(c, _)| c.clone())
            .collect();
        if !out.is_empty() {
            app.clusters
                .get_or_insert_with(Default::default)
                .match_expressions
                .push(Expression {
                    key: "name".into(),
                    operator: Operator::NotIn,
                    values: out,
                });
        }
    }
    let tree = render::render(&fs, &to_render, &opts)?;
    for w in &tree.warnings {
        eprintln!("{w}");
    }

    let out_dir = fleet.project.output.trim_end_matches('/').to_string();
    let clusters: BTreeMap<&str, &crate::fleet::Cluster> = fleet
        .clusters
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    let mut units = Vec::new();
    let mut docs = Vec::new();
    for u in &tree.units {
        let ui = units.len();
        units.push(UnitInfo {
            cluster: clusters.get(u.cluster.as_str()).map(|c| (*c).clone()),
            cluster_name: u.cluster.clone(),
            app: u.app.clone(),
        });
        let per_file = u.files.len() == u.resources.len();
        for (i, r) in u.resources.iter().enumerate() {
            let (file, doc_index) = if per_file {
                (&u.files[i], 0)
            } else {
                (&u.files[0], i)
            };
            docs.push(Doc {
                unit: ui,
                file: format!("{out_dir}/{file}"),
                doc_index,
                doc: &r.doc,
                resource: Some(r),
            });
        }
    }
    for d in &docs {
        if v::is_crd(d.doc) {
            let _ = crds.add(d.doc, &d.file, kube);
        }
    }
    let scaled: std::collections::HashSet<v::Scaled> = docs
        .iter()
        .filter_map(|d| v::hpa_target(d.unit, d.doc))
        .collect();
    let ctx = v::Context {
        kube,
        crds: &crds,
        policies: &policies,
        strict: args.strict,
        scaled: &scaled,
    };
    let mut found = v::check(&ctx, &units, &docs);
    let prefix = format!("{out_dir}/");
    v::locate(&mut found, |f| {
        tree.files
            .get(f.strip_prefix(&prefix).unwrap_or(f))
            .map(|t| &**t)
    });
    refine_sources(&fs, &mut found);
    edit_lines(&fs, &fleet, &mut found);
    findings.extend(found);
    let checked = checked_of(&units, &docs);
    finish(args, kube, &findings, &checked, &root)
}

/// A source that is the base document (origin): the exact line of the field in it,
/// when the file is plain YAML (not a chart template) and has the field.
fn refine_sources(fs: &DiskFs, findings: &mut [Finding]) {
    let mut cache: BTreeMap<String, Option<Vec<BTreeMap<String, u32>>>> = BTreeMap::new();
    for f in findings.iter_mut() {
        let Some(src) = f.source.as_mut() else {
            continue;
        };
        if src.line == 0 || src.file.is_empty() {
            continue;
        }
        let lines = cache.entry(src.file.clone()).or_insert_with(|| {
            let text = String::from_utf8(fs.read(&src.file).ok()?).ok()?;
            if text.contains("{{") {
                return None;
            }
            yaml::key_lines(&text).ok()
        });
        let Some(doc) = lines
            .as_ref()
            .and_then(|docs| docs.iter().find(|d| d.get("").copied() == Some(src.line)))
        else {
            continue;
        };
        let mut p = f.path.as_slice();
        while !p.is_empty() {
            if let Some(l) = doc.get(&v::pointer(p)) {
                src.line = *l;
                break;
            }
            p = &p[..p.len() - 1];
        }
    }
}

/// A source that is a layer or kustomization that changed the field: the line of the
/// entry that did it (the patch's value, the `images`/`replicas` entry), as `explain`
/// finds it; each unit with such findings is rendered once more with edit tracking.
fn edit_lines(fs: &DiskFs, fleet: &Fleet, findings: &mut [Finding]) {
    use crate::fleet::explain::{blame_paths, Ask, Unit};
    let mut by_unit: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if f.source.as_ref().is_some_and(|s| s.line == 0) && !f.cluster.is_empty() {
            by_unit
                .entry((f.cluster.clone(), f.app.clone()))
                .or_default()
                .push(i);
        }
    }
    for ((cluster, app), idx) in by_unit {
        let pair = fleet
            .pairs()
            .into_iter()
            .find(|(c, a)| c.name == cluster && a.name == app);
        let Some((c, a)) = pair else { continue };
        let asks: Vec<Ask> = idx
            .iter()
            .map(|&i| {
                let f = &findings[i];
                Ask {
                    kind: f.kind.clone(),
                    name: f.name.clone(),
                    namespace: (!f.namespace.is_empty()).then(|| f.namespace.clone()),
                    paths: vec![f
                        .path
                        .iter()
                        .map(|s| match s {
                            v::schema::Seg::Key(k) => crate::diff::path::Seg::Key(k.clone()),
                            v::schema::Seg::Index(n) => crate::diff::path::Seg::Index(*n),
                        })
                        .collect()],
                }
            })
            .collect();
        let Ok(steps) = blame_paths(fs, fleet, &Unit::Pair(c, a), &asks, &[]) else {
            continue;
        };
        for (&i, step) in idx.iter().zip(steps) {
            let Some(Some(step)) = step.into_iter().next() else {
                continue;
            };
            if let Some(src) = findings[i].source.as_mut() {
                if src.file == step.file {
                    src.line = step.line;
                }
            }
        }
    }
}

/// `helm/non-deterministic`: each template call site, in the chart of a selected
/// `source: helm` app, of a function whose output Helm draws at random (strata renders
/// it from a seed and warns). One finding per app and site, whatever the cluster.
fn helm_call_findings(
    fs: &DiskFs,
    fleet: &Fleet,
    selected: &[(String, String)],
) -> Result<Vec<Finding>, CommandError> {
    let mut out = Vec::new();
    for app in &fleet.apps {
        if app.source != Source::Helm || !selected.iter().any(|(_, a)| *a == app.name) {
            continue;
        }
        // A chart that does not load fails the render, which says why.
        let Ok(chart) = crate::helm::chart::load_dir(fs, &format!("{}/base", app.dir)) else {
            continue;
        };
        for site in crate::helm::nondeterministic::call_sites(&chart) {
            out.push(Finding {
                rule: "helm/non-deterministic".into(),
                severity: Severity::Warning,
                message: format!(
                    "{} gives a different value on every helm run; strata renders it from a seed of the release and call site (set the value in the chart's values to choose it)",
                    site.function
                ),
                cluster: String::new(),
                app: app.name.clone(),
                api_version: String::new(),
                kind: String::new(),
                namespace: String::new(),
                name: String::new(),
                path: Vec::new(),
                file: site.file,
                line: site.line,
                doc_index: 0,
                source: None,
            });
        }
    }
    Ok(out)
}

/// Chart values (values.yaml < layer `values`) against `values.schema.json`, per
/// selected (cluster, app), as findings at the file and line that set the value.
fn values_findings(
    fs: &DiskFs,
    fleet: &Fleet,
    selected: &[(String, String)],
) -> Result<Vec<Finding>, CommandError> {
    let mut out = Vec::new();
    for (c, a) in fleet.pairs() {
        if a.source != Source::Chart
            || !selected
                .iter()
                .any(|(sc, sa)| *sc == c.name && *sa == a.name)
        {
            continue;
        }
        let chart = render::chart_values(fs, fleet, c, a, &[])?;
        let Some((schema_file, _)) = &chart.schema else {
            continue;
        };
        for p in chart.problems()? {
            let (file, line) = match &p.origin {
                Some(render::ValueOrigin::File(f, l)) => (f.clone(), *l),
                _ => (schema_file.clone(), 1),
            };
            let path: Vec<Seg> = p
                .problem
                .pointer
                .split('/')
                .skip(1)
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .map(|s| match s.parse::<usize>() {
                    Ok(i) => Seg::Index(i),
                    Err(_) => Seg::Key(s),
                })
                .collect();
            let msg = p.describe();
            out.push(Finding {
                rule: "values/schema".into(),
                severity: Severity::Error,
                message: format!(
                    "chart values for cluster {} do not match {schema_file}: {msg}",
                    c.name
                ),
                cluster: c.name.clone(),
                app: a.name.clone(),
                api_version: String::new(),
                kind: String::new(),
                namespace: String::new(),
                name: String::new(),
                path,
                file,
                line,
                doc_index: 0,
                source: Some(SourceRef {
                    file: schema_file.clone(),
                    line: 0,
                }),
            });
        }
    }
    Ok(out)
}

/// The directory that paths are reported relative to: the fleet root, else the git
/// work tree, else the current directory.
fn report_base(root: Option<&Path>) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if let Some(r) = root {
        return std::fs::canonicalize(r).unwrap_or_else(|_| r.to_path_buf());
    }
    let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
    cwd.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
        .unwrap_or(cwd)
}

fn yaml_files(path: &Path) -> Result<Vec<PathBuf>, CommandError> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if !path.is_dir() {
        return Err(format!(
            "{}: no such file or folder; pass a folder or file of Kubernetes YAML",
            path.display()
        )
        .into());
    }
    let mut out = Vec::new();
    let walk = walkdir::WalkDir::new(path)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for e in walk {
        let e = e.map_err(|e| format!("{}: {e}", path.display()))?;
        let n = e.file_name().to_string_lossy();
        if e.file_type().is_file() && (n.ends_with(".yaml") || n.ends_with(".yml")) {
            out.push(e.into_path());
        }
    }
    Ok(out)
}

fn run_path(args: &ValidateArgs, path: &Path) -> Result<u8, CommandError> {
    if args.selection.app.is_some() || args.selection.shard.is_some() {
        return Err("--app and --shard select (cluster, app) pairs of the fleet render; with a PATH, pass the folder or file to check instead".into());
    }
    // A fleet around (or named by --root) gives the version, CRDs, policies and,
    // inside its output folder, the cluster and app of each file.
    let opened = if args.selection.root.is_some() || fleet::find_root(&args.selection).is_ok() {
        Some(fleet::open_any(&args.selection)?)
    } else {
        None
    };
    if let Some((_, _, f)) = &opened {
        fleet::refuse_lint(f, args.strict)?;
    }
    let root = opened.as_ref().map(|(r, _, _)| r.as_path());
    let fleet_ref = opened.as_ref().map(|(_, _, f)| f);
    let fs_ref = opened.as_ref().map(|(_, fs, _)| fs);
    let kube = schemas(args, fleet_ref)?;
    let policies = policies(fs_ref, fleet_ref)?;
    let mut crds = Crds::with_controllers(kube);
    if let Some((_, fs, f)) = &opened {
        load_crds(fs, f, kube, &mut crds)?;
    }
    let base = report_base(root);
    let files = yaml_files(path)?;
    // Names relative to the report base: canonicalize the PATH once, not every file.
    let abs_path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let rel = |p: &Path| -> String {
        let abs = match p.strip_prefix(path) {
            Ok(r) if r.as_os_str().is_empty() => abs_path.clone(),
            Ok(r) => abs_path.join(r),
            Err(_) => p.to_path_buf(),
        };
        abs.strip_prefix(&base)
            .map(|r| r.to_string_lossy().into_owned())
            .unwrap_or_else(|_| p.to_string_lossy().into_owned())
    };

    // Units: files outside the fleet's unit folders (or with no fleet) go to the
    // fallback unit 0; each (cluster, app) folder under the output is a unit.
    let mut fallback = UnitInfo::default();
    if let Some(pattern) = &args.selection.cluster {
        let Some(f) = fleet_ref else {
            return Err(format!("--cluster {pattern}: no {PROJECT_FILE} found, so no clusters to choose from; pass --root DIR").into());
        };
        let glob = globset::Glob::new(pattern)
            .map_err(|e| format!("--cluster '{pattern}': not a valid glob ({e})"))?
            .compile_matcher();
        let hits: Vec<_> = f
            .clusters
            .iter()
            .filter(|c| glob.is_match(&c.name))
            .collect();
        match hits.as_slice() {
            [c] => {
                fallback = UnitInfo {
                    cluster: Some((*c).clone()),
                    cluster_name: c.name.clone(),
                    app: String::new(),
                }
            }
            _ => {
                let names: Vec<&str> = f.clusters.iter().map(|c| c.name.as_str()).collect();
                return Err(format!(
                    "--cluster {pattern}: matches {} clusters; with a PATH, name exactly one cluster to check the files as its own (clusters: {})",
                    hits.len(),
                    names.join(", ")
                )
                .into());
            }
        }
    }
    let mut units: Vec<UnitInfo> = vec![fallback];
    // (folder prefix, unit index), longest prefix first.
    let mut unit_dirs: Vec<(String, usize)> = Vec::new();
    if let Some(f) = fleet_ref {
        let out = f.project.output.trim_end_matches('/');
        for (c, a) in f.pairs() {
            if let Ok(dir) = crate::fleet::layout::unit_dir(&f.project.layout, c, &a.name) {
                unit_dirs.push((format!("{out}/{dir}/"), units.len()));
                units.push(UnitInfo {
                    cluster: Some(c.clone()),
                    cluster_name: c.name.clone(),
                    app: a.name.clone(),
                });
            }
        }
        unit_dirs.sort_by_key(|d| std::cmp::Reverse(d.0.len()));
    }
    let unit_of = |name: &str| {
        unit_dirs
            .iter()
            .find(|(d, _)| name.starts_with(d.as_str()))
            .map_or(0, |(_, u)| *u)
    };

    // Read every file (in parallel); CRDs first, so that custom resources anywhere in
    // the folder are checked against them.
    let texts: Vec<(String, Result<String, Finding>)> = files
        .par_iter()
        .map(|p| {
            let name = rel(p);
            let text = match std::fs::read(p) {
                Err(e) => Err(input_finding(
                    &name,
                    1,
                    format!("cannot read the file: {e}"),
                )),
                Ok(b) => String::from_utf8(b)
                    .map_err(|_| input_finding(&name, 1, "not UTF-8 text".into())),
            };
            (name, text)
        })
        .collect();
    for (name, text) in &texts {
        let Ok(text) = text else { continue };
        if !text.contains("CustomResourceDefinition") {
            continue;
        }
        for d in yaml::parse_stream(text).unwrap_or_default() {
            if let Value::Object(m) = d.value {
                if v::is_crd(&m) {
                    let _ = crds.add(&m, name, kube);
                }
            }
        }
    }
    // Workloads scaled by an HPA, when a min-replicas policy will look at them.
    let settings = v::unit_settings(&policies, &units);
    let mut scaled = std::collections::HashSet::new();
    if settings.iter().any(|s| s.contains_key("min-replicas")) {
        for (name, text) in &texts {
            let Ok(text) = text else { continue };
            if !text.contains("HorizontalPodAutoscaler") {
                continue;
            }
            for d in yaml::parse_stream(text).unwrap_or_default() {
                if let Value::Object(m) = d.value {
                    scaled.extend(v::hpa_target(unit_of(name), &m));
                }
            }
        }
    }
    let ctx = v::Context {
        kube,
        crds: &crds,
        policies: &policies,
        strict: args.strict,
        scaled: &scaled,
    };

    // Parse and check file by file, in parallel, keeping only the findings, a row per
    // resource, and the documents that fleet-wide checks need.
    type Kept = (usize, String, usize, Map<String, Value>);
    let results: Vec<(Vec<Finding>, Vec<Checked>, Vec<Kept>)> = texts
        .par_iter()
        .map(|(name, text)| {
            let text = match text {
                Ok(t) => t,
                Err(f) => return (vec![f.clone()], Vec::new(), Vec::new()),
            };
            let parsed = match yaml::parse_stream(text) {
                Ok(d) => d,
                Err(e) => {
                    let f = input_finding(name, e.line, format!("not valid YAML: {}", e.message));
                    return (vec![f], Vec::new(), Vec::new());
                }
            };
            let unit = unit_of(name);
            let mut findings = Vec::new();
            let mut objects = Vec::new();
            for (i, d) in parsed.into_iter().enumerate() {
                match d.value {
                    Value::Object(m) => objects.push((i, m)),
                    Value::Null => {}
                    _ => {
                        let mut f = input_finding(
                            name,
                            d.line,
                            "a Kubernetes object is a mapping, not a list or a scalar".into(),
                        );
                        f.rule = "schema/type".into();
                        f.cluster = units[unit].cluster_name.clone();
                        f.app = units[unit].app.clone();
                        f.doc_index = i;
                        findings.push(f);
                    }
                }
            }
            let docs: Vec<Doc> = objects
                .iter()
                .map(|(i, m)| Doc {
                    unit,
                    file: name.clone(),
                    doc_index: *i,
                    doc: m,
                    resource: None,
                })
                .collect();
            let mut found = v::check_each(&ctx, &units, &settings, &docs);
            v::locate(&mut found, |_| Some(text.as_str()));
            findings.extend(found);
            let checked = checked_of(&units, &docs);
            let keep: Vec<usize> = docs
                .iter()
                .enumerate()
                .filter(|(_, d)| v::needs_across(&settings, d))
                .map(|(k, _)| k)
                .collect();
            drop(docs);
            let mut kept = Vec::new();
            for (k, (i, m)) in objects.into_iter().enumerate() {
                if keep.contains(&k) {
                    kept.push((unit, name.clone(), i, m));
                }
            }
            (findings, checked, kept)
        })
        .collect();
    let mut findings = Vec::new();
    let mut checked = Vec::new();
    let mut kept = Vec::new();
    for (f, c, k) in results {
        findings.extend(f);
        checked.extend(c);
        kept.extend(k);
    }
    let across: Vec<Doc> = kept
        .iter()
        .map(|(unit, file, i, m)| Doc {
            unit: *unit,
            file: file.clone(),
            doc_index: *i,
            doc: m,
            resource: None,
        })
        .collect();
    let mut found = v::check_across(&units, &settings, &across);
    let by_name: BTreeMap<&str, &str> = texts
        .iter()
        .filter_map(|(n, t)| t.as_ref().ok().map(|t| (n.as_str(), t.as_str())))
        .collect();
    v::locate(&mut found, |f| by_name.get(f).copied());
    findings.extend(found);
    v::sort(&mut findings);
    finish(args, kube, &findings, &checked, &base)
}

/// A finding about an input file rather than a resource (it cannot be read or parsed).
fn input_finding(file: &str, line: u32, message: String) -> Finding {
    Finding {
        rule: "yaml/syntax".into(),
        severity: Severity::Error,
        message,
        cluster: String::new(),
        app: String::new(),
        api_version: String::new(),
        kind: String::new(),
        namespace: String::new(),
        name: String::new(),
        path: Vec::new(),
        file: file.to_string(),
        line: line.max(1),
        doc_index: 0,
        source: None,
    }
}
