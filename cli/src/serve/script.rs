//! What `serve` sends for one recording: its steps (the writes), which of
//! them carry text, when each goes, and the folded final object.
//!
//! A step is one text event together with the events without text that
//! follow it (a finish-reason chunk, usage, the terminator): TCP merges
//! unread data, and a merged read carries the latest arrival time, so an
//! event without text sent apart, after a text event, could only make the
//! text look late. Events without text before the first text event (a
//! role-only chunk, `message_start`) are one step sent at once.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use streamfold::sse::{Item, Parser};
use streamfold::Limits;

use crate::folding;
use crate::formats::{self, Format, Quirk};
use crate::record::{self, Recording};
use crate::recording as llama;

#[derive(Debug)]
pub struct Step {
    pub bytes: Bytes,
    /// It carries a text delta.
    pub text: bool,
    /// Its recorded arrival (from the request's start), for recordings made
    /// by `bench --record`.
    pub at: Option<Duration>,
}

#[derive(Debug)]
pub struct Script {
    pub format: Format,
    pub steps: Vec<Step>,
    /// The fold of the recording, as JSON (`"stream": false`).
    pub final_json: Bytes,
}

/// One SSE event (or one NDJSON line), as read.
#[derive(Debug, Clone)]
struct Ev {
    kind: String,
    id: String,
    data: String,
    /// A line of NDJSON, not an SSE event.
    line: bool,
}

/// Loads the recordings named on the command line (files or folders); with
/// none, each format's built-in sample.
pub fn load(paths: &[std::path::PathBuf], quirks: &[Quirk]) -> Result<Vec<Script>, String> {
    let mut scripts = Vec::new();
    if paths.is_empty() {
        for row in &formats::TABLE {
            let name = format!("the built-in {} sample", row.format);
            scripts.push(from_sse(&name, row.sample, quirks)?);
        }
    }
    for path in paths {
        if path.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    matches!(
                        p.extension().and_then(|e| e.to_str()),
                        Some("sse" | "json" | "ndjson")
                    ) && !p.to_string_lossy().ends_with(".expected.json")
                })
                .collect();
            entries.sort();
            for p in entries {
                scripts.push(from_file(&p, quirks)?);
            }
        } else {
            scripts.push(from_file(path, quirks)?);
        }
    }
    Ok(scripts)
}

fn from_file(path: &Path, quirks: &[Quirk]) -> Result<Script, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let name = path.display().to_string();
    if record::looks_like(&bytes) {
        let rec = Recording::parse(&bytes).map_err(|e| format!("{name}: {e}"))?;
        return from_recording(&name, &rec);
    }
    if llama::is_recording(&bytes) {
        let sse = llama::to_sse(&bytes).map_err(|e| format!("{name}: {e}"))?;
        return from_sse(&name, &sse, quirks);
    }
    from_sse(&name, &bytes, quirks)
}

fn parse_events(name: &str, body: &[u8]) -> Result<Vec<Ev>, String> {
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        // NDJSON (Ollama): one JSON object a line.
        let text = std::str::from_utf8(body).map_err(|e| format!("{name}: {e}"))?;
        return Ok(text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| Ev {
                kind: String::new(),
                id: String::new(),
                data: l.to_string(),
                line: true,
            })
            .collect());
    }
    let mut parser = Parser::new();
    let mut rest = body;
    let mut events = Vec::new();
    loop {
        match parser.next(&mut rest) {
            Ok(Some(Item::Event(e))) => events.push(Ev {
                kind: e.event.to_string(),
                id: e.id.to_string(),
                data: e.data.to_string(),
                line: false,
            }),
            Ok(Some(Item::Retry(_))) => {}
            Ok(None) if rest.is_empty() => break,
            Ok(None) => {}
            Err(e) => return Err(format!("{name}: {e}")),
        }
    }
    Ok(events)
}

/// The format of a stream, from its first JSON payload.
fn detect(name: &str, events: &[Ev]) -> Result<Format, String> {
    events
        .iter()
        .find_map(|e| Format::detect(&e.data))
        .ok_or_else(|| format!("{name}: no payload of a known format"))
}

