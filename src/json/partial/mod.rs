//! Partial JSON: a tool call's arguments as a value while they arrive.
//!
//! A [`PartialJson`] reads the arguments text of one tool call in fragments
//! and reports, for each fragment, what changed in the value as [`Op`]s in
//! a reusable [`Ops`] buffer. Each fragment is read once: the whole call
//! costs O(text), where re-parsing the accumulated text on every fragment
//! (as the SDKs' snapshots do) costs O(text²).
//!
//! # Examples
//!
//! ```
//! use streamfold::partial_json::{OpTarget, Ops, PartialJson};
//!
//! let mut parser = PartialJson::new();
//! let mut ops = Ops::new();
//! let mut value = serde_json::Value::Null;
//! let mut views = Vec::new();
//! for fragment in ["{\"path\":\"notes.md\",\"content\":\"# Ti", "tle\\n\\nBody", "\",\"lines\":[1,2", "]}"] {
//!     ops.clear();
//!     parser.push(fragment, &mut ops)?;
//!     value.apply_all(&ops).unwrap();
//!     views.push((value["content"].to_string(), value.get("lines").map(|l| l.to_string())));
//! }
//! parser.finish(&mut ops)?;
//! let expected = [
//!     (r##""# Ti""##, None),
//!     (r##""# Title\n\nBody""##, None),
//!     (r##""# Title\n\nBody""##, Some("[1]")),
//!     (r##""# Title\n\nBody""##, Some("[1,2]")),
//! ];
//! let expected = expected.map(|(c, l)| (c.to_string(), l.map(String::from)));
//! assert_eq!(views, expected);
//! assert_eq!(value["path"], "notes.md");
//! # Ok::<(), streamfold::partial_json::PartialJsonError>(())
//! ```
//!
//! (The `2` appears with the `]` that ends it: until then more digits could
//! follow.)
//!
//! # The ops
//!
//! - [`Op::Set`] `{"op":"set","path":P,"value":V}`: a value is now present
//!   at `P`, a new member of an object, the next element of an array, or the
//!   root (`P = []`). `V` is `null`, a boolean or a number as it is final;
//!   `""` for a string, `{}` or `[]` for a container, which later ops fill.
//! - [`Op::Append`] `{"op":"append","path":P,"text":T}`: `T` is appended to
//!   the string at `P`.
//!
//! `P` lists object keys (strings) and array indices (integers) from the
//! root ([`Path`]).
//!
//! When each op comes:
//!
//! - A string is set (as `""`) at its opening quote; its text is appended
//!   as it arrives, in whole characters: an escape once it is complete
//!   (decoded), a surrogate pair (`\ud83d\ude00`) as one character. An
//!   unfinished string is never held back, so a UI sees a file's content
//!   grow. A push appends at most one text per string (the fragment's part
//!   of it, escapes included).
//! - A number is set once it is complete: at the whitespace, `,`, `]` or
//!   `}` after it, or at [`PartialJson::finish`] for a number that is the
//!   whole text. `true`, `false` and `null` are set at their last letter.
//! - An object or array is set at its opening bracket; nothing marks its
//!   end.
//! - An object's member appears only once its key is complete: there is no
//!   op for a key, and its value's `Set` (whose path ends with the key)
//!   comes when the value starts (strings, containers) or is complete
//!   (numbers, literals).
//!
//! What the ops promise:
//!
//! - **The final value.** Applying every op in order ([`OpTarget`])
//!   rebuilds the value serde_json parses from the whole text, number for
//!   number.
//! - **Prefixes.** After any push, the value the ops so far rebuild holds
//!   nothing the final value lacks: every scalar present is final, every
//!   string a prefix of its final text, every array and object holds some
//!   of its final members (an array its first elements), all complete but
//!   the last one started. A value never changes type or shrinks — with one
//!   exception: an object's *duplicate key*. serde_json keeps the last
//!   duplicate; so do the ops, with a second `Set` at the same path, which
//!   replaces the first value (and its members) wholesale.
//! - **Against the SDKs' snapshots.** The value so far holds everything the
//!   snapshot of openai-python or anthropic-python (jiter's partial mode on
//!   the accumulated text) holds at that point, with one exception: a number
//!   still at the very end of the text, which the snapshot shows before it
//!   is known to be complete (`12`, that may become `123`) and the ops only
//!   once it is. It holds more than the snapshot too: an unfinished string's
//!   text, which the snapshot drops.
//! - **Split invariance.** The same text cut into fragments anywhere
//!   (between characters: inside a key, an escape, a surrogate pair's two
//!   escapes, a number, a literal) gives the same ops once adjacent appends
//!   to the same string are joined; only how a string's text is divided
//!   among appends depends on the cuts. A call whose text arrives whole gets
//!   all its ops from one push.
//! - **Invalid JSON** — anything serde_json rejects: bad escapes, lone
//!   surrogates, control characters in strings, numbers such as `01`, `1.`,
//!   `-` or `1e400`, trailing characters, a text that ends inside its value
//!   or before any (at `finish`; an empty text included) — stops the ops. The push or finish that meets it returns
//!   a [`PartialJsonError`] with the byte offset in the arguments text (see
//!   there for which byte), the ops of the bytes before that offset are
//!   all given, and later calls return the same error without adding ops. A
//!   number is set only when the byte after it is one the grammar accepts
//!   there (`[1}` sets nothing; `[1 }` sets the `1`).
//!
//! # Limits and cost
//!
//! Nesting is bounded (default 128 levels, at most 1,024; one container
//! more is [`ErrorKind::TooDeep`] at its bracket) and so is the text
//! (default 128 MiB, [`ErrorKind::TooLarge`]). serde_json's recursion limit
//! refuses 128 levels where the default accepts them: only a text nested
//! exactly 128 deep parses here and not there.
//!
//! A push costs O(fragment), plus O(depth) for the first op it makes and
//! for each container opened; other ops cost O(1). Nothing recurses. The
//! parser keeps one frame per open container, the key or number being read,
//! and nothing else of the text; keys are stored once, shared (`Arc<str>`)
//! between the parser and the ops whose paths name them. In steady state a
//! push allocates nothing once the [`Ops`] buffer it fills (cleared between
//! pushes) has grown, except one allocation per object key read.
//!
//! On demand, [`partial_value`] gives the value of an accumulated text
//! (O(text)).

