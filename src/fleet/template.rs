//! Chart templates: handlebars in strict mode, with the helpers Helm users expect.
//!
//! Pure: templates come in as `(name, source)` strings, output goes out as strings.
//!
//! * **Context.** Templates see the JSON value the caller gives, by convention
//!   `{values, cluster: {name, env, region, tenant, labels, values}, app: {name, namespace}}`.
//! * **Strict.** Printing a value that does not exist (`{{values.imag.tag}}`) is an
//!   error naming the template file, line, column and the path. `if`/`unless` treat
//!   a missing value as false; `default` and `required` accept missing values (that
//!   is their job); every other helper rejects them.
//! * **No HTML escaping**: the output is YAML.
//! * **Partials.** A file whose base name starts with `_` (`_helpers.tpl`,
//!   `_labels.yaml`, any extension) is a partial, not an output. It is usable as
//!   `{{> labels}}` under its base name without `_` and extension, and each top-level
//!   `{{#*inline "name"}}...{{/inline}}` block in it is a partial `name` too (Helm's
//!   `define`). `include "name" ctx` renders a partial to a string (trailing newlines
//!   removed) so it can be piped: `{{nindent 4 (include "labels" this)}}`.
//!
//! Helpers (Helm/sprig names and argument order):
//!
//! | helper | result |
//! | --- | --- |
//! | `toYaml v` | `v` as block YAML, without the final newline |
//! | `indent n s` / `nindent n s` | every line of `s` prefixed by `n` spaces (`nindent`: after a newline) |
//! | `default d v` | `v`, unless missing or empty (`null`, `false`, `0`, `""`, `[]`, `{}`): then `d` |
//! | `required "msg" v` | `v`, or the error `msg` when `v` is missing, `null` or `""` |
//! | `quote v...` | each non-null argument in double quotes (Go `%q`), joined by spaces |
//! | `b64enc s`, `sha256sum s`, `lower s`, `upper s` | as in Helm |
//! | `eq a b`, `ne a b`, `and a b...`, `or a b...`, `not a` | handlebars' built-ins, booleans |
//! | `include "name" ctx` | the partial rendered with `ctx` (the root context if omitted) |
//!
//! Scalars given to string helpers are printed as in YAML (`5`, `true`; `null` is
//! empty); lists and maps as compact JSON.
//!
//! Handlebars, not Go templates: the current context is `this` (not `.`), the root
//! is `@root`, whitespace control is `{{~ x ~}}` (not `{{- x -}}`), helpers take
//! arguments in prefix form (`{{nindent 4 (toYaml values.x)}}`, no pipes), and a
//! block helper alone on its line (`{{#if ...}}`) takes its line with it.

use std::cell::Cell;
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use handlebars::template::{Parameter, TemplateElement};
use handlebars::{
    Context, Handlebars, Helper, HelperDef, RenderContext, RenderError, RenderErrorReason,
    ScopedJson, Template, TemplateErrorReason,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helm::gotmpl::funcs::go_quote;

/// How deep `include` may nest (a partial including itself, directly or not).
const MAX_INCLUDE_DEPTH: usize = 32;
/// Largest indentation `indent`/`nindent` accept.
const MAX_INDENT: u64 = 1024;

/// A template that cannot be parsed or rendered: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct TemplateError {
    /// The template's name as given to [`TemplateSet::new`] or [`render_str`]
    /// (for an error inside a partial: the partial's file).
    pub file: String,
    /// 1-based; 0 when unknown.
    pub line: u32,
    /// 1-based; 0 when unknown.
    pub column: u32,
    /// What is wrong and, where it helps, what to do.
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}: {}", self.file, self.message),
            (line, 0) => write!(f, "{}:{line}: {}", self.file, self.message),
            (line, column) => write!(f, "{}:{line}:{column}: {}", self.file, self.message),
        }
    }
}

impl From<TemplateError> for crate::error::Error {
    fn from(e: TemplateError) -> crate::error::Error {
        let message = if e.column > 0 {
            format!("column {}: {}", e.column, e.message)
        } else {
            e.message
        };
        crate::error::Error::new(crate::error::ErrorKind::Invalid, e.file, message).at_line(e.line)
    }
}

/// Whether a template file is a partial (base name starting with `_`), not an output.
pub fn is_partial(name: &str) -> bool {
    base_name(name).starts_with('_')
}

fn base_name(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// The name a partial file is included by: base name without `_` and extension.
fn partial_name(file: &str) -> String {
    let base = base_name(file).trim_start_matches('_');
    match base.find('.') {
        Some(dot) if dot > 0 => base[..dot].to_string(),
        _ => base.to_string(),
    }
}

/// The templates of one chart, parsed once, rendered per cluster.
pub struct TemplateSet {
    registry: Handlebars<'static>,
    outputs: Vec<String>,
    partials: Arc<Vec<String>>,
}

impl fmt::Debug for TemplateSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemplateSet")
            .field("outputs", &self.outputs)
            .field("partials", &self.partials)
            .finish()
    }
}

