//! Executing parsed templates as Go's `text/template` does: dot and variables,
//! `if`/`with`/`range` (with `else`, `break`, `continue`), `template`, pipelines whose
//! value is passed as the last argument, and Go's messages when something fails.

use super::funcs::{self, Funcs};
use super::parse::{self, chain_names, split_variable, Arg, Command, Node, ParseError, Pipe, Pos};
use super::value::Value;
use super::{MAX_EXEC_NESTING, MAX_VALUE_DEPTH};
use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

/// A named template: where it was parsed (for messages) and its body.
#[derive(Clone, Debug)]
pub struct Define {
    /// Its name, for messages (`executing "NAME"`).
    pub name: Rc<str>,
    pub file: Rc<str>,
    pub body: Arc<[Node]>,
}

/// Templates by name. Hashed: a large chart's helpers are hundreds of names sharing
/// long prefixes (`kube-prometheus-stack.`), looked up at every `include`.
pub type Defines = HashMap<String, Define, foldhash::fast::RandomState>;

/// Every template a render can reach by name: one per file (named by its path), and
/// every `define`/`block`, with the functions templates may call.
#[derive(Clone)]
pub struct TemplateSet {
    pub defs: Rc<Defines>,
    /// Templates added over `defs` without copying it (`tpl`'s text and its `define`s,
    /// which win over the chart's of the same name as they do in Helm).
    pub overlay: Defines,
    pub funcs: Rc<Funcs>,
    /// What seeds the functions whose output Helm draws at random (the release), so
    /// the same chart in two releases gets two passwords, and one release the same each run.
    pub seed: Rc<str>,
}

/// A failure while executing, worded as Go words it
/// (`template: FILE:LINE:COL: executing "NAME" at <NODE>: MESSAGE`).
#[derive(Debug, Clone, PartialEq)]
pub struct ExecError {
    pub message: String,
    /// The error this one wraps (an `include`d template's failure), as Go's
    /// `errors.Unwrap` would give it; `message` already ends with its text.
    pub cause: Option<Box<ExecError>>,
}

impl ExecError {
    pub fn new(message: impl Into<String>) -> ExecError {
        ExecError {
            message: message.into(),
            cause: None,
        }
    }

    /// The chain from this error to the innermost cause.
    pub fn chain(&self) -> Vec<&ExecError> {
        let mut out = vec![self];
        let mut cur = self;
        while let Some(c) = &cur.cause {
            out.push(c);
            cur = c;
        }
        out
    }
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<ParseError> for ExecError {
    fn from(e: ParseError) -> ExecError {
        ExecError::new(e.to_string())
    }
}

/// The name Helm gives `tpl`'s text (its engine's root template), in messages.
pub const TPL_NAME: &str = "gotpl";

/// How deep `template`/`include` may nest before it is called a loop (Helm's limit).
const MAX_DEPTH: usize = 1000;

/// Why a walk stopped early.
enum Flow {
    Break,
    Continue,
    Fail(ExecError),
}

impl From<ExecError> for Flow {
    fn from(e: ExecError) -> Flow {
        Flow::Fail(e)
    }
}

type Walk<T> = Result<T, Flow>;

impl TemplateSet {
    pub fn new(funcs: Funcs) -> TemplateSet {
        TemplateSet {
            defs: Rc::default(),
            overlay: Defines::default(),
            funcs: Rc::new(funcs),
            seed: Rc::from(""),
        }
    }

    /// Parses `src` as the template `name` and adds it and its `define`s.
    pub fn add(&mut self, name: &str, src: &str) -> Result<(), ParseError> {
        let defs = Rc::make_mut(&mut self.defs);
        add_parsed(defs, name, &*parse::parse_shared(name, src)?);
        Ok(())
    }

    /// Adds a template parsed before (see [`parse::parse_shared`]) as `name`.
    pub fn add_parsed(&mut self, name: &str, parsed: &parse::Parsed) {
        add_parsed(Rc::make_mut(&mut self.defs), name, parsed);
    }

    /// This set with `src` added as the template `name` over it, sharing the rest.
    pub fn with(&self, name: &str, src: &str) -> Result<TemplateSet, ParseError> {
        let mut set = self.clone();
        add_parsed(&mut set.overlay, name, &*parse::parse_shared(name, src)?);
        Ok(set)
    }

    /// The template called `name`.
    pub fn get(&self, name: &str) -> Option<&Define> {
        self.overlay.get(name).or_else(|| self.defs.get(name))
    }

