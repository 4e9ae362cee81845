//! A Kubernetes object as the engine carries it: the document plus side data
//! (where it came from, the identities it had, what changed it).
//!
//! kustomize keeps this bookkeeping as annotations written into the object and
//! stripped before output; we keep it beside the document so nothing can leak.

use serde_json::{Map, Value};
use std::fmt;

/// Group, version and kind of an object (`apps/v1 Deployment` → group `apps`).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gvk {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl Gvk {
    pub fn new(group: &str, version: &str, kind: &str) -> Gvk {
        Gvk {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
        }
    }

    /// Splits an `apiVersion` (`apps/v1`, `v1`) into group and version.
    pub fn from_api_version(api_version: &str, kind: &str) -> Gvk {
        match api_version.split_once('/') {
            Some((g, v)) => Gvk::new(g, v, kind),
            None => Gvk::new("", api_version, kind),
        }
    }

    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether objects of this kind live outside namespaces.
    pub fn is_cluster_scoped(&self) -> bool {
        crate::kustomize::kinds::is_cluster_scoped(self)
    }
}

impl fmt::Display for Gvk {
    /// kustomize's spelling: `Deployment.v1.apps`, `ConfigMap.v1.[noGrp]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let group = if self.group.is_empty() {
            "[noGrp]"
        } else {
            &self.group
        };
        let version = if self.version.is_empty() {
            "[noVer]"
        } else {
            &self.version
        };
        write!(f, "{}.{}.{}", self.kind, version, group)
    }
}

/// An object's identity: kind (with group and version), namespace and name.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResId {
    pub gvk: Gvk,
    pub name: String,
    /// Empty for cluster-scoped objects and for objects that set none.
    pub namespace: String,
}

impl ResId {
    /// The namespace an object lands in: `default` when a namespaced object sets none.
    pub fn effective_namespace(&self) -> &str {
        if self.gvk.is_cluster_scoped() {
            ""
        } else if self.namespace.is_empty() {
            "default"
        } else {
            &self.namespace
        }
    }

    /// Equal identities, treating an unset namespace as `default` (as kustomize does).
    pub fn same_object(&self, other: &ResId) -> bool {
        self.gvk == other.gvk
            && self.name == other.name
            && self.effective_namespace() == other.effective_namespace()
    }
}

impl fmt::Display for ResId {
    /// `Deployment.v1.apps/web.prod`, kustomize's spelling in error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = if self.namespace.is_empty() {
            "[noNs]"
        } else {
            &self.namespace
        };
        write!(f, "{}/{}.{}", self.gvk, self.name, ns)
    }
}

/// Where a document came from: a file (repo-relative) and the line its document starts on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    /// 1-based; 0 when unknown (generated objects).
    pub line: u32,
    /// Set for objects made by a generator: the kustomization that declared it.
    pub generated_by: Option<String>,
}

/// One change a transformer or patch made to a resource, for `explain` and `diff`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// The transformer: `patch`, `namespace`, `namePrefix`, `labels`, `images`, ...
    pub by: &'static str,
    /// The file that asked for it (a kustomization or a patch file).
    pub source: String,
    /// Field paths it set, dotted (`spec.replicas`, `spec.template.spec.containers[name=web].image`).
    pub paths: Vec<String>,
}

/// How a generated object meets an existing one of the same identity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Behavior {
    #[default]
    Create,
    Merge,
    Replace,
}

/// Side data about a resource that is never written into the document.
#[derive(Clone, Debug, Default)]
pub struct ResMeta {
    /// Identities it had before each rename or namespace change, oldest first.
    pub prev_ids: Vec<ResId>,
    /// Prefixes and suffixes applied to its name, outermost last.
    pub prefixes: Vec<String>,
    pub suffixes: Vec<String>,
    /// Set by a generator: append a content hash to the name at the root.
    pub needs_hash: bool,
    /// Set by a generator: how to combine with an existing object of the same id.
    pub behavior: Behavior,
    /// Identities of resources whose fields were rewritten to point at this one.
    pub ref_by: Vec<ResId>,
    /// Set by a generator: the generator, as `buildMetadata` names it.
    pub generated_by: Option<PluginRef>,
    /// The transformers that ran over it, in order; recorded only when the build
    /// asks for `buildMetadata` (`Ctx::track_origins`).
    pub transformations: Vec<std::sync::Arc<PluginRef>>,
    /// `(key, source text, value as loaded)` of each annotation whose value resolved to
    /// something other than its text (`1.50`, `true`, an empty value). kustomize reads
    /// annotations as the text written, until a JSON patch re-encodes the object.
    pub annotation_text: Vec<(String, String, Value)>,
    /// Paths of values written with no text (`key:`) in the file it was read from, which
    /// kyaml's strategic merge drops (see `patch::strategic`); kept until a JSON patch
    /// re-encodes the object. Empty for generated objects and `List` items.
    pub blank_values: Vec<Vec<crate::yaml::Step>>,
    /// Set when a JSON patch replaced or removed `metadata.annotations` (or all of
    /// `metadata`), where kustomize keeps the origin and the transformations during a
    /// build: the index of the patch entry that did it, among the entries of its field.
    /// The next `metadata::note` then makes that transformer the origin and starts the
    /// transformations afresh, as kustomize does (see `metadata::note`).
    pub provenance_wiped: Option<usize>,
    /// Names of the `vars` whose `objref` named this object when declared.
    pub ref_vars: Vec<String>,
}

