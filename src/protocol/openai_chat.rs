//! OpenAI chat-completion chunks (`"object": "chat.completion.chunk"`), the
//! wire format of OpenAI, Azure OpenAI and every OpenAI-compatible server.
//!
//! The decoder walks each payload once with the validating scanner, keeps
//! spans of what the fold needs, and skips the rest (`obfuscation` padding,
//! nulls) at scanning speed. Every field name of this wire format lives in
//! this file.
//!
//! Tolerated: a missing choice `index` (taken as 0); a tool-call `id` that is
//! a number (its text is the id); `arguments` sent as a JSON object instead of
//! a string (its JSON text is the arguments). Refused as a shape error: any
//! other known field of the wrong type (`"index": "0"`, `"content": 5`, …).

use crate::delta::{
    Choice, ChunkDelta, Extra, FunctionCall, List, Logprobs, Span, Text, ToolCall, Usage, ValueKind,
};
use crate::error::{Limit, ProviderError};
use crate::json::scanner::{parse_u64, JsonError, JsonErrorCode, Kind, Scanner};
use crate::json::string::JsonStr;
use crate::json::value::{parse_value, Value};

/// What one SSE event meant.
#[derive(Debug)]
pub(crate) enum Payload {
    /// A chunk; its deltas are in [`Decoder::chunk`].
    Chunk,
    /// `data: [DONE]`.
    Done,
    /// An event that carries no chunk (a non-`message` event type, or empty
    /// data).
    Skip(SkipReason),
    /// The provider reported an error.
    ProviderError(ProviderError),
}

/// Why an event was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SkipReason {
    EventType,
    EmptyData,
}

/// A decoding failure at a byte position of the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DecodeError {
    pub pos: usize,
    pub kind: DecodeErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecodeErrorKind {
    Json(JsonErrorCode),
    Shape {
        field: &'static str,
        expected: &'static str,
    },
    Limit(Limit),
}

impl From<JsonError> for DecodeError {
    fn from(e: JsonError) -> Self {
        let kind = match e.code {
            JsonErrorCode::TooDeep => DecodeErrorKind::Limit(Limit::Depth),
            code => DecodeErrorKind::Json(code),
        };
        DecodeError { pos: e.pos, kind }
    }
}

type Result<T> = std::result::Result<T, DecodeError>;

fn shape<T>(pos: usize, field: &'static str, expected: &'static str) -> Result<T> {
    Err(DecodeError {
        pos,
        kind: DecodeErrorKind::Shape { field, expected },
    })
}

const STRING_OR_NULL: &str = "a string or null";
const OBJECT_OR_NULL: &str = "an object or null";
const ARRAY_OR_NULL: &str = "an array or null";
const INDEX: &str = "a non-negative integer";

/// Decodes the data of each SSE event of an OpenAI chat stream.
#[derive(Debug, Clone)]
pub(crate) struct Decoder {
    chunk: ChunkDelta,
    max_depth: usize,
    max_index: u32,
}

impl Decoder {
    pub fn new(max_depth: usize, max_index: u32) -> Decoder {
        Decoder {
            chunk: ChunkDelta::default(),
            max_depth,
            max_index,
        }
    }

    /// The deltas of the last [`Payload::Chunk`].
    pub fn chunk(&self) -> &ChunkDelta {
        &self.chunk
    }

