//! Go `text/template` syntax: text and `{{ }}` actions (with `{{-`/`-}}` trimming and
//! `/* */` comments) into a tree of nodes; `define` and `block` add named templates.

use super::{MAX_NESTING, MAX_PARENS};
use crate::memo::ByContent;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// Where a node starts in its template: for `template: NAME:LINE:COL:` messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// A piece of a template's source, sharing the source: text is printed from the
/// source itself and an action's text is only read for messages, so neither is copied.
#[derive(Clone)]
pub struct Span {
    /// The template's text as the chart holds it, behind a thin pointer (a span stays
    /// 16 bytes).
    src: Arc<Arc<str>>,
    start: u32,
    end: u32,
}

impl Span {
    pub fn as_str(&self) -> &str {
        &self.src[self.start as usize..self.end as usize]
    }

    /// A span of its own text (a string literal with escapes decoded).
    fn owned(text: String) -> Span {
        let end = text.len() as u32;
        Span {
            src: Arc::new(Arc::from(text)),
            start: 0,
            end,
        }
    }
}

impl AsRef<str> for Span {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::ops::Deref for Span {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// A node of a template. Kept small (every piece of text is one): the big variants
/// are boxed.
#[derive(Debug)]
pub enum Node {
    /// Text printed as it is, with the line its first byte is on.
    Text(Span, u32),
    /// `{{ pipeline }}`: prints its value unless the pipeline declares variables.
    Action(Box<Pipe>),
    If(Box<Branch>),
    With(Box<Branch>),
    Range(Box<Branch>),
    Template(Box<TemplateCall>),
    Break(Pos),
    Continue(Pos),
}

/// `{{template "name" pipeline}}` (and where a `block` stands).
#[derive(Debug)]
pub struct TemplateCall {
    pub pos: Pos,
    pub name: String,
    pub pipe: Option<Pipe>,
}

/// `if`, `with`, `range`: the pipeline, the body and the `else` body (`else if` is
/// an `else` body holding one `if`).
#[derive(Debug)]
pub struct Branch {
    pub pipe: Pipe,
    pub body: Box<[Node]>,
    pub else_body: Box<[Node]>,
}

#[derive(Debug)]
pub struct Pipe {
    pub pos: Pos,
    /// The action's source, or the parenthesized pipeline's (see [`Pipe::text`]).
    source: Span,
    /// Parenthesized: its text is written from its tokens.
    paren: bool,
    /// Variables declared (`$x :=`) or assigned (`$x =`); two for `range $i, $v :=`.
    pub decl: Box<[Span]>,
    pub is_assign: bool,
    pub cmds: Box<[Command]>,
}

impl Pipe {
    /// The pipeline's text for `executing "NAME" at <...>` messages: an action's source
    /// as written, a parenthesized pipeline's tokens separated by one space (none inside
    /// an inner `(f x)` or before a chained `.b`), numbers in decimal and strings quoted.
    /// Written only when a message needs it, by lexing again.
    pub fn text(&self) -> String {
        if !self.paren {
            return self.source.to_string();
        }
        let src: &str = &self.source.src;
        let mut items = Vec::new();
        match lex_action(
            src,
            self.source.start as usize,
            self.source.end as usize,
            &mut items,
            0,
            LineAt { line: 0, start: 0 },
            "",
        ) {
            Ok(_) => tokens_text(src, &items),
            // The same text lexed when it was parsed.
            Err(_) => self.source.to_string(),
        }
    }
}

#[derive(Debug)]
pub struct Command {
    pub pos: Pos,
    /// Each argument with where it starts (an error names the argument at fault).
    pub args: Box<[(Pos, Arg)]>,
}

/// An operand. Names and strings are spans of the source (no allocation each), and
/// field chains are kept as written (`.A.B`, `$x.A.B`): names never contain a dot,
/// and messages quote them as written.
#[derive(Debug)]
pub enum Arg {
    /// `.`
    Dot,
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(Span),
    /// `.A.B`
    Field(Span),
    /// `$x.A.B` (`$` alone is the root): the variable is up to the first dot.
    Variable(Span),
    /// A function name.
    Ident(Span),
    /// `(pipeline).A.B`, with the chain (`.A.B`, or empty).
    Pipe(Box<Pipe>, Span),
}

/// The first function the template names, in source order, that `known` does not
/// know: where, and its name. Go's parser refuses such a template even where the call
/// would never run.
pub fn unknown_function(parsed: &Parsed, known: &dyn Fn(&str) -> bool) -> Option<(Pos, String)> {
    let mut first: Option<(Pos, String)> = None;
    functions_named(parsed, &mut |pos, name| {
        if !known(name)
            && first
                .as_ref()
                .is_none_or(|(p, _)| (pos.line, pos.col) < (p.line, p.col))
        {
            first = Some((pos, name.to_string()));
        }
    });
    first
}

/// Every function the template names (its body's and its `define`s'), with where,
/// whether or not a render would call it.
pub fn functions_named(parsed: &Parsed, f: &mut dyn FnMut(Pos, &str)) {
    walk_nodes(&parsed.body, f);
    for body in parsed.defines.values() {
        walk_nodes(body, f);
    }
}

fn walk_nodes(nodes: &[Node], f: &mut dyn FnMut(Pos, &str)) {
    for node in nodes {
        match node {
            Node::Action(p) => walk_pipe(p, f),
            Node::If(b) | Node::With(b) | Node::Range(b) => {
                walk_pipe(&b.pipe, f);
                walk_nodes(&b.body, f);
                walk_nodes(&b.else_body, f);
            }
            Node::Template(t) => {
                if let Some(p) = &t.pipe {
                    walk_pipe(p, f);
                }
            }
            Node::Text(..) | Node::Break(_) | Node::Continue(_) => {}
        }
    }
}

fn walk_pipe(pipe: &Pipe, f: &mut dyn FnMut(Pos, &str)) {
    for (pos, arg) in pipe.cmds.iter().flat_map(|c| c.args.iter()) {
        match arg {
            Arg::Ident(name) => f(*pos, name),
            Arg::Pipe(p, _) => walk_pipe(p, f),
            _ => {}
        }
    }
}

/// The names of a chain written `.A.B` (after its variable, if any): `A`, `B`.
pub fn chain_names(chain: &str) -> ChainNames<'_> {
    ChainNames {
        rest: dot(chain).map(|d| &chain[d + 1..]),
    }
}

/// The names of a chain, found by their dots' bytes: a chain is read on every
/// evaluation of every field, and `str::split` by a character ran a searcher per name.
pub struct ChainNames<'a> {
    rest: Option<&'a str>,
}

impl<'a> Iterator for ChainNames<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        let (name, tail) = match dot(rest) {
            Some(d) => (&rest[..d], Some(&rest[d + 1..])),
            None => (rest, None),
        };
        self.rest = tail;
        Some(name)
    }
}

