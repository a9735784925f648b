//! Gemini `streamGenerateContent?alt=sse` streams: the final object must
//! equal the corpus's reference merge (`NAME.expected.json`, null = absent,
//! numbers by value), the events must add up to it, and the merged text must
//! equal what google-genai decoded from the same bytes (`NAME.events.jsonl`).
//! Hand-made streams cover what the corpus lacks.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value as Json};
use streamfold::gemini::Response;
use streamfold::{ErrorKind, Event, Final, Fold, Format, Limits, Verdict, Warning};
use support::json::diff_by_value;
use support::{data_root, fold_async_using, fold_every_way, fold_using, sse_files, Outcome};

/// The SSE body of Gemini payloads, framed as the API does (CRLF).
fn gemini_sse(payloads: &[Json]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in payloads {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(p.to_string().as_bytes());
        out.extend_from_slice(b"\r\n\r\n");
    }
    out
}

/// A payload of candidate 0 with these parts (and a finish reason).
fn chunk(parts: Json, finish: Option<&str>) -> Json {
    let mut cand = json!({"content": {"role": "model", "parts": parts}});
    if let Some(f) = finish {
        cand["finishReason"] = json!(f);
    }
    json!({"candidates": [cand], "modelVersion": "gemini-test", "responseId": "r-1"})
}

fn final_json(out: &Outcome) -> Json {
    serde_json::to_value(&out.done).unwrap()
}

fn response(out: &Outcome) -> &Response {
    out.done.as_gemini().expect("a Gemini response")
}

/// A tool-call start: (index, id, name, block).
type Start = (u32, String, String, Option<u32>);

/// What the events add up to, per candidate.
#[derive(Debug, Default)]
struct Seen {
    content: BTreeMap<u32, String>,
    reasoning: BTreeMap<u32, String>,
    content_done: BTreeMap<u32, String>,
    reasoning_done: BTreeMap<u32, String>,
    /// (candidate, block) → text of the deltas.
    by_block: BTreeMap<(u32, u32), String>,
    /// candidate → (index, id, name, block) of each start, in order.
    starts: BTreeMap<u32, Vec<Start>>,
    /// (candidate, call) → arguments deltas / done runs, concatenated.
    args: BTreeMap<(u32, u32), String>,
    args_done: BTreeMap<(u32, u32), String>,
    finish: BTreeMap<u32, String>,
    usage: Option<Json>,
    end_last: Option<Verdict>,
}

fn seen(events: &[Event<'_>]) -> Seen {
    let mut s = Seen::default();
    for e in events {
        match e {
            Event::ContentDelta {
                choice,
                block,
                delta,
                ..
            } => {
                s.content.entry(*choice).or_default().push_str(delta);
                let b = block.expect("Gemini text events name their part");
                s.by_block.entry((*choice, b)).or_default().push_str(delta);
            }
            Event::ReasoningDelta {
                choice,
                block,
                delta,
                ..
            } => {
                s.reasoning.entry(*choice).or_default().push_str(delta);
                let b = block.expect("Gemini text events name their part");
                s.by_block.entry((*choice, b)).or_default().push_str(delta);
            }
            Event::ContentDone {
                choice, content, ..
            } => s.content_done.entry(*choice).or_default().push_str(content),
            Event::ReasoningDone {
                choice, reasoning, ..
            } => s
                .reasoning_done
                .entry(*choice)
                .or_default()
                .push_str(reasoning),
            Event::ToolCallStart {
                choice,
                block,
                index,
                id,
                name,
                ..
            } => s.starts.entry(*choice).or_default().push((
                *index,
                id.to_string(),
                name.to_string(),
                *block,
            )),
            Event::ToolCallArgumentsDelta {
                choice,
                index,
                arguments_delta,
                ..
            } => s
                .args
                .entry((*choice, *index))
                .or_default()
                .push_str(arguments_delta),
            Event::ToolCallArgumentsDone {
                choice,
                index,
                arguments,
                ..
            } => s
                .args_done
                .entry((*choice, *index))
                .or_default()
                .push_str(arguments),
            Event::FinishReason {
                choice,
                finish_reason,
                ..
            } => {
                s.finish.insert(*choice, finish_reason.to_string());
            }
            Event::Usage { usage, .. } => {
                s.usage = Some(serde_json::from_str(usage.as_str()).unwrap());
            }
            _ => {}
        }
    }
    s.end_last = match events.last() {
        Some(Event::End { verdict, .. }) => Some(*verdict),
        _ => None,
    };
    s
}

/// The events agree with the final object: text and thoughts per candidate
/// and per part, tool-call starts (index, id, name, part), arguments that
/// parse to the final `args`, `.done` runs (a truncated stream has none
/// after its last payload), finish reasons, usage.
fn events_agree_with_final(name: &str, out: &Outcome) {
    let s = seen(&out.events);
    let complete = out.error.is_none();
    let done = final_json(out);
    let empty = Vec::new();
    for cand in done["candidates"].as_array().unwrap_or(&empty) {
        let c = cand["index"].as_u64().unwrap_or(0) as u32;
        let parts = cand["content"]["parts"].as_array().unwrap_or(&empty);
        let (mut text, mut thoughts) = (String::new(), String::new());
        let mut calls = Vec::new();
        for (b, part) in parts.iter().enumerate() {
            if let Some(t) = part["text"].as_str() {
                if part["thought"] == json!(true) {
                    thoughts.push_str(t);
                } else {
                    text.push_str(t);
                }
                let got = s.by_block.get(&(c, b as u32)).cloned().unwrap_or_default();
                assert_eq!(got, t, "{name}: deltas of candidate {c} part {b}");
            } else if part.get("functionCall").is_some() {
                calls.push((b as u32, &part["functionCall"]));
            }
        }
        let get = |m: &BTreeMap<u32, String>| m.get(&c).cloned().unwrap_or_default();
        assert_eq!(get(&s.content), text, "{name}: content deltas of {c}");
        assert_eq!(
            get(&s.reasoning),
            thoughts,
            "{name}: reasoning deltas of {c}"
        );
        if complete {
            assert_eq!(
                get(&s.content_done),
                text,
                "{name}: content.done runs of {c}"
            );
            assert_eq!(
                get(&s.reasoning_done),
                thoughts,
                "{name}: reasoning.done of {c}"
            );
        } else {
            assert!(text.starts_with(&get(&s.content_done)), "{name}");
            assert!(thoughts.starts_with(&get(&s.reasoning_done)), "{name}");
        }
        let starts = s.starts.get(&c).cloned().unwrap_or_default();
        assert_eq!(
            starts.len(),
            calls.len(),
            "{name}: one start per call of {c}"
        );
        for (k, ((b, call), start)) in calls.iter().zip(&starts).enumerate() {
            let k = k as u32;
            let want = (
                k,
                call["id"].as_str().unwrap_or("").to_string(),
                call["name"].as_str().unwrap_or("").to_string(),
                Some(*b),
            );
            assert_eq!(*start, want, "{name}: start of call {k} of {c}");
            let args = s.args.get(&(c, k)).cloned().unwrap_or_default();
            match call.get("args") {
                Some(v) => {
                    let parsed: Json = serde_json::from_str(&args).unwrap_or_else(|e| {
                        panic!("{name}: call {k} arguments {args:?} do not parse: {e}")
                    });
                    assert!(
                        diff_by_value(&parsed, v).is_empty(),
                        "{name}: arguments of call {k} are {parsed}, args {v}"
                    );
                }
                None => assert_eq!(args, "", "{name}: a call without args"),
            }
            if complete {
                assert_eq!(
                    s.args_done.get(&(c, k)),
                    Some(&args),
                    "{name}: arguments.done of call {k}"
                );
            }
        }
        assert_eq!(
            s.finish.get(&c).map(String::as_str),
            cand["finishReason"].as_str(),
            "{name}: finish reason of {c}"
        );
    }
    assert_eq!(s.usage.as_ref(), done.get("usageMetadata"), "{name}: usage");
    assert_eq!(
        s.end_last,
        Some(if out.error.is_none() {
            Verdict::Complete
        } else {
            match &out.error {
                Some((kind, ..)) if kind.contains("inside_event: true") => {
                    Verdict::TruncatedInsideEvent
                }
                _ => Verdict::Truncated,
            }
        }),
        "{name}: `end` comes last"
    );
}

/// The manifest's rows by stream name.
fn manifest(dir: &Path) -> BTreeMap<String, Json> {
    std::fs::read_to_string(dir.join("manifest.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let row: Json = serde_json::from_str(l).unwrap();
            (row["name"].as_str().unwrap().to_string(), row)
        })
        .collect()
}

/// The text and function calls google-genai decoded, chunk by chunk: what
/// its `chunk.text` and `chunk.function_calls` give (the first candidate's
/// non-thought text parts; its `function_call` parts).
fn sdk_view(events_jsonl: &str) -> (String, Vec<Json>) {
    let mut text = String::new();
    let mut calls = Vec::new();
    for line in events_jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let chunk: Json = serde_json::from_str(line).unwrap();
        let empty = Vec::new();
        let parts = chunk["candidates"][0]["content"]["parts"]
            .as_array()
            .unwrap_or(&empty);
        for p in parts {
            if let (Some(t), false) = (p["text"].as_str(), p["thought"] == json!(true)) {
                text.push_str(t);
            }
            if let Some(fc) = p.get("function_call") {
                calls.push(fc.clone());
            }
        }
    }
    (text, calls)
}

