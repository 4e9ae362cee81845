//! TOML as Helm's `fromToml`, `toToml` and `mustToToml` have it: BurntSushi/toml
//! v1.6, which Helm v4 links. A chart sees that library's quirks, so they are kept
//! rather than a TOML library's own: what it accepts (TOML 1.1's optional seconds,
//! `\e` and `\x` escapes, newlines in inline tables, a dotted key extending an inline
//! table), the Go values it decodes to (float64; time.Time in the zone Go's parse gives,
//! "datetime-local" and its kin for local times), its error messages with their line and
//! last key, and its encoder's layout (two-space indents, plain keys before tables, floats
//! as Go's `%g` plus ".0"). Its int64 and the `[]map[string]any` of `[[tables]]` are
//! strata's int and list: they print and compare alike, only their type names differ.
//!
//! The lexer walks the same states as BurntSushi's, so an error is found where it finds
//! it; the parser then keeps the same bookkeeping of implicit tables and array keys,
//! which decides what counts as a duplicate.

use super::dates::{GoTime, Zone};
use super::gotmpl::funcs::{go_quote, is_letter};
use super::gotmpl::{Value, MAX_VALUE_DEPTH};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What `fromToml` returns: the document as a map, or `{"Error": message}`.
pub fn from_toml(text: &str) -> Value {
    match parse(text) {
        Ok(table) => table_value(table),
        Err(e) => Value::map(BTreeMap::from([("Error".to_string(), Value::str(e))])),
    }
}

/// A parsed value: what BurntSushi's parser stores in its `map[string]any`.
#[derive(Debug, Clone)]
enum Node {
    /// `map[string]any`
    Table(Table),
    /// `[]map[string]any`, made by `[[name]]`.
    Tables(Vec<Table>),
    /// `[]any`
    Array(Vec<Node>),
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Time(GoTime),
}

type Table = BTreeMap<String, Node>;

fn table_value(t: Table) -> Value {
    Value::map(t.into_iter().map(|(k, v)| (k, node_value(v))).collect())
}

fn node_value(n: Node) -> Value {
    match n {
        Node::Table(t) => table_value(t),
        Node::Tables(ts) => Value::list(ts.into_iter().map(table_value).collect()),
        Node::Array(a) => Value::list(a.into_iter().map(node_value).collect()),
        Node::Int(i) => Value::Int(i),
        Node::Float(f) => Value::Float(f),
        Node::Bool(b) => Value::Bool(b),
        Node::Str(s) => Value::str(s),
        Node::Time(t) => t.value(),
    }
}

/// Parses a document; the error is BurntSushi's `ParseError.Error()`.
fn parse(text: &str) -> Result<Table, String> {
    let data = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    // It looks for NUL in the first bytes: a UTF-16 file.
    if data.as_bytes().iter().take(6).any(|&b| b == 0) {
        return Err(
            "toml: line 1: files cannot contain NULL bytes; probably using UTF-16; TOML files must be UTF-8"
                .to_string(),
        );
    }
    let items = Lexer::new(data).run();
    let mut p = Parser::new(items);
    p.run().map_err(|e| e.to_string())?;
    Ok(p.mapping)
}

// ---------------------------------------------------------------------------------
// Lexer

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Error,
    Eof,
    Text,
    Str,
    StrEsc,
    Raw,
    MultiStr,
    MultiRaw,
    Bool,
    Integer,
    Float,
    Datetime,
    Array,
    ArrayEnd,
    TableStart,
    TableEnd,
    ArrayTableStart,
    ArrayTableEnd,
    KeyStart,
    KeyEnd,
    CommentStart,
    InlineTableStart,
    InlineTableEnd,
}

#[derive(Debug, Clone)]
struct Item {
    kind: Kind,
    /// The text, or the message of an error.
    val: String,
    line: usize,
}

/// The lexer's states (BurntSushi's `lex*` functions).
#[derive(Clone, Copy, Debug)]
enum State {
    Top,
    TopEnd,
    TableStart,
    TableEnd,
    ArrayTableEnd,
    TableNameStart,
    TableNameEnd,
    BareName,
    QuotedName,
    KeyStart,
    KeyNameStart,
    KeyEnd,
    Value,
    ArrayValue,
    ArrayValueEnd,
    ArrayEnd,
    InlineTableValue,
    InlineTableValueEnd,
    InlineTableEnd,
    Str,
    MultiStr,
    Raw,
    MultiRaw,
    MultiStrEscape,
    StrEscape,
    HexEscape,
    ShortUnicodeEscape,
    LongUnicodeEscape,
    NumberOrDateStart,
    NumberOrDate,
    Datetime,
    HexInteger,
    OctalInteger,
    BinaryInteger,
    DecimalNumber,
    DecimalNumberStart,
    BaseNumberOrDate,
    Float,
    Bool,
    CommentStart,
    Comment,
}

/// The end of input, as the Go lexer spells it (a NUL in the input is an error first).
const EOF: char = '\0';
/// What `next` gives after reporting a control character.
const BAD: char = '\u{FFFD}';

struct Lexer<'a> {
    input: &'a str,
    start: usize,
    pos: usize,
    line: usize,
    stack: Vec<State>,
    esc: bool,
    /// The widths of the last runes read, for `backup` (at most four back).
    widths: [usize; 4],
    nprev: usize,
    at_eof: bool,
    items: Vec<Item>,
    /// An error was emitted: lexing stops after the state that emitted it.
    failed: bool,
}

fn is_ws(r: char) -> bool {
    r == ' ' || r == '\t'
}
fn is_nl(r: char) -> bool {
    r == '\n' || r == '\r'
}
fn is_control(r: char) -> bool {
    !matches!(r, '\t' | '\r' | '\n') && (r <= '\u{1f}' || r == '\u{7f}')
}
fn is_digit(r: char) -> bool {
    r.is_ascii_digit()
}
fn is_hex(r: char) -> bool {
    r.is_ascii_hexdigit()
}
fn is_bare(r: char) -> bool {
    r.is_ascii_alphanumeric() || r == '_' || r == '-'
}
/// Go's `%q` of a rune (`strconv.QuoteRune`).
fn quote_rune(r: char) -> String {
    let inner = match r {
        '\'' => "\\'".to_string(),
        '\\' => "\\\\".to_string(),
        '\x07' => "\\a".to_string(),
        '\x08' => "\\b".to_string(),
        '\x0c' => "\\f".to_string(),
        '\n' => "\\n".to_string(),
        '\r' => "\\r".to_string(),
        '\t' => "\\t".to_string(),
        '\x0b' => "\\v".to_string(),
        c if c < ' ' || c == '\x7f' => format!("\\x{:02x}", c as u32),
        c if c.is_ascii() || super::gotmpl::funcs::is_print(c) => c.to_string(),
        c if (c as u32) < 0x10000 => format!("\\u{:04x}", c as u32),
        c => format!("\\U{:08x}", c as u32),
    };
    format!("'{inner}'")
}

