//! Reading a kustomization as kustomize reads it: YAML to JSON, then Go's
//! `encoding/json` into the `Kustomization` struct. Two rules of Go's decoder that
//! serde does not have, and that real kustomization files rely on:
//! - a field name matches case-insensitively (`nameprefix:` sets `namePrefix`); when two
//!   keys name one field, the one later in byte order wins (the JSON object's keys are
//!   sorted);
//! - `null` leaves the zero value: an absent field, `""` for a string (also as a map
//!   value: `commonLabels: {a: }` gives `a: ""`), an empty list for a list whose entries
//!   are all commented out.
//!
//! [`GoValue`] is a serde `Deserializer` over a `serde_json::Value` that applies them, so
//! the structs in `kustomization.rs` stay plain serde types. Fields typed `Value` are
//! handed over untouched.

use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde_json::{Error, Map, Value};

/// A value deserialized with Go's `encoding/json` rules (see the module docs).
pub struct GoValue(pub Value);

/// `T` from `value` by Go's rules.
pub fn from_value<T: de::DeserializeOwned>(value: Value) -> Result<T, Error> {
    T::deserialize(GoValue(value))
}

/// The zero value of a Go number, for `null`.
macro_rules! null_is_zero {
    ($($method:ident => $visit:ident($zero:expr)),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                match self.0 {
                    Value::Null => visitor.$visit($zero),
                    other => other.$method(visitor),
                }
            }
        )*
    };
}

impl<'de> Deserializer<'de> for GoValue {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_any(visitor)
    }

    null_is_zero! {
        deserialize_bool => visit_bool(false),
        deserialize_i8 => visit_i64(0),
        deserialize_i16 => visit_i64(0),
        deserialize_i32 => visit_i64(0),
        deserialize_i64 => visit_i64(0),
        deserialize_u8 => visit_u64(0),
        deserialize_u16 => visit_u64(0),
        deserialize_u32 => visit_u64(0),
        deserialize_u64 => visit_u64(0),
        deserialize_f32 => visit_f64(0.0),
        deserialize_f64 => visit_f64(0.0),
        deserialize_str => visit_str(""),
        deserialize_string => visit_str(""),
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(GoValue(other)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_seq(Seq(Vec::new().into_iter())),
            Value::Array(items) => visitor.visit_seq(Seq(items.into_iter())),
            other => other.deserialize_seq(visitor),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_map(Entries::new(Vec::new())),
            Value::Object(map) => visitor.visit_map(Entries::new(map.into_iter().collect())),
            other => other.deserialize_map(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_map(Entries::new(Vec::new())),
            Value::Object(map) => visitor.visit_map(Entries::new(struct_fields(map, fields))),
            other => other.deserialize_struct(name, fields, visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        char bytes byte_buf unit unit_struct tuple tuple_struct enum identifier
    }
}

/// The entries of a mapping read into a struct: keys renamed to the field they match
/// case-insensitively, `null` entries dropped, the later key (in byte order) winning.
fn struct_fields(map: Map<String, Value>, fields: &[&str]) -> Vec<(String, Value)> {
    let mut entries: Vec<(String, Value)> = map.into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out: Vec<(String, Value)> = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let name = if fields.contains(&key.as_str()) {
            key
        } else {
            match fields.iter().find(|f| f.eq_ignore_ascii_case(&key)) {
                Some(f) => (*f).to_string(),
                // Kept, null or not, for the struct to refuse as unknown.
                None => {
                    out.push((key, value));
                    continue;
                }
            }
        };
        if value.is_null() {
            continue;
        }
        match out.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => out.push((name, value)),
        }
    }
    out
}

struct Seq(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for Seq {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(GoValue(v)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Entries {
    items: std::vec::IntoIter<(String, Value)>,
    value: Option<Value>,
}

impl Entries {
    fn new(items: Vec<(String, Value)>) -> Entries {
        Entries {
            items: items.into_iter(),
            value: None,
        }
    }
}

impl<'de> MapAccess<'de> for Entries {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.items.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(k.into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(GoValue(self.value.take().unwrap_or(Value::Null)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;
    use std::collections::BTreeMap;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct K {
        #[serde(default)]
        name_prefix: String,
        #[serde(default)]
        resources: Vec<String>,
        #[serde(default)]
        common_labels: BTreeMap<String, String>,
        #[serde(default)]
        flag: bool,
        opt: Option<Inner>,
        raw: Option<Value>,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[serde(default)]
        path: String,
    }

    #[test]
    fn field_names_match_case_insensitively_and_the_later_key_wins() {
        let k: K =
            from_value(json!({"NAMEPREFIX": "a-", "nameprefix": "b-", "Opt": {"PATH": "p"}}))
                .unwrap();
        assert_eq!(k.name_prefix, "b-");
        assert_eq!(k.opt, Some(Inner { path: "p".into() }));
        // An exact spelling sorts before the lowercase one and loses to it, as in Go.
        let k: K = from_value(json!({"namePrefix": "a-", "nameprefix": "b-"})).unwrap();
        assert_eq!(k.name_prefix, "b-");
    }

    #[test]
    fn null_leaves_the_zero_value() {
        let k: K = from_value(json!({
            "namePrefix": null, "resources": null, "commonLabels": {"a": null},
            "flag": null, "opt": null, "raw": {"x": null}
        }))
        .unwrap();
        assert_eq!(k.name_prefix, "");
        assert!(k.resources.is_empty());
        assert_eq!(k.common_labels.get("a").map(String::as_str), Some(""));
        assert!(!k.flag && k.opt.is_none());
        // A field typed `Value` is kept as written.
        assert_eq!(k.raw, Some(json!({"x": null})));
    }

    #[test]
    fn unknown_fields_and_wrong_types_still_fail() {
        let e = from_value::<K>(json!({"reources": []})).unwrap_err();
        assert!(e.to_string().contains("unknown field `reources`"), "{e}");
        let e = from_value::<K>(json!({"reources": null})).unwrap_err();
        assert!(e.to_string().contains("unknown field `reources`"), "{e}");
        let e = from_value::<K>(json!({"resources": "a.yaml"})).unwrap_err();
        assert!(e.to_string().contains("expected a sequence"), "{e}");
    }
}
