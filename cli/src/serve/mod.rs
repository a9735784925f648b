//! `streamfold serve`: a local HTTP/1.1 server that replays recorded
//! streams on the OpenAI, Anthropic and Gemini streaming endpoints, paced,
//! with faults on demand, and logs when each event went out.

mod body;
mod schedule;
mod script;

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::Body as _;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::args::{Global, ServeArgs};
use crate::formats::{self, Format, Quirk};
use crate::net;
use crate::rng::Rng;
use crate::wallclock;
use body::{Pace, Paced, Plan, ServeBody};
use schedule::Schedule;
use script::Script;

/// Largest request body read.
const MAX_REQUEST_BYTES: usize = 16 << 20;

struct State {
    /// Recordings by format, served round-robin.
    scripts: HashMap<Format, Vec<Arc<Script>>>,
    next: HashMap<Format, AtomicUsize>,
    pace: Pace,
    fail_rate: f64,
    cut_rate: f64,
    error_rate: f64,
    error_in_stream: bool,
    seed: u64,
    requests: AtomicU64,
    schedule: Schedule,
}

pub fn main(args: &ServeArgs, global: &Global) -> u8 {
    match run(args, global) {
        Ok(()) => 0,
        Err(msg) => {
            eprintln!("streamfold serve: {msg}");
            1
        }
    }
}

fn run(args: &ServeArgs, global: &Global) -> Result<(), String> {
    let quirks: Vec<Quirk> = args
        .quirks
        .iter()
        .map(|q| q.parse())
        .collect::<Result<_, _>>()?;
    let mut scripts: HashMap<Format, Vec<Arc<Script>>> = HashMap::new();
    for s in script::load(&args.recordings, &quirks)? {
        if global.format.is_some_and(|f| f != s.format) {
            continue;
        }
        scripts.entry(s.format).or_default().push(Arc::new(s));
    }
    if scripts.is_empty() {
        return Err("no recording to serve".into());
    }
    let next = scripts.keys().map(|f| (*f, AtomicUsize::new(0))).collect();
    let ms = |x: f64| Duration::from_secs_f64(x.max(0.0) / 1e3);
    let schedule = Schedule::new(args.schedule.is_some());
    let state = Arc::new(State {
        scripts,
        next,
        pace: Pace {
            ttft: ms(args.ttft),
            itl: ms(args.itl),
            speed: args.speed,
            chunk_size: global.chunk_size,
        },
        fail_rate: args.fail_rate,
        cut_rate: args.cut_rate,
        error_rate: args.error_rate,
        error_in_stream: quirks.contains(&Quirk::ErrorInStream),
        seed: args.seed.unwrap_or_else(Rng::seed_from_clock),
        requests: AtomicU64::new(0),
        schedule: schedule.clone(),
    });
    let limit = net::raise_open_files();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(&args.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        let mut formats: Vec<String> = state
            .scripts
            .iter()
            .map(|(f, s)| format!("{f} ({})", s.len()))
            .collect();
        formats.sort();
        println!("streamfold serve: listening on http://{local}");
        eprintln!(
            "streamfold serve: {} (open-file limit {limit})",
            formats.join(", ")
        );
        let mut file = match &args.schedule {
            Some(path) => Some(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| format!("cannot open {}: {e}", path.display()))?,
            ),
            None => None,
        };
        let mut flush = tokio::time::interval(Duration::from_millis(20));
        let mut stop = std::pin::pin!(shutdown());
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        tokio::spawn(connection(stream, state.clone()));
                    }
                    Err(e) => {
                        // Out of file descriptors, mostly: wait, go on.
                        eprintln!("streamfold serve: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                _ = flush.tick() => {
                    if let Some(f) = file.as_mut() {
                        let _ = schedule.drain_to(f);
                    }
                }
                _ = &mut stop => break,
            }
        }
        if let Some(f) = file.as_mut() {
            let _ = schedule.drain_to(f);
        }
        Ok(())
    })
}

/// SIGINT or SIGTERM.
async fn shutdown() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

/// A connection whose reads are stamped by the kernel: `arrival` holds the
/// stamp of the first read since it was last taken (0: none).
struct StampedIo {
    stream: TcpStream,
    cmsg: Vec<u8>,
    arrival: Arc<AtomicU64>,
}

