//! Rendering a chart as Helm's engine does (every template of the chart and its
//! subcharts, each with its chart's scope), and the stream `helm template` prints
//! (documents sorted in install order, hooks after, `# Source:` lines).

use super::chart::Chart;
use super::funcs::{self, Capabilities, USER_ERROR_END, USER_ERROR_START};
use super::gotmpl::parse::{parse_text, unknown_function, ParseError, Parsed};
use super::gotmpl::{ExecError, TemplateSet, Value};
use super::values;
use crate::kustomize::fs::FileBytes;
use crate::threads::Handover;
use serde_json::{Map, Value as Json};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// What a render needs besides the chart.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub release: String,
    pub namespace: String,
    /// `--kube-version`; Helm's default when absent.
    pub kube_version: Option<String>,
    /// `--api-versions`, added to Helm's default set.
    pub api_versions: Vec<String>,
    /// The user's values (`-f` files and `--set`, already merged).
    pub values: Map<String, Json>,
    /// `--is-upgrade`: `.Release.IsUpgrade` instead of `.Release.IsInstall`.
    pub is_upgrade: bool,
    /// `--skip-schema-validation`: the values are not checked against any
    /// `values.schema.json`.
    pub skip_schema_validation: bool,
}

/// Which documents of a render `helm template` prints, and how (its stream flags).
#[derive(Clone, Debug, Default)]
pub struct Stream {
    /// `--include-crds`: the files under `crds/` first.
    pub include_crds: bool,
    /// `--no-hooks`: no hooks at all.
    pub no_hooks: bool,
    /// `--skip-tests`: no test hooks (`helm.sh/hook: test`).
    pub skip_tests: bool,
    /// `--hide-secret`: a `v1` Secret among the manifests (not the hooks) is printed as
    /// a comment saying it was left out.
    pub hide_secret: bool,
    /// `--show-only`: only the documents of the templates these globs match.
    pub show_only: Vec<String>,
}

/// Each template's output by its path (`CHART/templates/x.yaml`), and warnings.
#[derive(Debug, Default)]
pub struct Rendered {
    pub files: BTreeMap<String, String>,
    pub warnings: Vec<String>,
    /// CRD files of the chart and its subcharts, in Helm's order: (path, bytes). Kept
    /// as read (they are megabytes in some charts) until a stream asks for them.
    pub crds: CrdFiles,
    /// With [`render_traced`]: per template, the [`PrintedBy`] of each line of its
    /// output; `None` for blank lines.
    pub lines: BTreeMap<String, Vec<Option<PrintedBy>>>,
}

/// CRD files by their path in the chart (`CHART/crds/x.yaml`), as read.
pub type CrdFiles = Vec<(String, FileBytes)>;

/// The template and line that printed an output line, then the `include` and
/// `template` calls it ran under (innermost first).
pub type PrintedBy = Vec<(String, u32)>;

/// Why a render failed, worded as Helm words it.
#[derive(Debug, Clone, PartialEq)]
pub struct HelmError {
    pub message: String,
}

impl std::fmt::Display for HelmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn err(message: impl Into<String>) -> HelmError {
    HelmError {
        message: message.into(),
    }
}

/// Renders every template of `chart` (Helm's `engine.Render` after dependencies and
/// values are processed, as `helm install --dry-run` does it).
pub fn render(chart: &Chart, opts: &Options) -> Result<Rendered, HelmError> {
    render_with(chart, opts, false)
}

/// [`render`], also recording which template line printed each output line
/// (`Rendered::lines`), for `explain`.
pub fn render_traced(chart: &Chart, opts: &Options) -> Result<Rendered, HelmError> {
    render_with(chart, opts, true)
}

