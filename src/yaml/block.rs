//! Reading a values file the quick way: the block YAML values files are written in,
//! line by line, into the value Helm's reading gives.
//!
//! A chart's `values.yaml` is hundreds of kilobytes (kube-prometheus-stack's and its
//! subcharts' are 340 KB) and yaml-rust2 reads it at about 80 instructions a byte, a
//! sixth of rendering the chart. This reads the subset those files use: block mappings
//! and sequences, one-line plain and quoted scalars (the common escapes), one-line flow
//! collections, literal blocks, comments. Anything else (anchors, tags, folded or
//! multi-line scalars, tabs, several documents, duplicate keys, keys that are not
//! strings) answers "not sure", and the caller parses in full: the answer is the full
//! parse's, or absent. Scalars resolve through the full parser's own rules
//! (`parse::resolve_helm`). The tests hold it to the full parse on every YAML file of
//! the fixtures, and on a corpus of public charts on demand.

use super::parse::resolve_helm;
use serde_json::{Map, Value};

/// Deeper than any values file; the full parser reports what is deeper than its limit.
const MAX_DEPTH: usize = 64;

/// The mapping a values file holds (`Some(None)`: the file holds nothing), or `None`
/// when it is not certainly in the subset read here.
pub fn read_values(src: &str) -> Option<Option<Map<String, Value>>> {
    if src.starts_with('\u{feff}') || src.contains('\t') || src.contains('\r') {
        return None;
    }
    let mut lines: Vec<Line> = src
        .split('\n')
        .enumerate()
        .map(|(i, text)| {
            let rest = text.trim_start_matches(' ');
            Line {
                indent: text.len() - rest.len(),
                rest,
                text,
                no: i as u32 + 1,
            }
        })
        .collect();
    // `split` gives an empty last line after the final line break.
    if src.ends_with('\n') {
        lines.pop();
    }
    if lines.iter().any(|l| {
        l.indent == 0
            && (l.rest.starts_with("---") || l.rest.starts_with("...") || l.rest.starts_with('%'))
    }) {
        return None;
    }
    let mut r = Reader {
        lines,
        at: 0,
        ends_with_newline: src.ends_with('\n'),
    };
    r.skip_blank();
    if r.at == r.lines.len() {
        return Some(None);
    }
    if r.lines[r.at].indent != 0 {
        return None;
    }
    let Value::Object(map) = r.mapping(0, 0)? else {
        return None;
    };
    r.skip_blank();
    (r.at == r.lines.len()).then_some(Some(map))
}

struct Line<'a> {
    indent: usize,
    /// The line after its indentation.
    rest: &'a str,
    /// The whole line.
    text: &'a str,
    no: u32,
}

impl Line<'_> {
    fn is_blank(&self) -> bool {
        self.rest.is_empty() || self.rest.starts_with('#')
    }

    fn is_item(&self) -> bool {
        self.rest == "-" || self.rest.starts_with("- ")
    }
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    at: usize,
    ends_with_newline: bool,
}

impl<'a> Reader<'a> {
    fn skip_blank(&mut self) {
        while self.lines.get(self.at).is_some_and(Line::is_blank) {
            self.at += 1;
        }
    }

    /// The indentation of the next line with content (blank and comment lines skipped).
    fn next_indent(&mut self) -> Option<usize> {
        self.skip_blank();
        self.lines.get(self.at).map(|l| l.indent)
    }

    /// A block mapping whose keys are at column `n`.
    fn mapping(&mut self, n: usize, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut map = Map::new();
        loop {
            match self.next_indent() {
                Some(i) if i == n => {}
                Some(i) if i > n => return None,
                _ => break,
            }
            let line = &self.lines[self.at];
            if line.is_item() {
                break;
            }
            let no = line.no;
            let (key, value) = split_key(line.rest)?;
            let key = key_text(key, no)?;
            if map.contains_key(&key) {
                return None;
            }
            self.at += 1;
            let value = match value {
                "" => match self.next_indent() {
                    Some(i) if i > n => self.block(i, depth + 1)?,
                    // A sequence may sit at its key's column.
                    Some(i) if i == n && self.lines[self.at].is_item() => {
                        self.sequence(n, depth + 1)?
                    }
                    _ => Value::Null,
                },
                text => self.inline(text, n, no)?,
            };
            map.insert(key, value);
        }
        Some(Value::Object(map))
    }

