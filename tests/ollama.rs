//! Ollama's native streams (`/api/chat`, `/api/generate`): NDJSON, one
//! object a line, the last with `"done": true`.
//!
//! No recorded corpus exists for them: the streams are hand-made in the
//! shapes Ollama documents (`tests/data/formats/README.md` names each):
//! `docs/api.md` (streamed chat and generate objects, the final object's
//! counts, durations, `done_reason` and `context`, streaming with tools),
//! `docs/capabilities/thinking.mdx` (`message.thinking` / `thinking`), the
//! "Streaming responses with tool calling" post and `api/types.go` (tool
//! calls with `id` and `function.index`, top-level `logprobs`). Every
//! expected value below is derived by hand from the input, never from our
//! own output.

mod support;

use serde_json::{json, Value as Json};
use streamfold::ollama::Response;
use streamfold::{ErrorKind, Fold, Format, Limits};
use support::json::diff_by_value;
use support::{chunkings, data_dir, fold_async_using, fold_every_way, fold_using, Outcome};

fn data(name: &str) -> Vec<u8> {
    let path = data_dir().join("formats").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Folds `bytes` whole, 1 byte at a time and at random chunkings, detected
/// and forced to the format, and through the async adapter: all must agree.
fn fold_all_ways(bytes: &[u8]) -> Outcome {
    let whole = fold_every_way(bytes, Limits::default());
    for (name, cuts) in chunkings(bytes.len(), 11) {
        let forced = fold_using(bytes, &cuts, Fold::new().with_format(Format::Ollama));
        assert!(forced == whole, "forced, chunking {name} differs");
        let detected = fold_async_using(bytes, &cuts, Fold::new());
        assert!(detected == whole, "async, chunking {name} differs");
    }
    whole
}

fn response(out: &Outcome) -> &Response {
    out.done
        .as_ollama()
        .unwrap_or_else(|| panic!("not an Ollama response: {:?}", out.done))
}

fn assert_final(out: &Outcome, expected: Json) {
    let ours = serde_json::to_value(&out.done).unwrap();
    let diff = diff_by_value(&ours, &expected);
    assert!(diff.is_empty(), "{diff:#?}\nours: {ours:#}");
}

fn joined(out: &Outcome, kind: &str, field: &str) -> String {
    out.events_json()
        .iter()
        .filter(|e| e["type"] == kind)
        .map(|e| e[field].as_str().unwrap().to_string())
        .collect()
}

fn events_of(out: &Outcome, kind: &str) -> Vec<Json> {
    out.events_json()
        .into_iter()
        .filter(|e| e["type"] == kind)
        .collect()
}

fn ndjson(lines: &[Json]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

/// Byte offsets where each line of `bytes` starts.
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        bytes
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' && i + 1 < bytes.len())
            .map(|(i, _)| i + 1),
    );
    starts
}

/// `ollama-chat-thinking-tools.ndjson`'s non-streaming response, derived by
/// hand: `thinking` and `content` concatenated, the two calls whole,
/// `created_at` and the counts from the last line, `model` from the first.
fn chat_expected() -> Json {
    json!({
        "model": "qwen3",
        "created_at": "2025-05-27T22:54:58.19314Z",
        "message": {
            "role": "assistant",
            "content": "Checking both.",
            "thinking": "The user wants the weather in Toronto and Paris.",
            "tool_calls": [
                {"function": {"name": "get_current_weather",
                              "arguments": {"format": "celsius", "location": "Toronto"}}},
                {"id": "call_2",
                 "function": {"index": 1, "name": "get_current_weather",
                              "arguments": {"location": "Paris, Île-de-France", "format": "celsius"}}}
            ]
        },
        "done_reason": "stop",
        "done": true,
        "total_duration": 182242375,
        "load_duration": 41295167,
        "prompt_eval_count": 169,
        "prompt_eval_duration": 24573166,
        "eval_count": 15,
        "eval_duration": 115959084
    })
}

