//! The final object of an OpenAI Responses stream (the `response` object the
//! non-streaming API returns), and how the fold's state becomes one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fields::{self as f, group};
use crate::delta::BlockKind;
use crate::fold::choice::{BlockState, ChoiceState, Key, ToolState};
use crate::fold::Parts;
use crate::json::map::Map;
use crate::json::value::Value;

/// The reassembled response: the `response` of the stream's terminal event
/// (`response.completed`, `response.incomplete` or `response.failed`), as
/// openai-python's `get_final_response()` gives it; without one (a stream
/// cut short, or an error first), the same object accumulated from the
/// events: the fields of `response.created` / `in_progress` / `queued`,
/// and `output` built from the output items, their parts and the text and
/// argument deltas (an item's complete form from `output_item.done`
/// replaces what was accumulated for it).
///
/// Every field is kept, in the order it arrived, in an ordered map
/// ([`Response::as_map`]); the accessors read the fields the API defines.
/// Serialises (with serde) as the JSON object, and reads back from it.
///
/// `response.incomplete` (e.g. `max_output_tokens` reached) is a complete
/// stream: its response is the final object, `status` is `"incomplete"`
/// and the finish reason is `incomplete_details.reason`.
///
/// # Examples
///
/// ```
/// use streamfold::{openai_responses::Response, Fold};
///
/// let mut fold = Fold::new();
/// fold.push(b"event: response.output_text.delta\n\
/// data: {\"type\":\"response.output_text.delta\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hi\"}\n\n\
/// data: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"status\":\"completed\",\
/// \"output\":[{\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":\"Hi\"}]}]}}\n\n").count();
/// let response: Response = fold.finish()?.into_responses().unwrap();
/// assert_eq!(response.id(), Some("resp_1"));
/// assert_eq!(response.status(), Some("completed"));
/// assert_eq!(response.output_text(), "Hi");
/// assert_eq!(response.output().next().unwrap().kind(), Some("message"));
/// let json = serde_json::to_string(&response).unwrap();
/// let back: Response = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, response);
/// # Ok::<(), streamfold::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Response(Map);

/// One output item of a [`Response`] (`message`, `reasoning`,
/// `function_call`, `web_search_call`, …), borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Item<'a>(&'a Map);

fn str_of<'a>(m: &'a Map, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}

fn object_of<'a>(m: &'a Map, key: &str) -> Option<&'a Map> {
    m.get(key).and_then(Value::as_object)
}

impl Response {
    /// The response with these fields.
    pub fn from_map(map: Map) -> Response {
        Response(map)
    }

    /// Every field, in arrival order.
    pub fn as_map(&self) -> &Map {
        &self.0
    }

    /// Every field, in arrival order.
    pub fn into_map(self) -> Map {
        self.0
    }

    /// The field `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// `id` (`resp_…`).
    pub fn id(&self) -> Option<&str> {
        str_of(&self.0, f::ID)
    }

    /// `model`.
    pub fn model(&self) -> Option<&str> {
        str_of(&self.0, f::MODEL)
    }

    /// `status`: `completed`, `incomplete`, `failed`; in an accumulated
    /// object, the last one the stream announced (`in_progress`, …).
    pub fn status(&self) -> Option<&str> {
        str_of(&self.0, f::STATUS)
    }

    /// The output items, in order.
    pub fn output(&self) -> impl Iterator<Item = Item<'_>> + '_ {
        self.0
            .get(f::OUTPUT)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_object().map(Item))
    }

    /// The text of every `output_text` part of every `message` item,
    /// concatenated (openai-python's `Response.output_text`).
    ///
    /// Cost: a copy of the text.
    pub fn output_text(&self) -> String {
        let mut text = String::new();
        for item in self.output() {
            item.push_text(&mut text);
        }
        text
    }

    /// `usage` (`input_tokens`, `output_tokens`, `total_tokens` and their
    /// details), when the stream's terminal event carried it.
    pub fn usage(&self) -> Option<&Map> {
        object_of(&self.0, f::USAGE)
    }

    /// `error` of a failed response (`code`, `message`), when not null.
    pub fn error(&self) -> Option<&Map> {
        object_of(&self.0, f::ERROR)
    }

    /// `incomplete_details` (`reason`) of an incomplete response, when not
    /// null.
    pub fn incomplete_details(&self) -> Option<&Map> {
        object_of(&self.0, f::INCOMPLETE_DETAILS)
    }
}

