//! A generator of OpenAI chat streams for structure-aware testing, driven
//! by `arbitrary::Unstructured` (the fuzz target feeds it the fuzzer's bytes;
//! the property tests feed it proptest's, which then shrink toward zeros:
//! every choice below puts its plainest option first, so an exhausted input
//! gives a plain stream).
//!
//! A [`Stream`] is a model, not bytes: chunks are JSON trees ([`J`]) whose
//! strings are built from segments (plain text under an escaping style, raw
//! invalid UTF-8 or control bytes, lone surrogate escapes), wrapped in SSE
//! framing (line ends, comments, `id`/`retry`/unknown fields, data split over
//! several lines, `data:` without a space, a BOM, a cut last event).
//! [`Stream::to_sse`] writes it; `check::model` predicts what the fold must
//! make of it.

use arbitrary::{Result, Unstructured};

/// A JSON value of the model. Numbers are kept as their text.
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    Null,
    Bool(bool),
    Num(&'static str),
    Str(Vec<Seg>),
    Arr(Vec<J>),
    Obj(Vec<(Key, J)>),
}

/// An object key: its name, written in an escaping style.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub style: Style,
}

/// A piece of a JSON string.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    /// Text, escaped as `Style` says.
    Text(String, Style),
    /// Bytes written as they are inside the quotes: invalid UTF-8 (replaced
    /// by U+FFFD in the SSE layer) or control bytes (invalid JSON). Never
    /// CR, LF, `"` or `\`.
    Raw(Vec<u8>),
    /// A `\uXXXX` escape of a lone surrogate (invalid JSON).
    Lone(u16),
}

/// How a string's characters are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Only what JSON requires is escaped (`"`, `\`, controls).
    Plain,
    /// Short escapes where they exist (`\n`, `\t`, `\/`, …).
    Short,
    /// Every non-ASCII character as `\uXXXX` (surrogate pairs above U+FFFF).
    AsciiOnly,
    /// Every character as `\uXXXX`.
    AllEscaped,
}

/// Line ends of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eol {
    Lf,
    CrLf,
    Cr,
}

impl Eol {
    fn bytes(self) -> &'static [u8] {
        match self {
            Eol::Lf => b"\n",
            Eol::CrLf => b"\r\n",
            Eol::Cr => b"\r",
        }
    }
}

/// What one SSE event carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A chunk object (or a value of the wrong shape).
    Chunk(J),
    /// `data: [DONE]`.
    Done,
    /// Data that is empty or only whitespace.
    Empty(&'static str),
    /// An `event:` line with this type, then a chunk.
    Typed(&'static str, J),
    /// Raw data bytes (never CR or LF): mostly not JSON.
    Garbage(Vec<u8>),
}

/// The SSE lines around one event's data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Frame {
    /// `data:` without the space.
    pub no_space: bool,
    /// A comment line before the event (bytes after the colon).
    pub comment: Option<Vec<u8>>,
    /// An `id:` line.
    pub id: Option<Vec<u8>>,
    /// A `retry:` line.
    pub retry: Option<&'static str>,
    /// An unknown field line.
    pub unknown: bool,
    /// An explicit `event: message` line.
    pub explicit_message: bool,
    /// Where the data is cut into several `data:` lines (picks among the
    /// places where a line end is JSON whitespace).
    pub splits: Vec<u16>,
}

/// One SSE event of the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub body: Body,
    pub frame: Frame,
}

/// A whole stream. Its `Debug` form is the SSE body it writes (what a
/// failing case needs to be reproduced).
#[derive(Clone, PartialEq)]
pub struct Stream {
    pub bom: bool,
    pub eol: Eol,
    /// JSON written with spaces after `:` and `,`.
    pub spaced: bool,
    pub items: Vec<Item>,
    /// Bytes after the last event, without a line end (never CR or LF): a
    /// cut event, unless empty or a comment.
    pub tail: Vec<u8>,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stream(b\"")?;
        for &b in &self.to_sse() {
            write!(f, "{}", std::ascii::escape_default(b))?;
        }
        f.write_str("\")")
    }
}

