//! Transformers: one file per concern, applied in kustomize's fixed order by `build`.

pub mod annotations;
pub mod hash;
pub mod images;
pub mod labels;
pub mod namereference;
pub(crate) mod namereference_table;
pub mod namespace;
pub mod prefix_suffix;
pub mod replacements;
pub mod replicas;
pub(crate) mod tables;
pub mod value_add;
pub mod vars;

use serde_json::Value;

/// A scalar's text as YAML holds it (as kyaml reads it); empty for null and collections.
pub(crate) fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}
