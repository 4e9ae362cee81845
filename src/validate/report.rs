//! Findings as text, JSON, JUnit XML and SARIF 2.1.0.

use super::{Finding, Severity};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One checked resource, for JUnit (a test case each) and the summary.
#[derive(Clone, Debug)]
pub struct Checked {
    pub cluster: String,
    pub app: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub file: String,
    pub doc_index: usize,
}

impl Checked {
    fn group(&self) -> String {
        group(&self.cluster, &self.app, &self.file)
    }
    fn label(&self) -> String {
        if self.namespace.is_empty() {
            format!("{}/{}", self.kind, self.name)
        } else {
            format!("{}/{} -n {}", self.kind, self.name, self.namespace)
        }
    }
}

/// The suite a resource belongs to: `cluster/app`, the app alone, else the folder.
fn group(cluster: &str, app: &str, file: &str) -> String {
    match (cluster.is_empty(), app.is_empty()) {
        (false, false) => format!("{cluster}/{app}"),
        (true, false) => app.to_string(),
        (false, true) => cluster.to_string(),
        (true, true) => file
            .rsplit_once('/')
            .map(|(d, _)| d.to_string())
            .unwrap_or_else(|| ".".into()),
    }
}

/// Everything a report shows.
pub struct Report<'a> {
    pub findings: &'a [Finding],
    pub checked: &'a [Checked],
    pub kubernetes_version: &'a str,
    pub schema_source: &'a str,
    /// Prepended to paths in SARIF so that they are relative to the repository root
    /// when the fleet lives in a sub-folder of it (`infra/fleet/`); usually empty.
    pub uri_prefix: &'a str,
}

