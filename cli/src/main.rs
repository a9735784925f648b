//! The `streamfold` command. See `streamfold --help`.

mod args;
mod bench;
mod folding;
mod formats;
mod input;
mod net;
mod record;
mod recording;
mod rng;
mod serve;
mod stats;
mod wallclock;

use std::io::{self, Write};
use std::process::ExitCode;

use args::{Command, Global, Input};
use formats::Format;
use input::Source;
use serde::Serialize;
use streamfold::sse::{self, Item};
use streamfold::{Error, ErrorKind, Event, Fold, Limit, Limits};

/// Exit statuses (DESIGN.md's CLI contract).
const USAGE_OR_IO: u8 = 1;
const MALFORMED: u8 = 2;
const TRUNCATED: u8 = 3;

/// What a view command prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Fold,
    Events,
    Text,
    Sse,
    Stats,
}

fn main() -> ExitCode {
    let cli = match args::parse(std::env::args().skip(1)) {
        Ok(Ok(cli)) => cli,
        Ok(Err(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("streamfold: {msg}; see `streamfold --help`");
            return ExitCode::from(USAGE_OR_IO);
        }
    };
    let g = &cli.global;
    let status = match &cli.command {
        Command::Fold(i) => run(View::Fold, &i.input(), g),
        Command::Events(i) => run(View::Events, &i.input(), g),
        Command::Text(i) => run(View::Text, &i.input(), g),
        Command::Sse(i) => run(View::Sse, &i.input(), g),
        Command::Stats(i) => run(View::Stats, &i.input(), g),
        Command::Serve(s) => serve::main(s, g),
        Command::Bench(b) => bench::main(b, g),
    };
    ExitCode::from(status)
}

fn run(view: View, input: &Input, args: &Global) -> u8 {
    if view == View::Stats {
        if let Some(status) = bench::stats_of_recording(input) {
            return status;
        }
    }
    let source = match Source::open(input, args.format) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("streamfold: {msg}");
            return USAGE_OR_IO;
        }
    };
    let mut limits = Limits::default();
    if let Some(n) = args.max_event_bytes {
        limits = limits.max_event_bytes(n);
    }
    let stdout = io::stdout().lock();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout);
    let status = match view {
        View::Sse => sse_command(source, args.chunk_size, limits, &mut out),
        view => fold_command(view, source, args, limits, &mut out),
    };
    match status.and_then(|s| out.flush().map(|()| s)) {
        Ok(s) => s,
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("streamfold: {e}");
            USAGE_OR_IO
        }
    }
}

/// `fold`, `events` and `text`.
fn fold_command(
    command: View,
    mut source: Source,
    args: &Global,
    limits: Limits,
    out: &mut impl Write,
) -> io::Result<u8> {
    let chunk_size = args.chunk_size;
    let mut fold = folding::new(args.format, limits);
    if command == View::Events && args.partial_json {
        fold = fold.with_partial_json();
    }
    if command == View::Events && args.partial_json_content {
        fold = fold.with_partial_json_content();
    }
    if command == View::Stats {
        // Times count from the start of reading.
        fold = fold.timed();
    }
    let mut text_choice = None;
    let mut printed_text = false;
    let mut emit = |event: Event<'_>, out: &mut dyn Write| -> io::Result<()> {
        match command {
            View::Events => {
                serde_json::to_writer(&mut *out, &event)?;
                out.write_all(b"\n")
            }
            View::Text => match event {
                Event::ContentDelta { choice, delta, .. } => {
                    if *text_choice.get_or_insert(choice) == choice {
                        printed_text = true;
                        out.write_all(delta.as_bytes())?;
                    }
                    Ok(())
                }
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    };
    let read = source.for_each_piece(chunk_size, &mut |piece| {
        for event in fold.push(piece).flatten() {
            emit(event, out)?;
        }
        out.flush()
    });
    if let Err(e) = read {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return Err(e);
        }
        eprintln!("streamfold: reading the input failed: {e}");
        // Still end the fold: what arrived is reported.
        let _ = fold.end();
        print_completion(command, fold, out)?;
        return Ok(USAGE_OR_IO);
    }
    for event in fold.end().flatten() {
        emit(event, out)?;
    }
    if command == View::Text && printed_text {
        out.write_all(b"\n")?;
    }
    print_completion(command, fold, out)
}

