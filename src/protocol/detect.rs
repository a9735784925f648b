//! Which format a stream is, from its first payload: one table of what a
//! first payload of each format looks like (DESIGN.md's "detected by"
//! column), tested against every corpus stream.

use crate::format::Format;
use crate::json::scanner::{Scanner, Stop};

/// What the detector reads off a payload: its top-level keys of interest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    /// The SSE event type (`"message"` when none; NDJSON: `"message"`).
    pub event: String,
    /// The `type` member, when a string.
    pub kind: Option<String>,
    /// The `object` member, when a string.
    pub object: Option<String>,
    /// `choices` is an array.
    pub choices: bool,
    /// Some choice has a `delta` / a `text`.
    pub choice_delta: bool,
    pub choice_text: bool,
    pub candidates: bool,
    pub usage_metadata: bool,
    pub prompt_feedback: bool,
    pub message: bool,
    pub response: bool,
    pub done: bool,
    /// An `error` member that is not null or false.
    pub error: bool,
    /// The payload is `{}`.
    pub empty_object: bool,
}

/// One row of the table: a format and what identifies its first payload.
pub(crate) struct Row {
    pub format: Format,
    /// What the row looks for, in words (for docs and error messages).
    pub looks_for: &'static str,
    pub matches: fn(&Facts) -> bool,
}

const ANTHROPIC_TYPES: [&str; 6] = [
    "message_start",
    "message_delta",
    "message_stop",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
];

fn is_anthropic_type(t: &str) -> bool {
    ANTHROPIC_TYPES.contains(&t)
}

/// The table, tried in order.
pub(crate) const TABLE: [Row; 6] = [
    Row {
        format: Format::OpenAiResponses,
        looks_for: "`type` starting with `response.`",
        matches: |f| {
            f.kind
                .as_deref()
                .is_some_and(|t| t.starts_with("response."))
                || f.event.starts_with("response.")
        },
    },
    Row {
        format: Format::AnthropicMessages,
        looks_for: "`type` of `message_start` or a `content_block_*` event",
        matches: |f| {
            f.kind.as_deref().is_some_and(is_anthropic_type) || is_anthropic_type(&f.event)
        },
    },
    Row {
        format: Format::OpenAiCompletions,
        looks_for: "`object: \"text_completion\"` (or `choices[].text`)",
        matches: |f| {
            f.object.as_deref() == Some("text_completion")
                || (f.choice_text && !f.choice_delta && f.object.is_none())
        },
    },
    Row {
        format: Format::OpenAiChat,
        looks_for: "`object: \"chat.completion.chunk\"` (or `choices[].delta`, or `choices`)",
        matches: |f| {
            matches!(
                f.object.as_deref(),
                Some("chat.completion.chunk" | "chat.completion")
            ) || f.choice_delta
                || (f.choices && f.object.as_deref().is_none_or(|o| o.is_empty()))
        },
    },
    Row {
        format: Format::Gemini,
        looks_for: "`candidates` or `usageMetadata`",
        matches: |f| f.candidates || f.usage_metadata || f.prompt_feedback,
    },
    Row {
        format: Format::Ollama,
        looks_for: "an object with `message` or `response`, and `done`",
        matches: |f| f.done && (f.message || f.response),
    },
];

/// What a first payload says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detected {
    Format(Format),
    /// An error payload (any format's shape): the provider failed before
    /// streaming.
    Error,
    /// A keep-alive that tells nothing (`event: ping`, `{"type":"ping"}`,
    /// `{}`): the next payload decides.
    KeepAlive,
    /// Matches no format.
    Unknown,
}

/// True when the detection table takes a payload met in a stream of `own`
/// for another format's (that format's payload, not a malformed one).
pub(crate) fn is_other_format(own: Format, event: &str, data: &str, max_depth: usize) -> bool {
    match detect(&facts(event, data, max_depth)) {
        Detected::Format(f) => f != own,
        _ => false,
    }
}

/// Reads the facts of one payload (`data` of an event of type `event`).
pub(crate) fn facts(event: &str, data: &str, max_depth: usize) -> Facts {
    let mut f = Facts {
        event: event.to_string(),
        ..Facts::default()
    };
    let mut sc = Scanner::new(data, max_depth);
    let _ = read_facts(&mut sc, &mut f);
    f
}

