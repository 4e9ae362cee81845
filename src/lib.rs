//! strata renders multi-cluster GitOps repositories: kustomize-compatible builds,
//! hydrated trees per cluster and app, diffs and validation.
//!
//! The engines are pure: `kustomize` (a kustomization in, resources out) and `fleet`
//! (clusters, apps and layers in, the hydrated tree out, built on `kustomize`) read
//! through a [`kustomize::FileSystem`] and return data. Commands (`commands`) do the I/O.

pub mod allocator;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod diff;
pub mod error;
pub mod fleet;
pub mod helm;
pub mod kustomize;
pub mod memo;
pub mod redact;
#[cfg(test)]
mod test_rng;
pub mod threads;
pub mod validate;
pub mod yaml;

pub use error::{Error, ErrorKind, Result};
