//! Where rendered resources go in the hydrated tree: the folder of each
//! (cluster, app) from the layout, and one file per resource inside it.

use crate::fleet::paths::{self, sanitize_segment};
use crate::fleet::Cluster;
use crate::kustomize::resource::Resource;
use std::collections::BTreeMap;

/// Expands a layout (`apps/{env}/{cluster}/{app}`) for one cluster and app.
/// Fails, naming the placeholder, when the cluster has no value for it.
pub fn unit_dir(layout: &str, cluster: &Cluster, app: &str) -> Result<String, String> {
    let mut out = String::with_capacity(layout.len() + 32);
    let mut rest = layout;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = start + rest[start..].find('}').ok_or("unclosed `{` in layout")?;
        let name = &rest[start + 1..end];
        let value = match name {
            "app" => Some(app),
            "cluster" => Some(cluster.name.as_str()),
            other => cluster.attribute(other),
        };
        match value {
            // Checked when the cluster file is read (with its line); again here, so
            // no caller can expand a layout out of the output folder.
            Some(v) if !v.is_empty() => {
                if let Some(why) = paths::segment_problem(v) {
                    return Err(format!(
                        "cluster {}: its {name} '{}' {why}, so it cannot name a folder; fix it in {}",
                        cluster.name,
                        v.escape_debug(),
                        cluster.file
                    ));
                }
                out.push_str(v)
            }
            _ => {
                return Err(format!(
                    "cluster {} has no {name}, which the layout '{layout}' needs; set it in {} or drop {{{name}}} from the layout",
                    cluster.name, cluster.file
                ))
            }
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out.trim_matches('/').to_string())
}

/// File names for resources: `<kind>-<name>.yaml` in lower case; when two would
/// collide, the namespace goes first (`<namespace>_<kind>-<name>.yaml`), and then
/// the API group too.
pub fn file_names(resources: &[Resource]) -> Vec<String> {
    let plain: Vec<String> = resources
        .iter()
        .map(|r| sanitize_segment(&format!("{}-{}.yaml", r.kind(), r.name()).to_lowercase()))
        .collect();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for n in &plain {
        *count.entry(n).or_default() += 1;
    }
    let with_ns: Vec<String> = resources
        .iter()
        .zip(&plain)
        .map(|(r, n)| {
            if count[n.as_str()] > 1 {
                sanitize_segment(&format!("{}_{n}", r.namespace().to_lowercase()))
            } else {
                n.clone()
            }
        })
        .collect();
    let mut count2: BTreeMap<&str, usize> = BTreeMap::new();
    for n in &with_ns {
        *count2.entry(n).or_default() += 1;
    }
    resources
        .iter()
        .zip(&with_ns)
        .map(|(r, n)| {
            if count2[n.as_str()] > 1 {
                let group = r.gvk().group;
                sanitize_segment(&format!(
                    "{}_{n}",
                    if group.is_empty() {
                        "core".to_string()
                    } else {
                        group.to_lowercase()
                    }
                ))
            } else {
                n.clone()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::resource::Origin;
    use serde_json::json;

    fn cluster() -> Cluster {
        Cluster {
            name: "prod-eu-1".into(),
            env: "prod".into(),
            region: Some("eu".into()),
            tenant: None,
            labels: Default::default(),
            server: None,
            values: json!({}),
            file: "clusters/prod-eu-1.yaml".into(),
        }
    }

    fn res(kind: &str, ns: &str, name: &str) -> Resource {
        let doc =
            json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": ns}});
        Resource::new(doc.as_object().unwrap().clone(), Origin::default())
    }

    #[test]
    fn expands_layouts() {
        assert_eq!(
            unit_dir("apps/{env}/{cluster}/{app}", &cluster(), "web").unwrap(),
            "apps/prod/prod-eu-1/web"
        );
        assert_eq!(
            unit_dir("{region}/{cluster}/{app}/", &cluster(), "web").unwrap(),
            "eu/prod-eu-1/web"
        );
        let e = unit_dir("{tenant}/{cluster}/{app}", &cluster(), "web").unwrap_err();
        assert!(e.contains("has no tenant"), "{e}");
        let mut c = cluster();
        c.env = "../../x".into();
        let e = unit_dir("apps/{env}/{cluster}/{app}", &c, "web").unwrap_err();
        assert!(e.contains("env '../../x'"), "{e}");
    }

    #[test]
    fn names_files_and_resolves_collisions() {
        let rs = vec![
            res("Deployment", "a", "web"),
            res("ConfigMap", "a", "web"),
            res("ConfigMap", "b", "web"),
        ];
        assert_eq!(
            file_names(&rs),
            vec![
                "deployment-web.yaml",
                "a_configmap-web.yaml",
                "b_configmap-web.yaml"
            ]
        );
    }
}
