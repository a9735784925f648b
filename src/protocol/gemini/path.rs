//! The JSONPaths of streamed function-call arguments: RFC 9535's normalized
//! subset that names one value, `$` followed by `.name` (any characters up
//! to the next `.` or `[`), `['name']` / `["name"]` (string literals with
//! RFC 9535's escapes, `\uXXXX` surrogate pairs included) and `[N]`
//! (non-negative, no leading zero). Wildcards, descendants, slices,
//! filters and negative indices are refused.

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
pub(super) enum SegRef<'a> {
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
    pub(super) fn len(&self) -> usize {
        self.segs.len()
    }

    pub(super) fn seg(&self, i: usize) -> SegRef<'_> {
        match self.segs[i] {
            Seg::Key(a, b) => SegRef::Key(&self.text[a..b]),
            Seg::Index(n) => SegRef::Index(n),
        }
    }

    pub(super) fn push(&mut self, seg: SegRef<'_>) {
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
    pub(super) fn truncate(&mut self, n: usize) {
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
    while b.get(i).is_some_and(|&c| crate::json::is_whitespace(c)) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(text: &str) -> Vec<String> {
        let mut p = Path::default();
        assert!(p.parse(text, 64), "{text}");
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
            segs("$.recipe.ingredients[10].name"),
            ["k:recipe", "k:ingredients", "i:10", "k:name"]
        );
        assert_eq!(
            segs(r#"$['a.b']["c\"d"][ 0 ]['\u00e9\ud83d\ude00']"#),
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
}