impl<'a> Item<'a> {
    /// Every field of the item, in arrival order.
    pub fn as_map(&self) -> &'a Map {
        self.0
    }

    /// The field `key`.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key)
    }

    /// `type`: `message`, `reasoning`, `function_call`, `web_search_call`, …
    pub fn kind(&self) -> Option<&'a str> {
        str_of(self.0, f::TYPE)
    }

    /// `id`.
    pub fn id(&self) -> Option<&'a str> {
        str_of(self.0, f::ID)
    }

    /// `status`.
    pub fn status(&self) -> Option<&'a str> {
        str_of(self.0, f::STATUS)
    }

    /// `call_id` of a tool call.
    pub fn call_id(&self) -> Option<&'a str> {
        str_of(self.0, f::CALL_ID)
    }

    /// `name` of a function (or custom tool) call.
    pub fn name(&self) -> Option<&'a str> {
        str_of(self.0, f::NAME)
    }

    /// `arguments` of a function call (JSON text), `input` of a custom tool
    /// call.
    pub fn arguments(&self) -> Option<&'a str> {
        str_of(self.0, f::ARGUMENTS).or_else(|| str_of(self.0, f::INPUT))
    }

    /// The text of the `output_text` parts of a `message` item, `""` for
    /// other items.
    pub fn text(&self) -> String {
        let mut text = String::new();
        self.push_text(&mut text);
        text
    }

    fn push_text(&self, text: &mut String) {
        if self.kind() != Some(f::MESSAGE) {
            return;
        }
        let parts = self.0.get(f::CONTENT).and_then(Value::as_array);
        for part in parts.into_iter().flatten() {
            if part.get(f::TYPE).and_then(Value::as_str) == Some(f::OUTPUT_TEXT) {
                if let Some(t) = part.get(f::TEXT).and_then(Value::as_str) {
                    text.push_str(t);
                }
            }
        }
    }
}

/// Builds the response from the fold's state: the terminal event's
/// response when there was one, else the accumulated object.
pub(crate) fn build(parts: Parts) -> Response {
    let Parts {
        meta,
        snapshot,
        usage,
        choices,
    } = parts;
    if let Some(Value::Object(m)) = snapshot {
        return Response(m);
    }
    let mut map = meta.into_map();
    let output = choices.into_iter().next().map(items).unwrap_or_default();
    if !output.is_empty() || !map.contains_key(f::OUTPUT) {
        // In place of the `output: []` the stream announced.
        map.insert(f::OUTPUT, Value::Array(output));
    }
    if let Some(u) = usage {
        map.insert(f::USAGE, u.value());
    }
    Response(map)
}

/// An item's blocks: its own, and its parts by (list, position).
#[derive(Default)]
struct ItemBlocks {
    item: Option<BlockState>,
    parts: BTreeMap<(u8, u32), BlockState>,
}

/// The output items of the choice, in output order.
fn items(choice: ChoiceState) -> Vec<Value> {
    let ChoiceState { blocks, tools, .. } = choice;
    let mut by_item: BTreeMap<u32, ItemBlocks> = BTreeMap::new();
    for b in blocks {
        match b.key {
            Key::Index(i) => by_item.entry(i).or_default().item = Some(b),
            Key::Part { item, group, part } => {
                by_item
                    .entry(item)
                    .or_default()
                    .parts
                    .insert((group, part), b);
            }
            Key::Field(_) => {}
        }
    }
    by_item
        .into_values()
        .map(|ib| Value::Object(item(ib, &tools)))
        .collect()
}

