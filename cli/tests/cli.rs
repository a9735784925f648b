//! The `streamfold` binary, run as a process.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_streamfold"))
}

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data")
}

/// The shared folder in the extra pass (see the library's tests/support).
fn shared() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("STREAMFOLD_SHARED")?);
    assert!(
        dir.join("corpus").is_dir(),
        "STREAMFOLD_SHARED names {}, which holds no corpus/",
        dir.display()
    );
    Some(dir)
}

fn corpus(name: &str) -> PathBuf {
    data().join("corpus/openai-chat").join(name)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

/// The binary with its three standard streams piped.
fn spawn_piped(args: &[&str]) -> std::process::Child {
    bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = spawn_piped(args);
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        // The child may stop reading early; a broken pipe is fine here.
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn json(out: &Output) -> Value {
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

fn status(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn expected(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(corpus(&format!("{name}.expected.json"))).unwrap())
        .unwrap()
}

const TOOLS: &str = "openai-gpt-4o-1859574ce1";
const SAMPLE: &str = "openai-gpt-4o-65d741c677";

#[test]
fn fold_prints_the_completion_the_sdk_builds() {
    let path = corpus(&format!("{TOOLS}.sse"));
    let out = run(&["fold", path.to_str().unwrap()]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let got = json(&out);
    let want = expected(TOOLS);
    assert_eq!(got["object"], "chat.completion");
    assert_eq!(got["id"], want["id"]);
    let calls = |v: &Value| -> Vec<(Value, Value, Value)> {
        v["choices"][0]["message"]["tool_calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["id"].clone(),
                    t["function"]["name"].clone(),
                    t["function"]["arguments"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(calls(&got), calls(&want));
    assert_eq!(calls(&got).len(), 2);
}

#[test]
fn the_built_in_sample_folds_to_the_recorded_answer() {
    let out = run(&["fold"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let want = expected(SAMPLE);
    assert_eq!(
        json(&out)["choices"][0]["message"]["content"],
        want["choices"][0]["message"]["content"]
    );
    let text = run(&["text"]);
    assert_eq!(status(&text), 0);
    assert_eq!(
        String::from_utf8(text.stdout).unwrap(),
        format!(
            "{}\n",
            want["choices"][0]["message"]["content"].as_str().unwrap()
        )
    );
}

#[test]
fn events_are_one_json_object_per_line_and_add_up_to_the_sdk_events() {
    let path = corpus(&format!("{TOOLS}.sse"));
    let out = run(&["events", path.to_str().unwrap()]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let events = lines(&out);
    let mut args = std::collections::BTreeMap::<u64, String>::new();
    for e in &events {
        if e["type"] == "tool_calls.function.arguments.delta" {
            assert_eq!(e["choice"], 0);
            args.entry(e["index"].as_u64().unwrap())
                .or_default()
                .push_str(e["arguments_delta"].as_str().unwrap());
        }
    }
    let mut sdk = std::collections::BTreeMap::<u64, String>::new();
    let sdk_events = std::fs::read_to_string(corpus(&format!("{TOOLS}.events.jsonl"))).unwrap();
    for l in sdk_events.lines() {
        let e: Value = serde_json::from_str(l).unwrap();
        if e["type"] == "tool_calls.function.arguments.delta" {
            sdk.entry(e["index"].as_u64().unwrap())
                .or_default()
                .push_str(e["arguments_delta"].as_str().unwrap());
        }
    }
    assert_eq!(args, sdk);
    assert_eq!(
        events.last().unwrap(),
        &serde_json::json!({"type":"end","verdict":"complete"})
    );
}

#[test]
fn standard_input_and_chunk_sizes_give_the_same_output_as_the_file() {
    let path = corpus(&format!("{TOOLS}.sse"));
    let bytes = std::fs::read(&path).unwrap();
    for command in ["fold", "events", "text", "sse"] {
        let from_file = run(&[command, path.to_str().unwrap()]);
        assert_eq!(status(&from_file), 0);
        for size in ["1", "7", "4096"] {
            let piped = run_stdin(&[command, "-", "--chunk-size", size], &bytes);
            assert_eq!(status(&piped), 0, "{command} {size}: {}", stderr(&piped));
            assert_eq!(
                piped.stdout, from_file.stdout,
                "{command} from stdin in {size}-byte pieces"
            );
        }
    }
}

#[test]
fn a_recording_folds_like_its_sse_body() {
    let mut dirs = vec![data().join("corpus/recordings")];
    if let Some(s) = shared() {
        dirs.push(s.join("corpus/recordings"));
    }
    let mut checked = 0;
    for dir in dirs {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
            // The seed sample's recording is the stream named by its hash.
            let sse_name = if stem == "openai-gpt-4o-saturn" {
                SAMPLE.to_string()
            } else {
                stem.clone()
            };
            let sse = dir.join("../openai-chat").join(format!("{sse_name}.sse"));
            if !sse.exists() {
                continue;
            }
            let a = run(&["fold", path.to_str().unwrap()]);
            let b = run(&["fold", sse.to_str().unwrap()]);
            assert_eq!(status(&a), 0, "{stem}: {}", stderr(&a));
            assert_eq!(json(&a), json(&b), "{stem}: recording vs .sse");
            let piped = run_stdin(&["fold", "-"], &std::fs::read(&path).unwrap());
            assert_eq!(json(&piped), json(&b), "{stem}: recording on stdin");
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} recordings checked");
}

#[test]
fn sse_prints_events_and_end_exactly_as_the_vectors_expect() {
    let path = shared()
        .map(|s| s.join("sse-vectors/vectors.json"))
        .unwrap_or_else(|| data().join("sse-vectors/vectors.json"));
    let cases: Vec<Value> = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    for case in &cases {
        let Some(input) = case["input"].as_str() else {
            continue; // byte inputs are covered by the library's tests
        };
        let out = run_stdin(&["sse", "-"], input.as_bytes());
        let got = lines(&out);
        let (end, events) = got.split_last().expect("at least the end line");
        assert_eq!(
            events,
            case["expected"].as_array().unwrap().as_slice(),
            "{}",
            case["name"]
        );
        assert_eq!(
            end["end"]["last_event_id"], case["expect_last_event_id"],
            "{}",
            case["name"]
        );
        if let Some(retry) = case.get("expect_retry") {
            assert_eq!(
                end["end"]["retry_ms"], retry["retry_ms"],
                "{}",
                case["name"]
            );
        }
    }
}

const GOOD: &[u8] = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}\n\n\
data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" world\"},\"finish_reason\":\"stop\"}]}\n\n";

#[test]
fn exit_status_is_0_for_a_complete_stream_with_or_without_done() {
    let mut with_done = GOOD.to_vec();
    with_done.extend_from_slice(b"data: [DONE]\n\n");
    for input in [&with_done[..], GOOD] {
        let out = run_stdin(&["fold", "-"], input);
        assert_eq!(status(&out), 0, "{}", stderr(&out));
        assert_eq!(
            json(&out)["choices"][0]["message"]["content"],
            "Hello world"
        );
    }
}

#[test]
fn exit_status_is_2_for_a_malformed_stream_and_fold_prints_the_partial() {
    let mut input = GOOD[..GOOD.len() / 2 + 10].to_vec();
    input.truncate(input.iter().position(|&b| b == b'\n').unwrap() + 2);
    input.extend_from_slice(b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":tru}}]}\n\n");
    let out = run_stdin(&["fold", "-"], &input);
    assert_eq!(status(&out), 2);
    assert_eq!(json(&out)["choices"][0]["message"]["content"], "Hello");
    let err = stderr(&out);
    assert!(
        err.contains("malformed JSON") && err.contains("event 1"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn exit_status_is_3_for_a_truncated_stream_and_fold_prints_the_partial() {
    let cut = &GOOD[..GOOD.len() - 30];
    let out = run_stdin(&["fold", "-"], cut);
    assert_eq!(status(&out), 3);
    assert_eq!(json(&out)["choices"][0]["message"]["content"], "Hello");
    assert!(stderr(&out).contains("ended early"), "{}", stderr(&out));
    let events = run_stdin(&["events", "-"], cut);
    assert_eq!(status(&events), 3);
    assert_eq!(
        lines(&events).last().unwrap(),
        &serde_json::json!({"type":"end","verdict":"truncated_inside_event"})
    );
}

#[test]
fn a_provider_error_in_the_stream_exits_2_with_its_message() {
    let mut input = GOOD[..GOOD.iter().position(|&b| b == b'\n').unwrap() + 2].to_vec();
    input.extend_from_slice(
        b"data: {\"error\":{\"message\":\"Rate limit reached\",\"type\":\"rate_limit\",\"code\":429}}\n\n",
    );
    let out = run_stdin(&["fold", "-"], &input);
    assert_eq!(status(&out), 2);
    assert!(
        stderr(&out).contains("Rate limit reached"),
        "{}",
        stderr(&out)
    );
    assert_eq!(json(&out)["choices"][0]["message"]["content"], "Hello");
}

#[test]
fn max_event_bytes_limits_one_event() {
    let path = corpus(&format!("{SAMPLE}.sse"));
    let out = run(&["fold", path.to_str().unwrap(), "--max-event-bytes", "100"]);
    assert_eq!(status(&out), 2);
    assert!(
        stderr(&out).contains("max_event_bytes = 100"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("--max-event-bytes"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn usage_and_io_errors_exit_1() {
    for args in [
        &[][..],
        &["unfold"],
        &["fold", "--chunk-size", "x"],
        &["fold", "/no/such/file"],
    ] {
        let out = run(args);
        assert_eq!(status(&out), 1, "{args:?}");
        assert_eq!(
            stderr(&out).lines().count(),
            1,
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let help = run(&["--help"]);
    assert_eq!(status(&help), 0);
    assert!(String::from_utf8_lossy(&help.stdout).contains("Usage: streamfold"));
}

fn manifest(name: &str) -> Value {
    let text = std::fs::read_to_string(data().join("corpus/openai-chat/manifest.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in the manifest"))
}

#[test]
fn stats_prints_the_timing_and_counts_as_one_object() {
    let out = run(&["stats"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let stats = json(&out);
    let m = manifest(SAMPLE);
    // Every chunk plus `[DONE]`; content deltas without the empty one.
    assert_eq!(stats["events"], m["n_chunks"].as_u64().unwrap() + 1);
    assert_eq!(
        stats["content_deltas"],
        m["content_deltas"].as_u64().unwrap() - m["empty_string_content_deltas"].as_u64().unwrap()
    );
    assert_eq!(
        stats["output_tokens"],
        expected(SAMPLE)["usage"]["completion_tokens"]
    );
    for key in ["ttfb_ms", "ttft_ms", "e2e_ms", "tokens_per_s"] {
        assert!(
            stats[key].as_f64().is_some_and(|v| v >= 0.0),
            "{key}: {stats}"
        );
    }
    for key in ["ttft_reasoning_ms", "ttft_tool_ms"] {
        assert!(stats[key].is_null(), "{key}: {stats}");
    }
    for key in ["p50", "p90", "p99", "max"] {
        assert!(
            stats["itl_ms"][key].as_f64().is_some(),
            "itl {key}: {stats}"
        );
    }
    assert_eq!(stats["verdict"], "complete");
}

#[test]
fn stats_times_are_taken_when_the_bytes_are_read() {
    // The content arrives 600 ms after the role chunk. The clock starts when
    // the child starts reading, which may lag the first write a little:
    // TTFT is at least 600 ms minus that lag (allowed up to 300 ms).
    let mut child = spawn_piped(&["stats", "-"]);
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n")
        .unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(600));
    stdin.write_all(GOOD).unwrap();
    stdin.write_all(b"data: [DONE]\n\n").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let stats = json(&out);
    let (ttfb, ttft, e2e) = (
        stats["ttfb_ms"].as_f64().unwrap(),
        stats["ttft_ms"].as_f64().unwrap(),
        stats["e2e_ms"].as_f64().unwrap(),
    );
    assert!(ttft >= 300.0, "{stats}");
    assert!(ttft - ttfb >= 300.0, "{stats}");
    assert!(ttfb < ttft && ttft <= e2e, "{stats}");
    assert_eq!(stats["content_deltas"], 2);
    assert!(stats["output_tokens"].is_null());
}

#[test]
fn stats_exit_statuses_follow_fold() {
    let out = run_stdin(&["stats", "-"], &GOOD[..GOOD.len() - 30]);
    assert_eq!(status(&out), 3);
    assert_eq!(json(&out)["verdict"], "truncated_inside_event");
}

/// Applies one op in its JSON form (`{"op":"set","path":P,"value":V}`,
/// `{"op":"append","path":P,"text":T}`) to `root`.
fn apply_json_op(root: &mut Value, op: &Value) {
    let path = op["path"].as_array().unwrap();
    let mut node = root;
    let (last, parents) = match path.split_last() {
        Some((last, parents)) => (Some(last), parents),
        None => (None, &[][..]),
    };
    for seg in parents {
        node = match seg {
            Value::String(k) => node.get_mut(k.as_str()).unwrap(),
            _ => node.get_mut(seg.as_u64().unwrap() as usize).unwrap(),
        };
    }
    match op["op"].as_str().unwrap() {
        "set" => {
            let value = op["value"].clone();
            match last {
                None => *node = value,
                Some(Value::String(k)) => {
                    node.as_object_mut().unwrap().insert(k.clone(), value);
                }
                Some(i) => {
                    let items = node.as_array_mut().unwrap();
                    let i = i.as_u64().unwrap() as usize;
                    assert!(i <= items.len(), "an element after the next one");
                    if i == items.len() {
                        items.push(value);
                    } else {
                        items[i] = value;
                    }
                }
            }
        }
        "append" => {
            if let Some(seg) = last {
                node = match seg {
                    Value::String(k) => node.get_mut(k.as_str()).unwrap(),
                    _ => node.get_mut(seg.as_u64().unwrap() as usize).unwrap(),
                };
            }
            let Value::String(s) = node else {
                panic!("append to {node}");
            };
            s.push_str(op["text"].as_str().unwrap());
        }
        other => panic!("unknown op {other}"),
    }
}

#[test]
fn events_partial_json_prints_the_ops_that_rebuild_each_calls_arguments() {
    let path = corpus(&format!("{TOOLS}.sse"));
    let path = path.to_str().unwrap();
    let out = run(&["events", "--partial-json", path]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let events = lines(&out);
    let mut values = std::collections::BTreeMap::<u64, Value>::new();
    let mut partial = 0;
    for (i, e) in events.iter().enumerate() {
        if e["type"] == "tool_calls.function.arguments.partial" {
            partial += 1;
            let prev = &events[i - 1];
            assert_eq!(prev["type"], "tool_calls.function.arguments.delta");
            assert_eq!(prev["index"], e["index"], "right after its call's delta");
            let value = values.entry(e["index"].as_u64().unwrap()).or_default();
            for op in e["ops"].as_array().unwrap() {
                apply_json_op(value, op);
            }
        }
    }
    assert!(partial > 0, "no partial events");
    let want = expected(TOOLS);
    let calls = want["choices"][0]["message"]["tool_calls"]
        .as_array()
        .unwrap();
    assert_eq!(values.len(), calls.len());
    for t in calls {
        let args: Value =
            serde_json::from_str(t["function"]["arguments"].as_str().unwrap()).unwrap();
        assert_eq!(values[&t["index"].as_u64().unwrap()], args);
    }
    // Split anywhere, the same lines; without the flag, none of them.
    let one_byte = run(&["events", "--partial-json", "--chunk-size", "1", path]);
    assert_eq!(one_byte.stdout, out.stdout);
    let plain = lines(&run(&["events", path]));
    let without: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] != "tool_calls.function.arguments.partial")
        .collect();
    assert_eq!(without, plain.iter().collect::<Vec<_>>());
}

#[test]
fn events_partial_json_content_prints_the_ops_of_a_json_content() {
    let content = r#"{"title": "Dune", "year": 1965}"#;
    let mut body = String::new();
    for piece in content.as_bytes().chunks(4) {
        let piece = std::str::from_utf8(piece).unwrap();
        let chunk = serde_json::json!({"object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": piece}}]});
        body.push_str(&format!("data: {chunk}\n\n"));
    }
    let stop = serde_json::json!({"object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]});
    body.push_str(&format!("data: {stop}\n\ndata: [DONE]\n\n"));
    let path = std::env::temp_dir().join(format!(
        "streamfold-json-content-{}.sse",
        std::process::id()
    ));
    std::fs::write(&path, &body).unwrap();
    let path = path.to_str().unwrap();
    let out = run(&["events", "--partial-json-content", path]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let mut value = Value::Null;
    let mut partial = 0;
    for e in lines(&out) {
        if e["type"] == "content.partial" {
            partial += 1;
            for op in e["ops"].as_array().unwrap() {
                apply_json_op(&mut value, op);
            }
        }
    }
    assert!(partial > 2, "{partial} partial events");
    assert_eq!(value, serde_json::json!({"title": "Dune", "year": 1965}));
    let plain = lines(&run(&["events", path]));
    assert!(plain.iter().all(|e| e["type"] != "content.partial"));
}
