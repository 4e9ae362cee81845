//! `buildMetadata`: kustomize's `config.kubernetes.io/origin` and
//! `alpha.config.kubernetes.io/transformations` annotations and its
//! `app.kubernetes.io/managed-by` label, written at the end of a build from the
//! provenance side data (`Origin`, `ResMeta::generated_by`, `ResMeta::transformations`).
//!
//! Facts settled against kustomize v5.5.0 (`kubectl kustomize`):
//! - Only the top kustomization's `buildMetadata` counts (kustomize gives every base the
//!   root's); unknown options are ignored.
//! - Paths are relative to the folder being built (`../base/cm.yaml`).
//! - A resource read from a file has `path:`; a generated one has `configuredIn:` (the
//!   kustomization or plugin configuration file) and `configuredBy:` (`apiVersion:
//!   builtin`, the generator's kind, and the configuration's name for a plugin).
//! - Every builtin transformer a kustomization configures is recorded on every resource
//!   present when it runs, whether it changed the resource or not: one entry per
//!   `patches`, `patchesJson6902`, `images` and `replicas` entry, one per `labels` entry
//!   plus one for `commonLabels` (even when empty), and one per plugin configuration.
//! - The managed-by value is `kustomize-(devel)`: kubectl embeds kustomize without a
//!   release version (the standalone kustomize binary prints `kustomize-v5.5.0`).

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::ctx::Ctx;
use crate::kustomize::resmap::ResMap;
use crate::kustomize::resource::{PluginRef, Resource};
use serde_json::{Map, Value};
use std::sync::Arc;

/// The value of `app.kubernetes.io/managed-by` that `kubectl kustomize` v1.32 (kustomize
/// v5.5.0) writes.
pub const MANAGED_BY: &str = "kustomize-(devel)";

const ORIGIN: &str = "config.kubernetes.io/origin";
const TRANSFORMATIONS: &str = "alpha.config.kubernetes.io/transformations";
const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";

/// Records that the transformer `by` ran `times` times over every resource of `ra`, when
/// the build tracks origins.
pub fn note(ctx: &Ctx, ra: &mut ResMap, by: PluginRef, times: usize) {
    if !ctx.track_origins || times == 0 {
        return;
    }
    let by = Arc::new(by);
    for r in ra.iter_mut() {
        // A JSON patch (entry `i` of this field) wiped the annotations kustomize keeps
        // the provenance in: the transformer is then taken for the one that made the
        // resource, and only the entries after it count as transformations.
        let first = match r.meta.provenance_wiped.take() {
            Some(i) if i < times => {
                r.meta.transformations.clear();
                r.meta.generated_by = Some((*by).clone());
                i + 1
            }
            _ => 0,
        };
        for _ in first..times {
            r.meta.transformations.push(Arc::clone(&by));
        }
    }
}

/// Writes what the root's `buildMetadata` options ask for onto the finished resources;
/// `build_dir` (root-relative) is the folder that was built.
pub fn apply(resources: &mut [Resource], build_dir: &str, options: &[String]) -> Result<()> {
    let has = |o: &str| options.iter().any(|x| x == o);
    let (origins, transformations, managed_by) = (
        has("originAnnotations"),
        has("transformerAnnotations"),
        has("managedByLabel"),
    );
    for r in resources.iter_mut() {
        if managed_by {
            set_managed_by(r)?;
        }
        let mut notes = Vec::new();
        if origins {
            notes.push((ORIGIN, origin_text(r, build_dir)));
        }
        if transformations && !r.meta.transformations.is_empty() {
            let mut text = String::new();
            for t in &r.meta.transformations {
                text.push_str(&plugin_text(t, build_dir, "- ", "  "));
            }
            notes.push((TRANSFORMATIONS, text));
        }
        if notes.is_empty() {
            continue;
        }
        let meta = r.metadata_mut();
        let ann = meta
            .entry("annotations")
            .or_insert_with(|| Value::Object(Map::new()));
        if !ann.is_object() {
            *ann = Value::Object(Map::new());
        }
        if let Value::Object(ann) = ann {
            for (k, v) in notes {
                ann.insert(k.to_string(), Value::String(v));
            }
        }
    }
    Ok(())
}

fn set_managed_by(r: &mut Resource) -> Result<()> {
    let id = r.cur_id();
    let (file, line) = (r.origin.file.clone(), r.origin.line);
    let labels = r
        .metadata_mut()
        .entry("labels")
        .or_insert_with(|| Value::Object(Map::new()));
    if labels.is_null() {
        *labels = Value::Object(Map::new());
    }
    let Value::Object(labels) = labels else {
        return Err(Error::new(
            ErrorKind::Transform,
            file,
            format!(
                "buildMetadata managedByLabel: metadata.labels of {id} is not a map; fix the object"
            ),
        )
        .at_line(line));
    };
    labels.insert(
        MANAGED_BY_LABEL.to_string(),
        Value::String(MANAGED_BY.to_string()),
    );
    Ok(())
}

/// kustomize's origin annotation: the file a resource was read from, or the generator
/// that made it.
fn origin_text(r: &Resource, build_dir: &str) -> String {
    match &r.meta.generated_by {
        Some(by) => plugin_text(by, build_dir, "", ""),
        None => format!("path: {}\n", scalar(&relative(build_dir, &r.origin.file))),
    }
}

/// `configuredIn` and `configuredBy` of one generator or transformer, as kyaml prints
/// them; `first` starts the first line, `rest` the others (for list items).
fn plugin_text(by: &PluginRef, build_dir: &str, first: &str, rest: &str) -> String {
    let mut out = format!(
        "{first}configuredIn: {}\n{rest}configuredBy:\n{rest}  apiVersion: {}\n{rest}  kind: {}\n",
        scalar(&relative(build_dir, &by.configured_in)),
        scalar(&by.api_version),
        scalar(&by.kind),
    );
    if !by.name.is_empty() {
        out.push_str(&format!("{rest}  name: {}\n", scalar(&by.name)));
    }
    if !by.namespace.is_empty() {
        out.push_str(&format!("{rest}  namespace: {}\n", scalar(&by.namespace)));
    }
    out
}

/// A string as a YAML scalar, quoted where YAML needs it.
fn scalar(s: &str) -> String {
    crate::yaml::to_yaml(&Value::String(s.to_string()))
        .trim_end()
        .to_string()
}

/// `path` (root-relative) as seen from `dir` (root-relative), lexically: `../base/cm.yaml`.
fn relative(dir: &str, path: &str) -> String {
    let d: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    let p: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let common = d.iter().zip(&p).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; d.len() - common];
    parts.extend(&p[common..]);
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_walk_up_from_the_built_folder() {
        assert_eq!(relative("", "base/cm.yaml"), "base/cm.yaml");
        assert_eq!(relative("overlay", "base/cm.yaml"), "../base/cm.yaml");
        assert_eq!(relative("a/b", "a/c/x.yaml"), "../c/x.yaml");
        assert_eq!(relative("a", "a/k.yaml"), "k.yaml");
    }

    #[test]
    fn plugin_text_prints_the_name_only_for_configurations() {
        let mut by = PluginRef::builtin("overlay/kustomization.yaml", "LabelTransformer");
        assert_eq!(
            plugin_text(&by, "overlay", "- ", "  "),
            "- configuredIn: kustomization.yaml\n  configuredBy:\n    apiVersion: builtin\n    kind: LabelTransformer\n"
        );
        by.name = "notes".into();
        assert!(plugin_text(&by, "", "", "").ends_with("  kind: LabelTransformer\n  name: notes\n"));
    }
}
