//! The pure engine: a file-system view in, resources out. It never prints,
//! never writes, never touches the network.

pub mod build;
pub mod controllers;
pub mod fieldspec;
pub mod fleet;
pub mod fs;
pub mod generate;
pub mod kinds;
pub mod kustomization;
pub mod layout;
pub mod patch;
pub mod provenance;
pub mod render;
pub mod resmap;
pub mod resource;
pub mod schema;
pub mod sort;
pub mod template;
pub mod transform;
pub mod values;

pub use build::{build, BuildOutput};
pub use fs::{DiskFs, FileSystem, MemFs};
pub use resmap::ResMap;
pub use resource::{Gvk, Origin, ResId, Resource};
