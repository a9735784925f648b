//! What every decoder walks payloads with: the scanner with a slot for the
//! decoder's own reason to stop, key dispatch, and readers of the values
//! formats share (optional strings, indices, counts, lists, raw values).

use std::borrow::Cow;

use crate::delta::{List, Raw, Span, StrSpan, ValueKind};
use crate::json::scanner::{parse_u64, JsonError, JsonErrorCode, Scanner, Stop};
use crate::limits::Limit;

/// A decoding failure at a byte position of the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DecodeError {
    pub pos: usize,
    pub kind: DecodeErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecodeErrorKind {
    Json(JsonErrorCode),
    Shape {
        field: &'static str,
        expected: &'static str,
    },
    Limit(Limit),
}

impl From<JsonError> for DecodeError {
    #[inline]
    fn from(e: JsonError) -> Self {
        let kind = match e.code {
            JsonErrorCode::TooDeep => DecodeErrorKind::Limit(Limit::Depth),
            code => DecodeErrorKind::Json(code),
        };
        DecodeError { pos: e.pos, kind }
    }
}

pub(crate) type Result<T> = std::result::Result<T, Stop>;

/// The scanner, plus the decoder's own reason for stopping (a shape or
/// limit error; JSON errors are the scanner's).
pub(crate) struct Cur<'a> {
    pub sc: Scanner<'a>,
    pub fault: Option<DecodeError>,
}

impl<'a> std::ops::Deref for Cur<'a> {
    type Target = Scanner<'a>;
    #[inline(always)]
    fn deref(&self) -> &Scanner<'a> {
        &self.sc
    }
}

impl std::ops::DerefMut for Cur<'_> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.sc
    }
}

impl<'a> Cur<'a> {
    pub fn new(data: &'a str, max_depth: usize) -> Cur<'a> {
        Cur {
            sc: Scanner::new(data, max_depth),
            fault: None,
        }
    }

    #[cold]
    #[inline(never)]
    pub fn shape<T>(
        &mut self,
        pos: usize,
        field: &'static str,
        expected: &'static str,
    ) -> Result<T> {
        self.stop(pos, DecodeErrorKind::Shape { field, expected })
    }

    #[cold]
    #[inline(never)]
    pub fn stop<T>(&mut self, pos: usize, kind: DecodeErrorKind) -> Result<T> {
        self.fault = Some(DecodeError { pos, kind });
        Err(Stop)
    }

    /// Why decoding stopped. Malformed JSON anywhere in the payload is
    /// reported as such, even after a field of the wrong shape or an index
    /// out of range found earlier.
    pub fn failure(&self, max_depth: usize) -> DecodeError {
        match self.fault {
            None => self.sc.error().into(),
            Some(fault) => {
                let mut whole = Scanner::new(self.sc.text(), max_depth);
                if whole.skip_value().and_then(|_| whole.finish()).is_err() {
                    whole.error().into()
                } else {
                    fault
                }
            }
        }
    }
}

pub(crate) const STRING_OR_NULL: &str = "a string or null";
pub(crate) const OBJECT_OR_NULL: &str = "an object or null";
pub(crate) const ARRAY_OR_NULL: &str = "an array or null";
pub(crate) const INDEX: &str = "a non-negative integer";

/// True when `name` is exactly `lit` (a fixed-size compare the compiler
/// expands inline, instead of a call to `bcmp`).
#[inline(always)]
pub(crate) fn is<const N: usize>(name: &[u8], lit: &[u8; N]) -> bool {
    <&[u8; N]>::try_from(name).is_ok_and(|a| a == lit)
}

/// Walks the members of the object whose `{` was just consumed,
/// dispatching on known keys:
///
/// ```text
/// members!(sc;
///     0 2 b"id" => …,          // index, length, name => arm
///     1 7 b"choices" => …,
///     _ key => …,              // any other key (its `StrSpan`)
/// );
/// ```
///
/// Known keys are listed in the order servers send them. The key after the
/// last one recognised is tried first (one fixed-size compare when the
/// server keeps its order), then the others, then the general path: the key
/// is scanned, its escapes decoded, and compared again. A length that does
/// not match its name does not compile.
macro_rules! members {
    ($sc:ident; $($idx:literal $len:literal $lit:literal => $arm:expr,)* _ $key:ident => $default:expr $(,)?) => {{
        let mut first = true;
        let mut next: usize = 0;
        while $sc.next_member(&mut first)? {
            let predicted = match next {
                $($idx => $sc.eat_key::<$len>($lit)?,)*
                _ => false,
            };
            let mut found = if predicted { next } else { usize::MAX };
            $(if found == usize::MAX && $sc.eat_key::<$len>($lit)? {
                found = $idx;
            })*
            let mut other = $crate::delta::StrSpan::EMPTY;
            if found == usize::MAX {
                let key = $sc.key_here()?;
                let name = $crate::protocol::scan::key_bytes($sc, key);
                $(if found == usize::MAX && $crate::protocol::scan::is::<$len>(&name, $lit) {
                    found = $idx;
                })*
                other = key;
            }
            next = found.wrapping_add(1);
            match found {
                $($idx => $arm,)*
                _ => {
                    let $key = other;
                    $default
                }
            }
        }
    }};
}
pub(crate) use members;

/// A key's name: its bytes, decoded when it holds escapes (rare).
#[inline(always)]
pub(crate) fn key_bytes<'s>(sc: &Cur<'s>, key: StrSpan) -> Cow<'s, [u8]> {
    if key.escaped() {
        Cow::Owned(key.get(sc.text()).to_cow().into_owned().into_bytes())
    } else {
        Cow::Borrowed(sc.bytes_of(key.start(), key.end()))
    }
}

