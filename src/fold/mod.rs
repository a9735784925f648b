//! The fold: merges normalized deltas ([`Delta`] ops) into per-choice,
//! per-block, per-tool-call state, queues the incremental events, and keeps
//! what each format's final object is built from.
//!
//! Protocol-agnostic: it sees ops, never a wire format's field names (those
//! arrive as data, in [`Key`]s). Merge rules are DESIGN.md's: null means
//! absent, text concatenates, identities are set once, choices and tool
//! calls are keyed by index; which rule a field follows is named by the op.
//!
//! Events are queued as [`Ev`] records: positions into the state's own
//! buffers (the text a `content.delta` reports is the range of the block's
//! text it was appended to), or into a scratch `arena` for values that have
//! no lasting home (finish reasons, extension fields). Nothing is allocated
//! per event in steady state: the queue and arena are cleared, not freed,
//! between pushes.
//!
//! Runs: a block's text not yet reported by a `.done` event is its open run
//! (`run_start..`). A run closes at the block's end, when the choice's tool
//! call in progress changes, at the finish reason and at the end of the
//! stream; the `.done` event carries the run, so each byte of text is in
//! one `.done` and the event stream stays linear.

pub(crate) mod choice;
pub(crate) mod doc;
mod merge;
mod partial;
mod queue;

use std::borrow::Cow;

use crate::delta::{BlockKey, BlockKind, Delta, Key, LogprobsKind, Op, Rule, Scope, StrSpan};
use crate::event::Warning;
use crate::json::partial::{Ops, DEFAULT_MAX_BYTES};
use crate::json::value::Value;
use crate::limits::{Limit, Limits};
use crate::usage::TokenCounts;

use choice::{BlockState, ChoiceState, Key as BlockId, ListState, ToolState};
pub(crate) use doc::{parse_raw, Doc};
pub(crate) use merge::merge_into;
use partial::PieceAt;
pub(crate) use queue::{Ev, ExtraAt};

/// A limit hit while folding, at a payload position.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FoldError {
    pub limit: Limit,
    pub pos: usize,
}

/// The usage so far.
#[derive(Debug, Clone)]
pub(crate) struct UsageState {
    /// The format's own object.
    pub raw: UsageRaw,
    pub tokens: TokenCounts,
}

#[derive(Debug, Clone)]
pub(crate) enum UsageRaw {
    /// The last object, as JSON text.
    Text(String),
    /// Objects merged member by member.
    Merged(Value),
}

impl UsageState {
    /// The usage object.
    pub fn value(&self) -> Value {
        match &self.raw {
            UsageRaw::Text(s) => parse_raw(s),
            UsageRaw::Merged(v) => v.clone(),
        }
    }
}

/// What a format's final object is built from: the state, choices in index
/// order.
pub(crate) struct Parts {
    pub meta: Doc,
    pub snapshot: Option<Value>,
    pub usage: Option<UsageState>,
    pub choices: Vec<ChoiceState>,
}

/// Where the payload being applied sits in the stream, for warnings.
pub(crate) struct At<'a> {
    /// Stream offset of a payload position.
    pub offset: &'a dyn Fn(usize) -> u64,
    pub event_index: u64,
}

/// The reassembly state of one stream.
#[derive(Debug, Clone, Default)]
pub(crate) struct State {
    max_choices: usize,
    max_tool_calls: usize,
    max_blocks: usize,
    /// Top-level fields of the final object.
    pub meta: Doc,
    /// A whole final object sent by the format (Responses' terminal event).
    pub snapshot: Option<Value>,
    pub usage: Option<UsageState>,
    /// Choices in the order they first appeared.
    pub choices: Vec<ChoiceState>,
    /// Choice index → slot, sorted by index.
    by_index: Vec<(u32, usize)>,
    /// The format's terminator arrived.
    pub terminal: bool,
    /// Events of the current push.
    pub queue: Vec<Ev>,
    /// Scratch text the queued events point into.
    pub arena: String,
    /// Token counts of queued usage events.
    pub usage_tokens: Vec<TokenCounts>,
    /// Tool arguments are read as partial JSON (see `partial`).
    pub partial_json: bool,
    /// Content is read as partial JSON too (structured outputs).
    pub partial_content: bool,
    /// The partial-JSON readers' nesting and size limits.
    partial_depth: usize,
    partial_bytes: usize,
    /// The ops queued partial events point into.
    pub ops: Ops,
}

