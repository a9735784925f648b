//! A validating JSON scanner (RFC 8259) over one payload.
//!
//! Advice for hackers: the scanner is a cursor (`pos`) over a `&str` that the
//! SSE layer has already decoded as UTF-8. It never builds a tree and never
//! copies: the protocol decoder walks the structure it knows
//! (`object`/`next_key`, `array`/`next_element`) and gets strings back as
//! [`StrSpan`] spans (positions, plus whether escapes are inside); everything it
//! does not need goes through [`Scanner::skip_value`], which validates at
//! scanning speed without materialising anything. Unescaping happens later,
//! straight into the buffer that keeps the text.
//!
//! The hot methods are `#[inline(always)]`: they are small, and the decoder's
//! per-field code is where the compiler can fold them together.
//!
//! Nesting is bounded by `max_depth` (at most [`MAX_DEPTH_CAP`]) and tracked
//! in a fixed bit stack, so a hostile payload cannot overflow the call stack
//! or allocate.

use super::string::{find_string_special, hex4, Span, StrSpan, MAX_PAYLOAD};

/// The deepest nesting the engine accepts, whatever the configured limit.
pub(crate) use crate::limits::DEPTH_CAP as MAX_DEPTH_CAP;

/// What went wrong while scanning JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorCode {
    /// The payload ended inside a value.
    UnexpectedEnd,
    ExpectedValue,
    ExpectedObject,
    ExpectedArray,
    ExpectedString,
    ExpectedBoolean,
    ExpectedKeyOrEnd,
    ExpectedKey,
    ExpectedColon,
    ExpectedCommaOrObjectEnd,
    ExpectedCommaOrArrayEnd,
    InvalidLiteral,
    /// A control character (below U+0020) inside a string.
    ControlCharacter,
    /// A backslash escape that JSON does not define, or bad `\u` hex digits.
    InvalidEscape,
    /// A `\u` escape naming half of a surrogate pair without the other half.
    LoneSurrogate,
    /// A number that does not follow the JSON grammar.
    InvalidNumber,
    /// Non-whitespace bytes after the top-level value.
    TrailingCharacters,
    /// Nesting deeper than the configured limit.
    TooDeep,
    /// A document of 2 GiB or more.
    TooLarge,
}

impl JsonErrorCode {
    /// A short description, in the style of the JSON parsers' own messages.
    pub fn message(self) -> &'static str {
        use JsonErrorCode::*;
        match self {
            UnexpectedEnd => "unexpected end of JSON input",
            ExpectedValue => "expected a JSON value",
            ExpectedObject => "expected `{`",
            ExpectedArray => "expected `[`",
            ExpectedString => "expected a string",
            ExpectedBoolean => "expected a boolean",
            ExpectedKeyOrEnd => "expected a key or `}`",
            ExpectedKey => "expected a key",
            ExpectedColon => "expected `:`",
            ExpectedCommaOrObjectEnd => "expected `,` or `}`",
            ExpectedCommaOrArrayEnd => "expected `,` or `]`",
            InvalidLiteral => "invalid literal",
            ControlCharacter => "control character in string",
            InvalidEscape => "invalid escape in string",
            LoneSurrogate => "lone surrogate in \\u escape",
            InvalidNumber => "invalid number",
            TrailingCharacters => "trailing characters after JSON value",
            TooDeep => "JSON nested too deeply",
            TooLarge => "JSON document too large (2 GiB or more)",
        }
    }
}

/// A JSON syntax error at a byte position of the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonError {
    /// Byte position in the payload (0-based).
    pub pos: usize,
    /// What went wrong.
    pub code: JsonErrorCode,
}

/// A failure; its details are in [`Scanner::error`]. (Keeping results
/// this small is what lets the hot paths stay in registers.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop;

pub type JsonResult<T> = Result<T, Stop>;

/// The first byte of a value, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    Array,
    String,
    Number,
    True,
    False,
    Null,
}

