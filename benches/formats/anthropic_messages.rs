//! The `anthropic_messages` group.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};

use super::corpus::{configure, corpus, streams, READ};
use super::peers::anthropic_serde;

// ---------------------------------------------------------------------------
// anthropic-messages

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

pub fn anthropic_messages(c: &mut Criterion) {
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
