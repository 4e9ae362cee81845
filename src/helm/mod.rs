//! Helm charts in process: Go templates with sprig's and Helm's functions, chart
//! loading, values coalescing, and the stream `helm template` prints.

pub mod chart;
pub mod crypto;
pub mod dates;
pub mod funcs;
pub mod gotmpl;
pub mod inflate;
pub mod layout;
pub mod nondeterministic;
pub mod render;
pub mod schema;
pub mod semver;
pub mod sprig;
pub mod toml;
pub mod url;
pub mod values;
