//! Structural schemas, compiled once and walked without allocating: the Kubernetes
//! schemas shipped with strata (one gzipped bundle per version under
//! `schemas/k8s/<version>/validation.json.gz`, from `scripts/gen-validation-schemas.py`)
//! and the `openAPIV3Schema` of CustomResourceDefinitions.
//!
//! Kubernetes schemas use a small subset of JSON Schema (`type`, `properties`,
//! `additionalProperties`, `required`, `enum`, `items`, `oneOf`, `$ref`), and CRDs add
//! a few more (`x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields`,
//! `nullable`, `pattern`, bounds, `allOf`/`anyOf`/`oneOf`). A focused validator for that
//! subset compiles every type once into an arena and checks a resource in one walk,
//! with no per-resource compilation and no allocation unless something is wrong: the
//! general `jsonschema` crate (kept for chart values) would compile per kind and
//! collect errors through its own machinery.

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

/// Kubernetes versions strata ships schemas for, oldest first.
pub const VERSIONS: &[&str] = &[
    "1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37",
];
/// The version used when neither strata.yaml nor the command line names one.
pub const DEFAULT_VERSION: &str = "1.33";

static BUNDLES: [&[u8]; 8] = [
    include_bytes!("../../schemas/k8s/1.30/validation.json.gz"),
    include_bytes!("../../schemas/k8s/1.31/validation.json.gz"),
    include_bytes!("../../schemas/k8s/1.32/validation.json.gz"),
    include_bytes!("../../schemas/k8s/1.33/validation.json.gz"),
    include_bytes!("../../schemas/k8s/1.34/validation.json.gz"),
    include_bytes!("../../schemas/k8s/1.35/validation.json.gz"),
    include_bytes!("../../schemas/k8s/1.36/validation.json.gz"),
    include_bytes!("../../schemas/k8s/1.37/validation.json.gz"),
];

static LOADED: [OnceLock<Result<KubeSchemas, String>>; 8] = [
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
];

/// A version as `1.33`: `v1.33`, `1.33.2` are accepted too.
pub fn normalize_version(v: &str) -> String {
    let v = v.trim().trim_start_matches('v');
    let mut parts = v.split('.');
    match (parts.next(), parts.next()) {
        (Some(a), Some(b)) => format!("{a}.{b}"),
        _ => v.to_string(),
    }
}

/// The schemas of one Kubernetes version, decoded and compiled on first use.
pub fn kube(version: &str) -> Result<&'static KubeSchemas, String> {
    let v = normalize_version(version);
    let i = VERSIONS.iter().position(|x| *x == v).ok_or_else(|| {
        format!(
            "no schemas for Kubernetes {version}; strata ships {} (set kubernetesVersion in strata.yaml or pass --kubernetes-version)",
            VERSIONS.join(", ")
        )
    })?;
    LOADED[i]
        .get_or_init(|| KubeSchemas::decode(BUNDLES[i]))
        .as_ref()
        .map_err(|e| format!("the embedded schemas for Kubernetes {v} cannot be read: {e}"))
}

/// Index of a node in a [`Compiled`] arena.
pub type NodeId = usize;

const NULL: u8 = 1;
const BOOL: u8 = 2;
const INT: u8 = 4;
const NUM: u8 = 8;
const STR: u8 = 16;
const ARR: u8 = 32;
const OBJ: u8 = 64;

#[derive(Clone, Debug, Default)]
enum Additional {
    /// Any other field is allowed (no `additionalProperties`, or `true`).
    #[default]
    Any,
    /// `additionalProperties: false`: other fields are unknown-field errors.
    Deny,
    /// Other fields (map values) follow this schema.
    Schema(NodeId),
}

#[derive(Clone, Debug, Default)]
struct Bounds {
    pattern: Option<(String, regex::Regex)>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: bool,
    exclusive_maximum: bool,
    min_length: Option<usize>,
    max_length: Option<usize>,
    min_items: Option<usize>,
    max_items: Option<usize>,
}

#[derive(Clone, Debug, Default)]
struct Node {
    /// Allowed JSON types (bits above); 0 allows any.
    types: u8,
    props: HashMap<String, NodeId>,
    additional: Additional,
    required: Vec<String>,
    items: Option<NodeId>,
    enumeration: Vec<Value>,
    /// At least one must hold (`oneOf`/`anyOf`: the Kubernetes alternatives are disjoint).
    any_of: Vec<NodeId>,
    all_of: Vec<NodeId>,
    reference: Option<NodeId>,
    bounds: Option<Box<Bounds>>,
}

