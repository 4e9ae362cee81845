//! Name back-references: after prefixes, suffixes, namespaces and hashes have renamed
//! objects, rewrite the fields that name them (a Deployment's ConfigMap volume, a
//! RoleBinding's subjects, an HPA's target, ...) to the new names, as kustomize does.
//!
//! The fields are listed in [`NAME_REFERENCES`](super::namereference_table). For each
//! referrer field holding a name, the referral is chosen among the objects that were
//! renamed from that name, exactly as kustomize chooses:
//! 1. one of its *previous* identities has the name, and one has the target kind
//!    (for `roleRef/name`, also the `roleRef`'s `apiGroup` and `kind`);
//! 2. it may be referred to from the referrer's namespace: either is cluster-scoped,
//!    they share a namespace, or the referral is a ServiceAccount (a RoleBinding's
//!    candidate set also includes the namespaces its ServiceAccount subjects name);
//! 3. a mapping with `namespace` (a subject, a webhook's service) keeps only objects
//!    whose original namespace is that one (or, when no object the referrer may see
//!    started there, whose current namespace is); cluster-scoped objects never match;
//! 4. if several remain, those whose prefixes and suffixes end like the referrer's,
//!    and if still several, those whose affixes equal the referrer's; several left
//!    with one name (and namespace) are one referral, otherwise it is an error.
//!
//! Objects without a previous identity (never renamed nor given a namespace) are
//! never candidates, so a reference to something outside the build is left alone.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::config::{NameBackReference, TransformerConfig};
use crate::kustomize::resmap::ResMap;
use crate::kustomize::resource::{Gvk, ResId, Resource};
use crate::kustomize::transform::scalar_text;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const BY: &str = "nameReference";

/// Rewrites every name reference in `ra` to the current name (and, for mappings
/// with a namespace, the current namespace) of the object it names.
///
/// Runs once at the root, after hash suffixes. Fails when a reference could name
/// several objects that kustomize cannot tell apart.
pub fn fix_back_references(ra: &mut ResMap) -> Result<()> {
    // kustomize reads every RoleBinding's subjects before any reference is looked up,
    // so a blank subject namespace fails the build even when nothing was renamed.
    for r in ra.iter() {
        if r.cur_id().gvk.kind == "RoleBinding" {
            subject_namespaces(r)?;
        }
    }
    let known: Vec<Known> = ra.iter().map(Known::of).collect();
    let mut by_prev_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, k) in known.iter().enumerate() {
        for (_, name) in &k.prev {
            let list = by_prev_name.entry(name.as_str()).or_default();
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
    }
    if by_prev_name.is_empty() {
        // Nothing was renamed or moved: every reference is already right.
        return Ok(());
    }
    let configured;
    let refs = &ra.config.or_defaults().name_reference;
    let table = if *refs == TransformerConfig::defaults().name_reference {
        table()
    } else {
        configured = build_table(refs);
        &configured
    };
    let mut referrals: Vec<(usize, ResId)> = Vec::new();
    for i in 0..ra.resources.len() {
        let org = &known[i].org_gvk;
        let mut spec_ids: Vec<usize> = table
            .by_referrer_kind
            .get(org.kind.as_str())
            .into_iter()
            .flatten()
            .chain(&table.any_kind)
            .copied()
            .collect();
        if table.any_kind.is_empty() && spec_ids.is_empty() {
            continue;
        }
        spec_ids.sort_unstable();
        let specs: Vec<&Spec> = spec_ids
            .iter()
            .map(|&s| &table.specs[s])
            .filter(|s| s.referrer.selects(org))
            .collect();
        if specs.is_empty() {
            continue;
        }
        let r = &mut ra.resources[i];
        let referrer = Referrer::of(r, &known[i])?;
        let mut doc = Value::Object(std::mem::take(&mut r.doc));
        let mut fixer = Fixer {
            known: &known,
            by_prev_name: &by_prev_name,
            referrer: &referrer,
            spec: specs[0],
            changes: Vec::new(),
            picked: Vec::new(),
        };
        let mut result = Ok(());
        for spec in specs {
            fixer.spec = spec;
            result = fixer.fix(&mut doc);
            if result.is_err() {
                break;
            }
        }
        let Fixer {
            changes, picked, ..
        } = fixer;
        if let Value::Object(m) = doc {
            r.doc = m;
        }
        result.map_err(|message| {
            Error::new(ErrorKind::Transform, r.origin.file.clone(), message).at_line(r.origin.line)
        })?;
        for (target, path) in changes {
            r.record(BY, &known[target].origin, vec![path]);
        }
        referrals.extend(picked.into_iter().map(|t| (t, referrer.id.clone())));
    }
    for (target, by) in referrals {
        let ref_by = &mut ra.resources[target].meta.ref_by;
        if !ref_by.contains(&by) {
            ref_by.push(by);
        }
    }
    Ok(())
}