/// Where the first `.` of `s` is (one byte: slicing there keeps characters whole).
fn dot(s: &str) -> Option<usize> {
    s.bytes().position(|c| c == b'.')
}

/// A variable operand split into the variable and its chain: `$x.A` is `$x`, `.A`.
pub fn split_variable(v: &str) -> (&str, &str) {
    v.split_at(dot(v).unwrap_or(v.len()))
}

/// A parsed template file: its main body and the templates it defines.
#[derive(Debug)]
pub struct Parsed {
    pub body: Arc<[Node]>,
    pub defines: BTreeMap<String, Arc<[Node]>>,
}

/// A parse error: `template: NAME:LINE: message`, as Go words it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub name: String,
    pub line: u32,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "template: {}:{}: {}", self.name, self.line, self.message)
    }
}

/// Parses one template file called `name`.
pub fn parse(name: &str, src: &str) -> Result<Parsed, ParseError> {
    parse_text(name, &Arc::from(src))
}

/// [`parse`] of text held shared: the tree's spans share it, not a copy of it.
pub fn parse_text(name: &str, text: &Arc<str>) -> Result<Parsed, ParseError> {
    let src: &str = text;
    let mut p = Parser {
        name,
        src,
        source: Arc::new(text.clone()),
        lexer: Lexer::new(name, src),
        items: Vec::new(),
        last: None,
        at: 0,
        defines: BTreeMap::new(),
        range_depth: 0,
        nesting: 0,
        parens: 0,
        nodes: Vec::new(),
        cmds: Vec::new(),
        args: Vec::new(),
    };
    let (body, end) = p.list()?;
    if let Some(end) = end {
        return Err(p.err(end.line, format!("unexpected {{{{{}}}}}", end.word)));
    }
    Ok(Parsed {
        body,
        defines: p.defines,
    })
}

/// [`parse`], or the tree parsed before from the same text in this command: a fleet
/// renders the same chart for many clusters, and a chart calls `tpl` with the same
/// strings in many templates. A tree does not depend on the template's name (only
/// errors name it, and errors are not kept).
pub fn parse_shared(name: &str, src: &str) -> Result<Arc<Parsed>, ParseError> {
    static SHARED: LazyLock<ByContent<Arc<Parsed>>> = LazyLock::new(ByContent::default);
    SHARED.get_or_try(src.as_bytes(), || parse(name, src).map(Arc::new))
}

// ---------------------------------------------------------------- lexing

/// A token's kind; its text is the source between the item's `start` and `end`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    /// Text, with the line of its first byte (after trimming).
    Text(u32),
    /// The start of an action; its text is the action's source (between the delimiters).
    Open,
    Close,
    Word,
    /// `.name`, the dot included.
    Field,
    /// A field written right after a field, variable or `)`: `.b` in `.a.b`, `$x.b`, `(f).b`.
    Chained,
    Var,
    /// A quoted string, quotes included; `true` when it has escapes to decode.
    Str(bool),
    Int(i64),
    Float(f64),
    Char(i64),
    Pipe,
    LParen,
    RParen,
    Declare,
    Assign,
    Comma,
    Dot,
}

#[derive(Debug, Clone, Copy)]
struct Item {
    tok: Tok,
    pos: Pos,
    start: u32,
    end: u32,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// `s` without the spaces a trim marker removes at its start: bytes, not characters
/// (a space is one byte; decoding each character cost more than the search).
fn trim_spaces_start(s: &str) -> &str {
    let n = s.bytes().take_while(|&c| is_space(c)).count();
    &s[n..]
}

/// `s` without the spaces a trim marker removes at its end.
fn trim_spaces_end(s: &str) -> &str {
    let n = s.bytes().rev().take_while(|&c| is_space(c)).count();
    &s[..s.len() - n]
}

/// Bytes of names (functions, fields, variables): looked up, as most of an action is names.
static NAME_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = (c as u8).is_ascii_alphanumeric() || c == b'_' as usize || c >= 0x80;
        c += 1;
    }
    t
};

fn is_name_byte(c: u8) -> bool {
    NAME_BYTES[c as usize]
}

/// Where the next `{{` starts at or after `from` (or the end). A search for the pair:
/// `{` alone is common in text (a Grafana dashboard's JSON is mostly braces).
fn find_open(b: &[u8], from: usize) -> usize {
    static OPEN: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"{{"));
    OPEN.find(&b[from..]).map_or(b.len(), |x| from + x)
}

/// The line breaks in `b`: a loop the compiler vectorises, where a search stopped at
/// each of a template's thousands of lines. Counted a block at a time into a byte, so
/// that the compiler compares and adds 16 bytes per instruction (a count straight into
/// a `usize` widens each byte first: 4 bytes per step).
fn newlines(b: &[u8]) -> u32 {
    let mut blocks = b.chunks_exact(128);
    let mut n = 0u32;
    for block in &mut blocks {
        n += u32::from(block.iter().map(|&c| u8::from(c == b'\n')).sum::<u8>());
    }
    n + blocks.remainder().iter().filter(|&&c| c == b'\n').count() as u32
}

/// The tokens of a template, a piece at a time: the text up to the next action and that
/// action's tokens. The parser asks for the next piece when it has used the last, so the
/// tokens of a megabyte template are never all held at once, and an error is met where
/// Go's parser meets it: after what comes before it has parsed.
struct Lexer<'s> {
    name: &'s str,
    src: &'s str,
    i: usize,
    line: u32,
    line_start: usize,
    /// The last action ended with `-}}`: the next text loses its leading spaces.
    trim_next: bool,
}

impl<'s> Lexer<'s> {
    fn new(name: &'s str, src: &'s str) -> Self {
        Lexer {
            name,
            src,
            i: 0,
            line: 1,
            line_start: 0,
            trim_next: false,
        }
    }

    fn done(&self) -> bool {
        self.i >= self.src.len()
    }

    fn err(&self, line: u32, message: String) -> ParseError {
        ParseError {
            name: self.name.to_string(),
            line,
            message,
        }
    }

