use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = strata::cli::Cli::parse();
    match strata::commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(2)
        }
    }
}
