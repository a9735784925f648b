//! JSON strings: finding their end at scanning speed, and unescaping them
//! straight into the buffer that keeps them.

use std::borrow::Cow;
use std::num::NonZeroU64;

/// Where a JSON string lies in its payload: the text between its quotes
/// (or, for tolerated non-string values, the value's JSON text), and whether
/// it holds escapes.
///
/// Packed in one non-zero word (start and end below 2^31, the escape flag,
/// and a bit always set): results carrying it stay in registers on the hot
/// path, and `Option<StrSpan>` costs nothing more. Payloads are below 2 GiB
/// (see [`MAX_PAYLOAD`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StrSpan(NonZeroU64);

/// The largest payload the scanner accepts: positions fit in 31 bits.
pub(crate) const MAX_PAYLOAD: usize = (1 << 31) - 1;

const POS: u64 = (1 << 31) - 1;

impl StrSpan {
    /// An empty string at 0 (for fields with no text).
    pub const EMPTY: StrSpan = StrSpan::new(0, 0, false);

    #[inline(always)]
    pub const fn new(start: usize, end: usize, escaped: bool) -> StrSpan {
        let bits = (start as u64 & POS) | (end as u64 & POS) << 31 | (escaped as u64) << 62;
        match NonZeroU64::new(bits | 1 << 63) {
            Some(v) => StrSpan(v),
            None => StrSpan(NonZeroU64::MAX), // unreachable: the top bit is set
        }
    }

    #[inline(always)]
    fn bits(self) -> u64 {
        self.0.get() & !(1 << 63)
    }

    /// Byte position of the first byte.
    #[inline(always)]
    pub fn start(self) -> usize {
        (self.bits() & POS) as usize
    }

    /// Byte position after the last byte.
    #[inline(always)]
    pub fn end(self) -> usize {
        (self.bits() >> 31 & POS) as usize
    }

    /// Whether the raw text holds backslash escapes.
    #[inline(always)]
    pub fn escaped(self) -> bool {
        self.bits() >> 62 & 1 == 1
    }

    /// The string in `payload` (the text the scanner ran over).
    #[inline(always)]
    pub fn get(self, payload: &str) -> JsonStr<'_> {
        JsonStr::new(
            payload.get(self.start()..self.end()).unwrap_or(""),
            self.escaped(),
        )
    }

    /// True for an empty value.
    #[inline(always)]
    pub fn is_empty(self) -> bool {
        self.start() == self.end()
    }

    /// Raw JSON text (not a string's contents) used as a string value.
    #[inline(always)]
    pub fn verbatim(span: Span) -> StrSpan {
        StrSpan::new(span.start, span.end, false)
    }
}

/// Where the JSON text of one value lies in its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// The text in `payload`.
    #[inline(always)]
    pub fn get(self, payload: &str) -> &str {
        payload.get(self.start..self.end).unwrap_or("")
    }
}

/// The contents of a JSON string as it appears in the payload (between the
/// quotes), already validated by the scanner.
///
/// Borrowed, never copied: when `escaped` is false the raw text *is* the
/// value; otherwise [`JsonStr::append_to`] decodes the escapes while copying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonStr<'a> {
    raw: &'a str,
    escaped: bool,
}

impl<'a> JsonStr<'a> {
    /// Wraps validated string contents.
    #[inline]
    pub(crate) fn new(raw: &'a str, escaped: bool) -> Self {
        JsonStr { raw, escaped }
    }

    /// The text between the quotes, escapes undecoded.
    #[inline(always)]
    pub fn raw(self) -> &'a str {
        self.raw
    }

    /// Appends the decoded value to `out`.
    #[inline]
    pub fn append_to(self, out: &mut String) {
        if self.escaped {
            unescape_into(self.raw, out);
        } else {
            out.push_str(self.raw);
        }
    }

    /// The decoded value, borrowed when it has no escapes.
    #[inline(always)]
    pub fn to_cow(self) -> Cow<'a, str> {
        if self.escaped {
            Cow::Owned(unescaped(self.raw))
        } else {
            Cow::Borrowed(self.raw)
        }
    }
}

