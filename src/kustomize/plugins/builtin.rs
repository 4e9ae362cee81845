//! Builtin plugins: each configuration kind kustomize v5.5 knows, read leniently as
//! kustomize reads it (unknown fields ignored), and run with the engine's own
//! transformers and generators.

use super::{config_file, describe, helm_error, Role};
use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::ctx::Ctx;
use crate::kustomize::fieldspec::FieldSpec;
use crate::kustomize::kustomization::{
    GeneratorArgs, Image, Patch, ReplacementEntry, Replica, Selector,
};
use crate::kustomize::resmap::ResMap;
use crate::kustomize::resource::{PluginRef, Resource};
use crate::kustomize::{generate, patch, transform};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A builtin plugin, configured.
pub(super) enum Builtin {
    Annotations {
        annotations: BTreeMap<String, String>,
        specs: Vec<FieldSpec>,
    },
    Labels {
        labels: BTreeMap<String, String>,
        specs: Vec<FieldSpec>,
    },
    PrefixSuffix {
        prefix: String,
        suffix: String,
        specs: Vec<FieldSpec>,
    },
    Images {
        image: Image,
        specs: Vec<FieldSpec>,
    },
    Replicas {
        replica: Replica,
        specs: Vec<FieldSpec>,
    },
    Patches(Vec<Patch>),
    StrategicMerge(Vec<String>),
    Json6902(Patch),
    Replacements(Vec<ReplacementEntry>),
    Namespace {
        namespace: String,
        options: transform::namespace::Options,
    },
    ValueAdd {
        value: String,
        targets: Vec<transform::value_add::Target>,
    },
    Hash,
    /// IAMPolicyGenerator's GKE ServiceAccount, ready to add.
    Made(Box<serde_json::Map<String, Value>>),
    Generator {
        secret: bool,
        args: GeneratorArgs,
    },
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ValueAddConfig {
    value: String,
    targets: Vec<LenientTarget>,
    target_file_path: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ValueTargets {
    targets: Vec<LenientTarget>,
}

/// A ValueAddTransformer target as written.
#[derive(Deserialize, Default, Clone)]
#[serde(default, rename_all = "camelCase")]
struct LenientTarget {
    selector: Option<LenientSelector>,
    field_path: String,
    file_path_position: i64,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct IamConfig {
    cloud: String,
    kubernetes_service: IamKubernetesService,
    service_account: IamServiceAccount,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct IamKubernetesService {
    name: String,
    namespace: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct IamServiceAccount {
    name: String,
    project_id: String,
}

// Plugin configurations are read as kustomize reads them (Go's encoding/json): unknown
// fields are ignored, so these mirror the kustomization's strict types.

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct LenientSpec {
    group: String,
    version: String,
    kind: String,
    path: String,
    create: bool,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default, rename_all = "camelCase")]
struct LenientImage {
    name: String,
    new_name: String,
    new_tag: String,
    tag_suffix: String,
    digest: String,
}

impl From<LenientImage> for Image {
    fn from(i: LenientImage) -> Image {
        Image {
            name: i.name,
            new_name: i.new_name,
            new_tag: i.new_tag,
            tag_suffix: i.tag_suffix,
            digest: i.digest,
        }
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct LenientReplica {
    name: String,
    count: i64,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default, rename_all = "camelCase")]
struct LenientSelector {
    group: Option<String>,
    version: Option<String>,
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    label_selector: Option<String>,
    annotation_selector: Option<String>,
}

impl From<LenientSelector> for Selector {
    fn from(s: LenientSelector) -> Selector {
        Selector {
            group: s.group,
            version: s.version,
            kind: s.kind,
            name: s.name,
            namespace: s.namespace,
            label_selector: s.label_selector,
            annotation_selector: s.annotation_selector,
        }
    }
}

/// `fieldSpecs` as a builtin reads them.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Specs {
    #[serde(rename = "fieldSpecs")]
    field_specs: Option<Vec<LenientSpec>>,
}

impl Specs {
    fn get(&self) -> Vec<FieldSpec> {
        self.field_specs
            .iter()
            .flatten()
            .map(|f| FieldSpec {
                group: f.group.clone(),
                version: f.version.clone(),
                kind: f.kind.clone(),
                path: f.path.clone(),
                create: f.create,
            })
            .collect()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MapConfig {
    annotations: BTreeMap<String, String>,
    labels: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AffixConfig {
    prefix: String,
    suffix: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ImageConfig {
    image_tag: LenientImage,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReplicaConfig {
    replica: LenientReplica,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PatchConfig {
    path: String,
    patch: String,
    target: Option<LenientSelector>,
    options: BTreeMap<String, bool>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StrategicConfig {
    paths: Vec<String>,
    patches: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Json6902Config {
    target: Option<LenientSelector>,
    path: String,
    json_op: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct NamespaceConfig {
    unset_only: bool,
    set_role_binding_subjects: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReplacementConfig {
    replacements: Vec<ReplacementEntry>,
}

/// Every top-level field a builtin configuration has.
const CONFIG_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "annotations",
    "labels",
    "fieldSpecs",
    "prefix",
    "suffix",
    "imageTag",
    "replica",
    "path",
    "patch",
    "target",
    "options",
    "paths",
    "patches",
    "jsonOp",
    "replacements",
    "unsetOnly",
    "setRoleBindingSubjects",
    "value",
    "targets",
    "targetFilePath",
    "cloud",
    "kubernetesService",
    "serviceAccount",
    "name",
    "namespace",
    "behavior",
    "literals",
    "files",
    "envs",
    "env",
    "type",
];

/// The fields of a ConfigMapArgs/SecretArgs, the only ones a generator reads.
const GENERATOR_FIELDS: &[&str] = &[
    "name",
    "namespace",
    "behavior",
    "literals",
    "files",
    "envs",
    "env",
    "options",
    "type",
];

impl Builtin {
    /// Reads one configuration as kustomize configures the builtin it names.
    pub(super) fn configure(ctx: &Ctx, cfg: &Resource, role: Role) -> Result<Builtin> {
        let file = config_file(ctx, cfg);
        let fail = |msg: String| {
            Error::new(
                ErrorKind::Invalid,
                file.clone(),
                format!("plugin {} fails configuration: {msg}", describe(cfg)),
            )
            .at_line(cfg.origin.line)
        };
        let kind = cfg.kind();
        if cfg.api_version() != "builtin" {
            return Err(Error::new(
                ErrorKind::Invalid,
                file.clone(),
                format!(
                    "`{}` names {} (apiVersion {}), an exec, container or Go plugin: kustomize runs \
                     those only with its alpha plugin flags (it fails with \"external plugins \
                     disabled; unable to load external plugin '{kind}'\" otherwise) and strata \
                     never runs plugin code; use a builtin (apiVersion: builtin), patches or \
                     replacements, or vendor what the plugin makes",
                    role.field(),
                    describe(cfg),
                    if cfg.api_version().is_empty() { "unset" } else { cfg.api_version() },
                ),
            )
            .at_line(cfg.origin.line));
        }
        let is_generator = matches!(
            kind,
            "ConfigMapGenerator"
                | "SecretGenerator"
                | "HelmChartInflationGenerator"
                | "IAMPolicyGenerator"
        );
        let is_transformer = matches!(
            kind,
            "AnnotationsTransformer"
                | "HashTransformer"
                | "ImageTagTransformer"
                | "LabelTransformer"
                | "NamespaceTransformer"
                | "PatchJson6902Transformer"
                | "PatchStrategicMergeTransformer"
                | "PatchTransformer"
                | "PrefixSuffixTransformer"
                | "PrefixTransformer"
                | "SuffixTransformer"
                | "ReplacementTransformer"
                | "ReplicaCountTransformer"
                | "ValueAddTransformer"
        );
        if !is_generator && !is_transformer {
            return Err(Error::new(
                ErrorKind::Invalid,
                file.clone(),
                format!(
                    "unable to load builtin {}: `{}` lists a kind kustomize has no builtin plugin \
                     for (builtins: AnnotationsTransformer, ConfigMapGenerator, HashTransformer, \
                     ImageTagTransformer, LabelTransformer, NamespaceTransformer, \
                     PatchJson6902Transformer, PatchStrategicMergeTransformer, PatchTransformer, \
                     PrefixSuffixTransformer, PrefixTransformer, ReplacementTransformer, \
                     ReplicaCountTransformer, SecretGenerator, SuffixTransformer); fix the kind{}",
                    cfg.gvk(),
                    role.field(),
                    if kind == "SortOrderTransformer" {
                        " (kustomize reads sort order only from `sortOptions` of the top kustomization)"
                    } else {
                        ""
                    }
                ),
            )
            .at_line(cfg.origin.line));
        }
        if role == Role::Generator && !is_generator {
            return Err(fail_role(&file, cfg, "a generator", "transformers"));
        }
        if role != Role::Generator && !is_transformer {
            return Err(fail_role(&file, cfg, "a transformer", "generators"));
        }
        // Go matches field names ignoring case, serde does not: a field spelt with other
        // case is renamed, as kustomize reads it (both spellings at once: an error).
        let mut map = cfg.doc.clone();
        let renames: Vec<(String, &str)> = map
            .keys()
            .filter_map(|k| {
                CONFIG_FIELDS
                    .iter()
                    .find(|f| **f != k && f.eq_ignore_ascii_case(k))
                    .map(|f| (k.clone(), *f))
            })
            .collect();
        for (key, field) in renames {
            if map.contains_key(field) {
                return Err(fail(format!(
                    "both `{key}` and `{field}` are set, which kustomize reads as one field (Go \
                     matches field names ignoring case); keep `{field}`"
                )));
            }
            if let Some(v) = map.remove(&key) {
                map.insert(field.to_string(), v);
            }
        }
        let cfg_doc = map;
        let doc = Value::Object(cfg_doc);
        let read = |v: &Value| -> Result<Specs> { parse(v).map_err(&fail) };
        Ok(match kind {
            "AnnotationsTransformer" => Builtin::Annotations {
                annotations: parse::<MapConfig>(&doc).map_err(&fail)?.annotations,
                specs: read(&doc)?.get(),
            },
            "LabelTransformer" => Builtin::Labels {
                labels: parse::<MapConfig>(&doc).map_err(&fail)?.labels,
                specs: read(&doc)?.get(),
            },
            "PrefixTransformer" | "SuffixTransformer" | "PrefixSuffixTransformer" => {
                let specs = read(&doc)?;
                if specs.field_specs.is_none() {
                    return Err(fail("fieldSpecs is not expected to be nil; add `fieldSpecs: [{path: metadata/name}]`".into()));
                }
                let a: AffixConfig = parse(&doc).map_err(&fail)?;
                Builtin::PrefixSuffix {
                    prefix: if kind == "SuffixTransformer" {
                        String::new()
                    } else {
                        a.prefix
                    },
                    suffix: if kind == "PrefixTransformer" {
                        String::new()
                    } else {
                        a.suffix
                    },
                    specs: specs.get(),
                }
            }
            "ImageTagTransformer" => Builtin::Images {
                image: parse::<ImageConfig>(&doc).map_err(&fail)?.image_tag.into(),
                specs: read(&doc)?.get(),
            },
            "ReplicaCountTransformer" => Builtin::Replicas {
                replica: {
                    let r = parse::<ReplicaConfig>(&doc).map_err(&fail)?.replica;
                    Replica {
                        name: r.name,
                        count: r.count,
                    }
                },
                specs: read(&doc)?.get(),
            },
            "PatchTransformer" => {
                let c: PatchConfig = parse(&doc).map_err(&fail)?;
                let patch = c.patch.trim().to_string();
                match (patch.is_empty(), c.path.is_empty()) {
                    (true, true) => return Err(fail("must specify one of patch and path".into())),
                    (false, false) => {
                        return Err(fail(
                            "patch and path can't be set at the same time; keep one".into(),
                        ))
                    }
                    _ => {}
                }
                Builtin::Patches(vec![Patch {
                    path: (!c.path.is_empty()).then_some(c.path),
                    patch: (!patch.is_empty()).then_some(patch),
                    target: c.target.map(Selector::from),
                    options: c.options,
                }])
            }
            "PatchStrategicMergeTransformer" => {
                let c: StrategicConfig = parse(&doc).map_err(&fail)?;
                if c.paths.is_empty() && c.patches.is_empty() {
                    return Err(fail(
                        "empty file path and empty patch content; set `paths` or `patches`".into(),
                    ));
                }
                let mut entries = c.paths;
                if !c.patches.is_empty() {
                    entries.push(c.patches);
                }
                Builtin::StrategicMerge(entries)
            }
            "PatchJson6902Transformer" => {
                let c: Json6902Config = parse(&doc).map_err(&fail)?;
                if c.target
                    .as_ref()
                    .and_then(|t| t.name.as_deref())
                    .unwrap_or("")
                    .is_empty()
                {
                    return Err(fail("must specify the target name".into()));
                }
                match (c.path.is_empty(), c.json_op.is_empty()) {
                    (true, true) => {
                        return Err(fail("empty file path and empty jsonOp; set one".into()))
                    }
                    (false, false) => {
                        return Err(fail("must specify a file path or jsonOp, not both".into()))
                    }
                    _ => {}
                }
                Builtin::Json6902(Patch {
                    path: (!c.path.is_empty()).then_some(c.path),
                    patch: (!c.json_op.is_empty()).then_some(c.json_op),
                    target: c.target.map(Selector::from),
                    options: BTreeMap::new(),
                })
            }
            "ReplacementTransformer" => Builtin::Replacements(
                parse::<ReplacementConfig>(&doc)
                    .map_err(&fail)?
                    .replacements,
            ),
            "NamespaceTransformer" => {
                use transform::namespace::Subjects;
                let c: NamespaceConfig = parse(&doc).map_err(&fail)?;
                let subjects = match c.set_role_binding_subjects.as_str() {
                    "" | "defaultOnly" => Subjects::DefaultOnly,
                    "allServiceAccounts" => Subjects::AllServiceAccounts,
                    "none" => Subjects::None,
                    other => {
                        return Err(fail(format!(
                            "unmarshalling NamespaceTransformer config: invalid value \"{other}\" \
                             for setRoleBindingSubjects: must be one of \"defaultOnly\", \"none\" \
                             or \"allServiceAccounts\""
                        )))
                    }
                };
                Builtin::Namespace {
                    namespace: cfg.namespace().to_string(),
                    options: transform::namespace::Options {
                        specs: read(&doc)?.get(),
                        unset_only: c.unset_only,
                        subjects,
                    },
                }
            }
            "ValueAddTransformer" => {
                let mut c: ValueAddConfig = parse(&doc).map_err(&fail)?;
                let mut value = c.value.trim().to_string();
                if value.is_empty() {
                    // kustomize's default: the base name of the kustomization's folder.
                    value = match ctx.dir.rsplit('/').next().filter(|d| !d.is_empty()) {
                        Some(d) => d.to_string(),
                        // The root's own folder name (Go's `filepath.Base`), not its path.
                        None => {
                            let root = ctx.fs.root_name();
                            let trimmed = root.trim_end_matches('/');
                            match trimmed.rsplit('/').next() {
                                Some(base) if !base.is_empty() => base.to_string(),
                                _ if root.starts_with('/') => "/".to_string(),
                                _ => root,
                            }
                        }
                    };
                }
                if !c.target_file_path.is_empty() {
                    let (path, text) = ctx.read_text(&c.target_file_path)?;
                    let docs = crate::yaml::parse_stream(&text)
                        .map_err(|e| crate::kustomize::loader::yaml_error(&path, e))?;
                    let first = docs.into_iter().map(|d| d.value).find(|v| !v.is_null());
                    if let Some(v) = first {
                        let more: ValueTargets = parse(&v).map_err(&fail)?;
                        c.targets.extend(more.targets);
                    }
                }
                if c.targets.is_empty() {
                    return Err(fail("must specify at least one target".into()));
                }
                for t in &c.targets {
                    if t.field_path.is_empty() {
                        return Err(fail("fieldPath cannot be empty".into()));
                    }
                    if t.file_path_position < 0 {
                        return Err(fail(format!(
                            "value of FilePathPosition ({}) cannot be negative",
                            t.file_path_position
                        )));
                    }
                }
                Builtin::ValueAdd {
                    value,
                    targets: c
                        .targets
                        .into_iter()
                        .map(|t| transform::value_add::Target {
                            selector: t.selector.map(Selector::from),
                            field_path: t.field_path,
                            file_path_position: t.file_path_position,
                        })
                        .collect(),
                }
            }
            "IAMPolicyGenerator" => {
                let c: IamConfig = parse(&doc).map_err(&fail)?;
                if c.cloud != "gke" {
                    return Err(fail(format!(
                        "cloud provider {} not supported yet; the only one is gke",
                        c.cloud
                    )));
                }
                let mut meta = serde_json::Map::new();
                meta.insert(
                    "annotations".into(),
                    serde_json::json!({"iam.gke.io/gcp-service-account": format!(
                        "{}@{}.iam.gserviceaccount.com",
                        c.service_account.name, c.service_account.project_id
                    )}),
                );
                meta.insert("name".into(), Value::String(c.kubernetes_service.name));
                if !c.kubernetes_service.namespace.is_empty() {
                    meta.insert(
                        "namespace".into(),
                        Value::String(c.kubernetes_service.namespace),
                    );
                }
                let mut sa = serde_json::Map::new();
                sa.insert("apiVersion".into(), Value::String("v1".into()));
                sa.insert("kind".into(), Value::String("ServiceAccount".into()));
                sa.insert("metadata".into(), Value::Object(meta));
                Builtin::Made(Box::new(sa))
            }
            "HashTransformer" => Builtin::Hash,
            "ConfigMapGenerator" | "SecretGenerator" => {
                let Value::Object(mut m) = doc else {
                    unreachable!("a resource is a mapping")
                };
                m.retain(|k, _| GENERATOR_FIELDS.contains(&k.as_str()));
                if let Some(Value::Object(o)) = m.get_mut("options") {
                    o.retain(|k, _| {
                        [
                            "labels",
                            "annotations",
                            "disableNameSuffixHash",
                            "immutable",
                        ]
                        .contains(&k.as_str())
                    });
                }
                let mut args: GeneratorArgs = parse(&Value::Object(m)).map_err(&fail)?;
                if kind == "ConfigMapGenerator" {
                    // ConfigMapArgs has no `type`: kustomize ignores it there.
                    args.secret_type.clear();
                }
                if args.name.is_empty() {
                    args.name = cfg.name().to_string();
                }
                if args.namespace.is_empty() {
                    args.namespace = cfg.namespace().to_string();
                }
                Builtin::Generator {
                    secret: kind == "SecretGenerator",
                    args,
                }
            }
            "HelmChartInflationGenerator" => {
                return Err(helm_error(&file, "HelmChartInflationGenerator"))
            }
            _ => {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    file.clone(),
                    format!(
                        "the builtin {kind} ({}) is not supported by strata; express it with \
                         patches, replacements or other builtins",
                        describe(cfg)
                    ),
                )
                .at_line(cfg.origin.line))
            }
        })
    }

    /// Applies the plugin to `ra`; paths it names are relative to `ctx`'s kustomization.
    /// `by` names the configuration, for what it generates.
    pub(super) fn run(&self, ctx: &mut Ctx, by: &PluginRef, ra: &mut ResMap) -> Result<()> {
        // Edits are blamed on the configuration (its file, or the kustomization if inline).
        let file = by.configured_in.clone();
        match self {
            Builtin::Annotations { annotations, specs } => {
                transform::annotations::apply_with_specs(ra, annotations, specs, &file)
            }
            Builtin::Labels { labels, specs } => {
                transform::labels::set_labels(ra, labels, specs, &file)
            }
            Builtin::PrefixSuffix {
                prefix,
                suffix,
                specs,
            } => transform::prefix_suffix::apply_with_specs(ra, prefix, suffix, specs, &file),
            Builtin::Images { image, specs } => {
                transform::images::apply_with_specs(ra, std::slice::from_ref(image), specs, &file)
            }
            Builtin::Replicas { replica, specs } => transform::replicas::apply_with_specs(
                ra,
                std::slice::from_ref(replica),
                specs,
                &file,
            ),
            Builtin::Patches(patches) => patch::apply_patches(ctx, patches, ra),
            Builtin::StrategicMerge(entries) => patch::apply_strategic_merge_list(ctx, entries, ra),
            Builtin::Json6902(p) => patch::apply_json6902_list(ctx, std::slice::from_ref(p), ra),
            Builtin::Replacements(entries) => transform::replacements::apply(ctx, entries, ra),
            Builtin::Namespace { namespace, options } => {
                transform::namespace::apply_with(ra, namespace, options, &file)
            }
            Builtin::ValueAdd { value, targets } => {
                transform::value_add::apply(ra, value, targets, &file)
            }
            Builtin::Made(doc) => {
                let mut r = Resource::new(
                    (**doc).clone(),
                    crate::kustomize::resource::Origin {
                        file: file.clone(),
                        line: 0,
                        generated_by: Some(file.clone()),
                    },
                );
                r.meta.generated_by = Some(by.clone());
                ra.append(r)
            }
            Builtin::Hash => transform::hash::add_hash_suffixes(ra),
            Builtin::Generator { secret, args } => {
                generate::run_plugin_generator(ctx, *secret, args, by, ra)
            }
        }
    }
}

fn fail_role(file: &str, cfg: &Resource, what: &str, other: &str) -> Error {
    Error::new(
        ErrorKind::Invalid,
        file.to_string(),
        format!(
            "plugin {} not {what}; list it under `{other}` instead",
            describe(cfg)
        ),
    )
    .at_line(cfg.origin.line)
}

/// Reads a configuration; the message never quotes a value from it (it may be a secret:
/// serde says `invalid type: string "..."`).
fn parse<T: DeserializeOwned>(v: &Value) -> std::result::Result<T, String> {
    serde_json::from_value(v.clone()).map_err(|e| redact_quoted(&e.to_string()))
}

/// Replaces every `"..."` in a message by `"…"`.
fn redact_quoted(msg: &str) -> String {
    let mut out = String::new();
    let mut parts = msg.split('"');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    let rest: Vec<&str> = parts.collect();
    for (i, part) in rest.iter().enumerate() {
        if i % 2 == 0 {
            // Inside quotes: drop it, unless the quote is never closed.
            if i + 1 < rest.len() {
                out.push_str("\"…\"");
            } else {
                out.push('"');
                out.push_str(part);
            }
        } else {
            out.push_str(part);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_errors_never_quote_a_value() {
        let v = serde_json::json!({"literals": "password=hunter2"});
        let err = parse::<GeneratorArgs>(&v).err().unwrap();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("invalid type: string \"…\""), "{err}");
        assert_eq!(redact_quoted("a \"b\" c \"d"), "a \"…\" c \"d");
    }
}
