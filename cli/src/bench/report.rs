//! Aggregates of a run, with vLLM `bench serve`'s names where they exist,
//! over the requests that completed without error; percentiles from
//! HdrHistograms (microseconds, 3 significant digits) serialised into the
//! JSON, so that runs merge exactly; means from exact sums.

use std::collections::BTreeMap;
use std::io::Write;

use base64::Engine;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::measure::Row;

/// The distributions summarised, by their vLLM name stem.
pub const METRICS: [&str; 6] = ["ttft", "ttft_content", "tpot", "itl", "e2el", "queue"];

/// A distribution: histogram (µs) and exact sum (ms) and count.
#[derive(Debug, Clone)]
pub struct Dist {
    pub hist: Histogram<u64>,
    pub sum_ms: f64,
}

impl Default for Dist {
    fn default() -> Self {
        Dist {
            hist: Histogram::new(3).expect("3 significant digits is valid"),
            sum_ms: 0.0,
        }
    }
}

impl Dist {
    pub fn record(&mut self, value_ms: f64) {
        let us = (value_ms * 1e3).round().max(0.0) as u64;
        if self.hist.record(us).is_err() {
            self.hist.saturating_record(us);
        }
        self.sum_ms += value_ms;
    }

    fn count(&self) -> u64 {
        self.hist.len()
    }

    /// The value at quantile `q`, in ms.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        (self.count() > 0).then(|| self.hist.value_at_quantile(q) as f64 / 1e3)
    }

    fn encode(&self) -> String {
        let mut bytes = Vec::new();
        V2Serializer::new()
            .serialize(&self.hist, &mut bytes)
            .expect("serialising to memory");
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn decode(text: &str, sum_ms: f64) -> Result<Dist, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| format!("a histogram is not base64: {e}"))?;
        let hist: Histogram<u64> = Deserializer::new()
            .deserialize(&mut &bytes[..])
            .map_err(|e| format!("a histogram does not decode: {e:?}"))?;
        Ok(Dist { hist, sum_ms })
    }

    fn merge(&mut self, other: &Dist) {
        let _ = self.hist.add(&other.hist);
        self.sum_ms += other.sum_ms;
    }
}

/// What the harness itself cost.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Harness {
    pub cpu_seconds: f64,
    pub max_rss_bytes: u64,
    /// Resident memory before the first request and at the peak of
    /// concurrency.
    pub rss_before_bytes: u64,
    pub rss_peak_bytes: u64,
    pub peak_in_flight: u64,
    pub sse_events: u64,
}

/// Everything a run (or a merge of runs) produced.
#[derive(Debug, Clone, Default)]
pub struct Run {
    pub rows: Vec<Row>,
    pub dists: BTreeMap<String, Dist>,
    /// Unix seconds.
    pub started_at: f64,
    pub ended_at: f64,
    pub harness: Vec<Harness>,
    pub meta: Map<String, Value>,
}

impl Run {
    pub fn from_rows(rows: Vec<Row>, started_at: f64, ended_at: f64) -> Run {
        let mut dists: BTreeMap<String, Dist> = METRICS
            .iter()
            .map(|m| (m.to_string(), Dist::default()))
            .collect();
        for r in rows.iter().filter(|r| r.error.is_none()) {
            let mut rec = |name: &str, v: Option<f64>| {
                if let Some(v) = v {
                    dists.get_mut(name).expect("a metric").record(v);
                }
            };
            rec("ttft", r.ttft_ms);
            rec("ttft_content", r.ttft_content_ms);
            rec("tpot", r.tpot_ms);
            rec("e2el", r.e2e_ms);
            rec("queue", Some(r.queue_ms));
            let itl = dists.get_mut("itl").expect("a metric");
            for (gap, tokens) in r.itl_ms.iter().zip(&r.itl_tokens) {
                // Per token where the chunk's tokens are known.
                match tokens {
                    Some(k) if *k > 1 => {
                        let k = (*k).min(256);
                        for _ in 0..k {
                            itl.record(gap / k as f64);
                        }
                    }
                    _ => itl.record(*gap),
                }
            }
        }
        Run {
            rows,
            dists,
            started_at,
            ended_at,
            harness: Vec::new(),
            meta: Map::new(),
        }
    }

