//! The output folder on disk, reached, read and written only through folder handles
//! that never follow a symbolic link: the one place `render` and `--check` touch it.
//!
//! A pull request can commit a symlink anywhere in the hydrated tree
//! (`rendered/apps/dev -> /etc`), and one can appear while a render runs. Checking
//! paths before using them races with the file system, so every step here is relative
//! to a handle opened with `O_NOFOLLOW | O_DIRECTORY` (openat, mkdirat, unlinkat,
//! renameat): a link in the way makes the call fail, it is never followed. Only the
//! repository root itself is opened by path. `render` still scans for links first
//! ([`Folder::contents`]) to refuse them with one clear message; this makes the refusal
//! hold for a link that appears after the scan too.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The temporary name a file is written under before it is renamed into place.
pub fn temp_name(name: &str) -> String {
    format!(".{name}{TEMP_SUFFIX}")
}

const TEMP_SUFFIX: &str = ".strata-tmp";

/// Whether `name` is one of strata's temporary names (what a killed render leaves).
pub fn is_temp_name(name: &str) -> bool {
    name.strip_prefix('.')
        .and_then(|n| n.strip_suffix(TEMP_SUFFIX))
        .is_some_and(|n| !n.is_empty())
}

/// What an entry of a folder is, the entry itself (a link is a link).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Folder,
    Link,
    /// A FIFO, socket or device: never strata's.
    Other,
}

/// The output folder: a path inside the repository root, as strata.yaml names it.
pub struct OutDir {
    root: PathBuf,
    /// The folders from the root to the output, the last one the output itself.
    parts: Vec<String>,
    /// For messages (`rendered`, `out/rendered`).
    shown: String,
}

/// An open folder inside the repository, and its path for messages.
#[derive(Debug)]
pub struct Folder {
    handle: sys::Handle,
    shown: String,
}

/// What is inside a folder, walked without following links; paths relative to it,
/// sorted.
#[derive(Debug, Default)]
pub struct Contents {
    /// Regular files, and anything else that is neither a folder nor a link.
    pub files: Vec<String>,
    /// Symbolic links.
    pub links: Vec<String>,
    /// Files under one of strata's temporary names: a killed render left them.
    pub leftovers: Vec<String>,
}

/// `a/b` for messages.
fn joined(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// The message for a symbolic link met inside (or as, or above) the output folder.
pub fn link_error(shown: &str) -> String {
    format!(
        "{shown}: is a symbolic link; strata never writes or reads through a link in the output folder. \
         Remove it (git rm) and run again"
    )
}

/// Every name handed to the kernel here is one entry of its folder: `..` would climb
/// out of the handle, an empty name would be the folder itself. The paths come from
/// `fleet::paths`-checked input and from records checked by `bookkeeping`; this makes
/// the module safe on its own.
fn one_name(shown: &str, name: &str) -> Result<(), String> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
        return Err(format!(
            "{shown}: '{}' is not a file or folder name; strata writes only inside the output folder",
            name.escape_debug()
        ));
    }
    Ok(())
}

impl OutDir {
    /// The output `rel` (root-relative, `/`-separated, already checked by
    /// `fleet::paths`) of the repository at `root`.
    pub fn new(root: &Path, rel: &str) -> OutDir {
        let parts: Vec<String> = rel
            .split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .map(String::from)
            .collect();
        OutDir {
            root: root.to_path_buf(),
            shown: parts.join("/"),
            parts,
        }
    }

    /// The output as a path from the repository root, for messages.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The output's own folder name.
    pub fn name(&self) -> &str {
        self.parts.last().map(String::as_str).unwrap_or("rendered")
    }

    /// The folder that holds the output, its folders made when `create` asks; `None`
    /// when one is absent and `create` is false. A link on the way is an error.
    pub fn parent(&self, create: bool) -> Result<Option<Folder>, String> {
        let handle =
            sys::open_root(&self.root).map_err(|e| format!("{}: {e}", self.root.display()))?;
        let mut dir = Folder {
            handle,
            shown: String::new(),
        };
        for part in &self.parts[..self.parts.len().saturating_sub(1)] {
            match dir.subfolder(part, create)? {
                Some(d) => dir = d,
                None => return Ok(None),
            }
        }
        Ok(Some(dir))
    }

