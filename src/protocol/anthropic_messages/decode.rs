//! Decoding Anthropic Messages stream events into ops.
//!
//! Each payload is one event object whose `type` says what it is
//! (`message_start`, `content_block_start`, `content_block_delta`,
//! `content_block_stop`, `message_delta`, `message_stop`, `ping`, `error`).
//! A cheap look at the first member finds the type (servers send it first;
//! otherwise the object's top level is scanned for it), then one validating
//! pass reads the members in any order and the ops are emitted in the order
//! their events must come. The rules are anthropic-python's accumulator,
//! where DESIGN.md does not say otherwise:
//!
//! - `message_start`: every member of `message`, in order, starts the final
//!   object (`Rule::Replace`); its `usage` is the usage; blocks already in
//!   its `content` (programmatic tool calling) start and stop at once at
//!   their positions, a client `tool_use` among them with its `input` as
//!   the arguments; a non-null `stop_reason` there is the finish reason.
//!   A second `message_start` is skipped (the SDK ignores it).
//! - `content_block_start`: a block at `index` with the block's members.
//!   `text` blocks make content events, `thinking` blocks reasoning events,
//!   `tool_use` blocks a client tool call (0-based ordinal of such blocks as
//!   its index; a non-empty `input` is its arguments at once, an empty one
//!   `{}` its arguments if no `input_json_delta` adds any); every other
//!   type (`server_tool_use`, `mcp_tool_use`, `*_tool_result`,
//!   `redacted_thinking`, unknown ones) stays in the final object only.
//! - `content_block_delta`: `text_delta` and `thinking_delta` append text;
//!   `input_json_delta` appends to the tool call's arguments (client tools)
//!   or, silently, to the block's input text (any other block); the input is
//!   parsed once, when the final object is built. `signature_delta` replaces
//!   `signature`, `citations_delta` appends its `citation` to `citations`;
//!   any other member, and every member of a delta of another type (or of a
//!   type that does not fit the block), merges into the block by the generic
//!   rules (strings concatenate: `compaction_delta`'s `content`).
//! - `content_block_stop`: the block ends (its runs of text and arguments
//!   close).
//! - `message_delta`: `stop_reason` and `stop_sequence` replace (even with
//!   null), other `delta` members replace when not null; a non-null
//!   `stop_reason` is the finish reason; `usage` overlays each count it
//!   carries (never summed); other top-level members replace when not null
//!   (`context_management`), each also a `chunk.extra` event.
//! - `message_stop` is the terminator; `ping` is skipped silently;
//!   `event: error` and `{"type":"error"}` are the provider's error.
//!
//! Tolerated, with a [`Warning::Lenient`]: a payload without `type` under a
//! known event name (the name is its type); a delta without `type` (the
//! member it carries, `text`, `thinking`, `partial_json`, …, names it); a
//! delta for a block never started (the block is made from it: text for
//! `text_delta`, thinking for `thinking_delta`, an input-only block
//! otherwise); a stop for a block never started (ignored); a second start
//! of one index (its members replace the block's). A delta of an unknown
//! type that carries the block's own text field (`text` of a text block,
//! `thinking` of a thinking block) appends to it, with its events, as the
//! generic rules would. Unknown event types are skipped with a warning.
//! Refused as a shape error: a known field of the wrong type (`"index":
//! "0"`, `"text": 5` in a `text_delta`, …) and a block event without an
//! `index`.

use std::borrow::Cow;

use super::fields as f;
use crate::delta::{
    BlockKey, BlockKind, Delta, Key, Op, Raw, Rule, Scope, Span, StrSpan, ValueKind,
};
use crate::event::Warning;
use crate::json::scanner::{Scanner, Stop};
use crate::protocol::provider_error;
use crate::protocol::scan::{
    members, opt_count, opt_index, opt_text, raw_value, Cur, DecodeError, Result, ARRAY_OR_NULL,
    INDEX, OBJECT_OR_NULL, STRING_OR_NULL,
};
use crate::protocol::{Payload, SkipReason};
use crate::usage::TokenCounts;

/// The format has one choice.
const CHOICE: u32 = 0;

/// What an event is, by its `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    MessageStart,
    MessageDelta,
    MessageStop,
    BlockStart,
    BlockDelta,
    BlockStop,
    Ping,
    Error,
    /// A type the format does not define.
    Other,
    /// No `type` (and no event name to stand for it).
    Missing,
}

