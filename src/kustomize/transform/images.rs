//! `images`: rewrites container images by name (new name, tag, digest or tag suffix).
//!
//! As kustomize v5.5 does, each entry makes two passes over every resource but
//! CustomResourceDefinitions: first every `containers` and `initContainers` list
//! anywhere in the object, then the `images` FieldSpec table (pod specs and pod
//! templates). Both passes can hit the same container, which only shows with
//! `tagSuffix`: a Deployment's `nginx:1.0` becomes `nginx:1.0-x-x`, exactly as
//! kustomize prints it.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::fieldspec::{walk, FieldSpec, WalkError};
use crate::kustomize::kustomization::Image;
use crate::kustomize::pattern::{strip_plain, Pattern};
use crate::kustomize::resmap::ResMap;
use regex::Regex;
use serde_json::Value;

/// Applies each `images` entry in order.
pub fn apply(ra: &mut ResMap, images: &[Image], source: &str) -> Result<()> {
    // The built-in table plus the rows `configurations` and `crds` add (`ra.config`).
    let specs = ra.config.or_defaults().images.clone();
    apply_with_specs(ra, images, &specs, source)
}

/// `apply` with the given field specs for the second pass (an ImageTagTransformer's
/// `fieldSpecs`); the first pass over `containers` lists is always made.
pub fn apply_with_specs(
    ra: &mut ResMap,
    images: &[Image],
    specs: &[FieldSpec],
    source: &str,
) -> Result<()> {
    for image in images {
        let rule = Rule::new(image, source)?;
        for r in ra.iter_mut() {
            if r.kind() == "CustomResourceDefinition" {
                continue;
            }
            let gvk = r.gvk();
            let id = r.cur_id();
            let mut changed = Vec::new();
            let mut doc = Value::Object(std::mem::take(&mut r.doc));
            let mut result = find_containers(&mut doc, &mut String::new(), &rule, &mut changed);
            if result.is_ok() {
                for fs in specs.iter().filter(|fs| fs.matches(&gvk)) {
                    let segments = crate::kustomize::fieldspec::split_path(&fs.path);
                    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
                    // kustomize's image filter never creates a field, whatever `create` says.
                    let walked = walk(&mut doc, &segs, None, &mut |v, path| {
                        rule.update(v, path, &mut changed).map_err(|()| WalkError {
                            at: path.to_string(),
                        })
                    });
                    if let Err(e) = walked {
                        result = Err(e.at);
                        break;
                    }
                }
            }
            if let Value::Object(m) = doc {
                r.doc = m;
            }
            if let Err(at) = result {
                return Err(Error::new(
                    ErrorKind::Transform,
                    source,
                    format!(
                        "images: cannot update '{at}' of {id}: a container must be a map and its \
                         `image` a string; fix the object"
                    ),
                )
                .at_line(r.origin.line));
            }
            changed.sort();
            changed.dedup();
            r.record("images", source, changed);
        }
    }
    Ok(())
}

/// One `images` entry, ready to match.
struct Rule<'a> {
    image: &'a Image,
    pattern: Pattern,
}

/// kustomize's tag and digest suffix after an image name:
/// `(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$`.
fn is_tag_and_digest(rest: &str) -> bool {
    let word = |s: &str| -> usize {
        s.find(|c: char| !(c.is_ascii_alphanumeric() || "_.{}-".contains(c)))
            .unwrap_or(s.len())
    };
    let mut rest = rest;
    if let Some(tag) = rest.strip_prefix(':') {
        rest = &tag[word(tag)..];
    }
    if let Some(digest) = rest.strip_prefix("@sha256:") {
        rest = &digest[word(digest)..];
    }
    rest.is_empty()
}

impl<'a> Rule<'a> {
    fn new(image: &'a Image, source: &str) -> Result<Rule<'a>> {
        if let Some(chars) = Pattern::plain(&image.name) {
            return Ok(Rule {
                image,
                pattern: Pattern::Plain(chars),
            });
        }
        // kustomize builds this pattern from the name unescaped, so the name is a regex.
        let pattern = Regex::new(&format!(
            "^{}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$",
            crate::kustomize::pattern::go_syntax(&image.name)
        ))
        .map_err(|_| {
            Error::new(
                ErrorKind::Invalid,
                source,
                format!(
                    "images: name '{}' is not a valid image name (kustomize reads it as a regular \
                     expression); write the image name without tag, e.g. ghcr.io/acme/web",
                    image.name
                ),
            )
        })?;
        Ok(Rule {
            image,
            pattern: Pattern::Regex(pattern),
        })
    }

    /// Whether `image` is this entry's name, with any tag and digest.
    fn matches(&self, image: &str) -> bool {
        match &self.pattern {
            Pattern::Plain(chars) => strip_plain(chars, image).is_some_and(is_tag_and_digest),
            Pattern::Regex(r) => r.is_match(image),
        }
    }

    /// Rewrites one `image` value if it matches. `Err` when it is not a scalar.
    fn update(&self, v: &mut Value, path: &str, changed: &mut Vec<String>) -> Result<(), ()> {
        let current = match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(()),
        };
        if !self.matches(&current) {
            return Ok(());
        }
        *v = Value::String(rewrite(&current, self.image));
        changed.push(path.to_string());
        Ok(())
    }
}

