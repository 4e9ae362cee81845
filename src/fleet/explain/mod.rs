//! `explain`: which file and line set each field of one rendered resource, and the
//! chain of files before it (base, layers, chart values, templates).
//!
//! The engine records what each transformer and patch changed (`Resource::edits`,
//! field paths and the file that asked); this module renders the one unit asked
//! about with that bookkeeping on and turns it into file:line steps (`locate.rs`
//! finds the line in each file, `chart.rs` the values key and template line).

mod chart;
pub mod diff;
mod locate;

use crate::compare::flatten::{self, Leaf};
use crate::diff::path::{parse_pattern, PatSeg, Seg};
use crate::error::{Error, ErrorKind, Result};
use crate::fleet::render::{self, RenderOptions};
use crate::fleet::values::SetAssignment;
use crate::fleet::{App, Cluster, Fleet, Source};
use crate::kustomize::build;
use crate::kustomize::fs::FileSystem;
use crate::kustomize::resource::Resource;
use serde::Serialize;
use serde_json::{Map, Value};

/// What to explain: a (cluster, app) pair of the fleet, or a target directory.
pub enum Unit<'f> {
    Pair(&'f Cluster, &'f App),
    Target(String),
}

/// The resource (and optionally the field) asked about.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// The kind, any case (`Deployment`, `deployment`).
    pub kind: String,
    /// The name, or the stem of a hash-suffixed name (`web-config`).
    pub name: String,
    pub namespace: Option<String>,
    /// A dotted field path as `compare` prints it; `None` blames every touched field.
    pub field: Option<String>,
}

/// The answer; its JSON form is `explain --format json` (stable: fields are only added).
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    /// `null` in targets mode.
    pub cluster: Option<String>,
    /// The app, or the target directory in targets mode.
    pub app: String,
    pub resource: ResourceRef,
    /// Where the resource was loaded from (or generated, or printed by a template).
    pub origin: Step,
    pub fields: Vec<FieldBlame>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ResourceRef {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    /// Empty for cluster-scoped resources.
    pub namespace: String,
    pub name: String,
}

/// One field: its final value, the step that set it, and every step before it.
#[derive(Clone, Debug, Serialize)]
pub struct FieldBlame {
    /// As `compare` prints it: `spec.template.spec.containers[name=web].image`.
    pub path: String,
    /// `null` when hidden (a Secret's data, the last-applied annotation).
    pub value: Value,
    pub hidden: bool,
    /// The step that gave the field its final value.
    pub set_by: Step,
    /// Every step that set or changed it, lowest first (`set_by` is among them).
    pub chain: Vec<Step>,
}

/// One file that set or changed a field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Repository-relative; `--set` for a command-line value.
    pub file: String,
    /// 1-based; 0 when no line applies (a `--set`, a name computed at the root).
    pub line: u32,
    /// `base`, `app`, `<layer> <value>` (`env prod`), `cluster`, `--set`, or in
    /// targets mode the kustomization's folder.
    pub layer: String,
    /// `resource` (the file it was loaded from), `template`, `values`, `cluster values`,
    /// `generator`, or the transformer: `patch`, `images`, `replicas`, `namespace`,
    /// `labels`, `commonLabels`, `commonAnnotations`, `namePrefix`, `nameSuffix`,
    /// `replacements`, `configMapGenerator`, `secretGenerator`, `hashSuffix`,
    /// `nameReference`.
    pub mechanism: String,
    /// For `values` and `cluster values`: the key (`image.tag`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// What the file says there: its line, trimmed (absent for hidden values and
    /// where there is no line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            f.write_str(&self.file)
        } else {
            write!(f, "{}:{}", self.file, self.line)
        }
    }
}

/// One step into a concrete document: a mapping key or a list position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ptr {
    Key(String),
    Index(usize),
}

/// The JSON pointer of a path (`/spec/containers/0/image`), as `yaml::key_lines` keys it.
pub(crate) fn pointer(path: &[Ptr]) -> String {
    let mut s = String::new();
    for p in path {
        s.push('/');
        match p {
            Ptr::Key(k) => s.push_str(&k.replace('~', "~0").replace('/', "~1")),
            Ptr::Index(i) => s.push_str(&i.to_string()),
        }
    }
    s
}

