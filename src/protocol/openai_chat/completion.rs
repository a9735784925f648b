//! The final object of an OpenAI chat stream: the non-streaming API's
//! response (`"object": "chat.completion"`), and how the fold's state
//! becomes one.

use serde::{Deserialize, Serialize};

use super::fields as f;
use crate::delta::BlockKind;
use crate::fold::choice::{ChoiceState, Key};
use crate::fold::{Parts, UsageState};
use crate::json::map::Map;
use crate::json::value::Value;

/// The reassembled completion, field for field what the non-streaming API
/// returns. Serialises (with serde) to that JSON shape, and reads back from
/// it.
///
/// Fields the engine does not know are kept in `extra` maps at each level
/// (chunk-level ones like Azure's `prompt_filter_results` here; choice-level
/// ones in [`Choice::extra`]; delta fields like `reasoning_content` in
/// [`Message::extra`]), in the order they arrived.
///
/// # Examples
///
/// ```
/// use streamfold::{openai_chat::Completion, Fold};
///
/// let mut fold = Fold::new();
/// fold.push(b"data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\
/// \"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n").count();
/// let completion: Completion = fold.finish()?.into_chat().unwrap();
/// let json = serde_json::to_string(&completion).unwrap();
/// let back: Completion = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, completion);
/// assert_eq!(back.choices[0].message.content.as_deref(), Some("Hi"));
/// # Ok::<(), streamfold::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Completion {
    /// The first non-empty chunk `id` (`""` when that is all that came).
    #[serde(default)]
    pub id: Option<String>,
    /// Always `"chat.completion"`.
    #[serde(default = "chat_completion")]
    pub object: String,
    /// The first `created` timestamp.
    #[serde(default)]
    pub created: Option<i64>,
    /// The first non-empty `model`.
    #[serde(default)]
    pub model: Option<String>,
    /// The choices, in `index` order.
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// The last non-null `usage`.
    #[serde(default)]
    pub usage: Option<Usage>,
    /// The first non-empty `service_tier`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// The last non-null `system_fingerprint`.
    #[serde(default)]
    pub system_fingerprint: Option<String>,
    /// Unknown chunk-level fields: the last non-null value of each.
    #[serde(flatten)]
    pub extra: Map,
}

fn chat_completion() -> String {
    "chat.completion".to_string()
}

/// One choice of the completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Choice {
    /// The choice's `index`.
    #[serde(default)]
    pub index: u32,
    /// The message.
    #[serde(default)]
    pub message: Message,
    /// `{"content": [...], "refusal": [...]}` token log-probabilities, when
    /// any chunk carried them.
    #[serde(default)]
    pub logprobs: Option<Value>,
    /// The last non-null `finish_reason`.
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// Unknown choice-level fields: the last non-null value of each.
    #[serde(flatten)]
    pub extra: Map,
}

/// The assistant message of a choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Message {
    /// The first non-empty `role`.
    #[serde(default)]
    pub role: Option<String>,
    /// The text, `None` when no text arrived.
    #[serde(default)]
    pub content: Option<String>,
    /// The refusal text, `None` when none arrived.
    #[serde(default)]
    pub refusal: Option<String>,
    /// Tool calls, in `index` order (omitted from JSON when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// The legacy `function_call`, when one arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_call: Option<FunctionCall>,
    /// Unknown delta fields, merged: strings concatenated (`reasoning`,
    /// `reasoning_content`, …), lists extended, objects merged key by key.
    #[serde(flatten)]
    pub extra: Map,
}

/// One tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct ToolCall {
    /// The first non-empty `id`.
    #[serde(default)]
    pub id: Option<String>,
    /// The first non-empty `type` (`"function"`).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The function called.
    #[serde(default)]
    pub function: FunctionCall,
    /// Unknown tool-call fields, merged.
    #[serde(flatten)]
    pub extra: Map,
}

