//! Command-line arguments (clap, derived).

use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand};

use crate::formats::Format;

const AFTER_HELP: &str = "\
Input (fold, events, text, sse, stats):
  PATH     a raw text/event-stream body, Ollama's NDJSON, a llama-stack
           recording (.json), or a response recorded by `bench --record` (its
           arrival times are used); the kind and the wire format are detected
  -        read standard input as it arrives (e.g. curl -N ... | streamfold text -)
  (none)   a built-in sample: gpt-4o naming the planet with rings (with
           --format NAME, a small real stream of that format)

Exit status: 0 complete; 1 usage or I/O error; 2 malformed stream or provider
error; 3 stream ended before it was complete. With 2 or 3, `fold` still prints
what was reassembled, and the reason goes to standard error.";

/// streamfold: reassemble a streaming LLM response (chunks over
/// text/event-stream) into events and one final completion; serve and
/// bench streaming endpoints.
#[derive(Debug, Parser)]
#[command(name = "streamfold", version, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: Global,
}

/// Options every command takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, ClapArgs)]
pub struct Global {
    /// Feed the input in N-byte pieces (reproduces network splits); `serve`
    /// writes its events in N-byte pieces.
    #[arg(long, global = true, value_name = "N", value_parser = positive)]
    pub chunk_size: Option<usize>,
    /// Largest SSE event accepted [default: 134217728 (128 MiB)].
    #[arg(long, global = true, value_name = "N", value_parser = positive)]
    pub max_event_bytes: Option<usize>,
    /// The wire format (openai-chat, openai-completions, openai-responses,
    /// anthropic-messages, gemini, ollama) [default: detected].
    #[arg(long, global = true, value_name = "NAME")]
    pub format: Option<Format>,
    /// `events`: add the partial-arguments events of tool calls.
    #[arg(long, global = true)]
    pub partial_json: bool,
    /// `events`: read the content as partial JSON too (a structured-output
    /// response), adding `content.partial` events.
    #[arg(long, global = true)]
    pub partial_json_content: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the final completion, as the non-streaming API returns it.
    Fold(InputArg),
    /// Print each incremental event as one JSON line, as it arrives.
    Events(InputArg),
    /// Print the content text as it arrives.
    Text(InputArg),
    /// Print the raw SSE events, one JSON line each, then the stream's end.
    Sse(InputArg),
    /// Print the stream's timing and counts as one JSON object (times from
    /// the start of reading, or the recorded arrival times).
    Stats(InputArg),
    /// Serve recorded streams on the OpenAI, Anthropic and Gemini streaming
    /// endpoints, paced, with faults on demand.
    Serve(ServeArgs),
    /// Send streaming requests to an endpoint and measure what the network
    /// delivered (TTFT, ITL, TPOT, E2E, throughput, errors).
    Bench(BenchCmd),
}

#[derive(Debug, Clone, PartialEq, Eq, ClapArgs)]
pub struct InputArg {
    /// A file, `-` for standard input, or nothing for the built-in sample.
    #[arg(value_name = "PATH|-")]
    input: Option<String>,
}

impl InputArg {
    pub fn input(&self) -> Input {
        match self.input.as_deref() {
            None => Input::Sample,
            Some("-") => Input::Stdin,
            Some(path) => Input::File(PathBuf::from(path)),
        }
    }
}

/// Where the input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Sample,
    Stdin,
    File(PathBuf),
}

