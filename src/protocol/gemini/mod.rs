//! Gemini `streamGenerateContent?alt=sse` (the Gemini API and Vertex AI):
//! each event a `GenerateContentResponse` fragment, no terminator. Every
//! field name of this wire format lives in this folder.

mod args;
mod decode;
pub(crate) mod fields;
mod parts;
mod path;
mod response;

pub(crate) use decode::Decoder;
pub(crate) use response::build;
pub use response::{Candidate, FunctionCall, Part, Response};
