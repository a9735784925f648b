//! Every format, fuzzed: streams of the Responses, Anthropic Messages,
//! Gemini, legacy completions and Ollama shapes generated from arbitrary
//! bytes ([`stream`]), and what must hold of any fold whatever its format
//! ([`split_invariant`], [`agree`]): the same events, error and final object
//! (as JSON) in every chunking; the events' text and tool arguments are the
//! final object's; positions lie inside the input. For a generated stream
//! without hostile parts, [`predicted`] also checks the generator's own
//! account of the text and arguments it sent.

use std::collections::BTreeMap;

use arbitrary::{Result, Unstructured};
use serde_json::{json, Value as Json};
use streamfold::{Event, Final, Fold, Format, Limits, Warning};

use crate::support::pieces;

/// Everything a fold produced, as JSON: comparable across chunkings.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonOutcome {
    pub events: Vec<Json>,
    /// The stream error: (kind, offset, event index).
    pub error: Option<(String, u64, u64)>,
    pub format: Option<Format>,
    pub done: Json,
    /// Not compared (the JSON above is): the owned events and final object.
    pub owned: Option<(Vec<Event<'static>>, Final)>,
}

/// Folds `input` fed in the given chunk lengths with the fold `make` builds.
pub fn fold_json(input: &[u8], cuts: &[usize], make: &dyn Fn() -> Fold) -> JsonOutcome {
    let mut fold = make();
    let mut events = Vec::new();
    let mut error = None;
    let key = |e: &streamfold::Error| (format!("{:?}", e.kind()), e.offset(), e.event_index());
    for piece in pieces(input, cuts) {
        for item in fold.push(piece) {
            match item {
                Ok(ev) => events.push(ev.into_owned()),
                Err(e) => error = Some(key(&e)),
            }
        }
    }
    for item in fold.end() {
        match item {
            Ok(ev) => events.push(ev.into_owned()),
            Err(e) => error = Some(key(&e)),
        }
    }
    let format = fold.format();
    let done = match fold.finish() {
        Ok(f) => {
            assert_eq!(error, None, "finish() succeeded after an error was yielded");
            f
        }
        Err(e) => {
            assert_eq!(Some(key(&e)), error, "finish() reports the stream's error");
            e.into_partial()
                .expect("every error keeps the partial result")
        }
    };
    JsonOutcome {
        events: events
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect(),
        error,
        format,
        done: serde_json::to_value(&done).unwrap(),
        owned: Some((events, done)),
    }
}

fn same(a: &JsonOutcome, b: &JsonOutcome) -> bool {
    a.events == b.events && a.error == b.error && a.format == b.format && a.done == b.done
}

/// Whole, cut into `cuts` (chunk lengths) and, when `bytewise`, one byte at
/// a time: the same events, error, format and final object, as JSON.
/// Returns the whole outcome.
pub fn split_invariant(
    input: &[u8],
    cuts: &[usize],
    bytewise: bool,
    make: &dyn Fn() -> Fold,
) -> JsonOutcome {
    let whole = fold_json(input, &[input.len()], make);
    let cut = fold_json(input, cuts, make);
    assert!(
        same(&cut, &whole),
        "cut into {cuts:?}:\n{:#?}\nvs whole:\n{:#?}",
        (&cut.events, &cut.error, &cut.done),
        (&whole.events, &whole.error, &whole.done)
    );
    if bytewise {
        let one = fold_json(input, &vec![1; input.len()], make);
        assert!(
            same(&one, &whole),
            "input {:?}\none byte at a time:\n{:#?}\nvs whole:\n{:#?}",
            String::from_utf8_lossy(input),
            (&one.events, &one.error, &one.done),
            (&whole.events, &whole.error, &whole.done)
        );
    }
    whole
}

/// The index of the choice (candidate) [`Final::text`] reads: the first
/// one listed.
fn first_choice(format: Format, done: &Json) -> Option<u32> {
    let list = match format {
        Format::OpenAiChat | Format::OpenAiCompletions => done.get("choices"),
        Format::Gemini => done.get("candidates"),
        _ => return Some(0),
    }?;
    let first = list.as_array()?.first()?;
    Some(first.get("index").and_then(Json::as_u64).unwrap_or(0) as u32)
}

