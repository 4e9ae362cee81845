//! Reading a values file the quick way: the block YAML values files are written in,
//! line by line, into the value Helm's reading gives.
//!
//! A chart's `values.yaml` is hundreds of kilobytes (kube-prometheus-stack's and its
//! subcharts' are 340 KB) and yaml-rust2 reads it at about 80 instructions a byte, a
//! sixth of rendering the chart. This reads the subset those files use: block mappings
//! and sequences, one-line plain and quoted scalars (the simplest escapes), one-line
//! flow collections, literal blocks, comments. Anything else (anchors, tags, folded or
//! multi-line scalars, tabs, several documents, duplicate keys, keys that are not
//! strings) answers "not sure", and the caller parses in full: the answer is the full
//! parse's, or absent. Scalars resolve through the full parser's own rules
//! (`parse::resolve_helm`); what a line holds (a key, a plain or quoted scalar, a flow
//! scalar, a block header) is read by `skim`'s readers, which decline the same way. The
//! tests hold it to the full parse on every YAML file of the fixtures, and on a corpus
//! of public charts on demand.

use super::parse::resolve_helm;
use super::skim::{
    block_header, double_quoted, ends_cleanly, flow_scalar, plain, single_quoted, split_key,
};
use serde_json::{Map, Value};

/// Deeper than any values file; the full parser reports what is deeper than its limit.
const MAX_DEPTH: usize = 64;

/// The mapping a values file holds (`Some(None)`: the file holds nothing), or `None`
/// when it is not certainly in the subset read here.
pub fn read_values(src: &str) -> Option<Option<Map<String, Value>>> {
    if src.starts_with('\u{feff}') || src.contains('\t') || src.contains('\r') {
        return None;
    }
    // Sized from the start: a values file of thousands of lines would otherwise grow it
    // a dozen times, each time into fresh memory.
    let mut lines: Vec<Line> =
        Vec::with_capacity(memchr::memchr_iter(b'\n', src.as_bytes()).count() + 1);
    // The pieces `split('\n')` gives, found by memchr (split's searcher ran per line).
    let ends = memchr::memchr_iter(b'\n', src.as_bytes()).chain([src.len()]);
    let mut start = 0;
    lines.extend(ends.enumerate().map(|(i, end)| {
        let text = &src[start..end];
        start = end + 1;
        let indent = text.len() - text.trim_start_matches(' ').len();
        Line {
            indent: indent as u32,
            rest_at: indent as u32,
            text,
            no: i as u32 + 1,
        }
    }));
    // `split` gives an empty last line after the final line break.
    if src.ends_with('\n') {
        lines.pop();
    }
    if lines.iter().any(|l| {
        l.indent == 0
            && (l.rest().starts_with("---")
                || l.rest().starts_with("...")
                || l.rest().starts_with('%'))
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

/// 24 bytes: a values file has one per line.
struct Line<'a> {
    /// The whole line.
    text: &'a str,
    indent: u32,
    /// Where the line's content starts in `text` (after its indentation).
    rest_at: u32,
    no: u32,
}

impl<'a> Line<'a> {
    /// The line after its indentation.
    fn rest(&self) -> &'a str {
        &self.text[self.rest_at as usize..]
    }

    fn is_blank(&self) -> bool {
        self.rest().is_empty() || self.rest().starts_with('#')
    }

    fn is_item(&self) -> bool {
        self.rest() == "-" || self.rest().starts_with("- ")
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
        self.lines.get(self.at).map(|l| l.indent as usize)
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
            // A key that is certainly a string, plain or quoted.
            let (key, value) = split_key(line.rest())?;
            let key = key.to_string();
            if map.contains_key(&key) {
                return None;
            }
            self.at += 1;
            let value = if value.starts_with('#') { "" } else { value };
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
            let after = line.rest()[1..].trim_start_matches(' ');
            let column = n + (line.rest().len() - after.len());
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
                    text: after,
                    indent: column as u32,
                    rest_at: 0,
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
            b'"' => resolve_helm(double_quoted(text, true)?, true, no).ok()?,
            b'\'' => resolve_helm(single_quoted(text, true)?, true, no).ok()?,
            b'|' => return self.literal(text, n, no),
            b'{' | b'[' => {
                let (v, after) = flow(text, no, 0)?;
                if !ends_cleanly(after) {
                    return None;
                }
                v
            }
            _ => resolve_helm(plain(text)?.0.to_string(), false, no).ok()?,
        };
        // A more indented line after a one-line scalar continues it (or is an error).
        match self.next_indent() {
            Some(i) if i > n => None,
            _ => Some(value),
        }
    }

    /// A literal block (`|`, `|-`, `|+`) under a key or dash at column `n`.
    fn literal(&mut self, header: &str, n: usize, no: u32) -> Option<Value> {
        let after = &header[1..];
        block_header(after)?;
        let chomp = match after.as_bytes().first() {
            Some(b'-') => Chomp::Strip,
            Some(b'+') => Chomp::Keep,
            _ => Chomp::Clip,
        };
        // The content's indentation is its first non-empty line's.
        let first = self.lines[self.at..]
            .iter()
            .position(|l| !l.rest().is_empty());
        let m = match first {
            Some(k) if self.lines[self.at + k].indent as usize > n => {
                self.lines[self.at + k].indent as usize
            }
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
            let empty = l.rest().is_empty() && l.indent as usize <= m;
            if empty {
                trailing += 1;
            } else if l.indent as usize >= m {
                if l.rest().is_empty() && body.is_empty() {
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
            let ((key, string), after) = flow_scalar(rest)?;
            if !string || !after.starts_with(": ") {
                return None;
            }
            let (value, after) = flow_value(after[2..].trim_start_matches(' '), no, depth)?;
            if map.insert(key, value).is_some() {
                return None;
            }
            rest = after;
        } else {
            let (value, after) = flow_value(rest, no, depth)?;
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

/// A value inside a flow collection: a nested collection or a scalar (one `skim`
/// reads: quoted without escapes, or plain), and the text after it.
fn flow_value(text: &str, no: u32, depth: usize) -> Option<(Value, &str)> {
    if text.starts_with(['[', '{']) {
        return flow(text, no, depth + 1);
    }
    // A scalar that is certainly a string is one, quoted or not; the others are plain.
    let ((s, string), after) = flow_scalar(text)?;
    Some((resolve_helm(s, string, no).ok()?, after))
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