/// Appends `text` to the arena; returns its range.
fn stash(arena: &mut String, text: &str) -> (usize, usize) {
    let start = arena.len();
    arena.push_str(text);
    (start, arena.len())
}

/// Stashes a list's elements as a JSON array.
fn stash_list(arena: &mut String, inner: &str) -> (usize, usize) {
    let start = arena.len();
    arena.push('[');
    arena.push_str(inner);
    arena.push(']');
    (start, arena.len())
}

/// A key's name (decoded when the payload escaped it).
fn key_name<'d>(key: Key, data: &'d str) -> (Cow<'d, str>, Option<&'static str>) {
    match key {
        Key::Static(s) => (Cow::Borrowed(s), Some(s)),
        Key::Wire(t) => (t.get(data).to_cow(), None),
    }
}

/// A block key, owned.
fn block_id(key: BlockKey, data: &str) -> BlockId {
    match key {
        BlockKey::Index(i) => BlockId::Index(i),
        BlockKey::Part { item, group, part } => BlockId::Part { item, group, part },
        BlockKey::Field(k) => BlockId::Field(key_name(k, data).0.into_owned()),
    }
}

impl State {
    pub fn new(limits: &Limits) -> State {
        State {
            max_choices: limits.choices(),
            max_tool_calls: limits.tool_calls(),
            max_blocks: limits.blocks(),
            partial_depth: limits.depth(),
            partial_bytes: limits.event_bytes().max(DEFAULT_MAX_BYTES),
            ..State::default()
        }
    }

    /// Forgets the events of the previous push.
    pub fn clear_events(&mut self) {
        self.queue.clear();
        self.arena.clear();
        self.usage_tokens.clear();
        if !self.ops.is_empty() {
            self.ops.clear();
        }
    }

    /// True when at least one choice exists and every choice has a finish
    /// reason.
    pub fn all_finished(&self) -> bool {
        !self.choices.is_empty() && self.choices.iter().all(|c| c.finish_reason.is_some())
    }

    /// The slot of the choice with `index`, if it exists.
    pub fn choice_of(&self, index: u32) -> Option<usize> {
        self.by_index
            .binary_search_by_key(&index, |&(i, _)| i)
            .ok()
            .map(|i| self.by_index[i].1)
    }

    /// Applies one payload's ops.
    pub fn apply(&mut self, delta: &Delta, data: &str, at: &At<'_>) -> Result<(), FoldError> {
        for op in &delta.ops {
            self.apply_op(op, delta, data, at)?;
        }
        Ok(())
    }

