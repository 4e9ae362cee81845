//! What strata records of the hydrated tree: one JSON file per unit under
//! `<output>/.strata/units/` (its files with their sizes and hashes, its inputs), so
//! that two branches rendering different units touch different files and merge
//! without conflict. A record that is missing, unreadable or holds conflict markers
//! is rebuilt from the unit's folder on disk, with a warning.

use crate::commands::outdir::{Cursor, Folder};
use crate::fleet::inputs::Question;
use crate::fleet::render::{hex, Previous, Unit};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

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

/// Reads the records of the output folder `out` (`None`: it does not exist yet, no
/// records), whose files (relative to it, as `outdir`'s walk lists them) are `files`.
/// An error: it has files but no `.strata` folder, so strata did not write it.
pub fn read(out: Option<&Folder>, files: &[String]) -> Result<Book, String> {
    let mut book = Book::default();
    let Some(out) = out else {
        return Ok(book);
    };
    let Some(strata) = out.subfolder(STRATA_DIR, false)? else {
        if !out.is_empty()? {
            return Err(format!(
                "{}: the folder is not empty and has no {STRATA_DIR}/, so strata did not write it; \
                 strata will not overwrite it. Empty it, or set `output` in strata.yaml to another folder",
                out.shown()
            ));
        }
        return Ok(book);
    };
    let shown = |unit: &str| format!("{}/{}", out.shown(), record_path(unit));
    let mut broken = Vec::new();
    let prefix = format!("{UNITS_DIR}/");
    let records: Vec<&str> = files
        .iter()
        .filter_map(|f| f.strip_prefix(&prefix))
        .collect();
    let files = match strata.subfolder("units", false)? {
        // Read in parallel, each batch through one cursor: the folders records share
        // are opened once per batch.
        Some(units) => records
            .par_chunks(64)
            .flat_map_iter(|batch| {
                let mut at = units.cursor();
                batch
                    .iter()
                    .filter_map(|rel| {
                        let unit = rel.strip_suffix(".json")?.to_string();
                        let r = parse_record(&mut at, rel, &unit);
                        Some((unit, r))
                    })
                    .collect::<Vec<_>>()
            })
            .collect(),
        None => Vec::new(),
    };
    for (unit, r) in files {
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
    if let Some(bytes) = out.read(LEGACY_MANIFEST).ok().flatten() {
        book.legacy = true;
        adopt_legacy(&bytes, &mut book);
    }
    for (unit, why) in broken {
        book.warnings.push(format!(
            "warning: {}: cannot use it ({why}); rebuilt from the files under {unit}/",
            shown(&unit)
        ));
        book.adopt(out, &unit);
    }
    Ok(book)
}

/// The record of `unit` at `rel` under the records folder, checked.
fn parse_record(at: &mut Cursor, rel: &str, unit: &str) -> Result<Record, String> {
    let bytes = at.read(rel)?.ok_or("it vanished while strata read it")?;
    let t = String::from_utf8(bytes).map_err(|_| "it is not UTF-8".to_string())?;
    if t.contains("\n<<<<<<<") || t.starts_with("<<<<<<<") {
        return Err("it holds git conflict markers".to_string());
    }
    let r = serde_json::from_str::<Record>(&t).map_err(|e| e.to_string())?;
    if r.unit != unit {
        Err(format!("it describes unit '{}'", r.unit))
    } else if !r.files.keys().all(|f| safe(f, Some(unit))) {
        Err("it names a file outside its unit".to_string())
    } else {
        Ok(r)
    }
}

/// The units of a manifest.json written by an earlier strata: their files, to own
/// them; no inputs, so each renders once more.
fn adopt_legacy(bytes: &[u8], book: &mut Book) {
    #[derive(Deserialize)]
    struct Manifest {
        files: BTreeMap<String, String>,
        inputs: BTreeMap<String, String>,
    }
    let Ok(m) = serde_json::from_slice::<Manifest>(bytes) else {
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
    pub fn adopt(&mut self, out: &Folder, unit: &str) {
        let mut files = BTreeMap::new();
        if let Some(dir) = out.open_path(unit).ok().flatten() {
            let mut at = dir.cursor();
            for f in dir.contents().map(|c| c.files).unwrap_or_default() {
                let rel = format!("{unit}/{f}");
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
                if let Ok(Some(bytes)) = at.read(&f) {
                    files.insert(rel, FileHash::of(&bytes));
                }
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
    pub fn intact(&self, out: Option<&Folder>) -> BTreeSet<String> {
        let Some(out) = out else {
            return BTreeSet::new();
        };
        // One cursor per run of units (in sorted order): units that share folders
        // (`clusters/<cluster>/...`) open them once. And one buffer: a tree's files
        // are read into it, one after another.
        let ok: Vec<Option<&String>> = self
            .records
            .par_iter()
            .map_init(
                || (out.cursor(), Vec::new()),
                |(at, buf), (unit, r)| {
                    let ok = !self.rebuilt.contains(unit)
                        && r.files.iter().all(|(f, h)| holds(at, buf, f, h));
                    ok.then_some(unit)
                },
            )
            .collect();
        ok.into_iter().flatten().cloned().collect()
    }
}

/// Whether the file `rel` holds the recorded bytes. A check reads every file of the
/// tree, so this costs three system calls past the folders the cursor has open: an
/// open that refuses a link and never waits on a FIFO, one read of one byte more than
/// the recorded size (a regular file's read returns all it has up to that, so a
/// longer file shows), a close.
fn holds(at: &mut Cursor, buf: &mut Vec<u8>, rel: &str, h: &FileHash) -> bool {
    use std::io::Read;
    let Ok(size) = usize::try_from(h.size) else {
        return false;
    };
    let Ok(Some(mut file)) = at.open(rel) else {
        return false;
    };
    buf.resize(size.saturating_add(1), 0);
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
        use std::fs;
        let base = std::env::temp_dir().join(format!("strata-holds-{}", std::process::id()));
        let dir = base.join("out");
        fs::create_dir_all(&dir).unwrap();
        let out = crate::commands::outdir::OutDir::new(&base, "out");
        let folder = out.open().unwrap().unwrap();
        // One buffer for every check, as `intact` reads a tree: what an earlier file
        // left in it never counts.
        let mut buf = Vec::new();
        let mut holds = |rel: &str, h: &FileHash| holds(&mut folder.cursor(), &mut buf, rel, h);
        let p = dir.join("f.yaml");
        fs::write(&p, "a: 1\n").unwrap();
        let h = FileHash::of(b"a: 1\n");
        assert!(holds("f.yaml", &h));
        fs::write(&p, "a: 2\n").unwrap();
        assert!(!holds("f.yaml", &h), "same size, other bytes");
        fs::write(&p, "a: 1\nb: 2\n").unwrap();
        assert!(!holds("f.yaml", &h), "longer");
        fs::write(&p, "a:").unwrap();
        assert!(!holds("f.yaml", &h), "shorter");
        fs::create_dir_all(dir.join("sub")).unwrap();
        assert!(!holds("sub", &h), "a folder");
        assert!(!holds("none.yaml", &h), "absent");
        #[cfg(unix)]
        {
            fs::write(dir.join("real.yaml"), "a: 1\n").unwrap();
            std::os::unix::fs::symlink(dir.join("real.yaml"), dir.join("link.yaml")).unwrap();
            assert!(!holds("link.yaml", &h), "a link is never strata's file");
            std::os::unix::fs::symlink(&dir, dir.join("up")).unwrap();
            assert!(
                !holds("up/real.yaml", &h),
                "nor a file behind a linked folder"
            );
        }
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn the_deepest_unit_owns_a_file() {
        let units: BTreeMap<String, ()> = [("a".to_string(), ()), ("a/b".to_string(), ())].into();
        assert_eq!(owner(&units, "a/b/x.yaml"), Some("a/b"));
        assert_eq!(owner(&units, "a/x.yaml"), Some("a"));
        assert_eq!(owner(&units, "ab/x.yaml"), None);
    }
}
