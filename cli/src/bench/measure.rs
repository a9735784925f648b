//! One request's figures, from its body's reads and their times: the same
//! code live (`bench`) and offline (`bench report`, `stats` of a
//! recording). The definitions are the library's `timing` module's.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use streamfold::timing::Stopwatch;
use streamfold::{Error, ErrorKind, Limits, Verdict};

use crate::folding::{self, Fold};
use crate::formats::Format;

/// How the body's transport ended, when not whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransportEnd {
    /// `transport` (reset, timeout, connect), `truncated` (closed before
    /// the body's framing ended), `malformed` (broken HTTP framing).
    pub kind: String,
    pub message: String,
}

/// A request's error, as reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowError {
    pub kind: String,
    pub message: String,
    pub status: Option<u16>,
}

/// One request's row of the results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub index: u64,
    pub request_id: Option<String>,
    /// When the request's first byte was written (unix seconds).
    pub start: f64,
    pub queue_ms: f64,
    pub connect_ms: Option<f64>,
    pub status: Option<u16>,
    pub ttfb_ms: Option<f64>,
    pub first_payload_ms: Option<f64>,
    pub ttft_ms: Option<f64>,
    pub ttft_content_ms: Option<f64>,
    pub ttft_reasoning_ms: Option<f64>,
    pub ttft_tool_ms: Option<f64>,
    /// The gaps between successive content chunks.
    pub itl_ms: Vec<f64>,
    /// The tokens each of those chunks carried (`null`: unknown).
    pub itl_tokens: Vec<Option<u64>>,
    pub tpot_ms: Option<f64>,
    pub e2e_ms: Option<f64>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// `usage`, or `deltas` (counted content and reasoning deltas).
    pub output_tokens_source: Option<String>,
    pub content_deltas: u64,
    pub events: u64,
    pub verdict: Option<String>,
    pub error: Option<RowError>,
}

/// Milliseconds, to the nanosecond.
pub fn ms(d: Duration) -> f64 {
    d.as_nanos() as f64 / 1e6
}

/// Folds one response body as it arrives.
pub struct Measure {
    fold: Fold,
    watch: Stopwatch,
    status: Option<u16>,
    /// The body of an error response (kept for its message, 64 KiB at most).
    error_body: Vec<u8>,
    input_tokens: Option<u64>,
    last_at: Duration,
}

impl Measure {
    pub fn new(format: Format) -> Measure {
        Measure {
            fold: folding::new(Some(format), Limits::default()),
            watch: Stopwatch::untimed(),
            status: None,
            error_body: Vec::new(),
            input_tokens: None,
            last_at: Duration::ZERO,
        }
    }

    pub fn status(&mut self, status: u16) {
        self.status = Some(status);
    }

    fn ok_status(&self) -> bool {
        self.status.is_none_or(|s| (200..300).contains(&s))
    }

    /// Body bytes that arrived at `at` (from the request's start).
    pub fn push(&mut self, at: Duration, bytes: &[u8]) {
        self.last_at = self.last_at.max(at);
        if !self.ok_status() {
            let room = (64 * 1024usize).saturating_sub(self.error_body.len());
            self.error_body
                .extend_from_slice(&bytes[..bytes.len().min(room)]);
            return;
        }
        let before = self.fold.events_dispatched();
        self.watch.bytes(at, bytes.len());
        for event in self.fold.push(bytes) {
            let Ok(event) = event else { break };
            if let streamfold::Event::Usage { tokens, .. } = &event {
                if tokens.input_tokens.is_some() {
                    self.input_tokens = tokens.input_tokens;
                }
            }
            self.watch.observe(&event, at);
        }
        if self.fold.events_dispatched() > before {
            self.watch.payload(at);
        }
    }

