//! GitOps controller objects that point at the hydrated tree: an Argo CD
//! `Application` per (cluster, app) gathered by an app-of-apps per cluster (or an
//! `ApplicationSet` per app), Flux `Kustomization`s, kapp-controller `App`s.
//!
//! They live under `<output>/controllers/<controller>/<cluster>/`, so each cluster's
//! controller is bootstrapped once from its own folder and picks up new apps from it;
//! ApplicationSets under `<output>/controllers/argocd-applicationset/<app>.yaml`.
//! What they say (project, sync policy, interval, secret, extra labels) is set per
//! env or cluster label in `controllerSettings`; the defaults are the values below.

use crate::error::{Error, ErrorKind, Result};
use crate::fleet::{App, Cluster, ClusterSelector, Fleet, Project, PROJECT_FILE};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The controllers strata can emit objects for.
pub const KNOWN: [&str; 4] = ["argocd", "argocd-applicationset", "flux", "kapp"];

/// One `controllerSettings` entry of strata.yaml: settings for the clusters its
/// selector picks; unset fields leave what earlier entries (or the defaults) said.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Settings {
    #[serde(default)]
    pub clusters: Option<ClusterSelector>,
    pub project: Option<String>,
    pub automated: Option<bool>,
    pub prune: Option<bool>,
    pub self_heal: Option<bool>,
    pub interval: Option<String>,
    pub kubeconfig_secret: Option<SecretRef>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// Where kapp-controller finds a cluster's kubeconfig.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    pub name: Option<String>,
    pub key: Option<String>,
}

/// The settings that apply to one cluster.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Resolved {
    project: String,
    automated: bool,
    prune: bool,
    self_heal: bool,
    interval: String,
    secret_name: String,
    secret_key: String,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

fn resolve(p: &Project, c: &Cluster) -> Resolved {
    let mut r = Resolved {
        project: "default".into(),
        automated: true,
        prune: true,
        self_heal: true,
        interval: "10m".into(),
        secret_name: "{cluster}-kubeconfig".into(),
        secret_key: "value".into(),
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
    };
    for s in p
        .controller_settings
        .iter()
        .filter(|s| s.clusters.as_ref().is_none_or(|sel| sel.matches(c)))
    {
        if let Some(v) = &s.project {
            r.project = v.clone();
        }
        if let Some(v) = s.automated {
            r.automated = v;
        }
        if let Some(v) = s.prune {
            r.prune = v;
        }
        if let Some(v) = s.self_heal {
            r.self_heal = v;
        }
        if let Some(v) = &s.interval {
            r.interval = v.clone();
        }
        if let Some(k) = &s.kubeconfig_secret {
            if let Some(v) = &k.name {
                r.secret_name = v.clone();
            }
            if let Some(v) = &k.key {
                r.secret_key = v.clone();
            }
        }
        r.labels.extend(s.labels.clone());
        r.annotations.extend(s.annotations.clone());
    }
    r.secret_name = r.secret_name.replace("{cluster}", &c.name);
    r
}

impl Resolved {
    /// Argo CD's `syncPolicy`.
    fn sync_policy(&self, create_namespace: bool) -> Value {
        let mut m = Map::new();
        if self.automated {
            m.insert(
                "automated".into(),
                json!({"prune": self.prune, "selfHeal": self.self_heal}),
            );
        }
        if create_namespace {
            m.insert("syncOptions".into(), json!(["CreateNamespace=true"]));
        }
        Value::Object(m)
    }

    /// Adds the extra labels and annotations to an object's metadata.
    fn decorate(&self, mut obj: Value) -> Value {
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            for (field, extra) in [("labels", &self.labels), ("annotations", &self.annotations)] {
                if !extra.is_empty() {
                    meta.insert(field.into(), json!(extra));
                }
            }
        }
        obj
    }
}

