//! The final object of an Anthropic Messages stream: the `message` the
//! non-streaming API returns, and how the fold's state becomes one.

use serde::{Deserialize, Serialize};

use super::fields as f;
use crate::delta::BlockKind;
use crate::fold::choice::{BlockState, Key, ToolState};
use crate::fold::Parts;
use crate::json::map::Map;
use crate::json::scanner::Scanner;
use crate::json::value::{parse_value, Value};
use crate::limits::DEPTH_CAP;

/// The reassembled message, member for member what anthropic-python's
/// `get_final_message()` gives (the beta helper's, for the blocks only it
/// knows): the `message_start` object with its `content` blocks completed
/// and the `message_delta` updates applied.
///
/// Every member is kept, in the order it arrived (a newtype over [`Map`]);
/// the accessors read the members the format defines. Serialises (with
/// serde) to that JSON object, and reads back from it.
///
/// # Examples
///
/// ```
/// use streamfold::{anthropic_messages::Message, Fold};
///
/// let body = "event: message_start\n\
/// data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\
/// \"model\":\"claude\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n\
/// event: content_block_start\n\
/// data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n\
/// event: content_block_delta\n\
/// data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n\
/// event: content_block_stop\n\
/// data: {\"type\":\"content_block_stop\",\"index\":0}\n\n\
/// event: message_delta\n\
/// data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":2}}\n\n\
/// event: message_stop\n\
/// data: {\"type\":\"message_stop\"}\n\n";
/// let mut fold = Fold::new();
/// fold.push(body.as_bytes()).count();
/// let message: Message = fold.finish()?.into_anthropic().unwrap();
/// assert_eq!(message.id(), Some("msg_1"));
/// assert_eq!(message.text(), "Hi");
/// assert_eq!(message.stop_reason(), Some("end_turn"));
/// assert_eq!(message.content().next().unwrap().kind(), "text");
/// let usage = message.usage().unwrap();
/// assert_eq!(usage["output_tokens"].as_u64(), Some(2));
/// assert_eq!(usage["input_tokens"].as_u64(), Some(5));
///
/// let json = serde_json::to_string(&message).unwrap();
/// let back: Message = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, message);
/// # Ok::<(), streamfold::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Message(Map);

/// One content block of a [`Message`] (`text`, `thinking`, `tool_use`,
/// `server_tool_use`, `web_search_tool_result`, …): a view of its members.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContentBlock<'a>(&'a Map);

fn str_of<'a>(m: &'a Map, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}

impl Message {
    /// The members, in arrival order.
    pub fn as_map(&self) -> &Map {
        &self.0
    }

    /// The members, owned.
    pub fn into_map(self) -> Map {
        self.0
    }

    /// The member `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// The message `id`.
    pub fn id(&self) -> Option<&str> {
        str_of(&self.0, f::ID)
    }

    /// The `model`.
    pub fn model(&self) -> Option<&str> {
        str_of(&self.0, f::MODEL)
    }

    /// The `role` (`"assistant"`).
    pub fn role(&self) -> Option<&str> {
        str_of(&self.0, f::ROLE)
    }

    /// The `stop_reason` (`end_turn`, `tool_use`, `max_tokens`, …), as the
    /// last `message_delta` set it.
    pub fn stop_reason(&self) -> Option<&str> {
        str_of(&self.0, f::STOP_REASON)
    }

    /// The `stop_sequence` that stopped generation, if any.
    pub fn stop_sequence(&self) -> Option<&str> {
        str_of(&self.0, f::STOP_SEQUENCE)
    }

    /// The content blocks, in index order.
    pub fn content(&self) -> impl ExactSizeIterator<Item = ContentBlock<'_>> + '_ {
        static EMPTY: Vec<Value> = Vec::new();
        let blocks = match self.0.get(f::CONTENT) {
            Some(Value::Array(a)) => a,
            _ => &EMPTY,
        };
        blocks.iter().map(|b| match b {
            Value::Object(m) => ContentBlock(m),
            _ => ContentBlock(empty_map()),
        })
    }

    /// The `usage` object: `message_start`'s, with each count a
    /// `message_delta` carried replacing it.
    pub fn usage(&self) -> Option<&Map> {
        self.0.get(f::USAGE).and_then(Value::as_object)
    }

    /// The text of all `text` blocks, joined.
    pub fn text(&self) -> String {
        self.content()
            .filter(|b| b.kind() == f::TEXT_TYPE)
            .filter_map(|b| b.text())
            .collect()
    }

    /// The text of all `thinking` blocks, joined.
    pub fn thinking(&self) -> String {
        self.content().filter_map(|b| b.thinking()).collect()
    }
}

fn empty_map() -> &'static Map {
    static EMPTY: std::sync::OnceLock<Map> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

