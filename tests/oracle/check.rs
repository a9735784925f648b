//! What must hold of a fold's outcome: invariants that hold of any input
//! ([`fold_invariants`]), and, for generated streams, what the model of the
//! stream predicts ([`model`]).

use std::collections::{BTreeMap, BTreeSet};

use streamfold::{Error, Event, Limits, Value, Verdict};

use super::gen::{Body, Seg, Stream, J};
use crate::support::{chat, fold_using, pieces, Outcome};

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn array(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => panic!("log-probabilities are not a list: {other:?}"),
    }
}

/// The invariants of DESIGN.md and of the event docs, on any outcome:
///
/// * per choice, the content deltas concatenated are the final content
///   (`None` exactly when they are empty), and likewise the refusal, each
///   reasoning field and the log-probability lists; per tool call, the
///   argument deltas concatenated are its final arguments;
/// * every `.done` event carries the run of text since the previous one of
///   its kind, and when the stream ended well the runs concatenated are the
///   final value;
/// * one `tool_calls.function.start` per tool call of the completion, whose
///   id and name are empty or the final ones; the last finish reason and
///   usage are the final ones;
/// * exactly one `end` event unless a non-truncation error stopped the
///   stream, only warnings after it, and the verdict agrees with the error.
pub fn fold_invariants(out: &Outcome) {
    let mut content: BTreeMap<u32, String> = BTreeMap::new();
    let mut refusal: BTreeMap<u32, String> = BTreeMap::new();
    let mut reasoning: BTreeMap<(u32, String), String> = BTreeMap::new();
    let mut args: BTreeMap<(u32, u32), String> = BTreeMap::new();
    let mut lp_content: BTreeMap<u32, Vec<Value>> = BTreeMap::new();
    let mut lp_refusal: BTreeMap<u32, Vec<Value>> = BTreeMap::new();
    let mut content_done: BTreeMap<u32, String> = BTreeMap::new();
    let mut refusal_done: BTreeMap<u32, String> = BTreeMap::new();
    let mut reasoning_done: BTreeMap<(u32, String), String> = BTreeMap::new();
    let mut args_done: BTreeMap<(u32, u32), String> = BTreeMap::new();
    let mut lp_content_done: BTreeMap<u32, usize> = BTreeMap::new();
    let mut lp_refusal_done: BTreeMap<u32, usize> = BTreeMap::new();
    let mut starts: BTreeMap<(u32, u32), (String, String)> = BTreeMap::new();
    let mut arg_names: Vec<((u32, u32), String)> = Vec::new();
    let mut finish: BTreeMap<u32, String> = BTreeMap::new();
    let mut usage: Option<[Option<u64>; 3]> = None;
    // The run a `.done` event must carry: the text after what the previous
    // `.done` events of its kind carried.
    fn run<'a>(so_far: &'a str, done: Option<&String>) -> &'a str {
        &so_far[done.map_or(0, String::len).min(so_far.len())..]
    }
    let mut choices: BTreeSet<u32> = BTreeSet::new();
    let mut ends = Vec::new();

    for ev in &out.events {
        if !ends.is_empty() {
            assert!(
                matches!(ev, Event::Warning { .. }),
                "only warnings may follow the end: {ev:?}"
            );
        }
        if let Some(c) = ev.choice() {
            choices.insert(c);
        }
        match ev {
            Event::ContentDelta { choice, delta, .. } => {
                assert!(!delta.is_empty(), "empty deltas are not reported");
                content.entry(*choice).or_default().push_str(delta);
            }
            Event::ContentDone {
                choice,
                content: text,
                ..
            } => {
                let so_far = content.get(choice).map_or("", String::as_str);
                let done = content_done.entry(*choice).or_default();
                assert_eq!(
                    text,
                    run(so_far, Some(done)),
                    "content.done of choice {choice}"
                );
                done.push_str(text);
            }
            Event::RefusalDelta { choice, delta, .. } => {
                assert!(!delta.is_empty(), "empty deltas are not reported");
                refusal.entry(*choice).or_default().push_str(delta);
            }
            Event::RefusalDone {
                choice,
                refusal: text,
                ..
            } => {
                let so_far = refusal.get(choice).map_or("", String::as_str);
                let done = refusal_done.entry(*choice).or_default();
                assert_eq!(
                    text,
                    run(so_far, Some(done)),
                    "refusal.done of choice {choice}"
                );
                done.push_str(text);
            }
            Event::ReasoningDelta {
                choice,
                field,
                delta,
                ..
            } => {
                assert!(!delta.is_empty(), "empty deltas are not reported");
                reasoning
                    .entry((*choice, field.as_deref().unwrap_or("").to_string()))
                    .or_default()
                    .push_str(delta);
            }
            Event::ReasoningDone {
                choice,
                field,
                reasoning: text,
                ..
            } => {
                let key = (*choice, field.as_deref().unwrap_or("").to_string());
                let so_far = reasoning.get(&key).map_or("", String::as_str);
                let done = reasoning_done.entry(key.clone()).or_default();
                assert_eq!(text, run(so_far, Some(done)), "reasoning.done of {key:?}");
                done.push_str(text);
            }
            Event::ToolCallStart {
                choice,
                index,
                id,
                name,
                ..
            } => {
                let fresh = starts
                    .insert((*choice, *index), (id.to_string(), name.to_string()))
                    .is_none();
                assert!(fresh, "two starts of tool call {index} of choice {choice}");
            }
            Event::ToolCallArgumentsDelta {
                choice,
                index,
                name,
                arguments_delta,
                ..
            } => {
                let key = (*choice, *index);
                assert!(starts.contains_key(&key), "arguments before the start");
                assert!(!arguments_delta.is_empty(), "empty deltas are not reported");
                let so_far = args.entry(key).or_default();
                so_far.push_str(arguments_delta);
                arg_names.push((key, name.to_string()));
            }
            Event::ToolCallArgumentsDone {
                choice,
                index,
                name,
                arguments,
                ..
            } => {
                let key = (*choice, *index);
                assert!(starts.contains_key(&key), "arguments.done before the start");
                let so_far = args.get(&key).map_or("", String::as_str);
                let done = args_done.entry(key).or_default();
                assert_eq!(
                    arguments,
                    run(so_far, Some(done)),
                    "arguments.done of {key:?}"
                );
                done.push_str(arguments);
                arg_names.push((key, name.to_string()));
            }
            Event::LogprobsContentDelta {
                choice,
                content: list,
                ..
            } => lp_content
                .entry(*choice)
                .or_default()
                .extend(array(&list.to_value())),
            Event::LogprobsContentDone {
                choice,
                content: list,
                ..
            } => {
                let so_far = lp_content.get(choice).cloned().unwrap_or_default();
                let done = lp_content_done.entry(*choice).or_default();
                assert_eq!(
                    array(&list.to_value()),
                    so_far[*done..],
                    "logprobs.content.done"
                );
                *done = so_far.len();
            }
            Event::LogprobsRefusalDelta {
                choice,
                refusal: list,
                ..
            } => lp_refusal
                .entry(*choice)
                .or_default()
                .extend(array(&list.to_value())),
            Event::LogprobsRefusalDone {
                choice,
                refusal: list,
                ..
            } => {
                let so_far = lp_refusal.get(choice).cloned().unwrap_or_default();
                let done = lp_refusal_done.entry(*choice).or_default();
                assert_eq!(
                    array(&list.to_value()),
                    so_far[*done..],
                    "logprobs.refusal.done"
                );
                *done = so_far.len();
            }
            Event::FinishReason {
                choice,
                finish_reason,
                ..
            } => {
                assert!(!finish_reason.is_empty(), "an empty finish reason is none");
                finish.insert(*choice, finish_reason.to_string());
            }
            Event::Usage { tokens, .. } => {
                usage = Some([
                    tokens.input_tokens,
                    tokens.output_tokens,
                    tokens.total_tokens,
                ])
            }
            Event::End { verdict, .. } => ends.push(*verdict),
            _ => {}
        }
    }

    let c = &out.completion;
    let indices: Vec<u32> = c.choices.iter().map(|ch| ch.index).collect();
    assert!(
        indices.windows(2).all(|w| w[0] < w[1]),
        "choices are listed by index, once each: {indices:?}"
    );
    for index in &choices {
        assert!(
            c.choice(*index).is_some(),
            "events name choice {index}, which the completion lacks"
        );
    }
    let ended_well = matches!(ends.as_slice(), [v] if !v.is_truncated());
    let mut tool_keys = BTreeSet::new();
    for ch in &c.choices {
        let i = ch.index;
        let m = &ch.message;
        let text = content.get(&i).map_or("", String::as_str);
        assert_eq!(
            m.content.as_deref(),
            non_empty(text),
            "content of choice {i}"
        );
        let text = refusal.get(&i).map_or("", String::as_str);
        assert_eq!(
            m.refusal.as_deref(),
            non_empty(text),
            "refusal of choice {i}"
        );
        assert_eq!(
            finish.get(&i).map(String::as_str),
            ch.finish_reason.as_deref().filter(|r| !r.is_empty()),
            "the last finish_reason event is the final one (choice {i})"
        );
        if ended_well {
            if let Some(text) = m.content.as_deref() {
                assert_eq!(content_done.get(&i).map(String::as_str), Some(text));
            }
            if let Some(text) = m.refusal.as_deref() {
                assert_eq!(refusal_done.get(&i).map(String::as_str), Some(text));
            }
        }
        let lp = ch.logprobs.as_ref();
        let final_list = |key: &str| lp.and_then(|v| v.get(key)).map(array).unwrap_or_default();
        assert_eq!(
            final_list("content"),
            lp_content.get(&i).cloned().unwrap_or_default(),
            "logprobs.content of choice {i}"
        );
        assert_eq!(
            final_list("refusal"),
            lp_refusal.get(&i).cloned().unwrap_or_default(),
            "logprobs.refusal of choice {i}"
        );
        // The completion lists tool calls in index order; the events name
        // their indices.
        let indices: Vec<u32> = starts
            .keys()
            .filter(|(c, _)| *c == i)
            .map(|&(_, t)| t)
            .collect();
        assert_eq!(
            indices.len(),
            m.tool_calls.len(),
            "tool calls of choice {i}"
        );
        for (t, &index) in m.tool_calls.iter().zip(&indices) {
            let key = (i, index);
            assert!(tool_keys.insert(key), "two tool calls with index {key:?}");
            let text = args.get(&key).map_or("", String::as_str);
            assert_eq!(t.function.arguments, text, "arguments of tool call {key:?}");
            if ended_well && !text.is_empty() {
                assert_eq!(args_done.get(&key).map(String::as_str), Some(text));
            }
            let (id, name) = starts
                .get(&key)
                .unwrap_or_else(|| panic!("tool call {key:?} has no start event"));
            let final_id = t.id.as_deref().unwrap_or("");
            let final_name = t.function.name.as_deref().unwrap_or("");
            assert!(
                id.is_empty() || id == final_id,
                "start id {id:?} vs {final_id:?}"
            );
            assert!(
                name.is_empty() || name == final_name,
                "start name {name:?} vs {final_name:?}"
            );
        }
    }
    for ((choice, field), text) in &reasoning {
        let ch = c.choice(*choice).expect("checked above");
        assert_eq!(
            ch.message.extra.get(field),
            Some(&Value::String(text.clone())),
            "reasoning field {field} of choice {choice}"
        );
        if ended_well {
            assert_eq!(reasoning_done.get(&(*choice, field.clone())), Some(text));
        }
    }
    let start_keys: BTreeSet<(u32, u32)> = starts.keys().copied().collect();
    assert_eq!(start_keys, tool_keys, "one start event per tool call");
    for (key, name) in arg_names {
        let position = starts
            .keys()
            .filter(|(c, _)| *c == key.0)
            .position(|k| *k == key);
        let t = c
            .choice(key.0)
            .and_then(|ch| ch.message.tool_calls.get(position?));
        let final_name = t.and_then(|t| t.function.name.as_deref()).unwrap_or("");
        assert!(
            name.is_empty() || name == final_name,
            "name {name:?} vs {final_name:?}"
        );
    }
    match (&usage, &c.usage) {
        (None, None) => {}
        (Some([p, q, t]), Some(u)) => assert_eq!(
            (*p, *q, *t),
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            "the last usage event is the final usage"
        ),
        (e, f) => panic!("usage events {e:?} vs final usage {f:?}"),
    }

    let error = out.error.as_ref().map(|e| e.0.as_str());
    match (error, ends.as_slice()) {
        (None, [v]) => assert!(!v.is_truncated(), "no error, yet the verdict is {v:?}"),
        (Some(e), [v]) if e.starts_with("Truncated") => {
            let inside = e.contains("inside_event: true");
            let expected = if inside {
                Verdict::TruncatedInsideEvent
            } else {
                Verdict::Truncated
            };
            assert_eq!(*v, expected, "verdict vs error {e}");
        }
        (Some(e), []) if !e.starts_with("Truncated") => {}
        (e, ends) => panic!("error {e:?} with end events {ends:?}"),
    }
}