    fn apply_op(
        &mut self,
        op: &Op,
        delta: &Delta,
        data: &str,
        at: &At<'_>,
    ) -> Result<(), FoldError> {
        match *op {
            Op::Choice { choice, pos } => {
                self.choice_slot(choice, pos)?;
            }
            Op::Field {
                at: scope,
                key,
                value,
                rule,
                event,
            } => self.field(scope, key, &value, rule, event, data)?,
            Op::BlockStart {
                choice,
                block,
                kind,
                fields,
                pos,
            } => {
                let slot = self.choice_slot(choice, pos)?;
                let b = self.block_slot(slot, block, kind, data, pos)?;
                let st = &self.choices[slot].blocks[b];
                if st.kind != kind {
                    // Deltas came first and made the block of their kind:
                    // the start says what it is; text sent as another
                    // kind's disagrees with it.
                    if !st.text.is_empty() {
                        self.stash_queued_text(slot, b);
                        self.queue.push(Ev::Warning {
                            warning: Warning::DeltasDisagree { field: "content" },
                            offset: (at.offset)(pos),
                            event_index: at.event_index,
                        });
                    }
                    self.choices[slot].blocks[b].kind = kind;
                }
                if let Some(span) = fields {
                    self.choices[slot].blocks[b]
                        .fields
                        .apply_object(span.get(data), Rule::Replace);
                }
            }
            Op::Text {
                choice,
                block,
                kind,
                text,
                pos,
            } => self.text(choice, block, kind, text, data, pos, at)?,
            Op::TextDone {
                choice,
                block,
                kind,
                text,
            } => {
                let slot = self.choice_slot(choice, 0)?;
                let b = self.block_slot(slot, block, kind, data, 0)?;
                if self.choices[slot].blocks[b].kind != kind {
                    // The complete form says another kind than the block
                    // streamed as (its events, if any, were of that one).
                    self.queue.push(Ev::Warning {
                        warning: Warning::DeltasDisagree { field: "content" },
                        offset: (at.offset)(0),
                        event_index: at.event_index,
                    });
                }
                if let Some(t) = text {
                    self.reconcile_text(slot, b, t, data, at);
                }
                self.close_block_run(slot, b);
            }
            Op::BlockStop {
                choice,
                block,
                fields,
            } => {
                let slot = self.choice_slot(choice, 0)?;
                let b = self.block_slot(slot, block, BlockKind::Other, data, 0)?;
                let st = &mut self.choices[slot].blocks[b];
                if let Some(span) = fields {
                    st.fields.replace_with_object(span.get(data));
                    st.complete = true;
                }
                st.stopped = true;
                let tool = st.tool;
                self.close_block_run(slot, b);
                if let Some(t) = tool {
                    self.close_tool(slot, t);
                }
            }
            Op::Tool {
                choice,
                index,
                id,
                kind,
                name,
                arguments,
                block,
                pos,
            } => {
                let slot = self.choice_slot(choice, pos)?;
                let tool = self.tool_slot(slot, index, id, data, pos)?;
                if let Some(bk) = block {
                    let b = self.block_slot(slot, bk, BlockKind::Tool, data, pos)?;
                    let st = &mut self.choices[slot];
                    st.blocks[b].tool = Some(tool);
                    st.tools[tool].block = Some(b);
                    // Set once: the events already queued for the call
                    // say its first block.
                    if st.tools[tool].event_block.is_none() {
                        st.tools[tool].event_block = bk.event_block();
                    }
                }
                self.tool_fragment(slot, tool, kind, name, arguments, data, at);
            }
            Op::Arguments { choice, start, end } => {
                let slot = self.choice_slot(choice, 0)?;
                if let Some(tool) = self.choices[slot].current {
                    let text = delta.written.get(start..end).unwrap_or("");
                    let piece = PieceAt {
                        at,
                        pos: 0,
                        exact: false,
                    };
                    self.append_arguments(slot, tool, |a| a.push_str(text), Some(piece));
                }
            }
            Op::ToolDone { choice, arguments } => {
                let slot = self.choice_slot(choice, 0)?;
                if let Some(tool) = self.choices[slot].current {
                    if let Some(a) = arguments {
                        self.reconcile_arguments(slot, tool, a, data, at);
                    }
                    self.close_tool(slot, tool);
                }
            }
            Op::ToolDefault { choice, arguments } => {
                let slot = self.choice_slot(choice, 0)?;
                let st = &mut self.choices[slot];
                if let Some(t) = st.current {
                    let default = &mut st.tools[t].default;
                    default.clear();
                    arguments.get(data).append_to(default);
                }
            }
            Op::Logprobs {
                choice,
                key,
                list,
                kind,
            } => {
                let slot = self.choice_slot(choice, 0)?;
                let (name, _) = key_name(key, data);
                let st = &mut self.choices[slot];
                let l = match st.lists.iter().position(|l| l.key == *name) {
                    Some(l) => l,
                    None => {
                        st.lists.push(ListState {
                            key: name.into_owned(),
                            kind,
                            inner: String::new(),
                            count: 0,
                            null: true,
                            run_start: 0,
                            open: false,
                        });
                        st.lists.len() - 1
                    }
                };
                let Some(list) = list else {
                    return Ok(());
                };
                let state = &mut st.lists[l];
                state.null = false;
                if list.count > 0 {
                    if !state.inner.is_empty() {
                        state.inner.push(',');
                    }
                    if !state.open {
                        state.run_start = state.inner.len();
                    }
                    state.inner.push_str(list.inner.get(data));
                    state.count += list.count;
                    if kind != LogprobsKind::Quiet {
                        state.open = true;
                        let raw = stash_list(&mut self.arena, list.inner.get(data));
                        self.queue.push(Ev::ListDelta { slot, list: l, raw });
                    }
                }
            }
            Op::Finish { choice, reason } => {
                if reason.is_empty() {
                    return Ok(());
                }
                let slot = self.choice_slot(choice, 0)?;
                let st = &mut self.choices[slot];
                let r = st.finish_reason.get_or_insert_with(String::new);
                r.clear();
                reason.get(data).append_to(r);
                let raw = stash(&mut self.arena, r);
                self.queue.push(Ev::FinishReason { slot, raw });
                self.close_choice(slot);
            }
            Op::Usage { slot } => {
                let u = delta.usage[slot];
                let raw = if u.built {
                    u.raw.get(&delta.written)
                } else {
                    u.raw.get(data)
                };
                let state = self.usage.get_or_insert_with(|| UsageState {
                    raw: UsageRaw::Text(String::new()),
                    tokens: TokenCounts::default(),
                });
                let shown = if u.rule == Rule::Overlay {
                    let mut merged =
                        match std::mem::replace(&mut state.raw, UsageRaw::Text(String::new())) {
                            UsageRaw::Merged(v) => v,
                            UsageRaw::Text(t) if t.is_empty() => Value::Null,
                            UsageRaw::Text(t) => parse_raw(&t),
                        };
                    merge::overlay(&mut merged, parse_raw(raw));
                    state.tokens.overlay(&u.tokens);
                    let text = merged.to_json();
                    state.raw = UsageRaw::Merged(merged);
                    stash(&mut self.arena, &text)
                } else {
                    match &mut state.raw {
                        UsageRaw::Text(t) => {
                            t.clear();
                            t.push_str(raw);
                        }
                        r => *r = UsageRaw::Text(raw.to_string()),
                    }
                    state.tokens = u.tokens;
                    stash(&mut self.arena, raw)
                };
                self.usage_tokens.push(state.tokens);
                self.queue.push(Ev::Usage {
                    raw: shown,
                    tokens: self.usage_tokens.len() - 1,
                });
            }
            Op::Snapshot { raw } => self.snapshot = Some(parse_raw(raw.get(data))),
            Op::Terminal => self.terminal = true,
            Op::Warning { warning, pos } => self.queue.push(Ev::Warning {
                warning,
                offset: (at.offset)(pos),
                event_index: at.event_index,
            }),
        }
        Ok(())
    }

