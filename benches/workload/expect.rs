//! What a fold of one stream must give, and the independent reference fold
//! that says it for recorded streams.

use crate::peers::Folded;
use crate::synthetic;

/// What a fold of one stream must give (from the generator, or for recorded
/// streams from [`reference_fold`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    pub content: String,
    pub tool_arguments: Vec<String>,
    pub finish_reason: Option<String>,
    pub total_tokens: Option<u64>,
    pub events: usize,
}

impl Expect {
    pub fn of(s: &synthetic::Synthetic) -> Expect {
        Expect {
            content: s.content.clone(),
            tool_arguments: s.tool_arguments.clone(),
            finish_reason: s.finish_reason.clone(),
            total_tokens: s.total_tokens,
            events: s.events,
        }
    }

    /// What `folded` holds, in full, to compare with `==` before measuring.
    pub fn got(folded: Folded) -> Expect {
        Expect {
            content: folded.content,
            tool_arguments: folded.tool_arguments,
            finish_reason: folded.finish_reason,
            total_tokens: folded.total_tokens,
            events: folded.events,
        }
    }

    /// Panics unless `folded` matches (see `check_parts`), its event count
    /// included.
    pub fn check(&self, folded: &Folded) {
        self.check_parts(
            &folded.content,
            folded.tool_arguments.iter().map(String::as_str),
            folded.finish_reason.as_deref(),
            folded.total_tokens,
        );
        assert_eq!(folded.events, self.events, "SSE events");
    }

    /// Panics unless the text, tool arguments, finish reason and usage total
    /// match. Text is compared by length and its first and last 64 bytes:
    /// O(1), so the check does not weigh on the measurement (full comparisons
    /// are done once before measuring, with `==`).
    pub fn check_parts<'a>(
        &self,
        content: &str,
        tool_arguments: impl ExactSizeIterator<Item = &'a str>,
        finish_reason: Option<&str>,
        total_tokens: Option<u64>,
    ) {
        same_text(content, &self.content, "content");
        assert_eq!(
            tool_arguments.len(),
            self.tool_arguments.len(),
            "tool calls"
        );
        for (got, want) in tool_arguments.zip(&self.tool_arguments) {
            same_text(got, want, "tool arguments");
        }
        assert_eq!(
            finish_reason,
            self.finish_reason.as_deref(),
            "finish_reason"
        );
        assert_eq!(total_tokens, self.total_tokens, "usage.total_tokens");
    }
}

fn same_text(got: &str, want: &str, what: &str) {
    let (g, w) = (got.as_bytes(), want.as_bytes());
    assert_eq!(g.len(), w.len(), "{what} length");
    let edge = w.len().min(64);
    assert_eq!(&g[..edge], &w[..edge], "{what} start");
    assert_eq!(&g[g.len() - edge..], &w[w.len() - edge..], "{what} end");
}

/// The expected fold of a recorded stream, computed independently of the
/// peers and of streamfold: `data: ` lines parsed into `serde_json::Value`,
/// with the peers' rules (choice 0's content and tool arguments by index, a
/// fragment without index continuing the last call, last finish reason,
/// last usage).
pub fn reference_fold(bytes: &[u8]) -> Result<Expect, String> {
    use serde_json::Value;
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    let mut expect = Expect {
        content: String::new(),
        tool_arguments: Vec::new(),
        finish_reason: None,
        total_tokens: None,
        events: 0,
    };
    let mut current = 0;
    for line in text.lines() {
        let Some(data) = line.strip_prefix("data: ") else {
            continue;
        };
        expect.events += 1;
        if data == "[DONE]" {
            break;
        }
        let chunk: Value = serde_json::from_str(data).map_err(|e| e.to_string())?;
        for choice in chunk["choices"].as_array().into_iter().flatten() {
            if choice["index"].as_u64().unwrap_or(0) != 0 {
                continue;
            }
            let delta = &choice["delta"];
            if let Some(content) = delta["content"].as_str() {
                expect.content.push_str(content);
            }
            for call in delta["tool_calls"].as_array().into_iter().flatten() {
                let index = call["index"].as_u64().map_or(current, |i| i as usize);
                current = index;
                if expect.tool_arguments.len() <= index {
                    expect.tool_arguments.resize(index + 1, String::new());
                }
                if let Some(args) = call["function"]["arguments"].as_str() {
                    expect.tool_arguments[index].push_str(args);
                }
            }
            if let Some(reason) = choice["finish_reason"].as_str() {
                expect.finish_reason = Some(reason.to_owned());
            }
        }
        if let Some(total) = chunk["usage"]["total_tokens"].as_u64() {
            expect.total_tokens = Some(total);
        }
    }
    Ok(expect)
}