/// One path segment of a problem: a field name or a list index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// What is wrong at one place.
#[derive(Clone, Debug, PartialEq)]
pub enum ProblemKind {
    /// A field the schema does not have; the closest known field, if one is close.
    UnknownField { suggestion: Option<String> },
    /// A value of the wrong JSON type.
    Type { expected: String, got: &'static str },
    /// A required field is missing (the path is the object's).
    Required { field: String },
    /// A value outside the allowed set.
    Enum { allowed: Vec<Value> },
    /// A pattern, bound or length the value breaks.
    Constraint { message: String },
}

/// A schema problem at a path inside the document.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub path: Vec<Seg>,
    pub kind: ProblemKind,
}

/// An arena of compiled schema nodes.
#[derive(Debug, Default)]
pub struct Compiled {
    nodes: Vec<Node>,
}

/// How to read a schema: the Kubernetes bundles or a CRD's structural schema.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Kube,
    Crd,
}

impl Compiled {
    fn alloc(&mut self) -> NodeId {
        self.nodes.push(Node::default());
        self.nodes.len() - 1
    }

    /// Compiles `schema` into a new node. `refs` resolves `$ref` names.
    fn compile(
        &mut self,
        schema: &Value,
        refs: &HashMap<String, NodeId>,
        dialect: Dialect,
    ) -> NodeId {
        let id = self.alloc();
        self.compile_into(id, schema, refs, dialect);
        id
    }

