//! The async adapter: a stream of byte chunks becomes a stream of events.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::chat_fold::ChatFold;
use crate::completion::Completion;
use crate::error::{Error, ErrorKind};
use crate::event::{Event, Verdict};
use crate::limits::Limits;
use crate::timing::{Clock, Timing};

/// Turns any stream of byte chunks (`reqwest::Response::bytes_stream()`, a
/// hyper body's data frames, …) into a stream of [`Event`]s.
///
/// # Examples
///
/// ```
/// use futures::{executor::block_on, stream, StreamExt};
/// use streamfold::{Event, FoldStreamExt};
///
/// let pieces = vec![
///     Ok::<_, std::io::Error>(&b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}"[..]),
///     Ok(&b",\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"[..]),
/// ];
/// let mut events = stream::iter(pieces).fold_chat();
/// block_on(async {
///     while let Some(event) = events.next().await {
///         if let Event::ContentDelta { delta, .. } = event? {
///             assert_eq!(delta, "Hi");
///         }
///     }
///     let completion = events.finish()?;
///     assert_eq!(completion.choices[0].message.content.as_deref(), Some("Hi"));
///     Ok::<(), streamfold::Error>(())
/// })?;
/// # Ok::<(), streamfold::Error>(())
/// ```
pub trait FoldStreamExt: Stream + Sized {
    /// Folds this stream of byte chunks with the default [`Limits`].
    fn fold_chat(self) -> FoldStream<Self> {
        FoldStream::new(self, Limits::default())
    }

    /// Folds this stream of byte chunks with the given limits.
    fn fold_chat_with(self, limits: Limits) -> FoldStream<Self> {
        FoldStream::new(self, limits)
    }
}

impl<S: Stream> FoldStreamExt for S {}

/// A stream of [`Event`]s (owned) from a stream of byte chunks; see
/// [`FoldStreamExt`].
///
/// Yields every event as soon as the chunk that completes it arrives; ends
/// after [`Event::End`], or after the first error (an error of the byte
/// source is [`ErrorKind::Transport`]). Then [`FoldStream::finish`] gives
/// the completion. Cost per event: one allocation for its owned text.
pub struct FoldStream<S> {
    inner: Pin<Box<S>>,
    fold: ChatFold,
    cursor: usize,
    input_done: bool,
    finished: bool,
}

impl<S> FoldStream<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, limits: Limits) -> FoldStream<S> {
        FoldStream {
            inner: Box::pin(inner),
            fold: ChatFold::with_limits(limits),
            cursor: 0,
            input_done: false,
            finished: false,
        }
    }

    /// Records the stream's timing with the real clock, from now; see
    /// [`ChatFold::timed`].
    pub fn timed(mut self) -> FoldStream<S> {
        self.fold = self.fold.timed();
        self
    }

    /// As [`FoldStream::timed`], with the given clock.
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> FoldStream<S> {
        self.fold = self.fold.with_clock(clock);
        self
    }

    /// The timing so far, when attached.
    pub fn timing(&self) -> Option<Timing> {
        self.fold.timing()
    }

    /// The completion reassembled so far (a copy).
    pub fn completion(&self) -> Completion {
        self.fold.completion()
    }

    /// How the stream ended, once known.
    pub fn verdict(&self) -> Option<Verdict> {
        self.fold.verdict()
    }

    /// The completion, once the stream has been read (what was not read is
    /// not waited for: finishing early gives a truncation error).
    ///
    /// # Errors
    ///
    /// As [`ChatFold::finish`]: the error that stopped the stream, with the
    /// partial completion.
    pub fn finish(self) -> Result<Completion, Error> {
        self.fold.finish()
    }
}

impl<S, B, E> Stream for FoldStream<S>
where
    S: Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Item = Result<Event<'static>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.finished {
                return Poll::Ready(None);
            }
            if let Some(item) = this.fold.item(this.cursor) {
                this.cursor += 1;
                if item.is_err() {
                    this.finished = true;
                }
                return Poll::Ready(Some(item.map(Event::into_owned)));
            }
            if this.input_done {
                this.finished = true;
                return Poll::Ready(None);
            }
            match this.inner.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(bytes))) => {
                    this.fold.push(bytes.as_ref());
                }
                Poll::Ready(Some(Err(e))) => {
                    this.fold.fail(ErrorKind::Transport(Arc::from(e.into())));
                    this.input_done = true;
                }
                Poll::Ready(None) => {
                    this.fold.end();
                    this.input_done = true;
                }
            }
            // A new batch of results.
            this.cursor = 0;
        }
    }
}

impl<S> std::fmt::Debug for FoldStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FoldStream")
            .field("fold", &self.fold)
            .field("input_done", &self.input_done)
            .finish_non_exhaustive()
    }
}
