//! The hot path measured like for like: streamfold and its peers linked into
//! one process, built with one profile, fed the same slices, group by group.
//!
//! Regenerate the README's performance table (about 15 minutes on the
//! project's 2-core machine; run it when `uptime` shows the machine quiet):
//!
//! ```text
//! benches/like-for-like.sh
//! ```
//!
//! That is `cargo bench --profile like-for-like --bench hotpath` with
//! `RUSTFLAGS="-C target-cpu=native"` and `CARGO_TARGET_DIR=target/like-for-like`
//! (so the normal build cache stays valid); arguments go to criterion (`--
//! text_stream` runs one workload). The `like-for-like` profile is `bench`
//! with fat LTO and one codegen unit, so every crate in the process (not the
//! precompiled `std`) gets the same optimisation and the same CPU features.
//! At the end the bench prints the table (MB/s = 10⁶ bytes of SSE input per
//! second, criterion's median) with the ratios, from the estimates this run
//! wrote. At startup it prints which SIMD paths sonic-rs and simd-json run:
//! without AVX2 enabled at compile time sonic-rs silently takes its
//! portable fallback, and the comparison is not like for like.
//!
//! Workloads, each at three read sizes (4 KiB; one SSE event per read, cut
//! right after each event's blank line; 64 B):
//!
//! - `text_stream`: one-token content deltas shaped like the built-in sample
//!   (200,000, or `STREAMFOLD_BENCH_EVENTS`);
//! - `tool_stream`: four tool calls in 1–7 byte argument fragments, as many
//!   bytes as `text_stream`;
//! - `corpus`: every `.sse` stream of `$STREAMFOLD_SHARED/corpus/openai-chat`
//!   (default `../shared` beside the crate) that every entry folds, each
//!   folded on its own; skipped, with a note, when the folder is missing.
//!
//! One criterion group per workload × read size (`text_stream_64B`, …), so
//! the entries of a ratio run back to back and machine noise hits them
//! alike. Each stream is held in one `Bytes`; its reads are `Bytes` slices of
//! it, made before measuring. Every entry gets those same reads and checks
//! its result inside the measured closure:
//!
//! - `streamfold_sync`: the sync facade, each read pushed, every event
//!   taken, then the final completion;
//! - `streamfold_async`: the async adapter over a `futures::stream::iter` of
//!   the reads (one `Bytes` each, a reference-count increment, no copy),
//!   driven by `futures::executor::block_on`;
//! - `eventsource_serde_async_openai`: eventsource-stream over the same
//!   `Bytes` stream, serde_json into async-openai's owned types;
//! - `sonic_rs_borrowed`, `simd_json_borrowed`: a memchr SSE splitter with
//!   carry-over across reads, sonic-rs / simd-json into borrowed typed
//!   structs, content and tool arguments appended (`peers/`);
//! - floors, which do less than any fold: `floor_simd_json_tape` (simd-json's
//!   tape over the payloads alone, located before measuring) and
//!   `floor_memchr_newlines` (newlines counted in the same reads).
//!
//! streamfold does more than its peers here: it validates every field,
//! yields events and builds the whole completion (ids, names, roles,
//! unknown fields), where the peers keep only what the check compares.
//!
//! Wall-clock figures on a shared 2-core machine move by ±15% from run to
//! run; for before/after comparisons of streamfold alone,
//! `benches/callgrind.sh` counts instructions per SSE event on the push path
//! at the same read sizes, and `cargo test --test alloc -- --nocapture`
//! prints the async adapter's allocations per event.

use std::convert::Infallible;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput};
use futures::StreamExt;

#[path = "peers/mod.rs"]
mod peers;
#[path = "synthetic.rs"]
mod synthetic;
#[path = "workload/mod.rs"]
mod workload;

use peers::simd_tape::TapeParser;
use peers::Folded;
use workload::expect::Expect;
use workload::reads::ReadSize;
use workload::Stream;

// ---------------------------------------------------------------------------
// The entries

