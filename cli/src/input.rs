//! Where the bytes come from: a file, standard input, or the built-in
//! sample; a stream (SSE, NDJSON, an HTTP error body) or a llama-stack
//! recording (detected: see `recording`).

use std::io::{self, Read};

use crate::args::Input;
use crate::recording;

/// The built-in sample: a recorded gpt-4o stream (see tests/data/README.md).
const SAMPLE: &[u8] = include_bytes!("../../tests/data/openai-gpt-4o-saturn.sse");

/// Bytes read from standard input at a time.
const READ_SIZE: usize = 64 * 1024;

pub enum Source {
    Memory(Vec<u8>),
    Stdin,
}

impl Source {
    pub fn open(input: &Input) -> Result<Source, String> {
        match input {
            Input::Sample => Ok(Source::Memory(SAMPLE.to_vec())),
            Input::Stdin => Ok(Source::Stdin),
            Input::File(path) => {
                let bytes = std::fs::read(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                if recording::is_recording(&bytes) {
                    recording::to_sse(&bytes)
                        .map(Source::Memory)
                        .map_err(|e| format!("{}: {e}", path.display()))
                } else {
                    Ok(Source::Memory(bytes))
                }
            }
        }
    }

    /// Calls `f` with the input in pieces of `chunk` bytes (what arrives, for
    /// standard input, when no size is given).
    pub fn for_each_piece(
        &mut self,
        chunk: Option<usize>,
        f: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        match self {
            Source::Memory(bytes) => pieces(bytes, chunk.unwrap_or(READ_SIZE), f),
            Source::Stdin => {
                let mut stdin = io::stdin().lock();
                let mut buf = vec![0u8; READ_SIZE];
                // Read until the format is known.
                let mut head = Vec::new();
                loop {
                    let n = read_some(&mut stdin, &mut buf)?;
                    head.extend_from_slice(&buf[..n]);
                    if n == 0 || head.iter().any(|b| !b.is_ascii_whitespace()) {
                        break;
                    }
                }
                if recording::looks_like_json(&head) {
                    // A recording is one JSON document; a stream may start
                    // with a JSON value too (Ollama NDJSON, an HTTP error
                    // body). The first value is read whole before anything
                    // is folded, then the rest streams as it arrives.
                    let mut tee = Tee {
                        inner: &mut stdin,
                        seen: &mut head,
                        pos: 0,
                    };
                    if recording::first_value_has_response(&mut tee) {
                        stdin.read_to_end(&mut head)?;
                        if recording::is_recording(&head) {
                            let sse = recording::to_sse(&head)
                                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                            return pieces(&sse, chunk.unwrap_or(READ_SIZE), f);
                        }
                    }
                }
                pieces(&head, chunk.unwrap_or(READ_SIZE), f)?;
                loop {
                    let n = read_some(&mut stdin, &mut buf)?;
                    if n == 0 {
                        return Ok(());
                    }
                    pieces(&buf[..n], chunk.unwrap_or(n), f)?;
                }
            }
        }
    }
}

/// Reads `seen` from `pos`, then `inner`, keeping in `seen` what it read.
struct Tee<'a, R> {
    inner: &'a mut R,
    seen: &'a mut Vec<u8>,
    pos: usize,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.seen.len() {
            let n = buf.len().min(self.seen.len() - self.pos);
            buf[..n].copy_from_slice(&self.seen[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(n);
        }
        let n = read_some(self.inner, buf)?;
        self.seen.extend_from_slice(&buf[..n]);
        self.pos += n;
        Ok(n)
    }
}

fn read_some(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

fn pieces(bytes: &[u8], size: usize, f: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
    for piece in bytes.chunks(size.max(1)) {
        f(piece)?;
    }
    Ok(())
}
