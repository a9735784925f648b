//! What Rust LLM clients do today: eventsource-stream over a stream of
//! `Bytes`, each event's data parsed by serde_json into async-openai's owned
//! `CreateChatCompletionStreamResponse`, stopping at `[DONE]`, and a
//! straightforward fold (content by `push_str`, tool calls keyed by index).
//!
//! [`fold`] copies each network piece into a fresh `Bytes`, as an HTTP
//! client hands them over; [`fold_bytes`] takes the `Bytes` as they are.
//! The stream is driven with `futures::executor::block_on`.

use std::convert::Infallible;

use async_openai::types::chat::{CreateChatCompletionStreamResponse, FinishReason};
use bytes::Bytes;
use eventsource_stream::Eventsource;
use futures::StreamExt;

use super::Folded;

pub fn fold<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> Result<Folded, String> {
    fold_bytes(chunks.map(Bytes::copy_from_slice))
}

pub fn fold_bytes(reads: impl Iterator<Item = Bytes>) -> Result<Folded, String> {
    let body = futures::stream::iter(reads.map(Ok::<_, Infallible>));
    futures::executor::block_on(async {
        let mut events = body.eventsource();
        let mut folded = Folded::default();
        while let Some(event) = events.next().await {
            let event = event.map_err(|e| format!("event {}: {e}", folded.events))?;
            folded.events += 1;
            if event.data == "[DONE]" {
                break;
            }
            let chunk: CreateChatCompletionStreamResponse = serde_json::from_str(&event.data)
                .map_err(|e| format!("event {}: {e}", folded.events - 1))?;
            apply(&mut folded, chunk);
        }
        Ok(folded)
    })
}

fn apply(folded: &mut Folded, chunk: CreateChatCompletionStreamResponse) {
    for choice in chunk.choices {
        if choice.index != 0 {
            continue;
        }
        if let Some(content) = choice.delta.content {
            folded.content.push_str(&content);
        }
        for call in choice.delta.tool_calls.into_iter().flatten() {
            let index = call.index as usize;
            if folded.tool_arguments.len() <= index {
                folded.tool_arguments.resize_with(index + 1, String::new);
            }
            if let Some(arguments) = call.function.and_then(|f| f.arguments) {
                folded.tool_arguments[index].push_str(&arguments);
            }
        }
        if let Some(reason) = choice.finish_reason {
            folded.finish_reason = Some(finish_reason(reason).to_owned());
        }
    }
    if let Some(usage) = chunk.usage {
        folded.total_tokens = Some(u64::from(usage.total_tokens));
    }
}

fn finish_reason(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter => "content_filter",
        FinishReason::FunctionCall => "function_call",
    }
}
