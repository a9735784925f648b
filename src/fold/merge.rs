//! Merging values of fields the engine does not know, by DESIGN.md's rules.

use crate::json::map::Map;
use crate::json::value::Value;

/// Keys whose string value is an identity: set once, never concatenated.
fn is_identity_key(key: &str) -> bool {
    matches!(key, "id" | "type" | "name" | "role" | "index")
}

/// The integer `index` of a list entry, if it has one.
fn entry_index(v: &Value) -> Option<u64> {
    v.get("index").and_then(Value::as_u64)
}

/// Merges a delta's `src` into the accumulated `dst` of field `key`:
/// `null` changes nothing; strings concatenate (identity keys keep their
/// first non-empty value); lists extend, except that an entry carrying an
/// integer `index` merges with the entry of that index (OpenRouter's
/// `reasoning_details`, Groq's `executed_tools`); objects merge key by key;
/// any other value (numbers, booleans, a change of kind) replaces.
///
/// Cost: linear in `src`, plus a binary search of `dst` per indexed entry
/// (entries with an index are kept in index order, as they are created).
pub(crate) fn merge_value(dst: &mut Value, src: Value, key: &str) {
    match (dst, src) {
        (_, Value::Null) => {}
        (d @ Value::Null, s) => *d = s,
        (Value::String(d), Value::String(s)) => {
            if !is_identity_key(key) {
                d.push_str(&s);
            } else if d.is_empty() {
                *d = s;
            }
        }
        (Value::Array(d), Value::Array(s)) => extend_list(d, s, key),
        (Value::Object(d), Value::Object(s)) => merge_map(d, s),
        (d, s) => *d = s,
    }
}

/// Extends a list; entries with an integer `index` merge by index.
fn extend_list(dst: &mut Vec<Value>, src: Vec<Value>, key: &str) {
    for entry in src {
        let Some(i) = entry_index(&entry) else {
            dst.push(entry);
            continue;
        };
        // The usual case: the entry continues the last one, or comes after
        // it. Otherwise a binary search (entries keep index order).
        match dst.last().and_then(entry_index) {
            Some(last) if last == i => {
                if let Some(d) = dst.last_mut() {
                    merge_value(d, entry, key);
                }
            }
            Some(last) if last < i => dst.push(entry),
            None if dst.is_empty() => dst.push(entry),
            _ => {
                let at = dst.partition_point(|e| entry_index(e).is_some_and(|e| e < i));
                match dst.get_mut(at) {
                    Some(d) if entry_index(d) == Some(i) => merge_value(d, entry, key),
                    _ => dst.insert(at, entry),
                }
            }
        }
    }
}

/// Merges every member of `src` into `dst`.
pub(crate) fn merge_map(dst: &mut Map, src: Map) {
    for (k, v) in src {
        merge_into(dst, k, v);
    }
}

/// Merges one field into a map of accumulated fields.
pub(crate) fn merge_into(dst: &mut Map, key: String, v: Value) {
    match dst.get_mut(&key) {
        Some(d) => merge_value(d, v, &key),
        None if v.is_null() => {}
        None => {
            dst.insert(key, v);
        }
    }
}

/// Each non-null member of `src` replaces the one of that name in `dst`
/// (objects); any other non-null `src` replaces `dst`.
pub(crate) fn overlay(dst: &mut Value, src: Value) {
    match (dst, src) {
        (_, Value::Null) => {}
        (Value::Object(d), Value::Object(s)) => {
            for (k, v) in s {
                if !v.is_null() {
                    d.insert(k, v);
                }
            }
        }
        (d, s) => *d = s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Value {
        s.parse().unwrap()
    }

    #[test]
    fn strings_concatenate_but_identities_are_set_once() {
        let mut d = v(r#"{"text":"a","id":"x","audio":{"data":"Zm","id":"au_1"}}"#);
        merge_value(
            &mut d,
            v(r#"{"text":"b","id":"y","audio":{"data":"9v","id":"au_1"},"n":null}"#),
            "x",
        );
        assert_eq!(
            d,
            v(r#"{"text":"ab","id":"x","audio":{"data":"Zm9v","id":"au_1"}}"#)
        );
    }

    #[test]
    fn lists_extend_and_scalars_take_the_last_value() {
        let mut d = v(r#"[1]"#);
        merge_value(&mut d, v("[2,3]"), "annotations");
        assert_eq!(d, v("[1,2,3]"));
        let mut n = v("1");
        merge_value(&mut n, v("2"), "count");
        assert_eq!(n, v("2"));
        merge_value(&mut n, Value::Null, "count");
        assert_eq!(n, v("2"));
    }

    #[test]
    fn list_entries_with_an_index_merge_with_that_entry() {
        let mut d = v(r#"[{"index":0,"type":"reasoning.text","text":"a"}]"#);
        merge_value(
            &mut d,
            v(r#"[{"index":0,"text":"b"}]"#),
            "reasoning_details",
        );
        merge_value(
            &mut d,
            v(r#"[{"index":1,"text":"x"}]"#),
            "reasoning_details",
        );
        merge_value(
            &mut d,
            v(r#"[{"index":0,"text":"c"}]"#),
            "reasoning_details",
        );
        assert_eq!(
            d,
            v(r#"[{"index":0,"type":"reasoning.text","text":"abc"},{"index":1,"text":"x"}]"#)
        );
    }

    #[test]
    fn overlay_replaces_members_it_carries() {
        let mut d = v(r#"{"input_tokens":5,"output_tokens":1,"tier":"standard"}"#);
        overlay(&mut d, v(r#"{"output_tokens":9,"input_tokens":null}"#));
        assert_eq!(
            d,
            v(r#"{"input_tokens":5,"output_tokens":9,"tier":"standard"}"#)
        );
    }
}
