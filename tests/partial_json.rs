//! Partial JSON of tool arguments (`streamfold::partial_json`), against
//! serde_json and a naive reference (`tests/oracle/partial_json.rs`):
//!
//! - random JSON values (nested arrays and objects, strings with every kind
//!   of character and escape, numbers of every JSON form, literals), written
//!   with random whitespace and random escaping, cut at random points and
//!   one character at a time: the ops rebuild what serde_json parses,
//!   through prefixes of it, equal to `partial_value` of the text so far,
//!   the same ops for every cutting;
//! - the same texts broken (cut short, bad escapes, lone surrogates, bad
//!   numbers, stray characters): the error offset is where the naive
//!   reference says the text stops being the beginning of any JSON text,
//!   and the ops stop exactly there;
//! - after each character, the value so far holds what the SDKs' snapshot
//!   (jiter's partial mode) holds, but for a number still at the end;
//! - hostile inputs: a 1 MB key, a deep path with thousands of one-byte
//!   appends, a 10 MB string one byte at a time, deep nesting, size limits.
//!
//! `PROPTEST_CASES=10000 cargo test --release --test partial_json` for a
//! longer run.

mod oracle;
mod support;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use streamfold::partial_json::{ErrorKind, Op, OpTarget, Ops, PartialJson};

use oracle::partial_json::{check, naive_error};
use support::Rng;

fn cases(n: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n)
}

/// A JSON value, numbers as their text.
#[derive(Debug, Clone)]
enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

fn character() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => select(vec!['a', 'b', 'z', 'A', '0', '9', ' ', '-', '_', '.', ':', ',', '{', ']']),
        2 => select(vec!['"', '\\', '/', '\u{0}', '\u{8}', '\t', '\n', '\u{c}', '\r', '\u{1f}', '\u{7f}']),
        2 => select(vec!['\u{e9}', '\u{df}', '\u{4e2d}', '\u{20ac}', '\u{ffff}', '\u{fffd}', '\u{d7ff}', '\u{e000}', '\u{2028}', '\u{feff}']),
        2 => select(vec!['\u{1F600}', '\u{1D11E}', '\u{10000}', '\u{10FFFF}']),
        1 => any::<char>(),
    ]
}

fn string() -> impl Strategy<Value = String> {
    vec(character(), 0..10).prop_map(|cs| cs.into_iter().collect())
}

fn digits(n: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    vec(0u8..10, n).prop_map(|ds| ds.iter().map(|d| char::from(b'0' + d)).collect())
}

/// Every form of JSON number: signs, zero, long integers (beyond 64 bits),
/// fractions, exponents with either letter and any sign.
fn number() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        digits(1..25),
        option::of(digits(1..6)),
        option::of((
            select(vec!["e", "E"]),
            select(vec!["", "+", "-"]),
            digits(1..3),
        )),
    )
        .prop_map(|(neg, int, frac, exp)| {
            let mut s = String::new();
            if neg {
                s.push('-');
            }
            // A leading zero stands alone.
            s.push_str(if int.starts_with('0') { "0" } else { &int });
            if let Some(f) = frac {
                s.push('.');
                s.push_str(&f);
            }
            if let Some((e, sign, d)) = exp {
                s.push_str(e);
                s.push_str(sign);
                s.push_str(&d);
            }
            s
        })
}

fn value() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        number().prop_map(J::Num),
        string().prop_map(J::Str),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(J::Arr),
            vec((string(), inner), 0..6).prop_map(|members| {
                // Distinct keys: a duplicate breaks the prefix promise (it
                // has tests of its own).
                let mut seen = std::collections::HashSet::new();
                J::Obj(
                    members
                        .into_iter()
                        .filter(|(k, _)| seen.insert(k.clone()))
                        .collect(),
                )
            }),
        ]
    })
}

/// Writes `j` with random whitespace and random escaping.
fn write(j: &J, rng: &mut Rng, out: &mut String) {
    space(rng, out);
    match j {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(t) => out.push_str(t),
        J::Str(s) => write_string(s, rng, out),
        J::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, rng, out);
            }
            space(rng, out);
            out.push(']');
        }
        J::Obj(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                space(rng, out);
                write_string(k, rng, out);
                space(rng, out);
                out.push(':');
                write(v, rng, out);
            }
            space(rng, out);
            out.push('}');
        }
    }
    space(rng, out);
}

