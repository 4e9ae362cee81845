//! Go's `text/template`, as Helm runs it: parse, execute, Go's printing of values.

pub mod exec;
pub mod funcs;
pub mod parse;
pub mod trace;
pub mod value;

pub use exec::{ExecError, TemplateSet};

// How deep templates may nest. Go grows its stacks and has limits only for parentheses
// and `template` calls; strata recurses on a fixed stack (`crate::threads::STACK`), each
// level a frame of a few hundred bytes to 2.6 KiB (measured: 100,000 nested `if`s fit
// 256 MiB, 200,000 do not), and refuses past these instead of overflowing it.

/// Blocks (`if`, `with`, `range`, `define`, `block`, and each `else if`) inside each other
/// in one template.
pub const MAX_NESTING: usize = 10_000;
/// Parentheses inside each other in one pipeline: Go's `maxStackDepth`.
pub const MAX_PARENS: usize = 10_000;
/// Everything a render has open at once: blocks, parentheses and calls of named
/// templates (`template`, `include`, `tpl`), which each may nest blocks again.
pub const MAX_EXEC_NESTING: usize = 50_000;
/// Maps and lists inside each other that functions print, copy or encode: deeper
/// than any values file can be (strata's YAML reader stops at 250), reachable only by
/// building them in a loop or by a map set into itself.
pub const MAX_VALUE_DEPTH: usize = 10_000;
pub use value::Value;
