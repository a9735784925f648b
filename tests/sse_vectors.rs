//! Every case of `sse-vectors/vectors.json` (WHATWG algorithm and other
//! parsers' suites), fed whole, one byte at a time, at random chunkings and
//! split in two at every offset.

mod support;

use serde_json::Value as Json;
use streamfold::sse::{Item, Parser};
use support::{base64_decode, chunkings, data_root, pieces, two_way_splits};

#[derive(Debug, PartialEq)]
struct Parsed {
    events: Vec<(String, String, String)>,
    last_event_id: String,
    retry_ms: Option<u64>,
    retry_updates: Vec<u64>,
}

fn parse(input: &[u8], cuts: &[usize]) -> Parsed {
    let mut parser = Parser::new();
    let mut events = Vec::new();
    let mut retry_updates = Vec::new();
    for piece in pieces(input, cuts) {
        let mut rest = piece;
        while let Some(item) = parser.next(&mut rest).expect("no limit is reached") {
            match item {
                Item::Event(ev) => {
                    events.push((ev.event.to_string(), ev.data.to_string(), ev.id.to_string()))
                }
                Item::Retry(ms) => retry_updates.push(ms),
            }
        }
        assert!(rest.is_empty(), "a call returning None consumed its input");
    }
    let end = parser.finish();
    Parsed {
        events,
        last_event_id: end.last_event_id.to_string(),
        retry_ms: end.retry_ms,
        retry_updates,
    }
}

fn expected(case: &Json) -> Parsed {
    let events = case["expected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_string(),
                e["data"].as_str().unwrap().to_string(),
                e["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let retry = case.get("expect_retry");
    Parsed {
        events,
        last_event_id: case["expect_last_event_id"].as_str().unwrap().to_string(),
        retry_ms: retry.and_then(|r| r["retry_ms"].as_u64()),
        retry_updates: retry
            .map(|r| {
                r["updates"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| u.as_u64().unwrap())
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn input(case: &Json) -> Vec<u8> {
    match (case.get("input"), case.get("input_b64")) {
        (Some(s), _) => s.as_str().unwrap().as_bytes().to_vec(),
        (_, Some(b)) => base64_decode(b.as_str().unwrap()),
        _ => panic!("case without input"),
    }
}

#[test]
fn every_vector_parses_as_expected_in_every_chunking() {
    let path = data_root().join("sse-vectors/vectors.json");
    let cases: Vec<Json> =
        serde_json::from_slice(&std::fs::read(&path).expect("vectors.json")).unwrap();
    assert!(
        cases.len() >= 100,
        "{} holds {} cases",
        path.display(),
        cases.len()
    );
    let mut checked = 0;
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let bytes = input(case);
        let mut want = expected(case);
        let asserts_retry = case.get("expect_retry").is_some();
        if !asserts_retry {
            want.retry_ms = None;
            want.retry_updates.clear();
        }
        let check = |how: &str, got: Parsed| {
            let mut got = got;
            if !asserts_retry {
                got.retry_ms = None;
                got.retry_updates.clear();
            }
            assert_eq!(got, want, "case {name}, fed {how}");
        };
        for (how, cuts) in chunkings(bytes.len(), name.len() as u64) {
            check(&how, parse(&bytes, &cuts));
        }
        for at in two_way_splits(bytes.len(), 16 * 1024) {
            let cuts: Vec<usize> = [at, bytes.len() - at]
                .into_iter()
                .filter(|&n| n > 0)
                .collect();
            check(&format!("split at {at}"), parse(&bytes, &cuts));
        }
        checked += 1;
    }
    assert_eq!(checked, cases.len());
}

#[test]
fn empty_pieces_change_nothing() {
    let bytes = b"data: a\r";
    let mut parser = Parser::new();
    let mut events = Vec::new();
    for piece in [&bytes[..], b"", b"\n", b"", b"\n"] {
        let mut rest = piece;
        while let Some(Item::Event(ev)) = parser.next(&mut rest).unwrap() {
            events.push(ev.data.to_string());
        }
    }
    // CR, then (after an empty piece) its LF: one line end; then a blank line.
    assert_eq!(events, ["a"]);
}
