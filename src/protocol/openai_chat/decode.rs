//! Decoding OpenAI chat-completion chunks into ops.
//!
//! The decoder walks each payload once with the validating scanner, keeps
//! spans of what the fold needs, and skips the rest (`obfuscation` padding,
//! nulls) at scanning speed. A choice is decoded whole (its `index` may come
//! after its `delta`), then its ops are emitted in the order its events must
//! come; the chunk's own fields follow the choices.
//!
//! Tolerated: a missing choice `index` (taken as 0); a tool-call `id` that is
//! a number (its text is the id); `arguments` sent as a JSON object instead
//! of a string (its JSON text is the arguments); `content` as a list of
//! typed parts (Mistral: `text` parts are content, `thinking` parts
//! reasoning); a choice-level `message` beside `delta` (a duplicate: not
//! merged). Kept with a [`Warning::Lenient`]: a `created` that is not an
//! integer, a chunk `id` that is a number, chunks labelled `"object":
//! "chat.completion"`. Refused as a shape error: any other known field of
//! the wrong type (`"index": "0"`, `"content": 5`, …).

use std::ops::Range;

use super::fields as f;
use crate::delta::{
    BlockKey, BlockKind, Delta, Key, List, LogprobsKind, Op, Raw, Rule, Scope, Span, StrSpan,
    ValueKind,
};
use crate::event::Warning;
use crate::json::scanner::{parse_u64, Kind, Stop};
use crate::protocol::provider_error::{self, truthy};
use crate::protocol::scan::{
    list, members, opt_count, opt_index, opt_text, raw_value, Cur, DecodeError, Result,
    ARRAY_OR_NULL, OBJECT_OR_NULL,
};
use crate::protocol::{Payload, SkipReason};
use crate::usage::TokenCounts;

/// One tool-call fragment of a choice.
#[derive(Debug, Clone, Default)]
struct ToolCall {
    index: Option<u32>,
    pos: usize,
    id: Option<StrSpan>,
    kind: Option<StrSpan>,
    name: Option<StrSpan>,
    arguments: Option<StrSpan>,
    extras: Range<usize>,
    function_extras: Range<usize>,
}

/// One choice of a chunk.
#[derive(Debug, Clone, Default)]
struct Choice {
    index: u32,
    pos: usize,
    role: Option<Raw>,
    content: Option<StrSpan>,
    refusal: Option<StrSpan>,
    finish_reason: Option<StrSpan>,
    function_call: Option<Raw>,
    logprobs: Option<(Option<List>, Option<List>)>,
}

/// A field the engine does not interpret.
#[derive(Debug, Clone, Copy)]
struct Extra {
    key: StrSpan,
    value: Raw,
    /// A delta field whose string is reasoning text.
    reasoning: bool,
}

/// The chunk-level fields of one chunk.
#[derive(Debug, Clone, Default)]
struct Chunk {
    /// False for chunks whose `object` is present and not a chat-completion
    /// chunk (Azure's prompt-filter chunk): they do not set identity fields.
    sets_identity: bool,
    id: Option<Raw>,
    model: Option<Raw>,
    service_tier: Option<Raw>,
    system_fingerprint: Option<Raw>,
    created: Option<Raw>,
    usage: Option<(Span, TokenCounts)>,
    extras: Vec<Extra>,
    /// A key this format defines was seen (else the payload is foreign).
    known: bool,
    /// Something only a chat chunk has: its `object` label or a choice's
    /// `delta`/`message`. Without it, a payload the detection table takes
    /// for another format's (a `text_completion` chunk, an Ollama line) is
    /// that format's, although it shares keys with a chat chunk.
    chat_shaped: bool,
}

/// Decodes the data of each SSE event of an OpenAI chat stream.
#[derive(Debug, Clone)]
pub(crate) struct Decoder {
    chunk: Chunk,
    choice: Choice,
    tool_calls: Vec<ToolCall>,
    parts: Vec<(BlockKind, StrSpan)>,
    choice_extras: Vec<Extra>,
    delta_extras: Vec<Extra>,
    tool_extras: Vec<Extra>,
    function_extras: Vec<Extra>,
    max_depth: usize,
    max_index: u32,
}

