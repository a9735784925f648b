//! What a Rust client of the Gemini API does: the memchr SSE splitter
//! ([`super::splitter`]), each payload parsed by serde_json into Gemini's
//! response types (strings borrowed where they have no escapes; the fields
//! a client does not interpret — grounding, safety, code execution, server
//! tool parts, usage — as `serde_json::Value`), and the corpus README's
//! merge into one `GenerateContentResponse` (a `serde_json::Value`): first
//! ids, last usage, candidates by index, text parts joined by `thought` flag
//! unless both are signed, streamed `partialArgs` set into `args` by path,
//! other candidate fields last non-null.
//!
//! Fields the types do not declare are dropped, as typed clients drop them.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::splitter::Splitter;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Chunk<'a> {
    #[serde(borrow, default)]
    candidates: Vec<Candidate<'a>>,
    usage_metadata: Option<Value>,
    prompt_feedback: Option<Value>,
    #[serde(borrow)]
    model_version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    response_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    create_time: Option<Cow<'a, str>>,
    error: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate<'a> {
    index: Option<u32>,
    #[serde(borrow)]
    content: Option<Content<'a>>,
    #[serde(borrow)]
    finish_reason: Option<Cow<'a, str>>,
    safety_ratings: Option<Value>,
    citation_metadata: Option<Value>,
    grounding_metadata: Option<Value>,
    url_context_metadata: Option<Value>,
    avg_logprobs: Option<Value>,
    logprobs_result: Option<Value>,
    token_count: Option<Value>,
    finish_message: Option<Value>,
}

#[derive(Deserialize)]
struct Content<'a> {
    #[serde(borrow, default)]
    parts: Vec<Part<'a>>,
    #[serde(borrow)]
    role: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Part<'a> {
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    thought: Option<bool>,
    #[serde(borrow)]
    thought_signature: Option<Cow<'a, str>>,
    #[serde(borrow)]
    function_call: Option<FunctionCall<'a>>,
    function_response: Option<Value>,
    executable_code: Option<Value>,
    code_execution_result: Option<Value>,
    inline_data: Option<Value>,
    file_data: Option<Value>,
    tool_call: Option<Value>,
    tool_response: Option<Value>,
    video_metadata: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FunctionCall<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    args: Option<Value>,
    #[serde(default)]
    will_continue: bool,
    #[serde(borrow, default)]
    partial_args: Vec<PartialArg<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PartialArg<'a> {
    #[serde(borrow)]
    json_path: Cow<'a, str>,
    #[serde(borrow)]
    string_value: Option<Cow<'a, str>>,
    number_value: Option<serde_json::Number>,
    bool_value: Option<bool>,
    null_value: Option<Value>,
    #[serde(default)]
    will_continue: bool,
}

/// One candidate being merged.
#[derive(Default)]
struct Cand {
    parts: Vec<Value>,
    role: Option<String>,
    fields: Map<String, Value>,
    /// The last part is text: (thought, signed).
    last_text: Option<(bool, bool)>,
    /// The last part is a streamed call still open.
    open: bool,
}

#[derive(Default)]
struct Merge {
    candidates: BTreeMap<u32, Cand>,
    top: Map<String, Value>,
    usage: Option<Value>,
    events: usize,
}

fn first(top: &mut Map<String, Value>, key: &str, v: Option<Cow<'_, str>>) {
    if let Some(v) = v {
        let have = top.get(key).and_then(Value::as_str).unwrap_or("");
        if have.is_empty() && !(v.is_empty() && top.contains_key(key)) {
            top.insert(key.to_owned(), Value::String(v.into_owned()));
        }
    }
}

fn last(m: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    if let Some(v) = v.filter(|v| !v.is_null()) {
        m.insert(key.to_owned(), v);
    }
}

impl Merge {
    fn chunk(&mut self, chunk: Chunk<'_>) -> Result<(), String> {
        if let Some(e) = chunk.error {
            return Err(format!("provider error: {e}"));
        }
        for c in chunk.candidates {
            let cand = self.candidates.entry(c.index.unwrap_or(0)).or_default();
            if let Some(content) = c.content {
                if cand.role.is_none() {
                    cand.role = content.role.map(Cow::into_owned);
                }
                for part in content.parts {
                    cand.part(part);
                }
            }
            let f = &mut cand.fields;
            if let Some(r) = c.finish_reason {
                f.insert("finishReason".into(), Value::String(r.into_owned()));
            }
            last(f, "index", c.index.map(Value::from));
            last(f, "safetyRatings", c.safety_ratings);
            last(f, "citationMetadata", c.citation_metadata);
            last(f, "groundingMetadata", c.grounding_metadata);
            last(f, "urlContextMetadata", c.url_context_metadata);
            last(f, "avgLogprobs", c.avg_logprobs);
            last(f, "logprobsResult", c.logprobs_result);
            last(f, "tokenCount", c.token_count);
            last(f, "finishMessage", c.finish_message);
        }
        if chunk.usage_metadata.is_some() {
            self.usage = chunk.usage_metadata;
        }
        last(&mut self.top, "promptFeedback", chunk.prompt_feedback);
        first(&mut self.top, "modelVersion", chunk.model_version);
        first(&mut self.top, "responseId", chunk.response_id);
        first(&mut self.top, "createTime", chunk.create_time);
        Ok(())
    }

