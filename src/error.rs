//! The one error type of every layer, with the position of what went wrong.

use std::fmt;
use std::sync::Arc;

use crate::completion::Completion;

/// Everything that can stop a stream: what went wrong, where, and what had
/// been reassembled until then.
///
/// Small on purpose (one pointer): it sits on the hot path's `Result`s.
/// Positions are the absolute byte offset in the stream (0-based, counting
/// every byte the caller pushed, BOM included) and the index of the SSE event
/// (0-based, counting dispatched events) in which the problem lies.
///
/// # Examples
///
/// ```
/// use streamfold::{ChatFold, ErrorKind};
///
/// let mut fold = ChatFold::new();
/// let events: Vec<_> = fold
///     .push(b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: {oops}\n\n")
///     .collect();
/// let err = events.last().unwrap().as_ref().unwrap_err();
/// assert!(matches!(err.kind(), ErrorKind::Json { .. }));
/// assert_eq!(err.event_index(), 1);
/// assert_eq!(err.offset(), 65); // the `o` of `{oops}`
/// let partial = fold.finish().unwrap_err().into_partial().unwrap();
/// assert_eq!(partial.choices[0].message.content.as_deref(), Some("Hi"));
/// ```
#[derive(Clone)]
pub struct Error(Box<ErrorImpl>);

#[derive(Clone)]
struct ErrorImpl {
    kind: ErrorKind,
    offset: u64,
    event_index: u64,
    partial: Option<Completion>,
}

/// What went wrong.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An event's data is not valid JSON.
    Json {
        /// The JSON scanner's description of the problem.
        message: &'static str,
    },
    /// Valid JSON, but not of the shape of a chunk (e.g. `"index": "0"`).
    Shape {
        /// The field, as a path (`choices[].index`).
        field: &'static str,
        /// What the field must hold.
        expected: &'static str,
    },
    /// The provider reported an error in the stream (an in-band
    /// `{"error": …}` payload, or an `event: error`).
    Provider(ProviderError),
    /// A configured [`Limits`](crate::Limits) value was exceeded.
    Limit {
        /// Which limit.
        limit: Limit,
        /// Its configured value.
        value: u64,
    },
    /// The stream ended before it was complete: no `[DONE]` and not every
    /// choice finished.
    Truncated {
        /// True when bytes after the last blank line (an event without its
        /// end) were dropped.
        inside_event: bool,
    },
    /// The byte source failed (async adapter).
    Transport(Arc<dyn std::error::Error + Send + Sync>),
}

/// Which limit was exceeded; see [`Limits`](crate::Limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_event_bytes`](crate::Limits::max_event_bytes).
    EventBytes,
    /// [`Limits::max_line_bytes`](crate::Limits::max_line_bytes).
    LineBytes,
    /// [`Limits::max_choices`](crate::Limits::max_choices).
    Choices,
    /// [`Limits::max_tool_calls`](crate::Limits::max_tool_calls).
    ToolCalls,
    /// [`Limits::max_depth`](crate::Limits::max_depth).
    Depth,
    /// [`Limits::max_index`](crate::Limits::max_index).
    Index,
}

impl Limit {
    fn name(self) -> &'static str {
        match self {
            Limit::EventBytes => "max_event_bytes",
            Limit::LineBytes => "max_line_bytes",
            Limit::Choices => "max_choices",
            Limit::ToolCalls => "max_tool_calls",
            Limit::Depth => "max_depth",
            Limit::Index => "max_index",
        }
    }
}

