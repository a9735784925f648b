//! Real HTTP, end to end: a server on loopback (axum over hyper) serves
//! recorded streams as `text/event-stream` with chunked transfer encoding,
//! each body written in random pieces (some ending inside a CRLF or inside
//! a multi-byte UTF-8 character) with small delays, and a real client
//! (reqwest's `bytes_stream()`) feeds `fold_chat()`. What comes out must be
//! what folding the file gives. Also: bodies that end or break off inside an
//! event, error statuses, a server that holds the rest of a stream back, and
//! `examples/chat_stream.rs` against the server acting as its endpoint.
//!
//! Nothing leaves 127.0.0.1.

mod support;

#[path = "../examples/chat_stream.rs"]
#[allow(dead_code)]
mod chat_stream;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use bytes::Bytes;
use futures::StreamExt;
use streamfold::openai_chat::Completion;
use streamfold::{Error, ErrorKind, Event, Final, FoldStreamExt, Verdict};
use support::{data_dir, data_root, fold, random_cuts, sse_files, Outcome, Rng};
use tokio::sync::{mpsc, Notify};
use tokio::time::timeout;
use tokio_stream::wrappers::ReceiverStream;

/// How long a test waits for something that should come at once, before
/// failing instead of hanging.
const PATIENCE: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------- server --

/// One step of writing a response body.
#[derive(Clone)]
enum Step {
    /// Wait `delay_ms`, then send `bytes` as one HTTP chunk.
    Send { bytes: Bytes, delay_ms: u64 },
    /// Send nothing more until the test calls `notify_one`.
    Hold(Arc<Notify>),
    /// Wait `delay_ms`, then fail the body: hyper closes the connection
    /// without the terminating zero-length chunk (an aborted chunked body,
    /// as a crashed upstream or a dropped proxy connection gives).
    Abort { delay_ms: u64 },
}

/// What the server answers on one path.
#[derive(Clone)]
struct Reply {
    status: StatusCode,
    content_type: &'static str,
    steps: Vec<Step>,
}

impl Reply {
    fn stream(steps: Vec<Step>) -> Reply {
        Reply {
            status: StatusCode::OK,
            content_type: "text/event-stream",
            steps,
        }
    }

    fn error(status: StatusCode, json: &str) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            steps: vec![Step::Send {
                bytes: Bytes::copy_from_slice(json.as_bytes()),
                delay_ms: 0,
            }],
        }
    }
}

type Replies = Arc<HashMap<String, Reply>>;

/// Starts a server on 127.0.0.1 (a free port) that answers each path with
/// its reply; returns its base URL (`http://127.0.0.1:PORT`). It runs until
/// the test's runtime shuts down.
async fn start(replies: HashMap<String, Reply>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(handle).with_state(Arc::new(replies));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn handle(
    State(replies): State<Replies>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let Some(reply) = replies.get(path) else {
        return (StatusCode::NOT_FOUND, format!("nothing at {path}")).into_response();
    };
    if path == CHAT_PATH {
        if let Err(reply) = check_chat_request(&method, &headers, &body) {
            return respond(reply);
        }
    } else if method != Method::GET {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    respond(reply.clone())
}

/// Streams the reply's body from a task, step by step: no content length,
/// so hyper uses chunked transfer encoding, one HTTP chunk per piece.
fn respond(reply: Reply) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    tokio::spawn(async move {
        for step in reply.steps {
            match step {
                Step::Send { bytes, delay_ms } => {
                    if delay_ms > 0 {
                        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                    }
                    if tx.send(Ok(bytes)).await.is_err() {
                        return;
                    }
                }
                Step::Hold(release) => release.notified().await,
                Step::Abort { delay_ms } => {
                    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                    let e = std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "aborted");
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
    });
    Response::builder()
        .status(reply.status)
        .header(header::CONTENT_TYPE, reply.content_type)
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(ReceiverStream::new(rx)))
        .unwrap()
}

/// An OpenAI-style error body.
fn error_json(message: &str, kind: &str, code: serde_json::Value) -> String {
    serde_json::json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
        .to_string()
}

// ------------------------------------------------------- body chunkings --

/// Where the server cuts a body into HTTP chunks (offsets strictly inside
/// it): random piece lengths (1 to a per-stream maximum, raised for large
/// streams to keep the number of pieces near a thousand), plus a cut after
/// every `\r` (inside every CRLF) and one inside every multi-byte UTF-8
/// character.
fn cut_points(bytes: &[u8], rng: &mut Rng) -> BTreeSet<usize> {
    let max = [8, 64, 512][rng.range(0, 2)].max(bytes.len() / 400);
    let mut cuts = BTreeSet::new();
    let mut at = 0;
    for n in random_cuts(bytes.len(), max, rng) {
        at += n;
        cuts.insert(at);
    }
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\r' {
            cuts.insert(i + 1);
        }
        let char_len = match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => continue,
        };
        if i + char_len <= bytes.len() {
            cuts.insert(i + rng.range(1, char_len - 1));
        }
    }
    cuts.remove(&0);
    cuts.remove(&bytes.len());
    cuts
}

