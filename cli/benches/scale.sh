#!/usr/bin/env bash
# serve and bench at scale on one machine, on loopback: N concurrent streams
# (default 10,000), bench's figures checked against serve's schedule, the
# CPU and memory of each. Prints one summary; keeps its files in $OUT.
#
#   cli/benches/scale.sh                 # 10,000 streams
#   N=2000 ITL=20 cli/benches/scale.sh   # another shape
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-10000}
REQUESTS=${REQUESTS:-$N}
TTFT=${TTFT:-1000}
ITL=${ITL:-100}
OUT=${OUT:-target/scale}
mkdir -p "$OUT"
rm -f "$OUT"/schedule.ndjson "$OUT"/bench.json
cargo build --release -p streamfold-cli >&2
bin=target/release/streamfold
ulimit -n "$(ulimit -Hn)"

cpu_of() { # utime + stime of a pid, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"
}
kib_of() { grep "^$2:" "/proc/$1/status" | awk '{print $2}'; }

"$bin" serve --addr 127.0.0.1:0 --ttft "$TTFT" --itl "$ITL" --schedule "$OUT/schedule.ndjson" \
  >"$OUT/serve.out" 2>"$OUT/serve.err" &
serve=$!
trap 'kill $serve 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$OUT/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(awk '{print $NF}' "$OUT/serve.out")/v1/chat/completions
serve_rss0=$(kib_of $serve VmRSS)
serve_cpu0=$(cpu_of $serve)
"$bin" bench "$url" --concurrency "$N" --requests "$REQUESTS" --json "$OUT/bench.json" -q
serve_cpu1=$(cpu_of $serve)
serve_hwm=$(kib_of $serve VmHWM)
kill -TERM $serve
wait $serve || true
trap - EXIT
python3 cli/benches/compare.py "$OUT/bench.json" "$OUT/schedule.ndjson" \
  --serve-cpu "$serve_cpu0" "$serve_cpu1" \
  --serve-rss-kib "$serve_rss0" "$serve_hwm" --streams "$N" --ttft "$TTFT" --itl "$ITL"