    /// Decodes one event.
    pub fn decode(&mut self, event_type: &str, data: &str) -> Result<Payload> {
        match event_type {
            "message" => {}
            "error" => return Ok(Payload::ProviderError(event_error(data))),
            _ => return Ok(Payload::Skip(SkipReason::EventType)),
        }
        // `[DONE]` exactly: `[DONE]x` is not it (and is not JSON either).
        if data == "[DONE]" {
            return Ok(Payload::Done);
        }
        if data
            .bytes()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            return Ok(Payload::Skip(SkipReason::EmptyData));
        }
        let mut sc = Scanner::new(data, self.max_depth);
        self.chunk.clear();
        let decoded = self.chunk_object(&mut sc, data).and_then(|payload| {
            sc.finish()?;
            Ok(payload)
        });
        match decoded {
            // Malformed JSON anywhere in the payload is reported as such,
            // even after a field of the wrong shape.
            Err(
                e @ DecodeError {
                    kind: DecodeErrorKind::Shape { .. },
                    ..
                },
            ) => {
                let mut whole = Scanner::new(data, self.max_depth);
                whole.skip_value()?;
                whole.finish()?;
                Err(e)
            }
            other => other,
        }
    }

    fn chunk_object(&mut self, sc: &mut Scanner<'_>, data: &str) -> Result<Payload> {
        if sc.peek_kind()? != Kind::Object {
            return shape(sc.pos(), "chunk", "a JSON object");
        }
        sc.object()?;
        let mut first = true;
        let mut error: Option<Span> = None;
        let mut object_is_error = false;
        while let Some(key) = sc.next_key(&mut first)? {
            let c = &mut self.chunk;
            match &*key.to_cow() {
                "id" => c.id = opt_text(sc, data, "id")?,
                "object" => {
                    if let Some(t) = opt_text(sc, data, "object")? {
                        let v = t.get(data).to_cow();
                        c.sets_identity = v == "chat.completion.chunk";
                        object_is_error = v == "error";
                    }
                }
                "created" => c.created = opt_i64(sc, "created")?,
                "model" => c.model = opt_text(sc, data, "model")?,
                "service_tier" => c.service_tier = opt_text(sc, data, "service_tier")?,
                "system_fingerprint" => {
                    c.system_fingerprint = opt_text(sc, data, "system_fingerprint")?
                }
                "usage" => {
                    if !sc.null()? {
                        c.usage = Some(usage(sc)?);
                    }
                }
                "choices" => self.choices(sc, data)?,
                "obfuscation" => {
                    sc.skip_value()?;
                }
                "error" => {
                    let raw = sc.skip_value()?;
                    if truthy(raw) {
                        error = Some(Span::of(raw, data));
                    }
                }
                _ => push_extra(sc, data, key, &mut self.chunk.extras)?,
            }
        }
        if let Some(span) = error {
            return Ok(Payload::ProviderError(error_value(span.get(data))));
        }
        if object_is_error {
            // vLLM and others: `{"object":"error","message":…,"type":…,"code":…}`.
            let mut sc = Scanner::new(data, self.max_depth);
            let v = parse_value(&mut sc).unwrap_or_default();
            return Ok(Payload::ProviderError(error_from_object(&v)));
        }
        Ok(Payload::Chunk)
    }

    fn choices(&mut self, sc: &mut Scanner<'_>, data: &str) -> Result<()> {
        match sc.peek_kind()? {
            Kind::Null => {
                sc.null()?;
                return Ok(());
            }
            Kind::Array => sc.array()?,
            _ => return shape(sc.pos(), "choices", ARRAY_OR_NULL),
        }
        let mut first = true;
        while sc.next_element(&mut first)? {
            if sc.peek_kind()? != Kind::Object {
                return shape(sc.pos(), "choices[]", "an object");
            }
            let choice = self.choice(sc, data)?;
            self.chunk.choices.push(choice);
        }
        Ok(())
    }

    fn choice(&mut self, sc: &mut Scanner<'_>, data: &str) -> Result<Choice> {
        let mut ch = Choice {
            pos: sc.pos(),
            tool_calls: self.chunk.tool_calls.len()..self.chunk.tool_calls.len(),
            delta_extras: self.chunk.delta_extras.len()..self.chunk.delta_extras.len(),
            extras: self.chunk.choice_extras.len()..self.chunk.choice_extras.len(),
            ..Choice::default()
        };
        sc.object()?;
        let mut first = true;
        while let Some(key) = sc.next_key(&mut first)? {
            match &*key.to_cow() {
                "index" => {
                    if let Some(i) = self.opt_index(sc, "choices[].index")? {
                        ch.index = i;
                    }
                }
                "delta" => self.delta(sc, data, &mut ch)?,
                "finish_reason" => ch.finish_reason = opt_text(sc, data, "finish_reason")?,
                "logprobs" => ch.logprobs = logprobs(sc, data)?,
                "obfuscation" => {
                    sc.skip_value()?;
                }
                _ => push_extra(sc, data, key, &mut self.chunk.choice_extras)?,
            }
        }
        ch.tool_calls.end = self.chunk.tool_calls.len();
        ch.delta_extras.end = self.chunk.delta_extras.len();
        ch.extras.end = self.chunk.choice_extras.len();
        Ok(ch)
    }

    fn delta(&mut self, sc: &mut Scanner<'_>, data: &str, ch: &mut Choice) -> Result<()> {
        match sc.peek_kind()? {
            Kind::Null => {
                sc.null()?;
                return Ok(());
            }
            Kind::Object => sc.object()?,
            _ => return shape(sc.pos(), "choices[].delta", OBJECT_OR_NULL),
        }
        let mut first = true;
        while let Some(key) = sc.next_key(&mut first)? {
            match &*key.to_cow() {
                "content" => ch.content = opt_text(sc, data, "delta.content")?,
                "role" => ch.role = opt_text(sc, data, "delta.role")?,
                "refusal" => ch.refusal = opt_text(sc, data, "delta.refusal")?,
                "tool_calls" => self.tool_calls(sc, data)?,
                "function_call" => ch.function_call = function_call(sc, data)?,
                _ => push_extra(sc, data, key, &mut self.chunk.delta_extras)?,
            }
        }
        Ok(())
    }

    fn tool_calls(&mut self, sc: &mut Scanner<'_>, data: &str) -> Result<()> {
        match sc.peek_kind()? {
            Kind::Null => {
                sc.null()?;
                return Ok(());
            }
            Kind::Array => sc.array()?,
            _ => return shape(sc.pos(), "delta.tool_calls", ARRAY_OR_NULL),
        }
        let mut first = true;
        while sc.next_element(&mut first)? {
            if sc.peek_kind()? != Kind::Object {
                return shape(sc.pos(), "delta.tool_calls[]", "an object");
            }
            let call = self.tool_call(sc, data)?;
            self.chunk.tool_calls.push(call);
        }
        Ok(())
    }

    fn tool_call(&mut self, sc: &mut Scanner<'_>, data: &str) -> Result<ToolCall> {
        let c = &mut self.chunk;
        let mut call = ToolCall {
            pos: sc.pos(),
            extras: c.tool_extras.len()..c.tool_extras.len(),
            function_extras: c.function_extras.len()..c.function_extras.len(),
            ..ToolCall::default()
        };
        sc.object()?;
        let mut first = true;
        while let Some(key) = sc.next_key(&mut first)? {
            match &*key.to_cow() {
                "index" => call.index = self.opt_index(sc, "tool_calls[].index")?,
                "id" => {
                    call.id = match sc.peek_kind()? {
                        Kind::Number => Some(Text::verbatim(sc.number()?.0, data)),
                        _ => opt_text(sc, data, "tool_calls[].id")?,
                    }
                }
                "type" => call.kind = opt_text(sc, data, "tool_calls[].type")?,
                "function" => {
                    self.function(sc, data, &mut call)?;
                }
                _ => push_extra(sc, data, key, &mut self.chunk.tool_extras)?,
            }
        }
        call.extras.end = self.chunk.tool_extras.len();
        call.function_extras.end = self.chunk.function_extras.len();
        Ok(call)
    }

    fn function(&mut self, sc: &mut Scanner<'_>, data: &str, call: &mut ToolCall) -> Result<()> {
        match sc.peek_kind()? {
            Kind::Null => {
                sc.null()?;
                return Ok(());
            }
            Kind::Object => sc.object()?,
            _ => return shape(sc.pos(), "tool_calls[].function", OBJECT_OR_NULL),
        }
        let mut first = true;
        while let Some(key) = sc.next_key(&mut first)? {
            match &*key.to_cow() {
                "name" => call.name = opt_text(sc, data, "function.name")?,
                "arguments" => call.arguments = arguments(sc, data)?,
                _ => push_extra(sc, data, key, &mut self.chunk.function_extras)?,
            }
        }
        Ok(())
    }

    /// An `index`: null (absent), or an integer within `max_index`.
    fn opt_index(&self, sc: &mut Scanner<'_>, field: &'static str) -> Result<Option<u32>> {
        let pos = sc.pos();
        match sc.peek_kind()? {
            Kind::Null => {
                sc.null()?;
                Ok(None)
            }
            Kind::Number => {
                let at = sc.pos();
                let (text, integer) = sc.number()?;
                if !integer || text.starts_with('-') {
                    return shape(at, field, INDEX);
                }
                match parse_u64(text) {
                    Some(v) if v <= self.max_index as u64 => Ok(Some(v as u32)),
                    _ => Err(DecodeError {
                        pos: at,
                        kind: DecodeErrorKind::Limit(Limit::Index),
                    }),
                }
            }
            _ => shape(pos.max(sc.pos()), field, INDEX),
        }
    }
}

