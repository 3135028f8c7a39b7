//! What the command-line tests share: where the repository and its golden
//! cases are, running the built binary, and scratch folders of their own.
//! Each test file uses part of it, so unused items are not warned about.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root folder.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ is inside the repository")
        .to_path_buf()
}

/// The file `file` of golden case `case`.
pub fn golden(case: &str, file: &str) -> PathBuf {
    root().join("golden").join(case).join(file)
}

/// Runs the `spikegate` binary with `args`.
pub fn spikegate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spikegate"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// What a run printed on stdout.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What a run printed on stderr.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A fresh, empty folder `spikegate-<suite>-<pid>-<name>` in the system's
/// temporary folder.
pub fn scratch(suite: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spikegate-{suite}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// A path as the `&str` a command line takes.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

/// `spikegate gen MODEL --out OUT` with `extra` arguments.
pub fn gen_into(model: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["gen", s(model), "--out", s(out)];
    args.extend_from_slice(extra);
    spikegate(&args)
}

/// The log a failure message names as `(log: PATH)`, read; fails the test
/// when there is none or it cannot be read.
pub fn named_log(message: &str) -> (String, String) {
    let log = message
        .split("(log: ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("the message names a log: {message}"));
    let text = std::fs::read_to_string(log).unwrap_or_else(|e| panic!("{log}: {e}"));
    (log.to_owned(), text)
}

/// Whether Verilator can be run; in CI its absence fails the test.
pub fn verilator_present(test: &str) -> bool {
    let found = Command::new("verilator")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").is_err(),
            "{test}: Verilator is missing in CI (.ci/install-tools installs it)"
        );
        eprintln!("SKIPPED {test}: Verilator is not installed (run .ci/install-tools)");
    }
    found
}
