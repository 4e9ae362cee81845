//! `strata diff OLD NEW` and `strata diff --base REF`: read or render two trees,
//! diff them with the engine (`crate::diff`), print the report.

use crate::cli::DiffArgs;
use crate::commands::{fleet, CommandError};
use crate::diff::{self, format, DiffOptions, IgnoreRule, Tree};
use crate::fleet::inputs::{DigestCache, RecordingFs, SourceView};
use crate::fleet::render;
use crate::fleet::{Project, PROJECT_FILE};
use crate::kustomize::fs::FileSystem;
use crate::kustomize::DiskFs;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

pub fn run(args: &DiffArgs) -> Result<u8, CommandError> {
    let mut opts = DiffOptions {
        context: args.context,
        show_secrets: args.show_secrets,
        ..Default::default()
    };
    for rule in &args.ignore {
        opts.ignore.push(IgnoreRule::parse(rule)?);
    }
    let (old, new) = match (&args.base, &args.old, &args.new) {
        (Some(base), None, None) => {
            // An error caused by an interrupt (the copy removed, git or tar killed)
            // is not reported: the process ends with the signal's code instead.
            let (old, new, layout) = interrupt::unless_interrupted(at_base(args, base))?;
            opts.layout = layout;
            (old, new)
        }
        (None, Some(old), Some(new)) => {
            let sel = &args.selection;
            if sel.root.is_some() || sel.cluster.is_some() || sel.app.is_some() || sel.shard.is_some() {
                return Err("--root, --cluster, --app and --shard select what --base renders; to compare two folders, give just OLD and NEW".into());
            }
            opts.layout = layout_of(new);
            (read_tree(old)?, read_tree(new)?)
        }
        (Some(_), ..) => {
            return Err("give either two folders (strata diff OLD NEW) or --base REF, not both".into())
        }
        _ => {
            return Err(
                "give two folders to compare (strata diff OLD NEW), or --base REF to compare the fleet at a git ref with the working tree"
                    .into(),
            )
        }
    };
    let mut report = diff::diff_trees(&old, &new, &opts)?;
    if args.base.is_some() {
        // Beside each changed field, the file and line that set its new value.
        let (_, fs, fleet) = fleet::open(&args.selection)?;
        crate::fleet::explain::diff::annotate(&fs, &fleet, &[], &mut report);
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let bodies = match args.format.as_str() {
        "json" => vec![format::json::render(&report)],
        "markdown" => match args.split_bytes {
            Some(n) => format::markdown::render_split(&report, n),
            None => vec![format::markdown::render(
                &report,
                args.max_bytes
                    .unwrap_or(format::markdown::DEFAULT_MAX_BYTES),
            )],
        },
        _ => vec![format::text::render(&report, to_terminal && !no_color)],
    };
    write_out(args.output.as_deref(), &bodies, args.split_bytes.is_some())?;
    Ok(if args.exit_code && report.has_changes() {
        1
    } else {
        0
    })
}

/// Prints the bodies, or writes them: one file, or with `--split-bytes` a folder of
/// `comment-1.md`, `comment-2.md`, ...
fn write_out(output: Option<&Path>, bodies: &[String], split: bool) -> Result<(), CommandError> {
    match output {
        Some(dir) if split => {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            // Bodies of an earlier run would be posted again: remove them.
            if let Ok(rd) = std::fs::read_dir(dir) {
                for e in rd.flatten() {
                    let n = e.file_name().to_string_lossy().into_owned();
                    if n.starts_with("comment-") && n.ends_with(".md") {
                        let _ = std::fs::remove_file(e.path());
                    }
                }
            }
            for (i, b) in bodies.iter().enumerate() {
                let p = dir.join(format!("comment-{}.md", i + 1));
                std::fs::write(&p, b).map_err(|e| format!("{}: {e}", p.display()))?;
            }
        }
        Some(file) => {
            std::fs::write(file, bodies.concat()).map_err(|e| format!("{}: {e}", file.display()))?
        }
        None => {
            let mut out = std::io::stdout().lock();
            for b in bodies {
                if let Err(e) = out.write_all(b.as_bytes()) {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        return Ok(());
                    }
                    return Err(e.into());
                }
            }
            let _ = out.flush();
        }
    }
    Ok(())
}

