//! Anthropic Messages streams: recorded streams against anthropic-python's
//! own reassembly (`NAME.expected-beta.json` where the beta helper's differs,
//! else `NAME.expected.json`; `NAME.events.jsonl`), and hand-made streams
//! for what the recordings lack (errors, truncation, hostile sizes).

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value as Json};
use streamfold::{ErrorKind, Event, Fold, Format, Verdict, Warning};
use support::json::diff_by_value;
use support::{data_root, fold_async_using, fold_using, sse_files, Outcome};

fn corpus_dir() -> PathBuf {
    data_root().join("corpus/anthropic-messages")
}

/// One recorded stream and its oracle files.
struct Case {
    name: String,
    bytes: Vec<u8>,
    /// The SDK's final message (the beta helper's when it differs).
    expected: Json,
    /// Which file `expected` came from.
    oracle: &'static str,
    /// The SDK's stream events.
    sdk_events: Vec<Json>,
}

fn case(sse: &Path) -> Case {
    let name = sse.file_stem().unwrap().to_string_lossy().into_owned();
    let read_json = |p: PathBuf| -> Json {
        serde_json::from_slice(&std::fs::read(&p).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    let beta = sse.with_extension("expected-beta.json");
    let (expected, oracle) = if beta.exists() {
        (read_json(beta), "expected-beta.json")
    } else {
        (
            read_json(sse.with_extension("expected.json")),
            "expected.json",
        )
    };
    let sdk_events = std::fs::read_to_string(sse.with_extension("events.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    Case {
        name,
        bytes: std::fs::read(sse).unwrap(),
        expected,
        oracle,
        sdk_events,
    }
}

fn cases() -> Vec<Case> {
    let dir = corpus_dir();
    let all: Vec<Case> = sse_files(&dir).iter().map(|p| case(p)).collect();
    assert!(!all.is_empty(), "no streams in {}", dir.display());
    all
}

fn whole(bytes: &[u8]) -> Vec<usize> {
    vec![bytes.len()]
}

fn sized(bytes: &[u8], size: usize) -> Vec<usize> {
    bytes.chunks(size).map(<[u8]>::len).collect()
}

fn fold_whole(bytes: &[u8]) -> Outcome {
    fold_using(bytes, &whole(bytes), Fold::new())
}

fn final_json(out: &Outcome) -> Json {
    serde_json::to_value(&out.done).unwrap()
}

#[test]
fn every_recorded_stream_folds_to_the_sdks_final_message() {
    let mut failures = Vec::new();
    let mut table = Vec::new();
    for c in cases() {
        let out = fold_whole(&c.bytes);
        let mut why = Vec::new();
        if let Some(e) = &out.error {
            why.push(format!("error {e:?}"));
        }
        if out.done.format() != Format::AnthropicMessages {
            why.push(format!("detected as {}", out.done.format()));
        }
        let diffs = diff_by_value(&final_json(&out), &c.expected);
        why.extend(diffs);
        let blocks = c.expected["content"].as_array().map_or(0, Vec::len);
        table.push(format!(
            "{:<62} {:>7} B {:>2} blocks {:<18} {}",
            c.name,
            c.bytes.len(),
            blocks,
            c.oracle,
            if why.is_empty() { "pass" } else { "FAIL" }
        ));
        if !why.is_empty() {
            failures.push(format!(
                "{} (vs {}): ours vs SDK\n  {}",
                c.name,
                c.oracle,
                why.join("\n  ")
            ));
        }
    }
    eprintln!("{}", table.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What the events say about each block, by block index.
#[derive(Debug, Default)]
struct BlockEvents {
    content: String,
    content_done: String,
    reasoning: String,
    reasoning_done: String,
    /// (tool index, id, name) of the start event.
    start: Option<(u32, String, String)>,
    arguments: String,
    arguments_done: String,
}

fn by_block(events: &[Event<'static>]) -> BTreeMap<u32, BlockEvents> {
    let mut m: BTreeMap<u32, BlockEvents> = BTreeMap::new();
    for e in events {
        let Some(b) = e.block() else { continue };
        let s = m.entry(b).or_default();
        match e {
            Event::ContentDelta { delta, .. } => s.content.push_str(delta),
            Event::ContentDone { content, .. } => s.content_done.push_str(content),
            Event::ReasoningDelta { delta, .. } => s.reasoning.push_str(delta),
            Event::ReasoningDone { reasoning, .. } => s.reasoning_done.push_str(reasoning),
            Event::ToolCallStart {
                index, id, name, ..
            } => {
                assert!(s.start.is_none(), "one start per block");
                s.start = Some((*index, id.to_string(), name.to_string()));
            }
            Event::ToolCallArgumentsDelta {
                arguments_delta, ..
            } => s.arguments.push_str(arguments_delta),
            Event::ToolCallArgumentsDone { arguments, .. } => s.arguments_done.push_str(arguments),
            _ => {}
        }
    }
    m
}

/// The events agree with the final message: per block, the deltas of each
/// kind concatenated (and the `.done` runs) are the block's text, thinking
/// or tool input; tool calls start with the block's id and name, in order;
/// the last usage and finish reason are the message's; `end` is last.
fn events_agree_with_final(name: &str, out: &Outcome) {
    let fin = final_json(out);
    let blocks = fin["content"].as_array().cloned().unwrap_or_default();
    let events = by_block(&out.events);
    let mut tools = 0u32;
    for (i, b) in blocks.iter().enumerate() {
        let i = i as u32;
        let none = BlockEvents::default();
        let ev = events.get(&i).unwrap_or(&none);
        let ctx = format!("{name}: block {i} ({})", b["type"]);
        match b["type"].as_str().unwrap() {
            "text" => {
                assert_eq!(ev.content, b["text"].as_str().unwrap(), "{ctx}: content");
                assert_eq!(ev.content_done, ev.content, "{ctx}: content.done");
            }
            "thinking" => {
                let thinking = b["thinking"].as_str().unwrap();
                assert_eq!(ev.reasoning, thinking, "{ctx}: reasoning");
                assert_eq!(ev.reasoning_done, ev.reasoning, "{ctx}: reasoning.done");
            }
            "tool_use" => {
                let (index, id, tool) = ev.start.clone().expect("a tool call start");
                assert_eq!(index, tools, "{ctx}: tool index is the ordinal");
                tools += 1;
                assert_eq!(id, b["id"].as_str().unwrap(), "{ctx}: id");
                assert_eq!(tool, b["name"].as_str().unwrap(), "{ctx}: name");
                let args: Json = serde_json::from_str(&ev.arguments)
                    .unwrap_or_else(|e| panic!("{ctx}: arguments {:?}: {e}", ev.arguments));
                assert_eq!(args, b["input"], "{ctx}: arguments are the input");
                assert_eq!(ev.arguments_done, ev.arguments, "{ctx}: arguments.done");
            }
            _ => {
                assert!(
                    ev.start.is_none() && ev.arguments.is_empty(),
                    "{ctx}: no tool events"
                );
            }
        }
        if b["type"] != "text" {
            assert!(ev.content.is_empty(), "{ctx}: no content events");
        }
        if b["type"] != "thinking" {
            assert!(ev.reasoning.is_empty(), "{ctx}: no reasoning events");
        }
    }
    assert!(
        events.keys().all(|&b| (b as usize) < blocks.len()),
        "{name}: events name only blocks of the message"
    );
    let usage = out.events.iter().rev().find_map(|e| match e {
        Event::Usage { usage, .. } => Some(serde_json::from_str::<Json>(usage.as_str()).unwrap()),
        _ => None,
    });
    assert_eq!(usage.as_ref(), fin.get("usage"), "{name}: last usage event");
    let finish = out.events.iter().rev().find_map(|e| match e {
        Event::FinishReason { finish_reason, .. } => Some(finish_reason.to_string()),
        _ => None,
    });
    assert_eq!(
        finish.as_deref(),
        fin["stop_reason"].as_str(),
        "{name}: last finish reason"
    );
    assert!(
        matches!(
            out.events.last(),
            Some(Event::End {
                verdict: Verdict::Complete,
                ..
            })
        ),
        "{name}: `end` (complete) is the last event"
    );
    let warnings: Vec<_> = out
        .events
        .iter()
        .filter(|e| matches!(e, Event::Warning { .. }))
        .collect();
    assert!(warnings.is_empty(), "{name}: no warnings: {warnings:?}");
}

#[test]
fn every_recorded_streams_events_agree_with_its_final_message() {
    for c in cases() {
        let out = fold_whole(&c.bytes);
        events_agree_with_final(&c.name, &out);
    }
}

#[test]
fn the_sdks_text_thinking_and_input_json_events_match_our_deltas() {
    for c in cases() {
        let out = fold_whole(&c.bytes);
        let (mut text, mut thinking) = (String::new(), String::new());
        // Block index → the SDK's `input_json` fragments concatenated.
        let mut input_json: BTreeMap<u64, String> = BTreeMap::new();
        let mut last_index = None;
        for e in &c.sdk_events {
            match e["type"].as_str().unwrap() {
                "content_block_delta" => last_index = e["index"].as_u64(),
                "text" => text.push_str(e["text"].as_str().unwrap()),
                "thinking" => thinking.push_str(e["thinking"].as_str().unwrap()),
                "input_json" => input_json
                    .entry(last_index.expect("input_json follows its delta"))
                    .or_default()
                    .push_str(e["partial_json"].as_str().unwrap()),
                _ => {}
            }
        }
        let (mut ours_text, mut ours_thinking) = (String::new(), String::new());
        for e in &out.events {
            match e {
                Event::ContentDelta { delta, .. } => ours_text.push_str(delta),
                Event::ReasoningDelta { delta, .. } => ours_thinking.push_str(delta),
                _ => {}
            }
        }
        assert_eq!(ours_text, text, "{}: text events", c.name);
        assert_eq!(ours_thinking, thinking, "{}: thinking events", c.name);
        let events = by_block(&out.events);
        let fin = final_json(&out);
        for (block, sdk) in &input_json {
            let b = &fin["content"][*block as usize];
            if b["type"] != "tool_use" {
                // A server tool: no tool events, its fragments parse to its input.
                assert!(events
                    .get(&(*block as u32))
                    .is_none_or(|e| e.arguments.is_empty()));
                if !sdk.is_empty() {
                    let v: Json = serde_json::from_str(sdk).unwrap();
                    assert_eq!(
                        v, b["input"],
                        "{}: block {block}: server tool input",
                        c.name
                    );
                }
                continue;
            }
            let ours = &events[&(*block as u32)].arguments;
            if sdk.is_empty() {
                // No fragment: the call's arguments are the `{}` it started with.
                assert_eq!(
                    serde_json::from_str::<Json>(ours).unwrap(),
                    json!({}),
                    "{}: block {block}",
                    c.name
                );
            } else {
                assert_eq!(ours, sdk, "{}: block {block}: input_json fragments", c.name);
            }
        }
    }
}

#[test]
fn chunk_sizes_1_and_7_sync_and_async_give_the_same_outcome() {
    for c in cases() {
        let out = fold_whole(&c.bytes);
        for size in [1, 7] {
            let cuts = sized(&c.bytes, size);
            let sync = fold_using(&c.bytes, &cuts, Fold::new());
            assert!(sync == out, "{}: {size}-byte pieces (sync) differ", c.name);
            let tasks = fold_async_using(&c.bytes, &cuts, Fold::new());
            assert!(
                tasks == out,
                "{}: {size}-byte pieces (async) differ",
                c.name
            );
        }
    }
}

#[test]
fn every_recorded_stream_is_detected_as_anthropic() {
    for c in cases() {
        let mut fold = Fold::new();
        assert_eq!(fold.format(), None);
        for ev in fold.push(&c.bytes) {
            ev.unwrap();
        }
        assert_eq!(
            fold.format(),
            Some(Format::AnthropicMessages),
            "{}: detected",
            c.name
        );
        let id = c.expected["id"].as_str();
        assert_eq!(fold.id().as_deref(), id, "{}: id", c.name);
        assert_eq!(
            fold.model().as_deref(),
            c.expected["model"].as_str(),
            "{}: model",
            c.name
        );
    }
}

#[test]
fn the_final_message_reads_back_equal_and_its_accessors_agree() {
    for c in cases() {
        let out = fold_whole(&c.bytes);
        let message = out.done.as_anthropic().expect("an Anthropic message");
        let text = serde_json::to_string(&message).unwrap();
        let back: streamfold::anthropic_messages::Message = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, message, "{}: reads back equal", c.name);
        // The accessors read the SDK's values.
        let e = &c.expected;
        assert_eq!(message.id(), e["id"].as_str());
        assert_eq!(message.model(), e["model"].as_str());
        assert_eq!(message.role(), e["role"].as_str());
        assert_eq!(message.stop_reason(), e["stop_reason"].as_str());
        let sdk_blocks = e["content"].as_array().unwrap();
        assert_eq!(message.content().len(), sdk_blocks.len(), "{}", c.name);
        for (ours, sdk) in message.content().zip(sdk_blocks) {
            assert_eq!(ours.kind(), sdk["type"].as_str().unwrap());
            assert_eq!(ours.text(), sdk["text"].as_str());
            assert_eq!(ours.thinking(), sdk["thinking"].as_str());
            assert_eq!(ours.id(), sdk["id"].as_str());
            assert_eq!(ours.name(), sdk["name"].as_str());
        }
        let sdk_text: String = sdk_blocks
            .iter()
            .filter(|b| b["type"] == "text")
            .map(|b| b["text"].as_str().unwrap())
            .collect();
        assert_eq!(message.text(), sdk_text, "{}: text()", c.name);
        assert_eq!(out.done.text(), sdk_text, "{}: Final::text()", c.name);
        let usage = message.usage().expect("usage");
        let sdk_usage = &e["usage"];
        for key in ["input_tokens", "output_tokens"] {
            assert_eq!(
                usage.get(key).and_then(streamfold::Value::as_u64),
                sdk_usage[key].as_u64(),
                "{}: usage.{key}",
                c.name
            );
        }
    }
}

#[test]
fn normalized_usage_reads_anthropics_counts() {
    for c in cases() {
        let mut fold = Fold::new();
        fold.push(&c.bytes).for_each(|e| {
            e.unwrap();
        });
        let t = fold.usage().expect("usage");
        let u = &c.expected["usage"];
        assert_eq!(t.input_tokens, u["input_tokens"].as_u64(), "{}", c.name);
        assert_eq!(t.output_tokens, u["output_tokens"].as_u64(), "{}", c.name);
        assert_eq!(
            t.cached_input_tokens,
            u["cache_read_input_tokens"].as_u64(),
            "{}",
            c.name
        );
    }
}

// ---------------------------------------------------------------------------
// Hand-made streams

/// An SSE body of `(event name, data)` pairs.
fn body(events: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in events {
        out.extend_from_slice(format!("event: {name}\ndata: {data}\n\n").as_bytes());
    }
    out
}

const START: (&str, &str) = (
    "message_start",
    r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}}"#,
);
const TEXT_START: (&str, &str) = (
    "content_block_start",
    r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
);
const HELLO: (&str, &str) = (
    "content_block_delta",
    r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#,
);
const STOP0: (&str, &str) = (
    "content_block_stop",
    r#"{"type":"content_block_stop","index":0}"#,
);
const END_TURN: (&str, &str) = (
    "message_delta",
    r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":7}}"#,
);
const MESSAGE_STOP: (&str, &str) = ("message_stop", r#"{"type":"message_stop"}"#);

/// Folds `bytes` whole, then 1 byte at a time (sync and async): all agree.
fn fold_all_ways(bytes: &[u8]) -> Outcome {
    let out = fold_whole(bytes);
    for cuts in [sized(bytes, 1), sized(bytes, 7)] {
        assert!(fold_using(bytes, &cuts, Fold::new()) == out);
        assert!(fold_async_using(bytes, &cuts, Fold::new()) == out);
    }
    out
}

/// The typed error and partial message of a stream fed whole.
fn failure(bytes: &[u8]) -> (streamfold::Error, streamfold::anthropic_messages::Message) {
    let mut fold = Fold::new();
    fold.push(bytes).count();
    let err = fold.finish().unwrap_err();
    let partial = err.partial().unwrap().as_anthropic().unwrap().clone();
    (err, partial)
}

#[test]
fn an_overloaded_error_after_partial_text_is_a_provider_error_with_the_partial_kept() {
    for (name, data) in [
        (
            "error",
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        ),
        // The same without an event name.
        (
            "message",
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        ),
    ] {
        let mut events = vec![START, TEXT_START, HELLO];
        let bytes = if name == "message" {
            let mut b = body(&events);
            b.extend_from_slice(format!("data: {data}\n\n").as_bytes());
            b
        } else {
            events.push((name, data));
            body(&events)
        };
        let out = fold_all_ways(&bytes);
        assert!(out.has_event(json!({"type":"content.delta","choice":0,"block":0,"delta":"Hello"})));
        let (err, partial) = failure(&bytes);
        let ErrorKind::Provider(p) = err.kind() else {
            panic!("a provider error, got {err}");
        };
        assert_eq!(p.kind.as_deref(), Some("overloaded_error"));
        assert_eq!(p.message, "Overloaded");
        assert!(!err.is_truncation(), "exit 2 (malformed/provider), not 3");
        assert_eq!(err.event_index(), 3);
        assert_eq!(partial.text(), "Hello");
        assert_eq!(partial.id(), Some("msg_1"));
    }
}

#[test]
fn an_empty_text_block_keeps_its_empty_text() {
    let bytes = body(&[START, TEXT_START, STOP0, END_TURN, MESSAGE_STOP]);
    let out = fold_all_ways(&bytes);
    assert_eq!(out.error, None);
    let fin = final_json(&out);
    assert_eq!(fin["content"], json!([{"type":"text","text":""}]));
    assert!(
        !out.events
            .iter()
            .any(|e| matches!(e, Event::ContentDelta { .. } | Event::ContentDone { .. })),
        "no content events for no text"
    );
    assert_eq!(fin["usage"], json!({"input_tokens":10,"output_tokens":7}));
}

/// Chosen verdict without `message_stop`: finished (without the terminator)
/// once `message_delta` gave a `stop_reason`, truncated otherwise.
#[test]
fn without_message_stop_a_stop_reason_means_finished_else_truncated() {
    let finished = body(&[START, TEXT_START, HELLO, STOP0, END_TURN]);
    let out = fold_all_ways(&finished);
    assert_eq!(out.error, None);
    assert!(out.has_event(json!({"type":"end","verdict":"finished_without_done"})));
    assert_eq!(out.done.text(), "Hello");

    let cut = body(&[START, TEXT_START, HELLO, STOP0]);
    let out = fold_all_ways(&cut);
    assert!(out.has_event(json!({"type":"end","verdict":"truncated"})));
    let (err, partial) = failure(&cut);
    assert!(matches!(
        err.kind(),
        ErrorKind::Truncated {
            inside_event: false
        }
    ));
    assert_eq!(partial.text(), "Hello");
    assert_eq!(partial.stop_reason(), None);
}

#[test]
fn a_stream_cut_inside_an_event_is_truncated_inside_it() {
    let mut bytes = body(&[START, TEXT_START, HELLO]);
    let next = body(&[(
        "content_block_delta",
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" world"}}"#,
    )]);
    bytes.extend_from_slice(&next[..next.len() / 2]);
    let out = fold_all_ways(&bytes);
    assert!(out.has_event(json!({"type":"end","verdict":"truncated_inside_event"})));
    let (err, partial) = failure(&bytes);
    assert!(matches!(
        err.kind(),
        ErrorKind::Truncated { inside_event: true }
    ));
    assert_eq!(err.offset(), bytes.len() as u64);
    assert_eq!(partial.text(), "Hello");
}

#[test]
fn a_delta_for_a_block_never_started_makes_the_block_with_a_warning() {
    let orphan = (
        "content_block_delta",
        r#"{"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":"late"}}"#,
    );
    let stray_stop = (
        "content_block_stop",
        r#"{"type":"content_block_stop","index":9}"#,
    );
    let bytes = body(&[
        START,
        TEXT_START,
        HELLO,
        STOP0,
        orphan,
        stray_stop,
        END_TURN,
        MESSAGE_STOP,
    ]);
    let out = fold_all_ways(&bytes);
    assert_eq!(out.error, None);
    let warnings: Vec<&Event<'_>> = out
        .events
        .iter()
        .filter(|e| matches!(e, Event::Warning { .. }))
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    let Event::Warning {
        warning: Warning::Lenient { field, .. },
        event_index,
        offset,
        ..
    } = warnings[0]
    else {
        panic!("{warnings:?}");
    };
    assert_eq!((*field, *event_index), ("content_block_delta.index", 4));
    let at = *offset as usize;
    assert_eq!(&bytes[at..at + 2], b"3,", "the warning points at the index");
    assert!(out.has_event(json!({"type":"content.delta","choice":0,"block":3,"delta":"late"})));
    assert_eq!(
        final_json(&out)["content"],
        json!([{"type":"text","text":"Hello"},{"type":"text","text":"late"}])
    );
}

#[test]
fn a_16_mib_text_delta_fed_one_byte_at_a_time_is_whole() {
    let text: String = "abcdefghijklmnopqrstuvwxyz0123456789 ".repeat((16 << 20) / 37 + 1);
    let text = &text[..16 << 20];
    let delta = format!(
        r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"{text}"}}}}"#
    );
    let bytes = body(&[
        START,
        TEXT_START,
        ("content_block_delta", &delta),
        STOP0,
        END_TURN,
        MESSAGE_STOP,
    ]);
    let mut fold = Fold::new();
    let mut got = String::new();
    for b in bytes.chunks(1) {
        for e in fold.push(b) {
            if let Event::ContentDelta { delta, .. } = e.unwrap() {
                got.push_str(&delta);
            }
        }
    }
    assert_eq!(got.len(), text.len());
    assert!(got == text);
    let message = fold.finish().unwrap().into_anthropic().unwrap();
    assert!(message.text() == text);
}