/// Folds one corpus stream every way the task asks (whole, 1 and 7 bytes,
/// sync and async) and checks it against its oracle files.
fn check_corpus_stream(sse: &Path, row: &Json) {
    let name = sse.file_stem().unwrap().to_string_lossy().to_string();
    let bytes = std::fs::read(sse).unwrap();
    let whole = fold_using(&bytes, &[bytes.len()], Fold::new());
    assert_eq!(whole.error, None, "{name}: folds without error");
    assert_eq!(whole.done.format(), Format::Gemini, "{name}: detected");
    for size in [1, 7] {
        let cuts: Vec<usize> = bytes.chunks(size).map(<[u8]>::len).collect();
        let sync = fold_using(&bytes, &cuts, Fold::new());
        assert!(sync == whole, "{name}: fed {size} bytes at a time, differs");
        let lazy = fold_async_using(&bytes, &cuts, Fold::new());
        assert!(lazy == whole, "{name}: async, {size}-byte items, differs");
    }
    let lazy = fold_async_using(&bytes, &[bytes.len()], Fold::new());
    assert!(lazy == whole, "{name}: async, whole, differs");

    let expected: Json =
        serde_json::from_slice(&std::fs::read(sse.with_extension("expected.json")).unwrap())
            .unwrap();
    let ours = final_json(&whole);
    let diffs = diff_by_value(&ours, &expected);
    assert!(
        diffs.is_empty(),
        "{name}: final object differs from the reference merge (ours vs expected):\n{}",
        diffs.join("\n")
    );
    events_agree_with_final(&name, &whole);

    let r = response(&whole);
    let back: Response = serde_json::from_str(&serde_json::to_string(r).unwrap()).unwrap();
    assert_eq!(&back, r, "{name}: reads back equal");

    let events = std::fs::read_to_string(sse.with_extension("events.jsonl")).unwrap();
    let (sdk_text, sdk_calls) = sdk_view(&events);
    assert_eq!(
        row["merge_text_equals_sdk_text"],
        json!(true),
        "{name}: the manifest says"
    );
    assert_eq!(r.text(), sdk_text, "{name}: text = the SDK chunks' text");
    assert_eq!(whole.done.text(), sdk_text, "{name}: Final::text");
    if row["merge_function_calls_equal_sdk"] == json!(true) {
        let ours: Vec<Json> = r
            .candidates()
            .next()
            .map(|c| {
                c.function_calls()
                    .map(|f| serde_json::to_value(f.as_map()).unwrap())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(ours.len(), sdk_calls.len(), "{name}: SDK function calls");
        for (o, s) in ours.iter().zip(&sdk_calls) {
            assert!(
                diff_by_value(o, s).is_empty(),
                "{name}: function call {o} vs the SDK's {s}"
            );
        }
    }
}

#[test]
fn every_corpus_stream_matches_the_reference_merge() {
    let dir = data_root().join("corpus/gemini-sse");
    let rows = manifest(&dir);
    let all = sse_files(&dir);
    assert!(all.len() >= 6, "too few streams in {}", dir.display());
    let mut passed = Vec::new();
    for sse in &all {
        let name = sse.file_stem().unwrap().to_string_lossy().to_string();
        let row = rows
            .get(&name)
            .unwrap_or_else(|| panic!("{name} is not in the manifest"));
        check_corpus_stream(sse, row);
        passed.push(name);
    }
    eprintln!(
        "{} Gemini streams match in {}:\n  {}",
        passed.len(),
        dir.display(),
        passed.join("\n  ")
    );
}

#[test]
fn every_corpus_stream_is_detected_as_gemini_from_its_first_event() {
    let dir = data_root().join("corpus/gemini-sse");
    for sse in sse_files(&dir) {
        let bytes = std::fs::read(&sse).unwrap();
        let first = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| i + 4)
            .unwrap();
        let mut fold = Fold::new();
        assert!(fold.push(&bytes[..first]).all(|e| e.is_ok()));
        assert_eq!(fold.format(), Some(Format::Gemini), "{}", sse.display());
        assert!(fold.id().is_some_and(|id| !id.is_empty()));
        assert!(fold.model().is_some_and(|m| m.starts_with("gemini")));
    }
}

#[test]
fn streamed_arguments_of_every_kind_and_nested_paths_make_one_call() {
    let piece = |path: &str, value: Json| {
        let mut p = value;
        p["jsonPath"] = json!(path);
        p
    };
    let call = |pieces: Vec<Json>| {
        chunk(
            json!([{"functionCall": {"partialArgs": pieces, "willContinue": true}}]),
            None,
        )
    };
    let stream = gemini_sse(&[
        chunk(
            json!([{"functionCall": {"name": "plan", "willContinue": true}, "thoughtSignature": "c2ln"}]),
            None,
        ),
        call(vec![piece(
            "$.title",
            json!({"stringValue": "Trip \"to\" ", "willContinue": true}),
        )]),
        call(vec![piece(
            "$.title",
            json!({"stringValue": "Zürich 🚆", "willContinue": true}),
        )]),
        call(vec![piece("$.title", json!({"stringValue": ""}))]),
        call(vec![
            piece("$.days", json!({"numberValue": 3})),
            piece("$.budget", json!({"numberValue": 1250.5})),
        ]),
        call(vec![piece("$.refundable", json!({"boolValue": false}))]),
        call(vec![piece("$.notes", json!({"nullValue": "NULL_VALUE"}))]),
        chunk(json!([{"functionCall": {"willContinue": true}}]), None),
        call(vec![piece(
            "$.legs[0].from",
            json!({"stringValue": "Paris"}),
        )]),
        call(vec![piece(
            "$.legs[0].to",
            json!({"stringValue": "Basel", "willContinue": true}),
        )]),
        call(vec![piece("$.legs[0].to", json!({"stringValue": ""}))]),
        call(vec![piece(
            "$.legs[1]['from']",
            json!({"stringValue": "Basel"}),
        )]),
        call(vec![piece(
            "$.legs[1].stops[0]",
            json!({"numberValue": -1e-3}),
        )]),
        call(vec![piece(
            "$.legs[1].stops[1]",
            json!({"boolValue": true}),
        )]),
        call(vec![piece("$.meta.a.b", json!({"stringValue": "deep"}))]),
        call(vec![piece("$['odd.key']", json!({"stringValue": "x"}))]),
        chunk(json!([{"functionCall": {}}]), None),
        chunk(json!([{"text": "Planned."}]), Some("STOP")),
    ]);
    let out = fold_every_way(&stream, Limits::default());
    assert_eq!(out.error, None);
    // Written out by hand from the pieces above.
    let want_args = json!({
        "title": "Trip \"to\" Zürich 🚆",
        "days": 3,
        "budget": 1250.5,
        "refundable": false,
        "notes": null,
        "legs": [
            {"from": "Paris", "to": "Basel"},
            {"from": "Basel", "stops": [-0.001, true]}
        ],
        "meta": {"a": {"b": "deep"}},
        "odd.key": "x"
    });
    let done = final_json(&out);
    let parts = &done["candidates"][0]["content"]["parts"];
    let want_parts = json!([
        {"functionCall": {"name": "plan", "args": want_args}, "thoughtSignature": "c2ln"},
        {"text": "Planned."}
    ]);
    assert_eq!(*parts, want_parts, "exactly, nulls included");
    events_agree_with_final("hand-made partialArgs", &out);
    // The arguments arrived piece by piece, each a prefix of valid JSON.
    let deltas: Vec<String> = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ToolCallArgumentsDelta {
                arguments_delta, ..
            } => Some(arguments_delta.to_string()),
            _ => None,
        })
        .collect();
    assert!(deltas.len() >= 15, "{deltas:?}");
    assert_eq!(deltas[0], r#"{"title":"Trip \"to\" "#);
    assert_eq!(deltas[1], "Zürich 🚆");
    assert!(!out
        .events
        .iter()
        .any(|e| matches!(e, Event::Warning { .. })));
}

