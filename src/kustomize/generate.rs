//! `configMapGenerator` and `secretGenerator`: ConfigMaps and Secrets made from
//! literals, files and env files, exactly as kustomize v5.5.0 makes them, and
//! their `behavior` (create, merge, replace) against resources already loaded.
//!
//! Facts settled against kustomize v5.5.0 (`kubectl kustomize`):
//! - Sources are read in the order env files (`envs`, then the deprecated `env`),
//!   literals, files. A key repeated across any of them is an error.
//! - Keys are not validated (kustomize's validator accepts `a b` or `c/d`).
//! - Literals: `KEY=VALUE`, split at the first `=`; a value wholly wrapped in a
//!   matching pair of `"` or `'` loses them.
//! - Env files: lines split at `\n` (a trailing `\r` dropped), a UTF-8 BOM dropped
//!   from the first line, leading whitespace trimmed, blank and `#` lines skipped,
//!   `KEY` alone means an empty value (the process environment is never read), a
//!   line starting with `=` is skipped, quotes and trailing spaces are kept.
//! - Files: `path` (key = its base name) or `key=path`; a directory is an error.
//! - A ConfigMap value that is not UTF-8 goes to `binaryData`, base64 in lines of
//!   70 characters each ending in `\n` when there is more than one line. Secret
//!   values are all base64 the same way, in `data`, which is always present
//!   (`data: {}` when empty); a ConfigMap without values has no `data`.
//! - `options` win over `generatorOptions` for labels and annotations (global
//!   entries fill missing keys); `disableNameSuffixHash` and `immutable` are on
//!   when either sets them.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::ctx::Ctx;
use crate::kustomize::kustomization::{GeneratorArgs, GeneratorOptions, Kustomization};
use crate::kustomize::resmap::ResMap;
use crate::kustomize::resource::{Behavior, Origin, PluginRef, Resource};
use base64::Engine as _;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Which object a generator makes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum GenKind {
    ConfigMap,
    Secret,
}

impl GenKind {
    fn kind(self) -> &'static str {
        match self {
            GenKind::ConfigMap => "ConfigMap",
            GenKind::Secret => "Secret",
        }
    }
    fn field(self) -> &'static str {
        match self {
            GenKind::ConfigMap => "configMapGenerator",
            GenKind::Secret => "secretGenerator",
        }
    }
}

/// Runs the kustomization's ConfigMap generators, then its Secret generators (in
/// kustomize's order), adding each result to `ra` or merging it into / replacing
/// the resource of the same identity, per its `behavior`.
pub fn run_generators(ctx: &mut Ctx, k: &Kustomization, ra: &mut ResMap) -> Result<()> {
    if k.config_map_generator.is_empty() && k.secret_generator.is_empty() {
        return Ok(());
    }
    let text = ctx
        .fs
        .read(&ctx.file)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    let lists = [
        (GenKind::ConfigMap, &k.config_map_generator),
        (GenKind::Secret, &k.secret_generator),
    ];
    for (kind, list) in lists {
        let lines = entry_lines(&text, kind.field());
        for (i, args) in list.iter().enumerate() {
            let line = lines.get(i).copied().unwrap_or(0);
            let r = generate(ctx, kind, args, k.generator_options.as_ref(), line)?;
            absorb(ctx, kind, ra, r)?;
        }
    }
    Ok(())
}

/// Runs one ConfigMapGenerator or SecretGenerator plugin configuration (`secret`
/// says which): as a kustomization entry, but without the kustomization's
/// `generatorOptions`, as kustomize configures builtin plugins.
/// `by` names the configuration, for `buildMetadata`.
pub fn run_plugin_generator(
    ctx: &mut Ctx,
    secret: bool,
    args: &GeneratorArgs,
    by: &PluginRef,
    ra: &mut ResMap,
) -> Result<()> {
    let kind = if secret {
        GenKind::Secret
    } else {
        GenKind::ConfigMap
    };
    let mut r = generate(ctx, kind, args, None, 0)?;
    r.meta.generated_by = Some(by.clone());
    absorb(ctx, kind, ra, r)
}

