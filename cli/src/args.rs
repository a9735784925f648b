//! Command-line arguments.

use std::path::PathBuf;

pub const USAGE: &str = "\
streamfold: reassemble a streaming LLM response (OpenAI chat chunks over
text/event-stream) into events and one final completion.

Usage: streamfold <COMMAND> [PATH|-] [OPTIONS]

Commands:
  fold     print the final completion, as the non-streaming API returns it
  events   print each incremental event as one JSON line, as it arrives
  text     print the content text as it arrives
  sse      print the raw SSE events, one JSON line each, then the stream's end
  stats    print the stream's timing and counts as one JSON object
           (TTFB, TTFT, inter-token latency, end-to-end time, tokens/s;
           times from the start of reading, e.g. curl -N ... | streamfold stats -)

Input:
  PATH     a raw text/event-stream body, or a llama-stack recording (.json);
           the format is detected
  -        read standard input as it arrives (e.g. curl -N ... | streamfold text -)
  (none)   a built-in sample: gpt-4o naming the planet with rings

Options:
  --chunk-size N        feed the input in N-byte pieces (reproduces network splits)
  --max-event-bytes N   largest SSE event accepted [default: 134217728 (128 MiB)]
  -h, --help            print this help
  -V, --version         print the version

Exit status: 0 complete; 1 usage or I/O error; 2 malformed stream or provider
error; 3 stream ended before it was complete. With 2 or 3, `fold` still prints
what was reassembled, and the reason goes to standard error.
";

/// What to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Fold,
    Events,
    Text,
    Sse,
    Stats,
}

/// Where the input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Sample,
    Stdin,
    File(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub command: Command,
    pub input: Input,
    pub chunk_size: Option<usize>,
    pub max_event_bytes: Option<usize>,
}

/// What the arguments ask for.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Run(Args),
    Help,
    Version,
}

fn number(flag: &str, value: Option<String>) -> Result<usize, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a value"))?;
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{flag} takes a positive integer, not {value:?}")),
    }
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
    let mut command = None;
    let mut input = None;
    let mut chunk_size = None;
    let mut max_event_bytes = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "-V" | "--version" => return Ok(Parsed::Version),
            "--chunk-size" => chunk_size = Some(number(&flag, inline.or_else(|| args.next()))?),
            "--max-event-bytes" => {
                max_event_bytes = Some(number(&flag, inline.or_else(|| args.next()))?)
            }
            "-" if command.is_some() && input.is_none() => input = Some(Input::Stdin),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            _ if command.is_none() => {
                command = Some(match arg.as_str() {
                    "fold" => Command::Fold,
                    "events" => Command::Events,
                    "text" => Command::Text,
                    "sse" => Command::Sse,
                    "stats" => Command::Stats,
                    other => return Err(format!("unknown command {other:?}")),
                })
            }
            _ if input.is_none() => input = Some(Input::File(PathBuf::from(arg))),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    let command = command.ok_or("a command is needed")?;
    Ok(Parsed::Run(Args {
        command,
        input: input.unwrap_or(Input::Sample),
        chunk_size,
        max_event_bytes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Parsed, String> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn commands_paths_and_flags_parse() {
        assert_eq!(
            p(&["events", "-", "--chunk-size", "7"]),
            Ok(Parsed::Run(Args {
                command: Command::Events,
                input: Input::Stdin,
                chunk_size: Some(7),
                max_event_bytes: None,
            }))
        );
        assert_eq!(
            p(&["fold", "--max-event-bytes=1024", "x.sse"]),
            Ok(Parsed::Run(Args {
                command: Command::Fold,
                input: Input::File("x.sse".into()),
                chunk_size: None,
                max_event_bytes: Some(1024),
            }))
        );
        assert!(matches!(
            p(&["text"]),
            Ok(Parsed::Run(Args {
                input: Input::Sample,
                ..
            }))
        ));
        assert_eq!(p(&["fold", "--help"]), Ok(Parsed::Help));
    }

    #[test]
    fn bad_arguments_are_refused() {
        assert!(p(&[]).is_err());
        assert!(p(&["unfold"]).is_err());
        assert!(p(&["fold", "--chunk-size", "0"]).is_err());
        assert!(p(&["fold", "--chunk-size"]).is_err());
        assert!(p(&["fold", "a", "b"]).is_err());
        assert!(p(&["fold", "--bogus"]).is_err());
    }
}
