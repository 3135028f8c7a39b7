//! FPGA support: the boards spikegate targets ([`targets`]), the check
//! that a design's memories fit a board's block RAM ([`fit`]), the board
//! wrapper with its UART protocol ([`board`]), and the open-source flow that
//! synthesises, places and routes a generated design folder ([`synth`],
//! with yosys's statistics read in [`yosys`]), every tool run by one
//! runner ([`tools`]).

#![warn(missing_docs)]

pub mod board;
pub mod fit;
pub mod synth;
pub mod targets;
pub mod tools;
pub mod yosys;