/// A string or null.
#[inline]
fn opt_text(sc: &mut Scanner<'_>, data: &str, field: &'static str) -> Result<Option<Text>> {
    match sc.peek_kind()? {
        Kind::String => Ok(Some(Text::of(sc.string()?, data))),
        Kind::Null => {
            sc.null()?;
            Ok(None)
        }
        _ => shape(sc.pos(), field, STRING_OR_NULL),
    }
}

/// An integer or null.
fn opt_i64(sc: &mut Scanner<'_>, field: &'static str) -> Result<Option<i64>> {
    match sc.peek_kind()? {
        Kind::Number => {
            let at = sc.pos();
            let (text, integer) = sc.number()?;
            match crate::json::scanner::parse_i64(text) {
                Some(v) if integer => Ok(Some(v)),
                _ => shape(at, field, "an integer or null"),
            }
        }
        Kind::Null => {
            sc.null()?;
            Ok(None)
        }
        _ => shape(sc.pos(), field, "an integer or null"),
    }
}

/// `arguments`: a string or null; an object or array is taken as its JSON
/// text.
fn arguments(sc: &mut Scanner<'_>, data: &str) -> Result<Option<Text>> {
    match sc.peek_kind()? {
        Kind::Object | Kind::Array => Ok(Some(Text::verbatim(sc.skip_value()?, data))),
        _ => opt_text(sc, data, "function.arguments"),
    }
}

