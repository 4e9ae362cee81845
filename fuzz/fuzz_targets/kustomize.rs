//! The kustomization loader and build: the input is a file tree (see `strata_fuzz::files`)
//! whose first file is `kustomization.yaml`; the root is built, and a successful build
//! must print.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strata::kustomize::build;

fuzz_target!(|data: &[u8]| {
    let fs = strata_fuzz::mem_fs(data, "kustomization.yaml");
    if let Ok(out) = build::build(&fs, "") {
        let _ = out.to_yaml();
    }
});
