//! The wire formats streamfold folds.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A wire format of streaming LLM responses.
///
/// [`Fold::new`](crate::Fold::new) detects it from the stream's first
/// payload; [`Fold::with_format`](crate::Fold::with_format) forces it.
///
/// # Examples
///
/// ```
/// use streamfold::Format;
///
/// let f: Format = "anthropic-messages".parse().unwrap();
/// assert_eq!(f, Format::AnthropicMessages);
/// assert_eq!(f.to_string(), "anthropic-messages");
/// assert!("openai".parse::<Format>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Format {
    /// OpenAI `/v1/chat/completions` (and every compatible server):
    /// `chat.completion.chunk` objects, then `data: [DONE]`.
    OpenAiChat,
    /// OpenAI's legacy `/v1/completions`: `text_completion` objects, then
    /// `data: [DONE]`.
    OpenAiCompletions,
    /// OpenAI `/v1/responses`: typed `response.*` events, ending with
    /// `response.completed`, `.failed` or `.incomplete`.
    OpenAiResponses,
    /// Anthropic `/v1/messages`: `message_start`, content-block events,
    /// `message_delta`, `message_stop`.
    AnthropicMessages,
    /// Gemini `streamGenerateContent?alt=sse`: `GenerateContentResponse`
    /// fragments; no terminator (the last carries a `finishReason`).
    Gemini,
    /// Ollama's native `/api/chat` and `/api/generate`: NDJSON objects, the
    /// last with `done: true`.
    Ollama,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 6] = [
        Format::OpenAiChat,
        Format::OpenAiCompletions,
        Format::OpenAiResponses,
        Format::AnthropicMessages,
        Format::Gemini,
        Format::Ollama,
    ];

    /// The format's name, as `--format` takes it (`openai-chat`, …).
    pub fn name(self) -> &'static str {
        match self {
            Format::OpenAiChat => "openai-chat",
            Format::OpenAiCompletions => "openai-completions",
            Format::OpenAiResponses => "openai-responses",
            Format::AnthropicMessages => "anthropic-messages",
            Format::Gemini => "gemini",
            Format::Ollama => "ollama",
        }
    }

    /// The format a stream's first payload (an SSE event's data, or an
    /// NDJSON line) is of, by the detection table [`Fold::new`] uses
    /// (DESIGN.md's "detected by" column); `None` for an error payload, a
    /// keep-alive or a stranger.
    ///
    /// [`Fold::new`]: crate::Fold::new
    ///
    /// # Examples
    ///
    /// ```
    /// use streamfold::Format;
    ///
    /// let first = r#"{"type":"message_start","message":{"id":"msg_1","content":[]}}"#;
    /// assert_eq!(Format::detect(first), Some(Format::AnthropicMessages));
    /// assert_eq!(Format::detect(r#"{"candidates":[]}"#), Some(Format::Gemini));
    /// assert_eq!(Format::detect(r#"{"error":{"message":"no"}}"#), None);
    /// ```
    pub fn detect(first_payload: &str) -> Option<Format> {
        use crate::protocol::detect::{detect, facts, Detected};
        let limits = crate::Limits::default();
        match detect(&facts("message", first_payload, limits.depth())) {
            Detected::Format(f) => Some(f),
            _ => None,
        }
    }

    /// True for the formats framed as NDJSON (one JSON object a line)
    /// rather than server-sent events.
    pub fn is_ndjson(self) -> bool {
        self == Format::Ollama
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an unknown format name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat(String);

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown format {:?} (expected one of: ", self.0)?;
        for (i, format) in Format::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(format.name())?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

impl Serialize for Format {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Format {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
