//! `strata template RELEASE CHART`: a Helm chart rendered as `helm template` prints it.

use crate::cli::TemplateArgs;
use crate::commands::build::{open_root, relative_to_cwd};
use crate::commands::CommandError;
use crate::helm::{chart, render, values};

pub fn run(args: &TemplateArgs) -> Result<u8, CommandError> {
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
    let mut user = serde_json::Value::Object(user);
    for expr in &args.set {
        crate::fleet::values::set_values(&mut user, expr)
            .map_err(|e| format!("--set {expr}: {e}"))?;
    }
    let opts = render::Options {
        release: args.release.clone(),
        namespace: args.namespace.clone(),
        kube_version: args.kube_version.clone(),
        api_versions: args.api_versions.clone(),
        values: user.as_object().cloned().unwrap_or_default(),
    };
    let rendered = render::render(&chart, &opts)?;
    for w in &rendered.warnings {
        eprintln!("warning: {w}");
    }
    if args.per_template_json {
        println!("{}", serde_json::to_string_pretty(&rendered.files)?);
        return Ok(0);
    }
    let text = render::template_stream(&rendered, args.include_crds, &args.show_only)?;
    super::print_stdout(&text)?;
    Ok(0)
}
