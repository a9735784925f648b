//! JSON: a validating scanner that borrows, owned values (objects in arrival
//! order) for what the engine keeps without knowing its shape, and their
//! conversions. No wire-format field names live here.

mod de;
pub(crate) mod map;
pub mod partial;
pub(crate) mod raw;
pub(crate) mod scanner;
#[cfg(feature = "serde_json")]
mod serde_json;
pub(crate) mod string;
pub(crate) mod value;
pub(crate) mod write;

/// True for the four bytes JSON allows between tokens (RFC 8259, section
/// 2): space, tab, line feed and carriage return. Form feed and vertical
/// tab, which ASCII also counts as whitespace, are not among them.
#[inline]
pub(crate) fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// `s` without its leading JSON whitespace.
pub(crate) fn trim_start(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_ascii() && is_whitespace(c as u8))
}

/// True when `s` holds nothing but JSON whitespace.
pub(crate) fn is_blank(s: &str) -> bool {
    s.bytes().all(is_whitespace)
}