/// One item: its complete form when `output_item.done` gave it, else its
/// fields with what was accumulated.
fn item(ib: ItemBlocks, tools: &[ToolState]) -> Map {
    let ItemBlocks { item, parts } = ib;
    let tool = item
        .as_ref()
        .and_then(|b| b.tool)
        .and_then(|t| tools.get(t));
    let mut m = match item {
        Some(b) if b.complete => return b.fields.into_map(),
        Some(b) => b.fields.into_map(),
        None => Map::new(),
    };
    if !m.contains_key(f::TYPE) {
        if let Some(kind) = implied_type(&parts) {
            m.insert(f::TYPE, Value::from(kind));
        }
    }
    let mut content = Vec::new();
    let mut summary = Vec::new();
    for ((g, index), b) in parts {
        match g {
            group::CONTENT => content.push(Value::Object(part(b, g))),
            group::SUMMARY => summary.push(Value::Object(part(b, g))),
            group::CODE => {
                m.insert(f::CODE, Value::String(b.text));
            }
            group::MCP_ARGUMENTS => {
                m.insert(f::ARGUMENTS, Value::String(b.text));
            }
            group::PATCH_DIFF => {
                let op = m.get_or_insert_with(f::OPERATION, || Value::Object(Map::new()));
                if let Some(op) = op.as_object_mut() {
                    op.insert(f::DIFF, Value::String(b.text));
                }
            }
            group::SHELL_COMMAND => {
                let action = m.get_or_insert_with(f::ACTION, || Value::Object(Map::new()));
                if let Some(action) = action.as_object_mut() {
                    let commands =
                        action.get_or_insert_with(f::COMMANDS, || Value::Array(Vec::new()));
                    if let Some(list) = commands.as_array_mut() {
                        let at = index as usize;
                        if list.len() <= at {
                            list.resize(at + 1, Value::from(""));
                        }
                        list[at] = Value::String(b.text);
                    }
                }
            }
            _ => {}
        }
    }
    if !content.is_empty() {
        m.insert(f::CONTENT, Value::Array(content));
    }
    if !summary.is_empty() {
        m.insert(f::SUMMARY, Value::Array(summary));
    }
    if let Some(t) = tool {
        if m.is_empty() || !m.contains_key(f::TYPE) {
            // A call whose item never came (arguments first, in a resumed
            // or cut stream) is a function call.
            let kind = if t.kind.is_empty() {
                f::FUNCTION_CALL
            } else {
                t.kind.as_str()
            };
            m.insert(f::TYPE, Value::from(kind));
        }
        if !m.contains_key(f::CALL_ID) && !t.id.is_empty() {
            m.insert(f::CALL_ID, Value::from(t.id.as_str()));
        }
        if !m.contains_key(f::NAME) && !t.name.is_empty() {
            m.insert(f::NAME, Value::from(t.name.as_str()));
        }
        let key = if str_of(&m, f::TYPE) == Some(f::CUSTOM_TOOL_CALL) {
            f::INPUT
        } else {
            f::ARGUMENTS
        };
        m.insert(key, Value::from(t.arguments.as_str()));
    }
    m
}

/// The type of an item seen only through its parts.
fn implied_type(parts: &BTreeMap<(u8, u32), BlockState>) -> Option<&'static str> {
    let (&(g, _), b) = parts.iter().next()?;
    Some(match g {
        group::CODE => f::CODE_INTERPRETER_CALL,
        group::MCP_ARGUMENTS => f::MCP_CALL,
        group::PATCH_DIFF => f::APPLY_PATCH_CALL,
        group::SHELL_COMMAND => f::SHELL_CALL,
        group::SUMMARY => f::REASONING,
        _ if b.kind == BlockKind::Reasoning => f::REASONING,
        _ => f::MESSAGE,
    })
}

/// One part: its complete form when `content_part.done` gave it, else its
/// fields with the accumulated text.
fn part(b: BlockState, g: u8) -> Map {
    if b.complete {
        return b.fields.into_map();
    }
    let mut m = b.fields.into_map();
    if !m.contains_key(f::TYPE) {
        let kind = match (b.kind, g) {
            (BlockKind::Refusal, _) => f::REFUSAL_PART,
            (BlockKind::Reasoning, group::SUMMARY) => f::SUMMARY_TEXT,
            (BlockKind::Reasoning, _) => f::REASONING_TEXT,
            _ => f::OUTPUT_TEXT,
        };
        m.insert(f::TYPE, Value::from(kind));
    }
    let key = if b.kind == BlockKind::Refusal {
        f::REFUSAL
    } else {
        f::TEXT
    };
    m.insert(key, Value::String(b.text));
    m
}
