//! Spike-train files: input spikes, and the spikes and decoded output a run
//! produces (the `expected.json` of a golden case has the same form).
//!
//! A spike is an event `[step, neuron]`. See `docs/model-format.md`.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::validate::ValidNetwork;

/// Format identifier of input spike files.
pub const SPIKES_FORMAT: &str = "spikegate-spikes/1";
/// Format identifier of run results and expected outputs.
pub const RESULT_FORMAT: &str = "spikegate-result/1";

/// One spike: neuron `neuron` fired (or an input arrived) in step `step`.
/// Written in files as the array `[step, neuron]` (read by `crate::de`,
/// which refuses an array of another length by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "(u32, u32)")]
pub struct Spike {
    /// The time step, `0..T`.
    pub step: u32,
    /// The neuron index within its layer (or the input).
    pub neuron: u32,
}

impl Spike {
    /// A spike of `neuron` at `step`.
    pub fn new(step: u32, neuron: u32) -> Self {
        Spike { step, neuron }
    }
}

impl From<(u32, u32)> for Spike {
    fn from((step, neuron): (u32, u32)) -> Self {
        Spike { step, neuron }
    }
}

impl From<Spike> for (u32, u32) {
    fn from(s: Spike) -> Self {
        (s.step, s.neuron)
    }
}

/// A file of input spike trains, one per sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeFile {
    /// Must be [`SPIKES_FORMAT`].
    pub format: String,
    /// Number of input neurons; must equal the model's `inputs`.
    pub neurons: usize,
    /// Steps per sample; must equal the model's `time_steps`.
    pub time_steps: u32,
    /// The samples, each run from a zero state.
    #[serde(deserialize_with = "crate::de::list")]
    pub samples: Vec<InputSample>,
}

/// The input spikes of one sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSample {
    /// The true class, when known (used for accuracy reports): an output
    /// neuron, `0..` the size of the last layer; `null` is the same as
    /// leaving it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<u32>,
    /// The spikes, in any order; each `(step, neuron)` at most once.
    #[serde(deserialize_with = "crate::de::list")]
    pub events: Vec<Spike>,
}

impl SpikeFile {
    /// A file holding `samples` for `network`'s input.
    pub fn new(network: &ValidNetwork, samples: Vec<InputSample>) -> Self {
        SpikeFile {
            format: SPIKES_FORMAT.to_owned(),
            neurons: network.network().inputs,
            time_steps: network.network().time_steps,
            samples,
        }
    }

    /// The events of every sample, in order.
    pub fn event_lists(&self) -> Vec<Vec<Spike>> {
        self.samples.iter().map(|s| s.events.clone()).collect()
    }

    /// Checks the file against `network`: sizes agree, every event is in
    /// range, no event appears twice in a sample, every label names an
    /// output neuron.
    pub fn check_against(&self, network: &ValidNetwork) -> Result<(), ModelError> {
        let net = network.network();
        if self.format != SPIKES_FORMAT {
            return Err(ModelError::field(
                "format",
                format!("expected \"{SPIKES_FORMAT}\", found \"{}\"", self.format),
            ));
        }
        if self.neurons != net.inputs {
            return Err(ModelError::field(
                "neurons",
                format!(
                    "the model has {} inputs, the spike file {}",
                    net.inputs, self.neurons
                ),
            ));
        }
        if self.time_steps != net.time_steps {
            return Err(ModelError::field(
                "time_steps",
                format!(
                    "the model runs {} steps per sample, the spike file {}",
                    net.time_steps, self.time_steps
                ),
            ));
        }
        // A label is compared with the decoded class, an output neuron; one
        // no output neuron has would count as wrong for every network.
        let outputs = net.layers.last().map_or(0, |l| l.size);
        for (index, sample) in self.samples.iter().enumerate() {
            if let Some(label) = sample.label {
                if label as usize >= outputs {
                    return Err(ModelError::sample(
                        index,
                        "label",
                        format!(
                            "{label} is not an output neuron: the last layer has {outputs}, so a label is 0..={}",
                            outputs.saturating_sub(1)
                        ),
                    ));
                }
            }
            check_events(&sample.events, self.neurons, self.time_steps)
                .map_err(|(k, msg)| ModelError::sample(index, format!("events[{k}]"), msg))?;
        }
        Ok(())
    }
}

/// Checks one sample's events: in range and without repeats. On failure,
/// gives the index of the first bad event and what is wrong with it.
pub fn check_events(events: &[Spike], neurons: usize, steps: u32) -> Result<(), (usize, String)> {
    let mut seen = HashSet::with_capacity(events.len());
    for (k, e) in events.iter().enumerate() {
        if e.step >= steps {
            return Err((
                k,
                format!("step {} is not below time_steps {steps}", e.step),
            ));
        }
        if e.neuron as usize >= neurons {
            return Err((
                k,
                format!("neuron {} is not below the {neurons} inputs", e.neuron),
            ));
        }
        if !seen.insert(*e) {
            return Err((
                k,
                format!(
                    "[{}, {}] appears twice; a neuron spikes at most once a step",
                    e.step, e.neuron
                ),
            ));
        }
    }
    Ok(())
}

/// The result of running samples: every layer's spikes and the decoded
/// output. The `expected.json` of each golden case is such a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultFile {
    /// Must be [`RESULT_FORMAT`].
    pub format: String,
    /// The model's name.
    pub model: String,
    /// Steps per sample.
    pub time_steps: u32,
    /// One entry per input sample, in order.
    #[serde(deserialize_with = "crate::de::list")]
    pub samples: Vec<SampleResult>,
}

/// What one sample produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleResult {
    /// One entry per layer, in order (a readout layer has no events).
    #[serde(deserialize_with = "crate::de::layers")]
    pub layers: Vec<LayerSpikes>,
    /// The decoded answer.
    pub output: DecodedOutput,
}

/// The spikes of one layer in one sample, sorted by step then neuron.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerSpikes {
    /// The layer's display name.
    pub name: String,
    /// Number of neurons in the layer.
    pub neurons: usize,
    /// The spikes, sorted by `(step, neuron)`.
    #[serde(deserialize_with = "crate::de::list")]
    pub events: Vec<Spike>,
}

/// The network's answer for one sample, with the values it was decided on.
///
/// Read by hand (`crate::de`): a derived reader of an internally tagged
/// enum copies the whole object into a generic tree first, several times
/// the size of its lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decode", rename_all = "snake_case")]
pub enum DecodedOutput {
    /// Earliest spike wins; `first_spike_steps[i]` is `T` when `i` never fired.
    FirstSpike {
        /// The winning output neuron.
        class: u32,
        /// Each output neuron's first spike step (`T` if none).
        first_spike_steps: Vec<u32>,
    },
    /// Most spikes win.
    SpikeCount {
        /// The winning output neuron.
        class: u32,
        /// Each output neuron's spike count.
        counts: Vec<u32>,
    },
    /// Largest final membrane wins.
    Readout {
        /// The winning output neuron.
        class: u32,
        /// Each output neuron's membrane after the last step.
        membranes: Vec<i64>,
    },
}

impl DecodedOutput {
    /// The final membranes a readout decided on; empty for the spiking
    /// decodings.
    pub fn membranes(&self) -> &[i64] {
        match self {
            DecodedOutput::Readout { membranes, .. } => membranes,
            _ => &[],
        }
    }

    /// The winning class.
    pub fn class(&self) -> u32 {
        match self {
            DecodedOutput::FirstSpike { class, .. }
            | DecodedOutput::SpikeCount { class, .. }
            | DecodedOutput::Readout { class, .. } => *class,
        }
    }
}
