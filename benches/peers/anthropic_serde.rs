//! What a Rust Anthropic client does today: SSE split by memchr
//! ([`Splitter`]), each event's data parsed by serde_json into owned types
//! shaped like the API's stream events (internally tagged enums on `type`,
//! as the Rust Anthropic clients declare them), and a minimal fold: text and
//! thinking appended, `input_json_delta` fragments concatenated and parsed
//! with serde_json at `content_block_stop`, the signature replaced,
//! citations pushed, `message_delta`'s stop reason and usage counts taken.

use serde::Deserialize;
use serde_json::Value;

use super::splitter::Splitter;

/// What the fold keeps of a stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Folded {
    /// The text blocks joined.
    pub text: String,
    /// The thinking blocks joined.
    pub thinking: String,
    /// The `input` of each client `tool_use` block, in block order.
    pub tool_inputs: Vec<Value>,
    /// The last `stop_reason`.
    pub stop_reason: Option<String>,
    /// The last `output_tokens`.
    pub output_tokens: Option<u64>,
    /// Content blocks.
    pub blocks: usize,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StreamEvent {
    MessageStart {
        message: Message,
    },
    ContentBlockStart {
        index: usize,
        content_block: ContentBlock,
    },
    ContentBlockDelta {
        index: usize,
        delta: BlockDelta,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        delta: MessageDeltaBody,
        #[serde(default)]
        usage: Option<Usage>,
    },
    MessageStop,
    Ping,
    Error {
        error: ApiError,
    },
}

#[derive(Debug, Deserialize)]
struct Message {
    #[allow(dead_code)]
    id: String,
    #[allow(dead_code)]
    model: String,
    #[serde(default)]
    content: Vec<ContentBlock>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ContentBlock {
    Text {
        text: String,
        #[serde(default)]
        citations: Option<Vec<Value>>,
    },
    Thinking {
        thinking: String,
        #[serde(default)]
        signature: Option<String>,
    },
    ToolUse {
        #[allow(dead_code)]
        id: String,
        #[allow(dead_code)]
        name: String,
        input: Value,
    },
    ServerToolUse {
        #[allow(dead_code)]
        id: String,
        #[allow(dead_code)]
        name: String,
        input: Value,
    },
    /// Results, redacted thinking, MCP and newer blocks.
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    TextDelta {
        text: String,
    },
    ThinkingDelta {
        thinking: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    SignatureDelta {
        signature: String,
    },
    CitationsDelta {
        citation: Value,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
struct MessageDeltaBody {
    #[serde(default)]
    stop_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Usage {
    #[serde(default)]
    output_tokens: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct ApiError {
    message: String,
}

/// A block being reassembled.
#[derive(Debug)]
struct Block {
    block: ContentBlock,
    /// Concatenated `input_json_delta` fragments.
    json: String,
}

#[derive(Debug, Default)]
struct Fold {
    blocks: Vec<Block>,
    stop_reason: Option<String>,
    output_tokens: Option<u64>,
}

impl Fold {
    fn event(&mut self, event: StreamEvent) -> Result<(), String> {
        match event {
            StreamEvent::MessageStart { message } => {
                self.blocks = message
                    .content
                    .into_iter()
                    .map(|block| Block {
                        block,
                        json: String::new(),
                    })
                    .collect();
                self.stop_reason = message.stop_reason;
                self.output_tokens = message.usage.and_then(|u| u.output_tokens);
            }
            StreamEvent::ContentBlockStart {
                index,
                content_block,
            } => {
                if index != self.blocks.len() {
                    return Err(format!("block {index} out of order"));
                }
                self.blocks.push(Block {
                    block: content_block,
                    json: String::new(),
                });
            }
            StreamEvent::ContentBlockDelta { index, delta } => {
                let b = self
                    .blocks
                    .get_mut(index)
                    .ok_or_else(|| format!("delta for block {index} never started"))?;
                match (&mut b.block, delta) {
                    (ContentBlock::Text { text, .. }, BlockDelta::TextDelta { text: t }) => {
                        text.push_str(&t)
                    }
                    (
                        ContentBlock::Text { citations, .. },
                        BlockDelta::CitationsDelta { citation },
                    ) => citations.get_or_insert_with(Vec::new).push(citation),
                    (
                        ContentBlock::Thinking { thinking, .. },
                        BlockDelta::ThinkingDelta { thinking: t },
                    ) => thinking.push_str(&t),
                    (
                        ContentBlock::Thinking { signature, .. },
                        BlockDelta::SignatureDelta { signature: s },
                    ) => *signature = Some(s),
                    (
                        ContentBlock::ToolUse { .. } | ContentBlock::ServerToolUse { .. },
                        BlockDelta::InputJsonDelta { partial_json },
                    ) => b.json.push_str(&partial_json),
                    _ => {}
                }
            }
            StreamEvent::ContentBlockStop { index } => {
                let b = self
                    .blocks
                    .get_mut(index)
                    .ok_or_else(|| format!("stop for block {index} never started"))?;
                if let ContentBlock::ToolUse { input, .. }
                | ContentBlock::ServerToolUse { input, .. } = &mut b.block
                {
                    if !b.json.is_empty() {
                        *input = serde_json::from_str(&b.json).map_err(|e| e.to_string())?;
                    }
                }
            }
            StreamEvent::MessageDelta { delta, usage } => {
                self.stop_reason = delta.stop_reason;
                if let Some(n) = usage.and_then(|u| u.output_tokens) {
                    self.output_tokens = Some(n);
                }
            }
            StreamEvent::MessageStop | StreamEvent::Ping => {}
            StreamEvent::Error { error } => return Err(error.message),
        }
        Ok(())
    }

    fn finish(self) -> Folded {
        let mut out = Folded {
            stop_reason: self.stop_reason,
            output_tokens: self.output_tokens,
            blocks: self.blocks.len(),
            ..Folded::default()
        };
        for b in self.blocks {
            match b.block {
                ContentBlock::Text { text, .. } => out.text.push_str(&text),
                ContentBlock::Thinking { thinking, .. } => out.thinking.push_str(&thinking),
                ContentBlock::ToolUse { input, .. } => out.tool_inputs.push(input),
                _ => {}
            }
        }
        out
    }
}

pub fn fold<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> Result<Folded, String> {
    let mut splitter = Splitter::new();
    let mut fold = Fold::default();
    let mut on_data = |data: &[u8]| {
        let event: StreamEvent = serde_json::from_slice(data).map_err(|e| e.to_string())?;
        fold.event(event)
    };
    for chunk in chunks {
        splitter.feed(chunk, &mut on_data)?;
    }
    Ok(fold.finish())
}
