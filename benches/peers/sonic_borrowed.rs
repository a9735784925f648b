//! memchr SSE splitter + sonic-rs into borrowed structs + hand fold.
//!
//! `sonic_rs::from_slice` borrows strings without escapes from the payload;
//! the `Cow` fields of [`super::borrowed`] take the owned path where escapes
//! force it. `from_slice` validates the payload's UTF-8 first (simdutf8,
//! AVX2 when built for it); `std::str::from_utf8` then `sonic_rs::from_str`
//! measured the same (like-for-like profile, text stream, 4 KiB and
//! one-event reads), so this is the fastest typed, borrowed use of sonic-rs.

use super::borrowed::HandFold;
use super::splitter::Splitter;
use super::Folded;

pub fn fold<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> Result<Folded, String> {
    let mut splitter = Splitter::new();
    let mut fold = HandFold::default();
    let mut on_data = |data: &[u8]| {
        if fold.wants(data) {
            let chunk = sonic_rs::from_slice(data).map_err(|e| fold.error(e))?;
            fold.chunk(chunk);
        }
        Ok::<(), String>(())
    };
    for chunk in chunks {
        splitter.feed(chunk, &mut on_data)?;
    }
    Ok(fold.finish())
}
