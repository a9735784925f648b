//! The final object of a stream: each format's own non-streaming shape.

use serde::{Serialize, Serializer};

use crate::format::Format;
use crate::protocol::{
    anthropic_messages, gemini, ollama, openai_chat, openai_completions, openai_responses,
};

/// What a stream reassembles to: the object the format's non-streaming API
/// returns (for OpenAI chat, a `chat.completion`). Serialises as that
/// object; each variant's type also reads back from it.
///
/// # Examples
///
/// ```
/// use streamfold::{Final, Fold, Format};
///
/// let mut fold = Fold::new();
/// fold.push(b"data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\
/// \"delta\":{\"content\":\"Hi\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n").count();
/// let done: Final = fold.finish()?;
/// assert_eq!(done.format(), Format::OpenAiChat);
/// assert_eq!(done.text(), "Hi");
/// let Final::OpenAiChat(completion) = done else { unreachable!() };
/// assert_eq!(completion.choices[0].finish_reason.as_deref(), Some("stop"));
/// # Ok::<(), streamfold::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
// One per stream, moved out once: boxing the larger variants would cost an
// allocation for nothing.
#[allow(clippy::large_enum_variant)]
pub enum Final {
    /// An OpenAI chat completion.
    OpenAiChat(openai_chat::Completion),
    /// An OpenAI Responses `response` object.
    OpenAiResponses(openai_responses::Response),
    /// An Anthropic message.
    AnthropicMessages(anthropic_messages::Message),
    /// A legacy `text_completion`.
    OpenAiCompletions(openai_completions::Completion),
    /// An Ollama `/api/chat` or `/api/generate` response.
    Ollama(ollama::Response),
    /// A Gemini `GenerateContentResponse`.
    Gemini(gemini::Response),
}

impl Final {
    /// The format it is an object of.
    pub fn format(&self) -> Format {
        match self {
            Final::OpenAiChat(_) => Format::OpenAiChat,
            Final::OpenAiResponses(_) => Format::OpenAiResponses,
            Final::AnthropicMessages(_) => Format::AnthropicMessages,
            Final::OpenAiCompletions(_) => Format::OpenAiCompletions,
            Final::Ollama(_) => Format::Ollama,
            Final::Gemini(_) => Format::Gemini,
        }
    }

    /// The chat completion, if the stream was OpenAI chat.
    pub fn into_chat(self) -> Option<openai_chat::Completion> {
        match self {
            Final::OpenAiChat(c) => Some(c),
            _ => None,
        }
    }

    /// The chat completion, if the stream was OpenAI chat.
    pub fn as_chat(&self) -> Option<&openai_chat::Completion> {
        match self {
            Final::OpenAiChat(c) => Some(c),
            _ => None,
        }
    }

    /// The Gemini response, if the stream was Gemini.
    pub fn into_gemini(self) -> Option<gemini::Response> {
        match self {
            Final::Gemini(r) => Some(r),
            _ => None,
        }
    }

    /// The Gemini response, if the stream was Gemini.
    pub fn as_gemini(&self) -> Option<&gemini::Response> {
        match self {
            Final::Gemini(r) => Some(r),
            _ => None,
        }
    }

    /// The `text_completion`, if the stream was legacy completions.
    pub fn into_completions(self) -> Option<openai_completions::Completion> {
        match self {
            Final::OpenAiCompletions(c) => Some(c),
            _ => None,
        }
    }

    /// The `text_completion`, if the stream was legacy completions.
    pub fn as_completions(&self) -> Option<&openai_completions::Completion> {
        match self {
            Final::OpenAiCompletions(c) => Some(c),
            _ => None,
        }
    }

    /// The Ollama response, if the stream was Ollama's.
    pub fn into_ollama(self) -> Option<ollama::Response> {
        match self {
            Final::Ollama(r) => Some(r),
            _ => None,
        }
    }

    /// The Ollama response, if the stream was Ollama's.
    pub fn as_ollama(&self) -> Option<&ollama::Response> {
        match self {
            Final::Ollama(r) => Some(r),
            _ => None,
        }
    }

    /// The Responses `response`, if the stream was OpenAI Responses.
    pub fn into_responses(self) -> Option<openai_responses::Response> {
        match self {
            Final::OpenAiResponses(r) => Some(r),
            _ => None,
        }
    }

    /// The Responses `response`, if the stream was OpenAI Responses.
    pub fn as_responses(&self) -> Option<&openai_responses::Response> {
        match self {
            Final::OpenAiResponses(r) => Some(r),
            _ => None,
        }
    }

    /// The Anthropic message, if the stream was Anthropic Messages.
    pub fn into_anthropic(self) -> Option<anthropic_messages::Message> {
        match self {
            Final::AnthropicMessages(m) => Some(m),
            _ => None,
        }
    }

    /// The Anthropic message, if the stream was Anthropic Messages.
    pub fn as_anthropic(&self) -> Option<&anthropic_messages::Message> {
        match self {
            Final::AnthropicMessages(m) => Some(m),
            _ => None,
        }
    }

    /// The message text of the first choice (candidate), `""` when none
    /// (Responses: the `output_text` of the message items; Anthropic: every
    /// text block joined).
    pub fn text(&self) -> String {
        match self {
            Final::OpenAiChat(c) => c
                .choices
                .first()
                .and_then(|ch| ch.message.content.clone())
                .unwrap_or_default(),
            Final::OpenAiResponses(r) => r.output_text(),
            Final::AnthropicMessages(m) => m.text(),
            Final::OpenAiCompletions(c) => c.text().to_string(),
            Final::Ollama(r) => r.text().to_string(),
            Final::Gemini(r) => r.text(),
        }
    }
}

impl Serialize for Final {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Final::OpenAiChat(c) => c.serialize(serializer),
            Final::OpenAiResponses(r) => r.serialize(serializer),
            Final::AnthropicMessages(m) => m.serialize(serializer),
            Final::OpenAiCompletions(c) => c.serialize(serializer),
            Final::Ollama(r) => r.serialize(serializer),
            Final::Gemini(r) => r.serialize(serializer),
        }
    }
}
