//! Decoding Ollama's streamed objects into ops.
//!
//! `/api/chat` lines are `{"model", "created_at", "message": {"role",
//! "content", "thinking"?, "tool_calls"?, "images"?}, "done": false}`;
//! `/api/generate` lines carry `response` (and `thinking`) instead of
//! `message`. The last line has `"done": true`, `done_reason` and the
//! counts and durations (`total_duration`, `load_duration`,
//! `prompt_eval_count`, `prompt_eval_duration`, `eval_count`,
//! `eval_duration`; `/api/generate` adds `context`). A failure is a line
//! `{"error": "…"}`, first or part way through.
//!
//! Each line is decoded whole, then its ops are emitted in the order of its
//! events: reasoning, text, the message's other fields, log-probabilities,
//! tool calls, the finish reason (`done_reason`), the line's own fields, the
//! usage, and the terminator at `done: true`.
//!
//! Ollama sends each tool call whole, its `arguments` a JSON object: a call
//! is one start, one arguments delta (the object's JSON text) and its
//! `.done`, indexed by its 0-based ordinal in the stream. The usage event's
//! object holds the counts and durations of the line, as sent; the
//! normalized counts are `prompt_eval_count` (input) and `eval_count`
//! (output). Ollama omits a count that is 0 (`omitempty`): a prompt served
//! from its cache has no `prompt_eval_count`.
//!
//! Fields the format does not define keep their last non-null value at the
//! top level (`remote_model`, `remote_host`, `_debug_info`) and merge by
//! DESIGN.md's rules in the message (`tool_name`, …); each is also an event.
//! Tolerated: `arguments` as a string (its text is the arguments; the final
//! object holds the object or array it spells, or else the string as sent),
//! a tool call `id` that is a number. Refused as a shape error: any other
//! known field of the wrong type.

use std::ops::Range;

use super::fields as f;
use crate::delta::{
    BlockKey, BlockKind, Delta, Key, List, LogprobsKind, Op, Raw, Rule, Scope, Span, StrSpan,
    ValueKind,
};
use crate::json::scanner::{parse_u64, Kind, Stop};
use crate::protocol::provider_error::{self, truthy};
use crate::protocol::scan::{
    list, members, opt_text, raw_value, Cur, DecodeError, Result, ARRAY_OR_NULL, OBJECT_OR_NULL,
};
use crate::protocol::{Payload, SkipReason};
use crate::usage::TokenCounts;

/// A field the engine does not interpret.
#[derive(Debug, Clone, Copy)]
struct Extra {
    key: StrSpan,
    value: Raw,
}

/// One tool call of a message.
#[derive(Debug, Clone, Default)]
struct ToolCall {
    pos: usize,
    id: Option<StrSpan>,
    kind: Option<StrSpan>,
    name: Option<StrSpan>,
    arguments: Option<StrSpan>,
    extras: Range<usize>,
    function_extras: Range<usize>,
}

/// What one line holds.
#[derive(Debug, Clone, Default)]
struct Line {
    model: Option<Raw>,
    created_at: Option<Raw>,
    /// A `message` object was present (`/api/chat`).
    message: bool,
    role: Option<Raw>,
    content: Option<StrSpan>,
    thinking: Option<StrSpan>,
    response: Option<StrSpan>,
    done: Option<(Raw, bool)>,
    done_reason: Option<StrSpan>,
    context: Option<Raw>,
    /// Counts and durations: (index in [`f::METRICS`], the number).
    metrics: Vec<(usize, Span)>,
    logprobs: Option<Option<List>>,
    /// A key only this format's objects have was seen.
    known: bool,
    /// A key of another format's payloads was seen (`choices`, `object`,
    /// `type`, `candidates`).
    odd: bool,
}

/// Decodes each line of an Ollama stream.
#[derive(Debug, Clone)]
pub(crate) struct Decoder {
    line: Line,
    tool_calls: Vec<ToolCall>,
    tool_extras: Vec<Extra>,
    function_extras: Vec<Extra>,
    message_extras: Vec<Extra>,
    extras: Vec<Extra>,
    /// Tool calls seen so far (the next one's index).
    tools_seen: u32,
    /// A non-empty `model` was emitted: later ones change nothing (the
    /// first non-empty value wins), so they are not emitted again.
    model_set: bool,
    /// The `done` value last emitted (an unchanged one is not emitted).
    done_sent: Option<bool>,
    /// The text's block: `content` or `response`, as the first line with
    /// text said (a stream mixing both shapes, not Ollama's, keeps its
    /// text in one block, in the order it came).
    text_key: Option<&'static str>,
    max_depth: usize,
}

