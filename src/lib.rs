//! streamfold reassembles streaming LLM responses.
#![deny(missing_docs)]
#![deny(unsafe_code)]

mod adapters;
mod completion;
mod delta;
mod error;
mod event;
mod fold;
mod json;
mod limits;
mod protocol;
pub mod sse;
pub mod timing;

/// A `tokio_util::codec::Decoder` for the SSE layer (feature `tokio-codec`).
#[cfg(feature = "tokio-codec")]
pub mod codec {
    pub use crate::adapters::codec::{SseDecoder, SseEvent};
}

pub use adapters::chat_fold::{ChatFold, Events};
#[cfg(feature = "async")]
pub use adapters::stream::{FoldStream, FoldStreamExt};
pub use completion::{Choice, Completion, FunctionCall, Message, ToolCall, Usage};
pub use error::{Error, ErrorKind, Limit, ProviderError};
pub use event::{Event, Verdict, Warning};
pub use json::value::{Map, Number, ParseValueError, RawJson, Value};
pub use limits::Limits;
pub use timing::{Clock, SystemClock, Timing};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
