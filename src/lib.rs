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
