//! The public API as a careful user meets it: what is lenient and what is
//! strict, JSON at the boundary, errors, the SSE layer on its own, and the
//! cheap accessors. Each stream is fed in every chunking.

mod support;

use serde_json::{json, Value as Json};
use streamfold::openai_chat::Completion;
use streamfold::sse::{Item, Parser};
use streamfold::{ErrorKind, Event, Final, Fold, Format, Limits, Value, Warning};
use support::{fold_every_way, sse, Outcome};

fn run(chunks: &[&str]) -> Outcome {
    fold_every_way(&sse(chunks), Limits::default())
}

fn warnings(out: &Outcome) -> Vec<(Warning, u64)> {
    out.events
        .iter()
        .filter_map(|e| match e {
            Event::Warning {
                warning, offset, ..
            } => Some((*warning, *offset)),
            _ => None,
        })
        .collect()
}

fn completion_json(out: &Outcome) -> Json {
    serde_json::to_value(&out.completion).unwrap()
}

// ------------------------------------------------ lenient where cosmetic --

#[test]
fn a_float_created_is_kept_with_a_warning_at_its_offset() {
    let first = r#"{"id":"c","object":"chat.completion.chunk","created":1.7e9,"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}"#;
    let out = run(&[first]);
    assert_eq!(out.error, None);
    assert_eq!(out.completion.created, Some(1_700_000_000));
    assert_eq!(
        out.completion.choices[0].message.content.as_deref(),
        Some("x")
    );
    let at = ("data: ".len() + first.find("1.7e9").unwrap()) as u64;
    assert_eq!(
        warnings(&out),
        [(
            Warning::Lenient {
                field: "created",
                expected: "an integer"
            },
            at
        )]
    );
}

#[test]
fn a_numeric_chunk_id_is_kept_as_its_text_with_a_warning() {
    let first = r#"{"id":12345,"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}"#;
    let out = run(&[first]);
    assert_eq!(out.error, None);
    assert_eq!(out.completion.id.as_deref(), Some("12345"));
    let at = ("data: ".len() + first.find("12345").unwrap()) as u64;
    assert_eq!(
        warnings(&out),
        [(
            Warning::Lenient {
                field: "id",
                expected: "a string"
            },
            at
        )]
    );
}

#[test]
fn chunks_labelled_chat_completion_still_set_id_model_and_created() {
    let out = run(&[
        r#"{"id":"c-1","object":"chat.completion","model":"m","created":7,"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}"#,
    ]);
    assert_eq!(out.error, None);
    let c = &out.completion;
    assert_eq!(
        (c.id.as_deref(), c.model.as_deref(), c.created),
        (Some("c-1"), Some("m"), Some(7))
    );
    assert!(matches!(
        warnings(&out).as_slice(),
        [(
            Warning::Lenient {
                field: "object",
                ..
            },
            _
        )]
    ));
}

#[test]
fn invalid_utf8_is_replaced_and_reported_with_its_offset() {
    let mut body = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"t\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"q\\\":\\\"".to_vec();
    let bad = body.len();
    body.extend_from_slice(
        b"\xff\\\"}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n",
    );
    let out = fold_every_way(&body, Limits::default());
    assert_eq!(out.error, None);
    assert_eq!(warnings(&out), [(Warning::InvalidUtf8, bad as u64)]);
    assert_eq!(
        out.completion.choices[0].message.tool_calls[0]
            .function
            .arguments,
        "{\"q\":\"\u{FFFD}\"}"
    );
}

// ------------------------------------------------------ merge defects --

#[test]
fn list_entries_with_an_integer_index_merge_by_index() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"reasoning_details":[{"type":"reasoning.text","text":"Let","index":0,"format":"x"}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"reasoning_details":[{"type":"reasoning.text","text":" me","index":0}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"reasoning_details":[{"type":"reasoning.encrypted","data":"abc","index":1}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"executed_tools":[{"index":0,"type":"search","arguments":"{\"q\":"}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"executed_tools":[{"index":0,"arguments":"1}","output":"ok"}]},"finish_reason":"stop"}]}"#,
    ]);
    let m = &completion_json(&out)["choices"][0]["message"];
    assert_eq!(
        m["reasoning_details"],
        json!([
            {"type":"reasoning.text","text":"Let me","index":0,"format":"x"},
            {"type":"reasoning.encrypted","data":"abc","index":1}
        ])
    );
    assert_eq!(
        m["executed_tools"],
        json!([{"index":0,"type":"search","arguments":"{\"q\":1}","output":"ok"}])
    );
}

