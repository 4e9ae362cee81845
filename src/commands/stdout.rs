//! `strata render --stdout`: one unit (a cluster's app, or one target) as one YAML
//! stream, for piping into `kubectl diff -f -`; nothing is written.

use crate::cli::RenderArgs;
use crate::commands::{fleet, CommandError};
use crate::fleet::render;
use std::io::Write;

pub fn run(args: &RenderArgs) -> Result<u8, CommandError> {
    let (_root, fs, fleet) = fleet::open(&args.selection)?;
    if args.selection.app.is_none() {
        return Err("render --stdout prints one unit: give --app APP (and --cluster CLUSTER for a fleet app)".into());
    }
    let mut opts = fleet::options(&args.selection)?;
    for s in &args.set {
        opts.set
            .extend(crate::fleet::values::parse_set(s).map_err(CommandError::from)?);
    }
    let pool = crate::threads::pool(args.jobs)?;
    let tree = pool.install(|| render::render(&fs, &fleet, &opts))?;
    let units: Vec<&render::Unit> = tree.units.iter().filter(|u| !u.app.is_empty()).collect();
    let unit = match units.as_slice() {
        [one] => *one,
        [] => {
            return Err(format!(
                "render --stdout: --cluster/--app select no unit; `strata ls` lists the clusters and apps{}",
                targets_hint(&fleet)
            )
            .into())
        }
        many => {
            let names: Vec<String> = many.iter().map(|u| unit_name(u)).collect();
            return Err(format!(
                "render --stdout prints one unit, but the selection matches {}: {}; narrow --cluster and --app",
                many.len(),
                names.join(", ")
            )
            .into());
        }
    };
    if !args.quiet {
        for w in &tree.warnings {
            eprintln!("{w}");
        }
    }
    let mut out = String::new();
    for f in &unit.files {
        if !out.is_empty() {
            out.push_str("---\n");
        }
        out.push_str(&tree.files[f]);
    }
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(0)
}

fn unit_name(u: &render::Unit) -> String {
    if u.cluster.is_empty() {
        u.app.clone()
    } else {
        format!("{}/{}", u.cluster, u.app)
    }
}

fn targets_hint(fleet: &crate::fleet::Fleet) -> String {
    if fleet.project.targets.is_empty() {
        String::new()
    } else {
        format!(" (targets: {})", fleet.project.targets.join(", "))
    }
}
