//! Normalized deltas: what a protocol decoder hands the fold for one chunk.
//!
//! Everything is a span into the event's payload (the decoder validated it),
//! so one [`ChunkDelta`] is reused for every chunk without allocating: its
//! vectors keep their capacity. Nested lists (tool calls, extension fields)
//! live in flat pools, one per level, and the owner holds a range.

use std::ops::Range;

pub(crate) use crate::json::string::{Span, Text};

/// What kind of JSON value an extension field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    String,
    Array,
    Object,
    Scalar,
}

/// A field the engine does not interpret, with a non-null value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Extra {
    pub key: Text,
    pub value: Span,
    pub kind: ValueKind,
    /// For strings: the contents (so they can be concatenated).
    pub text: Text,
}

/// The elements of a JSON array, as text between its brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct List {
    /// From the first element's first byte to the last element's last byte.
    pub inner: Span,
    pub count: usize,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Logprobs {
    pub content: Option<List>,
    pub refusal: Option<List>,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Usage {
    pub raw: Span,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    pub total_tokens: Option<u64>,
}

/// A (legacy) `function_call` delta.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FunctionCall {
    pub name: Option<Text>,
    pub arguments: Option<Text>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct ToolCall {
    pub index: Option<u32>,
    /// Payload offset of the tool call, for errors.
    pub pos: usize,
    pub id: Option<Text>,
    pub kind: Option<Text>,
    pub name: Option<Text>,
    pub arguments: Option<Text>,
    /// Unknown tool-call fields, in [`ChunkDelta::tool_extras`].
    pub extras: Range<usize>,
    /// Unknown function fields, in [`ChunkDelta::function_extras`].
    pub function_extras: Range<usize>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Choice {
    pub index: u32,
    /// Payload offset of the choice, for errors.
    pub pos: usize,
    pub role: Option<Text>,
    pub content: Option<Text>,
    pub refusal: Option<Text>,
    pub finish_reason: Option<Text>,
    pub function_call: Option<FunctionCall>,
    pub logprobs: Option<Logprobs>,
    /// In [`ChunkDelta::tool_calls`].
    pub tool_calls: Range<usize>,
    /// Unknown delta fields, in [`ChunkDelta::delta_extras`].
    pub delta_extras: Range<usize>,
    /// Unknown choice fields, in [`ChunkDelta::choice_extras`].
    pub extras: Range<usize>,
}

/// One chunk, normalized.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChunkDelta {
    /// False for chunks whose `object` is present and not a chat-completion
    /// chunk (Azure's prompt-filter chunk): they do not set identity fields.
    pub sets_identity: bool,
    pub id: Option<Text>,
    pub model: Option<Text>,
    pub service_tier: Option<Text>,
    pub system_fingerprint: Option<Text>,
    pub created: Option<i64>,
    pub usage: Option<Usage>,
    pub extras: Vec<Extra>,
    pub choices: Vec<Choice>,
    pub tool_calls: Vec<ToolCall>,
    pub choice_extras: Vec<Extra>,
    pub delta_extras: Vec<Extra>,
    pub tool_extras: Vec<Extra>,
    pub function_extras: Vec<Extra>,
}

impl ChunkDelta {
    pub fn clear(&mut self) {
        self.sets_identity = true;
        self.id = None;
        self.model = None;
        self.service_tier = None;
        self.system_fingerprint = None;
        self.created = None;
        self.usage = None;
        self.extras.clear();
        self.choices.clear();
        self.tool_calls.clear();
        self.choice_extras.clear();
        self.delta_extras.clear();
        self.tool_extras.clear();
        self.function_extras.clear();
    }
}
