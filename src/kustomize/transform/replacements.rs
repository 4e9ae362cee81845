//! `replacements`: copy a field of one resource into fields of others, as
//! kustomize v5.5's ReplacementTransformer does.
//!
//! Path syntax (kyaml): `.`-separated, `\.` escapes a dot, `[a.b/c]` is one
//! map key, `[name=web]` selects list elements, `0` indexes a list and `*`
//! (targets only) every element. In a source path `[k=v]` is an exact match;
//! in a target path `v` is an unanchored regular expression (so `[name=web]`
//! also selects `web-sidecar`: use `[name=^web$]` to be strict), as kustomize.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::ctx::Ctx;
use crate::kustomize::kustomization::ReplacementEntry;
use crate::kustomize::resmap::ResMap;
use crate::kustomize::resource::{ResId, Resource};
use crate::kustomize::transform::scalar_text;
use regex::Regex;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Loads the kustomization's replacements (inline or from `path:` files, in
/// order) and applies them one after the other.
pub fn apply(ctx: &mut Ctx, entries: &[ReplacementEntry], ra: &mut ResMap) -> Result<()> {
    let mut all: Vec<(Replacement, String)> = Vec::new();
    for entry in entries {
        match entry {
            ReplacementEntry::Inline(v) => {
                if let Some(field) = unknown_field(v, REPLACEMENT_KEYS) {
                    return Err(Error::new(
                        ErrorKind::Invalid,
                        ctx.file.clone(),
                        format!(
                            "replacements: unknown field `{field}`; check the spelling (fields: \
                             source{{group, version, kind, name, namespace, fieldPath, options}}, \
                             targets[{{select, reject, fieldPaths, options}}])"
                        ),
                    ));
                }
                let r = parse(v.clone(), &ctx.file)?;
                all.push((r, ctx.file.clone()));
            }
            ReplacementEntry::Path { path } => {
                let (file, text) = ctx.read_text(path)?;
                let docs = crate::yaml::parse_stream(&text)
                    .map_err(|e| crate::kustomize::loader::yaml_error(&file, e))?;
                let first = docs.into_iter().next().map(|d| d.value);
                match first {
                    Some(Value::Array(items)) => {
                        for item in items {
                            all.push((parse(item, &file)?, file.clone()));
                        }
                    }
                    Some(v @ Value::Object(_)) => all.push((parse(v, &file)?, file.clone())),
                    _ => {
                        return Err(Error::new(
                            ErrorKind::Invalid,
                            file,
                            "unsupported replacement type encountered within replacement path; \
                             the file must hold one replacement (a map with source and targets) \
                             or a list of them",
                        ))
                    }
                }
            }
        }
    }
    for (r, file) in &all {
        apply_one(r, ra, file)?;
    }
    Ok(())
}

const REPLACEMENT_KEYS: &[(&str, Keys)] = &[("source", Keys::Source), ("targets", Keys::Targets)];

#[derive(Clone, Copy)]
enum Keys {
    Source,
    Targets,
    Selector,
    Options,
}

