#!/usr/bin/env bash
# Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/
# (git-ignored) from the project's test data and hand-made snippets. Safe to
# rerun: seeds are overwritten, files the fuzzer added are kept.
#
# sse_split and fold_split inputs start with a 16-byte header (see
# tests/oracle/targets.rs): byte 0 flags (1: small limits, 2: also byte by
# byte), bytes 1-8 four cut offsets (u16 LE), bytes 9-15 limits.
set -euo pipefail
cd "$(dirname "$0")"
data=../tests/data
corpus=corpus

mkdir -p "$corpus"/{sse_split,fold_split,structured,json_differential,partial_json}

# Header: default limits, cuts at 0 (so the cut feed is the whole input).
plain_header() { printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'; }
# Header: byte by byte too; cuts at 1, 7, 64, 300.
split_header() { printf '\x02\x01\x00\x07\x00\x40\x00\x2c\x01\x00\x00\x00\x00\x00\x00\x00'; }
# Header: small limits (event 48 bytes, line 16 bytes, 2 choices, 2 tool
# calls, depth 6, max index 255); cuts at 5, 9, 33, 80.
limit_header() { printf '\x01\x05\x00\x09\x00\x21\x00\x50\x00\x30\x00\x10\x02\x02\x06\xff'; }

# Hand-made SSE snippets: line ends, BOMs, comments, fields, limits, [DONE].
snippets=(
  'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\ndata: [DONE]\n\n'
  'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\r\n\r\ndata:{"choices":[{"index":0,"delta":{"content":"b"},"finish_reason":"stop"}]}\r\r'
  '\xef\xbb\xbfdata: x\n\n'
  '\xef\xbbdata: x\n\n'
  ': comment\nevent: ping\ndata: {}\n\nid: 7\nretry: 3000\ndata: a\ndata: b\n\n'
  'data\n\ndata:\n\ndata: \n\n   \n'
  'id: a\x00b\ndata: x\n\nretry: 12x\nretry: 99999999999999999999999\n\n'
  'event: error\ndata: {"error":{"message":"boom","type":"server_error","code":500}}\n\n'
  'data: {"error":{"message":"rate limited","code":"429"}}\n\n'
  'data: [DONE]x\n\ndata: [DONE]\n\ndata: {"choices":[{"index":0,"delta":{"content":"late"}}]}\n\n'
  'data: {"choices":[{"index":4000000000,"delta":{"tool_calls":[{"index":4294967295,"id":"c1","function":{"name":"f","arguments":"{\\"a\\":"}}]}}]}\n\n'
  'data: {"choices":[{"index":2147483647,"delta":{"content":"\\ud83d\\ude00 \\u00e9"}}]}\n\n'
  'data: {"choices":[{"index":"0","delta":{}}]}\n\n'
  'data: {"choices":[{"index":0,"delta":{"content":"\xc3\x28 bad utf8"}}]}\n\n'
  'data: {"choices":[{"index":0,"delta":{"reasoning_content":"think","tool_calls":[{"id":"a","function":{"arguments":"1"}},{"id":"b","function":{"arguments":"2"}}]},"logprobs":{"content":[{"token":"x","logprob":-0.5}]}}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}\n\n'
  'data: {"choices":[{"index":0,"delta":{"content":"cut'
  ':only a comment'
  'data: {"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}\n\n'
)

i=0
for s in "${snippets[@]}"; do
  for target in sse_split fold_split; do
    { plain_header; printf '%b' "$s"; } >"$corpus/$target/snippet-$i"
    { split_header; printf '%b' "$s"; } >"$corpus/$target/snippet-$i-split"
    { limit_header; printf '%b' "$s"; } >"$corpus/$target/snippet-$i-limits"
  done
  printf '%b' "$s" >"$corpus/structured/snippet-$i"
  i=$((i + 1))
done

# fold_split header, byte 0 bits 2-4: the fold (0 forced OpenAI chat, 1
# detected, 2-7 forced Format::ALL[mode - 2]: chat, completions, responses,
# anthropic-messages, gemini, ollama).
mode_header() { printf "\\x$(printf '%02x' $(($1 << 2)))"; printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'; }
# The same, one byte at a time too, cut at 1, 7, 64, 300.
mode_split_header() { printf "\\x$(printf '%02x' $((($1 << 2) | 2)))"; printf '\x01\x00\x07\x00\x40\x00\x2c\x01\x00\x00\x00\x00\x00\x00\x00'; }
# The fold_split mode forcing a format, and its position in Format::ALL.
mode_of() {
  case "$1" in
    openai-chat*) echo 2 ;; completions-*) echo 3 ;; openai-responses) echo 4 ;;
    anthropic-messages) echo 5 ;; gemini-sse) echo 6 ;; ollama-*) echo 7 ;;
  esac
}

