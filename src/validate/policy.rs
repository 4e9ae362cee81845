//! Policies: what they are, how strata.yaml `policies:` switches them on per env and
//! per cluster label, and the per-resource checks. (The fleet-wide one, unique ingress
//! hosts, is in `validate::check`, which sees every resource.)

use super::schema::Seg;
use super::Severity;
use crate::fleet::Cluster;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Every policy: (id, what it checks, options it takes).
pub const POLICIES: &[(&str, &str, &[&str])] = &[
    ("image-tag-pinned", "container images name a tag other than `latest` (or a digest)", &[]),
    ("image-digest", "container images are pinned by digest (`@sha256:...`)", &[]),
    ("resources", "containers set resource requests and limits", &[]),
    ("probes", "containers have liveness and readiness probes", &[]),
    ("min-replicas", "Deployments, StatefulSets and HPAs run at least `min` replicas (default 2)", &["min"]),
    ("no-privileged", "no privileged containers", &[]),
    ("no-privilege-escalation", "containers set `allowPrivilegeEscalation: false`", &[]),
    ("run-as-non-root", "pods or containers set `runAsNonRoot: true`", &[]),
    ("no-host-namespaces", "no `hostNetwork`, `hostPID` or `hostIPC`", &[]),
    ("ingress-host-unique", "an Ingress host is served by one Ingress per cluster (`scope: fleet`: in the whole fleet)", &["scope"]),
    ("tenant-namespace", "a tenant's apps only in the tenant's namespaces (`namespaces`, default `[\"{tenant}\", \"{tenant}-*\"]`) and without cluster-scoped kinds", &["namespaces"]),
    ("no-plaintext-secret", "no `Secret` with values in the hydrated tree (use a SealedSecret or an ExternalSecret)", &[]),
];

/// One policy as configured: its severity (`None`: off) and options.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Setting {
    pub severity: Option<Severity>,
    pub options: Map<String, Value>,
}

type Settings = BTreeMap<String, Setting>;

/// `policies:` of strata.yaml.
#[derive(Clone, Debug, Default)]
pub struct PolicyConfig {
    defaults: Settings,
    envs: BTreeMap<String, Settings>,
    /// (label key, label value, settings), in key order.
    labels: Vec<(String, String, Settings)>,
}

/// A configuration error: the JSON pointer of the bad entry and what is wrong.
pub type ConfigError = (String, String);

fn ptr_escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn parse_settings(v: &Value, at: &str) -> Result<Settings, ConfigError> {
    let mut out = Settings::new();
    let Some(map) = v.as_object() else {
        return Err((
            at.into(),
            "expected a mapping of policy id → severity".into(),
        ));
    };
    for (id, s) in map {
        let here = format!("{at}/{}", ptr_escape(id));
        let Some((_, _, opts)) = POLICIES.iter().find(|p| p.0 == id) else {
            let known: Vec<&str> = POLICIES.iter().map(|p| p.0).collect();
            let hint = super::schema::closest(
                id,
                POLICIES
                    .iter()
                    .map(|p| p.0.to_string())
                    .collect::<Vec<_>>()
                    .iter(),
            )
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
            return Err((
                here,
                format!(
                    "unknown policy `{id}`{hint}; known policies: {}",
                    known.join(", ")
                ),
            ));
        };
        let setting = match s {
            Value::String(_) | Value::Bool(_) => Setting { severity: severity(s, &here)?, options: Map::new() },
            Value::Object(m) => {
                let mut options = Map::new();
                let mut sev = Some(Severity::Error);
                for (k, v) in m {
                    if k == "severity" {
                        sev = severity(v, &format!("{here}/severity"))?;
                    } else if opts.contains(&k.as_str()) {
                        check_option(id, k, v, &format!("{here}/{}", ptr_escape(k)))?;
                        options.insert(k.clone(), v.clone());
                    } else {
                        let allowed = if opts.is_empty() { "only `severity`".to_string() } else { format!("`severity`, `{}`", opts.join("`, `")) };
                        return Err((format!("{here}/{}", ptr_escape(k)), format!("policy `{id}` has no option `{k}`; it takes {allowed}")));
                    }
                }
                Setting { severity: sev, options }
            }
            _ => return Err((here, format!("policy `{id}`: expected a severity (error, warning, info, off) or a mapping with `severity`"))),
        };
        out.insert(id.clone(), setting);
    }
    Ok(out)
}

