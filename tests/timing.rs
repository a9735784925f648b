//! Stream timing with a fake clock: every figure, exactly.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use streamfold::timing::Stopwatch;
use streamfold::{Clock, Fold, Timing};

/// A clock moved by hand, in milliseconds.
#[derive(Clone, Default)]
struct Fake(Arc<AtomicU64>);

impl Fake {
    fn set(&self, ms: u64) {
        self.0.store(ms, Ordering::Relaxed);
    }
}

impl Clock for Fake {
    fn now(&self) -> Duration {
        Duration::from_millis(self.0.load(Ordering::Relaxed))
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn event(json: &str) -> String {
    format!("data: {json}\n\n")
}

fn content(text: &str) -> String {
    event(&format!(
        r#"{{"choices":[{{"index":0,"delta":{{"content":"{text}"}},"finish_reason":null}}]}}"#
    ))
}

/// Pushes each `(ms, bytes)` at its time; the last item's time is also
/// the end of input.
fn run(start: u64, pushes: &[(u64, String)]) -> Timing {
    let clock = Fake::default();
    clock.set(start);
    let mut fold = Fold::new().with_clock(clock.clone());
    for (at, bytes) in pushes {
        clock.set(*at);
        for item in fold.push(bytes.as_bytes()) {
            item.unwrap();
        }
    }
    fold.end().for_each(drop);
    fold.timing().unwrap()
}

#[test]
fn every_figure_of_a_plain_text_stream() {
    let role = event(r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#);
    let t = run(
        1_000,
        &[
            (1_100, role),
            (1_250, content("He")),
            (1_300, content("llo")),
            (1_420, content(" there") + &content("!")),
            (
                1_500,
                event(r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#)
                    + &event(
                        r#"{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}"#,
                    ),
            ),
            (1_510, "data: [DONE]\n\n".to_string()),
        ],
    );
    // Measured from the start (when the clock was attached, at 1,000 ms).
    assert_eq!(t.ttfb, Some(ms(100)));
    assert_eq!(t.ttft, Some(ms(250)), "the role-only chunk is not a token");
    assert_eq!(t.ttft_content, Some(ms(250)));
    assert_eq!(t.ttft_reasoning, None);
    assert_eq!(t.ttft_tool, None);
    assert_eq!(t.itl, [ms(50), ms(120), ms(0)]);
    assert_eq!(t.itl_percentile(50.0), Some(ms(50)));
    assert_eq!(t.itl_percentile(90.0), Some(ms(120)));
    assert_eq!(t.itl_percentile(99.0), Some(ms(120)));
    assert_eq!(t.itl_max(), Some(ms(120)));
    assert_eq!(t.e2e, Some(ms(510)));
    assert_eq!(t.events, 8);
    assert_eq!(t.content_deltas, 4);
    assert_eq!(t.output_tokens, Some(4));
    assert_eq!(t.tokens_per_s(), Some(4.0 / 0.51));
    // (510 − 250) / (4 − 1)
    assert_eq!(t.tpot(), Some(Duration::from_nanos(86_666_666)));
    // Usage only at the end: the tokens of each chunk are unknown.
    assert!(t.chunks.iter().all(|c| c.tokens.is_none()));
    assert_eq!(
        t.chunks.iter().map(|c| c.gap).collect::<Vec<_>>(),
        [ms(50), ms(120), ms(0)]
    );
}

#[test]
fn reasoning_and_tool_tokens_have_their_own_first_times() {
    let t = run(
        0,
        &[
            (
                40,
                event(r#"{"choices":[{"index":0,"delta":{"role":"assistant"}}]}"#),
            ),
            (
                90,
                event(r#"{"choices":[{"index":0,"delta":{"reasoning_content":"Let me think."}}]}"#),
            ),
            (
                700,
                event(
                    r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"f","arguments":""}}]}}]}"#,
                ),
            ),
            (
                760,
                event(
                    r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"#,
                ),
            ),
        ],
    );
    assert_eq!(t.ttfb, Some(ms(40)));
    assert_eq!(t.ttft, Some(ms(90)), "a reasoning token is a first token");
    assert_eq!(t.ttft_content, None, "no content token");
    assert_eq!(t.ttft_reasoning, Some(ms(90)));
    assert_eq!(
        t.ttft_tool,
        Some(ms(760)),
        "the call's start with empty arguments is not an argument token"
    );
    assert_eq!(t.reasoning_deltas, 1);
    assert!(t.itl.is_empty());
    assert_eq!(t.itl_percentile(50.0), None);
    // No [DONE]: the stream ends at the end of input (760 ms, the last push).
    assert_eq!(t.e2e, Some(ms(760)));
    assert_eq!(t.output_tokens, None);
    assert_eq!(t.tokens_per_s(), None);
    assert_eq!(t.tpot(), None, "no usage: no TPOT");
}

