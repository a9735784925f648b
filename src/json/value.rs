//! Owned JSON values, for the parts of a stream the engine keeps without
//! knowing their shape (provider extension fields, usage details, logprobs).

use std::fmt;

use serde::ser::{Serialize, SerializeSeq, Serializer};

pub use super::map::Map;
use super::scanner::{parse_i64, parse_u64, JsonResult, Kind, Scanner};
use super::string::StrSpan;

/// Any JSON value.
///
/// # Examples
///
/// ```
/// use streamfold::Value;
///
/// let v: Value = "{\"a\":[1,-2,3.5,true,null,\"x\"]}".parse().unwrap();
/// assert_eq!(v.get("a").and_then(|a| a.as_array()).map(|a| a.len()), Some(6));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// `null`
    #[default]
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object.
    Object(Map),
}

/// A JSON number: an integer when it has one, else a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Number(N);

#[derive(Debug, Clone, Copy, PartialEq)]
enum N {
    PosInt(u64),
    NegInt(i64),
    Float(f64),
}

impl Number {
    /// The value as `u64`, if it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self.0 {
            N::PosInt(v) => Some(v),
            _ => None,
        }
    }

    /// The value as `i64`, if it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            N::PosInt(v) => i64::try_from(v).ok(),
            N::NegInt(v) => Some(v),
            N::Float(_) => None,
        }
    }

    /// The value as `f64` (integers converted, possibly losing precision).
    pub fn as_f64(&self) -> f64 {
        match self.0 {
            N::PosInt(v) => v as f64,
            N::NegInt(v) => v as f64,
            N::Float(v) => v,
        }
    }

    /// Reads the text of a JSON number (already validated).
    pub(crate) fn from_json_text(text: &str, integer: bool) -> Number {
        if integer {
            if let Some(v) = parse_u64(text.as_bytes()) {
                return Number(N::PosInt(v));
            }
            // `-0` is the float negative zero (as serde_json reads it):
            // an integer would lose its sign.
            if let Some(v) = parse_i64(text.as_bytes()).filter(|&v| v != 0) {
                return Number(N::NegInt(v));
            }
        }
        Number(N::Float(text.parse().unwrap_or(f64::NAN)))
    }
}

impl From<u64> for Number {
    fn from(v: u64) -> Self {
        Number(N::PosInt(v))
    }
}

impl Number {
    /// A float; `None` for NaN and infinities (JSON has no such numbers).
    pub fn from_f64(v: f64) -> Option<Number> {
        v.is_finite().then_some(Number(N::Float(v)))
    }

    /// True when the number is held as an integer.
    pub fn is_integer(&self) -> bool {
        !matches!(self.0, N::Float(_))
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Self {
        if v >= 0 {
            Number(N::PosInt(v as u64))
        } else {
            Number(N::NegInt(v))
        }
    }
}

impl Value {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => m.get(key),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number as `u64`, if this is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The number as `i64`, if this is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The number as `f64`, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(n.as_f64()),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The element `i` of an array.
    pub fn get_index(&self, i: usize) -> Option<&Value> {
        match self {
            Value::Array(a) => a.get(i),
            _ => None,
        }
    }

    /// The elements, if this is an array, to change them.
    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The members, if this is an object, to change them.
    pub fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The value as compact JSON text.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        super::write::write_value(self, &mut out);
        out
    }
}

impl fmt::Display for Value {
    /// Compact JSON text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl fmt::Display for Number {
    /// The number as JSON text (floats in their shortest round-trip form).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        super::write::write_number(self, &mut out);
        f.write_str(&out)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::Number(v.into())
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Number(v.into())
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Self {
        Value::Object(m)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::Array(v)
    }
}

/// Error from parsing text into a [`Value`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseValueError {
    pos: usize,
    message: &'static str,
}

impl fmt::Display for ParseValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.pos)
    }
}

impl std::error::Error for ParseValueError {}

impl std::str::FromStr for Value {
    type Err = ParseValueError;

    /// Parses one JSON document, nested at most 128 deep.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut sc = Scanner::new(s, 128);
        match parse_value(&mut sc).and_then(|v| sc.finish().map(|()| v)) {
            Ok(v) => Ok(v),
            Err(_) => Err(ParseValueError {
                pos: sc.error().pos,
                message: sc.error().code.message(),
            }),
        }
    }
}

enum Frame {
    Array(Vec<Value>),
    Object(Map, String),
}

/// Parses the value at the cursor into a [`Value`], without recursion.
pub(crate) fn parse_value(sc: &mut Scanner<'_>) -> JsonResult<Value> {
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        let mut v = match sc.peek_kind()? {
            Kind::Object => {
                sc.object()?;
                let mut first = true;
                match sc.next_key(&mut first)? {
                    Some(k) => {
                        stack.push(Frame::Object(Map::new(), owned(sc, k)));
                        continue;
                    }
                    None => Value::Object(Map::new()),
                }
            }
            Kind::Array => {
                sc.array()?;
                let mut first = true;
                if sc.next_element(&mut first)? {
                    stack.push(Frame::Array(Vec::new()));
                    continue;
                }
                Value::Array(Vec::new())
            }
            Kind::String => {
                let t = sc.string()?;
                Value::String(owned(sc, t))
            }
            Kind::Number => {
                let (span, integer) = sc.number()?;
                Value::Number(Number::from_json_text(span.get(sc.text()), integer))
            }
            Kind::True | Kind::False => Value::Bool(sc.boolean()?),
            Kind::Null => {
                sc.null()?;
                Value::Null
            }
        };
        // Attach `v` to its container, closing finished containers.
        loop {
            let Some(frame) = stack.pop() else {
                return Ok(v);
            };
            let mut first = false;
            match frame {
                Frame::Array(mut items) => {
                    items.push(v);
                    if sc.next_element(&mut first)? {
                        stack.push(Frame::Array(items));
                        break;
                    }
                    v = Value::Array(items);
                }
                Frame::Object(mut map, key) => {
                    map.insert(key, v);
                    if let Some(k) = sc.next_key(&mut first)? {
                        stack.push(Frame::Object(map, owned(sc, k)));
                        break;
                    }
                    v = Value::Object(map);
                }
            }
        }
    }
}

fn owned(sc: &Scanner<'_>, t: StrSpan) -> String {
    t.get(sc.text()).to_cow().into_owned()
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            N::PosInt(v) => serializer.serialize_u64(v),
            N::NegInt(v) => serializer.serialize_i64(v),
            N::Float(v) => serializer.serialize_f64(v),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(n) => n.serialize(serializer),
            Value::String(s) => serializer.serialize_str(s),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(map) => map.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_documents_in_order() {
        let v: Value = r#"{"b":[1,{"c":"d\n"}],"a":-5,"f":2.5e0,"t":true,"n":null}"#
            .parse()
            .unwrap();
        let m = v.as_object().unwrap();
        assert_eq!(m.len(), 5);
        assert_eq!(v.get("a"), Some(&Value::Number((-5i64).into())));
        assert_eq!(
            v.get("f")
                .map(|f| matches!(f, Value::Number(n) if n.as_f64() == 2.5)),
            Some(true)
        );
        let b = v.get("b").unwrap().as_array().unwrap();
        assert_eq!(b[1].get("c").and_then(Value::as_str), Some("d\n"));
    }

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        let v: Value = r#"{"a":1,"a":2}"#.parse().unwrap();
        assert_eq!(v.get("a").and_then(Value::as_u64), Some(2));
    }

    #[test]
    fn deep_documents_are_refused_not_recursed() {
        let deep = "[".repeat(100_000);
        assert!(deep.parse::<Value>().is_err());
    }
}
