//! OpenAI Responses streams (`/v1/responses`): typed `response.*` events
//! ending with `response.completed`, `.incomplete` or `.failed`, as OpenAI,
//! Azure OpenAI, xAI, Bedrock, DeepSeek, OpenRouter and LM Studio send
//! them. Every field name of this wire format lives in this folder.

mod decode;
pub(crate) mod fields;
mod response;

pub(crate) use decode::Decoder;
pub(crate) use response::build;
pub use response::{Item, Response};
