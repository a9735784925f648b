//! Bounds on what a stream may make the engine hold.

/// Limits that keep hostile input from making memory grow without bound.
///
/// Every limit is checked as bytes arrive, in linear time, before anything
/// past it is stored; exceeding one is an error of kind
/// [`ErrorKind::Limit`](crate::ErrorKind::Limit) that keeps the final object
/// reassembled so far. The defaults accept every real stream we know of.
///
/// Built from [`Limits::default`] with one method per limit (the struct may
/// gain limits in later versions):
///
/// # Examples
///
/// ```
/// use streamfold::{Fold, Limits};
///
/// let limits = Limits::default().max_event_bytes(1 << 20).max_depth(64);
/// assert_eq!(limits.event_bytes(), 1 << 20);
/// let fold = Fold::new().with_limits(limits);
/// # drop(fold);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    pub(crate) max_event_bytes: usize,
    pub(crate) max_line_bytes: usize,
    pub(crate) max_choices: usize,
    pub(crate) max_tool_calls: usize,
    pub(crate) max_blocks: usize,
    pub(crate) max_depth: usize,
    pub(crate) max_index: u32,
}

/// The most bytes one event (or one NDJSON line) may carry: positions in it
/// fit in 31 bits downstream.
pub(crate) const EVENT_BYTES_CAP: usize = (1 << 31) - 1;

/// The deepest JSON nesting the engine accepts, whatever the configured
/// limit. Values are dropped and serialised recursively; this bound keeps
/// that safe on small thread stacks.
pub(crate) const DEPTH_CAP: usize = 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_event_bytes: 128 << 20,
            max_line_bytes: 1 << 20,
            max_choices: 1024,
            max_tool_calls: 1024,
            max_blocks: 65_536,
            max_depth: 128,
            max_index: u32::MAX,
        }
    }
}

impl Limits {
    /// Largest data of one SSE event (its `data` lines joined), or of one
    /// NDJSON line, in bytes.
    ///
    /// Default 128 MiB: image-generation events carry tens of MiB of base64
    /// (a 64 MiB event must pass), yet the bound stays finite. This is the
    /// most memory one event can make the framing layer hold. Values above
    /// 2 GiB − 1 are treated as 2 GiB − 1.
    pub fn max_event_bytes(mut self, bytes: usize) -> Limits {
        self.max_event_bytes = bytes.min(EVENT_BYTES_CAP);
        self
    }

    /// Longest SSE line other than a `data` line (comments, `event`, `id`,
    /// `retry`, unknown fields), in bytes without its line end.
    ///
    /// Default 1 MiB: those lines are short in every protocol (ids, event
    /// names, keep-alive comments); `data` lines are bounded by
    /// [`Limits::max_event_bytes`] instead. Values below 16 are treated as
    /// 16.
    pub fn max_line_bytes(mut self, bytes: usize) -> Limits {
        self.max_line_bytes = bytes.max(16);
        self
    }

    /// Most distinct choices (Gemini: candidates) in one stream. Default
    /// 1,024 (the OpenAI API caps `n` at 128).
    pub fn max_choices(mut self, n: usize) -> Limits {
        self.max_choices = n;
        self
    }

    /// Most tool calls in one choice. Default 1,024 (parallel tool calls
    /// seen in practice number in the tens).
    pub fn max_tool_calls(mut self, n: usize) -> Limits {
        self.max_tool_calls = n;
        self
    }

    /// Most content blocks, output items or parts in one choice. Default
    /// 65,536.
    pub fn max_blocks(mut self, n: usize) -> Limits {
        self.max_blocks = n;
        self
    }

    /// Deepest JSON nesting in one payload, counting the payload object
    /// itself. Default 128 (as serde_json). Values above 1,024 are treated
    /// as 1,024.
    pub fn max_depth(mut self, depth: usize) -> Limits {
        self.max_depth = depth.min(DEPTH_CAP);
        self
    }

    /// Largest accepted `index` of a choice, tool call or block. Default
    /// `u32::MAX`: they are stored sparsely, so a large index costs no more
    /// than a small one; lower it to refuse such streams outright.
    pub fn max_index(mut self, index: u32) -> Limits {
        self.max_index = index;
        self
    }

    /// The [`Limits::max_event_bytes`] in force.
    pub fn event_bytes(&self) -> usize {
        self.max_event_bytes.min(EVENT_BYTES_CAP)
    }

    /// The [`Limits::max_line_bytes`] in force.
    pub fn line_bytes(&self) -> usize {
        self.max_line_bytes.max(16)
    }

    /// The [`Limits::max_choices`] in force.
    pub fn choices(&self) -> usize {
        self.max_choices
    }

    /// The [`Limits::max_tool_calls`] in force.
    pub fn tool_calls(&self) -> usize {
        self.max_tool_calls
    }

    /// The [`Limits::max_blocks`] in force.
    pub fn blocks(&self) -> usize {
        self.max_blocks
    }

    /// The [`Limits::max_depth`] in force.
    pub fn depth(&self) -> usize {
        self.max_depth.min(DEPTH_CAP)
    }

    /// The [`Limits::max_index`] in force.
    pub fn index(&self) -> u32 {
        self.max_index
    }

    /// The configured value of one limit, as reported in errors.
    pub(crate) fn value_of(&self, limit: Limit) -> u64 {
        match limit {
            Limit::EventBytes => self.event_bytes() as u64,
            Limit::LineBytes => self.line_bytes() as u64,
            Limit::Choices => self.choices() as u64,
            Limit::ToolCalls => self.tool_calls() as u64,
            Limit::Blocks => self.blocks() as u64,
            Limit::Depth => self.depth() as u64,
            Limit::Index => self.index() as u64,
        }
    }
}

/// Which limit was exceeded; see [`Limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_event_bytes`].
    EventBytes,
    /// [`Limits::max_line_bytes`].
    LineBytes,
    /// [`Limits::max_choices`].
    Choices,
    /// [`Limits::max_tool_calls`].
    ToolCalls,
    /// [`Limits::max_blocks`].
    Blocks,
    /// [`Limits::max_depth`].
    Depth,
    /// [`Limits::max_index`].
    Index,
}

impl Limit {
    /// The limit's name, as its [`Limits`] method.
    pub fn name(self) -> &'static str {
        match self {
            Limit::EventBytes => "max_event_bytes",
            Limit::LineBytes => "max_line_bytes",
            Limit::Choices => "max_choices",
            Limit::ToolCalls => "max_tool_calls",
            Limit::Blocks => "max_blocks",
            Limit::Depth => "max_depth",
            Limit::Index => "max_index",
        }
    }
}