#[test]
fn chat_stream_with_thinking_and_tool_calls_folds_to_the_non_streaming_response() {
    let out = fold_all_ways(&data("ollama-chat-thinking-tools.ndjson"));
    assert_eq!(out.error, None);
    assert_final(&out, chat_expected());
    let r = response(&out);
    assert_eq!(r.model.as_deref(), Some("qwen3"));
    assert!(r.done);
    assert_eq!(r.response, None);
    assert_eq!(r.text(), "Checking both.");
    assert_eq!(
        r.thinking(),
        Some("The user wants the weather in Toronto and Paris.")
    );
    let calls = r.tool_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].id, None);
    assert_eq!(calls[1].id.as_deref(), Some("call_2"));
    assert_eq!(calls[1].function.name, "get_current_weather");
    assert_eq!(
        calls[1]
            .function
            .arguments
            .get("location")
            .and_then(|v| v.as_str()),
        Some("Paris, Île-de-France")
    );
    assert_eq!((r.prompt_eval_count, r.eval_count), (Some(169), Some(15)));
    assert_eq!(out.done.text(), "Checking both.");
    assert_eq!(out.done.format(), Format::Ollama);
    assert!(out.has_event(json!({"type": "end", "verdict": "complete"})));
}

#[test]
fn chat_events_add_up_to_the_final_values_and_each_call_comes_whole() {
    let bytes = data("ollama-chat-thinking-tools.ndjson");
    let out = fold_all_ways(&bytes);
    let r = response(&out);
    assert_eq!(joined(&out, "content.delta", "delta"), r.text());
    assert_eq!(joined(&out, "content.done", "content"), r.text());
    assert_eq!(
        joined(&out, "reasoning.delta", "delta"),
        r.thinking().unwrap()
    );
    assert_eq!(
        joined(&out, "reasoning.done", "reasoning"),
        r.thinking().unwrap()
    );
    // Each call: its start, one arguments delta with the arguments' JSON
    // text as sent, its `.done`; indexed by ordinal.
    let toronto = r#"{"format":"celsius","location":"Toronto"}"#;
    let paris = r#"{"location":"Paris, Île-de-France","format":"celsius"}"#;
    let tool_events: Vec<Json> = out
        .events_json()
        .into_iter()
        .filter(|e| e["type"].as_str().unwrap().starts_with("tool_calls."))
        .collect();
    assert_eq!(
        tool_events,
        [
            json!({"type": "tool_calls.function.start", "choice": 0, "index": 0, "id": "", "name": "get_current_weather"}),
            json!({"type": "tool_calls.function.arguments.delta", "choice": 0, "index": 0, "name": "get_current_weather", "arguments_delta": toronto}),
            json!({"type": "tool_calls.function.arguments.done", "choice": 0, "index": 0, "name": "get_current_weather", "arguments": toronto}),
            json!({"type": "tool_calls.function.start", "choice": 0, "index": 1, "id": "call_2", "name": "get_current_weather"}),
            json!({"type": "tool_calls.function.arguments.delta", "choice": 0, "index": 1, "name": "get_current_weather", "arguments_delta": paris}),
            json!({"type": "tool_calls.function.arguments.done", "choice": 0, "index": 1, "name": "get_current_weather", "arguments": paris}),
        ]
    );
    // The arguments' JSON text is the value the final object holds.
    let parsed: Json = serde_json::from_str(paris).unwrap();
    assert_eq!(
        parsed,
        chat_expected()["message"]["tool_calls"][1]["function"]["arguments"]
    );
    assert_eq!(
        events_of(&out, "finish_reason"),
        [json!({"type": "finish_reason", "choice": 0, "finish_reason": "stop"})]
    );
    // The usage event: the counts and durations of the last line, as
    // sent; the normalized counts.
    assert_eq!(
        events_of(&out, "usage"),
        [json!({
            "type": "usage",
            "usage": {"total_duration": 182242375, "load_duration": 41295167,
                      "prompt_eval_count": 169, "prompt_eval_duration": 24573166,
                      "eval_count": 15, "eval_duration": 115959084},
            "tokens": {"input_tokens": 169, "output_tokens": 15}
        })]
    );
    // The reasoning's run closes before the text's; both before the
    // first tool call.
    let kinds: Vec<String> = out
        .events_json()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    let first_start = kinds
        .iter()
        .position(|k| k == "tool_calls.function.start")
        .unwrap();
    let done_at = |k: &str| kinds.iter().position(|x| x == k).unwrap();
    assert!(done_at("reasoning.done") < first_start);
    assert!(done_at("content.done") < first_start);
    assert_eq!(kinds.last().unwrap(), "end");
    let mut fold = Fold::new();
    fold.push(&bytes).for_each(drop);
    let tokens = fold.usage().unwrap();
    assert_eq!(
        (tokens.input_tokens, tokens.output_tokens),
        (Some(169), Some(15))
    );
    assert_eq!(fold.model().as_deref(), Some("qwen3"));
    assert_eq!(fold.id(), None);
    assert_eq!(fold.tool_call_arguments(0, 0), Some(toronto));
}