#[test]
fn a_4_mb_input_json_delta_sequence_folds_into_the_input() {
    // A tool call writing a 4 MB file, in 8-byte fragments.
    let content: String = "line of the file\\n".repeat((4 << 20) / 18);
    let arguments = format!(r#"{{"path":"big.txt","content":"{content}"}}"#);
    let mut events = vec![
        START,
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"write","input":{}}}"#,
        ),
    ];
    let deltas: Vec<String> = arguments
        .as_bytes()
        .chunks(8)
        .map(|piece| {
            let piece = std::str::from_utf8(piece).unwrap();
            format!(
                r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"input_json_delta","partial_json":{}}}}}"#,
                serde_json::to_string(piece).unwrap()
            )
        })
        .collect();
    for d in &deltas {
        events.push(("content_block_delta", d));
    }
    events.extend([
        STOP0,
        (
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}"#,
        ),
        MESSAGE_STOP,
    ]);
    let bytes = body(&events);
    let out = fold_using(&bytes, &sized(&bytes, 4096), Fold::new());
    assert_eq!(out.error, None);
    let fin = final_json(&out);
    let want: Json = serde_json::from_str(&arguments).unwrap();
    assert!(fin["content"][0]["input"] == want, "the input is the parse");
    let args: String = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ToolCallArgumentsDelta {
                arguments_delta, ..
            } => Some(&**arguments_delta),
            _ => None,
        })
        .collect();
    assert!(args == arguments);
    assert!(out.has_event(json!({"type":"finish_reason","choice":0,"finish_reason":"tool_use"})));
}