// ---------------------------------------------------------------------------
// The model of a generated stream

/// A class of error the model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Json,
    Shape,
    Index,
    Provider,
}

fn classify(kind: &str) -> Option<Class> {
    if kind.starts_with("Json") {
        Some(Class::Json)
    } else if kind.starts_with("Shape") {
        Some(Class::Shape)
    } else if kind.starts_with("Limit { limit: Index") {
        Some(Class::Index)
    } else if kind.starts_with("Provider") {
        Some(Class::Provider)
    } else {
        None
    }
}

/// What one choice object of a chunk does.
#[derive(Debug, Clone, Default)]
struct ChoiceFx {
    index: u32,
    content: Option<String>,
    /// Text of `content` parts (after `content`'s string).
    parts: String,
    refusal: Option<String>,
    finish: Option<String>,
    reasoning: Vec<(String, String)>,
}

/// What the model expects of one SSE event.
#[derive(Debug)]
enum Step {
    /// A chunk: its choices' effects, and whether it has tool calls (which
    /// may overflow the reported indices, a fold limit).
    Apply(Vec<ChoiceFx>, bool),
    Skip,
    Done,
    Fail(Class),
    /// Valid JSON the model does not interpret.
    Unknown,
}

/// The decoded value of a JSON string, as the engine sees it: the SSE layer
/// replaces invalid UTF-8 first. `None` when it is not valid JSON.
fn decode(segs: &[Seg]) -> Option<String> {
    let mut lit = Vec::new();
    super::gen::write_string(&mut lit, segs);
    serde_json::from_str(&String::from_utf8_lossy(&lit)).ok()
}

