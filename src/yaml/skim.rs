//! Skimming one block-style YAML document: whether it certainly parses, and the string
//! values at a few mapping paths, without building it.
//!
//! `helm template` parses every rendered document only to learn its kind and hook, and
//! a full parse of each was most of the time strata spent on a large chart. Skimming
//! reads line by line the subset rendered manifests are written in (block mappings and
//! sequences, plain and one-line quoted scalars, literal and folded blocks, comments).
//! Anything outside it (flow collections, anchors, tags, multi-line plain or quoted
//! scalars, keys that are not plain strings, tabs, odd characters) answers "not sure",
//! and the caller parses in full: the answer is never wrong, only absent.

use std::ops::Not;

/// The string at each of `paths` (`None` when absent), or `None` when the document is
/// not certainly valid YAML in the skimmed subset, or does not certainly have the
/// shape the paths ask for: a path holds a string scalar (a path ending in `*`: each
/// child of the mapping before it holds a scalar, and its answer is always `None`), and
/// whatever leads to a path (the document itself included) is a mapping or null.
pub fn skim(doc: &str, paths: &[&[&str]]) -> Option<Vec<Option<String>>> {
    if !plain_characters(doc) {
        return None;
    }
    let mut s = Skim {
        paths,
        found: vec![None; paths.len()],
        frames: Vec::new(),
        pending: None,
        block: None,
        plain: None,
        quoted: None,
        root_seen: false,
    };
    let declined = doc.split('\n').position(|line| s.line(line).is_none());
    #[cfg(test)]
    DECLINED_AT.with(|d| d.set(declined.map_or(0, |n| n + 1)));
    if declined.is_some() {
        return None;
    }
    s.quoted.is_none().then_some(s.found)
}

#[cfg(test)]
thread_local! {
    /// The line a test's last skim declined at (1-based), to tell why.
    pub(crate) static DECLINED_AT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Deepest nesting skimmed; deeper documents are parsed in full (which has its limit).
const MAX_FRAMES: usize = 64;
/// Longest key skimmed (YAML limits implicit keys to 1024 characters).
const MAX_KEY: usize = 512;

/// No tab, carriage return or control character anywhere, and no character the YAML
/// scanners disagree on (NEL, line and paragraph separators, BOM, C1 controls).
fn plain_characters(doc: &str) -> bool {
    let bytes_ok = doc
        .bytes()
        .all(|b| b == b'\n' || (b' '..0x7f).contains(&b) || b >= 0x80);
    bytes_ok
        && (doc.is_ascii()
            || doc.chars().all(|c| {
                (c as u32) < 0x7f
                    || !matches!(
                        c as u32,
                        0x7f..=0x9f | 0x2028 | 0x2029 | 0xfeff | 0xfffe | 0xffff
                    )
            }))
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Map,
    Seq,
}

struct Frame<'a> {
    indent: usize,
    kind: Kind,
    /// The keys so far (a repeated key is an error to the full parse).
    keys: Vec<&'a str>,
    /// The key path from the root, while it leads towards a wanted path.
    path: Option<Vec<&'a str>>,
}

/// A key or dash with nothing after it: what follows, if more indented, is its value.
struct Pending<'a> {
    indent: usize,
    /// After a mapping key: a sequence at the key's own indent is its value too.
    after_key: bool,
    path: Option<Vec<&'a str>>,
}

/// Inside a literal or folded block scalar.
struct Block {
    /// The indent of the key or dash that holds it; content is more indented.
    parent: usize,
    content: Option<usize>,
    /// The most spaces on a blank line before the first content line.
    leading_blank: usize,
}

struct Skim<'a> {
    paths: &'a [&'a [&'a str]],
    found: Vec<Option<String>>,
    frames: Vec<Frame<'a>>,
    pending: Option<Pending<'a>>,
    block: Option<Block>,
    /// After a plain scalar: lines more indented than this continue it.
    plain: Option<usize>,
    /// Inside a quoted scalar that goes on over lines: its quote, and the indent its
    /// lines must pass.
    quoted: Option<(u8, usize)>,
    /// A root collection was opened (a second one is an error to the parser).
    root_seen: bool,
}