/// streamfold's sync facade, as a user runs it: each read pushed, every
/// event taken (and looked at), then the final completion.
fn streamfold_sync(reads: &[Bytes]) -> Result<Folded, String> {
    let mut fold = streamfold::Fold::new();
    for read in reads {
        for event in fold.push(read) {
            black_box(event.map_err(|e| e.to_string())?);
        }
    }
    let events = fold.events_dispatched() as usize;
    let done = fold.finish().map_err(|e| e.to_string())?;
    workload::folded_of(done, events)
}

/// streamfold's async adapter over a stream of the reads, every event taken
/// (and looked at), then the final completion.
fn streamfold_async(reads: &[Bytes]) -> Result<Folded, String> {
    use streamfold::FoldStreamExt;
    let body = futures::stream::iter(reads.iter().cloned().map(Ok::<_, Infallible>));
    futures::executor::block_on(async {
        let mut events = body.fold_stream();
        while let Some(event) = events.next().await {
            black_box(event.map_err(|e| e.to_string())?);
        }
        let sse_events = events.as_fold().events_dispatched() as usize;
        let done = events.finish().map_err(|e| e.to_string())?;
        workload::folded_of(done, sse_events)
    })
}

/// The pipelines: every one folds a stream's reads in full.
struct Pipeline {
    name: &'static str,
    run: fn(&[Bytes]) -> Result<Folded, String>,
}

const PIPELINES: [Pipeline; 5] = [
    Pipeline {
        name: "streamfold_sync",
        run: streamfold_sync,
    },
    Pipeline {
        name: "streamfold_async",
        run: streamfold_async,
    },
    Pipeline {
        name: "eventsource_serde_async_openai",
        run: |reads| peers::eventsource_openai::fold_bytes(reads.iter().cloned()),
    },
    Pipeline {
        name: "sonic_rs_borrowed",
        run: |reads| peers::sonic_borrowed::fold(reads.iter().map(|r| &r[..])),
    },
    Pipeline {
        name: "simd_json_borrowed",
        run: |reads| peers::simd_borrowed::fold(reads.iter().map(|r| &r[..])),
    },
];

const FLOOR_TAPE: &str = "floor_simd_json_tape";
const FLOOR_MEMCHR: &str = "floor_memchr_newlines";

/// Every entry, in table order.
fn entry_names() -> impl Iterator<Item = &'static str> {
    PIPELINES
        .iter()
        .map(|p| p.name)
        .chain([FLOOR_TAPE, FLOOR_MEMCHR])
}

// ---------------------------------------------------------------------------
// Streams cut into reads

/// One stream and its reads at one read size.
struct Cut<'a> {
    stream: &'a Stream,
    reads: Vec<Bytes>,
}

impl<'a> Cut<'a> {
    fn new(stream: &'a Stream, size: ReadSize) -> Cut<'a> {
        let whole = Bytes::copy_from_slice(&stream.bytes);
        let reads = size
            .cut(&stream.bytes)
            .into_iter()
            .map(|r| whole.slice(r))
            .collect();
        Cut { stream, reads }
    }

    /// Runs `p` once and compares its result with the expectation in full.
    fn verify(&self, p: &Pipeline) -> Result<(), String> {
        let folded = (p.run)(&self.reads).map_err(|e| format!("{}: {e}", p.name))?;
        if Expect::got(folded) != self.stream.expect {
            return Err(format!("{}: result differs", p.name));
        }
        Ok(())
    }
}

fn cut_all(streams: &[Stream], size: ReadSize) -> Vec<Cut<'_>> {
    streams.iter().map(|s| Cut::new(s, size)).collect()
}

