//! A Helm chart as Helm's loader reads it from a folder: `Chart.yaml`, `values.yaml`,
//! `values.schema.json`, `templates/`, subcharts under `charts/` (folders or vendored
//! `.tgz` archives), every other file for `.Files`, and `.helmignore`.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::fs::{FileBytes, FileSystem};
use crate::yaml;
use serde_json::{Map, Value as Json};
use std::io::Read;
use std::sync::Arc;

/// One chart and, recursively, its subcharts.
#[derive(Clone, Debug, Default)]
pub struct Chart {
    /// `Chart.yaml` as data (`name`, `version`, `appVersion`, `dependencies`, ...).
    /// Shared, as the values are: a fleet renders one loaded chart per cluster.
    pub metadata: Arc<Map<String, Json>>,
    /// `values.yaml` (an empty map when the chart has none).
    pub values: Arc<Map<String, Json>>,
    pub schema: Option<Arc<crate::memo::JsonSchema>>,
    /// `templates/...` paths and their text, sorted by path. Shared: a render works on
    /// a copy of the chart (conditions switch dependencies off).
    pub templates: Arc<Vec<(String, Arc<str>)>>,
    /// Every other file (including `crds/`), for `.Files`; sorted by path.
    pub files: Arc<Vec<(String, FileBytes)>>,
    pub dependencies: Vec<Chart>,
    /// Where the chart came from, for messages (`apps/web/base/Chart.yaml`).
    pub source: String,
}

impl Chart {
    pub fn name(&self) -> &str {
        self.metadata
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or("")
    }

    pub fn is_library(&self) -> bool {
        self.metadata.get("type").and_then(Json::as_str) == Some("library")
    }

    /// The CRD files under `crds/` (Helm's `CRDObjects`, this chart only).
    pub fn crds(&self) -> impl Iterator<Item = &(String, FileBytes)> {
        self.files.iter().filter(|(p, _)| {
            p.starts_with("crds/")
                && (p.ends_with(".yaml") || p.ends_with(".yml") || p.ends_with(".json"))
        })
    }
}

/// A file of a chart: its path inside the chart and its bytes.
type ChartFile = (String, FileBytes);

/// Loads the chart in `dir` (root-relative).
pub fn load_dir(fs: &dyn FileSystem, dir: &str) -> Result<Chart> {
    // `.helmignore` first, so ignored files are never read: they are not the chart's
    // inputs, and a change to them (a README, CI values) must not re-render it.
    let rules_file = join(dir, ".helmignore");
    let rules = if fs.is_file(&rules_file) {
        Some(
            fs.read(&rules_file)
                .map_err(|e| Error::from(e).in_file(&rules_file))?,
        )
    } else {
        None
    };
    let ignore = Ignore::shared(rules.as_deref(), &rules_file)?;
    let read_one = |rel: String| {
        let path = join(dir, &rel);
        let read = if is_parsed(&rel) {
            fs.read_shared(&path).map(|bytes| {
                prefetch(&rel, &path, &bytes);
                FileBytes::Shared(bytes)
            })
        } else {
            fs.read_mapped(&path)
        };
        let read = read.map_err(|e| Error::from(e).in_file(&path));
        (rel, read)
    };
    // Reading and parsing are most of loading a large chart, and each file is read and
    // parsed (templates, values, schemas) alone, so on all threads, starting while the
    // walk is still finding files, and kept by content for `load_files` and the render.
    let mut read =
        crate::threads::map_as_found(|found| walk(fs, dir, "", &ignore, found), read_one)?;
    // Back in Helm's order (each folder's entries by name, a subfolder's files where its
    // name sorts): the first failure is the first file's.
    read.sort_by(|(a, _), (b, _)| by_components(a, b));
    let files = read
        .into_iter()
        .map(|(rel, bytes)| bytes.map(|b| (rel, b)))
        .collect::<Result<Vec<_>>>()?;
    load_files(files, &join(dir, "Chart.yaml"))
}

