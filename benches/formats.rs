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
//!   vs SSE split by memchr + serde_json into Anthropic's stream-event types
//!   + a minimal fold (`peers/anthropic_serde.rs`).
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
#[path = "formats/openai_responses.rs"]
mod openai_responses;

criterion_group!(
    formats,
    openai_responses::openai_responses,
    anthropic_messages::anthropic_messages
);
criterion_main!(formats);
