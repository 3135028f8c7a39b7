//! spikegate's pictures, as SVG or PNG (the path's extension chooses).
//!
//! Each plot is a plain-data type with a `draw` into a file:
//!
//! - [`raster::Raster`]: one sample's spikes, one panel per layer (the
//!   input too), the hardware's dots over the reference's rings, every
//!   disagreement a red cross at its step and neuron;
//! - [`activity::Activity`]: mean spikes per step of every layer across a
//!   run;
//! - [`design_space::DesignSpace`]: logic cells against latency, one series
//!   per network, each point labelled with its P;
//! - [`import_report::ImportAgreement`]: the import report's float-vs-integer
//!   agreement per layer, as grouped bars;
//! - [`ssr::SsrCurve`]: lane operations and latency against hidden spikes
//!   at each sparse-firing regularization strength.
//!
//! [`read`] turns the files other commands write (design-space tables,
//! import reports, SSR curves) into that data, with errors that name the
//! file and field. Text is measured (and in PNG drawn) with an embedded
//! font, so no system font is needed ([`canvas`]).

#![warn(missing_docs)]

pub mod activity;
pub mod canvas;
pub mod design_space;
mod error;
pub mod import_report;
pub mod raster;
pub mod read;
pub mod ssr;
mod style;

pub use error::PlotError;