    fn choice_slot(&mut self, index: u32, pos: usize) -> Result<usize, FoldError> {
        match self.by_index.binary_search_by_key(&index, |&(i, _)| i) {
            Ok(i) => Ok(self.by_index[i].1),
            Err(i) => {
                if self.choices.len() >= self.max_choices {
                    return Err(FoldError {
                        limit: Limit::Choices,
                        pos,
                    });
                }
                push_first_exact(&mut self.choices, ChoiceState::new(index));
                let slot = self.choices.len() - 1;
                self.by_index.insert(i, (index, slot));
                Ok(slot)
            }
        }
    }

    /// The slot of block `key` of choice `slot`, created with `kind` if new.
    fn block_slot(
        &mut self,
        slot: usize,
        key: BlockKey,
        kind: BlockKind,
        data: &str,
        pos: usize,
    ) -> Result<usize, FoldError> {
        let st = &mut self.choices[slot];
        let found = match key {
            BlockKey::Field(Key::Static(name)) => st.find_field_block(name),
            BlockKey::Field(Key::Wire(t)) if !t.escaped() => st.find_field_block(t.get(data).raw()),
            _ => st.find_block(&block_id(key, data)),
        };
        let b = match found {
            Some(b) => b,
            None => {
                if st.blocks.len() >= self.max_blocks {
                    return Err(FoldError {
                        limit: Limit::Blocks,
                        pos,
                    });
                }
                push_first_exact(&mut st.blocks, BlockState::new(block_id(key, data), kind));
                st.blocks.len() - 1
            }
        };
        st.last_block = b;
        Ok(b)
    }