#[test]
fn cumulative_usage_on_every_chunk_splits_a_gap_among_its_tokens() {
    // vLLM continuous usage stats: the second event carries 3 tokens.
    let with_usage = |text: &str, tokens: u64| {
        event(&format!(
            r#"{{"choices":[{{"index":0,"delta":{{"content":"{text}"}}}}],"usage":{{"prompt_tokens":5,"completion_tokens":{tokens},"total_tokens":{}}}}}"#,
            5 + tokens
        ))
    };
    let t = run(
        0,
        &[
            (10, with_usage("a", 1)),
            (70, with_usage("bcd", 4)),
            (100, with_usage("e", 5)),
            (100, "data: [DONE]\n\n".to_string()),
        ],
    );
    assert_eq!(t.ttft, Some(ms(10)));
    assert_eq!(t.itl, [ms(20), ms(20), ms(20), ms(30)]);
    assert_eq!(
        t.chunks
            .iter()
            .map(|c| (c.gap, c.tokens))
            .collect::<Vec<_>>(),
        [(ms(60), Some(3)), (ms(30), Some(1))]
    );
    // (100 − 10) / (5 − 1)
    assert_eq!(t.tpot(), Some(Duration::from_micros(22_500)));
    assert_eq!(t.output_tokens, Some(5));
    assert_eq!(t.content_deltas, 3);
}

#[test]
fn itl_follows_the_first_choice_only() {
    let two = |a: &str, b: &str| {
        event(&format!(
            r#"{{"choices":[{{"index":1,"delta":{{"content":"{b}"}}}},{{"index":0,"delta":{{"content":"{a}"}}}}]}}"#
        ))
    };
    let t = run(
        0,
        &[(5, two("x", "y")), (25, two("x", "y")), (60, two("x", "y"))],
    );
    assert_eq!(t.ttft, Some(ms(5)));
    assert_eq!(t.itl, [ms(20), ms(35)], "choice 1 sent content first");
    assert_eq!(t.content_deltas, 6);
    assert_eq!(t.e2e, Some(ms(60)), "truncated: the end of input");
}

#[test]
fn without_a_clock_there_is_no_timing() {
    let mut fold = Fold::new();
    fold.push(content("x").as_bytes()).for_each(drop);
    assert_eq!(fold.timing(), None);
}

#[test]
fn a_stopwatch_driven_by_hand_takes_the_times_it_is_given() {
    let role = event(r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#);
    let reads = [
        (3, role),
        (40, content("a") + &content("b")),
        (65, content("c") + "data: [DONE]\n\n"),
    ];
    let mut fold = Fold::new();
    let mut watch = Stopwatch::untimed();
    for (at, bytes) in &reads {
        let at = ms(*at);
        let before = fold.events_dispatched();
        watch.bytes(at, bytes.len());
        for item in fold.push(bytes.as_bytes()) {
            watch.observe(&item.unwrap(), at);
        }
        if fold.events_dispatched() > before {
            watch.payload(at);
        }
    }
    let t = watch.timing(fold.events_dispatched());
    assert_eq!(watch.now(), Duration::ZERO);
    assert_eq!(t.ttfb, Some(ms(3)));
    assert_eq!(t.first_payload, Some(ms(3)), "the role-only chunk");
    assert_eq!(t.ttft, Some(ms(40)));
    assert_eq!(t.itl, [ms(0), ms(25)], "a and b arrived in one read");
    assert_eq!(t.e2e, Some(ms(65)));
    assert_eq!(t.events, 5);
}
