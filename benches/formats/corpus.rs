//! What every format's group shares: the read size, the corpus folders,
//! criterion's settings.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Throughput};

/// Network read size.
pub const READ: usize = 4096;

/// The corpus folder `name`: in `$STREAMFOLD_SHARED`, else `../shared`
/// beside the crate, else the project's selection in `tests/data`; and
/// which of them it is.
pub fn corpus(name: &str) -> (PathBuf, &'static str) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = std::env::var_os("STREAMFOLD_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared"));
    let dir = shared.join("corpus").join(name);
    if dir.is_dir() {
        return (dir, "shared corpus");
    }
    (
        root.join("tests/data/corpus").join(name),
        "the project's selection",
    )
}

/// The `.sse` streams of a folder, sorted by name, with their bytes.
pub fn streams(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sse"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// Throughput in bytes, and settings short enough for a loaded machine.
pub fn configure(group: &mut BenchmarkGroup<'_, WallTime>, bytes: u64) {
    group
        .throughput(Throughput::Bytes(bytes))
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
}