    /// A field op.
    fn field(
        &mut self,
        scope: Scope,
        key: Key,
        value: &crate::delta::Raw,
        rule: Rule,
        event: bool,
        data: &str,
    ) -> Result<(), FoldError> {
        let (name, known) = key_name(key, data);
        let (doc, at) = match scope {
            Scope::Top => (&mut self.meta, Some(ExtraAt::Chunk)),
            Scope::Choice(c) => {
                let slot = self.choice_slot(c, 0)?;
                (&mut self.choices[slot].fields, Some(ExtraAt::Choice(slot)))
            }
            Scope::Message(c) => {
                let slot = self.choice_slot(c, 0)?;
                (&mut self.choices[slot].message, Some(ExtraAt::Delta(slot)))
            }
            Scope::Block(c, bk) => {
                let slot = self.choice_slot(c, 0)?;
                let b = self.block_slot(slot, bk, BlockKind::Other, data, 0)?;
                (&mut self.choices[slot].blocks[b].fields, None)
            }
            Scope::Tool(c) | Scope::Function(c) => {
                let slot = self.choice_slot(c, 0)?;
                let st = &mut self.choices[slot];
                let Some(t) = st.current else {
                    return Ok(());
                };
                let tool = &mut st.tools[t];
                let doc = match scope {
                    Scope::Tool(_) => &mut tool.fields,
                    _ => &mut tool.function_fields,
                };
                (doc, None)
            }
        };
        doc.apply(&name, known, value, data, rule);
        if let (true, Some(at)) = (event, at) {
            if value.kind != crate::delta::ValueKind::Null {
                let key = stash(&mut self.arena, &name);
                let value = stash(&mut self.arena, value.span.get(data));
                self.queue.push(Ev::Extra { at, key, value });
            }
        }
        Ok(())
    }

    /// A text op.
    #[allow(clippy::too_many_arguments)]
    fn text(
        &mut self,
        choice: u32,
        block: BlockKey,
        kind: BlockKind,
        text: StrSpan,
        data: &str,
        pos: usize,
        at: &At<'_>,
    ) -> Result<(), FoldError> {
        let slot = self.choice_slot(choice, pos)?;
        let b = self.block_slot(slot, block, kind, data, pos)?;
        if text.is_empty() {
            return Ok(());
        }
        let was = self.choices[slot].blocks[b].kind;
        if was != kind && was.has_events() {
            // Text sent as one kind to a block of another (a reasoning
            // delta to a message part): its events are of the block's.
            self.queue.push(Ev::Warning {
                warning: Warning::DeltasDisagree { field: "content" },
                offset: (at.offset)(pos),
                event_index: at.event_index,
            });
        }
        let st = &mut self.choices[slot].blocks[b];
        let start = st.text.len();
        text.get(data).append_to(&mut st.text);
        let end = st.text.len();
        if st.kind.has_events() {
            self.queue.push(Ev::TextDelta {
                stashed: None,
                slot,
                block: b,
                start,
                end,
            });
            let piece = PieceAt {
                at,
                pos: text.start(),
                exact: !text.escaped(),
            };
            self.read_content(slot, b, start, Some(piece));
        } else {
            // Text of a block without events: its run stays closed.
            st.run_start = end;
        }
        Ok(())
    }

