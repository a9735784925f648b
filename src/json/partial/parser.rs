//! The push parser: a byte-driven state machine over fragments of the
//! arguments text.
//!
//! Advice for hackers. The state ([`State`]) says what the next byte may be;
//! every byte is looked at once, in the push that brings it, and nothing of
//! the text is kept except what cannot be reported yet: the key being read
//! and a number not yet ended (in `scratch`), and one frame per open
//! container (`frames`: its kind, its current key as an `Arc<str>` or its
//! current index). Runs of string text are found with the SIMD scan the
//! scanner uses and copied once, into the ops buffer.
//!
//! Ops name places by path. Paths are written into the ops buffer lazily
//! and at most once per push and container (`Frame::path`, `Frame::slot`,
//! stamped with the push's number `call`): an op stores its container's
//! path as a range of segments plus its own last segment. The first op of a
//! push costs O(depth), to write the path down; later ops in the same
//! container cost O(1); opening a container costs O(1) when its parent's
//! path ends the segment list, and a copy of that path (O(depth)) when not.
//!
//! An error is final: it is stored, every later call returns it, and no op
//! is added after the ops of the bytes before it.

use std::sync::Arc;

use super::error::{ErrorKind, PartialJsonError};
use super::ops::{Kind, Ops, Rec, Seg, ROOT};
use crate::json::is_whitespace as is_ws;
use crate::json::scanner::MAX_DEPTH_CAP;
use crate::json::string::{find_string_special, hex4};

/// The default nesting limit (as [`Limits::max_depth`](crate::Limits)).
pub const DEFAULT_MAX_DEPTH: usize = 128;

/// The default size limit: 128 MiB of arguments text (as
/// [`Limits::max_event_bytes`](crate::Limits)).
pub const DEFAULT_MAX_BYTES: usize = 128 << 20;

/// An incremental parser of one tool call's arguments: push the text in
/// fragments as it arrives, get ops that say what changed.
///
/// Each fragment is read once. A string's text is reported as it arrives
/// ([`Op::Append`](super::Op::Append)), in whole characters; numbers when
/// they end, `true`/`false`/`null` at their last letter, an object's member
/// once its key is complete and its value has started. Applying the ops in
/// order rebuilds the value serde_json parses from the whole text; after
/// any push, the ops so far rebuild a *prefix* of it (see the
/// [module docs](super) for the rules).
///
/// Invalid JSON stops the ops: `push` or `finish` return a
/// [`PartialJsonError`] with the byte offset in the arguments text, the
/// ops of the bytes before it stay, and every later call returns the same
/// error without adding ops.
///
/// # Cost
///
/// O(fragment) per push, plus O(depth) for the first op of each push and
/// for each container opened (copying its path); O(1) for other ops. No
/// allocation per push once the ops buffer and the parser's own buffers
/// have grown: the parser holds one frame per open container and the text
/// of the key or number being read, never the text it has read.
///
/// # Examples
///
/// ```
/// use streamfold::partial_json::{Ops, PartialJson};
///
/// let mut parser = PartialJson::new();
/// let mut ops = Ops::new();
/// let mut seen = Vec::new();
/// for fragment in ["{\"path\":\"a.t", "xt\",\"content\":\"line 1\\", "nline 2\"}"] {
///     ops.clear();
///     parser.push(fragment, &mut ops)?;
///     seen.push(serde_json::to_string(&ops).unwrap());
/// }
/// parser.finish(&mut ops)?;
/// assert!(parser.is_complete());
/// assert_eq!(seen, [
///     r#"[{"op":"set","path":[],"value":{}},{"op":"set","path":["path"],"value":""},{"op":"append","path":["path"],"text":"a.t"}]"#,
///     r#"[{"op":"append","path":["path"],"text":"xt"},{"op":"set","path":["content"],"value":""},{"op":"append","path":["content"],"text":"line 1"}]"#,
///     r#"[{"op":"append","path":["content"],"text":"\nline 2"}]"#,
/// ]);
/// # Ok::<(), streamfold::partial_json::PartialJsonError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PartialJson {
    state: State,
    frames: Vec<Frame>,
    /// The key being read, or the start of a number that began in an
    /// earlier push.
    scratch: String,
    /// Bytes consumed: the offset of the next byte (of the error, once
    /// failed).
    offset: u64,
    /// Offset of the first byte of the number being read.
    number_start: u64,
    max_depth: usize,
    max_bytes: u64,
    error: Option<PartialJsonError>,
    finished: bool,
    /// Number of the current push or finish; path caches of other calls
    /// are stale.
    call: u64,
    /// The `Append` op (index in the ops buffer) that text of the current
    /// string extends in this call.
    append: Option<usize>,
}

