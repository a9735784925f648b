//! Throughput of each wire format's reassembly, streamfold beside a peer
//! that does the same job the way Rust clients do it, measured in the same
//! run so the report reads as ratios. `Throughput::Bytes` is the length of
//! the SSE bytes; every benchmark checks its result inside the measured
//! closure (and in full once before measuring). One function per format.
//!
//! - `gemini_corpus`: every stream of `$STREAMFOLD_SHARED/corpus/gemini-sse`
//!   (default `../shared` beside the crate; the project's selection in
//!   `tests/data/` when that is missing), each folded on its own, 4 KiB reads.
//! - `gemini_text`: a synthetic Gemini API stream of 20,000 text chunks
//!   (spaced JSON, CRLF, `usageMetadata` on every chunk), 4 KiB reads.
//! - `gemini_streamed_args`: a synthetic Vertex stream of one call whose
//!   arguments arrive as 20,000 `partialArgs` pieces (nested paths, arrays),
//!   4 KiB reads.
//!
//! Peers: streamfold's sync facade (every event taken, then the final
//! response), `gemini_serde` (the memchr SSE splitter + serde_json into
//! Gemini's types + the same merge into one response, `peers/gemini_serde.rs`;
//! before measuring, its final object must equal streamfold's on every
//! stream), and the floor `memchr_newlines` (counting line ends).
//!
//! `cargo bench --bench formats` (a filter runs a part:
//! `cargo bench --bench formats -- gemini`).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};

#[path = "peers/gemini_serde.rs"]
mod gemini_serde;
#[path = "peers/memchr_lines.rs"]
mod memchr_lines;
#[path = "peers/splitter.rs"]
mod splitter;

/// Network read size.
const READ: usize = 4096;

fn configure(group: &mut BenchmarkGroup<'_, WallTime>, bytes: u64) {
    group
        .throughput(Throughput::Bytes(bytes))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
}

fn shared_dir() -> PathBuf {
    match std::env::var_os("STREAMFOLD_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    }
}

/// The `.sse` files of a folder, sorted.
fn sse_files(dir: &std::path::Path) -> Option<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .map(|e| e.expect("folder entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sse"))
        .collect();
    paths.sort();
    Some(paths)
}

// ---------------------------------------------------------------------------
// Gemini

/// streamfold, as a user runs it: the sync facade fed each read, every
/// event taken, then the final response.
fn streamfold_gemini(chunks: std::slice::Chunks<'_, u8>) -> (streamfold::gemini::Response, usize) {
    let mut fold = streamfold::Fold::new();
    for read in chunks {
        for event in fold.push(read) {
            black_box(event.unwrap());
        }
    }
    let events = fold.events_dispatched() as usize;
    let response = fold.finish().unwrap().into_gemini().unwrap();
    (response, events)
}

/// What both must give, cheap to compare inside the measured loop: the
/// first candidate's text (length and edges), its parts, its calls' names,
/// its finish reason, the usage total, the SSE events.
#[derive(Debug, PartialEq)]
struct Check {
    text: (usize, String, String),
    parts: usize,
    names: Vec<String>,
    finish_reason: Option<String>,
    total_tokens: Option<u64>,
    events: usize,
}

fn edges(s: &str) -> (usize, String, String) {
    let head: String = s.chars().take(32).collect();
    let mut tail: Vec<char> = s.chars().rev().take(32).collect();
    tail.reverse();
    (s.len(), head, tail.into_iter().collect())
}

impl Check {
    fn ours(r: &streamfold::gemini::Response, events: usize) -> Check {
        let c = r.candidates().next();
        Check {
            text: edges(&r.text()),
            parts: c.map_or(0, |c| c.parts().count()),
            names: c
                .map(|c| {
                    c.function_calls()
                        .map(|f| f.name().unwrap_or("").to_owned())
                        .collect()
                })
                .unwrap_or_default(),
            finish_reason: c.and_then(|c| c.finish_reason()).map(str::to_owned),
            total_tokens: r
                .usage_metadata()
                .and_then(|u| u.get("totalTokenCount"))
                .and_then(|v| v.as_u64()),
            events,
        }
    }

