//! The ops buffer ([`Ops`]), its borrowed views ([`Op`], [`Path`],
//! [`OpsRef`]) and their JSON form.
//!
//! Layout: three append-only vectors. `recs` holds one small record per op;
//! `segs` the path segments the records point into; `text` the bytes of
//! numbers and appended text. A record's path is a *prefix* (a range of
//! `segs`: the path of the container the op's value sits in, shared by every
//! op in that container) plus one *last* segment (its key or index), so a
//! run of sibling ops costs one segment each, whatever the depth. Keys are
//! `Arc<str>`s shared with the parser: a segment holds a reference, never a
//! copy of the key's text. Clearing keeps every vector's capacity.

use std::fmt;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::json::value::Number;

/// One segment of a stored path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(Arc<str>),
    Index(usize),
}

/// What an op record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Null,
    True,
    False,
    Number,
    String,
    Object,
    Array,
    Append,
}

/// `last` of the root's ops: no segment.
pub(crate) const ROOT: usize = usize::MAX;

/// One op, as stored.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rec {
    pub kind: Kind,
    /// The container's path: `segs[prefix_start..prefix_start + prefix_len]`.
    pub prefix_start: usize,
    pub prefix_len: usize,
    /// The value's own segment in `segs`, or [`ROOT`].
    pub last: usize,
    /// Number text or appended text: `text[text_start..text_end]`.
    pub text_start: usize,
    pub text_end: usize,
}

/// A reusable buffer of ops, filled by [`PartialJson`](super::PartialJson).
///
/// One buffer can collect the ops of many parsers (one per tool call): note
/// [`len`](Ops::len) before and after a push and take that part with
/// [`range`](Ops::range). [`clear`](Ops::clear) it between uses and it stops
/// allocating once it has grown to the largest batch.
///
/// Serialises as a JSON list of ops (see [`Op`]).
///
/// # Examples
///
/// ```
/// use streamfold::partial_json::{Ops, PartialJson};
///
/// let mut ops = Ops::new();
/// let (mut a, mut b) = (PartialJson::new(), PartialJson::new());
/// a.push("{\"q\":\"rust", &mut ops).unwrap();
/// let mid = ops.len();
/// b.push("[true", &mut ops).unwrap();
/// let json = |r| serde_json::to_string(&r).unwrap();
/// assert_eq!(
///     json(ops.range(..mid)),
///     r#"[{"op":"set","path":[],"value":{}},{"op":"set","path":["q"],"value":""},{"op":"append","path":["q"],"text":"rust"}]"#
/// );
/// assert_eq!(
///     json(ops.range(mid..)),
///     r#"[{"op":"set","path":[],"value":[]},{"op":"set","path":[0],"value":true}]"#
/// );
/// ops.clear();
/// assert!(ops.is_empty());
/// ```
#[derive(Clone, Default)]
pub struct Ops {
    pub(crate) recs: Vec<Rec>,
    pub(crate) segs: Vec<Seg>,
    pub(crate) text: String,
}

impl Ops {
    /// An empty buffer.
    pub fn new() -> Self {
        Ops::default()
    }

    /// Removes every op, keeping the memory for the next ones.
    ///
    /// Cost: O(ops), to release the key references they hold.
    pub fn clear(&mut self) {
        self.recs.clear();
        self.segs.clear();
        self.text.clear();
    }

    /// How many ops the buffer holds.
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    /// True when the buffer holds no op.
    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    /// The op at `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<Op<'_>> {
        self.recs.get(index).map(|r| self.view(r))
    }

    /// The ops, in order.
    pub fn iter(&self) -> Iter<'_> {
        self.as_ref().iter()
    }

    /// All the ops, as a borrowed view.
    pub fn as_ref(&self) -> OpsRef<'_> {
        OpsRef {
            ops: self,
            start: 0,
            end: self.recs.len(),
        }
    }

    /// The ops at positions `range` (e.g. those one push appended).
    ///
    /// # Panics
    ///
    /// If the range is out of bounds, as slice indexing does.
    ///
    /// # Examples
    ///
    /// ```
    /// use streamfold::partial_json::{Ops, PartialJson};
    ///
    /// let mut ops = Ops::new();
    /// let mut parser = PartialJson::new();
    /// parser.push("[1,", &mut ops).unwrap();
    /// let before = ops.len();
    /// parser.push("2]", &mut ops).unwrap();
    /// let last_push = ops.range(before..);
    /// assert_eq!(last_push.len(), 1); // the `2`, set at its `]`
    /// ```
    pub fn range(&self, range: impl RangeBounds<usize>) -> OpsRef<'_> {
        let (start, end) = bounds(range, self.recs.len());
        OpsRef {
            ops: self,
            start,
            end,
        }
    }

    pub(crate) fn view<'a>(&'a self, r: &Rec) -> Op<'a> {
        let path = Path {
            prefix: self
                .segs
                .get(r.prefix_start..r.prefix_start + r.prefix_len)
                .unwrap_or(&[]),
            last: self.segs.get(r.last),
        };
        let text = self.text.get(r.text_start..r.text_end).unwrap_or("");
        let value = match r.kind {
            Kind::Append => return Op::Append { path, text },
            Kind::Null => SetValue::Null,
            Kind::True => SetValue::Bool(true),
            Kind::False => SetValue::Bool(false),
            Kind::Number => SetValue::Number(text),
            Kind::String => SetValue::String,
            Kind::Object => SetValue::Object,
            Kind::Array => SetValue::Array,
        };
        Op::Set { path, value }
    }
}

