//! The only module that knows the YAML crate: parsing with limits and line numbers,
//! and an emitter that prints exactly what kustomize prints.
//!
//! kustomize v5.5 reads YAML with go-yaml v3 and prints each object by decoding it with
//! go-yaml v3 into Go maps, `json.Marshal`ling that, and re-reading the JSON with go-yaml
//! v2 to `Marshal` it (`sigs.k8s.io/yaml` v1.4.0 `JSONToYAML`). The parser gives the
//! values that pipeline holds; the emitter is libyaml's emitter as go-yaml v2 drives it.
//!
//! Confirmed by experiment with `kubectl kustomize` (kustomize v5.5.0); the fixtures in
//! `testdata/` are real kustomize output:
//! - Reading: `null`/`~`/`Null`/`NULL`/empty are null; only `true`/`false` (three spellings)
//!   are booleans (`yes`, `on`, `y` stay strings); `0x1F` 31, `0o17` 15, `0444` 292 (legacy
//!   octal), `09` 9 (a float), `1_000` 1000, `0b101` 5; `12345678901234567890` stays an
//!   integer, larger ones become floats; `1e3` prints `1000`, `1.0` prints `1`, `1e-7` prints
//!   `1e-07`, `1e21` prints `1e+21`, `-9223372036854775809` prints `-9.223372036854776e+18`.
//!   Timestamps do NOT stay strings: `2001-12-14` becomes `"2001-12-14T00:00:00Z"` (Go's
//!   `time.Time` in JSON); `2001-12-14T21:59:43` (no zone) and invalid dates stay strings.
//!   `!!str`, `!!int "3"`, `!!float`, `!!binary` and custom tags (`!foo bar` gives `bar`)
//!   act as in go-yaml v3. Merge keys `<<` (map or list of maps; own keys win, then earlier
//!   sources). `.inf`/`.nan` make kustomize fail (`json: unsupported value`), and so do
//!   non-string keys (`1: a`, `true: x`: `json: unsupported type`) and strings holding
//!   U+007F-U+009F (but U+0085) or U+FFFE/U+FFFF: all errors here. Duplicate keys:
//!   `mapping key "x" already defined at line 6`.
//! - kustomize writes objects back with go-yaml v3 and re-reads them before printing. That
//!   round trip changes folded (`>`) scalars (v3's folded writer checks the wrong line for
//!   keeping a line break, so breaks next to more-indented lines double) and turns empty
//!   scalars in flow collections (`{a, b: }`) and empty keys into `""`; replicated.
//! - The JSON step: U+0085 (NEL) is left raw by `json.Marshal` and folded like a line break
//!   when go-yaml v2 re-reads it (`"a\x85b"` prints `a b`); replicated in the emitter.
//! - Writing: keys in go-yaml v2's natural order (digit runs by value, non-letters before
//!   letters: `"" -x _x ~ 1 2 10 A Z a a-b a0 a00 a1 a01 a9 a10 aB ab`); sequences in a
//!   mapping are not indented; `{}` and `[]` for empty collections; strings that would read
//!   back as another type under YAML 1.1 are double-quoted (`"yes"`, `"y"`, `"1:20"`,
//!   `"0o17"`, `"1e3"`, `"2001-12-14"`, `""`) while `=`, `<<`, `1e400`, `0x` stay plain;
//!   strings libyaml cannot write plain (`'- a'`, `'a: b'`, `'#a'`, `' a'`) are
//!   single-quoted; tabs, control characters and characters outside the BMP (emoji) force
//!   double quotes with escapes (`"emoji\U0001F600"`); multi-line strings are literal blocks
//!   (`|`, `|-`, `|+`, `|2-`) unless they have trailing spaces on a line (then
//!   double-quoted); plain and quoted strings fold at the first single space past column 80,
//!   continuation indented two more than the key; keys over 128 bytes or multi-line use the
//!   `? key` form.
//! - U+2028 and U+2029 are line breaks to go-yaml's scanner and not to yaml-rust2's: a
//!   scalar holding one raw may read differently (the emitter writes them as libyaml does,
//!   `|2+` blocks with the character at column 0 included, which yaml-rust2 cannot read
//!   back); found by the `yaml` fuzz target, left as a known divergence.
//! - go-yaml v2's key order is not transitive for some keys mixing leading-zero digit runs
//!   and letters (`0b35`, `02143`, `138`, `3?116`); Go sorts map keys taken in random order,
//!   so kustomize's own output varies from run to run for such mappings (seen: 3 different
//!   outputs in 6 runs). Ours is deterministic, one of those orders at best.

mod block;
mod emit;
mod flow_indent;
mod parse;
mod scalar;
mod skim;

pub use skim::skim;

use serde_json::Value;

