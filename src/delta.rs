//! Normalized deltas: what a protocol decoder hands the fold for one payload.
//!
//! A decoder turns one payload into a list of [`Op`]s, in the order their
//! events must come. Every string and value is a span into the payload (the
//! decoder validated it), so the list is reused for every payload without
//! allocating. Field names appear here only as data the decoder supplies
//! ([`Key`]): the fold applies the merge [`Rule`] each op names and never
//! looks at a name itself.

pub(crate) use crate::json::string::{Span, StrSpan};
use crate::usage::TokenCounts;

/// What kind of JSON value a span holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    Null,
    String,
    Array,
    Object,
    Scalar,
}

/// One JSON value of the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Raw {
    /// The value's JSON text.
    pub span: Span,
    pub kind: ValueKind,
    /// For strings: the contents between the quotes.
    pub text: StrSpan,
}

impl Raw {
    /// A value that is not a string.
    pub fn value(span: Span, kind: ValueKind) -> Raw {
        Raw {
            span,
            kind,
            text: StrSpan::EMPTY,
        }
    }

    /// A string, from its JSON text and its contents.
    pub fn string(span: Span, text: StrSpan) -> Raw {
        Raw {
            span,
            kind: ValueKind::String,
            text,
        }
    }
}

/// A field name: one the decoder knows (a constant of its format), or one
/// read from the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Static(&'static str),
    Wire(StrSpan),
}

/// How a value merges into what the field holds (DESIGN.md's merge rules;
/// the decoder names the rule its format's field follows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// The first non-null value; `""` is kept until a non-empty string
    /// replaces it (identity fields: `id`, `model`, `role`, …).
    First,
    /// The last non-null value (a later `null` changes nothing).
    Last,
    /// The value as sent, `null` included (Anthropic's `stop_reason`).
    Replace,
    /// DESIGN.md's rules for fields the engine does not know: strings
    /// concatenate (identity keys inside objects set once), lists extend
    /// (entries with an integer `index` merge with that entry), objects merge
    /// key by key, other values replace; `null` changes nothing.
    Merge,
    /// The value is appended to the list the field holds (Anthropic
    /// `citations_delta`).
    Append,
    /// Objects: each non-null member replaces the one of that name
    /// (Anthropic usage updates).
    Overlay,
}

/// Where a field of the final object lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The top level of the final object.
    Top,
    /// A choice (a candidate).
    Choice(u32),
    /// The message of a choice (chat: the delta's fields; Gemini: the
    /// candidate's `content`).
    Message(u32),
    /// A block of a choice.
    Block(u32, BlockKey),
    /// The tool call the choice's last [`Op::Tool`] resolved to.
    Tool(u32),
    /// The function of that tool call.
    Function(u32),
}

/// Which block of a choice an op is about. The decoder chooses keys; the
/// fold only compares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockKey {
    /// The format's own block index (Anthropic content blocks, Responses
    /// output items, Gemini parts as the decoder numbers them).
    Index(u32),
    /// A part of an item (Responses: `content_index` or `summary_index`
    /// within `output_index`); `group` tells the part lists apart.
    Part { item: u32, group: u8, part: u32 },
    /// A named text field of the message (chat: `content`, `refusal`,
    /// `reasoning_content`; Ollama: `content`, `thinking`).
    Field(Key),
}

impl BlockKey {
    /// The position events report as `block`.
    pub fn event_block(self) -> Option<u32> {
        match self {
            BlockKey::Index(i) => Some(i),
            BlockKey::Part { item, .. } => Some(item),
            BlockKey::Field(_) => None,
        }
    }
}

/// What a block holds, and so which events its text makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockKind {
    Content,
    Refusal,
    Reasoning,
    /// A client tool call (its arguments are the tool call's).
    Tool,
    /// Anything else (server tools, results, unknown types): its text, if
    /// any, is accumulated without events.
    Other,
}

impl BlockKind {
    /// True for the kinds whose text has events (content, refusal and
    /// reasoning deltas).
    pub(crate) fn has_events(self) -> bool {
        matches!(
            self,
            BlockKind::Content | BlockKind::Refusal | BlockKind::Reasoning
        )
    }
}

/// Which log-probability events a list makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogprobsKind {
    Content,
    Refusal,
    /// Accumulated without events.
    Quiet,
}

/// The elements of a JSON array, as text between its brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct List {
    /// From the first element's first byte to the last element's last byte.
    pub inner: Span,
    pub count: usize,
}