    /// Appends the text up to the next action and the action's tokens (a comment has
    /// none; the text at the end has no action after it).
    fn piece(&mut self, items: &mut Vec<Item>) -> Result<(), ParseError> {
        let (src, b) = (self.src, self.src.as_bytes());
        let i = self.i;
        // Text up to the next "{{".
        let next = find_open(b, i);
        let mut text = &src[i..next];
        if self.trim_next {
            text = trim_spaces_start(text);
        }
        let mut open_trim = false;
        if next < b.len()
            && next + 3 <= b.len()
            && b[next + 2] == b'-'
            && next + 3 < b.len()
            && is_space(b[next + 3])
        {
            open_trim = true;
            text = trim_spaces_end(text);
        }
        if !text.is_empty() {
            // Trimming may have skipped lines: the text's own line, for traces.
            let start = text.as_ptr() as usize - src.as_ptr() as usize;
            let text_line = self.line + newlines(&b[i..start]);
            items.push(Item {
                tok: Tok::Text(text_line),
                pos: Pos {
                    line: self.line,
                    col: (i - self.line_start) as u32,
                },
                start: start as u32,
                end: (start + text.len()) as u32,
            });
        }
        // Templates are mostly text (CRDs are megabytes of it): newlines found fast.
        if let Some(k) = memchr::memrchr(b'\n', &b[i..next]) {
            self.line += newlines(&b[i..next]);
            self.line_start = i + k + 1;
        }
        if next >= b.len() {
            self.i = b.len();
            return Ok(());
        }
        // An action.
        let line = self.line;
        let action_col = (next - self.line_start) as u32;
        let mut j = next + 2;
        if open_trim {
            j += 2;
        }
        // A comment: "/*" right after the delimiter (and trim marker).
        if src[j..].starts_with("/*") {
            let Some(end) = src[j..].find("*/") else {
                return Err(self.err(line, "unclosed comment".into()));
            };
            let mut k = j + end + 2;
            let close_trim = src[k..].starts_with(" -}}")
                || src[k..].starts_with("\t-}}")
                || src[k..].starts_with("\n-}}")
                || src[k..].starts_with("\r-}}");
            if close_trim {
                k += 2;
            }
            if !src[k..].starts_with("}}") {
                return Err(self.err(line, "comment ends before closing delimiter".into()));
            }
            self.line += newlines(&b[next..k]);
            if let Some(nl) = src[..k].rfind('\n') {
                if nl >= next {
                    self.line_start = nl + 1;
                }
            }
            self.i = k + 2;
            self.trim_next = close_trim;
            return Ok(());
        }
        // Find the closing "}}" outside quotes: the next `}`, unless a quote comes first.
        let mut k = j;
        let mut close = None;
        let mut brace = k;
        while k < b.len() {
            if brace <= k {
                brace = memchr::memchr(b'}', &b[k..]).map_or(b.len(), |x| k + x);
            }
            match memchr::memchr3(b'"', b'`', b'\'', &b[k..brace]) {
                Some(x) => {
                    k = skip_quoted(b, k + x)
                        .ok_or_else(|| self.err(line, "unterminated quoted string".into()))?;
                }
                None if b.get(brace + 1) == Some(&b'}') => {
                    close = Some(brace);
                    break;
                }
                None => k = brace + 1,
            }
        }
        let Some(close) = close else {
            return Err(self.err(line, "unclosed action".into()));
        };
        let mut inner_end = close;
        let close_trim = close >= j + 2 && b[close - 1] == b'-' && is_space(b[close - 2]);
        if close_trim {
            inner_end = close - 1;
        }
        let inner = trim_spaces_end(trim_spaces_start(&src[j..inner_end]));
        let inner_start = inner.as_ptr() as usize - src.as_ptr() as usize;
        items.push(Item {
            tok: Tok::Open,
            pos: Pos {
                line,
                col: action_col,
            },
            start: inner_start as u32,
            end: (inner_start + inner.len()) as u32,
        });
        // The trim marker's space may be a newline; the rest of the action's are
        // counted as it is lexed, and none follow it.
        let mut at = LineAt {
            line,
            start: self.line_start,
        };
        if open_trim && b[next + 3] == b'\n' {
            at = LineAt {
                line: line + 1,
                start: next + 4,
            };
        }
        LineAt {
            line: self.line,
            start: self.line_start,
        } = lex_action(src, j, inner_end, items, line, at, self.name)?;
        items.push(Item {
            tok: Tok::Close,
            pos: Pos {
                line: self.line,
                col: (close - self.line_start) as u32,
            },
            start: close as u32,
            end: close as u32 + 2,
        });
        self.i = close + 2;
        self.trim_next = close_trim;
        Ok(())
    }
}

/// All the tokens of a template at once.
#[cfg(test)]
fn lex(name: &str, src: &str) -> Result<Vec<Item>, ParseError> {
    let mut lexer = Lexer::new(name, src);
    let mut items = Vec::new();
    while !lexer.done() {
        lexer.piece(&mut items)?;
    }
    Ok(items)
}

/// Where the quoted text opened at `b[k]` ends (past its closing quote, or past the
/// end); `None` for a newline in an interpreted string or character constant.
fn skip_quoted(b: &[u8], k: usize) -> Option<usize> {
    let q = b[k];
    let mut k = k + 1;
    if q == b'`' {
        return Some(memchr::memchr(q, &b[k..]).map_or(b.len(), |x| k + x) + 1);
    }
    while let Some(x) = memchr::memchr3(q, b'\\', b'\n', &b[k..]) {
        k += x;
        match b[k] {
            c if c == q => return Some(k + 1),
            b'\n' => return None,
            // An escape: the next byte is taken as it is, unless it is a newline.
            _ => match b.get(k + 1) {
                Some(b'\n') => return None,
                Some(_) => k += 2,
                None => return Some(b.len() + 1),
            },
        }
    }
    Some(b.len() + 1)
}

/// A line, and where its first byte is in the source.
#[derive(Clone, Copy)]
struct LineAt {
    line: u32,
    start: usize,
}

