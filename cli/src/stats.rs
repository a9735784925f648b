//! `streamfold stats`: the timing of a stream as one JSON object, and a
//! short summary on standard error when it is a terminal.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use serde::Serialize;
use streamfold::{Timing, Verdict};

#[derive(Serialize)]
struct Itl {
    p50: Option<f64>,
    p90: Option<f64>,
    p99: Option<f64>,
    max: Option<f64>,
}

/// The printed object: milliseconds as numbers, `null` where a figure does
/// not apply.
#[derive(Serialize)]
struct Stats {
    ttfb_ms: Option<f64>,
    first_payload_ms: Option<f64>,
    ttft_ms: Option<f64>,
    ttft_content_ms: Option<f64>,
    ttft_reasoning_ms: Option<f64>,
    ttft_tool_ms: Option<f64>,
    itl_ms: Itl,
    tpot_ms: Option<f64>,
    e2e_ms: Option<f64>,
    events: u64,
    content_deltas: u64,
    output_tokens: Option<u64>,
    tokens_per_s: Option<f64>,
    verdict: Option<Verdict>,
}

/// Milliseconds, to the microsecond.
fn ms(d: Option<Duration>) -> Option<f64> {
    d.map(|d| (d.as_secs_f64() * 1e6).round() / 1e3)
}

pub fn print(t: &Timing, verdict: Option<Verdict>, out: &mut impl Write) -> io::Result<()> {
    let stats = Stats {
        ttfb_ms: ms(t.ttfb),
        first_payload_ms: ms(t.first_payload),
        ttft_ms: ms(t.ttft),
        ttft_content_ms: ms(t.ttft_content),
        ttft_reasoning_ms: ms(t.ttft_reasoning),
        ttft_tool_ms: ms(t.ttft_tool),
        itl_ms: Itl {
            p50: ms(t.itl_percentile(50.0)),
            p90: ms(t.itl_percentile(90.0)),
            p99: ms(t.itl_percentile(99.0)),
            max: ms(t.itl_max()),
        },
        tpot_ms: ms(t.tpot()),
        e2e_ms: ms(t.e2e),
        events: t.events,
        content_deltas: t.content_deltas,
        output_tokens: t.output_tokens,
        tokens_per_s: t.tokens_per_s().map(|r| (r * 100.0).round() / 100.0),
        verdict,
    };
    serde_json::to_writer(&mut *out, &stats)?;
    out.write_all(b"\n")?;
    if io::stderr().is_terminal() {
        eprintln!("{}", summary(&stats));
    }
    Ok(())
}

fn summary(s: &Stats) -> String {
    let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1} ms"));
    format!(
        "TTFB {} · TTFT {} · ITL p50 {} p90 {} p99 {} · E2E {} · {} events, {} deltas, {} tokens{}",
        f(s.ttfb_ms),
        f(s.ttft_ms),
        f(s.itl_ms.p50),
        f(s.itl_ms.p90),
        f(s.itl_ms.p99),
        f(s.e2e_ms),
        s.events,
        s.content_deltas,
        s.output_tokens.map_or("?".to_string(), |n| n.to_string()),
        s.tokens_per_s
            .map_or(String::new(), |r| format!(" at {r:.1}/s"))
    )
}
