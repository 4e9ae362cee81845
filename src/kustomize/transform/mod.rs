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