#[test]
fn a_server_tools_input_json_is_parsed_into_its_input_without_tool_events() {
    let bytes = body(&[
        START,
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}   }"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"query\": \"pel"}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"icans\"}"}       }"#,
        ),
        STOP0,
        END_TURN,
        MESSAGE_STOP,
    ]);
    let out = fold_all_ways(&bytes);
    assert_eq!(out.error, None);
    assert_eq!(
        final_json(&out)["content"],
        json!([{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"pelicans"}}])
    );
    assert!(!out.events.iter().any(|e| matches!(
        e,
        Event::ToolCallStart { .. } | Event::ToolCallArgumentsDelta { .. }
    )));
}

#[test]
fn a_whole_tool_use_in_message_start_gets_its_tool_events_at_once() {
    let start = r#"{"type":"message_start","message":{"id":"msg_2","type":"message","role":"assistant","model":"m","content":[{"type":"tool_use","id":"toolu_9","name":"roll","input":{"player": "p2"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}"#;
    let bytes = body(&[("message_start", start), MESSAGE_STOP]);
    let out = fold_all_ways(&bytes);
    let tool_events: Vec<Json> = out
        .events_json()
        .into_iter()
        .filter(|e| e["type"].as_str().unwrap().starts_with("tool_calls"))
        .collect();
    assert_eq!(
        tool_events,
        [
            json!({"type":"tool_calls.function.start","choice":0,"block":0,"index":0,"id":"toolu_9","name":"roll"}),
            json!({"type":"tool_calls.function.arguments.delta","choice":0,"block":0,"index":0,"name":"roll","arguments_delta":"{\"player\": \"p2\"}"}),
            json!({"type":"tool_calls.function.arguments.done","choice":0,"block":0,"index":0,"name":"roll","arguments":"{\"player\": \"p2\"}"}),
        ]
    );
    assert!(out.has_event(json!({"type":"finish_reason","choice":0,"finish_reason":"tool_use"})));
    assert_eq!(
        final_json(&out)["content"][0]["input"],
        json!({"player":"p2"})
    );
}

