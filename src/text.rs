//! The text an event carries: borrowed from the engine, shared with the
//! bytes it arrived in, or owned.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

use bytes::Bytes;
use serde::{Serialize, Serializer};

/// A string in an [`Event`](crate::Event): use it as a `&str` (it
/// dereferences to one, prints, compares and serialises as one).
///
/// In the sync API it borrows the fold's buffers (no copy); owned events
/// ([`Event::into_owned`](crate::Event::into_owned), the async adapter)
/// hold it either as a slice of the [`Bytes`] it arrived in (no copy) or as
/// their own copy.
///
/// # Examples
///
/// ```
/// use streamfold::Text;
///
/// let t = Text::from("Saturn");
/// assert_eq!(t, "Saturn");
/// assert_eq!(t.len(), 6);
/// assert_eq!(format!("{t}!"), "Saturn!");
/// let owned: Text<'static> = t.into_owned();
/// assert_eq!(owned.as_str(), "Saturn");
/// ```
#[derive(Clone)]
pub struct Text<'a>(Repr<'a>);

#[derive(Clone)]
enum Repr<'a> {
    Borrowed(&'a str),
    /// Valid UTF-8, checked when built.
    Shared(Bytes),
    Owned(Arc<str>),
}

impl<'a> Text<'a> {
    /// The text.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Borrowed(s) => s,
            Repr::Shared(b) => shared_str(b),
            Repr::Owned(s) => s,
        }
    }

    /// An owned copy, independent of the buffers it borrowed.
    ///
    /// Cost: a copy, unless it already owns or shares its bytes.
    pub fn into_owned(self) -> Text<'static> {
        match self.0 {
            Repr::Borrowed(s) => Text(Repr::Owned(Arc::from(s))),
            Repr::Shared(b) => Text(Repr::Shared(b)),
            Repr::Owned(s) => Text(Repr::Owned(s)),
        }
    }

    /// Text shared with the bytes it arrived in; `None` unless `bytes` is
    /// valid UTF-8.
    pub fn from_utf8_bytes(bytes: Bytes) -> Option<Text<'static>> {
        std::str::from_utf8(&bytes).ok()?;
        Some(Text(Repr::Shared(bytes)))
    }

    /// True when the text is a slice of the bytes it arrived in (no copy).
    pub fn is_shared(&self) -> bool {
        matches!(self.0, Repr::Shared(_))
    }
}

/// The text of shared bytes (validated as UTF-8 when the `Text` was built).
fn shared_str(b: &Bytes) -> &str {
    // Validated in `from_utf8_bytes`; this re-check keeps the crate free of
    // unchecked conversions and costs a pass over the bytes, which the
    // async adapter's callers pay only when they read the text.
    std::str::from_utf8(b).unwrap_or("")
}

impl Default for Text<'_> {
    fn default() -> Self {
        Text(Repr::Borrowed(""))
    }
}

impl Deref for Text<'_> {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text<'_> {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(s: &'a str) -> Self {
        Text(Repr::Borrowed(s))
    }
}

impl From<String> for Text<'_> {
    fn from(s: String) -> Self {
        Text(Repr::Owned(Arc::from(s)))
    }
}

impl From<Text<'_>> for String {
    fn from(t: Text<'_>) -> Self {
        t.as_str().to_string()
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text<'_> {}

impl PartialEq<str> for Text<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text<'_> {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Text<'_>> for str {
    fn eq(&self, other: &Text<'_>) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Text<'_>> for &str {
    fn eq(&self, other: &Text<'_>) -> bool {
        *self == other.as_str()
    }
}

impl Hash for Text<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}
