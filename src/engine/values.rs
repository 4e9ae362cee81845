//! PLACEHOLDER: Helm-style values layering (being written on the `chart` branch).
use serde_json::Value;

pub fn merge_values(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (_, Value::Null) => {}
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(k);
                } else {
                    merge_values(b.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

pub fn parse_set(expr: &str) -> Result<Vec<(Vec<String>, Value)>, String> {
    let (k, v) = expr.split_once('=').ok_or("expected PATH=VALUE")?;
    Ok(vec![(
        k.split('.').map(String::from).collect(),
        Value::String(v.to_string()),
    )])
}