impl<'a> Skim<'a> {
    fn line(&mut self, line: &'a str) -> Option<()> {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let text = &line[indent..];
        if let Some(b) = &mut self.block {
            if text.is_empty() {
                if b.content.is_none() {
                    b.leading_blank = b.leading_blank.max(indent);
                }
                return Some(());
            }
            match b.content {
                None if indent > b.parent => {
                    if b.leading_blank > indent {
                        return None;
                    }
                    b.content = Some(indent);
                    return Some(());
                }
                Some(c) if indent >= c => return Some(()),
                Some(_) if indent > b.parent => return None,
                _ => self.block = None,
            }
        }
        if text.is_empty() {
            return Some(());
        }
        if let Some((quote, parent)) = self.quoted {
            if indent <= parent {
                return None;
            }
            if let Some(end) = close_quote(text, quote)? {
                self.quoted = None;
                return ends_cleanly(&text[end..]).then_some(());
            }
            return Some(());
        }
        if let Some(p) = self.plain.take() {
            if indent > p {
                // A continuation line of a multi-line plain scalar.
                // Any character may start it (it is no new node), but a comment or
                // a `: ` would end or break the scalar.
                if text.starts_with('#')
                    || comment_at(text).is_some()
                    || colon_space(text).is_some()
                    || text.ends_with([':', ' '])
                {
                    return None;
                }
                self.plain = Some(p);
                return Some(());
            }
        }
        if text.starts_with('#') {
            return Some(());
        }
        if text.starts_with("...") || text.starts_with("---") || text.starts_with('%') {
            return None;
        }
        let dash = text == "-" || text.starts_with("- ");
        if let Some(p) = self.pending.take() {
            if indent > p.indent && matches!(text.as_bytes()[0], b'[' | b'{') {
                // The value on a line of its own: a flow collection (`{}` after
                // `resources:`).
                if p.path.is_some() && !text.starts_with("{}") {
                    return None;
                }
                return ends_cleanly(flow(text, 0)?).then_some(());
            }
            if indent > p.indent || (indent == p.indent && p.after_key && dash) {
                if dash && p.path.is_some() {
                    // A sequence where a path leads through a mapping.
                    return None;
                }
                let path = if dash { None } else { p.path };
                self.push(indent, if dash { Kind::Seq } else { Kind::Map }, path)?;
            }
        }
        while self.frames.last().is_some_and(|f| f.indent > indent) {
            self.frames.pop();
        }
        // A sequence at its key's indent ends at the next key of that mapping.
        if !dash
            && self.frames.last().is_some_and(|f| f.kind == Kind::Seq)
            && self.frames.len() >= 2
            && self.frames[self.frames.len() - 2].indent == indent
        {
            self.frames.pop();
        }
        if self.frames.is_empty() {
            if self.root_seen {
                return None;
            }
            self.root_seen = true;
            if dash && !self.paths.is_empty() {
                return None;
            }
            self.push(
                indent,
                if dash { Kind::Seq } else { Kind::Map },
                Some(Vec::new()),
            )?;
        }
        let top = self.frames.last()?;
        if top.indent != indent {
            return None;
        }
        match top.kind {
            Kind::Map if !dash => self.entry(indent, text),
            Kind::Seq if dash => self.item(indent, text),
            _ => None,
        }
    }

    fn push(&mut self, indent: usize, kind: Kind, path: Option<Vec<&'a str>>) -> Option<()> {
        if self.frames.len() >= MAX_FRAMES {
            return None;
        }
        self.frames.push(Frame {
            indent,
            kind,
            keys: Vec::new(),
            path: if kind == Kind::Map { path } else { None },
        });
        Some(())
    }

    /// `key: value` in the mapping at `indent`.
    fn entry(&mut self, indent: usize, text: &'a str) -> Option<()> {
        let (key, rest) = split_key(text)?;
        let frame = self.frames.last_mut()?;
        if frame.keys.contains(&key) {
            return None;
        }
        frame.keys.push(key);
        let path = frame.path.as_ref().and_then(|p| {
            let mut p = p.clone();
            p.push(key);
            // Only paths that lead somewhere wanted are followed.
            self.paths.iter().any(|w| leads(w, &p)).then_some(p)
        });
        self.value(indent, rest, path, true)
    }