fn severity(v: &Value, at: &str) -> Result<Option<Severity>, ConfigError> {
    match v {
        Value::String(s) => match s.as_str() {
            "error" => Ok(Some(Severity::Error)),
            "warning" => Ok(Some(Severity::Warning)),
            "info" => Ok(Some(Severity::Info)),
            "off" => Ok(None),
            _ => Err((
                at.into(),
                format!("unknown severity `{s}`; use error, warning, info or off"),
            )),
        },
        Value::Bool(true) => Ok(Some(Severity::Error)),
        Value::Bool(false) => Ok(None),
        _ => Err((
            at.into(),
            "expected a severity: error, warning, info or off".into(),
        )),
    }
}

fn check_option(id: &str, k: &str, v: &Value, at: &str) -> Result<(), ConfigError> {
    let ok = match (id, k) {
        ("min-replicas", "min") => v.as_u64().is_some(),
        ("ingress-host-unique", "scope") => matches!(v.as_str(), Some("cluster" | "fleet")),
        ("tenant-namespace", "namespaces") => {
            v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
        }
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        let want = match k {
            "min" => "a whole number",
            "scope" => "`cluster` or `fleet`",
            _ => "a list of namespace patterns (`{tenant}`, `{tenant}-*`)",
        };
        Err((at.into(), format!("policy `{id}`: `{k}` must be {want}")))
    }
}

impl PolicyConfig {
    /// Reads `policies:`. Errors carry the JSON pointer (under `/policies`) of the entry.
    pub fn parse(v: Option<&Value>) -> Result<PolicyConfig, ConfigError> {
        let mut cfg = PolicyConfig::default();
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return Ok(cfg);
        };
        let Some(map) = v.as_object() else {
            return Err((
                "/policies".into(),
                "expected a mapping with `defaults`, `envs` and `labels`".into(),
            ));
        };
        for (k, v) in map {
            let at = format!("/policies/{}", ptr_escape(k));
            match k.as_str() {
                "defaults" => cfg.defaults = parse_settings(v, &at)?,
                "envs" | "labels" => {
                    let Some(m) = v.as_object() else {
                        return Err((
                            at,
                            format!(
                                "`{k}` maps each {} to policies",
                                if k == "envs" {
                                    "env"
                                } else {
                                    "`key=value` label"
                                }
                            ),
                        ));
                    };
                    for (name, s) in m {
                        let here = format!("{at}/{}", ptr_escape(name));
                        let settings = parse_settings(s, &here)?;
                        if k == "envs" {
                            cfg.envs.insert(name.clone(), settings);
                        } else {
                            let Some((lk, lv)) = name.split_once('=') else {
                                return Err((here, format!("label selector `{name}` must be `key=value` (e.g. `tier=gold`)")));
                            };
                            cfg.labels
                                .push((lk.trim().into(), lv.trim().into(), settings));
                        }
                    }
                }
                _ => {
                    return Err((
                        at,
                        format!(
                            "unknown key `{k}` in policies; use `defaults`, `envs` or `labels`"
                        ),
                    ))
                }
            }
        }
        Ok(cfg)
    }

    /// The policies in force for a cluster: defaults < its env < matching labels
    /// (in key order). With no cluster (a plain folder), the defaults.
    pub fn resolve(&self, cluster: Option<&Cluster>) -> Settings {
        let mut out = self.defaults.clone();
        let mut layer = |s: &Settings| {
            for (id, set) in s {
                let e = out.entry(id.clone()).or_default();
                e.severity = set.severity;
                for (k, v) in &set.options {
                    e.options.insert(k.clone(), v.clone());
                }
            }
        };
        if let Some(c) = cluster {
            if let Some(s) = self.envs.get(&c.env) {
                layer(s);
            }
            for (k, v, s) in &self.labels {
                if c.attribute(k) == Some(v.as_str()) {
                    layer(s);
                }
            }
        }
        out.retain(|_, s| s.severity.is_some());
        out
    }
}

/// A policy violation in one resource: rule id (without `policy/`), path, message.
pub type Violation = (&'static str, Vec<Seg>, String);

fn key(k: &str) -> Seg {
    Seg::Key(k.to_string())
}

/// Where a kind keeps its pod spec.
fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &["spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => return None,
    })
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

