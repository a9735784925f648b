//! streamfold reassembles streaming LLM responses.

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

pub use adapters::fold::{Events, Fold};
#[cfg(feature = "async")]
pub use adapters::stream::{FoldStream, FoldStreamExt};
pub use error::{Error, ErrorKind};
pub use event::{Event, Verdict, Warning};
pub use final_object::Final;
pub use format::{Format, UnknownFormat};
pub use json::map::Map;
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
