//! NDJSON framing (Ollama's native API): JSON values one after another, as a
//! push state machine beside the SSE layer, with the same split invariance,
//! limits and offsets.
//!
//! Advice for hackers. Lines are not what delimits a value: the end of each
//! top-level object (or array) is, found by tracking nesting and strings.
//! So one object a line (NDJSON proper) and a single pretty-printed document
//! (an HTTP error body spread over lines) both split right, whatever the
//! chunking. Between values only whitespace (and one leading BOM) may come.
//! A value is borrowed from the caller's slice when it lies whole in it, and
//! copied otherwise; invalid UTF-8 in it is replaced with U+FFFD, as the SSE
//! layer does, with the replacements recorded so offsets map back to the
//! stream. Every byte is examined once.

use memchr::memchr2;

use crate::error::{Error, ErrorKind};
use crate::limits::{Limit, Limits};
use crate::utf8::{original_position, repair, utf8};

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// One JSON value of the stream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Value<'a> {
    /// Its text (invalid UTF-8 replaced).
    pub data: &'a str,
    /// Its index in the stream (0-based).
    pub index: u64,
    start: u64,
    repairs: &'a [(usize, usize)],
    borrowed: bool,
}

impl Value<'_> {
    /// The absolute stream offset of byte `pos` of [`Value::data`].
    pub fn stream_offset(&self, pos: usize) -> u64 {
        self.start + original_position(self.repairs, pos) as u64
    }

    /// The stream offset of the first byte that was not UTF-8, if any.
    pub fn first_invalid_utf8(&self) -> Option<u64> {
        let &(pos, _) = self.repairs.first()?;
        Some(self.stream_offset(pos))
    }

    /// True when the text lies whole in the slice of the call that returned
    /// it.
    pub fn is_borrowed(&self) -> bool {
        self.borrowed
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between values (whitespace allowed).
    Between,
    /// Inside a value, outside strings.
    Value,
    /// Inside a string of a value.
    Str,
    /// Just after a backslash inside a string.
    Escape,
}

/// The NDJSON push splitter.
#[derive(Debug, Clone)]
pub(crate) struct Splitter {
    max_bytes: usize,
    /// Absolute offset of the next byte to read.
    offset: u64,
    bom: usize,
    bom_done: bool,
    state: State,
    depth: u64,
    /// Where the value in progress began.
    start: u64,
    /// Its bytes so far, when it did not begin in the current slice.
    buf: Vec<u8>,
    /// Its length so far.
    len: usize,
    text: String,
    repairs: Vec<(usize, usize)>,
    index: u64,
    dispatched: bool,
    failed: Option<Error>,
}

