//! The only module that knows the YAML crate: parsing with limits and line numbers,
//! and an emitter that prints exactly what kustomize prints.
//!
//! kustomize v5.5 reads YAML with go-yaml v3 and prints each object by decoding it with
//! go-yaml v3 into Go maps, `json.Marshal`ling that, and re-reading the JSON with go-yaml
//! v2 to `Marshal` it (`sigs.k8s.io/yaml` v1.4.0 `JSONToYAML`). The parser gives the
//! values that pipeline holds; the emitter is libyaml's emitter as go-yaml v2 drives it.
//!
//! Confirmed by experiment with `kubectl kustomize` (kustomize v5.5.0):
//! - Reading: `null`/`~`/`Null`/`NULL`/empty are null; only `true`/`false` (three spellings)
//!   are booleans (`yes`, `on`, `y` stay strings); `0x1F` 31, `0o17` 15, `0444` 292 (legacy
//!   octal), `09` 9 (a float), `1_000` 1000; `12345678901234567890` stays an integer, larger
//!   ones become floats; `1e3` prints `1000`, `1.0` prints `1`, `1e-7` prints `1e-07`,
//!   `1e21` prints `1e+21`. Timestamps (`2001-12-14`, `2001-12-14T21:59:43.10Z`,
//!   `2001-12-14 21:59:43.10`) become RFC 3339 strings (`"2001-12-14T00:00:00Z"`). `!!str`,
//!   `!!int "3"`, `!!float`, `!!binary` and custom tags (`!foo bar` gives `bar`) act as
//!   go-yaml v3 has them. `.inf`/`.nan` make kustomize fail (`json: unsupported value`), and
//!   non-string keys (`1: a`, `true: x`) too (`json: unsupported type`): both are errors
//!   here. Duplicate keys: `mapping key "x" already defined at line 6`.
//! - Writing: keys sorted by go-yaml v2's natural order; sequences in a mapping are not
//!   indented; strings that would read back as another type are double-quoted (`"yes"`,
//!   `"1:20"`, `"0o17"`, `""`); strings libyaml cannot write plain are single-quoted; tabs,
//!   control characters and characters outside the BMP (emoji) force double quotes with
//!   escapes; multi-line strings are literal blocks (`|`, `|-`, `|+`, `|2-`); long plain and
//!   quoted strings fold at the first space past column 80.

mod emit;
mod parse;
mod scalar;

use serde_json::Value;

/// One document of a YAML stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Doc {
    /// The document, resolved as kustomize (go-yaml v3) resolves scalars.
    pub value: Value,
    /// 1-based line where the document's content starts.
    pub line: u32,
}

/// A YAML syntax error or a limit exceeded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct YamlError {
    /// 1-based; 0 when unknown.
    pub line: u32,
    /// What is wrong, in plain words, without the line.
    pub message: String,
}

/// Parses every document of a stream. Empty documents come back as `Value::Null`.
///
/// Aliases are expanded (at most [`MAX_ALIAS_NODES`] nodes in all) and nesting is limited
/// to [`MAX_DEPTH`] levels.
pub fn parse_stream(src: &str) -> Result<Vec<Doc>, YamlError> {
    parse::parse_stream(src)
}

/// Deepest nesting of mappings and sequences that [`parse_stream`] accepts.
pub const MAX_DEPTH: usize = parse::MAX_DEPTH;
/// Most nodes that alias expansion may add to one stream.
pub const MAX_ALIAS_NODES: u64 = parse::MAX_ALIAS_NODES;

/// One document as kustomize prints it, ending in a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::with_capacity(1024);
    emit::document(value, &mut out);
    out
}

/// Documents joined as kustomize joins them (`---` between documents).
pub fn to_yaml_stream<'a>(
    docs: impl IntoIterator<Item = &'a serde_json::Map<String, Value>>,
) -> String {
    let mut out = String::with_capacity(8192);
    for (i, d) in docs.into_iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        emit::mapping_document(d, &mut out);
    }
    out
}

/// The 1-based line of the top-level mapping key `key` in the first non-empty document
/// of `src`, for error messages.
pub fn line_of_key(src: &str, key: &str) -> Option<u32> {
    parse::line_of_key(src, key)
}

#[cfg(test)]
mod tests;
