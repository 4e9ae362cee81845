//! `--format text`: the summary table first, then per unit each resource and its
//! changed fields. Coloured when asked (the command decides: a terminal, no `NO_COLOR`).

use crate::diff::fields::Op;
use crate::diff::format::{column_value, columns, counts, field_line, headline, per_env};
use crate::diff::report::{Change, DiffReport, ResourceDiff};
use std::fmt::Write;

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn green(&self, s: &str) -> String {
        self.wrap("32", s)
    }
    fn red(&self, s: &str) -> String {
        self.wrap("31", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.wrap("33", s)
    }
    fn cyan(&self, s: &str) -> String {
        self.wrap("36", s)
    }
}

/// The report as text; `color` adds ANSI colours.
pub fn render(r: &DiffReport, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    let _ = writeln!(out, "{}", p.bold(&format!("strata diff: {}", headline(r))));
    if !r.has_changes() {
        return out;
    }
    out.push('\n');
    let envs = per_env(r);
    if envs.len() > 1 {
        for (env, n, a, rm, c) in &envs {
            let _ = writeln!(
                out,
                "env {env}: {} in {n} unit{}",
                counts(*a, *rm, *c),
                if *n == 1 { "" } else { "s" }
            );
        }
        out.push('\n');
    }
    // The summary table, columns padded to their widest cell.
    let cols = columns(r);
    let mut rows: Vec<Vec<String>> = vec![cols
        .iter()
        .map(|c| c.to_uppercase())
        .chain(["ADDED", "REMOVED", "CHANGED"].map(String::from))
        .collect()];
    for u in &r.units {
        let mut row: Vec<String> = cols
            .iter()
            .map(|c| column_value(u, c).to_string())
            .collect();
        row.extend([u.added, u.removed, u.changed].map(|n| n.to_string()));
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            if i >= cols.len() {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
            line.push_str("  ");
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    for u in &r.units {
        let _ = writeln!(out, "\n{}", p.bold(&u.unit));
        for res in &u.resources {
            resource(&mut out, &p, res);
        }
    }
    for w in &r.warnings {
        let _ = writeln!(out, "\n{w}");
    }
    out
}

fn resource(out: &mut String, p: &Paint, res: &ResourceDiff) {
    let version = match &res.old_api_version {
        Some(old) => format!("{old} → {}", res.api_version),
        None => res.api_version.clone(),
    };
    let title = format!("{} ({version})", res.title());
    let line = match res.change {
        Change::Added => p.green(&format!("+ {title}")),
        Change::Removed => p.red(&format!("- {title}")),
        Change::Changed => p.yellow(&format!("~ {title}")),
    };
    let _ = writeln!(out, "  {line}");
    for f in &res.fields {
        let text = field_line(f) + &super::set_by_note(f);
        let line = match f.op {
            Op::Added => p.green(&format!("+ {text}")),
            Op::Removed => p.red(&format!("- {text}")),
            Op::Changed => format!("~ {text}"),
        };
        let _ = writeln!(out, "      {line}");
        if let Some(d) = &f.diff {
            for l in d.lines() {
                let l = if l.starts_with("@@") {
                    p.cyan(l)
                } else if l.starts_with('+') {
                    p.green(l)
                } else if l.starts_with('-') {
                    p.red(l)
                } else {
                    l.to_string()
                };
                let _ = writeln!(out, "          {l}");
            }
        }
    }
}
