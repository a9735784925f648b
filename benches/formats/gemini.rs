//! The `gemini_*` groups: the Gemini corpus (each stream folded on its own),
//! a synthetic Gemini API text stream, a synthetic Vertex stream of streamed
//! `partialArgs`; streamfold's facade vs `peers::gemini_serde` (whose final
//! object must equal streamfold's on every stream before measuring) and the
//! memchr newline floor.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};

use super::corpus::{corpus, streams, READ};
use super::peers;
use super::synthetic::configure_flat as configure;

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
    let (peer, peer_events) = peers::gemini_serde::fold(bytes.chunks(READ))
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
                let (v, events) =
                    peers::gemini_serde::fold(black_box(&s.bytes[..]).chunks(READ)).unwrap();
                assert_eq!(Check::peer(&v, events), s.check, "{}", s.name);
            }
        })
    });
    group.bench_function(BenchmarkId::from_parameter("floor_memchr_newlines"), |b| {
        b.iter(|| {
            for s in streams {
                let n = peers::memchr_lines::count(black_box(&s.bytes[..]).chunks(READ));
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

pub fn gemini(c: &mut Criterion) {
    let (dir, source) = corpus("gemini-sse");
    let corpus: Vec<GeminiStream> = streams(&dir)
        .into_iter()
        .map(|(name, bytes)| gemini_stream(name, bytes))
        .collect();
    println!("gemini_corpus: {} streams ({source})", corpus.len());
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