impl Default for Stream {
    fn default() -> Self {
        Stream {
            bom: false,
            eol: Eol::Lf,
            spaced: false,
            items: Vec::new(),
            tail: Vec::new(),
        }
    }
}

// ---------------------------------------------------------------------------
// Generation

/// The generator's state: the input, and how hostile this stream is (0: only
/// valid chunks; 1: rarely a wrong type, a bad index, an invalid string or
/// an error payload; 2: often). Most streams are clean, so that the checks
/// see long streams; the hostile ones exercise every error path.
pub struct G<'a, 'b> {
    u: &'b mut Unstructured<'a>,
    pub bad: u32,
}

impl<'a> std::ops::Deref for G<'a, '_> {
    type Target = Unstructured<'a>;
    fn deref(&self) -> &Unstructured<'a> {
        self.u
    }
}

impl std::ops::DerefMut for G<'_, '_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.u
    }
}

/// True, at hostility 1 with probability 1/`den`, at 2 with 4/`den`.
fn hostile(u: &mut G, den: u32) -> Result<bool> {
    match u.bad {
        0 => Ok(false),
        1 => chance(u, 1, den),
        _ => chance(u, 4.min(den), den),
    }
}

/// True with probability `num / den`; false once the input is exhausted.
fn chance(u: &mut G, num: u32, den: u32) -> Result<bool> {
    Ok(u.int_in_range(1..=den)? > den - num)
}

/// Picks one of `options`; exhausted input gives the first.
fn pick<T: Clone>(u: &mut G, options: &[T]) -> Result<T> {
    Ok(u.choose(options)?.clone())
}

fn count(u: &mut G, max: u32) -> Result<usize> {
    Ok(u.int_in_range(0..=max)? as usize)
}

fn key(name: &str) -> Key {
    Key {
        name: name.to_string(),
        style: Style::Plain,
    }
}

fn gen_key(u: &mut G, name: &str) -> Result<Key> {
    // Now and then a known key is written with escapes: the decoder must
    // match the decoded name.
    let style = if chance(u, 1, 25)? {
        pick(u, &[Style::AllEscaped, Style::AsciiOnly, Style::Short])?
    } else {
        Style::Plain
    };
    Ok(Key {
        name: name.to_string(),
        style,
    })
}

fn s(text: &str) -> J {
    J::Str(vec![Seg::Text(text.to_string(), Style::Plain)])
}

const TEXTS: &[&str] = &[
    "Hel",
    "lo",
    " world",
    "",
    "é",
    "日本語",
    "😀",
    "\"",
    "\\",
    "\n",
    "\t",
    "\r\n\r\n",
    "\u{0}",
    "\u{1f}",
    "\u{7f}",
    "\u{2028}",
    "\u{FEFF}",
    "{\"a\":",
    "1}",
    "a/b",
    "[DONE]",
    "data: x",
    "\u{10FFFF}",
];

const RAW_UTF8: &[&[u8]] = &[
    &[0xC3],
    &[0xE2, 0x82],
    &[0xFF],
    &[0x80],
    &[0xF0, 0x9F, 0x98],
    &[0xED, 0xA0, 0x80],
    &[0xC0, 0xAF],
];

const RAW_CONTROL: &[&[u8]] = &[&[0x01], &[0x09], &[0x00], &[0x1F]];

const NUMBERS: &[&str] = &[
    "1",
    "0",
    "-1",
    "42",
    "0.5",
    "-0",
    "1e2",
    "1E-7",
    "3.14159",
    "4000000000",
    "2147483647",
    "4294967295",
    "4294967296",
    "18446744073709551616",
    "-9223372036854775808",
    "1.0",
    "123456789012345678901234567890",
];

