//! Content-hash name suffixes for generated ConfigMaps and Secrets.
//!
//! kustomize v5.5.0 hashes, at the root and after every transformer, a JSON
//! object of the resource's `kind`, `data`, `binaryData` (ConfigMap) or `type`,
//! `data`, `stringData` (Secret) and `name`; but it looks the name up under a key
//! literally spelt `metadata/name`, so `name` is always `""`. Labels, annotations,
//! namespace, `immutable` and the name itself therefore never change the hash.
//! The JSON is Go's `encoding/json` (sorted keys, `<>&` escaped, numbers in maps
//! as float64); its SHA-256 in hex, first 10 characters, with `0 1 3 a e`
//! replaced by `g h k m t`, is the suffix.

use crate::error::Result;
use crate::kustomize::resmap::ResMap;
use crate::kustomize::resource::Resource;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Appends `-<hash>` to the name of every resource whose `meta.needs_hash` is
/// set, after pushing its current identity onto `meta.prev_ids` (so name
/// references can follow the rename). Leaves `needs_hash` set.
pub fn add_hash_suffixes(ra: &mut ResMap) -> Result<()> {
    for r in ra.iter_mut().filter(|r| r.meta.needs_hash) {
        let hash = content_hash(r);
        let name = format!("{}-{hash}", r.name());
        r.store_previous_id();
        r.set_name(&name);
        let source = r
            .origin
            .generated_by
            .clone()
            .unwrap_or_else(|| r.origin.file.clone());
        r.record("hashSuffix", &source, vec!["metadata.name".into()]);
    }
    Ok(())
}

/// kustomize's 10-character content hash of a resource as it is now.
pub fn content_hash(r: &Resource) -> String {
    let doc = &r.doc;
    let mut m: Vec<(&str, Value)> = vec![
        ("kind", Value::String(r.kind().to_string())),
        ("name", Value::String(String::new())),
    ];
    let text = match r.kind() {
        "ConfigMap" => {
            m.push(("data", node_value(doc.get("data"))));
            if let Some(v @ Value::Object(_)) = doc.get("binaryData") {
                m.push(("binaryData", v.clone()));
            }
            go_json_object(&m)
        }
        "Secret" => {
            m.push(("type", node_value(doc.get("type"))));
            m.push(("data", node_value(doc.get("data"))));
            if let Some(v @ Value::Object(_)) = doc.get("stringData") {
                m.push(("stringData", v.clone()));
            }
            go_json_object(&m)
        }
        // kustomize marshals its YAML node here; only custom generators reach
        // this, which strata does not run. Hash the document instead.
        _ => {
            let mut out = String::new();
            go_json(&Value::Object(doc.clone()), &mut out);
            out
        }
    };
    encode(&Sha256::digest(text.as_bytes()))
}

/// What kustomize reads at a path: `""` when absent, a scalar's text, a mapping as is.
fn node_value(v: Option<&Value>) -> Value {
    match v {
        None | Some(Value::Null) => Value::String(String::new()),
        Some(Value::String(s)) => Value::String(s.clone()),
        Some(Value::Number(n)) => Value::String(n.to_string()),
        Some(Value::Bool(b)) => Value::String(b.to_string()),
        Some(v) => v.clone(),
    }
}

/// First 10 hex digits of the digest, with kustomize's letter substitutions.
fn encode(digest: &[u8]) -> String {
    digest
        .iter()
        .flat_map(|b| [b >> 4, b & 0xf])
        .take(10)
        .map(|n| match n {
            0 => 'g',
            1 => 'h',
            3 => 'k',
            0xa => 'm',
            0xe => 't',
            n => char::from_digit(u32::from(n), 16).unwrap_or('0'),
        })
        .collect()
}

fn go_json_object(fields: &[(&str, Value)]) -> String {
    let map: Map<String, Value> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let mut out = String::new();
    go_json(&Value::Object(map), &mut out);
    out
}

/// Go's `json.Marshal` of a value decoded into `interface{}`: object keys
/// sorted, numbers as float64, strings escaped as Go escapes them.
fn go_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go_float(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => go_string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_string(k, out);
                out.push(':');
                go_json(&m[k], out);
            }
            out.push('}');
        }
    }
}

/// A float64 as Go's encoder writes it: shortest form, exponent only below
/// 1e-6 or from 1e21 (`1e+21`, `1e-7`).
fn go_float(f: f64) -> String {
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let s = format!("{f:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        }
    } else {
        format!("{f}")
    }
}

