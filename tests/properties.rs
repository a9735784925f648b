//! Property tests: the fuzz targets' properties (`fuzz/`), on stable, in the
//! ordinary test suite.
//!
//! * The SSE layer gives the same items, errors and end in any chunking, on
//!   arbitrary bytes and on SSE-like text, with default and with tiny limits;
//!   and it agrees with a naive parser written from the WHATWG spec
//!   (`oracle/naive_sse.rs`).
//! * The whole pipeline (SSE → OpenAI chat → fold) gives the same outcome in
//!   any chunking, on arbitrary bytes, on mutated recorded streams, and on
//!   generated chunk streams (`oracle/gen.rs`), whose outcome must also keep
//!   the fold's invariants and match the stream's model (`oracle/check.rs`).
//! * Generated streams of the other formats (`oracle/formats.rs`: Responses,
//!   Anthropic Messages, Gemini, legacy completions, Ollama) give the same
//!   events and final object in any chunking, detected or forced, and their
//!   events agree with the final object and with what was sent.
//! * A payload is a JSON error exactly when serde_json rejects it.
//!
//! Failures found by the fuzzers are kept as regression cases at the end.

mod oracle;
mod support;

use arbitrary::Unstructured;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use streamfold::{ErrorKind, Format, Limits};

use oracle::check::{adapter, fold_invariants, lengths, structured};
use oracle::gen::{self, Stream, J};
use oracle::{assert_matches_naive, cut_at, json_differential, sse_record};
use support::{chat, data_dir, fold_using};

/// `n` cases, or as many as `PROPTEST_CASES` says (for longer runs:
/// `PROPTEST_CASES=100000 cargo test --release --test properties`).
fn cases(n: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n)
}

/// The SSE records of `input` whole, one byte at a time and cut at
/// `offsets`, asserted equal.
fn sse_every_way(
    input: &[u8],
    offsets: &[usize],
    event: usize,
    line: usize,
) -> Vec<oracle::SseRecord> {
    let whole = sse_record([input], event, line);
    let bytewise = sse_record(input.chunks(1), event, line);
    assert_eq!(bytewise, whole, "one byte at a time vs whole");
    let cut = sse_record(cut_at(input, offsets), event, line);
    assert_eq!(cut, whole, "cut at {offsets:?} vs whole");
    whole
}

/// Folds `input` whole, one byte at a time and cut at `offsets`; all must
/// agree and keep the invariants.
fn fold_every_way(input: &[u8], offsets: &[usize], limits: Limits) {
    let whole = fold_using(input, &[input.len()], chat(limits));
    let bytewise = fold_using(input, &vec![1; input.len()], chat(limits));
    assert!(
        bytewise == whole,
        "one byte at a time:\n{bytewise:#?}\nvs whole:\n{whole:#?}"
    );
    let cut = fold_using(input, &lengths(input.len(), offsets), chat(limits));
    assert!(
        cut == whole,
        "cut at {offsets:?}:\n{cut:#?}\nvs whole:\n{whole:#?}"
    );
    fold_invariants(&whole);
    adapter(input, &lengths(input.len(), offsets), limits);
}

/// One line of SSE-like text: a field name (known, near-known or empty), a
/// colon with 0–2 spaces or none, a value of awkward pieces (colons, spaces,
/// digits, NUL, BOMs, invalid UTF-8), and a line end (LF, CR or CRLF); or a
/// blank line.
fn sse_line() -> impl Strategy<Value = Vec<u8>> {
    const NAMES: &[&str] = &[
        "data",
        "data",
        "data",
        "event",
        "id",
        "retry",
        "",
        "dat",
        "datum",
        "Data",
        "data ",
        "x",
        "\u{FEFF}data",
    ];
    const SEPARATORS: &[&str] = &["", ":", ": ", ":  ", ": ", ":"];
    const PIECES: &[&[u8]] = &[
        b"a",
        b" ",
        b":",
        b"0",
        b"7",
        b"{}",
        "é".as_bytes(),
        "😀".as_bytes(),
        b"\xFF",
        b"\xC3",
        b"\xE2\x82",
        b"\0",
        b"\xEF\xBB\xBF",
        b"\xEF\xBB",
        b"[DONE]",
    ];
    const EOLS: &[&[u8]] = &[b"\n", b"\r", b"\r\n"];
    let value = vec(select(PIECES), 0..6).prop_map(|p| p.concat());
    prop_oneof![
        4 => (select(NAMES), select(SEPARATORS), value, select(EOLS))
            .prop_map(|(n, s, v, e)| [n.as_bytes(), s.as_bytes(), &v, e].concat()),
        1 => select(EOLS).prop_map(<[u8]>::to_vec),
    ]
}