/// The first field the kustomization schema does not know (kustomize reads
/// inline replacements strictly, replacement files leniently).
fn unknown_field(v: &Value, known: &[(&str, Keys)]) -> Option<String> {
    let map = v.as_object()?;
    for (k, child) in map {
        let Some((_, keys)) = known.iter().find(|(n, _)| n == k) else {
            return Some(k.clone());
        };
        let found = match keys {
            Keys::Source => unknown_field(
                child,
                &[
                    ("group", Keys::Options),
                    ("version", Keys::Options),
                    ("kind", Keys::Options),
                    ("name", Keys::Options),
                    ("namespace", Keys::Options),
                    ("fieldPath", Keys::Options),
                    ("options", Keys::Options),
                ],
            )
            .or_else(|| child.get("options").and_then(unknown_option)),
            Keys::Targets => child.as_array().and_then(|ts| {
                ts.iter().find_map(|t| {
                    unknown_field(
                        t,
                        &[
                            ("select", Keys::Selector),
                            ("reject", Keys::Selector),
                            ("fieldPaths", Keys::Options),
                            ("options", Keys::Options),
                        ],
                    )
                    .or_else(|| t.get("options").and_then(unknown_option))
                    .or_else(|| t.get("select").and_then(unknown_selector))
                    .or_else(|| {
                        t.get("reject")
                            .and_then(Value::as_array)
                            .and_then(|rs| rs.iter().find_map(unknown_selector))
                    })
                })
            }),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

fn unknown_option(v: &Value) -> Option<String> {
    let known = ["delimiter", "index", "encoding", "create"];
    v.as_object()?
        .keys()
        .find(|k| !known.contains(&k.as_str()))
        .cloned()
}

fn unknown_selector(v: &Value) -> Option<String> {
    let known = [
        "group",
        "version",
        "kind",
        "name",
        "namespace",
        "labelSelector",
        "annotationSelector",
    ];
    v.as_object()?
        .keys()
        .find(|k| !known.contains(&k.as_str()))
        .cloned()
}

/// One replacement: a source field and where to copy it.
#[derive(Clone, Debug, Default, Deserialize)]
struct Replacement {
    source: Option<Source>,
    targets: Option<Vec<Target>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Source {
    #[serde(flatten)]
    id: Sel,
    #[serde(default)]
    field_path: String,
    options: Option<FieldOptions>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    select: Option<Sel>,
    reject: Option<Vec<Sel>>,
    field_paths: Option<Vec<String>>,
    options: Option<FieldOptions>,
}

/// A resource selector; empty fields match anything.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sel {
    #[serde(default)]
    group: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    label_selector: String,
    #[serde(default)]
    annotation_selector: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct FieldOptions {
    #[serde(default)]
    delimiter: String,
    #[serde(default)]
    index: i64,
    #[serde(default)]
    create: bool,
}

fn parse(v: Value, file: &str) -> Result<Replacement> {
    serde_json::from_value(v).map_err(|e| {
        Error::new(
            ErrorKind::Invalid,
            file,
            format!("replacements: invalid replacement: {e}"),
        )
    })
}

impl Sel {
    fn is_empty_id(&self) -> bool {
        self.group.is_empty()
            && self.version.is_empty()
            && self.kind.is_empty()
            && self.name.is_empty()
            && self.namespace.is_empty()
    }

    /// kustomize's `ResId.IsSelectedBy`: exact strings, an unset namespace equals `default`.
    fn selects(&self, id: &ResId) -> bool {
        let ns = |s: &str| {
            if s.is_empty() {
                "default".to_string()
            } else {
                s.to_string()
            }
        };
        (self.name.is_empty() || self.name == id.name)
            && (self.namespace.is_empty() || ns(&self.namespace) == ns(&id.namespace))
            && (self.group.is_empty() || self.group == id.gvk.group)
            && (self.version.is_empty() || self.version == id.gvk.version)
            && (self.kind.is_empty() || self.kind == id.gvk.kind)
    }

    /// kustomize's spelling of the id part: `ConfigMap.[noVer].[noGrp]/cfg.[noNs]`.
    fn id_string(&self) -> String {
        let or = |s: &str, d: &str| {
            if s.is_empty() {
                d.to_string()
            } else {
                s.to_string()
            }
        };
        format!(
            "{}.{}.{}/{}.{}",
            or(&self.kind, "[noKind]"),
            or(&self.version, "[noVer]"),
            or(&self.group, "[noGrp]"),
            or(&self.name, "[noName]"),
            or(&self.namespace, "[noNs]")
        )
    }

    fn matches_labels_and_annotations(&self, r: &Resource, file: &str) -> Result<bool> {
        Ok(
            selector_matches(&self.annotation_selector, &r.annotations(), file)?
                && selector_matches(&self.label_selector, &r.labels(), file)?,
        )
    }
}

impl Source {
    fn describe(&self) -> String {
        let mut s = self.id.id_string();
        if !self.field_path.is_empty() {
            s.push(':');
            s.push_str(&self.field_path);
        }
        if let Some(o) = &self.options {
            if !o.delimiter.is_empty() || o.create {
                s.push_str(&format!(
                    ":{}({}), create={}",
                    o.delimiter, o.index, o.create
                ));
            }
        }
        s
    }
}

fn transform_error(file: &str, msg: String) -> Error {
    Error::new(ErrorKind::Transform, file, format!("replacements: {msg}"))
}

fn apply_one(r: &Replacement, ra: &mut ResMap, file: &str) -> Result<()> {
    // An empty `targets` list is missing too: kustomize drops it when it
    // re-reads the plugin config (`omitempty`).
    let targets = r.targets.as_ref().filter(|t| !t.is_empty());
    let (Some(source), Some(targets)) = (&r.source, targets) else {
        return Err(transform_error(
            file,
            "replacements must specify a source and at least one target".into(),
        ));
    };
    let value = source_value(source, ra, file)?;
    for target in targets {
        let Some(select) = &target.select else {
            return Err(transform_error(
                file,
                "target must specify resources to select (add `select:` with a kind or name)"
                    .into(),
            ));
        };
        let default_paths = vec!["metadata.name".to_string()];
        let paths = match &target.field_paths {
            Some(p) if !p.is_empty() => p,
            _ => &default_paths,
        };
        let rejects: &[Sel] = target.reject.as_deref().unwrap_or(&[]);
        for res in ra.iter_mut() {
            if !select.matches_labels_and_annotations(res, file)? {
                continue;
            }
            let mut rejected = false;
            for rej in rejects {
                if rej.annotation_selector.is_empty() && rej.label_selector.is_empty() {
                    continue;
                }
                if rej.matches_labels_and_annotations(res, file)? {
                    rejected = true;
                    break;
                }
            }
            if rejected {
                continue;
            }
            let ids: Vec<ResId> = res.all_ids().collect();
            let rejected_by_id = rejects
                .iter()
                .filter(|rej| !rej.is_empty_id())
                .any(|rej| ids.iter().any(|id| rej.selects(id)));
            if rejected_by_id || !ids.iter().any(|id| select.selects(id)) {
                continue;
            }
            copy_to_target(res, &value, paths, target.options.as_ref(), file)?;
        }
    }
    Ok(())
}

/// The value the source names, refined by its `delimiter`/`index` options.
fn source_value(source: &Source, ra: &ResMap, file: &str) -> Result<Value> {
    let mut found: Option<&Resource> = None;
    for r in ra.iter() {
        if r.all_ids().any(|id| source.id.selects(&id)) {
            if found.is_some() {
                return Err(transform_error(
                    file,
                    format!(
                        "multiple matches for selector {}; add name, namespace or kind to the \
                         source so it selects one resource",
                        source.describe()
                    ),
                ));
            }
            found = Some(r);
        }
    }
    let Some(res) = found else {
        return Err(transform_error(
            file,
            format!(
                "nothing selected by {}; check the source's kind, name and namespace against \
                 the resources of this kustomization",
                source.describe()
            ),
        ));
    };
    let field_path = if source.field_path.is_empty() {
        "metadata.name"
    } else {
        &source.field_path
    };
    let parts = split_path(field_path);
    let root = Value::Object(res.doc.clone());
    let got = lookup(&root, &parts)
        .map_err(|e| transform_error(file, format!("error looking up replacement source: {e}")))?;
    let value = match got {
        Some(v) if !is_nil_or_empty(v) => v.clone(),
        _ => {
            return Err(transform_error(
                file,
                format!(
                    "fieldPath `{field_path}` is missing for replacement source {}; fix the path \
                     or add the field to {}",
                    source.id.id_string(),
                    res.cur_id()
                ),
            ))
        }
    };
    let Some(opts) = source.options.as_ref().filter(|o| !o.delimiter.is_empty()) else {
        return Ok(value);
    };
    if !is_scalar(&value) {
        return Err(transform_error(
            file,
            "delimiter option can only be used with scalar nodes; point the source fieldPath \
             at a string, or remove options.delimiter"
                .into(),
        ));
    }
    let text = scalar_text(&value);
    let parts: Vec<&str> = text.split(opts.delimiter.as_str()).collect();
    if opts.index < 0 || opts.index as usize >= parts.len() {
        return Err(transform_error(
            file,
            format!(
                "options.index {} is out of bounds for the source value; it has {} parts split by '{}'",
                opts.index,
                parts.len(),
                opts.delimiter
            ),
        ));
    }
    let part = parts[opts.index as usize];
    Ok(match value {
        Value::String(_) => Value::String(part.to_string()),
        _ => resolve(part),
    })
}

fn is_nil_or_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Object(_) | Value::Array(_))
}

/// The value a plain YAML scalar resolves to (go-yaml v3's core schema).
fn resolve(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let negative = text.starts_with('-');
    let radix = [("0x", 16), ("0o", 8), ("0b", 2)]
        .iter()
        .find_map(|(p, r)| unsigned.strip_prefix(p).map(|d| (d, *r)));
    if let Some((digits, radix)) = radix {
        if let Ok(n) = i64::from_str_radix(digits, radix) {
            return Value::from(if negative { -n } else { n });
        }
    }
    let numeric = !unsigned.is_empty()
        && unsigned
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        && unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    if numeric {
        if let Ok(n) = text.parse::<i64>() {
            return Value::from(n);
        }
        if let Ok(f) = text.parse::<f64>() {
            if let Some(n) = serde_json::Number::from_f64(f) {
                return Value::Number(n);
            }
        }
    }
    Value::String(text.to_string())
}

fn tag(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "seq",
        Value::Object(_) => "map",
    }
}

/// Writes `text` into a scalar target, keeping its type as kustomize does.
fn assign_scalar(target: &mut Value, created: bool, text: &str) -> std::result::Result<(), String> {
    if created {
        *target = resolve(text);
        return Ok(());
    }
    if target.is_string() {
        *target = Value::String(text.to_string());
        return Ok(());
    }
    let new = resolve(text);
    let ok = match (&*target, &new) {
        (Value::Number(t), Value::Number(n)) => t.is_f64() || !n.is_f64(),
        (Value::Bool(_), Value::Bool(_)) | (Value::Null, Value::Null) => true,
        _ => false,
    };
    if !ok {
        return Err(format!(
            "cannot decode the !!{} source value as a !!{}: the target field holds a {} and the value \
             does not; quote the target value in the resource or pick another field",
            tag(&new),
            tag(target),
            tag(target)
        ));
    }
    *target = new;
    Ok(())
}

/// kustomize's `setFieldValue`.
fn set_field(
    target: &mut Value,
    created: bool,
    value: &Value,
    opts: Option<&FieldOptions>,
) -> std::result::Result<(), String> {
    if let Some(o) = opts.filter(|o| !o.delimiter.is_empty()) {
        if !is_scalar(target) {
            return Err(
                "delimiter option can only be used with scalar nodes; point the target \
                 fieldPath at a string, or remove options.delimiter"
                    .into(),
            );
        }
        let current = scalar_text(target);
        let mut parts: Vec<String> = current
            .split(o.delimiter.as_str())
            .map(str::to_string)
            .collect();
        let v = if is_scalar(value) {
            scalar_text(value)
        } else {
            String::new()
        };
        if o.index < 0 {
            parts.insert(0, v);
        } else if o.index as usize >= parts.len() {
            parts.push(v);
        } else {
            parts[o.index as usize] = v;
        }
        return assign_scalar(target, created, &parts.join(&o.delimiter));
    }
    if created && !is_scalar(value) {
        *target = value.clone();
        return Ok(());
    }
    if is_scalar(target) {
        return assign_scalar(target, created, &scalar_text(value));
    }
    *target = value.clone();
    Ok(())
}

fn copy_to_target(
    res: &mut Resource,
    value: &Value,
    paths: &[String],
    opts: Option<&FieldOptions>,
    file: &str,
) -> Result<()> {
    let create = opts.is_some_and(|o| o.create);
    let leaf_kind = if is_scalar(value) {
        Kind::Scalar
    } else if value.is_array() {
        Kind::Seq
    } else {
        Kind::Map
    };
    let id = res.cur_id();
    let mut doc = Value::Object(std::mem::take(&mut res.doc));
    let mut changed = Vec::new();
    let mut result = Ok(());
    for fp in paths {
        let parts = split_path(fp);
        let parts: Vec<String> = parts
            .into_iter()
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        let m = Matcher {
            create: create.then_some(leaf_kind),
        };
        let mut set_err: Option<String> = None;
        let mut count = 0usize;
        let walked = m.filter(
            &mut doc,
            &parts,
            false,
            &mut String::new(),
            &mut |t, created, at| {
                count += 1;
                if set_err.is_none() {
                    match set_field(t, created, value, opts) {
                        Ok(()) => changed.push(at.to_string()),
                        Err(e) => set_err = Some(e),
                    }
                }
            },
        );
        let what = if create {
            format!("unable to find or create field {fp:?} in replacement target")
        } else {
            format!("unable to find field {fp:?} in replacement target")
        };
        let err = match (walked, set_err) {
            (Err(e), _) => Some(format!("{what}: {e}")),
            (Ok(()), _) if count == 0 => Some(format!(
                "{what} {id}; fix the path, or set `options: {{create: true}}` on the target"
            )),
            (Ok(()), Some(e)) => Some(format!("{id} field {fp}: {e}")),
            _ => None,
        };
        if let Some(e) = err {
            result = Err(transform_error(file, e));
            break;
        }
    }
    if let Value::Object(m) = doc {
        res.doc = m;
    }
    result?;
    res.record("replacements", file, changed);
    Ok(())
}

/// Splits a replacement field path: kyaml's `SmarterPathSplitter` on `.`.
fn split_path(path: &str) -> Vec<String> {
    let mut raw: Vec<String> = Vec::new();
    let mut pieces = path.split('.').collect::<Vec<_>>();
    if pieces.len() > 1 && pieces[0].is_empty() {
        pieces.remove(0);
    }
    for p in pieces {
        match raw.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('.');
                last.push_str(p);
            }
            _ => raw.push(p.to_string()),
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let elem = &raw[i];
        if elem.starts_with('[') && !elem.ends_with(']') {
            let mut bracketed = vec![elem.clone()];
            while i < raw.len() - 1 {
                i += 1;
                bracketed.push(raw[i].clone());
                if raw[i].ends_with(']') {
                    break;
                }
            }
            let joined = bracketed.join(".");
            if joined.contains('=') {
                out.push(joined);
            } else {
                out.push(joined.trim_matches(|c| c == '[' || c == ']').to_string());
            }
        } else {
            out.push(elem.clone());
        }
        i += 1;
    }
    out
}

