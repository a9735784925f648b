//! Stream timing for benchmark harnesses: when each event's bytes arrived,
//! and the figures harnesses report (TTFB, TTFT, inter-token latency, …).
//!
//! Harnesses disagree on these definitions; these are streamfold's, exactly.
//! Every time is a [`Clock`] reading taken when bytes are handed to
//! [`Fold::push`](crate::Fold::push) (when they were read), measured
//! from the *start*: the clock reading when timing was attached
//! ([`Fold::timed`](crate::Fold::timed) /
//! [`Fold::with_clock`](crate::Fold::with_clock); attach it right
//! before sending the request or starting to read). An event's time is the
//! time of the push that completed it.
//!
//! - **TTFB** (time to first byte): the first push of at least one byte.
//! - **TTFT** (time to first token): the first `content.delta` (any choice).
//!   Role-only chunks and empty `content` strings produce no delta, so they
//!   never count (a server's initial `{"role":"assistant","content":""}`
//!   is not a token).
//! - **TTFT reasoning**: the first `reasoning.delta`; **TTFT tool**: the
//!   first tool-call event (`tool_calls.function.start` or an arguments
//!   delta). Each is `None` when the stream has none.
//! - **ITL** (inter-token latency): for the first choice that sent content,
//!   the gap between the times of successive `content.delta`s, one sample per
//!   gap (deltas completed by the same push are 0 apart: they arrived in the
//!   same read). When the server reports cumulative usage on every chunk
//!   (vLLM's `continuous_usage_stats`) and a chunk's `completion_tokens`
//!   grew by *k* > 1 since the previous usage, its gap is split into *k*
//!   equal samples (at most 256), so that several tokens per event do not
//!   hide latency.
//! - **ITL percentiles**: nearest rank over the sorted samples: the p-th
//!   percentile is the sample at rank ⌈p/100 × n⌉ (1-based); `max` is the
//!   largest.
//! - **E2E** (end to end): the push that completed the stream (`[DONE]`), or
//!   the end of input ([`Fold::end`](crate::Fold::end)) when there
//!   was no `[DONE]`.
//! - **Output tokens**: the last reported `usage.completion_tokens`;
//!   **tokens per second**: output tokens ÷ E2E in seconds (over the whole
//!   request, as an overall throughput; not the decode rate after the first
//!   token).

use std::time::{Duration, Instant};

use crate::event::Event;

/// A monotonic clock: the time elapsed since an origin of its choosing.
///
/// Inject one to make timing deterministic in tests; [`SystemClock`] is the
/// real one.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use std::time::Duration;
/// use streamfold::{Fold, Clock};
///
/// /// A clock the test moves by hand (milliseconds).
/// struct Fake(Arc<AtomicU64>);
/// impl Clock for Fake {
///     fn now(&self) -> Duration {
///         Duration::from_millis(self.0.load(Ordering::Relaxed))
///     }
/// }
///
/// let ms = Arc::new(AtomicU64::new(0));
/// let mut fold = Fold::new().with_clock(Fake(ms.clone()));
/// ms.store(120, Ordering::Relaxed);
/// fold.push(b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n").count();
/// assert_eq!(fold.timing().unwrap().ttft, Some(Duration::from_millis(120)));
/// ```
pub trait Clock: Send + Sync {
    /// The time elapsed since the clock's origin.
    fn now(&self) -> Duration;
}

/// The real clock ([`Instant`]), with its origin when created.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock(Instant);

impl SystemClock {
    /// A clock whose origin is now.
    pub fn new() -> SystemClock {
        SystemClock(Instant::now())
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

/// The timing of a stream so far; see the [module docs](self) for the
/// exact definitions. Every time is measured from the start.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Timing {
    /// Time to first byte.
    pub ttfb: Option<Duration>,
    /// Time to the first content token.
    pub ttft: Option<Duration>,
    /// Time to the first reasoning token.
    pub ttft_reasoning: Option<Duration>,
    /// Time to the first tool-call token.
    pub ttft_tool: Option<Duration>,
    /// Inter-token latencies between content deltas, in arrival order.
    pub itl: Vec<Duration>,
    /// End-to-end time, once the stream ended.
    pub e2e: Option<Duration>,
    /// SSE events dispatched.
    pub events: u64,
    /// `content.delta` events (all choices).
    pub content_deltas: u64,
    /// The last reported `usage.completion_tokens`.
    pub output_tokens: Option<u64>,
}

impl Timing {
    /// The `p`-th percentile (0 < p ≤ 100) of the inter-token latencies, by
    /// nearest rank; `None` without samples.
    ///
    /// Cost: sorts a copy of the samples.
    pub fn itl_percentile(&self, p: f64) -> Option<Duration> {
        if self.itl.is_empty() || !(p > 0.0 && p <= 100.0) {
            return None;
        }
        let mut sorted = self.itl.clone();
        sorted.sort_unstable();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
    }

