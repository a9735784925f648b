//! One test per merge rule of DESIGN.md, on small hand-written streams.
//! Every stream is fed in every chunking (whole, byte by byte, random), and
//! all must agree.

mod support;

use serde_json::{json, Value as Json};
use streamfold::{Event, Limits, Verdict};
use support::{fold_every_way, sse, Outcome};

fn run(chunks: &[&str]) -> Outcome {
    fold_every_way(&sse(chunks), Limits::default())
}

fn completion(out: &Outcome) -> Json {
    serde_json::to_value(&out.completion).unwrap()
}

fn message(out: &Outcome, choice: usize) -> Json {
    completion(out)["choices"][choice]["message"].clone()
}

/// The concatenated content deltas of a choice.
fn content_deltas(out: &Outcome, index: u32) -> String {
    out.events
        .iter()
        .filter_map(|e| match e {
            Event::ContentDelta { choice, delta, .. } if *choice == index => {
                Some(delta.to_string())
            }
            _ => None,
        })
        .collect()
}

fn event_names(out: &Outcome) -> Vec<&'static str> {
    out.events.iter().map(Event::name).collect()
}

#[test]
fn choices_first_seen_out_of_order_are_listed_by_index() {
    let out = run(&[
        r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":1,"delta":{"role":"assistant","content":"B1"}}]}"#,
        r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"A1"}}]}"#,
        r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":1,"delta":{"content":" B2"},"finish_reason":"stop"},{"index":0,"delta":{"content":" A2"}}]}"#,
        r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#,
    ]);
    let c = completion(&out);
    assert_eq!(c["choices"][0]["index"], 0);
    assert_eq!(c["choices"][0]["message"]["content"], "A1 A2");
    assert_eq!(c["choices"][0]["finish_reason"], "length");
    assert_eq!(c["choices"][1]["index"], 1);
    assert_eq!(c["choices"][1]["message"]["content"], "B1 B2");
    assert_eq!(c["choices"][1]["finish_reason"], "stop");
    assert_eq!(content_deltas(&out, 0), "A1 A2");
    assert_eq!(content_deltas(&out, 1), "B1 B2");
    assert_eq!(out.error, None);
}

#[test]
fn refusal_text_concatenates_and_content_stays_null() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":null,"refusal":""}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"refusal":"I can't"}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"refusal":" help with that."},"finish_reason":"stop"}]}"#,
    ]);
    let m = message(&out, 0);
    assert_eq!(m["refusal"], "I can't help with that.");
    assert_eq!(m["content"], Json::Null);
    let refusal: String = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::RefusalDelta { delta, .. } => Some(delta.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(refusal, "I can't help with that.");
    assert!(out.has_event(
        json!({"type": "refusal.done", "choice": 0, "refusal": "I can't help with that."})
    ));
}

#[test]
fn null_or_absent_fields_change_nothing() {
    // Recorders send every declared field, null where unset; continuation
    // tool-call deltas carry `"type": null` and `"id": null`.
    let out = run(&[
        r#"{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":null,"refusal":null,"function_call":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]},"finish_reason":null,"logprobs":null}],"usage":null,"system_fingerprint":null}"#,
        r#"{"id":"c","choices":[{"index":0,"delta":{"role":null,"content":null,"tool_calls":[{"index":0,"id":null,"type":null,"function":{"name":null,"arguments":"{}"}}]},"finish_reason":null}],"model":null}"#,
        r#"{"id":null,"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
    ]);
    assert_eq!(
        message(&out, 0),
        json!({"role":"assistant","content":null,"refusal":null,
               "tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]})
    );
    let c = completion(&out);
    assert_eq!(c["id"], "c");
    assert_eq!(c["model"], Json::Null);
    assert_eq!(c["usage"], Json::Null);
    assert_eq!(c["choices"][0]["logprobs"], Json::Null);
}

#[test]
fn a_role_repeated_on_every_delta_is_set_once() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":"a"}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":"b"}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"stop"}]}"#,
    ]);
    assert_eq!(message(&out, 0)["role"], "assistant");
    assert_eq!(message(&out, 0)["content"], "ab");
}

#[test]
fn tool_call_deltas_without_index_continue_the_call_in_progress() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"call_a","type":"function","function":{"name":"f","arguments":"{\"x\""}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"arguments":":1}"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"call_b","type":"function","function":{"name":"g","arguments":"{}"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"call_b","function":{"arguments":""}}]},"finish_reason":"tool_calls"}]}"#,
    ]);
    let m = message(&out, 0);
    assert_eq!(
        m["tool_calls"],
        json!([
            {"id":"call_a","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}},
            {"id":"call_b","type":"function","function":{"name":"g","arguments":"{}"}}
        ])
    );
    let starts: Vec<(u32, String)> = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ToolCallStart { index, id, .. } => Some((*index, id.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(starts, [(0, "call_a".into()), (1, "call_b".into())]);
}

#[test]
fn a_tool_call_id_repeated_on_every_delta_is_not_concatenated() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get","arguments":"{\"a\""}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get","arguments":":2}"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
    ]);
    assert_eq!(
        message(&out, 0)["tool_calls"],
        json!([{"id":"call_1","type":"function","function":{"name":"get","arguments":"{\"a\":2}"}}])
    );
}