fn text_seg(u: &mut G) -> Result<Seg> {
    let style = match u.int_in_range(0..=9)? {
        0..=5 => Style::Plain,
        6 => Style::Short,
        7 | 8 => Style::AsciiOnly,
        _ => Style::AllEscaped,
    };
    let text = if chance(u, 1, 4)? {
        let n = count(u, 8)?;
        let mut t = String::new();
        for _ in 0..n {
            t.push(u.arbitrary::<char>()?);
        }
        t
    } else {
        pick(u, TEXTS)?.to_string()
    };
    Ok(Seg::Text(text, style))
}

/// A string value: mostly plain text, sometimes raw bytes or a lone
/// surrogate.
fn text(u: &mut G) -> Result<J> {
    let n = u.int_in_range(1..=3)?;
    let mut segs = Vec::with_capacity(n);
    for _ in 0..n {
        let seg = if chance(u, 1, 30)? {
            // Invalid UTF-8: replaced by U+FFFD, no error.
            Seg::Raw(pick(u, RAW_UTF8)?.to_vec())
        } else if hostile(u, 400)? {
            // Invalid JSON.
            match u.int_in_range(0..=1)? {
                0 => Seg::Raw(pick(u, RAW_CONTROL)?.to_vec()),
                _ => Seg::Lone(pick(u, &[0xD800u16, 0xDC00, 0xDBFF, 0xDFFF])?),
            }
        } else {
            text_seg(u)?
        };
        segs.push(seg);
    }
    Ok(J::Str(segs))
}

/// A value of the wrong type for a field (the right type is left to the
/// caller).
fn wrong(u: &mut G) -> Result<J> {
    Ok(match u.int_in_range(0..=5)? {
        0 => J::Num("5"),
        1 => J::Bool(true),
        2 => s("0"),
        3 => J::Arr(vec![]),
        4 => J::Obj(vec![]),
        _ => J::Bool(false),
    })
}

/// A field's value: usually `good`, sometimes null, rarely of a wrong type.
fn field(u: &mut G, good: impl FnOnce(&mut G) -> Result<J>, wrong_type_ok: bool) -> Result<J> {
    if wrong_type_ok && hostile(u, 150)? {
        return wrong(u);
    }
    if chance(u, 1, 15)? {
        return Ok(J::Null);
    }
    good(u)
}

fn any_value(u: &mut G, depth: u32) -> Result<J> {
    Ok(match u.int_in_range(0..=6)? {
        0 => text(u)?,
        1 => J::Null,
        2 => J::Bool(u.arbitrary()?),
        3 => J::Num(pick(u, NUMBERS)?),
        4 if depth < 3 => {
            let n = count(u, 3)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(any_value(u, depth + 1)?);
            }
            J::Arr(v)
        }
        5 if depth < 3 => {
            let n = count(u, 3)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                let name = pick(u, &["a", "type", "text", "", "é", "id", "name", "index"])?;
                v.push((key(name), any_value(u, depth + 1)?));
            }
            J::Obj(v)
        }
        _ => J::Num("7"),
    })
}

/// Shuffles members (a Fisher–Yates shuffle driven by the input).
fn shuffle<T>(u: &mut G, v: &mut [T]) -> Result<()> {
    for i in (1..v.len()).rev() {
        let j = u.int_in_range(0..=i)?;
        v.swap(i, j);
    }
    Ok(())
}

fn index(u: &mut G) -> Result<J> {
    if hostile(u, 40)? {
        return Ok(match u.int_in_range(0..=8)? {
            0 => J::Num("4294967296"),
            1 => J::Num("18446744073709551616"),
            2 => J::Num("-1"),
            3 => J::Num("-0"),
            4 => J::Num("1.0"),
            5 => J::Num("1e2"),
            6 => J::Num("0.5"),
            7 => s("0"),
            _ => J::Bool(true),
        });
    }
    Ok(match u.int_in_range(0..=99)? {
        0..=54 => J::Num("0"),
        55..=71 => J::Num("1"),
        72..=81 => J::Num("2"),
        82..=86 => J::Num("3"),
        87..=89 => J::Num("4000000000"),
        90..=92 => J::Num("2147483647"),
        93..=94 => J::Num("4294967295"),
        _ => J::Null,
    })
}

