//! `--format markdown`: a pull-request comment. A headline and a summary table,
//! then one collapsible `<details>` section per cluster with a `diff` code block
//! per resource. The body is capped (GitHub refuses comments over 65,536
//! characters): what does not fit is named in a note at the end; or, with a split
//! size, the diff is spread over several bodies, each within that size.

use crate::diff::fields::Op;
use crate::diff::format::{column_value, columns, counts, field_line, headline, per_env};
use crate::diff::report::{Change, DiffReport, ResourceDiff, UnitDiff};
use std::fmt::Write;

/// The default cap of one comment body, in bytes: under GitHub's 65,536.
pub const DEFAULT_MAX_BYTES: usize = 60_000;

/// Room kept at the end of a body for the note of what was cut.
const NOTE_ROOM: usize = 600;

/// Marks the first line of every body, so CI can find and update its comments.
pub const MARKER: &str = "<!-- strata-diff -->";

/// One body, capped at `max_bytes` (what is cut is named in a note).
pub fn render(r: &DiffReport, max_bytes: usize) -> String {
    let head = head(r, max_bytes / 2);
    let sections = sections(r);
    let mut body = head;
    let budget = max_bytes.saturating_sub(NOTE_ROOM);
    let mut cut_clusters = Vec::new();
    let mut cut_resources = 0;
    for s in &sections {
        if !cut_clusters.is_empty() {
            cut_clusters.push(s.cluster.clone());
            cut_resources += s.resources;
            continue;
        }
        if body.len() + s.len() <= budget {
            s.push_all(&mut body);
            continue;
        }
        // Show what fits of this cluster, then stop.
        let shown = s.push_some(&mut body, budget);
        cut_resources += s.resources - shown;
        cut_clusters.push(s.cluster.clone());
    }
    if !cut_clusters.is_empty() {
        let mut names = cut_clusters.join(", ");
        if names.len() > NOTE_ROOM / 2 {
            let end = (0..=NOTE_ROOM / 2)
                .rev()
                .find(|i| names.is_char_boundary(*i))
                .unwrap_or(0);
            names.truncate(end);
            names.push('…');
        }
        let _ = write!(
            body,
            "\n> **Cut to fit {max_bytes} bytes:** {cut_resources} resource{} in {} cluster{} not shown ({names}). \
             Run `strata diff` locally for the whole diff, or `--split-bytes` for several comments.\n",
            if cut_resources == 1 { "" } else { "s" },
            cut_clusters.len(),
            if cut_clusters.len() == 1 { "" } else { "s" },
        );
    }
    body
}

/// Several bodies, each at most `split_bytes` long; nothing is cut, except a
/// single resource too large for a body on its own (named in its place).
pub fn render_split(r: &DiffReport, split_bytes: usize) -> Vec<String> {
    let split_bytes = split_bytes.max(2_000);
    // Room for the part marker written at the end, when the count is known.
    let budget = split_bytes - 64;
    let mut bodies = vec![head(r, budget / 2)];
    for s in sections(r) {
        let cur = bodies.last_mut().expect("one body");
        if cur.len() + s.len() <= budget {
            s.push_all(cur);
            continue;
        }
        // A new body for this cluster, continued over as many bodies as it needs.
        let mut from = 0;
        let mut first = true;
        while from < s.blocks.len() {
            let mut b = format!(
                "### strata diff (continued)\n\n<details open>\n<summary><b>{}</b>{}</summary>\n\n",
                esc(&s.cluster),
                if first { "" } else { " (continued)" }
            );
            let start = from;
            while from < s.blocks.len() && b.len() + s.blocks[from].len() + s.footer.len() <= budget
            {
                b.push_str(&s.blocks[from]);
                from += 1;
            }
            if from == start {
                // One block larger than a whole body: name it instead.
                b.push_str(
                    "- (a resource too large for one comment; run `strata diff` locally)\n\n",
                );
                from += 1;
            }
            b.push_str(&s.footer);
            bodies.push(b);
            first = false;
        }
    }
    let n = bodies.len();
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let marker = format!("<!-- strata-diff part {}/{n} -->\n", i + 1);
            let b = b
                .strip_prefix(MARKER)
                .map(|s| s.trim_start_matches('\n'))
                .unwrap_or(&b)
                .to_string();
            format!("{marker}{b}")
        })
        .collect()
}

/// A cluster's collapsible section: its opening, one block per unit heading or
/// resource, its closing.
struct Section {
    cluster: String,
    header: String,
    blocks: Vec<String>,
    footer: String,
    resources: usize,
}

impl Section {
    fn len(&self) -> usize {
        self.header.len() + self.blocks.iter().map(String::len).sum::<usize>() + self.footer.len()
    }
    fn push_all(&self, body: &mut String) {
        body.push_str(&self.header);
        self.blocks.iter().for_each(|b| body.push_str(b));
        body.push_str(&self.footer);
    }
    /// Pushes the blocks that fit within `budget`; returns how many resources shown.
    fn push_some(&self, body: &mut String, budget: usize) -> usize {
        if body.len() + self.header.len() + self.footer.len() > budget {
            return 0;
        }
        body.push_str(&self.header);
        let mut shown = 0;
        for b in &self.blocks {
            if body.len() + b.len() + self.footer.len() > budget {
                break;
            }
            body.push_str(b);
            if b.starts_with("- ") {
                shown += 1;
            }
        }
        body.push_str(&self.footer);
        shown
    }
}

