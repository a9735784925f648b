//! SSE layer: arbitrary bytes (after a 16-byte header of cut offsets and
//! limits) parsed whole, cut at four offsets and byte by byte must give the
//! same items, error and end, and match the naive spec parser.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| streamfold_fuzz::targets::sse_split(data));
