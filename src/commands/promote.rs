//! `strata promote`: edit the target's layer file so it runs the source's images.

use crate::cli::{Cli, Command, PromoteArgs, Selection};
use crate::commands::{fleet, CommandError};
use crate::diff::{self, format, DiffOptions, Tree};
use crate::fleet::promote::{self, Edited, Request};
use crate::fleet::render::{self, RenderOptions};
use crate::kustomize::fs::FileSystem;
use clap::Parser;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::Path;

pub fn run(args: &PromoteArgs) -> Result<u8, CommandError> {
    let sel = Selection {
        root: args.root.clone(),
        cluster: None,
        app: None,
        shard: None,
    };
    let (root, fs, fleet) = fleet::open(&sel)?;
    let req = Request {
        app: args.app.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
        values: args.values.clone(),
    };
    let plan = promote::plan(&fs, &fleet, &req)?;
    let mut out = String::new();
    if plan.is_empty() {
        out.push_str(&format!(
            "nothing to promote: {} on {} already runs what {} runs\n",
            args.app,
            plan.to_clusters.join(", "),
            plan.from_cluster
        ));
        std::io::stdout().lock().write_all(out.as_bytes())?;
        return Ok(if args.exit_code { 1 } else { 0 });
    }
    out.push_str(&format!(
        "promote {}: {} -> {} ({})\n",
        args.app,
        plan.from_cluster,
        args.to,
        plan.to_clusters.join(", ")
    ));
    for c in &plan.changes {
        out.push_str(&format!("  {}: {} -> {}\n", c.what, c.from, c.to));
    }
    let before = plan.before.as_deref().unwrap_or("");
    let verb = if plan.before.is_some() {
        "edit"
    } else {
        "create"
    };
    out.push_str(&format!(
        "\n{verb} {}:\n--- a/{0}\n+++ b/{0}\n{}",
        plan.file,
        crate::diff::fields::unified(before, &plan.after, 2)
    ));
    // The rendered diff the edit causes, per target cluster.
    let edited = Edited {
        inner: &fs,
        files: BTreeMap::from([(plan.file.clone(), plan.after.clone().into_bytes())]),
    };
    let clusters = cluster_glob(&plan.to_clusters)?;
    let opts = RenderOptions {
        clusters: Some(clusters.clone()),
        apps: Some(globset::Glob::new(&globset::escape(&args.app))?.compile_matcher()),
        ..Default::default()
    };
    let old = tree_of(&fs, &fleet, &opts)?;
    let new = tree_of(&edited, &fleet, &opts)?;
    let report = diff::diff_trees(
        &old,
        &new,
        &DiffOptions {
            layout: Some(fleet.project.layout.clone()),
            ..Default::default()
        },
    )?;
    let color = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    out.push('\n');
    out.push_str(&format::text::render(&report, color));
    if args.dry_run {
        out.push_str("\n(dry run: nothing written)\n");
        std::io::stdout().lock().write_all(out.as_bytes())?;
        return Ok(0);
    }
    write_file(&root, &plan.file, &plan.after)?;
    out.push_str(&format!("\nwrote {}\n", plan.file));
    std::io::stdout().lock().write_all(out.as_bytes())?;
    std::io::stdout().lock().flush()?;
    if args.render {
        let glob = format!(
            "{{{}}}",
            plan.to_clusters
                .iter()
                .map(|c| globset::escape(c))
                .collect::<Vec<_>>()
                .join(",")
        );
        let cli = Cli::try_parse_from([
            "strata".as_ref(),
            "render".as_ref(),
            "--root".as_ref(),
            root.as_os_str(),
            "--cluster".as_ref(),
            glob.as_ref(),
            "--app".as_ref(),
            globset::escape(&args.app).as_ref(),
        ])?;
        if let Command::Render(r) = cli.command {
            return super::render::run(&r);
        }
    }
    Ok(0)
}

fn cluster_glob(names: &[String]) -> Result<globset::GlobMatcher, CommandError> {
    let alts: Vec<String> = names.iter().map(|c| globset::escape(c)).collect();
    Ok(globset::Glob::new(&format!("{{{}}}", alts.join(",")))?.compile_matcher())
}

fn tree_of(
    fs: &dyn FileSystem,
    fleet: &crate::fleet::Fleet,
    opts: &RenderOptions,
) -> Result<Tree, CommandError> {
    let t = render::render(fs, fleet, opts)?;
    Ok(Tree {
        root: String::new(),
        files: t
            .files
            .into_iter()
            .filter(|(p, _)| !p.starts_with("controllers/"))
            .map(|(p, c)| (p, c.as_bytes().to_vec()))
            .collect(),
    })
}

/// Writes the layer file beside itself and renames it into place; never through a
/// symbolic link, never outside the root.
fn write_file(root: &Path, rel: &str, text: &str) -> Result<(), CommandError> {
    if rel.split('/').any(|c| c == ".." || c.is_empty()) {
        return Err(format!("{rel}: not a path inside the repository").into());
    }
    let path = root.join(rel);
    let mut dir = root.to_path_buf();
    for c in Path::new(rel)
        .parent()
        .into_iter()
        .flat_map(|p| p.components())
    {
        dir.push(c);
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!(
                    "{}: a symbolic link; promote does not write through links",
                    dir.display()
                )
                .into())
            }
            Ok(_) => {}
            Err(_) => std::fs::create_dir(&dir)?,
        }
    }
    if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(format!("{rel}: a symbolic link; promote does not write through links").into());
    }
    let tmp = path.with_extension("yaml.strata-tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    Ok(())
}
