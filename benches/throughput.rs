//! Throughput of stream reassembly, side by side with the peers and floors.
//!
//! One criterion group per workload; every group holds the competitors
//! (`peers/`), the floors, and streamfold, measured in the same run so the
//! report reads as ratios. `Throughput::Bytes` is the length of the SSE
//! bytes. Every benchmark checks its result inside the measured closure.
//!
//! - `text_stream`: 200,000 one-token content deltas shaped like the built-in
//!   sample (`synthetic::text_stream`), read in 4 KiB pieces.
//! - `tool_stream`: four parallel tool calls in small argument fragments, as
//!   many bytes as `text_stream` (`synthetic::tool_stream`), 4 KiB reads.
//! - `corpus`: every `.sse` stream of `$STREAMFOLD_SHARED/corpus/openai-chat`
//!   (default `../shared` beside the crate), each folded on its own, 4 KiB
//!   reads. Skipped, with a note, when the folder is missing.
//! - `big_event`: one 16 MiB content event, fed whole, in 4 KiB reads and in
//!   64-byte reads.
//!
//! `cargo bench --bench throughput`; add a criterion filter to run a part
//! (`cargo bench --bench throughput -- text_stream`).
//! `STREAMFOLD_BENCH_EVENTS` and `STREAMFOLD_BENCH_BIG_BYTES` shrink the
//! synthetic workloads for a quick run.
//!
//! To add an entry, put one more `bench_function` beside `add_peers` in each
//! group function, feeding every stream of the workload and checking it
//! against the same expectation, e.g. for `text_stream`:
//!
//! ```text
//! group.bench_function(plain("streamfold"), |b| {
//!     b.iter(|| {
//!         for s in &workload.streams {
//!             let done = /* fold black_box(&s.bytes[..]).chunks(READ) */;
//!             s.expect.check_parts(content, tool_arguments, finish_reason, total_tokens);
//!         }
//!     })
//! });
//! ```
//!
//! (in `big_event`, inside its loop over read sizes, with
//! `BenchmarkId::new("streamfold", label)` and `read`).

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};

#[path = "peers/mod.rs"]
mod peers;
#[path = "synthetic.rs"]
mod synthetic;
#[path = "workload/mod.rs"]
mod workload;

use peers::simd_tape::TapeParser;
use peers::Folded;
use workload::expect::Expect;
use workload::{env_usize, Stream};

/// Size of the single event of `big_event`.
const BIG_EVENT_BYTES: usize = 16 << 20;
/// Network read size.
const READ: usize = 4096;
/// Stands for "the whole input in one read".
const WHOLE: usize = usize::MAX;

// ---------------------------------------------------------------------------
// Workloads

/// The streams of one group, each folded on its own per iteration.
struct Workload {
    streams: Vec<Stream>,
}

impl Workload {
    fn bytes(&self) -> u64 {
        self.streams.iter().map(|s| s.bytes.len() as u64).sum()
    }

    /// Runs every competitor once over every stream at read size `read` and
    /// compares its result with the expectation in full. Returns the names of
    /// the streams some competitor failed on, with the reasons.
    fn verify(&self, read: usize, skip: &[&str]) -> Vec<(usize, String)> {
        let mut failures = Vec::new();
        for (i, s) in self.streams.iter().enumerate() {
            for (name, peer) in entries() {
                if skip.contains(&name) {
                    continue;
                }
                match peer(s.bytes.chunks(read)) {
                    Err(e) => failures.push((i, format!("{}: {name}: {e}", s.name))),
                    Ok(folded) => {
                        if Expect::got(folded) != s.expect {
                            failures.push((i, format!("{}: {name}: result differs", s.name)));
                        }
                    }
                }
            }
        }
        failures
    }
}

/// The benchmark id of an entry of a group with a single input.
fn plain(name: &str) -> BenchmarkId {
    BenchmarkId::from_parameter(name)
}

// ---------------------------------------------------------------------------
// The peers, added to a group

/// streamfold, as a user runs it: the sync facade fed each read, every
/// event taken (and looked at), then the final completion.
fn streamfold_fold(chunks: std::slice::Chunks<'_, u8>) -> Result<Folded, String> {
    let mut fold = streamfold::Fold::new();
    for read in chunks {
        for event in fold.push(read) {
            black_box(event.map_err(|e| e.to_string())?);
        }
    }
    let events = fold.events_dispatched() as usize;
    let done = fold.finish().map_err(|e| e.to_string())?;
    workload::folded_of(done, events)
}

/// streamfold, then the competitors.
fn entries() -> impl Iterator<Item = (&'static str, peers::Peer)> {
    std::iter::once(("streamfold", streamfold_fold as peers::Peer)).chain(peers::COMPETITORS)
}

