//! streamfold reassembles streaming LLM responses: the bytes of a stream,
//! split anywhere, become incremental events as they arrive and, at the
//! end, one final object: field for field what the format's non-streaming
//! API returns.
//!
//! # Formats
//!
//! Six wire formats, detected from the first payload
//! ([`Format::detect`]) or forced with [`Fold::with_format`]:
//!
//! | [`Format`] | stream | final object ([`Final`]) |
//! | --- | --- | --- |
//! | `openai-chat` | `/v1/chat/completions`: SSE of `chat.completion.chunk`, `data: [DONE]` | [`openai_chat::Completion`] |
//! | `openai-responses` | `/v1/responses`: typed `response.*` events | [`openai_responses::Response`] |
//! | `anthropic-messages` | `/v1/messages`: `message_start` … `message_stop` | [`anthropic_messages::Message`] |
//! | `gemini` | `streamGenerateContent?alt=sse` | [`gemini::Response`] |
//! | `openai-completions` | legacy `/v1/completions`: `text_completion` chunks | [`openai_completions::Completion`] |
//! | `ollama` | `/api/chat`, `/api/generate`: NDJSON, the last line `done: true` | [`ollama::Response`] |
//!
//! Whatever the format, the events are one vocabulary ([`Event`]):
//! `content.delta`, `reasoning.delta`, `refusal.delta`,
//! `tool_calls.function.start` / `.arguments.delta` / `.arguments.done`,
//! `finish_reason`, `usage`, `end` with its [`Verdict`], …, each with its
//! choice index; for every kind the concatenated deltas equal the final
//! value. [`Final::text`] and [`Fold::usage`] ([`TokenCounts`]) read any
//! format alike.
//!
//! # Layers
//!
//! Each layer is a push state machine without I/O: bytes in, results out,
//! an explicit end.
//!
//! - [`sse`]: the WHATWG `text/event-stream` parser (public, usable on its
//!   own); Ollama's NDJSON framing sits beside it.
//! - protocol: one decoder per wire format; it turns one payload into
//!   normalized deltas and knows the format's terminator and in-band errors.
//! - fold: merges the deltas per choice and per tool call, emits the events
//!   and builds the final object; the same for every format.
//! - adapters: the sync [`Fold`], the async [`FoldStream`] (feature
//!   `async`), the [`codec`] decoder (feature `tokio-codec`). Thin: no
//!   logic of their own.
//!
//! The cost is linear in the input whatever the split: no buffer is
//! rescanned when more bytes arrive, and SSE data is borrowed from the read
//! where it is contiguous.
//!
//! # Examples
//!
//! Sync: push the reads as they arrive, take the events, finish.
//!
//! ```
//! use streamfold::{Event, Fold};
//!
//! let body: &[u8] = b"data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\
//! \"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hello\"}}]}\n\n\
//! data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\
//! \"choices\":[{\"index\":0,\"delta\":{\"content\":\" world\"},\"finish_reason\":\"stop\"}]}\n\n\
//! data: [DONE]\n\n";
//!
//! let mut fold = Fold::new();
//! let mut text = String::new();
//! for read in body.chunks(7) {
//!     // split anywhere
//!     for event in fold.push(read) {
//!         if let Event::ContentDelta { delta, .. } = event? {
//!             text.push_str(&delta);
//!         }
//!     }
//! }
//! let completion = fold.finish()?; // or an error holding the partial object
//! assert_eq!(text, "Hello world");
//! assert_eq!(completion.text(), "Hello world");
//! let chat = completion.as_chat().unwrap();
//! assert_eq!(chat.choices[0].finish_reason.as_deref(), Some("stop"));
//! # Ok::<(), streamfold::Error>(())
//! ```
//!
//! Async (feature `async`): any `Stream<Item = Result<B, E>>` of byte
//! chunks (reqwest's `bytes_stream()`, a hyper body) becomes a stream of
//! owned events with [`FoldStreamExt::fold_stream`]; here an Anthropic
//! stream, detected as such.
//!
//! ```
//! # #[cfg(feature = "async")]
//! # fn main() -> Result<(), streamfold::Error> {
//! use futures::{executor::block_on, stream, StreamExt};
//! use streamfold::{Event, FoldStreamExt, Format};
//!
//! let reads = vec![
//!     Ok::<_, std::io::Error>(&b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":\
//! {\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude\",\"content\":[],\
//! \"stop_reason\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n\
//! event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\
//! \"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"[..]),
//!     Ok(&b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\
//! \"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n\
//! event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n\
//! event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\
//! \"usage\":{\"output_tokens\":2}}\n\n\
//! event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"[..]),
//! ];
//! let mut events = stream::iter(reads).fold_stream();
//! block_on(async {
//!     let mut text = String::new();
//!     while let Some(event) = events.next().await {
//!         if let Event::ContentDelta { delta, .. } = event? {
//!             text.push_str(&delta);
//!         }
//!     }
//!     assert_eq!(text, "Hi");
//!     let message = events.finish()?;
//!     assert_eq!(message.format(), Format::AnthropicMessages);
//!     assert_eq!(message.text(), "Hi");
//!     Ok(())
//! })
//! # }
//! # #[cfg(not(feature = "async"))]
//! # fn main() {}
//! ```
//!
//! # Errors
//!
//! Bad input is an [`Error`], never a panic: its [`ErrorKind`] (JSON,
//! shape, provider error in the stream, limit, truncation, unknown or wrong
//! format, transport), the byte offset ([`Error::offset`]) and the event
//! index ([`Error::event_index`]) where it was found, and, from `finish`,
//! the final object reassembled so far ([`Error::partial`]). An HTTP error
//! status is not a stream: check it first and turn the body into the
//! provider's error with [`Error::from_http_response`].
//!
//! # Limits
//!
//! [`Limits`] bound what hostile input can make the fold hold: the largest
//! event (default 128 MiB), the longest non-data SSE line, the number of
//! choices, tool calls and blocks, the JSON depth. Each is checked as the
//! bytes arrive; exceeding one is an [`ErrorKind::Limit`] error that keeps
//! the partial object.
//!
//! # Timing
//!
//! [`Fold::timed`] (or [`Fold::with_clock`]) attaches a clock, and
//! [`Fold::timing`] reports time to first byte and token, inter-token
//! latencies, end-to-end time and token throughput, defined in [`timing`].
//!
//! # Features
//!
//! - `async` (default): [`FoldStream`] and [`FoldStreamExt`], over
//!   `futures_core::Stream`.
//! - `serde_json` (default): conversions between [`Value`] and
//!   `serde_json::Value`.
//! - `tokio-codec`: [`codec::SseDecoder`], a `tokio_util::codec::Decoder`
//!   for the SSE layer.
//!
//! With no features the crate depends on `memchr`, `serde`, `bytes` and
//! `indexmap` only. The final objects serialise with serde in every build.

