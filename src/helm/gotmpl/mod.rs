//! Go's `text/template`, as Helm runs it: parse, execute, Go's printing of values.

pub mod exec;
pub mod funcs;
pub mod parse;
pub mod trace;
pub mod value;

pub use exec::{ExecError, TemplateSet};
pub use value::Value;