fn tool_call(u: &mut G) -> Result<J> {
    let mut m = Vec::new();
    if !chance(u, 1, 5)? {
        m.push((gen_key(u, "index")?, index(u)?));
    }
    if chance(u, 1, 2)? {
        let id = match u.int_in_range(0..=7)? {
            0..=2 => s("call_1"),
            3 => s("call_2"),
            4 => s(""),
            5 => J::Null,
            6 => J::Num("5"),
            _ => text(u)?,
        };
        m.push((gen_key(u, "id")?, id));
    }
    if chance(u, 2, 5)? {
        let t = field(u, |u| pick(u, &[s("function"), s("")]), true)?;
        m.push((gen_key(u, "type")?, t));
    }
    if !chance(u, 1, 10)? {
        let mut f = Vec::new();
        if chance(u, 2, 5)? {
            let name = field(
                u,
                |u| {
                    Ok(match u.int_in_range(0..=4)? {
                        0 => s("get_weather"),
                        1 => s("f"),
                        2 => s(""),
                        _ => text(u)?,
                    })
                },
                true,
            )?;
            f.push((gen_key(u, "name")?, name));
        }
        if !chance(u, 1, 5)? {
            let args = match u.int_in_range(0..=19)? {
                0..=15 => text(u)?,
                16 => J::Null,
                17 => J::Obj(vec![(key("a"), J::Num("1"))]),
                18 => J::Arr(vec![J::Num("1")]),
                _ if u.bad > 0 => J::Num("5"),
                _ => text(u)?,
            };
            f.push((gen_key(u, "arguments")?, args));
        }
        if chance(u, 1, 20)? {
            f.push((key("strict"), J::Bool(true)));
        }
        shuffle(u, &mut f)?;
        let function = if hostile(u, 30)? {
            wrong(u)?
        } else {
            J::Obj(f)
        };
        m.push((gen_key(u, "function")?, function));
    }
    if chance(u, 1, 20)? {
        m.push((key("x_tool"), any_value(u, 1)?));
    }
    shuffle(u, &mut m)?;
    Ok(J::Obj(m))
}

fn delta(u: &mut G) -> Result<J> {
    let mut m = Vec::new();
    if chance(u, 3, 10)? {
        let role = field(u, |u| pick(u, &[s("assistant"), s(""), s("tool")]), true)?;
        m.push((gen_key(u, "role")?, role));
    }
    if !chance(u, 3, 10)? {
        m.push((gen_key(u, "content")?, field(u, text, true)?));
    }
    if chance(u, 1, 10)? {
        m.push((gen_key(u, "refusal")?, field(u, text, true)?));
    }
    if chance(u, 1, 5)? {
        let calls = if chance(u, 1, 20)? {
            J::Null
        } else if hostile(u, 40)? {
            wrong(u)?
        } else {
            let n = u.int_in_range(0..=3)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(if hostile(u, 40)? {
                    J::Num("1")
                } else {
                    tool_call(u)?
                });
            }
            J::Arr(v)
        };
        m.push((gen_key(u, "tool_calls")?, calls));
    }
    if chance(u, 1, 30)? {
        let f = J::Obj(vec![
            (key("name"), s("legacy")),
            (key("arguments"), text(u)?),
        ]);
        m.push((key("function_call"), f));
    }
    for name in ["reasoning", "reasoning_content"] {
        if chance(u, 3, 20)? {
            m.push((
                gen_key(u, name)?,
                if chance(u, 1, 10)? { J::Null } else { text(u)? },
            ));
        }
    }
    if chance(u, 1, 10)? {
        let name = pick(u, &["annotations", "audio", "x_extra", "thinking"])?;
        m.push((key(name), any_value(u, 1)?));
    }
    if chance(u, 1, 30)? {
        // A repeated key: the last one counts.
        m.push((key("content"), field(u, text, false)?));
    }
    shuffle(u, &mut m)?;
    Ok(J::Obj(m))
}

