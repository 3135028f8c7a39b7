//! A design folder for a tool run: one the user keeps (`--out`), or a
//! temporary one that is removed afterwards, and whose leftovers from
//! killed runs the next run removes.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use spikegate_fpga::tools::ToolDir;

use crate::output::write_folder;

/// Where a tool run works on a design folder (synthesis, the benchmarks'
/// yosys runs): a folder kept for the user, or a
/// temporary one removed afterwards.
pub struct WorkDir {
    path: PathBuf,
    keep: bool,
}

impl WorkDir {
    /// `keep` if given (written completely, like `spikegate gen --out`,
    /// and only over an earlier spikegate output), else a fresh temporary
    /// folder named after `tag`, removed when this is dropped.
    pub fn new(keep: Option<&Path>, tag: &str, files: &[(String, String)]) -> Result<Self> {
        if let Some(p) = keep {
            write_folder(p, files)?;
            return Ok(WorkDir {
                path: p.to_path_buf(),
                keep: true,
            });
        }
        let temp = std::env::temp_dir();
        remove_stale_temp(&temp);
        // A name no one holds: a folder of the same name (another user's,
        // or one a killed run left under a reused process id) is never
        // written over or deleted.
        let stem = format!("{TEMP_PREFIX}{tag}-{}", std::process::id());
        let path = (0u32..)
            .map(|n| temp.join(format!("{stem}-{n}")))
            .find(|p| std::fs::symlink_metadata(p).is_err())
            .context("no free name for a temporary folder")?;
        write_folder(&path, files)?;
        Ok(WorkDir { path, keep: false })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the folder stays after the run (`--out`).
    pub fn kept(&self) -> bool {
        self.keep
    }

    /// The folder as the FPGA tools see it.
    pub fn tools(&self) -> ToolDir<'_> {
        ToolDir {
            path: &self.path,
            kept: self.keep,
        }
    }
}

/// How temporary synthesis folders are named: this, the tag, the process
/// id and a number.
const TEMP_PREFIX: &str = "spikegate-synth-";

/// Removes the temporary synthesis folders in `temp` that runs killed
/// before they could remove them left (their process is gone and their
/// content is spikegate's; anything else is left alone).
fn remove_stale_temp(temp: &Path) {
    let Ok(read) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in read.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(TEMP_PREFIX)) else {
            continue;
        };
        // `TAG-PID-N`, where the tag may hold dashes itself.
        if let Some(pid) = crate::process::owner_of(rest) {
            crate::output::remove_if_stale(&entry.path(), pid);
        }
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
