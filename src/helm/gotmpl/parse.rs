//! Go `text/template` syntax: text and `{{ }}` actions (with `{{-`/`-}}` trimming and
//! `/* */` comments) into a tree of nodes; `define` and `block` add named templates.

use crate::memo::ByContent;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// Where a node starts in its template: for `template: NAME:LINE:COL:` messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

#[derive(Debug)]
pub enum Node {
    /// Text printed as it is, with the line its first byte is on.
    Text(String, u32),
    /// `{{ pipeline }}`: prints its value unless the pipeline declares variables.
    Action(Pipe),
    If(Branch),
    With(Branch),
    Range(Branch),
    Template {
        pos: Pos,
        name: String,
        pipe: Option<Pipe>,
    },
    Break(Pos),
    Continue(Pos),
}

/// `if`, `with`, `range`: the pipeline, the body and the `else` body (`else if` is
/// an `else` body holding one `if`).
#[derive(Debug)]
pub struct Branch {
    pub pipe: Pipe,
    pub body: Vec<Node>,
    pub else_body: Vec<Node>,
}

#[derive(Debug)]
pub struct Pipe {
    pub pos: Pos,
    /// The action's source, for `executing "NAME" at <...>` messages.
    pub text: String,
    /// Variables declared (`$x :=`) or assigned (`$x =`); two for `range $i, $v :=`.
    pub decl: Vec<String>,
    pub is_assign: bool,
    pub cmds: Vec<Command>,
}

#[derive(Debug)]
pub struct Command {
    pub pos: Pos,
    pub text: String,
    /// Each argument with where it starts (an error names the argument at fault).
    pub args: Vec<(Pos, Arg)>,
}

#[derive(Debug)]
pub enum Arg {
    /// `.`
    Dot,
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    /// `.A.B`
    Field(Vec<String>),
    /// `$x.A.B` (`$` alone is the root).
    Variable(String, Vec<String>),
    /// A function name.
    Ident(String),
    /// `(pipeline).A.B`
    Pipe(Box<Pipe>, Vec<String>),
}

