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
use std::borrow::Cow;

use crate::json::scanner::{parse_i64, parse_u64, JsonError, JsonErrorCode, Kind, Scanner, Stop};
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
    #[inline]
    fn from(e: JsonError) -> Self {
        let kind = match e.code {
            JsonErrorCode::TooDeep => DecodeErrorKind::Limit(Limit::Depth),
            code => DecodeErrorKind::Json(code),
        };
        DecodeError { pos: e.pos, kind }
    }
}

type Result<T> = std::result::Result<T, Stop>;

/// The scanner, plus the decoder's own reason for stopping (a shape or
/// limit error; JSON errors are the scanner's).
struct Cur<'a> {
    sc: Scanner<'a>,
    fault: Option<DecodeError>,
}

impl<'a> std::ops::Deref for Cur<'a> {
    type Target = Scanner<'a>;
    #[inline(always)]
    fn deref(&self) -> &Scanner<'a> {
        &self.sc
    }
}

impl std::ops::DerefMut for Cur<'_> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.sc
    }
}

impl Cur<'_> {
    #[cold]
    #[inline(never)]
    fn shape<T>(&mut self, pos: usize, field: &'static str, expected: &'static str) -> Result<T> {
        self.stop(pos, DecodeErrorKind::Shape { field, expected })
    }

    #[cold]
    #[inline(never)]
    fn stop<T>(&mut self, pos: usize, kind: DecodeErrorKind) -> Result<T> {
        self.fault = Some(DecodeError { pos, kind });
        Err(Stop)
    }

    /// Why decoding stopped.
    fn failure(&self) -> DecodeError {
        self.fault.unwrap_or_else(|| self.sc.error().into())
    }
}

const STRING_OR_NULL: &str = "a string or null";
const OBJECT_OR_NULL: &str = "an object or null";
const ARRAY_OR_NULL: &str = "an array or null";
const INDEX: &str = "a non-negative integer";

/// True when `name` is exactly `lit` (a fixed-size compare the compiler
/// expands inline, instead of a call to `bcmp`).
#[inline(always)]
fn is<const N: usize>(name: &[u8], lit: &[u8; N]) -> bool {
    <&[u8; N]>::try_from(name).is_ok_and(|a| a == lit)
}

/// Walks the members of the object whose `{` was just consumed,
/// dispatching on known keys:
///
/// ```text
/// members!(sc;
///     0 2 b"id" => …,          // index, length, name => arm
///     1 7 b"choices" => …,
///     _ key => …,              // any other key (its `Text`)
/// );
/// ```
///
/// Known keys are listed in the order servers send them. The key after the
/// last one recognised is tried first (one fixed-size compare when the
/// server keeps its order), then the others, then the general path: the key
/// is scanned, its escapes decoded, and compared again. A length that does
/// not match its name does not compile.
macro_rules! members {
    ($sc:ident; $($idx:literal $len:literal $lit:literal => $arm:expr,)* _ $key:ident => $default:expr $(,)?) => {{
        let mut first = true;
        let mut next: usize = 0;
        while $sc.next_member(&mut first)? {
            let predicted = match next {
                $($idx => $sc.eat_key::<$len>($lit)?,)*
                _ => false,
            };
            let mut found = if predicted { next } else { usize::MAX };
            $(if found == usize::MAX && $sc.eat_key::<$len>($lit)? {
                found = $idx;
            })*
            let mut other = Text::EMPTY;
            if found == usize::MAX {
                let key = $sc.key_here()?;
                let name = name($sc, key);
                $(if found == usize::MAX && is::<$len>(&name, $lit) {
                    found = $idx;
                })*
                other = key;
            }
            next = found.wrapping_add(1);
            match found {
                $($idx => $arm,)*
                _ => {
                    let $key = other;
                    $default
                }
            }
        }
    }};
}