impl<'a> Lexer<'a> {
    fn new(input: &'a str) -> Lexer<'a> {
        Lexer {
            input,
            start: 0,
            pos: 0,
            line: 1,
            stack: Vec::new(),
            esc: false,
            widths: [0; 4],
            nprev: 0,
            at_eof: false,
            items: Vec::new(),
            failed: false,
        }
    }

    /// Lexes up to the end or the first error: the parser reads items in order and
    /// stops at an error, so nothing after one matters.
    fn run(mut self) -> Vec<Item> {
        let mut state = Some(State::Top);
        // Every state reads input or moves to one that does; the bound only turns a
        // lexer bug into an error instead of a hang.
        let mut budget = self.input.len().saturating_mul(64).saturating_add(4096);
        while let Some(s) = state {
            state = self.step(s);
            if self.failed {
                break;
            }
            budget -= 1;
            if budget == 0 {
                self.push_error(self.line, "BUG in lexer: no progress".to_string());
                break;
            }
        }
        self.items
    }

    fn next(&mut self) -> char {
        if self.at_eof || self.pos >= self.input.len() {
            self.at_eof = true;
            return EOF;
        }
        let bytes = self.input.as_bytes();
        if bytes[self.pos] == b'\n' {
            self.line += 1;
        }
        self.widths = [0, self.widths[0], self.widths[1], self.widths[2]];
        self.nprev = (self.nprev + 1).min(4);
        let r = self.input[self.pos..].chars().next().unwrap_or(EOF);
        let lone_cr = r == '\r' && bytes.get(self.pos + 1) != Some(&b'\n');
        if is_control(r) || lone_cr {
            let line = self.line;
            self.push_error(
                line,
                format!(
                    "TOML files cannot contain control characters: '0x{:02x}'",
                    r as u32
                ),
            );
            return BAD;
        }
        self.widths[0] = r.len_utf8();
        self.pos += r.len_utf8();
        r
    }

    fn backup(&mut self) {
        if self.at_eof {
            self.at_eof = false;
            return;
        }
        if self.nprev == 0 {
            return;
        }
        let w = self.widths[0];
        self.widths = [self.widths[1], self.widths[2], self.widths[3], 0];
        self.nprev -= 1;
        self.pos = self.pos.saturating_sub(w);
        if self.input.as_bytes().get(self.pos) == Some(&b'\n') {
            self.line -= 1;
        }
    }

    fn accept(&mut self, valid: char) -> bool {
        if self.next() == valid {
            return true;
        }
        self.backup();
        false
    }

    fn peek(&mut self) -> char {
        let r = self.next();
        self.backup();
        r
    }

    fn ignore(&mut self) {
        self.start = self.pos;
    }

    fn skip(&mut self, pred: fn(char) -> bool) {
        loop {
            let r = self.next();
            if !pred(r) {
                self.backup();
                self.ignore();
                return;
            }
        }
    }

    fn current(&self) -> &'a str {
        self.input.get(self.start..self.pos).unwrap_or("")
    }

    fn emit(&mut self, kind: Kind) {
        // Backing up over a closing quote can put the end before the start.
        if self.start > self.pos {
            let b = self.input.as_bytes().get(self.pos).copied().unwrap_or(0);
            self.push_error(self.line, format!("invalid UTF-8 byte: 0x{b:02x}"));
            return;
        }
        let val = self.current().to_string();
        self.items.push(Item {
            kind,
            val,
            line: self.line,
        });
        self.start = self.pos;
    }

    fn emit_trim(&mut self, kind: Kind) {
        let val = self.current().trim().to_string();
        self.items.push(Item {
            kind,
            val,
            line: self.line,
        });
        self.start = self.pos;
    }

    fn push(&mut self, s: State) {
        self.stack.push(s);
    }

    fn pop(&mut self) -> Option<State> {
        self.stack.pop()
    }

    fn push_error(&mut self, line: usize, msg: String) {
        self.failed = true;
        self.items.push(Item {
            kind: Kind::Error,
            val: msg,
            line,
        });
    }

    /// `lx.error`: at the end of input the error is put on the line before.
    fn error(&mut self, msg: String) -> Option<State> {
        if self.at_eof {
            return self.error_prev_line(msg);
        }
        self.push_error(self.line, msg);
        None
    }

    fn error_prev_line(&mut self, msg: String) -> Option<State> {
        self.push_error(self.line.saturating_sub(1), msg);
        None
    }

    /// `lx.errorf`: at the end of input, on the line of the last character.
    fn errorf(&mut self, msg: String) -> Option<State> {
        let mut line = self.line;
        if self.at_eof && self.pos >= 1 && self.input.as_bytes()[self.pos - 1] == b'\n' {
            line -= 1;
        }
        self.push_error(line, msg);
        None
    }

    fn skip_to(&mut self, s: State) -> Option<State> {
        self.ignore();
        Some(s)
    }

    fn step(&mut self, s: State) -> Option<State> {
        match s {
            State::Top => self.top(),
            State::TopEnd => self.top_end(),
            State::TableStart => self.table_start(),
            State::TableEnd => {
                self.emit(Kind::TableEnd);
                Some(State::TopEnd)
            }
            State::ArrayTableEnd => self.array_table_end(),
            State::TableNameStart => self.table_name_start(),
            State::TableNameEnd => self.table_name_end(),
            State::BareName => self.bare_name(),
            State::QuotedName => self.quoted_name(),
            State::KeyStart => self.key_start(),
            State::KeyNameStart => self.key_name_start(),
            State::KeyEnd => self.key_end(),
            State::Value => self.value(),
            State::ArrayValue => self.array_value(),
            State::ArrayValueEnd => self.array_value_end(),
            State::ArrayEnd => {
                self.ignore();
                self.emit(Kind::ArrayEnd);
                self.pop()
            }
            State::InlineTableValue => self.inline_table_value(),
            State::InlineTableValueEnd => self.inline_table_value_end(),
            State::InlineTableEnd => {
                self.ignore();
                self.emit(Kind::InlineTableEnd);
                self.pop()
            }
            State::Str => self.string(),
            State::MultiStr => self.multiline_string(),
            State::Raw => self.raw_string(),
            State::MultiRaw => self.multiline_raw_string(),
            State::MultiStrEscape => {
                let r = self.next();
                if is_nl(r) {
                    return Some(State::MultiStr);
                }
                self.backup();
                self.push(State::MultiStr);
                Some(State::StrEscape)
            }
            State::StrEscape => self.string_escape(),
            State::HexEscape => self.hex_escape(2, "two", 'x'),
            State::ShortUnicodeEscape => self.hex_escape(4, "four", 'u'),
            State::LongUnicodeEscape => self.hex_escape(8, "eight", 'U'),
            State::NumberOrDateStart => {
                if self.next() == '0' {
                    Some(State::BaseNumberOrDate)
                } else {
                    Some(State::NumberOrDate)
                }
            }
            State::NumberOrDate => self.number_or_date(),
            State::Datetime => self.datetime(),
            State::HexInteger => self.integer_digits(is_hex, State::HexInteger),
            State::OctalInteger => {
                self.integer_digits(|r| ('0'..='7').contains(&r), State::OctalInteger)
            }
            State::BinaryInteger => {
                self.integer_digits(|r| r == '0' || r == '1', State::BinaryInteger)
            }
            State::DecimalNumber => self.decimal_number(),
            State::DecimalNumberStart => self.decimal_number_start(),
            State::BaseNumberOrDate => self.base_number_or_date(),
            State::Float => self.float(),
            State::Bool => self.boolean(),
            State::CommentStart => {
                self.ignore();
                self.emit(Kind::CommentStart);
                Some(State::Comment)
            }
            State::Comment => {
                let r = self.next();
                if is_nl(r) || r == EOF {
                    self.backup();
                    self.emit(Kind::Text);
                    return self.pop();
                }
                Some(State::Comment)
            }
        }
    }

    fn top(&mut self) -> Option<State> {
        let r = self.next();
        if is_ws(r) || is_nl(r) {
            return self.skip_to(State::Top);
        }
        match r {
            '#' => {
                self.push(State::Top);
                return Some(State::CommentStart);
            }
            '[' => return Some(State::TableStart),
            EOF => {
                if self.pos > self.start {
                    return self.errorf("unexpected EOF".to_string());
                }
                self.emit(Kind::Eof);
                return None;
            }
            _ => {}
        }
        self.backup();
        self.push(State::TopEnd);
        Some(State::KeyStart)
    }

    fn top_end(&mut self) -> Option<State> {
        let r = self.next();
        match r {
            '#' => {
                self.push(State::Top);
                Some(State::CommentStart)
            }
            r if is_ws(r) => Some(State::TopEnd),
            r if is_nl(r) => self.skip_to(State::Top),
            EOF => {
                self.emit(Kind::Eof);
                None
            }
            r => self.errorf(format!(
                "expected a top-level item to end with a newline, comment, or EOF, but got {} instead",
                quote_rune(r)
            )),
        }
    }

