//! The async adapter gives the same events and final object as the sync
//! facade, whatever the byte chunks and however they arrive — and after the
//! stream's terminator it does not touch the connection again.

mod support;

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::stream::FusedStream;
use futures::{Stream, StreamExt};
use streamfold::{ErrorKind, Event, Final, Fold, FoldStreamExt, Limits, Verdict};
use support::{data_root, fold, random_cuts, sse_files, Rng};
use tokio_stream::wrappers::ReceiverStream;

/// The recorded chat streams: the shared corpus in the extra pass
/// (`STREAMFOLD_SHARED`), the project's selection otherwise.
fn corpus_streams() -> Vec<Vec<u8>> {
    sse_files(&data_root().join("corpus/openai-chat"))
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

async fn collect<S>(stream: S) -> (Vec<Event<'static>>, Option<String>, Final)
where
    S: Stream<Item = Result<Bytes, std::io::Error>> + Unpin,
{
    let mut events = stream.fold_stream();
    let mut out = Vec::new();
    let mut error = None;
    while let Some(item) = events.next().await {
        match item {
            Ok(ev) => out.push(ev),
            Err(e) => error = Some(format!("{:?}", e.kind())),
        }
    }
    let done = match events.finish() {
        Ok(c) => c,
        Err(e) => e.into_partial().unwrap(),
    };
    (out, error, done)
}

fn chat_text(done: &Final) -> Option<&str> {
    done.as_chat()?.choices.first()?.message.content.as_deref()
}

#[tokio::test]
async fn random_byte_chunks_give_the_sync_outcome() {
    let mut rng = Rng::new(7);
    for bytes in corpus_streams() {
        let sync = fold(&bytes);
        for max in [1, 13, 700, 5000] {
            let mut at = 0;
            let pieces: Vec<Result<Bytes, std::io::Error>> =
                random_cuts(bytes.len(), max, &mut rng)
                    .into_iter()
                    .map(|n| {
                        at += n;
                        Ok(Bytes::copy_from_slice(&bytes[at - n..at]))
                    })
                    .collect();
            let (events, error, done) = collect(futures::stream::iter(pieces)).await;
            assert_eq!(events, sync.events);
            assert_eq!(error, None);
            assert_eq!(done, sync.done);
        }
    }
}

#[tokio::test]
async fn each_event_is_yielded_as_soon_as_its_bytes_arrive() {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    let mut events = ReceiverStream::new(rx).fold_stream();
    tx.send(Ok(Bytes::from_static(
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\ndata: {\"choi",
    )))
    .await
    .unwrap();
    // The first event is complete: it comes out while the sender holds the rest.
    let first = events.next().await.unwrap().unwrap();
    assert!(
        matches!(&first, Event::ContentDelta { choice: 0, delta, .. } if delta == "Hel"),
        "{first:?}"
    );
    assert_eq!(events.as_fold().text(0).as_deref(), Some("Hel"));
    let pending = tokio::time::timeout(Duration::from_millis(50), events.next()).await;
    assert!(pending.is_err(), "no event before its bytes arrive");
    tx.send(Ok(Bytes::from_static(
        b"ces\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
    )))
    .await
    .unwrap();
    drop(tx);
    let mut rest = Vec::new();
    while let Some(item) = events.next().await {
        rest.push(item.unwrap());
    }
    assert_eq!(rest.first().map(Event::name), Some("content.delta"));
    assert!(matches!(
        rest.last(),
        Some(Event::End {
            verdict: Verdict::Complete,
            ..
        })
    ));
    assert!(events.is_terminated());
    let done = events.finish().unwrap();
    assert_eq!(chat_text(&done), Some("Hello"));
}

const COMPLETE: &[u8] = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";

/// A connection that delivers `first`, then does what `after` says, and
/// counts how often it is polled after `first`.
struct Connection {
    first: Option<Bytes>,
    after: After,
    polls_after: Arc<AtomicUsize>,
}

#[derive(Clone, Copy)]
enum After {
    /// Kept open (HTTP keep-alive, a proxy): pending forever.
    StaysOpen,
    /// Reset by the peer.
    Resets,
    /// More bytes (a second response on the same connection, garbage).
    MoreBytes,
}

impl Stream for Connection {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(first)));
        }
        self.polls_after.fetch_add(1, Ordering::SeqCst);
        match self.after {
            After::StaysOpen => Poll::Pending,
            After::Resets => Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset by peer",
            )))),
            After::MoreBytes => Poll::Ready(Some(Ok(Bytes::from_static(b"data: {oops\n\n")))),
        }
    }
}

