//! Raw JSON text of one value, as it arrived.

use std::fmt;

use serde::ser::{Serialize, Serializer};

use super::scanner::Scanner;
use super::value::{parse_value, Value};
use crate::limits::DEPTH_CAP;
use crate::text::Text;

/// Raw JSON text of one value, already validated by the engine.
///
/// Events carry values the engine does not interpret (usage objects,
/// provider fields, log-probabilities) this way: the text exactly as it
/// arrived, borrowed where possible. Serialising it writes the same JSON
/// value; [`RawJson::to_value`] parses it.
///
/// # Examples
///
/// ```
/// use streamfold::{Fold, Event};
///
/// let mut fold = Fold::new();
/// let body = b"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}\n\n";
/// for event in fold.push(body) {
///     if let Event::Usage { usage, .. } = event? {
///         assert_eq!(usage.as_str(), r#"{"prompt_tokens":3,"completion_tokens":1}"#);
///         assert_eq!(usage.to_value().get("prompt_tokens").and_then(|v| v.as_u64()), Some(3));
///     }
/// }
/// # Ok::<(), streamfold::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawJson<'a>(pub(crate) Text<'a>);

impl<'a> RawJson<'a> {
    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses the text into a [`Value`].
    pub fn to_value(&self) -> Value {
        let mut sc = Scanner::new(&self.0, DEPTH_CAP);
        parse_value(&mut sc).unwrap_or(Value::Null)
    }

    /// An owned copy, independent of the engine's buffers.
    pub fn into_owned(self) -> RawJson<'static> {
        RawJson(self.0.into_owned())
    }
}

impl fmt::Display for RawJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for RawJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}