    fn table_start(&mut self) -> Option<State> {
        if self.peek() == '[' {
            self.next();
            self.emit(Kind::ArrayTableStart);
            self.push(State::ArrayTableEnd);
        } else {
            self.emit(Kind::TableStart);
            self.push(State::TableEnd);
        }
        Some(State::TableNameStart)
    }

    fn array_table_end(&mut self) -> Option<State> {
        let r = self.next();
        if r != ']' {
            return self.errorf(format!(
                "expected end of table array name delimiter ']', but got {} instead",
                quote_rune(r)
            ));
        }
        self.emit(Kind::ArrayTableEnd);
        Some(State::TopEnd)
    }

    fn table_name_start(&mut self) -> Option<State> {
        self.skip(is_ws);
        match self.peek() {
            ']' | EOF => self
                .errorf("unexpected end of table name (table names cannot be empty)".to_string()),
            '.' => {
                self.errorf("unexpected table separator (table names cannot be empty)".to_string())
            }
            '"' | '\'' => {
                self.ignore();
                self.push(State::TableNameEnd);
                Some(State::QuotedName)
            }
            _ => {
                self.push(State::TableNameEnd);
                Some(State::BareName)
            }
        }
    }

    fn table_name_end(&mut self) -> Option<State> {
        self.skip(is_ws);
        match self.next() {
            '.' => self.skip_to(State::TableNameStart),
            ']' => self.pop(),
            r => self.errorf(format!(
                "expected '.' or ']' to end table name, but got {} instead",
                quote_rune(r)
            )),
        }
    }

    fn bare_name(&mut self) -> Option<State> {
        if is_bare(self.next()) {
            return Some(State::BareName);
        }
        self.backup();
        self.emit(Kind::Text);
        self.pop()
    }

    fn quoted_name(&mut self) -> Option<State> {
        match self.next() {
            '"' => self.skip_to(State::Str),
            '\'' => self.skip_to(State::Raw),
            r if is_ws(r) => self.skip_to(State::Value),
            EOF => self.errorf("unexpected EOF; expected value".to_string()),
            r => self.errorf(format!(
                "expected value but found {} instead",
                quote_rune(r)
            )),
        }
    }

    fn key_start(&mut self) -> Option<State> {
        self.skip(is_ws);
        match self.peek() {
            '=' | EOF => self.errorf("unexpected '=': key name appears blank".to_string()),
            '.' => self.errorf("unexpected '.': keys cannot start with a '.'".to_string()),
            r => {
                if r == '"' || r == '\'' {
                    self.ignore();
                }
                self.emit(Kind::KeyStart);
                Some(State::KeyNameStart)
            }
        }
    }

    fn key_name_start(&mut self) -> Option<State> {
        self.skip(is_ws);
        match self.peek() {
            '"' | '\'' => {
                self.ignore();
                self.push(State::KeyEnd);
                Some(State::QuotedName)
            }
            '=' | EOF => self.errorf("unexpected '='".to_string()),
            '.' => self.errorf("unexpected '.'".to_string()),
            _ => {
                self.push(State::KeyEnd);
                Some(State::BareName)
            }
        }
    }

    fn key_end(&mut self) -> Option<State> {
        self.skip(is_ws);
        match self.next() {
            r if is_ws(r) => self.skip_to(State::KeyEnd),
            EOF => self.errorf("unexpected EOF; expected key separator '='".to_string()),
            '.' => self.skip_to(State::KeyNameStart),
            '=' => {
                self.emit(Kind::KeyEnd);
                self.skip_to(State::Value)
            }
            '\n' => self.error_prev_line(format!(
                "expected '.' or '=', but got {} instead",
                quote_rune('\n')
            )),
            r => self.errorf(format!(
                "expected '.' or '=', but got {} instead",
                quote_rune(r)
            )),
        }
    }

    fn value(&mut self) -> Option<State> {
        let r = self.next();
        if is_ws(r) {
            return self.skip_to(State::Value);
        }
        if is_digit(r) {
            self.backup();
            return Some(State::NumberOrDateStart);
        }
        match r {
            '[' => {
                self.ignore();
                self.emit(Kind::Array);
                return Some(State::ArrayValue);
            }
            '{' => {
                self.ignore();
                self.emit(Kind::InlineTableStart);
                return Some(State::InlineTableValue);
            }
            '"' | '\'' => {
                let (single, multi) = if r == '"' {
                    (State::Str, State::MultiStr)
                } else {
                    (State::Raw, State::MultiRaw)
                };
                if self.accept(r) {
                    if self.accept(r) {
                        return self.skip_to(multi);
                    }
                    self.backup();
                }
                return self.skip_to(single);
            }
            '.' => return self.errorf("floats must start with a digit, not '.'".to_string()),
            // "inf" and "nan"; what a failed try read stays read.
            'i' | 'n'
                if (self.accept('n') && self.accept('f'))
                    || (self.accept('a') && self.accept('n')) =>
            {
                self.emit(Kind::Float);
                return self.pop();
            }
            '-' | '+' => return Some(State::DecimalNumberStart),
            _ => {}
        }
        if is_letter(r) {
            self.backup();
            return Some(State::Bool);
        }
        match r {
            EOF => self.errorf("unexpected EOF; expected value".to_string()),
            '\n' => self.error_prev_line(format!(
                "expected value but found {} instead",
                quote_rune(r)
            )),
            r => self.errorf(format!(
                "expected value but found {} instead",
                quote_rune(r)
            )),
        }
    }

    fn array_value(&mut self) -> Option<State> {
        match self.next() {
            r if is_ws(r) || is_nl(r) => self.skip_to(State::ArrayValue),
            '#' => {
                self.push(State::ArrayValue);
                Some(State::CommentStart)
            }
            ',' => self.errorf("unexpected comma".to_string()),
            ']' => Some(State::ArrayEnd),
            _ => {
                self.backup();
                self.push(State::ArrayValueEnd);
                Some(State::Value)
            }
        }
    }

    fn array_value_end(&mut self) -> Option<State> {
        match self.next() {
            r if is_ws(r) || is_nl(r) => self.skip_to(State::ArrayValueEnd),
            '#' => {
                self.push(State::ArrayValueEnd);
                Some(State::CommentStart)
            }
            ',' => self.skip_to(State::ArrayValue),
            ']' => Some(State::ArrayEnd),
            r => self.errorf(format!(
                "expected a comma (',') or array terminator (']'), but got {}",
                rune_or_eof(r)
            )),
        }
    }

    fn inline_table_value(&mut self) -> Option<State> {
        match self.next() {
            r if is_ws(r) || is_nl(r) => self.skip_to(State::InlineTableValue),
            '#' => {
                self.push(State::InlineTableValue);
                Some(State::CommentStart)
            }
            ',' => self.errorf("unexpected comma".to_string()),
            '}' => Some(State::InlineTableEnd),
            _ => {
                self.backup();
                self.push(State::InlineTableValueEnd);
                Some(State::KeyStart)
            }
        }
    }

    fn inline_table_value_end(&mut self) -> Option<State> {
        match self.next() {
            r if is_ws(r) || is_nl(r) => self.skip_to(State::InlineTableValueEnd),
            '#' => {
                self.push(State::InlineTableValueEnd);
                Some(State::CommentStart)
            }
            ',' => {
                self.ignore();
                self.skip(is_ws);
                // A trailing comma (TOML 1.1).
                if self.peek() == '}' {
                    return Some(State::InlineTableValueEnd);
                }
                Some(State::InlineTableValue)
            }
            '}' => Some(State::InlineTableEnd),
            r => self.errorf(format!(
                "expected a comma or an inline table terminator '}}', but got {} instead",
                rune_or_eof(r)
            )),
        }
    }

    fn string(&mut self) -> Option<State> {
        match self.next() {
            EOF => self.errorf("unexpected EOF; expected '\"'".to_string()),
            r if is_nl(r) => self.error_prev_line("strings cannot contain newlines".to_string()),
            '\\' => {
                self.push(State::Str);
                Some(State::StrEscape)
            }
            '"' => {
                self.backup();
                let kind = if std::mem::take(&mut self.esc) {
                    Kind::StrEsc
                } else {
                    Kind::Str
                };
                self.emit(kind);
                self.next();
                self.ignore();
                self.pop()
            }
            _ => Some(State::Str),
        }
    }

