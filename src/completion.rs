//! The final completion: the shape of the non-streaming chat API's response
//! (`"object": "chat.completion"`).

use serde::Serialize;

use crate::json::value::{Map, Value};

/// The reassembled completion, field for field what the non-streaming API
/// returns. Serialises (with serde) to that JSON shape.
///
/// Fields the engine does not know are kept in `extra` maps at each level
/// (chunk-level ones like Azure's `prompt_filter_results` here; choice-level
/// ones in [`Choice::extra`]; delta fields like `reasoning_content` in
/// [`Message::extra`]).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Completion {
    /// The first non-empty chunk `id`.
    pub id: Option<String>,
    /// Always `"chat.completion"`.
    pub object: String,
    /// The first `created` timestamp.
    pub created: Option<i64>,
    /// The first non-empty `model`.
    pub model: Option<String>,
    /// The choices, in `index` order.
    pub choices: Vec<Choice>,
    /// The last non-null `usage`.
    pub usage: Option<Usage>,
    /// The first non-empty `service_tier`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// The last non-null `system_fingerprint`.
    pub system_fingerprint: Option<String>,
    /// Unknown chunk-level fields: the last non-null value of each.
    #[serde(flatten)]
    pub extra: Map,
}

/// One choice of the completion.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Choice {
    /// The choice's `index`.
    pub index: u32,
    /// The message.
    pub message: Message,
    /// `{"content": [...], "refusal": [...]}` token log-probabilities, when
    /// any chunk carried them.
    pub logprobs: Option<Value>,
    /// The last non-null `finish_reason`.
    pub finish_reason: Option<String>,
    /// Unknown choice-level fields: the last non-null value of each.
    #[serde(flatten)]
    pub extra: Map,
}

/// The assistant message of a choice.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Message {
    /// The first non-empty `role`.
    pub role: Option<String>,
    /// The text, `None` when no text arrived.
    pub content: Option<String>,
    /// The refusal text, `None` when none arrived.
    pub refusal: Option<String>,
    /// Tool calls, in `index` order (omitted from JSON when empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// The legacy `function_call`, when one arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_call: Option<FunctionCall>,
    /// Unknown delta fields, merged: strings concatenated (`reasoning`,
    /// `reasoning_content`, …), lists extended, objects merged key by key.
    #[serde(flatten)]
    pub extra: Map,
}

/// One tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct ToolCall {
    /// The call's index, as in the events (not serialised: the
    /// non-streaming API has none).
    #[serde(skip)]
    pub index: u32,
    /// The first non-empty `id`.
    pub id: Option<String>,
    /// The first non-empty `type` (`"function"`).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The function called.
    pub function: FunctionCall,
    /// Unknown tool-call fields, merged.
    #[serde(flatten)]
    pub extra: Map,
}

/// A function call: its name and JSON arguments text.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct FunctionCall {
    /// The first non-empty `name`.
    pub name: Option<String>,
    /// The concatenated `arguments` fragments.
    pub arguments: String,
    /// Unknown function fields, merged.
    #[serde(flatten)]
    pub extra: Map,
}

/// Token usage, as the last non-null `usage` reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Usage {
    /// `prompt_tokens`, when an integer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_tokens: Option<u64>,
    /// `completion_tokens`, when an integer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion_tokens: Option<u64>,
    /// `total_tokens`, when an integer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_tokens: Option<u64>,
    /// Every other member (`prompt_tokens_details`, …).
    #[serde(flatten)]
    pub extra: Map,
}

impl Usage {
    /// Builds the typed view of a usage object.
    pub(crate) fn from_value(v: Value) -> Usage {
        let Value::Object(mut map) = v else {
            return Usage::default();
        };
        let mut take = |key: &str| match map.get(key).and_then(Value::as_u64) {
            Some(n) => {
                map.remove(key);
                Some(n)
            }
            None => None,
        };
        let prompt_tokens = take("prompt_tokens");
        let completion_tokens = take("completion_tokens");
        let total_tokens = take("total_tokens");
        Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens,
            extra: map,
        }
    }
}

impl Completion {
    /// The choice with this `index`.
    pub fn choice(&self, index: u32) -> Option<&Choice> {
        self.choices.iter().find(|c| c.index == index)
    }
}