/// A parsed template file: its main body and the templates it defines.
#[derive(Debug, Default)]
pub struct Parsed {
    pub body: Arc<Vec<Node>>,
    pub defines: BTreeMap<String, Arc<Vec<Node>>>,
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
    let items = lex(name, src)?;
    let mut p = Parser {
        name: name.to_string(),
        items,
        at: 0,
        defines: BTreeMap::new(),
        range_depth: 0,
    };
    let (body, end) = p.list()?;
    if let Some(end) = end {
        return Err(p.err(end.line, format!("unexpected {{{{{}}}}}", end.word)));
    }
    Ok(Parsed {
        body: Arc::new(body),
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

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// Text, with the line of its first byte (after trimming).
    Text(String, u32),
    /// The start of an action, with its source text (between the delimiters).
    Open(String),
    Close,
    Word(String),
    Field(String),
    /// A field written right after a field, variable or `)`: `.b` in `.a.b`, `$x.b`, `(f).b`.
    Chained(String),
    Var(String),
    Str(String),
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

#[derive(Debug, Clone)]
struct Item {
    tok: Tok,
    pos: Pos,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn lex(name: &str, src: &str) -> Result<Vec<Item>, ParseError> {
    let b = src.as_bytes();
    let mut items = Vec::new();
    let mut i = 0;
    let mut line = 1u32;
    let mut line_start = 0usize;
    let err = |line: u32, msg: String| ParseError {
        name: name.to_string(),
        line,
        message: msg,
    };
    let mut trim_next = false;
    while i < b.len() {
        // Text up to the next "{{".
        let next = memchr::memmem::find(&b[i..], b"{{")
            .map(|k| i + k)
            .unwrap_or(b.len());
        let mut text = &src[i..next];
        if trim_next {
            text = text.trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
        }
        let mut open_trim = false;
        if next < b.len()
            && next + 3 <= b.len()
            && b[next + 2] == b'-'
            && next + 3 < b.len()
            && is_space(b[next + 3])
        {
            open_trim = true;
            text = text.trim_end_matches(|c: char| c.is_ascii() && is_space(c as u8));
        }
        if !text.is_empty() {
            // Trimming may have skipped lines: the text's own line, for traces.
            let skipped = text.as_ptr() as usize - src[i..].as_ptr() as usize;
            let text_line = line + src[i..i + skipped].matches('\n').count() as u32;
            items.push(Item {
                tok: Tok::Text(text.to_string(), text_line),
                pos: Pos {
                    line,
                    col: (i - line_start) as u32,
                },
            });
        }
        // Templates are mostly text (CRDs are megabytes of it): newlines counted fast.
        line += memchr::memchr_iter(b'\n', &b[i..next]).count() as u32;
        if let Some(k) = memchr::memrchr(b'\n', &b[i..next]) {
            line_start = i + k + 1;
        }
        if next >= b.len() {
            break;
        }
        // An action.
        let action_line = line;
        let action_col = (next - line_start) as u32;
        let mut j = next + 2;
        if open_trim {
            j += 2;
        }
        // A comment: "/*" right after the delimiter (and trim marker).
        if src[j..].starts_with("/*") {
            let Some(end) = src[j..].find("*/") else {
                return Err(err(line, "unclosed comment".into()));
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
                return Err(err(line, "comment ends before closing delimiter".into()));
            }
            for c in b[next..k].iter() {
                if *c == b'\n' {
                    line += 1;
                }
            }
            if let Some(nl) = src[..k].rfind('\n') {
                if nl >= next {
                    line_start = nl + 1;
                }
            }
            i = k + 2;
            trim_next = close_trim;
            continue;
        }
        // Find the closing "}}" outside quotes.
        let mut k = j;
        let mut close = None;
        while k < b.len() {
            match b[k] {
                b'"' | b'`' | b'\'' => {
                    let q = b[k];
                    k += 1;
                    while k < b.len() && b[k] != q {
                        if b[k] == b'\\' && q != b'`' {
                            k += 1;
                        }
                        if q != b'`' && b[k.min(b.len() - 1)] == b'\n' {
                            return Err(err(line, "unterminated quoted string".into()));
                        }
                        k += 1;
                    }
                    k += 1;
                }
                b'}' if src[k..].starts_with("}}") => {
                    close = Some(k);
                    break;
                }
                _ => k += 1,
            }
        }
        let Some(close) = close else {
            return Err(err(action_line, "unclosed action".into()));
        };
        let mut inner_end = close;
        let close_trim = close >= j + 2 && b[close - 1] == b'-' && is_space(b[close - 2]);
        if close_trim {
            inner_end = close - 1;
        }
        let inner = &src[j..inner_end];
        items.push(Item {
            tok: Tok::Open(inner.trim().to_string()),
            pos: Pos {
                line: action_line,
                col: action_col,
            },
        });
        lex_action(inner, j, &mut items, line, name)?;
        for c in b[next..close].iter() {
            if *c == b'\n' {
                line += 1;
            }
        }
        if let Some(nl) = src[next..close].rfind('\n') {
            line_start = next + nl + 1;
        }
        items.push(Item {
            tok: Tok::Close,
            pos: Pos {
                line: 0,
                col: close as u32,
            },
        });
        i = close + 2;
        trim_next = close_trim;
    }
    resolve_positions(src, &mut items);
    Ok(items)
}

fn lex_action(
    s: &str,
    base: usize,
    items: &mut Vec<Item>,
    line: u32,
    name: &str,
) -> Result<(), ParseError> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut line = line;
    let err = |line: u32, msg: String| ParseError {
        name: name.to_string(),
        line,
        message: msg,
    };
    let mut tok_start;
    let push = |items: &mut Vec<Item>, tok: Tok, _line: u32, at: usize| {
        items.push(Item {
            tok,
            pos: Pos {
                line: 0,
                col: (base + at) as u32,
            },
        })
    };
    while i < b.len() {
        let c = b[i];
        tok_start = i;
        if is_space(c) {
            if c == b'\n' {
                line += 1;
            }
            i += 1;
            continue;
        }
        let start = i;
        match c {
            b'|' => {
                push(items, Tok::Pipe, line, tok_start);
                i += 1;
            }
            b'(' => {
                push(items, Tok::LParen, line, tok_start);
                i += 1;
            }
            b')' => {
                push(items, Tok::RParen, line, tok_start);
                i += 1;
            }
            b',' => {
                push(items, Tok::Comma, line, tok_start);
                i += 1;
            }
            b':' if b.get(i + 1) == Some(&b'=') => {
                push(items, Tok::Declare, line, tok_start);
                i += 2;
            }
            b'=' => {
                push(items, Tok::Assign, line, tok_start);
                i += 1;
            }
            b'"' => {
                let mut out = String::new();
                i += 1;
                loop {
                    let Some(&c) = b.get(i) else {
                        return Err(err(line, "unterminated quoted string".into()));
                    };
                    match c {
                        b'"' => break,
                        b'\\' => {
                            let (ch, used) = unescape(&s[i..]).ok_or_else(|| {
                                err(line, format!("invalid syntax: {}", &s[start..]))
                            })?;
                            out.push_str(&ch);
                            i += used;
                        }
                        _ => {
                            let ch = s[i..].chars().next().unwrap_or('\0');
                            out.push(ch);
                            i += ch.len_utf8();
                        }
                    }
                }
                i += 1;
                push(items, Tok::Str(out), line, tok_start);
            }
            b'`' => {
                let end = s[i + 1..]
                    .find('`')
                    .ok_or_else(|| err(line, "unterminated raw quoted string".into()))?;
                let raw = &s[i + 1..i + 1 + end];
                line += raw.matches('\n').count() as u32;
                push(items, Tok::Str(raw.to_string()), line, tok_start);
                i += end + 2;
            }
            b'\'' => {
                let rest = &s[i + 1..];
                let (ch, used) = if rest.starts_with('\\') {
                    unescape(rest).ok_or_else(|| err(line, "invalid character constant".into()))?
                } else {
                    let ch = rest.chars().next().unwrap_or('\0');
                    (ch.to_string(), ch.len_utf8())
                };
                if !s[i + 1 + used..].starts_with('\'') {
                    return Err(err(line, "unterminated character constant".into()));
                }
                let code = ch.chars().next().map(|c| c as i64).unwrap_or(0);
                push(items, Tok::Char(code), line, tok_start);
                i += used + 2;
            }
            b'$' => {
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80)
                {
                    i += 1;
                }
                push(items, Tok::Var(s[start..i].to_string()), line, tok_start);
            }
            b'.' if b.get(i + 1).is_some_and(|c| c.is_ascii_digit()) => {
                i = lex_number(s, i, items, line, name)?;
                set_offset(items, base + tok_start);
            }
            b'.' => {
                i += 1;
                let fs = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80)
                {
                    i += 1;
                }
                let adjacent = tok_start > 0
                    && !is_space(b[tok_start - 1])
                    && matches!(
                        items.last().map(|it| &it.tok),
                        Some(Tok::Field(_) | Tok::Chained(_) | Tok::Var(_) | Tok::RParen)
                    );
                if fs == i {
                    push(items, Tok::Dot, line, tok_start);
                } else if adjacent {
                    push(items, Tok::Chained(s[fs..i].to_string()), line, tok_start);
                } else {
                    push(items, Tok::Field(s[fs..i].to_string()), line, tok_start);
                }
            }
            b'0'..=b'9' | b'-' | b'+' => {
                i = lex_number(s, i, items, line, name)?;
                set_offset(items, base + tok_start);
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80)
                {
                    i += 1;
                }
                push(items, Tok::Word(s[start..i].to_string()), line, tok_start);
            }
            _ => {
                let ch = s[i..].chars().next().unwrap_or('?');
                return Err(err(line, format!("unexpected {ch:?} in command")));
            }
        }
    }
    Ok(())
}

