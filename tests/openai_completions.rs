//! The legacy completions format (`/v1/completions`, `"object":
//! "text_completion"`).
//!
//! No recorded corpus exists for it: the streams are hand-made in the shapes
//! the references document (`tests/data/formats/README.md` names each):
//! OpenAI's legacy Completions API reference (the streaming example, and
//! openai-python's `Completion`/`CompletionChoice`/`Logprobs` types) and
//! vLLM's streaming output (`CompletionStreamResponse` and its stream
//! generator: one choice a chunk with `n` > 1, `echo`, `logprobs` lists,
//! `stop_reason`, `token_ids`, usage in a last `"choices": []` chunk with
//! `stream_options`). Every expected value below is derived by hand from
//! the input, never from our own output.

mod support;

use serde_json::{json, Value as Json};
use streamfold::openai_completions::Completion;
use streamfold::{ErrorKind, Event, Fold, Format, Limits};
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
    for (name, cuts) in chunkings(bytes.len(), 7) {
        let forced = fold_using(
            bytes,
            &cuts,
            Fold::new().with_format(Format::OpenAiCompletions),
        );
        assert!(forced == whole, "forced, chunking {name} differs");
        let not_forced = fold_async_using(bytes, &cuts, Fold::new());
        assert!(not_forced == whole, "async, chunking {name} differs");
    }
    whole
}

fn completion(out: &Outcome) -> &Completion {
    out.done
        .as_completions()
        .unwrap_or_else(|| panic!("not a text_completion: {:?}", out.done))
}

/// Panics unless the final object equals `expected` (null = absent,
/// numbers by value).
fn assert_final(out: &Outcome, expected: Json) {
    let ours = serde_json::to_value(&out.done).unwrap();
    let diff = diff_by_value(&ours, &expected);
    assert!(diff.is_empty(), "{diff:#?}\nours: {ours:#}");
}

/// The concatenated texts of events of `kind` for `choice`, from `field`.
fn joined(out: &Outcome, kind: &str, choice: u32, field: &str) -> String {
    out.events_json()
        .iter()
        .filter(|e| e["type"] == kind && e["choice"] == choice)
        .map(|e| e[field].as_str().unwrap().to_string())
        .collect()
}

fn events_of(out: &Outcome, kind: &str) -> Vec<Json> {
    out.events_json()
        .into_iter()
        .filter(|e| e["type"] == kind)
        .collect()
}

fn sse(chunks: &[Json], done: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for c in chunks {
        out.extend_from_slice(format!("data: {c}\n\n").as_bytes());
    }
    if done {
        out.extend_from_slice(b"data: [DONE]\n\n");
    }
    out
}

