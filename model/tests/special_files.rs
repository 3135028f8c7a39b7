//! Only regular files are read: a device that never ends (`/dev/zero`)
//! would be read until memory runs out, and a FIFO blocks forever when no
//! one writes to it. Both, and a directory, are refused by name at once.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use spikegate_model::load::read_json;
use spikegate_model::{load_network, ResultFile, SpikeFile};

/// Every reader's error for `path`, each within 10 seconds (a reader that
/// blocks fails the test instead of hanging it).
fn errors(path: &Path) -> Vec<String> {
    let (tx, rx) = mpsc::channel();
    let p = path.to_path_buf();
    std::thread::spawn(move || {
        let model = load_network(&p).map(|_| ()).map_err(|e| e.to_string());
        let spikes = read_json::<SpikeFile>(&p)
            .map(|_| ())
            .map_err(|e| e.to_string());
        let result = read_json::<ResultFile>(&p)
            .map(|_| ())
            .map_err(|e| e.to_string());
        let _ = tx.send([model, spikes, result]);
    });
    let got = rx
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("reading {} did not return", path.display()));
    got.into_iter()
        .map(|r| r.expect_err("a special file was read"))
        .collect()
}

#[cfg(unix)]
#[test]
fn dev_zero_is_refused() {
    let path = Path::new("/dev/zero");
    if !path.exists() {
        return;
    }
    for e in errors(path) {
        assert_eq!(
            e,
            "/dev/zero: is not a regular file (a character device); spikegate reads model, spike and result files only from regular files"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = std::env::temp_dir().join(format!("spikegate-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo: PathBuf = dir.join("model.json");
    let _ = std::fs::remove_file(&fifo);
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("no mkfifo: the FIFO case is not tried here");
        return;
    }
    for e in errors(&fifo) {
        assert_eq!(
            e,
            format!(
                "{}: is not a regular file (a FIFO); spikegate reads model, spike and result files only from regular files",
                fifo.display()
            )
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_directory_is_refused() {
    let dir = std::env::temp_dir();
    for e in errors(&dir) {
        assert!(
            e.starts_with(&format!("{}: is a directory;", dir.display())),
            "{e}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_to_a_regular_file_is_read() {
    let dir = std::env::temp_dir().join(format!("spikegate-link-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("model.json");
    let _ = std::fs::remove_file(&link);
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../golden/delays/model.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    load_network(&link).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
