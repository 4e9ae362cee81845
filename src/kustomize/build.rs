//! `build`: one kustomization to a list of resources, in kustomize's fixed phase order.
//!
//! Per kustomization: resources → its `configurations` and `crds` field specs →
//! generators → components → transformers (patchesStrategicMerge and patches →
//! namespace → namePrefix → nameSuffix → labels → annotations → patchesJson6902 →
//! replicas → images → replacements) → its `vars` declared.
//! Once at the root: hash suffixes → name back-references → vars → sort.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::config::TransformerConfig;
use crate::kustomize::ctx::{is_remote, remote_error, Ctx};
use crate::kustomize::fs::{self, FileSystem};
use crate::kustomize::kustomization::Kustomization;
use crate::kustomize::loader::{load_kustomization, load_resources};
use crate::kustomize::openapi::{self, SchemaChoice};
use crate::kustomize::resmap::ResMap;
use crate::kustomize::resource::PluginRef;
use crate::kustomize::resource::Resource;
use crate::kustomize::{config, generate, metadata, patch, plugins, sort, transform};
use crate::yaml;
use serde_json::Value;

/// What a build produced: resources in output order, and warnings for stderr.
#[derive(Debug, Default)]
pub struct BuildOutput {
    pub resources: Vec<Resource>,
    pub warnings: Vec<String>,
}

impl BuildOutput {
    /// The multi-document YAML stream kustomize prints.
    pub fn to_yaml(&self) -> String {
        yaml::to_yaml_stream(self.resources.iter().map(|r| &r.doc))
    }
}

/// Builds the kustomization in `dir` (root-relative) as `kustomize build` does.
pub fn build(fs: &dyn FileSystem, dir: &str) -> Result<BuildOutput> {
    build_with(fs, dir, false)
}

/// `build`, recording which fields each patch changed when `track_edits` is set.
pub fn build_with(fs: &dyn FileSystem, dir: &str, track_edits: bool) -> Result<BuildOutput> {
    build_with_helm(fs, dir, track_edits, false)
}

/// `build_with`, inflating `helmCharts` with strata's Helm engine when `enable_helm`.
pub fn build_with_helm(
    fs: &dyn FileSystem,
    dir: &str,
    track_edits: bool,
    enable_helm: bool,
) -> Result<BuildOutput> {
    let mut warnings = Vec::new();
    let (resmap, k) = accumulate_dir_with(fs, dir, &mut warnings, track_edits, enable_helm)?;
    let mut resources = finish(resmap, k.sort_options.as_ref(), &mut warnings)?;
    metadata::apply(&mut resources, dir, &k.build_metadata)?;
    Ok(BuildOutput {
        resources,
        warnings,
    })
}

/// The resources of the kustomization in `dir`, before the root-only steps
/// (hash suffixes, name back-references, sort), and the kustomization itself.
pub fn accumulate_dir(
    fs: &dyn FileSystem,
    dir: &str,
    warnings: &mut Vec<String>,
    track_edits: bool,
) -> Result<(ResMap, Kustomization)> {
    accumulate_dir_with(fs, dir, warnings, track_edits, false)
}

/// `accumulate_dir`, inflating `helmCharts` when `enable_helm` (`--enable-helm`).
pub fn accumulate_dir_with(
    fs: &dyn FileSystem,
    dir: &str,
    warnings: &mut Vec<String>,
    track_edits: bool,
    enable_helm: bool,
) -> Result<(ResMap, Kustomization)> {
    // A `kind: Component` built directly is built as a kustomization, as kustomize does.
    let (k, file) = load_kustomization(fs, dir, warnings)?;
    if let Some(opts) = &k.sort_options {
        sort::check(opts, &file)?;
    }
    let openapi = SchemaChoice::default();
    let mut ctx = Ctx {
        fs,
        dir: dir.to_string(),
        file,
        warnings,
        track_edits,
        // As kustomize, the root's buildMetadata holds for the whole build.
        track_origins: !k.build_metadata.is_empty(),
        openapi: &openapi,
        enable_helm,
    };
    let resmap = accumulate(&mut ctx, &k, ResMap::new(), &mut Vec::new())?;
    Ok((resmap, k))
}

