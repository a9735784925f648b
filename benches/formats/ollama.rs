//! The `ollama` groups: NDJSON of `/api/chat` (thinking, text, tool calls)
//! and `/api/generate` (a `done` line with a long `context`).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};

use super::corpus::READ;
use super::peers;
use super::synthetic::{
    configure_flat as configure, events, json_str, same_text, streamfold_fold, Rng, TOKENS,
};

// Ollama

struct OllamaExpect {
    text: String,
    thinking: String,
    tool_arguments: Vec<String>,
    done_reason: String,
    eval_count: u64,
}

struct OllamaStream {
    name: &'static str,
    bytes: Vec<u8>,
    expect: OllamaExpect,
}

const CREATED_AT: &str = "2025-05-27T22:54:57.641643Z";

/// `/api/chat`: a fifth of the lines `message.thinking`, the rest
/// `message.content`, then two whole tool calls and the `done` line.
fn ollama_chat(lines: usize) -> OllamaStream {
    let mut rng = Rng(0x0001_1A3A);
    let (mut bytes, mut text, mut thinking) = (Vec::new(), String::new(), String::new());
    for k in 0..lines {
        let token = rng.pick(&TOKENS);
        let message = if k < lines / 5 {
            thinking.push_str(token);
            format!(
                "{{\"role\":\"assistant\",\"content\":\"\",\"thinking\":{}}}",
                json_str(token)
            )
        } else {
            text.push_str(token);
            format!("{{\"role\":\"assistant\",\"content\":{}}}", json_str(token))
        };
        bytes.extend_from_slice(
            format!("{{\"model\":\"qwen3\",\"created_at\":\"{CREATED_AT}\",\"message\":{message},\"done\":false}}\n")
                .as_bytes(),
        );
    }
    let calls = [
        r#"{"format":"celsius","location":"Toronto"}"#,
        r#"{"format":"celsius","location":"Paris"}"#,
    ];
    for args in calls {
        bytes.extend_from_slice(
            format!(
                "{{\"model\":\"qwen3\",\"created_at\":\"{CREATED_AT}\",\"message\":{{\"role\":\"assistant\",\"content\":\"\",\
                 \"tool_calls\":[{{\"function\":{{\"name\":\"get_current_weather\",\"arguments\":{args}}}}}]}},\"done\":false}}\n"
            )
            .as_bytes(),
        );
    }
    let eval = lines as u64 + 2;
    bytes.extend_from_slice(
        format!(
            "{{\"model\":\"qwen3\",\"created_at\":\"{CREATED_AT}\",\"message\":{{\"role\":\"assistant\",\"content\":\"\"}},\
             \"done_reason\":\"stop\",\"done\":true,\"total_duration\":182242375,\"load_duration\":41295167,\
             \"prompt_eval_count\":169,\"prompt_eval_duration\":24573166,\"eval_count\":{eval},\"eval_duration\":115959084}}\n"
        )
        .as_bytes(),
    );
    OllamaStream {
        name: "chat",
        bytes,
        expect: OllamaExpect {
            text,
            thinking,
            tool_arguments: calls.iter().map(|s| s.to_string()).collect(),
            done_reason: "stop".into(),
            eval_count: eval,
        },
    }
}