#![deny(missing_docs)]
#![deny(unsafe_code)]

mod adapters;
mod delta;
mod error;
mod event;
mod final_object;
mod fold;
mod format;
mod json;
mod limits;
mod ndjson;
mod protocol;
#[cfg(not(feature = "scalar"))]
mod simd;
pub mod sse;
mod text;
pub mod timing;
mod usage;
mod utf8;

/// A `tokio_util::codec::Decoder` for the SSE layer (feature `tokio-codec`).
#[cfg(feature = "tokio-codec")]
pub mod codec {
    pub use crate::adapters::codec::{SseDecoder, SseEvent};
}

/// The final object of OpenAI chat streams: the `chat.completion` the
/// non-streaming API returns.
pub mod openai_chat {
    pub use crate::protocol::openai_chat::{
        Choice, Completion, FunctionCall, Message, ToolCall, Usage,
    };
}

/// The final object of OpenAI Responses streams: the `response` object
/// (the terminal event's, or the one accumulated from the events).
pub mod openai_responses {
    pub use crate::protocol::openai_responses::{Item, Response};
}

/// The final object of Anthropic Messages streams: the `message` the
/// non-streaming API returns.
pub mod anthropic_messages {
    pub use crate::protocol::anthropic_messages::{ContentBlock, Message};
}

/// The final object of legacy completions streams (`/v1/completions`):
/// the `text_completion` the non-streaming API returns.
pub mod openai_completions {
    pub use crate::protocol::openai_chat::Usage;
    pub use crate::protocol::openai_completions::{Choice, Completion, Logprobs};
}

/// The final object of Ollama's native streams (`/api/chat`,
/// `/api/generate`): the response the non-streaming API returns.
pub mod ollama {
    pub use crate::protocol::ollama::{FunctionCall, Message, Response, ToolCall};
}

/// The final object of Gemini streams (`streamGenerateContent?alt=sse`,
/// the Gemini API and Vertex AI): the `GenerateContentResponse` the
/// non-streaming `generateContent` returns, with views of its candidates,
/// parts and function calls.
pub mod gemini {
    pub use crate::protocol::gemini::{Candidate, FunctionCall, Part, Response};
}

pub use adapters::fold::{Events, Fold};
#[cfg(feature = "async")]
pub use adapters::stream::{FoldStream, FoldStreamExt};
pub use error::{Error, ErrorKind};
pub use event::{Event, Verdict, Warning};
pub use final_object::Final;
pub use format::{Format, UnknownFormat};
pub use json::map::Map;
pub use json::partial as partial_json;
pub use json::raw::RawJson;
pub use json::value::{Number, ParseValueError, Value};
pub use limits::{Limit, Limits};
pub use protocol::ProviderError;
pub use text::Text;
pub use timing::{Clock, SystemClock, Timing};
pub use usage::TokenCounts;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
