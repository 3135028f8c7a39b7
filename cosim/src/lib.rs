//! spikegate's co-simulator: the generated accelerator run cycle by cycle
//! and every spike it emits checked against the reference model.
//!
//! The parts, after the usual verification split:
//!
//! - [`backend`]: one cycle of a design through its fixed top-level ports
//!   ([`ports`]), behind one trait, with three implementations: the Verilog
//!   that `spikegate gen` wrote, compiled by Verilator and loaded as a
//!   shared library ([`verilator`]); the rust-hdl simulation of the same
//!   module tree ([`rusthdl`]); and both at once, compared on every cycle
//!   ([`lockstep`]).
//! - [`driver`]: turns a sample's input spikes into AER beats with
//!   end-of-step markers, offered with seeded random gaps, while the output
//!   is drained with seeded random back-pressure.
//! - [`monitor`]: collects every observed stream (the taps of the hidden
//!   layers and the output) into spikes with their step.
//! - [`checker`]: compares them in order with the reference model and names
//!   the first differing sample, layer, step and neuron.
//! - [`session`]: reset, `start`, one sample to `done`; [`parallel`] runs
//!   many samples on several threads, each with its own model instance.
//! - [`vcd`]: a waveform of the top-level ports, for back ends that have
//!   no waveform of their own.
//! - [`run`]: the whole co-simulation of a model as `spikegate cosim` runs
//!   it: the design generated (or a `spikegate gen` folder, proven to
//!   belong to the model), the back end prepared, every sample run and
//!   checked against the reference, a waveform around a mismatch; and
//!   [`report`]: what the run found (per-sample reports, tallies, the
//!   expected-file comparison, accuracy).

#![warn(missing_docs)]

pub mod backend;
pub mod checker;
pub mod design;
pub mod driver;
pub mod lockstep;
pub mod monitor;
pub mod parallel;
pub mod ports;
pub mod report;
pub mod run;
pub mod rusthdl;
pub mod session;
pub mod vcd;
pub mod verilator;

pub use backend::{Backend, BackendError};
pub use checker::{check_sample, Mismatch};
pub use design::DesignInfo;
pub use driver::Pacing;
pub use session::{SampleRun, Session, SessionError};
