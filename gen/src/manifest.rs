//! The design folder's contract: `manifest.json`, what it says of the
//! design, and reading it back. `spikegate gen` writes it
//! ([`crate::generate`]); the co-simulator and build scripts read it with
//! [`Manifest::read`], so the format is declared once.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use spikegate_hdl::interface;
use spikegate_hdl::BuildOptions;

/// Format identifier of `manifest.json`.
pub const MANIFEST_FORMAT: &str = "spikegate-manifest/1";
/// The manifest's file name in a design folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// The manifest: what a harness or a build script needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`].
    pub format: String,
    /// Generator name and version.
    pub generator: String,
    /// Model name.
    pub model: String,
    /// [`crate::generate::design_hash`] of the model and options the design
    /// was generated from: `cosim --design` refuses a folder whose hash is
    /// not the model's, or that records none (spikegate before it was
    /// recorded).
    #[serde(default)]
    pub model_hash: Option<String>,
    /// Top-level module.
    pub top: String,
    /// Time steps per sample.
    pub time_steps: u32,
    /// Input neurons.
    pub inputs: usize,
    /// Processing elements asked for (`--pe`).
    pub pe: usize,
    /// Depth of each AER FIFO.
    pub fifo_depth: usize,
    /// Whether hidden layers have tap ports.
    pub taps: bool,
    /// The board, if one was chosen.
    pub target: Option<String>,
    /// Top-level ports.
    pub ports: Vec<Port>,
    /// One entry per core.
    pub cores: Vec<CoreEntry>,
    /// Block RAM bits of all memories together.
    pub memory_bits: usize,
    /// The cycle formula (docs/hardware.md).
    pub cycle_formula: String,
    /// Files written.
    pub files: Vec<String>,
}

/// One top-level port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Port {
    /// Name.
    pub name: String,
    /// `in` or `out`.
    pub direction: interface::Direction,
    /// Bits.
    pub width: usize,
    /// What it carries.
    pub meaning: String,
}

/// One core in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoreEntry {
    /// Layer index.
    pub layer: usize,
    /// Layer name.
    pub name: String,
    /// Core module name.
    pub module: String,
    /// Neuron kind.
    pub kind: String,
    /// Neurons.
    pub neurons: usize,
    /// Presynaptic neurons.
    pub fan_in: usize,
    /// Processing elements of this core.
    pub pe: usize,
    /// Neuron chunks (`ceil(neurons / pe)`).
    pub chunks: usize,
    /// Weight memory: rows, bits a row, bits in all, image file.
    pub weight_memory: Memory,
    /// Neuron memory.
    pub state_memory: Memory,
    /// The spike decode table of a layer with maps (conv or pool): per
    /// presynaptic neuron, where its walk starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decode_table: Option<Memory>,
    /// The spike list of a recurrent layer: its spikes of a step, replayed
    /// into it in the next (distributed RAM, not initialised).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spike_list: Option<Memory>,
}

/// A memory's size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    /// Words.
    pub words: usize,
    /// Bits a word.
    pub word_bits: usize,
    /// Bits in all.
    pub bits: usize,
    /// `$readmemh` image, if the memory is initialised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// A design folder that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ManifestError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl Manifest {
    /// Reads `dir/manifest.json`.
    pub fn read(dir: &Path) -> Result<Self, ManifestError> {
        let path = dir.join(MANIFEST_FILE);
        let err = |message: String| ManifestError {
            path: path.clone(),
            message,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            err(format!(
                "cannot read it ({e}); is this a folder written by `spikegate gen`?"
            ))
        })?;
        let manifest: Manifest = serde_json::from_str(&text)
            .map_err(|e| err(format!("not a spikegate manifest: {e}")))?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(err(format!(
                "format `{}` is not {MANIFEST_FORMAT}",
                manifest.format
            )));
        }
        Ok(manifest)
    }

    /// The build options the design was generated with.
    pub fn options(&self) -> BuildOptions {
        BuildOptions {
            pe: self.pe,
            taps: self.taps,
            fifo_depth: self.fifo_depth,
        }
    }

    /// Checks every memory image the manifest lists in `dir` against the
    /// memory's shape: as many lines as the memory has words, each a word
    /// of hexadecimal digits no wider than the word. Verilator's
    /// `$readmemh` aborts the whole process on a bad image, so a folder
    /// edited by hand is checked before it is built.
    pub fn check_images(&self, dir: &Path) -> Result<(), ManifestError> {
        let images = self.cores.iter().enumerate().flat_map(|(l, core)| {
            std::iter::once(&core.weight_memory)
                .chain(&core.decode_table)
                .map(move |memory| (l, memory))
        });
        for (l, memory) in images {
            let Some(file) = &memory.file else {
                continue;
            };
            let path = dir.join(file);
            let err = |message: String| ManifestError {
                path: path.clone(),
                message,
            };
            let text = std::fs::read_to_string(&path)
                .map_err(|e| err(format!("cannot read the memory image of core {l} ({e})")))?;
            check_image(&text, memory.words as u64, memory.word_bits as u64).map_err(err)?;
        }
        Ok(())
    }
}

/// Checks a `$readmemh` image of `words` words of `bits` bits.
fn check_image(text: &str, words: u64, bits: u64) -> Result<(), String> {
    let digits = bits.div_ceil(4) as usize;
    let mut lines = 0u64;
    for (n, line) in text.lines().enumerate() {
        lines += 1;
        if line.is_empty() || line.len() > digits || !line.bytes().all(|b| b.is_ascii_hexdigit()) {
            let shown: String = line.chars().take(40).collect();
            return Err(format!(
                "line {} is not a word of at most {digits} hexadecimal digits: `{shown}`",
                n + 1
            ));
        }
    }
    if lines != words {
        return Err(format!(
            "{lines} words, the memory has {words} (one a line)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_image;

    #[test]
    fn images_of_the_wrong_shape_are_named() {
        assert_eq!(check_image("0a\nff\n", 2, 8), Ok(()));
        assert!(check_image("0a\nzz\n", 2, 8)
            .unwrap_err()
            .contains("line 2"));
        assert!(check_image("0a\n1ff\n", 2, 8)
            .unwrap_err()
            .contains("at most 2"));
        assert!(check_image("0a\n", 2, 8)
            .unwrap_err()
            .contains("1 words, the memory has 2"));
        assert!(check_image("0a\n\n0b\n", 3, 8).is_err());
    }
}
