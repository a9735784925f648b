//! The field names of OpenAI Responses events and objects that the ops and
//! the final object name, and how the decoder numbers the part lists of an
//! output item.

// The response object.
pub(crate) const ID: &str = "id";
pub(crate) const MODEL: &str = "model";
pub(crate) const OUTPUT: &str = "output";
pub(crate) const STATUS: &str = "status";
pub(crate) const USAGE: &str = "usage";
pub(crate) const ERROR: &str = "error";
pub(crate) const INCOMPLETE_DETAILS: &str = "incomplete_details";

// Output items and their parts.
pub(crate) const TYPE: &str = "type";
pub(crate) const CALL_ID: &str = "call_id";
pub(crate) const NAME: &str = "name";
pub(crate) const CONTENT: &str = "content";
pub(crate) const SUMMARY: &str = "summary";
pub(crate) const TEXT: &str = "text";
pub(crate) const REFUSAL: &str = "refusal";
pub(crate) const ARGUMENTS: &str = "arguments";
pub(crate) const INPUT: &str = "input";
pub(crate) const CODE: &str = "code";
pub(crate) const OPERATION: &str = "operation";
pub(crate) const DIFF: &str = "diff";
pub(crate) const ACTION: &str = "action";
pub(crate) const COMMANDS: &str = "commands";
pub(crate) const ANNOTATIONS: &str = "annotations";
pub(crate) const LOGPROBS: &str = "logprobs";

// Item types.
pub(crate) const MESSAGE: &str = "message";
pub(crate) const REASONING: &str = "reasoning";
pub(crate) const FUNCTION_CALL: &str = "function_call";
pub(crate) const CUSTOM_TOOL_CALL: &str = "custom_tool_call";
pub(crate) const CODE_INTERPRETER_CALL: &str = "code_interpreter_call";
pub(crate) const MCP_CALL: &str = "mcp_call";
pub(crate) const APPLY_PATCH_CALL: &str = "apply_patch_call";
pub(crate) const SHELL_CALL: &str = "shell_call";

// Part types.
pub(crate) const OUTPUT_TEXT: &str = "output_text";
pub(crate) const REFUSAL_PART: &str = "refusal";
pub(crate) const REASONING_TEXT: &str = "reasoning_text";
pub(crate) const SUMMARY_TEXT: &str = "summary_text";

/// The part lists of an item (`BlockKey::Part::group`): where a part's text
/// goes in the item.
pub(crate) mod group {
    /// `content[content_index]`: a message's `output_text` / `refusal`
    /// parts, a reasoning item's `reasoning_text` parts.
    pub(crate) const CONTENT: u8 = 0;
    /// `summary[summary_index]` of a reasoning item.
    pub(crate) const SUMMARY: u8 = 1;
    /// `code` of a `code_interpreter_call`.
    pub(crate) const CODE: u8 = 2;
    /// `arguments` of an `mcp_call`.
    pub(crate) const MCP_ARGUMENTS: u8 = 3;
    /// `operation.diff` of an `apply_patch_call`.
    pub(crate) const PATCH_DIFF: u8 = 4;
    /// `action.commands[command_index]` of a `shell_call`.
    pub(crate) const SHELL_COMMAND: u8 = 5;
}