fn logprob_list(u: &mut G) -> Result<J> {
    if chance(u, 1, 10)? {
        return Ok(J::Null);
    }
    let n = count(u, 3)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(if chance(u, 1, 4)? {
            any_value(u, 1)?
        } else {
            J::Obj(vec![
                (key("token"), text(u)?),
                (
                    key("logprob"),
                    J::Num(pick(u, &["-0.5", "0", "-1e-3", "-12.25"])?),
                ),
                (key("bytes"), J::Arr(vec![J::Num("72"), J::Num("105")])),
                (key("top_logprobs"), J::Arr(vec![])),
            ])
        });
    }
    Ok(J::Arr(v))
}

fn choice(u: &mut G) -> Result<J> {
    let mut m = Vec::new();
    if !chance(u, 3, 20)? {
        m.push((gen_key(u, "index")?, index(u)?));
    }
    if !chance(u, 1, 10)? {
        let d = field(u, delta, true)?;
        m.push((gen_key(u, "delta")?, d));
    }
    if chance(u, 3, 10)? {
        let reason = field(
            u,
            |u| {
                pick(
                    u,
                    &[
                        s("stop"),
                        s("length"),
                        s("tool_calls"),
                        s("content_filter"),
                        s(""),
                    ],
                )
            },
            true,
        )?;
        m.push((gen_key(u, "finish_reason")?, reason));
    }
    if chance(u, 1, 10)? {
        let lp = field(
            u,
            |u| {
                let mut lp = vec![(key("content"), logprob_list(u)?)];
                if chance(u, 1, 3)? {
                    lp.push((key("refusal"), logprob_list(u)?));
                }
                Ok(J::Obj(lp))
            },
            true,
        )?;
        m.push((gen_key(u, "logprobs")?, lp));
    }
    if chance(u, 1, 20)? {
        m.push((key("obfuscation"), text(u)?));
    }
    if chance(u, 1, 10)? {
        let name = pick(
            u,
            &[
                "content_filter_results",
                "native_finish_reason",
                "stop_reason",
            ],
        )?;
        m.push((key(name), any_value(u, 1)?));
    }
    shuffle(u, &mut m)?;
    Ok(J::Obj(m))
}

fn usage(u: &mut G) -> Result<J> {
    let mut m = Vec::new();
    for name in ["prompt_tokens", "completion_tokens", "total_tokens"] {
        if !chance(u, 1, 5)? {
            let n = if chance(u, 1, 10)? {
                any_value(u, 1)?
            } else {
                J::Num(pick(
                    u,
                    &["10", "0", "4000000000", "18446744073709551616", "1.5"],
                )?)
            };
            m.push((key(name), n));
        }
    }
    if chance(u, 1, 4)? {
        m.push((
            key("completion_tokens_details"),
            J::Obj(vec![(key("reasoning_tokens"), J::Num("3"))]),
        ));
    }
    shuffle(u, &mut m)?;
    Ok(J::Obj(m))
}

