//! The recorded corpus: every `.sse` stream of
//! `$STREAMFOLD_SHARED/corpus/openai-chat` (default `../shared` beside the
//! crate), with its expected fold from [`super::expect::reference_fold`].

use std::path::PathBuf;

use super::expect::reference_fold;
use super::Stream;

/// `$STREAMFOLD_SHARED`, or `../shared` beside the crate.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("STREAMFOLD_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    }
}

/// The corpus streams in file-name order, or `None` (after printing a note)
/// when the folder is missing.
pub fn load() -> Option<Vec<Stream>> {
    let dir = shared_dir().join("corpus/openai-chat");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!(
            "note: corpus skipped: {} not found (set STREAMFOLD_SHARED to the shared folder)",
            dir.display()
        );
        return None;
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sse"))
        .collect();
    paths.sort();
    let streams = paths
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).expect("corpus stream");
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let expect = reference_fold(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            Stream::new(name, bytes, expect)
        })
        .collect();
    Some(streams)
}

/// Keeps the streams whose index is not in `bad` (sorted or not), printing
/// how many were left out and up to five of the `reasons`.
pub fn leave_out(streams: &mut Vec<Stream>, bad: &[usize], reasons: &[String]) {
    if bad.is_empty() {
        return;
    }
    let mut bad = bad.to_vec();
    bad.sort_unstable();
    bad.dedup();
    println!(
        "note: corpus: {} of {} streams left out, a competitor fails on them, e.g.:",
        bad.len(),
        streams.len()
    );
    for why in reasons.iter().take(5) {
        println!("note:   {why}");
    }
    let mut i = 0;
    streams.retain(|_| {
        i += 1;
        bad.binary_search(&(i - 1)).is_err()
    });
}