#[test]
fn ping_is_skipped_silently_and_unknown_events_with_a_warning() {
    let bytes = body(&[
        START,
        ("ping", r#"{"type": "ping"}"#),
        ("message", r#"{"type":"ping"}"#),
        TEXT_START,
        ("future_event", r#"{"type":"future_event","x":1}"#),
        ("message", r#"{"type":"future_event","x":1}"#),
        HELLO,
        STOP0,
        END_TURN,
        MESSAGE_STOP,
    ]);
    let out = fold_all_ways(&bytes);
    assert_eq!(out.error, None);
    let warnings: Vec<(Warning, u64)> = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Warning {
                warning,
                event_index,
                ..
            } => Some((*warning, *event_index)),
            _ => None,
        })
        .collect();
    assert_eq!(
        warnings,
        [
            (Warning::UnknownEventType, 4),
            (Warning::UnknownEventType, 5)
        ]
    );
    assert_eq!(out.done.text(), "Hello");
}

#[test]
fn message_delta_replaces_stop_fields_and_overlays_usage_counts() {
    let bytes = body(&[
        START,
        TEXT_START,
        HELLO,
        STOP0,
        (
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"END","stop_details":null},"usage":{"output_tokens":5,"cache_read_input_tokens":4}}"#,
        ),
        (
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null,"container":{"id":"c1"}},"usage":{"output_tokens":6,"input_tokens":null},"context_management":{"applied_edits":[]}}"#,
        ),
        MESSAGE_STOP,
    ]);
    let out = fold_all_ways(&bytes);
    let fin = final_json(&out);
    assert_eq!(fin["stop_reason"], "end_turn");
    assert_eq!(fin["stop_sequence"], Json::Null, "replaced by null");
    assert!(fin.get("stop_sequence").is_some());
    assert_eq!(fin["container"], json!({"id":"c1"}));
    assert_eq!(fin["context_management"], json!({"applied_edits":[]}));
    assert_eq!(
        fin["usage"],
        json!({"input_tokens":10,"output_tokens":6,"cache_read_input_tokens":4}),
        "each count replaced, never summed; null changes nothing"
    );
    let mut fold = Fold::new();
    fold.push(&bytes).count();
    let t = fold.usage().unwrap();
    assert_eq!(
        (t.input_tokens, t.output_tokens, t.cached_input_tokens),
        (Some(10), Some(6), Some(4))
    );
}

