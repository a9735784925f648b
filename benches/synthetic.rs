//! Deterministic synthetic OpenAI chat-completion streams for benches and tests.
//!
//! Everything here is built from the project's built-in sample,
//! `tests/data/openai-gpt-4o-saturn.sse` (a recorded gpt-4o stream), so the
//! generated streams have its exact chunk envelope: same keys, same key order,
//! compact JSON, `null` for every unset delta field, an `obfuscation` padding
//! string on every chunk, a usage chunk with `"choices":[]`, then
//! `data: [DONE]`. Nothing large is committed: streams are generated on demand.
//!
//! Randomness (obfuscation lengths and letters, tool-call ids, argument
//! fragment sizes) comes from a tiny xorshift PRNG with a fixed seed per
//! generator, so every call returns the same bytes on every machine.
//!
//! This file depends on `std` only: benches include it with
//! `#[path = "synthetic.rs"] mod synthetic;` and integration tests with
//! `#[path = "../benches/synthetic.rs"] mod synthetic;`.
#![allow(dead_code)]

/// The built-in sample every synthetic stream is shaped after.
pub const SAMPLE: &[u8] = include_bytes!("../tests/data/openai-gpt-4o-saturn.sse");

/// A generated stream and what a correct fold of it must produce.
#[derive(Debug, Clone)]
pub struct Synthetic {
    /// The `text/event-stream` body: `data: <json>\n\n` per event, LF line ends.
    pub bytes: Vec<u8>,
    /// The concatenated `content` of choice 0 (JSON escapes decoded).
    pub content: String,
    /// The concatenated `function.arguments` of each tool call of choice 0,
    /// by tool-call index.
    pub tool_arguments: Vec<String>,
    /// The last non-null `finish_reason` of choice 0.
    pub finish_reason: Option<String>,
    /// `usage.total_tokens` of the usage chunk, if the stream has one.
    pub total_tokens: Option<u64>,
    /// Number of SSE events (data lines) in `bytes`, the final `[DONE]` included.
    pub events: usize,
}

/// `bytes` in pieces of `size` bytes (the last one shorter), as a network
/// client would receive them. `size` of `usize::MAX` yields the whole input at once.
///
/// # Panics
///
/// If `size` is 0.
pub fn chunks(bytes: &[u8], size: usize) -> impl Iterator<Item = &[u8]> + Clone {
    bytes.chunks(size)
}

/// A stream shaped like the sample: the sample's role chunk, then `events`
/// content-delta chunks whose tokens cycle through the sample's tokens, each
/// with random `[a-zA-Z0-9]` obfuscation padding of 5 to 15 bytes (the sample's
/// range), then the sample's finish chunk, usage chunk and `data: [DONE]`.
///
/// The sample's chunk envelope alone is 348 bytes (`data: ` and the blank line
/// included), so an event averages about 363 bytes: 200,000 events make about
/// 73 MB.
pub fn text_stream(events: usize) -> Synthetic {
    let sample = Sample::get();
    let mut rng = Rng::new(0x5EED_7E47);
    let mut bytes = Vec::with_capacity(sample.role.len() + events * 370 + 1024);
    let mut content = String::new();
    bytes.extend_from_slice(sample.role.as_bytes());
    for i in 0..events {
        let token = sample.tokens[i % sample.tokens.len()];
        bytes.extend_from_slice(sample.delta_head.as_bytes());
        bytes.extend_from_slice(token.as_bytes());
        bytes.extend_from_slice(sample.delta_mid.as_bytes());
        rng.obfuscation(&mut bytes);
        bytes.extend_from_slice(sample.tail.as_bytes());
        unescape_into(token, &mut content);
    }
    bytes.extend_from_slice(sample.finish.as_bytes());
    bytes.extend_from_slice(sample.usage.as_bytes());
    bytes.extend_from_slice(DONE);
    Synthetic {
        bytes,
        content,
        tool_arguments: Vec::new(),
        finish_reason: Some("stop".to_owned()),
        total_tokens: Some(sample.total_tokens),
        events: events + 4,
    }
}

/// The number of tool-call events that makes [`tool_stream`] about as long
/// as [`text_stream`] of `text_events` content deltas.
pub fn tool_events_like_text(text_events: usize) -> usize {
    let probe = 4_000;
    let text_bytes = text_stream(probe).bytes.len() as f64 / probe as f64;
    let tool_bytes = tool_stream(probe).bytes.len() as f64 / probe as f64;
    ((text_events as f64 * text_bytes / tool_bytes) as usize).max(8)
}