/// Parses what `load_files` and the render will ask for, so that it is kept by content
/// when they do. Failures are not kept: they are met again, and reported, there.
fn prefetch(rel: &str, path: &str, bytes: &Arc<[u8]>) {
    if is_template(rel) {
        if let Some(text) = shared_str(bytes.clone()) {
            let _ = crate::helm::render::parse_template(rel, &text);
        }
        return;
    }
    match chart_file(rel) {
        Some("values.yaml") => {
            let _ = yaml_map(path, bytes);
        }
        Some("Chart.yaml") => {
            let _ = chart_yaml(path, bytes);
        }
        Some("values.schema.json") => {
            if let Ok(text) = std::str::from_utf8(bytes) {
                let _ = crate::memo::json_schema(text);
            }
        }
        _ => {}
    }
}

/// Whether loading the chart parses the file, and so reads all of it: the others
/// (`.Files`) may never be looked at.
fn is_parsed(path: &str) -> bool {
    is_template(path)
        || matches!(
            chart_file(path),
            Some("Chart.yaml" | "values.yaml" | "values.schema.json" | "requirements.yaml")
        )
}

/// The path of a chart file inside the chart, or inside the subchart folder under
/// `charts/` that holds it.
fn chart_file(path: &str) -> Option<&str> {
    let mut rest = path;
    while let Some(sub) = rest.strip_prefix("charts/") {
        rest = sub.split_once('/')?.1;
    }
    Some(rest)
}

