//! `strata render`: the fleet into the hydrated tree, rendering only the units whose
//! inputs changed; or `--check`: what a render would change, per unit.

use crate::cli::RenderArgs;
use crate::commands::bookkeeping::{self, Record};
use crate::commands::outdir::{Contents, Folder, OutDir};
use crate::commands::{fleet, tree, CommandError};
use crate::diff::{self, DiffOptions, DiffReport, Tree};
use crate::fleet::inputs::SourceView;
use crate::fleet::render::{self, HydratedTree, Previous};
use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::sync::Arc;

/// Lines of `--check` text before the rest is only counted: about a screenful.
const SCREENFUL: usize = 40;

pub fn run(args: &RenderArgs) -> Result<u8, CommandError> {
    if args.stdout {
        return super::stdout::run(args);
    }
    let (root, disk, fleet) = fleet::open(&args.selection)?;
    fleet::refuse_lint(&fleet, args.strict)?;
    // The output is reached through folder handles that refuse links (an output that
    // is or lies behind one is an error here) and read and written only through them.
    let out = OutDir::new(&root, &fleet.project.output);
    let dir = out.open()?;
    let out_name = fleet.project.output.trim_end_matches('/').to_string();
    // Links inside the output are never followed (outdir); they are looked for first,
    // to refuse them all at once with a clear message before anything is read.
    let scan = match &dir {
        Some(d) => d.contents()?,
        None => Contents::default(),
    };
    let links = &scan.links;
    if args.check && !links.is_empty() {
        for l in links {
            println!("link: {out_name}/{l}");
        }
        eprintln!(
            "{out_name} holds {} symbolic link(s), which strata never writes or reads through; remove them (git rm)",
            links.len()
        );
        return Ok(1);
    }
    if let Some(l) = links.first() {
        return Err(format!(
            "{out_name}/{l}: is a symbolic link inside the output; strata never writes through one. Remove it (git rm) and render again"
        )
        .into());
    }
    // The hydrated tree is an output, never an input: a target glob never walks it.
    let view = SourceView::new(&disk, &out_name);
    let mut opts = fleet::options(&args.selection)?;
    for s in &args.set {
        opts.set
            .extend(crate::fleet::values::parse_set(s).map_err(|e| e.to_string())?);
    }
    let partial = opts.clusters.is_some() || opts.apps.is_some() || opts.shard.is_some();

    let mut book = bookkeeping::read(dir.as_ref(), &scan.files)?;
    let intact = book.intact(dir.as_ref());
    if !args.full {
        let previous: BTreeMap<String, Previous> = intact
            .iter()
            .filter_map(|u| Some((u.clone(), book.records.get(u)?.previous()?)))
            .collect();
        opts.previous = Some(Arc::new(previous));
    }
    let bar = progress_bar(args.quiet);
    if let Some(bar) = &bar {
        let bar = bar.clone();
        opts.progress = Some(Arc::new(move |done, total| {
            // A render this small is over before a bar could say anything.
            if total < 50 {
                return;
            }
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }));
    }
    let pool = crate::threads::pool(args.jobs)?;
    let tree = pool.install(|| render::render(&view, &fleet, &opts));
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let tree = tree?;
    let in_scope = |r: &Record| !partial || opts.selects_unit(&r.cluster, &r.app);
    let mut plan = tree::plan(dir.as_ref(), &mut book, &intact, &tree, in_scope);
    plan.leftovers = scan.leftovers;
    // A partial render leaves the legacy manifest to name the units it did not render.
    plan.legacy &= !partial;
    if !args.quiet {
        for w in tree.warnings.iter().chain(&book.warnings) {
            eprintln!("{w}");
        }
    }
    if args.check {
        let blame = Blame {
            fs: &view,
            fleet: &fleet,
            set: &opts.set,
        };
        return check(args, dir.as_ref(), &out_name, &plan, &tree, &blame);
    }
    tree::write(&out, dir.as_ref(), &plan)?;
    if !args.quiet {
        let rendered = renders(&tree, false);
        let reused = renders(&tree, true);
        println!(
            "{out_name}: {} renders ({rendered} rendered, {reused} unchanged inputs), {} files ({} written, {} removed)",
            rendered + reused,
            plan.files,
            plan.writes.len(),
            plan.deletes.len()
        );
        for u in &plan.removed_units {
            println!("removed unit: {out_name}/{u}");
        }
    }
    Ok(0)
}

