//! The sync facade: push bytes, pull events, finish.

use std::borrow::Cow;
use std::time::Duration;

use crate::delta::Delta;
use crate::error::{Error, ErrorKind};
use crate::event::{Event, Verdict, Warning};
use crate::final_object::Final;
use crate::fold::{At, Ev, State};
use crate::format::Format;
use crate::limits::{Limit, Limits};
use crate::ndjson;
use crate::protocol::detect::{self, Detected};
use crate::protocol::{self, DecodeError, DecodeErrorKind, Decoder, Payload, SkipReason};
use crate::sse::{self, Item};
use crate::timing::{Clock, Stopwatch, SystemClock, Timing};
use crate::usage::TokenCounts;

/// How the bytes are framed into payloads.
// One per fold, decided once: boxing the parser would cost an allocation
// per stream for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum Framing {
    /// Not known until the first byte after an optional BOM: `{` or `[`
    /// means NDJSON (Ollama, or an HTTP error body), anything else SSE.
    /// Holds the BOM bytes seen so far.
    Undecided(usize),
    Sse(sse::Parser),
    Ndjson(ndjson::Splitter),
}

/// Reassembles one streaming response of any [`Format`]: push its bytes in
/// any chunking, take the incremental events each push produced, and finish
/// with the format's final object.
///
/// The format is detected from the first payload (or forced with
/// [`Fold::with_format`]); SSE or NDJSON framing from the first byte.
///
/// # Merge rules
///
/// DESIGN.md's, for every format:
///
/// - A field that is `null` or absent changes nothing.
/// - Text concatenates: message text, refusals, reasoning, tool-call
///   arguments, and any string field the engine does not know; unknown
///   lists are extended (entries carrying an integer `index` merge with the
///   entry of that index), unknown objects merged key by key (their `id`,
///   `type`, `name`, `role` and `index` set once, other scalars take the
///   last value).
/// - Identities are set once: `role`, `id`, `model`, tool-call `id`, `type`
///   and function `name` take the first non-empty value (`""` when that is
///   all that came).
/// - Choices (candidates) are keyed by `index` and listed in index order;
///   blocks (content blocks, output items, parts) by the format's own
///   position. OpenAI chat tool calls are keyed by `index` within their
///   choice and listed in index order; several fragments of one index in
///   one chunk merge in order; a tool-call delta without `index` continues
///   the call in progress, unless it carries a different non-empty `id`,
///   which starts the next call; a delta whose non-empty `id` differs from
///   the one at its index starts a new call after the existing ones.
/// - Finish reasons and usage: the last non-null value (Anthropic's
///   `message_delta` usage replaces each count it carries).
/// - OpenAI chat: `system_fingerprint` takes the last non-null value;
///   chunks whose `object` is present and neither `chat.completion.chunk`
///   nor (leniently) `chat.completion` do not set the identity fields
///   (Azure's prompt-filter chunk); `obfuscation` padding is dropped; other
///   unknown chunk- and choice-level fields keep their last non-null value
///   (each payload's value is also an event).
///
/// The stream's end: the format's terminator completes it and what follows
/// is ignored with a [`Warning`]; without it, a stream in which every choice
/// has a finish reason is complete too ([`Verdict::FinishedWithoutDone`];
/// for Gemini, which has no terminator, [`Verdict::Complete`]), anything
/// else is truncated.
///
/// # Examples
///
/// ```
/// use streamfold::{Event, Fold};
///
/// let body: &[u8] = b"data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\
/// \"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}}]}\n\n\
/// data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\
/// \"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\n\
/// data: [DONE]\n\n";
///
/// let mut fold = Fold::new();
/// let mut text = String::new();
/// for piece in body.chunks(7) {
///     for event in fold.push(piece) {
///         if let Event::ContentDelta { delta, .. } = event? {
///             text.push_str(&delta);
///         }
///     }
/// }
/// let completion = fold.finish()?.into_chat().unwrap();
/// assert_eq!(text, "Hello");
/// assert_eq!(completion.choices[0].message.content.as_deref(), Some("Hello"));
/// assert_eq!(completion.choices[0].finish_reason.as_deref(), Some("stop"));
/// # Ok::<(), streamfold::Error>(())
/// ```
#[derive(Debug)]
pub struct Fold {
    limits: Limits,
    forced: Option<Format>,
    format: Option<Format>,
    framing: Framing,
    decoder: Option<Decoder>,
    delta: Delta,
    state: State,
    /// The terminator arrived: later events are ignored.
    after_done: bool,
    /// The framing failed after the terminator: the rest is ignored.
    ignoring: bool,
    /// End of input was signalled.
    ended: bool,
    verdict: Option<Verdict>,
    error: Option<Error>,
    /// Timing, when attached.
    stopwatch: Option<Box<Stopwatch>>,
}

