//! Decoding OpenAI Responses events into ops.
//!
//! Each payload is one typed event (`{"type": "response.output_text.delta",
//! …}`). Its members come in any order (Bedrock sorts them, so `type` may be
//! last, after a large `response`), so the decoder walks the payload once,
//! keeping spans of the members it knows, and then acts on its `type` (the
//! SSE `event:` name when the payload has none).
//!
//! How the events map onto the fold:
//!
//! - `response.created` / `in_progress` / `queued`: each member of
//!   `response` is a top-level field (replaced by the later event). A
//!   background stream resumed with `starting_after` begins at
//!   `response.queued`; it folds the same.
//! - `response.output_item.added` / `.done`: block `Index(output_index)`
//!   starts with the item as its fields; at `.done` the complete item
//!   replaces them. A `function_call` (or `custom_tool_call`) item is a
//!   client tool call: a `Tool` op with its `call_id`, `name` and the
//!   decoder's 0-based ordinal of client calls. Hosted tools
//!   (`web_search_call`, `code_interpreter_call`, `mcp_call`, …) stay
//!   items, without tool events.
//! - Parts (`content_part.*`, `reasoning_summary_part.*`): block
//!   `Part { item: output_index, group, part }` (`fields::group`).
//! - Text deltas: `output_text.delta` (content), `refusal.delta`,
//!   `reasoning_summary_text.delta` and `reasoning_text.delta` (reasoning)
//!   append to their part; `function_call_arguments.delta` and
//!   `custom_tool_call_input.delta` to the call. Hosted-tool deltas
//!   (`code_interpreter_call_code`, `mcp_call_arguments`,
//!   `apply_patch_call_operation_diff`, `shell_call_command`) go silently
//!   into a part of their item. The `.done` events repeat the whole text:
//!   what the deltas missed becomes one more delta (LM Studio sends
//!   function arguments only in `function_call_arguments.done`), and the
//!   complete item at `output_item.done` is reconciled the same way.
//! - A text delta for an item already done, or of a kind its item does
//!   not hold (`output_text` in a `reasoning` item), is skipped with a
//!   `deltas_disagree` warning: the final object could not show it. Text
//!   for an index whose item has not been added is kept (a resumed stream
//!   starts mid-item); a warning follows if the item turns out to hold no
//!   such text (a function call).
//! - `output_text.annotation.added`: the annotation is appended to the
//!   part's `annotations`; a delta's non-empty `logprobs` extend the part's.
//! - Terminal events (`response.completed`, `.incomplete`, `.failed`): the
//!   `response` is the final object (`Snapshot`), each of its `output`
//!   items reconciled as at `output_item.done`, its `usage` the usage,
//!   its `status` the finish reason (`incomplete_details.reason` for
//!   `response.incomplete`, which is a normal end, not an error);
//!   `response.failed` is a provider error from `response.error`.
//! - `error` (`{"type":"error", …}`): a provider error, before the
//!   `response.failed` that follows it.
//! - Progress events of hosted tools (`….in_progress`, `.searching`,
//!   `.interpreting`, `.generating`, `.completed`, `.partial_image`, …)
//!   carry nothing the final object lacks: accepted, no ops. Other
//!   `response.*` types are skipped with a warning.
//!
//! Dropped: `sequence_number`, `item_id` (the item is `output_index`'s),
//! `obfuscation` padding.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use super::fields::{self as f, group};
use crate::delta::{
    BlockKey, BlockKind, Delta, Key, Op, Raw, Rule, Scope, Span, StrSpan, ValueKind,
};
use crate::fold::parse_raw;
use crate::json::scanner::Stop;
use crate::protocol::provider_error::{self, ProviderError};
use crate::protocol::scan::{
    list, members, opt_count, opt_index, raw_value, Cur, DecodeError, Result,
};
use crate::protocol::{DecodeErrorKind, Payload, SkipReason};
use crate::usage::TokenCounts;

/// The single choice of a Responses stream.
const CHOICE: u32 = 0;

/// The members of one event that the decoder uses, in any order.
#[derive(Debug, Clone, Copy, Default)]
struct Members {
    kind: Option<Raw>,
    output_index: Option<u32>,
    content_index: Option<u32>,
    summary_index: Option<u32>,
    command_index: Option<u32>,
    delta: Option<Raw>,
    text: Option<Raw>,
    refusal: Option<Raw>,
    arguments: Option<Raw>,
    input: Option<Raw>,
    code: Option<Raw>,
    diff: Option<Raw>,
    command: Option<Raw>,
    item: Option<Raw>,
    part: Option<Raw>,
    response: Option<Raw>,
    annotation: Option<Raw>,
    /// The array and its number of elements.
    logprobs: Option<(Span, usize)>,
}

/// What the decoder reads off an output item or a part.
#[derive(Debug, Clone, Copy, Default)]
struct ItemInfo {
    kind: Option<StrSpan>,
    id: Option<StrSpan>,
    call_id: Option<StrSpan>,
    name: Option<StrSpan>,
    arguments: Option<StrSpan>,
    input: Option<StrSpan>,
    /// A part's `text` or `refusal`.
    text: Option<StrSpan>,
}

/// A part of a complete item: its list, position, kind and text.
#[derive(Debug, Clone, Copy)]
struct PartText {
    group: u8,
    index: u32,
    kind: BlockKind,
    text: StrSpan,
}

/// What the decoder reads off a terminal event's `response`.
#[derive(Debug, Clone, Copy, Default)]
struct Outcome {
    status: Option<StrSpan>,
    reason: Option<StrSpan>,
    error: Option<Span>,
    usage: Option<(Span, TokenCounts)>,
    /// The `output` array.
    output: Option<Span>,
}

