//! `streamfold bench`: sends streaming requests, at most N in flight, folds
//! each response with the library as its bytes arrive (timed by the
//! kernel's receive timestamps), and reports per request and in aggregate.
//! The definitions of the figures are in the library's `timing` module.

mod client;
mod http1;
mod measure;
mod report;

use std::cell::{Cell, RefCell};
use std::io::{IsTerminal, Write};
use std::net::ToSocketAddrs;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use serde_json::Value;

use crate::args::{BenchAction, BenchArgs, BenchCmd, Global, Input, Rate};
use crate::formats::{self, Format};
use crate::net;
use crate::record::{self, Head, Recording};
use crate::rng::Rng;
use crate::wallclock;
use client::{Conn, Target};
use measure::{Measure, Row, TransportEnd};
use report::{Harness, Run};

pub fn main(cmd: &BenchCmd, global: &Global) -> u8 {
    let result = match &cmd.action {
        Some(BenchAction::Merge { files, json }) => merge(files, json.as_deref()),
        Some(BenchAction::Report { dir, json }) => report_dir(dir, json.as_deref()),
        None => run(&cmd.run, global),
    };
    match result {
        Ok(()) => 0,
        Err(msg) => {
            eprintln!("streamfold bench: {msg}");
            1
        }
    }
}

fn write_json(path: &Path, v: &Value) -> Result<(), String> {
    let text = serde_json::to_string(v).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn finish(run: &Run, json: Option<&Path>, table_to_stdout: bool) -> Result<(), String> {
    if let Some(path) = json {
        write_json(path, &run.to_json())?;
    }
    if table_to_stdout {
        run.print_table(&mut std::io::stdout().lock())
    } else {
        run.print_table(&mut std::io::stderr().lock())
    }
    .map_err(|e| e.to_string())
}

fn merge(files: &[PathBuf], json: Option<&Path>) -> Result<(), String> {
    let mut runs = Vec::new();
    for f in files {
        let bytes = std::fs::read(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
        let v: Value = serde_json::from_slice(&bytes)
            .map_err(|e| format!("{}: not JSON: {e}", f.display()))?;
        runs.push(Run::from_json(&v).map_err(|e| format!("{}: {e}", f.display()))?);
    }
    let merged = Run::merge(runs);
    if json.is_none() {
        println!("{}", merged.to_json());
        return merged
            .print_table(&mut std::io::stderr().lock())
            .map_err(|e| e.to_string());
    }
    finish(&merged, json, true)
}

/// A recording's row, recomputed from its bytes and times.
fn measure_recording(rec: &Recording) -> Result<Row, String> {
    let format: Format = rec.head.format.parse().map_err(|e| format!("{e}"))?;
    let mut m = Measure::new(format);
    if let Some(s) = rec.head.status {
        m.status(s);
    }
    for (at, bytes) in &rec.reads {
        m.push(*at, bytes);
    }
    let end = rec.end.as_ref();
    let transport: Option<TransportEnd> = end
        .and_then(|e| e.error.clone())
        .and_then(|e| serde_json::from_value(e).ok());
    let end_at = Duration::from_nanos(end.map_or(0, |e| e.end_ns));
    let mut row = m.finish(end_at, transport.as_ref());
    row.index = rec.head.index;
    row.request_id = rec.head.request_id.clone();
    row.start = rec.head.start;
    row.queue_ms = rec.head.queue_ms;
    row.connect_ms = rec.head.connect_ms;
    Ok(row)
}

/// `stats PATH` of a `bench --record` file: its row, recomputed; `None`
/// when the input is not such a file.
pub fn stats_of_recording(input: &Input) -> Option<u8> {
    let Input::File(path) = input else {
        return None;
    };
    let bytes = std::fs::read(path).ok()?;
    if !record::looks_like(&bytes) {
        return None;
    }
    let row = Recording::parse(&bytes).and_then(|r| measure_recording(&r));
    Some(match row {
        Err(e) => {
            eprintln!("streamfold: {}: {e}", path.display());
            1
        }
        Ok(row) => {
            println!("{}", serde_json::to_string(&row).unwrap_or_default());
            match row.error.as_ref().map(|e| e.kind.as_str()) {
                None => 0,
                Some("truncated") => 3,
                Some("malformed" | "provider") => 2,
                Some(_) => 1,
            }
        }
    })
}

fn report_dir(dir: &Path, json: Option<&Path>) -> Result<(), String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ndjson"))
        .collect();
    files.sort();
    let mut rows = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
        let rec = Recording::parse(&bytes).map_err(|e| format!("{}: {e}", f.display()))?;
        rows.push(measure_recording(&rec).map_err(|e| format!("{}: {e}", f.display()))?);
    }
    rows.sort_by_key(|r| r.index);
    let meta: Value = std::fs::read(dir.join("run.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let started = meta["started_at"]
        .as_f64()
        .unwrap_or_else(|| rows.iter().map(|r| r.start).fold(f64::INFINITY, f64::min));
    let ended = meta["ended_at"].as_f64().unwrap_or_else(|| {
        rows.iter()
            .map(|r| r.start + r.e2e_ms.unwrap_or(0.0) / 1e3)
            .fold(0.0, f64::max)
    });
    let mut run = Run::from_rows(rows, if started.is_finite() { started } else { 0.0 }, ended);
    if let Some(m) = meta.as_object() {
        for key in ["url", "format", "concurrency", "rate"] {
            if let Some(v) = m.get(key) {
                run.meta.insert(key.into(), v.clone());
            }
        }
    }
    finish(&run, json, true)
}

/// `http://host[:port]/path` → (host, port, path).
fn parse_url(url: &str) -> Result<(String, u16, String), String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        format!("{url:?}: only http:// URLs are supported (bench measures plain HTTP/1.1)")
    })?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (
            h.to_string(),
            p.parse::<u16>()
                .map_err(|_| format!("{url:?}: a bad port"))?,
        ),
        _ => (authority.to_string(), 80),
    };
    if host.is_empty() {
        return Err(format!("{url:?}: no host"));
    }
    Ok((host, port, path.to_string()))
}