    fn multiline_string(&mut self) -> Option<State> {
        match self.next() {
            EOF => self.errorf("unexpected EOF; expected '\"\"\"'".to_string()),
            '\\' => Some(State::MultiStrEscape),
            '"' => {
                if self.accept('"') {
                    if self.accept('"') {
                        // Up to two more quotes belong to the string; six in a row do not.
                        if self.peek() == '"' {
                            let cur = self.current();
                            if cur.ends_with("\"\"\"\"\"") && !cur.ends_with("\\\"\"\"\"\"") {
                                return self.errorf("unexpected '\"\"\"\"\"\"'".to_string());
                            }
                            self.backup();
                            self.backup();
                            return Some(State::MultiStr);
                        }
                        self.backup();
                        self.backup();
                        self.backup();
                        self.esc = false;
                        self.emit(Kind::MultiStr);
                        self.next();
                        self.next();
                        self.next();
                        self.ignore();
                        return self.pop();
                    }
                    self.backup();
                }
                Some(State::MultiStr)
            }
            _ => Some(State::MultiStr),
        }
    }

    fn raw_string(&mut self) -> Option<State> {
        match self.next() {
            EOF => self.errorf("unexpected EOF; expected \"'\"".to_string()),
            r if is_nl(r) => self.error_prev_line("strings cannot contain newlines".to_string()),
            '\'' => {
                self.backup();
                self.emit(Kind::Raw);
                self.next();
                self.ignore();
                self.pop()
            }
            _ => Some(State::Raw),
        }
    }

    fn multiline_raw_string(&mut self) -> Option<State> {
        match self.next() {
            EOF => self.errorf("unexpected EOF; expected \"'''\"".to_string()),
            '\'' => {
                if self.accept('\'') {
                    if self.accept('\'') {
                        if self.peek() == '\'' {
                            if self.current().ends_with("'''''") {
                                return self.errorf("unexpected \"''''''\"".to_string());
                            }
                            self.backup();
                            self.backup();
                            return Some(State::MultiRaw);
                        }
                        self.backup();
                        self.backup();
                        self.backup();
                        self.emit(Kind::MultiRaw);
                        self.next();
                        self.next();
                        self.next();
                        self.ignore();
                        return self.pop();
                    }
                    self.backup();
                }
                Some(State::MultiRaw)
            }
            _ => Some(State::MultiRaw),
        }
    }

    fn string_escape(&mut self) -> Option<State> {
        self.esc = true;
        match self.next() {
            'e' | 'b' | 't' | 'n' | 'f' | 'r' | '"' | ' ' | '\t' | '\\' => self.pop(),
            'x' => Some(State::HexEscape),
            'u' => Some(State::ShortUnicodeEscape),
            'U' => Some(State::LongUnicodeEscape),
            r => self.error(format!("invalid escape in string '\\{r}'")),
        }
    }

    fn hex_escape(&mut self, n: usize, count: &str, letter: char) -> Option<State> {
        for _ in 0..n {
            if !is_hex(self.next()) {
                let got = go_quote(self.current());
                return self.errorf(format!(
                    "expected {count} hexadecimal digits after '\\{letter}', but got {got} instead"
                ));
            }
        }
        self.pop()
    }

    fn number_or_date(&mut self) -> Option<State> {
        match self.next() {
            r if is_digit(r) => Some(State::NumberOrDate),
            '-' | ':' => Some(State::Datetime),
            '_' => Some(State::DecimalNumber),
            '.' | 'e' | 'E' => Some(State::Float),
            _ => {
                self.backup();
                self.emit(Kind::Integer);
                self.pop()
            }
        }
    }

    fn datetime(&mut self) -> Option<State> {
        match self.next() {
            r if is_digit(r) => Some(State::Datetime),
            '-' | ':' | 'T' | 't' | ' ' | '.' | 'Z' | 'z' | '+' => Some(State::Datetime),
            _ => {
                self.backup();
                self.emit_trim(Kind::Datetime);
                self.pop()
            }
        }
    }

    fn integer_digits(&mut self, digit: fn(char) -> bool, again: State) -> Option<State> {
        let r = self.next();
        if digit(r) || r == '_' {
            return Some(again);
        }
        self.backup();
        self.emit(Kind::Integer);
        self.pop()
    }

    fn decimal_number(&mut self) -> Option<State> {
        match self.next() {
            r if is_digit(r) || r == '_' => Some(State::DecimalNumber),
            '.' | 'e' | 'E' => Some(State::Float),
            _ => {
                self.backup();
                self.emit(Kind::Integer);
                self.pop()
            }
        }
    }

    fn decimal_number_start(&mut self) -> Option<State> {
        let r = self.next();
        match r {
            'i' | 'n' => {
                let (a, b) = if r == 'i' { ('n', 'f') } else { ('a', 'n') };
                if !self.accept(a) || !self.accept(b) {
                    let cur = self.current();
                    return self.errorf(format!("invalid float: '{cur}'"));
                }
                self.emit(Kind::Float);
                return self.pop();
            }
            '0' => {
                let p = self.peek();
                if matches!(p, 'b' | 'o' | 'x') {
                    let cur = self.current();
                    return self.errorf(format!(
                        "cannot use sign with non-decimal numbers: '{cur}{p}'"
                    ));
                }
            }
            '.' => return self.errorf("floats must start with a digit, not '.'".to_string()),
            _ => {}
        }
        if is_digit(r) {
            return Some(State::DecimalNumber);
        }
        self.errorf(format!("expected a digit but got {}", quote_rune(r)))
    }

    fn base_number_or_date(&mut self) -> Option<State> {
        let r = self.next();
        let (what, digit, next): (&str, fn(char) -> bool, State) = match r {
            r if is_digit(r) => return Some(State::NumberOrDate),
            '_' => return Some(State::DecimalNumber),
            '.' | 'e' | 'E' => return Some(State::Float),
            'b' => ("a binary", |r| r == '0' || r == '1', State::BinaryInteger),
            'o' => (
                "an octal",
                |r| ('0'..='7').contains(&r),
                State::OctalInteger,
            ),
            'x' => ("a hexadecimal", is_hex, State::HexInteger),
            _ => {
                self.backup();
                self.emit(Kind::Integer);
                return self.pop();
            }
        };
        let p = self.peek();
        if !digit(p) {
            // BurntSushi reports this and lexes on; the parser stops at the report.
            let cur = self.current();
            self.errorf(format!("not {what} number: '{cur}{p}'"));
        }
        Some(next)
    }

    fn float(&mut self) -> Option<State> {
        match self.next() {
            r if is_digit(r) => Some(State::Float),
            '_' | '.' | '-' | '+' | 'e' | 'E' => Some(State::Float),
            _ => {
                self.backup();
                self.emit(Kind::Float);
                self.pop()
            }
        }
    }

    fn boolean(&mut self) -> Option<State> {
        let mut word = String::new();
        loop {
            let r = self.next();
            if !is_letter(r) {
                self.backup();
                break;
            }
            word.push(r);
        }
        if word == "true" || word == "false" {
            self.emit(Kind::Bool);
            return self.pop();
        }
        self.errorf(format!(
            "expected value but found {} instead",
            go_quote(&word)
        ))
    }
}

fn rune_or_eof(r: char) -> String {
    if r == EOF {
        "end of file".to_string()
    } else {
        format!("'{r}'")
    }
}

// ---------------------------------------------------------------------------------
// Parser

/// BurntSushi's `ParseError`: `toml: line N (last key "k"): message`.
#[derive(Debug)]
struct ParseError {
    line: usize,
    last_key: String,
    msg: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.last_key.is_empty() {
            write!(f, "toml: line {}: {}", self.line, self.msg)
        } else {
            write!(
                f,
                "toml: line {} (last key {}): {}",
                self.line,
                go_quote(&self.last_key),
                self.msg
            )
        }
    }
}

type Parsed<T> = Result<T, ParseError>;