/// A rendered (cluster, app) and the folder its files are in, relative to the repository.
pub struct Deployed<'a> {
    pub cluster: &'a Cluster,
    pub app: &'a App,
    /// `<output>/<unit dir>`.
    pub path: String,
}

/// Controller files, path (relative to the output root) → object, for every
/// requested controller.
pub fn objects(fleet: &Fleet, deployed: &[Deployed]) -> Result<Vec<(String, Value)>> {
    let p = &fleet.project;
    if p.controllers.is_empty() {
        return Ok(Vec::new());
    }
    for c in &p.controllers {
        if !KNOWN.contains(&c.as_str()) {
            return Err(Error::new(
                ErrorKind::Invalid,
                PROJECT_FILE,
                format!(
                    "controllers: unknown controller '{c}'; use {}",
                    KNOWN.join(", ")
                ),
            ));
        }
    }
    let Some(repo) = &p.repository else {
        return Err(Error::new(
            ErrorKind::Invalid,
            PROJECT_FILE,
            "controllers need `repository: {url: ...}`: the Git URL the controllers read the hydrated tree from",
        ));
    };
    let mut out = Vec::new();
    for controller in &p.controllers {
        for d in deployed {
            if controller == "argocd" && d.cluster.server.is_none() {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    d.cluster.file.clone(),
                    "Argo CD Applications need the cluster's API `server` URL; add `server:` to the cluster file",
                ));
            }
            if controller == "argocd-applicationset" {
                continue;
            }
            let ns = d.app.namespace.clone().unwrap_or_else(|| "default".into());
            let set = resolve(p, d.cluster);
            let (file, obj) = match controller.as_str() {
                "argocd" => (
                    format!("controllers/argocd/{}/{}.yaml", d.cluster.name, d.app.name),
                    json!({
                        "apiVersion": "argoproj.io/v1alpha1",
                        "kind": "Application",
                        "metadata": {"name": format!("{}-{}", d.app.name, d.cluster.name), "namespace": "argocd"},
                        "spec": {
                            "project": set.project,
                            "source": {"repoURL": repo.url, "targetRevision": repo.revision, "path": d.path},
                            "destination": {"server": d.cluster.server, "namespace": ns},
                            "syncPolicy": set.sync_policy(true),
                        },
                    }),
                ),
                "flux" => (
                    format!("controllers/flux/{}/{}.yaml", d.cluster.name, d.app.name),
                    json!({
                        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                        "kind": "Kustomization",
                        "metadata": {"name": d.app.name, "namespace": "flux-system"},
                        "spec": {
                            "interval": set.interval,
                            "path": format!("./{}", d.path),
                            "prune": set.prune,
                            "sourceRef": {"kind": "GitRepository", "name": repo.flux_source},
                            "targetNamespace": ns,
                        },
                    }),
                ),
                _ => (
                    format!("controllers/kapp/{}/{}.yaml", d.cluster.name, d.app.name),
                    json!({
                        "apiVersion": "kappctrl.k14s.io/v1alpha1",
                        "kind": "App",
                        "metadata": {"name": format!("{}-{}", d.app.name, d.cluster.name), "namespace": "kapp-controller"},
                        "spec": {
                            "cluster": {
                                "namespace": ns,
                                "kubeconfigSecretRef": {"name": set.secret_name, "key": set.secret_key},
                            },
                            "fetch": [{"git": {"url": repo.url, "ref": format!("origin/{}", repo.revision), "subPath": d.path}}],
                            "template": [{"ytt": {}}],
                            "deploy": [{"kapp": {}}],
                        },
                    }),
                ),
            };
            out.push((file, set.decorate(obj)));
        }
    }
    if p.controllers.iter().any(|c| c == "argocd-applicationset") {
        out.extend(application_sets(fleet, deployed, repo)?);
    }
    if p.controllers.iter().any(|c| c == "argocd") {
        let mut clusters: Vec<&Cluster> = deployed.iter().map(|d| d.cluster).collect();
        clusters.sort_by(|a, b| a.name.cmp(&b.name));
        clusters.dedup_by(|a, b| a.name == b.name);
        let output = p.output.trim_end_matches('/');
        for c in clusters {
            // The app of apps runs in the management cluster's Argo CD and syncs the
            // cluster's Applications folder (it carries the extra labels, not the
            // project and sync policy, which are the Applications' own).
            let set = resolve(p, c);
            out.push((
                format!("controllers/argocd/{}.yaml", c.name),
                json!({
                    "apiVersion": "argoproj.io/v1alpha1",
                    "kind": "Application",
                    "metadata": {"name": format!("{}-apps", c.name), "namespace": "argocd"},
                    "spec": {
                        "project": "default",
                        "source": {"repoURL": repo.url, "targetRevision": repo.revision, "path": format!("{output}/controllers/argocd/{}", c.name)},
                        "destination": {"server": "https://kubernetes.default.svc", "namespace": "argocd"},
                        "syncPolicy": {"automated": {"prune": true, "selfHeal": true}},
                    },
                }),
            ));
            if let Some((_, obj)) = out.last_mut() {
                *obj = set.decorate(obj.take());
            }
        }
    }
    Ok(out)
}

