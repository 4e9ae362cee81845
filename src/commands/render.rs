//! `strata render`: the fleet into the hydrated tree, or `--check` against it.

use crate::cli::RenderArgs;
use crate::commands::outdir::OutDir;
use crate::commands::{fleet, tree, CommandError};
use crate::fleet::render;
use std::io::IsTerminal;
use std::sync::Arc;

pub fn run(args: &RenderArgs) -> Result<u8, CommandError> {
    if args.stdout {
        return super::stdout::run(args);
    }
    let (root, fs, fleet) = fleet::open(&args.selection)?;
    fleet::refuse_lint(&fleet, args.strict)?;
    // `fleet::load` checked that `output` is a folder inside the repository.
    let out = OutDir::new(&root, &fleet.project.output);
    let mut opts = fleet::options(&args.selection)?;
    for s in &args.set {
        opts.set
            .extend(crate::fleet::values::parse_set(s).map_err(|e| e.to_string())?);
    }
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    if show_progress {
        opts.progress = Some(Arc::new(|done, total| {
            if total >= 50 && (done % 10 == 0 || done == total) {
                eprint!("\r\x1b[2Krendering {done}/{total}");
                if done == total {
                    eprint!("\r\x1b[2K");
                }
            }
        }));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()?;
    let tree = pool.install(|| render::render(&fs, &fleet, &opts))?;
    if !args.quiet {
        for w in &tree.warnings {
            eprintln!("{w}");
        }
    }
    let out_name = out.shown().to_string();
    if args.check {
        let partial = opts.clusters.is_some() || opts.apps.is_some() || opts.shard.is_some();
        let tree = if partial {
            tree::keep_unselected(&out, tree)?
        } else {
            tree
        };
        let s = tree::check(&out, &tree)?;
        if s.is_clean() {
            if !args.quiet {
                println!(
                    "{out_name}: up to date ({} files, {} renders)",
                    tree.files.len(),
                    renders(&tree)
                );
            }
            return Ok(0);
        }
        for (label, list) in [
            ("stale", &s.stale),
            ("missing", &s.missing),
            ("extra", &s.extra),
            ("link", &s.links),
        ] {
            for p in list {
                println!("{label}: {out_name}/{p}");
            }
        }
        if !s.links.is_empty() {
            eprintln!(
                "{out_name} holds {} symbolic link(s), which strata never writes or reads through; remove them (git rm)",
                s.links.len()
            );
        }
        eprintln!(
            "{out_name} is out of date: {} stale, {} missing, {} extra; run `strata render` and commit the result",
            s.stale.len(),
            s.missing.len(),
            s.extra.len()
        );
        return Ok(1);
    }
    let partial = opts.clusters.is_some() || opts.apps.is_some() || opts.shard.is_some();
    let tree = if partial {
        tree::keep_unselected(&out, tree)?
    } else {
        tree
    };
    let summary = tree::write(&out, &tree)?;
    if !args.quiet {
        println!(
            "{out_name}: {} renders, {} files ({} written, {} unchanged, {} removed)",
            renders(&tree),
            tree.files.len(),
            summary.written,
            summary.unchanged,
            summary.removed
        );
    }
    Ok(0)
}

/// The (cluster, app) pairs or targets rendered now: not the controller objects, not
/// the units a partial render kept as they were.
fn renders(tree: &crate::fleet::render::HydratedTree) -> usize {
    tree.units.iter().filter(|u| !u.app.is_empty()).count()
}
