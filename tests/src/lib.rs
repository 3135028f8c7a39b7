//! Shared helpers of the end-to-end tests: where the workspace and its
//! golden cases are, and how to load a case.

#![warn(missing_docs)]

use std::path::{Path, PathBuf};

use spikegate_model::load::read_json;
use spikegate_model::{load_network, load_spikes, ResultFile, SpikeFile, ValidNetwork};

/// The workspace's top folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the workspace")
        .to_path_buf()
}

/// One folder of `golden/`.
pub struct GoldenCase {
    /// The folder name.
    pub name: String,
    /// The validated model.
    pub network: ValidNetwork,
    /// The input spikes.
    pub input: SpikeFile,
    /// The expected spikes of every layer and the decoded outputs.
    pub expected: ResultFile,
}

/// The names of every golden case, sorted.
pub fn golden_case_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(workspace_root().join("golden"))
        .expect("golden/ exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("model.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Loads golden case `name`, panicking with the file's error if any part
/// is missing or invalid (a broken golden case is a failed test).
pub fn load_golden(name: &str) -> GoldenCase {
    let dir = workspace_root().join("golden").join(name);
    let network = load_network(&dir.join("model.json")).unwrap_or_else(|e| panic!("{e}"));
    let input = load_spikes(&dir.join("input.json"), &network).unwrap_or_else(|e| panic!("{e}"));
    let expected: ResultFile =
        read_json(&dir.join("expected.json")).unwrap_or_else(|e| panic!("{e}"));
    GoldenCase {
        name: name.to_owned(),
        network,
        input,
        expected,
    }
}
