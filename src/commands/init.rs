//! `strata init`: a small working fleet to start from.

use crate::cli::InitArgs;
use crate::commands::CommandError;

/// The files of the starter fleet: two environments, one app from plain kustomize.
const FILES: &[(&str, &str)] = &[
    ("strata.yaml", "# strata project settings: see the README.\noutput: rendered\nlayout: \"apps/{env}/{cluster}/{app}\"\nlayers: [env, region, tenant, cluster]\n"),
    ("clusters/dev-eu-1.yaml", "name: dev-eu-1\nenv: dev\nregion: eu\nlabels: {tier: bronze}\nserver: https://dev-eu-1.example.internal\nvalues:\n  ingressDomain: dev.eu.example.com\n"),
    ("clusters/prod-eu-1.yaml", "name: prod-eu-1\nenv: prod\nregion: eu\nlabels: {tier: gold}\nserver: https://prod-eu-1.example.internal\nvalues:\n  ingressDomain: eu.example.com\n"),
    ("apps/hello/app.yaml", "name: hello\nnamespace: hello\nsource: kustomize\n"),
    ("apps/hello/base/kustomization.yaml", "resources:\n- deployment.yaml\n- service.yaml\nlabels:\n- pairs: {app.kubernetes.io/name: hello}\n  includeSelectors: true\n"),
    ("apps/hello/base/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: hello\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: hello\n        image: ghcr.io/acme/hello:1.0.0\n        ports:\n        - containerPort: 8080\n        resources:\n          requests: {cpu: 50m, memory: 64Mi}\n          limits: {memory: 128Mi}\n"),
    ("apps/hello/base/service.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: hello\nspec:\n  ports:\n  - port: 80\n    targetPort: 8080\n"),
    ("apps/hello/env/prod.yaml", "# Applied to every prod cluster, after the base.\nreplicas:\n- name: hello\n  count: 3\nimages:\n- name: ghcr.io/acme/hello\n  newTag: \"1.0.0\"\n"),
    ("apps/hello/cluster/dev-eu-1.yaml", "# Applied to dev-eu-1 only. Layer files are templates: they may use cluster.name, cluster.values.*.\ncommonAnnotations:\n  example.com/ingress-domain: \"{{cluster.values.ingressDomain}}\"\n"),
];

pub fn run(args: &InitArgs) -> Result<u8, CommandError> {
    let dir = &args.dir;
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(format!(
            "{}: not empty; strata init writes only into an empty or new folder",
            dir.display()
        )
        .into());
    }
    for (path, text) in FILES {
        let p = dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, text)?;
    }
    println!(
        "created a fleet in {} ({} files); next: cd {} && strata ls && strata render",
        dir.display(),
        FILES.len(),
        dir.display()
    );
    Ok(0)
}