#[test]
fn an_anthropic_stream_forced_to_another_format_is_a_clear_error() {
    let bytes = body(&[START, TEXT_START, HELLO, STOP0, END_TURN, MESSAGE_STOP]);
    let mut fold = Fold::new().with_format(Format::OpenAiChat);
    let items: Vec<_> = fold.push(&bytes).collect();
    let err = items.last().unwrap().as_ref().unwrap_err();
    match err.kind() {
        ErrorKind::WrongFormat { expected, found } => {
            assert_eq!(*expected, Format::OpenAiChat);
            assert_eq!(*found, Some(Format::AnthropicMessages));
        }
        other => panic!("a wrong-format error, got {other:?}"),
    }
    let first_data = bytes.windows(6).position(|w| w == b"data: ").unwrap() + 6;
    assert_eq!(
        (err.event_index(), err.offset()),
        (0, first_data as u64),
        "at the first payload"
    );

    // And the other way round: a chat stream forced to Anthropic.
    let chat = support::sse(&[
        r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"}}]}"#,
    ]);
    let mut fold = Fold::new().with_format(Format::AnthropicMessages);
    let items: Vec<_> = fold.push(&chat).collect();
    let err = items.last().unwrap().as_ref().unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::WrongFormat {
                expected: Format::AnthropicMessages,
                found: Some(Format::OpenAiChat)
            }
        ),
        "{err}"
    );
}

