//! What strata records of the hydrated tree: one JSON file per unit under
//! `<output>/.strata/units/` (its files with their sizes and hashes, its inputs), so
//! that two branches rendering different units touch different files and merge
//! without conflict. A record that is missing, unreadable or holds conflict markers
//! is rebuilt from the unit's folder on disk, with a warning.

use crate::fleet::inputs::Question;
use crate::fleet::render::{hex, Previous, Unit};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// strata's folder inside the output.
pub const STRATA_DIR: &str = ".strata";
/// Where the records live, relative to the output root.
pub const UNITS_DIR: &str = ".strata/units";
/// One file for the whole tree, as strata wrote it before per-unit records; read
/// once to adopt its units, then removed.
pub const LEGACY_MANIFEST: &str = ".strata/manifest.json";

/// One unit's record: `.strata/units/<unit folder>.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Record {
    pub version: u32,
    pub generator: String,
    /// The unit's folder, relative to the output root.
    pub unit: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cluster: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub app: String,
    /// SHA-256 over the unit's definition and the answers to `inputs`.
    pub inputs_hash: String,
    /// Every question its render asked of the sources (`fleet::inputs`).
    pub inputs: Vec<String>,
    /// Each file (relative to the output root) → its size and SHA-256.
    pub files: BTreeMap<String, FileHash>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileHash {
    pub size: u64,
    pub sha256: String,
}

impl FileHash {
    pub fn of(bytes: &[u8]) -> FileHash {
        FileHash {
            size: bytes.len() as u64,
            sha256: hex(&Sha256::digest(bytes)),
        }
    }
}