#[test]
fn complete_calls_all_at_index_0_with_distinct_ids_are_separate_calls() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"a","arguments":"{\"n\":1}"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_2","type":"function","function":{"name":"b","arguments":"{\"n\":2}"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_3","type":"function","function":{"name":"c","arguments":"{\"n\":"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"3}"}}]},"finish_reason":"tool_calls"}]}"#,
    ]);
    assert_eq!(
        message(&out, 0)["tool_calls"],
        json!([
            {"id":"call_1","type":"function","function":{"name":"a","arguments":"{\"n\":1}"}},
            {"id":"call_2","type":"function","function":{"name":"b","arguments":"{\"n\":2}"}},
            {"id":"call_3","type":"function","function":{"name":"c","arguments":"{\"n\":3}"}}
        ])
    );
    let done: Vec<(u32, String)> = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ToolCallArgumentsDone {
                index, arguments, ..
            } => Some((*index, arguments.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(
        done,
        [
            (0, "{\"n\":1}".to_string()),
            (1, "{\"n\":2}".to_string()),
            (2, "{\"n\":3}".to_string())
        ]
    );
}

#[test]
fn sparse_tool_indices_are_kept_and_listed_in_index_order() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":5,"id":"call_5","type":"function","function":{"name":"late","arguments":"{}"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":2,"id":"call_2","type":"function","function":{"name":"early","arguments":"[]"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
    ]);
    assert_eq!(
        message(&out, 0)["tool_calls"],
        json!([
            {"id":"call_2","type":"function","function":{"name":"early","arguments":"[]"}},
            {"id":"call_5","type":"function","function":{"name":"late","arguments":"{}"}}
        ])
    );
    let starts: Vec<Json> = out
        .events_json()
        .into_iter()
        .filter(|e| e["type"] == "tool_calls.function.start")
        .map(|e| e["index"].clone())
        .collect();
    assert_eq!(starts, [json!(5), json!(2)]);
}

#[test]
fn fragments_of_one_index_in_one_chunk_merge_in_order() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t1","type":"function","function":{"name":"f","arguments":"{\"li"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"quid"}},{"index":0,"function":{"arguments":"\":tr"}},{"index":0,"function":{"arguments":"ue}"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
    ]);
    assert_eq!(
        message(&out, 0)["tool_calls"][0]["function"]["arguments"],
        "{\"liquid\":true}"
    );
    assert_eq!(out.completion.choices[0].message.tool_calls.len(), 1);
}

#[test]
fn identities_take_the_first_non_empty_value() {
    // watsonx sends `"name": ""` on continuation deltas.
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"role":"","tool_calls":[{"index":0,"id":"","type":"function","function":{"name":"","arguments":""}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_9","type":"function","function":{"name":"lookup","arguments":"{}"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"role":"tool","tool_calls":[{"index":0,"id":"call_9","type":"other","function":{"name":"","arguments":""}}]},"finish_reason":"tool_calls"}]}"#,
    ]);
    let m = message(&out, 0);
    assert_eq!(m["role"], "assistant");
    assert_eq!(
        m["tool_calls"],
        json!([{"id":"call_9","type":"function","function":{"name":"lookup","arguments":"{}"}}])
    );
}

#[test]
fn a_missing_tool_call_id_or_an_integer_id_is_tolerated() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"type":"function","function":{"name":"a","arguments":null}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":42,"type":"function","function":{"name":"b","arguments":"[]"}}]},"finish_reason":"tool_calls"}]}"#,
    ]);
    assert_eq!(
        message(&out, 0)["tool_calls"],
        json!([
            {"id":null,"type":"function","function":{"name":"a","arguments":"{}"}},
            {"id":"42","type":"function","function":{"name":"b","arguments":"[]"}}
        ])
    );
}

#[test]
fn finish_reason_keeps_the_last_non_null_value() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"length"}]}"#,
        r#"{"choices":[{"index":0,"delta":{},"finish_reason":null}]}"#,
        r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        r#"{"choices":[{"index":0,"delta":{}}]}"#,
    ]);
    assert_eq!(completion(&out)["choices"][0]["finish_reason"], "stop");
}