#[test]
fn pieces_that_cannot_continue_the_arguments_are_kept_with_a_warning() {
    let piece = |path: &str, value: Json| {
        let mut p = value;
        p["jsonPath"] = json!(path);
        p
    };
    let stream = gemini_sse(&[
        chunk(
            json!([{"functionCall": {"name": "f", "willContinue": true}}]),
            None,
        ),
        chunk(
            json!([{"functionCall": {"partialArgs": [
                piece("$.a.x", json!({"numberValue": 1})),
                piece("$.b", json!({"numberValue": 2})),
                piece("$.a.y", json!({"numberValue": 3})),
                piece("$..c", json!({"numberValue": 4})),
                piece("$.d", json!({"numberValue": 5, "boolValue": true})),
                json!({"stringValue": "no path"}),
                piece("$.e", json!({"stringValue": "kept too", "hint": 1}))
            ], "willContinue": true}}]),
            None,
        ),
        chunk(json!([{"functionCall": {}}]), Some("STOP")),
    ]);
    let out = fold_every_way(&stream, Limits::default());
    assert_eq!(out.error, None);
    let done = final_json(&out);
    let call = &done["candidates"][0]["content"]["parts"][0]["functionCall"];
    assert_eq!(
        call["args"],
        json!({"a": {"x": 1}, "b": 2, "e": "kept too"})
    );
    assert_eq!(
        call["partialArgs"],
        json!([
            {"jsonPath": "$.a.y", "numberValue": 3},
            {"jsonPath": "$..c", "numberValue": 4},
            {"jsonPath": "$.d", "numberValue": 5, "boolValue": true},
            {"stringValue": "no path"},
            {"jsonPath": "$.e", "stringValue": "kept too", "hint": 1}
        ])
    );
    let warnings = out
        .events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::Warning {
                    warning: Warning::Lenient { field, .. },
                    ..
                } if *field == "functionCall.partialArgs[]"
            )
        })
        .count();
    assert_eq!(warnings, 5);
    events_agree_with_final("refused pieces", &out);
}

