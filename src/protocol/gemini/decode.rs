//! Decoding Gemini `streamGenerateContent?alt=sse` payloads into ops.
//!
//! Each payload is a whole `GenerateContentResponse` fragment: candidates,
//! `usageMetadata` (cumulative), `modelVersion`, `responseId` (Vertex:
//! `createTime`), sometimes `promptFeedback`. There is no terminator: the
//! stream is complete at the end of input once every candidate has a
//! `finishReason`. An `{"error": …}` payload is the provider's error.
//!
//! The merge (`corpus/README.md`, "gemini-sse"): identity fields first
//! non-empty, `usageMetadata` last, candidates by `index` (absent: 0), parts
//! in order with adjacent plain text parts of the same `thought` flag joined
//! unless both carry a `thoughtSignature` (the signature goes onto the
//! joined part), streamed function-call arguments assembled into one call,
//! other candidate and top-level fields last non-null, `content.role` set
//! once.
//!
//! A candidate is decoded whole (its `index` may come after its `content`),
//! then its ops are emitted in the order of its events ([`super::parts`]):
//! every merged part is a block keyed by its ordinal within its candidate.
//! Text parts are content or reasoning (`thought: true`) blocks; a
//! `functionCall` part is a client tool call (arguments: the `args` JSON
//! text, or the streamed pieces rebuilt as JSON text by
//! [`super::args::ArgsWriter`]; a call without `args` has empty arguments,
//! as its final object has no `args`); every other part (`executableCode`,
//! `codeExecutionResult`, `inlineData`, server `toolCall` / `toolResponse`,
//! …) is kept whole, without events. The top-level fields follow the
//! candidates.
//!
//! Streamed calls (Vertex): `{"functionCall":{"name":…,"willContinue":true}}`
//! opens one; parts with `partialArgs` continue it (a bare
//! `{"functionCall":{"willContinue":true}}` between arguments changes
//! nothing); a part whose `functionCall` lacks `willContinue: true` closes
//! it (`{"functionCall":{}}`). A different part, a `functionCall` with
//! another name or id or with whole `args`, or the finish reason also close
//! it, with a [`Warning::Lenient`].
//!
//! Tolerated: a missing candidate `index` (0); `data: [DONE]` (a proxy's
//! terminator). Refused as a shape error: a known field of the wrong type.

use std::ops::Range;

use super::fields as f;
use super::parts::{field, CandState, Emit};
use super::path::Path;
use crate::delta::{Delta, Key, Op, Raw, Rule, Scope, Span, StrSpan, ValueKind};
use crate::protocol::provider_error::{self, truthy};
use crate::protocol::scan::{
    members, opt_count, opt_index, opt_text, raw_value, Cur, DecodeError, Result, ARRAY_OR_NULL,
    OBJECT_OR_NULL, STRING_OR_NULL,
};
use crate::protocol::{Payload, SkipReason};
use crate::usage::TokenCounts;

/// Levels of the final object above a function call's `args`
/// (`candidates[].content.parts[].functionCall`): streamed paths stop that
/// much short of the depth limit, so the arguments nest no deeper than a
/// payload may.
const ARGS_NESTING: usize = 6;

/// A member the engine keeps without interpreting it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Extra {
    pub(super) key: Key,
    pub(super) value: Raw,
}

