//! The WHATWG "parse an event stream" algorithm as a push state machine.
//!
//! Advice for hackers. The caller hands in byte slices of any size; the
//! parser consumes them and returns one [`Item`] at a time (an event, or a
//! new reconnection time), or `None` once the slice is used up. State lives
//! at two levels:
//!
//! * the *line* being read ([`Line`]): at its start, in the field name, just
//!   after the colon (one space may still be dropped), or in the value. A
//!   slice may end anywhere, even between a CR and its LF (`after_cr`) or
//!   inside the leading BOM (`bom`).
//! * the *block* (event) being built: the data lines, the event type, and
//!   whether it has any content yet (`block_dirty`, for the truncation
//!   verdict).
//!
//! Every byte is examined once. Line ends are found with `memchr2`; a line
//! cut by the end of a slice is not kept and rescanned, its pieces go
//! straight to where they belong (the data buffer, a short value buffer, or
//! nowhere for comments and unknown fields). Event data is borrowed from the
//! caller's slice when the event has one data line that lies whole in it, and
//! copied into `data` otherwise (several data lines, or a line split across
//! slices). Decoding is per field value, which gives the same text as decoding
//! the whole stream first (the spec's order): line ends and colons are ASCII,
//! so no UTF-8 sequence spans them.
//!
//! Spec steps are quoted where they are implemented.

use memchr::{memchr, memchr2};

use crate::utf8::{repair, utf8};

use crate::error::Error;
use crate::limits::{Limit, Limits};

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// The largest event data the parser can hand on (positions in it fit in 31
/// bits downstream).
const MAX_EVENT: usize = (1 << 31) - 1;

/// Where in the current line the parser is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// Nothing of the line seen yet.
    Start,
    /// In the field name (no colon yet); the name so far is in `name`.
    Name,
    /// Just after the colon: "If value starts with a U+0020 SPACE
    /// character, remove it from value."
    ValueStart(Field),
    /// In the value.
    Value(Field),
}

/// The field a line sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Data,
    Event,
    Id,
    Retry,
    /// Comments and unknown field names: "The field is ignored."
    Ignore,
}

/// One result of parsing: an event, or a new reconnection time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item<'a> {
    /// A dispatched event.
    Event(Event<'a>),
    /// A `retry` field with a valid value was read: the reconnection time,
    /// in milliseconds, is now this. (Values too large for `u64` saturate.)
    Retry(u64),
}

/// A dispatched SSE event.
///
/// Its strings borrow the caller's input (when the data lay whole in the last
/// pushed slice) or the parser's buffers; they live until the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// The event type: the last `event` field's value, or `"message"`.
    pub event: &'a str,
    /// The data lines joined with LF, invalid UTF-8 replaced by U+FFFD.
    pub data: &'a str,
    /// The last event ID at dispatch (persists across events; `""` if none).
    pub id: &'a str,
    /// The event's index in the stream (0-based).
    pub index: u64,
    /// (position in `data`, stream offset) where each data line starts.
    lines: &'a [(usize, u64)],
    /// Where invalid UTF-8 was replaced: (position in `data`, position in
    /// the original bytes), at the start and after the end of each U+FFFD.
    repairs: &'a [(usize, usize)],
    /// The data borrows the caller's slice.
    borrowed: bool,
}

impl Event<'_> {
    /// The absolute stream offset of byte `pos` of [`Event::data`] (a
    /// position inside a replacement character maps to the invalid bytes it
    /// replaced).
    pub fn stream_offset(&self, pos: usize) -> u64 {
        let pos = self.original_position(pos);
        let i = self.lines.partition_point(|&(p, _)| p <= pos);
        match i.checked_sub(1).and_then(|i| self.lines.get(i)) {
            Some(&(p, off)) => off + (pos - p) as u64,
            None => 0,
        }
    }
}

impl Event<'_> {
    /// The stream offset of the first byte that was not UTF-8 (and was
    /// replaced with U+FFFD), if any.
    pub fn first_invalid_utf8(&self) -> Option<u64> {
        let &(pos, _) = self.repairs.first()?;
        Some(self.stream_offset(pos))
    }

    /// True when the data lies whole in the slice passed to the
    /// [`Parser::next`] call that returned the event (borrowed, not copied).
    pub fn is_borrowed(&self) -> bool {
        self.borrowed
    }

    /// Maps a position in the (repaired) data to the original data bytes.
    fn original_position(&self, pos: usize) -> usize {
        crate::utf8::original_position(self.repairs, pos)
    }
}

