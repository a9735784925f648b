//! The fields of one object of the final object (its top level, a choice,
//! a message, a block, a tool call), merged by the rule each op names.
//!
//! Values are kept as the JSON text that arrived (validated) for the rules
//! that only ever replace (so a field sent on every chunk costs a compare,
//! and a copy only when it changes), and parsed for the rules that combine
//! values. Members keep the order in which they first arrived.

use std::borrow::Cow;

use indexmap::IndexMap;

use super::merge::{merge_value, overlay};
use crate::delta::{Raw, Rule, ValueKind};
use crate::json::map::Map;
use crate::json::scanner::Scanner;
use crate::json::string::JsonStr;
use crate::json::value::{parse_value, Value};
use crate::limits::DEPTH_CAP;

#[derive(Debug, Clone)]
enum Slot {
    /// Validated JSON text.
    Raw(String),
    Value(Value),
}

/// An object being reassembled.
#[derive(Debug, Clone, Default)]
pub(crate) struct Doc {
    fields: IndexMap<String, Slot>,
    /// Positions of fields named by a decoder's constants, found by pointer
    /// (a compare instead of a hash on every chunk).
    statics: Vec<(&'static str, usize)>,
}

/// Parses JSON text the decoder already validated.
pub(crate) fn parse_raw(raw: &str) -> Value {
    let mut sc = Scanner::new(raw, DEPTH_CAP);
    parse_value(&mut sc).unwrap_or(Value::Null)
}

impl Slot {
    fn into_value(self) -> Value {
        match self {
            Slot::Raw(s) => parse_raw(&s),
            Slot::Value(v) => v,
        }
    }

    fn value_mut(&mut self) -> &mut Value {
        if let Slot::Raw(s) = self {
            *self = Slot::Value(parse_raw(s));
        }
        match self {
            Slot::Value(v) => v,
            Slot::Raw(_) => unreachable!("converted above"),
        }
    }

    /// True for `null`, `""`, and nothing else.
    fn is_unset(&self) -> bool {
        match self {
            Slot::Raw(s) => s == "null" || s == "\"\"",
            Slot::Value(v) => v.is_null() || v.as_str() == Some(""),
        }
    }
}

impl Doc {
    /// True when no field was set.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    fn position(&mut self, key: &str, known: Option<&'static str>) -> Option<usize> {
        if let Some(k) = known {
            if let Some(&(_, i)) = self.statics.iter().find(|(s, _)| std::ptr::eq(*s, k)) {
                return Some(i);
            }
        }
        let i = self.fields.get_index_of(key)?;
        if let Some(k) = known {
            self.statics.push((k, i));
        }
        Some(i)
    }

    /// Merges `value` (JSON text in `data`) into field `key` by `rule`;
    /// `known` is the decoder's constant when the name is one. Returns true
    /// when the field changed.
    pub fn apply(
        &mut self,
        key: &str,
        known: Option<&'static str>,
        value: &Raw,
        data: &str,
        rule: Rule,
    ) -> bool {
        let text = value.span.get(data);
        let null = value.kind == ValueKind::Null;
        let Some(i) = self.position(key, known) else {
            if null && rule != Rule::Replace {
                return false;
            }
            let slot = match rule {
                Rule::First | Rule::Last | Rule::Replace => Slot::Raw(text.to_string()),
                Rule::Merge | Rule::Overlay => Slot::Value(parse_raw(text)),
                Rule::Append => Slot::Value(Value::Array(vec![parse_raw(text)])),
            };
            let (i, _) = self.fields.insert_full(key.to_string(), slot);
            if let Some(k) = known {
                self.statics.push((k, i));
            }
            return true;
        };
        let (_, slot) = self.fields.get_index_mut(i).expect("position is in range");
        match rule {
            Rule::First => {
                let empty = null || (value.kind == ValueKind::String && value.text.is_empty());
                if !empty && slot.is_unset() {
                    *slot = Slot::Raw(text.to_string());
                    return true;
                }
                false
            }
            Rule::Last | Rule::Replace => {
                if null && rule == Rule::Last {
                    return false;
                }
                match slot {
                    Slot::Raw(s) if s == text => false,
                    Slot::Raw(s) => {
                        s.clear();
                        s.push_str(text);
                        true
                    }
                    Slot::Value(_) => {
                        *slot = Slot::Raw(text.to_string());
                        true
                    }
                }
            }
            Rule::Merge => {
                if null {
                    return false;
                }
                merge_value(slot.value_mut(), parse_raw(text), key);
                true
            }
            Rule::Append => {
                let v = slot.value_mut();
                match v {
                    Value::Array(items) => items.push(parse_raw(text)),
                    other => *other = Value::Array(vec![parse_raw(text)]),
                }
                true
            }
            Rule::Overlay => {
                if null {
                    return false;
                }
                overlay(slot.value_mut(), parse_raw(text));
                true
            }
        }
    }

