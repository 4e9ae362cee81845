//! Expected outputs here were captured from `kubectl kustomize` (kustomize v5.5.0) on the
//! inputs next to them: `testdata/<case>.in.yaml` built as the only resource of a
//! kustomization gives `testdata/<case>.kustomize.yaml`.

use super::*;
use serde_json::json;

fn round_trip(src: &str) -> String {
    let docs = parse_stream(src).expect("parses");
    let maps: Vec<_> = docs.iter().filter_map(|d| d.value.as_object()).collect();
    to_yaml_stream(maps)
}

fn one(src: &str) -> Value {
    let mut docs = parse_stream(src).expect("parses");
    assert_eq!(docs.len(), 1);
    docs.remove(0).value
}

fn error(src: &str) -> YamlError {
    parse_stream(src).expect_err("must fail")
}

#[test]
fn kustomize_strings() {
    assert_eq!(
        round_trip(include_str!("testdata/strings.in.yaml")),
        include_str!("testdata/strings.kustomize.yaml")
    );
}

#[test]
fn kustomize_structure_keys_numbers() {
    assert_eq!(
        round_trip(include_str!("testdata/structure.in.yaml")),
        include_str!("testdata/structure.kustomize.yaml")
    );
}

#[test]
fn kustomize_scalar_resolution() {
    assert_eq!(
        round_trip(include_str!("testdata/resolve.in.yaml")),
        include_str!("testdata/resolve.kustomize.yaml")
    );
}

#[test]
fn kustomize_merge_keys_and_aliases() {
    assert_eq!(
        round_trip(include_str!("testdata/merge.in.yaml")),
        include_str!("testdata/merge.kustomize.yaml")
    );
}

#[test]
fn emitter_literal_cases() {
    let v = json!({
        "b": [{"x": 1, "y": [true, null]}, [], {}, [["a"]]],
        "a": "yes",
        "c": {"d": "multi\nline\n", "e": ""},
        "mode": 420,
    });
    assert_eq!(
        to_yaml(&v),
        "a: \"yes\"\nb:\n- x: 1\n  \"y\":\n  - true\n  - null\n- []\n- {}\n- - - a\nc:\n  d: |\n    multi\n    line\n  e: \"\"\nmode: 420\n"
    );
    assert_eq!(to_yaml(&json!({})), "{}\n");
    let a = json!({"kind": "A"});
    let b = json!({"kind": "B"});
    assert_eq!(
        to_yaml_stream([a.as_object().unwrap(), b.as_object().unwrap()]),
        "kind: A\n---\nkind: B\n"
    );
}

#[test]
fn resolves_like_go_yaml_v3() {
    let v = one("a: 0444\nb: yes\nc: ~\nd: 0x10\ne: 1.0\nf: '1'\ng: !!str 2\nh: !!int \"3\"\ni: !foo bar\nj: 2001-12-14\nk: |\n  x\nl: !!binary aGVsbG8=\nm: TRUE\nn:\n");
    assert_eq!(
        v,
        json!({"a": 292, "b": "yes", "c": null, "d": 16, "e": 1.0, "f": "1", "g": "2",
               "h": 3, "i": "bar", "j": "2001-12-14T00:00:00Z", "k": "x\n", "l": "hello",
               "m": true, "n": null})
    );
    assert_eq!(
        error("a: !!int abc\n").message,
        "cannot decode a !!str value as a !!int"
    );
}

#[test]
fn errors_do_not_quote_what_they_read() {
    // Errors about a value say what is wrong with it, not what it is: it may be a
    // Secret's (the scanner would quote the first character, the resolver the text).
    for (src, want) in [
        (
            "password: !!int s3cr3t\n",
            "cannot decode a !!str value as a !!int",
        ),
        (
            "password: @s3cr3t\n",
            "a plain value cannot start with `@` or a backquote; quote the value",
        ),
        (
            "password: `s3cr3t\n",
            "a plain value cannot start with `@` or a backquote; quote the value",
        ),
    ] {
        let e = error(src);
        assert_eq!((e.message.as_str(), e.line), (want, 1), "{src}");
    }
}

#[test]
fn documents_and_lines() {
    let docs = parse_stream("# comment\n\napiVersion: v1\n---\n---\n# only a comment\n---\n- a\n")
        .unwrap();
    assert_eq!(docs.len(), 4);
    assert_eq!(docs[0].line, 3);
    assert_eq!(docs[0].value, json!({"apiVersion": "v1"}));
    assert!(docs[1].value.is_null());
    assert!(docs[2].value.is_null());
    assert_eq!(docs[3].line, 8);
    assert_eq!(docs[3].value, json!(["a"]));
    assert!(parse_stream("").unwrap().is_empty());
    // A byte-order mark and CRLF line ends (kustomize output checked: same as without).
    let docs = parse_stream("\u{FEFF}a: 1\r\nb: |\r\n  x\r\n").unwrap();
    assert_eq!(docs[0].value, json!({"a": 1, "b": "x\n"}));
}

