//! One request on a raw TCP connection: written whole, then each read taken
//! with the kernel's receive timestamp and handed, de-chunked, to the
//! measurement (and the recording) at once.
//!
//! All connections of the (single-threaded) runtime share one read buffer:
//! a read is parsed and folded before the task yields, so nothing of it
//! has to stay in the buffer.

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::http1::{Piece, ResponseParser};
use super::measure::{Measure, TransportEnd};
use crate::net;
use crate::wallclock;

const READ_BUFFER: usize = 64 * 1024;

thread_local! {
    static BUFFER: RefCell<Vec<u8>> = RefCell::new(vec![0; READ_BUFFER]);
}

/// Where requests go, and what they say.
pub struct Target {
    pub addr: SocketAddr,
    /// The request, whole (head and body).
    pub request: Vec<u8>,
}

pub struct Conn {
    stream: TcpStream,
    cmsg: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        net::stamp_arrivals(&stream);
        Ok(Conn {
            stream,
            cmsg: net::cmsg_buffer(),
        })
    }
}

/// What one exchange produced.
pub struct Exchange {
    /// When the request's first byte was written (unix ns).
    pub start_ns: u64,
    pub status: Option<u16>,
    pub request_id: Option<String>,
    /// The body's reads (arrival since start, bytes), when recording.
    pub reads: Vec<(Duration, Vec<u8>)>,
    /// When the body ended, since start.
    pub end: Duration,
    pub transport: Option<TransportEnd>,
    /// The connection can carry the next request.
    pub reusable: bool,
}

/// How the read loop ended.
enum Ended {
    Eof,
    Malformed(Duration, String),
    Done(Duration),
}

fn since(ns: u64, start: u64) -> Duration {
    Duration::from_nanos(ns.saturating_sub(start))
}

/// Sends the request on `conn` and reads the response into `measure`.
pub async fn exchange(
    conn: &mut Conn,
    target: &Target,
    measure: &mut Measure,
    record: bool,
    deadline: tokio::time::Instant,
) -> Exchange {
    let start_ns = wallclock::now_ns();
    let mut ex = Exchange {
        start_ns,
        status: None,
        request_id: None,
        reads: Vec::new(),
        end: Duration::ZERO,
        transport: None,
        reusable: false,
    };
    let fail = |ex: &mut Exchange, kind: &str, message: String| {
        ex.end = since(wallclock::now_ns(), start_ns);
        ex.transport = Some(TransportEnd {
            kind: kind.into(),
            message,
        });
    };
    if let Err(e) = conn.stream.write_all(&target.request).await {
        fail(
            &mut ex,
            "transport",
            format!("writing the request failed: {e}"),
        );
        return ex;
    }
    let mut parser = ResponseParser::new();
    let read = tokio::time::timeout_at(deadline, async {
        loop {
            conn.stream.readable().await?;
            let r = BUFFER.with_borrow_mut(|buf| {
                let (n, at) = net::try_recv_stamped(&conn.stream, buf, &mut conn.cmsg)?;
                let at = since(at, start_ns);
                let mut bad = None;
                if n > 0 {
                    let mut body_bytes = Vec::new();
                    let result = parser.feed(&buf[..n], &mut |piece| match piece {
                        Piece::Head(h) => {
                            ex.status = Some(h.status);
                            ex.request_id = h.header("x-request-id").map(str::to_string);
                            measure.status(h.status);
                        }
                        Piece::Body(b) => {
                            measure.push(at, b);
                            if record {
                                body_bytes.extend_from_slice(b);
                            }
                        }
                        Piece::End => {}
                    });
                    if record && !body_bytes.is_empty() {
                        ex.reads.push((at, body_bytes));
                    }
                    if let Err(e) = result {
                        bad = Some(e.0);
                    }
                }
                Ok::<_, io::Error>((n, at, bad))
            });
            match r {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
                Ok((0, _, None)) => return Ok(Ended::Eof),
                Ok((_, at, Some(bad))) => return Ok(Ended::Malformed(at, bad)),
                Ok((_, at, None)) if parser.is_done() => return Ok(Ended::Done(at)),
                Ok(_) => {}
            }
        }
    })
    .await;
    match read {
        Err(_) => fail(&mut ex, "transport", "timed out".into()),
        Ok(Err(e)) => fail(&mut ex, "transport", format!("reading failed: {e}")),
        Ok(Ok(Ended::Malformed(at, bad))) => {
            ex.end = at;
            ex.transport = Some(TransportEnd {
                kind: "malformed".into(),
                message: bad,
            });
        }
        Ok(Ok(Ended::Eof)) => {
            ex.end = since(wallclock::now_ns(), start_ns);
            if !parser.is_done() && !parser.until_close() {
                ex.transport = Some(TransportEnd {
                    kind: "truncated".into(),
                    message: if ex.status.is_none() {
                        "the connection closed before a response".into()
                    } else {
                        "the connection closed before the body ended".into()
                    },
                });
            }
        }
        Ok(Ok(Ended::Done(at))) => {
            ex.end = at;
            ex.reusable = parser.keep_alive();
        }
    }
    ex
}