/// Whether an edit of `edit` touched the field at `field` (engine spelling): the
/// same field, a map or list above it, or a part of it (an item of a list of scalars).
pub(crate) fn covers(edit: &str, field: &str) -> bool {
    let under = |a: &str, b: &str| {
        a.strip_prefix(b)
            .is_some_and(|r| r.is_empty() || r.starts_with('.') || r.starts_with('['))
    };
    under(field, edit) || under(edit, field)
}

/// Follows a parsed path through a document, items by position or by `name`.
pub(crate) fn resolve(doc: &Value, segs: &[PatSeg]) -> Option<Vec<Ptr>> {
    let mut out = Vec::with_capacity(segs.len());
    let mut cur = doc;
    for s in segs {
        match (s, cur) {
            (PatSeg::Key(k), Value::Object(m)) => {
                cur = m.get(k)?;
                out.push(Ptr::Key(k.clone()));
            }
            (PatSeg::Index(i), Value::Array(a)) => {
                cur = a.get(*i)?;
                out.push(Ptr::Index(*i));
            }
            (PatSeg::Named(n), Value::Array(a)) => {
                let i = a
                    .iter()
                    .position(|v| v.get("name").and_then(Value::as_str) == Some(n.as_str()))?;
                cur = &a[i];
                out.push(Ptr::Index(i));
            }
            _ => return None,
        }
    }
    Some(out)
}

/// A leaf of the resource with its paths.
pub(crate) struct Field<'a> {
    pub display: String,
    pub leaf: &'a Leaf,
    pub segs: Vec<PatSeg>,
    pub ptr: Vec<Ptr>,
}

/// What locating lines needs to know about the unit.
pub(crate) struct Ctx<'a> {
    pub fs: &'a dyn FileSystem,
    pub fleet: &'a Fleet,
    pub unit: &'a Unit<'a>,
    pub set: &'a [SetAssignment],
    pub files: locate::Files<'a>,
    /// A `source: helm` unit's traced template output, rendered once when first asked.
    pub helm: std::cell::OnceCell<Option<render::HelmLines>>,
}

impl Ctx<'_> {
    /// The unit's chart rendered with the template trace on (`None` when it does
    /// not render).
    pub fn helm_lines(&self, cluster: &Cluster, app: &App) -> Option<&render::HelmLines> {
        self.helm
            .get_or_init(|| render::helm_lines(self.fs, self.fleet, cluster, app, self.set).ok())
            .as_ref()
    }

    /// The layer a file belongs to, as the text and JSON name it.
    pub fn layer_of(&self, file: &str) -> String {
        match self.unit {
            Unit::Pair(c, a) => {
                if file == a.file {
                    return "app".into();
                }
                if file == c.file {
                    return "cluster".into();
                }
                if file == "--set" {
                    return "--set".into();
                }
                if let Some(rest) = file.strip_prefix(&format!("{}/", a.dir)) {
                    let (first, tail) = rest.split_once('/').unwrap_or((rest, ""));
                    if first == "base" {
                        return "base".into();
                    }
                    if self.fleet.project.layers.iter().any(|l| l == first) && !tail.contains('/') {
                        let stem = tail.rsplit_once('.').map_or(tail, |(s, _)| s);
                        return format!("{first} {stem}");
                    }
                }
                parent(file)
            }
            Unit::Target(_) => parent(file),
        }
    }
}

fn parent(file: &str) -> String {
    file.rsplit_once('/').map_or(".", |(d, _)| d).to_string()
}

