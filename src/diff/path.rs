//! Field paths inside a resource (`spec.template.spec.containers[name=web].image`):
//! how they print, and patterns over them for `--ignore`.

use serde_json::Value;
use std::fmt;

/// One step into a document.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A list item by position.
    Index(usize),
    /// A list item by its `name` field (lists of named items are matched by name).
    Named(String),
}

/// A path from the document root.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct FieldPath(pub Vec<Seg>);

impl FieldPath {
    pub fn child(&self, seg: Seg) -> FieldPath {
        let mut v = self.0.clone();
        v.push(seg);
        FieldPath(v)
    }

    /// The key at position `i`, when that step is a mapping key.
    pub fn key(&self, i: usize) -> Option<&str> {
        match self.0.get(i) {
            Some(Seg::Key(k)) => Some(k),
            _ => None,
        }
    }
}

/// Keys printed bare after a dot; anything else is quoted in brackets so a key
/// holding dots (`app.kubernetes.io/name`) cannot be misread as a deeper path.
fn bare(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Seg::Key(k) if bare(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Seg::Key(k) => write!(f, "[{}]", Value::String(k.clone()))?,
                Seg::Index(n) => write!(f, "[{n}]")?,
                Seg::Named(n) if bare(n) || n.bytes().all(|b| b != b']' && b != b'"') => {
                    write!(f, "[name={n}]")?
                }
                Seg::Named(n) => write!(f, "[name={}]", Value::String(n.clone()))?,
            }
        }
        Ok(())
    }
}

/// One step of an `--ignore` pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatSeg {
    Key(String),
    /// `*`: any mapping key.
    AnyKey,
    Index(usize),
    Named(String),
    /// `[*]`: any list item.
    AnyItem,
}

/// Parses `spec.containers[name=web].image`, `metadata.annotations["a.b/c"]`,
/// `data.*`, `spec.ports[0]`, `containers[*].image`.
pub fn parse_pattern(s: &str) -> Result<Vec<PatSeg>, String> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    let bad = |why: &str| {
        format!("'{s}': {why}; write a field path like spec.replicas, metadata.annotations[\"a.b/c\"] or spec.template.spec.containers[name=web].image")
    };
    while i < b.len() {
        match b[i] {
            b'.' if i > 0 => {
                i += 1;
                if matches!(b.get(i), None | Some(b'.' | b'[')) {
                    return Err(bad("an empty step"));
                }
            }
            b'[' => {
                // `end` is the index of the closing `]`.
                let end = if b.get(i + 1) == Some(&b'"') {
                    // A JSON string: find its closing quote, skipping escapes.
                    let mut j = i + 2;
                    while j < b.len() && b[j] != b'"' {
                        j += if b[j] == b'\\' { 2 } else { 1 };
                    }
                    if b.get(j + 1) != Some(&b']') {
                        return Err(bad("an unclosed ["));
                    }
                    j + 1
                } else {
                    i + 1 + s[i + 1..].find(']').ok_or_else(|| bad("an unclosed ["))?
                };
                let inner = &s[i + 1..end];
                let seg = if inner.starts_with('"') {
                    let k: String =
                        serde_json::from_str(inner).map_err(|_| bad("a badly quoted key"))?;
                    PatSeg::Key(k)
                } else if inner == "*" {
                    PatSeg::AnyItem
                } else if let Some(n) = inner.strip_prefix("name=") {
                    PatSeg::Named(n.trim_matches('"').to_string())
                } else if let Ok(n) = inner.parse() {
                    PatSeg::Index(n)
                } else {
                    return Err(bad("brackets hold a number, name=NAME, * or a quoted key"));
                };
                out.push(seg);
                i = end + 1;
            }
            _ => {
                let start = if b[i] == b'.' { i + 1 } else { i };
                let end = s[start..].find(['.', '[']).map_or(s.len(), |e| start + e);
                let k = &s[start..end];
                if k.is_empty() {
                    return Err(bad("an empty step"));
                }
                out.push(if k == "*" {
                    PatSeg::AnyKey
                } else {
                    PatSeg::Key(k.to_string())
                });
                i = end;
            }
        }
    }
    if out.is_empty() {
        return Err(bad("an empty path"));
    }
    Ok(out)
}