#[test]
fn generate_stream_with_thinking_and_context_folds_to_the_non_streaming_response() {
    let out = fold_all_ways(&data("ollama-generate-thinking-context.ndjson"));
    assert_eq!(out.error, None);
    assert_final(
        &out,
        json!({
            "model": "gpt-oss:20b",
            "created_at": "2025-08-15T22:55:09.0Z",
            "response": "Fluffy, quick, gentle.",
            "thinking": "Need to comply.",
            "done": true,
            "done_reason": "stop",
            "context": [200006, 17360, 200008, 1],
            "total_duration": 10706818083u64,
            "load_duration": 6338219291u64,
            "prompt_eval_count": 26,
            "prompt_eval_duration": 130079000,
            "eval_count": 259,
            "eval_duration": 4232710000u64
        }),
    );
    let r = response(&out);
    assert_eq!(r.message, None);
    assert_eq!(r.text(), "Fluffy, quick, gentle.");
    assert_eq!(r.thinking(), Some("Need to comply."));
    assert_eq!(r.context.as_deref(), Some(&[200006, 17360, 200008, 1][..]));
    assert_eq!(joined(&out, "content.delta", "delta"), r.text());
    assert_eq!(joined(&out, "reasoning.delta", "delta"), "Need to comply.");
    assert!(events_of(&out, "reasoning.delta")
        .iter()
        .all(|e| e["field"] == "thinking"));
}

#[test]
fn an_error_line_part_way_is_a_provider_error_and_the_partial_is_kept() {
    let bytes = ndjson(&[
        json!({"model": "llama3.2", "created_at": "2024-01-01T00:00:00Z",
               "message": {"role": "assistant", "content": "The"}, "done": false}),
        json!({"model": "llama3.2", "created_at": "2024-01-01T00:00:01Z",
               "message": {"role": "assistant", "content": " sky"}, "done": false}),
        json!({"error": "an error was encountered while running the model: unexpected EOF"}),
    ]);
    let out = fold_all_ways(&bytes);
    let (kind, offset, index) = out.error.clone().expect("provider error");
    assert!(kind.starts_with("Provider("), "{kind}");
    assert!(kind.contains("unexpected EOF"), "{kind}");
    assert_eq!((offset, index), (line_starts(&bytes)[2] as u64, 2));
    let r = response(&out);
    assert_eq!(r.text(), "The sky");
    assert!(!r.done);
    assert_eq!(r.created_at.as_deref(), Some("2024-01-01T00:00:01Z"));
    // As the first line: an error before anything (the format is not
    // known yet, so the detected fold's partial is of no format's).
    let bytes = ndjson(&[json!({"error": "model 'llama9' not found"})]);
    let out = fold_every_way(&bytes, Limits::default());
    let (kind, offset, _) = out.error.clone().expect("provider error");
    assert!(kind.contains("model 'llama9' not found"), "{kind}");
    assert_eq!(offset, 0);
    // Forced to Ollama, the decoder reports it the same way, with an empty
    // Ollama response as the partial.
    let forced = fold_using(
        &bytes,
        &[bytes.len()],
        Fold::new().with_format(Format::Ollama),
    );
    assert_eq!(forced.error, out.error);
    assert_eq!(response(&forced).text(), "");
}

#[test]
fn a_stream_cut_inside_a_line_is_truncated_and_keeps_the_lines_before() {
    let bytes = data("ollama-chat-thinking-tools.ndjson");
    let starts = line_starts(&bytes);
    // Cut inside the sixth line (the first tool call).
    let cut = starts[5] + 60;
    let out = fold_all_ways(&bytes[..cut]);
    let (kind, offset, index) = out.error.clone().expect("truncated");
    assert_eq!(
        kind,
        format!("{:?}", ErrorKind::Truncated { inside_event: true })
    );
    assert_eq!((offset, index), (cut as u64, 5));
    assert!(out.has_event(json!({"type": "end", "verdict": "truncated_inside_event"})));
    let r = response(&out);
    assert_eq!(r.text(), "Checking both.");
    assert_eq!(
        r.thinking(),
        Some("The user wants the weather in Toronto and Paris.")
    );
    assert!(r.tool_calls().is_empty());
    assert!(!r.done);
    assert_eq!(r.done_reason, None);
    assert_eq!(r.created_at.as_deref(), Some("2025-05-27T22:54:57.673559Z"));
}

