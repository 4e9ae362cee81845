//! `strata template RELEASE CHART`: a Helm chart rendered as `helm template` prints it.

use crate::cli::TemplateArgs;
use crate::commands::build::{open_root, relative_to_cwd};
use crate::commands::CommandError;
use crate::fleet::values::{apply_set, parse_set_as, SetStyle};
use crate::helm::{chart, render, values};
use serde_json::Value;

pub fn run(args: &TemplateArgs) -> Result<u8, CommandError> {
    let (text, warnings) = render_text(args)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    super::print_stdout(&text)?;
    Ok(0)
}

/// What `strata template` prints, and its warnings: all the command's work but the
/// printing (an in-process benchmark times this, as Helm's SDK is timed).
pub fn render_text(args: &TemplateArgs) -> Result<(String, Vec<String>), CommandError> {
    let (fs, dir) = open_root(&args.chart)?;
    let chart = chart::load_dir(&fs, &dir).map_err(|e| relative_to_cwd(e, fs.root()))?;
    let mut user = serde_json::Map::new();
    for file in &args.values {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let docs = crate::yaml::parse_stream_helm(&text)
            .map_err(|e| crate::kustomize::loader::yaml_error(&file.display().to_string(), e))?;
        match docs.into_iter().map(|d| d.value).find(|v| !v.is_null()) {
            None => {}
            Some(serde_json::Value::Object(m)) => values::merge_user_values(&mut user, &m),
            Some(_) => {
                return Err(format!("{}: expected a mapping of values", file.display()).into())
            }
        }
    }
    let user = set_flags(serde_json::Value::Object(user), args)?;
    let opts = render::Options {
        release: args.release.clone(),
        namespace: args.namespace.clone(),
        kube_version: args.kube_version.clone(),
        api_versions: args.api_versions.clone(),
        values: user.as_object().cloned().unwrap_or_default(),
        is_upgrade: args.is_upgrade,
        skip_schema_validation: args.skip_schema_validation,
    };
    let mut rendered = render::render(&chart, &opts)?;
    let warnings = std::mem::take(&mut rendered.warnings);
    if args.per_template_json {
        let json = serde_json::to_string_pretty(&rendered.files)?;
        return Ok((json + "\n", warnings));
    }
    let stream = render::Stream {
        include_crds: args.include_crds,
        no_hooks: args.no_hooks,
        skip_tests: args.skip_tests,
        hide_secret: args.hide_secret,
        show_only: args.show_only.clone(),
    };
    let text = render::template_stream(&rendered, &stream)?;
    Ok((text, warnings))
}

/// The `--set` flags over the values files, in Helm's order (`--set-json`, `--set`,
/// `--set-string`, `--set-file`, `--set-literal`), each into the values so far.
fn set_flags(mut user: Value, args: &TemplateArgs) -> Result<Value, CommandError> {
    // (expressions, how their values read, whether the values name files to read)
    let flags = [
        (&args.set_json, SetStyle::Json, false),
        (&args.set, SetStyle::Typed, false),
        (&args.set_string, SetStyle::Strings, false),
        (&args.set_file, SetStyle::Strings, true),
        (&args.set_literal, SetStyle::Literal, false),
    ];
    for (exprs, style, files) in flags {
        for expr in exprs {
            // The messages name the keys only: the values may be secrets.
            for mut a in parse_set_as(expr, style)? {
                if files {
                    a.value = file_value(std::mem::take(&mut a.value), &a.key())?;
                }
                apply_set(&mut user, &a.path, a.value);
            }
        }
    }
    Ok(user)
}

/// `--set-file`: the content of the file a value names (of each, for a list).
fn file_value(v: Value, key: &str) -> Result<Value, CommandError> {
    match v {
        Value::String(path) => std::fs::read_to_string(&path)
            .map(Value::String)
            .map_err(|e| format!("--set-file {key}: {path}: {e}").into()),
        Value::Array(items) => items
            .into_iter()
            .map(|i| file_value(i, key))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        other => Ok(other),
    }
}
