//! Writing values as compact JSON text.

use std::fmt::Write;

use super::value::{Number, Value};

/// Appends `v` as compact JSON.
pub(crate) fn write_value(v: &Value, out: &mut String) {
    // An explicit stack: values may nest up to the depth cap.
    enum Step<'a> {
        Value(&'a Value),
        Text(&'static str),
        Key(&'a str),
    }
    let mut stack = vec![Step::Value(v)];
    while let Some(step) = stack.pop() {
        match step {
            Step::Text(t) => out.push_str(t),
            Step::Key(k) => {
                write_str(k, out);
                out.push(':');
            }
            Step::Value(v) => match v {
                Value::Null => out.push_str("null"),
                Value::Bool(true) => out.push_str("true"),
                Value::Bool(false) => out.push_str("false"),
                Value::Number(n) => write_number(n, out),
                Value::String(s) => write_str(s, out),
                Value::Array(items) => {
                    out.push('[');
                    stack.push(Step::Text("]"));
                    for (i, item) in items.iter().enumerate().rev() {
                        stack.push(Step::Value(item));
                        if i > 0 {
                            stack.push(Step::Text(","));
                        }
                    }
                }
                Value::Object(map) => {
                    out.push('{');
                    stack.push(Step::Text("}"));
                    let n = map.len();
                    for (i, (k, item)) in map.iter().enumerate().rev() {
                        stack.push(Step::Value(item));
                        stack.push(Step::Key(k));
                        if i > 0 && n > 1 {
                            stack.push(Step::Text(","));
                        }
                    }
                }
            },
        }
    }
}

/// Appends a number as JSON text (floats in their shortest form that reads
/// back to the same value).
pub(crate) fn write_number(n: &Number, out: &mut String) {
    if let Some(v) = n.as_u64() {
        let _ = write!(out, "{v}");
    } else if let Some(v) = n.as_i64() {
        let _ = write!(out, "{v}");
    } else {
        let f = n.as_f64();
        if f.is_finite() {
            // `{:?}` is Rust's shortest round-trip form; it keeps a `.0`
            // on integral values, as JSON writers do for floats.
            let _ = write!(out, "{f:?}");
        } else {
            out.push_str("null");
        }
    }
}

/// Appends `s` as a JSON string.
pub(crate) fn write_str(s: &str, out: &mut String) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0C => "\\f",
            0..=0x1F => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_write_as_compact_json_that_reads_back() {
        let text = r#"{"b":[1,-2,2.5,1e300,true,null],"a":{"c":"q\"\\\n\u0001é😀"},"e":{},"f":[]}"#;
        let v: Value = text.parse().unwrap();
        let written = v.to_json();
        assert_eq!(
            written,
            r#"{"b":[1,-2,2.5,1e300,true,null],"a":{"c":"q\"\\\n\u0001é😀"},"e":{},"f":[]}"#
        );
        assert_eq!(written.parse::<Value>().unwrap(), v);
    }
}
