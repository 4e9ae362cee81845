//! The comparison as JSON, in a stable, documented shape:
//!
//! ```json
//! {"app": "web",
//!  "clusters": ["dev-1", "staging-1", "prod-1"],
//!  "rows": [{"path": "spec.replicas", "resource": "Deployment web/web",
//!            "values": {"dev-1": "1", "prod-1": "4", "staging-1": "2"}}]}
//! ```
//!
//! `values` maps every cluster to the field's value as strata shows it (always a
//! string: `4`, `true`, `"1"` for a string that would read as a number), or to
//! `null` where that cluster has no such field. Rows are sorted by resource, then
//! path; object keys are sorted (so `values` is in cluster-name order, while
//! `clusters` keeps the column order).

use super::Comparison;
use serde_json::{json, Map, Value};

/// The JSON document, pretty-printed, ending in a newline.
pub fn json(c: &Comparison) -> String {
    let rows: Vec<Value> = c
        .rows
        .iter()
        .map(|r| {
            let values: Map<String, Value> = c
                .clusters
                .iter()
                .zip(&r.values)
                .map(|((cluster, _), v)| {
                    (
                        cluster.clone(),
                        v.as_ref().map_or(Value::Null, |v| Value::String(v.clone())),
                    )
                })
                .collect();
            json!({"resource": r.resource, "path": r.path, "values": values})
        })
        .collect();
    let clusters: Vec<&str> = c.clusters.iter().map(|(n, _)| n.as_str()).collect();
    let doc = json!({"app": c.app, "clusters": clusters, "rows": rows});
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}