fn space(rng: &mut Rng, out: &mut String) {
    if rng.range(0, 3) == 0 {
        out.push_str([" ", "\n", "\t", "\r", "  \r\n "][rng.range(0, 4)]);
    }
}

fn u_escape(unit: u32, rng: &mut Rng, out: &mut String) {
    out.push_str("\\u");
    for c in format!("{unit:04x}").chars() {
        out.push(if rng.range(0, 1) == 0 {
            c
        } else {
            c.to_ascii_uppercase()
        });
    }
}

/// A JSON string for `s`, each character written raw or escaped, at random
/// (control characters always escaped; astral characters escaped as
/// surrogate pairs).
fn write_string(s: &str, rng: &mut Rng, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        let escape = rng.range(0, 2) == 0;
        let short = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '/' => Some("\\/"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            _ => None,
        };
        let must = c < ' ' || c == '"' || c == '\\';
        match (short, escape || must) {
            (_, false) => out.push(c),
            (Some(e), true) if rng.range(0, 1) == 0 || c == '/' => out.push_str(e),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    u_escape(u32::from(*u), rng, out);
                }
            }
        }
    }
    out.push('"');
}

/// Random cut offsets (bytes; moved to character boundaries by the check).
fn cuts(len: usize, rng: &mut Rng) -> Vec<usize> {
    (0..rng.range(0, 6)).map(|_| rng.range(0, len)).collect()
}

/// Breaks a valid text: cut short, a stray or bad token inserted, a
/// character removed or replaced, trailing garbage.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let bounds: Vec<usize> = (0..=text.len())
        .filter(|&i| text.is_char_boundary(i))
        .collect();
    let at = bounds[rng.range(0, bounds.len() - 1)];
    let next = bounds.iter().copied().find(|&b| b > at).unwrap_or(at);
    let insert = [
        "\\x",
        "\\",
        "\\u12",
        "\\u00g0",
        "\\ud800",
        "\\udc00",
        "\\ud83d\\u0041",
        "\\ud83d\"",
        "\"",
        ",",
        ":",
        "]",
        "}",
        "[",
        "{",
        "01",
        "1.",
        "-",
        "1e",
        "1e+",
        "-x",
        ".5",
        "+1",
        "1e400",
        "-1e400",
        "x",
        "tru",
        "nul",
        "\u{1}",
        "\n",
        " ",
        "\u{feff}",
        "\u{e9}",
        "}}",
    ];
    let mut out = String::with_capacity(text.len() + 8);
    match rng.range(0, 4) {
        0 => out.push_str(&text[..at]),
        1 => {
            out.push_str(&text[..at]);
            out.push_str(insert[rng.range(0, insert.len() - 1)]);
            out.push_str(&text[at..]);
        }
        2 => {
            out.push_str(&text[..at]);
            out.push_str(&text[next..]);
        }
        3 => {
            out.push_str(&text[..at]);
            out.push_str(insert[rng.range(0, insert.len() - 1)]);
            out.push_str(&text[next..]);
        }
        _ => {
            out.push_str(text);
            out.push_str(["x", " 1", "{}", ",", "\"\"", "]"][rng.range(0, 5)]);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(512)))]

    #[test]
    fn random_values_rebuild_through_prefixes_whatever_the_cutting(j in value(), seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let mut text = String::new();
        write(&j, &mut rng, &mut text);
        prop_assert_eq!(naive_error(&text, 128), None, "{}", text);
        let cuts = cuts(text.len(), &mut rng);
        check(&text, &cuts, true);
    }

    #[test]
    fn broken_texts_stop_at_the_first_byte_no_json_text_can_have(j in value(), seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let mut text = String::new();
        write(&j, &mut rng, &mut text);
        for _ in 0..rng.range(1, 2) {
            text = mutate(&text, &mut rng);
        }
        let cuts = cuts(text.len(), &mut rng);
        check(&text, &cuts, true);
    }

    #[test]
    fn arbitrary_short_texts_agree_with_serde_json(text in "[\\[\\]{}\",:0-9.eE+\\-tfnrulsa\\\\ \u{e9}]{0,24}", seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let cuts = cuts(text.len(), &mut rng);
        check(&text, &cuts, true);
    }
}

