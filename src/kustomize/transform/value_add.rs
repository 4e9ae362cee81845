//! ValueAddTransformer (a builtin plugin with no kustomization field): puts one value
//! into a field of selected resources, or into the file path held there.
//!
//! As kustomize v5.5: a field path is `/`-separated (`\/` escapes a slash) and created
//! as maps on the way; `metadata/namespace` is set as the namespace transformer sets it
//! (namespaced kinds only, RoleBinding subjects named `default`), without storing the
//! previous identity. kyaml reads numeric, `-` and `[k=v]` elements as list steps, with
//! results of its own; strata refuses them.

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

/// Sets one `/`-separated field (`\/` escapes a slash), creating maps on the way.
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
    // kyaml reads numeric, `-` and `[k=v]` elements as list steps, with results of its
    // own (a list index that is missing leaves an empty list); strata names only maps.
    if let Some(f) = fields
        .iter()
        .find(|f| f.starts_with('[') || f.as_str() == "-" || f.parse::<i64>().is_ok())
    {
        return Err(format!(
            "the path element '{f}' steps into a list, which strata does not support here; \
             use a patch or a replacement for list fields"
        ));
    }
    let (leaf, parents) = fields.split_last().ok_or("the field path is empty")?;
    let mut map = doc;
    for f in parents {
        let next = map
            .entry(f.clone())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if next.is_null() {
            *next = Value::Object(serde_json::Map::new());
        }
        map = next
            .as_object_mut()
            .ok_or_else(|| format!("'{f}' is not a map"))?;
    }
    let slot = map.entry(leaf.clone()).or_insert(Value::Null);
    let current = match slot {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return Err(format!("'{leaf}' is not a scalar")),
    };
    let new = if position > 0 {
        insert_path_part(&current, (position - 1) as usize, value)
    } else {
        value.to_string()
    };
    *slot = Value::String(new);
    Ok(vec![fields.join(".")])
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
