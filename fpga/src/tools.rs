//! Running the FPGA tools (yosys, nextpnr, icepack): the one runner every
//! flow uses, which keeps each tool's output in a log and, when a tool
//! fails, names a copy of that log that outlives the run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// The folder a flow runs its tools in, and whether it stays after the run
/// (`--out`); a temporary one is removed, so a failed tool's log is copied
/// out of it ([`ToolDir::keep_log`]).
#[derive(Debug, Clone, Copy)]
pub struct ToolDir<'a> {
    /// The folder.
    pub path: &'a Path,
    /// Whether it stays after the run.
    pub kept: bool,
}

impl ToolDir<'_> {
    /// Where the log `name` of this folder can be read after the run: in
    /// the folder when it is kept, else a copy beside the temporary folder
    /// (which is removed), `spikegate-synth-failed-<pid>-<name>`.
    pub fn keep_log(&self, name: &str) -> PathBuf {
        let log = self.path.join(name);
        if self.kept {
            return log;
        }
        let copy = std::env::temp_dir().join(format!(
            "spikegate-synth-failed-{}-{name}",
            std::process::id()
        ));
        match std::fs::copy(&log, &copy) {
            Ok(_) => copy,
            Err(_) => log,
        }
    }
}

/// Whether `program` is on PATH.
pub fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Runs `program` in `dir`; its output goes to `log` in it. Returns how
/// long it took; fails with the log's tail and a log path that outlives the
/// run when the program fails.
pub fn run_logged(dir: ToolDir, program: &str, args: &[&str], log: &str) -> Result<Duration> {
    let started = Instant::now();
    let out = Command::new(program)
        .args(args)
        .current_dir(dir.path)
        .output()
        .with_context(|| format!("cannot run {program} (install it with .ci/install-tools)"))?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    std::fs::write(dir.path.join(log), &text)?;
    if !out.status.success() {
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "{program} failed (log: {}):\n{}",
            dir.keep_log(log).display(),
            tail.join("\n")
        );
    }
    Ok(started.elapsed())
}