/// One step of folding a payload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Op {
    /// A choice appears (created if new, in index order).
    Choice { choice: u32, pos: usize },
    /// A field of the final object. `event`: report it as a `*.extra` event
    /// (fields the format does not define).
    Field {
        at: Scope,
        key: Key,
        value: Raw,
        rule: Rule,
        event: bool,
    },
    /// A block begins, with the fields it starts with (its JSON object).
    BlockStart {
        choice: u32,
        block: BlockKey,
        kind: BlockKind,
        fields: Option<Span>,
        pos: usize,
    },
    /// Text appended to a block (created, of `kind`, if it was not started).
    Text {
        choice: u32,
        block: BlockKey,
        kind: BlockKind,
        text: StrSpan,
        pos: usize,
    },
    /// A block's text is complete; `text`, when given, is its whole text as
    /// the format repeats it (what the deltas missed is emitted first).
    TextDone {
        choice: u32,
        block: BlockKey,
        kind: BlockKind,
        text: Option<StrSpan>,
    },
    /// A block ends; `fields`, when given, is its complete object (it
    /// replaces the fields it started with).
    BlockStop {
        choice: u32,
        block: BlockKey,
        fields: Option<Span>,
    },
    /// A tool-call fragment: `index` picks the call (OpenAI chat's rules);
    /// set-once `id`, `kind`, `name`; `arguments` appended; `block` links the
    /// call to the block that holds it.
    Tool {
        choice: u32,
        index: Option<u32>,
        id: Option<StrSpan>,
        kind: Option<StrSpan>,
        name: Option<StrSpan>,
        arguments: Option<StrSpan>,
        block: Option<BlockKey>,
        pos: usize,
    },
    /// Arguments text the decoder wrote itself, not a span of the payload
    /// (Gemini's streamed `partialArgs` rebuilt as JSON text):
    /// `Delta::written[start..end]`, appended to the choice's current tool
    /// call as [`Op::Tool`]'s `arguments` would be.
    Arguments {
        choice: u32,
        start: usize,
        end: usize,
    },
    /// The choice's current tool call's arguments are complete; `arguments`,
    /// when given, is their whole text as the format repeats it.
    ToolDone {
        choice: u32,
        arguments: Option<StrSpan>,
    },
    /// The arguments the choice's current tool call takes if no fragment
    /// arrives before it closes (its `.done` then follows one more delta
    /// with them): Anthropic's `tool_use` block that starts with `"input":
    /// {}` and gets no `input_json_delta`.
    ToolDefault { choice: u32, arguments: StrSpan },
    /// Elements appended to a list of log-probabilities (`None`: the list
    /// is present but `null`).
    Logprobs {
        choice: u32,
        key: Key,
        list: Option<List>,
        kind: LogprobsKind,
    },
    /// A choice's finish reason.
    Finish { choice: u32, reason: StrSpan },
    /// A usage object: entry `slot` of [`Delta::usage`].
    Usage { slot: usize },
    /// A whole final object (Responses: the terminal event's `response`).
    Snapshot { raw: Span },
    /// The format's terminator.
    Terminal,
    /// Something departed from the format (`pos`: where in the payload).
    Warning {
        warning: crate::event::Warning,
        pos: usize,
    },
}

/// A usage object of the payload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct UsageDelta {
    /// The object's JSON text: in the payload, or in [`Delta::written`] when
    /// `built` is set.
    pub raw: Span,
    pub tokens: TokenCounts,
    /// [`Rule::Last`] (replace the whole object) or [`Rule::Overlay`].
    pub rule: Rule,
    /// The decoder assembled the object (a format whose counts are members
    /// of the payload itself, as Ollama's): `raw` is in [`Delta::written`].
    pub built: bool,
}

/// The ops of one payload.
#[derive(Debug, Clone, Default)]
pub(crate) struct Delta {
    pub ops: Vec<Op>,
    pub usage: Vec<UsageDelta>,
    /// Text the decoder wrote for this payload from its validated values:
    /// arguments it rebuilt ([`Op::Arguments`]), a usage object the format
    /// does not send as one ([`UsageDelta::built`]).
    pub written: String,
}

impl Delta {
    pub fn clear(&mut self) {
        self.ops.clear();
        self.usage.clear();
        self.written.clear();
    }

    #[inline]
    pub fn push(&mut self, op: Op) {
        self.ops.push(op);
    }

    /// A [`crate::event::Warning::DeltasDisagree`] about `field` at `pos`: what the events
    /// said and what the final object holds part ways there.
    pub fn disagree(&mut self, field: &'static str, pos: usize) {
        self.push(Op::Warning {
            warning: crate::event::Warning::DeltasDisagree { field },
            pos,
        });
    }

    /// Adds a usage object.
    pub fn usage(&mut self, raw: Span, tokens: TokenCounts, rule: Rule) {
        self.usage.push(UsageDelta {
            raw,
            tokens,
            rule,
            built: false,
        });
        let slot = self.usage.len() - 1;
        self.ops.push(Op::Usage { slot });
    }

    /// Adds a usage object whose JSON text is `built[raw]`.
    pub fn built_usage(&mut self, raw: Span, tokens: TokenCounts, rule: Rule) {
        self.usage.push(UsageDelta {
            raw,
            tokens,
            rule,
            built: true,
        });
        let slot = self.usage.len() - 1;
        self.ops.push(Op::Usage { slot });
    }
}
