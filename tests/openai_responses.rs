//! OpenAI Responses streams: the final object must equal what openai-python
//! 3.57's `responses.stream(...).get_final_response()` gave for the same
//! bytes (`NAME.expected.json`), the events must add up to that object, and
//! the SDK's own delta events must agree with ours. Where the SDK raised
//! (`NAME.error.txt`), the stream folds without a panic and exits as
//! DESIGN.md says; the object accumulated from the events is checked
//! against the SDK's snapshot and against the terminal event's response
//! (read with serde_json from the stream itself).
//!
//! The default run reads the selection in `tests/data/corpus/openai-responses`;
//! with `STREAMFOLD_SHARED` set, every stream of the shared folder.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value as Json};
use streamfold::{ErrorKind, Event, Final, Fold, Format, Verdict};
use support::json::diff_by_value;
use support::{data_root, fold_async_using, fold_using, sse_files, Outcome};

fn corpus_dir() -> PathBuf {
    data_root().join("corpus/openai-responses")
}

fn name_of(sse: &Path) -> String {
    sse.file_stem().unwrap().to_string_lossy().into_owned()
}

fn read_json(path: &Path) -> Option<Json> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(serde_json::from_str(&text).unwrap())
}

/// Folds `bytes` in pieces of `size` bytes (`usize::MAX`: whole).
fn fold_in(bytes: &[u8], size: usize) -> Outcome {
    let cuts: Vec<usize> = if size >= bytes.len() {
        vec![bytes.len()]
    } else {
        bytes.chunks(size).map(<[u8]>::len).collect()
    };
    fold_using(bytes, &cuts, Fold::new())
}

fn final_json(out: &Outcome) -> Json {
    assert_eq!(out.done.format(), Format::OpenAiResponses);
    serde_json::to_value(&out.done).unwrap()
}

/// The SSE events of an LF-framed body: (offset of the event, its data).
/// A naive splitter, independent of the library's.
fn sse_events(bytes: &[u8]) -> Vec<(usize, String)> {
    let text = std::str::from_utf8(bytes).unwrap();
    let mut out = Vec::new();
    let mut at = 0;
    for block in text.split_inclusive("\n\n") {
        let data: Vec<&str> = block
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(|d| d.strip_prefix(' ').unwrap_or(d))
            .collect();
        if !data.is_empty() {
            out.push((at, data.join("\n")));
        }
        at += block.len();
    }
    out
}

/// The terminal event of a stream, read with serde_json: its offset, type
/// and response.
fn terminal_event(bytes: &[u8]) -> Option<(usize, String, Json)> {
    sse_events(bytes).into_iter().find_map(|(at, data)| {
        let v: Json = serde_json::from_str(&data).ok()?;
        let kind = v["type"].as_str()?.to_string();
        matches!(
            kind.as_str(),
            "response.completed" | "response.incomplete" | "response.failed"
        )
        .then(|| (at, kind, v["response"].clone()))
    })
}

// ---------------------------------------------------------------------------
// What the events add up to, and what the final object says they must

/// A client tool call, as the events report it or the final object holds it.
#[derive(Debug, Clone, Default, PartialEq)]
struct Call {
    id: String,
    name: String,
    arguments: String,
}

/// Texts by output index, and client calls in order.
#[derive(Debug, Clone, Default, PartialEq)]
struct Texts {
    content: BTreeMap<u64, String>,
    reasoning: BTreeMap<u64, String>,
    refusal: BTreeMap<u64, String>,
    calls: Vec<Call>,
}

/// Texts in output order, without their positions: events report the
/// wire's `output_index`, which may skip items the stream never shows
/// (gpt-5.3-codex streams items 0 and 2), while `output` lists the items.
#[derive(Debug, Clone, PartialEq)]
struct InOrder {
    content: Vec<String>,
    reasoning: Vec<String>,
    refusal: Vec<String>,
    calls: Vec<Call>,
}

impl Texts {
    fn in_order(&self) -> InOrder {
        let values = |m: &BTreeMap<u64, String>| m.values().cloned().collect();
        InOrder {
            content: values(&self.content),
            reasoning: values(&self.reasoning),
            refusal: values(&self.refusal),
            calls: self.calls.clone(),
        }
    }

    fn drop_empty(mut self) -> Texts {
        for m in [&mut self.content, &mut self.reasoning, &mut self.refusal] {
            m.retain(|_, t| !t.is_empty());
        }
        self
    }
}

/// What the final object's items hold.
fn texts_of_final(response: &Json) -> Texts {
    let mut t = Texts::default();
    let items = response["output"].as_array().cloned().unwrap_or_default();
    for (i, item) in items.iter().enumerate() {
        let i = i as u64;
        let parts = |key: &str| item[key].as_array().cloned().unwrap_or_default();
        match item["type"].as_str().unwrap_or("") {
            "message" => {
                for p in parts("content") {
                    match p["type"].as_str() {
                        Some("output_text") => t
                            .content
                            .entry(i)
                            .or_default()
                            .push_str(p["text"].as_str().unwrap()),
                        Some("refusal") => t
                            .refusal
                            .entry(i)
                            .or_default()
                            .push_str(p["refusal"].as_str().unwrap()),
                        _ => {}
                    }
                }
            }
            "reasoning" => {
                for p in parts("summary").iter().chain(&parts("content")) {
                    if let Some(text) = p["text"].as_str() {
                        t.reasoning.entry(i).or_default().push_str(text);
                    }
                }
            }
            kind @ ("function_call" | "custom_tool_call") => {
                let args = if kind == "function_call" {
                    "arguments"
                } else {
                    "input"
                };
                t.calls.push(Call {
                    id: item["call_id"].as_str().unwrap_or("").to_string(),
                    name: item["name"].as_str().unwrap_or("").to_string(),
                    arguments: item[args].as_str().unwrap_or("").to_string(),
                });
            }
            _ => {}
        }
    }
    t.drop_empty()
}

