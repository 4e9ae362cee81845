//! The conformance-suite runner shared by tests/conformance.rs (fixtures/build),
//! tests/krusty.rs (kustomize's own tests) and tests/corpus.rs (public repositories): each
//! case runs `strata build` once and is compared with what real kustomize v5.5 did.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one `strata build` may run before the case counts as hung.
const TIMEOUT: Duration = Duration::from_secs(60);

/// What a case expects, read from its directory.
enum Expectation {
    /// `expected.yaml`: exit 0 and exactly this stdout.
    Success { stdout: String },
    /// `expected-error`: exit 2, empty stdout, stderr containing every keyword group
    /// (a group is `a|b`: any one alternative suffices).
    Error { keywords: Vec<Vec<String>> },
}

/// The outcome of running the binary once.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    timed_out: bool,
}

/// `fixtures/<name>` in the crate.
pub fn fixtures_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// One case: `strata build ARG` run in `cwd`, expectation files in `expect_dir`.
pub struct Case {
    pub name: String,
    pub cwd: PathBuf,
    pub arg: String,
    pub expect_dir: PathBuf,
}

/// How a suite judges error cases.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Keywords {
    /// `expected-error` must list keywords and strata's stderr must name them.
    Required,
    /// Keywords are checked when listed; without any, both refusing is agreement.
    Optional,
}

/// The cases of a suite whose case folders hold `in/` (fixtures/build, fixtures/krusty).
pub fn case_dirs(root: &Path) -> Vec<Case> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("in").is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|d| Case {
            name: d
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            arg: build_arg(&d),
            cwd: d.clone(),
            expect_dir: d,
        })
        .collect()
}

fn read_expectation(case_dir: &Path, kw: Keywords) -> Result<Expectation, String> {
    let yaml = case_dir.join("expected.yaml");
    let err = case_dir.join("expected-error");
    match (yaml.is_file(), err.is_file()) {
        (true, false) => std::fs::read_to_string(&yaml)
            .map(|stdout| Expectation::Success { stdout })
            .map_err(|e| format!("cannot read expected.yaml: {e}")),
        (false, true) => {
            let text = std::fs::read_to_string(&err)
                .map_err(|e| format!("cannot read expected-error: {e}"))?;
            let line = text.lines().nth(1).unwrap_or("");
            let list = line
                .strip_prefix("keywords:")
                .ok_or_else(|| "expected-error line 2 must start with `keywords:`".to_string())?;
            let keywords: Vec<Vec<String>> = list
                .split(',')
                .map(|group| {
                    group
                        .split('|')
                        .map(|k| k.trim().to_lowercase())
                        .filter(|k| !k.is_empty())
                        .collect::<Vec<_>>()
                })
                .filter(|g| !g.is_empty())
                .collect();
            if keywords.is_empty() && kw == Keywords::Required {
                return Err("expected-error lists no keywords".to_string());
            }
            Ok(Expectation::Error { keywords })
        }
        (true, true) => Err("has both expected.yaml and expected-error".to_string()),
        (false, false) => Err("has neither expected.yaml nor expected-error".to_string()),
    }
}

/// The argument given to `strata build`: `in` or `in/<target>`.
pub fn build_arg(case_dir: &Path) -> String {
    match std::fs::read_to_string(case_dir.join("target")) {
        Ok(t) if !t.trim().is_empty() => format!("in/{}", t.trim()),
        _ => "in".to_string(),
    }
}

fn run_strata(case_dir: &Path, arg: &str) -> Result<Run, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .arg("build")
        .arg(arg)
        .current_dir(case_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start strata: {e}"))?;
    let mut out_pipe = child.stdout.take().ok_or("no stdout pipe")?;
    let mut err_pipe = child.stderr.take().ok_or("no stderr pipe")?;
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() > TIMEOUT => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("waiting for strata: {e}")),
        }
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Ok(Run {
        code: status.and_then(|s| s.code()),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        timed_out,
    })
}

