//! strata renders multi-cluster GitOps repositories: kustomize-compatible builds,
//! hydrated trees per cluster and app, diffs and validation.
//!
//! The engine (`engine`) is pure: it reads through a [`engine::FileSystem`] and
//! returns resources as data. Commands (`commands`) do the I/O.

pub mod cli;
pub mod commands;
pub mod compare;
pub mod diff;
pub mod engine;
pub mod error;
pub mod validate;
pub mod yaml;

pub use error::{Error, ErrorKind, Result};