/// Removes every field the pattern matches from `doc`.
pub fn prune(doc: &mut Value, pat: &[PatSeg]) {
    let Some((first, rest)) = pat.split_first() else {
        return;
    };
    match (first, doc) {
        (PatSeg::Key(k), Value::Object(m)) => {
            if rest.is_empty() {
                m.remove(k);
            } else if let Some(v) = m.get_mut(k) {
                prune(v, rest);
            }
        }
        (PatSeg::AnyKey, Value::Object(m)) => {
            if rest.is_empty() {
                m.clear();
            } else {
                m.values_mut().for_each(|v| prune(v, rest));
            }
        }
        (PatSeg::Index(n), Value::Array(a)) => {
            if rest.is_empty() {
                if *n < a.len() {
                    a.remove(*n);
                }
            } else if let Some(v) = a.get_mut(*n) {
                prune(v, rest);
            }
        }
        (PatSeg::Named(n), Value::Array(a)) => {
            let is = |v: &Value| v.get("name").and_then(Value::as_str) == Some(n);
            if rest.is_empty() {
                a.retain(|v| !is(v));
            } else {
                a.iter_mut().filter(|v| is(v)).for_each(|v| prune(v, rest));
            }
        }
        (PatSeg::AnyItem, Value::Array(a)) => {
            if rest.is_empty() {
                a.clear();
            } else {
                a.iter_mut().for_each(|v| prune(v, rest));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prints_paths() {
        let p = FieldPath(vec![
            Seg::Key("spec".into()),
            Seg::Key("containers".into()),
            Seg::Named("web".into()),
            Seg::Key("args".into()),
            Seg::Index(2),
        ]);
        assert_eq!(p.to_string(), "spec.containers[name=web].args[2]");
        let p = FieldPath(vec![
            Seg::Key("metadata".into()),
            Seg::Key("annotations".into()),
            Seg::Key("app.kubernetes.io/name".into()),
        ]);
        assert_eq!(
            p.to_string(),
            "metadata.annotations[\"app.kubernetes.io/name\"]"
        );
    }

    #[test]
    fn parses_patterns() {
        assert_eq!(
            parse_pattern("spec.containers[name=web].image").unwrap(),
            vec![
                PatSeg::Key("spec".into()),
                PatSeg::Key("containers".into()),
                PatSeg::Named("web".into()),
                PatSeg::Key("image".into())
            ]
        );
        assert_eq!(
            parse_pattern("metadata.annotations[\"a.b/c\"]").unwrap(),
            vec![
                PatSeg::Key("metadata".into()),
                PatSeg::Key("annotations".into()),
                PatSeg::Key("a.b/c".into())
            ]
        );
        assert_eq!(
            parse_pattern("data.*").unwrap(),
            vec![PatSeg::Key("data".into()), PatSeg::AnyKey]
        );
        assert_eq!(
            parse_pattern("a[*].b[3]").unwrap(),
            vec![
                PatSeg::Key("a".into()),
                PatSeg::AnyItem,
                PatSeg::Key("b".into()),
                PatSeg::Index(3)
            ]
        );
        assert!(parse_pattern("a[").is_err());
        assert!(parse_pattern("a..b").is_err());
        assert!(parse_pattern("").is_err());
    }

    #[test]
    fn prunes_matching_fields() {
        let mut d = json!({"spec": {"containers": [{"name": "web", "image": "a"}, {"name": "log", "image": "b"}]},
                           "metadata": {"annotations": {"a.b/c": "x", "keep": "y"}}});
        prune(&mut d, &parse_pattern("spec.containers[*].image").unwrap());
        prune(
            &mut d,
            &parse_pattern("metadata.annotations[\"a.b/c\"]").unwrap(),
        );
        assert_eq!(
            d,
            json!({"spec": {"containers": [{"name": "web"}, {"name": "log"}]},
                   "metadata": {"annotations": {"keep": "y"}}})
        );
    }
}
