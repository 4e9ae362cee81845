//! Helm conformance: every case under `fixtures/helm/<chart>/cases/` is rendered by
//! strata's engine and compared with what Helm's own SDK rendered for it
//! (`expected/<case>.json`, made by `scripts/regen-helm.py`): each template's output byte
//! for byte, or Helm's error message exactly. Templates Helm itself renders differently
//! on every run (random names, keys, certificates: "nondeterministic", with one of
//! Helm's outputs) are compared by shape: `same_shape`.
//!
//! `HELM_FILTER=argo cargo test --test helm` runs the cases whose path contains "argo".

use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use strata::helm::{chart, render};
use strata::kustomize::DiskFs;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/helm")
}

fn cases() -> Vec<(PathBuf, String)> {
    let filter = std::env::var("HELM_FILTER").unwrap_or_default();
    let mut out = Vec::new();
    let mut charts: Vec<_> = std::fs::read_dir(fixtures())
        .expect("fixtures/helm")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("chart").is_dir())
        .collect();
    charts.sort();
    for dir in charts {
        let mut names: Vec<String> = std::fs::read_dir(dir.join("cases"))
            .expect("cases")
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_suffix(".yaml")
                    .map(str::to_string)
            })
            .collect();
        names.sort();
        for case in names {
            if format!("{}/{case}", dir.display()).contains(&filter) {
                out.push((dir.clone(), case));
            }
        }
    }
    out
}

/// The chart and options of one case.
fn load_case(dir: &Path, case: &str) -> Result<(chart::Chart, render::Options), String> {
    let fs = DiskFs::new(dir).map_err(|e| e.to_string())?;
    let chart = chart::load_dir(&fs, "chart").map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(dir.join("cases").join(format!("{case}.yaml")))
        .map_err(|e| e.to_string())?;
    // Read as Helm reads a `-f` file (the script hands PyYAML's reading to the SDK:
    // YAML 1.1 too; cases keep to what both read alike).
    let values = strata::yaml::parse_stream_helm(&text)
        .map_err(|e| e.message)?
        .into_iter()
        .map(|d| d.value)
        .find(|v| !v.is_null())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    // Render options beside the case (`{"is_upgrade": true}`), as the script passes them.
    let options: Json =
        match std::fs::read_to_string(dir.join("cases").join(format!("{case}.options.json"))) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| e.to_string())?,
            Err(_) => Json::Null,
        };
    let opts = render::Options {
        release: "rel".into(),
        namespace: "ns".into(),
        kube_version: None,
        api_versions: Vec::new(),
        values,
        is_upgrade: options["is_upgrade"].as_bool().unwrap_or(false),
        ..Default::default()
    };
    Ok((chart, opts))
}

/// Renders one case with strata: each template's output, or the error message.
fn strata_render(
    dir: &Path,
    case: &str,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    let (chart, opts) = load_case(dir, case)?;
    render::render(&chart, &opts)
        .map(|r| r.files)
        .map_err(|e| e.message)
}

/// Helm's message with the one difference strata makes on purpose: where `tpl` cannot
/// parse its text, Helm quotes the text (most often a chart value, which may be a
/// secret); strata says it withheld it.
fn withhold_tpl_text(helm: &str) -> String {
    const AT: &str = "cannot parse template \"";
    let mut out = String::new();
    let mut rest = helm;
    while let Some(i) = rest.find(AT) {
        out.push_str(&rest[..i]);
        out.push_str("cannot parse template ");
        out.push_str(strata::helm::funcs::TPL_TEXT_WITHHELD);
        // Past the Go-quoted text: its closing quote is the first one not escaped.
        let quoted = &rest[i + AT.len()..];
        let mut escaped = false;
        let end = quoted
            .char_indices()
            .find(|&(_, c)| {
                let closes = c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                closes
            })
            .map_or(quoted.len(), |(k, _)| k + 1);
        rest = &quoted[end..];
    }
    out.push_str(rest);
    out
}