/// Whether a chart file is a template of the chart or of a subchart in a folder.
fn is_template(path: &str) -> bool {
    chart_file(path).is_some_and(|p| p.starts_with("templates/"))
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Paths in the order of their components (`a/b` before `a-c`, as a walk lists them):
/// their bytes with `/` below every other byte, without splitting each at every step.
fn by_components(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let same = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let key = |c: u8| if c == b'/' { 0 } else { u16::from(c) + 1 };
    match (a.get(same), b.get(same)) {
        (Some(&x), Some(&y)) => key(x).cmp(&key(y)),
        _ => a.len().cmp(&b.len()),
    }
}

/// Calls `found` with the path (relative to `root`) of each file under `root/rel` that
/// `.helmignore` keeps: a folder's files before its subfolders', each by name. A chart's
/// `values.yaml`, often the largest file parsed, is then parsed while the walk goes on
/// rather than last, when one thread would parse it with the other idle.
fn walk(
    fs: &dyn FileSystem,
    root: &str,
    rel: &str,
    ignore: &Ignore,
    found: &mut dyn FnMut(String),
) -> Result<()> {
    let dir = if rel.is_empty() {
        root.to_string()
    } else {
        join(root, rel)
    };
    let mut names = fs
        .list_dir(&dir)
        .map_err(|e| Error::from(e).in_file(&dir))?;
    names.sort();
    let mut folders = Vec::new();
    for name in names {
        let child_rel = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if fs.is_dir(&join(root, &child_rel)) {
            // Helm skips an ignored folder whole (nothing inside can be un-ignored).
            if !ignore.ignored(&format!("{child_rel}/")) {
                folders.push(child_rel);
            }
        } else if !ignore.ignored(&child_rel) {
            found(child_rel);
        }
    }
    for folder in folders {
        walk(fs, root, &folder, ignore, found)?;
    }
    Ok(())
}

/// Builds a chart from its files (paths relative to the chart folder).
fn load_files(files: Vec<ChartFile>, source: &str) -> Result<Chart> {
    let mut chart = Chart {
        metadata: Arc::default(),
        values: Arc::default(),
        schema: None,
        templates: Arc::default(),
        files: Arc::default(),
        dependencies: Vec::new(),
        source: source.to_string(),
    };
    let mut templates = Vec::new();
    let mut other_files = Vec::new();
    let mut has_chart_yaml = false;
    let mut requirements = None;
    let mut sub_dirs: std::collections::BTreeMap<String, Vec<ChartFile>> = Default::default();
    let base = source.strip_suffix("Chart.yaml").unwrap_or("").to_string();
    for (path, bytes) in files {
        let where_ = format!("{base}{path}");
        match path.as_str() {
            "Chart.yaml" => {
                has_chart_yaml = true;
                chart.metadata = chart_yaml(&where_, &bytes)?;
            }
            "values.yaml" => chart.values = yaml_map(&where_, &bytes)?,
            // Helm reads a v1 chart's dependencies from requirements.yaml (after
            // Chart.yaml, so its list wins); a v2 chart's is not among its files.
            "requirements.yaml" => {
                requirements = Some(yaml_map(&where_, &bytes)?);
                other_files.push((path, bytes));
            }
            "values.schema.json" => {
                let invalid = |e: &dyn std::fmt::Display| {
                    Error::new(
                        ErrorKind::Syntax,
                        where_.clone(),
                        format!("invalid JSON schema: {e}"),
                    )
                };
                let text = std::str::from_utf8(&bytes).map_err(|e| invalid(&e))?;
                chart.schema = Some(crate::memo::json_schema(text).map_err(|e| invalid(&e))?)
            }
            p if p.starts_with("templates/") => {
                let text = shared_str(bytes.into_shared()).ok_or_else(|| {
                    Error::new(
                        ErrorKind::Syntax,
                        where_.clone(),
                        "template is not UTF-8 text",
                    )
                })?;
                templates.push((path, text));
            }
            p if p.starts_with("charts/") => {
                let rest = &p["charts/".len()..];
                match rest.split_once('/') {
                    Some((sub, inner)) => sub_dirs
                        .entry(sub.to_string())
                        .or_default()
                        .push((inner.to_string(), bytes)),
                    None if rest.ends_with(".tgz") || rest.ends_with(".tar.gz") => {
                        let sub_files = untar(&bytes, &where_)?;
                        chart
                            .dependencies
                            .push(load_files(sub_files, &format!("{where_}/Chart.yaml"))?);
                    }
                    None => {}
                }
            }
            _ => other_files.push((path, bytes)),
        }
    }
    if !has_chart_yaml {
        return Err(Error::new(
            ErrorKind::Missing,
            source.to_string(),
            "does not exist; a Helm chart folder needs Chart.yaml (apiVersion, name, version)",
        ));
    }
    if let Some(req) = requirements {
        if chart.metadata.get("apiVersion").and_then(Json::as_str) != Some("v1") {
            other_files.retain(|(p, _)| p != "requirements.yaml" && p != "requirements.lock");
        }
        if let Some(deps) = req.get("dependencies") {
            let mut meta = (*chart.metadata).clone();
            meta.insert("dependencies".into(), deps.clone());
            chart.metadata = metadata_strings(&meta);
        }
    }
    for (sub, sub_files) in sub_dirs {
        let src = format!("{base}charts/{sub}/Chart.yaml");
        if sub_files.iter().any(|(p, _)| p == "Chart.yaml") {
            chart.dependencies.push(load_files(sub_files, &src)?);
        }
    }
    if chart.name().is_empty() {
        return Err(Error::new(
            ErrorKind::Invalid,
            source.to_string(),
            "validation: chart.metadata.name is required",
        ));
    }
    templates.sort();
    chart.templates = Arc::new(templates);
    chart.files = Arc::new(other_files);
    Ok(chart)
}

/// The bytes as text, sharing them (a large chart has megabytes of templates); `None`
/// when they are not UTF-8.
fn shared_str(bytes: Arc<[u8]>) -> Option<Arc<str>> {
    std::str::from_utf8(&bytes).ok()?;
    // SAFETY: the bytes are UTF-8, and `str` has the layout of `[u8]`.
    Some(unsafe { Arc::from_raw(Arc::into_raw(bytes) as *const str) })
}

/// Chart.yaml's fields as Helm's `chart.Metadata` reads them: a number or bool where Go
/// has a string field turns into its text (`appVersion: 1.0` is "1", aws-sigv4-proxy's
/// chart), so `.Chart.AppVersion` and the dependency ranges see what Helm sees.
fn metadata_strings(meta: &Map<String, Json>) -> Arc<Map<String, Json>> {
    const STRINGS: [&str; 11] = [
        "name",
        "home",
        "version",
        "description",
        "icon",
        "apiVersion",
        "condition",
        "tags",
        "appVersion",
        "kubeVersion",
        "type",
    ];
    const DEP_STRINGS: [&str; 5] = ["name", "version", "repository", "condition", "alias"];
    fn fix(m: &mut Map<String, Json>, keys: &[&str]) {
        for k in keys {
            if let Some(v) = m.get_mut(*k) {
                if !v.is_string() {
                    if let Some(s) = crate::yaml::go_string_field(v) {
                        *v = Json::String(s);
                    }
                }
            }
        }
    }
    let scalar = |v: &Json| v.is_number() || v.is_boolean();
    let mut m = meta.clone();
    fix(&mut m, &STRINGS);
    for k in ["keywords", "sources"] {
        if let Some(Json::Array(a)) = m.get_mut(k) {
            for v in a.iter_mut().filter(|v| scalar(v)) {
                *v = Json::String(crate::yaml::go_string_field(v).unwrap_or_default());
            }
        }
    }
    if let Some(Json::Object(a)) = m.get_mut("annotations") {
        for v in a.values_mut().filter(|v| scalar(v)) {
            *v = Json::String(crate::yaml::go_string_field(v).unwrap_or_default());
        }
    }
    if let Some(Json::Array(deps)) = m.get_mut("dependencies") {
        for d in deps.iter_mut().filter_map(Json::as_object_mut) {
            fix(d, &DEP_STRINGS);
        }
    }
    Arc::new(m)
}

/// `Chart.yaml` as Helm reads it into `chart.Metadata` ([`metadata_strings`]), once per
/// content: a fleet loads the same chart for every cluster.
fn chart_yaml(file: &str, bytes: &[u8]) -> Result<Arc<Map<String, Json>>> {
    static READ: std::sync::LazyLock<crate::memo::ByContent<Arc<Map<String, Json>>>> =
        std::sync::LazyLock::new(Default::default);
    READ.get_or_try(bytes, || {
        yaml_map(file, bytes).map(|m| metadata_strings(&m))
    })
}

fn yaml_map(file: &str, bytes: &[u8]) -> Result<Arc<Map<String, Json>>> {
    /// `Chart.yaml` and `values.yaml` by content: a fleet loads the same chart for every
    /// cluster, and a large chart's values took a millisecond to parse.
    static PARSED: std::sync::LazyLock<crate::memo::ByContent<Arc<Map<String, Json>>>> =
        std::sync::LazyLock::new(Default::default);
    PARSED.get_or_try(bytes, || {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| Error::new(ErrorKind::Syntax, file.to_string(), "not UTF-8 text"))?;
        if let Some(quick) = yaml::read_helm_values(text) {
            return Ok(Arc::new(quick.unwrap_or_default()));
        }
        let docs = yaml::parse_stream_helm(text)
            .map_err(|e| crate::kustomize::loader::yaml_error(file, e))?;
        match docs.into_iter().map(|d| d.value).find(|v| !v.is_null()) {
            None => Ok(Arc::default()),
            Some(Json::Object(m)) => Ok(Arc::new(m)),
            Some(_) => Err(Error::new(
                ErrorKind::Syntax,
                file.to_string(),
                "expected a mapping",
            )),
        }
    })
}

