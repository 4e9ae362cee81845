//! What a unit's inputs are: every question its render asks of the files (reads,
//! listings, existence, link resolution) with the answer it got. `render` records
//! them per unit (`RecordingFs`); an incremental render re-asks them to tell whether a
//! unit would render the same, and `diff --base` asks them of the base.
//!
//! The render of a unit is a function of these answers alone (the engine has no other
//! way to see files), so a unit whose every question gets the same answer renders
//! the same bytes.

use crate::kustomize::fs::{FileSystem, FsError};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// What was asked of a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ask {
    Read,
    List,
    IsDir,
    IsFile,
    Canonical,
}

impl Ask {
    fn tag(self) -> &'static str {
        match self {
            Ask::Read => "read",
            Ask::List => "list",
            Ask::IsDir => "dir",
            Ask::IsFile => "file",
            Ask::Canonical => "link",
        }
    }
}

/// One question a render asked.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Question {
    pub ask: Ask,
    pub path: String,
}

/// The SHA-256 of an answer: of the bytes read, of the names listed, of the flag.
pub type Answer = [u8; 32];

/// A unit's inputs: each question once, with its answer, in a stable order.
pub type Inputs = BTreeMap<Question, Answer>;

/// SHA-256 digests of file contents, shared by every view of one command, so a base
/// read by a thousand units is hashed once. The files do not change during a command.
pub type DigestCache = Mutex<HashMap<String, Answer>>;

/// The answer to a failed question (no file, not a folder, outside the root).
const ABSENT: Answer = [0; 32];

fn flag(b: bool) -> Answer {
    [u8::from(b); 32]
}

fn digest_names(names: &[String]) -> Answer {
    let mut h = Sha256::new();
    for n in names {
        h.update(n.as_bytes());
        h.update([0]);
    }
    h.finalize().into()
}

/// The digest of a read's bytes, from the cache or computed once.
fn read_digest(digests: &DigestCache, path: &str, bytes: &[u8]) -> Answer {
    if let Some(d) = digests.lock().ok().and_then(|c| c.get(path).copied()) {
        return d;
    }
    let d: Answer = Sha256::digest(bytes).into();
    if let Ok(mut c) = digests.lock() {
        c.insert(path.to_string(), d);
    }
    d
}

impl Question {
    /// Asks `fs` this question again.
    pub fn answer(&self, fs: &dyn FileSystem, digests: &DigestCache) -> Answer {
        match self.ask {
            Ask::Read => {
                if let Some(d) = digests.lock().ok().and_then(|c| c.get(&self.path).copied()) {
                    return d;
                }
                fs.read(&self.path)
                    .map(|b| read_digest(digests, &self.path, &b))
                    .unwrap_or(ABSENT)
            }
            Ask::List => fs
                .list_dir(&self.path)
                .map(|n| digest_names(&n))
                .unwrap_or(ABSENT),
            Ask::IsDir => flag(fs.is_dir(&self.path)),
            Ask::IsFile => flag(fs.is_file(&self.path)),
            Ask::Canonical => fs
                .canonical(&self.path)
                .map(|c| Sha256::digest(c.as_bytes()).into())
                .unwrap_or(ABSENT),
        }
    }

    /// `read:apps/web/base/kustomization.yaml`: how bookkeeping files store it.
    pub fn encode(&self) -> String {
        format!("{}:{}", self.ask.tag(), self.path)
    }

    pub fn decode(s: &str) -> Option<Question> {
        let (tag, path) = s.split_once(':')?;
        let ask = [
            Ask::Read,
            Ask::List,
            Ask::IsDir,
            Ask::IsFile,
            Ask::Canonical,
        ]
        .into_iter()
        .find(|a| a.tag() == tag)?;
        Some(Question {
            ask,
            path: path.to_string(),
        })
    }
}

/// The hash of a unit's inputs: its definition (`key`: strata's version, the cluster
/// and app, the settings and `--set` values that shape it) and every answer.
pub fn inputs_hash<'a>(
    key: &str,
    answers: impl IntoIterator<Item = (&'a Question, Answer)>,
) -> String {
    let mut h = Sha256::new();
    h.update(key.as_bytes());
    for (q, a) in answers {
        // The bytes of `q.encode()`, without building the string.
        h.update([0]);
        h.update(q.ask.tag().as_bytes());
        h.update(b":");
        h.update(q.path.as_bytes());
        h.update([0]);
        h.update(a);
    }
    crate::fleet::render::hex(&h.finalize())
}

/// A view that records every question asked through it, with its answer.
pub struct RecordingFs<'a> {
    inner: &'a dyn FileSystem,
    digests: &'a DigestCache,
    log: Mutex<Inputs>,
}

impl<'a> RecordingFs<'a> {
    pub fn new(inner: &'a dyn FileSystem, digests: &'a DigestCache) -> RecordingFs<'a> {
        RecordingFs {
            inner,
            digests,
            log: Mutex::default(),
        }
    }

    /// Everything asked so far.
    pub fn inputs(self) -> Inputs {
        self.log.into_inner().unwrap_or_default()
    }

    fn note(&self, ask: Ask, path: &str, answer: Answer) {
        if let Ok(mut l) = self.log.lock() {
            l.insert(
                Question {
                    ask,
                    path: path.to_string(),
                },
                answer,
            );
        }
    }
}

