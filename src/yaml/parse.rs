//! The input side: yaml-rust2's event parser, with go-yaml v3's scalar resolution, merge
//! keys and duplicate-key errors, and limits on nesting and alias expansion.

use super::scalar::{parse_timestamp, resolve_number, resolve_plain, Resolved, Rules};
use super::{Doc, Step, YamlError};
use base64::Engine as _;
use serde_json::{Map, Number, Value};
use std::collections::HashMap;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

/// Deepest nesting of mappings and sequences accepted (yaml-rust2 itself stops flow
/// collections at 255 levels; ours comes first, with a clearer message).
pub(crate) const MAX_DEPTH: usize = 250;
/// Most nodes that alias expansion may add to one stream ("billion laughs" guard).
pub(crate) const MAX_ALIAS_NODES: u64 = 250_000;

/// A finished node on its way into its parent.
struct Node {
    value: Value,
    /// Paths (relative to this node) of the values in it written with no text.
    blanks: Vec<Vec<Step>>,
    /// Nodes in this subtree (for the alias budget).
    count: u64,
    /// Nesting depth of this subtree (a scalar is 0).
    depth: usize,
}

struct Anchored {
    value: Value,
    blanks: Vec<Vec<Step>>,
    count: u64,
    depth: usize,
}

enum Key {
    Str(String),
    Merge,
    /// A key kyaml's `DeAnchor` clears: the value is read and dropped.
    Dropped,
}

enum Coll {
    Seq(Vec<Value>),
    Map {
        map: Map<String, Value>,
        /// The key waiting for its value, with its line.
        key: Option<(Key, u32)>,
        /// (hash of key, line) of each key, to name the first line in a duplicate error
        /// without keeping a copy of every key.
        lines: Vec<(u64, u32)>,
        /// Each merge key's value, with its blank paths, and its line.
        merges: Vec<(Node, u32)>,
        merge_line: Option<u32>,
        /// A key written `<<` (merge or not) came already.
        saw_merge_text: bool,
    },
}

struct Frame {
    coll: Coll,
    /// Blank paths found so far in this collection, relative to it.
    blanks: Vec<Vec<Step>>,
    /// A flow collection (`{}` / `[]`).
    flow: bool,
    anchor: usize,
    count: u64,
    depth: usize,
}

struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    alias_nodes: u64,
    root: Option<Value>,
    /// A repeated mapping key replaces the earlier value (go-yaml v2) instead of failing.
    last_key_wins: bool,
    /// V3: kustomize's reading. V2: Helm's (sigs.k8s.io/yaml over go-yaml v2: YAML 1.1
    /// booleans, timestamps kept as text, scalar keys turned into strings).
    rules: Rules,
    /// kyaml's `DeAnchor` on top of go-yaml v3: the first key written `<<` of every
    /// mapping is cleared (see `yaml::parse_objects`).
    kyaml: bool,
    /// The source text of this document's `metadata.annotations` values that resolved to
    /// something else (a number, a boolean, null, a timestamp).
    annotation_text: Vec<(String, String)>,
    /// Blank paths of the document finished last (see [`Doc::blank_values`]).
    blank_values: Vec<Vec<Step>>,
    /// Where the latest block scalar sits (document, path), while nothing came after it.
    last_block: Option<(usize, Vec<Step>)>,
}

fn err(line: u32, message: impl Into<String>) -> YamlError {
    YamlError {
        line,
        message: message.into(),
    }
}

fn line_of(mark: &Marker) -> u32 {
    u32::try_from(mark.line()).unwrap_or(u32::MAX)
}

fn scan_error(src: &str, e: &ScanError) -> YamlError {
    let info = e.info();
    if info.contains("unknown anchor") {
        // Name the anchor, as go-yaml does: the marker is at the alias (a char index).
        let name: String = src
            .chars()
            .skip(e.marker().index())
            .skip_while(|c| *c != '*')
            .skip(1)
            .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | '[' | ']' | '{' | '}'))
            .collect();
        if !name.is_empty() {
            return err(
                line_of(e.marker()),
                format!("unknown anchor '{name}' referenced"),
            );
        }
    }
    if info.starts_with("unexpected character") {
        // The scanner quotes the character: the first one of a value, maybe a secret's.
        return err(
            line_of(e.marker()),
            "a plain value cannot start with `@` or a backquote; quote the value",
        );
    }
    err(line_of(e.marker()), info.to_string())
}

