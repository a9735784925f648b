//! Heap use, counted by a global allocator (per thread, so tests running in
//! parallel do not disturb each other): no allocation per event in steady
//! state, bounded memory under hostile input, and peak heap independent of
//! stream length beyond the completion itself.

#[path = "../benches/synthetic.rs"]
mod synthetic;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use futures::StreamExt;
use streamfold::{Fold, FoldStreamExt, Limits};

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    /// Bytes allocated in all (a realloc counts its growth).
    static TOTAL: Cell<u64> = const { Cell::new(0) };
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn add(bytes: i64, allocs: u64) {
    // `try_with`: the allocator also runs while thread locals are torn down.
    let _ = ALLOCS.try_with(|a| a.set(a.get() + allocs));
    if bytes > 0 {
        let _ = TOTAL.try_with(|t| t.set(t.get() + bytes as u64));
    }
    let _ = LIVE.try_with(|l| {
        let now = l.get() + bytes;
        l.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
}

// SAFETY: every method forwards to `System` with the caller's arguments,
// unchanged; the bookkeeping only touches thread-local counters.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as i64, 1);
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as i64), 0);
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as i64 - layout.size() as i64, 1);
        // SAFETY: forwarded as received.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

fn total_bytes() -> u64 {
    TOTAL.with(Cell::get)
}

/// Starts measuring peak live bytes from the current level.
fn reset_peak() -> i64 {
    let live = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(live));
    live
}

fn peak_since(base: i64) -> i64 {
    PEAK.with(Cell::get) - base
}

/// Folds `bytes` in 4 KiB pieces; counts the allocations made after the
/// first `warm` bytes. Returns (allocations, events after warm-up).
fn steady_state(bytes: &[u8], warm: usize) -> (u64, u64) {
    let mut fold = Fold::new();
    let mut events = 0u64;
    let mut before = None;
    for (i, piece) in bytes.chunks(4096).enumerate() {
        if i * 4096 >= warm && before.is_none() {
            before = Some(allocs());
            events = 0;
        }
        for ev in fold.push(piece) {
            ev.unwrap();
            events += 1;
        }
    }
    (allocs() - before.unwrap(), events)
}

#[test]
fn the_sync_path_allocates_nothing_per_event_in_steady_state() {
    for (name, s) in [
        ("text", synthetic::text_stream(40_000)),
        ("tool", synthetic::tool_stream(10_000)),
    ] {
        let warm = s.bytes.len() / 10;
        let (n, events) = steady_state(&s.bytes, warm);
        eprintln!("{name}: {n} allocations over {events} events after warm-up");
        assert!(events > 5_000, "{name}: {events} events");
        // Only the completion's own buffers growing (each doubling, a
        // logarithmic number of times): far below one per hundred events.
        assert!(
            n * 100 < events,
            "{name}: {n} allocations over {events} events"
        );
    }
}

#[test]
fn the_async_path_allocates_at_most_one_per_event() {
    let s = synthetic::text_stream(20_000);
    let pieces: Vec<Result<bytes::Bytes, std::io::Error>> = s
        .bytes
        .chunks(4096)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut events = futures::stream::iter(pieces).fold_stream();
        // Warm up on the first 2,000 events.
        for _ in 0..2_000 {
            events.next().await.unwrap().unwrap();
        }
        let before = allocs();
        let mut n = 0u64;
        while let Some(ev) = events.next().await {
            ev.unwrap();
            n += 1;
        }
        let made = allocs() - before;
        eprintln!("async: {made} allocations over {n} events");
        // One owned string per content delta, plus buffer growth.
        assert!(made <= n + 8, "{made} allocations over {n} events");
    });
}