/// The new image reference for `current` under `image`'s rule.
fn rewrite(current: &str, image: &Image) -> String {
    let (name, tag, digest) = split(current);
    let mut name = name.to_string();
    let mut tag = tag.to_string();
    let mut digest = digest.to_string();
    if !image.new_name.is_empty() {
        name = image.new_name.clone();
    }
    if !image.new_tag.is_empty() && !image.digest.is_empty() {
        tag = image.new_tag.clone();
        digest = image.digest.clone();
    } else if !image.new_tag.is_empty() {
        tag = image.new_tag.clone();
        digest.clear();
    } else if !image.digest.is_empty() {
        tag.clear();
        digest = image.digest.clone();
    } else if !image.tag_suffix.is_empty() {
        tag.push_str(&image.tag_suffix);
        digest.clear();
    }
    if !tag.is_empty() {
        name.push(':');
        name.push_str(&tag);
    }
    if !digest.is_empty() {
        name.push('@');
        name.push_str(&digest);
    }
    name
}

/// Splits `host:port/path/name:tag@digest` into name, tag and digest. A `:`
/// before the first `/` belongs to the registry host, not to a tag.
fn split(image: &str) -> (&str, &str, &str) {
    let from = match image.find('/') {
        Some(i) if i > 0 => i,
        _ => 0,
    };
    let rest = &image[from..];
    let at = rest.find('@').map(|i| i + from);
    let colon = rest.find(':').map(|i| i + from);
    match (colon, at) {
        (None, None) => (image, "", ""),
        (Some(c), Some(a)) if c < a => (&image[..c], &image[c + 1..a], &image[a + 1..]),
        (_, Some(a)) => (&image[..a], "", &image[a + 1..]),
        (Some(c), None) => (&image[..c], &image[c + 1..], ""),
    }
}