impl Decoder {
    pub fn new(max_depth: usize) -> Decoder {
        Decoder {
            line: Line::default(),
            tool_calls: Vec::new(),
            tool_extras: Vec::new(),
            function_extras: Vec::new(),
            message_extras: Vec::new(),
            extras: Vec::new(),
            tools_seen: 0,
            model_set: false,
            done_sent: None,
            text_key: None,
            max_depth,
        }
    }

    /// Decodes one line (or SSE event) into `out`.
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
            _ if self.is_foreign(event_type, data) => return Ok(Payload::Foreign),
            _ => return Ok(Payload::Skip(SkipReason::EventType)),
        }
        let mut sc = Cur::new(data, self.max_depth);
        if sc.ws() == 0 && sc.pos() >= data.len() {
            return Ok(Payload::Skip(SkipReason::EmptyData));
        }
        self.line = Line {
            metrics: std::mem::take(&mut self.line.metrics),
            ..Line::default()
        };
        self.line.metrics.clear();
        self.tool_calls.clear();
        self.tool_extras.clear();
        self.function_extras.clear();
        self.message_extras.clear();
        self.extras.clear();
        let decoded = self.object(&mut sc).and_then(|payload| {
            sc.finish()?;
            Ok(payload)
        });
        match decoded {
            Ok(Payload::Ops)
                if (self.line.odd || !self.line.known) && self.is_foreign(event_type, data) =>
            {
                Ok(Payload::Foreign)
            }
            Ok(Payload::Ops) => {
                self.emit(out, data);
                Ok(Payload::Ops)
            }
            Ok(payload) => Ok(payload),
            // A member of another format's type (Responses' `response`
            // object): that format's payload, not a malformed line.
            Err(Stop) if self.is_foreign(event_type, data) => {
                out.clear();
                Ok(Payload::Foreign)
            }
            Err(Stop) => Err(sc.failure(self.max_depth)),
        }
    }

    /// True when the detection table takes the payload for another
    /// format's.
    fn is_foreign(&self, event_type: &str, data: &str) -> bool {
        crate::protocol::detect::is_other_format(
            crate::format::Format::Ollama,
            event_type,
            data,
            self.max_depth,
        )
    }

    fn object(&mut self, sc: &mut Cur<'_>) -> Result<Payload> {
        if sc.ws() != b'{' {
            return sc.shape(sc.pos(), "line", "a JSON object");
        }
        sc.object()?;
        let mut error: Option<Span> = None;
        let line = &mut self.line;
        members!(sc;
            0 5 b"model" => line.model = string_or_null(sc, "model")?,
            1 10 b"created_at" => {
                line.known = true;
                line.created_at = string_or_null(sc, "created_at")?
            },
            2 7 b"message" => {
                line.known = true;
                message(
                    sc,
                    line,
                    &mut self.tool_calls,
                    &mut self.message_extras,
                    &mut self.tool_extras,
                    &mut self.function_extras,
                )?
            },
            3 8 b"response" => {
                line.known = true;
                line.response = opt_text(sc, "response")?
            },
            4 8 b"thinking" => {
                line.known = true;
                line.thinking = opt_text(sc, "thinking")?
            },
            5 4 b"done" => {
                line.known = true;
                let start = sc.pos();
                match sc.peek_kind()? {
                    Kind::True | Kind::False => {
                        let done = sc.boolean()?;
                        let span = Span { start, end: sc.pos() };
                        line.done = Some((Raw::value(span, ValueKind::Scalar), done));
                    }
                    Kind::Null => {
                        sc.null()?;
                    }
                    _ => return sc.shape(start, "done", "a boolean or null"),
                }
            },
            6 11 b"done_reason" => {
                line.known = true;
                line.done_reason = opt_text(sc, "done_reason")?
            },
            7 7 b"context" => {
                line.known = true;
                let value = raw_value(sc)?;
                match value.kind {
                    ValueKind::Null => {}
                    ValueKind::Array => line.context = Some(value),
                    _ => return sc.shape(value.span.start, "context", ARRAY_OR_NULL),
                }
            },
            8 14 b"total_duration" => metric(sc, line, 0)?,
            9 13 b"load_duration" => metric(sc, line, 1)?,
            10 17 b"prompt_eval_count" => metric(sc, line, 2)?,
            11 20 b"prompt_eval_duration" => metric(sc, line, 3)?,
            12 10 b"eval_count" => metric(sc, line, 4)?,
            13 13 b"eval_duration" => metric(sc, line, 5)?,
            14 8 b"logprobs" => {
                line.known = true;
                line.logprobs = Some(list(sc, "logprobs")?);
            },
            15 5 b"error" => {
                line.known = true;
                let raw = sc.skip_value()?;
                let v = crate::fold::parse_raw(raw.get(sc.text()));
                if truthy(&v) {
                    error = Some(raw);
                }
            },
            _ key => {
                let name = crate::protocol::scan::key_bytes(sc, key);
                if matches!(&*name, b"choices" | b"object" | b"type" | b"candidates") {
                    line.odd = true;
                }
                let value = raw_value(sc)?;
                if value.kind != ValueKind::Null {
                    self.extras.push(Extra { key, value });
                }
            },
        );
        if let Some(span) = error {
            let v = crate::fold::parse_raw(span.get(sc.text()));
            let mut p = provider_error::from_value(&v);
            if p.message.is_empty() {
                p = provider_error::from_value(&crate::fold::parse_raw(sc.text()));
            }
            return Ok(Payload::ProviderError(p));
        }
        Ok(Payload::Ops)
    }

    /// The ops of the line just decoded, in the order of its events.
    fn emit(&mut self, out: &mut Delta, data: &str) {
        if self.line.message || self.line.response.is_some() {
            let first = if self.line.message {
                f::CONTENT
            } else {
                f::RESPONSE
            };
            self.text_key.get_or_insert(first);
        }
        let text_key = self.text_key.unwrap_or(f::CONTENT);
        let line = &self.line;
        if let Some(role) = line.role {
            out.push(field(
                Scope::Message(0),
                Key::Static(f::ROLE),
                role,
                Rule::First,
            ));
        }
        if let Some(t) = line.thinking {
            out.push(text(f::THINKING, BlockKind::Reasoning, t));
        }
        if line.message {
            // The block exists even when a message has no `content` (so the
            // final object is a chat response).
            out.push(text(
                text_key,
                BlockKind::Content,
                line.content.unwrap_or(StrSpan::EMPTY),
            ));
        }
        if let Some(t) = line.response {
            out.push(text(text_key, BlockKind::Content, t));
        }
        for e in &self.message_extras {
            out.push(Op::Field {
                at: Scope::Message(0),
                key: Key::Wire(e.key),
                value: e.value,
                rule: Rule::Merge,
                event: true,
            });
        }
        if let Some(list) = line.logprobs {
            out.push(Op::Logprobs {
                choice: 0,
                key: Key::Static(f::LOGPROBS),
                list,
                kind: LogprobsKind::Content,
            });
        }
        for call in &self.tool_calls {
            out.push(Op::Tool {
                choice: 0,
                index: Some(self.tools_seen),
                id: call.id,
                kind: call.kind,
                name: call.name,
                arguments: call.arguments,
                block: None,
                pos: call.pos,
            });
            self.tools_seen = self.tools_seen.saturating_add(1);
            for e in &self.tool_extras[call.extras.clone()] {
                out.push(field(Scope::Tool(0), Key::Wire(e.key), e.value, Rule::Last));
            }
            for e in &self.function_extras[call.function_extras.clone()] {
                out.push(field(
                    Scope::Function(0),
                    Key::Wire(e.key),
                    e.value,
                    Rule::Last,
                ));
            }
            out.push(Op::ToolDone {
                choice: 0,
                arguments: None,
            });
        }
        if let Some(reason) = line.done_reason {
            out.push(Op::Finish { choice: 0, reason });
        }
        if let (Some(v), false) = (line.model, self.model_set) {
            self.model_set = !v.text.is_empty();
            out.push(field(Scope::Top, Key::Static(f::MODEL), v, Rule::First));
        }
        if let Some(v) = line.created_at {
            out.push(field(Scope::Top, Key::Static(f::CREATED_AT), v, Rule::Last));
        }
        if let Some((v, done)) = line.done {
            if self.done_sent != Some(done) {
                self.done_sent = Some(done);
                out.push(field(Scope::Top, Key::Static(f::DONE), v, Rule::Last));
            }
        }
        if let Some(v) = line.context {
            out.push(field(Scope::Top, Key::Static(f::CONTEXT), v, Rule::Last));
        }
        for &(i, span) in &line.metrics {
            let value = Raw::value(span, ValueKind::Scalar);
            out.push(field(
                Scope::Top,
                Key::Static(f::METRICS[i]),
                value,
                Rule::Last,
            ));
        }
        for e in &self.extras {
            out.push(Op::Field {
                at: Scope::Top,
                key: Key::Wire(e.key),
                value: e.value,
                rule: Rule::Last,
                event: true,
            });
        }
        if !line.metrics.is_empty() {
            // The usage object: the line's counts and durations, as sent.
            let mut tokens = TokenCounts::default();
            out.written.push('{');
            for (n, &(i, span)) in line.metrics.iter().enumerate() {
                if n > 0 {
                    out.written.push(',');
                }
                let name = f::METRICS[i];
                out.written.push('"');
                out.written.push_str(name);
                out.written.push_str("\":");
                let number = span.get(data);
                out.written.push_str(number);
                let count = parse_u64(number.as_bytes());
                if name == f::PROMPT_EVAL_COUNT {
                    tokens.input_tokens = count;
                } else if name == f::EVAL_COUNT {
                    tokens.output_tokens = count;
                }
            }
            out.written.push('}');
            let raw = Span {
                start: 0,
                end: out.written.len(),
            };
            out.built_usage(raw, tokens, Rule::Overlay);
        }
        if matches!(line.done, Some((_, true))) {
            out.push(Op::Terminal);
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

fn text(name: &'static str, kind: BlockKind, t: StrSpan) -> Op {
    Op::Text {
        choice: 0,
        block: BlockKey::Field(Key::Static(name)),
        kind,
        text: t,
        pos: 0,
    }
}

/// A string or null, as a value.
fn string_or_null(sc: &mut Cur<'_>, field: &'static str) -> Result<Option<Raw>> {
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

/// A count or a duration: a number, or null.
fn metric(sc: &mut Cur<'_>, line: &mut Line, i: usize) -> Result<()> {
    line.known = true;
    match sc.peek_kind()? {
        Kind::Number => {
            let (span, _) = sc.number()?;
            line.metrics.push((i, span));
        }
        Kind::Null => {
            sc.null()?;
        }
        _ => return sc.shape(sc.pos(), f::METRICS[i], "a number or null"),
    }
    Ok(())
}

/// The `message` of a `/api/chat` line.
fn message(
    sc: &mut Cur<'_>,
    line: &mut Line,
    calls: &mut Vec<ToolCall>,
    extras: &mut Vec<Extra>,
    tool_extras: &mut Vec<Extra>,
    function_extras: &mut Vec<Extra>,
) -> Result<()> {
    match sc.ws() {
        b'{' => sc.object()?,
        b'n' => {
            sc.null()?;
            return Ok(());
        }
        _ => return sc.shape(sc.pos(), "message", OBJECT_OR_NULL),
    }
    line.message = true;
    members!(sc;
        0 4 b"role" => line.role = string_or_null(sc, "message.role")?,
        1 7 b"content" => line.content = opt_text(sc, "message.content")?,
        2 8 b"thinking" => line.thinking = opt_text(sc, "message.thinking")?,
        3 10 b"tool_calls" => {
            match sc.ws() {
                b'[' => sc.array()?,
                b'n' => {
                    sc.null()?;
                    continue;
                }
                _ => return sc.shape(sc.pos(), "message.tool_calls", ARRAY_OR_NULL),
            }
            let mut first = true;
            while sc.next_element(&mut first)? {
                if sc.ws() != b'{' {
                    return sc.shape(sc.pos(), "message.tool_calls[]", "an object");
                }
                let call = tool_call(sc, tool_extras, function_extras)?;
                calls.push(call);
            }
        },
        _ key => {
            let value = raw_value(sc)?;
            if value.kind != ValueKind::Null {
                extras.push(Extra { key, value });
            }
        },
    );
    Ok(())
}

/// One tool call: `{"id"?, "function": {"index"?, "name", "arguments"}}`.
fn tool_call(
    sc: &mut Cur<'_>,
    tool_extras: &mut Vec<Extra>,
    function_extras: &mut Vec<Extra>,
) -> Result<ToolCall> {
    let mut call = ToolCall {
        pos: sc.pos(),
        extras: tool_extras.len()..tool_extras.len(),
        function_extras: function_extras.len()..function_extras.len(),
        ..ToolCall::default()
    };
    sc.object()?;
    members!(sc;
        0 8 b"function" => {
            match sc.ws() {
                b'{' => sc.object()?,
                b'n' => {
                    sc.null()?;
                    continue;
                }
                _ => return sc.shape(sc.pos(), "tool_calls[].function", OBJECT_OR_NULL),
            }
            members!(sc;
                0 4 b"name" => call.name = opt_text(sc, "function.name")?,
                1 9 b"arguments" => {
                    call.arguments = match sc.ws() {
                        b'{' | b'[' => Some(StrSpan::verbatim(sc.skip_value()?)),
                        _ => opt_text(sc, "function.arguments")?,
                    }
                },
                _ key => {
                    let value = raw_value(sc)?;
                    if value.kind != ValueKind::Null {
                        function_extras.push(Extra { key, value });
                    }
                },
            );
        },
        1 2 b"id" => {
            call.id = match sc.ws() {
                b'-' | b'0'..=b'9' => Some(StrSpan::verbatim(sc.number()?.0)),
                _ => opt_text(sc, "tool_calls[].id")?,
            }
        },
        2 4 b"type" => call.kind = opt_text(sc, "tool_calls[].type")?,
        _ key => {
            let value = raw_value(sc)?;
            if value.kind != ValueKind::Null {
                tool_extras.push(Extra { key, value });
            }
        },
    );
    call.extras.end = tool_extras.len();
    call.function_extras.end = function_extras.len();
    Ok(call)
}
