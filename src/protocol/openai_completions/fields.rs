//! The field names of legacy completion chunks that the ops name.

pub(crate) const ID: &str = "id";
pub(crate) const MODEL: &str = "model";
pub(crate) const CREATED: &str = "created";
pub(crate) const SYSTEM_FINGERPRINT: &str = "system_fingerprint";
/// The `object` of every chunk, and of the final object.
pub(crate) const TEXT_COMPLETION: &str = "text_completion";
/// A choice's text (the block the fold keeps it in).
pub(crate) const TEXT: &str = "text";
/// The lists of a choice's `logprobs` object.
pub(crate) const TOKENS: &str = "tokens";
pub(crate) const TOKEN_LOGPROBS: &str = "token_logprobs";
pub(crate) const TOP_LOGPROBS: &str = "top_logprobs";
pub(crate) const TEXT_OFFSET: &str = "text_offset";
