//! Hostile and broken input: every failure gives an error of the right kind
//! at the right position, or a verdict, keeps the partial completion, and is
//! the same in every chunking. Never a panic.

mod support;

use streamfold::{ErrorKind, Event, Fold, Limit, Limits, ProviderError, Verdict, Warning};
use support::{fold_every_way, fold_with, Outcome, Rng};

const HELLO: &str = r#"data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"}}]}"#;

fn body(parts: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(p.as_bytes());
        out.extend_from_slice(b"\n\n");
    }
    out
}

fn content(out: &Outcome) -> Option<&str> {
    out.completion.choices.first()?.message.content.as_deref()
}

fn error(out: &Outcome) -> (&str, u64, u64) {
    let (kind, offset, index) = out.error.as_ref().expect("the stream fails");
    (kind.as_str(), *offset, *index)
}

fn verdict(out: &Outcome) -> Option<Verdict> {
    out.events.iter().find_map(|e| match e {
        Event::End { verdict, .. } => Some(*verdict),
        _ => None,
    })
}

#[test]
fn a_stream_cut_inside_the_json_of_its_last_event_is_truncated_inside_an_event() {
    let mut bytes = body(&[HELLO]);
    bytes.extend_from_slice(br#"data: {"choices":[{"index":0,"delta":{"content":" wor"#);
    let out = fold_every_way(&bytes, Limits::default());
    assert_eq!(verdict(&out), Some(Verdict::TruncatedInsideEvent));
    assert_eq!(
        error(&out),
        ("Truncated { inside_event: true }", bytes.len() as u64, 1)
    );
    assert_eq!(content(&out), Some("Hello"));
}

#[test]
fn eof_without_done_or_finish_reason_is_truncated() {
    let bytes = body(&[HELLO]);
    let out = fold_every_way(&bytes, Limits::default());
    assert_eq!(verdict(&out), Some(Verdict::Truncated));
    assert_eq!(
        error(&out),
        ("Truncated { inside_event: false }", bytes.len() as u64, 1)
    );
    assert_eq!(content(&out), Some("Hello"));
    // No `.done` events for a stream that did not finish.
    assert!(!out.events.iter().any(|e| e.name() == "content.done"));
}

#[test]
fn finish_reasons_without_done_are_a_complete_stream() {
    let bytes = body(&[
        HELLO,
        r#"data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
    ]);
    let out = fold_every_way(&bytes, Limits::default());
    assert_eq!(verdict(&out), Some(Verdict::FinishedWithoutDone));
    assert_eq!(out.error, None);
}

#[test]
fn done_without_finish_reason_is_complete() {
    // Ollama sends `finish_reason: null` on complete responses.
    let bytes = body(&[HELLO, "data: [DONE]"]);
    let out = fold_every_way(&bytes, Limits::default());
    assert_eq!(verdict(&out), Some(Verdict::Complete));
    assert_eq!(out.error, None);
}

#[test]
fn malformed_json_between_good_events_stops_the_stream_at_its_byte() {
    let bytes = body(&[
        HELLO,
        r#"data: {"choices":[{"index":0,"delta":{"content":" there"}}],}"#,
        r#"data: {"choices":[{"index":0,"delta":{"content":" never"}}]}"#,
        "data: [DONE]",
    ]);
    let out = fold_every_way(&bytes, Limits::default());
    let (kind, offset, index) = error(&out);
    assert_eq!(kind, r#"Json { message: "expected a key" }"#);
    assert_eq!(index, 1);
    let at = bytes.windows(2).position(|w| w == b",}").unwrap() as u64 + 1;
    assert_eq!(offset, at, "the `}}` after the trailing comma");
    assert_eq!(content(&out), Some("Hello"));
    assert_eq!(verdict(&out), None, "no verdict after an error");
}

#[test]
fn an_in_band_error_after_some_content_is_a_provider_error() {
    let error_line = r#"data: {"error":{"message":"The server had an error","type":"server_error","param":null,"code":500}}"#;
    let bytes = body(&[HELLO, error_line, "data: [DONE]"]);
    let out = fold_every_way(&bytes, Limits::default());
    let (kind, offset, index) = error(&out);
    let expected = ErrorKind::Provider(provider("The server had an error", "server_error", "500"));
    assert_eq!(kind, format!("{expected:?}"));
    assert_eq!(offset, (HELLO.len() + 2 + "data: ".len()) as u64);
    assert_eq!(index, 1);
    assert_eq!(content(&out), Some("Hello"));
}

fn provider(message: &str, kind: &str, code: &str) -> ProviderError {
    let mut p = ProviderError::default();
    p.message = message.into();
    p.kind = Some(kind.into());
    p.code = Some(code.into());
    p
}

#[test]
fn an_error_event_is_a_provider_error() {
    let bytes = body(&[
        HELLO,
        "event: error\ndata: {\"error\":{\"message\":\"Overloaded\",\"type\":\"overloaded_error\",\"code\":\"529\"}}",
    ]);
    let out = fold_every_way(&bytes, Limits::default());
    let (kind, _, index) = error(&out);
    let expected = ErrorKind::Provider(provider("Overloaded", "overloaded_error", "529"));
    assert_eq!(kind, format!("{expected:?}"));
    assert_eq!(index, 1);
    assert_eq!(content(&out), Some("Hello"));

    // Plain-text data is the message.
    let out = fold_every_way(
        b"event: error\ndata: upstream timed out\n\n",
        Limits::default(),
    );
    let (kind, offset, _) = error(&out);
    assert!(kind.contains(r#"message: "upstream timed out""#), "{kind}");
    assert_eq!(offset, 19);
}

#[test]
fn a_vllm_error_object_is_a_provider_error() {
    let bytes = body(&[
        r#"data: {"object":"error","message":"This model's maximum context length is 4096 tokens","type":"BadRequestError","param":null,"code":400}"#,
    ]);
    let out = fold_every_way(&bytes, Limits::default());
    let (kind, offset, _) = error(&out);
    assert!(
        kind.contains("maximum context length") && kind.contains("code: Some(\"400\")"),
        "{kind}"
    );
    assert_eq!(offset, 6);
}

#[test]
fn invalid_utf8_inside_a_content_string_becomes_replacement_characters() {
    let mut bytes = br#"data: {"choices":[{"index":0,"delta":{"content":"caf"#.to_vec();
    bytes.extend_from_slice(b"\xC3 \xFF\xE2\x82");
    bytes.extend_from_slice(br#""},"finish_reason":"stop"}]}"#);
    bytes.extend_from_slice(b"\n\ndata: [DONE]\n\n");
    let out = fold_every_way(&bytes, Limits::default());
    assert_eq!(out.error, None);
    assert_eq!(content(&out), Some("caf\u{FFFD} \u{FFFD}\u{FFFD}"));
}

#[test]
fn empty_input_is_truncated_at_offset_zero() {
    let out = fold_every_way(b"", Limits::default());
    assert_eq!(verdict(&out), Some(Verdict::Truncated));
    assert_eq!(error(&out), ("Truncated { inside_event: false }", 0, 0));
    assert!(out.completion.choices.is_empty());
}

#[test]
fn random_bytes_give_the_same_outcome_in_every_chunking() {
    let mut rng = Rng::new(64);
    for round in 0..4 {
        let mut bytes: Vec<u8> = (0..64 * 1024).map(|_| rng.next() as u8).collect();
        if round % 2 == 1 {
            // Plenty of line ends and `data:` prefixes.
            for i in (0..bytes.len()).step_by(97) {
                bytes[i] = b'\n';
            }
            for i in (1..bytes.len() - 6).step_by(389) {
                bytes[i..i + 6].copy_from_slice(b"data: ");
            }
        }
        fold_every_way(&bytes, Limits::default());
    }
}

#[test]
fn done_with_a_suffix_is_not_the_end() {
    let bytes = body(&[HELLO, "data: [DONE]x", "data: [DONE]"]);
    let out = fold_every_way(&bytes, Limits::default());
    let (kind, offset, index) = error(&out);
    assert!(kind.starts_with("Json"), "{kind}");
    assert_eq!((offset, index), ((HELLO.len() + 2 + 7) as u64, 1));
}

#[test]
fn events_after_done_are_reported_and_never_merged() {
    let bytes = body(&[
        HELLO,
        "data: [DONE]",
        r#"data: {"choices":[{"index":0,"delta":{"content":" late"}}]}"#,
        "data: {not json",
    ]);
    let out = fold_every_way(&bytes, Limits::default());
    assert_eq!(out.error, None);
    assert_eq!(content(&out), Some("Hello"));
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
        [(Warning::DataAfterDone, 2), (Warning::DataAfterDone, 3)]
    );
}

#[test]
fn an_index_given_as_a_string_is_a_shape_error() {
    let line = r#"data: {"choices":[{"index":"0","delta":{"content":"x"}}]}"#;
    let bytes = body(&[HELLO, line]);
    let out = fold_every_way(&bytes, Limits::default());
    let (kind, offset, index) = error(&out);
    assert_eq!(
        kind,
        r#"Shape { field: "choices[].index", expected: "a non-negative integer" }"#
    );
    let at = HELLO.len() + 2 + line.find(r#""0""#).unwrap();
    assert_eq!((offset, index), (at as u64, 1));
    assert_eq!(content(&out), Some("Hello"));
}

#[test]
fn huge_indices_are_stored_sparsely() {
    let bytes = body(&[
        r#"data: {"choices":[{"index":2147483647,"delta":{"content":"far","tool_calls":[{"index":4000000000,"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"#,
        "data: [DONE]",
    ]);
    let out = fold_every_way(&bytes, Limits::default());
    assert_eq!(out.error, None);
    let choice = &out.completion.choices[0];
    assert_eq!(choice.index, 2_147_483_647);
    assert_eq!(choice.message.tool_calls.len(), 1);
    let start = out
        .events
        .iter()
        .find(|e| e.name() == "tool_calls.function.start")
        .unwrap();
    assert!(
        matches!(
            start,
            Event::ToolCallStart {
                index: 4_000_000_000,
                ..
            }
        ),
        "{start:?}"
    );
    assert_eq!(out.completion.choices.len(), 1);
}

#[test]
fn an_index_above_max_index_is_a_limit_error() {
    let line = r#"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":4000000000,"function":{"arguments":"x"}}]}}]}"#;
    let bytes = body(&[HELLO, line]);
    let limits = Limits::default().max_index(1 << 20);
    let out = fold_every_way(&bytes, limits);
    let (kind, offset, _) = error(&out);
    assert_eq!(kind, r#"Limit { limit: Index, value: 1048576 }"#);
    assert_eq!(
        offset,
        (HELLO.len() + 2 + line.find("4000000000").unwrap()) as u64
    );
    assert_eq!(content(&out), Some("Hello"));

    // Indices beyond u32 are refused whatever the limit.
    let line = r#"data: {"choices":[{"index":4294967296,"delta":{}}]}"#;
    let out = fold_every_way(&body(&[line]), Limits::default());
    assert_eq!(
        error(&out).0,
        r#"Limit { limit: Index, value: 4294967295 }"#
    );
}

#[test]
fn a_new_call_after_index_u32_max_is_a_limit_error() {
    let bytes = body(&[
        r#"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":4294967295,"id":"a","function":{"name":"f","arguments":"1"}}]}}]}"#,
        r#"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"id":"b","function":{"name":"g","arguments":"2"}}]}}]}"#,
    ]);
    let out = fold_every_way(&bytes, Limits::default());
    assert_eq!(
        error(&out).0,
        r#"Limit { limit: Index, value: 4294967295 }"#
    );
    assert_eq!(out.completion.choices[0].message.tool_calls.len(), 1);
}

#[test]
fn too_many_choices_or_tool_calls_are_limit_errors() {
    let limits = Limits::default().max_choices(2).max_tool_calls(2);
    let choices = body(&[
        r#"data: {"choices":[{"index":0,"delta":{"content":"a"}},{"index":5,"delta":{"content":"b"}},{"index":9,"delta":{"content":"c"}}]}"#,
    ]);
    let out = fold_every_way(&choices, limits);
    let (kind, offset, _) = error(&out);
    assert_eq!(kind, "Limit { limit: Choices, value: 2 }");
    assert_eq!(offset, (6 + r#"{"choices":[{"index":0,"delta":{"content":"a"}},{"index":5,"delta":{"content":"b"}},"#.len()) as u64);
    assert_eq!(out.completion.choices.len(), 2);

    let calls = body(&[
        r#"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a"},{"index":1,"id":"b"},{"index":2,"id":"c"}]}}]}"#,
    ]);
    let out = fold_every_way(&calls, limits);
    assert_eq!(error(&out).0, "Limit { limit: ToolCalls, value: 2 }");
    assert_eq!(out.completion.choices[0].message.tool_calls.len(), 2);
}

#[test]
fn a_delta_field_nested_200000_deep_is_a_depth_error_without_stack_overflow() {
    let deep = format!(
        r#"data: {{"choices":[{{"index":0,"delta":{{"x":{}}}}}]}}"#,
        "[".repeat(200_000)
    );
    let bytes = body(&[HELLO, &deep]);
    let out = fold_with(&bytes, &[bytes.len()], Limits::default());
    let (kind, offset, index) = error(&out);
    assert_eq!(kind, "Limit { limit: Depth, value: 128 }");
    assert_eq!(index, 1);
    // Depth 128 is reached at the 124th `[` (chunk, choices, choice, delta
    // take four levels).
    let first = HELLO.len() + 2 + deep.find('[').unwrap() + 1;
    let first_bracket_of_x = HELLO.len() + 2 + deep.find(":[[").unwrap() + 1;
    assert!(first < first_bracket_of_x);
    assert_eq!(offset, (first_bracket_of_x + 124) as u64);
    assert_eq!(content(&out), Some("Hello"));
}

#[test]
fn an_event_over_max_event_bytes_stops_at_the_first_byte_past_the_limit() {
    let limits = Limits::default().max_event_bytes(1 << 20);
    let mut bytes = body(&[HELLO]);
    let start = bytes.len() + "data: ".len();
    bytes.extend_from_slice(br#"data: {"choices":[{"index":0,"delta":{"content":""#);
    bytes.resize(bytes.len() + (16 << 20), b'a');
    bytes.extend_from_slice(b"\"}}]}\n\n");
    for cuts in [vec![bytes.len()], vec![4096; bytes.len() / 4096 + 1]] {
        let mut cuts = cuts;
        if cuts.len() > 1 {
            let last = bytes.len() - 4096 * (cuts.len() - 1);
            *cuts.last_mut().unwrap() = last;
        }
        let out = fold_with(&bytes, &cuts, limits);
        assert_eq!(
            error(&out),
            (
                "Limit { limit: EventBytes, value: 1048576 }",
                (start + (1 << 20)) as u64,
                1
            )
        );
        assert_eq!(content(&out), Some("Hello"));
    }
}

#[test]
fn a_long_line_without_line_end_fails_at_the_limit() {
    let limits = Limits::default().max_event_bytes(1 << 20);
    let mut fold = Fold::new().with_limits(limits);
    let piece = vec![b'a'; 64 * 1024];
    assert!(fold.push(b"data: ").all(|e| e.is_ok()));
    let mut failure = None;
    for _ in 0..(24 * 16) {
        if let Some(Err(e)) = fold.push(&piece).last() {
            failure = Some(e);
            break;
        }
    }
    let e = failure.expect("the limit stops the line");
    assert!(matches!(
        e.kind(),
        ErrorKind::Limit {
            limit: Limit::EventBytes,
            ..
        }
    ));
    assert_eq!(e.offset(), 6 + (1 << 20));

    // A comment line (not stored) is bounded by max_line_bytes.
    let mut fold = Fold::new();
    assert!(fold.push(b":").all(|e| e.is_ok()));
    let mut failure = None;
    for _ in 0..32 {
        if let Some(Err(e)) = fold.push(&piece).last() {
            failure = Some(e);
            break;
        }
    }
    let e = failure.expect("the line limit stops the comment");
    assert!(matches!(
        e.kind(),
        ErrorKind::Limit {
            limit: Limit::LineBytes,
            value: 1048576
        }
    ));
    assert_eq!(e.offset(), 1 << 20);
}

#[test]
fn two_million_blank_lines_before_the_stream_are_skipped() {
    let mut bytes = vec![b'\n'; 2_000_000];
    bytes.extend_from_slice(&body(&[
        r#"data: {"choices":[{"index":0,"delta":{"content":"late start"},"finish_reason":"stop"}]}"#,
        "data: [DONE]",
    ]));
    for cuts in [
        vec![bytes.len()],
        support::random_cuts(bytes.len(), 8192, &mut Rng::new(2)),
    ] {
        let out = fold_with(&bytes, &cuts, Limits::default());
        assert_eq!(out.error, None);
        assert_eq!(content(&out), Some("late start"));
        assert_eq!(verdict(&out), Some(Verdict::Complete));
    }
}

#[test]
fn unknown_event_types_and_empty_data_are_skipped_with_warnings() {
    let bytes = body(&["event: ping\ndata: {}", "data: ", HELLO, "data: [DONE]"]);
    let out = fold_every_way(&bytes, Limits::default());
    assert_eq!(out.error, None);
    let warnings: Vec<Warning> = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Warning { warning, .. } => Some(*warning),
            _ => None,
        })
        .collect();
    assert_eq!(warnings, [Warning::UnknownEventType, Warning::EmptyData]);
}

#[test]
fn pushing_after_an_error_repeats_it_and_changes_nothing() {
    let mut fold = Fold::new();
    let first: Vec<_> = fold.push(b"data: {\n\n").collect();
    let err = first.last().unwrap().as_ref().unwrap_err().clone();
    let again: Vec<_> = fold.push(HELLO.as_bytes()).collect();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].as_ref().unwrap_err().offset(), err.offset());
    assert_eq!(fold.offset(), 9, "later bytes are not consumed");
    let partial = fold.finish().unwrap_err();
    assert_eq!(partial.offset(), err.offset());
    assert!(partial
        .partial()
        .unwrap()
        .as_chat()
        .unwrap()
        .choices
        .is_empty());
}
