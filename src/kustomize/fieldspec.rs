//! Where a transformer applies, kept as data: a kind filter and a `/`-separated
//! path into the object, as kustomize's `FieldSpec` tables say it.
//!
//! Walking a path visits every element of a list met on the way, so
//! `spec/containers/image` reaches every container's image (`containers[]` is
//! the explicit spelling and means the same, but is never created).

use crate::kustomize::resource::Gvk;
use serde_json::{Map, Value};

/// One place a transformer applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// Empty strings match any group, version or kind.
    pub group: String,
    pub version: String,
    pub kind: String,
    pub path: String,
    /// Create the field (and the maps on the way) when absent.
    pub create: bool,
}

impl FieldSpec {
    pub fn new(kind: &str, path: &str, create: bool) -> FieldSpec {
        FieldSpec {
            group: String::new(),
            version: String::new(),
            kind: kind.into(),
            path: path.into(),
            create,
        }
    }

    /// Whether this spec applies to objects of `gvk`.
    pub fn matches(&self, gvk: &Gvk) -> bool {
        (self.kind.is_empty() || self.kind == gvk.kind)
            && (self.group.is_empty() || self.group == gvk.group)
            && (self.version.is_empty() || self.version == gvk.version)
    }

    /// The path's segments.
    pub fn segments(&self) -> Vec<String> {
        split_path(&self.path)
    }
}

/// Splits a field-spec path on `/` as kustomize does: a leading `/` is allowed
/// and `\/` keeps a slash inside a segment (`metadata/annotations/app.io\/name`).
pub fn split_path(path: &str) -> Vec<String> {
    let mut parts: Vec<&str> = path.split('/').collect();
    if parts.len() > 1 && parts[0].is_empty() {
        parts.remove(0);
    }
    let mut out: Vec<String> = Vec::new();
    for p in parts {
        match out.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('/');
                last.push_str(p);
            }
            _ => out.push(p.to_string()),
        }
    }
    out
}

/// What to create at the end of a path when `create` is set and the field is absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Create {
    Map,
    /// Create nothing: the callback sees the field only where it exists.
    Nothing,
}

/// A problem walking a path: a scalar where the path needs a map or list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkError {
    /// The dotted path reached when it went wrong.
    pub at: String,
}

/// Calls `f` on every value at `segments` below `value`, with its dotted path
/// (`spec.template.spec.containers[0].image`). With `create`, missing maps on
/// the way are created and the final field is created as `leaf` (Null for a
/// scalar, which `f` then sets). Nulls on the way stop the walk quietly.
pub fn walk<F>(
    value: &mut Value,
    segments: &[&str],
    create: Option<Value>,
    f: &mut F,
) -> Result<(), WalkError>
where
    F: FnMut(&mut Value, &str) -> Result<(), WalkError>,
{
    walk_inner(value, segments, &create, &mut String::new(), f)
}

fn walk_inner<F>(
    value: &mut Value,
    segments: &[&str],
    create: &Option<Value>,
    path: &mut String,
    f: &mut F,
) -> Result<(), WalkError>
where
    F: FnMut(&mut Value, &str) -> Result<(), WalkError>,
{
    let Some((first, rest)) = segments.split_first() else {
        return f(value, path);
    };
    match value {
        Value::Null => Ok(()),
        Value::Array(items) => {
            let base = path.len();
            for (i, item) in items.iter_mut().enumerate() {
                path.truncate(base);
                path.push_str(&format!("[{i}]"));
                walk_inner(item, segments, create, path, f)?;
            }
            path.truncate(base);
            Ok(())
        }
        Value::Object(map) => {
            let (name, is_seq) = match first.strip_suffix("[]") {
                Some(n) => (n, true),
                None => (*first, false),
            };
            let base = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(name);
            let result = match field_for(
                map,
                name,
                rest.is_empty(),
                if is_seq { &None } else { create },
            ) {
                Some(child) => walk_inner(child, rest, create, path, f),
                None => Ok(()),
            };
            path.truncate(base);
            result
        }
        _ => Err(WalkError { at: path.clone() }),
    }
}

fn field_for<'a>(
    map: &'a mut Map<String, Value>,
    name: &str,
    last: bool,
    create: &Option<Value>,
) -> Option<&'a mut Value> {
    if !map.contains_key(name) {
        let leaf = create.as_ref()?;
        let fresh = if last {
            leaf.clone()
        } else {
            Value::Object(Map::new())
        };
        map.insert(name.to_string(), fresh);
    } else if map.get(name).is_some_and(Value::is_null) {
        if let Some(leaf) = create {
            map.insert(
                name.to_string(),
                if last {
                    leaf.clone()
                } else {
                    Value::Object(Map::new())
                },
            );
        }
    }
    map.get_mut(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn visits_every_list_element() {
        let mut v =
            json!({"spec": {"containers": [{"image": "a"}, {"image": "b"}, {"name": "c"}]}});
        let mut seen = Vec::new();
        walk(
            &mut v,
            &["spec", "containers[]", "image"],
            None,
            &mut |v, p| {
                seen.push((p.to_string(), v.clone()));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(
            seen,
            vec![
                ("spec.containers[0].image".to_string(), json!("a")),
                ("spec.containers[1].image".to_string(), json!("b")),
            ]
        );
    }

    #[test]
    fn creates_missing_maps_when_asked() {
        let mut v = json!({"metadata": {"name": "x"}});
        walk(
            &mut v,
            &["spec", "template", "metadata", "labels"],
            Some(json!({})),
            &mut |v, _| {
                v.as_object_mut().unwrap().insert("a".into(), json!("b"));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(v["spec"]["template"]["metadata"]["labels"]["a"], "b");
    }

    #[test]
    fn a_scalar_in_the_middle_is_an_error() {
        let mut v = json!({"spec": "oops"});
        let err = walk(&mut v, &["spec", "replicas"], None, &mut |_, _| Ok(())).unwrap_err();
        assert_eq!(err.at, "spec");
    }

    #[test]
    fn escaped_slashes_stay_in_a_segment() {
        assert_eq!(
            split_path("/metadata/labels/app.io\\/name"),
            vec!["metadata", "labels", "app.io/name"]
        );
        assert_eq!(split_path("spec/replicas"), vec!["spec", "replicas"]);
    }
}
