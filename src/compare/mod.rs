//! `strata compare`: the fields of one app whose values differ across clusters,
//! as a table (text, markdown, JSON) or a self-contained HTML page.
//!
//! Pure: rendered documents per cluster in, a [`Comparison`] out. Secret values
//! are masked here, before any format sees them, so no output can leak one.
//!
//! ```
//! use strata::compare::{compare, Column, Options};
//! let doc = |n: u64| serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
//!     "metadata": {"name": "web"}, "spec": {"replicas": n}}).as_object().unwrap().clone();
//! let c = compare("web", vec![
//!     Column { cluster: "dev-1".into(), env: "dev".into(), docs: vec![doc(1)] },
//!     Column { cluster: "prod-1".into(), env: "prod".into(), docs: vec![doc(4)] },
//! ], &Options::default());
//! assert_eq!(c.rows[0].path, "spec.replicas");
//! assert_eq!(c.rows[0].values, vec![Some("1".to_string()), Some("4".to_string())]);
//! ```

pub mod flatten;
pub mod html;
pub mod identity;
pub mod json;
pub mod table;

use identity::Key;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// One cluster's rendered documents for the app.
#[derive(Clone, Debug)]
pub struct Column {
    pub cluster: String,
    pub env: String,
    pub docs: Vec<Map<String, Value>>,
}

/// What to show.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Show `Secret` `data`/`stringData` values and the last-applied annotation.
    pub show_secrets: bool,
    /// How the clusters were chosen, one sentence for the header (e.g. "the first
    /// cluster of each env by name").
    pub selection: String,
}

/// The result: which clusters, which fields differ, and every resource rendered.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub app: String,
    /// (cluster, env), in column order.
    pub clusters: Vec<(String, String)>,
    pub selection: String,
    /// Fields whose values are not all equal, by resource then path.
    pub rows: Vec<Row>,
    /// Every resource of the app, in the same order, with its YAML per cluster.
    pub resources: Vec<ResourceView>,
}

/// One differing field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The resource's label (`Deployment web/web`).
    pub resource: String,
    /// Index into [`Comparison::resources`].
    pub resource_index: usize,
    /// Dotted field path (`spec.template.spec.containers[name=web].image`).
    pub path: String,
    /// Per cluster, in column order: the value as shown, or `None` where the
    /// cluster has no such field (or no such resource).
    pub values: Vec<Option<String>>,
}

/// A resource as each cluster renders it.
#[derive(Clone, Debug)]
pub struct ResourceView {
    pub label: String,
    /// Per cluster, in column order: its YAML (secret values masked), or `None`.
    pub yaml: Vec<Option<String>>,
    /// How many rows of the table are about it.
    pub differing_fields: usize,
}

/// Shown instead of a secret value.
pub const SECRET: &str = "(secret)";
/// Shown for a secret value that is not the same in every cluster that has it.
pub const SECRET_DIFFERS: &str = "(secret: differs)";
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// One resource's document in each column, `None` where a cluster lacks it.
type PerColumn<'a> = Vec<Option<&'a Map<String, Value>>>;

/// Compares the app's documents across the columns.
pub fn compare(app: &str, columns: Vec<Column>, opts: &Options) -> Comparison {
    let n = columns.len();
    let mut matched: BTreeMap<Key, PerColumn> = BTreeMap::new();
    for (i, col) in columns.iter().enumerate() {
        let docs: Vec<&Map<String, Value>> = col.docs.iter().collect();
        for (key, doc) in identity::keys(&docs).into_iter().zip(docs) {
            matched.entry(key).or_insert_with(|| vec![None; n])[i] = Some(doc);
        }
    }
    // Labels drop the API group unless two resources would read the same without it.
    let mut label_count: BTreeMap<String, usize> = BTreeMap::new();
    for k in matched.keys() {
        *label_count.entry(k.label(false)).or_default() += 1;
    }
    let mut entries: Vec<(String, &Key, &PerColumn)> = matched
        .iter()
        .map(|(k, docs)| (k.label(label_count[&k.label(false)] > 1), k, docs))
        .collect();
    entries.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));

    let mut rows = Vec::new();
    let mut resources = Vec::new();
    for (index, (label, key, docs)) in entries.into_iter().enumerate() {
        let flat: Vec<Option<BTreeMap<String, Value>>> =
            docs.iter().map(|d| d.map(flatten::flatten)).collect();
        let paths: BTreeSet<&String> = flat.iter().flatten().flat_map(|f| f.keys()).collect();
        let before = rows.len();
        for path in paths {
            let values: Vec<Option<&Value>> = flat
                .iter()
                .map(|f| f.as_ref().and_then(|f| f.get(path)))
                .collect();
            if values.iter().all(|v| *v == values[0]) {
                continue;
            }
            let hidden = !opts.show_secrets && is_sensitive(key, path);
            let present: Vec<&Value> = values.iter().flatten().copied().collect();
            let mask = if present.iter().all(|v| *v == present[0]) {
                SECRET
            } else {
                SECRET_DIFFERS
            };
            rows.push(Row {
                resource: label.clone(),
                resource_index: index,
                path: path.clone(),
                values: values
                    .iter()
                    .map(|v| {
                        v.map(|v| {
                            if hidden {
                                mask.to_string()
                            } else {
                                flatten::display(v)
                            }
                        })
                    })
                    .collect(),
            });
        }
        resources.push(ResourceView {
            label,
            yaml: docs
                .iter()
                .map(|d| d.map(|d| crate::yaml::map_to_yaml(&masked(key, d, opts))))
                .collect(),
            differing_fields: rows.len() - before,
        });
    }
    Comparison {
        app: app.to_string(),
        clusters: columns.into_iter().map(|c| (c.cluster, c.env)).collect(),
        selection: opts.selection.clone(),
        rows,
        resources,
    }
}

