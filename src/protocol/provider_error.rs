//! Errors a provider reports, in any format's shape: inside a stream (an
//! in-band `{"error": …}`, an `event: error`, a failed response) or as the
//! body of an HTTP error response.

use crate::json::value::{Map, Value};

/// An error the provider reported: inside the stream, or as an HTTP error
/// response ([`Error::from_http_response`](crate::Error::from_http_response)).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ProviderError {
    /// The HTTP status, for an error response.
    pub status: Option<u16>,
    /// The provider's message (cut to 4 KiB).
    pub message: String,
    /// The provider's error type (OpenAI `error.type`, Anthropic
    /// `error.type`, Gemini `error.status`), when given.
    pub kind: Option<String>,
    /// The provider's error code (a string or a number), when given.
    pub code: Option<String>,
}

const MAX_MESSAGE: usize = 4096;

/// `s`, cut to [`MAX_MESSAGE`] bytes at a character boundary.
pub(crate) fn cut(mut s: String) -> String {
    if s.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Python's truthiness of an `error` value: null, false, 0, "", [] and {}
/// mean "no error".
pub(crate) fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != 0.0,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

fn text(m: &Map, key: &str) -> Option<String> {
    match m.get(key)? {
        Value::String(s) => Some(cut(s.clone())),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The error an object describes: `{"message", "type", "code"}` (OpenAI,
/// vLLM), `{"type", "message"}` (Anthropic's inner object), `{"code",
/// "message", "status"}` (Gemini).
pub(crate) fn from_object(m: &Map) -> ProviderError {
    let message = text(m, "message")
        .or_else(|| text(m, "error"))
        .unwrap_or_default();
    ProviderError {
        message,
        kind: text(m, "type").or_else(|| text(m, "status")),
        code: text(m, "code"),
        status: None,
    }
}

/// The error a value describes: an object holding `error` (an object or a
/// string), the error object itself, or a string.
pub(crate) fn from_value(v: &Value) -> ProviderError {
    match v {
        Value::Object(m) => match m.get("error") {
            Some(Value::Object(inner)) => from_object(inner),
            Some(Value::String(s)) => ProviderError {
                message: cut(s.clone()),
                kind: text(m, "type").filter(|t| t != "error"),
                ..ProviderError::default()
            },
            _ => from_object(m),
        },
        Value::String(s) => ProviderError {
            message: cut(s.clone()),
            ..ProviderError::default()
        },
        other => ProviderError {
            message: cut(other.to_json()),
            ..ProviderError::default()
        },
    }
}

/// An error event's data or an HTTP error body: JSON in any provider's
/// error shape, or plain text.
pub(crate) fn from_body(body: &str) -> ProviderError {
    match body.trim().parse::<Value>() {
        Ok(v) => from_value(&v),
        Err(_) => ProviderError {
            message: cut(body.trim().to_string()),
            ..ProviderError::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_providers_error_body_gives_its_message() {
        let openai = r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#;
        let e = from_body(openai);
        assert_eq!(
            (e.message.as_str(), e.kind.as_deref(), e.code.as_deref()),
            (
                "Rate limit reached",
                Some("requests"),
                Some("rate_limit_exceeded")
            )
        );
        let anthropic =
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        let e = from_body(anthropic);
        assert_eq!(
            (e.message.as_str(), e.kind.as_deref()),
            ("Overloaded", Some("overloaded_error"))
        );
        let gemini = r#"{"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED"}}"#;
        let e = from_body(gemini);
        assert_eq!(
            (e.message.as_str(), e.kind.as_deref(), e.code.as_deref()),
            (
                "Resource exhausted",
                Some("RESOURCE_EXHAUSTED"),
                Some("429")
            )
        );
        let ollama = r#"{"error":"model 'x' not found"}"#;
        assert_eq!(from_body(ollama).message, "model 'x' not found");
        assert_eq!(from_body("Bad Gateway").message, "Bad Gateway");
    }
}
