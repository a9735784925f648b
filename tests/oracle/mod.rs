//! Oracles shared by the property tests (`tests/properties.rs`) and the fuzz
//! targets (`fuzz/`, which include this folder by path): a naive SSE parser
//! written from the spec, a recorder of everything `sse::Parser` produces, a
//! generator of chunk streams driven by `arbitrary`, and the fold's
//! invariants.
#![allow(dead_code)]

pub mod check;
pub mod formats;
pub mod gen;
pub mod naive_sse;
pub mod partial_json;
pub mod targets;

use streamfold::sse::{Item, Parser};
use streamfold::{Error, Limits};

use crate::support::{chat, fold_using};

/// One result of the SSE parser, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseRecord {
    Event {
        event: String,
        data: String,
        id: String,
        index: u64,
        /// `stream_offset` of the start of the data, of the start of each
        /// later data line, and of the end of the data.
        offsets: Vec<u64>,
    },
    Retry(u64),
    /// The error that stopped the parser: (kind, offset, event index).
    Error(String, u64, u64),
    End {
        last_event_id: String,
        retry_ms: Option<u64>,
        truncated_event: bool,
    },
}

fn error_record(e: &Error) -> SseRecord {
    SseRecord::Error(format!("{:?}", e.kind()), e.offset(), e.event_index())
}

/// Feeds `pieces` to a parser with the given limits and records every item,
/// the error that stopped it (nothing is fed after one), or its end.
///
/// Also checks the parser's own contract: a call returning `None` consumed
/// its whole input, and an item consumed at least one byte.
pub fn sse_record<'a>(
    pieces: impl IntoIterator<Item = &'a [u8]>,
    max_event_bytes: usize,
    max_line_bytes: usize,
) -> Vec<SseRecord> {
    let mut parser = Parser::with_limits(
        streamfold::Limits::default()
            .max_event_bytes(max_event_bytes)
            .max_line_bytes(max_line_bytes),
    );
    let mut out = Vec::new();
    for piece in pieces {
        let mut rest = piece;
        loop {
            let before = rest.len();
            match parser.next(&mut rest) {
                Ok(Some(item)) => {
                    assert!(rest.len() < before, "an item consumed no input");
                    out.push(match item {
                        Item::Event(ev) => {
                            let mut offsets = vec![ev.stream_offset(0)];
                            for (i, b) in ev.data.bytes().enumerate() {
                                if b == b'\n' {
                                    offsets.push(ev.stream_offset(i + 1));
                                }
                            }
                            offsets.push(ev.stream_offset(ev.data.len()));
                            SseRecord::Event {
                                event: ev.event.to_string(),
                                data: ev.data.to_string(),
                                id: ev.id.to_string(),
                                index: ev.index,
                                offsets,
                            }
                        }
                        Item::Retry(ms) => SseRecord::Retry(ms),
                    })
                }
                Ok(None) => {
                    assert!(rest.is_empty(), "a call returning None left input");
                    break;
                }
                Err(e) => {
                    out.push(error_record(&e));
                    return out;
                }
            }
        }
    }
    let end = parser.finish();
    out.push(SseRecord::End {
        last_event_id: end.last_event_id.to_string(),
        retry_ms: end.retry_ms,
        truncated_event: end.truncated_event,
    });
    out
}

/// Cuts `bytes` at the given offsets (taken modulo `len + 1`, sorted).
pub fn cut_at<'a>(bytes: &'a [u8], offsets: &[usize]) -> Vec<&'a [u8]> {
    let mut at: Vec<usize> = offsets.iter().map(|o| o % (bytes.len() + 1)).collect();
    at.sort_unstable();
    let mut out = Vec::with_capacity(at.len() + 1);
    let mut prev = 0;
    for o in at {
        out.push(&bytes[prev..o]);
        prev = o;
    }
    out.push(&bytes[prev..]);
    out
}

/// Checks the records of the parser on `input` (with limits it cannot
/// reach) against the naive reference.
pub fn assert_matches_naive(input: &[u8], records: &[SseRecord]) {
    let naive = naive_sse::parse(input);
    let mut events = Vec::new();
    let mut retries = Vec::new();
    let mut end = None;
    for r in records {
        match r {
            SseRecord::Event {
                event,
                data,
                id,
                index,
                ..
            } => {
                assert_eq!(*index as usize, events.len(), "event indices count up");
                events.push(naive_sse::NaiveEvent {
                    event: event.clone(),
                    data: data.clone(),
                    id: id.clone(),
                });
            }
            SseRecord::Retry(ms) => retries.push(*ms),
            SseRecord::Error(..) => panic!("no limit can be reached here: {r:?}"),
            SseRecord::End {
                last_event_id,
                retry_ms,
                truncated_event,
            } => end = Some((last_event_id.clone(), *retry_ms, *truncated_event)),
        }
    }
    assert_eq!(events, naive.events, "events differ from the naive parser");
    assert_eq!(retries, naive.retries, "retry values differ");
    assert_eq!(
        end,
        Some((naive.last_event_id, naive.retry_ms, naive.truncated_event)),
        "end of stream differs (last event id, retry, truncated)"
    );
}

/// Differential against serde_json: `payload` (CR and LF replaced by
/// spaces) as the data of one event. The fold must report a JSON error
/// exactly when serde_json rejects the payload (decoded as the SSE layer
/// does, invalid UTF-8 replaced), except for `[DONE]` and blank data, which
/// are no JSON; on depth, where the limits differ, a depth limit error may
/// stand for the JSON error; and on numbers serde_json cannot hold.
pub fn json_differential(payload: &[u8]) {
    let payload: Vec<u8> = payload
        .iter()
        .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b })
        .collect();
    let body = [&b"data: "[..], &payload, b"\n\n"].concat();
    let out = fold_using(&body, &[body.len()], chat(Limits::default()));
    let kind = out.error.as_ref().map_or("", |e| e.0.as_str());
    let text = String::from_utf8_lossy(&payload);
    if text == "[DONE]" {
        assert_eq!(out.error, None, "[DONE] completes the stream");
        return;
    }
    if text.bytes().all(|b| matches!(b, b' ' | b'\t')) {
        assert!(
            kind.starts_with("Truncated"),
            "blank data is skipped: {kind}"
        );
        return;
    }
    match serde_json::from_str::<serde_json::Value>(&text) {
        Err(e) if e.to_string().contains("number out of range") => {}
        Err(e) if e.to_string().contains("recursion limit") => assert!(
            kind.starts_with("Json") || kind.starts_with("Limit { limit: Depth"),
            "serde_json: {e}; streamfold: {kind:?}"
        ),
        Err(e) => assert!(
            kind.starts_with("Json"),
            "serde_json rejects {text:?} ({e}); streamfold: {kind:?}"
        ),
        Ok(_) => assert!(
            !kind.starts_with("Json"),
            "serde_json accepts {text:?}; streamfold: {kind:?}"
        ),
    }
}