fn function_call(sc: &mut Scanner<'_>, data: &str) -> Result<Option<FunctionCall>> {
    match sc.peek_kind()? {
        Kind::Null => {
            sc.null()?;
            return Ok(None);
        }
        Kind::Object => sc.object()?,
        _ => return shape(sc.pos(), "delta.function_call", OBJECT_OR_NULL),
    }
    let mut f = FunctionCall::default();
    let mut first = true;
    while let Some(key) = sc.next_key(&mut first)? {
        match &*key.to_cow() {
            "name" => f.name = opt_text(sc, data, "function_call.name")?,
            "arguments" => f.arguments = arguments(sc, data)?,
            _ => {
                sc.skip_value()?;
            }
        }
    }
    Ok(Some(f))
}

fn logprobs(sc: &mut Scanner<'_>, data: &str) -> Result<Option<Logprobs>> {
    match sc.peek_kind()? {
        Kind::Null => {
            sc.null()?;
            return Ok(None);
        }
        Kind::Object => sc.object()?,
        _ => return shape(sc.pos(), "choices[].logprobs", OBJECT_OR_NULL),
    }
    let mut lp = Logprobs::default();
    let mut first = true;
    while let Some(key) = sc.next_key(&mut first)? {
        match &*key.to_cow() {
            "content" => lp.content = list(sc, data, "logprobs.content")?,
            "refusal" => lp.refusal = list(sc, data, "logprobs.refusal")?,
            _ => {
                sc.skip_value()?;
            }
        }
    }
    Ok(Some(lp))
}

/// An array (its elements' text) or null.
fn list(sc: &mut Scanner<'_>, data: &str, field: &'static str) -> Result<Option<List>> {
    match sc.peek_kind()? {
        Kind::Null => {
            sc.null()?;
            return Ok(None);
        }
        Kind::Array => sc.array()?,
        _ => return shape(sc.pos(), field, ARRAY_OR_NULL),
    }
    let mut l = List::default();
    let mut first = true;
    while sc.next_element(&mut first)? {
        let raw = sc.skip_value()?;
        let span = Span::of(raw, data);
        if l.count == 0 {
            l.inner.start = span.start;
        }
        l.inner.end = span.end;
        l.count += 1;
    }
    Ok(Some(l))
}