impl Splitter {
    pub fn new(limits: &Limits) -> Splitter {
        Splitter {
            max_bytes: limits.event_bytes(),
            offset: 0,
            bom: 0,
            bom_done: false,
            state: State::Between,
            depth: 0,
            start: 0,
            buf: Vec::new(),
            len: 0,
            text: String::new(),
            repairs: Vec::new(),
            index: 0,
            dispatched: false,
            failed: None,
        }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Values dispatched so far.
    pub fn values_dispatched(&self) -> u64 {
        self.index
    }

    /// True when the input ended inside a value.
    pub fn finish(&self) -> bool {
        self.state != State::Between || (!self.bom_done && self.bom > 0)
    }

    fn fail(&mut self, kind: ErrorKind, offset: u64) -> Error {
        let e = Error::new(kind, offset, self.index);
        self.failed = Some(e.clone());
        e
    }

    /// Reads from `input`, advancing it past what was consumed, up to and
    /// including the next complete value; `None` once `input` is used up.
    ///
    /// # Errors
    ///
    /// A byte between values that is not whitespace and cannot start an
    /// object or array; a value larger than [`Limits::max_event_bytes`].
    /// Fused: later calls return the same error.
    pub fn next<'s, 'b: 's>(
        &'s mut self,
        input: &mut &'b [u8],
    ) -> Result<Option<Value<'s>>, Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.dispatched {
            self.dispatched = false;
            self.buf.clear();
            self.repairs.clear();
            self.len = 0;
        }
        let buf: &'b [u8] = input;
        let mut i = 0;
        // The leading BOM (possibly split across slices).
        while !self.bom_done && i < buf.len() {
            if buf[i] == BOM[self.bom] {
                self.bom += 1;
                i += 1;
                if self.bom == BOM.len() {
                    self.bom_done = true;
                }
            } else if self.bom == 0 {
                self.bom_done = true;
            } else {
                let at = self.offset + i as u64;
                return Err(self.fail(
                    ErrorKind::Json {
                        message: "expected a JSON object",
                    },
                    at,
                ));
            }
        }
        let mut value_begin = if self.state == State::Between {
            None
        } else {
            Some(0)
        };
        while i < buf.len() {
            match self.state {
                State::Between => match buf[i] {
                    b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                    b'{' | b'[' => {
                        self.state = State::Value;
                        self.depth = 1;
                        self.start = self.offset + i as u64;
                        value_begin = Some(i);
                        i += 1;
                    }
                    _ => {
                        let at = self.offset + i as u64;
                        self.offset += i as u64;
                        *input = &buf[i..];
                        return Err(self.fail(
                            ErrorKind::Json {
                                message: "expected a JSON object",
                            },
                            at,
                        ));
                    }
                },
                State::Str => match memchr2(b'"', b'\\', &buf[i..]) {
                    None => i = buf.len(),
                    Some(k) => {
                        i += k;
                        self.state = if buf[i] == b'"' {
                            State::Value
                        } else {
                            State::Escape
                        };
                        i += 1;
                    }
                },
                State::Escape => {
                    self.state = State::Str;
                    i += 1;
                }
                State::Value => {
                    let b = buf[i];
                    i += 1;
                    match b {
                        b'"' => self.state = State::Str,
                        b'{' | b'[' => self.depth += 1,
                        b'}' | b']' => {
                            self.depth -= 1;
                            if self.depth == 0 {
                                let begin = value_begin.unwrap_or(0);
                                return self.complete(buf, begin, i, input);
                            }
                        }
                        _ => {}
                    }
                }
            }
            // The limit, checked as the value grows.
            if let Some(begin) = value_begin {
                if self.len + (i - begin) > self.max_bytes {
                    let at = self.start + self.max_bytes as u64;
                    self.offset += i as u64;
                    *input = &buf[buf.len()..];
                    return Err(self.fail(
                        ErrorKind::Limit {
                            limit: Limit::EventBytes,
                            value: self.max_bytes as u64,
                        },
                        at,
                    ));
                }
            }
        }
        // The slice ended inside a value: keep its bytes.
        if let Some(begin) = value_begin {
            self.buf.extend_from_slice(&buf[begin..]);
            self.len += buf.len() - begin;
        }
        self.offset += buf.len() as u64;
        *input = &buf[buf.len()..];
        Ok(None)
    }

    /// The value ending at `end` of `buf` is complete.
    fn complete<'s, 'b: 's>(
        &'s mut self,
        buf: &'b [u8],
        begin: usize,
        end: usize,
        input: &mut &'b [u8],
    ) -> Result<Option<Value<'s>>, Error> {
        self.state = State::Between;
        self.offset += end as u64;
        *input = &buf[end..];
        self.dispatched = true;
        let index = self.index;
        self.index += 1;
        let mut borrowed = false;
        let data: &'s str = if self.buf.is_empty() {
            match utf8(&buf[begin..end]) {
                Some(text) => {
                    borrowed = true;
                    text
                }
                None => {
                    self.text.clear();
                    repair(&mut self.text, &buf[begin..end], &mut self.repairs);
                    &self.text
                }
            }
        } else {
            self.buf.extend_from_slice(&buf[..end]);
            self.text.clear();
            match std::str::from_utf8(&self.buf) {
                Ok(t) => self.text.push_str(t),
                Err(_) => repair(&mut self.text, &self.buf, &mut self.repairs),
            }
            &self.text
        };
        Ok(Some(Value {
            data,
            index,
            start: self.start,
            repairs: &self.repairs,
            borrowed,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(pieces: &[&[u8]]) -> (Vec<(String, u64)>, Option<String>) {
        let mut s = Splitter::new(&Limits::default());
        let mut out = Vec::new();
        for piece in pieces {
            let mut rest = *piece;
            loop {
                match s.next(&mut rest) {
                    Ok(Some(v)) => out.push((v.data.to_string(), v.stream_offset(0))),
                    Ok(None) => break,
                    Err(e) => return (out, Some(e.to_string())),
                }
            }
        }
        (out, None)
    }

    #[test]
    fn values_split_the_same_in_any_chunking() {
        let text: &[u8] = b"\xEF\xBB\xBF{\"a\":\"}{\\\"\"}\n{\"b\":[1,{\"c\":2}]}\r\n  {\n  \"e\": \"\xC3\xA9\"\n}\n";
        let whole = split(&[text]);
        assert_eq!(
            whole.0,
            [
                ("{\"a\":\"}{\\\"\"}".to_string(), 3),
                ("{\"b\":[1,{\"c\":2}]}".to_string(), 16),
                ("{\n  \"e\": \"é\"\n}".to_string(), 37),
            ]
        );
        assert_eq!(whole.1, None);
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(split(&bytes), whole);
        for cut in 0..text.len() {
            assert_eq!(split(&[&text[..cut], &text[cut..]]), whole, "cut at {cut}");
        }
    }

    #[test]
    fn a_stray_byte_between_values_is_an_error_at_its_offset() {
        let (values, err) = split(&[b"{\"a\":1}\ndata: x\n"]);
        assert_eq!(values.len(), 1);
        assert_eq!(
            err.as_deref(),
            Some("malformed JSON: expected a JSON object (event 1, byte 8)")
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_and_offsets_map_back() {
        let mut s = Splitter::new(&Limits::default());
        let mut rest: &[u8] = b"  {\"a\":\"\xFF\",\"b\":1}";
        let v = s.next(&mut rest).unwrap().unwrap();
        assert_eq!(v.data, "{\"a\":\"\u{FFFD}\",\"b\":1}");
        assert_eq!(v.first_invalid_utf8(), Some(8));
        // Inside the replacement (data 6..9): the invalid byte.
        assert_eq!(v.stream_offset(7), 8);
        // `"` after it: data position 9, stream offset 2 + 7 (one byte
        // replaced by three).
        let mut rest: &[u8] = b"{\"a\":\"\xFF\xFF\",\"b\":1}";
        let mut s = Splitter::new(&Limits::default());
        let v = s.next(&mut rest).unwrap().unwrap();
        assert_eq!(&v.data[12..13], "\"");
        assert_eq!(v.stream_offset(12), 8);
    }

    #[test]
    fn a_value_over_the_limit_is_refused_as_it_grows() {
        let mut s = Splitter::new(&Limits::default().max_event_bytes(16));
        let mut rest: &[u8] = b"{\"a\":\"0123456789abcdef\"}";
        let e = s.next(&mut rest).unwrap_err();
        assert!(matches!(
            e.kind(),
            ErrorKind::Limit {
                limit: Limit::EventBytes,
                ..
            }
        ));
        assert_eq!(e.offset(), 16);
    }
}