/// What our events add up to (deltas), and the same from the `.done`
/// events; asserts the order rules on the way.
fn texts_of_events(name: &str, events: &[Event<'_>]) -> (Texts, Texts) {
    let mut deltas = Texts::default();
    let mut dones = Texts::default();
    for e in events {
        match e {
            Event::ContentDelta { block, delta, .. } => deltas
                .content
                .entry(block.expect("content has a block") as u64)
                .or_default()
                .push_str(delta),
            Event::ContentDone { block, content, .. } => dones
                .content
                .entry(block.unwrap() as u64)
                .or_default()
                .push_str(content),
            Event::ReasoningDelta { block, delta, .. } => deltas
                .reasoning
                .entry(block.expect("reasoning has a block") as u64)
                .or_default()
                .push_str(delta),
            Event::ReasoningDone {
                block, reasoning, ..
            } => dones
                .reasoning
                .entry(block.unwrap() as u64)
                .or_default()
                .push_str(reasoning),
            Event::RefusalDelta { block, delta, .. } => deltas
                .refusal
                .entry(block.unwrap() as u64)
                .or_default()
                .push_str(delta),
            Event::RefusalDone { block, refusal, .. } => dones
                .refusal
                .entry(block.unwrap() as u64)
                .or_default()
                .push_str(refusal),
            Event::ToolCallStart {
                index, id, name: n, ..
            } => {
                assert_eq!(
                    *index as usize,
                    deltas.calls.len(),
                    "{name}: calls start in order, numbered from 0"
                );
                let call = Call {
                    id: id.to_string(),
                    name: n.to_string(),
                    arguments: String::new(),
                };
                deltas.calls.push(call.clone());
                dones.calls.push(call);
            }
            Event::ToolCallArgumentsDelta {
                index,
                arguments_delta,
                ..
            } => deltas.calls[*index as usize]
                .arguments
                .push_str(arguments_delta),
            Event::ToolCallArgumentsDone {
                index, arguments, ..
            } => dones.calls[*index as usize].arguments.push_str(arguments),
            _ => {}
        }
    }
    (deltas.drop_empty(), dones.drop_empty())
}

/// The events agree with the final object: texts, calls, usage, finish
/// reason, and `end` last.
fn events_agree_with_final(name: &str, out: &Outcome, complete: bool) {
    let response = final_json(out);
    let want = texts_of_final(&response).in_order();
    let (deltas, dones) = texts_of_events(name, &out.events);
    assert_eq!(
        deltas.in_order(),
        want,
        "{name}: the deltas add up to the final object"
    );
    if complete {
        // (A truncated stream's open runs get no `.done`.)
        assert_eq!(
            dones.in_order(),
            want,
            "{name}: the .done events add up to the final object"
        );
    }

    let usage = out.events.iter().rev().find_map(|e| match e {
        Event::Usage { usage, tokens, .. } => Some((usage.as_str().to_string(), *tokens)),
        _ => None,
    });
    match (&usage, response.get("usage").filter(|u| !u.is_null())) {
        (Some((raw, tokens)), Some(u)) => {
            let raw: Json = serde_json::from_str(raw).unwrap();
            assert!(diff_by_value(&raw, u).is_empty(), "{name}: usage event");
            let count = |v: &Json| v.as_u64();
            assert_eq!(tokens.input_tokens, count(&u["input_tokens"]), "{name}");
            assert_eq!(tokens.output_tokens, count(&u["output_tokens"]), "{name}");
            assert_eq!(tokens.total_tokens, count(&u["total_tokens"]), "{name}");
            assert_eq!(
                tokens.reasoning_tokens,
                count(&u["output_tokens_details"]["reasoning_tokens"]),
                "{name}"
            );
            assert_eq!(
                tokens.cached_input_tokens,
                count(&u["input_tokens_details"]["cached_tokens"]),
                "{name}"
            );
        }
        (None, None) => {}
        (ours, theirs) => panic!("{name}: usage event {ours:?} vs final {theirs:?}"),
    }

    if complete {
        let reason = out.events.iter().rev().find_map(|e| match e {
            Event::FinishReason { finish_reason, .. } => Some(finish_reason.to_string()),
            _ => None,
        });
        let want = match response["status"].as_str() {
            Some("incomplete") => response["incomplete_details"]["reason"].as_str(),
            other => other,
        };
        assert_eq!(reason.as_deref(), want, "{name}: finish reason");
        assert!(
            matches!(
                out.events.last(),
                Some(Event::End {
                    verdict: Verdict::Complete,
                    ..
                })
            ),
            "{name}: `end` is the last event, complete: {:?}",
            out.events.last()
        );
    }
}

/// The SDK's delta events (by output index), concatenated, are a prefix of
/// ours, and its `.done` events' texts equal ours.
fn sdk_events_agree(name: &str, events_jsonl: &str, out: &Outcome) {
    let (ours, _) = texts_of_events(name, &out.events);
    // Our calls by output index.
    let mut call_block = BTreeMap::new();
    for e in &out.events {
        if let Event::ToolCallStart { index, block, .. } = e {
            call_block.insert(block.unwrap() as u64, *index as usize);
        }
    }
    let mut deltas: BTreeMap<(&str, u64), String> = BTreeMap::new();
    let mut dones: BTreeMap<(&str, u64), String> = BTreeMap::new();
    for line in events_jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let e: Json = serde_json::from_str(line).unwrap();
        let oi = e["output_index"].as_u64().unwrap_or(u64::MAX);
        let (kind, delta, done) = match e["type"].as_str().unwrap() {
            "response.output_text.delta" => ("content", Some(&e["delta"]), None),
            "response.output_text.done" => ("content", None, Some(&e["text"])),
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                ("reasoning", Some(&e["delta"]), None)
            }
            "response.reasoning_summary_text.done" | "response.reasoning_text.done" => {
                ("reasoning", None, Some(&e["text"]))
            }
            "response.refusal.delta" => ("refusal", Some(&e["delta"]), None),
            "response.refusal.done" => ("refusal", None, Some(&e["refusal"])),
            "response.function_call_arguments.delta" => ("arguments", Some(&e["delta"]), None),
            "response.function_call_arguments.done" => ("arguments", None, Some(&e["arguments"])),
            _ => continue,
        };
        if let Some(d) = delta {
            deltas
                .entry((kind, oi))
                .or_default()
                .push_str(d.as_str().unwrap());
        }
        if let Some(d) = done {
            dones
                .entry((kind, oi))
                .or_default()
                .push_str(d.as_str().unwrap());
        }
    }
    let ours_of = |kind: &str, oi: u64| -> String {
        match kind {
            "content" => ours.content.get(&oi).cloned(),
            "reasoning" => ours.reasoning.get(&oi).cloned(),
            "refusal" => ours.refusal.get(&oi).cloned(),
            _ => call_block
                .get(&oi)
                .map(|&i| ours.calls[i].arguments.clone()),
        }
        .unwrap_or_default()
    };
    for ((kind, oi), sdk) in &deltas {
        let ours = ours_of(kind, *oi);
        assert!(
            ours.starts_with(sdk.as_str()),
            "{name}: SDK {kind} deltas of output {oi} are not ours:\n{sdk:?}\nvs\n{ours:?}"
        );
    }
    for ((kind, oi), sdk) in &dones {
        assert_eq!(
            &ours_of(kind, *oi),
            sdk,
            "{name}: SDK {kind} .done of output {oi}"
        );
    }
}

// ---------------------------------------------------------------------------
// The corpus

/// How the SDK ended a stream of the corpus.
enum Oracle {
    /// `get_final_response()`.
    Final(Json),
    /// It raised: the message, and its snapshot if it had one.
    Raised(String, Option<Json>),
}

fn oracle(sse: &Path) -> Oracle {
    if let Some(v) = read_json(&sse.with_extension("expected.json")) {
        return Oracle::Final(v);
    }
    let error = std::fs::read_to_string(sse.with_extension("error.txt"))
        .unwrap_or_else(|_| panic!("{}: no expected.json and no error.txt", sse.display()));
    Oracle::Raised(error, read_json(&sse.with_extension("snapshot.json")))
}

/// The partial agrees with a snapshot of the SDK on text and items.
fn same_text_and_items(name: &str, ours: &Final, theirs: &Json) {
    let ours = ours.as_responses().unwrap();
    let theirs_text: String = texts_of_final(theirs).content.into_values().collect();
    assert_eq!(ours.output_text(), theirs_text, "{name}: text");
    let ours = serde_json::to_value(ours).unwrap();
    let diffs = diff_by_value(&ours["output"], &theirs["output"]);
    assert!(
        diffs.is_empty(),
        "{name}: items differ:\n{}",
        diffs.join("\n")
    );
}

fn check_corpus_stream(sse: &Path) {
    let name = name_of(sse);
    let bytes = std::fs::read(sse).unwrap();
    let out = fold_in(&bytes, usize::MAX);
    let terminal = terminal_event(&bytes);
    match oracle(sse) {
        Oracle::Final(expected) => {
            assert_eq!(out.error, None, "{name}: folds without error");
            let ours = final_json(&out);
            let diffs = diff_by_value(&ours, &expected);
            assert!(
                diffs.is_empty(),
                "{name}: final object differs from the SDK's (ours vs SDK):\n{}",
                diffs.join("\n")
            );
            events_agree_with_final(&name, &out, true);
        }
        Oracle::Raised(error, snapshot) if error.contains("APIError") => {
            // An `error` event: a provider error (exit 2), the partial kept.
            let (kind, ..) = out.error.clone().expect("the error event stops the stream");
            assert!(kind.starts_with("Provider"), "{name}: {kind}");
            let message = error.lines().last().unwrap();
            let message = message.strip_prefix("openai.APIError: ").unwrap();
            assert!(kind.contains(&message[..60]), "{name}: {kind} vs {message}");
            let snapshot = snapshot.expect("the SDK kept a snapshot");
            same_text_and_items(&name, &out.done, &snapshot);
            events_agree_with_final(&name, &out, false);
        }
        Oracle::Raised(error, _) => {
            // The SDK refused a stream that has a terminal event (a resumed
            // stream without `response.created`; a hosted item whose
            // `call_id` changed): the terminal response is the final object.
            let (_, _, response) = terminal.clone().expect("a terminal event");
            assert_eq!(out.error, None, "{name}: folds without error ({error})");
            let diffs = diff_by_value(&final_json(&out), &response);
            assert!(diffs.is_empty(), "{name}:\n{}", diffs.join("\n"));
            events_agree_with_final(&name, &out, true);
        }
    }
    let warnings: Vec<_> = out
        .events
        .iter()
        .filter(|e| matches!(e, Event::Warning { .. }))
        .collect();
    assert!(warnings.is_empty(), "{name}: warnings {warnings:?}");
    if let Ok(events) = std::fs::read_to_string(sse.with_extension("events.jsonl")) {
        sdk_events_agree(&name, &events, &out);
    }
    // Every chunking, sync and async, gives the same outcome.
    for size in [1, 7] {
        assert!(
            fold_in(&bytes, size) == out,
            "{name}: {size}-byte pieces differ"
        );
    }
    for size in [bytes.len(), 7] {
        let cuts: Vec<usize> = bytes.chunks(size).map(<[u8]>::len).collect();
        let other = fold_async_using(&bytes, &cuts, Fold::new());
        assert!(other == out, "{name}: async, {size}-byte pieces differ");
    }
}