mod apply;
mod error;
mod event_ops;
mod ops;
mod parser;
#[cfg(test)]
mod tests;

pub use apply::{ApplyError, OpTarget};
pub use error::{ErrorKind, PartialJsonError};
pub use event_ops::EventOps;
pub use ops::{Iter, Op, Ops, OpsRef, Path, PathIter, PathSegment, SetValue};
pub use parser::{PartialJson, DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH};

use crate::json::value::Value;

/// The value the ops of `text_so_far` rebuild, as [`PartialJson`] with the
/// default limits would report it after one push: what a UI shows for a call
/// whose arguments are still arriving. `None` while no value has started
/// (empty or blank text, or a number that may still grow).
///
/// Invalid text gives the value up to the error. Cost: O(text), a fresh
/// parse; use a [`PartialJson`] to follow a text as it grows.
///
/// # Examples
///
/// ```
/// use streamfold::partial_json::partial_value;
/// use streamfold::Value;
///
/// let v = partial_value("{\"cmd\":\"ls -la\",\"args\":[\"/tm").unwrap();
/// assert_eq!(v, "{\"cmd\":\"ls -la\",\"args\":[\"/tm\"]}".parse::<Value>().unwrap());
/// assert_eq!(partial_value("{\"n\":12"), Some("{}".parse().unwrap())); // 12 may grow
/// assert_eq!(partial_value("  "), None);
/// ```
pub fn partial_value(text_so_far: &str) -> Option<Value> {
    let mut ops = Ops::new();
    // An error leaves the ops before it, which is what is wanted here.
    let _ = PartialJson::new().push(text_so_far, &mut ops);
    if ops.is_empty() {
        return None;
    }
    let mut value = Value::Null;
    value.apply_all(&ops).ok()?;
    Some(value)
}