#[test]
fn a_streamed_call_left_open_is_closed_by_the_next_part_with_a_warning() {
    let stream = gemini_sse(&[
        chunk(
            json!([{"functionCall": {"name": "f", "willContinue": true}}]),
            None,
        ),
        chunk(
            json!([{"functionCall": {"partialArgs": [{"jsonPath": "$.q", "stringValue": "ab", "willContinue": true}], "willContinue": true}}]),
            None,
        ),
        chunk(json!([{"text": "after"}]), None),
        chunk(
            json!([{"functionCall": {"name": "g", "args": {"k": [1, 2]}}}]),
            Some("STOP"),
        ),
    ]);
    let out = fold_every_way(&stream, Limits::default());
    assert_eq!(out.error, None);
    let parts = final_json(&out)["candidates"][0]["content"]["parts"].clone();
    assert_eq!(
        parts,
        json!([
            {"functionCall": {"name": "f", "args": {"q": "ab"}}},
            {"text": "after"},
            {"functionCall": {"name": "g", "args": {"k": [1, 2]}}}
        ])
    );
    assert!(out.events.iter().any(|e| matches!(
        e,
        Event::Warning {
            warning: Warning::Lenient {
                field: "functionCall.willContinue",
                ..
            },
            ..
        }
    )));
    events_agree_with_final("unclosed call", &out);
}

#[test]
fn text_parts_join_by_thought_flag_and_signatures_as_the_merge_says() {
    let stream = gemini_sse(&[
        chunk(json!([{"text": "Think", "thought": true}]), None),
        chunk(json!([{"text": "ing.", "thought": true}]), None),
        chunk(
            json!([{"text": ""}, {"text": "Hi", "thoughtSignature": "s1"}]),
            None,
        ),
        chunk(json!([{"text": " there"}]), None),
        // Both carry a signature: a new part.
        chunk(json!([{"text": "!", "thoughtSignature": "s2"}]), None),
        chunk(
            json!([{"executableCode": {"language": "PYTHON", "code": "1"}}]),
            None,
        ),
        chunk(json!([{"text": ""}]), None),
        chunk(
            json!([{"text": "", "thoughtSignature": "s3"}]),
            Some("STOP"),
        ),
    ]);
    let out = fold_every_way(&stream, Limits::default());
    assert_eq!(out.error, None);
    let done = final_json(&out);
    assert_eq!(
        done["candidates"][0]["content"]["parts"],
        json!([
            {"text": "Thinking.", "thought": true},
            {"text": "Hi there", "thoughtSignature": "s1"},
            {"text": "!", "thoughtSignature": "s2"},
            {"executableCode": {"language": "PYTHON", "code": "1"}},
            {"text": "", "thoughtSignature": "s3"}
        ])
    );
    let r = response(&out);
    assert_eq!(r.text(), "Hi there!");
    assert_eq!(r.candidates().next().unwrap().thoughts(), "Thinking.");
    assert_eq!(r.response_id(), Some("r-1"));
    assert_eq!(r.model_version(), Some("gemini-test"));
    events_agree_with_final("joins", &out);
}

#[test]
fn two_candidates_merge_apart_in_index_order() {
    let two = |a: Json, b: Json| json!({"candidates": [a, b], "responseId": "r"});
    let stream = gemini_sse(&[
        two(
            json!({"index": 1, "content": {"role": "model", "parts": [{"text": "B1"}]}}),
            json!({"index": 0, "content": {"role": "model", "parts": [{"text": "A1"}]}}),
        ),
        two(
            json!({"index": 0, "content": {"parts": [{"text": "A2"}]}, "finishReason": "STOP"}),
            json!({"index": 1, "content": {"parts": [{"functionCall": {"name": "f", "args": {}}}]},
                   "finishReason": "STOP", "safetyRatings": []}),
        ),
        json!({"candidates": [], "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 6, "thoughtsTokenCount": 2, "totalTokenCount": 12, "cachedContentTokenCount": 1}}),
    ]);
    let out = fold_every_way(&stream, Limits::default());
    assert_eq!(out.error, None);
    let done = final_json(&out);
    assert_eq!(
        done["candidates"],
        json!([
            {"content": {"parts": [{"text": "A1A2"}], "role": "model"}, "index": 0, "finishReason": "STOP"},
            {"content": {"parts": [{"text": "B1"}, {"functionCall": {"name": "f", "args": {}}}], "role": "model"},
             "index": 1, "finishReason": "STOP", "safetyRatings": []}
        ])
    );
    events_agree_with_final("two candidates", &out);
    let tokens = out
        .events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Usage { tokens, .. } => Some(*tokens),
            _ => None,
        })
        .unwrap();
    assert_eq!(tokens.input_tokens, Some(4));
    assert_eq!(tokens.output_tokens, Some(8));
    assert_eq!(tokens.reasoning_tokens, Some(2));
    assert_eq!(tokens.cached_input_tokens, Some(1));
    assert_eq!(tokens.total_tokens, Some(12));
    assert_eq!(response(&out).candidate(1).unwrap().text(), "B1");

    // Only one of them finished: truncated.
    let cut = gemini_sse(&[two(
        json!({"index": 0, "content": {"parts": [{"text": "A"}]}, "finishReason": "STOP"}),
        json!({"index": 1, "content": {"parts": [{"text": "B"}]}}),
    )]);
    let out = fold_every_way(&cut, Limits::default());
    assert!(matches!(
        out.events.last(),
        Some(Event::End {
            verdict: Verdict::Truncated,
            ..
        })
    ));
}

