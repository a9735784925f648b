//! Partial JSON of tool arguments: one tool call's arguments, a file write
//! `{"path":"a.txt","content":"<text with escapes and unicode>"}`, arriving
//! in 10-byte fragments (moved to character boundaries), with the value
//! wanted after every fragment.
//!
//! - `streamfold`: [`PartialJson`] reads each fragment once and reports ops
//!   (one ops buffer, cleared per fragment), at 256 KiB, 1 MiB and 4 MiB:
//!   the time should grow as the size (linear).
//! - `streamfold whole`: the same 1 MiB text in one push, the floor that
//!   shows what cutting it in fragments costs.
//! - `jsonmodem`: an incremental Rust parser that emits events with owned
//!   paths and fragments, at 256 KiB and 1 MiB.
//! - `serde_json reparse`: the accumulated text parsed again on every
//!   fragment, as the SDKs' snapshots do (it fails until the text is
//!   complete, but reads the whole text each time as a repairing parse
//!   would): quadratic, so at 64 KiB and 256 KiB only.
//! - `jiter partial`: the accumulated text parsed on every fragment with
//!   `jiter`'s partial mode (`PartialMode::TrailingStrings`, which keeps the
//!   unfinished string: the parser openai-python uses for this), at 64 KiB
//!   and 256 KiB.
//!
//!
//! Group `fold_tool_arguments_10_byte_fragments`: the 1 MiB text as an
//! OpenAI chat stream (one chunk per fragment, read in 64 KiB pieces),
//! folded by [`Fold`] without and with [`Fold::with_partial_json`], every
//! event taken: the ratio is what reading the arguments as partial JSON
//! adds to folding the stream.
//!
//! Group `fold_tool_arguments_4_mib_sync_vs_async`: the 4 MiB text as that
//! chat stream, read in 4 KiB pieces, folded by [`Fold::push`] (sync) and
//! by the async adapter over a stream of `Bytes` pieces (`fold_stream`),
//! every event taken: what the async path costs over the sync one on a
//! multi-megabyte tool call (it once copied the whole arguments so far into
//! each event).
//!
//! `Throughput::Bytes` is the length of the arguments text. Each iteration
//! checks its result: the length of the strings' text (appended, or in the
//! value after the last fragment) against serde_json's reading.
//!
//! `cargo bench --bench partial_json`.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};
use streamfold::partial_json::{Op, Ops, PartialJson};
use streamfold::{Event, Fold};

/// Fragment size of the arguments text.
const FRAGMENT: usize = 10;

/// The arguments text and the decoded content it carries.
struct Workload {
    text: String,
    /// Length of the strings' text (path and content), as serde_json reads
    /// it.
    strings_len: usize,
    label: String,
}

impl Workload {
    /// Arguments of about `bytes` bytes: the content mixes ASCII lines,
    /// short escapes, `\u` escapes and raw multi-byte characters (emoji
    /// among them). No surrogate-pair escape: jsonmodem 0.1 rejects them
    /// (`Invalid Unicode scalar value`), though they are valid JSON.
    fn new(bytes: usize) -> Workload {
        const PIECES: [(&str, &str); 8] = [
            ("fn main() {", "fn main() {"),
            (
                "\\n    println!(\\\"h\u{e9}llo, w\u{f6}rld\\\");",
                "\n    println!(\"h\u{e9}llo, w\u{f6}rld\");",
            ),
            (
                "\\n\\t// \\u00e9t\\u00E9 \\u2603 ",
                "\n\t// \u{e9}t\u{e9} \u{2603} ",
            ),
            (
                "\u{65e5}\u{672c}\u{8a9e} \u{1F600} ",
                "\u{65e5}\u{672c}\u{8a9e} \u{1F600} ",
            ),
            (
                "let path = \\\"C:\\\\\\\\tmp\\\\\\\\a.txt\\\";",
                "let path = \"C:\\\\tmp\\\\a.txt\";",
            ),
            ("\\r\\n", "\r\n"),
            (
                "plain text of a file being written, a line at a time. ",
                "plain text of a file being written, a line at a time. ",
            ),
            ("}\\n", "}\n"),
        ];
        let head = "{\"path\":\"a.txt\",\"content\":\"";
        let mut text = String::with_capacity(bytes + 64);
        let mut content = String::with_capacity(bytes);
        text.push_str(head);
        let mut i = 0;
        while text.len() < bytes - 2 {
            let (raw, decoded) = PIECES[i % PIECES.len()];
            text.push_str(raw);
            content.push_str(decoded);
            i += 1;
        }
        text.push_str("\"}");
        // The expectation comes from serde_json, not from the parser.
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["content"].as_str(), Some(content.as_str()));
        let strings_len = "a.txt".len() + content.len();
        let label = if bytes >= 1 << 20 {
            format!("{}MiB", bytes >> 20)
        } else {
            format!("{}KiB", bytes >> 10)
        };
        Workload {
            text,
            strings_len,
            label,
        }
    }

    fn fragments(&self) -> Vec<&str> {
        let mut out = Vec::with_capacity(self.text.len() / FRAGMENT + 1);
        let mut from = 0;
        while from < self.text.len() {
            let mut to = (from + FRAGMENT).min(self.text.len());
            while !self.text.is_char_boundary(to) {
                to += 1;
            }
            out.push(&self.text[from..to]);
            from = to;
        }
        out
    }
}