/// Every `*.yaml`/`*.yml` file below `dir` (not in `.strata/` or `.git/`), read in
/// parallel. Symbolic links are not followed: the tree is what is in the folder.
fn read_tree(dir: &Path) -> Result<Tree, CommandError> {
    let meta = std::fs::metadata(dir).map_err(|_| {
        format!(
            "{}: no such folder; give two folders of Kubernetes YAML, e.g. two hydrated trees (strata diff OLD NEW)",
            dir.display()
        )
    })?;
    if !meta.is_dir() {
        return Err(format!(
            "{}: not a folder; give two folders of Kubernetes YAML, e.g. two hydrated trees (strata diff OLD NEW)",
            dir.display()
        )
        .into());
    }
    let mut paths = Vec::new();
    let walk = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            !(e.file_type().is_dir() && matches!(e.file_name().to_str(), Some(".strata" | ".git")))
        });
    for e in walk {
        let e = e.map_err(|e| format!("{}: {e}", dir.display()))?;
        let name = e.file_name().to_string_lossy();
        if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
            continue;
        }
        if e.file_type().is_symlink() {
            eprintln!(
                "warning: {}: a symbolic link, not compared",
                e.path().display()
            );
            continue;
        }
        if e.file_type().is_file() {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap_or(e.path())
                .to_string_lossy()
                .replace('\\', "/");
            paths.push((rel, e.path().to_path_buf()));
        }
    }
    let files: Vec<(String, Vec<u8>)> = paths
        .into_par_iter()
        .map(|(rel, full)| {
            std::fs::read(&full)
                .map(|b| (rel, b))
                .map_err(|e| format!("{}: {e}", full.display()))
        })
        .collect::<Result<_, String>>()?;
    Ok(Tree {
        root: dir.display().to_string(),
        files: files.into_iter().collect(),
    })
}

/// The layout of the fleet whose output `tree` is: read from the `strata.yaml`
/// beside it, when there is one and its `output` is that folder.
fn layout_of(tree: &Path) -> Option<String> {
    let real = tree.canonicalize().ok()?;
    let parent = real.parent()?;
    let text = std::fs::read_to_string(parent.join(PROJECT_FILE)).ok()?;
    let project: Project = crate::fleet::parse_strict(
        PROJECT_FILE,
        &text,
        "strata.yaml",
        crate::fleet::schemas::PROJECT,
    )
    .ok()?;
    let out = parent.join(&project.output).canonicalize().ok()?;
    (out == real && project.targets.is_empty()).then_some(project.layout)
}

/// Removes a temporary folder when dropped: on success, on error and on panic.
/// Holds a lock on it meanwhile (see `lock`).
struct TempDir(PathBuf, Option<std::os::fd::OwnedFd>);

impl TempDir {
    fn new() -> Result<TempDir, CommandError> {
        let base = std::env::temp_dir();
        remove_abandoned(&base);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        for i in 0..100u32 {
            let p = base.join(format!("strata-diff-{}-{nanos}-{i}", std::process::id()));
            // Private: the base may hold what the working tree does not show.
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            match builder.create(&p) {
                Ok(()) => {
                    let held = lock(&p);
                    return Ok(TempDir(p, held));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(
                        format!("{}: cannot create a temporary folder: {e}", p.display()).into(),
                    )
                }
            }
        }
        Err(format!("{}: cannot create a temporary folder", base.display()).into())
    }
}

/// An exclusive lock on a folder, held while the handle lives. The kernel releases
/// it when the process dies, even by SIGKILL, so a later run can tell a copy in use
/// from an abandoned one (a pid alone cannot: containers sharing /tmp see other pids).
fn lock(dir: &Path) -> Option<std::os::fd::OwnedFd> {
    use rustix::fs::{FlockOperation, Mode, OFlags};
    let fd = rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive).ok()?;
    Some(fd)
}

/// Removes the copies of earlier runs that were killed (SIGKILL, a lost CI runner)
/// before they could clean up: `strata-diff-<pid>-*` whose process is gone and
/// that no process holds locked.
fn remove_abandoned(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("strata-diff-"))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || process_alive(pid) {
            continue;
        }
        if let Some(_held) = lock(&e.path()) {
            // Not following links: std removes a link, not what it points to.
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// Without /proc, every process counts as alive: nothing is removed.
#[cfg(not(target_os = "linux"))]
fn process_alive(_: u32) -> bool {
    true
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        // Released only once the folder is gone.
        drop(self.1.take());
    }
}

