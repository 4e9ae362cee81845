//! How strata's processes use mimalloc, the global allocator of its binaries (the
//! `strata` command and the in-process benchmark).

/// mimalloc hands freed memory back to the OS after a delay, and the kernel zeroes it again
/// when it is reused (2 MiB at a time with transparent huge pages). A fleet render frees
/// and reuses large buffers all the time: it spent a sixth of its time in the kernel
/// zeroing pages, with five times the page faults. A strata command is short-lived; it
/// keeps what it freed.
pub fn keep_freed_memory() {
    // SAFETY: sets an integer option, which mimalloc reads at any time.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) }
}

/// `mi_option_purge_delay` in the mimalloc the lock pins (libmimalloc-sys 0.1.49,
/// `v3/include/mimalloc.h`); the Rust bindings do not name it.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

#[cfg(test)]
mod tests {
    #[test]
    fn purge_delay_is_the_option_keep_freed_memory_sets() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // Its default (`src/options.c`): another index would be another option.
        assert_eq!(
            unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY) },
            1000
        );
    }
}
