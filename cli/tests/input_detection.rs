//! What the view commands take for a llama-stack recording and what for a
//! stream: only one JSON document with a `response` object is a recording.
//! An Ollama NDJSON stream and an HTTP error body start with `{` too, and
//! are folded as streams, from a file or from standard input.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_streamfold"))
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(name)
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

/// `bytes` written to a scratch file, then `args` with its path appended.
fn run_file(args: &[&str], name: &str, bytes: &[u8]) -> Output {
    let dir = std::env::temp_dir().join(format!("streamfold-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    bin().args(args).arg(&path).output().unwrap()
}

fn status(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}): {}; stderr: {}",
            String::from_utf8_lossy(&out.stdout),
            stderr(out)
        )
    })
}

/// An HTTP error body is reported as the provider's error (exit 2, its
/// message on stderr), whether piped or read from a file, and not as a
/// broken recording.
fn assert_provider_error(body: &[u8], message: &str) {
    for (how, out) in [
        ("stdin", run_stdin(&["fold", "-"], body)),
        ("file", run_file(&["fold"], "error.json", body)),
    ] {
        let err = stderr(&out);
        assert_eq!(status(&out), 2, "{how}: {err}");
        assert!(err.contains(message), "{how}: {err}");
        assert!(!err.contains("recording"), "{how}: {err}");
        assert!(!err.contains("ended early"), "{how}: {err}");
    }
}

#[test]
fn an_openai_http_error_body_is_the_providers_error() {
    assert_provider_error(
        br#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#,
        "Rate limit reached",
    );
}

#[test]
fn an_anthropic_http_error_body_is_the_providers_error() {
    assert_provider_error(
        b"{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n",
        "Overloaded",
    );
}

/// The lines' `message.<field>` strings, concatenated (serde_json's reading
/// of the input, not ours).
fn joined(ndjson: &[u8], field: &str) -> String {
    std::str::from_utf8(ndjson)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter_map(|v| v["message"][field].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn an_ollama_ndjson_stream_folds_from_stdin_and_from_a_file() {
    let bytes = std::fs::read(data("formats/ollama-chat-thinking-tools.ndjson")).unwrap();
    let last: Value =
        serde_json::from_str(std::str::from_utf8(&bytes).unwrap().lines().last().unwrap()).unwrap();
    for (how, out) in [
        ("stdin", run_stdin(&["fold", "-"], &bytes)),
        (
            "stdin, 7-byte pieces",
            run_stdin(&["fold", "-", "--chunk-size", "7"], &bytes),
        ),
        ("file", run_file(&["fold"], "chat.ndjson", &bytes)),
    ] {
        assert_eq!(status(&out), 0, "{how}: {}", stderr(&out));
        let v = json(&out);
        assert_eq!(v["message"]["content"], joined(&bytes, "content"), "{how}");
        assert_eq!(
            v["message"]["thinking"],
            joined(&bytes, "thinking"),
            "{how}"
        );
        assert_eq!(v["done_reason"], last["done_reason"], "{how}");
        assert_eq!(v["eval_count"], last["eval_count"], "{how}");
    }
}

#[test]
fn a_single_ollama_generate_line_with_a_response_string_is_a_stream() {
    let line = b"{\"model\":\"m\",\"response\":\"Hi\",\"done\":true,\"done_reason\":\"stop\"}\n";
    let out = run_stdin(&["fold", "-"], line);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["response"], "Hi");
}

const CHUNK: &str = "openai.types.chat.chat_completion_chunk.ChatCompletionChunk";

/// A pretty-printed recording whose numbers serde_json's default float
/// parser or printer would not keep as written.
fn recording_with_awkward_numbers() -> String {
    format!(
        r#"{{
  "request": {{ "method": "POST", "body": {{ "stream": true }} }},
  "response": {{
    "body": [
      {{
        "__type__": "{CHUNK}",
        "__data__": {{
          "id": "c1", "object": "chat.completion.chunk", "created": 1.7e9,
          "model": "m",
          "choices": [ {{
            "index": 0,
            "delta": {{ "role": "assistant", "content": "Hi \"there\"\n" }},
            "logprobs": {{ "content": [ {{
              "token": "Hi", "logprob": -0.000123456789012345,
              "bytes": [72, 105], "top_logprobs": []
            }} ] }},
            "finish_reason": null
          }} ]
        }}
      }},
      {{
        "__type__": "{CHUNK}",
        "__data__": {{
          "id": "c1", "object": "chat.completion.chunk", "created": 1.7e9,
          "model": "m",
          "choices": [ {{ "index": 0, "delta": {{}}, "logprobs": null, "finish_reason": "stop" }} ],
          "usage": {{ "prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5,
                      "x_rate": 0.30000000000000004 }}
        }}
      }}
    ],
    "is_streaming": true
  }}
}}"#
    )
}

#[test]
fn a_recording_keeps_its_numbers_exactly() {
    let text = recording_with_awkward_numbers();
    let recorded: Value = serde_json::from_str(&text).unwrap();
    let chunks = recorded["response"]["body"].as_array().unwrap();

    // The rebuilt SSE: each chunk's data is the recorded chunk, its number
    // tokens as written.
    let out = run_file(&["sse"], "numbers.json", text.as_bytes());
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let lines: Vec<Value> = std::str::from_utf8(&out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let data: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["data"].as_str())
        .filter(|d| *d != "[DONE]")
        .collect();
    assert_eq!(data.len(), chunks.len());
    for (d, chunk) in data.iter().zip(chunks) {
        assert_eq!(
            &serde_json::from_str::<Value>(d).unwrap(),
            &chunk["__data__"]
        );
        assert!(d.contains("\"created\":1.7e9"), "{d}");
    }
    assert!(data[0].contains("\"logprob\":-0.000123456789012345"));
    assert!(data[1].contains("\"x_rate\":0.30000000000000004"));

    // The final completion holds the same values, piped or from the file.
    for (how, out) in [
        ("file", run_file(&["fold"], "numbers.json", text.as_bytes())),
        ("stdin", run_stdin(&["fold", "-"], text.as_bytes())),
    ] {
        assert_eq!(status(&out), 0, "{how}: {}", stderr(&out));
        let v = json(&out);
        let c0 = &chunks[0]["__data__"];
        assert_eq!(v["created"].as_f64(), c0["created"].as_f64(), "{how}");
        assert_eq!(
            v["choices"][0]["logprobs"]["content"][0]["logprob"].as_f64(),
            c0["choices"][0]["logprobs"]["content"][0]["logprob"].as_f64(),
            "{how}"
        );
        assert_eq!(
            v["usage"]["x_rate"].as_f64(),
            chunks[1]["__data__"]["usage"]["x_rate"].as_f64(),
            "{how}"
        );
        assert_eq!(v["choices"][0]["message"]["content"], "Hi \"there\"\n");
    }
}
