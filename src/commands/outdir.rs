//! The output folder on disk, reached, read and written only through directory
//! handles that never follow a symbolic link.
//!
//! A pull request can commit a symlink anywhere in the hydrated tree
//! (`rendered/apps/dev -> /etc`). Checking paths before writing them races with the
//! file system and is easy to get wrong, so every step here is relative to a handle
//! opened with `O_NOFOLLOW`: a link in the way makes the call fail, it is never
//! followed. Only the repository root itself is opened by path.

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, RenameFlags};
use rustix::io::Errno;
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The output folder: a path inside the repository root, as strata.yaml names it.
pub struct OutDir {
    root: std::path::PathBuf,
    /// The folders from the root to the output, the last one the output itself.
    parts: Vec<String>,
    /// As strata.yaml writes it, for messages (`rendered`).
    shown: String,
}

/// An open folder inside the output, and its path for messages.
pub struct Folder {
    fd: OwnedFd,
    shown: String,
}

/// What is inside a folder, walked without following links.
#[derive(Debug, Default)]
pub struct Contents {
    /// Regular files (and anything else that is neither a folder nor a link),
    /// relative to the folder, sorted.
    pub files: Vec<String>,
    /// Symbolic links, relative to the folder, sorted.
    pub links: Vec<String>,
    /// Folders (the folder itself as `""`) the current user cannot change.
    pub read_only: Vec<String>,
}

const DIR: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

fn io_err(e: Errno) -> std::io::Error {
    std::io::Error::from_raw_os_error(e.raw_os_error())
}