    /// The output folder, or `None` when it does not exist. An error when it (or a
    /// folder on the way to it) is a symbolic link.
    pub fn open(&self) -> Result<Option<Folder>, String> {
        match self.parent(false)? {
            Some(p) => p.subfolder(self.name(), false),
            None => Ok(None),
        }
    }
}

impl Folder {
    /// Its path from the repository root, for messages.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// A cursor for many operations on paths inside this folder.
    pub fn cursor(&self) -> Cursor<'_> {
        Cursor {
            base: self,
            stack: Vec::new(),
        }
    }

    /// The folder `name` inside this one; made when `create` asks and it is absent.
    /// A link by that name is an error, never followed.
    pub fn subfolder(&self, name: &str, create: bool) -> Result<Option<Folder>, String> {
        let shown = joined(&self.shown, name);
        one_name(&shown, name)?;
        let mut opened = sys::open_dir(&self.handle, name);
        if create
            && opened
                .as_ref()
                .is_err_and(|e| e.kind() == io::ErrorKind::NotFound)
        {
            match sys::mkdir(&self.handle, name) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(format!("{shown}: cannot create the folder: {e}")),
            }
            opened = sys::open_dir(&self.handle, name);
        }
        match opened {
            Ok(handle) => Ok(Some(Folder { handle, shown })),
            Err(e) => match self.kind(name) {
                Some(Kind::Link) => Err(link_error(&shown)),
                None if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Some(Kind::File | Kind::Other) => Err(format!(
                    "{shown}: is a file where strata needs a folder; move it away and run again"
                )),
                _ => Err(format!("{shown}: {e}")),
            },
        }
    }

    /// What the entry `name` is, `None` when there is none.
    fn kind(&self, name: &str) -> Option<Kind> {
        sys::kind(&self.handle, name).ok()
    }

    /// The folder at `rel` (a `/`-separated path inside this one), `None` when absent.
    pub fn open_path(&self, rel: &str) -> Result<Option<Folder>, String> {
        let mut parts = rel.split('/').filter(|p| !p.is_empty());
        let Some(first) = parts.next() else {
            return Err(format!("{}: an empty path", self.shown));
        };
        let Some(mut dir) = self.subfolder(first, false)? else {
            return Ok(None);
        };
        for part in parts {
            match dir.subfolder(part, false)? {
                Some(d) => dir = d,
                None => return Ok(None),
            }
        }
        Ok(Some(dir))
    }

    /// The bytes of the file `rel`, `None` when it does not exist.
    pub fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, String> {
        self.cursor().read(rel)
    }

    /// Names and kinds of the entries, sorted by name.
    fn entries(&self) -> Result<Vec<(String, Kind)>, String> {
        let shown = if self.shown.is_empty() {
            "."
        } else {
            &self.shown
        };
        let mut out = sys::entries(&self.handle).map_err(|e| format!("{shown}: {e}"))?;
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Names of the entries, sorted.
    pub fn names(&self) -> Result<Vec<String>, String> {
        Ok(self.entries()?.into_iter().map(|(n, _)| n).collect())
    }

    /// Whether the folder has no entries.
    pub fn is_empty(&self) -> Result<bool, String> {
        Ok(self.entries()?.is_empty())
    }

    /// Everything below the folder, without following a link.
    pub fn contents(&self) -> Result<Contents, String> {
        let mut c = Contents::default();
        self.walk("", &mut c)?;
        Ok(c)
    }

    fn walk(&self, rel: &str, c: &mut Contents) -> Result<(), String> {
        for (name, kind) in self.entries()? {
            let path = joined(rel, &name);
            match kind {
                Kind::Link => c.links.push(path),
                Kind::Folder => {
                    if let Some(sub) = self.subfolder(&name, false)? {
                        sub.walk(&path, c)?;
                    }
                }
                Kind::File if is_temp_name(&name) => c.leftovers.push(path),
                Kind::File | Kind::Other => c.files.push(path),
            }
        }
        Ok(())
    }

    /// Removes the entry `name` of this folder and, for a folder, all it holds,
    /// without following a link. An absent entry is not an error.
    pub fn remove_all(&self, name: &str) -> Result<(), String> {
        let shown = joined(&self.shown, name);
        one_name(&shown, name)?;
        match self.kind(name) {
            None => return Ok(()),
            Some(Kind::Folder) => {}
            Some(_) => {
                return match sys::unlink(&self.handle, name) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => Err(format!("{shown}: {e}")),
                    _ => Ok(()),
                }
            }
        }
        if let Some(sub) = self.subfolder(name, false)? {
            for (entry, _) in sub.entries()? {
                sub.remove_all(&entry)?;
            }
        }
        match sys::rmdir(&self.handle, name) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(format!("{shown}: {e}")),
            _ => Ok(()),
        }
    }

    /// Makes a new, empty folder `name`; fails when something is there.
    pub fn make_new(&self, name: &str) -> Result<Folder, String> {
        let shown = joined(&self.shown, name);
        one_name(&shown, name)?;
        sys::mkdir(&self.handle, name)
            .map_err(|e| format!("{shown}: cannot create the folder: {e}"))?;
        self.subfolder(name, false)?
            .ok_or_else(|| format!("{shown}: vanished while strata wrote it"))
    }

    /// Renames the entry `from` of this folder to `to`, where nothing may be.
    pub fn rename_new(&self, from: &str, to: &str) -> Result<(), String> {
        let shown = joined(&self.shown, to);
        one_name(&shown, from)?;
        one_name(&shown, to)?;
        sys::rename_new(&self.handle, from, to).map_err(|e| format!("{shown}: {e}"))
    }
}