#[test]
fn a_stream_without_its_done_line_is_truncated() {
    let bytes = data("ollama-chat-thinking-tools.ndjson");
    let last = *line_starts(&bytes).last().unwrap();
    let out = fold_all_ways(&bytes[..last]);
    let (kind, _, _) = out.error.clone().expect("truncated");
    assert_eq!(
        kind,
        format!(
            "{:?}",
            ErrorKind::Truncated {
                inside_event: false
            }
        )
    );
    let r = response(&out);
    assert_eq!(r.tool_calls().len(), 2);
    assert_eq!(r.eval_count, None);
    assert!(!r.done);
    assert!(events_of(&out, "usage").is_empty());
}

#[test]
fn a_line_after_the_done_line_is_ignored_with_a_warning() {
    let mut bytes = data("ollama-generate-thinking-context.ndjson");
    bytes.extend_from_slice(
        b"{\"model\":\"gpt-oss:20b\",\"created_at\":\"x\",\"response\":\"more\",\"done\":false}\n",
    );
    // (The async adapter stops reading at the terminator, so it sees no
    // line after it: fed to the sync facade only.)
    let out = fold_every_way(&bytes, Limits::default());
    assert_eq!(out.error, None);
    assert_eq!(response(&out).text(), "Fluffy, quick, gentle.");
    assert!(events_of(&out, "warning")
        .iter()
        .any(|w| w["warning"]["kind"] == "data_after_done"));
}

#[test]
fn logprobs_entries_are_extended_and_reported() {
    // `logprobs: true` (api/types.go: a top-level list of entries).
    let bytes = ndjson(&[
        json!({"model": "m", "created_at": "t0", "message": {"role": "assistant", "content": "Hi"},
               "done": false, "logprobs": [{"token": "Hi", "logprob": -0.5, "bytes": [72, 105]}]}),
        json!({"model": "m", "created_at": "t1", "message": {"role": "assistant", "content": "!"},
               "done": false, "logprobs": [{"token": "!", "logprob": -1.5,
                                            "top_logprobs": [{"token": "!", "logprob": -1.5}]}]}),
        json!({"model": "m", "created_at": "t2", "message": {"role": "assistant", "content": ""},
               "done": true, "done_reason": "stop", "eval_count": 2}),
    ]);
    let out = fold_all_ways(&bytes);
    assert_eq!(out.error, None);
    let r = response(&out);
    assert_eq!(
        serde_json::to_value(&r.logprobs).unwrap(),
        json!([{"token": "Hi", "logprob": -0.5, "bytes": [72, 105]},
               {"token": "!", "logprob": -1.5, "top_logprobs": [{"token": "!", "logprob": -1.5}]}])
    );
    let deltas = events_of(&out, "logprobs.content.delta");
    assert_eq!(deltas.len(), 2);
    assert_eq!(
        deltas[0]["content"],
        json!([{"token": "Hi", "logprob": -0.5, "bytes": [72, 105]}])
    );
    // Only `eval_count` came: the usage event holds it alone.
    assert_eq!(
        events_of(&out, "usage"),
        [json!({"type": "usage", "usage": {"eval_count": 2}, "tokens": {"output_tokens": 2}})]
    );
}

