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

mod builtin;

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::build::accumulate_resource;
use crate::kustomize::ctx::{is_remote, Ctx};
use crate::kustomize::kustomization::Kustomization;
use crate::kustomize::loader::load_resources;
use crate::kustomize::metadata;
use crate::kustomize::resmap::ResMap;
use crate::kustomize::resource::{PluginRef, Resource};
use builtin::Builtin;
use serde_json::Value;

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

/// `helmCharts`: kustomize inflates them only when given `--enable-helm`, and so does
/// strata, with its own Helm engine and charts vendored under `helmGlobals.chartHome`
/// (`crate::helm::inflate`); without the flag they are refused as kustomize refuses them.
/// The deprecated `helmChartInflationGenerator` stays refused. `helmGlobals` alone does
/// nothing.
pub fn helm_charts(ctx: &mut Ctx, k: &Kustomization, ra: &mut ResMap) -> Result<()> {
    if !k.helm_chart_inflation_generator.is_empty() {
        return Err(helm_error(&ctx.file, "helmChartInflationGenerator"));
    }
    if k.helm_charts.is_empty() {
        return Ok(());
    }
    if !ctx.enable_helm {
        return Err(helm_error(&ctx.file, "helmCharts"));
    }
    let globals: crate::helm::inflate::HelmGlobals = match &k.helm_globals {
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| {
            Error::new(
                ErrorKind::Invalid,
                ctx.file.clone(),
                format!("helmGlobals: {}", crate::redact::serde_message(&e)),
            )
        })?,
        None => Default::default(),
    };
    for entry in &k.helm_charts {
        let spec: crate::helm::inflate::HelmChart =
            serde_json::from_value(entry.clone()).map_err(|e| {
                Error::new(
                    ErrorKind::Invalid,
                    ctx.file.clone(),
                    format!("helmCharts: {}", crate::redact::serde_message(&e)),
                )
            })?;
        let text = crate::helm::inflate::inflate(ctx.fs, &ctx.dir, &ctx.file, &globals, &spec)?;
        let home = if globals.chart_home.is_empty() {
            "charts"
        } else {
            &globals.chart_home
        };
        let origin = crate::kustomize::fs::join(&ctx.dir, &format!("{home}/{}", spec.name))
            .map_err(|e| Error::from(e).in_file(&ctx.file))?;
        let made = crate::kustomize::loader::load_resources(ctx.fs, &origin, &text)?;
        ra.absorb(made, &ctx.file)?;
    }
    Ok(())
}

fn helm_error(file: &str, what: &str) -> Error {
    Error::new(
        ErrorKind::Invalid,
        file.to_string(),
        format!(
            "`{what}` inflates a Helm chart, which kustomize does only when given --enable-helm \
             (it fails with \"must specify --enable-helm\" otherwise); run `strata build --enable-helm` \
             to render it with strata's Helm engine from a chart vendored under helmGlobals.chartHome \
             (`helmCharts` only), or render it in strata's fleet (`source: helm`)"
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