/// SSE-like text: an optional (partial, doubled) BOM, lines, and maybe an
/// unterminated last line.
fn sse_text() -> impl Strategy<Value = Vec<u8>> {
    const BOMS: &[&[u8]] = &[
        b"",
        b"",
        b"\xEF\xBB\xBF",
        b"\xEF\xBB\xBF\xEF\xBB\xBF",
        b"\xEF\xBB",
        b"\xEF",
    ];
    const TAILS: &[&[u8]] = &[
        b"",
        b"",
        b"data: cut",
        b": comment",
        b"id: 9",
        b"retry: 5",
        b"\r",
    ];
    (select(BOMS), vec(sse_line(), 0..24), select(TAILS))
        .prop_map(|(b, lines, t)| [b, &lines.concat(), t].concat())
}

/// Generated chat streams (`oracle/gen.rs`), driven by up to `max` bytes
/// that proptest shrinks toward zeros, which the generator reads as the
/// plainest choices.
fn streams(max: usize) -> impl Strategy<Value = Stream> {
    vec(any::<u8>(), 0..max).prop_map(|tape| gen::stream(&mut Unstructured::new(&tape)).unwrap())
}

/// Generated chunk objects, now and then hostile (wrong types, bad
/// indices, invalid strings).
fn chunks() -> impl Strategy<Value = J> {
    vec(any::<u8>(), 0..600)
        .prop_map(|tape| gen::chunk_with(&mut Unstructured::new(&tape), 1).unwrap())
}

fn offsets() -> impl Strategy<Value = Vec<usize>> {
    vec(any::<usize>(), 0..6)
}

/// Small recorded streams (the fold's seeds), to mutate.
fn recorded() -> Vec<Vec<u8>> {
    let dir = data_dir().join("corpus/openai-chat");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sse"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .filter(|b| b.len() <= 8 << 10)
        .collect()
}

/// A mutation of a byte string: (position, what to do, byte).
type Mutation = (usize, u8, u8);

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for &(pos, op, byte) in mutations {
        let at = pos % (bytes.len() + 1);
        match op % 4 {
            0 => bytes.insert(at, byte),
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            2 if at < bytes.len() => bytes[at] = byte,
            _ => {
                // Insert a byte that matters to one of the layers.
                let special = b"\n\r:\"\\{}[],0 ";
                bytes.insert(at, special[byte as usize % special.len()]);
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(1024)))]

    #[test]
    fn sse_items_do_not_depend_on_chunking_of_arbitrary_bytes(
        input in vec(any::<u8>(), 0..400),
        cuts in offsets(),
    ) {
        sse_every_way(&input, &cuts, usize::MAX, usize::MAX);
    }

    #[test]
    fn sse_items_do_not_depend_on_chunking_of_sse_like_text(
        input in sse_text(),
        cuts in offsets(),
    ) {
        sse_every_way(&input, &cuts, usize::MAX, usize::MAX);
    }

    #[test]
    fn sse_limit_errors_do_not_depend_on_chunking(
        input in prop_oneof![sse_text(), vec(any::<u8>(), 0..200)],
        cuts in offsets(),
        max_event in 0usize..40,
        max_line in 0usize..40,
    ) {
        sse_every_way(&input, &cuts, max_event, max_line);
    }

    #[test]
    fn sse_parser_agrees_with_the_naive_spec_parser(input in sse_text(), cuts in offsets()) {
        let records = sse_every_way(&input, &cuts, usize::MAX, usize::MAX);
        assert_matches_naive(&input, &records);
    }

    #[test]
    fn sse_parser_agrees_with_the_naive_spec_parser_on_arbitrary_bytes(
        input in vec(prop_oneof![any::<u8>(), select(&b"\r\n:data "[..])], 0..300),
    ) {
        assert_matches_naive(&input, &sse_record([&input[..]], usize::MAX, usize::MAX));
    }

    #[test]
    fn fold_outcome_does_not_depend_on_chunking_of_arbitrary_bytes(
        input in vec(any::<u8>(), 0..300),
        cuts in offsets(),
    ) {
        fold_every_way(&input, &cuts, Limits::default());
    }

    #[test]
    fn fold_outcome_does_not_depend_on_chunking_of_sse_like_text(
        input in sse_text(),
        cuts in offsets(),
    ) {
        fold_every_way(&input, &cuts, Limits::default());
    }

    #[test]
    fn generated_streams_fold_the_same_in_any_chunking_and_keep_the_invariants(
        stream in streams(3000),
        cuts in offsets(),
    ) {
        structured(&stream, &cuts);
    }

    #[test]
    fn generated_streams_of_every_format_fold_the_same_in_any_chunking_and_agree(
        tape in vec(any::<u8>(), 0..3000),
        which in 1usize..Format::ALL.len(),
        cuts in offsets(),
    ) {
        let format = Format::ALL[which];
        let stream = oracle::formats::stream(&mut Unstructured::new(&tape), format).unwrap();
        let cuts = lengths(stream.bytes.len(), &cuts);
        oracle::formats::structured(&stream, &cuts);
    }

    #[test]
    fn generated_streams_under_small_limits_fold_the_same_in_any_chunking(
        stream in streams(2000),
        cuts in offsets(),
        limits in (1usize..300, 1usize..60, 1usize..4, 1usize..4, 1usize..12, any::<u32>()),
    ) {
        let limits = Limits::default().max_event_bytes(limits.0).max_line_bytes(limits.1).max_choices(limits.2).max_tool_calls(limits.3).max_depth(limits.4).max_index(limits.5);
        fold_every_way(&stream.to_sse(), &cuts, limits);
    }

    #[test]
    fn payloads_are_json_errors_exactly_when_serde_json_rejects_them(
        chunk in chunks(),
        mutations in vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..3),
    ) {
        let (json, _) = oracle::gen::write_json(&chunk, false);
        json_differential(&mutate(json, &mutations));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(128)))]

    #[test]
    fn mutated_recorded_streams_fold_the_same_in_any_chunking(
        (file, mutations) in (select(recorded()), vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..4)),
        cuts in offsets(),
    ) {
        let input = mutate(file, &mutations);
        let whole = fold_using(&input, &[input.len()], chat(Limits::default()));
        let cut = fold_using(&input, &lengths(input.len(), &cuts), chat(Limits::default()));
        assert!(cut == whole, "cut at {cuts:?}:\n{cut:#?}\nvs whole:\n{whole:#?}");
        fold_invariants(&whole);
    }
}

