//! The rules of the op stream, one test each. Expected ops are written from
//! the rules in the module docs; expected values come from serde_json.

use std::sync::Arc;

use super::ops::Seg;
use super::*;
use crate::Value;

/// An op in a short form: `set ["a",0] 1`, `append ["a"] "x"`.
fn show(op: Op<'_>) -> String {
    let path = serde_json::to_string(&op.path()).unwrap();
    match op {
        Op::Set { value, .. } => format!("set {path} {}", serde_json::to_string(&value).unwrap()),
        Op::Append { text, .. } => {
            format!("append {path} {}", serde_json::to_string(text).unwrap())
        }
    }
}

/// Ops with adjacent appends to one path joined (the form split invariance
/// is stated in).
fn joined(ops: &Ops) -> Vec<String> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for op in ops.iter() {
        if let Op::Append { path, text } = op {
            let p = serde_json::to_string(&path).unwrap();
            if let Some((last_p, Some(t))) = out.last_mut() {
                if *last_p == p {
                    t.push_str(text);
                    continue;
                }
            }
            out.push((p, Some(text.to_owned())));
        } else {
            out.push((show(op), None));
        }
    }
    out.into_iter()
        .map(|(p, t)| match t {
            Some(t) => format!("append {p} {}", serde_json::to_string(&t).unwrap()),
            None => p,
        })
        .collect()
}

/// Pushes `fragments` then finishes; the ops of each push, and the error.
fn feed(fragments: &[&str]) -> (Vec<Vec<String>>, Option<(u64, ErrorKind)>) {
    let mut parser = PartialJson::new();
    let mut ops = Ops::new();
    let mut per_push = Vec::new();
    let mut error = None;
    for f in fragments {
        ops.clear();
        let r = parser.push(f, &mut ops);
        per_push.push(ops.iter().map(show).collect());
        if let Err(e) = r {
            error = Some((e.offset(), e.kind()));
            break;
        }
    }
    if error.is_none() {
        ops.clear();
        if let Err(e) = parser.finish(&mut ops) {
            error = Some((e.offset(), e.kind()));
        }
        per_push.push(ops.iter().map(show).collect());
    }
    (per_push, error)
}

/// All ops of `text` pushed whole, then finished; the error if any.
fn whole(text: &str) -> (Ops, Option<(u64, ErrorKind)>) {
    let mut parser = PartialJson::new();
    let mut ops = Ops::new();
    let r = parser
        .push(text, &mut ops)
        .and_then(|()| parser.finish(&mut ops));
    (ops, r.err().map(|e| (e.offset(), e.kind())))
}

/// Every way to cut `text` in two, and one character at a time: the same
/// joined ops and error as whole.
fn assert_split_invariant(text: &str) {
    let (ops, err) = whole(text);
    let expected = joined(&ops);
    let mut cuts: Vec<Vec<usize>> = (0..=text.len())
        .filter(|&c| text.is_char_boundary(c))
        .map(|c| vec![c])
        .collect();
    cuts.push(text.char_indices().map(|(i, _)| i).collect());
    for cut in cuts {
        let mut parser = PartialJson::new();
        let mut ops = Ops::new();
        let mut from = 0;
        let mut r = Ok(());
        for &c in cut.iter().chain([text.len()].iter()) {
            r = r.and_then(|()| parser.push(&text[from..c], &mut ops));
            from = c;
        }
        let r = r.and_then(|()| parser.finish(&mut ops));
        assert_eq!(joined(&ops), expected, "{text:?} cut at {cut:?}");
        assert_eq!(
            r.err().map(|e| (e.offset(), e.kind())),
            err,
            "{text:?} cut at {cut:?}"
        );
    }
}