#[test]
fn malformed_and_misshapen_payloads_are_errors_at_their_position() {
    let bad_json = (
        "content_block_delta",
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}"#,
    );
    let bad_text = (
        "content_block_delta",
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":5}}"#,
    );
    let no_index = (
        "content_block_delta",
        r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"x"}}"#,
    );
    for (ev, want, needle) in [
        (bad_json, "json", ""),
        (bad_text, "shape", "5}"),
        (
            no_index,
            "shape",
            "{\"type\":\"content_block_delta\",\"delta\"",
        ),
    ] {
        let bytes = body(&[START, TEXT_START, HELLO, ev]);
        let (err, partial) = failure(&bytes);
        let kind = match err.kind() {
            ErrorKind::Json { .. } => "json",
            ErrorKind::Shape { .. } => "shape",
            other => panic!("{other:?}"),
        };
        assert_eq!(kind, want, "{err}");
        assert_eq!(err.event_index(), 3);
        if !needle.is_empty() {
            let at = err.offset() as usize;
            assert!(
                bytes[at..].starts_with(needle.as_bytes()),
                "{err}: at {:?}",
                String::from_utf8_lossy(&bytes[at..at + 20])
            );
        }
        assert_eq!(partial.text(), "Hello", "the partial survives");
    }
}

