//! Per-choice state: its blocks of text, its tool calls, its lists.

use super::doc::Doc;
use super::partial::Partial;
use crate::delta::{BlockKind, LogprobsKind};

/// A block's key, owned (see [`crate::delta::BlockKey`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    Index(u32),
    Part { item: u32, group: u8, part: u32 },
    Field(String),
}

/// A block of text (a content block, an output part, a message field).
#[derive(Debug, Clone)]
pub(crate) struct BlockState {
    pub key: Key,
    pub kind: BlockKind,
    /// The text, as it will be in the final object.
    pub text: String,
    /// Where the run of text not yet closed by a `.done` begins.
    pub run_start: usize,
    /// Fields other than the text (the object the block started with, and
    /// field ops).
    pub fields: Doc,
    /// The block's complete object, when its end carried one.
    pub complete: bool,
    /// The block ended.
    pub stopped: bool,
    /// The tool call it holds (kind `Tool`).
    pub tool: Option<usize>,
    /// Its partial-JSON reader (content read as partial JSON).
    pub partial: Partial,
}

impl BlockState {
    pub fn new(key: Key, kind: BlockKind) -> BlockState {
        BlockState {
            key,
            kind,
            text: String::new(),
            run_start: 0,
            fields: Doc::default(),
            complete: false,
            stopped: false,
            tool: None,
            partial: Partial::Idle,
        }
    }

    /// True when text arrived since the last `.done`.
    pub fn run_open(&self) -> bool {
        self.run_start < self.text.len()
    }

    /// The events' `block`.
    pub fn event_block(&self) -> Option<u32> {
        match self.key {
            Key::Index(i) => Some(i),
            Key::Part { item, .. } => Some(item),
            Key::Field(_) => None,
        }
    }
}

/// A tool call being reassembled.
#[derive(Debug, Clone, Default)]
pub(crate) struct ToolState {
    /// The index reported for it.
    pub index: u32,
    pub id: String,
    pub kind: String,
    pub name: String,
    pub arguments: String,
    /// The arguments it takes if none arrive before its `.done`.
    pub default: String,
    /// Where the arguments not yet closed by a `.done` begin.
    pub run_start: usize,
    pub fields: Doc,
    pub function_fields: Doc,
    /// Its `arguments.done` was emitted and nothing arrived since.
    pub done: bool,
    /// Its `tool_calls.function.start` was emitted.
    pub announced: bool,
    /// The slot of the block it belongs to, if any.
    pub block: Option<usize>,
    /// The events' `block`.
    pub event_block: Option<u32>,
    /// Its partial-JSON reader (partial JSON on).
    pub partial: Partial,
}

/// A list of log-probabilities: its elements as JSON text joined by commas
/// (extending the list is appending text).
#[derive(Debug, Clone)]
pub(crate) struct ListState {
    pub key: String,
    pub kind: LogprobsKind,
    pub inner: String,
    pub count: usize,
    /// Only `null` arrived for it.
    pub null: bool,
    /// Where the elements not yet closed by a `.done` begin in `inner`
    /// (after a comma), and whether any arrived since.
    pub run_start: usize,
    pub open: bool,
}

/// A choice being reassembled.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChoiceState {
    pub index: u32,
    pub fields: Doc,
    pub message: Doc,
    pub blocks: Vec<BlockState>,
    /// The block the last text op went to (a cache).
    pub last_block: usize,
    pub finish_reason: Option<String>,
    pub lists: Vec<ListState>,
    /// Tool calls in the order they began.
    pub tools: Vec<ToolState>,
    /// Wire index → slot in `tools`, sorted by wire index.
    pub wire: Vec<(u32, usize)>,
    /// Reported indices in use, sorted.
    pub used: Vec<u32>,
    /// The slot of the call in progress.
    pub current: Option<usize>,
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

    /// The block with `key`, if any.
    pub fn find_block(&self, key: &Key) -> Option<usize> {
        if self
            .blocks
            .get(self.last_block)
            .is_some_and(|b| b.key == *key)
        {
            return Some(self.last_block);
        }
        self.blocks.iter().position(|b| b.key == *key)
    }

    /// The block of a named field, if any (without allocating the key).
    pub fn find_field_block(&self, name: &str) -> Option<usize> {
        let is = |b: &BlockState| matches!(&b.key, Key::Field(f) if f == name);
        if self.blocks.get(self.last_block).is_some_and(is) {
            return Some(self.last_block);
        }
        self.blocks.iter().position(is)
    }

    /// The text of the first block of `kind`, and of all of them joined
    /// when there are several.
    pub fn text_of(&self, kind: BlockKind) -> Option<std::borrow::Cow<'_, str>> {
        let mut blocks = self.blocks.iter().filter(|b| b.kind == kind);
        let first = blocks.next()?;
        match blocks.next() {
            None => Some(std::borrow::Cow::Borrowed(&first.text)),
            Some(second) => {
                let mut all = String::with_capacity(first.text.len() + second.text.len());
                all.push_str(&first.text);
                all.push_str(&second.text);
                for b in blocks {
                    all.push_str(&b.text);
                }
                Some(std::borrow::Cow::Owned(all))
            }
        }
    }
}
