//! Output folders, written completely or not at all.
//!
//! An output folder (`gen --out`, `synth --out`) is spikegate's own when its
//! `manifest.json` is a spikegate manifest and every entry of the folder is
//! a plain file that manifest lists (or, in a folder generated for a board,
//! one of the files `synth` adds, [`spikegate_fpga::synth::PRODUCTS`]). Only such a
//! folder, or an empty one, is ever replaced; anything else is refused with
//! the reason, and its files are left as they are.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::process::process_is_alive;

pub use crate::manifest::MANIFEST_FILE;

/// What every spikegate manifest's `format` starts with (any version: a
/// folder an older spikegate wrote is still spikegate's own).
const MANIFEST_FORMAT_STEM: &str = "spikegate-manifest/";

/// A manifest larger than this is not one spikegate wrote (its manifests
/// are a few kilobytes); the limit keeps a hostile folder from making the
/// ownership check read a huge file.
const MANIFEST_LIMIT: u64 = 16 << 20;

/// The staging copy of the manifest inside a staging folder: written
/// first, then renamed to [`MANIFEST_FILE`], so that a staging folder left
/// by a killed run always shows whose it is.
const MANIFEST_STAGING: &str = ".manifest.json.partial";

/// Why a folder is not spikegate's own, said after "it ...".
type Reason = String;

/// The entries of `dir` if the folder is spikegate's own (see the module
/// documentation), else why not. `staging`: `dir` is a staging folder of
/// [`write_folder`], which may lack its manifest (killed before writing
/// it) or hold [`MANIFEST_STAGING`].
fn owned_entries(dir: &Path, staging: bool) -> std::result::Result<Vec<PathBuf>, Reason> {
    let read = std::fs::read_dir(dir).map_err(|e| format!("cannot be read ({e})"))?;
    let mut entries = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| format!("cannot be read ({e})"))?;
        let kind = entry
            .file_type()
            .map_err(|e| format!("cannot be read ({e})"))?;
        entries.push((entry.file_name(), kind));
    }
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let manifest = dir.join(MANIFEST_FILE);
    let allowed: BTreeSet<String> = match std::fs::symlink_metadata(&manifest) {
        Err(_) if staging => [MANIFEST_STAGING.to_string()].into(),
        Err(_) => return Err(format!("has no {MANIFEST_FILE}")),
        Ok(m) if !m.is_file() => return Err(format!("has a {MANIFEST_FILE} that is not a file")),
        Ok(m) if m.len() > MANIFEST_LIMIT => {
            return Err(format!(
                "has a {MANIFEST_FILE} of {} bytes, larger than any spikegate writes",
                m.len()
            ))
        }
        Ok(_) => manifest_files(&manifest)?,
    };
    let mut paths = Vec::new();
    let mut foreign = Vec::new();
    for (name, kind) in &entries {
        let text = name.to_string_lossy();
        if !allowed.contains(text.as_ref()) {
            foreign.push(format!(
                "`{}`, which spikegate did not write",
                text.escape_debug()
            ));
        } else if !kind.is_file() {
            foreign.push(format!(
                "`{}`, which is not a plain file as spikegate writes it",
                text.escape_debug()
            ));
        } else {
            paths.push(dir.join(name));
        }
    }
    if !foreign.is_empty() {
        let more = foreign.len().saturating_sub(3);
        foreign.truncate(3);
        return Err(format!(
            "holds {}{}",
            foreign.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    Ok(paths)
}

/// The entries of `dir`, a folder a killed run left, if they are all
/// spikegate's: by its manifest, as [`owned_entries`] checks it, or else,
/// since a run killed mid-write (or a spikegate from before the manifest
/// was written first) can leave the manifest missing or cut short, by each
/// file's name and content ([`generated_content`]).
fn leftover_entries(dir: &Path, staging: bool) -> std::result::Result<Vec<PathBuf>, Reason> {
    owned_entries(dir, staging).or_else(|_| by_name_and_content(dir))
}

/// A leftover larger than this is not read to check its content.
pub(super) const LEFTOVER_FILE_LIMIT: u64 = 256 << 20;

/// The files of `dir` if each is a plain file whose name and content are
/// what spikegate writes, else the first that is not.
fn by_name_and_content(dir: &Path) -> std::result::Result<Vec<PathBuf>, Reason> {
    let read = std::fs::read_dir(dir).map_err(|e| format!("cannot be read ({e})"))?;
    let mut paths = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| format!("cannot be read ({e})"))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = entry.file_type().is_ok_and(|t| t.is_file())
            && entry
                .metadata()
                .is_ok_and(|m| m.len() <= LEFTOVER_FILE_LIMIT)
            && std::fs::read(&path).is_ok_and(|bytes| generated_content(&name, &bytes));
        if !ours {
            return Err(format!(
                "holds `{}`, which is not a file spikegate writes",
                name.escape_debug()
            ));
        }
        paths.push(path);
    }
    Ok(paths)
}

