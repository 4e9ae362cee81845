//! `vars`: `$(NAME)` in the `varReference` fields replaced by a field of the object a
//! var names, as kustomize v5.5 does (deprecated there in favour of `replacements`).
//!
//! Each kustomization, after its transformers, marks the one object each of its vars
//! names (by any name it has had, so the raw name before prefixes works) and adds the
//! vars to the build's set, where a name declared twice is an error. Once at the root,
//! after name back-references, each var takes the value of its field on the marked
//! object (its final name, prefixes and hashes included) and every `$(NAME)` is
//! replaced. A `$(NAME)` of no var stays as written; `$$` is a literal `$`.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::fieldspec::{split_path, walk};
use crate::kustomize::kustomization::Var;
use crate::kustomize::resmap::ResMap;
use crate::kustomize::resource::{Gvk, ResId};
use serde_json::Value;
use std::collections::BTreeMap;

/// The default field path of a var (`fieldref` left out).
const DEFAULT_FIELD_PATH: &str = "metadata.name";

/// Marks the objects `vars` name and declares the vars (kustomize's `MergeVars`).
pub fn declare(ra: &mut ResMap, vars: &[Var], file: &str) -> Result<()> {
    for v in vars {
        let (group, version) = v.objref.group_version();
        let target = ResId {
            gvk: Gvk {
                group,
                version,
                kind: v.objref.kind.clone(),
            },
            name: v.objref.name.clone(),
            namespace: v.objref.namespace.clone(),
        };
        // Without a namespace, a namespaced target matches in any namespace.
        let exact = !target.namespace.is_empty() || target.gvk.is_cluster_scoped();
        let matches = |id: &ResId| {
            if exact {
                id.same_object(&target)
            } else {
                id.gvk == target.gvk && id.name == target.name
            }
        };
        let matched: Vec<usize> = ra
            .iter()
            .enumerate()
            .filter(|(_, r)| r.all_ids().any(|id| matches(&id)))
            .map(|(i, _)| i)
            .collect();
        if matched.len() > 1 {
            return Err(Error::new(
                ErrorKind::Conflict,
                file,
                format!(
                    "found {} resId matches for var '{}' (unable to disambiguate): objref {} \
                     names several objects; add `namespace` (or `apiVersion`) to its objref",
                    matched.len(),
                    v.name,
                    describe(v)
                ),
            ));
        }
        if let Some(&i) = matched.first() {
            ra.resources[i].meta.ref_vars.push(v.name.clone());
        }
        let mut v = v.clone();
        v.declared_in = file.to_string();
        if v.fieldref.field_path.is_empty() {
            v.fieldref.field_path = DEFAULT_FIELD_PATH.to_string();
        }
        ra.add_var(v, file)?;
    }
    Ok(())
}

