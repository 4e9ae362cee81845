//! Writing the hydrated tree: only the files that changed, deleting only what strata
//! wrote before (its per-unit records, `bookkeeping.rs`), and never into a folder
//! strata does not own.
//!
//! A first render is assembled in a sibling folder and renamed into place, so a
//! failure leaves nothing. Later renders write in place, each file through a
//! temporary name and a rename, files before records: a render killed half-way
//! leaves files whose records no longer match, and the next render or check finds
//! and redoes those units. Bad input never gets this far: every unit is rendered
//! before anything is written.

use crate::commands::bookkeeping::{self, Book, FileHash, Record};
use crate::fleet::render::HydratedTree;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// What writing the tree would change on disk.
#[derive(Debug, Default)]
pub struct Plan<'t> {
    /// Files to write (new or with other content) → their content.
    pub writes: BTreeMap<String, &'t str>,
    /// Files strata wrote before that the render no longer produces, on disk now.
    pub deletes: BTreeSet<String>,
    /// Units whose record is to be written.
    pub records: BTreeMap<String, Record>,
    /// Units whose record is to be removed.
    pub drop_records: BTreeSet<String>,
    /// Units the tree gains, and loses.
    pub added_units: Vec<String>,
    pub removed_units: Vec<String>,
    /// Files of the tree as it is now.
    pub files: usize,
    /// The legacy whole-tree manifest is still there.
    pub legacy: bool,
}

impl Plan<'_> {
    pub fn is_clean(&self) -> bool {
        self.writes.is_empty()
            && self.deletes.is_empty()
            && self.records.is_empty()
            && self.drop_records.is_empty()
            && !self.legacy
    }

    /// Units kept whose files change (not only their record).
    pub fn changed_units(&self, tree: &HydratedTree) -> BTreeSet<String> {
        let mut owner = BTreeMap::new();
        for u in &tree.units {
            for f in &u.files {
                owner.insert(f.as_str(), u.dir.as_str());
            }
        }
        self.writes
            .keys()
            .filter_map(|f| owner.get(f.as_str()).map(|u| u.to_string()))
            .chain(
                self.records
                    .keys()
                    .filter(|u| {
                        self.deletes.iter().any(|f| {
                            f.strip_prefix(u.as_str())
                                .is_some_and(|r| r.starts_with('/'))
                        })
                    })
                    .cloned(),
            )
            .filter(|u| !self.added_units.contains(u))
            .collect()
    }
}

/// Compares the tree rendered now with the output and its records. `in_scope` says
/// whether a recorded unit that was not rendered now was selected (a partial render
/// keeps the others as they are). Reads a file only when its record cannot vouch
/// for it.
pub fn plan<'t>(
    out: &Path,
    book: &mut Book,
    intact: &BTreeSet<String>,
    tree: &'t HydratedTree,
    in_scope: impl Fn(&Record) -> bool,
) -> Plan<'t> {
    let mut plan = Plan {
        legacy: book.legacy,
        ..Default::default()
    };
    let current: BTreeSet<&str> = tree.units.iter().map(|u| u.dir.as_str()).collect();
    for u in &tree.units {
        plan.files += u.files.len();
        if u.reused {
            continue;
        }
        if !book.records.contains_key(&u.dir) {
            if out.join(&u.dir).is_dir() {
                book.warnings.push(format!(
                    "warning: {}: missing; rebuilt from the files under {}/",
                    out.join(bookkeeping::record_path(&u.dir)).display(),
                    u.dir
                ));
                book.adopt(out, &u.dir);
            } else {
                plan.added_units.push(u.dir.clone());
            }
        }
        let old = book.records.get(&u.dir);
        let vouched = intact.contains(&u.dir);
        let mut hashes = BTreeMap::new();
        for f in &u.files {
            let Some(content) = tree.files.get(f) else {
                continue;
            };
            let h = FileHash::of(content.as_bytes());
            let same = match old.and_then(|r| r.files.get(f)) {
                Some(prev) if vouched => *prev == h,
                _ => fs::read(out.join(f)).is_ok_and(|b| b == content.as_bytes()),
            };
            if !same {
                plan.writes.insert(f.clone(), content.as_str());
            }
            hashes.insert(f.as_str(), h);
        }
        let record = Record::of(u, |f| hashes.get(f).cloned());
        if let Some(old) = old {
            for f in old.files.keys() {
                if !record.files.contains_key(f) && out.join(f).is_file() {
                    plan.deletes.insert(f.clone());
                }
            }
        }
        if old != Some(&record) {
            plan.records.insert(u.dir.clone(), record);
        }
    }
    for (unit, r) in &book.records {
        if current.contains(unit.as_str()) || !in_scope(r) {
            continue;
        }
        plan.removed_units.push(unit.clone());
        plan.drop_records.insert(unit.clone());
        for f in r.files.keys() {
            if out.join(f).is_file() {
                plan.deletes.insert(f.clone());
            }
        }
    }
    // A file a removed unit wrote may be another unit's now (the layout changed).
    let produced: BTreeSet<&str> = tree
        .units
        .iter()
        .flat_map(|u| u.files.iter().map(String::as_str))
        .collect();
    plan.deletes.retain(|f| !produced.contains(f.as_str()));
    plan
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

