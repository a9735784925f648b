#!/bin/sh
# What the crate's `unsafe` code (src/simd.rs: the SSE2 string scan, the
# unchecked ASCII-to-str conversion) gains: the `throughput` bench built
# as usual, saved as the baseline `simd`, then built with the `scalar`
# feature (the portable paths only) and compared against it. Criterion
# prints each group's change: a slowdown of the scalar build is what the
# unsafe code pays for. Arguments go to criterion (a group name, e.g.
# `benches/scalar-vs-simd.sh text_stream`).
set -eu
cd "$(dirname "$0")/.."
cargo bench --bench throughput -- --save-baseline simd "$@"
cargo bench --bench throughput --features scalar -- --baseline simd "$@"