    /// Executes the template `name` with `data` as dot.
    pub fn execute(&self, name: &str, data: &Value) -> Result<String, ExecError> {
        let mut exec = Exec::new(self, name);
        let mut out = String::new();
        exec.run_named(name, data, &mut out, None)?;
        Ok(out)
    }
}

fn add_parsed(defs: &mut Defines, name: &str, parsed: &parse::Parsed) {
    let file: Rc<str> = Rc::from(name);
    for (def, body) in &parsed.defines {
        defs.insert(
            def.clone(),
            Define {
                name: Rc::from(def.as_str()),
                file: file.clone(),
                body: body.clone(),
            },
        );
    }
    defs.insert(
        name.to_string(),
        Define {
            name: file.clone(),
            file,
            body: parsed.body.clone(),
        },
    );
}

/// The state of one execution: the set, the variables in scope, the template whose
/// nodes are running (for messages), and how deep `include` has gone.
pub struct Exec<'a> {
    pub set: &'a TemplateSet,
    /// The variables in scope, innermost last: those of the template running start at
    /// `frame` (`$`, then what its pipelines declared); those before it are its callers'.
    vars: Vec<(Cow<'static, str>, Value)>,
    frame: usize,
    file: Rc<str>,
    name: Rc<str>,
    /// The chart file a function call is attributed to (its warnings, and the seed of
    /// what Helm draws at random): the running file, or for `tpl`'s text, which Helm
    /// names [`TPL_NAME`] in messages, the template that called `tpl`.
    site: Rc<str>,
    depth: usize,
    /// See [`Exec::nest`].
    nesting: usize,
    /// Where the function being called was written (file, line), for functions that warn.
    pub call_site: (Rc<str>, u32),
    /// Warnings functions raised (non-reproducible output), for the caller to print.
    pub warnings: Vec<String>,
    /// Calls so far of seeded functions, so each call gets its own stream.
    pub seeded_calls: u64,
    /// Which template line printed each piece of output, when asked for (`explain`);
    /// `None` costs one check per printed node.
    pub trace: Option<Box<super::trace::Trace>>,
    /// The template this execution renders (a chart file), which seeds those calls too:
    /// a helper called from two files makes two passwords.
    pub root: Rc<str>,
    /// The maps `set`, `unset` and `merge` changed in place, kept alive so that a caller
    /// rendering in several runs can tell whether any was data the runs share.
    pub changed: Vec<Value>,
}

impl<'a> Exec<'a> {
    pub fn new(set: &'a TemplateSet, name: &str) -> Exec<'a> {
        // A walk that gave up in an execution that failed before asking.
        super::value::too_deep();
        Exec {
            set,
            vars: Vec::new(),
            frame: 0,
            file: Rc::from(name),
            name: Rc::from(name),
            site: Rc::from(name),
            depth: 0,
            nesting: 0,
            call_site: (Rc::from(name), 0),
            warnings: Vec::new(),
            seeded_calls: 0,
            trace: None,
            root: Rc::from(name),
            changed: Vec::new(),
        }
    }

    /// An execution of `set` run from this one (`tpl`): its seeded calls count as this
    /// template's, and its templates and blocks nest inside this one's, so that a `tpl`
    /// of text that calls `tpl` on itself stops at Helm's depth for templates (where
    /// Helm's Go overflows its stack).
    pub fn inner<'b>(&self, set: &'b TemplateSet, name: &str) -> Exec<'b> {
        let mut inner = Exec::new(set, name);
        inner.root = self.root.clone();
        inner.site = self.site.clone();
        inner.seeded_calls = self.seeded_calls;
        inner.depth = self.depth;
        inner.nesting = self.nesting;
        inner
    }

    /// Notes that a function changed `map` in place (see `changed`).
    pub fn note_changed(&mut self, map: &Value) {
        let same = match (self.changed.last(), map) {
            (Some(Value::Map(last)), Value::Map(m)) => Rc::ptr_eq(last, m),
            _ => false,
        };
        if !same {
            self.changed.push(map.clone());
        }
    }

    /// Runs the named template with `data` as dot and `$`, appending to `out`
    /// (`{{template}}`, `include`). `at` is the calling node, for messages.
    pub fn run_named(
        &mut self,
        name: &str,
        data: &Value,
        out: &mut String,
        at: Option<Pos>,
    ) -> Result<(), ExecError> {
        let Some(def) = self.set.get(name).cloned() else {
            return Err(match at {
                Some(pos) => self.error_at(
                    pos,
                    &format!("{{{{template {name:?}}}}}"),
                    &format!("template {name:?} not defined"),
                ),
                None => ExecError::new(format!(
                    "template: no template {name:?} associated with template {TPL_NAME:?}"
                )),
            });
        };
        if self.depth >= MAX_DEPTH {
            return Err(ExecError::new(format!(
                "rendering template has a nested reference name: {name}: unable to execute template"
            )));
        }
        let saved_frame = std::mem::replace(&mut self.frame, self.vars.len());
        self.vars.push((Cow::Borrowed("$"), data.clone()));
        let saved_file = std::mem::replace(&mut self.file, def.file.clone());
        let saved_site = self.site.clone();
        if &*def.file != TPL_NAME {
            self.site = def.file.clone();
        }
        let saved_name = std::mem::replace(&mut self.name, def.name.clone());
        self.depth += 1;
        let result = self.walk_list(&def.body, data, out);
        self.depth -= 1;
        self.vars.truncate(self.frame);
        self.frame = saved_frame;
        self.file = saved_file;
        self.site = saved_site;
        self.name = saved_name;
        match result {
            Ok(()) => Ok(()),
            Err(Flow::Fail(e)) => Err(e),
            // The parser refuses break/continue outside range.
            Err(Flow::Break | Flow::Continue) => Ok(()),
        }
    }