/// The symbolic links inside the output folder (relative paths), which strata never
/// writes or reads through: `render` refuses them and `--check` lists them.
pub fn links(out: &Path) -> Vec<String> {
    walkdir::WalkDir::new(out)
        .follow_links(false)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.path_is_symlink())
        .map(|e| {
            e.path()
                .strip_prefix(out)
                .unwrap_or(e.path())
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect()
}

/// Carries out `plan` in `out`.
pub fn write(out: &Path, plan: &Plan) -> Result<(), String> {
    if !out.exists() {
        return write_new(out, plan);
    }
    refuse_read_only(out, plan)?;
    for (path, content) in &plan.writes {
        put(&out.join(path), content.as_bytes())?;
    }
    for path in &plan.deletes {
        let p = out.join(path);
        fs::remove_file(&p).map_err(io(&p))?;
        prune(out, &p);
    }
    for (unit, record) in &plan.records {
        put(
            &out.join(bookkeeping::record_path(unit)),
            record.to_json().as_bytes(),
        )?;
    }
    for unit in &plan.drop_records {
        let p = out.join(bookkeeping::record_path(unit));
        if p.exists() {
            fs::remove_file(&p).map_err(io(&p))?;
            prune(out, &p);
        }
    }
    if plan.legacy {
        let p = out.join(bookkeeping::LEGACY_MANIFEST);
        fs::remove_file(&p).map_err(io(&p))?;
    }
    Ok(())
}

/// Files are written in place, one by one: a folder that cannot be written would stop
/// the render half-way, so every folder the plan touches is checked first and the
/// render refused, with the tree exactly as it was.
fn refuse_read_only(out: &Path, plan: &Plan) -> Result<(), String> {
    let records = plan
        .records
        .keys()
        .chain(&plan.drop_records)
        .map(|u| bookkeeping::record_path(u));
    let paths = plan
        .writes
        .keys()
        .cloned()
        .chain(plan.deletes.iter().cloned())
        .chain(records);
    let mut seen = BTreeSet::new();
    for rel in paths {
        // The nearest folder that exists is the one a write creates into.
        let mut dir = out.join(&rel);
        dir.pop();
        while !dir.exists() && dir != out {
            dir.pop();
        }
        if seen.insert(dir.clone()) && !writable(&dir) {
            return Err(format!(
                "{}: the folder is read-only, so the render would stop half-way; make it writable (chmod -R u+w {}) and render again",
                dir.display(),
                out.display()
            ));
        }
    }
    Ok(())
}

/// Whether this process may create and remove files in `dir` (access(2) with W_OK,
/// which answers for this user, root included).
fn writable(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
    unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
}

/// Writes `bytes` to `path` through a temporary name and a rename, so the file is
/// either as it was or as it is now.
fn put(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io(dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.strata-tmp"));
    fs::write(&tmp, bytes).map_err(io(&tmp))?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("{}: {e}", path.display())
    })
}

/// Removes the folders above `removed` that are empty now, up to `out`.
fn prune(out: &Path, removed: &Path) {
    let mut dir = removed.parent();
    while let Some(d) = dir {
        if d == out || !d.starts_with(out) || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// A first render: assembled in a sibling folder and renamed into place, so a
/// failure or a kill leaves no half-written tree.
fn write_new(out: &Path, plan: &Plan) -> Result<(), String> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io(parent))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "rendered".into());
    // What a render killed before its rename left behind is of no use to anyone.
    let stale = format!(".{name}.strata-new-");
    if let Ok(entries) = fs::read_dir(parent) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&stale) {
                let _ = fs::remove_dir_all(e.path());
            }
        }
    }
    let tmp: PathBuf = parent.join(format!("{stale}{}", std::process::id()));
    let result = assemble(&tmp, plan).and_then(|_| fs::rename(&tmp, out).map_err(io(out)));
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

fn assemble(tmp: &Path, plan: &Plan) -> Result<(), String> {
    let mut made = BTreeSet::new();
    let mut create = |p: &Path, bytes: &[u8]| -> Result<(), String> {
        if let Some(dir) = p.parent() {
            if made.insert(dir.to_path_buf()) {
                fs::create_dir_all(dir).map_err(io(dir))?;
            }
        }
        fs::write(p, bytes).map_err(io(p))
    };
    fs::create_dir_all(tmp).map_err(io(tmp))?;
    for (path, content) in &plan.writes {
        create(&tmp.join(path), content.as_bytes())?;
    }
    for (unit, record) in &plan.records {
        create(
            &tmp.join(bookkeeping::record_path(unit)),
            record.to_json().as_bytes(),
        )?;
    }
    Ok(())
}