fn is_list_index(p: &str) -> bool {
    p.starts_with('[') && p.ends_with(']')
}

fn idx_number(p: &str) -> Option<usize> {
    if p.starts_with('+') {
        return None;
    }
    p.parse::<usize>().ok()
}

fn split_index(p: &str) -> std::result::Result<(String, String), String> {
    let inner = p.strip_suffix(']').unwrap_or(p);
    let inner = inner.strip_prefix('[').unwrap_or(inner);
    match inner.split_once('=') {
        Some((k, v)) => Ok((k.to_string(), v.to_string())),
        None => {
            Err("list path element must contain fieldName=fieldValue for element to match".into())
        }
    }
}

fn wrong_kind(expected: &str, v: &Value) -> String {
    let got = match v {
        Value::Object(_) => "MappingNode",
        Value::Array(_) => "SequenceNode",
        _ => "ScalarNode",
    };
    format!("wrong node kind: expected {expected} but got {got}")
}

/// kyaml's `PathGetter` (`Lookup`), used on the source: no creation, `[k=v]` exact.
fn lookup<'a>(root: &'a Value, parts: &[String]) -> std::result::Result<Option<&'a Value>, String> {
    let mut cur = root;
    for part in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        if cur.is_null() {
            return Ok(None);
        }
        let next = if let Ok(i) = part.parse::<i64>() {
            if i < 0 {
                return Err(format!("array index {i} cannot be negative"));
            }
            match cur {
                Value::Array(a) => a.get(i as usize),
                _ => return Err(wrong_kind("SequenceNode", cur)),
            }
        } else if part == "-" {
            match cur {
                Value::Array(a) => a.last(),
                _ => return Err(wrong_kind("SequenceNode", cur)),
            }
        } else if part == "*" {
            return Err("wildcard is not supported in PathGetter".into());
        } else if is_list_index(part) {
            let (k, v) = split_index(part)?;
            let Value::Array(items) = cur else {
                return Err(wrong_kind("SequenceNode", cur));
            };
            if k.is_empty() {
                items.iter().find(|e| is_scalar(e) && scalar_text(e) == v)
            } else {
                items.iter().find(|e| {
                    e.as_object()
                        .and_then(|m| m.get(&k))
                        .is_some_and(|f| is_scalar(f) && scalar_text(f) == v)
                })
            }
        } else {
            match cur {
                Value::Object(m) => m.get(part),
                _ => return Err(wrong_kind("MappingNode", cur)),
            }
        };
        match next {
            Some(n) => cur = n,
            None => return Ok(None),
        }
    }
    Ok(Some(cur))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Scalar,
    Seq,
    Map,
}

