//! Which units a change can affect, for `strata diff --base`: a file-system view
//! that logs every question a render asks it (reads, listings, existence) per
//! rendered unit, so that a unit whose every question gets the same answer in the
//! other tree is known to render the same there and need not be rendered again.
//!
//! A render job runs on one rayon thread from start to end (the engine has no
//! parallelism inside a job), and the render calls its progress callback on that
//! thread when the job is done: so the log of a thread between two callbacks is
//! one job's questions (the first job of a thread may also carry what the render
//! asked before the jobs: more questions, never fewer, so still sound).

use crate::kustomize::fs::{FileSystem, FsError};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

/// One question and its answer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Question {
    /// A read: the SHA-256 of the bytes, or `None` when it failed.
    Read(String, Option<[u8; 32]>),
    IsDir(String, bool),
    IsFile(String, bool),
    ListDir(String, Option<Vec<String>>),
    Canonical(String, Option<String>),
}

impl Question {
    /// Whether `fs` answers this question as it was answered.
    pub fn same_in(&self, fs: &dyn FileSystem) -> bool {
        match self {
            Question::Read(p, d) => fs.read(p).ok().map(|b| Sha256::digest(&b).into()) == *d,
            Question::IsDir(p, a) => fs.is_dir(p) == *a,
            Question::IsFile(p, a) => fs.is_file(p) == *a,
            Question::ListDir(p, a) => fs.list_dir(p).ok() == *a,
            Question::Canonical(p, a) => fs.canonical(p).ok() == *a,
        }
    }
}

/// The logs, shared between the view and the render's progress callback.
#[derive(Default)]
pub struct Logs {
    open: Mutex<HashMap<ThreadId, Vec<Question>>>,
    done: Mutex<Vec<Vec<Question>>>,
}

impl Logs {
    fn push(&self, q: Question) {
        if let Ok(mut m) = self.open.lock() {
            m.entry(std::thread::current().id()).or_default().push(q);
        }
    }

    /// Closes the current thread's log: one job is done.
    pub fn job_done(&self) {
        let log = self
            .open
            .lock()
            .ok()
            .and_then(|mut m| m.remove(&std::thread::current().id()))
            .unwrap_or_default();
        if let Ok(mut d) = self.done.lock() {
            d.push(log);
        }
    }

    /// The logs of finished jobs, and every question asked outside a job.
    pub fn take(&self) -> (Vec<Vec<Question>>, Vec<Question>) {
        let done = self
            .done
            .lock()
            .map(|mut d| std::mem::take(&mut *d))
            .unwrap_or_default();
        let rest = self
            .open
            .lock()
            .map(|mut m| m.drain().flat_map(|(_, v)| v).collect())
            .unwrap_or_default();
        (done, rest)
    }
}

/// The hash a render gives a unit that read exactly these files (see
/// `fleet::render`: strata's version, then each path read and its SHA-256, by path).
pub fn inputs_hash(log: &[Question]) -> String {
    let reads: BTreeMap<&str, &[u8; 32]> = log
        .iter()
        .filter_map(|q| match q {
            Question::Read(p, Some(d)) => Some((p.as_str(), d)),
            _ => None,
        })
        .collect();
    let mut h = Sha256::new();
    h.update(concat!("strata ", env!("CARGO_PKG_VERSION")).as_bytes());
    for (p, d) in reads {
        h.update(p.as_bytes());
        h.update(d);
    }
    crate::fleet::render::hex(&h.finalize())
}

type Cached = Result<(Arc<[u8]>, [u8; 32]), FsError>;

/// `FsError` is not `Clone`; its variants are plain strings.
fn copy<T: Clone>(r: &Result<T, FsError>) -> Result<T, FsError> {
    match r {
        Ok(v) => Ok(v.clone()),
        Err(FsError::NotFound(p)) => Err(FsError::NotFound(p.clone())),
        Err(FsError::OutsideRoot { path, root }) => Err(FsError::OutsideRoot {
            path: path.clone(),
            root: root.clone(),
        }),
        Err(FsError::Io(a, b)) => Err(FsError::Io(a.clone(), b.clone())),
    }
}

/// The cached answer for `key`, or `ask()`'s, remembered.
fn cached<T: Clone>(
    cache: &Mutex<HashMap<String, Result<T, FsError>>>,
    key: &str,
    ask: impl FnOnce() -> Result<T, FsError>,
) -> Result<T, FsError> {
    if let Some(r) = cache.lock().ok().and_then(|m| m.get(key).map(copy)) {
        return r;
    }
    let r = ask();
    if let Ok(mut m) = cache.lock() {
        m.insert(key.to_string(), copy(&r));
    }
    r
}