/// A range's bounds in a sequence of `len`, checked as slice indexing does.
fn bounds(range: impl RangeBounds<usize>, len: usize) -> (usize, usize) {
    let start = match range.start_bound() {
        Bound::Included(&s) => s,
        Bound::Excluded(&s) => s.saturating_add(1),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(&e) => e.saturating_add(1),
        Bound::Excluded(&e) => e,
        Bound::Unbounded => len,
    };
    assert!(
        start <= end && end <= len,
        "ops range {start}..{end} out of bounds for {len} ops"
    );
    (start, end)
}

impl fmt::Debug for Ops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Two buffers are equal when they hold the same ops, however stored.
impl PartialEq for Ops {
    fn eq(&self, other: &Self) -> bool {
        self.as_ref() == other.as_ref()
    }
}

impl Eq for Ops {}

impl<'a> IntoIterator for &'a Ops {
    type Item = Op<'a>;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl Serialize for Ops {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_ref().serialize(serializer)
    }
}

/// A borrowed run of consecutive ops of an [`Ops`] buffer
/// ([`Ops::range`]).
///
/// Serialises as a JSON list of ops; [`to_ops`](OpsRef::to_ops) copies it
/// into a buffer of its own (for an event that outlives the buffer).
#[derive(Clone, Copy)]
pub struct OpsRef<'a> {
    ops: &'a Ops,
    start: usize,
    end: usize,
}

impl<'a> OpsRef<'a> {
    /// How many ops the view holds.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True when the view holds no op.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The op at `index` of the view, if there is one.
    pub fn get(&self, index: usize) -> Option<Op<'a>> {
        let i = self.start.checked_add(index).filter(|&i| i < self.end)?;
        self.ops.get(i)
    }

    /// The ops, in order.
    pub fn iter(&self) -> Iter<'a> {
        Iter {
            ops: self.ops,
            recs: self.ops.recs[self.start..self.end].iter(),
        }
    }

    /// A buffer of its own holding these ops (and only them).
    ///
    /// Cost: allocates and copies in proportion to the ops, their paths and
    /// their text; consecutive ops in one container share one copy of its
    /// path.
    ///
    /// # Examples
    ///
    /// ```
    /// use streamfold::partial_json::{Ops, PartialJson};
    ///
    /// let mut ops = Ops::new();
    /// PartialJson::new().push("{\"a\":[null,", &mut ops).unwrap();
    /// let owned: Ops = ops.range(2..).to_ops();
    /// ops.clear();
    /// assert_eq!(
    ///     serde_json::to_string(&owned).unwrap(),
    ///     r#"[{"op":"set","path":["a",0],"value":null}]"#
    /// );
    /// ```
    pub fn to_ops(&self) -> Ops {
        let src = self.ops;
        let recs = &src.recs[self.start..self.end];
        // Sized for the usual run of sibling ops (one shared prefix, one
        // segment each): an owned event's copy is then a few exact
        // allocations.
        let first_prefix = recs.first().map_or(0, |r| r.prefix_len);
        let text_len = recs.iter().map(|r| r.text_end - r.text_start).sum();
        let mut out = Ops {
            recs: Vec::with_capacity(recs.len()),
            segs: Vec::with_capacity(recs.len() + first_prefix),
            text: String::with_capacity(text_len),
        };
        // (source prefix start, len) -> start of its copy in `out`.
        let mut shared: Option<(usize, usize, usize)> = None;
        for r in recs {
            let prefix_start = match shared {
                Some((s, l, at)) if s == r.prefix_start && l == r.prefix_len => at,
                _ => {
                    let at = out.segs.len();
                    let prefix = src
                        .segs
                        .get(r.prefix_start..r.prefix_start + r.prefix_len)
                        .unwrap_or(&[]);
                    out.segs.extend_from_slice(prefix);
                    shared = Some((r.prefix_start, r.prefix_len, at));
                    at
                }
            };
            let last = match src.segs.get(r.last) {
                Some(seg) => {
                    out.segs.push(seg.clone());
                    out.segs.len() - 1
                }
                None => ROOT,
            };
            let text_start = out.text.len();
            out.text
                .push_str(src.text.get(r.text_start..r.text_end).unwrap_or(""));
            out.recs.push(Rec {
                kind: r.kind,
                prefix_start,
                prefix_len: r.prefix_len,
                last,
                text_start,
                text_end: out.text.len(),
            });
        }
        out
    }
}

