//! The one error type of every layer, with the position of what went wrong.

use std::fmt;
use std::sync::Arc;

use crate::final_object::Final;
use crate::format::Format;
use crate::limits::Limit;
use crate::protocol::ProviderError;

/// Everything that can stop a stream: what went wrong, where, and what had
/// been reassembled until then.
///
/// Small on purpose (one pointer): it sits on the hot path's `Result`s.
/// Positions are the absolute byte offset in the stream (0-based, counting
/// every byte the caller pushed, BOM included) and the index of the SSE event
/// (or NDJSON line; 0-based, counting dispatched events) in which the
/// problem lies.
///
/// `Display` says what and where, once; [`std::error::Error::source`] gives
/// the cause when there is one (the byte source's error, for
/// [`ErrorKind::Transport`]), so reports that print the chain (anyhow, eyre)
/// print each cause once.
///
/// # Examples
///
/// ```
/// use streamfold::{ErrorKind, Fold};
///
/// let mut fold = Fold::new();
/// let events: Vec<_> = fold
///     .push(b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: {oops}\n\n")
///     .collect();
/// let err = events.last().unwrap().as_ref().unwrap_err();
/// assert!(matches!(err.kind(), ErrorKind::Json { .. }));
/// assert_eq!(err.event_index(), 1);
/// assert_eq!(err.offset(), 65); // the `o` of `{oops}`
/// let partial = fold.finish().unwrap_err().into_partial().unwrap();
/// assert_eq!(partial.text(), "Hi");
/// ```
#[derive(Clone)]
pub struct Error(Box<ErrorImpl>);

#[derive(Clone)]
struct ErrorImpl {
    kind: ErrorKind,
    offset: u64,
    event_index: u64,
    partial: Option<Final>,
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
    /// Valid JSON, but not of the shape the format gives it (e.g.
    /// `"index": "0"`).
    Shape {
        /// The field, as a path (`choices[].index`).
        field: &'static str,
        /// What the field must hold.
        expected: &'static str,
    },
    /// The provider reported an error (in the stream, or as an HTTP error
    /// response).
    Provider(ProviderError),
    /// A configured [`Limits`](crate::Limits) value was exceeded.
    Limit {
        /// Which limit.
        limit: Limit,
        /// Its configured value.
        value: u64,
    },
    /// The stream ended before it was complete: no terminator and not every
    /// choice finished.
    Truncated {
        /// True when bytes after the last complete event (an event without
        /// its end) were dropped.
        inside_event: bool,
    },
    /// The first payload is of no format streamfold knows.
    UnknownFormat,
    /// A payload of another format than the stream's.
    WrongFormat {
        /// The stream's format.
        expected: Format,
        /// The format the payload looks like, if any.
        found: Option<Format>,
    },
    /// The byte source failed (async adapter); the cause is the error's
    /// [`source`](std::error::Error::source).
    Transport(Arc<dyn std::error::Error + Send + Sync>),
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
    /// provider's message, type and code when the body is an error in any
    /// provider's shape (OpenAI's `{"error": {"message", "type", "code"}}`,
    /// Anthropic's `{"type": "error", "error": {…}}`, Gemini's `{"error":
    /// {"code", "message", "status"}}`, Ollama's `{"error": "…"}`), else
    /// the body's text (cut to 4 KiB).
    ///
    /// Check the status before folding a response body: an error body is not
    /// an event stream.
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
    /// assert_eq!(err.to_string(), "provider error (HTTP 429): Rate limit reached (type requests, code rate_limit_exceeded)");
    /// ```
    pub fn from_http_response(status: u16, body: &[u8]) -> Error {
        let mut p = crate::protocol::error_body(body);
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

    /// The final object reassembled before the error, when the error came
    /// from [`Fold::finish`](crate::Fold::finish) or the async adapter's
    /// `finish`. (While streaming, ask the fold itself:
    /// [`Fold::snapshot`](crate::Fold::snapshot).)
    pub fn partial(&self) -> Option<&Final> {
        self.0.partial.as_ref()
    }

    /// Takes the partial final object out of the error.
    pub fn into_partial(self) -> Option<Final> {
        self.0.partial
    }

    /// True for [`ErrorKind::Truncated`].
    pub fn is_truncation(&self) -> bool {
        matches!(self.0.kind, ErrorKind::Truncated { .. })
    }

    pub(crate) fn with_partial(mut self, partial: Final) -> Error {
        self.0.partial = Some(partial);
        self
    }

    /// True when the error has no position in the stream (an HTTP error
    /// response).
    fn is_positionless(&self) -> bool {
        matches!(&self.0.kind, ErrorKind::Provider(p) if p.status.is_some())
            && self.0.offset == 0
            && self.0.event_index == 0
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Json { message } => write!(f, "malformed JSON: {message}"),
            ErrorKind::Shape { field, expected } => {
                write!(f, "unexpected payload shape: `{field}` must be {expected}")
            }
            ErrorKind::Provider(p) => {
                match p.status {
                    Some(status) => write!(f, "provider error (HTTP {status}): {}", p.message)?,
                    None => write!(f, "provider error: {}", p.message)?,
                }
                match (&p.kind, &p.code) {
                    (Some(kind), Some(code)) => write!(f, " (type {kind}, code {code})"),
                    (Some(kind), None) => write!(f, " (type {kind})"),
                    (None, Some(code)) => write!(f, " (code {code})"),
                    (None, None) => Ok(()),
                }
            }
            ErrorKind::Limit { limit, value } => {
                write!(f, "limit exceeded: {} = {value}", limit.name())
            }
            ErrorKind::Truncated { inside_event: true } => write!(
                f,
                "stream ended early: cut inside an event (no terminator, not every choice finished)"
            ),
            ErrorKind::Truncated {
                inside_event: false,
            } => write!(
                f,
                "stream ended early: no terminator and not every choice has a finish reason"
            ),
            ErrorKind::UnknownFormat => {
                f.write_str("the first payload is of no known format (")?;
                for (i, row) in crate::protocol::detect::TABLE.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{}: {}", row.format, row.looks_for)?;
                }
                f.write_str(")")
            }
            ErrorKind::WrongFormat { expected, found } => match found {
                Some(found) => write!(f, "a {found} payload in a {expected} stream"),
                None => write!(f, "a payload that is not {expected}"),
            },
            ErrorKind::Transport(_) => f.write_str("reading the stream failed"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_positionless() {
            return write!(f, "{}", self.0.kind);
        }
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
