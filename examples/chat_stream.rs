//! A small streaming chat client for any OpenAI-compatible endpoint: prints
//! the answer as it arrives, then the token usage.
//!
//! ```text
//! OPENAI_API_KEY=sk-… cargo run --example chat_stream -- "Which planet has rings?"
//! ```
//!
//! Environment, named as the OpenAI SDKs name it:
//!
//! - `OPENAI_API_KEY` (required): sent as `Authorization: Bearer …`;
//! - `OPENAI_BASE_URL` (default `https://api.openai.com/v1`): the request
//!   goes to `$OPENAI_BASE_URL/chat/completions`, so a local server works
//!   too (`http://localhost:11434/v1` for Ollama, `http://localhost:8000/v1`
//!   for vLLM);
//! - `OPENAI_MODEL` (default `gpt-4o-mini`).
//!
//! The prompt is the command line's arguments (a short question when there
//! are none). On failure it prints one line to stderr and exits with status
//! 1: an HTTP error status shows the provider's message
//! ([`streamfold::Error::from_http_response`]), a stream that breaks off
//! says where.
//!
//! HTTPS needs a TLS backend in reqwest: the crate's dev-dependencies enable
//! `rustls-tls` (with the `ring` provider and Mozilla's root certificates);
//! plain `http://` needs none.

use std::io::Write;
use std::process::ExitCode;

use futures::StreamExt;
use streamfold::openai_chat::Completion;
use streamfold::{Event, Fold, FoldStreamExt, Format};

/// Where requests go when `OPENAI_BASE_URL` is not set.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// The model asked for when `OPENAI_MODEL` is not set.
pub const DEFAULT_MODEL: &str = "gpt-4o-mini";
/// The prompt when the command line gives none.
pub const DEFAULT_PROMPT: &str = "In one sentence: why is the sky blue?";

/// Any failure: HTTP, the stream, or writing the output.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Sends `prompt` to `{base_url}/chat/completions` as a streaming request,
/// writes the text of the first choice to `out` as each delta arrives, then
/// one line with the usage, and returns the reassembled completion.
///
/// # Errors
///
/// A transport error (reqwest's); a [`streamfold::Error`] for a non-2xx
/// response ([`ErrorKind::Provider`](streamfold::ErrorKind::Provider) with
/// the status) or a stream that failed or ended early; an I/O error of
/// `out`.
pub async fn run(
    base_url: &str,
    api_key: &str,
    model: &str,
    prompt: &str,
    out: &mut impl Write,
) -> Result<Completion, BoxError> {
    let url = format!("{}/chat/completions", base_url.trim_end_matches('/'));
    let request = serde_json::json!({
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    let response = reqwest::Client::new()
        .post(url)
        .bearer_auth(api_key)
        .header(reqwest::header::ACCEPT, "text/event-stream")
        .json(&request)
        .send()
        .await?;

    // An error response is JSON, not an event stream: report what it says.
    let status = response.status();
    if !status.is_success() {
        let body = response.bytes().await?;
        return Err(streamfold::Error::from_http_response(status.as_u16(), &body).into());
    }

    let mut events = response
        .bytes_stream()
        .fold_stream_with(Fold::new().with_format(Format::OpenAiChat));
    let mut ends_with_newline = true;
    while let Some(event) = events.next().await {
        if let Event::ContentDelta {
            choice: 0, delta, ..
        } = event?
        {
            out.write_all(delta.as_bytes())?;
            out.flush()?;
            ends_with_newline = delta.ends_with('\n');
        }
    }
    let completion = events
        .finish()?
        .into_chat()
        .expect("the format was forced to OpenAI chat");

    if !ends_with_newline {
        writeln!(out)?;
    }
    match &completion.usage {
        Some(usage) => {
            let n = |v: Option<u64>| v.map_or("?".to_string(), |n| n.to_string());
            writeln!(
                out,
                "usage: prompt_tokens={} completion_tokens={} total_tokens={}",
                n(usage.prompt_tokens),
                n(usage.completion_tokens),
                n(usage.total_tokens),
            )?;
        }
        None => writeln!(out, "usage: not reported")?,
    }
    out.flush()?;
    Ok(completion)
}

/// One line for an error: its message, then each cause not already in it
/// (reqwest keeps the useful part, such as "connection refused" or
/// "unexpected EOF during chunk size line", in the causes).
pub fn error_line(e: &(dyn std::error::Error + 'static)) -> String {
    let mut line = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let Some(api_key) = var("OPENAI_API_KEY") else {
        eprintln!("error: OPENAI_API_KEY is not set (the endpoint's API key)");
        return ExitCode::FAILURE;
    };
    let base_url = var("OPENAI_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
    let model = var("OPENAI_MODEL").unwrap_or_else(|| DEFAULT_MODEL.to_string());
    let args: Vec<String> = std::env::args().skip(1).collect();
    let prompt = if args.is_empty() {
        DEFAULT_PROMPT.to_string()
    } else {
        args.join(" ")
    };

    match run(&base_url, &api_key, &model, &prompt, &mut std::io::stdout()).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_line(&*e));
            ExitCode::FAILURE
        }
    }
}