/// One document of a YAML stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Doc {
    /// The document, resolved as kustomize (go-yaml v3) resolves scalars.
    pub value: Value,
    /// 1-based line where the document's content starts.
    pub line: u32,
    /// `(key, source text)` of each `metadata.annotations` value that resolved to
    /// something other than its text (`1.50`, `true`, `2001-12-14`, an empty value):
    /// kustomize keeps
    /// annotations as the text written (see `kustomize::loader`).
    pub annotation_text: Vec<(String, String)>,
    /// Where a value was written with no text at all (`key:`, `!!null ""`, `{a: }`):
    /// go-yaml v3 keeps such a null's empty text, and kyaml's strategic merge drops those
    /// fields where `null` stays (see `kustomize::patch::strategic`). Values copied by an
    /// alias or a merge key are listed where they land.
    pub blank_values: Vec<Vec<Step>>,
}

/// One step of a path from a document's root.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A YAML syntax error or a limit exceeded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based; 0 when unknown.
    pub line: u32,
    /// What is wrong, in plain words, without the line.
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for YamlError {}

/// Parses every document of a stream. Empty documents come back as `Value::Null`.
///
/// Aliases are expanded (at most [`MAX_ALIAS_NODES`] nodes in all) and nesting is limited
/// to [`MAX_DEPTH`] levels.
pub fn parse_stream(src: &str) -> Result<Vec<Doc>, YamlError> {
    parse::parse_stream(src, false)
}

/// [`parse_stream`] for Kubernetes objects as kustomize reads them (kyaml's `ByteReader`
/// with `AnchorsAweigh`): kyaml's `DeAnchor` clears the first key written `<<` of every
/// mapping, so a `<<` that is not a merge key (`"<<"`, `'<<'`, `!!str <<`) and is the
/// first `<<` of its mapping is dropped with its value.
pub fn parse_objects(src: &str) -> Result<Vec<Doc>, YamlError> {
    parse::parse_kyaml(src)
}

/// [`parse_stream`], where a repeated mapping key replaces the earlier value instead of
/// being an error.
pub fn parse_stream_last_key_wins(src: &str) -> Result<Vec<Doc>, YamlError> {
    parse::parse_stream(src, true)
}

/// YAML as `sigs.k8s.io/yaml` reads it (go-yaml v2, YAML 1.1, through `YAMLToJSON`):
/// `yes`/`no`/`on`/`off`/`y`/`n` are booleans, timestamps stay text, a repeated key
/// replaces the earlier one, and a boolean or number key becomes its text (`yes:` is the
/// key "true"). kustomize reads its kustomization files and JSON patches written in YAML
/// so; Helm its values files, `Chart.yaml` and `fromYaml` ([`parse_stream_helm`]).
pub fn parse_yaml_to_json(src: &str) -> Result<Vec<Doc>, YamlError> {
    match parse::parse_stream_with(src, true, scalar::Rules::V2) {
        // go-yaml reads flow collections whatever their lines' indentation.
        Err(e) if e.message.contains("indentation") => match flow_indent::indent_flow_lines(src) {
            Some(fixed) => parse::parse_stream_with(&fixed, true, scalar::Rules::V2).map_err(|_| e),
            None => Err(e),
        },
        r => r,
    }
}

/// A values file's mapping as Helm reads it (`Some(None)`: it holds nothing), read
/// quickly when it is in the block subset values files are written in; `None` when it
/// is not certainly in it (then [`parse_stream_helm`] reads it, and reports its errors).
pub fn read_helm_values(src: &str) -> Option<Option<serde_json::Map<String, Value>>> {
    block::read_values(src)
}

/// A stream as Helm reads values files, `Chart.yaml` and `fromYaml`: [`parse_yaml_to_json`].
pub fn parse_stream_helm(src: &str) -> Result<Vec<Doc>, YamlError> {
    parse_yaml_to_json(src)
}

/// Deepest nesting of mappings and sequences that [`parse_stream`] accepts.
pub const MAX_DEPTH: usize = parse::MAX_DEPTH;
/// Most nodes that alias expansion may add to one stream.
pub const MAX_ALIAS_NODES: u64 = parse::MAX_ALIAS_NODES;

/// Parsed streams by content ([`crate::memo::ByContent`]), so a file that many
/// kustomizations read (a fleet's bases) is parsed once per command.
#[derive(Default)]
pub struct ParseCache {
    parsed: crate::memo::ByContent<std::sync::Arc<Vec<Doc>>>,
}

impl ParseCache {
    /// `parse_objects(src)`, from the cache when the same text was parsed before.
    /// Errors are not cached.
    pub fn parse(&self, src: &str) -> Result<std::sync::Arc<Vec<Doc>>, YamlError> {
        self.parsed.get_or_try(src.as_bytes(), || {
            parse_objects(src).map(std::sync::Arc::new)
        })
    }
}