fn kind_of(name: &[u8]) -> Kind {
    match name {
        f::CONTENT_BLOCK_DELTA => Kind::BlockDelta,
        f::CONTENT_BLOCK_START => Kind::BlockStart,
        f::CONTENT_BLOCK_STOP => Kind::BlockStop,
        f::MESSAGE_START => Kind::MessageStart,
        f::MESSAGE_DELTA => Kind::MessageDelta,
        f::MESSAGE_STOP => Kind::MessageStop,
        f::PING => Kind::Ping,
        f::ERROR => Kind::Error,
        _ => Kind::Other,
    }
}

/// A started block, as the decoder remembers it.
#[derive(Debug, Clone, Copy)]
struct BlockInfo {
    index: u32,
    kind: BlockKind,
    /// The client tool call's ordinal (`tool_use` blocks).
    tool: Option<u32>,
}

/// What the decoder reads off a content block object.
#[derive(Debug, Clone, Copy, Default)]
struct BlockFacts {
    span: Span,
    kind: Option<StrSpan>,
    text: Option<Raw>,
    thinking: Option<Raw>,
    id: Option<Raw>,
    name: Option<Raw>,
    input: Option<Raw>,
}

/// What the decoder reads off a `content_block_delta`'s `delta`.
#[derive(Debug, Clone, Copy, Default)]
struct DeltaFacts {
    present: bool,
    /// Where the delta object starts.
    pos: usize,
    kind: Option<StrSpan>,
    text: Option<Raw>,
    thinking: Option<Raw>,
    partial_json: Option<Raw>,
    signature: Option<Raw>,
    citation: Option<Raw>,
}

/// The member of a delta its type consumed (the others merge generically).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Consumed {
    Nothing,
    Text,
    Thinking,
    PartialJson,
    Signature,
    Citation,
}

/// Decodes the data of each SSE event of an Anthropic Messages stream.
#[derive(Debug, Clone)]
pub(crate) struct Decoder {
    /// Started blocks, sorted by index.
    blocks: Vec<BlockInfo>,
    /// Client tool calls so far (the next one's ordinal).
    tools: u32,
    /// The highest block index of a call so far.
    last_call_block: Option<u32>,
    /// A `message_start` was applied.
    started: bool,
    /// Scratch, per payload.
    delta: DeltaFacts,
    block: BlockFacts,
    start_blocks: Vec<BlockFacts>,
    extras: Vec<(StrSpan, Raw)>,
    stop_reason: Option<StrSpan>,
    usage: Option<(Span, TokenCounts)>,
    max_depth: usize,
    max_index: u32,
}