/// Replaces every `$(NAME)` of a declared var (kustomize's `ResolveVars`); returns the
/// warning kustomize logs for vars that were never used.
pub fn resolve(ra: &mut ResMap) -> Result<Option<String>> {
    if ra.vars.is_empty() {
        return Ok(None);
    }
    let mut values: BTreeMap<String, Value> = BTreeMap::new();
    for v in &ra.vars {
        let owner = ra
            .iter()
            .find(|r| r.meta.ref_vars.contains(&v.name))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Missing,
                    v.declared_in.clone(),
                    format!(
                        "var '{}' cannot be mapped to a field in the set of known resources: no \
                         object of the build is {}; fix its objref (apiVersion, kind and the name \
                         as written, before prefixes){}",
                        v.name,
                        describe(v),
                        if v.objref.group_version().1.is_empty() {
                            "; it has no apiVersion, and kustomize matches the apiVersion exactly"
                        } else {
                            ""
                        }
                    ),
                )
            })?;
        let value = field_value(&owner.doc, &v.fieldref.field_path).ok_or_else(|| {
            Error::new(
                ErrorKind::Missing,
                v.declared_in.clone(),
                format!(
                    "field specified in var '{}' not found in corresponding resource: {} {} \
                     (from {}) has no '{}'; fix the var's fieldref",
                    v.name,
                    owner.kind(),
                    owner.name(),
                    owner.origin.file,
                    v.fieldref.field_path
                ),
            )
        })?;
        values.insert(v.name.clone(), value);
    }
    let specs = ra.config.or_defaults().var_reference.clone();
    let mut used: BTreeMap<&str, usize> = BTreeMap::new();
    let mut lookup = |name: &str| -> Option<Value> {
        let (key, value) = values.get_key_value(name)?;
        if value.is_object() || value.is_array() {
            // kustomize cannot put a map or list into a string: left as written.
            return None;
        }
        *used.entry(key.as_str()).or_default() += 1;
        Some(value.clone())
    };
    for r in ra.iter_mut() {
        let gvk = r.gvk();
        let id = r.cur_id();
        let mut doc = Value::Object(std::mem::take(&mut r.doc));
        let mut result = Ok(());
        let mut changed = Vec::new();
        for fs in specs.iter().filter(|fs| fs.matches(&gvk)) {
            let segments = split_path(&fs.path);
            let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
            let mut bad = None;
            // kustomize writes a float var as plain decimal text, which annotations
            // (strings in the output) keep; elsewhere the number prints the same.
            let annotations = segs.last() == Some(&"annotations");
            let walked = walk(&mut doc, &segs, None, &mut |v, path| {
                match replace_in(v, &mut lookup) {
                    Ok(true) => {
                        if annotations {
                            floats_as_text(v);
                        }
                        changed.push(path.to_string());
                    }
                    Ok(false) => {}
                    Err(what) => bad = Some(format!("'{path}': {what}")),
                }
                Ok(())
            });
            if let Err(e) = walked {
                bad = Some(format!("'{}' is not a map or list", e.at));
            }
            if let Some(what) = bad {
                result = Err(Error::new(
                    ErrorKind::Transform,
                    r.origin.file.clone(),
                    format!(
                        "cannot replace vars at '{}' of {id}: {what}; fix the object, or the \
                         varReference field specs",
                        fs.path
                    ),
                )
                .at_line(r.origin.line));
                break;
            }
        }
        if let Value::Object(m) = doc {
            r.doc = m;
        }
        result?;
        if !changed.is_empty() {
            r.record("vars", "kustomization", changed);
        }
    }
    let unused: Vec<&str> = values
        .keys()
        .map(String::as_str)
        .filter(|k| !used.contains_key(k))
        .collect();
    Ok((!unused.is_empty()).then(|| {
        format!(
            "well-defined vars that were never replaced: {}",
            unused.join(",")
        )
    }))
}

/// How a var's objref reads in messages.
fn describe(v: &Var) -> String {
    let (group, version) = v.objref.group_version();
    let api = match (group.as_str(), version.as_str()) {
        ("", "") => String::new(),
        ("", v) => format!("{v} "),
        (g, v) => format!("{g}/{v} "),
    };
    let ns = if v.objref.namespace.is_empty() {
        String::new()
    } else {
        format!("{}/", v.objref.namespace)
    };
    format!("{api}{} {ns}{}", v.objref.kind, v.objref.name)
}

/// Replaces the vars in a string, a map's string values or a list of strings.
/// Ok(true) when something changed; Err for a list holding a non-string.
fn replace_in(
    v: &mut Value,
    lookup: &mut dyn FnMut(&str) -> Option<Value>,
) -> std::result::Result<bool, &'static str> {
    match v {
        Value::String(s) => {
            let new = expand(s, lookup);
            let changed = new != *v;
            *v = new;
            Ok(changed)
        }
        Value::Object(map) => {
            let mut changed = false;
            for val in map.values_mut() {
                if let Value::String(s) = val {
                    let new = expand(s, lookup);
                    changed |= new != *val;
                    *val = new;
                }
            }
            Ok(changed)
        }
        Value::Array(items) => {
            let mut changed = false;
            for item in items.iter_mut() {
                let Value::String(s) = item else {
                    return Err("a list of vars must hold only strings");
                };
                let new = expand(s, lookup);
                changed |= new != *item;
                *item = new;
            }
            Ok(changed)
        }
        _ => Ok(false),
    }
}