/// The value kustomize ends up with for a scalar node it made itself from `text` with no
/// tag and no quotes (kyaml's `NewScalarRNode`): its output reads the text back as go-yaml
/// v3 does, so `5` is a number, `true` a boolean and `~` null. `Err` names what kustomize
/// cannot write (`.inf`, control characters).
pub fn plain_scalar(text: &str) -> Result<Value, YamlError> {
    parse::resolve_plain_text(text)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)` for a finite float (YAML's spelling for
/// NaN and the infinities).
pub fn go_format_g(f: f64) -> String {
    scalar::go_format_g(f)
}

/// A YAML scalar read into a Go `string` field by sigs.k8s.io/yaml: numbers and bools
/// become their text (a float as `strconv.FormatFloat(f, 'g', -1, 32)`: `1.10` is "1.1").
pub fn go_string_field(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) if n.is_f64() => n.as_f64().map(|f| scalar::go_format_g32(f as f32)),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One document as kustomize prints it, ending in a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::with_capacity(1024);
    emit::document(value, &mut out);
    out
}

/// One object (a mapping) as kustomize prints it, ending in a newline.
pub fn map_to_yaml(map: &serde_json::Map<String, Value>) -> String {
    let mut out = String::with_capacity(1024);
    emit::mapping_document(map, &mut out);
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

/// Where each node of each document of `src` starts: per document, a map from a JSON
/// pointer (`/spec/template/spec/containers/0/image`; `""` is the document itself) to
/// the 1-based line of its mapping key, or of its first token for a sequence item or
/// the root. One map per document, in the order [`parse_stream`] returns them. For
/// `validate`, which asks only for files that have findings.
pub fn key_lines(src: &str) -> Result<Vec<std::collections::BTreeMap<String, u32>>, YamlError> {
    use yaml_rust2::parser::{Event, Parser};
    enum Frame {
        Map { expect_key: bool },
        Seq { next: usize },
    }
    fn escape(s: &str) -> String {
        s.replace('~', "~0").replace('/', "~1")
    }
    let src = src.strip_prefix('\u{FEFF}').unwrap_or(src);
    let mut parser = Parser::new_from_str(src);
    let mut docs = Vec::new();
    let mut lines = std::collections::BTreeMap::new();
    let mut frames: Vec<Frame> = Vec::new();
    // The pointer of the current node, and the length of each segment pushed.
    let mut path = String::new();
    let mut marks: Vec<usize> = Vec::new();
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| YamlError {
            line: u32::try_from(e.marker().line()).unwrap_or(0),
            message: e.info().to_string(),
        })?;
        let line = u32::try_from(mark.line()).unwrap_or(u32::MAX);
        let node_start = matches!(
            ev,
            Event::Scalar(..)
                | Event::Alias(_)
                | Event::MappingStart(..)
                | Event::SequenceStart(..)
        );
        if node_start {
            // A key of a mapping: the next node is its value.
            if let (Some(Frame::Map { expect_key }), Event::Scalar(text, ..)) =
                (frames.last_mut(), &ev)
            {
                if *expect_key {
                    *expect_key = false;
                    marks.push(path.len());
                    path.push('/');
                    path.push_str(&escape(text));
                    lines.entry(path.clone()).or_insert(line);
                    continue;
                }
            }
            match frames.last_mut() {
                Some(Frame::Seq { next }) => {
                    marks.push(path.len());
                    path.push_str(&format!("/{next}"));
                    *next += 1;
                    lines.entry(path.clone()).or_insert(line);
                }
                None => {
                    lines.entry(String::new()).or_insert(line);
                }
                Some(Frame::Map { .. }) => {}
            }
        }
        let value_done = match ev {
            Event::StreamEnd => break,
            Event::DocumentEnd => {
                docs.push(std::mem::take(&mut lines));
                frames.clear();
                path.clear();
                marks.clear();
                false
            }
            Event::MappingStart(..) => {
                frames.push(Frame::Map { expect_key: true });
                false
            }
            Event::SequenceStart(..) => {
                frames.push(Frame::Seq { next: 0 });
                false
            }
            Event::MappingEnd | Event::SequenceEnd => {
                frames.pop();
                true
            }
            Event::Scalar(..) | Event::Alias(_) => true,
            _ => false,
        };
        if value_done {
            // The value of a key or an item is complete: back to the parent's pointer.
            match frames.last_mut() {
                Some(Frame::Map { expect_key }) => {
                    *expect_key = true;
                    if let Some(m) = marks.pop() {
                        path.truncate(m);
                    }
                }
                Some(Frame::Seq { .. }) => {
                    if let Some(m) = marks.pop() {
                        path.truncate(m);
                    }
                }
                None => {}
            }
        }
    }
    Ok(docs)
}

#[cfg(test)]
mod tests;