    /// Replaces every field by the members of a complete object (JSON text),
    /// keeping none of the old ones.
    pub fn replace_with_object(&mut self, raw: &str) {
        self.fields.clear();
        self.statics.clear();
        if let Value::Object(m) = parse_raw(raw) {
            for (k, v) in m {
                self.fields.insert(k, Slot::Value(v));
            }
        }
    }

    /// Merges the members of an object (JSON text) by `rule`, member by
    /// member. With [`Rule::Replace`] the members are kept as their text
    /// (parsed once, when the final object is built or an op combines
    /// them).
    pub fn apply_object(&mut self, raw: &str, rule: Rule) {
        if rule == Rule::Replace {
            self.replace_members(raw);
            return;
        }
        let Value::Object(m) = parse_raw(raw) else {
            return;
        };
        for (k, v) in m {
            self.apply_value(&k, v, rule);
        }
    }

    /// Sets each member of an object (validated JSON text) to its text.
    fn replace_members(&mut self, raw: &str) {
        let mut sc = Scanner::new(raw, DEPTH_CAP);
        if sc.object().is_err() {
            return;
        }
        let mut first = true;
        while let Ok(Some(k)) = sc.next_key(&mut first) {
            let key = k.get(raw).to_cow();
            let Ok(span) = sc.skip_value() else {
                return;
            };
            let text = span.get(raw).to_string();
            match self.fields.get_index_of(&*key) {
                Some(i) => {
                    if let Some((_, slot)) = self.fields.get_index_mut(i) {
                        *slot = Slot::Raw(text);
                    }
                }
                None => {
                    self.fields.insert(key.into_owned(), Slot::Raw(text));
                }
            }
        }
    }

    /// Merges a parsed value into field `key` by `rule`.
    pub fn apply_value(&mut self, key: &str, v: Value, rule: Rule) {
        let Some(i) = self.fields.get_index_of(key) else {
            if v.is_null() && rule != Rule::Replace {
                return;
            }
            let v = if rule == Rule::Append {
                Value::Array(vec![v])
            } else {
                v
            };
            self.fields.insert(key.to_string(), Slot::Value(v));
            return;
        };
        let (_, slot) = self.fields.get_index_mut(i).expect("in range");
        match rule {
            Rule::First => {
                let empty = v.is_null() || v.as_str() == Some("");
                if !empty && slot.is_unset() {
                    *slot = Slot::Value(v);
                }
            }
            Rule::Last => {
                if !v.is_null() {
                    *slot = Slot::Value(v);
                }
            }
            Rule::Replace => *slot = Slot::Value(v),
            Rule::Merge => merge_value(slot.value_mut(), v, key),
            Rule::Append => match slot.value_mut() {
                Value::Array(items) => items.push(v),
                other => *other = Value::Array(vec![v]),
            },
            Rule::Overlay => overlay(slot.value_mut(), v),
        }
    }

    /// The string value of field `key`, borrowed when it has no escapes.
    pub fn get_str(&self, key: &str) -> Option<Cow<'_, str>> {
        match self.fields.get(key)? {
            Slot::Raw(s) => {
                let inner = s.strip_prefix('"')?.strip_suffix('"')?;
                Some(JsonStr::new(inner, inner.contains('\\')).to_cow())
            }
            Slot::Value(Value::String(s)) => Some(Cow::Borrowed(s)),
            Slot::Value(_) => None,
        }
    }

    /// Removes field `key` and returns its value.
    pub fn take(&mut self, key: &str) -> Option<Value> {
        self.statics.clear();
        self.fields.shift_remove(key).map(Slot::into_value)
    }

    /// The fields, parsed, in arrival order.
    pub fn into_map(self) -> Map {
        self.fields
            .into_iter()
            .map(|(k, s)| (k, s.into_value()))
            .collect()
    }
}
