//! How much memory reading a file may take, bounded by the file's own size.
//!
//! A compressed `.npz` member or an HDF5 dataset declares how large it is
//! once unpacked, and a hostile (or damaged) file can declare gigabytes in a
//! few kilobytes. The readers therefore charge every allocation whose size
//! comes from the file against one budget per file, *before* allocating:
//! [`MEMORY_FACTOR`] times the file's size plus [`MEMORY_CONSTANT`]. With
//! the file's own bytes in memory beside it, a reader's peak stays at most
//! `(MEMORY_FACTOR + 1) x file size + MEMORY_CONSTANT` (plus the small,
//! fixed overhead of the reader itself). Files over [`MAX_FILE_BYTES`] are
//! refused before they are read at all ([`read_limited`]).

use std::path::Path;

use crate::error::ImportError;

/// Bytes a reader may allocate per byte of its input file. Three covers an
/// uncompressed float32 archive read as `f64` (the member's bytes, then
/// twice as many bytes of values).
pub const MEMORY_FACTOR: u64 = 3;

/// Bytes a reader may allocate whatever the file's size, so that small but
/// legitimately well-compressed files (a `np.savez_compressed` archive of
/// mostly zero weights) still import: 256 MiB.
pub const MEMORY_CONSTANT: u64 = 256 << 20;

/// The bytes a reader may allocate for a file of `file_len` bytes.
pub fn memory_budget(file_len: u64) -> u64 {
    file_len
        .saturating_mul(MEMORY_FACTOR)
        .saturating_add(MEMORY_CONSTANT)
}

/// What is left of one file's budget.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    total: u64,
    used: u64,
}

impl Budget {
    /// The budget of a file of `file_len` bytes.
    pub(crate) fn for_file(file_len: u64) -> Self {
        Budget {
            total: memory_budget(file_len),
            used: 0,
        }
    }

    /// The whole budget, in bytes.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// Takes `bytes` from the budget, or says (in words for a message) why
    /// it cannot: `what` names the allocation ("the member unpacks to ...").
    pub(crate) fn take(&mut self, bytes: u64, what: &str) -> Result<(), String> {
        match self.used.checked_add(bytes) {
            Some(used) if used <= self.total => {
                self.used = used;
                Ok(())
            }
            _ => Err(format!(
                "{what} {bytes} bytes; with what the file declared before it, that is more than the {} bytes spikegate allows for this file ({MEMORY_FACTOR} x its size + {} MiB), so it is refused before anything is allocated",
                self.total,
                MEMORY_CONSTANT >> 20
            )),
        }
    }
}

/// Files larger than this are refused before they are read.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// The bytes of the file at `path`, refusing files over [`MAX_FILE_BYTES`].
pub(crate) fn read_limited(path: &Path) -> Result<Vec<u8>, ImportError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| ImportError::file(path, format!("cannot read the file: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(ImportError::file(
            path,
            format!(
                "the file is {} bytes; files larger than {MAX_FILE_BYTES} bytes are refused",
                meta.len()
            ),
        ));
    }
    std::fs::read(path).map_err(|e| ImportError::file(path, format!("cannot read the file: {e}")))
}
