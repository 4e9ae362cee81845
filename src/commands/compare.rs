//! `strata compare`: pick the clusters, render the app on each in memory, print
//! the fields that differ (or write the HTML page).

use crate::cli::{CompareArgs, Selection};
use crate::commands::{fleet, CommandError};
use crate::compare::{self, Column, Options};
use crate::fleet::render::{render_pair, RenderOptions};
use crate::fleet::{Cluster, Fleet};
use rayon::prelude::*;

pub fn run(args: &CompareArgs) -> Result<u8, CommandError> {
    let (_root, fs, fleet) = fleet::open(&Selection {
        root: args.root.clone(),
        cluster: None,
        app: None,
        shard: None,
    })?;
    let app = fleet
        .apps
        .iter()
        .find(|a| a.name == args.app)
        .ok_or_else(|| {
            format!(
                "no app '{}' in {}/ (apps: {}); pass one of them to --app",
                args.app,
                fleet.project.paths.apps,
                names(fleet.apps.iter().map(|a| a.name.as_str()))
            )
        })?;
    let deployed: Vec<&Cluster> = fleet
        .pairs()
        .into_iter()
        .filter(|(_, a)| a.name == app.name)
        .map(|(c, _)| c)
        .collect();
    let (chosen, selection) = choose(args, &fleet, &deployed)?;
    if chosen.len() < 2 {
        return Err(format!(
            "compare needs at least two clusters, and {} selected {}; app {} is deployed to: {}; name two or more with --clusters or --envs",
            if args.clusters.is_empty() && args.envs.is_empty() {
                "the app's selector".to_string()
            } else {
                "the command line".to_string()
            },
            names(chosen.iter().map(|c| c.name.as_str())),
            app.name,
            names(deployed.iter().map(|c| c.name.as_str()))
        )
        .into());
    }

    // Provenance (which file set each value) goes into the page's tooltips.
    let opts = RenderOptions {
        keep_resources: true,
        ..Default::default()
    };
    let rendered: Vec<_> = chosen
        .par_iter()
        .map(|c| {
            let mut warnings = Vec::new();
            render_pair(&fs, &fleet, c, app, &opts, &mut warnings).map(|r| (r, warnings))
        })
        .collect();
    let mut columns = Vec::new();
    let mut warnings: Vec<String> = fleet.warnings.clone();
    for (c, r) in chosen.iter().zip(rendered) {
        let (resources, w) = r?;
        for w in w {
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
        columns.push(Column {
            cluster: c.name.clone(),
            env: c.env.clone(),
            resources,
        });
    }
    for w in &warnings {
        eprintln!("{w}");
    }
    let c = compare::compare(
        &app.name,
        columns,
        &Options {
            show_secrets: args.show_secrets,
            selection,
        },
    );
    if let Some(path) = &args.html {
        std::fs::write(path, compare::html::html(&c))
            .map_err(|e| format!("{}: cannot write the page: {e}", path.display()))?;
        println!(
            "wrote {}: {} differing fields across {} clusters",
            path.display(),
            c.rows.len(),
            c.clusters.len()
        );
        return Ok(0);
    }
    let out = match args.format.as_str() {
        "markdown" => compare::table::markdown(&c, args.width),
        "json" => compare::json::json(&c),
        _ => compare::table::text(&c, args.width),
    };
    print!("{out}");
    Ok(0)
}

/// The clusters to compare, in column order, and one sentence on how they were chosen.
fn choose<'f>(
    args: &CompareArgs,
    fleet: &'f Fleet,
    deployed: &[&'f Cluster],
) -> Result<(Vec<&'f Cluster>, String), CommandError> {
    let app = &args.app;
    let mut chosen: Vec<&Cluster> = Vec::new();
    let mut add = |c: &'f Cluster| {
        if !chosen.iter().any(|x| x.name == c.name) {
            chosen.push(c);
        }
    };
    if !args.clusters.is_empty() {
        for name in &args.clusters {
            let Some(c) = fleet.clusters.iter().find(|c| &c.name == name) else {
                return Err(format!(
                    "--clusters: no cluster '{name}' in {}/ (clusters: {})",
                    fleet.project.paths.clusters,
                    names(fleet.clusters.iter().map(|c| c.name.as_str()))
                )
                .into());
            };
            if !deployed.iter().any(|d| d.name == c.name) {
                return Err(format!(
                    "--clusters: app {app} is not deployed to cluster '{name}' (its selector in {} picks: {})",
                    fleet.apps.iter().find(|a| &a.name == app).map_or("", |a| a.file.as_str()),
                    names(deployed.iter().map(|c| c.name.as_str()))
                )
                .into());
            }
            add(c);
        }
        return Ok((chosen, String::new()));
    }
    if !args.envs.is_empty() {
        for env in &args.envs {
            if !fleet.clusters.iter().any(|c| &c.env == env) {
                let mut envs: Vec<&str> = fleet.clusters.iter().map(|c| c.env.as_str()).collect();
                envs.sort_unstable();
                envs.dedup();
                return Err(format!(
                    "--envs: no cluster has env '{env}' (envs: {})",
                    names(envs.into_iter())
                )
                .into());
            }
            // `deployed` is in cluster name order, so the first is the first by name.
            let in_env: Vec<&&Cluster> = deployed.iter().filter(|c| &c.env == env).collect();
            if in_env.is_empty() {
                let mut envs: Vec<&str> = deployed.iter().map(|c| c.env.as_str()).collect();
                envs.sort_unstable();
                envs.dedup();
                return Err(format!(
                    "--envs: app {app} is deployed to no cluster of env '{env}' (its envs: {})",
                    names(envs.into_iter())
                )
                .into());
            }
            if args.all_clusters {
                in_env.into_iter().for_each(|c| add(c));
            } else {
                add(in_env[0]);
            }
        }
        let how = if args.all_clusters {
            "every cluster of each env".to_string()
        } else {
            "one cluster per env, the first by name; --all-clusters compares every cluster"
                .to_string()
        };
        return Ok((chosen, how));
    }
    deployed.iter().for_each(|c| add(c));
    Ok((chosen, format!("every cluster app {app} is deployed to")))
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = it.collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}