impl Decoder {
    pub fn new(max_depth: usize, max_index: u32) -> Decoder {
        Decoder {
            blocks: Vec::new(),
            tools: 0,
            last_call_block: None,
            started: false,
            delta: DeltaFacts::default(),
            block: BlockFacts::default(),
            start_blocks: Vec::new(),
            extras: Vec::new(),
            stop_reason: None,
            usage: None,
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
        let named = match event_type {
            "message" => None,
            "error" => return Ok(Payload::ProviderError(provider_error::from_body(data))),
            "ping" => return Ok(Payload::Ops),
            name => match kind_of(name.as_bytes()) {
                Kind::Other if self.looks_foreign(event_type, data) => return Ok(Payload::Foreign),
                Kind::Other => return Ok(Payload::Skip(SkipReason::EventType)),
                k => Some(k),
            },
        };
        let mut sc = Cur::new(data, self.max_depth);
        if sc.ws() == 0 && sc.pos() >= data.len() {
            return Ok(Payload::Skip(SkipReason::EmptyData));
        }
        let kind = match (peek_type(data, self.max_depth), named) {
            (Some(k), _) => k,
            (None, Some(k)) => {
                out.push(Op::Warning {
                    warning: Warning::Lenient {
                        field: "type",
                        expected: "the event's type (its SSE event name is used)",
                    },
                    pos: sc.pos(),
                });
                k
            }
            (None, None) => Kind::Missing,
        };
        let decoded = self.event(&mut sc, kind, out).and_then(|payload| {
            sc.finish()?;
            Ok(payload)
        });
        match decoded {
            Ok(Payload::Skip(SkipReason::EventType)) if self.looks_foreign(event_type, data) => {
                out.clear();
                Ok(Payload::Foreign)
            }
            Ok(payload) => Ok(payload),
            Err(Stop) => Err(sc.failure(self.max_depth)),
        }
    }

    /// A payload this format does not define that the detection table takes
    /// for another format's.
    fn looks_foreign(&self, event_type: &str, data: &str) -> bool {
        crate::protocol::detect::is_other_format(
            crate::format::Format::AnthropicMessages,
            event_type,
            data,
            self.max_depth,
        )
    }

    /// One event object: its members, then its ops.
    fn event(&mut self, sc: &mut Cur<'_>, kind: Kind, out: &mut Delta) -> Result<Payload> {
        if sc.ws() != b'{' {
            sc.peek_kind()?;
            return sc.shape(sc.pos(), "event", "a JSON object");
        }
        let start = sc.pos();
        sc.object()?;
        let mut index: Option<(u32, usize)> = None;
        let repeated_start = kind == Kind::MessageStart && self.started;
        self.delta = DeltaFacts::default();
        self.block = BlockFacts::default();
        self.extras.clear();
        self.stop_reason = None;
        self.usage = None;
        members!(sc;
            0 4 b"type" => {
                opt_text(sc, "type")?;
            },
            1 5 b"index" => {
                sc.ws();
                let at = sc.pos();
                index = opt_index(sc, "index", self.max_index)?.map(|i| (i, at));
            },
            2 5 b"delta" => match kind {
                Kind::BlockDelta => self.block_delta(sc)?,
                Kind::MessageDelta => self.message_delta(sc, out)?,
                _ => {
                    sc.skip_value()?;
                }
            },
            3 5 b"usage" => match kind {
                Kind::MessageDelta => self.usage = usage(sc, "usage")?,
                _ => {
                    sc.skip_value()?;
                }
            },
            4 13 b"content_block" => match kind {
                Kind::BlockStart => {
                    if sc.ws() != b'{' {
                        sc.peek_kind()?;
                        return sc.shape(sc.pos(), "content_block", "an object");
                    }
                    self.block = block_facts(sc)?;
                }
                _ => {
                    sc.skip_value()?;
                }
            },
            5 7 b"message" => match kind {
                Kind::MessageStart if !repeated_start => self.message(sc, out)?,
                _ => {
                    sc.skip_value()?;
                }
            },
            _ key => {
                let value = raw_value(sc)?;
                if kind == Kind::MessageDelta && value.kind != ValueKind::Null {
                    self.extras.push((key, value));
                }
            },
        );
        let block_index = |sc: &mut Cur<'_>| match index {
            Some(i) => Ok(i),
            None => sc.shape(start, "index", INDEX),
        };
        match kind {
            Kind::MessageStart if repeated_start => {
                return Ok(Payload::Skip(SkipReason::EventType))
            }
            Kind::MessageStart => {}
            Kind::BlockStart => {
                let (i, _) = block_index(sc)?;
                if self.block.span.end == 0 {
                    return sc.shape(start, "content_block", "an object");
                }
                let facts = self.block;
                self.block_start(sc.text(), i, &facts, out);
            }
            Kind::BlockDelta => {
                let (i, at) = block_index(sc)?;
                if self.delta.present {
                    self.block_delta_ops(sc, i, at, out)?;
                }
            }
            Kind::BlockStop => {
                let (i, at) = block_index(sc)?;
                if self.find(i).is_some() {
                    out.push(Op::BlockStop {
                        choice: CHOICE,
                        block: BlockKey::Index(i),
                        fields: None,
                    });
                } else {
                    out.push(Op::Warning {
                        warning: Warning::Lenient {
                            field: "content_block_stop.index",
                            expected: "the index of a started block (the stop is ignored)",
                        },
                        pos: at,
                    });
                }
            }
            Kind::MessageDelta => {
                if let Some(reason) = self.stop_reason {
                    out.push(Op::Finish {
                        choice: CHOICE,
                        reason,
                    });
                }
                if let Some((span, tokens)) = self.usage {
                    out.usage(span, tokens, Rule::Overlay);
                }
                for &(key, value) in &self.extras {
                    out.push(Op::Field {
                        at: Scope::Top,
                        key: Key::Wire(key),
                        value,
                        rule: Rule::Last,
                        event: true,
                    });
                }
            }
            Kind::MessageStop => out.push(Op::Terminal),
            Kind::Ping => {}
            Kind::Error => {
                // An error payload is not merged.
                out.clear();
                let v = crate::fold::parse_raw(sc.text());
                return Ok(Payload::ProviderError(provider_error::from_value(&v)));
            }
            Kind::Other => return Ok(Payload::Skip(SkipReason::EventType)),
            Kind::Missing => {
                if self.looks_foreign("message", sc.text()) {
                    out.clear();
                    return Ok(Payload::Foreign);
                }
                return sc.shape(start, "type", "a string naming the event");
            }
        }
        Ok(Payload::Ops)
    }