/// go-yaml v2 (which re-reads kustomize's JSON output) refuses these characters, so
/// kustomize fails on any string holding one; fail early with a clear message.
fn check_string(s: &str, line: u32) -> Result<(), YamlError> {
    if !s.bytes().any(|b| b >= 0x7F) {
        return Ok(());
    }
    match s
        .chars()
        .find(|c| matches!(*c as u32, 0x7F..=0x84 | 0x86..=0x9F | 0xFFFE | 0xFFFF))
    {
        Some(c) => Err(err(
            line,
            format!(
                "string contains the control character U+{:04X}, which kustomize cannot write; remove it",
                c as u32
            ),
        )),
        None => Ok(()),
    }
}

/// Parses every document of a stream; a repeated mapping key is an error unless
/// `last_key_wins`.
pub(crate) fn parse_stream(src: &str, last_key_wins: bool) -> Result<Vec<Doc>, YamlError> {
    parse_stream_with(src, last_key_wins, Rules::V3)
}

/// [`parse_stream`] with go-yaml `rules`; V2 is Helm's reading (a repeated key wins).
pub(crate) fn parse_stream_with(
    src: &str,
    last_key_wins: bool,
    rules: Rules,
) -> Result<Vec<Doc>, YamlError> {
    parse_impl(src, last_key_wins, rules, false)
}

/// [`parse_stream`] as kyaml reads Kubernetes objects (see `yaml::parse_objects`).
pub(crate) fn parse_kyaml(src: &str) -> Result<Vec<Doc>, YamlError> {
    parse_impl(src, false, Rules::V3, true)
}

fn parse_impl(
    src: &str,
    last_key_wins: bool,
    rules: Rules,
    kyaml: bool,
) -> Result<Vec<Doc>, YamlError> {
    // A byte-order mark is not content (yaml-rust2 would make it part of the first key).
    let src = src.strip_prefix('\u{FEFF}').unwrap_or(src);
    let mut parser = Parser::new_from_str(src);
    let mut docs = Vec::new();
    let mut b = Builder {
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        root: None,
        last_key_wins,
        rules,
        kyaml,
        annotation_text: Vec::new(),
        blank_values: Vec::new(),
        last_block: None,
    };
    let mut cursor = Cursor {
        src,
        ascii: src.is_ascii(),
        chars: 0,
        bytes: 0,
    };
    let mut doc_line: Option<u32> = None;
    let mut start_line = 1;
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| scan_error(src, &e))?;
        let line = line_of(&mark);
        match ev {
            Event::StreamStart | Event::Nothing => {}
            Event::StreamEnd => break,
            Event::DocumentStart => {
                start_line = line;
                doc_line = None;
                b.root = None;
            }
            Event::DocumentEnd => {
                docs.push(Doc {
                    value: b.root.take().unwrap_or(Value::Null),
                    line: doc_line.unwrap_or(start_line),
                    annotation_text: std::mem::take(&mut b.annotation_text),
                    blank_values: std::mem::take(&mut b.blank_values),
                });
                // Anchors do not carry across documents.
                b.anchors.clear();
            }
            Event::Scalar(text, style, anchor, tag) => {
                doc_line.get_or_insert(line);
                b.last_block = None;
                if matches!(style, TScalarStyle::Literal | TScalarStyle::Folded)
                    && !b.expecting_key()
                {
                    b.last_block = Some((docs.len(), b.path()));
                }
                let mut text = text;
                // yaml-rust2 keeps one line break of a block scalar with no content that
                // ends the stream (`a: |` last); without `+` such a scalar is empty.
                if matches!(style, TScalarStyle::Literal | TScalarStyle::Folded)
                    && !text.is_empty()
                    && text.bytes().all(|c| c == b'\n')
                {
                    let at = mark.index();
                    let header: String = (0..4).filter_map(|i| cursor.char_at(at + i)).collect();
                    if header.starts_with(['|', '>'])
                        && !header.lines().next().unwrap_or("").contains('+')
                    {
                        text.clear();
                    }
                }
                b.scalar(text, style, anchor, tag.as_ref(), line)?;
            }
            Event::Alias(id) => {
                doc_line.get_or_insert(line);
                b.last_block = None;
                b.alias(id, line)?;
            }
            Event::SequenceStart(anchor, _) => {
                doc_line.get_or_insert(line);
                b.last_block = None;
                let flow = cursor.char_at(mark.index()) == Some('[');
                b.open(Coll::Seq(Vec::new()), anchor, line, flow)?;
            }
            Event::MappingStart(anchor, _) => {
                doc_line.get_or_insert(line);
                b.last_block = None;
                let coll = Coll::Map {
                    map: Map::new(),
                    key: None,
                    lines: Vec::new(),
                    merges: Vec::new(),
                    merge_line: None,
                    saw_merge_text: false,
                };
                let flow = cursor.char_at(mark.index()) == Some('{');
                b.open(coll, anchor, line, flow)?;
            }
            Event::SequenceEnd | Event::MappingEnd => b.close(line)?,
        }
    }
    if let Some((doc, path)) = b.last_block.take() {
        if ends_inside_block_scalar(src) {
            if let Some(Value::String(s)) =
                docs.get_mut(doc).and_then(|d| at_path(&mut d.value, &path))
            {
                // The last line has no line break, so clipping and keeping have none to
                // keep (yaml-rust2 adds one; go-yaml does not).
                if s.ends_with('\n') {
                    s.pop();
                }
            }
        }
    }
    Ok(docs)
}