fn render_with(chart: &Chart, opts: &Options, trace: bool) -> Result<Rendered, HelmError> {
    let kube = opts
        .kube_version
        .clone()
        .unwrap_or_else(|| funcs::DEFAULT_KUBE_VERSION.to_string());
    let kube = if kube.starts_with('v') {
        kube
    } else {
        format!("v{kube}")
    };
    if let Some(constraint) = chart
        .metadata
        .get("kubeVersion")
        .and_then(Json::as_str)
        .filter(|c| !c.is_empty())
    {
        if !super::semver::compare(constraint, &kube).unwrap_or(false) {
            return Err(err(format!(
                "chart requires kubeVersion: {constraint} which is incompatible with Kubernetes {kube}"
            )));
        }
    }
    check_dependencies(chart)?;
    let mut chart = chart.clone();
    values::enabled_dependencies(&mut chart, &opts.values);
    let mut vals = values::coalesce(&chart, &opts.values);
    values::import_values(&chart, &mut vals);
    let vals = Json::Object(vals);
    let schema_warnings = if opts.skip_schema_validation {
        Vec::new()
    } else {
        check_schemas(&chart, &vals)?
    };

    let release = Release {
        chart: &chart,
        values: &vals,
        opts,
        kube: &kube,
    };

    // Rendered in Helm's order, as Helm does, or, for a large chart rendered alone, on
    // as many threads as there are cores, each taking the next template no thread has
    // taken. Each thread builds its own values and templates (they are not shared
    // between threads, and cost a millisecond on the largest charts: the other threads
    // start on them at once, while this one builds its own and parses), so a template
    // sees the same data either way, unless one changed the data in place
    // (`set .Values ...`, `set $ ...`) for those after it: then it all renders again,
    // in order, on this thread.
    let threads = if template_bytes(&chart) >= PARALLEL_RENDER_SIZE
        && rayon::current_thread_index().is_none()
    {
        crate::threads::cores()
    } else {
        1
    };
    let next = AtomicUsize::new(0);
    // A thread's share: (index, output) of each template it took, and whether one of
    // them changed data the templates share.
    let take =
        |templates: &BTreeMap<String, Renderable>, to_render: &[&String], set: &TemplateSet| {
            let mut changed = Vec::new();
            let mut outputs = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(k) = to_render.get(i) else { break };
                outputs.push((
                    i,
                    render_one(set, &templates[*k], k, trace, Some(&mut changed)),
                ));
            }
            let shared = changes_shared_data(templates, &changed);
            (outputs, shared)
        };
    let in_order =
        |templates: &BTreeMap<String, Renderable>, to_render: &[&String], set: &TemplateSet| {
            to_render
                .iter()
                .map(|k| {
                    (
                        (*k).clone(),
                        render_one(set, &templates[*k], k, trace, None),
                    )
                })
                .collect::<Vec<_>>()
        };
    let handed: Handover<Vec<(String, Arc<Parsed>)>> = Handover::new();
    let (crds, rendered) = std::thread::scope(|scope| {
        // Threads of its own, as `threads::map` has: the template values are not `Send`.
        // Each is handed the parsed templates when this thread has them, or nothing
        // when they do not parse.
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(crate::threads::STACK)
                    .spawn_scoped(scope, || {
                        let (templates, _) = release.templates();
                        let to_render = render_order(&templates).1;
                        match handed.wait() {
                            Some(parsed) => {
                                take(&templates, &to_render, &release.template_set(parsed))
                            }
                            None => (Vec::new(), false),
                        }
                    })
                    // Not started: this thread takes its share.
                    .ok()
            })
            .collect();
        let (templates, crds) = release.templates();
        let (keys, to_render) = render_order(&templates);
        let parsed = handed.maker().hand(parse_all(&templates, &keys)?);
        let set = release.template_set(parsed);
        if helpers.is_empty() {
            return Ok((crds, in_order(&templates, &to_render, &set)));
        }
        let mut shares = vec![take(&templates, &to_render, &set)];
        for helper in helpers {
            shares.push(
                helper
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            );
        }
        if shares.iter().any(|(_, shared)| *shared) {
            let (templates, _) = release.templates();
            let to_render = render_order(&templates).1;
            let set = release.template_set(parsed);
            return Ok((crds, in_order(&templates, &to_render, &set)));
        }
        let mut slots: Vec<Option<Result<Output, HelmError>>> =
            to_render.iter().map(|_| None).collect();
        for (i, output) in shares.into_iter().flat_map(|(outputs, _)| outputs) {
            slots[i] = Some(output);
        }
        let rendered = to_render
            .into_iter()
            .zip(slots)
            .map(|(k, o)| (k.clone(), o.expect("every template was taken")))
            .collect::<Vec<_>>();
        Ok::<_, HelmError>((crds, rendered))
    })?;

    let mut out = Rendered {
        crds,
        warnings: schema_warnings,
        ..Default::default()
    };
    for (k, one) in rendered {
        let mut one = one?;
        out.warnings.append(&mut one.warnings);
        if let Some(lines) = one.lines {
            out.lines.insert(k.clone(), lines);
        }
        out.files.insert(k, one.text);
    }
    out.warnings.sort();
    out.warnings.dedup();
    Ok(out)
}

/// The order templates are parsed in, and the order of those rendered (all but `_`
/// files). Parsed in Helm's order (deepest paths first; within a depth, reverse by
/// name): a parent's `define` parsed later wins over a subchart's of the same name.
fn render_order<'t>(
    templates: &'t BTreeMap<String, Renderable>,
) -> (Vec<&'t String>, Vec<&'t String>) {
    let mut keys: Vec<&String> = templates.keys().collect();
    keys.sort_by_cached_key(|k| std::cmp::Reverse((k.matches('/').count(), *k)));
    let to_render = keys
        .iter()
        .copied()
        .filter(|k| !k.rsplit('/').next().unwrap_or(k).starts_with('_'))
        .collect();
    (keys, to_render)
}

/// The bytes of template text in `chart` and its subcharts: whether it is large enough
/// to render on every core, known before any thread builds its templates.
fn template_bytes(chart: &Chart) -> usize {
    let own: usize = chart.templates.iter().map(|(_, text)| text.len()).sum();
    own + chart.dependencies.iter().map(template_bytes).sum::<usize>()
}

/// The templates `keys` names, parsed (kept by content, most parsed ahead by loading),
/// in that order; the first failure in that order, whichever thread met it first.
fn parse_all(
    templates: &BTreeMap<String, Renderable>,
    keys: &[&String],
) -> Result<Vec<(String, Arc<Parsed>)>, HelmError> {
    let texts: Vec<(&str, &Arc<str>)> = keys
        .iter()
        .map(|k| (k.as_str(), templates[*k].text))
        .collect();
    // Found as loading parsed them ahead, or parsed: pure, and the largest charts hold
    // megabytes of templates, so on all threads, then added in Helm's order.
    let ahead: Option<Vec<Arc<Parsed>>> = texts
        .iter()
        .map(|(_, text)| PARSED.kept_at(&Arc::<[u8]>::from(Arc::clone(text))))
        .collect();
    let parsed = match ahead {
        Some(parsed) => parsed,
        None => crate::threads::map(texts, |(name, text)| parse_template(name, text))
            .into_iter()
            // The first failure in Helm's order, whichever thread met it first.
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                // Helm: "parse error at (FILE:LINE): MESSAGE".
                err(format!(
                    "parse error at ({}:{}): {}",
                    e.name, e.line, e.message
                ))
            })?,
    };
    Ok(keys.iter().map(|k| (*k).clone()).zip(parsed).collect())
}

