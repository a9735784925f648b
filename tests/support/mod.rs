//! Test helpers: where the data is, and feeding input in every chunking.
#![allow(dead_code)]

pub mod json;

use std::path::{Path, PathBuf};

use streamfold::openai_chat::Completion;
use streamfold::{Error, Event, Final, Fold, Limits};

/// The folder named by `STREAMFOLD_SHARED` (the shared corpus and vectors),
/// when the extra pass is on. Fails loudly when it is named but missing.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("STREAMFOLD_SHARED")?;
    let dir = PathBuf::from(dir);
    assert!(
        dir.join("corpus").is_dir() && dir.join("sse-vectors").is_dir(),
        "STREAMFOLD_SHARED names {}, which does not hold corpus/ and sse-vectors/",
        dir.display()
    );
    Some(dir)
}

/// The project's own test data.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Where corpus/ and sse-vectors/ are read from: the shared folder in the
/// extra pass, the project's selection otherwise.
pub fn data_root() -> PathBuf {
    shared_dir().unwrap_or_else(data_dir)
}

/// The `.sse` files of a folder, sorted by name.
pub fn sse_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sse"))
        .collect();
    out.sort();
    out
}

/// A small deterministic PRNG (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
}

/// Chunk lengths that cut `len` bytes into random pieces of 1..=max bytes.
pub fn random_cuts(len: usize, max: usize, rng: &mut Rng) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut left = len;
    while left > 0 {
        let n = rng.range(1, max.min(left));
        cuts.push(n);
        left -= n;
    }
    cuts
}

/// The chunkings every input is fed in: whole, one byte at a time, and
/// several random ones (named for failure messages).
pub fn chunkings(len: usize, seed: u64) -> Vec<(String, Vec<usize>)> {
    let mut out = vec![
        ("whole".to_string(), vec![len]),
        ("1-byte".to_string(), vec![1; len]),
    ];
    let mut rng = Rng::new(seed);
    for (i, max) in [2, 7, 64, 4096].into_iter().enumerate() {
        out.push((
            format!("random-{i}-max{max}"),
            random_cuts(len, max, &mut rng),
        ));
    }
    out
}

/// Two-piece splits at every offset (or, above `limit` bytes, at a stride
/// plus the first and last few hundred offsets).
pub fn two_way_splits(len: usize, limit: usize) -> Vec<usize> {
    if len <= limit {
        return (0..=len).collect();
    }
    let mut offsets: Vec<usize> = (0..300.min(len)).collect();
    offsets.extend(len.saturating_sub(300)..=len);
    let stride = (len / 400).max(1);
    offsets.extend((0..len).step_by(stride));
    offsets.sort_unstable();
    offsets.dedup();
    offsets
}

/// Cuts `bytes` into pieces of the given lengths.
pub fn pieces<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::with_capacity(cuts.len());
    let mut at = 0;
    for &n in cuts {
        out.push(&bytes[at..at + n]);
        at += n;
    }
    assert_eq!(at, bytes.len());
    out
}

/// Everything a stream produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub events: Vec<Event<'static>>,
    /// The stream error, as (kind, offset, event index), if any.
    pub error: Option<(String, u64, u64)>,
    /// The final object (chat streams: also in `completion`).
    pub done: Final,
    /// The chat completion (empty for other formats).
    pub completion: Completion,
}

impl PartialEq for Outcome {
    fn eq(&self, other: &Self) -> bool {
        self.events == other.events && self.error == other.error && self.done == other.done
    }
}

fn error_key(e: &Error) -> (String, u64, u64) {
    (format!("{:?}", e.kind()), e.offset(), e.event_index())
}

/// Folds `bytes` fed in the given chunk lengths.
pub fn fold_with(bytes: &[u8], cuts: &[usize], limits: Limits) -> Outcome {
    fold_using(bytes, cuts, Fold::new().with_limits(limits))
}

