//! Streamed function-call arguments (Vertex `partialArgs`) rebuilt as JSON
//! text while the pieces arrive.
//!
//! Each piece names one value by a JSONPath and carries it as `stringValue`
//! (a string comes in several pieces, `willContinue: true` on all but the
//! last; Vertex ends one with an empty piece), `numberValue`, `boolValue` or
//! `nullValue`. Vertex streams the values in document order, so the JSON
//! text can be written as they come: the writer keeps the path of the value
//! it wrote last and the containers that value sits in. A piece closes the
//! containers its path leaves, opens those it enters, and writes its value:
//!
//! ```text
//! $.recipe.ingredients[0].amount "16 oz"   {"recipe":{"ingredients":[{"amount":"16 oz"
//! $.recipe.ingredients[0].name   "Egg"     ,"name":"Egg"
//! $.recipe.ingredients[1].amount "1 lb"    },{"amount":"1 lb"
//! $.recipe.name                  "Lasagna" }],"name":"Lasagna"
//! (the call closes)                        }}
//! ```
//!
//! The text written so far is always a prefix of the final arguments (inside
//! a string, or right after a value or an opening bracket), so
//! [`ArgsWriter::finish`] can always close it, and [`close`] can complete it
//! when the stream was cut.
//!
//! Paths: `$` followed by `.name`, `['name']` / `["name"]` (RFC 9535 string
//! literals with their escapes) and `[N]`. A piece that cannot continue the
//! text in order is refused and nothing is written for it (the decoder keeps
//! it as it came, with a warning): a path outside that subset or deeper than
//! the depth limit, a path rooted at an array (arguments are an object), a
//! member already written (a key of an object again, an array index other
//! than the next one), a container where a value was written or the other
//! way round, the arguments already whole (`args` sent).

use std::collections::HashSet;

use crate::json::write::write_str;

/// One segment of a parsed path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg {
    /// A member name: a range of [`Path::text`].
    Key(usize, usize),
    /// An array position.
    Index(u64),
}

/// A segment, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SegRef<'a> {
    Key(&'a str),
    Index(u64),
}

/// A parsed JSONPath: member names (decoded) and array positions. Reused
/// from piece to piece.
#[derive(Debug, Clone, Default)]
pub(crate) struct Path {
    text: String,
    segs: Vec<Seg>,
}

impl Path {
    fn len(&self) -> usize {
        self.segs.len()
    }

    fn seg(&self, i: usize) -> SegRef<'_> {
        match self.segs[i] {
            Seg::Key(a, b) => SegRef::Key(&self.text[a..b]),
            Seg::Index(n) => SegRef::Index(n),
        }
    }

    fn push(&mut self, seg: SegRef<'_>) {
        let seg = match seg {
            SegRef::Key(k) => {
                let start = self.text.len();
                self.text.push_str(k);
                Seg::Key(start, self.text.len())
            }
            SegRef::Index(n) => Seg::Index(n),
        };
        self.segs.push(seg);
    }

    /// Keeps the first `n` segments.
    fn truncate(&mut self, n: usize) {
        if n < self.segs.len() {
            if let Some(&Seg::Key(start, _)) =
                self.segs[n..].iter().find(|s| matches!(s, Seg::Key(..)))
            {
                self.text.truncate(start);
            }
            self.segs.truncate(n);
        }
    }

    /// Parses `p` (`$`, then `.name`, `['name']`, `["name"]`, `[N]`), at
    /// most `max_depth` segments. False for anything else.
    pub fn parse(&mut self, p: &str, max_depth: usize) -> bool {
        self.text.clear();
        self.segs.clear();
        let b = p.as_bytes();
        if b.first() != Some(&b'$') {
            return false;
        }
        let mut i = 1;
        while i < b.len() {
            if self.segs.len() >= max_depth {
                return false;
            }
            match b[i] {
                b'.' => {
                    let start = i + 1;
                    i = start;
                    while i < b.len() && b[i] != b'.' && b[i] != b'[' {
                        i += 1;
                    }
                    let name = &p[start..i];
                    if name.is_empty() || name == "*" {
                        return false;
                    }
                    self.push(SegRef::Key(name));
                }
                b'[' => {
                    i = skip_blanks(b, i + 1);
                    match b.get(i) {
                        Some(&q @ (b'\'' | b'"')) => {
                            let start = self.text.len();
                            let Some(end) = literal(p, i + 1, q, &mut self.text) else {
                                return false;
                            };
                            self.segs.push(Seg::Key(start, self.text.len()));
                            i = end;
                        }
                        Some(b'0'..=b'9') => {
                            let start = i;
                            while i < b.len() && b[i].is_ascii_digit() {
                                i += 1;
                            }
                            let digits = &p[start..i];
                            if digits.len() > 1 && digits.starts_with('0') {
                                return false;
                            }
                            let Ok(n) = digits.parse::<u64>() else {
                                return false;
                            };
                            self.segs.push(Seg::Index(n));
                        }
                        _ => return false,
                    }
                    i = skip_blanks(b, i);
                    if b.get(i) != Some(&b']') {
                        return false;
                    }
                    i += 1;
                }
                _ => return false,
            }
        }
        true
    }
}

fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// Decodes an RFC 9535 string literal starting after its opening quote `q`
/// at `i` into `out`; returns the position after the closing quote.
fn literal(p: &str, mut i: usize, q: u8, out: &mut String) -> Option<usize> {
    let b = p.as_bytes();
    loop {
        let start = i;
        while i < b.len() && b[i] != q && b[i] != b'\\' {
            i += 1;
        }
        out.push_str(&p[start..i]);
        match b.get(i)? {
            &c if c == q => return Some(i + 1),
            _ => {
                // A backslash.
                let c = *b.get(i + 1)?;
                i += 2;
                let ch = match c {
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'n' => '\n',
                    b'r' => '\r',
                    b't' => '\t',
                    b'/' => '/',
                    b'\\' => '\\',
                    b'\'' => '\'',
                    b'"' => '"',
                    b'u' => {
                        let hi = hex4(b, i)?;
                        i += 4;
                        let code = if (0xD800..0xDC00).contains(&hi) {
                            if b.get(i) != Some(&b'\\') || b.get(i + 1) != Some(&b'u') {
                                return None;
                            }
                            let lo = hex4(b, i + 2)?;
                            if !(0xDC00..0xE000).contains(&lo) {
                                return None;
                            }
                            i += 6;
                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                        } else {
                            hi
                        };
                        char::from_u32(code)?
                    }
                    _ => return None,
                };
                out.push(ch);
            }
        }
    }
}

fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let digits = b.get(i..i + 4)?;
    let mut v = 0;
    for &d in digits {
        v = v * 16 + (d as char).to_digit(16)?;
    }
    Some(v)
}

