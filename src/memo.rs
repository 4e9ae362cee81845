//! Results kept by the content they were computed from, for the rest of a command: a
//! fleet reads the same base, chart and values for every cluster, and the same text
//! always gives the same result. Keyed by the bytes themselves, never by path (rendered
//! templates and inline patches have no file of their own). Failures are not kept: they
//! name the file they came from.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Bumped by [`forget_all`]: a memo that finds it changed sets aside what it kept.
static EPOCH: AtomicU64 = AtomicU64::new(0);

/// What memos kept before the last [`forget_all`], dropped by the next one: a command
/// never drops its memos (the process exits), so a benchmark's round must not either.
static FORGOTTEN: Mutex<Vec<Box<dyn Send>>> = Mutex::new(Vec::new());

/// Makes every memo start afresh, as in a new process: for an in-process benchmark,
/// whose every round must do a command's whole work, as Helm's SDK does on each call.
pub fn forget_all() {
    let forgotten = FORGOTTEN.lock().map(|mut f| std::mem::take(&mut *f));
    drop(forgotten);
    EPOCH.fetch_add(1, Ordering::Relaxed);
}

/// Results of type `T` by the bytes they were computed from.
pub struct ByContent<T> {
    entries: Mutex<Entries<T>>,
}

struct Entries<T> {
    /// The [`EPOCH`] these were kept in.
    epoch: u64,
    by_hash: HashMap<u64, Bucket<T>>,
    /// The same results by where the kept bytes are: content shared from a file read
    /// once (a chart's templates, parsed ahead while loading) is found again without
    /// hashing its megabytes. The bytes are kept, so no other content can be there.
    by_address: HashMap<(usize, usize), T, foldhash::fast::FixedState>,
}

/// The contents with one hash, and their results.
type Bucket<T> = Vec<(std::sync::Arc<[u8]>, T)>;

impl<T> Default for ByContent<T> {
    fn default() -> Self {
        ByContent {
            entries: Mutex::new(Entries {
                epoch: EPOCH.load(Ordering::Relaxed),
                by_hash: HashMap::new(),
                by_address: HashMap::default(),
            }),
        }
    }
}

fn address(content: &[u8]) -> (usize, usize) {
    (content.as_ptr() as usize, content.len())
}

impl<T: Clone + Send + 'static> ByContent<T> {
    /// The entries, emptied first if [`forget_all`] was called since they were kept.
    fn lock(&self) -> Option<std::sync::MutexGuard<'_, Entries<T>>> {
        let mut m = self.entries.lock().ok()?;
        let epoch = EPOCH.load(Ordering::Relaxed);
        if m.epoch != epoch {
            let kept = (
                std::mem::take(&mut m.by_hash),
                std::mem::take(&mut m.by_address),
            );
            if let Ok(mut f) = FORGOTTEN.lock() {
                f.push(Box::new(kept));
            }
            m.epoch = epoch;
        }
        Some(m)
    }

    /// The result kept for `content`, or `make`'s, kept when it succeeds.
    pub fn get_or_try<E>(
        &self,
        content: &[u8],
        make: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        self.get_or_try_with(content, || content.into(), make)
    }

    /// [`Self::get_or_try`] for content already shared: kept without a copy.
    pub fn get_or_try_shared<E>(
        &self,
        content: &std::sync::Arc<[u8]>,
        make: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        if let Some(v) = self.kept_at(content) {
            return Ok(v);
        }
        self.get_or_try_with(content, || content.clone(), make)
    }

    /// The result kept for these very bytes (not a copy of them), if there is one.
    pub fn kept_at(&self, content: &std::sync::Arc<[u8]>) -> Option<T> {
        let entries = self.lock()?;
        entries.by_address.get(&address(content)).cloned()
    }

    fn get_or_try_with<E>(
        &self,
        content: &[u8],
        keep: impl FnOnce() -> std::sync::Arc<[u8]>,
        make: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        // foldhash: SipHash over a large chart's megabytes of templates cost more than
        // the lookups saved.
        let key = foldhash::fast::FixedState::with_seed(0).hash_one(content);
        let known = self.lock().and_then(|m| {
            m.by_hash
                .get(&key)?
                .iter()
                .find(|(c, _)| **c == *content)
                .map(|(_, v)| v.clone())
        });
        if let Some(v) = known {
            return Ok(v);
        }
        let v = make()?;
        if let Some(mut m) = self.lock() {
            let kept = keep();
            m.by_address.insert(address(&kept), v.clone());
            m.by_hash.entry(key).or_default().push((kept, v.clone()));
        }
        Ok(v)
    }

    /// The result kept for `content`, or `make`'s, kept.
    pub fn get_or(&self, content: &[u8], make: impl FnOnce() -> T) -> T {
        let kept: Result<T, std::convert::Infallible> = self.get_or_try(content, || Ok(make()));
        kept.unwrap_or_else(|never| match never {})
    }
}