    fn compile_into(
        &mut self,
        id: NodeId,
        schema: &Value,
        refs: &HashMap<String, NodeId>,
        d: Dialect,
    ) {
        let Some(s) = schema.as_object() else {
            return; // `true` or anything else: no constraint
        };
        let mut n = Node::default();
        let type_bit = |t: &str| match t {
            "null" => NULL,
            "boolean" => BOOL,
            "integer" => INT,
            "number" => NUM | INT,
            "string" => STR,
            "array" => ARR,
            "object" => OBJ,
            _ => 0,
        };
        match s.get("type") {
            Some(Value::String(t)) => n.types = type_bit(t),
            Some(Value::Array(ts)) => {
                n.types = ts
                    .iter()
                    .filter_map(Value::as_str)
                    .map(type_bit)
                    .fold(0, |a, b| a | b)
            }
            _ => {}
        }
        let preserve = s
            .get("x-kubernetes-preserve-unknown-fields")
            .and_then(Value::as_bool)
            == Some(true);
        if s.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true) {
            n.types = INT | STR;
        }
        if d == Dialect::Crd && n.types != 0 {
            // The API server drops nulls on apply; CRD fields are nullable in practice.
            n.types |= NULL;
        }
        if let Some(Value::String(r)) = s.get("$ref") {
            let name = r.rsplit('/').next().unwrap_or(r);
            n.reference = refs.get(name).copied();
        }
        if let Some(Value::Object(props)) = s.get("properties") {
            for (k, v) in props {
                let child = self.compile(v, refs, d);
                n.props.insert(k.clone(), child);
            }
        }
        n.additional = match s.get("additionalProperties") {
            Some(Value::Bool(false)) => Additional::Deny,
            Some(Value::Bool(true)) => Additional::Any,
            Some(v @ Value::Object(_)) => Additional::Schema(self.compile(v, refs, d)),
            // Structural CRD schemas: fields not listed are pruned by the API server,
            // so in a manifest they are mistakes, unless unknown fields are preserved.
            _ if d == Dialect::Crd && !n.props.is_empty() && !preserve => Additional::Deny,
            _ => Additional::Any,
        };
        if let Some(Value::Array(req)) = s.get("required") {
            n.required = req
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect();
        }
        if let Some(items) = s.get("items") {
            if items.is_object() {
                n.items = Some(self.compile(items, refs, d));
            }
        }
        if let Some(Value::Array(e)) = s.get("enum") {
            n.enumeration = e.clone();
            if d == Dialect::Crd {
                n.enumeration.push(Value::Null);
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(alts)) = s.get(key) {
                let alts: Vec<NodeId> = alts.iter().map(|a| self.compile(a, refs, d)).collect();
                if !alts.is_empty() {
                    n.any_of = alts;
                }
            }
        }
        if let Some(Value::Array(all)) = s.get("allOf") {
            n.all_of = all.iter().map(|a| self.compile(a, refs, d)).collect();
        }
        if d == Dialect::Crd {
            let num = |k: &str| s.get(k).and_then(Value::as_f64);
            let len = |k: &str| s.get(k).and_then(Value::as_u64).map(|u| u as usize);
            let pattern = s
                .get("pattern")
                .and_then(Value::as_str)
                // A pattern the regex crate cannot read (look-around) is skipped, not fatal.
                .and_then(|p| regex::Regex::new(p).ok().map(|r| (p.to_string(), r)));
            let b = Bounds {
                pattern,
                minimum: num("minimum"),
                maximum: num("maximum"),
                exclusive_minimum: s.get("exclusiveMinimum").and_then(Value::as_bool) == Some(true),
                exclusive_maximum: s.get("exclusiveMaximum").and_then(Value::as_bool) == Some(true),
                min_length: len("minLength"),
                max_length: len("maxLength"),
                min_items: len("minItems"),
                max_items: len("maxItems"),
            };
            if b.pattern.is_some()
                || b.minimum.is_some()
                || b.maximum.is_some()
                || b.min_length.is_some()
                || b.max_length.is_some()
                || b.min_items.is_some()
                || b.max_items.is_some()
            {
                n.bounds = Some(Box::new(b));
            }
        }
        self.nodes[id] = n;
    }

    /// Checks `value` against node `id`, appending problems to `out`.
    pub fn check<'v>(
        &self,
        id: NodeId,
        value: &'v Value,
        path: &mut Vec<&'v str>,
        idx: &mut Vec<Option<usize>>,
        out: &mut Vec<Problem>,
    ) {
        let n = &self.nodes[id];
        if let Some(r) = n.reference {
            self.check(r, value, path, idx, out);
        }
        let (bit, got) = type_of(value);
        if n.types != 0 && n.types & bit == 0 {
            out.push(problem(
                path,
                idx,
                ProblemKind::Type {
                    expected: type_names(n.types),
                    got,
                },
            ));
            return;
        }
        if value.is_null() && (n.types & NULL != 0) {
            return;
        }
        if !n.enumeration.is_empty() && !n.enumeration.contains(value) {
            out.push(problem(
                path,
                idx,
                ProblemKind::Enum {
                    allowed: n
                        .enumeration
                        .iter()
                        .filter(|v| !v.is_null())
                        .cloned()
                        .collect(),
                },
            ));
        }
        if !n.any_of.is_empty() {
            let mut first = Vec::new();
            let ok = n.any_of.iter().enumerate().any(|(i, alt)| {
                let mut tmp = Vec::new();
                self.check(*alt, value, path, idx, &mut tmp);
                if i == 0 {
                    first = tmp.clone();
                }
                tmp.is_empty()
            });
            if !ok {
                let types = n
                    .any_of
                    .iter()
                    .map(|a| self.nodes[*a].types)
                    .fold(0, |a, b| a | b);
                let only_types = first
                    .iter()
                    .all(|p| matches!(p.kind, ProblemKind::Type { .. }));
                if only_types && types != 0 {
                    out.push(problem(
                        path,
                        idx,
                        ProblemKind::Type {
                            expected: type_names(types),
                            got,
                        },
                    ));
                } else {
                    out.extend(first);
                }
            }
        }
        for a in &n.all_of {
            self.check(*a, value, path, idx, out);
        }
        if let Some(b) = &n.bounds {
            check_bounds(b, value, path, idx, out);
        }
        match value {
            Value::Object(map) => self.check_object(n, map, path, idx, out),
            Value::Array(items) => {
                if let Some(item) = n.items {
                    for (i, v) in items.iter().enumerate() {
                        path.push("");
                        idx.push(Some(i));
                        self.check(item, v, path, idx, out);
                        path.pop();
                        idx.pop();
                    }
                }
            }
            _ => {}
        }
    }

    /// Checks an object against node `id` (a kind's root), appending problems to `out`.
    pub fn check_root(&self, id: NodeId, map: &Map<String, Value>, out: &mut Vec<Problem>) {
        let n = &self.nodes[id];
        if let Some(r) = n.reference {
            self.check_root(r, map, out);
        }
        for a in &n.all_of {
            self.check_root(*a, map, out);
        }
        self.check_object(n, map, &mut Vec::new(), &mut Vec::new(), out);
    }

    fn check_object<'v>(
        &self,
        n: &Node,
        map: &'v Map<String, Value>,
        path: &mut Vec<&'v str>,
        idx: &mut Vec<Option<usize>>,
        out: &mut Vec<Problem>,
    ) {
        for (k, v) in map {
            let target = match n.props.get(k) {
                Some(c) => Some(*c),
                None => match n.additional {
                    Additional::Any => None,
                    Additional::Schema(s) => Some(s),
                    Additional::Deny => {
                        path.push(k);
                        idx.push(None);
                        out.push(problem(
                            path,
                            idx,
                            ProblemKind::UnknownField {
                                suggestion: closest(k, n.props.keys()),
                            },
                        ));
                        path.pop();
                        idx.pop();
                        None
                    }
                },
            };
            if let Some(t) = target {
                path.push(k);
                idx.push(None);
                self.check(t, v, path, idx, out);
                path.pop();
                idx.pop();
            }
        }
        for r in &n.required {
            if !map.contains_key(r) {
                out.push(problem(
                    path,
                    idx,
                    ProblemKind::Required { field: r.clone() },
                ));
            }
        }
    }
}