    /// Makes block `b`'s text equal the whole text a format repeated at its
    /// end: what the deltas missed is emitted as one more delta; text that
    /// disagrees replaces them, with a warning.
    fn reconcile_text(&mut self, slot: usize, b: usize, full: StrSpan, data: &str, at: &At<'_>) {
        let span = full;
        let full = full.get(data).to_cow();
        let st = &mut self.choices[slot].blocks[b];
        if st.text == *full {
            return;
        }
        if let Some(rest) = full.strip_prefix(st.text.as_str()) {
            let start = st.text.len();
            st.text.push_str(rest);
            let end = st.text.len();
            if st.kind.has_events() {
                self.queue.push(Ev::TextDelta {
                    stashed: None,
                    slot,
                    block: b,
                    start,
                    end,
                });
            }
            let piece = PieceAt {
                at,
                pos: span.start() + if span.escaped() { 0 } else { start },
                exact: !span.escaped(),
            };
            self.read_content(slot, b, start, Some(piece));
        } else {
            self.stash_queued_text(slot, b);
            let st = &mut self.choices[slot].blocks[b];
            st.text.clear();
            st.text.push_str(&full);
            st.run_start = 0;
            self.queue.push(Ev::Warning {
                warning: Warning::DeltasDisagree { field: "text" },
                offset: (at.offset)(0),
                event_index: at.event_index,
            });
            let piece = PieceAt {
                at,
                pos: span.start(),
                exact: !span.escaped(),
            };
            self.restart_content(slot, b, Some(piece));
        }
    }

    /// Before block `b`'s text is replaced or its kind changes: the queued
    /// events that point into it get their text (and the kind) copied to
    /// the arena, so that they still say what was sent (the buffers
    /// otherwise only grow while events are queued).
    fn stash_queued_text(&mut self, slot: usize, b: usize) {
        let BlockState { text, kind, .. } = &self.choices[slot].blocks[b];
        for ev in &mut self.queue {
            if let Ev::TextDelta {
                slot: s,
                block,
                start,
                end,
                stashed,
            }
            | Ev::TextDone {
                slot: s,
                block,
                start,
                end,
                stashed,
            } = ev
            {
                if *s == slot && *block == b && stashed.is_none() {
                    (*start, *end) = stash(&mut self.arena, &text[*start..*end]);
                    *stashed = Some(*kind);
                }
            }
        }
    }

    /// As [`State::stash_queued_text`], for a tool call's arguments.
    fn stash_queued_arguments(&mut self, slot: usize, tool: usize) {
        let arguments = &self.choices[slot].tools[tool].arguments;
        for ev in &mut self.queue {
            if let Ev::ArgumentsDelta {
                slot: s,
                tool: t,
                start,
                end,
                stashed,
                ..
            }
            | Ev::ArgumentsDone {
                slot: s,
                tool: t,
                start,
                end,
                stashed,
                ..
            } = ev
            {
                if *s == slot && *t == tool && !*stashed {
                    (*start, *end) = stash(&mut self.arena, &arguments[*start..*end]);
                    *stashed = true;
                }
            }
        }
    }

    /// As [`State::reconcile_text`], for a tool call's arguments.
    fn reconcile_arguments(
        &mut self,
        slot: usize,
        tool: usize,
        full: StrSpan,
        data: &str,
        at: &At<'_>,
    ) {
        let span = full;
        let full = full.get(data).to_cow();
        let call = &mut self.choices[slot].tools[tool];
        if call.arguments == *full {
            return;
        }
        if let Some(rest) = full.strip_prefix(call.arguments.as_str()) {
            let start = call.arguments.len();
            call.arguments.push_str(rest);
            call.done = false;
            self.queue.push(Ev::ArgumentsDelta {
                stashed: false,
                slot,
                tool,
                name: call.name.len(),
                start,
                end: call.arguments.len(),
            });
            let piece = PieceAt {
                at,
                pos: span.start() + if span.escaped() { 0 } else { start },
                exact: !span.escaped(),
            };
            self.read_partial(slot, tool, start, Some(piece));
        } else {
            self.stash_queued_arguments(slot, tool);
            let call = &mut self.choices[slot].tools[tool];
            call.arguments.clear();
            call.arguments.push_str(&full);
            call.run_start = 0;
            call.done = false;
            self.queue.push(Ev::Warning {
                warning: Warning::DeltasDisagree { field: "arguments" },
                offset: (at.offset)(0),
                event_index: at.event_index,
            });
            let piece = PieceAt {
                at,
                pos: span.start(),
                exact: !span.escaped(),
            };
            self.restart_partial(slot, tool, Some(piece));
        }
    }

