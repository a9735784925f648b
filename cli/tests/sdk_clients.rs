//! `serve` read by the official SDKs (openai-python's chat and Responses
//! streams, anthropic-python's Messages stream): each reassembles to the
//! same text as `streamfold fold` of the recording served, and `"stream":
//! false` returns that fold.
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

/// The text of `streamfold fold --format FORMAT` (the built-in sample of
/// that format, which `serve` replays on its endpoint), read from the
/// format's final object as its SDK defines it.
fn folded_text(format: &str) -> String {
    let out = run(support::bin().args(["fold", "--format", format]));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let texts = |items: &Value, kind: &str| -> String {
        items
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["type"] == kind)
            .map(|b| b["text"].as_str().unwrap())
            .collect()
    };
    let text = match format {
        "openai-chat" => v["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .to_string(),
        // openai-python's `output_text`: the output_text parts of the
        // message items.
        "openai-responses" => v["output"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|item| item["type"] == "message")
            .map(|item| texts(&item["content"], "output_text"))
            .collect(),
        // anthropic-python's `get_final_text()`: the text blocks joined.
        "anthropic-messages" => texts(&v["content"], "text"),
        other => unreachable!("{other}"),
    };
    assert!(!text.is_empty(), "{format}: the sample has text");
    text
}

#[test]
fn the_official_sdks_read_serve_to_the_fold_of_the_recording() {
    let py = python();
    let want = [
        ("openai-chat", "chat", folded_text("openai-chat")),
        (
            "openai-responses",
            "responses",
            folded_text("openai-responses"),
        ),
        (
            "anthropic-messages",
            "messages",
            folded_text("anthropic-messages"),
        ),
    ];
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
        let mut checked = 0;
        for (format, prefix, text) in &want {
            let keys: Vec<&String> = got
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| k.starts_with(&format!("{prefix}_")))
                .collect();
            assert!(keys.len() >= 3, "{format}: {keys:?}");
            for key in keys {
                assert_eq!(got[key], *text, "{format}: {key} with {quirks:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, got.as_object().unwrap().len());
    }
}
