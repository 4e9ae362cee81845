//! Patches: strategic merge and JSON 6902, and the selectors that pick their targets.
//!
//! `patches` entries are told apart as kustomize tells them: a YAML/JSON list of
//! operations is JSON 6902, one or more objects are strategic-merge patches.

pub mod json6902;
pub mod strategic;
pub mod target;

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::ctx::Ctx;
use crate::kustomize::kustomization::{Patch, Selector};
use crate::kustomize::loader::yaml_error;
use crate::kustomize::provenance::changed_paths;
use crate::kustomize::resmap::ResMap;
use crate::kustomize::resource::{Gvk, ResId, Resource};
use crate::kustomize::schema::Schema;
use crate::yaml;
use serde_json::{Map, Value};
use strategic::MergeOutcome;
use target::TargetMatcher;

/// How strategic-merge patches apply in this build: recording what they change or
/// not, and with which schema's merge rules.
#[derive(Clone, Copy)]
struct Mode {
    track: bool,
    schema: Schema,
}

impl Mode {
    fn of(ctx: &Ctx) -> Mode {
        Mode {
            track: ctx.track_edits,
            schema: ctx.schema(),
        }
    }
}

/// A loaded patch: where it came from and what it says.
struct Loaded {
    /// The file to blame: the patch file, or the kustomization for inline patches.
    source: String,
    /// The line the patch starts on in `source` (0 when unknown).
    line: u32,
    body: Body,
}

enum Body {
    Strategic(Vec<(Map<String, Value>, u32)>),
    Json6902(json_patch::Patch),
}

/// The legacy `patchesStrategicMerge`: each entry is a file path or an inline patch.
pub fn apply_strategic_merge_list(
    ctx: &mut Ctx,
    entries: &[String],
    ra: &mut ResMap,
) -> Result<()> {
    for entry in entries {
        let (source, text) = if looks_inline(entry) {
            (ctx.file.clone(), entry.clone())
        } else {
            ctx.read_text(entry)?
        };
        let docs = strategic_docs(&source, &text)?;
        if docs.is_empty() {
            return Err(Error::new(
                ErrorKind::Invalid,
                source,
                "the patch is empty; remove it or add content",
            ));
        }
        for (doc, line) in docs {
            apply_untargeted(ra, doc, &source, line, false, false, Mode::of(ctx))?;
        }
    }
    Ok(())
}

/// An inline patch has a newline or starts like a YAML mapping; a path does not.
fn looks_inline(entry: &str) -> bool {
    entry.contains('\n') || entry.trim_start().starts_with('{')
}

/// `patches`: strategic merge or JSON 6902, with or without `target`.
pub fn apply_patches(ctx: &mut Ctx, patches: &[Patch], ra: &mut ResMap) -> Result<()> {
    for (entry, p) in patches.iter().enumerate() {
        let loaded = load(ctx, p)?;
        let allow_name = p.options.get("allowNameChange").copied().unwrap_or(false);
        let allow_kind = p.options.get("allowKindChange").copied().unwrap_or(false);
        match (&loaded.body, &p.target) {
            (Body::Strategic(docs), Some(sel)) => {
                if docs.len() > 1 {
                    return Err(Error::new(
                        ErrorKind::Invalid,
                        loaded.source.clone(),
                        "a patch with a `target` may hold only one strategic-merge document; split it into several patches",
                    )
                    .at_line(loaded.line));
                }
                let matcher = matcher(sel, &loaded)?;
                let (doc, _) = &docs[0];
                apply_targeted(ra, &matcher, doc, &loaded.source, allow_name, allow_kind, Mode::of(ctx))?;
            }
            (Body::Strategic(docs), None) => {
                for (doc, line) in docs {
                    apply_untargeted(ra, doc.clone(), &loaded.source, *line, allow_name, allow_kind, Mode::of(ctx))?;
                }
            }
            (Body::Json6902(ops), Some(sel)) => {
                let matcher = matcher(sel, &loaded)?;
                apply_json_ops(ra, &matcher, ops, &loaded, entry, true, ctx.track_edits)?;
            }
            (Body::Json6902(_), None) => {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    ctx.file.clone(),
                    format!("the JSON patch from {} has no `target`; add `target: {{kind: ..., name: ...}}`", loaded.source),
                ))
            }
        }
    }
    Ok(())
}

