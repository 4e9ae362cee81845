//! `strata diff`'s engine: two trees of Kubernetes YAML in, a [`DiffReport`] out.
//!
//! Pure: a [`Tree`] is file paths and bytes (read from disk, or rendered in memory),
//! and the report is data that `format::{text, markdown, json}` print. Resources are
//! matched by identity (API group, kind, namespace, name) within a unit (the folder
//! that holds the file: one cluster's app in a hydrated tree), never by position or
//! file. Files with identical bytes at the same path are not even parsed.
//!
//! Secret values are withheld here (see [`redact`]), so no formatter can print them.

pub mod fields;
pub mod format;
pub mod path;
pub mod redact;
pub mod report;

use crate::error::{Error, ErrorKind, Result};
use crate::yaml;
use path::PatSeg;
use rayon::prelude::*;
pub use report::{Change, DiffReport, ResourceDiff, Totals, UnitDiff};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A tree of YAML files: path (relative to the tree's root, `/`-separated) → bytes.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    /// How errors name the tree's root (`old/`, `rendered at main`); may be empty.
    pub root: String,
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Tree {
    /// The tree's file as the user would name it.
    fn shown(&self, path: &str) -> String {
        if self.root.is_empty() {
            path.to_string()
        } else {
            format!("{}/{path}", self.root.trim_end_matches('/'))
        }
    }
}

/// What to compare and how.
#[derive(Clone, Debug, Default)]
pub struct DiffOptions {
    /// Unchanged lines around each hunk of a multi-line string's diff.
    pub context: usize,
    /// Kinds and fields left out of the comparison.
    pub ignore: Vec<IgnoreRule>,
    /// Print secret values (never the default).
    pub show_secrets: bool,
    /// The fleet's layout (`apps/{env}/{cluster}/{app}`), to label units.
    pub layout: Option<String>,
}

/// `--ignore [KIND:]PATH` or `--ignore KIND:*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoreRule {
    /// Lower-case kind; `None` for every kind.
    pub kind: Option<String>,
    /// The field; `None` for the whole resource.
    pub path: Option<Vec<PatSeg>>,
}

impl IgnoreRule {
    /// Parses `spec.replicas`, `Deployment:spec.replicas`, `ConfigMap:*`.
    pub fn parse(s: &str) -> std::result::Result<IgnoreRule, String> {
        let (kind, rest) = match s.split_once(':') {
            Some((k, r)) if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                (Some(k.to_ascii_lowercase()), r)
            }
            _ => (None, s),
        };
        let path =
            match rest {
                "*" | "" if kind.is_some() => None,
                _ => Some(path::parse_pattern(rest).map_err(|e| {
                    format!("--ignore {e} (or KIND:PATH, or KIND:* for a whole kind)")
                })?),
            };
        Ok(IgnoreRule { kind, path })
    }

    fn applies_to(&self, kind: &str) -> bool {
        self.kind
            .as_deref()
            .is_none_or(|k| k.eq_ignore_ascii_case(kind))
    }
}

/// One object read from a tree.
#[derive(Clone, Debug)]
struct Obj {
    file: String,
    api_version: String,
    doc: Value,
}

/// Where an object is and who it is: (unit, group, kind, namespace, name). The API
/// version is left out: a new version of a resource is a change of that resource.
type Key = (String, String, String, String, String);