impl Default for Fold {
    fn default() -> Self {
        Fold::new()
    }
}

/// The events of one [`Fold::push`] (or [`Fold::end`]), then the error
/// that stopped the stream, if any.
///
/// Each item borrows the fold; events not taken before the next push are
/// dropped (so a caller that only wants the final object never accumulates
/// them).
#[derive(Debug, Clone)]
pub struct Events<'a> {
    fold: &'a Fold,
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

impl std::iter::FusedIterator for Events<'_> {}

impl Fold {
    /// A fold that detects the format, with the default [`Limits`].
    pub fn new() -> Fold {
        let limits = Limits::default();
        Fold {
            limits,
            forced: None,
            format: None,
            framing: Framing::Undecided(0),
            decoder: None,
            delta: Delta::default(),
            state: State::new(&limits),
            after_done: false,
            ignoring: false,
            ended: false,
            verdict: None,
            error: None,
            stopwatch: None,
        }
    }

    /// Forces the format instead of detecting it (a payload of another
    /// format is then an error).
    pub fn with_format(mut self, format: Format) -> Fold {
        self.forced = Some(format);
        self
    }

    /// Uses these limits (call it before the first push).
    pub fn with_limits(mut self, limits: Limits) -> Fold {
        let partial_json = self.state.partial_json;
        self.limits = limits;
        self.state = State::new(&limits);
        self.state.partial_json = partial_json;
        self
    }

    /// Reads every tool call's arguments as partial JSON while they arrive,
    /// and reports what each piece changed in their value as an
    /// [`Event::ToolCallArgumentsPartial`] right after its
    /// [`Event::ToolCallArgumentsDelta`] (DESIGN.md, "Partial JSON of tool
    /// arguments"; the ops are those of [`partial_json`](crate::partial_json)).
    /// Every format, whether its arguments stream or arrive whole (those get
    /// their ops at once). Arguments that are not JSON stop that call's ops
    /// with a [`Warning::InvalidArguments`]; their text is kept as it came.
    /// The limits' [`max_depth`](Limits::max_depth) bounds their nesting.
    ///
    /// Cost: each piece of arguments is read once, O(arguments) in all;
    /// without it, no reader is made and nothing is done.
    ///
    /// # Examples
    ///
    /// ```
    /// use streamfold::partial_json::OpTarget;
    /// use streamfold::{Event, Fold, Value};
    ///
    /// let chunk = |args: &str| {
    ///     let delta = serde_json::json!({"tool_calls": [{"index": 0, "function": {"arguments": args}}]});
    ///     let chunk = serde_json::json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]});
    ///     format!("data: {chunk}\n\n")
    /// };
    /// let body = [chunk("{\"city\":\"Par"), chunk("is\",\"days\":3"), chunk("}")].concat();
    ///
    /// let mut fold = Fold::new().with_partial_json();
    /// let mut value = Value::Null;
    /// let mut cities = Vec::new();
    /// for event in fold.push(body.as_bytes()) {
    ///     if let Event::ToolCallArgumentsPartial { ops, .. } = event? {
    ///         value.apply_all(&ops).unwrap();
    ///         cities.push(value.get("city").and_then(Value::as_str).unwrap().to_string());
    ///     }
    /// }
    /// assert_eq!(cities, ["Par", "Paris", "Paris"]); // `3` is set at the `}`
    /// assert_eq!(value, "{\"city\":\"Paris\",\"days\":3}".parse::<Value>().unwrap());
    /// assert_eq!(fold.tool_call_value(0, 0), Some(value));
    /// # Ok::<(), streamfold::Error>(())
    /// ```
    pub fn with_partial_json(mut self) -> Fold {
        self.state.partial_json = true;
        self
    }