    /// Runs merged: rows side by side, histograms added.
    pub fn merge(runs: Vec<Run>) -> Run {
        let mut out = Run {
            started_at: f64::INFINITY,
            ended_at: 0.0,
            ..Run::default()
        };
        for run in runs {
            out.started_at = out.started_at.min(run.started_at);
            out.ended_at = out.ended_at.max(run.ended_at);
            for (name, d) in &run.dists {
                out.dists.entry(name.clone()).or_default().merge(d);
            }
            out.rows.extend(run.rows);
            out.harness.extend(run.harness);
            for (k, v) in run.meta {
                out.meta.entry(k).or_insert(v);
            }
        }
        if !out.started_at.is_finite() {
            out.started_at = 0.0;
        }
        out
    }

    /// The JSON document (`--json`).
    pub fn to_json(&self) -> Value {
        let ok: Vec<&Row> = self.rows.iter().filter(|r| r.error.is_none()).collect();
        let duration = (self.ended_at - self.started_at).max(0.0);
        let input: u64 = ok.iter().filter_map(|r| r.input_tokens).sum();
        let output: u64 = ok.iter().filter_map(|r| r.output_tokens).sum();
        let per_s = |x: f64| if duration > 0.0 { x / duration } else { 0.0 };
        let mut m = Map::new();
        m.insert("completed".into(), ok.len().into());
        m.insert("failed".into(), (self.rows.len() - ok.len()).into());
        m.insert("duration".into(), duration.into());
        m.insert("total_input_tokens".into(), input.into());
        m.insert("total_output_tokens".into(), output.into());
        m.insert("request_throughput".into(), per_s(ok.len() as f64).into());
        m.insert("output_throughput".into(), per_s(output as f64).into());
        m.insert(
            "total_token_throughput".into(),
            per_s((input + output) as f64).into(),
        );
        for (name, d) in &self.dists {
            let n = d.count();
            let mean = (n > 0).then(|| d.sum_ms / n as f64);
            m.insert(format!("mean_{name}_ms"), json_num(mean));
            m.insert(format!("median_{name}_ms"), json_num(d.quantile(0.5)));
            m.insert(format!("p90_{name}_ms"), json_num(d.quantile(0.9)));
            m.insert(format!("p99_{name}_ms"), json_num(d.quantile(0.99)));
            m.insert(format!("max_{name}_ms"), json_num(d.quantile(1.0)));
            m.insert(format!("{name}_count"), n.into());
        }
        let mut errors: BTreeMap<&str, u64> =
            ["http", "transport", "truncated", "malformed", "provider"]
                .iter()
                .map(|k| (*k, 0))
                .collect();
        let mut verdicts: BTreeMap<&str, u64> = BTreeMap::new();
        for r in &self.rows {
            if let Some(e) = &r.error {
                *errors.entry(e.kind.as_str()).or_default() += 1;
            }
            if let Some(v) = &r.verdict {
                *verdicts.entry(v.as_str()).or_default() += 1;
            }
        }
        m.insert(
            "errors".into(),
            serde_json::to_value(errors).unwrap_or_default(),
        );
        m.insert(
            "verdicts".into(),
            serde_json::to_value(verdicts).unwrap_or_default(),
        );
        m.insert("started_at".into(), self.started_at.into());
        m.insert("ended_at".into(), self.ended_at.into());
        let hist: Map<String, Value> = self
            .dists
            .iter()
            .map(|(k, d)| {
                (
                    k.clone(),
                    serde_json::json!({"sum_ms": d.sum_ms, "hdr": d.encode()}),
                )
            })
            .collect();
        m.insert("histograms".into(), Value::Object(hist));
        m.insert(
            "harness".into(),
            serde_json::to_value(&self.harness).unwrap_or_default(),
        );
        for (k, v) in &self.meta {
            m.insert(k.clone(), v.clone());
        }
        m.insert(
            "requests".into(),
            serde_json::to_value(&self.rows).unwrap_or_default(),
        );
        Value::Object(m)
    }