/// The legacy `patchesJson6902`: JSON 6902 operations with a required target.
pub fn apply_json6902_list(ctx: &mut Ctx, patches: &[Patch], ra: &mut ResMap) -> Result<()> {
    for (entry, p) in patches.iter().enumerate() {
        let Some(sel) = &p.target else {
            return Err(Error::new(
                ErrorKind::Invalid,
                ctx.file.clone(),
                "a patchesJson6902 entry needs a `target`",
            ));
        };
        if sel.name.as_deref().unwrap_or("").is_empty() {
            return Err(Error::new(
                ErrorKind::Invalid,
                ctx.file.clone(),
                "a patchesJson6902 target needs a `name`",
            ));
        }
        let (source, text) = patch_text(ctx, p)?;
        let ops =
            json6902::parse(&text).map_err(|e| Error::new(ErrorKind::Syntax, source.clone(), e))?;
        if ops.0.is_empty() {
            return Err(Error::new(
                ErrorKind::Invalid,
                source,
                "the JSON patch has no operations",
            ));
        }
        let loaded = Loaded {
            source,
            line: 0,
            body: Body::Json6902(ops),
        };
        let matcher = matcher(sel, &loaded)?;
        if let Body::Json6902(ops) = &loaded.body {
            apply_json_ops(ra, &matcher, ops, &loaded, entry, false, ctx.track_edits)?;
        }
    }
    Ok(())
}

fn matcher(sel: &Selector, loaded: &Loaded) -> Result<TargetMatcher> {
    TargetMatcher::new(sel)
        .map_err(|e| Error::new(ErrorKind::Invalid, loaded.source.clone(), e).at_line(loaded.line))
}

/// The text of a patch entry and the file to blame for it.
fn patch_text(ctx: &Ctx, p: &Patch) -> Result<(String, String)> {
    let inline = p.patch.as_deref().map(str::trim).unwrap_or("");
    match (inline.is_empty(), p.path.as_deref()) {
        (true, None) | (true, Some("")) => Err(Error::new(
            ErrorKind::Invalid,
            ctx.file.clone(),
            "a patch needs `path` or `patch`",
        )),
        (false, Some(path)) if !path.is_empty() => Err(Error::new(
            ErrorKind::Invalid,
            ctx.file.clone(),
            format!("a patch has both `path` ({path}) and `patch`; keep one"),
        )),
        (false, _) => Ok((ctx.file.clone(), inline.to_string())),
        (true, Some(path)) => ctx.read_text(path),
    }
}

fn load(ctx: &Ctx, p: &Patch) -> Result<Loaded> {
    let (source, text) = patch_text(ctx, p)?;
    let line = if source == ctx.file { 0 } else { 1 };
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(Error::new(
            ErrorKind::Invalid,
            source,
            "the patch is empty; remove it or add content",
        ));
    }
    // A top-level sequence is a list of JSON 6902 operations. kustomize reads the text both
    // ways (objects with go-yaml v3, operations with go-yaml v2); operations that only v2
    // reads (`7: seven` in a value) are still operations.
    let docs = crate::kustomize::loader::parse_docs(ctx.fs, &source, &text);
    let is_ops = trimmed.starts_with('[')
        || match &docs {
            Ok(docs) => docs.iter().any(|d| d.value.is_array()),
            Err(_) => json6902::parse(&text).is_ok(),
        };
    let body = if is_ops {
        Body::Json6902(
            json6902::parse(&text).map_err(|e| Error::new(ErrorKind::Syntax, source.clone(), e))?,
        )
    } else {
        Body::Strategic(objects(&source, &docs?)?)
    };
    Ok(Loaded { source, line, body })
}

fn strategic_docs(source: &str, text: &str) -> Result<Vec<(Map<String, Value>, u32)>> {
    let docs = yaml::parse_objects(text).map_err(|e| yaml_error(source, e))?;
    objects(source, &docs)
}

