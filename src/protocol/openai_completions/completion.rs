//! The final object of a legacy completions stream: the non-streaming
//! `text_completion` object, and how the fold's state becomes one.

use serde::{Deserialize, Serialize};

use super::fields as f;
use crate::delta::BlockKind;
use crate::fold::choice::{ChoiceState, ListState};
use crate::fold::{Parts, UsageState};
use crate::json::map::Map;
use crate::json::value::Value;
use crate::protocol::openai_chat::Usage;

/// The reassembled completion, field for field what the non-streaming
/// `/v1/completions` returns. Serialises (with serde) to that JSON shape,
/// and reads back from it.
///
/// Fields the engine does not know are kept in `extra` maps (chunk-level
/// ones here, choice-level ones such as vLLM's `stop_reason` or
/// `token_ids` in [`Choice::extra`]), in the order they arrived.
///
/// # Examples
///
/// ```
/// use streamfold::{openai_completions::Completion, Fold};
///
/// let mut fold = Fold::new();
/// fold.push(b"data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\",\
/// \"choices\":[{\"text\":\"Hel\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]}\n\n\
/// data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\",\
/// \"choices\":[{\"text\":\"lo\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n\
/// data: [DONE]\n\n").count();
/// let completion: Completion = fold.finish()?.into_completions().unwrap();
/// assert_eq!(completion.choices[0].text, "Hello");
/// assert_eq!(completion.choices[0].finish_reason.as_deref(), Some("stop"));
/// let json = serde_json::to_string(&completion).unwrap();
/// let back: Completion = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, completion);
/// # Ok::<(), streamfold::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Completion {
    /// The first non-empty chunk `id` (`""` when that is all that came).
    #[serde(default)]
    pub id: Option<String>,
    /// Always `"text_completion"`.
    #[serde(default = "text_completion")]
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
    /// The last non-null `usage` (with `stream_options.include_usage`, it
    /// arrives in a last chunk whose `choices` is empty).
    #[serde(default)]
    pub usage: Option<Usage>,
    /// The last non-null `system_fingerprint`.
    #[serde(default)]
    pub system_fingerprint: Option<String>,
    /// Unknown chunk-level fields: the last non-null value of each.
    #[serde(flatten)]
    pub extra: Map,
}

fn text_completion() -> String {
    f::TEXT_COMPLETION.to_string()
}

/// One choice of the completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Choice {
    /// The text, every chunk's `text` concatenated (with `echo`, the
    /// prompt first).
    #[serde(default)]
    pub text: String,
    /// The choice's `index`.
    #[serde(default)]
    pub index: u32,
    /// The token log-probabilities, when any chunk carried them.
    #[serde(default)]
    pub logprobs: Option<Logprobs>,
    /// The last non-null `finish_reason`.
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// Unknown choice-level fields: lists extended (vLLM's `token_ids`),
    /// other values the last non-null one (vLLM's `stop_reason`).
    #[serde(flatten)]
    pub extra: Map,
}

/// A choice's log-probabilities: four parallel lists, one entry per
/// token, each the chunks' lists concatenated. A list no chunk carried is
/// `None` (omitted from JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Logprobs {
    /// The tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Vec<String>>,
    /// Each token's log-probability (`None` where the server sent null,
    /// e.g. the first token of an echoed prompt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_logprobs: Option<Vec<Option<f64>>>,
    /// The most likely tokens at each position, with their
    /// log-probabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_logprobs: Option<Vec<Option<Map>>>,
    /// Each token's character offset in the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_offset: Option<Vec<u64>>,
    /// Other lists of the `logprobs` objects, extended.
    #[serde(flatten)]
    pub extra: Map,
}

impl Completion {
    /// The choice with this `index`.
    pub fn choice(&self, index: u32) -> Option<&Choice> {
        self.choices.iter().find(|c| c.index == index)
    }

    /// The text of the first choice (`""` when there is none).
    pub fn text(&self) -> &str {
        self.choices.first().map_or("", |c| c.text.as_str())
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
    let system_fingerprint = string(meta.take(f::SYSTEM_FINGERPRINT));
    Completion {
        id,
        object: text_completion(),
        created,
        model,
        choices: choices.into_iter().map(build_choice).collect(),
        usage: usage.map(|u: UsageState| Usage::from_value(u.value())),
        system_fingerprint,
        extra: meta.into_map(),
    }
}

fn build_choice(c: ChoiceState) -> Choice {
    let ChoiceState {
        index,
        fields,
        blocks,
        finish_reason,
        lists,
        ..
    } = c;
    let text = blocks
        .into_iter()
        .find(|b| b.kind == BlockKind::Content)
        .map(|b| b.text)
        .unwrap_or_default();
    let logprobs = (!lists.is_empty()).then(|| build_logprobs(lists));
    Choice {
        text,
        index,
        logprobs,
        finish_reason,
        extra: fields.into_map(),
    }
}

/// The elements of a list (`None` when only null arrived for it).
fn elements(l: &ListState) -> Option<Vec<Value>> {
    if l.null {
        return None;
    }
    match crate::fold::parse_raw(&format!("[{}]", l.inner)) {
        Value::Array(items) => Some(items),
        _ => Some(Vec::new()),
    }
}

fn build_logprobs(lists: Vec<ListState>) -> Logprobs {
    // The decoder checked each element's type, so these conversions keep
    // every element.
    let mut out = Logprobs::default();
    for l in &lists {
        let items = elements(l);
        match l.key.as_str() {
            f::TOKENS => {
                out.tokens = items.map(|v| {
                    v.into_iter()
                        .map(|t| match t {
                            Value::String(s) => s,
                            other => other.to_json(),
                        })
                        .collect()
                })
            }
            f::TOKEN_LOGPROBS => {
                out.token_logprobs = items.map(|v| v.iter().map(Value::as_f64).collect())
            }
            f::TOP_LOGPROBS => {
                out.top_logprobs = items.map(|v| {
                    v.into_iter()
                        .map(|t| match t {
                            Value::Object(m) => Some(m),
                            _ => None,
                        })
                        .collect()
                })
            }
            f::TEXT_OFFSET => {
                out.text_offset =
                    items.map(|v| v.iter().map(|n| n.as_u64().unwrap_or_default()).collect())
            }
            other => {
                let v = items.map_or(Value::Null, Value::Array);
                out.extra.insert(other, v);
            }
        }
    }
    out
}
