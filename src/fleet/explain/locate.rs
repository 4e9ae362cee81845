//! The line in a file that set a field: the key in a resource file, the entry of a
//! kustomization's `images`/`replicas`/`labels`/generators, the line of a patch.
//!
//! Computed when asked, from the file's text and the edit record, so the engine
//! keeps no line bookkeeping while it renders.

use super::{covers, pointer, resolve, str_field, value_at, Field, Ptr, Unit};
use crate::kustomize::fs::FileSystem;
use crate::kustomize::resource::{Edit, Resource};
use crate::yaml;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// A file's documents and where each node starts.
pub(crate) struct Parsed {
    pub docs: Vec<Value>,
    /// 1-based line where each document starts.
    pub starts: Vec<u32>,
    /// Per document: JSON pointer → line.
    pub lines: Vec<BTreeMap<String, u32>>,
}

impl Parsed {
    pub fn from_text(text: &str) -> Option<Parsed> {
        let docs = yaml::parse_stream(text).ok()?;
        let lines = yaml::key_lines(text).ok()?;
        if lines.len() != docs.len() {
            return None;
        }
        Some(Parsed {
            starts: docs.iter().map(|d| d.line).collect(),
            docs: docs.into_iter().map(|d| d.value).collect(),
            lines,
        })
    }

    /// The line of a pointer in document `i`.
    pub fn line(&self, i: usize, ptr: &str) -> Option<u32> {
        self.lines.get(i)?.get(ptr).copied()
    }

    /// The first non-empty document as a mapping, with its index.
    fn first_map(&self) -> Option<(usize, &serde_json::Map<String, Value>)> {
        self.docs
            .iter()
            .enumerate()
            .find_map(|(i, d)| d.as_object().map(|m| (i, m)))
    }
}

/// Source files read once per explanation.
pub(crate) struct Files<'a> {
    fs: &'a dyn FileSystem,
    /// What layer files are templated with, in fleet mode.
    context: Option<Value>,
    cache: RefCell<BTreeMap<String, Option<std::rc::Rc<Parsed>>>>,
}