/// Combines a generator's `options` with the kustomization's `generatorOptions`.
fn merge_options(
    local: Option<&GeneratorOptions>,
    global: Option<&GeneratorOptions>,
) -> GeneratorOptions {
    let mut out = local.cloned().unwrap_or_default();
    if let Some(g) = global {
        for (k, v) in &g.labels {
            out.labels.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for (k, v) in &g.annotations {
            out.annotations
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
        if g.disable_name_suffix_hash == Some(true) {
            out.disable_name_suffix_hash = Some(true);
        }
        if g.immutable == Some(true) {
            out.immutable = Some(true);
        }
    }
    out
}

/// Makes one ConfigMap or Secret from a generator entry.
fn generate(
    ctx: &mut Ctx,
    kind: GenKind,
    args: &GeneratorArgs,
    global: Option<&GeneratorOptions>,
    line: u32,
) -> Result<Resource> {
    let err =
        |kind_: ErrorKind, msg: String| Error::new(kind_, ctx.file.clone(), msg).at_line(line);
    if args.name.is_empty() {
        return Err(err(
            ErrorKind::Invalid,
            format!("a {} entry has no `name`; give it one", kind.field()),
        ));
    }
    if kind == GenKind::ConfigMap && !args.secret_type.is_empty() {
        return Err(err(
            ErrorKind::Invalid,
            format!(
                "{} '{}' sets `type`, which only secretGenerator accepts; remove it",
                kind.field(),
                args.name
            ),
        ));
    }
    let behavior = match args.behavior.as_str() {
        "" | "create" => Behavior::Create,
        "merge" => Behavior::Merge,
        "replace" => Behavior::Replace,
        other => {
            ctx.warnings.push(format!(
                "# Warning: {}: {} '{}' has behavior '{other}', which kustomize treats as 'create' \
                 (use create, merge or replace)",
                ctx.file,
                kind.field(),
                args.name
            ));
            Behavior::Create
        }
    };
    let opts = merge_options(args.options.as_ref(), global);
    let pairs = load_pairs(ctx, kind, args, line)?;

    let mut meta = Map::new();
    meta.insert("name".into(), Value::String(args.name.clone()));
    if !args.namespace.is_empty() {
        meta.insert("namespace".into(), Value::String(args.namespace.clone()));
    }
    if !opts.labels.is_empty() {
        meta.insert("labels".into(), string_object(&opts.labels));
    }
    if !opts.annotations.is_empty() {
        meta.insert("annotations".into(), string_object(&opts.annotations));
    }
    let mut doc = Map::new();
    doc.insert("apiVersion".into(), Value::String("v1".into()));
    doc.insert("kind".into(), Value::String(kind.kind().into()));
    doc.insert("metadata".into(), Value::Object(meta));
    match kind {
        GenKind::ConfigMap => {
            let mut data = Map::new();
            let mut binary = Map::new();
            for (k, v) in pairs {
                match String::from_utf8(v) {
                    Ok(s) => data.insert(k, Value::String(s)),
                    Err(e) => binary.insert(k, Value::String(encode_base64(e.as_bytes()))),
                };
            }
            if !data.is_empty() {
                doc.insert("data".into(), Value::Object(data));
            }
            if !binary.is_empty() {
                doc.insert("binaryData".into(), Value::Object(binary));
            }
        }
        GenKind::Secret => {
            let t = if args.secret_type.is_empty() {
                "Opaque"
            } else {
                &args.secret_type
            };
            doc.insert("type".into(), Value::String(t.to_string()));
            let data: Map<String, Value> = pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(encode_base64(&v))))
                .collect();
            doc.insert("data".into(), Value::Object(data));
        }
    }
    if opts.immutable == Some(true) {
        doc.insert("immutable".into(), Value::Bool(true));
    }
    let mut r = Resource::new(
        doc,
        Origin {
            file: ctx.file.clone(),
            line,
            generated_by: Some(ctx.file.clone()),
        },
    );
    r.meta.generated_by = Some(PluginRef::builtin(
        &ctx.file,
        match kind {
            GenKind::ConfigMap => "ConfigMapGenerator",
            GenKind::Secret => "SecretGenerator",
        },
    ));
    r.meta.needs_hash = opts.disable_name_suffix_hash != Some(true);
    r.meta.behavior = behavior;
    Ok(r)
}

