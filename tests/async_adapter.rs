//! The async adapter gives the same events and completion as the sync
//! facade, whatever the byte chunks and however they arrive.

mod support;

use bytes::Bytes;
use futures::StreamExt;
use streamfold::{ErrorKind, Event, FoldStreamExt, Limits, Verdict};
use support::{data_dir, fold, random_cuts, sse_files, Rng};
use tokio_stream::wrappers::ReceiverStream;

fn corpus_streams() -> Vec<Vec<u8>> {
    sse_files(&data_dir().join("corpus/openai-chat"))
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

async fn collect<S>(stream: S) -> (Vec<Event<'static>>, Option<String>, streamfold::Completion)
where
    S: futures::Stream<Item = Result<Bytes, std::io::Error>>,
{
    let mut events = stream.fold_chat();
    let mut out = Vec::new();
    let mut error = None;
    while let Some(item) = events.next().await {
        match item {
            Ok(ev) => out.push(ev),
            Err(e) => error = Some(format!("{:?}", e.kind())),
        }
    }
    let completion = match events.finish() {
        Ok(c) => c,
        Err(e) => e.into_partial().unwrap(),
    };
    (out, error, completion)
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
            let (events, error, completion) = collect(futures::stream::iter(pieces)).await;
            assert_eq!(events, sync.events);
            assert_eq!(error, None);
            assert_eq!(completion, sync.completion);
        }
    }
}

#[tokio::test]
async fn each_event_is_yielded_as_soon_as_its_bytes_arrive() {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    let mut events = ReceiverStream::new(rx).fold_chat();
    tx.send(Ok(Bytes::from_static(
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\ndata: {\"choi",
    )))
    .await
    .unwrap();
    // The first event is complete: it comes out while the sender holds the rest.
    let first = events.next().await.unwrap().unwrap();
    assert_eq!(
        first,
        Event::ContentDelta {
            choice: 0,
            delta: "Hel".into()
        }
    );
    let pending = tokio::time::timeout(std::time::Duration::from_millis(50), events.next()).await;
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
    assert_eq!(
        rest.last(),
        Some(&Event::End {
            verdict: Verdict::Complete
        })
    );
    let completion = events.finish().unwrap();
    assert_eq!(
        completion.choices[0].message.content.as_deref(),
        Some("Hello")
    );
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
    let mut events = futures::stream::iter(pieces).fold_chat();
    assert!(events.next().await.unwrap().is_ok());
    let err = events.next().await.unwrap().unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Transport(_)), "{err:?}");
    // The failure is placed at the end of what arrived.
    assert_eq!(err.offset(), first.len() as u64);
    assert!(events.next().await.is_none(), "nothing after the error");
    let err = events.finish().unwrap_err();
    assert_eq!(
        err.partial().unwrap().choices[0].message.content.as_deref(),
        Some("part")
    );
}

#[tokio::test]
async fn a_truncated_stream_ends_with_the_end_event_then_a_truncation_error() {
    let pieces: Vec<Result<Bytes, std::io::Error>> = vec![Ok(Bytes::from_static(
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"cut\"}}]}\n\ndata: {\"cho",
    ))];
    let (events, error, completion) = collect(futures::stream::iter(pieces)).await;
    assert_eq!(
        events.last(),
        Some(&Event::End {
            verdict: Verdict::TruncatedInsideEvent
        })
    );
    assert_eq!(error.as_deref(), Some("Truncated { inside_event: true }"));
    assert_eq!(
        completion.choices[0].message.content.as_deref(),
        Some("cut")
    );
}

#[tokio::test]
async fn limits_apply_to_the_async_adapter() {
    let pieces: Vec<Result<Bytes, std::io::Error>> = vec![Ok(Bytes::from_static(
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"0123456789\"}}]}\n\n",
    ))];
    let limits = Limits {
        max_event_bytes: 16,
        ..Limits::default()
    };
    let mut events = futures::stream::iter(pieces).fold_chat_with(limits);
    let err = events.next().await.unwrap().unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Limit { .. }), "{err:?}");
    assert_eq!(err.offset(), 6 + 16);
}