/// Whether the stream ends without a line break on a line that is content (not blank,
/// not a comment, not a document marker): the line of a block scalar ending the stream.
fn ends_inside_block_scalar(src: &str) -> bool {
    if src.ends_with(['\n', '\r']) {
        return false;
    }
    let last = src.rsplit(['\n', '\r']).next().unwrap_or("").trim();
    !(last.is_empty() || last.starts_with('#') || last == "..." || last == "---")
}

fn at_path<'v>(mut v: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    for step in path {
        v = match (step, v) {
            (Step::Key(k), Value::Object(m)) => m.get_mut(k)?,
            (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// Finds the character at a marker's char index, moving forward only (events come in
/// source order), so all lookups together cost one pass over the text.
struct Cursor<'a> {
    src: &'a str,
    /// Then a char index is a byte index (most YAML is ASCII).
    ascii: bool,
    chars: usize,
    bytes: usize,
}

impl Cursor<'_> {
    fn char_at(&mut self, index: usize) -> Option<char> {
        if self.ascii {
            return self.src.as_bytes().get(index).map(|&b| char::from(b));
        }
        if index < self.chars {
            return None;
        }
        let mut it = self.src[self.bytes..].chars();
        while self.chars < index {
            self.bytes += it.next()?.len_utf8();
            self.chars += 1;
        }
        it.next()
    }
}

impl Builder {
    /// The path from the document root to the node about to be added.
    fn path(&self) -> Vec<Step> {
        self.stack
            .iter()
            .map(|f| match &f.coll {
                Coll::Seq(items) => Step::Index(items.len()),
                Coll::Map {
                    key: Some((Key::Str(k), _)),
                    ..
                } => Step::Key(k.clone()),
                Coll::Map { .. } => Step::Key(String::new()),
            })
            .collect()
    }

    /// The key when the node about to be added is a value of the document's
    /// `metadata.annotations`.
    fn annotation_key(&self) -> Option<&str> {
        fn pending(f: &Frame) -> Option<&str> {
            match &f.coll {
                Coll::Map {
                    key: Some((Key::Str(k), _)),
                    ..
                } => Some(k.as_str()),
                _ => None,
            }
        }
        match self.stack.as_slice() {
            [root, meta, ann]
                if pending(root) == Some("metadata") && pending(meta) == Some("annotations") =>
            {
                pending(ann)
            }
            _ => None,
        }
    }