impl Decoder {
    pub fn new(max_depth: usize, max_index: u32) -> Decoder {
        Decoder {
            chunk: Chunk::default(),
            choice: Choice::default(),
            tool_calls: Vec::new(),
            parts: Vec::new(),
            choice_extras: Vec::new(),
            delta_extras: Vec::new(),
            tool_extras: Vec::new(),
            function_extras: Vec::new(),
            max_depth,
            max_index,
        }
    }

    /// Decodes one event into `out`.
    pub fn decode(
        &mut self,
        event_type: &str,
        data: &str,
        out: &mut Delta,
    ) -> std::result::Result<Payload, DecodeError> {
        match event_type {
            "message" => {}
            "error" => {
                return Ok(Payload::ProviderError(provider_error::from_body(data)));
            }
            _ if self.looks_foreign(event_type, data) => return Ok(Payload::Foreign),
            _ => return Ok(Payload::Skip(SkipReason::EventType)),
        }
        // `[DONE]` exactly: `[DONE]x` is not it (and is not JSON either).
        if data == "[DONE]" {
            out.push(Op::Terminal);
            return Ok(Payload::Ops);
        }
        let mut sc = Cur::new(data, self.max_depth);
        if sc.ws() == 0 && sc.pos() >= data.len() {
            return Ok(Payload::Skip(SkipReason::EmptyData));
        }
        self.chunk = Chunk {
            sets_identity: true,
            extras: std::mem::take(&mut self.chunk.extras),
            ..Chunk::default()
        };
        self.chunk.extras.clear();
        let decoded = self.chunk_object(&mut sc, out).and_then(|payload| {
            sc.finish()?;
            Ok(payload)
        });
        match decoded {
            Ok(Payload::Ops)
                if (!self.chunk.known || !self.chunk.chat_shaped)
                    && self.looks_foreign(event_type, data) =>
            {
                out.clear();
                Ok(Payload::Foreign)
            }
            Ok(Payload::Ops) => {
                self.emit_chunk(out);
                Ok(Payload::Ops)
            }
            Ok(payload) => Ok(payload),
            Err(Stop) => Err(sc.failure(self.max_depth)),
        }
    }

    /// A payload without any key of this format that the detection table
    /// takes for another format's.
    fn looks_foreign(&self, event_type: &str, data: &str) -> bool {
        crate::protocol::detect::is_other_format(
            crate::format::Format::OpenAiChat,
            event_type,
            data,
            self.max_depth,
        )
    }

    fn chunk_object(&mut self, sc: &mut Cur<'_>, out: &mut Delta) -> Result<Payload> {
        if sc.ws() != b'{' {
            return sc.shape(sc.pos(), "chunk", "a JSON object");
        }
        sc.object()?;
        let mut error: Option<Span> = None;
        let mut object_is_error = false;
        members!(sc;
            0 2 b"id" => {
                self.chunk.known = true;
                self.chunk.id = match sc.ws() {
                    b'-' | b'0'..=b'9' => {
                        let at = sc.pos();
                        let v = raw_value(sc)?;
                        out.push(Op::Warning {
                            warning: Warning::Lenient { field: "id", expected: "a string" },
                            pos: at,
                        });
                        Some(v)
                    }
                    _ => string_or_null(sc, "id")?,
                }
            },
            1 7 b"choices" => {
                self.chunk.known = true;
                self.choices(sc, out)?
            },
            2 7 b"created" => {
                self.chunk.known = true;
                self.chunk.created = created(sc, out)?
            },
            3 5 b"model" => {
                self.chunk.known = true;
                self.chunk.model = string_or_null(sc, "model")?
            },
            4 6 b"object" => {
                self.chunk.known = true;
                let at = sc.pos();
                if let Some(t) = opt_text(sc, "object")? {
                    let v = t.get(sc.text()).to_cow();
                    self.chunk.sets_identity = v == "chat.completion.chunk";
                    self.chunk.chat_shaped |= v == "chat.completion.chunk" || v == "chat.completion";
                    if v == "chat.completion" {
                        self.chunk.sets_identity = true;
                        out.push(Op::Warning {
                            warning: Warning::Lenient {
                                field: "object",
                                expected: "\"chat.completion.chunk\"",
                            },
                            pos: at,
                        });
                    }
                    object_is_error = v == "error";
                }
            },
            5 12 b"service_tier" => {
                self.chunk.service_tier = string_or_null(sc, "service_tier")?
            },
            6 18 b"system_fingerprint" => {
                self.chunk.system_fingerprint = string_or_null(sc, "system_fingerprint")?
            },
            7 5 b"usage" => {
                self.chunk.known = true;
                if !sc.null()? {
                    self.chunk.usage = Some(usage(sc)?);
                }
            },
            8 11 b"obfuscation" => {
                sc.skip_value()?;
            },
            9 5 b"error" => {
                self.chunk.known = true;
                let raw = sc.skip_value()?;
                let v = crate::fold::parse_raw(raw.get(sc.text()));
                if truthy(&v) {
                    error = Some(raw);
                }
            },
            _ key => {
                let value = raw_value(sc)?;
                if value.kind != ValueKind::Null {
                    self.chunk.extras.push(Extra { key, value, reasoning: false });
                }
            },
        );
        if error.is_some() || object_is_error {
            // An error payload is not merged (as the SDK raises before).
            out.clear();
        }
        if let Some(span) = error {
            let v = crate::fold::parse_raw(span.get(sc.text()));
            let mut p = provider_error::from_value(&v);
            if p.message.is_empty() {
                p = provider_error::from_value(&crate::fold::parse_raw(sc.text()));
            }
            return Ok(Payload::ProviderError(p));
        }
        if object_is_error {
            // vLLM and others: `{"object":"error","message":…,"type":…,"code":…}`.
            let v = crate::fold::parse_raw(sc.text());
            return Ok(Payload::ProviderError(provider_error::from_value(&v)));
        }
        Ok(Payload::Ops)
    }

