//! `--format json`: the report as is. The shape (version 1) is documented in the
//! README (`strata diff` → JSON output) and only grows by new optional fields.

use crate::diff::report::DiffReport;

/// Pretty-printed JSON, ending in a newline.
pub fn render(r: &DiffReport) -> String {
    let mut s = serde_json::to_string_pretty(r).unwrap_or_default();
    s.push('\n');
    s
}
