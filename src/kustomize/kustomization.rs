//! The `kustomization.yaml` file: its fields as kustomize v5 reads them.
//! Unknown fields are errors, so a misspelt `reources:` is caught.

use crate::kustomize::fieldspec::FieldSpec;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// File names that make a directory a kustomization, in kustomize's order.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// A kustomization (or a `kind: Component`) as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Kustomization {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub metadata: Option<Value>,
    pub openapi: Option<Value>,
    #[serde(default)]
    pub name_prefix: String,
    #[serde(default)]
    pub name_suffix: String,
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub common_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub labels: Vec<Label>,
    #[serde(default)]
    pub common_annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub patches_strategic_merge: Vec<String>,
    #[serde(default, rename = "patchesJson6902")]
    pub patches_json6902: Vec<Patch>,
    #[serde(default)]
    pub patches: Vec<Patch>,
    #[serde(default)]
    pub images: Vec<Image>,
    #[serde(default)]
    pub image_tags: Vec<Image>,
    #[serde(default)]
    pub replacements: Vec<ReplacementEntry>,
    #[serde(default)]
    pub replicas: Vec<Replica>,
    #[serde(default)]
    pub vars: Vec<Var>,
    pub sort_options: Option<SortOptions>,
    #[serde(default)]
    pub resources: Vec<String>,
    #[serde(default)]
    pub components: Vec<String>,
    #[serde(default)]
    pub crds: Vec<String>,
    #[serde(default)]
    pub bases: Vec<String>,
    #[serde(default)]
    pub config_map_generator: Vec<GeneratorArgs>,
    #[serde(default)]
    pub secret_generator: Vec<GeneratorArgs>,
    pub helm_globals: Option<Value>,
    #[serde(default)]
    pub helm_charts: Vec<Value>,
    #[serde(default)]
    pub helm_chart_inflation_generator: Vec<Value>,
    pub generator_options: Option<GeneratorOptions>,
    #[serde(default)]
    pub configurations: Vec<String>,
    #[serde(default)]
    pub generators: Vec<String>,
    #[serde(default)]
    pub transformers: Vec<String>,
    #[serde(default)]
    pub validators: Vec<String>,
    #[serde(default)]
    pub build_metadata: Vec<String>,
}

impl Kustomization {
    pub fn is_component(&self) -> bool {
        self.kind.as_deref() == Some("Component")
    }
}

/// An entry of `labels`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Label {
    #[serde(default)]
    pub pairs: BTreeMap<String, String>,
    #[serde(default)]
    pub include_selectors: bool,
    #[serde(default)]
    pub include_templates: bool,
    #[serde(default)]
    pub fields: Vec<FieldSpecArg>,
}

/// A field spec as written in a kustomization (`labels[].fields`, `replacements`...).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpecArg {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub create: bool,
}

impl From<&FieldSpecArg> for FieldSpec {
    fn from(a: &FieldSpecArg) -> FieldSpec {
        FieldSpec {
            group: a.group.clone(),
            version: a.version.clone(),
            kind: a.kind.clone(),
            path: a.path.clone(),
            create: a.create,
        }
    }
}

/// An entry of `patches` (and of the legacy `patchesJson6902`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    pub path: Option<String>,
    pub patch: Option<String>,
    pub target: Option<Selector>,
    #[serde(default)]
    pub options: BTreeMap<String, bool>,
}

/// Which resources a patch or replacement applies to. Strings are anchored regexes.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Selector {
    pub group: Option<String>,
    pub version: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub label_selector: Option<String>,
    pub annotation_selector: Option<String>,
}

/// An entry of `vars`: `$(name)` is replaced by a field of the object `objref` names.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Var {
    pub name: String,
    #[serde(alias = "objRef")]
    pub objref: VarTarget,
    #[serde(default, alias = "fieldRef")]
    pub fieldref: VarField,
    /// The kustomization file that declares it, for messages (set when declared).
    #[serde(skip)]
    pub declared_in: String,
}

/// `vars[].objref`: an object by apiVersion (or group and version), kind and name
/// as loaded, before prefixes and suffixes.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VarTarget {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub namespace: String,
}

impl VarTarget {
    /// Group and version: `apiVersion` when given (kustomize's `Target.GVK`).
    pub fn group_version(&self) -> (String, String) {
        match self.api_version.split_once('/') {
            _ if self.api_version.is_empty() => (self.group.clone(), self.version.clone()),
            Some((g, v)) if !v.contains('/') => (g.to_string(), v.to_string()),
            Some(_) => (self.group.clone(), self.version.clone()),
            None => (self.group.clone(), self.api_version.clone()),
        }
    }
}

/// `vars[].fieldref`: a dotted path into the object, `metadata.name` by default.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct VarField {
    #[serde(default, rename = "fieldPath", alias = "fieldpath")]
    pub field_path: String,
}

/// An entry of `images`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Image {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub new_name: String,
    #[serde(default)]
    pub new_tag: String,
    #[serde(default)]
    pub tag_suffix: String,
    #[serde(default)]
    pub digest: String,
}

/// An entry of `replicas`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replica {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub count: i64,
}

/// An entry of `replacements`: inline, or a file holding one or more.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "Value")]
pub enum ReplacementEntry {
    Path { path: String },
    Inline(Value),
}

impl TryFrom<Value> for ReplacementEntry {
    type Error = String;

    /// `{path: f}` names a file; anything else is an inline replacement, checked
    /// when it is applied. A path beside inline fields is an error, as in kustomize.
    fn try_from(v: Value) -> Result<ReplacementEntry, String> {
        let Some(map) = v.as_object() else {
            return Ok(ReplacementEntry::Inline(v));
        };
        let Some(path) = map.get("path") else {
            return Ok(ReplacementEntry::Inline(v));
        };
        let Some(path) = path.as_str() else {
            return Err("replacements: `path` must be a string (a file of replacements)".into());
        };
        if let Some(other) = map.keys().find(|k| *k != "path") {
            return Err(if other == "source" || other == "targets" {
                "replacements: cannot specify both path and inline replacement; \
                 move the inline fields into the file, or drop `path`"
                    .to_string()
            } else {
                format!("unknown field `{other}` in a replacements entry; expected path, source, targets")
            });
        }
        Ok(ReplacementEntry::Path {
            path: path.to_string(),
        })
    }
}

/// `sortOptions`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SortOptions {
    #[serde(default)]
    pub order: String,
    pub legacy_sort_options: Option<LegacySortOptions>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LegacySortOptions {
    #[serde(default)]
    pub order_first: Vec<String>,
    #[serde(default)]
    pub order_last: Vec<String>,
}

/// An entry of `configMapGenerator` or `secretGenerator`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GeneratorArgs {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub behavior: String,
    #[serde(default)]
    pub literals: Vec<String>,
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub envs: Vec<String>,
    #[serde(default)]
    pub env: String,
    pub options: Option<GeneratorOptions>,
    /// Secrets only.
    #[serde(default, rename = "type")]
    pub secret_type: String,
}

/// `generatorOptions`, and `options` of one generator.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GeneratorOptions {
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub disable_name_suffix_hash: Option<bool>,
    pub immutable: Option<bool>,
}
