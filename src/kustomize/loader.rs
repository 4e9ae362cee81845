//! Reading files into kustomizations and resources: the kustomization file of a
//! folder, its fields (unknown ones are errors at their line), YAML streams through
//! the parse cache, and Kubernetes objects (`List`s expanded).

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::ctx::display_dir;
use crate::kustomize::fs::FileSystem;
use crate::kustomize::kustomization::{Kustomization, FILE_NAMES};
use crate::kustomize::resmap::ResMap;
use crate::kustomize::resource::{Origin, Resource};
use crate::yaml;
use serde_json::Value;

/// Reads and checks `DIR/kustomization.yaml` (or `.yml`, or `Kustomization`).
pub fn load_kustomization(
    fs: &dyn FileSystem,
    dir: &str,
    warnings: &mut Vec<String>,
) -> Result<(Kustomization, String)> {
    let mut found = Vec::new();
    for name in FILE_NAMES {
        let p = if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        };
        if fs.is_file(&p) {
            found.push(p);
        }
    }
    let file = match found.len() {
        0 => {
            let what = if fs.is_dir(dir) {
                "has no kustomization.yaml"
            } else {
                "does not exist"
            };
            return Err(Error::new(
                ErrorKind::Missing,
                display_dir(dir).to_string(),
                format!(
                    "{what}; a kustomization directory needs one of {}",
                    FILE_NAMES.join(", ")
                ),
            ));
        }
        1 => found.pop().unwrap_or_default(),
        _ => {
            return Err(Error::new(
                ErrorKind::Invalid,
                display_dir(dir).to_string(),
                format!(
                    "has more than one kustomization file ({}); keep one",
                    found.join(", ")
                ),
            ))
        }
    };
    let bytes = fs.read(&file).map_err(|e| Error::from(e).in_file(&file))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::new(ErrorKind::Syntax, file.clone(), "not UTF-8 text"))?;
    let docs = parse_docs(fs, &file, &text)?;
    let value = docs
        .iter()
        .map(|d| d.value.clone())
        .find(|v| !v.is_null())
        .unwrap_or(Value::Object(Default::default()));
    if !value.is_object() {
        return Err(Error::new(
            ErrorKind::Syntax,
            file,
            "expected a mapping of kustomization fields",
        ));
    }
    let k = kustomization_from_value(&file, &text, value)?;
    if !k.common_labels.is_empty() {
        warnings.push(
            "# Warning: 'commonLabels' is deprecated. Please use 'labels' instead. Run 'kustomize edit fix' to update your Kustomization automatically."
                .to_string(),
        );
    }
    if !k.vars.is_empty() {
        warnings.push(
            "# Warning: 'vars' is deprecated. Please use 'replacements' instead. [EXPERIMENTAL] Run 'kustomize edit fix' to update your Kustomization automatically."
                .to_string(),
        );
    }
    Ok((k, file))
}

/// Reads kustomization fields from a parsed document; `text` is its source, for lines in errors.
pub fn kustomization_from_value(file: &str, text: &str, value: Value) -> Result<Kustomization> {
    serde_json::from_value(value).map_err(|e| kustomization_field_error(file, text, e))
}

/// Turns a YAML error into a user error at the file and line.
pub fn yaml_error(file: &str, e: yaml::YamlError) -> Error {
    Error::new(
        ErrorKind::Syntax,
        file.to_string(),
        format!("invalid YAML: {}", e.message),
    )
    .at_line(e.line)
}

fn kustomization_field_error(file: &str, text: &str, e: serde_json::Error) -> Error {
    let msg = crate::redact::serde_message(&e);
    // serde says "unknown field `reources`, expected one of ..."; find its line.
    let field = msg.split('`').nth(1).unwrap_or("");
    let line = if field.is_empty() {
        0
    } else {
        yaml::line_of_key(text, field).unwrap_or(0)
    };
    let hint = if msg.starts_with("unknown field") {
        format!("unknown field `{field}` in a kustomization; check the spelling (kustomize v5 fields: resources, components, patches, images, labels, ...)")
    } else {
        format!("invalid kustomization: {msg}")
    };
    Error::new(ErrorKind::Invalid, file.to_string(), hint).at_line(line)
}

/// The YAML documents of `text` (the content of `path`), through the view's parse
/// cache when it has one.
pub fn parse_docs(
    fs: &dyn FileSystem,
    path: &str,
    text: &str,
) -> Result<std::sync::Arc<Vec<yaml::Doc>>> {
    match fs.parse_cache() {
        Some(cache) => cache.parse(text),
        None => yaml::parse_stream(text).map(std::sync::Arc::new),
    }
    .map_err(|e| yaml_error(path, e))
}

/// Parses a file of Kubernetes objects (multi-document, `kind: List` expanded).
pub fn load_resources(fs: &dyn FileSystem, path: &str, text: &str) -> Result<ResMap> {
    let docs = parse_docs(fs, path, text)?;
    let mut out = ResMap::new();
    for doc in docs.iter() {
        let origin = Origin {
            file: path.to_string(),
            line: doc.line,
            generated_by: None,
        };
        for r in objects_of(doc.value.clone(), &origin)? {
            out.append(r)?;
        }
    }
    Ok(out)
}

/// One document as resources: nothing for an empty one, the items of a `List`.
fn objects_of(value: Value, origin: &Origin) -> Result<Vec<Resource>> {
    let map = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Object(m) => m,
        _ => {
            return Err(Error::new(
                ErrorKind::Syntax,
                origin.file.clone(),
                "expected a Kubernetes object (a mapping with apiVersion, kind, metadata)",
            )
            .at_line(origin.line))
        }
    };
    if map.is_empty() {
        return Ok(Vec::new());
    }
    let kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind.ends_with("List") && map.contains_key("items") {
        let mut out = Vec::new();
        if let Some(Value::Array(items)) = map.get("items") {
            for item in items {
                out.extend(objects_of(item.clone(), origin)?);
            }
        }
        return Ok(out);
    }
    if kind.is_empty() {
        return Err(Error::new(
            ErrorKind::Invalid,
            origin.file.clone(),
            "object has no `kind`; every resource needs apiVersion and kind",
        )
        .at_line(origin.line));
    }
    let name = map
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if name.is_empty() {
        return Err(Error::new(
            ErrorKind::Invalid,
            origin.file.clone(),
            format!("{kind} has no metadata.name; every resource needs a name"),
        )
        .at_line(origin.line));
    }
    Ok(vec![Resource::new(map, origin.clone())])
}