/// Texts kept once each, by content: a fleet's clusters render many files the same
/// (a chart's objects that no cluster's values touch), and a tree held in memory then
/// holds each such text once (100 clusters x 5 charts: 117 MB of files, 8.5 MB of
/// different texts).
#[derive(Default)]
pub struct SharedTexts {
    texts: Mutex<HashMap<u64, Vec<std::sync::Arc<str>>>>,
}

impl SharedTexts {
    /// The text kept equal to `text`, or `text`, now kept.
    pub fn share(&self, text: String) -> std::sync::Arc<str> {
        let key = foldhash::fast::FixedState::with_seed(0).hash_one(text.as_bytes());
        let Ok(mut texts) = self.texts.lock() else {
            return text.into();
        };
        let same = texts.entry(key).or_default();
        if let Some(kept) = same.iter().find(|t| ***t == *text) {
            return kept.clone();
        }
        let kept: std::sync::Arc<str> = text.into();
        same.push(kept.clone());
        kept
    }
}

/// A JSON Schema file, parsed and compiled.
#[derive(Debug)]
pub struct JsonSchema {
    /// The schema compiled, or why it cannot be (each caller words that itself).
    pub compiled: Result<jsonschema::Validator, jsonschema::ValidationError<'static>>,
    /// When it does not compile for want of documents outside it (`$ref` to a URL,
    /// which strata never fetches): those it names, sorted (see [`external_refs`]).
    pub unfetched: Option<Vec<String>>,
}

/// Refuses every document a schema refers to outside itself, and notes that it was
/// asked: strata never uses the network.
#[derive(Default)]
struct Unfetched(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl jsonschema::Retrieve for Unfetched {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        Err(format!("{uri}: strata does not fetch schemas").into())
    }
}

/// The schema in `text`, parsed and compiled once per command: compiling a chart's
/// `values.schema.json` cost more than rendering the chart, and a fleet checks the
/// same schema (a chart's, or strata's own for its files) for every cluster. Keyed by
/// the text, so nothing is parsed or serialised again to find it.
pub fn json_schema(text: &str) -> Result<std::sync::Arc<JsonSchema>, serde_json::Error> {
    static COMPILED: std::sync::LazyLock<ByContent<std::sync::Arc<JsonSchema>>> =
        std::sync::LazyLock::new(ByContent::default);
    COMPILED.get_or_try(text.as_bytes(), || {
        let json: serde_json::Value = serde_json::from_str(text)?;
        let asked = Unfetched::default();
        let refers_out = asked.0.clone();
        let compiled = jsonschema::options().with_retriever(asked).build(&json);
        let unfetched = (compiled.is_err()
            && refers_out.load(std::sync::atomic::Ordering::Relaxed))
        .then(|| external_refs(&json));
        Ok(std::sync::Arc::new(JsonSchema {
            compiled,
            unfetched,
        }))
    })
}

