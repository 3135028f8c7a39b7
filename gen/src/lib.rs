//! The generator: a validated model to a design folder (the Verilog, its
//! memory images, the board's files and the manifest, [`generate`]),
//! written completely or not at all and never over what spikegate did not
//! write ([`output`]); the co-simulation run over a design ([`cosim`]); and
//! the kept-or-temporary folders tool runs work in ([`workdir`]).

#![warn(missing_docs)]

pub mod cosim;
pub mod generate;
pub mod output;
pub mod workdir;