/// A view of `inner` without the folder `hidden` (the hydrated tree: an output,
/// never an input) and `.git`, logging questions when `logs` is set.
///
/// Answers are cached: renders of many units ask the same questions (every
/// cluster's target reads the same base), and each on-disk answer costs system
/// calls. The files do not change during one diff.
pub struct ObservingFs<'a> {
    inner: &'a dyn FileSystem,
    hidden: String,
    logs: Option<Arc<Logs>>,
    reads: Mutex<HashMap<String, Cached>>,
    kinds: Mutex<HashMap<String, (bool, bool)>>,
    lists: Mutex<HashMap<String, Result<Vec<String>, FsError>>>,
    canonicals: Mutex<HashMap<String, Result<String, FsError>>>,
}

impl<'a> ObservingFs<'a> {
    pub fn new(
        inner: &'a dyn FileSystem,
        hidden: &str,
        logs: Option<Arc<Logs>>,
    ) -> ObservingFs<'a> {
        ObservingFs {
            inner,
            hidden: hidden.trim_matches('/').to_string(),
            logs,
            reads: Mutex::default(),
            kinds: Mutex::default(),
            lists: Mutex::default(),
            canonicals: Mutex::default(),
        }
    }

    fn is_hidden(&self, path: &str) -> bool {
        // Git's own folder is never an input, and is not in a `git archive`.
        if path == ".git" || path.starts_with(".git/") {
            return true;
        }
        !self.hidden.is_empty()
            && (path == self.hidden
                || path
                    .strip_prefix(&self.hidden)
                    .is_some_and(|r| r.starts_with('/')))
    }

    /// (is a directory, is a file), asked of the files once.
    fn kind(&self, path: &str) -> (bool, bool) {
        if let Some(k) = self.kinds.lock().ok().and_then(|m| m.get(path).copied()) {
            return k;
        }
        let k = if self.is_hidden(path) {
            (false, false)
        } else {
            (self.inner.is_dir(path), self.inner.is_file(path))
        };
        if let Ok(mut m) = self.kinds.lock() {
            m.insert(path.to_string(), k);
        }
        k
    }

    fn log(&self, q: Question) {
        if let Some(l) = &self.logs {
            l.push(q);
        }
    }
}

impl FileSystem for ObservingFs<'_> {
    fn parse_cache(&self) -> Option<&crate::yaml::ParseCache> {
        // Keyed by content, so sharing it asks no question of the files.
        self.inner.parse_cache()
    }
    fn read(&self, path: &str) -> Result<Vec<u8>, FsError> {
        let r = cached(&self.reads, path, || {
            if self.is_hidden(path) {
                Err(FsError::NotFound(path.to_string()))
            } else {
                self.inner.read(path)
            }
            .map(|b| {
                let d: [u8; 32] = Sha256::digest(&b).into();
                (Arc::from(b), d)
            })
        });
        self.log(Question::Read(
            path.to_string(),
            r.as_ref().ok().map(|(_, d)| *d),
        ));
        r.map(|(b, _)| b.to_vec())
    }
    fn is_dir(&self, path: &str) -> bool {
        let a = self.kind(path).0;
        self.log(Question::IsDir(path.to_string(), a));
        a
    }
    fn is_file(&self, path: &str) -> bool {
        let a = self.kind(path).1;
        self.log(Question::IsFile(path.to_string(), a));
        a
    }
    fn list_dir(&self, path: &str) -> Result<Vec<String>, FsError> {
        let r = cached(&self.lists, path, || {
            if self.is_hidden(path) {
                return Err(FsError::NotFound(path.to_string()));
            }
            self.inner.list_dir(path).map(|mut names| {
                names.retain(|n| {
                    let full = if path.is_empty() {
                        n.clone()
                    } else {
                        format!("{path}/{n}")
                    };
                    !self.is_hidden(&full)
                });
                names
            })
        });
        self.log(Question::ListDir(
            path.to_string(),
            r.as_ref().ok().cloned(),
        ));
        r
    }
    fn root_name(&self) -> String {
        self.inner.root_name()
    }
    fn canonical(&self, path: &str) -> Result<String, FsError> {
        let r = cached(&self.canonicals, path, || self.inner.canonical(path));
        self.log(Question::Canonical(
            path.to_string(),
            r.as_ref().ok().cloned(),
        ));
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::fs::MemFs;

    #[test]
    fn hides_the_output_and_logs_per_job() {
        let fs = MemFs::from_files([("a/k.yaml", "x"), ("rendered/f.yaml", "y")]);
        let logs = Arc::new(Logs::default());
        let o = ObservingFs::new(&fs, "rendered", Some(logs.clone()));
        assert_eq!(o.list_dir("").unwrap(), vec!["a"]);
        assert!(!o.is_file("rendered/f.yaml"));
        logs.job_done();
        o.read("a/k.yaml").unwrap();
        let (done, rest) = logs.take();
        assert_eq!(done.len(), 1);
        assert_eq!(rest.len(), 1);
        let other = MemFs::from_files([("a/k.yaml", "changed")]);
        assert!(!rest[0].same_in(&other));
        assert!(done[0].iter().all(|q| q.same_in(&other)));
    }
}