/// A string or null.
#[inline(always)]
pub(crate) fn opt_text(sc: &mut Cur<'_>, field: &'static str) -> Result<Option<StrSpan>> {
    match sc.ws() {
        b'"' => Ok(Some(sc.string_here()?)),
        b'n' => {
            sc.null()?;
            Ok(None)
        }
        _ => {
            sc.peek_kind()?;
            sc.shape(sc.pos(), field, STRING_OR_NULL)
        }
    }
}

/// An `index`: null (absent), or an integer within `max_index`.
#[inline]
pub(crate) fn opt_index(
    sc: &mut Cur<'_>,
    field: &'static str,
    max_index: u32,
) -> Result<Option<u32>> {
    match sc.ws() {
        b'n' => {
            sc.null()?;
            Ok(None)
        }
        b'0'..=b'9' => {
            // The usual case first: a small integer ending the value.
            let at = sc.pos();
            if let Some((v, end)) = sc.small_uint() {
                sc.advance_to(end);
                return match u32::try_from(v) {
                    Ok(v) if v <= max_index => Ok(Some(v)),
                    _ => sc.stop(at, DecodeErrorKind::Limit(Limit::Index)),
                };
            }
            let (span, integer) = sc.number()?;
            let text = sc.bytes_of(span.start, span.end);
            if !integer {
                return sc.shape(at, field, INDEX);
            }
            match parse_u64(text) {
                Some(v) if v <= max_index as u64 => Ok(Some(v as u32)),
                _ => sc.stop(at, DecodeErrorKind::Limit(Limit::Index)),
            }
        }
        b'-' => {
            let at = sc.pos();
            let (span, integer) = sc.number()?;
            let text = sc.bytes_of(span.start, span.end);
            if !integer || text.first() == Some(&b'-') {
                return sc.shape(at, field, INDEX);
            }
            match parse_u64(text) {
                Some(v) if v <= max_index as u64 => Ok(Some(v as u32)),
                _ => sc.stop(at, DecodeErrorKind::Limit(Limit::Index)),
            }
        }
        _ => {
            sc.peek_kind()?;
            sc.shape(sc.pos(), field, INDEX)
        }
    }
}

/// A token count: a non-negative integer (anything else is kept in the raw
/// object only).
pub(crate) fn opt_count(sc: &mut Cur<'_>) -> Result<Option<u64>> {
    if sc.ws().is_ascii_digit() {
        let (span, integer) = sc.number()?;
        return Ok(parse_u64(sc.bytes_of(span.start, span.end)).filter(|_| integer));
    }
    sc.skip_value()?;
    Ok(None)
}

/// An array (its elements' text) or null.
pub(crate) fn list(sc: &mut Cur<'_>, field: &'static str) -> Result<Option<List>> {
    match sc.ws() {
        b'[' => sc.array()?,
        b'n' => {
            sc.null()?;
            return Ok(None);
        }
        _ => return sc.shape(sc.pos(), field, ARRAY_OR_NULL),
    }
    let mut l = List::default();
    let mut first = true;
    while sc.next_element(&mut first)? {
        let span = sc.skip_value()?;
        if l.count == 0 {
            l.inner.start = span.start;
        }
        l.inner.end = span.end;
        l.count += 1;
    }
    Ok(Some(l))
}

/// Any value, as a [`Raw`] (strings with their contents).
#[inline]
pub(crate) fn raw_value(sc: &mut Cur<'_>) -> Result<Raw> {
    let kind = match sc.ws() {
        b'n' => {
            let start = sc.pos();
            sc.null()?;
            return Ok(Raw::value(
                Span {
                    start,
                    end: sc.pos(),
                },
                ValueKind::Null,
            ));
        }
        b'"' => {
            let start = sc.pos();
            let t = sc.string_here()?;
            return Ok(Raw::string(
                Span {
                    start,
                    end: sc.pos(),
                },
                t,
            ));
        }
        b'[' => ValueKind::Array,
        b'{' => ValueKind::Object,
        _ => ValueKind::Scalar,
    };
    let span = sc.skip_value()?;
    Ok(Raw::value(span, kind))
}
