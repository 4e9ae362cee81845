//! For a chart's resources: the template line that printed a field, and the values
//! key it printed with the files that set that key (values.yaml < layers < `--set`).
//!
//! A `source: helm` chart is rendered once more with the Go template engine's trace
//! on: each line of a template's output comes with the template line that printed
//! it, through `include` and `nindent` (often a line of `_helpers.tpl`). Handlebars
//! charts (`source: chart`), and a chart the trace cannot be had for, fall back to
//! a skeleton of the template text.

use super::locate::Parsed;
use super::{pointer, resolve, Ctx, Field, Ptr, Step};
use crate::error::Result;
use crate::fleet::render::{chart_values, ChartValues};
use crate::fleet::values::SetSegment;
use crate::fleet::Source;
use crate::fleet::{App, Cluster};
use crate::kustomize::resource::Resource;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;

pub(crate) struct Chart<'a> {
    cluster: &'a Cluster,
    app: &'a App,
    /// The template file that printed the resource.
    template: String,
    /// Its lines.
    lines: Vec<String>,
    /// The template with every `{{…}}` replaced, parsed, and which document is the resource.
    skeleton: Option<(Parsed, usize)>,
    /// For `source: helm`: the template's output as traced.
    traced: Option<Traced>,
    /// Lines of the other template files a trace points into (`_helpers.tpl`).
    others: RefCell<BTreeMap<String, Vec<String>>>,
    values: ChartValues,
}

/// A template file and line, then the `include`/`template` calls it ran under.
type Chain = crate::helm::render::PrintedBy;

/// A template's real output, parsed, the resource's document in it, and the
/// template file and line behind each output line (with the calls it ran under).
struct Traced {
    output: Parsed,
    doc: usize,
    origins: Vec<Option<Chain>>,
}

impl Traced {
    /// The document of `text` that is the resource: its kind, and its name before
    /// any layer renamed it when the template printed more than one of that kind.
    fn find(text: &str, origins: &[Option<Chain>], r: &Resource) -> Option<Traced> {
        let output = Parsed::from_text(text)?;
        let kind_of = |d: &Value| d.get("kind").and_then(Value::as_str) == Some(r.kind());
        let name_of = |d: &Value| {
            d.pointer("/metadata/name")
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let names: Vec<&str> = std::iter::once(r.name())
            .chain(r.meta.prev_ids.iter().map(|id| id.name.as_str()))
            .collect();
        let kinds: Vec<usize> = (0..output.docs.len())
            .filter(|&i| kind_of(&output.docs[i]))
            .collect();
        let doc = match kinds.as_slice() {
            [one] => *one,
            _ => *kinds.iter().find(|&&i| {
                name_of(&output.docs[i]).is_some_and(|n| names.contains(&n.as_str()))
            })?,
        };
        Some(Traced {
            output,
            doc,
            origins: origins.to_vec(),
        })
    }

    /// The template file and line that printed the output line `line` (1-based),
    /// then the calls it ran under.
    fn origin(&self, line: u32) -> Option<Chain> {
        self.origins
            .get((line as usize).checked_sub(1)?)?
            .clone()
            .filter(|c| !c.is_empty())
    }
}

/// A template with its expressions replaced by `with` and its block-helper lines
/// blanked, so that it parses as YAML with the same line numbers.
fn skeleton(text: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let t = line.trim();
        // A line that is only template tags (block helpers, comments, an `include`
        // piped to `nindent`) prints nothing on that line itself, or whole lines of
        // its own: it is left out.
        let block_only = t.starts_with("{{") && t.ends_with("}}");
        if !block_only {
            let mut rest = line;
            while let Some(s) = rest.find("{{") {
                out.push_str(&rest[..s]);
                match rest[s..].find("}}") {
                    Some(e) => {
                        out.push_str(with);
                        rest = rest[s + e + 2..].trim_start_matches('}');
                    }
                    None => {
                        rest = "";
                    }
                }
            }
            out.push_str(rest);
        }
        out.push('\n');
    }
    out
}