/// Adds every competitor (except those in `skip`) and both floors to `group`,
/// each fed `workload` in reads of `read` bytes, named by `id(peer name)`.
fn add_peers(
    group: &mut BenchmarkGroup<'_, WallTime>,
    workload: &Workload,
    read: usize,
    id: impl Fn(&str) -> BenchmarkId,
    skip: &[&str],
) {
    for (name, peer) in entries() {
        if skip.contains(&name) {
            continue;
        }
        group.bench_function(id(name), |b| {
            b.iter(|| {
                for s in &workload.streams {
                    let folded = peer(black_box(&s.bytes[..]).chunks(read)).unwrap();
                    s.expect.check(&folded);
                }
            })
        });
    }
    group.bench_function(id("floor_simd_json_tape"), |b| {
        let mut parser = TapeParser::default();
        b.iter(|| {
            for s in &workload.streams {
                let nodes = parser.parse(black_box(&s.bytes), &s.payloads).unwrap();
                assert_eq!(nodes, s.tape_nodes);
            }
        })
    });
    group.bench_function(id("floor_memchr_newlines"), |b| {
        b.iter(|| {
            for s in &workload.streams {
                let n = peers::memchr_lines::count(black_box(&s.bytes[..]).chunks(read));
                assert_eq!(n, s.newlines);
            }
        })
    });
}

/// The slowest competitor takes about 0.4 s per iteration on the synthetic
/// streams: flat sampling with criterion's minimum of 10 samples and 5 s of
/// measurement keeps the whole run to about 4 minutes on 2 cores.
fn configure(group: &mut BenchmarkGroup<'_, WallTime>, bytes: u64) {
    group
        .throughput(Throughput::Bytes(bytes))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
}

fn check_verified(group: &str, workload: &Workload, read: usize, skip: &[&str]) {
    let failures = workload.verify(read, skip);
    if let Some((_, why)) = failures.first() {
        panic!("{group}: a competitor is wrong before measuring: {why}");
    }
}

// ---------------------------------------------------------------------------
// Groups

fn text_stream(c: &mut Criterion) {
    if !cfg!(target_feature = "avx2") {
        // simd-json and memchr detect AVX2 at run time; sonic-rs does not.
        println!(
            "note: built without the avx2 target feature: sonic-rs runs its portable \
             fallback (RUSTFLAGS='-C target-cpu=native' gives it SIMD)"
        );
    }
    let workload = Workload {
        streams: vec![workload::text_stream()],
    };
    check_verified("text_stream", &workload, READ, &[]);
    let mut group = c.benchmark_group("text_stream");
    configure(&mut group, workload.bytes());
    add_peers(&mut group, &workload, READ, plain, &[]);
    group.finish();
}

fn tool_stream(c: &mut Criterion) {
    // As many bytes as the text stream.
    let workload = Workload {
        streams: vec![workload::tool_stream()],
    };
    check_verified("tool_stream", &workload, READ, &[]);
    let mut group = c.benchmark_group("tool_stream");
    configure(&mut group, workload.bytes());
    add_peers(&mut group, &workload, READ, plain, &[]);
    group.finish();
}

fn corpus(c: &mut Criterion) {
    let Some(streams) = workload::corpus::load() else {
        return;
    };
    let mut workload = Workload { streams };
    // Keep the streams every competitor folds: async-openai's types reject
    // some providers' chunks. The same streams are used by every entry.
    let failures = workload.verify(READ, &[]);
    let (bad, reasons): (Vec<usize>, Vec<String>) = failures.into_iter().unzip();
    workload::corpus::leave_out(&mut workload.streams, &bad, &reasons);
    println!(
        "note: corpus: {} streams, {} bytes",
        workload.streams.len(),
        workload.bytes()
    );
    let mut group = c.benchmark_group("corpus");
    configure(&mut group, workload.bytes());
    add_peers(&mut group, &workload, READ, plain, &[]);
    group.finish();
}

/// eventsource-stream re-parses its whole pending line from the start on
/// every read (its nom line parser has no resume point), so one big event
/// costs O(size² / read size). Measured once, release build, 2-core machine:
/// in 4 KiB reads a 1, 2, 4, 8, 16 MiB event takes 0.13, 0.45, 2.0, 9.2,
/// 40.4 s; in 64-byte reads 1 MiB takes 9.1 s and 2 MiB 38 s (16 MiB would
/// take about 40 minutes); fed whole, 16 MiB takes 0.1 s. This estimate
/// (about 5.5e-10 s × size² / read size, fitted to those runs) leaves it out
/// where an iteration would take over ~30 s: at 16 MiB, the 4 KiB and the
/// 64-byte reads.
fn eventsource_seconds(size: usize, read: usize) -> f64 {
    5.5e-10 * (size as f64) * (size as f64) / read.min(size).max(1) as f64
}

fn big_event(c: &mut Criterion) {
    let size = env_usize("STREAMFOLD_BENCH_BIG_BYTES", BIG_EVENT_BYTES);
    let workload = Workload {
        streams: vec![Stream::synthetic("big_event", synthetic::big_event(size))],
    };
    let mut group = c.benchmark_group("big_event");
    configure(&mut group, workload.bytes());
    for (read, label) in [(WHOLE, "whole"), (READ, "4KiB"), (64, "64B")] {
        let estimate = eventsource_seconds(workload.bytes() as usize, read);
        let skip: &[&str] = if estimate > 30.0 {
            println!(
                "note: big_event/{label}: eventsource_serde_async_openai left out: quadratic, \
                 about {estimate:.0} s per iteration here"
            );
            &["eventsource_serde_async_openai"]
        } else {
            &[]
        };
        check_verified("big_event", &workload, read, skip);
        add_peers(
            &mut group,
            &workload,
            read,
            |name| BenchmarkId::new(name, label),
            skip,
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = text_stream, tool_stream, corpus, big_event
}
criterion_main!(benches);