/// Runs git in `dir`; its stdout, or an error with its stderr.
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git ({e}); --base needs git on the PATH"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// The fleet rendered at `base` (from a `git archive` of that commit in a temporary
/// folder) and in the working tree, both in memory; and the layout for labels.
/// Never touches the checkout or the index: git only reads objects.
///
/// Only what a change can affect is rendered twice: the working tree is rendered
/// whole, recording what each unit asked of the files (`fleet::inputs`); a unit whose
/// every question gets the same answer at the base renders the same there, so the
/// base render covers only the other units. When the fleet's own files differ or a
/// selection was given, the base is rendered whole.
fn at_base(args: &DiffArgs, base: &str) -> Result<(Tree, Tree, Option<String>), CommandError> {
    let root = fleet::find_root(&args.selection)?;
    let root = root
        .canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))?;
    let top = git(&root, &["rev-parse", "--show-toplevel"]).map_err(|e| {
        format!(
            "{}: not in a git repository ({e}); --base renders the fleet at a git commit, so it needs one; to compare two folders, run strata diff OLD NEW",
            root.display()
        )
    })?;
    if base.starts_with('-') || base.is_empty() {
        return Err(format!(
            "--base '{base}': not a git ref; give a branch, tag or commit (e.g. origin/main)"
        )
        .into());
    }
    let commit = git(&root, &["rev-parse", "--verify", "--quiet", &format!("{base}^{{commit}}")])
        .ok()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            format!(
                "--base '{base}': no such commit in {top}; check the name (git branch -a, git log), and in CI fetch it first (e.g. actions/checkout with fetch-depth: 0)"
            )
        })?;
    let prefix = git(&root, &["rev-parse", "--show-prefix"]).unwrap_or_default();
    let sel_opts = fleet::options(&args.selection)?;
    let (_, work_disk, work_fleet) = fleet::open(&args.selection)?;
    let out = work_fleet.project.output.trim_end_matches('/').to_string();

    // From here an interrupt (Ctrl-C, a CI job cancelled) must not leave the copy behind.
    let guard = interrupt::block();
    let tmp = TempDir::new()?;
    interrupt::clean_on_signal(guard, &tmp.0);
    let selected = args.selection.cluster.is_some()
        || args.selection.app.is_some()
        || args.selection.shard.is_some();
    // What the fleet's own files (strata.yaml, clusters, apps) asked, to check at the base.
    let work_view = SourceView::new(&work_disk, &out);
    let digests = DigestCache::default();
    let fleet_rec = RecordingFs::new(&work_view, &digests);
    crate::fleet::load(&fleet_rec)?;
    let fleet_inputs = fleet_rec.inputs();

    // The base is extracted (git and tar, other processes) while this one renders
    // the working tree; the scope joins the extraction on every path, so the
    // temporary folder is never removed under tar's feet.
    let (extracted, work_tree) = std::thread::scope(|scope| {
        let extraction = scope.spawn(|| {
            extract(Path::new(&top), &commit, &prefix, &out, &tmp.0).map_err(|e| e.to_string())
        });
        let work_tree = render::render(&work_view, &work_fleet, &sel_opts);
        let extracted = extraction
            .join()
            .unwrap_or_else(|_| Err("extracting the base failed".to_string()));
        (extracted, work_tree)
    });
    extracted?;
    let work_tree = work_tree?;
    for w in &work_tree.warnings {
        eprintln!("{w}");
    }
    let base_disk = DiskFs::new(&tmp.0).map_err(|e| format!("{}: {e}", tmp.0.display()))?;
    let base_view = SourceView::new(&base_disk, &out);
    let base_digests = DigestCache::default();
    let shown_base = |e: crate::Error| format!("at {base}: {e}");
    let incremental = !selected
        && fleet_inputs
            .par_iter()
            .all(|(q, a)| q.answer(&base_view, &base_digests) == *a);

    let base_files: Option<BTreeMap<String, Arc<str>>> = match incremental
        .then(|| affected_units(&work_tree, &base_view, &base_digests))
    {
        Some(affected) => Some(
            render_affected(&base_view, &work_fleet, &work_tree, &affected).map_err(shown_base)?,
        ),
        None if !base_disk.is_file(PROJECT_FILE) => None,
        None => {
            let f = crate::fleet::load_any(&base_view).map_err(shown_base)?;
            Some(
                render::render(&base_view, &f, &sel_opts)
                    .map_err(shown_base)?
                    .files,
            )
        }
    };
    // Everything at the base is read: the temporary copy goes now.
    drop(tmp);
    if base_files.is_none() {
        eprintln!(
            "warning: {base} has no {PROJECT_FILE} at {}; everything in the fleet shows as added",
            if prefix.is_empty() {
                "the repository root"
            } else {
                prefix.as_str()
            }
        );
    }
    let tree = |files: BTreeMap<String, Arc<str>>, root: String| Tree {
        root,
        files: files
            .into_iter()
            .map(|(p, c)| (p, c.as_bytes().to_vec()))
            .collect(),
    };
    let layout = work_fleet
        .project
        .targets
        .is_empty()
        .then(|| work_fleet.project.layout.clone());
    Ok((
        tree(base_files.unwrap_or_default(), format!("{base}:{out}")),
        tree(work_tree.files, out.clone()),
        layout,
    ))
}

