//! Responses recorded by `bench --record DIR`: one NDJSON file per request,
//! `DIR/NNNNNN.ndjson`:
//!
//! ```text
//! {"streamfold_recording":1,"index":0,"request_id":"…","url":"…","format":"openai-chat","status":200,"start":1712345678.123456789,"queue_ms":0.0,"connect_ms":0.21}
//! {"t_ns":211000,"data":"data: {…}\n\n"}        one line per read of the body
//! {"t_ns":20420000,"b64":"…"}                     (base64 when not UTF-8)
//! {"end_ns":120001000,"error":null}               how the read ended
//! ```
//!
//! `t_ns` is nanoseconds since `start` (the request's first byte written), the
//! read's arrival time as bench took it (the kernel's receive timestamp).
//! The body is kept as bench fed it to the fold: after HTTP chunked
//! decoding, split where the reads split it. `serve` replays such a file at
//! its original pace (`--speed` scales it); `stats` and `bench report`
//! recompute every figure from it.

use std::io::Write;
use std::time::Duration;

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The first line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Head {
    pub streamfold_recording: u32,
    pub index: u64,
    pub request_id: Option<String>,
    pub url: String,
    pub format: String,
    pub status: Option<u16>,
    /// Unix seconds.
    pub start: f64,
    pub queue_ms: f64,
    pub connect_ms: Option<f64>,
}

/// How the read ended: the error, as the bench row reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct End {
    pub end_ns: u64,
    pub error: Option<Value>,
}

/// A recorded response.
#[derive(Debug, Clone)]
pub struct Recording {
    pub head: Head,
    /// (arrival since start, bytes).
    pub reads: Vec<(Duration, Vec<u8>)>,
    pub end: Option<End>,
}

/// True when `bytes` start like a recording.
pub fn looks_like(bytes: &[u8]) -> bool {
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or(b"");
    first.starts_with(b"{\"streamfold_recording\"")
}

#[derive(Serialize, Deserialize)]
struct Read {
    t_ns: u64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    b64: Option<String>,
}

impl Recording {
    pub fn parse(bytes: &[u8]) -> Result<Recording, String> {
        let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let (_, first) = lines.next().ok_or("an empty recording")?;
        let head: Head = serde_json::from_str(first)
            .map_err(|e| format!("line 1: not a recording head: {e}"))?;
        let mut reads = Vec::new();
        let mut end = None;
        for (n, line) in lines {
            let v: Value =
                serde_json::from_str(line).map_err(|e| format!("line {}: {e}", n + 1))?;
            if v.get("end_ns").is_some() {
                end = Some(serde_json::from_value(v).map_err(|e| format!("line {}: {e}", n + 1))?);
                continue;
            }
            let r: Read = serde_json::from_value(v).map_err(|e| format!("line {}: {e}", n + 1))?;
            let data = match (r.data, r.b64) {
                (Some(d), _) => d.into_bytes(),
                (None, Some(b)) => base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .map_err(|e| format!("line {}: {e}", n + 1))?,
                (None, None) => return Err(format!("line {}: a read without data", n + 1)),
            };
            reads.push((Duration::from_nanos(r.t_ns), data));
        }
        Ok(Recording { head, reads, end })
    }

    /// Writes the recording (its file's whole content).
    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        serde_json::to_writer(&mut *out, &self.head)?;
        out.write_all(b"\n")?;
        for (t, bytes) in &self.reads {
            let read = match std::str::from_utf8(bytes) {
                Ok(s) => Read {
                    t_ns: t.as_nanos() as u64,
                    data: Some(s.to_string()),
                    b64: None,
                },
                Err(_) => Read {
                    t_ns: t.as_nanos() as u64,
                    data: None,
                    b64: Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
                },
            };
            serde_json::to_writer(&mut *out, &read)?;
            out.write_all(b"\n")?;
        }
        if let Some(end) = &self.end {
            serde_json::to_writer(&mut *out, end)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_round_trips_with_utf8_and_binary_reads() {
        let rec = Recording {
            head: Head {
                streamfold_recording: 1,
                index: 3,
                request_id: Some("r".into()),
                url: "http://x/v1/chat/completions".into(),
                format: "openai-chat".into(),
                status: Some(200),
                start: 1.5,
                queue_ms: 0.0,
                connect_ms: None,
            },
            reads: vec![
                (Duration::from_micros(211), b"data: {\"a\":\"\xC3".to_vec()),
                (Duration::from_micros(20_420), b"\xA9\"}\n\n".to_vec()),
            ],
            end: Some(End {
                end_ns: 500,
                error: None,
            }),
        };
        let mut out = Vec::new();
        rec.write(&mut out).unwrap();
        assert!(looks_like(&out));
        let back = Recording::parse(&out).unwrap();
        assert_eq!(back.reads, rec.reads);
        assert_eq!(back.head.index, 3);
        let body: Vec<u8> = back.reads.iter().flat_map(|(_, b)| b.clone()).collect();
        assert_eq!(body, "data: {\"a\":\"é\"}\n\n".as_bytes());
    }
}