#[test]
fn an_error_payload_mid_stream_stops_it_with_the_partial_kept() {
    let err = json!({"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}});
    let stream = gemini_sse(&[chunk(json!([{"text": "Partial"}]), None), err.clone()]);
    let mut fold = Fold::new();
    let items: Vec<_> = fold
        .push(&stream)
        .map(|e| e.map(Event::into_owned))
        .collect();
    let e = items.last().unwrap().clone().unwrap_err();
    let ErrorKind::Provider(p) = e.kind() else {
        panic!("{e:?}")
    };
    assert_eq!(p.message, "The model is overloaded.");
    assert_eq!(p.kind.as_deref(), Some("UNAVAILABLE"));
    assert_eq!(p.code.as_deref(), Some("503"));
    assert_eq!(e.event_index(), 1);
    let partial = fold.finish().unwrap_err().into_partial().unwrap();
    assert_eq!(partial.text(), "Partial");

    // As the first payload (detection sees an error), and with the format
    // forced.
    for fold in [Fold::new(), Fold::new().with_format(Format::Gemini)] {
        let bytes = gemini_sse(std::slice::from_ref(&err));
        let out = fold_using(&bytes, &[bytes.len()], fold);
        let (kind, ..) = out.error.unwrap();
        assert!(kind.contains("UNAVAILABLE"), "{kind}");
    }
}

#[test]
fn a_stream_cut_mid_event_is_truncated_with_the_partial_kept() {
    let stream = gemini_sse(&[
        chunk(json!([{"text": "Hello"}]), None),
        chunk(json!([{"text": " world"}]), Some("STOP")),
    ]);
    let cut = &stream[..stream.len() - 30];
    let out = fold_every_way(cut, Limits::default());
    assert!(matches!(
        out.events.last(),
        Some(Event::End {
            verdict: Verdict::TruncatedInsideEvent,
            ..
        })
    ));
    let (kind, ..) = out.error.clone().unwrap();
    assert!(kind.contains("Truncated { inside_event: true }"), "{kind}");
    assert_eq!(out.done.text(), "Hello");
    events_agree_with_final("cut mid-event", &out);
}

#[test]
fn a_stream_without_finish_reason_is_truncated() {
    let stream = gemini_sse(&[chunk(json!([{"text": "Hello"}]), None)]);
    let out = fold_every_way(&stream, Limits::default());
    let (kind, ..) = out.error.clone().unwrap();
    assert!(kind.contains("Truncated { inside_event: false }"), "{kind}");
    assert_eq!(out.done.text(), "Hello");
    events_agree_with_final("no finish reason", &out);
}

#[test]
fn a_stream_cut_inside_a_streamed_call_keeps_the_arguments_so_far() {
    let stream = gemini_sse(&[
        chunk(
            json!([{"functionCall": {"name": "f", "willContinue": true}}]),
            None,
        ),
        chunk(
            json!([{"functionCall": {"partialArgs": [
                {"jsonPath": "$.list[0].a", "numberValue": 1},
                {"jsonPath": "$.list[0].b", "stringValue": "unfini", "willContinue": true}
            ], "willContinue": true}}]),
            None,
        ),
    ]);
    let out = fold_every_way(&stream, Limits::default());
    let (kind, ..) = out.error.clone().unwrap();
    assert!(kind.contains("Truncated"), "{kind}");
    let arguments: String = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ToolCallArgumentsDelta {
                arguments_delta, ..
            } => Some(arguments_delta.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(arguments, r#"{"list":[{"a":1,"b":"unfini"#);
    let call = &final_json(&out)["candidates"][0]["content"]["parts"][0]["functionCall"];
    assert_eq!(
        *call,
        json!({"name": "f", "args": {"list": [{"a": 1, "b": "unfini"}]}})
    );
}

#[test]
fn a_done_line_from_a_proxy_ends_the_stream() {
    let mut stream = gemini_sse(&[chunk(json!([{"text": "x"}]), Some("STOP"))]);
    stream.extend_from_slice(b"data: [DONE]\r\n\r\n");
    let out = fold_every_way(&stream, Limits::default());
    assert_eq!(out.error, None);
    assert_eq!(out.done.text(), "x");
    events_agree_with_final("[DONE]", &out);
}

#[test]
fn payloads_of_the_wrong_format_are_clear_errors() {
    let gemini = gemini_sse(&[chunk(json!([{"text": "x"}]), Some("STOP"))]);
    let out = fold_using(
        &gemini,
        &[gemini.len()],
        Fold::new().with_format(Format::OpenAiChat),
    );
    let (kind, offset, index) = out.error.unwrap();
    assert_eq!(
        kind,
        "WrongFormat { expected: OpenAiChat, found: Some(Gemini) }"
    );
    // The first payload's first byte, after `data: `.
    assert_eq!((offset, index), (6, 0));

    let chat = br#"data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"x"}}]}

"#;
    let out = fold_using(chat, &[chat.len()], Fold::new().with_format(Format::Gemini));
    assert_eq!(
        out.error.unwrap().0,
        "WrongFormat { expected: Gemini, found: Some(OpenAiChat) }"
    );

    // A chat chunk inside a detected Gemini stream.
    let mut mixed = gemini_sse(&[chunk(json!([{"text": "x"}]), None)]);
    mixed.extend_from_slice(chat);
    let out = fold_using(&mixed, &[mixed.len()], Fold::new());
    let (kind, _, index) = out.error.unwrap();
    assert_eq!(
        kind,
        "WrongFormat { expected: Gemini, found: Some(OpenAiChat) }"
    );
    assert_eq!(index, 1);
    assert_eq!(out.done.text(), "x");
}

#[test]
fn malformed_payloads_are_errors_with_their_position() {
    let good = gemini_sse(&[chunk(json!([{"text": "ok"}]), None)]);
    let mut stream = good.clone();
    stream.extend_from_slice(
        b"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"a\"}}]}\r\n\r\n",
    );
    let out = fold_every_way(&stream, Limits::default());
    let (kind, offset, index) = out.error.unwrap();
    assert!(kind.starts_with("Json"), "{kind}");
    assert_eq!(index, 1);
    assert!(offset > good.len() as u64 + 40, "{offset}");
    assert_eq!(out.done.text(), "ok");

    let mut stream = good.clone();
    stream.extend_from_slice(
        b"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": 5}]}}]}\r\n\r\n",
    );
    let out = fold_every_way(&stream, Limits::default());
    let (kind, offset, _) = out.error.unwrap();
    assert_eq!(
        kind,
        "Shape { field: \"parts[].text\", expected: \"a string or null\" }"
    );
    let at = good.len() + b"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": ".len();
    assert_eq!(offset, at as u64);
}