impl FileSystem for RecordingFs<'_> {
    fn read(&self, path: &str) -> Result<Vec<u8>, FsError> {
        self.read_shared(path).map(|b| b.to_vec())
    }
    fn read_shared(&self, path: &str) -> Result<Arc<[u8]>, FsError> {
        let r = self.inner.read_shared(path);
        let answer = match &r {
            Ok(b) => read_digest(self.digests, path, b),
            Err(_) => ABSENT,
        };
        self.note(Ask::Read, path, answer);
        r
    }
    fn is_dir(&self, path: &str) -> bool {
        let a = self.inner.is_dir(path);
        self.note(Ask::IsDir, path, flag(a));
        a
    }
    fn is_file(&self, path: &str) -> bool {
        let a = self.inner.is_file(path);
        self.note(Ask::IsFile, path, flag(a));
        a
    }
    fn list_dir(&self, path: &str) -> Result<Vec<String>, FsError> {
        let r = self.inner.list_dir(path);
        let answer = r.as_ref().map(|n| digest_names(n)).unwrap_or(ABSENT);
        self.note(Ask::List, path, answer);
        r
    }
    fn root_name(&self) -> String {
        self.inner.root_name()
    }
    fn canonical(&self, path: &str) -> Result<String, FsError> {
        let r = self.inner.canonical(path);
        let answer = r
            .as_ref()
            .map(|c| Sha256::digest(c.as_bytes()).into())
            .unwrap_or(ABSENT);
        self.note(Ask::Canonical, path, answer);
        r
    }
    fn parse_cache(&self) -> Option<&crate::yaml::ParseCache> {
        // Keyed by content, so sharing it asks no question of the files.
        self.inner.parse_cache()
    }
}

type Cached = Result<Arc<[u8]>, FsError>;

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

/// The fleet's sources as a render sees them: `inner` without the folder `hidden`
/// (the hydrated tree: an output, never an input) and `.git`.
///
/// Answers are cached: renders of many units ask the same questions (every
/// cluster's target reads the same base), and each on-disk answer costs system
/// calls. The files do not change during one command.
pub struct SourceView<'a> {
    inner: &'a dyn FileSystem,
    hidden: String,
    reads: Mutex<HashMap<String, Cached>>,
    kinds: Mutex<HashMap<String, (bool, bool)>>,
    lists: Mutex<HashMap<String, Result<Vec<String>, FsError>>>,
    canonicals: Mutex<HashMap<String, Result<String, FsError>>>,
}

impl<'a> SourceView<'a> {
    pub fn new(inner: &'a dyn FileSystem, hidden: &str) -> SourceView<'a> {
        SourceView {
            inner,
            hidden: hidden.trim_matches('/').to_string(),
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
}

impl FileSystem for SourceView<'_> {
    fn parse_cache(&self) -> Option<&crate::yaml::ParseCache> {
        self.inner.parse_cache()
    }
    fn read(&self, path: &str) -> Result<Vec<u8>, FsError> {
        self.read_shared(path).map(|b| b.to_vec())
    }
    fn read_shared(&self, path: &str) -> Result<Arc<[u8]>, FsError> {
        cached(&self.reads, path, || {
            if self.is_hidden(path) {
                Err(FsError::NotFound(path.to_string()))
            } else {
                self.inner.read_shared(path)
            }
        })
    }
    fn is_dir(&self, path: &str) -> bool {
        self.kind(path).0
    }
    fn is_file(&self, path: &str) -> bool {
        self.kind(path).1
    }
    fn list_dir(&self, path: &str) -> Result<Vec<String>, FsError> {
        cached(&self.lists, path, || {
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
        })
    }
    fn root_name(&self) -> String {
        self.inner.root_name()
    }
    fn canonical(&self, path: &str) -> Result<String, FsError> {
        cached(&self.canonicals, path, || self.inner.canonical(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::fs::MemFs;

    #[test]
    fn records_every_question_and_hides_the_output() {
        let fs = MemFs::from_files([("a/k.yaml", "x"), ("rendered/f.yaml", "y")]);
        let view = SourceView::new(&fs, "rendered");
        let digests = DigestCache::default();
        let rec = RecordingFs::new(&view, &digests);
        assert_eq!(rec.list_dir("").unwrap(), vec!["a"]);
        assert!(!rec.is_file("rendered/f.yaml"));
        assert!(rec.read("a/missing.yaml").is_err());
        rec.read("a/k.yaml").unwrap();
        let inputs = rec.inputs();
        assert_eq!(inputs.len(), 4);
        // Asked again of the same files, every answer is the same.
        let again = DigestCache::default();
        assert!(inputs.iter().all(|(q, a)| q.answer(&view, &again) == *a));
        // Of changed files, the changed read and only it differs.
        let other = MemFs::from_files([("a/k.yaml", "changed"), ("a/missing.yaml", "")]);
        let fresh = DigestCache::default();
        let differs: Vec<String> = inputs
            .iter()
            .filter(|(q, a)| q.answer(&other, &fresh) != **a)
            .map(|(q, _)| q.encode())
            .collect();
        assert_eq!(differs, vec!["read:a/k.yaml", "read:a/missing.yaml"]);
    }

    #[test]
    fn questions_round_trip_through_their_encoding() {
        for s in ["read:a/b.yaml", "list:", "dir:x", "file:x:y", "link:l"] {
            assert_eq!(Question::decode(s).unwrap().encode(), s);
        }
        assert!(Question::decode("write:x").is_none());
    }
}
