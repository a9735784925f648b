//! OpenAI chat-completion chunks (`"object": "chat.completion.chunk"`), the
//! wire format of OpenAI, Azure OpenAI and every OpenAI-compatible server.
//! Every field name of this wire format lives in this folder.

mod completion;
mod decode;
pub(crate) mod fields;

pub(crate) use completion::build;
pub use completion::{Choice, Completion, FunctionCall, Message, ToolCall, Usage};
pub(crate) use decode::Decoder;