#[derive(Debug, Clone, ClapArgs)]
pub struct ServeArgs {
    /// Recordings to replay: `.sse` bodies, NDJSON, llama-stack recordings,
    /// responses recorded by `bench --record` (or their folder), each on the
    /// endpoint of its detected format [default: a built-in sample of each
    /// format].
    #[arg(value_name = "RECORDINGS")]
    pub recordings: Vec<PathBuf>,
    /// Address to listen on (port 0: any free port, printed on stdout).
    #[arg(long, default_value = "127.0.0.1:8000")]
    pub addr: String,
    /// Milliseconds from the request's arrival to the first text event.
    #[arg(long, value_name = "MS", default_value_t = 200.0)]
    pub ttft: f64,
    /// Milliseconds between successive text events.
    #[arg(long, value_name = "MS", default_value_t = 20.0)]
    pub itl: f64,
    /// Replay `bench --record` recordings at this multiple of their pace.
    #[arg(long, value_name = "X", default_value_t = 1.0, value_parser = positive_f64)]
    pub speed: f64,
    /// Fraction of requests answered 429 or 500 with the provider's JSON
    /// error body.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub fail_rate: f64,
    /// Fraction of streams whose connection is closed mid-stream.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub cut_rate: f64,
    /// Fraction of streams that end with the format's in-band error event.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub error_rate: f64,
    /// Seed of the fault draws [default: from the clock].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Append one NDJSON row per happening (request, content, event, end,
    /// cut, fail, error) to FILE.
    #[arg(long, value_name = "FILE")]
    pub schedule: Option<PathBuf>,
    /// Inject what real servers do (repeatable): role-first, multi-token,
    /// usage-chunk, error-in-stream, crlf, no-space, big-event, no-done.
    #[arg(long = "quirk", value_name = "NAME")]
    pub quirks: Vec<String>,
}

#[derive(Debug, Clone, ClapArgs)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BenchCmd {
    #[command(subcommand)]
    pub action: Option<BenchAction>,
    #[command(flatten)]
    pub run: BenchArgs,
}

#[derive(Debug, Clone, Subcommand)]
pub enum BenchAction {
    /// Combine the `--json` results of several runs (from several machines)
    /// into one, exactly (histograms are merged, not percentiles averaged).
    Merge {
        /// The `--json` files.
        #[arg(required = true, num_args = 1..)]
        files: Vec<PathBuf>,
        /// Write the merged result here as JSON (the table goes to stderr).
        #[arg(long, value_name = "OUT")]
        json: Option<PathBuf>,
    },
    /// Recompute every figure offline from a `bench --record` folder.
    Report {
        /// The folder.
        dir: PathBuf,
        /// Write the result here as JSON (the table goes to stderr).
        #[arg(long, value_name = "OUT")]
        json: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, ClapArgs)]
pub struct BenchArgs {
    /// The endpoint, e.g. http://127.0.0.1:8000/v1/chat/completions.
    #[arg(required = true)]
    pub url: Option<String>,
    /// Requests in flight at most.
    #[arg(long, short = 'c', default_value_t = 1, value_parser = positive)]
    pub concurrency: usize,
    /// Requests to send.
    #[arg(long, short = 'n', default_value_t = 1, value_parser = positive)]
    pub requests: usize,
    /// Poisson arrivals at R requests per second, or `inf` (all at once).
    #[arg(long, value_name = "R|inf", default_value = "inf", value_parser = rate)]
    pub rate: Rate,
    /// The request body (JSON) [default: a minimal streaming request of the
    /// URL's format].
    #[arg(long, value_name = "FILE")]
    pub body: Option<PathBuf>,
    /// The model named in the default body.
    #[arg(long, default_value = "streamfold-bench")]
    pub model: String,
    /// An extra request header (repeatable).
    #[arg(long = "header", value_name = "K:V")]
    pub headers: Vec<String>,
    /// Write the results (aggregates, histograms, one row per request) as
    /// JSON.
    #[arg(long, value_name = "OUT")]
    pub json: Option<PathBuf>,
    /// Keep each response's raw bytes with their arrival times (one NDJSON
    /// file per request).
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,
    /// Seed of the Poisson arrivals [default: from the clock].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Seconds a request may take before it is abandoned (transport error).
    #[arg(long, value_name = "S", default_value_t = 600.0, value_parser = positive_f64)]
    pub timeout: f64,
    /// Print no progress bar and no table.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Arrivals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    Infinite,
    PerSecond(f64),
}

fn positive(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("takes a positive integer, not {value:?}")),
    }
}

fn positive_f64(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(x) if x > 0.0 && x.is_finite() => Ok(x),
        _ => Err(format!("takes a positive number, not {value:?}")),
    }
}

fn probability(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!(
            "takes a probability between 0 and 1, not {value:?}"
        )),
    }
}

fn rate(value: &str) -> Result<Rate, String> {
    if value == "inf" {
        return Ok(Rate::Infinite);
    }
    positive_f64(value).map(Rate::PerSecond)
}

