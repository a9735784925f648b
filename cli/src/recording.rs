//! llama-stack recordings: a JSON document whose `response.body` lists the
//! chunks a streaming request returned, each as
//! `{"__type__": "…ChatCompletionChunk", "__data__": {chunk}}`.
//!
//! The recorder kept the parsed chunks, not the bytes: the stream is rebuilt
//! as one `data:` line per chunk (the chunk's recorded text with the
//! whitespace between tokens removed: keys in recorded order, numbers and
//! strings exactly as written), then `data: [DONE]`, which the recorder
//! consumed (its recordings are of completed streams).
//!
//! Only one JSON document with a `response` object is a recording: an
//! Ollama NDJSON stream and an HTTP error body (`{"error":…}`) start with
//! `{` too, and are streams.

use std::collections::BTreeMap;
use std::io::Read;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;

/// True when `bytes` starts like a JSON document rather than an SSE body
/// (whose lines start with a field name or a colon, never `{`).
pub fn looks_like_json(bytes: &[u8]) -> bool {
    strip_bom(bytes)
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{')
}

/// True when `bytes` is a recording: one JSON object, nothing after it but
/// whitespace, with a `response` object.
pub fn is_recording(bytes: &[u8]) -> bool {
    looks_like_json(bytes)
        && serde_json::from_slice::<Probe>(strip_bom(bytes)).is_ok_and(|p| p.response.is_some())
}

/// Whether the first JSON value `reader` yields could begin a recording (an
/// object with a `response` object). Reads exactly that value (or up to
/// where it stops being valid JSON), never past it.
pub fn first_value_has_response(reader: impl Read) -> bool {
    let mut values = serde_json::Deserializer::from_reader(reader).into_iter::<Probe>();
    matches!(values.next(), Some(Ok(Probe { response: Some(_) })))
}

/// Enough of a document to tell a recording: its `response` member, when
/// that is an object (its keys kept, its values skipped). A `response` of
/// another type (Ollama's `/api/generate` lines have a string) is an error,
/// so not a recording.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    response: Option<BTreeMap<String, IgnoredAny>>,
}

#[derive(Deserialize)]
struct Recording<'a> {
    #[serde(borrow)]
    response: Option<Response<'a>>,
}

#[derive(Deserialize)]
struct Response<'a> {
    #[serde(borrow, default)]
    is_streaming: Option<&'a RawValue>,
    #[serde(borrow, default)]
    body: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(rename = "__type__", default)]
    kind: Option<String>,
    #[serde(rename = "__data__", borrow, default)]
    data: Option<&'a RawValue>,
}

/// Rebuilds the SSE body of a recording.
pub fn to_sse(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let doc: Recording<'_> = serde_json::from_slice(strip_bom(bytes))
        .map_err(|e| format!("not a valid recording: {e}"))?;
    let response = doc
        .response
        .ok_or("not a llama-stack recording: no `response`")?;
    if response.is_streaming.is_some_and(|s| s.get() == "false") {
        return Err("the recording is of a non-streaming response".into());
    }
    let not_chunks = "not a streaming recording: `response.body` is not a list of chunks";
    let body: Vec<Chunk<'_>> = serde_json::from_str(response.body.ok_or(not_chunks)?.get())
        .map_err(|e| format!("{not_chunks} ({e})"))?;
    let mut out = Vec::new();
    for (i, item) in body.iter().enumerate() {
        let kind = item.kind.as_deref().unwrap_or("");
        let data = item
            .data
            .ok_or_else(|| format!("response.body[{i}] has no `__data__`"))?;
        if !kind.ends_with("ChatCompletionChunk") {
            return Err(format!(
                "response.body[{i}] is a {kind:?}, not a chat completion chunk"
            ));
        }
        out.extend_from_slice(b"data: ");
        compact(data.get().as_bytes(), &mut out);
        out.extend_from_slice(b"\n\n");
    }
    out.extend_from_slice(b"data: [DONE]\n\n");
    Ok(out)
}

/// Appends valid JSON `text` without the whitespace between its tokens (so
/// that it fits on one `data:` line), every token kept byte for byte.
fn compact(text: &[u8], out: &mut Vec<u8>) {
    let (mut in_string, mut escaped) = (false, false);
    for &b in text {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            continue;
        } else if b == b'"' {
            in_string = true;
        }
        out.push(b);
    }
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_removes_whitespace_between_tokens_only() {
        let mut out = Vec::new();
        compact(b"{ \"a b\" : [ 1.0e9 ,\n\t\"\\\" x\" ] }", &mut out);
        assert_eq!(out, b"{\"a b\":[1.0e9,\"\\\" x\"]}");
    }

    #[test]
    fn only_one_document_with_a_response_object_is_a_recording() {
        assert!(is_recording(br#" {"request":{},"response":{"body":[]}} "#));
        assert!(!is_recording(
            br#"{"error":{"message":"Rate limit reached"}}"#
        ));
        assert!(!is_recording(br#"{"response":"Hi","done":true}"#));
        assert!(!is_recording(
            b"{\"response\":{\"body\":[]}}\n{\"response\":{\"body\":[]}}\n"
        ));
        assert!(!is_recording(b"data: {\"response\":{}}\n\n"));
    }
}