/// The documents a schema refers to by URL (`$ref`, against its `$id`), sorted: what
/// Helm downloads when it checks the values.
pub fn external_refs(schema: &serde_json::Value) -> Vec<String> {
    fn walk(v: &serde_json::Value, base: Option<&str>, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                let base = match m.get("$id").and_then(serde_json::Value::as_str) {
                    Some(id) if is_url(id) => Some(id),
                    _ => base,
                };
                if let Some(r) = m.get("$ref").and_then(serde_json::Value::as_str) {
                    let doc = r.split('#').next().unwrap_or("");
                    if is_url(doc) {
                        out.push(doc.to_string());
                    } else if let (false, Some(base)) = (doc.is_empty(), base) {
                        out.push(join_url(base, doc));
                    }
                }
                m.values().for_each(|v| walk(v, base, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, base, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(schema, None, &mut out);
    out.sort();
    out.dedup();
    out
}

fn is_url(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://")
}

/// `rel` against the document `base` (a URL): beside it, `..` going up.
fn join_url(base: &str, rel: &str) -> String {
    let base = base.split('#').next().unwrap_or(base);
    let mut dir: Vec<&str> = base.split('/').collect();
    dir.pop();
    for part in rel.split('/') {
        match part {
            "." => {}
            ".." if dir.len() > 3 => {
                dir.pop();
            }
            ".." => {}
            p => dir.push(p),
        }
    }
    dir.join("/")
}

#[cfg(test)]
mod tests {
    use super::{external_refs, ByContent, SharedTexts};
    use std::sync::Arc;

    #[test]
    fn shared_bytes_kept_are_found_by_where_they_are_and_a_copy_by_content() {
        let memo: ByContent<usize> = ByContent::default();
        let kept: Arc<[u8]> = Arc::from(&b"kind: A"[..]);
        let copy: Arc<[u8]> = Arc::from(&b"kind: A"[..]);
        assert_eq!(memo.kept_at(&kept), None);
        assert_eq!(memo.get_or_try_shared(&kept, || Ok::<_, ()>(1)), Ok(1));
        assert_eq!(memo.kept_at(&kept), Some(1));
        // The same bytes elsewhere: not where the kept ones are, yet the same content.
        assert_eq!(memo.kept_at(&copy), None);
        assert_eq!(memo.get_or_try_shared(&copy, || Ok::<_, ()>(2)), Ok(1));
    }

    #[test]
    fn keeps_results_by_content_and_not_failures() {
        let memo: ByContent<usize> = ByContent::default();
        let mut calls = 0;
        let mut get = |text: &str, ok: bool| {
            memo.get_or_try(text.as_bytes(), || {
                calls += 1;
                if ok {
                    Ok(text.len())
                } else {
                    Err(())
                }
            })
        };
        assert_eq!(get("abc", true), Ok(3));
        assert_eq!(get("abc", true), Ok(3));
        assert_eq!(get("abcd", false), Err(()));
        assert_eq!(get("abcd", true), Ok(4));
        assert_eq!(calls, 3);
    }

    #[test]
    fn equal_texts_are_kept_once() {
        let texts = SharedTexts::default();
        let a = texts.share("kind: Service\n".to_string());
        let b = texts.share("kind: Service\n".to_string());
        let c = texts.share("kind: Deployment\n".to_string());
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(&*c, "kind: Deployment\n");
        assert_eq!(&*texts.share(String::new()), "");
    }

    #[test]
    fn refers_out_by_url_and_against_each_id_sorted_without_fragments() {
        let schema = serde_json::json!({
            "$id": "https://h.example/a/b/values.schema.json",
            "properties": {
                "x": {"$ref": "schemas/pod.json#/options"},
                "y": {"$ref": "../up.json"},
                "z": {"$ref": "#/local"},
                "w": {"$ref": "http://other.example/w.json#/x"},
                "v": {"$id": "https://v.example/dir/v.json", "$ref": "./sib.json"},
                "dup": {"$ref": "schemas/pod.json#/other"},
            }
        });
        assert_eq!(
            external_refs(&schema),
            [
                "http://other.example/w.json",
                "https://h.example/a/b/schemas/pod.json",
                "https://h.example/a/up.json",
                "https://v.example/dir/sib.json",
            ]
            .map(String::from)
        );
        // Without an `$id` URL, a relative reference is not a URL.
        assert!(external_refs(&serde_json::json!({"$ref": "defs.json"})).is_empty());
    }
}
