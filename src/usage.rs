//! Token counts, normalized across wire formats.

use serde::{Deserialize, Serialize};

/// Token counts in one shape for every format, read from the format's own
/// usage object (which events and final objects keep as sent).
///
/// | field | OpenAI chat / completions | Responses | Anthropic | Gemini | Ollama |
/// | --- | --- | --- | --- | --- | --- |
/// | `input_tokens` | `prompt_tokens` | `input_tokens` | `input_tokens` | `promptTokenCount` | `prompt_eval_count` |
/// | `output_tokens` | `completion_tokens` | `output_tokens` | `output_tokens` | `candidatesTokenCount` (+ `thoughtsTokenCount`) | `eval_count` |
/// | `reasoning_tokens` | `completion_tokens_details.reasoning_tokens` | `output_tokens_details.reasoning_tokens` | – | `thoughtsTokenCount` | – |
/// | `cached_input_tokens` | `prompt_tokens_details.cached_tokens` | `input_tokens_details.cached_tokens` | `cache_read_input_tokens` | `cachedContentTokenCount` | – |
/// | `total_tokens` | `total_tokens` | `total_tokens` | – | `totalTokenCount` | – |
///
/// `output_tokens` counts every generated token, reasoning included (Gemini
/// reports thoughts apart; they are added in). `None` where the format did
/// not say.
///
/// # Examples
///
/// ```
/// use streamfold::Fold;
///
/// let mut fold = Fold::new();
/// fold.push(b"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2,\"total_tokens\":9}}\n\n").count();
/// let tokens = fold.usage().unwrap();
/// assert_eq!((tokens.input_tokens, tokens.output_tokens), (Some(7), Some(2)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenCounts {
    /// Tokens of the prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    /// Tokens generated, reasoning included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    /// Of the output, tokens of reasoning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
    /// Of the input, tokens read from a prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input_tokens: Option<u64>,
    /// All tokens, as the format reports them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_tokens: Option<u64>,
}

impl TokenCounts {
    /// Counts with the given input and output tokens (the others `None`).
    pub fn new(input_tokens: Option<u64>, output_tokens: Option<u64>) -> TokenCounts {
        TokenCounts {
            input_tokens,
            output_tokens,
            ..TokenCounts::default()
        }
    }

    /// Each count `other` has replaces this one's (a usage update that
    /// carries some counts only, as Anthropic's `message_delta`).
    pub(crate) fn overlay(&mut self, other: &TokenCounts) {
        let pick = |a: &mut Option<u64>, b: Option<u64>| {
            if b.is_some() {
                *a = b;
            }
        };
        pick(&mut self.input_tokens, other.input_tokens);
        pick(&mut self.output_tokens, other.output_tokens);
        pick(&mut self.reasoning_tokens, other.reasoning_tokens);
        pick(&mut self.cached_input_tokens, other.cached_input_tokens);
        pick(&mut self.total_tokens, other.total_tokens);
    }

    /// True when no count is known.
    pub fn is_empty(&self) -> bool {
        *self == TokenCounts::default()
    }
}