/// An error the provider reported: inside the stream, or as an HTTP error
/// response ([`Error::from_http_response`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ProviderError {
    /// The HTTP status, for an error response.
    pub status: Option<u16>,
    /// The provider's message (cut to 4 KiB).
    pub message: String,
    /// The provider's error type (`error.type`), when given.
    pub kind: Option<String>,
    /// The provider's error code (`error.code`, a string or a number), when
    /// given.
    pub code: Option<String>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, offset: u64, event_index: u64) -> Error {
        Error(Box::new(ErrorImpl {
            kind,
            offset,
            event_index,
            partial: None,
        }))
    }

    /// The error for an HTTP response whose status is not a success: the
    /// provider's message, type and code when the body is an OpenAI-style
    /// error (`{"error": {"message": …, "type": …, "code": …}}`, or the
    /// object itself), else the body's text (cut to 4 KiB).
    ///
    /// Check the status before folding a response body: an error body is not
    /// an event stream, and folding it would only report a truncated stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use streamfold::{Error, ErrorKind};
    ///
    /// let body = br#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#;
    /// let err = Error::from_http_response(429, body);
    /// let ErrorKind::Provider(p) = err.kind() else { unreachable!() };
    /// assert_eq!((p.status, p.message.as_str()), (Some(429), "Rate limit reached"));
    /// assert_eq!(p.code.as_deref(), Some("rate_limit_exceeded"));
    /// assert_eq!(err.to_string(), "provider error (HTTP 429): Rate limit reached (type requests) (code rate_limit_exceeded) (event 0, byte 0)");
    /// ```
    pub fn from_http_response(status: u16, body: &[u8]) -> Error {
        let mut p = crate::protocol::openai_chat::error_body(body);
        p.status = Some(status);
        Error::new(ErrorKind::Provider(p), 0, 0)
    }

    pub(crate) fn limit(limit: Limit, value: u64, offset: u64, event_index: u64) -> Error {
        Error::new(ErrorKind::Limit { limit, value }, offset, event_index)
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Absolute byte offset in the stream (0-based) where the problem was
    /// found. For JSON and shape errors, the offending byte of the payload;
    /// for limits, the first byte beyond the limit; for truncation, the end
    /// of the stream.
    pub fn offset(&self) -> u64 {
        self.0.offset
    }

    /// Index (0-based) of the SSE event in which the problem lies; for
    /// errors outside any event, the number of events dispatched before.
    pub fn event_index(&self) -> u64 {
        self.0.event_index
    }

    /// The completion reassembled before the error, when the error came from
    /// [`ChatFold::finish`](crate::ChatFold::finish) or the async adapter's
    /// `finish`. (While streaming, ask the fold itself:
    /// [`ChatFold::completion`](crate::ChatFold::completion).)
    pub fn partial(&self) -> Option<&Completion> {
        self.0.partial.as_ref()
    }

    /// Takes the partial completion out of the error.
    pub fn into_partial(self) -> Option<Completion> {
        self.0.partial
    }

    /// True for [`ErrorKind::Truncated`].
    pub fn is_truncation(&self) -> bool {
        matches!(self.0.kind, ErrorKind::Truncated { .. })
    }

    pub(crate) fn with_partial(mut self, partial: Completion) -> Error {
        self.0.partial = Some(partial);
        self
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Json { message } => write!(f, "malformed JSON: {message}"),
            ErrorKind::Shape { field, expected } => {
                write!(f, "unexpected chunk shape: `{field}` must be {expected}")
            }
            ErrorKind::Provider(p) => {
                match p.status {
                    Some(status) => write!(f, "provider error (HTTP {status}): {}", p.message)?,
                    None => write!(f, "provider error: {}", p.message)?,
                }
                if let Some(kind) = &p.kind {
                    write!(f, " (type {kind})")?;
                }
                if let Some(code) = &p.code {
                    write!(f, " (code {code})")?;
                }
                Ok(())
            }
            ErrorKind::Limit { limit, value } => {
                write!(f, "limit exceeded: {} = {value}", limit.name())
            }
            ErrorKind::Truncated { inside_event: true } => write!(
                f,
                "stream ended early: cut inside an event (no [DONE], not every choice finished)"
            ),
            ErrorKind::Truncated {
                inside_event: false,
            } => write!(
                f,
                "stream ended early: no [DONE] and not every choice has a finish_reason"
            ),
            ErrorKind::Transport(e) => {
                // The causes too (a client's "error decoding response body"
                // says little without its "unexpected EOF"), each once.
                let mut text = format!("reading the stream failed: {e}");
                let mut cause = e.source();
                while let Some(c) = cause {
                    let c_text = c.to_string();
                    if !text.contains(&c_text) {
                        text.push_str(": ");
                        text.push_str(&c_text);
                    }
                    cause = c.source();
                }
                f.write_str(&text)
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (event {}, byte {})",
            self.0.kind, self.0.event_index, self.0.offset
        )
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("offset", &self.0.offset)
            .field("event_index", &self.0.event_index)
            .field("has_partial", &self.0.partial.is_some())
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::Transport(e) => Some(&**e),
            _ => None,
        }
    }
}