/// What the arguments ask for; `Err` holds a one-line message, `Ok(Err)`
/// the help or version text to print with status 0.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Result<Cli, String>, String> {
    let argv = std::iter::once("streamfold".to_string()).chain(args);
    match Cli::try_parse_from(argv) {
        Ok(cli) => Ok(Ok(cli)),
        Err(e) => match e.kind() {
            clap::error::ErrorKind::DisplayHelp
            | clap::error::ErrorKind::DisplayVersion
            | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                let text = e.render().to_string();
                if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    Err(first_line(&text))
                } else {
                    Ok(Err(text))
                }
            }
            _ => Err(first_line(&e.render().to_string())),
        },
    }
}

/// clap's first line, without its `error: ` prefix.
fn first_line(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Cli, String> {
        match parse(args.iter().map(|s| s.to_string())) {
            Ok(Ok(cli)) => Ok(cli),
            Ok(Err(help)) => Err(format!("help: {help}")),
            Err(e) => Err(e),
        }
    }

    #[test]
    fn commands_paths_and_flags_parse() {
        let cli = p(&["events", "-", "--chunk-size", "7"]).unwrap();
        assert!(matches!(&cli.command, Command::Events(a) if a.input() == Input::Stdin));
        assert_eq!(cli.global.chunk_size, Some(7));
        assert_eq!(cli.global.max_event_bytes, None);

        let cli = p(&["fold", "--max-event-bytes=1024", "x.sse"]).unwrap();
        assert!(
            matches!(&cli.command, Command::Fold(a) if a.input() == Input::File("x.sse".into()))
        );
        assert_eq!(cli.global.max_event_bytes, Some(1024));

        let cli = p(&["text"]).unwrap();
        assert!(matches!(&cli.command, Command::Text(a) if a.input() == Input::Sample));

        let cli = p(&["--format", "anthropic-messages", "events", "--partial-json"]).unwrap();
        assert_eq!(cli.global.format, Some(Format::AnthropicMessages));
        assert!(cli.global.partial_json);

        assert!(p(&["fold", "--help"]).unwrap_err().starts_with("help: "));
    }

    #[test]
    fn serve_and_bench_parse() {
        let cli = p(&[
            "serve",
            "a.sse",
            "b.json",
            "--addr",
            "127.0.0.1:0",
            "--itl",
            "5",
            "--quirk",
            "crlf",
            "--quirk",
            "no-done",
            "--fail-rate",
            "0.1",
        ])
        .unwrap();
        let Command::Serve(s) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(
            s.recordings,
            [PathBuf::from("a.sse"), PathBuf::from("b.json")]
        );
        assert_eq!((s.itl, s.ttft, s.fail_rate), (5.0, 200.0, 0.1));
        assert_eq!(s.quirks, ["crlf", "no-done"]);

        let cli = p(&[
            "bench",
            "http://h:1/v1/messages",
            "-c",
            "8",
            "-n",
            "100",
            "--rate",
            "50",
        ])
        .unwrap();
        let Command::Bench(b) = cli.command else {
            panic!("not bench")
        };
        assert!(b.action.is_none());
        assert_eq!(b.run.url.as_deref(), Some("http://h:1/v1/messages"));
        assert_eq!((b.run.concurrency, b.run.requests), (8, 100));
        assert_eq!(b.run.rate, Rate::PerSecond(50.0));

        let cli = p(&["bench", "merge", "a.json", "b.json"]).unwrap();
        let Command::Bench(b) = cli.command else {
            panic!("not bench")
        };
        assert!(matches!(b.action, Some(BenchAction::Merge { files, .. }) if files.len() == 2));
    }

    #[test]
    fn bad_arguments_are_refused_in_one_line() {
        for args in [
            &[][..],
            &["unfold"],
            &["fold", "--chunk-size", "0"],
            &["fold", "--chunk-size"],
            &["fold", "a", "b"],
            &["fold", "--bogus"],
            &["fold", "--format", "smoke-signals"],
            &["serve", "--fail-rate", "2"],
            &["bench"],
            &["bench", "http://x/", "--rate", "-1"],
        ] {
            let e = p(args).unwrap_err();
            assert!(!e.starts_with("help: "), "{args:?}: {e}");
            assert_eq!(e.lines().count(), 1, "{args:?}: {e}");
        }
    }
}
