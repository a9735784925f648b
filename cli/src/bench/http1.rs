//! The response side of HTTP/1.1, as a push parser: bytes in, the head then
//! body pieces out (borrowed from the input), chunked decoding included.
//!
//! `bench` reads its sockets itself (`recvmsg`, for the kernel's receive
//! timestamps), so it parses responses itself; only what a streaming
//! response needs: a status line, headers, and a body framed by
//! `Transfer-Encoding: chunked`, `Content-Length`, or the end of the
//! connection. 1xx responses are skipped. Each byte is looked at once.

/// Largest response head accepted.
const MAX_HEAD: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    /// Header names lowercased, in order.
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the parser found.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Head(Head),
    Body(&'a [u8]),
    /// The body's framing ended (the response is complete).
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Hex digits of a chunk size.
    Size {
        value: u64,
        digits: u32,
    },
    /// Chunk extensions, up to the LF.
    Ext {
        value: u64,
    },
    Data {
        left: u64,
    },
    /// The CRLF after chunk data.
    DataCr,
    DataLf,
    /// Trailer lines after the last chunk; `empty` while the line so far is
    /// empty.
    Trailer {
        empty: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Head,
    Chunked(Chunk),
    Length(u64),
    UntilClose,
    Done,
}

#[derive(Debug)]
pub struct ResponseParser {
    state: State,
    head: Vec<u8>,
    /// Where the search for the head's end resumes.
    scanned: usize,
    /// The request was a HEAD, or the status has no body.
    keep_alive: bool,
}

impl Default for ResponseParser {
    fn default() -> Self {
        ResponseParser::new()
    }
}

impl ResponseParser {
    pub fn new() -> ResponseParser {
        ResponseParser {
            state: State::Head,
            head: Vec::new(),
            scanned: 0,
            keep_alive: true,
        }
    }

    /// The response is complete.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The body lasts until the connection closes.
    pub fn until_close(&self) -> bool {
        self.state == State::UntilClose
    }

    /// The connection may carry another request.
    pub fn keep_alive(&self) -> bool {
        self.keep_alive && self.is_done()
    }

    /// Feeds bytes; calls `out` with what they complete.
    pub fn feed<'a>(
        &mut self,
        mut input: &'a [u8],
        out: &mut dyn FnMut(Piece<'a>),
    ) -> Result<(), HttpError> {
        while !input.is_empty() {
            match self.state {
                State::Head => input = self.head_bytes(input, out)?,
                State::Chunked(c) => input = self.chunked(c, input, out)?,
                State::Length(left) => {
                    let n = (left.min(input.len() as u64)) as usize;
                    out(Piece::Body(&input[..n]));
                    input = &input[n..];
                    if left == n as u64 {
                        self.state = State::Done;
                        out(Piece::End);
                    } else {
                        self.state = State::Length(left - n as u64);
                    }
                }
                State::UntilClose => {
                    out(Piece::Body(input));
                    input = &[];
                }
                State::Done => {
                    return Err(HttpError(format!(
                        "{} bytes after the end of the response",
                        input.len()
                    )))
                }
            }
        }
        Ok(())
    }

    fn head_bytes<'a>(
        &mut self,
        input: &'a [u8],
        out: &mut dyn FnMut(Piece<'a>),
    ) -> Result<&'a [u8], HttpError> {
        let before = self.head.len();
        let take = input.len().min(MAX_HEAD + 4 - before.min(MAX_HEAD + 4));
        self.head.extend_from_slice(&input[..take]);
        let from = self.scanned.saturating_sub(3);
        let Some(end) = memchr_crlf2(&self.head[from..]).map(|i| from + i + 4) else {
            self.scanned = self.head.len();
            if self.head.len() > MAX_HEAD {
                return Err(HttpError(format!(
                    "the response head is over {MAX_HEAD} bytes"
                )));
            }
            return Ok(&input[take..]);
        };
        let used = end - before;
        let head = parse_head(&self.head[..end])?;
        self.head.clear();
        self.scanned = 0;
        let rest = &input[used..];
        if (100..200).contains(&head.status) {
            return Ok(rest); // 100 Continue and friends: the real head follows
        }
        let connection = head.header("connection").unwrap_or("").to_ascii_lowercase();
        self.keep_alive = !connection.contains("close");
        let chunked = head
            .header("transfer-encoding")
            .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
        let length = head
            .header("content-length")
            .map(|l| l.trim().parse::<u64>());
        self.state = if matches!(head.status, 204 | 304) {
            State::Done
        } else if chunked {
            State::Chunked(Chunk::Size {
                value: 0,
                digits: 0,
            })
        } else {
            match length {
                Some(Ok(0)) => State::Done,
                Some(Ok(n)) => State::Length(n),
                Some(Err(_)) => return Err(HttpError("a bad Content-Length".into())),
                None => {
                    self.keep_alive = false;
                    State::UntilClose
                }
            }
        };
        out(Piece::Head(head));
        if self.state == State::Done {
            out(Piece::End);
        }
        Ok(rest)
    }

    fn chunked<'a>(
        &mut self,
        mut c: Chunk,
        mut input: &'a [u8],
        out: &mut dyn FnMut(Piece<'a>),
    ) -> Result<&'a [u8], HttpError> {
        let bad = |what: &str| Err(HttpError(format!("bad chunked encoding: {what}")));
        while let Some(&b) = input.first() {
            match c {
                Chunk::Data { left } => {
                    let n = (left.min(input.len() as u64)) as usize;
                    out(Piece::Body(&input[..n]));
                    input = &input[n..];
                    c = if left == n as u64 {
                        Chunk::DataCr
                    } else {
                        Chunk::Data {
                            left: left - n as u64,
                        }
                    };
                    continue;
                }
                Chunk::Size { value, digits } => {
                    let digit = (b as char).to_digit(16);
                    c = match (digit, b) {
                        (Some(d), _) => {
                            if digits >= 15 {
                                return bad("a chunk size over 15 hex digits");
                            }
                            Chunk::Size {
                                value: value * 16 + d as u64,
                                digits: digits + 1,
                            }
                        }
                        (None, b';' | b' ' | b'\t' | b'\r') if digits > 0 => Chunk::Ext { value },
                        (None, b'\n') if digits > 0 => self.after_size(value),
                        _ => return bad("no chunk size"),
                    };
                }
                Chunk::Ext { value } => {
                    if b == b'\n' {
                        c = self.after_size(value);
                    }
                }
                Chunk::DataCr => {
                    c = match b {
                        b'\r' => Chunk::DataLf,
                        b'\n' => Chunk::Size {
                            value: 0,
                            digits: 0,
                        },
                        _ => return bad("no CRLF after chunk data"),
                    }
                }
                Chunk::DataLf => {
                    if b != b'\n' {
                        return bad("no LF after chunk data");
                    }
                    c = Chunk::Size {
                        value: 0,
                        digits: 0,
                    };
                }
                Chunk::Trailer { empty } => match b {
                    b'\n' if empty => {
                        self.state = State::Done;
                        out(Piece::End);
                        return Ok(&input[1..]);
                    }
                    b'\n' => c = Chunk::Trailer { empty: true },
                    b'\r' => {}
                    _ => c = Chunk::Trailer { empty: false },
                },
            }
            input = &input[1..];
        }
        self.state = State::Chunked(c);
        Ok(input)
    }

    fn after_size(&self, value: u64) -> Chunk {
        if value == 0 {
            Chunk::Trailer { empty: true }
        } else {
            Chunk::Data { left: value }
        }
    }
}