/// `known-failures.txt`: case names (`chart/case`) strata does not match yet.
fn known_failures() -> Vec<String> {
    std::fs::read_to_string(fixtures().join("known-failures.txt"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split(':').next().map(|n| n.trim().to_string()))
        .collect()
}

#[test]
fn every_fixture_renders_as_helm_renders_it() {
    let known = known_failures();
    let mut failures = Vec::new();
    let mut templates = 0usize;
    let all = cases();
    assert!(
        !all.is_empty() || std::env::var("HELM_FILTER").is_ok(),
        "no Helm fixtures found"
    );
    for (dir, case) in &all {
        let name = format!(
            "{}/{case}",
            dir.file_name().and_then(|n| n.to_str()).unwrap_or("")
        );
        let expected: Json = serde_json::from_str(
            &std::fs::read_to_string(dir.join("expected").join(format!("{case}.json")))
                .expect("expected output"),
        )
        .expect("expected JSON");
        let got = strata_render(dir, case);
        let before = failures.len();
        match (expected.get("error").and_then(Json::as_str), got) {
            (Some(want), Err(got)) => {
                let want = withhold_tpl_text(want);
                if want.trim_end() != got.trim_end() {
                    failures.push(format!(
                        "{name}: error differs\n--- helm\n{want}\n--- strata\n{got}"
                    ));
                }
            }
            (Some(want), Ok(_)) => {
                failures.push(format!("{name}: helm fails ({want}) but strata renders"))
            }
            (None, Err(got)) => failures.push(format!("{name}: strata fails: {got}")),
            (None, Ok(files)) => {
                let want = expected["templates"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                let unstable = expected
                    .get("nondeterministic")
                    .and_then(Json::as_object)
                    .cloned()
                    .unwrap_or_default();
                for (path, text) in &want {
                    templates += 1;
                    match files.get(path) {
                        Some(g) if Some(g.as_str()) == text.as_str() => {}
                        Some(g) => failures.push(format!(
                            "{name}: {path} differs\n{}",
                            first_difference(text.as_str().unwrap_or(""), g)
                        )),
                        None => failures.push(format!("{name}: {path} missing")),
                    }
                }
                for path in files.keys() {
                    if !want.contains_key(path) && !unstable.contains_key(path) {
                        failures.push(format!("{name}: {path} rendered by strata only"));
                    }
                }
                for (path, text) in &unstable {
                    templates += 1;
                    match files.get(path) {
                        Some(g) => {
                            if let Err(why) = same_shape(text.as_str().unwrap_or(""), g) {
                                failures.push(format!("{name}: {path} differs in shape: {why}"));
                            }
                        }
                        None => failures.push(format!("{name}: {path} missing")),
                    }
                }
            }
        }
        // A known failure must fail, so the list stays exact.
        if known.contains(&name) {
            if failures.len() == before {
                failures.push(format!(
                    "{name}: listed in known-failures.txt but passes; remove it"
                ));
            } else {
                failures.truncate(before);
            }
        }
    }
    eprintln!(
        "helm conformance: {} cases, {templates} template outputs compared, {} failures",
        all.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Whether strata's output of a template Helm renders differently on every run has the
/// shape of Helm's: the same YAML documents, equal everywhere except strings Helm
/// draws at random. Such a string may differ when both are PEM (or base64 of PEM) with
/// blocks of the same types that parse, or when both have the same length and differ
/// only where both have letters or digits (`randAlphaNum`).
fn same_shape(helm: &str, strata: &str) -> Result<(), String> {
    let parse = |t: &str| -> Result<Vec<Json>, String> {
        Ok(strata::yaml::parse_stream(t)
            .map_err(|e| e.message)?
            .into_iter()
            .map(|d| d.value)
            .collect())
    };
    let (h, s) = (parse(helm)?, parse(strata)?);
    if h.len() != s.len() {
        return Err(format!("{} documents against {}", h.len(), s.len()));
    }
    h.iter().zip(&s).try_for_each(|(h, s)| same_value(h, s, ""))
}

fn same_value(h: &Json, s: &Json, at: &str) -> Result<(), String> {
    match (h, s) {
        (Json::Object(h), Json::Object(s)) => {
            if h.keys().ne(s.keys()) {
                return Err(format!("{at}: keys differ"));
            }
            h.iter()
                .try_for_each(|(k, v)| same_value(v, &s[k], &format!("{at}.{k}")))
        }
        (Json::Array(h), Json::Array(s)) if h.len() == s.len() => h
            .iter()
            .zip(s)
            .enumerate()
            .try_for_each(|(i, (h, s))| same_value(h, s, &format!("{at}[{i}]"))),
        (Json::String(h), Json::String(s)) if h != s => match (pem_blocks(h), pem_blocks(s)) {
            (Some(hb), Some(sb)) if hb == sb && hb.is_ok() => Ok(()),
            (Some(hb), Some(sb)) => Err(format!("{at}: PEM blocks {hb:?} against {sb:?}")),
            (Some(_), None) | (None, Some(_)) => Err(format!("{at}: PEM on one side only")),
            _ if h.len() == s.len()
                && h.bytes().zip(s.bytes()).all(|(a, b)| {
                    a == b || (a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric())
                }) =>
            {
                Ok(())
            }
            _ => Err(format!("{at}: {h:?} against {s:?}")),
        },
        _ if h == s => Ok(()),
        _ => Err(format!("{at}: {h} against {s}")),
    }
}

/// The types of the PEM blocks in `text` (or in its base64 decoding), each checked to
/// parse as what its type says (`Err` names one that does not); `None` when it has none.
fn pem_blocks(text: &str) -> Option<Result<Vec<String>, String>> {
    use base64::Engine as _;
    use strata::helm::crypto;
    use x509_cert::der::Decode as _;
    let text = if text.contains("-----BEGIN ") {
        text.to_string()
    } else {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()?;
        String::from_utf8(raw).ok()?
    };
    let mut kinds = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("-----BEGIN ") {
        let block = &rest[start..];
        let Some((kind, der)) = crypto::pem_decode(block) else {
            return Some(Err("a PEM block that does not decode".into()));
        };
        let parses = match kind.as_str() {
            "CERTIFICATE" => x509_cert::Certificate::from_der(&der).is_ok(),
            _ => crypto::parse_key_pem(block).is_ok(),
        };
        if !parses {
            return Some(Err(format!("a {kind} that does not parse")));
        }
        let end = block.find(&format!("-----END {kind}-----"))? + kind.len() + 14;
        rest = &block[end..];
        kinds.push(kind);
    }
    (!kinds.is_empty()).then_some(Ok(kinds))
}

fn first_difference(want: &str, got: &str) -> String {
    for (i, (w, g)) in want.lines().zip(got.lines()).enumerate() {
        if w != g {
            return format!("line {}:\n  helm:   {w:?}\n  strata: {g:?}", i + 1);
        }
    }
    format!(
        "lengths differ: helm {} lines, strata {} lines",
        want.lines().count(),
        got.lines().count()
    )
}

mod common;
use common::{ok, read_tree, strata, text, Scratch};

#[test]
fn template_prints_helms_stream() {
    let chart = fixtures().join("metrics-server/chart");
    let out = ok(
        &fixtures(),
        &[
            "template",
            "rel",
            chart.to_str().unwrap_or_default(),
            "-n",
            "ns",
        ],
    );
    insta::assert_snapshot!("template-metrics-server", out);
    let only = ok(
        &fixtures(),
        &[
            "template",
            "rel",
            chart.to_str().unwrap_or_default(),
            "-s",
            "templates/service.yaml",
        ],
    );
    assert!(
        only.starts_with("---\n# Source: metrics-server/templates/service.yaml\n"),
        "{only}"
    );
    assert_eq!(only.matches("# Source:").count(), 1, "{only}");
}

/// `strata template r CHART` in `dir`, which must exit 2 and print nothing: its
/// message.
fn template_refused(dir: &Path, chart: &str) -> String {
    let out = strata(dir, &["template", "r", chart]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stdout).is_empty());
    text(&out.stderr).trim().to_string()
}

#[test]
fn template_errors_name_the_file_and_exit_2() {
    let s = Scratch::new("helm-missing-dep");
    s.write("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n  - name: redis\n    version: 1.0.0\n    repository: https://charts.example.com\n");
    s.write("c/templates/a.yaml", "a: 1\n");
    let err = template_refused(&s.0, "c");
    assert!(
        err.contains("c/Chart.yaml")
            && err.contains("missing in charts/ directory: redis")
            && err.contains("helm dependency build"),
        "{err}"
    );

    s.write("d/Chart.yaml", "apiVersion: v2\nname: d\nversion: 0.1.0\n");
    s.write(
        "d/templates/a.yaml",
        "password: {{ required \"set .Values.password\" .Values.password }}\n",
    );
    assert_eq!(
        template_refused(&s.0, "d"),
        "error: execution error at (d/templates/a.yaml:1:13): set .Values.password"
    );

    // A function Go's parser does not know, even in a branch that never runs (the
    // message is the Helm SDK's).
    s.write("f/Chart.yaml", "apiVersion: v2\nname: f\nversion: 0.1.0\n");
    s.write(
        "f/templates/a.yaml",
        "a: 1\n{{- if false }}\nb: {{ nosuchfn 1 | quote }}\n{{- end }}\n",
    );
    assert_eq!(
        template_refused(&s.0, "f"),
        "error: parse error at (f/templates/a.yaml:3): function \"nosuchfn\" not defined"
    );

    // A chart large enough to render on every core: the other threads, waiting for the
    // parsed templates, are told there are none, and the command ends with the error.
    s.write("g/Chart.yaml", "apiVersion: v2\nname: g\nversion: 0.1.0\n");
    let line = "  key: {{ .Values.value | default \"a value long enough to fill the file\" }}\n";
    for i in 0..40 {
        s.write(&format!("g/templates/t{i:02}.yaml"), &line.repeat(120));
    }
    s.write("g/templates/t20.yaml", "a: {{ if }}\n");
    assert_eq!(
        template_refused(&s.0, "g"),
        "error: parse error at (g/templates/t20.yaml:1): missing value for if"
    );

    // A rule Helm's loader refuses.
    s.write("e/Chart.yaml", "apiVersion: v2\nname: e\nversion: 0.1.0\n");
    s.write("e/templates/a.yaml", "a: 1\n");
    s.write("e/.helmignore", "*.swp\ncharts/**/tests\n");
    let err = template_refused(&s.0, "e");
    assert!(
        err.contains("e/.helmignore:2") && err.contains("double-star (**) syntax is not supported"),
        "{err}"
    );
}

#[test]
fn template_set_flags_apply_in_helms_order_and_never_print_a_value() {
    let s = Scratch::new("helm-set-flags");
    s.write("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n");
    s.write("c/values.yaml", "a: 1\nlist: [x, y]\n");
    s.write(
        "c/templates/a.yaml",
        "{{- range $k, $v := .Values }}\n{{ $k }}: {{ toJson $v }}\n{{- end }}\n",
    );
    s.write("ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n");
    let ca = s.0.join("ca.pem").display().to_string();
    let out = strata(
        &s.0,
        &[
            "template",
            "r",
            "c",
            "--set",
            "a=0123,b=true,list[1]=z",
            "--set-string",
            "c=0123,d=true,e=null",
            "--set-json",
            r#"f={"x":[1,2.5,null]},a=[true]"#,
            "--set-file",
            &format!("g={ca}"),
            "--set-literal",
            r"h=x,y\z",
        ],
    );
    // Values the SDK renders this template with to the same lines: --set-json
    // before --set (which sets `a` again), --set-string's "null" a string, and
    // `list[1]` padded with null in the user's values, which replace the chart's list.
    assert_eq!(
        text(&out.stdout),
        "---\n# Source: c/templates/a.yaml\na: \"0123\"\nb: true\nc: \"0123\"\nd: \"true\"\n\
         e: \"null\"\nf: {\"x\":[1,2.5,null]}\ng: \"-----BEGIN CERTIFICATE-----\\nMIIB\\n\"\n\
         h: \"x,y\\\\z\"\nlist: [null,\"z\"]\n",
        "{}",
        text(&out.stderr)
    );

    for (flag, expr) in [
        ("--set", "password=hunter2,x"),
        ("--set-string", "password=hunter2,x"),
        ("--set-json", r#"password="hunter2"#),
    ] {
        let out = strata(&s.0, &["template", "r", "c", flag, expr]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!("{flag} \"password=…")) && !err.contains("hunter2"),
            "{err}"
        );
    }
}

#[test]
fn templates_nested_past_strata_limits_are_refused_not_crashed() {
    let s = Scratch::new("helm-deep");
    let chart = |name: &str, template: &str| {
        s.write(
            &format!("{name}/Chart.yaml"),
            &format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n"),
        );
        s.write(&format!("{name}/templates/a.yaml"), template);
    };
    let renders = |name: &str| {
        let out = strata(&s.0, &["template", "r", name]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let parens = |n: usize| format!("a: {{{{ {}1{} }}}}\n", "(".repeat(n), ")".repeat(n));
    let ifs = |n: usize| format!("{}a: 1\n{}", "{{ if 1 }}".repeat(n), "{{ end }}".repeat(n));

    // Go's limit on parentheses, and its message (the Helm SDK's, 10,001 deep).
    chart("p", &parens(10_000));
    assert!(renders("p").ends_with("a: 1\n"));
    chart("p", &parens(10_001));
    assert_eq!(
        template_refused(&s.0, "p"),
        "error: parse error at (p/templates/a.yaml:1): max expression depth exceeded"
    );

    // Blocks: Go has no limit, strata one its stack holds.
    chart("i", &ifs(10_000));
    assert!(renders("i").ends_with("a: 1\n"));
    chart("i", &ifs(10_001));
    let err = template_refused(&s.0, "i");
    assert!(
        err.contains("i/templates/a.yaml:1") && err.contains("nested more than 10000 deep"),
        "{err}"
    );
    // Each `else if` of a chain is one level more.
    chart(
        "e",
        &format!(
            "a: 1\n{{{{ if 0 }}}}{}{{{{ end }}}}",
            "{{ else if 0 }}".repeat(20_000)
        ),
    );
    assert!(template_refused(&s.0, "e").contains("nested more than 10000 deep"));

    // Blocks that include their template again: each include nests its blocks anew.
    chart(
        "n",
        &format!(
            "{{{{ define \"d\" }}}}{}{{{{ if lt (int .) 20 }}}}{{{{ include \"d\" (add1 .) }}}}{{{{ end }}}}{}{{{{ end }}}}a: {{{{ include \"d\" 0 }}}}\n",
            "{{ if 1 }}".repeat(9_000),
            "{{ end }}".repeat(9_000)
        ),
    );
    let err = template_refused(&s.0, "n");
    assert!(
        err.contains("nested more than 50000 deep: strata's limit"),
        "{err}"
    );
    // `tpl` of text that runs `tpl` on itself: Helm's Go overflows its stack; strata
    // stops at Helm's depth for templates.
    chart("t", "a: {{ tpl .Values.x . }}\n");
    s.write("t/values.yaml", "x: \"{{ tpl .Values.x . }}\"\n");
    let err = template_refused(&s.0, "t");
    assert!(
        err.ends_with(
            "rendering template has a nested reference name: gotpl: unable to execute template"
        ),
        "{}",
        &err[err.len().saturating_sub(300)..]
    );

    // A map that holds itself: Helm's Go overflows its stack printing it.
    let cyclic = "{{- $d := dict \"a\" 1 }}{{ $_ := set $d \"self\" $d }}";
    let too_deep = "a map or list nested more than 10000 deep";
    for use_it in [
        "{{ $d }}",
        "{{ toString $d }}",
        "{{ deepCopy $d | len }}",
        "{{ toToml $d }}",
    ] {
        chart("c", &format!("{cyclic}a: {use_it}\n"));
        let err = template_refused(&s.0, "c");
        assert!(
            err.contains("c/templates/a.yaml:1") && err.contains(too_deep),
            "{use_it}: {err}"
        );
    }
    // What Go does do with it (the SDK's output): compare it, merge into it, encode
    // it to JSON (a cycle, printed as nothing), take its keys.
    chart(
        "c",
        &format!(
            "{cyclic}a: {{{{ has $d (list $d) }}}}\nb: {{{{ list $d $d | uniq | len }}}}\n\
             c: {{{{ mergeOverwrite $d (dict \"self\" (dict \"b\" 1)) | len }}}}\n\
             d: {{{{ toJson $d }}}}\ne: {{{{ keys $d | sortAlpha }}}}\n"
        ),
    );
    assert!(
        renders("c").ends_with("a: true\nb: 1\nc: 3\nd: \ne: [a b self]\n"),
        "{}",
        renders("c")
    );

    // Nesting built up in a loop: dropped without recursion, refused when printed.
    let built = "{{- $d := dict }}{{ range until 200000 }}{{ $d = dict \"a\" $d }}{{ end }}";
    chart("l", &format!("{built}a: 1\n"));
    assert!(renders("l").ends_with("a: 1\n"));
    chart("l", &format!("{built}a: {{{{ toJson $d | len }}}}\n"));
    assert!(template_refused(&s.0, "l").contains(too_deep));
}

#[test]
fn a_schema_that_refers_to_the_network_is_not_checked_and_says_so() {
    let s = Scratch::new("helm-schema-url");
    s.write("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n");
    s.write("c/values.yaml", "replicas: 1\n");
    s.write("c/templates/a.yaml", "replicas: {{ .Values.replicas }}\n");
    // As bjw-s's app-template and its common library do: Helm downloads these.
    s.write(
        "c/values.schema.json",
        r##"{"$id": "https://example.com/charts/c/values.schema.json",
            "properties": {"replicas": {"$ref": "defs.json#/replicas"},
                           "other": {"$ref": "https://example.com/other.json"}}}"##,
    );
    let out = strata(&s.0, &["template", "r", "c", "--set", "replicas=two"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "---\n# Source: c/templates/a.yaml\nreplicas: two\n"
    );
    assert_eq!(
        text(&out.stderr),
        "warning: c/values.schema.json: refers to https://example.com/charts/c/defs.json \
         and 1 more ($ref), which strata does not fetch (it never uses the network): the \
         values are not checked against this schema, which Helm checks after downloading \
         what it refers to\n"
    );
    // A schema that holds all it refers to is still checked.
    s.write(
        "c/values.schema.json",
        r##"{"properties": {"replicas": {"$ref": "#/$defs/count"}},
            "$defs": {"count": {"type": "integer"}}}"##,
    );
    let out = strata(&s.0, &["template", "r", "c", "--set", "replicas=two"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stdout).is_empty());
    let err = text(&out.stderr);
    assert!(
        err.contains("- at '/replicas': got string, want integer"),
        "{err}"
    );
}

#[test]
fn helmignore_leaves_out_what_helms_loader_leaves_out() {
    let s = Scratch::new("helm-ignore");
    s.write("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n");
    s.write(
        "c/templates/files.yaml",
        "files: {{ range $p, $_ := .Files.Glob \"**\" }}{{ $p }} {{ end }}\n",
    );
    s.write("c/templates/.hidden.yaml", "hidden: 1\n");
    s.write("c/templates/sub/.kept.yaml", "kept: 1\n");
    s.write("c/docs/a.md", "a\n");
    s.write("c/docs/deep/b.md", "b\n");
    s.write("c/ci/values.yaml", "c: 1\n");
    s.write("c/keep.tmp", "k\n");
    s.write("c/.helmignore", "docs/*.md\nci/\n*.tmp\n");
    // As the Helm SDK renders it: `docs/*.md` does not reach into docs/deep; `ci/`
    // drops the folder; a dotfile directly in templates/ is Helm's default, one deeper
    // is a template.
    assert_eq!(
        ok(&s.0, &["template", "r", "c"]),
        "---\n# Source: c/templates/files.yaml\nfiles: .helmignore docs/deep/b.md \n\n---\n# Source: c/templates/sub/.kept.yaml\nkept: 1\n"
    );
}

#[test]
fn platform_example_renders_upstream_charts_per_env() {
    let s = Scratch::example("platform", "helm");
    ok(&s.0, &["render"]);
    let tree = read_tree(&s.0.join("rendered"));
    let files = |prefix: &str| tree.keys().filter(|k| k.starts_with(prefix)).count();
    assert!(files("apps/prod/prod-1/ingress-nginx/") > 10);
    assert!(tree.contains_key(
        "apps/prod/prod-1/ingress-nginx/horizontalpodautoscaler-ingress-nginx-controller.yaml"
    ));
    assert!(!tree.contains_key(
        "apps/dev/dev-1/ingress-nginx/horizontalpodautoscaler-ingress-nginx-controller.yaml"
    ));
    assert_eq!(
        files("apps/dev/dev-1/external-dns/"),
        0,
        "external-dns is for staging and prod only"
    );
    let dns = &tree["apps/prod/prod-2/external-dns/deployment-external-dns.yaml"];
    assert!(
        dns.contains("--txt-owner-id=prod-2") && dns.contains("--domain-filter=prod-2.example.com"),
        "{dns}"
    );
    // The release is the app and the namespace the app's.
    let cm = &tree["apps/staging/staging-1/cert-manager/deployment-cert-manager.yaml"];
    assert!(
        cm.contains("namespace: cert-manager")
            && cm.contains("app.kubernetes.io/instance: cert-manager"),
        "{cm}"
    );
    // Unchanged inputs: a check finds nothing stale.
    ok(&s.0, &["render", "--check"]);
}

#[test]
fn build_enable_helm_inflates_vendored_charts() {
    let s = Scratch::new("helm-build");
    common::copy_dir(
        &fixtures().join("metrics-server/chart"),
        &s.0.join("charts/metrics-server"),
    );
    s.write(
        "kustomization.yaml",
        "helmCharts:\n  - name: metrics-server\n    releaseName: ms\n    namespace: kube-system\n    valuesInline:\n      replicas: 2\nnamePrefix: team-\n",
    );
    let refused = strata(&s.0, &["build", "."]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("--enable-helm"),
        "{}",
        text(&refused.stderr)
    );
    assert!(text(&refused.stdout).is_empty());

    let out = ok(&s.0, &["build", "--enable-helm", "."]);
    assert!(out.contains("name: team-ms-metrics-server\n"), "{out}");
    assert!(out.contains("replicas: 2\n"), "{out}");
    assert!(out.contains("namespace: kube-system\n"), "{out}");

    // `skipTests` and `skipHooks` leave out what `--skip-tests` and `--no-hooks` do.
    s.write(
        "charts/hooked/Chart.yaml",
        "apiVersion: v2\nname: hooked\nversion: 0.1.0\n",
    )
    .write(
        "charts/hooked/templates/all.yaml",
        "kind: ConfigMap\nmetadata:\n  name: plain\n---\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install\n---\nkind: Pod\nmetadata:\n  name: smoke\n  annotations:\n    helm.sh/hook: test\n",
    );
    let names = |skips: &str| {
        s.write(
            "kustomization.yaml",
            &format!("helmCharts:\n  - name: hooked\n    releaseName: h\n{skips}"),
        );
        let out = ok(&s.0, &["build", "--enable-helm", "."]);
        let mut names: Vec<String> = out
            .lines()
            .filter_map(|l| l.strip_prefix("  name: "))
            .map(str::to_string)
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(""), ["migrate", "plain", "smoke"]);
    assert_eq!(names("    skipTests: true\n"), ["migrate", "plain"]);
    assert_eq!(names("    skipHooks: true\n"), ["plain"]);

    s.write(
        "kustomization.yaml",
        "helmCharts:\n  - name: redis\n    repo: https://charts.example.com\n",
    );
    let missing = strata(&s.0, &["build", "--enable-helm", "."]);
    assert_eq!(missing.status.code(), Some(2));
    let err = text(&missing.stderr);
    assert!(
        err.contains("kustomization.yaml")
            && err.contains("not in the repository")
            && err.contains("never downloads"),
        "{err}"
    );
}

#[test]
fn a_traced_render_prints_the_same_with_an_origin_for_each_line() {
    let mut traced_lines = 0;
    for (dir, case) in cases() {
        let Ok((chart, opts)) = load_case(&dir, &case) else {
            continue;
        };
        let plain = render::render(&chart, &opts);
        let traced = render::render_traced(&chart, &opts);
        match (plain, traced) {
            (Ok(plain), Ok(traced)) => {
                assert_eq!(plain.files, traced.files, "{}/{case}", dir.display());
                assert!(plain.lines.is_empty(), "traces only when asked");
                for (path, text) in &traced.files {
                    let lines = &traced.lines[path];
                    assert_eq!(lines.len(), text.split('\n').count(), "{path}");
                    for (l, o) in text.split('\n').zip(lines) {
                        assert_eq!(
                            o.is_some(),
                            !l.trim().is_empty(),
                            "{path}: a printed line has an origin, a blank one none: {l:?}"
                        );
                    }
                    traced_lines += lines.len();
                }
            }
            (Err(a), Err(b)) => assert_eq!(a, b),
            (a, b) => panic!("{}/{case}: {:?} / {:?}", dir.display(), a.err(), b.err()),
        }
    }
    assert!(traced_lines > 1000, "{traced_lines}");
}

/// For the first output line of `template` (in chart `name`, case `case`) that
/// starts with `prefix` after `after` lines that do: the template file and the text
/// of the template line that printed it, trimmed.
fn printed_by(
    name: &str,
    case: &str,
    template: &str,
    prefix: &str,
    after: usize,
) -> (String, String) {
    let dir = fixtures().join(name);
    let (chart, opts) = load_case(&dir, case).unwrap();
    let r = render::render_traced(&chart, &opts).unwrap();
    let text = &r.files[template];
    let at = text
        .split('\n')
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with(prefix))
        .nth(after)
        .unwrap_or_else(|| panic!("no line {prefix:?} in {template}:\n{text}"))
        .0;
    let (file, line) = r.lines[template][at].clone().unwrap()[0].clone();
    // `CHART/templates/x` is `chart/templates/x` in the fixture.
    let rel = format!("chart/{}", file.split_once('/').unwrap().1);
    let src = std::fs::read_to_string(dir.join(&rel)).unwrap();
    let said = src
        .lines()
        .nth(line as usize - 1)
        .unwrap()
        .trim()
        .to_string();
    (file, said)
}

#[test]
fn a_field_printed_directly_is_its_templates_line() {
    assert_eq!(
        printed_by(
            "podinfo",
            "default",
            "podinfo/templates/deployment.yaml",
            "replicas:",
            0
        ),
        (
            "podinfo/templates/deployment.yaml".into(),
            "replicas: {{ .Values.replicaCount }}".into()
        )
    );
}

#[test]
fn a_label_printed_through_include_and_nindent_is_the_helpers_line() {
    assert_eq!(
        printed_by(
            "podinfo",
            "default",
            "podinfo/templates/deployment.yaml",
            "app.kubernetes.io/managed-by:",
            0
        ),
        (
            "podinfo/templates/_helpers.tpl".into(),
            "app.kubernetes.io/managed-by: {{ .Release.Service }}".into()
        )
    );
    // Two includes deep (labels includes selectorLabels), in a selector and in the
    // pod template's labels.
    for after in 0..3 {
        assert_eq!(
            printed_by(
                "ingress-nginx",
                "default",
                "ingress-nginx/templates/controller-deployment.yaml",
                "app.kubernetes.io/instance:",
                after
            ),
            (
                "ingress-nginx/templates/_helpers.tpl".into(),
                "app.kubernetes.io/instance: {{ .Release.Name }}".into()
            )
        );
    }
    // The value an include printed on a line of the template's own text.
    assert_eq!(
        printed_by(
            "ingress-nginx",
            "default",
            "ingress-nginx/templates/controller-deployment.yaml",
            "helm.sh/chart:",
            0
        )
        .1,
        "{{- printf \"%s-%s\" .Chart.Name .Chart.Version | replace \"+\" \"_\" | trunc 63 | trimSuffix \"-\" -}}"
    );
}

#[test]
fn a_field_of_a_containers_block_from_a_define_is_its_line_there() {
    let t = "prometheus-blackbox-exporter/templates/deployment.yaml";
    let helpers = "prometheus-blackbox-exporter/templates/_helpers.tpl".to_string();
    assert_eq!(
        printed_by(
            "prometheus-blackbox-exporter",
            "default",
            t,
            "- containerPort:",
            0
        ),
        (
            helpers.clone(),
            "- containerPort: {{ .Values.containerPort }}".into()
        )
    );
    assert_eq!(
        printed_by(
            "prometheus-blackbox-exporter",
            "default",
            t,
            "name: http",
            0
        ),
        (helpers.clone(), "name: http".into()),
        "template text inside the define"
    );
    assert_eq!(
        printed_by(
            "prometheus-blackbox-exporter",
            "default",
            t,
            "- name: blackbox-exporter",
            0
        ),
        (helpers, "- name: blackbox-exporter".into())
    );
}

#[test]
fn an_output_line_traced_to_a_literal_template_line_is_that_line() {
    // A template line without `{{` prints itself (indented as an include's nindent
    // puts it): where the trace points at one, the output line must hold its text
    // (text of another line may come first: `---` joined to it by a `{{-`; and after it:
    // jobset prints `name: '{{ include ... }}'`, quoting the define's line).
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (dir, case) in cases() {
        let Ok((chart, opts)) = load_case(&dir, &case) else {
            continue;
        };
        let Ok(r) = render::render_traced(&chart, &opts) else {
            continue;
        };
        let mut sources: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (path, text) in &r.files {
            for (out, chain) in text.split('\n').zip(&r.lines[path]) {
                let Some((file, line)) = chain.as_ref().and_then(|c| c.first()) else {
                    continue;
                };
                let lines = sources.entry(file.clone()).or_insert_with(|| {
                    let rel = format!("chart/{}", file.split_once('/').unwrap().1);
                    std::fs::read_to_string(dir.join(rel))
                        .map(|t| t.lines().map(str::to_string).collect())
                        .unwrap_or_default()
                });
                let Some(src) = lines.get(*line as usize - 1) else {
                    wrong.push(format!("{path}: {file}:{line} is past the end"));
                    continue;
                };
                if src.contains("{{") {
                    continue;
                }
                checked += 1;
                if !out.contains(src.trim()) {
                    wrong.push(format!(
                        "{}/{case} {path}: {out:?} traced to {file}:{line} {src:?}",
                        dir.display()
                    ));
                }
            }
        }
    }
    assert!(checked > 1000, "{checked}");
    assert!(
        wrong.is_empty(),
        "{} of {checked}:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(20)].join("\n")
    );
}

#[test]
fn shape_comparison_accepts_only_random_differences() {
    let pem = |k: &str| {
        strata::helm::crypto::key_pem(&strata::helm::crypto::parse_key_pem(k).expect("key parses"))
            .expect("prints")
    };
    // A P-256 key made by openssl.
    let a = pem("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIAnf7LU4g+bVd2bwBi+WSSRyY35xw5tvVGCZG5FL4H3ioAoGCCqGSM49\nAwEHoUQDQgAEe84et/batUNZKZBrensJ8ALIAphzJ9enGV6238G77ymJJVVPBlfh\n3zxyw7QQ0liE7vcaCVPBpEWrSPhhk6Kz9w==\n-----END EC PRIVATE KEY-----\n");
    let doc = |name: &str, key: &str| {
        format!("kind: Secret\nmetadata:\n  name: {name}\ndata:\n  k: {key:?}\n")
    };
    assert!(same_shape(&doc("web-ab3x", &a), &doc("web-q9z1", &a)).is_ok());
    assert!(
        same_shape(&doc("web-ab3x", &a), &doc("web_ab3x", &a)).is_err(),
        "a non-random character"
    );
    assert!(same_shape(&doc("web", &a), &doc("web", "not a key")).is_err());
    assert!(same_shape(
        &doc("web", &a),
        &format!("{}---\n{}", doc("web", &a), doc("web", &a))
    )
    .is_err());
    let broken = a.replace("MHcCAQEE", "MHcCAQEF");
    assert!(
        same_shape(&doc("web", &a), &doc("web", &broken)).is_err(),
        "a block that does not parse"
    );
}

// What `helm template` prints, read from Helm v4's code (the SDK only returns each
// template's output, so the stream itself cannot come from the reference):
//
// - `pkg/action/action.go` `renderResources`: the engine renders every template of the
//   chart and its enabled subcharts; every file ending in `NOTES.txt` (the subcharts'
//   too) is taken out and never printed by `helm template`.
// - `pkg/release/v1/util/manifest_sorter.go` `SortManifests`: files in byte order of
//   their path; a file whose base name starts with `_`, or whose output is only white
//   space, is skipped. Each file is split by `SplitManifests` (`manifest.go`: a line
//   starting with `---` and spaces or tabs separates; what follows on that line starts
//   the next document; each document loses its leading white space and keeps its
//   trailing one; white-space-only documents are dropped), so a template with three
//   documents gives three entries with the same `# Source:`. A comment-only document is
//   an entry of kind "". Each document is read into `SimpleHead` (apiVersion, kind,
//   metadata.name, metadata.annotations) with sigs.k8s.io/yaml: YAML 1.1, scalars turned
//   into text where a string is wanted; a list or mapping there is an error,
//   `YAML parse error on PATH: ...`. A document with a `helm.sh/hook` annotation is a
//   hook: its comma-separated events, trimmed and lower-cased, must all be known
//   (pre/post-install/-upgrade/-delete/-rollback, test, test-success), else the
//   document is dropped entirely; every other document is a manifest.
// - `kind_sorter.go`: manifests and hooks each stable-sorted by kind in `InstallOrder`;
//   unknown kinds after the known ones, by kind name (the empty kind first); the same
//   kind keeps file order. Hooks are not sorted by weight for printing.
// - `renderResources` then writes, with `--include-crds`, each CRD file first
//   (`Chart.CRDObjects`: the chart's `crds/*.yaml|yml|json` in file order, then each
//   subchart's, named `CHART/charts/SUB/crds/x.yaml`, raw), then each manifest, each as
//   `---\n# Source: PATH\nCONTENT\n`.
// - `pkg/cmd/template.go`: prints that text trimmed plus one newline (so the last
//   manifest has no blank line after it, and a chart with no manifests starts with an
//   empty line), then each hook, tests included, as `---\n# Source: PATH\nCONTENT\n`.
//   With `--show-only`, that whole text is split again with `SplitManifests`; for each
//   pattern in order, every document whose first `# Source: CHART/REST` has a REST that
//   `filepath.Match`es it is printed as `---\nDOC\n` (twice if two patterns match);
//   a pattern that matches nothing fails: `could not find template P in chart`.
#[test]
fn template_stream_follows_helms_code() {
    let s = Scratch::new("helm-stream");
    s.write("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n")
        .write("c/charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n")
        .write("c/crds/b.yaml", "kind: CustomResourceDefinition\nmetadata:\n  name: b.example.com\n")
        .write("c/crds/a.yml", "kind: CustomResourceDefinition\nmetadata:\n  name: a.example.com\n")
        .write("c/crds/README.md", "not a manifest\n")
        .write(
            "c/charts/sub/crds/s.yaml",
            "kind: CustomResourceDefinition\nmetadata:\n  name: s.example.com\n",
        )
        .write("c/templates/NOTES.txt", "Thanks for installing {{ .Release.Name }}\n")
        .write("c/charts/sub/templates/NOTES.txt", "sub notes\n")
        .write("c/charts/sub/templates/cm.yaml", "kind: ConfigMap\nmetadata:\n  name: sub\n")
        .write("c/templates/_helpers.tpl", "{{- define \"x\" }}kind: Secret{{ end }}\n")
        .write("c/templates/empty.yaml", "{{- if false }}\nkind: Secret\n{{- end }}\n")
        .write(
            "c/templates/multi.yaml",
            "kind: Deployment\nmetadata:\n  name: web\n---\n# only a comment\n--- \nkind: Service\nmetadata:\n  name: web\n---\nkind: Widget\nmetadata:\n  name: w\n",
        )
        .write(
            "c/templates/hooks.yaml",
            "kind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-weight: \"5\"\n---\nkind: ConfigMap\nmetadata:\n  name: hook-cm\n  annotations:\n    helm.sh/hook: Post-Install\n---\nkind: Pod\nmetadata:\n  name: skipped\n  annotations:\n    helm.sh/hook: pre-install,on-a-whim\n",
        )
        .write(
            "c/templates/sub/test.yaml",
            "kind: Pod\nmetadata:\n  name: test\n  annotations:\n    helm.sh/hook: test\n",
        )
        // `name: n` is `false` in YAML 1.1, which SimpleHead reads back as text.
        .write(
            "c/templates/a.yaml",
            "kind: Gadget\nmetadata:\n  name: g\n---\nkind: Namespace\nmetadata:\n  name: n\n",
        );
    let doc = |path: &str, body: &str| format!("---\n# Source: c/{path}\n{body}\n");
    let manifests = [
        doc(
            "templates/a.yaml",
            "kind: Namespace\nmetadata:\n  name: n\n",
        ),
        doc(
            "charts/sub/templates/cm.yaml",
            "kind: ConfigMap\nmetadata:\n  name: sub\n",
        ),
        doc(
            "templates/multi.yaml",
            "kind: Service\nmetadata:\n  name: web\n",
        ),
        doc(
            "templates/multi.yaml",
            "kind: Deployment\nmetadata:\n  name: web\n",
        ),
        doc("templates/multi.yaml", "# only a comment\n"),
        doc("templates/a.yaml", "kind: Gadget\nmetadata:\n  name: g\n"),
        "---\n# Source: c/templates/multi.yaml\nkind: Widget\nmetadata:\n  name: w\n".into(),
    ]
    .concat();
    let hooks = [
        doc(
            "templates/hooks.yaml",
            "kind: ConfigMap\nmetadata:\n  name: hook-cm\n  annotations:\n    helm.sh/hook: Post-Install\n",
        ),
        doc(
            "templates/sub/test.yaml",
            "kind: Pod\nmetadata:\n  name: test\n  annotations:\n    helm.sh/hook: test\n",
        ),
        doc(
            "templates/hooks.yaml",
            "kind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-weight: \"5\"\n",
        ),
    ]
    .concat();
    assert_eq!(
        ok(&s.0, &["template", "rel", "c"]),
        format!("{manifests}{hooks}")
    );

    let crds = [
        doc(
            "crds/a.yml",
            "kind: CustomResourceDefinition\nmetadata:\n  name: a.example.com\n",
        ),
        doc(
            "crds/b.yaml",
            "kind: CustomResourceDefinition\nmetadata:\n  name: b.example.com\n",
        ),
        doc(
            "charts/sub/crds/s.yaml",
            "kind: CustomResourceDefinition\nmetadata:\n  name: s.example.com\n",
        ),
    ]
    .concat();
    assert_eq!(
        ok(&s.0, &["template", "rel", "c", "--include-crds"]),
        format!("{crds}{manifests}{hooks}")
    );

    // --show-only: the documents of the full stream (each keeps the blank line the
    // stream had after it), per pattern in order.
    let only = ok(
        &s.0,
        &[
            "template",
            "rel",
            "c",
            "-s",
            "templates/sub/*.yaml",
            "-s",
            "templates/m*.yaml",
        ],
    );
    let again = |d: &str| format!("---\n{}\n", d.trim_start_matches("---\n"));
    assert_eq!(
        only,
        [
            again(&doc(
                "templates/sub/test.yaml",
                "kind: Pod\nmetadata:\n  name: test\n  annotations:\n    helm.sh/hook: test\n",
            )),
            again(&doc(
                "templates/multi.yaml",
                "kind: Service\nmetadata:\n  name: web\n"
            )),
            again(&doc(
                "templates/multi.yaml",
                "kind: Deployment\nmetadata:\n  name: web\n"
            )),
            again(&doc("templates/multi.yaml", "# only a comment\n")),
            again(&doc(
                "templates/multi.yaml",
                "kind: Widget\nmetadata:\n  name: w"
            )),
        ]
        .concat()
    );
    let out = strata(&s.0, &["template", "rel", "c", "-s", "templates/nope.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("could not find template templates/nope.yaml in chart"));

    // A list where SimpleHead wants text fails the render as Helm's decoding does.
    s.write(
        "c/templates/bad.yaml",
        "kind: Pod\nmetadata:\n  name: p\n  annotations:\n    a: [1]\n",
    );
    let out = strata(&s.0, &["template", "rel", "c"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim(),
        "error: YAML parse error on c/templates/bad.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field .metadata.annotations of type string"
    );
    assert!(text(&out.stdout).is_empty());
}

#[test]
fn template_flags_leave_out_hooks_tests_and_secrets_as_helm_does() {
    let s = Scratch::new("helm-stream-flags");
    s.write("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n")
        .write(
            "c/values.schema.json",
            r#"{"type": "object", "properties": {"replicas": {"type": "integer"}}}"#,
        )
        .write("c/values.yaml", "replicas: 1\n")
        .write(
            "c/templates/secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: hunter2\n---\napiVersion: example.com/v1\nkind: Secret\nmetadata:\n  name: not-core\n",
        )
        .write(
            "c/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  upgrade: {{ .Release.IsUpgrade | quote }}\n  replicas: {{ .Values.replicas | quote }}\n",
        )
        .write(
            "c/templates/hooks.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: hook-secret\n  annotations:\n    helm.sh/hook: pre-install\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: old-test\n  annotations:\n    helm.sh/hook: Test-Success\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: test\n  annotations:\n    helm.sh/hook: post-install, test\n",
        );
    let doc = |path: &str, body: &str| format!("---\n# Source: c/templates/{path}\n{body}\n");
    let secret = doc(
        "secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: hunter2\n",
    );
    let hidden = doc(
        "secret.yaml",
        "# HIDDEN: The Secret output has been suppressed",
    );
    let cm = |upgrade: &str, replicas: &str| {
        doc(
            "cm.yaml",
            &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  upgrade: \"{upgrade}\"\n  replicas: \"{replicas}\"\n"),
        )
    };
    let not_core = doc(
        "secret.yaml",
        "apiVersion: example.com/v1\nkind: Secret\nmetadata:\n  name: not-core\n",
    );
    let hook_secret = doc(
        "hooks.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: hook-secret\n  annotations:\n    helm.sh/hook: pre-install\n",
    );
    let old_test = doc(
        "hooks.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: old-test\n  annotations:\n    helm.sh/hook: Test-Success\n",
    );
    let test = doc(
        "hooks.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: test\n  annotations:\n    helm.sh/hook: post-install, test\n",
    );
    // Helm trims the end of the manifests (before the hooks).
    let last = |d: &String| format!("{}\n", d.trim_end());
    let base = ["template", "rel", "c"];
    let with = |flags: &[&str]| ok(&s.0, &[&base[..], flags].concat());
    let installed = cm("false", "1");
    assert_eq!(
        with(&[]),
        [
            &secret,
            &not_core,
            &last(&installed),
            &hook_secret,
            &old_test,
            &test
        ]
        .map(String::as_str)
        .concat()
    );
    // Helm's `--no-hooks` and `--skip-tests`; `--hide-secret` hides core Secrets among
    // the manifests only, as Helm does (a hook's is printed).
    assert_eq!(
        with(&["--no-hooks"]),
        [&secret, &not_core, &last(&installed)]
            .map(String::as_str)
            .concat()
    );
    assert_eq!(
        with(&["--skip-tests"]),
        [&secret, &not_core, &last(&installed), &hook_secret]
            .map(String::as_str)
            .concat()
    );
    assert_eq!(
        with(&["--hide-secret", "--skip-tests"]),
        [&hidden, &not_core, &last(&installed), &hook_secret]
            .map(String::as_str)
            .concat()
    );
    assert!(!with(&["--hide-secret", "--no-hooks"]).contains("hunter2"));
    assert_eq!(
        with(&["--is-upgrade", "--no-hooks"]),
        [&secret, &not_core, &last(&cm("true", "1"))]
            .map(String::as_str)
            .concat()
    );

    // The schema refuses a string for `replicas` unless told not to check.
    let out = strata(
        &s.0,
        &[&base[..], &["--set-string", "replicas=two"]].concat(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("values don't meet the specifications of the schema"));
    assert!(text(&out.stdout).is_empty());
    assert_eq!(
        with(&[
            "--set-string",
            "replicas=two",
            "--skip-schema-validation",
            "--no-hooks"
        ]),
        [&secret, &not_core, &last(&cm("false", "two"))]
            .map(String::as_str)
            .concat()
    );
}

#[test]
fn a_value_tpl_cannot_parse_is_not_quoted_in_the_error() {
    let s = Scratch::new("helm-tpl-secret");
    s.write("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n")
        .write("c/values.yaml", "config: \"password: hunter2 {{ .oops\"\n")
        .write(
            "c/templates/cm.yaml",
            "data: {{ tpl .Values.config . | quote }}\n",
        );
    let out = strata(&s.0, &["template", "rel", "c"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("c/templates/cm.yaml:1:")
            && err.contains("error calling tpl: cannot parse template (its text not quoted")
            && err.contains("gotpl:1: unclosed action"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
    assert!(text(&out.stdout).is_empty());
}

#[test]
fn generated_certificates_are_byte_stable_and_warned_about() {
    let chart = fixtures().join("nginx/chart");
    let chart = chart.to_str().unwrap_or_default();
    let args = [
        "template",
        "rel",
        chart,
        "-n",
        "ns",
        "-s",
        "templates/tls-secret.yaml",
    ];
    let first = strata(&fixtures(), &args);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let second = strata(&fixtures(), &args);
    assert_eq!(first.stdout, second.stdout, "same release, same bytes");
    let out = text(&first.stdout);
    assert!(out.contains("tls.crt: ") && out.contains("tls.key: ") && out.contains("ca.crt: "));
    let warnings = text(&first.stderr);
    assert!(
        warnings.contains("warning: nginx/templates/tls-secret.yaml:7: genCA makes a new key")
            && warnings.contains("nginx/templates/tls-secret.yaml:20: genSignedCert"),
        "{warnings}"
    );
    let other = strata(
        &fixtures(),
        &[
            "template",
            "other",
            chart,
            "-n",
            "ns",
            "-s",
            "templates/tls-secret.yaml",
        ],
    );
    assert_ne!(first.stdout, other.stdout, "another release, other keys");
}

/// A fleet of one cluster (`prod-1`, env `prod`) and one `source: helm` app, `edge`, whose
/// chart (`apps/edge/base/`) has only its Chart.yaml: the caller writes the rest.
fn helm_app_fleet(name: &str, strata_yaml: &str) -> Scratch {
    let s = Scratch::new(name);
    s.write("strata.yaml", strata_yaml)
        .write("clusters/prod-1.yaml", "name: prod-1\nenv: prod\n")
        .write(
            "apps/edge/app.yaml",
            "name: edge\nnamespace: edge\nsource: helm\n",
        )
        .write(
            "apps/edge/base/Chart.yaml",
            "apiVersion: v2\nname: edge\nversion: 0.1.0\n",
        );
    s
}

#[test]
fn strata_yaml_api_versions_reach_a_charts_capabilities_and_re_render() {
    let s = helm_app_fleet("helm-api-versions", "kubernetesVersion: \"1.33\"\n");
    s.write(
            "apps/edge/base/templates/pdb.yaml",
            "{{- if .Capabilities.APIVersions.Has \"policy/v1/PodDisruptionBudget\" }}\napiVersion: policy/v1\n{{- else }}\napiVersion: policy/v1beta1\n{{- end }}\nkind: PodDisruptionBudget\nmetadata:\n  name: edge\nspec:\n  maxUnavailable: 1\n",
        );
    let read = || {
        let tree = read_tree(&s.0.join("rendered"));
        let pdb = tree
            .iter()
            .find(|(path, _)| path.ends_with("poddisruptionbudget-edge.yaml"));
        pdb.map(|(_, text)| text.clone()).unwrap_or_default()
    };
    ok(&s.0, &["render", "--quiet"]);
    // As `helm template`: the defaults are group/versions only, not kinds.
    assert!(
        read().starts_with("apiVersion: policy/v1beta1\n"),
        "{}",
        read()
    );
    s.write(
        "strata.yaml",
        "kubernetesVersion: \"1.33\"\napiVersions: [policy/v1/PodDisruptionBudget]\n",
    );
    let summary = ok(&s.0, &["render"]);
    assert!(summary.contains("(1 rendered,"), "{summary}");
    assert!(read().starts_with("apiVersion: policy/v1\n"), "{}", read());
    // A wrong type is refused, naming strata.yaml.
    s.write("strata.yaml", "apiVersions: policy/v1\n");
    let bad = strata(&s.0, &["render"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("strata.yaml"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn a_helm_apps_options_leave_out_tests_hooks_and_schema_checks_and_re_render() {
    let s = helm_app_fleet("helm-app-options", "");
    s.write(
            "apps/edge/base/values.schema.json",
            r#"{"type": "object", "properties": {"replicas": {"type": "integer"}}}"#,
        )
        .write("apps/edge/base/values.yaml", "replicas: 1\n")
        .write(
            "apps/edge/base/templates/all.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  replicas: {{ .Values.replicas | quote }}\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: smoke\n  annotations:\n    helm.sh/hook: test\n",
        );
    let names = || {
        let mut names: Vec<String> = read_tree(&s.0.join("rendered"))
            .into_values()
            .filter_map(|text| {
                text.lines()
                    .find_map(|l| l.strip_prefix("  name: "))
                    .map(str::to_string)
            })
            .collect();
        names.sort();
        names
    };
    ok(&s.0, &["render", "--quiet"]);
    assert_eq!(names(), ["migrate", "plain", "smoke"]);
    // Changing the options re-renders the unit (they are part of its definition).
    s.write(
        "apps/edge/app.yaml",
        "name: edge\nnamespace: edge\nsource: helm\nhelm:\n  skipTests: true\n",
    );
    let summary = ok(&s.0, &["render"]);
    assert!(summary.contains("(1 rendered,"), "{summary}");
    assert_eq!(names(), ["migrate", "plain"]);
    s.write(
        "apps/edge/app.yaml",
        "name: edge\nnamespace: edge\nsource: helm\nhelm:\n  skipHooks: true\n",
    );
    ok(&s.0, &["render", "--quiet"]);
    assert_eq!(names(), ["plain"]);

    // A layer's value the schema refuses stops the render, unless the app says not to check.
    s.write("apps/edge/env/prod.yaml", "values:\n  replicas: two\n");
    let refused = strata(&s.0, &["render"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("values don't meet the specifications of the schema"),
        "{}",
        text(&refused.stderr)
    );
    s.write(
        "apps/edge/app.yaml",
        "name: edge\nnamespace: edge\nsource: helm\nhelm:\n  skipHooks: true\n  skipSchemaValidation: true\n",
    );
    ok(&s.0, &["render", "--quiet"]);
    let cm = read_tree(&s.0.join("rendered"))
        .into_iter()
        .find(|(path, _)| path.ends_with("configmap-plain.yaml"))
        .map(|(_, text)| text)
        .unwrap_or_default();
    assert!(cm.contains("replicas: two"), "{cm}");

    // `helm:` on an app that is not a Helm chart is refused, naming its file; the tree stays.
    let before = read_tree(&s.0.join("rendered"));
    s.write("apps/web/app.yaml", "name: web\nhelm:\n  skipTests: true\n")
        .write("apps/web/base/kustomization.yaml", "resources: []\n");
    let bad = strata(&s.0, &["render"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = text(&bad.stderr);
    assert!(
        err.contains("apps/web/app.yaml") && err.contains("`source: helm` apps only"),
        "{err}"
    );
    assert_eq!(read_tree(&s.0.join("rendered")), before);
}

#[test]
fn capabilities_print_through_to_yaml_as_helm_prints_them() {
    let s = Scratch::new("helm-caps-yaml");
    s.write("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n");
    s.write(
        "c/templates/a.yaml",
        "kv: {{ .Capabilities.KubeVersion | toYaml | nindent 2 }}\nhv: {{ .Capabilities.HelmVersion | toYaml | nindent 2 }}\napis: {{ .Capabilities.APIVersions | toJson | contains \"\\\"policy/v1\\\"\" }}\ncaps: {{ .Capabilities | toYaml | contains \"kube_client_version\" }}\n",
    );
    // As the Helm SDK (v4.2) prints them.
    assert_eq!(
        ok(&s.0, &["template", "r", "c"]),
        "---\n# Source: c/templates/a.yaml\nkv: \n  Major: \"1\"\n  Minor: \"36\"\n  Version: v1.36.0\nhv: \n  go_version: go1.26.6\n  kube_client_version: v1.36\n  version: v4.2\napis: true\ncaps: true\n"
    );
}

#[test]
fn layer_values_of_a_helm_app_are_read_as_helm_reads_values() {
    let s = Scratch::new("helm-layer-yaml11");
    s.write("strata.yaml", "layers: [env]\n")
        .write("clusters/prod-1.yaml", "name: prod-1\nenv: prod\n")
        .write("apps/edge/app.yaml", "name: edge\nnamespace: edge\nsource: helm\n")
        .write(
            "apps/edge/base/Chart.yaml",
            "apiVersion: v2\nname: edge\nversion: 0.1.0\n",
        )
        .write(
            "apps/edge/base/values.yaml",
            "ingress:\n  enabled: true\nmode: \"\"\n",
        )
        .write(
            "apps/edge/base/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: edge\ndata:\n  ingress: {{ .Values.ingress.enabled | quote }}\n  mode: {{ .Values.mode | quote }}\n  kind: {{ kindOf .Values.ingress.enabled | quote }}\n",
        )
        // YAML 1.1, as in a values file given to `helm template -f`: `off` is false; a
        // quoted "on" stays text.
        .write(
            "apps/edge/env/prod.yaml",
            "values:\n  ingress:\n    enabled: off\n  mode: \"on\"\n",
        );
    ok(&s.0, &["render", "--quiet"]);
    let tree = read_tree(&s.0.join("rendered"));
    let (_, cm) = tree
        .iter()
        .find(|(path, _)| path.ends_with("configmap-edge.yaml"))
        .expect("the ConfigMap is rendered");
    assert!(
        cm.contains("ingress: \"false\"")
            && cm.contains("mode: \"on\"")
            && cm.contains("kind: bool"),
        "{cm}"
    );
}
