//! Throughput of the wire formats other than OpenAI chat, each beside a peer
//! that does what a Rust user would write for it: memchr framing + serde_json
//! into borrowed structs of the format's types + a minimal fold
//! (`peers/completions_serde.rs`, `peers/ollama_serde.rs`), and the memchr
//! newline-count floor, measured in the same run so the report reads as
//! ratios. `Throughput::Bytes` is the stream's length; reads are 4 KiB; every
//! benchmark checks its result inside the measured closure.
//!
//! Each format keeps its own group functions (and its own synthetic streams,
//! deterministic, shaped like the format's documented output):
//!
//! - `completions`: legacy `/v1/completions` as vLLM streams it: `text` (one
//!   token a chunk, usage in a last `"choices": []` chunk) and `logprobs`
//!   (`n = 2`, choices interleaved, `logprobs = 2`: four lists a chunk).
//! - `ollama`: Ollama's NDJSON: `chat` (`message.thinking`, then
//!   `message.content`, two whole tool calls, the `done` line with its
//!   counts) and `generate` (`response` lines, the `done` line with a
//!   2,000-token `context`).
//!
//! `cargo bench --bench formats` (a criterion filter runs a part:
//! `cargo bench --bench formats -- ollama`). `STREAMFOLD_BENCH_EVENTS` shrinks
//! the synthetic streams for a quick run.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};

#[path = "peers/mod.rs"]
mod peers;

/// Network read size.
const READ: usize = 4096;
/// Events (chunks or lines) of each synthetic stream.
const EVENTS: usize = 60_000;

fn events() -> usize {
    match std::env::var("STREAMFOLD_BENCH_EVENTS") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("STREAMFOLD_BENCH_EVENTS must be a number, got {v:?}")),
        Err(_) => EVENTS,
    }
}

/// A small xorshift PRNG (fixed seeds: the same bytes on every machine).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Tokens the streams are made of: words, punctuation, a newline, quotes
/// (escaped in JSON), non-ASCII text.
const TOKENS: [&str; 12] = [
    " the",
    " quick",
    " brown",
    " fox",
    ",",
    " jumps",
    ".",
    "\n",
    " \"over\"",
    " café",
    " 日本",
    " 😀",
];

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// `got` equals `want`: by length and the first and last 64 bytes (O(1), so
/// the check does not weigh on the measurement; full comparisons are made
/// once before measuring).
fn same_text(got: &str, want: &str, what: &str) {
    let (g, w) = (got.as_bytes(), want.as_bytes());
    assert_eq!(g.len(), w.len(), "{what} length");
    let edge = w.len().min(64);
    assert_eq!(&g[..edge], &w[..edge], "{what} start");
    assert_eq!(&g[g.len() - edge..], &w[w.len() - edge..], "{what} end");
}

/// Flat sampling, criterion's minimum of 10 samples, 4 s of measurement.
fn configure(group: &mut BenchmarkGroup<'_, WallTime>, bytes: u64) {
    group
        .throughput(Throughput::Bytes(bytes))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
}

/// streamfold as a user runs it: the sync facade fed each read, every event
/// taken (and looked at), then the final object.
fn streamfold_fold(bytes: &[u8], read: usize) -> streamfold::Final {
    let mut fold = streamfold::Fold::new();
    for piece in bytes.chunks(read) {
        for event in fold.push(piece) {
            black_box(event.unwrap());
        }
    }
    fold.finish().unwrap()
}

// ---------------------------------------------------------------------------
// Legacy completions

/// What a fold of a completions stream must give, per choice.
struct CompletionsExpect {
    texts: Vec<String>,
    tokens: Vec<usize>,
    finish_reasons: Vec<String>,
    total_tokens: u64,
}

struct CompletionsStream {
    name: &'static str,
    bytes: Vec<u8>,
    expect: CompletionsExpect,
}

/// vLLM's stream of `n` choices (one choice a chunk, interleaved), with
/// `logprobs` lists when `top` > 0, then the usage chunk and `[DONE]`.
fn completions_stream(
    name: &'static str,
    n: usize,
    top: usize,
    chunks: usize,
) -> CompletionsStream {
    let mut rng = Rng(0x5EED_C0DE ^ (n as u64) << 8 ^ top as u64);
    let mut bytes = Vec::new();
    let mut texts = vec![String::new(); n];
    let mut tokens = vec![0usize; n];
    let per_choice = chunks / n;
    for k in 0..per_choice * n {
        // Choices take turns, in alternating order (0 1 1 0 0 1 …).
        let i = if (k / n).is_multiple_of(2) {
            k % n
        } else {
            n - 1 - k % n
        };
        let last = tokens[i] + 1 == per_choice;
        let token = rng.pick(&TOKENS);
        let logprobs = if top == 0 {
            "null".to_string()
        } else {
            let offset = texts[i].chars().count();
            let lp = -((rng.next() % 1000) as f64) / 128.0;
            let mut alts = format!("{}:{lp}", json_str(token));
            for _ in 1..top {
                let alt = rng.pick(&TOKENS);
                if alt != token {
                    alts.push_str(&format!(",{}:{}", json_str(alt), lp - 1.5));
                }
            }
            format!(
                "{{\"text_offset\":[{offset}],\"token_logprobs\":[{lp}],\"tokens\":[{}],\"top_logprobs\":[{{{alts}}}]}}",
                json_str(token)
            )
        };
        let finish = if last { "\"length\"" } else { "null" };
        bytes.extend_from_slice(
            format!(
                "data: {{\"id\":\"cmpl-bench\",\"object\":\"text_completion\",\"created\":1718000000,\
                 \"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[{{\"index\":{i},\"text\":{},\
                 \"logprobs\":{logprobs},\"finish_reason\":{finish},\"stop_reason\":null}}]}}\n\n",
                json_str(token)
            )
            .as_bytes(),
        );
        texts[i].push_str(token);
        tokens[i] += 1;
    }
    let completion: usize = tokens.iter().sum();
    let total = 24 + completion as u64;
    bytes.extend_from_slice(
        format!(
            "data: {{\"id\":\"cmpl-bench\",\"object\":\"text_completion\",\"created\":1718000000,\
             \"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[],\
             \"usage\":{{\"prompt_tokens\":24,\"total_tokens\":{total},\"completion_tokens\":{completion}}}}}\n\n\
             data: [DONE]\n\n"
        )
        .as_bytes(),
    );
    CompletionsStream {
        name,
        bytes,
        expect: CompletionsExpect {
            texts,
            tokens: if top == 0 { vec![0; n] } else { tokens },
            finish_reasons: vec!["length".to_string(); n],
            total_tokens: total,
        },
    }
}

