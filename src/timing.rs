//! Stream timing for benchmark harnesses: when each event's bytes arrived,
//! and the figures harnesses report (TTFB, TTFT, inter-token latency, TPOT,
//! …), each defined once, here.
//!
//! Harnesses disagree on these definitions; these are streamfold's, exactly,
//! with the names vLLM's `bench serve` and NVIDIA AIPerf give the same
//! figure. Every time is measured from the *start*: the clock reading when
//! timing was attached ([`Fold::timed`](crate::Fold::timed) /
//! [`Fold::with_clock`](crate::Fold::with_clock); attach it right
//! before sending the request or starting to read), or, with a
//! [`Stopwatch`] driven by hand, the origin of the times its caller passes
//! (`streamfold bench`: the moment the request's first byte was written).
//! An event's time is the time of the read that completed it: a clock
//! reading taken when the bytes were handed over, or the kernel's receive
//! timestamp of that read, when the caller has it. Bytes that arrive in one
//! read share its time, which is the arrival of the *last* segment the read
//! returned.
//!
//! | figure | streamfold | vLLM `bench serve` | AIPerf |
//! | --- | --- | --- | --- |
//! | time to first byte | [`Timing::ttfb`]: the first read of at least one byte of the body | – | TTFB, among its HTTP trace metrics |
//! | first payload | [`Timing::first_payload`]: the first SSE event dispatched, whatever it holds (the role-only chunk, a `message_start`) | – | – |
//! | time to first token | [`Timing::ttft`]: the first `content.delta` **or** `reasoning.delta` | `ttft`: the first chunk with `content` or `reasoning_content` | `time_to_first_token`: the first non-empty response |
//! | time to first content token | [`Timing::ttft_content`]: the first `content.delta` | – | `time_to_first_output_token` (first non-reasoning token) |
//! | time to first reasoning / tool-argument token | [`Timing::ttft_reasoning`], [`Timing::ttft_tool`] (the first `tool_calls.function.arguments.delta`) | – | – |
//! | inter-token latency | [`Timing::chunks`]: the gap between successive `content.delta`s, per chunk, with the tokens that chunk carried when known; [`Timing::itl`]: per-token samples | `itl`: the gaps between successive chunks (per chunk, tokens ignored) | `inter_chunk_latency` (per chunk) |
//! | time per output token | [`Timing::tpot`]: `(e2e − ttft) / (output tokens − 1)`, tokens from usage | `tpot`, the same | `inter_token_latency`, the same |
//! | end to end | [`Timing::e2e`]: the read that completed the stream (its terminator), else the end of input | `e2el` (`latency`) | `request_latency` |
//! | output tokens | [`Timing::output_tokens`]: the last reported usage; `streamfold bench` falls back to the count of content and reasoning deltas, and says which | `output_len` (usage, else the tokenizer) | `output_sequence_length` (usage or tokenizer) |
//!
//! In detail:
//!
//! - **TTFT** counts content and reasoning tokens alike: a reasoning model's
//!   user sees the first thought. Role-only chunks and empty strings produce
//!   no delta, so they never count (a server's initial
//!   `{"role":"assistant","content":""}` is not a token); they are the
//!   first payload.
//! - **ITL** follows the first choice that sent content. A *chunk* is a
//!   `content.delta`; its gap is the time since the previous one (deltas
//!   completed by the same read are 0 apart: they arrived together). Its
//!   tokens come from usage deltas, when the server streams cumulative
//!   usage (vLLM's `continuous_usage_stats`): a usage event after a content
//!   delta and before the next gives that chunk the growth of the output
//!   tokens since the previous usage event (the first usage event gives no
//!   growth: it may be the only, final one). Without such usage, a chunk's
//!   tokens are unknown, never guessed. The per-token samples
//!   ([`Timing::itl`]) split a gap of *k* > 1 known tokens into *k* equal
//!   samples (at most 256), so that multi-token chunks do not inflate ITL;
//!   a chunk of unknown tokens is one sample.
//! - **ITL percentiles** ([`Timing::itl_percentile`]): nearest rank over the
//!   sorted samples, the sample at rank ⌈p/100 × n⌉ (1-based); `max` is the
//!   largest. (`streamfold bench` aggregates with a histogram instead: 3
//!   significant digits.)
//! - **TPOT** needs usage and at least two output tokens; `None` otherwise
//!   (never from a count of deltas, which is not a count of tokens).
//! - **E2E**: the `end` event of a complete stream, or the end of input
//!   ([`Fold::end`](crate::Fold::end)) when the terminator never
//!   came.
//! - **Tokens per second** ([`Timing::tokens_per_s`]): output tokens ÷ E2E
//!   in seconds (over the whole request, as an overall throughput; not the
//!   decode rate after the first token).
//!
//! `streamfold bench` adds, per request: `queue_ms`, the wait for a
//! concurrency slot (or, with `--rate`, from the request's scheduled
//! arrival to its start), never part of TTFT (vLLM and AIPerf start TTFT
//! after the slot too); `connect_ms`, the TCP connect when the request
//! opened a connection (before the start); a verdict per stream, the first
//! that applies of `error_in_stream` (an in-band error in a 200 stream),
//! `no_finish_reason` (no terminator and no finish reason), `no_terminator`
//! (finished, but no terminator), `reasoning_without_content`,
//! `usage_missing`, else `complete`; and an error kind, `http` (a status
//! other than 2xx), `transport` (connect or read failed, or the connection
//! was reset), `truncated` (the body or the stream ended early), `malformed`
//! (the bytes are not the format, or the HTTP framing is broken), `provider`
//! (an in-band error). Its aggregates take vLLM's names (`mean_ttft_ms`,
//! `median_itl_ms`, `p99_tpot_ms`, `request_throughput`, …) over the
//! successful requests, with p90 and max beside p99.

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