impl AsyncRead for StampedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.stream.poll_read_ready(cx)?.is_pending() {
                return Poll::Pending;
            }
            let dst = buf.initialize_unfilled();
            match net::try_recv_stamped(&this.stream, dst, &mut this.cmsg) {
                Ok((n, at)) => {
                    if n > 0 {
                        let _ = this.arrival.compare_exchange(
                            0,
                            at,
                            Ordering::Relaxed,
                            Ordering::Relaxed,
                        );
                    }
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for StampedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

async fn connection(stream: TcpStream, state: Arc<State>) {
    net::stamp_arrivals(&stream);
    let arrival = Arc::new(AtomicU64::new(0));
    let io = StampedIo {
        stream,
        cmsg: net::cmsg_buffer(),
        arrival: arrival.clone(),
    };
    let service = hyper::service::service_fn(move |req| {
        let state = state.clone();
        let at = arrival.swap(0, Ordering::Relaxed);
        let at = if at == 0 { wallclock::now_ns() } else { at };
        async move { Ok::<_, Infallible>(handle(req, at, &state).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service)
        .await;
}

fn json_response(status: StatusCode, body: Vec<u8>, request_id: &str) -> Response<ServeBody> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-request-id", request_id)
        .body(ServeBody::now(Bytes::from(body)))
        .expect("a valid response")
}

fn message(status: StatusCode, msg: &str, request_id: &str) -> Response<ServeBody> {
    let body = serde_json::json!({"error": {"message": msg, "type": "invalid_request_error"}});
    json_response(status, body.to_string().into_bytes(), request_id)
}

async fn read_body(mut body: Incoming) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| e.to_string())?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > MAX_REQUEST_BYTES {
                return Err("request body too large".into());
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

async fn handle(req: Request<Incoming>, arrival_ns: u64, state: &State) -> Response<ServeBody> {
    let arrival = tokio::time::Instant::from_std(wallclock::ns_instant(arrival_ns));
    let n = state.requests.fetch_add(1, Ordering::Relaxed);
    let mut rng = Rng::nth(state.seed, n);
    let request_id: Arc<str> = format!("req-{n:06}-{:08x}", rng.next_u64() as u32).into();
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    if req.method() != Method::POST {
        return message(StatusCode::METHOD_NOT_ALLOWED, "use POST", &request_id);
    }
    let Some(format) = formats::for_path(&path) else {
        return message(
            StatusCode::NOT_FOUND,
            &format!("no endpoint {path}"),
            &request_id,
        );
    };
    let body = match read_body(req.into_body()).await {
        Ok(b) => b,
        Err(e) => return message(StatusCode::BAD_REQUEST, &e, &request_id),
    };
    let spec = formats::spec(format);
    let streaming = if let Some(default) = spec.stream_field {
        match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(v) => v
                .get("stream")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(default),
            Err(e) => {
                return message(
                    StatusCode::BAD_REQUEST,
                    &format!("the body is not JSON: {e}"),
                    &request_id,
                )
            }
        }
    } else {
        path.contains(":streamGenerateContent")
    };
    let Some(scripts) = state.scripts.get(&format) else {
        return message(
            StatusCode::NOT_FOUND,
            &format!("no {format} recording is served"),
            &request_id,
        );
    };
    let turn = state.next[&format].fetch_add(1, Ordering::Relaxed);
    let script = scripts[turn % scripts.len()].clone();
    let schedule = &state.schedule;
    schedule.log(&request_id, arrival_ns, "request");

    if rng.chance(state.fail_rate) {
        let status = if rng.chance(0.5) { 429 } else { 500 };
        schedule.log(&request_id, schedule::now(), "fail");
        let body = (spec.http_error)(status).to_string().into_bytes();
        return json_response(
            StatusCode::from_u16(status).expect("a valid status"),
            body,
            &request_id,
        );
    }
    let steps = script.steps.len();
    // Faults fall after the first step and before the last: mid-stream.
    let mut plan = Plan::default();
    if rng.chance(state.cut_rate) {
        plan.cut_at = Some(rng.range(1, steps.saturating_sub(1)).max(1).min(steps - 1));
    } else if state.error_in_stream || rng.chance(state.error_rate) {
        plan.error_at = Some(rng.range(1, steps.saturating_sub(1)).max(1).min(steps - 1));
    }
    if !streaming {
        let texts = script.steps.iter().filter(|s| s.text).count() as u32;
        let last = script.steps.iter().filter_map(|s| s.at).max();
        let delay = match last {
            Some(at) => at.div_f64(state.pace.speed),
            None if texts > 0 => state.pace.ttft + state.pace.itl * (texts - 1),
            None => Duration::ZERO,
        };
        return Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .header("x-request-id", &*request_id)
            .body(ServeBody::Later {
                bytes: Some(script.final_json.clone()),
                sleep: Box::pin(tokio::time::sleep_until(arrival + delay)),
                log: Some((request_id.clone(), schedule.clone())),
            })
            .expect("a valid response");
    }
    let body = Paced::new(
        script,
        plan,
        state.pace,
        arrival,
        request_id.clone(),
        schedule.clone(),
        spec.in_band_error,
    );
    Response::builder()
        .status(StatusCode::OK)
        .header(
            "content-type",
            if format.is_ndjson() {
                "application/x-ndjson"
            } else {
                "text/event-stream"
            },
        )
        .header("cache-control", "no-cache")
        .header("x-request-id", &*request_id)
        .body(ServeBody::Paced(Box::new(body)))
        .expect("a valid response")
}
