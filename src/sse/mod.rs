//! The `text/event-stream` layer: the WHATWG HTML "parse an event stream"
//! algorithm (§9.2.5–9.2.6) as a push state machine.
//!
//! Public so that other protocols (and the `streamfold sse` command) can use
//! it on its own.

mod parser;

pub use parser::{End, Event, Item, Parser};
