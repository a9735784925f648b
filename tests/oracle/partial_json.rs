//! Oracles of the partial JSON parser (`streamfold::partial_json`): a naive
//! reference that says where a text stops being the beginning of any JSON
//! text, a checker that a value is a prefix of another, and the whole
//! differential check run by `tests/partial_json.rs` and the `partial_json`
//! fuzz target.
//!
//! The naive reference is a recursive-descent validator written from RFC
//! 8259, independent of the parser's state machine: for each `\u` digit it
//! asks, by interval, whether any completion of the digits read so far is
//! an allowed code unit, instead of knowing which digit decides.

use serde_json::Value as J;
use streamfold::partial_json::{
    partial_value, ErrorKind, Op, OpTarget, Ops, PartialJson, PathSegment,
};
use streamfold::Value;

/// Where the naive reference says `text` is first invalid: the first byte
/// at which no JSON text can have the text so far as its beginning, the
/// length when the text ends early, or the first byte of a complete number
/// that overflows an `f64` (serde_json rejects those). `None` when `text`
/// is one JSON text, nested at most `max_depth` deep; an opening bracket
/// beyond that depth is an error at its offset.
pub fn naive_error(text: &str, max_depth: usize) -> Option<usize> {
    let mut p = Naive {
        b: text.as_bytes(),
        i: 0,
        depth: 0,
        max_depth,
    };
    let r = p.value(Ctx::Root).and_then(|()| {
        p.ws();
        if p.i < p.b.len() {
            Err(p.i)
        } else {
            Ok(())
        }
    });
    r.err()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Root,
    Array,
    Object,
}

struct Naive<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
    max_depth: usize,
}

type R<T = ()> = Result<T, usize>;