/// kyaml's `PathMatcher`, used on targets: wildcards, regex list matches and creation.
struct Matcher {
    /// With `options.create`: the kind of the value, for the field at the end.
    create: Option<Kind>,
}

type SetFn<'f> = dyn FnMut(&mut Value, bool, &str) + 'f;

impl Matcher {
    /// What to create for a missing field followed by `next`.
    fn fresh(&self, next: Option<&String>) -> (Value, bool) {
        match next {
            Some(n) if is_list_index(n) || idx_number(n).is_some() => {
                (Value::Array(Vec::new()), false)
            }
            Some(_) => (Value::Object(Map::new()), false),
            None => match self.create {
                Some(Kind::Seq) => (Value::Array(Vec::new()), true),
                Some(Kind::Map) => (Value::Object(Map::new()), true),
                _ => (Value::Null, true),
            },
        }
    }

    fn filter(
        &self,
        node: &mut Value,
        parts: &[String],
        created: bool,
        at: &mut String,
        f: &mut SetFn,
    ) -> std::result::Result<(), String> {
        let Some((first, rest)) = parts.split_first() else {
            f(node, created, at);
            return Ok(());
        };
        let base = at.len();
        let result = if let Some(idx) = idx_number(first) {
            self.index(node, idx, rest, at, f)
        } else if is_list_index(first) {
            self.seq(node, first, rest, at, f)
        } else if first == "*" {
            match node {
                Value::Array(items) => {
                    for (i, item) in items.iter_mut().enumerate() {
                        at.truncate(base);
                        at.push_str(&format!("[{i}]"));
                        self.filter(item, rest, false, at, f)?;
                    }
                    Ok(())
                }
                Value::Null => Ok(()),
                _ => Err(wrong_kind("SequenceNode", node)),
            }
        } else {
            self.field(node, first, rest, at, f)
        };
        at.truncate(base);
        result
    }

