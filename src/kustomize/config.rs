//! `configurations` and `crds`: field specs a kustomization adds to kustomize's
//! built-in tables (where labels, annotations, images, replicas, prefixes, namespaces,
//! `$(VAR)`s and name references go).
//!
//! As in kustomize v5.5, the rows travel with the resources: a kustomization's
//! transformers use its own rows, its bases' and its components', and its parent
//! inherits them all. Only the rows beyond the built-in tables are kept here; each
//! transformer merges them into its table (`tables::merge_one`, kustomize's
//! `FsSlice.MergeOne`).

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::ctx::Ctx;
use crate::kustomize::fieldspec::FieldSpec;
use crate::kustomize::kustomization::FieldSpecArg;
use crate::kustomize::loader::yaml_error;
use crate::kustomize::transform::tables::{self, merge_one, Row};
use serde::Deserialize;
use serde_json::Value;

/// Rows added to the built-in field-spec tables.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransformerConfig {
    pub name_prefix: Vec<FieldSpec>,
    pub name_suffix: Vec<FieldSpec>,
    pub namespace: Vec<FieldSpec>,
    pub common_labels: Vec<FieldSpec>,
    pub labels: Vec<FieldSpec>,
    pub template_labels: Vec<FieldSpec>,
    /// Read for completeness; strata's `labels` has no `includeVolumeClaimTemplates`.
    pub volume_claim_template_labels: Vec<FieldSpec>,
    pub common_annotations: Vec<FieldSpec>,
    pub name_reference: Vec<NameBackReference>,
    pub var_reference: Vec<FieldSpec>,
    pub images: Vec<FieldSpec>,
    pub replicas: Vec<FieldSpec>,
}

/// A kind and the fields of other kinds that hold its name (a `nameReference` entry).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameBackReference {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub referrers: Vec<FieldSpec>,
}

/// A `configurations` file as written (kustomize's `TransformerConfig`, read strictly).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ConfigFile {
    #[serde(default)]
    name_prefix: Option<Vec<FieldSpecArg>>,
    #[serde(default)]
    name_suffix: Option<Vec<FieldSpecArg>>,
    #[serde(default)]
    namespace: Option<Vec<FieldSpecArg>>,
    #[serde(default)]
    common_labels: Option<Vec<FieldSpecArg>>,
    #[serde(default)]
    labels: Option<Vec<FieldSpecArg>>,
    #[serde(default)]
    template_labels: Option<Vec<FieldSpecArg>>,
    #[serde(default)]
    volume_claim_template_labels: Option<Vec<FieldSpecArg>>,
    #[serde(default)]
    common_annotations: Option<Vec<FieldSpecArg>>,
    #[serde(default)]
    name_reference: Option<Vec<NameReferenceArg>>,
    #[serde(default)]
    var_reference: Option<Vec<FieldSpecArg>>,
    #[serde(default)]
    images: Option<Vec<FieldSpecArg>>,
    #[serde(default)]
    replicas: Option<Vec<FieldSpecArg>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NameReferenceArg {
    #[serde(default)]
    group: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    field_specs: Option<Vec<FieldSpecArg>>,
}

fn specs(args: Option<Vec<FieldSpecArg>>) -> Vec<FieldSpec> {
    args.unwrap_or_default()
        .iter()
        .map(FieldSpec::from)
        .collect()
}

impl TransformerConfig {
    pub fn is_empty(&self) -> bool {
        *self == TransformerConfig::default()
    }

    /// Adds `other`'s rows (kustomize's `TransformerConfig.Merge`); a row with the
    /// path of an existing one but a different `create` is an error, named by table.
    pub fn merge(&mut self, other: &TransformerConfig) -> std::result::Result<(), String> {
        let lists: [(&mut Vec<FieldSpec>, &Vec<FieldSpec>, &str); 11] = [
            (&mut self.name_prefix, &other.name_prefix, "NamePrefix"),
            (&mut self.name_suffix, &other.name_suffix, "NameSuffix"),
            (&mut self.namespace, &other.namespace, "NameSpace"),
            (
                &mut self.common_annotations,
                &other.common_annotations,
                "CommonAnnotations",
            ),
            (
                &mut self.common_labels,
                &other.common_labels,
                "CommonLabels",
            ),
            (&mut self.labels, &other.labels, "Labels"),
            (
                &mut self.template_labels,
                &other.template_labels,
                "TemplateLabels",
            ),
            (
                &mut self.volume_claim_template_labels,
                &other.volume_claim_template_labels,
                "VolumeClaimTemplateLabels",
            ),
            (
                &mut self.var_reference,
                &other.var_reference,
                "VarReference",
            ),
            (&mut self.images, &other.images, "Images"),
            (&mut self.replicas, &other.replicas, "Replicas"),
        ];
        for (mine, theirs, what) in lists {
            for fs in theirs {
                merge_one(mine, fs.clone()).map_err(|()| conflict(what))?;
            }
        }
        for nbr in &other.name_reference {
            self.add_name_reference(nbr.clone())?;
        }
        Ok(())
    }

