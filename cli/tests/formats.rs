//! `fold`, `events`, `text` and `stats` on streams of every wire format:
//! `fold` prints the format's own final object (equal by value to the
//! SDK's, `NAME.expected.json`, where the corpus has one; else to what a
//! naive reading of the stream with serde_json gives), `text` the content
//! text, `events` the one vocabulary, `stats` the normalized usage; a
//! stream cut short exits 3 and one with the format's in-band error exits
//! 2, `fold` printing the partial either way.

mod support;

#[path = "../../tests/support/json.rs"]
#[allow(dead_code)]
mod json;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use serde_json::Value;
use support::{bin, data};

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn status(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn read_json(path: &Path) -> Option<Value> {
    Some(serde_json::from_slice(&std::fs::read(path).ok()?).unwrap())
}

/// The texts of the blocks of `kind` in a list.
fn texts(items: &Value, kind: &str) -> String {
    items
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|b| b["type"] == kind)
                .filter_map(|b| b["text"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

/// The content text of an SDK's final object, read as the SDK reads it.
fn sdk_text(format: &str, v: &Value) -> String {
    match format {
        "openai-chat" => v["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        "openai-responses" => v["output"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["type"] == "message")
            .map(|i| texts(&i["content"], "output_text"))
            .collect(),
        "anthropic-messages" => texts(&v["content"], "text"),
        "gemini" => v["candidates"][0]["content"]["parts"]
            .as_array()
            .map(|parts| {
                parts
                    .iter()
                    .filter(|p| p["thought"] != true)
                    .filter_map(|p| p["text"].as_str())
                    .collect()
            })
            .unwrap_or_default(),
        other => unreachable!("{other}"),
    }
}

/// The output tokens of an SDK's final object's usage.
fn sdk_output_tokens(format: &str, v: &Value) -> Option<u64> {
    match format {
        "openai-chat" => v["usage"]["completion_tokens"].as_u64(),
        "openai-responses" | "anthropic-messages" => v["usage"]["output_tokens"].as_u64(),
        "gemini" => {
            let u = &v["usageMetadata"];
            let c = u["candidatesTokenCount"].as_u64();
            let t = u["thoughtsTokenCount"].as_u64();
            match (c, t) {
                (None, None) => None,
                (c, t) => Some(c.unwrap_or(0) + t.unwrap_or(0)),
            }
        }
        other => unreachable!("{other}"),
    }
}

/// The corpus streams of `dir` that the SDK finished (with an
/// `expected.json`), each with that object (the beta helper's where it
/// differs, as the library's fold follows it).
fn corpus(dir: &str) -> Vec<(PathBuf, Value)> {
    let dir = data().join("corpus").join(dir);
    let mut out: Vec<(PathBuf, Value)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sse"))
        .filter_map(|p| {
            let stem = p.file_stem().unwrap().to_str().unwrap().to_string();
            let want = read_json(&dir.join(format!("{stem}.expected-beta.json")))
                .or_else(|| read_json(&dir.join(format!("{stem}.expected.json"))))?;
            Some((p, want))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The views of one stream agree with its SDK's final object.
fn check_views(format: &str, path: &Path, want: &Value) {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let p = path.to_str().unwrap();
    let fold = run(&["fold", p]);
    assert_eq!(status(&fold), 0, "{name}: {}", stderr(&fold));
    let got = json_of(&fold);
    let diffs = json::diff_by_value(&got, want);
    assert!(
        diffs.is_empty(),
        "{name}: fold differs from the SDK's final object:\n{}",
        diffs.join("\n")
    );
    let forced = run(&["fold", "--format", format, p]);
    assert_eq!(forced.stdout, fold.stdout, "{name}: --format {format}");

    let text = sdk_text(format, want);
    let printed = run(&["text", p]);
    assert_eq!(status(&printed), 0, "{name}");
    let printed = String::from_utf8(printed.stdout).unwrap();
    if text.is_empty() {
        assert_eq!(printed, "", "{name}");
    } else {
        assert_eq!(printed, format!("{text}\n"), "{name}: text");
    }

    let events = run(&["events", p]);
    assert_eq!(status(&events), 0, "{name}");
    let events = lines(&events);
    let deltas: String = events
        .iter()
        .filter(|e| e["type"] == "content.delta" && e["choice"] == 0)
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(deltas, text, "{name}: content deltas");
    assert_eq!(
        events.last().unwrap(),
        &serde_json::json!({"type": "end", "verdict": "complete"}),
        "{name}"
    );

    let stats = run(&["stats", p]);
    assert_eq!(status(&stats), 0, "{name}");
    let stats = json_of(&stats);
    assert_eq!(stats["verdict"], "complete", "{name}");
    let content_deltas = events
        .iter()
        .filter(|e| e["type"] == "content.delta" && e["delta"] != "")
        .count();
    assert_eq!(stats["content_deltas"], content_deltas as u64, "{name}");
    assert_eq!(
        stats["output_tokens"].as_u64(),
        sdk_output_tokens(format, want),
        "{name}: output tokens from the normalized usage"
    );
    if !text.is_empty() {
        assert!(stats["ttft_content_ms"].as_f64().is_some(), "{name}");
    }
}

#[test]
fn responses_streams_fold_to_the_sdks_final_response_in_every_view() {
    let streams = corpus("openai-responses");
    assert!(streams.len() >= 8);
    for (path, want) in &streams {
        check_views("openai-responses", path, want);
    }
}

#[test]
fn anthropic_streams_fold_to_the_sdks_final_message_in_every_view() {
    let streams = corpus("anthropic-messages");
    assert!(streams.len() >= 10);
    for (path, want) in &streams {
        check_views("anthropic-messages", path, want);
    }
}

#[test]
fn gemini_streams_fold_to_the_reference_merge_in_every_view() {
    let streams = corpus("gemini-sse");
    assert!(streams.len() >= 7);
    for (path, want) in &streams {
        check_views("gemini", path, want);
    }
}

#[test]
fn the_chat_sample_folds_to_the_sdks_completion_in_every_view() {
    let dir = data().join("corpus/openai-chat");
    let path = dir.join("openai-gpt-4o-65d741c677.sse");
    let want = read_json(&dir.join("openai-gpt-4o-65d741c677.expected.json")).unwrap();
    check_views("openai-chat", &path, &want);
}

/// The stream's JSON values, read naively (SSE `data:` lines, or NDJSON
/// lines), `[DONE]` left out.
fn naive_values(bytes: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(bytes).unwrap();
    text.lines()
        .map(|l| l.strip_prefix("data: ").unwrap_or(l))
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn legacy_completions_streams_fold_to_their_texts_in_every_view() {
    for name in [
        "completions-openai-instruct.sse",
        "completions-vllm-n2-logprobs.sse",
    ] {
        let path = data().join("formats").join(name);
        let p = path.to_str().unwrap();
        let values = naive_values(&std::fs::read(&path).unwrap());
        let text_of = |index: u64| -> String {
            values
                .iter()
                .flat_map(|v| v["choices"].as_array().unwrap())
                .filter(|c| c["index"] == index)
                .map(|c| c["text"].as_str().unwrap())
                .collect()
        };
        let fold = run(&["fold", p]);
        assert_eq!(status(&fold), 0, "{name}: {}", stderr(&fold));
        let got = json_of(&fold);
        assert_eq!(got["object"], "text_completion", "{name}");
        let choices = got["choices"].as_array().unwrap();
        for c in choices {
            let i = c["index"].as_u64().unwrap();
            assert_eq!(c["text"], text_of(i), "{name}: choice {i}");
        }
        let forced = run(&["fold", "--format", "openai-completions", p]);
        assert_eq!(forced.stdout, fold.stdout, "{name}");
        let printed = run(&["text", p]);
        // `text` follows the first choice that speaks.
        let first = values
            .iter()
            .flat_map(|v| v["choices"].as_array().unwrap())
            .find(|c| c["text"] != "")
            .map(|c| c["index"].as_u64().unwrap())
            .unwrap();
        assert_eq!(
            String::from_utf8(printed.stdout).unwrap(),
            format!("{}\n", text_of(first)),
            "{name}"
        );
        let events = lines(&run(&["events", p]));
        assert_eq!(events.last().unwrap()["verdict"], "complete", "{name}");
        let stats = json_of(&run(&["stats", p]));
        let usage = values.iter().rev().find_map(|v| v["usage"].as_object());
        assert_eq!(
            stats["output_tokens"].as_u64(),
            usage.and_then(|u| u["completion_tokens"].as_u64()),
            "{name}"
        );
    }
}

#[test]
fn ollama_streams_fold_to_their_texts_in_every_view() {
    for name in [
        "ollama-chat-thinking-tools.ndjson",
        "ollama-generate-thinking-context.ndjson",
    ] {
        let path = data().join("formats").join(name);
        let p = path.to_str().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let values = naive_values(&bytes);
        let content: String = values
            .iter()
            .filter_map(|v| v["message"]["content"].as_str().or(v["response"].as_str()))
            .collect();
        let last = values.last().unwrap();
        let fold = run(&["fold", p]);
        assert_eq!(status(&fold), 0, "{name}: {}", stderr(&fold));
        let got = json_of(&fold);
        let folded = got["message"]["content"]
            .as_str()
            .or(got["response"].as_str())
            .unwrap();
        assert_eq!(folded, content, "{name}");
        assert_eq!(got["done_reason"], last["done_reason"], "{name}");
        assert_eq!(got["eval_count"], last["eval_count"], "{name}");
        let forced = run(&["fold", "--format", "ollama", p]);
        assert_eq!(forced.stdout, fold.stdout, "{name}");
        let printed = run(&["text", p]);
        assert_eq!(
            String::from_utf8(printed.stdout).unwrap(),
            format!("{content}\n"),
            "{name}"
        );
        // From standard input in small pieces: the same.
        let piped = run_stdin(&["text", "-", "--chunk-size", "7"], &bytes);
        assert_eq!(status(&piped), 0, "{name}: {}", stderr(&piped));
        assert_eq!(
            String::from_utf8(piped.stdout).unwrap(),
            format!("{content}\n")
        );
        let events = lines(&run(&["events", p]));
        assert_eq!(events.last().unwrap()["verdict"], "complete", "{name}");
        let stats = json_of(&run(&["stats", p]));
        assert_eq!(stats["output_tokens"], last["eval_count"], "{name}");
        assert_eq!(stats["verdict"], "complete", "{name}");
    }
}

/// One stream of each format, and its in-band error as the provider sends
/// it (written here from the providers' documentation, not from the
/// command's table).
fn one_of_each() -> Vec<(&'static str, PathBuf, &'static str, &'static str)> {
    let d = data();
    vec![
        (
            "openai-chat",
            d.join("corpus/openai-chat/openai-gpt-4o-65d741c677.sse"),
            "data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}\n\n",
            "The server had an error",
        ),
        (
            "openai-completions",
            d.join("formats/completions-openai-instruct.sse"),
            "data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}\n\n",
            "The server had an error",
        ),
        (
            "openai-responses",
            d.join("corpus/openai-responses/openai-gpt-4o-2024-08-06-0368d3e425.sse"),
            "event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\"Something went wrong\",\"param\":null}\n\n",
            "Something went wrong",
        ),
        (
            "anthropic-messages",
            d.join("corpus/anthropic-messages/anthropic-claude-sonnet-4-5-20250929-7109ee1a32.sse"),
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
            "Overloaded",
        ),
        (
            "gemini",
            d.join("corpus/gemini-sse/gemini-gemini-2.5-flash-7fc9d43094.sse"),
            "data: {\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":\"UNAVAILABLE\"}}\n\n",
            "The model is overloaded.",
        ),
        (
            "ollama",
            d.join("formats/ollama-chat-thinking-tools.ndjson"),
            "{\"error\":\"an error was encountered while running the model\"}\n",
            "an error was encountered",
        ),
    ]
}

/// What ends an event (SSE, LF or CRLF) or a line (NDJSON).
fn separator(text: &str) -> &'static str {
    if text.trim_start().starts_with('{') {
        "\n"
    } else if text.contains("\r\n\r\n") {
        "\r\n\r\n"
    } else {
        "\n\n"
    }
}

/// The first `n` events (SSE) or lines (NDJSON) of a stream.
fn first_events(bytes: &[u8], n: usize) -> Vec<u8> {
    let text = std::str::from_utf8(bytes).unwrap();
    let sep = separator(text);
    let mut out = String::new();
    for part in text.split_inclusive(sep).take(n) {
        out.push_str(part);
    }
    out.into_bytes()
}

#[test]
fn every_format_exits_3_when_cut_short_and_2_on_its_in_band_error_with_the_partial() {
    for (format, path, error, message) in one_of_each() {
        let bytes = std::fs::read(&path).unwrap();
        // Enough events for some text, not the end.
        let events = {
            let text = std::str::from_utf8(&bytes).unwrap();
            text.matches(separator(text)).count()
        };
        let head = first_events(&bytes, events / 2 + 1);
        let cut = run_stdin(&["fold", "-"], &head);
        assert_eq!(status(&cut), 3, "{format}: {}", stderr(&cut));
        let partial = json_of(&cut);
        assert!(
            partial.is_object() && partial != serde_json::json!({}),
            "{format}"
        );
        let forced = run_stdin(&["fold", "--format", format, "-"], &head);
        assert_eq!(status(&forced), 3, "{format}");
        assert_eq!(forced.stdout, cut.stdout, "{format}");
        let stats = run_stdin(&["stats", "-"], &head);
        assert_eq!(status(&stats), 3, "{format}");
        // The text printed so far is the partial's.
        let text = run_stdin(&["text", "-"], &head);
        assert_eq!(status(&text), 3, "{format}");

        let mut failed = head.clone();
        failed.extend_from_slice(error.as_bytes());
        let out = run_stdin(&["fold", "-"], &failed);
        assert_eq!(status(&out), 2, "{format}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{format}: {}", stderr(&out));
        assert_eq!(json_of(&out), partial, "{format}: the same partial");
        let events = run_stdin(&["events", "-"], &failed);
        assert_eq!(status(&events), 2, "{format}");
    }
}

#[test]
fn the_built_in_sample_of_each_format_folds_without_error() {
    for (format, path, _, _) in one_of_each() {
        let sample = run(&["fold", "--format", format]);
        assert_eq!(status(&sample), 0, "{format}: {}", stderr(&sample));
        // The sample is a stream of the project's test data.
        let file = run(&["fold", path.to_str().unwrap()]);
        if format != "openai-chat" {
            assert_eq!(sample.stdout, file.stdout, "{format}");
        }
        let detected = run_stdin(&["fold", "-"], &std::fs::read(&path).unwrap());
        assert_eq!(detected.stdout, file.stdout, "{format}: detected");
    }
}

#[test]
fn a_stream_of_another_format_than_the_one_named_exits_2() {
    let path = data().join("corpus/gemini-sse/gemini-gemini-2.5-flash-7fc9d43094.sse");
    let out = run(&[
        "fold",
        "--format",
        "anthropic-messages",
        path.to_str().unwrap(),
    ]);
    assert_eq!(status(&out), 2, "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}
