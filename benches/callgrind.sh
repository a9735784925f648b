#!/bin/sh
# Instructions per SSE event on streamfold's push path, counted by callgrind:
# stable where wall-clock time on this shared machine is not, so compare
# before and after a change with it.
#
#   benches/callgrind.sh            # text and tool streams, 3 read sizes, sync and async
#   benches/callgrind.sh text 64    # one workload (text|tool), one read size (4096|event|64)
#
# It builds benches/instructions.rs like the hot-path bench (profile
# like-for-like, -C target-cpu=native, target/like-for-like) and runs it under
# `valgrind --tool=callgrind --toggle-collect`, so only the push loop of the
# sync facade (`push_every_read`) or the polling of the async adapter
# (`poll_every_event`) is counted: not generating the stream, not `finish`.
# STREAMFOLD_BENCH_EVENTS sets the text stream's deltas (default 20,000).
set -eu
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="$PWD/target/like-for-like"
export RUSTFLAGS="-C target-cpu=native"
bin=$(cargo bench --profile like-for-like --bench instructions --no-run \
  --message-format=json-render-diagnostics |
  sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
[ -x "$bin" ] || { echo "callgrind.sh: no instructions binary built" >&2; exit 1; }

workloads=${1:-"text tool"}
reads=${2:-"4096 event 64"}
modes=${3:-"sync async"}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

printf '| mode | workload | read | SSE events | instructions | per event | per byte |\n'
printf '| --- | --- | --- | ---: | ---: | ---: | ---: |\n'
for mode in $modes; do
  case $mode in
    sync) fn='*push_every_read*' ;;
    async) fn='*poll_every_event*' ;;
    *) echo "callgrind.sh: mode is sync or async" >&2; exit 2 ;;
  esac
  for w in $workloads; do
    for r in $reads; do
      summary=$(valgrind --tool=callgrind --toggle-collect="$fn" \
        --callgrind-out-file="$out/cg.out" "$bin" "$w" "$r" "$mode" 2>"$out/log") ||
        { cat "$out/log" >&2; exit 1; }
      ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out/cg.out" | tail -n 1)
      events=$(echo "$summary" | sed -n 's/^events \([0-9]*\) bytes .*/\1/p')
      bytes=$(echo "$summary" | sed -n 's/^events [0-9]* bytes \([0-9]*\)$/\1/p')
      awk -v m="$mode" -v w="$w" -v r="$r" -v e="$events" -v b="$bytes" -v ir="$ir" \
        'BEGIN { printf "| %s | %s | %s | %d | %d | %.0f | %.2f |\n", m, w, r, e, ir, ir / e, ir / b }'
    done
  done
done