    /// Finds (or starts) the call a tool-call fragment continues.
    fn tool_slot(
        &mut self,
        slot: usize,
        index: Option<u32>,
        id: Option<StrSpan>,
        data: &str,
        pos: usize,
    ) -> Result<usize, FoldError> {
        let max_tools = self.max_tool_calls;
        let st = &mut self.choices[slot];
        let id = id.filter(|t| !t.is_empty()).map(|t| t.get(data).to_cow());
        let conflicts = |tool: usize, st: &ChoiceState| -> bool {
            let have = &st.tools[tool].id;
            matches!(&id, Some(new) if !have.is_empty() && **new != **have)
        };
        let existing = match index {
            Some(w) => st.wire_slot(w).filter(|&t| !conflicts(t, st)),
            None => st.current.filter(|&t| !conflicts(t, st)),
        };
        let tool = match existing {
            Some(t) => t,
            None => {
                if st.tools.len() >= max_tools {
                    return Err(FoldError {
                        limit: Limit::ToolCalls,
                        pos,
                    });
                }
                let reported = match index {
                    Some(w) if !st.index_used(w) => Some(w),
                    _ => st.next_index(),
                };
                let Some(reported) = reported else {
                    return Err(FoldError {
                        limit: Limit::Index,
                        pos,
                    });
                };
                let t = st.add_tool(reported);
                if let Some(w) = index {
                    st.map_wire(w, t);
                }
                t
            }
        };
        if st.current != Some(tool) {
            let previous = st.current.replace(tool);
            self.close_text(slot);
            if let Some(p) = previous {
                self.close_tool(slot, p);
            }
        }
        let call = &mut self.choices[slot].tools[tool];
        if call.id.is_empty() {
            if let Some(id) = &id {
                call.id.push_str(id);
            }
        }
        Ok(tool)
    }

    /// Merges a fragment into call `tool`.
    #[allow(clippy::too_many_arguments)]
    fn tool_fragment(
        &mut self,
        slot: usize,
        tool: usize,
        kind: Option<StrSpan>,
        name: Option<StrSpan>,
        arguments: Option<StrSpan>,
        data: &str,
        at: &At<'_>,
    ) {
        let call = &mut self.choices[slot].tools[tool];
        if call.kind.is_empty() {
            if let Some(k) = kind {
                k.get(data).append_to(&mut call.kind);
            }
        }
        if call.name.is_empty() {
            if let Some(n) = name {
                n.get(data).append_to(&mut call.name);
            }
        }
        if !call.announced {
            // After the fragment's id and name are set: the start event
            // carries them.
            call.announced = true;
            self.queue.push(Ev::ToolStart {
                slot,
                tool,
                id: call.id.len(),
                name: call.name.len(),
            });
        }
        if let Some(a) = arguments.filter(|a| !a.is_empty()) {
            let piece = PieceAt {
                at,
                pos: a.start(),
                exact: !a.escaped(),
            };
            self.append_arguments(slot, tool, |out| a.get(data).append_to(out), Some(piece));
        }
    }