#[test]
fn a_second_message_start_is_skipped_with_a_warning() {
    let again = r#"{"type":"message_start","message":{"id":"msg_other","type":"message","role":"assistant","model":"other","content":[],"usage":{"input_tokens":99,"output_tokens":0}}}"#;
    let bytes = body(&[
        START,
        TEXT_START,
        ("message_start", again),
        HELLO,
        STOP0,
        END_TURN,
        MESSAGE_STOP,
    ]);
    let out = fold_all_ways(&bytes);
    assert_eq!(out.error, None);
    assert!(out.has_event(
        json!({"type":"warning","warning":{"kind":"unknown_event_type"},
        "offset": bytes.windows(again.len()).position(|w| w == again.as_bytes()).unwrap(),
        "event_index": 2})
    ));
    let fin = final_json(&out);
    assert_eq!(
        (fin["id"].as_str(), fin["model"].as_str()),
        (Some("msg_1"), Some("claude-x"))
    );
    assert_eq!(fin["usage"]["input_tokens"], 10);
}

#[test]
fn text_a_block_starts_with_is_its_first_delta() {
    let start = (
        "content_block_start",
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"Hi, "}}"#,
    );
    let think = (
        "content_block_start",
        r#"{"type":"content_block_start","index":1,"content_block":{"type":"thinking","thinking":"hm","signature":""}}"#,
    );
    let sig = (
        "content_block_delta",
        r#"{"type":"content_block_delta","index":1,"delta":{"type":"signature_delta","signature":"c2ln"}}"#,
    );
    let stop1 = (
        "content_block_stop",
        r#"{"type":"content_block_stop","index":1}"#,
    );
    let bytes = body(&[
        START,
        start,
        HELLO,
        STOP0,
        think,
        sig,
        stop1,
        END_TURN,
        MESSAGE_STOP,
    ]);
    let out = fold_all_ways(&bytes);
    let deltas: Vec<Json> = out
        .events_json()
        .into_iter()
        .filter(|e| e["type"] == "content.delta" || e["type"] == "reasoning.delta")
        .collect();
    assert_eq!(
        deltas,
        [
            json!({"type":"content.delta","choice":0,"block":0,"delta":"Hi, "}),
            json!({"type":"content.delta","choice":0,"block":0,"delta":"Hello"}),
            json!({"type":"reasoning.delta","choice":0,"block":1,"delta":"hm"}),
        ]
    );
    assert_eq!(
        final_json(&out)["content"],
        json!([{"type":"text","text":"Hi, Hello"},{"type":"thinking","thinking":"hm","signature":"c2ln"}])
    );
}

#[test]
fn a_delta_without_type_is_the_one_its_member_names_and_unknown_text_deltas_append() {
    let untyped = (
        "content_block_delta",
        r#"{"type":"content_block_delta","index":0,"delta":{"text":", world"}}"#,
    );
    let future = (
        "content_block_delta",
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta_v2","text":"!","extra":{"n":1}}}"#,
    );
    let bytes = body(&[
        START,
        TEXT_START,
        HELLO,
        untyped,
        future,
        STOP0,
        END_TURN,
        MESSAGE_STOP,
    ]);
    let out = fold_all_ways(&bytes);
    assert_eq!(out.error, None);
    let at = bytes
        .windows(16)
        .position(|w| w == br#"{"text":", world"#)
        .unwrap();
    assert!(out.has_event(
        json!({"type":"warning","warning":{"kind":"lenient","field":"delta.type",
        "expected":"a string naming the delta (its member named it)"},"offset":at,"event_index":3})
    ));
    let content: String = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ContentDelta { delta, .. } => Some(&**delta),
            _ => None,
        })
        .collect();
    assert_eq!(content, "Hello, world!");
    assert_eq!(
        final_json(&out)["content"],
        json!([{"type":"text","text":"Hello, world!","extra":{"n":1}}])
    );
}

/// Bug: a text delta before its block's start, then a start of another
/// type (`thinking`): the events said content "x", the final message had
/// a thinking block holding a `text` member and no text, and no warning.
/// The start says what the block is, the events already sent keep their
/// kind, and a warning says they disagree.
#[test]
fn a_start_of_another_type_after_early_deltas_takes_the_block_with_a_warning() {
    let thinking_start = (
        "content_block_start",
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#,
    );
    let bytes = body(&[START, HELLO, thinking_start, STOP0, END_TURN, MESSAGE_STOP]);
    let out = fold_all_ways(&bytes);
    let events = out.events_json();
    assert!(events
        .iter()
        .any(|e| e["type"] == "content.delta" && e["delta"] == "Hello"));
    assert!(
        events.iter().any(|e| e["type"] == "warning"
            && e["warning"]["kind"] == "deltas_disagree"
            && e["warning"]["field"] == "content"),
        "{events:#?}"
    );
    let block = &final_json(&out)["content"][0];
    assert_eq!(block["type"], "thinking");
    assert_eq!(block["thinking"], "Hello");
    assert!(block.get("text").is_none(), "{block}");
}

/// Deltas before the start of a block of their own type: kept, without a
/// disagreement.
#[test]
fn a_start_of_the_same_type_after_early_deltas_keeps_their_text() {
    let bytes = body(&[START, HELLO, TEXT_START, STOP0, END_TURN, MESSAGE_STOP]);
    let out = fold_all_ways(&bytes);
    assert!(!out
        .events_json()
        .iter()
        .any(|e| e["warning"]["kind"] == "deltas_disagree"));
    assert_eq!(out.done.text(), "Hello");
}