fn usage(sc: &mut Scanner<'_>) -> Result<Usage> {
    if sc.peek_kind()? != Kind::Object {
        return shape(sc.pos(), "usage", OBJECT_OR_NULL);
    }
    let start = sc.pos();
    sc.object()?;
    let mut u = Usage::default();
    let mut first = true;
    while let Some(key) = sc.next_key(&mut first)? {
        let slot = match &*key.to_cow() {
            "prompt_tokens" => Some(&mut u.prompt_tokens),
            "completion_tokens" => Some(&mut u.completion_tokens),
            "total_tokens" => Some(&mut u.total_tokens),
            _ => None,
        };
        match slot {
            Some(slot) if sc.peek_kind()? == Kind::Number => {
                let (text, _) = sc.number()?;
                *slot = parse_u64(text);
            }
            _ => {
                sc.skip_value()?;
            }
        }
    }
    u.raw = Span {
        start,
        end: sc.pos(),
    };
    Ok(u)
}

/// Keeps a field the engine does not interpret (unless null).
#[inline]
fn push_extra(
    sc: &mut Scanner<'_>,
    data: &str,
    key: JsonStr<'_>,
    into: &mut Vec<Extra>,
) -> Result<()> {
    let kind = sc.peek_kind()?;
    let (kind, text) = match kind {
        Kind::Null => {
            sc.null()?;
            return Ok(());
        }
        Kind::String => {
            let s = sc.string()?;
            let t = Text::of(s, data);
            let value = Span {
                start: t.start - 1,
                end: t.end + 1,
            };
            into.push(Extra {
                key: Text::of(key, data),
                value,
                kind: ValueKind::String,
                text: t,
            });
            return Ok(());
        }
        Kind::Array => (ValueKind::Array, Text::default()),
        Kind::Object => (ValueKind::Object, Text::default()),
        _ => (ValueKind::Scalar, Text::default()),
    };
    let raw = sc.skip_value()?;
    into.push(Extra {
        key: Text::of(key, data),
        value: Span::of(raw, data),
        kind,
        text,
    });
    Ok(())
}

/// Python's truthiness of an `error` value: null, false, 0, "", [] and {}
/// mean "no error".
fn truthy(raw: &str) -> bool {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .take(6)
        .collect();
    !matches!(
        compact.as_str(),
        "null" | "false" | "0" | "\"\"" | "[]" | "{}"
    )
}

const MAX_MESSAGE: usize = 4096;

fn cut(mut s: String) -> String {
    if s.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// An `error` value: an object with `message`/`type`/`code`, or a string.
fn error_value(raw: &str) -> ProviderError {
    let v: Value = raw.parse().unwrap_or(Value::Null);
    match &v {
        Value::String(s) => ProviderError {
            message: cut(s.clone()),
            ..ProviderError::default()
        },
        Value::Object(_) => error_from_object(&v),
        _ => ProviderError {
            message: cut(raw.to_string()),
            ..ProviderError::default()
        },
    }
}

fn error_from_object(v: &Value) -> ProviderError {
    let text = |key: &str| -> Option<String> {
        match v.get(key)? {
            Value::String(s) => Some(cut(s.clone())),
            Value::Number(n) => Some(
                n.as_i64()
                    .map_or_else(|| n.as_f64().to_string(), |i| i.to_string()),
            ),
            _ => None,
        }
    };
    ProviderError {
        message: text("message").unwrap_or_default(),
        kind: text("type"),
        code: text("code"),
        status: None,
    }
}

/// An HTTP error response's body: as the data of an `event: error`.
pub(crate) fn error_body(body: &[u8]) -> ProviderError {
    event_error(&String::from_utf8_lossy(body))
}

/// The data of an `event: error`: `{"error": {…}}`, `{"message": …}`, or
/// plain text.
fn event_error(data: &str) -> ProviderError {
    match data.parse::<Value>() {
        Ok(v @ Value::Object(_)) => match v.get("error") {
            Some(inner @ Value::Object(_)) => error_from_object(inner),
            Some(Value::String(s)) => ProviderError {
                message: cut(s.clone()),
                ..ProviderError::default()
            },
            _ => error_from_object(&v),
        },
        Ok(Value::String(s)) => ProviderError {
            message: cut(s),
            ..ProviderError::default()
        },
        _ => ProviderError {
            message: cut(data.to_string()),
            ..ProviderError::default()
        },
    }
}