/// The vLLM stream's final object, derived by hand from
/// `completions-vllm-n2-logprobs.sse`: each choice's texts, logprobs lists
/// and `token_ids` concatenated in chunk order, `stop_reason` the last
/// non-null value, the usage and fingerprint of the last chunk.
fn vllm_expected() -> Json {
    json!({
        "id": "cmpl-9f2c0d4e",
        "object": "text_completion",
        "created": 1718000000,
        "model": "meta-llama/Llama-3.1-8B",
        "choices": [
            {
                "text": " Paris.",
                "index": 0,
                "logprobs": {
                    "tokens": [" Paris", "."],
                    "token_logprobs": [-0.03125, -0.25],
                    "top_logprobs": [{" Paris": -0.03125}, {".": -0.25}],
                    "text_offset": [0, 6]
                },
                "finish_reason": "stop",
                "stop_reason": "\n",
                "prompt_token_ids": [791, 6864, 315, 9822, 374],
                "token_ids": [12366, 13]
            },
            {
                "text": " a city",
                "index": 1,
                "logprobs": {
                    "tokens": [" a", " city"],
                    "token_logprobs": [-1.25, -2.5],
                    "top_logprobs": [{" a": -1.25, " Paris": -0.5}, {" city": -2.5, " capital": -1.75}],
                    "text_offset": [0, 2]
                },
                "finish_reason": "length",
                "prompt_token_ids": [791, 6864, 315, 9822, 374],
                "token_ids": [264, 3363]
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9},
        "system_fingerprint": "fp_vllm_0"
    })
}

#[test]
fn vllm_stream_with_two_interleaved_choices_folds_to_the_non_streaming_object() {
    let out = fold_all_ways(&data("completions-vllm-n2-logprobs.sse"));
    assert_eq!(out.error, None);
    assert_final(&out, vllm_expected());
    // Field by field, through the typed API.
    let c = completion(&out);
    assert_eq!(c.object, "text_completion");
    assert_eq!(c.id.as_deref(), Some("cmpl-9f2c0d4e"));
    assert_eq!(c.created, Some(1718000000));
    assert_eq!(
        c.choices.iter().map(|c| c.index).collect::<Vec<_>>(),
        [0, 1]
    );
    let lp = c.choices[1].logprobs.as_ref().unwrap();
    assert_eq!(
        lp.tokens.as_deref(),
        Some(&[" a".to_string(), " city".into()][..])
    );
    assert_eq!(lp.token_logprobs, Some(vec![Some(-1.25), Some(-2.5)]));
    assert_eq!(lp.text_offset, Some(vec![0, 2]));
    assert_eq!(c.choice(0).unwrap().finish_reason.as_deref(), Some("stop"));
    let usage = c.usage.as_ref().unwrap();
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (Some(5), Some(4), Some(9))
    );
    assert_eq!(out.done.text(), " Paris.");
    assert_eq!(out.done.format(), Format::OpenAiCompletions);
    assert!(out.has_event(json!({"type": "end", "verdict": "complete"})));
}

#[test]
fn each_choices_deltas_and_done_events_add_up_to_its_final_text() {
    let out = fold_all_ways(&data("completions-vllm-n2-logprobs.sse"));
    let c = completion(&out);
    for choice in &c.choices {
        let i = choice.index;
        assert_eq!(joined(&out, "content.delta", i, "delta"), choice.text);
        assert_eq!(joined(&out, "content.done", i, "content"), choice.text);
    }
    // Choice 1 speaks first: the first event is its first token.
    assert_eq!(
        out.events_json()[0],
        json!({"type": "content.delta", "choice": 1, "delta": " a"})
    );
    assert_eq!(
        events_of(&out, "finish_reason"),
        [
            json!({"type": "finish_reason", "choice": 0, "finish_reason": "stop"}),
            json!({"type": "finish_reason", "choice": 1, "finish_reason": "length"}),
        ]
    );
    // vLLM's extension fields are events too; nulls are not.
    assert!(out.has_event(
        json!({"type": "choice.extra", "choice": 0, "key": "stop_reason", "value": "\n"})
    ));
    assert!(!out
        .events_json()
        .iter()
        .any(|e| e["key"] == "stop_reason" && e["choice"] == 1));
    // Log-probabilities make no events in this format.
    assert!(!out
        .events_json()
        .iter()
        .any(|e| e["type"].as_str().unwrap().starts_with("logprobs.")));
}

#[test]
fn usage_in_the_last_chunk_with_no_choices_is_kept_and_normalized() {
    let bytes = data("completions-vllm-n2-logprobs.sse");
    let out = fold_all_ways(&bytes);
    let usage = events_of(&out, "usage");
    assert_eq!(
        usage,
        [json!({
            "type": "usage",
            "usage": {"prompt_tokens": 5, "total_tokens": 9, "completion_tokens": 4},
            "tokens": {"input_tokens": 5, "output_tokens": 4, "total_tokens": 9}
        })]
    );
    let mut fold = Fold::new();
    fold.push(&bytes).for_each(drop);
    let tokens = fold.usage().unwrap();
    assert_eq!(
        (
            tokens.input_tokens,
            tokens.output_tokens,
            tokens.total_tokens
        ),
        (Some(5), Some(4), Some(9))
    );
    assert_eq!(fold.id().as_deref(), Some("cmpl-9f2c0d4e"));
    assert_eq!(fold.model().as_deref(), Some("meta-llama/Llama-3.1-8B"));
    assert_eq!(fold.text(0).as_deref(), Some(" Paris."));
    assert_eq!(fold.text(1).as_deref(), Some(" a city"));
}

