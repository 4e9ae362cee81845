//! The comparison as one self-contained HTML page: inline CSS and script, no
//! external asset or URL, so it opens offline from a file or a CI artifact.
//!
//! The page has the table (side-by-side values per cluster), a filter box that
//! hides rows not containing every word typed (also set from `#filter=WORDS`
//! in the address), and each resource's full YAML per cluster in a `<details>`
//! block that a click on the resource opens. A value's tooltip names the
//! transformer and file recorded as setting it; each YAML says where it came from.

use super::table::MISSING;
use super::Comparison;

const STYLE: &str = r##"
:root { color-scheme: light dark; --line: #8884; --muted: #888; --mark: #f5d90a33; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem; }
h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
h2 { font-size: 1.1rem; margin-top: 2rem; }
p.meta { margin: .2rem 0; color: var(--muted); }
code, pre, td.v, td.path { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; }
h1 code { font-size: inherit; }
.bar { position: sticky; top: 0; padding: .6rem 0; background: Canvas; }
#filter { width: 28rem; max-width: 100%; padding: .35rem .5rem; font: inherit; }
#count { margin-left: .8rem; color: var(--muted); }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left; vertical-align: top; }
thead th { position: sticky; top: 2.9rem; background: Canvas; }
th small { font-weight: normal; color: var(--muted); }
td.v { white-space: pre-wrap; word-break: break-all; max-width: 28rem; }
td.missing { color: var(--muted); text-align: center; }
td.res a { color: inherit; }
tr:hover td { background: var(--mark); }
details { border: 1px solid var(--line); border-radius: 4px; margin: .4rem 0; padding: .3rem .6rem; }
details[open] { background: #8881; }
summary { cursor: pointer; }
summary .n { color: var(--muted); margin-left: .6rem; }
.side { display: grid; grid-auto-flow: column; grid-auto-columns: minmax(16rem, 1fr); gap: .6rem; overflow-x: auto; }
.side h3 { font-size: .95rem; margin: .4rem 0; }
.side pre { margin: 0; padding: .4rem; border: 1px solid var(--line); overflow-x: auto; }
.side .absent { color: var(--muted); }
.side p.from { margin: 0 0 .4rem; color: var(--muted); font-size: 12px; }
td.v[title] { text-decoration: underline dotted var(--muted); }
"##;

/// Filters rows on every `input` event of the box; `#filter=...` in the address
/// fills the box (and so can be linked or tested); `#rN` opens that resource.
const SCRIPT: &str = r##"
(function () {
  var box = document.getElementById("filter");
  var count = document.getElementById("count");
  var none = document.getElementById("none");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#diff tbody tr"));
  function apply() {
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.textContent.toLowerCase();
      var keep = words.every(function (w) { return text.indexOf(w) >= 0; });
      row.hidden = !keep;
      if (keep) shown++;
    });
    count.textContent = shown + " of " + rows.length + " rows";
    none.hidden = shown > 0 || rows.length === 0;
  }
  function fromAddress() {
    var h = location.hash;
    if (h.indexOf("#filter=") === 0) {
      box.value = decodeURIComponent(h.slice(8).replace(/\+/g, " "));
      box.dispatchEvent(new Event("input"));
    } else if (/^#r[0-9]+$/.test(h)) {
      var d = document.getElementById(h.slice(1));
      if (d) { d.open = true; }
    }
  }
  box.addEventListener("input", apply);
  window.addEventListener("hashchange", fromAddress);
  apply();
  fromAddress();
})();
"##;

