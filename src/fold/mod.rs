//! The fold: merges normalized deltas into per-choice, per-tool-call state,
//! queues the incremental events, and builds the final completion.
//!
//! Protocol-agnostic: it sees [`ChunkDelta`]s, never JSON field names of a
//! wire format. Merge rules are DESIGN.md's; in short, null means absent,
//! text concatenates, identities (role, tool-call id, type, name) are set
//! once, choices and tool calls are keyed by index and listed in index order.
//!
//! Events are queued as [`Ev`] records: positions into the state's own
//! buffers (the text a `content.delta` reports is the range of the message
//! content it was appended to), or into a scratch `arena` for values that
//! have no lasting home (finish reasons, extension fields). Nothing is
//! allocated per event in steady state: the queue and arena are cleared, not
//! freed, between pushes.

mod choice;
mod merge;
mod queue;

use std::collections::BTreeMap;

use crate::completion::{self, Completion, Usage};
use crate::delta::{ChunkDelta, Extra, Text, ToolCall as ToolDelta, ValueKind};
use crate::error::Limit;
use crate::json::scanner::{Scanner, MAX_DEPTH_CAP};
use crate::json::value::{parse_value, Map, Value};

use choice::{ChoiceState, LogprobsState, Reasoning};
use merge::merge_into;
pub(crate) use queue::Ev;

/// Delta fields whose string values are reasoning text.
const REASONING_FIELDS: [&str; 2] = ["reasoning", "reasoning_content"];

/// A limit hit while folding, at a payload position.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FoldError {
    pub limit: Limit,
    pub value: u64,
    pub pos: usize,
}

/// The reassembly state of one stream.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fold {
    max_choices: usize,
    max_tool_calls: usize,
    id: Option<String>,
    model: Option<String>,
    created: Option<i64>,
    service_tier: Option<String>,
    system_fingerprint: Option<String>,
    /// Raw JSON of the last non-null usage.
    usage: Option<String>,
    /// Unknown chunk fields: raw JSON of the last non-null value.
    extra: BTreeMap<String, String>,
    /// Choices in the order they first appeared.
    choices: Vec<ChoiceState>,
    /// Choice index → slot, sorted by index.
    by_index: Vec<(u32, usize)>,
    /// Events of the current push.
    pub queue: Vec<Ev>,
    /// Scratch text the queued events point into.
    pub arena: String,
    /// Token counts of queued usage events.
    pub usage_counts: Vec<[Option<u64>; 3]>,
}

/// Appends a payload string (decoded) to `out`; returns the range it took.
fn append(out: &mut String, text: Text, data: &str) -> (usize, usize) {
    let start = out.len();
    text.get(data).append_to(out);
    (start, out.len())
}

/// Appends `text` to the arena; returns its range.
fn stash(arena: &mut String, text: &str) -> (usize, usize) {
    let start = arena.len();
    arena.push_str(text);
    (start, arena.len())
}

impl Fold {
    pub fn new(max_choices: usize, max_tool_calls: usize) -> Fold {
        Fold {
            max_choices,
            max_tool_calls,
            ..Fold::default()
        }
    }

    /// Forgets the events of the previous push.
    pub fn clear_events(&mut self) {
        self.queue.clear();
        self.arena.clear();
        self.usage_counts.clear();
    }

    /// True when at least one choice exists and every choice has a finish
    /// reason.
    pub fn all_finished(&self) -> bool {
        !self.choices.is_empty() && self.choices.iter().all(|c| c.finish_reason.is_some())
    }

