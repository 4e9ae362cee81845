//! A Helm chart as Helm's loader reads it from a folder: `Chart.yaml`, `values.yaml`,
//! `values.schema.json`, `templates/`, subcharts under `charts/` (folders or vendored
//! `.tgz` archives), every other file for `.Files`, and `.helmignore`.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::fs::FileSystem;
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
    pub templates: Arc<Vec<(String, String)>>,
    /// Every other file (including `crds/`), for `.Files`; sorted by path.
    pub files: Arc<Vec<(String, Vec<u8>)>>,
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
    pub fn crds(&self) -> impl Iterator<Item = &(String, Vec<u8>)> {
        self.files.iter().filter(|(p, _)| {
            p.starts_with("crds/")
                && (p.ends_with(".yaml") || p.ends_with(".yml") || p.ends_with(".json"))
        })
    }
}

/// A file of a chart: its path inside the chart and its bytes.
type ChartFile = (String, Vec<u8>);

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
    let ignore = Ignore::shared(rules.as_deref());
    let mut files = Vec::new();
    collect(fs, dir, "", &ignore, &mut files)?;
    load_files(files, &join(dir, "Chart.yaml"))
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

fn collect(
    fs: &dyn FileSystem,
    root: &str,
    rel: &str,
    ignore: &Ignore,
    out: &mut Vec<ChartFile>,
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
    for name in names {
        let child_rel = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let path = join(root, &child_rel);
        if fs.is_dir(&path) {
            // Helm skips an ignored folder whole (nothing inside can be un-ignored).
            if !ignore.ignored(&format!("{child_rel}/")) {
                collect(fs, root, &child_rel, ignore, out)?;
            }
        } else if !ignore.ignored(&child_rel) {
            let bytes = fs.read(&path).map_err(|e| Error::from(e).in_file(&path))?;
            out.push((child_rel, bytes));
        }
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
                chart.metadata = metadata_strings(yaml_map(&where_, &bytes)?);
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
                let text = String::from_utf8(bytes).map_err(|_| {
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
            let mut meta = Arc::clone(&chart.metadata);
            Arc::make_mut(&mut meta).insert("dependencies".into(), deps.clone());
            chart.metadata = metadata_strings(meta);
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

/// Chart.yaml's fields as Helm's `chart.Metadata` reads them: a number or bool where Go
/// has a string field turns into its text (`appVersion: 1.0` is "1", aws-sigv4-proxy's
/// chart), so `.Chart.AppVersion` and the dependency ranges see what Helm sees.
fn metadata_strings(meta: Arc<Map<String, Json>>) -> Arc<Map<String, Json>> {
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
    let needs = STRINGS.iter().any(|k| meta.get(*k).is_some_and(scalar))
        || ["keywords", "sources"].iter().any(|k| {
            meta.get(*k)
                .and_then(Json::as_array)
                .is_some_and(|a| a.iter().any(scalar))
        })
        || meta
            .get("annotations")
            .and_then(Json::as_object)
            .is_some_and(|a| a.values().any(scalar))
        || meta
            .get("dependencies")
            .and_then(Json::as_array)
            .is_some_and(|a| {
                a.iter()
                    .filter_map(Json::as_object)
                    .any(|d| DEP_STRINGS.iter().any(|k| d.get(*k).is_some_and(scalar)))
            });
    if !needs {
        return meta;
    }
    let mut meta = meta;
    let m = Arc::make_mut(&mut meta);
    fix(m, &STRINGS);
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
    meta
}

fn yaml_map(file: &str, bytes: &[u8]) -> Result<Arc<Map<String, Json>>> {
    /// `Chart.yaml` and `values.yaml` by content: a fleet loads the same chart for every
    /// cluster, and a large chart's values took a millisecond to parse.
    static PARSED: std::sync::LazyLock<crate::memo::ByContent<Arc<Map<String, Json>>>> =
        std::sync::LazyLock::new(Default::default);
    PARSED.get_or_try(bytes, || {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| Error::new(ErrorKind::Syntax, file.to_string(), "not UTF-8 text"))?;
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
        out.push((inner.to_string(), data));
    }
    out.sort();
    Ok(out)
}

/// `.helmignore` rules (a subset of Helm's: globs, `dir/`, `/anchored`, `!negation`),
/// plus Helm's default of ignoring hidden files under `templates/`.
struct Ignore {
    rules: Vec<(bool, bool, globset::GlobMatcher, bool)>,
    /// Answers so far by path: a fleet loads the same chart for every cluster.
    decided: std::sync::Mutex<std::collections::HashMap<String, bool>>,
}

impl Ignore {
    /// The rules of this `.helmignore` text, compiled once per command.
    fn shared(text: Option<&[u8]>) -> Arc<Ignore> {
        static COMPILED: std::sync::LazyLock<crate::memo::ByContent<Arc<Ignore>>> =
            std::sync::LazyLock::new(Default::default);
        // No file and an empty one mean the same rules.
        let text = text.unwrap_or_default();
        COMPILED.get_or(text, || Arc::new(Ignore::new(Some(text))))
    }

    fn new(text: Option<&[u8]>) -> Ignore {
        let mut rules = Vec::new();
        let text = text.map(String::from_utf8_lossy).unwrap_or_default();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (negate, pat) = match line.strip_prefix('!') {
                Some(p) => (true, p),
                None => (false, line),
            };
            let dir_only = pat.ends_with('/');
            let pat = pat.trim_end_matches('/');
            let anchored = pat.starts_with('/') || pat.contains('/');
            let pat = pat.trim_start_matches('/');
            if let Ok(g) = globset::Glob::new(pat) {
                rules.push((negate, dir_only, g.compile_matcher(), anchored));
            }
        }
        Ignore {
            rules,
            decided: Default::default(),
        }
    }

    /// Whether `path` (a folder when it ends with `/`) is left out of the chart.
    fn ignored(&self, path: &str) -> bool {
        let known = self.decided.lock().ok().and_then(|d| d.get(path).copied());
        if let Some(answer) = known {
            return answer;
        }
        let answer = self.decide(path);
        if let Ok(mut d) = self.decided.lock() {
            d.insert(path.to_string(), answer);
        }
        answer
    }

    fn decide(&self, path: &str) -> bool {
        let (path, folder) = match path.strip_suffix('/') {
            Some(p) => (p, true),
            None => (path, false),
        };
        if path == ".helmignore" {
            return false;
        }
        if let Some(rest) = path.strip_prefix("templates/") {
            if rest.split('/').any(|s| s.starts_with('.')) {
                return true;
            }
        }
        let mut ignored = false;
        let parts: Vec<&str> = path.split('/').collect();
        for (negate, dir_only, m, anchored) in &self.rules {
            // A rule matches the file or any folder above it.
            let mut hit = false;
            for i in 0..parts.len() {
                let is_dir = folder || i + 1 < parts.len();
                if *dir_only && !is_dir {
                    continue;
                }
                let candidate = if *anchored {
                    parts[..=i].join("/")
                } else {
                    parts[i].to_string()
                };
                if m.is_match(&candidate) {
                    hit = true;
                    break;
                }
            }
            if hit {
                ignored = !negate;
            }
        }
        ignored
    }
}

#[cfg(test)]
mod tests {
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
}