    /// The `message` of `message_start`: its members start the final object.
    fn message(&mut self, sc: &mut Cur<'_>, out: &mut Delta) -> Result<()> {
        match sc.ws() {
            b'{' => sc.object()?,
            b'n' => {
                sc.null()?;
                return Ok(());
            }
            _ => {
                sc.peek_kind()?;
                return sc.shape(sc.pos(), "message", OBJECT_OR_NULL);
            }
        }
        self.started = true;
        out.push(Op::Choice {
            choice: CHOICE,
            pos: sc.pos(),
        });
        self.start_blocks.clear();
        let mut usage_at: Option<(Span, TokenCounts)> = None;
        let mut stop_reason = None;
        members!(sc;
            0 2 b"id" => top(out, Key::Static(f::ID), raw_value(sc)?),
            1 4 b"type" => top(out, Key::Static(f::TYPE), raw_value(sc)?),
            2 4 b"role" => top(out, Key::Static(f::ROLE), raw_value(sc)?),
            3 5 b"model" => top(out, Key::Static(f::MODEL), raw_value(sc)?),
            4 7 b"content" => {
                let begin = sc.pos();
                match sc.ws() {
                    b'[' => {
                        sc.array()?;
                        let mut first = true;
                        while sc.next_element(&mut first)? {
                            if sc.ws() != b'{' {
                                sc.peek_kind()?;
                                return sc.shape(sc.pos(), "message.content[]", "an object");
                            }
                            let b = block_facts(sc)?;
                            self.start_blocks.push(b);
                        }
                        let span = Span { start: begin, end: sc.pos() };
                        top(out, Key::Static(f::CONTENT), Raw::value(span, ValueKind::Array));
                    }
                    b'n' => top(out, Key::Static(f::CONTENT), raw_value(sc)?),
                    _ => {
                        sc.peek_kind()?;
                        return sc.shape(sc.pos(), "message.content", ARRAY_OR_NULL);
                    }
                }
            },
            5 11 b"stop_reason" => {
                let v = raw_value(sc)?;
                match v.kind {
                    ValueKind::String => stop_reason = Some(v.text),
                    ValueKind::Null => {}
                    _ => return sc.shape(v.span.start, "message.stop_reason", STRING_OR_NULL),
                }
                top(out, Key::Static(f::STOP_REASON), v);
            },
            6 13 b"stop_sequence" => top(out, Key::Static(f::STOP_SEQUENCE), raw_value(sc)?),
            7 5 b"usage" => {
                sc.ws();
                let at = sc.pos();
                usage_at = usage(sc, "message.usage")?;
                let span = Span { start: at, end: sc.pos() };
                let kind = if usage_at.is_some() { ValueKind::Object } else { ValueKind::Null };
                top(out, Key::Static(f::USAGE), Raw::value(span, kind));
            },
            _ key => top(out, Key::Wire(key), raw_value(sc)?),
        );
        if let Some((span, tokens)) = usage_at {
            out.usage(span, tokens, Rule::Last);
        }
        let blocks = std::mem::take(&mut self.start_blocks);
        for (i, b) in blocks.iter().enumerate() {
            let i = match u32::try_from(i) {
                Ok(i) if i <= self.max_index => i,
                _ => {
                    return sc.stop(
                        b.span.start,
                        crate::protocol::DecodeErrorKind::Limit(crate::limits::Limit::Index),
                    )
                }
            };
            self.block_start(sc.text(), i, b, out);
            out.push(Op::BlockStop {
                choice: CHOICE,
                block: BlockKey::Index(i),
                fields: None,
            });
        }
        self.start_blocks = blocks;
        if let Some(reason) = stop_reason {
            out.push(Op::Finish {
                choice: CHOICE,
                reason,
            });
        }
        Ok(())
    }

