//! What the co-simulator needs to know of a design: its layers, whether
//! hidden layers are tapped, its steps and inputs — from the plan it was
//! built from, or from the `manifest.json` that `spikegate gen` wrote.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use spikegate_hdl::{BuildOptions, HardwarePlan};

/// The shape of a generated design, as the host sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesignInfo {
    /// Cores (layers); the last one drives the output stream.
    pub layers: usize,
    /// Whether hidden layers `0..layers-1` have tap ports.
    pub taps: bool,
    /// Time steps per sample.
    pub time_steps: u32,
    /// Input neurons.
    pub inputs: usize,
    /// The build options the design was generated with.
    pub options: BuildOptions,
    /// A generous bound on the cycles one beat may cost
    /// ([`spikegate_hdl::cycles::beat_cycle_budget`]).
    pub beat_cost: u64,
    /// Neurons of the last layer when it is a readout layer (its beats
    /// carry final membranes instead of spikes).
    pub readout: Option<usize>,
}

impl DesignInfo {
    /// The shape of the design built from `plan`.
    pub fn from_plan(plan: &HardwarePlan) -> Self {
        DesignInfo {
            layers: plan.cores.len(),
            taps: plan.options.taps,
            time_steps: plan.time_steps,
            inputs: plan.inputs,
            options: plan.options,
            beat_cost: spikegate_hdl::cycles::beat_cycle_budget(plan),
            readout: plan.cores.last().filter(|c| c.readout).map(|c| c.neurons),
        }
    }

    /// Tap streams the design brings out.
    pub fn tap_count(&self) -> usize {
        if self.taps {
            self.layers - 1
        } else {
            0
        }
    }

    /// The layers whose spikes the host sees: every layer with taps, else
    /// only the last.
    pub fn observed(&self, layer: usize) -> bool {
        self.taps || layer + 1 == self.layers
    }
}

/// The part of `manifest.json` the co-simulator reads.
#[derive(Debug, Deserialize)]
pub struct Manifest {
    /// Must be `spikegate-manifest/1`.
    pub format: String,
    /// Hash of the model and options the design was generated from
    /// (absent in folders of spikegate before it was recorded).
    #[serde(default)]
    pub model_hash: Option<String>,
    /// The board, if the design was generated for one.
    #[serde(default)]
    pub target: Option<String>,
    /// Time steps per sample.
    pub time_steps: u32,
    /// Input neurons.
    pub inputs: usize,
    /// `--pe`.
    pub pe: usize,
    /// `--fifo-depth`.
    pub fifo_depth: usize,
    /// `--taps`.
    pub taps: bool,
    /// Top-level module.
    pub top: String,
    /// One entry per core.
    pub cores: Vec<serde_json::Value>,
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
        let path = dir.join("manifest.json");
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
        if manifest.format != "spikegate-manifest/1" {
            return Err(err(format!(
                "format `{}` is not spikegate-manifest/1",
                manifest.format
            )));
        }
        Ok(manifest)
    }

    /// Checks every memory image the manifest lists in `dir` against the
    /// memory's shape: as many lines as the memory has words, each a word
    /// of hexadecimal digits no wider than the word. Verilator's
    /// `$readmemh` aborts the whole process on a bad image, so a folder
    /// edited by hand is checked before it is built.
    pub fn check_images(&self, dir: &Path) -> Result<(), ManifestError> {
        for (l, core) in self.cores.iter().enumerate() {
            let memory = &core["weight_memory"];
            let (Some(file), Some(words), Some(bits)) = (
                memory["file"].as_str(),
                memory["words"].as_u64(),
                memory["word_bits"].as_u64(),
            ) else {
                continue;
            };
            let path = dir.join(file);
            let err = |message: String| ManifestError {
                path: path.clone(),
                message,
            };
            let text = std::fs::read_to_string(&path)
                .map_err(|e| err(format!("cannot read the weight image of core {l} ({e})")))?;
            check_image(&text, words, bits).map_err(err)?;
        }
        Ok(())
    }

    /// The build options the design was generated with.
    pub fn options(&self) -> BuildOptions {
        BuildOptions {
            pe: self.pe,
            taps: self.taps,
            fifo_depth: self.fifo_depth,
        }
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
