//! Writing the hydrated tree: atomically, deleting only what strata wrote before,
//! and never into a folder strata does not own.

use crate::commands::outdir::{link_error, Contents, Folder, OutDir};
use crate::fleet::render::{hex, HydratedTree};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Where the manifest lives, relative to the output root.
pub const MANIFEST: &str = ".strata/manifest.json";

/// `.strata/manifest.json`: every file strata wrote, and what it was made from.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub version: u32,
    pub generator: String,
    /// File (relative to the output root) → SHA-256 of its content.
    pub files: BTreeMap<String, String>,
    /// Unit folder → SHA-256 over strata's version and every input it read.
    pub inputs: BTreeMap<String, String>,
}

impl Manifest {
    pub fn of(tree: &HydratedTree) -> Manifest {
        Manifest {
            version: 1,
            generator: concat!("strata ", env!("CARGO_PKG_VERSION")).to_string(),
            files: tree
                .files
                .iter()
                .map(|(p, c)| (p.clone(), hex(&Sha256::digest(c.as_bytes()))))
                .collect(),
            inputs: tree
                .units
                .iter()
                .map(|u| (u.dir.clone(), u.inputs_hash.clone()))
                .collect(),
        }
    }

    fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Reads the manifest of an existing output folder. `Ok(None)`: the folder does not
/// exist or is empty. An error: it has files but no manifest (not strata's), or a
/// manifest that cannot be read.
pub fn read_manifest(out: &OutDir) -> Result<Option<Manifest>, String> {
    let Some(dir) = out.open()? else {
        return Ok(None);
    };
    let mpath = format!("{}/{MANIFEST}", out.shown());
    let Some(bytes) = dir.read(MANIFEST)? else {
        if !dir.is_empty()? {
            return Err(format!(
                "{}: the folder is not empty and has no {MANIFEST}, so strata did not write it; \
                 strata will not overwrite it. Empty it, or set `output` in strata.yaml to another folder",
                out.shown()
            ));
        }
        return Ok(None);
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        format!(
            "{mpath}: cannot read the manifest ({e}); delete the output folder and render again"
        )
    })
}

/// For a partial render (`--cluster`, `--app`, `--shard`): adds to `tree` the units
/// of the previous render that were not rendered now, as they are on disk, so that
/// writing or checking it touches only the selected units.
pub fn keep_unselected(out: &OutDir, mut tree: HydratedTree) -> Result<HydratedTree, String> {
    let (Some(old), Some(folder)) = (read_manifest(out)?, out.open()?) else {
        return Ok(tree);
    };
    let rendered: std::collections::BTreeSet<&str> =
        tree.units.iter().map(|u| u.dir.as_str()).collect();
    let unit_of = |file: &str| -> Option<String> {
        old.inputs
            .keys()
            .filter(|d| file.starts_with(&format!("{d}/")))
            .max_by_key(|d| d.len())
            .cloned()
    };
    let mut kept = Vec::new();
    for file in old.files.keys() {
        if tree.files.contains_key(file) {
            continue;
        }
        match unit_of(file) {
            Some(dir) if !rendered.contains(dir.as_str()) => kept.push((file.clone(), dir)),
            _ => {}
        }
    }
    let mut kept_units = std::collections::BTreeMap::new();
    for (file, dir) in kept {
        // A file behind a link is not read; `check` reports the link.
        let Some(content) = folder
            .read(&file)
            .ok()
            .flatten()
            .and_then(|b| String::from_utf8(b).ok())
        else {
            continue;
        };
        tree.files.insert(file.clone(), content);
        kept_units.entry(dir).or_insert_with(Vec::new).push(file);
    }
    for (dir, files) in kept_units {
        let inputs_hash = old.inputs.get(&dir).cloned().unwrap_or_default();
        tree.units.push(crate::fleet::render::Unit {
            cluster: String::new(),
            app: String::new(),
            dir,
            files,
            inputs_hash,
            resources: Vec::new(),
        });
    }
    Ok(tree)
}

/// The differences between the tree on disk and the tree rendered now.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Staleness {
    /// On disk with other content.
    pub stale: Vec<String>,
    /// Rendered now, not on disk.
    pub missing: Vec<String>,
    /// Written by strata before (in the manifest), not rendered now.
    pub extra: Vec<String>,
    /// Symbolic links inside the output folder, which strata never writes through.
    pub links: Vec<String>,
}

impl Staleness {
    pub fn is_clean(&self) -> bool {
        self.stale.is_empty()
            && self.missing.is_empty()
            && self.extra.is_empty()
            && self.links.is_empty()
    }
}

