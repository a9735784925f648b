//! Content read as partial JSON (`Fold::with_partial_json_content`), for
//! structured outputs: in every format, a JSON content streamed in small
//! pieces gives `content.partial` events whose ops rebuild exactly what
//! serde_json parses from the final text, the same in any chunking; the
//! option adds only those events; content that is not JSON stops the ops
//! with an `invalid_content` warning at its offset, the text kept.

mod support;

use serde_json::{json, Value as Json};
use streamfold::partial_json::OpTarget;
use streamfold::{Event, Fold, Format, Value, Warning};
use support::{data_root, fold_using, sse_files, Outcome};

/// A structured output, with escapes, nesting, every kind of value and a
/// number at the end of an object.
const CONTENT: &str = r#"{"title": "Dune \"I\" é","tags": ["a", "b\n"],"n": null,"ok": true,"pages": [412, -1.5e3],"year":1965}"#;

/// `text` in pieces of `n` characters.
fn pieces(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(n).map(|c| c.iter().collect()).collect()
}

fn sse(events: &[(Option<&str>, Json)]) -> Vec<u8> {
    let mut out = String::new();
    for (name, data) in events {
        if let Some(n) = name {
            out.push_str(&format!("event: {n}\n"));
        }
        out.push_str(&format!("data: {data}\n\n"));
    }
    out.into_bytes()
}

