//! Command-line arguments (clap derive types only).

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Render multi-cluster GitOps repositories.
#[derive(Debug, Parser)]
#[command(name = "strata", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build one kustomization to stdout, as `kustomize build DIR` does.
    Build(BuildArgs),
    /// Render the fleet into the hydrated tree (`output` in strata.yaml).
    Render(RenderArgs),
    /// Show the cluster × app matrix that render would produce.
    Ls(LsArgs),
    /// Write a small working fleet to start from.
    Init(InitArgs),
    /// The fields of one app that differ across clusters or envs, as a table.
    Compare(CompareArgs),
    /// Check the rendered fleet (or a folder of YAML) against Kubernetes and CRD
    /// schemas, deprecated APIs and the policies of strata.yaml.
    Validate(ValidateArgs),
    /// Per-resource diff of two trees, or of the fleet at a git ref against the working tree.
    Diff(DiffArgs),
    /// Which file and line set a field of a rendered resource (or every field a layer
    /// touched), and the chain of files before it.
    #[command(
        override_usage = "strata explain [OPTIONS] CLUSTER APP KIND/NAME [FIELD]\n       strata explain [OPTIONS] TARGET KIND/NAME [FIELD]"
    )]
    Explain(ExplainArgs),
    /// Make an env or cluster run another's image versions (and chosen chart values)
    /// by a minimal edit of its own layer file.
    Promote(PromoteArgs),
    /// Render a Helm chart as `helm template RELEASE CHART` does, in process.
    Template(TemplateArgs),
}

#[derive(Debug, clap::Args)]
pub struct TemplateArgs {
    /// The release name (`.Release.Name`).
    pub release: String,
    /// The chart's folder (Chart.yaml, templates/, vendored charts/).
    pub chart: PathBuf,
    /// A values file, layered in order over the chart's values.yaml (repeatable).
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Set a value: `--set image.tag=1.2.3` (repeatable; applied after -f files).
    #[arg(long, value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Set a value as a string, never a number or boolean: `--set-string image.tag=0123`.
    #[arg(long, value_name = "PATH=VALUE")]
    pub set_string: Vec<String>,
    /// Set a value to JSON: `--set-json 'tolerations=[{"key":"gpu"}]'`.
    #[arg(long, value_name = "PATH=JSON")]
    pub set_json: Vec<String>,
    /// Set a value to a file's content: `--set-file config=app.conf`.
    #[arg(long, value_name = "PATH=FILE")]
    pub set_file: Vec<String>,
    /// Set a value to the text after `=`, commas and backslashes included.
    #[arg(long, value_name = "PATH=TEXT")]
    pub set_literal: Vec<String>,
    /// The release namespace (`.Release.Namespace`).
    #[arg(short = 'n', long, default_value = "default")]
    pub namespace: String,
    /// The Kubernetes version templates see (`.Capabilities.KubeVersion`).
    #[arg(long, value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// An API version templates see as available (repeatable).
    #[arg(short = 'a', long = "api-versions", value_name = "GROUP/VERSION")]
    pub api_versions: Vec<String>,
    /// Print the files under crds/ too.
    #[arg(long)]
    pub include_crds: bool,
    /// Only the documents of these templates (`templates/deployment.yaml`; repeatable).
    #[arg(short = 's', long = "show-only", value_name = "PATH")]
    pub show_only: Vec<String>,
    /// Leave out the hooks (documents with a `helm.sh/hook` annotation).
    #[arg(long)]
    pub no_hooks: bool,
    /// Leave out the test hooks (`helm.sh/hook: test`).
    #[arg(long)]
    pub skip_tests: bool,
    /// Print each v1 Secret among the manifests as a comment, not its data.
    #[arg(long)]
    pub hide_secret: bool,
    /// Render as an upgrade: `.Release.IsUpgrade` is true and `.Release.IsInstall` false.
    #[arg(long)]
    pub is_upgrade: bool,
    /// Do not check the values against the charts' `values.schema.json`.
    #[arg(long)]
    pub skip_schema_validation: bool,
    /// Print each template's output as one JSON object (path → text), as Helm's engine
    /// returns it, instead of the stream: what the conformance fixtures compare.
    #[arg(long, hide = true)]
    pub per_template_json: bool,
}

