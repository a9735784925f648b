//! A validating, borrowing JSON scanner (RFC 8259) over one payload.
//!
//! Advice for hackers: the scanner is a cursor (`pos`) over a `&str` that the
//! SSE layer has already decoded as UTF-8. It never builds a tree: the
//! protocol decoder walks the structure it knows (`object`/`next_key`,
//! `array`/`next_element`) and everything it does not need goes through
//! [`Scanner::skip_value`], which validates at scanning speed without
//! materialising anything. Strings are returned as [`JsonStr`]: the raw text
//! between the quotes, already checked (escapes well formed, no control
//! characters), plus a flag saying whether it holds escapes. Unescaping happens
//! later, straight into the buffer that keeps the text.
//!
//! Nesting is bounded by `max_depth` (at most [`MAX_DEPTH_CAP`]) and tracked
//! in a fixed bit stack, so a hostile payload cannot overflow the call stack or
//! allocate.

use super::string::{find_string_special, hex4, JsonStr};

/// The deepest nesting the engine accepts, whatever the configured limit.
/// Values are dropped and serialised recursively; this bound keeps that safe
/// on small thread stacks.
pub const MAX_DEPTH_CAP: usize = 1024;

/// What went wrong while scanning JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorCode {
    /// The payload ended inside a value.
    UnexpectedEnd,
    /// A byte that cannot start or continue the expected syntax.
    Unexpected(&'static str),
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
}

