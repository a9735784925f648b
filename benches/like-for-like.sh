#!/bin/sh
# The hot-path bench, like for like: every crate of the process (streamfold,
# its peers, criterion; not the precompiled std) built with the
# `like-for-like` profile (fat LTO, one codegen unit) and for this CPU, in
# its own target folder so the normal build cache stays valid. Arguments go
# to criterion, e.g. `benches/like-for-like.sh text_stream`.
set -eu
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="$PWD/target/like-for-like"
export RUSTFLAGS="-C target-cpu=native"
exec cargo bench --profile like-for-like --bench hotpath -- "$@"