/// Templates parsed, by content: see [`parse_template`].
static PARSED: std::sync::LazyLock<crate::memo::ByContent<Arc<Parsed>>> =
    std::sync::LazyLock::new(Default::default);

/// A chart's template parsed, once per content: a fleet renders the same chart for
/// every cluster, and loading a chart parses its templates ahead (`chart::load_dir`).
/// Go's parser knows the functions too: a template naming one that does not exist does
/// not parse, even where the call would never run.
pub fn parse_template(name: &str, text: &Arc<str>) -> Result<Arc<Parsed>, ParseError> {
    PARSED.get_or_try_shared(&Arc::<[u8]>::from(text.clone()), || {
        let parsed = parse_text(name, text)?;
        match unknown_function(&parsed, &funcs::is_helm_function) {
            None => Ok(Arc::new(parsed)),
            Some((pos, f)) => Err(ParseError {
                name: name.to_string(),
                line: pos.line,
                message: format!("function {f:?} not defined"),
            }),
        }
    })
}

/// Below this much template text a chart renders on one thread: building a second
/// copy of the values and templates would cost more than it saves.
const PARALLEL_RENDER_SIZE: usize = 256 * 1024;

/// What one render is of: the chart (dependencies switched on or off), its coalesced
/// values and the release. All of it can be shared between threads; the template
/// values built from it cannot.
struct Release<'a> {
    chart: &'a Chart,
    values: &'a Json,
    opts: &'a Options,
    kube: &'a str,
}

impl<'a> Release<'a> {
    /// Every template of the chart and its subcharts with its scope, and the CRD files.
    fn templates(&self) -> (BTreeMap<String, Renderable<'a>>, CrdFiles) {
        let mut api_versions: Vec<String> = funcs::DEFAULT_API_VERSIONS
            .iter()
            .map(|s| s.to_string())
            .collect();
        api_versions.extend(self.opts.api_versions.iter().cloned());
        let caps = Value::Object(Rc::new(Capabilities {
            kube_version: self.kube.to_string(),
            api_versions,
        }));
        let release = Value::map(BTreeMap::from([
            ("Name".to_string(), Value::str(&self.opts.release)),
            ("Namespace".to_string(), Value::str(&self.opts.namespace)),
            ("IsUpgrade".to_string(), Value::Bool(self.opts.is_upgrade)),
            ("IsInstall".to_string(), Value::Bool(!self.opts.is_upgrade)),
            ("Revision".to_string(), Value::Int(1)),
            ("Service".to_string(), Value::str("Helm")),
        ]));
        let mut templates = BTreeMap::new();
        let mut crds = Vec::new();
        collect(
            self.chart,
            "",
            &Value::from_json(self.values),
            &release,
            &caps,
            true,
            &mut templates,
            &mut crds,
        );
        (templates, crds)
    }

    /// The parsed templates, added in Helm's order.
    fn template_set(&self, parsed: &[(String, Arc<Parsed>)]) -> TemplateSet {
        let mut set = TemplateSet::new(funcs::all());
        set.seed = Rc::from(format!("{}\0{}", self.opts.release, self.opts.namespace));
        for (k, p) in parsed {
            set.add_parsed(k, p);
        }
        set
    }
}

/// One template's output, the warnings its functions raised, and with a trace, the
/// origin of each output line.
struct Output {
    text: String,
    warnings: Vec<String>,
    lines: Option<Vec<Option<PrintedBy>>>,
}

/// Renders one template; the maps it changed in place are added to `changed`, if given.
fn render_one(
    set: &TemplateSet,
    r: &Renderable,
    k: &str,
    trace: bool,
    changed: Option<&mut Vec<Value>>,
) -> Result<Output, HelmError> {
    if let Value::Map(scope) = &r.scope {
        scope.borrow_mut().insert(
            "Template".into(),
            Value::map(BTreeMap::from([
                ("Name".to_string(), Value::str(k)),
                ("BasePath".to_string(), Value::str(&r.base_path)),
            ])),
        );
    }
    let mut exec = super::gotmpl::exec::Exec::new(set, k);
    if trace {
        exec.trace = Some(Box::default());
    }
    // Mostly the template's own text (CRDs are megabytes of it): grown once, not
    // doubled and copied a dozen times.
    let mut text = String::with_capacity(r.text.len());
    let done = exec.run_named(k, &r.scope, &mut text, None);
    if let Some(changed) = changed {
        changed.append(&mut exec.changed);
    }
    done.map_err(|e| err(helm_exec_error(k, &e)))?;
    let lines = exec.trace.take().map(|t| {
        // Removing `<no value>` below keeps every line where it is.
        t.finish(&text)
            .into_iter()
            .map(|c| c.map(|c| c.into_iter().map(|(f, l)| (f.to_string(), l)).collect()))
            .collect()
    });
    if text.contains("<no value>") {
        text = text.replace("<no value>", "");
    }
    Ok(Output {
        text,
        warnings: std::mem::take(&mut exec.warnings),
        lines,
    })
}