fn go_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 0xf] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::resource::Origin;
    use serde_json::json;

    fn res(v: Value) -> Resource {
        match v {
            Value::Object(m) => Resource::new(m, Origin::default()),
            _ => unreachable!(),
        }
    }

    fn hash(v: Value) -> String {
        content_hash(&res(v))
    }

    // Every expected hash below was produced by kubectl kustomize (v5.5.0).

    #[test]
    fn config_map_hashes() {
        assert_eq!(
            hash(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "empty"}})),
            "6ct58987ht"
        );
        // Labels, namespace, immutable and the name do not count.
        assert_eq!(
            hash(
                json!({"apiVersion": "v1", "kind": "ConfigMap", "immutable": true,
                "metadata": {"name": "opts", "namespace": "ns1",
                    "labels": {"l1": "local", "l2": "global"}, "annotations": {"g": "global"}},
                "data": {"a": "b"}})
            ),
            "4h2mbtbbt6"
        );
        assert_eq!(
            hash(json!({"kind": "ConfigMap", "metadata": {"name": "files"},
                "data": {"renamed": "hello\nworld\n", "text.txt": "hello\nworld\n"},
                "binaryData": {"bin.dat": "AP/+YmluYXJ5"}})),
            "bc6h8gftft"
        );
        assert_eq!(
            hash(json!({"kind": "ConfigMap", "metadata": {"name": "lit"},
                "data": {"A": "1", "B": "two", "C": "three", "D": "x=y", "E": "", "F": "\"mis'"}})),
            "9ch729hdtd"
        );
        assert_eq!(
            hash(json!({"kind": "ConfigMap", "metadata": {"name": "o-b-gen"},
                "data": {"a": "1", "b": "3", "c": "4"}})),
            "fbcmkbc66h"
        );
    }

    #[test]
    fn secret_hashes() {
        assert_eq!(
            hash(
                json!({"kind": "Secret", "type": "Opaque", "metadata": {"name": "s",
                "labels": {"team": "x"}}, "data": {}})
            ),
            "46f8b28mk5"
        );
        assert_eq!(
            hash(
                json!({"kind": "Secret", "type": "Opaque", "metadata": {"name": "sec"},
                "data": {"a": "Yg==", "bin.dat": "AP/+YmluYXJ5"}})
            ),
            "22f79tmc64"
        );
        assert_eq!(
            hash(
                json!({"kind": "Secret", "type": "kubernetes.io/tls", "metadata": {"name": "tls"},
                "data": {"tls.crt": "Yw==", "tls.key": "aw=="}})
            ),
            "d94tkf5ft2"
        );
        assert_eq!(
            hash(
                json!({"kind": "Secret", "type": "Opaque", "metadata": {"name": "o-b-s"},
                "data": {"x": "eQ=="}})
            ),
            "t86b282gdf"
        );
    }

    #[test]
    fn non_string_data_values_hash_as_numbers_and_booleans() {
        // A patch put these into a generated ConfigMap; kubectl kustomize: num-98bgkb5949.
        assert_eq!(
            hash(json!({"kind": "ConfigMap", "metadata": {"name": "num"},
                "data": {"a": "1", "big": 12345678901234567890u64, "f": 1.5, "n": 3,
                    "s": "<x&y>", "t": true}})),
            "98bgkb5949"
        );
    }

    #[test]
    fn go_json_matches_encoding_json() {
        let mut s = String::new();
        go_json(
            &json!({"b": [1, 1.5, 1e21, 1e-7, true, null], "a": "<&>\u{1}\u{8}\u{c}\t\"é\u{2028}"}),
            &mut s,
        );
        assert_eq!(
            s,
            r#"{"a":"\u003c\u0026\u003e\u0001\b\f\t\"é\u2028","b":[1,1.5,1e+21,1e-7,true,null]}"#
        );
    }

    #[test]
    fn renames_and_keeps_the_previous_id() {
        let mut r = res(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "p-empty", "namespace": "x"}}));
        r.meta.needs_hash = true;
        let plain = res(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "plain"}}));
        let mut ra = ResMap {
            resources: vec![r, plain],
            ..ResMap::default()
        };
        add_hash_suffixes(&mut ra).unwrap();
        assert_eq!(ra.resources[0].name(), "p-empty-6ct58987ht");
        assert_eq!(ra.resources[0].meta.prev_ids.len(), 1);
        assert_eq!(ra.resources[0].meta.prev_ids[0].name, "p-empty");
        assert_eq!(ra.resources[0].meta.prev_ids[0].namespace, "x");
        assert_eq!(ra.resources[1].name(), "plain");
        assert!(ra.resources[1].meta.prev_ids.is_empty());
    }
}