    fn add_name_reference(&mut self, nbr: NameBackReference) -> std::result::Result<(), String> {
        let same = self
            .name_reference
            .iter_mut()
            .find(|x| x.group == nbr.group && x.version == nbr.version && x.kind == nbr.kind);
        match same {
            Some(x) => {
                for fs in nbr.referrers {
                    merge_one(&mut x.referrers, fs).map_err(|()| conflict("NameReference"))?;
                }
            }
            None => self.name_reference.push(nbr),
        }
        Ok(())
    }

    /// `rows` (a built-in table) with this configuration's `extra` rows merged in.
    pub fn with_defaults(rows: &[Row], extra: &[FieldSpec]) -> Vec<FieldSpec> {
        let mut all = tables::specs(rows);
        for fs in extra {
            // Conflicts were refused when the configuration was loaded.
            let _ = merge_one(&mut all, fs.clone());
        }
        all
    }

    /// Checks the rows against the built-in tables, as kustomize merges every
    /// configuration into its defaults first.
    fn check_against_defaults(&self) -> std::result::Result<(), String> {
        let tables: [(&[Row], &Vec<FieldSpec>, &str); 10] = [
            (tables::SELECTOR_LABELS, &self.common_labels, "CommonLabels"),
            (tables::METADATA_LABELS, &self.common_labels, "CommonLabels"),
            (
                tables::ANNOTATIONS,
                &self.common_annotations,
                "CommonAnnotations",
            ),
            (tables::IMAGES, &self.images, "Images"),
            (tables::REPLICAS, &self.replicas, "Replicas"),
            (tables::VAR_REFERENCE, &self.var_reference, "VarReference"),
            (tables::NAMESPACE, &self.namespace, "NameSpace"),
            (tables::NAME, &self.name_prefix, "NamePrefix"),
            (tables::NAME, &self.name_suffix, "NameSuffix"),
            (
                tables::METADATA_LABELS,
                &self.template_labels,
                "TemplateLabels",
            ),
        ];
        for (rows, extra, what) in tables {
            let mut all = tables::specs(rows);
            for fs in extra {
                merge_one(&mut all, fs.clone()).map_err(|()| conflict(what))?;
            }
        }
        Ok(())
    }
}

fn conflict(what: &str) -> String {
    format!("failed to merge {what} fieldSpec: conflicting fieldspecs")
}

/// The rows of the kustomization's `configurations` files.
pub fn load_configurations(ctx: &Ctx, paths: &[String]) -> Result<TransformerConfig> {
    let mut config = TransformerConfig::default();
    for rel in paths {
        let (path, text) = ctx.read_field_file(rel, "configurations")?;
        let docs = crate::yaml::parse_stream(&text).map_err(|e| yaml_error(&path, e))?;
        let value = docs
            .into_iter()
            .map(|d| d.value)
            .find(|v| !v.is_null())
            .unwrap_or(Value::Object(Default::default()));
        let file: ConfigFile = serde_json::from_value(value).map_err(|e| {
            Error::new(
                ErrorKind::Invalid,
                path.clone(),
                format!(
                    "invalid transformer configuration: {e}; expected lists of field specs under \
                     nameReference, commonLabels, commonAnnotations, namePrefix, nameSuffix, \
                     namespace, images, replicas or varReference"
                ),
            )
        })?;
        let one = TransformerConfig {
            name_prefix: specs(file.name_prefix),
            name_suffix: specs(file.name_suffix),
            namespace: specs(file.namespace),
            common_labels: specs(file.common_labels),
            volume_claim_template_labels: specs(file.volume_claim_template_labels),
            labels: specs(file.labels),
            template_labels: specs(file.template_labels),
            common_annotations: specs(file.common_annotations),
            name_reference: file
                .name_reference
                .unwrap_or_default()
                .into_iter()
                .map(|n| NameBackReference {
                    group: n.group,
                    version: n.version,
                    kind: n.kind,
                    referrers: specs(n.field_specs),
                })
                .collect(),
            var_reference: specs(file.var_reference),
            images: specs(file.images),
            replicas: specs(file.replicas),
        };
        let merged = one
            .check_against_defaults()
            .and_then(|()| config.merge(&one));
        merged.map_err(|m| Error::new(ErrorKind::Invalid, path.clone(), m))?;
    }
    Ok(config)
}