/// Whether any of the `changed` maps is part of the templates' data (`$`, `.Values`,
/// `.Release`, ... as they are now), rather than a dict a template made for itself.
fn changes_shared_data(templates: &BTreeMap<String, Renderable>, changed: &[Value]) -> bool {
    if changed.is_empty() {
        return false;
    }
    fn reach(v: &Value, seen: &mut HashSet<*const ()>) {
        match v {
            Value::Map(m) if seen.insert(Rc::as_ptr(m).cast()) => {
                for v in m.borrow().values() {
                    reach(v, seen);
                }
            }
            Value::List(l) => l.iter().for_each(|v| reach(v, seen)),
            _ => {}
        }
    }
    let mut seen = HashSet::new();
    for r in templates.values() {
        reach(&r.scope, &mut seen);
    }
    changed.iter().any(|v| match v {
        Value::Map(m) => seen.contains(&Rc::as_ptr(m).cast()),
        _ => false,
    })
}

/// Helm's `CheckDependencies`: every dependency Chart.yaml lists must be vendored
/// under `charts/` (nothing is ever downloaded).
fn check_dependencies(chart: &Chart) -> Result<(), HelmError> {
    let missing: Vec<&str> = chart
        .metadata
        .get("dependencies")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| d.get("name").and_then(Json::as_str))
        .filter(|name| !chart.dependencies.iter().any(|c| c.name() == *name))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(err(format!(
        "{}: found in Chart.yaml, but missing in charts/ directory: {}; vendor them with `helm dependency build` and commit charts/ (strata never downloads charts)",
        chart.source,
        missing.join(", ")
    )))
}

struct Renderable<'a> {
    text: &'a Arc<str>,
    /// The chart's top-level data (`$`), one map shared by all of the chart's templates,
    /// as Helm shares it: `set $ "k" v` in one is seen by those rendered after it.
    scope: Value,
    base_path: String,
}

/// Helm's `recAllTpls`: each chart's templates with its own `.Values`, `.Chart`,
/// `.Files` and `.Subcharts`.
#[allow(clippy::too_many_arguments)]
fn collect<'a>(
    chart: &'a Chart,
    parent_path: &str,
    values: &Value,
    release: &Value,
    caps: &Value,
    is_root: bool,
    out: &mut BTreeMap<String, Renderable<'a>>,
    crds: &mut CrdFiles,
) -> Value {
    let full = if parent_path.is_empty() {
        chart.name().to_string()
    } else {
        format!("{parent_path}/charts/{}", chart.name())
    };
    let scoped_values = if is_root {
        values.clone()
    } else {
        match values {
            Value::Map(_) => match values.get(chart.name()) {
                Some(v @ Value::Map(_)) => v,
                _ => Value::map(BTreeMap::new()),
            },
            _ => Value::map(BTreeMap::new()),
        }
    };
    for (path, bytes) in chart.crds() {
        crds.push((format!("{full}/{path}"), bytes.clone()));
    }
    let mut scope = BTreeMap::new();
    scope.insert("Chart".to_string(), chart_value(chart, is_root));
    scope.insert(
        "Files".to_string(),
        funcs::files_value(Arc::clone(&chart.files)),
    );
    scope.insert("Release".to_string(), release.clone());
    scope.insert("Capabilities".to_string(), caps.clone());
    scope.insert("Values".to_string(), scoped_values.clone());
    let mut subcharts = BTreeMap::new();
    for sub in &chart.dependencies {
        let sub_scope = collect(sub, &full, &scoped_values, release, caps, false, out, crds);
        subcharts.insert(sub.name().to_string(), sub_scope);
    }
    scope.insert("Subcharts".to_string(), Value::map(subcharts));
    let scope = Value::map(scope);
    for (name, text) in chart.templates.iter() {
        let base = name.rsplit('/').next().unwrap_or(name);
        if chart.is_library() && !base.starts_with('_') {
            continue;
        }
        out.insert(
            format!("{full}/{name}"),
            Renderable {
                text,
                scope: scope.clone(),
                base_path: format!("{full}/templates"),
            },
        );
    }
    scope
}

/// `.Chart`: the metadata with Go's field names, as Helm v4 hands it to templates.
fn chart_value(chart: &Chart, is_root: bool) -> Value {
    let m = &chart.metadata;
    let s = |k: &str| Value::str(m.get(k).and_then(Json::as_str).unwrap_or(""));
    let l = |k: &str| match m.get(k) {
        Some(v @ Json::Array(_)) => Value::from_json(v),
        _ => Value::list(Vec::new()),
    };
    let mut out = BTreeMap::new();
    out.insert("APIVersion".to_string(), s("apiVersion"));
    out.insert(
        "Annotations".to_string(),
        match m.get("annotations") {
            Some(v @ Json::Object(_)) => Value::from_json(v),
            _ => Value::map(BTreeMap::new()),
        },
    );
    out.insert("AppVersion".to_string(), s("appVersion"));
    out.insert("Condition".to_string(), s("condition"));
    out.insert("Dependencies".to_string(), l("dependencies"));
    out.insert(
        "Deprecated".to_string(),
        Value::Bool(m.get("deprecated").and_then(Json::as_bool).unwrap_or(false)),
    );
    out.insert("Description".to_string(), s("description"));
    out.insert("Home".to_string(), s("home"));
    out.insert("Icon".to_string(), s("icon"));
    out.insert("IsRoot".to_string(), Value::Bool(is_root));
    out.insert("Keywords".to_string(), l("keywords"));
    out.insert("KubeVersion".to_string(), s("kubeVersion"));
    out.insert("Maintainers".to_string(), l("maintainers"));
    out.insert("Name".to_string(), s("name"));
    out.insert("Sources".to_string(), l("sources"));
    out.insert("Tags".to_string(), s("tags"));
    out.insert("Type".to_string(), s("type"));
    out.insert("Version".to_string(), s("version"));
    Value::map(out)
}