    /// The row, once the body ended at `end` (from the start) as
    /// `transport` says.
    pub fn finish(mut self, end: Duration, transport: Option<&TransportEnd>) -> Row {
        let mut row = Row {
            index: 0,
            request_id: None,
            start: 0.0,
            queue_ms: 0.0,
            connect_ms: None,
            status: self.status,
            ttfb_ms: None,
            first_payload_ms: None,
            ttft_ms: None,
            ttft_content_ms: None,
            ttft_reasoning_ms: None,
            ttft_tool_ms: None,
            itl_ms: Vec::new(),
            itl_tokens: Vec::new(),
            tpot_ms: None,
            e2e_ms: None,
            input_tokens: None,
            output_tokens: None,
            output_tokens_source: None,
            content_deltas: 0,
            events: 0,
            verdict: None,
            error: None,
        };
        if let (Some(status), false) = (self.status, self.ok_status()) {
            let e = Error::from_http_response(status, &self.error_body);
            let message = match e.kind() {
                ErrorKind::Provider(p) => p.message.clone(),
                _ => e.to_string(),
            };
            row.error = Some(RowError {
                kind: "http".into(),
                message,
                status: Some(status),
            });
            row.e2e_ms = Some(ms(end));
            return row;
        }
        let end = end.max(self.last_at);
        for event in self.fold.end().flatten() {
            self.watch.observe(&event, end);
        }
        let t = self.watch.timing(self.fold.events_dispatched());
        let f = |d: Option<Duration>| d.map(ms);
        row.ttfb_ms = f(t.ttfb);
        row.first_payload_ms = f(t.first_payload);
        row.ttft_ms = f(t.ttft);
        row.ttft_content_ms = f(t.ttft_content);
        row.ttft_reasoning_ms = f(t.ttft_reasoning);
        row.ttft_tool_ms = f(t.ttft_tool);
        row.itl_ms = t.chunks.iter().map(|c| ms(c.gap)).collect();
        row.itl_tokens = t.chunks.iter().map(|c| c.tokens).collect();
        row.tpot_ms = f(t.tpot());
        row.e2e_ms = f(t.e2e.or(Some(end)));
        row.input_tokens = self.input_tokens;
        (row.output_tokens, row.output_tokens_source) = match t.output_tokens {
            Some(n) => (Some(n), Some("usage".into())),
            None => (
                Some(t.content_deltas + t.reasoning_deltas),
                Some("deltas".into()),
            ),
        };
        row.content_deltas = t.content_deltas;
        row.events = t.events;
        let fold_error = self.fold.error().cloned();
        let verdict = self.fold.verdict();
        row.error = match (transport, &fold_error) {
            (Some(tr), _) if tr.kind != "truncated" => Some(RowError {
                kind: tr.kind.clone(),
                message: tr.message.clone(),
                status: self.status,
            }),
            (_, Some(e)) if !e.is_truncation() => Some(RowError {
                kind: match e.kind() {
                    ErrorKind::Provider(_) => "provider",
                    ErrorKind::Transport(_) => "transport",
                    _ => "malformed",
                }
                .into(),
                message: match e.kind() {
                    ErrorKind::Provider(p) => p.message.clone(),
                    _ => e.to_string(),
                },
                status: self.status,
            }),
            (Some(tr), _) => Some(RowError {
                kind: tr.kind.clone(),
                message: tr.message.clone(),
                status: self.status,
            }),
            (None, Some(e)) => Some(RowError {
                kind: "truncated".into(),
                message: e.to_string(),
                status: self.status,
            }),
            (None, None) => None,
        };
        let in_stream_error = fold_error
            .as_ref()
            .is_some_and(|e| matches!(e.kind(), ErrorKind::Provider(_)));
        row.verdict = Some(
            if in_stream_error {
                "error_in_stream"
            } else if verdict.is_none_or(|v| v.is_truncated()) {
                "no_finish_reason"
            } else if verdict == Some(Verdict::FinishedWithoutDone) {
                "no_terminator"
            } else if t.ttft_reasoning.is_some() && t.ttft_content.is_none() {
                "reasoning_without_content"
            } else if t.output_tokens.is_none() {
                "usage_missing"
            } else {
                "complete"
            }
            .into(),
        );
        row
    }
}

/// A row's error as JSON (for recordings).
pub fn transport_json(t: &TransportEnd) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}
