//! The quantization report: the discretized network in double precision
//! against the integer reference model on the same sample inputs. This
//! module holds the report's data (what `--report FILE` serializes) and
//! the sample inputs; `compare` measures, `text` prints.

mod alerts;
mod compare;
mod text;

use serde::Serialize;
use spikegate_model::{Decode, Spike};
use spikegate_sim::rng::SplitMix64;

use crate::quantize::LayerQuant;

pub use alerts::{alerts, Alert, AlertKind};
pub use compare::{compare, Comparison};

/// Format identifier of the JSON report.
pub const REPORT_FORMAT: &str = "spikegate-import-report/1";

/// Where the report's sample inputs came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SampleSource {
    /// Random input spikes: each input spikes in each step with probability
    /// `rate`, independently, drawn by SplitMix64 from `seed`.
    Bernoulli {
        /// Number of samples.
        samples: usize,
        /// Spike probability per input per step.
        rate: f64,
        /// Seed of the generator.
        seed: u64,
    },
    /// A user's spike file (`spikegate-spikes/1`).
    File {
        /// The file.
        path: String,
        /// Number of samples in it.
        samples: usize,
    },
}

/// How often the float and integer layers spiked alike.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpikeAgreement {
    /// Fraction of `(sample, step, neuron)` spike bits that are equal.
    pub bits_equal: f64,
    /// Spikes of the float simulation, all samples.
    pub float_spikes: u64,
    /// Spikes of the integer reference, all samples.
    pub int_spikes: u64,
}

/// One layer of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerReport {
    /// What quantization did.
    #[serde(flatten)]
    pub quant: LayerQuant,
    /// Spike agreement (spiking layers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spikes: Option<SpikeAgreement>,
    /// For a readout layer: mean |integer membrane (in float units) - float
    /// membrane| after the last step, relative to the largest |float
    /// membrane|.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readout_error: Option<f64>,
}

/// Agreement of the decoded outputs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputAgreement {
    /// The decoding rule.
    pub decode: Decode,
    /// Samples compared.
    pub samples: usize,
    /// Samples whose winning class is the same in float and integer.
    pub class_equal: usize,
    /// `class_equal / samples` (1 when there are no samples).
    pub class_agreement: f64,
    /// Samples whose decoded values (first-spike steps or spike counts)
    /// are equal too; absent for readout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values_equal: Option<usize>,
    /// Of `class_equal`, the samples where neither spiking output fired a
    /// spike: they agree only because both answer the tie class 0.
    pub class_equal_both_silent: usize,
    /// How many samples each class won on the float side (index = class).
    pub float_classes: Vec<usize>,
    /// How many samples each class won on the integer side.
    pub int_classes: Vec<usize>,
}

/// The quantization report printed by `spikegate import` and written by
/// `--report FILE` (serialize it with `serde_json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Always [`REPORT_FORMAT`].
    pub format: String,
    /// The imported file.
    pub source: String,
    /// Weight width `B`.
    pub weight_bits: u32,
    /// State width `S` (membrane, current, threshold).
    pub state_bits: u32,
    /// Time steps `T`.
    pub time_steps: u32,
    /// The time step in seconds, when one was used.
    pub dt: Option<f64>,
    /// The framework preset (`nir`: the NIR specification alone).
    pub framework: String,
    /// The sample inputs.
    pub inputs: SampleSource,
    /// Per layer.
    pub layers: Vec<LayerReport>,
    /// Decoded-output agreement.
    pub output: OutputAgreement,
    /// Everything the user should know: per-layer approximations, rounded
    /// delays, saturation.
    pub warnings: Vec<String>,
    /// Signs that the import, not quantization, went wrong: silent layers,
    /// agreement between silent outputs, an output that always gives one
    /// class, time constants a wrong `dt` would give. Printed among the
    /// warnings.
    pub alerts: Vec<Alert>,
}

/// Seeded Bernoulli input spikes: `samples` samples of `steps` steps over
/// `inputs` neurons, each spiking with probability `rate` per step.
pub fn bernoulli_inputs(
    inputs: usize,
    steps: u32,
    samples: usize,
    rate: f64,
    seed: u64,
) -> Vec<Vec<Spike>> {
    let mut rng = SplitMix64::new(seed);
    (0..samples)
        .map(|_| {
            let mut events = Vec::new();
            for t in 0..steps {
                for j in 0..inputs {
                    if rng.chance(rate) {
                        events.push(Spike::new(t, j as u32));
                    }
                }
            }
            events
        })
        .collect()
}