/// Decodes the events of an OpenAI Responses stream.
#[derive(Debug, Clone)]
pub(crate) struct Decoder {
    /// Output index → ordinal of the client tool call there, sorted by
    /// output index.
    calls: Vec<(u32, u32)>,
    /// Parts of the complete item being decoded (scratch).
    parts: Vec<PartText>,
    /// The items added, by output index: the classes of text each holds
    /// ([`text_class`] bits), and whether it is done.
    items: BTreeMap<u32, ItemState>,
    /// The parts that had text the events show (message text, a refusal,
    /// reasoning): (output index, part list, part). A complete form that
    /// lacks one lacks what the events said.
    streamed: BTreeSet<(u32, u8, u32)>,
    /// The parts whose `content_part.done` came: the final object holds
    /// each as sent, so a delta or a new start after it cannot show there.
    closed: BTreeSet<(u32, u8, u32)>,
    /// Output indexes of the calls that had arguments the events show.
    call_args: BTreeSet<u32>,
    /// Item ids → their output index (the terminal response lists its
    /// items without their indexes, and not every item streamed).
    ids: BTreeMap<String, u32>,
    /// Output indexes that had text before their item was added (a
    /// resumed stream, or a hostile one): which kinds of text
    /// ([`text_class`] bits).
    early: BTreeMap<u32, u8>,
    max_depth: usize,
    max_index: u32,
}

/// An item added: see [`Decoder::items`].
#[derive(Debug, Clone, Copy)]
struct ItemState {
    holds: u8,
    done: bool,
}

/// The classes of text an item holds ([`text_class`] bits), or [`CALL`]
/// for a client call.
fn holds(info: &ItemInfo, data: &str, client: bool) -> u8 {
    match info.kind.map(|k| k.get(data).to_cow()) {
        _ if client => CALL,
        Some(k) if k == f::MESSAGE => text_class(BlockKind::Content),
        Some(k) if k == f::REASONING => text_class(BlockKind::Reasoning),
        // Other items (hosted tools, types to come): their own text (code,
        // a command, MCP arguments), not a message's or reasoning, which
        // the final object shows only in those items.
        _ => text_class(BlockKind::Other),
    }
}

/// The [`holds`] bit of a client call's arguments.
const CALL: u8 = 8;

/// The kind of a part of list `group` that says no type, in an item that
/// holds `holds` (a reasoning item's content is reasoning text).
fn usual_kind(group: u8, holds: Option<u8>) -> BlockKind {
    match group {
        group::CONTENT if holds == Some(text_class(BlockKind::Reasoning)) => BlockKind::Reasoning,
        group::CONTENT => BlockKind::Content,
        group::SUMMARY => BlockKind::Reasoning,
        _ => BlockKind::Other,
    }
}

/// The class of text a part of `kind` is, as a bit: message text, reasoning,
/// a hosted tool's.
fn text_class(kind: BlockKind) -> u8 {
    match kind {
        BlockKind::Content | BlockKind::Refusal => 1,
        BlockKind::Reasoning => 2,
        _ => 4,
    }
}

/// A shape error at `pos`, outside the scanner.
fn shape(pos: usize, field: &'static str, expected: &'static str) -> DecodeError {
    DecodeError {
        pos,
        kind: DecodeErrorKind::Shape { field, expected },
    }
}

type Decoded = std::result::Result<Payload, DecodeError>;

/// A member that must be present.
fn need<T>(
    v: Option<T>,
    field: &'static str,
    expected: &'static str,
) -> std::result::Result<T, DecodeError> {
    v.ok_or_else(|| shape(0, field, expected))
}

/// A string member (`None` when absent or null).
fn string(
    v: Option<Raw>,
    field: &'static str,
) -> std::result::Result<Option<StrSpan>, DecodeError> {
    match v {
        None => Ok(None),
        Some(r) => match r.kind {
            ValueKind::String => Ok(Some(r.text)),
            ValueKind::Null => Ok(None),
            _ => Err(shape(r.span.start, field, "a string")),
        },
    }
}

/// An object member (`None` when absent or null).
fn object(v: Option<Raw>, field: &'static str) -> std::result::Result<Option<Span>, DecodeError> {
    match v {
        None => Ok(None),
        Some(r) => match r.kind {
            ValueKind::Object => Ok(Some(r.span)),
            ValueKind::Null => Ok(None),
            _ => Err(shape(r.span.start, field, "an object")),
        },
    }
}

const INDEX: &str = "a non-negative integer";
const AN_OBJECT: &str = "an object";

/// The kind of text a part holds, from its `type`.
fn part_kind(kind: &str) -> BlockKind {
    match kind {
        f::OUTPUT_TEXT => BlockKind::Content,
        f::REFUSAL_PART => BlockKind::Refusal,
        f::REASONING_TEXT | f::SUMMARY_TEXT => BlockKind::Reasoning,
        _ => BlockKind::Other,
    }
}

/// True for item types the client runs (they get tool-call events).
fn is_client_call(kind: &str) -> bool {
    kind == f::FUNCTION_CALL || kind == f::CUSTOM_TOOL_CALL
}

/// Progress events of hosted tools (`response.web_search_call.searching`,
/// `response.mcp_list_tools.completed`, …): nothing for the final object
/// (the complete item follows in `output_item.done`).
fn is_progress(kind: &str) -> bool {
    let Some(rest) = kind.strip_prefix("response.") else {
        return false;
    };
    let Some((item, step)) = rest.rsplit_once('.') else {
        return false;
    };
    !item.is_empty()
        && (matches!(
            step,
            "in_progress"
                | "searching"
                | "interpreting"
                | "generating"
                | "completed"
                | "failed"
                | "incomplete"
                | "partial_image"
        ) || item == "shell_call_output_content")
}

fn field(out: &mut Delta, key: Key, value: Raw, rule: Rule) {
    out.push(Op::Field {
        at: Scope::Top,
        key,
        value,
        rule,
        event: false,
    });
}

impl Decoder {
    pub fn new(max_depth: usize, max_index: u32) -> Decoder {
        Decoder {
            calls: Vec::new(),
            parts: Vec::new(),
            items: BTreeMap::new(),
            early: BTreeMap::new(),
            ids: BTreeMap::new(),
            streamed: BTreeSet::new(),
            closed: BTreeSet::new(),
            call_args: BTreeSet::new(),
            max_depth,
            max_index,
        }
    }

    /// True for what may follow the terminal event without a warning:
    /// `data: [DONE]` (OpenRouter ends its Responses streams with it).
    pub fn is_trailer(&self, data: &str) -> bool {
        data == "[DONE]"
    }