/// The files of a chart archive (`name/...` inside), relative to the chart folder.
fn untar(bytes: &[u8], file: &str) -> Result<Vec<ChartFile>> {
    let bad = |e: std::io::Error| {
        Error::new(
            ErrorKind::Syntax,
            file.to_string(),
            format!("not a readable chart archive: {e}"),
        )
    };
    let gz = flate2::read::GzDecoder::new(bytes);
    let mut archive = tar::Archive::new(gz);
    let mut out = Vec::new();
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()
            .map_err(bad)?
            .to_string_lossy()
            .replace('\\', "/");
        // Archives hold one top folder, the chart's name; nothing may climb out.
        let Some((_, inner)) = path.split_once('/') else {
            continue;
        };
        if inner.split('/').any(|s| s == ".." || s.is_empty()) {
            return Err(Error::new(
                ErrorKind::Forbidden,
                file.to_string(),
                format!("archive entry '{path}' leaves the chart"),
            ));
        }
        let mut data = Vec::new();
        entry.read_to_end(&mut data).map_err(bad)?;
        out.push((inner.to_string(), FileBytes::Shared(data.into())));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// `.helmignore` rules as Helm's loader applies them (`pkg/ignore`): Go
/// `filepath.Match` globs, `dir/` for folders only, a leading `/` or any `/` to match the
/// whole path (else the last name), `!` to negate; then Helm's default
/// `templates/.?*`. The loader asks about each folder before it looks inside (an
/// ignored folder is skipped whole) and about each file.
struct Ignore {
    rules: Vec<Rule>,
}

struct Rule {
    glob: GoGlob,
    negate: bool,
    dir_only: bool,
    /// Matched against the whole path; otherwise against its last name.
    whole_path: bool,
}

impl Ignore {
    /// The rules of this `.helmignore` text (`file` names it in errors), compiled once
    /// per command.
    fn shared(text: Option<&[u8]>, file: &str) -> Result<Arc<Ignore>> {
        static COMPILED: std::sync::LazyLock<crate::memo::ByContent<Arc<Ignore>>> =
            std::sync::LazyLock::new(Default::default);
        // No file and an empty one mean the same rules.
        let text = text.unwrap_or_default();
        COMPILED.get_or_try(text, || {
            Ignore::new(text).map(Arc::new).map_err(|(line, message)| {
                Error::new(
                    ErrorKind::Syntax,
                    file.to_string(),
                    format!(
                        "{message}; Helm cannot load the chart with this rule: fix or remove it"
                    ),
                )
                .at_line(u32::try_from(line).unwrap_or(u32::MAX))
            })
        })
    }

    /// The rules, or the line and Helm's message for the first it refuses.
    fn new(text: &[u8]) -> std::result::Result<Ignore, (usize, String)> {
        let text = String::from_utf8_lossy(text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text));
        let mut rules = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if let Some(rule) = Rule::parse(line).map_err(|m| (n + 1, m))? {
                rules.push(rule);
            }
        }
        if let Ok(Some(default)) = Rule::parse("templates/.?*") {
            rules.push(default);
        }
        Ok(Ignore { rules })
    }

    /// Whether `path` (a folder when it ends with `/`) is left out of the chart.
    fn ignored(&self, path: &str) -> bool {
        self.decide(path)
    }

    /// Helm's `Rules.Ignore`: the first rule that matches ignores the path. A negated
    /// rule ignores every path it does *not* match (and every file, when it names
    /// folders), and lets the rest go on to the next rule.
    fn decide(&self, path: &str) -> bool {
        let (path, is_dir) = match path.strip_suffix('/') {
            Some(p) => (p, true),
            None => (path, false),
        };
        let name = path.rsplit('/').next().unwrap_or(path);
        for rule in &self.rules {
            let matches = || rule.glob.matches(if rule.whole_path { path } else { name });
            if rule.negate {
                if (rule.dir_only && !is_dir) || !matches() {
                    return true;
                }
            } else if (is_dir || !rule.dir_only) && matches() {
                return true;
            }
        }
        false
    }
}

