//! memchr SSE splitter + simd-json's serde deserializer into borrowed structs
//! + hand fold.
//!
//! simd-json rewrites its input (it unescapes strings in place) and reads
//! past the end of the document, so each payload is copied into one reused
//! buffer with [`simd_json::INPUT_PADDING`] bytes of padding. The simd-json
//! `Buffers` and the tape are reused too (`fill_tape_padded` then
//! `Deserializer::from_tape`), so simd-json itself does not allocate per
//! payload: this is the fastest way simd-json 0.19 offers to get typed,
//! borrowed values.

use serde::Deserialize;
use simd_json::{Buffers, Deserializer, Tape};

use super::borrowed::{Chunk, HandFold};
use super::splitter::Splitter;
use super::Folded;

pub fn fold<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> Result<Folded, String> {
    let mut splitter = Splitter::new();
    let mut fold = HandFold::default();
    let mut input: Vec<u8> = Vec::new();
    let mut buffers = Buffers::default();
    // The tape's allocation is kept between payloads; `Tape::reset` empties
    // it and frees its lifetime from the previous payload.
    let mut spare_tape: Option<Tape<'static>> = None;
    let mut on_data = |data: &[u8]| {
        if !fold.wants(data) {
            return Ok(());
        }
        input.clear();
        input.extend_from_slice(data);
        input.resize(data.len() + simd_json::INPUT_PADDING, 0);
        let mut tape = spare_tape.take().unwrap_or_else(Tape::null).reset();
        simd_json::fill_tape_padded(&mut input, data.len(), &mut buffers, &mut tape)
            .map_err(|e| fold.error(e))?;
        let mut deserializer = Deserializer::from_tape(tape);
        let chunk = Chunk::deserialize(&mut deserializer).map_err(|e| fold.error(e))?;
        fold.chunk(chunk);
        spare_tape = Some(deserializer.into_tape().reset());
        Ok::<(), String>(())
    };
    for chunk in chunks {
        splitter.feed(chunk, &mut on_data)?;
    }
    Ok(fold.finish())
}
