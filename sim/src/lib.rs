//! spikegate's software side of the proof: the bit-exact reference model
//! that executes `docs/semantics.md`, a naive second implementation that
//! checks it, and encoders from dense values to spikes.
//!
//! (The cycle-accurate co-simulator joins this crate with the hardware.)

#![warn(missing_docs)]

pub mod compare;
pub mod decode;
pub mod encode;
pub mod lane;
pub mod maps;
pub mod naive;
pub mod neuron;
pub mod random;
pub mod random_maps;
pub mod reference;
pub mod rng;
pub mod simd;
pub mod synapses;

pub use reference::{sample_result, InputError, Reference, Run, TraceRow};
