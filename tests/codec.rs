//! The SSE `Decoder` under `FramedRead`, over readers that return random
//! amounts: every vector gives its expected events, last event ID and retry.

mod support;

use bytes::Bytes;
use futures::StreamExt;
use serde_json::Value as Json;
use streamfold::codec::{SseDecoder, SseEvent};
use streamfold::{ErrorKind, Limit, Limits};
use support::{base64_decode, data_root, random_cuts, Rng};
use tokio_util::codec::FramedRead;
use tokio_util::io::StreamReader;

fn reader(bytes: &[u8], max: usize, rng: &mut Rng) -> impl tokio::io::AsyncRead + Unpin {
    let mut at = 0;
    let pieces: Vec<std::io::Result<Bytes>> = random_cuts(bytes.len(), max, rng)
        .into_iter()
        .map(|n| {
            at += n;
            Ok(Bytes::copy_from_slice(&bytes[at - n..at]))
        })
        .collect();
    StreamReader::new(futures::stream::iter(pieces))
}

#[tokio::test]
async fn every_vector_decodes_through_framed_read() {
    let cases: Vec<Json> = serde_json::from_slice(
        &std::fs::read(data_root().join("sse-vectors/vectors.json")).unwrap(),
    )
    .unwrap();
    let mut rng = Rng::new(11);
    for case in &cases {
        let bytes = match case.get("input") {
            Some(s) => s.as_str().unwrap().as_bytes().to_vec(),
            None => base64_decode(case["input_b64"].as_str().unwrap()),
        };
        for max in [1, 3, 64, 100_000] {
            let mut framed = FramedRead::new(reader(&bytes, max, &mut rng), SseDecoder::new());
            let mut got = Vec::new();
            while let Some(ev) = framed.next().await {
                let SseEvent {
                    event, data, id, ..
                } = ev.unwrap();
                got.push(serde_json::json!({"type": event, "data": data, "id": id}));
            }
            let name = &case["name"];
            assert_eq!(
                got,
                case["expected"].as_array().unwrap().as_slice(),
                "{name} max {max}"
            );
            let decoder = framed.decoder();
            assert_eq!(
                decoder.last_event_id(),
                case["expect_last_event_id"],
                "{name}"
            );
            if let Some(retry) = case.get("expect_retry") {
                assert_eq!(decoder.retry_ms(), retry["retry_ms"].as_u64(), "{name}");
            }
        }
    }
}

#[tokio::test]
async fn an_event_over_the_limit_is_an_error_and_the_stream_is_cut_inside_an_event_is_reported() {
    let limits = Limits::default().max_event_bytes(4);
    let mut framed = FramedRead::new(&b"data: abcdef\n\n"[..], SseDecoder::with_limits(limits));
    let err = framed.next().await.unwrap().unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::Limit {
            limit: Limit::EventBytes,
            value: 4
        }
    ));
    assert_eq!(err.offset(), 10);

    let mut framed = FramedRead::new(&b"data: a\n\ndata: b"[..], SseDecoder::new());
    assert_eq!(framed.next().await.unwrap().unwrap().data, "a");
    assert!(framed.next().await.is_none());
    assert!(framed.decoder().truncated_event());
}
