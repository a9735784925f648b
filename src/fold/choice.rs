//! Per-choice and per-tool-call state.

use std::collections::BTreeMap;

use crate::json::value::Map;

/// A tool call being reassembled.
#[derive(Debug, Clone, Default)]
pub(crate) struct ToolState {
    /// The index reported for it (the wire index, unless that was taken).
    pub index: u32,
    pub id: String,
    pub kind: String,
    pub name: String,
    pub arguments: String,
    pub extra: Map,
    pub function_extra: Map,
    /// Its `arguments.done` was emitted and nothing arrived since.
    pub done: bool,
}

/// Reasoning text of one delta field (`reasoning`, `reasoning_content`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Reasoning {
    pub field: String,
    pub text: String,
    pub done: bool,
}

/// Accumulated log-probabilities: the elements of each list, as JSON text
/// joined by commas (extending a list is appending text).
#[derive(Debug, Clone, Default)]
pub(crate) struct LogprobsState {
    pub content: Option<String>,
    pub refusal: Option<String>,
    pub content_done: bool,
    pub refusal_done: bool,
}

/// A choice being reassembled.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChoiceState {
    pub index: u32,
    pub role: Option<String>,
    pub content: String,
    pub content_done: bool,
    pub refusal: Option<String>,
    pub refusal_done: bool,
    pub reasoning: Vec<Reasoning>,
    pub finish_reason: Option<String>,
    pub logprobs: Option<LogprobsState>,
    pub function_call: Option<(String, String)>,
    /// Tool calls in the order they began.
    pub tools: Vec<ToolState>,
    /// Wire index → slot in `tools`, sorted by wire index.
    pub wire: Vec<(u32, usize)>,
    /// Reported indices in use, sorted.
    pub used: Vec<u32>,
    /// The slot of the call in progress.
    pub current: Option<usize>,
    /// Unknown delta fields, merged.
    pub message_extra: Map,
    /// Unknown choice fields: raw JSON of the last non-null value.
    pub extra: BTreeMap<String, String>,
}

impl ChoiceState {
    pub fn new(index: u32) -> ChoiceState {
        ChoiceState {
            index,
            ..ChoiceState::default()
        }
    }

    /// The slot of the call at wire index `w`.
    pub fn wire_slot(&self, w: u32) -> Option<usize> {
        self.wire
            .binary_search_by_key(&w, |&(i, _)| i)
            .ok()
            .map(|i| self.wire[i].1)
    }

    /// Points wire index `w` at `slot`.
    pub fn map_wire(&mut self, w: u32, slot: usize) {
        match self.wire.binary_search_by_key(&w, |&(i, _)| i) {
            Ok(i) => self.wire[i].1 = slot,
            Err(i) => self.wire.insert(i, (w, slot)),
        }
    }

    /// True when some call already reports index `i`.
    pub fn index_used(&self, i: u32) -> bool {
        self.used.binary_search(&i).is_ok()
    }

    /// The index after every reported one (0 when none); `None` on overflow.
    pub fn next_index(&self) -> Option<u32> {
        match self.used.last() {
            Some(&max) => max.checked_add(1),
            None => Some(0),
        }
    }

    /// Adds a call reporting index `index`; returns its slot.
    pub fn add_tool(&mut self, index: u32) -> usize {
        if let Err(i) = self.used.binary_search(&index) {
            self.used.insert(i, index);
        }
        self.tools.push(ToolState {
            index,
            ..ToolState::default()
        });
        self.tools.len() - 1
    }

    /// Tool slots in reported-index order.
    pub fn tools_in_order(&self) -> Vec<usize> {
        let mut slots: Vec<usize> = (0..self.tools.len()).collect();
        slots.sort_by_key(|&s| self.tools[s].index);
        slots
    }
}
