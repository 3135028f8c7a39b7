//! Writing result files completely or not at all.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Writes `bytes` to `path` through a temporary file in the same folder,
/// renamed into place once complete: a reader never sees half a file, and a
/// failure leaves no file behind.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{}: not a file name", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

/// Writes `value` as spikegate-style JSON (see
/// [`spikegate_model::json_text`]), atomically.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = spikegate_model::json_text::to_text(value)?;
    write_atomically(path, text.as_bytes())
}

/// Writes `files` as the folder `out`: first into a temporary sibling,
/// then renamed into place, so `out` is complete or untouched. An existing
/// `out` is replaced only if it is an earlier spikegate output (it has a
/// `manifest.json`).
pub fn write_folder(out: &Path, files: &[(String, String)]) -> Result<()> {
    if out.exists() && !out.join("manifest.json").is_file() {
        bail!(
            "{} exists and is not a spikegate output folder (no manifest.json); \
             choose another --out or remove it",
            out.display()
        );
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let name = out
        .file_name()
        .with_context(|| format!("{}: not a folder name", out.display()))?
        .to_string_lossy()
        .into_owned();
    let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let result = (|| -> Result<()> {
        std::fs::create_dir(&staging)
            .with_context(|| format!("cannot create {}", staging.display()))?;
        for (file, text) in files {
            let path = staging.join(file);
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        if out.exists() {
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            std::fs::rename(out, &old)
                .with_context(|| format!("cannot move the old {} aside", out.display()))?;
            std::fs::rename(&staging, out)
                .with_context(|| format!("cannot move the new output to {}", out.display()))?;
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(&staging, out)
                .with_context(|| format!("cannot move the new output to {}", out.display()))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}