#[test]
fn every_corpus_stream_matches_the_sdk() {
    let all = sse_files(&corpus_dir());
    assert!(!all.is_empty(), "no streams in {}", corpus_dir().display());
    let mut table = Vec::new();
    for sse in &all {
        check_corpus_stream(sse);
        table.push(name_of(sse));
    }
    eprintln!(
        "{} streams checked in {}:\n{}",
        all.len(),
        corpus_dir().display(),
        table.join("\n")
    );
}

/// The items of an accumulated object and of the terminal response, less
/// what servers change between `output_item.done` and the terminal event:
/// opaque blobs re-encrypted (`encrypted_content` of reasoning items,
/// `fingerprint` of `program` items), an `mcp_list_tools` item whose `tools`
/// are `[]` in `output_item.done` and listed in the terminal response
/// (OpenAI), temporary reasoning ids (`rs_tmp_…`) drawn anew (OpenRouter).
fn comparable_items(ours: &Json, theirs: &Json) -> (Json, Json) {
    let (mut ours, mut theirs) = (ours.clone(), theirs.clone());
    if let (Some(a), Some(b)) = (ours.as_array_mut(), theirs.as_array_mut()) {
        for (x, y) in a.iter_mut().zip(b.iter_mut()) {
            let (Some(x), Some(y)) = (x.as_object_mut(), y.as_object_mut()) else {
                continue;
            };
            for key in ["encrypted_content", "fingerprint"] {
                x.remove(key);
                y.remove(key);
            }
            if x.get("type") == Some(&json!("mcp_list_tools")) && x.get("tools") == Some(&json!([]))
            {
                x.remove("tools");
                y.remove("tools");
            }
            let temporary = |v: &serde_json::Map<String, Json>| {
                v.get("id")
                    .and_then(Json::as_str)
                    .is_some_and(|id| id.starts_with("rs_tmp_"))
            };
            if temporary(x) && temporary(y) {
                x.remove("id");
                y.remove("id");
            }
        }
    }
    (ours, theirs)
}

#[test]
fn the_object_accumulated_from_the_events_agrees_with_the_terminal_response() {
    let mut checked = 0;
    for sse in sse_files(&corpus_dir()) {
        let name = name_of(&sse);
        let bytes = std::fs::read(&sse).unwrap();
        let Some((at, kind, response)) = terminal_event(&bytes) else {
            continue;
        };
        if kind == "response.failed" {
            continue;
        }
        // The stream without its terminal event: truncated, the partial is
        // the accumulated object.
        let out = fold_in(&bytes[..at], usize::MAX);
        let (error, ..) = out.error.clone().expect("truncated");
        assert!(error.starts_with("Truncated"), "{name}: {error}");
        let partial = final_json(&out);
        assert_eq!(
            texts_of_final(&partial),
            texts_of_final(&response),
            "{name}: text and tool calls"
        );
        let (ours, theirs) = comparable_items(&partial["output"], &response["output"]);
        let diffs = diff_by_value(&ours, &theirs);
        assert!(
            diffs.is_empty(),
            "{name}: accumulated items differ from the terminal response's:\n{}",
            diffs.join("\n")
        );
        assert_eq!(partial["id"], response["id"], "{name}");
        assert_eq!(partial["model"], response["model"], "{name}");
        checked += 1;
    }
    assert!(checked > 0);
}

#[test]
fn every_corpus_stream_is_detected_as_responses() {
    for sse in sse_files(&corpus_dir()) {
        let bytes = std::fs::read(&sse).unwrap();
        let mut fold = Fold::new();
        // Up to the end of the first event with data (OpenRouter starts
        // with a comment).
        let data = bytes.windows(5).position(|w| w == b"data:").unwrap();
        let first_event = data + bytes[data..].windows(2).position(|w| w == b"\n\n").unwrap() + 2;
        fold.push(&bytes[..first_event]).for_each(drop);
        assert_eq!(
            fold.format(),
            Some(Format::OpenAiResponses),
            "{}",
            name_of(&sse)
        );
    }
}

// ---------------------------------------------------------------------------
// Hand-made streams, for what the corpus lacks

/// An SSE body: `event: TYPE` and `data: JSON` per event.
fn body(events: &[Json]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        out.extend_from_slice(format!("event: {}\n", e["type"].as_str().unwrap()).as_bytes());
        out.extend_from_slice(format!("data: {e}\n\n").as_bytes());
    }
    out
}

fn response(status: &str, output: Json) -> Json {
    json!({"id": "resp_1", "object": "response", "created_at": 1, "status": status,
           "model": "gpt-test", "output": output, "usage": null, "error": null,
           "incomplete_details": null})
}

fn message_events(text: &[&str]) -> Vec<Json> {
    let mut v = vec![
        json!({"type": "response.output_item.added", "output_index": 0,
               "item": {"id": "msg_1", "type": "message", "status": "in_progress",
                        "content": [], "role": "assistant"}}),
        json!({"type": "response.content_part.added", "output_index": 0, "content_index": 0,
               "item_id": "msg_1",
               "part": {"type": "output_text", "text": "", "annotations": []}}),
    ];
    for t in text {
        v.push(
            json!({"type": "response.output_text.delta", "output_index": 0,
                      "content_index": 0, "item_id": "msg_1", "delta": t}),
        );
    }
    v
}

fn message_item(text: &str) -> Json {
    json!({"id": "msg_1", "type": "message", "status": "completed", "role": "assistant",
           "content": [{"type": "output_text", "text": text, "annotations": []}]})
}

fn folded_every_way(bytes: &[u8]) -> Outcome {
    let whole = fold_in(bytes, usize::MAX);
    for size in [1, 7] {
        assert!(fold_in(bytes, size) == whole, "{size}-byte pieces differ");
    }
    whole
}

#[test]
fn response_incomplete_is_a_complete_stream_with_its_reason() {
    let mut events = vec![json!({"type": "response.created",
                                 "response": response("in_progress", json!([]))})];
    events.extend(message_events(&["Once upon", " a time"]));
    let mut done = response("incomplete", json!([message_item("Once upon a time")]));
    done["incomplete_details"] = json!({"reason": "max_output_tokens"});
    done["usage"] = json!({"input_tokens": 5, "output_tokens": 4, "total_tokens": 9});
    events.push(json!({"type": "response.incomplete", "response": done.clone()}));
    let out = folded_every_way(&body(&events));
    assert_eq!(out.error, None, "incomplete is not an error");
    assert!(out.has_event(json!({"type": "finish_reason", "choice": 0,
                                 "finish_reason": "max_output_tokens"})));
    let r = out.done.as_responses().unwrap();
    assert_eq!(r.status(), Some("incomplete"));
    assert_eq!(
        r.incomplete_details()
            .unwrap()
            .get("reason")
            .unwrap()
            .as_str(),
        Some("max_output_tokens")
    );
    assert!(diff_by_value(&final_json(&out), &done).is_empty());
    events_agree_with_final("incomplete", &out, true);
}

#[test]
fn a_resumed_stream_starting_at_response_queued_folds() {
    let mut queued = response("queued", json!([]));
    queued["background"] = json!(true);
    let mut events = vec![
        json!({"type": "response.queued", "sequence_number": 1, "response": queued}),
        json!({"type": "response.in_progress", "sequence_number": 2,
               "response": response("in_progress", json!([]))}),
    ];
    events.extend(message_events(&["2 + 2", " = 4"]));
    let out = folded_every_way(&body(&events));
    // No terminal event: truncated (exit 3), the partial accumulated.
    let (error, ..) = out.error.clone().unwrap();
    assert!(error.starts_with("Truncated"), "{error}");
    let r = out.done.as_responses().unwrap();
    assert_eq!(r.id(), Some("resp_1"));
    assert_eq!(r.status(), Some("in_progress"), "the later event's fields");
    assert_eq!(r.get("background"), Some(&streamfold::Value::from(true)));
    assert_eq!(r.output_text(), "2 + 2 = 4");
    let item = r.output().next().unwrap();
    assert_eq!((item.kind(), item.id()), (Some("message"), Some("msg_1")));
    events_agree_with_final("resumed", &out, false);
}

