//! bench against servers it did not write: an axum stub with its own
//! timing, HTTP errors and a stream without `[DONE]`, and a raw socket
//! that resets the connection mid-stream.

mod support;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Response, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::Value;
use support::{bench, scratch};

fn chunk(text: &str) -> String {
    format!("data: {{\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}}}}]}}\n\n")
}

const FINISH: &str = "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";

/// A stream whose events go 30 ms apart, then 60 ms; `done` adds `[DONE]`.
fn timed(done: bool) -> Response<Body> {
    let stream = async_stream(done);
    Response::builder()
        .header("content-type", "text/event-stream")
        .header(
            "x-request-id",
            if done { "stub-timed" } else { "stub-no-done" },
        )
        .body(Body::from_stream(stream))
        .unwrap()
}

fn async_stream(done: bool) -> impl futures::Stream<Item = Result<bytes::Bytes, std::io::Error>> {
    futures::stream::unfold(0u32, move |i| async move {
        let (delay, piece) = match i {
            0 => (0, chunk("Hel")),
            1 => (30, chunk("lo")),
            2 => (60, chunk(" there") + FINISH),
            3 if done => (0, "data: [DONE]\n\n".to_string()),
            _ => return None,
        };
        tokio::time::sleep(Duration::from_millis(delay)).await;
        Some((Ok(bytes::Bytes::from(piece)), i + 1))
    })
}

/// Serves the stub on a free port; returns its base URL.
fn stub() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = Router::new()
                .route("/timed/v1/chat/completions", post(|| async { timed(true) }))
                .route("/nodone/v1/chat/completions", post(|| async { timed(false) }))
                .route(
                    "/busy/v1/chat/completions",
                    post(|| async {
                        Response::builder()
                            .status(StatusCode::SERVICE_UNAVAILABLE)
                            .header("content-type", "application/json")
                            .body(Body::from(r#"{"error":{"message":"Engine overloaded","type":"server_error","code":503}}"#))
                            .unwrap()
                    }),
                );
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    url
}

/// A server that answers one chunk, then resets the connection (RST).
fn resetting() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let body = chunk("Hel");
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n",
                body.len()
            );
            std::thread::sleep(Duration::from_millis(20));
            drop(socket_with_linger_zero(s));
        }
    });
    url
}

/// Linger 0: closing sends RST, not FIN.
fn socket_with_linger_zero(s: std::net::TcpStream) -> std::net::TcpStream {
    let linger = nix::libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    nix::sys::socket::setsockopt(&s, nix::sys::socket::sockopt::Linger, &linger).unwrap();
    s
}

fn row(result: &Value) -> &Value {
    &result["requests"][0]
}

#[test]
fn bench_times_a_foreign_stream_by_its_own_pace() {
    let base = stub();
    let r = bench(
        &format!("{base}/timed/v1/chat/completions"),
        &["-q"],
        &scratch("stub-timed"),
    );
    let row = row(&r);
    assert!(row["error"].is_null(), "{row}");
    assert_eq!(row["request_id"], "stub-timed");
    assert_eq!(row["verdict"], "usage_missing");
    assert_eq!(row["output_tokens_source"], "deltas");
    assert_eq!(row["output_tokens"], 3);
    assert!(row["tpot_ms"].is_null(), "no usage: no TPOT");
    let gaps: Vec<f64> = row["itl_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_f64().unwrap())
        .collect();
    assert_eq!(gaps.len(), 2);
    // The stub sleeps 30 then 60 ms (timers are never early; allow a late wake).
    assert!(gaps[0] >= 29.0 && gaps[0] < 45.0, "{gaps:?}");
    assert!(gaps[1] >= 59.0 && gaps[1] < 75.0, "{gaps:?}");
    assert_eq!(row["itl_tokens"], serde_json::json!([null, null]));
}

#[test]
fn bench_reports_http_errors_missing_terminators_and_resets_by_kind() {
    let base = stub();
    let busy = bench(
        &format!("{base}/busy/v1/chat/completions"),
        &["-q", "-n", "3"],
        &scratch("stub-busy"),
    );
    assert_eq!(busy["errors"]["http"], 3);
    assert_eq!(row(&busy)["status"], 503);
    assert_eq!(row(&busy)["error"]["message"], "Engine overloaded");

    let nodone = bench(
        &format!("{base}/nodone/v1/chat/completions"),
        &["-q"],
        &scratch("stub-nodone"),
    );
    assert!(row(&nodone)["error"].is_null(), "{}", row(&nodone));
    assert_eq!(row(&nodone)["verdict"], "no_terminator");

    let reset = resetting();
    let cut = bench(
        &format!("{reset}/v1/chat/completions"),
        &["-q"],
        &scratch("stub-reset"),
    );
    assert_eq!(cut["errors"]["transport"], 1, "{}", row(&cut));
    assert!(
        row(&cut)["ttft_ms"].as_f64().is_some(),
        "the first chunk was measured"
    );
}