/// Fixed-size stack of container kinds (1 = object, 0 = array).
struct BitStack {
    bits: [u64; MAX_DEPTH_CAP / 64],
}

impl BitStack {
    fn new() -> Self {
        BitStack {
            bits: [0; MAX_DEPTH_CAP / 64],
        }
    }
    #[inline]
    fn set(&mut self, depth: usize, object: bool) {
        let (w, b) = (depth / 64, depth % 64);
        if object {
            self.bits[w] |= 1 << b;
        } else {
            self.bits[w] &= !(1 << b);
        }
    }
    #[inline]
    fn is_object(&self, depth: usize) -> bool {
        self.bits[depth / 64] >> (depth % 64) & 1 == 1
    }
}

/// A cursor over one JSON payload.
pub struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    max_depth: usize,
    too_large: bool,
    error: JsonError,
}

impl<'a> Scanner<'a> {
    /// What stopped the scanner (after an `Err(Stop)`).
    pub fn error(&self) -> JsonError {
        self.error
    }

    #[cold]
    #[inline(never)]
    fn fail<T>(&mut self, pos: usize, code: JsonErrorCode) -> JsonResult<T> {
        let code = if self.too_large {
            JsonErrorCode::TooLarge
        } else {
            code
        };
        self.error = JsonError { pos, code };
        Err(Stop)
    }

    /// A scanner at the start of `text`, refusing nesting deeper than
    /// `max_depth` (clamped to [`MAX_DEPTH_CAP`]).
    ///
    /// A text of [`MAX_PAYLOAD`] bytes or more fails at once with
    /// [`JsonErrorCode::TooLarge`].
    pub fn new(text: &'a str, max_depth: usize) -> Self {
        let too_large = text.len() > MAX_PAYLOAD;
        Scanner {
            text,
            bytes: if too_large { b"" } else { text.as_bytes() },
            too_large,
            pos: 0,
            depth: 0,
            max_depth: max_depth.min(MAX_DEPTH_CAP),
            error: JsonError {
                pos: 0,
                code: JsonErrorCode::UnexpectedEnd,
            },
        }
    }

    /// The payload.
    #[inline(always)]
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The current byte position.
    #[inline(always)]
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The raw bytes of a span (a key's name, when not escaped).
    #[inline(always)]
    pub fn bytes_of(&self, start: usize, end: usize) -> &'a [u8] {
        self.bytes.get(start..end).unwrap_or_default()
    }

    /// The byte at `i`, or 0 past the end (0 is never valid JSON outside a
    /// string, so it always reads as an error where it matters).
    #[inline(always)]
    fn at(&self, i: usize) -> u8 {
        self.bytes.get(i).copied().unwrap_or(0)
    }

    #[cold]
    #[inline(never)]
    fn fail_here<T>(&mut self, code: JsonErrorCode) -> JsonResult<T> {
        let code = if self.pos >= self.bytes.len() {
            JsonErrorCode::UnexpectedEnd
        } else {
            code
        };
        self.fail(self.pos, code)
    }

    /// Skips whitespace; returns the byte at the cursor (0 at the end).
    #[inline(always)]
    pub fn ws(&mut self) -> u8 {
        // Compact JSON has none: one compare decides.
        let b = self.at(self.pos);
        if b > b' ' {
            return b;
        }
        self.ws_slow()
    }

    fn ws_slow(&mut self) -> u8 {
        loop {
            let b = self.at(self.pos);
            if super::is_whitespace(b) {
                self.pos += 1;
            } else {
                return b;
            }
        }
    }

    /// Skips whitespace and classifies the next value without consuming it.
    #[inline(always)]
    pub fn peek_kind(&mut self) -> JsonResult<Kind> {
        match self.ws() {
            b'{' => Ok(Kind::Object),
            b'[' => Ok(Kind::Array),
            b'"' => Ok(Kind::String),
            b'-' | b'0'..=b'9' => Ok(Kind::Number),
            b't' => Ok(Kind::True),
            b'f' => Ok(Kind::False),
            b'n' => Ok(Kind::Null),
            _ => self.fail_here(JsonErrorCode::ExpectedValue),
        }
    }

