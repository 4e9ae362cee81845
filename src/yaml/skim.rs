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
//!
//! It reads every byte of every document a chart renders, so it works on bytes, finds
//! bytes eight at a time, allocates nothing per line, and inlines the helpers on the
//! path of a usual line (their calls were a tenth of its cost under callgrind).

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
        keys: Vec::new(),
        pending: None,
        block: None,
        plain: None,
        quoted: None,
        root_seen: false,
    };
    // The lines `split('\n')` would give, the last one after the last line break;
    // each line's indent is counted first, and its end looked for after it.
    let b = doc.as_bytes();
    let (mut start, mut n) = (0, 0);
    let declined = loop {
        let indent = spaces(&b[start..]);
        let end = find_any(&b[start + indent..], b"\n").map_or(b.len(), |i| start + indent + i);
        if s.line(&doc[start..end], indent).is_none() {
            break Some(n);
        }
        if end == b.len() {
            break None;
        }
        (start, n) = (end + 1, n + 1);
    };
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
    let mut high = false;
    // No early exit inside a chunk, so that the loop vectorizes: it reads every byte
    // of every rendered document.
    for chunk in doc.as_bytes().chunks(256) {
        let (control, h) = chunk.iter().fold((false, false), |(control, h), &c| {
            (
                control | (c < b' ' && c != b'\n') | (c == 0x7f),
                h | (c >= 0x80),
            )
        });
        if control {
            return false;
        }
        high |= h;
    }
    !high
        || doc.chars().all(|c| {
            (c as u32) < 0x7f
                || !matches!(
                    c as u32,
                    0x7f..=0x9f | 0x2028 | 0x2029 | 0xfeff | 0xfffe | 0xffff
                )
        })
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Map,
    Seq,
}

