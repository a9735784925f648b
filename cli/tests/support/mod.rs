//! Helpers of the serve and bench tests: the binary, a running `serve`, its
//! schedule, a scratch folder.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_streamfold"))
}

pub fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data")
}

/// The workspace's target folder.
pub fn target() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target")
}

/// A fresh scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("streamfold-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running `streamfold serve`; stopped (SIGTERM, so that it writes its
/// schedule) when dropped or by [`Serve::stop`].
pub struct Serve {
    child: Option<Child>,
    pub url: String,
    pub schedule: PathBuf,
}

impl Serve {
    pub fn start(args: &[&str], dir: &Path) -> Serve {
        let schedule = dir.join("schedule.ndjson");
        let mut child = bin()
            .arg("serve")
            .args(["--addr", "127.0.0.1:0", "--schedule"])
            .arg(&schedule)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Some(url) = line
            .trim()
            .rsplit(' ')
            .next()
            .filter(|u| u.starts_with("http://"))
            .map(str::to_string)
        else {
            let out = child.wait_with_output().unwrap();
            panic!(
                "serve did not start: {line:?} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        };
        Serve {
            child: Some(child),
            url,
            schedule,
        }
    }

    /// Stops the server and returns its schedule.
    pub fn stop(mut self) -> Vec<Value> {
        self.terminate();
        let text = std::fs::read_to_string(&self.schedule).unwrap_or_default();
        text.lines()
            .map(|l| serde_json::from_str(l).expect("a schedule row is JSON"))
            .collect()
    }

    fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.terminate();
    }
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("the binary runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `bench URL ARGS… --json OUT`, its JSON.
pub fn bench(url: &str, args: &[&str], dir: &Path) -> Value {
    let out = dir.join("bench.json");
    run(bin()
        .arg("bench")
        .arg(url)
        .args(args)
        .arg("--json")
        .arg(&out));
    serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap()
}

/// Nearest-rank percentile of a sample (a naive reference).
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}