/// A value of a piece.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Piece<'a> {
    /// Raw string contents (JSON escapes kept); `more`: the string goes on.
    Str { raw: &'a str, more: bool },
    /// A value's JSON text (a number, `true`, `false`, `null`).
    Json(&'a str),
}

/// An open container of the arguments.
#[derive(Debug, Clone)]
struct Level {
    object: bool,
    /// Members written.
    count: u64,
    /// An object's member names written.
    keys: HashSet<String>,
}

impl Level {
    fn new(object: bool) -> Level {
        Level {
            object,
            count: 0,
            keys: HashSet::new(),
        }
    }
}

/// Writes the JSON text of one streamed call's arguments, piece by piece.
#[derive(Debug, Clone, Default)]
pub(crate) struct ArgsWriter {
    /// The root `{` was written.
    started: bool,
    /// The arguments came whole: no piece continues them.
    sealed: bool,
    /// The path of the value written last.
    path: Path,
    /// The containers it is in: `levels[i]` holds `path[i]` (the root first).
    levels: Vec<Level>,
    /// The value written last is a string still open.
    string_open: bool,
}

impl ArgsWriter {
    /// A writer for arguments that came whole (every piece is refused).
    pub fn sealed() -> ArgsWriter {
        ArgsWriter {
            sealed: true,
            ..ArgsWriter::default()
        }
    }

    /// Writes the text piece `v` at `p` adds to `out`. False, with nothing
    /// written, when it cannot continue the text (see the module's docs).
    pub fn place(&mut self, p: &Path, v: Piece<'_>, out: &mut String) -> bool {
        if self.sealed || p.len() == 0 {
            return false;
        }
        if !self.started {
            if !matches!(p.seg(0), SegRef::Key(_)) || !fresh(p, 1) {
                return false;
            }
            out.push('{');
            self.levels.push(Level::new(true));
            self.started = true;
            self.enter(p, 0, out);
            self.value(v, out);
            return true;
        }
        let n = self.path.len();
        if self.string_open && n == p.len() && (0..n).all(|i| self.path.seg(i) == p.seg(i)) {
            if let Piece::Str { raw, more } = v {
                out.push_str(raw);
                if !more {
                    out.push('"');
                    self.string_open = false;
                }
                return true;
            }
        }
        // The deepest container the written value and `p` share.
        let m = p.len();
        let mut j = 0;
        while j + 1 < n && j + 1 < m && self.path.seg(j) == p.seg(j) {
            j += 1;
        }
        let level = &self.levels[j];
        let fits = match p.seg(j) {
            SegRef::Key(k) => level.object && !level.keys.contains(k),
            SegRef::Index(i) => !level.object && i == level.count,
        };
        if !fits || !fresh(p, j + 1) {
            return false;
        }
        if self.string_open {
            out.push('"');
            self.string_open = false;
        }
        while self.levels.len() > j + 1 {
            if let Some(l) = self.levels.pop() {
                out.push(if l.object { '}' } else { ']' });
            }
        }
        self.path.truncate(j);
        self.enter(p, j, out);
        self.value(v, out);
        true
    }

    /// Writes the members `p[j..]`: `p[j]` in the container at depth `j`,
    /// each later one in a new container.
    fn enter(&mut self, p: &Path, j: usize, out: &mut String) {
        for i in j..p.len() {
            let seg = p.seg(i);
            if i > j {
                let object = matches!(seg, SegRef::Key(_));
                out.push(if object { '{' } else { '[' });
                self.levels.push(Level::new(object));
            }
            let Some(level) = self.levels.last_mut() else {
                return;
            };
            if level.count > 0 {
                out.push(',');
            }
            level.count += 1;
            if let SegRef::Key(k) = seg {
                write_str(k, out);
                out.push(':');
                level.keys.insert(k.to_string());
            }
            self.path.push(seg);
        }
    }

    fn value(&mut self, v: Piece<'_>, out: &mut String) {
        match v {
            Piece::Str { raw, more } => {
                out.push('"');
                out.push_str(raw);
                if more {
                    self.string_open = true;
                } else {
                    out.push('"');
                }
            }
            Piece::Json(t) => out.push_str(t),
        }
    }

    /// Writes what closes the arguments (nothing when no piece was written).
    pub fn finish(&mut self, out: &mut String) {
        if self.string_open {
            out.push('"');
            self.string_open = false;
        }
        while let Some(l) = self.levels.pop() {
            out.push(if l.object { '}' } else { ']' });
        }
        self.sealed = true;
    }
}

/// True when every array position in `p[from..]` is 0 (they are members of
/// containers about to be opened).
fn fresh(p: &Path, from: usize) -> bool {
    (from..p.len()).all(|i| !matches!(p.seg(i), SegRef::Index(n) if n != 0))
}

/// `text` (a prefix of JSON text as [`ArgsWriter`] writes it) made whole:
/// an open string and the open containers closed.
pub(crate) fn close(text: &str) -> String {
    let mut stack = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    for &c in text.as_bytes() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'{' => stack.push(b'}'),
            b'[' => stack.push(b']'),
            b'}' | b']' => {
                stack.pop();
            }
            _ => {}
        }
    }
    let mut out = String::with_capacity(text.len() + stack.len() + 1);
    out.push_str(text);
    if in_string {
        out.push('"');
    }
    while let Some(c) = stack.pop() {
        out.push(c as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Path {
        let mut out = Path::default();
        assert!(out.parse(p, 64), "{p}");
        out
    }

    fn segs(p: &Path) -> Vec<String> {
        (0..p.len())
            .map(|i| match p.seg(i) {
                SegRef::Key(k) => format!("k:{k}"),
                SegRef::Index(n) => format!("i:{n}"),
            })
            .collect()
    }

    #[test]
    fn paths_of_the_normalized_subset_parse() {
        assert_eq!(
            segs(&path("$.recipe.ingredients[10].name")),
            ["k:recipe", "k:ingredients", "i:10", "k:name"]
        );
        assert_eq!(
            segs(&path(r#"$['a.b']["c\"d"][ 0 ]['\u00e9\ud83d\ude00']"#)),
            ["k:a.b", "k:c\"d", "i:0", "k:é😀"]
        );
        let mut p = Path::default();
        for bad in [
            "",
            "a",
            "$..a",
            "$.*",
            "$[*]",
            "$[-1]",
            "$[01]",
            "$['a'",
            "$[a]",
            "$.a[",
            "$['\\x']",
            "$['\\ud800']",
        ] {
            assert!(!p.parse(bad, 64), "{bad:?} parsed");
        }
        assert!(!p.parse("$.a.b.c", 2));
        assert!(p.parse("$.a.b", 2));
    }

    fn write(pieces: &[(&str, Piece<'_>)]) -> (String, Vec<bool>) {
        let mut w = ArgsWriter::default();
        let mut out = String::new();
        let placed = pieces
            .iter()
            .map(|(p, v)| w.place(&path(p), *v, &mut out))
            .collect();
        w.finish(&mut out);
        (out, placed)
    }

    fn s(raw: &str, more: bool) -> Piece<'_> {
        Piece::Str { raw, more }
    }

    #[test]
    fn pieces_in_document_order_make_the_json_text() {
        let (text, placed) = write(&[
            ("$.r.items[0].a", s("16 ", true)),
            ("$.r.items[0].a", s("oz", true)),
            ("$.r.items[0].a", s("", false)),
            ("$.r.items[0].n", Piece::Json("1.5")),
            ("$.r.items[1].a", s("x\\\"y", false)),
            ("$.r.name", Piece::Json("true")),
            ("$.r.steps[0]", s("one", true)),
            ("$.r.steps[1]", Piece::Json("null")),
            ("$.top", Piece::Json("-2")),
        ]);
        assert!(placed.iter().all(|&p| p));
        assert_eq!(
            text,
            r#"{"r":{"items":[{"a":"16 oz","n":1.5},{"a":"x\"y"}],"name":true,"steps":["one",null]},"top":-2}"#
        );
    }

    #[test]
    fn pieces_out_of_order_are_refused_and_write_nothing() {
        let (text, placed) = write(&[
            ("$.a.x", Piece::Json("1")),
            ("$.b", Piece::Json("2")),
            ("$.a.y", Piece::Json("3")),  // `a` is closed
            ("$.b", Piece::Json("4")),    // `b` written
            ("$.c[1]", Piece::Json("5")), // not the first element
            ("$.d[0]", Piece::Json("6")),
            ("$.d[2]", Piece::Json("7")), // not the next element
            ("$.d[1].k", Piece::Json("8")),
            ("$.d[1]", Piece::Json("9")), // a value where an object is
            ("$.d[1].k.z", Piece::Json("9")), // an object where a value is
            ("$.d.k", Piece::Json("9")),  // a key in an array
            ("$[0]", Piece::Json("9")),   // an array as the root
        ]);
        assert_eq!(
            placed,
            [true, true, false, false, false, true, false, true, false, false, false, false]
        );
        assert_eq!(text, r#"{"a":{"x":1},"b":2,"d":[6,{"k":8}]}"#);
    }

    #[test]
    fn a_string_cut_by_another_path_is_closed() {
        let (text, placed) = write(&[("$.a", s("ab", true)), ("$.b", s("c", true))]);
        assert!(placed.iter().all(|&p| p));
        assert_eq!(text, r#"{"a":"ab","b":"c"}"#);
    }

    #[test]
    fn sealed_arguments_take_no_piece() {
        let mut w = ArgsWriter::sealed();
        let mut out = String::new();
        assert!(!w.place(&path("$.a"), Piece::Json("1"), &mut out));
        w.finish(&mut out);
        assert_eq!(out, "");
    }

    #[test]
    fn a_cut_prefix_is_completed() {
        assert_eq!(close(r#"{"a":[{"b":"x\"y"#), r#"{"a":[{"b":"x\"y"}]}"#);
        assert_eq!(close(r#"{"a":1,"b":["#), r#"{"a":1,"b":[]}"#);
        assert_eq!(close(r#"{"a":"\\"#), r#"{"a":"\\"}"#);
    }
}