impl TemplateSet {
    /// Parses every template. `name` is how errors name the file (give the
    /// root-relative path); partials are recognised by their base name (see the module doc).
    /// Fails on the first syntax error, or on two partials with one name.
    pub fn new<'a, I>(files: I) -> Result<TemplateSet, TemplateError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut templates: Vec<(String, Template)> = Vec::new();
        let mut outputs = Vec::new();
        let mut partials: Vec<(String, String)> = Vec::new(); // (partial name, file)
        for (name, source) in files {
            let template = Template::compile_with_name(source, name.to_string())
                .map_err(|e| parse_error(&e, name))?;
            if is_partial(name) {
                for (inline_name, mut inner) in inline_partials(&template) {
                    inner.name = Some(name.to_string());
                    partials.push((inline_name.clone(), name.to_string()));
                    templates.push((inline_name, inner));
                }
                let whole = partial_name(name);
                partials.push((whole.clone(), name.to_string()));
                templates.push((whole, template));
            } else {
                outputs.push(name.to_string());
                templates.push((name.to_string(), template));
            }
        }
        let mut sorted = partials.clone();
        sorted.sort();
        for pair in sorted.windows(2) {
            if pair[0].0 == pair[1].0 {
                return Err(TemplateError {
                    file: pair[1].1.clone(),
                    line: 0,
                    column: 0,
                    message: format!(
                        "partial {:?} is defined twice (also in {}); rename one",
                        pair[0].0, pair[0].1
                    ),
                });
            }
        }
        let names: Vec<String> = sorted.into_iter().map(|(n, _)| n).collect();
        for partial in &names {
            if outputs.contains(partial) {
                return Err(TemplateError {
                    file: partial.clone(),
                    line: 0,
                    column: 0,
                    message: "a template and a partial have the same name; rename one".into(),
                });
            }
        }
        check_partial_cycles(&templates)?;
        let partials = Arc::new(names);
        let mut registry = new_registry(partials.clone());
        for (name, template) in templates {
            registry.register_template(&name, template);
        }
        outputs.sort();
        Ok(TemplateSet {
            registry,
            outputs,
            partials,
        })
    }

    /// The names of the templates that produce output (not partials), sorted.
    pub fn outputs(&self) -> &[String] {
        &self.outputs
    }

    /// Renders one output template with `context`.
    pub fn render(&self, template_name: &str, context: &Value) -> Result<String, TemplateError> {
        if !self.outputs.iter().any(|o| o == template_name) {
            return Err(TemplateError {
                file: template_name.to_string(),
                line: 0,
                column: 0,
                message: format!("no such template (templates: {})", self.outputs.join(", ")),
            });
        }
        self.registry
            .render_with_context(template_name, &Context::from(context.clone()))
            .map_err(|e| render_error(&e, template_name, &self.partials))
    }
}

/// Renders one template string (an overlay file using `{{cluster.name}}`, say) with
/// the same helpers and strictness, and no partials. `name` is how errors name it.
pub fn render_str(source: &str, name: &str, context: &Value) -> Result<String, TemplateError> {
    let template =
        Template::compile_with_name(source, name.to_string()).map_err(|e| parse_error(&e, name))?;
    let partials = Arc::new(Vec::new());
    let mut registry = new_registry(partials.clone());
    registry.register_template(name, template);
    registry
        .render_with_context(name, &Context::from(context.clone()))
        .map_err(|e| render_error(&e, name, &partials))
}

/// The top-level `{{#*inline "name"}}...{{/inline}}` blocks of a partial file.
fn inline_partials(template: &Template) -> Vec<(String, Template)> {
    let mut out = Vec::new();
    for element in &template.elements {
        let TemplateElement::DecoratorBlock(block) = element else {
            continue;
        };
        if !matches!(&block.name, Parameter::Name(n) if n == "inline") {
            continue;
        }
        if let (Some(Parameter::Literal(Value::String(name))), Some(inner)) =
            (block.params.first(), &block.template)
        {
            out.push((name.clone(), inner.clone()));
        }
    }
    out
}

/// Where a template refers to partials with `{{> name}}`.
#[derive(Default)]
struct PartialRefs<'t> {
    /// Partial names this template renders.
    refs: Vec<String>,
    /// `{{#*inline}}` blocks found inside, with their templates.
    inlines: Vec<(String, &'t Template)>,
    /// Whether a partial name is computed (`{{> (expr)}}`).
    dynamic: bool,
}