/// Whether `bytes`, perhaps cut short, are what spikegate writes in a file
/// called `name`: the start of its Verilog, board wrapper or manifest, a
/// hexadecimal memory image, or a board's constraint file.
fn generated_content(name: &str, bytes: &[u8]) -> bool {
    // A write cut short may have stopped anywhere, even before the head.
    let starts_like = |head: &str| {
        let head = head.as_bytes();
        bytes.starts_with(head) || head.starts_with(bytes)
    };
    match name {
        crate::generate::VERILOG_FILE => starts_like("// Generated by spikegate "),
        spikegate_fpga::board::BOARD_FILE => starts_like(
            spikegate_fpga::board::TEMPLATE
                .lines()
                .next()
                .unwrap_or_default(),
        ),
        MANIFEST_FILE | MANIFEST_STAGING => starts_like("{\n  \"format\": \"spikegate-manifest/"),
        _ if name.starts_with("sg_l") && name.ends_with("_weights.hex") => {
            bytes.iter().all(|b| b.is_ascii_hexdigit() || *b == b'\n')
        }
        _ => spikegate_fpga::targets::TARGETS
            .iter()
            .any(|t| t.constraint_file == name && t.constraints.as_bytes().starts_with(bytes)),
    }
}

/// The names a spikegate manifest at `path` accounts for: the files it
/// lists and, when it was generated for a board, what `synth` adds.
fn manifest_files(path: &Path) -> std::result::Result<BTreeSet<String>, Reason> {
    let not_ours = |why: &str| format!("has a {MANIFEST_FILE} that is not spikegate's ({why})");
    let bytes =
        std::fs::read(path).map_err(|e| format!("has an unreadable {MANIFEST_FILE} ({e})"))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| not_ours("not JSON"))?;
    let format = value["format"].as_str().unwrap_or_default();
    if !format.starts_with(MANIFEST_FORMAT_STEM) {
        return Err(not_ours(&format!(
            "its format is not {MANIFEST_FORMAT_STEM}N"
        )));
    }
    if !value["generator"]
        .as_str()
        .is_some_and(|g| g.starts_with("spikegate "))
    {
        return Err(not_ours("no spikegate generator"));
    }
    let listed = value["files"]
        .as_array()
        .ok_or_else(|| not_ours("no list of files"))?;
    let mut names = BTreeSet::new();
    for name in listed {
        let name = name
            .as_str()
            .filter(|n| is_plain_name(n))
            .ok_or_else(|| not_ours("a listed file is not a plain file name"))?;
        names.insert(name.to_string());
    }
    if !value["target"].is_null() {
        names.extend(
            spikegate_fpga::synth::PRODUCTS
                .iter()
                .map(|p| p.to_string()),
        );
    }
    Ok(names)
}

