//! Incremental events: one vocabulary for every wire format.

use serde::Serialize;

use crate::json::partial::EventOps;
use crate::json::raw::RawJson;
use crate::text::Text;
use crate::usage::TokenCounts;

/// One incremental event, the same for every wire format.
///
/// Names and field names follow the OpenAI Python SDK's chat stream events
/// (`content.delta`, `tool_calls.function.arguments.done`, …) with the
/// `choice` index added (the choice or candidate; 0 where the format has
/// none), plus the events the SDK lacks (reasoning, tool-call start, finish
/// reason, usage, warnings, end). `block` is the format's own position of
/// the content when it has one (an Anthropic content-block index, a
/// Responses `output_index`, a Gemini part), absent otherwise.
///
/// For each choice, the deltas of one kind concatenated equal that kind's
/// final value. A `.done` event closes a run of text: the text since the
/// previous `.done` of that kind (a block, or the text before a tool call);
/// in the usual stream with one run it is the whole value. So the texts of
/// the `.done` events of a kind, concatenated, also equal the final value,
/// and every byte of text appears in one delta and one `.done`, never more:
/// the event stream is linear in the stream's size. Empty deltas are not
/// reported.
///
/// Order within one payload follows the payload. For OpenAI chat chunks:
/// per choice in chunk order, the content, refusal, reasoning and extension
/// deltas, then log-probabilities, then the tool-call events (when the call
/// in progress changes: the text `.done` events at the first tool call, the
/// previous call's `arguments.done`, then the new call's `start`), then the
/// finish reason and the `.done` events it closes, then choice-level fields;
/// after the choices, usage and chunk-level fields. Unlike the SDK, a
/// `.done` event comes before the event that makes it due.
///
/// Every variant may gain fields: match with `..`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum Event<'a> {
    /// A piece of the message text.
    #[serde(rename = "content.delta")]
    #[non_exhaustive]
    ContentDelta {
        /// The choice's index.
        choice: u32,
        /// The format's position of the block, if it has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        block: Option<u32>,
        /// The new text.
        delta: Text<'a>,
    },
    /// A run of message text is complete (at the end of its block, at the
    /// first tool call, at the finish reason, or at the end of the stream).
    #[serde(rename = "content.done")]
    #[non_exhaustive]
    ContentDone {
        /// The choice's index.
        choice: u32,
        /// The format's position of the block, if it has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        block: Option<u32>,
        /// The text of the run.
        content: Text<'a>,
    },
    /// A piece of a refusal.
    #[serde(rename = "refusal.delta")]
    #[non_exhaustive]
    RefusalDelta {
        /// The choice's index.
        choice: u32,
        /// The format's position of the block, if it has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        block: Option<u32>,
        /// The new text.
        delta: Text<'a>,
    },
    /// A run of refusal text is complete.
    #[serde(rename = "refusal.done")]
    #[non_exhaustive]
    RefusalDone {
        /// The choice's index.
        choice: u32,
        /// The format's position of the block, if it has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        block: Option<u32>,
        /// The text of the run.
        refusal: Text<'a>,
    },
    /// A piece of reasoning text (chat `reasoning_content` / `reasoning`,
    /// Responses reasoning summaries and text, Anthropic thinking, Gemini
    /// thought parts, Ollama `thinking`). Not in the SDK.
    #[serde(rename = "reasoning.delta")]
    #[non_exhaustive]
    ReasoningDelta {
        /// The choice's index.
        choice: u32,
        /// The format's position of the block, if it has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        block: Option<u32>,
        /// The field it came in, where a format has several (chat:
        /// `reasoning_content` or `reasoning`).
        #[serde(skip_serializing_if = "Option::is_none")]
        field: Option<Text<'a>>,
        /// The new text.
        delta: Text<'a>,
    },
    /// A run of reasoning text is complete. Not in the SDK.
    #[serde(rename = "reasoning.done")]
    #[non_exhaustive]
    ReasoningDone {
        /// The choice's index.
        choice: u32,
        /// The format's position of the block, if it has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        block: Option<u32>,
        /// The field it came in, where a format has several.
        #[serde(skip_serializing_if = "Option::is_none")]
        field: Option<Text<'a>>,
        /// The text of the run.
        reasoning: Text<'a>,
    },
    /// A tool call the client must run begins. Not in the SDK.
    #[serde(rename = "tool_calls.function.start")]
    #[non_exhaustive]
    ToolCallStart {
        /// The choice's index.
        choice: u32,
        /// The format's position of the block, if it has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        block: Option<u32>,
        /// The tool call's index (OpenAI chat: its wire `index`; other
        /// formats: its 0-based ordinal within the choice).
        index: u32,
        /// Its id (`""` until one arrives).
        id: Text<'a>,
        /// The function name (`""` until one arrives).
        name: Text<'a>,
    },
    /// A piece of a tool call's arguments (JSON text).
    #[serde(rename = "tool_calls.function.arguments.delta")]
    #[non_exhaustive]
    ToolCallArgumentsDelta {
        /// The choice's index.
        choice: u32,
        /// The format's position of the block, if it has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        block: Option<u32>,
        /// The tool call's index.
        index: u32,
        /// The function name.
        name: Text<'a>,
        /// The new arguments text.
        arguments_delta: Text<'a>,
    },
    /// What a piece of a tool call's arguments changed in their value, as
    /// partial-JSON ops (see [`partial_json`](crate::partial_json)): right
    /// after the `arguments.delta` that caused it (or, for a number that
    /// is the whole arguments, before the `arguments.done`), when there is
    /// any change. Only with [`Fold::with_partial_json`](crate::Fold::with_partial_json).
    /// Applying a call's ops in order rebuilds its parsed arguments. Not in
    /// the SDK.
    #[serde(rename = "tool_calls.function.arguments.partial")]
    #[non_exhaustive]
    ToolCallArgumentsPartial {
        /// The choice's index.
        choice: u32,
        /// The format's position of the block, if it has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        block: Option<u32>,
        /// The tool call's index.
        index: u32,
        /// The changes, in order.
        ops: EventOps<'a>,
    },
    /// What a piece of content changed in its value, as partial-JSON ops,
    /// for a response whose content is JSON (structured outputs): right
    /// after the `content.delta` that caused it, when there is any change.
    /// Only with
    /// [`Fold::with_partial_json_content`](crate::Fold::with_partial_json_content).
    /// Applying a block's ops in order rebuilds its parsed content. Not in
    /// the SDK.
    #[serde(rename = "content.partial")]
    #[non_exhaustive]
    ContentPartial {
        /// The choice's index.
        choice: u32,
        /// The format's position of the block, if it has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        block: Option<u32>,
        /// The changes, in order.
        ops: EventOps<'a>,
    },
    /// A tool call's arguments are complete (at the end of its block, when
    /// the next call starts, at the finish reason, or at the end of the
    /// stream).
    #[serde(rename = "tool_calls.function.arguments.done")]
    #[non_exhaustive]
    ToolCallArgumentsDone {
        /// The choice's index.
        choice: u32,
        /// The format's position of the block, if it has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        block: Option<u32>,
        /// The tool call's index.
        index: u32,
        /// The function name.
        name: Text<'a>,
        /// The whole arguments text.
        arguments: Text<'a>,
    },
    /// New token log-probabilities of the content.
    #[serde(rename = "logprobs.content.delta")]
    #[non_exhaustive]
    LogprobsContentDelta {
        /// The choice's index.
        choice: u32,
        /// The new entries (a JSON array).
        content: RawJson<'a>,
    },
    /// The content's log-probabilities are complete.
    #[serde(rename = "logprobs.content.done")]
    #[non_exhaustive]
    LogprobsContentDone {
        /// The choice's index.
        choice: u32,
        /// The entries since the previous `.done` (a JSON array).
        content: RawJson<'a>,
    },
    /// New token log-probabilities of the refusal.
    #[serde(rename = "logprobs.refusal.delta")]
    #[non_exhaustive]
    LogprobsRefusalDelta {
        /// The choice's index.
        choice: u32,
        /// The new entries (a JSON array).
        refusal: RawJson<'a>,
    },
    /// The refusal's log-probabilities are complete.
    #[serde(rename = "logprobs.refusal.done")]
    #[non_exhaustive]
    LogprobsRefusalDone {
        /// The choice's index.
        choice: u32,
        /// The entries since the previous `.done` (a JSON array).
        refusal: RawJson<'a>,
    },
    /// A choice's finish reason arrived (the format's own value: chat
    /// `finish_reason`, Responses `status` or `incomplete_details.reason`,
    /// Anthropic `stop_reason`, Gemini `finishReason`, Ollama
    /// `done_reason`). Not in the SDK.
    #[serde(rename = "finish_reason")]
    #[non_exhaustive]
    FinishReason {
        /// The choice's index.
        choice: u32,
        /// The reason (`stop`, `length`, `tool_calls`, `end_turn`, …).
        finish_reason: Text<'a>,
    },
    /// Usage arrived. Not in the SDK.
    #[serde(rename = "usage")]
    #[non_exhaustive]
    Usage {
        /// The format's own usage object, as it stands after this payload
        /// (Anthropic: `message_start`'s and `message_delta`'s merged).
        usage: RawJson<'a>,
        /// The same counts, normalized across formats.
        tokens: TokenCounts,
    },
    /// An unknown top-level field with a non-null value (e.g. Azure's
    /// `prompt_filter_results`). Not in the SDK.
    #[serde(rename = "chunk.extra")]
    #[non_exhaustive]
    ChunkExtra {
        /// The field name.
        key: Text<'a>,
        /// Its value in this payload.
        value: RawJson<'a>,
    },
    /// An unknown choice-level field with a non-null value (e.g. Azure's
    /// `content_filter_results`). Not in the SDK.
    #[serde(rename = "choice.extra")]
    #[non_exhaustive]
    ChoiceExtra {
        /// The choice's index.
        choice: u32,
        /// The field name.
        key: Text<'a>,
        /// Its value in this payload.
        value: RawJson<'a>,
    },
    /// An unknown message-level field other than reasoning text (e.g.
    /// `annotations`). Not in the SDK.
    #[serde(rename = "delta.extra")]
    #[non_exhaustive]
    DeltaExtra {
        /// The choice's index.
        choice: u32,
        /// The field name.
        key: Text<'a>,
        /// Its value in this payload.
        value: RawJson<'a>,
    },
    /// Something departed from the format, was repaired or ignored; the
    /// stream goes on. Not in the SDK.
    #[serde(rename = "warning")]
    #[non_exhaustive]
    Warning {
        /// What happened.
        warning: Warning,
        /// Stream offset (0-based) of the byte concerned.
        offset: u64,
        /// Index of the SSE event (or NDJSON line) concerned.
        event_index: u64,
    },
    /// The stream ended (at its terminator, or at the end of input). Not in
    /// the SDK.
    #[serde(rename = "end")]
    #[non_exhaustive]
    End {
        /// How it ended.
        verdict: Verdict,
    },
}