    /// `- ...` in the sequence at `indent`.
    fn item(&mut self, indent: usize, text: &'a str) -> Option<()> {
        let after = &text[1..];
        let rest = after.trim_start_matches(' ');
        let column = indent + 1 + (after.len() - rest.len());
        if rest.starts_with("- ") || rest == "-" {
            return None;
        }
        if split_key(rest).is_some() {
            // `- key: value` opens a mapping at the key's column.
            self.push(column, Kind::Map, None)?;
            return self.entry(column, rest);
        }
        self.value(indent, rest, None, false)
    }

    /// What follows a key's colon or an item's dash, at `indent` (the key's or dash's).
    fn value(
        &mut self,
        indent: usize,
        v: &str,
        path: Option<Vec<&'a str>>,
        after_key: bool,
    ) -> Option<()> {
        let p = path.as_deref().unwrap_or_default();
        let want = path
            .as_ref()
            .and_then(|p| self.paths.iter().position(|w| *w == p.as_slice()));
        // A child of a mapping whose every child must be a scalar.
        let any_scalar = path.is_some()
            && self
                .paths
                .iter()
                .any(|w| w.len() == p.len() && w.last() == Some(&"*") && leads(w, p));
        // On the way to a wanted path: a mapping or null.
        let through = path.is_some() && self.paths.iter().any(|w| w.len() > p.len() && leads(w, p));
        if through && !(v.is_empty() || v.starts_with('#') || v.starts_with("{}")) {
            return None;
        }
        if v.is_empty() || v.starts_with('#') {
            if want.is_some() || any_scalar {
                // A null, or a collection: not a string either way.
                return None;
            }
            self.pending = Some(Pending {
                indent,
                after_key,
                path,
            });
            return Some(());
        }
        let scalar = match v.as_bytes()[0] {
            b'|' | b'>' => {
                block_header(&v[1..])?;
                if want.is_some() {
                    return None;
                }
                self.block = Some(Block {
                    parent: indent,
                    content: None,
                    leading_blank: 0,
                });
                return Some(());
            }
            q @ (b'"' | b'\'') if want.is_none() => {
                match close_quote(&v[1..], q)? {
                    Some(end) => ends_cleanly(&v[1 + end..]).then_some(())?,
                    None => self.quoted = Some((q, indent)),
                }
                return Some(());
            }
            b'"' => double_quoted(v, true)?,
            b'\'' => single_quoted(v, true)?,
            b'[' | b'{' => {
                let rest = flow(v, 0)?;
                if !ends_cleanly(rest) || want.is_some() || any_scalar {
                    return None;
                }
                return Some(());
            }
            _ => {
                let s = plain(v)?;
                if want.is_some() && !plain_is_string(s) {
                    return None;
                }
                // A plain scalar may go on over more indented lines (then the value
                // read here is not all of it).
                if want.is_none() && comment_at(v).is_none() {
                    self.plain = Some(indent);
                }
                if want.is_some() {
                    s.to_string()
                } else {
                    String::new()
                }
            }
        };
        if let Some(i) = want {
            self.found[i] = Some(scalar);
        }
        Some(())
    }
}

/// Whether the wanted path `w` goes through (or is) `p`; `*` in `w` stands for any key.
fn leads(w: &[&str], p: &[&str]) -> bool {
    w.len() >= p.len() && w.iter().zip(p).all(|(a, b)| *a == "*" || a == b)
}