/// The rows the kustomization's `crds` files give (kustomize's `LoadConfigFromCRDs`):
/// each file maps OpenAPI type names to `{Schema: ...}`; a type with `kind`,
/// `apiVersion` and `metadata` properties is a kind (the last `.`-part of its name),
/// and its properties marked `x-kubernetes-object-ref-kind` (with
/// `x-kubernetes-object-ref-api-version`) hold names of that kind,
/// `x-kubernetes-annotation` and `x-kubernetes-label-selector` take annotations and
/// labels, `x-kubernetes-identity` takes the name prefix. `$ref`s are followed.
pub fn load_crds(ctx: &Ctx, paths: &[String]) -> Result<TransformerConfig> {
    let mut config = TransformerConfig::default();
    for rel in paths {
        let (path, text) = ctx.read_field_file(rel, "crds")?;
        let bad = |why: String| {
            Error::new(
                ErrorKind::Invalid,
                path.clone(),
                format!(
                    "unable to parse open API definition from '{rel}': {why}; a `crds` file maps \
                     type names to {{Schema: ...}} OpenAPI definitions (a CustomResourceDefinition object \
                     belongs under `resources`)"
                ),
            )
        };
        let value = if text.trim_start().starts_with('{') {
            serde_json::from_str::<Value>(&text).map_err(|e| bad(e.to_string()))?
        } else {
            let docs = crate::yaml::parse_stream(&text).map_err(|e| yaml_error(&path, e))?;
            docs.into_iter()
                .map(|d| d.value)
                .find(|v| !v.is_null())
                .unwrap_or(Value::Null)
        };
        let Value::Object(types) = value else {
            return Err(bad("not a mapping of type names".into()));
        };
        let mut names: Vec<&String> = types.keys().collect();
        names.sort();
        // Go decodes every entry into an OpenAPI definition: anything else is an error.
        if let Some(name) = names.iter().find(|n| !is_definition(&types[n.as_str()])) {
            return Err(bad(format!(
                "'{name}' is not an OpenAPI definition (a mapping with a `Schema` mapping)"
            )));
        }
        for name in names {
            let props = properties(&types, name);
            if !["kind", "apiVersion", "metadata"]
                .iter()
                .all(|k| props.is_some_and(|p| p.contains_key(*k)))
            {
                continue;
            }
            let kind = name.rsplit('.').next().unwrap_or(name).to_string();
            let mut one = TransformerConfig::default();
            crd_fields(&mut one, &kind, &types, name, &mut Vec::new(), 0);
            config
                .merge(&one)
                .map_err(|m| Error::new(ErrorKind::Invalid, path.clone(), m))?;
        }
    }
    Ok(config)
}

/// Whether a `crds` entry decodes as kustomize's `OpenAPIDefinition`.
fn is_definition(v: &Value) -> bool {
    let Some(def) = v.as_object() else {
        return v.is_null();
    };
    def.iter().all(|(k, v)| {
        if k.eq_ignore_ascii_case("schema") {
            v.is_object() || v.is_null()
        } else if k.eq_ignore_ascii_case("dependencies") {
            v.is_null() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
        } else {
            true
        }
    })
}

/// The `properties` of a type's schema (`Schema` matched without case, as Go's JSON does).
fn properties<'a>(
    types: &'a serde_json::Map<String, Value>,
    name: &str,
) -> Option<&'a serde_json::Map<String, Value>> {
    let def = types.get(name)?.as_object()?;
    let schema = def
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("schema"))?
        .1;
    schema.get("properties")?.as_object()
}

