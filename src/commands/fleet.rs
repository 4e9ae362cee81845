//! Opening the fleet for a command: its root, its files, the selection options.

use crate::cli::Selection;
use crate::commands::CommandError;
use crate::fleet::render::RenderOptions;
use crate::fleet::{self, Fleet, PROJECT_FILE};
use crate::kustomize::DiskFs;
use std::path::PathBuf;

/// The fleet root: `--root`, else the nearest folder upwards with a strata.yaml.
pub fn find_root(sel: &Selection) -> Result<PathBuf, CommandError> {
    if let Some(r) = &sel.root {
        return Ok(r.clone());
    }
    let cwd = std::env::current_dir()?;
    for dir in cwd.ancestors() {
        if dir.join(PROJECT_FILE).is_file() {
            return Ok(dir.to_path_buf());
        }
    }
    Err(format!(
        "no {PROJECT_FILE} in {} or any parent; run strata from the fleet's root, pass --root DIR, or create a fleet with `strata init`",
        cwd.display()
    )
    .into())
}

/// The fleet's file view and its parsed files.
pub fn open(sel: &Selection) -> Result<(PathBuf, DiskFs, Fleet), CommandError> {
    let root = find_root(sel)?;
    let fs = DiskFs::new(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    let fleet = fleet::load(&fs)?;
    Ok((root, fs, fleet))
}

/// Like [`open`], for a command that uses the fleet's settings and does not render it
/// (see [`fleet::load_any`]).
pub fn open_any(sel: &Selection) -> Result<(PathBuf, DiskFs, Fleet), CommandError> {
    let root = find_root(sel)?;
    let fs = DiskFs::new(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    let fleet = fleet::load_any(&fs)?;
    Ok((root, fs, fleet))
}

/// With `--strict`, what the fleet warns about (files that apply to nothing) is an
/// error: every one is printed, the last is the command's error (exit 2).
pub fn refuse_lint(fleet: &Fleet, strict: bool) -> Result<(), CommandError> {
    let Some((last, others)) = fleet.lint.split_last().filter(|_| strict) else {
        return Ok(());
    };
    for e in others {
        eprintln!("error: {e} (--strict)");
    }
    let mut last = last.clone();
    last.message.push_str(" (--strict)");
    Err(last.into())
}

fn glob(
    pattern: &Option<String>,
    what: &str,
) -> Result<Option<globset::GlobMatcher>, CommandError> {
    match pattern {
        None => Ok(None),
        Some(p) => Ok(Some(
            globset::Glob::new(p)
                .map_err(|e| format!("--{what} '{p}': not a valid glob ({e})"))?
                .compile_matcher(),
        )),
    }
}

/// `--shard I/N` (1-based on the command line) as a 0-based (index, count).
pub fn parse_shard(s: &str) -> Result<(usize, usize), CommandError> {
    let bad = || format!("--shard '{s}': expected I/N with 1 ≤ I ≤ N, e.g. --shard 2/4");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if n == 0 || i == 0 || i > n {
        return Err(bad().into());
    }
    Ok((i - 1, n))
}

/// Render options from the selection flags.
pub fn options(sel: &Selection) -> Result<RenderOptions, CommandError> {
    Ok(RenderOptions {
        clusters: glob(&sel.cluster, "cluster")?,
        apps: glob(&sel.app, "app")?,
        set: Vec::new(),
        shard: sel.shard.as_deref().map(parse_shard).transpose()?,
        progress: None,
        keep_resources: false,
        previous: None,
    })
}