impl Rule {
    /// One line of `.helmignore`: `None` for blanks and comments, Helm's message for a
    /// rule it refuses.
    fn parse(line: &str) -> std::result::Result<Option<Rule>, String> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(None);
        }
        if line.contains("**") {
            return Err("double-star (**) syntax is not supported".into());
        }
        // Helm checks the whole line, `!` and trailing `/` included.
        GoGlob::new(line)?;
        let (negate, rule) = match line.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, line),
        };
        let (dir_only, rule) = match rule.strip_suffix('/') {
            Some(r) => (true, r),
            None => (false, rule),
        };
        let (whole_path, rule) = match rule.strip_prefix('/') {
            Some(r) => (true, r),
            None => (rule.contains('/'), rule),
        };
        Ok(Some(Rule {
            glob: GoGlob::new(rule)?,
            negate,
            dir_only,
            whole_path,
        }))
    }
}

/// A Go `filepath.Match` pattern: `*` (any run of characters but `/`), `?` (one
/// character but `/`), `[...]`/`[^...]` classes with ranges, `\` escapes; the whole
/// name must match.
enum GoGlob {
    /// No wildcard: the name itself (most rules: `.git`, `OWNERS`, `ci`).
    Literal(String),
    /// `*` then no wildcard (`*.swp`, `*~`).
    Suffix(String),
    General(Vec<GlobPart>),
}

enum GlobPart {
    Star,
    Any,
    Char(char),
    /// Negated, then the ranges (a single character is a range of one).
    Class(bool, Vec<(char, char)>),
}

impl GoGlob {
    fn new(pattern: &str) -> std::result::Result<GoGlob, String> {
        GoGlob::parts(pattern).map(GoGlob::classify)
    }

