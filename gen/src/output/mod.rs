//! Writing spikegate's outputs completely or not at all, and never over
//! what spikegate did not write: single files ([`file`]: result files,
//! reports, models) and output folders ([`folder`]: `gen --out`,
//! `synth --out`).

mod file;
mod folder;

pub use file::{check_writable, write_all_atomically, write_atomically, write_json};
pub use folder::{remove_if_stale, write_folder, MANIFEST_FILE};
