//! The fuzz input format shared by the targets that need a file tree: one text holding
//! several files.
//!
//! A line `>>> PATH` starts the file PATH; text before the first such line is the file
//! named by `first` (e.g. `kustomization.yaml`). Paths are taken as written, so the fuzzer
//! also tries `..`, absolute paths and empty names against the root restriction.

use strata::kustomize::MemFs;

/// The marker that starts a file.
pub const MARKER: &str = ">>> ";

/// Splits `data` into files; invalid UTF-8 is replaced, as the engine reads files as text.
pub fn files(data: &[u8], first: &str) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(data);
    let mut out: Vec<(String, String)> = vec![(first.to_string(), String::new())];
    for line in text.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix(MARKER) {
            out.push((
                path.trim_end_matches(['\n', '\r']).to_string(),
                String::new(),
            ));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
        }
    }
    out
}

/// A `MemFs` holding the files of `data`.
pub fn mem_fs(data: &[u8], first: &str) -> MemFs {
    let mut fs = MemFs::new();
    for (path, body) in files(data, first) {
        fs.add(&path, body.into_bytes());
    }
    fs
}