    /// The `delta` of `message_delta`: its members replace the message's.
    fn message_delta(&mut self, sc: &mut Cur<'_>, out: &mut Delta) -> Result<()> {
        match sc.ws() {
            b'{' => sc.object()?,
            b'n' => {
                sc.null()?;
                return Ok(());
            }
            _ => {
                sc.peek_kind()?;
                return sc.shape(sc.pos(), "delta", OBJECT_OR_NULL);
            }
        }
        members!(sc;
            0 11 b"stop_reason" => {
                let v = raw_value(sc)?;
                match v.kind {
                    ValueKind::String => self.stop_reason = Some(v.text),
                    ValueKind::Null => {}
                    _ => return sc.shape(v.span.start, "delta.stop_reason", STRING_OR_NULL),
                }
                out.push(field(Scope::Top, Key::Static(f::STOP_REASON), v, Rule::Replace));
            },
            1 13 b"stop_sequence" => {
                let v = raw_value(sc)?;
                out.push(field(Scope::Top, Key::Static(f::STOP_SEQUENCE), v, Rule::Replace));
            },
            _ key => {
                let v = raw_value(sc)?;
                out.push(field(Scope::Top, Key::Wire(key), v, Rule::Last));
            },
        );
        Ok(())
    }

    /// The `delta` of `content_block_delta`: its members, kept until the
    /// block's index is known.
    fn block_delta(&mut self, sc: &mut Cur<'_>) -> Result<()> {
        let first = sc.ws();
        let at = sc.pos();
        match first {
            b'{' => sc.object()?,
            b'n' => {
                sc.null()?;
                return Ok(());
            }
            _ => {
                sc.peek_kind()?;
                return sc.shape(sc.pos(), "delta", OBJECT_OR_NULL);
            }
        }
        self.delta.present = true;
        self.delta.pos = at;
        members!(sc;
            0 4 b"type" => self.delta.kind = opt_text(sc, "delta.type")?,
            1 4 b"text" => self.delta.text = Some(raw_value(sc)?),
            2 12 b"partial_json" => self.delta.partial_json = Some(raw_value(sc)?),
            3 8 b"thinking" => self.delta.thinking = Some(raw_value(sc)?),
            4 9 b"signature" => self.delta.signature = Some(raw_value(sc)?),
            5 8 b"citation" => self.delta.citation = Some(raw_value(sc)?),
            _ key => {
                let v = raw_value(sc)?;
                if v.kind != ValueKind::Null {
                    self.extras.push((key, v));
                }
            },
        );
        Ok(())
    }

    /// The slot of started block `index`.
    fn find(&self, index: u32) -> Option<usize> {
        // Deltas go to the block started last, in the usual stream.
        match self.blocks.last() {
            Some(b) if b.index == index => Some(self.blocks.len() - 1),
            _ => self.blocks.binary_search_by_key(&index, |b| b.index).ok(),
        }
    }

    /// The ordinal of a new client tool call, at block `index`.
    fn next_tool(&mut self, index: u32, pos: usize, out: &mut Delta) -> u32 {
        if self.last_call_block.is_some_and(|last| last > index) {
            // The events number calls as they come, the final message
            // lists its tool_use blocks by index: a call before one that
            // came first is out of that order.
            out.disagree("tool_calls", pos);
        }
        self.last_call_block = self.last_call_block.max(Some(index));
        let t = self.tools;
        self.tools = self.tools.saturating_add(1);
        t
    }

    /// Remembers a new block.
    fn add_block(&mut self, index: u32, kind: BlockKind, tool: Option<u32>) -> BlockInfo {
        let info = BlockInfo { index, kind, tool };
        match self.blocks.last() {
            Some(b) if b.index > index => {
                let at = self.blocks.partition_point(|b| b.index < index);
                self.blocks.insert(at, info);
            }
            _ => self.blocks.push(info),
        }
        info
    }