/// Many operations on paths inside one folder: the folders on the way are opened once
/// and kept while the next path shares them (paths in sorted order share most).
pub struct Cursor<'a> {
    base: &'a Folder,
    /// The folders open below `base`, outermost first, with their names.
    stack: Vec<(String, Folder)>,
}

impl Cursor<'_> {
    fn top(&self) -> &Folder {
        self.stack.last().map(|(_, f)| f).unwrap_or(self.base)
    }

    /// Opens the folders `dirs` below the base (made when `create` asks). `false`
    /// when one is absent; the deepest that exists is then on top.
    fn descend(&mut self, dirs: &[&str], create: bool) -> Result<bool, String> {
        let keep = self
            .stack
            .iter()
            .zip(dirs)
            .take_while(|((open, _), want)| open == *want)
            .count();
        self.stack.truncate(keep);
        for part in &dirs[keep..] {
            match self.top().subfolder(part, create)? {
                Some(f) => self.stack.push((part.to_string(), f)),
                None => return Ok(false),
            }
        }
        Ok(true)
    }

    /// The folder holding `rel` (a `/`-separated path inside the base) and the
    /// entry's name; `None` when a folder on the way is absent.
    fn holder<'r>(&mut self, rel: &'r str, create: bool) -> Result<Option<&'r str>, String> {
        if rel.starts_with('/') {
            return Err(format!(
                "{rel}: an absolute path; strata writes only inside the output folder"
            ));
        }
        let mut parts: Vec<&str> = rel.split('/').collect();
        // Every name is checked before any folder is opened or made.
        for part in &parts {
            one_name(&joined(&self.base.shown, rel), part)?;
        }
        let name = parts.pop().unwrap_or_default();
        Ok(self.descend(&parts, create)?.then_some(name))
    }

    /// What `rel` is, `None` when it does not exist.
    pub fn kind(&mut self, rel: &str) -> Result<Option<Kind>, String> {
        Ok(match self.holder(rel, false)? {
            Some(name) => self.top().kind(name),
            None => None,
        })
    }

    /// The file `rel` open for reading, `None` when it does not exist. A link on the
    /// way or at the end is an error; a FIFO cannot make it wait.
    pub fn open(&mut self, rel: &str) -> Result<Option<std::fs::File>, String> {
        let Some(name) = self.holder(rel, false)? else {
            return Ok(None);
        };
        let dir = self.top();
        let shown = joined(&dir.shown, name);
        match sys::open_read(&dir.handle, name) {
            Ok(f) => Ok(Some(f)),
            Err(e) => match dir.kind(name) {
                Some(Kind::Link) => Err(link_error(&shown)),
                None if e.kind() == io::ErrorKind::NotFound => Ok(None),
                _ => Err(format!("{shown}: {e}")),
            },
        }
    }

    /// The bytes of the file `rel`, `None` when it does not exist.
    pub fn read(&mut self, rel: &str) -> Result<Option<Vec<u8>>, String> {
        let Some(mut f) = self.open(rel)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)
            .map_err(|e| format!("{}: {e}", joined(&self.base.shown, rel)))?;
        Ok(Some(bytes))
    }

    /// Writes `bytes` to `rel` through a temporary name and a rename, making its
    /// folders: the file is either as it was or as it is now. What is at `rel` is
    /// replaced, a link included (the link, never what it points to).
    pub fn put(&mut self, rel: &str, bytes: &[u8]) -> Result<(), String> {
        let Some(name) = self.holder(rel, true)? else {
            return Err(format!("{}: cannot create its folder", self.base.shown));
        };
        let dir = self.top();
        let tmp = temp_name(name);
        let tmp_shown = joined(&dir.shown, &tmp);
        // A killed render's temporary file (or anything under its name) goes first.
        match sys::unlink(&dir.handle, &tmp) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(format!("{tmp_shown}: {e}"))
            }
            _ => {}
        }
        let written = sys::create(&dir.handle, &tmp)
            .and_then(|mut f| f.write_all(bytes))
            .map_err(|e| format!("{tmp_shown}: {e}"))
            .and_then(|_| {
                sys::rename(&dir.handle, &tmp, name)
                    .map_err(|e| format!("{}: {e}", joined(&dir.shown, name)))
            });
        if written.is_err() {
            let _ = sys::unlink(&dir.handle, &tmp);
        }
        written
    }

    /// Writes a new file `rel`, making its folders; nothing may be there already.
    pub fn create_new(&mut self, rel: &str, bytes: &[u8]) -> Result<(), String> {
        let Some(name) = self.holder(rel, true)? else {
            return Err(format!("{}: cannot create its folder", self.base.shown));
        };
        let dir = self.top();
        sys::create(&dir.handle, name)
            .and_then(|mut f| f.write_all(bytes))
            .map_err(|e| format!("{}: {e}", joined(&dir.shown, name)))
    }

    /// Removes the file (or link) `rel`; `false` when it was not there. A folder is
    /// an error.
    pub fn remove(&mut self, rel: &str) -> Result<bool, String> {
        let Some(name) = self.holder(rel, false)? else {
            return Ok(false);
        };
        let dir = self.top();
        match sys::unlink(&dir.handle, name) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(format!("{}: {e}", joined(&dir.shown, name))),
        }
    }

    /// Removes the folders above `rel` that are empty now, up to the base.
    pub fn prune(&mut self, rel: &str) -> Result<(), String> {
        if self.holder(rel, false)?.is_none() {
            return Ok(());
        }
        while let Some((name, _)) = self.stack.pop() {
            if sys::rmdir(&self.top().handle, &name).is_err() {
                break;
            }
        }
        // What was popped is closed; the rest stays valid.
        Ok(())
    }

    /// The nearest folder on the way to `rel` that exists (the one a write would
    /// create into), and whether this process may create and remove entries in it.
    pub fn writable(&mut self, rel: &str) -> Result<(String, bool), String> {
        let mut parts: Vec<&str> = rel.split('/').collect();
        parts.pop();
        // Stops at the first folder that is absent, with the one above it on top.
        self.descend(&parts, false)?;
        let dir = self.top();
        Ok((dir.shown.clone(), sys::writable(&dir.handle)))
    }
}

