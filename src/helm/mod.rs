//! Helm charts in process: Go templates with sprig's and Helm's functions.

pub mod gotmpl;