/// Renders the one unit and explains one resource of it (one field, or every field
/// a layer or transformer touched).
pub fn explain(
    fs: &dyn FileSystem,
    fleet: &Fleet,
    unit: &Unit,
    query: &Query,
    set: &[SetAssignment],
) -> Result<Explanation> {
    let resources = render_unit(fs, fleet, unit, set)?;
    let r = find_resource(&resources, query, unit)?;
    let ctx = Ctx {
        fs,
        fleet,
        unit,
        set,
        files: locate::Files::new(fs, unit),
        helm: Default::default(),
    };
    let flat = flatten::flatten(&r.doc);
    let doc = Value::Object(r.doc.clone());
    let fields = fields_of(&flat, &doc);
    let chart = match unit {
        Unit::Pair(c, a)
            if matches!(a.source, Source::Chart | Source::Helm)
                && r.origin.generated_by.is_none() =>
        {
            Some(chart::Chart::load(&ctx, c, a, r)?)
        }
        _ => None,
    };
    let selected: Vec<&Field> = match &query.field {
        Some(f) => select_field(&fields, f, &doc, r)?,
        None => fields
            .iter()
            .filter(|f| {
                r.origin.generated_by.is_some()
                    || !edits_of(&ctx, r, f).is_empty()
                    || chart.as_ref().is_some_and(|c| c.prints_expression(&ctx, f))
            })
            .collect(),
    };
    let secret = crate::diff::redact::is_secret(&r.gvk().group, r.kind());
    let mut out = Vec::new();
    for f in selected {
        let chain = chain_of(&ctx, r, f, chart.as_ref());
        let set_by = set_by(&chain);
        let segs: Vec<Seg> = f
            .ptr
            .iter()
            .map(|p| match p {
                Ptr::Key(k) => Seg::Key(k.clone()),
                Ptr::Index(i) => Seg::Index(*i),
            })
            .collect();
        let hidden = crate::diff::redact::is_secret_path(secret, &segs);
        let (mut chain, mut set_by) = (chain, set_by);
        // A Secret's lines are never quoted, whichever field is asked about.
        if !hidden && !secret {
            for step in chain.iter_mut().chain(std::iter::once(&mut set_by)) {
                step.text = ctx.files.line_text(&step.file, step.line);
            }
        }
        out.push(FieldBlame {
            path: f.display.clone(),
            value: if hidden {
                Value::Null
            } else {
                f.leaf.value.clone()
            },
            hidden,
            set_by,
            chain,
        });
    }
    let id = r.cur_id();
    Ok(Explanation {
        cluster: match unit {
            Unit::Pair(c, _) => Some(c.name.clone()),
            Unit::Target(_) => None,
        },
        app: match unit {
            Unit::Pair(_, a) => a.name.clone(),
            Unit::Target(t) => t.clone(),
        },
        resource: ResourceRef {
            api_version: r.api_version().to_string(),
            kind: r.kind().to_string(),
            namespace: id.effective_namespace().to_string(),
            name: r.name().to_string(),
        },
        origin: origin_step(&ctx, r, chart.as_ref()),
        fields: out,
    })
}

/// The one unit, rendered with edit tracking on.
fn render_unit(
    fs: &dyn FileSystem,
    fleet: &Fleet,
    unit: &Unit,
    set: &[SetAssignment],
) -> Result<Vec<Resource>> {
    Ok(match unit {
        Unit::Pair(c, a) => {
            let opts = RenderOptions {
                keep_resources: true,
                set: set.to_vec(),
                ..Default::default()
            };
            render::render_pair(fs, fleet, c, a, &opts, &mut Vec::new())?
        }
        Unit::Target(t) => build::build_with(fs, t, true)?.resources,
    })
}

/// The leaves of a document with their parsed and concrete paths.
fn fields_of<'a>(
    flat: &'a std::collections::BTreeMap<String, Leaf>,
    doc: &Value,
) -> Vec<Field<'a>> {
    flat.iter()
        .filter_map(|(display, leaf)| {
            let segs = parse_pattern(display).ok()?;
            let ptr = resolve(doc, &segs)?;
            Some(Field {
                display: display.clone(),
                leaf,
                segs,
                ptr,
            })
        })
        .collect()
}

/// Fields of one resource to blame, for `diff`: paths as the diff spells them.
#[derive(Clone, Debug)]
pub struct Ask {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub paths: Vec<Vec<Seg>>,
}