/// `a/b` for messages.
fn joined(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
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

    /// The output as strata.yaml names it, for messages.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The output's last folder name.
    pub fn name(&self) -> &str {
        self.parts.last().map(String::as_str).unwrap_or("rendered")
    }

    /// The folder that holds the output, created when `create` asks. `None` when it
    /// does not exist and `create` is false.
    pub fn parent(&self, create: bool) -> Result<Option<Folder>, String> {
        let root = rfs::open(
            &self.root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| format!("{}: {}", self.root.display(), io_err(e)))?;
        let mut dir = Folder {
            fd: root,
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
    /// The folder `name` inside this one; made when `create` asks and it is absent.
    /// Refuses a symbolic link by name.
    pub fn subfolder(&self, name: &str, create: bool) -> Result<Option<Folder>, String> {
        let shown = joined(&self.shown, name);
        one_name(&shown, name)?;
        let opened = match rfs::openat(&self.fd, name, DIR, Mode::empty()) {
            Err(Errno::NOENT) if create => {
                match rfs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o777)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(format!("{shown}: cannot create it: {}", io_err(e))),
                }
                rfs::openat(&self.fd, name, DIR, Mode::empty())
            }
            r => r,
        };
        match opened {
            Ok(fd) => Ok(Some(Folder { fd, shown })),
            Err(Errno::NOENT) => Ok(None),
            Err(Errno::LOOP) | Err(Errno::NOTDIR) if self.is_link(name) => Err(link_error(&shown)),
            Err(Errno::NOTDIR) => Err(format!(
                "{shown}: is a file where strata needs a folder; move it away and run again"
            )),
            Err(e) => Err(format!("{shown}: {}", io_err(e))),
        }
    }

    fn is_link(&self, name: &str) -> bool {
        rfs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Symlink)
    }

    /// Opens the folder holding `rel` (a `/`-separated path inside this one),
    /// creating folders when `create` asks; the file's name comes back with it.
    fn holder<'a>(&self, rel: &'a str, create: bool) -> Result<Option<(Folder, &'a str)>, String> {
        let (dirs, name) = match rel.rfind('/') {
            Some(i) => (&rel[..i], &rel[i + 1..]),
            None => ("", rel),
        };
        let mut dir = Folder {
            fd: self
                .fd
                .try_clone()
                .map_err(|e| format!("{}: {e}", self.shown))?,
            shown: self.shown.clone(),
        };
        if rel.starts_with('/') {
            return Err(format!(
                "{rel}: an absolute path; strata writes only inside the output folder"
            ));
        }
        for part in dirs.split('/').filter(|_| !dirs.is_empty()) {
            match dir.subfolder(part, create)? {
                Some(d) => dir = d,
                None => return Ok(None),
            }
        }
        Ok(Some((dir, name)))
    }

    /// The bytes of the file `rel`, `None` when it does not exist. A link on the way
    /// or at the end is an error, never followed.
    pub fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, String> {
        let Some((dir, name)) = self.holder(rel, false)? else {
            return Ok(None);
        };
        let shown = joined(&dir.shown, name);
        one_name(&shown, name)?;
        let fd = match rfs::openat(
            &dir.fd,
            name,
            // NONBLOCK: a FIFO where a file should be must not hang the render.
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::LOOP) => return Err(link_error(&shown)),
            Err(e) => return Err(format!("{shown}: {}", io_err(e))),
        };
        let mut bytes = Vec::new();
        std::fs::File::from(fd)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{shown}: {e}"))?;
        Ok(Some(bytes))
    }

    /// Writes a new file `rel`, creating its folders. Nothing may be there already:
    /// the folders this writes into are new.
    pub fn write_new(&self, rel: &str, content: &[u8]) -> Result<(), String> {
        let Some((dir, name)) = self.holder(rel, true)? else {
            return Err(format!("{}: cannot create it", joined(&self.shown, rel)));
        };
        let shown = joined(&dir.shown, name);
        one_name(&shown, name)?;
        let fd = rfs::openat(
            &dir.fd,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o666),
        )
        .map_err(|e| format!("{shown}: {}", io_err(e)))?;
        std::fs::File::from(fd)
            .write_all(content)
            .map_err(|e| format!("{shown}: {e}"))
    }

    /// Puts the file `rel` of `from` at `rel` in this folder: a hard link when the
    /// file system allows, else a copy. Neither follows a link.
    pub fn link_or_copy(&self, from: &Folder, rel: &str) -> Result<(), String> {
        let Some((src, name)) = from.holder(rel, false)? else {
            return Ok(());
        };
        let Some((dest, _)) = self.holder(rel, true)? else {
            return Err(format!("{}: cannot create it", joined(&self.shown, rel)));
        };
        if rfs::linkat(&src.fd, name, &dest.fd, name, AtFlags::empty()).is_ok() {
            return Ok(());
        }
        match from.read(rel)? {
            Some(bytes) => self.write_new(rel, &bytes),
            None => Ok(()),
        }
    }

    /// Whether the folder has no entries.
    pub fn is_empty(&self) -> Result<bool, String> {
        Ok(self.entries()?.is_empty())
    }

    /// Names and types of the entries, sorted by name.
    fn entries(&self) -> Result<Vec<(String, FileType)>, String> {
        let shown = if self.shown.is_empty() {
            "."
        } else {
            &self.shown
        };
        let dir = rfs::Dir::read_from(&self.fd).map_err(|e| format!("{shown}: {}", io_err(e)))?;
        let mut out = Vec::new();
        for entry in dir {
            let entry = entry.map_err(|e| format!("{shown}: {}", io_err(e)))?;
            let name = OsStr::from_bytes(entry.file_name().to_bytes());
            if name == "." || name == ".." {
                continue;
            }
            let name = name.to_string_lossy().into_owned();
            let mut kind = entry.file_type();
            if kind == FileType::Unknown {
                kind = rfs::statat(&self.fd, name.as_str(), AtFlags::SYMLINK_NOFOLLOW)
                    .map(|st| FileType::from_raw_mode(st.st_mode))
                    .map_err(|e| format!("{}: {}", joined(&self.shown, &name), io_err(e)))?;
            }
            out.push((name, kind));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Everything below the folder, without following a link.
    pub fn contents(&self) -> Result<Contents, String> {
        let mut c = Contents::default();
        self.walk("", &mut c)?;
        c.files.sort();
        c.links.sort();
        c.read_only.sort();
        Ok(c)
    }

    fn walk(&self, rel: &str, c: &mut Contents) -> Result<(), String> {
        if rfs::accessat(&self.fd, ".", rfs::Access::WRITE_OK, AtFlags::EACCESS).is_err() {
            c.read_only.push(rel.to_string());
        }
        for (name, kind) in self.entries()? {
            let path = joined(rel, &name);
            match kind {
                FileType::Symlink => c.links.push(path),
                FileType::Directory => {
                    if let Some(sub) = self.subfolder(&name, false)? {
                        sub.walk(&path, c)?;
                    }
                }
                _ => c.files.push(path),
            }
        }
        Ok(())
    }

    /// Removes the entry `name` of this folder and, for a folder, all it holds,
    /// without following a link. An absent entry is not an error.
    pub fn remove_all(&self, name: &str) -> Result<(), String> {
        let shown = joined(&self.shown, name);
        match rfs::unlinkat(&self.fd, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => return Ok(()),
            Err(Errno::ISDIR) | Err(Errno::PERM) => {}
            Err(e) => return Err(format!("{shown}: {}", io_err(e))),
        }
        let Some(sub) = self.subfolder(name, false)? else {
            return Ok(());
        };
        for (entry, _) in sub.entries()? {
            sub.remove_all(&entry)?;
        }
        match rfs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(format!("{shown}: {}", io_err(e))),
        }
    }

    /// Makes a new, empty folder `name`; fails when something is there.
    pub fn make_new(&self, name: &str) -> Result<Folder, String> {
        let shown = joined(&self.shown, name);
        rfs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o777))
            .map_err(|e| format!("{shown}: cannot create it: {}", io_err(e)))?;
        self.subfolder(name, false)?
            .ok_or_else(|| format!("{shown}: vanished while strata wrote it"))
    }

    /// Names of the entries, sorted.
    pub fn names(&self) -> Result<Vec<String>, String> {
        Ok(self.entries()?.into_iter().map(|(n, _)| n).collect())
    }

    /// Puts the folder `new` in place of `old`, both entries of this folder:
    /// atomically swapped when `old` exists, then `new` (holding the old tree) is
    /// removed. Never replaces something that appeared at `old` meanwhile.
    pub fn swap_in(&self, new: &str, old: &str, old_exists: bool) -> Result<(), String> {
        let shown = joined(&self.shown, old);
        if !old_exists {
            return rfs::renameat_with(&self.fd, new, &self.fd, old, RenameFlags::NOREPLACE)
                .map_err(|e| format!("{shown}: {}", io_err(e)));
        }
        match rfs::renameat_with(&self.fd, new, &self.fd, old, RenameFlags::EXCHANGE) {
            Ok(()) => self.remove_all(new),
            // No RENAME_EXCHANGE on this file system: move the old tree aside first.
            Err(Errno::INVAL) | Err(Errno::NOSYS) => {
                let aside = format!("{new}.old");
                rfs::renameat(&self.fd, old, &self.fd, &aside)
                    .map_err(|e| format!("{shown}: {}", io_err(e)))?;
                if let Err(e) =
                    rfs::renameat_with(&self.fd, new, &self.fd, old, RenameFlags::NOREPLACE)
                {
                    let _ = rfs::renameat(&self.fd, &aside, &self.fd, old);
                    return Err(format!("{shown}: {}", io_err(e)));
                }
                self.remove_all(&aside)
            }
            Err(e) => Err(format!("{shown}: {}", io_err(e))),
        }
    }
}