/// Folds `s` with the async adapter over a stream of `Bytes`, one SSE
/// event per item (slices of one buffer, made beforehand, as an HTTP client
/// that reads one flushed event at a time hands them over), driven by
/// `futures::executor::block_on`. Counts what is allocated after the first
/// tenth of the items. Returns (allocations, bytes allocated, SSE events
/// after warm-up).
fn async_one_event_per_item(s: &synthetic::Synthetic) -> (u64, u64, u64) {
    let whole = bytes::Bytes::copy_from_slice(&s.bytes);
    // Event boundaries: every `\n\n` (the generated streams have LF line
    // ends and one data line per event).
    let mut items = Vec::with_capacity(s.events);
    let mut start = 0;
    for end in memchr::memmem::find_iter(&s.bytes, b"\n\n") {
        items.push(whole.slice(start..end + 2));
        start = end + 2;
    }
    assert_eq!(start, s.bytes.len(), "the stream ends with a blank line");
    assert_eq!(items.len(), s.events, "one item per SSE event");
    let warm = items.len() / 10;
    let after_warm_up = Cell::new(None);
    let body = futures::stream::iter(items.into_iter().enumerate().map(|(i, item)| {
        if i == warm {
            after_warm_up.set(Some((allocs(), total_bytes())));
        }
        Ok::<_, std::convert::Infallible>(item)
    }));
    let mut events = body.fold_stream();
    futures::executor::block_on(async {
        while let Some(event) = events.next().await {
            event.unwrap();
        }
    });
    let (before, bytes_before) = after_warm_up.get().expect("warmed up");
    let made = (allocs() - before, total_bytes() - bytes_before);
    let completion = events.finish().unwrap().into_chat().unwrap();
    let message = &completion.choices[0].message;
    assert_eq!(message.content.as_deref().unwrap_or(""), s.content);
    assert_eq!(message.tool_calls.len(), s.tool_arguments.len());
    (made.0, made.1, (s.events - warm) as u64)
}

#[test]
fn the_async_path_over_bytes_allocates_at_most_one_per_text_event() {
    let s = synthetic::text_stream(20_000);
    let (n, bytes, events) = async_one_event_per_item(&s);
    eprintln!(
        "async, one event per Bytes, text: {:.3} allocations and {:.1} bytes per SSE event \
         ({n} and {bytes} over {events} events)",
        n as f64 / events as f64,
        bytes as f64 / events as f64
    );
    // Today: a copy of each content delta's text, plus buffer growth.
    assert!(n <= events + 16, "{n} allocations over {events} events");
}

#[test]
fn the_async_path_over_bytes_allocates_at_most_two_per_tool_event() {
    let s = synthetic::tool_stream(8_000);
    let (n, bytes, events) = async_one_event_per_item(&s);
    eprintln!(
        "async, one event per Bytes, tool calls: {:.3} allocations and {:.1} bytes per SSE \
         event ({n} and {bytes} over {events} events)",
        n as f64 / events as f64,
        bytes as f64 / events as f64
    );
    // Today: an argument fragment's event owns copies of its function name
    // and of its fragment, plus the buffers of the four calls growing.
    assert!(
        n <= 2 * events + 128,
        "{n} allocations over {events} events"
    );
}

#[test]
fn a_24_mib_line_without_a_line_end_stays_within_the_limit() {
    let limits = Limits::default().max_event_bytes(1 << 20);
    let piece = vec![b'a'; 64 * 1024];
    let base = reset_peak();
    let mut fold = Fold::new().with_limits(limits);
    fold.push(b"data: ").for_each(drop);
    let mut failed = false;
    for _ in 0..(24 * 16) {
        if fold.push(&piece).any(|e| e.is_err()) {
            failed = true;
            break;
        }
    }
    assert!(failed);
    let peak = peak_since(base);
    eprintln!("peak heap for a 24 MiB line under a 1 MiB limit: {peak} bytes");
    assert!(peak < 3 << 20, "peak {peak} bytes");
}

#[test]
fn a_16_mib_event_under_a_1_mib_limit_and_millions_of_blank_lines_stay_small() {
    let limits = Limits::default().max_event_bytes(1 << 20);
    let mut big = br#"data: {"choices":[{"index":0,"delta":{"content":""#.to_vec();
    big.resize(big.len() + (16 << 20), b'x');
    big.extend_from_slice(b"\"}}]}\n\n");
    let base = reset_peak();
    let mut fold = Fold::new().with_limits(limits);
    let outcome: Vec<bool> = big
        .chunks(4096)
        .map(|c| fold.push(c).any(|e| e.is_err()))
        .collect();
    assert!(outcome.iter().any(|&failed| failed));
    let peak = peak_since(base);
    eprintln!("peak heap for a 16 MiB event under a 1 MiB limit: {peak} bytes");
    assert!(peak < 3 << 20, "peak {peak} bytes");
    drop(fold);

    let blanks = vec![b'\n'; 2_000_000];
    let base = reset_peak();
    let mut fold = Fold::new();
    for c in blanks.chunks(4096) {
        fold.push(c).for_each(drop);
    }
    let peak = peak_since(base);
    eprintln!("peak heap over 2,000,000 blank lines: {peak} bytes");
    assert!(peak < 64 << 10, "peak {peak} bytes");
}

