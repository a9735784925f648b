//! The field names of OpenAI chat chunks that the ops name.

pub(crate) const ID: &str = "id";
pub(crate) const MODEL: &str = "model";
pub(crate) const CREATED: &str = "created";
pub(crate) const SERVICE_TIER: &str = "service_tier";
pub(crate) const SYSTEM_FINGERPRINT: &str = "system_fingerprint";
pub(crate) const ROLE: &str = "role";
pub(crate) const CONTENT: &str = "content";
pub(crate) const REFUSAL: &str = "refusal";
pub(crate) const FUNCTION_CALL: &str = "function_call";
/// Delta fields whose string values are reasoning text.
pub(crate) const REASONING_FIELDS: [&str; 2] = ["reasoning_content", "reasoning"];
/// Where the text of `thinking` content parts goes in the final message.
pub(crate) const PART_REASONING: &str = "reasoning_content";
pub(crate) const LOGPROBS_CONTENT: &str = "content";
pub(crate) const LOGPROBS_REFUSAL: &str = "refusal";