#[test]
fn errors_have_lines_and_plain_words() {
    let e = error("a: 1\nb: 2\nc: d: e\n");
    assert_eq!(e.line, 3);
    assert_eq!(e.message, "mapping values are not allowed in this context");

    let e = error("x: 1\ny: 2\nx: 3\n");
    assert_eq!(e.line, 3);
    assert_eq!(e.message, "mapping key \"x\" already defined at line 1");
    assert_eq!(
        e.to_string(),
        "line 3: mapping key \"x\" already defined at line 1"
    );

    let e = error("data:\n  1: a\n");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("mapping key 1 is not a string"), "{e}");
    assert!(error("true: x\n").message.contains("not a string"));
    assert!(error("? [a]\n: x\n").message.contains("must be a string"));

    let e = error("a: 1\nb: .inf\n");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("not a finite number"), "{e}");

    let e = error("a: &x 1\nb:\n  <<: *x\n");
    assert_eq!(e.line, 3);
    assert_eq!(
        e.message,
        "map merge requires map or sequence of maps as the value"
    );
    assert_eq!(
        error("a: 1\nb: [*nope]\n").message,
        "unknown anchor 'nope' referenced"
    );
    // kustomize fails on these (go-yaml v2 rejects them when it re-reads its JSON).
    let e = error("a: \"x\\x7fy\"\n");
    assert!(e.message.contains("U+007F"), "{e}");
    assert!(error("a: \"x\\x80y\"\n").message.contains("U+0080"));
    assert!(parse_stream("a: \"x\\x85y \\ue000\"\n").is_ok());
}

#[test]
fn billion_laughs_fails_fast() {
    let mut src = String::from("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let p = i - 1;
        src.push_str(&format!(
            "l{i}: &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n"
        ));
    }
    let start = std::time::Instant::now();
    let e = error(&src);
    assert!(e.message.contains("billion laughs"), "{e}");
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    // A few aliases are fine.
    assert_eq!(
        one("a: &a {x: 1}\nb: *a\nc: *a\n"),
        json!({"a": {"x": 1}, "b": {"x": 1}, "c": {"x": 1}})
    );
}

#[test]
fn deep_nesting_is_refused_without_overflow() {
    let flow = "[".repeat(100_000);
    assert!(parse_stream(&flow).is_err());
    let block = format!("{}x\n", "- ".repeat(100_000));
    let e = error(&block);
    assert!(e.message.contains("nested deeper than"), "{e}");
    let mut maps = String::new();
    for i in 0..1000 {
        maps.push_str(&" ".repeat(i));
        maps.push_str("a:\n");
    }
    assert!(error(&maps).message.contains("nested deeper than"));
    // Aliases cannot be used to get around the limit.
    let deep = format!(
        "a: &a {}1{}\nb: [[[[[[*a]]]]]]\n",
        "[".repeat(245),
        "]".repeat(245)
    );
    assert!(error(&deep).message.contains("nested deeper than"));
    // 200 levels are fine.
    let ok = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    assert!(parse_stream(&ok).is_ok());
}

#[test]
fn line_of_top_level_key() {
    let src =
        "# c\napiVersion: v1\nmetadata:\n  reources: x\n  list:\n  - reources\nreources:\n- a\n";
    assert_eq!(line_of_key(src, "reources"), Some(7));
    assert_eq!(line_of_key(src, "apiVersion"), Some(2));
    assert_eq!(line_of_key(src, "v1"), None);
    assert_eq!(line_of_key(src, "missing"), None);
    assert_eq!(line_of_key("---\n---\nk: 1\n", "k"), Some(3));
}

#[test]
fn kustomize_timestamps_and_int_forms() {
    assert_eq!(
        round_trip(include_str!("testdata/timestamps.in.yaml")),
        include_str!("testdata/timestamps.kustomize.yaml")
    );
}

#[test]
fn kustomize_block_flow_and_folded_syntax() {
    // Includes go-yaml v3's folded-scalar slip and flow empties coming back as "".
    assert_eq!(
        round_trip(include_str!("testdata/syntax.in.yaml")),
        include_str!("testdata/syntax.kustomize.yaml")
    );
}

#[test]
fn kustomize_random_strings() {
    // 150 random strings of quoting-relevant characters (spaces, quotes, indicators, tabs,
    // line breaks, NEL, U+2028, emoji), as values, keys and sequence items.
    assert_eq!(
        round_trip(include_str!("testdata/fuzz.in.yaml")),
        include_str!("testdata/fuzz.kustomize.yaml")
    );
}