/// The system calls, relative to a folder handle.
#[cfg(unix)]
mod sys {
    use super::Kind;
    use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags};
    use std::ffi::OsStr;
    use std::io;
    use std::os::fd::OwnedFd;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;

    pub type Handle = OwnedFd;

    const DIR: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::NOFOLLOW)
        .union(OFlags::CLOEXEC);

    fn err(e: rustix::io::Errno) -> io::Error {
        io::Error::from_raw_os_error(e.raw_os_error())
    }

    /// The repository root, by path: the one place a path is followed.
    pub fn open_root(p: &Path) -> io::Result<Handle> {
        rfs::open(
            p,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(err)
    }

    pub fn open_dir(h: &Handle, name: &str) -> io::Result<Handle> {
        rfs::openat(h, name, DIR, Mode::empty()).map_err(err)
    }

    pub fn mkdir(h: &Handle, name: &str) -> io::Result<()> {
        rfs::mkdirat(h, name, Mode::from_raw_mode(0o777)).map_err(err)
    }

    /// NONBLOCK: a FIFO where a file should be must not hang the render.
    pub fn open_read(h: &Handle, name: &str) -> io::Result<std::fs::File> {
        rfs::openat(
            h,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
            Mode::empty(),
        )
        .map(std::fs::File::from)
        .map_err(err)
    }

    /// A new file; EXCL and NOFOLLOW: never an existing file, never through a link.
    pub fn create(h: &Handle, name: &str) -> io::Result<std::fs::File> {
        rfs::openat(
            h,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o666),
        )
        .map(std::fs::File::from)
        .map_err(err)
    }

    pub fn unlink(h: &Handle, name: &str) -> io::Result<()> {
        rfs::unlinkat(h, name, AtFlags::empty()).map_err(err)
    }

    pub fn rmdir(h: &Handle, name: &str) -> io::Result<()> {
        rfs::unlinkat(h, name, AtFlags::REMOVEDIR).map_err(err)
    }

    /// Replaces what is at `to` (a link itself, never what it points to).
    pub fn rename(h: &Handle, from: &str, to: &str) -> io::Result<()> {
        rfs::renameat(h, from, h, to).map_err(err)
    }

    /// Never replaces what appeared at `to` meanwhile, where the system can say so.
    pub fn rename_new(h: &Handle, from: &str, to: &str) -> io::Result<()> {
        #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
        {
            match rfs::renameat_with(h, from, h, to, rfs::RenameFlags::NOREPLACE) {
                // No RENAME_NOREPLACE on this file system.
                Err(rustix::io::Errno::INVAL) | Err(rustix::io::Errno::NOSYS) => {}
                r => return r.map_err(err),
            }
        }
        if rfs::statat(h, to, AtFlags::SYMLINK_NOFOLLOW).is_ok() {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        rename(h, from, to)
    }

    fn kind_of(t: FileType) -> Kind {
        match t {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Folder,
            FileType::Symlink => Kind::Link,
            _ => Kind::Other,
        }
    }

    pub fn kind(h: &Handle, name: &str) -> io::Result<Kind> {
        rfs::statat(h, name, AtFlags::SYMLINK_NOFOLLOW)
            .map(|st| kind_of(FileType::from_raw_mode(st.st_mode)))
            .map_err(err)
    }

    pub fn entries(h: &Handle) -> io::Result<Vec<(String, Kind)>> {
        let mut out = Vec::new();
        for entry in rfs::Dir::read_from(h).map_err(err)? {
            let entry = entry.map_err(err)?;
            let name = OsStr::from_bytes(entry.file_name().to_bytes());
            if name == "." || name == ".." {
                continue;
            }
            let name = name.to_string_lossy().into_owned();
            let kind = match entry.file_type() {
                FileType::Unknown => kind(h, &name)?,
                t => kind_of(t),
            };
            out.push((name, kind));
        }
        Ok(out)
    }

    /// faccessat(W_OK | X_OK) for the effective user, root included.
    pub fn writable(h: &Handle) -> bool {
        rfs::accessat(
            h,
            ".",
            rfs::Access::WRITE_OK | rfs::Access::EXEC_OK,
            AtFlags::EACCESS,
        )
        .is_ok()
    }
}