    /// The ops of a block that starts (from `content_block_start`, or whole
    /// in `message_start`).
    fn block_start(&mut self, data: &str, index: u32, b: &BlockFacts, out: &mut Delta) {
        let block = BlockKey::Index(index);
        let pos = b.span.start;
        let kind = match b.kind {
            Some(t) if is_lit(data, t, f::TEXT_BLOCK) => BlockKind::Content,
            Some(t) if is_lit(data, t, f::THINKING_BLOCK) => BlockKind::Reasoning,
            Some(t) if is_lit(data, t, f::TOOL_USE_BLOCK) => BlockKind::Tool,
            _ => BlockKind::Other,
        };
        if let Some(slot) = self.find(index) {
            out.push(Op::Warning {
                warning: Warning::Lenient {
                    field: "content_block_start.index",
                    expected: "a new block index (the block's members are replaced)",
                },
                pos,
            });
            // The start says what the block is (deltas before it made it
            // of their kind; the fold warns when their text disagrees). A
            // block that becomes a tool_use gets its own call; one that
            // was a call keeps it.
            if self.blocks[slot].kind == BlockKind::Tool && kind != BlockKind::Tool {
                // A call's block that is no longer one: the events had the
                // call, the final message does not.
                out.disagree("tool_calls", pos);
            }
            self.blocks[slot].kind = kind;
            let new_tool = (kind == BlockKind::Tool && self.blocks[slot].tool.is_none())
                .then(|| self.next_tool(index, pos, out));
            if new_tool.is_some() {
                self.blocks[slot].tool = new_tool;
            }
            out.push(Op::BlockStart {
                choice: CHOICE,
                block,
                kind,
                fields: Some(b.span),
                pos,
            });
            if new_tool.is_some() {
                tool_start(data, b, new_tool, block, out);
            }
            return;
        }
        let tool = (kind == BlockKind::Tool).then(|| self.next_tool(index, pos, out));
        let info = self.add_block(index, kind, tool);
        out.push(Op::BlockStart {
            choice: CHOICE,
            block,
            kind,
            fields: Some(b.span),
            pos,
        });
        let starting_text = match kind {
            BlockKind::Content => b.text,
            BlockKind::Reasoning => b.thinking,
            _ => None,
        };
        if let Some(t) = starting_text.filter(|t| t.kind == ValueKind::String && !t.text.is_empty())
        {
            out.push(Op::Text {
                choice: CHOICE,
                block,
                kind,
                text: t.text,
                pos,
            });
        }
        if kind == BlockKind::Tool {
            tool_start(data, b, info.tool, block, out);
        }
    }