#[test]
fn unknown_fields_are_kept_and_reported() {
    let bytes = ndjson(&[
        json!({"model": "gpt-oss:120b-cloud", "remote_model": "gpt-oss:120b", "remote_host": "https://ollama.com:443",
               "created_at": "t0", "message": {"role": "assistant", "content": "a", "images": null, "tool_name": "x"},
               "done": false}),
        json!({"model": "gpt-oss:120b-cloud", "remote_model": "gpt-oss:120b", "created_at": "t1",
               "message": {"role": "assistant", "content": "b", "tool_name": "y"}, "done": true}),
    ]);
    let out = fold_all_ways(&bytes);
    assert_eq!(out.error, None);
    assert_final(
        &out,
        json!({"model": "gpt-oss:120b-cloud", "remote_model": "gpt-oss:120b",
               "remote_host": "https://ollama.com:443", "created_at": "t1",
               "message": {"role": "assistant", "content": "ab", "tool_name": "xy"},
               "done": true}),
    );
    assert!(out.has_event(
        json!({"type": "chunk.extra", "key": "remote_host", "value": "https://ollama.com:443"})
    ));
    assert!(out
        .has_event(json!({"type": "delta.extra", "choice": 0, "key": "tool_name", "value": "y"})));
    // The final line had no `done_reason`: complete all the same (its
    // terminator is `done: true`).
    assert!(out.has_event(json!({"type": "end", "verdict": "complete"})));
    assert_eq!(response(&out).done_reason, None);
}

#[test]
fn each_stream_is_detected_as_ollama() {
    for name in [
        "ollama-chat-thinking-tools.ndjson",
        "ollama-generate-thinking-context.ndjson",
    ] {
        let bytes = data(name);
        let first = line_starts(&bytes)[1];
        let mut fold = Fold::new();
        fold.push(&bytes[..first]).for_each(drop);
        assert_eq!(fold.format(), Some(Format::Ollama), "{name}");
    }
}

#[test]
fn a_payload_of_another_format_is_a_clear_error() {
    // A legacy completions line in an Ollama stream.
    let mut bytes =
        ndjson(&[json!({"model": "m", "created_at": "t", "response": "a", "done": false})]);
    bytes.extend_from_slice(
        b"{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"model\":\"m\",\"choices\":[{\"index\":0,\"text\":\"x\"}]}\n",
    );
    let out = fold_all_ways(&bytes);
    let (kind, offset, index) = out.error.clone().expect("wrong format");
    assert_eq!(
        kind,
        format!(
            "{:?}",
            ErrorKind::WrongFormat {
                expected: Format::Ollama,
                found: Some(Format::OpenAiCompletions)
            }
        )
    );
    assert_eq!((offset, index), (line_starts(&bytes)[1] as u64, 1));
    assert_eq!(response(&out).text(), "a");
    // A legacy completions SSE stream forced to Ollama: the framing is
    // NDJSON, and `data:` is not JSON, at its first byte.
    let sse = data("completions-openai-instruct.sse");
    let out = fold_using(&sse, &[sse.len()], Fold::new().with_format(Format::Ollama));
    let (kind, offset, index) = out.error.expect("not JSON");
    assert!(kind.starts_with("Json"), "{kind}");
    assert_eq!((offset, index), (0, 0));
    // A chat chunk as an NDJSON line in a stream forced to Ollama.
    let chat = b"{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n";
    let out = fold_using(chat, &[chat.len()], Fold::new().with_format(Format::Ollama));
    assert_eq!(
        out.error.unwrap().0,
        format!(
            "{:?}",
            ErrorKind::WrongFormat {
                expected: Format::Ollama,
                found: Some(Format::OpenAiChat)
            }
        )
    );
}

#[test]
fn fields_of_the_wrong_type_are_a_shape_error_at_their_position() {
    for (line, field, bad) in [
        (
            r#"{"model":"m","message":{"content":5},"done":false}"#,
            "message.content",
            "5",
        ),
        (
            r#"{"model":"m","response":"a","done":"no"}"#,
            "done",
            "\"no\"",
        ),
        (
            r#"{"model":"m","response":"a","done":true,"eval_count":"3"}"#,
            "eval_count",
            "\"3\"",
        ),
        (
            r#"{"model":"m","message":{"tool_calls":{}},"done":false}"#,
            "message.tool_calls",
            "{}",
        ),
    ] {
        let out = fold_using(
            format!("{line}\n").as_bytes(),
            &[line.len() + 1],
            Fold::new().with_format(Format::Ollama),
        );
        let (kind, offset, _) = out.error.expect("shape error");
        assert!(
            kind.starts_with("Shape") && kind.contains(field),
            "{line}: {kind}"
        );
        assert_eq!(offset, line.find(bad).unwrap() as u64, "{line}");
    }
}

#[test]
fn the_final_object_reads_back_equal() {
    for name in [
        "ollama-chat-thinking-tools.ndjson",
        "ollama-generate-thinking-context.ndjson",
    ] {
        let out = fold_all_ways(&data(name));
        let r = response(&out).clone();
        let back: Response = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r, "{name}");
    }
    let back: Response = serde_json::from_value(chat_expected()).unwrap();
    assert_eq!(
        &back,
        response(&fold_all_ways(&data("ollama-chat-thinking-tools.ndjson")))
    );
}