    /// Appends text to call `tool`'s arguments (with its delta event, and
    /// its partial event when partial JSON is on).
    fn append_arguments(
        &mut self,
        slot: usize,
        tool: usize,
        append: impl FnOnce(&mut String),
        piece: Option<PieceAt<'_>>,
    ) {
        let call = &mut self.choices[slot].tools[tool];
        let start = call.arguments.len();
        append(&mut call.arguments);
        if call.arguments.len() == start {
            return;
        }
        if call.done {
            call.run_start = start;
        }
        call.done = false;
        self.queue.push(Ev::ArgumentsDelta {
            stashed: false,
            slot,
            tool,
            name: call.name.len(),
            start,
            end: call.arguments.len(),
        });
        self.read_partial(slot, tool, start, piece);
    }

    /// Emits the `.done` event of block `b`'s open run.
    fn close_block_run(&mut self, slot: usize, b: usize) {
        if self.choices[slot].blocks[b].run_open() {
            // A number that is the whole content is complete only now.
            self.finish_content(slot, b);
        }
        let st = &mut self.choices[slot].blocks[b];
        if st.run_open() {
            let (start, end) = (st.run_start, st.text.len());
            st.run_start = end;
            if st.kind.has_events() {
                self.queue.push(Ev::TextDone {
                    stashed: None,
                    slot,
                    block: b,
                    start,
                    end,
                });
            }
        }
    }

    /// Emits the `.done` events of a choice's open runs of text and lists.
    fn close_text(&mut self, slot: usize) {
        for b in 0..self.choices[slot].blocks.len() {
            self.close_block_run(slot, b);
        }
        let st = &mut self.choices[slot];
        for (l, list) in st.lists.iter_mut().enumerate() {
            if list.open {
                list.open = false;
                let raw = stash_list(&mut self.arena, &list.inner[list.run_start..]);
                self.queue.push(Ev::ListDone { slot, list: l, raw });
            }
        }
    }

    fn close_tool(&mut self, slot: usize, tool: usize) {
        let call = &mut self.choices[slot].tools[tool];
        if !call.done {
            if call.arguments.is_empty() && !call.default.is_empty() {
                // No fragment came: the call takes its default, as one delta.
                call.arguments = std::mem::take(&mut call.default);
                call.run_start = 0;
                self.queue.push(Ev::ArgumentsDelta {
                    stashed: false,
                    slot,
                    tool,
                    name: call.name.len(),
                    start: 0,
                    end: call.arguments.len(),
                });
                self.read_partial(slot, tool, 0, None);
            }
            self.finish_partial(slot, tool);
            let call = &mut self.choices[slot].tools[tool];
            call.done = true;
            let start = call.run_start.min(call.arguments.len());
            call.run_start = call.arguments.len();
            self.queue.push(Ev::ArgumentsDone {
                stashed: false,
                slot,
                tool,
                name: call.name.len(),
                start,
                end: call.arguments.len(),
            });
        }
    }

    /// Emits every `.done` event still due for a choice.
    fn close_choice(&mut self, slot: usize) {
        self.close_text(slot);
        for tool in self.choices[slot].tools_in_order() {
            self.close_tool(slot, tool);
        }
    }

    /// Emits every `.done` event still due, choices in index order.
    pub fn close_all(&mut self) {
        for i in 0..self.by_index.len() {
            let slot = self.by_index[i].1;
            self.close_choice(slot);
        }
    }

    /// Moves the state into the parts a final object is built from.
    pub fn into_parts(self) -> Parts {
        let mut choices = self.choices;
        choices.sort_by_key(|c| c.index);
        Parts {
            meta: self.meta,
            snapshot: self.snapshot,
            usage: self.usage,
            choices,
        }
    }

    /// The tool call of choice `index` whose reported index is `tool`.
    pub fn tool(&self, choice: u32, tool: u32) -> Option<&ToolState> {
        let slot = self.choice_of(choice)?;
        self.choices[slot].tools.iter().find(|t| t.index == tool)
    }
}

/// Pushes `item`, allocating room for exactly one on the first push: most
/// streams have one choice and few blocks, and a server holding thousands
/// of streams pays for every slot reserved and never used.
fn push_first_exact<T>(items: &mut Vec<T>, item: T) {
    if items.capacity() == 0 {
        items.reserve_exact(1);
    }
    items.push(item);
}
