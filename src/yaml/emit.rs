//! The output side: go-yaml v2's `Marshal` (libyaml's emitter) of a JSON value, which is
//! what kustomize prints (`sigs.k8s.io/yaml.JSONToYAML`).

use super::scalar::{is_base60_float, kustomize_float, resolve_plain, Resolved, Rules};
use serde_json::{Map, Value};

/// libyaml's preferred line width (`best_width`); go-yaml v2 keeps the default.
const BEST_WIDTH: usize = 80;
/// libyaml's `best_indent`.
const BEST_INDENT: isize = 2;
/// Longest key libyaml writes as a simple key (`key: value`); longer ones use `? key`.
const MAX_SIMPLE_KEY: usize = 128;
/// Indentation is written from this, a slice at a time.
const SPACES: &str = "                                                                ";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

#[derive(Clone, Copy, Default)]
struct Ctx {
    mapping: bool,
    simple_key: bool,
}

/// libyaml's emitter state, reduced to what block-style output of JSON values needs.
struct Emitter {
    out: String,
    /// Characters (not bytes) written on the current line.
    column: usize,
    indent: isize,
    whitespace: bool,
    indention: bool,
}

/// One document, ending in a newline, appended to `out`.
pub(crate) fn document(value: &Value, out: &mut String) {
    with_emitter(out, |e| e.node(value, Ctx::default()));
}

/// One document whose root is a mapping, appended to `out`.
pub(crate) fn mapping_document(m: &Map<String, Value>, out: &mut String) {
    with_emitter(out, |e| e.mapping(m));
}

fn with_emitter(out: &mut String, f: impl FnOnce(&mut Emitter)) {
    let mut e = Emitter {
        out: std::mem::take(out),
        column: 0,
        indent: -1,
        whitespace: true,
        indention: true,
    };
    f(&mut e);
    // DOCUMENT-END (implicit): a final line break when the line is not empty.
    e.write_indent();
    *out = e.out;
}

