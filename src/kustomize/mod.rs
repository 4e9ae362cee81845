//! The kustomize engine: a file-system view and a kustomization folder in, resources
//! out, as kustomize v5 builds them. Pure: it never prints, writes, or touches the network.

pub mod build;
pub mod config;
pub mod ctx;
pub mod fieldspec;
pub mod fs;
pub mod generate;
pub mod kinds;
pub mod kustomization;
pub mod loader;
pub mod metadata;
pub mod openapi;
pub mod patch;
pub mod plugins;
pub mod provenance;
pub mod resmap;
pub mod resource;
pub mod schema;
pub mod sort;
pub mod transform;

pub use build::{build, BuildOutput};
pub use fs::{DiskFs, FileSystem, MemFs};
pub use resmap::ResMap;
pub use resource::{Gvk, Origin, ResId, Resource};