/// Whether a field's value is never shown without `--show-secrets`: a Secret's
/// `data` and `stringData`, and the last-applied annotation (it copies them).
fn is_sensitive(key: &Key, path: &str) -> bool {
    let under = |top: &str| {
        path == top
            || path
                .strip_prefix(top)
                .is_some_and(|r| r.starts_with('.') || r.starts_with('['))
    };
    (key.is_secret() && (under("data") || under("stringData")))
        || path == format!("metadata.annotations[\"{LAST_APPLIED}\"]")
}

/// The document with its sensitive values replaced, for the rendered view.
fn masked<'a>(
    key: &Key,
    doc: &'a Map<String, Value>,
    opts: &Options,
) -> std::borrow::Cow<'a, Map<String, Value>> {
    let secret_fields = key.is_secret()
        && ["data", "stringData"]
            .iter()
            .any(|f| doc.get(*f).is_some_and(|v| !v.is_null()));
    let annotated = doc
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(LAST_APPLIED))
        .is_some();
    if opts.show_secrets || !(secret_fields || annotated) {
        return std::borrow::Cow::Borrowed(doc);
    }
    let mut doc = doc.clone();
    if key.is_secret() {
        for field in ["data", "stringData"] {
            match doc.get_mut(field) {
                Some(Value::Object(m)) => {
                    for v in m.values_mut() {
                        *v = Value::String(SECRET.into());
                    }
                }
                Some(Value::Null) | None => {}
                Some(v) => *v = Value::String(SECRET.into()),
            }
        }
    }
    if let Some(Value::Object(a)) = doc
        .get_mut("metadata")
        .and_then(|m| m.get_mut("annotations"))
    {
        if let Some(v) = a.get_mut(LAST_APPLIED) {
            *v = Value::String(SECRET.into());
        }
    }
    std::borrow::Cow::Owned(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn col(cluster: &str, docs: Vec<Value>) -> Column {
        Column {
            cluster: cluster.into(),
            env: String::new(),
            docs: docs
                .into_iter()
                .map(|d| d.as_object().unwrap().clone())
                .collect(),
        }
    }

    fn cm(name: &str, level: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": name, "namespace": "web"}, "data": {"LEVEL": level, "TTL": "60"}})
    }

    #[test]
    fn keeps_only_fields_that_differ_and_pairs_hash_suffixes() {
        let c = compare(
            "web",
            vec![
                col("a", vec![cm("cfg-bk8dk6k2k4", "debug")]),
                col("b", vec![cm("cfg-459bd6dt8g", "info")]),
                col("c", vec![cm("cfg-459bd6dt8g", "info")]),
            ],
            &Options::default(),
        );
        let rows: Vec<(&str, &str)> = c
            .rows
            .iter()
            .map(|r| (r.resource.as_str(), r.path.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("ConfigMap web/cfg-*", "data.LEVEL"),
                ("ConfigMap web/cfg-*", "metadata.name")
            ]
        );
        assert_eq!(c.resources.len(), 1);
        assert_eq!(c.resources[0].differing_fields, 2);
    }

    #[test]
    fn a_missing_resource_or_field_counts_as_different() {
        let d = |extra: Value| {
            let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"}, "spec": {"replicas": 1}});
            d["spec"]
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            d
        };
        let c = compare(
            "w",
            vec![
                col("a", vec![d(json!({"paused": true}))]),
                col("b", vec![d(json!({}))]),
                col("c", vec![cm("x", "y")]),
            ],
            &Options::default(),
        );
        let paused = c.rows.iter().find(|r| r.path == "spec.paused").unwrap();
        assert_eq!(paused.values, vec![Some("true".to_string()), None, None]);
        let replicas = c.rows.iter().find(|r| r.path == "spec.replicas").unwrap();
        assert_eq!(
            replicas.values,
            vec![Some("1".into()), Some("1".into()), None]
        );
        assert!(c.rows.iter().any(|r| r.resource == "ConfigMap web/x"));
    }

    #[test]
    fn secret_values_are_masked_unless_asked() {
        let s = |v: &str, w: &str| {
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s",
                "annotations": {LAST_APPLIED: format!("{{\"data\":\"{v}\"}}")}},
                "data": {"password": v, "user": w}, "stringData": {"token": v}})
        };
        let cols = || {
            vec![
                col("a", vec![s("aGVsbG8=", "YWRtaW4=")]),
                col("b", vec![s("d29ybGQ=", "YWRtaW4=")]),
                col(
                    "c",
                    vec![
                        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"user": "YWRtaW4="}}),
                    ],
                ),
            ]
        };
        let c = compare("x", cols(), &Options::default());
        let all = format!("{c:?}");
        for plain in ["aGVsbG8=", "d29ybGQ=", "YWRtaW4="] {
            assert!(!all.contains(plain), "{plain} leaked: {all}");
        }
        let pw = c.rows.iter().find(|r| r.path == "data.password").unwrap();
        assert_eq!(pw.values[0].as_deref(), Some(SECRET_DIFFERS));
        assert_eq!(pw.values[2], None);
        let user = c.rows.iter().find(|r| r.path == "data.user");
        assert!(user.is_none(), "equal everywhere: hidden");
        let shown = compare(
            "x",
            cols(),
            &Options {
                show_secrets: true,
                ..Default::default()
            },
        );
        let pw = shown
            .rows
            .iter()
            .find(|r| r.path == "data.password")
            .unwrap();
        assert_eq!(pw.values[0].as_deref(), Some("aGVsbG8="));
        assert!(shown.resources[0].yaml[0]
            .as_ref()
            .unwrap()
            .contains("aGVsbG8="));
    }
}