/// How a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// The format's terminator arrived (`[DONE]`, `message_stop`, a terminal
    /// `response.*` event, Ollama's `done: true`; for Gemini, which has
    /// none, the end of input after every candidate's `finishReason`).
    Complete,
    /// No terminator, but every choice (at least one) has a finish reason.
    FinishedWithoutDone,
    /// Neither a terminator nor a finish reason for every choice.
    Truncated,
    /// As [`Verdict::Truncated`], and bytes after the last complete event
    /// (an event without its end) were dropped.
    TruncatedInsideEvent,
}

impl Verdict {
    /// True for the verdicts of a stream that ended early.
    pub fn is_truncated(self) -> bool {
        matches!(self, Verdict::Truncated | Verdict::TruncatedInsideEvent)
    }
}

/// What a [`Event::Warning`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Warning {
    /// An event after the stream's terminator: ignored, never merged.
    DataAfterDone,
    /// An event the format does not define (e.g. `event: ping` in a chat
    /// stream, an unknown Anthropic event type): skipped.
    UnknownEventType,
    /// An event whose data is empty or only whitespace: skipped.
    EmptyData,
    /// Bytes that are not UTF-8 were replaced with U+FFFD (as WHATWG's
    /// algorithm says); `offset` is the first of them. In tool arguments
    /// this is corruption.
    InvalidUtf8,
    /// A field departed from the format and its value was kept anyway
    /// (e.g. `"created": 1.7e9`, a numeric `"id"`, a chunk labelled
    /// `"object": "chat.completion"`).
    Lenient {
        /// The field, as a path (`created`).
        field: &'static str,
        /// What the format says it holds.
        expected: &'static str,
    },
    /// What the events said and what the final object holds part ways:
    /// a value sent at the end of a block or in a terminal event disagreed
    /// with its deltas (the later value was kept, and the events carry
    /// it); a block's start came after deltas of another kind (the start's
    /// kind was kept); text came for an item that holds no such text, or
    /// after the item or part was complete (Responses: such a delta is
    /// skipped, and so is a part added again after it was complete, or a
    /// second item at one output index); a complete item or part, or the
    /// terminal response, lacks text, a call or a call's arguments that
    /// streamed; parts or calls came out of the order the final object
    /// lists them in. Without this warning, the events add up to the final
    /// object.
    DeltasDisagree {
        /// What disagreed (`content`, `arguments`, …).
        field: &'static str,
    },
    /// A tool call's arguments are not valid JSON (or exceed the depth or
    /// size limit): its partial-JSON ops stopped at `arguments_offset` (the
    /// arguments text is kept as it came). The event's `offset` is that
    /// byte's place in the stream when the payload holds it unescaped, else
    /// where the fragment holding it begins (when the arguments end
    /// unfinished, at their `.done`: where their last fragment ends, or
    /// begins when escaped). Only with
    /// [`Fold::with_partial_json`](crate::Fold::with_partial_json).
    InvalidArguments {
        /// The choice's index.
        choice: u32,
        /// The tool call's index.
        index: u32,
        /// Byte offset (0-based) in the call's arguments text where they
        /// stop being JSON (see
        /// [`PartialJsonError`](crate::partial_json::PartialJsonError)).
        arguments_offset: u64,
    },
    /// Content read as partial JSON is not valid JSON (or exceeds the
    /// depth or size limit): the block's ops stopped at `content_offset`
    /// (the text is kept as it came). The event's `offset` is as for
    /// [`Warning::InvalidArguments`]. Only with
    /// [`Fold::with_partial_json_content`](crate::Fold::with_partial_json_content).
    InvalidContent {
        /// The choice's index.
        choice: u32,
        /// Byte offset (0-based) in the block's text where it stops being
        /// JSON.
        content_offset: u64,
    },
}

