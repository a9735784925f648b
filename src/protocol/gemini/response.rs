//! The final object of a Gemini stream: one `GenerateContentResponse`, as
//! the non-streaming `generateContent` returns it, and how the fold's state
//! becomes one.

use serde::{Deserialize, Serialize};

use super::args;
use super::fields as f;
use crate::delta::BlockKind;
use crate::fold::choice::{BlockState, ChoiceState, ToolState};
use crate::fold::Parts;
use crate::json::map::Map;
use crate::json::scanner::Scanner;
use crate::json::value::{parse_value, Value};
use crate::limits::DEPTH_CAP;

/// The reassembled `GenerateContentResponse`: every field of the stream's
/// fragments, merged (`corpus/README.md`'s "gemini-sse" merge), in the order
/// they first arrived (`candidates` first, then `usageMetadata`, then the
/// other top-level fields; in a candidate `content` first, its `parts` before
/// its `role`).
///
/// Candidates are listed by `index`; each part of a candidate's content is a
/// merged part: adjacent plain text parts with the same `thought` flag are
/// joined (unless both carry a `thoughtSignature`; the signature stays on
/// the joined part), a streamed function call is one `functionCall` whose
/// `args` are the assembled arguments, other parts are kept as they came.
/// Fields are camelCase, as on the wire. Serialises (with serde) to that
/// JSON object and reads back from it.
///
/// # Examples
///
/// ```
/// use streamfold::{gemini::Response, Fold};
///
/// let mut fold = Fold::new();
/// fold.push(b"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hel\"}], \"role\": \"model\"}}], \"responseId\": \"r1\"}\r\n\r\n\
/// data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"lo\"}], \"role\": \"model\"}, \"finishReason\": \"STOP\"}], \
/// \"usageMetadata\": {\"promptTokenCount\": 3, \"candidatesTokenCount\": 2}, \"responseId\": \"r1\"}\r\n\r\n").count();
/// let response: Response = fold.finish()?.into_gemini().unwrap();
/// assert_eq!(response.text(), "Hello");
/// assert_eq!(response.response_id(), Some("r1"));
/// let first = response.candidates().next().unwrap();
/// assert_eq!(first.finish_reason(), Some("STOP"));
/// assert_eq!(first.parts().count(), 1);
/// let json = serde_json::to_string(&response).unwrap();
/// assert_eq!(serde_json::from_str::<Response>(&json).unwrap(), response);
/// # Ok::<(), streamfold::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Response(Map);

impl Response {
    /// The first `responseId`.
    pub fn response_id(&self) -> Option<&str> {
        self.0.get(f::RESPONSE_ID).and_then(Value::as_str)
    }

    /// The first `modelVersion`.
    pub fn model_version(&self) -> Option<&str> {
        self.0.get(f::MODEL_VERSION).and_then(Value::as_str)
    }

    /// The first `createTime` (Vertex).
    pub fn create_time(&self) -> Option<&str> {
        self.0.get(f::CREATE_TIME).and_then(Value::as_str)
    }

    /// The candidates, in `index` order.
    pub fn candidates(&self) -> impl Iterator<Item = Candidate<'_>> {
        list(self.0.get(f::CANDIDATES)).map(Candidate)
    }

    /// The candidate with this `index` (absent means 0).
    pub fn candidate(&self, index: u32) -> Option<Candidate<'_>> {
        self.candidates().find(|c| c.index() == index)
    }

    /// The last `usageMetadata`.
    pub fn usage_metadata(&self) -> Option<&Map> {
        self.0.get(f::USAGE_METADATA).and_then(Value::as_object)
    }

    /// The text of the first candidate, thought parts left out (`""` when
    /// none): what the SDK's `response.text` gives.
    pub fn text(&self) -> String {
        self.candidates()
            .next()
            .map(|c| c.text())
            .unwrap_or_default()
    }

    /// A top-level field.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// The whole object.
    pub fn as_map(&self) -> &Map {
        &self.0
    }

    /// The whole object, owned.
    pub fn into_map(self) -> Map {
        self.0
    }
}

