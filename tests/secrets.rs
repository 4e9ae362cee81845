//! No secret in any output, errors included: every command that can meet a value
//! bound for a Secret is run, and its whole stdout and stderr searched for the value.

mod common;
use common::{strata, text, Scratch};

const SECRET: &str = "hunter2-SECRET";

/// A fleet whose chart puts `values.password` into a Secret; values.schema.json
/// wants it to start with `ok-`, and the prod layer sets something else.
fn db_fleet(tag: &str) -> Scratch {
    let s = Scratch::new(tag);
    s.write("strata.yaml", "output: rendered\nlayers: [env]\n")
        .write("clusters/dev-1.yaml", "name: dev-1\nenv: dev\n")
        .write("clusters/prod-1.yaml", "name: prod-1\nenv: prod\n")
        .write("apps/db/app.yaml", "name: db\nnamespace: db\nsource: chart\n")
        .write("apps/db/base/values.yaml", "password: ok-1\n")
        .write(
            "apps/db/base/values.schema.json",
            r#"{"properties": {"password": {"type": "string", "pattern": "^ok-"}}}"#,
        )
        .write(
            "apps/db/base/templates/secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  password: {{values.password}}\n",
        )
        .write(
            "apps/db/env/prod.yaml",
            &format!("# the prod password\nvalues:\n  password: {SECRET}\n"),
        );
    s
}

/// stdout and stderr together.
fn all_output(out: &std::process::Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

#[test]
fn a_value_failing_its_schema_is_named_by_key_and_source_never_quoted() {
    let s = db_fleet("values-schema");
    let said = "values.password (from apps/db/env/prod.yaml:3) does not match the pattern ^ok-";
    for (args, code) in [
        (&["render"][..], 2),
        (&["render", "--check"][..], 2),
        (&["validate"][..], 1),
        (&["validate", "--format", "json"][..], 1),
        (&["validate", "--format", "junit"][..], 1),
        (&["validate", "--format", "sarif"][..], 1),
        (&["compare", "--app", "db"][..], 2),
    ] {
        let out = strata(&s.0, args);
        let all = all_output(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {all}");
        assert!(!all.contains(SECRET), "{args:?} printed the secret: {all}");
        if args[0] != "validate" || args.len() == 1 {
            assert!(all.contains(said), "{args:?}: {all}");
        }
    }
    assert!(!s.0.join("rendered").exists(), "nothing written");
    // The same from --set.
    let out = strata(
        &s.0,
        &[
            "render",
            "--set",
            &format!("password={SECRET}"),
            "--cluster",
            "dev-1",
        ],
    );
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(!all.contains(SECRET), "{all}");
    assert!(
        all.contains("values.password (from --set) does not match the pattern ^ok-"),
        "{all}"
    );
    // A --set that does not parse is shown by its keys, by every command that takes one.
    let set = format!("password={SECRET},port");
    for args in [
        &["render", "--set", &set][..],
        &["render", "--stdout", "--app", "db", "--set", &set][..],
        &["explain", "apps/db", "metadata.name", "--set", &set][..],
    ] {
        let out = strata(&s.0, args);
        let all = all_output(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {all}");
        assert!(
            all.contains(r#"--set "password=…,port": key "port" has no value"#),
            "{args:?}: {all}"
        );
        assert!(!all.contains(SECRET), "{args:?}: {all}");
    }
}

#[test]
fn errors_about_files_that_hold_secrets_name_keys_not_values() {
    // Each case: a file written into a fleet whose only app is a kustomization; the
    // render fails, and no output may hold the value.
    let cases: &[(&str, &str, &str)] = &[
        // A generator literal without its `=` is all value.
        (
            "apps/web/base/kustomization.yaml",
            "secretGenerator:\n- name: s\n  literals: [user=admin, hunter2-SECRET]\n",
            "literal 2 is not KEY=VALUE",
        ),
        // A field of the wrong type (serde's message quotes it).
        (
            "apps/web/base/kustomization.yaml",
            "secretGenerator:\n- name: s\n  literals: hunter2-SECRET\n",
            "invalid type: a string, expected a sequence",
        ),
        // A tagged scalar the YAML reader cannot decode.
        (
            "apps/web/base/secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: !!int hunter2-SECRET\n",
            "secret.yaml:5: invalid YAML: cannot decode a !!str value as a !!int",
        ),
        // A replacement whose source is a Secret's value.
        (
            "apps/web/env/dev.yaml",
            "replacements:\n- source: {kind: Secret, name: s, fieldPath: stringData.password, options: {delimiter: '-', index: 5}}\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths: [data.x]\n",
            "out of bounds",
        ),
        (
            "apps/web/env/dev.yaml",
            "replacements:\n- source: {kind: Secret, name: s, fieldPath: stringData.password}\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths: [data.n]\n",
            "cannot decode",
        ),
    ];
    for (file, content, words) in cases {
        let s = Scratch::new("secret-errors");
        s.write("strata.yaml", "output: rendered\nlayers: [env]\n")
            .write("clusters/dev-1.yaml", "name: dev-1\nenv: dev\n")
            .write("apps/web/app.yaml", "name: web\n")
            .write(
                "apps/web/base/kustomization.yaml",
                "resources: [secret.yaml, cm.yaml]\n",
            )
            .write(
                "apps/web/base/secret.yaml",
                &format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\nstringData:\n  password: {SECRET}\n"),
            )
            .write(
                "apps/web/base/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  x: a\n  n: !!int 1\n",
            )
            .write(file, content);
        let out = strata(&s.0, &["render"]);
        let all = all_output(&out);
        assert_eq!(out.status.code(), Some(2), "{file}: {all}");
        assert!(all.contains(words), "{file}: expected {words:?} in {all}");
        assert!(!all.contains(SECRET), "{file} printed the secret: {all}");
        assert!(!s.0.join("rendered").exists(), "{file}: nothing written");
    }
}

#[test]
fn validate_findings_on_secret_data_name_the_key_only() {
    let s = Scratch::new("secret-findings");
    s.write(
        "secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: 12345678\ndata:\n  password: 12345678\nstringData: hunter2-SECRET\n",
    );
    for format in ["text", "json", "sarif", "junit"] {
        let out = strata(&s.0, &["validate", "secret.yaml", "--format", format]);
        let all = all_output(&out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(all.contains("password"), "{format}: {all}");
        for leak in [SECRET, "12345678"] {
            assert!(!all.contains(leak), "{format} printed {leak}: {all}");
        }
    }
}
