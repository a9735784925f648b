//! The field names of Gemini `GenerateContentResponse` fragments that the
//! decoder and the final object name.

pub(crate) const CANDIDATES: &str = "candidates";
pub(crate) const USAGE_METADATA: &str = "usageMetadata";
pub(crate) const RESPONSE_ID: &str = "responseId";
pub(crate) const MODEL_VERSION: &str = "modelVersion";
pub(crate) const CREATE_TIME: &str = "createTime";

pub(crate) const CONTENT: &str = "content";
pub(crate) const INDEX: &str = "index";
pub(crate) const FINISH_REASON: &str = "finishReason";
pub(crate) const ROLE: &str = "role";
pub(crate) const PARTS: &str = "parts";

pub(crate) const TEXT: &str = "text";
pub(crate) const THOUGHT: &str = "thought";
pub(crate) const THOUGHT_SIGNATURE: &str = "thoughtSignature";
pub(crate) const FUNCTION_CALL: &str = "functionCall";

pub(crate) const NAME: &str = "name";
pub(crate) const ID: &str = "id";
pub(crate) const ARGS: &str = "args";
pub(crate) const WILL_CONTINUE: &str = "willContinue";
pub(crate) const PARTIAL_ARGS: &str = "partialArgs";