fn string_object(m: &BTreeMap<String, String>) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// The key/value pairs of a generator, in kustomize's order, keys unique.
fn load_pairs(
    ctx: &mut Ctx,
    kind: GenKind,
    args: &GeneratorArgs,
    line: u32,
) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut pairs: Vec<(String, Vec<u8>, String)> = Vec::new();
    let env_files = args
        .envs
        .iter()
        .chain(std::iter::once(&args.env).filter(|e| !e.is_empty()));
    for path in env_files {
        let (full, bytes) = read_source(ctx, kind, args, path, "env file", line)?;
        for (k, v) in parse_env(&bytes, &full, ctx.warnings)? {
            pairs.push((k, v.into_bytes(), format!("env file {path}")));
        }
    }
    for (i, lit) in args.literals.iter().enumerate() {
        // The literal is not quoted: without its `=` the whole of it may be the secret.
        let (k, v) = parse_literal(lit).ok_or_else(|| {
            Error::new(
                ErrorKind::Invalid,
                ctx.file.clone(),
                format!(
                    "{} '{}': literal {} is not KEY=VALUE; write it as `key=value` \
                     (the value may contain '=', the key may not be empty)",
                    kind.field(),
                    args.name,
                    i + 1
                ),
            )
            .at_line(line)
        })?;
        pairs.push((k, v.into_bytes(), "literals".into()));
    }
    for src in &args.files {
        let (key, path) = parse_file_source(src).map_err(|why| {
            Error::new(
                ErrorKind::Invalid,
                ctx.file.clone(),
                format!(
                    "{} '{}': file source '{src}' {why}; write `path` or `key=path`",
                    kind.field(),
                    args.name
                ),
            )
            .at_line(line)
        })?;
        let (_, bytes) = read_source(ctx, kind, args, path, "file", line)?;
        pairs.push((key, bytes, format!("file {src}")));
    }
    let mut out: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut from: BTreeMap<String, String> = BTreeMap::new();
    for (k, v, src) in pairs {
        if let Some(first) = from.get(&k) {
            return Err(Error::new(
                ErrorKind::Conflict,
                ctx.file.clone(),
                format!(
                    "{} '{}' has the key '{k}' twice (from {first} and from {src}); keys must be \
                     unique: remove one, or rename a file's key with `newkey=path`",
                    kind.field(),
                    args.name
                ),
            )
            .at_line(line));
        }
        from.insert(k.clone(), src);
        out.insert(k, v);
    }
    Ok(out)
}

/// Reads a file a generator names, relative to the kustomization and inside it.
fn read_source(
    ctx: &Ctx,
    kind: GenKind,
    args: &GeneratorArgs,
    rel: &str,
    what: &str,
    line: u32,
) -> Result<(String, Vec<u8>)> {
    let path = ctx.file_path(rel).map_err(|e| e.at_line(line))?;
    if ctx.fs.is_dir(&path) {
        return Err(Error::new(
            ErrorKind::Invalid,
            ctx.file.clone(),
            format!(
                "{} '{}': {what} '{rel}' is a directory; kustomize takes only files here, \
                 so list each file",
                kind.field(),
                args.name
            ),
        )
        .at_line(line));
    }
    if !ctx.fs.is_file(&path) {
        return Err(Error::new(
            ErrorKind::Missing,
            ctx.file.clone(),
            format!(
                "{} '{}': {what} '{rel}' does not exist (looked for {path}); fix the path or create the file",
                kind.field(),
                args.name
            ),
        )
        .at_line(line));
    }
    let bytes = ctx
        .fs
        .read(&path)
        .map_err(|e| Error::from(e).in_file(&ctx.file).at_line(line))?;
    Ok((path, bytes))
}

/// `KEY=VALUE` → key and value (surrounding matching quotes removed); `None`
/// when there is no `=` or the key is empty.
fn parse_literal(s: &str) -> Option<(String, String)> {
    let (k, v) = s.split_once('=')?;
    if k.is_empty() {
        return None;
    }
    Some((k.to_string(), remove_quotes(v).to_string()))
}

fn remove_quotes(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'') {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// `path` → (base name, path); `key=path` → (key, path).
fn parse_file_source(s: &str) -> std::result::Result<(String, &str), &'static str> {
    match s.matches('=').count() {
        0 => Ok((base_name(s), s)),
        1 if s.starts_with('=') => Err("has no key before '='"),
        1 if s.ends_with('=') => Err("has no path after '='"),
        1 => {
            let (k, p) = s.split_once('=').unwrap_or((s, ""));
            Ok((k.to_string(), p))
        }
        _ => Err("has more than one '=' (neither key nor path may contain '=')"),
    }
}