#[test]
fn the_openai_reference_stream_folds_to_its_non_streaming_object() {
    let out = fold_all_ways(&data("completions-openai-instruct.sse"));
    assert_eq!(out.error, None);
    // The reference's non-streaming example for this prompt, with this
    // stream's id and timestamp.
    assert_final(
        &out,
        json!({
            "id": "cmpl-7iA7iJjj8V2zOkCGvWF2hAkDWBQZe",
            "object": "text_completion",
            "created": 1690759702,
            "model": "gpt-3.5-turbo-instruct",
            "system_fingerprint": "fp_44709d6fcb",
            "choices": [
                {"text": "\n\nThis is indeed a test", "index": 0, "logprobs": null, "finish_reason": "length"}
            ]
        }),
    );
    let c = completion(&out);
    assert_eq!(c.choices[0].logprobs, None);
    assert_eq!(c.usage, None);
    assert_eq!(
        joined(&out, "content.delta", 0, "delta"),
        "\n\nThis is indeed a test"
    );
}

#[test]
fn without_done_a_stream_whose_choices_finished_ends_finished_without_done() {
    let bytes = data("completions-openai-instruct.sse");
    let cut = bytes.len() - b"data: [DONE]\n\n".len();
    let out = fold_all_ways(&bytes[..cut]);
    assert_eq!(out.error, None);
    assert!(out.has_event(json!({"type": "end", "verdict": "finished_without_done"})));
    assert_eq!(
        completion(&out).choices[0].text,
        "\n\nThis is indeed a test"
    );
}

#[test]
fn a_stream_cut_inside_an_event_is_truncated_and_keeps_what_came_before() {
    let bytes = data("completions-vllm-n2-logprobs.sse");
    // Cut in the middle of the third chunk (choice 0's ".").
    let third = find_nth(&bytes, b"data: ", 2);
    let cut = third + 40;
    let out = fold_all_ways(&bytes[..cut]);
    let (kind, offset, index) = out.error.clone().expect("truncated");
    assert_eq!(
        kind,
        format!("{:?}", ErrorKind::Truncated { inside_event: true })
    );
    // At the end of the input, the third event (index 2) unfinished.
    assert_eq!((offset, index), (cut as u64, 2));
    assert!(out.has_event(json!({"type": "end", "verdict": "truncated_inside_event"})));
    let c = completion(&out);
    assert_eq!(c.choice(0).unwrap().text, " Paris");
    assert_eq!(c.choice(1).unwrap().text, " a");
    assert_eq!(c.choice(0).unwrap().finish_reason, None);
    let lp = c.choice(0).unwrap().logprobs.as_ref().unwrap();
    assert_eq!(lp.text_offset, Some(vec![0]));
}

#[test]
fn a_stream_cut_between_events_before_every_choice_finished_is_truncated() {
    let bytes = data("completions-vllm-n2-logprobs.sse");
    let cut = find_nth(&bytes, b"data: ", 3);
    let out = fold_all_ways(&bytes[..cut]);
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
    let c = completion(&out);
    assert_eq!(c.choice(0).unwrap().text, " Paris.");
    assert_eq!(c.choice(1).unwrap().text, " a");
}

fn find_nth(hay: &[u8], needle: &[u8], n: usize) -> usize {
    let mut found = 0;
    for i in 0..=hay.len() - needle.len() {
        if &hay[i..i + needle.len()] == needle {
            if found == n {
                return i;
            }
            found += 1;
        }
    }
    panic!("fewer than {} occurrences", n + 1)
}

fn chunk(index: u32, text: &str, finish: Option<&str>) -> Json {
    json!({"id": "cmpl-e", "object": "text_completion", "created": 1, "model": "m",
           "choices": [{"index": index, "text": text, "logprobs": null, "finish_reason": finish}]})
}