    /// Merges one chunk.
    pub fn apply(&mut self, chunk: &ChunkDelta, data: &str) -> Result<(), FoldError> {
        if chunk.sets_identity {
            set_once(&mut self.id, chunk.id.map(|t| t.get(data)));
            set_once(&mut self.model, chunk.model.map(|t| t.get(data)));
            set_once(
                &mut self.service_tier,
                chunk.service_tier.map(|t| t.get(data)),
            );
            if self.created.is_none() {
                self.created = chunk.created;
            }
            if let Some(t) = chunk.system_fingerprint {
                let s = self.system_fingerprint.get_or_insert_with(String::new);
                let v = t.get(data);
                // Usually the same on every chunk: copy only a change.
                if v.is_escaped() || s != v.raw() {
                    s.clear();
                    v.append_to(s);
                }
            }
        }
        for ch in &chunk.choices {
            self.apply_choice(ch, chunk, data)?;
        }
        if let Some(u) = chunk.usage {
            let raw = u.raw.get(data);
            let s = self.usage.get_or_insert_with(String::new);
            s.clear();
            s.push_str(raw);
            let (start, end) = stash(&mut self.arena, raw);
            self.usage_counts
                .push([u.prompt_tokens, u.completion_tokens, u.total_tokens]);
            self.queue.push(Ev::Usage {
                raw: (start, end),
                counts: self.usage_counts.len() - 1,
            });
        }
        for e in &chunk.extras {
            let (key, value) = keep_last(&mut self.extra, e, data);
            let key = stash(&mut self.arena, &key);
            let value = stash(&mut self.arena, value);
            self.queue.push(Ev::ChunkExtra { key, value });
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
                        value: self.max_choices as u64,
                        pos,
                    });
                }
                self.choices.push(ChoiceState::new(index));
                let slot = self.choices.len() - 1;
                self.by_index.insert(i, (index, slot));
                Ok(slot)
            }
        }
    }

    fn apply_choice(
        &mut self,
        ch: &crate::delta::Choice,
        chunk: &ChunkDelta,
        data: &str,
    ) -> Result<(), FoldError> {
        let slot = self.choice_slot(ch.index, ch.pos)?;
        let st = &mut self.choices[slot];
        if st.role.is_none() {
            set_once(&mut st.role, ch.role.map(|t| t.get(data)));
        }
        if let Some(t) = ch.content.filter(|t| !t.is_empty()) {
            let (start, end) = append(&mut st.content, t, data);
            st.content_done = false;
            self.queue.push(Ev::ContentDelta { slot, start, end });
        }
        if let Some(t) = ch.refusal.filter(|t| !t.is_empty()) {
            let r = st.refusal.get_or_insert_with(String::new);
            let (start, end) = append(r, t, data);
            st.refusal_done = false;
            self.queue.push(Ev::RefusalDelta { slot, start, end });
        }
        if let Some(f) = ch.function_call {
            let (name, args) = st.function_call.get_or_insert_with(Default::default);
            if name.is_empty() {
                if let Some(n) = f.name {
                    n.get(data).append_to(name);
                }
            }
            if let Some(a) = f.arguments {
                a.get(data).append_to(args);
            }
        }
        for e in chunk
            .delta_extras
            .get(ch.delta_extras.clone())
            .unwrap_or_default()
        {
            self.delta_extra(slot, e, data);
        }
        if let Some(lp) = &ch.logprobs {
            let st = &mut self.choices[slot];
            let state = st.logprobs.get_or_insert_with(LogprobsState::default);
            if let Some(list) = lp.content {
                let acc = state.content.get_or_insert_with(String::new);
                if list.count > 0 {
                    if !acc.is_empty() {
                        acc.push(',');
                    }
                    acc.push_str(list.inner.get(data));
                    state.content_done = false;
                    let raw = stash_list(&mut self.arena, list.inner.get(data));
                    self.queue.push(Ev::LogprobsContentDelta { slot, raw });
                }
            }
            if let Some(list) = lp.refusal {
                let acc = state.refusal.get_or_insert_with(String::new);
                if list.count > 0 {
                    if !acc.is_empty() {
                        acc.push(',');
                    }
                    acc.push_str(list.inner.get(data));
                    state.refusal_done = false;
                    let raw = stash_list(&mut self.arena, list.inner.get(data));
                    self.queue.push(Ev::LogprobsRefusalDelta { slot, raw });
                }
            }
        }
        for td in &chunk.tool_calls[ch.tool_calls.clone()] {
            self.apply_tool(slot, td, data)?;
        }
        if let Some(t) = ch.finish_reason.filter(|t| !t.is_empty()) {
            let st = &mut self.choices[slot];
            let reason = st.finish_reason.get_or_insert_with(String::new);
            reason.clear();
            t.get(data).append_to(reason);
            let raw = stash(&mut self.arena, reason);
            self.queue.push(Ev::FinishReason { slot, raw });
            self.close_choice(slot);
        }
        for e in &chunk.choice_extras[ch.extras.clone()] {
            let (key, value) = keep_last(&mut self.choices[slot].extra, e, data);
            let key = stash(&mut self.arena, &key);
            let value = stash(&mut self.arena, value);
            self.queue.push(Ev::ChoiceExtra { slot, key, value });
        }
        Ok(())
    }

    /// An unknown delta field: reasoning text, or a value merged into the
    /// message's extra fields.
    fn delta_extra(&mut self, slot: usize, e: &Extra, data: &str) {
        let key = e.key.get(data).to_cow();
        let st = &mut self.choices[slot];
        if e.kind == ValueKind::String && REASONING_FIELDS.contains(&&*key) {
            if e.text.is_empty() {
                return;
            }
            let field = match st.reasoning.iter().position(|r| r.field == *key) {
                Some(f) => f,
                None => {
                    st.reasoning.push(Reasoning {
                        field: key.into_owned(),
                        ..Reasoning::default()
                    });
                    st.reasoning.len() - 1
                }
            };
            let r = &mut st.reasoning[field];
            let (start, end) = append(&mut r.text, e.text, data);
            r.done = false;
            self.queue.push(Ev::ReasoningDelta {
                slot,
                field,
                start,
                end,
            });
            return;
        }
        let raw = e.value.get(data);
        merge_into(&mut st.message_extra, key.to_string(), parse_raw(raw));
        let key = stash(&mut self.arena, &key);
        let value = stash(&mut self.arena, raw);
        self.queue.push(Ev::DeltaExtra { slot, key, value });
    }

    /// Finds (or starts) the call a tool-call delta continues, then merges it.
    fn apply_tool(&mut self, slot: usize, td: &ToolDelta, data: &str) -> Result<(), FoldError> {
        let max_tools = self.max_tool_calls;
        let st = &mut self.choices[slot];
        let id = td
            .id
            .filter(|t| !t.is_empty())
            .map(|t| t.get(data).to_cow());
        let conflicts = |tool: usize, st: &ChoiceState| -> bool {
            let have = &st.tools[tool].id;
            matches!(&id, Some(new) if !have.is_empty() && **new != **have)
        };
        let existing = match td.index {
            Some(w) => st.wire_slot(w).filter(|&t| !conflicts(t, st)),
            None => st.current.filter(|&t| !conflicts(t, st)),
        };
        let (tool, started) = match existing {
            Some(t) => (t, false),
            None => {
                if st.tools.len() >= max_tools {
                    return Err(FoldError {
                        limit: Limit::ToolCalls,
                        value: max_tools as u64,
                        pos: td.pos,
                    });
                }
                let index = match td.index {
                    Some(w) if !st.index_used(w) => Some(w),
                    _ => st.next_index(),
                };
                let Some(index) = index else {
                    return Err(FoldError {
                        limit: Limit::Index,
                        value: u32::MAX as u64,
                        pos: td.pos,
                    });
                };
                let t = st.add_tool(index);
                if let Some(w) = td.index {
                    st.map_wire(w, t);
                }
                (t, true)
            }
        };
        if st.current != Some(tool) {
            let previous = st.current.replace(tool);
            self.close_text(slot);
            if let Some(p) = previous {
                self.close_tool(slot, p);
            }
        }
        let st = &mut self.choices[slot];
        let call = &mut st.tools[tool];
        if call.id.is_empty() {
            if let Some(id) = &id {
                call.id.push_str(id);
            }
        }
        if call.kind.is_empty() {
            if let Some(k) = td.kind {
                k.get(data).append_to(&mut call.kind);
            }
        }
        if call.name.is_empty() {
            if let Some(n) = td.name {
                n.get(data).append_to(&mut call.name);
            }
        }
        if started {
            self.queue.push(Ev::ToolStart {
                slot,
                tool,
                id: call.id.len(),
                name: call.name.len(),
            });
        }
        if let Some(a) = td.arguments.filter(|a| !a.is_empty()) {
            let (start, end) = append(&mut call.arguments, a, data);
            call.done = false;
            self.queue.push(Ev::ArgumentsDelta {
                slot,
                tool,
                name: call.name.len(),
                start,
                end,
            });
        }
        Ok(())
    }

    /// Emits the `.done` events of a choice's text kinds that are due.
    fn close_text(&mut self, slot: usize) {
        let st = &mut self.choices[slot];
        if !st.content_done && !st.content.is_empty() {
            st.content_done = true;
            self.queue.push(Ev::ContentDone {
                slot,
                end: st.content.len(),
            });
        }
        if let Some(r) = &st.refusal {
            if !st.refusal_done {
                st.refusal_done = true;
                self.queue.push(Ev::RefusalDone { slot, end: r.len() });
            }
        }
        for (field, r) in st.reasoning.iter_mut().enumerate() {
            if !r.done {
                r.done = true;
                self.queue.push(Ev::ReasoningDone {
                    slot,
                    field,
                    end: r.text.len(),
                });
            }
        }
        if let Some(lp) = &mut st.logprobs {
            if let (Some(c), false) = (&lp.content, lp.content_done) {
                lp.content_done = true;
                let raw = stash_list(&mut self.arena, c);
                self.queue.push(Ev::LogprobsContentDone { slot, raw });
            }
            if let (Some(r), false) = (&lp.refusal, lp.refusal_done) {
                lp.refusal_done = true;
                let raw = stash_list(&mut self.arena, r);
                self.queue.push(Ev::LogprobsRefusalDone { slot, raw });
            }
        }
    }

    fn close_tool(&mut self, slot: usize, tool: usize) {
        let call = &mut self.choices[slot].tools[tool];
        if !call.done {
            call.done = true;
            self.queue.push(Ev::ArgumentsDone {
                slot,
                tool,
                name: call.name.len(),
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

    /// The completion so far (a copy; the fold goes on).
    pub fn completion(&self) -> Completion {
        let mut copy = Fold {
            id: self.id.clone(),
            model: self.model.clone(),
            created: self.created,
            service_tier: self.service_tier.clone(),
            system_fingerprint: self.system_fingerprint.clone(),
            usage: self.usage.clone(),
            extra: self.extra.clone(),
            choices: self.choices.clone(),
            by_index: self.by_index.clone(),
            ..Fold::default()
        };
        copy.take_completion()
    }

    /// Moves the state into a completion.
    pub fn take_completion(&mut self) -> Completion {
        let mut choices: Vec<ChoiceState> = std::mem::take(&mut self.choices);
        choices.sort_by_key(|c| c.index);
        Completion {
            id: self.id.take(),
            object: "chat.completion".to_string(),
            created: self.created,
            model: self.model.take(),
            choices: choices.into_iter().map(build_choice).collect(),
            usage: self
                .usage
                .take()
                .map(|raw| Usage::from_value(parse_raw(&raw))),
            service_tier: self.service_tier.take(),
            system_fingerprint: self.system_fingerprint.take(),
            extra: raw_map(std::mem::take(&mut self.extra)),
        }
    }
}

fn build_choice(c: ChoiceState) -> completion::Choice {
    let ChoiceState {
        index,
        role,
        content,
        refusal,
        reasoning,
        finish_reason,
        logprobs,
        function_call,
        mut tools,
        mut message_extra,
        extra,
        ..
    } = c;
    for r in reasoning {
        merge_into(&mut message_extra, r.field, Value::String(r.text));
    }
    tools.sort_by_key(|t| t.index);
    let tool_calls = tools
        .into_iter()
        .map(|t| completion::ToolCall {
            index: t.index,
            id: non_empty(t.id),
            kind: non_empty(t.kind),
            function: completion::FunctionCall {
                name: non_empty(t.name),
                arguments: t.arguments,
                extra: t.function_extra,
            },
            extra: t.extra,
        })
        .collect();
    let logprobs = logprobs.map(|lp| {
        let list = |l: Option<String>| match l {
            Some(inner) => parse_raw(&format!("[{inner}]")),
            None => Value::Null,
        };
        let mut m = Map::new();
        m.insert("content".to_string(), list(lp.content));
        m.insert("refusal".to_string(), list(lp.refusal));
        Value::Object(m)
    });
    completion::Choice {
        index,
        message: completion::Message {
            role,
            content: non_empty(content),
            refusal: refusal.and_then(non_empty),
            tool_calls,
            function_call: function_call.map(|(name, arguments)| completion::FunctionCall {
                name: non_empty(name),
                arguments,
                extra: Map::new(),
            }),
            extra: message_extra,
        },
        logprobs,
        finish_reason,
        extra: raw_map(extra),
    }
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// Sets `slot` from a non-empty value, unless already set.
fn set_once(slot: &mut Option<String>, value: Option<crate::json::string::JsonStr<'_>>) {
    if slot.is_none() {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            let mut s = String::new();
            v.append_to(&mut s);
            *slot = Some(s);
        }
    }
}

/// Keeps the raw value of an unknown field as its last value; returns the
/// field name and the raw text.
fn keep_last<'a>(
    map: &mut BTreeMap<String, String>,
    e: &Extra,
    data: &'a str,
) -> (std::borrow::Cow<'a, str>, &'a str) {
    let key = e.key.get(data).to_cow();
    let raw = e.value.get(data);
    match map.get_mut(&*key) {
        Some(v) => {
            v.clear();
            v.push_str(raw);
        }
        None => {
            map.insert(key.to_string(), raw.to_string());
        }
    }
    (key, raw)
}

/// Parses JSON text the decoder already validated.
fn parse_raw(raw: &str) -> Value {
    let mut sc = Scanner::new(raw, MAX_DEPTH_CAP);
    parse_value(&mut sc).unwrap_or(Value::Null)
}

fn raw_map(m: BTreeMap<String, String>) -> Map {
    m.into_iter().map(|(k, v)| (k, parse_raw(&v))).collect()
}

/// Stashes a list's elements as a JSON array.
fn stash_list(arena: &mut String, inner: &str) -> (usize, usize) {
    let start = arena.len();
    arena.push('[');
    arena.push_str(inner);
    arena.push(']');
    (start, arena.len())
}
