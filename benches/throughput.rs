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
use std::ops::Range;
use std::path::PathBuf;
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

use peers::simd_tape::TapeParser;
use peers::Folded;

/// Content deltas in `text_stream` (the issue's workload).
const TEXT_EVENTS: usize = 200_000;
/// Size of the single event of `big_event`.
const BIG_EVENT_BYTES: usize = 16 << 20;
/// Network read size.
const READ: usize = 4096;
/// Stands for "the whole input in one read".
const WHOLE: usize = usize::MAX;

// ---------------------------------------------------------------------------
// Workloads and their expected results

/// What a fold of one stream must give (from the generator, or for recorded
/// streams from `reference_fold`).
#[derive(Debug, Clone, PartialEq)]
struct Expect {
    content: String,
    tool_arguments: Vec<String>,
    finish_reason: Option<String>,
    total_tokens: Option<u64>,
    events: usize,
}

impl Expect {
    fn of(s: &synthetic::Synthetic) -> Expect {
        Expect {
            content: s.content.clone(),
            tool_arguments: s.tool_arguments.clone(),
            finish_reason: s.finish_reason.clone(),
            total_tokens: s.total_tokens,
            events: s.events,
        }
    }

    /// Panics unless `folded` matches (see `check_parts`).
    fn check(&self, folded: &Folded) {
        self.check_parts(
            &folded.content,
            folded.tool_arguments.iter().map(String::as_str),
            folded.finish_reason.as_deref(),
            folded.total_tokens,
        );
        assert_eq!(folded.events, self.events, "SSE events");
    }

    /// Panics unless the text, tool arguments, finish reason and usage total
    /// match. Text is compared by length and its first and last 64 bytes:
    /// O(1), so the check does not weigh on the measurement (full comparisons
    /// are done once before measuring, by `verify`).
    fn check_parts<'a>(
        &self,
        content: &str,
        tool_arguments: impl ExactSizeIterator<Item = &'a str>,
        finish_reason: Option<&str>,
        total_tokens: Option<u64>,
    ) {
        same_text(content, &self.content, "content");
        assert_eq!(
            tool_arguments.len(),
            self.tool_arguments.len(),
            "tool calls"
        );
        for (got, want) in tool_arguments.zip(&self.tool_arguments) {
            same_text(got, want, "tool arguments");
        }
        assert_eq!(
            finish_reason,
            self.finish_reason.as_deref(),
            "finish_reason"
        );
        assert_eq!(total_tokens, self.total_tokens, "usage.total_tokens");
    }
}

fn same_text(got: &str, want: &str, what: &str) {
    let (g, w) = (got.as_bytes(), want.as_bytes());
    assert_eq!(g.len(), w.len(), "{what} length");
    let edge = w.len().min(64);
    assert_eq!(&g[..edge], &w[..edge], "{what} start");
    assert_eq!(&g[g.len() - edge..], &w[w.len() - edge..], "{what} end");
}

/// One stream of a workload.
struct Stream {
    name: String,
    bytes: Vec<u8>,
    expect: Expect,
    /// `data:` payload ranges, for the simd-json tape floor.
    payloads: Vec<Range<usize>>,
    /// Tape nodes of all payloads, for the simd-json tape floor's check.
    tape_nodes: usize,
    /// Newlines in `bytes`, for the memchr floor's check.
    newlines: usize,
}

impl Stream {
    fn new(name: String, bytes: Vec<u8>, expect: Expect) -> Stream {
        let payloads = peers::simd_tape::payloads(&bytes);
        let tape_nodes = TapeParser::default()
            .parse(&bytes, &payloads)
            .unwrap_or_else(|e| panic!("{name}: a payload is not JSON: {e}"));
        let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
        Stream {
            name,
            bytes,
            expect,
            payloads,
            tape_nodes,
            newlines,
        }
    }

    fn synthetic(name: &str, s: synthetic::Synthetic) -> Stream {
        let expect = Expect::of(&s);
        Stream::new(name.to_owned(), s.bytes, expect)
    }
}

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
                        let got = Expect {
                            content: folded.content,
                            tool_arguments: folded.tool_arguments,
                            finish_reason: folded.finish_reason,
                            total_tokens: folded.total_tokens,
                            events: folded.events,
                        };
                        if got != s.expect {
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

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, got {v:?}")),
        Err(_) => default,
    }
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
    let completion = fold
        .finish()
        .map_err(|e| e.to_string())?
        .into_chat()
        .ok_or("not a chat completion")?;
    let choice = completion.choices.into_iter().find(|c| c.index == 0);
    let (content, tool_arguments, finish_reason) = match choice {
        Some(c) => (
            c.message.content.unwrap_or_default(),
            c.message
                .tool_calls
                .into_iter()
                .map(|t| t.function.arguments)
                .collect(),
            c.finish_reason,
        ),
        None => Default::default(),
    };
    Ok(Folded {
        content,
        tool_arguments,
        finish_reason,
        total_tokens: completion.usage.and_then(|u| u.total_tokens),
        events,
    })
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
    let events = env_usize("STREAMFOLD_BENCH_EVENTS", TEXT_EVENTS);
    let workload = Workload {
        streams: vec![Stream::synthetic(
            "text_stream",
            synthetic::text_stream(events),
        )],
    };
    check_verified("text_stream", &workload, READ, &[]);
    let mut group = c.benchmark_group("text_stream");
    configure(&mut group, workload.bytes());
    add_peers(&mut group, &workload, READ, plain, &[]);
    group.finish();
}