    fn choices(&mut self, sc: &mut Cur<'_>, out: &mut Delta) -> Result<()> {
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
            self.emit_choice(out);
        }
        Ok(())
    }

    /// Decodes one choice.
    fn choice(&mut self, sc: &mut Cur<'_>) -> Result<()> {
        self.choice = Choice {
            pos: sc.pos(),
            ..Choice::default()
        };
        self.tool_calls.clear();
        self.parts.clear();
        self.choice_extras.clear();
        self.delta_extras.clear();
        self.tool_extras.clear();
        self.function_extras.clear();
        sc.object()?;
        members!(sc;
                0 5 b"delta" => {
                    self.chunk.chat_shaped = true;
                    self.delta(sc)?
                },
                1 13 b"finish_reason" => {
                    self.choice.finish_reason = opt_text(sc, "finish_reason")?
                },
                2 5 b"index" => {
                    if let Some(index) = opt_index(sc, "choices[].index", self.max_index)? {
                        self.choice.index = index;
                    }
                },
                3 8 b"logprobs" => self.choice.logprobs = logprobs(sc)?,
                4 11 b"obfuscation" => {
                    sc.skip_value()?;
                },
                5 7 b"message" => {
                    // A duplicate of the delta some servers send beside it.
                    self.chunk.chat_shaped = true;
                    sc.skip_value()?;
                },
                _ key => {
                    let value = raw_value(sc)?;
                    if value.kind != ValueKind::Null {
                        self.choice_extras.push(Extra { key, value, reasoning: false });
                    }
                },
        );
        Ok(())
    }

    /// The `delta` of the choice.
    fn delta(&mut self, sc: &mut Cur<'_>) -> Result<()> {
        match sc.ws() {
            b'{' => sc.object()?,
            b'n' => {
                sc.null()?;
                return Ok(());
            }
            _ => return sc.shape(sc.pos(), "choices[].delta", OBJECT_OR_NULL),
        }
        members!(sc;
                0 7 b"content" => {
                    if sc.ws() == b'[' {
                        self.content_parts(sc)?;
                    } else {
                        self.choice.content = opt_text(sc, "delta.content")?;
                    }
                },
                1 13 b"function_call" => {
                    self.choice.function_call = match sc.peek_kind()? {
                        Kind::Object => Some(raw_value(sc)?),
                        Kind::Null => {
                            sc.null()?;
                            None
                        }
                        _ => return sc.shape(sc.pos(), "delta.function_call", OBJECT_OR_NULL),
                    }
                },
                2 7 b"refusal" => self.choice.refusal = opt_text(sc, "delta.refusal")?,
                3 4 b"role" => self.choice.role = string_or_null(sc, "delta.role")?,
                4 10 b"tool_calls" => self.tool_calls(sc)?,
                _ key => {
                    let reasoning = {
                        let name = crate::protocol::scan::key_bytes(sc, key);
                        f::REASONING_FIELDS.iter().any(|r| *name == *r.as_bytes())
                    };
                    let value = raw_value(sc)?;
                    if value.kind != ValueKind::Null {
                        let reasoning = reasoning && value.kind == ValueKind::String;
                        self.delta_extras.push(Extra { key, value, reasoning });
                    }
                },
        );
        Ok(())
    }

    /// `content` as a list of typed parts (Mistral's reasoning models):
    /// `{"type":"text","text":…}` is content, `{"type":"thinking",
    /// "thinking":[{"type":"text","text":…}]}` (or a string) reasoning.
    fn content_parts(&mut self, sc: &mut Cur<'_>) -> Result<()> {
        sc.array()?;
        let mut first = true;
        while sc.next_element(&mut first)? {
            if sc.ws() != b'{' {
                return sc.shape(sc.pos(), "delta.content[]", "an object");
            }
            sc.object()?;
            members!(sc;
                0 4 b"type" => {
                    opt_text(sc, "delta.content[].type")?;
                },
                1 4 b"text" => {
                    if let Some(t) = opt_text(sc, "delta.content[].text")? {
                        self.parts.push((BlockKind::Content, t));
                    }
                },
                2 8 b"thinking" => match sc.ws() {
                    b'[' => {
                        sc.array()?;
                        let mut first = true;
                        while sc.next_element(&mut first)? {
                            if sc.ws() != b'{' {
                                sc.skip_value()?;
                                continue;
                            }
                            sc.object()?;
                            members!(sc;
                                0 4 b"text" => {
                                    if let Some(t) = opt_text(sc, "thinking[].text")? {
                                        self.parts.push((BlockKind::Reasoning, t));
                                    }
                                },
                                _ _key => {
                                    sc.skip_value()?;
                                },
                            );
                        }
                    }
                    _ => {
                        if let Some(t) = opt_text(sc, "delta.content[].thinking")? {
                            self.parts.push((BlockKind::Reasoning, t));
                        }
                    }
                },
                _ _key => {
                    sc.skip_value()?;
                },
            );
        }
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
            self.tool_calls.push(call);
        }
        Ok(())
    }

    fn tool_call(&mut self, sc: &mut Cur<'_>) -> Result<ToolCall> {
        let mut call = ToolCall {
            pos: sc.pos(),
            extras: self.tool_extras.len()..self.tool_extras.len(),
            function_extras: self.function_extras.len()..self.function_extras.len(),
            ..ToolCall::default()
        };
        sc.object()?;
        members!(sc;
                0 5 b"index" => call.index = opt_index(sc, "tool_calls[].index", self.max_index)?,
                1 2 b"id" => {
                    call.id = match sc.ws() {
                        b'-' | b'0'..=b'9' => Some(StrSpan::verbatim(sc.number()?.0)),
                        _ => opt_text(sc, "tool_calls[].id")?,
                    }
                },
                2 8 b"function" => self.function(sc, &mut call)?,
                3 4 b"type" => call.kind = opt_text(sc, "tool_calls[].type")?,
                _ key => {
                    let value = raw_value(sc)?;
                    if value.kind != ValueKind::Null {
                        self.tool_extras.push(Extra { key, value, reasoning: false });
                    }
                },
        );
        call.extras.end = self.tool_extras.len();
        call.function_extras.end = self.function_extras.len();
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
                _ key => {
                    let value = raw_value(sc)?;
                    if value.kind != ValueKind::Null {
                        self.function_extras.push(Extra { key, value, reasoning: false });
                    }
                },
        );
        Ok(())
    }

    /// The ops of the choice just decoded, in the order of its events.
    fn emit_choice(&mut self, out: &mut Delta) {
        let ch = &self.choice;
        let c = ch.index;
        let pos = ch.pos;
        out.push(Op::Choice { choice: c, pos });
        if let Some(role) = ch.role {
            out.push(field(
                Scope::Message(c),
                Key::Static(f::ROLE),
                role,
                Rule::First,
            ));
        }
        if let Some(t) = ch.content {
            out.push(text(c, f::CONTENT, BlockKind::Content, t, pos));
        }
        for &(kind, t) in &self.parts {
            let name = if kind == BlockKind::Reasoning {
                f::PART_REASONING
            } else {
                f::CONTENT
            };
            out.push(text(c, name, kind, t, pos));
        }
        if let Some(t) = ch.refusal {
            out.push(text(c, f::REFUSAL, BlockKind::Refusal, t, pos));
        }
        if let Some(v) = ch.function_call {
            out.push(field(
                Scope::Message(c),
                Key::Static(f::FUNCTION_CALL),
                v,
                Rule::Merge,
            ));
        }
        for e in &self.delta_extras {
            if e.reasoning {
                out.push(Op::Text {
                    choice: c,
                    block: BlockKey::Field(Key::Wire(e.key)),
                    kind: BlockKind::Reasoning,
                    text: e.value.text,
                    pos,
                });
            } else {
                out.push(Op::Field {
                    at: Scope::Message(c),
                    key: Key::Wire(e.key),
                    value: e.value,
                    rule: Rule::Merge,
                    event: true,
                });
            }
        }
        if let Some((content, refusal)) = ch.logprobs {
            out.push(Op::Logprobs {
                choice: c,
                key: Key::Static(f::LOGPROBS_CONTENT),
                list: content,
                kind: LogprobsKind::Content,
            });
            out.push(Op::Logprobs {
                choice: c,
                key: Key::Static(f::LOGPROBS_REFUSAL),
                list: refusal,
                kind: LogprobsKind::Refusal,
            });
        }
        for call in &self.tool_calls {
            out.push(Op::Tool {
                choice: c,
                index: call.index,
                id: call.id,
                kind: call.kind,
                name: call.name,
                arguments: call.arguments,
                block: None,
                pos: call.pos,
            });
            for e in &self.tool_extras[call.extras.clone()] {
                out.push(field(
                    Scope::Tool(c),
                    Key::Wire(e.key),
                    e.value,
                    Rule::Merge,
                ));
            }
            for e in &self.function_extras[call.function_extras.clone()] {
                out.push(field(
                    Scope::Function(c),
                    Key::Wire(e.key),
                    e.value,
                    Rule::Merge,
                ));
            }
        }
        if let Some(reason) = ch.finish_reason {
            out.push(Op::Finish { choice: c, reason });
        }
        for e in &self.choice_extras {
            out.push(Op::Field {
                at: Scope::Choice(c),
                key: Key::Wire(e.key),
                value: e.value,
                rule: Rule::Last,
                event: true,
            });
        }
    }

    /// The chunk-level ops, after the choices.
    fn emit_chunk(&self, out: &mut Delta) {
        let ch = &self.chunk;
        if ch.sets_identity {
            for (key, v) in [
                (f::ID, ch.id),
                (f::MODEL, ch.model),
                (f::CREATED, ch.created),
                (f::SERVICE_TIER, ch.service_tier),
            ] {
                if let Some(v) = v {
                    out.push(field(Scope::Top, Key::Static(key), v, Rule::First));
                }
            }
            if let Some(v) = ch.system_fingerprint {
                out.push(field(
                    Scope::Top,
                    Key::Static(f::SYSTEM_FINGERPRINT),
                    v,
                    Rule::Last,
                ));
            }
        }
        if let Some((raw, tokens)) = ch.usage {
            out.usage(raw, tokens, Rule::Last);
        }
        for e in &ch.extras {
            out.push(Op::Field {
                at: Scope::Top,
                key: Key::Wire(e.key),
                value: e.value,
                rule: Rule::Last,
                event: true,
            });
        }
    }
}