/// A key's name: its bytes, decoded when it holds escapes (rare).
#[inline(always)]
fn name<'s>(sc: &Cur<'s>, key: Text) -> Cow<'s, [u8]> {
    if key.escaped() {
        Cow::Owned(key.get(sc.text()).to_cow().into_owned().into_bytes())
    } else {
        Cow::Borrowed(sc.bytes_of(key.start(), key.end()))
    }
}

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
    pub fn decode(
        &mut self,
        event_type: &str,
        data: &str,
    ) -> std::result::Result<Payload, DecodeError> {
        match event_type {
            "message" => {}
            "error" => return Ok(Payload::ProviderError(event_error(data))),
            _ => return Ok(Payload::Skip(SkipReason::EventType)),
        }
        // `[DONE]` exactly: `[DONE]x` is not it (and is not JSON either).
        if data == "[DONE]" {
            return Ok(Payload::Done);
        }
        let mut sc = Cur {
            sc: Scanner::new(data, self.max_depth),
            fault: None,
        };
        if sc.ws() == 0 && sc.pos() >= data.len() {
            return Ok(Payload::Skip(SkipReason::EmptyData));
        }
        self.chunk.clear();
        let decoded = self.chunk_object(&mut sc).and_then(|payload| {
            sc.finish()?;
            Ok(payload)
        });
        match decoded {
            Ok(payload) => Ok(payload),
            Err(Stop) => {
                let e = sc.failure();
                if sc.fault.is_some() {
                    // Malformed JSON anywhere in the payload is reported as
                    // such, even after a field of the wrong shape or an index
                    // out of range.
                    let mut whole = Scanner::new(data, self.max_depth);
                    if whole.skip_value().and_then(|_| whole.finish()).is_err() {
                        return Err(whole.error().into());
                    }
                }
                Err(e)
            }
        }
    }

    fn chunk_object(&mut self, sc: &mut Cur<'_>) -> Result<Payload> {
        if sc.ws() != b'{' {
            return sc.shape(sc.pos(), "chunk", "a JSON object");
        }
        sc.object()?;
        let mut error: Option<Span> = None;
        let mut object_is_error = false;
        members!(sc;
            0 2 b"id" => self.chunk.id = opt_text(sc, "id")?,
            1 7 b"choices" => self.choices(sc)?,
            2 7 b"created" => self.chunk.created = opt_i64(sc, "created")?,
            3 5 b"model" => self.chunk.model = opt_text(sc, "model")?,
            4 6 b"object" => {
                if let Some(t) = opt_text(sc, "object")? {
                    let v = t.get(sc.text()).to_cow();
                    self.chunk.sets_identity = v == "chat.completion.chunk";
                    object_is_error = v == "error";
                }
            },
            5 12 b"service_tier" => self.chunk.service_tier = opt_text(sc, "service_tier")?,
            6 18 b"system_fingerprint" => {
                self.chunk.system_fingerprint = opt_text(sc, "system_fingerprint")?
            },
            7 5 b"usage" => {
                if !sc.null()? {
                    self.chunk.usage = Some(usage(sc)?);
                }
            },
            8 11 b"obfuscation" => {
                sc.skip_value()?;
            },
            9 5 b"error" => {
                let raw = sc.skip_value()?;
                if truthy(raw.get(sc.text())) {
                    error = Some(raw);
                }
            },
            _ key => push_extra(sc, key, &mut self.chunk.extras)?,
        );
        if let Some(span) = error {
            return Ok(Payload::ProviderError(error_value(span.get(sc.text()))));
        }
        if object_is_error {
            // vLLM and others: `{"object":"error","message":…,"type":…,"code":…}`.
            let mut whole = Scanner::new(sc.text(), self.max_depth);
            let v = parse_value(&mut whole).unwrap_or_default();
            return Ok(Payload::ProviderError(error_from_object(&v)));
        }
        Ok(Payload::Chunk)
    }

    fn choices(&mut self, sc: &mut Cur<'_>) -> Result<()> {
        match sc.ws() {
            b'[' => sc.array()?,
            b'n' => {
                sc.null()?;
                return Ok(());
            }
            _ => return sc.shape(sc.pos(), "choices", ARRAY_OR_NULL),
        }
        let mut first = true;
        while sc.next_element(&mut first)? {
            if sc.ws() != b'{' {
                return sc.shape(sc.pos(), "choices[]", "an object");
            }
            self.choice(sc)?;
        }
        Ok(())
    }

    /// Decodes one choice into a new entry of `chunk.choices` (built in
    /// place: the entry is large).
    fn choice(&mut self, sc: &mut Cur<'_>) -> Result<()> {
        let c = &mut self.chunk;
        let i = c.choices.len();
        c.choices.push(Choice {
            pos: sc.pos(),
            tool_calls: c.tool_calls.len()..c.tool_calls.len(),
            delta_extras: c.delta_extras.len()..c.delta_extras.len(),
            extras: c.choice_extras.len()..c.choice_extras.len(),
            ..Choice::default()
        });
        sc.object()?;
        members!(sc;
                0 5 b"delta" => self.delta(sc, i)?,
                1 13 b"finish_reason" => {
                    self.chunk.choices[i].finish_reason = opt_text(sc, "finish_reason")?
                },
                2 5 b"index" => {
                    if let Some(index) = self.opt_index(sc, "choices[].index")? {
                        self.chunk.choices[i].index = index;
                    }
                },
                3 8 b"logprobs" => self.chunk.choices[i].logprobs = logprobs(sc)?,
                4 11 b"obfuscation" => {
                    sc.skip_value()?;
                },
                _ key => push_extra(sc, key, &mut self.chunk.choice_extras)?,
        );
        let c = &mut self.chunk;
        let ch = &mut c.choices[i];
        ch.tool_calls.end = c.tool_calls.len();
        ch.delta_extras.end = c.delta_extras.len();
        ch.extras.end = c.choice_extras.len();
        Ok(())
    }

    /// The `delta` of choice `i`.
    fn delta(&mut self, sc: &mut Cur<'_>, i: usize) -> Result<()> {
        match sc.ws() {
            b'{' => sc.object()?,
            b'n' => {
                sc.null()?;
                return Ok(());
            }
            _ => return sc.shape(sc.pos(), "choices[].delta", OBJECT_OR_NULL),
        }
        members!(sc;
                0 7 b"content" => self.chunk.choices[i].content = opt_text(sc, "delta.content")?,
                1 13 b"function_call" => {
                    self.chunk.choices[i].function_call = function_call(sc)?
                },
                2 7 b"refusal" => self.chunk.choices[i].refusal = opt_text(sc, "delta.refusal")?,
                3 4 b"role" => self.chunk.choices[i].role = opt_text(sc, "delta.role")?,
                4 10 b"tool_calls" => self.tool_calls(sc)?,
                _ key => push_extra(sc, key, &mut self.chunk.delta_extras)?,
        );
        Ok(())
    }

    fn tool_calls(&mut self, sc: &mut Cur<'_>) -> Result<()> {
        match sc.ws() {
            b'[' => sc.array()?,
            b'n' => {
                sc.null()?;
                return Ok(());
            }
            _ => return sc.shape(sc.pos(), "delta.tool_calls", ARRAY_OR_NULL),
        }
        let mut first = true;
        while sc.next_element(&mut first)? {
            if sc.ws() != b'{' {
                return sc.shape(sc.pos(), "delta.tool_calls[]", "an object");
            }
            let call = self.tool_call(sc)?;
            self.chunk.tool_calls.push(call);
        }
        Ok(())
    }

    fn tool_call(&mut self, sc: &mut Cur<'_>) -> Result<ToolCall> {
        let c = &mut self.chunk;
        let mut call = ToolCall {
            pos: sc.pos(),
            extras: c.tool_extras.len()..c.tool_extras.len(),
            function_extras: c.function_extras.len()..c.function_extras.len(),
            ..ToolCall::default()
        };
        sc.object()?;
        members!(sc;
                0 5 b"index" => call.index = self.opt_index(sc, "tool_calls[].index")?,
                1 2 b"id" => {
                    call.id = match sc.ws() {
                        b'-' | b'0'..=b'9' => Some(Text::verbatim(sc.number()?.0)),
                        _ => opt_text(sc, "tool_calls[].id")?,
                    }
                },
                2 8 b"function" => self.function(sc, &mut call)?,
                3 4 b"type" => call.kind = opt_text(sc, "tool_calls[].type")?,
                _ key => push_extra(sc, key, &mut self.chunk.tool_extras)?,
        );
        call.extras.end = self.chunk.tool_extras.len();
        call.function_extras.end = self.chunk.function_extras.len();
        Ok(call)
    }

    fn function(&mut self, sc: &mut Cur<'_>, call: &mut ToolCall) -> Result<()> {
        match sc.ws() {
            b'{' => sc.object()?,
            b'n' => {
                sc.null()?;
                return Ok(());
            }
            _ => return sc.shape(sc.pos(), "tool_calls[].function", OBJECT_OR_NULL),
        }
        members!(sc;
                0 9 b"arguments" => call.arguments = arguments(sc)?,
                1 4 b"name" => call.name = opt_text(sc, "function.name")?,
                _ key => push_extra(sc, key, &mut self.chunk.function_extras)?,
        );
        Ok(())
    }

    /// An `index`: null (absent), or an integer within `max_index`.
    #[inline]
    fn opt_index(&self, sc: &mut Cur<'_>, field: &'static str) -> Result<Option<u32>> {
        match sc.ws() {
            b'n' => {
                sc.null()?;
                Ok(None)
            }
            b'0'..=b'9' => {
                // The usual case first: a small integer ending the value.
                let at = sc.pos();
                if let Some((v, end)) = sc.small_uint() {
                    sc.advance_to(end);
                    return match u32::try_from(v) {
                        Ok(v) if v <= self.max_index => Ok(Some(v)),
                        _ => sc.stop(at, DecodeErrorKind::Limit(Limit::Index)),
                    };
                }
                let (span, integer) = sc.number()?;
                let text = sc.bytes_of(span.start, span.end);
                if !integer {
                    return sc.shape(at, field, INDEX);
                }
                match parse_u64(text) {
                    Some(v) if v <= self.max_index as u64 => Ok(Some(v as u32)),
                    _ => sc.stop(at, DecodeErrorKind::Limit(Limit::Index)),
                }
            }
            b'-' => {
                let at = sc.pos();
                let (span, integer) = sc.number()?;
                let text = sc.bytes_of(span.start, span.end);
                if !integer || text.first() == Some(&b'-') {
                    return sc.shape(at, field, INDEX);
                }
                match parse_u64(text) {
                    Some(v) if v <= self.max_index as u64 => Ok(Some(v as u32)),
                    _ => sc.stop(at, DecodeErrorKind::Limit(Limit::Index)),
                }
            }
            _ => {
                sc.peek_kind()?;
                sc.shape(sc.pos(), field, INDEX)
            }
        }
    }
}