#[test]
fn megabytes_of_text_in_small_pieces_fold_to_the_same_text() {
    // 30,000 lines of 100 characters (3 MB of text), read in 13-byte
    // pieces, and one 1 MiB line read a byte at a time: the cost stays
    // linear (speed itself is measured by `benches/formats.rs`).
    let piece: String = "0123456789ü".repeat(10)[..100].to_string();
    let mut bytes = Vec::new();
    for _ in 0..30_000 {
        bytes.extend_from_slice(
            json!({"model": "m", "created_at": "2024-01-01T00:00:00.000000Z",
                   "message": {"role": "assistant", "content": piece}, "done": false})
            .to_string()
            .as_bytes(),
        );
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(b"{\"model\":\"m\",\"created_at\":\"z\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\"}\n");
    let mut fold = Fold::new();
    for p in bytes.chunks(13) {
        for ev in fold.push(p) {
            ev.unwrap();
        }
    }
    let r = fold.finish().unwrap().into_ollama().unwrap();
    assert_eq!(r.text().len(), 30_000 * piece.len());
    assert!(r.done);

    let big = "y".repeat(1 << 20);
    let bytes =
        ndjson(&[json!({"model": "m", "response": big, "done": true, "done_reason": "length"})]);
    let mut fold = Fold::new();
    for p in bytes.chunks(1) {
        for ev in fold.push(p) {
            ev.unwrap();
        }
    }
    let r = fold.finish().unwrap().into_ollama().unwrap();
    assert_eq!(r.text(), big);
    assert_eq!(r.done_reason.as_deref(), Some("length"));
}

/// Bug: lines of both shapes (`message` and `response`, not Ollama's) gave
/// events in the order they came and a final text of the message's alone.
/// The text is one block, whichever shape carried it.
#[test]
fn a_stream_mixing_chat_and_generate_lines_keeps_its_text_in_the_order_it_came() {
    let bytes = ndjson(&[
        json!({"model": "m", "created_at": "t", "message": {"role": "assistant", "content": "a"}, "done": false}),
        json!({"model": "m", "created_at": "t", "response": "b", "done": false}),
        json!({"model": "m", "created_at": "t", "message": {"role": "assistant", "content": "c"}, "done": false}),
        json!({"model": "m", "created_at": "t", "message": {"role": "assistant", "content": ""}, "done": true, "done_reason": "stop"}),
    ]);
    let out = fold_all_ways(&bytes);
    assert_eq!(joined(&out, "content.delta", "delta"), "abc");
    assert_eq!(out.done.text(), "abc");
}

/// Arguments sent as a string (as servers imitating Ollama do) are the
/// string's text: text holding a JSON object or array is that value in the
/// final object; any other text stays the string as sent. A string holding
/// a JSON string (`"\"x\""`) was taken apart to `"x"`, so the final object
/// lost the quotes the events showed.
#[test]
fn arguments_sent_as_a_string_keep_their_text_unless_it_is_an_object_or_array() {
    let call = |arguments: Json| {
        json!({"model": "m", "created_at": "t",
               "message": {"role": "assistant", "content": "",
                           "tool_calls": [{"function": {"name": "f", "arguments": arguments}}]},
               "done": true})
    };
    for (sent, text, expected) in [
        (json!("{\"a\":1}"), "{\"a\":1}", json!({"a": 1})),
        (json!("[1,2]"), "[1,2]", json!([1, 2])),
        (json!("\"x\""), "\"x\"", json!("\"x\"")),
        (json!("5"), "5", json!("5")),
        (json!("not json"), "not json", json!("not json")),
    ] {
        let out = fold_all_ways(&ndjson(&[call(sent.clone())]));
        assert_eq!(out.error, None, "{sent}");
        assert_eq!(
            joined(
                &out,
                "tool_calls.function.arguments.delta",
                "arguments_delta"
            ),
            text,
            "{sent}"
        );
        assert_eq!(
            serde_json::to_value(&out.done).unwrap()["message"]["tool_calls"][0]["function"]
                ["arguments"],
            expected,
            "{sent}"
        );
    }
}
