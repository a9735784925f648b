//! The pipelines streamfold is measured against: what Rust users do today
//! (competitors) and what no full pipeline can beat (floors).
//!
//! Competitors fold a stream into a [`Folded`]: the text of choice 0, the
//! arguments of its tool calls, its finish reason and the usage total. Each is
//! a function `fn(chunks: impl Iterator<Item = &[u8]>) -> Result<Folded, String>`
//! fed the stream in network-sized pieces:
//!
//! - [`eventsource_openai`]: eventsource-stream + serde_json into async-openai's
//!   owned types, driven as an async stream of `Bytes` (the common setup);
//! - [`serde_borrowed`], [`simd_borrowed`], [`sonic_borrowed`]: one memchr SSE
//!   splitter ([`splitter`]) + serde_json / simd-json / sonic-rs into the same
//!   borrowed structs ([`borrowed`]) + the same hand fold.
//!
//! Per format (`benches/formats.rs`), memchr framing + serde_json into the
//! format's types + a minimal fold: [`responses_serde`] (OpenAI Responses),
//! [`anthropic_serde`] (Anthropic Messages), [`gemini_serde`] (Gemini, with
//! the whole merge into one response), [`completions_serde`] (legacy
//! completions), [`ollama_serde`] (Ollama's NDJSON).
//!
//! Floors do less than a fold, so a fold can only approach them:
//! [`simd_tape`] (simd-json's tape over every payload) and [`memchr_lines`]
//! (counting newlines).
#![allow(dead_code)]

pub mod anthropic_serde;
pub mod borrowed;
pub mod completions_serde;
pub mod eventsource_openai;
pub mod gemini_serde;
pub mod memchr_lines;
pub mod ollama_serde;
pub mod responses_serde;
pub mod serde_borrowed;
pub mod simd_borrowed;
pub mod simd_tape;
pub mod sonic_borrowed;
pub mod splitter;

/// What the competitors reassemble from a stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Folded {
    /// Concatenated `content` of choice 0.
    pub content: String,
    /// Concatenated `function.arguments` of each tool call of choice 0, by index.
    pub tool_arguments: Vec<String>,
    /// Last non-null `finish_reason` of choice 0.
    pub finish_reason: Option<String>,
    /// `total_tokens` of the last non-null `usage`.
    pub total_tokens: Option<u64>,
    /// Number of SSE data events seen, the final `[DONE]` included.
    pub events: usize,
}

/// A competitor pipeline, for tables of peers.
pub type Peer = for<'a> fn(std::slice::Chunks<'a, u8>) -> Result<Folded, String>;

/// The competitors, by bench name.
pub const COMPETITORS: [(&str, Peer); 4] = [
    ("eventsource_serde_async_openai", |c| {
        eventsource_openai::fold(c)
    }),
    ("serde_json_borrowed", |c| serde_borrowed::fold(c)),
    ("simd_json_borrowed", |c| simd_borrowed::fold(c)),
    ("sonic_rs_borrowed", |c| sonic_borrowed::fold(c)),
];
