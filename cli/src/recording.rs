//! llama-stack recordings: a JSON document whose `response.body` lists the
//! chunks a streaming request returned, each as
//! `{"__type__": "…ChatCompletionChunk", "__data__": {chunk}}`.
//!
//! The recorder kept the parsed chunks, not the bytes: the stream is rebuilt
//! as one `data:` line per chunk (compact JSON, keys in recorded order), then
//! `data: [DONE]`, which the recorder consumed (its recordings are of
//! completed streams).

use serde_json::Value;

/// True when `bytes` looks like a JSON document rather than an SSE body
/// (whose lines start with a field name or a colon, never `{`).
pub fn looks_like_json(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{')
}

/// Rebuilds the SSE body of a recording.
pub fn to_sse(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not a valid recording: {e}"))?;
    let response = doc
        .get("response")
        .ok_or("not a llama-stack recording: no `response`")?;
    if response.get("is_streaming") == Some(&Value::Bool(false)) {
        return Err("the recording is of a non-streaming response".into());
    }
    let body = response
        .get("body")
        .and_then(Value::as_array)
        .ok_or("not a streaming recording: `response.body` is not a list of chunks")?;
    let mut out = Vec::new();
    for (i, item) in body.iter().enumerate() {
        let kind = item.get("__type__").and_then(Value::as_str).unwrap_or("");
        let data = item
            .get("__data__")
            .ok_or_else(|| format!("response.body[{i}] has no `__data__`"))?;
        if !kind.ends_with("ChatCompletionChunk") {
            return Err(format!(
                "response.body[{i}] is a {kind:?}, not a chat completion chunk"
            ));
        }
        out.extend_from_slice(b"data: ");
        serde_json::to_writer(&mut out, data).map_err(|e| e.to_string())?;
        out.extend_from_slice(b"\n\n");
    }
    out.extend_from_slice(b"data: [DONE]\n\n");
    Ok(out)
}