    /// After the top-level value: only whitespace may follow.
    pub fn finish(&mut self) -> JsonResult<()> {
        self.ws();
        if self.pos >= self.bytes.len() {
            Ok(())
        } else {
            self.fail(self.pos, JsonErrorCode::TrailingCharacters)
        }
    }

    #[inline(always)]
    fn enter(&mut self) -> JsonResult<()> {
        if self.depth >= self.max_depth {
            return self.fail(self.pos, JsonErrorCode::TooDeep);
        }
        self.depth += 1;
        self.pos += 1;
        Ok(())
    }

    /// Consumes `{`. Follow with [`Scanner::next_key`] until it returns `None`.
    #[inline(always)]
    pub fn object(&mut self) -> JsonResult<()> {
        if self.ws() == b'{' {
            self.enter()
        } else {
            self.fail_here(JsonErrorCode::ExpectedObject)
        }
    }

    /// The next key of the object being walked (with its `:` consumed), or
    /// `None` at its closing `}`. `first` is true for the first call on an
    /// object and is updated.
    #[inline(always)]
    pub fn next_key(&mut self, first: &mut bool) -> JsonResult<Option<StrSpan>> {
        if !self.next_member(first)? {
            return Ok(None);
        }
        self.key_here().map(Some)
    }

    /// Moves to the next member of the object being walked: true with the
    /// cursor at its key's opening quote, false after its closing `}`.
    /// Follow with [`Scanner::eat_key`] or [`Scanner::key_here`].
    #[inline(always)]
    pub fn next_member(&mut self, first: &mut bool) -> JsonResult<bool> {
        let b = self.ws();
        if b == b'}' {
            self.pos += 1;
            self.depth -= 1;
            return Ok(false);
        }
        if *first {
            if b != b'"' {
                return self.fail_here(JsonErrorCode::ExpectedKeyOrEnd);
            }
            *first = false;
        } else {
            if b != b',' {
                return self.fail_here(JsonErrorCode::ExpectedCommaOrObjectEnd);
            }
            self.pos += 1;
            if self.ws() != b'"' {
                return self.fail_here(JsonErrorCode::ExpectedKey);
            }
        }
        Ok(true)
    }

    /// With the cursor at a key's opening quote: if the key is exactly
    /// `name` (no escapes), consumes it and its `:` and returns true. A
    /// fixed-size compare, so known keys are recognised without scanning.
    #[inline(always)]
    pub fn eat_key<const N: usize>(&mut self, name: &[u8; N]) -> JsonResult<bool> {
        let p = self.pos + 1;
        let hit = self
            .bytes
            .get(p..p + N)
            .and_then(|b| <&[u8; N]>::try_from(b).ok())
            .is_some_and(|b| b == name)
            && self.at(p + N) == b'"';
        if !hit {
            return Ok(false);
        }
        self.pos = p + N + 1;
        self.colon()?;
        Ok(true)
    }

    /// With the cursor at a key's opening quote: scans the key and its `:`.
    #[inline(always)]
    pub fn key_here(&mut self) -> JsonResult<StrSpan> {
        let key = self.string_here()?;
        self.colon()?;
        Ok(key)
    }

    #[inline(always)]
    fn colon(&mut self) -> JsonResult<()> {
        if self.ws() == b':' {
            self.pos += 1;
            Ok(())
        } else {
            self.fail_here(JsonErrorCode::ExpectedColon)
        }
    }

    /// Consumes `[`. Follow with [`Scanner::next_element`] until it returns
    /// false.
    #[inline(always)]
    pub fn array(&mut self) -> JsonResult<()> {
        if self.ws() == b'[' {
            self.enter()
        } else {
            self.fail_here(JsonErrorCode::ExpectedArray)
        }
    }

