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
    /// Per core: `4 * (chunks + neurons) + 16`, a generous bound on the
    /// cycles one beat may cost (the cycle budget of a sample).
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
            beat_cost: plan
                .cores
                .iter()
                .map(|c| 4 * (c.chunks + c.neurons) as u64 + 16)
                .sum(),
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

    /// The build options the design was generated with.
    pub fn options(&self) -> BuildOptions {
        BuildOptions {
            pe: self.pe,
            taps: self.taps,
            fifo_depth: self.fifo_depth,
        }
    }
}