/// A group/version/kind filter; empty parts match anything.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Selector {
    group: String,
    version: String,
    kind: String,
}

impl Selector {
    fn selects(&self, gvk: &Gvk) -> bool {
        self.selects_parts(&gvk.group, &gvk.version, &gvk.kind)
    }

    fn selects_parts(&self, group: &str, version: &str, kind: &str) -> bool {
        (self.group.is_empty() || self.group == group)
            && (self.version.is_empty() || self.version == version)
            && (self.kind.is_empty() || self.kind == kind)
    }
}

/// One referrer field of the table, ready to walk.
#[derive(Debug)]
struct Spec {
    target: Selector,
    referrer: Selector,
    path: Vec<String>,
    /// The path ends in `roleRef/name`: the `roleRef`'s kind and group must match too.
    role_ref: bool,
    /// The path as written, for messages.
    text: String,
}

struct Table {
    specs: Vec<Spec>,
    /// Spec indices by referrer kind, in table order.
    by_referrer_kind: HashMap<String, Vec<usize>>,
    /// Spec indices of referrers of any kind (only from `configurations`).
    any_kind: Vec<usize>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| build_table(&TransformerConfig::defaults().name_reference))
}

/// The table of a build's name references: the built-in ones and those of
/// `configurations` and `crds`, in kustomize's order (`config.rs` merges them).
fn build_table(refs: &[NameBackReference]) -> Table {
    let selector = |group: &str, version: &str, kind: &str| Selector {
        group: group.into(),
        version: version.into(),
        kind: kind.into(),
    };
    let entries = refs
        .iter()
        .map(|nbr| {
            let target = selector(&nbr.group, &nbr.version, &nbr.kind);
            let referrers = nbr
                .referrers
                .iter()
                .map(|fs| (selector(&fs.group, &fs.version, &fs.kind), fs.path.clone()))
                .collect();
            (target, referrers)
        })
        .collect();
    table_of(entries)
}

fn table_of(entries: Vec<(Selector, Vec<(Selector, String)>)>) -> Table {
    let mut specs = Vec::new();
    let mut by_referrer_kind: HashMap<String, Vec<usize>> = HashMap::new();
    let mut any_kind = Vec::new();
    for (target, referrers) in entries {
        for (referrer, path) in referrers {
            if referrer.kind.is_empty() {
                any_kind.push(specs.len());
            } else {
                by_referrer_kind
                    .entry(referrer.kind.clone())
                    .or_default()
                    .push(specs.len());
            }
            specs.push(Spec {
                target: target.clone(),
                referrer,
                path: crate::kustomize::fieldspec::split_path(&path),
                role_ref: path.ends_with("roleRef/name"),
                text: path,
            });
        }
    }
    Table {
        specs,
        by_referrer_kind,
        any_kind,
    }
}

/// What the selection needs to know of every object, taken before any field changes.
struct Known {
    group: String,
    version: String,
    /// Kinds and names it had before, oldest first (kustomize ignores the current one).
    prev: Vec<(String, String)>,
    /// Its kind as loaded, with its current group and version (kustomize's `OrgId`).
    org_gvk: Gvk,
    /// Effective original namespace; `None` when cluster-scoped.
    org_ns: Option<String>,
    /// Effective current namespace; `None` when cluster-scoped.
    cur_ns: Option<String>,
    /// `metadata.namespace` as written (empty when unset).
    raw_ns: String,
    name: String,
    kind: String,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
    origin: String,
}