#[test]
fn peak_heap_grows_with_the_completion_only() {
    let mut overheads = Vec::new();
    for events in [10_000, 40_000] {
        let s = synthetic::text_stream(events);
        let base = reset_peak();
        let mut fold = Fold::new();
        for piece in s.bytes.chunks(4096) {
            fold.push(piece).for_each(drop);
        }
        let completion = fold.finish().unwrap().into_chat().unwrap();
        let content = completion.choices[0].message.content.as_ref().unwrap();
        let (len, capacity) = (content.len() as i64, content.capacity() as i64);
        let peak = peak_since(base);
        // Beyond the content buffer itself (which grows by doubling).
        let overhead = peak - capacity;
        eprintln!(
            "{events} events: peak {peak} bytes, content {len} bytes in {capacity}, overhead {overhead}"
        );
        overheads.push(overhead);
    }
    assert!(
        overheads[1] <= overheads[0] + (16 << 10),
        "overhead beyond the completion grew with the stream: {overheads:?}"
    );
}

/// One tool call whose arguments arrive in `fragments` deltas of 10 bytes.
fn big_tool_call(fragments: usize) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"write_file\",\"arguments\":\"\"}}]}}]}\n\n");
    for i in 0..fragments {
        out.extend_from_slice(b"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"");
        out.extend_from_slice(format!("{:010}", i).as_bytes());
        out.extend_from_slice(b"\"}}]}}]}\n\n");
    }
    out.extend_from_slice(b"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n");
    out
}

/// Bytes allocated in all while folding `bytes`, sync (4 KiB reads) or
/// async (one `Bytes` item per 4 KiB), taking every event.
fn bytes_allocated(bytes: &[u8], asynchronous: bool) -> (u64, usize) {
    bytes_allocated_with(bytes, asynchronous, Fold::new)
}

/// As [`bytes_allocated`], folding with `fold()`.
fn bytes_allocated_with(bytes: &[u8], asynchronous: bool, fold: fn() -> Fold) -> (u64, usize) {
    let pieces: Vec<bytes::Bytes> = bytes
        .chunks(4096)
        .map(bytes::Bytes::copy_from_slice)
        .collect();
    let before = total_bytes();
    let args = if asynchronous {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut events = futures::stream::iter(pieces.into_iter().map(Ok::<_, std::io::Error>))
                .fold_stream_with(fold());
            while let Some(ev) = events.next().await {
                ev.unwrap();
            }
            let done = events.finish().unwrap().into_chat().unwrap();
            done.choices[0].message.tool_calls[0]
                .function
                .arguments
                .len()
        })
    } else {
        let mut fold = fold();
        for piece in &pieces {
            fold.push(piece).for_each(|e| drop(e.unwrap()));
        }
        let done = fold.finish().unwrap().into_chat().unwrap();
        done.choices[0].message.tool_calls[0]
            .function
            .arguments
            .len()
    };
    (total_bytes() - before, args)
}

#[test]
fn multi_megabyte_tool_arguments_cost_linear_allocation_async_and_sync() {
    // 4 MB of arguments in 10-byte fragments (as the async adapter once
    // copied the whole arguments so far into each event: quadratic).
    let stream = big_tool_call(400_000);
    for asynchronous in [false, true] {
        let (allocated, args) = bytes_allocated(&stream, asynchronous);
        assert_eq!(args, 4_000_000);
        let per_byte = allocated as f64 / args as f64;
        eprintln!(
            "{} 4 MB tool arguments: {allocated} bytes allocated ({per_byte:.1} per argument byte)",
            if asynchronous { "async" } else { "sync" }
        );
        // The arguments' own buffer doubling (< 2x), the input pieces
        // copied into `Bytes` (the stream is 10x the arguments), and for
        // async one small owned text per event.
        assert!(
            allocated < 24 * args as u64,
            "{allocated} bytes allocated for {args} bytes of arguments"
        );
    }
}

/// One tool call whose arguments are one JSON string of `fragments` × 10
/// bytes (`{"content":"…"}`), in 10-byte deltas.
fn big_string_argument(fragments: usize) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"write_file\",\"arguments\":\"{\\\"content\\\":\\\"\"}}]}}]}\n\n");
    for i in 0..fragments {
        out.extend_from_slice(b"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"");
        out.extend_from_slice(format!("{:010}", i).as_bytes());
        out.extend_from_slice(b"\"}}]}}]}\n\n");
    }
    out.extend_from_slice(b"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"}\"}}]}}]}\n\n");
    out.extend_from_slice(b"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n");
    out
}