#[cold]
fn unescaped(raw: &str) -> String {
    let mut s = String::with_capacity(raw.len());
    unescape_into(raw, &mut s);
    s
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Position of the first byte at or after `i` that is `"`, `\` or a control
/// character (below 0x20), or `bytes.len()` if none.
///
/// Sixteen bytes at a time with SSE2 on x86-64 (`crate::simd`; not with
/// the `scalar` feature), then eight at a time (SWAR), then byte by byte
/// for the tail.
#[inline(always)]
pub fn find_string_special(bytes: &[u8], mut i: usize) -> usize {
    #[cfg(all(target_arch = "x86_64", not(feature = "scalar")))]
    while let Some(chunk) = bytes
        .get(i..i + 16)
        .and_then(|c| <&[u8; 16]>::try_from(c).ok())
    {
        if let Some(hit) = crate::simd::string_special16(chunk) {
            return i + hit;
        }
        i += 16;
    }
    while let Some(word) = bytes.get(i..i + 8) {
        if let Some(hit) = special8(word) {
            return i + hit;
        }
        i += 8;
    }
    while let Some(&c) = bytes.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

/// The first special byte of an 8-byte word (SWAR): a byte of `w ^ c` is
/// zero where `w` holds `c`, and `(x - 0x01..) & !x & 0x80..` flags the
/// lowest zero byte exactly (bits above it may be false positives, which
/// `trailing_zeros` ignores).
#[inline(always)]
fn special8(word: &[u8]) -> Option<usize> {
    let mut a = [0u8; 8];
    a.copy_from_slice(word);
    let w = u64::from_le_bytes(a);
    let q = w ^ (LO * b'"' as u64);
    let s = w ^ (LO * b'\\' as u64);
    let hits =
        (q.wrapping_sub(LO) & !q) | (s.wrapping_sub(LO) & !s) | (w.wrapping_sub(LO * 0x20) & !w);
    let hits = hits & HI;
    (hits != 0).then(|| (hits.trailing_zeros() / 8) as usize)
}

/// Decodes the escapes of validated string contents into `out`.
///
/// Total: should it ever meet a malformed escape it writes U+FFFD instead of
/// panicking, though the scanner never hands it one.
pub fn unescape_into(raw: &str, out: &mut String) {
    let bytes = raw.as_bytes();
    let mut run = 0;
    let mut i = 0;
    // Short strings (argument fragments) are scanned in place: a call into
    // memchr costs more than their bytes.
    let next = |from: usize| -> Option<usize> {
        let rest = bytes.get(from..)?;
        if rest.len() < 32 {
            rest.iter().position(|&b| b == b'\\')
        } else {
            memchr::memchr(b'\\', rest)
        }
    };
    while let Some(off) = next(i) {
        let bs = i + off;
        out.push_str(&raw[run..bs]);
        let (ch, next) = decode_escape(bytes, bs);
        out.push(ch);
        i = next;
        run = next;
    }
    out.push_str(&raw[run..]);
}

/// Decodes the escape whose backslash is at `i`.
fn decode_escape(b: &[u8], i: usize) -> (char, usize) {
    let simple = |c: char| (c, i + 2);
    match b.get(i + 1) {
        Some(b'"') => simple('"'),
        Some(b'\\') => simple('\\'),
        Some(b'/') => simple('/'),
        Some(b'b') => simple('\u{8}'),
        Some(b'f') => simple('\u{c}'),
        Some(b'n') => simple('\n'),
        Some(b'r') => simple('\r'),
        Some(b't') => simple('\t'),
        Some(b'u') => {
            let Some(hi) = hex4(b, i + 2) else {
                return ('\u{FFFD}', (i + 2).min(b.len()));
            };
            if (0xD800..0xDC00).contains(&hi) {
                if b.get(i + 6) == Some(&b'\\') && b.get(i + 7) == Some(&b'u') {
                    if let Some(lo) = hex4(b, i + 8) {
                        if (0xDC00..0xE000).contains(&lo) {
                            let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                            return (char::from_u32(c).unwrap_or('\u{FFFD}'), i + 12);
                        }
                    }
                }
                return ('\u{FFFD}', i + 6);
            }
            (char::from_u32(hi).unwrap_or('\u{FFFD}'), i + 6)
        }
        Some(_) => ('\u{FFFD}', i + 2),
        None => ('\u{FFFD}', i + 1),
    }
}

/// Four hex digits at `i`, as a UTF-16 code unit.
#[inline]
pub(crate) fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let digits = b.get(i..i + 4)?;
    let mut v = 0u32;
    for &d in digits {
        let n = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return None,
        };
        v = v << 4 | n as u32;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_find(bytes: &[u8], i: usize) -> usize {
        bytes[i..]
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
            .map_or(bytes.len(), |p| p + i)
    }

    #[test]
    fn find_string_special_agrees_with_a_byte_loop() {
        let samples: [&[u8]; 6] = [
            b"hello world, no specials at all here",
            b"abcdefg\"hij",
            b"abcdefghijklmnop\\q",
            b"\x1fabc",
            "h\u{e9}llo w\u{f6}rld \u{1F600}\u{1F600}\"x".as_bytes(),
            b"\x7f\x80\xff\x20\x21\x19",
        ];
        for s in samples {
            for start in 0..s.len() {
                assert_eq!(
                    find_string_special(s, start),
                    naive_find(s, start),
                    "{s:?} {start}"
                );
            }
        }
    }

    #[test]
    fn unescape_decodes_every_escape_form() {
        let mut out = String::new();
        unescape_into(r#"a\"b\\c\/d\be\ff\ng\rh\ti\u00e9\ud83d\ude00"#, &mut out);
        assert_eq!(out, "a\"b\\c/d\u{8}e\u{c}f\ng\rh\ti\u{e9}\u{1F600}");
    }
}
