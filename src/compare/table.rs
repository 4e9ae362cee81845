//! The comparison as an aligned text table or a markdown table.

use super::Comparison;

/// Shown where a cluster has no such field or resource.
pub const MISSING: &str = "—";

/// The header lines both formats share: which app, which clusters and why, and how many rows.
fn summary(c: &Comparison) -> (String, String) {
    let differing = c
        .resources
        .iter()
        .filter(|r| r.differing_fields > 0)
        .count();
    let counts = if c.rows.is_empty() {
        format!(
            "no differences: the {} resources are the same in every cluster",
            c.resources.len()
        )
    } else {
        format!(
            "{} {} differ{} in {differing} of {} resources; fields equal everywhere are hidden",
            c.rows.len(),
            if c.rows.len() == 1 { "field" } else { "fields" },
            if c.rows.len() == 1 { "s" } else { "" },
            c.resources.len()
        )
    };
    (c.selection.clone(), counts)
}

/// One line per row, columns aligned; values longer than `width` characters are
/// cut in the middle with `…`, line breaks shown as `\n`.
pub fn text(c: &Comparison, width: usize) -> String {
    let (selection, counts) = summary(c);
    let clusters: Vec<String> = c
        .clusters
        .iter()
        .map(|(name, env)| format!("{name} ({env})"))
        .collect();
    let mut out = format!(
        "app {} on {} clusters: {}\n",
        c.app,
        c.clusters.len(),
        clusters.join(", ")
    );
    if !selection.is_empty() {
        out.push_str(&format!("chosen: {selection}\n"));
    }
    out.push_str(&counts);
    out.push('\n');
    if c.rows.is_empty() {
        return out;
    }
    let mut grid: Vec<Vec<String>> = vec![["RESOURCE", "FIELD"]
        .into_iter()
        .map(String::from)
        .chain(c.clusters.iter().map(|(n, _)| n.clone()))
        .collect()];
    for (i, r) in c.rows.iter().enumerate() {
        let same_resource = i > 0 && c.rows[i - 1].resource_index == r.resource_index;
        let mut line = vec![
            if same_resource {
                String::new()
            } else {
                r.resource.clone()
            },
            r.path.clone(),
        ];
        line.extend(r.values.iter().map(|v| match v {
            Some(v) => cut(&one_line(v), width),
            None => MISSING.to_string(),
        }));
        grid.push(line);
    }
    let widths: Vec<usize> = (0..grid[0].len())
        .map(|col| {
            grid.iter()
                .map(|l| l[col].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    out.push('\n');
    for line in grid {
        let mut s = String::new();
        for (cell, w) in line.iter().zip(&widths) {
            s.push_str(cell);
            s.push_str(&" ".repeat(w - cell.chars().count() + 2));
        }
        out.push_str(s.trim_end());
        out.push('\n');
    }
    out
}

/// A markdown table for a PR comment or a wiki page; values in code spans, cut
/// at `width` characters like the text table.
pub fn markdown(c: &Comparison, width: usize) -> String {
    let (selection, counts) = summary(c);
    let clusters: Vec<String> = c
        .clusters
        .iter()
        .map(|(name, env)| format!("{} ({})", code(name), escape_md(env)))
        .collect();
    let mut out = format!(
        "### strata compare: {}\n\n{} clusters: {}",
        code(&c.app),
        c.clusters.len(),
        clusters.join(", "),
    );
    if !selection.is_empty() {
        out.push_str(&format!(" ({})", escape_md(&selection)));
    }
    out.push_str(&format!(".\n{counts}.\n"));
    if c.rows.is_empty() {
        return out;
    }
    out.push_str("\n| resource | field |");
    for (name, _) in &c.clusters {
        out.push_str(&format!(" {} |", escape_md(name)));
    }
    out.push_str("\n| --- | --- |");
    out.push_str(&" --- |".repeat(c.clusters.len()));
    out.push('\n');
    for (i, r) in c.rows.iter().enumerate() {
        let same_resource = i > 0 && c.rows[i - 1].resource_index == r.resource_index;
        let resource = if same_resource {
            String::new()
        } else {
            code(&r.resource)
        };
        out.push_str(&format!("| {resource} | {} |", code(&r.path)));
        for v in &r.values {
            match v {
                Some(v) => out.push_str(&format!(" {} |", code(&cut(&one_line(v), width)))),
                None => out.push_str(&format!(" {MISSING} |")),
            }
        }
        out.push('\n');
    }
    out
}

/// Control characters spelled out, so that a value stays on its line.
fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// At most `width` characters, cut in the middle with `…`: the start and the end
/// both stay visible, and the end is where tags and hash suffixes differ.
fn cut(s: &str, width: usize) -> String {
    let width = width.max(3);
    let len = s.chars().count();
    if len <= width {
        return s.to_string();
    }
    let head = (width - 1) / 2;
    let tail = width - 1 - head;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(len - tail));
    out
}

/// A markdown code span that survives a table cell: pipes escaped, and a fence
/// longer than any run of backticks inside.
fn code(s: &str) -> String {
    let s = s.replace('|', "\\|");
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest > 0 || s.starts_with(' ') || s.ends_with(' ') {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

/// Text outside code spans with markdown's active characters escaped.
fn escape_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if "\\`*_[]<>|~".contains(ch) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_and_escapes() {
        assert_eq!(cut("abcdefg", 4), "a…fg");
        assert_eq!(cut("abcdefg", 5), "ab…fg");
        assert_eq!(cut("abc", 4), "abc");
        assert_eq!(one_line("a\nb\tc"), "a\\nb\\tc");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(escape_md("dev-1 *x*"), "dev-1 \\*x\\*");
    }
}
