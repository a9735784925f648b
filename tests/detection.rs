//! Format detection on every recorded stream, and what happens to payloads
//! of the wrong format.
//!
//! * Every stream of the corpus (`tests/data/corpus/<folder>`, and
//!   `$STREAMFOLD_SHARED/corpus/<folder>` in the extra pass) and of
//!   `tests/data/formats/` is detected as its folder's format by
//!   [`Fold::new`], fed whole and one byte at a time; the Gemini
//!   Interactions API (another API) is a clear error, not a guess.
//! * A payload of another format inside a stream is a
//!   [`ErrorKind::WrongFormat`] error at the payload, with the partial
//!   result before it kept: for every pair of formats.
//! * A first payload of no format is an error at its start, never a guess;
//!   a forced format ([`Fold::with_format`]) on a stream of another is a
//!   `WrongFormat` error.

mod support;

use std::path::{Path, PathBuf};

use streamfold::{ErrorKind, Event, Fold, Format};

use support::{data_dir, shared_dir};

/// The format of each corpus folder (`corpus/README.md`).
const FOLDERS: [(&str, Format); 6] = [
    ("openai-chat", Format::OpenAiChat),
    ("openai-chat-sdk-rejects", Format::OpenAiChat),
    ("openai-responses", Format::OpenAiResponses),
    // Ollama's Anthropic-compatible endpoint included.
    ("anthropic-messages", Format::AnthropicMessages),
    ("gemini-sse", Format::Gemini),
    // The llama-stack recordings hold chat chunks (rebuilt into SSE below).
    ("recordings", Format::OpenAiChat),
];

/// The format of a file of `tests/data/formats/`, by its name.
fn format_of_file(name: &str) -> Option<Format> {
    if name.starts_with("completions-") {
        Some(Format::OpenAiCompletions)
    } else if name.starts_with("ollama-") {
        Some(Format::Ollama)
    } else {
        None
    }
}

