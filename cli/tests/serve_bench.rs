//! `serve` and `bench` end to end on loopback: bench's rows join serve's
//! schedule on the request id, and its figures agree with when serve wrote
//! each event.

mod support;

use std::collections::HashMap;

use serde_json::Value;
use support::{bench, percentile, run, scratch, Serve};

/// serve's schedule, by request id: (kind, unix seconds) in order.
fn by_request(schedule: &[Value]) -> HashMap<String, Vec<(String, f64)>> {
    let mut m: HashMap<String, Vec<(String, f64)>> = HashMap::new();
    for row in schedule {
        m.entry(row["request_id"].as_str().unwrap().to_string())
            .or_default()
            .push((
                row["kind"].as_str().unwrap().to_string(),
                row["t"].as_f64().unwrap(),
            ));
    }
    for rows in m.values_mut() {
        rows.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap());
    }
    m
}

/// One test at a time: each runs a server and a harness that time
/// streams, on a machine of two cores.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn bench_measures_what_serve_wrote_within_a_millisecond() {
    let _alone = alone();
    let dir = scratch("agree");
    let serve = Serve::start(&["--ttft", "40", "--itl", "15"], &dir);
    let url = format!("{}/v1/chat/completions", serve.url);
    let n = 300;
    let result = bench(&url, &["-c", "100", "-n", &n.to_string(), "-q"], &dir);
    let schedule = by_request(&serve.stop());

    let rows = result["requests"].as_array().unwrap();
    assert_eq!(rows.len(), n);
    assert_eq!(result["completed"], n);
    assert_eq!(result["failed"], 0);
    let mut ttft_err = Vec::new();
    let mut itl_err = Vec::new();
    for row in rows {
        assert!(row["error"].is_null(), "{row}");
        assert_eq!(row["verdict"], "complete");
        let id = row["request_id"].as_str().expect("x-request-id was read");
        let happened = &schedule[id];
        let request = happened.iter().find(|(k, _)| k == "request").unwrap().1;
        let contents: Vec<f64> = happened
            .iter()
            .filter(|(k, _)| k == "content")
            .map(|(_, t)| *t)
            .collect();
        assert!(
            happened.iter().any(|(k, _)| k == "end"),
            "{id}: {happened:?}"
        );
        // serve's TTFT: from the request's arrival to the first text write.
        let serve_ttft = (contents[0] - request) * 1e3;
        ttft_err.push((f(&row["ttft_ms"]) - serve_ttft).abs());
        // One content delta per text event: bench's chunks are serve's
        // gaps between successive text writes.
        let gaps = row["itl_ms"].as_array().unwrap();
        assert_eq!(gaps.len(), contents.len() - 1, "{id}");
        for (gap, w) in gaps.iter().zip(contents.windows(2)) {
            itl_err.push((f(gap) - (w[1] - w[0]) * 1e3).abs());
        }
        assert_eq!(row["output_tokens_source"], "usage");
    }
    let (ttft99, ttft_max) = (percentile(&ttft_err, 99.0), percentile(&ttft_err, 100.0));
    let (itl99, itl_max) = (percentile(&itl_err, 99.0), percentile(&itl_err, 100.0));
    assert!(
        ttft99 < 1.0 && ttft_max < 10.0,
        "TTFT error p99 {ttft99} ms, max {ttft_max} ms"
    );
    assert!(
        itl99 < 1.0 && itl_max < 10.0,
        "ITL error p99 {itl99} ms, max {itl_max} ms"
    );

    // The aggregates are those of the rows.
    let ttfts: Vec<f64> = rows.iter().map(|r| f(&r["ttft_ms"])).collect();
    let mean = ttfts.iter().sum::<f64>() / ttfts.len() as f64;
    assert!((f(&result["mean_ttft_ms"]) - mean).abs() < 1e-6);
    // Histogram percentiles: 3 significant digits of the naive ones.
    for (key, p) in [
        ("median_ttft_ms", 50.0),
        ("p99_ttft_ms", 99.0),
        ("max_ttft_ms", 100.0),
    ] {
        let want = percentile(&ttfts, p);
        assert!(
            (f(&result[key]) - want).abs() <= want * 1e-3 + 1e-3,
            "{key}: {} vs {want}",
            result[key]
        );
    }
    let tokens: u64 = rows
        .iter()
        .map(|r| r["output_tokens"].as_u64().unwrap())
        .sum();
    assert_eq!(result["total_output_tokens"], tokens);
    let itl_samples: usize = rows
        .iter()
        .map(|r| r["itl_ms"].as_array().unwrap().len())
        .sum();
    assert_eq!(result["itl_count"], itl_samples as u64);
    assert!(f(&result["request_throughput"]) > 0.0);
}