struct Frame<'a> {
    indent: usize,
    kind: Kind,
    /// Where its keys start in `Skim::keys` (only the innermost frame adds keys).
    keys: usize,
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
    /// The keys so far of each open mapping, outermost first (a repeated key is an
    /// error to the full parse): one stack, not a list per frame, so that the many
    /// small mappings of a large document allocate nothing.
    keys: Vec<&'a str>,
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
    /// One line, which starts with `indent` spaces.
    fn line(&mut self, line: &'a str, indent: usize) -> Option<()> {
        let text = &line[indent..];
        let t = text.as_bytes();
        if let Some(b) = &mut self.block {
            if t.is_empty() {
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
        let Some(&first) = t.first() else {
            return Some(());
        };
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
                if first == b'#' || mark(t).is_some() || matches!(t.last(), Some(b':' | b' ')) {
                    return None;
                }
                self.plain = Some(p);
                return Some(());
            }
        }
        match first {
            b'#' => return Some(()),
            b'%' => return None,
            b'.' | b'-' if t.starts_with(b"...") || t.starts_with(b"---") => return None,
            _ => {}
        }
        let dash = first == b'-' && t.get(1).is_none_or(|&c| c == b' ');
        if let Some(p) = self.pending.take() {
            if indent > p.indent && matches!(first, b'[' | b'{') {
                // The value on a line of its own: a flow collection (`{}` after
                // `resources:`).
                if p.path.is_some() && !t.starts_with(b"{}") {
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
            self.pop();
        }
        // A sequence at its key's indent ends at the next key of that mapping.
        let n = self.frames.len();
        if !dash
            && n >= 2
            && self.frames[n - 1].kind == Kind::Seq
            && self.frames[n - 2].indent == indent
        {
            self.pop();
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
            Kind::Map if !dash => {
                let (key, rest) = split_key(text)?;
                self.entry(indent, key, rest)
            }
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
            keys: self.keys.len(),
            path: if kind == Kind::Map { path } else { None },
        });
        Some(())
    }

    fn pop(&mut self) {
        if let Some(f) = self.frames.pop() {
            self.keys.truncate(f.keys);
        }
    }

    /// `key: rest` in the mapping at `indent`.
    #[inline(always)]
    fn entry(&mut self, indent: usize, key: &'a str, rest: &'a str) -> Option<()> {
        let frame = self.frames.last()?;
        if self.keys[frame.keys..].contains(&key) {
            return None;
        }
        self.keys.push(key);
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
        let gap = spaces(after.as_bytes());
        let rest = &after[gap..];
        let column = indent + 1 + gap;
        let r = rest.as_bytes();
        if r.first() == Some(&b'-') && r.get(1).is_none_or(|&c| c == b' ') {
            return None;
        }
        if let Some((key, value)) = split_key(rest) {
            // `- key: value` opens a mapping at the key's column.
            self.push(column, Kind::Map, None)?;
            return self.entry(column, key, value);
        }
        self.value(indent, rest, None, false)
    }

    /// What follows a key's colon or an item's dash, at `indent` (the key's or dash's).
    #[inline(always)]
    fn value(
        &mut self,
        indent: usize,
        v: &str,
        path: Option<Vec<&'a str>>,
        after_key: bool,
    ) -> Option<()> {
        let (mut want, mut any_scalar) = (None, false);
        if let Some(p) = path.as_deref() {
            want = self.paths.iter().position(|w| *w == p);
            // A child of a mapping whose every child must be a scalar.
            any_scalar = self
                .paths
                .iter()
                .any(|w| w.len() == p.len() && w.last() == Some(&"*") && leads(w, p));
            // On the way to a wanted path: a mapping or null.
            let through = self.paths.iter().any(|w| w.len() > p.len() && leads(w, p));
            if through && !(v.is_empty() || v.starts_with('#') || v.starts_with("{}")) {
                return None;
            }
        }
        let Some(&first) = v.as_bytes().first() else {
            return self.null_or_collection(indent, path, after_key, want.is_some() || any_scalar);
        };
        let scalar = match first {
            b'#' => {
                return self.null_or_collection(
                    indent,
                    path,
                    after_key,
                    want.is_some() || any_scalar,
                )
            }
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
                let (s, comment) = plain(v)?;
                let Some(i) = want else {
                    // A plain scalar may go on over more indented lines (then the
                    // value read here is not all of it).
                    if !comment {
                        self.plain = Some(indent);
                    }
                    return Some(());
                };
                if !plain_is_string(s) {
                    return None;
                }
                self.found[i] = Some(s.to_string());
                return Some(());
            }
        };
        if let Some(i) = want {
            self.found[i] = Some(scalar);
        }
        Some(())
    }

    /// Nothing (or a comment) after a key or dash: a null, or a collection on the
    /// lines that follow. Neither is a string, so not where a scalar is wanted.
    fn null_or_collection(
        &mut self,
        indent: usize,
        path: Option<Vec<&'a str>>,
        after_key: bool,
        scalar_wanted: bool,
    ) -> Option<()> {
        if scalar_wanted {
            return None;
        }
        self.pending = Some(Pending {
            indent,
            after_key,
            path,
        });
        Some(())
    }
}

