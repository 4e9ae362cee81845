//! Which resources are "the same resource" across clusters: by group, kind,
//! namespace and name, with kustomize's content-hash suffixes paired by stem.

use serde_json::{Map, Value};

/// A resource's identity for matching across clusters. Sorted by the label a
/// reader sees first, so the table reads in a stable, alphabetical order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub kind: String,
    pub namespace: String,
    /// The name, or its stem when it ends in a kustomize hash suffix.
    pub name: String,
    /// Whether `name` is a stem (the suffix stripped).
    pub hashed: bool,
    pub group: String,
}

impl Key {
    /// The identity as written in the table: `Deployment web/web`, `ConfigMap
    /// web/web-config-*` (a hash-suffixed name), `ClusterRole reader`.
    pub fn label(&self, with_group: bool) -> String {
        let mut s = self.kind.clone();
        if with_group && !self.group.is_empty() {
            s.push('.');
            s.push_str(&self.group);
        }
        s.push(' ');
        if !self.namespace.is_empty() {
            s.push_str(&self.namespace);
            s.push('/');
        }
        s.push_str(&self.name);
        if self.hashed {
            s.push_str("-*");
        }
        s
    }

    /// Whether the document is a core-group `Secret`, whose values are hidden.
    pub fn is_secret(&self) -> bool {
        self.group.is_empty() && self.kind == "Secret"
    }
}

fn str_at<'a>(doc: &'a Map<String, Value>, a: &str, b: Option<&str>) -> &'a str {
    let v = doc.get(a);
    let v = match b {
        Some(b) => v.and_then(|v| v.get(b)),
        None => v,
    };
    v.and_then(Value::as_str).unwrap_or("")
}

/// The keys of one cluster's documents, in document order. A name that ends in a
/// hash suffix is keyed by its stem, unless that would give two documents of the
/// cluster one key; then those keep their full names.
pub fn keys(docs: &[&Map<String, Value>]) -> Vec<Key> {
    let full: Vec<Key> = docs
        .iter()
        .map(|d| {
            let api = str_at(d, "apiVersion", None);
            Key {
                kind: str_at(d, "kind", None).to_string(),
                namespace: str_at(d, "metadata", Some("namespace")).to_string(),
                name: str_at(d, "metadata", Some("name")).to_string(),
                hashed: false,
                group: api
                    .split_once('/')
                    .map(|(g, _)| g)
                    .unwrap_or("")
                    .to_string(),
            }
        })
        .collect();
    let stemmed: Vec<Key> = full
        .iter()
        .map(|k| match hash_stem(&k.name) {
            Some(stem) => Key {
                name: stem.to_string(),
                hashed: true,
                ..k.clone()
            },
            None => k.clone(),
        })
        .collect();
    stemmed
        .iter()
        .zip(full)
        .map(|(s, f)| {
            let clash = s.hashed && stemmed.iter().filter(|o| *o == s).count() > 1
                || full_name_clash(s, &stemmed);
            if clash {
                f
            } else {
                s.clone()
            }
        })
        .collect()
}

/// A stem that equals another document's plain (unsuffixed) name would merge
/// two different objects: keep the full name then.
fn full_name_clash(s: &Key, all: &[Key]) -> bool {
    s.hashed
        && all.iter().any(|o| {
            !o.hashed
                && o.name == s.name
                && o.kind == s.kind
                && o.namespace == s.namespace
                && o.group == s.group
        })
}

/// The name without kustomize's `-` + 10-character hash suffix, when it has one.
/// The suffix alphabet is kustomize's (`bcdfghkmt2-9`: no vowels, no look-alikes).
pub fn hash_stem(name: &str) -> Option<&str> {
    let (stem, suffix) = name.rsplit_once('-')?;
    let is_hash = suffix.len() == 10
        && suffix
            .bytes()
            .all(|b| b"bcdfghkmt".contains(&b) || (b'2'..=b'9').contains(&b));
    (is_hash && !stem.is_empty()).then_some(stem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stems_of_hash_suffixes() {
        assert_eq!(hash_stem("web-config-bk8dk6k2k4"), Some("web-config"));
        assert_eq!(hash_stem("web-config-459bd6dt8g"), Some("web-config"));
        assert_eq!(hash_stem("web-config-abcdefghij"), None);
        assert_eq!(hash_stem("web-config-459bd6dt8"), None);
        assert_eq!(hash_stem("-459bd6dt8g"), None);
        assert_eq!(hash_stem("web"), None);
    }

    #[test]
    fn a_stem_that_two_documents_share_keeps_full_names() {
        let a =
            json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "c-459bd6dt8g"}});
        let b =
            json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "c-bk8dk6k2k4"}});
        let d = json!({"kind": "Deployment", "apiVersion": "apps/v1", "metadata": {"name": "w", "namespace": "n"}});
        let ks = keys(&[a.as_object().unwrap(), d.as_object().unwrap()]);
        assert_eq!(ks[0].label(false), "ConfigMap c-*");
        assert_eq!(ks[1].label(true), "Deployment.apps n/w");
        let ks = keys(&[a.as_object().unwrap(), b.as_object().unwrap()]);
        assert_eq!(ks[0].label(false), "ConfigMap c-459bd6dt8g");
        assert_eq!(ks[1].label(false), "ConfigMap c-bk8dk6k2k4");
    }
}