/// Shortens `s` to at most `max` characters for the table, showing invisible ends.
fn clip(s: &str, max: usize) -> String {
    let shown: String = s.chars().take(max).collect();
    let mut out = format!("{shown:?}");
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

/// The first line where `got` differs from `want`, described for the table.
fn first_difference(want: &str, got: &str) -> String {
    let mut w = want.split_inclusive('\n');
    let mut g = got.split_inclusive('\n');
    let mut line = 1;
    loop {
        match (w.next(), g.next()) {
            (Some(a), Some(b)) if a == b => line += 1,
            (Some(a), Some(b)) => {
                return format!("line {line}: want {} got {}", clip(a, 70), clip(b, 70))
            }
            (Some(a), None) => {
                return format!("line {line}: want {} got end of output", clip(a, 70))
            }
            (None, Some(b)) => {
                return format!("line {line}: want end of output got {}", clip(b, 70))
            }
            (None, None) => return "outputs equal".to_string(),
        }
    }
}

/// Checks one case; `Ok(())` when it conforms, else a one-line reason.
fn check_case(case: &Case, kw: Keywords) -> Result<(), String> {
    let expectation =
        read_expectation(&case.expect_dir, kw).map_err(|e| format!("bad fixture: {e}"))?;
    let run = run_strata(&case.cwd, &case.arg)?;
    if run.timed_out {
        return Err(format!("timed out after {}s", TIMEOUT.as_secs()));
    }
    let code = run
        .code
        .map_or_else(|| "signal".to_string(), |c| c.to_string());
    let first_stderr_line = run.stderr.lines().next().unwrap_or("");
    match expectation {
        Expectation::Success { stdout } => {
            if run.code != Some(0) {
                return Err(format!(
                    "exit {code}, want 0; stderr: {}",
                    clip(first_stderr_line, 100)
                ));
            }
            if run.stdout != stdout {
                return Err(first_difference(&stdout, &run.stdout));
            }
            Ok(())
        }
        Expectation::Error { keywords } => {
            if run.code != Some(2) {
                return Err(format!(
                    "exit {code}, want 2 (error case); stderr: {}",
                    clip(first_stderr_line, 100)
                ));
            }
            if !run.stdout.is_empty() {
                return Err(format!(
                    "error case wrote to stdout: {}",
                    clip(run.stdout.lines().next().unwrap_or(""), 70)
                ));
            }
            let stderr = run.stderr.to_lowercase();
            let missing: Vec<String> = keywords
                .iter()
                .filter(|group| !group.iter().any(|k| stderr.contains(k.as_str())))
                .map(|group| group.join("|"))
                .collect();
            if !missing.is_empty() {
                return Err(format!(
                    "stderr lacks keyword(s) [{}]; stderr: {}",
                    missing.join(", "),
                    clip(first_stderr_line, 100)
                ));
            }
            Ok(())
        }
    }
}

fn read_known_failures(path: &Path) -> BTreeSet<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return BTreeSet::new();
    };
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Runs every case and asserts the suite's rule: each case conforms unless listed in
/// `known` (one name per line, `#` comments), and each listed case still fails, so the
/// list stays exact. `CONFORMANCE_FILTER` (a substring of case names) runs a subset.
/// Returns (agreeing, total) for the cases run.
pub fn run_suite(cases: &[Case], known_path: &Path, kw: Keywords) -> (usize, usize) {
    let filter = std::env::var("CONFORMANCE_FILTER").unwrap_or_default();
    let known = read_known_failures(known_path);
    let known_file = known_path.display();
    assert!(!cases.is_empty(), "no cases for {known_file}");

    let mut passed = 0usize;
    let mut failed: Vec<(String, String)> = Vec::new();
    let mut run_names = BTreeSet::new();
    for case in cases {
        let name = case.name.clone();
        if !name.contains(filter.as_str()) {
            continue;
        }
        run_names.insert(name.clone());
        match check_case(case, kw) {
            Ok(()) => passed += 1,
            Err(reason) => failed.push((name, reason)),
        }
    }

    let width = failed
        .iter()
        .map(|(n, _)| n.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut report = String::new();
    if !failed.is_empty() {
        let _ = writeln!(report, "{:<width$}  what differed", "case");
        let _ = writeln!(report, "{:-<width$}  {:-<13}", "", "");
        for (name, reason) in &failed {
            let mark = if known.contains(name) { "" } else { "  [NEW]" };
            let _ = writeln!(report, "{name:<width$}  {reason}{mark}");
        }
    }

    let failed_names: BTreeSet<&String> = failed.iter().map(|(n, _)| n).collect();
    let unexpected: Vec<&String> = failed_names
        .iter()
        .copied()
        .filter(|n| !known.contains(*n))
        .collect();
    let now_passing: Vec<&String> = known
        .iter()
        .filter(|n| run_names.contains(*n) && !failed_names.contains(n))
        .collect();
    let all_names: BTreeSet<String> = cases.iter().map(|c| c.name.clone()).collect();
    let stale: Vec<&String> = if filter.is_empty() {
        known.iter().filter(|n| !all_names.contains(*n)).collect()
    } else {
        Vec::new()
    };

    let _ = writeln!(report, "{passed} passed, {} failed", failed.len());
    println!("{report}");

    let mut problems = Vec::new();
    if !unexpected.is_empty() {
        problems.push(format!(
            "{} case(s) failed that are not in {known_file}: {}",
            unexpected.len(),
            join(&unexpected)
        ));
    }
    if !now_passing.is_empty() {
        problems.push(format!(
            "{} case(s) in {known_file} now pass; remove them from the list: {}",
            now_passing.len(),
            join(&now_passing)
        ));
    }
    if !stale.is_empty() {
        problems.push(format!(
            "{known_file} names case(s) that do not exist: {}",
            join(&stale)
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    (passed, run_names.len())
}

fn join(names: &[&String]) -> String {
    names
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