impl Emitter {
    fn node(&mut self, v: &Value, ctx: Ctx) {
        match v {
            Value::Null => self.plain_token("null"),
            Value::Bool(true) => self.plain_token("true"),
            Value::Bool(false) => self.plain_token("false"),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    self.plain_display(i);
                } else if let Some(u) = n.as_u64() {
                    self.plain_display(u);
                } else {
                    let f = n.as_f64().unwrap_or(0.0);
                    self.plain_token(&kustomize_float(f));
                }
            }
            Value::String(s) => self.string(s, ctx),
            Value::Array(a) => self.sequence(a, ctx),
            Value::Object(m) => self.mapping(m),
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            let n = (indent - self.column).min(SPACES.len());
            self.out.push_str(&SPACES[..n]);
            self.column += n;
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.out.push(' ');
            self.column += 1;
        }
        self.out.push_str(ind);
        self.column += ind.len();
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    /// A plain scalar known to need no analysis (null, booleans, numbers).
    fn plain_token(&mut self, s: &str) {
        if !self.whitespace {
            self.out.push(' ');
            self.column += 1;
        }
        self.out.push_str(s);
        self.column += s.len();
        self.whitespace = false;
        self.indention = false;
    }

    /// [`Self::plain_token`] for an integer, formatted straight into `out`.
    fn plain_display(&mut self, n: impl std::fmt::Display) {
        use std::fmt::Write as _;
        if !self.whitespace {
            self.out.push(' ');
            self.column += 1;
        }
        let start = self.out.len();
        // Writing to a String cannot fail.
        let _ = write!(self.out, "{n}");
        // Digits and a sign: one column per byte.
        self.column += self.out.len() - start;
        self.whitespace = false;
        self.indention = false;
    }

    fn mapping(&mut self, m: &Map<String, Value>) {
        if m.is_empty() {
            self.write_indicator("{", true, true, false);
            self.write_indicator("}", false, false, false);
            return;
        }
        let saved = self.indent;
        self.increase_indent(false, false);
        for (k, v) in sorted_entries(m) {
            self.write_indent();
            let (k, a) = prepared(k);
            let k = k.as_ref();
            if !a.multiline && k.len() <= MAX_SIMPLE_KEY {
                self.scalar(
                    k,
                    &a,
                    string_style(k, &a),
                    Ctx {
                        mapping: true,
                        simple_key: true,
                    },
                );
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                let ctx = Ctx {
                    mapping: true,
                    simple_key: false,
                };
                self.scalar(k, &a, string_style(k, &a), ctx);
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(
                v,
                Ctx {
                    mapping: true,
                    simple_key: false,
                },
            );
        }
        self.indent = saved;
    }

    fn sequence(&mut self, items: &[Value], ctx: Ctx) {
        if items.is_empty() {
            self.write_indicator("[", true, true, false);
            self.write_indicator("]", false, false, false);
            return;
        }
        let saved = self.indent;
        let indentless = ctx.mapping && !self.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, Ctx::default());
        }
        self.indent = saved;
    }

    fn string(&mut self, s: &str, ctx: Ctx) {
        let (s, a) = prepared(s);
        let s = s.as_ref();
        self.scalar(s, &a, string_style(s, &a), ctx);
    }

    /// `yaml_emitter_emit_scalar`: choose the style, then write.
    fn scalar(&mut self, s: &str, a: &Analysis, requested: Style, ctx: Ctx) {
        let mut style = requested;
        if ctx.simple_key && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && ctx.simple_key)) {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block_allowed || ctx.simple_key) {
            style = Style::Double;
        }
        let saved = self.indent;
        self.increase_indent(true, false);
        let allow_breaks = !ctx.simple_key;
        match style {
            Style::Plain => self.write_plain(s, allow_breaks),
            Style::Single => self.write_single(s, allow_breaks),
            Style::Double => self.write_double(s, allow_breaks),
            Style::Literal => self.write_literal(s),
        }
        self.indent = saved;
    }

    /// Copies one UTF-8 character.
    fn write(&mut self, s: &str, i: &mut usize) {
        let v = s.as_bytes();
        let w = width(v[*i]).min(v.len() - *i);
        if w == 1 {
            self.out.push(char::from(v[*i]));
        } else {
            // The input is a `&str`, so character boundaries are valid.
            self.out.push_str(s.get(*i..*i + w).unwrap_or("\u{FFFD}"));
        }
        self.column += 1;
        *i += w;
    }

    /// Copies the character at `i` if `ordinary` refuses it, then every following ASCII
    /// byte that `ordinary` accepts (one column each) as one slice.
    fn write_run(&mut self, s: &str, i: &mut usize, ordinary: impl Fn(u8) -> bool) {
        let v = s.as_bytes();
        if !ordinary(v[*i]) {
            self.write(s, i);
        }
        let start = *i;
        while *i < v.len() && ordinary(v[*i]) {
            *i += 1;
        }
        // `ordinary` takes ASCII bytes only, so the run ends on a character boundary.
        self.out.push_str(s.get(start..*i).unwrap_or_default());
        self.column += *i - start;
    }

    /// Copies `s[*i..end]`, ASCII without breaks (one column a byte).
    fn write_slice(&mut self, s: &str, i: &mut usize, end: usize) {
        self.out.push_str(s.get(*i..end).unwrap_or_default());
        self.column += end - *i;
        *i = end;
    }

    fn write_break(&mut self, s: &str, i: &mut usize) {
        if s.as_bytes()[*i] == b'\n' {
            self.put_break();
            *i += 1;
        } else {
            self.write(s, i);
            self.column = 0;
        }
    }

    fn write_plain(&mut self, s: &str, allow_breaks: bool) {
        let v = s.as_bytes();
        // ASCII (most text): one column a byte, and runs end only at a space or break.
        let ascii = s.is_ascii();
        if !self.whitespace {
            self.out.push(' ');
            self.column += 1;
        }
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < v.len() {
            if v[i] == b' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && v.get(i + 1) != Some(&b' ')
                {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(s, &mut i);
                }
                spaces = true;
            } else if is_break(v, i) {
                if !breaks && v[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(s, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if ascii {
                    // The same run as below, found in one search.
                    let end = word_end(&v[i..]).map_or(v.len(), |p| i + p);
                    self.write_slice(s, &mut i, end);
                } else {
                    self.write_run(s, &mut i, |c| {
                        c != b' ' && c != b'\n' && c != b'\r' && c < 0x80
                    });
                }
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single(&mut self, s: &str, allow_breaks: bool) {
        let v = s.as_bytes();
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < v.len() {
            if v[i] == b' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i < v.len() - 1
                    && v.get(i + 1) != Some(&b' ')
                {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(s, &mut i);
                }
                spaces = true;
            } else if is_break(v, i) {
                if !breaks && v[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(s, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if v[i] == b'\'' {
                    self.out.push('\'');
                    self.column += 1;
                }
                self.write(s, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double(&mut self, s: &str, allow_breaks: bool) {
        let v = s.as_bytes();
        self.write_indicator("\"", true, false, false);
        let bom = v.starts_with(&[0xEF, 0xBB, 0xBF]);
        let mut spaces = false;
        let mut i = 0;
        while i < v.len() {
            let c = v[i];
            if !is_printable(v, i) || bom || is_break(v, i) || c == b'"' || c == b'\\' {
                let w = width(c).min(v.len() - i);
                let ch = std::str::from_utf8(&v[i..i + w])
                    .ok()
                    .and_then(|s| s.chars().next())
                    .unwrap_or('\u{FFFD}');
                i += w;
                self.out.push('\\');
                self.column += 1;
                let esc = match ch {
                    '\0' => Some('0'),
                    '\u{7}' => Some('a'),
                    '\u{8}' => Some('b'),
                    '\t' => Some('t'),
                    '\n' => Some('n'),
                    '\u{b}' => Some('v'),
                    '\u{c}' => Some('f'),
                    '\r' => Some('r'),
                    '\u{1b}' => Some('e'),
                    '"' => Some('"'),
                    '\\' => Some('\\'),
                    '\u{85}' => Some('N'),
                    '\u{a0}' => Some('_'),
                    '\u{2028}' => Some('L'),
                    '\u{2029}' => Some('P'),
                    _ => None,
                };
                match esc {
                    Some(e) => {
                        self.out.push(e);
                        self.column += 1;
                    }
                    None => {
                        let cp = ch as u32;
                        let (p, digits) = if cp <= 0xFF {
                            ('x', 2)
                        } else if cp <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.out.push(p);
                        for k in (0..digits).rev() {
                            let d = (cp >> (4 * k)) & 0xF;
                            self.out
                                .push(char::from_digit(d, 16).unwrap_or('0').to_ascii_uppercase());
                        }
                        self.column += 1 + digits;
                    }
                }
                spaces = false;
            } else if c == b' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i < v.len() - 1 {
                    self.write_indent();
                    if v.get(i + 1) == Some(&b' ') {
                        self.out.push('\\');
                        self.column += 1;
                    }
                    i += 1;
                } else {
                    self.write(s, &mut i);
                }
                spaces = true;
            } else {
                self.write_run(s, &mut i, |c| {
                    (0x21..=0x7E).contains(&c) && c != b'"' && c != b'\\' && !bom
                });
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, s: &str) {
        let v = s.as_bytes();
        // ASCII (most text): one column a byte, and a line ends only at `\n` or `\r`.
        let ascii = s.is_ascii();
        self.write_indicator("|", true, false, false);
        // Block scalar hints.
        if v.first() == Some(&b' ') || is_break(v, 0) {
            self.write_indicator("2", false, false, false);
        }
        let chomp = if v.is_empty() {
            Some("-")
        } else {
            let mut i = v.len() - 1;
            while i > 0 && v[i] & 0xC0 == 0x80 {
                i -= 1;
            }
            if !is_break(v, i) {
                Some("-")
            } else if i == 0 {
                Some("+")
            } else {
                i -= 1;
                while i > 0 && v[i] & 0xC0 == 0x80 {
                    i -= 1;
                }
                is_break(v, i).then_some("+")
            }
        };
        if let Some(c) = chomp {
            self.write_indicator(c, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        let mut i = 0;
        while i < v.len() {
            if is_break(v, i) {
                self.write_break(s, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if ascii {
                    // The same run as below, found in one search.
                    let end = line_end(&v[i..]).map_or(v.len(), |p| i + p);
                    self.write_slice(s, &mut i, end);
                } else {
                    self.write_run(s, &mut i, |c| c != b'\n' && c != b'\r' && c < 0x80);
                }
                self.indention = false;
                breaks = false;
            }
        }
    }
}

/// A string as go-yaml v2 reads it back (NEL folded), with its analysis. Most strings
/// are ASCII, which holds no NEL and takes [`analyze_ascii`].
fn prepared(s: &str) -> (std::borrow::Cow<'_, str>, Analysis) {
    if s.is_ascii() {
        (std::borrow::Cow::Borrowed(s), analyze_ascii(s.as_bytes()))
    } else {
        let s = nel_folded(s);
        let a = analyze(&s);
        (s, a)
    }
}

fn nel_folded(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\u{85}') {
        std::borrow::Cow::Owned(fold_nel(s))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// `json.Marshal` leaves U+0085 (NEL) raw in a JSON string, and go-yaml v2 reads it back
/// as a line break inside a double-quoted scalar: folded like YAML folds line breaks
/// (spaces around the breaks dropped; one break becomes a space, n breaks n-1 newlines).
fn fold_nel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('\u{85}') {
        out.push_str(rest[..pos].trim_end_matches(' '));
        let mut breaks = 0;
        let mut tail = &rest[pos..];
        loop {
            let t = tail.trim_start_matches(' ');
            match t.strip_prefix('\u{85}') {
                Some(after) => {
                    breaks += 1;
                    tail = after;
                }
                None => {
                    tail = t;
                    break;
                }
            }
        }
        if breaks == 1 {
            out.push(' ');
        } else {
            for _ in 1..breaks {
                out.push('\n');
            }
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// kustomize writes every object back to YAML with go-yaml v3 (keeping each scalar's
/// style) and reads it again before printing. For folded (`>`) scalars that is not a
/// round trip: v3's folded writer decides whether to add the blank line that keeps a line
/// break by looking at the first line of the value instead of the next line (`k := 0`).
/// This gives the string kustomize ends up with for a folded scalar read as `v`.
pub(crate) fn v3_folded_round_trip(v: &str) -> String {
    let b = v.as_bytes();
    if !analyze(v).block_allowed {
        // Written double-quoted instead: a true round trip.
        return v.to_string();
    }
    // 1. What go-yaml v3 writes (content lines; indentation left out).
    let mut k = 0;
    while k < b.len() && is_break(b, k) {
        k += width(b[k]);
    }
    let extra = !is_blankz(b, k);
    let mut body = String::with_capacity(v.len() + 16);
    let (mut breaks, mut leading_spaces) = (true, true);
    for c in v.chars() {
        if matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}') {
            if !breaks && !leading_spaces && c == '\n' && extra {
                body.push('\n');
            }
            breaks = true;
        } else {
            if breaks {
                leading_spaces = c == ' ' || c == '\t';
            }
            breaks = false;
        }
        body.push(c);
    }
    // Chomping indicator from the block scalar hints.
    let ends_break = v.ends_with(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']);
    let before = v.chars().rev().nth(1);
    let is_brk =
        |c: Option<char>| matches!(c, Some('\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'));
    let strip = !ends_break;
    let keep = ends_break && (before.is_none() || is_brk(before));
    // 2. What go-yaml v3 reads back (libyaml's folded block scalar scanner).
    let norm = |c: char| {
        if matches!(c, '\u{2028}' | '\u{2029}') {
            c
        } else {
            '\n'
        }
    };
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, c) in body.char_indices() {
        if matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}') {
            lines.push((&body[start..i], Some(norm(c))));
            start = i + c.len_utf8();
        }
    }
    lines.push((&body[start..], None));
    let mut out = String::with_capacity(v.len());
    let mut leading_break = String::new();
    let mut trailing_breaks = String::new();
    let mut leading_blank = false;
    for (content, brk) in lines {
        if content.is_empty() {
            if let Some(c) = brk {
                trailing_breaks.push(c);
            }
            continue;
        }
        let trailing_blank = content.starts_with([' ', '\t']);
        if !leading_blank && !trailing_blank && leading_break == "\n" {
            if trailing_breaks.is_empty() {
                out.push(' ');
            }
        } else {
            out.push_str(&leading_break);
        }
        leading_break.clear();
        out.push_str(&trailing_breaks);
        trailing_breaks.clear();
        leading_blank = trailing_blank;
        out.push_str(content);
        if let Some(c) = brk {
            leading_break.push(c);
        }
    }
    if !strip {
        out.push_str(&leading_break);
    }
    if keep {
        out.push_str(&trailing_breaks);
    }
    out
}

/// go-yaml v2 `stringv`: the style asked of the emitter for a string (`a` is its
/// analysis: a line feed makes it multi-line, so most strings skip the search).
fn string_style(s: &str, a: &Analysis) -> Style {
    if a.multiline && s.contains('\n') {
        Style::Literal
    } else if resolve_plain(s, Rules::V2) == Resolved::Str && !is_base60_float(s) {
        Style::Plain
    } else {
        Style::Double
    }
}

fn width(c: u8) -> usize {
    if c & 0x80 == 0 {
        1
    } else if c & 0xE0 == 0xC0 {
        2
    } else if c & 0xF0 == 0xE0 {
        3
    } else if c & 0xF8 == 0xF0 {
        4
    } else {
        1
    }
}

fn at(v: &[u8], i: usize) -> u8 {
    v.get(i).copied().unwrap_or(0)
}

fn is_break(v: &[u8], i: usize) -> bool {
    let c = at(v, i);
    c == b'\r'
        || c == b'\n'
        || (c == 0xC2 && at(v, i + 1) == 0x85)
        || (c == 0xE2 && at(v, i + 1) == 0x80 && matches!(at(v, i + 2), 0xA8 | 0xA9))
}

fn is_blank(v: &[u8], i: usize) -> bool {
    matches!(at(v, i), b' ' | b'\t')
}

fn is_blankz(v: &[u8], i: usize) -> bool {
    is_blank(v, i) || is_break(v, i) || i >= v.len() || v[i] == 0
}

/// libyaml `is_printable` (note: tab, and every character outside the BMP, are not).
fn is_printable(v: &[u8], i: usize) -> bool {
    let c = at(v, i);
    let c1 = at(v, i + 1);
    let c2 = at(v, i + 2);
    c == 0x0A
        || (0x20..=0x7E).contains(&c)
        || (c == 0xC2 && c1 >= 0xA0)
        || (c > 0xC2 && c < 0xED)
        || (c == 0xED && c1 < 0xA0)
        || c == 0xEE
        || (c == 0xEF && !(c1 == 0xBB && c2 == 0xBF) && !(c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF)))
}

/// What `yaml_emitter_analyze_scalar` finds out about a scalar.
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn analyze(s: &str) -> Analysis {
    let v = s.as_bytes();
    if v.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = v.starts_with(b"---") || v.starts_with(b"...");
    let mut line_breaks = false;
    let mut special = false;
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let mut i = 0;
    while i < v.len() {
        let c = v[i];
        let w = width(c);
        let followed_by_whitespace = i + w >= v.len() || is_blank(v, i + w);
        if i == 0 {
            match c {
                b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>'
                | b'\'' | b'"' | b'%' | b'@' | b'`' => block_indicators = true,
                b'?' | b':' | b'-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                b':' if followed_by_whitespace => block_indicators = true,
                b'#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(v, i) {
            special = true;
        }
        if c == b' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + w == v.len() {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(v, i) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + w == v.len() {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(v, i);
        i += w;
    }
    Findings {
        block_indicators,
        line_breaks,
        special,
        leading_space,
        leading_break,
        trailing_space,
        trailing_break,
        break_space,
        space_break,
    }
    .verdict()
}

/// What the scan of a scalar notes, before [`Findings::verdict`] decides the styles.
struct Findings {
    block_indicators: bool,
    line_breaks: bool,
    special: bool,
    leading_space: bool,
    leading_break: bool,
    trailing_space: bool,
    trailing_break: bool,
    break_space: bool,
    space_break: bool,
}

impl Findings {
    fn verdict(&self) -> Analysis {
        let mut a = Analysis {
            multiline: self.line_breaks,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: true,
        };
        if self.leading_space || self.leading_break || self.trailing_space || self.trailing_break {
            a.block_plain_allowed = false;
        }
        if self.trailing_space {
            a.block_allowed = false;
        }
        if self.break_space {
            a.block_plain_allowed = false;
            a.single_quoted_allowed = false;
        }
        if self.space_break || self.special {
            a.block_plain_allowed = false;
            a.single_quoted_allowed = false;
            a.block_allowed = false;
        }
        if self.line_breaks || self.block_indicators {
            a.block_plain_allowed = false;
        }
        a
    }
}

/// [`analyze`] for a scalar of ASCII bytes only (most of what strata prints: names,
/// labels, images, descriptions), by scans instead of a walk character by character.
/// In ASCII a line break is `\n` or `\r`, a blank is a space or a tab, and only `\n` and
/// `' '..='~'` are printable; the other findings depend only on the bytes next to a break,
/// a `:` or a `#`, which `memchr` finds. The tests in this module hold the two to the
/// same answers.
fn analyze_ascii(v: &[u8]) -> Analysis {
    debug_assert!(v.is_ascii());
    let n = v.len();
    let (Some(&first), Some(&last)) = (v.first(), v.last()) else {
        return analyze("");
    };
    let blank = |c: u8| c == b' ' || c == b'\t';
    let followed_by_whitespace = |i: usize| i + 1 >= n || blank(v[i + 1]);
    let is_break = |c: u8| c == b'\n' || c == b'\r';
    let mut block_indicators = v.starts_with(b"---")
        || v.starts_with(b"...")
        || match first {
            b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
            | b'"' | b'%' | b'@' | b'`' => true,
            b'?' | b':' | b'-' => followed_by_whitespace(0),
            _ => false,
        };
    // Inside, `:` before a blank (or at the end) and `#` after whitespace (libyaml's
    // `is_blankz`: a blank, a break or NUL).
    let mut indicator_at = |i: usize| {
        block_indicators |= i > 0
            && if v[i] == b':' {
                followed_by_whitespace(i)
            } else {
                blank(v[i - 1]) || is_break(v[i - 1]) || v[i - 1] == 0
            };
    };
    let (mut line_breaks, mut break_space, mut space_break) = (false, false, false);
    let mut break_at = |i: usize| {
        line_breaks = true;
        break_space |= v.get(i + 1) == Some(&b' ');
        space_break |= i > 0 && v[i - 1] == b' ';
    };
    // Not printable: tabs, control characters (`\r` too) and DEL.
    let printable = |c: u8| c == b'\n' || (b' '..=b'~').contains(&c);
    let mut special = false;
    if n < SHORT {
        // One pass: `memchr`'s set-up costs more than the scan of a short key or word.
        for (i, &c) in v.iter().enumerate() {
            match c {
                b':' | b'#' => indicator_at(i),
                b'\n' | b'\r' => break_at(i),
                _ => {}
            }
            special |= !printable(c);
        }
    } else {
        memchr::memchr2_iter(b':', b'#', v).for_each(indicator_at);
        memchr::memchr2_iter(b'\n', b'\r', v).for_each(break_at);
        // A fold, not `any`, so that it vectorises.
        special = v.iter().fold(false, |acc, &c| acc | !printable(c));
    }
    Findings {
        block_indicators,
        line_breaks,
        special,
        leading_space: first == b' ',
        leading_break: is_break(first),
        trailing_space: last == b' ',
        trailing_break: is_break(last),
        break_space,
        space_break,
    }
    .verdict()
}

/// Below this length a plain loop finds bytes faster than `memchr`, whose set-up costs
/// more than the scan of a short key or word.
const SHORT: usize = 32;

/// Where the line starting `v` ends (the first `\n` or `\r`), for ASCII text.
fn line_end(v: &[u8]) -> Option<usize> {
    if v.len() < SHORT {
        v.iter().position(|&c| c == b'\n' || c == b'\r')
    } else {
        memchr::memchr2(b'\n', b'\r', v)
    }
}

/// Where the word starting `v` ends (the first space, `\n` or `\r`), for ASCII text:
/// a plain loop over the first [`SHORT`] bytes, where most words end, `memchr` past them.
fn word_end(v: &[u8]) -> Option<usize> {
    let head = &v[..v.len().min(SHORT)];
    let end = |c: &u8| matches!(c, b' ' | b'\n' | b'\r');
    if let Some(p) = head.iter().position(end) {
        return Some(p);
    }
    match &v[head.len()..] {
        [] => None,
        rest => memchr::memchr3(b' ', b'\n', b'\r', rest).map(|p| head.len() + p),
    }
}

/// The entries of a mapping in go-yaml v2's key order (`keyList.Less`).
fn sorted_entries(m: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = m.iter().collect();
    if entries.iter().all(|(k, _)| k.is_ascii()) {
        sort_by_less(&mut entries, |a, b| {
            key_less(a.0.as_bytes(), b.0.as_bytes())
        });
    } else {
        let mut keyed: Vec<(Vec<char>, (&String, &Value))> = entries
            .iter()
            .map(|e| (e.0.chars().collect(), *e))
            .collect();
        sort_by_less(&mut keyed, |a, b| key_less(&a.0, &b.0));
        entries = keyed.into_iter().map(|(_, e)| e).collect();
    }
    entries
}

/// A stable merge sort that only needs a `less` function (and never panics, whatever
/// `less` does; go-yaml's order is not guaranteed to be a total order for odd keys).
fn sort_by_less<T: Clone>(v: &mut [T], less: impl Fn(&T, &T) -> bool + Copy) {
    if v.len() <= 12 {
        for i in 1..v.len() {
            let mut j = i;
            while j > 0 && less(&v[j], &v[j - 1]) {
                v.swap(j, j - 1);
                j -= 1;
            }
        }
        return;
    }
    let mid = v.len() / 2;
    sort_by_less(&mut v[..mid], less);
    sort_by_less(&mut v[mid..], less);
    let left = v[..mid].to_vec();
    let right = v[mid..].to_vec();
    let (mut i, mut j, mut k) = (0, 0, 0);
    while i < left.len() && j < right.len() {
        if less(&right[j], &left[i]) {
            v[k] = right[j].clone();
            j += 1;
        } else {
            v[k] = left[i].clone();
            i += 1;
        }
        k += 1;
    }
    for x in left[i..].iter().chain(&right[j..]) {
        v[k] = x.clone();
        k += 1;
    }
}

trait Rune: Copy + PartialEq + PartialOrd {
    fn code(self) -> u32;
}
impl Rune for u8 {
    fn code(self) -> u32 {
        u32::from(self)
    }
}
impl Rune for char {
    fn code(self) -> u32 {
        self as u32
    }
}

fn is_letter(c: u32) -> bool {
    if c < 0x80 {
        (c as u8).is_ascii_alphabetic()
    } else {
        char::from_u32(c).is_some_and(char::is_alphabetic)
    }
}

fn is_digit(c: u32) -> bool {
    if c < 0x80 {
        (c as u8).is_ascii_digit()
    } else {
        char::from_u32(c).is_some_and(char::is_numeric)
    }
}

/// go-yaml v2 `keyList.Less` for two string keys: digit runs compare as numbers, and a
/// non-letter sorts before a letter.
fn key_less<T: Rune>(a: &[T], b: &[T]) -> bool {
    let n = a.len().min(b.len());
    for i in 0..n {
        if a[i] == b[i] {
            continue;
        }
        let (ac, bc) = (a[i].code(), b[i].code());
        let (al, bl) = (is_letter(ac), is_letter(bc));
        if al && bl {
            return ac < bc;
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ac == u32::from(b'0') || bc == u32::from(b'0') {
            let mut j = i;
            while j > 0 && is_digit(a[j - 1].code()) {
                j -= 1;
                if a[j].code() != u32::from(b'0') {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < a.len() && is_digit(a[ai].code()) {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(a[ai].code()) - 48);
            ai += 1;
        }
        let mut bi = i;
        while bi < b.len() && is_digit(b[bi].code()) {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(b[bi].code()) - 48);
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ac < bc;
    }
    a.len() < b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(keys: &[&str]) -> Vec<String> {
        let m: Map<String, Value> = keys.iter().map(|k| (k.to_string(), Value::Null)).collect();
        sorted_entries(&m)
            .into_iter()
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The analysis fields, comparable.
    fn fields(a: &Analysis) -> [bool; 4] {
        [
            a.multiline,
            a.block_plain_allowed,
            a.single_quoted_allowed,
            a.block_allowed,
        ]
    }

    /// What the emitter decides for a string on the full (libyaml) path: the text it
    /// writes, the analysis and the style asked for.
    fn full_path(s: &str) -> (String, [bool; 4], Style) {
        let s = nel_folded(s).into_owned();
        let a = analyze(&s);
        let style = if s.contains('\n') {
            Style::Literal
        } else if resolve_plain(&s, Rules::V2) == Resolved::Str && !is_base60_float(&s) {
            Style::Plain
        } else {
            Style::Double
        };
        (s, fields(&a), style)
    }

    fn assert_same_decision(s: &str) {
        let (text, a) = prepared(s);
        let fast = (text.to_string(), fields(&a), string_style(&text, &a));
        assert_eq!(fast, full_path(s), "{s:?}");
    }

    /// Bytes that change libyaml's analysis, and a letter and a digit.
    const TRICKY: &[u8] = b" \t\n\r:#-?.,'\"[{!|>%@`&*~0a\x00\x0b\x7f";

    #[test]
    fn ascii_analysis_matches_the_full_one_on_every_short_string() {
        // Every string of up to 3 bytes over the tricky alphabet, and of 4 bytes over its
        // first 12 (all 4-byte strings are too many for an unoptimised test build).
        let mut buf = Vec::new();
        for len in 0..=3 {
            let mut idx = vec![0usize; len];
            loop {
                buf.clear();
                buf.extend(idx.iter().map(|&i| TRICKY[i]));
                let s = std::str::from_utf8(&buf).unwrap();
                assert_eq!(fields(&analyze_ascii(&buf)), fields(&analyze(s)), "{s:?}");
                // Odometer over the alphabet.
                let mut k = 0;
                while k < len && idx[k] + 1 == TRICKY.len() {
                    idx[k] = 0;
                    k += 1;
                }
                if k == len {
                    break;
                }
                idx[k] += 1;
            }
        }
        for a in &TRICKY[..12] {
            for b in &TRICKY[..12] {
                for c in &TRICKY[..12] {
                    for d in &TRICKY[..12] {
                        let v = [*a, *b, *c, *d];
                        let s = std::str::from_utf8(&v).unwrap();
                        assert_eq!(fields(&analyze_ascii(&v)), fields(&analyze(s)), "{s:?}");
                    }
                }
            }
        }
        // Every ASCII byte alone and in every pair.
        for a in 0u8..0x80 {
            for b in 0u8..0x80 {
                for v in [&[a][..], &[a, b][..]] {
                    let s = std::str::from_utf8(v).unwrap();
                    assert_eq!(fields(&analyze_ascii(v)), fields(&analyze(s)), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn fast_path_decides_as_the_full_path_on_generated_strings() {
        // Words, spaces and indicators in random order, seeded: long lines that fold,
        // `: ` and ` #` inside, breaks next to spaces, numbers, YAML 1.1 words.
        let pieces = [
            " ",
            "  ",
            "\t",
            "\n",
            "\r\n",
            ":",
            ": ",
            " #",
            "#",
            "- ",
            "? ",
            "---",
            "...",
            "'",
            "\"",
            "a",
            "word",
            "Description",
            "0",
            "12",
            "1.5",
            "0x1F",
            "1e3",
            "1:20",
            "on",
            "yes",
            "No",
            "null",
            "~",
            "true",
            "2001-12-14",
            "<<",
            "=",
            "\u{85}",
            "\u{e9}",
            "\u{2028}",
            "\u{1F600}",
            "\u{a0}",
            "\u{feff}",
            "\x00",
            "\x7f",
            "averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword",
        ];
        let mut rng = crate::test_rng::Rng(0x9E37_79B9_7F4A_7C15);
        let mut next = move || rng.next();
        for _ in 0..20_000 {
            let n = (next() % 40) as usize;
            let mut s = String::new();
            for _ in 0..n {
                // Mostly ASCII, so the fast path is what is tested.
                let p = pieces[(next() % pieces.len() as u64) as usize];
                if p.is_ascii() || next() % 4 == 0 {
                    s.push_str(p);
                }
            }
            assert_same_decision(&s);
        }
    }

    #[test]
    fn fast_path_decides_as_the_full_path_on_tricky_strings() {
        let long = "x".repeat(200);
        let cases = [
            "",
            " ",
            "a",
            " a",
            "a ",
            " a ",
            "a: b",
            "a:b",
            "a:",
            ":a",
            ": a",
            "a #b",
            "a#b",
            "#a",
            "- a",
            "-a",
            "-",
            "? a",
            "?a",
            "--- a",
            "---",
            "...",
            "..a",
            "'a'",
            "\"a\"",
            "[a]",
            "{a}",
            "&a",
            "*a",
            "!a",
            "|a",
            ">a",
            "%a",
            "@a",
            "`a",
            ",a",
            "a\tb",
            "\ta",
            "a\n",
            "\na",
            "a\nb",
            "a \nb",
            "a\n b",
            "a\r\nb",
            "a\rb",
            "\u{e9}t\u{e9}",
            "a\u{85}b",
            "a \u{85} \u{85}b",
            "\u{85}",
            "a\u{2028}b",
            "\u{1F600}",
            "\u{feff}a",
            "123",
            "-1",
            "1.5",
            "1e3",
            "0x1F",
            "0o17",
            "1:20",
            "1_000",
            "true",
            "True",
            "no",
            "on",
            "yes",
            "Y",
            "null",
            "~",
            "2001-12-14",
            ".inf",
            "<<",
            "=",
            &long,
        ];
        for s in cases {
            assert_same_decision(s);
        }
    }

    fn emitted(s: &str) -> String {
        let mut out = String::new();
        let v = serde_json::json!({ "a": { "key": s, "list": [s] }, s: "value" });
        document(&v, &mut out);
        out
    }

    #[test]
    fn ascii_writes_match_the_character_by_character_ones() {
        // An ASCII string and the same string with one letter made non-ASCII (`é`, which
        // changes neither the analysis nor the style) take the two write paths; their
        // output must differ only by that letter.
        let pieces = [
            " ",
            "  ",
            "\n",
            "\n\n",
            "\r",
            "\t",
            ": ",
            " #",
            "x",
            "word",
            "Description",
            "- ",
            "'",
            "\"",
            "\\",
            "1",
            "averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword",
        ];
        let mut rng = crate::test_rng::Rng(0x2545_F491_4F6C_DD1D);
        let mut next = move || rng.next();
        let mut checked = 0;
        for _ in 0..5_000 {
            let n = (next() % 60) as usize;
            let s: String = (0..n)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            let Some(at) = s
                .rfind(|c: char| c.is_ascii_alphabetic())
                .filter(|&i| i > 0)
            else {
                continue;
            };
            let letter = &s[at..at + 1];
            let t = format!("{}\u{e9}{}", &s[..at], &s[at + 1..]);
            // (A key one byte longer than the longest simple key is written `? key`.)
            if s.len() == MAX_SIMPLE_KEY
                || string_style(&s, &prepared(&s).1) != string_style(&t, &prepared(&t).1)
            {
                continue;
            }
            assert_eq!(emitted(&t).replace('\u{e9}', letter), emitted(&s), "{s:?}");
            checked += 1;
        }
        assert!(checked > 1_000, "{checked}");
    }

    #[test]
    fn key_order_is_go_yaml_v2() {
        // Order taken from kubectl kustomize output (testdata/structure.kustomize.yaml).
        let want = [
            "", "-x", "_x", "~", "1", "2", "10", "A", "Z", "a", "a b", "a-b", "a_b", "a0", "a00",
            "a1", "a01", "a001", "a9", "a10", "aB", "ab", "b9z", "b10b", "b10c", "k-io/x",
            "k.io/X", "k.io/x", "k_io", "k0", "k00", "k000", "k01", "k001", "k10", "k010", "v1.2",
            "v1.9", "v1.10", "x:", "x00y", "x0y", "yes", "z", "\u{e9}",
        ];
        let mut shuffled = want.to_vec();
        shuffled.reverse();
        shuffled.rotate_left(7);
        assert_eq!(sorted(&shuffled), want);
    }
}
