//! A naive reference for the SSE layer, written from the WHATWG HTML
//! "parse an event stream" algorithm (§9.2.5–9.2.6) in the most literal way:
//! decode the whole input first, then split it into lines, then process each
//! line. No streaming, no limits, no borrowing: easy to check by eye against
//! the spec, and the opposite of how `sse::Parser` is built (as memchr's
//! `naive.rs` is to its SIMD searchers).

/// One dispatched event: (type, data, last event ID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NaiveEvent {
    pub event: String,
    pub data: String,
    pub id: String,
}

/// Everything the algorithm produces for a whole stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NaiveOutput {
    pub events: Vec<NaiveEvent>,
    /// Every valid `retry` value, in order.
    pub retries: Vec<u64>,
    /// The last event ID string at the end of the stream.
    pub last_event_id: String,
    /// The reconnection time at the end, if a `retry` field set it.
    pub retry_ms: Option<u64>,
    /// True when the input ended after a non-comment line with no blank line
    /// after it (the pending event is discarded).
    pub truncated_event: bool,
}

/// Runs the algorithm on the whole input.
pub fn parse(input: &[u8]) -> NaiveOutput {
    // "Streams must be decoded using the UTF-8 decode algorithm": invalid
    // sequences become U+FFFD, and one leading BOM is stripped.
    let text = String::from_utf8_lossy(input);
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);

    // "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A
    // LINE FEED (CRLF) character pair, a single U+000A LINE FEED (LF)
    // character, or a single U+000D CARRIAGE RETURN (CR) character." The
    // piece after the last line end is not a line (yet): it is discarded at
    // the end of the file.
    let mut lines = Vec::new();
    let mut rest = text;
    let tail = loop {
        match rest.find(['\r', '\n']) {
            Some(i) => {
                lines.push(&rest[..i]);
                let after = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + after..];
            }
            None => break rest,
        }
    };

    let mut out = NaiveOutput::default();
    let mut data = String::new();
    let mut event_type = String::new();
    let mut id_buffer = String::new();
    let mut dirty = false;
    for line in lines {
        if line.is_empty() {
            // "If the line is empty (a blank line): Dispatch the event."
            dirty = false;
            // "Set the last event ID string of the event source to the value
            // of the last event ID buffer."
            out.last_event_id = id_buffer.clone();
            // "If the data buffer is an empty string, set the data buffer and
            // the event type buffer to the empty string and return."
            if data.is_empty() {
                event_type.clear();
                continue;
            }
            // "If the data buffer's last character is a U+000A LINE FEED
            // (LF) character, then remove the last character from the data
            // buffer."
            if data.ends_with('\n') {
                data.pop();
            }
            out.events.push(NaiveEvent {
                // "Initialize event's type attribute to "message" … If the
                // event type buffer has a value other than the empty string,
                // change the type of the newly created event to equal the
                // value of the event type buffer."
                event: if event_type.is_empty() {
                    "message".to_string()
                } else {
                    event_type.clone()
                },
                data: std::mem::take(&mut data),
                id: out.last_event_id.clone(),
            });
            event_type.clear();
            continue;
        }
        // "If the line starts with a U+003A COLON character (:): Ignore the
        // line."
        if line.starts_with(':') {
            continue;
        }
        dirty = true;
        // "If the line contains a U+003A COLON character (:)": field before
        // it, value after it without one leading U+0020 SPACE. "Otherwise":
        // the whole line is the field name and the value is empty.
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => event_type = value.to_string(),
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            // "If the field value does not contain U+0000 NULL, then set the
            // last event ID buffer to the field value. Otherwise, ignore the
            // field."
            "id" if !value.contains('\0') => id_buffer = value.to_string(),
            // "If the field value consists of only ASCII digits, then
            // interpret the field value as an integer in base ten, and set
            // the event stream's reconnection time to that integer." (Empty
            // holds no integer; too large saturates, as the parser
            // documents.)
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                let ms = value.bytes().fold(0u64, |acc, d| {
                    acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                });
                out.retries.push(ms);
                out.retry_ms = Some(ms);
            }
            // "Otherwise: The field is ignored."
            _ => {}
        }
    }
    // The unterminated last piece: discarded, but it leaves the event cut
    // unless it is a comment.
    if !tail.is_empty() && !tail.starts_with(':') {
        dirty = true;
    }
    out.truncated_event = dirty;
    out
}
