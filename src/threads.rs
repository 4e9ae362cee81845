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
/// files, templates, documents): done before another thread would have started, each
/// with fresh memory of its own.
pub const FEW: usize = 32;

/// How many threads a command's engines run on outside a pool: one per core, as the
/// process may use them (its affinity and cgroup quota), found once.
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `f` of each item, in order: on [`cores`] threads, or on the calling thread for
/// [`FEW`] items or fewer, and inside a pool (a fleet's units already fill it).
pub fn map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let all = map_as_found(
        |hand: &mut dyn FnMut(T)| {
            items.into_iter().for_each(hand);
            Ok::<(), std::convert::Infallible>(())
        },
        f,
    );
    match all {
        Ok(out) => out,
        Err(never) => match never {},
    }
}

/// `f` of each item `produce` hands over, in the order handed over. Past [`FEW`] items,
/// other threads (one per other core) start on them while `produce` is still finding
/// them (a walk of folders, which alone keeps one core busy for a millisecond on a large
/// chart), and this thread joins them when it is done. Inside a pool, or on one core, it
/// all runs on this thread. When `produce` fails, items not yet started are dropped.
///
/// Threads of its own rather than rayon's pool: for a command that renders one chart,
/// starting the pool and waking its threads cost more than the threads saved.
pub fn map_as_found<T: Send, R: Send, E>(
    produce: impl FnOnce(&mut dyn FnMut(T)) -> Result<(), E>,
    f: impl Fn(T) -> R + Sync,
) -> Result<Vec<R>, E> {
    let others = cores() - 1;
    if others == 0 || rayon::current_thread_index().is_some() {
        let mut items = Vec::new();
        produce(&mut |t| items.push(t))?;
        return Ok(items.into_iter().map(f).collect());
    }
    let queue = Queue::new();
    let work = || {
        let mut done = Vec::new();
        while let Some((i, t)) = queue.take() {
            done.push((i, f(t)));
        }
        done
    };
    let (produced, mut done) = std::thread::scope(|scope| {
        let mut helpers = Vec::new();
        let produced = {
            // Closed however `produce` ends, a panic included: the helpers wait for it.
            let closing = Closing(&queue);
            let mut next = 0;
            let produced = produce(&mut |t| {
                queue.put(next, t);
                next += 1;
                // Started only past `FEW` items: a small chart's files are read here.
                if next == FEW + 1 {
                    helpers.extend((0..others).filter_map(|_| {
                        std::thread::Builder::new()
                            .stack_size(STACK)
                            .spawn_scoped(scope, work)
                            // Not started: the others, and this thread, do its share.
                            .ok()
                    }));
                }
            });
            if produced.is_err() {
                closing.0.clear();
            }
            produced
        };
        let mut done = work();
        for helper in helpers {
            done.extend(
                helper
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        (produced, done)
    });
    produced?;
    done.sort_unstable_by_key(|(i, _)| *i);
    Ok(done.into_iter().map(|(_, r)| r).collect())
}

/// What one thread makes and others wait for (a large chart's parsed templates, which
/// its other render threads need), or nothing when it could not be made. The others
/// wait spinning at first: they have a core each and usually wait under a millisecond,
/// and a thread put to sleep on a virtual machine's idle core took as long again to
/// wake. Past that, they sleep between looks.
pub struct Handover<T>(std::sync::OnceLock<Option<T>>);

impl<T> Handover<T> {
    pub fn new() -> Self {
        Handover(std::sync::OnceLock::new())
    }

    /// What was made, once it is; `None` when it could not be.
    pub fn wait(&self) -> Option<&T> {
        let spinning = std::time::Instant::now();
        loop {
            if let Some(made) = self.0.get() {
                return made.as_ref();
            }
            if spinning.elapsed() < std::time::Duration::from_millis(2) {
                std::thread::yield_now();
            } else {
                std::thread::sleep(std::time::Duration::from_micros(100));
            }
        }
    }

    /// The making thread's side, taken before it starts making: dropped without
    /// handing anything over (a failure, or a panic), it hands over nothing, so no
    /// thread waits for ever.
    pub fn maker(&self) -> Maker<'_, T> {
        Maker(self)
    }
}

impl<T> Default for Handover<T> {
    fn default() -> Self {
        Handover::new()
    }
}

/// See [`Handover::maker`].
pub struct Maker<'a, T>(&'a Handover<T>);