    fn field(
        &self,
        node: &mut Value,
        name: &str,
        rest: &[String],
        at: &mut String,
        f: &mut SetFn,
    ) -> std::result::Result<(), String> {
        if node.is_null() {
            if self.create.is_none() {
                return Ok(());
            }
            *node = Value::Object(Map::new());
        }
        let Value::Object(map) = node else {
            return Err(wrong_kind("MappingNode", node));
        };
        let mut created = false;
        if !map.contains_key(name) {
            if self.create.is_none() {
                return Ok(());
            }
            let (fresh, leaf) = self.fresh(rest.first());
            created = leaf;
            map.insert(name.to_string(), fresh);
        }
        if !at.is_empty() {
            at.push('.');
        }
        at.push_str(name);
        match map.get_mut(name) {
            Some(child) => self.filter(child, rest, created, at, f),
            None => Ok(()),
        }
    }

    fn index(
        &self,
        node: &mut Value,
        idx: usize,
        rest: &[String],
        at: &mut String,
        f: &mut SetFn,
    ) -> std::result::Result<(), String> {
        if node.is_null() && self.create.is_some() {
            *node = Value::Array(Vec::new());
        }
        let items = match node {
            Value::Array(items) => items,
            Value::Null => return Err(format!("index {idx} specified but only 0 elements found")),
            _ => return Err(wrong_kind("SequenceNode", node)),
        };
        let mut created = false;
        if items.len() == idx && self.create.is_some() {
            let (fresh, leaf) = self.fresh(rest.first());
            created = leaf;
            items.push(fresh);
        }
        if items.len() < idx + 1 {
            return Err(format!(
                "index {idx} specified but only {} elements found",
                items.len()
            ));
        }
        at.push_str(&format!("[{idx}]"));
        self.filter(&mut items[idx], rest, created, at, f)
    }