    /// The ops of a `content_block_delta` for block `index` (`at`: where
    /// the index is).
    fn block_delta_ops(
        &mut self,
        sc: &mut Cur<'_>,
        index: u32,
        at: usize,
        out: &mut Delta,
    ) -> Result<()> {
        let data = sc.text();
        let d = self.delta;
        // A delta without `type` is the one its member names.
        let inferred: Option<&[u8]> = match d {
            DeltaFacts { kind: Some(_), .. } => None,
            DeltaFacts { text: Some(_), .. } => Some(f::TEXT_DELTA),
            DeltaFacts {
                thinking: Some(_), ..
            } => Some(f::THINKING_DELTA),
            DeltaFacts {
                partial_json: Some(_),
                ..
            } => Some(f::INPUT_JSON_DELTA),
            DeltaFacts {
                signature: Some(_), ..
            } => Some(f::SIGNATURE_DELTA),
            DeltaFacts {
                citation: Some(_), ..
            } => Some(f::CITATIONS_DELTA),
            _ => None,
        };
        if inferred.is_some() {
            out.push(Op::Warning {
                warning: Warning::Lenient {
                    field: "delta.type",
                    expected: "a string naming the delta (its member named it)",
                },
                pos: d.pos,
            });
        }
        let is_type = |lit: &[u8]| match d.kind {
            Some(t) => is_lit(data, t, lit),
            None => inferred == Some(lit),
        };
        let info = match self.find(index) {
            Some(slot) => self.blocks[slot],
            None => {
                out.push(Op::Warning {
                    warning: Warning::Lenient {
                        field: "content_block_delta.index",
                        expected: "the index of a started block (a block is made from the delta)",
                    },
                    pos: at,
                });
                let kind = if is_type(f::TEXT_DELTA) {
                    BlockKind::Content
                } else if is_type(f::THINKING_DELTA) {
                    BlockKind::Reasoning
                } else {
                    BlockKind::Other
                };
                self.add_block(index, kind, None)
            }
        };
        let block = BlockKey::Index(index);
        let pos = at;
        let text_of = |sc: &mut Cur<'_>, r: Option<Raw>, name: &'static str| match r {
            Some(r) if r.kind == ValueKind::String => Ok(Some(r.text)),
            Some(r) if r.kind != ValueKind::Null => sc.shape(r.span.start, name, "a string"),
            _ => Ok(None),
        };
        let mut consumed = Consumed::Nothing;
        if is_type(f::TEXT_DELTA) && info.kind == BlockKind::Content {
            consumed = Consumed::Text;
            if let Some(text) = text_of(sc, d.text, "delta.text")? {
                out.push(Op::Text {
                    choice: CHOICE,
                    block,
                    kind: BlockKind::Content,
                    text,
                    pos,
                });
            }
        } else if is_type(f::THINKING_DELTA) && info.kind == BlockKind::Reasoning {
            consumed = Consumed::Thinking;
            if let Some(text) = text_of(sc, d.thinking, "delta.thinking")? {
                out.push(Op::Text {
                    choice: CHOICE,
                    block,
                    kind: BlockKind::Reasoning,
                    text,
                    pos,
                });
            }
        } else if is_type(f::INPUT_JSON_DELTA)
            && matches!(info.kind, BlockKind::Tool | BlockKind::Other)
        {
            consumed = Consumed::PartialJson;
            if let Some(text) = text_of(sc, d.partial_json, "delta.partial_json")? {
                out.push(if info.kind == BlockKind::Tool {
                    Op::Tool {
                        choice: CHOICE,
                        index: info.tool,
                        id: None,
                        kind: None,
                        name: None,
                        arguments: Some(text),
                        block: Some(block),
                        pos,
                    }
                } else {
                    Op::Text {
                        choice: CHOICE,
                        block,
                        kind: BlockKind::Other,
                        text,
                        pos,
                    }
                });
            }
        } else if is_type(f::SIGNATURE_DELTA) {
            consumed = Consumed::Signature;
            if let Some(v) = d.signature {
                out.push(field(
                    Scope::Block(CHOICE, block),
                    Key::Static(f::SIGNATURE),
                    v,
                    Rule::Replace,
                ));
            }
        } else if is_type(f::CITATIONS_DELTA) {
            consumed = Consumed::Citation;
            if let Some(v) = d.citation.filter(|v| v.kind != ValueKind::Null) {
                out.push(field(
                    Scope::Block(CHOICE, block),
                    Key::Static(f::CITATIONS),
                    v,
                    Rule::Append,
                ));
            }
        }
        // What the delta's type did not consume merges into the block.
        let rest = [
            (Consumed::Text, f::TEXT, d.text),
            (Consumed::Thinking, f::THINKING, d.thinking),
            (Consumed::PartialJson, f::PARTIAL_JSON, d.partial_json),
            (Consumed::Signature, f::SIGNATURE, d.signature),
            (Consumed::Citation, f::CITATION, d.citation),
        ];
        for (which, name, value) in rest {
            if let Some(v) = value.filter(|v| which != consumed && v.kind != ValueKind::Null) {
                // The block's own text field grows as its text (a delta of a
                // type this decoder does not know, carrying `text`).
                let own = match info.kind {
                    BlockKind::Content => which == Consumed::Text,
                    BlockKind::Reasoning => which == Consumed::Thinking,
                    _ => false,
                };
                if own && v.kind == ValueKind::String {
                    out.push(Op::Text {
                        choice: CHOICE,
                        block,
                        kind: info.kind,
                        text: v.text,
                        pos,
                    });
                    continue;
                }
                out.push(field(
                    Scope::Block(CHOICE, block),
                    Key::Static(name),
                    v,
                    Rule::Merge,
                ));
            }
        }
        for &(key, v) in &self.extras {
            out.push(field(
                Scope::Block(CHOICE, block),
                Key::Wire(key),
                v,
                Rule::Merge,
            ));
        }
        Ok(())
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

/// A member of the message that `message_start` sets.
fn top(out: &mut Delta, key: Key, value: Raw) {
    out.push(field(Scope::Top, key, value, Rule::Replace));
}

/// True when string `s` of `data` is `lit`.
fn is_lit(data: &str, s: StrSpan, lit: &[u8]) -> bool {
    if s.escaped() {
        s.get(data).to_cow().as_bytes() == lit
    } else {
        data.as_bytes().get(s.start()..s.end()) == Some(lit)
    }
}

/// True for an object without members (`{}`, padded or not).
fn is_empty_object(data: &str, r: &Raw) -> bool {
    let t = r.span.get(data);
    r.kind == ValueKind::Object && t.len() >= 2 && crate::json::is_blank(&t[1..t.len() - 1])
}

/// The event's `type`, read ahead: from its first member in the usual
/// payload, else from a scan of its top level. `None` when there is none
/// (or the payload is not an object; the validating pass says why).
fn peek_type(data: &str, max_depth: usize) -> Option<Kind> {
    let mut sc = Scanner::new(data, max_depth);
    if sc.ws() != b'{' {
        return None;
    }
    sc.object().ok()?;
    let mut first = true;
    while let Some(key) = sc.next_key(&mut first).ok()? {
        if is_lit(data, key, b"type") {
            if sc.ws() != b'"' {
                return None;
            }
            let t = sc.string().ok()?;
            let name: Cow<'_, str> = t.get(data).to_cow();
            return Some(kind_of(name.as_bytes()));
        }
        sc.skip_value().ok()?;
    }
    None
}

/// A content block object: the members the ops need, and its span.
fn block_facts(sc: &mut Cur<'_>) -> Result<BlockFacts> {
    let start = sc.pos();
    sc.object()?;
    let mut b = BlockFacts::default();
    members!(sc;
        0 4 b"type" => b.kind = opt_text(sc, "content_block.type")?,
        1 4 b"text" => b.text = Some(raw_value(sc)?),
        2 8 b"thinking" => b.thinking = Some(raw_value(sc)?),
        3 2 b"id" => b.id = Some(raw_value(sc)?),
        4 4 b"name" => b.name = Some(raw_value(sc)?),
        5 5 b"input" => b.input = Some(raw_value(sc)?),
        _ _key => {
            sc.skip_value()?;
        },
    );
    b.span = Span {
        start,
        end: sc.pos(),
    };
    Ok(b)
}

/// A `usage` object: its span and counts (`None` for null).
fn usage(sc: &mut Cur<'_>, name: &'static str) -> Result<Option<(Span, TokenCounts)>> {
    match sc.ws() {
        b'{' => {}
        b'n' => {
            sc.null()?;
            return Ok(None);
        }
        _ => {
            sc.peek_kind()?;
            return sc.shape(sc.pos(), name, OBJECT_OR_NULL);
        }
    }
    let start = sc.pos();
    sc.object()?;
    let mut t = TokenCounts::default();
    members!(sc;
        0 12 b"input_tokens" => t.input_tokens = opt_count(sc)?,
        1 27 b"cache_creation_input_tokens" => {
            sc.skip_value()?;
        },
        2 23 b"cache_read_input_tokens" => t.cached_input_tokens = opt_count(sc)?,
        3 13 b"output_tokens" => t.output_tokens = opt_count(sc)?,
        _ _key => {
            sc.skip_value()?;
        },
    );
    Ok(Some((
        Span {
            start,
            end: sc.pos(),
        },
        t,
    )))
}

/// The call of a `tool_use` block that starts (`tool`: its ordinal): its id,
/// name and whole `input` when the start has one.
fn tool_start(data: &str, b: &BlockFacts, tool: Option<u32>, block: BlockKey, out: &mut Delta) {
    let string = |r: Option<Raw>| r.filter(|r| r.kind == ValueKind::String).map(|r| r.text);
    let input = b.input.filter(|r| r.kind != ValueKind::Null);
    let whole = input.filter(|r| !is_empty_object(data, r));
    out.push(Op::Tool {
        choice: CHOICE,
        index: tool,
        id: string(b.id),
        kind: None,
        name: string(b.name),
        arguments: whole.map(|r| StrSpan::verbatim(r.span)),
        block: Some(block),
        pos: b.span.start,
    });
    if let (None, Some(empty)) = (whole, input) {
        // `{}`: the arguments, unless fragments follow.
        out.push(Op::ToolDefault {
            choice: CHOICE,
            arguments: StrSpan::verbatim(empty.span),
        });
    }
}
