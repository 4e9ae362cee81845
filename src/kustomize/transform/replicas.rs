//! `replicas`: sets `spec.replicas` of Deployments, ReplicationControllers,
//! ReplicaSets and StatefulSets by name.
//!
//! As in kustomize v5.5, the name matches any name the object has had (before
//! or after prefixes and suffixes), and an entry matching no such object is an error.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::fieldspec::{walk, FieldSpec};
use crate::kustomize::kustomization::Replica;
use crate::kustomize::resmap::ResMap;
use serde_json::Value;

/// Applies each `replicas` entry in order.
pub fn apply(ra: &mut ResMap, replicas: &[Replica], source: &str) -> Result<()> {
    // The built-in table plus the rows `configurations` and `crds` add (`ra.config`).
    let specs = ra.config.or_defaults().replicas.clone();
    apply_with_specs(ra, replicas, &specs, source)
}

/// `apply` along the given field specs (a ReplicaCountTransformer's `fieldSpecs`).
pub fn apply_with_specs(
    ra: &mut ResMap,
    replicas: &[Replica],
    specs: &[FieldSpec],
    source: &str,
) -> Result<()> {
    for replica in replicas {
        let mut found = false;
        for fs in specs {
            let segments = crate::kustomize::fieldspec::split_path(&fs.path);
            let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
            for r in ra.iter_mut() {
                let selected = r
                    .all_ids()
                    .any(|id| id.name == replica.name && fs.matches(&id.gvk));
                if !selected {
                    continue;
                }
                found = true;
                let id = r.cur_id();
                let mut doc = Value::Object(std::mem::take(&mut r.doc));
                let mut changed = Vec::new();
                let create = fs.create.then_some(Value::Null);
                let walked = walk(&mut doc, &segs, create, &mut |v, path| {
                    *v = Value::from(replica.count);
                    changed.push(path.to_string());
                    Ok(())
                });
                if let Value::Object(m) = doc {
                    r.doc = m;
                }
                if let Err(e) = walked {
                    return Err(Error::new(
                        ErrorKind::Transform,
                        source,
                        format!(
                            "replicas: cannot set spec.replicas of {id}: '{}' is not a map; fix the object",
                            e.at
                        ),
                    )
                    .at_line(r.origin.line));
                }
                r.record("replicas", source, changed);
            }
        }
        if !found {
            let gvks: Vec<String> = specs
                .iter()
                .map(|fs| {
                    let or = |s: &str, none: &str| {
                        if s.is_empty() {
                            none.to_string()
                        } else {
                            s.to_string()
                        }
                    };
                    format!(
                        "{}.{}.{}",
                        fs.kind,
                        or(&fs.version, "[noVer]"),
                        or(&fs.group, "[noGrp]")
                    )
                })
                .collect();
            return Err(Error::new(
                ErrorKind::Transform,
                source,
                format!(
                    "replicas: resource with name {} does not match a config with the following GVK \
                     [{}]; name an object of one of these kinds in this build (use a patch for \
                     other kinds)",
                    replica.name,
                    gvks.join(" ")
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::json;

    fn resmap(docs: Vec<Value>) -> ResMap {
        ResMap::from_objects(docs, "res.yaml").unwrap()
    }

    fn rep(name: &str, count: i64) -> Replica {
        Replica {
            name: name.into(),
            count,
        }
    }

    #[test]
    fn sets_and_creates_replicas_by_current_or_earlier_name() {
        let mut ra = resmap(vec![
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                   "spec": {"replicas": 1}}),
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}),
        ]);
        ra.resources[1].store_previous_id();
        ra.resources[1].set_name("p-db");
        apply(&mut ra, &[rep("web", 3), rep("db", 0)], "k.yaml").unwrap();
        assert_eq!(ra.resources[0].doc["spec"]["replicas"], json!(3));
        assert_eq!(ra.resources[1].doc["spec"], json!({"replicas": 0}));
        assert!(ra.resources[2].doc.get("spec").is_none());
        assert_eq!(ra.resources[0].edits[0].paths, vec!["spec.replicas"]);
    }

    // The message is kustomize v5.5's, with what to do appended.
    #[test]
    fn an_unknown_name_is_an_error() {
        let mut ra = resmap(vec![json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web"}})]);
        let err = apply(&mut ra, &[rep("web", 3)], "k.yaml").unwrap_err();
        assert_eq!(err.file, "k.yaml");
        assert!(err.message.starts_with(
            "replicas: resource with name web does not match a config with the following GVK [Deployment.[noVer].[noGrp]"
        ));
    }
}