/// A function call: its name and JSON arguments text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct FunctionCall {
    /// The first non-empty `name`.
    #[serde(default)]
    pub name: Option<String>,
    /// The concatenated `arguments` fragments.
    #[serde(default)]
    pub arguments: String,
    /// Unknown function fields, merged.
    #[serde(flatten)]
    pub extra: Map,
}

/// Token usage, as the last non-null `usage` reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Usage {
    /// `prompt_tokens`, when an integer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens: Option<u64>,
    /// `completion_tokens`, when an integer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens: Option<u64>,
    /// `total_tokens`, when an integer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_tokens: Option<u64>,
    /// Every other member (`prompt_tokens_details`, …).
    #[serde(flatten)]
    pub extra: Map,
}

impl Usage {
    /// The typed view of a usage object.
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

/// A string field: its text (a number's text for lenient ids).
fn string(v: Option<Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// Builds the completion from the fold's state.
pub(crate) fn build(parts: Parts) -> Completion {
    let Parts {
        mut meta,
        usage,
        choices,
        ..
    } = parts;
    let id = string(meta.take(f::ID));
    let model = string(meta.take(f::MODEL));
    let created = meta.take(f::CREATED).and_then(|v| match v {
        // Lenient: a float timestamp is kept, to the second.
        Value::Number(n) => n.as_i64().or(Some(n.as_f64() as i64)),
        _ => None,
    });
    let service_tier = string(meta.take(f::SERVICE_TIER));
    let system_fingerprint = string(meta.take(f::SYSTEM_FINGERPRINT));
    Completion {
        id,
        object: chat_completion(),
        created,
        model,
        choices: choices.into_iter().map(build_choice).collect(),
        usage: usage.map(|u: UsageState| Usage::from_value(u.value())),
        service_tier,
        system_fingerprint,
        extra: meta.into_map(),
    }
}

fn build_choice(c: ChoiceState) -> Choice {
    let ChoiceState {
        index,
        fields,
        mut message,
        blocks,
        finish_reason,
        lists,
        mut tools,
        ..
    } = c;
    let role = string(message.take(f::ROLE));
    let function_call = message.take(f::FUNCTION_CALL).map(|v| {
        let Value::Object(mut m) = v else {
            return FunctionCall::default();
        };
        FunctionCall {
            name: string(m.remove("name")).and_then(non_empty),
            arguments: string(m.remove("arguments")).unwrap_or_default(),
            extra: m,
        }
    });
    let mut content = None;
    let mut refusal = None;
    let mut extra = message.into_map();
    for b in blocks {
        match (b.kind, b.key) {
            (BlockKind::Content, _) => content = non_empty(b.text),
            (BlockKind::Refusal, _) => refusal = non_empty(b.text),
            (BlockKind::Reasoning, Key::Field(name)) if !b.text.is_empty() => {
                crate::fold::merge_into(&mut extra, name, Value::String(b.text));
            }
            _ => {}
        }
    }
    tools.sort_by_key(|t| t.index);
    let tool_calls = tools
        .into_iter()
        .map(|t| ToolCall {
            id: non_empty(t.id),
            kind: non_empty(t.kind),
            function: FunctionCall {
                name: non_empty(t.name),
                arguments: t.arguments,
                extra: t.function_fields.into_map(),
            },
            extra: t.fields.into_map(),
        })
        .collect();
    let logprobs = (!lists.is_empty()).then(|| {
        let mut m = Map::new();
        for key in [f::LOGPROBS_CONTENT, f::LOGPROBS_REFUSAL] {
            let v = match lists.iter().find(|l| l.key == key) {
                Some(l) if !l.null => crate::fold::parse_raw(&format!("[{}]", l.inner)),
                _ => Value::Null,
            };
            m.insert(key, v);
        }
        Value::Object(m)
    });
    Choice {
        index,
        message: Message {
            role,
            content,
            refusal,
            tool_calls,
            function_call,
            extra,
        },
        logprobs,
        finish_reason,
        extra: fields.into_map(),
    }
}