/// Helm's `ValidateAgainstSchema`: the chart's schema over its values, then each
/// subchart's over its own, every failure gathered into one message; the warnings for
/// schemas that could not be used.
fn check_schemas(chart: &Chart, vals: &Json) -> Result<Vec<String>, HelmError> {
    let mut report = String::new();
    let mut warnings = Vec::new();
    schema_report(chart, chart.name(), vals, &mut report, &mut warnings);
    if report.is_empty() {
        return Ok(warnings);
    }
    Err(err(format!(
        "values don't meet the specifications of the schema(s) in the following chart(s):\n{report}"
    )))
}

/// `path`: the chart's folder as Helm names templates (`app/charts/common`).
fn schema_report(
    chart: &Chart,
    path: &str,
    vals: &Json,
    out: &mut String,
    warnings: &mut Vec<String>,
) {
    match chart.schema.as_deref() {
        // Helm downloads what a schema refers to; strata never uses the network. Not
        // checking is what Helm does for a chart without a schema, and the output is
        // the same for values the schema would accept.
        Some(crate::memo::JsonSchema {
            unfetched: Some(refs),
            ..
        }) => {
            let named = match refs.as_slice() {
                [] => "documents outside it".to_string(),
                [one] => one.clone(),
                [first, rest @ ..] => format!("{first} and {} more", rest.len()),
            };
            warnings.push(format!(
                "{path}/values.schema.json: refers to {named} ($ref), which strata does not \
                 fetch (it never uses the network): the values are not checked against \
                 this schema, which Helm checks after downloading what it refers to"
            ));
        }
        Some(schema) => {
            if let Err(lines) = super::schema::check(vals, schema) {
                out.push_str(&format!("{}:\n{}\n", chart.name(), lines.join("\n")));
            }
        }
        None => {}
    }
    for sub in &chart.dependencies {
        match vals.get(sub.name()) {
            None | Some(Json::Null) => {}
            Some(sub_vals @ Json::Object(_)) => schema_report(
                sub,
                &format!("{path}/charts/{}", sub.name()),
                sub_vals,
                out,
                warnings,
            ),
            Some(_) => out.push_str(&format!(
                "{}:\ninvalid type for values: expected object (map)\n",
                sub.name()
            )),
        }
    }
}

/// Helm v4's wording of a template failure (`reformatExecErrorMsg`): `execution error
/// at (FILE:LINE:COL): MSG` for `required`/`fail`, otherwise each error of the chain
/// as `LOCATION\n  executing "NAME" at <NODE>:\n    MESSAGE`.
pub fn helm_exec_error(filename: &str, e: &ExecError) -> String {
    let top = &e.message;
    let tokens: Vec<&str> = top.splitn(3, ": ").collect();
    if tokens.len() != 3 {
        return format!("execution error in ({filename}): {top}");
    }
    if let Some(start) = tokens[2].find(USER_ERROR_START) {
        let rest = &tokens[2][start + USER_ERROR_START.len()..];
        let msg = rest
            .rfind(USER_ERROR_END)
            .map(|end| &rest[..end])
            .unwrap_or(rest);
        return format!("execution error at ({}): {}", tokens[1], msg);
    }
    let mut parts: Vec<(String, String, String)> = Vec::new();
    for level in e.chain() {
        let Some(p) = parse_go_error(&level.message) else {
            return top.clone();
        };
        if parts.last() != Some(&p) {
            parts.push(p);
        }
    }
    let mut out = String::new();
    for (location, executing, message) in parts {
        if !location.is_empty() {
            out.push_str(&format!("{location}\n  "));
        }
        if !executing.is_empty() {
            out.push_str(&format!("{executing}\n    "));
        }
        if !message.is_empty() {
            out.push_str(&format!("{message}\n"));
        }
    }
    out.trim().to_string()
}

/// One Go template error string as (location, `executing "X" at <Y>:`, message).
fn parse_go_error(s: &str) -> Option<(String, String, String)> {
    let rest = s.strip_prefix("template: ")?;
    if rest.starts_with("no template ") {
        return Some((String::new(), String::new(), s.to_string()));
    }
    let cut_chain = |m: &str| {
        m.find(" template:")
            .map(|i| m[..i].to_string())
            .unwrap_or_else(|| m.to_string())
    };
    if let Some((name, after)) = rest.split_once(": executing ") {
        let after = after.strip_prefix('"')?;
        let end = after.find('"')?;
        let func = &after[..end];
        let after_at = after[end + 1..].strip_prefix(" at <")?;
        let (node, msg) = after_at.split_once(">: ")?;
        return Some((
            name.to_string(),
            format!("executing \"{func}\" at <{node}>:"),
            cut_chain(msg),
        ));
    }
    let sep = rest.rfind(": ")?;
    Some((
        rest[..sep].to_string(),
        String::new(),
        cut_chain(&rest[sep + 2..]),
    ))
}

/// Each document `helm template` prints, as (template path, text), in its order:
/// CRDs when asked, manifests in install order, then the hooks `stream` keeps. For
/// callers that take documents, not the stream: `show_only` is not applied.
pub fn manifests(rendered: &Rendered, stream: &Stream) -> Result<Vec<(String, String)>, HelmError> {
    let (manifests, hooks) = printed(rendered, stream)?;
    let mut out: Vec<(String, String)> = crds(rendered, stream)
        .map(|(p, b)| (p.clone(), text_of(b).into_owned()))
        .collect();
    out.extend(
        manifests
            .into_iter()
            .chain(hooks)
            .map(|m| (m.path.to_string(), m.content.into_owned())),
    );
    Ok(out)
}

