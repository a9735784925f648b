//! `serve --schedule FILE`: one NDJSON row per happening, the ground truth
//! a harness's measurements are checked against:
//! `{"request_id": "…", "t": unix seconds, "kind": "request" | "content" |
//! "event" | "end" | "cut" | "fail" | "error"}`.
//!
//! `request`: the request arrived (the kernel's receive timestamp of its
//! first read); `content`: a step with a text delta was written (stamped
//! just before the write); `event`: a step without text; `end`: the stream
//! ended whole; `cut`: the connection was closed mid-stream; `fail`: an
//! HTTP error was answered; `error`: the in-band error event was written.
//! Rows are buffered and appended every few milliseconds, and at exit.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::wallclock;

#[derive(Clone, Default)]
pub struct Schedule(Option<Arc<Mutex<String>>>);

impl Schedule {
    pub fn new(enabled: bool) -> Schedule {
        Schedule(enabled.then(|| Arc::new(Mutex::new(String::new()))))
    }

    /// Logs a happening at `ns` (unix).
    pub fn log(&self, request_id: &str, ns: u64, kind: &str) {
        if let Some(buf) = &self.0 {
            let mut b = buf.lock().unwrap_or_else(|e| e.into_inner());
            let _ = writeln!(
                b,
                "{{\"request_id\":\"{request_id}\",\"t\":{}.{:09},\"kind\":\"{kind}\"}}",
                ns / 1_000_000_000,
                ns % 1_000_000_000
            );
        }
    }

    /// Appends what was logged to `out`.
    pub fn drain_to(&self, out: &mut impl Write) -> std::io::Result<()> {
        if let Some(buf) = &self.0 {
            let text = std::mem::take(&mut *buf.lock().unwrap_or_else(|e| e.into_inner()));
            if !text.is_empty() {
                out.write_all(text.as_bytes())?;
                out.flush()?;
            }
        }
        Ok(())
    }
}

/// Now, for a row.
pub fn now() -> u64 {
    wallclock::now_ns()
}