/// The folders of the units whose inputs (`fleet::inputs`) get another answer at the
/// base.
fn affected_units(
    work: &render::HydratedTree,
    base: &dyn FileSystem,
    digests: &DigestCache,
) -> BTreeSet<String> {
    work.units
        .par_iter()
        .filter(|u| u.inputs.iter().any(|(q, a)| q.answer(base, digests) != *a))
        .map(|u| u.dir.clone())
        .collect()
}

/// The base's files: the affected units rendered at the base, the others as they
/// are in the working tree (they render the same).
fn render_affected(
    base: &dyn FileSystem,
    fleet: &crate::fleet::Fleet,
    work: &render::HydratedTree,
    affected: &BTreeSet<String>,
) -> Result<BTreeMap<String, Arc<str>>, crate::Error> {
    let mut files = BTreeMap::new();
    let mut apps = BTreeSet::new();
    let mut clusters = BTreeSet::new();
    for u in work.units.iter().filter(|u| affected.contains(&u.dir)) {
        apps.insert(globset::escape(&u.app));
        // A target is selected by its path through both globs.
        clusters.insert(globset::escape(if u.cluster.is_empty() {
            &u.app
        } else {
            &u.cluster
        }));
    }
    let base_tree = if affected.is_empty() {
        render::HydratedTree::default()
    } else {
        let glob = |set: &BTreeSet<String>| {
            globset::Glob::new(&format!(
                "{{{}}}",
                set.iter().cloned().collect::<Vec<_>>().join(",")
            ))
            .map(|g| g.compile_matcher())
            .ok()
        };
        let opts = render::RenderOptions {
            apps: glob(&apps),
            clusters: glob(&clusters),
            ..Default::default()
        };
        render::render(base, fleet, &opts)?
    };
    let rendered: BTreeSet<&str> = base_tree.units.iter().map(|u| u.dir.as_str()).collect();
    for u in work
        .units
        .iter()
        .filter(|u| !rendered.contains(u.dir.as_str()))
    {
        for f in &u.files {
            if let Some(c) = work.files.get(f) {
                files.insert(f.clone(), c.clone());
            }
        }
    }
    files.extend(base_tree.files);
    Ok(files)
}

