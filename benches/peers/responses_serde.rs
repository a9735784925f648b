//! The Responses pipeline a Rust user writes today: the memchr SSE splitter
//! ([`super::splitter`]), serde_json into a tagged enum of the Responses
//! event types (the shape of async-openai's `ResponseStreamEvent`:
//! `#[serde(tag = "type")]`, strings borrowed where they have no escapes,
//! unknown event types caught by `#[serde(other)]`), and a minimal
//! accumulation: the output text (deltas appended, replaced by a part's
//! `output_text.done`), each function call's arguments (the same with
//! `function_call_arguments.done`), and the terminal response's `status` and
//! `usage.total_tokens`. It builds no final object and emits no events.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;

use super::splitter::Splitter;

/// What the peer reassembles from a Responses stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponsesFolded {
    /// The output text of every message, in output order.
    pub text: String,
    /// The arguments of each function call, in output order.
    pub arguments: Vec<String>,
    /// The terminal response's `status`.
    pub status: Option<String>,
    /// Its `usage.total_tokens`.
    pub total_tokens: Option<u64>,
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum StreamEvent<'a> {
    #[serde(rename = "response.output_text.delta")]
    OutputTextDelta {
        output_index: u32,
        content_index: u32,
        #[serde(borrow)]
        delta: Cow<'a, str>,
    },
    #[serde(rename = "response.output_text.done")]
    OutputTextDone {
        output_index: u32,
        content_index: u32,
        #[serde(borrow)]
        text: Cow<'a, str>,
    },
    #[serde(rename = "response.output_item.added")]
    OutputItemAdded { output_index: u32, item: ItemHead },
    #[serde(rename = "response.function_call_arguments.delta")]
    FunctionCallArgumentsDelta {
        output_index: u32,
        #[serde(borrow)]
        delta: Cow<'a, str>,
    },
    #[serde(rename = "response.function_call_arguments.done")]
    FunctionCallArgumentsDone {
        output_index: u32,
        #[serde(borrow)]
        arguments: Cow<'a, str>,
    },
    #[serde(rename = "response.completed")]
    Completed { response: Terminal },
    #[serde(rename = "response.incomplete")]
    Incomplete { response: Terminal },
    #[serde(rename = "response.failed")]
    Failed { response: Terminal },
    #[serde(rename = "error")]
    Error { message: Option<String> },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct ItemHead {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct Terminal {
    status: Option<String>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Usage {
    total_tokens: Option<u64>,
}

#[derive(Default)]
struct State {
    /// (output index, content index) → text.
    text: BTreeMap<(u32, u32), String>,
    /// output index → arguments of a function call.
    arguments: BTreeMap<u32, String>,
    status: Option<String>,
    total_tokens: Option<u64>,
    done: bool,
}

impl State {
    fn event(&mut self, event: StreamEvent<'_>) -> Result<(), String> {
        match event {
            StreamEvent::OutputTextDelta {
                output_index,
                content_index,
                delta,
            } => self
                .text
                .entry((output_index, content_index))
                .or_default()
                .push_str(&delta),
            StreamEvent::OutputTextDone {
                output_index,
                content_index,
                text,
            } => {
                let t = self.text.entry((output_index, content_index)).or_default();
                t.clear();
                t.push_str(&text);
            }
            StreamEvent::OutputItemAdded { output_index, item } => {
                if item.kind == "function_call" {
                    self.arguments.entry(output_index).or_default();
                }
            }
            StreamEvent::FunctionCallArgumentsDelta {
                output_index,
                delta,
            } => self
                .arguments
                .entry(output_index)
                .or_default()
                .push_str(&delta),
            StreamEvent::FunctionCallArgumentsDone {
                output_index,
                arguments,
            } => {
                let a = self.arguments.entry(output_index).or_default();
                a.clear();
                a.push_str(&arguments);
            }
            StreamEvent::Completed { response }
            | StreamEvent::Incomplete { response }
            | StreamEvent::Failed { response } => {
                self.status = response.status;
                self.total_tokens = response.usage.and_then(|u| u.total_tokens);
                self.done = true;
            }
            StreamEvent::Error { message } => return Err(message.unwrap_or_default()),
            StreamEvent::Other => {}
        }
        Ok(())
    }
}

pub fn fold<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> Result<ResponsesFolded, String> {
    let mut splitter = Splitter::new();
    let mut state = State::default();
    let mut on_data = |data: &[u8]| {
        if state.done || data == b"[DONE]" {
            return Ok(());
        }
        let event: StreamEvent<'_> = serde_json::from_slice(data).map_err(|e| e.to_string())?;
        state.event(event)
    };
    for chunk in chunks {
        splitter.feed(chunk, &mut on_data)?;
    }
    Ok(ResponsesFolded {
        text: state.text.into_values().collect(),
        arguments: state.arguments.into_values().collect(),
        status: state.status,
        total_tokens: state.total_tokens,
    })
}