/// A stream of `format` whose content is `text`, sent in small pieces.
fn stream(format: Format, text: &str) -> Vec<u8> {
    let ps = pieces(text, 5);
    match format {
        Format::OpenAiChat => {
            let mut ev: Vec<_> = ps
                .iter()
                .map(|p| (None, json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                    "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": null}]})))
                .collect();
            ev.push((
                None,
                json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
            ));
            let mut b = sse(&ev);
            b.extend_from_slice(b"data: [DONE]\n\n");
            b
        }
        Format::OpenAiCompletions => {
            let mut ev: Vec<_> = ps
                .iter()
                .map(|p| {
                    (
                        None,
                        json!({"id": "c", "object": "text_completion", "created": 1, "model": "m",
                    "choices": [{"index": 0, "text": p, "logprobs": null, "finish_reason": null}]}),
                    )
                })
                .collect();
            ev.push((
                None,
                json!({"id": "c", "object": "text_completion", "created": 1, "model": "m",
                "choices": [{"index": 0, "text": "", "logprobs": null, "finish_reason": "stop"}]}),
            ));
            let mut b = sse(&ev);
            b.extend_from_slice(b"data: [DONE]\n\n");
            b
        }
        Format::OpenAiResponses => {
            let response = |status: &str, output: Json| {
                json!({"id": "r", "object": "response",
                "status": status, "model": "m", "output": output})
            };
            let item = |status: &str, text: &str| {
                json!({"type": "message", "id": "msg", "status": status,
                "role": "assistant", "content": [{"type": "output_text", "text": text, "annotations": []}]})
            };
            let mut ev = vec![
                (
                    Some("response.created"),
                    json!({"type": "response.created", "response": response("in_progress", json!([]))}),
                ),
                (
                    Some("response.output_item.added"),
                    json!({"type": "response.output_item.added", "output_index": 0,
                    "item": {"type": "message", "id": "msg", "status": "in_progress", "role": "assistant", "content": []}}),
                ),
                (
                    Some("response.content_part.added"),
                    json!({"type": "response.content_part.added", "output_index": 0,
                    "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}),
                ),
            ];
            for p in &ps {
                ev.push((
                    Some("response.output_text.delta"),
                    json!({"type": "response.output_text.delta",
                    "output_index": 0, "content_index": 0, "delta": p}),
                ));
            }
            ev.push((
                Some("response.output_text.done"),
                json!({"type": "response.output_text.done",
                "output_index": 0, "content_index": 0, "text": text}),
            ));
            ev.push((
                Some("response.output_item.done"),
                json!({"type": "response.output_item.done",
                "output_index": 0, "item": item("completed", text)}),
            ));
            ev.push((
                Some("response.completed"),
                json!({"type": "response.completed",
                "response": response("completed", json!([item("completed", text)]))}),
            ));
            sse(&ev)
        }
        Format::AnthropicMessages => {
            let mut ev = vec![
                (
                    Some("message_start"),
                    json!({"type": "message_start", "message": {"id": "msg", "type": "message",
                    "role": "assistant", "model": "m", "content": [], "stop_reason": null, "stop_sequence": null,
                    "usage": {"input_tokens": 1, "output_tokens": 1}}}),
                ),
                (
                    Some("content_block_start"),
                    json!({"type": "content_block_start", "index": 0,
                    "content_block": {"type": "text", "text": ""}}),
                ),
            ];
            for p in &ps {
                ev.push((
                    Some("content_block_delta"),
                    json!({"type": "content_block_delta", "index": 0,
                    "delta": {"type": "text_delta", "text": p}}),
                ));
            }
            ev.push((
                Some("content_block_stop"),
                json!({"type": "content_block_stop", "index": 0}),
            ));
            ev.push((Some("message_delta"), json!({"type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 9}})));
            ev.push((Some("message_stop"), json!({"type": "message_stop"})));
            sse(&ev)
        }
        Format::Gemini => {
            let n = ps.len();
            let ev: Vec<_> = ps
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let mut c =
                        json!({"content": {"parts": [{"text": p}], "role": "model"}, "index": 0});
                    if i + 1 == n {
                        c["finishReason"] = json!("STOP");
                    }
                    (None, json!({"candidates": [c], "modelVersion": "g"}))
                })
                .collect();
            sse(&ev)
        }
        Format::Ollama => {
            let mut out = String::new();
            for p in &ps {
                out.push_str(
                    &json!({"model": "m", "created_at": "t",
                    "message": {"role": "assistant", "content": p}, "done": false})
                    .to_string(),
                );
                out.push('\n');
            }
            out.push_str(&json!({"model": "m", "created_at": "t", "message": {"role": "assistant", "content": ""},
                "done": true, "done_reason": "stop"}).to_string());
            out.push('\n');
            out.into_bytes()
        }
        _ => unreachable!("a format without a stream here"),
    }
}

fn sized(bytes: &[u8], size: usize) -> Vec<usize> {
    bytes.chunks(size).map(<[u8]>::len).collect()
}

fn with_content() -> Fold {
    Fold::new().with_partial_json_content()
}

/// Folded whole, then at 1 and 7 bytes: the same outcome.
fn every_way(bytes: &[u8]) -> Outcome {
    let whole = fold_using(bytes, &[bytes.len()], with_content());
    for size in [1, 7] {
        let cut = fold_using(bytes, &sized(bytes, size), with_content());
        assert!(cut == whole, "{size}-byte pieces differ");
    }
    whole
}

/// The value all `content.partial` ops rebuild (choice 0), checking that
/// each event comes right after a `content.delta` of its choice, or right
/// before its `content.done`.
fn rebuilt(events: &[Event<'static>]) -> (Value, usize) {
    let mut value = Value::Null;
    let mut count = 0;
    for (i, e) in events.iter().enumerate() {
        if let Event::ContentPartial { choice: 0, ops, .. } = e {
            count += 1;
            let before = i.checked_sub(1).map(|j| &events[j]);
            let after = events.get(i + 1);
            assert!(
                matches!(before, Some(Event::ContentDelta { choice: 0, .. }))
                    || matches!(after, Some(Event::ContentDone { choice: 0, .. })),
                "a content.partial event out of place at {i}: {events:#?}"
            );
            value.apply_all(ops).unwrap();
        }
    }
    (value, count)
}

fn parsed(text: &str) -> Value {
    text.parse().unwrap()
}

#[test]
fn json_content_of_every_format_is_rebuilt_by_its_ops_in_any_chunking() {
    for format in Format::ALL {
        let bytes = stream(format, CONTENT);
        let out = every_way(&bytes);
        assert_eq!(out.error, None, "{format:?}");
        assert_eq!(out.done.text(), CONTENT, "{format:?}");
        let (value, count) = rebuilt(&out.events);
        assert!(count > 3, "{format:?}: {count} partial events");
        assert_eq!(value, parsed(CONTENT), "{format:?}");
        let mut fold = with_content();
        fold.push(&bytes).for_each(drop);
        fold.end().for_each(drop);
        assert_eq!(fold.content_value(0), Some(parsed(CONTENT)), "{format:?}");
        assert!(
            !out.events
                .iter()
                .any(|e| matches!(e, Event::Warning { .. })),
            "{format:?}: {:#?}",
            out.events
        );
    }
}

#[test]
fn the_value_on_demand_grows_with_the_content() {
    let bytes = stream(Format::OpenAiChat, CONTENT);
    let mut fold = with_content();
    let mut titles = Vec::new();
    for piece in bytes.chunks(40) {
        fold.push(piece).for_each(drop);
        if let Some(t) = fold
            .content_value(0)
            .and_then(|v| v.get("title").and_then(Value::as_str).map(str::to_string))
        {
            titles.push(t);
        }
    }
    assert!(titles.len() > 2, "{titles:?}");
    for w in titles.windows(2) {
        assert!(w[1].starts_with(&w[0]), "{titles:?}");
    }
    assert_eq!(titles.last().unwrap(), "Dune \"I\" é");
}

#[test]
fn content_that_is_not_json_stops_the_ops_with_a_warning_and_keeps_the_text() {
    let text = "[10, 20, 30}]";
    let bytes = stream(Format::OpenAiChat, text);
    let out = every_way(&bytes);
    assert_eq!(out.error, None);
    assert_eq!(out.done.text(), text, "the text is kept");
    let warnings: Vec<_> = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Warning {
                warning:
                    Warning::InvalidContent {
                        choice,
                        content_offset,
                    },
                offset,
                ..
            } => Some((*choice, *content_offset, *offset)),
            _ => None,
        })
        .collect();
    let bad = text.find('}').unwrap() as u64;
    assert_eq!(warnings.len(), 1, "{:#?}", out.events);
    let (choice, content_offset, offset) = warnings[0];
    assert_eq!((choice, content_offset), (0, bad));
    // The piece holding it came unescaped: its byte's place in the stream.
    assert_eq!(bytes[offset as usize], b'}', "offset {offset}");
    let (value, _) = rebuilt(&out.events);
    assert_eq!(value, parsed("[10, 20]"), "the ops up to the error");
    let last_warning = out
        .events
        .iter()
        .rposition(|e| matches!(e, Event::Warning { .. }))
        .unwrap();
    assert!(
        !out.events[last_warning..]
            .iter()
            .any(|e| matches!(e, Event::ContentPartial { .. })),
        "no ops after the error"
    );
}

/// Without the option, no `content.partial` event; with it, the events of
/// every corpus stream are the same but for `content.partial` events and
/// `invalid_content` warnings (most content is prose, not JSON).
#[test]
fn the_option_adds_only_content_partial_events_and_is_off_by_default() {
    let root = data_root().join("corpus");
    let mut streams = 0;
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for sse in sse_files(&dir) {
            let bytes = std::fs::read(&sse).unwrap();
            let plain = fold_using(&bytes, &[bytes.len()], Fold::new());
            assert!(
                !plain
                    .events
                    .iter()
                    .any(|e| matches!(e, Event::ContentPartial { .. })),
                "{}",
                sse.display()
            );
            let with = fold_using(&bytes, &[bytes.len()], with_content());
            let kept: Vec<_> = with
                .events
                .iter()
                .filter(|e| {
                    !matches!(
                        e,
                        Event::ContentPartial { .. }
                            | Event::Warning {
                                warning: Warning::InvalidContent { .. },
                                ..
                            }
                    )
                })
                .cloned()
                .collect();
            assert!(kept == plain.events, "{}", sse.display());
            assert!(
                with.error == plain.error && with.done == plain.done,
                "{}",
                sse.display()
            );
            streams += 1;
        }
    }
    assert!(streams > 10, "{streams} streams");
}
