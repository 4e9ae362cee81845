//! The values a Go template sees, and how Go's `fmt` prints them (`%v`).
//!
//! Helm's data is what `encoding/json` makes of YAML: maps of strings, lists, strings,
//! bools, `float64` for every number, and nil. Template functions add Go's `int`/`int64`
//! (from `len`, `add`, ...). Maps are kept sorted because Go prints and ranges over map
//! keys in sorted order.

use super::MAX_VALUE_DEPTH;
use serde_json::Value as Json;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::rc::Rc;

/// A Go value as text/template handles it.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// A nil interface, a missing map key: printed as `<no value>` by the template,
    /// `<nil>` inside a list or map.
    #[default]
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(Rc<str>),
    List(Rc<Vec<Value>>),
    /// Shared and mutable, as Go maps are: `set $d "k" v` changes `$d` in place.
    Map(Rc<RefCell<BTreeMap<String, Value>>>),
    /// An object with fields and methods (`.Files`, `.Capabilities`, `.Release`).
    Object(Rc<dyn Object>),
}

/// A Go struct-like value: named fields, and methods that take arguments.
#[allow(clippy::len_without_is_empty)] // `len` answers Go's `len`, which has no is_empty
pub trait Object: std::fmt::Debug {
    /// The Go type name, for messages (`*chart.Metadata`).
    fn type_name(&self) -> &str;
    /// A field or a method without arguments.
    fn field(&self, name: &str) -> Option<Value>;
    /// Calls a method; `None` when there is no such method.
    fn call(&self, _name: &str, _args: &[Value]) -> Option<Result<Value, String>> {
        None
    }
    /// `len` of it, for objects that are Go maps or slices underneath.
    fn len(&self) -> Option<usize> {
        None
    }
    /// How `%v` prints it.
    fn print(&self) -> String {
        format!("{{{}}}", self.type_name())
    }
    /// The pairs `range` visits, sorted by key, for objects that are Go maps underneath
    /// (`.Files.Glob`'s result).
    fn entries(&self) -> Option<Vec<(String, Value)>> {
        None
    }
    /// What `encoding/json` makes of it (`toJson`, `toYaml`): its exported fields.
    fn to_json(&self) -> Json {
        Json::Object(Default::default())
    }
    /// The object itself, for functions that take one Go type (`time.Time`).
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
}

/// A Go string that is not UTF-8 text: a binary file's content (`.Files.Get` of a
/// `.bz2`, a keystore). Go's strings are bytes, and charts encode such files
/// (`b64enc`, `sha256sum`); those functions read [`bytes_of`] it. Everything else
/// sees its text, with U+FFFD where the bytes are not UTF-8.
#[derive(Debug)]
pub struct RawString(pub Box<[u8]>);

impl Value {
    /// A Go string of `bytes`: text when they are UTF-8, else a [`RawString`].
    pub fn from_bytes(bytes: &[u8]) -> Value {
        match std::str::from_utf8(bytes) {
            Ok(text) => Value::str(text),
            Err(_) => Value::Object(Rc::new(RawString(bytes.into()))),
        }
    }
}

impl Object for RawString {
    fn type_name(&self) -> &str {
        "string"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn len(&self) -> Option<usize> {
        Some(self.0.len())
    }
    fn print(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
    fn to_json(&self) -> Json {
        Json::String(self.print())
    }
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

/// The bytes of a Go string argument: a [`RawString`]'s own, or the value as text
/// (nil is empty).
pub fn bytes_of(v: &Value) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    let raw = match v {
        Value::Object(o) => o.as_any().and_then(|a| a.downcast_ref::<RawString>()),
        _ => None,
    };
    match (raw, v) {
        (Some(raw), _) => Cow::Borrowed(&raw.0),
        (None, Value::String(s)) => Cow::Borrowed(s.as_bytes()),
        (None, Value::Nil) => Cow::Borrowed(&[]),
        (None, other) => Cow::Owned(other.to_go_string().into_bytes()),
    }
}

impl Value {
    pub fn str(s: impl AsRef<str>) -> Value {
        Value::String(Rc::from(s.as_ref()))
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(items))
    }

    pub fn map(map: BTreeMap<String, Value>) -> Value {
        Value::Map(Rc::new(RefCell::new(map)))
    }

    /// Go's truth: the zero value of its type is false.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.borrow().is_empty(),
            // A Go map or slice underneath (`.Files.Glob`'s result) is false when empty.
            Value::Object(o) => o.len().is_none_or(|n| n > 0),
        }
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// A copy that shares no map with `self` (sprig's `deepCopy`).
    pub fn deep_copy(&self) -> Value {
        self.deep_copy_at(0)
    }