#[test]
fn an_error_payload_part_way_is_a_provider_error_and_the_partial_is_kept() {
    // vLLM's streaming error (`{"error": {...}}`), then its `[DONE]`.
    let bytes = sse(
        &[
            chunk(0, "Once", None),
            chunk(0, " upon", None),
            json!({"error": {"message": "The model ran out of KV cache", "type": "InternalServerError", "code": 500}}),
        ],
        true,
    );
    let out = fold_all_ways(&bytes);
    let (kind, offset, index) = out.error.clone().expect("provider error");
    assert!(kind.starts_with("Provider("), "{kind}");
    assert!(kind.contains("The model ran out of KV cache"), "{kind}");
    assert_eq!(index, 2);
    assert_eq!(offset, find_nth(&bytes, b"data: ", 2) as u64 + 6);
    assert_eq!(completion(&out).choices[0].text, "Once upon");
    // vLLM's older shape: `{"object": "error", ...}`.
    let bytes = sse(
        &[
            chunk(0, "Once", None),
            json!({"object": "error", "message": "bad", "type": "BadRequestError", "code": 400}),
        ],
        true,
    );
    let out = fold_all_ways(&bytes);
    let (kind, _, _) = out.error.clone().expect("provider error");
    assert!(
        kind.contains("\"bad\"") && kind.contains("BadRequestError"),
        "{kind}"
    );
    assert_eq!(completion(&out).choices[0].text, "Once");
}

#[test]
fn echo_with_logprobs_keeps_the_prompt_and_its_null_first_logprob() {
    // vLLM with `echo: true, logprobs: 1`: the first chunk carries the
    // prompt and the first token; the prompt's first token has no
    // log-probability. Offsets count characters of the whole text.
    let bytes = sse(
        &[
            json!({"id": "cmpl-echo", "object": "text_completion", "created": 7, "model": "m",
                   "choices": [{"index": 0, "text": "Hello world",
                                "logprobs": {"text_offset": [0, 5], "token_logprobs": [null, -0.5],
                                             "tokens": ["Hello", " world"], "top_logprobs": [null, {" world": -0.5}]},
                                "finish_reason": null, "stop_reason": null}]}),
            json!({"id": "cmpl-echo", "object": "text_completion", "created": 7, "model": "m",
                   "choices": [{"index": 0, "text": "!",
                                "logprobs": {"text_offset": [11], "token_logprobs": [-0.125],
                                             "tokens": ["!"], "top_logprobs": [{"!": -0.125}]},
                                "finish_reason": "stop", "stop_reason": null}]}),
        ],
        true,
    );
    let out = fold_all_ways(&bytes);
    assert_eq!(out.error, None);
    let c = completion(&out);
    assert_eq!(c.choices[0].text, "Hello world!");
    let lp = c.choices[0].logprobs.as_ref().unwrap();
    assert_eq!(
        lp.token_logprobs,
        Some(vec![None, Some(-0.5), Some(-0.125)])
    );
    assert_eq!(lp.text_offset, Some(vec![0, 5, 11]));
    let top = lp.top_logprobs.as_ref().unwrap();
    assert_eq!(top.len(), 3);
    assert!(top[0].is_none());
    assert_eq!(
        top[2].as_ref().unwrap().get("!").and_then(|v| v.as_f64()),
        Some(-0.125)
    );
    assert!(c.choices[0].extra.is_empty(), "{:?}", c.choices[0].extra);
}

#[test]
fn logprobs_null_in_some_chunks_and_missing_lists_stay_absent() {
    // A server sending `logprobs: null` on its last chunk, and a list it
    // never fills (`top_logprobs: null`).
    let bytes = sse(
        &[
            json!({"object": "text_completion", "choices": [{"index": 0, "text": "a",
                   "logprobs": {"tokens": ["a"], "token_logprobs": [-1.0], "top_logprobs": null, "text_offset": [0]}}]}),
            json!({"object": "text_completion", "choices": [{"index": 0, "text": "b", "logprobs": null,
                   "finish_reason": "stop"}]}),
        ],
        true,
    );
    let out = fold_all_ways(&bytes);
    let lp = completion(&out).choices[0].logprobs.clone().unwrap();
    assert_eq!(lp.tokens, Some(vec!["a".to_string()]));
    assert_eq!(lp.top_logprobs, None);
    assert_final(
        &out,
        json!({"object": "text_completion", "choices": [{"text": "ab", "index": 0,
               "logprobs": {"tokens": ["a"], "token_logprobs": [-1.0], "text_offset": [0]},
               "finish_reason": "stop"}]}),
    );
}

