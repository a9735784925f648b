//! Partial JSON of tool arguments in the fold (`Fold::with_partial_json`):
//!
//! - Anthropic streams against anthropic-python's own `input_json` events:
//!   after each `input_json_delta`, the value our ops rebuild holds what the
//!   SDK's `snapshot` holds (but a number still at the end of the text, see
//!   `partial_json`'s docs), and nothing the final `input` lacks; all the
//!   ops rebuild the SDK's final `input`; whole, 1- and 7-byte pieces, sync
//!   and async;
//! - OpenAI chat streams: the ops of each call rebuild what serde_json
//!   parses from the SDK's final `arguments`;
//! - every corpus stream of every format: the ops of each call rebuild what
//!   serde_json parses from its arguments; the partial events are the only
//!   change the option makes; without it there are none;
//! - invalid and unfinished arguments: a warning with both offsets, the ops
//!   stop, the text is kept;
//! - calls that arrive whole get their ops at once.
//!
//! `STREAMFOLD_SHARED=/work/shared cargo test --release --test
//! partial_json_fold` runs the full corpus.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value as Json};
use streamfold::partial_json::OpTarget;
use streamfold::{Event, Fold, Warning};
use support::{data_root, fold_async_using, fold_using, sse, sse_files, Outcome};

fn read_json(p: &Path) -> Json {
    serde_json::from_slice(&std::fs::read(p).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn sized(bytes: &[u8], size: usize) -> Vec<usize> {
    bytes.chunks(size).map(<[u8]>::len).collect()
}

fn partial() -> Fold {
    Fold::new().with_partial_json()
}

/// One tool call as the events report it: its arguments text, the value
/// rebuilt after each of its `arguments.delta` events (with the partial
/// event right after it, if any), and the value all its ops rebuild.
#[derive(Debug, Default)]
struct Call {
    block: Option<u32>,
    text: String,
    /// (text so far, value so far) after each delta.
    steps: Vec<(String, Json)>,
    value: Json,
    /// A partial event came for it.
    had_ops: bool,
    /// Its `invalid_arguments` warning: (arguments offset, stream offset).
    invalid: Option<(u64, u64)>,
}

/// The calls of a stream's events, keyed by (choice, index). Checks that
/// each partial event comes right after an `arguments.delta` of its call,
/// or right before its `arguments.done` (a number that is the whole text).
fn calls_of(events: &[Event<'static>]) -> BTreeMap<(u32, u32), Call> {
    let mut calls: BTreeMap<(u32, u32), Call> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        match e {
            Event::ToolCallArgumentsDelta {
                choice,
                index,
                block,
                arguments_delta,
                ..
            } => {
                let c = calls.entry((*choice, *index)).or_default();
                c.block = *block;
                c.text.push_str(arguments_delta);
                if let Some(Event::ToolCallArgumentsPartial {
                    choice: pc,
                    index: pi,
                    ops,
                    ..
                }) = events.get(i + 1)
                {
                    if (pc, pi) == (choice, index) {
                        c.value.apply_all(ops).unwrap();
                        c.had_ops = true;
                    }
                }
                let step = (c.text.clone(), c.value.clone());
                c.steps.push(step);
            }
            Event::ToolCallArgumentsPartial {
                choice,
                index,
                block,
                ops,
                ..
            } => {
                assert!(!ops.is_empty(), "a partial event without ops");
                let after_delta = matches!(events.get(i.wrapping_sub(1)),
                    Some(Event::ToolCallArgumentsDelta { choice: c, index: x, .. }) if (c, x) == (choice, index));
                let before_done = matches!(events.get(i + 1),
                    Some(Event::ToolCallArgumentsDone { choice: c, index: x, .. }) if (c, x) == (choice, index));
                assert!(
                    after_delta || before_done,
                    "partial event {i} follows no delta of its call: {e:?}"
                );
                let c = calls.entry((*choice, *index)).or_default();
                assert_eq!(c.block, *block, "a partial event's block is its call's");
                if !after_delta {
                    c.value.apply_all(ops).unwrap();
                    c.had_ops = true;
                }
            }
            Event::Warning {
                warning:
                    Warning::InvalidArguments {
                        choice,
                        index,
                        arguments_offset,
                        ..
                    },
                offset,
                ..
            } => {
                let c = calls.entry((*choice, *index)).or_default();
                assert!(c.invalid.is_none(), "one warning per call");
                c.invalid = Some((*arguments_offset, *offset));
            }
            _ => {}
        }
    }
    calls
}

/// Why `ours` does not hold everything `sdk` holds, if it does not: every
/// member and element of `sdk` present in `ours`, scalars equal, strings a
/// prefix of ours. `text` is the arguments so far: a number of the SDK's
/// still at its very end may be missing from ours (it may grow).
fn not_covered(ours: &Json, sdk: &Json, text: &str) -> Option<String> {
    let number_at_end = |v: &Json| v.is_number() && text.ends_with(|c: char| c.is_ascii_digit());
    match (ours, sdk) {
        (Json::String(a), Json::String(b)) if a.starts_with(b.as_str()) => None,
        (Json::Array(a), Json::Array(b)) => {
            if let Some(missing) = b.get(a.len()) {
                if b.len() > a.len() + 1 || !number_at_end(missing) {
                    return Some(format!("{} elements vs the SDK's {}", a.len(), b.len()));
                }
            }
            a.iter()
                .zip(b.iter())
                .find_map(|(x, y)| not_covered(x, y, text))
        }
        (Json::Object(a), Json::Object(b)) => b.iter().find_map(|(k, v)| match a.get(k) {
            Some(x) => not_covered(x, v, text),
            None if number_at_end(v) && b.keys().next_back() == Some(k) => None,
            None => Some(format!("member {k:?} missing")),
        }),
        (Json::Number(a), Json::Number(b)) if a.as_f64() == b.as_f64() => None,
        (a, b) if a == b && !a.is_string() => None,
        (a, b) => Some(format!("{a} vs the SDK's {b}")),
    }
}

/// Why `ours` is not a prefix of `fin`, if it is not: every scalar final,
/// strings prefixes, arrays their first elements, objects some members.
fn not_within(ours: &Json, fin: &Json) -> Option<String> {
    match (ours, fin) {
        (Json::String(a), Json::String(b)) if b.starts_with(a.as_str()) => None,
        (Json::Array(a), Json::Array(b)) if a.len() <= b.len() => {
            a.iter().zip(b.iter()).find_map(|(x, y)| not_within(x, y))
        }
        (Json::Object(a), Json::Object(b)) => a.iter().find_map(|(k, v)| match b.get(k) {
            Some(y) => not_within(v, y),
            None => Some(format!("member {k:?} is not in the final value")),
        }),
        (a, b) if a == b && !a.is_string() && !a.is_array() => None,
        (a, b) => Some(format!("{a} is not within the final {b}")),
    }
}

/// The folders of a format in the corpus.
fn corpus(folder: &str) -> Vec<PathBuf> {
    let dir = data_root().join("corpus").join(folder);
    let files = sse_files(&dir);
    assert!(!files.is_empty(), "no streams in {}", dir.display());
    files
}

fn sdk_events(sse: &Path) -> Vec<Json> {
    std::fs::read_to_string(sse.with_extension("events.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn anthropic_ops_hold_the_sdks_input_json_snapshots_and_rebuild_its_input() {
    let mut checked_calls = 0;
    let mut checked_snapshots = 0;
    for path in corpus("anthropic-messages") {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let expected = read_json(&path.with_extension("expected.json"));
        let content = expected["content"].as_array().cloned().unwrap_or_default();
        // Block → the SDK's snapshots after each non-empty input_json_delta
        // (an empty one changes nothing and makes no event of ours).
        let mut snapshots: BTreeMap<u32, Vec<Json>> = BTreeMap::new();
        let mut last: Option<(u32, bool)> = None;
        for e in sdk_events(&path) {
            match e["type"].as_str().unwrap() {
                "content_block_delta" => {
                    let fragment = e["delta"]["partial_json"].as_str().unwrap_or("");
                    last = Some((e["index"].as_u64().unwrap() as u32, !fragment.is_empty()));
                }
                "input_json" => {
                    let (block, non_empty) = last.expect("input_json follows its delta");
                    if non_empty && content[block as usize]["type"] == "tool_use" {
                        snapshots
                            .entry(block)
                            .or_default()
                            .push(e["snapshot"].clone());
                    }
                }
                _ => {}
            }
        }
        let bytes = std::fs::read(&path).unwrap();
        let whole = fold_using(&bytes, &[bytes.len()], partial());
        for size in [1, 7] {
            let cuts = sized(&bytes, size);
            assert!(
                fold_using(&bytes, &cuts, partial()) == whole,
                "{name}: {size}-byte pieces (sync) differ"
            );
            assert!(
                fold_async_using(&bytes, &cuts, partial()) == whole,
                "{name}: {size}-byte pieces (async) differ"
            );
        }
        let calls = calls_of(&whole.events);
        let tool_blocks: Vec<u32> = content
            .iter()
            .enumerate()
            .filter(|(_, b)| b["type"] == "tool_use")
            .map(|(i, _)| i as u32)
            .collect();
        assert_eq!(
            calls.len(),
            tool_blocks.len(),
            "{name}: one call per tool_use block"
        );
        for call in calls.values() {
            let block = call.block.expect("an Anthropic call has its block");
            let fin = &content[block as usize]["input"];
            assert!(call.invalid.is_none(), "{name}: block {block}: warned");
            assert_eq!(&call.value, fin, "{name}: block {block}: all the ops");
            checked_calls += 1;
            let Some(sdk) = snapshots.get(&block) else {
                continue;
            };
            assert_eq!(
                call.steps.len(),
                sdk.len(),
                "{name}: block {block}: one step per non-empty input_json_delta"
            );
            for (k, ((text, ours), sdk)) in call.steps.iter().zip(sdk).enumerate() {
                if let Some(why) = not_covered(ours, sdk, text) {
                    panic!("{name}: block {block}: after delta {k} ({text:?}): {why}");
                }
                if let Some(why) = not_within(ours, fin) {
                    panic!("{name}: block {block}: after delta {k} ({text:?}): {why}");
                }
                checked_snapshots += 1;
            }
        }
    }
    assert!(checked_calls > 0 && checked_snapshots > 0);
    eprintln!("{checked_calls} calls, {checked_snapshots} snapshots checked");
}

#[test]
fn chat_ops_rebuild_what_serde_json_parses_from_the_sdks_final_arguments() {
    let mut checked = 0;
    for path in corpus("openai-chat") {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let expected = read_json(&path.with_extension("expected.json"));
        let bytes = std::fs::read(&path).unwrap();
        let out = fold_using(&bytes, &[bytes.len()], partial());
        let calls = calls_of(&out.events);
        let mut want = 0;
        for ch in expected["choices"].as_array().unwrap() {
            let c = ch["index"].as_u64().unwrap() as u32;
            for t in ch["message"]["tool_calls"].as_array().into_iter().flatten() {
                want += 1;
                let i = t["index"].as_u64().unwrap() as u32;
                let args = t["function"]["arguments"].as_str().unwrap();
                let call = &calls[&(c, i)];
                match serde_json::from_str::<Json>(args) {
                    Ok(v) => {
                        assert_eq!(call.value, v, "{name}: call {c}/{i}");
                        assert!(call.invalid.is_none(), "{name}: call {c}/{i} warned");
                        for (text, ours) in &call.steps {
                            if let Some(why) = not_within(ours, &v) {
                                panic!("{name}: call {c}/{i}: after {text:?}: {why}");
                            }
                        }
                    }
                    Err(_) => assert!(call.invalid.is_some(), "{name}: call {c}/{i}"),
                }
                checked += 1;
            }
        }
        assert_eq!(calls.len(), want, "{name}: the calls");
    }
    assert!(checked > 0);
    eprintln!("{checked} chat calls checked");
}

/// Every folder of the corpus with streams in it.
fn every_corpus_stream() -> Vec<PathBuf> {
    let root = data_root().join("corpus");
    let mut all = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        if dir.is_dir() {
            all.extend(sse_files(&dir));
        }
    }
    all.sort();
    all
}

/// The events without the partial events and their warnings.
fn without_partial(out: &Outcome) -> Vec<Event<'static>> {
    out.events
        .iter()
        .filter(|e| {
            !matches!(
                e,
                Event::ToolCallArgumentsPartial { .. }
                    | Event::Warning {
                        warning: Warning::InvalidArguments { .. },
                        ..
                    }
            )
        })
        .cloned()
        .collect()
}

#[test]
fn every_corpus_call_rebuilds_its_parsed_arguments_and_the_option_adds_only_partial_events() {
    let (mut streams, mut calls_checked) = (0, 0);
    for path in every_corpus_stream() {
        let name = path.display().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let plain = fold_using(&bytes, &[bytes.len()], Fold::new());
        let on = fold_using(&bytes, &[bytes.len()], partial());
        assert!(
            !plain.events.iter().any(|e| matches!(
                e,
                Event::ToolCallArgumentsPartial { .. }
                    | Event::Warning {
                        warning: Warning::InvalidArguments { .. },
                        ..
                    }
            )),
            "{name}: partial events without the option"
        );
        assert_eq!(without_partial(&on), plain.events, "{name}: other events");
        assert_eq!(on.done, plain.done, "{name}: final object");
        assert_eq!(on.error, plain.error, "{name}: error");
        for ((c, i), call) in calls_of(&on.events) {
            match serde_json::from_str::<Json>(&call.text) {
                Ok(v) => {
                    assert_eq!(call.value, v, "{name}: call {c}/{i}");
                    assert!(call.invalid.is_none(), "{name}: call {c}/{i} warned");
                }
                // Unfinished (a truncated stream) or not JSON.
                Err(_) => assert!(
                    call.invalid.is_some() || plain.error.is_some() || !call.had_ops,
                    "{name}: call {c}/{i}: {:?} is not JSON, without a warning",
                    call.text
                ),
            }
            calls_checked += 1;
        }
        streams += 1;
    }
    assert!(calls_checked > 0);
    eprintln!("{streams} streams, {calls_checked} calls checked");
}

fn chat_call(args: &[&str]) -> Vec<u8> {
    let mut chunks: Vec<String> = args
        .iter()
        .enumerate()
        .map(|(k, a)| {
            let mut call = json!({"index": 0, "function": {"arguments": a}});
            if k == 0 {
                call["id"] = json!("call_1");
                call["type"] = json!("function");
                call["function"]["name"] = json!("write");
            }
            json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"tool_calls": [call]}}]})
                .to_string()
        })
        .collect();
    chunks.push(
        json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
            .to_string(),
    );
    let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
    sse(&refs)
}