/// One ApplicationSet per app, with a list generator over its clusters. Clusters
/// whose sync policy or extra labels differ go to separate sets (`<app>-1`,
/// `<app>-2`, in the order of their first cluster), as a set has one template.
fn application_sets(
    fleet: &Fleet,
    deployed: &[Deployed],
    repo: &crate::fleet::Repository,
) -> Result<Vec<(String, Value)>> {
    let p = &fleet.project;
    let mut by_app: BTreeMap<&str, Vec<&Deployed>> = BTreeMap::new();
    for d in deployed {
        by_app.entry(d.app.name.as_str()).or_default().push(d);
    }
    let mut out = Vec::new();
    for (app, list) in by_app {
        // Groups in the order of their first cluster.
        let mut groups: Vec<(Resolved, Vec<Value>)> = Vec::new();
        for d in list {
            let Some(server) = &d.cluster.server else {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    d.cluster.file.clone(),
                    "Argo CD ApplicationSets need the cluster's API `server` URL; add `server:` to the cluster file",
                ));
            };
            let set = resolve(p, d.cluster);
            let element = json!({
                "cluster": d.cluster.name,
                "server": server,
                "path": d.path,
                "namespace": d.app.namespace.clone().unwrap_or_else(|| "default".into()),
                "project": set.project,
            });
            // What the set's one template and metadata hold; the rest is per element
            // or not Argo CD's.
            let key = Resolved {
                project: String::new(),
                interval: String::new(),
                secret_name: String::new(),
                secret_key: String::new(),
                ..set
            };
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, elements)) => elements.push(element),
                None => groups.push((key, vec![element])),
            }
        }
        let n = groups.len();
        for (i, (set, elements)) in groups.into_iter().enumerate() {
            let name = if n == 1 {
                app.to_string()
            } else {
                format!("{app}-{}", i + 1)
            };
            let obj = json!({
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "ApplicationSet",
                "metadata": {"name": name, "namespace": "argocd"},
                "spec": {
                    "generators": [{"list": {"elements": elements}}],
                    "template": {
                        "metadata": {"name": format!("{app}-{{{{cluster}}}}")},
                        "spec": {
                            "project": "{{project}}",
                            "source": {"repoURL": repo.url, "targetRevision": repo.revision, "path": "{{path}}"},
                            "destination": {"server": "{{server}}", "namespace": "{{namespace}}"},
                            "syncPolicy": set.sync_policy(true),
                        },
                    },
                },
            });
            out.push((
                format!("controllers/argocd-applicationset/{name}.yaml"),
                set.decorate(obj),
            ));
        }
    }
    Ok(out)
}