#[test]
fn content_as_a_list_of_text_and_thinking_parts_folds_into_content_and_reasoning() {
    let out = run(&[
        r#"{"id":"m","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":[{"type":"thinking","thinking":[{"type":"text","text":"Hmm, "}]}]}}]}"#,
        r#"{"id":"m","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":[{"type":"thinking","thinking":[{"type":"text","text":"two."}]}]}}]}"#,
        r#"{"id":"m","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":[{"type":"text","text":"It is "}]}}]}"#,
        r#"{"id":"m","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"2."},"finish_reason":"stop"}]}"#,
    ]);
    assert_eq!(out.error, None);
    let m = &out.completion.choices[0].message;
    assert_eq!(m.content.as_deref(), Some("It is 2."));
    assert_eq!(
        m.extra.get("reasoning_content").and_then(Value::as_str),
        Some("Hmm, two.")
    );
    let reasoning: String = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ReasoningDelta { delta, .. } => Some(delta.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(reasoning, "Hmm, two.");
}

#[test]
fn a_choice_level_message_beside_delta_is_not_merged_and_not_a_second_key() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"message":{"role":"assistant","content":"Hi"}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"content":" there"},"message":{"content":" there"},"finish_reason":"stop"}]}"#,
    ]);
    let text = serde_json::to_string(&out.completion).unwrap();
    assert_eq!(text.matches("\"message\"").count(), 1, "{text}");
    let c = completion_json(&out);
    assert_eq!(c["choices"][0]["message"]["content"], "Hi there");
    // Read back, the one message is the reassembled one.
    let back: Completion = serde_json::from_str(&text).unwrap();
    assert_eq!(back.choices[0].message.content.as_deref(), Some("Hi there"));
}

#[test]
fn an_id_of_empty_string_stays_empty_string_not_null() {
    let out = run(&[
        r#"{"id":"","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}"#,
    ]);
    assert_eq!(out.completion.id.as_deref(), Some(""));
    assert_eq!(completion_json(&out)["id"], json!(""));
}

// -------------------------------------------------- JSON at the boundary --

#[test]
fn a_completion_written_to_disk_reads_back_equal() {
    for name in [
        "openai-gpt-4o-1859574ce1",
        "azure-gpt-4o-0681760276",
        "vllm-qwen3-0.6b-3420e20864",
    ] {
        let path = support::data_dir().join(format!("corpus/openai-chat/{name}.sse"));
        let out = support::fold(&std::fs::read(path).unwrap());
        let text = serde_json::to_string_pretty(&out.completion).unwrap();
        let back: Completion = serde_json::from_str(&text).unwrap();
        assert_eq!(back, out.completion, "{name}");
        assert_eq!(serde_json::to_string_pretty(&back).unwrap(), text, "{name}");
    }
}

#[test]
fn unknown_fields_keep_the_order_they_arrived_in() {
    let out = run(&[
        r#"{"zeta":1,"choices":[{"index":0,"delta":{"z_extra":"a","a_extra":"b"},"y_choice":1,"b_choice":2}],"alpha":2}"#,
        r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"mid":3}"#,
    ]);
    let c = completion_json(&out);
    let top: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
    let pos = |k: &str| top.iter().position(|t| *t == k).unwrap();
    assert!(
        pos("zeta") < pos("alpha") && pos("alpha") < pos("mid"),
        "{top:?}"
    );
    let choice: Vec<&str> = c["choices"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let cpos = |k: &str| choice.iter().position(|t| *t == k).unwrap();
    assert!(cpos("y_choice") < cpos("b_choice"), "{choice:?}");
    let msg: Vec<&str> = c["choices"][0]["message"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mpos = |k: &str| msg.iter().position(|t| *t == k).unwrap();
    assert!(mpos("z_extra") < mpos("a_extra"), "{msg:?}");
}

#[test]
fn values_convert_to_and_from_serde_json() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"content":"x","annotations":[{"u":1.5}]},"finish_reason":"stop"}]}"#,
    ]);
    let ann = out.completion.choices[0]
        .message
        .extra
        .get("annotations")
        .unwrap()
        .clone();
    let theirs: serde_json::Value = ann.clone().into();
    assert_eq!(theirs, json!([{"u": 1.5}]));
    assert_eq!(Value::from(theirs), ann);
}

// ---------------------------------------------------------------- errors --

