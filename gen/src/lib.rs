//! The generator: a validated model to a design folder (the Verilog, its
//! memory images, the board's files and the manifest, [`generate`]; the
//! manifest's format, read back by every reader, [`manifest`]),
//! written completely or not at all and never over what spikegate did not
//! write ([`output`]); the kept-or-temporary folders tool runs work in
//! ([`workdir`]); and when a killed run's leftovers may go ([`process`]).

#![warn(missing_docs)]

pub mod generate;
pub mod manifest;
pub mod output;
pub mod process;
pub mod workdir;
