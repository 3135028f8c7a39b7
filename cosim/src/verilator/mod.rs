//! The `verilator` back end: the exact Verilog that `spikegate gen` wrote,
//! verilated under a harness that registers its inputs ([`harness`]) with a
//! small C++ shim ([`shim`]) into a shared library
//! ([`build`], cached by content), loaded and driven from Rust one call per
//! cycle ([`model`]), optionally compiled with a profile of a training run
//! ([`pgo`]).

pub mod build;
pub mod cache;
pub mod child;
pub mod harness;
pub mod model;
pub mod pgo;
pub mod shim;

pub use build::{build, BuildError, BuildRequest};
pub use model::{LoadError, Verilator, VerilatorLibrary};
