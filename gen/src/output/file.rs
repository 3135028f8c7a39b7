//! Single output files (results, reports, models, waveforms' checks):
//! written to a hidden sibling `.NAME.partial-PID` and renamed into place,
//! so a file is whole or absent; siblings that killed runs left are
//! removed by the next write once their process is gone.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::folder::LEFTOVER_FILE_LIMIT;
use crate::process::process_is_alive;

/// The temporary sibling `path` is written to before it is renamed into
/// place.
fn partial_path(path: &Path) -> Result<PathBuf> {
    let name = path
        .file_name()
        .with_context(|| format!("{}: not a file name", path.display()))?;
    Ok(parent_of(path).join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    )))
}

/// The folder `path` is in (`.` for a bare name).
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// How every JSON file spikegate writes begins (`format` first, in
/// [`spikegate_model::json_text`]'s layout).
const JSON_HEAD: &str = "{\n  \"format\": \"spikegate-";

/// Removes the temporary siblings of `path` (`.NAME.partial-PID`) that
/// runs killed while writing it left: plain files whose process is gone
/// and whose content is the start of a spikegate JSON file. Others stay.
fn clean_stale_partials(path: &Path) {
    let (Some(name), Ok(read)) = (path.file_name(), std::fs::read_dir(parent_of(path))) else {
        return;
    };
    let prefix = format!(".{}.partial-", name.to_string_lossy());
    for entry in read.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id()
            || process_is_alive(pid)
            || !entry.file_type().is_ok_and(|t| t.is_file())
            || !entry
                .metadata()
                .is_ok_and(|m| m.len() <= LEFTOVER_FILE_LIMIT)
        {
            continue;
        }
        let head = JSON_HEAD.as_bytes();
        if std::fs::read(entry.path()).is_ok_and(|b| b.starts_with(head) || head.starts_with(&b)) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes `bytes` to `path`'s temporary sibling, synced, and returns the
/// sibling; nothing is left behind on failure.
fn write_partial(path: &Path, bytes: &[u8]) -> Result<PathBuf> {
    clean_stale_partials(path);
    let tmp = partial_path(path)?;
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(tmp)
}

/// Writes `bytes` to `path` through a temporary file in the same folder,
/// renamed into place once complete: a reader never sees half a file, and a
/// failure leaves no file behind.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_all_atomically(&[(path, bytes)])
}

/// Writes several files, each as [`write_atomically`] does, and all or
/// none: every file is written to its temporary sibling first, and only
/// when all of them are complete are they renamed into place. A failure
/// (a folder that does not exist or is not writable, a full disk) leaves
/// none of them written.
pub fn write_all_atomically(files: &[(&Path, &[u8])]) -> Result<()> {
    let mut written: Vec<PathBuf> = Vec::new();
    let mut result = Ok(());
    for (path, bytes) in files {
        match write_partial(path, bytes) {
            Ok(tmp) => written.push(tmp),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    if result.is_ok() {
        for (i, tmp) in written.iter().enumerate() {
            let path = files[i].0;
            if let Err(e) = std::fs::rename(tmp, path) {
                result = Err(e).with_context(|| format!("cannot write {}", path.display()));
                break;
            }
        }
    }
    if result.is_err() {
        for tmp in &written {
            let _ = std::fs::remove_file(tmp);
        }
    }
    result
}

/// Checks, before any work whose result would be lost, that a file can be
/// written at `path`: its folder exists and takes a new file, and `path`
/// is not a folder. A probe file is created beside it and removed.
pub fn check_writable(path: &Path) -> Result<()> {
    let cannot = || format!("cannot write {}", path.display());
    if path.is_dir() {
        bail!("cannot write {}: it is a folder", path.display());
    }
    let dir = parent_of(path);
    if !dir.is_dir() {
        bail!(
            "cannot write {}: the folder {} does not exist",
            path.display(),
            dir.display()
        );
    }
    let probe = partial_path(path)?;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .with_context(cannot)?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Writes `value` as spikegate-style JSON (see
/// [`spikegate_model::json_text`]), atomically.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = spikegate_model::json_text::to_text(value)?;
    write_atomically(path, text.as_bytes())
}
