//! `spikegate bench`: throughput of the reference model on the benchmark
//! network (dense 784-400-10 `ttfs`, 16-bit weights, latency-coded input).

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{ensure, Result};
use spikegate_model::{Spike, ValidNetwork};
use spikegate_sim::random::{bench_network, random_latency_input};
use spikegate_sim::rng::SplitMix64;
use spikegate_sim::simd::{best_simd, Simd};
use spikegate_sim::Reference;

/// Measure the reference model: synaptic operations per second on one
/// core, samples per second on all cores, at several input spike rates.
///
/// The network is a dense 784-400-10 `ttfs` network with random 16-bit
/// weights (seeded); each input spikes once with probability RATE (latency
/// code), so RATE 0.1 means about 78 input spikes per sample. Also times
/// the physical floor: a bare loop adding one 400-wide 16-bit row into
/// 32-bit accumulators per spike, and prints the reference's ratio to it.
#[derive(clap::Args)]
pub struct Args {
    /// Input spike rates to measure (fraction of inputs that spike).
    #[arg(long, value_delimiter = ',', default_values_t = [0.05, 0.1, 0.2])]
    pub rates: Vec<f64>,
    /// Time steps per sample.
    #[arg(long, default_value_t = 32)]
    pub steps: u32,
    /// Samples per measurement.
    #[arg(long, default_value_t = 2000)]
    pub samples: usize,
    /// Threads for the all-cores figure (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Seed of the random network and inputs.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Benchmark this model file instead of the built-in network, on
    /// random rate-coded input: each input spikes in each step with
    /// probability RATE (so try rates such as 0.01,0.02,0.05).
    #[arg(long)]
    pub model: Option<std::path::PathBuf>,
}

struct Measure {
    seconds: f64,
    synaptic_ops: u64,
    hidden_spikes: usize,
}

fn run_all(reference: &mut Reference, inputs: &[Vec<Spike>]) -> Measure {
    let start = Instant::now();
    let mut synaptic_ops = 0;
    let mut hidden_spikes = 0;
    for input in inputs {
        let run = reference
            .run(black_box(input))
            .expect("bench input is valid");
        synaptic_ops += run.synaptic_ops;
        hidden_spikes += run.layers[0].len();
        black_box(&run);
    }
    Measure {
        seconds: start.elapsed().as_secs_f64(),
        synaptic_ops,
        hidden_spikes,
    }
}

/// The floor's loop: for each spike, add its 400-wide i16 row into i32 sums.
#[inline(always)]
fn add_rows(acc: &mut [i32], rows: &[i16], input: &[Spike]) {
    for s in input {
        let j = s.neuron as usize;
        for (a, &w) in acc.iter_mut().zip(&rows[j * 400..(j + 1) * 400]) {
            *a += i32::from(w);
        }
    }
}

spikegate_sim::simd_dispatch!(
    /// [`add_rows`] for the CPU's widest vector tier, as the reference runs.
    fn add_rows_fast(acc: &mut [i32], rows: &[i16], input: &[Spike]) -> () = add_rows
);

/// The floor: synaptic operations per second of the bare row-adding loop,
/// compiled for `simd` (pass `Simd::Baseline` for the loop as plain
/// `cargo build --release` code generation gives it).
fn floor_ops_per_second(rows: &[i16], inputs: &[Vec<Spike>], simd: Simd) -> f64 {
    let mut acc = vec![0i32; 400];
    let start = Instant::now();
    let mut ops = 0u64;
    for input in inputs {
        add_rows_fast(simd, &mut acc, rows, input);
        ops += 400 * input.len() as u64;
        black_box(&mut acc);
    }
    ops as f64 / start.elapsed().as_secs_f64()
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    ensure!(args.samples > 0, "--samples must be at least 1");
    ensure!(args.steps > 0, "--steps must be at least 1");
    ensure!(
        args.rates.iter().all(|r| (0.0..=1.0).contains(r)),
        "--rates must lie between 0 and 1"
    );
    if let Some(model) = &args.model {
        return super::bench_model::run(model, &args.rates, args.samples, args.seed);
    }
    let threads = if args.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        args.threads
    };
    let network = bench_network(args.seed, args.steps);
    let rows: Vec<i16> = network.network().layers[0]
        .weights
        .iter()
        .flatten()
        .map(|&w| w as i16)
        .collect();
    let simd = best_simd();
    println!(
        "reference model benchmark: 784-400-10 ttfs, 16-bit weights, T = {}, {} samples per rate, seed {}, vector tier {:?}",
        args.steps, args.samples, args.seed, simd
    );
    println!(
        "{:>6} {:>9} {:>10} {:>9} {:>9} {:>10} {:>13} {:>13} {:>13}",
        "rate",
        "in spk",
        "hidden spk",
        "syn ops",
        "us/sample",
        "synops/s",
        "base floor",
        "tier floor",
        "samples/s all"
    );
    let mut rng = SplitMix64::new(args.seed ^ 0x5EED);
    for &rate in &args.rates {
        let inputs: Vec<Vec<Spike>> = (0..args.samples)
            .map(|_| random_latency_input(&mut rng, 784, args.steps, rate))
            .collect();
        let in_spikes: usize = inputs.iter().map(Vec::len).sum();
        let mut reference = Reference::new(&network);
        run_all(&mut reference, &inputs[..inputs.len().min(50)]); // warm up
        let one = run_all(&mut reference, &inputs);
        let base_floor = floor_ops_per_second(&rows, &inputs, Simd::Baseline);
        let tier_floor = floor_ops_per_second(&rows, &inputs, simd);
        let all = run_threads(&network, &inputs, threads);
        let ops_per_s = one.synaptic_ops as f64 / one.seconds;
        let per_sample = |x: f64| x / args.samples as f64;
        println!(
            "{:>6.3} {:>9.1} {:>10.1} {:>9.0} {:>9.2} {:>10.3e} {:>6.1e} {:>5.2}x {:>6.1e} {:>5.2}x {:>13.0}",
            rate,
            per_sample(in_spikes as f64),
            per_sample(one.hidden_spikes as f64),
            per_sample(one.synaptic_ops as f64),
            per_sample(one.seconds * 1e6),
            ops_per_s,
            base_floor,
            base_floor / ops_per_s,
            tier_floor,
            tier_floor / ops_per_s,
            args.samples as f64 / all,
        );
    }
    println!("synops/s: one core, the whole reference (routing, neuron sweeps, decoding) over its synaptic operations");
    println!("base floor: synops/s of the bare loop (one i16 row into i32 sums per input spike) as plain release");
    println!("  code generation compiles it, and how many times faster than the reference it is");
    println!("tier floor: the same loop compiled for the vector tier the reference itself runs in");
    println!("samples/s all: {threads} threads, one compiled reference each");
    Ok(ExitCode::SUCCESS)
}

/// Seconds to run `inputs` split over `threads` threads.
fn run_threads(network: &ValidNetwork, inputs: &[Vec<Spike>], threads: usize) -> f64 {
    let chunk = inputs.len().div_ceil(threads);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for part in inputs.chunks(chunk) {
            scope.spawn(move || {
                let mut reference = Reference::new(network);
                run_all(&mut reference, part)
            });
        }
    });
    start.elapsed().as_secs_f64()
}
