//! ValueAddTransformer (a builtin plugin with no kustomization field): puts one value
//! into a field of selected resources, or into the file path held there.
//!
//! As kustomize v5.5: a field path is `/`-separated (`\/` escapes a slash) and created
//! as maps on the way; `metadata/namespace` is set as the namespace transformer sets it
//! (namespaced kinds only, RoleBinding subjects named `default`), without storing the
//! previous identity. Numeric, `-` and `[k=v]` elements are list steps, walked as
//! kyaml's `PathGetter` walks them (see [`set_value`]).

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::kustomization::Selector;
use crate::kustomize::patch::target::TargetMatcher;
use crate::kustomize::resmap::ResMap;
use crate::kustomize::transform::namespace;
use serde_json::Value;

/// Where to put the value.
#[derive(Clone, Debug, Default)]
pub struct Target {
    /// Every resource when absent.
    pub selector: Option<Selector>,
    pub field_path: String,
    /// 0: replace the field; i > 0: insert the value as element i of the path held there.
    pub file_path_position: i64,
}

/// ValueAddTransformer: `value` at each target's field path (created as needed), or
/// inserted into the path held there at `filePathPosition`; `metadata/namespace` is set
/// as the namespace transformer sets it (without its field specs).
pub fn apply(ra: &mut ResMap, value: &str, targets: &[Target], source: &str) -> Result<()> {
    for t in targets {
        let matcher = match &t.selector {
            Some(sel) => Some(TargetMatcher::new(sel).map_err(|e| {
                Error::new(
                    ErrorKind::Invalid,
                    source,
                    format!("ValueAddTransformer selector: {e}"),
                )
            })?),
            None => None,
        };
        for r in ra.iter_mut() {
            if matcher.as_ref().is_some_and(|m| !m.matches(r)) {
                continue;
            }
            let id = r.cur_id();
            let result = if t.field_path == "metadata/namespace" {
                let opts = namespace::Options {
                    specs: Vec::new(),
                    ..Default::default()
                };
                namespace::set_on(r, value, &opts)
            } else {
                set_value(&mut r.doc, &t.field_path, value, t.file_path_position)
            };
            match result {
                Ok(paths) => r.record("valueAdd", source, paths),
                Err(e) => {
                    return Err(Error::new(
                        ErrorKind::Transform,
                        source,
                        format!(
                            "ValueAddTransformer: cannot set '{}' of {id}: {e}",
                            t.field_path
                        ),
                    ))
                }
            }
        }
    }
    Ok(())
}

/// Sets one `/`-separated field (`\/` escapes a slash) as kyaml's `PathGetter` with
/// creation walks it: missing map fields are created (a list when the next element is a
/// list step), `N` and `-` pick an existing element (a missing one ends the walk with
/// nothing set), `[k=v]` / `[=v]` pick the matching element or append one, and a null
/// on the way ends the walk. The value is a plain scalar: `5` is a number.
fn set_value(
    doc: &mut serde_json::Map<String, Value>,
    field_path: &str,
    value: &str,
    position: i64,
) -> std::result::Result<Vec<String>, String> {
    let mut fields: Vec<String> = Vec::new();
    for part in field_path.split('/') {
        match fields.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('/');
                last.push_str(part);
            }
            _ => fields.push(part.to_string()),
        }
    }
    // kyaml's cleanPath: elements are trimmed and empty ones skipped.
    let fields: Vec<String> = fields
        .iter()
        .map(|f| f.trim().to_string())
        .filter(|f| !f.is_empty())
        .collect();
    if fields.is_empty() {
        return Err("the field path is empty".into());
    }
    let mut root = Value::Object(std::mem::take(doc));
    let result = set_at(&mut root, &fields, value, position);
    if let Value::Object(m) = root {
        *doc = m;
    }
    Ok(if result? {
        vec![fields.join(".")]
    } else {
        Vec::new()
    })
}

/// Go's `strconv.Atoi`: an optional sign and decimal digits.
fn atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

fn is_list_step(f: &str) -> bool {
    (f.starts_with('[') && f.ends_with(']')) || atoi(f).is_some_and(|i| i >= 0)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "a map",
        Value::Array(_) => "a list",
        Value::Null => "null",
        _ => "a scalar",
    }
}

