//! The pipeline (SSE → OpenAI chat → fold) on arbitrary bytes (after a
//! 16-byte header of cut offsets and limits): the same outcome in every
//! chunking, and the fold's invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| streamfold_fuzz::targets::fold_split(data));