    fn parts(pattern: &str) -> std::result::Result<Vec<GlobPart>, String> {
        let bad = || "syntax error in pattern".to_string();
        let mut parts = Vec::new();
        let mut chars = pattern.chars().peekable();
        let escaped = |chars: &mut std::iter::Peekable<std::str::Chars>| match chars.next() {
            Some('\\') => chars.next().ok_or_else(bad),
            Some(c) => Ok(c),
            None => Err(bad()),
        };
        while let Some(c) = chars.next() {
            parts.push(match c {
                '*' => GlobPart::Star,
                '?' => GlobPart::Any,
                '\\' => GlobPart::Char(chars.next().ok_or_else(bad)?),
                '[' => {
                    let negated = chars.next_if_eq(&'^').is_some();
                    let mut ranges = Vec::new();
                    loop {
                        match chars.peek() {
                            None => return Err(bad()),
                            Some(']') if !ranges.is_empty() => {
                                chars.next();
                                break;
                            }
                            Some('-' | ']') => return Err(bad()),
                            Some(_) => {}
                        }
                        let lo = escaped(&mut chars)?;
                        let hi = if chars.next_if_eq(&'-').is_some() {
                            match chars.peek() {
                                None | Some(']' | '-') => return Err(bad()),
                                Some(_) => escaped(&mut chars)?,
                            }
                        } else {
                            lo
                        };
                        ranges.push((lo, hi));
                    }
                    GlobPart::Class(negated, ranges)
                }
                c => GlobPart::Char(c),
            });
        }
        Ok(parts)
    }

    /// The cheapest form that matches as `parts` do.
    fn classify(parts: Vec<GlobPart>) -> GoGlob {
        let literal = |parts: &[GlobPart]| -> Option<String> {
            parts
                .iter()
                .map(|p| match p {
                    GlobPart::Char(c) => Some(*c),
                    _ => None,
                })
                .collect()
        };
        if let Some(l) = literal(&parts) {
            return GoGlob::Literal(l);
        }
        if let Some((GlobPart::Star, rest)) = parts.split_first() {
            if let Some(l) = literal(rest).filter(|l| !l.contains('/')) {
                return GoGlob::Suffix(l);
            }
        }
        GoGlob::General(parts)
    }

    /// Whether the whole of `name` matches: which prefixes of it the parts so far can
    /// match, one part at a time (no backtracking, so no pattern is slow).
    fn matches(&self, name: &str) -> bool {
        let parts = match self {
            GoGlob::Literal(l) => return name == l,
            GoGlob::Suffix(l) => {
                return name
                    .strip_suffix(l.as_str())
                    .is_some_and(|head| !head.contains('/'))
            }
            GoGlob::General(parts) => parts,
        };
        // The literal head and tail decide most names without the full match.
        let literal = |p: &GlobPart| match p {
            GlobPart::Char(c) => Some(*c),
            _ => None,
        };
        let head: String = parts.iter().map_while(literal).collect();
        let tail: String = parts.iter().rev().map_while(literal).collect();
        if !name.starts_with(&head) || !name.chars().rev().zip(tail.chars()).all(|(a, b)| a == b) {
            return false;
        }
        let name: Vec<char> = name.chars().collect();
        let mut reach = vec![false; name.len() + 1];
        reach[0] = true;
        for part in parts {
            let mut next = vec![false; name.len() + 1];
            for j in 0..=name.len() {
                next[j] = match part {
                    // Any run of characters but a separator after a reachable prefix.
                    GlobPart::Star => reach[j] || (j > 0 && next[j - 1] && name[j - 1] != '/'),
                    _ => j > 0 && reach[j - 1] && part.matches_one(name[j - 1]),
                };
            }
            reach = next;
        }
        reach[name.len()]
    }
}

