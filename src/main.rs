use clap::Parser;
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    strata::allocator::keep_freed_memory();
    let cli = strata::cli::Cli::parse();
    let code = strata::threads::run(|| match strata::commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            2
        }
    });
    ExitCode::from(code.unwrap_or_else(|err| {
        eprintln!("error: cannot start a thread to run on: {err}");
        2
    }))
}