/// A string or null.
#[inline(always)]
fn opt_text(sc: &mut Cur<'_>, field: &'static str) -> Result<Option<Text>> {
    match sc.ws() {
        b'"' => Ok(Some(sc.string_here()?)),
        b'n' => {
            sc.null()?;
            Ok(None)
        }
        _ => {
            sc.peek_kind()?;
            sc.shape(sc.pos(), field, STRING_OR_NULL)
        }
    }
}

/// An integer or null.
fn opt_i64(sc: &mut Cur<'_>, field: &'static str) -> Result<Option<i64>> {
    match sc.peek_kind()? {
        Kind::Number => {
            let at = sc.pos();
            let (span, integer) = sc.number()?;
            match parse_i64(sc.bytes_of(span.start, span.end)) {
                Some(v) if integer => Ok(Some(v)),
                _ => sc.shape(at, field, "an integer or null"),
            }
        }
        Kind::Null => {
            sc.null()?;
            Ok(None)
        }
        _ => sc.shape(sc.pos(), field, "an integer or null"),
    }
}

/// `arguments`: a string or null; an object or array is taken as its JSON
/// text.
#[inline]
fn arguments(sc: &mut Cur<'_>) -> Result<Option<Text>> {
    match sc.ws() {
        b'{' | b'[' => Ok(Some(Text::verbatim(sc.skip_value()?))),
        _ => opt_text(sc, "function.arguments"),
    }
}