    fn expecting_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                coll: Coll::Map { key: None, .. },
                ..
            })
        )
    }

    fn open(&mut self, coll: Coll, anchor: usize, line: u32, flow: bool) -> Result<(), YamlError> {
        if self.expecting_key() {
            return Err(err(
                line,
                "a mapping key must be a string, not a mapping or a sequence",
            ));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(err(
                line,
                format!("document nested deeper than {MAX_DEPTH} levels; refusing to read it"),
            ));
        }
        self.stack.push(Frame {
            coll,
            blanks: Vec::new(),
            flow,
            anchor,
            count: 1,
            depth: 0,
        });
        Ok(())
    }

    fn close(&mut self, line: u32) -> Result<(), YamlError> {
        let Some(frame) = self.stack.pop() else {
            return Err(err(line, "unbalanced end of collection"));
        };
        let mut blanks = frame.blanks;
        let value = match frame.coll {
            Coll::Seq(items) => Value::Array(items),
            Coll::Map {
                mut map, merges, ..
            } => {
                for (m, mline) in merges {
                    merge_into(&mut map, &mut blanks, m, mline)?;
                }
                Value::Object(map)
            }
        };
        let node = Node {
            value,
            blanks,
            count: frame.count,
            depth: frame.depth + 1,
        };
        self.finish(node, frame.anchor, line)
    }

    fn scalar(
        &mut self,
        text: String,
        style: TScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        line: u32,
    ) -> Result<(), YamlError> {
        let tag = tag.map(short_tag);
        if self.expecting_key() {
            let plain = style == TScalarStyle::Plain;
            // An empty key comes back as "" (go-yaml v3 writes it `''` on kustomize's
            // internal round trip).
            let key = if text.is_empty() && plain && tag.is_none() {
                Key::Str(String::new())
            } else if text == "<<"
                // go-yaml v3's isMerge: untagged, the non-specific `!` tag, or `!!merge`.
                && ((plain && matches!(tag.as_deref(), None | Some("!")))
                    || matches!(tag.as_deref(), Some("!!merge")))
            {
                Key::Merge
            } else {
                match resolve(text, style, tag.as_deref(), line, self.rules)? {
                    Value::String(s) => Key::Str(s),
                    other if self.rules == Rules::V2 => Key::Str(helm_key(&other, line)?),
                    other => return Err(non_string_key(&other, line)),
                }
            };
            if anchor != 0 {
                if let Key::Str(s) = &key {
                    self.anchors.insert(
                        anchor,
                        Anchored {
                            value: Value::String(s.clone()),
                            blanks: Vec::new(),
                            count: 1,
                            depth: 0,
                        },
                    );
                }
            }
            return self.set_key(key, line);
        }
        // kustomize writes each object back with go-yaml v3 before printing; an empty plain
        // scalar in a flow collection is written `''` there, so it comes back as "".
        let in_flow = self.stack.last().is_some_and(|f| f.flow);
        // kustomize reads annotations as the scalar's text (kyaml's GetAnnotations), so
        // `1.50` stays "1.50" and an empty value is "" where a resolved value would not.
        let raw = self
            .annotation_key()
            .filter(|_| style == TScalarStyle::Plain)
            .map(|k| (k.to_string(), text.clone()));
        let blank = text.is_empty();
        let value = if in_flow
            && blank
            && style == TScalarStyle::Plain
            && tag.is_none()
            && self.rules == Rules::V3
        {
            Value::String(String::new())
        } else {
            resolve(text, style, tag.as_deref(), line, self.rules)?
        };
        let blanks = if blank && (value.is_null() || in_flow) {
            vec![Vec::new()]
        } else {
            Vec::new()
        };
        if let Some(raw) = raw.filter(|(_, raw)| value.as_str() != Some(raw)) {
            self.annotation_text.push(raw);
        }
        let node = Node {
            value,
            blanks,
            count: 1,
            depth: 0,
        };
        self.finish(node, anchor, line)
    }

    fn alias(&mut self, id: usize, line: u32) -> Result<(), YamlError> {
        let Some(a) = self.anchors.get(&id) else {
            return Err(err(
                line,
                "alias refers to an anchor that is not defined earlier in this document, or to a node that contains the alias",
            ));
        };
        self.alias_nodes += a.count;
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(err(
                line,
                format!(
                    "aliases expand to more than {MAX_ALIAS_NODES} nodes (a \"billion laughs\" document?); refusing to read it"
                ),
            ));
        }
        if self.stack.len() + a.depth > MAX_DEPTH {
            return Err(err(
                line,
                format!("document nested deeper than {MAX_DEPTH} levels once aliases are expanded; refusing to read it"),
            ));
        }
        if self.expecting_key() {
            return match &a.value {
                Value::String(s) => {
                    let key = Key::Str(s.clone());
                    self.set_key(key, line)
                }
                other => Err(non_string_key(other, line)),
            };
        }
        let node = Node {
            value: a.value.clone(),
            blanks: a.blanks.clone(),
            count: a.count,
            depth: a.depth,
        };
        self.finish(node, 0, line)
    }

    fn set_key(&mut self, mut key: Key, line: u32) -> Result<(), YamlError> {
        let Some(Frame {
            coll:
                Coll::Map {
                    map,
                    key: slot,
                    lines,
                    merge_line,
                    saw_merge_text,
                    ..
                },
            count,
            ..
        }) = self.stack.last_mut()
        else {
            return Ok(());
        };
        *count += 1;
        if self.kyaml {
            let written_merge =
                matches!(&key, Key::Merge) || matches!(&key, Key::Str(s) if s == "<<");
            if written_merge && !*saw_merge_text {
                *saw_merge_text = true;
                if !matches!(key, Key::Merge) {
                    key = Key::Dropped;
                }
            }
        }
        match &key {
            Key::Dropped => {}
            Key::Merge => {
                if let Some(first) = merge_line {
                    return Err(duplicate("<<", line, *first));
                }
                *merge_line = Some(line);
            }
            Key::Str(s) => {
                let h = fnv(s);
                if map.contains_key(s) && !self.last_key_wins {
                    let first = lines.iter().find(|(k, _)| *k == h).map_or(0, |(_, l)| *l);
                    return Err(duplicate(s, line, first));
                }
                lines.push((h, line));
            }
        }
        *slot = Some((key, line));
        Ok(())
    }

    /// Hands a finished node to its parent (or makes it the document root).
    fn finish(&mut self, node: Node, anchor: usize, line: u32) -> Result<(), YamlError> {
        if anchor != 0 {
            self.anchors.insert(
                anchor,
                Anchored {
                    value: node.value.clone(),
                    blanks: node.blanks.clone(),
                    count: node.count,
                    depth: node.depth,
                },
            );
        }
        let Some(parent) = self.stack.last_mut() else {
            // A document that is one null has no field to drop.
            self.blank_values = node.blanks.into_iter().filter(|p| !p.is_empty()).collect();
            self.root = Some(node.value);
            return Ok(());
        };
        parent.count += node.count;
        parent.depth = parent.depth.max(node.depth);
        let under = |step: Step, blanks: Vec<Vec<Step>>| {
            blanks.into_iter().map(move |mut p| {
                p.insert(0, step.clone());
                p
            })
        };
        match &mut parent.coll {
            Coll::Seq(items) => {
                let at = Step::Index(items.len());
                parent.blanks.extend(under(at, node.blanks));
                items.push(node.value);
            }
            Coll::Map {
                map, key, merges, ..
            } => match key.take() {
                Some((Key::Str(k), _)) => {
                    let at = Step::Key(k.clone());
                    // A repeated key (last one wins) takes its blanks with it.
                    parent.blanks.retain(|p| p.first() != Some(&at));
                    parent.blanks.extend(under(at, node.blanks));
                    map.insert(k, node.value);
                }
                Some((Key::Merge, kline)) => merges.push((node, kline)),
                Some((Key::Dropped, _)) => {}
                None => return Err(non_string_key(&node.value, line)),
            },
        }
        Ok(())
    }
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn duplicate(key: &str, line: u32, first: u32) -> YamlError {
    err(
        line,
        format!("mapping key {key:?} already defined at line {first}"),
    )
}