#[test]
fn every_candidate_beyond_the_limit_is_refused() {
    let many: Vec<Json> = (0..5)
        .map(|i| json!({"index": i, "content": {"parts": [{"text": "x"}]}}))
        .collect();
    let stream = gemini_sse(&[json!({ "candidates": many })]);
    let out = fold_every_way(&stream, Limits::default().max_choices(3));
    let (kind, ..) = out.error.unwrap();
    assert!(kind.contains("Choices"), "{kind}");
}

#[test]
fn a_large_text_and_a_large_streamed_argument_fold_in_linear_time() {
    // About 2.4 MB of text in 60,000 events, then a 1 MB string argument in
    // 25,000 pieces, fed in 4 KiB reads.
    let word = "streamfold folds Gemini text linearly. ";
    let mut payloads: Vec<Json> = (0..60_000)
        .map(|_| chunk(json!([{ "text": word }]), None))
        .collect();
    payloads.push(chunk(
        json!([{"functionCall": {"name": "write", "willContinue": true}}]),
        None,
    ));
    let piece = "0123456789abcdef0123456789abcdef0123456789";
    for _ in 0..25_000 {
        payloads.push(chunk(
            json!([{"functionCall": {"partialArgs": [{"jsonPath": "$.content", "stringValue": piece, "willContinue": true}], "willContinue": true}}]),
            None,
        ));
    }
    payloads.push(chunk(json!([{"functionCall": {}}]), Some("STOP")));
    let stream = gemini_sse(&payloads);
    let cuts: Vec<usize> = stream.chunks(4096).map(<[u8]>::len).collect();
    let out = fold_using(&stream, &cuts, Fold::new());
    assert_eq!(out.error, None);
    let r = response(&out);
    assert_eq!(r.text().len(), word.len() * 60_000);
    let call = r
        .candidates()
        .next()
        .unwrap()
        .function_calls()
        .next()
        .unwrap();
    assert_eq!(
        call.args()
            .unwrap()
            .get("content")
            .and_then(|v| v.as_str())
            .map(str::len),
        Some(piece.len() * 25_000)
    );
    events_agree_with_final("large", &out);
}

#[test]
fn the_final_object_is_a_gemini_response_that_reads_back_equal() {
    let stream = gemini_sse(&[
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "a"}]}, "index": 0,
               "groundingMetadata": {"webSearchQueries": ["q"]}}],
               "usageMetadata": {"promptTokenCount": 1}, "modelVersion": "m", "responseId": "id1",
               "promptFeedback": {"safetyRatings": []}}),
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "b"}]}, "index": 0,
               "finishReason": "STOP", "citationMetadata": {"citations": []}}],
               "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 2}, "modelVersion": "m2",
               "responseId": "id2", "createTime": "2026-01-01T00:00:00Z"}),
    ]);
    let out = fold_every_way(&stream, Limits::default());
    let Final::Gemini(r) = &out.done else {
        panic!("not Gemini")
    };
    assert_eq!(
        serde_json::to_value(r).unwrap(),
        json!({
            "candidates": [{"content": {"parts": [{"text": "ab"}], "role": "model"}, "index": 0,
                "groundingMetadata": {"webSearchQueries": ["q"]}, "finishReason": "STOP",
                "citationMetadata": {"citations": []}}],
            "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 2},
            "modelVersion": "m", "responseId": "id1", "promptFeedback": {"safetyRatings": []},
            "createTime": "2026-01-01T00:00:00Z"
        })
    );
    let back: Response = serde_json::from_value(serde_json::to_value(r).unwrap()).unwrap();
    assert_eq!(&back, r);
    assert_eq!(r.create_time(), Some("2026-01-01T00:00:00Z"));
    assert_eq!(
        r.usage_metadata()
            .and_then(|u| u.get("candidatesTokenCount"))
            .and_then(|v| v.as_u64()),
        Some(2)
    );
    let c = r.candidates().next().unwrap();
    assert_eq!(
        (c.index(), c.role(), c.finish_reason()),
        (0, Some("model"), Some("STOP"))
    );
    assert!(c.get("groundingMetadata").is_some());
    assert_eq!(out.done.clone().into_gemini().as_ref(), Some(r));
    assert!(out.done.as_chat().is_none());
    // Unknown candidate and top-level fields are reported as they come.
    assert!(out
        .events
        .iter()
        .any(|e| matches!(e, Event::ChoiceExtra { key, .. } if key == "groundingMetadata")));
    assert!(out
        .events
        .iter()
        .any(|e| matches!(e, Event::ChunkExtra { key, .. } if key == "promptFeedback")));
}

// ---------------------------------------------------------------------------
// Random streams against a naive reference merge

