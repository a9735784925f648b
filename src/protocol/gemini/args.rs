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
//! Paths ([`Path`]): `$` followed by `.name`, `['name']` / `["name"]` and
//! `[N]`. A piece that cannot continue the
//! text in order is refused and nothing is written for it (the decoder keeps
//! it as it came, with a warning): a path outside that subset or deeper than
//! the depth limit, a path rooted at an array (arguments are an object), a
//! member already written (a key of an object again, an array index other
//! than the next one), a container where a value was written or the other
//! way round, the arguments already whole (`args` sent).

use std::collections::HashSet;

use super::path::{Path, SegRef};
use crate::json::write::write_str;

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
