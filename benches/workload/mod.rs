//! The workloads the benches share: streams with what a fold of each must
//! give ([`expect`]), the recorded corpus ([`corpus`]), and the ways a
//! stream is cut into network reads ([`reads`]).
#![allow(dead_code)]

pub mod corpus;
pub mod expect;
pub mod reads;

use std::ops::Range;

use crate::peers;
use crate::peers::simd_tape::TapeParser;
use crate::peers::Folded;
use crate::synthetic;
use expect::Expect;

/// One stream of a workload, with what the floors need to check their work.
pub struct Stream {
    pub name: String,
    pub bytes: Vec<u8>,
    pub expect: Expect,
    /// `data:` payload ranges, for the simd-json tape floor.
    pub payloads: Vec<Range<usize>>,
    /// Tape nodes of all payloads, for the simd-json tape floor's check.
    pub tape_nodes: usize,
    /// Newlines in `bytes`, for the memchr floor's check.
    pub newlines: usize,
}

impl Stream {
    pub fn new(name: String, bytes: Vec<u8>, expect: Expect) -> Stream {
        let payloads = peers::simd_tape::payloads(&bytes);
        let tape_nodes = TapeParser::default()
            .parse(&bytes, &payloads)
            .unwrap_or_else(|e| panic!("{name}: a payload is not JSON: {e}"));
        let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
        Stream {
            name,
            bytes,
            expect,
            payloads,
            tape_nodes,
            newlines,
        }
    }

    pub fn synthetic(name: &str, s: synthetic::Synthetic) -> Stream {
        let expect = Expect::of(&s);
        Stream::new(name.to_owned(), s.bytes, expect)
    }
}

/// Content deltas in the text stream unless `STREAMFOLD_BENCH_EVENTS` says
/// otherwise (the README's workload).
pub const TEXT_EVENTS: usize = 200_000;

/// `synthetic::text_stream` of `STREAMFOLD_BENCH_EVENTS` (default
/// [`TEXT_EVENTS`]) content deltas.
pub fn text_stream() -> Stream {
    let events = env_usize("STREAMFOLD_BENCH_EVENTS", TEXT_EVENTS);
    Stream::synthetic("text_stream", synthetic::text_stream(events))
}

/// `synthetic::tool_stream` with about as many bytes as [`text_stream`].
pub fn tool_stream() -> Stream {
    let text_events = env_usize("STREAMFOLD_BENCH_EVENTS", TEXT_EVENTS);
    let events = synthetic::tool_events_like_text(text_events);
    Stream::synthetic("tool_stream", synthetic::tool_stream(events))
}

/// The number in environment variable `name`, or `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, got {v:?}")),
        Err(_) => default,
    }
}

/// What streamfold's final object holds, in the peers' terms, with
/// `events` SSE events; an error unless it is a chat completion.
pub fn folded_of(done: streamfold::Final, events: usize) -> Result<Folded, String> {
    let completion = done
        .into_chat()
        .ok_or("the final object is not a chat completion")?;
    let choice = completion.choices.into_iter().find(|c| c.index == 0);
    let (content, tool_arguments, finish_reason) = match choice {
        Some(c) => (
            c.message.content.unwrap_or_default(),
            c.message
                .tool_calls
                .into_iter()
                .map(|t| t.function.arguments)
                .collect(),
            c.finish_reason,
        ),
        None => Default::default(),
    };
    Ok(Folded {
        content,
        tool_arguments,
        finish_reason,
        total_tokens: completion.usage.and_then(|u| u.total_tokens),
        events,
    })
}
