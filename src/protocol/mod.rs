//! Wire formats: one module per format decodes each payload (an SSE event's
//! data, or an NDJSON line) into normalized ops for the fold, and builds the
//! format's final object from the fold's state. The JSON field names of a
//! format live in its module and nowhere else.
//!
//! A format is a module of a known shape: `decode` (payload → ops: its
//! field names, its terminator, its errors) and the final object with its
//! `build`. Adding one is adding a module, a [`Format`] variant, a row of
//! [`detect::TABLE`] and an arm in [`Decoder`] and [`build`].

pub(crate) mod anthropic_messages;
pub(crate) mod detect;
pub(crate) mod gemini;
pub(crate) mod ollama;
pub(crate) mod openai_chat;
pub(crate) mod openai_completions;
pub(crate) mod openai_responses;
pub(crate) mod provider_error;
pub(crate) mod scan;

use crate::delta::Delta;
use crate::final_object::Final;
use crate::fold::Parts;
use crate::format::Format;
use crate::limits::Limits;
pub use provider_error::ProviderError;
pub(crate) use scan::{DecodeError, DecodeErrorKind};

/// What one payload meant.
#[derive(Debug)]
pub(crate) enum Payload {
    /// Ops to apply (in the [`Delta`]; `Terminal` among them for the
    /// format's terminator).
    Ops,
    /// A payload that carries nothing (a keep-alive, an event type the
    /// format does not use, empty data).
    Skip(SkipReason),
    /// The provider reported an error (ops before it still apply).
    ProviderError(ProviderError),
    /// A payload of another format.
    Foreign,
}

/// Why a payload was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SkipReason {
    EventType,
    EmptyData,
}

/// The decoder of one stream's format (one per stream, built once: its
/// size does not matter, and boxing would add an indirection per payload).
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum Decoder {
    OpenAiChat(openai_chat::Decoder),
    OpenAiResponses(openai_responses::Decoder),
    AnthropicMessages(anthropic_messages::Decoder),
    OpenAiCompletions(openai_completions::Decoder),
    Ollama(ollama::Decoder),
    Gemini(gemini::Decoder),
}

impl Decoder {
    /// The decoder for `format`; `None` for a format this build does not
    /// decode.
    pub fn new(format: Format, limits: &Limits) -> Option<Decoder> {
        let (depth, index) = (limits.depth(), limits.index());
        match format {
            Format::OpenAiChat => {
                Some(Decoder::OpenAiChat(openai_chat::Decoder::new(depth, index)))
            }
            Format::OpenAiResponses => Some(Decoder::OpenAiResponses(
                openai_responses::Decoder::new(depth, index),
            )),
            Format::AnthropicMessages => Some(Decoder::AnthropicMessages(
                anthropic_messages::Decoder::new(depth, index),
            )),
            Format::OpenAiCompletions => Some(Decoder::OpenAiCompletions(
                openai_completions::Decoder::new(depth, index),
            )),
            Format::Ollama => Some(Decoder::Ollama(ollama::Decoder::new(depth))),
            Format::Gemini => Some(Decoder::Gemini(gemini::Decoder::new(
                depth,
                index,
                limits.choices(),
            ))),
        }
    }

    /// Decodes one payload into `out` (cleared first).
    pub fn decode(
        &mut self,
        event: &str,
        data: &str,
        out: &mut Delta,
    ) -> Result<Payload, DecodeError> {
        out.clear();
        match self {
            Decoder::OpenAiChat(d) => d.decode(event, data, out),
            Decoder::OpenAiCompletions(d) => d.decode(event, data, out),
            Decoder::Gemini(d) => d.decode(event, data, out),
            Decoder::Ollama(d) => d.decode(event, data, out),
            Decoder::OpenAiResponses(d) => d.decode(event, data, out),
            Decoder::AnthropicMessages(d) => d.decode(event, data, out),
        }
    }

    /// True for a payload the format may send after its terminator, to be
    /// dropped without a warning (OpenRouter's `data: [DONE]` after
    /// `response.completed`).
    pub fn is_trailer(&self, data: &str) -> bool {
        match self {
            Decoder::OpenAiResponses(d) => d.is_trailer(data),
            _ => false,
        }
    }
}

/// Builds `format`'s final object from the fold's state.
pub(crate) fn build(format: Format, parts: Parts) -> Final {
    match format {
        Format::OpenAiChat => Final::OpenAiChat(openai_chat::build(parts)),
        Format::OpenAiResponses => Final::OpenAiResponses(openai_responses::build(parts)),
        Format::AnthropicMessages => Final::AnthropicMessages(anthropic_messages::build(parts)),
        Format::OpenAiCompletions => Final::OpenAiCompletions(openai_completions::build(parts)),
        Format::Ollama => Final::Ollama(ollama::build(parts)),
        Format::Gemini => Final::Gemini(gemini::build(parts)),
    }
}

/// The top-level fields holding a format's response id and model.
pub(crate) fn identity_keys(format: Format) -> (Option<&'static str>, Option<&'static str>) {
    match format {
        Format::OpenAiChat => (
            Some(openai_chat::fields::ID),
            Some(openai_chat::fields::MODEL),
        ),
        Format::OpenAiResponses => (
            Some(openai_responses::fields::ID),
            Some(openai_responses::fields::MODEL),
        ),
        Format::AnthropicMessages => (
            Some(anthropic_messages::fields::ID),
            Some(anthropic_messages::fields::MODEL),
        ),
        Format::OpenAiCompletions => (
            Some(openai_completions::fields::ID),
            Some(openai_completions::fields::MODEL),
        ),
        Format::Ollama => (None, Some(ollama::fields::MODEL)),
        Format::Gemini => (
            Some(gemini::fields::RESPONSE_ID),
            Some(gemini::fields::MODEL_VERSION),
        ),
    }
}

/// The error of an HTTP error response's body, in any format's shape.
pub(crate) fn error_body(body: &[u8]) -> ProviderError {
    provider_error::from_body(&String::from_utf8_lossy(body))
}