impl CompletionsExpect {
    fn check(&self, texts: &[&str], tokens: &[usize], finish: &[Option<&str>], total: Option<u64>) {
        assert_eq!(texts.len(), self.texts.len(), "choices");
        for (got, want) in texts.iter().zip(&self.texts) {
            same_text(got, want, "text");
        }
        assert_eq!(tokens, self.tokens, "logprobs tokens");
        let want: Vec<Option<&str>> = self
            .finish_reasons
            .iter()
            .map(|s| Some(s.as_str()))
            .collect();
        assert_eq!(finish, want, "finish_reason");
        assert_eq!(total, Some(self.total_tokens), "usage.total_tokens");
    }

    fn check_streamfold(&self, done: streamfold::Final) {
        let c = done.into_completions().expect("a text_completion");
        let texts: Vec<&str> = c.choices.iter().map(|c| c.text.as_str()).collect();
        let tokens: Vec<usize> = c
            .choices
            .iter()
            .map(|c| {
                c.logprobs
                    .as_ref()
                    .and_then(|l| l.tokens.as_ref())
                    .map_or(0, Vec::len)
            })
            .collect();
        let finish: Vec<Option<&str>> = c
            .choices
            .iter()
            .map(|c| c.finish_reason.as_deref())
            .collect();
        self.check(
            &texts,
            &tokens,
            &finish,
            c.usage.and_then(|u| u.total_tokens),
        );
    }

    fn check_peer(&self, f: &peers::completions_serde::Folded) {
        let texts: Vec<&str> = f.choices.iter().map(|c| c.text.as_str()).collect();
        let tokens: Vec<usize> = f.choices.iter().map(|c| c.tokens.len()).collect();
        let finish: Vec<Option<&str>> = f
            .choices
            .iter()
            .map(|c| c.finish_reason.as_deref())
            .collect();
        self.check(&texts, &tokens, &finish, f.total_tokens);
    }
}

/// Each entry once over the stream, its result compared in full.
fn verify_completions(s: &CompletionsStream) {
    let c = streamfold_fold(&s.bytes, READ).into_completions().unwrap();
    let peer = peers::completions_serde::fold(s.bytes.chunks(READ)).unwrap();
    for (i, want) in s.expect.texts.iter().enumerate() {
        assert_eq!(&c.choices[i].text, want, "{}: streamfold text", s.name);
        assert_eq!(&peer.choices[i].text, want, "{}: peer text", s.name);
        let ours = c.choices[i].logprobs.as_ref();
        assert_eq!(
            ours.and_then(|l| l.tokens.clone()).unwrap_or_default(),
            peer.choices[i].tokens,
            "{}: tokens",
            s.name
        );
        assert_eq!(
            ours.and_then(|l| l.text_offset.clone()).unwrap_or_default(),
            peer.choices[i].text_offset,
            "{}: text_offset",
            s.name
        );
    }
}

fn completions(c: &mut Criterion) {
    let n = events();
    for s in [
        completions_stream("text", 1, 0, n),
        completions_stream("logprobs", 2, 2, n / 2),
    ] {
        verify_completions(&s);
        let mut group = c.benchmark_group(format!("completions_{}", s.name));
        configure(&mut group, s.bytes.len() as u64);
        group.bench_function(BenchmarkId::from_parameter("streamfold"), |b| {
            b.iter(|| {
                s.expect
                    .check_streamfold(streamfold_fold(black_box(&s.bytes), READ))
            })
        });
        group.bench_function(BenchmarkId::from_parameter("memchr_serde_json"), |b| {
            b.iter(|| {
                let f =
                    peers::completions_serde::fold(black_box(&s.bytes[..]).chunks(READ)).unwrap();
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

// ---------------------------------------------------------------------------
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

fn ollama(c: &mut Criterion) {
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

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = completions, ollama
}
criterion_main!(benches);
