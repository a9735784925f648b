//! UTF-8 for the framing layers: validation with an ASCII fast path, and the
//! Encoding standard's lossy decode (WHATWG's "UTF-8 decode") with a record
//! of where it replaced bytes, so positions map back to the stream.

/// `bytes` as UTF-8, when valid (ASCII checked first, the common case).
#[inline]
pub(crate) fn utf8(bytes: &[u8]) -> Option<&str> {
    #[cfg(not(feature = "scalar"))]
    if let Some(s) = crate::simd::ascii_str(bytes) {
        return Some(s);
    }
    std::str::from_utf8(bytes).ok()
}

/// Appends `bytes` to `out` decoded as UTF-8, each maximal invalid subpart
/// replaced by U+FFFD, recording where: (position in `out`, position in
/// `bytes`) at the start and after the end of each replacement.
pub(crate) fn repair(out: &mut String, bytes: &[u8], at: &mut Vec<(usize, usize)>) {
    let mut orig = 0;
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        orig += chunk.valid().len();
        if !chunk.invalid().is_empty() {
            at.push((out.len(), orig));
            out.push('\u{FFFD}');
            orig += chunk.invalid().len();
            at.push((out.len(), orig));
        }
    }
}

/// Maps a position in repaired text to the original bytes (a position
/// inside a replacement character maps to the invalid bytes it replaced).
pub(crate) fn original_position(repairs: &[(usize, usize)], pos: usize) -> usize {
    let i = repairs.partition_point(|&(r, _)| r <= pos);
    match i
        .checked_sub(1)
        .and_then(|i| repairs.get(i).map(|&p| (i, p)))
    {
        None => pos,
        // Inside a replacement character: where the invalid bytes begin.
        Some((i, (_, orig))) if i % 2 == 0 => orig,
        Some((_, (rep, orig))) => orig + (pos - rep),
    }
}
