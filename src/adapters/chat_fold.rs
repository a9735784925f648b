//! The sync facade: push bytes, pull events, finish.

use crate::completion::Completion;
use crate::error::{Error, ErrorKind, Limit};
use crate::event::{Event, Verdict, Warning};
use crate::fold::{Ev, Fold};
use crate::json::scanner::MAX_DEPTH_CAP;
use crate::limits::Limits;
use crate::protocol::openai_chat::{DecodeError, DecodeErrorKind, Decoder, Payload, SkipReason};
use crate::sse::{self, Item};
use crate::timing::{Clock, Stopwatch, SystemClock, Timing};

/// Reassembles one OpenAI chat stream: push its bytes in any chunking, take
/// the incremental events each push produced, and finish with the
/// completion.
///
/// # Merge rules
///
/// - A field that is `null` or absent changes nothing.
/// - Text concatenates: `content`, `refusal`, `function.arguments`, and any
///   string field the engine does not know (`reasoning`,
///   `reasoning_content`, …); unknown lists are extended, unknown objects
///   merged key by key (their `id`, `type`, `name`, `role` and `index` set
///   once, other scalars take the last value).
/// - Identities are set once: `role`, tool-call `id`, `type` and
///   `function.name` take the first non-empty value.
/// - Choices are keyed by `index` and listed in index order. Tool calls are
///   keyed by `index` within their choice and listed in index order;
///   several fragments of one index in one chunk merge in order. A tool-call
///   delta without `index` continues the call in progress, unless it carries
///   a different non-empty `id`, which starts the next call; a delta whose
///   non-empty `id` differs from the one at its index starts a new call after
///   the existing ones (servers that send every complete call at index 0).
/// - `finish_reason`: the last non-null value. `logprobs`: the `content` and
///   `refusal` token lists are extended.
/// - `usage`: the last non-null value (a later `usage: null` does not erase
///   it).
/// - `id`, `model`, `created`, `service_tier`: the first non-empty value;
///   `system_fingerprint`: the last non-null one. Chunks whose `object` is
///   present and not `chat.completion.chunk` (Azure's prompt-filter chunk)
///   do not set these.
/// - `obfuscation` padding is dropped; other unknown chunk- and choice-level
///   fields keep their last non-null value (each chunk's value is also an
///   event).
///
/// The stream's end: `data: [DONE]` (exactly) completes it and what follows
/// is ignored with a [`Warning`](crate::Warning); without it, a stream in
/// which every choice has a finish reason is complete too
/// ([`Verdict::FinishedWithoutDone`]), anything else is truncated.
///
/// # Examples
///
/// ```
/// use streamfold::{ChatFold, Event};
///
/// let body: &[u8] = b"data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\
/// \"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}}]}\n\n\
/// data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\
/// \"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\n\
/// data: [DONE]\n\n";
///
/// let mut fold = ChatFold::new();
/// let mut text = String::new();
/// for piece in body.chunks(7) {
///     for event in fold.push(piece) {
///         if let Event::ContentDelta { delta, .. } = event? {
///             text.push_str(&delta);
///         }
///     }
/// }
/// let completion = fold.finish()?;
/// assert_eq!(text, "Hello");
/// assert_eq!(completion.choices[0].message.content.as_deref(), Some("Hello"));
/// assert_eq!(completion.choices[0].finish_reason.as_deref(), Some("stop"));
/// # Ok::<(), streamfold::Error>(())
/// ```
#[derive(Debug)]
pub struct ChatFold {
    limits: Limits,
    sse: sse::Parser,
    decoder: Decoder,
    fold: Fold,
    /// `[DONE]` arrived: later events are ignored.
    after_done: bool,
    /// The SSE layer failed after `[DONE]`: the rest of the input is
    /// ignored.
    ignoring: bool,
    /// End of input was signalled.
    ended: bool,
    verdict: Option<Verdict>,
    error: Option<Error>,
    /// Timing, when attached.
    stopwatch: Option<Box<Stopwatch>>,
}

impl Default for ChatFold {
    fn default() -> Self {
        ChatFold::new()
    }
}

/// The events of one [`ChatFold::push`] (or [`ChatFold::end`]), then the
/// error that stopped the stream, if any.
///
/// Each item borrows the fold; events not taken before the next push are
/// dropped (so a caller that only wants the completion never accumulates
/// them).
#[derive(Debug, Clone)]
pub struct Events<'a> {
    fold: &'a ChatFold,
    next: usize,
}

impl<'a> Iterator for Events<'a> {
    type Item = Result<Event<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.fold.item(self.next);
        if item.is_some() {
            self.next += 1;
        }
        item
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.fold.queued() - self.next.min(self.fold.queued());
        (left, Some(left + 1))
    }
}