impl<'a> Files<'a> {
    pub fn new(fs: &'a dyn FileSystem, unit: &Unit) -> Files<'a> {
        let context = match unit {
            Unit::Pair(c, a) => Some(crate::fleet::render::template_context(c, a, &Value::Null)),
            Unit::Target(_) => None,
        };
        Files {
            fs,
            context,
            cache: RefCell::new(BTreeMap::new()),
        }
    }

    /// The file's text as the render read it (layer files templated).
    pub fn text(&self, file: &str) -> Option<String> {
        let text = String::from_utf8(self.fs.read(file).ok()?).ok()?;
        match &self.context {
            Some(ctx) if text.contains("{{") && !file.contains("/templates/") => {
                crate::fleet::template::render_str(&text, file, ctx)
                    .ok()
                    .or(Some(text))
            }
            _ => Some(text),
        }
    }

    /// Line `line` of a file as it is on disk, trimmed and cut to 100 characters.
    pub fn line_text(&self, file: &str, line: u32) -> Option<String> {
        if line == 0 {
            return None;
        }
        // A secret generator's lines may hold its literals: never quoted.
        if self.get(file).is_some_and(|p| {
            p.lines.iter().any(|d| {
                d.iter()
                    .any(|(k, l)| *l == line && k.starts_with("/secretGenerator"))
            })
        }) {
            return None;
        }
        let text = String::from_utf8(self.fs.read(file).ok()?).ok()?;
        let l = text.lines().nth(line as usize - 1)?.trim();
        let l = l.strip_prefix("- ").unwrap_or(l).trim();
        if l.chars().count() > 100 {
            Some(l.chars().take(99).collect::<String>() + "…")
        } else {
            Some(l.to_string())
        }
    }

    pub fn get(&self, file: &str) -> Option<std::rc::Rc<Parsed>> {
        if let Some(p) = self.cache.borrow().get(file) {
            return p.clone();
        }
        let parsed = self
            .text(file)
            .and_then(|t| Parsed::from_text(&t))
            .map(std::rc::Rc::new);
        self.cache
            .borrow_mut()
            .insert(file.to_string(), parsed.clone());
        parsed
    }

    /// The line of a field in the document (starting at `start`) it was loaded
    /// from; `None` when that document does not have the field.
    pub fn resource_line(&self, file: &str, start: u32, f: &Field) -> Option<u32> {
        let p = self.get(file)?;
        let i = p
            .starts
            .iter()
            .position(|s| *s == start)
            .or((p.docs.len() == 1).then_some(0))?;
        let ptr = resolve(&p.docs[i], &f.segs)?;
        p.line(i, &pointer(&ptr))
    }

    /// The line of the generator entry that made `r` (and of the literal, file or
    /// env file that gave `f`, when asked about a `data` key).
    pub fn generator_line(&self, kustomization: &str, r: &Resource, f: Option<&Field>) -> u32 {
        let Some(p) = self.get(kustomization) else {
            return 0;
        };
        let Some((d, m)) = p.first_map() else {
            return 0;
        };
        let names: Vec<String> = r.all_ids().map(|id| id.name).collect();
        let data_key = f.and_then(|f| match f.ptr.as_slice() {
            [Ptr::Key(top), Ptr::Key(k), ..] if top == "data" || top == "binaryData" => {
                Some(k.as_str())
            }
            _ => None,
        });
        for gen in ["configMapGenerator", "secretGenerator"] {
            let Some(entries) = m.get(gen).and_then(Value::as_array) else {
                continue;
            };
            for (i, e) in entries.iter().enumerate().rev() {
                let Some(name) = e.get("name").and_then(Value::as_str) else {
                    continue;
                };
                if !names.iter().any(|n| {
                    n == name
                        || n.ends_with(&format!("-{name}"))
                        || n.starts_with(&format!("{name}-"))
                }) {
                    continue;
                }
                let at = |rest: &str| p.line(d, &format!("/{gen}/{i}{rest}"));
                if let Some(k) = data_key {
                    if let Some(line) = data_source_line(e, k, &at) {
                        return line;
                    }
                }
                return at("/name").or_else(|| at("")).unwrap_or(0);
            }
        }
        0
    }

    /// Whether an edit that covers the field really set it: the label and annotation
    /// transformers record the map they wrote into, so a key they did not set is
    /// not theirs.
    pub fn touches(&self, e: &Edit, f: &Field) -> bool {
        if !matches!(e.by, "labels" | "commonLabels" | "commonAnnotations")
            || e.paths.iter().any(|p| p == &f.leaf.engine_path)
        {
            return true;
        }
        let (Some(Ptr::Key(key)), Some(p)) = (f.ptr.last(), self.get(&e.source)) else {
            return true;
        };
        let Some((_, m)) = p.first_map() else {
            return true;
        };
        match e.by {
            "labels" => m.get("labels").and_then(Value::as_array).is_some_and(|l| {
                l.iter()
                    .any(|x| x.get("pairs").and_then(|p| p.get(key)).is_some())
            }),
            field => m.get(field).and_then(|v| v.get(key)).is_some(),
        }
    }

    /// The line an edit was asked for on, in its source file.
    pub fn edit_line(&self, e: &Edit, r: &Resource, f: &Field) -> u32 {
        if e.by == "hashSuffix" || e.by == "configMapGenerator" || e.by == "secretGenerator" {
            return self.generator_line(&e.source, r, Some(f));
        }
        let Some(p) = self.get(&e.source) else {
            return 0;
        };
        let key = match f.ptr.last() {
            Some(Ptr::Key(k)) => k.clone(),
            _ => String::new(),
        };
        let esc = |k: &str| k.replace('~', "~0").replace('/', "~1");
        let Some((d, m)) = p.first_map() else {
            // A JSON patch file is a list of operations.
            return if e.by == "patch" {
                json_ops_line(&p, 0, f, 0).unwrap_or(0)
            } else {
                0
            };
        };
        let at = |ptr: &str| p.line(d, ptr);
        let line = match e.by {
            "namespace" | "namePrefix" | "nameSuffix" | "replacements" => at(&format!("/{}", e.by)),
            "commonLabels" | "commonAnnotations" => {
                at(&format!("/{}/{}", e.by, esc(&key))).or_else(|| at(&format!("/{}", e.by)))
            }
            "labels" => m
                .get("labels")
                .and_then(Value::as_array)
                .and_then(|l| {
                    l.iter().enumerate().rev().find_map(|(i, entry)| {
                        entry
                            .get("pairs")
                            .and_then(|p| p.get(&key))
                            .and_then(|_| at(&format!("/labels/{i}/pairs/{}", esc(&key))))
                    })
                })
                .or_else(|| at("/labels")),
            "replicas" => {
                let names: Vec<String> = r.all_ids().map(|id| id.name).collect();
                m.get("replicas")
                    .and_then(Value::as_array)
                    .and_then(|l| {
                        l.iter().enumerate().rev().find_map(|(i, entry)| {
                            let n = entry.get("name").and_then(Value::as_str)?;
                            names
                                .iter()
                                .any(|x| x == n)
                                .then(|| at(&format!("/replicas/{i}/count")))?
                        })
                    })
                    .or_else(|| at("/replicas"))
            }
            "images" => images_line(m, f, &at).or_else(|| at("/images")),
            "patch" => self.patch_line(&p, d, m, r, f),
            "nameReference" => name_line(&p, f),
            _ => None,
        };
        line.unwrap_or(0)
    }

    /// The line of a patch (file, or inline in a kustomization) that set the field.
    fn patch_line(
        &self,
        p: &Parsed,
        d: usize,
        m: &serde_json::Map<String, Value>,
        r: &Resource,
        f: &Field,
    ) -> Option<u32> {
        let is_kustomization = ["patches", "patchesStrategicMerge", "patchesJson6902"]
            .iter()
            .any(|k| m.contains_key(*k))
            && matches!(
                str_field(m, "kind"),
                None | Some("Kustomization" | "Component")
            );
        if !is_kustomization {
            // A strategic-merge patch file: the field's key in the document naming the resource.
            return smp_line(p, r, f, 0);
        }
        let mut found = None;
        for field in ["patches", "patchesJson6902", "patchesStrategicMerge"] {
            let Some(list) = m.get(field).and_then(Value::as_array) else {
                continue;
            };
            for (i, entry) in list.iter().enumerate() {
                let (inline, ptr) = match entry {
                    Value::String(s) => (s.as_str(), format!("/{field}/{i}")),
                    Value::Object(e) => match str_field(e, "patch") {
                        Some(s) => (s, format!("/{field}/{i}/patch")),
                        None => continue,
                    },
                    _ => continue,
                };
                let Some(key_line) = p.line(d, &ptr) else {
                    continue;
                };
                // A block scalar's first content line is the line after its key.
                let Some(inner) = Parsed::from_text(inline) else {
                    continue;
                };
                let hit = if inner.docs.first().is_some_and(Value::is_array) {
                    json_ops_line(&inner, 0, f, key_line)
                } else {
                    smp_line(&inner, r, f, key_line)
                };
                if hit.is_some() {
                    found = hit;
                }
            }
        }
        found.or_else(|| p.line(d, "/patches"))
    }
}

/// The line of the last JSON patch operation on the field, plus `offset`.
fn json_ops_line(p: &Parsed, d: usize, f: &Field, offset: u32) -> Option<u32> {
    let ops = p.docs.get(d)?.as_array()?;
    let mut found = None;
    for (i, op) in ops.iter().enumerate() {
        let Some(path) = op.get("path").and_then(Value::as_str) else {
            continue;
        };
        let mut engine = String::new();
        for seg in path.split('/').skip(1) {
            let seg = seg.replace("~1", "/").replace("~0", "~");
            if seg == "-" {
                break;
            }
            if seg.bytes().all(|b| b.is_ascii_digit()) && !seg.is_empty() {
                engine.push_str(&format!("[{seg}]"));
            } else {
                if !engine.is_empty() {
                    engine.push('.');
                }
                engine.push_str(&seg);
            }
        }
        if covers(&engine, &f.leaf.engine_path) {
            found = p
                .line(d, &format!("/{i}/value"))
                .or_else(|| p.line(d, &format!("/{i}")));
        }
    }
    found.map(|l| l + offset)
}

/// The line of the field in a strategic-merge patch (the document that names the
/// resource, or the only one), or of the deepest part of its path the patch has.
fn smp_line(p: &Parsed, r: &Resource, f: &Field, offset: u32) -> Option<u32> {
    let d = p
        .docs
        .iter()
        .position(|doc| {
            doc.pointer("/metadata/name").and_then(Value::as_str) == Some(r.org_id().name.as_str())
                || doc.pointer("/metadata/name").and_then(Value::as_str) == Some(r.name())
        })
        .or((p.docs.len() == 1).then_some(0))?;
    let doc = &p.docs[d];
    for n in (1..=f.segs.len()).rev() {
        if let Some(ptr) = resolve(doc, &f.segs[..n]) {
            if value_at(doc, &ptr).is_some() {
                return p.line(d, &pointer(&ptr)).map(|l| l + offset);
            }
        }
    }
    None
}

/// The `images` entry that rewrote the image at `f`: its `digest`, `newTag` or `newName` line.
fn images_line(
    m: &serde_json::Map<String, Value>,
    f: &Field,
    at: &dyn Fn(&str) -> Option<u32>,
) -> Option<u32> {
    let image = f.leaf.value.as_str()?;
    let (named, digest) = match image.split_once('@') {
        Some((r, _)) => (r, true),
        None => (image, false),
    };
    let repo = match named.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => named,
    };
    let entries = m.get("images")?.as_array()?;
    entries.iter().enumerate().rev().find_map(|(i, e)| {
        let e = e.as_object()?;
        let hit = str_field(e, "newName") == Some(repo)
            || (str_field(e, "newName").is_none() && str_field(e, "name") == Some(repo));
        if !hit {
            return None;
        }
        let key = if digest && e.contains_key("digest") {
            "digest"
        } else if e.contains_key("newTag") {
            "newTag"
        } else if e.contains_key("newName") {
            "newName"
        } else {
            "name"
        };
        at(&format!("/images/{i}/{key}"))
    })
}