#[test]
fn kustomize_random_plain_scalars() {
    // 300 random plain scalars built from number, date, bool and null fragments.
    assert_eq!(
        round_trip(include_str!("testdata/plain.in.yaml")),
        include_str!("testdata/plain.kustomize.yaml")
    );
}

/// Found by the `yaml` fuzz target (minimized): `! <<` is a merge key for go-yaml v3
/// (`isMerge` accepts the non-specific tag), so kustomize merges it; strata kept a literal
/// `<<` key, which printed as `<<:` and read back as a merge.
#[test]
fn fuzz_non_specific_tag_merge_key() {
    assert_eq!(one("x: '1'\n! <<: {k: '2'}\n"), json!({"x": "1", "k": "2"}));
    let e = error("<<: {k: '3'}\n! <<: {k: '2'}\n");
    assert!(e.message.contains("<<"), "{e}");
}

#[test]
fn block_scalar_ending_the_file_without_a_line_break() {
    for (src, want) in [
        ("a: |\n  x\n  y", "x\ny"),
        ("a: |+\n  x\n  y", "x\ny"),
        ("a: >\n  x\n  y", "x y"),
        ("a: |\n  x\n  y\n", "x\ny\n"),
        ("a: |\n  x\n# end", "x\n"),
        ("a: |\n  x\nb: 1", "x\n"),
    ] {
        assert_eq!(one(src)["a"], json!(want), "{src:?}");
    }
}

#[test]
fn annotation_text_and_last_key_wins() {
    let docs = parse_stream(
        "metadata:\n  annotations:\n    a: 1.50\n    b:\n    c: x\n    d: 2001-12-14\n",
    )
    .unwrap();
    assert_eq!(
        docs[0].annotation_text,
        vec![
            ("a".to_string(), "1.50".to_string()),
            ("b".to_string(), String::new()),
            ("d".to_string(), "2001-12-14".to_string())
        ]
    );
    assert!(parse_stream("a: 1\na: 2\n").is_err());
    let docs = parse_stream_last_key_wins("a: 1\nb: 0\na: 2\n").unwrap();
    assert_eq!(docs[0].value, json!({"a": 2, "b": 0}));
}

#[test]
fn blank_values_are_the_values_written_with_no_text() {
    let src = "a:\nb: null\nc: ~\nd: !!null \"\"\ne: {f: , g: null}\nh:\n- \n- null\n- {i: }\nj: &x\n  k:\nl: *x\n<<: {m: }\n";
    let docs = parse_stream(src).unwrap();
    let key = |k: &str| Step::Key(k.to_string());
    let mut got = docs[0].blank_values.clone();
    got.sort();
    // Through an alias and a merge key too: kyaml copies the nodes, empty text and all.
    assert_eq!(
        got,
        vec![
            vec![key("a")],
            vec![key("d")],
            vec![key("e"), key("f")],
            vec![key("h"), Step::Index(0)],
            vec![key("h"), Step::Index(2), key("i")],
            vec![key("j"), key("k")],
            vec![key("l"), key("k")],
            vec![key("m")],
        ]
    );
    let merged = parse_stream(
        "a: &x {k: , j: 1}
b:
  <<: [{k: 2}, *x]
c:
  k: 3
  <<: *x
",
    )
    .unwrap();
    let mut got = merged[0].blank_values.clone();
    got.sort();
    assert_eq!(
        got,
        vec![vec![key("a"), key("k")]],
        "own and earlier keys win"
    );
}

#[test]
fn parse_objects_drops_the_first_key_written_merge() {
    let src = "\"<<\": 1\na:\n  '<<': 2\n  \"<<\": 3\nb:\n  <<: {c: 4}\n  \"<<\": 5\n";
    assert!(parse_stream(src).is_err(), "plain go-yaml: a repeated key");
    let docs = parse_objects(src).unwrap();
    assert_eq!(
        docs[0].value,
        json!({"a": {"<<": 3}, "b": {"<<": 5, "c": 4}})
    );
    assert_eq!(
        parse_stream("\"<<\": 1\n").unwrap()[0].value,
        json!({"<<": 1})
    );
}

#[test]
fn an_empty_block_scalar_that_ends_the_stream_is_empty() {
    // go-yaml reads `extraVolumes: |` last in prometheus-nats-exporter's values as "".
    for src in ["a: |\n", "a:\n  b: >-\n", "a: |\n  \n"] {
        let v = &parse_stream_helm(src).expect(src)[0].value;
        let leaf = v["a"].get("b").unwrap_or(&v["a"]);
        assert_eq!(leaf, &json!(""), "{src:?}");
    }
    assert_eq!(one("a: |+\n\nb: 1\n")["a"], json!("\n"));
    assert_eq!(one("a: |\n  x\n")["a"], json!("x\n"));
}