#[test]
fn usage_is_not_erased_by_a_later_null() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}],"usage":null}"#,
        r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#,
        r#"{"choices":[],"usage":null}"#,
    ]);
    assert_eq!(
        completion(&out)["usage"],
        json!({"prompt_tokens":3,"completion_tokens":1,"total_tokens":4})
    );
    assert_eq!(
        out.completion.usage.as_ref().unwrap().completion_tokens,
        Some(1)
    );
}

#[test]
fn usage_on_every_chunk_keeps_the_last_value() {
    // vLLM `continuous_usage_stats`: cumulative usage on every chunk.
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"content":"a"}}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}"#,
        r#"{"choices":[{"index":0,"delta":{"content":"b"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}"#,
    ]);
    assert_eq!(completion(&out)["usage"]["completion_tokens"], 2);
    let usage_events = out.events.iter().filter(|e| e.name() == "usage").count();
    assert_eq!(usage_events, 2);
}

#[test]
fn reasoning_content_beside_content_is_kept_in_both() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"Think","content":""}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"reasoning_content":"ing.","content":"Ans"}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"reasoning":"also","content":"wer"},"finish_reason":"stop"}]}"#,
    ]);
    let m = message(&out, 0);
    assert_eq!(m["content"], "Answer");
    assert_eq!(m["reasoning_content"], "Thinking.");
    assert_eq!(m["reasoning"], "also");
    let reasoning: String = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ReasoningDelta { field, delta, .. }
                if field.as_deref() == Some("reasoning_content") =>
            {
                Some(delta.to_string())
            }
            _ => None,
        })
        .collect();
    assert_eq!(reasoning, "Thinking.");
    assert!(out.has_event(json!({"type": "reasoning.done", "choice": 0, "field": "reasoning_content", "reasoning": "Thinking."})));
}

#[test]
fn unknown_delta_fields_merge_by_kind() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"annotations":[{"type":"url","url":"a"}],"audio":{"id":"au","data":"Zm","transcript":"he"},"note":"x","score":1}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"annotations":[{"type":"url","url":"b"}],"audio":{"id":"au","data":"9v","transcript":"llo"},"note":"y","score":2},"finish_reason":"stop"}]}"#,
    ]);
    let m = message(&out, 0);
    assert_eq!(
        m["annotations"],
        json!([{"type":"url","url":"a"},{"type":"url","url":"b"}])
    );
    assert_eq!(
        m["audio"],
        json!({"id":"au","data":"Zm9v","transcript":"hello"})
    );
    assert_eq!(m["note"], "xy");
    assert_eq!(m["score"], 2);
}

#[test]
fn unknown_chunk_and_choice_fields_keep_their_last_non_null_value() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"content":"a"},"content_filter_results":{"hate":{"filtered":false}},"stop_reason":null}],"x_request":"r1"}"#,
        r#"{"choices":[{"index":0,"delta":{"content":"b"},"content_filter_results":{"hate":{"filtered":true}},"stop_reason":7}],"x_request":null}"#,
        r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop","content_filter_results":null}]}"#,
    ]);
    let c = completion(&out);
    assert_eq!(c["x_request"], "r1");
    assert_eq!(
        c["choices"][0]["content_filter_results"],
        json!({"hate":{"filtered":true}})
    );
    assert_eq!(c["choices"][0]["stop_reason"], 7);
    let per_chunk: Vec<String> = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ChoiceExtra { key, value, .. } if key == "content_filter_results" => {
                Some(value.to_string())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        per_chunk,
        [
            r#"{"hate":{"filtered":false}}"#,
            r#"{"hate":{"filtered":true}}"#
        ]
    );
}

#[test]
fn obfuscation_padding_is_dropped_at_chunk_and_choice_level() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"content":"a"},"obfuscation":"pad1"}],"obfuscation":"pad2"}"#,
        r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"obfuscation":"pad3"}"#,
    ]);
    let text = serde_json::to_string(&out.completion).unwrap();
    assert!(!text.contains("obfuscation"), "{text}");
    assert!(!out
        .events
        .iter()
        .any(|e| serde_json::to_string(e).unwrap().contains("obfuscation")));
}

#[test]
fn top_level_identities_come_from_the_first_chunk_that_sets_them() {
    let out = run(&[
        r#"{"id":"","object":"chat.completion.chunk","model":"","created":null,"choices":[{"index":0,"delta":{"role":"assistant"}}],"system_fingerprint":"fp_1"}"#,
        r#"{"id":"first","object":"chat.completion.chunk","model":"m-1","created":100,"service_tier":"default","choices":[{"index":0,"delta":{"content":"x"}}],"system_fingerprint":null}"#,
        r#"{"id":"second","object":"chat.completion.chunk","model":"m-2","created":200,"service_tier":"flex","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"system_fingerprint":"fp_2"}"#,
    ]);
    let c = completion(&out);
    assert_eq!(
        (
            &c["id"],
            &c["model"],
            &c["created"],
            &c["service_tier"],
            &c["system_fingerprint"]
        ),
        (
            &json!("first"),
            &json!("m-1"),
            &json!(100),
            &json!("default"),
            &json!("fp_2")
        )
    );
    assert_eq!(c["object"], "chat.completion");
}