/// A delay of 0–3 ms before a piece: 0 for three pieces in four, so that
/// a large stream still takes well under a second.
fn delay(rng: &mut Rng) -> u64 {
    if rng.range(0, 3) == 0 {
        rng.range(1, 3) as u64
    } else {
        0
    }
}

/// The body as pieces cut at `cuts`, each after a random delay.
fn steps(bytes: &[u8], cuts: &BTreeSet<usize>, rng: &mut Rng) -> Vec<Step> {
    let mut out = Vec::new();
    let mut from = 0;
    for &to in cuts.iter().chain([bytes.len()].iter()) {
        out.push(Step::Send {
            bytes: Bytes::copy_from_slice(&bytes[from..to]),
            delay_ms: delay(rng),
        });
        from = to;
    }
    out
}

/// The body in random pieces with random delays.
fn random_steps(bytes: &[u8], rng: &mut Rng) -> Vec<Step> {
    let cuts = cut_points(bytes, rng);
    steps(bytes, &cuts, rng)
}

/// The same stream with CRLF line ends (LFs not already after a CR).
fn to_crlf(lf: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(lf.len() + lf.len() / 16);
    for (i, &b) in lf.iter().enumerate() {
        if b == b'\n' && (i == 0 || lf[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

// ---------------------------------------------------------------- client --

fn client() -> reqwest::Client {
    // Loopback only: never through a proxy named in the environment.
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// What the client made of one response body.
struct Received {
    events: Vec<Event<'static>>,
    /// The error the event stream ended with.
    error: Option<Error>,
    /// The final object, or the partial one of `finish`'s error.
    done: Final,
    /// The same, as a chat completion.
    completion: Completion,
    verdict: Option<Verdict>,
    /// Where each piece `bytes_stream()` yielded ended (body offsets).
    piece_ends: Vec<usize>,
}

impl Received {
    /// The outcome as `support::fold` reports it.
    fn outcome(&self) -> Outcome {
        Outcome {
            events: self.events.clone(),
            error: self.error.as_ref().map(error_key),
            done: self.done.clone(),
            completion: self.completion.clone(),
        }
    }
}

/// Bytes after the blank line that ends the last event: what a client may
/// leave unread once the terminator arrived (at most the LF of a CRLF).
fn done_line_tail(bytes: &[u8]) -> usize {
    usize::from(bytes.ends_with(b"\r\n\r\n"))
}

fn error_key(e: &Error) -> (String, u64, u64) {
    (format!("{:?}", e.kind()), e.offset(), e.event_index())
}

/// GETs `url` (a `200 text/event-stream`) and folds its body as it arrives.
/// When `notify_at` is given, notifies once the body's first `n` bytes have
/// been read.
async fn fetch(
    client: &reqwest::Client,
    url: &str,
    notify_at: Option<(usize, Arc<Notify>)>,
) -> Received {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{url}");
    let headers = response.headers();
    assert_eq!(headers[header::CONTENT_TYPE], "text/event-stream");
    assert_eq!(headers[header::TRANSFER_ENCODING], "chunked");
    assert!(headers.get(header::CONTENT_LENGTH).is_none());

    let mut piece_ends = Vec::new();
    let mut read = 0;
    let body = response.bytes_stream().inspect(|piece| {
        if let Ok(bytes) = piece {
            read += bytes.len();
            piece_ends.push(read);
            if let Some((n, reached)) = &notify_at {
                if read == *n {
                    reached.notify_one();
                }
            }
        }
    });
    let mut stream = body.fold_stream();
    let mut events = Vec::new();
    let mut error = None;
    while let Some(item) = timeout(PATIENCE, stream.next()).await.expect("stalled") {
        match item {
            Ok(ev) => events.push(ev),
            Err(e) => {
                assert!(error.is_none(), "the stream ends after its error");
                error = Some(e);
            }
        }
    }
    let verdict = stream.as_fold().verdict();
    let done = match stream.finish() {
        Ok(c) => {
            assert!(error.is_none(), "finish() reports the stream's error");
            c
        }
        Err(e) => {
            assert_eq!(
                error.as_ref().map(error_key),
                Some(error_key(&e)),
                "finish() reports the stream's error"
            );
            e.into_partial()
                .expect("every error keeps the partial completion")
        }
    };
    Received {
        events,
        error,
        completion: done.as_chat().cloned().unwrap_or_default(),
        done,
        verdict,
        piece_ends,
    }
}

/// Asserts two outcomes are equal, naming the first difference.
fn assert_same(name: &str, got: &Outcome, want: &Outcome) {
    if let Some(i) = (0..got.events.len().max(want.events.len()))
        .find(|&i| got.events.get(i) != want.events.get(i))
    {
        panic!(
            "{name}: event {i} differs (over HTTP: {} events, from the file: {}):\n{:#?}\nvs\n{:#?}",
            got.events.len(),
            want.events.len(),
            got.events.get(i),
            want.events.get(i)
        );
    }
    assert_eq!(got.error, want.error, "{name}: error");
    assert!(
        got.completion == want.completion,
        "{name}: completion differs:\n{:#?}\nvs\n{:#?}",
        got.completion,
        want.completion
    );
}

fn content(c: &Completion) -> &str {
    c.choices[0].message.content.as_deref().unwrap_or("")
}

// ------------------------------------------------------------------ data --

/// The recorded streams: every one of the project's selection; with
/// `STREAMFOLD_SHARED`, a deterministic sample of about 100 of the shared
/// corpus (every n-th by name). Each stream is served twice (LF and CRLF
/// line ends) in hundreds of delayed pieces: the whole shared corpus would
/// take minutes, and tests/corpus.rs and tests/async_adapter.rs already
/// check every stream and chunking without HTTP.
fn corpus_streams() -> Vec<(String, Vec<u8>)> {
    let files = sse_files(&data_root().join("corpus/openai-chat"));
    assert!(!files.is_empty(), "no streams");
    let step = files.len().div_ceil(100);
    files
        .iter()
        .step_by(step)
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(p).unwrap())
        })
        .collect()
}

/// The seed stream (gpt-4o naming the planet with rings): 35 events, the
/// usage in the last chunk before `[DONE]`.
fn saturn() -> Vec<u8> {
    std::fs::read(data_dir().join("corpus/openai-chat/openai-gpt-4o-65d741c677.sse")).unwrap()
}

/// Offsets where each SSE event of an LF stream starts.
fn event_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        bytes
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w == b"\n\n")
            .map(|(i, _)| i + 2)
            .filter(|&i| i < bytes.len()),
    );
    starts
}

