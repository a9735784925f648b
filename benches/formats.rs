//! Throughput of each wire format's reassembly, streamfold beside the peer
//! a Rust user of that format would write, in the same run (the report
//! reads as ratios). One group per format, each in its own function;
//! `Throughput::Bytes` is the length of the SSE bytes; every benchmark
//! checks its result inside the measured closure, and every peer is checked
//! in full against streamfold before measuring.
//!
//! - `anthropic_messages`: every `.sse` stream of
//!   `$STREAMFOLD_SHARED/corpus/anthropic-messages` (default `../shared`
//!   beside the crate; the project's selection in `tests/data` when that is
//!   missing), each folded on its own in 4 KiB reads: streamfold's facade
//!   (every event taken, then the final message) vs SSE split by memchr +
//!   serde_json into Anthropic's stream-event types + a minimal fold
//!   (`peers/anthropic_serde.rs`).
//!
//! `cargo bench --bench formats` (a criterion filter runs a part:
//! `cargo bench --bench formats -- anthropic`).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

#[path = "peers/mod.rs"]
mod peers;

/// Network read size.
const READ: usize = 4096;

/// The shared corpus folder of a format, or the project's selection.
fn corpus(folder: &str) -> (PathBuf, &'static str) {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = std::env::var_os("STREAMFOLD_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../shared"));
    let dir = shared.join("corpus").join(folder);
    if dir.is_dir() {
        return (dir, "shared corpus");
    }
    (
        manifest.join("tests/data/corpus").join(folder),
        "the project's selection",
    )
}

/// The `.sse` files of a folder, sorted, with their bytes.
fn streams(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
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

fn configure(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    bytes: u64,
) {
    group
        .throughput(Throughput::Bytes(bytes))
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
}

// ---------------------------------------------------------------------------
// anthropic-messages

use peers::anthropic_serde;

/// streamfold, as a user runs it: the facade fed each read, every event
/// taken (and looked at), then the final message, read into the peer's
/// shape.
fn anthropic_streamfold(
    chunks: std::slice::Chunks<'_, u8>,
) -> Result<anthropic_serde::Folded, String> {
    let mut fold = streamfold::Fold::new();
    for read in chunks {
        for event in fold.push(read) {
            black_box(event.map_err(|e| e.to_string())?);
        }
    }
    let message = fold
        .finish()
        .map_err(|e| e.to_string())?
        .into_anthropic()
        .ok_or("not an Anthropic stream")?;
    let tool_inputs = message
        .content()
        .filter(|b| b.kind() == "tool_use")
        .map(|b| {
            b.input().map_or(serde_json::Value::Null, |v| {
                serde_json::Value::from(v.clone())
            })
        })
        .collect();
    let blocks = message.content().len();
    Ok(anthropic_serde::Folded {
        text: message.text(),
        thinking: message.thinking(),
        tool_inputs,
        stop_reason: message.stop_reason().map(str::to_owned),
        output_tokens: message
            .usage()
            .and_then(|u| u.get("output_tokens"))
            .and_then(streamfold::Value::as_u64),
        blocks,
    })
}

/// O(1) agreement (lengths, counts): the full comparison runs once before
/// measuring.
fn same(a: &anthropic_serde::Folded, b: &anthropic_serde::Folded) -> bool {
    a.text.len() == b.text.len()
        && a.thinking.len() == b.thinking.len()
        && a.tool_inputs.len() == b.tool_inputs.len()
        && a.stop_reason == b.stop_reason
        && a.output_tokens == b.output_tokens
        && a.blocks == b.blocks
}

fn anthropic_messages(c: &mut Criterion) {
    let (dir, which) = corpus("anthropic-messages");
    let streams = streams(&dir);
    let bytes: u64 = streams.iter().map(|(_, b)| b.len() as u64).sum();
    eprintln!(
        "anthropic_messages: {} streams, {bytes} bytes ({which}: {})",
        streams.len(),
        dir.display()
    );
    // Both folds agree on every stream, in full, before anything is timed.
    let expected: Vec<anthropic_serde::Folded> = streams
        .iter()
        .map(|(name, b)| {
            let ours =
                anthropic_streamfold(b.chunks(READ)).unwrap_or_else(|e| panic!("{name}: {e}"));
            let peer = anthropic_serde::fold(b.chunks(READ))
                .unwrap_or_else(|e| panic!("{name}: peer: {e}"));
            assert_eq!(ours, peer, "{name}: streamfold and the peer disagree");
            ours
        })
        .collect();
    let mut group = c.benchmark_group("anthropic_messages");
    configure(&mut group, bytes);
    group.bench_function(BenchmarkId::from_parameter("streamfold"), |b| {
        b.iter(|| {
            for ((_, s), want) in streams.iter().zip(&expected) {
                let got = anthropic_streamfold(black_box(&s[..]).chunks(READ)).unwrap();
                assert!(same(&got, want));
            }
        })
    });
    group.bench_function(
        BenchmarkId::from_parameter("memchr_serde_json_types"),
        |b| {
            b.iter(|| {
                for ((_, s), want) in streams.iter().zip(&expected) {
                    let got = anthropic_serde::fold(black_box(&s[..]).chunks(READ)).unwrap();
                    assert!(same(&got, want));
                }
            })
        },
    );
    group.finish();
}

criterion_group!(formats, anthropic_messages);
criterion_main!(formats);