/// How many spaces `b` starts with (eight at a time: rendered manifests are deeply
/// indented).
fn spaces(b: &[u8]) -> usize {
    let mut words = b.chunks_exact(8);
    let mut n = 0;
    for w in &mut words {
        let other =
            u64::from_le_bytes(w.try_into().unwrap_or_default()) ^ u64::from_le_bytes([b' '; 8]);
        if other != 0 {
            return n + (other.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + words.remainder().iter().take_while(|&&c| c == b' ').count()
}

/// Whether the wanted path `w` goes through (or is) `p`; `*` in `w` stands for any key.
fn leads(w: &[&str], p: &[&str]) -> bool {
    w.len() >= p.len() && w.iter().zip(p).all(|(a, b)| *a == "*" || a == b)
}

/// `key: rest` or `key:` with a key that is certainly a string: plain, or quoted without
/// escapes. `None` when the text is not a mapping entry this skims.
#[inline(always)]
pub(super) fn split_key(text: &str) -> Option<(&str, &str)> {
    let t = text.as_bytes();
    let (key, after) = match *t.first()? {
        b'"' => {
            let end = memchr::memchr(b'"', &t[1..])? + 1;
            let key = &text[1..end];
            if key.contains('\\') {
                return None;
            }
            (key, &text[end + 1..])
        }
        b'\'' => {
            let end = memchr::memchr(b'\'', &t[1..])? + 1;
            if t.get(end + 1) == Some(&b'\'') {
                return None;
            }
            (&text[1..end], &text[end + 1..])
        }
        c if c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c == b'.' => {
            // The first `: `, else a colon that ends the line; no comment before it
            // (the key would have one inside).
            let colon = match mark(t) {
                Some(Mark::Colon(i)) => i,
                Some(Mark::Comment(_)) => return None,
                None if t.last() == Some(&b':') => t.len() - 1,
                None => return None,
            };
            let key = &text[..colon - trailing_spaces(&t[..colon])];
            if !plain_is_string(key) {
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
    Some((key, &rest[spaces(rest.as_bytes())..]))
}

/// How many spaces `b` ends with.
fn trailing_spaces(b: &[u8]) -> usize {
    b.iter().rev().take_while(|&&c| c == b' ').count()
}

/// The header after `|` or `>`: a chomping indicator at most (an explicit indentation
/// indicator is not skimmed), then nothing or a comment.
pub(super) fn block_header(h: &str) -> Option<()> {
    let h = h.strip_prefix(['+', '-']).unwrap_or(h);
    ends_cleanly(h).then_some(())
}

/// Nothing left on the line but spaces and a comment.
pub(super) fn ends_cleanly(rest: &str) -> bool {
    let n = spaces(rest.as_bytes());
    n == rest.len() || (n > 0 && rest.as_bytes()[n] == b'#')
}

/// A one-line double-quoted scalar with only the simplest escapes, and its value when
/// `decode` (else an empty string).
pub(super) fn double_quoted(v: &str, decode: bool) -> Option<String> {
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
pub(super) fn single_quoted(v: &str, decode: bool) -> Option<String> {
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
pub(super) fn flow_scalar(v: &str) -> Option<((String, bool), &str)> {
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
            if s.is_empty() || plain(s)?.0 != s {
                return None;
            }
            let string = plain_is_string(s);
            Some(((s.to_string(), string), &v[end..]))
        }
    }
}

/// A plain scalar on one line, without its comment, and whether a comment follows it;
/// `None` when it is not one (an indicator first, a `: ` inside).
pub(super) fn plain(v: &str) -> Option<(&str, bool)> {
    let b = v.as_bytes();
    match b[0] {
        b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
        | b'"' | b'%' | b'@' | b'`' => return None,
        b'-' | b'?' | b':' if b.len() == 1 || b[1] == b' ' => return None,
        _ => {}
    }
    let (end, comment) = match mark(b) {
        Some(Mark::Colon(_)) => return None,
        Some(Mark::Comment(c)) => (c, true),
        None => (b.len(), false),
    };
    let s = &v[..end - trailing_spaces(&b[..end])];
    if s.ends_with(':') || special_float(s) {
        return None;
    }
    Some((s, comment))
}

/// `.inf`, `.nan` and their signed forms (in any case): refused by the full parse.
fn special_float(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(unsigned) = b.len().checked_sub(4).map(|i| &b[i..]) else {
        return false;
    };
    unsigned[0] == b'.'
        && (unsigned.eq_ignore_ascii_case(b".inf") || unsigned.eq_ignore_ascii_case(b".nan"))
        && b[..b.len() - 4].iter().all(|&c| c == b'-' || c == b'+')
}

/// Each byte 1, and each byte 0x80: for `find_any`.
const ONES: u64 = u64::from_le_bytes([1; 8]);
const HIGH: u64 = u64::from_le_bytes([0x80; 8]);

/// The first `: ` or ` #` in a plain scalar: a mapping value indicator, or a comment.
enum Mark {
    /// The colon's index.
    Colon(usize),
    /// The index of the space before `#`.
    Comment(usize),
}

/// Where the first `: ` or ` #` is in `b`, whichever comes first.
#[inline(always)]
fn mark(b: &[u8]) -> Option<Mark> {
    let mut from = 0;
    loop {
        let i = from + find_any(&b[from..], b":#")?;
        if b[i] == b':' {
            if b.get(i + 1) == Some(&b' ') {
                return Some(Mark::Colon(i));
            }
        } else if i > 0 && b[i - 1] == b' ' {
            return Some(Mark::Comment(i - 1));
        }
        from = i + 1;
    }
}

/// Where the first of `needles` is in `b`. Eight bytes at a time: the keys, values
/// and lines searched are mostly too short for `memchr` to pay for its start.
#[inline(always)]
fn find_any(b: &[u8], needles: &[u8]) -> Option<usize> {
    // The classic "has a zero byte" test on the word xor each needle; its lowest set
    // bit is exact (false hits only come after a true one).
    let first = |w: u64| {
        let hits = needles.iter().fold(0, |hits, &n| {
            let x = w ^ (ONES * u64::from(n));
            hits | (x.wrapping_sub(ONES) & !x)
        }) & HIGH;
        (hits != 0).then(|| (hits.trailing_zeros() / 8) as usize)
    };
    let mut words = b.chunks_exact(8);
    let mut at = 0;
    for w in &mut words {
        if let Some(i) = first(u64::from_le_bytes(w.try_into().unwrap_or_default())) {
            return Some(at + i);
        }
        at += 8;
    }
    // The last few bytes, padded with zeros (no needle is zero).
    first(short_word(words.remainder())).map(|i| at + i)
}

/// Up to eight bytes as a number (the first lowest), zeros after them; a few loads
/// that overlap rather than a loop over bytes.
fn short_word(b: &[u8]) -> u64 {
    let n = b.len();
    let at = |i: usize, len: usize| -> u64 {
        let mut w = [0; 8];
        w[..len].copy_from_slice(&b[i..i + len]);
        u64::from_le_bytes(w) << (8 * i)
    };
    match n {
        0 => 0,
        1..=3 => at(0, 1) | at(n / 2, 1) | at(n - 1, 1),
        4..=7 => at(0, 4) | at(n - 4, 4),
        _ => at(0, 8),
    }
}

/// Lower case for the null and boolean words: `| 0x20` makes only the capital of a
/// letter equal to it, and no byte zero.
const fn lower_word(b: &[u8]) -> u64 {
    let mut w = 0;
    let mut i = 0;
    while i < b.len() && i < 8 {
        w |= ((b[i] | 0x20) as u64) << (8 * i);
        i += 1;
    }
    w
}

/// Null and boolean words of YAML 1.1 (which Helm reads), as `lower_word` has them.
const YAML11_WORDS: [u64; 9] = [
    lower_word(b"null"),
    lower_word(b"true"),
    lower_word(b"false"),
    lower_word(b"yes"),
    lower_word(b"no"),
    lower_word(b"on"),
    lower_word(b"off"),
    lower_word(b"y"),
    lower_word(b"n"),
];

/// Whether a plain scalar certainly reads as a string under YAML 1.1 and 1.2 alike:
/// it starts with a letter (no number, null, timestamp), and is no boolean or null word.
#[inline(always)]
fn plain_is_string(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    let dotted = first == b'.' && b.get(1).is_some_and(u8::is_ascii_alphabetic);
    if !(first.is_ascii_alphabetic() || first == b'_' || first == b'$' || dotted)
        || (dotted && special_float(s))
    {
        return false;
    }
    b.len() > 5
        || !YAML11_WORDS
            .contains(&(short_word(b) | (u64::from_le_bytes([0x20; 8]) >> (8 * (8 - b.len())))))
}

#[cfg(test)]
mod tests;
