//! The engine's only view of files: a trait with an on-disk and an in-memory
//! implementation. The root restriction lives here: no path may leave the root,
//! not by `..` and not through a symlink.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// Why a file could not be read.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum FsError {
    #[error("{0}: no such file or directory")]
    NotFound(String),
    #[error("{path}: is outside the root {root}; strata reads only files inside the repository (vendor the file into it)")]
    OutsideRoot { path: String, root: String },
    #[error("{0}: {1}")]
    Io(String, String),
}

/// A read-only tree of files addressed by paths relative to its root, `/`-separated.
pub trait FileSystem: Sync {
    /// The bytes of a file.
    fn read(&self, path: &str) -> Result<Vec<u8>, FsError>;
    /// The bytes of a file, shared with the view's cache when it keeps one: a chart
    /// holds megabytes of files, and a copy of each is fresh memory to fill.
    fn read_shared(&self, path: &str) -> Result<std::sync::Arc<[u8]>, FsError> {
        self.read(path).map(Into::into)
    }
    /// The bytes of a file that may never be looked at (a chart's `.Files`: its CRDs,
    /// dashboards, READMEs): a view of a disk maps a large one instead of reading it,
    /// so what is never looked at costs nothing.
    fn read_mapped(&self, path: &str) -> Result<FileBytes, FsError> {
        self.read_shared(path).map(FileBytes::Shared)
    }
    /// Whether `path` is a directory.
    fn is_dir(&self, path: &str) -> bool;
    /// Whether `path` is a file.
    fn is_file(&self, path: &str) -> bool;
    /// Names (not paths) of the entries of a directory, sorted.
    fn list_dir(&self, path: &str) -> Result<Vec<String>, FsError>;
    /// A human-readable name of the root, for messages.
    fn root_name(&self) -> String;
    /// The path with every symlink resolved, root-relative. Views without links
    /// return it unchanged.
    fn canonical(&self, path: &str) -> Result<String, FsError> {
        Ok(path.to_string())
    }
    /// A cache of parsed YAML shared by everything that reads through this view.
    fn parse_cache(&self) -> Option<&crate::yaml::ParseCache> {
        None
    }
}

/// A file's bytes: in memory, or a file mapped (`FileSystem::read_mapped`).
#[derive(Clone)]
pub enum FileBytes {
    Shared(std::sync::Arc<[u8]>),
    Mapped(std::sync::Arc<memmap2::Mmap>),
}

impl FileBytes {
    /// The bytes in shared memory (a mapped file is copied).
    pub fn into_shared(self) -> std::sync::Arc<[u8]> {
        match self {
            FileBytes::Shared(bytes) => bytes,
            FileBytes::Mapped(map) => std::sync::Arc::from(&map[..]),
        }
    }
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Shared(bytes) => bytes,
            FileBytes::Mapped(map) => map,
        }
    }
}

impl std::fmt::Debug for FileBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileBytes({} bytes)", self.len())
    }
}

impl From<std::sync::Arc<[u8]>> for FileBytes {
    fn from(bytes: std::sync::Arc<[u8]>) -> FileBytes {
        FileBytes::Shared(bytes)
    }
}

/// Files from this size on are mapped by `DiskFs::read_mapped`: below it, the map and
/// unmap calls cost more than reading.
const MAP_AT_LEAST: u64 = 64 * 1024;

/// Joins `rel` onto the directory `dir` and normalises `.` and `..`, all within the
/// root. Both are root-relative; the result is root-relative (`""` is the root).
/// Fails when the path would climb above the root or is absolute.
pub fn join(dir: &str, rel: &str) -> Result<String, FsError> {
    if Path::new(rel).is_absolute() {
        return Err(FsError::OutsideRoot {
            path: rel.to_string(),
            root: ".".into(),
        });
    }
    let mut parts: Vec<&str> = dir
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    for comp in Path::new(rel).components() {
        match comp {
            Component::Normal(p) => parts.push(p.to_str().unwrap_or("")),
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    let shown = if dir.is_empty() {
                        rel.to_string()
                    } else {
                        format!("{dir}/{rel}")
                    };
                    return Err(FsError::OutsideRoot {
                        path: shown,
                        root: ".".into(),
                    });
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(FsError::OutsideRoot {
                    path: rel.to_string(),
                    root: ".".into(),
                })
            }
        }
    }
    Ok(parts.join("/"))
}

