//! Decoding legacy completion chunks into ops.
//!
//! A chunk is `{"id", "object": "text_completion", "created", "model",
//! "choices": [{"index", "text", "logprobs", "finish_reason"}], "usage"?,
//! "system_fingerprint"?}`; the stream ends with `data: [DONE]`. The
//! streamed and the non-streamed objects share one shape (OpenAI's API
//! reference says so), so a choice's `text` is the delta itself.
//!
//! As for chat chunks, each choice is decoded whole (vLLM sends `index`
//! first, OpenAI after `text`), then its ops are emitted in the order of its
//! events: the text, the log-probabilities, the finish reason, the choice's
//! other fields; the chunk's own fields follow the choices.
//!
//! Log-probabilities are four parallel lists (`tokens`, `token_logprobs`,
//! `top_logprobs`, `text_offset`), each extended chunk after chunk
//! (vLLM's `text_offset` counts from the start of the choice's text, so the
//! lists concatenate into the non-streaming ones). They make no events: the
//! vocabulary's `logprobs.content.delta` carries per-token entries, which
//! this format does not have. Each element is checked against the type the
//! API gives it (a string, a number or null, an object or null, a
//! non-negative integer); other lists inside `logprobs` are extended too,
//! other members of it are dropped.
//!
//! Fields the format does not define: chunk-level ones keep their last
//! non-null value; choice-level lists are extended (vLLM's `token_ids`, the
//! chunk's new tokens, and `prompt_token_ids` add up to the non-streaming
//! lists) and other choice-level values keep their last non-null value
//! (vLLM's `stop_reason`, SGLang's `matched_stop`). Each is also an event.
//! Kept with a [`Warning::Lenient`] as for chat: a `created` that is not an
//! integer, an `id` that is a number. Refused as a shape error: any other
//! known field of the wrong type.

use super::fields as f;
use crate::delta::{
    BlockKey, BlockKind, Delta, Key, List, LogprobsKind, Op, Raw, Rule, Scope, Span, StrSpan,
    ValueKind,
};
use crate::event::Warning;
use crate::json::scanner::{parse_u64, Stop};
use crate::protocol::openai_chat::{created, string_or_null, usage};
use crate::protocol::provider_error::{self, truthy};
use crate::protocol::scan::{
    key_bytes, list, members, opt_index, opt_text, raw_value, Cur, DecodeError, Result,
    ARRAY_OR_NULL, OBJECT_OR_NULL,
};
use crate::protocol::{Payload, SkipReason};
use crate::usage::TokenCounts;

/// A field the engine does not interpret.
#[derive(Debug, Clone, Copy)]
struct Extra {
    key: StrSpan,
    value: Raw,
}

/// One list of a choice's `logprobs`.
#[derive(Debug, Clone, Copy)]
struct LogprobList {
    key: Key,
    list: Option<List>,
}

/// One choice of a chunk.
#[derive(Debug, Clone, Default)]
struct Choice {
    index: u32,
    pos: usize,
    text: Option<StrSpan>,
    finish_reason: Option<StrSpan>,
}

/// The chunk-level fields of one chunk.
#[derive(Debug, Clone, Default)]
struct Chunk {
    /// False for chunks whose `object` is present and not
    /// `text_completion`: they do not set identity fields.
    sets_identity: bool,
    id: Option<Raw>,
    model: Option<Raw>,
    created: Option<Raw>,
    system_fingerprint: Option<Raw>,
    usage: Option<(Span, TokenCounts)>,
    extras: Vec<Extra>,
    /// A key of this format's chunks was seen (`id`, `object`, `created`,
    /// `choices`, `usage`, `error`).
    known: bool,
    /// A sign of another format: an `object` other than
    /// `text_completion`, a choice with a `delta`.
    odd: bool,
}

/// The element type of a `logprobs` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    /// `tokens`: strings.
    Token,
    /// `token_logprobs`: numbers or null.
    Logprob,
    /// `top_logprobs`: objects or null.
    Top,
    /// `text_offset`: non-negative integers.
    Offset,
}

