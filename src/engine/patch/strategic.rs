//! PLACEHOLDER strategic merge (naive map merge); replaced by the real one.
use crate::engine::resource::Gvk;
use serde_json::{Map, Value};

pub enum MergeOutcome {
    Kept,
    Deleted,
}

pub fn merge(
    target: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    _gvk: &Gvk,
) -> Result<MergeOutcome, String> {
    if patch.get("$patch").and_then(Value::as_str) == Some("delete") {
        return Ok(MergeOutcome::Deleted);
    }
    for (k, v) in patch {
        match (target.get_mut(k), v) {
            (_, Value::Null) => {
                target.remove(k);
            }
            (Some(Value::Object(t)), Value::Object(p)) => {
                merge(t, p, _gvk)?;
            }
            _ => {
                target.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(MergeOutcome::Kept)
}