/// `key: rest` or `key:` with a key that is certainly a string: plain, or quoted without
/// escapes. `None` when the text is not a mapping entry this skims.
fn split_key(text: &str) -> Option<(&str, &str)> {
    let (key, after) = match *text.as_bytes().first()? {
        b'"' => {
            let end = text[1..].find('"')? + 1;
            let key = &text[1..end];
            if key.contains('\\') {
                return None;
            }
            (key, &text[end + 1..])
        }
        b'\'' => {
            let end = text[1..].find('\'')? + 1;
            if text[end + 1..].starts_with('\'') {
                return None;
            }
            (&text[1..end], &text[end + 1..])
        }
        c if c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c == b'.' => {
            let colon = colon_space(text).or_else(|| text.strip_suffix(':').map(str::len))?;
            let key = text[..colon].trim_end_matches(' ');
            if comment_at(key).is_some() || !plain_is_string(key) {
                return None;
            }
            (key, &text[colon..])
        }
        _ => return None,
    };
    if key.is_empty() || key.len() > MAX_KEY {
        return None;
    }
    let rest = after.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((key, rest.trim_start_matches(' ')))
}

/// The header after `|` or `>`: a chomping indicator at most (an explicit indentation
/// indicator is not skimmed), then nothing or a comment.
fn block_header(h: &str) -> Option<()> {
    let h = h.strip_prefix(['+', '-']).unwrap_or(h);
    ends_cleanly(h).then_some(())
}

/// Nothing left on the line but spaces and a comment.
fn ends_cleanly(rest: &str) -> bool {
    let t = rest.trim_start_matches(' ');
    t.is_empty() || (t.len() < rest.len() && t.starts_with('#'))
}

/// A one-line double-quoted scalar with only the simplest escapes, and its value when
/// `decode` (else an empty string).
fn double_quoted(v: &str, decode: bool) -> Option<String> {
    let b = v.as_bytes();
    let mut out = String::new();
    let mut i = 1;
    let mut start = 1;
    while i < b.len() {
        match b[i] {
            b'"' => {
                if decode {
                    out.push_str(&v[start..i]);
                }
                return ends_cleanly(&v[i + 1..]).then_some(out);
            }
            b'\\' => {
                if decode {
                    out.push_str(&v[start..i]);
                }
                let c = match b.get(i + 1)? {
                    b'\\' => '\\',
                    b'"' => '"',
                    b'/' => '/',
                    b'n' => '\n',
                    b't' => '\t',
                    _ => return None,
                };
                if decode {
                    out.push(c);
                }
                i += 2;
                start = i;
            }
            _ => i += 1,
        }
    }
    None
}

/// In the text of a quoted scalar (after its opening quote, or a line it goes on
/// over): the index just after its closing quote, or `Some(None)` when it goes on past
/// the line; `None` for an escape not skimmed.
fn close_quote(text: &str, quote: u8) -> Option<Option<usize>> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            c if c == quote && quote == b'\'' && b.get(i + 1) == Some(&b'\'') => i += 2,
            c if c == quote => return Some(Some(i + 1)),
            b'\\' if quote == b'"' => {
                match b.get(i + 1) {
                    // An escaped line break.
                    None => return Some(None),
                    Some(b'\\' | b'"' | b'/' | b'n' | b't' | b' ') => i += 2,
                    Some(_) => return None,
                }
            }
            _ => i += 1,
        }
    }
    Some(None)
}

/// A one-line single-quoted scalar, and its value when `decode`.
fn single_quoted(v: &str, decode: bool) -> Option<String> {
    let mut out = String::new();
    let mut rest = &v[1..];
    loop {
        let q = rest.find('\'')?;
        if decode {
            out.push_str(&rest[..q]);
        }
        if rest[q + 1..].starts_with('\'') {
            if decode {
                out.push('\'');
            }
            rest = &rest[q + 2..];
        } else {
            return ends_cleanly(&rest[q + 1..]).then_some(out);
        }
    }
}

