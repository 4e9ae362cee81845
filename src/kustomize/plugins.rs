//! `generators`, `transformers` and `validators`: builtin plugin configurations
//! (`apiVersion: builtin`) run with the engine's own generators and transformers, as
//! kustomize v5.5 runs them. Exec, container (KRM function) and Go plugins are refused,
//! as kustomize refuses them without its plugin flags; so is `helmCharts`, which
//! kustomize inflates only with `--enable-helm`.
//!
//! Facts settled against kustomize v5.5.0 (`kubectl kustomize`):
//! - An entry is an inline configuration when it parses as YAML objects, else a path:
//!   a file of configurations, or a directory holding a kustomization whose output
//!   resources are the configurations (a "transformer directory"). Inline entries are
//!   loaded first, then the paths, each group in order.
//! - A builtin's paths (patch files, generator sources) are relative to the
//!   kustomization that lists it, not to the configuration's file.
//! - Generators run after `configMapGenerator`/`secretGenerator`; their objects join the
//!   resources as generated objects do (`behavior`, hash suffix). Transformers run after
//!   the kustomization's own transformers, in order. A validator runs on a copy of the
//!   resources and fails the build if it changed them.
//! - Configurations are read leniently (unknown fields are ignored), as kustomize reads them.
//! - `SortOrderTransformer` is not a plugin in kustomize ("unable to load builtin"), and
//!   `HashTransformer` adds the suffix there and then (so the root adds a second one).

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::build::accumulate_resource;
use crate::kustomize::ctx::{is_remote, Ctx};
use crate::kustomize::fieldspec::FieldSpec;
use crate::kustomize::kustomization::{
    GeneratorArgs, Image, Kustomization, Patch, ReplacementEntry, Replica, Selector,
};
use crate::kustomize::loader::load_resources;
use crate::kustomize::resmap::ResMap;
use crate::kustomize::resource::{PluginRef, Resource};
use crate::kustomize::{generate, metadata, patch, transform};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Which list of the kustomization names a configuration.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Generator,
    Transformer,
    Validator,
}

impl Role {
    fn field(self) -> &'static str {
        match self {
            Role::Generator => "generators",
            Role::Transformer => "transformers",
            Role::Validator => "validators",
        }
    }
}

/// `helmCharts` (and the deprecated `helmChartInflationGenerator`, which kustomize turns
/// into `helmCharts`): kustomize refuses to inflate a chart without `--enable-helm`.
/// `helmGlobals` alone does nothing.
pub fn refuse_helm_charts(ctx: &Ctx, k: &Kustomization) -> Result<()> {
    let field = if !k.helm_charts.is_empty() {
        "helmCharts"
    } else if !k.helm_chart_inflation_generator.is_empty() {
        "helmChartInflationGenerator"
    } else {
        return Ok(());
    };
    Err(helm_error(&ctx.file, field))
}

fn helm_error(file: &str, what: &str) -> Error {
    Error::new(
        ErrorKind::Invalid,
        file.to_string(),
        format!(
            "`{what}` inflates a Helm chart, which kustomize does only when given --enable-helm \
             (it fails with \"must specify --enable-helm\" otherwise), and strata build does not \
             run Helm; vendor the chart's rendered output and list it under `resources`, or render \
             the chart in strata's fleet (`source: chart`)"
        ),
    )
}

/// Runs the kustomization's `generators`, adding what they make to `ra`.
pub fn run_generators(
    ctx: &mut Ctx,
    k: &Kustomization,
    ra: &mut ResMap,
    stack: &mut Vec<String>,
) -> Result<()> {
    let configs = load_configs(ctx, Role::Generator, &k.generators, stack)?;
    for cfg in &configs {
        let plugin = Builtin::configure(ctx, cfg, Role::Generator)?;
        plugin.run(ctx, &plugin_ref(ctx, cfg), ra)?;
    }
    Ok(())
}

/// Runs the kustomization's `transformers` over `ra`, in order.
pub fn run_transformers(
    ctx: &mut Ctx,
    k: &Kustomization,
    ra: &mut ResMap,
    stack: &mut Vec<String>,
) -> Result<()> {
    let configs = load_configs(ctx, Role::Transformer, &k.transformers, stack)?;
    let plugins = configs
        .iter()
        .map(|cfg| Builtin::configure(ctx, cfg, Role::Transformer))
        .collect::<Result<Vec<_>>>()?;
    for (p, cfg) in plugins.iter().zip(&configs) {
        let by = plugin_ref(ctx, cfg);
        p.run(ctx, &by, ra)?;
        metadata::note(ctx, ra, by, 1);
    }
    Ok(())
}