/// A progress bar on stderr when it is a terminal; nothing when piped or quiet.
fn progress_bar(quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("rendering {bar:30} {pos}/{len} {elapsed}")
    {
        bar.set_style(style);
    }
    Some(bar)
}

/// What `--check` needs to say which file and line set each changed field: the
/// sources as the render read them, and its `--set` values.
struct Blame<'a> {
    fs: &'a dyn crate::kustomize::fs::FileSystem,
    fleet: &'a crate::fleet::Fleet,
    set: &'a [crate::fleet::values::SetAssignment],
}

/// `--check`: exit 0 when a render would change nothing; else say what it would.
fn check(
    args: &RenderArgs,
    out: Option<&Folder>,
    out_name: &str,
    plan: &tree::Plan,
    tree: &HydratedTree,
    blame: &Blame,
) -> Result<u8, CommandError> {
    let fleet = blame.fleet;
    if plan.is_clean() {
        if !args.quiet {
            if args.format == "json" {
                let nothing = Explained {
                    unreadable: Vec::new(),
                    diff: Ok(DiffReport::default()),
                };
                super::print_stdout(&(json(plan, &BTreeSet::new(), &nothing) + "\n"))?;
            } else {
                super::print_stdout(&format!(
                    "{out_name}: up to date ({} files, {} renders, {} rendered now)\n",
                    plan.files,
                    renders(tree, false) + renders(tree, true),
                    renders(tree, false)
                ))?;
            }
        }
        return Ok(0);
    }
    if args.quiet {
        return Ok(1);
    }
    let changed = plan.changed_units(tree);
    let layout = fleet
        .project
        .targets
        .is_empty()
        .then(|| fleet.project.layout.clone());
    let mut report = explain(out, out_name, plan, layout);
    let above = plan.added_units.len() + plan.removed_units.len() + report.unreadable.len();
    if let Ok(diff) = &mut report.diff {
        // Beside each changed field, the file and line that set its new value, as
        // `diff --base` says it (only here: a quiet check prints nothing to blame).
        // Each unit blamed is rendered once more: text blames the units its screenful
        // shows, json all of them.
        let shown = match args.format.as_str() {
            "json" => diff.units.len(),
            _ => units_shown(diff, SCREENFUL.saturating_sub(above)),
        };
        let rest = diff.units.split_off(shown);
        crate::fleet::explain::diff::annotate(blame.fs, blame.fleet, blame.set, diff);
        diff.units.extend(rest);
    }
    if args.format == "json" {
        super::print_stdout(&(json(plan, &changed, &report) + "\n"))?;
        return Ok(1);
    }
    let mut lines: Vec<String> = Vec::new();
    for u in &plan.added_units {
        lines.push(format!("new unit: {out_name}/{u}"));
    }
    for u in &plan.removed_units {
        lines.push(format!("removed unit: {out_name}/{u}"));
    }
    for f in &plan.leftovers {
        lines.push(format!(
            "left by a killed render, removed by a render: {out_name}/{f}"
        ));
    }
    for f in &report.unreadable {
        lines.push(format!(
            "not a Kubernetes object (edited by hand? conflict markers?), rewritten by a render: {out_name}/{f}"
        ));
    }
    match &report.diff {
        Ok(r) if r.has_changes() => {
            lines.extend(
                diff::format::text::render(r, false)
                    .lines()
                    .map(String::from),
            );
        }
        Ok(_) => {}
        Err(e) => {
            lines.push(format!("(cannot compare resources: {e})"));
            for f in plan.writes.keys() {
                lines.push(format!("rewrite: {out_name}/{f}"));
            }
            for f in &plan.deletes {
                lines.push(format!("delete: {out_name}/{f}"));
            }
        }
    }
    let records_only: Vec<&String> = plan
        .records
        .keys()
        .filter(|u| !changed.contains(*u) && !plan.added_units.contains(u))
        .collect();
    if !records_only.is_empty() {
        lines.push(format!(
            "{} unit record{} under {out_name}/{} out of date (no resource changes)",
            records_only.len(),
            if records_only.len() == 1 { "" } else { "s" },
            bookkeeping::UNITS_DIR
        ));
    }
    let shown = lines.len().min(SCREENFUL);
    let mut text: String = lines[..shown].iter().map(|l| format!("{l}\n")).collect();
    if lines.len() > shown {
        text += &format!(
            "... {} more lines (`strata render --check --format json` has everything)\n",
            lines.len() - shown
        );
    }
    // A reader that stops early (`| head`) is not an error.
    super::print_stdout(&text)?;
    eprintln!(
        "{out_name} is out of date: {} unit{} would change, {} would be added, {} removed; run `strata render` and commit the result",
        changed.len(),
        if changed.len() == 1 { "" } else { "s" },
        plan.added_units.len(),
        plan.removed_units.len()
    );
    Ok(1)
}