/// One `partialArgs` piece.
#[derive(Debug, Clone, Copy)]
pub(super) struct Piece {
    pub(super) pos: usize,
    /// The whole piece object.
    pub(super) raw: Span,
    pub(super) path: Option<StrSpan>,
    pub(super) value: PieceValue,
    /// `willContinue`: a string goes on in the next piece.
    pub(super) more: bool,
    /// A member other than the path, a value and `willContinue`.
    pub(super) unknown: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum PieceValue {
    None,
    Str(StrSpan),
    Json(Span),
    Null,
    Several,
}

/// A part's `functionCall`.
#[derive(Debug, Clone, Default)]
pub(super) struct Call {
    pub(super) name: Option<StrSpan>,
    pub(super) id: Option<StrSpan>,
    pub(super) args: Option<Span>,
    pub(super) will_continue: bool,
    pub(super) pieces: Range<usize>,
    /// Members other than the above and `partialArgs`.
    pub(super) extras: Range<usize>,
}

/// One part of a candidate's `content.parts`.
#[derive(Debug, Clone, Default)]
pub(super) struct Part {
    pub(super) pos: usize,
    pub(super) span: Span,
    pub(super) text: Option<StrSpan>,
    pub(super) thought: bool,
    pub(super) signed: bool,
    /// No member besides `text`, `thought` and `thoughtSignature`.
    pub(super) plain: bool,
    pub(super) call: Option<Call>,
    /// Members other than `text` and `functionCall`.
    pub(super) extras: Range<usize>,
    /// Of those, where `thought` is (not repeated on a joined part).
    pub(super) thought_at: Option<usize>,
}

/// One member of a candidate other than `content`.
#[derive(Debug, Clone, Copy)]
pub(super) struct CandField {
    extra: Extra,
    /// `finishReason` (its text).
    finish: Option<StrSpan>,
    /// Reported as a `choice.extra` event.
    event: bool,
}

/// The top-level members of one payload.
#[derive(Debug, Clone, Default)]
struct Chunk {
    response_id: Option<Raw>,
    model_version: Option<Raw>,
    create_time: Option<Raw>,
    usage: Option<(Span, TokenCounts)>,
    error: Option<Span>,
    /// A key this format defines was seen (else the payload is foreign).
    known: bool,
}

/// Decodes the data of each SSE event of a Gemini stream.
#[derive(Debug, Clone)]
pub(crate) struct Decoder {
    max_depth: usize,
    max_index: u32,
    max_choices: usize,
    chunk: Chunk,
    chunk_extras: Vec<Extra>,
    // The candidate being decoded.
    index: u32,
    pos: usize,
    role: Option<Raw>,
    parts: Vec<Part>,
    pieces: Vec<Piece>,
    part_extras: Vec<Extra>,
    call_extras: Vec<Extra>,
    content_extras: Vec<Extra>,
    cand_fields: Vec<CandField>,
    /// Per candidate index (sorted): the merge's state.
    states: Vec<(u32, CandState)>,
    /// Scratch for a piece's path.
    path: Path,
}

impl Decoder {
    pub fn new(max_depth: usize, max_index: u32, max_choices: usize) -> Decoder {
        Decoder {
            max_depth,
            max_index,
            max_choices,
            chunk: Chunk::default(),
            chunk_extras: Vec::new(),
            index: 0,
            pos: 0,
            role: None,
            parts: Vec::new(),
            pieces: Vec::new(),
            part_extras: Vec::new(),
            call_extras: Vec::new(),
            content_extras: Vec::new(),
            cand_fields: Vec::new(),
            states: Vec::new(),
            path: Path::default(),
        }
    }

    /// Decodes one event into `out`.
    pub fn decode(
        &mut self,
        event_type: &str,
        data: &str,
        out: &mut Delta,
    ) -> std::result::Result<Payload, DecodeError> {
        match event_type {
            "message" => {}
            "error" => return Ok(Payload::ProviderError(provider_error::from_body(data))),
            _ if self.looks_foreign(event_type, data) => return Ok(Payload::Foreign),
            _ => return Ok(Payload::Skip(SkipReason::EventType)),
        }
        if data == "[DONE]" {
            out.push(Op::Terminal);
            return Ok(Payload::Ops);
        }
        let mut sc = Cur::new(data, self.max_depth);
        if sc.ws() == 0 && sc.pos() >= data.len() {
            return Ok(Payload::Skip(SkipReason::EmptyData));
        }
        self.chunk = Chunk::default();
        self.chunk_extras.clear();
        let decoded = self.response(&mut sc, out).and_then(|()| sc.finish());
        if decoded.is_err() {
            return Err(sc.failure(self.max_depth));
        }
        if let Some(span) = self.chunk.error {
            out.clear();
            let mut p = provider_error::from_value(&crate::fold::parse_raw(span.get(data)));
            if p.message.is_empty() {
                p = provider_error::from_value(&crate::fold::parse_raw(data));
            }
            return Ok(Payload::ProviderError(p));
        }
        if !self.chunk.known && self.looks_foreign(event_type, data) {
            out.clear();
            return Ok(Payload::Foreign);
        }
        self.emit_chunk(out);
        Ok(Payload::Ops)
    }