# Recorded streams of every format, whole (structured also as tapes for the
# generator, with the format selector byte after the four cut offsets).
recorded=()
for d in openai-chat openai-chat-sdk-rejects openai-responses anthropic-messages gemini-sse; do
  for f in "$data"/corpus/$d/*.sse; do recorded+=("$d:$f"); done
done
recorded+=("openai-chat:$data/openai-gpt-4o-saturn.sse")
for f in "$data"/formats/*.sse "$data"/formats/*.ndjson; do
  recorded+=("$(basename "$f"):$f")
done
for entry in "${recorded[@]}"; do
  folder=${entry%%:*}
  f=${entry#*:}
  name=$(basename "$f")
  name=${name%.*}
  mode=$(mode_of "$folder")
  case "$folder" in
    openai-chat*) { plain_header; cat "$f"; } >"$corpus/fold_split/$name" ;;
  esac
  case "$f" in
    *.sse) { plain_header; cat "$f"; } >"$corpus/sse_split/$name" ;;
  esac
  { mode_header 1; cat "$f"; } >"$corpus/fold_split/$name-detect"
  { mode_header "$mode"; cat "$f"; } >"$corpus/fold_split/$name-forced"
  if [ "$(wc -c <"$f")" -le 8192 ]; then
    { mode_split_header 1; cat "$f"; } >"$corpus/fold_split/$name-detect-split"
  fi
  head -c 4096 "$f" >"$corpus/structured/$name"
  { printf '\x00\x00\x00\x00\x00\x00\x00\x00'; printf "\\x$(printf '%02x' $((mode - 2)))"; head -c 2048 "$f"; } >"$corpus/structured/$name-format"
  # The first few distinct payloads, one per file, for the JSON differential.
  n=0
  while IFS= read -r line && [ $n -lt 6 ]; do
    line=${line%$'\r'}
    printf '%s' "${line#data: }" >"$corpus/json_differential/$name-$n"
    n=$((n + 1))
  done < <(grep -E '^(data: |\{)' "$f" | sort -u | head -n 6)
done
# A tape per format for the structured generator: zero cuts, the selector,
# then zeros (the plainest stream) and ones.
for k in 0 1 2 3 4 5; do
  { printf '\x00\x00\x00\x00\x00\x00\x00\x00'; printf "\\x$(printf '%02x' $k)"; head -c 64 /dev/zero; } >"$corpus/structured/format-$k-zeros"
  { printf '\x00\x00\x00\x00\x00\x00\x00\x00'; printf "\\x$(printf '%02x' $k)"; head -c 512 /dev/zero | tr '\0' '\1'; } >"$corpus/structured/format-$k-ones"
done

# Hand-made JSON payloads: escapes, surrogates, numbers, nesting, garbage.
payloads=(
  '{"choices":[{"index":0,"delta":{"content":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u00e9\\ud83d\\ude00"}}]}'
  '{"choices":[{"index":0,"delta":{"content":"\\ud800"}}]}'
  '{"choices":[{"index":0,"delta":{"content":"\\udc00\\ud800"}}]}'
  '{"a":[1,-0,0.5,1e10,-1E-7,1.0e+2,18446744073709551616,123456789012345678901234567890]}'
  '{"a":01}'
  '{"a":1.}'
  '{"a":-}'
  '{"a":[1,]}'
  '{"a":1,}'
  '{"a" 1}'
  '{"a":"\x01"}'
  '{"a":"\\x"}'
  '{"a":"\\u12"}'
  '{"a":tru}'
  '{"a":nul}'
  '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'
  '{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{}}}}}}}}}'
  '{} {}'
  '{}x'
  '"just a string"'
  '42'
  'null'
  '[DONE]'
  ' [DONE]'
  '   '
  '{"error":{"message":"m","type":"t","code":1}}'
  '{"object":"error","message":"m"}'
  '{"choices":[{"index":0,"delta":{"content":"x"}}],"choices":null}'
)
i=0
for p in "${payloads[@]}"; do
  printf '%b' "$p" >"$corpus/json_differential/handmade-$i"
  i=$((i + 1))
done

# Tool-call arguments for partial_json: a 9-byte header (byte 0 flags, bit
# 0: also one character at a time; bytes 1-8 four cut offsets, u16 LE), then
# the text. Hand-made ones, valid and broken, whole and cut.
partial_plain() { printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00'; }
# One character at a time too; cuts at 1, 5, 17, 40.
partial_split() { printf '\x01\x01\x00\x05\x00\x11\x00\x28\x00'; }
arguments=(
  '{"path":"a.txt","content":"line 1\\nline 2 \\"q\\" \\u00e9\\ud83d\\ude00 Ã©ð"}'
  '{"query":"rust","limit":10,"offset":-0.5e+3,"exact":true,"tags":[],"filter":null,"nested":{"a":[1,{"b":"c"}]}}'
  '[1,2.5,-3e-2,1E5,0,-0,18446744073709551616,123456789012345678901234567890]'
  '"just a string"'
  '42'
  '  {  }  '
  '{"a":1,"a":{"b":2},"a":"last"}'
  '{"a":"\\ud800"}'
  '{"a":"\\udc00"}'
  '{"a":"\\ud800\\u0041"}'
  '{"a":"\\x"}'
  '{"a":"\\u12g4"}'
  '{"a":""}'
  '{"a":01}'
  '{"a":1.}'
  '{"a":-}'
  '{"a":1e}'
  '{"a":1e400}'
  '{"a":[1,]}'
  '{"a":1,}'
  '{"a" 1}'
  '{"a":tru}'
  '{"a":1}x'
  '{"a":[1}'
  '{"content":"cut in the mid'
  '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["'
  ''
)
i=0
for a in "${arguments[@]}"; do
  { partial_plain; printf '%b' "$a"; } >"$corpus/partial_json/handmade-$i"
  { partial_split; printf '%b' "$a"; } >"$corpus/partial_json/handmade-$i-split"
  i=$((i + 1))
done

# The SSE conformance vectors' inputs, when python3 is there to read them.
if command -v python3 >/dev/null; then
  python3 - "$data/sse-vectors/vectors.json" "$corpus" <<'PY'
import base64, json, sys
vectors, corpus = sys.argv[1], sys.argv[2]
header = bytes(16)
for i, case in enumerate(json.load(open(vectors))):
    if "input" in case:
        raw = case["input"].encode()
    else:
        raw = base64.b64decode(case["input_b64"])
    for target in ("sse_split", "fold_split"):
        with open(f"{corpus}/{target}/vector-{i}", "wb") as f:
            f.write(header + raw)
PY
fi

# The tool-call arguments of the recorded streams, when python3 is there to
# join their fragments.
if command -v python3 >/dev/null; then
  python3 - "$corpus/partial_json" "$data"/corpus/openai-chat/*.sse "$data"/corpus/openai-responses/*.sse "$data"/corpus/anthropic-messages/*.sse <<'PY'
import json, sys
out, files = sys.argv[1], sys.argv[2:]
n = 0
for path in files:
    calls = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        if not line.startswith("data:") or line.strip() == "data: [DONE]":
            continue
        try:
            chunk = json.loads(line[5:])
        except ValueError:
            continue
        if not isinstance(chunk, dict):
            continue
        for choice in chunk.get("choices") or []:
            for call in (choice.get("delta") or {}).get("tool_calls") or []:
                args = (call.get("function") or {}).get("arguments")
                if isinstance(args, str):
                    key = (choice.get("index"), call.get("index"))
                    calls[key] = calls.get(key, "") + args
        # Responses function_call_arguments.delta, Anthropic input_json_delta.
        if chunk.get("type") == "response.function_call_arguments.delta":
            key = ("r", chunk.get("output_index"))
            calls[key] = calls.get(key, "") + str(chunk.get("delta") or "")
        delta = chunk.get("delta")
        if isinstance(delta, dict) and delta.get("type") == "input_json_delta":
            key = ("a", chunk.get("index"))
            calls[key] = calls.get(key, "") + str(delta.get("partial_json") or "")
    for args in calls.values():
        if args:
            with open(f"{out}/recorded-{n}", "wb") as f:
                f.write(b"\x01\x03\x00\x07\x00\x0d\x00\x20\x00" + args.encode())
            n += 1
PY
fi

for t in sse_split fold_split structured json_differential partial_json; do
  printf '%-18s %4d seeds\n' "$t" "$(find "$corpus/$t" -type f | wc -l)"
done