    /// The ordinal of the client call at `output_index`, and whether it is
    /// new.
    fn ordinal(&mut self, output_index: u32) -> (u32, bool) {
        match self.calls.binary_search_by_key(&output_index, |&(o, _)| o) {
            Ok(i) => (self.calls[i].1, false),
            Err(i) => {
                let ordinal = self.calls.len() as u32;
                self.calls.insert(i, (output_index, ordinal));
                (ordinal, true)
            }
        }
    }

    /// Decodes one event into `out`.
    pub fn decode(&mut self, event_type: &str, data: &str, out: &mut Delta) -> Decoded {
        if data == "[DONE]" {
            return Ok(Payload::Skip(SkipReason::EventType));
        }
        let mut sc = Cur::new(data, self.max_depth);
        if sc.ws() == 0 && sc.pos() >= data.len() {
            return Ok(Payload::Skip(SkipReason::EmptyData));
        }
        let m = match self.members(&mut sc).and_then(|m| {
            sc.finish()?;
            Ok(m)
        }) {
            Ok(m) => m,
            Err(Stop) => return Err(sc.failure(self.max_depth)),
        };
        let kind: Cow<'_, str> = match m.kind {
            Some(r) if r.kind == ValueKind::String => r.text.get(data).to_cow(),
            Some(r) if r.kind != ValueKind::Null => {
                return Err(shape(r.span.start, "type", "a string"))
            }
            _ => Cow::Borrowed(event_type),
        };
        self.dispatch(&kind, &m, event_type, data, out)
    }

    fn dispatch(
        &mut self,
        kind: &str,
        m: &Members,
        event_type: &str,
        data: &str,
        out: &mut Delta,
    ) -> Decoded {
        use group::{CODE, CONTENT, MCP_ARGUMENTS, PATCH_DIFF, SHELL_COMMAND, SUMMARY};
        let content = |m: &Members| need(m.content_index, "content_index", INDEX);
        let summary = |m: &Members| need(m.summary_index, "summary_index", INDEX);
        let command = |m: &Members| need(m.command_index, "command_index", INDEX);
        match kind {
            "response.output_text.delta" => {
                let part = self.text_delta(m, CONTENT, content(m)?, BlockKind::Content, out)?;
                if let Some((span, _)) = m.logprobs.filter(|&(_, n)| n > 0) {
                    out.push(Op::Field {
                        at: Scope::Block(CHOICE, part),
                        key: Key::Static(f::LOGPROBS),
                        value: Raw::value(span, ValueKind::Array),
                        rule: Rule::Merge,
                        event: false,
                    });
                }
            }
            "response.refusal.delta" => {
                self.text_delta(m, CONTENT, content(m)?, BlockKind::Refusal, out)?;
            }
            "response.reasoning_text.delta" => {
                self.text_delta(m, CONTENT, content(m)?, BlockKind::Reasoning, out)?;
            }
            "response.reasoning_summary_text.delta" => {
                self.text_delta(m, SUMMARY, summary(m)?, BlockKind::Reasoning, out)?;
            }
            "response.output_text.done" => {
                self.text_done(m, CONTENT, content(m)?, BlockKind::Content, m.text, out)?
            }
            "response.refusal.done" => {
                self.text_done(m, CONTENT, content(m)?, BlockKind::Refusal, m.refusal, out)?
            }
            "response.reasoning_text.done" => {
                self.text_done(m, CONTENT, content(m)?, BlockKind::Reasoning, m.text, out)?
            }
            "response.reasoning_summary_text.done" => {
                self.text_done(m, SUMMARY, summary(m)?, BlockKind::Reasoning, m.text, out)?
            }
            "response.function_call_arguments.delta" | "response.custom_tool_call_input.delta" => {
                let oi = need(m.output_index, "output_index", INDEX)?;
                let delta = need(string(m.delta, "delta")?, "delta", "a string")?;
                if self.skip_unless_open_call(oi, delta.start(), out) {
                    return Ok(Payload::Ops);
                }
                self.call(oi, None, Some(delta), out);
            }
            "response.function_call_arguments.done" => {
                let oi = need(m.output_index, "output_index", INDEX)?;
                let full = string(m.arguments, "arguments")?;
                if self.skip_unless_open_call(oi, full.map_or(0, |f| f.start()), out) {
                    return Ok(Payload::Ops);
                }
                self.call(oi, None, None, out);
                self.call_done(oi, full, out);
            }
            "response.custom_tool_call_input.done" => {
                let oi = need(m.output_index, "output_index", INDEX)?;
                let full = string(m.input, "input")?;
                if self.skip_unless_open_call(oi, full.map_or(0, |f| f.start()), out) {
                    return Ok(Payload::Ops);
                }
                self.call(oi, None, None, out);
                self.call_done(oi, full, out);
            }
            "response.content_part.added" => self.part_added(m, CONTENT, content(m)?, data, out)?,
            "response.content_part.done" => self.part_done(m, CONTENT, content(m)?, data, out)?,
            "response.reasoning_summary_part.added" => {
                self.part_added(m, SUMMARY, summary(m)?, data, out)?
            }
            "response.reasoning_summary_part.done" => {
                self.part_done(m, SUMMARY, summary(m)?, data, out)?
            }
            "response.output_item.added" => self.item_added(m, data, out)?,
            "response.output_item.done" => self.item_done(m, data, out)?,
            "response.output_text.annotation.added" => {
                let oi = need(m.output_index, "output_index", INDEX)?;
                let ci = content(m)?;
                let annotation = need(m.annotation, "annotation", AN_OBJECT)?;
                out.push(Op::Field {
                    at: Scope::Block(
                        CHOICE,
                        BlockKey::Part {
                            item: oi,
                            group: CONTENT,
                            part: ci,
                        },
                    ),
                    key: Key::Static(f::ANNOTATIONS),
                    value: annotation,
                    rule: Rule::Append,
                    event: false,
                });
            }
            "response.code_interpreter_call_code.delta" => {
                self.text_delta(m, CODE, 0, BlockKind::Other, out)?;
            }
            "response.code_interpreter_call_code.done" => {
                self.text_done(m, CODE, 0, BlockKind::Other, m.code, out)?
            }
            "response.mcp_call_arguments.delta" => {
                self.text_delta(m, MCP_ARGUMENTS, 0, BlockKind::Other, out)?;
            }
            "response.mcp_call_arguments.done" => {
                self.text_done(m, MCP_ARGUMENTS, 0, BlockKind::Other, m.arguments, out)?
            }
            "response.apply_patch_call_operation_diff.delta" => {
                self.text_delta(m, PATCH_DIFF, 0, BlockKind::Other, out)?;
            }
            "response.apply_patch_call_operation_diff.done" => {
                self.text_done(m, PATCH_DIFF, 0, BlockKind::Other, m.diff, out)?
            }
            "response.shell_call_command.added" => {
                let oi = need(m.output_index, "output_index", INDEX)?;
                let text = string(m.command, "command")?.unwrap_or(StrSpan::EMPTY);
                out.push(Op::Text {
                    choice: CHOICE,
                    block: BlockKey::Part {
                        item: oi,
                        group: SHELL_COMMAND,
                        part: command(m)?,
                    },
                    kind: BlockKind::Other,
                    text,
                    pos: text.start(),
                });
            }
            "response.shell_call_command.delta" => {
                self.text_delta(m, SHELL_COMMAND, command(m)?, BlockKind::Other, out)?;
            }
            "response.shell_call_command.done" => self.text_done(
                m,
                SHELL_COMMAND,
                command(m)?,
                BlockKind::Other,
                m.command,
                out,
            )?,
            "response.created" | "response.in_progress" | "response.queued" => {
                let response = need(object(m.response, "response")?, "response", AN_OBJECT)?;
                self.lifecycle(data, response, out)?;
            }
            "response.completed" | "response.incomplete" | "response.failed" => {
                return self.terminal(kind, m, data, out);
            }
            "error" => {
                let mut p = provider_error::from_body(data);
                if p.kind.as_deref() == Some("error") {
                    p.kind = None;
                }
                out.clear();
                return Ok(Payload::ProviderError(p));
            }
            k if is_progress(k) => {}
            k if k.starts_with("response.") => return Ok(Payload::Skip(SkipReason::EventType)),
            _ if self.looks_foreign(event_type, data) => return Ok(Payload::Foreign),
            _ => return Ok(Payload::Skip(SkipReason::EventType)),
        }
        Ok(Payload::Ops)
    }

    /// A payload without a Responses type that the detection table takes
    /// for another format's.
    fn looks_foreign(&self, event_type: &str, data: &str) -> bool {
        crate::protocol::detect::is_other_format(
            crate::format::Format::OpenAiResponses,
            event_type,
            data,
            self.max_depth,
        )
    }

    /// Walks the event's members (each validated; unknown ones skipped).
    fn members(&self, sc: &mut Cur<'_>) -> Result<Members> {
        if sc.ws() != b'{' {
            return sc.shape(sc.pos(), "event", "a JSON object");
        }
        sc.object()?;
        let mut m = Members::default();
        let max = self.max_index;
        members!(sc;
            0 4 b"type" => m.kind = Some(raw_value(sc)?),
            1 7 b"item_id" => {
                sc.skip_value()?;
            },
            2 12 b"output_index" => m.output_index = opt_index(sc, "output_index", max)?,
            3 13 b"content_index" => m.content_index = opt_index(sc, "content_index", max)?,
            4 5 b"delta" => m.delta = Some(raw_value(sc)?),
            5 8 b"logprobs" => m.logprobs = logprobs(sc)?,
            6 11 b"obfuscation" => {
                sc.skip_value()?;
            },
            7 15 b"sequence_number" => {
                sc.skip_value()?;
            },
            8 4 b"text" => m.text = Some(raw_value(sc)?),
            9 13 b"summary_index" => m.summary_index = opt_index(sc, "summary_index", max)?,
            10 4 b"item" => m.item = Some(raw_value(sc)?),
            11 4 b"part" => m.part = Some(raw_value(sc)?),
            12 8 b"response" => m.response = Some(raw_value(sc)?),
            13 9 b"arguments" => m.arguments = Some(raw_value(sc)?),
            14 10 b"annotation" => m.annotation = Some(raw_value(sc)?),
            15 7 b"refusal" => m.refusal = Some(raw_value(sc)?),
            16 4 b"code" => m.code = Some(raw_value(sc)?),
            17 4 b"diff" => m.diff = Some(raw_value(sc)?),
            18 7 b"command" => m.command = Some(raw_value(sc)?),
            19 13 b"command_index" => m.command_index = opt_index(sc, "command_index", max)?,
            20 5 b"input" => m.input = Some(raw_value(sc)?),
            _ _key => {
                sc.skip_value()?;
            },
        );
        Ok(m)
    }

    /// A text delta of part `part` of list `group`; returns the part's key.
    fn text_delta(
        &mut self,
        m: &Members,
        group: u8,
        part: u32,
        kind: BlockKind,
        out: &mut Delta,
    ) -> std::result::Result<BlockKey, DecodeError> {
        let item = need(m.output_index, "output_index", INDEX)?;
        let text = need(string(m.delta, "delta")?, "delta", "a string")?;
        let block = BlockKey::Part { item, group, part };
        if self.closed.contains(&(item, group, part)) {
            if !text.is_empty() {
                out.disagree("output", text.start());
            }
            return Ok(block);
        }
        if !self.admit(item, group, part, kind, text, out) {
            return Ok(block);
        }
        out.push(Op::Text {
            choice: CHOICE,
            block,
            kind,
            text,
            pos: text.start(),
        });
        Ok(block)
    }

    /// Text of `kind` for a part (a delta, a `.done`'s whole text, a new
    /// part's): false (and a `deltas_disagree` warning) when its item is
    /// complete or holds no such text, so that the final object cannot
    /// show it and neither do the events. Empty text is always admitted;
    /// text the events show is remembered (`streamed`).
    fn admit(
        &mut self,
        item: u32,
        group: u8,
        part: u32,
        kind: BlockKind,
        text: StrSpan,
        out: &mut Delta,
    ) -> bool {
        if text.is_empty() {
            return true;
        }
        match self.items.get(&item) {
            Some(i) if i.done || i.holds & text_class(kind) == 0 => {
                out.disagree("output", text.start());
                return false;
            }
            Some(_) => {}
            None => self.early(item, text_class(kind), text.start(), out),
        }
        if kind == BlockKind::Other {
            return true;
        }
        // Remembered, since the events show it. The events' block is the
        // item; the final object orders an item's parts by index: text for
        // a part before one that already has text is out of that order.
        let later = (item, group, part.saturating_add(1))..=(item, group, u32::MAX);
        if part < u32::MAX && self.streamed.range(later).next().is_some() {
            out.disagree("content", text.start());
        }
        self.streamed.insert((item, group, part));
        true
    }

    /// True when a part of item `oi` had text the events show.
    fn item_streamed_text(&self, oi: u32) -> bool {
        self.streamed
            .range((oi, 0, 0)..=(oi, u8::MAX, u32::MAX))
            .next()
            .is_some()
    }

    /// A part's text is complete (`full`: its whole text).
    fn text_done(
        &mut self,
        m: &Members,
        group: u8,
        part: u32,
        kind: BlockKind,
        full: Option<Raw>,
        out: &mut Delta,
    ) -> std::result::Result<(), DecodeError> {
        let item = need(m.output_index, "output_index", INDEX)?;
        let text = string(full, "text")?;
        if let Some(t) = text {
            if !self.admit(item, group, part, kind, t, out) {
                return Ok(());
            }
        }
        out.push(Op::TextDone {
            choice: CHOICE,
            block: BlockKey::Part { item, group, part },
            kind,
            text,
        });
        Ok(())
    }

    /// A fragment of the client call at output index `oi`: its identity when
    /// it is new, `arguments` appended.
    fn call(
        &mut self,
        oi: u32,
        info: Option<&ItemInfo>,
        arguments: Option<StrSpan>,
        out: &mut Delta,
    ) {
        let (ordinal, new) = self.ordinal(oi);
        if arguments.is_some_and(|a| !a.is_empty()) {
            self.call_args.insert(oi);
        }
        if new && self.calls.last().is_some_and(|&(last, _)| last > oi) {
            // The events number calls as they come, the final object lists
            // them by output index: a call before one that came first is
            // out of that order.
            out.disagree("tool_calls", arguments.map_or(0, |a| a.start()));
        }
        let (id, kind, name) = match info {
            Some(i) if new => (i.call_id, i.kind, i.name),
            _ => (None, None, None),
        };
        out.push(Op::Tool {
            choice: CHOICE,
            index: Some(ordinal),
            id,
            kind,
            name,
            arguments,
            block: Some(BlockKey::Index(oi)),
            pos: arguments.map_or(0, |a| a.start()),
        });
    }

    /// The call at output index `oi` is complete: `full`, its whole
    /// arguments, when the event gave them.
    fn call_done(&mut self, oi: u32, full: Option<StrSpan>, out: &mut Delta) {
        if full.is_some_and(|a| !a.is_empty()) {
            // The events show them (all of them, when no delta came).
            self.call_args.insert(oi);
        }
        out.push(Op::ToolDone {
            choice: CHOICE,
            arguments: full,
        });
    }

    fn part_added(
        &mut self,
        m: &Members,
        group: u8,
        part: u32,
        data: &str,
        out: &mut Delta,
    ) -> std::result::Result<(), DecodeError> {
        let item = need(m.output_index, "output_index", INDEX)?;
        let span = need(object(m.part, "part")?, "part", AN_OBJECT)?;
        let info = self.item_info(data, span, false)?;
        if self.closed.contains(&(item, group, part)) {
            // Added again after it was done: the final object keeps the
            // complete part, so nothing of this one can show.
            out.disagree("output", span.start);
            return Ok(());
        }
        // A part without a `type` is of its list's usual kind (a message's
        // `output_text`, a reasoning item's `reasoning_text`, a summary's
        // `summary_text`); an unknown type stays
        // unknown, and text sent to it has no events.
        let kind = info.kind.map_or(
            usual_kind(group, self.items.get(&item).map(|i| i.holds)),
            |k| part_kind(&k.get(data).to_cow()),
        );
        let block = BlockKey::Part { item, group, part };
        out.push(Op::BlockStart {
            choice: CHOICE,
            block,
            kind,
            fields: Some(span),
            pos: span.start,
        });
        if let Some(t) = info.text.filter(|t| !t.is_empty()) {
            if !self.admit(item, group, part, kind, t, out) {
                return Ok(());
            }
            out.push(Op::Text {
                choice: CHOICE,
                block,
                kind,
                text: t,
                pos: t.start(),
            });
        }
        Ok(())
    }

    fn part_done(
        &mut self,
        m: &Members,
        group: u8,
        part: u32,
        data: &str,
        out: &mut Delta,
    ) -> std::result::Result<(), DecodeError> {
        let item = need(m.output_index, "output_index", INDEX)?;
        let span = need(object(m.part, "part")?, "part", AN_OBJECT)?;
        let info = self.item_info(data, span, false)?;
        let kind = info
            .kind
            .map_or(BlockKind::Other, |k| part_kind(&k.get(data).to_cow()));
        let block = BlockKey::Part { item, group, part };
        self.closed.insert((item, group, part));
        let shown = kind != BlockKind::Other && info.text.is_some();
        if !shown && self.streamed.contains(&(item, group, part)) {
            // The complete part, which the final object shows as sent, has
            // no text of a kind the events show, while its deltas did.
            out.disagree("output", span.start);
        }
        // Its text is text the events show (the whole of it, when no delta
        // came), so it passes the checks a delta does.
        let admitted = match info.text {
            Some(t) if kind != BlockKind::Other => self.admit(item, group, part, kind, t, out),
            _ => true,
        };
        if kind != BlockKind::Other && admitted {
            out.push(Op::TextDone {
                choice: CHOICE,
                block,
                kind,
                text: info.text,
            });
        }
        out.push(Op::BlockStop {
            choice: CHOICE,
            block,
            fields: Some(span),
        });
        Ok(())
    }

    fn item_added(
        &mut self,
        m: &Members,
        data: &str,
        out: &mut Delta,
    ) -> std::result::Result<(), DecodeError> {
        let oi = need(m.output_index, "output_index", INDEX)?;
        let span = need(object(m.item, "item")?, "item", AN_OBJECT)?;
        let info = self.item_info(data, span, false)?;
        if self.items.contains_key(&oi) {
            // A second item for one index: the final object keeps the
            // first, so nothing of this one can show.
            out.disagree("output", span.start);
            return Ok(());
        }
        let client = info
            .kind
            .is_some_and(|k| is_client_call(&k.get(data).to_cow()));
        let holds = holds(&info, data, client);
        self.items.insert(oi, ItemState { holds, done: false });
        if let Some(id) = info.id {
            self.remember(&id.get(data).to_cow(), oi);
        }
        let sent = self.early.get(&oi).copied().unwrap_or(0);
        if sent & !holds != 0 {
            // Text came for this index before its item, of a kind the item
            // does not hold: the final object cannot show what the events
            // did.
            out.disagree("output", span.start);
        }
        out.push(Op::BlockStart {
            choice: CHOICE,
            block: BlockKey::Index(oi),
            kind: if client {
                BlockKind::Tool
            } else {
                BlockKind::Other
            },
            fields: Some(span),
            pos: span.start,
        });
        if client {
            let arguments = info.arguments.or(info.input).filter(|a| !a.is_empty());
            self.call(oi, Some(&info), arguments, out);
        }
        Ok(())
    }

    /// For an event of a call's arguments at output index `oi`: true (and a
    /// `deltas_disagree` warning) when the item there is complete or is no
    /// client call, so the event is skipped (the final object could not
    /// show it). An index without an item yet (a resumed stream) takes it;
    /// a warning follows if its item turns out to be no call.
    fn skip_unless_open_call(&mut self, oi: u32, pos: usize, out: &mut Delta) -> bool {
        match self.items.get(&oi) {
            Some(i) if i.done || i.holds & CALL == 0 => {
                out.disagree("output", pos);
                true
            }
            Some(_) => false,
            None => {
                self.early(oi, CALL, pos, out);
                false
            }
        }
    }

    /// Text or arguments of `class` ([`holds`] bits) for output index `oi`
    /// before its item: remembered. No item holds two classes, so a second
    /// one is warned of (the final object cannot show both).
    fn early(&mut self, oi: u32, class: u8, pos: usize, out: &mut Delta) {
        let sent = self.early.entry(oi).or_default();
        if *sent != 0 && *sent & class == 0 {
            out.disagree("output", pos);
        }
        *sent |= class;
    }

    /// Records that item `id` streamed at output index `oi`.
    fn remember(&mut self, id: &str, oi: u32) {
        if !self.ids.contains_key(id) {
            self.ids.insert(id.to_string(), oi);
        }
    }

    fn item_done(
        &mut self,
        m: &Members,
        data: &str,
        out: &mut Delta,
    ) -> std::result::Result<(), DecodeError> {
        let oi = need(m.output_index, "output_index", INDEX)?;
        let span = need(object(m.item, "item")?, "item", AN_OBJECT)?;
        self.complete_item(Some(oi), span, data, out)
    }

    /// The terminal response's items, each reconciled as its
    /// `output_item.done` was: the response is the final object, so what
    /// its texts and arguments add to the deltas is emitted, and what
    /// disagrees with them is a `deltas_disagree` warning (a delta sent
    /// after its part was done, an item never streamed).
    fn reconcile_output(
        &mut self,
        list: Span,
        data: &str,
        out: &mut Delta,
    ) -> std::result::Result<(), DecodeError> {
        let mut sc = Cur::new(data, self.max_depth);
        sc.advance_to(list.start);
        let max_depth = self.max_depth;
        sc.array().map_err(|Stop| sc.failure(max_depth))?;
        // Each item with the output index it streamed at: by `id`, else
        // (OpenRouter renames its reasoning items) the index of its place,
        // when an item of its type streamed there and no other claims it.
        let mut found = Vec::new();
        let mut first = true;
        while sc
            .next_element(&mut first)
            .map_err(|Stop| sc.failure(max_depth))?
        {
            let is_object = sc.ws() == b'{';
            let span = sc.skip_value().map_err(|Stop| sc.failure(max_depth))?;
            if is_object {
                let info = self.item_info(data, span, false)?;
                let by_id = info
                    .id
                    .and_then(|id| self.ids.get(&*id.get(data).to_cow()).copied());
                let client = info
                    .kind
                    .is_some_and(|k| is_client_call(&k.get(data).to_cow()));
                found.push((found.len() as u32, span, by_id, holds(&info, data, client)));
            }
        }
        let claimed: BTreeSet<u32> = found.iter().filter_map(|&(_, _, by_id, _)| by_id).collect();
        let mut matched = BTreeSet::new();
        for (place, span, by_id, holds) in found {
            let at_place = self
                .items
                .get(&place)
                .filter(|i| i.holds == holds && !claimed.contains(&place))
                .map(|_| place);
            match by_id.or(at_place) {
                Some(oi) => {
                    matched.insert(oi);
                    self.complete_item(Some(oi), span, data, out)?;
                }
                None => {
                    // An item that did not stream: the final object has
                    // it, the events do not.
                    out.disagree("output", span.start);
                }
            }
        }
        self.warn_of_missing_items(&matched, list.start, out);
        Ok(())
    }

    /// After a terminal response: an item that streamed text or a call that
    /// the response (the final object) leaves out is warned of.
    fn warn_of_missing_items(&self, matched: &BTreeSet<u32>, pos: usize, out: &mut Delta) {
        let mut streamed: Vec<u32> = self.streamed.iter().map(|&(oi, _, _)| oi).collect();
        streamed.extend(self.calls.iter().map(|&(oi, _)| oi));
        streamed.sort_unstable();
        streamed.dedup();
        if streamed.iter().any(|oi| !matched.contains(oi)) {
            out.disagree("output", pos);
        }
    }

    /// An item's complete form (`span`), at `output_index` `oi` (`None`:
    /// the index its `id` streamed at; an item that did not stream is left
    /// to the final object): its call's arguments and its parts' texts
    /// reconcile the deltas; its members replace the item's.
    fn complete_item(
        &mut self,
        oi: Option<u32>,
        span: Span,
        data: &str,
        out: &mut Delta,
    ) -> std::result::Result<(), DecodeError> {
        let info = self.item_info(data, span, true)?;
        let id = info.id.map(|id| id.get(data).to_cow());
        let oi = match oi {
            Some(oi) => {
                if let Some(id) = &id {
                    self.remember(id, oi);
                }
                oi
            }
            None => match id.as_deref().and_then(|id| self.ids.get(id)) {
                Some(&oi) => oi,
                None => return Ok(()),
            },
        };
        let client = info
            .kind
            .is_some_and(|k| is_client_call(&k.get(data).to_cow()));
        let holds = holds(&info, data, client);
        let other_type = match self.items.get_mut(&oi) {
            Some(item) => {
                item.done = true;
                item.holds != holds
            }
            None => {
                self.items.insert(oi, ItemState { holds, done: true });
                // Text or arguments that came before it, of a kind it
                // does not hold.
                self.early.get(&oi).is_some_and(|&sent| sent & !holds != 0)
            }
        };
        if other_type || self.lacks_streamed_text(oi) {
            // The complete item (the final object's, as sent) is of
            // another type than the one that streamed, or lacks text its
            // parts streamed: the events said what it does not.
            out.disagree("output", span.start);
        }
        if client {
            let full = info.arguments.or(info.input);
            if full.is_none() && self.call_args.contains(&oi) {
                // The complete item (the final object's, as sent) has no
                // arguments, while the events said some.
                out.disagree("tool_calls", span.start);
            }
            self.call(oi, Some(&info), None, out);
            self.call_done(oi, full, out);
        }
        for p in &self.parts {
            if p.kind.has_events() && !p.text.is_empty() {
                // Text the events show (all of it, when no delta came).
                self.streamed.insert((oi, p.group, p.index));
            }
            out.push(Op::TextDone {
                choice: CHOICE,
                block: BlockKey::Part {
                    item: oi,
                    group: p.group,
                    part: p.index,
                },
                kind: p.kind,
                text: Some(p.text),
            });
        }
        out.push(Op::BlockStop {
            choice: CHOICE,
            block: BlockKey::Index(oi),
            fields: Some(span),
        });
        Ok(())
    }

    /// True when a part of item `oi` streamed text that the complete item
    /// just read (`self.parts`) has not, as a part of a kind the events
    /// show.
    fn lacks_streamed_text(&self, oi: u32) -> bool {
        if !self.item_streamed_text(oi) {
            return false;
        }
        let mut has: Vec<(u8, u32)> = self.parts.iter().map(|p| (p.group, p.index)).collect();
        has.sort_unstable();
        self.streamed
            .range((oi, 0, 0)..=(oi, u8::MAX, u32::MAX))
            .any(|&(_, g, i)| has.binary_search(&(g, i)).is_err())
    }

    /// Reads an item's (or a part's) identity and text; with `parts`, the
    /// texts of its `content` and `summary` parts too (into `self.parts`).
    fn item_info(
        &mut self,
        data: &str,
        span: Span,
        parts: bool,
    ) -> std::result::Result<ItemInfo, DecodeError> {
        self.parts.clear();
        let mut sc = Cur::new(data, self.max_depth);
        sc.advance_to(span.start);
        let mut info = ItemInfo::default();
        let walked = self.walk_item(&mut sc, &mut info, parts);
        match walked {
            Ok(()) => Ok(info),
            Err(Stop) => Err(sc.failure(self.max_depth)),
        }
    }

    fn walk_item(&mut self, sc: &mut Cur<'_>, info: &mut ItemInfo, parts: bool) -> Result<()> {
        sc.object()?;
        let string_of = |sc: &mut Cur<'_>| -> Result<Option<StrSpan>> {
            let v = raw_value(sc)?;
            Ok((v.kind == ValueKind::String).then_some(v.text))
        };
        members!(sc;
            0 4 b"type" => info.kind = string_of(sc)?,
            1 7 b"call_id" => info.call_id = string_of(sc)?,
            2 4 b"name" => info.name = string_of(sc)?,
            3 9 b"arguments" => info.arguments = string_of(sc)?,
            4 5 b"input" => info.input = string_of(sc)?,
            5 4 b"text" => info.text = string_of(sc)?,
            6 7 b"refusal" => info.text = info.text.or(string_of(sc)?),
            9 2 b"id" => info.id = string_of(sc)?,
            7 7 b"content" => {
                if parts && sc.ws() == b'[' {
                    self.part_list(sc, group::CONTENT)?;
                } else {
                    sc.skip_value()?;
                }
            },
            8 7 b"summary" => {
                if parts && sc.ws() == b'[' {
                    self.part_list(sc, group::SUMMARY)?;
                } else {
                    sc.skip_value()?;
                }
            },
            _ _key => {
                sc.skip_value()?;
            },
        );
        Ok(())
    }

    /// The text parts of a complete item's part list.
    fn part_list(&mut self, sc: &mut Cur<'_>, group: u8) -> Result<()> {
        sc.array()?;
        let mut first = true;
        let mut index = 0u32;
        while sc.next_element(&mut first)? {
            if sc.ws() != b'{' {
                sc.skip_value()?;
                index = index.saturating_add(1);
                continue;
            }
            let mut part = ItemInfo::default();
            sc.object()?;
            let mut kind = None;
            members!(sc;
                0 4 b"type" => {
                    let v = raw_value(sc)?;
                    if v.kind == ValueKind::String {
                        kind = Some(part_kind(&v.text.get(sc.text()).to_cow()));
                    }
                },
                1 4 b"text" => {
                    let v = raw_value(sc)?;
                    if v.kind == ValueKind::String {
                        part.text = Some(v.text);
                    }
                },
                2 7 b"refusal" => {
                    let v = raw_value(sc)?;
                    if v.kind == ValueKind::String && part.text.is_none() {
                        part.text = Some(v.text);
                    }
                },
                _ _key => {
                    sc.skip_value()?;
                },
            );
            match (kind, part.text) {
                (Some(kind), Some(text)) if kind != BlockKind::Other => self.parts.push(PartText {
                    group,
                    index,
                    kind,
                    text,
                }),
                _ => {}
            }
            index = index.saturating_add(1);
        }
        Ok(())
    }

    /// `response.created` / `in_progress` / `queued`: every member of the
    /// response is a top-level field, replaced by later events.
    fn lifecycle(
        &mut self,
        data: &str,
        span: Span,
        out: &mut Delta,
    ) -> std::result::Result<(), DecodeError> {
        let mut sc = Cur::new(data, self.max_depth);
        sc.advance_to(span.start);
        let walked = (|| -> Result<()> {
            sc.object()?;
            let mut first = true;
            while let Some(key) = sc.next_key(&mut first)? {
                let value = raw_value(&mut sc)?;
                if value.kind == ValueKind::Array
                    && key.get(data).to_cow() == f::OUTPUT
                    && !crate::json::is_blank(&data[value.span.start + 1..value.span.end - 1])
                {
                    // Items the events never had (a response announced
                    // with its output, as a resumed stream may be): the
                    // final object lists them unless items stream.
                    out.disagree("output", value.span.start);
                }
                field(out, Key::Wire(key), value, Rule::Replace);
            }
            Ok(())
        })();
        walked.map_err(|Stop| sc.failure(self.max_depth))
    }

    /// A terminal event: its response is the final object.
    fn terminal(&mut self, kind: &str, m: &Members, data: &str, out: &mut Delta) -> Decoded {
        let span = need(object(m.response, "response")?, "response", AN_OBJECT)?;
        let mut sc = Cur::new(data, self.max_depth);
        sc.advance_to(span.start);
        let mut o = Outcome::default();
        if terminal_members(&mut sc, &mut o, out).is_err() {
            return Err(sc.failure(self.max_depth));
        }
        match o.output {
            Some(list) => self.reconcile_output(list, data, out)?,
            // No `output`: the final object has none of the items.
            None => self.warn_of_missing_items(&BTreeSet::new(), span.start, out),
        }
        out.push(Op::Snapshot { raw: span });
        let incomplete = kind == "response.incomplete";
        let reason = if incomplete {
            o.reason.or(o.status)
        } else {
            o.status
        };
        // Without a status, the event type's last word (`completed`, …).
        let reason = reason.or_else(|| {
            m.kind
                .filter(|t| !t.text.escaped())
                .map(|t| StrSpan::new(t.text.start() + "response.".len(), t.text.end(), false))
        });
        if let Some(reason) = reason {
            out.push(Op::Finish {
                choice: CHOICE,
                reason,
            });
        }
        if let Some((raw, tokens)) = o.usage {
            out.usage(raw, tokens, Rule::Last);
        }
        if kind == "response.failed" {
            let p = match o.error {
                Some(e) => provider_error::from_value(&parse_raw(e.get(data))),
                None => ProviderError {
                    message: "the response failed".to_string(),
                    ..ProviderError::default()
                },
            };
            return Ok(Payload::ProviderError(p));
        }
        out.push(Op::Terminal);
        Ok(Payload::Ops)
    }
}