/// The page, deterministic for the same comparison.
pub fn html(c: &Comparison) -> String {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<title>strata compare: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&c.app)
    ));
    out.push_str(&format!(
        "<h1>strata compare: <code>{}</code></h1>\n",
        esc(&c.app)
    ));
    let clusters: Vec<String> = c
        .clusters
        .iter()
        .map(|(n, e)| format!("<code>{}</code> ({})", esc(n), esc(e)))
        .collect();
    out.push_str(&format!(
        "<p class=\"meta\">{} clusters: {}{}</p>\n",
        c.clusters.len(),
        clusters.join(", "),
        if c.selection.is_empty() {
            String::new()
        } else {
            format!(" — {}", esc(&c.selection))
        }
    ));
    let differing = c
        .resources
        .iter()
        .filter(|r| r.differing_fields > 0)
        .count();
    out.push_str(&format!(
        "<p class=\"meta\">{} differing fields in {differing} of {} resources; fields equal everywhere are hidden.</p>\n",
        c.rows.len(),
        c.resources.len()
    ));
    out.push_str(
        "<div class=\"bar\"><input id=\"filter\" type=\"search\" placeholder=\"filter: resource, field or value\" aria-label=\"filter rows\" autofocus><span id=\"count\"></span></div>\n",
    );

    out.push_str("<table id=\"diff\">\n<thead><tr><th>resource</th><th>field</th>");
    for (n, e) in &c.clusters {
        out.push_str(&format!("<th>{}<br><small>{}</small></th>", esc(n), esc(e)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in &c.rows {
        out.push_str(&format!(
            "<tr><td class=\"res\"><a href=\"#r{}\">{}</a></td><td class=\"path\">{}</td>",
            r.resource_index,
            esc(&r.resource),
            esc(&r.path)
        ));
        for (v, by) in r.values.iter().zip(&r.set_by) {
            let title = by
                .as_ref()
                .map(|b| format!(" title=\"set by {}\"", esc(b)))
                .unwrap_or_default();
            match v {
                Some(v) => out.push_str(&format!("<td class=\"v\"{title}>{}</td>", esc(v))),
                None => out.push_str(&format!("<td class=\"v missing\">{MISSING}</td>")),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out.push_str("<p id=\"none\" hidden>No row matches the filter.</p>\n");

    out.push_str("<h2>Rendered resources</h2>\n");
    for (i, res) in c.resources.iter().enumerate() {
        let note = match res.differing_fields {
            0 => "the same everywhere".to_string(),
            1 => "1 differing field".to_string(),
            n => format!("{n} differing fields"),
        };
        out.push_str(&format!(
            "<details id=\"r{i}\"><summary><code>{}</code><span class=\"n\">{note}</span></summary>\n<div class=\"side\">\n",
            esc(&res.label)
        ));
        for ((n, _), rendered) in c.clusters.iter().zip(&res.rendered) {
            match rendered {
                Some(r) => {
                    out.push_str(&format!(
                        "<section><h3>{}</h3><p class=\"from\">{}",
                        esc(n),
                        esc(&r.origin)
                    ));
                    if !r.edits.is_empty() {
                        let edits: Vec<String> = r.edits.iter().map(|e| esc(e)).collect();
                        out.push_str(&format!("; then {}", edits.join(", ")));
                    }
                    out.push_str(&format!("</p><pre>{}</pre></section>\n", esc(&r.yaml)));
                }
                None => out.push_str(&format!(
                    "<section><h3>{}</h3><p class=\"absent\">not rendered in this cluster</p></section>\n",
                    esc(n)
                )),
            }
        }
        out.push_str("</div></details>\n");
    }
    out.push_str(&format!("<script>{SCRIPT}</script>\n</body>\n</html>\n"));
    out
}

/// Text made safe for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{compare, Column, Options};
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_every_value_and_links_nothing_outside() {
        let doc = |v: &str| {
            let d = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c<x>"},
                   "data": {"k": v}});
            crate::kustomize::resource::Resource::new(
                d.as_object().unwrap().clone(),
                Default::default(),
            )
        };
        let c = compare(
            "a&b",
            vec![
                Column {
                    cluster: "one".into(),
                    env: "dev".into(),
                    resources: vec![doc("</script><script>alert(1)</script>")],
                },
                Column {
                    cluster: "two\"".into(),
                    env: "prod".into(),
                    resources: vec![doc("https://example.com/?a=1&b='2'")],
                },
            ],
            &Options::default(),
        );
        let page = html(&c);
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(page.contains("&lt;/script&gt;&lt;script&gt;alert(1)"));
        assert!(page.contains("https://example.com/?a=1&amp;b=&#39;2&#39;"));
        assert!(page.contains("two&quot;"));
        assert!(page.contains("<title>strata compare: a&amp;b</title>"));
        assert_eq!(page.matches("<script>").count(), 1);
        for outside in ["src=", "@import", "url(", "<link"] {
            assert!(!page.contains(outside), "{outside}");
        }
    }
}