/// The streams of a folder: `.sse` files, or, for `recordings/`, each
/// recording's chunks as an SSE body.
fn streams(dir: &Path, folder: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
        if folder == "recordings" && ext == "json" {
            out.push((p.clone(), recording_body(&p)));
        } else if folder != "recordings" && matches!(ext, "sse" | "ndjson") {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out
}

/// A llama-stack recording's chunks (`response.body[].__data__`) as the SSE
/// body the server sent.
fn recording_body(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    let rec: serde_json::Value = serde_json::from_str(&text).unwrap();
    let url = rec["request"]["url"].as_str().unwrap_or("");
    assert!(
        url.ends_with("/chat/completions"),
        "{}: {url}",
        path.display()
    );
    let body = rec["response"]["body"].as_array().expect("response.body");
    let mut out = Vec::new();
    for chunk in body {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(chunk["__data__"].to_string().as_bytes());
        out.extend_from_slice(b"\n\n");
    }
    out.extend_from_slice(b"data: [DONE]\n\n");
    out
}

/// Feeds `bytes` in pieces of `size` until the format is known; returns it
/// and the number of bytes fed by then. Until then, only warnings (a
/// keep-alive) and no error.
fn detect(name: &str, bytes: &[u8], size: usize) -> (Option<Format>, usize) {
    let mut fold = Fold::new();
    let mut fed = 0;
    for piece in bytes.chunks(size) {
        fed += piece.len();
        let items: Vec<_> = fold.push(piece).map(|i| i.map(Event::into_owned)).collect();
        let known = fold.format().is_some();
        for item in items {
            match item {
                Ok(ev) => assert!(
                    known || matches!(ev, Event::Warning { .. }),
                    "{name}: {ev:?} before the format is known"
                ),
                Err(e) => panic!("{name} (pieces of {size}): {e}"),
            }
        }
        if let Some(f) = fold.format() {
            return (Some(f), fed);
        }
    }
    (None, fed)
}

/// Where the first payload (data of the first event with data, or the
/// first line of an NDJSON body) ends: the format must be known once it
/// arrived, not later.
fn first_payload_end(bytes: &[u8]) -> usize {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let bom = bytes.len() - body.len();
    if body.first() == Some(&b'{') {
        return bom
            + body
                .iter()
                .position(|&b| b == b'\n')
                .map_or(body.len(), |i| i + 1);
    }
    // SSE: the first `data:` line, then the blank line that dispatches it.
    let text = String::from_utf8_lossy(body);
    let start = text.find("data:").expect("an SSE body has a data line");
    let after = &text[start..];
    let end = ["\r\n\r\n", "\n\n", "\r\r"]
        .iter()
        .filter_map(|sep| after.find(sep).map(|i| i + sep.len()))
        .min()
        .unwrap_or(after.len());
    bom + start + end
}

fn check_detected(name: &str, bytes: &[u8], expected: Format) {
    // Whole: one push tells the format.
    let mut fold = Fold::new();
    assert_eq!(fold.format(), None, "{name}: no format before any byte");
    let errors: Vec<String> = fold
        .push(bytes)
        .filter_map(|i| i.err().map(|e| e.to_string()))
        .collect();
    assert_eq!(
        fold.format(),
        Some(expected),
        "{name}: detected whole ({errors:?})"
    );
    // One byte at a time: known once the first payload is complete, as
    // that payload says.
    let (found, fed) = detect(name, bytes, 1);
    assert_eq!(found, Some(expected), "{name}: detected one byte at a time");
    assert!(
        fed <= first_payload_end(bytes),
        "{name}: format known after {fed} bytes, the first payload ends at {}",
        first_payload_end(bytes)
    );
}

/// Each folder's streams are detected as the folder's format; returns how
/// many streams were checked.
fn check_corpus(root: &Path, must_exist: bool) -> usize {
    let mut n = 0;
    for (folder, format) in FOLDERS {
        let dir = root.join(folder);
        if !dir.is_dir() {
            assert!(!must_exist, "{} is missing", dir.display());
            continue;
        }
        let all = streams(&dir, folder);
        assert!(!all.is_empty(), "no streams in {}", dir.display());
        for (path, bytes) in &all {
            check_detected(&path.display().to_string(), bytes, format);
        }
        n += all.len();
    }
    n
}

#[test]
fn every_corpus_stream_is_detected_as_its_folders_format() {
    let n = check_corpus(&data_dir().join("corpus"), true);
    assert!(n >= 40, "only {n} streams");
}

#[test]
fn every_shared_corpus_stream_is_detected_as_its_folders_format() {
    // Only in the extra pass; a named but missing folder fails loudly.
    let Some(shared) = shared_dir() else {
        return;
    };
    let n = check_corpus(&shared.join("corpus"), true);
    eprintln!("{n} shared streams detected");
}

#[test]
fn every_stream_of_the_other_formats_is_detected() {
    let dir = data_dir().join("formats");
    let mut seen = Vec::new();
    for (path, bytes) in streams(&dir, "formats") {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let format = format_of_file(&name).unwrap_or_else(|| panic!("{name}: which format?"));
        check_detected(&name, &bytes, format);
        seen.push(format);
    }
    assert!(seen.contains(&Format::OpenAiCompletions) && seen.contains(&Format::Ollama));
}

/// The first event of a Gemini Interactions API stream (the shared corpus's
/// `gemini-interactions/`, id shortened): another API, which no format
/// reads.
const INTERACTIONS: &str = "event: interaction.start\ndata: {\"interaction\":{\"id\":\"v1_Chc0\",\"status\":\"in_progress\",\"object\":\"interaction\",\"model\":\"gemini-2.5-flash-lite\"},\"event_type\":\"interaction.start\"}\n\nevent: content.start\ndata: {\"index\":0,\"content\":{\"type\":\"thought\"},\"event_type\":\"content.start\"}\n\n";

/// A stream of another API is an `UnknownFormat` error at its first
/// payload's data, whole and one byte at a time, and no format is guessed.
fn check_unknown(name: &str, bytes: &[u8]) {
    let data_at = first_data_offset(bytes);
    for size in [bytes.len(), 1] {
        let mut fold = Fold::new();
        let mut error = None;
        for piece in bytes.chunks(size) {
            for item in fold.push(piece) {
                if let Err(e) = item {
                    error.get_or_insert(e);
                }
            }
        }
        assert_eq!(fold.format(), None, "{name}: a format was guessed");
        let e = error.unwrap_or_else(|| panic!("{name}: no error (pieces of {size})"));
        assert!(
            matches!(e.kind(), ErrorKind::UnknownFormat),
            "{name}: {:?}",
            e.kind()
        );
        assert_eq!(e.offset(), data_at as u64, "{name}: at the first payload");
        assert_eq!(e.event_index(), 0, "{name}");
    }
}

/// The offset of the first data after `data:` (and its optional space).
fn first_data_offset(bytes: &[u8]) -> usize {
    let text = String::from_utf8_lossy(bytes);
    let at = text.find("data:").unwrap() + 5;
    at + usize::from(bytes.get(at) == Some(&b' '))
}

#[test]
fn a_stream_of_the_gemini_interactions_api_is_a_clear_error() {
    check_unknown("interactions (inline)", INTERACTIONS.as_bytes());
    if let Some(shared) = shared_dir() {
        let dir = shared.join("corpus/gemini-interactions");
        assert!(dir.is_dir(), "{} is missing", dir.display());
        let all = support::sse_files(&dir);
        assert!(!all.is_empty(), "no streams in {}", dir.display());
        for p in all {
            check_unknown(&p.display().to_string(), &std::fs::read(&p).unwrap());
        }
    }
}

#[test]
fn a_first_payload_of_no_format_is_an_error_at_its_start() {
    for (body, at) in [
        (&b"data: {\"hello\":\"world\"}\n\n"[..], 6),
        (b"data: {\"choices_\":[],\"object\":\"thing\"}\n\n", 6),
        (b"event: message\ndata:{\"candidate\":[]}\n\n", 20),
        (b"{\"model\":\"m\",\"done\":false}\n", 0),
        (b"{\"hello\":1}\n{\"hello\":2}\n", 0),
        (b"\xEF\xBB\xBF{\"x\":{}}\n", 3),
    ] {
        let name = String::from_utf8_lossy(body).into_owned();
        for size in [body.len(), 1] {
            let mut fold = Fold::new();
            let mut error = None;
            for piece in body.chunks(size) {
                for item in fold.push(piece) {
                    if let Err(e) = item {
                        error.get_or_insert(e);
                    }
                }
            }
            for item in fold.end() {
                if let Err(e) = item {
                    error.get_or_insert(e);
                }
            }
            assert_eq!(fold.format(), None, "{name:?}: a format was guessed");
            let e = error.unwrap_or_else(|| panic!("{name:?}: no error"));
            assert!(
                matches!(e.kind(), ErrorKind::UnknownFormat),
                "{name:?}: {:?}",
                e.kind()
            );
            assert_eq!(e.offset(), at, "{name:?}: at the payload's start");
        }
    }
}

// ---------------------------------------------------------------------
// Payloads of one format in a stream of another.

/// One stream of each format, from the test data.
fn sample(format: Format) -> Vec<u8> {
    let corpus = data_dir().join("corpus");
    let path = match format {
        Format::OpenAiChat => data_dir().join("openai-gpt-4o-saturn.sse"),
        Format::OpenAiResponses => {
            corpus.join("openai-responses/openai-gpt-4o-2024-08-06-0368d3e425.sse")
        }
        Format::AnthropicMessages => {
            corpus.join("anthropic-messages/anthropic-claude-haiku-4-5-20251001-145f9aba13.sse")
        }
        Format::Gemini => corpus.join("gemini-sse/gemini-gemini-2.5-flash-7fc9d43094.sse"),
        Format::OpenAiCompletions => data_dir().join("formats/completions-openai-instruct.sse"),
        Format::Ollama => data_dir().join("formats/ollama-chat-thinking-tools.ndjson"),
        other => panic!("no sample of {other}"),
    };
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The payloads of a body: per SSE event with data (its data, its
/// `event:` type), or per NDJSON line.
fn payloads(format: Format, body: &[u8]) -> Vec<(Option<String>, String)> {
    let text = String::from_utf8(body.to_vec())
        .unwrap()
        .replace("\r\n", "\n");
    if format.is_ndjson() {
        return text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| (None, l.to_string()))
            .collect();
    }
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let mut event = None;
        let mut data = Vec::new();
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                event = Some(v.trim_start().to_string());
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v));
            }
        }
        if !data.is_empty() {
            out.push((event, data.join("\n")));
        }
    }
    out
}