    fn peer(v: &serde_json::Value, events: usize) -> Check {
        let c = &v["candidates"][0];
        let empty = Vec::new();
        let parts = c["content"]["parts"].as_array().unwrap_or(&empty);
        let text: String = parts
            .iter()
            .filter(|p| p["thought"] != serde_json::Value::Bool(true))
            .filter_map(|p| p["text"].as_str())
            .collect();
        Check {
            text: edges(&text),
            parts: parts.len(),
            names: parts
                .iter()
                .filter_map(|p| p.get("functionCall"))
                .map(|f| f["name"].as_str().unwrap_or("").to_owned())
                .collect(),
            finish_reason: c["finishReason"].as_str().map(str::to_owned),
            total_tokens: v["usageMetadata"]["totalTokenCount"].as_u64(),
            events,
        }
    }
}

struct GeminiStream {
    name: String,
    bytes: Vec<u8>,
    check: Check,
    newlines: usize,
}

/// Drops nulls at any depth (null = absent).
fn strip_nulls(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value::*;
    match v {
        Object(m) => Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Array(a) => Array(a.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

/// Checks that the peer's final object is streamfold's, in full, then keeps
/// what the measured loops compare.
fn gemini_stream(name: String, bytes: Vec<u8>) -> GeminiStream {
    let (ours, events) = streamfold_gemini(bytes.chunks(READ));
    let (peer, peer_events) = gemini_serde::fold(bytes.chunks(READ))
        .unwrap_or_else(|e| panic!("{name}: the peer fails: {e}"));
    let ours_json = serde_json::to_value(&ours).unwrap();
    assert!(
        strip_nulls(&peer) == strip_nulls(&ours_json),
        "{name}: the peer and streamfold disagree:\n{peer}\n{ours_json}"
    );
    let check = Check::ours(&ours, events);
    assert_eq!(Check::peer(&peer, peer_events), check, "{name}");
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
    GeminiStream {
        name,
        check,
        bytes,
        newlines,
    }
}

fn gemini_group(c: &mut Criterion, group_name: &str, streams: &[GeminiStream]) {
    let bytes: u64 = streams.iter().map(|s| s.bytes.len() as u64).sum();
    let mut group = c.benchmark_group(group_name);
    configure(&mut group, bytes);
    group.bench_function(BenchmarkId::from_parameter("streamfold"), |b| {
        b.iter(|| {
            for s in streams {
                let (r, events) = streamfold_gemini(black_box(&s.bytes[..]).chunks(READ));
                assert_eq!(Check::ours(&r, events), s.check, "{}", s.name);
            }
        })
    });
    group.bench_function(BenchmarkId::from_parameter("gemini_serde"), |b| {
        b.iter(|| {
            for s in streams {
                let (v, events) = gemini_serde::fold(black_box(&s.bytes[..]).chunks(READ)).unwrap();
                assert_eq!(Check::peer(&v, events), s.check, "{}", s.name);
            }
        })
    });
    group.bench_function(BenchmarkId::from_parameter("floor_memchr_newlines"), |b| {
        b.iter(|| {
            for s in streams {
                let n = memchr_lines::count(black_box(&s.bytes[..]).chunks(READ));
                assert_eq!(n, s.newlines);
            }
        })
    });
    group.finish();
}

/// A Gemini API text stream: `chunks` text parts of a few words, spaced JSON
/// and CRLF as the API sends them, usage on every chunk, the finish reason
/// (and an empty signed text part) on the last.
fn gemini_text_stream(chunks: usize) -> Vec<u8> {
    let words = [
        "The ",
        "capital ",
        "of ",
        "France ",
        "is ",
        "Paris, ",
        "a city ",
        "of light. ",
    ];
    let mut out = Vec::new();
    for i in 0..chunks {
        let text = format!(
            "{}{}",
            words[i % words.len()],
            words[(i * 7 + 3) % words.len()]
        );
        let last = i + 1 == chunks;
        let finish = if last {
            ", \"finishReason\": \"STOP\""
        } else {
            ""
        };
        let extra = if last {
            ", {\"text\": \"\", \"thoughtSignature\": \"c2lnbmF0dXJl\"}"
        } else {
            ""
        };
        out.extend_from_slice(
            format!(
                "data: {{\"candidates\": [{{\"content\": {{\"parts\": [{{\"text\": \"{text}\"}}{extra}], \
                 \"role\": \"model\"}}{finish}, \"index\": 0}}], \"usageMetadata\": {{\"promptTokenCount\": 12, \
                 \"candidatesTokenCount\": {}, \"totalTokenCount\": {}, \"promptTokensDetails\": \
                 [{{\"modality\": \"TEXT\", \"tokenCount\": 12}}]}}, \"modelVersion\": \"gemini-2.5-flash\", \
                 \"responseId\": \"11peaI_ZJLq3nvgP0vasuQk\"}}\r\n\r\n",
                i + 1,
                i + 13
            )
            .as_bytes(),
        );
    }
    out
}

/// A Vertex stream of one call whose arguments come as `pieces` partialArgs
/// pieces: an array of objects with two string members each, every string
/// in two pieces and an empty closing one, compact JSON, CRLF.
fn gemini_streamed_args_stream(pieces: usize) -> Vec<u8> {
    let envelope = |parts: &str, finish: &str| {
        format!(
            "data: {{\"candidates\":[{{\"content\":{{\"role\":\"model\",\"parts\":[{parts}]}}{finish}}}],\
             \"usageMetadata\":{{\"trafficType\":\"ON_DEMAND\"}},\"modelVersion\":\"gemini-3.1-pro-preview\",\
             \"createTime\":\"2026-04-02T17:03:50.399550Z\",\"responseId\":\"dqHOab6xGLzWodAPkPuViA4\"}}\r\n\r\n"
        )
    };
    let mut out = envelope(
        r#"{"functionCall":{"name":"cookRecipe","willContinue":true}}"#,
        "",
    );
    let mut i = 0;
    while i < pieces {
        let item = i / 6;
        let key = if (i / 3) % 2 == 0 { "amount" } else { "name" };
        let value = match i % 3 {
            0 => "Ricotta ",
            1 => "cheese",
            _ => "",
        };
        let more = if i % 3 < 2 {
            r#","willContinue":true"#
        } else {
            ""
        };
        let piece = format!(
            r#"{{"functionCall":{{"partialArgs":[{{"jsonPath":"$.recipe.ingredients[{item}].{key}","stringValue":"{value}"{more}}}],"willContinue":true}}}}"#
        );
        out.push_str(&envelope(&piece, ""));
        i += 1;
    }
    out.push_str(&envelope(
        r#"{"functionCall":{}}"#,
        r#","finishReason":"STOP""#,
    ));
    out.into_bytes()
}

fn gemini(c: &mut Criterion) {
    let shared = shared_dir().join("corpus/gemini-sse");
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus/gemini-sse");
    let paths = sse_files(&shared)
        .filter(|p| !p.is_empty())
        .or_else(|| sse_files(&local))
        .expect("the Gemini corpus");
    let corpus: Vec<GeminiStream> = paths
        .iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            gemini_stream(name, std::fs::read(p).unwrap())
        })
        .collect();
    println!("gemini_corpus: {} streams", corpus.len());
    gemini_group(c, "gemini_corpus", &corpus);
    let text = [gemini_stream(
        "gemini_text".into(),
        gemini_text_stream(20_000),
    )];
    gemini_group(c, "gemini_text", &text);
    let args = [gemini_stream(
        "gemini_streamed_args".into(),
        gemini_streamed_args_stream(20_000),
    )];
    gemini_group(c, "gemini_streamed_args", &args);
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = gemini
}
criterion_main!(benches);
