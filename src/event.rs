//! Incremental events, named like the OpenAI Python SDK's stream events.

use std::borrow::Cow;

use serde::Serialize;

use crate::json::value::RawJson;

/// One incremental event.
///
/// Names and field names follow the OpenAI Python SDK's chat stream events
/// (`content.delta`, `tool_calls.function.arguments.done`, …), each with the
/// `choice` index added; the events the SDK lacks are marked below. Strings
/// borrow the engine's buffers (sync API) or are owned (async API, see
/// [`Event::into_owned`]).
///
/// For each choice, the deltas of one kind concatenated equal that kind's
/// final value, and the last `.done` event of a kind carries it. Empty
/// deltas are not reported.
///
/// Order within one chunk: per choice in chunk order, the content, refusal,
/// reasoning and extension deltas, then log-probabilities, then the
/// tool-call events (when the call in progress changes: the text `.done`
/// events at the first tool call, the previous call's `arguments.done`, then
/// the new call's `start`), then the finish reason and the `.done` events it
/// closes, then choice-level fields; after the choices, usage and chunk-level
/// fields. Unlike the SDK, a `.done` event comes
/// before the event that makes it due, and nothing is emitted for a chunk
/// itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum Event<'a> {
    /// A piece of the message text.
    #[serde(rename = "content.delta")]
    ContentDelta {
        /// The choice's index.
        choice: u32,
        /// The new text.
        delta: Cow<'a, str>,
    },
    /// The message text is complete (at the finish reason, at the first tool
    /// call, or at the end of the stream).
    #[serde(rename = "content.done")]
    ContentDone {
        /// The choice's index.
        choice: u32,
        /// The whole text.
        content: Cow<'a, str>,
    },
    /// A piece of a refusal.
    #[serde(rename = "refusal.delta")]
    RefusalDelta {
        /// The choice's index.
        choice: u32,
        /// The new text.
        delta: Cow<'a, str>,
    },
    /// The refusal is complete.
    #[serde(rename = "refusal.done")]
    RefusalDone {
        /// The choice's index.
        choice: u32,
        /// The whole refusal.
        refusal: Cow<'a, str>,
    },
    /// A piece of reasoning text (`reasoning` or `reasoning_content` delta
    /// fields). Not in the SDK.
    #[serde(rename = "reasoning.delta")]
    ReasoningDelta {
        /// The choice's index.
        choice: u32,
        /// The delta field it came in.
        field: Cow<'a, str>,
        /// The new text.
        delta: Cow<'a, str>,
    },
    /// The reasoning text of one field is complete. Not in the SDK.
    #[serde(rename = "reasoning.done")]
    ReasoningDone {
        /// The choice's index.
        choice: u32,
        /// The delta field it came in.
        field: Cow<'a, str>,
        /// The whole reasoning text.
        reasoning: Cow<'a, str>,
    },
    /// A tool call begins. Not in the SDK.
    #[serde(rename = "tool_calls.function.start")]
    ToolCallStart {
        /// The choice's index.
        choice: u32,
        /// The tool call's index.
        index: u32,
        /// Its id (`""` until one arrives).
        id: Cow<'a, str>,
        /// The function name (`""` until one arrives).
        name: Cow<'a, str>,
    },
    /// A piece of a tool call's arguments.
    #[serde(rename = "tool_calls.function.arguments.delta")]
    ToolCallArgumentsDelta {
        /// The choice's index.
        choice: u32,
        /// The tool call's index.
        index: u32,
        /// The function name.
        name: Cow<'a, str>,
        /// The new arguments text.
        arguments_delta: Cow<'a, str>,
        /// All arguments so far (not serialised: it would make the event
        /// stream quadratic in size).
        #[serde(skip)]
        arguments: Cow<'a, str>,
    },
    /// A tool call's arguments are complete (when the next call starts, at
    /// the finish reason, or at the end of the stream).
    #[serde(rename = "tool_calls.function.arguments.done")]
    ToolCallArgumentsDone {
        /// The choice's index.
        choice: u32,
        /// The tool call's index.
        index: u32,
        /// The function name.
        name: Cow<'a, str>,
        /// The whole arguments text.
        arguments: Cow<'a, str>,
    },
    /// New token log-probabilities of the content.
    #[serde(rename = "logprobs.content.delta")]
    LogprobsContentDelta {
        /// The choice's index.
        choice: u32,
        /// The new entries (a JSON array).
        content: RawJson<'a>,
    },
    /// The content's log-probabilities are complete.
    #[serde(rename = "logprobs.content.done")]
    LogprobsContentDone {
        /// The choice's index.
        choice: u32,
        /// All entries (a JSON array).
        content: RawJson<'a>,
    },
    /// New token log-probabilities of the refusal.
    #[serde(rename = "logprobs.refusal.delta")]
    LogprobsRefusalDelta {
        /// The choice's index.
        choice: u32,
        /// The new entries (a JSON array).
        refusal: RawJson<'a>,
    },
    /// The refusal's log-probabilities are complete.
    #[serde(rename = "logprobs.refusal.done")]
    LogprobsRefusalDone {
        /// The choice's index.
        choice: u32,
        /// All entries (a JSON array).
        refusal: RawJson<'a>,
    },
    /// A choice's `finish_reason` arrived. Not in the SDK.
    #[serde(rename = "finish_reason")]
    FinishReason {
        /// The choice's index.
        choice: u32,
        /// The reason (`stop`, `length`, `tool_calls`, …).
        finish_reason: Cow<'a, str>,
    },
    /// A `usage` object arrived. Not in the SDK.
    #[serde(rename = "usage")]
    Usage {
        /// The object as sent.
        usage: RawJson<'a>,
        /// Its `prompt_tokens`, when an integer.
        #[serde(skip)]
        prompt_tokens: Option<u64>,
        /// Its `completion_tokens`, when an integer.
        #[serde(skip)]
        completion_tokens: Option<u64>,
        /// Its `total_tokens`, when an integer.
        #[serde(skip)]
        total_tokens: Option<u64>,
    },
    /// An unknown chunk-level field with a non-null value (e.g. Azure's
    /// `prompt_filter_results`). Not in the SDK.
    #[serde(rename = "chunk.extra")]
    ChunkExtra {
        /// The field name.
        key: Cow<'a, str>,
        /// Its value in this chunk.
        value: RawJson<'a>,
    },
    /// An unknown choice-level field with a non-null value (e.g. Azure's
    /// `content_filter_results`). Not in the SDK.
    #[serde(rename = "choice.extra")]
    ChoiceExtra {
        /// The choice's index.
        choice: u32,
        /// The field name.
        key: Cow<'a, str>,
        /// Its value in this chunk.
        value: RawJson<'a>,
    },
    /// An unknown delta field other than reasoning text (e.g.
    /// `annotations`). Not in the SDK.
    #[serde(rename = "delta.extra")]
    DeltaExtra {
        /// The choice's index.
        choice: u32,
        /// The field name.
        key: Cow<'a, str>,
        /// Its value in this chunk.
        value: RawJson<'a>,
    },
    /// Something was ignored; the stream goes on. Not in the SDK.
    #[serde(rename = "warning")]
    Warning {
        /// What was ignored.
        warning: Warning,
        /// Stream offset of the ignored event's data.
        offset: u64,
        /// Index of the ignored SSE event.
        event_index: u64,
    },
    /// The stream ended (at `[DONE]`, or at the end of input). Not in the
    /// SDK.
    #[serde(rename = "end")]
    End {
        /// How it ended.
        verdict: Verdict,
    },
}