/// `/api/generate`: `response` lines, then the `done` line with a
/// 2,000-token `context`.
fn ollama_generate(lines: usize) -> OllamaStream {
    let mut rng = Rng(0x6E4E_7A7E);
    let (mut bytes, mut text) = (Vec::new(), String::new());
    for _ in 0..lines {
        let token = rng.pick(&TOKENS);
        text.push_str(token);
        bytes.extend_from_slice(
            format!(
                "{{\"model\":\"llama3.2\",\"created_at\":\"{CREATED_AT}\",\"response\":{},\"done\":false}}\n",
                json_str(token)
            )
            .as_bytes(),
        );
    }
    let context: Vec<String> = (0..2000u64)
        .map(|i| (i * 7919 % 128_000).to_string())
        .collect();
    let eval = lines as u64;
    bytes.extend_from_slice(
        format!(
            "{{\"model\":\"llama3.2\",\"created_at\":\"{CREATED_AT}\",\"response\":\"\",\"done\":true,\
             \"done_reason\":\"length\",\"context\":[{}],\"total_duration\":10706818083,\"load_duration\":6338219291,\
             \"prompt_eval_count\":26,\"prompt_eval_duration\":130079000,\"eval_count\":{eval},\"eval_duration\":4232710000}}\n",
            context.join(",")
        )
        .as_bytes(),
    );
    OllamaStream {
        name: "generate",
        bytes,
        expect: OllamaExpect {
            text,
            thinking: String::new(),
            tool_arguments: Vec::new(),
            done_reason: "length".into(),
            eval_count: eval,
        },
    }
}

impl OllamaExpect {
    fn check(
        &self,
        text: &str,
        thinking: &str,
        args: &[String],
        reason: Option<&str>,
        eval: Option<u64>,
    ) {
        same_text(text, &self.text, "text");
        same_text(thinking, &self.thinking, "thinking");
        assert_eq!(args, self.tool_arguments, "tool arguments");
        assert_eq!(reason, Some(self.done_reason.as_str()), "done_reason");
        assert_eq!(eval, Some(self.eval_count), "eval_count");
    }

    fn check_streamfold(&self, done: streamfold::Final) {
        let r = done.into_ollama().expect("an Ollama response");
        let args: Vec<String> = r
            .tool_calls()
            .iter()
            .map(|t| serde_json::to_string(&t.function.arguments).unwrap())
            .collect();
        self.check(
            r.text(),
            r.thinking().unwrap_or(""),
            &args,
            r.done_reason.as_deref(),
            r.eval_count,
        );
        assert!(r.done);
    }

    fn check_peer(&self, f: &peers::ollama_serde::Folded) {
        let args: Vec<String> = f.tool_calls.iter().map(|(_, a)| a.clone()).collect();
        self.check(
            &f.text,
            &f.thinking,
            &args,
            f.done_reason.as_deref(),
            f.eval_count,
        );
        assert!(f.done);
    }
}

pub fn ollama(c: &mut Criterion) {
    let n = events();
    for s in [ollama_chat(n), ollama_generate(n)] {
        // Full comparisons, once.
        let r = streamfold_fold(&s.bytes, READ).into_ollama().unwrap();
        let peer = peers::ollama_serde::fold(s.bytes.chunks(READ)).unwrap();
        assert_eq!(r.text(), s.expect.text, "{}: streamfold text", s.name);
        assert_eq!(peer.text, s.expect.text, "{}: peer text", s.name);
        assert_eq!(r.thinking().unwrap_or(""), s.expect.thinking, "{}", s.name);
        assert_eq!(peer.thinking, s.expect.thinking, "{}", s.name);
        let mut group = c.benchmark_group(format!("ollama_{}", s.name));
        configure(&mut group, s.bytes.len() as u64);
        group.bench_function(BenchmarkId::from_parameter("streamfold"), |b| {
            b.iter(|| {
                s.expect
                    .check_streamfold(streamfold_fold(black_box(&s.bytes), READ))
            })
        });
        group.bench_function(BenchmarkId::from_parameter("memchr_serde_json"), |b| {
            b.iter(|| {
                let f = peers::ollama_serde::fold(black_box(&s.bytes[..]).chunks(READ)).unwrap();
                s.expect.check_peer(&f);
            })
        });
        let newlines = s.bytes.iter().filter(|&&b| b == b'\n').count();
        group.bench_function(BenchmarkId::from_parameter("floor_memchr_newlines"), |b| {
            b.iter(|| {
                let count = peers::memchr_lines::count(black_box(&s.bytes[..]).chunks(READ));
                assert_eq!(count, newlines);
            })
        });
        group.finish();
    }
}
