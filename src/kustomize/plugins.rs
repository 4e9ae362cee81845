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
    FieldSpecArg, GeneratorArgs, Image, Kustomization, Patch, ReplacementEntry, Replica, Selector,
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
    Hash,
    Generator {
        secret: bool,
        args: GeneratorArgs,
    },
}

/// `fieldSpecs` as a builtin reads them.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Specs {
    #[serde(rename = "fieldSpecs")]
    field_specs: Option<Vec<FieldSpecArg>>,
}

impl Specs {
    fn get(&self) -> Vec<FieldSpec> {
        self.field_specs
            .iter()
            .flatten()
            .map(FieldSpec::from)
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
    image_tag: Image,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReplicaConfig {
    replica: Replica,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PatchConfig {
    path: String,
    patch: String,
    target: Option<Selector>,
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
    target: Option<Selector>,
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
                image: parse::<ImageConfig>(&doc).map_err(&fail)?.image_tag,
                specs: read(&doc)?.get(),
            },
            "ReplicaCountTransformer" => Builtin::Replicas {
                replica: parse::<ReplicaConfig>(&doc).map_err(&fail)?.replica,
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
                    target: c.target,
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
                    target: c.target,
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
            "HashTransformer" => Builtin::Hash,
            "ConfigMapGenerator" | "SecretGenerator" => {
                let Value::Object(mut m) = doc else {
                    unreachable!("a resource is a mapping")
                };
                m.retain(|k, _| GENERATOR_FIELDS.contains(&k.as_str()));
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
        let file = ctx.file.clone();
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

fn parse<T: DeserializeOwned>(v: &Value) -> std::result::Result<T, String> {
    serde_json::from_value(v.clone()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::build::build;
    use crate::kustomize::fs::MemFs;

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