/// Parses a skeleton. Both branches of an `if`/`else` are in it, so a key may come
/// twice: the later one (and what is under it) is blanked, keeping line numbers.
fn parse_skeleton(text: String) -> Option<Parsed> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..256 {
        let joined = lines.join("\n") + "\n";
        match crate::yaml::parse_stream(&joined) {
            Ok(_) => return Parsed::from_text(&joined),
            Err(e) if e.message.contains("already defined") && e.line > 0 => {
                let at = e.line as usize - 1;
                let indent = |l: &str| l.len() - l.trim_start().len();
                let own = indent(lines.get(at)?);
                lines[at].clear();
                let mut j = at + 1;
                while j < lines.len() && (lines[j].trim().is_empty() || indent(&lines[j]) > own) {
                    lines[j].clear();
                    j += 1;
                }
            }
            Err(_) => return None,
        }
    }
    None
}

impl<'a> Chart<'a> {
    pub fn load(ctx: &Ctx, cluster: &'a Cluster, app: &'a App, r: &Resource) -> Result<Chart<'a>> {
        let values = chart_values(ctx.fs, ctx.fleet, cluster, app, ctx.set)?;
        let template = r.origin.file.clone();
        let traced = match app.source {
            Source::Helm => ctx
                .helm_lines(cluster, app)
                .and_then(|all| all.get(&template))
                .and_then(|(text, origins)| Traced::find(text, origins, r)),
            _ => None,
        };
        let text = ctx
            .fs
            .read(&template)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default();
        // The skeleton is the fallback: not made when the trace answers.
        let skeleton = ["x", ""]
            .iter()
            .filter(|_| traced.is_none())
            .find_map(|with| parse_skeleton(skeleton(&text, with)))
            .map(|p| {
                let d = p
                    .docs
                    .iter()
                    .position(|d| d.get("kind").and_then(Value::as_str) == Some(r.kind()))
                    .unwrap_or(0);
                (p, d)
            });
        Ok(Chart {
            cluster,
            app,
            template,
            lines: text.lines().map(str::to_string).collect(),
            skeleton,
            traced,
            others: RefCell::new(BTreeMap::new()),
            values,
        })
    }

    /// The text of a line of a template file (1-based), empty when there is none.
    fn line_text(&self, ctx: &Ctx, file: &str, line: u32) -> String {
        let at = (line as usize).saturating_sub(1);
        if file == self.template {
            return self.lines.get(at).cloned().unwrap_or_default();
        }
        let mut others = self.others.borrow_mut();
        let lines = others.entry(file.to_string()).or_insert_with(|| {
            ctx.fs
                .read(file)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .map(|t| t.lines().map(str::to_string).collect())
                .unwrap_or_default()
        });
        lines.get(at).cloned().unwrap_or_default()
    }

    pub fn origin_step(&self, ctx: &Ctx) -> Step {
        let traced = self.traced.as_ref().and_then(|t| {
            let start = *t.output.starts.get(t.doc)?;
            t.origin(start)?.into_iter().next()
        });
        let (file, line) = traced.unwrap_or_else(|| {
            let line = self
                .skeleton
                .as_ref()
                .and_then(|(p, d)| p.starts.get(*d).copied())
                .unwrap_or(1);
            (self.template.clone(), line)
        });
        Step {
            layer: ctx.layer_of(&file),
            file,
            line,
            mechanism: "template".into(),
            key: None,
            text: None,
        }
    }

    /// The template file and line that printed a field, then the `include` and
    /// `template` calls it ran under: as traced (the line that printed the field's
    /// line of the output), else from the skeleton.
    fn template_line(&self, f: &Field) -> Option<Chain> {
        if let Some(t) = &self.traced {
            let doc = t.output.docs.get(t.doc)?;
            let ptr = resolve(doc, &f.segs)?;
            return t.origin(t.output.line(t.doc, &pointer(&ptr))?);
        }
        Some(vec![(self.template.clone(), self.skeleton_line(f)?)])
    }

    /// The line of a field's key in the template, or of the deepest part of its
    /// path the template spells out (then the line below it when that one holds
    /// the expression that printed the rest).
    fn skeleton_line(&self, f: &Field) -> Option<u32> {
        let (p, d) = self.skeleton.as_ref()?;
        let doc = p.docs.get(*d)?;
        let full = resolve(doc, &f.segs).unwrap_or_else(|| f.ptr.clone());
        for n in (1..=full.len()).rev() {
            let Some(line) = p.line(*d, &pointer(&full[..n])) else {
                continue;
            };
            if n == full.len() {
                return Some(line);
            }
            // The template spells out only a part of the path: it printed the rest
            // when that part holds an expression (a scalar in the skeleton), on its
            // line or the next; a mapping without the key did not print the field.
            let held = super::value_at(doc, &full[..n])?;
            if held.is_object() || held.is_array() {
                return None;
            }
            let text = self.lines.get(line as usize - 1)?;
            if !text.contains("{{")
                && self
                    .lines
                    .get(line as usize)
                    .is_some_and(|t| t.contains("{{"))
            {
                return Some(line + 1);
            }
            return Some(line);
        }
        None
    }

    /// Whether the field was printed by an expression (a value, not template text).
    pub fn prints_expression(&self, ctx: &Ctx, f: &Field) -> bool {
        self.template_line(f)
            .is_some_and(|c| self.line_text(ctx, &c[0].0, c[0].1).contains("{{"))
    }

    /// The steps for one field: the files that set each value the template line
    /// printed (lowest first), then the template line.
    pub fn steps(&self, ctx: &Ctx, f: &Field) -> Vec<Step> {
        let Some(chain) = self.template_line(f) else {
            return Vec::new();
        };
        let (file, line) = chain[0].clone();
        // The values the line reads; when it prints an expression that reads none
        // (a helper printing `$image.tag`), those its nearest caller handed it
        // (`tuple .Values.image ...`).
        let mut refs: Vec<Vec<String>> = Vec::new();
        for (f, l) in &chain {
            let text = self.line_text(ctx, f, *l);
            refs = references(&text);
            if !refs.is_empty() || !text.contains("{{") {
                break;
            }
        }
        let mut values: Vec<(usize, Step)> = Vec::new();
        let mut others = Vec::new();
        for r in refs {
            match r.first().map(String::as_str) {
                // An empty value prints nothing: the field came from elsewhere on the
                // line (`default .Release.Namespace .Values.namespaceOverride`).
                Some("values") if r.len() > 1 && !self.empty_unlike(&r[1..], f) => {
                    values.extend(self.value_steps(ctx, &r[1..]))
                }
                Some("cluster") if r.len() > 1 => {
                    let ptr = r[1..]
                        .iter()
                        .map(|k| Ptr::Key(k.clone()))
                        .collect::<Vec<_>>();
                    if let Some(l) = ctx
                        .files
                        .get(&self.cluster.file)
                        .and_then(|p| p.line(0, &pointer(&ptr)))
                    {
                        others.push(Step {
                            file: self.cluster.file.clone(),
                            line: l,
                            layer: "cluster".into(),
                            mechanism: "cluster values".into(),
                            key: Some(r[1..].join(".")),
                            text: None,
                        });
                    }
                }
                Some("app") if r.len() > 1 => {
                    let ptr = r[1..]
                        .iter()
                        .map(|k| Ptr::Key(k.clone()))
                        .collect::<Vec<_>>();
                    if let Some(l) = ctx
                        .files
                        .get(&self.app.file)
                        .and_then(|p| p.line(0, &pointer(&ptr)))
                    {
                        others.push(Step {
                            file: self.app.file.clone(),
                            line: l,
                            layer: "app".into(),
                            mechanism: "app".into(),
                            key: Some(r[1..].join(".")),
                            text: None,
                        });
                    }
                }
                _ => {}
            }
        }
        // Lowest precedence first, whatever the order of the references on the line.
        values.sort_by_key(|(rank, _)| *rank);
        let mut out = others;
        out.extend(values.into_iter().map(|(_, s)| s));
        out.push(Step {
            layer: ctx.layer_of(&file),
            file,
            line,
            mechanism: "template".into(),
            key: None,
            text: None,
        });
        out
    }

    /// Whether the values key is empty (`""`, null) while the field is not.
    fn empty_unlike(&self, keys: &[String], f: &Field) -> bool {
        let v = keys
            .iter()
            .try_fold(&self.values.merged, |v, k| v.get(k.as_str()));
        matches!(v, Some(Value::Null) | None) && !f.leaf.value.is_null()
            || v.is_some_and(|v| v.as_str() == Some("")) && f.leaf.value.as_str() != Some("")
    }

    /// Every file that sets the values key `keys`, ranked by precedence.
    fn value_steps(&self, ctx: &Ctx, keys: &[String]) -> Vec<(usize, Step)> {
        let mut out = Vec::new();
        let ptr = keys.iter().map(|k| Ptr::Key(k.clone())).collect::<Vec<_>>();
        for (rank, s) in self.values.sources.iter().enumerate() {
            let Ok(lines) = crate::yaml::key_lines(&s.text) else {
                continue;
            };
            let Some(line) = lines
                .iter()
                .find_map(|l| l.get(&format!("{}{}", s.prefix, pointer(&ptr))))
            else {
                continue;
            };
            out.push((
                rank,
                Step {
                    file: s.file.clone(),
                    line: *line,
                    layer: ctx.layer_of(&s.file),
                    mechanism: "values".into(),
                    key: Some(keys.join(".")),
                    text: None,
                },
            ));
        }
        let on_cli = ctx.set.iter().any(|a| {
            a.path.len() == keys.len()
                && a.path
                    .iter()
                    .zip(keys)
                    .all(|(s, k)| matches!(s, SetSegment::Key(x) if x == k))
        });
        if on_cli {
            out.push((
                usize::MAX,
                Step {
                    file: "--set".into(),
                    line: 0,
                    layer: "--set".into(),
                    mechanism: "set".into(),
                    key: Some(keys.join(".")),
                    text: None,
                },
            ));
        }
        out
    }
}