fn non_string_key(v: &Value, line: u32) -> YamlError {
    let what = match v {
        Value::Object(_) | Value::Array(_) => {
            return err(
                line,
                "a mapping key must be a string, not a mapping or a sequence",
            )
        }
        other => other.to_string(),
    };
    err(
        line,
        format!("mapping key {what} is not a string (kustomize cannot write such keys); quote it: \"{}\"", what.trim_matches('"')),
    )
}

/// Paths of values written with no text, relative to some node.
type BlankPaths = Vec<Vec<Step>>;

/// go-yaml v3 merge (`<<`): keys already present win, earlier sources win over later
/// ones. The blank paths of the keys taken come along into `blanks`.
fn merge_into(
    map: &mut Map<String, Value>,
    blanks: &mut Vec<Vec<Step>>,
    source: Node,
    line: u32,
) -> Result<(), YamlError> {
    let want_map = || {
        err(
            line,
            "map merge requires map or sequence of maps as the value",
        )
    };
    // (the map, its blank paths) for each source, in order.
    let sources: Vec<(Map<String, Value>, BlankPaths)> = match source.value {
        Value::Object(src) => vec![(src, source.blanks)],
        Value::Array(items) => {
            let mut out = Vec::new();
            for (i, item) in items.into_iter().enumerate() {
                let Value::Object(src) = item else {
                    return Err(want_map());
                };
                let own = source
                    .blanks
                    .iter()
                    .filter(|p| p.first() == Some(&Step::Index(i)))
                    .map(|p| p[1..].to_vec())
                    .collect();
                out.push((src, own));
            }
            out
        }
        _ => return Err(want_map()),
    };
    for (src, src_blanks) in sources {
        for (k, v) in src {
            if map.contains_key(&k) {
                continue;
            }
            let at = Step::Key(k.clone());
            blanks.extend(
                src_blanks
                    .iter()
                    .filter(|p| p.first() == Some(&at))
                    .cloned(),
            );
            map.insert(k, v);
        }
    }
    Ok(())
}