/// The step that set each asked field's value now (`None` where it cannot be told:
/// a removed field, a resource not found). Renders the unit once, with `set`.
pub fn blame_paths(
    fs: &dyn FileSystem,
    fleet: &Fleet,
    unit: &Unit,
    asks: &[Ask],
    set: &[SetAssignment],
) -> Result<Vec<Vec<Option<Step>>>> {
    let resources = render_unit(fs, fleet, unit, set)?;
    let ctx = Ctx {
        fs,
        fleet,
        unit,
        set,
        files: locate::Files::new(fs, unit),
        helm: Default::default(),
    };
    let mut out = Vec::new();
    for ask in asks {
        let query = Query {
            kind: ask.kind.clone(),
            name: ask.name.clone(),
            namespace: ask.namespace.clone(),
            field: None,
        };
        let Ok(r) = find_resource(&resources, &query, unit) else {
            out.push(vec![None; ask.paths.len()]);
            continue;
        };
        let flat = flatten::flatten(&r.doc);
        let doc = Value::Object(r.doc.clone());
        let fields = fields_of(&flat, &doc);
        let chart = match unit {
            Unit::Pair(c, a)
                if matches!(a.source, Source::Chart | Source::Helm)
                    && r.origin.generated_by.is_none() =>
            {
                chart::Chart::load(&ctx, c, a, r).ok()
            }
            _ => None,
        };
        let steps = ask
            .paths
            .iter()
            .map(|path| {
                let segs: Vec<PatSeg> = path
                    .iter()
                    .map(|s| match s {
                        Seg::Key(k) => PatSeg::Key(k.clone()),
                        Seg::Index(i) => PatSeg::Index(*i),
                        Seg::Named(n) => PatSeg::Named(n.clone()),
                    })
                    .collect();
                let ptr = resolve(&doc, &segs)?;
                let f = fields
                    .iter()
                    .find(|f| f.ptr.starts_with(&ptr) || ptr.starts_with(&f.ptr))?;
                Some(set_by(&chain_of(&ctx, r, f, chart.as_ref())))
            })
            .collect();
        out.push(steps);
    }
    Ok(out)
}

/// The step that gave the final value: the last transformer or patch; for a chart
/// field no layer changed, the values key that won (the template only printed it).
fn set_by(chain: &[Step]) -> Step {
    let last = chain.last().cloned().unwrap_or_else(|| Step {
        file: String::new(),
        line: 0,
        layer: String::new(),
        mechanism: String::new(),
        key: None,
        text: None,
    });
    if last.mechanism == "template" {
        if let Some(v) = chain.iter().rev().find(|s| s.mechanism != "template") {
            return v.clone();
        }
    }
    last
}

fn origin_step(ctx: &Ctx, r: &Resource, chart: Option<&chart::Chart>) -> Step {
    if let Some(k) = &r.origin.generated_by {
        return Step {
            file: k.clone(),
            line: ctx.files.generator_line(k, r, None),
            layer: ctx.layer_of(k),
            mechanism: "generator".into(),
            key: None,
            text: None,
        };
    }
    if let Some(c) = chart {
        return c.origin_step(ctx);
    }
    Step {
        file: r.origin.file.clone(),
        line: r.origin.line,
        layer: ctx.layer_of(&r.origin.file),
        mechanism: "resource".into(),
        key: None,
        text: None,
    }
}

/// The edits that set or changed one field, in order.
fn edits_of<'r>(
    ctx: &Ctx,
    r: &'r Resource,
    f: &Field,
) -> Vec<&'r crate::kustomize::resource::Edit> {
    r.edits
        .iter()
        .filter(|e| e.paths.iter().any(|p| covers(p, &f.leaf.engine_path)))
        .filter(|e| ctx.files.touches(e, f))
        .collect()
}