/// Names of the four functions called in parallel by [`tool_stream`].
pub const TOOL_NAMES: [&str; 4] = [
    "get_planet_facts",
    "search_documents",
    "get_weather",
    "convert_units",
];

/// A stream with four parallel tool calls in choice 0, as gpt-4o sends them:
/// the sample's role chunk; then, one call after another, a first delta
/// `{"index":i,"id":"call_…","type":"function","function":{"name":"…","arguments":""}}`
/// followed by argument fragments `{"index":i,"function":{"arguments":"…"}}` of
/// 1 to 7 bytes of argument text (the last fragment of a call closes its JSON
/// and may be longer); then the sample's finish chunk with `"finish_reason":"tool_calls"`,
/// the usage chunk and `data: [DONE]`.
///
/// The chunk envelope and the delta's other keys (`"content":null`, …) are the
/// sample's; the tool-call objects themselves are in OpenAI's wire form (only
/// the keys that are set). Arguments are JSON text (an object holding an array
/// of records whose labels come from the sample's tokens, so some carry
/// escaped quotes), embedded as JSON strings, hence `\"` and `\\\"`.
///
/// `events` is the number of tool-call delta chunks (first deltas and
/// fragments), spread evenly over the four calls.
///
/// # Panics
///
/// If `events < 8` (each call needs a first delta and at least one fragment).
pub fn tool_stream(events: usize) -> Synthetic {
    assert!(events >= 8, "tool_stream needs at least 8 events");
    let sample = Sample::get();
    let mut rng = Rng::new(0x7001_CA11);
    let mut bytes = Vec::with_capacity(sample.role.len() + events * 420 + 1024);
    let mut tool_arguments = Vec::with_capacity(TOOL_NAMES.len());
    bytes.extend_from_slice(sample.role.as_bytes());
    let mut item = String::new();
    for (index, name) in TOOL_NAMES.iter().enumerate() {
        let per_call = events / TOOL_NAMES.len() + usize::from(index < events % TOOL_NAMES.len());
        // First delta: id, type, name, empty arguments.
        let mut id = String::from("call_");
        for _ in 0..24 {
            id.push(rng.alnum() as char);
        }
        item.clear();
        item.push_str(&format!(
            r#"{{"index":{index},"id":"{id}","type":"function","function":{{"name":"{name}","arguments":""}}}}"#
        ));
        sample.push_tool_chunk(&mut bytes, &item, &mut rng);
        // Argument fragments.
        let mut args = Arguments::new(index);
        let mut all = String::new();
        for fragment_no in 1..per_call {
            let fragment = if fragment_no + 1 == per_call {
                args.close(&mut rng)
            } else {
                let len = 1 + rng.below(7) as usize;
                args.take(len, &mut rng)
            };
            all.push_str(&fragment);
            item.clear();
            item.push_str(&format!(r#"{{"index":{index},"function":{{"arguments":""#));
            escape_into(&fragment, &mut item);
            item.push_str("\"}}");
            sample.push_tool_chunk(&mut bytes, &item, &mut rng);
        }
        tool_arguments.push(all);
    }
    bytes.extend_from_slice(
        sample
            .finish
            .replacen(
                r#""finish_reason":"stop""#,
                r#""finish_reason":"tool_calls""#,
                1,
            )
            .as_bytes(),
    );
    bytes.extend_from_slice(sample.usage.as_bytes());
    bytes.extend_from_slice(DONE);
    Synthetic {
        bytes,
        content: String::new(),
        tool_arguments,
        finish_reason: Some("tool_calls".to_owned()),
        total_tokens: Some(sample.total_tokens),
        events: events + 4,
    }
}

/// One content chunk whose `content` is a single long string of about `bytes`
/// bytes of JSON text (the sample's tokens over and over, escaped quotes
/// included), then the sample's finish chunk and `data: [DONE]`: three events.
pub fn big_event(bytes: usize) -> Synthetic {
    let sample = Sample::get();
    let mut rng = Rng::new(0xB16_E7E47);
    let mut out = Vec::with_capacity(bytes + 1024);
    let mut content = String::with_capacity(bytes);
    out.extend_from_slice(sample.delta_head.as_bytes());
    let start = out.len();
    let mut i = 0;
    while out.len() - start < bytes {
        let token = sample.tokens[i % sample.tokens.len()];
        out.extend_from_slice(token.as_bytes());
        unescape_into(token, &mut content);
        i += 1;
    }
    out.extend_from_slice(sample.delta_mid.as_bytes());
    rng.obfuscation(&mut out);
    out.extend_from_slice(sample.tail.as_bytes());
    out.extend_from_slice(sample.finish.as_bytes());
    out.extend_from_slice(DONE);
    Synthetic {
        bytes: out,
        content,
        tool_arguments: Vec::new(),
        finish_reason: Some("stop".to_owned()),
        total_tokens: None,
        events: 3,
    }
}

const DONE: &[u8] = b"data: [DONE]\n\n";

/// The pieces of the sample the generators reuse, cut once.
struct Sample {
    /// The first event (role chunk), `\n\n` included.
    role: &'static str,
    /// A content-delta event up to and including `"content":"`.
    delta_head: &'static str,
    /// From the closing quote of `content` to `"obfuscation":"` included.
    delta_mid: &'static str,
    /// The end of every event after the obfuscation value: `"}` and `\n\n`.
    tail: &'static str,
    /// The finish-chunk event (`"finish_reason":"stop"`), `\n\n` included.
    finish: &'static str,
    /// The usage-chunk event, `\n\n` included.
    usage: &'static str,
    /// `usage.total_tokens` of the usage chunk.
    total_tokens: u64,
    /// The finish event up to and including `"tool_calls":` (before its `null`).
    tool_head: &'static str,
    /// From after `"tool_calls":null` to `"obfuscation":"` included, with
    /// `"finish_reason":null`.
    tool_mid: String,
    /// The content tokens of the sample's delta chunks, as JSON string
    /// contents (escapes kept).
    tokens: Vec<&'static str>,
}

impl Sample {
    fn get() -> &'static Sample {
        static SAMPLE_PIECES: std::sync::OnceLock<Sample> = std::sync::OnceLock::new();
        SAMPLE_PIECES.get_or_init(Sample::cut)
    }

    fn cut() -> Sample {
        let text = std::str::from_utf8(SAMPLE).expect("the sample is UTF-8");
        // Events, each with its `\n\n`.
        let mut events: Vec<&'static str> = Vec::new();
        let mut rest = text;
        while let Some(end) = rest.find("\n\n") {
            events.push(&rest[..end + 2]);
            rest = &rest[end + 2..];
        }
        assert!(rest.is_empty(), "the sample ends with a blank line");
        let n = events.len();
        assert!(
            n >= 6,
            "the sample has a role, deltas, finish, usage, [DONE]"
        );
        assert_eq!(events[n - 1], "data: [DONE]\n\n");
        let (role, finish, usage) = (events[0], events[n - 3], events[n - 2]);
        assert!(role.contains(r#""role":"assistant""#));
        assert!(finish.contains(r#""finish_reason":"stop""#));
        assert!(usage.contains(r#""choices":[]"#));
        let deltas = &events[1..n - 3];

        const CONTENT: &str = r#""content":""#;
        const OBFUSCATION: &str = r#""obfuscation":""#;
        let mut tokens = Vec::with_capacity(deltas.len());
        for delta in deltas {
            let start = delta.find(CONTENT).expect("a content delta") + CONTENT.len();
            let len = json_string_len(&delta[start..]);
            tokens.push(&delta[start..start + len]);
        }
        let first = deltas[0];
        let head_end = first.find(CONTENT).unwrap() + CONTENT.len();
        let value_end = head_end + tokens[0].len();
        let obf_start = first.find(OBFUSCATION).unwrap() + OBFUSCATION.len();
        let obf_end = obf_start + json_string_len(&first[obf_start..]);

        const TOOL_CALLS_NULL: &str = r#""tool_calls":null"#;
        let tc = finish
            .find(TOOL_CALLS_NULL)
            .expect("finish delta has tool_calls");
        let tool_head = &finish[..tc + r#""tool_calls":"#.len()];
        let finish_obf = finish.find(OBFUSCATION).unwrap() + OBFUSCATION.len();
        let tool_mid = finish[tc + TOOL_CALLS_NULL.len()..finish_obf].replacen(
            r#""finish_reason":"stop""#,
            r#""finish_reason":null"#,
            1,
        );

        const TOTAL: &str = r#""total_tokens":"#;
        let t = usage.find(TOTAL).expect("usage has total_tokens") + TOTAL.len();
        let digits = usage[t..].bytes().take_while(u8::is_ascii_digit).count();
        let total_tokens = usage[t..t + digits].parse().unwrap();

        Sample {
            role,
            delta_head: &first[..head_end],
            delta_mid: &first[value_end..obf_start],
            tail: &first[obf_end..],
            finish,
            usage,
            total_tokens,
            tool_head,
            tool_mid,
            tokens,
        }
    }

    /// Appends one tool-call delta event holding the single tool-call object `item`.
    fn push_tool_chunk(&self, out: &mut Vec<u8>, item: &str, rng: &mut Rng) {
        out.extend_from_slice(self.tool_head.as_bytes());
        out.push(b'[');
        out.extend_from_slice(item.as_bytes());
        out.push(b']');
        out.extend_from_slice(self.tool_mid.as_bytes());
        rng.obfuscation(out);
        out.extend_from_slice(self.tail.as_bytes());
    }
}

/// Length of the JSON string contents at the start of `s` (up to, not
/// including, the closing unescaped quote).
fn json_string_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    while b[i] != b'"' {
        i += if b[i] == b'\\' { 2 } else { 1 };
    }
    i
}

/// Appends the decoded text of JSON string contents `s` (escapes as in RFC 8259).
fn unescape_into(s: &str, out: &mut String) {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next().expect("escape") {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'u' => {
                let hex: String = chars.by_ref().take(4).collect();
                let unit = u32::from_str_radix(&hex, 16).expect("\\u escape");
                // The sample has no surrogate pairs; keep the generator simple.
                out.push(char::from_u32(unit).expect("no surrogates"));
            }
            c => out.push(c), // '"', '\\', '/'
        }
    }
}

/// Appends `s` escaped as JSON string contents.
fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

/// The argument text of one tool call, produced on demand and handed out in
/// fragments: `{"call":i,"items":[{"id":0,"label":"…","value":…},…]}`.
struct Arguments {
    pending: String,
    next_item: usize,
}

impl Arguments {
    fn new(call: usize) -> Arguments {
        Arguments {
            pending: format!(r#"{{"call":{call},"items":["#),
            next_item: 0,
        }
    }

    fn refill(&mut self, want: usize, rng: &mut Rng) {
        let sample = Sample::get();
        while self.pending.len() < want {
            let id = self.next_item;
            if id > 0 {
                self.pending.push(',');
            }
            self.pending.push_str(&format!(r#"{{"id":{id},"label":""#));
            // Labels are sample tokens: already JSON-escaped, as the argument JSON needs.
            for k in 0..1 + rng.below(4) as usize {
                let token = sample.tokens[(id * 3 + k) % sample.tokens.len()];
                self.pending.push_str(token);
            }
            self.pending
                .push_str(&format!(r#"","value":{}}}"#, rng.below(100_000)));
            self.next_item += 1;
        }
    }

    /// The next `len` bytes of argument text (all generated text is ASCII).
    fn take(&mut self, len: usize, rng: &mut Rng) -> String {
        self.refill(len, rng);
        self.pending.drain(..len).collect()
    }

    /// The rest of the current record and the closing brackets.
    fn close(&mut self, rng: &mut Rng) -> String {
        if self.pending.is_empty() || self.next_item == 0 {
            self.refill(self.pending.len() + 1, rng);
        }
        let mut rest = std::mem::take(&mut self.pending);
        rest.push_str("]}");
        rest
    }
}

/// xorshift64* (Marsaglia; Vigna): tiny, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (the modulo bias is irrelevant here).
    fn below(&mut self, n: u64) -> u64 {
        (self.next() >> 32) % n
    }

    fn alnum(&mut self) -> u8 {
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        ALNUM[self.below(ALNUM.len() as u64) as usize]
    }

    /// Appends obfuscation padding: 5 to 15 random `[a-zA-Z0-9]` bytes.
    fn obfuscation(&mut self, out: &mut Vec<u8>) {
        for _ in 0..5 + self.below(11) {
            out.push(self.alnum());
        }
    }
}