// ----------------------------------------------------------------- tests --

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_corpus_stream_over_http_gives_the_events_and_completion_of_its_file() {
    struct Case {
        name: String,
        stream: String,
        path: String,
        bytes: Vec<u8>,
        cuts: BTreeSet<usize>,
    }
    let mut rng = Rng::new(0x4854_5450);
    let mut replies = HashMap::new();
    let mut cases = Vec::new();
    for (i, (name, lf)) in corpus_streams().into_iter().enumerate() {
        let crlf = to_crlf(&lf);
        for (variant, bytes) in [("lf", lf.clone()), ("crlf", crlf)] {
            let cuts = cut_points(&bytes, &mut rng);
            let path = format!("/corpus/{i}/{variant}");
            replies.insert(path.clone(), Reply::stream(steps(&bytes, &cuts, &mut rng)));
            cases.push(Case {
                name: format!("{name} ({variant})"),
                stream: name.clone(),
                path,
                bytes,
                cuts,
            });
        }
    }
    let base = start(replies).await;
    let client = client();
    let results: Vec<(Case, Received)> = futures::stream::iter(cases)
        .map(|case| {
            let (client, base) = (&client, &base);
            async move {
                let got = fetch(client, &format!("{base}{}", case.path), None).await;
                (case, got)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;

    let mut completions: HashMap<&str, Vec<&Completion>> = HashMap::new();
    let (mut crlf_splits, mut utf8_splits) = (0, 0);
    for (case, got) in &results {
        assert_same(&case.name, &got.outcome(), &fold(&case.bytes));
        // Every chunk the server wrote reached the client as (at least) one
        // piece of its own: the splits below really crossed the wire.
        // (Up to the terminator: after it the client reads no more.)
        let ends: BTreeSet<usize> = got.piece_ends.iter().copied().collect();
        let read = ends.last().copied().unwrap_or(0);
        let lost: Vec<_> = case
            .cuts
            .iter()
            .filter(|&&c| c <= read)
            .filter(|c| !ends.contains(c))
            .take(5)
            .collect();
        assert!(
            lost.is_empty(),
            "{}: the client saw no piece end at {lost:?}",
            case.name
        );
        let done = case.bytes.len() - done_line_tail(&case.bytes);
        assert!(
            read >= done,
            "{}: read {read} bytes, the terminator ends at {done}",
            case.name
        );
        for &end in &ends {
            match (case.bytes.get(end - 1), case.bytes.get(end)) {
                (Some(b'\r'), Some(b'\n')) => crlf_splits += 1,
                (_, Some(0x80..=0xBF)) => utf8_splits += 1,
                _ => {}
            }
        }
        completions
            .entry(&case.stream)
            .or_default()
            .push(&got.completion);
    }
    // Line ends do not matter.
    for (stream, c) in &completions {
        assert!(c[0] == c[1], "{stream}: LF and CRLF completions differ");
    }
    assert!(
        crlf_splits > 1000,
        "{crlf_splits} pieces ended inside a CRLF"
    );
    assert!(utf8_splits > 10, "{utf8_splits} pieces ended inside a char");
}

/// The seed stream cut inside its sixth event (in the JSON of `data:`).
fn cut_inside_an_event() -> (Vec<u8>, Vec<u8>) {
    let full = saturn();
    let cut = event_starts(&full)[5] + 40;
    (full[..cut].to_vec(), full)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_ends_inside_an_event_is_truncated_and_keeps_the_partial() {
    let (prefix, full) = cut_inside_an_event();
    let mut rng = Rng::new(11);
    let base = start(HashMap::from([(
        "/cut".to_string(),
        Reply::stream(random_steps(&prefix, &mut rng)),
    )]))
    .await;
    // The chunked body ends properly (a zero-length chunk) in mid-event.
    let got = fetch(&client(), &format!("{base}/cut"), None).await;

    assert_same("cut", &got.outcome(), &fold(&prefix));
    assert!(matches!(
        got.events.last(),
        Some(Event::End {
            verdict: Verdict::TruncatedInsideEvent,
            ..
        })
    ));
    assert_eq!(got.verdict, Some(Verdict::TruncatedInsideEvent));
    let err = got.error.as_ref().unwrap();
    assert!(
        matches!(err.kind(), ErrorKind::Truncated { inside_event: true }),
        "{err:?}"
    );
    assert_eq!(err.offset(), prefix.len() as u64);
    assert_eq!(err.event_index(), 5);
    // The five whole events' text is kept.
    assert_eq!(content(&got.completion), "The planet with rings");
    assert!(content(&fold(&full).completion).starts_with("The planet with rings"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_connection_inside_an_event_is_a_transport_error_and_keeps_the_partial() {
    let (prefix, _) = cut_inside_an_event();
    let mut rng = Rng::new(12);
    // The server sends the prefix, waits until the client has read all of
    // it (so that nothing is lost in a buffer when the connection dies),
    // then fails the body: no terminating chunk, the connection is closed.
    let read_all = Arc::new(Notify::new());
    let mut body = random_steps(&prefix, &mut rng);
    body.extend([Step::Hold(read_all.clone()), Step::Abort { delay_ms: 0 }]);
    let base = start(HashMap::from([("/abort".to_string(), Reply::stream(body))])).await;
    let got = fetch(
        &client(),
        &format!("{base}/abort"),
        Some((prefix.len(), read_all)),
    )
    .await;

    // The events of the five whole events, then the transport error: no End
    // event and no verdict (the adapter does not guess how the stream would
    // have ended), but the partial completion.
    let mut expected = fold(&prefix).events;
    assert!(matches!(
        expected.pop(),
        Some(Event::End {
            verdict: Verdict::TruncatedInsideEvent,
            ..
        })
    ));
    assert_eq!(got.events, expected);
    assert_eq!(got.verdict, None);
    let err = got.error.as_ref().unwrap();
    let ErrorKind::Transport(cause) = err.kind() else {
        panic!("expected a transport error, got {err:?}")
    };
    assert_eq!(err.offset(), prefix.len() as u64);
    assert_eq!(err.event_index(), 5);
    assert_eq!(content(&got.completion), "The planet with rings");
    assert!(got.completion == fold(&prefix).completion);

    // What reqwest makes of it: a *decode* error ("error decoding response
    // body", not `is_body()`), caused by hyper's "error reading a body from
    // connection", caused by an `UnexpectedEof` I/O error ("unexpected EOF
    // during chunk size line"). Only the first is in the error's Display.
    let reqwest_error = cause
        .downcast_ref::<reqwest::Error>()
        .unwrap_or_else(|| panic!("not a reqwest error: {cause:?}"));
    assert!(reqwest_error.is_decode(), "{reqwest_error:?}");
    assert!(!reqwest_error.is_body(), "{reqwest_error:?}");
    // The error says what and where, once; the causes are its sources, each
    // once (as anyhow or eyre print them).
    assert_eq!(
        err.to_string(),
        format!("reading the stream failed (event 5, byte {})", prefix.len())
    );
    let mut chain = Vec::new();
    let mut cause = std::error::Error::source(err);
    while let Some(c) = cause {
        chain.push(c.to_string());
        cause = c.source();
    }
    assert_eq!(
        chain,
        [
            "error decoding response body",
            "error reading a body from connection",
            "unexpected EOF during chunk size line"
        ]
    );
    assert_eq!(
        root_io_error_kind(reqwest_error),
        Some(std::io::ErrorKind::UnexpectedEof),
        "{reqwest_error:?}"
    );
}

/// The kind of the I/O error at the root of an error's causes.
fn root_io_error_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cause = Some(e);
    let mut kind = None;
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            kind = Some(io.kind());
        }
        cause = e.source();
    }
    kind
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_status_with_a_json_body_is_a_provider_error_with_its_message() {
    let cases: [(u16, &str, &str, serde_json::Value, Option<&str>); 3] = [
        (
            429,
            "Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM): Limit 3, Used 3, Requested 1.",
            "requests",
            "rate_limit_exceeded".into(),
            Some("rate_limit_exceeded"),
        ),
        (
            500,
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            serde_json::Value::Null,
            None,
        ),
        (
            503,
            "The model is overloaded. Please try again later.",
            "unavailable",
            503.into(),
            Some("503"),
        ),
    ];
    let replies = cases
        .iter()
        .map(|(status, message, kind, code, _)| {
            let reply = Reply::error(
                StatusCode::from_u16(*status).unwrap(),
                &error_json(message, kind, code.clone()),
            );
            (format!("/status/{status}"), reply)
        })
        .collect();
    let base = start(replies).await;
    let client = client();
    for (status, message, kind, _, code) in cases {
        let response = client
            .get(format!("{base}/status/{status}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status);
        assert!(!response.status().is_success());
        let body = response.bytes().await.unwrap();
        let err = Error::from_http_response(status, &body);
        let ErrorKind::Provider(p) = err.kind() else {
            panic!("{status}: expected a provider error, got {err:?}")
        };
        assert_eq!(p.status, Some(status));
        assert_eq!(p.message, message);
        assert_eq!(p.kind.as_deref(), Some(kind));
        assert_eq!(p.code.as_deref(), code);
        assert!(
            err.to_string().starts_with(&format!(
                "provider error (HTTP {status}): {message} (type {kind}"
            )),
            "{err}"
        );
        // Folded as a stream, the error body is still the provider's error
        // (without the status, which only the response has).
        let folded = fold(&body);
        assert!(folded.events.is_empty(), "{:?}", folded.events);
        let (kind_text, offset, _) = folded.error.unwrap();
        assert!(kind_text.starts_with("Provider"), "{kind_text}");
        assert!(kind_text.contains(message), "{kind_text}");
        assert_eq!(offset, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_server_s_first_events_are_yielded_before_the_rest_is_sent() {
    let full = saturn();
    // The first two events: the role (with empty content), then "The".
    let split = event_starts(&full)[2];
    let (head, tail) = full.split_at(split);
    let release = Arc::new(Notify::new());
    let mut rng = Rng::new(13);
    let mut body = random_steps(head, &mut rng);
    body.push(Step::Hold(release.clone()));
    body.extend(random_steps(tail, &mut rng));
    let base = start(HashMap::from([("/slow".to_string(), Reply::stream(body))])).await;

    let response = client().get(format!("{base}/slow")).send().await.unwrap();
    let mut events = response.bytes_stream().fold_stream();
    // While the server holds the rest back, the first content delta comes
    // out (a hang here, caught by the timeout, means events only come at the
    // end of the body).
    let first = timeout(PATIENCE, events.next())
        .await
        .expect("no event while the server holds the rest back")
        .unwrap()
        .unwrap();
    assert!(
        matches!(&first, Event::ContentDelta { choice: 0, delta, .. } if delta == "The"),
        "{first:?}"
    );
    // …and nothing more until the rest is sent.
    assert!(
        timeout(Duration::from_millis(100), events.next())
            .await
            .is_err(),
        "an event before its bytes were sent"
    );
    release.notify_one();
    let mut all = vec![first];
    while let Some(item) = timeout(PATIENCE, events.next()).await.expect("stalled") {
        all.push(item.unwrap());
    }
    let completion = events.finish().unwrap();
    let expected = fold(&full);
    assert_eq!(all, expected.events);
    assert!(completion == expected.done);
    assert!(matches!(
        all.last(),
        Some(Event::End {
            verdict: Verdict::Complete,
            ..
        })
    ));
}

// ----------------------------------------------- examples/chat_stream.rs --

const CHAT_PATH: &str = "/v1/chat/completions";
const API_KEY: &str = "sk-test-1234";
const MODEL: &str = "test-model";
const PROMPT: &str = "Which planet has rings?";

/// What an OpenAI endpoint would reject in the example's request, as the
/// error response it would send.
fn check_chat_request(method: &Method, headers: &HeaderMap, body: &[u8]) -> Result<(), Reply> {
    let bad = |status: StatusCode, message: &str, code: &str| {
        Reply::error(
            status,
            &error_json(message, "invalid_request_error", code.into()),
        )
    };
    if method != Method::POST {
        return Err(bad(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("{method} is not allowed, use POST"),
            "method_not_allowed",
        ));
    }
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if auth != Some(&format!("Bearer {API_KEY}")) {
        return Err(bad(
            StatusCode::UNAUTHORIZED,
            "Incorrect API key provided",
            "invalid_api_key",
        ));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let request: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) if content_type == Some("application/json") => v,
        _ => {
            return Err(bad(
                StatusCode::BAD_REQUEST,
                "the body is not JSON",
                "invalid_json",
            ))
        }
    };
    let expected = [
        ("/stream", serde_json::json!(true)),
        ("/stream_options/include_usage", serde_json::json!(true)),
        ("/model", serde_json::json!(MODEL)),
        (
            "/messages",
            serde_json::json!([{"role": "user", "content": PROMPT}]),
        ),
    ];
    for (pointer, value) in expected {
        if request.pointer(pointer) != Some(&value) {
            return Err(bad(
                StatusCode::BAD_REQUEST,
                &format!("{pointer} must be {value} in {request}"),
                "invalid_value",
            ));
        }
    }
    Ok(())
}

/// Records each write and flush.
#[derive(Default)]
struct Terminal {
    writes: Vec<String>,
    flushes: usize,
}

impl std::io::Write for Terminal {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writes.push(String::from_utf8(buf.to_vec()).unwrap());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.flushes += 1;
        Ok(())
    }
}

/// The server as an OpenAI endpoint (base URL `http://127.0.0.1:PORT/v1`)
/// whose answer is the seed stream, or its first `len` bytes then an
/// aborted connection.
async fn chat_endpoint(len: Option<usize>) -> String {
    let mut rng = Rng::new(14);
    let full = saturn();
    let mut body = random_steps(&full[..len.unwrap_or(full.len())], &mut rng);
    if len.is_some() {
        // Long enough for the client to read what was sent.
        body.push(Step::Abort { delay_ms: 50 });
    }
    let reply = Reply::stream(body);
    let base = start(HashMap::from([(CHAT_PATH.to_string(), reply)])).await;
    format!("{base}/v1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_stream_example_prints_the_text_as_it_arrives_then_the_usage() {
    let base_url = chat_endpoint(None).await;
    let mut out = Terminal::default();
    let completion = chat_stream::run(&base_url, API_KEY, MODEL, PROMPT, &mut out)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let expected = fold(&saturn());
    assert!(completion == expected.completion);
    // One write and one flush per content delta, as it arrived…
    let deltas: Vec<String> = expected
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ContentDelta { delta, .. } => Some(delta.to_string()),
            _ => None,
        })
        .collect();
    assert!(deltas.len() > 20);
    assert_eq!(out.writes[..deltas.len()], deltas[..]);
    assert!(out.flushes > deltas.len());
    // …then the usage on its own line (the recorded stream's figures).
    let text = content(&expected.completion);
    assert!(text.starts_with("The planet with rings"));
    assert_eq!(
        out.writes.concat(),
        format!("{text}\nusage: prompt_tokens=21 completion_tokens=31 total_tokens=52\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_stream_example_reports_an_error_status_as_the_provider_error() {
    let base_url = chat_endpoint(None).await;
    let mut out = Terminal::default();
    let err = chat_stream::run(&base_url, "sk-wrong", MODEL, PROMPT, &mut out)
        .await
        .unwrap_err();
    let err = err
        .downcast_ref::<Error>()
        .unwrap_or_else(|| panic!("not a streamfold::Error: {err}"));
    let ErrorKind::Provider(p) = err.kind() else {
        panic!("expected a provider error, got {err:?}")
    };
    assert_eq!(p.status, Some(401));
    assert_eq!(p.message, "Incorrect API key provided");
    assert_eq!(p.code.as_deref(), Some("invalid_api_key"));
    assert!(out.writes.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_stream_example_reports_a_broken_connection_in_one_line_with_its_cause() {
    let (prefix, _) = cut_inside_an_event();
    let base_url = chat_endpoint(Some(prefix.len())).await;
    let mut out = Terminal::default();
    let err = chat_stream::run(&base_url, API_KEY, MODEL, PROMPT, &mut out)
        .await
        .unwrap_err();
    // The text up to the break was printed as it came.
    assert_eq!(out.writes.concat(), "The planet with rings");
    let stream_error = err
        .downcast_ref::<Error>()
        .unwrap_or_else(|| panic!("not a streamfold::Error: {err}"));
    assert!(matches!(stream_error.kind(), ErrorKind::Transport(_)));
    // The message carries the causes that tell what happened, once each.
    assert_eq!(
        chat_stream::error_line(&*err),
        format!(
            "reading the stream failed (event 5, byte {}): error decoding response body: \
             error reading a body from connection: unexpected EOF during chunk size line",
            prefix.len()
        )
    );
}