/// Escapes what Markdown or HTML would read in a name or path.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '*' | '_' | '`' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

/// The headline, per-env totals and the summary table (rows cut to `max_bytes`).
fn head(r: &DiffReport, max_bytes: usize) -> String {
    let mut out = format!("{MARKER}\n### strata diff: {}\n", esc(&headline(r)));
    if !r.has_changes() {
        return out;
    }
    out.push('\n');
    let envs = per_env(r);
    if envs.len() > 1 {
        for (env, n, a, rm, c) in &envs {
            let _ = writeln!(
                out,
                "- **{}**: {} in {n} unit{}",
                esc(env),
                counts(*a, *rm, *c),
                if *n == 1 { "" } else { "s" }
            );
        }
        out.push('\n');
    }
    let cols = columns(r);
    let _ = writeln!(out, "| {} | added | removed | changed |", cols.join(" | "));
    let _ = writeln!(out, "|{}---:|---:|---:|", "---|".repeat(cols.len()));
    for (i, u) in r.units.iter().enumerate() {
        let row = format!(
            "| {} | {} | {} | {} |\n",
            cols.iter()
                .map(|c| esc(column_value(u, c)))
                .collect::<Vec<_>>()
                .join(" | "),
            u.added,
            u.removed,
            u.changed
        );
        if out.len() + row.len() > max_bytes {
            let _ = writeln!(
                out,
                "\n{} more units not in this table (cut to fit).",
                r.units.len() - i
            );
            break;
        }
        out.push_str(&row);
    }
    out.push('\n');
    out
}

/// One section per cluster, in order of the units.
fn sections(r: &DiffReport) -> Vec<Section> {
    let mut by_cluster: Vec<(String, Vec<&UnitDiff>)> = Vec::new();
    for u in &r.units {
        match by_cluster.iter_mut().find(|(c, _)| c == u.cluster()) {
            Some((_, us)) => us.push(u),
            None => by_cluster.push((u.cluster().to_string(), vec![u])),
        }
    }
    by_cluster
        .into_iter()
        .map(|(cluster, units)| {
            let (a, rm, c) = units.iter().fold((0, 0, 0), |(a, r, c), u| {
                (a + u.added, r + u.removed, c + u.changed)
            });
            let header = format!(
                "<details>\n<summary><b>{}</b>: {}</summary>\n\n",
                esc(&cluster),
                counts(a, rm, c)
            );
            let mut blocks = Vec::new();
            let mut resources = 0;
            for u in &units {
                if u.unit != cluster {
                    let title = match u.labels.get("app") {
                        Some(app) => {
                            format!("**{}** (`{}`)\n\n", esc(app), u.unit.replace('`', "'"))
                        }
                        None => format!("`{}`\n\n", u.unit.replace('`', "'")),
                    };
                    blocks.push(title);
                }
                for res in &u.resources {
                    blocks.push(resource(res));
                    resources += 1;
                }
            }
            Section {
                cluster,
                header,
                blocks,
                footer: "</details>\n\n".into(),
                resources,
            }
        })
        .collect()
}

/// A resource as a list item, with its field changes in a `diff` code block.
fn resource(res: &ResourceDiff) -> String {
    let what = match res.change {
        Change::Added => "added",
        Change::Removed => "removed",
        Change::Changed => "changed",
    };
    let version = match &res.old_api_version {
        Some(old) => format!("{old} → {}", res.api_version),
        None => res.api_version.clone(),
    };
    let mut out = format!(
        "- {what} `{}` ({})\n",
        res.title().replace('`', "'"),
        esc(&version)
    );
    if res.fields.is_empty() {
        out.push('\n');
        return out;
    }
    let mut lines = String::new();
    for f in &res.fields {
        let note = super::set_by_note(f);
        let text = field_line(f) + &note;
        match (f.op, &f.old, &f.new) {
            // A change of a value reads best as the old line and the new line.
            (Op::Changed, Some(o), Some(n)) if f.diff.is_none() => {
                let _ = writeln!(lines, "- {}: {}", f.path, super::inline(o));
                let _ = writeln!(lines, "+ {}: {}{note}", f.path, super::inline(n));
            }
            (Op::Added, ..) => {
                let _ = writeln!(lines, "+ {text}");
            }
            (Op::Removed, ..) => {
                let _ = writeln!(lines, "- {text}");
            }
            _ => {
                let _ = writeln!(lines, "! {text}");
            }
        }
        if let Some(d) = &f.diff {
            lines.push_str(d);
        }
    }
    // A fence longer than any run of backticks in the content.
    let longest = lines.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let _ = write!(out, "\n  {fence}diff\n");
    for l in lines.lines() {
        let _ = writeln!(out, "  {l}");
    }
    let _ = write!(out, "  {fence}\n\n");
    out
}