fn short_tag(t: &Tag) -> String {
    if t.handle == "tag:yaml.org,2002:" {
        format!("!!{}", t.suffix)
    } else {
        format!("{}{}", t.handle, t.suffix)
    }
}

/// What a plain (unquoted, untagged) scalar with this text reads as.
pub(crate) fn resolve_plain_text(text: &str) -> Result<Value, YamlError> {
    resolve(text.to_string(), TScalarStyle::Plain, None, 0, Rules::V3)
}

/// A scalar as Helm reads a values file (go-yaml v2): plain, or quoted (a string).
pub(crate) fn resolve_helm(text: String, quoted: bool, line: u32) -> Result<Value, YamlError> {
    let style = if quoted {
        TScalarStyle::SingleQuoted
    } else {
        TScalarStyle::Plain
    };
    resolve(text, style, None, line, Rules::V2)
}

/// sigs.k8s.io/yaml's `convertToJSONableObject` for a key that is not a string.
fn helm_key(v: &Value, line: u32) -> Result<String, YamlError> {
    match v {
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) if n.is_f64() => {
            // Go's FormatFloat(f, 'g', -1, 32).
            let f = n.as_f64().unwrap_or_default() as f32;
            Ok(super::scalar::go_format_g32(f))
        }
        Value::Number(n) => Ok(n.to_string()),
        Value::Null => Err(err(
            line,
            "a mapping key must not be null (Helm: unsupported map key of type: <nil>)",
        )),
        _ => Err(non_string_key(v, line)),
    }
}

/// A scalar as go-yaml v3 (or v2) decodes it into `interface{}`, then as `json.Marshal`
/// sees it.
fn resolve(
    text: String,
    style: TScalarStyle,
    tag: Option<&str>,
    line: u32,
    rules: Rules,
) -> Result<Value, YamlError> {
    // kustomize writes folded text back with go-yaml v3; Helm reads it as it is.
    let folded = style == TScalarStyle::Folded && rules == Rules::V3;
    let mut v = resolve_scalar(text, style, tag, line, rules)?;
    if let Value::String(s) = &mut v {
        if folded {
            *s = super::emit::v3_folded_round_trip(s);
        }
        check_string(s, line)?;
    }
    Ok(v)
}

