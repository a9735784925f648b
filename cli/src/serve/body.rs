//! The response bodies of `serve`: a paced stream (with its faults), or one
//! piece, at once or after a delay.
//!
//! A paced stream yields each step when its time has come, stamping the
//! schedule just before: hyper writes and flushes a frame in the same poll
//! that produced it. With `--chunk-size`, a step goes out in pieces, each
//! flushed on its own (the body returns `Pending` once between pieces).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use super::schedule::{self, Schedule};
use super::script::Script;

/// The connection was closed on purpose (`--cut-rate`).
#[derive(Debug)]
pub struct Cut;

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection cut mid-stream")
    }
}

impl std::error::Error for Cut {}

/// The faults of one stream.
#[derive(Debug, Clone, Copy, Default)]
pub struct Plan {
    /// Close the connection halfway through this step.
    pub cut_at: Option<usize>,
    /// Send the in-band error instead of this step, and end.
    pub error_at: Option<usize>,
}

/// Pacing of steps without a recorded time.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    pub ttft: Duration,
    pub itl: Duration,
    /// Recorded times are divided by it.
    pub speed: f64,
    pub chunk_size: Option<usize>,
}

pub struct Paced {
    script: Arc<Script>,
    plan: Plan,
    pace: Pace,
    arrival: Instant,
    request_id: Arc<str>,
    schedule: Schedule,
    in_band_error: &'static str,
    /// The next step.
    step: usize,
    /// Text steps sent.
    texts: u32,
    /// The rest of a step being sent in pieces.
    rest: Bytes,
    /// Return `Pending` once before the next piece (a flush between).
    yield_once: bool,
    /// After the rest: cut the connection.
    cut_after_rest: bool,
    sleep: Pin<Box<Sleep>>,
    /// The sleep is set for the next step.
    armed: bool,
    finished: bool,
}

impl Paced {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        script: Arc<Script>,
        plan: Plan,
        pace: Pace,
        arrival: Instant,
        request_id: Arc<str>,
        schedule: Schedule,
        in_band_error: &'static str,
    ) -> Paced {
        Paced {
            script,
            plan,
            pace,
            arrival,
            request_id,
            schedule,
            in_band_error,
            step: 0,
            texts: 0,
            rest: Bytes::new(),
            yield_once: false,
            cut_after_rest: false,
            sleep: Box::pin(tokio::time::sleep_until(arrival)),
            armed: false,
            finished: false,
        }
    }

    /// When step `i` is due.
    fn due(&self, i: usize) -> Instant {
        let step = &self.script.steps[i];
        match step.at {
            Some(at) => self.arrival + at.div_f64(self.pace.speed),
            None if step.text => self.arrival + self.pace.ttft + self.pace.itl * self.texts,
            None => self.arrival,
        }
    }

    /// The next piece of `bytes` (all of it without `--chunk-size`); the
    /// remainder waits in `rest`.
    fn piece(&mut self, mut bytes: Bytes) -> Bytes {
        match self.pace.chunk_size {
            Some(n) if bytes.len() > n => {
                let head = bytes.split_to(n);
                self.rest = bytes;
                self.yield_once = true;
                head
            }
            _ => bytes,
        }
    }

    fn log(&self, kind: &str) {
        self.schedule.log(&self.request_id, schedule::now(), kind);
    }
}

type Item = Option<Result<Frame<Bytes>, Cut>>;

impl Paced {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Item> {
        loop {
            if self.yield_once {
                self.yield_once = false;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            if !self.rest.is_empty() {
                let rest = std::mem::take(&mut self.rest);
                let piece = self.piece(rest);
                if self.rest.is_empty() && self.cut_after_rest {
                    self.yield_once = true;
                }
                return Poll::Ready(Some(Ok(Frame::data(piece))));
            }
            if self.cut_after_rest {
                self.finished = true;
                return Poll::Ready(Some(Err(Cut)));
            }
            if self.finished {
                return Poll::Ready(None);
            }
            if self.step >= self.script.steps.len() {
                self.finished = true;
                self.log("end");
                return Poll::Ready(None);
            }
            if !self.armed {
                let due = self.due(self.step);
                self.sleep.as_mut().reset(due);
                self.armed = true;
            }
            if self.sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.armed = false;
            let i = self.step;
            self.step += 1;
            let step = &self.script.steps[i];
            let text = step.text;
            if self.plan.error_at == Some(i) {
                self.finished = true;
                self.log("error");
                let bytes = Bytes::from_static(self.in_band_error.as_bytes());
                let piece = self.piece(bytes);
                return Poll::Ready(Some(Ok(Frame::data(piece))));
            }
            if self.plan.cut_at == Some(i) {
                let half = step.bytes.slice(..step.bytes.len() / 2);
                self.log("cut");
                self.cut_after_rest = true;
                if half.is_empty() {
                    continue;
                }
                let piece = self.piece(half);
                if self.rest.is_empty() {
                    self.yield_once = true;
                }
                return Poll::Ready(Some(Ok(Frame::data(piece))));
            }
            if text {
                self.texts += 1;
            }
            self.log(if text { "content" } else { "event" });
            let bytes = step.bytes.clone();
            let piece = self.piece(bytes);
            return Poll::Ready(Some(Ok(Frame::data(piece))));
        }
    }
}

/// Every body `serve` answers with.
pub enum ServeBody {
    Paced(Box<Paced>),
    /// One piece after a delay (`"stream": false`: the whole answer when the
    /// stream would have ended), logging `end` when sent.
    Later {
        bytes: Option<Bytes>,
        sleep: Pin<Box<Sleep>>,
        log: Option<(Arc<str>, Schedule)>,
    },
}

impl ServeBody {
    pub fn now(bytes: Bytes) -> ServeBody {
        ServeBody::Later {
            bytes: Some(bytes),
            sleep: Box::pin(tokio::time::sleep(Duration::ZERO)),
            log: None,
        }
    }
}

impl Body for ServeBody {
    type Data = Bytes;
    type Error = Cut;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Item> {
        match self.get_mut() {
            ServeBody::Paced(p) => p.poll(cx),
            ServeBody::Later { bytes, sleep, log } => {
                if bytes.is_none() {
                    return Poll::Ready(None);
                }
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                if let Some((id, schedule)) = log.take() {
                    schedule.log(&id, schedule::now(), "end");
                }
                Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, ServeBody::Later { bytes: None, .. })
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ServeBody::Later { bytes: Some(b), .. } => SizeHint::with_exact(b.len() as u64),
            _ => SizeHint::default(),
        }
    }
}