    /// A Go-worded error at a node of the running template.
    pub fn error_at(&self, pos: Pos, node: &str, msg: &str) -> ExecError {
        ExecError::new(format!(
            "template: {}:{}:{}: executing {:?} at <{}>: {}",
            self.file, pos.line, pos.col, self.name, node, msg
        ))
    }

    /// A function's failure: Go wraps the function's own error (`%w`), which is not a
    /// template error, so Helm prints the whole message as it is.
    fn call_error(&self, pos: Pos, node: &str, name: &str, msg: String) -> ExecError {
        let mut e = self.error_at(pos, node, &format!("error calling {name}: {msg}"));
        e.cause = Some(Box::new(ExecError::new(msg)));
        e
    }

    fn walk_list(&mut self, nodes: &[Node], dot: &Value, out: &mut String) -> Walk<()> {
        self.nest()?;
        let walked = nodes.iter().try_for_each(|node| self.walk(node, dot, out));
        self.nesting -= 1;
        walked
    }

    /// Counts one more level of what recursion holds open (a body, a template called,
    /// a parenthesized pipeline), and refuses one past [`MAX_EXEC_NESTING`].
    fn nest(&mut self) -> Result<(), ExecError> {
        if self.nesting >= MAX_EXEC_NESTING {
            return Err(ExecError::new(format!(
                "template: {}: executing {:?}: blocks, parentheses and templates called \
                 nested more than {MAX_EXEC_NESTING} deep: strata's limit; nest fewer",
                self.file, self.name
            )));
        }
        self.nesting += 1;
        Ok(())
    }

    fn walk(&mut self, node: &Node, dot: &Value, out: &mut String) -> Walk<()> {
        match node {
            Node::Text(t, line) => {
                if let Some(trace) = &mut self.trace {
                    trace.text(out.len(), &self.file, *line, t);
                }
                out.push_str(t)
            }
            Node::Action(pipe) => {
                let mark = self.trace.as_ref().map(|t| t.mark());
                let v = self.eval_pipe(dot, pipe)?;
                if pipe.decl.is_empty() {
                    let s = v.to_go_string();
                    if super::value::too_deep() {
                        return Err(self
                            .error_at(pipe.pos, &pipe.text(), &too_deep_message())
                            .into());
                    }
                    if let (Some(trace), Some(mark)) = (&mut self.trace, mark) {
                        trace.action(out.len(), &self.file, pipe.pos.line, &s, mark);
                    }
                    out.push_str(&s);
                }
            }
            Node::If(b) | Node::With(b) => {
                let mark = self.vars.len();
                let v = self.eval_pipe(dot, &b.pipe)?;
                let result = if v.truthy() {
                    let inner = if matches!(node, Node::With(_)) {
                        &v
                    } else {
                        dot
                    };
                    self.walk_list(&b.body, inner, out)
                } else {
                    self.walk_list(&b.else_body, dot, out)
                };
                self.vars.truncate(mark);
                result?;
            }
            Node::Range(b) => {
                let mark = self.vars.len();
                let result = self.walk_range(b, dot, out);
                self.vars.truncate(mark);
                result?;
            }
            Node::Template(t) => {
                let data = match &t.pipe {
                    Some(p) => self.eval_pipe(dot, p)?,
                    None => Value::Nil,
                };
                if let Some(trace) = &mut self.trace {
                    trace.enter((self.file.clone(), t.pos.line));
                }
                let done = self.run_named(&t.name, &data, out, Some(t.pos));
                if let Some(trace) = &mut self.trace {
                    trace.leave();
                }
                done?;
            }
            Node::Break(_) => return Err(Flow::Break),
            Node::Continue(_) => return Err(Flow::Continue),
        }
        Ok(())
    }

