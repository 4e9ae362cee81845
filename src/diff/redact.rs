//! Secret values never leave the diff engine: the fields [`crate::redact`] calls
//! secret (a `Secret`'s `data` and `stringData`, the last-applied annotation) are
//! withheld from every field change unless the user asked for them. A withheld value
//! is replaced by nothing at all, so not even its length shows.

use crate::diff::fields::FieldChange;
use crate::diff::path::{FieldPath, Seg};
use serde_json::Value;

pub use crate::redact::{HIDDEN, LAST_APPLIED};

/// Whether the field at `path` holds a secret value.
pub fn is_secret_path(secret_kind: bool, path: &[Seg]) -> bool {
    let keys: Vec<Option<&str>> = path
        .iter()
        .map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            _ => None,
        })
        .collect();
    crate::redact::is_secret_field(secret_kind, &keys)
}

/// Whether a resource of this API group and kind is a Kubernetes `Secret`.
pub fn is_secret(group: &str, kind: &str) -> bool {
    group.is_empty() && kind == "Secret"
}

/// Withholds the secret values of one change, in place.
pub fn redact(change: &mut FieldChange, secret_kind: bool) {
    if is_secret_path(secret_kind, &change.segs.0) {
        change.old = None;
        change.new = None;
        change.diff = None;
        change.redacted = true;
        return;
    }
    let mut hid = false;
    for v in [&mut change.old, &mut change.new].into_iter().flatten() {
        hid |= hide_below(&change.segs, v, secret_kind);
    }
    change.redacted |= hid;
}

/// Replaces every secret value inside `v` (found at `path`) by [`HIDDEN`].
fn hide_below(path: &FieldPath, v: &mut Value, secret_kind: bool) -> bool {
    let keys: Vec<Option<&str>> = path
        .0
        .iter()
        .map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            _ => None,
        })
        .collect();
    crate::redact::hide(v, &keys, secret_kind, HIDDEN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::fields::diff_values;
    use serde_json::json;

    #[test]
    fn hides_secret_leaves_and_secret_values_inside_larger_ones() {
        let old = json!({"data": {"a": "czNjcjN0"}, "metadata": {"name": "s"}});
        let new = json!({"data": {"a": "bjN3"}, "stringData": {"b": "plain"},
                         "metadata": {"name": "s", "annotations": {LAST_APPLIED: "{\"data\":{}}"}}});
        let mut c = diff_values(&old, &new, 3);
        c.iter_mut().for_each(|c| redact(c, true));
        let text = serde_json::to_string(&c).unwrap();
        for leak in ["czNjcjN0", "bjN3", "plain", "\\\"data\\\""] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
        assert!(text.contains("data.a"), "{text}");
        assert!(text.contains("stringData"), "{text}");
        assert!(c.iter().all(|c| c.redacted));
    }

    #[test]
    fn other_kinds_keep_their_data() {
        let mut c = diff_values(
            &json!({"data": {"a": "1"}}),
            &json!({"data": {"a": "2"}}),
            3,
        );
        c.iter_mut().for_each(|c| redact(c, false));
        assert_eq!(c[0].new, Some(json!("2")));
        assert!(!c[0].redacted);
    }
}
