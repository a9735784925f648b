//! Applying ops to a value: the crate's own [`Value`], and
//! `serde_json::Value` (feature `serde_json`).

use std::fmt;

use super::ops::{number_of, Op, Path, PathSegment, SetValue};
use crate::json::value::{Map, Value};

/// A JSON value that ops can rebuild in place.
///
/// Start from any value (`null` will do): the first op of a call sets the
/// root. Implemented for [`Value`] and, with the `serde_json` feature, for
/// `serde_json::Value`.
///
/// # Examples
///
/// ```
/// use streamfold::partial_json::{OpTarget, Ops, PartialJson};
/// use streamfold::Value;
///
/// let mut parser = PartialJson::new();
/// let mut ops = Ops::new();
/// let mut value = Value::Null;
/// for fragment in ["{\"q\":\"ru", "st\",\"n\":3", "}"] {
///     ops.clear();
///     parser.push(fragment, &mut ops).unwrap();
///     value.apply_all(&ops).unwrap();
/// }
/// assert_eq!(value, "{\"q\":\"rust\",\"n\":3}".parse::<Value>().unwrap());
/// ```
pub trait OpTarget {
    /// Applies one op.
    ///
    /// # Errors
    ///
    /// When the op does not fit the value: its path does not lead to a
    /// place in it, or it appends to something other than a string. The
    /// ops of one parser, applied in order from its first, always fit.
    fn apply(&mut self, op: &Op<'_>) -> Result<(), ApplyError>;

    /// Applies ops in order, stopping at the first that does not fit.
    ///
    /// # Errors
    ///
    /// As [`apply`](OpTarget::apply).
    fn apply_all<'a, I>(&mut self, ops: I) -> Result<(), ApplyError>
    where
        I: IntoIterator<Item = Op<'a>>,
        Self: Sized,
    {
        for op in ops {
            self.apply(&op)?;
        }
        Ok(())
    }
}

/// An op that does not fit the value it was applied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyError {
    reason: &'static str,
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason)
    }
}

impl std::error::Error for ApplyError {}

const NO_PLACE: ApplyError = ApplyError {
    reason: "the op's path does not lead to a place in the value",
};
const NOT_A_STRING: ApplyError = ApplyError {
    reason: "an append to a value that is not a string",
};
#[cfg(feature = "serde_json")]
const BAD_NUMBER: ApplyError = ApplyError {
    reason: "a number the value type cannot hold",
};

/// What applying needs of a value type.
trait Tree: Sized {
    fn from_set(value: &SetValue<'_>) -> Result<Self, ApplyError>;
    fn child_mut(&mut self, seg: PathSegment<'_>) -> Option<&mut Self>;
    /// Puts `value` at `seg` of this container: an object's member (added or
    /// replaced), or an array's element (the next one, or replaced).
    fn put(&mut self, seg: PathSegment<'_>, value: Self) -> Result<(), ApplyError>;
    fn push_str(&mut self, text: &str) -> Result<(), ApplyError>;
}

fn walk<'v, T: Tree>(mut node: &'v mut T, path: Path<'_>) -> Result<&'v mut T, ApplyError> {
    for seg in path.iter() {
        node = node.child_mut(seg).ok_or(NO_PLACE)?;
    }
    Ok(node)
}

fn apply_op<T: Tree>(root: &mut T, op: &Op<'_>) -> Result<(), ApplyError> {
    match op {
        Op::Set { path, value } => {
            let value = T::from_set(value)?;
            match path.split_last() {
                None => *root = value,
                Some((parent, seg)) => walk(root, parent)?.put(seg, value)?,
            }
            Ok(())
        }
        Op::Append { path, text } => walk(root, *path)?.push_str(text),
    }
}

impl OpTarget for Value {
    fn apply(&mut self, op: &Op<'_>) -> Result<(), ApplyError> {
        apply_op(self, op)
    }
}

impl Tree for Value {
    fn from_set(value: &SetValue<'_>) -> Result<Self, ApplyError> {
        Ok(match *value {
            SetValue::Null => Value::Null,
            SetValue::Bool(b) => Value::Bool(b),
            SetValue::Number(text) => Value::Number(number_of(text)),
            SetValue::String => Value::String(String::new()),
            SetValue::Object => Value::Object(Map::new()),
            SetValue::Array => Value::Array(Vec::new()),
        })
    }

    fn child_mut(&mut self, seg: PathSegment<'_>) -> Option<&mut Self> {
        match (self, seg) {
            (Value::Object(m), PathSegment::Key(k)) => m.get_mut(k),
            (Value::Array(a), PathSegment::Index(i)) => a.get_mut(i),
            _ => None,
        }
    }

    fn put(&mut self, seg: PathSegment<'_>, value: Self) -> Result<(), ApplyError> {
        match (self, seg) {
            (Value::Object(m), PathSegment::Key(k)) => {
                m.insert(k.to_owned(), value);
                Ok(())
            }
            (Value::Array(a), PathSegment::Index(i)) => put_element(a, i, value),
            _ => Err(NO_PLACE),
        }
    }

    fn push_str(&mut self, text: &str) -> Result<(), ApplyError> {
        match self {
            Value::String(s) => {
                s.push_str(text);
                Ok(())
            }
            _ => Err(NOT_A_STRING),
        }
    }
}

fn put_element<T>(items: &mut Vec<T>, i: usize, value: T) -> Result<(), ApplyError> {
    if i == items.len() {
        items.push(value);
    } else if let Some(slot) = items.get_mut(i) {
        *slot = value;
    } else {
        return Err(NO_PLACE);
    }
    Ok(())
}

#[cfg(feature = "serde_json")]
impl OpTarget for serde_json::Value {
    fn apply(&mut self, op: &Op<'_>) -> Result<(), ApplyError> {
        apply_op(self, op)
    }
}

#[cfg(feature = "serde_json")]
impl Tree for serde_json::Value {
    fn from_set(value: &SetValue<'_>) -> Result<Self, ApplyError> {
        use serde_json::Value as J;
        Ok(match *value {
            SetValue::Null => J::Null,
            SetValue::Bool(b) => J::Bool(b),
            // serde_json's own reading of the text: the number it would
            // have parsed from the whole document.
            SetValue::Number(text) => J::Number(text.parse().map_err(|_| BAD_NUMBER)?),
            SetValue::String => J::String(String::new()),
            SetValue::Object => J::Object(serde_json::Map::new()),
            SetValue::Array => J::Array(Vec::new()),
        })
    }

    fn child_mut(&mut self, seg: PathSegment<'_>) -> Option<&mut Self> {
        use serde_json::Value as J;
        match (self, seg) {
            (J::Object(m), PathSegment::Key(k)) => m.get_mut(k),
            (J::Array(a), PathSegment::Index(i)) => a.get_mut(i),
            _ => None,
        }
    }

    fn put(&mut self, seg: PathSegment<'_>, value: Self) -> Result<(), ApplyError> {
        use serde_json::Value as J;
        match (self, seg) {
            (J::Object(m), PathSegment::Key(k)) => {
                m.insert(k.to_owned(), value);
                Ok(())
            }
            (J::Array(a), PathSegment::Index(i)) => put_element(a, i, value),
            _ => Err(NO_PLACE),
        }
    }

    fn push_str(&mut self, text: &str) -> Result<(), ApplyError> {
        match self {
            serde_json::Value::String(s) => {
                s.push_str(text);
                Ok(())
            }
            _ => Err(NOT_A_STRING),
        }
    }
}