    /// A payload without any key of this format that the detection table
    /// takes for another format's.
    fn looks_foreign(&self, event_type: &str, data: &str) -> bool {
        crate::protocol::detect::is_other_format(
            crate::format::Format::Gemini,
            event_type,
            data,
            self.max_depth,
        )
    }

    fn response(&mut self, sc: &mut Cur<'_>, out: &mut Delta) -> Result<()> {
        if sc.ws() != b'{' {
            return sc.shape(sc.pos(), "payload", "a JSON object");
        }
        sc.object()?;
        members!(sc;
            0 10 b"candidates" => {
                self.chunk.known = true;
                self.candidates(sc, out)?
            },
            1 13 b"usageMetadata" => {
                self.chunk.known = true;
                if !sc.null()? {
                    self.chunk.usage = Some(usage(sc)?);
                }
            },
            2 12 b"modelVersion" => {
                self.chunk.known = true;
                self.chunk.model_version = string_or_null(sc, "modelVersion")?
            },
            3 10 b"createTime" => {
                self.chunk.known = true;
                self.chunk.create_time = string_or_null(sc, "createTime")?
            },
            4 10 b"responseId" => {
                self.chunk.known = true;
                self.chunk.response_id = string_or_null(sc, "responseId")?
            },
            5 5 b"error" => {
                self.chunk.known = true;
                let span = sc.skip_value()?;
                if truthy(&crate::fold::parse_raw(span.get(sc.text()))) {
                    self.chunk.error = Some(span);
                }
            },
            _ key => {
                if *crate::protocol::scan::key_bytes(sc, key) == *b"promptFeedback" {
                    self.chunk.known = true;
                }
                let value = raw_value(sc)?;
                if value.kind != ValueKind::Null {
                    self.chunk_extras.push(Extra { key: Key::Wire(key), value });
                }
            },
        );
        Ok(())
    }

    fn candidates(&mut self, sc: &mut Cur<'_>, out: &mut Delta) -> Result<()> {
        match sc.ws() {
            b'[' => sc.array()?,
            b'n' => {
                sc.null()?;
                return Ok(());
            }
            _ => return sc.shape(sc.pos(), "candidates", ARRAY_OR_NULL),
        }
        let mut first = true;
        while sc.next_element(&mut first)? {
            if sc.ws() != b'{' {
                return sc.shape(sc.pos(), "candidates[]", "an object");
            }
            self.candidate(sc)?;
            self.emit_candidate(sc.text(), out);
        }
        Ok(())
    }

    /// Decodes one candidate.
    fn candidate(&mut self, sc: &mut Cur<'_>) -> Result<()> {
        self.index = 0;
        self.pos = sc.pos();
        self.role = None;
        self.parts.clear();
        self.pieces.clear();
        self.part_extras.clear();
        self.call_extras.clear();
        self.content_extras.clear();
        self.cand_fields.clear();
        sc.object()?;
        members!(sc;
            0 7 b"content" => self.content(sc)?,
            1 12 b"finishReason" => {
                if let Some(value) = string_or_null(sc, "candidates[].finishReason")? {
                    self.cand_fields.push(CandField {
                        extra: Extra { key: Key::Static(f::FINISH_REASON), value },
                        finish: Some(value.text),
                        event: false,
                    });
                }
            },
            2 5 b"index" => {
                let start = sc.pos();
                if let Some(i) = opt_index(sc, "candidates[].index", self.max_index)? {
                    self.index = i;
                    let value = Raw::value(Span { start, end: sc.pos() }, ValueKind::Scalar);
                    self.cand_fields.push(CandField {
                        extra: Extra { key: Key::Static(f::INDEX), value },
                        finish: None,
                        event: false,
                    });
                }
            },
            _ key => {
                let value = raw_value(sc)?;
                if value.kind != ValueKind::Null {
                    self.cand_fields.push(CandField {
                        extra: Extra { key: Key::Wire(key), value },
                        finish: None,
                        event: true,
                    });
                }
            },
        );
        Ok(())
    }

