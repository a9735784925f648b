//! The body of each fuzz target, on raw fuzzer bytes: `fuzz/fuzz_targets/*`
//! call these, and the property tests run the saved regression inputs
//! (`fuzz/regressions/<target>/`) through them on stable.
//!
//! `sse_split` and `fold_split` read a 16-byte header before the stream:
//! byte 0 holds flags (bit 0: small limits; bit 1: also feed one byte at a
//! time; bits 2–4, `fold_split`: the fold, see `fold_of`), bytes 1–8 four cut offsets (u16, little-endian, taken modulo the
//! stream length + 1), bytes 9–15 the small limits. `fuzz/seed.sh` writes
//! seeds with a zero header.

use streamfold::{Fold, Format, Limits};

use super::check::{adapter, fold_invariants, lengths};
use super::formats;
use super::{assert_matches_naive, cut_at, sse_record};
use crate::support::{chat, fold_using};

/// Length of the control header of `sse_split` and `fold_split` inputs.
pub const HEADER: usize = 16;

struct Header {
    small_limits: bool,
    bytewise: bool,
    /// `fold_split`: which fold (see [`fold_of`]).
    mode: u8,
    offsets: Vec<usize>,
    limits: [u8; 7],
}

fn header(data: &[u8]) -> Option<(Header, &[u8])> {
    if data.len() < HEADER {
        return None;
    }
    let (h, rest) = data.split_at(HEADER);
    let offsets = h[1..9]
        .chunks(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]) as usize)
        .collect();
    let mut limits = [0; 7];
    limits.copy_from_slice(&h[9..16]);
    Some((
        Header {
            small_limits: h[0] & 1 != 0,
            bytewise: h[0] & 2 != 0,
            mode: (h[0] >> 2) & 7,
            offsets,
            limits,
        },
        rest,
    ))
}

/// SSE layer: the same items, error and end whole, cut at four offsets
/// and (flag) one byte at a time; with default limits, the same as the naive
/// spec parser.
pub fn sse_split(data: &[u8]) {
    let Some((h, input)) = header(data) else {
        return;
    };
    let (event, line) = if h.small_limits {
        (h.limits[0] as usize, h.limits[1] as usize)
    } else {
        (usize::MAX, usize::MAX)
    };
    let whole = sse_record([input], event, line);
    let cut = sse_record(cut_at(input, &h.offsets), event, line);
    assert_eq!(cut, whole, "cut at {:?} vs whole", h.offsets);
    if h.bytewise {
        let bytewise = sse_record(input.chunks(1), event, line);
        assert_eq!(bytewise, whole, "one byte at a time vs whole");
    }
    if !h.small_limits {
        assert_matches_naive(input, &whole);
    }
}

/// The limits a `fold_split` header asks for.
fn fold_limits(h: &Header) -> Limits {
    if !h.small_limits {
        return Limits::default();
    }
    let l = h.limits;
    Limits::default()
        .max_event_bytes(u16::from_le_bytes([l[0], l[1]]) as usize)
        .max_line_bytes(l[2] as usize)
        .max_choices((l[3] % 8) as usize)
        .max_tool_calls((l[4] % 8) as usize)
        .max_depth((l[5] % 32) as usize)
        .max_index(match l[6] {
            255 => u32::MAX,
            254 => u32::MAX - 1,
            n => n as u32,
        })
}

/// The fold a `fold_split` header asks for: mode 0 forces OpenAI chat
/// (the seeds and regressions of the chat-only target keep their meaning),
/// 1 detects the format, 2–7 force `Format::ALL[mode - 2]`.
fn fold_of(mode: u8, limits: Limits) -> Fold {
    match mode {
        0 => chat(limits),
        1 => Fold::new().with_limits(limits),
        m => Fold::new()
            .with_format(Format::ALL[(m as usize - 2) % Format::ALL.len()])
            .with_limits(limits),
    }
}

/// The pipeline: the same outcome (every event, the error with its kind,
/// offset and event index, the final object, as JSON too) whole and cut at
/// four offsets (and, flag, one byte at a time), whatever the format
/// (header byte 0, bits 2–4: see [`fold_of`]); the events agree with the
/// final object ([`formats::agree`]); for OpenAI chat, the fold's
/// invariants on it, and (mode 0) the facade's own (see [`adapter`]).
pub fn fold_split(data: &[u8]) {
    let Some((h, input)) = header(data) else {
        return;
    };
    let limits = fold_limits(&h);
    let cuts = lengths(input.len(), &h.offsets);
    let make = || fold_of(h.mode, limits);
    let whole = formats::split_invariant(input, &cuts, h.bytewise, &make);
    formats::agree(&whole, input.len() as u64);
    if whole.format != Some(Format::OpenAiChat) {
        return;
    }
    let whole = fold_using(input, &[input.len()], make());
    let cut = fold_using(input, &cuts, make());
    assert!(
        cut == whole,
        "cut at {:?}:\n{cut:#?}\nvs whole:\n{whole:#?}",
        h.offsets
    );
    fold_invariants(&whole);
    if h.mode == 0 {
        adapter(input, &cuts, limits);
    }
}

/// Structure-aware: four cut offsets, a format, then a generated stream of
/// it: OpenAI chat ([`super::gen::stream`], checked by
/// [`super::check::structured`]) or another ([`formats::stream`], checked by
/// [`formats::structured`]).
pub fn structured(data: &[u8]) {
    let mut u = arbitrary::Unstructured::new(data);
    let Ok(offsets) = u.arbitrary::<[u16; 4]>() else {
        return;
    };
    let offsets: Vec<usize> = offsets.iter().map(|&o| o as usize).collect();
    let Ok(which) = u.arbitrary::<u8>() else {
        return;
    };
    let format = Format::ALL[which as usize % Format::ALL.len()];
    if format == Format::OpenAiChat {
        let Ok(stream) = super::gen::stream(&mut u) else {
            return;
        };
        super::check::structured(&stream, &offsets);
        return;
    }
    let Ok(stream) = formats::stream(&mut u, format) else {
        return;
    };
    let cuts = lengths(stream.bytes.len(), &offsets);
    formats::structured(&stream, &cuts);
}

/// The whole input as the data of one event: see
/// [`super::json_differential`].
pub fn json_differential(data: &[u8]) {
    super::json_differential(data);
}

/// Length of the control header of `partial_json` inputs: byte 0 flags
/// (bit 0: also one character at a time), bytes 1–8 four cut offsets (u16,
/// little-endian, modulo the text length + 1).
pub const PARTIAL_JSON_HEADER: usize = 9;

/// Partial JSON of tool arguments: the rest of the input (invalid UTF-8
/// replaced) as an arguments text, checked by
/// [`super::partial_json::check`] whole, cut at the four offsets and (flag)
/// one character at a time.
pub fn partial_json(data: &[u8]) {
    if data.len() < PARTIAL_JSON_HEADER {
        return;
    }
    let (h, rest) = data.split_at(PARTIAL_JSON_HEADER);
    let text = String::from_utf8_lossy(rest);
    let cuts: Vec<usize> = h[1..9]
        .chunks(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]) as usize % (text.len() + 1))
        .collect();
    super::partial_json::check(&text, &cuts, h[0] & 1 != 0);
}
