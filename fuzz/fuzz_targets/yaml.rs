//! The YAML layer: parse any text; what parses must print, and what prints must parse
//! again to the same value (the emitter writes what the parser reads).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use strata::yaml;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(docs) = yaml::parse_stream(text) else {
        return;
    };
    for doc in docs {
        let printed = yaml::to_yaml(&doc.value);
        if has_odd(&doc.value) {
            // Printed as kustomize prints it, but not read back alike (see `same`).
            continue;
        }
        let again = yaml::parse_stream(&printed)
            .unwrap_or_else(|e| panic!("printed YAML does not parse: {e}\n{printed}"));
        assert_eq!(
            again.len(),
            1,
            "printed YAML is not one document:\n{printed}"
        );
        assert!(
            same(&again[0].value, &doc.value),
            "printed YAML reads back differently:\n{printed}\n{:?}\n{:?}",
            again[0].value,
            doc.value
        );
    }
});

/// Equal as kustomize's output means them: a float with an integral value prints as an
/// integer (`1e3` prints `1000`). Strings and keys holding U+0085 (folded like a line
/// break when kustomize's JSON step is re-read, replicated by the emitter) or
/// U+2028/U+2029 (line breaks to go-yaml's scanner but not to yaml-rust2's: a known
/// divergence) are not compared.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => x == y || odd(x) || odd(y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            // An odd key may print as another key (U+0085 becomes a space): compare the rest.
            let any_odd = x.keys().chain(y.keys()).any(|k| odd(k));
            (any_odd || x.len() == y.len())
                && x.iter()
                    .filter(|(k, _)| !odd(k))
                    .all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)) || any_odd)
        }
        _ => a == b,
    }
}

fn odd(s: &str) -> bool {
    s.contains(['\u{85}', '\u{2028}', '\u{2029}'])
}

/// Whether any key or string holds a character `same` does not compare, or a key is a
/// quoted `"<<"`: kustomize prints it plain, as go-yaml v2 does, so it reads back as a
/// merge key (kustomize's resources rarely keep one: kyaml drops the first `<<` key of
/// every mapping, see `yaml::parse_objects`).
fn has_odd(v: &Value) -> bool {
    match v {
        Value::String(s) => odd(s),
        Value::Array(items) => items.iter().any(has_odd),
        Value::Object(m) => m.iter().any(|(k, v)| odd(k) || k == "<<" || has_odd(v)),
        _ => false,
    }
}