fn collect_partial_refs<'t>(template: &'t Template, out: &mut PartialRefs<'t>) {
    for element in &template.elements {
        match element {
            TemplateElement::PartialExpression(d) | TemplateElement::PartialBlock(d) => {
                match (&d.name, d.name.as_name()) {
                    (Parameter::Literal(Value::String(n)), _) => out.refs.push(n.clone()),
                    (_, Some(n)) => out.refs.push(n.to_string()),
                    _ => out.dynamic = true,
                }
                if let Some(inner) = &d.template {
                    collect_partial_refs(inner, out);
                }
            }
            TemplateElement::DecoratorBlock(d) => {
                let inline_name = match (&d.name, d.params.first()) {
                    (Parameter::Name(n), Some(Parameter::Literal(Value::String(name))))
                        if n == "inline" =>
                    {
                        Some(name.clone())
                    }
                    _ => None,
                };
                match (inline_name, &d.template) {
                    (Some(name), Some(inner)) => out.inlines.push((name, inner)),
                    (None, Some(inner)) => collect_partial_refs(inner, out),
                    _ => {}
                }
            }
            TemplateElement::HelperBlock(h) => {
                for inner in [&h.template, &h.inverse].into_iter().flatten() {
                    collect_partial_refs(inner, out);
                }
            }
            _ => {}
        }
    }
}

/// Refuses partials that render themselves through `{{> name}}` (directly or not),
/// which would recurse without end, and computed partial names, which cannot be
/// checked. (`include` is bounded at run time instead.)
fn check_partial_cycles(templates: &[(String, Template)]) -> Result<(), TemplateError> {
    // name -> (file, partials it renders); inline blocks anywhere are nodes too.
    let mut graph: std::collections::BTreeMap<String, (String, Vec<String>)> =
        std::collections::BTreeMap::new();
    let mut pending: Vec<(String, &Template)> = templates
        .iter()
        .map(|(name, t)| (name.clone(), t))
        .collect();
    while let Some((name, template)) = pending.pop() {
        let mut found = PartialRefs::default();
        collect_partial_refs(template, &mut found);
        let file = template.name.clone().unwrap_or_else(|| name.clone());
        if found.dynamic {
            return Err(TemplateError {
                file,
                line: 0,
                column: 0,
                message: "a partial name must be written out ({{> name}}); use include for a computed name".into(),
            });
        }
        let node = graph.entry(name).or_insert_with(|| (file, Vec::new()));
        node.1.extend(found.refs);
        pending.extend(found.inlines);
    }
    // Depth-first search for a cycle; 0 = unvisited, 1 = on the path, 2 = done.
    let mut state: std::collections::BTreeMap<&str, u8> = std::collections::BTreeMap::new();
    for start in graph.keys() {
        let mut path: Vec<&str> = Vec::new();
        if let Some(cycle) = find_cycle(start, &graph, &mut state, &mut path) {
            let file = graph
                .get(cycle[0].as_str())
                .map(|n| n.0.clone())
                .unwrap_or_default();
            return Err(TemplateError {
                file,
                line: 0,
                column: 0,
                message: format!(
                    "partials render each other without end: {}",
                    cycle.join(" > ")
                ),
            });
        }
    }
    Ok(())
}