    fn content(&mut self, sc: &mut Cur<'_>) -> Result<()> {
        match sc.ws() {
            b'{' => sc.object()?,
            b'n' => {
                sc.null()?;
                return Ok(());
            }
            _ => return sc.shape(sc.pos(), "candidates[].content", OBJECT_OR_NULL),
        }
        members!(sc;
            0 5 b"parts" => self.parts(sc)?,
            1 4 b"role" => self.role = string_or_null(sc, "content.role")?,
            _ key => {
                let value = raw_value(sc)?;
                if value.kind != ValueKind::Null {
                    self.content_extras.push(Extra { key: Key::Wire(key), value });
                }
            },
        );
        Ok(())
    }

    fn parts(&mut self, sc: &mut Cur<'_>) -> Result<()> {
        match sc.ws() {
            b'[' => sc.array()?,
            b'n' => {
                sc.null()?;
                return Ok(());
            }
            _ => return sc.shape(sc.pos(), "content.parts", ARRAY_OR_NULL),
        }
        let mut first = true;
        while sc.next_element(&mut first)? {
            if sc.ws() != b'{' {
                return sc.shape(sc.pos(), "content.parts[]", "an object");
            }
            let part = self.part(sc)?;
            self.parts.push(part);
        }
        Ok(())
    }

    fn part(&mut self, sc: &mut Cur<'_>) -> Result<Part> {
        let start = sc.pos();
        let mut part = Part {
            pos: start,
            plain: true,
            extras: self.part_extras.len()..self.part_extras.len(),
            ..Part::default()
        };
        sc.object()?;
        members!(sc;
            0 4 b"text" => part.text = opt_text(sc, "parts[].text")?,
            1 7 b"thought" => {
                let at = sc.pos();
                match sc.ws() {
                    b't' | b'f' => {
                        part.thought = sc.boolean()?;
                        let span = Span { start: at, end: sc.pos() };
                        let value = Raw::value(span, ValueKind::Scalar);
                        part.thought_at = Some(self.part_extras.len());
                        self.part_extras.push(Extra { key: Key::Static(f::THOUGHT), value });
                    }
                    b'n' => {
                        sc.null()?;
                    }
                    _ => {
                        sc.peek_kind()?;
                        return sc.shape(at, "parts[].thought", "a boolean or null");
                    }
                }
            },
            2 16 b"thoughtSignature" => {
                let value = raw_value(sc)?;
                if value.kind != ValueKind::Null {
                    part.signed = true;
                    self.part_extras.push(Extra { key: Key::Static(f::THOUGHT_SIGNATURE), value });
                }
            },
            3 12 b"functionCall" => part.call = self.function_call(sc)?,
            _ key => {
                let value = raw_value(sc)?;
                if value.kind != ValueKind::Null {
                    part.plain = false;
                    self.part_extras.push(Extra { key: Key::Wire(key), value });
                }
            },
        );
        part.span = Span {
            start,
            end: sc.pos(),
        };
        part.extras.end = self.part_extras.len();
        Ok(part)
    }

    fn function_call(&mut self, sc: &mut Cur<'_>) -> Result<Option<Call>> {
        match sc.ws() {
            b'{' => sc.object()?,
            b'n' => {
                sc.null()?;
                return Ok(None);
            }
            _ => return sc.shape(sc.pos(), "parts[].functionCall", OBJECT_OR_NULL),
        }
        let mut call = Call {
            pieces: self.pieces.len()..self.pieces.len(),
            extras: self.call_extras.len()..self.call_extras.len(),
            ..Call::default()
        };
        members!(sc;
            0 4 b"name" => call.name = opt_text(sc, "functionCall.name")?,
            1 4 b"args" => {
                call.args = match sc.null()? {
                    true => None,
                    false => Some(sc.skip_value()?),
                }
            },
            2 2 b"id" => call.id = opt_text(sc, "functionCall.id")?,
            3 12 b"willContinue" => {
                call.will_continue = opt_bool(sc, "functionCall.willContinue")?.unwrap_or(false)
            },
            4 11 b"partialArgs" => self.partial_args(sc)?,
            _ key => {
                let value = raw_value(sc)?;
                if value.kind != ValueKind::Null {
                    self.call_extras.push(Extra { key: Key::Wire(key), value });
                }
            },
        );
        call.pieces.end = self.pieces.len();
        call.extras.end = self.call_extras.len();
        Ok(Some(call))
    }