/// Walks `fields` from `cur` and sets the scalar at the end; `Ok(false)` when the walk
/// ended early (nothing set), as kyaml does.
fn set_at(
    mut cur: &mut Value,
    fields: &[String],
    value: &str,
    position: i64,
) -> std::result::Result<bool, String> {
    for (i, f) in fields.iter().enumerate() {
        if cur.is_null() {
            return Ok(false);
        }
        let next = fields.get(i + 1);
        cur = if let Some(idx) = atoi(f) {
            if idx < 0 {
                return Err(format!("array index {idx} cannot be negative"));
            }
            let Value::Array(items) = cur else {
                return Err(format!(
                    "'{f}' is a list step, but the field there is {}",
                    kind(cur)
                ));
            };
            match items.get_mut(idx as usize) {
                Some(e) => e,
                None => return Ok(false),
            }
        } else if f == "-" {
            let Value::Array(items) = cur else {
                return Err(format!(
                    "'-' is a list step, but the field there is {}",
                    kind(cur)
                ));
            };
            // kustomize crashes (index out of range) on an empty list.
            items
                .last_mut()
                .ok_or("'-' (the last element) steps into an empty list")?
        } else if f == "*" {
            return Err("wildcard is not supported in a ValueAdd field path".into());
        } else if f.starts_with('[') && f.ends_with(']') {
            let inner = &f[1..f.len() - 1];
            let (k, v) = inner.split_once('=').ok_or_else(|| {
                format!("list path element '{f}' must contain fieldName=fieldValue for element to match")
            })?;
            let Value::Array(items) = cur else {
                return Err(format!(
                    "'{f}' is a list step, but the field there is {}",
                    kind(cur)
                ));
            };
            let text = |e: &Value| crate::kustomize::transform::scalar_text(e);
            let found = if k.is_empty() {
                items
                    .iter()
                    .position(|e| !e.is_object() && !e.is_array() && text(e) == v)
            } else {
                items.iter().position(|e| {
                    e.get(k)
                        .is_some_and(|x| !x.is_object() && !x.is_array() && text(x) == v)
                })
            };
            let at = match found {
                Some(at) => at,
                None => {
                    let made = crate::yaml::plain_scalar(v).map_err(|e| e.message)?;
                    items.push(if k.is_empty() {
                        made
                    } else {
                        Value::Object([(k.to_string(), made)].into_iter().collect())
                    });
                    items.len() - 1
                }
            };
            &mut items[at]
        } else {
            let Value::Object(map) = cur else {
                return Err(format!(
                    "'{f}' is a field, but the value there is {}",
                    kind(cur)
                ));
            };
            map.entry(f.clone()).or_insert_with(|| match next {
                None => Value::Null,
                Some(n) if is_list_step(n) => Value::Array(Vec::new()),
                Some(_) => Value::Object(serde_json::Map::new()),
            })
        };
    }
    let current = match &*cur {
        Value::Null => String::new(),
        Value::Object(_) | Value::Array(_) => {
            return Err(format!(
                "the field path ends at {}, not a scalar",
                kind(cur)
            ))
        }
        v => crate::kustomize::transform::scalar_text(v),
    };
    let new = if position > 0 {
        insert_path_part(&current, (position - 1) as usize, value)
    } else {
        value.to_string()
    };
    *cur = crate::yaml::plain_scalar(&new).map_err(|e| e.message)?;
    Ok(true)
}

/// kyaml's `InsertPathPart`: `part` becomes path element `pos` of `path` (clamped),
/// keeping an absolute path absolute; the result is cleaned as Go's `filepath.Join`.
fn insert_path_part(path: &str, pos: usize, part: &str) -> String {
    if part.is_empty() {
        return path.to_string();
    }
    let mut parts: Vec<&str> = if path.is_empty() {
        Vec::new()
    } else if path.chars().all(|c| c == '/') {
        vec![""]
    } else {
        let trimmed = path.trim_end_matches('/');
        let mut v: Vec<&str> = trimmed.split('/').collect();
        if trimmed.starts_with('/') {
            v.retain(|s| !s.is_empty());
            v.insert(0, "");
        } else {
            v.retain(|s| !s.is_empty());
        }
        v
    };
    let mut pos = pos.min(parts.len());
    if parts.first() == Some(&"") && pos < parts.len() {
        pos += 1;
    }
    parts.insert(pos, part);
    let absolute = parts.first() == Some(&"");
    let joined = parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    let cleaned = clean_path(&joined);
    if absolute {
        if cleaned == "." {
            "/".to_string()
        } else {
            format!("/{cleaned}")
        }
    } else {
        cleaned
    }
}

/// Go's `filepath.Clean` for a relative path: `.` and empty elements dropped, `..`
/// resolved where it can be.
fn clean_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." if out.last().is_some_and(|l| *l != "..") => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    if out.is_empty() {
        ".".to_string()
    } else {
        out.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Refusals kustomize v5.5 also refuses (it panics on the empty list).
    #[test]
    fn list_steps_that_cannot_be_walked_are_errors() {
        let doc = serde_json::json!({"spec": {"list": [], "map": {}, "scalar": 1}});
        let doc = doc.as_object().unwrap();
        for (path, want) in [
            ("spec/list/-/x", "empty list"),
            ("spec/list/-1", "cannot be negative"),
            ("spec/map/0", "is a list step, but the field there is a map"),
            (
                "spec/scalar/x",
                "is a field, but the value there is a scalar",
            ),
            ("spec/map/[a]", "must contain fieldName=fieldValue"),
            ("spec/map", "ends at a map"),
        ] {
            let err = set_value(&mut doc.clone(), path, "v", 0).unwrap_err();
            assert!(err.contains(want), "{path}: {err}");
        }
    }

    // The table in kyaml's valueadd filter documentation (FilePathPosition = pos + 1).
    #[test]
    fn insert_path_part_follows_kyaml() {
        let cases = [
            ("", 0, "PEACH"),
            ("/", 0, "/PEACH"),
            ("pie", 0, "PEACH/pie"),
            ("/pie", 0, "/PEACH/pie"),
            ("raw", 1, "raw/PEACH"),
            ("/raw", 1, "/raw/PEACH"),
            ("a/nice/warm/pie", 3, "a/nice/warm/PEACH/pie"),
            ("/a/nice/warm/pie", 3, "/a/nice/warm/PEACH/pie"),
            ("raw", 9998, "raw/PEACH"),
        ];
        for (path, pos, want) in cases {
            assert_eq!(
                insert_path_part(path, pos, "PEACH"),
                want,
                "{path} at {pos}"
            );
        }
    }
}