/// A key as BurntSushi prints it: parts joined by dots, quoted where not bare.
fn key_string(key: &[String]) -> String {
    key.iter()
        .map(|k| maybe_quoted(k))
        .collect::<Vec<_>>()
        .join(".")
}

fn maybe_quoted(k: &str) -> String {
    if k.is_empty() {
        return "\"\"".to_string();
    }
    if k.chars().all(is_bare) {
        return k.to_string();
    }
    format!("\"{}\"", dbl_quoted(k))
}

/// BurntSushi's `dblQuotedReplacer`.
fn dbl_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' || c == '\x7f' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

struct Parser {
    items: std::vec::IntoIter<Item>,
    /// The full key of the table in scope.
    context: Vec<String>,
    /// The last part of the key being set (empty for tables).
    current_key: String,
    /// The line of the last key or table name read.
    pos_line: usize,
    /// Whether each key (as `key_string`) was last given an array.
    arrays: HashMap<String, bool>,
    mapping: Table,
    /// Tables made for `a.b.c` or `[a.b.c]` without being written out themselves.
    implicits: HashSet<String>,
    /// How many arrays and inline tables the value being read is inside.
    depth: usize,
}

/// Where a value goes while descending the document: a table, or the last table of an
/// array of tables.
fn descend(node: &mut Node) -> Option<&mut Table> {
    match node {
        Node::Table(t) => Some(t),
        Node::Tables(ts) => ts.last_mut(),
        _ => None,
    }
}

impl Parser {
    fn new(items: Vec<Item>) -> Parser {
        Parser {
            items: items.into_iter(),
            context: Vec::new(),
            current_key: String::new(),
            pos_line: 0,
            arrays: HashMap::new(),
            mapping: Table::new(),
            implicits: HashSet::new(),
            depth: 0,
        }
    }

    fn run(&mut self) -> Parsed<()> {
        loop {
            let item = self.next()?;
            if item.kind == Kind::Eof {
                return Ok(());
            }
            self.top_level(item)?;
        }
    }

    /// The full name of the key being set, for messages.
    fn current(&self) -> String {
        if self.current_key.is_empty() {
            return key_string(&self.context);
        }
        if self.context.is_empty() {
            return self.current_key.clone();
        }
        format!("{}.{}", key_string(&self.context), self.current_key)
    }

    fn error_at(&self, line: usize, msg: String) -> ParseError {
        ParseError {
            line,
            last_key: self.current(),
            msg,
        }
    }

    /// An error at the last key or table name read.
    fn error(&self, msg: String) -> ParseError {
        self.error_at(self.pos_line, msg)
    }

    fn bug(&self, msg: &str) -> ParseError {
        self.error(format!("BUG: {msg}"))
    }

    fn next(&mut self) -> Parsed<Item> {
        let item = self.items.next().unwrap_or(Item {
            kind: Kind::Eof,
            val: String::new(),
            line: 0,
        });
        if item.kind == Kind::Error {
            return Err(self.error_at(item.line, item.val));
        }
        Ok(item)
    }

    fn next_pos(&mut self) -> Parsed<Item> {
        let item = self.next()?;
        self.pos_line = item.line;
        Ok(item)
    }

    /// The parts of a key or table name, up to `end`.
    fn key_parts(&mut self, end: Kind) -> Parsed<Vec<String>> {
        let mut key = Vec::new();
        let mut part = self.next_pos()?;
        while part.kind != end && part.kind != Kind::Eof {
            key.push(self.key_part(&part)?);
            part = self.next()?;
        }
        if part.kind != end || key.is_empty() {
            return Err(self.bug("key or table name not closed"));
        }
        Ok(key)
    }

    fn key_part(&mut self, it: &Item) -> Parsed<String> {
        if it.kind == Kind::Text {
            return Ok(it.val.clone());
        }
        match self.value(it.clone(), false)? {
            (Node::Str(s), _) => Ok(s),
            _ => Err(self.bug("unexpected key type")),
        }
    }

    fn top_level(&mut self, item: Item) -> Parsed<()> {
        match item.kind {
            Kind::CommentStart => {
                self.next()?;
            }
            Kind::TableStart | Kind::ArrayTableStart => {
                let array = item.kind == Kind::ArrayTableStart;
                let end = if array {
                    Kind::ArrayTableEnd
                } else {
                    Kind::TableEnd
                };
                let key = self.key_parts(end)?;
                self.add_context(&key, array)?;
                self.set_type("", false);
            }
            Kind::KeyStart => {
                let outer = self.context.clone();
                self.set_key_value()?;
                self.context = outer;
                self.current_key.clear();
            }
            _ => return Err(self.bug("unexpected type at top level")),
        }
        Ok(())
    }

    /// `a.b.c = value` (after its KeyStart): the parents become implicit tables in
    /// scope, then the value is set. Returns the key and the value.
    fn set_key_value(&mut self) -> Parsed<(Vec<String>, Node)> {
        let key = self.key_parts(Kind::KeyEnd)?;
        let Some((last, parents)) = key.split_last() else {
            return Err(self.bug("empty key"));
        };
        self.current_key = last.clone();
        for part in parents {
            let mut ctx = self.context.clone();
            ctx.push(part.clone());
            self.add_implicit_context(&ctx)?;
        }
        let v = self.next()?;
        let (val, is_array) = self.value(v, false)?;
        let last = self.current_key.clone();
        self.set_value(&last, val.clone())?;
        self.set_type(&last, is_array);
        Ok((key, val))
    }

    /// A value; the flag says whether it is an array (the only type BurntSushi's
    /// duplicate checks look at).
    fn value(&mut self, it: Item, parent_is_array: bool) -> Parsed<(Node, bool)> {
        let v = match it.kind {
            Kind::Str | Kind::Raw => Node::Str(it.val),
            Kind::StrEsc => Node::Str(self.replace_escapes(&it, &it.val)?),
            Kind::MultiStr => {
                let s = strip_escaped_newlines(strip_first_newline(&it.val));
                Node::Str(self.replace_escapes(&it, &s)?)
            }
            Kind::MultiRaw => Node::Str(strip_first_newline(&it.val).to_string()),
            Kind::Integer => self.integer(&it)?,
            Kind::Float => self.float(&it)?,
            Kind::Bool => Node::Bool(it.val == "true"),
            Kind::Datetime => self.datetime(&it)?,
            Kind::Array => return Ok((self.nested(|p| p.array())?, true)),
            Kind::InlineTableStart => self.nested(|p| p.inline_table(parent_is_array))?,
            _ => return Err(self.bug("unexpected value type")),
        };
        Ok((v, false))
    }

    /// An array or inline table inside the value being read. Go's stack grows to a
    /// gigabyte; strata's parser recurses on a thread's stack, so it refuses nesting
    /// deeper than any real document has rather than overflow it.
    fn nested(&mut self, read: impl FnOnce(&mut Parser) -> Parsed<Node>) -> Parsed<Node> {
        const MAX_DEPTH: usize = 256;
        if self.depth >= MAX_DEPTH {
            return Err(self.error(format!(
                "arrays and inline tables nested deeper than {MAX_DEPTH} levels (strata's limit)"
            )));
        }
        self.depth += 1;
        let result = read(self);
        self.depth -= 1;
        result
    }

