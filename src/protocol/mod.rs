//! Wire formats: one module per format decodes each SSE event's data into
//! normalized deltas for the fold. The JSON field names of a format live in
//! its module and nowhere else.

pub(crate) mod openai_chat;