/// Bug (found by `fold_split`): a tool_use block 0, a text block 1, then a
/// second start of block 1 as a tool_use, and input for it. The second
/// start made no call of its own, so its input went to the call of block
/// 0, which then said block 1 in the events queued before (a stream pushed
/// whole) and block 0 in those already out (one fed a byte at a time). The
/// second start makes the block's own call.
#[test]
fn a_second_start_of_a_block_as_a_tool_use_makes_its_own_call() {
    let tool = |index: u32, id: &str| {
        (
            "content_block_start",
            format!(
                r#"{{"type":"content_block_start","index":{index},"content_block":{{"type":"tool_use","id":"{id}","name":"f","input":{{}}}}}}"#
            ),
        )
    };
    let text1 = (
        "content_block_start",
        r#"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#
            .to_string(),
    );
    let input1 = (
        "content_block_delta",
        r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":1}"}}"#
            .to_string(),
    );
    let owned = [
        (START.0, START.1.to_string()),
        tool(0, "toolu_a"),
        text1,
        tool(1, "toolu_b"),
        input1,
    ];
    let events: Vec<(&str, &str)> = owned.iter().map(|(n, d)| (*n, d.as_str())).collect();
    let out = fold_all_ways(&body(&events));
    let events = out.events_json();
    let starts: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "tool_calls.function.start")
        .map(|e| (e["block"].clone(), e["index"].clone(), e["id"].clone()))
        .collect();
    assert_eq!(
        starts,
        [
            (json!(0), json!(0), json!("toolu_a")),
            (json!(1), json!(1), json!("toolu_b"))
        ],
        "{events:#?}"
    );
    assert!(events
        .iter()
        .any(|e| e["type"] == "tool_calls.function.arguments.delta"
            && e["block"] == 1
            && e["arguments_delta"] == "{\"a\":1}"));
}

/// Bug (found by `fold_split`, after the fix above): a second start of a
/// tool_use block, with another id, made a second call on the block,
/// which the final message (one tool_use block) lacked. A block that was
/// a call keeps its call.
#[test]
fn a_second_start_of_a_tool_use_block_keeps_its_call() {
    let tool = |id: &str| {
        format!(
            r#"{{"type":"content_block_start","index":0,"content_block":{{"type":"tool_use","id":"{id}","name":"f","input":{{}}}}}}"#
        )
    };
    let (a, b) = (tool("toolu_a"), tool("toolu_b"));
    let out = fold_all_ways(&body(&[
        START,
        ("content_block_start", &a),
        ("content_block_start", &b),
        STOP0,
    ]));
    let starts = out
        .events_json()
        .iter()
        .filter(|e| e["type"] == "tool_calls.function.start")
        .count();
    assert_eq!(starts, 1, "{:#?}", out.events_json());
}

/// Bug (found by `fold_split`): a tool_use block started again as a block
/// of an unknown type: the events had the call, the final message a block
/// that is no call, and no warning.
#[test]
fn a_call_block_started_again_as_another_type_is_warned_of() {
    let start = |kind: &str| {
        format!(
            r#"{{"type":"content_block_start","index":0,"content_block":{{"type":"{kind}","id":"toolu_a","name":"f","input":{{}}}}}}"#
        )
    };
    let (call, other) = (start("tool_use"), start("gggtool_use"));
    let disagree = |out: &Outcome| {
        out.events_json().iter().any(|e| {
            e["warning"]["kind"] == "deltas_disagree" && e["warning"]["field"] == "tool_calls"
        })
    };
    let out = fold_all_ways(&body(&[
        START,
        ("content_block_start", &call),
        ("content_block_start", &other),
        STOP0,
    ]));
    assert!(disagree(&out), "{:#?}", out.events_json());
    let out = fold_all_ways(&body(&[
        START,
        ("content_block_start", &call),
        ("content_block_start", &call),
        STOP0,
    ]));
    assert!(!disagree(&out), "the same type again: no warning");
}

/// Bug (found by `fold_split`): a tool_use block 1, then block 0 (whose
/// first start was lost) started as a tool_use. The events number calls as
/// they come (block 1's is call 0), the final message lists its tool_use
/// blocks by index (block 0's first): the events' call 1 was the final
/// object's call 0, without a warning.
#[test]
fn a_call_for_an_earlier_block_than_one_that_came_first_is_warned_of() {
    let start = |index: u32, id: &str| {
        format!(
            r#"{{"type":"content_block_start","index":{index},"content_block":{{"type":"tool_use","id":"{id}","name":"f","input":{{}}}}}}"#
        )
    };
    let disagree = |out: &Outcome| {
        out.events_json().iter().any(|e| {
            e["warning"]["kind"] == "deltas_disagree" && e["warning"]["field"] == "tool_calls"
        })
    };
    let (a, b) = (start(0, "toolu_a"), start(1, "toolu_b"));
    let out = fold_all_ways(&body(&[
        START,
        ("content_block_start", &b),
        ("content_block_start", &a),
    ]));
    assert!(disagree(&out), "{:#?}", out.events_json());
    let out = fold_all_ways(&body(&[
        START,
        ("content_block_start", &a),
        ("content_block_start", &b),
    ]));
    assert!(!disagree(&out), "in block order: no warning");
}
