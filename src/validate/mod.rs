//! `strata validate`: Kubernetes and CRD schemas, deprecated APIs and policies over
//! rendered resources, as findings that point at a file and line.
//!
//! Pure: the command hands in documents (with the hydrated file each lives in and,
//! for the in-memory fleet, the engine's `Resource` with its provenance) and gets
//! findings back; it does the reading, printing and exit code.

pub mod apis;
pub mod policy;
pub mod report;
pub mod schema;

use crate::fleet::Cluster;
use crate::kustomize::resource::{Gvk, Resource};
use rayon::prelude::*;
use schema::{CrdSchema, KubeSchemas, ProblemKind, Seg};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// How bad a finding is. `error` fails the run (exit code 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Every rule id strata reports, with a one-line description (SARIF `rules`).
pub fn rules() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = [
        ("yaml/syntax", "the file is not valid YAML"),
        (
            "schema/unknown-field",
            "a field the schema does not have (a misspelling?)",
        ),
        ("schema/type", "a value of the wrong type"),
        ("schema/required", "a required field is missing"),
        ("schema/enum", "a value outside the allowed set"),
        (
            "schema/constraint",
            "a value breaks a pattern, bound or length of a CRD schema",
        ),
        (
            "schema/unknown-api",
            "an apiVersion the Kubernetes version does not serve for this kind",
        ),
        (
            "crd/no-schema",
            "a kind with no schema: no built-in kind and no CRD found",
        ),
        (
            "api/deprecated",
            "an API version deprecated in the target Kubernetes version",
        ),
        (
            "api/removed",
            "an API version the target Kubernetes version no longer serves",
        ),
        (
            "values/schema",
            "chart values that do not match values.schema.json",
        ),
        (
            "helm/non-deterministic",
            "a Helm chart template calls a function whose output Helm draws at random (strata seeds it)",
        ),
        ("waiver/no-reason", "a waiver annotation without a reason"),
        (
            "waiver/unknown-rule",
            "a waiver annotation naming no known rule",
        ),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    for (id, what, _) in policy::POLICIES {
        out.push((format!("policy/{id}"), what.to_string()));
    }
    out
}

/// Where a finding's value came from: a base or layer file of the fleet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceRef {
    pub file: String,
    /// 1-based; 0 when unknown.
    pub line: u32,
}

/// One finding.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    /// Empty when unknown (a plain folder).
    pub cluster: String,
    pub app: String,
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// Inside the object; empty for the object itself.
    pub path: Vec<Seg>,
    /// Repository-relative file of the hydrated tree (or of the checked folder).
    pub file: String,
    /// 1-based line in `file` (filled by [`locate`]); 0 when unknown.
    pub line: u32,
    /// The document's index in `file`, for [`locate`].
    pub doc_index: usize,
    pub source: Option<SourceRef>,
}

impl Finding {
    /// `spec.template.spec.containers[0].image`.
    pub fn dotted_path(&self) -> String {
        dotted(&self.path)
    }

    /// `Deployment/web` or `Deployment/ns/web`.
    pub fn resource(&self) -> String {
        match (self.kind.is_empty(), self.namespace.is_empty()) {
            (true, _) => String::new(),
            (false, true) => format!("{}/{}", self.kind, self.name),
            (false, false) => format!("{}/{} -n {}", self.kind, self.name, self.namespace),
        }
    }
}

/// A path as dotted text (`a.b[0].c`).
pub fn dotted(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// A path as a JSON pointer (`/a/b/0/c`), as [`crate::yaml::key_lines`] keys it.
pub fn pointer(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        s.push('/');
        match seg {
            Seg::Key(k) => s.push_str(&k.replace('~', "~0").replace('/', "~1")),
            Seg::Index(i) => s.push_str(&i.to_string()),
        }
    }
    s
}

/// One (cluster, app) or one folder: what policies see of where a resource goes.
#[derive(Clone, Debug, Default)]
pub struct UnitInfo {
    pub cluster: Option<Cluster>,
    pub cluster_name: String,
    pub app: String,
}