/// The tokens of the action `src[base..end]`, which starts on the line `at`: positions
/// are lines and 0-based byte columns, as Go's `ErrorContext` counts them. Errors name
/// `line` and the lines after it (as they always have, even where a trim marker's
/// newline comes first). Returns the line the action ends on.
fn lex_action(
    src: &str,
    base: usize,
    end: usize,
    items: &mut Vec<Item>,
    line: u32,
    at: LineAt,
    name: &str,
) -> Result<LineAt, ParseError> {
    let s = &src[base..end];
    let b = s.as_bytes();
    let mut i = 0;
    let mut line = line;
    let mut at = at;
    let err = |line: u32, msg: String| ParseError {
        name: name.to_string(),
        line,
        message: msg,
    };
    while i < b.len() {
        let c = b[i];
        if is_space(c) {
            if c == b'\n' {
                line += 1;
                at = LineAt {
                    line: at.line + 1,
                    start: base + i + 1,
                };
            }
            i += 1;
            continue;
        }
        let start = i;
        let pos = Pos {
            line: at.line,
            col: (base + start - at.start) as u32,
        };
        let tok = match c {
            b'|' => {
                i += 1;
                Tok::Pipe
            }
            b'(' => {
                i += 1;
                Tok::LParen
            }
            b')' => {
                i += 1;
                Tok::RParen
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            b':' if b.get(i + 1) == Some(&b'=') => {
                i += 2;
                Tok::Declare
            }
            b'=' => {
                i += 1;
                Tok::Assign
            }
            b'"' => {
                let mut escaped = false;
                i += 1;
                loop {
                    // A byte of a multi-byte character is never a quote or a backslash.
                    let Some(x) = memchr::memchr2(b'"', b'\\', &b[i..]) else {
                        return Err(err(line, "unterminated quoted string".into()));
                    };
                    i += x;
                    if b[i] == b'"' {
                        break;
                    }
                    let (_, used) = unescape(&s[i..])
                        .ok_or_else(|| err(line, format!("invalid syntax: {}", &s[start..])))?;
                    escaped = true;
                    i += used;
                }
                i += 1;
                Tok::Str(escaped)
            }
            b'`' => {
                let end = memchr::memchr(b'`', &b[i + 1..])
                    .ok_or_else(|| err(line, "unterminated raw quoted string".into()))?;
                for k in memchr::memchr_iter(b'\n', &b[i + 1..i + 1 + end]) {
                    line += 1;
                    at = LineAt {
                        line: at.line + 1,
                        start: base + i + 1 + k + 1,
                    };
                }
                i += end + 2;
                Tok::Str(false)
            }
            b'\'' => {
                let rest = &s[i + 1..];
                let (ch, used) = if rest.starts_with('\\') {
                    unescape(rest).ok_or_else(|| err(line, "invalid character constant".into()))?
                } else {
                    let ch = rest.chars().next().unwrap_or('\0');
                    (ch, ch.len_utf8())
                };
                if !s.get(i + 1 + used..).is_some_and(|r| r.starts_with('\'')) {
                    return Err(err(line, "unterminated character constant".into()));
                }
                i += used + 2;
                Tok::Char(ch as i64)
            }
            b'$' => {
                i += 1;
                while i < b.len() && is_name_byte(b[i]) {
                    i += 1;
                }
                Tok::Var
            }
            b'.' if b.get(i + 1).is_some_and(|c| c.is_ascii_digit()) => {
                let (tok, end) = lex_number(s, i, line, name)?;
                i = end;
                tok
            }
            b'.' => {
                i += 1;
                let fs = i;
                while i < b.len() && is_name_byte(b[i]) {
                    i += 1;
                }
                let adjacent = start > 0
                    && !is_space(b[start - 1])
                    && matches!(
                        items.last().map(|it| it.tok),
                        Some(Tok::Field | Tok::Chained | Tok::Var | Tok::RParen)
                    );
                if fs == i {
                    Tok::Dot
                } else if adjacent {
                    Tok::Chained
                } else {
                    Tok::Field
                }
            }
            b'0'..=b'9' | b'-' | b'+' => {
                let (tok, end) = lex_number(s, i, line, name)?;
                i = end;
                tok
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < b.len() && is_name_byte(b[i]) {
                    i += 1;
                }
                Tok::Word
            }
            _ => {
                let ch = s[i..].chars().next().unwrap_or('?');
                return Err(err(line, format!("unexpected {ch:?} in command")));
            }
        };
        items.push(Item {
            tok,
            pos,
            start: (base + start) as u32,
            end: (base + i) as u32,
        });
    }
    Ok(at)
}

/// A Go hexadecimal floating-point literal (`0x1p60`, `0x1.8p-3`): hex digits with an
/// optional point, then a binary exponent, which it must have.
fn hex_float(digits: &str) -> Option<f64> {
    let h = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))?;
    let (mantissa, exp) = h.split_once(['p', 'P'])?;
    let exp: i32 = exp.parse().ok()?;
    let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    let mut value = 0f64;
    for c in whole.chars().chain(frac.chars()) {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    Some(value * 2f64.powi(exp - 4 * frac.len() as i32))
}

/// The number starting at `s[start]`, and where it ends.
fn lex_number(s: &str, start: usize, line: u32, name: &str) -> Result<(Tok, usize), ParseError> {
    let b = s.as_bytes();
    let mut i = start;
    if b[i] == b'-' || b[i] == b'+' {
        i += 1;
    }
    while i < b.len()
        && (b[i].is_ascii_alphanumeric()
            || b[i] == b'.'
            || b[i] == b'_'
            || ((b[i] == b'-' || b[i] == b'+') && matches!(b[i - 1], b'e' | b'E' | b'p' | b'P')))
    {
        i += 1;
    }
    let text = &s[start..i];
    // Most numbers are small decimals (`nindent 4`): read without the general path.
    if text.bytes().all(|c| c.is_ascii_digit()) && (text.len() == 1 || !text.starts_with('0')) {
        if let Ok(v) = text.parse::<i64>() {
            return Ok((Tok::Int(v), i));
        }
    }
    let clean = text.replace('_', "");
    let (neg, digits) = match clean.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, clean.trim_start_matches('+')),
    };
    let int = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = digits
        .strip_prefix("0o")
        .or_else(|| digits.strip_prefix("0O"))
    {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(bn) = digits
        .strip_prefix("0b")
        .or_else(|| digits.strip_prefix("0B"))
    {
        i64::from_str_radix(bn, 2).ok()
    } else if digits.len() > 1
        && digits.starts_with('0')
        && digits.bytes().all(|c| c.is_ascii_digit())
    {
        i64::from_str_radix(&digits[1..], 8).ok()
    } else {
        digits.parse::<i64>().ok()
    };
    let tok = match int {
        Some(v) => Tok::Int(if neg { -v } else { v }),
        None => match clean
            .parse::<f64>()
            .ok()
            .or_else(|| hex_float(digits).map(|f| if neg { -f } else { f }))
        {
            Some(f) => Tok::Float(f),
            None => {
                return Err(ParseError {
                    name: name.to_string(),
                    line,
                    message: format!("bad number syntax: {text:?}"),
                })
            }
        },
    };
    Ok((tok, i))
}

/// One escape sequence at the start of `s` (which starts with a backslash), and its length.
fn unescape(s: &str) -> Option<(char, usize)> {
    let b = s.as_bytes();
    let c = *b.get(1)?;
    let simple = |ch: char| Some((ch, 2));
    match c {
        b'n' => simple('\n'),
        b't' => simple('\t'),
        b'r' => simple('\r'),
        b'\\' => simple('\\'),
        b'"' => simple('"'),
        b'\'' => simple('\''),
        b'a' => simple('\x07'),
        b'b' => simple('\x08'),
        b'f' => simple('\x0c'),
        b'v' => simple('\x0b'),
        b'x' => {
            let v = u32::from_str_radix(s.get(2..4)?, 16).ok()?;
            Some((char::from_u32(v)?, 4))
        }
        b'u' => {
            let v = u32::from_str_radix(s.get(2..6)?, 16).ok()?;
            Some((char::from_u32(v)?, 6))
        }
        b'U' => {
            let v = u32::from_str_radix(s.get(2..10)?, 16).ok()?;
            Some((char::from_u32(v)?, 10))
        }
        b'0'..=b'7' => {
            let v = u32::from_str_radix(s.get(1..4)?, 8).ok()?;
            Some((char::from_u32(v)?, 4))
        }
        _ => None,
    }
}