impl From<Map> for Response {
    fn from(m: Map) -> Response {
        Response(m)
    }
}

impl From<Response> for Map {
    fn from(r: Response) -> Map {
        r.0
    }
}

/// The objects of a list field (anything else yields nothing).
fn list(v: Option<&Value>) -> impl Iterator<Item = &Map> {
    v.and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_object)
}

/// One candidate of a [`Response`] (a view of its object).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate<'a>(&'a Map);

impl<'a> Candidate<'a> {
    /// Its `index` (absent means 0).
    pub fn index(&self) -> u32 {
        self.0
            .get(f::INDEX)
            .and_then(Value::as_u64)
            .and_then(|i| u32::try_from(i).ok())
            .unwrap_or(0)
    }

    /// Its `content` (`parts`, `role`).
    pub fn content(&self) -> Option<&'a Map> {
        self.0.get(f::CONTENT).and_then(Value::as_object)
    }

    /// The content's `role`.
    pub fn role(&self) -> Option<&'a str> {
        self.content()?.get(f::ROLE).and_then(Value::as_str)
    }

    /// The content's merged parts, in order.
    pub fn parts(&self) -> impl Iterator<Item = Part<'a>> {
        list(self.content().and_then(|c| c.get(f::PARTS))).map(Part)
    }

    /// Its last `finishReason`.
    pub fn finish_reason(&self) -> Option<&'a str> {
        self.0.get(f::FINISH_REASON).and_then(Value::as_str)
    }

    /// Its text parts joined, thought parts left out.
    pub fn text(&self) -> String {
        self.parts()
            .filter(|p| !p.is_thought())
            .filter_map(|p| p.text())
            .collect()
    }

    /// Its thought parts' text joined.
    pub fn thoughts(&self) -> String {
        self.parts()
            .filter(|p| p.is_thought())
            .filter_map(|p| p.text())
            .collect()
    }

    /// Its function calls, in order.
    pub fn function_calls(&self) -> impl Iterator<Item = FunctionCall<'a>> {
        self.parts().filter_map(|p| p.function_call())
    }

    /// A field of the candidate (`groundingMetadata`, `safetyRatings`, …).
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key)
    }

    /// The whole object.
    pub fn as_map(&self) -> &'a Map {
        self.0
    }
}

/// One merged part of a candidate's content (a view of its object).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Part<'a>(&'a Map);

impl<'a> Part<'a> {
    /// Its `text`, for a text part.
    pub fn text(&self) -> Option<&'a str> {
        self.0.get(f::TEXT).and_then(Value::as_str)
    }

    /// True for a thought (`"thought": true`).
    pub fn is_thought(&self) -> bool {
        self.0.get(f::THOUGHT).and_then(Value::as_bool) == Some(true)
    }

    /// Its `thoughtSignature`.
    pub fn thought_signature(&self) -> Option<&'a str> {
        self.0.get(f::THOUGHT_SIGNATURE).and_then(Value::as_str)
    }

    /// Its `functionCall`, for a call part.
    pub fn function_call(&self) -> Option<FunctionCall<'a>> {
        self.0
            .get(f::FUNCTION_CALL)
            .and_then(Value::as_object)
            .map(FunctionCall)
    }

    /// A field of the part (`executableCode`, `inlineData`, …).
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key)
    }

    /// The whole object.
    pub fn as_map(&self) -> &'a Map {
        self.0
    }
}

/// A function call of a part (a view of its object).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FunctionCall<'a>(&'a Map);

