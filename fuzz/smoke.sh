#!/usr/bin/env bash
# Fuzz smoke run (CI): builds every target, seeds the corpora, replays the
# saved regression inputs, then fuzzes each target for FUZZ_SECONDS seconds
# (default 60), one after another. Any crash, panic, timeout or leak-out of
# memory makes the script exit non-zero (after running the other targets).
#
#   fuzz/smoke.sh                 # about 5 x 60 s after the build
#   FUZZ_SECONDS=10 fuzz/smoke.sh
#
# Built without a sanitizer (three times the speed of AddressSanitizer; the
# crate's only unsafe code, src/simd.rs, loads fixed-size arrays, and a
# non-ASCII byte it let through as ASCII would show as a difference from the
# naive SSE parser) and with debug assertions, so that integer overflow
# panics.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${FUZZ_SECONDS:-60}
targets=(sse_split fold_split structured json_differential partial_json)
flags=(--sanitizer none --debug-assertions)

if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

echo "=== build"
cargo +nightly fuzz build "${flags[@]}"

echo "=== seed"
./seed.sh

failed=()
for t in "${targets[@]}"; do
  mkdir -p "artifacts/$t"
  shopt -s nullglob
  regressions=(regressions/"$t"/*)
  shopt -u nullglob
  if ((${#regressions[@]})); then
    echo "=== $t: ${#regressions[@]} regression inputs"
    if ! cargo +nightly fuzz run "${flags[@]}" "$t" "${regressions[@]}" -- -runs=1; then
      failed+=("$t (regressions)")
    fi
  fi
  echo "=== $t: fuzzing for ${seconds}s"
  if ! cargo +nightly fuzz run "${flags[@]}" "$t" -- \
    -max_total_time="$seconds" -max_len=16384 -timeout=30 -print_final_stats=1; then
    failed+=("$t")
  fi
done

if ((${#failed[@]})); then
  echo "fuzz smoke FAILED: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz smoke passed: ${targets[*]} (${seconds}s each)"