#[test]
fn an_error_event_is_a_provider_error_and_keeps_the_partial() {
    let mut events = vec![json!({"type": "response.created",
                                 "response": response("in_progress", json!([]))})];
    events.extend(message_events(&["Half a ", "sentence"]));
    events.push(
        json!({"type": "error", "sequence_number": 9, "code": "server_error",
                       "message": "The server had an error", "param": null}),
    );
    let mut failed = response("failed", json!([]));
    failed["error"] = json!({"code": "server_error", "message": "The server had an error"});
    events.push(json!({"type": "response.failed", "response": failed}));
    let bytes = body(&events);
    let out = folded_every_way(&bytes);
    let (kind, _, index) = out.error.clone().unwrap();
    assert!(kind.starts_with("Provider"), "{kind}");
    assert!(kind.contains("The server had an error") && kind.contains("server_error"));
    assert_eq!(index, 5, "at the error event, before response.failed");
    let r = out.done.as_responses().unwrap();
    assert_eq!(r.output_text(), "Half a sentence", "the partial is kept");
    assert_eq!(r.status(), Some("in_progress"));
    // The error as the library reports it.
    let mut fold = Fold::new();
    fold.push(&bytes).for_each(drop);
    let err = fold.finish().unwrap_err();
    let ErrorKind::Provider(p) = err.kind() else {
        panic!("{:?}", err.kind())
    };
    assert_eq!(p.message, "The server had an error");
    assert_eq!(p.code.as_deref(), Some("server_error"));
    assert_eq!(p.kind, None);
}

#[test]
fn response_failed_alone_is_a_provider_error_from_its_error() {
    let mut failed = response("failed", json!([message_item("Partial")]));
    failed["error"] = json!({"code": "rate_limit_exceeded", "message": "Slow down"});
    let mut events = vec![json!({"type": "response.created",
                                 "response": response("in_progress", json!([]))})];
    events.extend(message_events(&["Partial"]));
    events.push(json!({"type": "response.failed", "response": failed.clone()}));
    let out = folded_every_way(&body(&events));
    let (kind, ..) = out.error.clone().unwrap();
    assert!(
        kind.starts_with("Provider") && kind.contains("Slow down"),
        "{kind}"
    );
    assert!(kind.contains("rate_limit_exceeded"), "{kind}");
    // The failed response is the partial.
    assert!(diff_by_value(&final_json(&out), &failed).is_empty());
}

#[test]
fn a_stream_cut_mid_event_is_truncated_inside_it() {
    let mut events = vec![json!({"type": "response.created",
                                 "response": response("in_progress", json!([]))})];
    events.extend(message_events(&["Hello", " wor", "ld"]));
    let bytes = body(&events);
    let cut = bytes.len() - 20;
    let out = folded_every_way(&bytes[..cut]);
    let (kind, ..) = out.error.clone().unwrap();
    assert_eq!(kind, "Truncated { inside_event: true }");
    assert!(out.has_event(json!({"type": "end", "verdict": "truncated_inside_event"})));
    assert_eq!(out.done.text(), "Hello wor");
}

#[test]
fn a_stream_without_a_terminal_event_is_truncated() {
    let mut events = vec![json!({"type": "response.created",
                                 "response": response("in_progress", json!([]))})];
    events.extend(message_events(&["Hello", " world"]));
    events.push(
        json!({"type": "response.output_text.done", "output_index": 0,
                       "content_index": 0, "text": "Hello world"}),
    );
    events.push(
        json!({"type": "response.output_item.done", "output_index": 0,
                       "item": message_item("Hello world")}),
    );
    let out = folded_every_way(&body(&events));
    let (kind, ..) = out.error.clone().unwrap();
    assert_eq!(kind, "Truncated { inside_event: false }");
    assert!(out.has_event(json!({"type": "end", "verdict": "truncated"})));
    let r = out.done.as_responses().unwrap();
    assert_eq!(r.output_text(), "Hello world");
    let want = json!([message_item("Hello world")]);
    assert!(diff_by_value(&final_json(&out)["output"], &want).is_empty());
    events_agree_with_final("no terminal", &out, false);
}

#[test]
fn arguments_only_in_function_call_arguments_done_become_one_delta() {
    let args = r#"{"location":"San Francisco"}"#;
    let call = |status: &str, arguments: &str| {
        json!({"id": "fc_1", "type": "function_call", "status": status,
               "arguments": arguments, "call_id": "call_7", "name": "weather"})
    };
    let events = vec![
        json!({"type": "response.created", "response": response("in_progress", json!([]))}),
        json!({"type": "response.output_item.added", "output_index": 0,
               "item": call("in_progress", "")}),
        json!({"type": "response.function_call_arguments.done", "output_index": 0,
               "item_id": "fc_1", "arguments": args}),
        json!({"type": "response.output_item.done", "output_index": 0,
               "item": call("completed", args)}),
        json!({"type": "response.completed",
               "response": response("completed", json!([call("completed", args)]))}),
    ];
    let out = folded_every_way(&body(&events));
    assert_eq!(out.error, None);
    let tools: Vec<Json> = out
        .events_json()
        .into_iter()
        .filter(|e| e["type"].as_str().unwrap().starts_with("tool_calls"))
        .collect();
    assert_eq!(
        tools,
        [
            json!({"type": "tool_calls.function.start", "choice": 0, "block": 0, "index": 0,
                   "id": "call_7", "name": "weather"}),
            json!({"type": "tool_calls.function.arguments.delta", "choice": 0, "block": 0,
                   "index": 0, "name": "weather", "arguments_delta": args}),
            json!({"type": "tool_calls.function.arguments.done", "choice": 0, "block": 0,
                   "index": 0, "name": "weather", "arguments": args}),
        ]
    );
    events_agree_with_final("args in done", &out, true);
    // Accumulated (no terminal): the same item.
    let cut = body(&events[..4]);
    let partial = fold_in(&cut, usize::MAX);
    let item = partial
        .done
        .as_responses()
        .unwrap()
        .output()
        .next()
        .unwrap()
        .as_map()
        .clone();
    let want = call("completed", args);
    assert!(diff_by_value(&serde_json::to_value(&item).unwrap(), &want).is_empty());
}

#[test]
fn hosted_tools_stay_items_without_tool_events() {
    let code = |status: &str, code: &str| {
        json!({"id": "ci_1", "type": "code_interpreter_call", "status": status,
               "code": code, "container_id": "cntr_1", "outputs": null})
    };
    let events = vec![
        json!({"type": "response.created", "response": response("in_progress", json!([]))}),
        json!({"type": "response.output_item.added", "output_index": 0,
               "item": code("in_progress", "")}),
        json!({"type": "response.code_interpreter_call_code.delta", "output_index": 0,
               "item_id": "ci_1", "delta": "print(", "obfuscation": "xyz"}),
        json!({"type": "response.code_interpreter_call_code.delta", "output_index": 0,
               "item_id": "ci_1", "delta": "42)"}),
        json!({"type": "response.code_interpreter_call.interpreting", "output_index": 0,
               "item_id": "ci_1"}),
    ];
    let out = folded_every_way(&body(&events));
    assert!(out.events.iter().all(|e| !matches!(
        e,
        Event::ToolCallStart { .. } | Event::ContentDelta { .. } | Event::Warning { .. }
    )));
    let r = out.done.as_responses().unwrap();
    let item = r.output().next().unwrap();
    assert_eq!(item.kind(), Some("code_interpreter_call"));
    assert_eq!(item.get("code").and_then(|v| v.as_str()), Some("print(42)"));
    assert!(item.get("obfuscation").is_none());
}

#[test]
fn the_done_after_the_terminal_event_and_missing_event_lines_are_fine() {
    let mut events = vec![json!({"type": "response.created",
                                 "response": response("in_progress", json!([]))})];
    events.extend(message_events(&["Hi"]));
    events.push(json!({"type": "response.completed",
                       "response": response("completed", json!([message_item("Hi")]))}));
    let mut bytes = Vec::new();
    for e in &events {
        bytes.extend_from_slice(format!("data: {e}\n\n").as_bytes());
    }
    bytes.extend_from_slice(b"data: [DONE]\n\n");
    let out = folded_every_way(&bytes);
    assert_eq!(out.error, None);
    assert!(
        matches!(
            out.events.last(),
            Some(Event::End {
                verdict: Verdict::Complete,
                ..
            })
        ),
        "no warning after the end: {:?}",
        out.events.last()
    );
    assert_eq!(out.done.text(), "Hi");
}