/// The position of the first CRLFCRLF.
fn memchr_crlf2(bytes: &[u8]) -> Option<usize> {
    bytes.windows(4).position(|w| w == b"\r\n\r\n")
}

fn parse_head(bytes: &[u8]) -> Result<Head, HttpError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| HttpError("the response head is not UTF-8".into()))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let status = parts.next().and_then(|s| s.parse::<u16>().ok());
    let (true, Some(status)) = (version.starts_with("HTTP/1."), status) else {
        return Err(HttpError(format!(
            "not an HTTP/1.x status line: {:?}",
            &status_line[..status_line.len().min(80)]
        )));
    };
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            return Err(HttpError(format!(
                "a header line without a colon: {line:?}"
            )));
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    Ok(Head { status, headers })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `bytes` split at every position into `size`-byte pieces;
    /// returns (head, body, ended).
    fn parse_in(bytes: &[u8], size: usize) -> Result<(Head, Vec<u8>, bool), HttpError> {
        let mut p = ResponseParser::new();
        let mut head = None;
        let mut body = Vec::new();
        let mut ended = false;
        for piece in bytes.chunks(size) {
            p.feed(piece, &mut |x| match x {
                Piece::Head(h) => head = Some(h),
                Piece::Body(b) => body.extend_from_slice(b),
                Piece::End => ended = true,
            })?;
        }
        Ok((head.expect("a head"), body, ended))
    }

    fn every_split(bytes: &[u8]) -> (Head, Vec<u8>, bool) {
        let whole = parse_in(bytes, bytes.len()).unwrap();
        for size in 1..bytes.len() {
            assert_eq!(parse_in(bytes, size).unwrap(), whole, "{size}-byte pieces");
        }
        whole
    }

    #[test]
    fn chunked_bodies_decode_at_every_split() {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nX-Request-Id: r1\r\n\r\n\
            5\r\ndata:\r\n1a;ext=1\r\n {\"choices\":[]}\n\ndata: [DO\r\n4\r\nNE]\n\r\n0\r\nX-Trailer: t\r\n\r\n";
        let (head, body, ended) = every_split(wire);
        assert_eq!(head.status, 200);
        assert_eq!(head.header("x-request-id"), Some("r1"));
        assert_eq!(body, b"data: {\"choices\":[]}\n\ndata: [DONE]\n");
        assert!(ended);
    }

    #[test]
    fn content_length_and_until_close_bodies() {
        let (h, body, ended) = every_split(
            b"HTTP/1.1 429 Too Many Requests\r\ncontent-length: 9\r\n\r\n{\"e\":\"x\"}",
        );
        assert_eq!(
            (h.status, &body[..], ended),
            (429, &b"{\"e\":\"x\"}"[..], true)
        );
        let (_, body, ended) = every_split(b"HTTP/1.0 200 OK\r\n\r\nabc");
        assert_eq!((&body[..], ended), (&b"abc"[..], false));
        let (h, _, ended) =
            every_split(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
        assert_eq!((h.status, ended), (204, true));
    }

    #[test]
    fn broken_framing_is_an_error_not_a_panic() {
        for wire in [
            &b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n"[..],
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabcX",
            b"SMTP ready\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nbroken header\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nffffffffffffffff1\r\n",
        ] {
            assert!(
                parse_in(wire, 1).is_err(),
                "{:?}",
                String::from_utf8_lossy(wire)
            );
        }
        let mut p = ResponseParser::new();
        let huge = vec![b'a'; MAX_HEAD + 10];
        assert!(p.feed(b"HTTP/1.1 200 OK\r\nx: ", &mut |_| {}).is_ok());
        assert!(p.feed(&huge, &mut |_| {}).is_err());
    }
}