/// A string token's value: the text between its quotes, escapes decoded.
fn string_value(src: &str, it: &Item) -> String {
    let inner = &src[it.start as usize + 1..it.end as usize - 1];
    if it.tok != Tok::Str(true) {
        return inner.to_string();
    }
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(k) = rest.find('\\') {
        out.push_str(&rest[..k]);
        // The lexer checked every escape.
        let Some((ch, used)) = unescape(&rest[k..]) else {
            break;
        };
        out.push(ch);
        rest = &rest[k + used..];
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------- parsing

/// The keyword that ended a list: `end` or `else`, with what follows `else`.
#[derive(Debug)]
struct ListEnd {
    word: &'static str,
    line: u32,
    /// `else if ...` / `else with ...`: the tokens after the keyword start a new branch.
    chained: Option<&'static str>,
}

struct Parser<'s> {
    name: &'s str,
    src: &'s str,
    /// `src`, shared by the spans of the tree.
    source: Arc<Arc<str>>,
    lexer: Lexer<'s>,
    /// The tokens of the piece being parsed (see [`Lexer`]), and the next one's index.
    items: Vec<Item>,
    at: usize,
    /// The last token of the pieces before, for where the input ended.
    last: Option<Item>,
    defines: BTreeMap<String, Arc<[Node]>>,
    range_depth: usize,
    /// How deep the blocks being parsed are (see [`Parser::nest`]).
    nesting: usize,
    /// How deep the parentheses being parsed are ([`MAX_PARENS`]).
    parens: usize,
    /// Nodes, commands and arguments of the lists being parsed, on stacks shared by
    /// the nesting levels: each finished list is split off into an allocation of its
    /// exact size (a `Vec` per list would leave its doubling slack in the tree).
    nodes: Vec<Node>,
    cmds: Vec<Command>,
    args: Vec<(Pos, Arg)>,
}

impl<'s> Parser<'s> {
    fn err(&self, line: u32, message: String) -> ParseError {
        ParseError {
            name: self.name.to_string(),
            line,
            message,
        }
    }

    fn peek(&self) -> Option<Tok> {
        self.items.get(self.at).map(|i| i.tok)
    }

    /// The next token if it is a word, with its text.
    fn peek_word(&self) -> Option<&'s str> {
        match self.items.get(self.at) {
            Some(it @ Item { tok: Tok::Word, .. }) => Some(self.text(it)),
            _ => None,
        }
    }

    fn text(&self, it: &Item) -> &'s str {
        let src: &'s str = self.src;
        &src[it.start as usize..it.end as usize]
    }

    fn span(&self, it: &Item) -> Span {
        self.span_between(it.start, it.end)
    }

    fn span_between(&self, start: u32, end: u32) -> Span {
        Span {
            src: self.source.clone(),
            start,
            end,
        }
    }

    fn line(&self) -> u32 {
        self.items
            .get(self.at)
            .or_else(|| self.items.last())
            .or(self.last.as_ref())
            .map(|i| i.pos.line)
            .unwrap_or(1)
    }

    /// The next token, lexing the next piece when this one is used up: only between
    /// actions, as an action is one piece (and ends with its closing delimiter).
    fn next(&mut self) -> Result<Option<Item>, ParseError> {
        while self.at >= self.items.len() && !self.lexer.done() {
            if let Some(&last) = self.items.last() {
                self.last = Some(last);
            }
            self.items.clear();
            self.at = 0;
            self.lexer.piece(&mut self.items)?;
        }
        Ok(self.next_in_piece())
    }

    /// The next token of the piece being parsed.
    fn next_in_piece(&mut self) -> Option<Item> {
        let it = self.items.get(self.at).copied();
        self.at += 1;
        it
    }

    fn describe(&self, it: &Item) -> String {
        match it.tok {
            Tok::Close => "\"}}\"".into(),
            Tok::RParen => "\")\"".into(),
            _ => {
                let mut out = String::from("\"");
                push_token(&mut out, self.src, it);
                out.push('"');
                out
            }
        }
    }

    fn expect_close(&mut self, context: &str) -> Result<(), ParseError> {
        match self.next_in_piece() {
            Some(Item {
                tok: Tok::Close, ..
            }) => Ok(()),
            Some(it) => Err(self.err(
                it.pos.line,
                format!("unexpected {} in {context}", self.describe(&it)),
            )),
            None => Err(self.err(self.line(), format!("unexpected EOF in {context}"))),
        }
    }

    /// Nodes until `{{end}}`, `{{else}}` or the end of input.
    fn list<C: From<Vec<Node>>>(&mut self) -> Result<(C, Option<ListEnd>), ParseError> {
        self.nest()?;
        let base = self.nodes.len();
        let end = self.list_onto_stack();
        self.nesting -= 1;
        Ok((self.nodes.split_off(base).into(), end?))
    }

    /// Counts one more level of blocks (a body, or an `else if` chained to one), and
    /// refuses one past [`MAX_NESTING`]: each level is a frame of this parser's, and
    /// of the executor's later.
    fn nest(&mut self) -> Result<(), ParseError> {
        if self.nesting > MAX_NESTING {
            return Err(self.err(
                self.line(),
                format!(
                    "blocks (if, with, range, else if, define, block) nested more than \
                     {MAX_NESTING} deep: strata's limit, where Go has none; nest fewer"
                ),
            ));
        }
        self.nesting += 1;
        Ok(())
    }

    /// [`Parser::list`], its nodes pushed on `self.nodes`.
    fn list_onto_stack(&mut self) -> Result<Option<ListEnd>, ParseError> {
        while let Some(item) = self.next()? {
            match item.tok {
                Tok::Text(line) => {
                    let text = self.span(&item);
                    self.nodes.push(Node::Text(text, line));
                }
                Tok::Open => {
                    let pos = item.pos;
                    let text = self.span(&item);
                    let node = match self.peek_word() {
                        Some("end") => {
                            self.at += 1;
                            self.expect_close("end")?;
                            return Ok(Some(ListEnd {
                                word: "end",
                                line: pos.line,
                                chained: None,
                            }));
                        }
                        Some("else") => {
                            self.at += 1;
                            let chained = match self.peek_word() {
                                Some("if") => Some("if"),
                                Some("with") => Some("with"),
                                _ => None,
                            };
                            match chained {
                                Some(_) => self.at += 1,
                                None => self.expect_close("else")?,
                            }
                            return Ok(Some(ListEnd {
                                word: "else",
                                line: pos.line,
                                chained,
                            }));
                        }
                        Some(kw @ ("if" | "with" | "range")) => {
                            self.at += 1;
                            self.branch(kw, pos, &text)?
                        }
                        Some("define") => {
                            self.at += 1;
                            self.define(pos)?;
                            continue;
                        }
                        Some("block") => {
                            self.at += 1;
                            let name = self.string_arg("block")?;
                            let pipe = self.pipeline("block", pos, &text, false)?;
                            let (body, end) = self.list()?;
                            self.require_end(end, "block", pos.line)?;
                            self.defines.insert(name.clone(), body);
                            Node::Template(Box::new(TemplateCall {
                                pos,
                                name,
                                pipe: Some(pipe),
                            }))
                        }
                        Some("template") => {
                            self.at += 1;
                            let name = self.string_arg("template")?;
                            let pipe = if self.peek() == Some(Tok::Close) {
                                self.at += 1;
                                None
                            } else {
                                Some(self.pipeline("template", pos, &text, false)?)
                            };
                            Node::Template(Box::new(TemplateCall { pos, name, pipe }))
                        }
                        Some(w @ ("break" | "continue")) => {
                            self.at += 1;
                            if self.range_depth == 0 {
                                return Err(self
                                    .err(pos.line, format!("{{{{{w}}}}} outside {{{{range}}}}")));
                            }
                            self.expect_close(w)?;
                            if w == "break" {
                                Node::Break(pos)
                            } else {
                                Node::Continue(pos)
                            }
                        }
                        _ if self.peek() == Some(Tok::Close) => {
                            return Err(self.err(pos.line, "missing value for command".into()));
                        }
                        _ => Node::Action(Box::new(self.pipeline("command", pos, &text, true)?)),
                    };
                    self.nodes.push(node);
                }
                _ => {
                    return Err(self.err(
                        item.pos.line,
                        format!("unexpected {}", self.describe(&item)),
                    ))
                }
            }
        }
        Ok(None)
    }

    fn require_end(&self, end: Option<ListEnd>, ctx: &str, line: u32) -> Result<(), ParseError> {
        match end {
            Some(ListEnd { word: "end", .. }) => Ok(()),
            Some(e) => Err(self.err(e.line, format!("unexpected {{{{{}}}}} in {ctx}", e.word))),
            None => Err(self.err(line, format!("unexpected EOF in {ctx}"))),
        }
    }

    fn string_arg(&mut self, ctx: &str) -> Result<String, ParseError> {
        match self.next_in_piece() {
            Some(
                it @ Item {
                    tok: Tok::Str(_), ..
                },
            ) => Ok(string_value(self.src, &it)),
            Some(it) => Err(self.err(
                it.pos.line,
                format!("unexpected {} in {ctx} clause", self.describe(&it)),
            )),
            None => Err(self.err(self.line(), format!("unexpected EOF in {ctx} clause"))),
        }
    }

    fn define(&mut self, pos: Pos) -> Result<(), ParseError> {
        let name = self.string_arg("define")?;
        self.expect_close("define clause")?;
        let (body, end) = self.list()?;
        self.require_end(end, "define", pos.line)?;
        self.defines.insert(name, body);
        Ok(())
    }

    fn branch(&mut self, kw: &str, pos: Pos, text: &Span) -> Result<Node, ParseError> {
        let pipe = self.pipeline(kw, pos, text, false)?;
        if kw == "range" {
            self.range_depth += 1;
        }
        let (body, end) = self.list()?;
        if kw == "range" {
            self.range_depth -= 1;
        }
        let else_body: Box<[Node]> = match end {
            Some(ListEnd {
                word: "end",
                chained: None,
                ..
            }) => Box::default(),
            Some(ListEnd {
                word: "else",
                chained: None,
                ..
            }) => {
                let (else_body, end) = self.list()?;
                self.require_end(end, kw, pos.line)?;
                else_body
            }
            Some(ListEnd {
                chained: Some(w),
                line,
                ..
            }) => {
                // `{{else if x}}` is `{{else}}{{if x}}...{{end}}{{end}}` sharing one end.
                let inner_pos = Pos { line, col: pos.col };
                self.nest()?;
                let chained = self.branch(w, inner_pos, text);
                self.nesting -= 1;
                Box::new([chained?])
            }
            Some(ListEnd { word, line, .. }) => {
                return Err(self.err(line, format!("unexpected {{{{{word}}}}}")))
            }
            None => return Err(self.err(pos.line, format!("unexpected EOF in {kw}"))),
        };
        let b = Box::new(Branch {
            pipe,
            body,
            else_body,
        });
        Ok(match kw {
            "if" => Node::If(b),
            "with" => Node::With(b),
            _ => Node::Range(b),
        })
    }

    /// A pipeline up to the closing delimiter.
    fn pipeline(
        &mut self,
        ctx: &str,
        pos: Pos,
        text: &Span,
        allow_empty_decl: bool,
    ) -> Result<Pipe, ParseError> {
        let _ = allow_empty_decl;
        let mut decl: Box<[Span]> = Box::default();
        let mut is_assign = false;
        // `$x :=`, `$x =`, `$i, $v :=`
        let save = self.at;
        let mut vars = [Item {
            tok: Tok::Var,
            pos,
            start: 0,
            end: 0,
        }; 2];
        let mut n = 0;
        while let Some(it @ Item { tok: Tok::Var, .. }) = self.items.get(self.at).copied() {
            vars[n] = it;
            n += 1;
            self.at += 1;
            match self.peek() {
                Some(Tok::Comma) if ctx == "range" && n == 1 => {
                    self.at += 1;
                    continue;
                }
                Some(Tok::Declare) => {
                    self.at += 1;
                    decl = vars[..n].iter().map(|v| self.span(v)).collect();
                    break;
                }
                Some(Tok::Assign) => {
                    self.at += 1;
                    decl = vars[..n].iter().map(|v| self.span(v)).collect();
                    is_assign = true;
                    break;
                }
                _ => {
                    self.at = save;
                    break;
                }
            }
        }
        if decl.is_empty() {
            self.at = save;
        }
        let base = self.cmds.len();
        loop {
            let cmd = self.command(pos)?;
            if cmd.args.is_empty() {
                return Err(self.err(self.line(), format!("missing value for {ctx}")));
            }
            self.cmds.push(cmd);
            match self.next_in_piece() {
                // Go ends a pipeline at the delimiter even right after a `|` (`{{ x | }}`).
                Some(Item { tok: Tok::Pipe, .. }) if self.peek() == Some(Tok::Close) => {
                    self.at += 1;
                    break;
                }
                Some(Item { tok: Tok::Pipe, .. }) => continue,
                Some(Item {
                    tok: Tok::Close, ..
                }) => break,
                Some(it) => {
                    return Err(self.err(
                        it.pos.line,
                        format!("unexpected {} in {ctx}", self.describe(&it)),
                    ))
                }
                None => return Err(self.err(self.line(), "unclosed action".to_string())),
            }
        }
        Ok(Pipe {
            pos,
            source: text.clone(),
            paren: false,
            decl,
            is_assign,
            cmds: self.cmds.split_off(base).into(),
        })
    }

    /// Arguments until `|`, `)` or the closing delimiter.
    fn command(&mut self, pos: Pos) -> Result<Command, ParseError> {
        let pos = self.items.get(self.at).map(|i| i.pos).unwrap_or(pos);
        let base = self.args.len();
        loop {
            match self.peek() {
                None | Some(Tok::Pipe) | Some(Tok::Close) | Some(Tok::RParen) => break,
                _ => {}
            }
            let arg = self.operand(pos)?;
            self.args.push(arg);
        }
        Ok(Command {
            pos,
            args: self.args.split_off(base).into(),
        })
    }

    /// Skips the fields chained to the operand just read (`.B.C` after `.A`, `$x`, `(p)`),
    /// returning where the last one ends.
    fn chained(&mut self) -> Option<u32> {
        let mut end = None;
        while let Some(Item {
            tok: Tok::Chained,
            end: e,
            ..
        }) = self.items.get(self.at)
        {
            end = Some(*e);
            self.at += 1;
        }
        end
    }

    fn operand(&mut self, pos: Pos) -> Result<(Pos, Arg), ParseError> {
        let Some(item) = self.next_in_piece() else {
            return Err(self.err(self.line(), "unexpected EOF".into()));
        };
        // Go places a chained operand (`.A.B`, `$x.A`, `(p).A`) at its second element.
        let mut at = match (item.tok, self.items.get(self.at)) {
            (
                Tok::Field | Tok::Var,
                Some(Item {
                    tok: Tok::Chained,
                    pos,
                    ..
                }),
            ) => *pos,
            _ => item.pos,
        };
        let arg = match item.tok {
            Tok::Dot => Arg::Dot,
            Tok::Field => {
                // A chain is written without spaces: one piece of the source.
                let end = self.chained().unwrap_or(item.end);
                Arg::Field(self.span_between(item.start, end))
            }
            Tok::Var => {
                let end = self.chained().unwrap_or(item.end);
                Arg::Variable(self.span_between(item.start, end))
            }
            Tok::Str(true) => Arg::String(Span::owned(string_value(self.src, &item))),
            // Without escapes, the text between the quotes.
            Tok::Str(false) => Arg::String(self.span_between(item.start + 1, item.end - 1)),
            Tok::Int(i) | Tok::Char(i) => Arg::Int(i),
            Tok::Float(f) => Arg::Float(f),
            Tok::Word => match self.text(&item) {
                "true" => Arg::Bool(true),
                "false" => Arg::Bool(false),
                "nil" => Arg::Nil,
                _ => Arg::Ident(self.span(&item)),
            },
            Tok::LParen => {
                // Go's limit, and its words.
                if self.parens >= MAX_PARENS {
                    return Err(self.err(item.pos.line, "max expression depth exceeded".into()));
                }
                self.parens += 1;
                let arg = self.parenthesized(pos, &item);
                self.parens -= 1;
                let (arg, at_chain) = arg?;
                at = at_chain.unwrap_or(at);
                arg
            }
            _ => {
                return Err(self.err(
                    item.pos.line,
                    format!("unexpected {} in operand", self.describe(&item)),
                ))
            }
        };
        Ok((at, arg))
    }

    /// A parenthesized pipeline, its `(` just read, and where a chain after it starts.
    fn parenthesized(&mut self, pos: Pos, item: &Item) -> Result<(Arg, Option<Pos>), ParseError> {
        let first = self.at;
        let mut at = None;
        let base = self.cmds.len();
        loop {
            let cmd = self.command(pos)?;
            if cmd.args.is_empty() {
                return Err(self.err(
                    item.pos.line,
                    "missing value for parenthesized pipeline".into(),
                ));
            }
            self.cmds.push(cmd);
            match self.next_in_piece() {
                Some(Item { tok: Tok::Pipe, .. }) if self.peek() == Some(Tok::RParen) => {
                    self.at += 1;
                    break;
                }
                Some(Item { tok: Tok::Pipe, .. }) => continue,
                Some(Item {
                    tok: Tok::RParen, ..
                }) => break,
                _ => return Err(self.err(item.pos.line, "unclosed left paren".into())),
            }
        }
        // From the first token inside the parentheses to the last.
        let source = self.span_between(self.items[first].start, self.items[self.at - 2].end);
        let chain_start = match self.items.get(self.at) {
            Some(Item {
                tok: Tok::Chained,
                pos,
                start,
                ..
            }) => {
                at = Some(*pos);
                *start
            }
            _ => 0,
        };
        let chain = match self.chained() {
            Some(end) => self.span_between(chain_start, end),
            None => self.span_between(0, 0),
        };
        let arg = Arg::Pipe(
            Box::new(Pipe {
                pos,
                source,
                paren: true,
                decl: Box::default(),
                is_assign: false,
                cmds: self.cmds.split_off(base).into(),
            }),
            chain,
        );
        Ok((arg, at))
    }
}