impl<'a> FunctionCall<'a> {
    /// The function's `name`.
    pub fn name(&self) -> Option<&'a str> {
        self.0.get(f::NAME).and_then(Value::as_str)
    }

    /// The call's `id`, when the model gave one.
    pub fn id(&self) -> Option<&'a str> {
        self.0.get(f::ID).and_then(Value::as_str)
    }

    /// Its `args` (absent for a call without arguments).
    pub fn args(&self) -> Option<&'a Value> {
        self.0.get(f::ARGS)
    }

    /// The whole object.
    pub fn as_map(&self) -> &'a Map {
        self.0
    }
}

/// Builds the response from the fold's state.
pub(crate) fn build(parts: Parts) -> Response {
    let Parts {
        meta,
        usage,
        choices,
        ..
    } = parts;
    let mut m = Map::new();
    if !choices.is_empty() {
        let candidates = choices.into_iter().map(candidate).collect();
        m.insert(f::CANDIDATES, Value::Array(candidates));
    }
    if let Some(u) = usage {
        m.insert(f::USAGE_METADATA, u.value());
    }
    m.extend(meta.into_map());
    Response(m)
}

fn candidate(c: ChoiceState) -> Value {
    let ChoiceState {
        fields,
        message,
        blocks,
        tools,
        ..
    } = c;
    let mut content = Map::new();
    if !blocks.is_empty() {
        let mut tools: Vec<Option<ToolState>> = tools.into_iter().map(Some).collect();
        let parts = blocks.into_iter().map(|b| part(b, &mut tools)).collect();
        content.insert(f::PARTS, Value::Array(parts));
    }
    content.extend(message.into_map());
    let mut out = Map::new();
    if !content.is_empty() {
        out.insert(f::CONTENT, Value::Object(content));
    }
    out.extend(fields.into_map());
    Value::Object(out)
}

fn part(b: BlockState, tools: &mut [Option<ToolState>]) -> Value {
    match b.kind {
        BlockKind::Content | BlockKind::Reasoning => {
            let mut m = Map::new();
            m.insert(f::TEXT, Value::String(b.text));
            m.extend(b.fields.into_map());
            Value::Object(m)
        }
        BlockKind::Tool => {
            let mut m = b.fields.into_map();
            let tool = b.tool.and_then(|t| tools.get_mut(t)?.take());
            if let (Some(t), Value::Object(call)) = (
                tool,
                m.get_or_insert_with(f::FUNCTION_CALL, || Value::Object(Map::new())),
            ) {
                function_call(call, t);
            }
            Value::Object(m)
        }
        BlockKind::Refusal | BlockKind::Other => Value::Object(b.fields.into_map()),
    }
}

/// Completes a call's `functionCall` object (as its first part started it)
/// from its tool call: the streaming marks dropped, a late name or id, the
/// continuation's members and refused pieces, and the `args` assembled from
/// the streamed pieces.
fn function_call(call: &mut Map, t: ToolState) {
    if call.get(f::WILL_CONTINUE) == Some(&Value::Bool(true)) {
        call.remove(f::WILL_CONTINUE);
    }
    call.remove(f::PARTIAL_ARGS);
    if !call.contains_key(f::NAME) && !t.name.is_empty() {
        call.insert(f::NAME, Value::String(t.name));
    }
    if !call.contains_key(f::ID) && !t.id.is_empty() {
        call.insert(f::ID, Value::String(t.id));
    }
    call.extend(t.function_fields.into_map());
    if !call.contains_key(f::ARGS) && !t.arguments.is_empty() {
        call.insert(f::ARGS, args_value(&t.arguments));
    }
}

/// The value of arguments text (completed first when the stream was cut
/// inside it; kept as a string should it still not parse).
fn args_value(text: &str) -> Value {
    let parse = |t: &str| {
        let mut sc = Scanner::new(t, DEPTH_CAP);
        parse_value(&mut sc)
            .and_then(|v| sc.finish().map(|()| v))
            .ok()
    };
    parse(text)
        .or_else(|| parse(&args::close(text)))
        .unwrap_or_else(|| Value::String(text.to_string()))
}
