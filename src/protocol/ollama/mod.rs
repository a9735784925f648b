//! Ollama's native API (`/api/chat` and `/api/generate`): NDJSON, one JSON
//! object a line, the last with `"done": true`. Every field name of this
//! wire format lives in this folder.

mod decode;
pub(crate) mod fields;
mod response;

pub(crate) use decode::Decoder;
pub(crate) use response::build;
pub use response::{FunctionCall, Message, Response, ToolCall};