/// The final arguments of each client tool call, in order: text (chat,
/// Responses) or the parsed value (the others).
fn final_calls(format: Format, done: &Json, choice: u32) -> Option<Vec<Json>> {
    let arr = |v: Option<&Json>| v.and_then(Json::as_array).cloned().unwrap_or_default();
    Some(match format {
        Format::OpenAiResponses => arr(done.get("output"))
            .into_iter()
            .filter(|i| i.get("type").and_then(Json::as_str) == Some("function_call"))
            .map(|i| i.get("arguments").cloned().unwrap_or(json!("")))
            .collect(),
        Format::AnthropicMessages => arr(done.get("content"))
            .into_iter()
            .filter(|b| b.get("type").and_then(Json::as_str) == Some("tool_use"))
            .map(|b| b.get("input").cloned().unwrap_or(Json::Null))
            .collect(),
        Format::Gemini => {
            let cands = arr(done.get("candidates"));
            let cand = cands.iter().find(|c| {
                c.get("index").and_then(Json::as_u64).unwrap_or(0) == u64::from(choice)
            })?;
            arr(cand.pointer("/content/parts"))
                .into_iter()
                .filter_map(|p| p.get("functionCall").cloned())
                .map(|c| c.get("args").cloned().unwrap_or(Json::Null))
                .collect()
        }
        Format::Ollama => arr(done.pointer("/message/tool_calls"))
            .into_iter()
            .map(|c| {
                c.pointer("/function/arguments")
                    .cloned()
                    .unwrap_or(Json::Null)
            })
            .collect(),
        _ => return None,
    })
}

/// What the events say: per choice, the content deltas by block (in block
/// order), and per (choice, tool index) the arguments deltas concatenated.
struct Said {
    content: BTreeMap<u32, BTreeMap<Option<u32>, String>>,
    args: BTreeMap<(u32, u32), String>,
    disagree: bool,
    invalid_args: bool,
}

