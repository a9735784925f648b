//! `serve` read by the official openai-python SDK: its streams reassemble
//! to the same text as `streamfold fold` of the recording, and
//! `"stream": false` returns that fold.
//!
//! The SDKs come from PyPI, at the versions pinned in
//! `cli/tests/sdk/requirements.txt`, in a venv the test builds once under
//! `target/` (a missing python3 is a failure, not a skip).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{run, scratch, Serve};

fn sdk_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk")
}

/// The venv's python, built if missing. Builders race safely: each builds
/// its own folder and renames it into place; the loser removes its copy.
fn python() -> PathBuf {
    let requirements = std::fs::read(sdk_dir().join("requirements.txt")).unwrap();
    // The venv's name follows the pinned versions.
    let tag = requirements.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    let venv = support::target().join(format!("sdk-venv-{tag:016x}"));
    let py = venv.join("bin/python");
    if venv.join(".ready").exists() {
        return py;
    }
    let building = support::target().join(format!("sdk-venv-{tag:016x}.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&building)
        .status()
        .unwrap_or_else(|e| {
            panic!("these tests need python3 (with venv) to run the official SDKs: {e}")
        });
    assert!(status.success(), "python3 -m venv failed");
    let pip = Command::new(building.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(sdk_dir().join("requirements.txt"))
        .status()
        .unwrap();
    assert!(
        pip.success(),
        "pip install -r cli/tests/sdk/requirements.txt failed"
    );
    std::fs::write(building.join(".ready"), b"").unwrap();
    if std::fs::rename(&building, &venv).is_err() {
        let _ = std::fs::remove_dir_all(&building); // another test won
    }
    assert!(Path::new(&py).exists());
    py
}

#[test]
fn the_openai_sdk_reads_serve_to_the_fold_of_the_recording() {
    let py = python();
    let want: Value = serde_json::from_slice(&run(support::bin().arg("fold")).stdout).unwrap();
    let want = want["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = scratch("sdk");
    for quirks in [
        &[][..],
        &[
            "--quirk",
            "role-first",
            "--quirk",
            "crlf",
            "--quirk",
            "no-space",
        ],
    ] {
        let mut args = vec!["--ttft", "5", "--itl", "1"];
        args.extend_from_slice(quirks);
        let serve = Serve::start(&args, &dir);
        let out = run(Command::new(&py)
            .arg(sdk_dir().join("read_streams.py"))
            .arg(&serve.url));
        drop(serve);
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        for key in [
            "chat_stream_text",
            "chat_stream_final",
            "chat_chunks_text",
            "chat_plain",
        ] {
            assert_eq!(got[key], want, "{key} with {quirks:?}");
        }
    }
}
