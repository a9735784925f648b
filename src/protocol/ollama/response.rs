//! The final object of an Ollama stream: the non-streaming response of
//! `/api/chat` (with a `message`) or `/api/generate` (with a `response`),
//! and how the fold's state becomes one.

use serde::{Deserialize, Serialize};

use super::fields as f;
use crate::delta::BlockKind;
use crate::fold::choice::{ChoiceState, Key};
use crate::fold::Parts;
use crate::json::map::Map;
use crate::json::value::Value;

/// The reassembled response, what Ollama returns with `"stream": false`:
/// the text (`message.content` for `/api/chat`, `response` for
/// `/api/generate`) and `thinking` concatenated, the tool calls collected,
/// `model` from the first object, `created_at`, `done`, `done_reason`, the
/// counts, durations and `context` from the last one that carried them.
/// Serialises (with serde) to that JSON shape, and reads back from it.
///
/// Fields the engine does not know are kept in `extra` maps (top-level ones
/// such as `remote_model` here, message ones in [`Message::extra`]), in the
/// order they arrived.
///
/// # Examples
///
/// ```
/// use streamfold::{ollama::Response, Fold};
///
/// let mut fold = Fold::new();
/// fold.push(b"{\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T08:52:19Z\",\
/// \"message\":{\"role\":\"assistant\",\"content\":\"The\"},\"done\":false}\n\
/// {\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T08:52:20Z\",\
/// \"message\":{\"role\":\"assistant\",\"content\":\" sky\"},\"done\":false}\n\
/// {\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T19:22:45Z\",\
/// \"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\
/// \"prompt_eval_count\":26,\"eval_count\":2}\n").count();
/// let response: Response = fold.finish()?.into_ollama().unwrap();
/// assert_eq!(response.text(), "The sky");
/// assert_eq!(response.done_reason.as_deref(), Some("stop"));
/// assert_eq!(response.eval_count, Some(2));
/// let json = serde_json::to_string(&response).unwrap();
/// let back: Response = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, response);
/// # Ok::<(), streamfold::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Response {
    /// The first non-empty `model`.
    #[serde(default)]
    pub model: Option<String>,
    /// The last `created_at`.
    #[serde(default)]
    pub created_at: Option<String>,
    /// `/api/chat`: the assistant message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    /// `/api/generate`: the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    /// `/api/generate`: the reasoning text, when any arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<String>,
    /// True when the last object said `"done": true`.
    #[serde(default)]
    pub done: bool,
    /// Why generation stopped (`stop`, `length`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_reason: Option<String>,
    /// `/api/generate`: the encoding of the conversation, to send back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Vec<i64>>,
    /// Nanoseconds spent on the whole request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_duration: Option<u64>,
    /// Nanoseconds spent loading the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_duration: Option<u64>,
    /// Tokens of the prompt (omitted by Ollama when 0, e.g. a cached
    /// prompt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_eval_count: Option<u64>,
    /// Nanoseconds spent evaluating the prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_eval_duration: Option<u64>,
    /// Tokens generated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_count: Option<u64>,
    /// Nanoseconds spent generating.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_duration: Option<u64>,
    /// Per-token log-probabilities (`logprobs: true`), every object's
    /// entries in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<Vec<Value>>,
    /// Unknown top-level fields: the last non-null value of each.
    #[serde(flatten)]
    pub extra: Map,
}

/// The assistant message of an `/api/chat` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Message {
    /// The first non-empty `role`.
    #[serde(default)]
    pub role: Option<String>,
    /// The text.
    #[serde(default)]
    pub content: String,
    /// The reasoning text, when any arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<String>,
    /// The tool calls, in the order they came (omitted from JSON when
    /// empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// Unknown message fields, merged (`images`, `tool_name`, …).
    #[serde(flatten)]
    pub extra: Map,
}

/// One tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct ToolCall {
    /// Its `id`, when the server sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The function called.
    #[serde(default)]
    pub function: FunctionCall,
    /// Other members of the call.
    #[serde(flatten)]
    pub extra: Map,
}

/// A function call: its name and arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct FunctionCall {
    /// The function's name.
    #[serde(default)]
    pub name: String,
    /// The arguments, a JSON object as Ollama sends them. A server that
    /// sends them as a string gets the object or array its text holds, or
    /// else that string as sent.
    #[serde(default)]
    pub arguments: Value,
    /// Other members of the function (Ollama's `index`).
    #[serde(flatten)]
    pub extra: Map,
}

impl Response {
    /// The text: `message.content` (`/api/chat`) or `response`
    /// (`/api/generate`); `""` when neither arrived.
    pub fn text(&self) -> &str {
        match (&self.message, &self.response) {
            (Some(m), _) => &m.content,
            (None, Some(r)) => r,
            (None, None) => "",
        }
    }