// ---------------------------------------------------------------------------
// Regressions: inputs the fuzzers found (also in fuzz/regressions/).

/// Runs every regression file of a target through its check.
fn regressions(target: &str, check: impl Fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        check(&bytes);
    }
}

#[test]
fn a_json_error_is_reported_for_what_serde_json_rejects() {
    // Sanity of the differential itself.
    let mut fold = chat(Limits::default());
    let err = fold
        .push(b"data: {\"a\":}\n\n")
        .find_map(Result::err)
        .expect("an error");
    assert!(matches!(err.kind(), ErrorKind::Json { .. }));
    json_differential(b"{\"a\":}");
    json_differential(b"{\"choices\":[]}");
    json_differential(b"[DONE]");
    json_differential(b"   ");
}

/// Bug: data of a form feed (or any ASCII whitespace JSON does not allow)
/// was skipped as blank instead of reported as a JSON error.
#[test]
fn data_of_whitespace_json_does_not_allow_is_a_json_error() {
    for payload in [&b"\x0c"[..], b" \x0c ", b"\x0c{}", b"{}\x0c"] {
        json_differential(payload);
    }
    let mut fold = chat(Limits::default());
    let err = fold
        .push(b"data: \x0c\n\n")
        .find_map(Result::err)
        .expect("an error");
    assert!(matches!(err.kind(), ErrorKind::Json { .. }), "{err}");
    assert_eq!(err.offset(), 6, "{err}");
}

#[test]
fn regression_inputs_of_the_fuzz_targets_pass() {
    regressions("sse_split", oracle::targets::sse_split);
    regressions("fold_split", oracle::targets::fold_split);
    regressions("structured", oracle::targets::structured);
    regressions("json_differential", oracle::targets::json_differential);
}

/// Bug: an `index` above `max_index` is reported as a limit error even when
/// the payload turns out not to be JSON further on (shape errors defer to the
/// JSON error; the index limit does not). serde_json rejects this payload
/// (trailing comma), so the error must be of the JSON kind, at the `}` after
/// the comma. Found by `payloads_are_json_errors_exactly_when_serde_json_rejects_them`.
#[test]
fn an_index_over_the_limit_in_a_malformed_payload_is_a_json_error() {
    let body = b"data: {\"choices\":[{\"index\":4294967296}],}\n\n";
    let mut fold = chat(Limits::default());
    let err = fold
        .push(body)
        .find_map(Result::err)
        .expect("the payload is malformed");
    assert!(
        matches!(err.kind(), ErrorKind::Json { .. }),
        "expected a JSON error, got {:?}",
        err.kind()
    );
    assert_eq!(err.offset(), 40, "the `}}` after the trailing comma");
    assert_eq!(err.event_index(), 0);
}

/// Bug: positions in an event's data are counted after invalid UTF-8 was
/// replaced by U+FFFD (3 bytes for each bad byte), so an error after
/// replaced bytes points past them, even past the end of the stream. Here
/// the JSON ends inside a string at byte 11 (the line end) of a 13-byte
/// stream; the error said byte 19. Found by the `fold_split` target
/// (`fuzz/regressions/fold_split/offset-past-end-after-invalid-utf8`).
#[test]
fn an_error_after_invalid_utf8_points_at_the_stream_byte() {
    let body = b"data: \"\xff\xff\xff\xff\n\n";
    let mut fold = chat(Limits::default());
    let err = fold
        .push(body)
        .find_map(Result::err)
        .expect("the string is not closed");
    assert!(matches!(err.kind(), ErrorKind::Json { .. }), "{err:?}");
    assert!(
        err.offset() <= body.len() as u64,
        "error at byte {}, past the end of a {}-byte stream",
        err.offset(),
        body.len()
    );
    assert_eq!(err.offset(), 11, "the end of the data");
}
