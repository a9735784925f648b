//! Everything the command knows about each wire format, in one table: its
//! endpoint, its default request body, its built-in sample, its HTTP error
//! bodies, its in-band error event, its terminator, and which quirks apply
//! to it. What a format's payloads mean (text, usage, errors, the final
//! object) is the library's: the command reads its events and final object,
//! never the format's fields.
//!
//! Adding a format is adding a row here (and the library folding it).

use std::str::FromStr;

use serde_json::{json, Value};

pub use streamfold::Format;

/// One row of the table.
pub struct Spec {
    pub format: Format,
    /// The streaming endpoint (Gemini's holds the model: see [`for_path`]).
    pub path: &'static str,
    /// `Some(default)`: the body's `"stream"` decides streaming (`default`
    /// when it is absent); `None`: the path does.
    pub stream_field: Option<bool>,
    /// A minimal streaming request for `model`.
    pub body: fn(model: &str) -> Value,
    /// A small real stream of the format, which `serve` replays when given
    /// no recording (see tests/data/README.md).
    pub sample: &'static [u8],
    /// The provider's JSON error body for an HTTP status (429 or 500).
    pub http_error: fn(status: u16) -> Value,
    /// The provider's in-band error, as one SSE event (bytes, blank line
    /// included).
    pub in_band_error: &'static str,
    /// The event that ends a stream, when the format has one of its own on
    /// the wire that can be dropped (`--quirk no-done`).
    pub done: Option<&'static str>,
    /// The quirks that apply to it.
    pub quirks: &'static [Quirk],
}

const PROMPT: &str = "Which planet has rings?";

fn openai_error(status: u16) -> Value {
    if status == 429 {
        json!({"error": {"message": "Rate limit reached for requests", "type": "requests", "param": null, "code": "rate_limit_exceeded"}})
    } else {
        json!({"error": {"message": "The server had an error while processing your request. Sorry about that!", "type": "server_error", "param": null, "code": null}})
    }
}

fn anthropic_error(status: u16) -> Value {
    if status == 429 {
        json!({"type": "error", "error": {"type": "rate_limit_error", "message": "Number of request tokens has exceeded your per-minute rate limit"}})
    } else {
        json!({"type": "error", "error": {"type": "api_error", "message": "Internal server error"}})
    }
}