/// Every step that set or changed one field, lowest first.
fn chain_of(ctx: &Ctx, r: &Resource, f: &Field, chart: Option<&chart::Chart>) -> Vec<Step> {
    let mut chain = Vec::new();
    let edited = edits_of(ctx, r, f);
    if let Some(k) = &r.origin.generated_by {
        chain.push(Step {
            file: k.clone(),
            line: ctx.files.generator_line(k, r, Some(f)),
            layer: ctx.layer_of(k),
            mechanism: "generator".into(),
            key: None,
            text: None,
        });
    } else if let Some(c) = chart {
        chain.extend(c.steps(ctx, f));
    } else {
        let line = ctx.files.resource_line(&r.origin.file, r.origin.line, f);
        if line.is_some() || edited.is_empty() {
            chain.push(Step {
                file: r.origin.file.clone(),
                line: line.unwrap_or(r.origin.line),
                layer: ctx.layer_of(&r.origin.file),
                mechanism: "resource".into(),
                key: None,
                text: None,
            });
        }
    }
    for e in edited {
        chain.push(Step {
            file: e.source.clone(),
            line: ctx.files.edit_line(e, r, f),
            layer: ctx.layer_of(&e.source),
            mechanism: e.by.to_string(),
            key: None,
            text: None,
        });
    }
    if chain.is_empty() {
        chain.push(origin_step(ctx, r, chart));
    }
    chain
}

/// The fields a FIELD argument names: one leaf, the leaves under a map or list, or
/// the list of scalars an item belongs to.
fn select_field<'f>(
    fields: &'f [Field<'f>],
    field: &str,
    doc: &Value,
    r: &Resource,
) -> Result<Vec<&'f Field<'f>>> {
    let unknown = |why: String| {
        let mut names: Vec<&str> = fields.iter().map(|f| f.display.as_str()).collect();
        names.truncate(60);
        Error::new(
            ErrorKind::Missing,
            "",
            format!(
                "{why}; the fields of {} {} are: {}",
                r.kind(),
                r.name(),
                names.join(", ")
            ),
        )
    };
    let segs = parse_pattern(field).map_err(|e| Error::new(ErrorKind::Invalid, "", e))?;
    if segs
        .iter()
        .any(|s| matches!(s, PatSeg::AnyKey | PatSeg::AnyItem))
    {
        return Err(Error::new(
            ErrorKind::Invalid,
            "",
            format!("'{field}': explain takes one field, not a pattern; drop the `*`"),
        ));
    }
    let ptr = resolve(doc, &segs).ok_or_else(|| unknown(format!("no field {field}")))?;
    let picked: Vec<&Field> = fields
        .iter()
        .filter(|f| f.ptr.starts_with(&ptr) || ptr.starts_with(&f.ptr))
        .collect();
    if picked.is_empty() {
        return Err(unknown(format!("no field {field}")));
    }
    Ok(picked)
}

/// The name a resource had before its hash suffix, when it has one.
fn stem(r: &Resource) -> Option<&str> {
    if !r.edits.iter().any(|e| e.by == "hashSuffix") {
        return None;
    }
    r.meta.prev_ids.last().map(|id| id.name.as_str())
}

fn find_resource<'r>(resources: &'r [Resource], q: &Query, unit: &Unit) -> Result<&'r Resource> {
    let matches: Vec<&Resource> = resources
        .iter()
        .filter(|r| r.kind().eq_ignore_ascii_case(&q.kind))
        .filter(|r| r.name() == q.name || stem(r) == Some(q.name.as_str()))
        .filter(|r| {
            q.namespace
                .as_deref()
                .is_none_or(|ns| r.cur_id().effective_namespace() == ns)
        })
        .collect();
    let label = |r: &Resource| {
        let id = r.cur_id();
        match id.effective_namespace() {
            "" => format!("{}/{}", r.kind(), r.name()),
            ns => format!("{}/{} (-n {ns})", r.kind(), r.name()),
        }
    };
    let unit_name = match unit {
        Unit::Pair(c, a) => format!("app {} on cluster {}", a.name, c.name),
        Unit::Target(t) => format!("target {t}"),
    };
    match matches.as_slice() {
        [one] => Ok(one),
        [] => {
            let all: Vec<String> = resources.iter().map(label).collect();
            Err(Error::new(
                ErrorKind::Missing,
                "",
                format!(
                    "{unit_name} renders no {}/{}{}; it renders: {}",
                    q.kind,
                    q.name,
                    q.namespace
                        .as_deref()
                        .map(|n| format!(" in namespace {n}"))
                        .unwrap_or_default(),
                    all.join(", ")
                ),
            ))
        }
        many => {
            let all: Vec<String> = many.iter().map(|r| label(r)).collect();
            Err(Error::new(
                ErrorKind::Conflict,
                "",
                format!(
                    "{}/{} names {} resources of {unit_name}: {}; pick one with -n NAMESPACE",
                    q.kind,
                    q.name,
                    many.len(),
                    all.join(", ")
                ),
            ))
        }
    }
}