    /// True when another element follows (positioned at it), false at `]`.
    #[inline(always)]
    pub fn next_element(&mut self, first: &mut bool) -> JsonResult<bool> {
        let b = self.ws();
        if b == b']' {
            self.pos += 1;
            self.depth -= 1;
            return Ok(false);
        }
        if *first {
            if b == 0 && self.pos >= self.bytes.len() {
                return self.fail(self.pos, JsonErrorCode::UnexpectedEnd);
            }
            *first = false;
            return Ok(true);
        }
        if b != b',' {
            return self.fail_here(JsonErrorCode::ExpectedCommaOrArrayEnd);
        }
        self.pos += 1;
        Ok(true)
    }

    /// A string value (after whitespace).
    #[inline(always)]
    pub fn string(&mut self) -> JsonResult<StrSpan> {
        if self.ws() == b'"' {
            self.string_here()
        } else {
            self.fail_here(JsonErrorCode::ExpectedString)
        }
    }

    /// Scans a string whose opening quote is at the cursor.
    #[inline(always)]
    pub fn string_here(&mut self) -> JsonResult<StrSpan> {
        let start = self.pos + 1;
        let mut i = find_string_special(self.bytes, start);
        if self.at(i) == b'"' {
            self.pos = i + 1;
            return Ok(StrSpan::new(start, i, false));
        }
        loop {
            match self.at(i) {
                b'"' => {
                    self.pos = i + 1;
                    return Ok(StrSpan::new(start, i, true));
                }
                b'\\' => i = self.escape(i)?,
                _ if i >= self.bytes.len() => return self.fail(i, JsonErrorCode::UnexpectedEnd),
                _ => return self.fail(i, JsonErrorCode::ControlCharacter),
            }
            i = find_string_special(self.bytes, i);
        }
    }

    /// Validates the escape whose backslash is at `i`; returns the position
    /// after it.
    fn escape(&mut self, i: usize) -> JsonResult<usize> {
        let b = self.bytes;
        match self.at(i + 1) {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(i + 2),
            b'u' => {
                let Some(hi) = hex4(b, i + 2) else {
                    return self.fail(i, JsonErrorCode::InvalidEscape);
                };
                if (0xDC00..0xE000).contains(&hi) {
                    return self.fail(i, JsonErrorCode::LoneSurrogate);
                }
                if (0xD800..0xDC00).contains(&hi) {
                    let j = i + 6;
                    if self.at(j) == b'\\' && self.at(j + 1) == b'u' {
                        return match hex4(b, j + 2) {
                            Some(lo) if (0xDC00..0xE000).contains(&lo) => Ok(j + 6),
                            Some(_) => self.fail(i, JsonErrorCode::LoneSurrogate),
                            None => self.fail(j, JsonErrorCode::InvalidEscape),
                        };
                    }
                    if j >= b.len() {
                        return self.fail(j, JsonErrorCode::UnexpectedEnd);
                    }
                    return self.fail(i, JsonErrorCode::LoneSurrogate);
                }
                Ok(i + 6)
            }
            _ if i + 1 >= b.len() => self.fail(i + 1, JsonErrorCode::UnexpectedEnd),
            _ => self.fail(i, JsonErrorCode::InvalidEscape),
        }
    }

    /// Scans a number (after whitespace); returns its span and whether it is
    /// an integer (no fraction, no exponent).
    pub fn number(&mut self) -> JsonResult<(Span, bool)> {
        self.ws();
        let start = self.pos;
        let mut i = start;
        if self.at(i) == b'-' {
            i += 1;
        }
        match self.at(i) {
            b'0' => i += 1,
            b'1'..=b'9' => i = self.digits(i + 1),
            _ => return self.bad_number(i),
        }
        let mut integer = true;
        if self.at(i) == b'.' {
            integer = false;
            if !self.at(i + 1).is_ascii_digit() {
                return self.bad_number(i + 1);
            }
            i = self.digits(i + 1);
        }
        if matches!(self.at(i), b'e' | b'E') {
            integer = false;
            i += 1;
            if matches!(self.at(i), b'+' | b'-') {
                i += 1;
            }
            if !self.at(i).is_ascii_digit() {
                return self.bad_number(i);
            }
            i = self.digits(i);
        }
        self.pos = i;
        Ok((Span { start, end: i }, integer))
    }