/// Whether `path` is a file, refusing one that resolves outside the root (a symlink
/// out): `is_file` reports such a file as absent, and a caller that skips absent
/// files (optional layers, app files) would drop it without a word.
pub fn probe_file(fs: &dyn FileSystem, path: &str) -> Result<bool, FsError> {
    if fs.is_file(path) {
        return Ok(true);
    }
    match fs.canonical(path) {
        Err(e @ FsError::OutsideRoot { .. }) => Err(e),
        _ => Ok(false),
    }
}

/// The parent directory of a root-relative path (`""` for top-level entries).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => "",
    }
}

/// Files on disk under a root directory. Symlinks are followed only while their
/// target stays under the root.
pub struct DiskFs {
    root: PathBuf,
    /// Resolved paths, so each directory and file costs one `lstat` per command,
    /// however many kustomizations name it.
    entries: std::sync::Mutex<std::collections::HashMap<String, Result<Entry, FsError>>>,
    /// File contents: a fleet's bases are read by every cluster that uses them.
    contents: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<[u8]>>>,
    parsed: crate::yaml::ParseCache,
}

#[derive(Clone, Debug)]
struct Entry {
    real: PathBuf,
    is_dir: bool,
    is_file: bool,
}

impl DiskFs {
    /// A view of `root`, which must exist. It is a snapshot: files are read once.
    pub fn new(root: &Path) -> Result<DiskFs, FsError> {
        let root = root
            .canonicalize()
            .map_err(|e| FsError::Io(root.display().to_string(), e.to_string()))?;
        Ok(DiskFs {
            root,
            entries: Default::default(),
            contents: Default::default(),
            parsed: Default::default(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Keeps a file's bytes for the next read of `path`, and hands them back.
    fn keep(&self, path: &str, bytes: std::sync::Arc<[u8]>) -> std::sync::Arc<[u8]> {
        if let Ok(mut c) = self.contents.lock() {
            c.insert(path.to_string(), bytes.clone());
        }
        bytes
    }

    /// The real path of `rel`, refused when it resolves outside the root.
    fn resolve(&self, rel: &str) -> Result<PathBuf, FsError> {
        self.entry(rel).map(|e| e.real)
    }

    fn entry(&self, rel: &str) -> Result<Entry, FsError> {
        if let Some(e) = self.entries.lock().ok().and_then(|c| c.get(rel).cloned()) {
            return e;
        }
        let e = self.entry_uncached(rel);
        if let Ok(mut c) = self.entries.lock() {
            c.insert(rel.to_string(), e.clone());
        }
        e
    }

    fn entry_uncached(&self, rel: &str) -> Result<Entry, FsError> {
        if rel.is_empty() {
            return Ok(Entry {
                real: self.root.clone(),
                is_dir: true,
                is_file: false,
            });
        }
        let (dir, name) = match rel.rfind('/') {
            Some(i) => (&rel[..i], &rel[i + 1..]),
            None => ("", rel),
        };
        if name.is_empty() || name == "." || name == ".." || dir.ends_with('/') {
            return self.canonical_entry(rel, &self.root.join(rel));
        }
        let parent = self.entry(dir)?;
        if !parent.is_dir {
            return Err(FsError::NotFound(rel.to_string()));
        }
        let path = parent.real.join(name);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => self.canonical_entry(rel, &path),
            Ok(m) => Ok(Entry {
                real: path,
                is_dir: m.is_dir(),
                is_file: m.is_file(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(FsError::NotFound(rel.to_string()))
            }
            Err(e) => Err(FsError::Io(rel.to_string(), e.to_string())),
        }
    }

    /// Follows every link of `full`; the result must stay under the root.
    fn canonical_entry(&self, rel: &str, full: &Path) -> Result<Entry, FsError> {
        let real = match full.canonicalize() {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(FsError::NotFound(rel.to_string()))
            }
            Err(e) => return Err(FsError::Io(rel.to_string(), e.to_string())),
        };
        if !real.starts_with(&self.root) {
            return Err(FsError::OutsideRoot {
                path: format!("{rel} (a symlink to {})", real.display()),
                root: self.root.display().to_string(),
            });
        }
        let m =
            std::fs::metadata(&real).map_err(|e| FsError::Io(rel.to_string(), e.to_string()))?;
        Ok(Entry {
            real,
            is_dir: m.is_dir(),
            is_file: m.is_file(),
        })
    }
}

/// A file's bytes read straight into shared memory: read into a `Vec` and then shared,
/// a chart's megabytes would be copied once more; zeroed first, they would be written
/// twice.
fn read_shared(path: &Path) -> std::io::Result<std::sync::Arc<[u8]>> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    read_open(file, len, path)
}

/// `read_shared` of a file already open, `len` bytes long when it was opened.
fn read_open(
    mut file: std::fs::File,
    len: u64,
    path: &Path,
) -> std::io::Result<std::sync::Arc<[u8]>> {
    use std::io::Read;
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    let mut bytes = std::sync::Arc::<[u8]>::new_uninit_slice(len);
    let whole = match std::sync::Arc::get_mut(&mut bytes) {
        Some(buf) => match read_into(&file, buf)? {
            Filled::Whole => true,
            Filled::Part(n) => n == len && file.read(&mut [0])? == 0,
        },
        None => false,
    };
    if whole {
        // SAFETY: `read_into` wrote all `len` bytes.
        Ok(unsafe { bytes.assume_init() })
    } else {
        // The file changed size while it was read.
        std::fs::read(path).map(Into::into)
    }
}

/// How far [`read_into`] filled its buffer.
enum Filled {
    /// Full, and the file ended there.
    Whole,
    /// This many bytes (when full, the file may go on).
    Part(usize),
}

/// Fills `buf` from `file` until it is full or the file ends. The first read asks for
/// one byte more, into a spare byte: a regular file reads short only at its end, so a
/// file read whole in one call needs no second call to find its end (one system call
/// fewer for each of a chart's hundreds of files).
#[cfg(unix)]
fn read_into(
    file: &std::fs::File,
    buf: &mut [std::mem::MaybeUninit<u8>],
) -> std::io::Result<Filled> {
    use std::os::fd::AsRawFd;
    let mut spare = 0u8;
    let iov = [
        libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        },
        libc::iovec {
            iov_base: (&mut spare as *mut u8).cast(),
            iov_len: 1,
        },
    ];
    // SAFETY: `readv` writes at most each vector's length into memory we own (the
    // buffer, uninitialised, written through a raw pointer, and the spare byte).
    let n = unsafe { libc::readv(file.as_raw_fd(), iov.as_ptr(), 2) };
    let mut done = match usize::try_from(n) {
        Ok(n) if n > buf.len() => return Ok(Filled::Part(n)),
        Ok(n) if n == buf.len() => return Ok(Filled::Whole),
        Ok(0) => return Ok(Filled::Part(0)),
        Ok(n) => n,
        Err(_) => {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(e);
            }
            0
        }
    };
    while done < buf.len() {
        let rest = &mut buf[done..];
        // SAFETY: `read` writes at most `rest.len()` bytes into memory we own; writing
        // to uninitialised bytes through a raw pointer is sound.
        let n = unsafe { libc::read(file.as_raw_fd(), rest.as_mut_ptr().cast(), rest.len()) };
        match n {
            0 => break,
            n if n > 0 => done += n as usize,
            _ => {
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    Ok(Filled::Part(done))
}

#[cfg(not(unix))]
fn read_into(_: &std::fs::File, _: &mut [std::mem::MaybeUninit<u8>]) -> std::io::Result<Filled> {
    // Not read here: `read_shared` falls back to `std::fs::read`.
    Ok(Filled::Part(usize::MAX))
}

impl FileSystem for DiskFs {
    fn read(&self, path: &str) -> Result<Vec<u8>, FsError> {
        self.read_shared(path).map(|b| b.to_vec())
    }

    fn read_shared(&self, path: &str) -> Result<std::sync::Arc<[u8]>, FsError> {
        if let Some(c) = self.contents.lock().ok().and_then(|c| c.get(path).cloned()) {
            return Ok(c);
        }
        let real = self.resolve(path)?;
        let bytes = read_shared(&real).map_err(|e| FsError::Io(path.to_string(), e.to_string()))?;
        Ok(self.keep(path, bytes))
    }

    fn read_mapped(&self, path: &str) -> Result<FileBytes, FsError> {
        if let Some(c) = self.contents.lock().ok().and_then(|c| c.get(path).cloned()) {
            return Ok(FileBytes::Shared(c));
        }
        let real = self.resolve(path)?;
        let io = |e: std::io::Error| FsError::Io(path.to_string(), e.to_string());
        let file = std::fs::File::open(&real).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len < MAP_AT_LEAST {
            let bytes = read_open(file, len, &real).map_err(io)?;
            return Ok(FileBytes::Shared(self.keep(path, bytes)));
        }
        // SAFETY: the map is read only. Like every reader of the repository, it assumes
        // the files do not change while a command runs (one truncated meanwhile would
        // end the process with SIGBUS when its lost pages were read).
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        Ok(FileBytes::Mapped(std::sync::Arc::new(map)))
    }

    fn is_dir(&self, path: &str) -> bool {
        self.entry(path).is_ok_and(|e| e.is_dir)
    }

    fn is_file(&self, path: &str) -> bool {
        self.entry(path).is_ok_and(|e| e.is_file)
    }

    fn list_dir(&self, path: &str) -> Result<Vec<String>, FsError> {
        let real = self.resolve(path)?;
        let mut names = Vec::new();
        let rd =
            std::fs::read_dir(&real).map_err(|e| FsError::Io(path.to_string(), e.to_string()))?;
        let mut known = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| FsError::Io(path.to_string(), e.to_string()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            // The listing tells each entry's type (no `lstat` per file, which a chart of
            // hundreds of files pays for); a link is still resolved when asked for.
            if let Ok(t) = entry.file_type() {
                if !t.is_symlink() {
                    let rel = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}/{name}")
                    };
                    let e = Entry {
                        real: real.join(&name),
                        is_dir: t.is_dir(),
                        is_file: t.is_file(),
                    };
                    known.push((rel, Ok(e)));
                }
            }
            names.push(name);
        }
        if let Ok(mut c) = self.entries.lock() {
            for (rel, e) in known {
                c.entry(rel).or_insert(e);
            }
        }
        names.sort();
        Ok(names)
    }

    fn root_name(&self) -> String {
        self.root.display().to_string()
    }

    fn canonical(&self, path: &str) -> Result<String, FsError> {
        let real = self.resolve(path)?;
        Ok(real
            .strip_prefix(&self.root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default())
    }

    fn parse_cache(&self) -> Option<&crate::yaml::ParseCache> {
        Some(&self.parsed)
    }
}

/// Files held in memory, for tests and for rendering a fleet from a git ref.
#[derive(Default, Clone)]
pub struct MemFs {
    files: BTreeMap<String, Vec<u8>>,
}

impl MemFs {
    pub fn new() -> MemFs {
        MemFs::default()
    }

    /// Adds a file at a root-relative path.
    pub fn add(&mut self, path: &str, content: impl Into<Vec<u8>>) -> &mut MemFs {
        self.files
            .insert(path.trim_start_matches("./").to_string(), content.into());
        self
    }

    /// Builds one from `(path, content)` pairs.
    pub fn from_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> MemFs {
        let mut fs = MemFs::new();
        for (p, c) in files {
            fs.add(p, c.as_bytes());
        }
        fs
    }
}

impl FileSystem for MemFs {
    fn read(&self, path: &str) -> Result<Vec<u8>, FsError> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| FsError::NotFound(path.to_string()))
    }

    fn is_dir(&self, path: &str) -> bool {
        if path.is_empty() {
            return true;
        }
        let prefix = format!("{path}/");
        self.files
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }

    fn is_file(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    fn list_dir(&self, path: &str) -> Result<Vec<String>, FsError> {
        if !self.is_dir(path) {
            return Err(FsError::NotFound(path.to_string()));
        }
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        let mut names: Vec<String> = self
            .files
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| {
                k[prefix.len()..]
                    .split('/')
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .collect();
        names.dedup();
        Ok(names)
    }

    fn root_name(&self) -> String {
        "<memory>".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_files_are_mapped_and_links_out_of_the_root_refused() {
        let dir = std::env::temp_dir().join(format!("strata-map-{}", std::process::id()));
        let root = dir.join("repo");
        std::fs::create_dir_all(&root).unwrap();
        let large: Vec<u8> = (0..MAP_AT_LEAST as usize + 1).map(|i| i as u8).collect();
        std::fs::write(root.join("large.yaml"), &large).unwrap();
        std::fs::write(root.join("small.yaml"), "a: 1\n").unwrap();
        std::fs::write(dir.join("outside.yaml"), &large).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.join("outside.yaml"), root.join("link.yaml")).unwrap();
        let fs = DiskFs::new(&root).unwrap();
        let mapped = fs.read_mapped("large.yaml").unwrap();
        assert!(matches!(mapped, FileBytes::Mapped(_)));
        assert_eq!(&mapped[..], &large[..]);
        let small = fs.read_mapped("small.yaml").unwrap();
        assert!(matches!(small, FileBytes::Shared(_)));
        assert_eq!(&small[..], b"a: 1\n");
        #[cfg(unix)]
        assert!(matches!(
            fs.read_mapped("link.yaml"),
            Err(FsError::OutsideRoot { .. })
        ));
        assert!(matches!(
            fs.read_mapped("../outside.yaml"),
            Err(FsError::OutsideRoot { .. } | FsError::NotFound(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn files_are_read_whole_at_any_size() {
        let dir = std::env::temp_dir().join(format!("strata-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for len in [0usize, 1, 2, 4095, 4096, 4097, 65535] {
            let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let path = dir.join(format!("f{len}"));
            std::fs::write(&path, &bytes).unwrap();
            assert_eq!(&read_shared(&path).unwrap()[..], &bytes[..], "{len} bytes");
        }
        std::fs::remove_dir_all(&dir).unwrap();
        // A file whose size says nothing of its content (0 bytes long, yet not empty).
        #[cfg(target_os = "linux")]
        assert!(!read_shared(Path::new("/proc/self/status"))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn join_normalises_and_refuses_to_climb_out() {
        assert_eq!(join("a/b", "../c/./d.yaml").unwrap(), "a/c/d.yaml");
        assert_eq!(join("", "x.yaml").unwrap(), "x.yaml");
        assert!(matches!(
            join("a", "../../etc/passwd"),
            Err(FsError::OutsideRoot { .. })
        ));
        assert!(matches!(
            join("a", "/etc/passwd"),
            Err(FsError::OutsideRoot { .. })
        ));
    }

    #[test]
    fn memfs_lists_directories() {
        let fs = MemFs::from_files([("a/k.yaml", ""), ("a/b/c.yaml", ""), ("d.yaml", "")]);
        assert_eq!(fs.list_dir("").unwrap(), vec!["a", "d.yaml"]);
        assert_eq!(fs.list_dir("a").unwrap(), vec!["b", "k.yaml"]);
        assert!(fs.is_dir("a/b"));
        assert!(!fs.is_dir("a/k.yaml"));
    }
}