/// What the stream left behind at its end (see [`Parser::finish`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct End<'a> {
    /// The last event ID string: what a reconnection would send as
    /// `Last-Event-ID` (`""` for none).
    pub last_event_id: &'a str,
    /// The reconnection time set by the stream, in milliseconds, if any.
    pub retry_ms: Option<u64>,
    /// True when bytes after the last blank line (other than comments) were
    /// discarded: the stream was cut inside an event.
    pub truncated_event: bool,
}

/// The SSE push parser.
///
/// # Examples
///
/// ```
/// use streamfold::sse::{Item, Parser};
///
/// let mut parser = Parser::new();
/// let mut seen = Vec::new();
/// for piece in [&b"data: hel"[..], b"lo\r", b"\nid: 7\n\n: ping\n"] {
///     let mut rest = piece;
///     while let Some(item) = parser.next(&mut rest).unwrap() {
///         if let Item::Event(ev) = item {
///             seen.push((ev.data.to_string(), ev.id.to_string()));
///         }
///     }
/// }
/// assert_eq!(seen, [("hello".to_string(), "7".to_string())]);
/// assert_eq!(parser.finish().last_event_id, "7");
/// ```
#[derive(Debug, Clone)]
pub struct Parser {
    max_event_bytes: usize,
    max_line_bytes: usize,
    /// Absolute offset of the first byte of the slice being parsed.
    offset: u64,
    /// Leading BOM bytes matched so far (0..=3), until `bom_done`.
    bom: usize,
    bom_done: bool,
    /// The previous slice ended with a CR that ended a line: skip one LF.
    after_cr: bool,
    line: Line,
    /// Absolute offset where the current line began.
    line_start: u64,
    /// Bytes of the current line so far.
    line_len: usize,
    /// The field name so far, when it can still be a known one.
    name: [u8; 5],
    name_len: usize,
    name_overflow: bool,
    /// Non-comment content since the last blank line.
    block_dirty: bool,
    /// Data assembled in the parser (when not borrowed).
    data: Vec<u8>,
    /// The data of the dispatched event, once validated as UTF-8.
    data_text: String,
    /// The event's single data line, borrowed from the current slice.
    borrowed: Option<(usize, usize)>,
    data_lines: usize,
    /// The current data line's value began in the current segment.
    data_fresh: bool,
    lines: Vec<(usize, u64)>,
    /// Where the dispatched event's data was repaired (see [`Event`]).
    repairs: Vec<(usize, usize)>,
    /// Value of an `event`, `id` or `retry` line being read.
    value: Vec<u8>,
    event_type: Vec<u8>,
    type_text: String,
    id_buffer: Vec<u8>,
    id_changed: bool,
    last_event_id: String,
    retry: Option<u64>,
    /// An event was returned; its block is cleared on the next call.
    dispatched: bool,
    event_index: u64,
    /// The error that stopped the parser: every later call returns it.
    failed: Option<Error>,
}

impl Default for Parser {
    fn default() -> Self {
        Parser::new()
    }
}

/// What the segment machine decided.
enum Step {
    Continue,
    Dispatch,
    Retry(u64),
}

impl Parser {
    /// A parser with the default limits.
    pub fn new() -> Parser {
        Parser::with_limits(Limits::default())
    }

    /// A parser refusing events whose data exceeds
    /// [`Limits::max_event_bytes`] and non-data lines longer than
    /// [`Limits::max_line_bytes`] (the other limits are the protocol
    /// layer's).
    ///
    /// Event data is at most 2 GiB − 1 whatever the limit says, and the line
    /// limit is at least 16 bytes (a field name's length: a `data` line's
    /// name must never hit it).
    pub fn with_limits(limits: Limits) -> Parser {
        Parser {
            max_event_bytes: limits.event_bytes().min(MAX_EVENT),
            max_line_bytes: limits.line_bytes(),
            offset: 0,
            bom: 0,
            bom_done: false,
            after_cr: false,
            line: Line::Start,
            line_start: 0,
            line_len: 0,
            name: [0; 5],
            name_len: 0,
            name_overflow: false,
            block_dirty: false,
            data: Vec::new(),
            data_text: String::new(),
            borrowed: None,
            data_lines: 0,
            data_fresh: false,
            lines: Vec::new(),
            repairs: Vec::new(),
            value: Vec::new(),
            event_type: Vec::new(),
            type_text: String::new(),
            id_buffer: Vec::new(),
            id_changed: false,
            last_event_id: String::new(),
            retry: None,
            dispatched: false,
            event_index: 0,
            failed: None,
        }
    }

