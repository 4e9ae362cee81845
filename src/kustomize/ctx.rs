//! `Ctx`: the kustomization being built (its folder, its file, the warnings), and the
//! rule for which files it may name: its own folder and below, never a remote URL.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::fs::{self, FileSystem};
use crate::kustomize::openapi::SchemaChoice;
use crate::kustomize::schema::Schema;

/// The state of one kustomization being built.
pub struct Ctx<'a> {
    pub fs: &'a dyn FileSystem,
    /// Root-relative directory of the kustomization.
    pub dir: String,
    /// Root-relative path of its kustomization file.
    pub file: String,
    pub warnings: &'a mut Vec<String>,
    /// Record which fields each patch changed (`Resource::edits`); costs a diff per
    /// patch, so only commands that report provenance ask for it.
    pub track_edits: bool,
    /// Record which transformers ran over each resource (`ResMeta::transformations`),
    /// for the root's `buildMetadata`.
    pub track_origins: bool,
    /// The schema strategic merge uses, shared by the whole build.
    pub openapi: &'a SchemaChoice,
    /// `--enable-helm`: inflate `helmCharts` (kustomize refuses them otherwise).
    pub enable_helm: bool,
}

impl Ctx<'_> {
    /// The schema strategic-merge patches read in this build.
    ///
    /// Before a custom schema is chosen, a strategic merge loads the built-in one.
    pub fn schema(&self) -> Schema {
        self.openapi.schema_for_merge()
    }

    /// Resolves a path the kustomization names, refusing anything outside its
    /// directory (kustomize's root-only load restriction for files).
    pub fn file_path(&self, rel: &str) -> Result<String> {
        if is_remote(rel) {
            return Err(remote_error(&self.file, rel));
        }
        let p = fs::join(&self.dir, rel).map_err(|e| Error::from(e).in_file(&self.file))?;
        // A symlink must not lead out either: compare real paths when the file exists.
        let real = self.fs.canonical(&p).unwrap_or_else(|_| p.clone());
        let real_dir = self
            .fs
            .canonical(&self.dir)
            .unwrap_or_else(|_| self.dir.clone());
        if !within(&self.dir, &p) || !within(&real_dir, &real) {
            return Err(Error::new(
                ErrorKind::Forbidden,
                self.file.clone(),
                format!(
                    "'{rel}'{} is outside the kustomization directory '{}'; kustomize loads files only from \
                     the kustomization's own directory and below (move the file, or make its folder a \
                     kustomization and list it under resources)",
                    if real != p { format!(" (a symlink to {real})") } else { String::new() },
                    display_dir(&self.dir)
                ),
            ));
        }
        Ok(p)
    }

    /// Reads a file the kustomization names under `field`, as text; a missing file
    /// is an error naming it and the field.
    pub fn read_field_file(&self, rel: &str, field: &str) -> Result<(String, String)> {
        let path = self.file_path(rel)?;
        if !self.fs.is_file(&path) {
            return Err(Error::new(
                ErrorKind::Missing,
                self.file.clone(),
                format!(
                    "{field}: file '{rel}' does not exist (looked for {path}); fix the path or \
                     create the file"
                ),
            ));
        }
        self.read_text(rel)
    }

    /// Reads a file named by the kustomization, as text.
    pub fn read_text(&self, rel: &str) -> Result<(String, String)> {
        let path = self.file_path(rel)?;
        let bytes = self
            .fs
            .read(&path)
            .map_err(|e| Error::from(e).in_file(&self.file))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::new(ErrorKind::Syntax, path.clone(), "not UTF-8 text"))?;
        Ok((path, text))
    }
}

pub fn display_dir(dir: &str) -> &str {
    if dir.is_empty() {
        "."
    } else {
        dir
    }
}

fn within(dir: &str, path: &str) -> bool {
    dir.is_empty() || path == dir || path.starts_with(&format!("{dir}/"))
}

/// Whether a resource entry is a remote base (URL or git reference).
pub fn is_remote(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    [
        "http://",
        "https://",
        "git::",
        "git@",
        "ssh://",
        "github.com/",
        "gitlab.com/",
        "bitbucket.org/",
        "file://",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
        || lower.contains("?ref=")
        || lower.contains(".git//")
}

pub fn remote_error(file: &str, entry: &str) -> Error {
    Error::new(
        ErrorKind::Forbidden,
        file.to_string(),
        format!(
            "'{entry}' is a remote base; strata never fetches from the network. \
             Vendor it into the repository (e.g. `git subtree add` or copy the files) and list the local path instead"
        ),
    )
}