/// Applies a kustomization that is not a file on disk (a fleet layer) on top of
/// `ra`, as a component applies: its resources and generators join `ra`, then its
/// transformers run over all. `dir` is where its relative paths start; `file`
/// names it in messages.
pub fn apply_overlay(
    fs: &dyn FileSystem,
    dir: &str,
    file: &str,
    k: &Kustomization,
    ra: ResMap,
    warnings: &mut Vec<String>,
    track_edits: bool,
) -> Result<ResMap> {
    let openapi = SchemaChoice::default();
    let mut ctx = Ctx {
        fs,
        dir: dir.to_string(),
        file: file.to_string(),
        warnings,
        track_edits,
        track_origins: false,
        openapi: &openapi,
        enable_helm: false,
    };
    accumulate(&mut ctx, k, ra, &mut Vec::new())
}

/// The steps kustomize runs once at the root: hash suffixes, name
/// back-references, vars, then the output order.
pub fn finish(
    mut ra: ResMap,
    sort_options: Option<&crate::kustomize::kustomization::SortOptions>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Resource>> {
    transform::hash::add_hash_suffixes(&mut ra)?;
    transform::namereference::fix_back_references(&mut ra)?;
    warnings.extend(transform::vars::resolve(&mut ra)?);
    ra.resources.retain(|r| !is_local_config(r));
    for r in ra.iter_mut() {
        clean_annotations(r);
    }
    Ok(sort::sort(ra.resources, sort_options))
}

/// Objects marked `config.kubernetes.io/local-config` (other than "false") are
/// inputs for the build, not output.
fn is_local_config(r: &Resource) -> bool {
    r.doc
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get("config.kubernetes.io/local-config"))
        .is_some_and(|v| v.as_str() != Some("false"))
}

/// Annotations kustomize uses for its own bookkeeping, dropped from the output
/// (sorted, for binary search). Other `internal.config.kubernetes.io/` keys stay.
const BOOKKEEPING_ANNOTATIONS: &[&str] = &[
    "alpha.config.kubernetes.io/transformations",
    "config.k8s.io/id",
    "config.kubernetes.io/index",
    "config.kubernetes.io/origin",
    "config.kubernetes.io/path",
    "internal.config.kubernetes.io/allowKindChange",
    "internal.config.kubernetes.io/allowNameChange",
    "internal.config.kubernetes.io/annotations-migration-resource-id",
    "internal.config.kubernetes.io/generatorBehavior",
    "internal.config.kubernetes.io/id",
    "internal.config.kubernetes.io/index",
    "internal.config.kubernetes.io/needsHashSuffix",
    "internal.config.kubernetes.io/path",
    "internal.config.kubernetes.io/prefixes",
    "internal.config.kubernetes.io/previousKinds",
    "internal.config.kubernetes.io/previousNames",
    "internal.config.kubernetes.io/previousNamespaces",
    "internal.config.kubernetes.io/refBy",
    "internal.config.kubernetes.io/seqindent",
    "internal.config.kubernetes.io/suffixes",
];

/// kustomize rewrites every object's annotations on the way out: bookkeeping
/// annotations go, every value becomes a string, and an empty map disappears.
fn clean_annotations(r: &mut Resource) {
    let Some(Value::Object(meta)) = r.doc.get_mut("metadata") else {
        return;
    };
    let Some(Value::Object(ann)) = meta.get_mut("annotations") else {
        return;
    };
    ann.retain(|k, _| BOOKKEEPING_ANNOTATIONS.binary_search(&k.as_str()).is_err());
    for v in ann.values_mut() {
        let text = match &*v {
            Value::String(_) => continue,
            Value::Null => "null".to_string(),
            other => crate::yaml::to_yaml(other).trim_end().to_string(),
        };
        *v = Value::String(text);
    }
    if ann.is_empty() {
        meta.remove("annotations");
    }
}