fn tool_stream(c: &mut Criterion) {
    // As many bytes as the text stream.
    let text_events = env_usize("STREAMFOLD_BENCH_EVENTS", TEXT_EVENTS);
    let probe = 4_000;
    let text_bytes = synthetic::text_stream(probe).bytes.len() as f64 / probe as f64;
    let tool_bytes = synthetic::tool_stream(probe).bytes.len() as f64 / probe as f64;
    let events = ((text_events as f64 * text_bytes / tool_bytes) as usize).max(8);
    let workload = Workload {
        streams: vec![Stream::synthetic(
            "tool_stream",
            synthetic::tool_stream(events),
        )],
    };
    check_verified("tool_stream", &workload, READ, &[]);
    let mut group = c.benchmark_group("tool_stream");
    configure(&mut group, workload.bytes());
    add_peers(&mut group, &workload, READ, plain, &[]);
    group.finish();
}

/// `$STREAMFOLD_SHARED`, or `../shared` beside the crate.
fn shared_dir() -> PathBuf {
    match std::env::var_os("STREAMFOLD_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    }
}

fn corpus(c: &mut Criterion) {
    let dir = shared_dir().join("corpus/openai-chat");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!(
            "note: corpus group skipped: {} not found (set STREAMFOLD_SHARED to the shared folder)",
            dir.display()
        );
        return;
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sse"))
        .collect();
    paths.sort();
    let streams: Vec<Stream> = paths
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).expect("corpus stream");
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let expect = reference_fold(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            Stream::new(name, bytes, expect)
        })
        .collect();
    let mut workload = Workload { streams };
    // Keep the streams every competitor folds: async-openai's types reject
    // some providers' chunks. The same streams are used by every entry.
    let failures = workload.verify(READ, &[]);
    if !failures.is_empty() {
        let mut bad: Vec<usize> = failures.iter().map(|(i, _)| *i).collect();
        bad.dedup();
        println!(
            "note: corpus: {} of {} streams left out, a competitor fails on them, e.g.:",
            bad.len(),
            workload.streams.len()
        );
        for (_, why) in failures.iter().take(5) {
            println!("note:   {why}");
        }
        let mut i = 0;
        workload.streams.retain(|_| {
            i += 1;
            !bad.contains(&(i - 1))
        });
    }
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

/// The expected fold of a recorded stream, computed independently of the
/// peers: `data: ` lines parsed into `serde_json::Value`, with the peers'
/// rules (choice 0's content and tool arguments by index, a fragment
/// without index continuing the last call, last finish reason, last usage).
fn reference_fold(bytes: &[u8]) -> Result<Expect, String> {
    use serde_json::Value;
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    let mut expect = Expect {
        content: String::new(),
        tool_arguments: Vec::new(),
        finish_reason: None,
        total_tokens: None,
        events: 0,
    };
    let mut current = 0;
    for line in text.lines() {
        let Some(data) = line.strip_prefix("data: ") else {
            continue;
        };
        expect.events += 1;
        if data == "[DONE]" {
            break;
        }
        let chunk: Value = serde_json::from_str(data).map_err(|e| e.to_string())?;
        for choice in chunk["choices"].as_array().into_iter().flatten() {
            if choice["index"].as_u64().unwrap_or(0) != 0 {
                continue;
            }
            let delta = &choice["delta"];
            if let Some(content) = delta["content"].as_str() {
                expect.content.push_str(content);
            }
            for call in delta["tool_calls"].as_array().into_iter().flatten() {
                let index = call["index"].as_u64().map_or(current, |i| i as usize);
                current = index;
                if expect.tool_arguments.len() <= index {
                    expect.tool_arguments.resize(index + 1, String::new());
                }
                if let Some(args) = call["function"]["arguments"].as_str() {
                    expect.tool_arguments[index].push_str(args);
                }
            }
            if let Some(reason) = choice["finish_reason"].as_str() {
                expect.finish_reason = Some(reason.to_owned());
            }
        }
        if let Some(total) = chunk["usage"]["total_tokens"].as_u64() {
            expect.total_tokens = Some(total);
        }
    }
    Ok(expect)
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