/// Runs the kustomization's `validators`: each on a copy of `ra`, which it must not change.
pub fn run_validators(
    ctx: &mut Ctx,
    k: &Kustomization,
    ra: &ResMap,
    stack: &mut Vec<String>,
) -> Result<()> {
    let configs = load_configs(ctx, Role::Validator, &k.validators, stack)?;
    for cfg in &configs {
        let plugin = Builtin::configure(ctx, cfg, Role::Validator)?;
        let mut copy = ra.clone();
        plugin.run(ctx, &plugin_ref(ctx, cfg), &mut copy)?;
        let changed = copy.len() != ra.len()
            || copy
                .iter()
                .zip(ra.iter())
                .any(|(after, before)| without_validated_by(after) != before.doc);
        if changed {
            return Err(Error::new(
                ErrorKind::Transform,
                config_file(ctx, cfg),
                format!(
                    "validator {} changed the resources; kustomize fails the build when a \
                     validator shouldn't modify the resource map (list it under `transformers` \
                     if it is meant to change them)",
                    describe(cfg)
                ),
            ));
        }
    }
    Ok(())
}

/// A validator may mark what it checked with the `validated-by` label; kustomize
/// ignores that label when it compares.
fn without_validated_by(r: &Resource) -> serde_json::Map<String, Value> {
    let mut doc = r.doc.clone();
    if let Some(Value::Object(labels)) = doc.get_mut("metadata").and_then(|m| m.get_mut("labels")) {
        labels.remove("validated-by");
    }
    doc
}

/// The configurations an entry list names: inline YAML first, then files and
/// directories (built as kustomizations), each group in order, as kustomize loads them.
fn load_configs(
    ctx: &mut Ctx,
    role: Role,
    entries: &[String],
    stack: &mut Vec<String>,
) -> Result<Vec<Resource>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    // Inline configurations are blamed on the line of their field in the kustomization.
    let line = ctx
        .fs
        .read(&ctx.file)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|text| crate::yaml::line_of_key(&text, role.field()))
        .unwrap_or(0);
    let mut configs = ResMap::new();
    let mut paths = Vec::new();
    for entry in entries {
        if is_inline(entry) {
            let mut inline =
                load_resources(ctx.fs, &ctx.file, entry).map_err(|e| e.at_line(line))?;
            for r in inline.iter_mut() {
                r.origin.line = line;
            }
            configs.append_all(inline)?;
        } else {
            paths.push(entry);
        }
    }
    for path in paths {
        let full = crate::kustomize::fs::join(&ctx.dir, path).unwrap_or_default();
        if !is_remote(path) && !ctx.fs.is_file(&full) && !ctx.fs.is_dir(&full) {
            return Err(Error::new(
                ErrorKind::Missing,
                ctx.file.clone(),
                format!(
                    "`{}` entry '{path}' does not exist (looked for {full}); it must be inline \
                     YAML, a file of plugin configurations or a directory with a kustomization: \
                     fix the path or create the file",
                    role.field()
                ),
            )
            .at_line(line));
        }
        let sub = accumulate_resource(ctx, path, stack)?;
        configs.append_all(sub)?;
    }
    Ok(configs.resources)
}

/// kustomize tries an entry as YAML objects first; what does not parse as such is a path.
fn is_inline(entry: &str) -> bool {
    let Ok(docs) = crate::yaml::parse_stream(entry) else {
        return false;
    };
    let mut objects = docs.iter().filter(|d| !d.value.is_null()).peekable();
    objects.peek().is_some() && objects.all(|d| d.value.is_object())
}

/// The file to blame for a configuration: its own file, or the kustomization for an
/// inline one.
fn config_file(ctx: &Ctx, cfg: &Resource) -> String {
    if cfg.origin.file.is_empty() {
        ctx.file.clone()
    } else {
        cfg.origin.file.clone()
    }
}

/// A configuration as `buildMetadata` names it.
fn plugin_ref(ctx: &Ctx, cfg: &Resource) -> PluginRef {
    PluginRef {
        configured_in: config_file(ctx, cfg),
        api_version: cfg.api_version().to_string(),
        kind: cfg.kind().to_string(),
        name: cfg.name().to_string(),
        namespace: cfg.namespace().to_string(),
    }
}

/// kustomize's spelling of a plugin configuration: `PrefixTransformer.builtin.[noGrp]/x.[noNs]`.
fn describe(cfg: &Resource) -> String {
    cfg.cur_id().to_string()
}

/// A builtin plugin, configured.
enum Builtin {
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
        targets: Vec<ValueTarget>,
    },
    Hash,
    /// IAMPolicyGenerator's GKE ServiceAccount, ready to add.
    Made(Box<serde_json::Map<String, Value>>),
    Generator {
        secret: bool,
        args: GeneratorArgs,
    },
}

