//! Borrowed chunk structs and the hand fold shared by the borrowed peers.
//!
//! The structs declare only what a fold needs; serde skips (but still
//! validates) every other key. Strings are [`Text`]: borrowed from the
//! payload when it has no escapes (with simd-json, always: it unescapes in
//! place), owned otherwise. One set of structs serves serde_json, simd-json
//! and sonic-rs.

use std::borrow::Cow;

use serde::Deserialize;

use super::Folded;

/// A JSON string, borrowed from the payload where it can be.
///
/// `Option<Cow<'a, str>>` with `#[serde(borrow)]` would *not* borrow: serde
/// only borrows a `Cow` that is a field's whole type, so an optional one is
/// always copied (serde-rs/serde#2016). That costs one allocation per delta.
/// The usual workaround is this newtype.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct Text<'a>(#[serde(borrow)] pub Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

/// One `chat.completion.chunk`.
#[derive(Debug, Deserialize)]
pub struct Chunk<'a> {
    #[serde(borrow, default)]
    pub choices: Vec<Choice<'a>>,
    #[serde(default)]
    pub usage: Option<Usage>,
}

#[derive(Debug, Deserialize)]
pub struct Choice<'a> {
    #[serde(default)]
    pub index: u32,
    #[serde(borrow, default)]
    pub delta: Option<Delta<'a>>,
    #[serde(borrow, default)]
    pub finish_reason: Option<Text<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct Delta<'a> {
    #[serde(borrow, default)]
    pub role: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub content: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub refusal: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub tool_calls: Option<Vec<ToolCall<'a>>>,
}

#[derive(Debug, Deserialize)]
pub struct ToolCall<'a> {
    #[serde(default)]
    pub index: Option<u32>,
    #[serde(borrow, default)]
    pub id: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub function: Option<Function<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct Function<'a> {
    #[serde(borrow, default)]
    pub name: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub arguments: Option<Text<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub prompt_tokens: Option<u64>,
    #[serde(default)]
    pub completion_tokens: Option<u64>,
    #[serde(default)]
    pub total_tokens: Option<u64>,
}

/// A straightforward fold of chunks: text of choice 0 by concatenation, tool
/// calls keyed by index (a fragment without index continues the last call),
/// last finish reason, last usage. Role, refusal and tool-call ids and names
/// are kept too, as a client building the final message would.
#[derive(Debug, Default)]
pub struct HandFold {
    pub folded: Folded,
    pub role: Option<String>,
    pub refusal: String,
    pub tool_ids: Vec<String>,
    pub tool_names: Vec<String>,
    current_tool: usize,
    done: bool,
}

impl HandFold {
    /// Counts the SSE event whose data is `data` and says whether it is a
    /// chunk to decode and fold: `[DONE]` ends the stream, events after it
    /// are ignored.
    #[inline]
    pub fn wants(&mut self, data: &[u8]) -> bool {
        if self.done {
            return false;
        }
        self.folded.events += 1;
        if data == b"[DONE]" {
            self.done = true;
            return false;
        }
        true
    }

    /// The error for a payload that did not decode.
    #[cold]
    pub fn error(&self, cause: impl std::fmt::Display) -> String {
        format!("event {}: {cause}", self.folded.events - 1)
    }

    pub fn chunk(&mut self, chunk: Chunk<'_>) {
        for choice in chunk.choices {
            if choice.index != 0 {
                continue;
            }
            if let Some(delta) = choice.delta {
                if let (None, Some(role)) = (&self.role, delta.role) {
                    self.role = Some(role.0.into_owned());
                }
                if let Some(content) = delta.content {
                    self.folded.content.push_str(&content);
                }
                if let Some(refusal) = delta.refusal {
                    self.refusal.push_str(&refusal);
                }
                for call in delta.tool_calls.into_iter().flatten() {
                    let index = call.index.map_or(self.current_tool, |i| i as usize);
                    self.current_tool = index;
                    let args = &mut self.folded.tool_arguments;
                    if args.len() <= index {
                        args.resize_with(index + 1, String::new);
                        self.tool_ids.resize_with(index + 1, String::new);
                        self.tool_names.resize_with(index + 1, String::new);
                    }
                    if let Some(id) = call.id {
                        if self.tool_ids[index].is_empty() {
                            self.tool_ids[index] = id.0.into_owned();
                        }
                    }
                    if let Some(function) = call.function {
                        if let Some(name) = function.name {
                            if self.tool_names[index].is_empty() {
                                self.tool_names[index] = name.0.into_owned();
                            }
                        }
                        if let Some(arguments) = function.arguments {
                            args[index].push_str(&arguments);
                        }
                    }
                }
            }
            if let Some(reason) = choice.finish_reason {
                self.folded.finish_reason = Some(reason.0.into_owned());
            }
        }
        if let Some(usage) = chunk.usage {
            if usage.total_tokens.is_some() {
                self.folded.total_tokens = usage.total_tokens;
            }
        }
    }

    pub fn finish(self) -> Folded {
        self.folded
    }
}
