use super::skim;
use crate::yaml::parse_stream;
use serde_json::Value;

const KIND: &[&str] = &["kind"];
const HOOK: &[&str] = &["metadata", "annotations", "helm.sh/hook"];

const API_VERSION: &[&str] = &["apiVersion"];
const NAME: &[&str] = &["metadata", "name"];
const ANNOTATIONS: &[&str] = &["metadata", "annotations", "*"];

/// What Helm reads of a rendered document (see `helm::render::head_of`).
fn head(doc: &str) -> Option<Vec<Option<String>>> {
    let mut h = skim(doc, &[KIND, HOOK, API_VERSION, NAME, ANNOTATIONS])?;
    h.truncate(2);
    Some(h)
}

/// What the full parses say of the same paths: `None` when either fails, or the
/// document does not have the shape the paths ask for.
fn parsed_head(doc: &str) -> Option<Vec<Option<String>>> {
    crate::yaml::parse_stream_helm(doc).ok()?;
    let docs = parse_stream(doc).ok()?;
    let v = docs
        .into_iter()
        .next()
        .map(|d| d.value)
        .unwrap_or(Value::Null);
    let scalar = |v: Option<&Value>| !matches!(v, Some(Value::Array(_) | Value::Object(_)));
    let map_or_null = |v: Option<&Value>| matches!(v, None | Some(Value::Null | Value::Object(_)));
    let shaped = map_or_null(Some(&v))
        && scalar(v.get("apiVersion"))
        && scalar(v.get("kind"))
        && map_or_null(v.get("metadata"))
        && scalar(v.pointer("/metadata/name"))
        && map_or_null(v.pointer("/metadata/annotations"))
        && v.pointer("/metadata/annotations")
            .and_then(Value::as_object)
            .is_none_or(|a| a.values().all(|x| scalar(Some(x))));
    if !shaped {
        return None;
    }
    let at = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
    Some(vec![at("/kind"), at("/metadata/annotations/helm.sh~1hook")])
}

/// Skimming may decline, but what it answers must be what the full parse says.
fn agrees(doc: &str) -> bool {
    match head(doc) {
        None => true,
        Some(h) => parsed_head(doc) == Some(h),
    }
}