#[tokio::test]
async fn after_the_terminator_the_connection_is_not_polled_and_cannot_fail_the_stream() {
    let sync = fold(COMPLETE);
    for after in [After::StaysOpen, After::Resets, After::MoreBytes] {
        let polls_after = Arc::new(AtomicUsize::new(0));
        let conn = Connection {
            first: Some(Bytes::from_static(COMPLETE)),
            after,
            polls_after: polls_after.clone(),
        };
        let mut events = conn.fold_stream();
        let mut got = Vec::new();
        // A connection that stays open must not keep the stream from ending.
        while let Some(item) = tokio::time::timeout(Duration::from_secs(5), events.next())
            .await
            .expect("the stream ended at [DONE] without waiting for the connection")
        {
            got.push(item.unwrap());
        }
        assert_eq!(got, sync.events, "the sync facade's events");
        assert_eq!(polls_after.load(Ordering::SeqCst), 0, "polled after [DONE]");
        assert_eq!(events.as_fold().verdict(), Some(Verdict::Complete));
        let done = events.finish().expect("a complete stream is not an error");
        assert_eq!(done, sync.done);
    }
}

#[tokio::test]
async fn a_failing_byte_source_ends_the_stream_with_a_transport_error_and_keeps_the_partial() {
    let first: &[u8] = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"part\"}}]}\n\n";
    let pieces: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from_static(first)),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "reset by peer",
        )),
        Ok(Bytes::from_static(b"data: [DONE]\n\n")),
    ];
    let mut events = futures::stream::iter(pieces).fold_stream();
    assert!(events.next().await.unwrap().is_ok());
    let err = events.next().await.unwrap().unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Transport(_)), "{err:?}");
    // Display says what and where; the cause is the source, not repeated.
    assert_eq!(
        err.to_string(),
        format!("reading the stream failed (event 1, byte {})", first.len())
    );
    let source = std::error::Error::source(&err).expect("the cause");
    assert_eq!(source.to_string(), "reset by peer");
    // The failure is placed at the end of what arrived.
    assert_eq!(err.offset(), first.len() as u64);
    assert!(events.next().await.is_none(), "nothing after the error");
    assert!(events.is_terminated());
    let err = events.finish().unwrap_err();
    assert_eq!(chat_text(err.partial().unwrap()), Some("part"));
}

#[tokio::test]
async fn a_truncated_stream_ends_with_the_end_event_then_a_truncation_error() {
    let pieces: Vec<Result<Bytes, std::io::Error>> = vec![Ok(Bytes::from_static(
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"cut\"}}]}\n\ndata: {\"cho",
    ))];
    let (events, error, done) = collect(futures::stream::iter(pieces)).await;
    assert!(matches!(
        events.last(),
        Some(Event::End {
            verdict: Verdict::TruncatedInsideEvent,
            ..
        })
    ));
    assert_eq!(error.as_deref(), Some("Truncated { inside_event: true }"));
    assert_eq!(chat_text(&done), Some("cut"));
}

#[tokio::test]
async fn limits_apply_to_the_async_adapter() {
    let pieces: Vec<Result<Bytes, std::io::Error>> = vec![Ok(Bytes::from_static(
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"0123456789\"}}]}\n\n",
    ))];
    let limits = Limits::default().max_event_bytes(16);
    let mut events =
        futures::stream::iter(pieces).fold_stream_with(Fold::new().with_limits(limits));
    let err = events.next().await.unwrap().unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Limit { .. }), "{err:?}");
    assert_eq!(err.offset(), 6 + 16);
}

#[tokio::test]
async fn the_stream_gives_back_its_source_and_its_sse_state() {
    let body: &[u8] = b"retry: 2500\nid: ev-7\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\n";
    let mut events = futures::stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from_static(body))])
        .fold_stream();
    assert!(events.next().await.unwrap().is_ok());
    assert_eq!(events.last_event_id(), "ev-7");
    assert_eq!(events.retry_ms(), Some(2500));
    let _source: &futures::stream::Iter<_> = events.get_ref();
    let (_source, fold) = events.into_inner();
    assert_eq!(fold.text(0).as_deref(), Some("x"));
}

/// The loop users write inside a spawned task compiles: the fold, its
/// events and the futures around them are `Send`.
#[tokio::test]
async fn a_loop_over_events_awaiting_inside_a_spawned_task_compiles_and_runs() {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Event<'static>>(4);
    let task = tokio::spawn(async move {
        let mut fold = Fold::new().timed();
        for piece in COMPLETE.chunks(9) {
            for event in fold.push(piece) {
                tx.send(event?.into_owned()).await.unwrap();
                tokio::task::yield_now().await;
            }
        }
        for event in fold.end() {
            tx.send(event?.into_owned()).await.unwrap();
        }
        fold.finish()
    });
    let mut names = Vec::new();
    while let Some(event) = rx.recv().await {
        names.push(event.name());
    }
    let done = task.await.unwrap().unwrap();
    assert_eq!(done.text(), "Hi");
    assert_eq!(
        names,
        ["content.delta", "finish_reason", "content.done", "end"]
    );
    // And the async adapter itself, driven by a spawned task.
    let events = futures::stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from_static(COMPLETE))])
        .fold_stream();
    let n = tokio::spawn(async move { events.count().await })
        .await
        .unwrap();
    assert_eq!(n, 4);
}
