//! `configurations` and `crds`: field specs a kustomization adds to kustomize's
//! built-in tables (where labels, annotations, images, replicas, prefixes, namespaces,
//! `$(VAR)`s and name references go).
//!
//! As in kustomize v5.5, the tables travel with the resources (`ResMap::config`): a
//! kustomization's transformers use its own rows, its bases' and its components', and
//! its parent inherits them all. The tables are merged exactly as kustomize merges
//! them (`TransformerConfig.Merge`: each row added unless a row already there is
//! selected by its kinds with the same path, then sorted by kind), quirk included: a
//! configured row for one kind, merged again on the way up, drops the built-in row
//! for every kind with that path.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::ctx::Ctx;
use crate::kustomize::fieldspec::FieldSpec;
use crate::kustomize::kustomization::FieldSpecArg;
use crate::kustomize::loader::yaml_error;
use crate::kustomize::transform::namereference_table::NAME_REFERENCES;
use crate::kustomize::transform::tables::{self, merge_one};
use serde::Deserialize;
use serde_json::Value;
use std::sync::{Arc, OnceLock};

/// kustomize's transformer configuration: every table, built-in rows included.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransformerConfig {
    pub name_prefix: Vec<FieldSpec>,
    pub name_suffix: Vec<FieldSpec>,
    pub namespace: Vec<FieldSpec>,
    pub common_labels: Vec<FieldSpec>,
    pub labels: Vec<FieldSpec>,
    pub template_labels: Vec<FieldSpec>,
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

/// kustomize's `Gvk.IsLessThan`: the kinds its default order puts first (or last),
/// then group, version and kind, an empty part after every name.
fn gvk_less(a: (&str, &str, &str), b: (&str, &str, &str)) -> bool {
    let rank = crate::kustomize::sort::kind_rank;
    let key = |(g, v, k): (&str, &str, &str)| {
        let or = |x: &str, d: &str| {
            if x.is_empty() {
                d.to_string()
            } else {
                x.to_string()
            }
        };
        format!("{}_{}_{}", or(g, "~G"), or(v, "~V"), or(k, "~K"))
    };
    match rank(a.2).cmp(&rank(b.2)) {
        std::cmp::Ordering::Equal => key(a) < key(b),
        o => o.is_lt(),
    }
}

fn gvk_order(a: (&str, &str, &str), b: (&str, &str, &str)) -> std::cmp::Ordering {
    if gvk_less(a, b) {
        std::cmp::Ordering::Less
    } else if gvk_less(b, a) {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Equal
    }
}

fn sort_specs(list: &mut [FieldSpec]) {
    list.sort_by(|a, b| {
        gvk_order(
            (&a.group, &a.version, &a.kind),
            (&b.group, &b.version, &b.kind),
        )
    });
}

/// kustomize's `FsSlice.MergeAll`.
fn merge_all(
    mut into: Vec<FieldSpec>,
    rows: &[FieldSpec],
) -> std::result::Result<Vec<FieldSpec>, ()> {
    for fs in rows {
        merge_one(&mut into, fs.clone())?;
    }
    Ok(into)
}

fn conflict(what: &str) -> String {
    format!("failed to merge {what} fieldSpec: conflicting fieldspecs")
}

impl TransformerConfig {
    pub fn is_empty(&self) -> bool {
        *self == TransformerConfig::default()
    }