impl Report<'_> {
    fn count(&self, s: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == s).count()
    }

    /// Grouped by cluster/app, one line per finding with `file:line`.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut groups: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
        for f in self.findings {
            groups
                .entry(group(&f.cluster, &f.app, &f.file))
                .or_default()
                .push(f);
        }
        for (g, fs) in &groups {
            let _ = writeln!(out, "{g}:");
            for f in fs {
                let res = f.resource();
                let path = f.dotted_path();
                let what = match (res.is_empty(), path.is_empty()) {
                    (true, _) => String::new(),
                    (false, true) => format!("{res}: "),
                    (false, false) => format!("{res} {path}: "),
                };
                let _ = writeln!(
                    out,
                    "  {}:{}: {}[{}] {what}{}",
                    f.file,
                    f.line,
                    f.severity.as_str(),
                    f.rule,
                    f.message
                );
                if let Some(s) = &f.source {
                    if s.file != f.file {
                        if s.line > 0 {
                            let _ = writeln!(out, "      from {}:{}", s.file, s.line);
                        } else {
                            let _ = writeln!(out, "      from {}", s.file);
                        }
                    }
                }
            }
        }
        let files: std::collections::BTreeSet<&str> =
            self.checked.iter().map(|c| c.file.as_str()).collect();
        let _ = writeln!(
            out,
            "{} error{}, {} warning{}, {} info in {} resources ({} files), Kubernetes {}",
            self.count(Severity::Error),
            if self.count(Severity::Error) == 1 {
                ""
            } else {
                "s"
            },
            self.count(Severity::Warning),
            if self.count(Severity::Warning) == 1 {
                ""
            } else {
                "s"
            },
            self.count(Severity::Info),
            self.checked.len(),
            files.len(),
            self.kubernetes_version
        );
        out
    }

    /// The documented JSON shape (README, `strata validate --format json`).
    pub fn json(&self) -> String {
        let findings: Vec<Value> = self
            .findings
            .iter()
            .map(|f| {
                json!({
                    "rule": f.rule,
                    "severity": f.severity.as_str(),
                    "message": f.message,
                    "cluster": f.cluster,
                    "app": f.app,
                    "resource": {"apiVersion": f.api_version, "kind": f.kind, "namespace": f.namespace, "name": f.name},
                    "path": f.dotted_path(),
                    "file": f.file,
                    "line": f.line,
                    "source": f.source,
                })
            })
            .collect();
        let v = json!({
            "version": 1,
            "kubernetesVersion": self.kubernetes_version,
            "summary": {
                "resources": self.checked.len(),
                "errors": self.count(Severity::Error),
                "warnings": self.count(Severity::Warning),
                "infos": self.count(Severity::Info),
            },
            "findings": findings,
        });
        let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
        s.push('\n');
        s
    }

    /// JUnit XML as GitLab and Jenkins read it: a test suite per cluster/app, a test
    /// case per resource, a failure per error (warnings go to `system-out`).
    pub fn junit(&self) -> String {
        let mut suites: BTreeMap<String, Vec<&Checked>> = BTreeMap::new();
        for c in self.checked {
            suites.entry(c.group()).or_default().push(c);
        }
        let mut by_doc: BTreeMap<(&str, usize), Vec<&Finding>> = BTreeMap::new();
        let mut loose: Vec<&Finding> = Vec::new();
        for f in self.findings {
            if self
                .checked
                .iter()
                .any(|c| c.file == f.file && c.doc_index == f.doc_index)
            {
                by_doc
                    .entry((f.file.as_str(), f.doc_index))
                    .or_default()
                    .push(f);
            } else {
                loose.push(f);
            }
        }
        // Failing test cases: resources with an error, and error findings about inputs.
        let errors = by_doc
            .values()
            .filter(|v| v.iter().any(|f| f.severity == Severity::Error))
            .count()
            + loose
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"strata validate\" tests=\"{}\" failures=\"{errors}\">",
            self.checked.len() + loose.len()
        );
        // One <failure> per test case (Jenkins reads only one): the first error as its
        // message, every error in its body.
        let failure = |out: &mut String, errors: &[&Finding]| {
            let Some(first) = errors.first() else { return };
            let more = match errors.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            let body: Vec<String> = errors
                .iter()
                .map(|f| {
                    format!(
                        "{}:{}: [{}] {} {}",
                        f.file,
                        f.line,
                        f.rule,
                        f.dotted_path(),
                        f.message
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}{}\">{}</failure>",
                xml(&first.rule),
                xml(&first.message),
                xml(&more),
                xml(&body.join("\n"))
            );
        };
        let warnings_out = |out: &mut String, fs: &[&Finding]| {
            let w: Vec<String> = fs
                .iter()
                .filter(|f| f.severity != Severity::Error)
                .map(|f| {
                    format!(
                        "{}:{}: {}[{}] {}",
                        f.file,
                        f.line,
                        f.severity.as_str(),
                        f.rule,
                        f.message
                    )
                })
                .collect();
            if !w.is_empty() {
                let _ = writeln!(out, "      <system-out>{}</system-out>", xml(&w.join("\n")));
            }
        };
        for (name, cases) in &suites {
            let fails = cases
                .iter()
                .filter(|c| {
                    by_doc
                        .get(&(c.file.as_str(), c.doc_index))
                        .is_some_and(|v| v.iter().any(|f| f.severity == Severity::Error))
                })
                .count();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\" errors=\"0\">",
                xml(name),
                cases.len()
            );
            for c in cases {
                let _ = writeln!(
                    out,
                    "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\">",
                    xml(name),
                    xml(&c.label()),
                    xml(&c.file)
                );
                let fs = by_doc
                    .get(&(c.file.as_str(), c.doc_index))
                    .cloned()
                    .unwrap_or_default();
                let errors: Vec<&Finding> = fs
                    .iter()
                    .copied()
                    .filter(|f| f.severity == Severity::Error)
                    .collect();
                failure(&mut out, &errors);
                warnings_out(&mut out, &fs);
                out.push_str("    </testcase>\n");
            }
            out.push_str("  </testsuite>\n");
        }
        if !loose.is_empty() {
            let fails = loose
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count();
            let _ = writeln!(
                out,
                "  <testsuite name=\"inputs\" tests=\"{}\" failures=\"{fails}\" errors=\"0\">",
                loose.len()
            );
            for f in &loose {
                let _ = writeln!(
                    out,
                    "    <testcase classname=\"inputs\" name=\"{}\" file=\"{}\">",
                    xml(&format!("{} {}", f.file, f.dotted_path())),
                    xml(&f.file)
                );
                if f.severity == Severity::Error {
                    failure(&mut out, &[f]);
                }
                warnings_out(&mut out, &[f]);
                out.push_str("    </testcase>\n");
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }

    /// SARIF 2.1.0 for GitHub code scanning: stable rule ids, repository-relative
    /// URIs, `startLine` ≥ 1; the source file (base or layer) as a related location.
    pub fn sarif(&self) -> String {
        let rules: Vec<Value> = super::rules()
            .into_iter()
            .map(|(id, what)| {
                json!({
                    "id": id,
                    "name": id.replace(['/', '-'], "_"),
                    "shortDescription": {"text": what},
                    "fullDescription": {"text": what},
                    "helpUri": "https://github.com/strata-dev/strata#strata-validate",
                    "defaultConfiguration": {"level": if id.starts_with("policy/") || id == "api/deprecated" || id == "crd/no-schema" || id == "waiver/unknown-rule" { "warning" } else { "error" }},
                })
            })
            .collect();
        let results: Vec<Value> = self
            .findings
            .iter()
            .map(|f| {
                let level = match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Info => "note",
                };
                let what = match (f.resource().is_empty(), f.path.is_empty()) {
                    (true, _) => String::new(),
                    (false, true) => format!("{}: ", f.resource()),
                    (false, false) => format!("{} {}: ", f.resource(), f.dotted_path()),
                };
                let at = if f.cluster.is_empty() { String::new() } else { format!(" [{}]", group(&f.cluster, &f.app, &f.file)) };
                let mut r = json!({
                    "ruleId": f.rule,
                    "level": level,
                    "message": {"text": format!("{what}{}{at}", f.message)},
                    "locations": [location(self.uri_prefix, &f.file, f.line)],
                    "partialFingerprints": {"strata/v1": format!("{}|{}|{}|{}", f.rule, f.file, f.resource(), f.dotted_path())},
                });
                if let Some(s) = f.source.as_ref().filter(|s| s.file != f.file && !s.file.is_empty()) {
                    let mut loc = location(self.uri_prefix, &s.file, s.line);
                    loc["id"] = json!(0);
                    loc["message"] = json!({"text": "the value comes from here"});
                    r["relatedLocations"] = json!([loc]);
                }
                r
            })
            .collect();
        let v = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "strata",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/strata-dev/strata",
                    "rules": rules,
                }},
                "properties": {"kubernetesVersion": self.kubernetes_version, "schemas": self.schema_source},
                "results": results,
            }],
        });
        let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
        s.push('\n');
        s
    }
}

fn location(prefix: &str, file: &str, line: u32) -> Value {
    json!({"physicalLocation": {
        "artifactLocation": {"uri": uri(&format!("{prefix}{file}"))},
        "region": {"startLine": line.max(1)},
    }})
}

/// A repository-relative path as a URI reference (spaces and the like escaped).
fn uri(path: &str) -> String {
    let mut s = String::new();
    for b in path.trim_start_matches("./").bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            let _ = write!(s, "%{b:02X}");
        }
    }
    s
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}