#[test]
fn multi_megabyte_tool_arguments_with_partial_json_cost_linear_allocation_async_and_sync() {
    // 4 MB of one string argument in 10-byte fragments, each read once
    // into one append op: the ops buffer is reused between pushes (sync);
    // async, each partial event owns a copy of its one op.
    let stream = big_string_argument(400_000);
    let partial = || Fold::new().with_partial_json();
    for asynchronous in [false, true] {
        let (plain, args) = bytes_allocated(&stream, asynchronous);
        let (allocated, args_on) = bytes_allocated_with(&stream, asynchronous, partial);
        assert_eq!(args, 4_000_000 + 14);
        assert_eq!(args_on, args);
        let extra = allocated.saturating_sub(plain) as f64 / args as f64;
        eprintln!(
            "{} 4 MB string argument with partial JSON: {allocated} bytes allocated \
             ({:.1} per argument byte; without it {plain}, {extra:.2} more per byte)",
            if asynchronous { "async" } else { "sync" },
            allocated as f64 / args as f64,
        );
        // Sync: the reader adds nothing per fragment (its ops buffer
        // grows once). Async: each event's one op copied, in four exact
        // allocations (about 170 bytes for ten bytes of text).
        let bound = if asynchronous { 24 } else { 1 };
        assert!(
            allocated < plain + bound * args as u64,
            "{allocated} bytes allocated with partial JSON, {plain} without, for {args} bytes"
        );
    }
}

// Partial JSON of tool arguments: no allocation per push in steady state,
// memory independent of the text's length.

use streamfold::partial_json::{Ops, PartialJson};

/// Pushes `text` one character at a time into one reused ops buffer
/// (cleared after each push); returns the allocations made after the first
/// `warm` bytes and the peak live bytes over the whole feed.
fn partial_json_steady_state(text: &str, warm: usize) -> (u64, i64) {
    let base = reset_peak();
    let mut parser = PartialJson::new();
    let mut ops = Ops::new();
    let mut before = None;
    for (i, c) in text.char_indices() {
        if i >= warm && before.is_none() {
            before = Some(allocs());
        }
        ops.clear();
        parser
            .push(&text[i..i + c.len_utf8()], &mut ops)
            .expect("valid arguments");
    }
    let made = allocs() - before.unwrap_or_else(allocs);
    parser.finish(&mut ops).expect("complete arguments");
    (made, peak_since(base))
}

#[test]
fn partial_json_allocates_nothing_per_push_while_a_string_streams() {
    // A file's content, escapes and non-ASCII included, at depth 3.
    let content = "line \\\"one\\\"\\n\\t\u{e9}\u{1F600}\\u00e9\\ud83d\\ude00 ".repeat(20_000);
    let text = format!("{{\"files\":[{{\"path\":\"a.txt\",\"content\":\"{content}\"}}]}}");
    let (made, peak) = partial_json_steady_state(&text, 4096);
    assert_eq!(made, 0, "allocations after warm-up");
    assert!(
        peak < 16 << 10,
        "peak {peak} bytes for {} bytes of text",
        text.len()
    );
}

#[test]
fn partial_json_numbers_and_literals_stream_without_allocating() {
    let items = "-12.5e+3, true, null, 18446744073709551616, false, ".repeat(20_000);
    let text = format!("{{\"v\":[{items}0]}}");
    let (made, peak) = partial_json_steady_state(&text, 4096);
    assert_eq!(made, 0, "allocations after warm-up");
    assert!(peak < 16 << 10, "peak {peak} bytes");
}

#[test]
fn partial_json_memory_is_bounded_by_the_key_not_the_text() {
    // A 1 MiB key, then 4 MiB of its value one character at a time: the
    // parser holds the key once (plus its growing buffer while read).
    let key = "k".repeat(1 << 20);
    let text = format!("{{\"{key}\":\"{}\"}}", "v".repeat(4 << 20));
    let (_, peak) = partial_json_steady_state(&text, 0);
    assert!(peak < 4 << 20, "peak {peak} bytes");
}