impl<'a> ContentBlock<'a> {
    /// The members, in arrival order.
    pub fn as_map(&self) -> &'a Map {
        self.0
    }

    /// The member `key`, if present.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key)
    }

    /// The block's `type` (`""` when it has none).
    pub fn kind(&self) -> &'a str {
        str_of(self.0, f::TYPE).unwrap_or("")
    }

    /// The `text` of a text block.
    pub fn text(&self) -> Option<&'a str> {
        str_of(self.0, f::TEXT)
    }

    /// The `thinking` of a thinking block.
    pub fn thinking(&self) -> Option<&'a str> {
        str_of(self.0, f::THINKING)
    }

    /// The `signature` of a thinking block.
    pub fn signature(&self) -> Option<&'a str> {
        str_of(self.0, f::SIGNATURE)
    }

    /// The `id` of a tool-use block.
    pub fn id(&self) -> Option<&'a str> {
        str_of(self.0, f::ID)
    }

    /// The `name` of a tool-use block.
    pub fn name(&self) -> Option<&'a str> {
        str_of(self.0, f::NAME)
    }

    /// The `input` of a tool-use block: the parse of its streamed JSON.
    pub fn input(&self) -> Option<&'a Value> {
        self.0.get(f::INPUT)
    }

    /// The `citations` of a text block.
    pub fn citations(&self) -> &'a [Value] {
        match self.0.get(f::CITATIONS) {
            Some(Value::Array(a)) => a,
            _ => &[],
        }
    }
}

/// Parses a block's streamed input; `None` when it is not (yet) one JSON
/// value (a stream cut inside a tool call's arguments).
fn parse_input(text: &str) -> Option<Value> {
    let mut sc = Scanner::new(text, DEPTH_CAP);
    let v = parse_value(&mut sc).ok()?;
    sc.finish().ok()?;
    Some(v)
}

/// Builds the message from the fold's state.
pub(crate) fn build(parts: Parts) -> Message {
    let Parts {
        meta,
        usage,
        choices,
        ..
    } = parts;
    let mut map = meta.into_map();
    let mut content = Vec::new();
    if let Some(choice) = choices.into_iter().next() {
        let mut blocks = choice.blocks;
        // Index order (the order they came, in a well-formed stream).
        blocks.sort_by_key(|b| match b.key {
            Key::Index(i) => u64::from(i),
            _ => u64::MAX,
        });
        let tools = choice.tools;
        content.extend(
            blocks
                .into_iter()
                .map(|b| Value::Object(block_object(b, &tools))),
        );
    }
    map.insert(f::CONTENT, Value::Array(content));
    if let Some(u) = usage {
        map.insert(f::USAGE, u.value());
    }
    Message(map)
}

/// One block of the message: the members it started with, its text, its
/// parsed input.
fn block_object(b: BlockState, tools: &[ToolState]) -> Map {
    let BlockState {
        kind,
        text,
        fields,
        tool,
        ..
    } = b;
    let mut m = fields.into_map();
    match kind {
        BlockKind::Content | BlockKind::Refusal => {
            m = with_type(m, f::TEXT_TYPE);
            m.insert(f::TEXT, Value::String(text));
        }
        BlockKind::Reasoning => {
            m = with_type(m, f::THINKING_TYPE);
            m.insert(f::THINKING, Value::String(text));
        }
        BlockKind::Tool => {
            let arguments = tool.and_then(|t| tools.get(t)).map(|t| &t.arguments);
            if let Some(v) = arguments
                .filter(|a| !a.is_empty())
                .and_then(|a| parse_input(a))
            {
                m.insert(f::INPUT, v);
            }
        }
        BlockKind::Other => {
            if let Some(v) = (!text.is_empty()).then(|| parse_input(&text)).flatten() {
                m.insert(f::INPUT, v);
            }
        }
    }
    m
}

/// `m` with a `type` first, when it has none (a block made from its deltas).
fn with_type(m: Map, kind: &str) -> Map {
    if m.contains_key(f::TYPE) {
        return m;
    }
    let mut out = Map::new();
    out.insert(f::TYPE, Value::from(kind));
    out.extend(m);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_view_reads_its_members() {
        let v: Value = r#"{"content":[{"type":"tool_use","id":"t","name":"f","input":{"a":1}},
            {"type":"text","text":"x","citations":[{"n":1}]},{"type":"thinking","thinking":"y","signature":"s"}]}"#
            .parse()
            .unwrap();
        let Value::Object(m) = v else { unreachable!() };
        let msg = Message(m);
        let blocks: Vec<ContentBlock<'_>> = msg.content().collect();
        assert_eq!(blocks[0].kind(), "tool_use");
        assert_eq!((blocks[0].id(), blocks[0].name()), (Some("t"), Some("f")));
        assert_eq!(
            blocks[0]
                .input()
                .and_then(|v| v.get("a"))
                .and_then(Value::as_u64),
            Some(1)
        );
        assert_eq!(blocks[1].citations().len(), 1);
        assert_eq!(blocks[2].signature(), Some("s"));
        assert_eq!((msg.text(), msg.thinking()), ("x".into(), "y".into()));
        assert_eq!(msg.id(), None);
    }
}