impl Event<'_> {
    /// An owned copy, independent of the engine's buffers.
    ///
    /// Cost: a copy of each text it borrows (text already shared with the
    /// bytes it arrived in, or owned, is not copied again).
    pub fn into_owned(self) -> Event<'static> {
        use Event::*;
        let o = Text::into_owned;
        let r = RawJson::into_owned;
        match self {
            ContentDelta {
                choice,
                block,
                delta,
            } => ContentDelta {
                choice,
                block,
                delta: o(delta),
            },
            ContentDone {
                choice,
                block,
                content,
            } => ContentDone {
                choice,
                block,
                content: o(content),
            },
            RefusalDelta {
                choice,
                block,
                delta,
            } => RefusalDelta {
                choice,
                block,
                delta: o(delta),
            },
            RefusalDone {
                choice,
                block,
                refusal,
            } => RefusalDone {
                choice,
                block,
                refusal: o(refusal),
            },
            ReasoningDelta {
                choice,
                block,
                field,
                delta,
            } => ReasoningDelta {
                choice,
                block,
                field: field.map(o),
                delta: o(delta),
            },
            ReasoningDone {
                choice,
                block,
                field,
                reasoning,
            } => ReasoningDone {
                choice,
                block,
                field: field.map(o),
                reasoning: o(reasoning),
            },
            ToolCallStart {
                choice,
                block,
                index,
                id,
                name,
            } => ToolCallStart {
                choice,
                block,
                index,
                id: o(id),
                name: o(name),
            },
            ToolCallArgumentsDelta {
                choice,
                block,
                index,
                name,
                arguments_delta,
            } => ToolCallArgumentsDelta {
                choice,
                block,
                index,
                name: o(name),
                arguments_delta: o(arguments_delta),
            },
            ToolCallArgumentsPartial {
                choice,
                block,
                index,
                ops,
            } => ToolCallArgumentsPartial {
                choice,
                block,
                index,
                ops: ops.into_owned(),
            },
            ContentPartial { choice, block, ops } => ContentPartial {
                choice,
                block,
                ops: ops.into_owned(),
            },
            ToolCallArgumentsDone {
                choice,
                block,
                index,
                name,
                arguments,
            } => ToolCallArgumentsDone {
                choice,
                block,
                index,
                name: o(name),
                arguments: o(arguments),
            },
            LogprobsContentDelta { choice, content } => LogprobsContentDelta {
                choice,
                content: r(content),
            },
            LogprobsContentDone { choice, content } => LogprobsContentDone {
                choice,
                content: r(content),
            },
            LogprobsRefusalDelta { choice, refusal } => LogprobsRefusalDelta {
                choice,
                refusal: r(refusal),
            },
            LogprobsRefusalDone { choice, refusal } => LogprobsRefusalDone {
                choice,
                refusal: r(refusal),
            },
            FinishReason {
                choice,
                finish_reason,
            } => FinishReason {
                choice,
                finish_reason: o(finish_reason),
            },
            Usage { usage, tokens } => Usage {
                usage: r(usage),
                tokens,
            },
            ChunkExtra { key, value } => ChunkExtra {
                key: o(key),
                value: r(value),
            },
            ChoiceExtra { choice, key, value } => ChoiceExtra {
                choice,
                key: o(key),
                value: r(value),
            },
            DeltaExtra { choice, key, value } => DeltaExtra {
                choice,
                key: o(key),
                value: r(value),
            },
            Warning {
                warning,
                offset,
                event_index,
            } => Warning {
                warning,
                offset,
                event_index,
            },
            End { verdict } => End { verdict },
        }
    }

    /// The choice index the event belongs to, if any.
    pub fn choice(&self) -> Option<u32> {
        use Event::*;
        match self {
            ContentDelta { choice, .. }
            | ContentDone { choice, .. }
            | RefusalDelta { choice, .. }
            | RefusalDone { choice, .. }
            | ReasoningDelta { choice, .. }
            | ReasoningDone { choice, .. }
            | ToolCallStart { choice, .. }
            | ToolCallArgumentsDelta { choice, .. }
            | ToolCallArgumentsPartial { choice, .. }
            | ContentPartial { choice, .. }
            | ToolCallArgumentsDone { choice, .. }
            | LogprobsContentDelta { choice, .. }
            | LogprobsContentDone { choice, .. }
            | LogprobsRefusalDelta { choice, .. }
            | LogprobsRefusalDone { choice, .. }
            | FinishReason { choice, .. }
            | ChoiceExtra { choice, .. }
            | DeltaExtra { choice, .. } => Some(*choice),
            Usage { .. } | ChunkExtra { .. } | Warning { .. } | End { .. } => None,
        }
    }

    /// The format's block position the event belongs to, if any.
    pub fn block(&self) -> Option<u32> {
        use Event::*;
        match self {
            ContentDelta { block, .. }
            | ContentDone { block, .. }
            | RefusalDelta { block, .. }
            | RefusalDone { block, .. }
            | ReasoningDelta { block, .. }
            | ReasoningDone { block, .. }
            | ToolCallStart { block, .. }
            | ToolCallArgumentsDelta { block, .. }
            | ToolCallArgumentsPartial { block, .. }
            | ContentPartial { block, .. }
            | ToolCallArgumentsDone { block, .. } => *block,
            _ => None,
        }
    }

    /// The event's name, as in its JSON `type` (`"content.delta"`, …).
    pub fn name(&self) -> &'static str {
        use Event::*;
        match self {
            ContentDelta { .. } => "content.delta",
            ContentDone { .. } => "content.done",
            RefusalDelta { .. } => "refusal.delta",
            RefusalDone { .. } => "refusal.done",
            ReasoningDelta { .. } => "reasoning.delta",
            ReasoningDone { .. } => "reasoning.done",
            ToolCallStart { .. } => "tool_calls.function.start",
            ToolCallArgumentsDelta { .. } => "tool_calls.function.arguments.delta",
            ToolCallArgumentsPartial { .. } => "tool_calls.function.arguments.partial",
            ContentPartial { .. } => "content.partial",
            ToolCallArgumentsDone { .. } => "tool_calls.function.arguments.done",
            LogprobsContentDelta { .. } => "logprobs.content.delta",
            LogprobsContentDone { .. } => "logprobs.content.done",
            LogprobsRefusalDelta { .. } => "logprobs.refusal.delta",
            LogprobsRefusalDone { .. } => "logprobs.refusal.done",
            FinishReason { .. } => "finish_reason",
            Usage { .. } => "usage",
            ChunkExtra { .. } => "chunk.extra",
            ChoiceExtra { .. } => "choice.extra",
            DeltaExtra { .. } => "delta.extra",
            Warning { .. } => "warning",
            End { .. } => "end",
        }
    }
}