/// A body in `format`'s framing; returns it and the offset of each
/// payload's first byte.
fn render(format: Format, payloads: &[(Option<String>, String)]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::new();
    let mut at = Vec::new();
    for (event, data) in payloads {
        if format.is_ndjson() {
            at.push(out.len());
            out.extend_from_slice(data.as_bytes());
            out.push(b'\n');
        } else {
            if let Some(e) = event {
                out.extend_from_slice(format!("event: {e}\n").as_bytes());
            }
            out.extend_from_slice(b"data: ");
            at.push(out.len());
            out.extend_from_slice(data.as_bytes());
            out.extend_from_slice(b"\n\n");
        }
    }
    (out, at)
}

/// Folds `body` whole and one byte at a time; returns the error (the same
/// both ways) and the final object as JSON (from the error's partial).
fn fold_error(body: &[u8]) -> (Option<streamfold::Error>, serde_json::Value) {
    let mut results = Vec::new();
    for size in [body.len(), 1] {
        let mut fold = Fold::new();
        for piece in body.chunks(size) {
            for _ in fold.push(piece) {}
        }
        let error = fold.error().cloned();
        let done = match fold.finish() {
            Ok(f) => serde_json::to_value(&f).unwrap(),
            Err(e) => serde_json::to_value(e.partial().unwrap()).unwrap(),
        };
        results.push((error, done));
    }
    let key = |e: &Option<streamfold::Error>| {
        e.as_ref()
            .map(|e| (format!("{:?}", e.kind()), e.offset(), e.event_index()))
    };
    assert_eq!(key(&results[0].0), key(&results[1].0), "whole vs one byte");
    assert_eq!(results[0].1, results[1].1, "whole vs one byte");
    results.swap_remove(0)
}