fn field(at: Scope, key: Key, value: Raw, rule: Rule) -> Op {
    Op::Field {
        at,
        key,
        value,
        rule,
        event: false,
    }
}

fn text(choice: u32, name: &'static str, kind: BlockKind, t: StrSpan, pos: usize) -> Op {
    Op::Text {
        choice,
        block: BlockKey::Field(Key::Static(name)),
        kind,
        text: t,
        pos,
    }
}

/// A string or null, as a value.
#[inline(always)]
pub(crate) fn string_or_null(sc: &mut Cur<'_>, field: &'static str) -> Result<Option<Raw>> {
    match sc.ws() {
        b'"' => {
            let start = sc.pos();
            let t = sc.string_here()?;
            Ok(Some(Raw::string(
                Span {
                    start,
                    end: sc.pos(),
                },
                t,
            )))
        }
        _ => opt_text(sc, field).map(|_| None),
    }
}

/// `created`: an integer or null; another number is kept, with a warning.
pub(crate) fn created(sc: &mut Cur<'_>, out: &mut Delta) -> Result<Option<Raw>> {
    match sc.peek_kind()? {
        Kind::Number => {
            let at = sc.pos();
            let (span, integer) = sc.number()?;
            if !integer || parse_u64(sc.bytes_of(span.start, span.end)).is_none() {
                out.push(Op::Warning {
                    warning: Warning::Lenient {
                        field: "created",
                        expected: "an integer",
                    },
                    pos: at,
                });
            }
            Ok(Some(Raw::value(span, ValueKind::Scalar)))
        }
        Kind::Null => {
            sc.null()?;
            Ok(None)
        }
        _ => sc.shape(sc.pos(), "created", "a number or null"),
    }
}