/// A ValueAddTransformer target.
#[derive(Deserialize, Default, Clone)]
#[serde(default, rename_all = "camelCase")]
struct ValueTarget {
    selector: Option<LenientSelector>,
    field_path: String,
    file_path_position: i64,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ValueAddConfig {
    value: String,
    targets: Vec<ValueTarget>,
    target_file_path: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ValueTargets {
    targets: Vec<ValueTarget>,
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
    fn configure(ctx: &Ctx, cfg: &Resource, role: Role) -> Result<Builtin> {
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
        let doc = Value::Object(cfg.doc.clone());
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
                        None => ctx.fs.root_name(),
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
                    targets: c.targets,
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
    fn run(&self, ctx: &mut Ctx, by: &PluginRef, ra: &mut ResMap) -> Result<()> {
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
            Builtin::ValueAdd { value, targets } => add_value(ra, value, targets, &file),
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

/// ValueAddTransformer: `value` at each target's field path (created as needed), or
/// inserted into the path held there at `filePathPosition`; `metadata/namespace` is set
/// as the namespace transformer sets it (without its field specs).
fn add_value(ra: &mut ResMap, value: &str, targets: &[ValueTarget], source: &str) -> Result<()> {
    use crate::kustomize::patch::target::TargetMatcher;
    for t in targets {
        let matcher = match &t.selector {
            Some(sel) => Some(TargetMatcher::new(&sel.clone().into()).map_err(|e| {
                Error::new(
                    ErrorKind::Invalid,
                    source,
                    format!("ValueAddTransformer selector: {e}"),
                )
            })?),
            None => None,
        };
        for r in ra.iter_mut() {
            if matcher.as_ref().is_some_and(|m| !m.matches(r)) {
                continue;
            }
            let id = r.cur_id();
            let result = if t.field_path == "metadata/namespace" {
                let opts = transform::namespace::Options {
                    specs: Vec::new(),
                    ..Default::default()
                };
                transform::namespace::set_on(r, value, &opts)
            } else {
                set_value(&mut r.doc, &t.field_path, value, t.file_path_position)
            };
            match result {
                Ok(paths) => r.record("valueAdd", source, paths),
                Err(e) => {
                    return Err(Error::new(
                        ErrorKind::Transform,
                        source,
                        format!(
                            "ValueAddTransformer: cannot set '{}' of {id}: {e}",
                            t.field_path
                        ),
                    ))
                }
            }
        }
    }
    Ok(())
}

/// Sets one `/`-separated field (`\/` escapes a slash), creating maps on the way.
fn set_value(
    doc: &mut serde_json::Map<String, Value>,
    field_path: &str,
    value: &str,
    position: i64,
) -> std::result::Result<Vec<String>, String> {
    let mut fields: Vec<String> = Vec::new();
    for part in field_path.split('/') {
        match fields.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('/');
                last.push_str(part);
            }
            _ => fields.push(part.to_string()),
        }
    }
    // kyaml reads numeric, `-` and `[k=v]` elements as list steps, with results of its
    // own (a list index that is missing leaves an empty list); strata names only maps.
    if let Some(f) = fields
        .iter()
        .find(|f| f.starts_with('[') || f.as_str() == "-" || f.parse::<i64>().is_ok())
    {
        return Err(format!(
            "the path element '{f}' steps into a list, which strata does not support here; \
             use a patch or a replacement for list fields"
        ));
    }
    let (leaf, parents) = fields.split_last().ok_or("the field path is empty")?;
    let mut map = doc;
    for f in parents {
        let next = map
            .entry(f.clone())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if next.is_null() {
            *next = Value::Object(serde_json::Map::new());
        }
        map = next
            .as_object_mut()
            .ok_or_else(|| format!("'{f}' is not a map"))?;
    }
    let slot = map.entry(leaf.clone()).or_insert(Value::Null);
    let current = match slot {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return Err(format!("'{leaf}' is not a scalar")),
    };
    let new = if position > 0 {
        insert_path_part(&current, (position - 1) as usize, value)
    } else {
        value.to_string()
    };
    *slot = Value::String(new);
    Ok(vec![fields.join(".")])
}

/// kyaml's `InsertPathPart`: `part` becomes path element `pos` of `path` (clamped),
/// keeping an absolute path absolute; the result is cleaned as Go's `filepath.Join`.
fn insert_path_part(path: &str, pos: usize, part: &str) -> String {
    if part.is_empty() {
        return path.to_string();
    }
    let mut parts: Vec<&str> = if path.is_empty() {
        Vec::new()
    } else if path.chars().all(|c| c == '/') {
        vec![""]
    } else {
        let trimmed = path.trim_end_matches('/');
        let mut v: Vec<&str> = trimmed.split('/').collect();
        if trimmed.starts_with('/') {
            v.retain(|s| !s.is_empty());
            v.insert(0, "");
        } else {
            v.retain(|s| !s.is_empty());
        }
        v
    };
    let mut pos = pos.min(parts.len());
    if parts.first() == Some(&"") && pos < parts.len() {
        pos += 1;
    }
    parts.insert(pos, part);
    let absolute = parts.first() == Some(&"");
    let joined = parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    let cleaned = clean_path(&joined);
    if absolute {
        if cleaned == "." {
            "/".to_string()
        } else {
            format!("/{cleaned}")
        }
    } else {
        cleaned
    }
}

/// Go's `filepath.Clean` for a relative path: `.` and empty elements dropped, `..`
/// resolved where it can be.
fn clean_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." if out.last().is_some_and(|l| *l != "..") => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    if out.is_empty() {
        ".".to_string()
    } else {
        out.join("/")
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

fn parse<T: DeserializeOwned>(v: &Value) -> std::result::Result<T, String> {
    serde_json::from_value(v.clone()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::build::build;
    use crate::kustomize::fs::MemFs;

    // The table in kyaml's valueadd filter documentation (FilePathPosition = pos + 1).
    #[test]
    fn insert_path_part_follows_kyaml() {
        let cases = [
            ("", 0, "PEACH"),
            ("/", 0, "/PEACH"),
            ("pie", 0, "PEACH/pie"),
            ("/pie", 0, "/PEACH/pie"),
            ("raw", 1, "raw/PEACH"),
            ("/raw", 1, "/raw/PEACH"),
            ("a/nice/warm/pie", 3, "a/nice/warm/PEACH/pie"),
            ("/a/nice/warm/pie", 3, "/a/nice/warm/PEACH/pie"),
            ("raw", 9998, "raw/PEACH"),
        ];
        for (path, pos, want) in cases {
            assert_eq!(
                insert_path_part(path, pos, "PEACH"),
                want,
                "{path} at {pos}"
            );
        }
    }

    #[test]
    fn an_entry_is_inline_when_it_parses_as_objects() {
        assert!(is_inline(
            "apiVersion: builtin\nkind: HashTransformer\nmetadata: {name: h}\n"
        ));
        assert!(is_inline(
            "---\napiVersion: builtin\nkind: A\n---\napiVersion: builtin\nkind: B\n"
        ));
        assert!(!is_inline("transformers/prefix.yaml"));
        assert!(!is_inline("../transformers"));
        assert!(!is_inline(""));
        assert!(!is_inline("- a\n- b\n"));
    }

    fn fs_with(kustomization: &str) -> MemFs {
        let mut fs = MemFs::default();
        fs.add(
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  k: v\n",
        );
        fs.add("kustomization.yaml", kustomization);
        fs
    }

    #[test]
    fn a_validator_that_changes_nothing_passes_and_one_that_does_fails() {
        let ok = fs_with(
            "resources: [cm.yaml]\nvalidators:\n- |-\n  apiVersion: builtin\n  kind: LabelTransformer\n  metadata: {name: v}\n  labels: {a: b}\n",
        );
        let out = build(&ok, "").unwrap();
        assert_eq!(out.resources[0].name(), "cm");
        let bad = fs_with(
            "resources: [cm.yaml]\nvalidators:\n- |-\n  apiVersion: builtin\n  kind: LabelTransformer\n  metadata: {name: v}\n  labels: {a: b}\n  fieldSpecs: [{path: metadata/labels, create: true}]\n",
        );
        let err = build(&bad, "").unwrap_err();
        assert_eq!(err.file, "kustomization.yaml");
        assert!(
            err.message
                .contains("validator LabelTransformer.builtin.[noGrp]/v.[noNs] changed"),
            "{}",
            err.message
        );
    }

    #[test]
    fn an_exec_plugin_is_refused_at_its_field_line() {
        let fs = fs_with(
            "resources: [cm.yaml]\ntransformers:\n- |-\n  apiVersion: someteam.example.com/v1\n  kind: SedTransformer\n  metadata: {name: sed}\n",
        );
        let err = build(&fs, "").unwrap_err();
        assert_eq!((err.file.as_str(), err.line), ("kustomization.yaml", 2));
        assert!(
            err.message.contains("exec, container or Go plugin"),
            "{}",
            err.message
        );
        assert!(err
            .message
            .contains("unable to load external plugin 'SedTransformer'"));
    }
}