fn gemini_error(status: u16) -> Value {
    if status == 429 {
        json!({"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}})
    } else {
        json!({"error": {"code": 500, "message": "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting", "status": "INTERNAL"}})
    }
}

fn ollama_error(status: u16) -> Value {
    json!({"error": if status == 429 { "server busy, please try again. maximum pending requests exceeded" } else { "an error was encountered while running the model" }})
}

/// The table.
pub static TABLE: [Spec; 6] = [
    Spec {
        format: Format::OpenAiChat,
        path: "/v1/chat/completions",
        stream_field: Some(false),
        body: |model| {
            json!({"model": model, "messages": [{"role": "user", "content": PROMPT}],
                   "stream": true, "stream_options": {"include_usage": true}})
        },
        sample: include_bytes!("../../tests/data/openai-gpt-4o-saturn.sse"),
        http_error: openai_error,
        in_band_error: "data: {\"error\":{\"message\":\"The server had an error while processing your request. Sorry about that!\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n",
        done: Some("data: [DONE]\n\n"),
        quirks: &[
            Quirk::RoleFirst,
            Quirk::MultiToken,
            Quirk::UsageChunk,
            Quirk::ErrorInStream,
            Quirk::Crlf,
            Quirk::NoSpace,
            Quirk::BigEvent,
            Quirk::NoDone,
        ],
    },
    Spec {
        format: Format::OpenAiCompletions,
        path: "/v1/completions",
        stream_field: Some(false),
        body: |model| {
            json!({"model": model, "prompt": PROMPT, "max_tokens": 64,
                   "stream": true, "stream_options": {"include_usage": true}})
        },
        sample: include_bytes!("../../tests/data/formats/completions-openai-instruct.sse"),
        http_error: openai_error,
        in_band_error: "data: {\"error\":{\"message\":\"The server had an error while processing your request. Sorry about that!\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n",
        done: Some("data: [DONE]\n\n"),
        quirks: &[
            Quirk::ErrorInStream,
            Quirk::Crlf,
            Quirk::NoSpace,
            Quirk::BigEvent,
            Quirk::NoDone,
        ],
    },
    Spec {
        format: Format::OpenAiResponses,
        path: "/v1/responses",
        stream_field: Some(false),
        body: |model| json!({"model": model, "input": PROMPT, "stream": true}),
        sample: include_bytes!("../../tests/data/corpus/openai-responses/openai-gpt-4o-2024-08-06-0368d3e425.sse"),
        http_error: openai_error,
        in_band_error: "event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\"The server had an error while processing your request.\",\"param\":null}\n\n",
        done: None,
        quirks: &[
            Quirk::ErrorInStream,
            Quirk::Crlf,
            Quirk::NoSpace,
            Quirk::BigEvent,
        ],
    },
    Spec {
        format: Format::AnthropicMessages,
        path: "/v1/messages",
        stream_field: Some(false),
        body: |model| {
            json!({"model": model, "max_tokens": 1024,
                   "messages": [{"role": "user", "content": PROMPT}], "stream": true})
        },
        sample: include_bytes!("../../tests/data/corpus/anthropic-messages/anthropic-claude-sonnet-4-5-20250929-7109ee1a32.sse"),
        http_error: anthropic_error,
        in_band_error: "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
        done: None,
        quirks: &[
            Quirk::ErrorInStream,
            Quirk::Crlf,
            Quirk::NoSpace,
            Quirk::BigEvent,
        ],
    },
    Spec {
        format: Format::Gemini,
        path: "/v1beta/models/{model}:streamGenerateContent",
        stream_field: None,
        body: |_| json!({"contents": [{"role": "user", "parts": [{"text": PROMPT}]}]}),
        sample: include_bytes!("../../tests/data/corpus/gemini-sse/gemini-gemini-2.5-flash-7fc9d43094.sse"),
        http_error: gemini_error,
        in_band_error: "data: {\"error\":{\"code\":503,\"message\":\"The model is overloaded. Please try again later.\",\"status\":\"UNAVAILABLE\"}}\n\n",
        done: None,
        quirks: &[
            Quirk::ErrorInStream,
            Quirk::Crlf,
            Quirk::NoSpace,
            Quirk::BigEvent,
        ],
    },
    Spec {
        format: Format::Ollama,
        path: "/api/chat",
        stream_field: Some(true),
        body: |model| {
            json!({"model": model, "messages": [{"role": "user", "content": PROMPT}], "stream": true})
        },
        sample: include_bytes!("../../tests/data/formats/ollama-chat-thinking-tools.ndjson"),
        http_error: ollama_error,
        in_band_error: "{\"error\":\"an error was encountered while running the model\"}\n",
        done: None,
        quirks: &[],
    },
];

/// The row of `format`.
pub fn spec(format: Format) -> &'static Spec {
    TABLE
        .iter()
        .find(|s| s.format == format)
        .expect("every format has a row")
}

/// The format an endpoint path serves (the query string aside; a prefix
/// before the endpoint, as gateways add, is allowed).
pub fn for_path(path: &str) -> Option<Format> {
    let path = path.split('?').next().unwrap_or(path);
    if let Some((_, rest)) = path.split_once("/v1beta/models/") {
        return rest
            .rsplit_once(':')
            .filter(|(model, method)| {
                !model.is_empty() && matches!(*method, "streamGenerateContent" | "generateContent")
            })
            .map(|_| Format::Gemini);
    }
    TABLE
        .iter()
        .find(|r| r.format != Format::Gemini && path.ends_with(r.path))
        .map(|r| r.format)
}

/// The streaming path of a format, for a model.
#[cfg(test)]
pub fn path_of(format: Format, model: &str) -> String {
    match format {
        Format::Gemini => format!("/v1beta/models/{model}:streamGenerateContent?alt=sse"),
        f => spec(f).path.to_string(),
    }
}

/// What real servers do and harnesses trip on (`serve --quirk`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quirk {
    /// A role-only first chunk (`{"role":"assistant","content":""}`).
    RoleFirst,
    /// Several tokens in one chunk (three content chunks merged).
    MultiToken,
    /// A usage chunk with `choices: []` before the terminator.
    UsageChunk,
    /// The format's in-band error event inside a 200 stream, midway.
    ErrorInStream,
    /// Lines end in CRLF.
    Crlf,
    /// `data:` without a space.
    NoSpace,
    /// One event over 128 KiB (a padding field in the first chunk).
    BigEvent,
    /// No terminator (`[DONE]`).
    NoDone,
}

pub const QUIRKS: [(&str, Quirk); 8] = [
    ("role-first", Quirk::RoleFirst),
    ("multi-token", Quirk::MultiToken),
    ("usage-chunk", Quirk::UsageChunk),
    ("error-in-stream", Quirk::ErrorInStream),
    ("crlf", Quirk::Crlf),
    ("no-space", Quirk::NoSpace),
    ("big-event", Quirk::BigEvent),
    ("no-done", Quirk::NoDone),
];

impl FromStr for Quirk {
    type Err = String;

    fn from_str(s: &str) -> Result<Quirk, String> {
        QUIRKS
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, q)| *q)
            .ok_or_else(|| {
                let names: Vec<_> = QUIRKS.iter().map(|(n, _)| *n).collect();
                format!("unknown quirk {s:?} (one of {})", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_paths_map_to_formats() {
        for row in &TABLE {
            assert_eq!(
                for_path(&path_of(row.format, "m")),
                Some(row.format),
                "{}",
                row.format
            );
        }
        for format in Format::ALL {
            assert!(
                TABLE.iter().any(|r| r.format == format),
                "{format} has a row"
            );
        }
        assert_eq!(
            for_path("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"),
            Some(Format::Gemini)
        );
        assert_eq!(for_path("/v1beta/models/:streamGenerateContent"), None);
        assert_eq!(for_path("/v2/chat"), None);
        assert_eq!(
            for_path("/openai/v1/chat/completions"),
            Some(Format::OpenAiChat)
        );
        assert!("nope".parse::<Format>().is_err());
    }
}