fn find_cycle<'g>(
    node: &'g str,
    graph: &'g std::collections::BTreeMap<String, (String, Vec<String>)>,
    state: &mut std::collections::BTreeMap<&'g str, u8>,
    path: &mut Vec<&'g str>,
) -> Option<Vec<String>> {
    match state.get(node) {
        Some(2) => return None,
        Some(1) => {
            let from = path.iter().position(|n| *n == node).unwrap_or(0);
            let mut cycle: Vec<String> = path[from..].iter().map(|s| s.to_string()).collect();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        _ => {}
    }
    let (_, refs) = graph.get(node)?;
    state.insert(node, 1);
    path.push(node);
    for next in refs {
        if let Some((key, _)) = graph.get_key_value(next.as_str()) {
            if let Some(cycle) = find_cycle(key, graph, state, path) {
                return Some(cycle);
            }
        }
    }
    path.pop();
    state.insert(node, 2);
    None
}

fn new_registry(partials: Arc<Vec<String>>) -> Handlebars<'static> {
    let mut r = Handlebars::new();
    r.set_strict_mode(true);
    r.register_escape_fn(handlebars::no_escape);
    let helpers: [(&'static str, HelperFn, bool); 10] = [
        ("toYaml", to_yaml, false),
        ("indent", indent, false),
        ("nindent", nindent, false),
        ("default", default, true),
        ("required", required, true),
        ("quote", quote, false),
        ("b64enc", b64enc, false),
        ("sha256sum", sha256sum, false),
        ("lower", lower, false),
        ("upper", upper, false),
    ];
    for (name, f, allow_missing) in helpers {
        r.register_helper(
            name,
            Box::new(ValueHelper {
                name,
                f,
                allow_missing,
            }),
        );
    }
    r.register_helper("include", Box::new(IncludeHelper { partials }));
    r
}

fn parse_error(e: &handlebars::TemplateError, name: &str) -> TemplateError {
    let (line, column) = e.pos().unwrap_or((0, 0));
    let reason = match e.reason() {
        // pest lists every token it would have accepted: long and unhelpful.
        TemplateErrorReason::InvalidSyntax(_) => "cannot parse here (an unclosed `{{`, \
             a `{{#block}}` without its `{{/block}}`, or a stray `}}`?)"
            .to_string(),
        other => other.to_string(),
    };
    TemplateError {
        file: e.name().cloned().unwrap_or_else(|| name.to_string()),
        line: u32::try_from(line).unwrap_or(0),
        column: u32::try_from(column).unwrap_or(0),
        message: format!("template syntax: {reason}"),
    }
}

fn render_error(e: &RenderError, fallback: &str, partials: &[String]) -> TemplateError {
    let message = match e.reason() {
        RenderErrorReason::MissingVariable(Some(path)) => format!(
            "{path:?} is not set (templates are strict: give a fallback with \
             (default \"...\" {path}), or test it with {{{{#if {path}}}}})"
        ),
        RenderErrorReason::MissingVariable(None) => {
            "a value used here is not set (templates are strict)".to_string()
        }
        RenderErrorReason::PartialNotFound(name) => unknown_partial(name, partials),
        RenderErrorReason::HelperNotFound(name) => format!(
            "unknown helper {name:?} (helpers: toYaml, indent, nindent, default, required, \
             quote, b64enc, sha256sum, lower, upper, eq, ne, and, or, not, include, if, \
             unless, each, with, lookup)"
        ),
        RenderErrorReason::ParamNotFoundForIndex(helper, index) => {
            format!("{helper}: argument {} is missing or not set", index + 1)
        }
        RenderErrorReason::CannotIncludeSelf => "a partial cannot include itself".to_string(),
        RenderErrorReason::Other(message) => message.clone(),
        other => other.to_string(),
    };
    TemplateError {
        file: e
            .template_name
            .clone()
            .unwrap_or_else(|| fallback.to_string()),
        line: e.line_no.and_then(|l| u32::try_from(l).ok()).unwrap_or(0),
        column: e.column_no.and_then(|c| u32::try_from(c).ok()).unwrap_or(0),
        message,
    }
}

fn unknown_partial(name: &str, partials: &[String]) -> String {
    let known = if partials.is_empty() {
        "there are none: a partial is a template file named _<name>.<ext>".to_string()
    } else {
        format!("partials: {}", partials.join(", "))
    };
    format!("no partial named {name:?} ({known})")
}

/// A helper computing a value from its arguments (`None` = a missing value).
type HelperFn = fn(&str, &[Option<&Value>]) -> Result<Value, String>;

struct ValueHelper {
    name: &'static str,
    f: HelperFn,
    /// Whether missing values may be passed (`default`, `required`).
    allow_missing: bool,
}

impl HelperDef for ValueHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let mut args = Vec::with_capacity(h.params().len());
        for param in h.params() {
            if param.is_value_missing() {
                if !self.allow_missing {
                    return Err(
                        RenderErrorReason::MissingVariable(param.relative_path().cloned()).into(),
                    );
                }
                args.push(None);
            } else {
                args.push(Some(param.value()));
            }
        }
        (self.f)(self.name, &args)
            .map(ScopedJson::Derived)
            .map_err(|m| RenderErrorReason::Other(m).into())
    }
}

fn arity(name: &str, args: &[Option<&Value>], n: usize, usage: &str) -> Result<(), String> {
    if args.len() == n {
        Ok(())
    } else {
        Err(format!(
            "{name} takes {n} argument{} ({usage}), not {}",
            if n == 1 { "" } else { "s" },
            args.len()
        ))
    }
}

/// A present value (missing values are rejected before the call).
fn arg<'a>(args: &[Option<&'a Value>], i: usize) -> &'a Value {
    args.get(i).copied().flatten().unwrap_or(&Value::Null)
}

/// A value as text: strings as they are, scalars as YAML prints them, `null`
/// empty, lists and maps as compact JSON.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// sprig's `empty`.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
    }
}

fn to_yaml(name: &str, args: &[Option<&Value>]) -> Result<Value, String> {
    arity(name, args, 1, "toYaml value")?;
    let yaml = crate::yaml::to_yaml(arg(args, 0));
    let yaml = yaml.strip_suffix('\n').unwrap_or(&yaml);
    Ok(Value::String(yaml.to_string()))
}

