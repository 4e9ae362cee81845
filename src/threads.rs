//! The threads strata's engines run on, and how much stack they have.
//!
//! Templates, values and kustomizations nest as deep as their authors write them, and
//! the engines recurse through them. Go, which Helm's templates were written for, grows
//! a goroutine's stack to a gigabyte; a Rust thread has 2 MiB, the main thread 8 MiB.
//! So every engine thread gets [`STACK`], and the engines refuse input past limits
//! that fit in it with room to spare (`helm::gotmpl`'s nesting limits) instead of
//! overflowing it, which would abort the process. The stack is address space until
//! used: a thread touches only the pages it recurses through.

/// The stack of every thread that runs an engine.
pub const STACK: usize = 256 << 20;

/// Runs `f` on a thread with [`STACK`] (a command runs there, not on the main thread),
/// and gives every thread started later the same stack, rayon's global pool's too.
/// Call it before any other thread starts (from `main`).
pub fn run<T: Send>(f: impl FnOnce() -> T + Send) -> std::io::Result<T> {
    // Through the environment rather than by building rayon's global pool here: the
    // pool then starts when first used, and its threads inherit the signal mask the
    // command has then (`diff` blocks the signals it handles itself).
    std::env::set_var("RUST_MIN_STACK", STACK.to_string());
    // Linux hands a signal sent to the process to its main thread first. That thread
    // only waits here, so it leaves the signals to the command's thread, which can
    // block them (`diff`) or die of them.
    let mask = signals::leave_to_others();
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .name("strata".into())
            .stack_size(STACK)
            .spawn_scoped(scope, move || {
                signals::restore(mask);
                f()
            })?;
        Ok(thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })
}

#[cfg(unix)]
mod signals {
    /// The signals a user stops a command with.
    const STOPS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

    /// Blocks them in this thread; the mask it had before.
    pub fn leave_to_others() -> libc::sigset_t {
        // SAFETY: sigemptyset/sigaddset fill sets we own; pthread_sigmask reads one and
        // writes the other.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for s in STOPS {
                libc::sigaddset(&mut set, s);
            }
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
            old
        }
    }

    /// Sets this thread's mask back to `mask`.
    pub fn restore(mask: libc::sigset_t) {
        // SAFETY: a valid set; the old mask is not needed.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &mask, std::ptr::null_mut()) };
    }
}

#[cfg(not(unix))]
mod signals {
    pub fn leave_to_others() {}
    pub fn restore(_: ()) {}
}

/// A pool of `jobs` threads (`None`: one per core) with [`STACK`], for a command's
/// `--jobs`.
pub fn pool(jobs: Option<usize>) -> Result<rayon::ThreadPool, rayon::ThreadPoolBuildError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .stack_size(STACK)
        .build()
}

/// At most this many items are worked on by the calling thread alone (a small chart's
/// files, templates, documents): done before the pool's threads would have started,
/// each with fresh memory of its own.
pub const FEW: usize = 32;

/// `f` of each item, in order: on the pool's threads, or on the calling thread for
/// [`FEW`] items or fewer, and inside the pool (a fleet's units already fill it).
pub fn map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    use rayon::prelude::*;
    if items.len() <= FEW || rayon::current_thread_index().is_some() {
        items.into_iter().map(f).collect()
    } else {
        items.into_par_iter().map(f).collect()
    }
}