fn check_bounds(
    b: &Bounds,
    v: &Value,
    path: &[&str],
    idx: &[Option<usize>],
    out: &mut Vec<Problem>,
) {
    let mut bad =
        |message: String| out.push(problem(path, idx, ProblemKind::Constraint { message }));
    match v {
        Value::String(s) => {
            if let Some((p, re)) = &b.pattern {
                if !re.is_match(s) {
                    bad(format!("does not match the pattern `{p}`"));
                }
            }
            let len = s.chars().count();
            if let Some(m) = b.min_length.filter(|m| len < *m) {
                bad(format!("is shorter than {m} characters"));
            }
            if let Some(m) = b.max_length.filter(|m| len > *m) {
                bad(format!("is longer than {m} characters"));
            }
        }
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(0.0);
            if let Some(m) = b.minimum {
                if x < m || (b.exclusive_minimum && x == m) {
                    bad(format!("is less than the minimum {m}"));
                }
            }
            if let Some(m) = b.maximum {
                if x > m || (b.exclusive_maximum && x == m) {
                    bad(format!("is more than the maximum {m}"));
                }
            }
        }
        Value::Array(items) => {
            if let Some(m) = b.min_items.filter(|m| items.len() < *m) {
                bad(format!("has fewer than {m} items"));
            }
            if let Some(m) = b.max_items.filter(|m| items.len() > *m) {
                bad(format!("has more than {m} items"));
            }
        }
        _ => {}
    }
}

fn problem(path: &[&str], idx: &[Option<usize>], kind: ProblemKind) -> Problem {
    Problem {
        path: path
            .iter()
            .zip(idx)
            .map(|(k, i)| match i {
                Some(i) => Seg::Index(*i),
                None => Seg::Key(k.to_string()),
            })
            .collect(),
        kind,
    }
}

fn type_of(v: &Value) -> (u8, &'static str) {
    match v {
        Value::Null => (NULL, "null"),
        Value::Bool(_) => (BOOL, "a boolean"),
        Value::Number(n) => {
            if n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0) {
                (INT | NUM, "a number")
            } else {
                (NUM, "a number")
            }
        }
        Value::String(_) => (STR, "a string"),
        Value::Array(_) => (ARR, "a list"),
        Value::Object(_) => (OBJ, "a mapping"),
    }
}

fn type_names(bits: u8) -> String {
    let mut names = Vec::new();
    for (b, n) in [
        (OBJ, "a mapping"),
        (ARR, "a list"),
        (STR, "a string"),
        (NUM, "a number"),
        (INT, "an integer"),
        (BOOL, "a boolean"),
    ] {
        if bits & b != 0 && !(b == INT && bits & NUM != 0) {
            names.push(n);
        }
    }
    match names.len() {
        0 => "null".into(),
        1 => names[0].into(),
        _ => format!(
            "{} or {}",
            names[..names.len() - 1].join(", "),
            names[names.len() - 1]
        ),
    }
}