/// Elsewhere, by path, checking each entry is not a link before using it: the same
/// refusals, without the guarantee against a link that appears meanwhile.
#[cfg(not(unix))]
mod sys {
    use super::Kind;
    use std::fs;
    use std::io;
    use std::path::{Path, PathBuf};

    pub type Handle = PathBuf;

    fn not_link(p: &Path) -> io::Result<fs::Metadata> {
        let m = fs::symlink_metadata(p)?;
        if m.file_type().is_symlink() {
            return Err(io::Error::other("a symbolic link"));
        }
        Ok(m)
    }

    pub fn open_root(p: &Path) -> io::Result<Handle> {
        fs::metadata(p)?;
        Ok(p.to_path_buf())
    }

    pub fn open_dir(h: &Handle, name: &str) -> io::Result<Handle> {
        let p = h.join(name);
        if !not_link(&p)?.is_dir() {
            return Err(io::Error::from(io::ErrorKind::NotADirectory));
        }
        Ok(p)
    }

    pub fn mkdir(h: &Handle, name: &str) -> io::Result<()> {
        fs::create_dir(h.join(name))
    }

    pub fn open_read(h: &Handle, name: &str) -> io::Result<fs::File> {
        let p = h.join(name);
        not_link(&p)?;
        fs::File::open(p)
    }