    #[inline(always)]
    fn digits(&self, mut i: usize) -> usize {
        while self.at(i).is_ascii_digit() {
            i += 1;
        }
        i
    }

    #[cold]
    fn bad_number<T>(&mut self, i: usize) -> JsonResult<T> {
        if i >= self.bytes.len() {
            self.fail(i, JsonErrorCode::UnexpectedEnd)
        } else {
            self.fail(i, JsonErrorCode::InvalidNumber)
        }
    }

    /// A JSON integer of at most 9 digits at the cursor, not followed by a
    /// fraction or exponent: its value and end (the cursor does not move).
    /// `None` sends the caller to [`Scanner::number`].
    #[inline(always)]
    pub fn small_uint(&self) -> Option<(u64, usize)> {
        let start = self.pos;
        let first = self.at(start);
        if !first.is_ascii_digit() {
            return None;
        }
        let mut v = (first - b'0') as u64;
        let mut i = start + 1;
        while self.at(i).is_ascii_digit() {
            if first == b'0' || i - start >= 9 {
                return None;
            }
            v = v * 10 + (self.at(i) - b'0') as u64;
            i += 1;
        }
        match self.at(i) {
            b'.' | b'e' | b'E' => None,
            _ => Some((v, i)),
        }
    }

    /// Moves the cursor to `end`, past a value checked by the caller.
    #[inline(always)]
    pub fn advance_to(&mut self, end: usize) {
        self.pos = end;
    }

    /// Consumes `word` (`true`, `false` or `null`) at the cursor.
    #[inline(always)]
    fn literal(&mut self, word: &'static [u8]) -> JsonResult<()> {
        let end = self.pos + word.len();
        if self.bytes.get(self.pos..end) == Some(word) {
            self.pos = end;
            return Ok(());
        }
        self.bad_literal(word)
    }

    #[cold]
    fn bad_literal(&mut self, word: &'static [u8]) -> JsonResult<()> {
        let mut i = self.pos;
        for &w in word {
            match self.bytes.get(i) {
                Some(&c) if c == w => i += 1,
                Some(_) => return self.fail(i, JsonErrorCode::InvalidLiteral),
                None => break,
            }
        }
        self.fail(i, JsonErrorCode::UnexpectedEnd)
    }

