//! The JSON spec beside a `.npz` archive: what each layer is and which of
//! the archive's arrays hold its parameters (`docs/import.md`), read and
//! checked as a whole before any array is looked at.

use std::path::Path;

use serde::Deserialize;
use spikegate_model::validate::limits;
use spikegate_model::Decode;

use crate::budget::read_limited;
use crate::error::ImportError;

/// Format identifier of the spec file.
pub const SPEC_FORMAT: &str = "spikegate-npz/1";

/// The spec file: what each layer is and which arrays hold its parameters.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Must be [`SPEC_FORMAT`].
    pub format: String,
    /// The network's name (default: the archive's stem).
    #[serde(default)]
    pub name: Option<String>,
    /// Input neurons.
    pub inputs: usize,
    /// Time step in seconds, needed only when a layer gives time constants
    /// (`tau`, `tau_syn`) instead of per-step factors; `--dt` overrides it.
    #[serde(default)]
    pub dt: Option<f64>,
    /// Output decoding (default `spike_count`, or `readout` when the last
    /// layer is `li` or `i`).
    #[serde(default)]
    pub decode: Option<Decode>,
    /// The layers, input side first.
    pub layers: Vec<SpecLayer>,
}

/// A parameter given as a number or as the name of an array in the archive.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// One value for every neuron.
    Number(f64),
    /// An array of the archive: one value or one per neuron.
    Array(String),
}

/// One layer of the spec.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecLayer {
    /// Layer name (default `layer<index>`).
    #[serde(default)]
    pub name: Option<String>,
    /// `if`, `lif`, `cuba` (spiking) or `li`, `i`, `cuba_li` (non-spiking,
    /// last layer only: a readout).
    pub kind: String,
    /// Array holding the weights, `[out, in]` (PyTorch's `Linear.weight`).
    pub weights: String,
    /// Array holding the bias, `[out]` (optional).
    #[serde(default)]
    pub bias: Option<String>,
    /// Membrane decay per step (`lif`, `li`, `cuba`, `cuba_li`).
    #[serde(default)]
    pub beta: Option<Value>,
    /// Membrane time constant in seconds, instead of `beta`
    /// (`beta = 1 - dt / tau`).
    #[serde(default)]
    pub tau: Option<Value>,
    /// Current decay per step (`cuba`, `cuba_li`).
    #[serde(default)]
    pub alpha: Option<Value>,
    /// Current time constant in seconds, instead of `alpha`.
    #[serde(default)]
    pub tau_syn: Option<Value>,
    /// Firing threshold (spiking kinds): a neuron fires when `v > threshold`.
    #[serde(default)]
    pub threshold: Option<Value>,
    /// `zero` (default), `subtract` or `none`.
    #[serde(default)]
    pub reset: Option<String>,
    /// Array of per-synapse delays in steps, `[out, in]` (optional).
    #[serde(default)]
    pub delays: Option<String>,
}

/// Reads the spec at `path`, checking its format, input count and that it
/// has layers (the layers themselves are checked against the archive).
pub(super) fn read_spec(path: &Path) -> Result<Spec, ImportError> {
    let text = read_limited(path)?;
    let text = String::from_utf8(text)
        .map_err(|_| ImportError::file(path, "the spec is not UTF-8 text"))?;
    let mut de = serde_json::Deserializer::from_str(&text);
    let spec: Spec = serde::Deserialize::deserialize(&mut de)
        .map_err(|e| ImportError::file(path, format!("not a valid spec: {e}")))?;
    if spec.format != SPEC_FORMAT {
        return Err(ImportError::field(
            path,
            "format",
            format!("expected \"{SPEC_FORMAT}\", found \"{}\"", spec.format),
        ));
    }
    if spec.inputs == 0 || spec.inputs > limits::MAX_LAYER_SIZE {
        return Err(ImportError::field(
            path,
            "inputs",
            format!(
                "must be between 1 and {}, not {}",
                limits::MAX_LAYER_SIZE,
                spec.inputs
            ),
        ));
    }
    if spec.layers.is_empty() {
        return Err(ImportError::field(path, "layers", "the spec has no layers"));
    }
    Ok(spec)
}

impl Spec {
    /// Refuses a `dt` that is not a positive number of seconds (even when
    /// `--dt` overrides it: the spec is wrong either way).
    pub(super) fn check_dt(&self, path: &Path) -> Result<(), ImportError> {
        match self.dt {
            Some(dt) if !(dt.is_finite() && dt > 0.0) => Err(ImportError::field(
                path,
                "dt",
                format!("must be a positive number of seconds, not {dt}"),
            )),
            _ => Ok(()),
        }
    }
}