    pub fn create(h: &Handle, name: &str) -> io::Result<fs::File> {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(h.join(name))
    }

    pub fn unlink(h: &Handle, name: &str) -> io::Result<()> {
        fs::remove_file(h.join(name))
    }

    pub fn rmdir(h: &Handle, name: &str) -> io::Result<()> {
        fs::remove_dir(h.join(name))
    }

    pub fn rename(h: &Handle, from: &str, to: &str) -> io::Result<()> {
        fs::rename(h.join(from), h.join(to))
    }

    pub fn rename_new(h: &Handle, from: &str, to: &str) -> io::Result<()> {
        if fs::symlink_metadata(h.join(to)).is_ok() {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        rename(h, from, to)
    }

    pub fn kind(h: &Handle, name: &str) -> io::Result<Kind> {
        let t = fs::symlink_metadata(h.join(name))?.file_type();
        Ok(if t.is_symlink() {
            Kind::Link
        } else if t.is_dir() {
            Kind::Folder
        } else if t.is_file() {
            Kind::File
        } else {
            Kind::Other
        })
    }

    pub fn entries(h: &Handle) -> io::Result<Vec<(String, Kind)>> {
        let mut out = Vec::new();
        for e in fs::read_dir(h)? {
            let name = e?.file_name().to_string_lossy().into_owned();
            let k = kind(h, &name)?;
            out.push((name, k));
        }
        Ok(out)
    }

    pub fn writable(h: &Handle) -> bool {
        fs::metadata(h).is_ok_and(|m| !m.permissions().readonly())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    /// `<tmp>/repo/out/rendered` with `apps/dev/a.yaml`, beside `<tmp>/outside` that
    /// holds `keep.yaml` and a folder `apps/dev`; everything outside must stay as it is.
    struct Scratch {
        base: PathBuf,
    }

    impl Scratch {
        fn new(tag: &str) -> Scratch {
            let base =
                std::env::temp_dir().join(format!("strata-outdir-{tag}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&base);
            fs::create_dir_all(base.join("repo/out/rendered/apps/dev")).unwrap();
            fs::write(base.join("repo/out/rendered/apps/dev/a.yaml"), "a\n").unwrap();
            fs::create_dir_all(base.join("outside/apps/dev")).unwrap();
            fs::write(base.join("outside/keep.yaml"), "keep\n").unwrap();
            fs::write(base.join("outside/apps/dev/a.yaml"), "outside\n").unwrap();
            Scratch { base }
        }

        fn out(&self) -> OutDir {
            OutDir::new(&self.base.join("repo"), "out/rendered")
        }

        fn p(&self, rel: &str) -> PathBuf {
            self.base.join(rel)
        }

        /// Replaces `rel` (under the scratch folder) with a link to `outside/<to>`.
        fn link(&self, rel: &str, to: &str) {
            let p = self.p(rel);
            if p.is_dir() {
                fs::rename(&p, self.p(&format!("{rel}.moved"))).unwrap();
            } else {
                let _ = fs::remove_file(&p);
            }
            symlink(self.p(&format!("outside/{to}")), p).unwrap();
        }

        fn assert_outside_untouched(&self) {
            let mut found = Vec::new();
            for e in walkdir::WalkDir::new(self.p("outside")).sort_by_file_name() {
                let e = e.unwrap();
                if e.file_type().is_file() {
                    let rel = e.path().strip_prefix(&self.base).unwrap().to_owned();
                    found.push((rel, fs::read_to_string(e.path()).unwrap()));
                }
            }
            assert_eq!(
                found,
                [
                    ("outside/apps/dev/a.yaml".into(), "outside\n".to_string()),
                    ("outside/keep.yaml".into(), "keep\n".to_string())
                ]
            );
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.base);
        }
    }

    fn expect_link(r: Result<impl std::fmt::Debug, String>, shown: &str) {
        let e = r.unwrap_err();
        assert!(
            e.starts_with(&format!("{shown}: is a symbolic link")),
            "{shown}: {e}"
        );
    }

    #[test]
    fn a_link_at_any_component_is_refused_naming_it_and_nothing_leaves() {
        // Each folder on the way, from the output's parent down to the file's folder.
        for (rel, to, shown) in [
            ("repo/out", "", "out"),
            ("repo/out/rendered", "", "out/rendered"),
            ("repo/out/rendered/apps", "apps", "out/rendered/apps"),
            (
                "repo/out/rendered/apps/dev",
                "apps/dev",
                "out/rendered/apps/dev",
            ),
        ] {
            let s = Scratch::new("component");
            let out = s.out();
            let opened = out.open();
            if rel.ends_with("rendered/apps") || rel.ends_with("/dev") {
                s.link(rel, to);
                let dir = opened.unwrap().unwrap();
                // Every operation of a fresh cursor meets the link.
                expect_link(dir.cursor().put("apps/dev/a.yaml", b"x"), shown);
                expect_link(dir.cursor().put("apps/dev/new/b.yaml", b"x"), shown);
                expect_link(dir.cursor().create_new("apps/dev/b.yaml", b"x"), shown);
                expect_link(dir.cursor().read("apps/dev/a.yaml"), shown);
                expect_link(dir.cursor().open("apps/dev/a.yaml"), shown);
                expect_link(dir.cursor().kind("apps/dev/a.yaml"), shown);
                expect_link(dir.cursor().remove("apps/dev/a.yaml"), shown);
                expect_link(dir.cursor().writable("apps/dev/a.yaml"), shown);
                expect_link(dir.open_path("apps/dev"), shown);
                let c = dir.contents().unwrap();
                assert_eq!(c.links, [rel.strip_prefix("repo/out/rendered/").unwrap()]);
            } else {
                drop(opened);
                s.link(rel, to);
                expect_link(out.open(), shown);
                if rel.ends_with("/out") {
                    expect_link(out.parent(true), shown);
                } else {
                    // The output's parent is fine; its own entry is the link.
                    let parent = out.parent(false).unwrap().unwrap();
                    expect_link(parent.subfolder("rendered", true), shown);
                    assert!(parent.rename_new("x", "rendered").is_err());
                }
            }
            s.assert_outside_untouched();
        }
    }

    #[test]
    fn a_link_as_the_file_is_never_read_or_written_through() {
        let s = Scratch::new("file");
        s.link("repo/out/rendered/apps/dev/a.yaml", "keep.yaml");
        let dir = s.out().open().unwrap().unwrap();
        let shown = "out/rendered/apps/dev/a.yaml";
        expect_link(dir.read("apps/dev/a.yaml"), shown);
        expect_link(dir.cursor().open("apps/dev/a.yaml"), shown);
        assert_eq!(
            dir.cursor().kind("apps/dev/a.yaml").unwrap(),
            Some(Kind::Link)
        );
        assert!(dir.cursor().create_new("apps/dev/a.yaml", b"x").is_err());
        s.assert_outside_untouched();
        // A rename replaces the link itself; what it pointed to stays.
        dir.cursor().put("apps/dev/a.yaml", b"new\n").unwrap();
        let p = s.p("repo/out/rendered/apps/dev/a.yaml");
        assert!(!p.is_symlink());
        assert_eq!(fs::read_to_string(&p).unwrap(), "new\n");
        // So does a removal.
        s.link("repo/out/rendered/apps/dev/a.yaml", "keep.yaml");
        assert!(dir.cursor().remove("apps/dev/a.yaml").unwrap());
        assert!(!p.is_symlink() && !p.exists());
        s.assert_outside_untouched();
    }

    #[test]
    fn a_link_that_appears_while_a_cursor_is_open_is_not_followed_either() {
        let s = Scratch::new("race");
        let dir = s.out().open().unwrap().unwrap();
        let mut at = dir.cursor();
        assert_eq!(at.read("apps/dev/a.yaml").unwrap().unwrap(), b"a\n");
        // The folder the cursor holds open is swapped for a link mid-render.
        s.link("repo/out/rendered/apps/dev", "apps/dev");
        // The open handle is the folder itself, moved aside: the write lands there,
        // inside the scratch repository, never through the link.
        at.put("apps/dev/b.yaml", b"b\n").unwrap();
        assert_eq!(
            fs::read_to_string(s.p("repo/out/rendered/apps/dev.moved/b.yaml")).unwrap(),
            "b\n"
        );
        // Anything reaching it anew meets the link.
        expect_link(
            dir.cursor().put("apps/dev/c.yaml", b"c"),
            "out/rendered/apps/dev",
        );
        expect_link(
            dir.cursor().read("apps/dev/a.yaml"),
            "out/rendered/apps/dev",
        );
        s.assert_outside_untouched();
    }

    #[test]
    fn no_path_climbs_out_of_its_folder() {
        let s = Scratch::new("climb");
        let dir = s.out().open().unwrap().unwrap();
        for bad in [
            "../escape.yaml",
            "apps/../../escape.yaml",
            "/abs.yaml",
            "apps//b.yaml",
            "apps/.",
            "",
            "apps/",
        ] {
            assert!(dir.cursor().put(bad, b"x").is_err(), "put {bad}");
            assert!(dir.cursor().create_new(bad, b"x").is_err(), "create {bad}");
            assert!(dir.cursor().remove(bad).is_err(), "remove {bad}");
        }
        assert!(!s.p("repo/out/rendered/apps/b.yaml").exists());
        assert!(
            dir.cursor().put("new/../x.yaml", b"x").is_err()
                && !s.p("repo/out/rendered/new").exists(),
            "a bad path makes no folder before it is refused"
        );
        assert!(dir.remove_all("..").is_err());
        assert!(dir.make_new("../x").is_err());
        assert!(!s.p("repo/out/escape.yaml").exists());
        assert!(!s.p("repo/escape.yaml").exists());
        assert!(!s.p("abs.yaml").exists() && !Path::new("/abs.yaml").exists());
    }

    #[test]
    fn put_replaces_through_a_temporary_name_and_prune_stops_at_the_output() {
        let s = Scratch::new("put");
        let dir = s.out().open().unwrap().unwrap();
        let mut at = dir.cursor();
        // A killed render's temporary file under the same name is replaced.
        fs::write(s.p("repo/out/rendered/apps/dev/.a.yaml.strata-tmp"), "old").unwrap();
        at.put("apps/dev/a.yaml", b"a2\n").unwrap();
        at.put("apps/prod/p/b.yaml", b"b\n").unwrap();
        let tree = |s: &Scratch| {
            let mut v: Vec<String> = walkdir::WalkDir::new(s.p("repo/out/rendered"))
                .min_depth(1)
                .sort_by_file_name()
                .into_iter()
                .map(|e| {
                    let e = e.unwrap();
                    let rel = e.path().strip_prefix(s.p("repo/out/rendered")).unwrap();
                    rel.to_string_lossy().into_owned()
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            tree(&s),
            [
                "apps",
                "apps/dev",
                "apps/dev/a.yaml",
                "apps/prod",
                "apps/prod/p",
                "apps/prod/p/b.yaml"
            ]
        );
        assert_eq!(at.read("apps/dev/a.yaml").unwrap().unwrap(), b"a2\n");
        assert!(at.remove("apps/prod/p/b.yaml").unwrap());
        at.prune("apps/prod/p/b.yaml").unwrap();
        assert!(!at.remove("apps/prod/p/b.yaml").unwrap(), "gone");
        assert!(at.remove("apps/dev/a.yaml").unwrap());
        at.prune("apps/dev/a.yaml").unwrap();
        assert!(tree(&s).is_empty(), "{:?}", tree(&s));
        assert!(s.p("repo/out/rendered").is_dir(), "the output itself stays");
    }

    #[test]
    fn the_walk_lists_links_and_strata_temporary_files_apart() {
        let s = Scratch::new("walk");
        fs::write(s.p("repo/out/rendered/apps/dev/.a.yaml.strata-tmp"), "x").unwrap();
        fs::write(s.p("repo/out/rendered/apps/.strata-tmp"), "not ours").unwrap();
        fs::write(s.p("repo/out/rendered/apps/a.strata-tmp"), "not ours").unwrap();
        symlink(s.p("outside"), s.p("repo/out/rendered/apps/l")).unwrap();
        let c = s.out().open().unwrap().unwrap().contents().unwrap();
        assert_eq!(c.leftovers, ["apps/dev/.a.yaml.strata-tmp"]);
        assert_eq!(c.links, ["apps/l"]);
        assert_eq!(
            c.files,
            ["apps/.strata-tmp", "apps/a.strata-tmp", "apps/dev/a.yaml"]
        );
        assert!(is_temp_name(&temp_name("x.json")));
        assert!(!is_temp_name(".strata-tmp") && !is_temp_name("x.strata-tmp"));
    }
}