/// The value of a document at a path.
pub(crate) fn value_at<'v>(doc: &'v Value, ptr: &[Ptr]) -> Option<&'v Value> {
    let mut cur = doc;
    for p in ptr {
        cur = match (p, cur) {
            (Ptr::Key(k), Value::Object(m)) => m.get(k)?,
            (Ptr::Index(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// A mapping's string field.
pub(crate) fn str_field<'v>(m: &'v Map<String, Value>, k: &str) -> Option<&'v str> {
    m.get(k).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::fs::MemFs;
    use serde_json::json;

    #[test]
    fn an_edit_covers_its_field_the_maps_above_and_the_items_below() {
        assert!(covers("spec.replicas", "spec.replicas"));
        assert!(covers(
            "spec.template",
            "spec.template.spec.containers[0].image"
        ));
        assert!(
            covers("spec.args[1]", "spec.args"),
            "an item of a list kept whole"
        );
        assert!(!covers("spec.rep", "spec.replicas"));
        assert!(!covers("spec.replicas", "spec.template"));
    }

    #[test]
    fn paths_resolve_items_by_name_or_position() {
        let doc = json!({"spec": {"containers": [{"name": "a"}, {"name": "b", "image": "x"}]}});
        let segs = parse_pattern("spec.containers[name=b].image").unwrap();
        let ptr = resolve(&doc, &segs).unwrap();
        assert_eq!(pointer(&ptr), "/spec/containers/1/image");
        assert_eq!(value_at(&doc, &ptr), Some(&json!("x")));
        assert!(resolve(&doc, &parse_pattern("spec.containers[name=c]").unwrap()).is_none());
        let labels = json!({"metadata": {"labels": {"a.b/c": "v"}}});
        let ptr = resolve(
            &labels,
            &parse_pattern("metadata.labels[\"a.b/c\"]").unwrap(),
        )
        .unwrap();
        assert_eq!(pointer(&ptr), "/metadata/labels/a.b~1c");
    }

    #[test]
    fn a_layer_replicas_entry_and_the_base_line_in_memory() {
        let fs = MemFs::from_files([
            ("strata.yaml", "output: rendered\nlayers: [env]\n"),
            ("clusters/p.yaml", "name: p\nenv: prod\n"),
            ("apps/web/app.yaml", "name: web\n"),
            ("apps/web/base/kustomization.yaml", "resources: [d.yaml]\n"),
            (
                "apps/web/base/d.yaml",
                "# web\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n",
            ),
            ("apps/web/env/prod.yaml", "# prod\n\nreplicas:\n  - name: web\n    count: 5\n"),
        ]);
        let fleet = crate::fleet::load(&fs).unwrap();
        let unit = Unit::Pair(&fleet.clusters[0], &fleet.apps[0]);
        let q = Query {
            kind: "deployment".into(),
            name: "web".into(),
            namespace: None,
            field: Some("spec.replicas".into()),
        };
        let e = explain(&fs, &fleet, &unit, &q, &[]).unwrap();
        let f = &e.fields[0];
        assert_eq!(f.value, json!(5));
        let steps: Vec<(String, u32, &str)> = f
            .chain
            .iter()
            .map(|s| (s.file.clone(), s.line, s.mechanism.as_str()))
            .collect();
        assert_eq!(
            steps,
            vec![
                ("apps/web/base/d.yaml".to_string(), 7, "resource"),
                ("apps/web/env/prod.yaml".to_string(), 5, "replicas"),
            ]
        );
        assert_eq!(f.set_by.to_string(), "apps/web/env/prod.yaml:5");
    }
}