    fn finish(self) -> Value {
        let mut out = Map::new();
        if !self.candidates.is_empty() {
            let candidates = self
                .candidates
                .into_values()
                .map(|c| {
                    let mut m = Map::new();
                    let mut content = Map::new();
                    if !c.parts.is_empty() {
                        content.insert("parts".into(), Value::Array(c.parts));
                    }
                    if let Some(r) = c.role {
                        content.insert("role".into(), Value::String(r));
                    }
                    if !content.is_empty() {
                        m.insert("content".into(), Value::Object(content));
                    }
                    m.extend(c.fields);
                    Value::Object(m)
                })
                .collect();
            out.insert("candidates".into(), Value::Array(candidates));
        }
        if let Some(u) = self.usage {
            out.insert("usageMetadata".into(), u);
        }
        out.extend(self.top);
        Value::Object(out)
    }
}

impl Cand {
    fn part(&mut self, part: Part<'_>) {
        if let Some(call) = part.function_call {
            let continues = self.open && call.args.is_none() && call.name.is_none();
            if !continues {
                let mut fc = Map::new();
                if let Some(id) = call.id {
                    fc.insert("id".into(), Value::String(id.into_owned()));
                }
                if let Some(name) = call.name {
                    fc.insert("name".into(), Value::String(name.into_owned()));
                }
                if let Some(args) = call.args {
                    fc.insert("args".into(), args);
                }
                let mut p = Map::new();
                p.insert("functionCall".into(), Value::Object(fc));
                if let Some(s) = part.thought_signature {
                    p.insert("thoughtSignature".into(), Value::String(s.into_owned()));
                }
                self.parts.push(Value::Object(p));
            }
            if let Some(fc) = self
                .parts
                .last_mut()
                .and_then(|p| p.get_mut("functionCall"))
            {
                for piece in &call.partial_args {
                    let args = fc
                        .as_object_mut()
                        .unwrap()
                        .entry("args")
                        .or_insert(Value::Null);
                    set_at(args, piece);
                }
            }
            self.open = call.will_continue;
            self.last_text = None;
            return;
        }
        self.open = false;
        let others = [
            ("functionResponse", part.function_response),
            ("executableCode", part.executable_code),
            ("codeExecutionResult", part.code_execution_result),
            ("inlineData", part.inline_data),
            ("fileData", part.file_data),
            ("toolCall", part.tool_call),
            ("toolResponse", part.tool_response),
            ("videoMetadata", part.video_metadata),
        ];
        let mut p = Map::new();
        for (k, v) in others {
            last(&mut p, k, v);
        }
        let thought = part.thought == Some(true);
        let signed = part.thought_signature.is_some();
        if let (Some(t), true) = (&part.text, p.is_empty()) {
            if let Some((was_thought, was_signed)) = self.last_text {
                if was_thought == thought && !(was_signed && signed) {
                    let last = self.parts.last_mut().unwrap();
                    if let Some(Value::String(have)) = last.get_mut("text") {
                        have.push_str(t);
                    }
                    if let Some(s) = part.thought_signature {
                        last["thoughtSignature"] = Value::String(s.into_owned());
                    }
                    self.last_text = Some((thought, was_signed || signed));
                    return;
                }
            }
            self.last_text = Some((thought, signed));
        } else {
            self.last_text = None;
        }
        if let Some(t) = part.text {
            p.insert("text".into(), Value::String(t.into_owned()));
        }
        if let Some(th) = part.thought {
            p.insert("thought".into(), Value::Bool(th));
        }
        if let Some(s) = part.thought_signature {
            p.insert("thoughtSignature".into(), Value::String(s.into_owned()));
        }
        self.parts.push(Value::Object(p));
    }
}

/// Sets (or, for a string continuing, extends) the value at the piece's
/// path (`$.a.b[0]`), creating objects and arrays on the way.
fn set_at(root: &mut Value, piece: &PartialArg<'_>) {
    let Some(path) = piece.json_path.strip_prefix('$') else {
        return;
    };
    let mut at = root;
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if !at.is_object() {
                *at = Value::Object(Map::new());
            }
            at = at
                .as_object_mut()
                .unwrap()
                .entry(&r[..end])
                .or_insert(Value::Null);
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').unwrap_or(r.len());
            let i: usize = r[..end].parse().unwrap_or(0);
            if !at.is_array() {
                *at = Value::Array(Vec::new());
            }
            let items = at.as_array_mut().unwrap();
            if items.len() <= i {
                items.resize(i + 1, Value::Null);
            }
            at = &mut items[i];
            rest = r.get(end + 1..).unwrap_or("");
        } else {
            return;
        }
    }
    if let Some(s) = &piece.string_value {
        match at {
            Value::String(have) => have.push_str(s),
            other => *other = Value::String(s.to_string()),
        }
    } else if let Some(n) = &piece.number_value {
        *at = Value::Number(n.clone());
    } else if let Some(b) = piece.bool_value {
        *at = Value::Bool(b);
    } else if piece.null_value.is_some() {
        *at = Value::Null;
    }
    let _ = piece.will_continue;
}

/// Folds a stream; returns the merged response and the number of SSE data
/// events.
pub fn fold<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> Result<(Value, usize), String> {
    let mut splitter = Splitter::new();
    let mut merge = Merge::default();
    let mut on_data = |data: &[u8]| {
        merge.events += 1;
        let chunk: Chunk<'_> =
            serde_json::from_slice(data).map_err(|e| format!("event {}: {e}", merge.events - 1))?;
        merge.chunk(chunk)
    };
    for chunk in chunks {
        splitter.feed(chunk, &mut on_data)?;
    }
    let events = merge.events;
    Ok((merge.finish(), events))
}
