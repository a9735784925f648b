//! Ollama (`/api/chat`, `/api/generate`): memchr over line ends (NDJSON, with a
//! carry-over buffer for a line split across reads) + serde_json into borrowed
//! structs of the format's types + a minimal fold (text and thinking
//! concatenated, tool calls collected, the last line's `done_reason` and
//! counts).

use std::borrow::Cow;

use serde::Deserialize;

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    message: Option<Message<'a>>,
    #[serde(borrow, default)]
    response: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    thinking: Option<Cow<'a, str>>,
    #[serde(default)]
    done: bool,
    #[serde(borrow, default)]
    done_reason: Option<Cow<'a, str>>,
    #[serde(default)]
    prompt_eval_count: Option<u64>,
    #[serde(default)]
    eval_count: Option<u64>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow, default)]
    content: Cow<'a, str>,
    #[serde(borrow, default)]
    thinking: Option<Cow<'a, str>>,
    #[serde(default)]
    tool_calls: Vec<ToolCall>,
}

#[derive(Deserialize)]
struct ToolCall {
    function: Function,
}

#[derive(Deserialize)]
struct Function {
    name: String,
    arguments: serde_json::Value,
}

/// A folded stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Folded {
    pub model: Option<String>,
    pub text: String,
    pub thinking: String,
    /// (name, arguments as JSON text).
    pub tool_calls: Vec<(String, String)>,
    pub done: bool,
    pub done_reason: Option<String>,
    pub prompt_eval_count: Option<u64>,
    pub eval_count: Option<u64>,
    /// Lines, the `done` one included.
    pub lines: usize,
}

impl Folded {
    fn line(&mut self, bytes: &[u8]) -> Result<(), String> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        self.lines += 1;
        let line: Line<'_> = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if let Some(e) = line.error {
            return Err(format!("provider error: {e}"));
        }
        if self.model.is_none() {
            self.model = line.model.map(Cow::into_owned);
        }
        if let Some(m) = line.message {
            self.text.push_str(&m.content);
            if let Some(t) = m.thinking {
                self.thinking.push_str(&t);
            }
            for call in m.tool_calls {
                self.tool_calls
                    .push((call.function.name, call.function.arguments.to_string()));
            }
        }
        if let Some(r) = line.response {
            self.text.push_str(&r);
        }
        if let Some(t) = line.thinking {
            self.thinking.push_str(&t);
        }
        self.done = line.done;
        if let Some(r) = line.done_reason {
            self.done_reason = Some(r.into_owned());
        }
        if line.prompt_eval_count.is_some() {
            self.prompt_eval_count = line.prompt_eval_count;
        }
        if line.eval_count.is_some() {
            self.eval_count = line.eval_count;
        }
        Ok(())
    }
}

pub fn fold<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> Result<Folded, String> {
    let mut out = Folded::default();
    let mut carry: Vec<u8> = Vec::new();
    for chunk in chunks {
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', chunk) {
            if carry.is_empty() {
                out.line(&chunk[start..nl])?;
            } else {
                carry.extend_from_slice(&chunk[start..nl]);
                let line = std::mem::take(&mut carry);
                out.line(&line)?;
                carry = line;
                carry.clear();
            }
            start = nl + 1;
        }
        carry.extend_from_slice(&chunk[start..]);
    }
    if !carry.is_empty() {
        out.line(&carry)?;
    }
    Ok(out)
}