#[test]
fn a_payload_of_another_format_is_a_wrong_format_error_at_it() {
    let mut failures = Vec::new();
    for a in Format::ALL {
        let own = payloads(a, &sample(a));
        assert!(own.len() >= 3, "{a}: a sample of three payloads at least");
        for b in Format::ALL {
            if a == b {
                continue;
            }
            let (_, foreign) = payloads(b, &sample(b)).remove(0);
            // The 2nd payload of a stream of `a` is `b`'s first.
            let mut mixed = own.clone();
            mixed.insert(1, (None, foreign.clone()));
            let (body, at) = render(a, &mixed);
            let (prefix, _) = render(a, &own[..1]);
            let (error, partial) = fold_error(&body);
            // What came before the foreign payload, folded alone (the
            // stream then ends there: its partial result).
            let (_, before) = fold_error(&prefix);
            let ok = match &error {
                Some(e) => {
                    matches!(e.kind(), ErrorKind::WrongFormat { expected, found }
                        if *expected == a && *found == Some(b))
                        && e.offset() == at[1] as u64
                        && e.event_index() == 1
                        && partial == before
                }
                None => false,
            };
            if !ok {
                failures.push(format!(
                    "{b}'s first payload in a {a} stream: {:?} at {:?} (payload at {}); partial kept: {}",
                    error.as_ref().map(|e| e.kind().clone()),
                    error.as_ref().map(|e| (e.offset(), e.event_index())),
                    at[1],
                    partial == before
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_forced_format_on_a_stream_of_another_is_a_wrong_format_error() {
    let mut failures = Vec::new();
    for forced in Format::ALL {
        for actual in Format::ALL {
            if forced == actual {
                continue;
            }
            let body = sample(actual);
            let first = payloads(actual, &body);
            // The first payload, framed as the forced format frames.
            let (expected_at, _) = (render(forced, &first[..1]).1[0], ());
            let (body, _) = render(forced, &first);
            let mut fold = Fold::new().with_format(forced);
            let mut error = None;
            for item in fold.push(&body) {
                if let Err(e) = item {
                    error = Some(e);
                }
            }
            let ok = matches!(&error, Some(e)
                if matches!(e.kind(), ErrorKind::WrongFormat { expected, found }
                    if *expected == forced && *found == Some(actual))
                    && e.offset() == expected_at as u64
                    && e.event_index() == 0);
            if !ok {
                failures.push(format!(
                    "{actual} forced as {forced}: {:?} at {:?}",
                    error.as_ref().map(|e| e.kind().clone()),
                    error.as_ref().map(|e| (e.offset(), e.event_index()))
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