/// A naive reference of the corpus README's merge, over whole JSON values:
/// what each payload adds, applied in order.
fn reference_merge(payloads: &[Json]) -> Json {
    #[derive(Default)]
    struct Cand {
        parts: Vec<Json>,
        role: Option<Json>,
        fields: serde_json::Map<String, Json>,
        open: bool,
    }
    let mut cands: BTreeMap<u64, Cand> = BTreeMap::new();
    let mut usage = None;
    let mut top = serde_json::Map::new();
    let plain = |p: &Json| {
        p.as_object()
            .unwrap()
            .keys()
            .all(|k| ["text", "thought", "thoughtSignature"].contains(&k.as_str()))
            && p["text"].is_string()
    };
    for payload in payloads {
        for c in payload["candidates"].as_array().into_iter().flatten() {
            let cand = cands.entry(c["index"].as_u64().unwrap_or(0)).or_default();
            if cand.role.is_none() && c["content"]["role"].is_string() {
                cand.role = Some(c["content"]["role"].clone());
            }
            for p in c["content"]["parts"].as_array().into_iter().flatten() {
                if let Some(fc) = p.get("functionCall") {
                    let continues = cand.open && fc.get("name").is_none();
                    if !continues {
                        let mut part = p.clone();
                        let call = part["functionCall"].as_object_mut().unwrap();
                        call.remove("willContinue");
                        call.remove("partialArgs");
                        cand.parts.push(part);
                    }
                    let call = cand.parts.last_mut().unwrap()["functionCall"]
                        .as_object_mut()
                        .unwrap();
                    for piece in fc["partialArgs"].as_array().into_iter().flatten() {
                        let args = call.entry("args").or_insert(Json::Null);
                        set_path(args, piece);
                    }
                    cand.open = fc["willContinue"] == json!(true);
                    continue;
                }
                cand.open = false;
                let last = cand.parts.last_mut();
                if let Some(last) = last.filter(|l| plain(l) && plain(p)) {
                    let thought = |v: &Json| v["thought"] == json!(true);
                    let signed = |v: &Json| v.get("thoughtSignature").is_some();
                    if thought(last) == thought(p) && !(signed(last) && signed(p)) {
                        let t = format!(
                            "{}{}",
                            last["text"].as_str().unwrap(),
                            p["text"].as_str().unwrap()
                        );
                        last["text"] = json!(t);
                        if signed(p) {
                            last["thoughtSignature"] = p["thoughtSignature"].clone();
                        }
                        continue;
                    }
                }
                cand.parts.push(p.clone());
            }
            for (k, v) in c.as_object().unwrap() {
                if k != "content" && !v.is_null() {
                    cand.fields.insert(k.clone(), v.clone());
                }
            }
        }
        for (k, v) in payload.as_object().unwrap() {
            match k.as_str() {
                "candidates" => {}
                "usageMetadata" => usage = Some(v.clone()),
                "responseId" | "modelVersion" | "createTime" => {
                    top.entry(k.clone()).or_insert_with(|| v.clone());
                }
                _ => {
                    top.insert(k.clone(), v.clone());
                }
            }
        }
    }
    let mut out = serde_json::Map::new();
    let candidates: Vec<Json> = cands
        .into_values()
        .map(|c| {
            let mut m = serde_json::Map::new();
            let mut content = serde_json::Map::new();
            if !c.parts.is_empty() {
                content.insert("parts".into(), Json::Array(c.parts));
            }
            if let Some(r) = c.role {
                content.insert("role".into(), r);
            }
            m.insert("content".into(), Json::Object(content));
            m.extend(c.fields);
            Json::Object(m)
        })
        .collect();
    out.insert("candidates".into(), Json::Array(candidates));
    if let Some(u) = usage {
        out.insert("usageMetadata".into(), u);
    }
    out.extend(top);
    Json::Object(out)
}

/// Sets the piece's value at its path (`$.a['b.c'][0]`), strings appended.
fn set_path(root: &mut Json, piece: &Json) {
    let path = piece["jsonPath"].as_str().unwrap();
    let mut at = root;
    let mut rest = &path[1..];
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("['") {
            let end = r.find("']").unwrap();
            if !at.is_object() {
                *at = json!({});
            }
            at = at
                .as_object_mut()
                .unwrap()
                .entry(&r[..end])
                .or_insert(Json::Null);
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').unwrap();
            let i: usize = r[..end].parse().unwrap();
            if !at.is_array() {
                *at = json!([]);
            }
            let items = at.as_array_mut().unwrap();
            if items.len() <= i {
                items.resize(i + 1, Json::Null);
            }
            at = &mut items[i];
            rest = &r[end + 1..];
        } else {
            let r = rest.strip_prefix('.').unwrap();
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if !at.is_object() {
                *at = json!({});
            }
            at = at
                .as_object_mut()
                .unwrap()
                .entry(&r[..end])
                .or_insert(Json::Null);
            rest = &r[end..];
        }
    }
    if let Some(s) = piece["stringValue"].as_str() {
        match at {
            Json::String(have) => have.push_str(s),
            other => *other = json!(s),
        }
    } else if let Some(v) = piece.get("numberValue").or(piece.get("boolValue")) {
        *at = v.clone();
    } else {
        *at = Json::Null;
    }
}

/// A random non-empty arguments object, and its pieces in document order.
fn random_args(rng: &mut support::Rng, depth: usize) -> (Json, Vec<Json>) {
    fn value(rng: &mut support::Rng, path: String, depth: usize, pieces: &mut Vec<Json>) -> Json {
        match rng.range(0, if depth == 0 { 2 } else { 4 }) {
            0 => {
                let words = ["a", "é\"q", "\\n", "🙂 x", "", "long text "];
                let full: String = (0..rng.range(1, 3))
                    .map(|_| words[rng.range(0, 5)])
                    .collect();
                // In one to three pieces, the last one sometimes an empty "end".
                let cut = rng.range(0, full.chars().count());
                let head: String = full.chars().take(cut).collect();
                let tail: String = full.chars().skip(cut).collect();
                if !head.is_empty() {
                    pieces
                        .push(json!({"jsonPath": path, "stringValue": head, "willContinue": true}));
                }
                if rng.range(0, 1) == 0 {
                    pieces
                        .push(json!({"jsonPath": path, "stringValue": tail, "willContinue": true}));
                    pieces.push(json!({"jsonPath": path, "stringValue": ""}));
                } else {
                    pieces.push(json!({"jsonPath": path, "stringValue": tail}));
                }
                json!(full)
            }
            1 => {
                let v = match rng.range(0, 2) {
                    0 => json!(rng.range(0, 1000)),
                    1 => json!(-2.5),
                    _ => json!(1e21),
                };
                pieces.push(json!({"jsonPath": path, "numberValue": v}));
                v
            }
            2 => {
                if rng.range(0, 1) == 0 {
                    let b = rng.range(0, 1) == 0;
                    pieces.push(json!({"jsonPath": path, "boolValue": b}));
                    json!(b)
                } else {
                    pieces.push(json!({"jsonPath": path, "nullValue": "NULL_VALUE"}));
                    Json::Null
                }
            }
            3 => {
                let n = rng.range(1, 3);
                Json::Array(
                    (0..n)
                        .map(|i| value(rng, format!("{path}[{i}]"), depth - 1, pieces))
                        .collect(),
                )
            }
            _ => object(rng, path, depth - 1, pieces),
        }
    }
    fn object(rng: &mut support::Rng, path: String, depth: usize, pieces: &mut Vec<Json>) -> Json {
        let keys = ["id", "name", "a.b", "x_1", "ü"];
        let mut m = serde_json::Map::new();
        let n = rng.range(1, 3);
        let start = rng.range(0, keys.len() - 1);
        for k in (0..n).map(|i| keys[(start + i) % keys.len()]) {
            let sub = if k.contains('.') {
                format!("{path}['{k}']")
            } else {
                format!("{path}.{k}")
            };
            m.insert(k.to_string(), value(rng, sub, depth, pieces));
        }
        Json::Object(m)
    }
    let mut pieces = Vec::new();
    let v = object(rng, "$".to_string(), depth, &mut pieces);
    (v, pieces)
}