impl Known {
    fn of(r: &Resource) -> Known {
        let cur = r.cur_id();
        let org = r.org_id();
        let org_gvk = Gvk {
            kind: org.gvk.kind.clone(),
            ..cur.gvk.clone()
        };
        let org_id = ResId {
            gvk: org_gvk.clone(),
            ..org
        };
        Known {
            prev: r
                .meta
                .prev_ids
                .iter()
                .map(|id| (id.gvk.kind.clone(), id.name.clone()))
                .collect(),
            org_ns: namespace_of(&org_id),
            cur_ns: namespace_of(&cur),
            org_gvk,
            raw_ns: cur.namespace.clone(),
            name: cur.name.clone(),
            kind: cur.gvk.kind.clone(),
            group: cur.gvk.group,
            version: cur.gvk.version,
            prefixes: r.meta.prefixes.clone(),
            suffixes: r.meta.suffixes.clone(),
            origin: r.origin.file.clone(),
        }
    }

    fn had_kind(&self, sel: &Selector) -> bool {
        self.prev
            .iter()
            .any(|(kind, _)| sel.selects_parts(&self.group, &self.version, kind))
    }
}

fn namespace_of(id: &ResId) -> Option<String> {
    if id.gvk.is_cluster_scoped() {
        None
    } else {
        Some(id.effective_namespace().to_string())
    }
}

/// The object whose fields are being fixed.
struct Referrer {
    id: ResId,
    /// Effective namespace; `None` when cluster-scoped.
    ns: Option<String>,
    /// For a RoleBinding: namespaces its ServiceAccount subjects name.
    subject_namespaces: HashSet<String>,
    /// `roleRef`'s group and kind, when both are set.
    role_ref: Option<(String, String)>,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
}

impl Referrer {
    fn of(r: &Resource, k: &Known) -> Result<Referrer> {
        let id = r.cur_id();
        let subject_namespaces = if id.gvk.kind == "RoleBinding" {
            subject_namespaces(r)?
        } else {
            HashSet::new()
        };
        let role_ref = r.doc.get("roleRef").and_then(|rr| {
            let group = rr.get("apiGroup")?;
            let kind = rr.get("kind")?;
            Some((scalar_text(group), scalar_text(kind)))
        });
        Ok(Referrer {
            ns: k.cur_ns.clone(),
            id,
            subject_namespaces,
            role_ref,
            prefixes: k.prefixes.clone(),
            suffixes: k.suffixes.clone(),
        })
    }

    /// Whether `t` is in kustomize's "could be referenced by" subset for this referrer.
    fn may_see(&self, t: &Known) -> bool {
        match (&self.ns, &t.cur_ns) {
            (None, _) | (_, None) => true,
            (Some(a), Some(b)) => a == b || self.subject_namespaces.contains(&t.raw_ns),
        }
    }

    /// kustomize's second namespace sieve: same namespace, or cluster-scoped, or a ServiceAccount.
    fn same_namespace(&self, t: &Known) -> bool {
        match (&self.ns, &t.cur_ns) {
            (None, _) | (_, None) => true,
            (Some(a), Some(b)) => t.kind == "ServiceAccount" || a == b,
        }
    }
}

/// The namespaces a RoleBinding's ServiceAccount subjects name; a subject whose
/// `namespace` is not a string (`namespace:` with no value) is an error, as in kustomize.
fn subject_namespaces(r: &Resource) -> Result<HashSet<String>> {
    let mut out = HashSet::new();
    let Some(Value::Array(subjects)) = r.doc.get("subjects") else {
        return Ok(out);
    };
    for s in subjects.iter().filter_map(Value::as_object) {
        let (Some(ns), Some(kind)) = (s.get("namespace"), s.get("kind")) else {
            continue;
        };
        if kind.as_str() != Some("ServiceAccount") {
            continue;
        }
        match ns.as_str() {
            Some(ns) => {
                out.insert(ns.to_string());
            }
            None => {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    r.origin.file.clone(),
                    format!(
                        "RoleBinding {}: the namespace of ServiceAccount subject '{}' is blank; give the namespace, or remove the `namespace` key",
                        r.cur_id().name,
                        s.get("name").map(scalar_text).unwrap_or_default()
                    ),
                )
                .at_line(r.origin.line))
            }
        }
    }
    Ok(out)
}

