//! Whether a process still runs. A run killed before it could clean up
//! leaves folders named after its process id (staging folders, temporary
//! design folders, cache builds); the next run removes one only once that
//! process is gone.

/// Whether process `pid` is still running (a leftover whose owner is gone
/// can be removed). EPERM means it runs under another user.
pub fn process_is_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists.
    let answer = unsafe { libc::kill(pid, 0) };
    answer == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// The process id in a name that ends in `PID-N`, as spikegate names the
/// folders one run makes (its process id, then a counter):
/// `spikegate-cosim-PID-N`, `spikegate-synth-TAG-PID-N`,
/// `KEY.partial-PID-N`. The caller strips its own prefix first.
pub fn owner_of(name: &str) -> Option<u32> {
    let mut parts = name.rsplit('-');
    parts.next()?.parse::<u64>().ok()?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn the_owner_is_the_number_before_the_counter() {
        assert_eq!(owner_of("42-0"), Some(42));
        assert_eq!(owner_of("bench-hw-p4-42-3"), Some(42));
        assert_eq!(owner_of("42"), None);
        assert_eq!(owner_of("x-1"), None);
        assert_eq!(owner_of("42-x"), None);
    }

    #[test]
    fn this_process_is_alive_and_a_reaped_child_is_not() {
        assert!(process_is_alive(std::process::id()));
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!process_is_alive(pid));
    }
}