    fn partial_args(&mut self, sc: &mut Cur<'_>) -> Result<()> {
        match sc.ws() {
            b'[' => sc.array()?,
            b'n' => {
                sc.null()?;
                return Ok(());
            }
            _ => return sc.shape(sc.pos(), "functionCall.partialArgs", ARRAY_OR_NULL),
        }
        let mut first = true;
        while sc.next_element(&mut first)? {
            if sc.ws() != b'{' {
                return sc.shape(sc.pos(), "partialArgs[]", "an object");
            }
            let start = sc.pos();
            let mut piece = Piece {
                pos: start,
                raw: Span::default(),
                path: None,
                value: PieceValue::None,
                more: false,
                unknown: false,
            };
            let mut more = false;
            let set = |piece: &mut Piece, v: PieceValue| {
                piece.value = match piece.value {
                    PieceValue::None => v,
                    _ => PieceValue::Several,
                }
            };
            sc.object()?;
            members!(sc;
                0 8 b"jsonPath" => piece.path = opt_text(sc, "partialArgs[].jsonPath")?,
                1 11 b"stringValue" => {
                    if let Some(t) = opt_text(sc, "partialArgs[].stringValue")? {
                        set(&mut piece, PieceValue::Str(t));
                    }
                },
                2 12 b"willContinue" => {
                    more = opt_bool(sc, "partialArgs[].willContinue")?.unwrap_or(false)
                },
                3 11 b"numberValue" => match sc.ws() {
                    // A string for NaN and the infinities (proto3 JSON).
                    b'-' | b'0'..=b'9' | b'"' => {
                        let span = sc.skip_value()?;
                        set(&mut piece, PieceValue::Json(span));
                    }
                    b'n' => {
                        sc.null()?;
                    }
                    _ => {
                        sc.peek_kind()?;
                        return sc.shape(sc.pos(), "partialArgs[].numberValue", "a number or null");
                    }
                },
                4 9 b"boolValue" => match sc.ws() {
                    b't' | b'f' => {
                        let at = sc.pos();
                        sc.boolean()?;
                        set(&mut piece, PieceValue::Json(Span { start: at, end: sc.pos() }));
                    }
                    b'n' => {
                        sc.null()?;
                    }
                    _ => {
                        sc.peek_kind()?;
                        return sc.shape(sc.pos(), "partialArgs[].boolValue", "a boolean or null");
                    }
                },
                5 9 b"nullValue" => {
                    if raw_value(sc)?.kind != ValueKind::Null {
                        set(&mut piece, PieceValue::Null);
                    }
                },
                _ _key => {
                    if raw_value(sc)?.kind != ValueKind::Null {
                        piece.unknown = true;
                    }
                },
            );
            self.pieces.push(Piece {
                raw: Span {
                    start,
                    end: sc.pos(),
                },
                more,
                ..piece
            });
        }
        Ok(())
    }
}

impl Decoder {
    /// The ops of the candidate just decoded, in the order of its events:
    /// its role, its parts, then its other members as they came (the finish
    /// reason among them).
    fn emit_candidate(&mut self, data: &str, out: &mut Delta) {
        let c = self.index;
        out.push(Op::Choice {
            choice: c,
            pos: self.pos,
        });
        if let Some(role) = self.role {
            out.push(field(
                Scope::Message(c),
                Key::Static(f::ROLE),
                role,
                Rule::First,
                false,
            ));
        }
        for e in &self.content_extras {
            out.push(field(Scope::Message(c), e.key, e.value, Rule::Last, true));
        }
        let mut spare = CandState::new();
        let st = match self.states.binary_search_by_key(&c, |&(i, _)| i) {
            Ok(i) => &mut self.states[i].1,
            // Past the limit the fold refuses the candidate: no state kept.
            Err(_) if self.states.len() >= self.max_choices => &mut spare,
            Err(i) => {
                self.states.insert(i, (c, CandState::new()));
                &mut self.states[i].1
            }
        };
        let mut em = Emit {
            c,
            data,
            out,
            max_path: self.max_depth.saturating_sub(ARGS_NESTING).max(1),
            path: &mut self.path,
            pieces: &self.pieces,
            part_extras: &self.part_extras,
            call_extras: &self.call_extras,
            st,
        };
        for part in &self.parts {
            em.part(part);
        }
        for cf in &self.cand_fields {
            let e = cf.extra;
            match cf.finish {
                Some(reason) => {
                    em.close_call(Some(self.pos));
                    em.out
                        .push(field(Scope::Choice(c), e.key, e.value, Rule::Last, false));
                    em.out.push(Op::Finish { choice: c, reason });
                }
                None => em.out.push(field(
                    Scope::Choice(c),
                    e.key,
                    e.value,
                    Rule::Last,
                    cf.event,
                )),
            }
        }
    }