#[test]
fn display_says_what_and_where_once() {
    let mut fold = Fold::new();
    let err = fold
        .push(b"data: {\"choices\":[{\"index\":\"0\"}]}\n\n")
        .find_map(Result::err)
        .unwrap();
    assert_eq!(
        err.to_string(),
        "unexpected payload shape: `choices[].index` must be a non-negative integer (event 0, byte 27)"
    );
    assert!(std::error::Error::source(&err).is_none());
}

#[test]
fn an_http_error_body_folded_as_a_stream_is_the_providers_error() {
    let body = b"{\n  \"error\": {\n    \"message\": \"Rate limit reached\",\n    \"type\": \"requests\",\n    \"code\": \"rate_limit_exceeded\"\n  }\n}\n";
    let out = fold_every_way(body, Limits::default());
    let (kind, offset, _) = out.error.unwrap();
    assert!(kind.starts_with("Provider"), "{kind}");
    assert!(kind.contains("Rate limit reached"), "{kind}");
    assert_eq!(offset, 0);
}

#[test]
fn a_first_payload_of_no_known_format_is_an_error_at_its_offset() {
    let out = fold_every_way(
        b": hi\n\ndata: {\"hello\":\"world\"}\n\n",
        Limits::default(),
    );
    let (kind, offset, index) = out.error.unwrap();
    assert_eq!(kind, "UnknownFormat");
    assert_eq!((offset, index), (12, 0));
}

#[test]
fn a_payload_of_another_format_in_a_forced_stream_is_a_clear_error() {
    let body =
        b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\"}}\n\n";
    let fold = Fold::new().with_format(Format::OpenAiChat);
    let out = support::fold_using(body, &[body.len()], fold);
    let (kind, offset, _) = out.error.unwrap();
    assert_eq!(
        kind,
        "WrongFormat { expected: OpenAiChat, found: Some(AnthropicMessages) }"
    );
    assert_eq!(offset, 27);
}

// -------------------------------------------------------------- the SSE layer --

#[test]
fn the_sse_parser_is_fused_after_an_error() {
    let mut parser = Parser::with_limits(Limits::default().max_event_bytes(8));
    let mut input: &[u8] = b"data: 0123456789\n\ndata: ok\n\n";
    let first = parser.next(&mut input).unwrap_err();
    assert!(matches!(first.kind(), ErrorKind::Limit { .. }));
    // Nothing more is dispatched from a stream it refused, whatever comes.
    for more in [&b"data: ok\n\n"[..], b"\n\n", input] {
        let mut rest = more;
        let again = parser.next(&mut rest).unwrap_err();
        assert_eq!(again.offset(), first.offset());
        assert_eq!(rest.len(), more.len(), "nothing consumed");
    }
    assert!(!matches!(
        parser.next(&mut &b""[..]),
        Ok(Some(Item::Event(_)))
    ));
}

// ------------------------------------------------------------- accessors --

#[test]
fn mid_stream_accessors_answer_without_copying_the_completion() {
    let mut fold = Fold::new();
    fold.push(b"data: {\"id\":\"c-9\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\",\"tool_calls\":[{\"index\":0,\"id\":\"t\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n\n").count();
    fold.push(b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5,\"completion_tokens_details\":{\"reasoning_tokens\":1},\"prompt_tokens_details\":{\"cached_tokens\":2}}}\n\n").count();
    assert_eq!(fold.format(), Some(Format::OpenAiChat));
    assert_eq!(fold.id().as_deref(), Some("c-9"));
    assert_eq!(fold.model().as_deref(), Some("gpt-x"));
    assert_eq!(fold.text(0).as_deref(), Some("Hello"));
    assert_eq!(fold.tool_call_arguments(0, 0), Some("{\"a\""));
    let u = fold.usage().unwrap();
    assert_eq!(
        (
            u.input_tokens,
            u.output_tokens,
            u.reasoning_tokens,
            u.cached_input_tokens,
            u.total_tokens
        ),
        (Some(3), Some(2), Some(1), Some(2), Some(5))
    );
    let snapshot = fold.snapshot();
    assert_eq!(snapshot.text(), "Hello");
    assert!(matches!(snapshot, Final::OpenAiChat(_)));
}

#[test]
fn limits_are_built_and_read_back() {
    let l = Limits::default()
        .max_event_bytes(usize::MAX)
        .max_line_bytes(3)
        .max_depth(5000)
        .max_choices(2);
    assert_eq!(l.event_bytes(), (1 << 31) - 1);
    assert_eq!(l.line_bytes(), 16);
    assert_eq!(l.depth(), 1024);
    assert_eq!(l.choices(), 2);
}