impl Record {
    /// The record of a unit rendered now, whose file contents are `content(path)`.
    pub fn of(unit: &Unit, content: impl Fn(&str) -> Option<FileHash>) -> Record {
        Record {
            version: 1,
            generator: concat!("strata ", env!("CARGO_PKG_VERSION")).to_string(),
            unit: unit.dir.clone(),
            cluster: unit.cluster.clone(),
            app: unit.app.clone(),
            inputs_hash: unit.inputs_hash.clone(),
            inputs: unit.inputs.keys().map(Question::encode).collect(),
            files: unit
                .files
                .iter()
                .filter_map(|f| Some((f.clone(), content(f)?)))
                .collect(),
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// What the render needs to reuse the unit.
    pub fn previous(&self) -> Option<Previous> {
        Some(Previous {
            inputs: self
                .inputs
                .iter()
                .map(|q| Question::decode(q))
                .collect::<Option<Vec<_>>>()?,
            inputs_hash: self.inputs_hash.clone(),
            files: self.files.keys().cloned().collect(),
        })
    }
}

/// The record file of a unit folder, relative to the output root.
pub fn record_path(unit: &str) -> String {
    format!("{UNITS_DIR}/{unit}.json")
}

/// Whether a path strata read from a record may be written or deleted: relative,
/// no `..`, not strata's own folder, and (for a unit's file) inside the unit.
fn safe(path: &str, unit: Option<&str>) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
        && path != STRATA_DIR
        && !path.starts_with(".strata/")
        && unit.is_none_or(|u| path.strip_prefix(u).is_some_and(|r| r.starts_with('/')))
}

/// Every record of an output folder.
#[derive(Debug, Default)]
pub struct Book {
    /// Unit folder → its record.
    pub records: BTreeMap<String, Record>,
    /// Units whose record was rebuilt from disk: never reused, always rewritten.
    pub rebuilt: BTreeSet<String>,
    /// The output holds the legacy whole-tree manifest, to remove.
    pub legacy: bool,
    /// What was wrong with the records, for the user.
    pub warnings: Vec<String>,
}

/// Reads the records of `out`. `out` missing or empty: no records. An error: it has
/// files but no `.strata` folder, so strata did not write it.
pub fn read(out: &Path) -> Result<Book, String> {
    let mut book = Book::default();
    if !out.exists() {
        return Ok(book);
    }
    if !out.join(STRATA_DIR).is_dir() {
        let non_empty = fs::read_dir(out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false);
        if non_empty {
            return Err(format!(
                "{}: the folder is not empty and has no {STRATA_DIR}/, so strata did not write it; \
                 strata will not overwrite it. Empty it, or set `output` in strata.yaml to another folder",
                out.display()
            ));
        }
        return Ok(book);
    }
    let units = out.join(UNITS_DIR);
    let mut broken = Vec::new();
    let files: Vec<_> = walkdir::WalkDir::new(&units)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .collect();
    let parsed: Vec<(String, Result<Record, String>)> = files
        .par_iter()
        .filter_map(|e| {
            let rel = e.path().strip_prefix(&units).ok()?;
            let rel = rel.to_string_lossy().replace('\\', "/");
            let unit = rel.strip_suffix(".json")?.to_string();
            let r = fs::read_to_string(e.path())
                .map_err(|e| e.to_string())
                .and_then(|t| {
                    if t.contains("\n<<<<<<<") || t.starts_with("<<<<<<<") {
                        return Err("it holds git conflict markers".to_string());
                    }
                    serde_json::from_str::<Record>(&t).map_err(|e| e.to_string())
                })
                .and_then(|r| {
                    if r.unit != unit {
                        Err(format!("it describes unit '{}'", r.unit))
                    } else if !r.files.keys().all(|f| safe(f, Some(&unit))) {
                        Err("it names a file outside its unit".to_string())
                    } else {
                        Ok(r)
                    }
                });
            Some((unit, r))
        })
        .collect();
    for (unit, r) in parsed {
        if !safe(&unit, None) {
            continue;
        }
        match r {
            Ok(r) => {
                book.records.insert(unit, r);
            }
            Err(why) => broken.push((unit, why)),
        }
    }
    let legacy = out.join(LEGACY_MANIFEST);
    if legacy.is_file() {
        book.legacy = true;
        adopt_legacy(&legacy, &mut book);
    }
    for (unit, why) in broken {
        book.warnings.push(format!(
            "warning: {}: cannot use it ({why}); rebuilt from the files under {unit}/",
            out.join(record_path(&unit)).display()
        ));
        book.adopt(out, &unit);
    }
    Ok(book)
}

/// The units of a manifest.json written by an earlier strata: their files, to own
/// them; no inputs, so each renders once more.
fn adopt_legacy(path: &Path, book: &mut Book) {
    #[derive(Deserialize)]
    struct Manifest {
        files: BTreeMap<String, String>,
        inputs: BTreeMap<String, String>,
    }
    let Some(m) = fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<Manifest>(&t).ok())
    else {
        return;
    };
    for unit in m.inputs.keys().filter(|u| safe(u, None)) {
        if book.records.contains_key(unit) {
            continue;
        }
        let files = m
            .files
            .iter()
            .filter(|(f, _)| safe(f, Some(unit)) && owner(&m.inputs, f) == Some(unit.as_str()))
            .map(|(f, h)| {
                (
                    f.clone(),
                    FileHash {
                        size: u64::MAX,
                        sha256: h.clone(),
                    },
                )
            })
            .collect();
        book.records.insert(
            unit.clone(),
            Record {
                unit: unit.clone(),
                files,
                ..Default::default()
            },
        );
        book.rebuilt.insert(unit.clone());
    }
}

/// The deepest unit folder holding `file`.
fn owner<'a, V>(units: &'a BTreeMap<String, V>, file: &str) -> Option<&'a str> {
    units
        .keys()
        .filter(|u| {
            file.strip_prefix(u.as_str())
                .is_some_and(|r| r.starts_with('/'))
        })
        .max_by_key(|u| u.len())
        .map(String::as_str)
}