fn resolve_scalar(
    text: String,
    style: TScalarStyle,
    tag: Option<&str>,
    line: u32,
    rules: Rules,
) -> Result<Value, YamlError> {
    let quoted = style != TScalarStyle::Plain;
    match tag {
        None | Some("!") if quoted => return Ok(Value::String(text)),
        Some("!!str") => return Ok(Value::String(text)),
        Some("!!binary") => {
            // Go's base64 decoder skips line breaks (and nothing else).
            let clean: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(clean.as_bytes())
                .map_err(|_| err(line, "!!binary value contains invalid base64 data"))?;
            return Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        }
        None | Some("!!bool" | "!!int" | "!!float" | "!!null" | "!!timestamp") => {}
        // Any other tag: the text, as a string.
        Some(_) => return Ok(Value::String(text)),
    }
    let resolved = match tag {
        // go-yaml v2 keeps a timestamp decoded into `interface{}` as its text.
        None if rules == Rules::V2 => match resolve_plain(&text, rules) {
            Resolved::Timestamp(_) => Resolved::Str,
            r => r,
        },
        None => resolve_plain(&text, rules),
        Some("!!timestamp") => match parse_timestamp(&text) {
            Some(ts) => Resolved::Timestamp(ts.rfc3339nano()),
            None => resolve_plain(&text, rules),
        },
        // A tag other than !!timestamp: no timestamp detection.
        Some(_) => match resolve_plain(&text, rules) {
            Resolved::Timestamp(_) => resolve_number(&text, rules).unwrap_or(Resolved::Str),
            r => r,
        },
    };
    let got = match &resolved {
        Resolved::Null => "!!null",
        Resolved::Bool(_) => "!!bool",
        Resolved::Int(_) | Resolved::Uint(_) => "!!int",
        Resolved::Float(_) => "!!float",
        Resolved::Timestamp(_) => "!!timestamp",
        Resolved::Merge => "!!merge",
        Resolved::Str => "!!str",
    };
    if let Some(want) = tag {
        let ok = want == got || (want == "!!float" && got == "!!int");
        if !ok {
            return Err(err(
                line,
                format!("cannot decode a {got} value as a {want}"),
            ));
        }
    }
    let number = |n: Option<Number>| {
        n.map(Value::Number).ok_or_else(|| {
            err(
                line,
                format!("`{}` is not a finite number, which kustomize cannot write (json: unsupported value); quote it to keep it as a string", text.trim()),
            )
        })
    };
    Ok(match resolved {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) if tag == Some("!!float") => number(Number::from_f64(i as f64))?,
        Resolved::Int(i) => Value::Number(i.into()),
        Resolved::Uint(u) if tag == Some("!!float") => number(Number::from_f64(u as f64))?,
        Resolved::Uint(u) => Value::Number(u.into()),
        Resolved::Float(f) => number(Number::from_f64(f))?,
        Resolved::Timestamp(s) => Value::String(s),
        Resolved::Merge | Resolved::Str => Value::String(text),
    })
}

/// The line of top-level mapping key `key` in the first non-empty document.
pub(crate) fn line_of_key(src: &str, key: &str) -> Option<u32> {
    let src = src.strip_prefix('\u{FEFF}').unwrap_or(src);
    let mut parser = Parser::new_from_str(src);
    // Depth of collections; at depth 1 in a mapping, keys alternate with values.
    let mut depth = 0usize;
    let mut top_is_map = false;
    let mut expect_key = false;
    loop {
        let (ev, mark) = parser.next_token().ok()?;
        let at_top = depth == 1 && top_is_map;
        match ev {
            Event::StreamEnd => return None,
            Event::DocumentEnd if top_is_map => return None,
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if depth == 0 {
                    top_is_map = matches!(ev, Event::MappingStart(..));
                    expect_key = true;
                } else if at_top {
                    // A collection value: the next top-level scalar is a key.
                    expect_key = true;
                }
                depth += 1;
            }
            Event::MappingEnd | Event::SequenceEnd => depth = depth.saturating_sub(1),
            Event::Scalar(text, ..) if at_top => {
                if expect_key && text == key {
                    return Some(line_of(&mark));
                }
                expect_key = !expect_key;
            }
            Event::Alias(_) if at_top => expect_key = !expect_key,
            _ => {}
        }
    }
}