fn function_call(sc: &mut Cur<'_>) -> Result<Option<FunctionCall>> {
    match sc.ws() {
        b'{' => sc.object()?,
        b'n' => {
            sc.null()?;
            return Ok(None);
        }
        _ => return sc.shape(sc.pos(), "delta.function_call", OBJECT_OR_NULL),
    }
    let mut f = FunctionCall::default();
    members!(sc;
            0 4 b"name" => f.name = opt_text(sc, "function_call.name")?,
            1 9 b"arguments" => f.arguments = arguments(sc)?,
            _ _key => {
                sc.skip_value()?;
            },
    );
    Ok(Some(f))
}

fn logprobs(sc: &mut Cur<'_>) -> Result<Option<Logprobs>> {
    match sc.ws() {
        b'{' => sc.object()?,
        b'n' => {
            sc.null()?;
            return Ok(None);
        }
        _ => return sc.shape(sc.pos(), "choices[].logprobs", OBJECT_OR_NULL),
    }
    let mut lp = Logprobs::default();
    members!(sc;
            0 7 b"content" => lp.content = list(sc, "logprobs.content")?,
            1 7 b"refusal" => lp.refusal = list(sc, "logprobs.refusal")?,
            _ _key => {
                sc.skip_value()?;
            },
    );
    Ok(Some(lp))
}