impl<'a, T> Maker<'a, T> {
    /// Hands `made` over, and lends it back.
    pub fn hand(self, made: T) -> &'a T {
        let handover = self.0;
        let _ = handover.0.set(Some(made));
        handover.wait().expect("handed over just now")
    }
}

impl<T> Drop for Maker<'_, T> {
    fn drop(&mut self) {
        let _ = self.0 .0.set(None);
    }
}

/// Items handed from one thread to others, each numbered in the order handed over.
struct Queue<T> {
    state: std::sync::Mutex<QueueState<T>>,
    ready: std::sync::Condvar,
}

struct QueueState<T> {
    items: std::collections::VecDeque<(usize, T)>,
    closed: bool,
    /// Threads waiting for an item: woken only when there are some, as waking is a
    /// system call and a chart hands over hundreds of files.
    waiting: usize,
}

impl<T> Queue<T> {
    fn new() -> Self {
        Queue {
            state: std::sync::Mutex::new(QueueState {
                items: Default::default(),
                closed: false,
                waiting: 0,
            }),
            ready: std::sync::Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState<T>> {
        // A thread that panicked holding the lock left the queue whole: it only pushes
        // and pops.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn put(&self, i: usize, t: T) {
        let mut state = self.lock();
        state.items.push_back((i, t));
        if state.waiting > 0 {
            self.ready.notify_one();
        }
    }

    /// The next item, waiting for one until the queue is closed.
    fn take(&self) -> Option<(usize, T)> {
        let mut state = self.lock();
        loop {
            if let Some(item) = state.items.pop_front() {
                return Some(item);
            }
            if state.closed {
                return None;
            }
            state.waiting += 1;
            state = self.ready.wait(state).unwrap_or_else(|e| e.into_inner());
            state.waiting -= 1;
        }
    }

    fn clear(&self) {
        self.lock().items.clear();
    }
}

/// Closes the queue when dropped.
struct Closing<'a, T>(&'a Queue<T>);

impl<T> Drop for Closing<'_, T> {
    fn drop(&mut self) {
        self.0.lock().closed = true;
        self.0.ready.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keeps_the_order_of_the_items() {
        let items: Vec<usize> = (0..1000).collect();
        let out = map(items, |i| i * 2);
        assert_eq!(out, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn items_found_are_worked_on_in_the_order_found() {
        let out = map_as_found(
            |hand: &mut dyn FnMut(String)| {
                for i in 0..500 {
                    hand(format!("f{i}"));
                }
                Ok::<_, ()>(())
            },
            |s| s.len(),
        );
        let want: Vec<usize> = (0..500).map(|i| format!("f{i}").len()).collect();
        assert_eq!(out, Ok(want));
    }

    #[test]
    fn a_handover_gives_what_was_made_or_nothing_when_making_failed() {
        let made: Handover<u32> = Handover::new();
        std::thread::scope(|scope| {
            let waiting = scope.spawn(|| made.wait().copied());
            assert_eq!(made.maker().hand(7), &7);
            assert_eq!(waiting.join().unwrap(), Some(7));
        });
        let failed: Handover<u32> = Handover::new();
        std::thread::scope(|scope| {
            let waiting = scope.spawn(|| failed.wait().copied());
            let making = || -> Result<u32, ()> {
                let maker = failed.maker();
                Err(())?;
                Ok(*maker.hand(1))
            };
            assert_eq!(making(), Err(()));
            assert_eq!(waiting.join().unwrap(), None);
        });
    }

    #[test]
    fn a_failure_to_find_is_the_result() {
        let out: Result<Vec<usize>, String> = map_as_found(
            |hand: &mut dyn FnMut(usize)| {
                (0..100).for_each(&mut *hand);
                Err("cannot list templates/".to_string())
            },
            |i| i,
        );
        assert_eq!(out, Err("cannot list templates/".to_string()));
    }

    #[test]
    fn a_panic_while_finding_does_not_leave_the_helpers_waiting() {
        let out = std::panic::catch_unwind(|| {
            map_as_found(
                |hand: &mut dyn FnMut(usize)| -> Result<(), ()> {
                    hand(1);
                    panic!("walk failed");
                },
                |i| i,
            )
        });
        assert!(out.is_err());
    }
}