/// Compares the rendered tree with what is on disk, reading only what it must.
pub fn check(out: &OutDir, tree: &HydratedTree) -> Result<Staleness, String> {
    let manifest = read_manifest(out)?.unwrap_or_default();
    let mut s = Staleness::default();
    let Some(dir) = out.open()? else {
        s.missing = tree.files.keys().cloned().collect();
        return Ok(s);
    };
    s.links = dir.contents()?.links;
    // A file behind a link cannot be read (the link is not followed): it is missing.
    let read = |path: &str| dir.read(path).ok().flatten();
    for (path, content) in &tree.files {
        match read(path) {
            Some(bytes) if bytes == content.as_bytes() => {}
            Some(_) => s.stale.push(path.clone()),
            None => s.missing.push(path.clone()),
        }
    }
    for path in manifest.files.keys() {
        if !tree.files.contains_key(path) && read(path).is_some() {
            s.extra.push(path.clone());
        }
    }
    Ok(s)
}

/// What a write did.
#[derive(Debug, Default)]
pub struct WriteSummary {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
}

/// Writes the tree to `out` atomically: the new tree is assembled in a sibling
/// folder (with any files strata does not own carried over) and swapped in with
/// one rename, so a failure or a kill leaves the previous tree as it was. Every
/// step goes through `outdir`, which never follows a symbolic link.
pub fn write(out: &OutDir, tree: &HydratedTree) -> Result<WriteSummary, String> {
    let current = out.open()?;
    let contents = match &current {
        Some(dir) => dir.contents()?,
        None => Default::default(),
    };
    if let Some(link) = contents.links.first() {
        return Err(link_error(&format!("{}/{link}", out.shown())));
    }
    let old = read_manifest(out)?;
    let staleness = check(out, tree)?;
    let mut summary = WriteSummary {
        written: staleness.stale.len() + staleness.missing.len(),
        unchanged: tree.files.len() - staleness.stale.len() - staleness.missing.len(),
        removed: staleness.extra.len(),
    };
    let manifest = Manifest::of(tree);
    if staleness.is_clean() && old.as_ref() == Some(&manifest) {
        return Ok(summary);
    }
    // The old tree is removed after the swap: find out now, not half-way through.
    if let Some(ro) = contents.read_only.first() {
        let shown = if ro.is_empty() {
            out.shown().to_string()
        } else {
            format!("{}/{ro}", out.shown())
        };
        return Err(format!(
            "{shown}: the folder is read-only, and strata replaces the output folder as a whole; \
             make it writable (chmod -R u+w {}) and render again",
            out.shown()
        ));
    }
    let parent = out
        .parent(true)?
        .ok_or_else(|| format!("{}: cannot create its folder", out.shown()))?;
    let name = out.name();
    // What a render killed before its swap left behind is of no use to anyone.
    let stale = format!(".{name}.strata-new-");
    for entry in parent.names()? {
        if entry.starts_with(&stale) {
            parent.remove_all(&entry)?;
        }
    }
    let tmp_name = format!("{stale}{}", std::process::id());
    let tmp = parent.make_new(&tmp_name).map_err(|e| {
        format!(
            "{e}; strata assembles the new tree beside {} and swaps it in, so the folder that holds it must be writable",
            out.shown()
        )
    })?;
    let result = assemble(
        &tmp,
        current.as_ref(),
        &contents,
        old.as_ref(),
        tree,
        &manifest,
    )
    .and_then(|_| parent.swap_in(&tmp_name, name, current.is_some()));
    if result.is_err() {
        let _ = parent.remove_all(&tmp_name);
    }
    result?;
    if old.is_none() {
        summary.written = tree.files.len();
        summary.unchanged = 0;
    }
    Ok(summary)
}

fn assemble(
    tmp: &Folder,
    current: Option<&Folder>,
    contents: &Contents,
    old: Option<&Manifest>,
    tree: &HydratedTree,
    manifest: &Manifest,
) -> Result<(), String> {
    if let (Some(old), Some(current)) = (old, current) {
        // Carry over what strata does not own, so the swap cannot lose it.
        for rel in &contents.files {
            if rel.starts_with(".strata/")
                || old.files.contains_key(rel)
                || tree.files.contains_key(rel)
            {
                continue;
            }
            tmp.link_or_copy(current, rel)?;
        }
    }
    for (path, content) in &tree.files {
        tmp.write_new(path, content.as_bytes())?;
    }
    tmp.write_new(MANIFEST, manifest.to_json().as_bytes())
}