/// What the next byte may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A value: at the root, after `:`, after `,` in an array.
    Value,
    /// After `[`: a value or `]`.
    FirstElement,
    /// After `{`: a key or `}`.
    FirstKey,
    /// After `,` in an object: a key.
    Key,
    /// After a key: `:`.
    Colon,
    /// After a value in a container: `,` or the container's end.
    AfterValue,
    /// After the root value: whitespace only.
    Done,
    /// Inside a string (an object's key when `key`).
    Str { key: bool },
    /// After a backslash in a string.
    Escape { key: bool },
    /// Inside `\uXXXX`: `n` digits read, worth `acc`; `high` is the high
    /// surrogate before, when this escape must be its low half.
    Hex {
        key: bool,
        n: u8,
        acc: u16,
        high: Option<u16>,
    },
    /// After the escape of a high surrogate: `\` (`u` false), then `u`.
    Low { key: bool, high: u16, u: bool },
    /// Inside a number.
    Number(Num),
    /// Inside `true`, `false` or `null`: `matched` bytes of `word` read.
    Literal { word: Word, matched: u8 },
    /// Stopped by an error.
    Failed,
}

/// Where a number is in its grammar
/// (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Num {
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    Exp,
    ExpSign,
    ExpDigits,
}

impl Num {
    /// Whether a number may end here.
    fn complete(self) -> bool {
        matches!(self, Num::Zero | Num::Int | Num::Frac | Num::ExpDigits)
    }
}

/// What a byte does to a number.
enum NumStep {
    Next(Num),
    /// The number ended before this byte.
    End,
    Invalid,
}

fn num_step(n: Num, b: u8) -> NumStep {
    use Num::*;
    use NumStep::*;
    match (n, b) {
        (Minus, b'0') => Next(Zero),
        (Minus, b'1'..=b'9') => Next(Int),
        (Minus, _) => Invalid,
        (Zero, b'0'..=b'9') => Invalid,
        (Zero | Int | Frac, b'e' | b'E') => Next(Exp),
        (Zero | Int, b'.') => Next(Dot),
        (Int, b'0'..=b'9') => Next(Int),
        (Dot | Frac, b'0'..=b'9') => Next(Frac),
        (Dot, _) => Invalid,
        (Exp, b'+' | b'-') => Next(ExpSign),
        (Exp | ExpSign | ExpDigits, b'0'..=b'9') => Next(ExpDigits),
        (Exp | ExpSign, _) => Invalid,
        (Zero | Int | Frac | ExpDigits, _) => End,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    True,
    False,
    Null,
}

impl Word {
    fn text(self) -> &'static [u8] {
        match self {
            Word::True => b"true",
            Word::False => b"false",
            Word::Null => b"null",
        }
    }

    fn kind(self) -> Kind {
        match self {
            Word::True => Kind::True,
            Word::False => Kind::False,
            Word::Null => Kind::Null,
        }
    }
}

/// An open container.
#[derive(Debug, Clone)]
struct Frame {
    object: bool,
    /// An object's current key (`None` before the first).
    key: Option<Arc<str>>,
    /// An array's current index.
    index: usize,
    /// This container's path in the ops buffer, for call `call`.
    path: Cached,
    /// The current key's or index's segment in the ops buffer, for call
    /// `call` (`start`).
    slot: Cached,
}

#[derive(Debug, Clone, Copy, Default)]
struct Cached {
    call: u64,
    start: usize,
    len: usize,
}

fn hex_digit(b: u8) -> Option<u16> {
    match b {
        b'0'..=b'9' => Some(u16::from(b - b'0')),
        b'a'..=b'f' => Some(u16::from(b - b'a' + 10)),
        b'A'..=b'F' => Some(u16::from(b - b'A' + 10)),
        _ => None,
    }
}

