//! The field names of Ollama's streamed objects that the ops name.

pub(crate) const MODEL: &str = "model";
pub(crate) const CREATED_AT: &str = "created_at";
pub(crate) const DONE: &str = "done";
pub(crate) const CONTEXT: &str = "context";
pub(crate) const ROLE: &str = "role";
/// `/api/chat`: the message's text.
pub(crate) const CONTENT: &str = "content";
/// `/api/chat`: the message's reasoning; `/api/generate`: the object's.
pub(crate) const THINKING: &str = "thinking";
/// `/api/generate`: the object's text.
pub(crate) const RESPONSE: &str = "response";
/// The per-token log-probabilities (a list of entries).
pub(crate) const LOGPROBS: &str = "logprobs";
/// The counts and durations of the last object, in the order Ollama sends
/// them; they make the usage event's object.
pub(crate) const METRICS: [&str; 6] = [
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
];
/// The counts among [`METRICS`]: tokens of the prompt, tokens generated.
pub(crate) const PROMPT_EVAL_COUNT: &str = "prompt_eval_count";
pub(crate) const EVAL_COUNT: &str = "eval_count";