fn serde(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

fn rebuilt(text: &str) -> serde_json::Value {
    let (ops, err) = whole(text);
    assert_eq!(err, None, "{text:?}");
    let mut v = serde_json::Value::Null;
    v.apply_all(&ops).unwrap();
    v
}

#[test]
fn a_string_is_set_empty_then_appended_as_it_arrives() {
    let (ops, err) = feed(&["\"ab", "cd", "\""]);
    assert_eq!(err, None);
    assert_eq!(
        ops,
        [
            vec![r#"set [] """#, r#"append [] "ab""#],
            vec![r#"append [] "cd""#],
            vec![],
            vec![],
        ]
    );
}

#[test]
fn an_unfinished_string_is_never_held_back() {
    let (ops, err) = feed(&["{\"content\":\"partial fi"]);
    assert_eq!(err, Some((22, ErrorKind::UnexpectedEnd)));
    assert_eq!(
        ops[0],
        [
            "set [] {}",
            r#"set ["content"] """#,
            r#"append ["content"] "partial fi""#
        ]
    );
    let v = partial_value("{\"content\":\"partial fi").unwrap();
    assert_eq!(v.get("content").and_then(Value::as_str), Some("partial fi"));
}

#[test]
fn an_escape_split_across_fragments_is_appended_once_complete() {
    let (ops, _) = feed(&["\"a\\", "nb\\", "\\", "\""]);
    assert_eq!(
        ops,
        [
            vec![r#"set [] """#, r#"append [] "a""#],
            vec![r#"append [] "\nb""#],
            vec![r#"append [] "\\""#],
            vec![],
            vec![],
        ]
    );
}

#[test]
fn a_unicode_escape_split_anywhere_is_one_character() {
    for cut in 1..6 {
        let esc = "\\u00e9";
        let (ops, err) = feed(&["\"", &esc[..cut], &esc[cut..], "\""]);
        assert_eq!(err, None);
        let all: Vec<String> = ops.concat();
        assert_eq!(all, [r#"set [] """#, "append [] \"\u{e9}\""], "cut {cut}");
    }
}

#[test]
fn a_surrogate_pair_split_between_its_escapes_is_one_character() {
    let (ops, err) = feed(&["[\"x\\ud83d", "\\ude00y\"]"]);
    assert_eq!(err, None);
    assert_eq!(
        ops,
        [
            vec!["set [] []", r#"set [0] """#, r#"append [0] "x""#],
            vec!["append [0] \"\u{1F600}y\""],
            vec![],
        ]
    );
    assert_split_invariant("[\"x\\ud83d\\ude00y\\uD83D\\uDE00\"]");
    assert_eq!(rebuilt("\"\\ud83d\\ude00\""), serde("\"\\ud83d\\ude00\""));
}

#[test]
fn a_lone_high_surrogate_is_an_error_at_the_byte_after_it() {
    // Each is rejected by serde_json too.
    for (text, offset) in [
        ("\"\\ud800\"", 7),
        ("\"\\ud800x\"", 7),
        ("\"\\ud800\\n\"", 8),
        ("\"\\ud800\\u0041\"", 9),
        ("\"\\ud800\\ud800\"", 10),
    ] {
        assert!(serde_json::from_str::<serde_json::Value>(text).is_err());
        assert_eq!(
            whole(text).1,
            Some((offset, ErrorKind::LoneSurrogate)),
            "{text}"
        );
    }
}

#[test]
fn a_lone_low_surrogate_is_an_error_at_its_second_hex_digit() {
    assert!(serde_json::from_str::<serde_json::Value>("\"\\udc00\"").is_err());
    assert_eq!(whole("\"\\udc00\"").1, Some((4, ErrorKind::LoneSurrogate)));
    assert_eq!(whole("\"\\uDFff\"").1, Some((4, ErrorKind::LoneSurrogate)));
    // U+D7FF and U+E000 are characters.
    assert_eq!(rebuilt("\"\\ud7ff\\ue000\""), serde("\"\\ud7ff\\ue000\""));
}

#[test]
fn a_bad_escape_is_an_error_at_its_letter() {
    assert_eq!(whole("\"ab\\x\"").1, Some((4, ErrorKind::InvalidEscape)));
    assert_eq!(whole("\"\\u12g4\"").1, Some((5, ErrorKind::InvalidEscape)));
    assert_eq!(whole("{\"k\\q\":1}").1, Some((4, ErrorKind::InvalidEscape)));
}

#[test]
fn a_control_character_in_a_string_is_an_error() {
    let (ops, err) = feed(&["\"ab\ncd\""]);
    assert_eq!(err, Some((3, ErrorKind::ControlCharacter)));
    assert_eq!(ops[0], [r#"set [] """#, r#"append [] "ab""#]);
    // DEL is not a control character for JSON.
    assert_eq!(rebuilt("\"\u{7f}\""), serde("\"\u{7f}\""));
}

#[test]
fn every_escape_decodes_as_serde_json_decodes_it() {
    let text = r#""\"\\\/\b\f\n\r\t\u0000\u001f\u00e9\u20AC\ud834\udd1e""#;
    assert_eq!(rebuilt(text), serde(text));
    assert_split_invariant(text);
}

#[test]
fn a_number_is_set_only_when_the_byte_after_it_arrives() {
    let (ops, err) = feed(&["[12", "3", ",4", "5 ", "]"]);
    assert_eq!(err, None);
    assert_eq!(
        ops,
        [
            vec!["set [] []"],
            vec![],
            vec!["set [0] 123"],
            vec!["set [1] 45"],
            vec![],
            vec![],
        ]
    );
    let (ops, _) = feed(&["{\"a\":-0.5e+3", "}"]);
    assert_eq!(ops[1], [r#"set ["a"] -500.0"#]);
}

#[test]
fn a_number_at_the_root_is_set_at_finish() {
    let (ops, err) = feed(&["4", "2"]);
    assert_eq!(err, None);
    assert_eq!(ops, [vec![], vec![], vec!["set [] 42"]]);
    let (ops, _) = feed(&["42 "]);
    assert_eq!(ops[0], ["set [] 42"]);
}

#[test]
fn every_form_of_number_is_read_as_serde_json_reads_it() {
    for n in [
        "0",
        "-0",
        "7",
        "-12",
        "1.5",
        "-0.0",
        "1e5",
        "1E+5",
        "1e-5",
        "-2.5E-3",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "123456789012345678901234567890",
        "1e-400",
        "0e99999999999999999999",
        "1.7976931348623157e308",
    ] {
        let text = format!("[{n}]");
        assert_eq!(rebuilt(&text), serde(&text), "{n}");
        assert_eq!(rebuilt(n), serde(n), "{n}");
        assert_split_invariant(&text);
    }
}

#[test]
fn bad_numbers_are_errors_at_the_first_byte_that_cannot_continue_them() {
    for (text, err) in [
        ("01", (1, ErrorKind::InvalidNumber)),
        ("[-01]", (3, ErrorKind::InvalidNumber)),
        ("1.", (2, ErrorKind::UnexpectedEnd)),
        ("[1.]", (3, ErrorKind::InvalidNumber)),
        ("-", (1, ErrorKind::UnexpectedEnd)),
        ("[-]", (2, ErrorKind::InvalidNumber)),
        ("-a", (1, ErrorKind::InvalidNumber)),
        ("1e", (2, ErrorKind::UnexpectedEnd)),
        ("[1e]", (3, ErrorKind::InvalidNumber)),
        ("[1e+]", (4, ErrorKind::InvalidNumber)),
        ("[1.e5]", (3, ErrorKind::InvalidNumber)),
        (".5", (0, ErrorKind::ExpectedValue)),
        ("+1", (0, ErrorKind::ExpectedValue)),
        ("[1x]", (2, ErrorKind::ExpectedCommaOrArrayEnd)),
        ("12a", (2, ErrorKind::TrailingCharacters)),
    ] {
        assert!(
            serde_json::from_str::<serde_json::Value>(text).is_err(),
            "{text}"
        );
        assert_eq!(whole(text).1, Some(err), "{text}");
        assert_split_invariant(text);
    }
}

#[test]
fn a_number_out_of_range_is_an_error_at_its_first_byte() {
    let huge = format!("[1,{}0]", "1".repeat(400));
    for (text, offset) in [
        ("[1e400]", 1),
        ("{\"a\": -1e400 }", 6),
        ("1.7976931348623159e308", 0),
        (huge.as_str(), 3),
    ] {
        assert!(
            serde_json::from_str::<serde_json::Value>(text).is_err(),
            "{text}"
        );
        assert_eq!(
            whole(text).1,
            Some((offset, ErrorKind::NumberOutOfRange)),
            "{text}"
        );
    }
}

#[test]
fn a_number_followed_by_a_byte_the_container_refuses_is_not_set() {
    let (ops, err) = feed(&["[1}"]);
    assert_eq!(err, Some((2, ErrorKind::ExpectedCommaOrArrayEnd)));
    assert_eq!(ops[0], ["set [] []"]);
    let (ops, err) = feed(&["[1 }"]);
    assert_eq!(err, Some((3, ErrorKind::ExpectedCommaOrArrayEnd)));
    assert_eq!(ops[0], ["set [] []", "set [0] 1"]);
    let (ops, err) = feed(&["{\"a\":1]"]);
    assert_eq!(err, Some((6, ErrorKind::ExpectedCommaOrObjectEnd)));
    assert_eq!(ops[0], ["set [] {}"]);
}

#[test]
fn literals_are_set_at_their_last_letter() {
    let (ops, err) = feed(&["[tr", "ue", ",fals", "e,n", "ull]"]);
    assert_eq!(err, None);
    assert_eq!(
        ops,
        [
            vec!["set [] []"],
            vec!["set [0] true"],
            vec![],
            vec!["set [1] false"],
            vec!["set [2] null"],
            vec![],
        ]
    );
    assert_eq!(whole("[trux]").1, Some((4, ErrorKind::InvalidLiteral)));
    assert_eq!(whole("nul").1, Some((3, ErrorKind::UnexpectedEnd)));
    assert_eq!(whole("truex").1, Some((4, ErrorKind::TrailingCharacters)));
}

#[test]
fn a_key_is_never_partially_visible() {
    let (ops, err) = feed(&["{\"na", "me\\u00e9", "\"", ":", " \"x\"}"]);
    assert_eq!(err, None);
    assert_eq!(
        ops,
        [
            vec!["set [] {}"],
            vec![],
            vec![],
            vec![],
            vec!["set [\"name\u{e9}\"] \"\"", "append [\"name\u{e9}\"] \"x\""],
            vec![],
        ]
    );
}

#[test]
fn a_member_with_a_string_or_container_value_is_set_when_the_value_starts() {
    let (ops, _) = feed(&["{\"s\":\"", "\",\"o\":{", "},\"a\":[", "]}"]);
    assert_eq!(
        ops,
        [
            vec!["set [] {}", r#"set ["s"] """#],
            vec![r#"set ["o"] {}"#],
            vec![r#"set ["a"] []"#],
            vec![],
            vec![],
        ]
    );
}

#[test]
fn array_elements_are_set_at_successive_indices() {
    let (ops, err) = whole("[[\"a\",{\"b\":[null,[]]}],2]");
    assert_eq!(err, None);
    assert_eq!(
        ops.iter().map(show).collect::<Vec<_>>(),
        [
            "set [] []",
            "set [0] []",
            r#"set [0,0] """#,
            r#"append [0,0] "a""#,
            "set [0,1] {}",
            r#"set [0,1,"b"] []"#,
            r#"set [0,1,"b",0] null"#,
            r#"set [0,1,"b",1] []"#,
            "set [1] 2",
        ]
    );
}

#[test]
fn duplicate_keys_replace_the_earlier_value_as_serde_json_does() {
    let text = r#"{"a":"first","b":1,"a":{"x":[1]},"a":"last"}"#;
    let (ops, err) = whole(text);
    assert_eq!(err, None);
    let shown: Vec<String> = ops.iter().map(show).collect();
    assert_eq!(
        shown
            .iter()
            .filter(|s| s.starts_with(r#"set ["a"] "#))
            .count(),
        3
    );
    assert_eq!(rebuilt(text), serde(text));
    assert_eq!(
        partial_value(text),
        Some(r#"{"a":"last","b":1}"#.parse().unwrap())
    );
}

#[test]
fn applying_the_ops_rebuilds_what_serde_json_parses() {
    for text in [
        "{}",
        "[]",
        "\"\"",
        "null",
        " { \"a\" : [ 1 , 2.5 , -3e2 , true , false , null , \"s\" , { } , [ ] ] } ",
        "{\"path\":\"a.txt\",\"content\":\"line\\n\\t\\\"q\\\" \u{e9}\u{1F600} \\u00e9\\ud83d\\ude00\"}",
        "[[[[[[[[[[\"deep\"]]]]]]]]]]",
        "{\"\":{\"\":[\"\",{\"\":\"\"}]}}",
        "\t\n\r 7 \t\n\r",
    ] {
        assert_eq!(rebuilt(text), serde(text), "{text}");
        assert_split_invariant(text);
        let mut own = Value::Null;
        own.apply_all(&whole(text).0).unwrap();
        assert_eq!(own, text.trim().parse::<Value>().unwrap(), "{text}");
    }
}

#[test]
fn a_whole_call_gets_all_its_ops_from_one_push() {
    let text = "{\"a\":[1,{\"b\":\"c\"}],\"d\":true}";
    let mut parser = PartialJson::new();
    let mut ops = Ops::new();
    parser.push(text, &mut ops).unwrap();
    assert!(parser.is_complete());
    let n = ops.len();
    parser.finish(&mut ops).unwrap();
    assert_eq!(ops.len(), n);
    let mut v = serde_json::Value::Null;
    v.apply_all(&ops).unwrap();
    assert_eq!(v, serde(text));
}

#[test]
fn trailing_characters_are_an_error_at_their_first_byte() {
    assert_eq!(whole("{} x").1, Some((3, ErrorKind::TrailingCharacters)));
    assert_eq!(
        whole("\"a\"\"b\"").1,
        Some((3, ErrorKind::TrailingCharacters))
    );
    assert_eq!(whole("[] []").1, Some((3, ErrorKind::TrailingCharacters)));
    // A byte order mark is not whitespace (serde_json refuses it too).
    assert_eq!(whole("\u{feff}{}").1, Some((0, ErrorKind::ExpectedValue)));
}

#[test]
fn a_value_incomplete_at_finish_is_an_error_at_the_end() {
    for text in [
        "{", "{\"a\"", "{\"a\":", "[1,", "[1", "\"abc", "\"\\u00", "tr", "{\"a\":1",
    ] {
        let (_, err) = whole(text);
        assert_eq!(
            err,
            Some((text.len() as u64, ErrorKind::UnexpectedEnd)),
            "{text}"
        );
    }
}

#[test]
fn an_empty_text_is_an_error_at_finish() {
    assert_eq!(whole("").1, Some((0, ErrorKind::UnexpectedEnd)));
    assert_eq!(whole("  \n").1, Some((3, ErrorKind::UnexpectedEnd)));
    assert_eq!(partial_value(""), None);
    assert_eq!(partial_value(" "), None);
}

#[test]
fn structural_errors_are_at_the_byte_that_breaks_the_grammar() {
    for (text, err) in [
        ("[1,]", (3, ErrorKind::ExpectedValue)),
        ("{\"a\":1,}", (7, ErrorKind::ExpectedKey)),
        ("{,}", (1, ErrorKind::ExpectedKeyOrEnd)),
        ("{\"a\" 1}", (5, ErrorKind::ExpectedColon)),
        ("{\"a\":1 \"b\"}", (7, ErrorKind::ExpectedCommaOrObjectEnd)),
        ("[1 2]", (3, ErrorKind::ExpectedCommaOrArrayEnd)),
        ("{1:2}", (1, ErrorKind::ExpectedKeyOrEnd)),
        ("]", (0, ErrorKind::ExpectedValue)),
        ("[}", (1, ErrorKind::ExpectedValue)),
    ] {
        assert!(
            serde_json::from_str::<serde_json::Value>(text).is_err(),
            "{text}"
        );
        assert_eq!(whole(text).1, Some(err), "{text}");
    }
}

#[test]
fn after_an_error_pushes_return_it_and_add_no_ops() {
    let mut parser = PartialJson::new();
    let mut ops = Ops::new();
    let err = parser.push("[1,\"a\" x \"b\"", &mut ops).unwrap_err();
    assert_eq!(
        (err.offset(), err.kind()),
        (7, ErrorKind::ExpectedCommaOrArrayEnd)
    );
    let n = ops.len();
    assert_eq!(parser.push("]", &mut ops), Err(err));
    assert_eq!(parser.finish(&mut ops), Err(err));
    assert_eq!(ops.len(), n);
    assert_eq!(parser.error(), Some(&err));
    assert_eq!(parser.offset(), 7);
    assert!(!parser.is_complete());
}

#[test]
fn nesting_beyond_the_depth_limit_is_an_error_at_the_bracket() {
    let ok = format!("{}{}", "[".repeat(128), "]".repeat(128));
    assert_eq!(whole(&ok).1, None);
    let deep = format!("{}1{}", "[{\"k\":".repeat(64), "}]".repeat(64));
    assert_eq!(whole(&deep).1, None);
    let too_deep = "[".repeat(129);
    assert_eq!(whole(&too_deep).1, Some((128, ErrorKind::TooDeep)));
    let mut ops = Ops::new();
    let err = PartialJson::with_limits(3, usize::MAX)
        .push("{\"a\":[{\"b\":{", &mut ops)
        .unwrap_err();
    assert_eq!((err.offset(), err.kind()), (11, ErrorKind::TooDeep));
    assert_eq!(ops.len(), 3);
    // Scalars need no depth.
    let mut ops = Ops::new();
    let mut p = PartialJson::with_limits(0, usize::MAX);
    assert!(p.push("\"s\"", &mut ops).is_ok());
}

#[test]
fn the_depth_limit_is_capped() {
    let text = "[".repeat(2000);
    let mut ops = Ops::new();
    let err = PartialJson::with_limits(usize::MAX, usize::MAX)
        .push(&text, &mut ops)
        .unwrap_err();
    assert_eq!((err.offset(), err.kind()), (1024, ErrorKind::TooDeep));
}

#[test]
fn text_beyond_the_size_limit_is_an_error_at_the_first_character_that_does_not_fit() {
    let mut ops = Ops::new();
    let mut p = PartialJson::with_limits(8, 10);
    p.push("\"abcd", &mut ops).unwrap();
    let err = p.push("efghij\"", &mut ops).unwrap_err();
    assert_eq!((err.offset(), err.kind()), (10, ErrorKind::TooLarge));
    assert_eq!(
        ops.iter().map(show).collect::<Vec<_>>(),
        [
            r#"set [] """#,
            r#"append [] "abcd""#,
            r#"append [] "efghi""#
        ]
    );
    // A character straddling the limit does not fit.
    let mut p = PartialJson::with_limits(8, 4);
    let err = p.push("\"\u{e9}\u{e9}", &mut Ops::new()).unwrap_err();
    assert_eq!(err.offset(), 3);
    // Exactly at the limit is fine.
    let mut p = PartialJson::with_limits(8, 4);
    p.push("\"ab\"", &mut ops).unwrap();
    p.finish(&mut ops).unwrap();
}

#[test]
fn a_push_after_finish_is_an_error_and_finish_twice_is_harmless() {
    let mut parser = PartialJson::new();
    let mut ops = Ops::new();
    parser.push("1", &mut ops).unwrap();
    parser.finish(&mut ops).unwrap();
    assert_eq!(parser.finish(&mut ops), Ok(()));
    assert_eq!(parser.push("", &mut ops), Ok(()));
    let err = parser.push(" ", &mut ops).unwrap_err();
    assert_eq!((err.offset(), err.kind()), (1, ErrorKind::AfterFinish));
    assert!(parser.is_complete());
    assert_eq!(ops.len(), 1);
}

#[test]
fn offset_counts_bytes_over_all_fragments() {
    let mut parser = PartialJson::new();
    let mut ops = Ops::new();
    parser.push("{\"\u{e9}\":", &mut ops).unwrap();
    assert_eq!(parser.offset(), 6);
    parser.push(" [1, ", &mut ops).unwrap();
    assert_eq!(parser.offset(), 11);
    let err = parser.push("2,\u{1F600}", &mut ops).unwrap_err();
    assert_eq!(err.offset(), 13);
    assert_eq!(parser.offset(), 13);
}

#[test]
fn is_complete_turns_true_when_the_value_ends() {
    let mut parser = PartialJson::new();
    let mut ops = Ops::new();
    for (f, done) in [("{\"a\":", false), ("[]", false), ("}", true), ("  ", true)] {
        parser.push(f, &mut ops).unwrap();
        assert_eq!(parser.is_complete(), done, "{f}");
    }
    let mut parser = PartialJson::new();
    parser.push("12", &mut ops).unwrap();
    assert!(!parser.is_complete());
    parser.finish(&mut ops).unwrap();
    assert!(parser.is_complete());
}

#[test]
fn ops_are_the_same_for_every_split_of_the_text() {
    for text in [
        "{\"key with \\\"escapes\\\"\":[true,false,null,-1.25e-2,{\"x\":\"\\ud83d\\ude00\"}]}",
        "[\"\u{e9}\u{4e2d}\u{1F600}\", 0, -0, 10.0e+1]",
        " { } ",
        "[1, 2 , 3 ]",
        "{\"a\":1,\"a\":2}",
        // Invalid texts too: the same ops, the same error.
        "[1,2,]",
        "{\"a\":\"\\ud800x\"}",
        "[01]",
        "{\"a\":1}}",
    ] {
        assert_split_invariant(text);
    }
}

#[test]
fn ops_of_many_parsers_share_one_buffer_and_ranges_separate_them() {
    let mut ops = Ops::new();
    let mut a = PartialJson::new();
    let mut b = PartialJson::new();
    a.push("{\"x\":[\"1", &mut ops).unwrap();
    let ma = ops.len();
    b.push("{\"y\":{\"z\":\"2", &mut ops).unwrap();
    let mb = ops.len();
    a.push("1\"]}", &mut ops).unwrap();
    let mut va = serde_json::Value::Null;
    va.apply_all(ops.range(..ma)).unwrap();
    va.apply_all(ops.range(mb..)).unwrap();
    assert_eq!(va, serde(r#"{"x":["11"]}"#));
    let mut vb = serde_json::Value::Null;
    vb.apply_all(ops.range(ma..mb)).unwrap();
    assert_eq!(vb, serde(r#"{"y":{"z":"2"}}"#));
    assert_eq!(ops.range(ma..mb).len(), 4);
    assert_eq!(ops.range(ma..=ma).len(), 1);
}

#[test]
fn to_ops_copies_a_range_that_survives_clearing() {
    let mut ops = Ops::new();
    let mut p = PartialJson::new();
    p.push("{\"a\":{\"b\":[1,2,3,\"s", &mut ops).unwrap();
    let view = ops.range(3..);
    let expected: Vec<String> = view.iter().map(show).collect();
    let owned = view.to_ops();
    assert_eq!(owned, view.to_ops());
    assert!(owned.as_ref() == view);
    ops.clear();
    assert_eq!(owned.iter().map(show).collect::<Vec<_>>(), expected);
    assert_eq!(
        expected,
        [
            r#"set ["a","b",0] 1"#,
            r#"set ["a","b",1] 2"#,
            r#"set ["a","b",2] 3"#,
            r#"set ["a","b",3] """#,
            r#"append ["a","b",3] "s""#
        ]
    );
    // One copy of the shared prefix, one segment per op.
    assert_eq!(owned.segs.len(), 2 + 5);
}

#[test]
fn ops_serialize_as_the_design_says() {
    let mut ops = Ops::new();
    PartialJson::new()
        .push("{\"a\":[1.5,\"x\\n\",{},[],null,false", &mut ops)
        .unwrap();
    assert_eq!(
        serde_json::to_value(&ops).unwrap(),
        serde(
            r#"[
            {"op":"set","path":[],"value":{}},
            {"op":"set","path":["a"],"value":[]},
            {"op":"set","path":["a",0],"value":1.5},
            {"op":"set","path":["a",1],"value":""},
            {"op":"append","path":["a",1],"text":"x\n"},
            {"op":"set","path":["a",2],"value":{}},
            {"op":"set","path":["a",3],"value":[]},
            {"op":"set","path":["a",4],"value":null},
            {"op":"set","path":["a",5],"value":false}
        ]"#
        )
    );
    assert_eq!(
        serde_json::to_string(&ops.get(2).unwrap()).unwrap(),
        r#"{"op":"set","path":["a",0],"value":1.5}"#
    );
}

#[test]
fn partial_value_is_none_until_a_value_starts() {
    assert_eq!(partial_value("12"), None);
    assert_eq!(partial_value("12 "), Some(Value::Number(12u64.into())));
    assert_eq!(partial_value("\""), Some(Value::String(String::new())));
    assert_eq!(partial_value("[1,"), Some("[1]".parse().unwrap()));
    // Invalid text: the value up to the error.
    assert_eq!(partial_value("[1,2 x"), Some("[1,2]".parse().unwrap()));
}

#[test]
fn sibling_ops_share_their_container_path() {
    let text = format!(
        "{{\"a\":{{\"b\":{{\"c\":[{}]}}}}}}",
        vec!["7"; 1000].join(",")
    );
    let (ops, err) = whole(&text);
    assert_eq!(err, None);
    assert_eq!(ops.len(), 4 + 1000);
    // One segment per op, plus the container path written once.
    assert!(ops.segs.len() <= ops.len() + 3, "{}", ops.segs.len());
    let v = rebuilt(&text);
    assert_eq!(v["a"]["b"]["c"].as_array().map(Vec::len), Some(1000));
}

#[test]
fn a_deep_path_is_written_once_per_push() {
    let depth = 100;
    let mut parser = PartialJson::new();
    let mut ops = Ops::new();
    parser
        .push(&format!("{}\"", "{\"k\":".repeat(depth)), &mut ops)
        .unwrap();
    for _ in 0..1000 {
        ops.clear();
        parser.push("x", &mut ops).unwrap();
        assert_eq!(ops.len(), 1);
        assert_eq!(ops.segs.len(), depth);
    }
}

#[test]
fn a_key_is_stored_once_however_many_ops_name_it() {
    let key = "k".repeat(100_000);
    let mut parser = PartialJson::new();
    let mut ops = Ops::new();
    parser.push(&format!("{{\"{key}\":\"a"), &mut ops).unwrap();
    let first = match ops.segs.last() {
        Some(Seg::Key(k)) => Arc::clone(k),
        other => panic!("{other:?}"),
    };
    for _ in 0..100 {
        ops.clear();
        parser.push("b", &mut ops).unwrap();
        match ops.segs.as_slice() {
            [Seg::Key(k)] => assert!(Arc::ptr_eq(k, &first)),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn an_op_that_does_not_fit_the_value_is_refused() {
    let mut ops = Ops::new();
    let mut p = PartialJson::new();
    p.push("{\"a\":[", &mut ops).unwrap();
    let mut later = Ops::new();
    p.push("\"x", &mut later).unwrap();
    // Applied to a value that never saw the first ops.
    let mut v = serde_json::Value::Null;
    assert!(v.apply_all(&later).is_err());
    let mut own = Value::Bool(true);
    assert!(own.apply_all(&later).is_err());
    // In order, they fit.
    let mut own = Value::Null;
    own.apply_all(&ops).unwrap();
    own.apply_all(&later).unwrap();
    assert_eq!(own, "{\"a\":[\"x\"]}".parse::<Value>().unwrap());
}

#[test]
fn paths_iterate_from_the_root_both_ways() {
    let mut ops = Ops::new();
    PartialJson::new().push("[{\"a\":[0", &mut ops).unwrap();
    let path = ops.iter().next_back().unwrap().path();
    let segs: Vec<_> = path.iter().collect();
    assert_eq!(segs, [PathSegment::Index(0), PathSegment::Key("a")]);
    let back: Vec<_> = path.iter().rev().collect();
    assert_eq!(back, [PathSegment::Key("a"), PathSegment::Index(0)]);
    assert_eq!(path.parent().map(|p| p.len()), Some(1));
    assert!(Path::ROOT.is_empty());
    assert_eq!(Path::ROOT.last(), None);
    assert_eq!(format!("{path:?}"), "[Index(0), Key(\"a\")]");
}

#[test]
fn parsers_buffers_and_errors_can_move_between_threads() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<PartialJson>();
    send_sync::<Ops>();
    send_sync::<PartialJsonError>();
    send_sync::<ApplyError>();
}