/// Folds `bytes` fed in the given chunk lengths with a configured fold.
pub fn fold_using(bytes: &[u8], cuts: &[usize], mut fold: Fold) -> Outcome {
    let mut events = Vec::new();
    let mut error = None;
    for piece in pieces(bytes, cuts) {
        for item in fold.push(piece) {
            match item {
                Ok(ev) => events.push(ev.into_owned()),
                Err(e) => error = Some(error_key(&e)),
            }
        }
    }
    for item in fold.end() {
        match item {
            Ok(ev) => events.push(ev.into_owned()),
            Err(e) => error = Some(error_key(&e)),
        }
    }
    let done = match fold.finish() {
        Ok(c) => c,
        Err(e) => {
            assert_eq!(
                Some(error_key(&e)),
                error,
                "finish() reports the stream's error"
            );
            e.into_partial()
                .expect("every error keeps the partial completion")
        }
    };
    Outcome {
        events,
        error,
        completion: done.as_chat().cloned().unwrap_or_default(),
        done,
    }
}

/// A fold forced to OpenAI chat, with `limits` (for the generated chat
/// streams, whose first chunk need not name the format).
pub fn chat(limits: Limits) -> Fold {
    Fold::new()
        .with_format(streamfold::Format::OpenAiChat)
        .with_limits(limits)
}

/// Folds `bytes` whole.
pub fn fold(bytes: &[u8]) -> Outcome {
    fold_with(bytes, &[bytes.len()], Limits::default())
}

/// Folds `bytes` in every chunking of [`chunkings`], asserts that all agree,
/// and returns the outcome.
pub fn fold_every_way(bytes: &[u8], limits: Limits) -> Outcome {
    let whole = fold_with(bytes, &[bytes.len()], limits);
    for (name, cuts) in chunkings(bytes.len(), bytes.len() as u64) {
        let other = fold_with(bytes, &cuts, limits);
        assert!(
            other == whole,
            "chunking {name} differs from whole input:\n{other:#?}\nvs\n{whole:#?}"
        );
    }
    whole
}

/// The SSE body of chunks given as JSON texts, ended by `[DONE]`.
pub fn sse(chunks: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in chunks {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(c.as_bytes());
        out.extend_from_slice(b"\n\n");
    }
    out.extend_from_slice(b"data: [DONE]\n\n");
    out
}

/// Standard base64, for the vectors' `input_b64`.
pub fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let bytes: Vec<u8> = s
        .bytes()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for group in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in group.iter().enumerate() {
            acc |= val(c) << (18 - 6 * i);
        }
        let n = group.len() * 6 / 8;
        for i in 0..n {
            out.push((acc >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// An event as JSON (what `streamfold events` prints), for comparing with
/// `json!` literals.
pub fn event_json(e: &Event<'_>) -> serde_json::Value {
    serde_json::to_value(e).unwrap()
}

impl Outcome {
    /// The events as JSON.
    pub fn events_json(&self) -> Vec<serde_json::Value> {
        self.events.iter().map(event_json).collect()
    }

    /// True when an event serialises to `want`.
    pub fn has_event(&self, want: serde_json::Value) -> bool {
        self.events_json().contains(&want)
    }
}

/// Folds `bytes` through the async adapter, fed as `Bytes` items of the
/// given lengths, with a configured fold: the same [`Outcome`] as
/// [`fold_using`] must come out.
pub fn fold_async_using(bytes: &[u8], cuts: &[usize], fold: Fold) -> Outcome {
    use futures::StreamExt;
    use streamfold::FoldStreamExt;
    let items: Vec<Result<bytes::Bytes, std::io::Error>> = pieces(bytes, cuts)
        .into_iter()
        .map(|p| Ok(bytes::Bytes::copy_from_slice(p)))
        .collect();
    futures::executor::block_on(async move {
        let mut stream = futures::stream::iter(items).fold_stream_with(fold);
        let mut events = Vec::new();
        let mut error = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(ev) => events.push(ev),
                Err(e) => error = Some(error_key(&e)),
            }
        }
        let done = match stream.finish() {
            Ok(c) => c,
            Err(e) => {
                assert_eq!(
                    Some(error_key(&e)),
                    error,
                    "finish() reports the stream's error"
                );
                e.into_partial().expect("every error keeps the partial")
            }
        };
        Outcome {
            events,
            error,
            completion: done.as_chat().cloned().unwrap_or_default(),
            done,
        }
    })
}