/// Indices of the streams some pipeline gets wrong at some read size, with
/// the reasons.
fn failures(streams: &[Stream]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for size in ReadSize::ALL {
        for (i, cut) in cut_all(streams, size).iter().enumerate() {
            for p in &PIPELINES {
                if let Err(why) = cut.verify(p) {
                    out.push((i, format!("{} ({}): {why}", cut.stream.name, size.label())));
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Groups

/// One measured group, for the table.
struct Measured {
    workload: &'static str,
    size: ReadSize,
    bytes: u64,
}

impl Measured {
    fn group(&self) -> String {
        format!("{}_{}", self.workload, self.size.label())
    }
}

/// The slowest entry (eventsource-stream at 64-byte reads) takes about a
/// second per iteration on the synthetic streams: flat sampling with
/// criterion's minimum of 10 samples and 5 s of measurement keeps a group to
/// about a minute on 2 cores.
fn configure(group: &mut BenchmarkGroup<'_, WallTime>, bytes: u64) {
    group
        .throughput(Throughput::Bytes(bytes))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
}

/// Measures every entry on `streams` at `size`, in one group.
fn bench_group(
    c: &mut Criterion,
    workload: &'static str,
    streams: &[Stream],
    size: ReadSize,
) -> Measured {
    let cuts = cut_all(streams, size);
    for cut in &cuts {
        for p in &PIPELINES {
            if let Err(why) = cut.verify(p) {
                panic!("{workload} ({}): {}: {why}", size.label(), cut.stream.name);
            }
        }
    }
    let measured = Measured {
        workload,
        size,
        bytes: streams.iter().map(|s| s.bytes.len() as u64).sum(),
    };
    let reads: usize = cuts.iter().map(|c| c.reads.len()).sum();
    println!(
        "note: {}: {} streams, {} bytes, {reads} reads of {:.0} bytes on average",
        measured.group(),
        streams.len(),
        measured.bytes,
        measured.bytes as f64 / reads as f64
    );
    let mut group = c.benchmark_group(measured.group());
    configure(&mut group, measured.bytes);
    for p in &PIPELINES {
        group.bench_function(BenchmarkId::from_parameter(p.name), |b| {
            b.iter(|| {
                for cut in &cuts {
                    let folded = (p.run)(black_box(&cut.reads)).unwrap();
                    cut.stream.expect.check(&folded);
                }
            })
        });
    }
    group.bench_function(BenchmarkId::from_parameter(FLOOR_TAPE), |b| {
        let mut parser = TapeParser::default();
        b.iter(|| {
            for s in streams {
                let nodes = parser.parse(black_box(&s.bytes), &s.payloads).unwrap();
                assert_eq!(nodes, s.tape_nodes);
            }
        })
    });
    group.bench_function(BenchmarkId::from_parameter(FLOOR_MEMCHR), |b| {
        b.iter(|| {
            for cut in &cuts {
                let reads = black_box(&cut.reads).iter().map(|r| &r[..]);
                assert_eq!(peers::memchr_lines::count(reads), cut.stream.newlines);
            }
        })
    });
    group.finish();
    measured
}

fn bench_all(c: &mut Criterion) -> Vec<Measured> {
    let mut measured = Vec::new();
    for (name, stream) in [
        ("text_stream", workload::text_stream()),
        ("tool_stream", workload::tool_stream()),
    ] {
        let streams = [stream];
        for size in ReadSize::ALL {
            measured.push(bench_group(c, name, &streams, size));
        }
    }
    if let Some(mut streams) = workload::corpus::load() {
        // Keep the streams every pipeline folds at every read size:
        // async-openai's types reject some providers' chunks.
        let (bad, reasons): (Vec<usize>, Vec<String>) = failures(&streams).into_iter().unzip();
        workload::corpus::leave_out(&mut streams, &bad, &reasons);
        for size in ReadSize::ALL {
            measured.push(bench_group(c, "corpus", &streams, size));
        }
    }
    measured
}

// ---------------------------------------------------------------------------
// Build report and results table

/// Says which SIMD paths the parsers run, and warns when the build is not
/// like for like.
fn print_build() {
    let on = |yes: bool| if yes { "on" } else { "off" };
    println!(
        "build: target features (compile time, every crate but std): avx2 {}, bmi2 {}, \
         pclmulqdq {}, sse4.2 {}; debug assertions {}",
        on(cfg!(target_feature = "avx2")),
        on(cfg!(target_feature = "bmi2")),
        on(cfg!(target_feature = "pclmulqdq")),
        on(cfg!(target_feature = "sse4.2")),
        on(cfg!(debug_assertions)),
    );
    // sonic-rs picks its implementation at compile time: its x86-64 parser
    // (`util/arch`) needs avx2 and pclmulqdq, its 32-byte vectors
    // (sonic-simd) avx2; otherwise both fall back to portable code.
    let sonic = if cfg!(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "pclmulqdq"
    )) {
        "AVX2 + PCLMULQDQ (x86-64 SIMD path)"
    } else {
        "portable fallback (no avx2/pclmulqdq at compile time)"
    };
    println!("build: sonic-rs: {sonic}");
    // simd-json detects at run time and reports what it selected.
    println!(
        "build: simd-json: {} (run-time detection)",
        simd_json::Deserializer::algorithm()
    );
    #[cfg(target_arch = "x86_64")]
    println!(
        "build: CPU: avx2 {}, bmi2 {}, pclmulqdq {} (memchr detects at run time)",
        on(std::is_x86_feature_detected!("avx2")),
        on(std::is_x86_feature_detected!("bmi2")),
        on(std::is_x86_feature_detected!("pclmulqdq")),
    );
    if !cfg!(target_feature = "avx2") {
        println!(
            "warning: not like for like: built without avx2, sonic-rs runs its portable \
             fallback; run benches/like-for-like.sh"
        );
    }
}

/// Where criterion writes (and this bench reads) the estimates: as
/// criterion would choose, but without asking `cargo metadata`.
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("criterion")
}

/// The median time per iteration, in ns, of a benchmark this run measured
/// (estimates written since `since`).
fn median_ns(dir: &Path, group: &str, entry: &str, since: SystemTime) -> Option<f64> {
    let path = dir.join(group).join(entry).join("new/estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < since {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

/// Prints the MB/s of every entry of every group measured in this run, and
/// streamfold's ratios to eventsource-stream and sonic-rs, as a Markdown
/// table.
fn print_table(dir: &Path, measured: &[Measured], since: SystemTime) {
    let names: Vec<&str> = entry_names().collect();
    let ratios = [
        ("streamfold_sync", "eventsource_serde_async_openai"),
        ("streamfold_sync", "sonic_rs_borrowed"),
        ("streamfold_async", "eventsource_serde_async_openai"),
        ("streamfold_async", "sonic_rs_borrowed"),
    ];
    let mut rows = Vec::new();
    for m in measured {
        let mbs: Vec<Option<f64>> = names
            .iter()
            .map(|e| median_ns(dir, &m.group(), e, since).map(|ns| m.bytes as f64 * 1e3 / ns))
            .collect();
        if mbs.iter().all(Option::is_none) {
            continue;
        }
        let of = |name: &str| mbs[names.iter().position(|n| *n == name).unwrap()];
        let mut row = format!("| {} | {} |", m.workload, m.size.label());
        for v in &mbs {
            row += &match v {
                Some(v) => format!(" {v:.0} |"),
                None => " – |".to_owned(),
            };
        }
        for (a, b) in ratios {
            row += &match (of(a), of(b)) {
                (Some(a), Some(b)) => format!(" {:.2} |", a / b),
                _ => " – |".to_owned(),
            };
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return;
    }
    println!("\nMB/s (10⁶ bytes of SSE input per second, criterion's median), this run:\n");
    let mut head = "| workload | read |".to_owned();
    for n in &names {
        head += &format!(" {n} |");
    }
    for (a, b) in ratios {
        let short = |s: &str| s.split('_').take(2).collect::<Vec<_>>().join("_");
        head += &format!(" {} / {} |", short(a), short(b));
    }
    println!("{head}");
    println!(
        "|{}",
        " --- |".repeat(2) + &" ---: |".repeat(names.len() + ratios.len())
    );
    for row in rows {
        println!("{row}");
    }
}

fn main() {
    print_build();
    let dir = criterion_dir();
    let mut c = Criterion::default()
        .output_directory(&dir)
        .configure_from_args();
    let since = SystemTime::now();
    let measured = bench_all(&mut c);
    c.final_summary();
    print_table(&dir, &measured, since);
}