#[test]
fn a_responses_payload_in_a_stream_forced_to_another_format_is_a_clear_error() {
    let bytes =
        std::fs::read(corpus_dir().join("openai-gpt-4o-2024-08-06-0368d3e425.sse")).unwrap();
    for framed in [bytes.clone(), strip_event_lines(&bytes)] {
        let out = fold_using(
            &framed,
            &[framed.len()],
            Fold::new().with_format(Format::OpenAiChat),
        );
        let (kind, offset, index) = out.error.clone().unwrap();
        assert_eq!(
            kind,
            "WrongFormat { expected: OpenAiChat, found: Some(OpenAiResponses) }"
        );
        // At the first event's data.
        let data = framed.windows(6).position(|w| w == b"data: ").unwrap() + 6;
        assert_eq!((offset, index), (data as u64, 0));
    }
    // And the other way round.
    let chat = support::sse(&[
        r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"x"}}]}"#,
    ]);
    let out = fold_using(
        &chat,
        &[chat.len()],
        Fold::new().with_format(Format::OpenAiResponses),
    );
    let (kind, ..) = out.error.clone().unwrap();
    assert_eq!(
        kind,
        "WrongFormat { expected: OpenAiResponses, found: Some(OpenAiChat) }"
    );
}

fn strip_event_lines(bytes: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(bytes).unwrap();
    text.split_inclusive('\n')
        .filter(|l| !l.starts_with("event:"))
        .collect::<String>()
        .into_bytes()
}