fn said(events: &[Event<'static>], len: u64) -> Said {
    let mut s = Said {
        content: BTreeMap::new(),
        args: BTreeMap::new(),
        disagree: false,
        invalid_args: false,
    };
    for ev in events {
        match ev {
            Event::ContentDelta {
                choice,
                block,
                delta,
                ..
            } => {
                assert!(!delta.is_empty(), "empty deltas are not reported");
                s.content
                    .entry(*choice)
                    .or_default()
                    .entry(*block)
                    .or_default()
                    .push_str(delta);
            }
            Event::ToolCallArgumentsDelta {
                choice,
                index,
                arguments_delta,
                ..
            } => s
                .args
                .entry((*choice, *index))
                .or_default()
                .push_str(arguments_delta),
            Event::Warning {
                warning, offset, ..
            } => {
                assert!(*offset <= len, "warning at {offset}, past the end {len}");
                match warning {
                    Warning::DeltasDisagree { .. } => s.disagree = true,
                    Warning::InvalidArguments { .. } => s.invalid_args = true,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    s
}

/// The events agree with the final object, whatever the format: the
/// content deltas of the first choice, block by block, are
/// [`Final::text`]; each tool call's argument deltas concatenated are its
/// final arguments (as text, or parsed where the final object holds a
/// value); the error and every warning lie inside the input (a truncation
/// at its end).
pub fn agree(out: &JsonOutcome, len: u64) {
    let (events, done) = out.owned.as_ref().expect("an outcome of fold_json");
    if let Some((kind, offset, _)) = &out.error {
        assert!(
            *offset <= len,
            "error {kind} at {offset}, past the end {len}"
        );
        if kind.starts_with("Truncated") {
            assert_eq!(*offset, len, "a truncation is reported at the end");
        }
    }
    let s = said(events, len);
    let Some(format) = out.format else {
        assert!(
            events
                .iter()
                .all(|e| matches!(e, Event::Warning { .. } | Event::End { .. })),
            "events before the format was known: {events:?}"
        );
        return;
    };
    assert_eq!(done.format(), format, "the final object's format");
    if s.disagree {
        return;
    }
    if let Some(c) = first_choice(format, &out.done) {
        let text: String = s
            .content
            .get(&c)
            .map(|blocks| blocks.values().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            text,
            done.text(),
            "content deltas of choice {c} vs Final::text()"
        );
    }
    // Per tool call: chat's are checked by `fold_invariants`.
    let mut by_choice: BTreeMap<u32, Vec<(u32, &String)>> = BTreeMap::new();
    for ((c, i), a) in &s.args {
        by_choice.entry(*c).or_default().push((*i, a));
    }
    for (c, calls) in by_choice {
        let Some(finals) = final_calls(format, &out.done, c) else {
            continue;
        };
        for (i, text) in calls {
            let Some(fin) = finals.get(i as usize) else {
                panic!("arguments deltas of call {i} (choice {c}), which the final object lacks: {finals:?}")
            };
            let parsed = serde_json::from_str::<Json>(text).ok();
            match (format, fin) {
                // Text in the final object.
                (Format::OpenAiResponses, Json::String(f)) => {
                    assert_eq!(text, f, "arguments of call {i} (choice {c})")
                }
                // Ollama's string arguments: the object or array their text
                // spells, or else that text.
                (Format::Ollama, value) => {
                    let expected = match parsed {
                        Some(v @ (Json::Object(_) | Json::Array(_))) => v,
                        _ => Json::String(text.clone()),
                    };
                    assert_eq!(&expected, value, "arguments of call {i} (choice {c})");
                }
                // A value (a string too) whose JSON text the deltas are.
                (_, value) => {
                    if let Some(parsed) = parsed {
                        assert_eq!(&parsed, value, "arguments of call {i} (choice {c})");
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------
// The generator.

/// A generated stream and the generator's account of it.
#[derive(Debug, Clone)]
pub struct Stream {
    pub format: Format,
    pub bytes: Vec<u8>,
    /// No hostile part (wrong types, errors, foreign or broken payloads, a
    /// cut): the fold must end without an error other than a truncation.
    pub clean: bool,
    /// The terminator was sent, last.
    pub terminated: bool,
    /// The message text sent (first choice).
    pub text: String,
    /// Each client tool call's arguments text, in order (first choice).
    pub args: Vec<String>,
}

struct G<'a, 'b> {
    u: &'b mut Unstructured<'a>,
    clean: bool,
    text: String,
    args: Vec<String>,
}

impl G<'_, '_> {
    fn chance(&mut self, num: u32, den: u32) -> Result<bool> {
        Ok(self.u.int_in_range(0..=den - 1)? < num)
    }
    /// A hostile choice, one time in `den`: the stream is no longer clean.
    fn hostile(&mut self, den: u32) -> Result<bool> {
        let h = self.chance(1, den)?;
        if h {
            self.clean = false;
        }
        Ok(h)
    }
    fn pick<T: Clone>(&mut self, options: &[T]) -> Result<T> {
        Ok(self.u.choose(options)?.clone())
    }
    fn count(&mut self, max: u32) -> Result<usize> {
        Ok(self.u.int_in_range(0..=max)? as usize)
    }
    fn text(&mut self) -> Result<String> {
        if self.chance(1, 6)? {
            let s: String = self.u.arbitrary()?;
            return Ok(s.chars().take(24).collect());
        }
        self.pick(&[
            "Hello",
            " world",
            "",
            "\n",
            "é",
            "😀 ok",
            "\"quoted\" \\ back",
            "\u{0}\u{1f}",
            "tab\there",
            "日本語",
            "\u{2028}",
            "data: x\n\n",
        ])
        .map(str::to_string)
    }
    /// A tool call's arguments, in fragments (split at character
    /// boundaries).
    fn arguments(&mut self) -> Result<(String, Vec<String>)> {
        let whole = self
            .pick(&[
                r#"{"city":"Paris","n":3}"#,
                r#"{}"#,
                r#"{"q":"é😀\"\\n","a":[1,2.5,-1,{"b":null,"c":true}],"e":""}"#,
                r#"{"nested":{"deep":{"deeper":[[],{}]}},"x":1e5}"#,
                r#"{"path":"a.txt","content":"line 1\nline 2"}"#,
            ])?
            .to_string();
        let whole = if self.hostile(12)? {
            // Not JSON: cut short.
            whole[..whole.len() / 2].to_string()
        } else {
            whole
        };
        let n = 1 + self.count(4)?;
        let mut bounds: Vec<usize> = (0..n - 1)
            .map(|_| self.u.int_in_range(0..=whole.len()))
            .collect::<Result<_>>()?;
        bounds.retain(|&b| whole.is_char_boundary(b));
        bounds.push(0);
        bounds.push(whole.len());
        bounds.sort_unstable();
        let frags = bounds
            .windows(2)
            .map(|w| whole[w[0]..w[1]].to_string())
            .collect();
        Ok((whole, frags))
    }
    /// An unknown member, sometimes, on `v` (an object).
    fn extra(&mut self, v: &mut Json) -> Result<()> {
        if self.chance(1, 6)? {
            let key = self.pick(&["x_extra", "_meta", "service_tier", "obfuscation"])?;
            let value = self.pick(&[
                json!(null),
                json!(1),
                json!("s"),
                json!({"a": [1]}),
                json!([]),
            ])?;
            if let Some(m) = v.as_object_mut() {
                m.insert(key.to_string(), value);
            }
        }
        Ok(())
    }
    /// A wrong-typed value in place of a member's, sometimes.
    fn corrupt(&mut self, v: &mut Json, key: &str) -> Result<()> {
        if self.hostile(30)? {
            let value = self.pick(&[
                json!(7),
                json!("7"),
                json!([]),
                json!({}),
                json!(true),
                json!(-1),
            ])?;
            if let Some(m) = v.as_object_mut() {
                m.insert(key.to_string(), value);
            }
        }
        Ok(())
    }
}

/// One payload: the SSE event type (if named) and its JSON text.
struct Payload {
    event: Option<String>,
    data: String,
}

fn payload(g: &mut G, event: Option<&str>, mut v: Json) -> Result<Payload> {
    g.extra(&mut v)?;
    let name = match event {
        Some(e) if g.chance(3, 4)? => Some(e.to_string()),
        _ => None,
    };
    let data = if g.chance(1, 5)? {
        serde_json::to_string_pretty(&v).unwrap().replace('\n', " ")
    } else {
        v.to_string()
    };
    Ok(Payload { event: name, data })
}

/// A hostile payload: an error, another format's, broken JSON, not an
/// object. `None` for none this time.
fn hostile_payload(g: &mut G, format: Format) -> Result<Option<Payload>> {
    if !g.hostile(16)? {
        return Ok(None);
    }
    let (event, data) = g.pick(&[
        (None, r#"{"error":{"message":"boom","type":"server_error","code":500}}"#),
        (Some("error"), r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#),
        (None, r#"{"error":"model not found"}"#),
        (None, r#"{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}"#),
        (None, r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}"#),
        (None, r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"x"}}]}"#),
        (None, r#"{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"x"}"#),
        (None, r#"{"candidates":[{"content":{"parts":[{"text":"x"}]},"index":0}]}"#),
        (None, r#"{"model":"m","created_at":"t","response":"x","done":false}"#),
        (None, r#"{"id":"c","object":"text_completion","choices":[{"index":0,"text":"x"}]}"#),
        (None, r#"{"choices":[{"index":0,"delta":{"content":"cut"#),
        (None, "[1,2]"),
        (None, "\"text\""),
        (None, "{oops}"),
        (None, "[DONE]"),
    ])?;
    let _ = format;
    Ok(Some(Payload {
        event: event.map(str::to_string),
        data: data.to_string(),
    }))
}

/// OpenAI Responses: created, items (message text, function calls with
/// streamed arguments, reasoning summaries), a terminal event.
fn responses(g: &mut G, out: &mut Vec<Payload>) -> Result<bool> {
    let mut seq = 0u64;
    let mut next = |v: &mut Json| {
        v["sequence_number"] = json!(seq);
        seq += 1;
    };
    let mut created = json!({"type":"response.created","response":{"id":"resp_1","object":"response","status":"in_progress","model":"gpt-x","output":[]}});
    next(&mut created);
    out.push(payload(g, Some("response.created"), created)?);
    let mut items = Vec::new();
    let n = g.count(4)?;
    for oi in 0..n {
        if let Some(p) = hostile_payload(g, Format::OpenAiResponses)? {
            out.push(p);
        }
        let id = format!("item_{oi}");
        match g.count(3)? {
            0 | 1 => {
                let item = json!({"type":"message","id":id,"status":"in_progress","role":"assistant","content":[]});
                let mut v =
                    json!({"type":"response.output_item.added","output_index":oi,"item":item});
                next(&mut v);
                out.push(payload(g, Some("response.output_item.added"), v)?);
                let mut v = json!({"type":"response.content_part.added","item_id":id,"output_index":oi,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}});
                next(&mut v);
                out.push(payload(g, Some("response.content_part.added"), v)?);
                let mut text = String::new();
                for _ in 0..g.count(4)? {
                    let d = g.text()?;
                    text.push_str(&d);
                    let mut v = json!({"type":"response.output_text.delta","item_id":id,"output_index":oi,"content_index":0,"delta":d});
                    g.corrupt(&mut v, "delta")?;
                    next(&mut v);
                    out.push(payload(g, Some("response.output_text.delta"), v)?);
                }
                g.text.push_str(&text);
                let mut v = json!({"type":"response.output_text.done","item_id":id,"output_index":oi,"content_index":0,"text":text});
                next(&mut v);
                out.push(payload(g, Some("response.output_text.done"), v)?);
                let item = json!({"type":"message","id":id,"status":"completed","role":"assistant","content":[{"type":"output_text","text":text,"annotations":[]}]});
                let mut v = json!({"type":"response.output_item.done","output_index":oi,"item":item.clone()});
                next(&mut v);
                out.push(payload(g, Some("response.output_item.done"), v)?);
                items.push(item);
            }
            2 => {
                let (whole, frags) = g.arguments()?;
                let call = format!("call_{oi}");
                let item = json!({"type":"function_call","id":id,"call_id":call,"name":"get_weather","arguments":"","status":"in_progress"});
                let mut v =
                    json!({"type":"response.output_item.added","output_index":oi,"item":item});
                next(&mut v);
                out.push(payload(g, Some("response.output_item.added"), v)?);
                for f in frags {
                    let mut v = json!({"type":"response.function_call_arguments.delta","item_id":id,"output_index":oi,"delta":f});
                    next(&mut v);
                    out.push(payload(
                        g,
                        Some("response.function_call_arguments.delta"),
                        v,
                    )?);
                }
                let mut v = json!({"type":"response.function_call_arguments.done","item_id":id,"output_index":oi,"arguments":whole});
                next(&mut v);
                out.push(payload(
                    g,
                    Some("response.function_call_arguments.done"),
                    v,
                )?);
                let item = json!({"type":"function_call","id":id,"call_id":call,"name":"get_weather","arguments":whole,"status":"completed"});
                let mut v = json!({"type":"response.output_item.done","output_index":oi,"item":item.clone()});
                next(&mut v);
                out.push(payload(g, Some("response.output_item.done"), v)?);
                g.args.push(whole);
                items.push(item);
            }
            _ => {
                let item = json!({"type":"reasoning","id":id,"summary":[]});
                let mut v =
                    json!({"type":"response.output_item.added","output_index":oi,"item":item});
                next(&mut v);
                out.push(payload(g, Some("response.output_item.added"), v)?);
                let mut text = String::new();
                for _ in 0..g.count(3)? {
                    let d = g.text()?;
                    text.push_str(&d);
                    let mut v = json!({"type":"response.reasoning_summary_text.delta","item_id":id,"output_index":oi,"summary_index":0,"delta":d});
                    next(&mut v);
                    out.push(payload(
                        g,
                        Some("response.reasoning_summary_text.delta"),
                        v,
                    )?);
                }
                let item = json!({"type":"reasoning","id":id,"summary":[{"type":"summary_text","text":text}]});
                let mut v = json!({"type":"response.output_item.done","output_index":oi,"item":item.clone()});
                next(&mut v);
                out.push(payload(g, Some("response.output_item.done"), v)?);
                items.push(item);
            }
        }
        if g.chance(1, 10)? {
            let mut v = json!({"type":"response.in_progress.future_thing","x":1});
            next(&mut v);
            out.push(payload(g, None, v)?);
        }
    }
    if g.chance(1, 8)? {
        return Ok(false);
    }
    let (kind, status) = g.pick(&[
        ("response.completed", "completed"),
        ("response.completed", "completed"),
        ("response.incomplete", "incomplete"),
        ("response.failed", "failed"),
    ])?;
    if kind == "response.failed" {
        g.clean = false;
    }
    let mut response = json!({"id":"resp_1","object":"response","status":status,"model":"gpt-x","output":items,
        "usage":{"input_tokens":5,"output_tokens":7,"total_tokens":12}});
    if status == "incomplete" {
        response["incomplete_details"] = json!({"reason":"max_output_tokens"});
    }
    if status == "failed" {
        response["error"] = json!({"code":"server_error","message":"failed"});
    }
    let mut v = json!({"type":kind,"response":response});
    next(&mut v);
    out.push(payload(g, Some(kind), v)?);
    Ok(true)
}

/// Anthropic Messages: message_start, content blocks (text, thinking with
/// its signature, tool_use with streamed JSON), message_delta,
/// message_stop; pings, unknown types.
fn anthropic(g: &mut G, out: &mut Vec<Payload>) -> Result<bool> {
    let start = json!({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}});
    out.push(payload(g, Some("message_start"), start)?);
    let n = g.count(4)?;
    for i in 0..n {
        if let Some(p) = hostile_payload(g, Format::AnthropicMessages)? {
            out.push(p);
        }
        if g.chance(1, 8)? {
            out.push(payload(g, Some("ping"), json!({"type":"ping"}))?);
        }
        match g.count(2)? {
            0 => {
                let v = json!({"type":"content_block_start","index":i,"content_block":{"type":"text","text":""}});
                out.push(payload(g, Some("content_block_start"), v)?);
                for _ in 0..g.count(4)? {
                    let d = g.text()?;
                    g.text.push_str(&d);
                    let mut delta = json!({"type":"text_delta","text":d});
                    g.corrupt(&mut delta, "text")?;
                    let v = json!({"type":"content_block_delta","index":i,"delta":delta});
                    out.push(payload(g, Some("content_block_delta"), v)?);
                }
            }
            1 => {
                let v = json!({"type":"content_block_start","index":i,"content_block":{"type":"thinking","thinking":"","signature":""}});
                out.push(payload(g, Some("content_block_start"), v)?);
                for _ in 0..g.count(3)? {
                    let d = g.text()?;
                    let v = json!({"type":"content_block_delta","index":i,"delta":{"type":"thinking_delta","thinking":d}});
                    out.push(payload(g, Some("content_block_delta"), v)?);
                }
                let v = json!({"type":"content_block_delta","index":i,"delta":{"type":"signature_delta","signature":"c2ln"}});
                out.push(payload(g, Some("content_block_delta"), v)?);
            }
            _ => {
                let (whole, frags) = g.arguments()?;
                let v = json!({"type":"content_block_start","index":i,"content_block":{"type":"tool_use","id":format!("toolu_{i}"),"name":"get_weather","input":{}}});
                out.push(payload(g, Some("content_block_start"), v)?);
                for f in frags {
                    let v = json!({"type":"content_block_delta","index":i,"delta":{"type":"input_json_delta","partial_json":f}});
                    out.push(payload(g, Some("content_block_delta"), v)?);
                }
                g.args.push(whole);
            }
        }
        if g.chance(1, 12)? {
            let v = json!({"type":"content_block_delta","index":i,"delta":{"type":"future_delta","x":"y"}});
            out.push(payload(g, Some("content_block_delta"), v)?);
        }
        let v = json!({"type":"content_block_stop","index":i});
        out.push(payload(g, Some("content_block_stop"), v)?);
    }
    if g.chance(1, 10)? {
        out.push(payload(
            g,
            Some("future_event"),
            json!({"type":"future_event","a":1}),
        )?);
    }
    if g.chance(1, 8)? {
        return Ok(false);
    }
    let reason = g.pick(&["end_turn", "tool_use", "max_tokens"])?;
    let v = json!({"type":"message_delta","delta":{"stop_reason":reason,"stop_sequence":null},"usage":{"output_tokens":9}});
    out.push(payload(g, Some("message_delta"), v)?);
    if g.chance(1, 8)? {
        return Ok(false);
    }
    out.push(payload(
        g,
        Some("message_stop"),
        json!({"type":"message_stop"}),
    )?);
    Ok(true)
}

/// Gemini: fragments with text parts, thought parts, whole function calls,
/// usage; the last with a finish reason (no terminator).
fn gemini(g: &mut G, out: &mut Vec<Payload>) -> Result<bool> {
    let n = 1 + g.count(5)?;
    for k in 0..n {
        if let Some(p) = hostile_payload(g, Format::Gemini)? {
            out.push(p);
        }
        let mut parts = Vec::new();
        for _ in 0..1 + g.count(2)? {
            match g.count(3)? {
                0 | 1 => {
                    let t = g.text()?;
                    g.text.push_str(&t);
                    parts.push(json!({"text":t}));
                }
                2 => parts.push(json!({"text":g.text()?,"thought":true})),
                _ => {
                    let (whole, _) = g.arguments()?;
                    match serde_json::from_str::<Json>(&whole) {
                        Ok(args) => {
                            parts.push(json!({"functionCall":{"name":"get_weather","args":args}}));
                            g.args.push(whole);
                        }
                        Err(_) => parts.push(json!({"text":""})),
                    }
                }
            }
        }
        let mut cand = json!({"content":{"role":"model","parts":parts},"index":0});
        g.corrupt(&mut cand, "content")?;
        let last = k + 1 == n;
        if last && !g.chance(1, 8)? {
            cand["finishReason"] = json!(g.pick(&["STOP", "MAX_TOKENS"])?);
        }
        let mut v = json!({"candidates":[cand],"modelVersion":"gemini-x","responseId":"r1"});
        if g.chance(1, 2)? {
            v["usageMetadata"] =
                json!({"promptTokenCount":3,"candidatesTokenCount":k,"totalTokenCount":3 + k});
        }
        out.push(payload(g, None, v)?);
    }
    Ok(true)
}

/// Legacy completions: `text_completion` chunks, usage, `[DONE]`.
fn completions(g: &mut G, out: &mut Vec<Payload>) -> Result<bool> {
    let n = 1 + g.count(5)?;
    for k in 0..n {
        if let Some(p) = hostile_payload(g, Format::OpenAiCompletions)? {
            out.push(p);
        }
        let t = g.text()?;
        g.text.push_str(&t);
        let finish = if k + 1 == n {
            json!(g.pick(&["stop", "length"])?)
        } else {
            Json::Null
        };
        let mut choice = json!({"index":0,"text":t.clone(),"logprobs":null,"finish_reason":finish});
        if g.chance(1, 4)? {
            choice["logprobs"] = json!({"tokens":[t.clone()],"token_logprobs":[-0.5],"top_logprobs":[{"a":-0.5}],"text_offset":[k]});
        }
        g.corrupt(&mut choice, "text")?;
        let v = json!({"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[choice]});
        out.push(payload(g, None, v)?);
    }
    if g.chance(1, 3)? {
        let v = json!({"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}});
        out.push(payload(g, None, v)?);
    }
    if g.chance(1, 8)? {
        return Ok(false);
    }
    out.push(Payload {
        event: None,
        data: "[DONE]".to_string(),
    });
    Ok(true)
}

/// Ollama `/api/chat` or `/api/generate`: objects with content, thinking,
/// tool calls (whole), then one with `done: true` and the counts.
fn ollama(g: &mut G, out: &mut Vec<Payload>) -> Result<bool> {
    let chat = g.chance(1, 2)?;
    let n = g.count(5)?;
    for _ in 0..n {
        if let Some(p) = hostile_payload(g, Format::Ollama)? {
            out.push(p);
        }
        let t = g.text()?;
        g.text.push_str(&t);
        let mut v = if chat {
            let mut m = json!({"role":"assistant","content":t});
            if g.chance(1, 3)? {
                m["thinking"] = json!(g.text()?);
            }
            if g.chance(1, 4)? {
                let (whole, _) = g.arguments()?;
                if let Ok(args) = serde_json::from_str::<Json>(&whole) {
                    m["tool_calls"] = json!([{"function":{"name":"get_weather","arguments":args}}]);
                    g.args.push(whole);
                }
            }
            json!({"model":"m","created_at":"t","message":m,"done":false})
        } else {
            let mut v = json!({"model":"m","created_at":"t","response":t,"done":false});
            if g.chance(1, 3)? {
                v["thinking"] = json!(g.text()?);
            }
            v
        };
        g.corrupt(&mut v, "done")?;
        out.push(payload(g, None, v)?);
    }
    if g.chance(1, 8)? {
        return Ok(false);
    }
    let mut v = json!({"model":"m","created_at":"t","done":true,"done_reason":g.pick(&["stop","length"])?,
        "total_duration":10,"prompt_eval_count":3,"eval_count":4,"eval_duration":5});
    if chat {
        v["message"] = json!({"role":"assistant","content":""});
    } else {
        v["response"] = json!("");
    }
    out.push(payload(g, None, v)?);
    Ok(true)
}

/// A stream of `format` (not OpenAI chat: see `gen.rs`), framed as the
/// format is (SSE with or without `event:` lines, CR/LF/CRLF, comments;
/// NDJSON for Ollama), sometimes cut inside its last payload.
pub fn stream(u: &mut Unstructured, format: Format) -> Result<Stream> {
    let mut g = G {
        u,
        clean: true,
        text: String::new(),
        args: Vec::new(),
    };
    let mut payloads = Vec::new();
    let terminated = match format {
        Format::OpenAiResponses => responses(&mut g, &mut payloads)?,
        Format::AnthropicMessages => anthropic(&mut g, &mut payloads)?,
        Format::Gemini => gemini(&mut g, &mut payloads)?,
        Format::OpenAiCompletions => completions(&mut g, &mut payloads)?,
        Format::Ollama => ollama(&mut g, &mut payloads)?,
        _ => completions(&mut g, &mut payloads)?,
    };
    if let Some(p) = hostile_payload(&mut g, format)? {
        payloads.push(p);
    }
    let mut bytes = Vec::new();
    if g.chance(1, 20)? {
        bytes.extend_from_slice(b"\xEF\xBB\xBF");
    }
    if format == Format::Ollama {
        let eol: &[u8] = g.pick(&[&b"\n"[..], &b"\r\n"[..]])?;
        for p in &payloads {
            bytes.extend_from_slice(p.data.as_bytes());
            bytes.extend_from_slice(eol);
            if g.chance(1, 10)? {
                bytes.extend_from_slice(eol);
            }
        }
    } else {
        let eol: &[u8] = g.pick(&[&b"\n"[..], &b"\r\n"[..], &b"\r"[..]])?;
        for p in &payloads {
            if g.chance(1, 12)? {
                bytes.extend_from_slice(b": keep-alive");
                bytes.extend_from_slice(eol);
                bytes.extend_from_slice(eol);
            }
            if let Some(e) = &p.event {
                bytes.extend_from_slice(b"event: ");
                bytes.extend_from_slice(e.as_bytes());
                bytes.extend_from_slice(eol);
            }
            bytes.extend_from_slice(if g.chance(1, 6)? {
                &b"data:"[..]
            } else {
                &b"data: "[..]
            });
            bytes.extend_from_slice(p.data.as_bytes());
            bytes.extend_from_slice(eol);
            bytes.extend_from_slice(eol);
        }
    }
    if !bytes.is_empty() && g.hostile(10)? {
        let at = g.u.int_in_range(0..=bytes.len() - 1)?;
        bytes.truncate(at);
    }
    Ok(Stream {
        format,
        bytes,
        clean: g.clean,
        terminated,
        text: g.text,
        args: g.args,
    })
}

/// What a clean stream must give: no error but a truncation (and none
/// after its terminator), the text the generator sent, and each call's
/// arguments (text equal, or the same value).
pub fn predicted(s: &Stream, out: &JsonOutcome) {
    let (_, done) = out.owned.as_ref().unwrap();
    if let Some((kind, ..)) = &out.error {
        assert!(
            kind.starts_with("Truncated"),
            "a clean stream failed: {kind}\n{}",
            String::from_utf8_lossy(&s.bytes)
        );
        assert!(
            !(s.terminated && s.format != Format::Gemini),
            "a terminated clean stream is truncated: {kind}"
        );
    }
    // A stream without a payload (empty, or a byte order mark and
    // comments) tells no format.
    if out.format.is_none() && !s.bytes.contains(&b'{') {
        return;
    }
    assert_eq!(out.format, Some(s.format), "detected format");
    assert_eq!(done.text(), s.text, "the text sent");
    if let Some(calls) = final_calls(s.format, &out.done, 0) {
        assert_eq!(
            calls.len(),
            s.args.len(),
            "tool calls: {calls:?} vs {:?}",
            s.args
        );
        for (fin, sent) in calls.iter().zip(&s.args) {
            match fin {
                Json::String(f) => assert_eq!(f, sent, "arguments"),
                v => {
                    if let Ok(parsed) = serde_json::from_str::<Json>(sent) {
                        assert_eq!(&parsed, v, "arguments");
                    }
                }
            }
        }
    }
}

/// The structured check of a generated stream of `s.format`: whole, one
/// byte at a time and cut, forced and detected, the same; the events agree
/// with the final object; and, when clean, the generator's account.
///
/// With `STREAMFOLD_FAILED_STREAM` set to a path, a failing stream's bytes
/// are written there (the last one written is the shrunk case).
pub fn structured(s: &Stream, cuts: &[usize]) {
    let checked = std::panic::catch_unwind(|| check_structured(s, cuts));
    if let Err(panic) = checked {
        if let Some(path) = std::env::var_os("STREAMFOLD_FAILED_STREAM") {
            std::fs::write(path, &s.bytes).expect("the failed stream is written");
        }
        std::panic::resume_unwind(panic);
    }
}

fn check_structured(s: &Stream, cuts: &[usize]) {
    let format = s.format;
    let whole = split_invariant(&s.bytes, cuts, true, &Fold::new);
    agree(&whole, s.bytes.len() as u64);
    let forced = move || {
        Fold::new()
            .with_format(format)
            .with_limits(Limits::default())
    };
    let forced_out = split_invariant(&s.bytes, cuts, false, &forced);
    agree(&forced_out, s.bytes.len() as u64);
    if s.clean {
        predicted(s, &whole);
    }
    // A stream with no payload leaves a detecting fold without a format
    // (and a forced one with its own): compare only once detected.
    if s.clean && whole.format.is_some() {
        assert!(
            same(&forced_out, &whole),
            "forcing the format changes a clean stream:\n{:#?}\nvs\n{:#?}",
            (&forced_out.events, &forced_out.error, &forced_out.done),
            (&whole.events, &whole.error, &whole.done)
        );
    }
}
