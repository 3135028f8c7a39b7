//! `spikegate bench-cosim`: co-simulation speed on Verilator and rust-hdl,
//! measured in one run, with every sample checked against the reference.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use spikegate_hdl::BuildOptions;
use spikegate_model::{Spike, ValidNetwork};
use spikegate_sim::random::random_latency_input;
use spikegate_sim::rng::SplitMix64;

use crate::commands::bench::{bench_network, bench_network_shaped};
use crate::cosim::{prepare, run_all, BackendChoice, CosimOptions};

/// Measure the co-simulator: simulated cycles per second and samples per
/// second on the `verilator` and `rusthdl` back ends, and their ratio.
///
/// Networks: a small dense 64-32-10 `ttfs` network and the 784-400-10
/// `ttfs` benchmark network (16-bit weights, T = 32, latency-coded input
/// at RATE). Each back end runs on one thread first (the ratio compares
/// like with like), then Verilator on all cores. Every sample is checked
/// against the reference model; any mismatch fails the command.
#[derive(clap::Args)]
pub struct Args {
    /// Samples per network on Verilator (rust-hdl runs a tenth, at least 2).
    #[arg(long, default_value_t = 200)]
    pub samples: usize,
    /// Processing elements per core.
    #[arg(long, default_value_t = 1)]
    pub pe: usize,
    /// Input spike rate.
    #[arg(long, default_value_t = 0.1)]
    pub rate: f64,
    /// Seed of the networks and inputs.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

struct Speed {
    cycles_per_second: f64,
    samples_per_second: f64,
    cycles_per_sample: f64,
}

fn measure(
    network: &ValidNetwork,
    samples: &[Vec<Spike>],
    backend: BackendChoice,
    pe: usize,
    threads: usize,
) -> Result<Speed> {
    let build = BuildOptions {
        pe,
        taps: true,
        ..BuildOptions::default()
    };
    let options = CosimOptions {
        threads,
        ..CosimOptions::new(build, Some(backend))
    };
    let prepared = prepare(network, &options)?;
    let started = Instant::now();
    let outcomes = run_all(&prepared, network, samples, &|_| {})?;
    let seconds = started.elapsed().as_secs_f64();
    let mut cycles = 0u64;
    for (i, o) in outcomes.into_iter().enumerate() {
        let o = o?;
        if let Some(m) = o.mismatch {
            bail!("{backend:?}: {m}");
        }
        if o.hardware.cycles == 0 {
            bail!("sample {i} took no cycles");
        }
        cycles += o.hardware.cycles;
    }
    Ok(Speed {
        cycles_per_second: cycles as f64 / seconds,
        samples_per_second: samples.len() as f64 / seconds,
        cycles_per_sample: cycles as f64 / samples.len() as f64,
    })
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    let steps = 32;
    let networks = [
        bench_network_shaped(
            args.seed,
            steps,
            64,
            &[32, 10],
            40_000,
            "bench-64-32-10-ttfs",
        ),
        bench_network(args.seed, steps),
    ];
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "T = {steps}, input rate {}, P = {}, {} samples on Verilator; cycles/s and samples/s",
        args.rate, args.pe, args.samples
    );
    println!(
        "{:<22} {:>10} {:>12} {:>12} {:>12} {:>12} {:>8} {:>14}",
        "network",
        "cyc/sample",
        "rusthdl c/s",
        "verilator c/s",
        "rusthdl s/s",
        "verilator s/s",
        "ratio",
        format!("verilator x{cores} s/s")
    );
    for network in &networks {
        let inputs = network.network().inputs;
        let mut rng = SplitMix64::new(args.seed ^ 0xc051);
        let samples: Vec<Vec<Spike>> = (0..args.samples.max(2))
            .map(|_| random_latency_input(&mut rng, inputs, steps, args.rate))
            .collect();
        let few = &samples[..(samples.len() / 10).max(2)];
        let slow = measure(network, few, BackendChoice::Rusthdl, args.pe, 1)?;
        let fast = measure(network, &samples, BackendChoice::Verilator, args.pe, 1)?;
        let parallel = measure(network, &samples, BackendChoice::Verilator, args.pe, cores)?;
        println!(
            "{:<22} {:>10.0} {:>12.3e} {:>12.3e} {:>12.1} {:>12.1} {:>8.1} {:>14.1}",
            network.network().name,
            fast.cycles_per_sample,
            slow.cycles_per_second,
            fast.cycles_per_second,
            slow.samples_per_second,
            fast.samples_per_second,
            fast.cycles_per_second / slow.cycles_per_second,
            parallel.samples_per_second
        );
    }
    Ok(ExitCode::SUCCESS)
}