/// One content chunk of the ITL distribution: the gap since the previous
/// content delta, and the tokens it carried when the server said so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Chunk {
    /// Time since the previous content delta.
    pub gap: Duration,
    /// Output tokens the chunk carried, from streamed usage; `None` when
    /// unknown.
    pub tokens: Option<u64>,
}

/// The timing of a stream so far; see the [module docs](self) for the
/// exact definitions. Every time is measured from the start.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Timing {
    /// Time to first byte.
    pub ttfb: Option<Duration>,
    /// Time to the first SSE event, whatever it holds (when the driver
    /// reports events: [`Stopwatch::payload`]).
    pub first_payload: Option<Duration>,
    /// Time to the first token, content or reasoning.
    pub ttft: Option<Duration>,
    /// Time to the first content token.
    pub ttft_content: Option<Duration>,
    /// Time to the first reasoning token.
    pub ttft_reasoning: Option<Duration>,
    /// Time to the first tool-call arguments token.
    pub ttft_tool: Option<Duration>,
    /// Inter-token latencies between content deltas, per token where the
    /// tokens of a chunk are known, in arrival order.
    pub itl: Vec<Duration>,
    /// The content chunks after the first: gap and tokens, in arrival order.
    pub chunks: Vec<Chunk>,
    /// End-to-end time, once the stream ended.
    pub e2e: Option<Duration>,
    /// SSE events dispatched.
    pub events: u64,
    /// `content.delta` events (all choices).
    pub content_deltas: u64,
    /// `reasoning.delta` events (all choices).
    pub reasoning_deltas: u64,
    /// The last reported output tokens (`usage.completion_tokens`).
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

    /// Time per output token after the first: `(e2e − ttft) / (output
    /// tokens − 1)`, with tokens from usage; `None` without usage, with
    /// fewer than two tokens, or before the end.
    pub fn tpot(&self) -> Option<Duration> {
        let tokens = self.output_tokens?;
        let decode = self.e2e?.checked_sub(self.ttft?)?;
        (tokens >= 2).then(|| decode / (tokens - 1).min(u32::MAX as u64) as u32)
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

/// A clock that always reads zero: a [`Stopwatch`] driven with explicit
/// times.
struct Zero;

impl Clock for Zero {
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

/// Collects the timing of one stream from its events and their times.
///
/// The folds attach one for you ([`Fold::timed`](crate::Fold::timed));
/// drive one by hand when the times come from elsewhere (kernel receive
/// timestamps, a recording): tell it of each read ([`Stopwatch::bytes`]),
/// of the first SSE event ([`Stopwatch::payload`]) and of each event
/// ([`Stopwatch::observe`]), each with its time.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use streamfold::timing::Stopwatch;
/// use streamfold::Fold;
///
/// let reads: [(u64, &[u8]); 2] = [
///     (120, b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n"),
///     (150, b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"!\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"),
/// ];
/// let mut fold = Fold::new();
/// let mut watch = Stopwatch::untimed();
/// for (ms, bytes) in reads {
///     let at = Duration::from_millis(ms);
///     watch.bytes(at, bytes.len());
///     for event in fold.push(bytes) {
///         watch.observe(&event?, at);
///     }
/// }
/// let t = watch.timing(fold.events_dispatched());
/// assert_eq!(t.ttft, Some(Duration::from_millis(120)));
/// assert_eq!(t.itl, [Duration::from_millis(30)]);
/// assert_eq!(t.e2e, Some(Duration::from_millis(150)));
/// # Ok::<(), streamfold::Error>(())
/// ```
pub struct Stopwatch {
    clock: Box<dyn Clock>,
    start: Duration,
    timing: Timing,
    /// The choice whose content deltas make the ITL samples.
    itl_choice: Option<u32>,
    last_content: Option<Duration>,
    /// The last chunk, not yet recorded: a usage event may give its tokens.
    pending: Option<Chunk>,
    /// Output tokens of the previous usage event.
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
    /// A stopwatch whose start is the clock's reading now.
    pub fn new(clock: Box<dyn Clock>) -> Stopwatch {
        let start = clock.now();
        Stopwatch {
            clock,
            start,
            timing: Timing::default(),
            itl_choice: None,
            last_content: None,
            pending: None,
            last_usage_tokens: None,
        }
    }

    /// A stopwatch without a clock: every time is the one its caller passes,
    /// from the caller's origin.
    pub fn untimed() -> Stopwatch {
        Stopwatch::new(Box::new(Zero))
    }

    /// The time now, from the start (always zero for
    /// [`Stopwatch::untimed`]).
    pub fn now(&self) -> Duration {
        self.clock.now().saturating_sub(self.start)
    }

    /// `len` bytes arrived at `at`.
    pub fn bytes(&mut self, at: Duration, len: usize) {
        if len > 0 && self.timing.ttfb.is_none() {
            self.timing.ttfb = Some(at);
        }
    }

    /// An SSE event was dispatched at `at` (only the first one counts).
    pub fn payload(&mut self, at: Duration) {
        self.timing.first_payload.get_or_insert(at);
    }

    /// An event completed at `at`.
    pub fn observe(&mut self, event: &Event<'_>, at: Duration) {
        let t = &mut self.timing;
        match event {
            Event::ContentDelta { choice, .. } => {
                t.content_deltas += 1;
                t.ttft.get_or_insert(at);
                t.ttft_content.get_or_insert(at);
                if *self.itl_choice.get_or_insert(*choice) == *choice {
                    if let Some(chunk) = self.pending.take() {
                        record(t, chunk);
                    }
                    if let Some(last) = self.last_content {
                        self.pending = Some(Chunk {
                            gap: at.saturating_sub(last),
                            tokens: None,
                        });
                    }
                    self.last_content = Some(at);
                }
            }
            Event::ReasoningDelta { .. } => {
                t.reasoning_deltas += 1;
                t.ttft.get_or_insert(at);
                t.ttft_reasoning.get_or_insert(at);
            }
            Event::ToolCallArgumentsDelta { .. } => {
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
                if let (Some(k), Some(chunk)) = (grew, self.pending.as_mut()) {
                    if k > 0 && chunk.tokens.is_none() {
                        chunk.tokens = Some(k);
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
        if let Some(chunk) = self.pending {
            record(&mut t, chunk);
        }
        t.events = events;
        t
    }
}

/// Records a finished chunk: its gap, and its per-token samples.
fn record(t: &mut Timing, chunk: Chunk) {
    t.chunks.push(chunk);
    match chunk.tokens {
        Some(k) if k > 1 => {
            // Several tokens in one chunk: split its gap (into at most
            // MAX_SPLIT samples, whatever a server claims).
            let k = k.min(MAX_SPLIT) as u32;
            t.itl.extend(std::iter::repeat_n(chunk.gap / k, k as usize));
        }
        _ => t.itl.push(chunk.gap),
    }
}