/// The tokens' text separated by spaces (a parenthesized pipeline's text, for messages).
fn tokens_text(src: &str, items: &[Item]) -> String {
    let mut out = String::new();
    let mut prev: Option<Tok> = None;
    for i in items {
        // Go writes an inner pipeline as "(f x)" and a chain as "(f).a" or ".a.b".
        let joined =
            matches!(prev, Some(Tok::LParen)) || matches!(i.tok, Tok::RParen | Tok::Chained);
        if prev.is_some() && !joined {
            out.push(' ');
        }
        push_token(&mut out, src, i);
        prev = Some(i.tok);
    }
    out
}

fn push_token(out: &mut String, src: &str, it: &Item) {
    use std::fmt::Write;
    let text = &src[it.start as usize..it.end as usize];
    match it.tok {
        Tok::Text(_) | Tok::Word | Tok::Var | Tok::Field | Tok::Chained => out.push_str(text),
        Tok::Open => out.push_str("{{"),
        Tok::Close => out.push_str("}}"),
        Tok::Str(_) => {
            let _ = write!(out, "{:?}", string_value(src, it));
        }
        Tok::Int(i) | Tok::Char(i) => {
            let _ = write!(out, "{i}");
        }
        Tok::Float(f) => {
            let _ = write!(out, "{f}");
        }
        Tok::Pipe => out.push('|'),
        Tok::LParen => out.push('('),
        Tok::RParen => out.push(')'),
        Tok::Declare => out.push_str(":="),
        Tok::Assign => out.push('='),
        Tok::Comma => out.push(','),
        Tok::Dot => out.push('.'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_comments() {
        let p = parse("t", "a  {{- /* c */ -}}  b {{- .X }}\n").unwrap();
        let texts: Vec<_> = p
            .body
            .iter()
            .filter_map(|n| match n {
                Node::Text(t, _) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(texts, vec!["a", "b", "\n"]);
    }

    #[test]
    fn numbers_in_go_syntax() {
        let lexed = |src: &str| -> Vec<Tok> {
            lex("t", src)
                .unwrap()
                .into_iter()
                .map(|i| i.tok)
                .filter(|t| matches!(t, Tok::Int(_) | Tok::Float(_)))
                .collect()
        };
        assert_eq!(
            lexed("{{ 0x1p60 }}{{ 0x1.8p1 }}{{ -0x.8p-1 }}{{ 0x1e3 }}{{ 1_000 }}{{ 0o17 }}"),
            vec![
                Tok::Float(2f64.powi(60)),
                Tok::Float(3.0),
                Tok::Float(-0.25),
                Tok::Int(0x1e3),
                Tok::Int(1000),
                Tok::Int(15),
            ]
        );
        assert!(
            parse("t", "{{ 0x1.8 }}").is_err(),
            "a hex float needs its exponent"
        );
    }

    #[test]
    fn defines_are_collected_and_else_if_chains() {
        let p = parse(
            "t",
            r#"{{define "x"}}X{{end}}{{if .A}}a{{else if .B}}b{{else}}c{{end}}"#,
        )
        .unwrap();
        assert!(p.defines.contains_key("x"));
        assert_eq!(p.body.len(), 1);
    }

    #[test]
    fn errors_name_the_template_and_line() {
        let e = parse("chart/templates/a.yaml", "ok\n{{ if .X }}\nno end\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "template: chart/templates/a.yaml:2: unexpected EOF in if"
        );
    }

    #[test]
    fn errors_are_met_in_source_order() {
        // Go's parser stops at the `if` with nothing to test; the string that never
        // ends, further on, is not lexed.
        let e = parse("t", "{{ if }}x{{ end }}\n{{ \"open }}\n").unwrap_err();
        assert_eq!(e.to_string(), "template: t:1: missing value for if");
        let e = parse("t", "{{ .X }}\n{{ \"open }}\n").unwrap_err();
        assert_eq!(e.to_string(), "template: t:2: unterminated quoted string");
    }

    /// The first argument of the first command of the template's single action.
    fn first_args(src: &str) -> Vec<Arg> {
        let p = parse("t", src).unwrap();
        let Node::Action(pipe) = &p.body[0] else {
            panic!("not an action: {:?}", p.body[0]);
        };
        pipe.cmds
            .iter()
            .flat_map(|c| c.args.iter())
            .map(|(_, a)| match a {
                Arg::String(s) => Arg::String(s.clone()),
                Arg::Field(s) => Arg::Field(s.clone()),
                Arg::Variable(s) => Arg::Variable(s.clone()),
                Arg::Ident(s) => Arg::Ident(s.clone()),
                Arg::Int(i) => Arg::Int(*i),
                Arg::Float(f) => Arg::Float(*f),
                Arg::Pipe(p, c) => Arg::String(Span::owned(format!("({}){c}", p.text()))),
                Arg::Dot => Arg::Dot,
                Arg::Nil => Arg::Nil,
                Arg::Bool(b) => Arg::Bool(*b),
            })
            .collect()
    }

    fn strings(src: &str) -> Vec<String> {
        first_args(src)
            .into_iter()
            .map(|a| match a {
                Arg::String(s) | Arg::Field(s) | Arg::Variable(s) | Arg::Ident(s) => s.to_string(),
                Arg::Int(i) => format!("int {i}"),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn string_literals_are_decoded_only_where_escaped() {
        assert_eq!(
            strings(r#"{{ f "plain" "a\nb" "\"q\"" "\u00e9\x41\101\\" "é" "" }}"#),
            vec!["f", "plain", "a\nb", "\"q\"", "éAA\\", "é", ""]
        );
        assert_eq!(
            strings("{{ f `a\\n \"b\"\nc` `` }}"),
            vec!["f", "a\\n \"b\"\nc", ""]
        );
        assert_eq!(
            strings(r"{{ f 'a' '\n' 'é' '\'' '\x41' '\u00e9' }}"),
            vec!["f", "int 97", "int 10", "int 233", "int 39", "int 65", "int 233"]
        );
    }

    #[test]
    fn chains_are_kept_as_written_and_placed_at_their_second_element() {
        assert_eq!(
            strings("{{ f .a.b $x.c $ $.d (g .e).h.i . }}"),
            vec!["f", ".a.b", "$x.c", "$", "$.d", "(g .e).h.i", "Dot"]
        );
        // Spaced apart, `.b` is an argument of its own.
        assert_eq!(strings("{{ f .a .b }}"), vec!["f", ".a", ".b"]);
        let p = parse("t", "x\n {{ .a.b }}{{ (f).c }}").unwrap();
        let cols: Vec<_> = p
            .body
            .iter()
            .filter_map(|n| match n {
                Node::Action(p) => Some(p.cmds[0].args[0].0),
                _ => None,
            })
            .collect();
        assert_eq!(
            cols,
            vec![Pos { line: 2, col: 6 }, Pos { line: 2, col: 17 }]
        );
    }

    #[test]
    fn a_parenthesized_pipeline_is_quoted_as_go_prints_it() {
        assert_eq!(
            strings(r#"{{ f ( g   "a\n"  0x10 1.5 'a' .b  $v |  h ) }}"#),
            vec!["f", r#"(g "a\n" 16 1.5 97 .b $v | h)"#]
        );
    }

    #[test]
    fn chain_names_are_the_names_after_each_dot() {
        for chain in ["", ".A", ".A.B", ".A.", "x.A", ".", "..", ".é.ü", "$x.A.B"] {
            let split: Vec<&str> = chain.split('.').skip(1).collect();
            assert_eq!(chain_names(chain).collect::<Vec<_>>(), split, "{chain:?}");
        }
    }

    #[test]
    fn newlines_are_counted_across_blocks() {
        for len in [0, 1, 127, 128, 129, 255, 256, 300, 1000] {
            let all = vec![b'\n'; len];
            assert_eq!(newlines(&all), len as u32);
            let every_third: Vec<u8> = (0..len)
                .map(|i| if i % 3 == 0 { b'\n' } else { b'x' })
                .collect();
            assert_eq!(newlines(&every_third), len.div_ceil(3) as u32);
        }
    }

    #[test]
    fn text_lines_count_trimmed_newlines_and_comments() {
        let p = parse("t", "a\n{{- /* x\ny */ -}}\n\nb{{ .c }}\nd").unwrap();
        let texts: Vec<_> = p
            .body
            .iter()
            .filter_map(|n| match n {
                Node::Text(t, line) => Some((t.as_str(), *line)),
                _ => None,
            })
            .collect();
        assert_eq!(texts, vec![("a", 1), ("b", 5), ("\nd", 5)]);
    }

    #[test]
    fn nodes_stay_small() {
        // Every piece of text is a node: the big variants are boxed.
        assert!(std::mem::size_of::<Node>() <= 24);
        assert!(std::mem::size_of::<(Pos, Arg)>() <= 40);
    }
}
