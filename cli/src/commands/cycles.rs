//! Cycles per sample measured on Verilator beside the cycle formula, with
//! every spike checked against the reference: what the hardware
//! benchmarks (`bench-conv`, `bench-delays`, `bench-recurrent`) report.

use anyhow::{bail, Result};
use spikegate_cosim::run::{prepare, run_all, BackendChoice, CosimOptions, Prepared};
use spikegate_hdl::BuildOptions;
use spikegate_model::{Spike, ValidNetwork};

/// Means a sample over the samples run.
pub struct Cycles {
    /// Cycles the hardware took.
    pub measured: u64,
    /// The formula's lower bound.
    pub bound: u64,
    /// The formula's serial count (no overlap of the cores).
    pub serial: u64,
    /// Weight additions, idle lanes included.
    pub lane_operations: u64,
}

/// Builds `network` with `build`, runs `samples` on Verilator and returns
/// the design with its mean cycles; an error at the first sample whose
/// spikes differ from the reference.
pub fn on_verilator(
    network: &ValidNetwork,
    samples: &[Vec<Spike>],
    build: BuildOptions,
) -> Result<(Prepared, Cycles)> {
    let prepared = prepare(
        network,
        &CosimOptions::new(build, Some(BackendChoice::Verilator)),
    )?;
    let mut sum = Cycles {
        measured: 0,
        bound: 0,
        serial: 0,
        lane_operations: 0,
    };
    for (i, o) in run_all(&prepared, network, samples, &|_| {})?
        .into_iter()
        .enumerate()
    {
        let o = o?;
        if let Some(m) = o.mismatch {
            bail!("sample {i}: {m}");
        }
        sum.measured += o.hardware.cycles;
        sum.bound += o.estimate.lower_bound;
        sum.serial += o.estimate.serial;
        sum.lane_operations += o.estimate.lane_operations;
    }
    let n = samples.len().max(1) as u64;
    let mean = Cycles {
        measured: sum.measured / n,
        bound: sum.bound / n,
        serial: sum.serial / n,
        lane_operations: sum.lane_operations / n,
    };
    Ok((prepared, mean))
}
