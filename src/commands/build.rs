//! `strata build DIR`: one kustomization to stdout.

use crate::cli::BuildArgs;
use crate::commands::CommandError;
use crate::kustomize::{self, DiskFs};
use std::path::Path;

pub fn run(args: &BuildArgs) -> Result<u8, CommandError> {
    let (fs, dir) = open_root(&args.dir)?;
    let out = kustomize::build::build_with_helm(&fs, &dir, false, args.enable_helm)
        .map_err(|e| relative_to_cwd(e, fs.root()))?;
    for w in &out.warnings {
        eprintln!("{w}");
    }
    let text = out.to_yaml();
    match &args.output {
        Some(path) => std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?,
        None => super::print_stdout(&text)?,
    }
    Ok(0)
}

/// The file-system root for a build of `dir`: the enclosing git work tree, else the
/// current directory when `dir` is inside it (so `../base` stays reachable), else
/// `dir` itself. Returns the root and `dir` relative to it.
pub fn open_root(dir: &Path) -> Result<(DiskFs, String), CommandError> {
    let real = dir.canonicalize().map_err(|e| {
        format!(
            "{}: {e}; give the directory that holds kustomization.yaml",
            dir.display()
        )
    })?;
    if !real.is_dir() {
        return Err(format!(
            "{}: not a directory; give the directory that holds kustomization.yaml",
            dir.display()
        )
        .into());
    }
    let cwd = std::env::current_dir()?.canonicalize()?;
    let git_root = real
        .ancestors()
        .find(|a| a.join(".git").exists())
        .map(Path::to_path_buf);
    let root = match git_root {
        Some(g) => g,
        None if real.starts_with(&cwd) => cwd,
        None => real.clone(),
    };
    let rel = real
        .strip_prefix(&root)
        .unwrap_or(Path::new(""))
        .to_string_lossy()
        .replace('\\', "/");
    Ok((DiskFs::new(&root)?, rel))
}

/// Names the file in an error as the user would from where they stand: relative to
/// the current directory when it is below it, else as a full path.
pub fn relative_to_cwd(mut e: crate::Error, root: &Path) -> crate::Error {
    if e.file.is_empty() {
        return e;
    }
    let full = root.join(&e.file);
    let cwd = std::env::current_dir()
        .and_then(|c| c.canonicalize())
        .unwrap_or_default();
    let full: std::path::PathBuf = full
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    e.file = match full.strip_prefix(&cwd) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Ok(rel) => rel.to_string_lossy().into_owned(),
        Err(_) => full.to_string_lossy().into_owned(),
    };
    e
}