impl Naive<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8) -> R {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.i)
        }
    }

    fn value(&mut self, ctx: Ctx) -> R {
        self.ws();
        match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => self.string(),
            Some(b't') => self.word(b"true"),
            Some(b'f') => self.word(b"false"),
            Some(b'n') => self.word(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(ctx),
            _ => Err(self.i),
        }
    }

    fn word(&mut self, w: &[u8]) -> R {
        for &c in w {
            self.expect(c)?;
        }
        Ok(())
    }

    fn digits(&mut self) -> R {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.i);
        }
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        Ok(())
    }

    fn number(&mut self, ctx: Ctx) -> R {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        if self.peek() == Some(b'0') {
            self.i += 1;
        } else {
            self.digits()?;
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.digits()?;
        }
        // The number is complete when the next byte is one the context
        // takes after a value (or the text ends at the root); only then is
        // its size judged.
        let complete = match self.peek() {
            None => ctx == Ctx::Root,
            Some(b' ' | b'\t' | b'\n' | b'\r') => true,
            Some(b',') => ctx != Ctx::Root,
            Some(b']') => ctx == Ctx::Array,
            Some(b'}') => ctx == Ctx::Object,
            Some(_) => false,
        };
        let text = std::str::from_utf8(&self.b[start..self.i]).unwrap();
        if complete && text.parse::<f64>().unwrap().is_infinite() {
            return Err(start);
        }
        Ok(())
    }

    fn string(&mut self) -> R {
        self.expect(b'"')?;
        loop {
            match self.peek() {
                None => return Err(self.i),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.i += 1;
                    self.escape()?;
                }
                Some(c) if c < 0x20 => return Err(self.i),
                Some(_) => self.i += 1,
            }
        }
    }

    fn escape(&mut self) -> R {
        match self.peek() {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.i += 1;
                Ok(())
            }
            Some(b'u') => {
                self.i += 1;
                let unit = self.hex4(false)?;
                if (0xD800..0xDC00).contains(&unit) {
                    self.expect(b'\\')?;
                    self.expect(b'u')?;
                    self.hex4(true)?;
                }
                Ok(())
            }
            _ => Err(self.i),
        }
    }

    /// Four hex digits of a UTF-16 code unit: a low surrogate when `low`,
    /// else anything but one. Fails at the first digit after which no
    /// completion is allowed.
    fn hex4(&mut self, low: bool) -> R<u32> {
        let mut v = 0u32;
        for k in 1..=4u32 {
            let d = self
                .peek()
                .and_then(|c| (c as char).to_digit(16))
                .ok_or(self.i)?;
            v = v * 16 + d;
            let span = 1u32 << (4 * (4 - k));
            let (lo, hi) = (v * span, v * span + span - 1);
            let possible = if low {
                lo <= 0xDFFF && hi >= 0xDC00
            } else {
                !(lo >= 0xDC00 && hi <= 0xDFFF)
            };
            if !possible {
                return Err(self.i);
            }
            self.i += 1;
        }
        Ok(v)
    }

    fn open(&mut self) -> R {
        if self.depth == self.max_depth {
            return Err(self.i);
        }
        self.depth += 1;
        self.i += 1;
        Ok(())
    }

    fn array(&mut self) -> R {
        self.open()?;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
        } else {
            loop {
                self.value(Ctx::Array)?;
                self.ws();
                match self.peek() {
                    Some(b',') => self.i += 1,
                    Some(b']') => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(self.i),
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    fn object(&mut self) -> R {
        self.open()?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                self.string()?;
                self.ws();
                self.expect(b':')?;
                self.value(Ctx::Object)?;
                self.ws();
                match self.peek() {
                    Some(b',') => self.i += 1,
                    Some(b'}') => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(self.i),
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }
}

/// Why `partial` is not a prefix of `full`, if it is not: a scalar present
/// must equal the final one, a string must be a prefix of the final text,
/// an array must hold the final's first elements (all equal but the last,
/// which is a prefix), an object some of the final's members (all equal but
/// at most one, which is a prefix). Types never differ.
pub fn not_a_prefix(partial: &J, full: &J) -> Option<String> {
    match (partial, full) {
        (J::String(a), J::String(b)) => {
            (!b.starts_with(a.as_str())).then(|| format!("{a:?} is not a prefix of {b:?}"))
        }
        (J::Array(a), J::Array(b)) => {
            if a.len() > b.len() {
                return Some(format!("{} elements, final has {}", a.len(), b.len()));
            }
            let (last, init) = a.split_last()?;
            if let Some(i) = (0..init.len()).find(|&i| init[i] != b[i]) {
                return Some(format!("element {i}: {} is not final {}", init[i], b[i]));
            }
            not_a_prefix(last, &b[init.len()]).map(|e| format!("[{}]: {e}", init.len()))
        }
        (J::Object(a), J::Object(b)) => {
            let mut open = 0;
            for (k, v) in a {
                let Some(f) = b.get(k) else {
                    return Some(format!("member {k:?} is not in the final value"));
                };
                if v != f {
                    open += 1;
                    if let Some(e) = not_a_prefix(v, f) {
                        return Some(format!("{k:?}: {e}"));
                    }
                }
            }
            (open > 1).then(|| format!("{open} members unfinished at once"))
        }
        (a, b) => (a != b).then(|| format!("{a} is not the final {b}")),
    }
}

/// The ops with adjacent appends to one path joined, as JSON: the form in
/// which every split of a text gives the same ops.
pub fn joined(ops: &Ops) -> Vec<J> {
    let mut out: Vec<J> = Vec::new();
    for op in ops.iter() {
        if let Op::Append { path, text } = op {
            let path = serde_json::to_value(path).unwrap();
            if let Some(last) = out.last_mut() {
                if last["op"] == "append" && last["path"] == path {
                    let t = format!("{}{text}", last["text"].as_str().unwrap());
                    last["text"] = J::String(t);
                    continue;
                }
            }
        }
        out.push(serde_json::to_value(op).unwrap());
    }
    out
}

/// Whether some object of `text` has a key twice: an op sets a member its
/// object already has.
fn has_duplicate_keys(text: &str) -> bool {
    let mut ops = Ops::new();
    let _ = PartialJson::new().push(text, &mut ops);
    let mut value = J::Null;
    for op in ops.iter() {
        if let Op::Set { path, .. } = op {
            if let Some((parent, PathSegment::Key(k))) = path.split_last() {
                let mut node = &value;
                for seg in parent.iter() {
                    node = match (node, seg) {
                        (J::Object(m), PathSegment::Key(k)) => &m[k],
                        (J::Array(a), PathSegment::Index(i)) => &a[i],
                        _ => unreachable!("ops of one parser fit its value"),
                    };
                }
                if node.get(k).is_some() {
                    return true;
                }
            }
        }
        value.apply(&op).expect("ops fit the value they build");
    }
    false
}

/// What one feeding of a text gave.
struct Run {
    ops: Ops,
    error: Option<(u64, ErrorKind)>,
}

/// Pushes `pieces` (stopping at an error) then finishes. With
/// `per_piece`, checks after each push that the value rebuilt so far equals
/// `partial_value` of the text so far and, given `full` (the final value of
/// a valid text without duplicate keys), that it is a prefix of it.
fn run(pieces: &[&str], full: Option<&J>, per_piece: bool) -> Run {
    let mut parser = PartialJson::new();
    let mut ops = Ops::new();
    let mut so_far = J::Null;
    let mut own = Value::Null;
    let mut text = String::new();
    let mut result = Ok(());
    for piece in pieces {
        let before = ops.len();
        result = parser.push(piece, &mut ops);
        if per_piece {
            text.push_str(piece);
            for op in ops.range(before..) {
                so_far.apply(&op).expect("ops fit the value they build");
                own.apply(&op).expect("ops fit the value they build");
            }
            if let Some(full) = full.filter(|_| !ops.is_empty()) {
                if let Some(e) = not_a_prefix(&so_far, full) {
                    panic!("after {text:?}: {so_far} is not a prefix of {full}: {e}");
                }
            }
            let expected = (!ops.is_empty()).then(|| own.clone());
            assert_eq!(partial_value(&text), expected, "partial_value({text:?})");
        }
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        result = parser.finish(&mut ops);
    }
    let error = result.err().map(|e| (e.offset(), e.kind()));
    assert_eq!(
        parser.error().map(|e| (e.offset(), e.kind())),
        error,
        "the error is kept"
    );
    Run { ops, error }
}

/// The deepest nesting of brackets outside strings (a bound for the depth
/// difference with serde_json).
fn max_nesting(text: &str) -> usize {
    let (mut depth, mut max, mut in_str, mut esc) = (0usize, 0, false, false);
    for b in text.bytes() {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Cuts `text` before the characters at the byte offsets `at` (each moved
/// back to a character boundary).
pub fn cut_text<'a>(text: &'a str, at: &[usize]) -> Vec<&'a str> {
    let mut at: Vec<usize> = at
        .iter()
        .map(|&o| {
            let mut o = o.min(text.len());
            while !text.is_char_boundary(o) {
                o -= 1;
            }
            o
        })
        .collect();
    at.sort_unstable();
    let mut out = Vec::new();
    let mut from = 0;
    for o in at {
        out.push(&text[from..o]);
        from = o;
    }
    out.push(&text[from..]);
    out
}

/// The differential check of one text: fed whole, cut at `cuts`, and (when
/// `per_char`) one character at a time, the parser must give the same
/// joined ops and error; the error offset must be the naive reference's,
/// with exactly the ops of the text before it; a valid text must rebuild
/// what serde_json parses, through prefixes of it, and the value after each
/// piece must be `partial_value` of the text so far.
pub fn check(text: &str, cuts: &[usize], per_char: bool) {
    let naive = naive_error(text, 128);
    let serde = serde_json::from_str::<J>(text);
    // The one known difference: serde_json's recursion limit refuses 128
    // levels, the parser's default accepts them.
    let at_depth_limit = max_nesting(text) >= 128;
    match (&naive, &serde) {
        (None, Ok(_)) | (Some(_), Err(_)) => {}
        (None, Err(e)) if at_depth_limit && e.to_string().contains("recursion limit") => {}
        _ => panic!(
            "the naive reference ({naive:?}) and serde_json ({serde:?}) disagree on {text:?}"
        ),
    }
    let full = serde.as_ref().ok().filter(|_| naive.is_none());
    // Prefixes are promised only without duplicate keys (a later duplicate
    // replaces a value the ops had already shown).
    let prefix_of = full.filter(|_| !has_duplicate_keys(text));

    let whole = run(&[text], prefix_of, true);
    let pieces = cut_text(text, cuts);
    let cut = run(&pieces, prefix_of, true);
    let expected = joined(&whole.ops);
    assert_eq!(joined(&cut.ops), expected, "ops whole vs cut {pieces:?}");
    assert_eq!(cut.error, whole.error, "error whole vs cut {pieces:?}");
    if per_char {
        let chars: Vec<&str> = text
            .char_indices()
            .map(|(i, c)| &text[i..i + c.len_utf8()])
            .collect();
        // Per-piece checks are quadratic: only for short texts.
        let one = run(&chars, prefix_of, text.len() <= 4096);
        assert_eq!(
            joined(&one.ops),
            expected,
            "ops whole vs one char at a time"
        );
        assert_eq!(one.error, whole.error, "error whole vs one char at a time");
    }

    match (naive, whole.error) {
        (None, None) => {
            if let Some(full) = full {
                let mut rebuilt = J::Null;
                rebuilt.apply_all(&whole.ops).unwrap();
                assert_eq!(&rebuilt, full, "rebuilt value of {text:?}");
            }
        }
        (Some(at), Some((offset, kind))) => {
            assert_eq!(
                offset as usize, at,
                "error offset in {text:?} ({kind:?}; naive reference: {at})"
            );
            // The ops are exactly those of the text before the error,
            // pushed without an end.
            let mut before = Ops::new();
            let r = PartialJson::new().push(&text[..at], &mut before);
            assert_eq!(r, Ok(()), "the text before the error is a valid beginning");
            assert_eq!(
                joined(&before),
                expected,
                "ops stop at the error in {text:?}"
            );
        }
        (naive, ours) => panic!("{text:?}: naive reference {naive:?}, parser {ours:?}"),
    }
}
