//! Floor: count the newlines of the stream with memchr, in the same reads as
//! the folds. Any SSE parser must at least find every line end.

pub fn count<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> usize {
    chunks.map(|c| memchr::memchr_iter(b'\n', c).count()).sum()
}