    /// The reasoning text, from the message or the response.
    pub fn thinking(&self) -> Option<&str> {
        self.message
            .as_ref()
            .and_then(|m| m.thinking.as_deref())
            .or(self.thinking.as_deref())
    }

    /// The tool calls of the message (none for `/api/generate`).
    pub fn tool_calls(&self) -> &[ToolCall] {
        self.message.as_ref().map_or(&[], |m| &m.tool_calls)
    }
}

fn string(v: Option<Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s),
        _ => None,
    }
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// Field `key` of `meta` as a `u64`; a value of another kind stays in
/// `extra`.
fn count(meta: &mut Map, extra: &mut Map, key: &str) -> Option<u64> {
    let v = meta.remove(key)?;
    match v.as_u64() {
        Some(n) => Some(n),
        None => {
            extra.insert(key, v);
            None
        }
    }
}

/// Builds the response from the fold's state.
pub(crate) fn build(parts: Parts) -> Response {
    let Parts {
        mut meta, choices, ..
    } = parts;
    let model = string(meta.take(f::MODEL));
    let created_at = string(meta.take(f::CREATED_AT));
    let done = meta
        .take(f::DONE)
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let mut rest = meta.into_map();
    let mut extra = Map::new();
    let context = rest.remove(f::CONTEXT).and_then(|v| {
        let ints: Option<Vec<i64>> = v
            .as_array()
            .and_then(|items| items.iter().map(Value::as_i64).collect());
        if ints.is_none() {
            extra.insert(f::CONTEXT, v);
        }
        ints
    });
    let [total_duration, load_duration, prompt_eval_count, prompt_eval_duration, eval_count, eval_duration] =
        f::METRICS.map(|key| count(&mut rest, &mut extra, key));
    for (k, v) in rest {
        extra.insert(k, v);
    }
    let mut response = Response {
        model,
        created_at,
        done,
        context,
        total_duration,
        load_duration,
        prompt_eval_count,
        prompt_eval_duration,
        eval_count,
        eval_duration,
        extra,
        ..Response::default()
    };
    if let Some(choice) = choices.into_iter().next() {
        fill(&mut response, choice);
    }
    response
}

/// The text, reasoning, tool calls, finish reason and log-probabilities.
fn fill(response: &mut Response, choice: ChoiceState) {
    let ChoiceState {
        mut message,
        blocks,
        finish_reason,
        lists,
        mut tools,
        ..
    } = choice;
    // `content` (`/api/chat`) and `response` (`/api/generate`), in the
    // order they came: a stream mixing both shapes (not Ollama's) has its
    // text in the message, whole, as its events said it.
    let (mut text, mut content, mut generated, mut thinking) = (String::new(), false, false, None);
    for b in blocks {
        match (b.kind, &b.key) {
            (BlockKind::Content, key) => {
                match key {
                    Key::Field(name) if name == f::RESPONSE => generated = true,
                    _ => content = true,
                }
                text.push_str(&b.text);
            }
            (BlockKind::Reasoning, _) => thinking = non_empty(b.text),
            _ => {}
        }
    }
    response.done_reason = finish_reason;
    response.logprobs =
        lists.iter().find(|l| l.key == f::LOGPROBS && !l.null).map(
            |l| match crate::fold::parse_raw(&format!("[{}]", l.inner)) {
                Value::Array(items) => items,
                _ => Vec::new(),
            },
        );
    let chat = content || !message.is_empty() || !tools.is_empty();
    if !chat {
        response.response = generated.then_some(text);
        response.thinking = thinking;
        return;
    }
    tools.sort_by_key(|t| t.index);
    let tool_calls = tools
        .into_iter()
        .map(|t| {
            let mut extra = t.fields.into_map();
            if !t.kind.is_empty() {
                extra.insert("type", Value::String(t.kind));
            }
            // The text of an object or array sent whole, or of a string
            // (tolerated): only an object or array is taken for the value,
            // so a string keeps its text exactly as sent.
            let arguments = if t.arguments.is_empty() {
                Value::Object(Map::new())
            } else {
                match t.arguments.parse::<Value>() {
                    Ok(v @ (Value::Object(_) | Value::Array(_))) => v,
                    _ => Value::String(t.arguments),
                }
            };
            ToolCall {
                id: non_empty(t.id),
                function: FunctionCall {
                    name: t.name,
                    arguments,
                    extra: t.function_fields.into_map(),
                },
                extra,
            }
        })
        .collect();
    let role = string(message.take(f::ROLE));
    response.message = Some(Message {
        role,
        content: text,
        thinking,
        tool_calls,
        extra: message.into_map(),
    });
}
