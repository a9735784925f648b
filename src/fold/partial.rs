//! Partial JSON in the fold (DESIGN.md, "Partial JSON of tool arguments"):
//! one incremental reader per tool call (and, for JSON content, per
//! content block), fed each piece of text once, as it is appended; what a
//! piece changed is queued as a `tool_calls.function.arguments.partial`
//! (`content.partial`) event right after its delta.
//!
//! Opt-in ([`State::partial_json`], [`State::partial_content`]): off, no
//! reader is made and a piece costs one branch. On, the ops of every event
//! of a push live in one buffer ([`State::ops`]), cleared with the queue,
//! so the cost is linear in the text and nothing is allocated per event
//! once it has grown (but one allocation per object key, the reader's own).
//!
//! A reader is made at the first non-empty piece, finished at the text's
//! end (a call's `.done`, a content block's: a number that is the whole
//! text is complete only then), and dropped at the first error (invalid
//! JSON, the depth or size limit): the ops stop with an `invalid_arguments`
//! (`invalid_content`) warning, the text goes on. When a format's repeated
//! whole text disagrees with the pieces (the text is replaced), the reader
//! starts over on the new text: its first op sets the root, which replaces
//! the value rebuilt so far.

use super::{At, Ev, State};
use crate::event::Warning;
use crate::json::partial::{OpTarget, Ops, PartialJson, PartialJsonError};
use crate::json::value::Value;

/// The partial-JSON reader of one tool call or content block.
#[derive(Debug, Clone, Default)]
pub(crate) enum Partial {
    /// No piece read yet (or partial JSON is off).
    #[default]
    Idle,
    Reading(Box<Reader>),
    /// Stopped by an error: no more ops for this text.
    Stopped,
}

#[derive(Debug, Clone)]
pub(crate) struct Reader {
    parser: PartialJson,
    /// Where the last piece ends in the stream, and its event's index: where
    /// an error at the end of the text is reported.
    end_offset: u64,
    event_index: u64,
}

/// Where a piece of text sits in the payload it came in.
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

/// What reading a piece did: the new ops (`before..` in the buffer), and an
/// error with where it is reported (stream offset, event index).
struct Read {
    before: usize,
    error: Option<(PartialJsonError, u64, u64)>,
}

/// Feeds `text` (non-empty) to `partial`'s reader, made if idle; `None`
/// when it has stopped.
fn feed(
    partial: &mut Partial,
    text: &str,
    piece: Option<PieceAt<'_>>,
    ops: &mut Ops,
    limits: (usize, usize),
) -> Option<Read> {
    if matches!(partial, Partial::Idle) {
        *partial = Partial::Reading(Box::new(Reader {
            parser: PartialJson::with_limits(limits.0, limits.1),
            end_offset: 0,
            event_index: 0,
        }));
    }
    let Partial::Reading(reader) = partial else {
        return None;
    };
    let base = reader.parser.offset();
    let before = ops.len();
    let result = reader.parser.push(text, ops);
    if let Some(p) = piece {
        reader.end_offset = p.offset(text.len());
        reader.event_index = p.at.event_index;
    }
    let error = result.err().map(|e| match piece {
        Some(p) => {
            let k = e.offset().saturating_sub(base).min(text.len() as u64) as usize;
            (e, p.offset(k), p.at.event_index)
        }
        None => (e, reader.end_offset, reader.event_index),
    });
    if error.is_some() {
        *partial = Partial::Stopped;
    }
    Some(Read { before, error })
}

/// Finishes `partial`'s reader, if reading.
fn finish(partial: &mut Partial, ops: &mut Ops) -> Option<Read> {
    let Partial::Reading(reader) = partial else {
        return None;
    };
    let before = ops.len();
    let error = reader
        .parser
        .finish(ops)
        .err()
        .map(|e| (e, reader.end_offset, reader.event_index));
    if error.is_some() {
        *partial = Partial::Stopped;
    }
    Some(Read { before, error })
}

/// The value `text` rebuilds as partial JSON, as a reader would have
/// (finished when `done`): read afresh, O(text).
fn value_of(text: &str, done: bool, limits: (usize, usize)) -> Option<Value> {
    let mut parser = PartialJson::with_limits(limits.0, limits.1);
    let mut ops = Ops::new();
    // An error leaves the ops before it: the value up to the error.
    if parser.push(text, &mut ops).is_ok() && done {
        let _ = parser.finish(&mut ops);
    }
    if ops.is_empty() {
        return None;
    }
    let mut value = Value::Null;
    value.apply_all(&ops).ok()?;
    Some(value)
}

impl State {
    fn partial_limits(&self) -> (usize, usize) {
        (self.partial_depth, self.partial_bytes)
    }