/// One document to check.
pub struct Doc<'a> {
    pub unit: usize,
    /// Repository-relative file.
    pub file: String,
    pub doc_index: usize,
    pub doc: &'a Map<String, Value>,
    /// The engine's resource, with origin and edits (in-memory fleet only).
    pub resource: Option<&'a Resource>,
}

/// CRD schemas by `group/version/Kind`: the user's, compiled as they are added, and
/// the bundled controller CRDs, compiled on first use (most runs meet few of them).
#[derive(Default)]
pub struct Crds {
    by_gvk: HashMap<String, CrdSchema>,
    bundled: Option<Bundle>,
}

/// The bundled controller CRDs for one Kubernetes version: decoded when a resource of
/// a controller's group first needs one, each version compiled on first use.
struct Bundle {
    kube: &'static KubeSchemas,
    versions: std::sync::OnceLock<HashMap<String, Bundled>>,
}

/// One version of a bundled CRD: its schema, compiled when a resource needs it.
struct Bundled {
    schema: &'static Value,
    cluster_scoped: bool,
    compiled: std::sync::OnceLock<CrdSchema>,
}

/// The API groups of the bundled CRDs.
const CONTROLLER_GROUPS: [&str; 5] = [
    "argoproj.io",
    "kustomize.toolkit.fluxcd.io",
    "source.toolkit.fluxcd.io",
    "helm.toolkit.fluxcd.io",
    "kappctrl.k14s.io",
];

impl std::fmt::Debug for Crds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crds")
            .field("user", &self.by_gvk.len())
            .field("bundled", &self.bundled.is_some())
            .finish()
    }
}

/// The CRDs of the GitOps controllers strata emits objects for (Argo CD, Flux,
/// kapp-controller), from `scripts/gen-controller-schemas.py`.
static CONTROLLER_CRDS: &[u8] = include_bytes!("../../schemas/crds/controllers.json.gz");

/// Where the bundled controller CRDs are named in messages.
pub const CONTROLLER_CRDS_FILE: &str = "schemas/crds/controllers.json.gz";

/// The bundled CRD documents, decoded once.
fn controller_crds() -> &'static [Value] {
    static DECODED: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    DECODED.get_or_init(|| {
        let mut json = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(CONTROLLER_CRDS),
            &mut json,
        )
        .ok()
        .and_then(|_| serde_json::from_slice::<Value>(&json).ok())
        .and_then(|b| b.get("crds").and_then(Value::as_array).cloned())
        .unwrap_or_default()
    })
}

/// One version of a CRD document: `group/version/Kind`, its schema, whether the kind
/// is cluster-scoped.
type CrdVersion<'a> = (String, Option<&'a Value>, bool);

/// The versions a CRD document defines (apiextensions.k8s.io v1 or v1beta1), or what
/// makes it unusable.
fn crd_versions(doc: &Map<String, Value>) -> Result<Vec<CrdVersion<'_>>, String> {
    let spec = doc
        .get("spec")
        .ok_or("a CustomResourceDefinition needs `spec`")?;
    let group = spec
        .get("group")
        .and_then(Value::as_str)
        .ok_or("a CRD needs `spec.group`")?;
    let kind = spec
        .get("names")
        .and_then(|n| n.get("kind"))
        .and_then(Value::as_str)
        .ok_or("a CRD needs `spec.names.kind`")?;
    let cluster_scoped = spec.get("scope").and_then(Value::as_str) == Some("Cluster");
    let shared = spec
        .get("validation")
        .and_then(|v| v.get("openAPIV3Schema"));
    let mut out: Vec<CrdVersion> = spec
        .get("versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| {
            let name = v.get("name")?.as_str()?;
            let s = v
                .get("schema")
                .and_then(|s| s.get("openAPIV3Schema"))
                .or(shared);
            Some((format!("{group}/{name}/{kind}"), s, cluster_scoped))
        })
        .collect();
    if out.is_empty() {
        if let Some(v) = spec.get("version").and_then(Value::as_str) {
            out.push((format!("{group}/{v}/{kind}"), shared, cluster_scoped));
        }
    }
    Ok(out)
}