/// Why `ours` does not hold everything `sdk` holds, if it does not: every
/// member and element of `sdk` present in `ours`, scalars equal, strings a
/// prefix of ours.
fn not_covered(ours: &serde_json::Value, sdk: &jiter::JsonValue<'_>) -> Option<String> {
    use jiter::JsonValue as S;
    use serde_json::Value as J;
    let number = |n: &serde_json::Number, v: f64| {
        let o = n.as_f64().unwrap();
        (o != v && (o - v).abs() > o.abs() * 1e-15).then(|| format!("{o} vs the SDK's {v}"))
    };
    match (ours, sdk) {
        (J::Null, S::Null) => None,
        (J::Bool(a), S::Bool(b)) if a == b => None,
        (J::Number(n), S::Int(i)) => number(n, *i as f64),
        (J::Number(n), S::Float(f)) => number(n, *f),
        (J::String(a), S::Str(b)) if a.starts_with(b.as_ref()) => None,
        (J::Array(a), S::Array(b)) if a.len() >= b.len() => {
            a.iter().zip(b.iter()).find_map(|(x, y)| not_covered(x, y))
        }
        (J::Object(a), S::Object(b)) => b.iter().find_map(|(k, v)| match a.get(k.as_ref()) {
            Some(x) => not_covered(x, v),
            None => Some(format!("member {k:?} missing")),
        }),
        (o, s) => Some(format!("{o} vs the SDK's {s:?}")),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    /// DESIGN: after any delta the value rebuilt so far holds every value the
    /// SDK's snapshot (jiter's partial mode, which openai-python and
    /// anthropic-python use) holds, with one exception the rules make: a
    /// number at the very end of the text so far, which the snapshot shows
    /// before it is known to be complete (`12` may become `123`), and the ops
    /// only once it is. So the snapshot of the text without its trailing
    /// number characters is compared.
    #[test]
    fn the_value_so_far_holds_what_the_sdk_snapshot_holds_but_an_unfinished_number(j in value(), seed in any::<u64>()) {
        use jiter::{JsonValue, PartialMode};
        let mut rng = Rng::new(seed);
        let mut text = String::new();
        write(&j, &mut rng, &mut text);
        let mut parser = PartialJson::new();
        let mut ops = Ops::new();
        let mut ours = serde_json::Value::Null;
        for (i, c) in text.char_indices() {
            let end = i + c.len_utf8();
            ops.clear();
            parser.push(&text[i..end], &mut ops).unwrap();
            ours.apply_all(&ops).unwrap();
            let cut = text[..end].trim_end_matches(|c: char| c.is_ascii_digit() || "+-.eE".contains(c));
            for mode in [PartialMode::On, PartialMode::TrailingStrings] {
                let Ok(sdk) = JsonValue::parse_with_config(cut.as_bytes(), false, mode) else {
                    continue;
                };
                if let Some(why) = not_covered(&ours, &sdk) {
                    panic!("after {:?} ({mode:?}): {why}", &text[..end]);
                }
            }
        }
    }
}

#[test]
fn the_naive_reference_agrees_with_serde_json_on_hand_picked_texts() {
    for (text, at) in [
        ("{\"a\":[1,2.5e-3,true,null,\"\\ud83d\\ude00\"]}", None),
        ("[1,]", Some(3)),
        ("\"\\udc00\"", Some(4)),
        ("\"\\ud800\\u0041\"", Some(9)),
        ("[1e400]", Some(1)),
        ("[1e400x]", Some(6)),
        ("01", Some(1)),
        ("{\"a\":1", Some(6)),
        ("", Some(0)),
    ] {
        assert_eq!(naive_error(text, 128), at, "{text}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(text).is_ok(),
            at.is_none(),
            "{text}"
        );
        check(text, &[1, 3], true);
    }
}

#[test]
fn duplicate_keys_rebuild_what_serde_json_keeps() {
    for text in [
        r#"{"a":1,"a":2}"#,
        r#"{"a":"long text","a":"x"}"#,
        r#"{"a":{"b":[1,2,3]},"c":0,"a":[]}"#,
        r#"[{"k":1,"k":{"k":2,"k":3}}]"#,
    ] {
        check(text, &[2, 9, 15], true);
    }
}

#[test]
fn regression_inputs_of_the_fuzz_target_pass() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/partial_json");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        oracle::targets::partial_json(&bytes);
    }
}

// Hostile inputs: correct results at sizes that would show quadratic work
// or unbounded memory (timing is the bench's job, memory `tests/alloc.rs`).