    fn walk_range(&mut self, b: &parse::Branch, dot: &Value, out: &mut String) -> Walk<()> {
        let v = self.eval_pipe(dot, &b.pipe)?;
        let entries = match &v {
            Value::Object(o) => o.entries(),
            _ => None,
        };
        let items: Vec<(Value, Value)> = match (&v, entries) {
            (_, Some(entries)) => entries
                .into_iter()
                .map(|(k, e)| (Value::str(k), e))
                .collect(),
            (Value::List(l), None) => l
                .iter()
                .enumerate()
                .map(|(i, e)| (Value::Int(i as i64), e.clone()))
                .collect(),
            (Value::Map(m), None) => m
                .borrow()
                .iter()
                .map(|(k, e)| (Value::str(k), e.clone()))
                .collect(),
            (Value::Int(n), None) => (0..*n).map(|i| (Value::Int(i), Value::Int(i))).collect(),
            (Value::Nil, None) => Vec::new(),
            (other, None) => {
                let first = b.pipe.cmds.first().map(|c| c.pos).unwrap_or(b.pipe.pos);
                return Err(self
                    .error_at(
                        first,
                        &b.pipe.text(),
                        &format!("range can't iterate over {}", other.to_go_string()),
                    )
                    .into());
            }
        };
        if items.is_empty() {
            return self.walk_list(&b.else_body, dot, out);
        }
        let n = self.vars.len();
        for (index, elem) in items {
            // The pipeline pushed the declared variables: the last gets the element,
            // the one before it the index or key.
            if !b.pipe.decl.is_empty() {
                if b.pipe.is_assign {
                    let names = &b.pipe.decl;
                    if names.len() == 2 {
                        self.set_var(&names[0], index.clone());
                        self.set_var(&names[1], elem.clone());
                    } else {
                        self.set_var(&names[0], elem.clone());
                    }
                } else {
                    let len = self.vars.len();
                    self.vars[len - 1].1 = elem.clone();
                    if b.pipe.decl.len() > 1 {
                        self.vars[len - 2].1 = index.clone();
                    }
                }
            }
            let mark = self.vars.len();
            let r = self.walk_list(&b.body, &elem, out);
            self.vars.truncate(mark.max(n.min(mark)));
            match r {
                Ok(()) | Err(Flow::Continue) => {}
                Err(Flow::Break) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn set_var(&mut self, name: &str, v: Value) {
        if let Some(slot) = self.vars[self.frame..]
            .iter_mut()
            .rev()
            .find(|(n, _)| n == name)
        {
            slot.1 = v;
        }
    }

    fn var(&self, name: &str, pos: Pos) -> Result<Value, ExecError> {
        match self.vars[self.frame..]
            .iter()
            .rev()
            .find(|(n, _)| n == name)
        {
            Some((_, v)) => Ok(v.clone()),
            None => Err(ExecError::new(format!(
                "template: {}:{}: undefined variable: {}",
                self.file, pos.line, name
            ))),
        }
    }

    /// A parenthesized pipeline: nested in the one being evaluated (see [`Exec::nest`]).
    fn eval_paren(&mut self, dot: &Value, pipe: &Pipe) -> Result<Value, ExecError> {
        self.nest()?;
        let value = self.eval_pipe(dot, pipe);
        self.nesting -= 1;
        value
    }

    /// A pipeline's value; declared variables are pushed, assigned ones set.
    fn eval_pipe(&mut self, dot: &Value, pipe: &Pipe) -> Result<Value, ExecError> {
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        let value = value.unwrap_or_default();
        for name in &pipe.decl {
            if pipe.is_assign {
                if !self.vars[self.frame..].iter().any(|(n, _)| **n == **name) {
                    return Err(ExecError::new(format!(
                        "template: {}:{}: undefined variable: {}",
                        self.file, pipe.pos.line, name
                    )));
                }
                self.set_var(name, value.clone());
            } else {
                self.vars
                    .push((Cow::Owned(name.to_string()), value.clone()));
            }
        }
        Ok(value)
    }

    fn eval_command(
        &mut self,
        dot: &Value,
        cmd: &Command,
        last: Option<Value>,
    ) -> Result<Value, ExecError> {
        let (pos, first) = &cmd.args[0];
        let rest = &cmd.args[1..];
        match first {
            Arg::Ident(name) => self.call_function(dot, *pos, name, rest, last),
            Arg::Field(chain) => {
                let text = || chain.to_string();
                self.eval_chain(dot, dot.clone(), chain, *pos, &text, rest, last)
            }
            Arg::Variable(v) => {
                let (name, chain) = split_variable(v);
                let base = self.var(name, *pos)?;
                let text = || v.to_string();
                if chain.is_empty() {
                    self.not_a_function(*pos, &text, rest, &last)?;
                    return Ok(base);
                }
                self.eval_chain(dot, base, chain, *pos, &text, rest, last)
            }
            Arg::Pipe(p, chain) => {
                let base = self.eval_paren(dot, p)?;
                let text = || format!("({}){chain}", p.text());
                if chain.is_empty() {
                    self.not_a_function(*pos, &text, rest, &last)?;
                    return Ok(base);
                }
                self.eval_chain(dot, base, chain, *pos, &text, rest, last)
            }
            Arg::Nil => Err(self.error_at(*pos, "nil", "nil is not a command")),
            literal => {
                self.not_a_function(*pos, &|| arg_text(literal), rest, &last)?;
                self.eval_arg(dot, *pos, literal)
            }
        }
    }

    /// Fails when a value that is not a function (`text` writes it) is given arguments.
    fn not_a_function(
        &self,
        pos: Pos,
        text: &dyn Fn() -> String,
        rest: &[(Pos, Arg)],
        last: &Option<Value>,
    ) -> Result<(), ExecError> {
        if !rest.is_empty() || last.is_some() {
            let text = text();
            return Err(self.error_at(
                pos,
                &text,
                &format!("can't give argument to non-function {text}"),
            ));
        }
        Ok(())
    }

    /// `.A.B.C args...`: fields of `base`; the arguments go to the last one (a method).
    #[allow(clippy::too_many_arguments)]
    fn eval_chain(
        &mut self,
        dot: &Value,
        base: Value,
        chain: &str,
        pos: Pos,
        text: &dyn Fn() -> String,
        args: &[(Pos, Arg)],
        last: Option<Value>,
    ) -> Result<Value, ExecError> {
        // A pipeline's or variable's nil result is Go's "no value" (the interface is
        // dug out), and a field of no value is no value; a nil found by a field lookup
        // along the chain is a nil interface, and a field of that fails.
        if base.is_nil() {
            return Ok(Value::Nil);
        }
        let mut v = base;
        let mut names = chain_names(chain).peekable();
        while let Some(name) = names.next() {
            let is_last = names.peek().is_none();
            let mut call_args = Vec::new();
            if is_last {
                for (p, a) in args {
                    call_args.push(self.eval_arg(dot, *p, a)?);
                }
                if let Some(l) = &last {
                    call_args.push(l.clone());
                }
            }
            v = self.field(
                &v,
                name,
                &call_args,
                is_last && (!args.is_empty() || last.is_some()),
                pos,
                text,
            )?;
        }
        Ok(v)
    }

    fn field(
        &self,
        recv: &Value,
        name: &str,
        args: &[Value],
        has_args: bool,
        pos: Pos,
        text: &dyn Fn() -> String,
    ) -> Result<Value, ExecError> {
        match recv {
            Value::Map(m) => {
                if has_args {
                    return Err(self.error_at(
                        pos,
                        &text(),
                        &format!("{name} is not a method but has arguments"),
                    ));
                }
                Ok(m.borrow().get(name).cloned().unwrap_or(Value::Nil))
            }
            Value::Object(o) => {
                if let Some(result) = o.call(name, args) {
                    return result.map_err(|e| self.call_error(pos, &text(), name, e));
                }
                if has_args {
                    return Err(self.error_at(
                        pos,
                        &text(),
                        &format!("{name} has arguments but cannot be invoked as function"),
                    ));
                }
                o.field(name).ok_or_else(|| {
                    self.error_at(
                        pos,
                        &text(),
                        &format!("can't evaluate field {name} in type {}", o.type_name()),
                    )
                })
            }
            Value::Nil => Err(self.error_at(
                pos,
                &text(),
                &format!("nil pointer evaluating interface {{}}.{name}"),
            )),
            other => Err(self.error_at(
                pos,
                &text(),
                &format!("can't evaluate field {name} in type {}", other.type_name()),
            )),
        }
    }

    /// One argument of a command, evaluated with no arguments of its own.
    fn eval_arg(&mut self, dot: &Value, pos: Pos, arg: &Arg) -> Result<Value, ExecError> {
        Ok(match arg {
            Arg::Dot => dot.clone(),
            Arg::Nil => Value::Nil,
            Arg::Bool(b) => Value::Bool(*b),
            Arg::Int(i) => Value::Int(*i),
            Arg::Float(f) => Value::Float(*f),
            Arg::String(s) => Value::str(s),
            Arg::Field(chain) => {
                let text = || chain.to_string();
                self.eval_chain(dot, dot.clone(), chain, pos, &text, &[], None)?
            }
            Arg::Variable(v) => {
                let (name, chain) = split_variable(v);
                let base = self.var(name, pos)?;
                if chain.is_empty() {
                    base
                } else {
                    let text = || v.to_string();
                    self.eval_chain(dot, base, chain, pos, &text, &[], None)?
                }
            }
            Arg::Ident(name) => self.call_function(dot, pos, name, &[], None)?,
            Arg::Pipe(p, chain) => {
                let base = self.eval_paren(dot, p)?;
                if chain.is_empty() {
                    base
                } else {
                    let text = || format!("({}){chain}", p.text());
                    self.eval_chain(dot, base, chain, pos, &text, &[], None)?
                }
            }
        })
    }

    fn call_function(
        &mut self,
        dot: &Value,
        pos: Pos,
        name: &str,
        args: &[(Pos, Arg)],
        last: Option<Value>,
    ) -> Result<Value, ExecError> {
        // `and` and `or` evaluate their arguments only as far as needed.
        if name == "and" || name == "or" {
            let want = name == "or";
            let n = args.len() + usize::from(last.is_some());
            if n == 0 {
                return Err(self.error_at(
                    pos,
                    name,
                    &format!("wrong number of args for {name}: want at least 1 got 0"),
                ));
            }
            let mut v = Value::Nil;
            for (p, a) in args {
                v = self.eval_arg(dot, *p, a)?;
                if v.truthy() == want {
                    return Ok(v);
                }
            }
            if let Some(l) = last {
                v = l;
            }
            return Ok(v);
        }
        let Some(f) = self.set.funcs.get(name).copied() else {
            return Err(ExecError::new(format!(
                "template: {}:{}: function {name:?} not defined",
                self.file, pos.line
            )));
        };
        let mut values = Vec::with_capacity(args.len() + 1);
        let strings = funcs::string_params(name);
        for (i, (p, a)) in args.iter().enumerate() {
            let v = self.eval_arg(dot, *p, a)?;
            if strings.contains(&i) {
                self.check_string_arg(*p, a, &v)?;
            }
            values.push(v);
        }
        if let Some(l) = last {
            // Go checks a piped value where the last argument or the function was.
            if strings.contains(&args.len()) {
                let (p, text) = match args.last() {
                    Some((p, a)) => (*p, arg_text(a)),
                    None => (pos, name.to_string()),
                };
                let why = match &l {
                    Value::Nil => Some("invalid value; expected string".to_string()),
                    v => wrong_type(v),
                };
                if let Some(why) = why {
                    return Err(self.error_at(p, &text, &why));
                }
            }
            values.push(l);
        }
        if name == "call" && !values.is_empty() {
            // Go hands `call` the callee's source text (or, when it was piped, the
            // value's reflect.Value.String()) for its messages.
            let callee = match args.first() {
                Some((_, a)) => node_text(a),
                None => reflect_string(&values[0]),
            };
            values.insert(0, Value::str(callee));
        }
        // After the arguments: an `include` among them runs calls of its own.
        self.call_site = (self.site.clone(), pos.line);
        // Go names the whole command when a call fails, the function when its
        // arguments do; an `include`d template's failure is wrapped, as `%w` wraps it.
        let command = || {
            std::iter::once(name.to_string())
                .chain(args.iter().map(|(_, a)| arg_text(a)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let result = f(self, &values);
        if super::value::too_deep() {
            return Err(self.call_error(pos, &command(), name, too_deep_message()));
        }
        result.map_err(|e| match e {
            funcs::FuncError::Call(msg) => self.call_error(pos, &command(), name, msg),
            funcs::FuncError::Args(msg) => self.error_at(pos, name, &msg),
            funcs::FuncError::Exec(inner) => {
                let mut e = self.error_at(
                    pos,
                    &command(),
                    &format!("error calling {name}: {}", inner.message),
                );
                e.cause = Some(Box::new(inner));
                e
            }
        })
    }
}

impl Exec<'_> {
    /// Go's `evalArg` for a `string` parameter: no nil, no number, no map, no list.
    fn check_string_arg(&self, pos: Pos, arg: &Arg, v: &Value) -> Result<(), ExecError> {
        let why = match (arg, v) {
            (Arg::Nil, _) => Some("cannot assign nil to string".to_string()),
            (Arg::Int(_) | Arg::Float(_) | Arg::Bool(_), _) => {
                Some(format!("expected string; found {}", arg_text(arg)))
            }
            // A map's missing or null entry is a nil `interface {}`; a variable or a
            // pipeline holding nil is no value at all.
            (Arg::Field(_) | Arg::Dot, Value::Nil) => {
                Some("wrong type for value; expected string; got interface {}".to_string())
            }
            (_, Value::Nil) => Some("invalid value; expected string".to_string()),
            (_, v) => wrong_type(v),
        };
        match why {
            Some(why) => Err(self.error_at(pos, &arg_text(arg), &why)),
            None => Ok(()),
        }
    }
}

/// Why a value could not be printed, copied, compared or encoded (see
/// [`super::value::too_deep`]).
fn too_deep_message() -> String {
    format!(
        "a map or list nested more than {MAX_VALUE_DEPTH} deep (a map set into itself, or \
         nesting built up in a loop): strata's limit, where Go overflows its stack or goes on"
    )
}

/// Go's complaint about a non-string value where a function takes a string.
fn wrong_type(v: &Value) -> Option<String> {
    match v {
        Value::Nil | Value::String(_) | Value::Object(_) => None,
        v => Some(format!(
            "wrong type for value; expected string; got {}",
            v.type_name()
        )),
    }
}

/// How Go's parse nodes print themselves (`Node.String()`): a parenthesized pipeline
/// without its parentheses.
fn node_text(a: &Arg) -> String {
    match a {
        Arg::Pipe(p, chain) if chain.is_empty() => p.text(),
        other => arg_text(other),
    }
}

/// Go's `reflect.Value.String()`, the type in angle brackets, except that Go gives a
/// string's own text: a piped value may be a password, so it is not quoted back.
fn reflect_string(v: &Value) -> String {
    match v {
        Value::Nil => "<invalid Value>".to_string(),
        other => format!("<{} Value>", other.type_name()),
    }
}

fn arg_text(a: &Arg) -> String {
    match a {
        Arg::Dot => ".".into(),
        Arg::Nil => "nil".into(),
        Arg::Bool(b) => b.to_string(),
        Arg::Int(i) => i.to_string(),
        Arg::Float(f) => f.to_string(),
        Arg::String(s) => format!("{s:?}"),
        Arg::Field(c) | Arg::Variable(c) => c.to_string(),
        Arg::Ident(n) => n.to_string(),
        Arg::Pipe(p, c) => format!("({}){c}", p.text()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helm::gotmpl::funcs::builtins;

    fn run(src: &str, data: serde_json::Value) -> Result<String, ExecError> {
        let mut set = TemplateSet::new(builtins());
        set.add("t", src)?;
        set.execute("t", &Value::from_json(&data))
    }

    #[test]
    fn a_string_piped_into_call_is_not_quoted_back() {
        let data = serde_json::json!({"password": "s3cret"});
        let e = run("{{ .password | call }}", data.clone()).unwrap_err();
        assert!(
            e.message
                .ends_with("error calling call: non-function <string Value> of type string"),
            "{}",
            e.message
        );
        // Written as an argument, the callee is named by its source text.
        let e = run("{{ call .password }}", data).unwrap_err();
        assert!(
            e.message.ends_with("non-function .password of type string"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_called_template_has_its_own_dollar_and_its_caller_keeps_its_variables() {
        let data = serde_json::json!({"n": 1});
        let src = r#"{{ define "inner" }}{{ $y := 3 }}[{{ $ }} {{ $y }}]{{ end }}{{ $x := 5 }}{{ template "inner" 7 }}{{ $x }} {{ $.n }}{{ template "inner" $x }}"#;
        assert_eq!(run(src, data).unwrap(), "[7 3]5 1[5 3]");
    }

    #[test]
    fn pipelines_variables_and_control_flow() {
        let data = serde_json::json!({"a": {"b": 3, "list": ["x", "y"]}, "m": {"k2": 2, "k1": 1}});
        assert_eq!(run("{{ .a.b }}", data.clone()).unwrap(), "3");
        assert_eq!(
            run(
                "{{ range $i, $v := .a.list }}{{ $i }}={{ $v }};{{ end }}",
                data.clone()
            )
            .unwrap(),
            "0=x;1=y;"
        );
        assert_eq!(
            run("{{ range $k, $v := .m }}{{ $k }}{{ end }}", data.clone()).unwrap(),
            "k1k2"
        );
        assert_eq!(
            run("{{ with .missing }}x{{ else }}none{{ end }}", data.clone()).unwrap(),
            "none"
        );
        assert_eq!(
            run("{{ if and .a .m }}yes{{ end }}", data.clone()).unwrap(),
            "yes"
        );
        assert_eq!(
            run(
                "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}",
                data.clone()
            )
            .unwrap(),
            "2"
        );
        assert_eq!(
            run("{{ .a.list | len | printf \"%d items\" }}", data.clone()).unwrap(),
            "2 items"
        );
        assert_eq!(
            run(
                "{{ range .a.list }}{{ if eq . \"y\" }}{{ break }}{{ end }}{{ . }}{{ end }}",
                data.clone()
            )
            .unwrap(),
            "x"
        );
        assert_eq!(
            run(
                "{{ define \"n\" }}[{{ . }}]{{ end }}{{ template \"n\" .a.b }}",
                data.clone()
            )
            .unwrap(),
            "[3]"
        );
        assert_eq!(run("{{ .missing }}", data.clone()).unwrap(), "<no value>");
    }

    #[test]
    fn a_trailing_pipe_ends_the_pipeline_as_in_go() {
        // Go's parser accepts `{{ x | }}` and `(x |)` (datadog-operator's chart has one).
        let data = serde_json::json!({"a": 3});
        assert_eq!(
            run("{{ .a | printf \"%v\" | }}", data.clone()).unwrap(),
            "3"
        );
        assert_eq!(
            run("{{ (.a | printf \"<%v>\" |) }}", data.clone()).unwrap(),
            "<3>"
        );
        assert!(run("{{ | .a }}", data.clone()).is_err());
        assert!(run("{{ .a | | printf \"%d\" }}", data).is_err());
    }

    #[test]
    fn errors_are_worded_as_go_words_them() {
        let data = serde_json::json!({"a": {}});
        assert_eq!(
            run("x\n  {{ .a.b.c }}", data.clone()).unwrap_err().message,
            "template: t:2:7: executing \"t\" at <.a.b.c>: nil pointer evaluating interface {}.c"
        );
        assert_eq!(
            run("{{ eq 1 .f }}", serde_json::json!({"f": 1})).unwrap_err().message,
            "template: t:1:3: executing \"t\" at <eq 1 .f>: error calling eq: incompatible types for comparison"
        );
    }

    /// What the parser's fast paths could get wrong, through the whole engine: literals
    /// decoded from the source, and messages that quote a command or pipeline as Go
    /// prints it (tokens separated by single spaces, numbers in decimal, strings quoted).
    #[test]
    fn literals_and_messages_quote_the_source() {
        let data = serde_json::json!({"a": {}, "s": "x"});
        let cases: &[(&str, &str)] = &[
            (
                r#"{{ "a\n\"b\"\t\u00e9\x41\101\\" }}"#,
                "ok: a\n\"b\"\téAA\\",
            ),
            (
                "{{ `raw\\n \"q\"\nline` }}",
                "ok: raw\\n \"q\"\nline",
            ),
            (
                r#"{{ "" }}|{{ `` }}|{{ "é" }}"#,
                "ok: ||é",
            ),
            (
                r"{{ 'a' }} {{ '\n' }} {{ 'é' }} {{ '\'' }} {{ '\x41' }}",
                "ok: 97 10 233 39 65",
            ),
            (
                "{{ 0x10 }} {{ 017 }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }} {{ -4 }} {{ +4 }} {{ 0 }}",
                "ok: 16 15 15 5 1000 -4 4 0",
            ),
            (
                "{{ 1.5 }} {{ .5 }} {{ 1e3 }} {{ 0x1p-2 }} {{ 99999999999999999999 }}",
                "ok: 1.5 0.5 1000 0.25 1e+20",
            ),
            (
                "a {{- /* c\n */ -}} b\n{{- 1 -}}\n c",
                "ok: ab1c",
            ),
            (
                "{{ .s.missing }}",
                "err: template: t:1:5: executing \"t\" at <.s.missing>: can't evaluate field missing in type string",
            ),
            // Positions after newlines inside actions: a trim marker's, a raw string's.
            (
                "a: {{-\n .s.y }}",
                "err: template: t:2:3: executing \"t\" at <.s.y>: can't evaluate field y in type string",
            ),
            (
                "{{ printf \"%s %s\"\n  `r\naw` .s.y.z }}",
                "err: template: t:3:6: executing \"t\" at <.s.y.z>: can't evaluate field y in type string",
            ),
            (
                "{{ nope 1 }}",
                "err: template: t:1: function \"nope\" not defined",
            ),
            (
                "x\n{{ len 1 2 }}",
                "err: template: t:2:3: executing \"t\" at <len>: wrong number of args for len: want 1 got 2",
            ),
            (
                "{{ nil }}",
                "err: template: t:1:3: executing \"t\" at <nil>: nil is not a command",
            ),
            (
                "{{ 1 2 }}",
                "err: template: t:1:3: executing \"t\" at <1>: can't give argument to non-function 1",
            ),
            (
                "{{ \"q\\t\" 2 }}",
                "err: template: t:1:3: executing \"t\" at <\"q\\t\">: can't give argument to non-function \"q\\t\"",
            ),
            (
                "{{ .s | 0x10 }}",
                "err: template: t:1:8: executing \"t\" at <16>: can't give argument to non-function 16",
            ),
            (
                r#"{{ ("a\n" | printf "%s" ) 1 }}"#,
                "err: template: t:1:3: executing \"t\" at <(\"a\\n\" | printf \"%s\")>: can't give argument to non-function (\"a\\n\" | printf \"%s\")",
            ),
            (
                r#"{{ ( printf  "%d"   0x10 ).x }}"#,
                "err: template: t:1:26: executing \"t\" at <(printf \"%d\" 16).x>: can't evaluate field x in type string",
            ),
            (
                "{{ (.a).b.c }}",
                "err: template: t:1:7: executing \"t\" at <(.a).b.c>: nil pointer evaluating interface {}.c",
            ),
            (
                "{{ $x := .a }}{{ $x.b.c }}",
                "err: template: t:1:19: executing \"t\" at <$x.b.c>: nil pointer evaluating interface {}.c",
            ),
            (
                "{{ $ 1 }}",
                "err: template: t:1:3: executing \"t\" at <$>: can't give argument to non-function $",
            ),
            (
                "{{ range  $i, $v :=  5.5 }}{{ end }}",
                "err: template: t:1:21: executing \"t\" at <range  $i, $v :=  5.5>: range can't iterate over 5.5",
            ),
            (
                "{{ if false }}{{ else if true }}{{ range 1.5 }}{{ end }}{{ end }}",
                "err: template: t:1:41: executing \"t\" at <range 1.5>: range can't iterate over 1.5",
            ),
            (
                r#"{{ eq (printf "%d" 0x10) 'a' 1_0 "\u00e9" }}"#,
                "err: template: t:1:3: executing \"t\" at <eq (printf \"%d\" 16) 97 10 \"é\">: error calling eq: incompatible types for comparison",
            ),
            (
                r#"{{ template "nope" }}"#,
                "err: template: t:1:0: executing \"t\" at <{{template \"nope\"}}>: template \"nope\" not defined",
            ),
            (
                r#"{{ "abc }}"#,
                "err: template: t:1: unclosed action",
            ),
            (
                "{{ 'ab' }}",
                "err: template: t:1: unterminated character constant",
            ),
            (
                r#"{{ "\q" }}"#,
                "err: template: t:1: invalid syntax: \"\\q\" ",
            ),
            (
                "{{ ` }}",
                "err: template: t:1: unclosed action",
            ),
            (
                "{{ 0x1.8 }}",
                "err: template: t:1: bad number syntax: \"0x1.8\"",
            ),
            (
                "{{ end }}",
                "err: template: t:1: unexpected {{end}}",
            ),
            (
                "{{ if }}{{ end }}",
                "err: template: t:1: missing value for if",
            ),
            // A trailing pipe is allowed, as the Helm SDK's parser allows it.
            ("{{ .a | }}", "ok: map[]"),
            (
                "{{ break }}",
                "err: template: t:1: {{break}} outside {{range}}",
            ),
            (
                "{{ template 3 }}",
                "err: template: t:1: unexpected \"3\" in template clause",
            ),
            (
                "{{ .s ) }}",
                "err: template: t:1: unexpected \")\" in command",
            ),
            (
                "{{ ( .s }}",
                "err: template: t:1: unclosed left paren",
            ),
            (
                "{{ }}",
                "err: template: t:1: missing value for command",
            ),
            (
                "{{ .s # }}",
                "err: template: t:1: unexpected '#' in command",
            ),
            (
                "{{ if 1 }}\n{{ else }}{{ else }}{{ end }}",
                "err: template: t:2: unexpected {{else}} in if",
            ),
            (
                "{{ define \"x\" }}{{ end }}{{ define \"x\" 1 }}",
                "err: template: t:1: unexpected \"1\" in define clause",
            ),
            (
                "{{ /* a */ x }}",
                "err: template: t:1: unexpected '/' in command",
            ),
            (
                "a\n{{ /* a }}",
                "err: template: t:2: unexpected '/' in command",
            ),
        ];
        for (src, want) in cases {
            let got = match run(src, data.clone()) {
                Ok(s) => format!("ok: {s}"),
                Err(e) => format!("err: {}", e.message),
            };
            assert_eq!(&got, want, "{src:?}");
        }
    }
}
