//! One module per subcommand; each does its I/O and returns the exit code.

pub mod bookkeeping;
pub mod build;
pub mod compare;
pub mod diff;
pub mod explain;
pub mod fleet;
pub mod init;
pub mod ls;
pub mod outdir;
pub mod promote;
pub mod render;
pub mod stdout;
pub mod template;
pub mod tree;
pub mod validate;

use crate::cli::{Cli, Command};

/// A command's failure: printed as `error: ...`, exit code 2.
pub type CommandError = Box<dyn std::error::Error>;

/// Writes `text` to stdout; a reader that went away (`| head`) is not an error.
pub fn print_stdout(text: &str) -> Result<(), CommandError> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> Result<u8, CommandError> {
    match cli.command {
        Command::Build(args) => build::run(&args),
        Command::Render(args) => render::run(&args),
        Command::Ls(args) => ls::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Promote(args) => promote::run(&args),
        Command::Template(args) => template::run(&args),
    }
}
