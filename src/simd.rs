//! The crate's only `unsafe` code, two small hot-path helpers.
//!
//! - `string_special16`: the offset of the first `"`, `\` or control
//!   byte in 16 bytes, with SSE2 (part of every x86-64 CPU, so no run-time
//!   detection), where a JSON string ends or needs unescaping. The JSON
//!   scanner calls it for every string; the safe path that follows it (and
//!   replaces it elsewhere) does 8 bytes at a time by SWAR, then one by one.
//! - `ascii_str`: a slice whose bytes are all below 0x80, as `&str`
//!   without a second validation pass. SSE event data is validated as UTF-8
//!   on every event and is almost always ASCII; `str::from_utf8` is the
//!   fallback for the rest.
//!
//! Why `unsafe` here: the first needs the SSE2 intrinsics, the second skips
//! re-validating bytes already proven ASCII; both sit on the per-byte path
//! that the `throughput` and `hotpath` benches measure.
//! `benches/scalar-vs-simd.sh` measures what they gain: the `throughput`
//! bench against a build with the `scalar` feature, which leaves this
//! module out for the safe fallbacks (CI tests that build too). Every
//! block carries its `// SAFETY:` proof; on other architectures the string
//! scan is the safe SWAR loop.
#![allow(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

/// Offset of the first byte of a 16-byte chunk that is `"`, `\` or below
/// 0x20 (the bytes that end or interrupt a JSON string), if any.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn string_special16(chunk: &[u8; 16]) -> Option<usize> {
    // SAFETY: SSE2 is enabled on every x86-64 target (it is part of the
    // architecture's baseline), which is all `string_special16_sse2` needs.
    unsafe { string_special16_sse2(chunk) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn string_special16_sse2(chunk: &[u8; 16]) -> Option<usize> {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        _mm_set_epi64x,
    };
    let (lo, hi) = split(chunk);
    let v = _mm_set_epi64x(hi as i64, lo as i64);
    let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
    let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
    // Unsigned `v <= 0x1F` is `max(v, 0x1F) == 0x1F`.
    let limit = _mm_set1_epi8(0x1F);
    let control = _mm_cmpeq_epi8(_mm_max_epu8(v, limit), limit);
    let mask = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control));
    (mask != 0).then(|| mask.trailing_zeros() as usize)
}

/// The two little-endian halves of a 16-byte chunk.
#[inline(always)]
fn split(chunk: &[u8; 16]) -> (u64, u64) {
    let mut lo = [0u8; 8];
    let mut hi = [0u8; 8];
    lo.copy_from_slice(&chunk[..8]);
    hi.copy_from_slice(&chunk[8..]);
    (u64::from_le_bytes(lo), u64::from_le_bytes(hi))
}

/// `bytes` as `&str` when every byte is ASCII; `None` otherwise (the caller
/// then validates it as UTF-8 the general way).
#[inline]
pub(crate) fn ascii_str(bytes: &[u8]) -> Option<&str> {
    let mut chunks = bytes.chunks_exact(16);
    for chunk in &mut chunks {
        let mut a = [0u8; 16];
        a.copy_from_slice(chunk);
        let (lo, hi) = split(&a);
        if (lo | hi) & 0x8080_8080_8080_8080 != 0 {
            return None;
        }
    }
    if !chunks.remainder().is_ascii() {
        return None;
    }
    // SAFETY: every byte is below 0x80 (checked above, 16 at a time by their
    // high bits, then the remainder), and a sequence of ASCII bytes is valid
    // UTF-8.
    Some(unsafe { std::str::from_utf8_unchecked(bytes) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_str_accepts_exactly_ascii() {
        for len in 0..40 {
            let ascii = vec![b'a'; len];
            assert_eq!(
                ascii_str(&ascii),
                Some(std::str::from_utf8(&ascii).unwrap())
            );
            for at in 0..len {
                let mut bytes = ascii.clone();
                bytes[at] = 0x80;
                assert_eq!(ascii_str(&bytes), None, "{len} {at}");
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn string_special16_finds_the_first_special_byte() {
        for at in 0..16 {
            for special in [b'"', b'\\', 0x00, 0x1F] {
                let mut chunk = [b'a'; 16];
                chunk[at] = special;
                if at + 1 < 16 {
                    chunk[15] = b'"';
                }
                assert_eq!(string_special16(&chunk), Some(at));
            }
        }
        assert_eq!(string_special16(&[0x20; 16]), None);
        assert_eq!(string_special16(&[0xFF; 16]), None);
    }
}