    /// Queues the ops and the error of call `tool`'s reading.
    fn queue_tool_read(&mut self, slot: usize, tool: usize, read: Read) {
        if self.ops.len() > read.before {
            self.queue.push(Ev::ArgumentsPartial {
                slot,
                tool,
                start: read.before,
                end: self.ops.len(),
            });
        }
        if let Some((e, offset, event_index)) = read.error {
            let st = &self.choices[slot];
            self.queue.push(Ev::Warning {
                warning: Warning::InvalidArguments {
                    choice: st.index,
                    index: st.tools[tool].index,
                    arguments_offset: e.offset(),
                },
                offset,
                event_index,
            });
        }
    }

    /// Queues the ops and the error of block `b`'s reading.
    fn queue_block_read(&mut self, slot: usize, b: usize, read: Read) {
        if self.ops.len() > read.before {
            self.queue.push(Ev::ContentPartial {
                slot,
                block: b,
                start: read.before,
                end: self.ops.len(),
            });
        }
        if let Some((e, offset, event_index)) = read.error {
            self.queue.push(Ev::Warning {
                warning: Warning::InvalidContent {
                    choice: self.choices[slot].index,
                    content_offset: e.offset(),
                },
                offset,
                event_index,
            });
        }
    }

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
        let limits = self.partial_limits();
        let call = &mut self.choices[slot].tools[tool];
        let Some(text) = call.arguments.get(start..).filter(|t| !t.is_empty()) else {
            return;
        };
        if let Some(read) = feed(&mut call.partial, text, piece, &mut self.ops, limits) {
            self.queue_tool_read(slot, tool, read);
        }
    }

    /// Call `tool`'s arguments were replaced: reads them anew.
    pub(super) fn restart_partial(&mut self, slot: usize, tool: usize, piece: Option<PieceAt<'_>>) {
        if self.partial_json {
            self.choices[slot].tools[tool].partial = Partial::Idle;
            self.read_partial(slot, tool, 0, piece);
        }
    }

    /// Call `tool`'s arguments are complete: a number that is all of them
    /// is set; unfinished arguments stop its ops with a warning.
    pub(super) fn finish_partial(&mut self, slot: usize, tool: usize) {
        let call = &mut self.choices[slot].tools[tool];
        if let Some(read) = finish(&mut call.partial, &mut self.ops) {
            self.queue_tool_read(slot, tool, read);
        }
    }

    /// Reads content block `b`'s text from byte `start` (just appended),
    /// when content is read as partial JSON, and queues what it changed.
    pub(super) fn read_content(
        &mut self,
        slot: usize,
        b: usize,
        start: usize,
        piece: Option<PieceAt<'_>>,
    ) {
        if !self.partial_content {
            return;
        }
        let limits = self.partial_limits();
        let block = &mut self.choices[slot].blocks[b];
        if block.kind != crate::delta::BlockKind::Content {
            return;
        }
        let Some(text) = block.text.get(start..).filter(|t| !t.is_empty()) else {
            return;
        };
        if let Some(read) = feed(&mut block.partial, text, piece, &mut self.ops, limits) {
            self.queue_block_read(slot, b, read);
        }
    }

    /// Block `b`'s text was replaced: reads it anew.
    pub(super) fn restart_content(&mut self, slot: usize, b: usize, piece: Option<PieceAt<'_>>) {
        if self.partial_content {
            self.choices[slot].blocks[b].partial = Partial::Idle;
            self.read_content(slot, b, 0, piece);
        }
    }

    /// Block `b`'s text is complete: its reader is finished, and text
    /// after it (not JSON's) gives no more ops.
    pub(super) fn finish_content(&mut self, slot: usize, b: usize) {
        let block = &mut self.choices[slot].blocks[b];
        if let Some(read) = finish(&mut block.partial, &mut self.ops) {
            block.partial = Partial::Stopped;
            self.queue_block_read(slot, b, read);
        }
    }

    /// The value of tool call `tool` of choice `choice` so far, as its ops
    /// rebuild it: read afresh from its text (O(text)).
    pub fn tool_value(&self, choice: u32, tool: u32) -> Option<Value> {
        let call = self.tool(choice, tool)?;
        value_of(&call.arguments, call.done, self.partial_limits())
    }

    /// The value of choice `choice`'s first content block so far, read as
    /// partial JSON from its text (O(text)); complete once the block was
    /// closed (its `.done`, the finish reason).
    pub fn content_value(&self, choice: u32) -> Option<Value> {
        let slot = self.choice_of(choice)?;
        let b = self.choices[slot]
            .blocks
            .iter()
            .find(|b| b.kind == crate::delta::BlockKind::Content)?;
        let done = !b.run_open() && !b.text.is_empty();
        value_of(&b.text, done, self.partial_limits())
    }
}