/// A chunk object.
fn chunk(u: &mut G) -> Result<J> {
    let mut m = Vec::new();
    if !chance(u, 3, 10)? {
        let id = field(u, |u| pick(u, &[s("chatcmpl-1"), s("")]), true)?;
        m.push((gen_key(u, "id")?, id));
    }
    if !chance(u, 3, 10)? {
        let object = match u.int_in_range(0..=19)? {
            0..=16 => s("chat.completion.chunk"),
            17 => s(""),
            18 => J::Null,
            _ if hostile(u, 10)? => s("error"),
            _ => s("chat.completion"),
        };
        m.push((gen_key(u, "object")?, object));
    }
    if chance(u, 1, 2)? {
        let created = field(
            u,
            |u| {
                Ok(J::Num(if hostile(u, 10)? {
                    pick(u, NUMBERS)?
                } else {
                    pick(u, &["1700000000", "0", "-1", "4000000000"])?
                }))
            },
            true,
        )?;
        m.push((gen_key(u, "created")?, created));
    }
    if chance(u, 1, 2)? {
        m.push((
            gen_key(u, "model")?,
            field(u, |u| pick(u, &[s("gpt-4o"), s("")]), true)?,
        ));
    }
    if chance(u, 1, 5)? {
        m.push((gen_key(u, "system_fingerprint")?, field(u, text, true)?));
    }
    if chance(u, 1, 10)? {
        m.push((gen_key(u, "service_tier")?, field(u, text, true)?));
    }
    if !chance(u, 1, 10)? {
        let choices = field(
            u,
            |u| {
                let n = match u.int_in_range(0..=9)? {
                    0..=6 => 1,
                    7 => 0,
                    8 => 2,
                    _ => 3,
                };
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(if hostile(u, 50)? { J::Null } else { choice(u)? });
                }
                Ok(J::Arr(v))
            },
            true,
        )?;
        m.push((gen_key(u, "choices")?, choices));
    }
    if chance(u, 3, 20)? {
        m.push((gen_key(u, "usage")?, field(u, usage, true)?));
    }
    if chance(u, 1, 10)? {
        m.push((key("obfuscation"), text(u)?));
    }
    if chance(u, 1, 50)? {
        let e = match u.int_in_range(0..=7)? {
            _ if u.bad == 0 => J::Null,
            0 => J::Null,
            1 => J::Bool(false),
            2 => J::Num("0"),
            3 => s(""),
            4 => J::Obj(vec![]),
            5 => s("boom"),
            _ => J::Obj(vec![
                (key("message"), s("boom")),
                (key("type"), s("server_error")),
                (key("code"), J::Num("500")),
            ]),
        };
        m.push((key("error"), e));
    }
    for _ in 0..count(u, 1)? {
        let name = pick(
            u,
            &["prompt_filter_results", "x_groq", "citations", "", "é"],
        )?;
        m.push((key(name), any_value(u, 1)?));
    }
    shuffle(u, &mut m)?;
    // Rarely, not an object at all.
    if hostile(u, 100)? {
        return Ok(J::Arr(vec![J::Obj(m)]));
    }
    Ok(J::Obj(m))
}

fn line_bytes(u: &mut G, max: usize) -> Result<Vec<u8>> {
    let n = u.int_in_range(0..=max)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let b: u8 = u.arbitrary()?;
        if b != b'\r' && b != b'\n' {
            v.push(b);
        }
    }
    Ok(v)
}

fn frame(u: &mut G) -> Result<Frame> {
    let mut f = Frame {
        no_space: chance(u, 1, 5)?,
        ..Frame::default()
    };
    if chance(u, 1, 10)? {
        f.comment = Some(line_bytes(u, 8)?);
    }
    if chance(u, 1, 10)? {
        f.id = Some(line_bytes(u, 6)?);
    }
    if chance(u, 1, 20)? {
        f.retry = Some(pick(u, &["3000", "", "x", "99999999999999999999999"])?);
    }
    f.unknown = chance(u, 1, 20)?;
    f.explicit_message = chance(u, 1, 20)?;
    for _ in 0..count(u, 2)? {
        f.splits.push(u.arbitrary()?);
    }
    Ok(f)
}

fn item(u: &mut G) -> Result<Item> {
    let body = match u.int_in_range(0..=99)? {
        0..=87 => Body::Chunk(chunk(u)?),
        88..=91 => Body::Done,
        92..=93 => Body::Empty(pick(u, &["", " ", "\t", "  "])?),
        94..=96 => {
            let t = pick(u, &["message", "ping", "", "Message", "error"])?;
            let t = if t == "error" && u.bad == 0 {
                "ping"
            } else {
                t
            };
            Body::Typed(t, chunk(u)?)
        }
        _ if u.bad == 0 => Body::Chunk(chunk(u)?),
        _ => Body::Garbage(if chance(u, 1, 2)? {
            pick(
                u,
                &[
                    &b"[DONE]x"[..],
                    b"[DONE] ",
                    b" [DONE]",
                    b"[done]",
                    b"{oops}",
                    b"{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"cut",
                ],
            )?
            .to_vec()
        } else {
            line_bytes(u, 12)?
        }),
    };
    Ok(Item {
        body,
        frame: frame(u)?,
    })
}

