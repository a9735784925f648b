//! The `openai_responses` group.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};

use super::corpus::{corpus, streams, READ};
use super::peers::responses_serde::{self, ResponsesFolded};

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

pub fn openai_responses(c: &mut Criterion) {
    let (dir, _) = corpus("openai-responses");
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
