//! Real recorded streams: the final completion and the events must agree
//! with what the official OpenAI Python SDK produced from the same bytes
//! (`NAME.expected.json`, `NAME.events.jsonl`), on the fields that matter.
//!
//! The one difference allowed by design: the SDK concatenates a role that a
//! server repeats on every delta (`"assistantassistant…"`); streamfold keeps
//! `"assistant"`.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value as Json};
use streamfold::{Event, Limits, Verdict};
use support::json::{json_diff, strip_nulls};
use support::{data_root, fold, fold_with, sse_files, Outcome};

/// The message fields the SDK declares; any other is an extension field.
const SDK_MESSAGE_FIELDS: [&str; 8] = [
    "annotations",
    "audio",
    "content",
    "function_call",
    "parsed",
    "refusal",
    "role",
    "tool_calls",
];

/// `""` content counts as no content.
fn text(v: &Json) -> Json {
    match v {
        Json::String(s) if s.is_empty() => Json::Null,
        other => other.clone(),
    }
}

/// The fields that matter, from a completion in the SDK's JSON shape.
fn projection(c: &Json, ours: bool) -> Json {
    let mut choices = BTreeMap::new();
    for ch in c["choices"].as_array().unwrap() {
        let m = &ch["message"];
        let tool_calls: Vec<Json> = m["tool_calls"]
            .as_array()
            .map(|calls| {
                calls
                    .iter()
                    .map(|t| {
                        json!({
                            "id": t["id"], "type": t["type"],
                            "name": t["function"]["name"],
                            "arguments": t["function"]["arguments"],
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let extensions: BTreeMap<String, Json> = m
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, v)| !SDK_MESSAGE_FIELDS.contains(&k.as_str()) && !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let _ = ours;
        choices.insert(
            ch["index"].as_u64().unwrap(),
            json!({
                "finish_reason": ch["finish_reason"],
                "logprobs": strip_nulls(&ch["logprobs"]),
                "role": m["role"],
                "content": text(&m["content"]),
                "refusal": text(&m["refusal"]),
                "function_call": strip_nulls(&m["function_call"]),
                "tool_calls": tool_calls,
                "extensions": extensions,
            }),
        );
    }
    json!({
        "id": c["id"], "model": c["model"], "created": c["created"],
        "service_tier": c["service_tier"],
        "system_fingerprint": c["system_fingerprint"],
        "usage": strip_nulls(&c["usage"]),
        "choices": choices.into_iter().map(|(i, v)| (i.to_string(), v)).collect::<serde_json::Map<_, _>>(),
    })
}

/// Accepts the SDK's concatenated role: `expected` is `ours` repeated.
fn allow_repeated_role(ours: &mut Json, expected: &Json) {
    let (Some(choices), Some(exp)) = (
        ours["choices"].as_object_mut(),
        expected["choices"].as_object(),
    ) else {
        return;
    };
    for (i, ch) in choices.iter_mut() {
        let (Some(r), Some(er)) = (
            ch["role"].as_str(),
            exp.get(i).and_then(|e| e["role"].as_str()),
        ) else {
            continue;
        };
        if !r.is_empty()
            && er.len() > r.len()
            && er.len() % r.len() == 0
            && er == r.repeat(er.len() / r.len())
        {
            ch["role"] = json!(er);
        }
    }
}

/// Per kind, what the events add up to.
#[derive(Debug, PartialEq, Default)]
struct Summary {
    content: String,
    content_done: Vec<String>,
    refusal: String,
    refusal_done: Vec<String>,
    /// Tool index → concatenated arguments.
    arguments: BTreeMap<u64, String>,
    /// (index, name, arguments) of each done event, sorted.
    arguments_done: Vec<(u64, String, String)>,
    logprobs_content: Vec<Json>,
    logprobs_content_done: Vec<Json>,
}

fn sdk_summary(events_jsonl: &str) -> Summary {
    let mut s = Summary::default();
    for line in events_jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let e: Json = serde_json::from_str(line).unwrap();
        match e["type"].as_str().unwrap() {
            "content.delta" => s.content.push_str(e["delta"].as_str().unwrap()),
            "content.done" => s
                .content_done
                .push(e["content"].as_str().unwrap().to_string()),
            "refusal.delta" => s.refusal.push_str(e["delta"].as_str().unwrap()),
            "refusal.done" => s
                .refusal_done
                .push(e["refusal"].as_str().unwrap().to_string()),
            "tool_calls.function.arguments.delta" => s
                .arguments
                .entry(e["index"].as_u64().unwrap())
                .or_default()
                .push_str(e["arguments_delta"].as_str().unwrap()),
            "tool_calls.function.arguments.done" => s.arguments_done.push((
                e["index"].as_u64().unwrap(),
                e["name"].as_str().unwrap_or("").to_string(),
                e["arguments"].as_str().unwrap().to_string(),
            )),
            "logprobs.content.delta" => s
                .logprobs_content
                .extend(e["content"].as_array().unwrap().iter().map(strip_nulls)),
            "logprobs.content.done" => s.logprobs_content_done.push(strip_nulls(&e["content"])),
            other => panic!("unexpected SDK event type {other}"),
        }
    }
    s.arguments.retain(|_, v| !v.is_empty());
    s.arguments_done.sort();
    s
}

fn our_summary(events: &[Event<'static>]) -> Summary {
    let mut s = Summary::default();
    // The SDK emits one `.done` per kind; streamfold emits another when more
    // arrives after it (the last carries the final value, checked apart):
    // compare the first.
    let mut content_done = BTreeMap::new();
    let mut refusal_done = BTreeMap::new();
    let mut args_done = BTreeMap::new();
    let mut lp_done = BTreeMap::new();
    for e in events {
        match e {
            Event::ContentDelta { delta, .. } => s.content.push_str(delta),
            Event::ContentDone {
                choice, content, ..
            } => {
                content_done
                    .entry(*choice)
                    .or_insert_with(|| content.to_string());
            }
            Event::RefusalDelta { delta, .. } => s.refusal.push_str(delta),
            Event::RefusalDone {
                choice, refusal, ..
            } => {
                refusal_done
                    .entry(*choice)
                    .or_insert_with(|| refusal.to_string());
            }
            Event::ToolCallArgumentsDelta {
                index,
                arguments_delta,
                ..
            } => s
                .arguments
                .entry(*index as u64)
                .or_default()
                .push_str(arguments_delta),
            Event::ToolCallArgumentsDone {
                choice,
                index,
                name,
                arguments,
                ..
            } => {
                args_done
                    .entry((*choice, *index))
                    .or_insert_with(|| (*index as u64, name.to_string(), arguments.to_string()));
            }
            Event::LogprobsContentDelta { content, .. } => {
                let v: Json = serde_json::from_str(content.as_str()).unwrap();
                s.logprobs_content
                    .extend(v.as_array().unwrap().iter().map(strip_nulls));
            }
            Event::LogprobsContentDone {
                choice, content, ..
            } => {
                let v: Json = serde_json::from_str(content.as_str()).unwrap();
                lp_done.entry(*choice).or_insert_with(|| strip_nulls(&v));
            }
            _ => {}
        }
    }
    s.content_done = content_done.into_values().collect();
    s.refusal_done = refusal_done.into_values().collect();
    s.arguments_done = args_done.into_values().collect();
    s.arguments_done.sort();
    s.logprobs_content_done = lp_done.into_values().collect();
    s
}

/// The `.done` events of each kind, their runs concatenated, carry the
/// final value.
fn done_runs_make_the_final_value(name: &str, out: &Outcome) {
    for ch in &out.completion.choices {
        let mut content = None::<String>;
        let mut args: BTreeMap<u32, String> = BTreeMap::new();
        for e in &out.events {
            match e {
                Event::ContentDone {
                    choice, content: c, ..
                } if *choice == ch.index => content.get_or_insert_default().push_str(c),
                Event::ToolCallArgumentsDone {
                    choice,
                    index,
                    arguments,
                    ..
                } if *choice == ch.index => {
                    args.entry(*index).or_default().push_str(arguments);
                }
                _ => {}
            }
        }
        assert_eq!(content, ch.message.content, "{name}: content.done runs");
        // Tool calls are listed in index order; the events name the indices.
        let finals: Vec<String> = ch
            .message
            .tool_calls
            .iter()
            .map(|t| t.function.arguments.clone())
            .collect();
        let ours: Vec<String> = args.into_values().collect();
        assert_eq!(ours, finals, "{name}: arguments.done runs per call");
    }
}

/// Checks one stream against the SDK's outputs; returns its outcome.
fn check_stream(sse: &Path, oracle: &str) -> Outcome {
    let name = sse.file_stem().unwrap().to_string_lossy().to_string();
    let bytes = std::fs::read(sse).unwrap();
    let out = fold(&bytes);
    assert_eq!(out.error, None, "{name}: the stream folds without error");
    assert!(
        out.events.iter().any(|e| matches!(
            e,
            Event::End {
                verdict: Verdict::Complete,
                ..
            }
        )),
        "{name}: ends complete"
    );

    let expected: Json =
        serde_json::from_slice(&std::fs::read(sse.with_extension(oracle)).unwrap()).unwrap();
    let ours_json = serde_json::to_value(&out.completion).unwrap();
    assert_eq!(ours_json["object"], "chat.completion");
    let want = projection(&expected, false);
    let mut got = projection(&ours_json, true);
    allow_repeated_role(&mut got, &want);
    let diffs = json_diff(&got, &want, "$");
    assert!(
        diffs.is_empty(),
        "{name}: final completion differs from the SDK's (ours vs SDK):\n{}",
        diffs.join("\n")
    );

    let events = std::fs::read_to_string(sse.with_extension("events.jsonl")).unwrap();
    let (ours, sdk) = (our_summary(&out.events), sdk_summary(&events));
    let show = |s: &Summary| {
        let t = format!("{s:?}");
        t.chars().take(3000).collect::<String>()
    };
    assert!(
        ours == sdk,
        "{name}: events differ from the SDK's:\n{}\nvs\n{}",
        show(&ours),
        show(&sdk)
    );
    done_runs_make_the_final_value(&name, &out);

    // Per choice, the deltas concatenated equal the final text.
    for ch in &out.completion.choices {
        let content: String = out
            .events
            .iter()
            .filter_map(|e| match e {
                Event::ContentDelta { choice, delta, .. } if *choice == ch.index => Some(&**delta),
                _ => None,
            })
            .collect();
        assert_eq!(
            Some(content).filter(|c| !c.is_empty()),
            ch.message.content,
            "{name}"
        );
    }

    // The same at chunk sizes 1 and 7.
    for size in [1, 7] {
        let cuts: Vec<usize> = bytes.chunks(size).map(<[u8]>::len).collect();
        let other = fold_with(&bytes, &cuts, Limits::default());
        assert!(
            other == out,
            "{name}: fed {size} bytes at a time, the outcome differs"
        );
    }
    out
}

#[test]
fn every_recorded_stream_matches_the_sdk() {
    let dir = data_root().join("corpus/openai-chat");
    let all = sse_files(&dir);
    assert!(!all.is_empty(), "no streams in {}", dir.display());
    for sse in &all {
        check_stream(sse, "expected.json");
    }
    eprintln!("{} streams checked in {}", all.len(), dir.display());
}

#[test]
fn streams_the_sdk_refuses_to_finish_fold_without_error() {
    let dir = data_root().join("corpus/openai-chat-sdk-rejects");
    let all = sse_files(&dir);
    assert!(!all.is_empty(), "no streams in {}", dir.display());
    for sse in &all {
        let out = check_stream(sse, "snapshot.json");
        assert!(out
            .completion
            .choices
            .iter()
            .any(|c| c.finish_reason.as_deref() == Some("length")));
    }
}
