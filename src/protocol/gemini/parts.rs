//! The ops of a candidate's parts, against what the merge of that candidate
//! keeps across payloads: which part the next text part may join, the next
//! client call's index, the streamed call in progress.
//!
//! A text part joins the last merged part when both are plain text parts
//! (no member besides `text`, `thought`, `thoughtSignature`) with the same
//! `thought` flag and not both signed; otherwise it starts the next block.
//! A call part starts a tool call (its block holds the part's object); a
//! streamed one stays open until a part ends it. A piece of streamed
//! arguments that cannot continue them in order is kept as it came in the
//! call's `partialArgs` (and so in the final object), with a warning; one
//! with members the format does not define is used and kept too.

use super::args::{ArgsWriter, Piece as ArgPiece};
use super::decode::{Call, Extra, Part, Piece, PieceValue};
use super::fields as f;
use super::path::Path;
use crate::delta::{BlockKey, BlockKind, Delta, Key, Op, Raw, Rule, Scope, StrSpan, ValueKind};
use crate::event::Warning;

/// What a candidate's last merged part is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Last {
    /// None yet, or a part nothing joins (a call, any other part).
    Closed,
    Text {
        block: u32,
        thought: bool,
        signed: bool,
        plain: bool,
    },
}

/// A streamed function call in progress.
#[derive(Debug, Clone)]
pub(super) struct OpenCall {
    block: u32,
    ordinal: u32,
    name: String,
    id: String,
    writer: ArgsWriter,
}

/// What the merge of one candidate needs across payloads.
#[derive(Debug, Clone)]
pub(super) struct CandState {
    /// Merged parts so far (the next part's block).
    parts: u32,
    last: Last,
    /// Client calls so far (the next call's index).
    calls: u32,
    open: Option<OpenCall>,
}

impl CandState {
    pub(super) fn new() -> CandState {
        CandState {
            parts: 0,
            last: Last::Closed,
            calls: 0,
            open: None,
        }
    }

    fn next_block(&mut self) -> u32 {
        let b = self.parts;
        self.parts = self.parts.saturating_add(1);
        b
    }
}

/// Emits the ops of one candidate's parts against its merge state.
pub(super) struct Emit<'a> {
    pub(super) c: u32,
    pub(super) data: &'a str,
    pub(super) out: &'a mut Delta,
    /// The deepest path a piece may name.
    pub(super) max_path: usize,
    pub(super) path: &'a mut Path,
    pub(super) pieces: &'a [Piece],
    pub(super) part_extras: &'a [Extra],
    pub(super) call_extras: &'a [Extra],
    pub(super) st: &'a mut CandState,
}