/// A flow collection on one line (`[a, "b"]`, `{k: v}`, nested), returning what
/// follows it. Plain scalars in it hold no `:`, `#` or flow indicator; no empty or
/// trailing entries; keys are plain strings or quoted, and not repeated.
fn flow(v: &str, depth: usize) -> Option<&str> {
    if depth > 16 {
        return None;
    }
    let (map, close) = match v.as_bytes().first()? {
        b'[' => (false, b']'),
        b'{' => (true, b'}'),
        _ => return None,
    };
    let mut rest = v[1..].trim_start_matches(' ');
    if rest.as_bytes().first() == Some(&close) {
        return Some(&rest[1..]);
    }
    let mut keys: Vec<String> = Vec::new();
    loop {
        if map {
            let (key, after) = flow_scalar(rest)?;
            if !after.starts_with(": ") || !key.1 || keys.contains(&key.0) {
                return None;
            }
            keys.push(key.0);
            rest = after[2..].trim_start_matches(' ');
        }
        rest = match rest.as_bytes().first()? {
            b'[' | b'{' => flow(rest, depth + 1)?,
            _ => flow_scalar(rest)?.1,
        }
        .trim_start_matches(' ');
        match rest.as_bytes().first()? {
            b',' => rest = rest[1..].trim_start_matches(' '),
            c if *c == close => return Some(&rest[1..]),
            _ => return None,
        }
        if matches!(rest.as_bytes().first(), Some(b']' | b'}' | b',') | None) {
            return None;
        }
    }
}

/// A scalar inside a flow collection: its value, whether it is certainly a string,
/// and what follows it.
fn flow_scalar(v: &str) -> Option<((String, bool), &str)> {
    match v.as_bytes().first()? {
        b'"' => {
            let end = v[1..].find('"')? + 1;
            let s = &v[1..end];
            (!s.contains('\\')).then(|| ((s.to_string(), true), &v[end + 1..]))
        }
        b'\'' => {
            let end = v[1..].find('\'')? + 1;
            if v[end + 1..].starts_with('\'') {
                return None;
            }
            Some(((v[1..end].to_string(), true), &v[end + 1..]))
        }
        _ => {
            let end = v
                .find([',', '[', ']', '{', '}', ':', '#'])
                .unwrap_or(v.len());
            let s = v[..end].trim_end_matches(' ');
            if s.is_empty() || plain(s)? != s {
                return None;
            }
            let string = plain_is_string(s);
            Some(((s.to_string(), string), &v[end..]))
        }
    }
}

/// A plain scalar on one line, without its comment; `None` when it is not one (an
/// indicator first, a `: ` inside).
fn plain(v: &str) -> Option<&str> {
    let b = v.as_bytes();
    match b[0] {
        b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
        | b'"' | b'%' | b'@' | b'`' => return None,
        b'-' | b'?' | b':' if b.len() == 1 || b[1] == b' ' => return None,
        _ => {}
    }
    let s = match comment_at(v) {
        Some(c) => &v[..c],
        None => v,
    };
    let s = s.trim_end_matches(' ');
    if colon_space(s).is_some() || s.ends_with(':') {
        return None;
    }
    special_float(s).not().then_some(s)
}

/// `.inf`, `.nan` and their signed forms (in any case): refused by the full parse.
fn special_float(s: &str) -> bool {
    let unsigned = s.trim_start_matches(['-', '+']);
    unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan")
}

/// Where `: ` is in `s` (a mapping value indicator inside a plain scalar).
fn colon_space(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    memchr::memchr_iter(b':', b).find(|&i| b.get(i + 1) == Some(&b' '))
}

/// Where ` #` is in `s` (a comment after a plain scalar).
fn comment_at(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    memchr::memchr_iter(b'#', b)
        .find(|&i| i > 0 && b[i - 1] == b' ')
        .map(|i| i - 1)
}

/// Whether a plain scalar certainly reads as a string under YAML 1.1 and 1.2 alike:
/// it starts with a letter (no number, null, timestamp), and is no boolean or null word.
fn plain_is_string(s: &str) -> bool {
    let Some(first) = s.bytes().next() else {
        return false;
    };
    let dotted = first == b'.' && s.as_bytes().get(1).is_some_and(u8::is_ascii_alphabetic);
    if !(first.is_ascii_alphabetic() || first == b'_' || first == b'$' || dotted)
        || special_float(s)
    {
        return false;
    }
    !["null", "true", "false", "yes", "no", "on", "off", "y", "n"]
        .iter()
        .any(|w| w.eq_ignore_ascii_case(s))
}

#[cfg(test)]
mod tests;