fn every_way(bytes: &[u8]) -> Outcome {
    let whole = fold_using(bytes, &[bytes.len()], partial());
    for (name, cuts) in support::chunkings(bytes.len(), 7) {
        let other = fold_using(bytes, &cuts, partial());
        assert!(other == whole, "chunking {name} differs");
    }
    whole
}

#[test]
fn invalid_arguments_stop_the_ops_with_a_warning_at_their_offsets_and_keep_the_text() {
    let bytes = chat_call(&["{\"a\":[1,", "]}", ",\"b\":2}"]);
    let out = every_way(&bytes);
    let calls = calls_of(&out.events);
    let call = &calls[&(0, 0)];
    assert_eq!(call.text, "{\"a\":[1,]},\"b\":2}", "the text is kept");
    // The `]` after the comma, byte 8 of the arguments; in the stream, the
    // `]` of the second chunk (unescaped in its payload).
    let second = bytes
        .windows(4)
        .position(|w| w == b"\"]}\"")
        .expect("the second fragment")
        + 1;
    assert_eq!(call.invalid, Some((8, second as u64)));
    assert_eq!(call.value, json!({"a": [1]}), "the ops up to the error");
    let warning = out
        .events_json()
        .into_iter()
        .find(|e| e["type"] == "warning")
        .unwrap();
    assert_eq!(
        warning,
        json!({"type": "warning", "warning": {"kind": "invalid_arguments", "choice": 0, "index": 0, "arguments_offset": 8}, "offset": second, "event_index": 1})
    );
    // No op after the warning.
    let at = out
        .events
        .iter()
        .position(|e| matches!(e, Event::Warning { .. }))
        .unwrap();
    assert!(!out.events[at..]
        .iter()
        .any(|e| matches!(e, Event::ToolCallArgumentsPartial { .. })));
    let chat = out.completion;
    assert_eq!(
        chat.choices[0].message.tool_calls[0].function.arguments,
        "{\"a\":[1,]},\"b\":2}"
    );
}