fn objects(source: &str, docs: &[yaml::Doc]) -> Result<Vec<(Map<String, Value>, u32)>> {
    let mut out = Vec::new();
    for d in docs {
        match &d.value {
            Value::Null => {}
            Value::Object(m) if m.is_empty() => {}
            Value::Object(m) => out.push((m.clone(), d.line)),
            _ => {
                return Err(Error::new(
                    ErrorKind::Syntax,
                    source.to_string(),
                    "a strategic-merge patch must be a Kubernetes object (a mapping with apiVersion, kind, metadata.name)",
                )
                .at_line(d.line))
            }
        }
    }
    Ok(out)
}

fn patch_id(doc: &Map<String, Value>) -> ResId {
    let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
    let meta = doc.get("metadata");
    ResId {
        gvk: Gvk::from_api_version(&s(doc.get("apiVersion")), &s(doc.get("kind"))),
        name: s(meta.and_then(|m| m.get("name"))),
        namespace: s(meta.and_then(|m| m.get("namespace"))),
    }
}

/// A strategic-merge patch without `target`: it applies to the one resource whose
/// identity, now or before any rename, is the patch's own.
fn apply_untargeted(
    ra: &mut ResMap,
    doc: Map<String, Value>,
    source: &str,
    line: u32,
    allow_name: bool,
    allow_kind: bool,
    mode: Mode,
) -> Result<()> {
    let id = patch_id(&doc);
    let matches = ra.matching_any_id(&id);
    let index = match matches.as_slice() {
        [i] => *i,
        [] => {
            let known: Vec<String> = ra
                .iter()
                .filter(|r| r.kind() == id.gvk.kind)
                .map(|r| r.name().to_string())
                .collect();
            let known = if known.is_empty() {
                format!("there is no {} at all", id.gvk.kind)
            } else {
                format!("known {}s: {}", id.gvk.kind, known.join(", "))
            };
            return Err(Error::new(
                ErrorKind::Transform,
                source.to_string(),
                format!(
                    "patch target {} {}{} ({}) not found ({known}); fix the patch's apiVersion, kind, name or namespace, or give it a `target`",
                    id.gvk.kind,
                    if id.namespace.is_empty() { String::new() } else { format!("{}/", id.namespace) },
                    id.name,
                    id.gvk.api_version(),
                ),
            )
            .at_line(line));
        }
        _ => {
            return Err(Error::new(
                ErrorKind::Transform,
                source.to_string(),
                format!("patch target {} {} matches more than one resource; add metadata.namespace to the patch", id.gvk.kind, id.name),
            )
            .at_line(line))
        }
    };
    let deleted = merge_into(
        &mut ra.resources[index],
        &doc,
        source,
        allow_name,
        allow_kind,
        mode,
    )?;
    if deleted {
        ra.resources.remove(index);
    }
    Ok(())
}

/// A strategic-merge patch with `target`: it applies to every selected resource,
/// whatever name the patch itself carries.
fn apply_targeted(
    ra: &mut ResMap,
    matcher: &TargetMatcher,
    doc: &Map<String, Value>,
    source: &str,
    allow_name: bool,
    allow_kind: bool,
    mode: Mode,
) -> Result<()> {
    let mut keep = Vec::with_capacity(ra.resources.len());
    for mut r in std::mem::take(&mut ra.resources) {
        if matcher.matches(&r) {
            let mut patch = doc.clone();
            // kustomize gives the patch the target's apiVersion and keeps its own kind.
            let api_version = r.api_version().to_string();
            // kyaml sets an empty apiVersion as a scalar with no text, which the output
            // reads as null, unless the target's own field (`""`) lends it its quotes.
            let blank =
                api_version.is_empty() && !r.doc.get("apiVersion").is_some_and(Value::is_string);
            patch.insert("apiVersion".into(), Value::String(api_version));
            if merge_into(&mut r, &patch, source, allow_name, allow_kind, mode)? {
                continue;
            }
            if blank {
                r.doc.insert("apiVersion".into(), Value::Null);
            }
        }
        keep.push(r);
    }
    ra.resources = keep;
    Ok(())
}

