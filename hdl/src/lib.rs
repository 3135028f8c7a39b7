//! spikegate's hardware, as rust-hdl modules assembled from a model.
//!
//! The generator's stages: a validated network becomes a [`plan::HardwarePlan`]
//! (widths, sizes, memory layouts, or a clear error), the plan becomes an
//! [`top::Accelerator`] (rust-hdl blocks: one [`core::Core`] per layer with
//! its [`datapath::Datapath`], an [`fifo::AerFifo`] in front of each, the
//! [`sample_control::SampleControl`]), and [`verilog::emit`] writes it out as
//! Verilog-2005. The co-simulator (crate `spikegate-cosim`) drives the
//! rust-hdl simulation of any design through its fixed top-level ports.
//!
//! Two declarations are shared by everything that names them: the top's
//! port table ([`interface`]: names, directions, widths, meanings, read by
//! the manifest, the co-simulator's harness, shim and waveforms) and the
//! AER stream's beat layout ([`stream`], used by the FIFO, the cores and
//! the top).

#![warn(missing_docs)]

pub mod core;
pub mod cycles;
pub mod datapath;
pub mod fifo;
pub mod interface;
pub mod lowest_set_bit;
pub mod memory;
pub mod pe;
pub mod plan;
pub mod sample_control;
pub mod simple_core;
pub mod spike_list;
pub mod stream;
pub mod top;
pub mod verilog;
pub mod walk;

pub use plan::{plan, BuildOptions, HardwarePlan, PlanError};
