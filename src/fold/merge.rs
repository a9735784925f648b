//! Merging values of fields the engine does not know, by DESIGN.md's rules.

use crate::json::value::{Map, Value};

/// Keys whose string value is an identity: set once, never concatenated.
fn is_identity_key(key: &str) -> bool {
    matches!(key, "id" | "type" | "name" | "role" | "index")
}

/// Merges a delta's `src` into the accumulated `dst` of field `key`:
/// `null` changes nothing; strings concatenate (identity keys keep their
/// first non-empty value); lists extend; objects merge key by key; any other
/// value (numbers, booleans, a change of kind) replaces.
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
        (Value::Array(d), Value::Array(s)) => d.extend(s),
        (Value::Object(d), Value::Object(s)) => merge_map(d, s),
        (d, s) => *d = s,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Value {
        s.parse().unwrap()
    }

    #[test]
    fn strings_concatenate_but_identities_are_set_once() {
        let mut d = v(r#"{"text":"a","id":"x","audio":{"data":"Zm","id":"au_1"}}"#);
        let Value::Object(m) = &mut d else { panic!() };
        merge_map(
            m,
            v(r#"{"text":"b","id":"y","audio":{"data":"9v","id":"au_1"},"n":null}"#)
                .as_object()
                .unwrap()
                .clone(),
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
}
