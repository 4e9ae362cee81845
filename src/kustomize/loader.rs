//! Reading files into kustomizations and resources: the kustomization file of a
//! folder, its fields (unknown ones are errors at their line), YAML streams through
//! the parse cache, and Kubernetes objects (`List`s expanded).

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::ctx::display_dir;
use crate::kustomize::fs::FileSystem;
use crate::kustomize::gojson;
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
    // kustomize reads its own file with `YAMLToJSON` (go-yaml v2): YAML 1.1 scalars
    // (`on` is a boolean, `2024-05-01` stays text) and a repeated key replaces the earlier
    // one; resources keep go-yaml v3's rules.
    let docs = yaml::parse_yaml_to_json(&text).map_err(|e| yaml_error(&file, e))?;
    let value = docs
        .iter()
        .map(|d| d.value.clone())
        .find(|v| !v.is_null())
        .unwrap_or(Value::Object(Default::default()));
    let Value::Object(map) = &value else {
        return Err(Error::new(
            ErrorKind::Syntax,
            file,
            "expected a mapping of kustomization fields",
        ));
    };
    let empty = is_empty_kustomization(map);
    let k = kustomization_from_value(&file, &text, value)?;
    if empty {
        return Err(Error::new(
            ErrorKind::Invalid,
            file,
            "the kustomization is empty: it sets no field besides apiVersion and kind; list what to build under resources (an explicit `resources: []` builds nothing)",
        ));
    }
    check_type_meta(&file, &text, &k)?;
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

/// Reads kustomization fields from a parsed document as kustomize does (field names
/// case-insensitive, `null` the zero value: see `gojson`); `text` is its source, for lines
/// in errors.
pub fn kustomization_from_value(file: &str, text: &str, value: Value) -> Result<Kustomization> {
    gojson::from_value(value).map_err(|e| kustomization_field_error(file, text, e))
}

/// kustomize refuses a kustomization whose fields, once read, all hold their zero value
/// (apiVersion and kind aside): a missing, `null`, `""`, `false` or `0` field is zero, an
/// empty list or mapping is not (`resources: []` builds nothing, without error) except
/// under `bases` and `imageTags`, which kustomize folds into other lists first.
fn is_empty_kustomization(map: &serde_json::Map<String, Value>) -> bool {
    map.iter().all(|(key, v)| {
        let key = key.to_ascii_lowercase();
        if key == "apiversion" || key == "kind" {
            return true;
        }
        match v {
            Value::Null | Value::Bool(false) => true,
            Value::String(s) => s.is_empty(),
            Value::Number(n) => n.as_f64() == Some(0.0),
            Value::Array(a) => a.is_empty() && (key == "bases" || key == "imagetags"),
            _ => false,
        }
    })
}

/// kustomize's check of `kind` and `apiVersion`: a Kustomization is
/// `kustomize.config.k8s.io/v1beta1`, a Component `kustomize.config.k8s.io/v1alpha1`;
/// either may be left out.
fn check_type_meta(file: &str, text: &str, k: &Kustomization) -> Result<()> {
    let kind = k.kind.as_deref().unwrap_or("");
    let (kind, want) = match kind {
        "" | "Kustomization" => ("Kustomization", "kustomize.config.k8s.io/v1beta1"),
        "Component" => ("Component", "kustomize.config.k8s.io/v1alpha1"),
        other => {
            return Err(Error::new(
                ErrorKind::Invalid,
                file.to_string(),
                format!("kind {other:?} is not a kustomization kind; kind should be Kustomization or Component"),
            )
            .at_line(yaml::line_of_key(text, "kind").unwrap_or(0)))
        }
    };
    match k.api_version.as_deref() {
        None | Some("") => Ok(()),
        Some(v) if v == want => Ok(()),
        Some(v) => Err(Error::new(
            ErrorKind::Invalid,
            file.to_string(),
            format!("apiVersion {v:?} is wrong: apiVersion for {kind} should be {want}"),
        )
        .at_line(yaml::line_of_key(text, "apiVersion").unwrap_or(0))),
    }
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
        None => yaml::parse_objects(text).map(std::sync::Arc::new),
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
        let list = is_list(&doc.value);
        for mut r in objects_of(doc.value.clone(), &origin)? {
            r.meta.annotation_text = annotation_text(&r, &doc.annotation_text);
            if !list {
                // kustomize turns a List's items into maps and back: their text is gone.
                r.meta.blank_values = doc.blank_values.clone();
            }
            out.append(r)?;
        }
    }
    Ok(out)
}

/// The source text of the object's annotations that resolved to something else: kustomize
/// reads annotations as the text written (kyaml's `GetAnnotations`), so `1.50` stays
/// "1.50" and an empty value "" for selectors and in the output.
fn annotation_text(r: &Resource, text: &[(String, String)]) -> Vec<(String, String, Value)> {
    text.iter()
        .filter_map(|(key, raw)| {
            let loaded = r.doc.get("metadata")?.get("annotations")?.get(key)?;
            Some((key.clone(), raw.clone(), loaded.clone()))
        })
        .collect()
}

/// Whether a document is a `List` whose items [`objects_of`] returns.
fn is_list(doc: &Value) -> bool {
    doc.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && doc.get("items").is_some()
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