/// Pushes `text` in pieces of `n` bytes (at character boundaries), clearing
/// the ops after each push; returns the total appended text length and the
/// number of ops.
fn stream_in_pieces(parser: &mut PartialJson, text: &str, n: usize) -> (usize, usize) {
    let mut ops = Ops::new();
    let (mut appended, mut count) = (0, 0);
    let mut from = 0;
    while from < text.len() {
        let mut to = (from + n).min(text.len());
        while !text.is_char_boundary(to) {
            to += 1;
        }
        ops.clear();
        parser.push(&text[from..to], &mut ops).unwrap();
        count += ops.len();
        for op in ops.iter() {
            if let Op::Append { text, .. } = op {
                appended += text.len();
            }
        }
        from = to;
    }
    (appended, count)
}

#[test]
fn a_ten_megabyte_string_one_byte_at_a_time_is_appended_byte_for_byte() {
    let content = "abcdefghij".repeat(1 << 20);
    let text = format!("{{\"content\":\"{content}\"}}");
    let mut parser = PartialJson::new();
    let (appended, ops) = stream_in_pieces(&mut parser, &text, 1);
    assert_eq!(appended, content.len());
    assert_eq!(ops, 2 + content.len());
    parser.finish(&mut Ops::new()).unwrap();
}

#[test]
fn a_megabyte_key_is_read_once_and_names_its_value() {
    let key = "k\u{e9}\\n".repeat(1 << 18);
    let text = format!("{{\"{key}\":\"{}\"}}", "v".repeat(10_000));
    let mut parser = PartialJson::new();
    let mut ops = Ops::new();
    let mut value = serde_json::Value::Null;
    for piece in
        oracle::partial_json::cut_text(&text, &(1..text.len()).step_by(7).collect::<Vec<_>>())
    {
        ops.clear();
        parser.push(piece, &mut ops).unwrap();
        value.apply_all(&ops).unwrap();
    }
    parser.finish(&mut ops).unwrap();
    assert_eq!(
        value,
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    );
}

#[test]
fn a_deep_path_with_thousands_of_one_byte_appends_rebuilds_the_value() {
    let depth = 127;
    let open: String = (0..depth)
        .map(|i| {
            if i % 2 == 0 {
                "{\"key\":".to_string()
            } else {
                "[0,".to_string()
            }
        })
        .collect();
    let close: String = (0..depth)
        .rev()
        .map(|i| if i % 2 == 0 { "}" } else { "]" })
        .collect();
    let text = format!("{open}\"{}\"{close}", "x\u{1F600}".repeat(5000));
    let mut parser = PartialJson::new();
    let mut ops = Ops::new();
    let mut value = serde_json::Value::Null;
    for (i, c) in text.char_indices() {
        ops.clear();
        parser.push(&text[i..i + c.len_utf8()], &mut ops).unwrap();
        value.apply_all(&ops).unwrap();
    }
    parser.finish(&mut ops).unwrap();
    assert_eq!(
        value,
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    );
}

#[test]
fn hostile_nesting_is_a_depth_error_with_its_offset_not_a_stack_overflow() {
    let text = "[{\"a\":".repeat(200_000);
    let mut ops = Ops::new();
    let err = PartialJson::new().push(&text, &mut ops).unwrap_err();
    assert_eq!((err.kind(), err.offset()), (ErrorKind::TooDeep, 64 * 6));
    assert_eq!(ops.len(), 128);
    let mut value = serde_json::Value::Null;
    value.apply_all(&ops).unwrap();
}

#[test]
fn the_size_limit_stops_a_text_at_its_offset_across_pushes() {
    let mut parser = PartialJson::with_limits(8, 1000);
    let mut ops = Ops::new();
    parser.push("[\"", &mut ops).unwrap();
    let mut err = None;
    for _ in 0..200 {
        if let Err(e) = parser.push("abcdefg", &mut ops) {
            err = Some(e);
            break;
        }
    }
    let err = err.expect("the limit is reached");
    assert_eq!((err.kind(), err.offset()), (ErrorKind::TooLarge, 1000));
    let appended: usize = ops
        .iter()
        .map(|op| match op {
            Op::Append { text, .. } => text.len(),
            Op::Set { .. } => 0,
        })
        .sum();
    assert_eq!(appended, 998);
}
