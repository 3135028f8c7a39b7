//! The `spikegate` command line's commands, as a library so that tests can
//! reach them, and the hardware generator's output stage.

#![warn(missing_docs)]

pub mod board;
pub mod commands;
pub mod cosim;
pub mod fit;
pub mod generate;
pub mod output;
pub mod synth;
pub mod targets;
pub mod yosys;