/// A stream of up to 16 events.
pub fn stream(u: &mut Unstructured) -> Result<Stream> {
    let bad = match u.int_in_range(0..=9)? {
        0..=5 => 0,
        6..=8 => 1,
        _ => 2,
    };
    stream_with(&mut G { u, bad })
}

/// One chunk object at hostility `bad` (see [`G`]).
pub fn chunk_with(u: &mut Unstructured, bad: u32) -> Result<J> {
    chunk(&mut G { u, bad })
}

fn stream_with(u: &mut G) -> Result<Stream> {
    let mut st = Stream {
        bom: chance(u, 1, 10)?,
        eol: pick(u, &[Eol::Lf, Eol::Lf, Eol::CrLf, Eol::Cr])?,
        spaced: chance(u, 1, 4)?,
        ..Stream::default()
    };
    let n = u.int_in_range(0..=16)?;
    for _ in 0..n {
        st.items.push(item(u)?);
    }
    if chance(u, 1, 6)? {
        st.tail = if chance(u, 1, 2)? {
            b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"cut".to_vec()
        } else {
            line_bytes(u, 10)?
        };
    }
    Ok(st)
}

// ---------------------------------------------------------------------------
// Writing

/// Writes JSON and notes where a line end would be JSON whitespace.
struct Writer {
    out: Vec<u8>,
    /// Offsets in `out` just after a structural character.
    breaks: Vec<usize>,
    spaced: bool,
}

impl Writer {
    fn value(&mut self, j: &J) {
        match j {
            J::Null => self.out.extend_from_slice(b"null"),
            J::Bool(b) => self
                .out
                .extend_from_slice(if *b { b"true" } else { b"false" }),
            J::Num(n) => self.out.extend_from_slice(n.as_bytes()),
            J::Str(segs) => write_string(&mut self.out, segs),
            J::Arr(v) => {
                self.open(b'[');
                for (i, e) in v.iter().enumerate() {
                    if i > 0 {
                        self.comma();
                    }
                    self.value(e);
                }
                self.out.push(b']');
            }
            J::Obj(m) => {
                self.open(b'{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        self.comma();
                    }
                    write_string(&mut self.out, &[Seg::Text(k.name.clone(), k.style)]);
                    self.out.push(b':');
                    self.breaks.push(self.out.len());
                    if self.spaced {
                        self.out.push(b' ');
                    }
                    self.value(v);
                }
                self.out.push(b'}');
            }
        }
    }

    fn open(&mut self, b: u8) {
        self.out.push(b);
        self.breaks.push(self.out.len());
    }

    fn comma(&mut self) {
        self.out.push(b',');
        self.breaks.push(self.out.len());
        if self.spaced {
            self.out.push(b' ');
        }
    }
}

fn hex4(out: &mut Vec<u8>, unit: u16) {
    out.extend_from_slice(format!("\\u{unit:04X}").as_bytes());
}

fn escape_all(out: &mut Vec<u8>, c: char) {
    let mut units = [0u16; 2];
    for unit in c.encode_utf16(&mut units) {
        hex4(out, *unit);
    }
}

