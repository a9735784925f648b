//! The async adapter: a stream of byte chunks becomes a stream of events.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;

use super::fold::Fold;
use crate::error::{Error, ErrorKind};
use crate::event::Event;
use crate::final_object::Final;

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
/// let mut events = stream::iter(pieces).fold_stream();
/// block_on(async {
///     while let Some(event) = events.next().await {
///         if let Event::ContentDelta { delta, .. } = event? {
///             assert_eq!(delta, "Hi");
///         }
///     }
///     let completion = events.finish()?;
///     assert_eq!(completion.text(), "Hi");
///     Ok::<(), streamfold::Error>(())
/// })?;
/// # Ok::<(), streamfold::Error>(())
/// ```
pub trait FoldStreamExt: Stream + Sized {
    /// Folds this stream of byte chunks, detecting the format, with the
    /// default limits.
    fn fold_stream(self) -> FoldStream<Self> {
        FoldStream::new(self, Fold::new())
    }

    /// Folds this stream of byte chunks with a fold configured beforehand
    /// (a forced format, limits, a clock).
    fn fold_stream_with(self, fold: Fold) -> FoldStream<Self> {
        FoldStream::new(self, fold)
    }
}

impl<S: Stream> FoldStreamExt for S {}

pin_project! {
    /// A stream of [`Event`]s (owned) from a stream of byte chunks; see
    /// [`FoldStreamExt`].
    ///
    /// Yields every event as soon as the chunk that completes it arrives.
    /// Ends after [`Event::End`] — once the format's terminator arrived it
    /// yields the last events and then `None` without polling the source
    /// again, so a connection kept open (or reset) afterwards changes
    /// nothing —, or after the first error (an error of the byte source is
    /// [`ErrorKind::Transport`]). Then [`FoldStream::finish`] gives the
    /// final object. Cost per event: a copy of the text it carries.
    pub struct FoldStream<S> {
        #[pin]
        inner: S,
        fold: Fold,
        cursor: usize,
        input_done: bool,
        finished: bool,
    }
}

impl<S> FoldStream<S> {
    /// Wraps `inner`, folding with `fold`.
    pub fn new(inner: S, fold: Fold) -> FoldStream<S> {
        FoldStream {
            inner,
            fold,
            cursor: 0,
            input_done: false,
            finished: false,
        }
    }

    /// The fold, for its mid-stream accessors ([`Fold::text`],
    /// [`Fold::usage`], [`Fold::snapshot`], [`Fold::timing`], …).
    pub fn as_fold(&self) -> &Fold {
        &self.fold
    }

    /// The SSE last event ID so far (`""` for none): what a reconnection
    /// sends as `Last-Event-ID`.
    pub fn last_event_id(&self) -> &str {
        self.fold.last_event_id()
    }

    /// The reconnection time the stream set, in milliseconds.
    pub fn retry_ms(&self) -> Option<u64> {
        self.fold.retry_ms()
    }

    /// The byte source.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The byte source, to change it.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The byte source, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut S> {
        self.project().inner
    }

    /// The byte source and the fold, apart.
    pub fn into_inner(self) -> (S, Fold) {
        (self.inner, self.fold)
    }

    /// The final object, once the stream has been read (what was not read is
    /// not waited for: finishing early gives a truncation error).
    ///
    /// # Errors
    ///
    /// As [`Fold::finish`]: the error that stopped the stream, with the
    /// partial final object.
    pub fn finish(self) -> Result<Final, Error> {
        self.fold.finish()
    }
}

impl<S, B, E> Stream for FoldStream<S>
where
    S: Stream<Item = Result<B, E>>,
    B: Into<Bytes>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Item = Result<Event<'static>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        loop {
            if *this.finished {
                return Poll::Ready(None);
            }
            if let Some(item) = this.fold.item(*this.cursor) {
                *this.cursor += 1;
                if item.is_err() {
                    *this.finished = true;
                }
                return Poll::Ready(Some(item.map(Event::into_owned)));
            }
            if *this.input_done || this.fold.is_complete() {
                // Complete (or failed, or ended): the source is not polled
                // again.
                *this.finished = true;
                return Poll::Ready(None);
            }
            match this.inner.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(bytes))) => {
                    let bytes: Bytes = bytes.into();
                    this.fold.push(&bytes);
                }
                Poll::Ready(Some(Err(e))) => {
                    this.fold.fail(ErrorKind::Transport(Arc::from(e.into())));
                    *this.input_done = true;
                }
                Poll::Ready(None) => {
                    this.fold.end();
                    *this.input_done = true;
                }
            }
            // A new batch of results.
            *this.cursor = 0;
        }
    }
}

impl<S, B, E> FusedStream for FoldStream<S>
where
    S: Stream<Item = Result<B, E>>,
    B: Into<Bytes>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn is_terminated(&self) -> bool {
        self.finished
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
