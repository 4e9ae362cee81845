//! Writing the hydrated tree: only the files that changed, deleting only what strata
//! wrote before (its per-unit records, `bookkeeping.rs`), and never into a folder
//! strata does not own.
//!
//! A first render is assembled in a sibling folder and renamed into place, so a
//! failure leaves nothing. Later renders write in place, each file through a
//! temporary name and a rename, files before records: a render killed half-way
//! leaves files whose records no longer match, and the next render or check finds
//! and redoes those units (and removes the temporary files a kill left). Bad input
//! never gets this far: every unit is rendered before anything is written. Every
//! read and write goes through `outdir.rs`, which never follows a link.

use crate::commands::bookkeeping::{self, Book, FileHash, Record};
use crate::commands::outdir::{Folder, Kind, OutDir};
use crate::fleet::render::HydratedTree;
use std::collections::{BTreeMap, BTreeSet, HashMap};

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
    /// strata's temporary files that a killed render left, to remove.
    pub leftovers: Vec<String>,
}

impl Plan<'_> {
    pub fn is_clean(&self) -> bool {
        self.writes.is_empty()
            && self.deletes.is_empty()
            && self.records.is_empty()
            && self.drop_records.is_empty()
            && self.leftovers.is_empty()
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
    out: Option<&Folder>,
    book: &mut Book,
    intact: &BTreeSet<String>,
    tree: &'t HydratedTree,
    in_scope: impl Fn(&Record) -> bool,
) -> Plan<'t> {
    let mut plan = Plan {
        legacy: book.legacy,
        ..Default::default()
    };
    // What is on disk, asked without following a link: a link is never a unit's
    // folder or file, so a render replaces it (the link itself).
    let mut probe = out.map(Folder::cursor);
    let mut kind = |rel: &str| probe.as_mut().and_then(|c| c.kind(rel).ok().flatten());
    let mut reader = out.map(Folder::cursor);
    let mut same = |rel: &str, content: &str| {
        reader
            .as_mut()
            .and_then(|c| c.read(rel).ok().flatten())
            .is_some_and(|b| b == content.as_bytes())
    };
    let current: BTreeSet<&str> = tree.units.iter().map(|u| u.dir.as_str()).collect();
    // Files with the same text share it (`HydratedTree::files`): each text hashed once.
    let mut hashed: HashMap<*const u8, FileHash> = HashMap::new();
    for u in &tree.units {
        plan.files += u.files.len();
        if u.reused {
            continue;
        }
        if !book.records.contains_key(&u.dir) {
            if let Some(out) = out.filter(|_| kind(&u.dir) == Some(Kind::Folder)) {
                book.warnings.push(format!(
                    "warning: {}/{}: missing; rebuilt from the files under {}/",
                    out.shown(),
                    bookkeeping::record_path(&u.dir),
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
            let h = hashed
                .entry(content.as_ptr())
                .or_insert_with(|| FileHash::of(content.as_bytes()))
                .clone();
            let same = match old.and_then(|r| r.files.get(f)) {
                Some(prev) if vouched => *prev == h,
                _ => same(f, content),
            };
            if !same {
                plan.writes.insert(f.clone(), content);
            }
            hashes.insert(f.as_str(), h);
        }
        let record = Record::of(u, |f| hashes.get(f).cloned());
        if let Some(old) = old {
            for f in old.files.keys() {
                if !record.files.contains_key(f) && kind(f) == Some(Kind::File) {
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
            if kind(f) == Some(Kind::File) {
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

/// Carries out `plan` in the output `out`, whose folder `dir` is open (`None`: a
/// first render). Every read and write goes through `outdir`, which never follows
/// a link.
pub fn write(out: &OutDir, dir: Option<&Folder>, plan: &Plan) -> Result<(), String> {
    let Some(dir) = dir else {
        return write_new(out, plan);
    };
    refuse_read_only(dir, plan)?;
    let mut at = dir.cursor();
    for path in &plan.leftovers {
        at.remove(path)?;
        at.prune(path)?;
    }
    for (path, content) in &plan.writes {
        at.put(path, content.as_bytes())?;
    }
    for path in &plan.deletes {
        at.remove(path)?;
        at.prune(path)?;
    }
    for (unit, record) in &plan.records {
        at.put(&bookkeeping::record_path(unit), record.to_json().as_bytes())?;
    }
    for unit in &plan.drop_records {
        let p = bookkeeping::record_path(unit);
        if at.remove(&p)? {
            at.prune(&p)?;
        }
    }
    if plan.legacy {
        at.remove(bookkeeping::LEGACY_MANIFEST)?;
    }
    Ok(())
}

/// Files are written in place, one by one: a folder that cannot be written would stop
/// the render half-way, so every folder the plan touches is checked first and the
/// render refused, with the tree exactly as it was.
fn refuse_read_only(dir: &Folder, plan: &Plan) -> Result<(), String> {
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
        .chain(plan.leftovers.iter().cloned())
        .chain(records);
    let mut at = dir.cursor();
    let mut seen = BTreeSet::new();
    for rel in paths {
        // The nearest folder that exists is the one a write creates into.
        let (folder, writable) = at.writable(&rel)?;
        if seen.insert(folder.clone()) && !writable {
            return Err(format!(
                "{folder}: the folder is read-only, so the render would stop half-way; make it writable (chmod -R u+w {}) and render again",
                dir.shown()
            ));
        }
    }
    Ok(())
}

/// A first render: assembled in a sibling folder and renamed into place, so a
/// failure or a kill leaves no half-written tree.
fn write_new(out: &OutDir, plan: &Plan) -> Result<(), String> {
    let parent = out
        .parent(true)?
        .ok_or_else(|| format!("{}: cannot create the folder that holds it", out.shown()))?;
    let name = out.name();
    // What a render killed before its rename left behind is of no use to anyone.
    let stale = format!(".{name}.strata-new-");
    for entry in parent.names()? {
        if entry.starts_with(&stale) {
            parent.remove_all(&entry)?;
        }
    }
    let tmp_name = format!("{stale}{}", std::process::id());
    let result = parent
        .make_new(&tmp_name)
        .and_then(|tmp| assemble(&tmp, plan))
        .and_then(|_| parent.rename_new(&tmp_name, name));
    if result.is_err() {
        let _ = parent.remove_all(&tmp_name);
    }
    result
}

fn assemble(tmp: &Folder, plan: &Plan) -> Result<(), String> {
    use rayon::prelude::*;
    // Creating thousands of files is mostly the file system's work (inodes, folder
    // entries): in parallel, each thread with its own cursor over a run of paths in
    // order, so neighbours share their open folders.
    let records: Vec<(String, String)> = plan
        .records
        .iter()
        .map(|(unit, record)| (bookkeeping::record_path(unit), record.to_json()))
        .collect();
    let files: Vec<(&str, &[u8])> = plan
        .writes
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_bytes()))
        .chain(records.iter().map(|(p, r)| (p.as_str(), r.as_bytes())))
        .collect();
    let written: Vec<Result<(), String>> = files
        .par_chunks(64)
        .map(|run| {
            let mut at = tmp.cursor();
            run.iter()
                .try_for_each(|(path, bytes)| at.create_new(path, bytes))
        })
        .collect();
    // The first failure in path order, whichever thread met one first.
    written.into_iter().collect()
}