fn from_sse(name: &str, body: &[u8], quirks: &[Quirk]) -> Result<Script, String> {
    let events = parse_events(name, body)?;
    let format = detect(name, &events)?;
    let mut fold = folding::new(Some(format), Limits::default());
    fold.push(body).for_each(drop);
    let final_json = Bytes::from(folding::final_json(fold));

    let spec = formats::spec(format);
    let applies = |q: Quirk| quirks.contains(&q) && spec.quirks.contains(&q);
    let mut events = events;
    if applies(Quirk::NoDone) {
        if let Some(done) = spec.done {
            events.retain(|e| serialize(e, false, false) != done);
        }
    }
    if applies(Quirk::RoleFirst) {
        role_first(&mut events);
    }
    if applies(Quirk::MultiToken) {
        events = multi_token(events);
    }
    if applies(Quirk::UsageChunk) {
        usage_chunk(&mut events, spec.done);
    }
    if applies(Quirk::BigEvent) {
        big_event(&mut events);
    }
    let crlf = applies(Quirk::Crlf);
    let no_space = applies(Quirk::NoSpace);

    // Which events carry text: fold them one by one.
    let mut fold = folding::new(Some(format), Limits::default());
    let mut steps: Vec<Step> = Vec::new();
    let mut pending = Vec::new();
    for e in &events {
        let bytes = serialize(e, crlf, no_space);
        let text = fold
            .push(bytes.as_bytes())
            .any(|ev| ev.is_ok_and(|ev| folding::is_text(&ev)));
        if text && !(steps.is_empty() && pending.is_empty()) {
            // Close the previous step (or the leading one).
            flush(&mut steps, &mut pending);
        }
        pending.push((bytes, text));
    }
    flush(&mut steps, &mut pending);
    Ok(Script {
        format,
        steps,
        final_json,
    })
}

/// Ends the step being built.
fn flush(steps: &mut Vec<Step>, pending: &mut Vec<(String, bool)>) {
    if pending.is_empty() {
        return;
    }
    let text = pending.iter().any(|(_, t)| *t);
    let bytes: String = pending.drain(..).map(|(b, _)| b).collect();
    steps.push(Step {
        bytes: Bytes::from(bytes),
        text,
        at: None,
    });
}

fn serialize(e: &Ev, crlf: bool, no_space: bool) -> String {
    let eol = if crlf { "\r\n" } else { "\n" };
    if e.line {
        return format!("{}{eol}", e.data);
    }
    let sep = if no_space { ":" } else { ": " };
    let mut out = String::with_capacity(e.data.len() + 16);
    if e.kind != "message" {
        out.push_str(&format!("event{sep}{}{eol}", e.kind));
    }
    if !e.id.is_empty() {
        out.push_str(&format!("id{sep}{}{eol}", e.id));
    }
    for line in e.data.split('\n') {
        out.push_str("data");
        out.push_str(sep);
        out.push_str(line);
        out.push_str(eol);
    }
    out.push_str(eol);
    out
}

fn json(e: &Ev) -> Option<Value> {
    serde_json::from_str(&e.data).ok()
}

fn event_of(v: &Value, like: &Ev) -> Ev {
    Ev {
        kind: like.kind.clone(),
        id: like.id.clone(),
        data: v.to_string(),
        line: like.line,
    }
}

/// The chunk fields that identify the stream (`id`, `object`, `created`,
/// `model`), from a chat chunk.
fn identity(v: &Value) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    for key in ["id", "object", "created", "model"] {
        if let Some(x) = v.get(key) {
            m.insert(key.to_string(), x.clone());
        }
    }
    m
}

fn delta_content(v: &Value) -> Option<&str> {
    let choices = v.get("choices")?.as_array()?;
    if choices.len() != 1 {
        return None;
    }
    choices[0].get("delta")?.get("content")?.as_str()
}

fn role_first(events: &mut Vec<Ev>) {
    let Some(first) = events.first() else { return };
    let Some(v) = json(first) else { return };
    if delta_content(&v).is_some_and(|c| c.is_empty()) {
        return; // it is one already
    }
    let mut chunk = identity(&v);
    chunk.insert(
        "choices".into(),
        serde_json::json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null}]),
    );
    let ev = event_of(&Value::Object(chunk), first);
    events.insert(0, ev);
}

/// Merges runs of three content-only chunks into one.
fn multi_token(events: Vec<Ev>) -> Vec<Ev> {
    let mut out: Vec<Ev> = Vec::with_capacity(events.len());
    let mut run = 0;
    for e in events {
        let content = json(&e).and_then(|v| {
            let c = delta_content(&v)?.to_string();
            let finished = v["choices"][0]
                .get("finish_reason")
                .is_some_and(|f| !f.is_null());
            (!c.is_empty() && !finished).then_some((v, c))
        });
        match content {
            Some((_, c)) if run > 0 && run < 3 => {
                let last = out.last_mut().expect("a run has a first chunk");
                let mut v = json(last).expect("the run's first chunk is JSON");
                let merged = format!("{}{c}", delta_content(&v).unwrap_or(""));
                v["choices"][0]["delta"]["content"] = Value::String(merged);
                last.data = v.to_string();
                run += 1;
            }
            Some(_) => {
                out.push(e);
                run = 1;
            }
            None => {
                out.push(e);
                run = 0;
            }
        }
    }
    out
}

