//! Running a build tool so that it dies with spikegate.
//!
//! Verilator's `--build` starts make, which starts g++: a tree of
//! processes that would go on compiling for minutes after spikegate is
//! killed (kill -9 included, which no handler sees). The tool therefore
//! runs in a process group of its own, and a watchdog — a shell holding
//! the read end of a pipe whose write end only spikegate holds — kills
//! that whole group when the pipe closes, which the kernel does when
//! spikegate ends in any way. A build that finishes normally stops the
//! watchdog first.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Output, Stdio};

/// The watchdog's script: the first line it reads is the group to kill;
/// it then waits for the end of input (spikegate gone) and kills it.
/// (dash's `kill` takes no `--`: a negative number names the group.)
const WATCHDOG: &str = "read group || exit 0; while read _; do :; done; \
                        kill -KILL \"-$group\" 2>/dev/null";

/// A running watchdog and the pipe that keeps it waiting.
struct Watchdog {
    process: Child,
    pipe: Option<ChildStdin>,
}

impl Watchdog {
    fn start() -> std::io::Result<Self> {
        let mut process = Command::new("sh")
            .args(["-c", WATCHDOG])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let pipe = process.stdin.take();
        Ok(Watchdog { process, pipe })
    }

    /// Tells the watchdog which group to kill if spikegate dies.
    fn guard(&mut self, group: u32) -> std::io::Result<()> {
        let pipe = self.pipe.as_mut().expect("the pipe is open until drop");
        writeln!(pipe, "{group}")?;
        pipe.flush()
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // Stop the watchdog before closing its pipe, so that it never
        // kills a group whose number the system may already have reused.
        let _ = self.process.kill();
        let _ = self.process.wait();
        self.pipe.take();
    }
}

/// Runs `command` to completion and collects its output, as
/// [`Command::output`] does, in a process group of its own that is killed
/// whole if this process dies before the command ends.
pub fn output_in_own_group(command: &mut Command) -> std::io::Result<Output> {
    let mut watchdog = Watchdog::start()?;
    let child = command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // A group's id is its leader's process id.
    if let Err(e) = watchdog.guard(child.id()) {
        kill_group(child.id());
        return Err(e);
    }
    let output = child.wait_with_output();
    drop(watchdog);
    output
}

fn kill_group(group: u32) {
    let Ok(group) = libc::pid_t::try_from(group) else {
        return;
    };
    // SAFETY: kill(2) with a negative pid signals that process group and
    // touches no memory of ours.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_runs_and_its_output_is_collected() {
        let out =
            output_in_own_group(Command::new("sh").args(["-c", "echo hi; echo ho >&2; exit 3"]))
                .unwrap();
        assert_eq!(out.stdout, b"hi\n");
        assert_eq!(out.stderr, b"ho\n");
        assert_eq!(out.status.code(), Some(3));
    }

    #[test]
    fn the_watchdog_kills_the_group_when_its_pipe_closes() {
        let mut group = Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .unwrap();
        let mut watchdog = Watchdog::start().unwrap();
        watchdog.guard(group.id()).unwrap();
        // As if spikegate died: the pipe closes while the watchdog runs.
        watchdog.pipe.take();
        let status = group.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGKILL)
        );
        let _ = watchdog.process.wait();
    }
}
