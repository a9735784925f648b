//! Structure-aware: a chat-completion stream generated from the input
//! (`tests/oracle/gen.rs`) must fold the same in every chunking, keep the
//! fold's invariants and match the model's prediction.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| streamfold_fuzz::targets::structured(data));