    fn integer(&self, it: &Item) -> Parsed<Node> {
        let s = &it.val;
        if !underscores_ok(s) {
            return Err(self.error_at(
                it.line,
                format!(
                    "Invalid integer {}: underscores must be surrounded by digits",
                    go_quote(s)
                ),
            ));
        }
        if has_leading_zero(s) {
            return Err(self.error_at(
                it.line,
                format!(
                    "Invalid integer {}: cannot have leading zeroes",
                    go_quote(s)
                ),
            ));
        }
        let (neg, body) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s.as_str()),
        };
        let (radix, digits) = match body.get(..2) {
            Some("0x") => (16, &body[2..]),
            Some("0o") => (8, &body[2..]),
            Some("0b") => (2, &body[2..]),
            _ => (10, body),
        };
        let digits = digits.replace('_', "");
        let Ok(magnitude) = u128::from_str_radix(&digits, radix) else {
            // Only digits reach here; too many of them is the one failure.
            if !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix)) {
                return Err(self.error_at(it.line, format!("{s} is out of range for int64")));
            }
            return Err(self.bug(&format!("Expected integer value, but got '{s}'.")));
        };
        let n = if neg {
            -(magnitude as i128)
        } else {
            magnitude as i128
        };
        i64::try_from(n)
            .map(Node::Int)
            .map_err(|_| self.error_at(it.line, format!("{s} is out of range for int64")))
    }

    fn float(&self, it: &Item) -> Parsed<Node> {
        let s = &it.val;
        let parts: Vec<&str> = s.split(['.', 'e', 'E']).filter(|p| !p.is_empty()).collect();
        let invalid =
            |why: &str| self.error_at(it.line, format!("Invalid float {}: {why}", go_quote(s)));
        if parts.iter().any(|p| !underscores_ok(p)) {
            return Err(invalid("underscores must be surrounded by digits"));
        }
        if parts.first().is_some_and(|p| has_leading_zero(p)) {
            return Err(invalid("cannot have leading zeroes"));
        }
        if !periods_ok(s) {
            return Err(invalid("'.' must be followed by one or more digits"));
        }
        let mut text = s.replace('_', "");
        let negative_nan = text == "-nan";
        if text == "+nan" || negative_nan {
            text = "nan".to_string();
        }
        let Ok(f) = text.parse::<f64>() else {
            return Err(self.error_at(it.line, format!("Invalid float value: {}", go_quote(s))));
        };
        // Go's ParseFloat refuses a number too large for a float64.
        if f.is_infinite() && !text.trim_start_matches(['+', '-']).starts_with("inf") {
            return Err(self.error_at(it.line, format!("{s} is out of range for float64")));
        }
        Ok(Node::Float(if negative_nan { -f } else { f }))
    }

    fn datetime(&self, it: &Item) -> Parsed<Node> {
        let val: String = it
            .val
            .chars()
            .map(|c| match c {
                'z' => 'Z',
                't' | ' ' => 'T',
                c => c,
            })
            .collect();
        let local = |name: &'static str| Zone {
            offset: 0,
            name: Cow::Borrowed(name),
        };
        let layouts = [
            ("2006-01-02T15:04:05.999999999Z07:00", Zone::utc()),
            ("2006-01-02T15:04:05.999999999", local("datetime-local")),
            ("2006-01-02", local("date-local")),
            ("15:04:05.999999999", local("time-local")),
            ("2006-01-02T15:04Z07:00", Zone::utc()),
            ("2006-01-02T15:04", local("datetime-local")),
            ("15:04", local("time-local")),
        ];
        let invalid = || self.error_at(it.line, format!("invalid datetime: {}", go_quote(&val)));
        for (layout, zone) in layouts {
            if let Ok(t) = super::layout::parse_in_location(layout, &val, &zone) {
                // Go's parser takes "1:02" for "15:04"; TOML wants two digits.
                if missing_leading_zero(&val, layout) {
                    return Err(invalid());
                }
                return Ok(Node::Time(t));
            }
        }
        Err(invalid())
    }

    fn array(&mut self) -> Parsed<Node> {
        let key = self.current_key.clone();
        self.set_type(&key, true);
        let mut out = Vec::new();
        loop {
            let it = self.next()?;
            match it.kind {
                Kind::ArrayEnd => return Ok(Node::Array(out)),
                Kind::CommentStart => {
                    self.next()?;
                }
                _ => out.push(self.value(it, true)?.0),
            }
        }
    }

    /// `{ k = v, ... }`: set through the document like `[table]` keys (which is what
    /// makes a later `a.b = 1` extend it), and returned as its own table.
    fn inline_table(&mut self, parent_is_array: bool) -> Parsed<Node> {
        let mut top = Table::new();
        let outer_context = self.context.clone();
        let outer_key = std::mem::take(&mut self.current_key);
        self.context.push(outer_key.clone());
        let prev_context = self.context.clone();
        self.add_implicit(&prev_context);
        self.add_context(&prev_context, parent_is_array)?;
        loop {
            let it = self.next()?;
            match it.kind {
                Kind::InlineTableEnd => break,
                Kind::CommentStart => {
                    self.next()?;
                    continue;
                }
                _ => {}
            }
            let (key, val) = self.set_key_value()?;
            let Some((last, parents)) = key.split_last() else {
                return Err(self.bug("empty key"));
            };
            let mut hash = &mut top;
            for part in parents {
                let entry = hash
                    .entry(part.clone())
                    .or_insert_with(|| Node::Table(Table::new()));
                match entry {
                    Node::Table(t) => hash = t,
                    _ => {
                        let msg =
                            format!("{} is not a table", go_quote(&key_string(&self.context)));
                        return Err(self.error(msg));
                    }
                }
            }
            hash.insert(last.clone(), val);
            self.context = prev_context.clone();
        }
        self.context = outer_context;
        self.current_key = outer_key;
        Ok(Node::Table(top))
    }

    fn add_implicit(&mut self, key: &[String]) {
        self.implicits.insert(key_string(key));
    }

    fn is_implicit(&self, key: &[String]) -> bool {
        self.implicits.contains(&key_string(key))
    }

    fn is_array(&self, key: &[String]) -> bool {
        self.arrays.get(&key_string(key)).copied().unwrap_or(false)
    }

    fn add_implicit_context(&mut self, key: &[String]) -> Parsed<()> {
        self.add_implicit(key);
        self.add_context(key, false)
    }

    /// Makes `key` the table in scope (`array`: a new table of an array of tables),
    /// creating its parents as implicit tables.
    fn add_context(&mut self, key: &[String], array: bool) -> Parsed<()> {
        let Some((last, parents)) = key.split_last() else {
            return Err(self.bug("empty table name"));
        };
        let mut key_context: Vec<String> = Vec::new();
        let mut hash = &mut self.mapping;
        for part in parents {
            key_context.push(part.clone());
            if !hash.contains_key(part) {
                self.implicits.insert(key_string(&key_context));
                hash.insert(part.clone(), Node::Table(Table::new()));
            }
            match hash.get_mut(part).and_then(descend) {
                Some(t) => hash = t,
                None => {
                    let ctx = key_string(&key_context);
                    return Err(self.error(format!("Key '{ctx}' was already created as a hash.")));
                }
            }
        }
        let mut taken = false;
        if array {
            let entry = hash
                .entry(last.clone())
                .or_insert_with(|| Node::Tables(Vec::new()));
            match entry {
                Node::Tables(ts) => ts.push(Table::new()),
                _ => taken = true,
            }
        }
        self.context = key_context;
        if taken {
            let msg = format!(
                "Key '{}' was already created and cannot be used as an array.",
                key_string(key)
            );
            return Err(self.error(msg));
        }
        if !array {
            self.set_value(last, Node::Table(Table::new()))?;
        }
        self.context.push(last.clone());
        Ok(())
    }

    /// Sets `key` in the table in scope, refusing a key already set unless it was only
    /// an implicit table until now (or an array that was).
    fn set_value(&mut self, key: &str, value: Node) -> Parsed<()> {
        let mut key_context: Vec<String> = Vec::new();
        let mut hash = &mut self.mapping;
        for part in &self.context {
            key_context.push(part.clone());
            let Some(node) = hash.get_mut(part) else {
                let ctx = key_string(&key_context);
                return Err(self.bug(&format!(
                    "Context for key '{ctx}' has not been established."
                )));
            };
            match descend(node) {
                Some(t) => hash = t,
                None => {
                    let ctx = key_string(&key_context);
                    return Err(self.error(format!("Key '{ctx}' has already been defined.")));
                }
            }
        }
        key_context.push(key.to_string());
        if !hash.contains_key(key) {
            hash.insert(key.to_string(), value);
            return Ok(());
        }
        if self.is_array(&key_context) {
            if !self.is_implicit(&key_context) {
                let ctx = key_string(&key_context);
                return Err(self.error(format!("Key '{ctx}' has already been defined.")));
            }
            self.implicits.remove(&key_string(&key_context));
            self.put(key, value);
            return Ok(());
        }
        if self.is_implicit(&key_context) {
            self.implicits.remove(&key_string(&key_context));
            return Ok(());
        }
        let ctx = key_string(&key_context);
        Err(self.error(format!("Key '{ctx}' has already been defined.")))
    }

    /// Overwrites `key` in the table in scope (already reached once by `set_value`).
    fn put(&mut self, key: &str, value: Node) {
        let mut hash = &mut self.mapping;
        for part in &self.context {
            match hash.get_mut(part).and_then(descend) {
                Some(t) => hash = t,
                None => return,
            }
        }
        hash.insert(key.to_string(), value);
    }

    fn set_type(&mut self, key: &str, is_array: bool) {
        let mut k = self.context.clone();
        if !key.is_empty() {
            k.push(key.to_string());
        }
        if k.is_empty() {
            k.push(String::new());
        }
        self.arrays.insert(key_string(&k), is_array);
    }

    fn replace_escapes(&self, it: &Item, s: &str) -> Parsed<String> {
        let mut out = String::with_capacity(s.len());
        let mut chars = s.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some((_, e)) = chars.next() else {
                return Err(self.bug("Escape sequence at end of string."));
            };
            let simple = match e {
                'b' => Some('\x08'),
                't' => Some('\t'),
                'n' => Some('\n'),
                'f' => Some('\x0c'),
                'r' => Some('\r'),
                'e' => Some('\x1b'),
                '"' => Some('"'),
                '\\' => Some('\\'),
                _ => None,
            };
            if let Some(c) = simple {
                out.push(c);
                continue;
            }
            let width = match e {
                'x' => 2,
                'u' => 4,
                'U' => 8,
                ' ' | '\t' => {
                    return Err(self.error_at(it.line, format!("invalid escape: '\\{e}'")));
                }
                _ => {
                    return Err(self.bug(&format!(
                        "Expected valid escape code after \\, but got {}.",
                        quote_rune(e)
                    )))
                }
            };
            let hex = s.get(i + 2..i + 2 + width).unwrap_or("");
            for _ in 0..width {
                chars.next();
            }
            let code = u32::from_str_radix(hex, 16).ok();
            match code.and_then(char::from_u32) {
                Some(c) => out.push(c),
                None => {
                    return Err(self.error_at(
                        it.line,
                        format!("Escaped character '\\u{hex}' is not valid UTF-8."),
                    ))
                }
            }
        }
        Ok(out)
    }
}

