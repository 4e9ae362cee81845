//! kustomize's `helmCharts` (the HelmChartInflationGenerator) with strata's Helm engine:
//! a chart vendored under `chartHome` rendered as `helm template` would render it for
//! kustomize, values from `valuesFile`, `additionalValuesFiles` and `valuesInline`.
//! Never a download: a chart that is not in the repository is an error.

use super::{chart, render, values};
use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::fs::{self, FileSystem};
use serde::Deserialize;
use serde_json::{Map, Value};

/// One `helmCharts` entry (kustomize's `HelmChart`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmChart {
    pub name: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub repo: String,
    #[serde(default)]
    pub release_name: String,
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub values_file: String,
    #[serde(default)]
    pub additional_values_files: Vec<String>,
    #[serde(default)]
    pub values_inline: Map<String, Value>,
    #[serde(default)]
    pub values_merge: String,
    #[serde(default, rename = "includeCRDs")]
    pub include_crds: bool,
    #[serde(default)]
    pub skip_hooks: bool,
    #[serde(default)]
    pub skip_tests: bool,
    #[serde(default)]
    pub api_versions: Vec<String>,
    #[serde(default)]
    pub kube_version: String,
}

/// `helmGlobals`: where vendored charts live (`chartHome`, default `charts`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmGlobals {
    #[serde(default)]
    pub chart_home: String,
    #[serde(default)]
    pub config_home: String,
}

/// Renders one `helmCharts` entry of the kustomization in `dir` (named `file` in
/// messages) to the YAML stream `helm template` prints.
pub fn inflate(
    fs: &dyn FileSystem,
    dir: &str,
    file: &str,
    globals: &HelmGlobals,
    spec: &HelmChart,
) -> Result<String> {
    let bad = |msg: String| Error::new(ErrorKind::Invalid, file.to_string(), msg);
    if spec.name.is_empty() {
        return Err(bad("a helmCharts entry needs a `name`".into()));
    }
    let home = if globals.chart_home.is_empty() {
        "charts"
    } else {
        &globals.chart_home
    };
    let home = fs::join(dir, home).map_err(|e| Error::from(e).in_file(file))?;
    // kustomize keeps a pulled chart at HOME/NAME-VERSION/NAME, or HOME/NAME.
    let candidates = if spec.version.is_empty() {
        vec![format!("{home}/{}", spec.name)]
    } else {
        vec![
            format!("{home}/{}-{}/{}", spec.name, spec.version, spec.name),
            format!("{home}/{}", spec.name),
        ]
    };
    let Some(chart_dir) = candidates
        .iter()
        .find(|d| fs.is_file(&format!("{d}/Chart.yaml")))
    else {
        return Err(bad(format!(
            "helm chart '{}' is not in the repository (looked for {}); vendor it there (`helm pull {} --untar --untardir {home}`) — strata never downloads charts",
            spec.name,
            candidates.join(" and "),
            if spec.repo.is_empty() { spec.name.clone() } else { format!("{} --repo {}", spec.name, spec.repo) },
        )));
    };
    let chart = chart::load_dir(fs, chart_dir)?;
    let mut user = Map::new();
    let values_file = if spec.values_file.is_empty() {
        String::new()
    } else {
        fs::join(dir, &spec.values_file).map_err(|e| Error::from(e).in_file(file))?
    };
    for f in std::iter::once(&values_file)
        .filter(|f| !f.is_empty())
        .chain(spec.additional_values_files.iter())
    {
        let path = if f == &values_file {
            f.clone()
        } else {
            fs::join(dir, f).map_err(|e| Error::from(e).in_file(file))?
        };
        let bytes = fs.read(&path).map_err(|e| Error::from(e).in_file(file))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::new(ErrorKind::Syntax, path.clone(), "not UTF-8 text"))?;
        let doc = crate::yaml::parse_stream_helm(&text)
            .map_err(|e| crate::kustomize::loader::yaml_error(&path, e))?;
        if let Some(Value::Object(m)) = doc.into_iter().map(|d| d.value).find(|v| !v.is_null()) {
            values::merge_user_values(&mut user, &m);
        }
    }
    // valuesMerge: override (default) and merge layer the inline values over the files;
    // replace uses the inline values alone.
    match spec.values_merge.as_str() {
        "replace" => user = spec.values_inline.clone(),
        "" | "override" | "merge" => values::merge_user_values(&mut user, &spec.values_inline),
        other => {
            return Err(bad(format!(
                "valuesMerge must be one of merge, override, replace (not '{other}')"
            )))
        }
    }
    let opts = render::Options {
        release: if spec.release_name.is_empty() {
            "release-name".into()
        } else {
            spec.release_name.clone()
        },
        namespace: if spec.namespace.is_empty() {
            "default".into()
        } else {
            spec.namespace.clone()
        },
        kube_version: (!spec.kube_version.is_empty()).then(|| spec.kube_version.clone()),
        api_versions: spec.api_versions.clone(),
        values: user,
        ..Default::default()
    };
    let rendered = render::render(&chart, &opts).map_err(|e| {
        Error::new(
            ErrorKind::Transform,
            chart.source.clone(),
            format!("the Helm chart does not render: {}", e.message),
        )
    })?;
    // kustomize runs `helm template` with `--no-hooks` and `--skip-tests` for these.
    let stream = render::Stream {
        include_crds: spec.include_crds,
        no_hooks: spec.skip_hooks,
        skip_tests: spec.skip_tests,
        ..Default::default()
    };
    let mut out = String::new();
    for (path, text) in render::manifests(&rendered, &stream).map_err(|e| bad(e.message))? {
        out.push_str(&format!("---\n# Source: {path}\n{text}\n"));
    }
    Ok(out)
}
