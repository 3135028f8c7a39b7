//! spikegate's description of a quantized spiking network.
//!
//! The pipeline starts here: a model file is read ([`load_network`]),
//! checked ([`validate`]) and handed on as a [`ValidNetwork`], the only form
//! the reference model and the hardware generator accept. Spike trains
//! (inputs, results, expected outputs) have their file formats in
//! [`spikes`]. Every field is documented in `docs/model-format.md`; the
//! meaning of every value in `docs/semantics.md`.

#![warn(missing_docs)]

mod de;
pub mod error;
pub mod json_text;
pub mod limits;
pub mod load;
pub mod matrix;
pub mod network;
mod neuron_de;
mod spike_de;
pub mod spikes;
pub mod summary;
pub mod validate;
pub mod width;

use std::path::Path;

pub use error::{Location, ModelError};
pub use matrix::Matrix;
pub use network::{
    Conv2d, Decay, Decode, Delays, Layer, Network, Neuron, Output, Recurrent, Reset, ResetTiming,
    Shape3, SumPool, Widths, MODEL_FORMAT,
};
pub use spikes::{
    DecodedOutput, InputSample, LayerSpikes, ResultFile, SampleResult, Spike, SpikeFile,
    RESULT_FORMAT, SPIKES_FORMAT,
};
pub use summary::Summary;
pub use validate::{validate, ValidNetwork};

/// Reads and validates a model file; errors name the file, layer and field.
pub fn load_network(path: &Path) -> Result<ValidNetwork, ModelError> {
    let network: Network = load::read_json(path)?;
    validate(network).map_err(|e| e.in_file(path))
}

/// Parses and validates model JSON text (no file name in errors).
pub fn parse_network(text: &str) -> Result<ValidNetwork, ModelError> {
    validate(load::parse_json(text)?)
}

/// Reads a spike file and checks it against `network`.
pub fn load_spikes(path: &Path, network: &ValidNetwork) -> Result<SpikeFile, ModelError> {
    let file: SpikeFile = load::read_json(path)?;
    file.check_against(network).map_err(|e| e.in_file(path))?;
    Ok(file)
}
