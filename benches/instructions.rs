//! The program `benches/callgrind.sh` runs under callgrind to count the
//! instructions of streamfold's push path: it folds one synthetic stream
//! cut into reads, and only the calls inside [`push_every_read`] (the sync
//! facade) or [`poll_every_event`] (the async adapter) are counted
//! (`--toggle-collect`); generating and cutting the stream and the final
//! `finish` are not.
//!
//! ```text
//! instructions text|tool 4096|event|64 sync|async
//! ```
//!
//! It prints `events E bytes B` (the stream's SSE events, `[DONE]`
//! included, and bytes) for the script to divide by. `STREAMFOLD_BENCH_EVENTS`
//! (default 20,000) sets the text stream's content deltas; the tool stream
//! has about as many bytes. Run without arguments (as `cargo bench` would)
//! it prints how to use it and exits.

use std::convert::Infallible;
use std::hint::black_box;

use bytes::Bytes;
use futures::StreamExt;
use streamfold::{Fold, FoldStream, FoldStreamExt};

#[path = "workload/reads.rs"]
mod reads;
#[path = "synthetic.rs"]
mod synthetic;

use reads::ReadSize;

/// Pushes every read into `fold` and looks at every event.
#[inline(never)]
fn push_every_read(fold: &mut Fold, reads: &[Bytes]) {
    for read in reads {
        for event in fold.push(read) {
            black_box(event.unwrap());
        }
    }
}

type Body = futures::stream::Iter<std::vec::IntoIter<Result<Bytes, Infallible>>>;

/// Polls the async adapter over `reads` to its end, looking at every event.
#[inline(never)]
fn poll_every_event(reads: Vec<Result<Bytes, Infallible>>) -> FoldStream<Body> {
    let mut events = futures::stream::iter(reads).fold_stream();
    futures::executor::block_on(async {
        while let Some(event) = events.next().await {
            black_box(event.unwrap());
        }
    });
    events
}

fn usage() -> ! {
    eprintln!("usage: instructions text|tool 4096|event|64 sync|async (see benches/callgrind.sh)");
    std::process::exit(2);
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.is_empty() {
        println!("instructions: run by benches/callgrind.sh, under callgrind; nothing to do here");
        return;
    }
    let [workload, read, mode] = &args[..] else {
        usage()
    };
    let text_events: usize = match std::env::var("STREAMFOLD_BENCH_EVENTS") {
        Ok(v) => v.parse().expect("STREAMFOLD_BENCH_EVENTS must be a number"),
        Err(_) => 20_000,
    };
    let stream = match workload.as_str() {
        "text" => synthetic::text_stream(text_events),
        // About as many bytes as the text stream (as in the benches).
        "tool" => synthetic::tool_stream(synthetic::tool_events_like_text(text_events)),
        _ => usage(),
    };
    let size = match read.as_str() {
        "event" => ReadSize::Event,
        n => ReadSize::Fixed(n.parse().unwrap_or_else(|_| usage())),
    };
    let whole = Bytes::copy_from_slice(&stream.bytes);
    let reads: Vec<Bytes> = size
        .cut(&stream.bytes)
        .into_iter()
        .map(|r| whole.slice(r))
        .collect();
    let completion = match mode.as_str() {
        "sync" => {
            let mut fold = Fold::new();
            push_every_read(&mut fold, &reads);
            assert_eq!(fold.events_dispatched(), stream.events as u64, "SSE events");
            fold.finish()
        }
        "async" => poll_every_event(reads.into_iter().map(Ok).collect()).finish(),
        _ => usage(),
    }
    .expect("the stream folds")
    .into_chat()
    .expect("a chat completion");
    // The run did the work: its result is the generator's.
    let message = &completion.choices[0].message;
    assert_eq!(
        message.content.as_deref().unwrap_or(""),
        stream.content,
        "content"
    );
    let arguments: Vec<&str> = message
        .tool_calls
        .iter()
        .map(|t| t.function.arguments.as_str())
        .collect();
    assert_eq!(arguments, stream.tool_arguments, "tool arguments");
    println!("events {} bytes {}", stream.events, stream.bytes.len());
}