/// The state of fixing one referrer.
struct Fixer<'a> {
    known: &'a [Known],
    by_prev_name: &'a HashMap<&'a str, Vec<usize>>,
    referrer: &'a Referrer,
    spec: &'a Spec,
    /// (referral, dotted path) of every field changed.
    changes: Vec<(usize, String)>,
    /// Referrals chosen, for `ref_by`.
    picked: Vec<usize>,
}

impl Fixer<'_> {
    fn fix(&mut self, doc: &mut Value) -> std::result::Result<(), String> {
        let path = &self.spec.path;
        self.visit(doc, path, &mut String::new())
    }

    /// Walks `path` below `v`, through every list met, as kustomize's field-spec filter.
    fn visit(
        &mut self,
        v: &mut Value,
        path: &[String],
        at: &mut String,
    ) -> std::result::Result<(), String> {
        let Some((first, rest)) = path.split_first() else {
            return self.set(v, at);
        };
        match v {
            Value::Null => Ok(()),
            Value::Array(items) => {
                let base = at.len();
                for (i, item) in items.iter_mut().enumerate() {
                    at.push_str(&format!("[{i}]"));
                    let r = self.visit(item, path, at);
                    at.truncate(base);
                    r?;
                }
                Ok(())
            }
            Value::Object(m) => {
                let Some(child) = m.get_mut(first.as_str()) else {
                    return Ok(());
                };
                let base = at.len();
                if !at.is_empty() {
                    at.push('.');
                }
                at.push_str(first);
                let r = self.visit(child, rest, at);
                at.truncate(base);
                r
            }
            _ => Err(self.shape_error(at, "a mapping or a list")),
        }
    }

    fn shape_error(&self, at: &str, expected: &str) -> String {
        format!(
            "{} {}: `{}` must be {expected} to follow the name reference `{}`; fix the field",
            self.referrer.id.gvk.kind,
            self.referrer.id.name,
            if at.is_empty() { "(root)" } else { at },
            self.spec.text
        )
    }

    /// At the end of the path: a name, a mapping with a name, or a list of either.
    fn set(&mut self, v: &mut Value, at: &str) -> std::result::Result<(), String> {
        match v {
            Value::Null => Ok(()),
            Value::Object(m) => self.set_mapping(m, at),
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let at = format!("{at}[{i}]");
                    match item {
                        Value::Null => {}
                        Value::Object(m) => self.set_mapping(m, &at)?,
                        Value::Array(_) => {
                            return Err(self.shape_error(&at, "a name or a mapping with a name"))
                        }
                        scalar => self.set_scalar(scalar, &at)?,
                    }
                }
                Ok(())
            }
            scalar => self.set_scalar(scalar, at),
        }
    }

    fn set_scalar(&mut self, v: &mut Value, at: &str) -> std::result::Result<(), String> {
        let old = scalar_text(v);
        let Some(t) = self.select(&old, None, at)? else {
            return Ok(());
        };
        self.picked.push(t);
        let new = &self.known[t].name;
        if *new != old {
            *v = Value::String(new.clone());
            self.changes.push((t, at.to_string()));
        }
        Ok(())
    }

    /// A mapping holding `name` and maybe `namespace` (subjects, webhook services).
    fn set_mapping(
        &mut self,
        m: &mut Map<String, Value>,
        at: &str,
    ) -> std::result::Result<(), String> {
        let Some(name) = m.get("name") else {
            return Err(self.shape_error(at, "a mapping with a `name`"));
        };
        let old = scalar_text(name);
        let ns = m.get("namespace").map(scalar_text);
        let Some(t) = self.select(&old, Some(ns.as_deref()), at)? else {
            return Ok(());
        };
        self.picked.push(t);
        let k = &self.known[t];
        let field = |f: &str| {
            if at.is_empty() {
                f.to_string()
            } else {
                format!("{at}.{f}")
            }
        };
        if k.name != old {
            m.insert("name".into(), Value::String(k.name.clone()));
            self.changes.push((t, field("name")));
        }
        // An unset namespace is a wildcard here, never written as "".
        if !k.raw_ns.is_empty() && ns.as_deref() != Some(k.raw_ns.as_str()) {
            m.insert("namespace".into(), Value::String(k.raw_ns.clone()));
            self.changes.push((t, field("namespace")));
        }
        Ok(())
    }

    /// The object a field naming `old` refers to, chosen as kustomize chooses.
    /// The referral for name `old`; `mapping` is `Some(namespace field)` when the name
    /// sits in a mapping (a subject), whose referral gives both name and namespace.
    fn select(
        &self,
        old: &str,
        mapping: Option<Option<&str>>,
        at: &str,
    ) -> std::result::Result<Option<usize>, String> {
        let map_ns = mapping.flatten();
        let Some(named) = self.by_prev_name.get(old) else {
            return Ok(None);
        };
        let referrer = self.referrer;
        let spec = self.spec;
        // A mapping's namespace narrows to objects that started there, or else are there now.
        let ns_filter = map_ns.map(|ns| {
            let started_there = self
                .known
                .iter()
                .any(|k| referrer.may_see(k) && k.org_ns.as_deref() == Some(ns));
            (ns, started_there)
        });
        let role_ref_ok = |k: &Known| match (&referrer.role_ref, spec.role_ref) {
            (Some((group, kind)), true) => k.prev.iter().any(|(pk, _)| {
                (group.is_empty() || *group == k.group) && (kind.is_empty() || kind == pk)
            }),
            _ => true,
        };
        let mut found: Vec<usize> = named
            .iter()
            .copied()
            .filter(|&i| {
                let k = &self.known[i];
                referrer.may_see(k)
                    && match ns_filter {
                        None => true,
                        Some((ns, true)) => k.org_ns.as_deref() == Some(ns),
                        Some((ns, false)) => k.cur_ns.as_deref() == Some(ns),
                    }
                    && k.had_kind(&spec.target)
                    && role_ref_ok(k)
                    && referrer.same_namespace(k)
            })
            .collect();
        if found.len() == 1 {
            return Ok(found.pop());
        }
        found.retain(|&i| self.affixes_match(i, true));
        if found.len() > 1 {
            found.retain(|&i| self.affixes_match(i, false));
        }
        match found.len() {
            0 => Ok(None),
            1 => Ok(found.pop()),
            _ => {
                let first = &self.known[found[0]];
                let same = found.iter().all(|&i| {
                    let k = &self.known[i];
                    k.name == first.name && (mapping.is_none() || k.raw_ns == first.raw_ns)
                });
                if same {
                    return Ok(Some(found[0]));
                }
                let ids: Vec<String> = found
                    .iter()
                    .map(|&i| {
                        let k = &self.known[i];
                        match &k.cur_ns {
                            Some(ns) => format!("{} {}/{} ({})", k.kind, ns, k.name, k.origin),
                            None => format!("{} {} ({})", k.kind, k.name, k.origin),
                        }
                    })
                    .collect();
                Err(format!(
                    "{} {}: `{at}` names '{old}', which could be any of {}; \
                     give them distinct names (e.g. a namePrefix) or keep only one in the build",
                    referrer.id.gvk.kind,
                    referrer.id.name,
                    ids.join(", ")
                ))
            }
        }
    }

    /// kustomize's `PrefixesSuffixesEquals` between a candidate and the referrer.
    fn affixes_match(&self, i: usize, allow_empty: bool) -> bool {
        let k = &self.known[i];
        let r = self.referrer;
        let ok = |a: &[String], b: &[String]| {
            (allow_empty && (a.is_empty() || b.is_empty())) || same_ending(a, b)
        };
        ok(&k.prefixes, &r.prefixes) && ok(&k.suffixes, &r.suffixes)
    }
}

/// Whether the shorter list is the tail of the longer (two empty lists are equal,
/// an empty list is the tail of no non-empty one).
fn same_ending(a: &[String], b: &[String]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return long.is_empty();
    }
    long.ends_with(short)
}

#[cfg(test)]
#[path = "namereference_tests.rs"]
mod tests;
