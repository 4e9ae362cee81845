//! The values a Go template sees, and how Go's `fmt` prints them (`%v`).
//!
//! Helm's data is what `encoding/json` makes of YAML: maps of strings, lists, strings,
//! bools, `float64` for every number, and nil. Template functions add Go's `int`/`int64`
//! (from `len`, `add`, ...). Maps are kept sorted because Go prints and ranges over map
//! keys in sorted order.

use serde_json::Value as Json;
use std::cell::RefCell;
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
        match self {
            Value::Map(m) => Value::map(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.deep_copy()))
                    .collect(),
            ),
            Value::List(l) => Value::list(l.iter().map(Value::deep_copy).collect()),
            other => other.clone(),
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
        self.print_into(&mut out, true);
        out
    }

    /// `%v`; `top` is false inside a list or map, where nil prints as `<nil>`.
    fn print_into(&self, out: &mut String, top: bool) {
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
                    v.print_into(out, false);
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
                    v.print_into(out, false);
                }
                out.push(']');
            }
            Value::Object(o) => out.push_str(&o.print()),
        }
    }

    /// The value as JSON, for `toYaml`/`toJson`; `None` for what JSON cannot hold
    /// (an object with methods, a non-finite float).
    pub fn to_json(&self) -> Json {
        match self {
            Value::Nil => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::Float(f) => float_json(*f),
            Value::String(s) => Json::String(s.to_string()),
            Value::List(l) => Json::Array(l.iter().map(Value::to_json).collect()),
            Value::Map(m) => Json::Object(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
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
}