/// For a name reference: where the referenced object's name is declared (a
/// generator entry, or `metadata.name` of the document).
fn name_line(p: &Parsed, f: &Field) -> Option<u32> {
    let value = f.leaf.value.as_str()?;
    for (d, doc) in p.docs.iter().enumerate() {
        for gen in ["configMapGenerator", "secretGenerator"] {
            if let Some(list) = doc.get(gen).and_then(Value::as_array) {
                for (i, e) in list.iter().enumerate() {
                    if e.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| value.contains(n))
                    {
                        return p.line(d, &format!("/{gen}/{i}/name"));
                    }
                }
            }
        }
        if doc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .is_some_and(|n| value.contains(n))
        {
            return p.line(d, "/metadata/name");
        }
    }
    None
}

/// The line of the literal, file or env file of a generator entry that gave `key`.
fn data_source_line(entry: &Value, key: &str, at: &dyn Fn(&str) -> Option<u32>) -> Option<u32> {
    if let Some(l) = entry.get("literals").and_then(Value::as_array) {
        if let Some(j) = l.iter().rposition(|v| {
            v.as_str()
                .is_some_and(|s| s.split_once('=').is_some_and(|(k, _)| k.trim() == key))
        }) {
            return at(&format!("/literals/{j}"));
        }
    }
    if let Some(l) = entry.get("files").and_then(Value::as_array) {
        if let Some(j) = l.iter().rposition(|v| {
            v.as_str().is_some_and(|s| {
                s.split_once('=').is_some_and(|(k, _)| k == key)
                    || s == key
                    || s.ends_with(&format!("/{key}"))
            })
        }) {
            return at(&format!("/files/{j}"));
        }
    }
    if entry.get("envs").and_then(Value::as_array).is_some() {
        return at("/envs/0");
    }
    None
}
