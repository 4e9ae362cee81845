//! What strata may quote from the user's data in any output: the one rule.
//!
//! * **Messages** (errors, warnings, validation findings) name files, lines, keys,
//!   kinds and the constraint that failed. They quote a value only where
//!   [`may_quote`] allows it: never a chart value (any of them may end up in a
//!   `Secret`), never a field of a `Secret`'s `data`/`stringData` nor the
//!   last-applied annotation (which copies the whole object). A value that may not be
//!   quoted is described by its JSON type alone ([`kind_of`]).
//! * **Diffs and comparisons**, whose job is to show values, withhold the same secret
//!   fields ([`is_secret_field`]) unless the user asks for them.
//! * Messages built by libraries (serde, the YAML scanner) quote what they read;
//!   [`serde_message`] keeps their shape and drops the value.

use serde_json::Value;

/// The annotation kubectl writes on `apply`, holding the whole object.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// What a withheld value is replaced by inside a larger value.
pub const HIDDEN: &str = "(hidden)";

/// Whether the field at `path` (keys, `None` for a list index) of an object holds a
/// secret value: a `Secret`'s `data.*`/`stringData.*`, or the last-applied annotation
/// anywhere (a pod template's metadata too).
pub fn is_secret_field(secret_kind: bool, path: &[Option<&str>]) -> bool {
    if secret_kind && path.len() >= 2 && matches!(path[0], Some("data" | "stringData")) {
        return true;
    }
    path.len() >= 2
        && path[path.len() - 1] == Some(LAST_APPLIED)
        && path[path.len() - 2] == Some("annotations")
}

/// Replaces every secret value inside `v`, found at `path` of an object, by `with`,
/// keeping the keys (a `data` that is not a map is replaced whole). Returns whether
/// anything was replaced.
pub fn hide(v: &mut Value, path: &[Option<&str>], secret_kind: bool, with: &str) -> bool {
    let secret_scalar = secret_kind
        && path.len() == 1
        && matches!(path[0], Some("data" | "stringData"))
        && !v.is_object()
        && !v.is_null();
    if secret_scalar || is_secret_field(secret_kind, path) {
        *v = Value::String(with.into());
        return true;
    }
    let mut hid = false;
    let mut below = path.to_vec();
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                below.push(Some(k.as_str()));
                hid |= hide(child, &below, secret_kind, with);
                below.pop();
            }
        }
        Value::Array(a) => {
            for child in a.iter_mut() {
                below.push(None);
                hid |= hide(child, &below, secret_kind, with);
                below.pop();
            }
        }
        _ => {}
    }
    hid
}

/// Whether a message about the field at `path` of a Kubernetes object may quote its
/// value. Only when neither the field nor anything it holds is secret: a message about
/// `data` (the whole map) quotes nothing either.
pub fn may_quote(secret_kind: bool, path: &[Option<&str>]) -> bool {
    let secret_map = secret_kind && matches!(path.first(), Some(Some("data" | "stringData")));
    // The annotation, or a map that holds it (annotations, metadata, the object).
    let holds_last_applied = path.contains(&Some(LAST_APPLIED))
        || matches!(path.last(), None | Some(Some("annotations" | "metadata")));
    !secret_map && !holds_last_applied
}

/// A value as messages describe it when they may not quote it: its JSON type.
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// A serde error's message without the value it quotes: `invalid type: string
/// "hunter2", expected a sequence` → `invalid type: a string, expected a sequence`;
/// `unknown variant `x`, expected ...` → `unknown value, expected ...`. Field names
/// (`unknown field `x``, `missing field `x``) are keys and stay.
pub fn serde_message(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    // serde_json appends " at line L column C": positions in our re-encoded JSON, noise.
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            let expected = rest.find(", expected").map_or("", |i| &rest[i..]);
            let what = match rest.split([' ', ',']).next().unwrap_or("") {
                "string" => "a string",
                "integer" | "floating" => "a number",
                "boolean" => "a boolean",
                "map" => "a mapping",
                "sequence" => "a list",
                "null" | "unit" => "null",
                _ => "a value",
            };
            return format!("{prefix}{what}{expected}");
        }
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let expected = rest.find(", expected").map_or("", |i| &rest[i..]);
        return format!("unknown value{expected}");
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_fields_and_what_may_be_quoted() {
        assert!(is_secret_field(true, &[Some("data"), Some("password")]));
        assert!(is_secret_field(true, &[Some("stringData"), Some("a")]));
        assert!(!is_secret_field(false, &[Some("data"), Some("a")]));
        assert!(is_secret_field(
            false,
            &[Some("metadata"), Some("annotations"), Some(LAST_APPLIED)]
        ));
        assert!(!may_quote(true, &[Some("data")]));
        assert!(!may_quote(true, &[Some("data"), Some("a")]));
        assert!(!may_quote(false, &[Some("metadata"), Some("annotations")]));
        assert!(may_quote(false, &[Some("spec"), Some("replicas")]));
        assert!(may_quote(true, &[Some("type")]));
    }

    #[test]
    fn serde_messages_lose_the_value() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct T {
            list: Vec<String>,
            n: Option<u8>,
            e: Option<E>,
        }
        #[derive(Debug, serde::Deserialize)]
        enum E {
            A,
        }
        let msg = |v: Value| serde_message(&serde_json::from_value::<T>(v).unwrap_err());
        assert_eq!(
            msg(serde_json::json!({"list": "hunter2"})),
            "invalid type: a string, expected a sequence"
        );
        assert_eq!(
            msg(serde_json::json!({"list": [], "n": 4242})),
            "invalid value: a number, expected u8"
        );
        assert_eq!(
            msg(serde_json::json!({"list": [], "e": "hunter2"})),
            "unknown value, expected `A`"
        );
        assert_eq!(msg(serde_json::json!({})), "missing field `list`");
    }
}