    /// A block sequence whose dashes are at column `n`.
    fn sequence(&mut self, n: usize, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut items = Vec::new();
        loop {
            match self.next_indent() {
                Some(i) if i == n && self.lines[self.at].is_item() => {}
                Some(i) if i > n => return None,
                _ => break,
            }
            let line = &self.lines[self.at];
            let no = line.no;
            let after = line.rest[1..].trim_start_matches(' ');
            let column = n + (line.rest.len() - after.len());
            let item = if after.is_empty() || after.starts_with('#') {
                self.at += 1;
                match self.next_indent() {
                    Some(i) if i > n => self.block(i, depth + 1)?,
                    _ => Value::Null,
                }
            } else if after == "-" || after.starts_with("- ") {
                return None;
            } else if split_key(after).is_some() {
                // `- key: value`: a mapping whose keys are at the column of `key`.
                self.lines[self.at] = Line {
                    indent: column,
                    rest: after,
                    text: after,
                    no,
                };
                self.mapping(column, depth + 1)?
            } else {
                self.at += 1;
                self.inline(after, n, no)?
            };
            items.push(item);
        }
        Some(Value::Array(items))
    }

    /// The block starting at the next line, indented `i`.
    fn block(&mut self, i: usize, depth: usize) -> Option<Value> {
        if self.lines[self.at].is_item() {
            self.sequence(i, depth)
        } else {
            self.mapping(i, depth)
        }
    }

    /// A value written after its key or dash, on the line `no`, in a block at column `n`.
    fn inline(&mut self, text: &str, n: usize, no: u32) -> Option<Value> {
        let value = match text.as_bytes()[0] {
            b'"' | b'\'' => {
                let (s, after) = quoted(text)?;
                if !is_comment_or_nothing(after) {
                    return None;
                }
                resolve_helm(s, true, no).ok()?
            }
            b'|' => return self.literal(text, n, no),
            b'{' | b'[' => {
                let (v, after) = flow(text, no, 0)?;
                if !is_comment_or_nothing(after) {
                    return None;
                }
                v
            }
            _ if starts_indicator(text) => return None,
            _ => {
                let s = strip_comment(text);
                if s.contains(": ") || s.ends_with(':') {
                    return None;
                }
                resolve_helm(s.to_string(), false, no).ok()?
            }
        };
        // A more indented line after a one-line scalar continues it (or is an error).
        match self.next_indent() {
            Some(i) if i > n => None,
            _ => Some(value),
        }
    }

    /// A literal block (`|`, `|-`, `|+`) under a key or dash at column `n`.
    fn literal(&mut self, header: &str, n: usize, no: u32) -> Option<Value> {
        let chomp = match strip_comment(header) {
            "|" => Chomp::Clip,
            "|-" => Chomp::Strip,
            "|+" => Chomp::Keep,
            _ => return None,
        };
        // The content's indentation is its first non-empty line's.
        let first = self.lines[self.at..]
            .iter()
            .position(|l| !l.rest.is_empty());
        let m = match first {
            Some(k) if self.lines[self.at + k].indent > n => self.lines[self.at + k].indent,
            // No content: "" (its empty lines are trailing ones, chomped), but `|+` keeps
            // them, which is left to the full parser.
            _ if matches!(chomp, Chomp::Keep) => return None,
            _ => return resolve_helm(String::new(), true, no).ok(),
        };
        let mut body: Vec<&str> = Vec::new();
        let mut trailing = 0;
        while let Some(l) = self.lines.get(self.at) {
            // A line of spaces only is an empty line, unless it has more spaces than
            // the content's indentation: those are its text.
            let empty = l.rest.is_empty() && l.indent <= m;
            if empty {
                trailing += 1;
            } else if l.indent >= m {
                if l.rest.is_empty() && body.is_empty() {
                    return None;
                }
                body.extend(std::iter::repeat_n("", trailing));
                trailing = 0;
                body.push(&l.text[m..]);
            } else {
                break;
            }
            self.at += 1;
        }
        if self.at == self.lines.len() && !self.ends_with_newline {
            return None;
        }
        let mut s = body.join("\n");
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => s.push('\n'),
            Chomp::Keep => {
                s.push('\n');
                s.extend(std::iter::repeat_n('\n', trailing));
            }
        }
        resolve_helm(s, true, no).ok()
    }
}