#[test]
fn faults_are_counted_by_kind_as_the_schedule_says_they_happened() {
    let _alone = alone();
    let dir = scratch("faults");
    let serve = Serve::start(
        &[
            "--ttft",
            "5",
            "--itl",
            "1",
            "--fail-rate",
            "0.15",
            "--cut-rate",
            "0.15",
            "--error-rate",
            "0.15",
            "--seed",
            "11",
        ],
        &dir,
    );
    let url = format!("{}/v1/chat/completions", serve.url);
    let n = 300;
    let result = bench(&url, &["-c", "30", "-n", &n.to_string(), "-q"], &dir);
    let schedule = serve.stop();
    let count = |kind: &str| schedule.iter().filter(|r| r["kind"] == kind).count() as u64;
    let (fails, cuts, errors) = (count("fail"), count("cut"), count("error"));
    assert!(
        fails > 10 && cuts > 10 && errors > 10,
        "{fails} {cuts} {errors}"
    );
    assert_eq!(count("request"), n as u64);
    let e = &result["errors"];
    assert_eq!(e["http"], fails);
    assert_eq!(e["truncated"], cuts);
    assert_eq!(e["provider"], errors);
    assert_eq!(e["transport"], 0);
    assert_eq!(e["malformed"], 0);
    assert_eq!(result["failed"], fails + cuts + errors);
    assert_eq!(result["completed"], n as u64 - fails - cuts - errors);
    // Each row's error is the one its request got.
    let kinds: HashMap<&str, &str> = schedule
        .iter()
        .filter(|r| ["fail", "cut", "error"].contains(&r["kind"].as_str().unwrap()))
        .map(|r| {
            (
                r["request_id"].as_str().unwrap(),
                r["kind"].as_str().unwrap(),
            )
        })
        .collect();
    for row in result["requests"].as_array().unwrap() {
        let id = row["request_id"].as_str().unwrap();
        let want = match kinds.get(id) {
            Some(&"fail") => Some("http"),
            Some(&"cut") => Some("truncated"),
            Some(&"error") => Some("provider"),
            _ => None,
        };
        assert_eq!(row["error"]["kind"].as_str(), want, "{row}");
        if want == Some("http") {
            let status = row["status"].as_u64().unwrap();
            assert!(status == 429 || status == 500, "{row}");
            assert!(!row["error"]["message"].as_str().unwrap().is_empty());
        }
        if want == Some("provider") {
            assert_eq!(row["verdict"], "error_in_stream");
        }
    }
}

