//! Keeping the build cache trustworthy.
//!
//! A cache entry's library is recorded (size and SHA-256, in
//! [`RECORD`]) before the entry is renamed into place, so the record and
//! the library appear together; an entry is used only when its library
//! still has that size and hash. A truncated or overwritten library (a
//! full disk, a crash of another tool, a user's mistake) is then rebuilt
//! instead of being loaded, which would end in "file too short", SIGBUS or
//! SIGSEGV on every later run.
//!
//! Staging folders of builds that were killed (`<key>.partial-<pid>-<n>`)
//! are removed by the next build once their process is gone.

use std::path::Path;

use sha2::{Digest, Sha256};

use spikegate_gen::process::{owner_of, process_is_alive};

/// The record's file name in a cache entry.
pub const RECORD: &str = "library.sha256";

/// `"<size> <sha256 hex>"` of the file at `path`.
fn fingerprint(path: &Path) -> std::io::Result<String> {
    let data = std::fs::read(path)?;
    let hash: String = Sha256::digest(&data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(format!("{} {hash}", data.len()))
}

/// Records the library `folder/library` in `folder/`[`RECORD`].
pub fn record(folder: &Path, library: &str) -> std::io::Result<()> {
    let print = fingerprint(&folder.join(library))?;
    std::fs::write(folder.join(RECORD), format!("{print}\n"))
}

/// Whether `folder/library` is exactly the library that was recorded.
pub fn is_intact(folder: &Path, library: &str) -> bool {
    let Ok(recorded) = std::fs::read_to_string(folder.join(RECORD)) else {
        return false;
    };
    fingerprint(&folder.join(library)).is_ok_and(|now| now == recorded.trim_end())
}

/// Removes the staging folders in `root` whose builder process is gone.
pub fn remove_stale_staging(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(staging_owner) else {
            continue;
        };
        if !process_is_alive(pid) && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The process id in a staging folder's name `<16 hex>.partial-<pid>-<n>`.
pub fn staging_owner(name: &str) -> Option<u32> {
    let (key, rest) = name.split_once(".partial-")?;
    if key.len() != 16 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    owner_of(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_names_give_their_owner_and_nothing_else_does() {
        assert_eq!(staging_owner("0123456789abcdef.partial-42-0"), Some(42));
        assert_eq!(staging_owner("0123456789abcdef"), None);
        assert_eq!(staging_owner("notakey.partial-42-0"), None);
        assert_eq!(staging_owner("0123456789abcdef.partial-42"), None);
        assert_eq!(staging_owner("0123456789abcdef.partial-x-1"), None);
    }

    #[test]
    fn a_changed_or_truncated_library_is_not_intact() {
        let dir = std::env::temp_dir().join(format!("spikegate-cache-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("lib.so"), b"a library of some length").unwrap();
        assert!(!is_intact(&dir, "lib.so"), "nothing recorded yet");
        record(&dir, "lib.so").unwrap();
        assert!(is_intact(&dir, "lib.so"));
        std::fs::write(dir.join("lib.so"), b"a library of some lengtH").unwrap();
        assert!(!is_intact(&dir, "lib.so"), "one byte changed");
        std::fs::write(dir.join("lib.so"), b"a library").unwrap();
        assert!(!is_intact(&dir, "lib.so"), "truncated");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn stale_staging_folders_go_and_live_ones_stay() {
        let root =
            std::env::temp_dir().join(format!("spikegate-stale-test-{}", std::process::id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = root.join(format!("0123456789abcdef.partial-{dead}-0"));
        let live = root.join(format!("0123456789abcdef.partial-{}-0", std::process::id()));
        let other = root.join("0123456789abcdef");
        for d in [&stale, &live, &other] {
            std::fs::create_dir_all(d).unwrap();
        }
        remove_stale_staging(&root);
        assert!(!stale.exists());
        assert!(live.exists() && other.exists());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