    /// The largest inter-token latency.
    pub fn itl_max(&self) -> Option<Duration> {
        self.itl.iter().max().copied()
    }

    /// Output tokens per second over the whole request (output tokens ÷
    /// E2E); `None` without usage or before the end.
    pub fn tokens_per_s(&self) -> Option<f64> {
        let tokens = self.output_tokens? as f64;
        let secs = self.e2e?.as_secs_f64();
        (secs > 0.0).then(|| tokens / secs)
    }
}

/// The most samples one gap is split into.
const MAX_SPLIT: u64 = 256;

/// Collects the timing of one stream.
pub(crate) struct Stopwatch {
    clock: Box<dyn Clock>,
    start: Duration,
    timing: Timing,
    /// The choice whose content deltas make the ITL samples.
    itl_choice: Option<u32>,
    last_content: Option<Duration>,
    /// A gap not yet recorded: it may be split by the usage of its chunk.
    pending_gap: Option<Duration>,
    /// `completion_tokens` of the previous usage event.
    last_usage_tokens: Option<u64>,
}

impl std::fmt::Debug for Stopwatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stopwatch")
            .field("start", &self.start)
            .field("timing", &self.timing)
            .finish_non_exhaustive()
    }
}

impl Stopwatch {
    pub fn new(clock: Box<dyn Clock>) -> Stopwatch {
        let start = clock.now();
        Stopwatch {
            clock,
            start,
            timing: Timing::default(),
            itl_choice: None,
            last_content: None,
            pending_gap: None,
            last_usage_tokens: None,
        }
    }

    /// The time now, from the start.
    pub fn now(&self) -> Duration {
        self.clock.now().saturating_sub(self.start)
    }

    /// Bytes arrived at `at`.
    pub fn bytes(&mut self, at: Duration, len: usize) {
        if len > 0 && self.timing.ttfb.is_none() {
            self.timing.ttfb = Some(at);
        }
    }

    /// An event completed at `at`.
    pub fn observe(&mut self, event: &Event<'_>, at: Duration) {
        let t = &mut self.timing;
        match event {
            Event::ContentDelta { choice, .. } => {
                t.content_deltas += 1;
                t.ttft.get_or_insert(at);
                if *self.itl_choice.get_or_insert(*choice) == *choice {
                    if let Some(gap) = self.pending_gap.take() {
                        t.itl.push(gap);
                    }
                    if let Some(last) = self.last_content {
                        self.pending_gap = Some(at.saturating_sub(last));
                    }
                    self.last_content = Some(at);
                }
            }
            Event::ReasoningDelta { .. } => {
                t.ttft_reasoning.get_or_insert(at);
            }
            Event::ToolCallStart { .. } | Event::ToolCallArgumentsDelta { .. } => {
                t.ttft_tool.get_or_insert(at);
            }
            Event::Usage {
                tokens:
                    crate::usage::TokenCounts {
                        output_tokens: Some(tokens),
                        ..
                    },
                ..
            } => {
                t.output_tokens = Some(*tokens);
                let grew = self
                    .last_usage_tokens
                    .map(|previous| tokens.saturating_sub(previous));
                self.last_usage_tokens = Some(*tokens);
                if let (Some(k), Some(gap)) = (grew, self.pending_gap) {
                    if k > 1 {
                        // Several tokens in one event: split its gap (into at
                        // most MAX_SPLIT samples, whatever a server claims).
                        let k = k.min(MAX_SPLIT) as u32;
                        t.itl.extend(std::iter::repeat_n(gap / k, k as usize));
                        self.pending_gap = None;
                    }
                }
            }
            Event::End { .. } => {
                t.e2e.get_or_insert(at);
            }
            _ => {}
        }
    }

    /// The timing so far, with `events` SSE events dispatched.
    pub fn timing(&self, events: u64) -> Timing {
        let mut t = self.timing.clone();
        if let Some(gap) = self.pending_gap {
            t.itl.push(gap);
        }
        t.events = events;
        t
    }
}