    fn seq(
        &self,
        node: &mut Value,
        part: &str,
        rest: &[String],
        at: &mut String,
        f: &mut SetFn,
    ) -> std::result::Result<(), String> {
        let (key, pattern) = split_index(part)?;
        let re = Regex::new(&crate::kustomize::pattern::go_syntax(&pattern))
            .map_err(|e| format!("error parsing regexp in '{part}': {e}"))?;
        if node.is_null() && self.create.is_some() {
            *node = Value::Array(Vec::new());
        }
        let items = match node {
            Value::Array(items) => items,
            Value::Null => return Ok(()),
            _ => return Err(wrong_kind("SequenceNode", node)),
        };
        let matches = |e: &Value| -> bool {
            if key.is_empty() {
                return re.is_match(&element_text(e));
            }
            match e.as_object().and_then(|m| m.get(&key)) {
                Some(v) if !v.is_null() => re.is_match(&element_text(v)),
                _ => false,
            }
        };
        let mut hit: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, e)| matches(e))
            .map(|(i, _)| i)
            .collect();
        if hit.is_empty() && self.create.is_some() {
            let elem = if key.is_empty() {
                resolve(&pattern)
            } else {
                let mut m = Map::new();
                m.insert(key.clone(), resolve(&pattern));
                Value::Object(m)
            };
            items.push(elem);
            if matches(&items[items.len() - 1]) {
                hit.push(items.len() - 1);
            }
        }
        let base = at.len();
        for i in hit {
            at.truncate(base);
            at.push_str(&format!("[{i}]"));
            self.filter(&mut items[i], rest, false, at, f)?;
        }
        at.truncate(base);
        Ok(())
    }
}

/// How kyaml prints a list element or field for `[k=v]` matching.
fn element_text(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Object(_) | Value::Array(_) => v.to_string(),
        _ => scalar_text(v),
    }
}