impl fmt::Debug for OpsRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for OpsRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for OpsRef<'_> {}

impl<'a> IntoIterator for OpsRef<'a> {
    type Item = Op<'a>;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl Serialize for OpsRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for op in self.iter() {
            seq.serialize_element(&op)?;
        }
        seq.end()
    }
}

/// The ops of an [`Ops`] or [`OpsRef`], in order.
#[derive(Clone)]
pub struct Iter<'a> {
    ops: &'a Ops,
    recs: std::slice::Iter<'a, Rec>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Op<'a>;
    fn next(&mut self) -> Option<Op<'a>> {
        self.recs.next().map(|r| self.ops.view(r))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.recs.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.recs.next_back().map(|r| self.ops.view(r))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// One change to the value of the arguments, borrowed from an [`Ops`].
///
/// Serialises as `{"op":"set","path":[…],"value":V}` or
/// `{"op":"append","path":[…],"text":T}`.
///
/// # Examples
///
/// ```
/// use streamfold::partial_json::{Op, Ops, PartialJson, PathSegment, SetValue};
///
/// let mut ops = Ops::new();
/// PartialJson::new().push("{\"n\":-1.5e3,", &mut ops).unwrap();
/// match ops.get(1).unwrap() {
///     Op::Set { path, value: SetValue::Number(text) } => {
///         assert_eq!(path.iter().collect::<Vec<_>>(), [PathSegment::Key("n")]);
///         assert_eq!(text, "-1.5e3"); // the number's JSON text
///     }
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op<'a> {
    /// A value is now present at `path`: a new member of an object, the next
    /// element of an array, or the root (`path` empty). Containers start
    /// empty and strings start as `""`; later ops fill them. A `Set` at a
    /// path that already holds a value (an object's duplicate key) replaces
    /// it, as the last duplicate wins in serde_json.
    Set {
        /// Where the value goes.
        path: Path<'a>,
        /// The value, or the empty container or string it starts as.
        value: SetValue<'a>,
    },
    /// `text` is appended to the string at `path`.
    Append {
        /// The string's place.
        path: Path<'a>,
        /// Decoded text: whole characters, escapes resolved.
        text: &'a str,
    },
}

impl<'a> Op<'a> {
    /// The place the op changes.
    pub fn path(&self) -> Path<'a> {
        match *self {
            Op::Set { path, .. } | Op::Append { path, .. } => path,
        }
    }
}

impl Serialize for Op<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(3))?;
        match self {
            Op::Set { path, value } => {
                m.serialize_entry("op", "set")?;
                m.serialize_entry("path", path)?;
                m.serialize_entry("value", value)?;
            }
            Op::Append { path, text } => {
                m.serialize_entry("op", "append")?;
                m.serialize_entry("path", path)?;
                m.serialize_entry("text", text)?;
            }
        }
        m.end()
    }
}

/// The value of a [`Op::Set`]: a scalar as it is final, or the empty string
/// or container a value starts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetValue<'a> {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, as its JSON text (`-1.5e3`), complete and valid.
    Number(&'a str),
    /// `""`: a string, whose text follows in [`Op::Append`]s.
    String,
    /// `{}`: an object, whose members follow.
    Object,
    /// `[]`: an array, whose elements follow.
    Array,
}

impl SetValue<'_> {
    /// The value as a [`Number`], for [`SetValue::Number`] (an integer when
    /// the text is one and fits 64 bits, else an `f64`).
    pub fn number(&self) -> Option<Number> {
        match self {
            SetValue::Number(text) => Some(number_of(text)),
            _ => None,
        }
    }
}

/// The number a valid JSON number text stands for.
pub(crate) fn number_of(text: &str) -> Number {
    let integer = !text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'));
    Number::from_json_text(text, integer)
}