/// Each underscore between two characters that may stand beside one (hex digits).
fn underscores_ok(s: &str) -> bool {
    if matches!(s, "nan" | "+nan" | "-nan" | "inf" | "-inf" | "+inf") {
        return true;
    }
    let mut accept = false;
    for r in s.chars() {
        if r == '_' && !accept {
            return false;
        }
        accept = is_hex(r);
    }
    accept
}

fn has_leading_zero(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() > 1 && b[0] == b'0' && !matches!(b[1], b'b' | b'o' | b'x'))
        || (b.len() > 2 && matches!(b[0], b'-' | b'+') && b[1] == b'0')
}

fn periods_ok(s: &str) -> bool {
    let mut period = false;
    for r in s.chars() {
        if period && !is_digit(r) {
            return false;
        }
        period = r == '.';
    }
    !period
}

/// Whether `d` has a one-digit field where `layout` has two: its separators are then not
/// where the layout's are.
fn missing_leading_zero(d: &str, layout: &str) -> bool {
    for (i, c) in layout.bytes().enumerate() {
        if c == b'.' || c == b'Z' {
            return false;
        }
        if !c.is_ascii_digit() && d.as_bytes().get(i) != Some(&c) {
            return true;
        }
    }
    false
}

fn strip_first_newline(s: &str) -> &str {
    s.strip_prefix('\n')
        .or_else(|| s.strip_prefix("\r\n"))
        .unwrap_or(s)
}

/// Drops a line-ending backslash and the whitespace after it, newlines included.
fn strip_escaped_newlines(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut from = 0;
    let mut i = 0;
    while let Some(off) = s[i..].find('\\') {
        i += off;
        if b.get(i + 1) == Some(&b'\\') {
            i += 2;
            continue;
        }
        let j = i
            + 1
            + b[i + 1..]
                .iter()
                .take_while(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
                .count();
        if j == i + 1 || !s[i..j].contains('\n') {
            // Not a line ending: an escape for replace_escapes.
            i += 1;
            continue;
        }
        out.push_str(&s[from..i]);
        from = j;
        i = j;
    }
    out.push_str(&s[from..]);
    out
}

// ---------------------------------------------------------------------------------
// Encoder

/// Why encoding failed: an error BurntSushi's encoder returns (toToml prints it), or a
/// Go panic it does not recover (toToml fails too).
#[derive(Debug, PartialEq)]
pub enum EncodeError {
    Toml(String),
    Panic(String),
}

const NIL_ELEMENT: &str = "toml: cannot encode array with nil element";
const NO_KEY: &str = "toml: top-level values must be Go maps or structs";

/// BurntSushi's `Encoder.Encode` of a template value.
pub fn to_toml(v: &Value) -> Result<String, EncodeError> {
    if v.is_nil() {
        return Err(EncodeError::Panic(
            "reflect: call of reflect.Value.Type on zero Value".to_string(),
        ));
    }
    if v.nests_deeper_than(MAX_VALUE_DEPTH) {
        super::gotmpl::value::give_up();
        return Ok(String::new());
    }
    let mut e = Encoder::default();
    e.encode(&[], v)
        .map_err(|msg| EncodeError::Toml(msg.to_string()))?;
    Ok(e.out)
}

#[derive(Clone, Copy, PartialEq)]
enum TomlType {
    Hash,
    ArrayHash,
    Other,
}

fn as_time(v: &Value) -> Option<&GoTime> {
    match v {
        Value::Object(o) => o.as_any()?.downcast_ref::<GoTime>(),
        _ => None,
    }
}

/// A Go struct other than a time (`.Capabilities`, a certificate): its JSON fields.
fn struct_fields(v: &Value) -> Option<Value> {
    match v {
        Value::Object(o) if as_time(v).is_none() => Some(Value::from_json(&o.to_json())),
        _ => None,
    }
}

/// BurntSushi's `tomlTypeOfGo`; `None` for nil.
fn toml_type(v: &Value) -> Result<Option<TomlType>, &'static str> {
    Ok(Some(match v {
        Value::Nil => return Ok(None),
        Value::Map(_) => TomlType::Hash,
        Value::List(l) if is_table_array(l)? => TomlType::ArrayHash,
        Value::Object(_) if as_time(v).is_none() => TomlType::Hash,
        _ => TomlType::Other,
    }))
}

/// Whether every element is a table; a nil element anywhere is an error.
fn is_table_array(l: &[Value]) -> Result<bool, &'static str> {
    let mut all = !l.is_empty();
    for e in l {
        match toml_type(e)? {
            None => return Err(NIL_ELEMENT),
            Some(t) => all &= t == TomlType::Hash,
        }
    }
    Ok(all)
}

#[derive(Default)]
struct Encoder {
    out: String,
    has_written: bool,
}

type Encoded = Result<(), &'static str>;

impl Encoder {
    fn write(&mut self, s: &str) {
        self.out.push_str(s);
        self.has_written = true;
    }

    fn newline(&mut self) {
        if self.has_written {
            self.out.push('\n');
        }
    }

    fn indent(key: &[String]) -> String {
        "  ".repeat(key.len().saturating_sub(1))
    }

    fn encode(&mut self, key: &[String], v: &Value) -> Encoded {
        match v {
            Value::Nil => Ok(()),
            Value::Map(m) => self.table(key, &m.borrow()),
            Value::List(l) if is_table_array(l)? => self.array_of_tables(key, l),
            _ => match &struct_fields(v) {
                Some(Value::Map(m)) => self.table(key, &m.borrow()),
                _ => self.key_value(key, v, false),
            },
        }
    }

