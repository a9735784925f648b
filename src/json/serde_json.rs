//! Conversions to and from `serde_json::Value` (feature `serde_json`, on by
//! default): the JSON type LLM clients already hold.

use super::map::Map;
use super::value::{Number, Value};

impl From<Value> for serde_json::Value {
    /// The same JSON value (object members in the same order when
    /// serde_json's `preserve_order` is on; sorted otherwise).
    fn from(v: Value) -> Self {
        match v {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(b),
            Value::Number(n) => serde_json::Value::Number(n.into()),
            Value::String(s) => serde_json::Value::String(s),
            Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(Into::into).collect())
            }
            Value::Object(m) => serde_json::Value::Object(m.into()),
        }
    }
}

impl From<Map> for serde_json::Map<String, serde_json::Value> {
    fn from(m: Map) -> Self {
        m.into_iter().map(|(k, v)| (k, v.into())).collect()
    }
}

impl From<Number> for serde_json::Number {
    fn from(n: Number) -> Self {
        if let Some(v) = n.as_u64() {
            v.into()
        } else if let Some(v) = n.as_i64() {
            v.into()
        } else {
            // Finite by construction: the scanner and `Number::from_f64`
            // never hold NaN or infinities.
            serde_json::Number::from_f64(n.as_f64()).unwrap_or_else(|| 0.into())
        }
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n.into()),
            serde_json::Value::String(s) => Value::String(s),
            serde_json::Value::Array(items) => {
                Value::Array(items.into_iter().map(Into::into).collect())
            }
            serde_json::Value::Object(m) => Value::Object(m.into()),
        }
    }
}

impl From<serde_json::Map<String, serde_json::Value>> for Map {
    fn from(m: serde_json::Map<String, serde_json::Value>) -> Self {
        m.into_iter().map(|(k, v)| (k, Value::from(v))).collect()
    }
}

impl From<serde_json::Number> for Number {
    fn from(n: serde_json::Number) -> Self {
        if let Some(v) = n.as_u64() {
            v.into()
        } else if let Some(v) = n.as_i64() {
            v.into()
        } else {
            n.as_f64()
                .and_then(Number::from_f64)
                .unwrap_or_else(|| 0u64.into())
        }
    }
}

impl PartialEq<serde_json::Value> for Value {
    fn eq(&self, other: &serde_json::Value) -> bool {
        match (self, other) {
            (Value::Null, serde_json::Value::Null) => true,
            (Value::Bool(a), serde_json::Value::Bool(b)) => a == b,
            (Value::Number(a), serde_json::Value::Number(b)) => match (a.as_u64(), b.as_u64()) {
                (Some(x), Some(y)) => x == y,
                _ => match (a.as_i64(), b.as_i64()) {
                    (Some(x), Some(y)) => x == y,
                    _ => Some(a.as_f64()) == b.as_f64(),
                },
            },
            (Value::String(a), serde_json::Value::String(b)) => a == b,
            (Value::Array(a), serde_json::Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
            }
            (Value::Object(a), serde_json::Value::Object(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v == w))
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_convert_both_ways_without_loss() {
        let text = r#"{"b":[1,-2,0.1,1.7e9,"x",null,false],"a":{"k":"é"}}"#;
        let ours: Value = text.parse().unwrap();
        let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(ours, theirs);
        let there: serde_json::Value = ours.clone().into();
        assert_eq!(there, theirs);
        assert_eq!(Value::from(theirs), ours);
    }

    #[test]
    fn negative_zero_is_the_float_serde_json_reads() {
        for text in ["-0", "[-0,0,-0.0]", r#"{"n":-0}"#] {
            let ours: Value = text.parse().unwrap();
            let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
            let there: serde_json::Value = ours.into();
            assert_eq!(there, theirs, "{text}");
            assert_eq!(there.to_string(), theirs.to_string(), "{text}");
        }
    }
}