    /// kustomize's built-in tables.
    pub fn defaults() -> &'static TransformerConfig {
        static DEFAULTS: OnceLock<TransformerConfig> = OnceLock::new();
        DEFAULTS.get_or_init(|| {
            let mut common_labels = tables::specs(tables::SELECTOR_LABELS);
            common_labels.extend(tables::specs(tables::METADATA_LABELS));
            let name_reference = NAME_REFERENCES
                .iter()
                .map(|((kind, api), referrers)| {
                    let (group, version) = split_api(api);
                    NameBackReference {
                        group,
                        version,
                        kind: kind.to_string(),
                        referrers: referrers
                            .iter()
                            .map(|(rkind, rapi, path)| {
                                let (group, version) = split_api(rapi);
                                FieldSpec {
                                    group,
                                    version,
                                    kind: rkind.to_string(),
                                    path: path.to_string(),
                                    create: false,
                                }
                            })
                            .collect(),
                    }
                })
                .collect();
            let mut config = TransformerConfig {
                name_prefix: tables::specs(tables::NAME),
                name_suffix: tables::specs(tables::NAME),
                namespace: tables::specs(tables::NAMESPACE),
                common_labels,
                labels: Vec::new(),
                template_labels: tables::specs(tables::METADATA_LABELS),
                common_annotations: tables::specs(tables::ANNOTATIONS),
                name_reference,
                var_reference: tables::specs(tables::VAR_REFERENCE),
                images: tables::specs(tables::IMAGES),
                replicas: tables::specs(tables::REPLICAS),
            };
            config.sort();
            config
        })
    }

    /// The built-in tables, shared.
    pub fn shared_defaults() -> Arc<TransformerConfig> {
        static SHARED: OnceLock<Arc<TransformerConfig>> = OnceLock::new();
        Arc::clone(SHARED.get_or_init(|| Arc::new(TransformerConfig::defaults().clone())))
    }

    /// `a` merged with `b`, without building new tables when the result is one of
    /// them (most kustomizations have no configurations): `b` empty or equal to `a`
    /// gives `a`, and the built-in tables merged into an empty set are themselves.
    pub fn merge_shared(
        a: &Arc<TransformerConfig>,
        b: &Arc<TransformerConfig>,
    ) -> std::result::Result<Arc<TransformerConfig>, String> {
        if b.is_empty() || Arc::ptr_eq(a, b) || a == b {
            return Ok(Arc::clone(a));
        }
        if a.is_empty()
            && (Arc::ptr_eq(b, &TransformerConfig::shared_defaults())
                || **b == *TransformerConfig::defaults())
        {
            return Ok(Arc::clone(b));
        }
        a.merge(b).map(Arc::new)
    }

    /// This configuration, or the built-in tables when it is empty (a `ResMap` that
    /// no kustomization has accumulated yet).
    pub fn or_defaults(&self) -> &TransformerConfig {
        if self.is_empty() {
            TransformerConfig::defaults()
        } else {
            self
        }
    }

    /// kustomize's `sortFields`: every table by kind, name references by target.
    fn sort(&mut self) {
        for list in self.lists_mut() {
            sort_specs(list);
        }
        self.name_reference.sort_by(|a, b| {
            gvk_order(
                (&a.group, &a.version, &a.kind),
                (&b.group, &b.version, &b.kind),
            )
        });
    }

    fn lists_mut(&mut self) -> [&mut Vec<FieldSpec>; 10] {
        [
            &mut self.name_prefix,
            &mut self.name_suffix,
            &mut self.namespace,
            &mut self.common_labels,
            &mut self.labels,
            &mut self.template_labels,
            &mut self.common_annotations,
            &mut self.var_reference,
            &mut self.images,
            &mut self.replicas,
        ]
    }

    /// kustomize's `TransformerConfig.Merge`: `input`'s rows added to a copy of these,
    /// then sorted. A row with the path of one already there (for kinds it selects)
    /// but a different `create` is an error, named by table.
    pub fn merge(
        &self,
        input: &TransformerConfig,
    ) -> std::result::Result<TransformerConfig, String> {
        const NAMES: [&str; 10] = [
            "NamePrefix",
            "NameSuffix",
            "NameSpace",
            "CommonLabels",
            "Labels",
            "TemplateLabels",
            "CommonAnnotations",
            "VarReference",
            "Images",
            "Replicas",
        ];
        let mut out = self.clone();
        let mut theirs = input.clone();
        for ((mine, theirs), what) in out
            .lists_mut()
            .into_iter()
            .zip(theirs.lists_mut())
            .zip(NAMES)
        {
            *mine = merge_all(std::mem::take(mine), theirs).map_err(|()| conflict(what))?;
        }
        for nbr in &input.name_reference {
            out.add_name_reference(nbr.clone())?;
        }
        out.sort();
        Ok(out)
    }

    /// kustomize's `nbrSlice.mergeOne`: referrers of a target already there (same
    /// group, version and kind) join its list; a new target is added.
    fn add_name_reference(&mut self, nbr: NameBackReference) -> std::result::Result<(), String> {
        let same = self
            .name_reference
            .iter_mut()
            .find(|x| x.group == nbr.group && x.version == nbr.version && x.kind == nbr.kind);
        match same {
            Some(x) => {
                x.referrers = merge_all(std::mem::take(&mut x.referrers), &nbr.referrers)
                    .map_err(|()| conflict("NameReference"))?;
            }
            None => self.name_reference.push(nbr),
        }
        Ok(())
    }
}

