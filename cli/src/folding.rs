//! The one place the command makes the library's fold for a format, and
//! reads what it needs from its events and final object.

pub use streamfold::Fold;
use streamfold::{Event, Limits};

use crate::formats::Format;

/// A fold for `format` (`None`: detected from the first payload).
pub fn new(format: Option<Format>, limits: Limits) -> Fold {
    let fold = Fold::new().with_limits(limits);
    match format {
        None => fold,
        Some(f) => fold.with_format(f),
    }
}

/// Whether an event carries text (a token): content, reasoning, refusal or
/// tool-call arguments.
pub fn is_text(event: &Event<'_>) -> bool {
    match event {
        Event::ContentDelta { delta, .. }
        | Event::ReasoningDelta { delta, .. }
        | Event::RefusalDelta { delta, .. } => !delta.is_empty(),
        Event::ToolCallArgumentsDelta {
            arguments_delta, ..
        } => !arguments_delta.is_empty(),
        _ => false,
    }
}

/// The final object of a stream, as JSON (the partial one when the stream
/// failed).
pub fn final_json(fold: Fold) -> Vec<u8> {
    let completion = match fold.finish() {
        Ok(c) => Some(c),
        Err(e) => e.into_partial(),
    };
    completion
        .and_then(|c| serde_json::to_vec(&c).ok())
        .unwrap_or_else(|| b"{}".to_vec())
}
