//! Differential: partial JSON of tool arguments, whole vs cut vs one
//! character at a time, against serde_json and the naive reference.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| streamfold_fuzz::targets::partial_json(data));
