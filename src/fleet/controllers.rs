//! GitOps controller objects that point at the hydrated tree: an Argo CD
//! `Application` per (cluster, app) gathered by an app-of-apps per cluster, Flux
//! `Kustomization`s, kapp-controller `App`s.
//!
//! They live under `<output>/controllers/<controller>/<cluster>/`, so each cluster's
//! controller is bootstrapped once from its own folder and picks up new apps from it.

use crate::error::{Error, ErrorKind, Result};
use crate::fleet::{App, Cluster, Fleet, PROJECT_FILE};
use serde_json::{json, Value};

/// The controllers strata can emit objects for.
pub const KNOWN: [&str; 3] = ["argocd", "flux", "kapp"];

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
            let ns = d.app.namespace.clone().unwrap_or_else(|| "default".into());
            let (file, obj) = match controller.as_str() {
                "argocd" => (
                    format!("controllers/argocd/{}/{}.yaml", d.cluster.name, d.app.name),
                    json!({
                        "apiVersion": "argoproj.io/v1alpha1",
                        "kind": "Application",
                        "metadata": {"name": format!("{}-{}", d.app.name, d.cluster.name), "namespace": "argocd"},
                        "spec": {
                            "project": "default",
                            "source": {"repoURL": repo.url, "targetRevision": repo.revision, "path": d.path},
                            "destination": {"server": d.cluster.server, "namespace": ns},
                            "syncPolicy": {"automated": {"prune": true, "selfHeal": true}, "syncOptions": ["CreateNamespace=true"]},
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
                            "interval": "10m",
                            "path": format!("./{}", d.path),
                            "prune": true,
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
                                "kubeconfigSecretRef": {"name": format!("{}-kubeconfig", d.cluster.name), "key": "value"},
                            },
                            "fetch": [{"git": {"url": repo.url, "ref": format!("origin/{}", repo.revision), "subPath": d.path}}],
                            "template": [{"ytt": {}}],
                            "deploy": [{"kapp": {}}],
                        },
                    }),
                ),
            };
            out.push((file, obj));
        }
    }
    if p.controllers.iter().any(|c| c == "argocd") {
        let mut clusters: Vec<&Cluster> = deployed.iter().map(|d| d.cluster).collect();
        clusters.sort_by(|a, b| a.name.cmp(&b.name));
        clusters.dedup_by(|a, b| a.name == b.name);
        let output = p.output.trim_end_matches('/');
        for c in clusters {
            // The app of apps runs in the management cluster's Argo CD and syncs the
            // cluster's Applications folder.
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
        }
    }
    Ok(out)
}
