//! Partial JSON of tool arguments in the fold (DESIGN.md, "Partial JSON of
//! tool arguments"): one incremental reader per tool call, fed each piece
//! of arguments text once, as it is appended; what a piece changed is
//! queued as a `tool_calls.function.arguments.partial` event right after
//! its `arguments.delta`.
//!
//! Opt-in ([`State::partial_json`]): off, no reader is made and a piece of
//! arguments costs one branch. On, the ops of every event of a push live in
//! one buffer ([`State::ops`]), cleared with the queue, so the cost is
//! linear in the arguments and nothing is allocated per event once it has
//! grown (but one allocation per object key, the reader's own).
//!
//! A call's reader is made at its first non-empty piece, finished at its
//! `.done` (a number that is the whole arguments is complete only then),
//! and dropped at the first error (invalid JSON, the depth or size limit):
//! the call's ops stop with an `invalid_arguments` warning, its text goes
//! on. When a format's repeated whole text disagrees with the pieces (the
//! text is replaced), the reader starts over on the new text: its first op
//! sets the root, which replaces the value rebuilt so far.

use super::{At, Ev, State};
use crate::event::Warning;
use crate::json::partial::{OpTarget, Ops, PartialJson};
use crate::json::value::Value;

/// The partial-JSON reader of one tool call.
#[derive(Debug, Clone, Default)]
pub(crate) enum ToolPartial {
    /// No piece read yet (or partial JSON is off).
    #[default]
    Idle,
    Reading(Box<Reader>),
    /// Stopped by an error: no more ops for this call.
    Stopped,
}

#[derive(Debug, Clone)]
pub(crate) struct Reader {
    parser: PartialJson,
    /// Where the last piece ends in the stream, and its event's index: where
    /// an error at the end of the arguments is reported.
    end_offset: u64,
    event_index: u64,
}

/// Where a piece of arguments text sits in the payload it came in.
#[derive(Clone, Copy)]
pub(crate) struct PieceAt<'a> {
    pub at: &'a At<'a>,
    /// Payload position of the piece's first byte (of the payload, for text
    /// the decoder wrote).
    pub pos: usize,
    /// The piece is the payload's bytes unescaped: its byte `k` is at
    /// `pos + k`.
    pub exact: bool,
}

impl PieceAt<'_> {
    /// Stream offset of the piece's byte `k`.
    fn offset(&self, k: usize) -> u64 {
        (self.at.offset)(if self.exact { self.pos + k } else { self.pos })
    }
}

impl State {
    /// Reads call `tool`'s arguments from byte `start` (just appended), and
    /// queues what they changed.
    pub(super) fn read_partial(
        &mut self,
        slot: usize,
        tool: usize,
        start: usize,
        piece: Option<PieceAt<'_>>,
    ) {
        if !self.partial_json {
            return;
        }
        let st = &mut self.choices[slot];
        let choice = st.index;
        let call = &mut st.tools[tool];
        let Some(text) = call.arguments.get(start..).filter(|t| !t.is_empty()) else {
            return;
        };
        if matches!(call.partial, ToolPartial::Idle) {
            call.partial = ToolPartial::Reading(Box::new(Reader {
                parser: PartialJson::with_limits(self.partial_depth, self.partial_bytes),
                end_offset: 0,
                event_index: 0,
            }));
        }
        let ToolPartial::Reading(reader) = &mut call.partial else {
            return;
        };
        let base = reader.parser.offset();
        let before = self.ops.len();
        let result = reader.parser.push(text, &mut self.ops);
        if let Some(p) = piece {
            reader.end_offset = p.offset(text.len());
            reader.event_index = p.at.event_index;
        }
        let (end_offset, end_event) = (reader.end_offset, reader.event_index);
        if self.ops.len() > before {
            self.queue.push(Ev::ArgumentsPartial {
                slot,
                tool,
                start: before,
                end: self.ops.len(),
            });
        }
        if let Err(e) = result {
            let (offset, event_index) = match piece {
                Some(p) => {
                    let k = e.offset().saturating_sub(base).min(text.len() as u64) as usize;
                    (p.offset(k), p.at.event_index)
                }
                None => (end_offset, end_event),
            };
            let index = call.index;
            call.partial = ToolPartial::Stopped;
            self.queue.push(Ev::Warning {
                warning: Warning::InvalidArguments {
                    choice,
                    index,
                    arguments_offset: e.offset(),
                },
                offset,
                event_index,
            });
        }
    }

    /// Call `tool`'s arguments were replaced: reads them anew.
    pub(super) fn restart_partial(&mut self, slot: usize, tool: usize, piece: Option<PieceAt<'_>>) {
        if self.partial_json {
            self.choices[slot].tools[tool].partial = ToolPartial::Idle;
            self.read_partial(slot, tool, 0, piece);
        }
    }

    /// Call `tool`'s arguments are complete: a number that is all of them
    /// is set; unfinished arguments stop its ops with a warning.
    pub(super) fn finish_partial(&mut self, slot: usize, tool: usize) {
        let st = &mut self.choices[slot];
        let choice = st.index;
        let call = &mut st.tools[tool];
        let ToolPartial::Reading(reader) = &mut call.partial else {
            return;
        };
        let before = self.ops.len();
        let result = reader.parser.finish(&mut self.ops);
        let (offset, event_index) = (reader.end_offset, reader.event_index);
        if self.ops.len() > before {
            self.queue.push(Ev::ArgumentsPartial {
                slot,
                tool,
                start: before,
                end: self.ops.len(),
            });
        }
        if let Err(e) = result {
            let index = call.index;
            call.partial = ToolPartial::Stopped;
            self.queue.push(Ev::Warning {
                warning: Warning::InvalidArguments {
                    choice,
                    index,
                    arguments_offset: e.offset(),
                },
                offset,
                event_index,
            });
        }
    }

    /// The value of tool call `tool` of choice `choice` so far, as its ops
    /// rebuild it: read afresh from its text (O(text)).
    pub fn tool_value(&self, choice: u32, tool: u32) -> Option<Value> {
        let call = self.tool(choice, tool)?;
        let mut parser = PartialJson::with_limits(self.partial_depth, self.partial_bytes);
        let mut ops = Ops::new();
        // An error leaves the ops before it: the value up to the error.
        if parser.push(&call.arguments, &mut ops).is_ok() && call.done {
            let _ = parser.finish(&mut ops);
        }
        if ops.is_empty() {
            return None;
        }
        let mut value = Value::Null;
        value.apply_all(&ops).ok()?;
        Some(value)
    }
}