#[test]
fn each_stream_is_detected_as_legacy_completions() {
    for name in [
        "completions-openai-instruct.sse",
        "completions-vllm-n2-logprobs.sse",
    ] {
        let bytes = data(name);
        let first = find_nth(&bytes, b"\n\n", 0) + 2;
        let mut fold = Fold::new();
        fold.push(&bytes[..first]).for_each(drop);
        assert_eq!(fold.format(), Some(Format::OpenAiCompletions), "{name}");
    }
    // Without `object`, a choice with `text` and no `delta` is one.
    let mut fold = Fold::new();
    fold.push(b"data: {\"choices\":[{\"index\":0,\"text\":\"x\"}]}\n\n")
        .for_each(drop);
    assert_eq!(fold.format(), Some(Format::OpenAiCompletions));
    // A usage-only chunk without `object` in a completions stream is not
    // taken for another format's.
    let bytes = sse(
        &[
            chunk(0, "x", Some("stop")),
            json!({"id": "cmpl-e", "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}),
        ],
        true,
    );
    let out = fold_all_ways(&bytes);
    assert_eq!(out.error, None);
    assert_eq!(
        completion(&out).usage.as_ref().unwrap().total_tokens,
        Some(2)
    );
}

#[test]
fn a_payload_of_another_format_is_a_wrong_format_error() {
    let wrong = |bytes: &[u8], fold: Fold| {
        let out = fold_using(bytes, &[bytes.len()], fold);
        out.error.expect("an error").0
    };
    // A chat chunk in a stream forced to legacy completions.
    let chat = b"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\n";
    let forced = || Fold::new().with_format(Format::OpenAiCompletions);
    let expected = format!(
        "{:?}",
        ErrorKind::WrongFormat {
            expected: Format::OpenAiCompletions,
            found: Some(Format::OpenAiChat)
        }
    );
    assert_eq!(wrong(chat, forced()), expected);
    // A chat chunk without `object`, recognised by its `delta`.
    let bare = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\n";
    assert_eq!(wrong(bare, forced()), expected);
    // Mid-stream, after the format was detected.
    let mut mixed = sse(&[chunk(0, "x", None)], false);
    mixed.extend_from_slice(chat);
    let out = fold_all_ways(&mixed);
    assert_eq!(out.error.clone().unwrap().0, expected);
    assert_eq!(completion(&out).choices[0].text, "x");
    // An Ollama stream forced to legacy completions.
    let ollama = data("ollama-chat-thinking-tools.ndjson");
    assert_eq!(
        wrong(&ollama, forced()),
        format!(
            "{:?}",
            ErrorKind::WrongFormat {
                expected: Format::OpenAiCompletions,
                found: Some(Format::Ollama)
            }
        )
    );
}

#[test]
fn logprobs_of_the_wrong_type_are_a_shape_error_at_their_position() {
    let body = "data: {\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"text\":\"a\",\"logprobs\":{\"tokens\":[\"a\",7]}}]}\n\n";
    let out = fold_using(body.as_bytes(), &[body.len()], Fold::new());
    let (kind, offset, _) = out.error.expect("shape error");
    assert_eq!(
        kind,
        format!(
            "{:?}",
            ErrorKind::Shape {
                field: "logprobs.tokens",
                expected: "a list of strings"
            }
        )
    );
    assert_eq!(offset, body.find('7').unwrap() as u64);
    for (list, bad) in [
        ("token_logprobs", "\"x\""),
        ("top_logprobs", "1"),
        ("text_offset", "-1"),
        ("text_offset", "1.5"),
    ] {
        let body = format!(
            "data: {{\"object\":\"text_completion\",\"choices\":[{{\"index\":0,\"text\":\"a\",\"logprobs\":{{\"{list}\":[{bad}]}}}}]}}\n\n"
        );
        let out = fold_using(body.as_bytes(), &[body.len()], Fold::new());
        let (kind, offset, _) = out.error.expect("shape error");
        assert!(kind.starts_with("Shape"), "{list} {bad}: {kind}");
        assert_eq!(offset, body.find(bad).unwrap() as u64, "{list} {bad}");
    }
    // Malformed JSON wins over the shape error.
    let body = "data: {\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"logprobs\":{\"tokens\":[7]}}]\n\n";
    let out = fold_using(body.as_bytes(), &[body.len()], Fold::new());
    assert!(out.error.unwrap().0.starts_with("Json"));
}

#[test]
fn the_final_object_reads_back_equal() {
    let out = fold_all_ways(&data("completions-vllm-n2-logprobs.sse"));
    let c = completion(&out).clone();
    let text = serde_json::to_string(&c).unwrap();
    let back: Completion = serde_json::from_str(&text).unwrap();
    assert_eq!(back, c);
    // And from the non-streaming shape written by hand.
    let back: Completion = serde_json::from_value(vllm_expected()).unwrap();
    assert_eq!(back, c);
}

#[test]
fn megabytes_of_text_in_small_pieces_fold_to_the_same_text() {
    // 20,000 chunks of 100 characters (2 MB of text), read in 61-byte
    // pieces, and one 1 MiB chunk read a byte at a time: the cost stays
    // linear (speed itself is measured by `benches/formats.rs`).
    let piece: String = "abcdefghij\u{e9}".repeat(9)[..100].to_string();
    let mut bytes = Vec::new();
    for _ in 0..20_000 {
        bytes.extend_from_slice(
            format!(
                "data: {}\n\n",
                json!({"id": "cmpl-big", "object": "text_completion", "created": 1, "model": "m",
                       "choices": [{"index": 0, "text": piece, "logprobs": null, "finish_reason": null}]})
            )
            .as_bytes(),
        );
    }
    bytes.extend_from_slice(b"data: [DONE]\n\n");
    let mut fold = Fold::new();
    let mut deltas = 0usize;
    for p in bytes.chunks(61) {
        for ev in fold.push(p) {
            if let Event::ContentDelta { .. } = ev.unwrap() {
                deltas += 1;
            }
        }
    }
    assert_eq!(deltas, 20_000);
    let c = fold.finish().unwrap().into_completions().unwrap();
    assert_eq!(c.choices[0].text.len(), 20_000 * piece.len());
    assert!(c.choices[0].text.starts_with(&piece) && c.choices[0].text.ends_with(&piece));

    let big = "x".repeat(1 << 20);
    let bytes = sse(&[chunk(0, &big, Some("stop"))], true);
    let mut fold = Fold::new();
    for p in bytes.chunks(1) {
        for ev in fold.push(p) {
            ev.unwrap();
        }
    }
    let c = fold.finish().unwrap().into_completions().unwrap();
    assert_eq!(c.choices[0].text, big);
}

#[test]
fn identity_fields_take_the_first_non_empty_value() {
    // An empty `id` and `model` first (kept until replaced), then real
    // ones, then others that change nothing.
    let bytes = sse(
        &[
            json!({"id": "", "object": "text_completion", "model": "", "created": 5, "choices": [{"index": 0, "text": "a"}]}),
            json!({"id": "cmpl-2", "object": "text_completion", "model": "m2", "created": 6, "choices": [{"index": 0, "text": "b"}]}),
            json!({"id": "cmpl-3", "object": "text_completion", "model": "m3", "created": 7, "system_fingerprint": "fp_3",
                   "choices": [{"index": 0, "text": "c", "finish_reason": "stop"}]}),
        ],
        true,
    );
    let out = fold_all_ways(&bytes);
    let c = completion(&out);
    assert_eq!(
        (c.id.as_deref(), c.model.as_deref(), c.created),
        (Some("cmpl-2"), Some("m2"), Some(5))
    );
    assert_eq!(c.system_fingerprint.as_deref(), Some("fp_3"));
    assert_eq!(c.choices[0].text, "abc");
}
