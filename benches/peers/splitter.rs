//! A simple, sensible SSE splitter: the baseline the borrowed peers share.
//!
//! It finds event boundaries (blank lines) with memchr, hands each event's
//! `data` to a callback borrowed from the input when the event lies inside
//! one chunk and has one `data` line, and keeps the bytes of an unfinished
//! event in a carry-over buffer otherwise. Lines end with LF or CRLF (a lone
//! CR is not a line end here); `data:` with or without one leading space;
//! several `data` lines are joined with `\n`; comments and other fields are
//! ignored. Each byte is looked at a bounded number of times however the
//! input is chunked. It is a baseline, not a full WHATWG parser (no BOM, no
//! lone CR, no `event`/`id`/`retry`, no limits).

/// Splits a byte stream into SSE `data` payloads. See the module docs.
#[derive(Debug, Default)]
pub struct Splitter {
    /// Bytes of the event in progress, when it started in an earlier chunk.
    carry: Vec<u8>,
    /// Length of the unfinished line at the end of `carry`.
    partial: usize,
    /// Whether that unfinished line is exactly `\r`.
    partial_is_cr: bool,
    /// Scratch for events with several `data` lines.
    joined: Vec<u8>,
}

impl Splitter {
    pub fn new() -> Splitter {
        Splitter::default()
    }

    /// Feeds the next piece of the stream, calling `on_data` with the data
    /// of each event it completes.
    pub fn feed<E>(
        &mut self,
        chunk: &[u8],
        on_data: &mut impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut block_start = 0; // start of the next event within `chunk`
        let mut line_start = 0;
        let mut found_newline = false;
        for nl in memchr::memchr_iter(b'\n', chunk) {
            let line = &chunk[line_start..nl];
            let blank = if line_start == 0 && self.partial > 0 {
                // The line began in `carry`.
                self.partial_is_cr && line.is_empty()
            } else {
                line.is_empty() || line == b"\r"
            };
            line_start = nl + 1;
            if !found_newline {
                found_newline = true;
                self.partial = 0;
                self.partial_is_cr = false;
            }
            if blank {
                if self.carry.is_empty() {
                    dispatch(&chunk[block_start..line_start], &mut self.joined, on_data)?;
                } else {
                    self.carry.extend_from_slice(&chunk[..line_start]);
                    let result = dispatch(&self.carry, &mut self.joined, on_data);
                    self.carry.clear();
                    result?;
                }
                block_start = line_start;
            }
        }
        let tail = &chunk[line_start..];
        if found_newline {
            self.partial = tail.len();
            self.partial_is_cr = tail == b"\r";
        } else {
            self.partial_is_cr = self.partial == 0 && tail == b"\r";
            self.partial += tail.len();
        }
        self.carry.extend_from_slice(&chunk[block_start..]);
        Ok(())
    }
}

/// Calls `on_data` with the data of the event `block` (its lines, the
/// terminating blank line included), if it has any `data` field.
fn dispatch<E>(
    block: &[u8],
    joined: &mut Vec<u8>,
    on_data: &mut impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let mut first: Option<&[u8]> = None;
    let mut several = false;
    let mut line_start = 0;
    for nl in memchr::memchr_iter(b'\n', block) {
        let mut line = &block[line_start..nl];
        line_start = nl + 1;
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        let value = match line.strip_prefix(b"data") {
            Some([]) => &[][..],
            Some([b':', b' ', value @ ..]) | Some([b':', value @ ..]) => value,
            _ => continue,
        };
        match first {
            None => first = Some(value),
            Some(first) => {
                if !several {
                    several = true;
                    joined.clear();
                    joined.extend_from_slice(first);
                }
                joined.push(b'\n');
                joined.extend_from_slice(value);
            }
        }
    }
    match first {
        None => Ok(()),
        Some(_) if several => on_data(joined),
        Some(data) => on_data(data),
    }
}