/// Strategic-merges `patch` into `r`, keeping its name and kind unless allowed to
/// change and always its namespace. Returns whether the patch deleted it.
fn merge_into(
    r: &mut Resource,
    patch: &Map<String, Value>,
    source: &str,
    allow_name: bool,
    allow_kind: bool,
    mode: Mode,
) -> Result<bool> {
    let (name, namespace, kind) = (
        r.name().to_string(),
        r.namespace().to_string(),
        r.kind().to_string(),
    );
    if allow_name || allow_kind {
        r.store_previous_id();
    }
    let before = mode.track.then(|| r.doc.clone());
    let gvk = r.gvk();
    match strategic::merge(
        &mut r.doc,
        &mut r.meta.blank_values,
        patch,
        &gvk,
        mode.schema,
    ) {
        Ok(MergeOutcome::Deleted) => return Ok(true),
        Ok(MergeOutcome::Kept) => {}
        Err(e) => {
            return Err(Error::new(
                ErrorKind::Transform,
                source.to_string(),
                format!("cannot apply the patch to {kind} {name}: {e}"),
            ))
        }
    }
    if !allow_kind {
        r.doc.insert("kind".into(), Value::String(kind));
    }
    if !allow_name {
        r.set_name(&name);
    }
    r.set_namespace(&namespace);
    if let Some(before) = before {
        let paths = changed_paths(&before, &r.doc);
        r.record("patch", source, paths);
    }
    Ok(false)
}

/// Whether an operation replaces or removes all of `metadata.annotations` (its parent or
/// the object, too), where kustomize keeps its bookkeeping while it builds.
fn replaces_annotations(op: &json_patch::PatchOperation) -> bool {
    use json_patch::PatchOperation as Op;
    let whole = |p: &str| matches!(p, "" | "/metadata" | "/metadata/annotations");
    match op {
        Op::Add(o) => whole(o.path.as_str()),
        Op::Replace(o) => whole(o.path.as_str()),
        Op::Remove(o) => whole(o.path.as_str()),
        Op::Copy(o) => whole(o.path.as_str()),
        Op::Move(o) => whole(o.path.as_str()) || whole(o.from.as_str()),
        Op::Test(_) => false,
    }
}

#[allow(clippy::too_many_arguments)]
fn apply_json_ops(
    ra: &mut ResMap,
    matcher: &TargetMatcher,
    ops: &json_patch::Patch,
    loaded: &Loaded,
    entry: usize,
    store_id: bool,
    track: bool,
) -> Result<()> {
    for r in ra.iter_mut().filter(|r| matcher.matches(r)) {
        if store_id {
            r.store_previous_id();
        }
        let mut doc = Value::Object(std::mem::take(&mut r.doc));
        let before = track.then(|| doc.clone());
        let result = json6902::apply(&mut doc, ops);
        // kustomize's JSON patch re-encodes the whole object: annotations lose their
        // source text (`1.50` becomes "1.5").
        r.meta.annotation_text.clear();
        r.meta.blank_values.clear();
        if result.is_ok() && ops.0.iter().any(replaces_annotations) {
            r.meta.provenance_wiped = Some(entry);
        }
        r.doc = match doc {
            Value::Object(m) => m,
            _ => {
                return Err(Error::new(
                    ErrorKind::Transform,
                    loaded.source.clone(),
                    "the JSON patch replaced the whole object with a non-object",
                ))
            }
        };
        if let Err(e) = result {
            return Err(Error::new(
                ErrorKind::Transform,
                loaded.source.clone(),
                format!(
                    "cannot apply the JSON patch to {} {}: {e}",
                    r.kind(),
                    r.name()
                ),
            )
            .at_line(loaded.line));
        }
        if let Some(Value::Object(before)) = before {
            let paths = changed_paths(&before, &r.doc);
            r.record("patch", &loaded.source, paths);
        }
    }
    Ok(())
}