/// Every name handed to the kernel here is one entry of its folder: `..` would
/// climb out of the handle, an empty name would be the folder itself. The paths
/// come from `fleet::paths`-checked input; this makes the module safe on its own.
fn one_name(shown: &str, name: &str) -> Result<(), String> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
        return Err(format!(
            "{shown}: '{}' is not a file or folder name; strata writes only inside the output folder",
            name.escape_debug()
        ));
    }
    Ok(())
}

/// The message for a symbolic link met inside (or as) the output folder.
pub fn link_error(shown: &str) -> String {
    format!(
        "{shown}: is a symbolic link; strata never writes or reads through a link in the output folder. \
         Remove it (git rm) and run again"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `<tmp>/root/rendered` with a link `rendered/apps -> <tmp>/elsewhere`.
    fn setup(tag: &str) -> (std::path::PathBuf, OutDir) {
        let base = std::env::temp_dir().join(format!("strata-outdir-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("root/rendered")).unwrap();
        std::fs::create_dir_all(base.join("elsewhere")).unwrap();
        std::fs::write(base.join("elsewhere/f.yaml"), "outside\n").unwrap();
        std::os::unix::fs::symlink(base.join("elsewhere"), base.join("root/rendered/apps"))
            .unwrap();
        let out = OutDir::new(&base.join("root"), "rendered");
        (base, out)
    }

    #[test]
    fn never_writes_or_reads_through_a_link_even_without_the_scan() {
        let (base, out) = setup("nofollow");
        let dir = out.open().unwrap().unwrap();
        let e = dir.write_new("apps/new.yaml", b"x").unwrap_err();
        assert!(e.contains("rendered/apps: is a symbolic link"), "{e}");
        let e = dir.read("apps/f.yaml").unwrap_err();
        assert!(e.contains("rendered/apps: is a symbolic link"), "{e}");
        // Removing it removes the link, not what it points to.
        dir.remove_all("apps").unwrap();
        assert!(!base.join("root/rendered/apps").exists());
        assert_eq!(
            std::fs::read_to_string(base.join("elsewhere/f.yaml")).unwrap(),
            "outside\n"
        );
        assert!(!base.join("elsewhere/new.yaml").exists());
        // Nor climbs out of its handle, whatever path it is given.
        for bad in [
            "../escape.yaml",
            "a/../../escape.yaml",
            "/abs.yaml",
            "a//b.yaml",
        ] {
            assert!(dir.write_new(bad, b"x").is_err(), "{bad}");
        }
        assert!(!base.join("root/escape.yaml").exists());
        assert!(!base.join("escape.yaml").exists());
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn lists_links_and_refuses_an_output_that_is_one() {
        let (base, out) = setup("list");
        let c = out.open().unwrap().unwrap().contents().unwrap();
        assert_eq!(c.links, ["apps"]);
        let linked = OutDir::new(&base.join("root"), "rendered/apps");
        let e = linked.open().err().unwrap();
        assert!(e.contains("rendered/apps: is a symbolic link"), "{e}");
        std::fs::remove_dir_all(&base).unwrap();
    }
}