fn streamfold(fragments: &[&str]) -> usize {
    let mut parser = PartialJson::new();
    let mut ops = Ops::new();
    let mut appended = 0;
    for f in fragments {
        ops.clear();
        parser.push(black_box(f), &mut ops).unwrap();
        for op in ops.iter() {
            if let Op::Append { text, .. } = op {
                appended += text.len();
            }
        }
    }
    parser.finish(&mut ops).unwrap();
    appended
}

fn jsonmodem(fragments: &[&str]) -> usize {
    use jsonmodem::{ParseEvent, ParserOptions, StreamingParser};
    fn count<E: std::fmt::Debug>(e: Result<ParseEvent, E>) -> usize {
        match e.unwrap() {
            ParseEvent::String { fragment, .. } => fragment.len(),
            _ => 0,
        }
    }
    let mut parser = StreamingParser::new(ParserOptions::default());
    let mut appended = 0;
    for f in fragments {
        parser.feed(black_box(f));
        appended += (&mut parser).map(count).sum::<usize>();
    }
    appended + parser.finish().map(count).sum::<usize>()
}

fn serde_json_reparse(fragments: &[&str]) -> usize {
    let mut text = String::new();
    let mut last = None;
    for f in fragments {
        text.push_str(f);
        last = serde_json::from_str::<serde_json::Value>(black_box(&text)).ok();
    }
    let last = last.expect("the whole text parses");
    let len = |k: &str| last[k].as_str().map_or(0, str::len);
    len("path") + len("content")
}

fn jiter_partial(fragments: &[&str]) -> usize {
    use jiter::{JsonValue, PartialMode};
    let mut text = String::new();
    let mut len = 0;
    for f in fragments {
        text.push_str(f);
        let v = JsonValue::parse_with_config(
            black_box(text.as_bytes()),
            false,
            PartialMode::TrailingStrings,
        )
        .unwrap();
        if let JsonValue::Object(o) = &v {
            len = o
                .iter()
                .map(|(_, v)| match v {
                    JsonValue::Str(s) => s.len(),
                    _ => 0,
                })
                .sum();
        }
    }
    len
}

/// A group of this bench: ten flat samples after a second's warm-up, over
/// five seconds (each iteration is long).
fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group
}

fn partial_json(c: &mut Criterion) {
    let mut group = group(c, "partial_json_10_byte_fragments");
    type Run = fn(&[&str]) -> usize;
    let entries: [(&str, Run, &[usize]); 4] = [
        ("streamfold", streamfold, &[256 << 10, 1 << 20, 4 << 20]),
        ("jsonmodem", jsonmodem, &[256 << 10, 1 << 20]),
        (
            "serde_json reparse",
            serde_json_reparse,
            &[64 << 10, 256 << 10],
        ),
        ("jiter partial", jiter_partial, &[64 << 10, 256 << 10]),
    ];
    // The floor: the same text in one push.
    let w = Workload::new(1 << 20);
    let whole = [w.text.as_str()];
    group.throughput(Throughput::Bytes(w.text.len() as u64));
    group.bench_function(BenchmarkId::new("streamfold whole", &w.label), |b| {
        b.iter(|| assert_eq!(streamfold(&whole), w.strings_len));
    });
    for (name, run, sizes) in entries {
        for &size in sizes {
            let w = Workload::new(size);
            let fragments = w.fragments();
            group.throughput(Throughput::Bytes(w.text.len() as u64));
            group.bench_function(BenchmarkId::new(name, &w.label), |b| {
                b.iter(|| assert_eq!(run(&fragments), w.strings_len));
            });
        }
    }
    group.finish();
}