/// The known field closest to a misspelt one: same letters ignoring case, or at most
/// two edits away (one for short names).
pub fn closest<'a>(field: &str, known: impl Iterator<Item = &'a String>) -> Option<String> {
    let lower = field.to_lowercase();
    let limit = if field.len() <= 4 { 1 } else { 2 };
    known
        .map(|k| {
            let d = if k.to_lowercase() == lower {
                0
            } else {
                distance(&lower, &k.to_lowercase())
            };
            (d, k)
        })
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k.clone())
}

fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The Kubernetes schemas of one version.
#[derive(Debug)]
pub struct KubeSchemas {
    pub version: String,
    /// Where the data came from (package and folder), for messages.
    pub source: String,
    pub compiled: Compiled,
    /// `group/version/Kind` (group empty for the core group) → root node.
    kinds: HashMap<String, NodeId>,
    /// Groups the version serves, and the API versions each kind is served as.
    groups: std::collections::BTreeSet<String>,
    by_kind: HashMap<String, Vec<String>>,
    /// `ObjectMeta`, for the `metadata` of custom resources.
    pub object_meta: Option<NodeId>,
}

fn gvk_key(group: &str, version: &str, kind: &str) -> String {
    format!("{group}/{version}/{kind}")
}

impl KubeSchemas {
    fn decode(gz: &[u8]) -> Result<KubeSchemas, String> {
        let mut text = String::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_string(&mut text)
            .map_err(|e| e.to_string())?;
        let bundle: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let defs = bundle["defs"].as_object().ok_or("no `defs`")?;
        let mut c = Compiled::default();
        let mut refs = HashMap::new();
        let names: Vec<&String> = defs.keys().collect();
        for name in &names {
            refs.insert((*name).clone(), c.alloc());
        }
        for name in &names {
            c.compile_into(refs[*name], &defs[*name], &refs, Dialect::Kube);
        }
        let mut kinds = HashMap::new();
        let mut groups = std::collections::BTreeSet::new();
        let mut by_kind: HashMap<String, Vec<String>> = HashMap::new();
        for k in bundle["kinds"].as_array().ok_or("no `kinds`")? {
            let f = |i: usize| k[i].as_str().unwrap_or("");
            let (g, v, kind, def) = (f(0), f(1), f(2), f(3));
            if let Some(id) = refs.get(def) {
                kinds.insert(gvk_key(g, v, kind), *id);
                groups.insert(g.to_string());
                by_kind
                    .entry(kind.to_string())
                    .or_default()
                    .push(if g.is_empty() {
                        v.to_string()
                    } else {
                        format!("{g}/{v}")
                    });
            }
        }
        Ok(KubeSchemas {
            version: bundle["version"].as_str().unwrap_or("").to_string(),
            source: bundle["source"].as_str().unwrap_or("").to_string(),
            object_meta: refs
                .get("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
                .copied(),
            compiled: c,
            kinds,
            groups,
            by_kind,
        })
    }

    /// The root node for a kind, if this version serves it.
    pub fn kind(&self, group: &str, version: &str, kind: &str) -> Option<NodeId> {
        self.kinds.get(&gvk_key(group, version, kind)).copied()
    }

    /// Whether the group is one of Kubernetes' own (so no CRD can serve it).
    pub fn is_builtin_group(&self, group: &str) -> bool {
        self.groups.contains(group)
    }

    /// The API versions this version serves a kind as (`apps/v1`).
    pub fn versions_of(&self, kind: &str) -> &[String] {
        self.by_kind.get(kind).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// The schema of one custom resource kind, from a CRD.
#[derive(Debug)]
pub struct CrdSchema {
    pub compiled: Compiled,
    pub root: NodeId,
    /// `Namespaced` or `Cluster`.
    pub cluster_scoped: bool,
    /// The file the CRD came from, for messages.
    pub file: String,
}

/// Compiles a CRD's `openAPIV3Schema` for one version. `metadata` is checked as the
/// API server checks it, against `ObjectMeta` from the Kubernetes schemas; `apiVersion`
/// and `kind` are always allowed.
pub fn compile_crd(schema: &Value, kube: &KubeSchemas) -> (Compiled, NodeId) {
    let mut c = Compiled::default();
    let root = c.compile(schema, &HashMap::new(), Dialect::Crd);
    let meta_node = kube.object_meta.map(|m| {
        // Copy ObjectMeta's subtree into this arena: a reference across arenas
        // is not possible, and the subtree is small.
        let mut map = HashMap::new();
        copy_node(&kube.compiled, m, &mut c, &mut map)
    });
    let string = c.alloc();
    c.nodes[string].types = STR;
    let n = &mut c.nodes[root];
    if n.types == 0 {
        n.types = OBJ;
    }
    n.props.insert("apiVersion".into(), string);
    n.props.insert("kind".into(), string);
    if let Some(m) = meta_node {
        n.props.insert("metadata".into(), m);
    } else {
        n.props.entry("metadata".into()).or_insert(string);
    }
    if !n.props.is_empty()
        && matches!(n.additional, Additional::Any)
        && schema
            .get("x-kubernetes-preserve-unknown-fields")
            .and_then(Value::as_bool)
            != Some(true)
    {
        n.additional = Additional::Deny;
    }
    (c, root)
}

fn copy_node(
    from: &Compiled,
    id: NodeId,
    to: &mut Compiled,
    map: &mut HashMap<NodeId, NodeId>,
) -> NodeId {
    if let Some(n) = map.get(&id) {
        return *n;
    }
    let new = to.alloc();
    map.insert(id, new);
    let src = from.nodes[id].clone();
    let mut n = src.clone();
    n.props = src
        .props
        .iter()
        .map(|(k, v)| (k.clone(), copy_node(from, *v, to, map)))
        .collect();
    n.additional = match src.additional {
        Additional::Schema(s) => Additional::Schema(copy_node(from, s, to, map)),
        a => a,
    };
    n.items = src.items.map(|i| copy_node(from, i, to, map));
    n.any_of = src
        .any_of
        .iter()
        .map(|a| copy_node(from, *a, to, map))
        .collect();
    n.all_of = src
        .all_of
        .iter()
        .map(|a| copy_node(from, *a, to, map))
        .collect();
    n.reference = src.reference.map(|r| copy_node(from, r, to, map));
    to.nodes[new] = n;
    new
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(doc: Value) -> Vec<Problem> {
        let k = kube("1.33").unwrap();
        let root = k.kind("apps", "v1", "Deployment").unwrap();
        let mut out = Vec::new();
        k.compiled
            .check(root, &doc, &mut Vec::new(), &mut Vec::new(), &mut out);
        out
    }

    #[test]
    fn every_version_loads() {
        for v in VERSIONS {
            let k = kube(v).unwrap();
            assert!(k.kind("apps", "v1", "Deployment").is_some(), "{v}");
            assert!(k.kind("", "v1", "ConfigMap").is_some(), "{v}");
        }
        assert!(kube("1.29").unwrap_err().contains("1.30, 1.31"));
        assert_eq!(normalize_version("v1.33.4"), "1.33");
    }

    #[test]
    fn finds_unknown_fields_types_required_and_enums() {
        let p = check(json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
            "spec": {"replica": 2, "selector": {}, "template": {"spec": {"containers": [
                {"name": "a", "image": "i", "imagePullPolicy": "Sometimes", "ports": [{"containerPort": "80"}]}
            ]}}}
        }));
        let kinds: Vec<String> = p
            .iter()
            .map(|p| format!("{:?} {:?}", p.path, p.kind))
            .collect();
        // (Kubernetes schemas have no enums but apiVersion and kind: no enum problem.)
        assert_eq!(p.len(), 2, "{kinds:#?}");
        assert_eq!(
            p[0].kind,
            ProblemKind::UnknownField {
                suggestion: Some("replicas".into())
            }
        );
        assert!(matches!(&p[1].kind, ProblemKind::Type { .. }), "{kinds:#?}");
        let p =
            check(json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"selector": {}}}));
        assert_eq!(
            p,
            vec![Problem {
                path: vec![Seg::Key("spec".into())],
                kind: ProblemKind::Required {
                    field: "template".into()
                }
            }]
        );
    }

    #[test]
    fn int_or_string_and_quantities() {
        let p = check(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"selector": {}, "template": {},
            "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}}}}),
        );
        assert!(p.is_empty(), "{p:?}");
        let p = check(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"selector": {}, "template": {},
            "strategy": {"rollingUpdate": {"maxSurge": true}}}}),
        );
        assert_eq!(
            p[0].kind,
            ProblemKind::Type {
                expected: "a string or an integer".into(),
                got: "a boolean"
            }
        );
    }
}