    /// Consumes `null` if it is next; true when it did.
    #[inline(always)]
    pub fn null(&mut self) -> JsonResult<bool> {
        if self.ws() == b'n' {
            self.literal(b"null")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Consumes a boolean.
    pub fn boolean(&mut self) -> JsonResult<bool> {
        match self.ws() {
            b't' => self.literal(b"true").map(|()| true),
            b'f' => self.literal(b"false").map(|()| false),
            _ => self.fail_here(JsonErrorCode::ExpectedBoolean),
        }
    }

    /// Skips one value of any kind, validating it; returns its span.
    pub fn skip_value(&mut self) -> JsonResult<Span> {
        // The common leaves first, without the container machinery.
        match self.ws() {
            b'"' => {
                let start = self.pos;
                self.string_here()?;
                return Ok(Span {
                    start,
                    end: self.pos,
                });
            }
            b'n' => {
                let start = self.pos;
                self.literal(b"null")?;
                return Ok(Span {
                    start,
                    end: self.pos,
                });
            }
            _ => {}
        }
        let start = self.pos;
        let base = self.depth;
        let mut stack = BitStack::new();
        loop {
            // A value starts here.
            match self.peek_kind()? {
                Kind::Object => {
                    self.object()?;
                    stack.set(self.depth - base - 1, true);
                    let mut first = true;
                    if self.next_key(&mut first)?.is_some() {
                        continue;
                    }
                }
                Kind::Array => {
                    self.array()?;
                    stack.set(self.depth - base - 1, false);
                    let mut first = true;
                    if self.next_element(&mut first)? {
                        continue;
                    }
                }
                Kind::String => {
                    self.string_here()?;
                }
                Kind::Number => {
                    self.number()?;
                }
                Kind::True => self.literal(b"true")?,
                Kind::False => self.literal(b"false")?,
                Kind::Null => self.literal(b"null")?,
            }
            // After a value: close containers or move to the next member.
            loop {
                if self.depth == base {
                    return Ok(Span {
                        start,
                        end: self.pos,
                    });
                }
                let mut first = false;
                if stack.is_object(self.depth - base - 1) {
                    if self.next_key(&mut first)?.is_some() {
                        break;
                    }
                } else if self.next_element(&mut first)? {
                    break;
                }
            }
        }
    }
}

/// Parses the text of a JSON integer as `u64`; `None` if negative or too big.
pub fn parse_u64(text: &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    for &d in text {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    Some(v)
}

/// Parses the text of a JSON integer as `i64`; `None` if out of range.
pub fn parse_i64(text: &[u8]) -> Option<i64> {
    match text.strip_prefix(b"-") {
        Some(digits) => {
            let v = parse_u64(digits)?;
            if v <= i64::MAX as u64 + 1 {
                Some((v as i64).wrapping_neg())
            } else {
                None
            }
        }
        None => i64::try_from(parse_u64(text)?).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use JsonErrorCode::*;

    fn skip(s: &str) -> Result<Span, JsonError> {
        let mut sc = Scanner::new(s, 128);
        let v = sc.skip_value().map_err(|_| sc.error())?;
        sc.finish().map_err(|_| sc.error())?;
        Ok(v)
    }

    #[test]
    fn skip_value_accepts_valid_documents() {
        for s in [
            "0",
            "-0",
            "1.5e10",
            "-12.25E-3",
            "true",
            "false",
            "null",
            "\"\"",
            "\"a\\\"b\\u00e9\\ud83d\\ude00\"",
            "[]",
            "{}",
            "[1,[2,[3,{}]],{\"a\":[]}]",
            " { \"a\" : 1 , \"b\" : [ true , null ] } ",
        ] {
            assert_eq!(skip(s).map(|sp| &s[sp.start..sp.end]), Ok(s.trim()), "{s}");
        }
    }

    #[test]
    fn skip_value_rejects_invalid_documents_with_positions() {
        let cases = [
            ("01", 1, TrailingCharacters),
            ("1.", 2, UnexpectedEnd),
            ("1.e5", 2, InvalidNumber),
            ("-", 1, UnexpectedEnd),
            ("[1,]", 3, ExpectedValue),
            ("{\"a\" 1}", 5, ExpectedColon),
            ("{\"a\":1,}", 7, ExpectedKey),
            ("\"a\u{1}\"", 2, ControlCharacter),
            ("\"\\x\"", 1, InvalidEscape),
            ("\"\\udc00\"", 1, LoneSurrogate),
            ("\"\\ud800x\"", 1, LoneSurrogate),
            ("nul", 3, UnexpectedEnd),
            ("nulL", 3, InvalidLiteral),
            ("[1 2]", 3, ExpectedCommaOrArrayEnd),
            ("{", 1, UnexpectedEnd),
            ("[", 1, UnexpectedEnd),
            ("\"abc", 4, UnexpectedEnd),
        ];
        for (s, pos, code) in cases {
            assert_eq!(skip(s), Err(JsonError { pos, code }), "{s}");
        }
    }

    #[test]
    fn nesting_beyond_the_limit_is_refused_without_recursion() {
        let deep = "[".repeat(200_000);
        let mut sc = Scanner::new(&deep, 128);
        assert!(sc.skip_value().is_err());
        let err = sc.error();
        assert_eq!(err.code, TooDeep);
        assert_eq!(err.pos, 128);
        let ok = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(skip(&ok).is_ok());
    }

    #[test]
    fn integers_parse_within_range() {
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
    }
}