impl Book {
    /// Makes a record for `unit` from its folder on disk: the YAML files under it
    /// that no deeper unit holds (strata writes nothing else there).
    pub fn adopt(&mut self, out: &Path, unit: &str) {
        let mut files = BTreeMap::new();
        let dir = out.join(unit);
        for e in walkdir::WalkDir::new(&dir)
            .min_depth(1)
            .sort_by_file_name()
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
        {
            let Ok(rel) = e.path().strip_prefix(out) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            if !rel.ends_with(".yaml") || !safe(&rel, Some(unit)) {
                continue;
            }
            let deeper = self
                .records
                .keys()
                .any(|u| u.len() > unit.len() && rel.starts_with(&format!("{u}/")));
            if deeper {
                continue;
            }
            if let Ok(bytes) = fs::read(e.path()) {
                files.insert(rel, FileHash::of(&bytes));
            }
        }
        self.records.insert(
            unit.to_string(),
            Record {
                unit: unit.to_string(),
                files,
                ..Default::default()
            },
        );
        self.rebuilt.insert(unit.to_string());
    }

    /// The units whose files on disk are as recorded (size, then content hash), and
    /// whose record may be reused.
    pub fn intact(&self, out: &Path) -> BTreeSet<String> {
        self.records
            .par_iter()
            .filter(|(unit, r)| {
                !self.rebuilt.contains(*unit)
                    && r.files.par_iter().all(|(f, h)| holds(&out.join(f), h))
            })
            .map(|(u, _)| u.clone())
            .collect()
    }
}

/// Whether the file at `path` holds the recorded bytes. A check reads every file of
/// the tree, so this costs three system calls: an open that refuses a link and never
/// waits on a FIFO, one read of one byte more than the recorded size (a regular
/// file's read returns all it has up to that, so a longer file shows), a close.
fn holds(path: &Path, h: &FileHash) -> bool {
    use std::io::Read;
    let Ok(size) = usize::try_from(h.size) else {
        return false;
    };
    let mut opts = fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let Ok(mut file) = opts.open(path) else {
        return false;
    };
    let mut buf = vec![0u8; size.saturating_add(1)];
    let mut got = 0;
    // More than one read only when the first is cut short (a signal, a huge file).
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
        if got == size {
            break;
        }
    }
    got == size && hex(&Sha256::digest(&buf[..size])) == h.sha256
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_that_leave_the_unit() {
        assert!(safe("a/b/c.yaml", Some("a/b")));
        assert!(!safe("a/bc.yaml", Some("a/b")));
        assert!(!safe("a/b/../../x.yaml", Some("a/b")));
        assert!(!safe("/etc/passwd", None));
        assert!(!safe(".strata/units/x.json", None));
        assert!(!safe("", None));
    }

    #[test]
    fn a_file_holds_its_record_only_with_the_same_bytes() {
        let dir = std::env::temp_dir().join(format!("strata-holds-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("f.yaml");
        fs::write(&p, "a: 1\n").unwrap();
        let h = FileHash::of(b"a: 1\n");
        assert!(holds(&p, &h));
        fs::write(&p, "a: 2\n").unwrap();
        assert!(!holds(&p, &h), "same size, other bytes");
        fs::write(&p, "a: 1\nb: 2\n").unwrap();
        assert!(!holds(&p, &h), "longer");
        fs::write(&p, "a:").unwrap();
        assert!(!holds(&p, &h), "shorter");
        assert!(!holds(&dir, &h), "a folder");
        assert!(!holds(&dir.join("none.yaml"), &h), "absent");
        #[cfg(unix)]
        {
            fs::write(dir.join("real.yaml"), "a: 1\n").unwrap();
            std::os::unix::fs::symlink(dir.join("real.yaml"), dir.join("link.yaml")).unwrap();
            assert!(
                !holds(&dir.join("link.yaml"), &h),
                "a link is never strata's file"
            );
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_deepest_unit_owns_a_file() {
        let units: BTreeMap<String, ()> = [("a".to_string(), ()), ("a/b".to_string(), ())].into();
        assert_eq!(owner(&units, "a/b/x.yaml"), Some("a/b"));
        assert_eq!(owner(&units, "a/x.yaml"), Some("a"));
        assert_eq!(owner(&units, "ab/x.yaml"), None);
    }
}