/// Writes a JSON string literal, quotes included.
pub fn write_string(out: &mut Vec<u8>, segs: &[Seg]) {
    out.push(b'"');
    for seg in segs {
        match seg {
            Seg::Raw(bytes) => out.extend_from_slice(bytes),
            Seg::Lone(unit) => hex4(out, *unit),
            Seg::Text(text, style) => {
                for c in text.chars() {
                    match (style, c) {
                        (Style::AllEscaped, c) => escape_all(out, c),
                        (_, '"') => out.extend_from_slice(b"\\\""),
                        (_, '\\') => out.extend_from_slice(b"\\\\"),
                        (Style::Short, '/') => out.extend_from_slice(b"\\/"),
                        (Style::Short, '\n') => out.extend_from_slice(b"\\n"),
                        (Style::Short, '\r') => out.extend_from_slice(b"\\r"),
                        (Style::Short, '\t') => out.extend_from_slice(b"\\t"),
                        (Style::Short, '\u{8}') => out.extend_from_slice(b"\\b"),
                        (Style::Short, '\u{c}') => out.extend_from_slice(b"\\f"),
                        (_, c) if (c as u32) < 0x20 => hex4(out, c as u16),
                        (Style::AsciiOnly, c) if !c.is_ascii() => escape_all(out, c),
                        (_, c) => {
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                    }
                }
            }
        }
    }
    out.push(b'"');
}

/// The JSON text of a value, and the offsets where a line end may go.
pub fn write_json(j: &J, spaced: bool) -> (Vec<u8>, Vec<usize>) {
    let mut w = Writer {
        out: Vec::new(),
        breaks: Vec::new(),
        spaced,
    };
    w.value(j);
    (w.out, w.breaks)
}

impl Item {
    /// The values of the event's `data:` lines, as written.
    pub fn data_lines(&self, spaced: bool) -> Vec<Vec<u8>> {
        let (data, breaks) = match &self.body {
            Body::Chunk(j) | Body::Typed(_, j) => write_json(j, spaced),
            Body::Done => (b"[DONE]".to_vec(), Vec::new()),
            Body::Empty(ws) => (ws.as_bytes().to_vec(), Vec::new()),
            Body::Garbage(bytes) => (bytes.clone(), Vec::new()),
        };
        let mut cuts: Vec<usize> = if breaks.is_empty() {
            Vec::new()
        } else {
            self.frame
                .splits
                .iter()
                .map(|&p| breaks[p as usize % breaks.len()])
                .collect()
        };
        cuts.sort_unstable();
        cuts.dedup();
        let mut lines = Vec::with_capacity(cuts.len() + 1);
        let mut at = 0;
        for cut in cuts.into_iter().chain([data.len()]) {
            lines.push(data[at..cut].to_vec());
            at = cut;
        }
        lines
    }

    /// The event's data as the SSE layer gives it (before UTF-8 decoding):
    /// the lines joined with LF, each without the one space after `data:`.
    pub fn sse_data(&self, spaced: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, line) in self.data_lines(spaced).into_iter().enumerate() {
            if i > 0 {
                out.push(b'\n');
            }
            let value = match (self.frame.no_space, line.first()) {
                (true, Some(b' ')) => &line[1..],
                _ => &line[..],
            };
            out.extend_from_slice(value);
        }
        out
    }
}

impl Stream {
    /// The SSE body.
    pub fn to_sse(&self) -> Vec<u8> {
        let eol = self.eol.bytes();
        let mut out = Vec::new();
        if self.bom {
            out.extend_from_slice(&[0xEF, 0xBB, 0xBF]);
        }
        for item in &self.items {
            let f = &item.frame;
            let line = |out: &mut Vec<u8>, parts: &[&[u8]]| {
                for p in parts {
                    out.extend_from_slice(p);
                }
                out.extend_from_slice(eol);
            };
            if let Some(c) = &f.comment {
                line(&mut out, &[b":", c]);
            }
            if f.unknown {
                line(&mut out, &[b"x-field: 1"]);
            }
            if let Some(r) = f.retry {
                line(&mut out, &[b"retry: ", r.as_bytes()]);
            }
            if let Some(id) = &f.id {
                line(&mut out, &[b"id: ", id]);
            }
            match &item.body {
                Body::Typed(t, _) => line(&mut out, &[b"event: ", t.as_bytes()]),
                _ if f.explicit_message => line(&mut out, &[b"event: message"]),
                _ => {}
            }
            let prefix: &[u8] = if f.no_space { b"data:" } else { b"data: " };
            for piece in item.data_lines(self.spaced) {
                line(&mut out, &[prefix, &piece]);
            }
            out.extend_from_slice(eol);
        }
        out.extend_from_slice(&self.tail);
        out
    }

    /// True when the stream ends inside an event (a tail that is neither
    /// empty nor a comment).
    pub fn cut_inside_event(&self) -> bool {
        !self.tail.is_empty() && self.tail[0] != b':'
    }
}