/// The CRD files `stream` prints.
fn crds<'a>(
    rendered: &'a Rendered,
    stream: &Stream,
) -> impl Iterator<Item = &'a (String, FileBytes)> + Clone {
    let include = stream.include_crds;
    rendered.crds.iter().filter(move |_| include)
}

/// The manifests and hooks `stream` prints, each in Helm's order: hooks it leaves out
/// are gone, and a Secret it hides has Helm's comment for its text.
fn printed<'a>(rendered: &'a Rendered, stream: &Stream) -> Result<Sorted<'a>, HelmError> {
    let (mut manifests, mut hooks) = sorted_manifests(rendered)?;
    if stream.no_hooks {
        hooks.clear();
    }
    if stream.skip_tests {
        hooks.retain(|h| !h.test);
    }
    if stream.hide_secret {
        for m in manifests.iter_mut().filter(|m| m.secret_v1) {
            m.content = Cow::Borrowed("# HIDDEN: The Secret output has been suppressed");
        }
    }
    Ok((manifests, hooks))
}

/// A CRD file as text; Go prints invalid UTF-8 as it is, and a Rust string cannot
/// hold it, so such bytes become U+FFFD.
fn text_of(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    // `from_utf8_lossy` checks slowly, character by character, even valid text.
    match std::str::from_utf8(bytes) {
        Ok(s) => s.into(),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Helm's `SortManifests`: documents split out of each template, hooks apart, both
/// sorted by kind in install order.
type Sorted<'a> = (Vec<Manifest<'a>>, Vec<Manifest<'a>>);

fn sorted_manifests(rendered: &Rendered) -> Result<Sorted<'_>, HelmError> {
    let mut manifests: Vec<Manifest> = Vec::new();
    let mut hooks: Vec<Manifest> = Vec::new();
    let mut docs: Vec<(&String, Cow<str>)> = Vec::new();
    for (path, content) in &rendered.files {
        if path.ends_with("NOTES.txt") {
            continue;
        }
        let base = path.rsplit('/').next().unwrap_or(path);
        if base.starts_with('_') || content.trim().is_empty() {
            continue;
        }
        docs.extend(split_manifests(content).into_iter().map(|d| (path, d)));
    }
    let heads: Vec<Result<Head, String>> =
        crate::threads::map(docs.iter().collect(), |(_, d)| head_of(d));
    // Helm's hook events; `test-success` is Helm 2's name for `test`.
    const HOOK_EVENTS: &[&str] = &[
        "pre-install",
        "post-install",
        "pre-delete",
        "post-delete",
        "pre-upgrade",
        "post-upgrade",
        "pre-rollback",
        "post-rollback",
        "test",
        "test-success",
    ];
    for ((path, content), head) in docs.into_iter().zip(heads) {
        let head = head.map_err(|e| err(format!("YAML parse error on {path}: {e}")))?;
        let mut m = Manifest {
            path,
            secret_v1: head.kind == "Secret" && head.api_version == "v1",
            kind: head.kind,
            content,
            test: false,
        };
        let Some(events) = head.hook else {
            manifests.push(m);
            continue;
        };
        let events: Vec<String> = events.split(',').map(|e| e.trim().to_lowercase()).collect();
        // A hook with an event Helm does not know is dropped.
        if events.iter().all(|e| HOOK_EVENTS.contains(&e.as_str())) {
            m.test = events.iter().any(|e| e == "test" || e == "test-success");
            hooks.push(m);
        }
    }
    sort_by_kind(&mut manifests);
    sort_by_kind(&mut hooks);
    Ok((manifests, hooks))
}

/// The stream `helm template` prints: CRDs when asked, manifests in install order,
/// then hooks, as `stream` picks them.
pub fn template_stream(rendered: &Rendered, stream: &Stream) -> Result<String, HelmError> {
    let (manifests, hooks) = printed(rendered, stream)?;
    // One buffer of the final size: a chart with CRDs prints megabytes, and every copy
    // of them is fresh memory the kernel zeroes first.
    let crds = crds(rendered, stream);
    let size: usize = crds
        .clone()
        .map(|(p, t)| p.len() + t.len() + 16)
        .sum::<usize>()
        + manifests
            .iter()
            .chain(&hooks)
            .map(|m| m.path.len() + m.content.len() + 16)
            .sum::<usize>();
    let mut body = String::with_capacity(size + 1);
    let source = |body: &mut String, path: &str, text: &str| {
        body.push_str("---\n# Source: ");
        body.push_str(path);
        body.push('\n');
        body.push_str(text);
        body.push('\n');
    };
    for (path, bytes) in crds {
        source(&mut body, path, &text_of(bytes));
    }
    for m in &manifests {
        source(&mut body, m.path, &m.content);
    }
    // Helm trims the manifests' part; it starts with `---` (or is empty), so only its
    // end has anything to trim.
    let mut out = body;
    out.truncate(out.trim_end().len());
    out.push('\n');
    for h in &hooks {
        source(&mut out, h.path, &h.content);
    }
    if stream.show_only.is_empty() {
        return Ok(out);
    }
    let docs = split_manifests(&out);
    let mut picked = String::new();
    for want in &stream.show_only {
        let mut found = false;
        for d in &docs {
            let Some(line) = d.lines().find_map(|l| l.strip_prefix("# Source: ")) else {
                continue;
            };
            let Some((_, rel)) = line.split_once('/') else {
                continue;
            };
            let matched = globset::GlobBuilder::new(want)
                .literal_separator(true)
                .build()
                .map(|g| g.compile_matcher().is_match(rel))
                .unwrap_or(false);
            if matched {
                picked.push_str(&format!("---\n{d}\n"));
                found = true;
            }
        }
        if !found {
            return Err(err(format!("could not find template {want} in chart")));
        }
    }
    Ok(picked)
}

struct Manifest<'a> {
    path: &'a str,
    kind: String,
    content: Cow<'a, str>,
    /// A hook run by `helm test`.
    test: bool,
    /// `apiVersion: v1` and `kind: Secret`, what `--hide-secret` hides.
    secret_v1: bool,
}