fn read_facts(sc: &mut Scanner<'_>, f: &mut Facts) -> Result<(), Stop> {
    if sc.ws() != b'{' {
        return Ok(());
    }
    sc.object()?;
    let mut first = true;
    let mut keys = 0;
    while let Some(key) = sc.next_key(&mut first)? {
        keys += 1;
        let name = key.get(sc.text()).to_cow();
        match &*name {
            "type" | "object" => {
                let v = if sc.ws() == b'"' {
                    Some(sc.string()?.get(sc.text()).to_cow().into_owned())
                } else {
                    sc.skip_value()?;
                    None
                };
                if name == "type" {
                    f.kind = v;
                } else {
                    f.object = v;
                }
            }
            "choices" if sc.ws() == b'[' => {
                f.choices = true;
                sc.array()?;
                let mut first = true;
                while sc.next_element(&mut first)? {
                    if sc.ws() != b'{' {
                        sc.skip_value()?;
                        continue;
                    }
                    sc.object()?;
                    let mut first = true;
                    while let Some(k) = sc.next_key(&mut first)? {
                        match &*k.get(sc.text()).to_cow() {
                            "delta" => f.choice_delta = true,
                            "text" => f.choice_text = true,
                            _ => {}
                        }
                        sc.skip_value()?;
                    }
                }
            }
            "error" => {
                let span = sc.skip_value()?;
                f.error = !matches!(
                    span.get(sc.text()),
                    "null" | "false" | "0" | "\"\"" | "{}" | "[]"
                );
            }
            other => {
                match other {
                    "candidates" => f.candidates = true,
                    "usageMetadata" => f.usage_metadata = true,
                    "promptFeedback" => f.prompt_feedback = true,
                    "message" => f.message = true,
                    "response" => f.response = true,
                    "done" => f.done = true,
                    _ => {}
                }
                sc.skip_value()?;
            }
        }
    }
    sc.finish()?;
    f.empty_object = keys == 0;
    Ok(())
}

/// The format a first payload is, by the table.
pub(crate) fn detect(f: &Facts) -> Detected {
    if let Some(row) = TABLE.iter().find(|row| (row.matches)(f)) {
        return Detected::Format(row.format);
    }
    if f.error
        || f.kind.as_deref() == Some("error")
        || f.object.as_deref() == Some("error")
        || f.event == "error"
    {
        return Detected::Error;
    }
    if f.event == "ping" || f.kind.as_deref() == Some("ping") || f.empty_object {
        return Detected::KeepAlive;
    }
    Detected::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(event: &str, data: &str, _ndjson: bool) -> Detected {
        detect(&facts(event, data, 128))
    }

    #[test]
    fn each_formats_first_payload_is_recognised() {
        use Format::*;
        let cases = [
            (
                r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant"}}]}"#,
                OpenAiChat,
            ),
            (
                r#"{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[]}"#,
                OpenAiChat,
            ),
            (
                r#"{"choices":[{"index":0,"delta":{"content":"x"}}]}"#,
                OpenAiChat,
            ),
            (
                r#"{"id":"c","object":"text_completion","choices":[{"index":0,"text":"x"}]}"#,
                OpenAiCompletions,
            ),
            (
                r#"{"type":"response.created","response":{"id":"r"}}"#,
                OpenAiResponses,
            ),
            (
                r#"{"type":"response.queued","sequence_number":1}"#,
                OpenAiResponses,
            ),
            (
                r#"{"type":"message_start","message":{"id":"m"}}"#,
                AnthropicMessages,
            ),
            (
                r#"{"candidates":[{"content":{"parts":[{"text":"x"}]}}]}"#,
                Gemini,
            ),
        ];
        for (data, format) in cases {
            assert_eq!(
                of("message", data, false),
                Detected::Format(format),
                "{data}"
            );
        }
        assert_eq!(
            of(
                "message",
                r#"{"model":"m","created_at":"t","message":{"role":"assistant","content":"x"},"done":false}"#,
                true
            ),
            Detected::Format(Ollama)
        );
        assert_eq!(
            of(
                "message",
                r#"{"model":"m","created_at":"t","response":"x","done":false}"#,
                true
            ),
            Detected::Format(Ollama)
        );
    }

    #[test]
    fn error_payloads_and_strangers_are_told_apart() {
        assert_eq!(
            of("message", r#"{"error":{"message":"no"}}"#, true),
            Detected::Error
        );
        assert_eq!(
            of(
                "message",
                r#"{"type":"error","error":{"type":"overloaded_error"}}"#,
                false
            ),
            Detected::Error
        );
        assert_eq!(
            of("message", r#"{"hello":"world"}"#, false),
            Detected::Unknown
        );
        assert_eq!(of("message", "[1,2]", false), Detected::Unknown);
    }
}