impl Serialize for SetValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SetValue::Null => serializer.serialize_unit(),
            SetValue::Bool(b) => serializer.serialize_bool(*b),
            SetValue::Number(text) => number_of(text).serialize(serializer),
            SetValue::String => serializer.serialize_str(""),
            SetValue::Object => serializer.serialize_map(Some(0))?.end(),
            SetValue::Array => serializer.serialize_seq(Some(0))?.end(),
        }
    }
}

/// Where an op applies: object keys and array indices from the root, as a
/// borrowed view (no allocation).
///
/// Serialises as a JSON list (`["files", 2, "name"]`; `[]` is the root).
///
/// # Examples
///
/// ```
/// use streamfold::partial_json::{Ops, PartialJson, PathSegment};
///
/// let mut ops = Ops::new();
/// PartialJson::new().push("{\"files\":[{\"name\":\"a", &mut ops).unwrap();
/// let path = ops.iter().next_back().unwrap().path();
/// assert_eq!(path.len(), 3);
/// assert_eq!(
///     path.iter().collect::<Vec<_>>(),
///     [PathSegment::Key("files"), PathSegment::Index(0), PathSegment::Key("name")]
/// );
/// assert_eq!(path.last(), Some(PathSegment::Key("name")));
/// assert_eq!(serde_json::to_string(&path).unwrap(), r#"["files",0,"name"]"#);
/// ```
#[derive(Clone, Copy)]
pub struct Path<'a> {
    prefix: &'a [Seg],
    last: Option<&'a Seg>,
}

impl Path<'static> {
    /// The root's path, `[]`.
    pub const ROOT: Path<'static> = Path {
        prefix: &[],
        last: None,
    };
}

impl<'a> Path<'a> {
    /// How many segments the path has (0 for the root).
    pub fn len(&self) -> usize {
        self.prefix.len() + usize::from(self.last.is_some())
    }

    /// True for the root's path.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The segments, from the root.
    pub fn iter(&self) -> PathIter<'a> {
        PathIter {
            prefix: self.prefix.iter(),
            last: self.last,
        }
    }

    /// The last segment (the value's own key or index), `None` for the root.
    pub fn last(&self) -> Option<PathSegment<'a>> {
        self.split_last().map(|(_, seg)| seg)
    }

    /// The path of the container holding the value, `None` for the root.
    pub fn parent(&self) -> Option<Path<'a>> {
        self.split_last().map(|(parent, _)| parent)
    }

    /// The parent's path and the last segment, `None` for the root.
    pub fn split_last(&self) -> Option<(Path<'a>, PathSegment<'a>)> {
        match self.last {
            Some(seg) => Some((
                Path {
                    prefix: self.prefix,
                    last: None,
                },
                segment(seg),
            )),
            None => {
                let (seg, prefix) = self.prefix.split_last()?;
                Some((Path { prefix, last: None }, segment(seg)))
            }
        }
    }
}

fn segment(seg: &Seg) -> PathSegment<'_> {
    match seg {
        Seg::Key(k) => PathSegment::Key(k),
        Seg::Index(i) => PathSegment::Index(*i),
    }
}

impl PartialEq for Path<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Path<'_> {}

impl fmt::Debug for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Path<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for seg in self.iter() {
            seq.serialize_element(&seg)?;
        }
        seq.end()
    }
}

impl<'a> IntoIterator for Path<'a> {
    type Item = PathSegment<'a>;
    type IntoIter = PathIter<'a>;
    fn into_iter(self) -> PathIter<'a> {
        self.iter()
    }
}

/// The segments of a [`Path`], from the root.
#[derive(Clone)]
pub struct PathIter<'a> {
    prefix: std::slice::Iter<'a, Seg>,
    last: Option<&'a Seg>,
}

impl<'a> Iterator for PathIter<'a> {
    type Item = PathSegment<'a>;
    fn next(&mut self) -> Option<PathSegment<'a>> {
        match self.prefix.next() {
            Some(seg) => Some(segment(seg)),
            None => self.last.take().map(segment),
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.prefix.len() + usize::from(self.last.is_some());
        (n, Some(n))
    }
}

impl DoubleEndedIterator for PathIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self.last.take() {
            Some(seg) => Some(segment(seg)),
            None => self.prefix.next_back().map(segment),
        }
    }
}

impl ExactSizeIterator for PathIter<'_> {}

/// One step of a [`Path`]: an object key or an array index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PathSegment<'a> {
    /// A member of an object.
    Key(&'a str),
    /// An element of an array (0-based).
    Index(usize),
}

impl Serialize for PathSegment<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            PathSegment::Key(k) => serializer.serialize_str(k),
            PathSegment::Index(i) => serializer.serialize_u64(*i as u64),
        }
    }
}
