//! The field names and event types of Anthropic Messages streams that the
//! decoder reads or the ops name.

// Event types (the `type` of each payload, and the SSE event names).
pub(crate) const MESSAGE_START: &[u8] = b"message_start";
pub(crate) const MESSAGE_DELTA: &[u8] = b"message_delta";
pub(crate) const MESSAGE_STOP: &[u8] = b"message_stop";
pub(crate) const CONTENT_BLOCK_START: &[u8] = b"content_block_start";
pub(crate) const CONTENT_BLOCK_DELTA: &[u8] = b"content_block_delta";
pub(crate) const CONTENT_BLOCK_STOP: &[u8] = b"content_block_stop";
pub(crate) const PING: &[u8] = b"ping";
pub(crate) const ERROR: &[u8] = b"error";

// Content-block types.
pub(crate) const TEXT_BLOCK: &[u8] = b"text";
pub(crate) const THINKING_BLOCK: &[u8] = b"thinking";
pub(crate) const TOOL_USE_BLOCK: &[u8] = b"tool_use";

// Delta types.
pub(crate) const TEXT_DELTA: &[u8] = b"text_delta";
pub(crate) const THINKING_DELTA: &[u8] = b"thinking_delta";
pub(crate) const INPUT_JSON_DELTA: &[u8] = b"input_json_delta";
pub(crate) const SIGNATURE_DELTA: &[u8] = b"signature_delta";
pub(crate) const CITATIONS_DELTA: &[u8] = b"citations_delta";

// Fields of the message, its blocks, its deltas.
pub(crate) const ID: &str = "id";
pub(crate) const MODEL: &str = "model";
pub(crate) const ROLE: &str = "role";
pub(crate) const TYPE: &str = "type";
pub(crate) const CONTENT: &str = "content";
pub(crate) const USAGE: &str = "usage";
pub(crate) const STOP_REASON: &str = "stop_reason";
pub(crate) const STOP_SEQUENCE: &str = "stop_sequence";
pub(crate) const TEXT: &str = "text";
pub(crate) const THINKING: &str = "thinking";
pub(crate) const NAME: &str = "name";
pub(crate) const INPUT: &str = "input";
pub(crate) const PARTIAL_JSON: &str = "partial_json";
pub(crate) const SIGNATURE: &str = "signature";
pub(crate) const CITATION: &str = "citation";
pub(crate) const CITATIONS: &str = "citations";

/// The `type` of a text block and of a thinking block, for a block the
/// stream never started (its deltas made it).
pub(crate) const TEXT_TYPE: &str = "text";
pub(crate) const THINKING_TYPE: &str = "thinking";
