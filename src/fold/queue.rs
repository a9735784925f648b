//! Queued events: small position records, turned into [`Event`]s on demand.

use super::choice::Key;
use super::State;
use crate::delta::{BlockKind, LogprobsKind};
use crate::event::{Event, Verdict, Warning};
use crate::json::raw::RawJson;
use crate::text::Text;

type Range = (usize, usize);

/// Where an extension field sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExtraAt {
    Chunk,
    Choice(usize),
    Delta(usize),
}

/// One queued event. `slot` is a choice's slot, `block` a block's slot and
/// `tool` a call's slot within it; text ranges point into the state's
/// buffers (which only grow until the queue is cleared) or the arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ev {
    TextDelta {
        slot: usize,
        block: usize,
        start: usize,
        end: usize,
        /// `start..end` is in the arena, not the block's buffer, and the
        /// block was of this kind then.
        stashed: Option<BlockKind>,
    },
    TextDone {
        slot: usize,
        block: usize,
        start: usize,
        end: usize,
        /// `start..end` is in the arena, not the block's buffer, and the
        /// block was of this kind then.
        stashed: Option<BlockKind>,
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
        /// `start..end` is in the arena, not the block's (call's) buffer.
        stashed: bool,
    },
    /// `start..end`: the ops in the state's buffer.
    ArgumentsPartial {
        slot: usize,
        tool: usize,
        start: usize,
        end: usize,
    },
    /// `start..end`: the ops in the state's buffer.
    ContentPartial {
        slot: usize,
        block: usize,
        start: usize,
        end: usize,
    },
    ArgumentsDone {
        slot: usize,
        tool: usize,
        name: usize,
        start: usize,
        end: usize,
        /// `start..end` is in the arena, not the block's (call's) buffer.
        stashed: bool,
    },
    ListDelta {
        slot: usize,
        list: usize,
        raw: Range,
    },
    ListDone {
        slot: usize,
        list: usize,
        raw: Range,
    },
    FinishReason {
        slot: usize,
        raw: Range,
    },
    /// `tokens`: an entry of the state's `usage_tokens`.
    Usage {
        raw: Range,
        tokens: usize,
    },
    Extra {
        at: ExtraAt,
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
/// are taken from buffers that only grow until the queue is cleared, and
/// a buffer about to be replaced has its queued ranges stashed first).
fn sub(s: &str, a: usize, b: usize) -> Text<'_> {
    Text::from(s.get(a..b).unwrap_or(""))
}

impl State {
    /// The public form of a queued event.
    pub(crate) fn resolve(&self, ev: &Ev) -> Event<'_> {
        let arena = |(a, b): Range| sub(&self.arena, a, b);
        let raw = |r: Range| RawJson(arena(r));
        let choice = |slot: usize| self.choices[slot].index;
        match *ev {
            Ev::TextDelta {
                slot,
                block,
                start,
                end,
                stashed,
            } => {
                let b = &self.choices[slot].blocks[block];
                let (src, kind) = match stashed {
                    Some(kind) => (&self.arena, kind),
                    None => (&b.text, b.kind),
                };
                let delta = sub(src, start, end);
                let (choice, block) = (choice(slot), b.event_block());
                match kind {
                    BlockKind::Refusal => Event::RefusalDelta {
                        choice,
                        block,
                        delta,
                    },
                    BlockKind::Reasoning => Event::ReasoningDelta {
                        choice,
                        block,
                        field: field_name(&b.key),
                        delta,
                    },
                    _ => Event::ContentDelta {
                        choice,
                        block,
                        delta,
                    },
                }
            }
            Ev::TextDone {
                slot,
                block,
                start,
                end,
                stashed,
            } => {
                let b = &self.choices[slot].blocks[block];
                let (src, kind) = match stashed {
                    Some(kind) => (&self.arena, kind),
                    None => (&b.text, b.kind),
                };
                let text = sub(src, start, end);
                let (choice, block) = (choice(slot), b.event_block());
                match kind {
                    BlockKind::Refusal => Event::RefusalDone {
                        choice,
                        block,
                        refusal: text,
                    },
                    BlockKind::Reasoning => Event::ReasoningDone {
                        choice,
                        block,
                        field: field_name(&b.key),
                        reasoning: text,
                    },
                    _ => Event::ContentDone {
                        choice,
                        block,
                        content: text,
                    },
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
                    block: t.event_block,
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
                stashed,
            } => {
                let t = &self.choices[slot].tools[tool];
                let src = if stashed { &self.arena } else { &t.arguments };
                Event::ToolCallArgumentsDelta {
                    choice: choice(slot),
                    block: t.event_block,
                    index: t.index,
                    name: sub(&t.name, 0, name),
                    arguments_delta: sub(src, start, end),
                }
            }
            Ev::ArgumentsPartial {
                slot,
                tool,
                start,
                end,
            } => {
                let t = &self.choices[slot].tools[tool];
                Event::ToolCallArgumentsPartial {
                    choice: choice(slot),
                    block: t.event_block,
                    index: t.index,
                    ops: self.ops.range(start..end).into(),
                }
            }
            Ev::ContentPartial {
                slot,
                block,
                start,
                end,
            } => Event::ContentPartial {
                choice: choice(slot),
                block: self.choices[slot].blocks[block].event_block(),
                ops: self.ops.range(start..end).into(),
            },
            Ev::ArgumentsDone {
                slot,
                tool,
                name,
                start,
                end,
                stashed,
            } => {
                let t = &self.choices[slot].tools[tool];
                let src = if stashed { &self.arena } else { &t.arguments };
                Event::ToolCallArgumentsDone {
                    choice: choice(slot),
                    block: t.event_block,
                    index: t.index,
                    name: sub(&t.name, 0, name),
                    arguments: sub(src, start, end),
                }
            }
            Ev::ListDelta { slot, list, raw: r } => {
                let kind = self.choices[slot].lists[list].kind;
                match kind {
                    LogprobsKind::Refusal => Event::LogprobsRefusalDelta {
                        choice: choice(slot),
                        refusal: raw(r),
                    },
                    _ => Event::LogprobsContentDelta {
                        choice: choice(slot),
                        content: raw(r),
                    },
                }
            }
            Ev::ListDone { slot, list, raw: r } => {
                let kind = self.choices[slot].lists[list].kind;
                match kind {
                    LogprobsKind::Refusal => Event::LogprobsRefusalDone {
                        choice: choice(slot),
                        refusal: raw(r),
                    },
                    _ => Event::LogprobsContentDone {
                        choice: choice(slot),
                        content: raw(r),
                    },
                }
            }
            Ev::FinishReason { slot, raw: r } => Event::FinishReason {
                choice: choice(slot),
                finish_reason: arena(r),
            },
            Ev::Usage { raw: r, tokens } => Event::Usage {
                usage: raw(r),
                tokens: self.usage_tokens.get(tokens).copied().unwrap_or_default(),
            },
            Ev::Extra { at, key, value } => match at {
                ExtraAt::Chunk => Event::ChunkExtra {
                    key: arena(key),
                    value: raw(value),
                },
                ExtraAt::Choice(slot) => Event::ChoiceExtra {
                    choice: choice(slot),
                    key: arena(key),
                    value: raw(value),
                },
                ExtraAt::Delta(slot) => Event::DeltaExtra {
                    choice: choice(slot),
                    key: arena(key),
                    value: raw(value),
                },
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

fn field_name(key: &Key) -> Option<Text<'_>> {
    match key {
        Key::Field(f) => Some(Text::from(f.as_str())),
        _ => None,
    }
}
