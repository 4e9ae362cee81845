//! Printing a [`DiffReport`](crate::diff::DiffReport): plain or coloured text,
//! Markdown for a pull-request comment, JSON. Formatters only print what the report
//! holds; secret values were withheld before it was built.

pub mod json;
pub mod markdown;
pub mod text;

use crate::diff::fields::{FieldChange, Op};
use crate::diff::report::{DiffReport, UnitDiff};
use serde_json::Value;

/// A value on one line: strings bare unless they would read as something else,
/// everything else as compact JSON.
pub fn inline(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let plain = !s.is_empty()
                && s.trim() == s
                && !s.chars().any(char::is_control)
                && !matches!(s.as_str(), "true" | "false" | "null" | "~")
                && s.parse::<f64>().is_err()
                && !s.contains(" → ")
                && !s.starts_with(['"', '{', '[', '(']);
            if plain {
                s.clone()
            } else {
                v.to_string()
            }
        }
        _ => v.to_string(),
    }
}

/// The one-line form of a field change, without its marker: `path: old → new`,
/// `path: value`, or `path (value hidden)`.
pub fn field_line(f: &FieldChange) -> String {
    let hidden = f.redacted && f.old.is_none() && f.new.is_none();
    if hidden {
        return format!("{} (value hidden)", f.path);
    }
    match (f.op, &f.old, &f.new) {
        (Op::Changed, Some(o), Some(n)) => format!("{}: {} → {}", f.path, inline(o), inline(n)),
        (Op::Added, _, Some(n)) => format!("{}: {}", f.path, inline(n)),
        (Op::Removed, Some(o), _) => format!("{}: {}", f.path, inline(o)),
        _ => format!("{}:", f.path),
    }
}

/// `  ← set by FILE:LINE (how)` when `diff --base` found who set the new value, else empty.
pub fn set_by_note(f: &FieldChange) -> String {
    match &f.set_by {
        Some(s) => format!("  ← set by {s}"),
        None => String::new(),
    }
}

/// `2 changed, 1 added, 1 removed`, leaving out zeros; `no changes` for none.
pub fn counts(added: usize, removed: usize, changed: usize) -> String {
    let mut parts = Vec::new();
    if changed > 0 {
        parts.push(format!("{changed} changed"));
    }
    if added > 0 {
        parts.push(format!("{added} added"));
    }
    if removed > 0 {
        parts.push(format!("{removed} removed"));
    }
    if parts.is_empty() {
        "no changes".into()
    } else {
        parts.join(", ")
    }
}

/// The headline: what changed, in how many units.
pub fn headline(r: &DiffReport) -> String {
    let s = &r.summary;
    if !r.has_changes() {
        return format!(
            "no differences ({} unit{} compared)",
            s.units_total,
            if s.units_total == 1 { "" } else { "s" }
        );
    }
    let n = s.added + s.removed + s.changed;
    format!(
        "{n} resource{} differ{} ({}) in {} of {} units",
        if n == 1 { "" } else { "s" },
        if n == 1 { "s" } else { "" },
        counts(s.added, s.removed, s.changed),
        s.units_changed,
        s.units_total
    )
}

/// The summary table's columns: the layout labels all units share (`env`,
/// `cluster`, `app`, in layout order), else the unit folder.
pub fn columns(r: &DiffReport) -> Vec<String> {
    let Some(first) = r.units.first() else {
        return vec!["unit".into()];
    };
    let keys: Vec<String> = first.labels.keys().cloned().collect();
    if keys.is_empty() || r.units.iter().any(|u| u.labels.len() != keys.len()) {
        return vec!["unit".into()];
    }
    let order = ["env", "region", "tenant", "cluster", "app"];
    let mut keys = keys;
    keys.sort_by_key(|k| order.iter().position(|o| o == k).unwrap_or(order.len()));
    keys
}

/// A unit's value in a summary column.
pub fn column_value<'a>(u: &'a UnitDiff, col: &str) -> &'a str {
    if col == "unit" {
        &u.unit
    } else {
        u.labels.get(col).map(String::as_str).unwrap_or("")
    }
}

/// Totals per env, when the units have an `env` label: (env, units, added,
/// removed, changed).
pub fn per_env(r: &DiffReport) -> Vec<(String, usize, usize, usize, usize)> {
    let mut m: std::collections::BTreeMap<&str, (usize, usize, usize, usize)> = Default::default();
    for u in &r.units {
        let Some(env) = u.labels.get("env") else {
            return Vec::new();
        };
        let e = m.entry(env).or_default();
        e.0 += 1;
        e.1 += u.added;
        e.2 += u.removed;
        e.3 += u.changed;
    }
    m.into_iter()
        .map(|(k, (n, a, r, c))| (k.to_string(), n, a, r, c))
        .collect()
}