/// Action tokens carry their byte offset in `col` until `resolve_positions` runs.
fn set_offset(items: &mut [Item], off: usize) {
    if let Some(last) = items.last_mut() {
        last.pos = Pos {
            line: 0,
            col: off as u32,
        };
    }
}

/// Turns the byte offsets of action tokens (line 0) into lines and 0-based columns,
/// as Go's `ErrorContext` counts them.
fn resolve_positions(src: &str, items: &mut [Item]) {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(src.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    for it in items.iter_mut().filter(|i| i.pos.line == 0) {
        let off = it.pos.col as usize;
        let line = starts.partition_point(|&s| s <= off);
        it.pos = Pos {
            line: line as u32,
            col: (off - starts[line - 1]) as u32,
        };
    }
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

fn lex_number(
    s: &str,
    start: usize,
    items: &mut Vec<Item>,
    line: u32,
    name: &str,
) -> Result<usize, ParseError> {
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
    let clean = text.replace('_', "");
    let (neg, digits) = match clean.strip_prefix('-') {
        Some(d) => (true, d.to_string()),
        None => (false, clean.trim_start_matches('+').to_string()),
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
            .or_else(|| hex_float(&digits).map(|f| if neg { -f } else { f }))
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
    items.push(Item {
        tok,
        pos: Pos { line, col: 0 },
    });
    Ok(i)
}

/// One escape sequence at the start of `s` (which starts with a backslash).
fn unescape(s: &str) -> Option<(String, usize)> {
    let b = s.as_bytes();
    let c = *b.get(1)?;
    let simple = |ch: char| Some((ch.to_string(), 2));
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
            Some((char::from_u32(v)?.to_string(), 4))
        }
        b'u' => {
            let v = u32::from_str_radix(s.get(2..6)?, 16).ok()?;
            Some((char::from_u32(v)?.to_string(), 6))
        }
        b'U' => {
            let v = u32::from_str_radix(s.get(2..10)?, 16).ok()?;
            Some((char::from_u32(v)?.to_string(), 10))
        }
        b'0'..=b'7' => {
            let v = u32::from_str_radix(s.get(1..4)?, 8).ok()?;
            Some((char::from_u32(v)?.to_string(), 4))
        }
        _ => None,
    }
}

// ---------------------------------------------------------------- parsing

/// The keyword that ended a list: `end` or `else`, with what follows `else`.
#[derive(Debug)]
struct ListEnd {
    word: String,
    line: u32,
    /// `else if ...` / `else with ...`: the tokens after the keyword start a new branch.
    chained: Option<String>,
}

struct Parser {
    name: String,
    items: Vec<Item>,
    at: usize,
    defines: BTreeMap<String, Arc<Vec<Node>>>,
    range_depth: usize,
}

impl Parser {
    fn err(&self, line: u32, message: String) -> ParseError {
        ParseError {
            name: self.name.clone(),
            line,
            message,
        }
    }

    fn peek(&self) -> Option<&Tok> {
        self.items.get(self.at).map(|i| &i.tok)
    }

    fn line(&self) -> u32 {
        self.items
            .get(self.at)
            .or_else(|| self.items.last())
            .map(|i| i.pos.line)
            .unwrap_or(1)
    }

    fn next(&mut self) -> Option<Item> {
        let it = self.items.get(self.at).cloned();
        self.at += 1;
        it
    }

    fn expect_close(&mut self, context: &str) -> Result<(), ParseError> {
        match self.next() {
            Some(Item {
                tok: Tok::Close, ..
            }) => Ok(()),
            Some(it) => Err(self.err(
                it.pos.line,
                format!("unexpected {} in {context}", describe(&it.tok)),
            )),
            None => Err(self.err(self.line(), format!("unexpected EOF in {context}"))),
        }
    }

    /// Nodes until `{{end}}`, `{{else}}` or the end of input.
    fn list(&mut self) -> Result<(Vec<Node>, Option<ListEnd>), ParseError> {
        let mut nodes = Vec::new();
        loop {
            // Text is moved, not copied: CRD templates are megabytes of it, and no
            // command's text spans it.
            if let Some(Item {
                tok: Tok::Text(t, line),
                ..
            }) = self.items.get_mut(self.at)
            {
                nodes.push(Node::Text(std::mem::take(t), *line));
                self.at += 1;
                continue;
            }
            let Some(item) = self.next() else { break };
            match item.tok {
                Tok::Text(t, line) => nodes.push(Node::Text(t, line)),
                Tok::Open(text) => {
                    let pos = item.pos;
                    match self.peek().cloned() {
                        Some(Tok::Word(w)) => match w.as_str() {
                            "end" => {
                                self.at += 1;
                                self.expect_close("end")?;
                                return Ok((
                                    nodes,
                                    Some(ListEnd {
                                        word: "end".into(),
                                        line: pos.line,
                                        chained: None,
                                    }),
                                ));
                            }
                            "else" => {
                                self.at += 1;
                                let chained = match self.peek() {
                                    Some(Tok::Word(w)) if w == "if" || w == "with" => {
                                        let w = w.clone();
                                        self.at += 1;
                                        Some(w)
                                    }
                                    _ => {
                                        self.expect_close("else")?;
                                        None
                                    }
                                };
                                return Ok((
                                    nodes,
                                    Some(ListEnd {
                                        word: "else".into(),
                                        line: pos.line,
                                        chained,
                                    }),
                                ));
                            }
                            "if" | "with" | "range" => {
                                self.at += 1;
                                nodes.push(self.branch(&w, pos, &text)?);
                            }
                            "define" => {
                                self.at += 1;
                                self.define(pos)?;
                            }
                            "block" => {
                                self.at += 1;
                                let name = self.string_arg("block")?;
                                let pipe = self.pipeline("block", pos, &text, false)?;
                                let (body, end) = self.list()?;
                                self.require_end(end, "block", pos.line)?;
                                self.defines.insert(name.clone(), Arc::new(body));
                                nodes.push(Node::Template {
                                    pos,
                                    name,
                                    pipe: Some(pipe),
                                });
                            }
                            "template" => {
                                self.at += 1;
                                let name = self.string_arg("template")?;
                                let pipe = if self.peek() == Some(&Tok::Close) {
                                    self.at += 1;
                                    None
                                } else {
                                    Some(self.pipeline("template", pos, &text, false)?)
                                };
                                nodes.push(Node::Template { pos, name, pipe });
                            }
                            "break" | "continue" => {
                                self.at += 1;
                                if self.range_depth == 0 {
                                    return Err(self.err(
                                        pos.line,
                                        format!("{{{{{w}}}}} outside {{{{range}}}}"),
                                    ));
                                }
                                self.expect_close(&w)?;
                                nodes.push(if w == "break" {
                                    Node::Break(pos)
                                } else {
                                    Node::Continue(pos)
                                });
                            }
                            _ => nodes
                                .push(Node::Action(self.pipeline("command", pos, &text, true)?)),
                        },
                        Some(Tok::Close) => {
                            return Err(self.err(pos.line, "missing value for command".into()));
                        }
                        _ => nodes.push(Node::Action(self.pipeline("command", pos, &text, true)?)),
                    }
                }
                other => {
                    return Err(self.err(item.pos.line, format!("unexpected {}", describe(&other))))
                }
            }
        }
        Ok((nodes, None))
    }

    fn require_end(&self, end: Option<ListEnd>, ctx: &str, line: u32) -> Result<(), ParseError> {
        match end {
            Some(ListEnd { ref word, .. }) if word == "end" => Ok(()),
            Some(e) => Err(self.err(e.line, format!("unexpected {{{{{}}}}} in {ctx}", e.word))),
            None => Err(self.err(line, format!("unexpected EOF in {ctx}"))),
        }
    }

    fn string_arg(&mut self, ctx: &str) -> Result<String, ParseError> {
        match self.next() {
            Some(Item {
                tok: Tok::Str(s), ..
            }) => Ok(s),
            Some(it) => Err(self.err(
                it.pos.line,
                format!("unexpected {} in {ctx} clause", describe(&it.tok)),
            )),
            None => Err(self.err(self.line(), format!("unexpected EOF in {ctx} clause"))),
        }
    }

    fn define(&mut self, pos: Pos) -> Result<(), ParseError> {
        let name = self.string_arg("define")?;
        self.expect_close("define clause")?;
        let (body, end) = self.list()?;
        self.require_end(end, "define", pos.line)?;
        self.defines.insert(name, Arc::new(body));
        Ok(())
    }

    fn branch(&mut self, kw: &str, pos: Pos, text: &str) -> Result<Node, ParseError> {
        let pipe = self.pipeline(kw, pos, text, false)?;
        if kw == "range" {
            self.range_depth += 1;
        }
        let (body, end) = self.list()?;
        if kw == "range" {
            self.range_depth -= 1;
        }
        let else_body = match end {
            Some(ListEnd {
                word,
                chained: None,
                ..
            }) if word == "end" => Vec::new(),
            Some(ListEnd {
                word,
                chained: None,
                ..
            }) if word == "else" => {
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
                vec![self.branch(&w, inner_pos, text)?]
            }
            Some(ListEnd { word, line, .. }) => {
                return Err(self.err(line, format!("unexpected {{{{{word}}}}}")))
            }
            None => return Err(self.err(pos.line, format!("unexpected EOF in {kw}"))),
        };
        let b = Branch {
            pipe,
            body,
            else_body,
        };
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
        text: &str,
        allow_empty_decl: bool,
    ) -> Result<Pipe, ParseError> {
        let _ = allow_empty_decl;
        let mut decl = Vec::new();
        let mut is_assign = false;
        // `$x :=`, `$x =`, `$i, $v :=`
        let save = self.at;
        let mut vars = Vec::new();
        loop {
            match self.peek() {
                Some(Tok::Var(v)) => {
                    vars.push(v.clone());
                    self.at += 1;
                    match self.peek() {
                        Some(Tok::Comma) if ctx == "range" && vars.len() == 1 => {
                            self.at += 1;
                            continue;
                        }
                        Some(Tok::Declare) => {
                            self.at += 1;
                            decl = vars;
                            break;
                        }
                        Some(Tok::Assign) => {
                            self.at += 1;
                            decl = vars;
                            is_assign = true;
                            break;
                        }
                        _ => {
                            self.at = save;
                            break;
                        }
                    }
                }
                _ => {
                    self.at = save;
                    break;
                }
            }
        }
        let mut cmds = Vec::new();
        loop {
            let cmd = self.command(pos)?;
            if cmd.args.is_empty() {
                return Err(self.err(self.line(), format!("missing value for {ctx}")));
            }
            cmds.push(cmd);
            match self.next() {
                // Go ends a pipeline at the delimiter even right after a `|` (`{{ x | }}`).
                Some(Item { tok: Tok::Pipe, .. }) if self.peek() == Some(&Tok::Close) => {
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
                        format!("unexpected {} in {ctx}", describe(&it.tok)),
                    ))
                }
                None => return Err(self.err(self.line(), "unclosed action".to_string())),
            }
        }
        Ok(Pipe {
            pos,
            text: text.to_string(),
            decl,
            is_assign,
            cmds,
        })
    }

    /// Arguments until `|`, `)` or the closing delimiter.
    fn command(&mut self, pos: Pos) -> Result<Command, ParseError> {
        let start = self.at;
        let pos = self.items.get(self.at).map(|i| i.pos).unwrap_or(pos);
        let mut args = Vec::new();
        loop {
            match self.peek() {
                None | Some(Tok::Pipe) | Some(Tok::Close) | Some(Tok::RParen) => break,
                _ => {}
            }
            args.push(self.operand(pos)?);
        }
        let text = tokens_text(&self.items[start..self.at]);
        Ok(Command { pos, text, args })
    }

    fn fields(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(Tok::Chained(f)) = self.peek() {
            out.push(f.clone());
            self.at += 1;
        }
        out
    }

    fn operand(&mut self, pos: Pos) -> Result<(Pos, Arg), ParseError> {
        let Some(item) = self.next() else {
            return Err(self.err(self.line(), "unexpected EOF".into()));
        };
        // Go places a chained operand (`.A.B`, `$x.A`, `(p).A`) at its second element.
        let at = match (&item.tok, self.items.get(self.at)) {
            (
                Tok::Field(_) | Tok::Var(_),
                Some(Item {
                    tok: Tok::Chained(_),
                    pos,
                }),
            ) => *pos,
            _ => item.pos,
        };
        let mut at = at;
        let arg = match item.tok {
            Tok::Dot => Arg::Dot,
            Tok::Field(f) => {
                let mut chain = vec![f];
                chain.extend(self.fields());
                Arg::Field(chain)
            }
            Tok::Var(v) => {
                let chain = self.fields();
                Arg::Variable(v, chain)
            }
            Tok::Str(s) => Arg::String(s),
            Tok::Int(i) | Tok::Char(i) => Arg::Int(i),
            Tok::Float(f) => Arg::Float(f),
            Tok::Word(w) => match w.as_str() {
                "true" => Arg::Bool(true),
                "false" => Arg::Bool(false),
                "nil" => Arg::Nil,
                _ => Arg::Ident(w),
            },
            Tok::LParen => {
                let start = self.at;
                let mut cmds = Vec::new();
                loop {
                    let cmd = self.command(pos)?;
                    if cmd.args.is_empty() {
                        return Err(self.err(
                            item.pos.line,
                            "missing value for parenthesized pipeline".into(),
                        ));
                    }
                    cmds.push(cmd);
                    match self.next() {
                        Some(Item { tok: Tok::Pipe, .. }) if self.peek() == Some(&Tok::RParen) => {
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
                let text = tokens_text(&self.items[start..self.at - 1]);
                if let Some(Item {
                    tok: Tok::Chained(_),
                    pos,
                }) = self.items.get(self.at)
                {
                    at = *pos;
                }
                let chain = self.fields();
                Arg::Pipe(
                    Box::new(Pipe {
                        pos,
                        text,
                        decl: Vec::new(),
                        is_assign: false,
                        cmds,
                    }),
                    chain,
                )
            }
            other => {
                return Err(self.err(
                    item.pos.line,
                    format!("unexpected {} in operand", describe(&other)),
                ))
            }
        };
        Ok((at, arg))
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Close => "\"}}\"".into(),
        Tok::RParen => "\")\"".into(),
        other => format!("\"{}\"", token_text(other)),
    }
}

fn token_text(t: &Tok) -> String {
    let mut out = String::new();
    push_token(&mut out, t);
    out
}

/// The tokens' text separated by spaces (a command's text, for messages). Every command
/// of every template gets one, so it is written in place, not joined from pieces.
fn tokens_text(items: &[Item]) -> String {
    let mut out = String::new();
    for (n, i) in items.iter().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        push_token(&mut out, &i.tok);
    }
    out
}

fn push_token(out: &mut String, t: &Tok) {
    use std::fmt::Write;
    match t {
        Tok::Text(s, _) | Tok::Word(s) | Tok::Var(s) => out.push_str(s),
        Tok::Open(_) => out.push_str("{{"),
        Tok::Close => out.push_str("}}"),
        Tok::Field(f) | Tok::Chained(f) => {
            out.push('.');
            out.push_str(f);
        }
        Tok::Str(s) => {
            let _ = write!(out, "{s:?}");
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
}