#[test]
fn a_recorded_run_reports_the_same_figures_and_replays_at_its_pace() {
    let _alone = alone();
    let dir = scratch("record");
    let rec = dir.join("rec");
    let serve = Serve::start(&["--ttft", "30", "--itl", "3"], &dir);
    let url = format!("{}/v1/chat/completions", serve.url);
    let live = bench(
        &url,
        &[
            "-c",
            "5",
            "-n",
            "20",
            "-q",
            "--record",
            rec.to_str().unwrap(),
        ],
        &dir,
    );
    drop(serve);
    let out = run(support::bin()
        .args(["bench", "report"])
        .arg(&rec)
        .arg("--json")
        .arg(dir.join("report.json")));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Successful requests"));
    let offline: Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    for key in [
        "completed",
        "failed",
        "mean_ttft_ms",
        "p99_itl_ms",
        "median_tpot_ms",
        "max_e2el_ms",
        "total_output_tokens",
        "request_throughput",
        "requests",
    ] {
        assert_eq!(offline[key], live[key], "{key}");
    }
    // stats of one recorded response: its row.
    let one = run(support::bin().arg("stats").arg(rec.join("000003.ndjson")));
    let row: Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(
        row,
        live["requests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["index"] == 3)
            .unwrap()
            .clone()
    );

    // serve replays the recording at its pace (twice as fast with --speed 2).
    let replay_dir = scratch("replay");
    let serve = Serve::start(
        &[rec.join("000003.ndjson").to_str().unwrap(), "--speed", "2"],
        &replay_dir,
    );
    let again = bench(
        &format!("{}/v1/chat/completions", serve.url),
        &["-q"],
        &replay_dir,
    );
    drop(serve);
    let r = &again["requests"][0];
    assert!(r["error"].is_null(), "{r}");
    let (was, now) = (f(&row["ttft_ms"]), f(&r["ttft_ms"]));
    assert!(
        (now - was / 2.0).abs() < 3.0,
        "TTFT {now} ms replayed, {was} ms recorded"
    );
    assert_eq!(r["output_tokens"], row["output_tokens"]);
}

#[test]
fn stream_false_returns_the_fold_of_the_recording() {
    let _alone = alone();
    let dir = scratch("nostream");
    let serve = Serve::start(&["--ttft", "1", "--itl", "0"], &dir);
    let fold = run(support::bin().arg("fold"));
    let want: Value = serde_json::from_slice(&fold.stdout).unwrap();
    let body = r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":false}"#;
    let out = run(std::process::Command::new("curl")
        .args([
            "-sS",
            "-i",
            "-H",
            "content-type: application/json",
            "-d",
            body,
        ])
        .arg(format!("{}/v1/chat/completions", serve.url)));
    drop(serve);
    let text = String::from_utf8(out.stdout).unwrap();
    let (head, json) = text.split_once("\r\n\r\n").unwrap();
    assert!(
        head.to_ascii_lowercase().contains("x-request-id: req-"),
        "{head}"
    );
    let got: Value = serde_json::from_str(json).unwrap();
    assert_eq!(got, want);
}

#[test]
fn bench_merge_combines_runs_exactly() {
    let _alone = alone();
    let dir = scratch("merge");
    let serve = Serve::start(&["--ttft", "10", "--itl", "2"], &dir);
    let url = format!("{}/v1/chat/completions", serve.url);
    let a = bench(&url, &["-c", "4", "-n", "12", "-q"], &scratch("merge-a"));
    let b = bench(&url, &["-c", "4", "-n", "9", "-q"], &scratch("merge-b"));
    drop(serve);
    let (pa, pb) = (dir.join("a.json"), dir.join("b.json"));
    std::fs::write(&pa, a.to_string()).unwrap();
    std::fs::write(&pb, b.to_string()).unwrap();
    run(support::bin()
        .args(["bench", "merge"])
        .arg(&pa)
        .arg(&pb)
        .arg("--json")
        .arg(dir.join("m.json")));
    let m: Value = serde_json::from_slice(&std::fs::read(dir.join("m.json")).unwrap()).unwrap();
    assert_eq!(m["completed"], 21);
    assert_eq!(m["requests"].as_array().unwrap().len(), 21);
    let itl: Vec<f64> = m["requests"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["itl_ms"].as_array().unwrap().iter().map(f))
        .collect();
    assert_eq!(m["itl_count"], itl.len() as u64);
    let want = percentile(&itl, 99.0);
    assert!((f(&m["p99_itl_ms"]) - want).abs() <= want * 1e-3 + 1e-3);
    let mean = itl.iter().sum::<f64>() / itl.len() as f64;
    assert!((f(&m["mean_itl_ms"]) - mean).abs() < 1e-6);
    assert_eq!(
        m["total_output_tokens"],
        a["total_output_tokens"].as_u64().unwrap() + b["total_output_tokens"].as_u64().unwrap()
    );
}
