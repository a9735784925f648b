//! Bounds on what a stream may make the engine hold.

/// Limits that keep hostile input from making memory grow without bound.
///
/// Every limit is checked as bytes arrive, in linear time, before anything
/// past it is stored; exceeding one is an error of kind
/// [`ErrorKind::Limit`](crate::ErrorKind::Limit) that keeps the completion
/// reassembled so far. The defaults accept every real stream we know of.
///
/// # Examples
///
/// ```
/// use streamfold::{ChatFold, Limits};
///
/// let limits = Limits { max_event_bytes: 1 << 20, ..Limits::default() };
/// let fold = ChatFold::with_limits(limits);
/// # drop(fold);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest data of one SSE event, in bytes (its `data` lines joined).
    ///
    /// Default 128 MiB: image-generation events carry tens of MiB of base64
    /// (a 64 MiB event must pass), yet the bound stays finite. This is the
    /// most memory one event can make the SSE layer hold. Values above
    /// 2 GiB − 1 are treated as 2 GiB − 1.
    pub max_event_bytes: usize,
    /// Longest line other than a `data` line (comments, `event`, `id`,
    /// `retry`, unknown fields), in bytes without its line end.
    ///
    /// Default 1 MiB: those lines are short in every protocol (ids, event
    /// names, keep-alive comments); `data` lines are bounded by
    /// `max_event_bytes` instead. Values below 16 are treated as 16.
    pub max_line_bytes: usize,
    /// Most distinct choices in one stream. Default 1,024 (the OpenAI API
    /// caps `n` at 128).
    pub max_choices: usize,
    /// Most tool calls in one choice. Default 1,024 (parallel tool calls
    /// seen in practice number in the tens).
    pub max_tool_calls: usize,
    /// Deepest JSON nesting in one payload, counting the chunk object itself.
    /// Default 128 (as serde_json); the chunk's own structure takes 6 levels.
    /// Values above 1,024 are treated as 1,024.
    pub max_depth: usize,
    /// Largest accepted `index` of a choice or tool call. Default
    /// `u32::MAX`: choices and tool calls are stored sparsely, so a large
    /// index costs no more than a small one; lower it to refuse such
    /// streams outright.
    pub max_index: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_event_bytes: 128 << 20,
            max_line_bytes: 1 << 20,
            max_choices: 1024,
            max_tool_calls: 1024,
            max_depth: 128,
            max_index: u32::MAX,
        }
    }
}
