//! `strata template` in process, timed as `scripts/bench-helm.py` times Helm's SDK: the
//! chart loaded from disk and rendered into the stream `strata template` prints, each
//! round in full (every memo forgotten first), the process and its threads' start not
//! counted.
//!
//!     cargo bench --bench helm_render -- ROUNDS RELEASE CHART_DIR [strata template flags...]
//!
//! prints each round's milliseconds, one per line. Without arguments (as
//! `cargo test --all-targets` runs it) it renders a small fixture chart three times and
//! checks that every round printed the same bytes.

use clap::Parser;
use std::process::ExitCode;
use std::time::Instant;
use strata::cli::{Cli, Command, TemplateArgs};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    strata::allocator::keep_freed_memory();
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` adds `--bench` to what it was given.
    let args: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--bench")
        .collect();
    let (rounds, template, print) = match args.split_first() {
        Some((rounds, rest)) => match rounds.parse::<usize>() {
            Ok(n) => (n, rest.to_vec(), true),
            Err(_) => return usage(),
        },
        None => (
            3,
            vec!["rel", "fixtures/helm/podinfo/chart", "-n", "ns"],
            false,
        ),
    };
    let Some(template) = template_args(&template) else {
        return usage();
    };
    let rounds = strata::threads::run(|| {
        (0..rounds)
            .map(|_| {
                strata::memo::forget_all();
                let t = Instant::now();
                let out = strata::commands::template::render_text(&template);
                (
                    t.elapsed(),
                    out.map(|(text, _)| text).map_err(|e| e.to_string()),
                )
            })
            .collect::<Vec<_>>()
    });
    let rounds = match rounds {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start a thread to run on: {e}");
            return ExitCode::from(2);
        }
    };
    let mut first: Option<&String> = None;
    for (took, out) in &rounds {
        let text = match out {
            Ok(text) => text,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        if *first.get_or_insert(text) != text {
            eprintln!("error: a round printed other bytes than the first");
            return ExitCode::from(1);
        }
        if print {
            println!("{:.3}", took.as_secs_f64() * 1000.0);
        }
    }
    ExitCode::SUCCESS
}

fn template_args(args: &[&str]) -> Option<TemplateArgs> {
    let argv = ["strata", "template"]
        .into_iter()
        .chain(args.iter().copied());
    match Cli::try_parse_from(argv).ok()?.command {
        Command::Template(t) => Some(t),
        _ => None,
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: helm_render ROUNDS RELEASE CHART_DIR [strata template flags...]");
    ExitCode::from(2)
}