/// The float values of a map as the plain decimal text kustomize gives them.
fn floats_as_text(v: &mut Value) {
    if let Value::Object(map) = v {
        for val in map.values_mut() {
            if let Value::Number(n) = val {
                if let (Some(f), false) = (n.as_f64(), n.is_i64() || n.is_u64()) {
                    *val = Value::String(format!("{f}"));
                }
            }
        }
    }
}

/// kustomize's `DoReplacements`: `$(NAME)` → the var's value (typed when it is the
/// whole string), `$$` → `$`, anything else unchanged.
fn expand(input: &str, lookup: &mut dyn FnMut(&str) -> Option<Value>) -> Value {
    let bytes = input.as_bytes();
    let mut out = String::new();
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance = match bytes[cursor + 1] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match rest[1..].find(')') {
                    Some(end) => {
                        let name = &rest[1..1 + end];
                        let mapped = lookup(name);
                        if input.len() == name.len() + 3 {
                            // The whole string is one var: keep the value's type.
                            return mapped.unwrap_or_else(|| Value::String(input.to_string()));
                        }
                        match mapped {
                            Some(value) => out.push_str(&text_of(&value)),
                            None => {
                                out.push_str("$(");
                                out.push_str(name);
                                out.push(')');
                            }
                        }
                        end + 2
                    }
                    None => {
                        out.push_str("$(");
                        1
                    }
                },
                _ => {
                    // `$` and the next character, copied as they are.
                    let c = rest.chars().next().map_or(1, char::len_utf8);
                    out.push('$');
                    out.push_str(&rest[..c]);
                    c
                }
            };
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    out.push_str(&input[checkpoint.min(input.len())..]);
    Value::String(out)
}

/// A scalar value as Go's `%v` prints it.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() => go_float(f),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// Go's `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): shortest digits,
/// the exponent form below 1e-4 and from 1e6 (`1e+06`).
fn go_float(f: f64) -> String {
    let exp = if f == 0.0 {
        0
    } else {
        f.abs().log10().floor() as i32
    };
    if (-4..6).contains(&exp) {
        format!("{f}")
    } else {
        let s = format!("{f:e}");
        match s.split_once('e') {
            Some((m, e)) => {
                let (sign, digits) = match e.strip_prefix('-') {
                    Some(d) => ('-', d),
                    None => ('+', e),
                };
                format!("{m}e{sign}{digits:0>2}")
            }
            None => s,
        }
    }
}

/// The value at a var's dotted field path (kyaml's `GetFieldValue`): `a.b[0].c`,
/// `a.[k=v].c`, and `\.` for a dot inside a key.
fn field_value(doc: &serde_json::Map<String, Value>, path: &str) -> Option<Value> {
    let parts = path_parts(path);
    let (first, rest) = parts.split_first()?;
    let mut cur = doc.get(first.as_str())?;
    for part in rest {
        cur = step(cur, part)?;
    }
    match cur {
        Value::Null => None,
        v => Some(v.clone()),
    }
}

fn step<'a>(v: &'a Value, part: &str) -> Option<&'a Value> {
    match v {
        Value::Object(m) => m.get(part),
        Value::Array(items) => {
            if let Some(sel) = part.strip_prefix('[').and_then(|p| p.strip_suffix(']')) {
                let (k, want) = sel.split_once('=')?;
                items
                    .iter()
                    .find(|i| i.get(k).is_some_and(|x| scalar_is(x, want)))
            } else {
                items.get(part.parse::<usize>().ok()?)
            }
        }
        _ => None,
    }
}

fn scalar_is(v: &Value, want: &str) -> bool {
    match v {
        Value::String(s) => s == want,
        Value::Number(n) => n.to_string() == want,
        Value::Bool(b) => b.to_string() == want,
        _ => false,
    }
}

