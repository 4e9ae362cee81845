//! An ordered set of resources with unique identities.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::config::TransformerConfig;
use crate::kustomize::kustomization::Var;
use crate::kustomize::resource::{ResId, Resource};
use std::sync::Arc;

/// Resources in the order they were loaded; no two share a current identity.
/// Like kustomize's accumulator, it also carries what travels up with them: the
/// field specs of `configurations` and `crds`, and the `vars` declared so far.
#[derive(Clone, Debug, Default)]
pub struct ResMap {
    pub resources: Vec<Resource>,
    pub config: Arc<TransformerConfig>,
    /// Unique by name, sorted by name.
    pub vars: Vec<Var>,
}

impl ResMap {
    pub fn new() -> ResMap {
        ResMap::default()
    }

    pub fn len(&self) -> usize {
        self.resources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Resource> {
        self.resources.iter()
    }

    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, Resource> {
        self.resources.iter_mut()
    }

    /// Index of the resource whose current identity is `id`.
    pub fn position(&self, id: &ResId) -> Option<usize> {
        self.resources
            .iter()
            .position(|r| r.cur_id().same_object(id))
    }

    /// Adds a resource; an identity already present is an error naming both origins.
    pub fn append(&mut self, r: Resource) -> Result<()> {
        let id = r.cur_id();
        if let Some(i) = self.position(&id) {
            let first = &self.resources[i].origin;
            return Err(Error::new(
                ErrorKind::Conflict,
                r.origin.file.clone(),
                format!(
                    "two resources have the identity {} {}{} (first from {}{}); \
                     remove one, or use a patch to change the existing one",
                    id.gvk.kind,
                    if id.namespace.is_empty() {
                        String::new()
                    } else {
                        format!("{}/", id.namespace)
                    },
                    id.name,
                    first.file,
                    if first.line > 0 {
                        format!(":{}", first.line)
                    } else {
                        String::new()
                    },
                ),
            )
            .at_line(r.origin.line));
        }
        self.resources.push(r);
        Ok(())
    }

    /// Resources from already-parsed objects, all with the origin `file`.
    pub fn from_objects(
        docs: impl IntoIterator<Item = serde_json::Value>,
        file: &str,
    ) -> Result<ResMap> {
        let mut ra = ResMap::new();
        for d in docs {
            let serde_json::Value::Object(m) = d else {
                return Err(Error::new(
                    ErrorKind::Syntax,
                    file,
                    "expected a Kubernetes object (a mapping)",
                ));
            };
            let origin = crate::kustomize::resource::Origin {
                file: file.to_string(),
                line: 0,
                generated_by: None,
            };
            ra.append(Resource::new(m, origin))?;
        }
        Ok(ra)
    }

    /// Appends every resource of `other`.
    pub fn append_all(&mut self, other: ResMap) -> Result<()> {
        for r in other.resources {
            self.append(r)?;
        }
        Ok(())
    }

    /// Takes in a sub-kustomization's result: its resources, field specs and vars
    /// (kustomize's `MergeAccumulator`). Errors are for the including kustomization.
    pub fn absorb(&mut self, other: ResMap, file: &str) -> Result<()> {
        self.append_all(ResMap {
            resources: other.resources,
            ..ResMap::default()
        })?;
        self.config = TransformerConfig::merge_shared(&self.config, &other.config)
            .map_err(|m| Error::new(ErrorKind::Invalid, file, m))?;
        for v in other.vars {
            self.add_var(v, file)?;
        }
        Ok(())
    }

    /// Declares a var; a name already declared here or in a base is an error.
    pub fn add_var(&mut self, v: Var, file: &str) -> Result<()> {
        match self.vars.binary_search_by(|x| x.name.cmp(&v.name)) {
            Ok(_) => Err(Error::new(
                ErrorKind::Conflict,
                file,
                format!(
                    "var '{}' already encountered: two kustomizations of this build declare it; \
                     rename one of them",
                    v.name
                ),
            )),
            Err(i) => {
                self.vars.insert(i, v);
                Ok(())
            }
        }
    }

    /// Resources any of whose identities, current or earlier, is `id`.
    pub fn matching_any_id(&self, id: &ResId) -> Vec<usize> {
        self.resources
            .iter()
            .enumerate()
            .filter(|(_, r)| r.all_ids().any(|rid| rid.same_object(id)))
            .map(|(i, _)| i)
            .collect()
    }
}