#[test]
fn arguments_unfinished_at_their_done_are_invalid_at_their_end() {
    let bytes = chat_call(&["{\"path\":\"a.md\",\"n\"", ":"]);
    let out = every_way(&bytes);
    let call = &calls_of(&out.events)[&(0, 0)];
    // The end of the text (byte 19), reported where its last fragment
    // ends in the stream (after the `:`, unescaped in its payload).
    let needle = b"\"arguments\":\":\"";
    let end = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the last fragment")
        + needle.len()
        - 1;
    assert_eq!(call.invalid, Some((19, end as u64)));
    assert_eq!(call.value, json!({"path": "a.md"}));
}

#[test]
fn a_number_that_is_the_whole_arguments_is_set_before_its_done() {
    let out = every_way(&chat_call(&["4", "2"]));
    let names: Vec<&str> = out.events.iter().map(Event::name).collect();
    let done = names
        .iter()
        .position(|n| *n == "tool_calls.function.arguments.done")
        .unwrap();
    assert_eq!(names[done - 1], "tool_calls.function.arguments.partial");
    assert_eq!(calls_of(&out.events)[&(0, 0)].value, json!(42));
}

#[test]
fn chat_partial_events_carry_the_ops_in_their_json_form() {
    let out = every_way(&chat_call(&[
        "{\"path\":\"a.md\",\"lines\":[1",
        ",2],\"text\":\"x\\ny",
    ]));
    let partial: Vec<Json> = out
        .events_json()
        .into_iter()
        .filter(|e| e["type"] == "tool_calls.function.arguments.partial")
        .collect();
    assert_eq!(
        partial,
        [
            json!({"type": "tool_calls.function.arguments.partial", "choice": 0, "index": 0, "ops": [
                {"op": "set", "path": [], "value": {}},
                {"op": "set", "path": ["path"], "value": ""},
                {"op": "append", "path": ["path"], "text": "a.md"},
                {"op": "set", "path": ["lines"], "value": []},
            ]}),
            json!({"type": "tool_calls.function.arguments.partial", "choice": 0, "index": 0, "ops": [
                {"op": "set", "path": ["lines", 0], "value": 1},
                {"op": "set", "path": ["lines", 1], "value": 2},
                {"op": "set", "path": ["text"], "value": ""},
                {"op": "append", "path": ["text"], "text": "x\ny"},
            ]}),
        ]
    );
    // The string never ends: the stream finished, the arguments did not.
    let call = &calls_of(&out.events)[&(0, 0)];
    assert_eq!(call.invalid.map(|(a, _)| a), Some(41));
}

