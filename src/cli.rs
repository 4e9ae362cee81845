//! Command-line arguments (clap derive types only).

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Render multi-cluster GitOps repositories.
#[derive(Debug, Parser)]
#[command(name = "strata", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build one kustomization to stdout, as `kustomize build DIR` does.
    Build(BuildArgs),
}

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The directory holding kustomization.yaml (default: the current directory).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Write the output to this file instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}