/// An array (its elements' text) or null.
fn list(sc: &mut Cur<'_>, field: &'static str) -> Result<Option<List>> {
    match sc.ws() {
        b'[' => sc.array()?,
        b'n' => {
            sc.null()?;
            return Ok(None);
        }
        _ => return sc.shape(sc.pos(), field, ARRAY_OR_NULL),
    }
    let mut l = List::default();
    let mut first = true;
    while sc.next_element(&mut first)? {
        let span = sc.skip_value()?;
        if l.count == 0 {
            l.inner.start = span.start;
        }
        l.inner.end = span.end;
        l.count += 1;
    }
    Ok(Some(l))
}

/// A token count: a non-negative integer (anything else is kept in the raw
/// object only).
fn opt_count(sc: &mut Cur<'_>) -> Result<Option<u64>> {
    if sc.ws().is_ascii_digit() {
        let (span, integer) = sc.number()?;
        return Ok(parse_u64(sc.bytes_of(span.start, span.end)).filter(|_| integer));
    }
    sc.skip_value()?;
    Ok(None)
}

fn usage(sc: &mut Cur<'_>) -> Result<Usage> {
    if sc.ws() != b'{' {
        return sc.shape(sc.pos(), "usage", OBJECT_OR_NULL);
    }
    let start = sc.pos();
    sc.object()?;
    let mut u = Usage::default();
    members!(sc;
        0 13 b"prompt_tokens" => u.prompt_tokens = opt_count(sc)?,
        1 17 b"completion_tokens" => u.completion_tokens = opt_count(sc)?,
        2 12 b"total_tokens" => u.total_tokens = opt_count(sc)?,
        _ _key => {
            sc.skip_value()?;
        },
    );
    u.raw = Span {
        start,
        end: sc.pos(),
    };
    Ok(u)
}

/// Keeps a field the engine does not interpret (unless null).
#[inline]
fn push_extra(sc: &mut Cur<'_>, key: Text, into: &mut Vec<Extra>) -> Result<()> {
    let (kind, text) = match sc.ws() {
        b'n' => {
            sc.null()?;
            return Ok(());
        }
        b'"' => {
            let start = sc.pos();
            let t = sc.string_here()?;
            into.push(Extra {
                key,
                value: Span {
                    start,
                    end: sc.pos(),
                },
                kind: ValueKind::String,
                text: t,
            });
            return Ok(());
        }
        b'[' => (ValueKind::Array, Text::EMPTY),
        b'{' => (ValueKind::Object, Text::EMPTY),
        _ => (ValueKind::Scalar, Text::EMPTY),
    };
    let value = sc.skip_value()?;
    into.push(Extra {
        key,
        value,
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
