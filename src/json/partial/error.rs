//! Why the arguments text is not JSON, and where.

use std::fmt;

/// The error that stopped a [`PartialJson`](super::PartialJson): the byte
/// offset in the arguments text (0-based, counted over every fragment pushed)
/// and what was wrong there.
///
/// The offset is that of the first byte at which no JSON text could have the
/// text so far as its beginning (a byte after a complete value, a bad escape
/// digit, the `}` after a trailing comma, …), or the length of the text when
/// it ended too early. Two errors are not about the grammar: a number that
/// does not fit an `f64` (as serde_json, which rejects it) is reported at the
/// number's first byte, and an exceeded limit at the byte that exceeded it.
///
/// # Examples
///
/// ```
/// use streamfold::partial_json::{ErrorKind, Ops, PartialJson};
///
/// let mut parser = PartialJson::new();
/// let mut ops = Ops::new();
/// parser.push("{\"a\":[1,", &mut ops).unwrap();
/// let err = parser.push("]}", &mut ops).unwrap_err();
/// assert_eq!(err.offset(), 8); // the `]` after the comma
/// assert_eq!(err.kind(), ErrorKind::ExpectedValue);
/// assert_eq!(err.to_string(), "expected a JSON value at byte 8 of the arguments");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartialJsonError {
    offset: u64,
    kind: ErrorKind,
}

impl PartialJsonError {
    pub(crate) fn new(offset: u64, kind: ErrorKind) -> Self {
        PartialJsonError { offset, kind }
    }

    /// Byte offset in the arguments text (0-based, over all fragments).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// What was wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for PartialJsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at byte {} of the arguments",
            self.kind.message(),
            self.offset
        )
    }
}

impl std::error::Error for PartialJsonError {}

/// What made the arguments text invalid (see [`PartialJsonError`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The text ended (at [`PartialJson::finish`](super::PartialJson::finish))
    /// inside a value, or before any value.
    UnexpectedEnd,
    /// A byte that cannot start a value where a value must come.
    ExpectedValue,
    /// After `{`: neither a key nor `}`.
    ExpectedKeyOrEnd,
    /// After `,` in an object: not a key (a trailing comma, for one).
    ExpectedKey,
    /// After a key: not `:`.
    ExpectedColon,
    /// After an element of an array: neither `,` nor `]`.
    ExpectedCommaOrArrayEnd,
    /// After a member of an object: neither `,` nor `}`.
    ExpectedCommaOrObjectEnd,
    /// A letter that does not continue `true`, `false` or `null`.
    InvalidLiteral,
    /// A control character (below U+0020) inside a string.
    ControlCharacter,
    /// A backslash escape JSON does not define, or a bad `\u` hex digit.
    InvalidEscape,
    /// A `\u` escape naming half of a surrogate pair without the other half.
    LoneSurrogate,
    /// A number that does not follow the JSON grammar (`01`, `1.`, `-x`, …).
    InvalidNumber,
    /// A number too large for an `f64` (`1e400`), as serde_json rejects it.
    NumberOutOfRange,
    /// Something other than whitespace after the value.
    TrailingCharacters,
    /// More nested arrays and objects than the depth limit allows.
    TooDeep,
    /// More text than the size limit allows.
    TooLarge,
    /// Text pushed after [`PartialJson::finish`](super::PartialJson::finish).
    AfterFinish,
}

impl ErrorKind {
    /// A short description, in the style of JSON parsers' messages.
    pub fn message(self) -> &'static str {
        use ErrorKind::*;
        match self {
            UnexpectedEnd => "unexpected end of the arguments",
            ExpectedValue => "expected a JSON value",
            ExpectedKeyOrEnd => "expected a key or `}`",
            ExpectedKey => "expected a key",
            ExpectedColon => "expected `:`",
            ExpectedCommaOrArrayEnd => "expected `,` or `]`",
            ExpectedCommaOrObjectEnd => "expected `,` or `}`",
            InvalidLiteral => "invalid literal",
            ControlCharacter => "control character in string",
            InvalidEscape => "invalid escape in string",
            LoneSurrogate => "lone surrogate in \\u escape",
            InvalidNumber => "invalid number",
            NumberOutOfRange => "number out of range",
            TrailingCharacters => "trailing characters after the JSON value",
            TooDeep => "JSON nested too deeply",
            TooLarge => "arguments larger than the size limit",
            AfterFinish => "text pushed after the end of the arguments",
        }
    }
}
