//! Floor: simd-json's tape over every payload, and nothing else.
//!
//! The payloads are located once, outside the measured loop ([`payloads`]:
//! byte ranges of the `data: ` values in the stream, `[DONE]` left out), so
//! SSE splitting is *not* measured. Inside the loop ([`parse`]) each payload
//! is copied into one reused buffer with [`simd_json::INPUT_PADDING`] bytes of
//! padding (simd-json rewrites its input while it unescapes strings, so a
//! stream cannot be parsed in place twice) and parsed in full into a reused
//! tape with reused `Buffers`: no allocation per payload in steady state.
//! Nothing is folded. Throughput is still reported over the whole stream's
//! bytes, like every other benchmark of the group.

use std::ops::Range;

use simd_json::{Buffers, Tape};

/// Ranges of the `data:` payloads of an SSE stream made of `data: …` lines
/// (LF line ends, one data line per event, as generated and recorded streams
/// are), `[DONE]` excluded. Not measured; not a general SSE parser.
pub fn payloads(stream: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', stream) {
        let line = &stream[start..nl];
        let value = line
            .strip_prefix(b"data: ")
            .or_else(|| line.strip_prefix(b"data:"));
        if let Some(value) = value {
            if value != b"[DONE]" {
                let from = nl - value.len();
                out.push(from..nl);
            }
        }
        start = nl + 1;
    }
    out
}

/// Reusable state: input buffer, simd-json `Buffers`, tape allocation.
#[derive(Default)]
pub struct TapeParser {
    input: Vec<u8>,
    buffers: Buffers,
    spare_tape: Option<Tape<'static>>,
}

impl TapeParser {
    /// Parses every payload of `stream` in full; returns the total number of
    /// tape nodes.
    pub fn parse(&mut self, stream: &[u8], payloads: &[Range<usize>]) -> Result<usize, String> {
        let mut nodes = 0;
        for (i, range) in payloads.iter().enumerate() {
            let data = &stream[range.clone()];
            self.input.clear();
            self.input.extend_from_slice(data);
            self.input.resize(data.len() + simd_json::INPUT_PADDING, 0);
            let mut tape = self.spare_tape.take().unwrap_or_else(Tape::null).reset();
            simd_json::fill_tape_padded(&mut self.input, data.len(), &mut self.buffers, &mut tape)
                .map_err(|e| format!("payload {i}: {e}"))?;
            nodes += tape.0.len();
            self.spare_tape = Some(tape.reset());
        }
        Ok(nodes)
    }
}