/// Prints the completion for `fold` (or the timing for `stats`); reports
/// the outcome; returns the exit status.
fn print_completion(command: View, fold: Fold, out: &mut impl Write) -> io::Result<u8> {
    let format = fold.format();
    if command == View::Stats {
        if let Some(timing) = fold.timing() {
            stats::print(&timing, fold.verdict(), out)?;
        }
    }
    let (completion, status) = match fold.finish() {
        Ok(c) => (Some(c), 0),
        Err(e) => {
            eprintln!("streamfold: {}", describe(&e, format));
            let status = if e.is_truncation() {
                TRUNCATED
            } else if matches!(e.kind(), ErrorKind::Transport(_)) {
                USAGE_OR_IO
            } else {
                MALFORMED
            };
            (e.into_partial(), status)
        }
    };
    if command == View::Fold {
        if let Some(c) = completion {
            let mut ser = serde_json::Serializer::with_formatter(
                &mut *out,
                serde_json::ser::PrettyFormatter::with_indent(b"  "),
            );
            c.serialize(&mut ser)?;
            out.write_all(b"\n")?;
        }
    }
    Ok(status)
}

/// One line: what went wrong, where, and what to do (`format`: the
/// stream's, when known).
fn describe(e: &Error, format: Option<Format>) -> String {
    let hint = match e.kind() {
        ErrorKind::Limit {
            limit: Limit::EventBytes,
            ..
        } => "; raise it with --max-event-bytes",
        ErrorKind::Truncated { .. } => "; what arrived is kept",
        ErrorKind::Json { .. } | ErrorKind::Shape { .. } => match format {
            Some(f) => {
                return format!(
                    "{e}; the stream is not valid {f} payloads (name another with --format)"
                )
            }
            None => "; the stream is in no known format (name one with --format)",
        },
        _ => "",
    };
    format!("{e}{hint}")
}

#[derive(Serialize)]
struct SseLine<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    data: &'a str,
    id: &'a str,
}

#[derive(Serialize)]
struct SseEnd<'a> {
    last_event_id: &'a str,
    retry_ms: Option<u64>,
}

/// `sse`: the raw SSE events, then the stream's end.
fn sse_command(
    mut source: Source,
    chunk_size: Option<usize>,
    limits: Limits,
    out: &mut impl Write,
) -> io::Result<u8> {
    let mut parser = sse::Parser::with_limits(limits);
    let mut failure = None;
    let read = source.for_each_piece(chunk_size, &mut |piece| {
        if failure.is_some() {
            return Ok(());
        }
        let mut rest = piece;
        loop {
            match parser.next(&mut rest) {
                Ok(Some(Item::Event(ev))) => {
                    serde_json::to_writer(
                        &mut *out,
                        &SseLine {
                            kind: ev.event,
                            data: ev.data,
                            id: ev.id,
                        },
                    )?;
                    out.write_all(b"\n")?;
                }
                Ok(Some(Item::Retry(_))) => {}
                Ok(None) => break,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        out.flush()
    });
    if let Err(e) = read {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return Err(e);
        }
        eprintln!("streamfold: reading the input failed: {e}");
        return Ok(USAGE_OR_IO);
    }
    if let Some(e) = failure {
        eprintln!("streamfold: {}", describe(&e, None));
        return Ok(MALFORMED);
    }
    let end = parser.finish();
    #[derive(Serialize)]
    struct Closing<'a> {
        end: SseEnd<'a>,
    }
    serde_json::to_writer(
        &mut *out,
        &Closing {
            end: SseEnd {
                last_event_id: end.last_event_id,
                retry_ms: end.retry_ms,
            },
        },
    )?;
    out.write_all(b"\n")?;
    if end.truncated_event {
        eprintln!("streamfold: the stream ended inside an event (no blank line after it); that event was dropped");
        return Ok(TRUNCATED);
    }
    Ok(0)
}