/// Compares two trees.
pub fn diff_trees(old: &Tree, new: &Tree, opts: &DiffOptions) -> Result<DiffReport> {
    // Only files whose bytes differ (or exist on one side) can hold a difference.
    let mut dirty_old = Vec::new();
    let mut dirty_new = Vec::new();
    for (p, bytes) in &old.files {
        match new.files.get(p) {
            Some(b) if b == bytes => {}
            _ => dirty_old.push(p.as_str()),
        }
    }
    for (p, bytes) in &new.files {
        match old.files.get(p) {
            Some(b) if b == bytes => {}
            _ => dirty_new.push(p.as_str()),
        }
    }
    let mut warnings = Vec::new();
    let old_objs = load(old, &dirty_old, opts, &mut warnings)?;
    let new_objs = load(new, &dirty_new, opts, &mut warnings)?;

    let units_total: BTreeSet<&str> = old
        .files
        .keys()
        .chain(new.files.keys())
        .map(|p| unit_of(p))
        .collect();

    let mut removed: Vec<&Key> = old_objs
        .keys()
        .filter(|k| !new_objs.contains_key(*k))
        .collect();
    let mut added: Vec<&Key> = new_objs
        .keys()
        .filter(|k| !old_objs.contains_key(*k))
        .collect();
    let pairs = pair_hash_suffixes(&mut removed, &mut added);

    let mut units: BTreeMap<String, UnitDiff> = BTreeMap::new();
    let new_unit = |name: &str| UnitDiff {
        unit: name.to_string(),
        labels: opts
            .layout
            .as_deref()
            .map(|l| labels(l, name))
            .unwrap_or_default(),
        ..Default::default()
    };
    macro_rules! unit {
        ($name:expr) => {
            units
                .entry($name.to_string())
                .or_insert_with(|| new_unit($name))
        };
    }
    for k in &removed {
        let o = &old_objs[*k];
        let u = unit!(&k.0);
        u.removed += 1;
        u.resources
            .push(resource(Change::Removed, k, o, None, Vec::new()));
    }
    for k in &added {
        let o = &new_objs[*k];
        let u = unit!(&k.0);
        u.added += 1;
        u.resources
            .push(resource(Change::Added, k, o, None, Vec::new()));
    }
    let mut both: Vec<(&Key, &Key)> = old_objs
        .keys()
        .filter(|k| new_objs.contains_key(*k))
        .map(|k| (k, k))
        .collect();
    both.extend(pairs);
    let changed: Vec<(&Key, &Key, Vec<fields::FieldChange>)> = both
        .par_iter()
        .map(|(ko, kn)| {
            let (a, b) = (&old_objs[*ko], &new_objs[*kn]);
            let mut fields = fields::diff_values(&a.doc, &b.doc, opts.context);
            if !opts.show_secrets {
                let secret = redact::is_secret(&kn.1, &kn.2);
                fields.iter_mut().for_each(|f| redact::redact(f, secret));
            }
            (*ko, *kn, fields)
        })
        .filter(|(_, _, f)| !f.is_empty())
        .collect();
    for (ko, kn, fields) in changed {
        let (a, b) = (&old_objs[ko], &new_objs[kn]);
        let u = unit!(&kn.0);
        u.changed += 1;
        u.resources
            .push(resource(Change::Changed, kn, b, Some((ko, a)), fields));
    }

    let mut totals = Totals {
        units_total: units_total.len(),
        ..Default::default()
    };
    let mut units: Vec<UnitDiff> = units.into_values().collect();
    for u in &mut units {
        u.resources.sort_by(|a, b| {
            (&a.kind, &a.namespace, &a.name, a.change).cmp(&(
                &b.kind,
                &b.namespace,
                &b.name,
                b.change,
            ))
        });
        totals.added += u.added;
        totals.removed += u.removed;
        totals.changed += u.changed;
    }
    totals.units_changed = units.len();
    Ok(DiffReport {
        version: report::JSON_VERSION,
        summary: totals,
        units,
        warnings,
    })
}

fn resource(
    change: Change,
    k: &Key,
    o: &Obj,
    before: Option<(&Key, &Obj)>,
    fields: Vec<fields::FieldChange>,
) -> ResourceDiff {
    let (old_api_version, old_name, old_file) = match before {
        Some((ko, a)) => (
            (a.api_version != o.api_version).then(|| a.api_version.clone()),
            (ko.4 != k.4).then(|| ko.4.clone()),
            (a.file != o.file).then(|| a.file.clone()),
        ),
        None => (None, None, None),
    };
    ResourceDiff {
        change,
        api_version: o.api_version.clone(),
        old_api_version,
        kind: k.2.clone(),
        namespace: k.3.clone(),
        name: k.4.clone(),
        old_name,
        file: o.file.clone(),
        old_file,
        fields,
    }
}

/// The folder that holds a file: its unit. `.` for files at the root.
fn unit_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => ".",
    }
}

/// What the layout's placeholders say about a unit folder, when each placeholder
/// is a whole path segment and the literal segments match.
pub fn labels(layout: &str, unit: &str) -> BTreeMap<String, String> {
    let pat: Vec<&str> = layout.trim_matches('/').split('/').collect();
    let segs: Vec<&str> = unit.split('/').collect();
    let mut out = BTreeMap::new();
    if pat.len() != segs.len() {
        return out;
    }
    for (p, s) in pat.iter().zip(&segs) {
        match p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) if !name.contains(['{', '}']) => {
                out.insert(name.to_string(), s.to_string());
            }
            _ if p == s => {}
            _ => return BTreeMap::new(),
        }
    }
    out
}

/// A kustomize hash suffix (`-7h2k9fm8tc`): ten characters of its alphabet.
fn hash_stem(name: &str) -> Option<&str> {
    let (stem, suffix) = name.rsplit_once('-')?;
    (suffix.len() == 10
        && !stem.is_empty()
        && suffix
            .bytes()
            .all(|b| b"bcdfghkmt".contains(&b) || (b'2'..=b'9').contains(&b)))
    .then_some(stem)
}