/// What Helm reads of a document's head (`SimpleHead`).
struct Head {
    kind: String,
    api_version: String,
    hook: Option<String>,
}

/// Whether `text` holds a character go-yaml v2's reader refuses: a C0 control other than
/// tab, newline and carriage return, DEL, a C1 control other than NEL, U+FFFE or U+FFFF.
fn has_control_character(text: &str) -> bool {
    // Every such character's encoding holds a byte below 0x20, 0x7F, 0xC2 or 0xEF. The
    // bytes are tested 32 at a time without stopping inside a block (the compiler then
    // tests a block at once): a byte at a time, this was a sixteenth of a fleet's render.
    fn suspect(b: u8) -> bool {
        (b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r')
            | (b == 0x7F)
            | (b == 0xC2)
            | (b == 0xEF)
    }
    let blocks = text.as_bytes().chunks(32);
    let any_suspect = blocks
        .into_iter()
        .any(|block| block.iter().fold(false, |found, &b| found | suspect(b)));
    any_suspect
        && text.chars().any(|c| {
            matches!(c as u32, 0..=0x08 | 0x0B | 0x0C | 0x0E..=0x1F | 0x7F..=0x84 | 0x86..=0x9F | 0xFFFE | 0xFFFF)
        })
}

/// Helm's `yaml.Unmarshal` of a document into `SimpleHead` (sigs.k8s.io/yaml: YAML 1.1,
/// scalars turned into the text a string field wants, then Go's JSON decoding): a
/// document that is not a mapping, or whose `apiVersion`, `kind`, `metadata`,
/// `metadata.name` or an annotation is a list or mapping where text belongs, fails the
/// render. Skimmed when the document is plainly written (the skim declines anything
/// it is not sure of, wrong types included); parsed in full otherwise.
fn head_of(doc: &str) -> Result<Head, String> {
    const KIND: &[&str] = &["kind"];
    const HOOK: &[&str] = &["metadata", "annotations", "helm.sh/hook"];
    const API_VERSION: &[&str] = &["apiVersion"];
    const NAME: &[&str] = &["metadata", "name"];
    const ANNOTATIONS: &[&str] = &["metadata", "annotations", "*"];
    if has_control_character(doc) {
        // go-yaml's reader refuses the whole document before it parses anything.
        return Err(
            "error converting YAML to JSON: yaml: control characters are not allowed".into(),
        );
    }
    if let Some(found) = crate::yaml::skim(doc, &[KIND, HOOK, API_VERSION, NAME, ANNOTATIONS]) {
        let mut found = found.into_iter();
        let kind = found.next().flatten().unwrap_or_default();
        let hook = found.next().flatten();
        let api_version = found.next().flatten().unwrap_or_default();
        return Ok(Head {
            kind,
            api_version,
            hook,
        });
    }
    let docs = crate::yaml::parse_stream_helm(doc).map_err(|e| {
        format!(
            "error converting YAML to JSON: yaml: line {}: {}",
            e.line, e.message
        )
    })?;
    let v = docs
        .into_iter()
        .next()
        .map(|d| d.value)
        .unwrap_or(Json::Null);
    head_types(&v)
        .map_err(|e| format!("error unmarshaling JSON: while decoding JSON: json: {e}"))?;
    let text_at = |key: &str| v.get(key).and_then(Json::as_str).unwrap_or("").to_string();
    let (kind, api_version) = (text_at("kind"), text_at("apiVersion"));
    // A scalar annotation is read as its text (`helm.sh/hook: yes` is "true").
    let hook = v
        .pointer("/metadata/annotations/helm.sh~1hook")
        .and_then(|h| match h {
            Json::String(s) => Some(s.clone()),
            Json::Bool(b) => Some(b.to_string()),
            Json::Number(n) => Some(n.to_string()),
            _ => None,
        });
    Ok(Head {
        kind,
        api_version,
        hook,
    })
}

/// Go's `UnmarshalTypeError` for the first field of `SimpleHead` (in JSON's sorted key
/// order) whose value has the wrong type.
fn head_types(v: &Json) -> Result<(), String> {
    let json_kind = |v: &Json| match v {
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
        Json::Null => "null",
    };
    let field = |v: Option<&Json>, field: &str, ty: &str| match v {
        None | Some(Json::Null | Json::String(_) | Json::Bool(_) | Json::Number(_)) => Ok(()),
        Some(other) => Err(format!(
            "cannot unmarshal {} into Go struct field {field} of type {ty}",
            json_kind(other)
        )),
    };
    let map = match v {
        Json::Null => return Ok(()),
        Json::Object(m) => m,
        other => {
            return Err(format!(
                "cannot unmarshal {} into Go value of type util.SimpleHead",
                json_kind(other)
            ))
        }
    };
    field(map.get("apiVersion"), "SimpleHead.apiVersion", "string")?;
    field(map.get("kind"), "SimpleHead.kind", "string")?;
    let meta = match map.get("metadata") {
        None | Some(Json::Null) => return Ok(()),
        Some(Json::Object(meta)) => meta,
        Some(other) => {
            return Err(format!(
                "cannot unmarshal {} into Go struct field SimpleHead.metadata of type struct {{ Name string \"json:\\\"name\\\"\"; Annotations map[string]string \"json:\\\"annotations\\\"\" }}",
                json_kind(other)
            ))
        }
    };
    match meta.get("annotations") {
        None | Some(Json::Null) => {}
        Some(Json::Object(a)) => {
            for value in a.values() {
                field(Some(value), ".metadata.annotations", "string")?;
            }
        }
        Some(other) => {
            return Err(format!(
                "cannot unmarshal {} into Go struct field .metadata.annotations of type map[string]string",
                json_kind(other)
            ))
        }
    }
    field(meta.get("name"), ".metadata.name", "string")
}

/// Helm v4's `SplitManifests`: documents split at lines starting with `---`,
/// leading space trimmed, blank ones dropped. Borrowed, unless a document's first line
/// followed `---` on the same line.
fn split_manifests<'a>(text: &'a str) -> Vec<Cow<'a, str>> {
    let trimmed = text.trim_start();
    let mut docs = Vec::new();
    // What followed `---[ \t]*` on its line, which belongs to the next document.
    let mut head = "";
    let mut start = 0;
    let mut push = |head: &'a str, body: &'a str| {
        let head = head.trim_start();
        let body = if head.is_empty() {
            body.trim_start()
        } else {
            body
        };
        if !(head.is_empty() && body.trim_end().is_empty()) {
            docs.push(if head.is_empty() {
                Cow::Borrowed(body)
            } else {
                Cow::Owned([head, body].concat())
            });
        }
    };
    // Only lines that start with `---` matter: found with memmem, not line by line
    // (a chart with CRDs prints megabytes).
    let bytes = trimmed.as_bytes();
    let first = trimmed.starts_with("---").then_some(0);
    let later = memchr::memmem::find_iter(bytes, b"\n---").map(|k| k + 1);
    for at in first.into_iter().chain(later) {
        let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |e| at + e + 1);
        push(head, &trimmed[start..at]);
        head = trimmed[at + 3..end].trim_start_matches([' ', '\t']);
        start = end;
    }
    push(head, &trimmed[start..]);
    docs
}

