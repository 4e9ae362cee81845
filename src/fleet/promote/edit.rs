//! Minimal textual edits of a block-style YAML file: set one scalar, add a key, add
//! or change an `images` entry. Only the lines that change are touched: comments,
//! key order, quoting style and blank lines stay; nothing is re-serialised.
//!
//! Anything this cannot edit in place (flow style `{a: 1}`, block scalars, anchors,
//! a file that does not parse) is refused with the reason, never rewritten.

use crate::yaml;
use serde_json::Value;
use std::collections::BTreeMap;

/// A file's lines and where each node starts (document 0).
struct Text {
    lines: Vec<String>,
    /// JSON pointer → 0-based line.
    at: BTreeMap<String, usize>,
    doc: Value,
    /// Whether the original ended in a newline.
    newline: bool,
}

fn esc(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

impl Text {
    fn parse(text: &str) -> Result<Text, String> {
        let docs =
            yaml::parse_stream(text).map_err(|e| format!("line {}: {}", e.line, e.message))?;
        if docs.iter().filter(|d| !d.value.is_null()).count() > 1 {
            return Err("it holds several YAML documents".into());
        }
        let lines = yaml::key_lines(text).map_err(|e| e.message)?;
        let at = lines
            .into_iter()
            .next()
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.saturating_sub(1) as usize))
            .collect();
        Ok(Text {
            lines: text.lines().map(str::to_string).collect(),
            at,
            doc: docs
                .into_iter()
                .map(|d| d.value)
                .find(|v| !v.is_null())
                .unwrap_or(Value::Null),
            newline: text.ends_with('\n') || text.is_empty(),
        })
    }

    fn render(&self) -> String {
        let mut s = self.lines.join("\n");
        if self.newline && !s.is_empty() {
            s.push('\n');
        }
        s
    }

    /// Byte range of the scalar value on the line of the key at `ptr`, and its text.
    fn value_span(&self, ptr: &str) -> Result<(usize, usize, usize), String> {
        let line_no = *self.at.get(ptr).ok_or("no such key")?;
        let line = &self.lines[line_no];
        let key = ptr
            .rsplit('/')
            .next()
            .unwrap_or("")
            .replace("~1", "/")
            .replace("~0", "~");
        // The key on its line: after indentation and `- ` item marks, maybe quoted.
        let mut i = 0;
        let b = line.as_bytes();
        loop {
            while i < b.len() && b[i] == b' ' {
                i += 1;
            }
            if b.get(i) == Some(&b'-') && matches!(b.get(i + 1), Some(b' ')) {
                i += 1;
                continue;
            }
            break;
        }
        let rest = &line[i..];
        let after_key = [key.clone(), format!("\"{key}\""), format!("'{key}'")]
            .iter()
            .find_map(|k| {
                rest.strip_prefix(k.as_str())
                    .and_then(|r| r.strip_prefix(':'))
                    .map(|r| line.len() - r.len())
            })
            .ok_or_else(|| {
                format!(
                    "line {}: the key {key} is not at the start of its line",
                    line_no + 1
                )
            })?;
        let mut start = after_key;
        while start < b.len() && b[start] == b' ' {
            start += 1;
        }
        let end = match b.get(start) {
            None | Some(b'#') => {
                return Err(format!(
                    "line {}: {key} holds no value on its line",
                    line_no + 1
                ))
            }
            Some(b'|' | b'>' | b'{' | b'[' | b'&' | b'*' | b'!') => {
                return Err(format!(
                    "line {}: {key} is a block, flow, anchored or tagged value",
                    line_no + 1
                ))
            }
            Some(q @ (b'"' | b'\'')) => {
                let mut j = start + 1;
                while j < b.len() {
                    if b[j] == b'\\' && *q == b'"' {
                        j += 2;
                        continue;
                    }
                    if b[j] == *q {
                        if *q == b'\'' && b.get(j + 1) == Some(&b'\'') {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j += 1;
                }
                if j >= b.len() {
                    return Err(format!(
                        "line {}: {key}'s quoted value goes on past its line",
                        line_no + 1
                    ));
                }
                j + 1
            }
            Some(_) => {
                let comment = line[start..].find(" #").map_or(line.len(), |c| start + c);
                line[..comment].trim_end().len()
            }
        };
        // A plain scalar continued on the next, deeper line is not one line.
        if let Some(next) = self.lines.get(line_no + 1) {
            let indent = line.len() - line.trim_start().len();
            let t = next.trim_start();
            if !t.is_empty()
                && !t.starts_with('#')
                && next.len() - t.len() > indent
                && !t.starts_with('-')
                && !t.contains(": ")
                && !t.ends_with(':')
            {
                return Err(format!(
                    "line {}: {key}'s value goes on to the next line",
                    line_no + 1
                ));
            }
        }
        Ok((line_no, start, end))
    }

    /// Replaces the scalar at `ptr`, keeping the quoting style it had.
    fn replace(&mut self, ptr: &str, value: &Value) -> Result<(), String> {
        let (line_no, start, end) = self.value_span(ptr)?;
        let old = self.lines[line_no][start..end].to_string();
        let new = scalar(value, Some(&old));
        self.lines[line_no].replace_range(start..end, &new);
        Ok(())
    }

    /// The column of the keys of the mapping at `ptr`, and the last line of its block.
    fn block_of(&self, ptr: &str) -> Result<Option<(usize, usize)>, String> {
        let children: Vec<usize> = self
            .at
            .range(format!("{ptr}/")..)
            .take_while(|(k, _)| k.starts_with(&format!("{ptr}/")))
            .map(|(_, l)| *l)
            .collect();
        let Some(first) = children.iter().min().copied() else {
            return Ok(None);
        };
        let item_start = |l: &str| {
            let t = l.trim_start();
            t.strip_prefix("- ")
                .is_some_and(|r| !r.trim_start().starts_with(['{', '[']))
        };
        if !ptr.is_empty() && self.at.get(ptr) == Some(&first) && !item_start(&self.lines[first]) {
            return Err("it is written in flow style ({...} or [...]) on one line".into());
        }
        let first_line = &self.lines[first];
        let col = first_line.len() - first_line.trim_start().len();
        // A first key after `- ` sits after the dash.
        let t = first_line.trim_start();
        let col = if let Some(r) = t.strip_prefix("- ") {
            col + 2 + (r.len() - r.trim_start().len())
        } else {
            col
        };
        let mut last = children.iter().max().copied().unwrap_or(first);
        // Take in the deeper lines that continue the block (nested values, block scalars).
        let mut j = last + 1;
        while j < self.lines.len() {
            let l = &self.lines[j];
            let t = l.trim_start();
            if t.is_empty() || t.starts_with('#') {
                j += 1;
                continue;
            }
            let indent = l.len() - t.len();
            if indent > col || (indent == col && t.starts_with("- ") && ptr.is_empty()) {
                last = j;
                j += 1;
            } else {
                break;
            }
        }
        Ok(Some((col, last)))
    }

    /// Adds `keys: value` (nested mappings for the missing keys) to the mapping at
    /// `parent`, after its last line.
    fn insert(&mut self, parent: &str, keys: &[String], value: &Value) -> Result<(), String> {
        let (col, after) = match self.block_of(parent)? {
            Some(b) => b,
            None if parent.is_empty() => (0, self.lines.len().wrapping_sub(1)),
            None => {
                let line = *self.at.get(parent).ok_or("no such key")?;
                let l = &self.lines[line];
                if !l.trim_end().ends_with(':') {
                    return Err(format!(
                        "line {}: it holds a value, not a mapping of keys",
                        line + 1
                    ));
                }
                let t = l.trim_start();
                let mut indent = l.len() - t.len();
                if t.starts_with("- ") {
                    indent += 2;
                }
                (indent + 2, line)
            }
        };
        let mut new = Vec::new();
        for (d, k) in keys.iter().enumerate() {
            let pad = " ".repeat(col + 2 * d);
            let key = scalar(&Value::String(k.clone()), None);
            if d + 1 == keys.len() {
                new.push(format!("{pad}{key}: {}", scalar(value, None)));
            } else {
                new.push(format!("{pad}{key}:"));
            }
        }
        let at = after.wrapping_add(1);
        self.lines.splice(at..at, new);
        Ok(())
    }

    /// Sets the value at a path of mapping keys: replaced where it is, else added
    /// under the deepest mapping that exists.
    fn set(&mut self, keys: &[String], value: &Value) -> Result<(), String> {
        let ptr: String = keys.iter().map(|k| format!("/{}", esc(k))).collect();
        if self.at.contains_key(&ptr) {
            return self.replace(&ptr, value);
        }
        let mut n = keys.len();
        while n > 0 {
            let p: String = keys[..n - 1]
                .iter()
                .map(|k| format!("/{}", esc(k)))
                .collect();
            if p.is_empty() || self.at.contains_key(&p) {
                return self.insert(&p, &keys[n - 1..], value);
            }
            n -= 1;
        }
        Err("no place to add it".into())
    }
}

/// A scalar as YAML: strings plain when they read back as the same string, else
/// double-quoted (or in the quoting style `old` used).
pub fn scalar(value: &Value, old: Option<&str>) -> String {
    let Value::String(s) = value else {
        return value.to_string();
    };
    match old.and_then(|o| o.chars().next()) {
        Some('"') => return Value::String(s.clone()).to_string(),
        Some('\'') => return format!("'{}'", s.replace('\'', "''")),
        _ => {}
    }
    let plain_safe = !s.is_empty()
        && s.trim() == s
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.contains('\n')
        && !s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c))
        && matches!(yaml::parse_stream(s).ok().as_deref(), Some([d]) if d.value == Value::String(s.clone()));
    if plain_safe {
        s.clone()
    } else {
        Value::String(s.clone()).to_string()
    }
}