/// Adds a usage chunk with `choices: []` before the terminator, when the
/// stream has no usage; its completion tokens are the content chunks.
fn usage_chunk(events: &mut Vec<Ev>, done: Option<&str>) {
    let mut like = None;
    let mut chunks = 0u64;
    for e in events.iter() {
        if let Some(v) = json(e) {
            if v.get("usage").is_some_and(|u| !u.is_null()) {
                return;
            }
            if delta_content(&v).is_some_and(|c| !c.is_empty()) {
                chunks += 1;
            }
            like.get_or_insert(v);
        }
    }
    let Some(like) = like else { return };
    let mut chunk = identity(&like);
    chunk.insert("choices".into(), Value::Array(Vec::new()));
    chunk.insert(
        "usage".into(),
        serde_json::json!({"prompt_tokens": 9, "completion_tokens": chunks, "total_tokens": 9 + chunks}),
    );
    let at = events
        .iter()
        .position(|e| done.is_some_and(|d| serialize(e, false, false) == d))
        .unwrap_or(events.len());
    let template = events[at.min(events.len() - 1)].clone();
    events.insert(
        at,
        Ev {
            kind: "message".into(),
            id: template.id,
            data: Value::Object(chunk).to_string(),
            line: false,
        },
    );
}

/// Pads the first JSON event past 128 KiB with an extension field.
fn big_event(events: &mut [Ev]) {
    if let Some(e) = events
        .iter_mut()
        .find(|e| json(e).is_some_and(|v| v.is_object()))
    {
        let mut v = json(e).expect("checked");
        v["x_padding"] = Value::String("x".repeat(130 * 1024));
        e.data = v.to_string();
    }
}

/// A response recorded by `bench --record`: its reads, at their times.
fn from_recording(name: &str, rec: &Recording) -> Result<Script, String> {
    let format: Format = rec
        .head
        .format
        .parse()
        .map_err(|e| format!("{name}: {e}"))?;
    let mut whole = folding::new(Some(format), Limits::default());
    let mut fold = folding::new(Some(format), Limits::default());
    let mut steps = Vec::new();
    for (at, bytes) in &rec.reads {
        whole.push(bytes).for_each(drop);
        let text = fold
            .push(bytes)
            .any(|ev| ev.is_ok_and(|ev| folding::is_text(&ev)));
        steps.push(Step {
            bytes: Bytes::from(bytes.clone()),
            text,
            at: Some(*at),
        });
    }
    Ok(Script {
        format,
        steps,
        final_json: Bytes::from(folding::final_json(whole)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> &'static [u8] {
        formats::spec(Format::OpenAiChat).sample
    }

    fn body(script: &Script) -> Vec<u8> {
        script
            .steps
            .iter()
            .flat_map(|s| s.bytes.iter().copied())
            .collect()
    }

    fn text_of(bytes: &[u8]) -> String {
        let mut fold = folding::new(None, Limits::default());
        let mut text = String::new();
        for ev in fold.push(bytes).flatten() {
            if let streamfold::Event::ContentDelta { delta, .. } = ev {
                text.push_str(&delta);
            }
        }
        text
    }

    #[test]
    fn the_sample_is_one_leading_step_then_one_step_per_text_event() {
        let s = from_sse("sample", sample(), &[]).unwrap();
        assert_eq!(s.format, Format::OpenAiChat);
        assert!(!s.steps[0].text, "the role-only chunk goes first, alone");
        assert!(s.steps[1..].iter().all(|s| s.text));
        assert!(s.steps.last().unwrap().bytes.ends_with(b"data: [DONE]\n\n"));
        let want: Value = serde_json::from_slice(&s.final_json).unwrap();
        assert_eq!(text_of(&body(&s)), want["choices"][0]["message"]["content"]);
    }

    #[test]
    fn a_usage_chunk_is_added_only_when_the_stream_has_none() {
        let input = b"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n\
data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"},\"finish_reason\":\"stop\"}]}\n\n\
data: [DONE]\n\n";
        let s = from_sse("two", input, &[Quirk::UsageChunk]).unwrap();
        let text = String::from_utf8(body(&s)).unwrap();
        let usage = text
            .find("\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2")
            .unwrap();
        assert!(usage < text.find("[DONE]").unwrap());
    }

    #[test]
    fn quirks_keep_the_text_and_change_the_framing() {
        let plain = from_sse("sample", sample(), &[]).unwrap();
        let want = text_of(&body(&plain));
        let all: Vec<Quirk> = formats::QUIRKS.iter().map(|(_, q)| *q).collect();
        let q = from_sse("sample", sample(), &all).unwrap();
        let b = body(&q);
        assert_eq!(text_of(&b), want);
        let s = String::from_utf8(b).unwrap();
        assert!(
            s.contains("\r\n\r\n") && !s.contains("data: "),
            "CRLF, no space"
        );
        assert!(!s.contains("[DONE]"));
        assert!(s.contains("\"choices\":[]") && s.contains("\"completion_tokens\""));
        assert!(s.lines().any(|l| l.len() > 128 * 1024));
        let text_steps = q.steps.iter().filter(|s| s.text).count();
        let plain_steps = plain.steps.iter().filter(|s| s.text).count();
        assert!(
            text_steps * 2 < plain_steps,
            "{text_steps} vs {plain_steps}"
        );
    }
}