    /// Bytes consumed so far: the absolute offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Number of events dispatched so far.
    pub fn events_dispatched(&self) -> u64 {
        self.event_index
    }

    /// The last event ID string so far.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The reconnection time set so far, in milliseconds.
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry
    }

    /// Parses from `input`, advancing it past what was consumed, up to and
    /// including the next item. Returns `None` once `input` is used up
    /// (everything consumed; a partial line or event is kept for the next
    /// slice).
    ///
    /// Cost: linear in the bytes consumed; the only copies are data that is
    /// not contiguous in one slice and short `event`/`id`/`retry` values.
    ///
    /// # Errors
    ///
    /// [`Limit::EventBytes`] or [`Limit::LineBytes`], with the offset of the
    /// first byte past the limit. The parser is fused: every later call
    /// returns the same error and consumes nothing, so no event is
    /// dispatched from a stream it refused.
    pub fn next<'s, 'b: 's>(&'s mut self, input: &mut &'b [u8]) -> Result<Option<Item<'s>>, Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.dispatched {
            self.clear_block();
        }
        let buf: &'b [u8] = input;
        let mut pos = 0;
        let step = self.run(buf, &mut pos);
        *input = &buf[pos..];
        self.offset += pos as u64;
        match step {
            Err(e) => {
                self.failed = Some(e.clone());
                Err(e)
            }
            Ok(None) => Ok(None),
            Ok(Some(Step::Retry(ms))) => Ok(Some(Item::Retry(ms))),
            Ok(Some(Step::Continue)) => Ok(None),
            Ok(Some(Step::Dispatch)) => Ok(Some(Item::Event(self.dispatch(buf)))),
        }
    }

    /// Signals the end of input and reports what was left. "Once the end of
    /// the file is reached, any pending data must be discarded."
    pub fn finish(&mut self) -> End<'_> {
        if self.dispatched {
            self.clear_block();
        }
        End {
            last_event_id: &self.last_event_id,
            retry_ms: self.retry,
            truncated_event: self.block_dirty || (!self.bom_done && self.bom > 0),
        }
    }

    fn clear_block(&mut self) {
        if self.data_text.capacity() != 0 {
            // The data was assembled (or repaired): keep the larger of the
            // two buffers for the next event.
            let mut text = std::mem::take(&mut self.data_text).into_bytes();
            if text.capacity() > self.data.capacity() {
                std::mem::swap(&mut text, &mut self.data);
            }
        }
        self.data.clear();
        self.borrowed = None;
        self.data_lines = 0;
        self.lines.clear();
        self.repairs.clear();
        self.event_type.clear();
        self.dispatched = false;
    }

    /// Consumes `buf` from `*pos` until an item is ready or `buf` is used up.
    fn run(&mut self, buf: &[u8], pos: &mut usize) -> Result<Option<Step>, Error> {
        if !self.bom_done {
            // "The UTF-8 decode algorithm strips one leading UTF-8 Byte Order
            // Mark (BOM), if any."
            while let Some(&b) = buf.get(*pos) {
                if b == BOM[self.bom] {
                    self.bom += 1;
                    *pos += 1;
                    if self.bom == 3 {
                        self.bom_done = true;
                        break;
                    }
                } else {
                    self.bom_done = true;
                    if self.bom > 0 {
                        // The bytes held were not a BOM: they begin a line
                        // (and cannot name a known field).
                        self.line = Line::Name;
                        self.line_start = 0;
                        self.line_len = self.bom;
                        self.name_overflow = true;
                        self.block_dirty = true;
                    }
                    break;
                }
            }
            if !self.bom_done {
                return Ok(None);
            }
        }
        if self.after_cr && *pos < buf.len() {
            // "a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF) character
            // pair" is one line end, even split across slices.
            if buf[*pos] == b'\n' {
                *pos += 1;
            }
            self.after_cr = false;
        }
        if self.line == Line::Value(Field::Data)
            && *pos < buf.len()
            && line_end(&buf[*pos..]).is_none()
        {
            // Inside a data value and no line end in sight (a long event
            // arriving in pieces): all of it is data.
            let (s, e) = (*pos, buf.len());
            let before = self.data.len();
            self.check_event(before + (e - s), self.offset + s as u64, before)?;
            append(&mut self.data, &buf[s..e]);
            self.data_fresh = false;
            *pos = e;
            return Ok(None);
        }
        while *pos < buf.len() {
            if let Some(step) = self.fast_event(buf, pos) {
                return Ok(Some(step));
            }
            let rest = &buf[*pos..];
            let (len, eol) = match line_end(rest) {
                Some(i) if rest[i] == b'\r' => match rest.get(i + 1) {
                    Some(b'\n') => (i, Some(2)),
                    Some(_) => (i, Some(1)),
                    None => {
                        self.after_cr = true;
                        (i, Some(1))
                    }
                },
                Some(i) => (i, Some(1)),
                None => (rest.len(), None),
            };
            let step = self.segment(buf, *pos, len, eol.is_some())?;
            *pos += len + eol.unwrap_or(0);
            match step {
                Step::Continue => {}
                Step::Dispatch => return Ok(Some(Step::Dispatch)),
                Step::Retry(ms) => {
                    // The caller may not come back with the rest of this
                    // slice: keep what the event borrowed from it.
                    if let Some((s, e)) = self.borrowed.take() {
                        self.data.extend_from_slice(&buf[s..e]);
                    }
                    return Ok(Some(Step::Retry(ms)));
                }
            }
        }
        // The slice is used up: data borrowed from it must be kept.
        if let Some((s, e)) = self.borrowed.take() {
            self.data.extend_from_slice(&buf[s..e]);
        }
        Ok(None)
    }

    /// The common case in one step: at the start of a block with no data
    /// yet, a `data:` line followed at once by a blank line, both whole in
    /// `buf`. Does exactly what the general path does for those two lines
    /// (and leaves everything else to it, returning `None`).
    #[inline]
    fn fast_event(&mut self, buf: &[u8], pos: &mut usize) -> Option<Step> {
        if self.line != Line::Start || self.data_lines != 0 {
            return None;
        }
        let rest = buf.get(*pos..)?;
        let value = rest.strip_prefix(b"data:")?;
        let end = line_end(value)?;
        // The data line's end, then the blank line's, both decided in `buf`
        // (a CR as the last byte could still be followed by an LF).
        let eol = |at: usize| -> Option<usize> {
            match (value.get(at)?, value.get(at + 1)) {
                (b'\n', _) => Some(1),
                (b'\r', Some(b'\n')) => Some(2),
                (b'\r', Some(_)) => Some(1),
                _ => None,
            }
        };
        let first = eol(end)?;
        let blank = eol(end + first)?;
        let skip = usize::from(value.first() == Some(&b' '));
        let start = *pos + 5 + skip;
        let len = end.saturating_sub(skip);
        if len > self.max_event_bytes {
            return None;
        }
        self.lines.push((0, self.offset + start as u64));
        self.data_lines = 1;
        self.borrowed = Some((start, start + len));
        *pos += 5 + end + first + blank;
        Some(self.blank_line())
    }

    /// Feeds the piece `buf[start..start + len]` of the current line; the
    /// line ends after it when `complete`.
    fn segment(
        &mut self,
        buf: &[u8],
        start: usize,
        len: usize,
        complete: bool,
    ) -> Result<Step, Error> {
        let seg = &buf[start..start + len];
        let seg_abs = self.offset + start as u64;
        let mut p = 0;
        if self.line == Line::Start {
            if len == 0 {
                if complete {
                    // "If the line is empty (a blank line): Dispatch the event."
                    return Ok(self.blank_line());
                }
                return Ok(Step::Continue);
            }
            self.line_start = seg_abs;
            self.line_len = 0;
            if seg[0] == b':' {
                // "If the line starts with a U+003A COLON character (:):
                // Ignore the line."
                self.line = Line::Value(Field::Ignore);
            } else {
                self.line = Line::Name;
                self.name_len = 0;
                self.name_overflow = false;
                self.block_dirty = true;
            }
        }
        if self.line == Line::Name {
            // "If the line contains a U+003A COLON character (:): Collect the
            // characters on the line before the first U+003A COLON character
            // (:), and let field be that string. Collect the characters on
            // the line after the first U+003A COLON character (:), and let
            // value be that string."
            let colon = memchr(b':', seg);
            let name_end = colon.unwrap_or(len);
            self.push_name(&seg[..name_end]);
            self.count_line(name_end + colon.map_or(0, |_| 1), Field::Ignore)?;
            match colon {
                Some(i) => {
                    p = i + 1;
                    self.line = Line::ValueStart(self.field_of_name());
                }
                None if complete => {
                    // "Otherwise, the string is not empty but does not
                    // contain a U+003A COLON character (:): Process the field
                    // using the whole line as the field name, and the empty
                    // string as the field value."
                    let field = self.field_of_name();
                    self.begin_value(field, buf, seg_abs + len as u64)?;
                    return self.end_line(field);
                }
                None => return Ok(Step::Continue),
            }
        }
        if let Line::ValueStart(field) = self.line {
            if p < len {
                if seg[p] == b' ' {
                    p += 1;
                    self.count_line(1, field)?;
                }
            } else if !complete {
                return Ok(Step::Continue);
            }
            self.line = Line::Value(field);
            self.begin_value(field, buf, seg_abs + p as u64)?;
        }
        if let Line::Value(field) = self.line {
            self.append_value(field, buf, start + p, start + len, complete)?;
            if complete {
                return self.end_line(field);
            }
        }
        Ok(Step::Continue)
    }

    fn push_name(&mut self, bytes: &[u8]) {
        if self.name_overflow {
            return;
        }
        if self.name_len + bytes.len() > self.name.len() {
            self.name_overflow = true;
            return;
        }
        self.name[self.name_len..self.name_len + bytes.len()].copy_from_slice(bytes);
        self.name_len += bytes.len();
    }

    fn field_of_name(&self) -> Field {
        if self.name_overflow {
            return Field::Ignore;
        }
        match &self.name[..self.name_len] {
            b"data" => Field::Data,
            b"event" => Field::Event,
            b"id" => Field::Id,
            b"retry" => Field::Retry,
            _ => Field::Ignore,
        }
    }

    /// Counts `n` more bytes of the current line against the line limit
    /// (data lines are bounded by the event limit instead).
    #[inline]
    fn count_line(&mut self, n: usize, field: Field) -> Result<(), Error> {
        self.line_len += n;
        if field != Field::Data && self.line_len > self.max_line_bytes {
            return Err(Error::limit(
                Limit::LineBytes,
                self.max_line_bytes as u64,
                self.line_start + self.max_line_bytes as u64,
                self.event_index,
            ));
        }
        Ok(())
    }

    fn data_len(&self) -> usize {
        match self.borrowed {
            Some((s, e)) => e - s,
            None => self.data.len(),
        }
    }

    fn begin_value(&mut self, field: Field, buf: &[u8], abs: u64) -> Result<(), Error> {
        match field {
            Field::Data => {
                // "Append the field value to the data buffer, then append a
                // single U+000A LINE FEED (LF) character to the data buffer."
                // Joining lines with LF is the same once the last LF is
                // removed at dispatch.
                if self.data_lines > 0 {
                    let before = self.data_len();
                    self.check_event(before + 1, abs, before)?;
                    if let Some((s, e)) = self.borrowed.take() {
                        self.data.extend_from_slice(&buf[s..e]);
                    }
                    self.data.push(b'\n');
                }
                self.data_lines += 1;
                self.lines.push((self.data.len(), abs));
                self.data_fresh = true;
            }
            Field::Event | Field::Id | Field::Retry => self.value.clear(),
            Field::Ignore => {}
        }
        Ok(())
    }

    /// Checks that `new_len` bytes of data fit, the new ones starting at
    /// stream offset `abs` after `before` bytes; on failure the offset is
    /// that of the first byte beyond the limit.
    #[inline]
    fn check_event(&self, new_len: usize, abs: u64, before: usize) -> Result<(), Error> {
        if new_len > self.max_event_bytes {
            let over = self.max_event_bytes.saturating_sub(before) as u64;
            return Err(Error::limit(
                Limit::EventBytes,
                self.max_event_bytes as u64,
                abs + over,
                self.event_index,
            ));
        }
        Ok(())
    }

    fn append_value(
        &mut self,
        field: Field,
        buf: &[u8],
        s: usize,
        e: usize,
        complete: bool,
    ) -> Result<(), Error> {
        let n = e - s;
        match field {
            Field::Data => {
                let before = self.data_len();
                self.check_event(before + n, self.offset + s as u64, before)?;
                if self.data_fresh && complete && self.data_lines == 1 && self.data.is_empty() {
                    self.borrowed = Some((s, e));
                } else {
                    if let Some((bs, be)) = self.borrowed.take() {
                        self.data.extend_from_slice(&buf[bs..be]);
                    }
                    append(&mut self.data, &buf[s..e]);
                }
                self.data_fresh = false;
            }
            Field::Event | Field::Id | Field::Retry => {
                self.count_line(n, field)?;
                self.value.extend_from_slice(&buf[s..e]);
            }
            Field::Ignore => self.count_line(n, field)?,
        }
        Ok(())
    }

    fn end_line(&mut self, field: Field) -> Result<Step, Error> {
        self.line = Line::Start;
        Ok(match field {
            Field::Event => {
                // "Set the event type buffer to field value."
                std::mem::swap(&mut self.event_type, &mut self.value);
                Step::Continue
            }
            Field::Id => {
                // "If the field value does not contain U+0000 NULL, then set
                // the last event ID buffer to the field value. Otherwise,
                // ignore the field."
                if !self.value.contains(&0) {
                    std::mem::swap(&mut self.id_buffer, &mut self.value);
                    self.id_changed = true;
                }
                Step::Continue
            }
            Field::Retry => {
                // "If the field value consists of only ASCII digits, then
                // interpret the field value as an integer in base ten, and set
                // the event stream's reconnection time to that integer.
                // Otherwise, ignore the field." (An empty value holds no
                // integer: ignored.)
                if !self.value.is_empty() && self.value.iter().all(u8::is_ascii_digit) {
                    let ms = self.value.iter().fold(0u64, |acc, d| {
                        acc.saturating_mul(10).saturating_add((d - b'0') as u64)
                    });
                    self.retry = Some(ms);
                    Step::Retry(ms)
                } else {
                    Step::Continue
                }
            }
            Field::Data | Field::Ignore => Step::Continue,
        })
    }

    fn blank_line(&mut self) -> Step {
        // "Set the last event ID string of the event source to the value of
        // the last event ID buffer."
        if self.id_changed {
            self.last_event_id.clear();
            push_lossy(&mut self.last_event_id, &self.id_buffer);
            self.id_changed = false;
        }
        self.block_dirty = false;
        // "If the data buffer is an empty string, set the data buffer and the
        // event type buffer to the empty string and return."
        if self.data_lines == 0 {
            self.event_type.clear();
            return Step::Continue;
        }
        Step::Dispatch
    }

    /// Builds the dispatched event (the block is cleared on the next call).
    fn dispatch<'s, 'b: 's>(&'s mut self, buf: &'b [u8]) -> Event<'s> {
        self.dispatched = true;
        let index = self.event_index;
        self.event_index += 1;
        if !self.event_type.is_empty() {
            self.type_text.clear();
            push_lossy(&mut self.type_text, &self.event_type);
        }
        let mut borrowed = false;
        let data: &'s str = match self.borrowed {
            Some((s, e)) => match utf8(&buf[s..e]) {
                Some(text) => {
                    borrowed = true;
                    text
                }
                None => {
                    self.data_text.clear();
                    repair(&mut self.data_text, &buf[s..e], &mut self.repairs);
                    &self.data_text
                }
            },
            None => {
                let bytes = std::mem::take(&mut self.data);
                self.data_text = match String::from_utf8(bytes) {
                    Ok(text) => text,
                    Err(e) => {
                        let bytes = e.into_bytes();
                        let mut text = String::with_capacity(bytes.len());
                        repair(&mut text, &bytes, &mut self.repairs);
                        self.data = bytes;
                        text
                    }
                };
                &self.data_text
            }
        };
        Event {
            event: if self.event_type.is_empty() {
                "message"
            } else {
                &self.type_text
            },
            data,
            id: &self.last_event_id,
            index,
            lines: &self.lines,
            repairs: &self.repairs,
            borrowed,
        }
    }
}

/// The first CR or LF: a plain loop for the short slices of byte-by-byte
/// feeding (where a call into `memchr` costs more than the search).
#[inline(always)]
fn line_end(bytes: &[u8]) -> Option<usize> {
    if bytes.len() < 16 {
        return bytes.iter().position(|&b| b == b'\n' || b == b'\r');
    }
    memchr2(b'\n', b'\r', bytes)
}

/// `extend_from_slice`, without a call to `memcpy` for a few bytes.
#[inline(always)]
fn append(buf: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.len() < 8 {
        buf.extend(bytes.iter().copied());
    } else {
        buf.extend_from_slice(bytes);
    }
}

/// Appends `bytes` decoded as UTF-8, each maximal invalid subpart replaced
/// by U+FFFD (the Encoding standard's "UTF-8 decode").
fn push_lossy(out: &mut String, bytes: &[u8]) {
    out.push_str(&String::from_utf8_lossy(bytes));
}