/// How many units of the report start within the first `lines` lines of its text
/// (a unit's header is its folder on a line of its own; blame adds no lines).
fn units_shown(report: &DiffReport, lines: usize) -> usize {
    let text = diff::format::text::render(report, false);
    let mut shown = text.lines().take(lines);
    report
        .units
        .iter()
        .take_while(|u| shown.any(|l| l == u.unit))
        .count()
}

/// What a render would change, resource by resource.
struct Explained {
    /// Files on disk the diff engine cannot read (edited by hand, conflict markers).
    unreadable: Vec<String>,
    diff: Result<DiffReport, crate::Error>,
}

/// The resources and fields a render would change, by the engine of `strata diff`
/// (identity matching, hash-suffix pairing, secrets redacted).
fn explain(
    out: Option<&Folder>,
    out_name: &str,
    plan: &tree::Plan,
    layout: Option<String>,
) -> Explained {
    let opts = DiffOptions {
        context: 3,
        layout,
        ..Default::default()
    };
    let mut old = Tree {
        root: out_name.to_string(),
        ..Default::default()
    };
    let mut unreadable = Vec::new();
    let mut at = out.map(Folder::cursor);
    for f in plan.writes.keys().chain(&plan.deletes) {
        let Some(bytes) = at.as_mut().and_then(|c| c.read(f).ok().flatten()) else {
            continue;
        };
        let alone = Tree {
            root: out_name.to_string(),
            files: [(f.clone(), bytes)].into(),
        };
        if diff::diff_trees(&alone, &Tree::default(), &opts).is_err() {
            unreadable.push(f.clone());
            continue;
        }
        old.files.extend(alone.files);
    }
    let new = Tree {
        root: out_name.to_string(),
        files: plan
            .writes
            .iter()
            .map(|(f, c)| (f.clone(), c.as_bytes().to_vec()))
            .collect(),
    };
    Explained {
        unreadable,
        diff: diff::diff_trees(&old, &new, &opts),
    }
}

/// `--check --format json`: the units added, removed and changed, and the diff.
fn json(plan: &tree::Plan, changed: &BTreeSet<String>, report: &Explained) -> String {
    let v = serde_json::json!({
        "version": 1,
        "upToDate": plan.is_clean(),
        "addedUnits": plan.added_units,
        "removedUnits": plan.removed_units,
        "changedUnits": changed,
        "recordsChanged": plan.records.keys().collect::<Vec<_>>(),
        "writes": plan.writes.keys().collect::<Vec<_>>(),
        "deletes": plan.deletes,
        "unreadable": report.unreadable,
        "leftovers": plan.leftovers,
        "diff": report.diff.as_ref().ok(),
    });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// The (cluster, app) pairs or targets of the tree, rendered now (`reused` false) or
/// reused as recorded; not the controller objects.
fn renders(tree: &HydratedTree, reused: bool) -> usize {
    tree.units
        .iter()
        .filter(|u| !u.app.is_empty() && u.reused == reused)
        .count()
}