/// How a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// `data: [DONE]` arrived.
    Complete,
    /// No `[DONE]`, but every choice (at least one) has a finish reason.
    FinishedWithoutDone,
    /// Neither `[DONE]` nor a finish reason for every choice.
    Truncated,
    /// As [`Verdict::Truncated`], and bytes after the last blank line (an
    /// event without its end) were dropped.
    TruncatedInsideEvent,
}

impl Verdict {
    /// True for the verdicts of a stream that ended early.
    pub fn is_truncated(self) -> bool {
        matches!(self, Verdict::Truncated | Verdict::TruncatedInsideEvent)
    }
}

/// What a [`Event::Warning`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Warning {
    /// An event after `data: [DONE]`: ignored, never merged.
    DataAfterDone,
    /// An event whose type is neither `message` nor `error` (e.g. `ping`).
    UnknownEventType,
    /// An event whose data is empty or only whitespace.
    EmptyData,
}

impl Event<'_> {
    /// An owned copy, independent of the engine's buffers.
    pub fn into_owned(self) -> Event<'static> {
        fn o(s: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(s.into_owned())
        }
        match self {
            Event::ContentDelta { choice, delta } => Event::ContentDelta {
                choice,
                delta: o(delta),
            },
            Event::ContentDone { choice, content } => Event::ContentDone {
                choice,
                content: o(content),
            },
            Event::RefusalDelta { choice, delta } => Event::RefusalDelta {
                choice,
                delta: o(delta),
            },
            Event::RefusalDone { choice, refusal } => Event::RefusalDone {
                choice,
                refusal: o(refusal),
            },
            Event::ReasoningDelta {
                choice,
                field,
                delta,
            } => Event::ReasoningDelta {
                choice,
                field: o(field),
                delta: o(delta),
            },
            Event::ReasoningDone {
                choice,
                field,
                reasoning,
            } => Event::ReasoningDone {
                choice,
                field: o(field),
                reasoning: o(reasoning),
            },
            Event::ToolCallStart {
                choice,
                index,
                id,
                name,
            } => Event::ToolCallStart {
                choice,
                index,
                id: o(id),
                name: o(name),
            },
            Event::ToolCallArgumentsDelta {
                choice,
                index,
                name,
                arguments_delta,
                arguments,
            } => Event::ToolCallArgumentsDelta {
                choice,
                index,
                name: o(name),
                arguments_delta: o(arguments_delta),
                arguments: o(arguments),
            },
            Event::ToolCallArgumentsDone {
                choice,
                index,
                name,
                arguments,
            } => Event::ToolCallArgumentsDone {
                choice,
                index,
                name: o(name),
                arguments: o(arguments),
            },
            Event::LogprobsContentDelta { choice, content } => Event::LogprobsContentDelta {
                choice,
                content: content.into_owned(),
            },
            Event::LogprobsContentDone { choice, content } => Event::LogprobsContentDone {
                choice,
                content: content.into_owned(),
            },
            Event::LogprobsRefusalDelta { choice, refusal } => Event::LogprobsRefusalDelta {
                choice,
                refusal: refusal.into_owned(),
            },
            Event::LogprobsRefusalDone { choice, refusal } => Event::LogprobsRefusalDone {
                choice,
                refusal: refusal.into_owned(),
            },
            Event::FinishReason {
                choice,
                finish_reason,
            } => Event::FinishReason {
                choice,
                finish_reason: o(finish_reason),
            },
            Event::Usage {
                usage,
                prompt_tokens,
                completion_tokens,
                total_tokens,
            } => Event::Usage {
                usage: usage.into_owned(),
                prompt_tokens,
                completion_tokens,
                total_tokens,
            },
            Event::ChunkExtra { key, value } => Event::ChunkExtra {
                key: o(key),
                value: value.into_owned(),
            },
            Event::ChoiceExtra { choice, key, value } => Event::ChoiceExtra {
                choice,
                key: o(key),
                value: value.into_owned(),
            },
            Event::DeltaExtra { choice, key, value } => Event::DeltaExtra {
                choice,
                key: o(key),
                value: value.into_owned(),
            },
            Event::Warning {
                warning,
                offset,
                event_index,
            } => Event::Warning {
                warning,
                offset,
                event_index,
            },
            Event::End { verdict } => Event::End { verdict },
        }
    }

    /// The choice index the event belongs to, if any.
    pub fn choice(&self) -> Option<u32> {
        match self {
            Event::ContentDelta { choice, .. }
            | Event::ContentDone { choice, .. }
            | Event::RefusalDelta { choice, .. }
            | Event::RefusalDone { choice, .. }
            | Event::ReasoningDelta { choice, .. }
            | Event::ReasoningDone { choice, .. }
            | Event::ToolCallStart { choice, .. }
            | Event::ToolCallArgumentsDelta { choice, .. }
            | Event::ToolCallArgumentsDone { choice, .. }
            | Event::LogprobsContentDelta { choice, .. }
            | Event::LogprobsContentDone { choice, .. }
            | Event::LogprobsRefusalDelta { choice, .. }
            | Event::LogprobsRefusalDone { choice, .. }
            | Event::FinishReason { choice, .. }
            | Event::ChoiceExtra { choice, .. }
            | Event::DeltaExtra { choice, .. } => Some(*choice),
            Event::Usage { .. }
            | Event::ChunkExtra { .. }
            | Event::Warning { .. }
            | Event::End { .. } => None,
        }
    }

    /// The event's name, as in its JSON `type` (`"content.delta"`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Event::ContentDelta { .. } => "content.delta",
            Event::ContentDone { .. } => "content.done",
            Event::RefusalDelta { .. } => "refusal.delta",
            Event::RefusalDone { .. } => "refusal.done",
            Event::ReasoningDelta { .. } => "reasoning.delta",
            Event::ReasoningDone { .. } => "reasoning.done",
            Event::ToolCallStart { .. } => "tool_calls.function.start",
            Event::ToolCallArgumentsDelta { .. } => "tool_calls.function.arguments.delta",
            Event::ToolCallArgumentsDone { .. } => "tool_calls.function.arguments.done",
            Event::LogprobsContentDelta { .. } => "logprobs.content.delta",
            Event::LogprobsContentDone { .. } => "logprobs.content.done",
            Event::LogprobsRefusalDelta { .. } => "logprobs.refusal.delta",
            Event::LogprobsRefusalDone { .. } => "logprobs.refusal.done",
            Event::FinishReason { .. } => "finish_reason",
            Event::Usage { .. } => "usage",
            Event::ChunkExtra { .. } => "chunk.extra",
            Event::ChoiceExtra { .. } => "choice.extra",
            Event::DeltaExtra { .. } => "delta.extra",
            Event::Warning { .. } => "warning",
            Event::End { .. } => "end",
        }
    }
}