#[test]
fn reads_kind_and_hook_of_a_manifest() {
    let doc = "\
# Source: x
apiVersion: batch/v1
kind: Job
metadata:
  name: a   # trailing comment
  annotations:
    \"helm.sh/hook\": pre-install,post-upgrade
    helm.sh/hook-weight: \"-5\"
spec:
  template:
    spec:
      containers:
      - name: c
        args:
        - --flag
        - 'quoted ''one'''
        command: [\"sh\"]
        env: []
        x: [a, {b: c, d: [e]}]
        y: [a, b,]
      - name: d
        script: |
          echo {{ not a template }}: here

          done
        other: >-
          folded
";
    assert_eq!(
        head(doc.replace("        y: [a, b,]\n", "").as_str()),
        Some(vec![
            Some("Job".to_string()),
            Some("pre-install,post-upgrade".to_string())
        ])
    );
    // A trailing comma in a flow sequence is not skimmed.
    assert_eq!(head(doc), None);
    assert!(agrees(doc));
}

#[test]
fn declines_what_it_does_not_certainly_read() {
    for doc in [
        "kind: A\nkind: B\n",                                        // a repeated key
        "kind: A\n  b: c\n",                                         // a continuation line
        "kind: &a A\n",                                              // an anchor
        "kind: !!str A\n",                                           // a tag
        "kind: \"A\n  B\"\n",                                        // a multi-line quoted scalar
        "kind: A: B\n",       // a mapping value in a plain scalar
        "a:\n\tb: c\n",       // a tab
        "kind: A\r\n",        // a carriage return
        "1: a\n",             // a key that is not a string
        "yes: a\n",           // a key that is a boolean to YAML 1.1
        "a: .inf\n",          // refused by the full parse
        "a:\n  - b\n c: d\n", // an indent that matches nothing
        "- a\nb: c\n",        // two roots
        "a: |2\n   b\n",      // an indentation indicator
        "kind: 5\n",          // a kind that is not a string
        "a: \"\\x41\"\n",     // an escape not skimmed
        "metadata:\n  annotations:\n    helm.sh/hook: |\n      x\n", // a block hook
        "metadata:\n  annotations:\n    a:\n      b: c\n", // an annotation that is a map
        "metadata:\n  annotations:\n    a: [b]\n", // an annotation that is a list
        "metadata:\n- a\n",   // metadata that is a list
        "metadata: x\n",      // metadata that is text
        "apiVersion:\n  a: b\n", // an apiVersion that is a map
        "- kind: A\n",        // a document that is a list
        "kind: A\nname: \"open\n", // a quote never closed
    ] {
        assert_eq!(head(doc), None, "{doc:?}");
        assert!(agrees(doc), "{doc:?}");
    }
}

#[test]
fn reads_scalars_that_go_on_over_lines() {
    for doc in [
        "kind: A\nd: 'one\n  two ''x''\n\n  three'\ne: 1\n",
        "kind: A\nd: \"one \\\n  two\\n\"  # c\ne: 1\n",
        "kind: A\nm:\n  d: plain\n    goes on\n    and on\n  e: 1\n",
        "kind: A\nl:\n- plain\n  goes on\n- 'q\n  r'\n",
        "kind: A\nd: plain\n  \"2m\", \"1h\")\n  - dash [x] {y} 'z' & * ! | > % @ `\ne: 1\n",
    ] {
        assert_eq!(head(doc), Some(vec![Some("A".into()), None]), "{doc:?}");
        assert!(agrees(doc), "{doc:?}");
    }
    for doc in [
        "d: 'one\ntwo'\n",        // not more indented than its key
        "d: plain\n  x: y\n",     // a key inside a plain scalar
        "d: plain # c\n  more\n", // a line after the comment
        "d: \"a\\q\n  b\"\n",     // an escape not skimmed
    ] {
        assert_eq!(head(doc), None, "{doc:?}");
        assert!(agrees(doc), "{doc:?}");
    }
}

#[test]
fn reads_sequences_at_their_keys_indent_and_empty_documents() {
    let doc = "kind: A\nlist:\n- a\n- b: c\n  d: e\nafter: 1\n";
    assert_eq!(head(doc), Some(vec![Some("A".into()), None]));
    assert_eq!(head("# only a comment\n"), Some(vec![None, None]));
    assert_eq!(head(""), Some(vec![None, None]));
}

#[test]
fn finds_bytes_eight_at_a_time_as_one_at_a_time_would() {
    for len in 0..40 {
        for at in 0..=len {
            for fill in [b'a', b' ', b'9', 0x80, 0xc3, 0xff] {
                for needle in [b':', b'#', b'\n', b'x'] {
                    let mut b = vec![fill; len];
                    if at < len {
                        b[at] = needle;
                    }
                    let one_by_one = |set: &[u8]| b.iter().position(|c| set.contains(c));
                    assert_eq!(super::find_any(&b, b":#"), one_by_one(b":#"), "{b:?}");
                    assert_eq!(super::find_any(&b, b"\n"), one_by_one(b"\n"), "{b:?}");
                    let spaces = b.iter().take_while(|&&c| c == b' ').count();
                    assert_eq!(super::spaces(&b), spaces, "{b:?}");
                }
            }
        }
    }
}

#[test]
fn tells_yaml_11_words_in_any_case_from_strings() {
    for word in [
        "null", "NULL", "Null", "true", "TRUE", "False", "yes", "YES", "no", "No", "on", "ON",
        "off", "oFF", "y", "Y", "n", "N",
    ] {
        assert!(!super::plain_is_string(word), "{word}");
    }
    for word in [
        "nul", "nulls", "nulll", "tru", "trues", "type", "name", "kind", "yess", "o", "x", "nO1",
        "offf", "falsey", "yes_", "on.", "n-", "Yn",
    ] {
        assert!(super::plain_is_string(word), "{word}");
    }
}

use crate::test_rng::Rng;

const INSERTS: &[&str] = &[
    " ", ": ", "- ", "#", " #", "\"", "'", "|", ">", "[", "{", "&a ", "*a", "!t ", "? ", "\n",
    "\n  ", "-", ":", "\n- ", "  ", "\\", "''", "|-\n", "---", "...", "\t", "\r\n", "\r",
    "\n---\n", "\n...\n", "|\n", ">-\n  ", "\"\\\n", "'\n", "\n#", " # x", "{}", "[]", "{a: b}",
    ":x", "#x", "\u{85}", "\u{feff}", "é", "\u{2028}",
];

/// The document with one random edit: a byte deleted, a string inserted, a line
/// re-indented (by a little, or to any depth), doubled or swapped with the next.
fn mutate(doc: &str, rng: &mut Rng) -> String {
    let boundary = |rng: &mut Rng| {
        let mut i = rng.below(doc.len() + 1);
        while !doc.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let mut lines: Vec<String> = doc.split('\n').map(str::to_string).collect();
    let l = rng.below(lines.len());
    match rng.below(7) {
        0 => {
            let i = boundary(rng);
            let mut s = doc.to_string();
            if i < s.len() {
                s.remove(i);
            }
            return s;
        }
        1 => {
            let i = boundary(rng);
            let mut s = doc.to_string();
            s.insert_str(i, INSERTS[rng.below(INSERTS.len())]);
            return s;
        }
        2 => lines[l] = format!("{}{}", " ".repeat(1 + rng.below(2)), lines[l]),
        3 => {
            let n = rng.below(3) + 1;
            let trimmed = lines[l].trim_start_matches(' ').len();
            let indent = lines[l].len() - trimmed;
            lines[l] = lines[l][indent.min(n)..].to_string();
        }
        4 => {
            let copy = lines[l].clone();
            lines.insert(l, copy);
        }
        5 => {
            // Deep lines are read eight bytes at a time: any depth, blank or not.
            let text = lines[l].trim_start_matches(' ').to_string();
            lines[l] = format!("{}{text}", " ".repeat(rng.below(40)));
        }
        _ => {
            if l + 1 < lines.len() {
                lines.swap(l, l + 1);
            }
        }
    }
    lines.join("\n")
}

/// Documents of the Helm fixtures' expected output (what `helm template` rendered) and
/// of the kustomize fixtures, each as is and with random edits: whatever skimming
/// answers, the full parse agrees with.
#[test]
fn agrees_with_the_full_parse_on_fixtures_and_their_mutations() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files = Vec::new();
    for sub in ["helm", "build"] {
        for e in walkdir::WalkDir::new(root.join(sub)).sort_by_file_name() {
            let Ok(e) = e else { continue };
            let p = e.path();
            // Helm charts' templates are not YAML yet; their rendered output is.
            let template = p.components().any(|c| c.as_os_str() == "chart");
            if !template && p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                files.push(p.to_path_buf());
            }
        }
    }
    let per_doc: usize = std::env::var("STRATA_SKIM_MUTANTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4);
    let seed = std::env::var("STRATA_SKIM_SEED")
        .ok()
        .and_then(|n| n.parse().ok());
    let mut rng = Rng(seed.unwrap_or(0x9e37_79b9_7f4a_7c15));
    let (mut docs, mut skimmed, mut mutants) = (0, 0, 0);
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for doc in text.split("\n---") {
            docs += 1;
            if head(doc).is_some() {
                skimmed += 1;
            }
            assert!(agrees(doc), "{}: {doc}", f.display());
            // Mutations cost a full parse each: the small documents, and more of them
            // with STRATA_SKIM_MUTANTS=N (N per document).
            if doc.len() > 4000 {
                continue;
            }
            for _ in 0..per_doc {
                let m = mutate(doc, &mut rng);
                mutants += 1;
                assert!(agrees(&m), "{}: mutant disagrees:\n{m}", f.display());
            }
        }
    }
    assert!(docs > 1000, "{docs} documents");
    // Most rendered manifests are in the skimmed subset (else skimming saves nothing).
    eprintln!("{skimmed} of {docs} documents skimmed, {mutants} mutants");
    assert!(skimmed * 10 > docs * 8, "{skimmed} of {docs} skimmed");
    assert!(mutants > 1000);
}

/// Which lines documents are declined at (`STRATA_SKIM_FILE=FILE` for one file).
#[test]
#[ignore]
fn why_declined() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let only = std::env::var("STRATA_SKIM_FILE").ok();
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    let dirs = match &only {
        Some(f) => vec![std::path::PathBuf::from(f)],
        None => vec![root.join("helm"), root.join("build")],
    };
    for dir in dirs {
        for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let Ok(e) = e else { continue };
            let p = e.path();
            let template = p.components().any(|c| c.as_os_str() == "chart");
            if template || !p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                continue;
            }
            let text = std::fs::read_to_string(p).unwrap_or_default();
            for doc in text.split("\n---") {
                if head(doc).is_some() {
                    continue;
                }
                let lines: Vec<&str> = doc.split('\n').collect();
                let at = super::DECLINED_AT.with(|d| d.get());
                let l = match at {
                    0 => "(at the end)",
                    n => lines[n - 1].trim_start(),
                };
                *counts.entry(l.chars().take(50).collect()).or_default() += 1;
            }
        }
    }
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_by_key(|(_, c)| std::cmp::Reverse(*c));
    for (k, c) in v.iter().take(60) {
        eprintln!("{c:5} {k:?}");
    }
}