const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Helm's stable sort by kind: known kinds in install order, unknown kinds after
/// them by name.
fn sort_by_kind(items: &mut [Manifest]) {
    let rank = |k: &str| INSTALL_ORDER.iter().position(|o| *o == k);
    items.sort_by(|a, b| match (rank(&a.kind), rank(&b.kind)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.kind.cmp(&b.kind),
    });
}

impl std::error::Error for HelmError {}

#[cfg(test)]
mod tests {
    use super::{changes_shared_data, head_of, Renderable, Value};
    use std::collections::BTreeMap;
    use std::sync::Arc;

    #[test]
    fn only_changes_to_the_templates_data_are_shared() {
        let nested = Value::map(BTreeMap::from([("a".to_string(), Value::Int(1))]));
        let listed = Value::map(BTreeMap::new());
        let values = Value::map(BTreeMap::from([
            ("nested".to_string(), nested.clone()),
            ("items".to_string(), Value::list(vec![listed.clone()])),
        ]));
        let scope = Value::map(BTreeMap::from([("Values".to_string(), values.clone())]));
        // A map that holds itself: the walk must end.
        if let Value::Map(m) = &scope {
            m.borrow_mut().insert("self".to_string(), scope.clone());
        }
        let text: Arc<str> = Arc::from("");
        let templates = BTreeMap::from([(
            "c/templates/t.yaml".to_string(),
            Renderable {
                text: &text,
                scope: scope.clone(),
                base_path: "c/templates".to_string(),
            },
        )]);
        let own = Value::map(BTreeMap::new());
        assert!(!changes_shared_data(&templates, &[]));
        assert!(!changes_shared_data(&templates, std::slice::from_ref(&own)));
        for shared in [&scope, &values, &nested, &listed] {
            assert!(changes_shared_data(
                &templates,
                &[own.clone(), shared.clone()]
            ));
        }
    }

    #[test]
    fn a_control_character_anywhere_fails_the_document_as_go_yaml_does() {
        let refused = "error converting YAML to JSON: yaml: control characters are not allowed";
        for bad in [
            "\u{7f}",
            "\u{1}",
            "\u{1b}[0m",
            "\u{80}",
            "\u{9f}",
            "\u{fffe}",
        ] {
            let doc = format!("kind: ConfigMap\ndata:\n  a: \"x{bad}y\"\n");
            assert_eq!(head_of(&doc).err().as_deref(), Some(refused), "{bad:?}");
            let comment = format!("kind: ConfigMap\n# {bad}\n");
            assert_eq!(head_of(&comment).err().as_deref(), Some(refused), "{bad:?}");
        }
        for good in ["\t", "\u{85}", "\u{a0}", "é", "\u{fffd}", "\u{1f600}"] {
            let doc = format!("kind: ConfigMap\ndata:\n  a: \"x{good}y\"\n");
            assert_eq!(
                head_of(&doc).map(|h| h.kind),
                Ok("ConfigMap".to_string()),
                "{good:?}"
            );
        }
    }
}