fn build_request(
    host: &str,
    port: u16,
    path: &str,
    body: &[u8],
    headers: &[String],
) -> Result<Vec<u8>, String> {
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: streamfold-bench/{}\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\nContent-Length: {}\r\n",
        env!("CARGO_PKG_VERSION"),
        body.len()
    );
    for h in headers {
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| format!("--header {h:?}: not K:V"))?;
        if k.trim().is_empty() || h.contains(['\r', '\n']) {
            return Err(format!("--header {h:?}: not a header"));
        }
        head.push_str(&format!("{}: {}\r\n", k.trim(), v.trim()));
    }
    head.push_str("\r\n");
    let mut req = head.into_bytes();
    req.extend_from_slice(body);
    Ok(req)
}

/// Connections a run needs beside its streams (stdio, the runtime, files).
const SPARE_FILES: u64 = 32;

fn run(args: &BenchArgs, global: &Global) -> Result<(), String> {
    let url = args.url.as_deref().ok_or("a URL is needed")?;
    let (host, port, path) = parse_url(url)?;
    let format = match global.format {
        Some(f) => f,
        None => formats::for_path(&path)
            .ok_or_else(|| format!("cannot tell the format of {path}: name it with --format"))?,
    };
    let body = match &args.body {
        Some(p) => std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?,
        None => serde_json::to_vec(&(formats::spec(format).body)(&args.model))
            .map_err(|e| e.to_string())?,
    };
    let request = build_request(&host, port, &path, &body, &args.headers)?;
    let addr = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host} has no address"))?;
    let limit = net::raise_open_files();
    let need = args.concurrency as u64 + SPARE_FILES;
    if need > limit {
        return Err(format!(
            "--concurrency {} needs {need} open files, more than this process may open ({limit}, the hard limit): raise it (ulimit -Hn, as root) or lower --concurrency",
            args.concurrency
        ));
    }
    if let Some(dir) = &args.record {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let seed = args.seed.unwrap_or_else(Rng::seed_from_clock);
    let mut rng = Rng::new(seed);
    let offsets: Vec<f64> = match args.rate {
        Rate::Infinite => vec![0.0; args.requests],
        Rate::PerSecond(r) => {
            let mut t = 0.0;
            (0..args.requests)
                .map(|_| {
                    let at = t;
                    t += rng.exponential(1.0 / r);
                    at
                })
                .collect()
        }
    };
    let progress = if args.quiet || !std::io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        let pb = indicatif::ProgressBar::new(args.requests as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} requests  {elapsed_precise} (eta {eta})",
        ) {
            pb.set_style(style);
        }
        pb
    };
    let target = Rc::new(Target { addr, request });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let cpu_before = net::cpu_seconds();
    let rss_before = net::rss_bytes();
    let started_ns = wallclock::now_ns();
    let state = Rc::new(Shared {
        next: Cell::new(0),
        rows: RefCell::new(Vec::with_capacity(args.requests)),
        in_flight: Cell::new(0),
        peak: Cell::new((0, rss_before)),
    });
    let local = tokio::task::LocalSet::new();
    let t0 = tokio::time::Instant::now();
    let timeout = Duration::from_secs_f64(args.timeout);
    local.block_on(&runtime, async {
        let sampler = {
            let state = state.clone();
            tokio::task::spawn_local(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(250));
                loop {
                    tick.tick().await;
                    // The resident memory when the most streams were in
                    // flight (the largest, among equal counts).
                    let rss = net::rss_bytes();
                    let now = state.in_flight.get();
                    let (best, best_rss) = state.peak.get();
                    if now > best || (now == best && rss > best_rss) {
                        state.peak.set((now, rss));
                    }
                }
            })
        };
        let worker = Worker {
            state: state.clone(),
            target: target.clone(),
            offsets: offsets.into(),
            t0,
            format,
            url: url.into(),
            record: args.record.as_deref().map(Rc::from),
            timeout,
            progress: progress.clone(),
        };
        let handles: Vec<_> = (0..args.concurrency.min(args.requests))
            .map(|_| tokio::task::spawn_local(worker.clone().run()))
            .collect();
        drop(worker);
        for h in handles {
            let _ = h.await;
        }
        sampler.abort();
    });
    let ended_ns = wallclock::now_ns();
    progress.finish_and_clear();
    let mut rows = std::mem::take(&mut *state.rows.borrow_mut());
    rows.sort_by_key(|r| r.index);
    let events = rows.iter().map(|r| r.events).sum();
    let mut run = Run::from_rows(rows, wallclock::secs(started_ns), wallclock::secs(ended_ns));
    let (peak_in_flight, rss_peak) = state.peak.get();
    run.harness.push(Harness {
        cpu_seconds: net::cpu_seconds() - cpu_before,
        max_rss_bytes: net::max_rss_bytes(),
        rss_before_bytes: rss_before,
        rss_peak_bytes: rss_peak,
        peak_in_flight,
        sse_events: events,
    });
    run.meta.insert("url".into(), url.into());
    run.meta.insert("format".into(), format.to_string().into());
    run.meta
        .insert("concurrency".into(), (args.concurrency as u64).into());
    run.meta.insert(
        "rate".into(),
        match args.rate {
            Rate::Infinite => "inf".into(),
            Rate::PerSecond(r) => r.into(),
        },
    );
    if let Some(dir) = &args.record {
        let meta = serde_json::json!({
            "started_at": run.started_at, "ended_at": run.ended_at, "url": url,
            "format": format.to_string(), "concurrency": args.concurrency as u64,
            "rate": run.meta["rate"],
        });
        write_json(&dir.join("run.json"), &meta)?;
    }
    if args.quiet {
        if let Some(path) = &args.json {
            write_json(path, &run.to_json())?;
        }
        return Ok(());
    }
    finish(&run, args.json.as_deref(), true)
}