#[test]
fn azure_prompt_filter_chunk_does_not_set_identities_but_keeps_its_fields() {
    let out = run(&[
        r#"{"id":"","choices":[],"created":0,"model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]}"#,
        r#"{"id":"chatcmpl-1","choices":[{"index":0,"delta":{"role":"assistant","content":"ok"},"finish_reason":null,"content_filter_results":{}}],"created":1700000000,"model":"gpt-4o","object":"chat.completion.chunk"}"#,
        r#"{"id":"chatcmpl-1","choices":[{"index":0,"delta":{},"finish_reason":"stop","content_filter_results":{}}],"created":1700000000,"model":"gpt-4o","object":"chat.completion.chunk"}"#,
    ]);
    let c = completion(&out);
    assert_eq!(c["id"], "chatcmpl-1");
    assert_eq!(c["model"], "gpt-4o");
    assert_eq!(c["created"], 1700000000);
    assert_eq!(
        c["prompt_filter_results"],
        json!([{"prompt_index":0,"content_filter_results":{}}])
    );
}

#[test]
fn logprobs_token_lists_are_extended() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"content":"a"},"logprobs":{"content":[{"token":"a","logprob":-0.5,"top_logprobs":[]}],"refusal":null}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"content":"b"},"logprobs":{"content":[{"token":"b","logprob":-1,"top_logprobs":[]}],"refusal":null}}]}"#,
        r#"{"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}"#,
    ]);
    assert_eq!(
        completion(&out)["choices"][0]["logprobs"],
        json!({"content":[
            {"token":"a","logprob":-0.5,"top_logprobs":[]},
            {"token":"b","logprob":-1,"top_logprobs":[]}],"refusal":null})
    );
    let deltas = out
        .events
        .iter()
        .filter(|e| e.name() == "logprobs.content.delta")
        .count();
    assert_eq!(deltas, 2);
}

#[test]
fn crlf_line_ends_with_comments_fold_like_lf() {
    let body = ": OPENROUTER PROCESSING\r\n\r\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\r\n\r\n: keep-alive\r\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" there\"},\"finish_reason\":\"stop\"}]}\r\n\r\ndata: [DONE]\r\n\r\n";
    let out = fold_every_way(body.as_bytes(), Limits::default());
    assert_eq!(message(&out, 0)["content"], "Hi there");
    assert_eq!(out.error, None);
    assert!(matches!(
        out.events.last(),
        Some(Event::End {
            verdict: Verdict::Complete,
            ..
        })
    ));
    let lf = fold_every_way(&body.replace("\r\n", "\n").into_bytes(), Limits::default());
    assert_eq!(lf.completion, out.completion);
}

#[test]
fn data_without_a_space_after_the_colon_parses() {
    let body = "data:{\"choices\":[{\"index\":0,\"delta\":{\"content\":\" x\"},\"finish_reason\":\"stop\"}]}\n\ndata:[DONE]\n\n";
    let out = fold_every_way(body.as_bytes(), Limits::default());
    assert_eq!(message(&out, 0)["content"], " x");
    assert!(out.events.iter().any(|e| matches!(
        e,
        Event::End {
            verdict: Verdict::Complete,
            ..
        }
    )));
}

#[test]
fn content_done_comes_at_the_first_tool_call_and_arguments_done_when_the_call_changes() {
    let out = run(&[
        r#"{"choices":[{"index":0,"delta":{"content":"Let me check."}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"b","type":"function","function":{"name":"g","arguments":"[1]"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
    ]);
    assert_eq!(
        event_names(&out),
        [
            "content.delta",
            "content.done",
            "tool_calls.function.start",
            "tool_calls.function.arguments.delta",
            "tool_calls.function.arguments.done",
            "tool_calls.function.start",
            "tool_calls.function.arguments.delta",
            "finish_reason",
            "tool_calls.function.arguments.done",
            "end",
        ]
    );
}

#[test]
fn done_is_exact_and_done_with_a_suffix_is_malformed() {
    let body =
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]x\n\n";
    let out = fold_every_way(body, Limits::default());
    let (kind, offset, index) = out.error.clone().expect("an error");
    assert!(kind.starts_with("Json"), "{kind}");
    assert_eq!((offset, index), (64, 1));
    assert_eq!(message(&out, 0)["content"], "a");
}