/// A random stream: candidates 0 (and sometimes 1) with text, thought and
/// signed parts, whole and streamed calls, other parts, split into chunks.
fn random_stream(rng: &mut support::Rng) -> Vec<Json> {
    let n_cands = rng.range(1, 2) as u64;
    let mut payloads = Vec::new();
    let mut per_cand: Vec<Vec<Json>> = vec![Vec::new(); n_cands as usize];
    for parts in per_cand.iter_mut() {
        for _ in 0..rng.range(1, 8) {
            match rng.range(0, 5) {
                0 | 1 => {
                    let text = ["Hi", " there", "", "ü🙂", "\"q\""][rng.range(0, 4)];
                    let mut p = json!({ "text": text });
                    if rng.range(0, 3) == 0 {
                        p["thought"] = json!(true);
                    }
                    if rng.range(0, 3) == 0 {
                        p["thoughtSignature"] = json!(format!("sig{}", rng.range(0, 9)));
                    }
                    parts.push(p);
                }
                2 => {
                    let (args, _) = random_args(rng, 2);
                    parts.push(json!({"functionCall": {"name": "whole", "args": args}}));
                }
                3 => {
                    let (_, pieces) = random_args(rng, 2);
                    let mut first =
                        json!({"functionCall": {"name": "streamed", "willContinue": true}});
                    if rng.range(0, 1) == 0 {
                        first["thoughtSignature"] = json!("s");
                    }
                    parts.push(first);
                    let mut i = 0;
                    while i < pieces.len() {
                        let n = rng.range(1, 3).min(pieces.len() - i);
                        let these = &pieces[i..i + n];
                        parts.push(
                            json!({"functionCall": {"partialArgs": these, "willContinue": true}}),
                        );
                        if rng.range(0, 4) == 0 {
                            parts.push(json!({"functionCall": {"willContinue": true}}));
                        }
                        i += n;
                    }
                    parts.push(json!({"functionCall": {}}));
                }
                _ => parts
                    .push(json!({"executableCode": {"language": "PYTHON", "code": "print(1)"}})),
            }
        }
    }
    // Interleave the candidates' parts over payloads of 1 to 3 parts.
    let mut cursors = vec![0usize; n_cands as usize];
    let mut usage = 0;
    while cursors.iter().zip(&per_cand).any(|(c, p)| *c < p.len()) {
        let mut cands = Vec::new();
        for (i, parts) in per_cand.iter().enumerate() {
            if cursors[i] >= parts.len() || rng.range(0, 3) == 0 {
                continue;
            }
            let n = rng.range(1, 3).min(parts.len() - cursors[i]);
            let these = &parts[cursors[i]..cursors[i] + n];
            let mut cand = json!({"content": {"role": "model", "parts": these}});
            if n_cands > 1 || rng.range(0, 1) == 0 {
                cand["index"] = json!(i);
            }
            cursors[i] += n;
            if cursors[i] == parts.len() {
                cand["finishReason"] = json!("STOP");
            }
            cands.push(cand);
        }
        usage += 1;
        payloads.push(json!({"candidates": cands, "usageMetadata": {"totalTokenCount": usage}, "responseId": "r"}));
    }
    payloads
}

#[test]
fn random_streams_match_a_naive_reference_merge() {
    let mut rng = support::Rng::new(0x6e31);
    let (mut pieces, mut two, mut parts_in, mut parts_out) = (0, 0, 0, 0);
    for case in 0..300 {
        let payloads = random_stream(&mut rng);
        for p in &payloads {
            let cands = p["candidates"].as_array().unwrap();
            two += cands.iter().any(|c| c["index"] == json!(1)) as usize;
            for c in cands {
                for part in c["content"]["parts"].as_array().unwrap() {
                    parts_in += 1;
                    pieces += part["functionCall"]["partialArgs"]
                        .as_array()
                        .map_or(0, Vec::len);
                }
            }
        }
        let bytes = gemini_sse(&payloads);
        let name = format!("random case {case}");
        let whole = fold_using(&bytes, &[bytes.len()], Fold::new());
        assert_eq!(whole.error, None, "{name}");
        let want = reference_merge(&payloads);
        let diffs = diff_by_value(&final_json(&whole), &want);
        assert!(
            diffs.is_empty(),
            "{name}: ours vs the reference:\n{}\n{}",
            diffs.join("\n"),
            String::from_utf8_lossy(&bytes)
        );
        events_agree_with_final(&name, &whole);
        parts_out += response(&whole)
            .candidates()
            .map(|c| c.parts().count())
            .sum::<usize>();
        if case % 10 == 0 {
            let again = fold_every_way(&bytes, Limits::default());
            assert!(again == whole, "{name}: chunkings differ");
        } else {
            let cuts: Vec<usize> = bytes.chunks(7).map(<[u8]>::len).collect();
            assert!(fold_using(&bytes, &cuts, Fold::new()) == whole, "{name}");
        }
    }
    // The cases cover what they are for: streamed pieces, two candidates,
    // parts merged.
    assert!(
        pieces > 1000 && two > 100,
        "{pieces} pieces, {two} payloads of two"
    );
    assert!(
        parts_out * 3 < parts_in * 2,
        "{parts_in} parts in, {parts_out} merged"
    );
}

#[test]
fn corrupted_corpus_bytes_give_errors_or_warnings_never_a_panic() {
    let dir = support::data_dir().join("corpus/gemini-sse");
    let mut rng = support::Rng::new(0x9e);
    for sse in sse_files(&dir) {
        let original = std::fs::read(&sse).unwrap();
        for _ in 0..150 {
            let mut bytes = original.clone();
            for _ in 0..rng.range(1, 4) {
                let at = rng.range(0, bytes.len() - 1);
                match rng.range(0, 2) {
                    0 => bytes[at] = b"{}[]\":,\\ntruefalsenull0-$.[]"[rng.range(0, 27)],
                    1 => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, b"\"{[,"[rng.range(0, 3)]),
                }
            }
            let whole = fold_using(&bytes, &[bytes.len()], Fold::new());
            let cuts: Vec<usize> = bytes.chunks(7).map(<[u8]>::len).collect();
            let cut = fold_using(&bytes, &cuts, Fold::new());
            assert!(cut == whole, "{}: chunkings differ", sse.display());
        }
    }
}
