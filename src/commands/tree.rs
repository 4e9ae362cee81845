//! Writing the hydrated tree: atomically, deleting only what strata wrote before,
//! and never into a folder strata does not own.

use crate::fleet::render::{hex, HydratedTree};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

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
pub fn read_manifest(out: &Path) -> Result<Option<Manifest>, String> {
    if !out.exists() {
        return Ok(None);
    }
    let mpath = out.join(MANIFEST);
    if !mpath.exists() {
        let non_empty = fs::read_dir(out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false);
        if non_empty {
            return Err(format!(
                "{}: the folder is not empty and has no {MANIFEST}, so strata did not write it; \
                 strata will not overwrite it. Empty it, or set `output` in strata.yaml to another folder",
                out.display()
            ));
        }
        return Ok(None);
    }
    let text = fs::read_to_string(&mpath).map_err(|e| format!("{}: {e}", mpath.display()))?;
    serde_json::from_str(&text).map(Some).map_err(|e| {
        format!(
            "{}: cannot read the manifest ({e}); delete the output folder and render again",
            mpath.display()
        )
    })
}

/// For a partial render (`--cluster`, `--app`, `--shard`): adds to `tree` the units
/// of the previous render that were not rendered now, as they are on disk, so that
/// writing or checking it touches only the selected units.
pub fn keep_unselected(out: &Path, mut tree: HydratedTree) -> Result<HydratedTree, String> {
    let Some(old) = read_manifest(out)? else {
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
        let path = out.join(&file);
        let Ok(content) = fs::read_to_string(&path) else {
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
}

impl Staleness {
    pub fn is_clean(&self) -> bool {
        self.stale.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

/// Compares the rendered tree with what is on disk, reading only what it must.
pub fn check(out: &Path, tree: &HydratedTree) -> Result<Staleness, String> {
    let manifest = read_manifest(out)?.unwrap_or_default();
    let mut s = Staleness::default();
    for (path, content) in &tree.files {
        match fs::read(out.join(path)) {
            Ok(bytes) if bytes == content.as_bytes() => {}
            Ok(_) => s.stale.push(path.clone()),
            Err(_) => s.missing.push(path.clone()),
        }
    }
    for path in manifest.files.keys() {
        if !tree.files.contains_key(path) && out.join(path).exists() {
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
/// one rename, so a failure or a kill leaves the previous tree as it was.
pub fn write(out: &Path, tree: &HydratedTree) -> Result<WriteSummary, String> {
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
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "rendered".into());
    // What a render killed before its swap left behind is of no use to anyone.
    let stale = format!(".{name}.strata-new-");
    if let Ok(entries) = fs::read_dir(parent) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&stale) {
                let _ = fs::remove_dir_all(e.path());
            }
        }
    }
    let tmp = parent.join(format!("{stale}{}", std::process::id()));
    let result =
        assemble(&tmp, out, old.as_ref(), tree, &manifest).and_then(|_| swap_in(&tmp, out));
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result?;
    if old.is_none() {
        summary.written = tree.files.len();
        summary.unchanged = 0;
    }
    Ok(summary)
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

fn assemble(
    tmp: &Path,
    out: &Path,
    old: Option<&Manifest>,
    tree: &HydratedTree,
    manifest: &Manifest,
) -> Result<(), String> {
    fs::create_dir_all(tmp).map_err(io(tmp))?;
    if let Some(old) = old {
        // Carry over what strata does not own, so the swap cannot lose it.
        for entry in walkdir::WalkDir::new(out).min_depth(1).sort_by_file_name() {
            let entry = entry.map_err(|e| e.to_string())?;
            let rel = entry.path().strip_prefix(out).map_err(|e| e.to_string())?;
            let rel_s = rel.to_string_lossy().replace('\\', "/");
            if rel_s == ".strata" || rel_s.starts_with(".strata/") || old.files.contains_key(&rel_s)
            {
                continue;
            }
            if entry.file_type().is_dir() {
                continue;
            }
            let dest = tmp.join(rel);
            if let Some(dir) = dest.parent() {
                fs::create_dir_all(dir).map_err(io(dir))?;
            }
            if fs::hard_link(entry.path(), &dest).is_err() {
                fs::copy(entry.path(), &dest).map_err(io(&dest))?;
            }
        }
    }
    for (path, content) in &tree.files {
        let dest = tmp.join(path);
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir).map_err(io(dir))?;
        }
        fs::write(&dest, content).map_err(io(&dest))?;
    }
    let mpath = tmp.join(MANIFEST);
    if let Some(dir) = mpath.parent() {
        fs::create_dir_all(dir).map_err(io(dir))?;
    }
    fs::write(&mpath, manifest.to_json()).map_err(io(&mpath))
}

/// Puts `tmp` in place of `out`; afterwards `tmp` is gone.
fn swap_in(tmp: &Path, out: &Path) -> Result<(), String> {
    if !out.exists() {
        return fs::rename(tmp, out).map_err(io(out));
    }
    if exchange(tmp, out) {
        return fs::remove_dir_all(tmp).map_err(io(tmp));
    }
    let aside: PathBuf = tmp.with_extension("old");
    fs::rename(out, &aside).map_err(io(out))?;
    if let Err(e) = fs::rename(tmp, out) {
        let _ = fs::rename(&aside, out);
        return Err(format!("{}: {e}", out.display()));
    }
    fs::remove_dir_all(&aside).map_err(io(&aside))
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> bool {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let (Ok(ca), Ok(cb)) = (
        CString::new(a.as_os_str().as_bytes()),
        CString::new(b.as_os_str().as_bytes()),
    ) else {
        return false;
    };
    // SAFETY: both are valid NUL-terminated paths; renameat2 only reads them.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    rc == 0
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> bool {
    false
}