impl ChatFold {
    /// A fold with the default [`Limits`].
    pub fn new() -> ChatFold {
        ChatFold::with_limits(Limits::default())
    }

    /// A fold with the given limits.
    pub fn with_limits(limits: Limits) -> ChatFold {
        ChatFold {
            limits,
            sse: sse::Parser::with_limits(limits.max_event_bytes, limits.max_line_bytes),
            decoder: Decoder::new(limits.max_depth, limits.max_index),
            fold: Fold::new(limits.max_choices, limits.max_tool_calls),
            after_done: false,
            ignoring: false,
            ended: false,
            verdict: None,
            error: None,
            stopwatch: None,
        }
    }

    /// Records the stream's timing with the real clock, from now (see
    /// [`timing`](crate::timing) for the definitions); read it with
    /// [`ChatFold::timing`]. Attach it right before sending the request or
    /// starting to read.
    ///
    /// Cost: one clock reading per push, and one sample per content delta.
    pub fn timed(self) -> ChatFold {
        self.with_clock(SystemClock::new())
    }

    /// As [`ChatFold::timed`], with the given clock (a fake one in tests).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> ChatFold {
        self.stopwatch = Some(Box::new(Stopwatch::new(Box::new(clock))));
        self
    }

    /// The timing so far, when attached ([`ChatFold::timed`]).
    pub fn timing(&self) -> Option<Timing> {
        self.stopwatch
            .as_ref()
            .map(|s| s.timing(self.sse.events_dispatched()))
    }

    /// Feeds the events just queued to the stopwatch, as completed at `at`.
    fn clock_events(&mut self, at: Option<std::time::Duration>) {
        if let (Some(sw), Some(at)) = (self.stopwatch.as_mut(), at) {
            for ev in &self.fold.queue {
                sw.observe(&self.fold.resolve(ev), at);
            }
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Feeds the next bytes of the stream, split anywhere, and returns the
    /// events they completed.
    ///
    /// Cost: linear in `bytes`; no allocation per event once buffers have
    /// grown to the stream's sizes.
    ///
    /// # Errors
    ///
    /// The returned iterator ends with an `Err` when the stream failed
    /// (malformed JSON, wrong chunk shape, provider error, limit): the
    /// events before the failure come first, and every later push yields the
    /// same error. The completion reassembled so far stays available
    /// ([`ChatFold::completion`], or the error from [`ChatFold::finish`]).
    pub fn push(&mut self, bytes: &[u8]) -> Events<'_> {
        self.fold.clear_events();
        let at = self.stopwatch.as_mut().map(|sw| {
            let at = sw.now();
            sw.bytes(at, bytes.len());
            at
        });
        if self.error.is_none() && !self.ended && !self.ignoring {
            self.run(bytes);
        }
        self.clock_events(at);
        Events {
            fold: self,
            next: 0,
        }
    }

    /// Signals the end of the stream and returns its last events: pending
    /// `.done` events and [`Event::End`] with the [`Verdict`], then, for a
    /// truncated stream, an [`ErrorKind::Truncated`] error.
    pub fn end(&mut self) -> Events<'_> {
        self.fold.clear_events();
        let at = self.stopwatch.as_ref().map(|sw| sw.now());
        if self.error.is_none() && !self.ended {
            self.ended = true;
            let end = self.sse.finish();
            let inside_event = end.truncated_event;
            if self.verdict.is_none() {
                let verdict = if inside_event {
                    Verdict::TruncatedInsideEvent
                } else if self.fold.all_finished() {
                    Verdict::FinishedWithoutDone
                } else {
                    Verdict::Truncated
                };
                if !verdict.is_truncated() {
                    self.fold.close_all();
                }
                self.fold.queue.push(Ev::End { verdict });
                self.verdict = Some(verdict);
                if verdict.is_truncated() {
                    self.error = Some(Error::new(
                        ErrorKind::Truncated { inside_event },
                        self.sse.offset(),
                        self.sse.events_dispatched(),
                    ));
                }
            }
        }
        self.clock_events(at);
        Events {
            fold: self,
            next: 0,
        }
    }

    /// Ends the stream (if [`ChatFold::end`] was not called) and returns the
    /// completion.
    ///
    /// Cost: moves the reassembled buffers; parses the kept extension
    /// fields once.
    ///
    /// # Errors
    ///
    /// The error that stopped the stream, or [`ErrorKind::Truncated`] when it
    /// ended early; either way [`Error::partial`] holds the completion
    /// reassembled so far. A stream that finished without `[DONE]` (every
    /// choice has a finish reason) is not an error.
    pub fn finish(mut self) -> Result<Completion, Error> {
        if !self.ended {
            self.end();
        }
        let completion = self.fold.take_completion();
        match self.error {
            Some(e) => Err(e.with_partial(completion)),
            None => Ok(completion),
        }
    }

    /// The completion reassembled so far (a copy; streaming goes on).
    ///
    /// Cost: copies the reassembled text.
    pub fn completion(&self) -> Completion {
        self.fold.completion()
    }

    /// How the stream ended: set at `[DONE]` or by [`ChatFold::end`].
    pub fn verdict(&self) -> Option<Verdict> {
        self.verdict
    }

    /// The error that stopped the stream, if any.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// The SSE last event ID so far (`""` for none).
    pub fn last_event_id(&self) -> &str {
        self.sse.last_event_id()
    }

    /// The reconnection time the stream set (`retry`), in milliseconds.
    pub fn retry_ms(&self) -> Option<u64> {
        self.sse.retry_ms()
    }

    /// SSE events dispatched so far (`[DONE]` and ignored events included).
    pub fn sse_events(&self) -> u64 {
        self.sse.events_dispatched()
    }

    /// Bytes consumed so far: all the bytes pushed, unless the stream failed
    /// (then up to the failure) or the SSE layer failed after `[DONE]`.
    pub fn offset(&self) -> u64 {
        self.sse.offset()
    }

    /// Records a failure of the byte source (async adapter).
    pub(crate) fn fail(&mut self, kind: ErrorKind) {
        self.fold.clear_events();
        if self.error.is_none() {
            self.error = Some(Error::new(
                kind,
                self.sse.offset(),
                self.sse.events_dispatched(),
            ));
        }
    }

    /// Number of queued events.
    pub(crate) fn queued(&self) -> usize {
        self.fold.queue.len()
    }

    /// Item `i` of the current results: a queued event, then the error.
    pub(crate) fn item(&self, i: usize) -> Option<Result<Event<'_>, Error>> {
        match self.fold.queue.get(i) {
            Some(ev) => Some(Ok(self.fold.resolve(ev))),
            None if i == self.fold.queue.len() => self.error.clone().map(Err),
            None => None,
        }
    }

    fn run(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        loop {
            let item = match self.sse.next(&mut rest) {
                Ok(Some(item)) => item,
                Ok(None) => return,
                Err(e) => {
                    if self.after_done {
                        self.ignoring = true;
                        self.fold.queue.push(Ev::Warning {
                            warning: Warning::DataAfterDone,
                            offset: e.offset(),
                            event_index: e.event_index(),
                        });
                    } else {
                        self.error = Some(e);
                    }
                    return;
                }
            };
            let Item::Event(ev) = item else { continue };
            let warn = |warning| Ev::Warning {
                warning,
                offset: ev.stream_offset(0),
                event_index: ev.index,
            };
            if self.after_done {
                self.fold.queue.push(warn(Warning::DataAfterDone));
                continue;
            }
            let failure = match self.decoder.decode(ev.event, ev.data) {
                Ok(Payload::Chunk) => match self.fold.apply(self.decoder.chunk(), ev.data) {
                    Ok(()) => continue,
                    Err(f) => Error::limit(f.limit, f.value, ev.stream_offset(f.pos), ev.index),
                },
                Ok(Payload::Done) => {
                    self.fold.close_all();
                    self.fold.queue.push(Ev::End {
                        verdict: Verdict::Complete,
                    });
                    self.verdict = Some(Verdict::Complete);
                    self.after_done = true;
                    continue;
                }
                Ok(Payload::Skip(reason)) => {
                    self.fold.queue.push(warn(match reason {
                        SkipReason::EventType => Warning::UnknownEventType,
                        SkipReason::EmptyData => Warning::EmptyData,
                    }));
                    continue;
                }
                Ok(Payload::ProviderError(p)) => {
                    Error::new(ErrorKind::Provider(p), ev.stream_offset(0), ev.index)
                }
                Err(DecodeError { pos, kind }) => {
                    let kind = match kind {
                        DecodeErrorKind::Json(code) => ErrorKind::Json {
                            message: code.message(),
                        },
                        DecodeErrorKind::Shape { field, expected } => {
                            ErrorKind::Shape { field, expected }
                        }
                        DecodeErrorKind::Limit(limit) => ErrorKind::Limit {
                            limit,
                            value: match limit {
                                Limit::Depth => self.limits.max_depth.min(MAX_DEPTH_CAP) as u64,
                                Limit::Index => self.limits.max_index as u64,
                                _ => 0,
                            },
                        },
                    };
                    Error::new(kind, ev.stream_offset(pos), ev.index)
                }
            };
            self.error = Some(failure);
            return;
        }
    }
}
