//! Throughput of each wire format's fold, streamfold beside the pipeline a
//! Rust user of that format would write, in the same run so the report
//! reads as ratios. One group per format, each in its own module of
//! `benches/formats/`; `Throughput::Bytes` is the length of the stream's
//! bytes; every benchmark checks its result inside the measured closure,
//! and every peer is checked in full against streamfold before measuring.
//!
//! - `openai_responses`: every stream of `corpus/openai-responses` that ends
//!   with `response.completed`, each folded on its own in 4 KiB reads:
//!   streamfold (the sync facade, every event taken, then the final
//!   `Response`) vs `peers::responses_serde` (memchr SSE splitter +
//!   serde_json into the Responses event types + a minimal accumulation, no
//!   events, no final object). The expectation is read from each stream's
//!   terminal event with serde_json.
//! - `anthropic_messages`: every stream of `corpus/anthropic-messages`, 4 KiB
//!   reads: streamfold's facade (every event taken, then the final message)
//!   vs SSE split by memchr + serde_json into Anthropic's stream-event types, and
//!   a minimal fold (`peers/anthropic_serde.rs`).
//!
//! - `completions_text`, `completions_logprobs`: legacy `/v1/completions`
//!   as vLLM streams it (synthetic, deterministic): one token a chunk with
//!   usage in a last `"choices": []` chunk; and `n = 2` interleaved with
//!   `logprobs = 2`. Peer: memchr SSE + serde_json into borrowed completion
//!   chunks + a minimal fold (`peers/completions_serde.rs`), and the memchr
//!   newline-count floor.
//! - `ollama_chat`, `ollama_generate`: Ollama's NDJSON (synthetic): thinking,
//!   content and two whole tool calls; `response` lines and a `done` line
//!   with a 2,000-token `context`. Peer: memchr lines + serde_json into
//!   borrowed Ollama structs + a minimal fold (`peers/ollama_serde.rs`).
//!   `STREAMFOLD_BENCH_EVENTS` shrinks the synthetic streams.
//!
//! - `gemini_corpus`, `gemini_text`, `gemini_streamed_args`: every stream of
//!   `corpus/gemini-sse` (each on its own), a synthetic Gemini API stream of
//!   20,000 text chunks (spaced JSON, CRLF, usage on every chunk), a
//!   synthetic Vertex call whose arguments arrive as 20,000 `partialArgs`
//!   pieces; 4 KiB reads. Peer: memchr SSE, serde_json into Gemini's types,
//!   the same merge into one response (`peers/gemini_serde.rs`), whose
//!   final object must equal streamfold's before measuring; and the memchr
//!   newline floor.
//!
//! Corpus folders come from `$STREAMFOLD_SHARED` (default `../shared`
//! beside the crate), else the project's selection in `tests/data`.
//! `cargo bench --bench formats`; a criterion filter runs one group
//! (`cargo bench --bench formats -- anthropic`).

use criterion::{criterion_group, criterion_main};

#[path = "peers/mod.rs"]
mod peers;

#[path = "formats/anthropic_messages.rs"]
mod anthropic_messages;
#[path = "formats/corpus.rs"]
mod corpus;
#[path = "formats/gemini.rs"]
mod gemini;
#[path = "formats/ollama.rs"]
mod ollama;
#[path = "formats/openai_completions.rs"]
mod openai_completions;
#[path = "formats/openai_responses.rs"]
mod openai_responses;
#[path = "formats/synthetic.rs"]
mod synthetic;

criterion_group!(
    formats,
    openai_responses::openai_responses,
    anthropic_messages::anthropic_messages,
    openai_completions::completions,
    ollama::ollama,
    gemini::gemini
);
criterion_main!(formats);
