//! Which resources a `target` selects: anchored regexes on group, version, kind,
//! name and namespace (original or current), and label/annotation selectors.

use crate::kustomize::kustomization::Selector;
use crate::kustomize::pattern::Pattern;
use crate::kustomize::resource::Resource;
use regex::Regex;

/// A compiled `target`.
pub struct TargetMatcher {
    group: Option<Pattern>,
    version: Option<Pattern>,
    kind: Option<Pattern>,
    name: Option<Pattern>,
    namespace: Option<Pattern>,
    labels: Option<LabelSelector>,
    annotations: Option<LabelSelector>,
}

fn anchored(p: &Option<String>) -> Result<Option<Pattern>, String> {
    // A fleet applies the same patches in every cluster: compile each regex once.
    static CACHE: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, Regex>>> =
        std::sync::OnceLock::new();
    let p = match p.as_deref() {
        None | Some("") => return Ok(None),
        Some(p) => p,
    };
    if let Some(chars) = Pattern::plain(p) {
        return Ok(Some(Pattern::Plain(chars)));
    }
    let cache = CACHE.get_or_init(Default::default);
    if let Some(r) = cache.lock().ok().and_then(|c| c.get(p).cloned()) {
        return Ok(Some(Pattern::Regex(r)));
    }
    let r = Regex::new(&format!(
        "^(?:{})$",
        crate::kustomize::pattern::go_syntax(p)
    ))
    .map_err(|e| format!("invalid regex '{p}' in target: {e}"))?;
    if let Ok(mut c) = cache.lock() {
        c.insert(p.to_string(), r.clone());
    }
    Ok(Some(Pattern::Regex(r)))
}

impl TargetMatcher {
    pub fn new(s: &Selector) -> Result<TargetMatcher, String> {
        Ok(TargetMatcher {
            group: anchored(&s.group)?,
            version: anchored(&s.version)?,
            kind: anchored(&s.kind)?,
            name: anchored(&s.name)?,
            namespace: anchored(&s.namespace)?,
            labels: match s.label_selector.as_deref() {
                None | Some("") => None,
                Some(t) => {
                    Some(LabelSelector::parse(t).map_err(|e| format!("labelSelector '{t}': {e}"))?)
                }
            },
            annotations: match s.annotation_selector.as_deref() {
                None | Some("") => None,
                Some(t) => Some(
                    LabelSelector::parse(t)
                        .map_err(|e| format!("annotationSelector '{t}': {e}"))?,
                ),
            },
        })
    }

    /// Whether `r` is selected: name and namespace may match its original or current identity.
    pub fn matches(&self, r: &Resource) -> bool {
        let cur = r.cur_id();
        let org = r.org_id();
        if let Some(ns) = &self.namespace {
            if !ns.is_match(org.effective_namespace()) && !ns.is_match(cur.effective_namespace()) {
                return false;
            }
        }
        if let Some(n) = &self.name {
            if !n.is_match(&org.name) && !n.is_match(&cur.name) {
                return false;
            }
        }
        let gvk = &cur.gvk;
        let gvk_ok = self.group.as_ref().is_none_or(|g| g.is_match(&gvk.group))
            && self
                .version
                .as_ref()
                .is_none_or(|v| v.is_match(&gvk.version))
            && self.kind.as_ref().is_none_or(|k| k.is_match(&gvk.kind));
        gvk_ok
            && self.labels.as_ref().is_none_or(|s| s.matches(&r.labels()))
            && self
                .annotations
                .as_ref()
                .is_none_or(|s| s.matches(&r.annotations()))
    }
}

/// A Kubernetes label selector: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelSelector {
    reqs: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

impl LabelSelector {
    pub fn parse(text: &str) -> Result<LabelSelector, String> {
        let mut reqs = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            reqs.push(parse_requirement(part)?);
        }
        Ok(LabelSelector { reqs })
    }

    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        let get = |k: &str| {
            labels
                .iter()
                .find(|(lk, _)| lk == k)
                .map(|(_, v)| v.as_str())
        };
        self.reqs.iter().all(|r| match r {
            Requirement::In(k, vs) => get(k).is_some_and(|v| vs.iter().any(|x| x == v)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|v| !vs.iter().any(|x| x == v)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::NotExists(k) => get(k).is_none(),
        })
    }
}

/// Splits on commas that are not inside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

fn parse_requirement(part: &str) -> Result<Requirement, String> {
    if let Some(k) = part.strip_prefix('!') {
        return Ok(Requirement::NotExists(k.trim().to_string()));
    }
    if let Some((k, v)) = part.split_once("!=") {
        return Ok(Requirement::NotIn(
            k.trim().to_string(),
            vec![v.trim().to_string()],
        ));
    }
    if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
        return Ok(Requirement::In(
            k.trim().to_string(),
            vec![v.trim().to_string()],
        ));
    }
    let words: Vec<&str> = part.splitn(2, char::is_whitespace).collect();
    if words.len() == 2 {
        let rest = words[1].trim();
        let (op, list) = if let Some(l) = rest.strip_prefix("notin") {
            ("notin", l)
        } else if let Some(l) = rest.strip_prefix("in") {
            ("in", l)
        } else {
            return Err(format!("cannot parse '{part}'"));
        };
        let list = list.trim();
        let inner = list
            .strip_prefix('(')
            .and_then(|l| l.strip_suffix(')'))
            .ok_or_else(|| format!("expected (values) after '{op}' in '{part}'"))?;
        let values = inner
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        let key = words[0].to_string();
        return Ok(if op == "in" {
            Requirement::In(key, values)
        } else {
            Requirement::NotIn(key, values)
        });
    }
    Ok(Requirement::Exists(part.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn label_selectors() {
        let s = LabelSelector::parse("app=web,tier in (a, b),!legacy").unwrap();
        assert!(s.matches(&l(&[("app", "web"), ("tier", "b")])));
        assert!(!s.matches(&l(&[("app", "web"), ("tier", "c")])));
        assert!(!s.matches(&l(&[("app", "web"), ("tier", "a"), ("legacy", "")])));
        let s = LabelSelector::parse("env!=prod,team").unwrap();
        assert!(s.matches(&l(&[("team", "x")])));
        assert!(!s.matches(&l(&[("team", "x"), ("env", "prod")])));
        assert!(LabelSelector::parse("a notin (x)")
            .unwrap()
            .matches(&l(&[])));
    }
}