impl Emit<'_> {
    pub(super) fn part(&mut self, p: &Part) {
        if let Some(call) = &p.call {
            if let Some(open) = &self.st.open {
                let data = self.data;
                let agrees = |new: Option<StrSpan>, have: &str| {
                    new.is_none_or(|t| {
                        t.is_empty() || have.is_empty() || *t.get(data).to_cow() == *have
                    })
                };
                if call.args.is_none() && agrees(call.name, &open.name) && agrees(call.id, &open.id)
                {
                    self.continue_call(p, call);
                    return;
                }
                self.close_call(Some(p.pos));
            }
            self.start_call(p, call);
            return;
        }
        self.close_call(Some(p.pos));
        match p.text {
            Some(t) => self.text_part(p, t),
            None => {
                // Kept whole (code, its result, inline data, server tools, …).
                self.end_last();
                let block = BlockKey::Index(self.st.next_block());
                self.out.push(Op::BlockStart {
                    choice: self.c,
                    block,
                    kind: BlockKind::Other,
                    fields: Some(p.span),
                    pos: p.pos,
                });
                self.out.push(Op::BlockStop {
                    choice: self.c,
                    block,
                    fields: None,
                });
            }
        }
    }

    fn text_part(&mut self, p: &Part, t: StrSpan) {
        let c = self.c;
        let kind = if p.thought {
            BlockKind::Reasoning
        } else {
            BlockKind::Content
        };
        if let Last::Text {
            block,
            thought,
            signed,
            plain,
        } = self.st.last
        {
            if plain && p.plain && thought == p.thought && !(signed && p.signed) {
                let bk = BlockKey::Index(block);
                self.out.push(Op::Text {
                    choice: c,
                    block: bk,
                    kind,
                    text: t,
                    pos: p.pos,
                });
                let extras = self.part_extras;
                for i in p.extras.clone() {
                    if Some(i) != p.thought_at {
                        let e = extras[i];
                        self.out.push(field(
                            Scope::Block(c, bk),
                            e.key,
                            e.value,
                            Rule::Last,
                            false,
                        ));
                    }
                }
                self.st.last = Last::Text {
                    block,
                    thought,
                    signed: signed || p.signed,
                    plain,
                };
                return;
            }
        }
        self.end_last();
        let block = self.st.next_block();
        let bk = BlockKey::Index(block);
        self.out.push(Op::BlockStart {
            choice: c,
            block: bk,
            kind,
            fields: None,
            pos: p.pos,
        });
        let extras = self.part_extras;
        for e in &extras[p.extras.clone()] {
            self.out.push(field(
                Scope::Block(c, bk),
                e.key,
                e.value,
                Rule::Last,
                false,
            ));
        }
        self.out.push(Op::Text {
            choice: c,
            block: bk,
            kind,
            text: t,
            pos: p.pos,
        });
        self.st.last = Last::Text {
            block,
            thought: p.thought,
            signed: p.signed,
            plain: p.plain,
        };
    }

    /// Ends the last part when it is text (no later part joins it).
    fn end_last(&mut self) {
        if let Last::Text { block, .. } = self.st.last {
            self.out.push(Op::BlockStop {
                choice: self.c,
                block: BlockKey::Index(block),
                fields: None,
            });
        }
        self.st.last = Last::Closed;
    }

    fn start_call(&mut self, p: &Part, call: &Call) {
        let c = self.c;
        self.end_last();
        let block = self.st.next_block();
        let bk = BlockKey::Index(block);
        let ordinal = self.st.calls;
        self.st.calls = self.st.calls.saturating_add(1);
        self.out.push(Op::BlockStart {
            choice: c,
            block: bk,
            kind: BlockKind::Tool,
            fields: Some(p.span),
            pos: p.pos,
        });
        self.out.push(Op::Tool {
            choice: c,
            index: Some(ordinal),
            id: call.id,
            kind: None,
            name: call.name,
            arguments: call.args.map(StrSpan::verbatim),
            block: Some(bk),
            pos: p.pos,
        });
        let mut writer = match call.args {
            Some(_) => ArgsWriter::sealed(),
            None => ArgsWriter::default(),
        };
        self.pieces_of(call, &mut writer);
        if call.will_continue {
            let text = |t: Option<StrSpan>| {
                t.map(|t| t.get(self.data).to_cow().into_owned())
                    .unwrap_or_default()
            };
            self.st.open = Some(OpenCall {
                block,
                ordinal,
                name: text(call.name),
                id: text(call.id),
                writer,
            });
        } else {
            self.finish_call(block, writer);
        }
    }

    fn continue_call(&mut self, p: &Part, call: &Call) {
        let Some(mut open) = self.st.open.take() else {
            return;
        };
        let c = self.c;
        let bk = BlockKey::Index(open.block);
        let extras = self.part_extras;
        for e in &extras[p.extras.clone()] {
            self.out.push(field(
                Scope::Block(c, bk),
                e.key,
                e.value,
                Rule::Last,
                false,
            ));
        }
        // An identity sent late (the call's start had none).
        let data = self.data;
        let late = |t: Option<StrSpan>, have: &str| t.filter(|t| !t.is_empty() && have.is_empty());
        let (name, id) = (late(call.name, &open.name), late(call.id, &open.id));
        if name.is_some() || id.is_some() {
            self.out.push(Op::Tool {
                choice: c,
                index: Some(open.ordinal),
                id,
                kind: None,
                name,
                arguments: None,
                block: Some(bk),
                pos: p.pos,
            });
            if let Some(n) = name {
                n.get(data).append_to(&mut open.name);
            }
            if let Some(i) = id {
                i.get(data).append_to(&mut open.id);
            }
        }
        let extras = self.call_extras;
        for e in &extras[call.extras.clone()] {
            self.out
                .push(field(Scope::Function(c), e.key, e.value, Rule::Last, false));
        }
        self.pieces_of(call, &mut open.writer);
        if call.will_continue {
            self.st.open = Some(open);
        } else {
            self.finish_call(open.block, open.writer);
        }
    }

    /// Writes the call's pieces as arguments text; a piece that cannot
    /// continue it (or carries members the format does not define) is kept
    /// as it came in the call's `partialArgs`, with a warning.
    fn pieces_of(&mut self, call: &Call, writer: &mut ArgsWriter) {
        let c = self.c;
        let pieces = self.pieces;
        for piece in &pieces[call.pieces.clone()] {
            let start = self.out.written.len();
            let value = match piece.value {
                PieceValue::Str(t) => Some(ArgPiece::Str {
                    raw: t.get(self.data).raw(),
                    more: piece.more,
                }),
                PieceValue::Json(s) => Some(ArgPiece::Json(s.get(self.data))),
                PieceValue::Null => Some(ArgPiece::Json("null")),
                PieceValue::None | PieceValue::Several => None,
            };
            let placed = match (piece.path, value) {
                (Some(path), Some(v)) => {
                    let path = path.get(self.data).to_cow();
                    self.path.parse(&path, self.max_path)
                        && writer.place(self.path, v, &mut self.out.written)
                }
                _ => false,
            };
            let end = self.out.written.len();
            if end > start {
                self.out.push(Op::Arguments {
                    choice: c,
                    start,
                    end,
                });
            }
            if !placed || piece.unknown {
                self.out.push(Op::Warning {
                    warning: Warning::Lenient {
                        field: "functionCall.partialArgs[]",
                        expected: if placed {
                            "only jsonPath, a value and willContinue"
                        } else {
                            "a JSONPath continuing the arguments in order, and one value"
                        },
                    },
                    pos: piece.pos,
                });
                self.out.push(field(
                    Scope::Function(c),
                    Key::Static(f::PARTIAL_ARGS),
                    Raw::value(piece.raw, ValueKind::Object),
                    Rule::Append,
                    false,
                ));
            }
        }
    }

    /// Closes the streamed call in progress, if any (`warn`: it was not
    /// closed by its own part; the position of what closed it).
    pub(super) fn close_call(&mut self, warn: Option<usize>) {
        let Some(open) = self.st.open.take() else {
            return;
        };
        if let Some(pos) = warn {
            self.out.push(Op::Warning {
                warning: Warning::Lenient {
                    field: "functionCall.willContinue",
                    expected: "a part ending the streamed call",
                },
                pos,
            });
        }
        self.finish_call(open.block, open.writer);
    }

    fn finish_call(&mut self, block: u32, mut writer: ArgsWriter) {
        let start = self.out.written.len();
        writer.finish(&mut self.out.written);
        let end = self.out.written.len();
        if end > start {
            self.out.push(Op::Arguments {
                choice: self.c,
                start,
                end,
            });
        }
        self.out.push(Op::ToolDone {
            choice: self.c,
            arguments: None,
        });
        self.out.push(Op::BlockStop {
            choice: self.c,
            block: BlockKey::Index(block),
            fields: None,
        });
        self.st.last = Last::Closed;
    }
}

pub(super) fn field(at: Scope, key: Key, value: Raw, rule: Rule, event: bool) -> Op {
    Op::Field {
        at,
        key,
        value,
        rule,
        event,
    }
}