impl GlobPart {
    fn matches_one(&self, c: char) -> bool {
        match self {
            GlobPart::Star => false,
            GlobPart::Any => c != '/',
            GlobPart::Char(p) => c == *p,
            // Go's classes may match a separator.
            GlobPart::Class(negated, ranges) => {
                ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{is_template, GoGlob, Ignore};

    #[test]
    fn templates_of_the_chart_and_its_subcharts() {
        for (path, want) in [
            ("templates/a.yaml", true),
            ("templates/_helpers.tpl", true),
            ("charts/sub/templates/a.yaml", true),
            ("charts/sub/charts/deep/templates/NOTES.txt", true),
            ("files/templates/a.yaml", false),
            ("charts/sub/files/templates/a.yaml", false),
            ("charts/sub.tgz", false),
            ("values.yaml", false),
        ] {
            assert_eq!(is_template(path), want, "{path}");
        }
    }

    fn ignored(rules: &str, path: &str) -> bool {
        Ignore::new(rules.as_bytes()).unwrap().ignored(path)
    }

    #[test]
    fn helmignore_rules_as_helm_applies_them() {
        // (rules, path (a folder ends with `/`), ignored): the cases of Helm's own
        // `pkg/ignore` tests, and more.
        let cases = [
            ("helm.txt", "helm.txt", true),
            ("helm.*", "helm.txt", true),
            ("helm.*", "rudder.txt", false),
            ("*.txt", "tiller.txt", true),
            // Without a slash a rule matches the last name only.
            ("*.txt", "cargo/a.txt", true),
            ("cargo/*.txt", "cargo/a.txt", true),
            ("cargo/*.*", "cargo/a.txt", true),
            ("cargo/*.txt", "mast/a.txt", false),
            // `*` never crosses a separator; a rule with a slash matches the whole path.
            ("cargo/*.txt", "cargo/sub/a.txt", false),
            ("ru[c-e]?er.txt", "rudder.txt", true),
            ("ru[^c-e]?er.txt", "rudder.txt", false),
            (".*", ".joonix", true),
            (".*", "helm.txt", false),
            // A folder rule: folders only.
            ("cargo/", "cargo/", true),
            ("cargo/", "mast/", false),
            ("cargo/", "cargo", false),
            ("helm.txt/", "helm.txt", false),
            // A negated rule ignores what it does not match, and every file when it
            // names folders.
            ("!helm.txt", "helm.txt", false),
            ("!helm.txt", "tiller.txt", true),
            ("!*.txt", "cargo/", true),
            ("!cargo/", "mast/", true),
            ("!cargo/", "cargo/", false),
            ("!cargo/", "a.txt", true),
            // Anchored at the chart's root.
            ("/a.txt", "a.txt", true),
            ("/a.txt", "cargo/a.txt", false),
            ("/cargo/a.txt", "cargo/a.txt", true),
            // The first matching rule decides: a later negation cannot take it back.
            ("*.tmp\n!important.tmp", "important.tmp", true),
            ("!*.yaml\n*.yaml", "values.yaml", true),
            // Helm's default rule, after the file's: dotfiles directly in templates/.
            ("", "templates/.hidden.yaml", true),
            ("", "templates/sub/.hidden.yaml", false),
            ("", "templates/x.yaml", false),
            ("# only a comment\n\n", ".hidden", false),
            ("\u{feff}a.txt", "a.txt", true),
        ];
        for (rules, path, want) in cases {
            assert_eq!(ignored(rules, path), want, "{rules:?} on {path}");
        }
    }

    #[test]
    fn helmignore_rules_helm_refuses() {
        for (rules, message) in [
            (
                "ok\ncharts/**/x",
                "double-star (**) syntax is not supported",
            ),
            ("[z-", "syntax error in pattern"),
            ("a[", "syntax error in pattern"),
            ("[]a]", "syntax error in pattern"),
            ("a\\", "syntax error in pattern"),
        ] {
            let Err((line, m)) = Ignore::new(rules.as_bytes()) else {
                panic!("{rules:?} accepted");
            };
            assert_eq!(m, message, "{rules:?}");
            assert_eq!(line, rules.lines().count(), "{rules:?}");
        }
    }

    #[test]
    fn go_globs() {
        let m = |p: &str, n: &str| GoGlob::new(p).unwrap().matches(n);
        assert!(m("*", "abc") && m("*", "") && !m("*", "a/b"));
        assert!(m("a*b*c", "axxbyyc") && !m("a*b*c", "axxbyy"));
        assert!(m("*x", "xxx") && m("*/b", "a/b") && !m("*/b", "a/c/b"));
        assert!(m("\\*", "*") && !m("\\*", "a"));
        assert!(m("[\\]]", "]") && m("[a\\-c]", "-") && !m("[a\\-c]", "b"));
        assert!(GoGlob::new("[a-c-]").is_err() && GoGlob::new("[^]").is_err());
        assert!(m("[^a]", "/"), "a Go class may match a separator");
        assert!(!m("?", "/") && m("?", "é"));
        // Many stars on a long name stay quick (no backtracking).
        let long = "a".repeat(200);
        assert!(!m(&format!("{}b", "*a".repeat(30)), &long));
        // The literal and suffix forms match as the general one does.
        for p in ["abc", "*.swp", "*~", "*", "*/x", "a/b", "é*"] {
            let general = GoGlob::General(GoGlob::parts(p).unwrap());
            for n in [
                "abc", "x.swp", "d/x.swp", ".swp", "a~", "~", "", "a/b", "q/x", "é", "éa",
            ] {
                assert_eq!(m(p, n), general.matches(n), "{p} on {n}");
            }
        }
    }
}

#[cfg(test)]
mod metadata_tests {
    use super::*;
    use crate::kustomize::fs::MemFs;

    #[test]
    fn chart_yaml_scalars_read_as_go_strings() {
        let mut fs = MemFs::new();
        fs.add(
            "c/Chart.yaml",
            "apiVersion: v1\nname: c\nversion: 0.1.2\nappVersion: 1.10\nkubeVersion: 1\nkeywords: [2.0, x]\nannotations: {a: true}\ndependencies:\n  - name: d\n    version: 1.0\n",
        );
        let c = load_dir(&fs, "c").unwrap();
        let m = &c.metadata;
        assert_eq!(m["appVersion"], "1.1");
        assert_eq!(m["kubeVersion"], "1");
        assert_eq!(m["keywords"], serde_json::json!(["2", "x"]));
        assert_eq!(m["annotations"]["a"], "true");
        assert_eq!(m["dependencies"][0]["version"], "1");
        assert_eq!(m["version"], "0.1.2");
    }

    #[test]
    fn a_v1_chart_lists_its_dependencies_in_requirements_yaml() {
        // DataDog's datadog chart: kube-state-metrics is off unless its condition holds.
        let mut fs = MemFs::new();
        fs.add("c/Chart.yaml", "apiVersion: v1\nname: c\nversion: 0.1.0\n");
        fs.add(
            "c/requirements.yaml",
            "dependencies:\n  - name: d\n    version: 1.0\n    condition: d.enabled\n",
        );
        let c = load_dir(&fs, "c").unwrap();
        assert_eq!(
            c.metadata["dependencies"],
            serde_json::json!([{"name": "d", "version": "1", "condition": "d.enabled"}])
        );
        assert!(c.files.iter().any(|(p, _)| p == "requirements.yaml"));
    }

    #[test]
    fn files_are_in_helms_order_whatever_order_they_were_read_in() {
        // Enough files to be read on several threads; a folder's files are handed over
        // before its subfolders', and put back in Helm's order.
        let mut fs = MemFs::new();
        fs.add("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n");
        fs.add("c/values.yaml", "a: 1\n");
        fs.add("c/a.txt", "a\n");
        fs.add("c/z/b.txt", "b\n");
        fs.add("c/zz.txt", "zz\n");
        for i in 0..40 {
            fs.add(&format!("c/templates/t{i:02}.yaml"), "k: v\n");
            fs.add(&format!("c/files/f{i:02}.txt"), "f\n");
        }
        fs.add("c/templates/sub/s.yaml", "k: v\n");
        let c = load_dir(&fs, "c").unwrap();
        let files: Vec<&str> = c.files.iter().map(|(p, _)| p.as_str()).collect();
        let mut want = files.clone();
        want.sort_by(|a, b| a.split('/').cmp(b.split('/')));
        let mut paths = vec![
            "a-c", "a/b", "a", "a.b/c", "a/c", "ab", "a/b/c", "b", "é/x", "e/x",
        ];
        let mut by_split = paths.clone();
        by_split.sort_by(|a, b| a.split('/').cmp(b.split('/')));
        paths.sort_by(|a, b| by_components(a, b));
        assert_eq!(paths, by_split);
        assert_eq!(files, want);
        assert_eq!(files.first(), Some(&"a.txt"));
        assert_eq!(files[files.len() - 2..], ["z/b.txt", "zz.txt"]);
        let templates: Vec<&str> = c.templates.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(templates.last(), Some(&"templates/t39.yaml"));
        assert!(templates.contains(&"templates/sub/s.yaml"));
    }
}