/// The context paths the expressions of a template line print (`values.image.tag`,
/// `cluster.values.storeId`, `@root.values.x` as `values.x`), in order.
fn references(line: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(s) = rest.find("{{") {
        let Some(e) = rest[s..].find("}}") else { break };
        let expr = &rest[s + 2..s + e];
        for word in expr.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
            let word = word
                .trim_start_matches(['~', '-'])
                .trim_start_matches("@root.");
            let word = word.strip_prefix("this.").unwrap_or(word);
            // Helm: `.Values.x` and `$.Values.x` are the values.
            let word = word.trim_start_matches('$');
            let helm = word.strip_prefix(".Values.").map(|r| format!("values.{r}"));
            let word = helm.as_deref().unwrap_or(word);
            let parts: Vec<String> = word.split('.').map(str::to_string).collect();
            if matches!(parts[0].as_str(), "values" | "cluster" | "app")
                && parts.iter().all(|p| {
                    !p.is_empty()
                        && p.chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
                })
            {
                out.push(parts);
            }
        }
        rest = &rest[s + e + 2..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_the_context_paths_a_line_prints() {
        assert_eq!(
            references("image: {{values.image.repository}}:{{ @root.values.image.tag }}"),
            vec![
                vec!["values", "image", "repository"],
                vec!["values", "image", "tag"]
            ]
        );
        assert_eq!(
            references("value: {{quote cluster.values.storeId}} {{default \"64Mi\" values.resources.memory}}"),
            vec![
                vec!["cluster", "values", "storeId"],
                vec!["values", "resources", "memory"]
            ]
        );
    }

    #[test]
    fn a_skeleton_keeps_line_numbers_and_drops_block_lines() {
        let t = "a:\n  {{#if x}}\n  b: {{y}}\n  {{/if}}\nc: |{{nindent 2 z}}\n";
        assert_eq!(skeleton(t, "x"), "a:\n\n  b: x\n\nc: |x\n");
        let go = "{{- if .Values.on }}\na: {{ .Values.a }}\n{{- end }}\n";
        assert_eq!(skeleton(go, "x"), "\na: x\n\n");
        assert_eq!(
            references("a: {{ .Values.a.b | quote }}"),
            vec![vec!["values", "a", "b"]]
        );
    }
}