impl Element {
    fn expected(self) -> &'static str {
        match self {
            Element::Token => "a list of strings",
            Element::Logprob => "a list of numbers or nulls",
            Element::Top => "a list of objects or nulls",
            Element::Offset => "a list of non-negative integers",
        }
    }

    /// True when a value starting with `b` may be an element.
    fn starts(self, b: u8) -> bool {
        match self {
            Element::Token => b == b'"',
            Element::Logprob => b == b'-' || b == b'n' || b.is_ascii_digit(),
            Element::Top => b == b'{' || b == b'n',
            Element::Offset => b.is_ascii_digit(),
        }
    }
}

/// Decodes the data of each SSE event of a legacy completions stream.
#[derive(Debug, Clone)]
pub(crate) struct Decoder {
    chunk: Chunk,
    choice: Choice,
    lists: Vec<LogprobList>,
    choice_extras: Vec<Extra>,
    /// Which of `id`, `model`, `created` got a non-empty value: later ones
    /// change nothing (the first non-empty value wins), so they are not
    /// emitted again.
    identity_set: [bool; 3],
    max_depth: usize,
    max_index: u32,
}

impl Decoder {
    pub fn new(max_depth: usize, max_index: u32) -> Decoder {
        Decoder {
            chunk: Chunk::default(),
            choice: Choice::default(),
            lists: Vec::new(),
            choice_extras: Vec::new(),
            identity_set: [false; 3],
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
            _ if self.is_foreign(event_type, data) => return Ok(Payload::Foreign),
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
                if (self.chunk.odd || !self.chunk.known) && self.is_foreign(event_type, data) =>
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

    /// True when the detection table takes the payload for another format's
    /// (a chat chunk only when it has a `delta` or says it is one: a
    /// completions chunk without `object` and with `"choices": []` looks
    /// like chat to the table).
    fn is_foreign(&self, event_type: &str, data: &str) -> bool {
        use crate::format::Format;
        use crate::protocol::detect::{detect, facts, Detected};
        let facts = facts(event_type, data, self.max_depth);
        match detect(&facts) {
            Detected::Format(Format::OpenAiCompletions) => false,
            Detected::Format(Format::OpenAiChat) => {
                facts.choice_delta
                    || facts
                        .object
                        .as_deref()
                        .is_some_and(|o| !o.is_empty() && o != f::TEXT_COMPLETION)
            }
            Detected::Format(_) => true,
            _ => false,
        }
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
            1 6 b"object" => {
                self.chunk.known = true;
                if let Some(t) = opt_text(sc, "object")? {
                    let v = t.get(sc.text()).to_cow();
                    if v != f::TEXT_COMPLETION {
                        self.chunk.sets_identity = false;
                        self.chunk.odd = true;
                    }
                    object_is_error = v == "error";
                }
            },
            2 7 b"created" => {
                self.chunk.known = true;
                self.chunk.created = created(sc, out)?
            },
            3 5 b"model" => self.chunk.model = string_or_null(sc, "model")?,
            4 7 b"choices" => {
                self.chunk.known = true;
                self.choices(sc, out)?
            },
            5 5 b"usage" => {
                self.chunk.known = true;
                if !sc.null()? {
                    self.chunk.usage = Some(usage(sc)?);
                }
            },
            6 18 b"system_fingerprint" => {
                self.chunk.system_fingerprint = string_or_null(sc, "system_fingerprint")?
            },
            7 5 b"error" => {
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
                    self.chunk.extras.push(Extra { key, value });
                }
            },
        );
        if error.is_some() || object_is_error {
            // An error payload is not merged.
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
            // vLLM's older shape: `{"object":"error","message":…,"type":…,"code":…}`.
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
        self.lists.clear();
        self.choice_extras.clear();
        sc.object()?;
        members!(sc;
            0 5 b"index" => {
                if let Some(index) = opt_index(sc, "choices[].index", self.max_index)? {
                    self.choice.index = index;
                }
            },
            1 4 b"text" => self.choice.text = opt_text(sc, "choices[].text")?,
            2 8 b"logprobs" => self.logprobs(sc)?,
            3 13 b"finish_reason" => {
                self.choice.finish_reason = opt_text(sc, "choices[].finish_reason")?
            },
            _ key => {
                if *key_bytes(sc, key) == *b"delta" {
                    self.chunk.odd = true;
                }
                let value = raw_value(sc)?;
                if value.kind != ValueKind::Null {
                    self.choice_extras.push(Extra { key, value });
                }
            },
        );
        Ok(())
    }

    /// A choice's `logprobs` object: its lists.
    fn logprobs(&mut self, sc: &mut Cur<'_>) -> Result<()> {
        match sc.ws() {
            b'{' => sc.object()?,
            b'n' => {
                sc.null()?;
                return Ok(());
            }
            _ => return sc.shape(sc.pos(), "choices[].logprobs", OBJECT_OR_NULL),
        }
        members!(sc;
            0 6 b"tokens" => {
                let list = typed_list(sc, "logprobs.tokens", Element::Token)?;
                self.lists.push(LogprobList { key: Key::Static(f::TOKENS), list });
            },
            1 14 b"token_logprobs" => {
                let list = typed_list(sc, "logprobs.token_logprobs", Element::Logprob)?;
                self.lists.push(LogprobList { key: Key::Static(f::TOKEN_LOGPROBS), list });
            },
            2 12 b"top_logprobs" => {
                let list = typed_list(sc, "logprobs.top_logprobs", Element::Top)?;
                self.lists.push(LogprobList { key: Key::Static(f::TOP_LOGPROBS), list });
            },
            3 11 b"text_offset" => {
                let list = typed_list(sc, "logprobs.text_offset", Element::Offset)?;
                self.lists.push(LogprobList { key: Key::Static(f::TEXT_OFFSET), list });
            },
            _ key => {
                if sc.ws() == b'[' {
                    let list = list(sc, "logprobs[]")?;
                    self.lists.push(LogprobList { key: Key::Wire(key), list });
                } else {
                    sc.skip_value()?;
                }
            },
        );
        Ok(())
    }

    /// The ops of the choice just decoded, in the order of its events.
    fn emit_choice(&mut self, out: &mut Delta) {
        let ch = &self.choice;
        let c = ch.index;
        out.push(Op::Choice {
            choice: c,
            pos: ch.pos,
        });
        if let Some(text) = ch.text {
            out.push(Op::Text {
                choice: c,
                block: BlockKey::Field(Key::Static(f::TEXT)),
                kind: BlockKind::Content,
                text,
                pos: ch.pos,
            });
        }
        for l in &self.lists {
            out.push(Op::Logprobs {
                choice: c,
                key: l.key,
                list: l.list,
                kind: LogprobsKind::Quiet,
            });
        }
        if let Some(reason) = ch.finish_reason {
            out.push(Op::Finish { choice: c, reason });
        }
        for e in &self.choice_extras {
            let rule = if e.value.kind == ValueKind::Array {
                Rule::Merge
            } else {
                Rule::Last
            };
            out.push(Op::Field {
                at: Scope::Choice(c),
                key: Key::Wire(e.key),
                value: e.value,
                rule,
                event: true,
            });
        }
    }

    /// The chunk-level ops, after the choices.
    fn emit_chunk(&mut self, out: &mut Delta) {
        let ch = &self.chunk;
        if ch.sets_identity {
            let identity = [
                (f::ID, ch.id),
                (f::MODEL, ch.model),
                (f::CREATED, ch.created),
            ];
            for (set, (key, v)) in self.identity_set.iter_mut().zip(identity) {
                if let (Some(value), false) = (v, *set) {
                    *set = !(value.kind == ValueKind::String && value.text.is_empty());
                    out.push(field(key, value, Rule::First));
                }
            }
            if let Some(value) = ch.system_fingerprint {
                out.push(field(f::SYSTEM_FINGERPRINT, value, Rule::Last));
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

fn field(key: &'static str, value: Raw, rule: Rule) -> Op {
    Op::Field {
        at: Scope::Top,
        key: Key::Static(key),
        value,
        rule,
        event: false,
    }
}

/// A `logprobs` list (its elements checked to be of `element`'s type), or
/// null.
fn typed_list(sc: &mut Cur<'_>, field: &'static str, element: Element) -> Result<Option<List>> {
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
        let at = sc.pos();
        if !element.starts(sc.ws()) {
            sc.peek_kind()?;
            return sc.shape(at, field, element.expected());
        }
        let span = if element == Element::Offset {
            let (span, integer) = sc.number()?;
            if !integer || parse_u64(sc.bytes_of(span.start, span.end)).is_none() {
                return sc.shape(at, field, element.expected());
            }
            span
        } else {
            sc.skip_value()?
        };
        if l.count == 0 {
            l.inner.start = span.start;
        }
        l.inner.end = span.end;
        l.count += 1;
    }
    Ok(Some(l))
}