    /// Reads the content as partial JSON too, for a request whose response
    /// format is JSON (structured outputs: OpenAI's `response_format` or
    /// `text.format` of type `json_schema`, Gemini's `responseSchema`, …):
    /// after each [`Event::ContentDelta`], an [`Event::ContentPartial`] with
    /// what it changed in the content's value, by the same ops as tool
    /// arguments (see [`Fold::with_partial_json`]). Each content block is
    /// read on its own (its own root); content that is not JSON stops its
    /// ops with a [`Warning::InvalidContent`], its text kept. Read the
    /// value on demand with [`Fold::content_value`].
    ///
    /// Cost: each piece of content is read once, O(content) in all; without
    /// it, nothing is done.
    ///
    /// # Examples
    ///
    /// ```
    /// use streamfold::partial_json::OpTarget;
    /// use streamfold::{Event, Fold, Value};
    ///
    /// let chunk = |content: &str| {
    ///     let delta = serde_json::json!({"content": content});
    ///     let chunk = serde_json::json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]});
    ///     format!("data: {chunk}\n\n")
    /// };
    /// let body = [chunk("{\"title\":\"Du"), chunk("ne\",\"year\":19"), chunk("65}")].concat();
    ///
    /// let mut fold = Fold::new().with_partial_json_content();
    /// let mut value = Value::Null;
    /// let mut titles = Vec::new();
    /// for event in fold.push(body.as_bytes()) {
    ///     if let Event::ContentPartial { ops, .. } = event? {
    ///         value.apply_all(&ops).unwrap();
    ///         titles.push(value.get("title").and_then(Value::as_str).unwrap().to_string());
    ///     }
    /// }
    /// assert_eq!(titles, ["Du", "Dune", "Dune"]);
    /// assert_eq!(value, "{\"title\":\"Dune\",\"year\":1965}".parse::<Value>().unwrap());
    /// assert_eq!(fold.content_value(0), Some(value));
    /// # Ok::<(), streamfold::Error>(())
    /// ```
    pub fn with_partial_json_content(mut self) -> Fold {
        self.state.partial_content = true;
        self
    }

    /// Records the stream's timing with the real clock, from now (see
    /// [`timing`](crate::timing) for the definitions); read it with
    /// [`Fold::timing`]. Attach it right before sending the request or
    /// starting to read.
    ///
    /// Cost: one clock reading per push, and one sample per content delta.
    pub fn timed(self) -> Fold {
        self.with_clock(SystemClock::new())
    }

