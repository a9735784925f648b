//! JSON objects: members in the order they arrived.

use std::fmt;

use indexmap::IndexMap;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::value::Value;

/// A JSON object whose members keep the order in which they arrived (so a
/// folded object diffs cleanly against the non-streaming API's). Setting a
/// key that is present replaces its value in place; equality ignores order.
///
/// # Examples
///
/// ```
/// use streamfold::{Map, Value};
///
/// let mut m = Map::new();
/// m.insert("z", Value::from("last"));
/// m.insert("a", Value::from(1u64));
/// m.insert("z", Value::from("kept in place"));
/// assert_eq!(m.keys().collect::<Vec<_>>(), ["z", "a"]);
/// assert_eq!(m.get("z").and_then(Value::as_str), Some("kept in place"));
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct Map(IndexMap<String, Value>);

impl Map {
    /// An empty object.
    pub fn new() -> Map {
        Map(IndexMap::new())
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is no member.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// The value of `key`, to change it.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.0.get_mut(key)
    }

    /// True when `key` is a member.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// Sets `key` to `value`: a new key goes last, an existing one keeps
    /// its place. Returns the previous value.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        self.0.insert(key.into(), value)
    }

    /// Removes `key`, keeping the order of the others (cost: linear in the
    /// members after it).
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.0.shift_remove(key)
    }

    /// The members in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, &Value)> + ExactSizeIterator {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The members in order, values mutable.
    pub fn iter_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = (&str, &mut Value)> + ExactSizeIterator {
        self.0.iter_mut().map(|(k, v)| (k.as_str(), v))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.0.keys().map(String::as_str)
    }

    /// The values in order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.0.values()
    }

    /// The value of `key`, inserted as `default()` first if absent.
    pub fn get_or_insert_with(&mut self, key: &str, default: impl FnOnce() -> Value) -> &mut Value {
        if !self.0.contains_key(key) {
            self.0.insert(key.to_string(), default());
        }
        self.0.get_mut(key).expect("just inserted")
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter()).finish()
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = indexmap::map::IntoIter<String, Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<K: Into<String>> FromIterator<(K, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Self {
        Map(iter.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

impl<K: Into<String>> Extend<(K, Value)> for Map {
    fn extend<I: IntoIterator<Item = (K, Value)>>(&mut self, iter: I) {
        self.0.extend(iter.into_iter().map(|(k, v)| (k.into(), v)));
    }
}

impl std::ops::Index<&str> for Map {
    type Output = Value;

    /// The value of `key`, or `Value::Null` when absent (as serde_json).
    fn index(&self, key: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.0.get(key).unwrap_or(&NULL)
    }
}

impl Serialize for Map {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Map {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor;
        impl<'de> Visitor<'de> for MapVisitor {
            type Value = Map;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Map, A::Error> {
                let mut m = IndexMap::with_capacity(access.size_hint().unwrap_or(0).min(4096));
                while let Some((k, v)) = access.next_entry::<String, Value>()? {
                    m.insert(k, v);
                }
                Ok(Map(m))
            }
        }
        deserializer.deserialize_map(MapVisitor)
    }
}