    /// A run from its JSON document.
    pub fn from_json(v: &Value) -> Result<Run, String> {
        let rows: Vec<Row> = serde_json::from_value(v["requests"].clone())
            .map_err(|e| format!("`requests`: {e}"))?;
        let mut dists = BTreeMap::new();
        if let Some(h) = v["histograms"].as_object() {
            for (name, d) in h {
                let hdr = d["hdr"].as_str().ok_or("a histogram without `hdr`")?;
                let sum = d["sum_ms"].as_f64().unwrap_or(0.0);
                dists.insert(name.clone(), Dist::decode(hdr, sum)?);
            }
        }
        let harness = serde_json::from_value(v["harness"].clone()).unwrap_or_default();
        let mut meta = Map::new();
        for key in ["url", "format", "concurrency", "rate"] {
            if let Some(x) = v.get(key) {
                meta.insert(key.into(), x.clone());
            }
        }
        Ok(Run {
            rows,
            dists,
            started_at: v["started_at"].as_f64().unwrap_or(0.0),
            ended_at: v["ended_at"].as_f64().unwrap_or(0.0),
            harness,
            meta,
        })
    }

    /// The human table.
    pub fn print_table(&self, out: &mut impl Write) -> std::io::Result<()> {
        let j = self.to_json();
        let num = |k: &str| j[k].as_f64().map_or("-".to_string(), |v| format!("{v:.2}"));
        writeln!(out, "============ streamfold bench ============")?;
        writeln!(out, "{:<34}{:>12}", "Successful requests:", j["completed"])?;
        writeln!(out, "{:<34}{:>12}", "Failed requests:", j["failed"])?;
        for (kind, n) in j["errors"].as_object().into_iter().flatten() {
            if n.as_u64() != Some(0) {
                writeln!(out, "{:<34}{:>12}", format!("  {kind}:"), n)?;
            }
        }
        writeln!(
            out,
            "{:<34}{:>12}",
            "Benchmark duration (s):",
            num("duration")
        )?;
        writeln!(
            out,
            "{:<34}{:>12}",
            "Total input tokens:", j["total_input_tokens"]
        )?;
        writeln!(
            out,
            "{:<34}{:>12}",
            "Total generated tokens:", j["total_output_tokens"]
        )?;
        writeln!(
            out,
            "{:<34}{:>12}",
            "Request throughput (req/s):",
            num("request_throughput")
        )?;
        writeln!(
            out,
            "{:<34}{:>12}",
            "Output token throughput (tok/s):",
            num("output_throughput")
        )?;
        writeln!(
            out,
            "{:<34}{:>12}",
            "Total token throughput (tok/s):",
            num("total_token_throughput")
        )?;
        for (name, title) in [
            ("ttft", "Time to First Token"),
            ("ttft_content", "Time to First Content Token"),
            ("tpot", "Time per Output Token (excl. 1st token)"),
            ("itl", "Inter-token Latency"),
            ("e2el", "End-to-end Latency"),
            ("queue", "Queue (waiting for a slot)"),
        ] {
            if j[format!("{name}_count")].as_u64() == Some(0) {
                continue;
            }
            writeln!(out, "{:-^46}", title)?;
            for stat in ["mean", "median", "p90", "p99", "max"] {
                let key = format!("{stat}_{name}_ms");
                writeln!(
                    out,
                    "{:<34}{:>12}",
                    format!("{} {} (ms):", capital(stat), name.to_uppercase()),
                    num(&key)
                )?;
            }
        }
        let verdicts = j["verdicts"].as_object().cloned().unwrap_or_default();
        if !verdicts.is_empty() {
            writeln!(out, "{:-^46}", "Verdicts")?;
            for (v, n) in verdicts {
                writeln!(out, "{:<34}{:>12}", format!("{v}:"), n)?;
            }
        }
        writeln!(out, "==========================================")
    }
}

fn capital(s: &str) -> String {
    match s {
        "p90" | "p99" => s.to_uppercase(),
        _ => {
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        }
    }
}

fn json_num(v: Option<f64>) -> Value {
    v.map_or(Value::Null, Value::from)
}
