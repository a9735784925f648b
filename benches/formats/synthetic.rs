//! What the synthetic streams share (the legacy completions and Ollama
//! groups): deterministic token streams, an O(1) text check, streamfold's
//! facade as a user runs it, and flat sampling.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, SamplingMode, Throughput};

/// Events (chunks or lines) of each synthetic stream.
pub const EVENTS: usize = 60_000;

/// Events of each synthetic stream (`STREAMFOLD_BENCH_EVENTS` shrinks them).
pub fn events() -> usize {
    match std::env::var("STREAMFOLD_BENCH_EVENTS") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("STREAMFOLD_BENCH_EVENTS must be a number, got {v:?}")),
        Err(_) => EVENTS,
    }
}

/// A small xorshift PRNG (fixed seeds: the same bytes on every machine).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Tokens the streams are made of: words, punctuation, a newline, quotes
/// (escaped in JSON), non-ASCII text.
pub const TOKENS: [&str; 12] = [
    " the",
    " quick",
    " brown",
    " fox",
    ",",
    " jumps",
    ".",
    "\n",
    " \"over\"",
    " café",
    " 日本",
    " 😀",
];

pub fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// `got` equals `want`: by length and the first and last 64 bytes (O(1), so
/// the check does not weigh on the measurement; full comparisons are made
/// once before measuring).
pub fn same_text(got: &str, want: &str, what: &str) {
    let (g, w) = (got.as_bytes(), want.as_bytes());
    assert_eq!(g.len(), w.len(), "{what} length");
    let edge = w.len().min(64);
    assert_eq!(&g[..edge], &w[..edge], "{what} start");
    assert_eq!(&g[g.len() - edge..], &w[w.len() - edge..], "{what} end");
}

/// Flat sampling, criterion's minimum of 10 samples, 4 s of measurement.
pub fn configure_flat(group: &mut BenchmarkGroup<'_, WallTime>, bytes: u64) {
    group
        .throughput(Throughput::Bytes(bytes))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
}

/// streamfold as a user runs it: the sync facade fed each read, every event
/// taken (and looked at), then the final object.
pub fn streamfold_fold(bytes: &[u8], read: usize) -> streamfold::Final {
    let mut fold = streamfold::Fold::new();
    for piece in bytes.chunks(read) {
        for event in fold.push(piece) {
            black_box(event.unwrap());
        }
    }
    fold.finish().unwrap()
}