    /// As [`Fold::timed`], with the given clock (a fake one in tests).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Fold {
        self.stopwatch = Some(Box::new(Stopwatch::new(Box::new(clock))));
        self
    }

    /// The timing so far, when attached ([`Fold::timed`]).
    pub fn timing(&self) -> Option<Timing> {
        self.stopwatch
            .as_ref()
            .map(|s| s.timing(self.events_dispatched()))
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The stream's format: the forced one, or the detected one once the
    /// first payload arrived.
    pub fn format(&self) -> Option<Format> {
        self.format.or(self.forced)
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
    /// (malformed JSON, a payload of the wrong shape or format, a provider
    /// error, a limit): the events before the failure come first, and every
    /// later push yields the same error. The final object reassembled so far
    /// stays available ([`Fold::snapshot`], or the error from
    /// [`Fold::finish`]).
    pub fn push(&mut self, bytes: &[u8]) -> Events<'_> {
        let at = self.stopwatch.as_ref().map(|sw| sw.now());
        self.push_inner(bytes, at)
    }

    /// As [`Fold::push`], with the time the bytes arrived (from the clock
    /// attached with [`Fold::with_clock`]'s origin), for callers that read a
    /// timestamp themselves (e.g. the kernel's receive time of a socket).
    /// Without a clock attached it is [`Fold::push`].
    pub fn push_at(&mut self, bytes: &[u8], at: Duration) -> Events<'_> {
        let at = self.stopwatch.as_ref().map(|_| at);
        self.push_inner(bytes, at)
    }

    fn push_inner(&mut self, bytes: &[u8], at: Option<Duration>) -> Events<'_> {
        self.state.clear_events();
        if let (Some(sw), Some(at)) = (self.stopwatch.as_mut(), at) {
            sw.bytes(at, bytes.len());
        }
        let dispatched = self.events_dispatched();
        if self.error.is_none() && !self.ended && !self.ignoring {
            self.run(bytes);
        }
        let new_payloads = self.events_dispatched() > dispatched;
        if let (Some(sw), Some(at), true) = (self.stopwatch.as_mut(), at, new_payloads) {
            sw.payload(at);
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
        self.state.clear_events();
        let at = self.stopwatch.as_ref().map(|sw| sw.now());
        if self.error.is_none() && !self.ended {
            self.ended = true;
            let inside_event = match &mut self.framing {
                Framing::Undecided(bom) => *bom > 0 && *bom < 3,
                Framing::Sse(p) => p.finish().truncated_event,
                Framing::Ndjson(s) => s.finish(),
            };
            if self.verdict.is_none() {
                let verdict = if inside_event {
                    Verdict::TruncatedInsideEvent
                } else if self.state.all_finished() {
                    if self.format() == Some(Format::Gemini) {
                        Verdict::Complete
                    } else {
                        Verdict::FinishedWithoutDone
                    }
                } else {
                    Verdict::Truncated
                };
                if !verdict.is_truncated() {
                    self.state.close_all();
                }
                self.state.queue.push(Ev::End { verdict });
                self.verdict = Some(verdict);
                if verdict.is_truncated() {
                    self.error = Some(Error::new(
                        ErrorKind::Truncated { inside_event },
                        self.offset(),
                        self.events_dispatched(),
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

    /// Ends the stream (if [`Fold::end`] was not called) and returns the
    /// final object.
    ///
    /// Cost: moves the reassembled buffers; parses the kept extension
    /// fields once.
    ///
    /// # Errors
    ///
    /// The error that stopped the stream, or [`ErrorKind::Truncated`] when it
    /// ended early; either way [`Error::partial`] holds the final object
    /// reassembled so far. A stream that finished without its terminator
    /// (every choice has a finish reason) is not an error.
    pub fn finish(mut self) -> Result<Final, Error> {
        if !self.ended {
            self.end();
        }
        let format = self.format().unwrap_or(Format::OpenAiChat);
        let done = protocol::build(format, self.state.into_parts());
        match self.error {
            Some(e) => Err(e.with_partial(done)),
            None => Ok(done),
        }
    }

    /// The final object as it stands (a copy; streaming goes on).
    ///
    /// Cost: copies the reassembled text. For one figure, ask for it:
    /// [`Fold::text`], [`Fold::usage`], [`Fold::id`], [`Fold::model`] cost
    /// no copy.
    pub fn snapshot(&self) -> Final {
        let format = self.format().unwrap_or(Format::OpenAiChat);
        protocol::build(format, self.state.clone().into_parts())
    }

    /// The message text of choice `choice` so far (its content blocks
    /// joined), without copying when it is one block.
    pub fn text(&self, choice: u32) -> Option<Cow<'_, str>> {
        let slot = self.state.choice_of(choice)?;
        self.state.choices[slot].text_of(crate::delta::BlockKind::Content)
    }

    /// The arguments so far of tool call `index` of choice `choice`.
    pub fn tool_call_arguments(&self, choice: u32, index: u32) -> Option<&str> {
        self.state.tool(choice, index).map(|t| t.arguments.as_str())
    }

    /// The value of tool call `index` of choice `choice` so far: what its
    /// partial-JSON ops rebuild (see [`Fold::with_partial_json`]), whether
    /// or not they are reported. `None` before any value has started (no
    /// arguments yet, or a number that may still grow). Arguments that are
    /// not JSON give the value up to where they stop being JSON.
    ///
    /// Cost: a fresh reading of the arguments, O(their size).
    pub fn tool_call_value(&self, choice: u32, index: u32) -> Option<crate::Value> {
        self.state.tool_value(choice, index)
    }

    /// The value of choice `choice`'s content so far, read as partial JSON
    /// (see [`Fold::with_partial_json_content`]), whether or not its ops
    /// are reported: its first content block's. `None` before any value
    /// has started. Content that is not JSON gives the value up to where it
    /// stops being JSON.
    ///
    /// Cost: a fresh reading of the content, O(its size).
    pub fn content_value(&self, choice: u32) -> Option<crate::Value> {
        self.state.content_value(choice)
    }

    /// The token counts so far, normalized across formats.
    pub fn usage(&self) -> Option<TokenCounts> {
        self.state.usage.as_ref().map(|u| u.tokens)
    }

    /// The response's id so far.
    pub fn id(&self) -> Option<Cow<'_, str>> {
        let key = protocol::identity_keys(self.format()?).0?;
        self.state.meta.get_str(key)
    }

    /// The model so far.
    pub fn model(&self) -> Option<Cow<'_, str>> {
        let key = protocol::identity_keys(self.format()?).1?;
        self.state.meta.get_str(key)
    }

    /// How the stream ended: set at its terminator or by [`Fold::end`].
    pub fn verdict(&self) -> Option<Verdict> {
        self.verdict
    }

    /// The error that stopped the stream, if any.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// The SSE last event ID so far (`""` for none).
    pub fn last_event_id(&self) -> &str {
        match &self.framing {
            Framing::Sse(p) => p.last_event_id(),
            _ => "",
        }
    }

    /// The reconnection time the stream set (SSE `retry`), in milliseconds.
    pub fn retry_ms(&self) -> Option<u64> {
        match &self.framing {
            Framing::Sse(p) => p.retry_ms(),
            _ => None,
        }
    }

    /// SSE events (or NDJSON lines) dispatched so far, the terminator and
    /// ignored events included.
    pub fn events_dispatched(&self) -> u64 {
        match &self.framing {
            Framing::Undecided(_) => 0,
            Framing::Sse(p) => p.events_dispatched(),
            Framing::Ndjson(s) => s.values_dispatched(),
        }
    }

    /// Bytes consumed so far: all the bytes pushed, unless the stream failed
    /// (then up to the failure) or the framing failed after the terminator.
    pub fn offset(&self) -> u64 {
        match &self.framing {
            Framing::Undecided(bom) => *bom as u64,
            Framing::Sse(p) => p.offset(),
            Framing::Ndjson(s) => s.offset(),
        }
    }

    /// True once the format's terminator arrived: nothing after it counts.
    #[cfg(feature = "async")]
    pub(crate) fn is_complete(&self) -> bool {
        self.after_done
    }

    /// Records a failure of the byte source (async adapter).
    #[cfg(feature = "async")]
    pub(crate) fn fail(&mut self, kind: ErrorKind) {
        self.state.clear_events();
        if self.error.is_none() {
            self.error = Some(Error::new(kind, self.offset(), self.events_dispatched()));
        }
    }

    /// Number of queued events.
    pub(crate) fn queued(&self) -> usize {
        self.state.queue.len()
    }

    /// Item `i` of the current results: a queued event, then the error.
    pub(crate) fn item(&self, i: usize) -> Option<Result<Event<'_>, Error>> {
        match self.state.queue.get(i) {
            Some(ev) => Some(Ok(self.state.resolve(ev))),
            None if i == self.state.queue.len() => self.error.clone().map(Err),
            None => None,
        }
    }

    /// Feeds the events just queued to the stopwatch, as completed at `at`.
    fn clock_events(&mut self, at: Option<Duration>) {
        if let (Some(sw), Some(at)) = (self.stopwatch.as_mut(), at) {
            for ev in &self.state.queue {
                sw.observe(&self.state.resolve(ev), at);
            }
        }
    }

    /// Chooses the framing from the first byte after an optional BOM.
    /// Returns the bytes to feed it (the BOM bytes held back, then `bytes`).
    fn decide_framing(&mut self, bytes: &[u8]) -> Option<Vec<u8>> {
        const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];
        let Framing::Undecided(held) = self.framing else {
            return None;
        };
        let mut n = held;
        let mut i = 0;
        while i < bytes.len() && n < 3 && bytes[i] == BOM[n] {
            n += 1;
            i += 1;
        }
        let Some(&first) = bytes.get(i) else {
            self.framing = Framing::Undecided(n);
            return Some(Vec::new());
        };
        let partial_bom = n > 0 && n < 3;
        let ndjson = self.forced.is_some_and(Format::is_ndjson)
            || (!partial_bom && (first == b'{' || first == b'['));
        self.framing = if ndjson {
            Framing::Ndjson(ndjson::Splitter::new(&self.limits))
        } else {
            Framing::Sse(sse::Parser::with_limits(self.limits))
        };
        let mut replay = BOM[..held].to_vec();
        replay.extend_from_slice(bytes);
        Some(replay)
    }

    fn run(&mut self, bytes: &[u8]) {
        if let Some(replay) = self.decide_framing(bytes) {
            if matches!(self.framing, Framing::Undecided(_)) || replay.is_empty() {
                return;
            }
            self.run_framed(&replay);
        } else {
            self.run_framed(bytes);
        }
    }

    fn run_framed(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        loop {
            // One payload: (event type, data, index, first invalid byte).
            let Fold {
                framing,
                decoder,
                delta,
                state,
                limits,
                forced,
                format,
                after_done,
                ignoring,
                verdict,
                error,
                ..
            } = self;
            let next = match framing {
                Framing::Undecided(_) => return,
                Framing::Sse(p) => match p.next(&mut rest) {
                    Ok(None) => return,
                    Ok(Some(Item::Retry(_))) => continue,
                    Ok(Some(Item::Event(ev))) => Ok(Payload_::Sse(ev)),
                    Err(e) => Err(e),
                },
                Framing::Ndjson(s) => match s.next(&mut rest) {
                    Ok(None) => return,
                    Ok(Some(v)) => Ok(Payload_::Ndjson(v)),
                    Err(e) => Err(e),
                },
            };
            let payload = match next {
                Ok(p) => p,
                Err(e) => {
                    if *after_done {
                        *ignoring = true;
                        state.queue.push(Ev::Warning {
                            warning: Warning::DataAfterDone,
                            offset: e.offset(),
                            event_index: e.event_index(),
                        });
                    } else {
                        *error = Some(e);
                    }
                    return;
                }
            };
            let (event, data, index) = payload.parts();
            let offset_of = |pos: usize| payload.stream_offset(pos);
            let warn = |warning| Ev::Warning {
                warning,
                offset: offset_of(0),
                event_index: index,
            };
            if *after_done {
                // What the format sends after its terminator (OpenRouter's
                // `[DONE]` after `response.completed`) goes without a warning.
                if !decoder.as_ref().is_some_and(|d| d.is_trailer(data)) {
                    state.queue.push(warn(Warning::DataAfterDone));
                }
                continue;
            }
            if let Some(bad) = payload.first_invalid_utf8() {
                state.queue.push(Ev::Warning {
                    warning: Warning::InvalidUtf8,
                    offset: bad,
                    event_index: index,
                });
            }
            // The decoder, once the first payload tells the format.
            if decoder.is_none() {
                if crate::json::is_blank(data) {
                    state.queue.push(warn(Warning::EmptyData));
                    continue;
                }
                let facts = detect::facts(event, data, limits.depth());
                let chosen = match (*forced, detect::detect(&facts)) {
                    (Some(f), _) => f,
                    (None, Detected::Format(f)) => f,
                    (None, Detected::Error) => {
                        let p = protocol::provider_error::from_body(data);
                        *error = Some(Error::new(ErrorKind::Provider(p), offset_of(0), index));
                        return;
                    }
                    (None, Detected::KeepAlive) => {
                        state.queue.push(warn(Warning::UnknownEventType));
                        continue;
                    }
                    (None, Detected::Unknown) => {
                        let (pos, kind) = unknown_payload(data, limits);
                        *error = Some(Error::new(kind, offset_of(pos), index));
                        return;
                    }
                };
                let Some(d) = Decoder::new(chosen, limits) else {
                    *error = Some(Error::new(ErrorKind::UnknownFormat, offset_of(0), index));
                    return;
                };
                *format = Some(chosen);
                *decoder = Some(d);
            }
            let Some(dec) = decoder.as_mut() else {
                return;
            };
            let at = At {
                offset: &offset_of,
                event_index: index,
            };
            let failure = match dec.decode(event, data, delta) {
                Ok(Payload::Ops) => match state.apply(delta, data, &at) {
                    Ok(()) => {
                        if state.terminal && !*after_done {
                            state.close_all();
                            state.queue.push(Ev::End {
                                verdict: Verdict::Complete,
                            });
                            *verdict = Some(Verdict::Complete);
                            *after_done = true;
                        }
                        continue;
                    }
                    Err(f) => {
                        Error::limit(f.limit, limits.value_of(f.limit), offset_of(f.pos), index)
                    }
                },
                Ok(Payload::Skip(reason)) => {
                    state.queue.push(warn(match reason {
                        SkipReason::EventType => Warning::UnknownEventType,
                        SkipReason::EmptyData => Warning::EmptyData,
                    }));
                    continue;
                }
                Ok(Payload::ProviderError(p)) => {
                    let applied = state.apply(delta, data, &at);
                    match applied {
                        Ok(()) => Error::new(ErrorKind::Provider(p), offset_of(0), index),
                        Err(f) => {
                            Error::limit(f.limit, limits.value_of(f.limit), offset_of(f.pos), index)
                        }
                    }
                }
                Ok(Payload::Foreign) => {
                    let facts = detect::facts(event, data, limits.depth());
                    let found = match detect::detect(&facts) {
                        Detected::Format(f) => Some(f),
                        _ => None,
                    };
                    let expected = format.unwrap_or(Format::OpenAiChat);
                    Error::new(
                        ErrorKind::WrongFormat { expected, found },
                        offset_of(0),
                        index,
                    )
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
                                Limit::Depth | Limit::Index => limits.value_of(limit),
                                _ => 0,
                            },
                        },
                    };
                    Error::new(kind, offset_of(pos), index)
                }
            };
            *error = Some(failure);
            return;
        }
    }
}