    fn deep_copy_at(&self, depth: usize) -> Value {
        if depth > MAX_VALUE_DEPTH && matches!(self, Value::Map(_) | Value::List(_)) {
            give_up();
            return Value::Nil;
        }
        match self {
            Value::Map(m) => Value::map(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.deep_copy_at(depth + 1)))
                    .collect(),
            ),
            Value::List(l) => Value::list(l.iter().map(|v| v.deep_copy_at(depth + 1)).collect()),
            other => other.clone(),
        }
    }

    /// Whether a map or list lies more than `limit` levels below this value (a map
    /// that holds itself always has one); the walk goes no deeper than that.
    pub fn nests_deeper_than(&self, limit: usize) -> bool {
        let deeper = |v: &Value| {
            matches!(v, Value::Map(_) | Value::List(_))
                && (limit == 0 || v.nests_deeper_than(limit - 1))
        };
        match self {
            Value::Map(m) => m.borrow().values().any(deeper),
            Value::List(l) => l.iter().any(deeper),
            _ => false,
        }
    }

    /// A map's entry (`None` for a missing key or a value that is not a map).
    pub fn get(&self, key: &str) -> Option<Value> {
        match self {
            Value::Map(m) => m.borrow().get(key).cloned(),
            _ => None,
        }
    }

    /// A copy of a map's entries (empty for anything else).
    pub fn entries(&self) -> BTreeMap<String, Value> {
        match self {
            Value::Map(m) => m.borrow().clone(),
            _ => BTreeMap::new(),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The Go type name, as Go's error messages print it.
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Float(_) => "float64".into(),
            Value::String(_) => "string".into(),
            Value::List(_) => "[]interface {}".into(),
            Value::Map(_) => "map[string]interface {}".into(),
            Value::Object(o) => o.type_name().into(),
        }
    }

    /// `fmt.Sprint(v)`.
    pub fn to_go_string(&self) -> String {
        let mut out = String::new();
        self.print_into(&mut out, 0);
        out
    }

    /// `%v`, `depth` lists or maps down; nil prints as `<nil>` inside one.
    fn print_into(&self, out: &mut String, depth: usize) {
        let top = depth == 0;
        if depth > MAX_VALUE_DEPTH && matches!(self, Value::Map(_) | Value::List(_)) {
            give_up();
            return;
        }
        match self {
            Value::Nil => out.push_str(if top { "<no value>" } else { "<nil>" }),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => out.push_str(&format_float_g(*f)),
            Value::String(s) => out.push_str(s),
            Value::List(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    v.print_into(out, depth + 1);
                }
                out.push(']');
            }
            Value::Map(m) => {
                out.push_str("map[");
                for (i, (k, v)) in m.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    v.print_into(out, depth + 1);
                }
                out.push(']');
            }
            Value::Object(o) => out.push_str(&o.print()),
        }
    }

    /// The value as JSON, for `toYaml`/`toJson`; `None` for what JSON cannot hold
    /// (an object with methods, a non-finite float).
    pub fn to_json(&self) -> Json {
        self.to_json_at(0)
    }

    fn to_json_at(&self, depth: usize) -> Json {
        if depth > MAX_VALUE_DEPTH && matches!(self, Value::Map(_) | Value::List(_)) {
            give_up();
            return Json::Null;
        }
        match self {
            Value::Nil => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::Float(f) => float_json(*f),
            Value::String(s) => Json::String(s.to_string()),
            Value::List(l) => Json::Array(l.iter().map(|v| v.to_json_at(depth + 1)).collect()),
            Value::Map(m) => Json::Object(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json_at(depth + 1)))
                    .collect(),
            ),
            Value::Object(o) => o.to_json(),
        }
    }

    /// What Helm's values become: numbers are `float64`, as `encoding/json` decodes them.
    pub fn from_json(j: &Json) -> Value {
        match j {
            Json::Null => Value::Nil,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
            Json::String(s) => Value::str(s),
            Json::Array(a) => Value::list(a.iter().map(Value::from_json).collect()),
            Json::Object(m) => Value::map(
                m.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

thread_local! {
    static GAVE_UP: Cell<bool> = const { Cell::new(false) };
}

/// Notes that a walk over a value (printing, copying, encoding, comparing) stopped at
/// [`MAX_VALUE_DEPTH`], leaving the rest out.
pub fn give_up() {
    GAVE_UP.with(|g| g.set(true));
}

/// Whether a walk gave up since the last call. Go prints, copies and encodes any value
/// (or its stack overflows on a map that holds itself, and Helm crashes); here those
/// walks stop at a depth the thread's stack holds, and cannot fail for the dozens of
/// callers that print a value. The executor asks after every function and every
/// printed action, and fails the template instead.
pub fn too_deep() -> bool {
    GAVE_UP.with(|g| g.replace(false))
}

impl Drop for Value {
    /// Drops nested maps and lists one after another, not inside each other: a value
    /// built in a loop (`$d = dict "a" $d`, a hundred thousand times) would otherwise
    /// drop a hundred thousand frames deep. Only the last reference to a map or list
    /// drops what it holds.
    fn drop(&mut self) {
        fn take_nested(v: &mut Value, into: &mut Vec<Value>) {
            match v {
                Value::Map(m) if Rc::strong_count(m) == 1 => {
                    if let Ok(mut m) = m.try_borrow_mut() {
                        into.extend(
                            std::mem::take(&mut *m)
                                .into_values()
                                .filter(|v| matches!(v, Value::Map(_) | Value::List(_))),
                        );
                    }
                }
                Value::List(l) => {
                    if let Some(l) = Rc::get_mut(l) {
                        into.extend(
                            l.drain(..)
                                .filter(|v| matches!(v, Value::Map(_) | Value::List(_))),
                        );
                    }
                }
                _ => {}
            }
        }
        let nests = match self {
            Value::Map(m) => {
                Rc::strong_count(m) == 1
                    && m.try_borrow().is_ok_and(|m| {
                        m.values()
                            .any(|v| matches!(v, Value::Map(_) | Value::List(_)))
                    })
            }
            Value::List(l) => {
                Rc::strong_count(l) == 1
                    && l.iter()
                        .any(|v| matches!(v, Value::Map(_) | Value::List(_)))
            }
            _ => false,
        };
        if !nests {
            return;
        }
        let mut pending = Vec::new();
        take_nested(self, &mut pending);
        while let Some(mut v) = pending.pop() {
            take_nested(&mut v, &mut pending);
        }
    }
}

/// A float as JSON: integral values as integers (Go's encoder prints `3`, not `3.0`).
fn float_json(f: f64) -> Json {
    if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
        return Json::from(f as i64);
    }
    serde_json::Number::from_f64(f)
        .map(Json::Number)
        .unwrap_or(Json::Null)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`, which is what `%v` prints: the shortest
/// digits that round-trip, in exponent form when the exponent is < -4 or >= 6. This is why
/// Helm prints `replicas: 1000000` from values as `1e+06`. The digits are the YAML
/// module's (kustomize prints floats the same way); only NaN and the infinities are
/// spelled as Go's `fmt` spells them.
pub fn format_float_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    crate::yaml::go_format_g(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_go_prints_them() {
        // fmt.Sprint(float64(x)) in Go.
        let cases = [
            (3.0, "3"),
            (0.5, "0.5"),
            (1e6, "1e+06"),
            (100000.0, "100000"),
            (123456789.0, "1.23456789e+08"),
            (1e20, "1e+20"),
            (1e21, "1e+21"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
            (1.5e300, "1.5e+300"),
        ];
        for (f, want) in cases {
            assert_eq!(format_float_g(f), want, "{f}");
        }
    }

    #[test]
    fn maps_and_lists_print_sorted_with_nil_inside() {
        let mut m = BTreeMap::new();
        m.insert("b".to_string(), Value::Nil);
        m.insert(
            "a".to_string(),
            Value::list(vec![Value::Int(1), Value::str("x")]),
        );
        assert_eq!(Value::map(m).to_go_string(), "map[a:[1 x] b:<nil>]");
    }

    #[test]
    fn deep_nesting_drops_without_recursion_and_walks_give_up() {
        let chain = |n: usize| {
            let mut v = Value::map(BTreeMap::new());
            for i in 0..n {
                v = if i % 2 == 0 {
                    Value::map(BTreeMap::from([("a".to_string(), v)]))
                } else {
                    Value::list(vec![Value::Int(1), v])
                };
            }
            v
        };
        // On a test thread's 2 MiB: a recursive drop of this overflows it.
        drop(chain(1_000_000));

        // Walks recurse, as deep as the engine's threads hold.
        let walks = std::thread::Builder::new().stack_size(crate::threads::STACK);
        let walks = walks.spawn(move || {
            let v = chain(MAX_VALUE_DEPTH + 5);
            assert!(v.nests_deeper_than(MAX_VALUE_DEPTH));
            assert!(!too_deep());
            let _ = v.to_go_string();
            assert!(too_deep() && !too_deep(), "set, then cleared by asking");
            let _ = chain(MAX_VALUE_DEPTH - 1).to_json();
            assert!(!too_deep());

            // A map that holds itself: walks stop; what it holds is dropped once the
            // cycle is broken.
            let d = Value::map(BTreeMap::from([("a".to_string(), Value::Int(1))]));
            if let Value::Map(m) = &d {
                m.borrow_mut().insert("self".into(), d.clone());
            }
            assert!(d.nests_deeper_than(3));
            let _ = d.deep_copy();
            assert!(too_deep());
            if let Value::Map(m) = &d {
                m.borrow_mut().remove("self");
            }
            assert!(!d.nests_deeper_than(0) && !Value::map(BTreeMap::new()).nests_deeper_than(0));
        });
        walks.unwrap().join().unwrap();
    }
}