/// The members of a terminal response that the ops need: `id` and `model`
/// (for the fold's identity), `status`, `incomplete_details.reason`,
/// `error`, `usage` and the `output` list.
fn terminal_members(sc: &mut Cur<'_>, o: &mut Outcome, out: &mut Delta) -> Result<()> {
    sc.object()?;
    members!(sc;
        0 2 b"id" => field(out, Key::Static(f::ID), raw_value(sc)?, Rule::First),
        1 5 b"model" => field(out, Key::Static(f::MODEL), raw_value(sc)?, Rule::First),
        2 6 b"status" => {
            let v = raw_value(sc)?;
            if v.kind == ValueKind::String {
                o.status = Some(v.text);
            }
        },
        3 18 b"incomplete_details" => {
            if sc.ws() == b'{' {
                sc.object()?;
                members!(sc;
                    0 6 b"reason" => {
                        let v = raw_value(sc)?;
                        if v.kind == ValueKind::String {
                            o.reason = Some(v.text);
                        }
                    },
                    _ _key => {
                        sc.skip_value()?;
                    },
                );
            } else {
                sc.skip_value()?;
            }
        },
        4 5 b"error" => {
            let v = raw_value(sc)?;
            if v.kind == ValueKind::Object {
                o.error = Some(v.span);
            }
        },
        5 5 b"usage" => {
            if sc.ws() == b'{' {
                o.usage = Some(usage(sc)?);
            } else {
                sc.skip_value()?;
            }
        },
        6 6 b"output" => {
            let array = sc.ws() == b'[';
            let span = sc.skip_value()?;
            if array {
                o.output = Some(span);
            }
        },
        _ _key => {
            sc.skip_value()?;
        },
    );
    Ok(())
}

/// `logprobs`: the array's span and its number of elements.
fn logprobs(sc: &mut Cur<'_>) -> Result<Option<(Span, usize)>> {
    sc.ws();
    let start = sc.pos();
    Ok(list(sc, "logprobs")?.map(|l| {
        (
            Span {
                start,
                end: sc.pos(),
            },
            l.count,
        )
    }))
}

/// A `usage` object: its span and counts.
fn usage(sc: &mut Cur<'_>) -> Result<(Span, TokenCounts)> {
    let start = sc.pos();
    sc.object()?;
    let mut t = TokenCounts::default();
    members!(sc;
        0 12 b"input_tokens" => t.input_tokens = opt_count(sc)?,
        1 20 b"input_tokens_details" => t.cached_input_tokens = detail(sc, b"cached_tokens")?,
        2 13 b"output_tokens" => t.output_tokens = opt_count(sc)?,
        3 21 b"output_tokens_details" => t.reasoning_tokens = detail(sc, b"reasoning_tokens")?,
        4 12 b"total_tokens" => t.total_tokens = opt_count(sc)?,
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