#[test]
fn a_malformed_event_is_an_error_with_its_position() {
    let mut bytes = body(&[json!({"type": "response.created",
                                  "response": response("in_progress", json!([]))})]);
    let start = bytes.len();
    bytes.extend_from_slice(
        b"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"output_index\":0,\"delta\":\"x\",}\n\n",
    );
    let out = folded_every_way(&bytes);
    let (kind, offset, index) = out.error.clone().unwrap();
    assert!(kind.starts_with("Json"), "{kind}");
    assert_eq!(index, 1);
    let at = bytes[start..].windows(2).position(|w| w == b",}").unwrap() + start + 1;
    assert_eq!(offset, at as u64, "the `}}` after the trailing comma");
    // A delta that is not a string: a shape error.
    let mut bytes = body(&[json!({"type": "response.created",
                                  "response": response("in_progress", json!([]))})]);
    bytes.extend_from_slice(
        b"data: {\"type\":\"response.output_text.delta\",\"output_index\":0,\"content_index\":0,\"delta\":5}\n\n",
    );
    let out = fold_in(&bytes, usize::MAX);
    let (kind, ..) = out.error.clone().unwrap();
    assert_eq!(kind, r#"Shape { field: "delta", expected: "a string" }"#);
}

#[test]
fn a_four_megabyte_argument_in_ten_byte_deltas_folds_whole() {
    let payload: String = (0..4 << 20)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let args = format!(r#"{{"data":"{payload}"}}"#);
    let mut bytes = body(&[
        json!({"type": "response.created", "response": response("in_progress", json!([]))}),
        json!({"type": "response.output_item.added", "output_index": 0,
               "item": {"id": "fc_1", "type": "function_call", "status": "in_progress",
                        "arguments": "", "call_id": "call_1", "name": "write"}}),
    ]);
    for piece in args.as_bytes().chunks(10) {
        let delta = serde_json::to_string(std::str::from_utf8(piece).unwrap()).unwrap();
        bytes.extend_from_slice(
            format!("event: response.function_call_arguments.delta\ndata: {{\"type\":\"response.function_call_arguments.delta\",\"output_index\":0,\"item_id\":\"fc_1\",\"delta\":{delta}}}\n\n")
                .as_bytes(),
        );
    }
    bytes.extend_from_slice(&body(&[
        json!({"type": "response.function_call_arguments.done",
                                           "output_index": 0, "arguments": args}),
    ]));
    let mut fold = Fold::new();
    let mut streamed = String::new();
    let mut done = String::new();
    for piece in bytes.chunks(64 << 10) {
        for e in fold.push(piece) {
            match e.unwrap() {
                Event::ToolCallArgumentsDelta {
                    arguments_delta, ..
                } => streamed.push_str(&arguments_delta),
                Event::ToolCallArgumentsDone { arguments, .. } => done.push_str(&arguments),
                _ => {}
            }
        }
    }
    assert_eq!(fold.tool_call_arguments(0, 0), Some(args.as_str()));
    let partial = fold.finish().unwrap_err().into_partial().unwrap();
    let item = partial.as_responses().unwrap().output().next().unwrap();
    assert!(streamed == args && done == args);
    assert!(item.arguments() == Some(args.as_str()));
}

#[test]
fn the_fold_reports_id_model_and_usage_of_a_responses_stream() {
    let mut events = vec![json!({"type": "response.created",
                                 "response": response("in_progress", json!([]))})];
    events.extend(message_events(&["Hi"]));
    let mut done = response("completed", json!([message_item("Hi")]));
    done["usage"] = json!({"input_tokens": 3, "input_tokens_details": {"cached_tokens": 1},
                           "output_tokens": 2, "output_tokens_details": {"reasoning_tokens": 0},
                           "total_tokens": 5});
    events.push(json!({"type": "response.completed", "response": done}));
    let mut fold = Fold::new();
    fold.push(&body(&events)).for_each(drop);
    assert_eq!(fold.id().as_deref(), Some("resp_1"));
    assert_eq!(fold.model().as_deref(), Some("gpt-test"));
    let t = fold.usage().unwrap();
    assert_eq!(
        (
            t.input_tokens,
            t.output_tokens,
            t.cached_input_tokens,
            t.reasoning_tokens,
            t.total_tokens
        ),
        (Some(3), Some(2), Some(1), Some(0), Some(5))
    );
    let r = fold.finish().unwrap().into_responses().unwrap();
    let json = serde_json::to_string(&r).unwrap();
    let back: streamfold::openai_responses::Response = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    assert_eq!(
        back.usage().unwrap().get("total_tokens").unwrap().as_u64(),
        Some(5)
    );
}

/// The content deltas of the events, concatenated.
fn content_of_events(out: &Outcome) -> String {
    out.events
        .iter()
        .filter_map(|e| match e {
            Event::ContentDelta { delta, .. } => Some(delta.to_string()),
            _ => None,
        })
        .collect()
}

fn deltas_disagree(out: &Outcome, field: &str) -> bool {
    out.events_json().iter().any(|e| {
        e["type"] == "warning"
            && e["warning"]["kind"] == "deltas_disagree"
            && e["warning"]["field"] == field
    })
}

/// Bug: a terminal response whose text disagreed with the deltas replaced
/// the text while the deltas' events were still queued, so that a stream
/// pushed whole gave deltas cut from the new text ("" and "\\ bac" where
/// "7" and "\"quoted\" \\ back" were sent) and one fed a byte at a time
/// gave the right ones.
#[test]
fn a_terminal_response_that_disagrees_keeps_the_deltas_events_as_sent() {
    let mut events = vec![json!({"type": "response.created",
                                 "response": response("in_progress", json!([]))})];
    events.extend(message_events(&["Hel", "lo"]));
    events.push(json!({"type": "response.completed",
                       "response": response("completed", json!([message_item("Help")]))}));
    let out = folded_every_way(&body(&events));
    assert_eq!(out.error, None);
    assert_eq!(content_of_events(&out), "Hello", "the deltas as sent");
    assert!(deltas_disagree(&out, "text"), "{:?}", out.events_json());
    assert_eq!(
        out.done.text(),
        "Help",
        "the terminal response is the final object"
    );
}

#[test]
fn a_terminal_response_with_more_text_than_the_deltas_sends_the_rest_as_a_delta() {
    let mut events = vec![json!({"type": "response.created",
                                 "response": response("in_progress", json!([]))})];
    events.extend(message_events(&["Hello"]));
    events.push(json!({"type": "response.completed",
                       "response": response("completed", json!([message_item("Hello world")]))}));
    let out = folded_every_way(&body(&events));
    assert_eq!(out.error, None);
    assert!(
        out.has_event(json!({"type": "content.delta", "choice": 0, "block": 0,
                                 "delta": " world"}))
    );
    assert!(!deltas_disagree(&out, "text"));
    assert_eq!(out.done.text(), "Hello world");
    events_agree_with_final("terminal-adds", &out, true);
}

/// Bug: a delta to a message after its `output_item.done` was in the events
/// but not in the final object (the terminal response's).
#[test]
fn a_delta_after_its_item_is_done_is_skipped_with_a_warning() {
    let mut events = vec![json!({"type": "response.created",
                                 "response": response("in_progress", json!([]))})];
    events.extend(message_events(&["Hello"]));
    events.push(
        json!({"type": "response.output_item.done", "output_index": 0,
                       "item": message_item("Hello")}),
    );
    events.push(
        json!({"type": "response.output_text.delta", "output_index": 0,
                       "content_index": 0, "item_id": "msg_1", "delta": "x"}),
    );
    events.push(json!({"type": "response.completed",
                       "response": response("completed", json!([message_item("Hello")]))}));
    let out = folded_every_way(&body(&events));
    assert_eq!(out.error, None);
    assert_eq!(content_of_events(&out), "Hello");
    assert!(deltas_disagree(&out, "output"), "{:?}", out.events_json());
    assert_eq!(out.done.text(), "Hello");
}

/// Bug: a delta to a part after its `content_part.done` (a stream that
/// repeats its events) was in the events, while the final object held the
/// complete part as sent: the events said "Hellox", the final object
/// "Hello". It is skipped with a warning, as a delta after its item is done.
#[test]
fn a_delta_after_its_part_is_done_is_skipped_with_a_warning() {
    let mut events = vec![json!({"type": "response.created",
                                 "response": response("in_progress", json!([]))})];
    events.extend(message_events(&["Hello"]));
    events.push(
        json!({"type": "response.output_text.done", "output_index": 0,
                       "content_index": 0, "item_id": "msg_1", "text": "Hello"}),
    );
    events.push(
        json!({"type": "response.content_part.done", "output_index": 0,
                       "content_index": 0, "item_id": "msg_1",
                       "part": {"type": "output_text", "text": "Hello", "annotations": []}}),
    );
    events.push(
        json!({"type": "response.output_text.delta", "output_index": 0,
                       "content_index": 0, "item_id": "msg_1", "delta": "x"}),
    );
    let out = folded_every_way(&body(&events));
    assert_eq!(content_of_events(&out), "Hello");
    assert!(deltas_disagree(&out, "output"), "{:?}", out.events_json());
    assert_eq!(out.done.text(), "Hello");
}

/// Text for an output index before its item, which turns out to be a
/// function call (which holds no text): the events said what the final
/// object cannot, and a warning says so. Text before a message item (a
/// resumed stream) is kept without one.
#[test]
fn text_before_its_item_is_kept_and_warned_of_when_the_item_holds_no_text() {
    let delta = json!({"type": "response.output_text.delta", "output_index": 0,
                       "content_index": 0, "item_id": "x", "delta": "x"});
    let call = json!({"type": "response.output_item.added", "output_index": 0,
                      "item": {"type": "function_call", "id": "fc_1", "call_id": "call_1",
                               "name": "f", "arguments": ""}});
    let out = folded_every_way(&body(&[delta.clone(), call]));
    assert_eq!(content_of_events(&out), "x");
    assert!(deltas_disagree(&out, "output"), "{:?}", out.events_json());

    let message = json!({"type": "response.output_item.added", "output_index": 0,
                         "item": {"type": "message", "id": "msg_1", "role": "assistant",
                                  "content": []}});
    let out = folded_every_way(&body(&[delta, message]));
    assert!(!deltas_disagree(&out, "output"));
    assert_eq!(out.done.text(), "x");
}

/// Bug: the terminal response's items were matched to the streamed ones by
/// their place in `output`; a response that leaves out an item that
/// streamed (gpt-5.3-codex omits its web search call) had its next
/// message's text sent again, as a new delta of the wrong item. Items are
/// matched by `id`.
#[test]
fn terminal_items_are_matched_to_the_streamed_ones_by_id() {
    let msg = |id: &str, text: &str| {
        json!({"id": id, "type": "message", "status": "completed", "role": "assistant",
               "content": [{"type": "output_text", "text": text, "annotations": []}]})
    };
    let mut events = vec![json!({"type": "response.created",
                                 "response": response("in_progress", json!([]))})];
    for (oi, id, text) in [(0, "msg_a", "First."), (2, "msg_b", "Second.")] {
        if oi == 2 {
            let search = json!({"id": "ws_1", "type": "web_search_call", "status": "completed"});
            events.push(
                json!({"type": "response.output_item.added", "output_index": 1, "item": search}),
            );
            events.push(
                json!({"type": "response.output_item.done", "output_index": 1, "item": search}),
            );
        }
        events.push(
            json!({"type": "response.output_item.added", "output_index": oi,
                           "item": {"id": id, "type": "message", "status": "in_progress",
                                    "role": "assistant", "content": []}}),
        );
        events.push(
            json!({"type": "response.content_part.added", "output_index": oi,
                           "content_index": 0,
                           "part": {"type": "output_text", "text": "", "annotations": []}}),
        );
        events.push(
            json!({"type": "response.output_text.delta", "output_index": oi,
                           "content_index": 0, "delta": text}),
        );
        events.push(
            json!({"type": "response.output_item.done", "output_index": oi,
                           "item": msg(id, text)}),
        );
    }
    events.push(json!({"type": "response.completed", "response":
        response("completed", json!([msg("msg_a", "First."), msg("msg_b", "Second.")]))}));
    let out = folded_every_way(&body(&events));
    assert_eq!(out.error, None);
    assert_eq!(content_of_events(&out), "First.Second.");
    assert!(!deltas_disagree(&out, "text"));
    events_agree_with_final("terminal-by-id", &out, true);
}

/// Bug (found by `fold_split`): a function call streamed, then the
/// terminal response gave its item another type; the events had the
/// call's arguments, the final object no call, and no warning.
#[test]
fn a_complete_item_of_another_type_than_the_one_that_streamed_is_warned_of() {
    let call = |status: &str, kind: &str| {
        json!({"id": "fc_1", "type": kind, "call_id": "call_1", "name": "f",
               "arguments": if status == "completed" { "{}" } else { "" }, "status": status})
    };
    let events = vec![
        json!({"type": "response.created", "response": response("in_progress", json!([]))}),
        json!({"type": "response.output_item.added", "output_index": 0,
               "item": call("in_progress", "function_call")}),
        json!({"type": "response.function_call_arguments.delta", "output_index": 0, "delta": "{}"}),
        json!({"type": "response.output_item.done", "output_index": 0,
               "item": call("completed", "function_call")}),
        json!({"type": "response.completed",
               "response": response("completed", json!([call("completed", "function$call")]))}),
    ];
    let out = folded_every_way(&body(&events));
    assert_eq!(out.error, None);
    assert!(deltas_disagree(&out, "output"), "{:?}", out.events_json());
}

/// Bug (found by `fold_split`): arguments for the index of a reasoning
/// item made a tool call that the final object lacked. Call events for an
/// item that is no client call, or is done, are skipped with a warning.
#[test]
fn call_arguments_for_an_item_that_is_no_open_call_are_skipped_with_a_warning() {
    let reasoning = json!({"id": "rs_1", "type": "reasoning", "summary": []});
    let events = vec![
        json!({"type": "response.created", "response": response("in_progress", json!([]))}),
        json!({"type": "response.output_item.added", "output_index": 0, "item": reasoning}),
        json!({"type": "response.function_call_arguments.delta", "output_index": 0, "delta": "{}"}),
        json!({"type": "response.function_call_arguments.done", "output_index": 0, "arguments": "{}"}),
        json!({"type": "response.output_item.done", "output_index": 0, "item": reasoning}),
        json!({"type": "response.completed", "response": response("completed", json!([reasoning]))}),
    ];
    let out = folded_every_way(&body(&events));
    assert_eq!(out.error, None);
    assert!(deltas_disagree(&out, "output"), "{:?}", out.events_json());
    assert!(
        !out.events.iter().any(|e| matches!(
            e,
            Event::ToolCallStart { .. } | Event::ToolCallArgumentsDelta { .. }
        )),
        "{:?}",
        out.events_json()
    );
}

/// Bug (found by `fold_split`): text for content part 1, then for part 0,
/// of one message: the events (whose block is the item) said it in arrival
/// order, the final object in part order, without a warning.
#[test]
fn text_for_an_earlier_part_after_a_later_one_is_warned_of() {
    let delta = |part: u32, text: &str| {
        json!({"type": "response.output_text.delta", "output_index": 0,
               "content_index": part, "delta": text})
    };
    let mut events = vec![json!({"type": "response.created",
                                 "response": response("in_progress", json!([]))})];
    events.extend(message_events(&[]));
    events.extend([delta(1, "world"), delta(0, "hello ")]);
    let out = folded_every_way(&body(&events));
    assert!(deltas_disagree(&out, "content"), "{:?}", out.events_json());
    let mut events = vec![json!({"type": "response.created",
                                 "response": response("in_progress", json!([]))})];
    events.extend(message_events(&[]));
    events.extend([delta(0, "hello "), delta(1, "world")]);
    let out = folded_every_way(&body(&events));
    assert!(!deltas_disagree(&out, "content"), "in order: no warning");
}

/// The events of a message that streamed "Hello", then `tail`.
fn streamed_hello_then(tail: &[Json]) -> Outcome {
    let mut events = vec![json!({"type": "response.created",
                                 "response": response("in_progress", json!([]))})];
    events.extend(message_events(&["Hello"]));
    events.extend(tail.iter().cloned());
    folded_every_way(&body(&events))
}

/// Bug (found by `fold_split`): an `output_item.added` for an output index
/// whose item was already added and done (a web search call), as a
/// message whose text then streamed: the events showed the text, the final
/// object kept the first item. A second item for one index is skipped with
/// a warning, and so is the text sent to it.
#[test]
fn a_second_item_added_at_one_output_index_is_skipped_with_a_warning() {
    let search = json!({"id": "ws_1", "type": "web_search_call", "status": "completed",
                        "action": {"type": "search", "query": "q"}});
    let mut events = vec![
        json!({"type": "response.created", "response": response("in_progress", json!([]))}),
        json!({"type": "response.output_item.added", "output_index": 0,
               "item": {"id": "ws_1", "type": "web_search_call", "status": "in_progress"}}),
        json!({"type": "response.output_item.done", "output_index": 0, "item": search}),
    ];
    events.extend(message_events(&["Hello"]));
    let out = folded_every_way(&body(&events));
    assert_eq!(content_of_events(&out), "");
    assert!(deltas_disagree(&out, "output"), "{:?}", out.events_json());
    assert_eq!(out.done.text(), "");
}

/// Bug (found by `fold_split`): a `content_part.added` for a part after
/// its `content_part.done` (a stream that repeats its events) emptied the
/// final object's part: the events said "Hello", `Final::text()` "". It is
/// skipped with a warning, as a delta after its part is done.
#[test]
fn a_part_added_again_after_it_is_done_is_skipped_with_a_warning() {
    let done = [
        json!({"type": "response.output_text.done", "output_index": 0,
               "content_index": 0, "item_id": "msg_1", "text": "Hello"}),
        json!({"type": "response.content_part.done", "output_index": 0,
               "content_index": 0, "item_id": "msg_1",
               "part": {"type": "output_text", "text": "Hello", "annotations": []}}),
        json!({"type": "response.content_part.added", "output_index": 0,
               "content_index": 0, "item_id": "msg_1",
               "part": {"type": "output_text", "text": "", "annotations": []}}),
    ];
    let out = streamed_hello_then(&done);
    assert_eq!(content_of_events(&out), "Hello");
    assert!(deltas_disagree(&out, "output"), "{:?}", out.events_json());
    assert_eq!(out.done.text(), "Hello");
}

/// Bug (found by `fold_split`): a `content_part.done` of part 1, with its
/// text, before part 0's deltas went on. The events showed part 1's text
/// when it came, the final object in part order; the text of a complete
/// part was not counted as text the events show, so no warning.
#[test]
fn a_complete_part_before_an_earlier_part_goes_on_is_warned_of() {
    let done = json!({"type": "response.content_part.done", "output_index": 0,
                      "content_index": 1, "item_id": "msg_1",
                      "part": {"type": "output_text", "text": "World", "annotations": []}});
    let more = json!({"type": "response.output_text.delta", "output_index": 0,
                      "content_index": 0, "item_id": "msg_1", "delta": " more"});
    let out = streamed_hello_then(&[done.clone(), more.clone()]);
    assert_eq!(content_of_events(&out), "HelloWorld more");
    assert!(deltas_disagree(&out, "content"), "{:?}", out.events_json());
    // Part 0 goes on before part 1 is complete: in order, no warning.
    let out = streamed_hello_then(&[more, done]);
    assert_eq!(content_of_events(&out), "Hello moreWorld");
    assert!(!deltas_disagree(&out, "content"), "{:?}", out.events_json());
    assert_eq!(out.done.text(), "Hello moreWorld");
}

/// Bug (found by `fold_split`): an `output_item.done` whose part had no
/// `text` (a misspelled key) is the final object's item as sent, without
/// the text that streamed: the events said "Hello", `Final::text()` "",
/// and no warning said they parted.
#[test]
fn a_complete_item_whose_part_lacks_the_streamed_text_is_warned_of() {
    let mut item = message_item("Hello");
    item["content"][0] = json!({"type": "output_text", "te8t": "Hello", "annotations": []});
    let out = streamed_hello_then(&[json!({"type": "response.output_item.done",
                                           "output_index": 0, "item": item})]);
    assert_eq!(out.done.text(), "");
    assert!(deltas_disagree(&out, "output"), "{:?}", out.events_json());

    // A part without a type, and one of a type that holds no message text.
    for part in [
        json!({"text": "Hello"}),
        json!({"type": "output_audio", "text": "Hello"}),
    ] {
        let mut item = message_item("Hello");
        item["content"][0] = part;
        let out = streamed_hello_then(&[json!({"type": "response.output_item.done",
                                               "output_index": 0, "item": item})]);
        assert_eq!(out.done.text(), "");
        assert!(deltas_disagree(&out, "output"), "{:?}", out.events_json());
    }

    // Fewer parts than streamed, and no part list at all.
    for content in [json!([]), json!(null), json!("Hello")] {
        let mut item = message_item("Hello");
        item["content"] = content;
        let out = streamed_hello_then(&[json!({"type": "response.output_item.done",
                                               "output_index": 0, "item": item})]);
        assert_eq!(out.done.text(), "");
        assert!(deltas_disagree(&out, "output"), "{:?}", out.events_json());
    }

    // The same item with its text: no warning.
    let out = streamed_hello_then(&[json!({"type": "response.output_item.done",
                                           "output_index": 0,
                                           "item": message_item("Hello")})]);
    assert_eq!(out.done.text(), "Hello");
    assert!(
        !out.events_json().iter().any(|e| e["type"] == "warning"),
        "{:?}",
        out.events_json()
    );
}

/// A `content_part.done` is the final object's part as sent: one without
/// the text that streamed, or without the type that shows it, is warned of.
#[test]
fn a_complete_part_that_lacks_the_streamed_text_is_warned_of() {
    for part in [
        json!({"type": "output_text", "annotations": []}),
        json!({"text": "Hello", "annotations": []}),
        json!({"type": "output_audio", "text": "Hello"}),
    ] {
        let out = streamed_hello_then(&[json!({"type": "response.content_part.done",
                                               "output_index": 0, "content_index": 0,
                                               "item_id": "msg_1", "part": part})]);
        assert_eq!(out.done.text(), "", "{part}");
        assert!(
            deltas_disagree(&out, "output"),
            "{part}: {:?}",
            out.events_json()
        );
    }
    let part = json!({"type": "output_text", "text": "Hello", "annotations": []});
    let out = streamed_hello_then(&[json!({"type": "response.content_part.done",
                                           "output_index": 0, "content_index": 0,
                                           "item_id": "msg_1", "part": part})]);
    assert_eq!(out.done.text(), "Hello");
    assert!(!out.events_json().iter().any(|e| e["type"] == "warning"));
}

/// A terminal response that leaves out an item whose text streamed: the
/// final object lacks the text the events said.
#[test]
fn a_terminal_response_without_a_streamed_item_is_warned_of() {
    let out = streamed_hello_then(&[json!({"type": "response.completed",
                                           "response": response("completed", json!([]))})]);
    assert_eq!(out.done.text(), "");
    assert!(deltas_disagree(&out, "output"), "{:?}", out.events_json());
}

/// Bug (found by `fold_split`): a message that came only as its
/// `output_item.done` (no deltas: its text is one event), then a terminal
/// response without `output`. The complete item's text was not counted as
/// text the events show, so the final object lost it without a warning.
#[test]
fn a_terminal_response_without_an_item_that_came_only_complete_is_warned_of() {
    let mut terminal = response("completed", json!([]));
    terminal.as_object_mut().unwrap().remove("output");
    let out = folded_every_way(&body(&[
        json!({"type": "response.created", "response": response("in_progress", json!([]))}),
        json!({"type": "response.output_item.done", "output_index": 0,
               "item": message_item("Hello")}),
        json!({"type": "response.completed", "response": terminal}),
    ]));
    assert_eq!(content_of_events(&out), "Hello");
    assert_eq!(out.done.text(), "");
    assert!(deltas_disagree(&out, "output"), "{:?}", out.events_json());
}

/// Bug (found by `fold_split`): a call's arguments streamed (`{}`), then
/// its `output_item.done` came without `arguments` (a mangled key). The
/// final object holds the complete item as sent, without the arguments
/// the events said, and no warning said so.
#[test]
fn a_complete_call_without_the_streamed_arguments_is_warned_of() {
    let call = |arguments: Option<&str>| {
        let mut item = json!({"type": "function_call", "id": "fc_1", "call_id": "call_1",
                              "name": "f", "status": "completed"});
        if let Some(a) = arguments {
            item["arguments"] = json!(a);
        }
        let out = folded_every_way(&body(&[
            json!({"type": "response.created", "response": response("in_progress", json!([]))}),
            json!({"type": "response.function_call_arguments.done", "output_index": 0,
                   "item_id": "fc_1", "arguments": "{}"}),
            json!({"type": "response.output_item.done", "output_index": 0, "item": item}),
        ]));
        assert_eq!(content_of_events(&out), "");
        out
    };
    assert!(deltas_disagree(&call(None), "tool_calls"));
    assert!(!deltas_disagree(&call(Some("{}")), "tool_calls"));
}

/// Bug (found by `fold_split`): a call at output index 2, then one at
/// index 1. The events number calls as they come (0, then 1), the final
/// object lists them by output index, so the events' call 1 was the final
/// object's call 0, without a warning.
#[test]
fn a_call_before_one_that_came_first_is_warned_of() {
    let added = |oi: u32, id: &str| {
        json!({"type": "response.output_item.added", "output_index": oi,
               "item": {"type": "function_call", "id": id, "call_id": id, "name": "f",
                        "arguments": "", "status": "in_progress"}})
    };
    let args = |oi: u32, a: &str| json!({"type": "response.function_call_arguments.delta", "output_index": oi, "delta": a});
    let start = json!({"type": "response.created", "response": response("in_progress", json!([]))});
    let out = folded_every_way(&body(&[
        start.clone(),
        added(2, "fc_2"),
        args(2, "{\"b\":2}"),
        added(1, "fc_1"),
        args(1, "{\"a\":1}"),
    ]));
    assert!(
        deltas_disagree(&out, "tool_calls"),
        "{:?}",
        out.events_json()
    );
    let out = folded_every_way(&body(&[
        start,
        added(1, "fc_1"),
        args(1, "{\"a\":1}"),
        added(2, "fc_2"),
        args(2, "{\"b\":2}"),
    ]));
    assert!(!deltas_disagree(&out, "tool_calls"), "in order: no warning");
    let responses = out.done.as_responses().unwrap();
    let calls: Vec<_> = responses.output().filter_map(|i| i.arguments()).collect();
    assert_eq!(calls, ["{\"a\":1}", "{\"b\":2}"]);
}

/// Bug (found by `fold_split`): reasoning text, then call arguments, for
/// one output index before its item: no item holds both, the final object
/// (a reasoning item) had no call, the events had one, and no warning.
#[test]
fn text_and_arguments_for_one_index_before_its_item_are_warned_of() {
    let text = json!({"type": "response.reasoning_text.delta", "output_index": 1,
                      "content_index": 0, "delta": "Tokyo"});
    let args = json!({"type": "response.function_call_arguments.delta", "output_index": 1,
                      "delta": "{}"});
    let start = json!({"type": "response.created", "response": response("in_progress", json!([]))});
    let out = folded_every_way(&body(&[start.clone(), text.clone(), args.clone()]));
    assert!(deltas_disagree(&out, "output"), "{:?}", out.events_json());
    let out = folded_every_way(&body(&[start.clone(), args, text.clone()]));
    assert!(deltas_disagree(&out, "output"), "{:?}", out.events_json());
    let out = folded_every_way(&body(&[start, text.clone(), text]));
    assert!(!deltas_disagree(&out, "output"), "one class: no warning");
}

/// Bug (found by `fold_split`): a reasoning item's part without a `type`
/// was taken for message text, so its reasoning deltas were content events
/// that the final object (a reasoning item) did not show. A reasoning
/// item's content is reasoning text.
#[test]
fn a_typeless_part_of_a_reasoning_item_holds_reasoning() {
    let part = |p: Json| {
        json!({"type": "response.content_part.added", "output_index": 0, "content_index": 0,
               "part": p})
    };
    let events = |p: Json| {
        vec![
            json!({"type": "response.created", "response": response("in_progress", json!([]))}),
            json!({"type": "response.output_item.added", "output_index": 0,
                   "item": {"id": "rs_1", "type": "reasoning", "content": [], "summary": []}}),
            part(p),
            json!({"type": "response.reasoning_text.delta", "output_index": 0,
                   "content_index": 0, "delta": "Think."}),
        ]
    };
    let out = folded_every_way(&body(&events(json!({"text": ""}))));
    assert!(
        out.has_event(json!({"type": "reasoning.delta", "choice": 0, "block": 0,
                             "delta": "Think."})),
        "{:?}",
        out.events_json()
    );
    assert!(!out.events_json().iter().any(|e| e["type"] == "warning"));
    let item = out.done.as_responses().unwrap().output().next().unwrap();
    let content = serde_json::to_value(item.get("content").unwrap()).unwrap();
    assert_eq!(content[0]["type"], "reasoning_text");

    // A part that says it is message text, in a reasoning item: the
    // reasoning deltas are its events, of the part's kind, with a warning.
    let out = folded_every_way(&body(&events(json!({"type": "output_text", "text": ""}))));
    assert!(deltas_disagree(&out, "content"), "{:?}", out.events_json());
}

/// Bug (found by `fold_split`): an `output_text.done` for an index without
/// an item, then the item done as a type that holds no message text: the
/// `.done`'s text was a content delta the final object did not show, and
/// no warning. A `.done`'s text (and a new part's) passes the checks a
/// delta does.
#[test]
fn a_text_done_before_its_item_passes_the_checks_of_a_delta() {
    let done = json!({"type": "response.output_text.done", "output_index": 0,
                      "content_index": 0, "text": "2 + 2 equals 4."});
    let mut item = message_item("2 + 2 equals 4.");
    item["type"] = json!("messagn");
    let start = json!({"type": "response.created", "response": response("in_progress", json!([]))});
    let out = folded_every_way(&body(&[
        start.clone(),
        done.clone(),
        json!({"type": "response.output_item.done", "output_index": 0, "item": item}),
    ]));
    assert!(deltas_disagree(&out, "output"), "{:?}", out.events_json());

    // After its item is done: skipped, with a warning.
    let out = folded_every_way(&body(&[
        start,
        json!({"type": "response.output_item.done", "output_index": 0,
               "item": message_item("2 + 2")}),
        done,
    ]));
    assert!(deltas_disagree(&out, "output"), "{:?}", out.events_json());
    assert_eq!(content_of_events(&out), "2 + 2");
}

/// Bug (found by `fold_split`): a `response.queued` whose `output` already
/// listed a complete message, then the stream's end: the final object had
/// the message's text, the events none, and no warning.
#[test]
fn a_lifecycle_response_that_lists_items_is_warned_of() {
    let out = folded_every_way(&body(&[json!({"type": "response.queued",
        "response": response("queued", json!([message_item("2 + 2 equals 4.")]))})]));
    assert_eq!(out.done.text(), "2 + 2 equals 4.");
    assert!(deltas_disagree(&out, "output"), "{:?}", out.events_json());
    let out = folded_every_way(&body(&[json!({"type": "response.queued",
        "response": response("queued", json!([]))})]));
    assert!(!deltas_disagree(&out, "output"), "output [] : no warning");
}