/// Whether `name` names a file directly inside a folder (no separator, not
/// `.` or `..`).
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// Removes the files `entries` (checked by [`owned_entries`]) and then the
/// folder `dir`, which fails, leaving the folder, if anything else has
/// appeared in it meanwhile: nothing spikegate did not write is deleted.
fn remove_owned(dir: &Path, entries: &[PathBuf]) -> std::io::Result<()> {
    for file in entries {
        match std::fs::remove_file(file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    std::fs::remove_dir(dir)
}

/// Removes the folder `dir`, left by process `pid`, if that process is gone
/// and the folder is spikegate's own output (module documentation);
/// returns whether it did. For temporary folders (named with their
/// process id) that a killed run could not remove.
pub fn remove_if_stale(dir: &Path, pid: u32) -> bool {
    if pid == std::process::id()
        || process_is_alive(pid)
        || !std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir())
    {
        return false;
    }
    leftover_entries(dir, false).is_ok_and(|files| remove_owned(dir, &files).is_ok())
}

/// Removes the staging (`.NAME.partial-PID`) and set-aside
/// (`.NAME.old-PID`) folders of `name` in `parent` that a run killed
/// before it could clean up left: only those whose process is gone and
/// whose content is spikegate's own; the others are left with a warning.
fn clean_stale(parent: &Path, name: &str) {
    let Ok(read) = std::fs::read_dir(parent) else {
        return;
    };
    let partial = format!(".{name}.partial-");
    let old = format!(".{name}.old-");
    for entry in read.flatten() {
        let file_name = entry.file_name();
        let Some(text) = file_name.to_str() else {
            continue;
        };
        let (staging, pid) = if let Some(pid) = text.strip_prefix(&partial) {
            (true, pid)
        } else if let Some(pid) = text.strip_prefix(&old) {
            (false, pid)
        } else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        // A live process's folder is its own business; a symbolic link
        // is not what spikegate leaves.
        if pid == std::process::id()
            || process_is_alive(pid)
            || !entry.file_type().is_ok_and(|t| t.is_dir())
        {
            continue;
        }
        let dir = entry.path();
        let outcome = leftover_entries(&dir, staging)
            .and_then(|files| remove_owned(&dir, &files).map_err(|e| e.to_string()));
        if let Err(why) = outcome {
            eprintln!(
                "warning: leaving {}, left by an earlier run (process {pid}): it {why}",
                dir.display()
            );
        }
    }
}

/// Where `out` really is: itself, or, if it is a symbolic link to a
/// folder, that folder (written through, so the link stays a link).
fn resolve_out(out: &Path) -> Result<PathBuf> {
    match std::fs::symlink_metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(out.to_path_buf()),
        Err(e) => Err(e).with_context(|| format!("cannot inspect {}", out.display())),
        Ok(m) if m.file_type().is_symlink() => {
            let link = std::fs::read_link(out)
                .with_context(|| format!("cannot read the link {}", out.display()))?;
            match std::fs::canonicalize(out) {
                Ok(real) if real.is_dir() => Ok(real),
                Ok(real) => bail!(
                    "{} is a symbolic link to {}, which is not a folder; choose another output folder",
                    out.display(),
                    real.display()
                ),
                Err(_) => bail!(
                    "{} is a symbolic link to {}, which does not exist; create that folder \
                     or choose another output folder",
                    out.display(),
                    link.display()
                ),
            }
        }
        Ok(m) if m.is_dir() => Ok(out.to_path_buf()),
        Ok(_) => bail!(
            "{} exists and is a file, not a folder; choose another output folder",
            out.display()
        ),
    }
}