fn strings_valid(j: &J) -> bool {
    match j {
        J::Str(segs) => decode(segs).is_some(),
        J::Arr(v) => v.iter().all(strings_valid),
        J::Obj(m) => m.iter().all(|(_, v)| strings_valid(v)),
        _ => true,
    }
}

type W<T> = Result<T, Class>;

fn opt_text(j: &J) -> W<Option<String>> {
    match j {
        J::Str(segs) => Ok(Some(decode(segs).expect("checked valid"))),
        J::Null => Ok(None),
        _ => Err(Class::Shape),
    }
}

fn is_integer(text: &str) -> bool {
    !text.contains(['.', 'e', 'E'])
}

fn opt_index(j: &J) -> W<Option<u32>> {
    match j {
        J::Null => Ok(None),
        J::Num(t) if !is_integer(t) || t.starts_with('-') => Err(Class::Shape),
        J::Num(t) => match t.parse::<u64>() {
            Ok(v) if v <= u64::from(u32::MAX) => Ok(Some(v as u32)),
            _ => Err(Class::Index),
        },
        _ => Err(Class::Shape),
    }
}

fn arguments(j: &J) -> W<()> {
    match j {
        J::Obj(_) | J::Arr(_) => Ok(()),
        j => opt_text(j).map(drop),
    }
}

