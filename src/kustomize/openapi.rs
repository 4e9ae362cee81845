//! The `openapi` field: which schema a build's strategic merges read, chosen once
//! per build as kustomize v5.5 (kyaml's one global schema) chooses it.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::ctx::Ctx;
use crate::kustomize::kustomization::Kustomization;
use crate::kustomize::resource::Gvk;
use crate::kustomize::schema::{Builtin, Schema};
use crate::yaml;
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;

/// A kustomization is entered: the first one of the build whose `openapi` names a
/// schema chooses it for everything that follows.
pub fn enter(ctx: &Ctx, k: &Kustomization) -> Result<()> {
    if ctx.openapi.is_chosen() {
        return Ok(());
    }
    if let Some(openapi) = &k.openapi {
        if let Some(schema) = load_openapi(ctx, openapi)? {
            ctx.openapi.choose(schema);
        }
    }
    Ok(())
}

/// The schema of a build, as kustomize keeps it (one global in kyaml): the first
/// kustomization entered that names one in `openapi` chooses it; until then the
/// built-in schema is used, and what touched it decides how a custom schema combines
/// with it (`schema::Builtin`).
#[derive(Debug, Default)]
pub struct SchemaChoice {
    chosen: Cell<Option<Schema>>,
    builtin: Cell<Builtin>,
    /// Kinds read before a choice, checked only if a custom schema is chosen (so a
    /// build without one never decodes the built-in schema for this).
    seen: RefCell<BTreeSet<(String, String, String)>>,
}

impl SchemaChoice {
    pub fn is_chosen(&self) -> bool {
        self.chosen.get().is_some()
    }

    fn choose(&self, schema: Schema) {
        self.chosen.set(Some(schema));
    }

    /// The schema a strategic merge uses now; before a custom schema is chosen, a
    /// strategic merge loads the built-in one.
    pub fn schema_for_merge(&self) -> Schema {
        match self.chosen.get() {
            Some(s) => s,
            None => {
                self.builtin.set(Builtin::Parsed);
                Schema::default()
            }
        }
    }

    /// How the built-in definitions stand, for a custom schema chosen now: a kind
    /// kustomize does not know, read before, marks them for loading.
    pub fn builtin(&self) -> Builtin {
        let builtin = self.builtin.get();
        if builtin != Builtin::Unloaded {
            return builtin;
        }
        let seen = self.seen.borrow();
        let unknown = seen.iter().any(|(group, version, kind)| {
            !Schema::is_builtin_kind(&Gvk {
                group: group.clone(),
                version: version.clone(),
                kind: kind.clone(),
            })
        });
        if unknown {
            Builtin::Delayed
        } else {
            Builtin::Unloaded
        }
    }

    /// An object of kind `gvk` was read.
    pub fn saw_kind(&self, gvk: &Gvk) {
        if !self.is_chosen() && self.builtin.get() == Builtin::Unloaded {
            self.seen.borrow_mut().insert((
                gvk.group.clone(),
                gvk.version.clone(),
                gvk.kind.clone(),
            ));
        }
    }
}

/// The schema `openapi` names, as kustomize v5.5 reads the field: `version` is a
/// built-in schema (only `v1.21.2`, the default), `path` a custom OpenAPI document
/// that replaces the built-in schema for every kind; not both. `None` when it names
/// neither, which leaves the choice to a kustomization entered later.
fn load_openapi(ctx: &Ctx, openapi: &Value) -> Result<Option<Schema>> {
    let err = |msg: String| Err(Error::new(ErrorKind::Invalid, ctx.file.clone(), msg));
    let Some(fields) = openapi.as_object() else {
        return err("`openapi` must be a mapping with `path` (a schema file) or `version`".into());
    };
    let text_of = |k: &str| fields.get(k).and_then(Value::as_str);
    if let Some((k, _)) = fields.iter().find(|(_, v)| !v.is_string()) {
        return err(format!("`openapi.{k}` must be a string"));
    }
    match (text_of("path"), text_of("version")) {
        (Some(_), Some(_)) => err(
            "openapi: builtin version and custom schema provided, cannot use both; keep `path` \
             or `version`"
                .into(),
        ),
        // An empty version is no choice, as in kustomize.
        (None, Some("")) | (None, None) => Ok(None),
        (None, Some(v)) if v != "v1.21.2" => err(format!(
            "openapi: the specified OpenAPI version '{v}' is not built in; kustomize v5.5 has \
             only v1.21.2 (or give a schema file as `path`)"
        )),
        (None, Some(_)) => Ok(Some(Schema::default())),
        (Some(path), None) => {
            let (file, text) = ctx.read_field_file(path, "openapi.path")?;
            let doc = if text.trim_start().starts_with('{') {
                serde_json::from_str(&text).map_err(|e| {
                    Error::new(
                        ErrorKind::Syntax,
                        file.clone(),
                        format!("invalid JSON: {e}"),
                    )
                })?
            } else {
                let docs = yaml::parse_stream(&text)
                    .map_err(|e| crate::kustomize::loader::yaml_error(&file, e))?;
                docs.into_iter()
                    .map(|d| d.value)
                    .find(|v| !v.is_null())
                    .unwrap_or(Value::Null)
            };
            Schema::custom(&doc, ctx.openapi.builtin()).map(Some).map_err(|m| {
                Error::new(
                    ErrorKind::Invalid,
                    file,
                    format!("invalid schema file: {m}; `openapi.path` names an OpenAPI (Swagger 2) document with `definitions`"),
                )
            })
        }
    }
}