/// Sets a key path (`["values", "image", "tag"]`) in a layer file's text.
pub fn set_value(text: &str, keys: &[String], value: &Value) -> Result<String, String> {
    let mut t = Text::parse(text)?;
    if !t.doc.is_object() && !t.doc.is_null() {
        return Err("it is not a mapping".into());
    }
    t.set(keys, value)?;
    Ok(t.render())
}

/// What an `images` entry should make of one image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageEdit {
    /// The image name the entry matches (`name:`).
    pub name: String,
    pub new_name: Option<String>,
    pub new_tag: Option<String>,
    pub digest: Option<String>,
}

/// Makes the file's `images` entry for `e.name` (matched by `newName`, else by
/// `name`) set the tag, digest and name given, adding the entry or `images:` when missing.
pub fn set_image(text: &str, e: &ImageEdit) -> Result<String, String> {
    let mut t = Text::parse(text)?;
    let entries = t.doc.get("images").and_then(Value::as_array).cloned();
    let found = entries.as_ref().and_then(|l| {
        l.iter().rposition(|x| {
            let s = |k: &str| x.get(k).and_then(Value::as_str);
            s("newName") == Some(e.name.as_str())
                || (s("newName").is_none() && s("name") == Some(e.name.as_str()))
        })
    });
    if let Some(i) = found {
        let entry = entries.unwrap()[i].clone();
        let base = format!("/images/{i}");
        for (key, want) in [
            ("newName", &e.new_name),
            ("newTag", &e.new_tag),
            ("digest", &e.digest),
        ] {
            let has = entry.get(key).is_some();
            match want {
                Some(v) if has && entry.get(key).and_then(Value::as_str) == Some(v.as_str()) => {}
                Some(v) if has => {
                    t.replace(&format!("{base}/{key}"), &Value::String(v.clone()))?;
                }
                Some(v) => {
                    t.insert(&base, &[key.to_string()], &Value::String(v.clone()))?;
                    t = Text::parse(&t.render())?;
                }
                None if has && key != "newName" => {
                    let (line, ..) = t.value_span(&format!("{base}/{key}"))?;
                    if t.lines[line].trim_start().starts_with("- ") {
                        return Err(format!(
                            "line {}: the entry starts with {key}; drop it by hand",
                            line + 1
                        ));
                    }
                    t.lines.remove(line);
                    t = Text::parse(&t.render())?;
                }
                None => {}
            }
        }
        return Ok(t.render());
    }
    // A new entry.
    let mut item = vec![format!(
        "- name: {}",
        scalar(&Value::String(e.name.clone()), None)
    )];
    for (key, v) in [
        ("newName", &e.new_name),
        ("newTag", &e.new_tag),
        ("digest", &e.digest),
    ] {
        if let Some(v) = v {
            item.push(format!(
                "  {key}: {}",
                scalar(&Value::String(v.clone()), None)
            ));
        }
    }
    match t.at.get("/images").copied() {
        Some(line) => {
            if t.doc
                .get("images")
                .is_some_and(|v| !v.is_array() && !v.is_null())
            {
                return Err(format!("line {}: images is not a list", line + 1));
            }
            let (col, after) = match t.block_of("/images")? {
                Some((col, last)) => {
                    // Items' dashes: the column of the first item's line.
                    let first = t.at["/images/0"];
                    let l = &t.lines[first];
                    let dash = l.len() - l.trim_start().len();
                    let _ = col;
                    (dash, last)
                }
                None => {
                    if !t.lines[line].trim_end().ends_with(':') {
                        return Err(format!(
                            "line {}: images is written in flow style",
                            line + 1
                        ));
                    }
                    (2, line)
                }
            };
            let pad = " ".repeat(col);
            let new: Vec<String> = item.iter().map(|l| format!("{pad}{l}")).collect();
            t.lines.splice(after + 1..after + 1, new);
        }
        None => {
            t.lines.push("images:".into());
            t.lines.extend(item.iter().map(|l| format!("  {l}")));
            t.newline = true;
        }
    }
    Ok(t.render())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_scalar_is_replaced_in_place_keeping_quotes_and_comments() {
        let t = "# prod\nvalues:\n  image:\n    tag: \"1.4.0\"   # pinned\n\n  screens: 2\n";
        let got = set_value(t, &keys(&["values", "image", "tag"]), &json!("1.5.0")).unwrap();
        assert_eq!(
            got,
            "# prod\nvalues:\n  image:\n    tag: \"1.5.0\"   # pinned\n\n  screens: 2\n"
        );
        let got = set_value("a: 'x'\n", &keys(&["a"]), &json!("it's")).unwrap();
        assert_eq!(got, "a: 'it''s'\n");
        let got = set_value("a: x # c\n", &keys(&["a"]), &json!("1.5")).unwrap();
        assert_eq!(
            got, "a: \"1.5\" # c\n",
            "a string that reads as a number is quoted"
        );
    }

    #[test]
    fn missing_keys_are_added_under_the_deepest_mapping() {
        let t = "replicas:\n  - name: web\n    count: 4\nvalues:\n  screens: 2 # two\n\n# end\n";
        let got = set_value(t, &keys(&["values", "image", "tag"]), &json!("2.5.0")).unwrap();
        assert_eq!(
            got,
            "replicas:\n  - name: web\n    count: 4\nvalues:\n  screens: 2 # two\n  image:\n    tag: 2.5.0\n\n# end\n"
        );
        let got = set_value("", &keys(&["values", "tag"]), &json!("x")).unwrap();
        assert_eq!(got, "values:\n  tag: x\n");
        assert!(
            set_value("values: {a: 1}\n", &keys(&["values", "b"]), &json!(1))
                .unwrap_err()
                .contains("flow style")
        );
        assert!(set_value("a: |\n  x\n", &keys(&["a"]), &json!("y")).is_err());
    }

    #[test]
    fn image_entries_are_changed_or_added() {
        let edit = ImageEdit {
            name: "ghcr.io/acme/web".into(),
            new_name: None,
            new_tag: Some("1.5.0".into()),
            digest: None,
        };
        let t = "images:\n  # the app\n  - name: ghcr.io/acme/web\n    newTag: 1.4.0 # old\nreplicas: []\n";
        assert_eq!(
            set_image(t, &edit).unwrap(),
            "images:\n  # the app\n  - name: ghcr.io/acme/web\n    newTag: 1.5.0 # old\nreplicas: []\n"
        );
        let t = "replicas:\n  - name: web\n    count: 4\n";
        assert_eq!(
            set_image(t, &edit).unwrap(),
            "replicas:\n  - name: web\n    count: 4\nimages:\n  - name: ghcr.io/acme/web\n    newTag: 1.5.0\n"
        );
        let t = "images:\n- name: other\n  newTag: x\n\npatches: []\n";
        assert_eq!(
            set_image(t, &edit).unwrap(),
            "images:\n- name: other\n  newTag: x\n- name: ghcr.io/acme/web\n  newTag: 1.5.0\n\npatches: []\n"
        );
        // A digest replaced by a tag: the digest line goes.
        let t = "images:\n  - name: ghcr.io/acme/web\n    newTag: 1.4.0\n    digest: sha256:aa\n";
        assert_eq!(
            set_image(t, &edit).unwrap(),
            "images:\n  - name: ghcr.io/acme/web\n    newTag: 1.5.0\n"
        );
        // A tag added to an entry that only renames.
        let t = "images:\n  - name: ghcr.io/acme/web\n    newName: ghcr.io/acme/web\n";
        assert_eq!(
            set_image(t, &edit).unwrap(),
            "images:\n  - name: ghcr.io/acme/web\n    newName: ghcr.io/acme/web\n    newTag: 1.5.0\n"
        );
        assert!(set_image("images: [{name: ghcr.io/acme/web, newTag: x}]\n", &edit).is_err());
    }
}