fn indent_by(name: &str, args: &[Option<&Value>]) -> Result<String, String> {
    arity(name, args, 2, &format!("{name} 4 text"))?;
    let spaces = match arg(args, 0) {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
    .filter(|n| *n <= MAX_INDENT)
    .ok_or_else(|| {
        format!(
            "{name}: the first argument is the number of spaces (0 to {MAX_INDENT}), not {}",
            crate::redact::kind_of(arg(args, 0))
        )
    })?;
    let pad = " ".repeat(usize::try_from(spaces).unwrap_or(0));
    let body = text(arg(args, 1));
    Ok(format!("{pad}{}", body.replace('\n', &format!("\n{pad}"))))
}

fn indent(name: &str, args: &[Option<&Value>]) -> Result<Value, String> {
    indent_by(name, args).map(Value::String)
}

fn nindent(name: &str, args: &[Option<&Value>]) -> Result<Value, String> {
    indent_by(name, args).map(|s| Value::String(format!("\n{s}")))
}

fn default(_: &str, args: &[Option<&Value>]) -> Result<Value, String> {
    let fallback = match args.first() {
        Some(Some(v)) => (*v).clone(),
        Some(None) => {
            return Err(
                "default: the fallback (first argument) is not set; the form is default \"fallback\" value"
                    .into(),
            )
        }
        None => return Err("default takes 2 arguments (default \"fallback\" value)".into()),
    };
    match args.get(1) {
        Some(Some(v)) if !is_empty(v) => Ok((*v).clone()),
        _ => Ok(fallback),
    }
}

fn required(_: &str, args: &[Option<&Value>]) -> Result<Value, String> {
    let message = match args.first() {
        Some(Some(Value::String(m))) if args.len() == 2 => m.clone(),
        _ => return Err("required takes a message and a value (required \"msg\" value)".into()),
    };
    match args.get(1) {
        Some(Some(v)) if !v.is_null() && v.as_str() != Some("") => Ok((*v).clone()),
        _ => Err(message),
    }
}

fn quote(_: &str, args: &[Option<&Value>]) -> Result<Value, String> {
    let quoted: Vec<String> = args
        .iter()
        .flatten()
        .filter(|v| !v.is_null())
        .map(|v| go_quote(&text(v)))
        .collect();
    Ok(Value::String(quoted.join(" ")))
}

fn b64enc(name: &str, args: &[Option<&Value>]) -> Result<Value, String> {
    arity(name, args, 1, "b64enc text")?;
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(text(arg(args, 0))),
    ))
}

fn sha256sum(name: &str, args: &[Option<&Value>]) -> Result<Value, String> {
    arity(name, args, 1, "sha256sum text")?;
    let digest = Sha256::digest(text(arg(args, 0)).as_bytes());
    Ok(Value::String(
        digest.iter().map(|b| format!("{b:02x}")).collect(),
    ))
}

fn lower(name: &str, args: &[Option<&Value>]) -> Result<Value, String> {
    arity(name, args, 1, "lower text")?;
    Ok(Value::String(text(arg(args, 0)).to_lowercase()))
}

fn upper(name: &str, args: &[Option<&Value>]) -> Result<Value, String> {
    arity(name, args, 1, "upper text")?;
    Ok(Value::String(text(arg(args, 0)).to_uppercase()))
}