/// Resources, generators, components and transformers of one kustomization,
/// applied on top of `ra` (the parent's resources, for a component).
fn accumulate(
    ctx: &mut Ctx,
    k: &Kustomization,
    mut ra: ResMap,
    stack: &mut Vec<String>,
) -> Result<ResMap> {
    openapi::enter(ctx, k)?;
    if stack.contains(&ctx.dir) {
        let mut chain = stack.clone();
        chain.push(ctx.dir.clone());
        return Err(Error::new(
            ErrorKind::Cycle,
            ctx.file.clone(),
            format!(
                "kustomizations include each other: {}; break the cycle",
                chain.join(" → ")
            ),
        ));
    }
    stack.push(ctx.dir.clone());
    for entry in k.resources.iter().chain(&k.bases) {
        let sub = accumulate_resource(ctx, entry, stack)?;
        ra.absorb(sub, &ctx.file)?;
    }
    let own = config::load_configurations(ctx, &k.configurations)?;
    let crds = config::load_crds(ctx, &k.crds)?;
    ra.config = TransformerConfig::merge_shared(&ra.config, &own)
        .and_then(|c| TransformerConfig::merge_shared(&c, &crds))
        .map_err(|m| Error::new(ErrorKind::Invalid, ctx.file.clone(), m))?;
    generate::run_generators(ctx, k, &mut ra)?;
    plugins::helm_charts(ctx, k, &mut ra)?;
    plugins::run_generators(ctx, k, &mut ra, stack)?;
    for entry in &k.components {
        ra = accumulate_component(ctx, entry, ra, stack)?;
        // kustomize moves a component's result into a fresh accumulator: its tables
        // are merged once more.
        ra.config = TransformerConfig::merge_shared(&Default::default(), &ra.config)
            .map_err(|m| Error::new(ErrorKind::Invalid, ctx.file.clone(), m))?;
    }
    run_transformers(ctx, k, &mut ra)?;
    plugins::run_transformers(ctx, k, &mut ra, stack)?;
    plugins::run_validators(ctx, k, &ra, stack)?;
    transform::vars::declare(&mut ra, &k.vars, &ctx.file)?;
    stack.pop();
    Ok(ra)
}

/// The transformers of one kustomization, in kustomize's fixed order; each builtin
/// transformer kustomize would configure is noted for `buildMetadata`.
fn run_transformers(ctx: &mut Ctx, k: &Kustomization, ra: &mut ResMap) -> Result<()> {
    let file = ctx.file.clone();
    let note = |ctx: &Ctx, ra: &mut ResMap, kind: &str, times: usize| {
        metadata::note(ctx, ra, PluginRef::builtin(&file, kind), times)
    };
    let once = |used: bool| usize::from(used);
    patch::apply_strategic_merge_list(ctx, &k.patches_strategic_merge, ra)?;
    let psm = once(!k.patches_strategic_merge.is_empty());
    note(ctx, ra, "PatchStrategicMergeTransformer", psm);
    patch::apply_patches(ctx, &k.patches, ra)?;
    note(ctx, ra, "PatchTransformer", k.patches.len());
    transform::namespace::apply(ra, &k.namespace, &file)?;
    note(
        ctx,
        ra,
        "NamespaceTransformer",
        once(!k.namespace.is_empty()),
    );
    transform::prefix_suffix::apply(ra, &k.name_prefix, "", &file)?;
    note(
        ctx,
        ra,
        "PrefixTransformer",
        once(!k.name_prefix.is_empty()),
    );
    transform::prefix_suffix::apply(ra, "", &k.name_suffix, &file)?;
    note(
        ctx,
        ra,
        "SuffixTransformer",
        once(!k.name_suffix.is_empty()),
    );
    transform::labels::apply(ra, k, &file)?;
    // kustomize configures one LabelTransformer per `labels` entry and one for
    // `commonLabels`, even an empty one, once either is set.
    let labels = if k.labels.is_empty() && k.common_labels.is_empty() {
        0
    } else {
        k.labels.len() + 1
    };
    note(ctx, ra, "LabelTransformer", labels);
    transform::annotations::apply(ra, &k.common_annotations, &file)?;
    let annotations = once(!k.common_annotations.is_empty());
    note(ctx, ra, "AnnotationsTransformer", annotations);
    patch::apply_json6902_list(ctx, &k.patches_json6902, ra)?;
    note(
        ctx,
        ra,
        "PatchJson6902Transformer",
        k.patches_json6902.len(),
    );
    transform::replicas::apply(ra, &k.replicas, &file)?;
    note(ctx, ra, "ReplicaCountTransformer", k.replicas.len());
    let images: Vec<_> = k.images.iter().chain(&k.image_tags).cloned().collect();
    transform::images::apply(ra, &images, &file)?;
    note(ctx, ra, "ImageTagTransformer", images.len());
    transform::replacements::apply(ctx, &k.replacements, ra)?;
    let replacements = once(!k.replacements.is_empty());
    note(ctx, ra, "ReplacementTransformer", replacements);
    Ok(())
}

