//! Structure-aware: a stream of any format generated from the input
//! (`tests/oracle/gen.rs` for OpenAI chat, `tests/oracle/formats.rs` for
//! the others) must fold the same in every chunking, detected or forced,
//! its events must agree with its final object, and a clean one must match
//! what the generator sent.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| streamfold_fuzz::targets::structured(data));
