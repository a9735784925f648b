//! The final object of a stream: each format's own non-streaming shape.

use serde::{Serialize, Serializer};

use crate::format::Format;
use crate::protocol::openai_chat;

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
pub enum Final {
    /// An OpenAI chat completion.
    OpenAiChat(openai_chat::Completion),
}

impl Final {
    /// The format it is an object of.
    pub fn format(&self) -> Format {
        match self {
            Final::OpenAiChat(_) => Format::OpenAiChat,
        }
    }

    /// The chat completion, if the stream was OpenAI chat.
    pub fn into_chat(self) -> Option<openai_chat::Completion> {
        match self {
            Final::OpenAiChat(c) => Some(c),
        }
    }

    /// The chat completion, if the stream was OpenAI chat.
    pub fn as_chat(&self) -> Option<&openai_chat::Completion> {
        match self {
            Final::OpenAiChat(c) => Some(c),
        }
    }

    /// The message text of the first choice (candidate), `""` when none.
    pub fn text(&self) -> String {
        match self {
            Final::OpenAiChat(c) => c
                .choices
                .first()
                .and_then(|ch| ch.message.content.clone())
                .unwrap_or_default(),
        }
    }
}

impl Serialize for Final {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Final::OpenAiChat(c) => c.serialize(serializer),
        }
    }
}
