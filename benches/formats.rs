//! Throughput of each wire format's fold over its recorded streams, side by
//! side with the pipeline a Rust user would write for that format, in the
//! same run so the report reads as ratios. One group per format, each in its
//! own function; `Throughput::Bytes` is the length of the SSE bytes; every
//! benchmark checks its result inside the measured closure (full
//! comparisons with the expectation are made once, before measuring).
//!
//! - `openai_responses`: every stream of `corpus/openai-responses` that ends
//!   with `response.completed` (from `$STREAMFOLD_SHARED`, else `../shared`
//!   beside the crate, else the selection in `tests/data/`), each folded on
//!   its own in 4 KiB reads: streamfold (the sync facade, every event taken,
//!   then the final `Response`) vs `peers::responses_serde` (memchr SSE
//!   splitter + serde_json into the Responses event types + a minimal
//!   accumulation, no events, no final object). The expectation is read
//!   from each stream's terminal event with serde_json.
//!
//! `cargo bench --bench formats`; a criterion filter runs one group
//! (`cargo bench --bench formats -- openai_responses`).

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

#[path = "peers/mod.rs"]
mod peers;

use peers::responses_serde::{self, ResponsesFolded};

/// Network read size.
const READ: usize = 4096;

/// The corpus folder `name`: in `$STREAMFOLD_SHARED`, else `../shared`
/// beside the crate, else the project's selection.
fn corpus_dir(name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = std::env::var_os("STREAMFOLD_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared"));
    let dir = shared.join("corpus").join(name);
    if dir.is_dir() {
        dir
    } else {
        root.join("tests/data/corpus").join(name)
    }
}

/// The `.sse` streams of a folder, by name.
fn streams(dir: &Path) -> Vec<(String, Vec<u8>)> {
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

// ---------------------------------------------------------------------------
// openai-responses

/// The expectation of a Responses stream, from its `response.completed`
/// read with serde_json; `None` for streams without one.
fn responses_expect(bytes: &[u8]) -> Option<ResponsesFolded> {
    let text = std::str::from_utf8(bytes).ok()?;
    let response = text.lines().find_map(|line| {
        let data = line.strip_prefix("data:")?.trim_start();
        let v: serde_json::Value = serde_json::from_str(data).ok()?;
        (v["type"] == "response.completed").then(|| v["response"].clone())
    })?;
    let items = response["output"].as_array()?;
    let mut text = String::new();
    let mut arguments = Vec::new();
    for item in items {
        match item["type"].as_str() {
            Some("message") => {
                for part in item["content"].as_array().into_iter().flatten() {
                    if part["type"] == "output_text" {
                        text.push_str(part["text"].as_str().unwrap_or(""));
                    }
                }
            }
            Some("function_call") => {
                arguments.push(item["arguments"].as_str().unwrap_or("").to_string());
            }
            _ => {}
        }
    }
    Some(ResponsesFolded {
        text,
        arguments,
        status: response["status"].as_str().map(str::to_string),
        total_tokens: response["usage"]["total_tokens"].as_u64(),
    })
}

/// streamfold as a user runs it: each read pushed, every event taken, then
/// the final `Response`.
fn streamfold_responses(bytes: &[u8]) -> Result<ResponsesFolded, String> {
    let mut fold = streamfold::Fold::new();
    for read in bytes.chunks(READ) {
        for event in fold.push(read) {
            black_box(event.map_err(|e| e.to_string())?);
        }
    }
    let done = fold.finish().map_err(|e| e.to_string())?;
    let response = done.into_responses().ok_or("not a Responses stream")?;
    Ok(ResponsesFolded {
        text: response.output_text(),
        arguments: response
            .output()
            .filter(|item| item.kind() == Some("function_call"))
            .map(|item| item.arguments().unwrap_or("").to_string())
            .collect(),
        status: response.status().map(str::to_string),
        total_tokens: response
            .usage()
            .and_then(|u| u.get("total_tokens"))
            .and_then(|v| v.as_u64()),
    })
}

/// A pipeline folding one Responses stream.
type ResponsesPipeline = fn(&[u8]) -> Result<ResponsesFolded, String>;

fn peer_responses(bytes: &[u8]) -> Result<ResponsesFolded, String> {
    responses_serde::fold(bytes.chunks(READ))
}

/// A cheap check of a result inside the measured loop (the full comparison
/// is made once before measuring).
fn same(got: &ResponsesFolded, want: &ResponsesFolded) {
    assert_eq!(got.text.len(), want.text.len(), "text length");
    assert_eq!(got.arguments.len(), want.arguments.len(), "calls");
    assert_eq!(got.status, want.status, "status");
    assert_eq!(got.total_tokens, want.total_tokens, "total_tokens");
}

fn openai_responses(c: &mut Criterion) {
    let dir = corpus_dir("openai-responses");
    let workload: Vec<(String, Vec<u8>, ResponsesFolded)> = streams(&dir)
        .into_iter()
        .filter_map(|(name, bytes)| {
            let expect = responses_expect(&bytes)?;
            Some((name, bytes, expect))
        })
        .collect();
    assert!(!workload.is_empty(), "no streams in {}", dir.display());
    let entries: [(&str, ResponsesPipeline); 2] = [
        ("streamfold", streamfold_responses),
        ("memchr_serde_json_events", peer_responses),
    ];
    for (name, bytes, expect) in &workload {
        for (entry, run) in entries {
            let got = run(bytes).unwrap_or_else(|e| panic!("{name}: {entry}: {e}"));
            assert_eq!(&got, expect, "{name}: {entry}");
        }
    }
    let total: u64 = workload.iter().map(|(_, b, _)| b.len() as u64).sum();
    eprintln!(
        "openai_responses: {} streams, {} bytes, from {}",
        workload.len(),
        total,
        dir.display()
    );
    let mut group = c.benchmark_group("openai_responses");
    group.throughput(Throughput::Bytes(total));
    for (entry, run) in entries {
        group.bench_function(BenchmarkId::from_parameter(entry), |b| {
            b.iter(|| {
                for (_, bytes, expect) in &workload {
                    let got = run(black_box(bytes)).unwrap();
                    same(&got, expect);
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, openai_responses);
criterion_main!(benches);
