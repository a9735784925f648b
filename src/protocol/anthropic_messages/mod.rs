//! Anthropic Messages streams (`/v1/messages` with `stream: true`):
//! `message_start`, content-block events, `message_delta`, `message_stop`.
//! Every field name of this wire format lives in this folder.

mod decode;
pub(crate) mod fields;
mod message;

pub(crate) use decode::Decoder;
pub(crate) use message::build;
pub use message::{ContentBlock, Message};