fn compile_version(
    schema: Option<&Value>,
    cluster_scoped: bool,
    file: &str,
    kube: &KubeSchemas,
) -> CrdSchema {
    let open = serde_json::json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true});
    let (compiled, root) = schema::compile_crd(schema.unwrap_or(&open), kube);
    CrdSchema {
        compiled,
        root,
        cluster_scoped,
        file: file.to_string(),
    }
}

/// Every version of the bundled CRDs, uncompiled.
fn bundled_versions() -> HashMap<String, Bundled> {
    let mut out = HashMap::new();
    for crd in controller_crds() {
        let Value::Object(m) = crd else { continue };
        // Built by the script from known files: a test looks every kind up.
        for (gvk, schema, cluster_scoped) in crd_versions(m).unwrap_or_default() {
            if let Some(schema) = schema {
                out.insert(
                    gvk,
                    Bundled {
                        schema,
                        cluster_scoped,
                        compiled: std::sync::OnceLock::new(),
                    },
                );
            }
        }
    }
    out
}

impl Crds {
    /// The bundled controller CRDs (Argo CD `Application`, `ApplicationSet`,
    /// `AppProject`; Flux `Kustomization`, `GitRepository`, `HelmRelease`; kapp-controller
    /// `App`), so strata's own output checks clean without vendored CRDs. CRDs the
    /// user adds replace them, version by version.
    pub fn with_controllers(kube: &'static KubeSchemas) -> Crds {
        Crds {
            by_gvk: HashMap::new(),
            bundled: Some(Bundle {
                kube,
                versions: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Adds the versions of a CRD document (apiextensions.k8s.io v1 or v1beta1).
    /// Returns an error message when the document is not a usable CRD.
    pub fn add(
        &mut self,
        doc: &Map<String, Value>,
        file: &str,
        kube: &KubeSchemas,
    ) -> Result<(), String> {
        for (gvk, s, cluster_scoped) in crd_versions(doc)? {
            self.by_gvk
                .insert(gvk, compile_version(s, cluster_scoped, file, kube));
        }
        Ok(())
    }

    /// The schema of a kind: the user's CRD, else the bundled one.
    pub fn get(&self, gvk: &Gvk) -> Option<&CrdSchema> {
        let key = format!("{}/{}/{}", gvk.group, gvk.version, gvk.kind);
        if let Some(c) = self.by_gvk.get(&key) {
            return Some(c);
        }
        let bundle = self
            .bundled
            .as_ref()
            .filter(|_| CONTROLLER_GROUPS.contains(&gvk.group.as_str()))?;
        let b = bundle.versions.get_or_init(bundled_versions).get(&key)?;
        Some(b.compiled.get_or_init(|| {
            compile_version(
                Some(b.schema),
                b.cluster_scoped,
                CONTROLLER_CRDS_FILE,
                bundle.kube,
            )
        }))
    }

    /// The number of user CRD versions.
    pub fn len(&self) -> usize {
        self.by_gvk.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_gvk.is_empty()
    }
}

/// Whether a document is a CustomResourceDefinition.
pub fn is_crd(doc: &Map<String, Value>) -> bool {
    doc.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition")
        && doc
            .get("apiVersion")
            .and_then(Value::as_str)
            .is_some_and(|a| a.starts_with("apiextensions.k8s.io/"))
}

/// What to check with.
pub struct Context<'a> {
    pub kube: &'a KubeSchemas,
    pub crds: &'a Crds,
    pub policies: &'a policy::PolicyConfig,
    /// A kind with no schema is an error, not a warning.
    pub strict: bool,
    /// Workloads an HorizontalPodAutoscaler scales (see [`hpa_target`]): their own
    /// replica count is not the floor, the HPA's `minReplicas` is.
    pub scaled: &'a HashSet<Scaled>,
}

/// A workload an HPA scales: (unit, namespace, kind, name).
pub type Scaled = (usize, String, String, String);

/// The workload an HorizontalPodAutoscaler document scales, if it is one.
pub fn hpa_target(unit: usize, doc: &Map<String, Value>) -> Option<Scaled> {
    if doc.get("kind").and_then(Value::as_str) != Some("HorizontalPodAutoscaler") {
        return None;
    }
    let target = doc.get("spec")?.get("scaleTargetRef")?;
    let ns = doc
        .get("metadata")
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .unwrap_or("");
    Some((
        unit,
        ns.to_string(),
        target.get("kind")?.as_str()?.to_string(),
        target.get("name")?.as_str()?.to_string(),
    ))
}

fn is_scaled(ctx: &Context, unit: usize, doc: &Map<String, Value>) -> bool {
    if ctx.scaled.is_empty() {
        return false;
    }
    let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
    let meta = doc.get("metadata");
    ctx.scaled.contains(&(
        unit,
        s(meta.and_then(|m| m.get("namespace"))),
        s(doc.get("kind")),
        s(meta.and_then(|m| m.get("name"))),
    ))
}

/// The annotation prefix of waivers: `strata.dev/waive.<rule>: "<reason>"`.
pub const WAIVER_PREFIX: &str = "strata.dev/waive.";

/// The waiver annotation name for a rule: policies by their id
/// (`strata.dev/waive.image-tag-pinned`), other rules with `.` for `/`
/// (`strata.dev/waive.api.deprecated`).
pub fn waiver_name(rule: &str) -> String {
    match rule.strip_prefix("policy/") {
        Some(id) => id.to_string(),
        None => rule.replace('/', "."),
    }
}

/// Checks every document. Findings come back sorted (file, document, path, rule),
/// without lines: [`locate`] adds them.
pub fn check(ctx: &Context, units: &[UnitInfo], docs: &[Doc]) -> Vec<Finding> {
    let settings = unit_settings(ctx.policies, units);
    let per_doc: Vec<Vec<Finding>> = docs
        .par_chunks(64)
        .map(|chunk| check_each(ctx, units, &settings, chunk))
        .collect();
    let mut findings: Vec<Finding> = per_doc.into_iter().flatten().collect();
    findings.extend(check_across(units, &settings, docs));
    sort(&mut findings);
    findings
}

/// The policies in force for each unit.
pub fn unit_settings(policies: &policy::PolicyConfig, units: &[UnitInfo]) -> Vec<Settings> {
    units
        .iter()
        .map(|u| policies.resolve(u.cluster.as_ref()))
        .collect()
}

/// Policies in force: policy id → setting.
pub type Settings = BTreeMap<String, policy::Setting>;

/// The per-document checks (schemas, APIs, per-resource policies) of `docs`, with
/// their waivers applied and waiver problems reported. Callers may split the
/// documents any way (per file, in parallel) and call [`check_across`] once on the
/// documents [`needs_across`] picks.
pub fn check_each(
    ctx: &Context,
    units: &[UnitInfo],
    settings: &[Settings],
    docs: &[Doc],
) -> Vec<Finding> {
    let mut findings: Vec<Finding> = docs
        .iter()
        .flat_map(|d| check_doc(ctx, &units[d.unit], &settings[d.unit], d))
        .collect();
    let waiver_problems = apply_waivers(docs, units, &mut findings, true);
    findings.extend(waiver_problems);
    findings
}

/// Whether a document takes part in the fleet-wide checks.
pub fn needs_across(settings: &[Settings], d: &Doc) -> bool {
    settings[d.unit].contains_key("ingress-host-unique")
        && d.doc.get("kind").and_then(Value::as_str) == Some("Ingress")
}

/// The fleet-wide checks (unique ingress hosts) over every document at once, with
/// waivers applied.
pub fn check_across(units: &[UnitInfo], settings: &[Settings], docs: &[Doc]) -> Vec<Finding> {
    let mut findings = Vec::new();
    ingress_hosts(units, settings, docs, &mut findings);
    apply_waivers(docs, units, &mut findings, false);
    findings
}

/// Sorts findings by file, document, path and rule, and drops duplicates.
pub fn sort(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        (&a.file, a.doc_index, pointer(&a.path), &a.rule, &a.message).cmp(&(
            &b.file,
            b.doc_index,
            pointer(&b.path),
            &b.rule,
            &b.message,
        ))
    });
    findings.dedup();
}

fn base_finding(
    unit: &UnitInfo,
    d: &Doc,
    rule: &str,
    severity: Severity,
    path: Vec<Seg>,
    message: String,
) -> Finding {
    let s = |k: &str| {
        d.doc
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let meta = |k: &str| {
        d.doc
            .get("metadata")
            .and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let source = d.resource.map(|r| source_of(r, &dotted(&path)));
    Finding {
        rule: rule.to_string(),
        severity,
        message,
        cluster: unit.cluster_name.clone(),
        app: unit.app.clone(),
        api_version: s("apiVersion"),
        kind: s("kind"),
        namespace: meta("namespace"),
        name: meta("name"),
        path,
        file: d.file.clone(),
        line: 0,
        doc_index: d.doc_index,
        source,
    }
}

/// The file a value came from: the latest edit that set the path (or a parent of it),
/// else the file the object was loaded from.
fn source_of(r: &Resource, path: &str) -> SourceRef {
    let covers = |p: &str| {
        path == p
            || (path.starts_with(p) && matches!(path.as_bytes().get(p.len()), Some(b'.' | b'[')))
    };
    for e in r.edits.iter().rev() {
        if e.paths.iter().any(|p| covers(p)) {
            return SourceRef {
                file: e.source.clone(),
                line: 0,
            };
        }
    }
    SourceRef {
        file: r.origin.file.clone(),
        line: r.origin.line,
    }
}

/// Never quote a Secret's values or the last-applied annotation.
/// Whether a finding about `path` may quote the value there ([`crate::redact`]).
fn is_sensitive(doc: &Map<String, Value>, path: &[Seg]) -> bool {
    let secret = doc.get("kind").and_then(Value::as_str) == Some("Secret");
    let keys: Vec<Option<&str>> = path
        .iter()
        .map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .collect();
    !crate::redact::may_quote(secret, &keys)
}

fn describe(
    kind: &ProblemKind,
    path: &[Seg],
    value: Option<&Value>,
    sensitive: bool,
) -> (&'static str, String) {
    // The path is printed beside the message; the message says what is wrong there.
    let shown = |v: &Value| -> String {
        if sensitive {
            return String::new();
        }
        let s = v.to_string();
        if s.chars().count() > 40 {
            format!(" {}…", s.chars().take(40).collect::<String>())
        } else {
            format!(" {s}")
        }
    };
    let value = value.map(shown).unwrap_or_default();
    match kind {
        ProblemKind::UnknownField { suggestion } => {
            let field = match path.last() {
                Some(Seg::Key(k)) => k.clone(),
                _ => String::new(),
            };
            let hint = match suggestion {
                Some(s) => format!("; did you mean `{s}`?"),
                None => "; check the spelling and the indentation".to_string(),
            };
            (
                "schema/unknown-field",
                format!("unknown field `{field}`{hint}"),
            )
        }
        ProblemKind::Type { expected, got } => (
            "schema/type",
            format!("{got}{value} where the schema wants {expected}"),
        ),
        ProblemKind::Required { field } => (
            "schema/required",
            format!("missing the required field `{field}`"),
        ),
        ProblemKind::Enum { allowed } => {
            let list: Vec<String> = allowed
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect();
            (
                "schema/enum",
                format!("the value{value} is not one of: {}", list.join(", ")),
            )
        }
        ProblemKind::Constraint { message } => {
            ("schema/constraint", format!("the value{value} {message}"))
        }
    }
}

fn value_at<'a>(doc: &'a Map<String, Value>, path: &[Seg]) -> Option<&'a Value> {
    let mut it = path.iter();
    let mut v = match it.next() {
        None => return None,
        Some(Seg::Key(k)) => doc.get(k)?,
        Some(Seg::Index(_)) => return None,
    };
    for s in it {
        v = match s {
            Seg::Key(k) => v.get(k)?,
            Seg::Index(i) => v.get(i)?,
        };
    }
    Some(v)
}

fn check_doc(
    ctx: &Context,
    unit: &UnitInfo,
    settings: &BTreeMap<String, policy::Setting>,
    d: &Doc,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let api_version = d
        .doc
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = d.doc.get("kind").and_then(Value::as_str).unwrap_or("");
    for (field, v) in [("apiVersion", api_version), ("kind", kind)] {
        if v.is_empty() {
            out.push(base_finding(unit, d, "schema/required", Severity::Error, vec![], format!("the object needs `{field}`; every Kubernetes object names its apiVersion and kind")));
        }
    }
    if !out.is_empty() {
        return out;
    }
    let gvk = Gvk::from_api_version(api_version, kind);
    let mut removed = false;
    if let Some((gone, dep)) = apis::lookup(api_version, kind, &ctx.kube.version) {
        removed = gone;
        let path = vec![Seg::Key("apiVersion".into())];
        if gone {
            out.push(base_finding(
                unit,
                d,
                "api/removed",
                Severity::Error,
                path,
                format!(
                    "{api_version} {kind} was removed in Kubernetes {} (target: {}); use {}",
                    dep.removed.unwrap_or(""),
                    ctx.kube.version,
                    dep.replacement
                ),
            ));
        } else {
            let when = dep
                .removed
                .map(|r| format!(" and is removed in {r}"))
                .unwrap_or_default();
            out.push(base_finding(
                unit,
                d,
                "api/deprecated",
                Severity::Warning,
                path,
                format!(
                    "{api_version} {kind} is deprecated since Kubernetes {}{when}; use {}",
                    dep.deprecated, dep.replacement
                ),
            ));
        }
    }
    let (compiled, root, cluster_scoped) = if let Some(root) =
        ctx.kube.kind(&gvk.group, &gvk.version, kind)
    {
        (Some(&ctx.kube.compiled), root, gvk.is_cluster_scoped())
    } else if let Some(c) = ctx.crds.get(&gvk) {
        (Some(&c.compiled), c.root, c.cluster_scoped)
    } else {
        if !removed {
            let served = ctx.kube.versions_of(kind);
            if ctx.kube.is_builtin_group(&gvk.group) && !served.is_empty() {
                out.push(base_finding(
                    unit,
                    d,
                    "schema/unknown-api",
                    Severity::Error,
                    vec![Seg::Key("apiVersion".into())],
                    format!(
                        "Kubernetes {} does not serve {kind} as {api_version}; use {}",
                        ctx.kube.version,
                        served.join(" or ")
                    ),
                ));
            } else {
                let sev = if ctx.strict {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                out.push(base_finding(unit, d, "crd/no-schema", sev, vec![], format!(
                    "no schema for {api_version} {kind}: not a Kubernetes {} kind and no CustomResourceDefinition for it under `crds:` or in the output; add its CRD to check it",
                    ctx.kube.version
                )));
            }
        }
        (None, 0, gvk.is_cluster_scoped())
    };
    if let Some(c) = compiled {
        let mut problems = Vec::new();
        c.check_root(root, d.doc, &mut problems);
        for p in problems {
            let sensitive = is_sensitive(d.doc, &p.path);
            let (rule, msg) = describe(&p.kind, &p.path, value_at(d.doc, &p.path), sensitive);
            out.push(base_finding(unit, d, rule, Severity::Error, p.path, msg));
        }
    }
    if !settings.is_empty() {
        let tenant = unit.cluster.as_ref().and_then(|c| c.tenant.as_deref());
        for (id, path, msg) in policy::check(
            d.doc,
            settings,
            tenant,
            cluster_scoped,
            is_scaled(ctx, d.unit, d.doc),
        ) {
            let sev = settings[id].severity.unwrap_or(Severity::Error);
            out.push(base_finding(
                unit,
                d,
                &format!("policy/{id}"),
                sev,
                path,
                msg,
            ));
        }
    }
    out
}

/// `ingress-host-unique`: a host served by two Ingresses in one cluster (or, with
/// `scope: fleet`, anywhere in the fleet).
fn ingress_hosts(
    units: &[UnitInfo],
    settings: &[BTreeMap<String, policy::Setting>],
    docs: &[Doc],
    out: &mut Vec<Finding>,
) {
    // (scope key, host) → [(doc index, rule index)]
    let mut seen: BTreeMap<(String, String), Vec<(usize, usize)>> = BTreeMap::new();
    for (di, d) in docs.iter().enumerate() {
        let Some(set) = settings[d.unit].get("ingress-host-unique") else {
            continue;
        };
        if d.doc.get("kind").and_then(Value::as_str) != Some("Ingress") {
            continue;
        }
        let fleet = set.options.get("scope").and_then(Value::as_str) == Some("fleet");
        // The cluster; in targets mode (no cluster known) the target's parent folder
        // (`clusters/<cluster>/<app>` → `clusters/<cluster>`); for a plain folder, all of it.
        let u = &units[d.unit];
        let scope = if fleet {
            String::new()
        } else if !u.cluster_name.is_empty() {
            u.cluster_name.clone()
        } else {
            u.app
                .rsplit_once('/')
                .map(|(p, _)| p.to_string())
                .unwrap_or_default()
        };
        let rules = d
            .doc
            .get("spec")
            .and_then(|s| s.get("rules"))
            .and_then(Value::as_array);
        let mut hosts_here = Vec::new();
        for (ri, r) in rules.into_iter().flatten().enumerate() {
            if let Some(h) = r.get("host").and_then(Value::as_str) {
                if !hosts_here.contains(&h) {
                    hosts_here.push(h);
                    seen.entry((scope.clone(), h.to_string()))
                        .or_default()
                        .push((di, ri));
                }
            }
        }
    }
    for ((_, host), users) in seen {
        if users.len() < 2 {
            continue;
        }
        for &(di, ri) in &users {
            let d = &docs[di];
            let unit = &units[d.unit];
            let others: Vec<String> = users
                .iter()
                .filter(|(o, _)| *o != di)
                .map(|(o, _)| {
                    let od = &docs[*o];
                    let name = od
                        .doc
                        .get("metadata")
                        .and_then(|m| m.get("name"))
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    let u = &units[od.unit];
                    let at = match (u.cluster_name.is_empty(), u.app.is_empty()) {
                        (true, true) => String::new(),
                        (true, false) => format!("{}, ", u.app),
                        (false, _) => format!("{}/{}, ", u.cluster_name, u.app),
                    };
                    format!("Ingress {name} ({at}{})", od.file)
                })
                .collect();
            let sev = settings[d.unit]["ingress-host-unique"]
                .severity
                .unwrap_or(Severity::Error);
            let path = vec![
                Seg::Key("spec".into()),
                Seg::Key("rules".into()),
                Seg::Index(ri),
                Seg::Key("host".into()),
            ];
            out.push(base_finding(
                unit,
                d,
                "policy/ingress-host-unique",
                sev,
                path,
                format!(
                    "host {host} is also served by {}; one host, one Ingress",
                    others.join(", ")
                ),
            ));
        }
    }
}

/// Drops findings waived by an annotation on their resource; returns the findings
/// about waivers themselves (no reason, unknown rule).
fn apply_waivers(
    docs: &[Doc],
    units: &[UnitInfo],
    findings: &mut Vec<Finding>,
    report: bool,
) -> Vec<Finding> {
    let mut extra = Vec::new();
    let mut known: Vec<String> = Vec::new();
    // (file, doc index) → waived names
    let mut waived: HashMap<(String, usize), Vec<String>> = HashMap::new();
    for d in docs {
        let Some(ann) = d
            .doc
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        for (k, v) in ann {
            let Some(name) = k.strip_prefix(WAIVER_PREFIX) else {
                continue;
            };
            let path = vec![
                Seg::Key("metadata".into()),
                Seg::Key("annotations".into()),
                Seg::Key(k.clone()),
            ];
            if known.is_empty() {
                known = rules().iter().map(|(r, _)| waiver_name(r)).collect();
            }
            if !known.iter().any(|n| n == name) {
                if report {
                    extra.push(base_finding(&units[d.unit], d, "waiver/unknown-rule", Severity::Warning, path, format!(
                    "the waiver `{k}` names no rule strata knows; use strata.dev/waive.<policy id> (e.g. image-tag-pinned) or the rule id with `.` for `/` (e.g. api.deprecated)"
                )));
                }
                continue;
            }
            if v.as_str().is_none_or(|s| s.trim().is_empty()) {
                if report {
                    extra.push(base_finding(&units[d.unit], d, "waiver/no-reason", Severity::Error, path, format!(
                        "the waiver `{k}` gives no reason; write why the rule does not apply here as its value"
                    )));
                }
                continue;
            }
            waived
                .entry((d.file.clone(), d.doc_index))
                .or_default()
                .push(name.to_string());
        }
    }
    if !waived.is_empty() {
        findings.retain(|f| {
            !waived
                .get(&(f.file.clone(), f.doc_index))
                .is_some_and(|w| w.contains(&waiver_name(&f.rule)))
        });
    }
    extra
}

/// Fills each finding's line from the file's text: the line of the deepest part of
/// its path found in the document (the key of an unknown field, the object missing a
/// required field), else the document's first line. `text_of` gives a file's text.
pub fn locate<'t>(findings: &mut [Finding], text_of: impl Fn(&str) -> Option<&'t str>) {
    let mut cache: HashMap<String, Vec<BTreeMap<String, u32>>> = HashMap::new();
    for f in findings.iter_mut() {
        if f.line > 0 {
            continue;
        }
        let lines = cache.entry(f.file.clone()).or_insert_with(|| {
            text_of(&f.file)
                .and_then(|t| crate::yaml::key_lines(t).ok())
                .unwrap_or_default()
        });
        let Some(doc) = lines.get(f.doc_index) else {
            f.line = 1;
            continue;
        };
        let mut p = f.path.as_slice();
        loop {
            if let Some(l) = doc.get(&pointer(p)) {
                f.line = *l;
                break;
            }
            if p.is_empty() {
                f.line = 1;
                break;
            }
            p = &p[..p.len() - 1];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_lines_maps_pointers_to_lines() {
        let src = "a: 1\n---\n# c\nkind: X\nspec:\n  list:\n  - name: a\n    x: {y: 1, z: [1, 2]}\n  -   b\n  \"k/1\": |\n    text\n    more\n  after: 2\n---\n";
        let docs = crate::yaml::key_lines(src).unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0].get("/a"), Some(&1));
        let d = &docs[1];
        let want = [
            ("", 4),
            ("/kind", 4),
            ("/spec", 5),
            ("/spec/list", 6),
            ("/spec/list/0", 7),
            ("/spec/list/0/name", 7),
            ("/spec/list/0/x", 8),
            ("/spec/list/0/x/z/1", 8),
            ("/spec/list/1", 9),
            ("/spec/k~11", 10),
            ("/spec/after", 13),
        ];
        for (p, l) in want {
            assert_eq!(d.get(p), Some(&l), "{p}: {d:?}");
        }
        // An empty document still counts, as it does for parse_stream.
        assert!(docs[2].keys().all(|k| k.is_empty()));
        assert_eq!(crate::yaml::parse_stream(src).unwrap().len(), docs.len());
    }

    #[test]
    fn paths_print_two_ways() {
        let p = vec![
            Seg::Key("spec".into()),
            Seg::Key("containers".into()),
            Seg::Index(0),
            Seg::Key("a/b".into()),
        ];
        assert_eq!(dotted(&p), "spec.containers[0].a/b");
        assert_eq!(pointer(&p), "/spec/containers/0/a~1b");
    }
}

#[cfg(test)]
mod controller_crd_tests {
    use super::*;

    #[test]
    fn the_bundled_controller_crds_cover_every_kind_strata_emits() {
        let kube = schema::kube(schema::DEFAULT_VERSION).unwrap();
        let crds = Crds::with_controllers(kube);
        for (group, version, kind) in [
            ("argoproj.io", "v1alpha1", "Application"),
            ("argoproj.io", "v1alpha1", "ApplicationSet"),
            ("argoproj.io", "v1alpha1", "AppProject"),
            ("kustomize.toolkit.fluxcd.io", "v1", "Kustomization"),
            ("source.toolkit.fluxcd.io", "v1", "GitRepository"),
            ("helm.toolkit.fluxcd.io", "v2", "HelmRelease"),
            ("kappctrl.k14s.io", "v1alpha1", "App"),
        ] {
            let gvk = Gvk::from_api_version(&format!("{group}/{version}"), kind);
            let c = crds
                .get(&gvk)
                .unwrap_or_else(|| panic!("{group}/{version} {kind}"));
            assert_eq!(c.file, CONTROLLER_CRDS_FILE);
        }
    }
}
