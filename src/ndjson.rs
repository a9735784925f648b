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

use crate::error::{Error, ErrorKind};
use crate::json::string::find_string_special;
use crate::limits::{Limit, Limits};
use crate::utf8::{original_position, repair, utf8};

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// The bytes that change the state inside a value, outside its strings.
static STRUCTURAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'{' as usize] = true;
    t[b'}' as usize] = true;
    t[b'[' as usize] = true;
    t[b']' as usize] = true;
    t
};

/// One JSON value of the stream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Value<'a> {
    /// Its text (invalid UTF-8 replaced).
    pub data: &'a str,
    /// Its index in the stream (0-based).
    pub index: u64,
    start: u64,
    repairs: &'a [(usize, usize)],
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

/// Skips a string's contents from `i` (after its opening quote): the
/// position after its closing quote, or the state the slice ends in.
/// Sixteen bytes at a time, with the JSON layer's string scan; control
/// characters are the decoder's concern.
#[inline(always)]
fn skip_string(buf: &[u8], mut i: usize) -> Result<usize, State> {
    loop {
        i = find_string_special(buf, i);
        match buf.get(i) {
            None => return Err(State::Str),
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') if i + 1 == buf.len() => return Err(State::Escape),
            Some(b'\\') => i += 2,
            Some(_) => i += 1,
        }
    }
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
                    b if crate::json::is_whitespace(b) => i += 1,
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
                State::Str => match skip_string(buf, i) {
                    Ok(j) => {
                        self.state = State::Value;
                        i = j;
                    }
                    Err(state) => {
                        self.state = state;
                        i = buf.len();
                    }
                },
                State::Escape => {
                    self.state = State::Str;
                    i += 1;
                }
                State::Value => {
                    // The value's bytes in one loop (strings skipped inline),
                    // until it ends or the slice does; the limit is checked
                    // at its end and below.
                    while i < buf.len() {
                        // Skip what cannot change the state (numbers,
                        // literals, commas, colons, whitespace).
                        while i < buf.len() && !STRUCTURAL[buf[i] as usize] {
                            i += 1;
                        }
                        let Some(&b) = buf.get(i) else {
                            break;
                        };
                        i += 1;
                        match b {
                            b'"' => match skip_string(buf, i) {
                                Ok(j) => i = j,
                                Err(state) => {
                                    self.state = state;
                                    i = buf.len();
                                }
                            },
                            b'{' | b'[' => self.depth += 1,
                            _ => {
                                // `}` or `]`.
                                self.depth -= 1;
                                if self.depth == 0 {
                                    let begin = value_begin.unwrap_or(0);
                                    // The closing byte counts against the
                                    // limit too (checked before the value is
                                    // given out, as every other byte is).
                                    if self.len + (i - begin) <= self.max_bytes {
                                        return self.complete(buf, begin, i, input);
                                    }
                                    break;
                                }
                            }
                        }
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
        let data: &'s str = if self.buf.is_empty() {
            match utf8(&buf[begin..end]) {
                Some(text) => text,
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

    /// Everything a splitter gives for `text` cut into `pieces`: each
    /// value's text, stream offset and first invalid byte, the error, and
    /// whether the input ended inside a value.
    type Split = (Vec<(String, u64, Option<u64>)>, Option<(String, u64)>, bool);

    fn split_with(text: &[u8], cuts: &[usize], limits: Limits) -> Split {
        let mut s = Splitter::new(&limits);
        let mut out = Vec::new();
        let mut at = 0;
        let mut ends = cuts.to_vec();
        ends.push(text.len());
        for end in ends {
            let mut rest = &text[at..end];
            at = end;
            loop {
                match s.next(&mut rest) {
                    Ok(Some(v)) => out.push((
                        v.data.to_string(),
                        v.stream_offset(0),
                        v.first_invalid_utf8(),
                    )),
                    Ok(None) => break,
                    Err(e) => return (out, Some((e.to_string(), e.offset())), s.finish()),
                }
            }
        }
        (out, None, s.finish())
    }

    /// Splits `text` whole, one byte at a time and at every two-piece cut;
    /// asserts that all agree and returns the whole result.
    fn split_every_way(text: &[u8], limits: Limits) -> Split {
        let whole = split_with(text, &[], limits);
        let bytes: Vec<usize> = (1..text.len()).collect();
        assert_eq!(split_with(text, &bytes, limits), whole, "1 byte at a time");
        for cut in 0..=text.len() {
            assert_eq!(split_with(text, &[cut], limits), whole, "cut at {cut}");
        }
        whole
    }

    #[test]
    fn a_value_of_exactly_the_limit_passes_and_one_byte_more_is_refused() {
        // 16 bytes: `{"a":"0123456"}` plus one more character.
        let at_limit: &[u8] = b"{\"a\":\"01234567\"}\n";
        assert_eq!(at_limit.len() - 1, 16);
        let limits = Limits::default().max_event_bytes(16);
        let (values, err, _) = split_every_way(at_limit, limits);
        assert_eq!(values.len(), 1);
        assert_eq!(err, None);
        // One byte over, the closing brace being the byte too many.
        let over: &[u8] = b"{\"a\":\"012345678\"}\n";
        let (values, err, _) = split_every_way(over, limits);
        assert!(values.is_empty());
        let (message, offset) = err.expect("refused");
        assert!(message.contains("max_event_bytes"), "{message}");
        assert_eq!(offset, 16, "the first byte beyond the limit");
        // Bytes outside strings count as much as those inside (a run of
        // whitespace or digits, in any chunking).
        let spaces = format!("{{\"a\":{}1}}\n", " ".repeat(40));
        let (values, err, _) = split_every_way(spaces.as_bytes(), limits);
        assert!(values.is_empty());
        assert_eq!(err.expect("refused").1, 16);
        // The limit is per value: two values of 16 bytes each pass.
        let two: Vec<u8> = [at_limit, at_limit].concat();
        assert_eq!(split_every_way(&two, limits).0.len(), 2);
    }

    #[test]
    fn errors_are_the_same_in_every_chunking() {
        let text: &[u8] = b"{\"a\":1}\n  {\"b\":\"x\"}\n]\n{\"c\":3}\n";
        let (values, err, _) = split_every_way(text, Limits::default());
        assert_eq!(values.len(), 2);
        let (message, offset) = err.unwrap();
        assert_eq!(offset, 20, "{message}");
    }

    #[test]
    fn escapes_quotes_and_brackets_inside_strings_split_anywhere() {
        // A backslash before a quote, an escaped backslash before the
        // closing quote, brackets and braces in strings, a top-level array.
        let text: &[u8] = b"{\"a\":\"\\\"}]\\\\\",\"b\":[\"[\",{\"c\":\"}\"}]}\r\n[1,{\"d\":[]}]\n";
        let (values, err, ended_inside) = split_every_way(text, Limits::default());
        assert_eq!(err, None);
        assert!(!ended_inside);
        assert_eq!(
            values.iter().map(|v| v.0.as_str()).collect::<Vec<_>>(),
            [
                "{\"a\":\"\\\"}]\\\\\",\"b\":[\"[\",{\"c\":\"}\"}]}",
                "[1,{\"d\":[]}]"
            ]
        );
        // Each is JSON (serde_json agrees on where values end).
        for (v, _, _) in &values {
            serde_json::from_str::<serde_json::Value>(v).unwrap();
        }
    }

    #[test]
    fn invalid_utf8_split_across_pieces_maps_back_to_the_same_offsets() {
        // `é` (2 bytes) and `𝄞` (4 bytes) whole, then a lone 0xFF and a
        // truncated 3-byte sequence, in the second of two values.
        let text: &[u8] = b"{\"a\":\"\xC3\xA9\xF0\x9D\x84\x9E\"}\n{\"b\":\"x\xFFy\xE2\x82\"}\n";
        let (values, err, _) = split_every_way(text, Limits::default());
        assert_eq!(err, None);
        assert_eq!(values[0].0, "{\"a\":\"é𝄞\"}");
        assert_eq!(values[0].2, None);
        assert_eq!(values[1].0, "{\"b\":\"x\u{FFFD}y\u{FFFD}\"}");
        let start = values[1].1;
        assert_eq!(start, 15);
        assert_eq!(values[1].2, Some(start + 7), "the 0xFF byte");
    }

    #[test]
    fn input_ending_inside_a_value_or_a_bom_is_reported() {
        assert!(split_every_way(b"{\"a\":1}\n{\"b\":\"", Limits::default()).2);
        assert!(!split_every_way(b"{\"a\":1}\n  \r\n", Limits::default()).2);
        let (values, _, inside) = split_with(b"\xEF\xBB", &[], Limits::default());
        assert!(values.is_empty() && inside);
        // A whole BOM, then values: offsets count the BOM's bytes.
        let (values, err, _) = split_every_way(b"\xEF\xBB\xBF{}\n{}", Limits::default());
        assert_eq!(err, None);
        assert_eq!(values.iter().map(|v| v.1).collect::<Vec<_>>(), [3, 6]);
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