impl JsonErrorCode {
    /// A short description, in the style of the JSON parsers' own messages.
    pub fn message(self) -> &'static str {
        match self {
            JsonErrorCode::UnexpectedEnd => "unexpected end of JSON input",
            JsonErrorCode::Unexpected(what) => what,
            JsonErrorCode::ControlCharacter => "control character in string",
            JsonErrorCode::InvalidEscape => "invalid escape in string",
            JsonErrorCode::LoneSurrogate => "lone surrogate in \\u escape",
            JsonErrorCode::InvalidNumber => "invalid number",
            JsonErrorCode::TrailingCharacters => "trailing characters after JSON value",
            JsonErrorCode::TooDeep => "JSON nested too deeply",
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

pub type JsonResult<T> = Result<T, JsonError>;

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
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `text`, refusing nesting deeper than
    /// `max_depth` (clamped to [`MAX_DEPTH_CAP`]).
    pub fn new(text: &'a str, max_depth: usize) -> Self {
        Scanner {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            depth: 0,
            max_depth: max_depth.min(MAX_DEPTH_CAP),
        }
    }

    /// The current byte position.
    #[inline]
    pub fn pos(&self) -> usize {
        self.pos
    }

    #[inline]
    fn err<T>(&self, code: JsonErrorCode) -> JsonResult<T> {
        Err(JsonError {
            pos: self.pos,
            code,
        })
    }

    #[inline]
    fn err_at<T>(pos: usize, code: JsonErrorCode) -> JsonResult<T> {
        Err(JsonError { pos, code })
    }

    #[inline]
    pub fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == b' ' || b == b'\n' || b == b'\r' || b == b'\t' {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// Skips whitespace and classifies the next value without consuming it.
    #[inline]
    pub fn peek_kind(&mut self) -> JsonResult<Kind> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b'{') => Ok(Kind::Object),
            Some(b'[') => Ok(Kind::Array),
            Some(b'"') => Ok(Kind::String),
            Some(b'-' | b'0'..=b'9') => Ok(Kind::Number),
            Some(b't') => Ok(Kind::True),
            Some(b'f') => Ok(Kind::False),
            Some(b'n') => Ok(Kind::Null),
            Some(_) => self.err(JsonErrorCode::Unexpected("expected a JSON value")),
            None => self.err(JsonErrorCode::UnexpectedEnd),
        }
    }

    /// After the top-level value: only whitespace may follow.
    pub fn finish(&mut self) -> JsonResult<()> {
        self.skip_ws();
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            self.err(JsonErrorCode::TrailingCharacters)
        }
    }

    #[inline]
    fn enter(&mut self) -> JsonResult<()> {
        if self.depth >= self.max_depth {
            return self.err(JsonErrorCode::TooDeep);
        }
        self.depth += 1;
        Ok(())
    }

    /// Consumes `{`. Follow with [`Scanner::next_key`] until it returns `None`.
    #[inline]
    pub fn object(&mut self) -> JsonResult<()> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b'{') => {
                self.enter()?;
                self.pos += 1;
                Ok(())
            }
            Some(_) => self.err(JsonErrorCode::Unexpected("expected `{`")),
            None => self.err(JsonErrorCode::UnexpectedEnd),
        }
    }

    /// The next key of the object being walked (with its `:` consumed), or
    /// `None` at its closing `}`. `first` is true for the first call on an
    /// object and is updated.
    #[inline]
    pub fn next_key(&mut self, first: &mut bool) -> JsonResult<Option<JsonStr<'a>>> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b'}') => {
                self.pos += 1;
                self.depth -= 1;
                return Ok(None);
            }
            Some(b',') if !*first => {
                self.pos += 1;
                self.skip_ws();
            }
            Some(b'"') if *first => {}
            Some(_) if *first => {
                return self.err(JsonErrorCode::Unexpected("expected a key or `}`"))
            }
            Some(_) => return self.err(JsonErrorCode::Unexpected("expected `,` or `}`")),
            None => return self.err(JsonErrorCode::UnexpectedEnd),
        }
        *first = false;
        if self.bytes.get(self.pos) != Some(&b'"') {
            return if self.pos >= self.bytes.len() {
                self.err(JsonErrorCode::UnexpectedEnd)
            } else {
                self.err(JsonErrorCode::Unexpected("expected a key"))
            };
        }
        let key = self.string_body()?;
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b':') => {
                self.pos += 1;
                Ok(Some(key))
            }
            Some(_) => self.err(JsonErrorCode::Unexpected("expected `:`")),
            None => self.err(JsonErrorCode::UnexpectedEnd),
        }
    }

    /// Consumes `[`. Follow with [`Scanner::next_element`] until it returns false.
    #[inline]
    pub fn array(&mut self) -> JsonResult<()> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b'[') => {
                self.enter()?;
                self.pos += 1;
                Ok(())
            }
            Some(_) => self.err(JsonErrorCode::Unexpected("expected `[`")),
            None => self.err(JsonErrorCode::UnexpectedEnd),
        }
    }

    /// True when another element follows (positioned at it), false at `]`.
    #[inline]
    pub fn next_element(&mut self, first: &mut bool) -> JsonResult<bool> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b']') => {
                self.pos += 1;
                self.depth -= 1;
                Ok(false)
            }
            Some(b',') if !*first => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) if *first => {
                *first = false;
                Ok(true)
            }
            Some(_) => self.err(JsonErrorCode::Unexpected("expected `,` or `]`")),
            None => self.err(JsonErrorCode::UnexpectedEnd),
        }
    }

    /// A string value (the cursor must be at its opening quote, after
    /// whitespace).
    #[inline]
    pub fn string(&mut self) -> JsonResult<JsonStr<'a>> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b'"') => self.string_body(),
            Some(_) => self.err(JsonErrorCode::Unexpected("expected a string")),
            None => self.err(JsonErrorCode::UnexpectedEnd),
        }
    }

    /// Scans a string whose opening quote is at `self.pos`.
    #[inline]
    fn string_body(&mut self) -> JsonResult<JsonStr<'a>> {
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            i = find_string_special(self.bytes, i);
            match self.bytes.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(JsonStr::new(&self.text[start..i], escaped));
                }
                Some(b'\\') => {
                    escaped = true;
                    i = self.escape(i)?;
                }
                Some(_) => return Self::err_at(i, JsonErrorCode::ControlCharacter),
                None => return Self::err_at(i, JsonErrorCode::UnexpectedEnd),
            }
        }
    }

    /// Validates the escape whose backslash is at `i`; returns the position
    /// after it.
    fn escape(&self, i: usize) -> JsonResult<usize> {
        let b = self.bytes;
        match b.get(i + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(i + 2),
            Some(b'u') => {
                let hi = hex4(b, i + 2).ok_or(JsonError {
                    pos: i,
                    code: JsonErrorCode::InvalidEscape,
                })?;
                if (0xDC00..0xE000).contains(&hi) {
                    return Self::err_at(i, JsonErrorCode::LoneSurrogate);
                }
                if (0xD800..0xDC00).contains(&hi) {
                    let j = i + 6;
                    if b.get(j) == Some(&b'\\') && b.get(j + 1) == Some(&b'u') {
                        match hex4(b, j + 2) {
                            Some(lo) if (0xDC00..0xE000).contains(&lo) => return Ok(j + 6),
                            Some(_) => return Self::err_at(i, JsonErrorCode::LoneSurrogate),
                            None => return Self::err_at(j, JsonErrorCode::InvalidEscape),
                        }
                    }
                    if j >= b.len() {
                        return Self::err_at(j, JsonErrorCode::UnexpectedEnd);
                    }
                    return Self::err_at(i, JsonErrorCode::LoneSurrogate);
                }
                Ok(i + 6)
            }
            Some(_) => Self::err_at(i, JsonErrorCode::InvalidEscape),
            None => Self::err_at(i + 1, JsonErrorCode::UnexpectedEnd),
        }
    }

    /// Scans a number; returns its text and whether it is an integer (no
    /// fraction, no exponent).
    pub fn number(&mut self) -> JsonResult<(&'a str, bool)> {
        self.skip_ws();
        let b = self.bytes;
        let start = self.pos;
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                i += 1;
                while matches!(b.get(i), Some(b'0'..=b'9')) {
                    i += 1;
                }
            }
            Some(_) => return Self::err_at(i, JsonErrorCode::InvalidNumber),
            None => return Self::err_at(i, JsonErrorCode::UnexpectedEnd),
        }
        let mut integer = true;
        if b.get(i) == Some(&b'.') {
            integer = false;
            i += 1;
            if !matches!(b.get(i), Some(b'0'..=b'9')) {
                return Self::err_at(i, Self::end_or(b, i, JsonErrorCode::InvalidNumber));
            }
            while matches!(b.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            integer = false;
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !matches!(b.get(i), Some(b'0'..=b'9')) {
                return Self::err_at(i, Self::end_or(b, i, JsonErrorCode::InvalidNumber));
            }
            while matches!(b.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        self.pos = i;
        Ok((&self.text[start..i], integer))
    }

    fn end_or(b: &[u8], i: usize, code: JsonErrorCode) -> JsonErrorCode {
        if i >= b.len() {
            JsonErrorCode::UnexpectedEnd
        } else {
            code
        }
    }

    /// Consumes `word` (`true`, `false` or `null`) at the cursor.
    #[inline]
    fn literal(&mut self, word: &'static [u8]) -> JsonResult<()> {
        let end = self.pos + word.len();
        if self.bytes.get(self.pos..end) == Some(word) {
            self.pos = end;
            return Ok(());
        }
        // Find where it diverges, for an exact position.
        let mut i = self.pos;
        for &w in word {
            match self.bytes.get(i) {
                Some(&c) if c == w => i += 1,
                Some(_) => return Self::err_at(i, JsonErrorCode::Unexpected("invalid literal")),
                None => return Self::err_at(i, JsonErrorCode::UnexpectedEnd),
            }
        }
        // Every byte matched, so the fast check above would have accepted it.
        Self::err_at(i, JsonErrorCode::UnexpectedEnd)
    }

    /// Consumes `null` if it is next; true when it did.
    #[inline]
    pub fn null(&mut self) -> JsonResult<bool> {
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'n') {
            self.literal(b"null")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Consumes a boolean.
    pub fn boolean(&mut self) -> JsonResult<bool> {
        match self.peek_kind()? {
            Kind::True => self.literal(b"true").map(|()| true),
            Kind::False => self.literal(b"false").map(|()| false),
            _ => self.err(JsonErrorCode::Unexpected("expected a boolean")),
        }
    }

    /// Skips one value of any kind, validating it, and returns its text.
    pub fn skip_value(&mut self) -> JsonResult<&'a str> {
        self.skip_ws();
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
                    if self.next_key(&mut first)?.is_none() {
                        // `{}`: fall through to "after a value".
                    } else {
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
                    self.string_body()?;
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
                    return Ok(&self.text[start..self.pos]);
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
pub fn parse_u64(text: &str) -> Option<u64> {
    let mut v: u64 = 0;
    for &d in text.as_bytes() {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    Some(v)
}

/// Parses the text of a JSON integer as `i64`; `None` if out of range.
pub fn parse_i64(text: &str) -> Option<i64> {
    match text.strip_prefix('-') {
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

    fn skip(s: &str) -> JsonResult<&str> {
        let mut sc = Scanner::new(s, 128);
        let v = sc.skip_value()?;
        sc.finish()?;
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
            assert!(skip(s).is_ok(), "{s}");
        }
    }

    #[test]
    fn skip_value_rejects_invalid_documents_with_positions() {
        let cases = [
            ("01", 1, JsonErrorCode::TrailingCharacters),
            ("1.", 2, JsonErrorCode::UnexpectedEnd),
            ("1.e5", 2, JsonErrorCode::InvalidNumber),
            ("-", 1, JsonErrorCode::UnexpectedEnd),
            (
                "[1,]",
                3,
                JsonErrorCode::Unexpected("expected a JSON value"),
            ),
            ("{\"a\" 1}", 5, JsonErrorCode::Unexpected("expected `:`")),
            ("{\"a\":1,}", 7, JsonErrorCode::Unexpected("expected a key")),
            ("\"a\u{1}\"", 2, JsonErrorCode::ControlCharacter),
            ("\"\\x\"", 1, JsonErrorCode::InvalidEscape),
            ("\"\\udc00\"", 1, JsonErrorCode::LoneSurrogate),
            ("\"\\ud800x\"", 1, JsonErrorCode::LoneSurrogate),
            ("nul", 3, JsonErrorCode::UnexpectedEnd),
            ("nulL", 3, JsonErrorCode::Unexpected("invalid literal")),
            ("[1 2]", 3, JsonErrorCode::Unexpected("expected `,` or `]`")),
            ("{", 1, JsonErrorCode::UnexpectedEnd),
        ];
        for (s, pos, code) in cases {
            assert_eq!(skip(s), Err(JsonError { pos, code }), "{s}");
        }
    }

    #[test]
    fn nesting_beyond_the_limit_is_refused_without_recursion() {
        let deep = "[".repeat(200_000);
        let mut sc = Scanner::new(&deep, 128);
        let err = sc.skip_value().unwrap_err();
        assert_eq!(err.code, JsonErrorCode::TooDeep);
        assert_eq!(err.pos, 128);
        let ok = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(skip(&ok).is_ok());
    }

    #[test]
    fn integers_parse_within_range() {
        assert_eq!(parse_u64("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64("18446744073709551616"), None);
        assert_eq!(parse_i64("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64("9223372036854775808"), None);
    }
}