fn opt_object(j: &J) -> W<&[(super::gen::Key, J)]> {
    match j {
        J::Null => Ok(&[]),
        J::Obj(m) => Ok(m),
        _ => Err(Class::Shape),
    }
}

fn opt_array(j: &J) -> W<&[J]> {
    match j {
        J::Null => Ok(&[]),
        J::Arr(v) => Ok(v),
        _ => Err(Class::Shape),
    }
}

/// Python truthiness of an `error` value, as the decoder judges it.
fn truthy(j: &J) -> bool {
    match j {
        J::Null | J::Bool(false) => false,
        J::Num(t) => *t != "0",
        J::Str(segs) => {
            let mut lit = Vec::new();
            super::gen::write_string(&mut lit, segs);
            lit != b"\"\""
        }
        J::Arr(v) => !v.is_empty(),
        J::Obj(m) => !m.is_empty(),
        J::Bool(true) => true,
    }
}

fn tool_call(j: &J) -> W<()> {
    let J::Obj(m) = j else {
        return Err(Class::Shape);
    };
    for (k, v) in m {
        match k.name.as_str() {
            "index" => drop(opt_index(v)?),
            "id" if matches!(v, J::Num(_)) => {}
            "id" | "type" => drop(opt_text(v)?),
            "function" => {
                for (k, v) in opt_object(v)? {
                    match k.name.as_str() {
                        "name" => drop(opt_text(v)?),
                        "arguments" => arguments(v)?,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// `content` as a list of typed parts: `text` parts are content,
/// `thinking` parts (a string, or a list of objects with `text`) reasoning,
/// kept as `reasoning_content`.
fn content_parts(parts: &[J], fx: &mut ChoiceFx) -> W<()> {
    for part in parts {
        let J::Obj(m) = part else {
            return Err(Class::Shape);
        };
        for (k, v) in m {
            match k.name.as_str() {
                "type" => drop(opt_text(v)?),
                "text" => {
                    if let Some(t) = opt_text(v)? {
                        fx.parts.push_str(&t);
                    }
                }
                "thinking" => match v {
                    J::Arr(items) => {
                        for item in items {
                            let J::Obj(m) = item else { continue };
                            for (k, v) in m {
                                if k.name == "text" {
                                    if let Some(t) = opt_text(v)? {
                                        fx.reasoning.push(("reasoning_content".to_string(), t));
                                    }
                                }
                            }
                        }
                    }
                    v => {
                        if let Some(t) = opt_text(v)? {
                            fx.reasoning.push(("reasoning_content".to_string(), t));
                        }
                    }
                },
                _ => {}
            }
        }
    }
    Ok(())
}

fn choice(j: &J, tools: &mut bool) -> W<ChoiceFx> {
    let J::Obj(m) = j else {
        return Err(Class::Shape);
    };
    let mut fx = ChoiceFx::default();
    for (k, v) in m {
        match k.name.as_str() {
            "index" => {
                if let Some(i) = opt_index(v)? {
                    fx.index = i;
                }
            }
            "delta" => {
                for (k, v) in opt_object(v)? {
                    match k.name.as_str() {
                        "content" => match v {
                            J::Arr(parts) => content_parts(parts, &mut fx)?,
                            v => fx.content = opt_text(v)?,
                        },
                        "refusal" => fx.refusal = opt_text(v)?,
                        "role" => drop(opt_text(v)?),
                        "tool_calls" => {
                            for call in opt_array(v)? {
                                tool_call(call)?;
                                *tools = true;
                            }
                        }
                        "function_call" => {
                            for (k, v) in opt_object(v)? {
                                match k.name.as_str() {
                                    "name" => drop(opt_text(v)?),
                                    "arguments" => arguments(v)?,
                                    _ => {}
                                }
                            }
                        }
                        name @ ("reasoning" | "reasoning_content") => {
                            if let J::Str(segs) = v {
                                let text = decode(segs).expect("checked valid");
                                fx.reasoning.push((name.to_string(), text));
                            }
                        }
                        _ => {}
                    }
                }
            }
            "finish_reason" => fx.finish = opt_text(v)?,
            "logprobs" => {
                for (k, v) in opt_object(v)? {
                    if k.name == "content" || k.name == "refusal" {
                        opt_array(v)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(fx)
}

/// What the decoder makes of a chunk whose JSON is valid.
fn chunk(j: &J) -> Step {
    let walk = || -> W<(Vec<ChoiceFx>, bool)> {
        let J::Obj(m) = j else {
            return Err(Class::Shape);
        };
        let mut fx = Vec::new();
        let mut tools = false;
        let mut provider = false;
        let mut object_error = false;
        for (k, v) in m {
            match k.name.as_str() {
                // A numeric id is kept (with a warning).
                "id" if matches!(v, J::Num(_)) => {}
                "id" | "model" | "service_tier" | "system_fingerprint" => drop(opt_text(v)?),
                "object" => {
                    if let Some(t) = opt_text(v)? {
                        object_error = t == "error";
                    }
                }
                // Any number is kept (a non-integer with a warning).
                "created" => match v {
                    J::Null | J::Num(_) => {}
                    _ => return Err(Class::Shape),
                },
                "usage" => drop(opt_object(v)?),
                "choices" => {
                    for c in opt_array(v)? {
                        fx.push(choice(c, &mut tools)?);
                    }
                }
                "error" => provider |= truthy(v),
                _ => {}
            }
        }
        if provider || object_error {
            return Err(Class::Provider);
        }
        Ok((fx, tools))
    };
    match walk() {
        Ok((fx, tools)) => Step::Apply(fx, tools),
        Err(class) => Step::Fail(class),
    }
}

fn step(stream: &Stream, item: &super::gen::Item) -> Step {
    let event_type = match &item.body {
        Body::Typed(t, _) if !t.is_empty() => t,
        _ => "message",
    };
    match event_type {
        "message" => {}
        "error" => return Step::Fail(Class::Provider),
        _ => return Step::Skip,
    }
    let data = String::from_utf8_lossy(&item.sse_data(stream.spaced)).into_owned();
    if data == "[DONE]" {
        return Step::Done;
    }
    if data
        .bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        return Step::Skip;
    }
    match &item.body {
        Body::Chunk(j) | Body::Typed(_, j) => {
            if strings_valid(j) {
                chunk(j)
            } else {
                Step::Fail(Class::Json)
            }
        }
        _ => match serde_json::from_str::<serde_json::Value>(&data) {
            Err(e) if e.to_string().contains("out of range") => Step::Unknown,
            Err(_) => Step::Fail(Class::Json),
            Ok(_) => Step::Unknown,
        },
    }
}

/// The model's view of the completion: per choice, its content, refusal,
/// finish reason and reasoning text.
#[derive(Debug, Clone, Default, PartialEq)]
struct Choice {
    content: String,
    refusal: String,
    finish: Option<String>,
    reasoning: BTreeMap<String, String>,
}

fn apply(state: &mut BTreeMap<u32, Choice>, fx: &[ChoiceFx]) {
    for f in fx {
        let ch = state.entry(f.index).or_default();
        if let Some(t) = &f.content {
            ch.content.push_str(t);
        }
        ch.content.push_str(&f.parts);
        if let Some(t) = &f.refusal {
            ch.refusal.push_str(t);
        }
        for (field, t) in &f.reasoning {
            if !t.is_empty() {
                ch.reasoning.entry(field.clone()).or_default().push_str(t);
            }
        }
        if let Some(r) = f.finish.as_ref().filter(|r| !r.is_empty()) {
            ch.finish = Some(r.clone());
        }
    }
}

/// The texts of the actual completion, in the model's terms.
fn actual(out: &Outcome) -> BTreeMap<u32, Choice> {
    out.completion
        .choices
        .iter()
        .map(|ch| {
            let m = &ch.message;
            let reasoning = ["reasoning", "reasoning_content"]
                .into_iter()
                .filter_map(|f| match m.extra.get(f) {
                    Some(Value::String(s)) => Some((f.to_string(), s.clone())),
                    _ => None,
                })
                .collect();
            let choice = Choice {
                content: m.content.clone().unwrap_or_default(),
                refusal: m.refusal.clone().unwrap_or_default(),
                finish: ch.finish_reason.clone(),
                reasoning,
            };
            (ch.index, choice)
        })
        .collect()
}

/// Checks the outcome of a generated stream against the model: which event
/// fails and with which kind of error, the verdict, and each choice's
/// content, refusal, reasoning and finish reason (exactly when the stream
/// ended without error; as a prefix of the failing chunk otherwise).
pub fn model(stream: &Stream, out: &Outcome) {
    let steps: Vec<Step> = stream.items.iter().map(|i| step(stream, i)).collect();
    let mut state = BTreeMap::new();
    let mut before: Vec<BTreeMap<u32, Choice>> = Vec::new();
    let mut done = false;
    let mut expected: Option<(usize, Class)> = None;
    let mut unknown_from = None;
    for (i, s) in steps.iter().enumerate() {
        before.push(state.clone());
        match s {
            Step::Apply(fx, _) => apply(&mut state, fx),
            Step::Skip => {}
            Step::Done => {
                done = true;
                break;
            }
            Step::Fail(class) => {
                expected = Some((i, *class));
                break;
            }
            Step::Unknown => {
                unknown_from = Some(i);
                break;
            }
        }
    }
    let got = actual(out);
    let error = out.error.as_ref().filter(|e| !e.0.starts_with("Truncated"));
    match error {
        Some((kind, _, at)) => {
            let at = *at as usize;
            let class = classify(kind);
            let tools = matches!(steps.get(at), Some(Step::Apply(_, true)));
            let explained = match expected {
                // The whole payload is decoded before anything is folded.
                Some((k, c)) if k == at => Some(c) == class,
                Some((k, _)) if at < k => class == Some(Class::Index) && tools,
                Some(_) => false,
                None => {
                    (class == Some(Class::Index) && tools) || unknown_from.is_some_and(|u| at >= u)
                }
            };
            assert!(
                explained,
                "error {kind} at event {at}, model expected {expected:?} (unknown from {unknown_from:?})"
            );
            if unknown_from.is_some_and(|u| at > u) {
                return;
            }
            // The failing chunk may be applied in part: up to some choice.
            let base = before.get(at).cloned().unwrap_or_else(|| state.clone());
            let fx: &[ChoiceFx] = match steps.get(at) {
                Some(Step::Apply(fx, _)) => fx,
                _ => &[],
            };
            let strip = |m: &BTreeMap<u32, Choice>| -> BTreeMap<u32, Choice> {
                m.iter()
                    .map(|(i, c)| {
                        let mut c = c.clone();
                        c.finish = None;
                        (*i, c)
                    })
                    .collect()
            };
            let got = strip(&got);
            let fits = (0..=fx.len()).any(|p| {
                let mut s = base.clone();
                apply(&mut s, &fx[..p]);
                strip(&s) == got
            });
            assert!(
                fits,
                "completion {got:#?}\nis no prefix of the failing chunk over {base:#?}"
            );
        }
        None => {
            if let Some((k, c)) = expected {
                panic!("model expected {c:?} at event {k}, got {:?}", out.error);
            }
            if unknown_from.is_some() {
                return;
            }
            assert_eq!(got, state, "completion vs model");
            let mut tail: &[u8] = &stream.tail;
            if !stream.bom && stream.items.is_empty() {
                tail = tail.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(tail);
            }
            let inside = !tail.is_empty() && tail[0] != b':';
            let verdict = if done {
                Verdict::Complete
            } else if inside {
                Verdict::TruncatedInsideEvent
            } else if !state.is_empty() && state.values().all(|c| c.finish.is_some()) {
                Verdict::FinishedWithoutDone
            } else {
                Verdict::Truncated
            };
            let ends: Vec<Verdict> = out
                .events
                .iter()
                .filter_map(|e| match e {
                    Event::End { verdict, .. } => Some(*verdict),
                    _ => None,
                })
                .collect();
            assert_eq!(ends, [verdict], "verdict");
            assert_eq!(
                out.error.is_some(),
                verdict.is_truncated(),
                "a truncated stream, and only one, ends with an error"
            );
        }
    }
}

/// The sync facade driven by hand, fed in `cuts` (chunk lengths): after
/// each push, [`Fold::completion`] holds exactly the content and refusal
/// text of the events so far, [`Fold::error`] the error the push yielded,
/// and [`Fold::offset`] the bytes pushed (until parsing stops); every warning and error lies
/// within the stream, a truncation at its very end; and when the SSE layer
/// cannot have failed, the last event ID and retry time are the naive spec
/// parser's.
pub fn adapter(input: &[u8], cuts: &[usize], limits: Limits) {
    fn key(e: &Error) -> (String, u64, u64) {
        (format!("{:?}", e.kind()), e.offset(), e.event_index())
    }
    let len = input.len() as u64;
    let mut fold = chat(limits);
    let mut content: BTreeMap<u32, String> = BTreeMap::new();
    let mut refusal: BTreeMap<u32, String> = BTreeMap::new();
    let mut yielded = None;
    let mut pushed = 0u64;
    let mut stopped = false;
    let mut pieces = pieces(input, cuts)
        .into_iter()
        .map(Some)
        .collect::<Vec<_>>();
    pieces.push(None); // the end
    for piece in pieces {
        let items: Vec<_> = match piece {
            Some(p) => {
                if !stopped {
                    pushed += p.len() as u64;
                }
                fold.push(p).map(|i| i.map(Event::into_owned)).collect()
            }
            None => fold.end().map(|i| i.map(Event::into_owned)).collect(),
        };
        for item in items {
            match item {
                Ok(Event::ContentDelta { choice, delta, .. }) => {
                    content.entry(choice).or_default().push_str(&delta)
                }
                Ok(Event::RefusalDelta { choice, delta, .. }) => {
                    refusal.entry(choice).or_default().push_str(&delta)
                }
                Ok(Event::Warning {
                    offset,
                    event_index,
                    ..
                }) => {
                    assert!(offset <= len, "warning at {offset}, past the end");
                    assert!(event_index <= len, "warning in event {event_index}");
                }
                Ok(_) => {}
                Err(e) => yielded = Some(key(&e)),
            }
        }
        stopped |= yielded.is_some();
        assert_eq!(
            fold.error().map(key),
            yielded,
            "error() vs the error yielded"
        );
        // offset() counts the bytes consumed: all pushed ones, until an
        // error (or, after `[DONE]`, a failure of the SSE layer) stops the
        // parsing.
        assert!(fold.offset() <= pushed, "offset() past the bytes pushed");
        if !stopped && fold.verdict() != Some(Verdict::Complete) {
            assert_eq!(fold.offset(), pushed, "offset() counts the bytes pushed");
        }
        let snapshot = fold.snapshot().into_chat().unwrap_or_default();
        for ch in &snapshot.choices {
            assert_eq!(
                fold.text(ch.index).filter(|t| !t.is_empty()).as_deref(),
                ch.message.content.as_deref(),
                "text() agrees with snapshot()"
            );
            let i = ch.index;
            let text = content.get(&i).map_or("", String::as_str);
            assert_eq!(
                ch.message.content.as_deref(),
                non_empty(text),
                "completion() content"
            );
            let text = refusal.get(&i).map_or("", String::as_str);
            assert_eq!(
                ch.message.refusal.as_deref(),
                non_empty(text),
                "completion() refusal"
            );
        }
        for i in content.keys().chain(refusal.keys()) {
            assert!(
                snapshot.choice(*i).is_some(),
                "completion() lacks choice {i}"
            );
        }
    }
    match fold.error() {
        Some(e) => {
            assert!(
                e.offset() <= len,
                "error at {}, past the end {len}",
                e.offset()
            );
            if e.is_truncation() {
                assert_eq!(e.offset(), len, "a truncation is reported at the end");
            }
        }
        None => assert!(fold.verdict().is_some_and(|v| !v.is_truncated())),
    }
    let sse_cannot_fail = input.len() <= limits.event_bytes().min(limits.line_bytes());
    let parsed_to_the_end = match fold.error() {
        None => true,
        Some(e) => e.is_truncation(),
    };
    // A body whose first byte (after a BOM) opens a JSON value is framed as
    // NDJSON (an error body, Ollama), not SSE.
    let body = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let framed_as_sse = !matches!(body.first(), Some(b'{' | b'['));
    if sse_cannot_fail && parsed_to_the_end && framed_as_sse {
        let naive = super::naive_sse::parse(input);
        assert_eq!(fold.last_event_id(), naive.last_event_id, "last_event_id()");
        assert_eq!(fold.retry_ms(), naive.retry_ms, "retry_ms()");
    }
}

/// Offsets to chunk lengths (offsets taken modulo `len + 1`).
pub fn lengths(len: usize, offsets: &[usize]) -> Vec<usize> {
    super::cut_at(&vec![0u8; len], offsets)
        .iter()
        .map(|p| p.len())
        .collect()
}

/// Everything about one generated stream: folded whole, one byte at a time
/// and cut at `offsets`, all three must agree; the outcome must keep the
/// invariants and match the model.
pub fn structured(stream: &Stream, offsets: &[usize]) {
    let bytes = stream.to_sse();
    let limits = Limits::default();
    let whole = fold_using(&bytes, &[bytes.len()], chat(limits));
    let bytewise = fold_using(&bytes, &vec![1; bytes.len()], chat(limits));
    assert!(
        bytewise == whole,
        "byte by byte differs from whole:\n{bytewise:#?}\nvs\n{whole:#?}"
    );
    let cut = fold_using(&bytes, &lengths(bytes.len(), offsets), chat(limits));
    assert!(
        cut == whole,
        "cut at {offsets:?} differs from whole:\n{cut:#?}\nvs\n{whole:#?}"
    );
    fold_invariants(&whole);
    model(stream, &whole);
    adapter(&bytes, &lengths(bytes.len(), offsets), limits);
}