/// A Gemini API text stream (spaced JSON, CRLF, usage and an empty
/// `groundingMetadata` on every chunk, a signature on the last part).
fn gemini_text_stream(chunks: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..chunks {
        let last = i + 1 == chunks;
        out.extend_from_slice(
            format!(
                "data: {{\"candidates\": [{{\"content\": {{\"parts\": [{{\"text\": \"word {i} \"{}}}], \
                 \"role\": \"model\"}}{}, \"index\": 0, \"groundingMetadata\": {{}}}}], \"usageMetadata\": \
                 {{\"promptTokenCount\": 9, \"candidatesTokenCount\": {i}, \"totalTokenCount\": {}}}, \
                 \"modelVersion\": \"gemini-2.5-pro\", \"responseId\": \"abc\"}}\r\n\r\n",
                if last { ", \"thoughtSignature\": \"c2ln\"" } else { "" },
                if last { ", \"finishReason\": \"STOP\"" } else { "" },
                i + 9
            )
            .as_bytes(),
        );
    }
    out
}

/// A Vertex stream of one call whose arguments are one long string in
/// `pieces` pieces.
fn gemini_streamed_string(pieces: usize) -> Vec<u8> {
    let envelope = |part: &str| {
        format!(
            "data: {{\"candidates\":[{{\"content\":{{\"role\":\"model\",\"parts\":[{part}]}}}}],\
             \"usageMetadata\":{{\"trafficType\":\"ON_DEMAND\"}},\"modelVersion\":\"gemini-3-pro\",\
             \"responseId\":\"r\"}}\r\n\r\n"
        )
    };
    let mut out = envelope(r#"{"functionCall":{"name":"write","willContinue":true}}"#);
    for _ in 0..pieces {
        out.push_str(&envelope(
            r#"{"functionCall":{"partialArgs":[{"jsonPath":"$.file.content","stringValue":"line of text\n","willContinue":true}],"willContinue":true}}"#,
        ));
    }
    out.push_str(&envelope(r#"{"functionCall":{}}"#));
    out.into_bytes()
}

#[test]
fn gemini_streams_allocate_nothing_per_event_in_steady_state() {
    for (name, bytes) in [
        ("gemini text", gemini_text_stream(20_000)),
        ("gemini streamed arguments", gemini_streamed_string(20_000)),
    ] {
        let warm = bytes.len() / 10;
        let (n, events) = steady_state(&bytes, warm);
        eprintln!("{name}: {n} allocations over {events} events after warm-up");
        assert!(events > 5_000, "{name}: {events} events");
        assert!(
            n * 100 < events,
            "{name}: {n} allocations over {events} events"
        );
    }
}

// Per-stream memory: what a fold holds beyond the text it reassembled, for
// servers and harnesses that keep thousands of streams open.

/// Live heap bytes held by `folds` folds, each fed `bytes` (none when
/// empty), divided by their number; and the bytes of text each holds.
fn heap_per_fold(folds: usize, bytes: &[u8]) -> (i64, usize) {
    let before = LIVE.with(Cell::get);
    let mut alive = Vec::with_capacity(folds);
    let vec_bytes = (folds * std::mem::size_of::<Fold>()) as i64;
    for _ in 0..folds {
        let mut fold = Fold::new();
        for ev in fold.push(bytes) {
            ev.unwrap();
        }
        alive.push(fold);
    }
    let held = LIVE.with(Cell::get) - before - vec_bytes;
    let text = alive[0].text(0).map_or(0, |t| t.len());
    eprintln!(
        "{} folds: {} heap bytes each (beside {} bytes of Fold itself), {} bytes of text each",
        folds,
        held / folds as i64,
        std::mem::size_of::<Fold>(),
        text
    );
    drop(alive);
    (held / folds as i64, text)
}

#[test]
fn an_idle_fold_holds_no_heap_and_fits_in_2_kib() {
    let (held, _) = heap_per_fold(10_000, b"");
    assert_eq!(held, 0, "heap bytes per idle fold");
    let inline = std::mem::size_of::<Fold>();
    assert!(inline <= 2048, "a Fold is {inline} bytes");
}

#[test]
fn a_fold_mid_stream_holds_little_beyond_its_text() {
    // The sample's first events: the role chunk and some content, as a
    // stream looks while it waits for the next token.
    let sample = synthetic::SAMPLE;
    let cut = sample
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w == b"\n\n")
        .nth(3)
        .map(|(i, _)| i + 2)
        .expect("four events in the sample");
    let (held, text) = heap_per_fold(10_000, &sample[..cut]);
    assert!(text > 0, "content reassembled");
    let overhead = held - text as i64;
    // Mostly the first choice's and block's state, the fields kept for the
    // final object, and the decoder's reused ops buffer.
    assert!(
        overhead <= 4096,
        "{overhead} heap bytes per fold mid-stream beyond its {text} bytes of text"
    );
}