    /// The top-level ops, after the candidates.
    fn emit_chunk(&self, out: &mut Delta) {
        let ch = &self.chunk;
        for (key, v) in [
            (f::RESPONSE_ID, ch.response_id),
            (f::MODEL_VERSION, ch.model_version),
            (f::CREATE_TIME, ch.create_time),
        ] {
            if let Some(v) = v {
                out.push(field(Scope::Top, Key::Static(key), v, Rule::First, false));
            }
        }
        if let Some((raw, tokens)) = ch.usage {
            out.usage(raw, tokens, Rule::Last);
        }
        for e in &self.chunk_extras {
            out.push(field(Scope::Top, e.key, e.value, Rule::Last, true));
        }
    }
}

/// A string or null, as a value.
fn string_or_null(sc: &mut Cur<'_>, field: &'static str) -> Result<Option<Raw>> {
    match sc.ws() {
        b'"' => {
            let start = sc.pos();
            let t = sc.string_here()?;
            Ok(Some(Raw::string(
                Span {
                    start,
                    end: sc.pos(),
                },
                t,
            )))
        }
        b'n' => {
            sc.null()?;
            Ok(None)
        }
        _ => {
            sc.peek_kind()?;
            sc.shape(sc.pos(), field, STRING_OR_NULL)
        }
    }
}

/// A boolean or null.
fn opt_bool(sc: &mut Cur<'_>, field: &'static str) -> Result<Option<bool>> {
    match sc.ws() {
        b't' | b'f' => Ok(Some(sc.boolean()?)),
        b'n' => {
            sc.null()?;
            Ok(None)
        }
        _ => {
            sc.peek_kind()?;
            sc.shape(sc.pos(), field, "a boolean or null")
        }
    }
}

/// A `usageMetadata` object: its span and counts (thoughts are output).
fn usage(sc: &mut Cur<'_>) -> Result<(Span, TokenCounts)> {
    if sc.ws() != b'{' {
        return sc.shape(sc.pos(), "usageMetadata", OBJECT_OR_NULL);
    }
    let start = sc.pos();
    sc.object()?;
    let mut t = TokenCounts::default();
    let (mut candidates, mut thoughts) = (None, None);
    members!(sc;
        0 16 b"promptTokenCount" => t.input_tokens = opt_count(sc)?,
        1 20 b"candidatesTokenCount" => candidates = opt_count(sc)?,
        2 15 b"totalTokenCount" => t.total_tokens = opt_count(sc)?,
        3 18 b"thoughtsTokenCount" => thoughts = opt_count(sc)?,
        4 23 b"cachedContentTokenCount" => t.cached_input_tokens = opt_count(sc)?,
        _ _key => {
            sc.skip_value()?;
        },
    );
    t.reasoning_tokens = thoughts;
    t.output_tokens = match (candidates, thoughts) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    };
    Ok((
        Span {
            start,
            end: sc.pos(),
        },
        t,
    ))
}