/// The fragments as an OpenAI chat stream: one chunk per fragment.
fn chat_stream(fragments: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"write_file\",\"arguments\":\"\"}}]}}]}\n\n");
    for f in fragments {
        out.extend_from_slice(b"data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":");
        out.extend_from_slice(serde_json::to_string(f).unwrap().as_bytes());
        out.extend_from_slice(b"}}]}}]}\n\n");
    }
    out.extend_from_slice(b"data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n");
    out
}

/// Folds `stream` in 64 KiB reads, taking every event; returns the length
/// of the arguments text the deltas carried and of the text the ops
/// appended.
fn fold_stream(stream: &[u8], fold: Fold) -> (usize, usize) {
    let mut fold = fold;
    let (mut arguments, mut appended) = (0, 0);
    let mut take = |e: Event<'_>| match e {
        Event::ToolCallArgumentsDelta {
            arguments_delta, ..
        } => arguments += arguments_delta.len(),
        Event::ToolCallArgumentsPartial { ops, .. } => {
            for op in ops.iter() {
                if let Op::Append { text, .. } = op {
                    appended += text.len();
                }
            }
        }
        _ => {}
    };
    for piece in stream.chunks(64 << 10) {
        for e in fold.push(black_box(piece)) {
            take(e.unwrap());
        }
    }
    for e in fold.end() {
        take(e.unwrap());
    }
    (arguments, appended)
}

/// Folds `stream` in 4 KiB reads, sync or through the async adapter,
/// taking every event; returns the length of the arguments text the deltas
/// carried and of the final arguments.
fn fold_4k(stream: &[u8], pieces: &[bytes::Bytes], asynchronous: bool) -> (usize, usize) {
    use futures::StreamExt;
    use streamfold::FoldStreamExt;
    let final_len = |done: streamfold::Final| {
        let chat = done.into_chat().expect("a chat completion");
        chat.choices[0].message.tool_calls[0]
            .function
            .arguments
            .len()
    };
    let count = |e: &Event<'_>| match e {
        Event::ToolCallArgumentsDelta {
            arguments_delta, ..
        } => arguments_delta.len(),
        _ => 0,
    };
    let mut deltas = 0;
    if asynchronous {
        let body = futures::stream::iter(pieces.iter().cloned().map(Ok::<_, std::io::Error>));
        futures::executor::block_on(async {
            let mut events = body.fold_stream();
            while let Some(e) = events.next().await {
                deltas += count(&black_box(e.unwrap()));
            }
            (deltas, final_len(events.finish().unwrap()))
        })
    } else {
        let mut fold = Fold::new();
        for piece in stream.chunks(4096) {
            for e in fold.push(black_box(piece)) {
                deltas += count(&e.unwrap());
            }
        }
        for e in fold.end() {
            deltas += count(&e.unwrap());
        }
        (deltas, final_len(fold.finish().unwrap()))
    }
}

fn fold_sync_vs_async(c: &mut Criterion) {
    let mut group = group(c, "fold_tool_arguments_4_mib_sync_vs_async");
    let w = Workload::new(4 << 20);
    let stream = chat_stream(&w.fragments());
    let pieces: Vec<bytes::Bytes> = stream
        .chunks(4096)
        .map(bytes::Bytes::copy_from_slice)
        .collect();
    let n = w.text.len();
    group.throughput(Throughput::Bytes(n as u64));
    for (name, asynchronous) in [("sync", false), ("async", true)] {
        group.bench_function(BenchmarkId::new(name, &w.label), |b| {
            b.iter(|| assert_eq!(fold_4k(&stream, &pieces, asynchronous), (n, n)));
        });
    }
    group.finish();
}

fn fold_with_partial_json(c: &mut Criterion) {
    let mut group = group(c, "fold_tool_arguments_10_byte_fragments");
    let w = Workload::new(1 << 20);
    let stream = chat_stream(&w.fragments());
    group.throughput(Throughput::Bytes(w.text.len() as u64));
    group.bench_function(BenchmarkId::new("fold", &w.label), |b| {
        b.iter(|| assert_eq!(fold_stream(&stream, Fold::new()), (w.text.len(), 0)));
    });
    group.bench_function(BenchmarkId::new("fold with partial JSON", &w.label), |b| {
        b.iter(|| {
            let fold = Fold::new().with_partial_json();
            assert_eq!(fold_stream(&stream, fold), (w.text.len(), w.strings_len));
        });
    });
    group.finish();
}

criterion_group!(
    benches,
    partial_json,
    fold_with_partial_json,
    fold_sync_vs_async
);
criterion_main!(benches);