#[test]
fn the_value_on_demand_is_what_the_ops_rebuild_so_far() {
    let bytes = chat_call(&["{\"q\":\"ru", "st\",\"n\":12", "3}"]);
    for fold in [Fold::new(), partial()] {
        let mut fold = fold;
        let mut seen = Vec::new();
        for piece in bytes.split_inclusive(|&b| b == b'\n') {
            fold.push(piece).for_each(drop);
            if let Some(v) = fold.tool_call_value(0, 0) {
                let v: Json = v.into();
                if seen.last() != Some(&v) {
                    seen.push(v);
                }
            }
        }
        assert_eq!(
            seen,
            [
                json!({"q": "ru"}),
                json!({"q": "rust"}),
                json!({"q": "rust", "n": 123})
            ]
        );
        assert_eq!(fold.tool_call_value(0, 1), None);
        assert_eq!(fold.tool_call_value(1, 0), None);
    }
}

#[test]
fn anthropic_tool_use_that_starts_whole_gets_its_ops_at_once() {
    let events = [
        (
            "message_start",
            r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"usage":{"input_tokens":1,"output_tokens":1}}}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"get","input":{"city":"Paris","days":[1,2]}}}"#,
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":0}"#,
        ),
        (
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":5}}"#,
        ),
        ("message_stop", r#"{"type":"message_stop"}"#),
    ];
    let mut bytes = Vec::new();
    for (name, data) in events {
        bytes.extend_from_slice(format!("event: {name}\ndata: {data}\n\n").as_bytes());
    }
    let out = every_way(&bytes);
    let names: Vec<&str> = out.events.iter().map(Event::name).collect();
    let delta = names
        .iter()
        .position(|n| *n == "tool_calls.function.arguments.delta")
        .unwrap();
    assert_eq!(names[delta + 1], "tool_calls.function.arguments.partial");
    assert_eq!(
        names
            .iter()
            .filter(|n| **n == "tool_calls.function.arguments.partial")
            .count(),
        1,
        "all the ops in one event"
    );
    let calls = calls_of(&out.events);
    assert_eq!(calls[&(0, 0)].block, Some(0));
    assert_eq!(
        calls[&(0, 0)].value,
        json!({"city": "Paris", "days": [1, 2]})
    );
}

#[test]
fn the_depth_limit_bounds_the_arguments_nesting() {
    let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
    let bytes = chat_call(&[&deep]);
    let limits = streamfold::Limits::default().max_depth(32);
    let out = fold_using(&bytes, &[bytes.len()], partial().with_limits(limits));
    let call = &calls_of(&out.events)[&(0, 0)];
    assert_eq!(call.invalid.map(|(a, _)| a), Some(32), "the 33rd bracket");
    assert_eq!(call.text, deep, "the text is kept");
    // The option survives `with_limits` either way round.
    let other = fold_using(
        &bytes,
        &[bytes.len()],
        Fold::new().with_limits(limits).with_partial_json(),
    );
    assert_eq!(other.events, out.events);
}
