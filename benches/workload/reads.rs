//! How a stream is cut into network reads: fixed sizes, or one SSE event
//! per read.
#![allow(dead_code)]

use std::ops::Range;

/// How a stream is cut into reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadSize {
    /// Pieces of this many bytes (the last one shorter).
    Fixed(usize),
    /// One SSE event per read: each read ends right after the blank line
    /// that ends an event (what a server that flushes every event, over a
    /// fast network, delivers).
    Event,
}

impl ReadSize {
    /// The three read sizes of the hot-path bench.
    pub const ALL: [ReadSize; 3] = [ReadSize::Fixed(4096), ReadSize::Event, ReadSize::Fixed(64)];

    /// A short label for benchmark names: `4KiB`, `event`, `64B`.
    pub fn label(self) -> String {
        match self {
            ReadSize::Event => "event".to_owned(),
            ReadSize::Fixed(n) if n >= 1024 && n % 1024 == 0 => format!("{}KiB", n / 1024),
            ReadSize::Fixed(n) => format!("{n}B"),
        }
    }

    /// The reads of `bytes`, as ranges that cover it in order.
    pub fn cut(self, bytes: &[u8]) -> Vec<Range<usize>> {
        match self {
            ReadSize::Fixed(n) => (0..bytes.len())
                .step_by(n)
                .map(|start| start..(start + n).min(bytes.len()))
                .collect(),
            ReadSize::Event => at_events(bytes),
        }
    }
}

/// Ranges of `bytes` that each end after a blank line (an empty line, or a
/// lone `\r` before the `\n`), the rest of the stream last. Lines end with
/// LF or CRLF (the recorded and generated streams have no lone-CR line
/// ends).
pub fn at_events(bytes: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut line_start = 0;
    for nl in memchr::memchr_iter(b'\n', bytes) {
        let line = &bytes[line_start..nl];
        line_start = nl + 1;
        if line.is_empty() || line == b"\r" {
            out.push(start..line_start);
            start = line_start;
        }
    }
    if start < bytes.len() {
        out.push(start..bytes.len());
    }
    out
}