/// Every `containers`/`initContainers` list anywhere below `v`, deepest first.
fn find_containers(
    v: &mut Value,
    path: &mut String,
    rule: &Rule,
    changed: &mut Vec<String>,
) -> Result<(), String> {
    let base = path.len();
    match v {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                path.truncate(base);
                if base > 0 {
                    path.push('.');
                }
                path.push_str(key);
                find_containers(child, path, rule, changed)?;
                if key != "containers" && key != "initContainers" {
                    continue;
                }
                let Value::Array(items) = child else { continue };
                let list = path.clone();
                for (i, item) in items.iter_mut().enumerate() {
                    let at = format!("{list}[{i}]");
                    match item {
                        Value::Object(c) => {
                            if let Some(image) = c.get_mut("image") {
                                let at = format!("{at}.image");
                                rule.update(image, &at, changed).map_err(|()| at)?;
                            }
                        }
                        Value::Null => {}
                        _ => return Err(at),
                    }
                }
            }
            path.truncate(base);
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.truncate(base);
                path.push_str(&format!("[{i}]"));
                find_containers(item, path, rule, changed)?;
            }
            path.truncate(base);
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::json;

    /// A plain image name matches exactly what kustomize's regex matches.
    #[test]
    fn plain_names_match_as_the_regex_does() {
        let subjects = [
            "nginx",
            "nginx:1.2",
            "nginx:",
            "nginx@sha256:abc",
            "nginx:1.2@sha256:ab{c}",
            "nginxx",
            "nginx:1:2",
            "nginx@sha256",
            "nginx:a b",
            "ngin",
            "ghcr.io/acme/api:v1",
            "ghcrxio/acme/api",
            "ghcr.io/acme/api-x",
            "nginx:1.2@sha256:abc@",
        ];
        for name in ["nginx", "ghcr.io/acme/api", "ngin."] {
            let image = img(name, "", "", "", "");
            let rule = Rule::new(&image, "k.yaml").unwrap();
            assert!(matches!(rule.pattern, Pattern::Plain(_)));
            let regex = Regex::new(&format!(
                "^{name}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$"
            ))
            .unwrap();
            for s in subjects {
                assert_eq!(rule.matches(s), regex.is_match(s), "{name} on {s}");
            }
        }
    }

    fn resmap(docs: Vec<Value>) -> ResMap {
        ResMap::from_objects(docs, "res.yaml").unwrap()
    }

    fn img(name: &str, new_name: &str, new_tag: &str, digest: &str, suffix: &str) -> Image {
        Image {
            name: name.into(),
            new_name: new_name.into(),
            new_tag: new_tag.into(),
            digest: digest.into(),
            tag_suffix: suffix.into(),
        }
    }

    #[test]
    fn split_handles_registry_ports_tags_and_digests() {
        assert_eq!(split("nginx"), ("nginx", "", ""));
        assert_eq!(split("nginx:1.0"), ("nginx", "1.0", ""));
        assert_eq!(split("nginx@sha256:abc"), ("nginx", "", "sha256:abc"));
        assert_eq!(
            split("localhost:5000/nginx:2.0@sha256:abc"),
            ("localhost:5000/nginx", "2.0", "sha256:abc")
        );
        assert_eq!(
            split("localhost:5000/nginx"),
            ("localhost:5000/nginx", "", "")
        );
    }

    // Expected values from `kubectl kustomize` (v5.5.0) on the same input.
    #[test]
    fn matches_kustomize_on_workloads_cronjobs_and_custom_resources() {
        let mut ra = resmap(vec![
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                "spec": {"template": {"spec": {
                    "initContainers": [{"name": "init", "image": "busybox"}],
                    "containers": [
                        {"name": "web", "image": "nginx:1.0"},
                        {"name": "side", "image": "localhost:5000/nginx:2.0@sha256:abc"},
                        {"name": "side2", "image": "docker.io/library/nginx"}]}}}}),
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"},
                "spec": {"jobTemplate": {"spec": {"template": {"spec": {
                    "containers": [{"name": "c", "image": "nginx"}]}}}}}}),
            json!({"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "foo"},
                "spec": {"deep": {"containers": [{"image": "nginx:old"}, {"name": "noimage"}]}}}),
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "crd"}, "spec": {"containers": [{"image": "nginx"}]}}),
        ]);
        let images = vec![
            img("nginx", "", "", "", "-x"),
            img("localhost:5000/nginx", "", "3", "", ""),
            img("busybox", "", "", "sha256:ddd", ""),
        ];
        apply(&mut ra, &images, "k.yaml").unwrap();
        let dep = &ra.resources[0].doc["spec"]["template"]["spec"];
        assert_eq!(dep["containers"][0]["image"], "nginx:1.0-x-x");
        assert_eq!(dep["containers"][1]["image"], "localhost:5000/nginx:3");
        assert_eq!(dep["containers"][2]["image"], "docker.io/library/nginx");
        assert_eq!(dep["initContainers"][0]["image"], "busybox@sha256:ddd");
        assert_eq!(
            ra.resources[1].doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
                ["image"],
            "nginx:-x"
        );
        let foo = &ra.resources[2].doc["spec"]["deep"]["containers"];
        assert_eq!(foo, &json!([{"image": "nginx:old-x"}, {"name": "noimage"}]));
        assert_eq!(
            ra.resources[3].doc["spec"]["containers"][0]["image"],
            "nginx"
        );
        assert_eq!(
            ra.resources[1].edits[0].paths,
            vec!["spec.jobTemplate.spec.template.spec.containers[0].image"]
        );
    }

    #[test]
    fn new_name_new_tag_and_digest() {
        let mut ra = resmap(vec![json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p"}, "spec": {"containers": [
                {"name": "a", "image": "nginx:1@sha256:old"},
                {"name": "b", "image": "redis"},
                {"name": "c", "image": "nginxx"}]}})]);
        let images = vec![
            img("nginx", "ghcr.io/acme/nginx", "2", "sha256:new", ""),
            img("redis", "my/redis", "", "", ""),
        ];
        apply(&mut ra, &images, "k.yaml").unwrap();
        let c = &ra.resources[0].doc["spec"]["containers"];
        assert_eq!(c[0]["image"], "ghcr.io/acme/nginx:2@sha256:new");
        assert_eq!(c[1]["image"], "my/redis");
        assert_eq!(c[2]["image"], "nginxx");
    }

    #[test]
    fn a_bad_name_is_an_error_naming_the_file() {
        let mut ra = ResMap::new();
        let err = apply(&mut ra, &[img("ngi(nx", "", "1", "", "")], "k.yaml").unwrap_err();
        assert_eq!(err.file, "k.yaml");
    }
}