/// Whether a complete number's value overflows an `f64` (serde_json rejects
/// those). Only long texts or texts with an exponent can.
fn out_of_range(text: &str) -> bool {
    let may = text.len() > 300 || text.bytes().any(|b| b == b'e' || b == b'E');
    may && text.parse::<f64>().map_or(true, f64::is_infinite)
}

/// Where [`scan_string`] stopped.
enum Scan {
    /// At the end of the fragment.
    End,
    /// At the closing quote.
    Quote,
    /// At a backslash whose escape is cut by the end of the fragment, or is
    /// invalid: the state machine reads it, byte by byte.
    Escape,
    /// At a control character.
    Control,
}

/// Reads string contents from `text[i..]` into `out` until the closing
/// quote, the end of the fragment, or an escape the state machine must read:
/// runs of plain text at scanning speed, and every escape that is complete
/// and valid within the fragment (a surrogate pair too) decoded in place.
/// Returns where it stopped, and why.
fn scan_string(text: &str, mut i: usize, out: &mut String) -> (usize, Scan) {
    let bytes = text.as_bytes();
    loop {
        let end = find_string_special(bytes, i);
        out.push_str(&text[i..end]);
        match bytes.get(end) {
            None => return (end, Scan::End),
            Some(b'"') => return (end, Scan::Quote),
            Some(b'\\') => match escape_at(bytes, end) {
                Some((c, next)) => {
                    out.push(c);
                    i = next;
                }
                None => return (end, Scan::Escape),
            },
            Some(_) => return (end, Scan::Control),
        }
    }
}

/// The escape whose backslash is at `i`, when it is complete and valid in
/// `b`: its character and the position after it.
fn escape_at(b: &[u8], i: usize) -> Option<(char, usize)> {
    let simple = |c: char| Some((c, i + 2));
    match b.get(i + 1)? {
        b'"' => simple('"'),
        b'\\' => simple('\\'),
        b'/' => simple('/'),
        b'b' => simple('\u{8}'),
        b'f' => simple('\u{c}'),
        b'n' => simple('\n'),
        b'r' => simple('\r'),
        b't' => simple('\t'),
        b'u' => {
            let unit = hex4(b, i + 2)?;
            if !(0xD800..0xE000).contains(&unit) {
                return Some((char::from_u32(unit)?, i + 6));
            }
            // A high surrogate and its low half; anything else is left to
            // the state machine, which knows where it goes wrong.
            if unit >= 0xDC00 || b.get(i + 6..i + 8)? != b"\\u" {
                return None;
            }
            let low = hex4(b, i + 8)?;
            if !(0xDC00..0xE000).contains(&low) {
                return None;
            }
            let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
            Some((char::from_u32(code)?, i + 12))
        }
        _ => None,
    }
}

/// The outcome of a step that may fail (the error is in the parser).
type Step = Result<(), PartialJsonError>;

impl Default for PartialJson {
    fn default() -> Self {
        PartialJson::new()
    }
}

impl PartialJson {
    /// A parser with the default limits: 128 levels of nesting, 128 MiB of
    /// text.
    pub fn new() -> Self {
        PartialJson::with_limits(DEFAULT_MAX_DEPTH, DEFAULT_MAX_BYTES)
    }

    /// A parser that accepts at most `max_depth` nested arrays and objects
    /// (at most 1,024, whatever is asked) and at most `max_bytes` bytes of
    /// text. Exceeding either is an error ([`ErrorKind::TooDeep`] at the
    /// bracket that opens one container too many, [`ErrorKind::TooLarge`]
    /// at the first character that does not fit).
    ///
    /// # Examples
    ///
    /// ```
    /// use streamfold::partial_json::{ErrorKind, Ops, PartialJson};
    ///
    /// let mut ops = Ops::new();
    /// let err = PartialJson::with_limits(2, 1 << 20).push("[[[1]]]", &mut ops).unwrap_err();
    /// assert_eq!((err.kind(), err.offset()), (ErrorKind::TooDeep, 2));
    /// let err = PartialJson::with_limits(8, 4).push("\"abcdef\"", &mut ops).unwrap_err();
    /// assert_eq!((err.kind(), err.offset()), (ErrorKind::TooLarge, 4));
    /// ```
    pub fn with_limits(max_depth: usize, max_bytes: usize) -> Self {
        PartialJson {
            state: State::Value,
            frames: Vec::new(),
            scratch: String::new(),
            offset: 0,
            number_start: 0,
            max_depth: max_depth.min(MAX_DEPTH_CAP),
            max_bytes: max_bytes as u64,
            error: None,
            finished: false,
            call: 0,
            append: None,
        }
    }