/// `git archive COMMIT[:PREFIX] | tar -x -C DEST`, leaving out the hydrated tree
/// (it is rendered again, not read).
fn extract(
    top: &Path,
    commit: &str,
    prefix: &str,
    output: &str,
    dest: &Path,
) -> Result<(), CommandError> {
    let treeish = if prefix.is_empty() {
        commit.to_string()
    } else {
        format!("{commit}:{}", prefix.trim_end_matches('/'))
    };
    let exclude = format!(":(exclude){}", output.trim_end_matches('/'));
    let mut git = Command::new("git");
    let mut tar = Command::new("tar");
    interrupt::unblock_in_child(&mut git);
    interrupt::unblock_in_child(&mut tar);
    let mut archive = git
        .arg("-C")
        .arg(top)
        .args(["archive", "--format=tar", &treeish, "--", ".", &exclude])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git ({e}); --base needs git on the PATH"))?;
    interrupt::child_started(archive.id());
    let stdout = archive.stdout.take().ok_or("git archive: no output")?;
    let tar = tar
        .args(["-x", "-f", "-", "-C"])
        .arg(dest)
        .stdin(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run tar ({e}); --base needs tar on the PATH"))?;
    interrupt::child_started(tar.id());
    let tar_pid = tar.id();
    let tar = tar.wait_with_output();
    interrupt::child_finished(tar_pid);
    let tar = tar?;
    let git_pid = archive.id();
    let git_out = archive.wait_with_output();
    interrupt::child_finished(git_pid);
    let git_out = git_out?;
    if !git_out.status.success() {
        return Err(format!(
            "git archive {treeish}: {}",
            String::from_utf8_lossy(&git_out.stderr).trim()
        )
        .into());
    }
    if !tar.status.success() {
        return Err(format!(
            "tar: cannot extract {treeish}: {}",
            String::from_utf8_lossy(&tar.stderr).trim()
        )
        .into());
    }
    Ok(())
}

/// Removing the temporary copy when the process is interrupted: SIGINT, SIGTERM
/// and SIGHUP are blocked in this thread and the threads it starts, and one thread
/// waits for them, removes the copy and exits (128 + the signal, as a shell does).
#[cfg(target_os = "linux")]
mod interrupt {
    use std::os::unix::process::CommandExt;
    use std::path::Path;

    /// The blocked signals.
    pub struct Blocked(libc::sigset_t);

    /// Processes writing into the copy, stopped before it is removed.
    static CHILDREN: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());

    /// Set once a signal was received, before anything is removed or killed.
    static RECEIVED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    /// Set once the thread that waits for the signals runs.
    static WATCHING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

    /// Passes `result` on, unless it is an error while a signal is being handled
    /// (received, or pending as when Ctrl-C reached git and tar first): then the
    /// signal thread ends the process, and this thread waits for it.
    pub fn unless_interrupted<T, E>(result: Result<T, E>) -> Result<T, E> {
        if result.is_ok() {
            return result;
        }
        let pending = || {
            // SAFETY: sigpending writes the set we own; sigismember reads it.
            unsafe {
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigpending(&mut set);
                [libc::SIGINT, libc::SIGTERM, libc::SIGHUP]
                    .iter()
                    .any(|s| libc::sigismember(&set, *s) == 1)
            }
        };
        let watching = WATCHING.load(std::sync::atomic::Ordering::SeqCst);
        if RECEIVED.load(std::sync::atomic::Ordering::SeqCst) || (watching && pending()) {
            loop {
                std::thread::park();
            }
        }
        result
    }

    /// Notes a child process that writes into the copy.
    pub fn child_started(pid: u32) {
        if let Ok(mut c) = CHILDREN.lock() {
            c.push(pid);
        }
    }

    fn signals() -> libc::sigset_t {
        // SAFETY: sigemptyset/sigaddset initialise and fill a set we own.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::sigaddset(&mut set, s);
            }
            set
        }
    }

    /// Blocks the signals in the calling thread (threads started later inherit it).
    pub fn block() -> Blocked {
        let set = signals();
        // SAFETY: a valid set; the old mask is not needed.
        unsafe {
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        }
        Blocked(set)
    }

    /// Starts the thread that waits for the signals and removes `dir` on one.
    pub fn clean_on_signal(blocked: Blocked, dir: &Path) {
        let dir = dir.to_path_buf();
        let set = blocked.0;
        let watcher = std::thread::Builder::new()
            .name("strata-diff-signals".into())
            .spawn(move || {
                let mut sig: libc::c_int = 0;
                // SAFETY: a valid, blocked set; sig is written by sigwait.
                if unsafe { libc::sigwait(&set, &mut sig) } == 0 {
                    RECEIVED.store(true, std::sync::atomic::Ordering::SeqCst);
                    let pids = CHILDREN.lock().map(|c| c.clone()).unwrap_or_default();
                    for pid in pids {
                        // SAFETY: kill has no memory effects. The pid is our child's: it
                        // leaves the list right after the child is reaped.
                        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
                    }
                    // A killed tar may have been mid-write: try again briefly.
                    for _ in 0..50 {
                        if std::fs::remove_dir_all(&dir).is_ok() || !dir.exists() {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(10));
                    }
                    // SAFETY: ends the process at once, as the signal would have.
                    unsafe { libc::_exit(128 + sig) };
                }
            });
        if watcher.is_ok() {
            WATCHING.store(true, std::sync::atomic::Ordering::SeqCst);
        } else {
            // Nobody would wait for them: the signals act as usual again.
            // SAFETY: a valid set; the old mask is not needed.
            unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) };
        }
    }

    /// Notes that a child process was reaped: its pid may be reused now.
    pub fn child_finished(pid: u32) {
        if let Ok(mut c) = CHILDREN.lock() {
            c.retain(|p| *p != pid);
        }
    }

    /// Child processes (git, tar) get the signals as usual.
    pub fn unblock_in_child(cmd: &mut std::process::Command) {
        // SAFETY: only sigprocmask, async-signal-safe, between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                let set = signals();
                libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
                Ok(())
            });
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod interrupt {
    pub struct Blocked;
    pub fn block() -> Blocked {
        Blocked
    }
    pub fn clean_on_signal(_: Blocked, _: &std::path::Path) {}
    pub fn child_started(_: u32) {}
    pub fn child_finished(_: u32) {}
    pub fn unblock_in_child(_: &mut std::process::Command) {}
    pub fn unless_interrupted<T, E>(result: Result<T, E>) -> Result<T, E> {
        result
    }
}
