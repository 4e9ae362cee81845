//! The diff as data: a summary, then per unit (one folder of the tree: a cluster's
//! app) the resources added, removed and changed, with their field changes.
//! Serialised as is for `--format json`; the shape is documented in the README.

use crate::diff::fields::FieldChange;
use serde::Serialize;
use std::collections::BTreeMap;

/// Version of the JSON shape; bumped only on an incompatible change.
pub const JSON_VERSION: u32 = 1;

/// The whole diff.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DiffReport {
    pub version: u32,
    pub summary: Totals,
    /// Units with at least one difference, by path.
    pub units: Vec<UnitDiff>,
    pub warnings: Vec<String>,
}

/// Counts over the whole diff.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    /// Units with a difference.
    pub units_changed: usize,
    /// Units in either tree.
    pub units_total: usize,
}

impl DiffReport {
    /// Whether the trees differ (after `--ignore`).
    pub fn has_changes(&self) -> bool {
        !self.units.is_empty()
    }
}

/// One folder of the tree with differences.
#[derive(Clone, Debug, Default, Serialize)]
pub struct UnitDiff {
    /// The folder, relative to the tree's root (`apps/prod/prod-eu-1/web`).
    pub unit: String,
    /// What the layout says the folder is (`env`, `cluster`, `app`, ...), when known.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub resources: Vec<ResourceDiff>,
}

impl UnitDiff {
    /// The cluster the unit belongs to: its `cluster` label; without a layout, the
    /// folder above the unit (`clusters/prod-1` for `clusters/prod-1/web`, as in
    /// targets mode), or the unit itself at the top.
    pub fn cluster(&self) -> &str {
        if let Some(c) = self.labels.get("cluster") {
            return c;
        }
        match self.unit.rfind('/') {
            Some(i) => &self.unit[..i],
            None => &self.unit,
        }
    }
}

/// What happened to a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Removed,
    Added,
    Changed,
}

/// One resource that was added, removed or changed.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDiff {
    pub change: Change,
    /// The API version now (before, for a removed resource).
    pub api_version: String,
    /// The API version before, when it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_api_version: Option<String>,
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    pub name: String,
    /// The name before, when a generated hash suffix changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_name: Option<String>,
    /// The file that holds it now (before, for a removed resource).
    pub file: String,
    /// The file before, when it moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_file: Option<String>,
    /// The changed fields (only for `changed`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
}

impl ResourceDiff {
    /// `Kind namespace/name`, or `Kind name` for cluster-scoped objects.
    pub fn title(&self) -> String {
        let mut s = self.kind.clone();
        s.push(' ');
        if !self.namespace.is_empty() {
            s.push_str(&self.namespace);
            s.push('/');
        }
        if let Some(old) = &self.old_name {
            s.push_str(old);
            s.push_str(" → ");
        }
        s.push_str(&self.name);
        s
    }
}