/// `arguments`: a string or null; an object or array is taken as its JSON
/// text.
#[inline]
fn arguments(sc: &mut Cur<'_>) -> Result<Option<StrSpan>> {
    match sc.ws() {
        b'{' | b'[' => Ok(Some(StrSpan::verbatim(sc.skip_value()?))),
        _ => opt_text(sc, "function.arguments"),
    }
}

/// A `logprobs` object: its `content` and `refusal` lists.
fn logprobs(sc: &mut Cur<'_>) -> Result<Option<(Option<List>, Option<List>)>> {
    match sc.ws() {
        b'{' => sc.object()?,
        b'n' => {
            sc.null()?;
            return Ok(None);
        }
        _ => return sc.shape(sc.pos(), "choices[].logprobs", OBJECT_OR_NULL),
    }
    let (mut content, mut refusal) = (None, None);
    members!(sc;
            0 7 b"content" => content = list(sc, "logprobs.content")?,
            1 7 b"refusal" => refusal = list(sc, "logprobs.refusal")?,
            _ _key => {
                sc.skip_value()?;
            },
    );
    Ok(Some((content, refusal)))
}

/// A `usage` object: its span and counts (OpenAI's `CompletionUsage`,
/// shared by the legacy completions format).
pub(crate) fn usage(sc: &mut Cur<'_>) -> Result<(Span, TokenCounts)> {
    if sc.ws() != b'{' {
        return sc.shape(sc.pos(), "usage", OBJECT_OR_NULL);
    }
    let start = sc.pos();
    sc.object()?;
    let mut t = TokenCounts::default();
    members!(sc;
        0 13 b"prompt_tokens" => t.input_tokens = opt_count(sc)?,
        1 17 b"completion_tokens" => t.output_tokens = opt_count(sc)?,
        2 12 b"total_tokens" => t.total_tokens = opt_count(sc)?,
        3 25 b"completion_tokens_details" => {
            if let Some(n) = detail(sc, b"reasoning_tokens")? {
                t.reasoning_tokens = Some(n);
            }
        },
        4 21 b"prompt_tokens_details" => {
            if let Some(n) = detail(sc, b"cached_tokens")? {
                t.cached_input_tokens = Some(n);
            }
        },
        _ _key => {
            sc.skip_value()?;
        },
    );
    Ok((
        Span {
            start,
            end: sc.pos(),
        },
        t,
    ))
}

/// One count of a `*_details` object (anything else skipped).
fn detail<const N: usize>(sc: &mut Cur<'_>, name: &[u8; N]) -> Result<Option<u64>> {
    if sc.ws() != b'{' {
        sc.skip_value()?;
        return Ok(None);
    }
    sc.object()?;
    let mut found = None;
    let mut first = true;
    while sc.next_member(&mut first)? {
        if sc.eat_key::<N>(name)? {
            found = opt_count(sc)?;
        } else {
            sc.key_here()?;
            sc.skip_value()?;
        }
    }
    Ok(found)
}