fn crd_fields(
    config: &mut TransformerConfig,
    kind: &str,
    types: &serde_json::Map<String, Value>,
    type_name: &str,
    path: &mut Vec<String>,
    depth: usize,
) {
    // A type that refers to itself must not recurse forever.
    if depth > 32 {
        return;
    }
    let Some(props) = properties(types, type_name) else {
        return;
    };
    for (prop, schema) in props {
        let ext = |key: &str| schema.get(key).and_then(Value::as_str);
        path.push(prop.clone());
        let fs = FieldSpec::new(kind, &path.join("/"), false);
        if schema
            .get("x-kubernetes-annotation")
            .is_some_and(Value::is_string)
        {
            let _ = merge_one(&mut config.common_annotations, fs.clone());
        }
        if schema
            .get("x-kubernetes-label-selector")
            .is_some_and(Value::is_string)
        {
            let _ = merge_one(&mut config.common_labels, fs.clone());
        }
        if schema
            .get("x-kubernetes-identity")
            .is_some_and(Value::is_string)
        {
            let _ = merge_one(&mut config.name_prefix, fs.clone());
        }
        if let (Some(version), Some(target)) = (
            ext("x-kubernetes-object-ref-api-version"),
            ext("x-kubernetes-object-ref-kind"),
        ) {
            let key = ext("x-kubernetes-object-ref-name-key").unwrap_or("name");
            let _ = config.add_name_reference(NameBackReference {
                group: String::new(),
                version: version.to_string(),
                kind: target.to_string(),
                referrers: vec![FieldSpec::new(
                    kind,
                    &format!("{}/{key}", path.join("/")),
                    false,
                )],
            });
        }
        if let Some(r) = ext("$ref") {
            crd_fields(config, kind, types, r, path, depth + 1);
        }
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fs(kind: &str, path: &str, create: bool) -> FieldSpec {
        FieldSpec::new(kind, path, create)
    }

    #[test]
    fn merge_keeps_one_row_per_path_and_rejects_conflicts() {
        let mut a = TransformerConfig {
            images: vec![fs("Widget", "spec/image", false)],
            ..Default::default()
        };
        let b = TransformerConfig {
            images: vec![
                fs("Widget", "spec/image", false),
                fs("", "spec/other", false),
            ],
            name_reference: vec![NameBackReference {
                kind: "ConfigMap".into(),
                version: "v1".into(),
                referrers: vec![fs("Widget", "spec/cm", false)],
                ..Default::default()
            }],
            ..Default::default()
        };
        a.merge(&b).unwrap();
        a.merge(&b).unwrap();
        assert_eq!(a.images.len(), 2);
        assert_eq!(a.name_reference.len(), 1);
        assert_eq!(a.name_reference[0].referrers.len(), 1);
        let c = TransformerConfig {
            images: vec![fs("Widget", "spec/image", true)],
            ..Default::default()
        };
        assert_eq!(
            a.merge(&c).unwrap_err(),
            "failed to merge Images fieldSpec: conflicting fieldspecs"
        );
    }

    #[test]
    fn a_row_conflicting_with_a_builtin_one_is_an_error() {
        let c = TransformerConfig {
            common_annotations: vec![fs("", "metadata/annotations", false)],
            ..Default::default()
        };
        assert!(c.check_against_defaults().is_err());
        let ok = TransformerConfig {
            common_annotations: vec![fs("", "metadata/annotations", true)],
            ..Default::default()
        };
        assert!(ok.check_against_defaults().is_ok());
    }

    #[test]
    fn crd_marks_follow_refs() {
        let types: serde_json::Map<String, Value> = serde_json::from_str(
            r#"{
              "x.Bee": {"Schema": {"properties": {"kind": {}, "apiVersion": {}, "metadata": {},
                 "spec": {"$ref": "x.BeeSpec"}}}},
              "x.BeeSpec": {"Schema": {"properties": {
                 "cm": {"x-kubernetes-object-ref-api-version": "v1",
                        "x-kubernetes-object-ref-kind": "ConfigMap"},
                 "sel": {"x-kubernetes-label-selector": ""},
                 "self": {"$ref": "x.BeeSpec"}}}}
            }"#,
        )
        .unwrap();
        let mut c = TransformerConfig::default();
        crd_fields(&mut c, "Bee", &types, "x.Bee", &mut Vec::new(), 0);
        assert_eq!(c.common_labels[0], fs("Bee", "spec/sel", false));
        assert_eq!(c.name_reference[0].kind, "ConfigMap");
        assert_eq!(c.name_reference[0].referrers[0].path, "spec/cm/name");
        // A type that refers to itself stops at the depth bound.
        assert!(c.common_labels.len() > 1);
    }
}