/// kyaml's `SmarterPathSplitter(path, ".")` then `convertSliceIndex`.
fn path_parts(path: &str) -> Vec<String> {
    let mut split: Vec<String> = Vec::new();
    let mut raw: Vec<&str> = path.split('.').collect();
    if raw.len() > 1 && raw[0].is_empty() {
        raw.remove(0);
    }
    for p in raw {
        match split.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('.');
                last.push_str(p);
            }
            _ => split.push(p.to_string()),
        }
    }
    let mut merged: Vec<String> = Vec::new();
    let mut i = 0;
    while i < split.len() {
        let elem = &split[i];
        if elem.starts_with('[') && !elem.ends_with(']') {
            let mut bracketed = vec![elem.clone()];
            while i < split.len() - 1 {
                i += 1;
                bracketed.push(split[i].clone());
                if split[i].ends_with(']') {
                    break;
                }
            }
            let joined = bracketed.join(".");
            if joined.contains('=') {
                merged.push(joined);
            } else {
                merged.push(joined.trim_matches(|c| c == '[' || c == ']').to_string());
            }
        } else {
            merged.push(elem.clone());
        }
        i += 1;
    }
    let mut out = Vec::new();
    for s in merged {
        if let Some((head, idx)) = slice_index(&s) {
            if !head.is_empty() {
                out.push(head.to_string());
            }
            out.push(idx.to_string());
        } else {
            out.push(s);
        }
    }
    out
}

/// `ports[0]` → (`ports`, `0`).
fn slice_index(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_suffix(']')?;
    let open = inner.rfind('[')?;
    let idx = &inner[open + 1..];
    (!idx.is_empty() && idx.bytes().all(|b| b.is_ascii_digit())).then(|| (&inner[..open], idx))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(input: &str) -> Value {
        let vars: BTreeMap<&str, Value> =
            [("A", json!("x")), ("N", json!(80)), ("F", json!(1.5))].into();
        expand(input, &mut |n| vars.get(n).cloned())
    }

    // Expected values from `kubectl kustomize` (v5.5.0) on the same strings.
    #[test]
    fn expands_as_kustomize() {
        assert_eq!(run("$(A)"), json!("x"));
        assert_eq!(run("$(N)"), json!(80));
        assert_eq!(run("$(A):$(N)"), json!("x:80"));
        assert_eq!(run("$(NOPE)"), json!("$(NOPE)"));
        assert_eq!(run("a $(NOPE) b"), json!("a $(NOPE) b"));
        assert_eq!(run("$$(A)"), json!("$(A)"));
        assert_eq!(run("x $(A"), json!("x $(A"));
        assert_eq!(run("$"), json!("$"));
        assert_eq!(run("a$b$(A)"), json!("a$bx"));
        assert_eq!(run("é$(A)é"), json!("éxé"));
        assert_eq!(run("$é"), json!("$é"));
        assert_eq!(run("v=$(F)"), json!("v=1.5"));
        assert_eq!(go_float(1e6), "1e+06");
        assert_eq!(go_float(123456.0), "123456");
        assert_eq!(go_float(0.00001), "1e-05");
    }

    #[test]
    fn field_paths_as_kyaml_splits_them() {
        assert_eq!(
            path_parts("spec.ports[0].port"),
            vec!["spec", "ports", "0", "port"]
        );
        assert_eq!(
            path_parts("metadata.annotations.a\\.b"),
            vec!["metadata", "annotations", "a.b"]
        );
        assert_eq!(
            path_parts("spec.containers.[name=a.b].image"),
            vec!["spec", "containers", "[name=a.b]", "image"]
        );
        let doc = json!({"spec": {"ports": [{"port": 80}], "containers": [
            {"name": "a.b", "image": "i"}]}});
        let doc = doc.as_object().unwrap();
        assert_eq!(field_value(doc, "spec.ports[0].port"), Some(json!(80)));
        assert_eq!(
            field_value(doc, "spec.containers.[name=a.b].image"),
            Some(json!("i"))
        );
        assert_eq!(field_value(doc, "spec.nope"), None);
    }
}
