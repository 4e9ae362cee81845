//! `strata ls`: the cluster × app matrix render would produce.

use crate::cli::LsArgs;
use crate::commands::{fleet, CommandError};
use crate::fleet::layout;

pub fn run(args: &LsArgs) -> Result<u8, CommandError> {
    let (_root, _fs, fleet) = fleet::open(&args.selection)?;
    let opts = fleet::options(&args.selection)?;
    let pairs: Vec<_> = fleet
        .pairs()
        .into_iter()
        .filter(|(c, a)| opts.selects(&c.name, &a.name))
        .collect();
    if args.format == "json" {
        let mut rows = Vec::new();
        for (c, a) in &pairs {
            let dir = layout::unit_dir(&fleet.project.layout, c, &a.name)?;
            rows.push(serde_json::json!({
                "cluster": c.name, "env": c.env, "region": c.region, "tenant": c.tenant,
                "app": a.name, "path": format!("{}/{dir}", fleet.project.output.trim_end_matches('/')),
            }));
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "pairs": rows }))?
        );
        return Ok(0);
    }
    let apps: Vec<&str> = fleet
        .apps
        .iter()
        .map(|a| a.name.as_str())
        .filter(|a| pairs.iter().any(|(_, pa)| pa.name == *a))
        .collect();
    let clusters: Vec<_> = fleet
        .clusters
        .iter()
        .filter(|c| pairs.iter().any(|(pc, _)| pc.name == c.name))
        .collect();
    let w = clusters
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let mut header = format!("{:<w$}  {:<8}", "CLUSTER", "ENV");
    for a in &apps {
        header.push_str(&format!("  {a}"));
    }
    println!("{}", header.trim_end());
    for c in clusters {
        let mut line = format!("{:<w$}  {:<8}", c.name, c.env);
        for a in &apps {
            let mark = if pairs
                .iter()
                .any(|(pc, pa)| pc.name == c.name && pa.name == *a)
            {
                "x"
            } else {
                "-"
            };
            line.push_str(&format!("  {mark:<width$}", width = a.len()));
        }
        println!("{}", line.trim_end());
    }
    println!(
        "{} clusters, {} apps, {} renders",
        fleet.clusters.len(),
        fleet.apps.len(),
        pairs.len()
    );
    for w in &fleet.warnings {
        eprintln!("{w}");
    }
    Ok(0)
}