/// The last element of a slash-separated path, as Go's `path.Base`.
fn base_name(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

/// Longest line kustomize's line scanner reads; at a longer one it silently stops.
const MAX_ENV_LINE: usize = 64 * 1024;

/// Parses an env file as kustomize does (see the module docs).
fn parse_env(
    bytes: &[u8],
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut n = 0usize;
    while !rest.is_empty() {
        let (mut line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        if line.len() >= MAX_ENV_LINE {
            warnings.push(format!(
                "# Warning: {path}:{}: line longer than 64 KiB; kustomize stops reading the env file here, and so does strata",
                n + 1
            ));
            break;
        }
        if let Some(l) = line.strip_suffix(b"\r") {
            line = l;
        }
        let text = std::str::from_utf8(line).map_err(|_| {
            Error::new(
                ErrorKind::Syntax,
                path.to_string(),
                "env file line is not UTF-8 text; put binary content in `files` instead",
            )
            .at_line(n as u32 + 1)
        })?;
        let text = if n == 0 {
            text.strip_prefix('\u{feff}').unwrap_or(text)
        } else {
            text
        };
        n += 1;
        let text = text.trim_start();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let (k, v) = text.split_once('=').unwrap_or((text, ""));
        if k.is_empty() {
            continue;
        }
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// Base64 as kustomize writes it: lines of 70 characters, each followed by a
/// newline when there is more than one line.
fn encode_base64(bytes: &[u8]) -> String {
    const LINE: usize = 70;
    let enc = base64::engine::general_purpose::STANDARD.encode(bytes);
    if enc.len() < LINE {
        return enc;
    }
    let mut out = String::with_capacity(enc.len() + enc.len() / LINE + 1);
    for chunk in enc.as_bytes().chunks(LINE) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// Adds a generated resource to `ra`, or merges it into / replaces the one
/// resource any of whose identities equals its identity (kustomize's
/// `appendReplaceOrMerge`).
fn absorb(ctx: &Ctx, kind: GenKind, ra: &mut ResMap, mut r: Resource) -> Result<()> {
    let id = r.cur_id();
    let matches = ra.matching_any_id(&id);
    let shown = match id.namespace.as_str() {
        "" => format!("{} {}", id.gvk.kind, id.name),
        ns => format!("{} {ns}/{}", id.gvk.kind, id.name),
    };
    let line = r.origin.line;
    let err =
        |kind_: ErrorKind, msg: String| Error::new(kind_, ctx.file.clone(), msg).at_line(line);
    match (matches.as_slice(), r.meta.behavior) {
        ([], Behavior::Create) => ra.append(r),
        ([], b) => Err(err(
            ErrorKind::Transform,
            format!(
                "{} '{}' has behavior '{}' but there is no {shown} to {} (from resources, a base, \
                 or an earlier generator); fix the name or namespace, or use behavior 'create'",
                kind.field(),
                id.name,
                behavior_name(b),
                behavior_name(b),
            ),
        )),
        ([i], Behavior::Create) => {
            let old = &ra.resources[*i];
            Err(err(
                ErrorKind::Conflict,
                format!(
                    "{} '{}' makes {shown}, which already exists (from {}); set `behavior: merge` \
                     or `behavior: replace`, or rename it",
                    kind.field(),
                    id.name,
                    where_from(&old.origin)
                ),
            ))
        }
        ([i], b) => {
            let old = &ra.resources[*i];
            let merge = b == Behavior::Merge;
            let mut changed = Vec::new();
            for field in ["data", "binaryData"] {
                if let Some(Value::Object(m)) = r.doc.get(field) {
                    changed.extend(m.keys().map(|k| format!("{field}.{k}")));
                }
            }
            for field in ["labels", "annotations"] {
                for (k, _) in r.string_map(field) {
                    changed.push(format!("metadata.{field}.{k}"));
                }
            }
            let labels = merged_strings(old.labels(), r.labels());
            let annotations = merged_strings(old.annotations(), r.annotations());
            set_meta_map(&mut r, "labels", labels);
            set_meta_map(&mut r, "annotations", annotations);
            let (name, ns) = (old.name().to_string(), old.namespace().to_string());
            r.set_name(&name);
            r.set_namespace(&ns);
            if merge {
                for field in ["data", "binaryData"] {
                    let m =
                        merged_strings(data_strings(&old.doc, field), data_strings(&r.doc, field));
                    if m.is_empty() {
                        r.doc.remove(field);
                    } else {
                        r.doc.insert(field.into(), string_object(&m));
                    }
                }
            }
            r.meta.needs_hash = old.meta.needs_hash && r.meta.needs_hash;
            r.meta.prev_ids = old.meta.prev_ids.clone();
            r.meta.prefixes = old.meta.prefixes.clone();
            r.meta.suffixes = old.meta.suffixes.clone();
            r.meta.ref_by = old.meta.ref_by.clone();
            r.meta.behavior = old.meta.behavior;
            let mut edits = old.edits.clone();
            edits.append(&mut r.edits);
            r.edits = edits;
            r.meta.transformations = old.meta.transformations.clone();
            if merge {
                r.origin = old.origin.clone();
                r.meta.generated_by = old.meta.generated_by.clone();
            }
            r.record(
                if kind == GenKind::ConfigMap {
                    "configMapGenerator"
                } else {
                    "secretGenerator"
                },
                &ctx.file,
                changed,
            );
            ra.resources[*i] = r;
            Ok(())
        }
        (many, _) => Err(err(
            ErrorKind::Conflict,
            format!(
                "{} '{}' could {} any of {} resources named {shown} ({}); give the generator a \
                 namespace to pick one",
                kind.field(),
                id.name,
                behavior_name(r.meta.behavior),
                many.len(),
                many.iter()
                    .map(|&i| where_from(&ra.resources[i].origin))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

fn behavior_name(b: Behavior) -> &'static str {
    match b {
        Behavior::Create => "create",
        Behavior::Merge => "merge",
        Behavior::Replace => "replace",
    }
}

fn where_from(o: &Origin) -> String {
    if o.line > 0 {
        format!("{}:{}", o.file, o.line)
    } else {
        o.file.clone()
    }
}

/// `base` overlaid by `over`: `over` wins.
fn merged_strings(
    base: Vec<(String, String)>,
    over: Vec<(String, String)>,
) -> BTreeMap<String, String> {
    base.into_iter().chain(over).collect()
}

/// Sets `metadata.<field>`, removing it when empty (as kustomize does).
fn set_meta_map(r: &mut Resource, field: &str, m: BTreeMap<String, String>) {
    if m.is_empty() {
        r.metadata_mut().remove(field);
    } else {
        r.metadata_mut().insert(field.into(), string_object(&m));
    }
}

/// A `data` or `binaryData` map with every value as the string kustomize reads
/// (numbers and booleans as written, null and non-scalars as empty).
fn data_strings(doc: &Map<String, Value>, field: &str) -> Vec<(String, String)> {
    match doc.get(field) {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                let s = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => String::new(),
                };
                (k.clone(), s)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// 1-based lines of the entries of the top-level sequence `key` in a
/// kustomization's text, best effort (empty for flow style).
fn entry_lines(text: &str, key: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let mut in_list = false;
    let mut item_indent: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        let body = line.trim_start();
        let indent = line.len() - body.len();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if !in_list {
            if indent == 0 && body.starts_with(&format!("{key}:")) {
                in_list = true;
            }
            continue;
        }
        let is_item = body == "-" || body.starts_with("- ");
        match item_indent {
            None if is_item => {
                item_indent = Some(indent);
                out.push(i as u32 + 1);
            }
            Some(ind) if is_item && indent == ind => out.push(i as u32 + 1),
            Some(ind) if indent > ind => {}
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::build::build;
    use crate::kustomize::fs::MemFs;

    fn ctx_build(fs: &MemFs, k: &str) -> Result<(ResMap, Vec<String>)> {
        let mut fs = fs.clone();
        fs.add("kustomization.yaml", k);
        let k: Kustomization =
            serde_json::from_value(crate::yaml::parse_stream(k).unwrap().remove(0).value).unwrap();
        let mut warnings = Vec::new();
        let mut ctx = Ctx {
            fs: &fs,
            dir: String::new(),
            file: "kustomization.yaml".into(),
            warnings: &mut warnings,
            track_edits: false,
            track_origins: false,
            openapi: &crate::kustomize::openapi::SchemaChoice::default(),
            enable_helm: false,
        };
        let mut ra = ResMap::new();
        run_generators(&mut ctx, &k, &mut ra)?;
        Ok((ra, warnings))
    }

    fn gen(fs: &MemFs, k: &str) -> ResMap {
        ctx_build(fs, k).unwrap().0
    }

    fn json(r: &Resource) -> Value {
        Value::Object(r.doc.clone())
    }

    #[test]
    fn literals_strip_matching_quotes_and_keep_equals() {
        let ra = gen(
            &MemFs::new(),
            "configMapGenerator:\n- name: lit\n  literals:\n  - A=1\n  - B=\"two\"\n  - C='three'\n  - D=x=y\n  - E=\n  - \"F=\\\"mis'\"\n",
        );
        assert_eq!(
            json(&ra.resources[0]),
            serde_json::json!({
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "lit"},
                "data": {"A": "1", "B": "two", "C": "three", "D": "x=y", "E": "", "F": "\"mis'"}
            })
        );
        assert!(ra.resources[0].meta.needs_hash);
        assert_eq!(ra.resources[0].origin.line, 2);
        assert_eq!(
            ra.resources[0].origin.generated_by.as_deref(),
            Some("kustomization.yaml")
        );
    }

    #[test]
    fn env_files_parse_like_kustomize() {
        let mut fs = MemFs::new();
        fs.add(
            "app.env",
            "# comment\n\n  FOO=bar\nEMPTY\nQ=\"quoted\"\nSP = x  \r\nK=v=w\n=skip\nHOME\n",
        );
        fs.add("bom.env", b"\xef\xbb\xbfBOM=1\nX=2".to_vec());
        let ra = gen(
            &fs,
            "configMapGenerator:\n- name: envs\n  envs: [app.env]\n  env: bom.env\n",
        );
        // Expected data from kubectl kustomize (v5.5.0).
        assert_eq!(
            ra.resources[0].doc["data"],
            serde_json::json!({"BOM": "1", "EMPTY": "", "FOO": "bar", "HOME": "", "K": "v=w",
                "Q": "\"quoted\"", "SP ": " x  ", "X": "2"})
        );
    }

    #[test]
    fn files_by_base_name_or_key_and_binary_to_binary_data() {
        let mut fs = MemFs::new();
        fs.add("conf/text.txt", "hello\nworld\n");
        fs.add("bin.dat", b"\x00\xff\xfebinary".to_vec());
        let ra = gen(
            &fs,
            "configMapGenerator:\n- name: files\n  files: [conf/text.txt, renamed=conf/text.txt, bin.dat]\n",
        );
        let r = &ra.resources[0];
        assert_eq!(
            r.doc["data"],
            serde_json::json!({"renamed": "hello\nworld\n", "text.txt": "hello\nworld\n"})
        );
        assert_eq!(
            r.doc["binaryData"],
            serde_json::json!({"bin.dat": "AP/+YmluYXJ5"})
        );
    }

    #[test]
    fn secret_data_is_base64_type_defaults_to_opaque_and_empty_data_stays() {
        let mut fs = MemFs::new();
        fs.add("bin.dat", b"\x00\xff\xfebinary".to_vec());
        fs.add("long.txt", "x".repeat(120));
        let ra = gen(
            &fs,
            "secretGenerator:\n- name: sec\n  literals: [a=b]\n  files: [bin.dat, long.txt]\n- name: sec-empty\n- name: tls\n  type: kubernetes.io/tls\n  literals: [tls.crt=c, tls.key=k]\n",
        );
        assert_eq!(
            json(&ra.resources[0]),
            serde_json::json!({
                "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sec"}, "type": "Opaque",
                "data": {"a": "Yg==", "bin.dat": "AP/+YmluYXJ5",
                    "long.txt": "eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eH\nh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4\neHh4eHh4eHh4eHh4eHh4\n"}
            })
        );
        assert_eq!(ra.resources[1].doc["data"], serde_json::json!({}));
        assert_eq!(ra.resources[2].doc["type"], "kubernetes.io/tls");
    }

    #[test]
    fn empty_config_map_has_no_data() {
        let ra = gen(&MemFs::new(), "configMapGenerator:\n- name: empty\n");
        assert!(!ra.resources[0].doc.contains_key("data"));
    }

    #[test]
    fn local_options_win_and_flags_combine() {
        let ra = gen(
            &MemFs::new(),
            "configMapGenerator:\n- name: opts\n  namespace: ns1\n  literals: [a=b]\n  options:\n    labels: {l1: local}\n    annotations: {an: local}\n    immutable: true\n    disableNameSuffixHash: false\n- name: plain\ngeneratorOptions:\n  labels: {l1: global, l2: global}\n  annotations: {g: global}\n  disableNameSuffixHash: true\n",
        );
        assert_eq!(
            json(&ra.resources[0]),
            serde_json::json!({
                "apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}, "immutable": true,
                "metadata": {"name": "opts", "namespace": "ns1",
                    "labels": {"l1": "local", "l2": "global"},
                    "annotations": {"an": "local", "g": "global"}}
            })
        );
        assert!(!ra.resources[0].meta.needs_hash);
        assert!(!ra.resources[1].meta.needs_hash);
        assert_eq!(
            ra.resources[1].doc["metadata"]["labels"],
            serde_json::json!({"l1": "global", "l2": "global"})
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let mut fs = MemFs::new();
        fs.add("d/f", "x");
        fs.add("x", "x");
        let cases = [
            ("files: [d]", "is a directory"),
            ("files: [nope]", "does not exist"),
            ("literals: [a=1, a=2]", "has the key 'a' twice"),
            ("literals: [a=1]\n  files: [a=x]", "has the key 'a' twice"),
            ("literals: [ok=1, hunter2]", "literal 2 is not KEY=VALUE"),
            ("literals: [=hunter2]", "literal 1 is not KEY=VALUE"),
            ("files: [=x]", "has no key"),
            ("files: [k=]", "has no path"),
            ("files: [a=b=c]", "more than one '='"),
            ("files: [../x]", "outside"),
            ("type: foo", "only secretGenerator"),
        ];
        for (src, want) in cases {
            let k = format!("configMapGenerator:\n- name: e\n  {src}\n");
            let e = ctx_build(&fs, &k).unwrap_err();
            assert!(e.message.contains(want), "{src}: {}", e.message);
            // A literal may be a secret: never quoted.
            assert!(!e.message.contains("hunter2"), "{src}: {}", e.message);
            assert_eq!(e.file, "kustomization.yaml");
        }
        let e = ctx_build(&fs, "configMapGenerator:\n- literals: [a=b]\n").unwrap_err();
        assert!(e.message.contains("no `name`"));
        let e = ctx_build(
            &fs,
            "configMapGenerator:\n- name: e\n  behavior: merge\n  literals: [c=b]\n",
        )
        .unwrap_err();
        assert!(
            e.message.contains("no ConfigMap e to merge"),
            "{}",
            e.message
        );
        let e = ctx_build(
            &fs,
            "configMapGenerator:\n- name: e\n  literals: [a=b]\n- name: e\n  literals: [c=b]\n",
        )
        .unwrap_err();
        assert!(e.message.contains("already exists"), "{}", e.message);
        assert_eq!(e.line, 4);
    }

    #[test]
    fn env_file_with_invalid_utf8_is_an_error() {
        let mut fs = MemFs::new();
        fs.add("a.env", b"A=1\nB=\xff\n".to_vec());
        let e = ctx_build(&fs, "configMapGenerator:\n- name: e\n  envs: [a.env]\n").unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("a.env", 2));
    }

    #[test]
    fn merge_within_one_kustomization_and_hash_flag() {
        // kubectl kustomize: data a,c merged; name `e` (the new entry disables the hash).
        let ra = gen(
            &MemFs::new(),
            "configMapGenerator:\n- name: e\n  literals: [a=b]\n- name: e\n  behavior: merge\n  literals: [c=b]\n  options: {disableNameSuffixHash: true}\n",
        );
        assert_eq!(ra.len(), 1);
        assert_eq!(
            ra.resources[0].doc["data"],
            serde_json::json!({"a": "b", "c": "b"})
        );
        assert!(!ra.resources[0].meta.needs_hash);
    }

    #[test]
    fn unknown_behavior_is_create_with_a_warning() {
        let (ra, w) = ctx_build(
            &MemFs::new(),
            "configMapGenerator:\n- name: e\n  behavior: Merge\n  literals: [a=b]\n",
        )
        .unwrap();
        assert_eq!(ra.len(), 1);
        assert!(w[0].contains("'Merge'"));
    }

    #[test]
    fn helpers_match_go() {
        assert_eq!(base_name("a/b/c.txt"), "c.txt");
        assert_eq!(base_name("dir/"), "dir");
        assert_eq!(base_name(""), ".");
        assert_eq!(encode_base64(&[]), "");
        // Under 70 characters: one line, no newline; from 70 on: every line ends in one.
        assert_eq!(encode_base64(&[0u8; 51]), "A".repeat(68));
        assert_eq!(
            encode_base64(&[0u8; 54]),
            format!("{}\nAA\n", "A".repeat(70))
        );
        assert_eq!(
            entry_lines("a: 1\nconfigMapGenerator:\n- name: x\n  literals:\n  - a=b\n- name: y\nsecretGenerator: []\n", "configMapGenerator"),
            vec![3, 6]
        );
    }

    /// End to end through `build`: a base with a prefix and namespace, an
    /// overlay merging into a generated ConfigMap and into a plain one, and
    /// replacing a Secret. Expected values from kubectl kustomize v5.5.0.
    #[test]
    fn merge_and_replace_across_base_and_overlay() {
        let fs = MemFs::from_files([
            (
                "base/kustomization.yaml",
                "namePrefix: b-\nnamespace: bns\nresources: [cm.yaml]\nconfigMapGenerator:\n- name: gen\n  literals: [a=1, b=2]\n  options:\n    labels: {bl: base}\n    annotations: {ba: base}\nsecretGenerator:\n- name: s\n  type: kubernetes.io/tls\n  literals: [tls.crt=c]\n",
            ),
            (
                "base/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n  labels: {pl: x}\ndata:\n  n: 3\n  k: v\n",
            ),
            (
                "ov/kustomization.yaml",
                "resources: [../base]\nconfigMapGenerator:\n- name: gen\n  behavior: merge\n  literals: [b=3, c=4]\n  options:\n    labels: {ol: ov}\n- name: plain\n  behavior: merge\n  literals: [z=1]\nsecretGenerator:\n- name: s\n  behavior: replace\n  literals: [x=y]\n",
            ),
        ]);
        let out = build(&fs, "ov").unwrap();
        let by_kind = |k: &str, n: &str| {
            out.resources
                .iter()
                .find(|r| r.kind() == k && r.org_id().name == n)
                .unwrap_or_else(|| panic!("{k} {n}"))
        };
        let gen = by_kind("ConfigMap", "gen");
        assert_eq!(
            gen.doc["data"],
            serde_json::json!({"a": "1", "b": "3", "c": "4"})
        );
        assert_eq!(
            gen.doc["metadata"]["labels"],
            serde_json::json!({"bl": "base", "ol": "ov"})
        );
        assert_eq!(
            gen.doc["metadata"]["annotations"],
            serde_json::json!({"ba": "base"})
        );
        assert!(gen.meta.needs_hash);
        assert!(gen.name().ends_with("gen-fbcmkbc66h"), "{}", gen.name());
        let plain = by_kind("ConfigMap", "plain");
        assert_eq!(
            plain.doc["data"],
            serde_json::json!({"k": "v", "n": "3", "z": "1"})
        );
        assert!(
            !plain.meta.needs_hash,
            "merged into a plain resource: no hash"
        );
        assert_eq!(plain.origin.file, "base/cm.yaml");
        assert!(plain.name().ends_with("plain"), "{}", plain.name());
        let s = by_kind("Secret", "s");
        assert_eq!(s.doc["type"], "Opaque");
        assert_eq!(s.doc["data"], serde_json::json!({"x": "eQ=="}));
        assert!(s.meta.needs_hash);
        assert!(s.name().ends_with("s-t86b282gdf"), "{}", s.name());
    }

    /// A base generator without hash stays without one when an overlay merges
    /// into it with the hash enabled (kubectl kustomize: name `nohash`).
    #[test]
    fn merge_keeps_hash_only_when_both_sides_want_it() {
        let fs = MemFs::from_files([
            (
                "base/kustomization.yaml",
                "configMapGenerator:\n- name: nohash\n  literals: [a=1]\n  options: {disableNameSuffixHash: true}\n",
            ),
            (
                "ov/kustomization.yaml",
                "resources: [../base]\nconfigMapGenerator:\n- name: nohash\n  behavior: merge\n  literals: [b=2]\n",
            ),
        ]);
        let out = build(&fs, "ov").unwrap();
        assert_eq!(out.resources.len(), 1);
        assert_eq!(out.resources[0].name(), "nohash");
        assert_eq!(
            out.resources[0].doc["data"],
            serde_json::json!({"a": "1", "b": "2"})
        );
    }

    /// A component's generators merge into the parent's and read files from
    /// the component's directory (kubectl kustomize: cfg-b8k62cd524, extra-cb6gbmhkcc).
    #[test]
    fn component_generators_merge_into_the_parent() {
        let fs = MemFs::from_files([
            (
                "c/kustomization.yaml",
                "kind: Component\napiVersion: kustomize.config.k8s.io/v1alpha1\nconfigMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [region=eu]\nsecretGenerator:\n- name: extra\n  envs: [s.env]\n",
            ),
            ("c/s.env", "PASS=x\n"),
            (
                "app/kustomization.yaml",
                "configMapGenerator:\n- name: cfg\n  literals: [a=b]\ncomponents: [../c]\n",
            ),
        ]);
        let out = build(&fs, "app").unwrap();
        let names: Vec<&str> = out.resources.iter().map(|r| r.name()).collect();
        assert_eq!(names, ["cfg-b8k62cd524", "extra-cb6gbmhkcc"]);
        assert_eq!(out.resources[1].origin.file, "c/kustomization.yaml");
    }
}