    fn key_value(&mut self, key: &[String], v: &Value, inline: bool) -> Encoded {
        let Some(last) = key.last() else {
            return self.element(v);
        };
        self.write(&format!("{}{} = ", Self::indent(key), maybe_quoted(last)));
        self.element(v)?;
        if !inline {
            self.newline();
        }
        Ok(())
    }

    fn element(&mut self, v: &Value) -> Encoded {
        if let Some(t) = as_time(v) {
            let text = match &*t.zone.name {
                "datetime-local" => {
                    super::layout::format(&t.in_utc(), "2006-01-02T15:04:05.999999999")
                }
                "date-local" => super::layout::format(&t.in_utc(), "2006-01-02"),
                "time-local" => super::layout::format(&t.in_utc(), "15:04:05.999999999"),
                _ => super::layout::format(t, "2006-01-02T15:04:05.999999999Z07:00"),
            };
            self.write(&text);
            return Ok(());
        }
        match v {
            Value::String(s) => self.write(&format!("\"{}\"", dbl_quoted(s))),
            Value::Bool(b) => self.write(if *b { "true" } else { "false" }),
            Value::Int(i) => self.write(&i.to_string()),
            Value::Float(f) => self.write(&toml_float(*f)),
            Value::List(l) => {
                self.write("[");
                for (i, e) in l.iter().enumerate() {
                    self.element(e)?;
                    if i + 1 != l.len() {
                        self.write(", ");
                    }
                }
                self.write("]");
            }
            Value::Map(m) => self.map(&[], &m.borrow(), true)?,
            Value::Nil => return Err(NIL_ELEMENT),
            Value::Object(_) => match &struct_fields(v) {
                Some(Value::Map(m)) => self.map(&[], &m.borrow(), true)?,
                _ => self.write("{}"),
            },
        }
        Ok(())
    }

    fn table(&mut self, key: &[String], m: &BTreeMap<String, Value>) -> Encoded {
        if key.len() == 1 {
            // A blank line between top-level tables.
            self.newline();
        }
        if !key.is_empty() {
            self.write(&format!("{}[{}]", Self::indent(key), key_string(key)));
            self.newline();
        }
        self.map(key, m, false)
    }

    fn array_of_tables(&mut self, key: &[String], l: &[Value]) -> Encoded {
        if key.is_empty() {
            return Err(NO_KEY);
        }
        for e in l {
            self.newline();
            self.write(&format!("{}[[{}]]", Self::indent(key), key_string(key)));
            self.newline();
            match e {
                Value::Map(m) => self.map(key, &m.borrow(), false)?,
                other => {
                    if let Some(Value::Map(m)) = &struct_fields(other) {
                        self.map(key, &m.borrow(), false)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The keys that are not tables first, then the tables, each group sorted.
    fn map(&mut self, key: &[String], m: &BTreeMap<String, Value>, inline: bool) -> Encoded {
        let mut direct = Vec::new();
        let mut sub = Vec::new();
        for (k, v) in m {
            match toml_type(v)? {
                Some(TomlType::Hash | TomlType::ArrayHash) => sub.push((k, v)),
                _ => direct.push((k, v)),
            }
        }
        if inline {
            self.write("{");
        }
        let trailing_comma = !sub.is_empty();
        self.map_keys(key, &direct, inline, trailing_comma)?;
        self.map_keys(key, &sub, inline, false)?;
        if inline {
            self.write("}");
        }
        Ok(())
    }

    fn map_keys(
        &mut self,
        key: &[String],
        entries: &[(&String, &Value)],
        inline: bool,
        trailing_comma: bool,
    ) -> Encoded {
        for (i, (k, v)) in entries.iter().enumerate() {
            if v.is_nil() {
                continue;
            }
            let mut sub = key.to_vec();
            sub.push((*k).clone());
            if inline {
                self.key_value(&[(*k).clone()], v, true)?;
                if trailing_comma || i + 1 != entries.len() {
                    self.write(", ");
                }
            } else {
                self.encode(&sub, v)?;
            }
        }
        Ok(())
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)` with ".0" added to a whole number.
fn toml_float(f: f64) -> String {
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f.is_nan() {
        return format!("{sign}nan");
    }
    if f.is_infinite() {
        return format!("{sign}inf");
    }
    let s = super::gotmpl::value::format_float_g(f);
    if s.contains(['e', '.']) {
        s
    } else {
        format!("{s}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> String {
        from_toml(text).to_json().to_string()
    }

    fn error(text: &str) -> String {
        match parse(text) {
            Err(e) => e,
            Ok(t) => panic!("parsed: {t:?}"),
        }
    }

    #[test]
    fn documents_decode_to_go_values() {
        assert_eq!(json("a = 1\n[b]\nc = \"x\"\n"), r#"{"a":1,"b":{"c":"x"}}"#);
        assert_eq!(
            json("x = [1, 2.5, 'r', true, {y = 0x1F}]\n[[t]]\nn = 1\n[[t]]\n[t.u]\nv = 0o7\n"),
            r#"{"t":[{"n":1},{"u":{"v":7}}],"x":[1,2.5,"r",true,{"y":31}]}"#
        );
        assert_eq!(
            json("s = \"\"\"\nline \\\n   next\\t\\u00e9\\x41\\e\"\"\"\nr = '''\n\\raw'''"),
            r#"{"r":"\\raw","s":"line next\téA\u001b"}"#
        );
        assert_eq!(json("a = {b = 1}\na.c = 2"), r#"{"a":{"b":1,"c":2}}"#);
    }

    #[test]
    fn errors_are_burntsushis() {
        assert_eq!(
            error("a = "),
            r#"toml: line 1 (last key "a"): unexpected EOF; expected value"#
        );
        assert_eq!(
            error("a = 1\na = 2"),
            r#"toml: line 2 (last key "a"): Key 'a' has already been defined."#
        );
        assert_eq!(
            error("[x"),
            r#"toml: line 1: expected '.' or ']' to end table name, but got '\x00' instead"#
        );
        assert_eq!(
            error("a = \"x"),
            r#"toml: line 1 (last key "a"): unexpected EOF; expected '"'"#
        );
        assert_eq!(
            error("a = 01"),
            r#"toml: line 1 (last key "a"): Invalid integer "01": cannot have leading zeroes"#
        );
        assert_eq!(
            error("[a]\nb = 99999999999999999999"),
            r#"toml: line 2 (last key "a.b"): 99999999999999999999 is out of range for int64"#
        );
        assert_eq!(
            error("a = nax"),
            r#"toml: line 1 (last key "a"): expected value but found "ax" instead"#
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_an_overflow() {
        let deep = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(error(&deep).ends_with("nested deeper than 256 levels (strata's limit)"));
        let ok = format!("a = {}{}", "[".repeat(200), "]".repeat(200));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn values_encode_as_burntsushi_writes_them() {
        let v = from_toml(
            "\"\" = 3.0\nf = 1e6\nl = [[1, 2], ['a']]\nm = []\n[a]\ne = 's'\n[a.b]\nc = 1\n[[a.b.d]]\nx = 1\n[[a.b.d]]\n[a.b.d.y]\nz = 2\n[n]\n",
        );
        assert_eq!(
            to_toml(&v).unwrap(),
            "\"\" = 3.0\nf = 1e+06\nl = [[1, 2], [\"a\"]]\nm = []\n\n[a]\n  e = \"s\"\n  [a.b]\n    c = 1\n\n    [[a.b.d]]\n      x = 1\n\n    [[a.b.d]]\n      [a.b.d.y]\n        z = 2\n\n[n]\n"
        );
        assert_eq!(to_toml(&Value::str("x")).unwrap(), "\"x\"");
        assert_eq!(
            to_toml(&Value::list(vec![Value::Int(1), Value::Nil])),
            Err(EncodeError::Toml(NIL_ELEMENT.to_string()))
        );
        assert!(matches!(to_toml(&Value::Nil), Err(EncodeError::Panic(_))));
    }
}