/// Whether a Kubernetes label selector (`a=b,c!=d,e in (f,g),!h`) matches.
fn selector_matches(selector: &str, labels: &[(String, String)], file: &str) -> Result<bool> {
    if selector.trim().is_empty() {
        return Ok(true);
    }
    let labels: BTreeMap<&str, &str> = labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let bad = || {
        Error::new(
            ErrorKind::Invalid,
            file,
            format!(
                "replacements: invalid label or annotation selector '{selector}'; write it like \
                 app=web,tier!=db or env in (dev,prod)"
            ),
        )
    };
    for req in split_requirements(selector) {
        let req = req.trim();
        if req.is_empty() {
            return Err(bad());
        }
        let ok = if let Some(key) = req.strip_prefix('!') {
            !labels.contains_key(key.trim())
        } else if let Some((k, set)) = set_requirement(req, " notin ") {
            labels.get(k).is_none_or(|v| !set.contains(v))
        } else if let Some((k, set)) = set_requirement(req, " in ") {
            labels.get(k).is_some_and(|v| set.contains(v))
        } else if let Some((k, v)) = req.split_once("!=") {
            labels.get(k.trim()) != Some(&v.trim())
        } else if let Some((k, v)) = req.split_once("==").or_else(|| req.split_once('=')) {
            labels.get(k.trim()) == Some(&v.trim())
        } else if let Some((k, v)) = req.split_once('>') {
            let n: i64 = v.trim().parse().map_err(|_| bad())?;
            labels
                .get(k.trim())
                .and_then(|l| l.parse::<i64>().ok())
                .is_some_and(|l| l > n)
        } else if let Some((k, v)) = req.split_once('<') {
            let n: i64 = v.trim().parse().map_err(|_| bad())?;
            labels
                .get(k.trim())
                .and_then(|l| l.parse::<i64>().ok())
                .is_some_and(|l| l < n)
        } else if req.contains(char::is_whitespace) || req.contains('(') {
            return Err(bad());
        } else {
            labels.contains_key(req)
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Splits on commas outside parentheses.
fn split_requirements(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn set_requirement<'a>(req: &'a str, op: &str) -> Option<(&'a str, Vec<&'a str>)> {
    let (k, rest) = req.split_once(op)?;
    let rest = rest.trim();
    let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
    Some((k.trim(), inner.split(',').map(str::trim).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::fs::MemFs;
    use serde_json::json;

    const RESOURCES: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  annotations:
    a.b/c: x
data:
  host: "db.example.com:5432"
  num: "7"
  list: "a,b,c"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.0
        args: ["--a", "--b"]
        env:
        - name: HOST
          value: old
      - name: web-sidecar
        image: busybox
      - name: xweb
        image: foo
"#;

    fn build(kustomization: &str, extra: &[(&str, &str)]) -> Result<Vec<Value>> {
        let mut files = vec![("r.yaml", RESOURCES), ("kustomization.yaml", kustomization)];
        files.extend_from_slice(extra);
        let fs = MemFs::from_files(files);
        let out = crate::kustomize::build::build(&fs, "")?;
        Ok(out
            .resources
            .into_iter()
            .map(|r| Value::Object(r.doc))
            .collect())
    }

    fn deployment(out: &[Value]) -> &Value {
        out.iter().find(|d| d["kind"] == "Deployment").unwrap()
    }

    // Expected values from `kubectl kustomize` (v5.5.0) on the same input.
    #[test]
    fn delimiters_regex_list_matches_wildcards_and_create() {
        let out = build(
            r#"resources: [r.yaml]
replacements:
- source:
    kind: ConfigMap
    name: cfg
    fieldPath: data.host
    options: {delimiter: ":", index: 0}
  targets:
  - select: {kind: Deployment}
    fieldPaths:
    - spec.template.spec.containers.[name=web].env.[name=HOST].value
    - spec.template.spec.containers.[name=web].image
    options: {delimiter: ":", index: 1}
- source:
    kind: ConfigMap
    fieldPath: metadata.annotations.[a.b/c]
  targets:
  - select: {kind: Deployment}
    fieldPaths: [metadata.annotations.new, spec.template.spec.containers.*.args.0]
    options: {create: true}
- source:
    kind: ConfigMap
    fieldPath: data.num
  targets:
  - select: {kind: Deployment}
    fieldPaths: [spec.replicas]
- source:
    kind: ConfigMap
    fieldPath: data
  targets:
  - select: {kind: Deployment}
    fieldPaths: [spec.template.metadata.labels]
    options: {create: true}
"#,
            &[],
        )
        .unwrap();
        let d = deployment(&out);
        assert_eq!(d["metadata"]["annotations"], json!({"new": "x"}));
        assert_eq!(d["spec"]["replicas"], json!(7));
        assert_eq!(
            d["spec"]["template"]["metadata"]["labels"],
            json!({"host": "db.example.com:5432", "list": "a,b,c", "num": "7"})
        );
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"],
            json!([
                {"args": ["x", "--b"], "env": [{"name": "HOST", "value": "old:db.example.com"}],
                 "image": "nginx:db.example.com", "name": "web"},
                {"args": ["x"], "image": "busybox:db.example.com", "name": "web-sidecar"},
                {"args": ["x"], "image": "foo:db.example.com", "name": "xweb"}
            ])
        );
    }

    #[test]
    fn created_fields_take_the_plain_yaml_type_and_strings_stay_strings() {
        let out = build(
            r#"resources: [r.yaml]
replacements:
- source: {kind: ConfigMap, fieldPath: data.num}
  targets:
  - select: {kind: Deployment}
    fieldPaths: [spec.newfield, spec.template.spec.containers.0.env.0.value, metadata.labels.app]
    options: {create: true}
"#,
            &[],
        )
        .unwrap();
        let d = deployment(&out);
        assert_eq!(d["spec"]["newfield"], json!(7));
        assert_eq!(d["metadata"]["labels"]["app"], json!("7"));
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"],
            json!("7")
        );
    }

    #[test]
    fn files_previous_names_rejects_and_exact_source_matches() {
        let one = r#"source:
  kind: Deployment
  name: web
  fieldPath: spec.template.spec.containers.[name=web-sidecar].image
targets:
- select: {kind: ConfigMap}
  fieldPaths: [data.img]
  options: {create: true}
"#;
        let list = r#"- source: {kind: ConfigMap, fieldPath: data.list, options: {delimiter: ",", index: 2}}
  targets:
  - select: {kind: Deployment, labelSelector: "app=web"}
    reject: [{name: nothing}]
    fieldPaths: ["spec.template.spec.containers.[name=^web$].args.[=--b]"]
"#;
        let out = build(
            r#"resources: [r.yaml]
replacements:
- path: repl.yaml
- path: one.yaml
- source: {kind: ConfigMap, name: cfg, fieldPath: data.num}
  targets:
  - select: {name: web}
    reject: [{labelSelector: "app=web"}]
    fieldPaths: [spec.replicas]
"#,
            &[("repl.yaml", list), ("one.yaml", one)],
        )
        .unwrap();
        let d = deployment(&out);
        assert_eq!(d["spec"]["replicas"], json!(1));
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"][0]["args"],
            json!(["--a", "c"])
        );
        let cm = out.iter().find(|d| d["kind"] == "ConfigMap").unwrap();
        assert_eq!(cm["data"]["img"], json!("busybox"));
    }

    fn error_of(k: &str) -> String {
        let e = build(k, &[]).unwrap_err();
        assert_eq!(e.file, "kustomization.yaml");
        e.message
    }

    // The kustomize v5.5 messages, which ours start with or contain.
    #[test]
    fn errors_as_kustomize() {
        let m = error_of(
            "resources: [r.yaml]\nreplacements:\n- source: {kind: Secret}\n  targets:\n  - select: {kind: Deployment}\n",
        );
        assert!(
            m.contains("nothing selected by Secret.[noVer].[noGrp]/[noName].[noNs]"),
            "{m}"
        );
        let m = error_of(
            "resources: [r.yaml]\nreplacements:\n- source: {version: v1}\n  targets:\n  - select: {kind: Deployment}\n",
        );
        assert!(
            m.contains("multiple matches for selector [noKind].v1.[noGrp]/[noName].[noNs]"),
            "{m}"
        );
        let m = error_of(
            "resources: [r.yaml]\nreplacements:\n- source: {kind: ConfigMap, fieldPath: data.nope}\n  targets:\n  - select: {kind: Deployment}\n",
        );
        assert!(m.contains("fieldPath `data.nope` is missing for replacement source ConfigMap.[noVer].[noGrp]/[noName].[noNs]"), "{m}");
        let m = error_of(
            "resources: [r.yaml]\nreplacements:\n- source: {kind: ConfigMap, fieldPath: data.host}\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [spec.nope.x]\n",
        );
        assert!(
            m.contains("unable to find field \"spec.nope.x\" in replacement target"),
            "{m}"
        );
        let m = error_of(
            "resources: [r.yaml]\nreplacements:\n- source: {kind: ConfigMap, fieldPath: data.host}\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [spec.template.spec.containers.5.image]\n",
        );
        assert!(m.contains("unable to find field \"spec.template.spec.containers.5.image\" in replacement target: index 5 specified but only 3 elements found"), "{m}");
        let m = error_of(
            "resources: [r.yaml]\nreplacements:\n- source: {kind: ConfigMap, fieldPath: data.host, options: {delimiter: \":\", index: 4}}\n  targets:\n  - select: {kind: Deployment}\n",
        );
        assert!(
            m.contains("options.index 4 is out of bounds for the source value")
                && !m.contains("db.example.com"),
            "{m}"
        );
        let m = error_of(
            "resources: [r.yaml]\nreplacements:\n- source: {kind: ConfigMap, foo: 1}\n  targets: [{select: {kind: Deployment}}]\n",
        );
        assert!(m.contains("unknown field `foo`"), "{m}");
        let m = error_of(
            "resources: [r.yaml]\nreplacements:\n- source: {kind: ConfigMap, fieldPath: data.list}\n  targets: [{select: {kind: Deployment}, fieldPaths: [spec.replicas]}]\n",
        );
        assert!(
            m.contains("cannot decode the !!str source value as a !!int"),
            "{m}"
        );
        assert!(!m.contains("a,b,c"), "{m}");
    }

    #[test]
    fn path_splitting() {
        assert_eq!(
            split_path("spec.template.spec.containers.[name=com.foo.app].image"),
            vec![
                "spec",
                "template",
                "spec",
                "containers",
                "[name=com.foo.app]",
                "image"
            ]
        );
        assert_eq!(
            split_path("metadata.annotations.[a.b/c]"),
            vec!["metadata", "annotations", "a.b/c"]
        );
        assert_eq!(split_path(r"data.a\.b"), vec!["data", "a.b"]);
    }

    #[test]
    fn label_selectors() {
        let labels = vec![
            ("app".to_string(), "web".to_string()),
            ("tier".to_string(), "fe".to_string()),
        ];
        for (sel, want) in [
            ("app=web", true),
            ("app==web,tier=fe", true),
            ("app!=web", false),
            ("env!=prod", true),
            ("tier in (fe, be)", true),
            ("tier notin (fe)", false),
            ("app", true),
            ("!app", false),
            ("", true),
        ] {
            assert_eq!(selector_matches(sel, &labels, "k").unwrap(), want, "{sel}");
        }
        assert!(selector_matches("a b", &labels, "k").is_err());
    }

    #[test]
    fn resolve_plain_scalars() {
        assert_eq!(resolve("7"), json!(7));
        assert_eq!(resolve("true"), json!(true));
        assert_eq!(resolve(""), Value::Null);
        assert_eq!(resolve("1.5"), json!(1.5));
        assert_eq!(resolve("db:5432"), json!("db:5432"));
        assert_eq!(resolve("0x10"), json!(16));
    }
}
