//! A `tokio_util::codec::Decoder` for the SSE layer.

use bytes::{Buf, BytesMut};
use tokio_util::codec::Decoder;

use crate::error::{Error, ErrorKind};
use crate::limits::Limits;
use crate::sse::{Item, Parser};

/// One SSE event, owned (as a codec must yield).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The event type (`"message"` unless an `event` field set it).
    pub event: String,
    /// The data lines joined with LF.
    pub data: String,
    /// The last event ID at dispatch.
    pub id: String,
    /// The event's index in the stream (0-based).
    pub index: u64,
}

/// Decodes `text/event-stream` bytes into [`SseEvent`]s: the SSE layer as
/// a [`Decoder`], for `FramedRead` over any `AsyncRead`.
///
/// Every byte handed in is consumed at once (the parser keeps what it
/// needs), so `FramedRead`'s buffer never grows past one read.
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use streamfold::codec::SseDecoder;
/// use tokio_util::codec::Decoder;
///
/// let mut decoder = SseDecoder::new();
/// let mut buf = BytesMut::from(&b"retry: 500\ndata: a\n\ndata: b"[..]);
/// let first = decoder.decode(&mut buf)?.unwrap();
/// assert_eq!(first.data, "a");
/// assert_eq!(decoder.decode(&mut buf)?, None); // `data: b` waits for its blank line
/// assert!(buf.is_empty());
/// assert_eq!(decoder.retry_ms(), Some(500));
/// # Ok::<(), streamfold::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct SseDecoder {
    parser: Parser,
    truncated: bool,
}

impl SseDecoder {
    /// A decoder with the default [`Limits`].
    pub fn new() -> SseDecoder {
        SseDecoder::with_limits(Limits::default())
    }

    /// A decoder enforcing `limits.max_event_bytes` and
    /// `limits.max_line_bytes`.
    pub fn with_limits(limits: Limits) -> SseDecoder {
        SseDecoder {
            parser: Parser::with_limits(limits),
            truncated: false,
        }
    }

    /// The last event ID so far.
    pub fn last_event_id(&self) -> &str {
        self.parser.last_event_id()
    }

    /// The reconnection time the stream set, in milliseconds.
    pub fn retry_ms(&self) -> Option<u64> {
        self.parser.retry_ms()
    }

    /// After the end of input: true when the stream was cut inside an event
    /// (which the spec discards).
    pub fn truncated_event(&self) -> bool {
        self.truncated
    }
}

impl Decoder for SseDecoder {
    type Item = SseEvent;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<SseEvent>, Error> {
        let mut rest: &[u8] = src;
        let len = rest.len();
        let mut found = None;
        while let Some(item) = self.parser.next(&mut rest)? {
            if let Item::Event(ev) = item {
                found = Some(SseEvent {
                    event: ev.event.to_string(),
                    data: ev.data.to_string(),
                    id: ev.id.to_string(),
                    index: ev.index,
                });
                break;
            }
        }
        let consumed = len - rest.len();
        src.advance(consumed);
        Ok(found)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<SseEvent>, Error> {
        if let Some(ev) = self.decode(src)? {
            return Ok(Some(ev));
        }
        self.truncated = self.parser.finish().truncated_event;
        Ok(None)
    }
}

impl From<std::io::Error> for Error {
    /// A failure to read the stream ([`ErrorKind::Transport`]; position
    /// unknown: 0).
    fn from(e: std::io::Error) -> Error {
        Error::new(ErrorKind::Transport(std::sync::Arc::new(e)), 0, 0)
    }
}