/// Writes `files` (name and contents; one must be [`MANIFEST_FILE`],
/// listing them all) as the folder `out`: first into a temporary sibling,
/// then renamed into place, so `out` is complete or untouched.
///
/// An existing `out` is replaced only if it is empty or spikegate's own
/// (module documentation); anything else is refused, naming the folder and
/// what in it spikegate did not write. A symbolic link to a folder is
/// written through: the folder it points to is replaced, the link stays.
/// Staging and set-aside folders of `out` that a killed run left behind are
/// removed first (only when their process is gone and their content is
/// spikegate's).
pub fn write_folder(out: &Path, files: &[(String, String)]) -> Result<()> {
    let manifest = files
        .iter()
        .find(|(name, _)| name == MANIFEST_FILE)
        .with_context(|| format!("{}: nothing to write without a manifest", out.display()))?;
    // The folder must be recognisable as spikegate's the next time, so
    // every file written must be one the manifest lists.
    let listed: serde_json::Value = serde_json::from_str(&manifest.1)?;
    let listed: BTreeSet<&str> = listed["files"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    if let Some((name, _)) = files
        .iter()
        .find(|(name, _)| !listed.contains(name.as_str()) || !is_plain_name(name))
    {
        bail!(
            "{}: the manifest does not list {name} (a spikegate bug)",
            out.display()
        );
    }
    let target = resolve_out(out)?;
    if target.exists() {
        if let Err(why) = owned_entries(&target, false) {
            bail!(
                "{} exists and is not a spikegate output folder: it {why}; spikegate replaces \
                 only a folder it wrote, so choose another output folder or move that folder away",
                display_target(out, &target)
            );
        }
    }
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let name = target
        .file_name()
        .with_context(|| format!("{}: not a folder name", out.display()))?
        .to_string_lossy()
        .into_owned();
    clean_stale(&parent, &name);
    let pid = std::process::id();
    let staging = parent.join(format!(".{name}.partial-{pid}"));
    let result = (|| -> Result<()> {
        std::fs::create_dir(&staging)
            .with_context(|| format!("cannot create {}", staging.display()))?;
        // The manifest first: a staging folder left by kill -9 then shows
        // whose it is, and the next run can remove it.
        let write = |name: &str, text: &str| -> Result<()> {
            let path = staging.join(name);
            std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
        };
        write(MANIFEST_STAGING, &manifest.1)?;
        std::fs::rename(staging.join(MANIFEST_STAGING), staging.join(MANIFEST_FILE))
            .with_context(|| format!("cannot write {}", staging.join(MANIFEST_FILE).display()))?;
        for (file, text) in files.iter().filter(|(n, _)| n != MANIFEST_FILE) {
            write(file, text)?;
        }
        replace(&target, &staging, &parent, &name)
            .with_context(|| format!("cannot move the new output to {}", target.display()))
    })();
    if result.is_err() {
        // The staging folder holds only what this run wrote.
        if let Ok(entries) = owned_entries(&staging, true) {
            let _ = remove_owned(&staging, &entries);
        }
    }
    result
}

/// `out`, and where it leads if that is elsewhere.
fn display_target(out: &Path, target: &Path) -> String {
    if out == target {
        out.display().to_string()
    } else {
        format!("{} (a link to {})", out.display(), target.display())
    }
}

/// Moves `staging` to `target` (checked to be absent, empty or
/// spikegate's own), setting an old `target` aside first and removing it
/// once the new one is in place.
fn replace(target: &Path, staging: &Path, parent: &Path, name: &str) -> Result<()> {
    // An empty folder is replaced by the rename itself (POSIX renames onto
    // an empty folder); a non-empty one makes it fail, never lose data.
    let old_entries = match owned_entries(target, false) {
        Ok(entries) if !entries.is_empty() => entries,
        _ => {
            std::fs::rename(staging, target)?;
            return Ok(());
        }
    };
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    std::fs::rename(target, &old)
        .with_context(|| format!("cannot move the old {} aside", target.display()))?;
    if let Err(e) = std::fs::rename(staging, target) {
        // Put the old output back: the folder is as it was.
        let _ = std::fs::rename(&old, target);
        return Err(e.into());
    }
    let moved: Vec<PathBuf> = old_entries
        .iter()
        .filter_map(|p| p.file_name().map(|n| old.join(n)))
        .collect();
    if let Err(e) = remove_owned(&old, &moved) {
        eprintln!(
            "warning: the earlier output was set aside as {} and could not be removed ({e})",
            old.display()
        );
    }
    Ok(())
}
