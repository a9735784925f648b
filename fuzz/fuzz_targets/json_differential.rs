//! Differential: the input as the data of one event is a JSON error
//! exactly when serde_json rejects it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| streamfold_fuzz::targets::json_differential(data));