/// Pairs removed and added objects that differ only by a generated hash suffix
/// (same unit, group, kind, namespace and stem), in name order; takes them out of
/// `removed` and `added`.
fn pair_hash_suffixes<'k>(
    removed: &mut Vec<&'k Key>,
    added: &mut Vec<&'k Key>,
) -> Vec<(&'k Key, &'k Key)> {
    type Stem<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str);
    let stem =
        |k: &'k Key| -> Option<Stem<'k>> { Some((&k.0, &k.1, &k.2, &k.3, hash_stem(&k.4)?)) };
    let mut by_stem: BTreeMap<Stem, Vec<&Key>> = BTreeMap::new();
    for k in added.iter() {
        if let Some(s) = stem(k) {
            by_stem.entry(s).or_default().push(k);
        }
    }
    let mut pairs = Vec::new();
    removed.retain(|k| {
        let Some(candidates) = stem(k).and_then(|s| by_stem.get_mut(&s)) else {
            return true;
        };
        if candidates.is_empty() {
            return true;
        }
        pairs.push((*k, candidates.remove(0)));
        false
    });
    added.retain(|k| !pairs.iter().any(|(_, n)| n == k));
    pairs
}

/// Parses the given files of a tree into objects by key, in parallel.
fn load(
    tree: &Tree,
    paths: &[&str],
    opts: &DiffOptions,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<Key, Obj>> {
    let parsed: Vec<Result<Vec<(Key, Obj)>>> = paths
        .par_iter()
        .map(|p| parse_file(tree, p, &tree.files[*p], opts))
        .collect();
    let mut out = BTreeMap::new();
    for r in parsed {
        for (k, o) in r? {
            if let Some(prev) = out.get(&k) {
                let prev: &Obj = prev;
                warnings.push(format!(
                    "warning: {}: {} {} is also in {}; only the first is compared",
                    tree.shown(&o.file),
                    k.2,
                    k.4,
                    tree.shown(&prev.file)
                ));
                continue;
            }
            out.insert(k, o);
        }
    }
    Ok(out)
}

/// The objects of one file. An error names the file and line; it never quotes the
/// file's content (it may be a Secret).
fn parse_file(
    tree: &Tree,
    path: &str,
    bytes: &[u8],
    opts: &DiffOptions,
) -> Result<Vec<(Key, Obj)>> {
    let shown = tree.shown(path);
    let text = std::str::from_utf8(bytes).map_err(|_| {
        Error::new(
            ErrorKind::Syntax,
            shown.clone(),
            "not UTF-8 text, so not YAML; remove it from the tree or fix its encoding",
        )
    })?;
    let docs = yaml::parse_stream(text).map_err(|e| {
        Error::new(
            ErrorKind::Syntax,
            shown.clone(),
            format!(
                "not valid YAML: {}; fix the file or remove it from the tree",
                without_quotes(&e.message)
            ),
        )
        .at_line(e.line)
    })?;
    let unit = unit_of(path).to_string();
    let mut out = Vec::new();
    for (i, d) in docs.into_iter().enumerate() {
        let items = match d.value {
            Value::Null => continue,
            Value::Object(m) => {
                let is_list = m.get("kind").and_then(Value::as_str).is_some_and(|k| k.ends_with("List"))
                    && m.get("items").is_some_and(Value::is_array);
                if is_list {
                    match m.get("items") {
                        Some(Value::Array(a)) => a.clone(),
                        _ => Vec::new(),
                    }
                } else {
                    vec![Value::Object(m)]
                }
            }
            _ => {
                return Err(Error::new(
                    ErrorKind::Syntax,
                    shown,
                    "a document that is not a mapping, so not a Kubernetes object; each document needs apiVersion, kind and metadata",
                )
                .at_line(d.line))
            }
        };
        for (j, mut doc) in items.into_iter().enumerate() {
            let s = |v: &Value, ptr: &str| {
                v.pointer(ptr)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let api_version = s(&doc, "/apiVersion");
            let kind = s(&doc, "/kind");
            let mut name = s(&doc, "/metadata/name");
            if name.is_empty() {
                // Not an object with a name: it is known by its place in the file.
                name = format!("{path}#{}", i + j + 1);
            }
            let group = match api_version.split_once('/') {
                Some((g, _)) => g.to_string(),
                None => String::new(),
            };
            if opts
                .ignore
                .iter()
                .any(|r| r.path.is_none() && r.applies_to(&kind))
            {
                continue;
            }
            let namespace = s(&doc, "/metadata/namespace");
            for r in &opts.ignore {
                if let (Some(p), true) = (&r.path, r.applies_to(&kind)) {
                    path::prune(&mut doc, p);
                }
            }
            let key = (unit.clone(), group, kind, namespace, name);
            out.push((
                key,
                Obj {
                    file: path.to_string(),
                    api_version,
                    doc,
                },
            ));
        }
    }
    Ok(out)
}

/// A parser message with anything it quotes from the file replaced by `…`.
fn without_quotes(msg: &str) -> String {
    let mut out = String::new();
    for (i, part) in msg.split('`').enumerate() {
        out.push_str(if i % 2 == 1 { "…" } else { part });
    }
    out
}

#[cfg(test)]
mod tests;