    /// Reads the next fragment of the arguments text, appending the ops it
    /// causes to `ops` (which is not cleared).
    ///
    /// Fragments may split the text anywhere between characters: inside a
    /// key, an escape, a surrogate pair's two escapes, a number or a
    /// literal. The ops of all the fragments, with adjacent appends to one
    /// string joined, are the same however the text is split.
    ///
    /// # Errors
    ///
    /// When the text so far cannot begin a JSON text, or exceeds a limit:
    /// the ops of the bytes before the error have been appended, and this
    /// and every later call return the error. After a successful
    /// [`finish`](Self::finish), a non-empty fragment is an
    /// [`ErrorKind::AfterFinish`] error (returned, not stored).
    pub fn push(&mut self, fragment: &str, ops: &mut Ops) -> Result<(), PartialJsonError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.finished {
            if fragment.is_empty() {
                return Ok(());
            }
            return Err(PartialJsonError::new(self.offset, ErrorKind::AfterFinish));
        }
        self.call += 1;
        self.append = None;
        let room = self.max_bytes.saturating_sub(self.offset);
        if fragment.len() as u64 <= room {
            return self.run(fragment, ops);
        }
        let mut fits = room as usize;
        while !fragment.is_char_boundary(fits) {
            fits -= 1;
        }
        self.run(&fragment[..fits], ops)?;
        self.fail(self.offset, ErrorKind::TooLarge)
    }

    /// Marks the end of the arguments text: a number at the root ends here
    /// (and is set); anything else unfinished is an error.
    ///
    /// Calling it again after it succeeded does nothing.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnexpectedEnd`] at the end of the text when the value
    /// is not complete (an empty text included); the error that stopped an
    /// earlier push.
    pub fn finish(&mut self, ops: &mut Ops) -> Result<(), PartialJsonError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.finished {
            return Ok(());
        }
        self.call += 1;
        self.append = None;
        match self.state {
            State::Done => {}
            State::Number(n) if n.complete() && self.frames.is_empty() => {
                self.number_done("", ops)?;
            }
            _ => return self.fail(self.offset, ErrorKind::UnexpectedEnd),
        }
        self.finished = true;
        Ok(())
    }

    /// Bytes of the arguments text read so far: the offset of the next
    /// byte, or of the error once one stopped the parser.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The error that stopped the parser, if any.
    pub fn error(&self) -> Option<&PartialJsonError> {
        self.error.as_ref()
    }

    /// True once the value is complete: its closing bracket, quote or last
    /// letter has been read (for a number at the root: the whitespace after
    /// it, or [`finish`](Self::finish)). Only whitespace may follow.
    pub fn is_complete(&self) -> bool {
        self.state == State::Done
    }

    fn fail(&mut self, offset: u64, kind: ErrorKind) -> Step {
        let e = PartialJsonError::new(offset, kind);
        self.offset = offset;
        self.state = State::Failed;
        self.error = Some(e);
        self.append = None;
        Err(e)
    }

    /// Reads one fragment (within the size limit).
    fn run(&mut self, text: &str, ops: &mut Ops) -> Step {
        let bytes = text.as_bytes();
        let base = self.offset;
        let at = |i: usize| base + i as u64;
        let mut i = 0;
        // Where the number being read starts in this fragment (0 when it
        // began in an earlier one).
        let mut number_from = 0;
        while let Some(&b) = bytes.get(i) {
            match self.state {
                State::Str { key } => {
                    let (end, stop) = if key {
                        scan_string(text, i, &mut self.scratch)
                    } else {
                        let start = ops.text.len();
                        let scanned = scan_string(text, i, &mut ops.text);
                        self.appended(start, ops);
                        scanned
                    };
                    match stop {
                        Scan::End => i = end,
                        Scan::Quote => {
                            i = end + 1;
                            self.string_end(key);
                        }
                        Scan::Escape => {
                            i = end + 1;
                            self.state = State::Escape { key };
                        }
                        Scan::Control => return self.fail(at(end), ErrorKind::ControlCharacter),
                    }
                    continue;
                }
                State::Number(n) => {
                    // Digits run in a tight loop; other bytes step the grammar.
                    let mut n = n;
                    loop {
                        let Some(&c) = bytes.get(i) else {
                            self.state = State::Number(n);
                            break;
                        };
                        match num_step(n, c) {
                            NumStep::Next(next) => {
                                n = next;
                                i += 1;
                            }
                            NumStep::Invalid => return self.fail(at(i), ErrorKind::InvalidNumber),
                            NumStep::End => {
                                // The byte after a number must be one the
                                // container accepts after a value, or the
                                // number is not set.
                                if !is_ws(c) {
                                    if let Some(kind) = self.after_value_error(c) {
                                        return self.fail(at(i), kind);
                                    }
                                }
                                self.number_done(&text[number_from..i], ops)?;
                                break;
                            }
                        }
                    }
                    continue;
                }
                _ => {}
            }
            if is_ws(b) && self.skips_ws() {
                i += 1;
                continue;
            }
            match self.state {
                State::Value | State::FirstElement => {
                    if b == b']' && self.state == State::FirstElement {
                        self.close();
                    } else {
                        match b {
                            b'-' | b'0'..=b'9' => {
                                self.number_start = at(i);
                                number_from = i;
                                self.scratch.clear();
                                self.state = State::Number(if b == b'-' {
                                    Num::Minus
                                } else if b == b'0' {
                                    Num::Zero
                                } else {
                                    Num::Int
                                });
                            }
                            _ => self.value_start(b, at(i), ops)?,
                        }
                    }
                }
                State::FirstKey | State::Key => match b {
                    b'"' => {
                        self.scratch.clear();
                        self.state = State::Str { key: true };
                    }
                    b'}' if self.state == State::FirstKey => self.close(),
                    _ => {
                        let kind = if self.state == State::FirstKey {
                            ErrorKind::ExpectedKeyOrEnd
                        } else {
                            ErrorKind::ExpectedKey
                        };
                        return self.fail(at(i), kind);
                    }
                },
                State::Colon => {
                    if b != b':' {
                        return self.fail(at(i), ErrorKind::ExpectedColon);
                    }
                    self.state = State::Value;
                }
                State::AfterValue => {
                    if let Some(kind) = self.after_value_error(b) {
                        return self.fail(at(i), kind);
                    }
                    match b {
                        b',' => {
                            if let Some(top) = self.frames.last_mut() {
                                top.slot = Cached::default();
                                if top.object {
                                    self.state = State::Key;
                                } else {
                                    top.index += 1;
                                    self.state = State::Value;
                                }
                            }
                        }
                        _ => self.close(),
                    }
                }
                State::Done => return self.fail(at(i), ErrorKind::TrailingCharacters),
                State::Escape { key } => {
                    let c = match b {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            self.state = State::Hex {
                                key,
                                n: 0,
                                acc: 0,
                                high: None,
                            };
                            i += 1;
                            continue;
                        }
                        _ => return self.fail(at(i), ErrorKind::InvalidEscape),
                    };
                    self.string_char(key, c, ops);
                    self.state = State::Str { key };
                }
                State::Hex { key, n, acc, high } => {
                    let Some(d) = hex_digit(b) else {
                        return self.fail(at(i), ErrorKind::InvalidEscape);
                    };
                    let acc = acc << 4 | d;
                    let n = n + 1;
                    // A prefix that can only name a low surrogate (`\uDC`..
                    // `\uDF`) is a lone one unless a high one came before;
                    // after a high one, only a low one may follow.
                    let lone = match (high, n) {
                        (None, 2) => (0xDC..=0xDF).contains(&acc),
                        (Some(_), 1) => acc != 0xD,
                        (Some(_), 2) => !(0xDC..=0xDF).contains(&acc),
                        _ => false,
                    };
                    if lone {
                        return self.fail(at(i), ErrorKind::LoneSurrogate);
                    }
                    if n < 4 {
                        self.state = State::Hex { key, n, acc, high };
                    } else if let Some(h) = high {
                        let code =
                            0x10000 + ((u32::from(h) - 0xD800) << 10) + (u32::from(acc) - 0xDC00);
                        let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
                        self.string_char(key, c, ops);
                        self.state = State::Str { key };
                    } else if (0xD800..0xDC00).contains(&acc) {
                        self.state = State::Low {
                            key,
                            high: acc,
                            u: false,
                        };
                    } else {
                        let c =
                            char::from_u32(u32::from(acc)).unwrap_or(char::REPLACEMENT_CHARACTER);
                        self.string_char(key, c, ops);
                        self.state = State::Str { key };
                    }
                }
                State::Low { key, high, u } => {
                    if b != if u { b'u' } else { b'\\' } {
                        return self.fail(at(i), ErrorKind::LoneSurrogate);
                    }
                    self.state = if u {
                        State::Hex {
                            key,
                            n: 0,
                            acc: 0,
                            high: Some(high),
                        }
                    } else {
                        State::Low { key, high, u: true }
                    };
                }
                State::Literal { word, matched } => {
                    let text = word.text();
                    if text.get(usize::from(matched)) != Some(&b) {
                        return self.fail(at(i), ErrorKind::InvalidLiteral);
                    }
                    if usize::from(matched) + 1 == text.len() {
                        self.set(word.kind(), (0, 0), ops);
                        self.value_end();
                    } else {
                        self.state = State::Literal {
                            word,
                            matched: matched + 1,
                        };
                    }
                }
                // `push` returns early once failed; strings and numbers are
                // read above.
                State::Failed | State::Str { .. } | State::Number(_) => {}
            }
            i += 1;
        }
        if let State::Number(_) = self.state {
            self.scratch.push_str(&text[number_from..]);
        }
        self.offset = at(bytes.len());
        Ok(())
    }

    /// Whether whitespace is skipped in the current state (between tokens).
    fn skips_ws(&self) -> bool {
        matches!(
            self.state,
            State::Value
                | State::FirstElement
                | State::FirstKey
                | State::Key
                | State::Colon
                | State::AfterValue
                | State::Done
        )
    }

    /// The error a byte other than whitespace is, right after a value;
    /// `None` when it is a `,`, `]` or `}` the container accepts there.
    fn after_value_error(&self, b: u8) -> Option<ErrorKind> {
        match self.frames.last() {
            None => Some(ErrorKind::TrailingCharacters),
            Some(top) if top.object => {
                (!matches!(b, b',' | b'}')).then_some(ErrorKind::ExpectedCommaOrObjectEnd)
            }
            Some(_) => (!matches!(b, b',' | b']')).then_some(ErrorKind::ExpectedCommaOrArrayEnd),
        }
    }

    /// A value other than a number starts with `b` (at `offset`).
    fn value_start(&mut self, b: u8, offset: u64, ops: &mut Ops) -> Step {
        match b {
            b'{' | b'[' => {
                if self.frames.len() >= self.max_depth {
                    return self.fail(offset, ErrorKind::TooDeep);
                }
                let object = b == b'{';
                let kind = if object { Kind::Object } else { Kind::Array };
                self.set(kind, (0, 0), ops);
                self.frames.push(Frame {
                    object,
                    key: None,
                    index: 0,
                    path: Cached::default(),
                    slot: Cached::default(),
                });
                self.state = if object {
                    State::FirstKey
                } else {
                    State::FirstElement
                };
            }
            b'"' => {
                self.set(Kind::String, (0, 0), ops);
                self.state = State::Str { key: false };
            }
            b't' => {
                self.state = State::Literal {
                    word: Word::True,
                    matched: 1,
                }
            }
            b'f' => {
                self.state = State::Literal {
                    word: Word::False,
                    matched: 1,
                }
            }
            b'n' => {
                self.state = State::Literal {
                    word: Word::Null,
                    matched: 1,
                }
            }
            _ => return self.fail(offset, ErrorKind::ExpectedValue),
        }
        Ok(())
    }

    /// The state after a complete value.
    fn value_end(&mut self) {
        self.state = if self.frames.is_empty() {
            State::Done
        } else {
            State::AfterValue
        };
    }

    /// The top container ends.
    fn close(&mut self) {
        self.frames.pop();
        self.value_end();
    }

    /// A number ended; its text is `scratch` (from earlier fragments)
    /// followed by `tail`.
    fn number_done(&mut self, tail: &str, ops: &mut Ops) -> Step {
        let start = ops.text.len();
        ops.text.push_str(&self.scratch);
        ops.text.push_str(tail);
        self.scratch.clear();
        if out_of_range(&ops.text[start..]) {
            ops.text.truncate(start);
            return self.fail(self.number_start, ErrorKind::NumberOutOfRange);
        }
        self.set(Kind::Number, (start, ops.text.len()), ops);
        self.value_end();
        Ok(())
    }

    /// One character of a string, from an escape the fast path could not
    /// read at once.
    fn string_char(&mut self, key: bool, c: char, ops: &mut Ops) {
        if key {
            self.scratch.push(c);
        } else {
            let start = ops.text.len();
            ops.text.push(c);
            self.appended(start, ops);
        }
    }

    /// The closing quote of a string.
    fn string_end(&mut self, key: bool) {
        if key {
            if let Some(top) = self.frames.last_mut() {
                top.key = Some(Arc::from(self.scratch.as_str()));
                top.slot = Cached::default();
            }
            self.scratch.clear();
            self.state = State::Colon;
        } else {
            self.append = None;
            self.value_end();
        }
    }

    /// Text of the current string was written to `ops.text` from `start`:
    /// it extends this call's `Append` op for the string when there is one,
    /// else makes a new op (none for no text).
    fn appended(&mut self, start: usize, ops: &mut Ops) {
        let end = ops.text.len();
        if end == start {
            return;
        }
        if let Some(idx) = self.append {
            if idx + 1 == ops.recs.len() && ops.recs[idx].text_end == start {
                ops.recs[idx].text_end = end;
                return;
            }
        }
        self.set(Kind::Append, (start, end), ops);
        self.append = Some(ops.recs.len() - 1);
    }

    /// Adds an op at the current place (the top container's current slot,
    /// or the root) with `text` a range of `ops.text`.
    fn set(&mut self, kind: Kind, text: (usize, usize), ops: &mut Ops) {
        let (prefix_start, prefix_len, last) = match self.frames.len().checked_sub(1) {
            None => (0, 0, ROOT),
            Some(top) => {
                let path = self.path_of(top, ops);
                (path.start, path.len, self.slot_of(top, ops))
            }
        };
        ops.recs.push(Rec {
            kind,
            prefix_start,
            prefix_len,
            last,
            text_start: text.0,
            text_end: text.1,
        });
    }

    /// The segment of frame `k`'s current key or index in `ops`, written
    /// once per call.
    fn slot_of(&mut self, k: usize, ops: &mut Ops) -> usize {
        let call = self.call;
        let f = &mut self.frames[k];
        if f.slot.call != call {
            let seg = match (&f.key, f.object) {
                (Some(key), true) => Seg::Key(key.clone()),
                _ => Seg::Index(f.index),
            };
            ops.segs.push(seg);
            f.slot = Cached {
                call,
                start: ops.segs.len() - 1,
                len: 1,
            };
        }
        f.slot.start
    }

    /// The path of the container of frame `k` in `ops` (the slots of the
    /// frames below it), written once per call.
    fn path_of(&mut self, k: usize, ops: &mut Ops) -> Cached {
        let call = self.call;
        if k == 0 {
            return Cached {
                call,
                start: 0,
                len: 0,
            };
        }
        if self.frames[k].path.call == call {
            return self.frames[k].path;
        }
        // The lowest frame without a path this call (frame 0's is empty).
        let mut from = k;
        while from > 1 && self.frames[from - 1].path.call != call {
            from -= 1;
        }
        for m in from..=k {
            let parent = if m == 1 {
                Cached {
                    call,
                    start: 0,
                    len: 0,
                }
            } else {
                self.frames[m - 1].path
            };
            let seg = self.slot_of(m - 1, ops);
            let path = if parent.len == 0 {
                Cached {
                    call,
                    start: seg,
                    len: 1,
                }
            } else if parent.start + parent.len == seg {
                Cached {
                    call,
                    start: parent.start,
                    len: parent.len + 1,
                }
            } else {
                let start = ops.segs.len();
                ops.segs
                    .extend_from_within(parent.start..parent.start + parent.len);
                ops.segs.push(ops.segs[seg].clone());
                Cached {
                    call,
                    start,
                    len: parent.len + 1,
                }
            };
            self.frames[m].path = path;
        }
        self.frames[k].path
    }
}