struct Shared {
    next: Cell<usize>,
    rows: RefCell<Vec<Row>>,
    in_flight: Cell<u64>,
    /// (in flight, RSS) when the most streams were in flight.
    peak: Cell<(u64, u64)>,
}

#[derive(Clone)]
struct Worker {
    state: Rc<Shared>,
    target: Rc<Target>,
    offsets: Rc<[f64]>,
    t0: tokio::time::Instant,
    format: Format,
    url: Rc<str>,
    record: Option<Rc<Path>>,
    timeout: Duration,
    progress: indicatif::ProgressBar,
}

impl Worker {
    async fn run(self) {
        let mut conn: Option<Conn> = None;
        loop {
            let i = self.state.next.get();
            if i >= self.offsets.len() {
                return;
            }
            self.state.next.set(i + 1);
            let arrival = self.t0 + Duration::from_secs_f64(self.offsets[i]);
            tokio::time::sleep_until(arrival).await;
            let began = tokio::time::Instant::now();
            let queue_ms = measure::ms(began.saturating_duration_since(arrival));
            self.state.in_flight.set(self.state.in_flight.get() + 1);
            let row = self.one(i as u64, &mut conn, queue_ms).await;
            self.state.in_flight.set(self.state.in_flight.get() - 1);
            self.state.rows.borrow_mut().push(row);
            self.progress.inc(1);
        }
    }