thread_local! {
    static INCLUDE_DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Counts one level of `include` nesting for as long as it lives.
struct DepthGuard;

impl DepthGuard {
    fn enter() -> Option<DepthGuard> {
        INCLUDE_DEPTH.with(|d| {
            if d.get() >= MAX_INCLUDE_DEPTH {
                None
            } else {
                d.set(d.get() + 1);
                Some(DepthGuard)
            }
        })
    }
}

impl Drop for DepthGuard {
    fn drop(&mut self) {
        INCLUDE_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

struct IncludeHelper {
    partials: Arc<Vec<String>>,
}

impl HelperDef for IncludeHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let usage = "include \"partial-name\" context";
        let name = match h.param(0).map(|p| p.value()) {
            Some(Value::String(name)) if h.params().len() <= 2 => name.clone(),
            _ => {
                return Err(RenderErrorReason::Other(format!(
                    "include takes a partial name and a context ({usage})"
                ))
                .into())
            }
        };
        if !self.partials.contains(&name) {
            return Err(RenderErrorReason::Other(unknown_partial(&name, &self.partials)).into());
        }
        let context = match h.param(1) {
            Some(p) if p.is_value_missing() => {
                return Err(RenderErrorReason::MissingVariable(p.relative_path().cloned()).into())
            }
            Some(p) => Context::from(p.value().clone()),
            None => ctx.clone(),
        };
        let Some(_guard) = DepthGuard::enter() else {
            return Err(RenderErrorReason::Other(format!(
                "include {name:?}: partials nested more than {MAX_INCLUDE_DEPTH} deep \
                 (does a partial include itself?)"
            ))
            .into());
        };
        let rendered = r.render_with_context(&name, &context).map_err(|e| {
            let inner = render_error(&e, &name, &self.partials);
            RenderError::from(RenderErrorReason::Other(format!(
                "in include {name:?}: {inner}"
            )))
        })?;
        Ok(ScopedJson::Derived(Value::String(
            rendered.trim_end_matches('\n').to_string(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> Value {
        json!({
            "values": {
                "image": {"repository": "registry.example.com/web", "tag": "1.4.2"},
                "replicas": 3,
                "enabled": false,
                "empty": "",
                "zero": 0,
                "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
                "hosts": ["a.example.com", "b.example.com"],
                "name": "Web-API",
                "text": "a\n\nb"
            },
            "cluster": {
                "name": "prod-eu-1", "env": "prod", "region": "eu", "tenant": null,
                "labels": {"tier": "gold"},
                "values": {"ingressDomain": "eu.example.com"}
            },
            "app": {"name": "web", "namespace": "web"}
        })
    }

    fn render(source: &str) -> String {
        match render_str(source, "t.yaml", &ctx()) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    fn render_err(source: &str) -> TemplateError {
        render_str(source, "apps/web/base/templates/t.yaml", &ctx()).unwrap_err()
    }

    #[test]
    fn plain_values_no_html_escaping() {
        assert_eq!(
            render("{{cluster.name}} {{values.replicas}} <&\"'> {{values.image.repository}}"),
            "prod-eu-1 3 <&\"'> registry.example.com/web"
        );
        assert_eq!(
            render("{{app.namespace}}-{{cluster.values.ingressDomain}}"),
            "web-eu.example.com"
        );
    }

    #[test]
    fn strict_missing_value_names_file_line_and_path() {
        let e = render_err("a: 1\nb: {{values.image.tga}}\n");
        assert_eq!(e.file, "apps/web/base/templates/t.yaml");
        assert_eq!((e.line, e.column), (2, 4));
        assert_eq!(
            e.to_string(),
            "apps/web/base/templates/t.yaml:2:4: \"values.image.tga\" is not set (templates are \
             strict: give a fallback with (default \"...\" values.image.tga), or test it with \
             {{#if values.image.tga}})"
        );
        // Also as a helper argument.
        let e = render_err("x\n\n  {{upper values.nope}}");
        assert_eq!((e.line, e.column), (3, 3));
        assert!(
            e.message.starts_with("\"values.nope\" is not set"),
            "{}",
            e.message
        );
        // `if` treats a missing value as false.
        assert_eq!(render("{{#if values.nope}}yes{{else}}no{{/if}}"), "no");
    }

    #[test]
    fn syntax_error_names_file_and_line() {
        let e = render_err("a: 1\nb: {{#if x}}\n");
        assert_eq!(e.file, "apps/web/base/templates/t.yaml");
        assert_eq!(
            e.to_string(),
            "apps/web/base/templates/t.yaml:3:1: template syntax: cannot parse here (an \
             unclosed `{{`, a `{{#block}}` without its `{{/block}}`, or a stray `}}`?)"
        );
        let e = render_err("x {{#each values}}{{/with}}");
        assert_eq!(
            e.to_string(),
            "apps/web/base/templates/t.yaml:1:19: template syntax: helper \"each\" was opened, \
             but \"with\" is closing"
        );
    }

    #[test]
    fn unknown_helper() {
        let e = render_err("{{trunc 63 values.name}}");
        assert!(e.message.starts_with("unknown helper \"trunc\""), "{e}");
    }

    #[test]
    fn to_yaml_helper() {
        assert_eq!(
            render("{{toYaml values.resources}}"),
            "limits:\n  cpu: 500m\n  memory: 256Mi"
        );
        assert_eq!(
            render("{{toYaml values.hosts}}"),
            "- a.example.com\n- b.example.com"
        );
        assert_eq!(render("{{toYaml values.replicas}}"), "3");
    }

    #[test]
    fn indent_helpers() {
        assert_eq!(
            render("x:{{nindent 2 (toYaml values.resources)}}"),
            "x:\n  limits:\n    cpu: 500m\n    memory: 256Mi"
        );
        assert_eq!(
            render("{{indent 3 (toYaml values.hosts)}}"),
            "   - a.example.com\n   - b.example.com"
        );
        // As sprig: empty lines are padded too.
        assert_eq!(render("{{indent 2 values.text}}"), "  a\n  \n  b");
        assert_eq!(render("[{{nindent 0 \"a\"}}]"), "[\na]");
        let e = render_err("{{indent \"hunter2\" \"a\"}}");
        assert!(
            e.message
                .starts_with("indent: the first argument is the number of spaces"),
            "{e}"
        );
        // The argument may be a value meant for a Secret: named by its type only.
        assert!(!e.message.contains("hunter2"), "{e}");
        let e = render_err("{{indent 2}}");
        assert_eq!(e.message, "indent takes 2 arguments (indent 4 text), not 1");
    }

    #[test]
    fn default_helper() {
        assert_eq!(render("{{default \"x\" values.nope}}"), "x");
        assert_eq!(render("{{default \"x\" values.nope.deeper}}"), "x");
        assert_eq!(render("{{default \"x\" values.image.tag}}"), "1.4.2");
        // sprig's notion of empty: "", 0, false, null, [], {}.
        assert_eq!(render("{{default \"x\" values.empty}}"), "x");
        assert_eq!(render("{{default 5 values.zero}}"), "5");
        assert_eq!(render("{{default true values.enabled}}"), "true");
        assert_eq!(render("{{default \"x\" cluster.tenant}}"), "x");
        assert_eq!(render("{{default 1 values.replicas}}"), "3");
        // Composes: the result keeps its type.
        assert_eq!(
            render("{{toYaml (default values.hosts values.nope)}}"),
            "- a.example.com\n- b.example.com"
        );
        let e = render_err("{{default values.nope \"y\"}}");
        assert!(e.message.starts_with("default: the fallback"), "{e}");
    }

    #[test]
    fn required_helper() {
        assert_eq!(
            render("{{required \"set image.tag\" values.image.tag}}"),
            "1.4.2"
        );
        assert_eq!(render("{{required \"m\" values.zero}}"), "0");
        let e =
            render_err("a\n{{required \"values.image.digest is required\" values.image.digest}}");
        assert_eq!(
            e.to_string(),
            "apps/web/base/templates/t.yaml:2:1: values.image.digest is required"
        );
        let e = render_err("{{required \"need it\" values.empty}}");
        assert_eq!(e.message, "need it");
    }

    #[test]
    fn quote_and_string_helpers() {
        assert_eq!(render("{{quote values.image.tag}}"), "\"1.4.2\"");
        assert_eq!(render("{{quote values.replicas}}"), "\"3\"");
        assert_eq!(render("{{quote \"a\\\"b\"}}"), "\"a\\\"b\"");
        assert_eq!(
            render("{{quote \"x\" cluster.tenant \"y\"}}"),
            "\"x\" \"y\""
        );
        assert_eq!(
            go_quote("tab\there\n\u{1b}é\u{a0}"),
            "\"tab\\there\\n\\x1bé\\u00a0\""
        );
        assert_eq!(
            render("{{lower values.name}} {{upper values.name}}"),
            "web-api WEB-API"
        );
        assert_eq!(render("{{b64enc \"admin:secret\"}}"), "YWRtaW46c2VjcmV0");
        assert_eq!(
            render("{{sha256sum \"hello\"}}"),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(render("{{b64enc values.replicas}}"), "Mw==");
        let e = render_err("{{quote values.nope}}");
        assert!(e.message.starts_with("\"values.nope\" is not set"), "{e}");
    }

    #[test]
    fn boolean_builtins() {
        assert_eq!(
            render("{{#if (eq cluster.env \"prod\")}}P{{else}}N{{/if}}"),
            "P"
        );
        assert_eq!(
            render("{{#if (ne cluster.env \"prod\")}}P{{else}}N{{/if}}"),
            "N"
        );
        assert_eq!(
            render("{{#if (and (eq cluster.region \"eu\") values.replicas)}}Y{{/if}}"),
            "Y"
        );
        assert_eq!(
            render("{{#if (or values.enabled values.empty)}}Y{{else}}N{{/if}}"),
            "N"
        );
        assert_eq!(render("{{#if (not values.enabled)}}Y{{/if}}"), "Y");
        assert_eq!(
            render("{{eq values.replicas 3}} {{not values.zero}}"),
            "true true"
        );
        let e = render_err("{{#if (eq values.nope \"x\")}}Y{{/if}}");
        assert_eq!(e.message, "eq: argument 1 is missing or not set");
    }

    #[test]
    fn each_over_maps_is_sorted() {
        assert_eq!(
            render("{{#each values.resources.limits}}{{@key}}={{this}};{{/each}}"),
            "cpu=500m;memory=256Mi;"
        );
        assert_eq!(
            render("{{#each values.hosts}}- {{this}} in {{@root.cluster.name}}\n{{/each}}"),
            "- a.example.com in prod-eu-1\n- b.example.com in prod-eu-1\n"
        );
    }

    fn chart() -> TemplateSet {
        TemplateSet::new([
            (
                "apps/web/base/templates/_helpers.tpl",
                "{{#*inline \"labels\"}}\napp: {{app.name}}\nenv: {{cluster.env}}\n{{/inline}}\n\
                 {{#*inline \"selector\"}}\napp: {{app.name}}\n{{/inline}}\n\
                 {{#*inline \"broken\"}}\nx: {{values.nope}}\n{{/inline}}\n",
            ),
            (
                "apps/web/base/templates/_image.yaml",
                "{{values.image.repository}}:{{values.image.tag}}",
            ),
            ("apps/web/base/templates/deployment.yaml", DEPLOYMENT),
            (
                "apps/web/base/templates/uses-broken.yaml",
                "a: 1\nb: {{include \"broken\" this}}\n",
            ),
            (
                "apps/web/base/templates/missing-partial.yaml",
                "{{> nothere}}\n",
            ),
        ])
        .unwrap()
    }

    const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{app.name}}
  namespace: {{app.namespace}}
  labels:
    {{> labels}}
    tier: {{cluster.labels.tier}}
spec:
  replicas: {{default 1 values.replicas}}
  selector:
    matchLabels:{{nindent 6 (include "selector" this)}}
  template:
    metadata:
      labels:{{nindent 8 (include "labels" this)}}
      annotations:
        checksum/config: {{sha256sum (toYaml values.resources)}}
    spec:
      containers:
        - name: {{app.name}}
          image: {{quote (include "image" this)}}
          {{#if values.enabled}}
          enabled: true
          {{/if}}
          env:
            - name: INGRESS_DOMAIN
              value: {{quote cluster.values.ingressDomain}}
            - name: LOG_LEVEL
              value: {{default "info" values.logLevel}}
          resources:{{nindent 12 (toYaml values.resources)}}
"#;

    #[test]
    fn realistic_deployment() {
        let set = chart();
        assert_eq!(
            set.outputs(),
            [
                "apps/web/base/templates/deployment.yaml",
                "apps/web/base/templates/missing-partial.yaml",
                "apps/web/base/templates/uses-broken.yaml"
            ]
        );
        let out = set
            .render("apps/web/base/templates/deployment.yaml", &ctx())
            .unwrap();
        assert_eq!(
            out,
            r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: web
  labels:
    app: web
    env: prod
    tier: gold
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
        env: prod
      annotations:
        checksum/config: 614ba9ee11af54f32e3ef9da431c4f28db1fc63b86ffa842342cf438e4258bb5
    spec:
      containers:
        - name: web
          image: "registry.example.com/web:1.4.2"
          env:
            - name: INGRESS_DOMAIN
              value: "eu.example.com"
            - name: LOG_LEVEL
              value: info
          resources:
            limits:
              cpu: 500m
              memory: 256Mi
"#
        );
    }

    #[test]
    fn errors_inside_partials_name_both_files() {
        let set = chart();
        let e = set
            .render("apps/web/base/templates/uses-broken.yaml", &ctx())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "apps/web/base/templates/uses-broken.yaml:2:4: in include \"broken\": \
             apps/web/base/templates/_helpers.tpl:9:4: \"values.nope\" is not set (templates \
             are strict: give a fallback with (default \"...\" values.nope), or test it with \
             {{#if values.nope}})"
        );
        let e = set
            .render("apps/web/base/templates/missing-partial.yaml", &ctx())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "apps/web/base/templates/missing-partial.yaml:1:1: no partial named \"nothere\" \
             (partials: broken, helpers, image, labels, selector)"
        );
        let e = set
            .render("apps/web/base/templates/_image.yaml", &ctx())
            .unwrap_err();
        assert!(e.message.starts_with("no such template"), "{e}");
    }

    #[test]
    fn include_errors() {
        let set = TemplateSet::new([
            ("_a.tpl", "{{include \"b\" this}}"),
            ("_b.tpl", "{{include \"a\" this}}"),
            ("loop.yaml", "{{include \"a\" this}}"),
            ("unknown.yaml", "{{include \"zzz\" this}}"),
        ])
        .unwrap();
        let e = set.render("loop.yaml", &ctx()).unwrap_err();
        assert!(e.message.contains("nested more than 32 deep"), "{e}");
        let e = set.render("unknown.yaml", &ctx()).unwrap_err();
        assert_eq!(e.message, "no partial named \"zzz\" (partials: a, b)");
    }

    #[test]
    fn partial_cycles_are_refused() {
        let e = TemplateSet::new([
            ("_a.tpl", "{{> b}}"),
            ("_b.tpl", "{{#if x}}{{> a}}{{/if}}"),
            ("x.yaml", "{{> a}}"),
        ])
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "_a.tpl: partials render each other without end: a > b > a"
        );
        let e = TemplateSet::new([("x.yaml", "{{#*inline \"r\"}}{{> r}}{{/inline}}{{> r}}")])
            .unwrap_err();
        assert_eq!(e.message, "partials render each other without end: r > r");
        assert!(TemplateSet::new([("x.yaml", "{{> (lookup this \"p\")}}")]).is_err());
        // Used twice without a cycle is fine.
        assert!(TemplateSet::new([
            ("_a.tpl", "{{> b}}{{> b}}"),
            ("_b.tpl", "b"),
            ("x.yaml", "{{> a}}{{> b}}"),
        ])
        .is_ok());
    }

    #[test]
    fn duplicate_partials_are_refused() {
        let e = TemplateSet::new([
            ("t/_labels.tpl", "x"),
            ("t/_helpers.tpl", "{{#*inline \"labels\"}}y{{/inline}}"),
        ])
        .unwrap_err();
        assert_eq!(e.file, "t/_labels.tpl");
        assert!(
            e.message.starts_with("partial \"labels\" is defined twice"),
            "{e}"
        );
    }

    #[test]
    fn template_set_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<TemplateSet>();
    }

    #[test]
    fn partial_names() {
        assert!(is_partial("a/b/_helpers.tpl"));
        assert!(!is_partial("a/_b/c.yaml"));
        assert_eq!(partial_name("a/b/_helpers.tpl"), "helpers");
        assert_eq!(partial_name("_labels.common.yaml"), "labels");
        assert_eq!(partial_name("_x"), "x");
    }

    #[test]
    fn error_converts_to_crate_error() {
        let e: crate::error::Error = render_err("\n {{values.nope}}").into();
        assert_eq!(e.file, "apps/web/base/templates/t.yaml");
        assert_eq!(e.line, 2);
        assert!(
            e.message
                .starts_with("column 2: \"values.nope\" is not set"),
            "{e}"
        );
    }
}
