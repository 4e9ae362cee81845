//! The fleet loader: the input is a file tree (see `strata_fuzz::files`) whose first file
//! is `strata.yaml`; it is loaded and, when it loads, every pair is listed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strata::fleet;

fuzz_target!(|data: &[u8]| {
    let fs = strata_fuzz::mem_fs(data, "strata.yaml");
    if let Ok(f) = fleet::load(&fs) {
        let _ = f.pairs();
    }
});