/// `group/version` (either may be empty) or a version alone.
fn split_api(api: &str) -> (String, String) {
    let (g, v) = api.rsplit_once('/').unwrap_or(("", api));
    (g.to_string(), v.to_string())
}

/// The kustomization's tables: the built-in ones merged with its `configurations`
/// files' rows (kustomize's `MakeTransformerConfig`).
pub fn load_configurations(ctx: &Ctx, paths: &[String]) -> Result<Arc<TransformerConfig>> {
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
        let mut one = TransformerConfig {
            name_prefix: specs(file.name_prefix),
            name_suffix: specs(file.name_suffix),
            namespace: specs(file.namespace),
            common_labels: specs(file.common_labels),
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
        one.sort();
        config = config
            .merge(&one)
            .and_then(|c| TransformerConfig::defaults().merge(&c).map(|_| c))
            .map_err(|m| Error::new(ErrorKind::Invalid, path.clone(), m))?;
    }
    if paths.is_empty() {
        return Ok(TransformerConfig::shared_defaults());
    }
    // kustomize's `MakeTransformerConfig`: the built-in tables, then the files' rows.
    let all = TransformerConfig::defaults().merge(&config).map_err(|m| {
        Error::new(
            ErrorKind::Invalid,
            ctx.file.clone(),
            format!("configurations: {m}"),
        )
    })?;
    Ok(Arc::new(all))
}

/// The rows the kustomization's `crds` files give (kustomize's `LoadConfigFromCRDs`):
/// each file maps OpenAPI type names to `{Schema: ...}`; a type with `kind`,
/// `apiVersion` and `metadata` properties is a kind (the last `.`-part of its name),
/// and its properties marked `x-kubernetes-object-ref-kind` (with
/// `x-kubernetes-object-ref-api-version`) hold names of that kind,
/// `x-kubernetes-annotation` and `x-kubernetes-label-selector` take annotations and
/// labels, `x-kubernetes-identity` takes the name prefix. `$ref`s are followed.
pub fn load_crds(ctx: &Ctx, paths: &[String]) -> Result<Arc<TransformerConfig>> {
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
            config = config
                .merge(&one)
                .map_err(|m| Error::new(ErrorKind::Invalid, path.clone(), m))?;
        }
    }
    Ok(Arc::new(config))
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
        let a = TransformerConfig {
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
        let a = a.merge(&b).unwrap().merge(&b).unwrap();
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

    // kubectl kustomize v5.5: a configured `metadata/labels` row for one kind, merged
    // into the accumulator, drops the built-in row for every kind.
    #[test]
    fn a_row_for_one_kind_drops_the_builtin_row_on_the_next_merge() {
        let custom = TransformerConfig {
            common_labels: vec![fs("Widget", "metadata/labels", true)],
            ..Default::default()
        };
        let own = TransformerConfig::defaults().merge(&custom).unwrap();
        assert!(own.common_labels.contains(&fs("", "metadata/labels", true)));
        let acc = TransformerConfig::default().merge(&own).unwrap();
        assert!(!acc.common_labels.contains(&fs("", "metadata/labels", true)));
        assert!(acc
            .common_labels
            .contains(&fs("Widget", "metadata/labels", true)));
    }

    #[test]
    fn builtin_tables_merge_into_an_empty_one_unchanged() {
        let d = TransformerConfig::defaults();
        assert_eq!(TransformerConfig::default().merge(d).unwrap(), *d);
        assert_eq!(d.merge(d).unwrap(), *d);
    }

    #[test]
    fn a_row_conflicting_with_a_builtin_one_is_an_error() {
        let c = TransformerConfig {
            common_annotations: vec![fs("", "metadata/annotations", false)],
            ..Default::default()
        };
        assert!(TransformerConfig::defaults().merge(&c).is_err());
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