/// One entry of `resources`: a file of documents, or a directory with its own kustomization.
pub(crate) fn accumulate_resource(
    ctx: &mut Ctx,
    entry: &str,
    stack: &mut Vec<String>,
) -> Result<ResMap> {
    if is_remote(entry) {
        return Err(remote_error(&ctx.file, entry));
    }
    let path = fs::join(&ctx.dir, entry).map_err(|e| Error::from(e).in_file(&ctx.file))?;
    if ctx.fs.is_dir(&path) {
        let (sub, file) = load_kustomization(ctx.fs, &path, ctx.warnings)?;
        if sub.is_component() {
            return Err(Error::new(
                ErrorKind::Invalid,
                ctx.file.clone(),
                format!("'{entry}' is a Component; list it under `components`, not `resources`"),
            ));
        }
        let mut sub_ctx = Ctx {
            fs: ctx.fs,
            dir: path,
            file,
            warnings: ctx.warnings,
            track_edits: ctx.track_edits,
            track_origins: ctx.track_origins,
            openapi: ctx.openapi,
            enable_helm: ctx.enable_helm,
        };
        return accumulate(&mut sub_ctx, &sub, ResMap::new(), stack);
    }
    if let Err(e @ fs::FsError::OutsideRoot { .. }) = ctx.fs.canonical(&path) {
        return Err(Error::from(e).in_file(&ctx.file));
    }
    if !ctx.fs.is_file(&path) {
        return Err(Error::new(
            ErrorKind::Missing,
            ctx.file.clone(),
            format!("resource '{entry}' does not exist (looked for {path}); fix the path or create the file"),
        ));
    }
    let (path, text) = ctx.read_text(entry)?;
    let ra = load_resources(ctx.fs, &path, &text)?;
    for r in ra.iter() {
        ctx.openapi.saw_kind(&r.gvk());
    }
    Ok(ra)
}

fn accumulate_component(
    ctx: &mut Ctx,
    entry: &str,
    ra: ResMap,
    stack: &mut Vec<String>,
) -> Result<ResMap> {
    if is_remote(entry) {
        return Err(remote_error(&ctx.file, entry));
    }
    let path = fs::join(&ctx.dir, entry).map_err(|e| Error::from(e).in_file(&ctx.file))?;
    if !ctx.fs.is_dir(&path) {
        return Err(Error::new(
            ErrorKind::Missing,
            ctx.file.clone(),
            format!("component '{entry}' is not a directory with a kustomization.yaml (looked for {path})"),
        ));
    }
    let (sub, file) = load_kustomization(ctx.fs, &path, ctx.warnings)?;
    if !sub.is_component() {
        return Err(Error::new(
            ErrorKind::Invalid,
            file,
            format!("listed under `components` of {} but its kind is not Component; set `kind: Component`", ctx.file),
        ));
    }
    let mut sub_ctx = Ctx {
        fs: ctx.fs,
        dir: path,
        file,
        warnings: ctx.warnings,
        track_edits: ctx.track_edits,
        track_origins: ctx.track_origins,
        openapi: ctx.openapi,
        enable_helm: ctx.enable_helm,
    };
    accumulate(&mut sub_ctx, &sub, ra, stack)
}

#[cfg(test)]
mod tests {
    #[test]
    fn bookkeeping_annotations_are_sorted_for_binary_search() {
        let mut sorted = super::BOOKKEEPING_ANNOTATIONS.to_vec();
        sorted.sort();
        assert_eq!(sorted, super::BOOKKEEPING_ANNOTATIONS);
    }
}