/// The per-resource policies in `settings` applied to one object.
pub fn check(
    doc: &Map<String, Value>,
    settings: &Settings,
    tenant: Option<&str>,
    cluster_scoped: bool,
    scaled_by_hpa: bool,
) -> Vec<Violation> {
    let mut out: Vec<Violation> = Vec::new();
    let on = |id: &str| settings.contains_key(id);
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
    if let Some(pp) = pod_spec_path(kind) {
        if let Some(pod) = doc.get(pp[0]).and_then(|v| get(v, &pp[1..])) {
            let base: Vec<Seg> = pp.iter().map(|k| key(k)).collect();
            pod_checks(pod, &base, settings, &mut out);
        }
    }
    if on("min-replicas") {
        let min = settings["min-replicas"]
            .options
            .get("min")
            .and_then(Value::as_u64)
            .unwrap_or(2);
        let field = match kind {
            "Deployment" | "StatefulSet" | "ReplicaSet" if !scaled_by_hpa => Some("replicas"),
            "HorizontalPodAutoscaler" => Some("minReplicas"),
            _ => None,
        };
        if let Some(f) = field {
            let n = doc
                .get("spec")
                .and_then(|s| s.get(f))
                .and_then(Value::as_u64)
                .unwrap_or(1);
            if n < min {
                out.push((
                    "min-replicas",
                    vec![key("spec"), key(f)],
                    format!(
                        "{kind} runs {n} replica{}; the policy asks for at least {min}",
                        if n == 1 { "" } else { "s" }
                    ),
                ));
            }
        }
    }
    if on("no-plaintext-secret") && kind == "Secret" {
        for field in ["data", "stringData"] {
            if doc
                .get(field)
                .and_then(Value::as_object)
                .is_some_and(|m| !m.is_empty())
            {
                out.push(("no-plaintext-secret", vec![key(field)], format!("Secret holds its values in `{field}` in the hydrated tree, readable by anyone with the repository; use a SealedSecret (bitnami sealed-secrets) or an ExternalSecret (external-secrets) instead")));
            }
        }
    }
    if on("tenant-namespace") {
        if let Some(t) = tenant {
            // A Namespace is cluster-scoped, but creating one of the tenant's own is fine.
            if cluster_scoped && kind != "Namespace" {
                out.push(("tenant-namespace", vec![key("kind")], format!("{kind} is cluster-scoped; tenant {t}'s apps may only create namespaced objects")));
            } else {
                let field = if kind == "Namespace" {
                    "name"
                } else {
                    "namespace"
                };
                let ns = doc
                    .get("metadata")
                    .and_then(|m| m.get(field))
                    .and_then(Value::as_str)
                    .unwrap_or("default");
                let patterns: Vec<String> = match settings["tenant-namespace"]
                    .options
                    .get("namespaces")
                    .and_then(Value::as_array)
                {
                    Some(a) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .map(|p| p.replace("{tenant}", t))
                        .collect(),
                    None => vec![t.to_string(), format!("{t}-*")],
                };
                let ok = patterns.iter().any(|p| match p.strip_suffix('*') {
                    Some(prefix) => ns.starts_with(prefix),
                    None => ns == p,
                });
                if !ok {
                    let k = if kind == "Namespace" {
                        vec![key("metadata"), key("name")]
                    } else {
                        vec![key("metadata"), key("namespace")]
                    };
                    out.push((
                        "tenant-namespace",
                        k,
                        format!(
                            "namespace `{ns}` does not belong to tenant {t} (allowed: {})",
                            patterns.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    out
}

fn pod_checks(pod: &Value, base: &[Seg], settings: &Settings, out: &mut Vec<Violation>) {
    let on = |id: &str| settings.contains_key(id);
    let at =
        |extra: &[Seg]| -> Vec<Seg> { base.iter().cloned().chain(extra.iter().cloned()).collect() };
    if on("no-host-namespaces") {
        for f in ["hostNetwork", "hostPID", "hostIPC"] {
            if pod.get(f).and_then(Value::as_bool) == Some(true) {
                out.push((
                    "no-host-namespaces",
                    at(&[key(f)]),
                    format!("`{f}: true` shares the node's namespace with the pod"),
                ));
            }
        }
    }
    let pod_non_root = get(pod, &["securityContext", "runAsNonRoot"]).and_then(Value::as_bool);
    for list in ["initContainers", "containers"] {
        let Some(cs) = pod.get(list).and_then(Value::as_array) else {
            continue;
        };
        for (i, c) in cs.iter().enumerate() {
            let name = c.get("name").and_then(Value::as_str).unwrap_or("?");
            let here = |extra: &[Seg]| -> Vec<Seg> {
                at(&[key(list), Seg::Index(i)])
                    .into_iter()
                    .chain(extra.iter().cloned())
                    .collect()
            };
            let image = c.get("image").and_then(Value::as_str).unwrap_or("");
            let (tag, digest) = image_parts(image);
            if on("image-tag-pinned") && digest.is_none() {
                match tag {
                    None => out.push(("image-tag-pinned", here(&[key("image")]), format!("container {name}: image `{image}` has no tag, so it runs whatever `latest` is; pin a version tag or a digest"))),
                    Some("latest") => out.push(("image-tag-pinned", here(&[key("image")]), format!("container {name}: image `{image}` uses the `latest` tag; pin a version tag or a digest"))),
                    _ => {}
                }
            }
            if on("image-digest") && digest.is_none() {
                out.push(("image-digest", here(&[key("image")]), format!("container {name}: image `{image}` is not pinned by digest; use `image@sha256:...` (kustomize `images: digest:`)")));
            }
            let sc = c.get("securityContext");
            if on("no-privileged")
                && sc
                    .and_then(|s| s.get("privileged"))
                    .and_then(Value::as_bool)
                    == Some(true)
            {
                out.push((
                    "no-privileged",
                    here(&[key("securityContext"), key("privileged")]),
                    format!("container {name} runs privileged, with full access to the node"),
                ));
            }
            if on("no-privilege-escalation")
                && sc
                    .and_then(|s| s.get("allowPrivilegeEscalation"))
                    .and_then(Value::as_bool)
                    != Some(false)
            {
                let p = if sc.is_some() {
                    here(&[key("securityContext")])
                } else {
                    here(&[])
                };
                out.push(("no-privilege-escalation", p, format!("container {name} does not set `securityContext.allowPrivilegeEscalation: false`")));
            }
            if on("run-as-non-root") {
                let own = sc
                    .and_then(|s| s.get("runAsNonRoot"))
                    .and_then(Value::as_bool);
                if own.or(pod_non_root) != Some(true) {
                    out.push(("run-as-non-root", here(&[]), format!("container {name} may run as root; set `runAsNonRoot: true` in its or the pod's securityContext")));
                }
            }
            if list == "containers" {
                if on("resources") {
                    let r = c.get("resources");
                    let missing: Vec<&str> = ["requests", "limits"]
                        .into_iter()
                        .filter(|k| {
                            r.and_then(|r| r.get(k))
                                .and_then(Value::as_object)
                                .is_none_or(|m| m.is_empty())
                        })
                        .collect();
                    if !missing.is_empty() {
                        out.push((
                            "resources",
                            here(&[]),
                            format!("container {name} sets no resource {}", missing.join(" or ")),
                        ));
                    }
                }
                if on("probes") {
                    let missing: Vec<&str> = ["livenessProbe", "readinessProbe"]
                        .into_iter()
                        .filter(|k| c.get(k).is_none())
                        .collect();
                    if !missing.is_empty() {
                        out.push((
                            "probes",
                            here(&[]),
                            format!("container {name} has no {}", missing.join(" and ")),
                        ));
                    }
                }
            }
        }
    }
}

/// An image's tag and digest: `nginx:1.2@sha256:..` → (Some("1.2"), Some("sha256:..")).
fn image_parts(image: &str) -> (Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    // A colon after the last slash is a tag (a colon before it is a registry port).
    let last = rest.rsplit('/').next().unwrap_or(rest);
    (last.split_once(':').map(|(_, t)| t), digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags() {
        assert_eq!(image_parts("nginx"), (None, None));
        assert_eq!(image_parts("reg:5000/nginx"), (None, None));
        assert_eq!(image_parts("reg:5000/nginx:1.2"), (Some("1.2"), None));
        assert_eq!(image_parts("nginx@sha256:ab"), (None, Some("sha256:ab")));
    }

    #[test]
    fn a_tenant_may_create_its_own_namespaces() {
        let v = serde_json::json!({"defaults": {"tenant-namespace": "error"}});
        let s = PolicyConfig::parse(Some(&v)).unwrap().resolve(None);
        let ns = |name: &str| {
            let v = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
            v.as_object().unwrap().clone()
        };
        assert!(check(&ns("acme-web"), &s, Some("acme"), true, false).is_empty());
        let v = check(&ns("globex"), &s, Some("acme"), true, false);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].1, vec![key("metadata"), key("name")]);
        assert!(check(&ns("globex"), &s, None, true, false).is_empty());
    }

    #[test]
    fn config_errors_name_the_entry() {
        let v = serde_json::json!({"defaults": {"image-tag-pined": "error"}});
        let (at, msg) = PolicyConfig::parse(Some(&v)).unwrap_err();
        assert_eq!(at, "/policies/defaults/image-tag-pined");
        assert!(msg.contains("did you mean `image-tag-pinned`"), "{msg}");
        let v = serde_json::json!({"envs": {"prod": {"min-replicas": {"severity": "error", "min": "two"}}}});
        assert_eq!(
            PolicyConfig::parse(Some(&v)).unwrap_err().0,
            "/policies/envs/prod/min-replicas/min"
        );
    }
}