/// Why a first payload matches no format: it is not JSON (the scanner's
/// error, at its position), not an object, or an object of no known format.
fn unknown_payload(data: &str, limits: &Limits) -> (usize, ErrorKind) {
    let mut sc = crate::json::scanner::Scanner::new(data, limits.depth());
    if sc.skip_value().and_then(|_| sc.finish()).is_err() {
        let e = DecodeError::from(sc.error());
        let kind = match e.kind {
            DecodeErrorKind::Limit(limit) => ErrorKind::Limit {
                limit,
                value: limits.value_of(limit),
            },
            DecodeErrorKind::Json(code) => ErrorKind::Json {
                message: code.message(),
            },
            DecodeErrorKind::Shape { field, expected } => ErrorKind::Shape { field, expected },
        };
        return (e.pos, kind);
    }
    let pos = data.len() - crate::json::trim_start(data).len();
    if !data[pos..].starts_with('{') {
        let kind = ErrorKind::Shape {
            field: "payload",
            expected: "a JSON object",
        };
        return (pos, kind);
    }
    (pos, ErrorKind::UnknownFormat)
}

/// A payload of either framing.
enum Payload_<'a> {
    Sse(sse::Event<'a>),
    Ndjson(ndjson::Value<'a>),
}

impl Payload_<'_> {
    fn parts(&self) -> (&str, &str, u64) {
        match self {
            Payload_::Sse(ev) => (ev.event, ev.data, ev.index),
            Payload_::Ndjson(v) => ("message", v.data, v.index),
        }
    }

    fn stream_offset(&self, pos: usize) -> u64 {
        match self {
            Payload_::Sse(ev) => ev.stream_offset(pos),
            Payload_::Ndjson(v) => v.stream_offset(pos),
        }
    }

    fn first_invalid_utf8(&self) -> Option<u64> {
        match self {
            Payload_::Sse(ev) => ev.first_invalid_utf8(),
            Payload_::Ndjson(v) => v.first_invalid_utf8(),
        }
    }
}
