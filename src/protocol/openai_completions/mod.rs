//! OpenAI's legacy completions (`/v1/completions`, `"object":
//! "text_completion"`), the endpoint vLLM and SGLang benchmarks drive.
//! Every field name of this wire format lives in this folder.

mod completion;
mod decode;
pub(crate) mod fields;

pub(crate) use completion::build;
pub use completion::{Choice, Completion, Logprobs};
pub(crate) use decode::Decoder;
