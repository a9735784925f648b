//! Legacy completions (`/v1/completions`): the memchr SSE splitter + serde_json
//! into borrowed structs of the format's types + a minimal fold (each choice's
//! text concatenated, its logprobs lists extended, its last finish reason; the
//! last usage).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;

use super::splitter::Splitter;

#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    choices: Vec<Choice<'a>>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice<'a> {
    #[serde(default)]
    index: u32,
    #[serde(borrow, default)]
    text: Cow<'a, str>,
    #[serde(borrow, default)]
    logprobs: Option<Logprobs<'a>>,
    #[serde(borrow, default)]
    finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Logprobs<'a> {
    #[serde(borrow, default)]
    tokens: Vec<Cow<'a, str>>,
    #[serde(default)]
    token_logprobs: Vec<Option<f64>>,
    #[serde(borrow, default)]
    top_logprobs: Vec<Option<BTreeMap<Cow<'a, str>, f64>>>,
    #[serde(default)]
    text_offset: Vec<u64>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    total_tokens: Option<u64>,
}

/// One choice, folded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FoldedChoice {
    pub text: String,
    pub tokens: Vec<String>,
    pub token_logprobs: Vec<Option<f64>>,
    pub top_logprobs: Vec<Option<BTreeMap<String, f64>>>,
    pub text_offset: Vec<u64>,
    pub finish_reason: Option<String>,
}

/// A folded stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Folded {
    pub id: Option<String>,
    pub model: Option<String>,
    /// By choice index.
    pub choices: Vec<FoldedChoice>,
    pub total_tokens: Option<u64>,
    /// Data events, `[DONE]` included.
    pub events: usize,
}

pub fn fold<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> Result<Folded, String> {
    let mut splitter = Splitter::new();
    let mut out = Folded::default();
    let mut on_data =
        |data: &[u8]| {
            out.events += 1;
            if data == b"[DONE]" {
                return Ok(());
            }
            let chunk: Chunk<'_> = serde_json::from_slice(data).map_err(|e| e.to_string())?;
            if out.id.is_none() {
                out.id = chunk.id.map(Cow::into_owned);
            }
            if out.model.is_none() {
                out.model = chunk.model.map(Cow::into_owned);
            }
            for c in chunk.choices {
                let i = c.index as usize;
                if out.choices.len() <= i {
                    out.choices.resize_with(i + 1, FoldedChoice::default);
                }
                let f = &mut out.choices[i];
                f.text.push_str(&c.text);
                if let Some(lp) = c.logprobs {
                    f.tokens.extend(lp.tokens.into_iter().map(Cow::into_owned));
                    f.token_logprobs.extend(lp.token_logprobs);
                    f.top_logprobs.extend(lp.top_logprobs.into_iter().map(|m| {
                        m.map(|m| m.into_iter().map(|(k, v)| (k.into_owned(), v)).collect())
                    }));
                    f.text_offset.extend(lp.text_offset);
                }
                if let Some(r) = c.finish_reason {
                    f.finish_reason = Some(r.into_owned());
                }
            }
            if let Some(u) = chunk.usage {
                out.total_tokens = u.total_tokens;
            }
            Ok::<(), String>(())
        };
    for chunk in chunks {
        splitter.feed(chunk, &mut on_data)?;
    }
    Ok(out)
}
