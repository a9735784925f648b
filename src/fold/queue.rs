//! Queued events: small position records, turned into [`Event`]s on demand.

use std::borrow::Cow;

use super::Fold;
use crate::event::{Event, Verdict, Warning};
use crate::json::value::RawJson;

type Range = (usize, usize);

/// One queued event. `slot` is a choice's slot, `tool` a call's slot within
/// it; text ranges point into the state's buffers (deltas, `.done` ends) or
/// the arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ev {
    ContentDelta {
        slot: usize,
        start: usize,
        end: usize,
    },
    ContentDone {
        slot: usize,
        end: usize,
    },
    RefusalDelta {
        slot: usize,
        start: usize,
        end: usize,
    },
    RefusalDone {
        slot: usize,
        end: usize,
    },
    ReasoningDelta {
        slot: usize,
        field: usize,
        start: usize,
        end: usize,
    },
    ReasoningDone {
        slot: usize,
        field: usize,
        end: usize,
    },
    /// `id` and `name` are the lengths of the call's id and name then
    /// (set-once values: a prefix of the final one is the value at the time).
    ToolStart {
        slot: usize,
        tool: usize,
        id: usize,
        name: usize,
    },
    ArgumentsDelta {
        slot: usize,
        tool: usize,
        name: usize,
        start: usize,
        end: usize,
    },
    ArgumentsDone {
        slot: usize,
        tool: usize,
        name: usize,
        end: usize,
    },
    LogprobsContentDelta {
        slot: usize,
        raw: Range,
    },
    LogprobsContentDone {
        slot: usize,
        raw: Range,
    },
    LogprobsRefusalDelta {
        slot: usize,
        raw: Range,
    },
    LogprobsRefusalDone {
        slot: usize,
        raw: Range,
    },
    FinishReason {
        slot: usize,
        raw: Range,
    },
    Usage {
        raw: Range,
        counts: usize,
    },
    ChunkExtra {
        key: Range,
        value: Range,
    },
    ChoiceExtra {
        slot: usize,
        key: Range,
        value: Range,
    },
    DeltaExtra {
        slot: usize,
        key: Range,
        value: Range,
    },
    Warning {
        warning: Warning,
        offset: u64,
        event_index: u64,
    },
    End {
        verdict: Verdict,
    },
}

/// `s[a..b]`, or `""` should a range ever be stale (it cannot be: ranges
/// are taken from buffers that only grow until the queue is cleared).
fn sub(s: &str, a: usize, b: usize) -> Cow<'_, str> {
    Cow::Borrowed(s.get(a..b).unwrap_or(""))
}

impl Fold {
    /// The public form of a queued event.
    pub(crate) fn resolve(&self, ev: &Ev) -> Event<'_> {
        let arena = |(a, b): Range| sub(&self.arena, a, b);
        let raw = |r: Range| RawJson(arena(r));
        let choice = |slot: usize| self.choices[slot].index;
        match *ev {
            Ev::ContentDelta { slot, start, end } => Event::ContentDelta {
                choice: choice(slot),
                delta: sub(&self.choices[slot].content, start, end),
            },
            Ev::ContentDone { slot, end } => Event::ContentDone {
                choice: choice(slot),
                content: sub(&self.choices[slot].content, 0, end),
            },
            Ev::RefusalDelta { slot, start, end } => Event::RefusalDelta {
                choice: choice(slot),
                delta: sub(refusal(self, slot), start, end),
            },
            Ev::RefusalDone { slot, end } => Event::RefusalDone {
                choice: choice(slot),
                refusal: sub(refusal(self, slot), 0, end),
            },
            Ev::ReasoningDelta {
                slot,
                field,
                start,
                end,
            } => {
                let r = &self.choices[slot].reasoning[field];
                Event::ReasoningDelta {
                    choice: choice(slot),
                    field: Cow::Borrowed(&r.field),
                    delta: sub(&r.text, start, end),
                }
            }
            Ev::ReasoningDone { slot, field, end } => {
                let r = &self.choices[slot].reasoning[field];
                Event::ReasoningDone {
                    choice: choice(slot),
                    field: Cow::Borrowed(&r.field),
                    reasoning: sub(&r.text, 0, end),
                }
            }
            Ev::ToolStart {
                slot,
                tool,
                id,
                name,
            } => {
                let t = &self.choices[slot].tools[tool];
                Event::ToolCallStart {
                    choice: choice(slot),
                    index: t.index,
                    id: sub(&t.id, 0, id),
                    name: sub(&t.name, 0, name),
                }
            }
            Ev::ArgumentsDelta {
                slot,
                tool,
                name,
                start,
                end,
            } => {
                let t = &self.choices[slot].tools[tool];
                Event::ToolCallArgumentsDelta {
                    choice: choice(slot),
                    index: t.index,
                    name: sub(&t.name, 0, name),
                    arguments_delta: sub(&t.arguments, start, end),
                    arguments: sub(&t.arguments, 0, end),
                }
            }
            Ev::ArgumentsDone {
                slot,
                tool,
                name,
                end,
            } => {
                let t = &self.choices[slot].tools[tool];
                Event::ToolCallArgumentsDone {
                    choice: choice(slot),
                    index: t.index,
                    name: sub(&t.name, 0, name),
                    arguments: sub(&t.arguments, 0, end),
                }
            }
            Ev::LogprobsContentDelta { slot, raw: r } => Event::LogprobsContentDelta {
                choice: choice(slot),
                content: raw(r),
            },
            Ev::LogprobsContentDone { slot, raw: r } => Event::LogprobsContentDone {
                choice: choice(slot),
                content: raw(r),
            },
            Ev::LogprobsRefusalDelta { slot, raw: r } => Event::LogprobsRefusalDelta {
                choice: choice(slot),
                refusal: raw(r),
            },
            Ev::LogprobsRefusalDone { slot, raw: r } => Event::LogprobsRefusalDone {
                choice: choice(slot),
                refusal: raw(r),
            },
            Ev::FinishReason { slot, raw: r } => Event::FinishReason {
                choice: choice(slot),
                finish_reason: arena(r),
            },
            Ev::Usage { raw: r, counts } => {
                let [prompt_tokens, completion_tokens, total_tokens] =
                    self.usage_counts.get(counts).copied().unwrap_or_default();
                Event::Usage {
                    usage: raw(r),
                    prompt_tokens,
                    completion_tokens,
                    total_tokens,
                }
            }
            Ev::ChunkExtra { key, value } => Event::ChunkExtra {
                key: arena(key),
                value: raw(value),
            },
            Ev::ChoiceExtra { slot, key, value } => Event::ChoiceExtra {
                choice: choice(slot),
                key: arena(key),
                value: raw(value),
            },
            Ev::DeltaExtra { slot, key, value } => Event::DeltaExtra {
                choice: choice(slot),
                key: arena(key),
                value: raw(value),
            },
            Ev::Warning {
                warning,
                offset,
                event_index,
            } => Event::Warning {
                warning,
                offset,
                event_index,
            },
            Ev::End { verdict } => Event::End { verdict },
        }
    }
}

fn refusal(fold: &Fold, slot: usize) -> &str {
    fold.choices[slot].refusal.as_deref().unwrap_or("")
}