/// A builtin generator or transformer (or a plugin configuration) as kustomize names
/// it in `config.kubernetes.io/origin` and `alpha.config.kubernetes.io/transformations`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PluginRef {
    /// Root-relative file that configured it: a kustomization, or a plugin's config file.
    pub configured_in: String,
    /// `builtin` for every plugin strata runs.
    pub api_version: String,
    /// `ConfigMapGenerator`, `PrefixTransformer`, ...
    pub kind: String,
    /// Set for plugin configurations (`metadata.name` and `metadata.namespace`).
    pub name: String,
    pub namespace: String,
}

impl PluginRef {
    /// A transformer or generator a kustomization field configures.
    pub fn builtin(configured_in: &str, kind: &str) -> PluginRef {
        PluginRef {
            configured_in: configured_in.to_string(),
            api_version: "builtin".to_string(),
            kind: kind.to_string(),
            ..PluginRef::default()
        }
    }
}

/// A Kubernetes object with its side data.
#[derive(Clone, Debug)]
pub struct Resource {
    /// The object, always a JSON/YAML mapping.
    pub doc: Map<String, Value>,
    pub origin: Origin,
    pub meta: ResMeta,
    pub edits: Vec<Edit>,
}

impl Resource {
    pub fn new(doc: Map<String, Value>, origin: Origin) -> Resource {
        Resource {
            doc,
            origin,
            meta: ResMeta::default(),
            edits: Vec::new(),
        }
    }

    fn str_at(&self, keys: &[&str]) -> &str {
        let mut v = match self.doc.get(keys[0]) {
            Some(v) => v,
            None => return "",
        };
        for k in &keys[1..] {
            v = match v.get(k) {
                Some(v) => v,
                None => return "",
            };
        }
        v.as_str().unwrap_or("")
    }

    pub fn api_version(&self) -> &str {
        self.str_at(&["apiVersion"])
    }
    pub fn kind(&self) -> &str {
        self.str_at(&["kind"])
    }
    pub fn name(&self) -> &str {
        self.str_at(&["metadata", "name"])
    }
    pub fn namespace(&self) -> &str {
        self.str_at(&["metadata", "namespace"])
    }
    pub fn gvk(&self) -> Gvk {
        Gvk::from_api_version(self.api_version(), self.kind())
    }

    /// The identity it has now.
    pub fn cur_id(&self) -> ResId {
        ResId {
            gvk: self.gvk(),
            name: self.name().to_string(),
            namespace: self.namespace().to_string(),
        }
    }

    /// The identity it was loaded with, before any rename.
    pub fn org_id(&self) -> ResId {
        self.meta
            .prev_ids
            .first()
            .cloned()
            .unwrap_or_else(|| self.cur_id())
    }

    /// The current identity and every earlier one.
    pub fn all_ids(&self) -> impl Iterator<Item = ResId> + '_ {
        self.meta
            .prev_ids
            .iter()
            .cloned()
            .chain(std::iter::once(self.cur_id()))
    }

    /// Records the current identity before a transformer changes it.
    pub fn store_previous_id(&mut self) {
        let id = self.cur_id();
        self.meta.prev_ids.push(id);
    }

    /// `metadata`, created when absent.
    pub fn metadata_mut(&mut self) -> &mut Map<String, Value> {
        let m = self
            .doc
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if !m.is_object() {
            *m = Value::Object(Map::new());
        }
        m.as_object_mut().expect("metadata is an object")
    }

    pub fn set_name(&mut self, name: &str) {
        self.metadata_mut()
            .insert("name".into(), Value::String(name.to_string()));
    }

    /// Sets `metadata.namespace`; an empty string removes it.
    pub fn set_namespace(&mut self, ns: &str) {
        if ns.is_empty() {
            self.metadata_mut().remove("namespace");
        } else {
            self.metadata_mut()
                .insert("namespace".into(), Value::String(ns.to_string()));
        }
    }

    /// `metadata.labels` or `metadata.annotations` as string pairs.
    pub fn string_map(&self, field: &str) -> Vec<(String, String)> {
        match self
            .doc
            .get("metadata")
            .and_then(|m| m.get(field))
            .and_then(|v| v.as_object())
        {
            Some(m) => m
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect(),
            None => Vec::new(),
        }
    }

    pub fn labels(&self) -> Vec<(String, String)> {
        self.string_map("labels")
    }
    /// The annotations as kustomize reads them: the source text of a value loaded as
    /// something else and not changed since (see [`ResMeta::annotation_text`]).
    pub fn annotations(&self) -> Vec<(String, String)> {
        let mut out = self.string_map("annotations");
        if !self.meta.annotation_text.is_empty() {
            for (k, text) in &mut out {
                if let Some(raw) = self.annotation_source_text(k) {
                    *text = raw.to_string();
                }
            }
        }
        out
    }

    /// The source text of annotation `key` when its value is still the one loaded from it.
    pub fn annotation_source_text(&self, key: &str) -> Option<&str> {
        let (_, raw, loaded) = self.meta.annotation_text.iter().find(|(k, ..)| k == key)?;
        let now = self.doc.get("metadata")?.get("annotations")?.get(key)?;
        (now == loaded).then_some(raw.as_str())
    }

    /// Records what a transformer changed, for provenance.
    pub fn record(&mut self, by: &'static str, source: &str, paths: Vec<String>) {
        if !paths.is_empty() {
            self.edits.push(Edit {
                by,
                source: source.to_string(),
                paths,
            });
        }
    }
}