/// Which part of the fleet, shared by render, ls and (later) validate.
#[derive(Debug, Clone, clap::Args)]
pub struct Selection {
    /// The fleet's root (holding strata.yaml); default: the current directory or the
    /// nearest parent with a strata.yaml.
    #[arg(short = 'C', long = "root", value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Only clusters whose name matches this glob (`prod-*`).
    #[arg(long, value_name = "GLOB")]
    pub cluster: Option<String>,
    /// Only apps whose name (or target path) matches this glob.
    #[arg(long, value_name = "GLOB")]
    pub app: Option<String>,
    /// Only shard I of N (1-based): a stable partition of the (cluster, app) pairs.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// Write nothing; say per unit what a render would change (exit 1 if anything).
    #[arg(long)]
    pub check: bool,
    /// Render every unit, even those whose inputs are as recorded.
    #[arg(long)]
    pub full: bool,
    /// `--check` output: `text` or `json`.
    #[arg(long, default_value = "text", value_parser = ["text", "json"], requires = "check")]
    pub format: String,
    /// Print the one unit (or target) that --cluster and --app select as one YAML
    /// stream on stdout, and write nothing.
    #[arg(long, conflicts_with = "check")]
    pub stdout: bool,
    /// Override a chart value: `--set image.tag=1.2.3` (repeatable; applied last).
    #[arg(long, value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Threads (default: all cores; at most 256). The output is the same for any number.
    #[arg(short = 'j', long, value_name = "N", value_parser = parse_jobs)]
    pub jobs: Option<usize>,
    /// Print nothing but errors (`--check`: the exit code says it all).
    #[arg(short, long)]
    pub quiet: bool,
    /// A fleet file that applies to nothing (a layer file for an env no cluster has, a
    /// misspelt layer folder, an app that selects no cluster) is an error, not a warning.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, clap::Args)]
pub struct LsArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// `text` (a matrix) or `json`.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Where to create the fleet (default: the current directory; must be empty).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The directory holding kustomization.yaml (default: the current directory).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Write the output to this file instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Inflate `helmCharts` (charts vendored under `helmGlobals.chartHome`) with
    /// strata's Helm engine, as `kustomize build --enable-helm` does with Helm.
    #[arg(long)]
    pub enable_helm: bool,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The fleet's root (holding strata.yaml); default: the current directory or the
    /// nearest parent with a strata.yaml.
    #[arg(short = 'C', long = "root", value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The app to compare.
    #[arg(long, value_name = "APP")]
    pub app: String,
    /// These clusters, in this order (default: every cluster the app is deployed to).
    #[arg(
        long,
        value_name = "A,B,..",
        value_delimiter = ',',
        conflicts_with = "envs"
    )]
    pub clusters: Vec<String>,
    /// One cluster per env (the first by name), in this order.
    #[arg(long, value_name = "E,F,..", value_delimiter = ',')]
    pub envs: Vec<String>,
    /// With --envs: every cluster of those envs, not only the first.
    #[arg(long, requires = "envs")]
    pub all_clusters: bool,
    /// `text` (an aligned table), `markdown` or `json`.
    #[arg(long, default_value = "text", value_parser = ["text", "markdown", "json"])]
    pub format: String,
    /// Write a self-contained HTML page (filter box, rendered resources) instead.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Cut values longer than N characters in text and markdown (with `…`).
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub width: usize,
    /// Show Secret `data`/`stringData` values (hidden by default).
    #[arg(long)]
    pub show_secrets: bool,
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// A folder or file of Kubernetes YAML to check (a committed tree, kustomize
    /// output); default: the fleet, rendered in memory.
    pub path: Option<PathBuf>,
    #[command(flatten)]
    pub selection: Selection,
    /// `text`, `json`, `junit` or `sarif` (SARIF 2.1.0, for GitHub code scanning).
    #[arg(long, default_value = "text", value_parser = ["text", "json", "junit", "sarif"])]
    pub format: String,
    /// Kubernetes version of the schemas (default: `kubernetesVersion` in strata.yaml, else 1.33).
    #[arg(long, value_name = "VERSION")]
    pub kubernetes_version: Option<String>,
    /// A kind with no schema (no built-in kind, no CRD) is an error, not a warning; so is
    /// a fleet file that applies to nothing (as `render --strict`).
    #[arg(long)]
    pub strict: bool,
    /// Write the report to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Threads (default: all cores; at most 256). The output is the same for any number.
    #[arg(short = 'j', long, value_name = "N", value_parser = parse_jobs)]
    pub jobs: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The tree before: a folder of Kubernetes YAML (e.g. a hydrated tree).
    #[arg(value_name = "OLD", requires = "new")]
    pub old: Option<PathBuf>,
    /// The tree after.
    #[arg(value_name = "NEW")]
    pub new: Option<PathBuf>,
    /// Render the fleet at this git ref and compare it with the working tree.
    #[arg(long, value_name = "REF", conflicts_with = "old")]
    pub base: Option<String>,
    #[command(flatten)]
    pub selection: Selection,
    /// `text`, `markdown` (a pull-request comment) or `json`.
    #[arg(long, default_value = "text", value_parser = ["text", "markdown", "json"])]
    pub format: String,
    /// Unchanged lines shown around each change in a multi-line string.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub context: usize,
    /// Leave out a field (`metadata.labels`), a field of one kind
    /// (`Deployment:spec.replicas`) or a whole kind (`ConfigMap:*`). Repeatable.
    #[arg(long, value_name = "RULE")]
    pub ignore: Vec<String>,
    /// Exit with 1 when the trees differ.
    #[arg(long)]
    pub exit_code: bool,
    /// Print the values of Secrets and of the last-applied-configuration annotation.
    #[arg(long)]
    pub show_secrets: bool,
    /// Markdown: the most bytes in the comment; what does not fit is named in a note.
    #[arg(long, value_name = "N")]
    pub max_bytes: Option<usize>,
    /// Markdown: split into several comment bodies of at most N bytes each.
    #[arg(long, value_name = "N")]
    pub split_bytes: Option<usize>,
    /// Write to this file (with --split-bytes: this folder, comment-1.md, ...).
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// `CLUSTER APP KIND/NAME [FIELD]`, or in targets mode `TARGET KIND/NAME [FIELD]`.
    /// FIELD is a path as `compare` prints it: `spec.replicas`,
    /// `spec.template.spec.containers[name=web].image`, `metadata.labels["a.b/c"]`.
    #[arg(value_name = "ARG", num_args = 2..=4, required = true)]
    pub args: Vec<String>,
    /// The fleet's root (holding strata.yaml); default: the current directory or the
    /// nearest parent with a strata.yaml.
    #[arg(short = 'C', long = "root", value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The resource's namespace, when its kind and name are not enough.
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// `text` or `json` (stable: fields are only ever added).
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
    /// A chart value, as for render: `--set image.tag=1.2.3` (repeatable).
    #[arg(long, value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct PromoteArgs {
    /// The fleet's root (holding strata.yaml); default: the current directory or the
    /// nearest parent with a strata.yaml.
    #[arg(short = 'C', long = "root", value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The app to promote.
    #[arg(long, value_name = "APP")]
    pub app: String,
    /// The env or cluster whose versions to copy (an env: its first cluster by name).
    #[arg(long, value_name = "ENV|CLUSTER")]
    pub from: String,
    /// The env or cluster to change: its layer file (`env/<env>.yaml`, `cluster/<name>.yaml`) is edited.
    #[arg(long, value_name = "ENV|CLUSTER")]
    pub to: String,
    /// A chart value to promote too (`image.tag`, `resources.memory`). Repeatable.
    #[arg(long = "values", value_name = "KEY")]
    pub values: Vec<String>,
    /// Print the edit and the rendered diff; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Re-render the target's units into the hydrated tree after the edit.
    #[arg(long, conflicts_with = "dry_run")]
    pub render: bool,
    /// Exit with 1 when there is nothing to promote.
    #[arg(long)]
    pub exit_code: bool,
}

/// The most threads `-j` may ask for: each is a real thread with its own stack,
/// and more than the machine has cores only costs memory.
pub const MAX_JOBS: usize = 256;

/// `-j N`: 0 (all cores) to [`MAX_JOBS`].
fn parse_jobs(s: &str) -> Result<usize, String> {
    let n: usize = s
        .parse()
        .map_err(|_| format!("'{s}' is not a number of threads"))?;
    if n > MAX_JOBS {
        return Err(format!(
            "{n} threads is more than strata allows ({MAX_JOBS}); give at most {MAX_JOBS}, or leave -j out to use every core"
        ));
    }
    Ok(n)
}