    async fn one(&self, index: u64, conn: &mut Option<Conn>, queue_ms: f64) -> Row {
        let mut measure = Measure::new(self.format);
        let mut connect_ms = None;
        if conn.is_none() {
            let before = wallclock::now_ns();
            match tokio::time::timeout(self.timeout, Conn::open(self.target.addr)).await {
                Ok(Ok(c)) => {
                    *conn = Some(c);
                    connect_ms = Some((wallclock::now_ns() - before) as f64 / 1e6);
                }
                Ok(Err(e)) => return self.failed(index, queue_ms, format!("connect failed: {e}")),
                Err(_) => return self.failed(index, queue_ms, "connect timed out".into()),
            }
        }
        let deadline = tokio::time::Instant::now() + self.timeout;
        let c = conn.as_mut().expect("connected above");
        let ex = client::exchange(
            c,
            &self.target,
            &mut measure,
            self.record.is_some(),
            deadline,
        )
        .await;
        if !ex.reusable {
            *conn = None;
        }
        let mut row = measure.finish(ex.end, ex.transport.as_ref());
        row.index = index;
        row.request_id = ex.request_id.clone();
        row.start = wallclock::secs(ex.start_ns);
        row.queue_ms = queue_ms;
        row.connect_ms = connect_ms;
        if let Some(dir) = &self.record {
            let rec = Recording {
                head: Head {
                    streamfold_recording: 1,
                    index,
                    request_id: ex.request_id,
                    url: self.url.to_string(),
                    format: self.format.to_string(),
                    status: ex.status,
                    start: row.start,
                    queue_ms,
                    connect_ms,
                },
                reads: ex.reads,
                end: Some(record::End {
                    end_ns: ex.end.as_nanos() as u64,
                    error: ex.transport.as_ref().map(measure::transport_json),
                }),
            };
            let path = dir.join(format!("{index:06}.ndjson"));
            let mut out = Vec::new();
            let written = rec
                .write(&mut out)
                .and_then(|()| std::fs::File::create(&path)?.write_all(&out));
            if let Err(e) = written {
                eprintln!("streamfold bench: cannot write {}: {e}", path.display());
            }
        }
        row
    }

    fn failed(&self, index: u64, queue_ms: f64, message: String) -> Row {
        let m = Measure::new(self.format);
        let mut row = m.finish(
            Duration::ZERO,
            Some(&TransportEnd {
                kind: "transport".into(),
                message,
            }),
        );
        row.index = index;
        row.start = wallclock::secs(wallclock::now_ns());
        row.queue_ms = queue_ms;
        row.e2e_ms = None;
        row
    }
}