enum Chomp {
    Clip,
    Strip,
    Keep,
}

/// `key: value` or `key:` split at the separator, the value trimmed; `None` when the
/// text is not a mapping entry.
fn split_key(text: &str) -> Option<(&str, &str)> {
    let b = text.as_bytes();
    let end = if b.first().is_some_and(|c| *c == b'"' || *c == b'\'') {
        let (_, after) = quoted(text)?;
        text.len() - after.len()
    } else {
        0
    };
    let at = match text[end..].find(": ") {
        Some(i) => end + i,
        None if text.ends_with(':') => text.len() - 1,
        None => return None,
    };
    let value = text[at + 1..].trim_start_matches(' ');
    let value = if value.starts_with('#') { "" } else { value };
    Some((&text[..at], value))
}

/// A key's text: a plain scalar that reads as a string, or a simple quoted one.
fn key_text(key: &str, no: u32) -> Option<String> {
    let first = *key.as_bytes().first()?;
    if first == b'"' || first == b'\'' {
        let (s, after) = quoted(key)?;
        return after.is_empty().then_some(s);
    }
    if starts_indicator(key) || key.contains(" #") || key.ends_with(' ') || key == "<<" {
        return None;
    }
    match resolve_helm(key.to_string(), false, no).ok()? {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// A one-line flow collection (`[a, "b", {c: d}]`) at the start of `text`: its value
/// and the text after it.
fn flow(text: &str, no: u32, depth: usize) -> Option<(Value, &str)> {
    if depth > MAX_DEPTH {
        return None;
    }
    let close = if text.starts_with('[') { ']' } else { '}' };
    let mut rest = text[1..].trim_start_matches(' ');
    let mut items = Vec::new();
    let mut map = Map::new();
    loop {
        if let Some(after) = rest.strip_prefix(close) {
            let v = if close == ']' {
                Value::Array(items)
            } else {
                Value::Object(map)
            };
            return Some((v, after));
        }
        if close == '}' {
            let (key, after) = flow_scalar(rest, no, depth, true)?;
            let Value::String(key) = key else {
                return None;
            };
            let after = after.trim_start_matches(' ').strip_prefix(':')?;
            if !after.starts_with(' ') && !rest.starts_with(['"', '\'']) {
                return None;
            }
            let (value, after) = flow_scalar(after.trim_start_matches(' '), no, depth, false)?;
            if map.insert(key, value).is_some() {
                return None;
            }
            rest = after;
        } else {
            let (value, after) = flow_scalar(rest, no, depth, false)?;
            items.push(value);
            rest = after;
        }
        rest = rest.trim_start_matches(' ');
        if let Some(after) = rest.strip_prefix(',') {
            rest = after.trim_start_matches(' ');
        } else if !rest.starts_with(close) {
            return None;
        }
    }
}

/// A value inside a flow collection: a nested collection, a quoted scalar, or a plain
/// one (up to `,`, a bracket, or `: ` for a key).
fn flow_scalar(text: &str, no: u32, depth: usize, key: bool) -> Option<(Value, &str)> {
    match text.as_bytes().first()? {
        b'[' | b'{' if !key => flow(text, no, depth + 1),
        b'"' | b'\'' => {
            let (s, after) = quoted(text)?;
            Some((resolve_helm(s, true, no).ok()?, after))
        }
        _ if starts_indicator(text) => None,
        _ => {
            let end = text
                .find([',', '[', ']', '{', '}', '#', ':'])
                .unwrap_or(text.len());
            // A `:` or `#` inside a plain scalar is left to the full parser.
            if matches!(text.as_bytes().get(end), Some(b'#') | Some(b':') if !key) {
                return None;
            }
            let plain = text[..end].trim_end_matches(' ');
            if plain.is_empty() {
                return None;
            }
            Some((
                resolve_helm(plain.to_string(), false, no).ok()?,
                &text[end..],
            ))
        }
    }
}

/// A one-line quoted scalar at the start of `text`: its value and the text after it.
fn quoted(text: &str) -> Option<(String, &str)> {
    let q = text.as_bytes()[0];
    let body = &text[1..];
    if q == b'"' {
        let mut out = String::new();
        let mut rest = body;
        loop {
            let end = rest.find(['"', '\\'])?;
            out.push_str(&rest[..end]);
            if rest.as_bytes()[end] == b'"' {
                return Some((out, &rest[end + 1..]));
            }
            let (c, used) = escape(&rest[end + 1..])?;
            out.push(c);
            rest = &rest[end + 1 + used..];
        }
    }
    let mut out = String::new();
    let mut rest = body;
    loop {
        let end = rest.find('\'')?;
        out.push_str(&rest[..end]);
        if rest[end + 1..].starts_with('\'') {
            out.push('\'');
            rest = &rest[end + 2..];
        } else {
            return Some((out, &rest[end + 1..]));
        }
    }
}

fn is_comment_or_nothing(after: &str) -> bool {
    let t = after.trim_start_matches(' ');
    t.is_empty() || (t.starts_with('#') && t.len() < after.len())
}

/// The text before a comment (` #`), trailing spaces dropped.
fn strip_comment(text: &str) -> &str {
    let end = text.find(" #").unwrap_or(text.len());
    text[..end].trim_end_matches(' ')
}

/// Whether `text` starts with what cannot start a plain scalar, or starts something not
/// read here. `-`, `?` and `:` start one when a space does not follow.
fn starts_indicator(text: &str) -> bool {
    let b = text.as_bytes();
    match b.first() {
        None => true,
        Some(b'-' | b'?' | b':') => b.get(1).is_none_or(|c| *c == b' '),
        Some(c) => is_indicator(*c),
    }
}

fn is_indicator(c: u8) -> bool {
    matches!(
        c,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

/// A double-quoted scalar's escape (after the backslash): the character and the bytes
/// it took. The rarer ones (`\N`, `\L`, `\P`, `\_`, a line break) are left to the full
/// parser.
fn escape(text: &str) -> Option<(char, usize)> {
    let hex = |n: usize| {
        let digits = text.get(1..1 + n)?;
        let v = u32::from_str_radix(digits, 16).ok()?;
        Some((char::from_u32(v)?, 1 + n))
    };
    let simple = |c: char| Some((c, 1));
    match text.as_bytes().first()? {
        b'\\' => simple('\\'),
        b'"' => simple('"'),
        b'/' => simple('/'),
        b' ' => simple(' '),
        b'n' => simple('\n'),
        b't' => simple('\t'),
        b'r' => simple('\r'),
        b'0' => simple('\0'),
        b'a' => simple('\u{7}'),
        b'b' => simple('\u{8}'),
        b'e' => simple('\u{1b}'),
        b'f' => simple('\u{c}'),
        b'v' => simple('\u{b}'),
        b'x' if text.get(1..3)?.bytes().all(|b| b.is_ascii_hexdigit()) => hex(2),
        b'u' if text.get(1..5)?.bytes().all(|b| b.is_ascii_hexdigit()) => hex(4),
        b'U' if text.get(1..9)?.bytes().all(|b| b.is_ascii_hexdigit()) => hex(8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::read_values;
    use serde_json::{json, Map, Value};

    /// The full parse's answer, as `chart::yaml_map` takes it.
    fn full(src: &str) -> Result<Option<Map<String, Value>>, String> {
        let docs = crate::yaml::parse_stream_helm(src).map_err(|e| e.to_string())?;
        match docs.into_iter().map(|d| d.value).find(|v| !v.is_null()) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(other) => Err(format!("not a mapping: {other}")),
        }
    }

    /// Every YAML file under `dir`: where the quick reading answers, it is the full
    /// parse's. Returns how many `values.yaml` files there are, and how many of them
    /// were answered.
    fn agree_under(dir: &std::path::Path) -> (usize, usize) {
        let (mut files, mut answered) = (0, 0);
        for entry in walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if !path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                continue;
            }
            let Ok(src) = std::fs::read_to_string(path) else {
                continue;
            };
            let values = path.ends_with("values.yaml");
            files += usize::from(values);
            if let Some(quick) = read_values(&src) {
                answered += usize::from(values);
                assert_eq!(Ok(quick), full(&src), "{}", path.display());
            }
        }
        (files, answered)
    }

    #[test]
    fn reads_the_fixtures_values_as_the_full_parse_does() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let (files, answered) = agree_under(&root);
        assert!(files > 50 && answered * 2 > files, "{answered} of {files}");
        // The largest values files are read quickly.
        for f in [
            "helm/kube-prometheus-stack/chart/values.yaml",
            "helm/kube-prometheus-stack/chart/charts/grafana/values.yaml",
            "helm/kube-prometheus-stack/chart/charts/kube-state-metrics/values.yaml",
            "helm/argo-cd/chart/values.yaml",
        ] {
            let src = std::fs::read_to_string(root.join(f)).unwrap();
            assert!(read_values(&src).is_some(), "{f}");
        }
    }

    /// `STRATA_YAML_CORPUS=DIR cargo test -- --ignored quick_reading_agrees`: the same
    /// check over a corpus of charts kept outside the repository.
    #[test]
    #[ignore]
    fn quick_reading_agrees_on_a_corpus() {
        let dir = std::env::var("STRATA_YAML_CORPUS").expect("STRATA_YAML_CORPUS");
        let (files, answered) = agree_under(std::path::Path::new(&dir));
        eprintln!("{answered} of {files} values.yaml files read quickly");
    }

    #[test]
    fn reads_the_subset() {
        let src = "\
# a comment
a: 1
b: yes
c: \"x # not a comment\"   # a comment
d: 'it''s'
e:
  - x
  - k: v
    l: [] # empty
  -
    m: {}
f:
- -1
- :x
g: |
  line 1

    indented
  # not a comment
h: |-
  kept

i: |+
  all

j: ~
k: http://x:80/y
l: |

m: |-
o: 1
";
        assert_eq!(
            Value::Object(read_values(src).unwrap().unwrap()),
            json!({"a": 1, "b": true, "c": "x # not a comment", "d": "it's",
                "e": ["x", {"k": "v", "l": []}, {"m": {}}], "f": [-1, ":x"],
                "g": "line 1\n\n  indented\n# not a comment\n", "h": "kept", "i": "all\n\n",
                "j": null, "k": "http://x:80/y", "l": "", "m": "", "o": 1})
        );
        assert_eq!(Ok(read_values(src).unwrap()), full(src));
    }

    #[test]
    fn leaves_the_rest_to_the_full_parser() {
        for src in [
            "a: &x 1\nb: *x\n",
            "a: {b: 1,\n  c: 2}\n",
            "a: \"esc\\N\"\n",
            "a: >\n  folded\n",
            "a: plain\n  continued\n",
            "a: 1\na: 2\n",
            "---\na: 1\n",
            "a:\n\tb: 1\n",
            "- a\n",
            "a: b: c\n",
            "a: |\n  no final line break",
            "1: one\n",
            "a: \"two\nlines\"\n",
        ] {
            assert_eq!(read_values(src), None, "{src:?}");
        }
    }
}
