//! The `completions` groups: legacy `/v1/completions` as vLLM streams it,
//! `text` (one token a chunk) and `logprobs` (`n = 2`, `logprobs = 2`).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};

use super::corpus::READ;
use super::peers;
use super::synthetic::{
    configure_flat as configure, events, json_str, same_text, streamfold_fold, Rng, TOKENS,
};

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

pub fn completions(c: &mut Criterion) {
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
