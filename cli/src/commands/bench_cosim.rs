//! `spikegate bench-cosim`: co-simulation speed on Verilator and rust-hdl,
//! measured in one run, with every sample checked against the reference.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use spikegate_hdl::BuildOptions;
use spikegate_model::{Spike, ValidNetwork};
use spikegate_sim::random::random_latency_input;
use spikegate_sim::rng::SplitMix64;

use spikegate_cosim::run::{prepare, run_all, BackendChoice, CosimOptions, Prepared};
use spikegate_sim::random::{bench_network, bench_network_shaped};

/// Measure the co-simulator: simulated cycles per second and samples per
/// second on the `verilator` and `rusthdl` back ends, and their ratio.
///
/// Networks: a small dense 64-32-10 `ttfs` network and the 784-400-10
/// `ttfs` benchmark network (16-bit weights, T = 32, latency-coded input
/// at RATE). Three configurations run on one thread each (the ratios
/// compare like with like): rust-hdl, Verilator, and Verilator built with
/// profile guidance (`cosim --pgo`). Each is timed in ROUNDS interleaved
/// rounds of at least SECONDS (the sample set is repeated as needed) and
/// the median round is reported (each ratio is the median of the rounds'
/// ratios), which keeps the figures steady on a shared machine. Then the
/// profile-guided build runs on all cores. Every sample is checked against
/// the reference model; any mismatch fails the command.
#[derive(clap::Args)]
pub struct Args {
    /// Distinct samples per network.
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
    /// Rounds per configuration (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Least wall time of one round, in seconds.
    #[arg(long, default_value_t = 1.0)]
    pub seconds: f64,
    /// Measure only this network.
    #[arg(long, value_enum)]
    pub only: Option<BenchNetwork>,
    /// Skip the rust-hdl back end (no ratios).
    #[arg(long)]
    pub no_rusthdl: bool,
}

/// The benchmark networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchNetwork {
    /// The dense 64-32-10 network.
    Small,
    /// The 784-400-10 network.
    Large,
}

/// One round's figures.
#[derive(Clone, Copy)]
struct Speed {
    cycles_per_second: f64,
    samples_per_second: f64,
    cycles_per_sample: f64,
}

/// Runs `samples` on `prepared` (repeating them) for at least `seconds`.
fn measure(
    prepared: &Prepared,
    network: &ValidNetwork,
    samples: &[Vec<Spike>],
    seconds: f64,
) -> Result<Speed> {
    let started = Instant::now();
    let (mut cycles, mut runs) = (0u64, 0usize);
    while runs == 0 || started.elapsed().as_secs_f64() < seconds {
        // At most 64 samples between looks at the clock: rust-hdl takes
        // about a second a sample on the large network.
        let start = runs % samples.len();
        let chunk = &samples[start..(start + 64).min(samples.len())];
        for (i, o) in run_all(prepared, network, chunk, &|_| {})?
            .into_iter()
            .enumerate()
        {
            let o = o?;
            if let Some(m) = o.mismatch {
                bail!("{:?}: {m}", prepared.backend);
            }
            if o.hardware.cycles == 0 {
                bail!("sample {i} took no cycles");
            }
            cycles += o.hardware.cycles;
        }
        runs += chunk.len();
    }
    let wall = started.elapsed().as_secs_f64();
    Ok(Speed {
        cycles_per_second: cycles as f64 / wall,
        samples_per_second: runs as f64 / wall,
        cycles_per_sample: cycles as f64 / runs as f64,
    })
}

/// The median round by cycles per second.
fn median(mut rounds: Vec<Speed>) -> Speed {
    rounds.sort_by(|a, b| a.cycles_per_second.total_cmp(&b.cycles_per_second));
    rounds[rounds.len() / 2]
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    if args.rounds == 0 || args.samples == 0 || args.seconds.is_nan() || args.seconds <= 0.0 {
        bail!("--rounds, --samples and --seconds must be above 0");
    }
    let steps = 32;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "T = {steps}, input rate {}, P = {}, {} samples, median of {} rounds of at least {} s; \
         one thread unless marked",
        args.rate, args.pe, args.samples, args.rounds, args.seconds
    );
    println!(
        "{:<22} {:>10} {:>11} {:>11} {:>11} {:>7} {:>7} {:>11} {:>11}",
        "network",
        "cyc/sample",
        "rusthdl c/s",
        "verilat c/s",
        "+pgo c/s",
        "ratio",
        "+pgo",
        "+pgo s/s",
        format!("x{cores} s/s")
    );
    for which in [BenchNetwork::Small, BenchNetwork::Large] {
        if args.only.is_some_and(|o| o != which) {
            continue;
        }
        let network = &match which {
            BenchNetwork::Small => bench_network_shaped(
                args.seed,
                steps,
                64,
                &[32, 10],
                40_000,
                "bench-64-32-10-ttfs",
            ),
            BenchNetwork::Large => bench_network(args.seed, steps),
        };
        let inputs = network.network().inputs;
        let mut rng = SplitMix64::new(args.seed ^ 0xc051);
        let samples: Vec<Vec<Spike>> = (0..args.samples)
            .map(|_| random_latency_input(&mut rng, inputs, steps, args.rate))
            .collect();
        let build = BuildOptions {
            pe: args.pe,
            taps: true,
            ..BuildOptions::default()
        };
        let config = |backend, profile_guided: bool, threads| CosimOptions {
            threads,
            profile_guided: profile_guided.then(|| samples.clone()),
            ..CosimOptions::new(build, Some(backend))
        };
        let slow = if args.no_rusthdl {
            None
        } else {
            Some(prepare(network, &config(BackendChoice::Rusthdl, false, 1))?)
        };
        let fast = prepare(network, &config(BackendChoice::Verilator, false, 1))?;
        let guided = prepare(network, &config(BackendChoice::Verilator, true, 1))?;
        // Each round times the three back to back, so a slow spell of the
        // machine hits a round's figures alike; ratios are taken per round.
        let mut rounds: Vec<[Option<Speed>; 3]> = Vec::new();
        for _ in 0..args.rounds {
            let mut round = [None; 3];
            for (prepared, figure) in [slow.as_ref(), Some(&fast), Some(&guided)]
                .into_iter()
                .zip(&mut round)
            {
                if let Some(prepared) = prepared {
                    *figure = Some(measure(prepared, network, &samples, args.seconds)?);
                }
            }
            rounds.push(round);
        }
        let column = |i: usize| -> Option<Speed> {
            let figures: Vec<Speed> = rounds.iter().filter_map(|r| r[i]).collect();
            (!figures.is_empty()).then(|| median(figures))
        };
        let ratio = |i: usize| -> Option<f64> {
            let mut r: Vec<f64> = rounds
                .iter()
                .filter_map(|r| Some(r[i]?.cycles_per_second / r[0]?.cycles_per_second))
                .collect();
            r.sort_by(f64::total_cmp);
            r.get(r.len() / 2).copied()
        };
        let guided_speed = column(2).expect("measured");
        let all_cores = prepare(network, &config(BackendChoice::Verilator, true, cores))?;
        let parallel = measure(&all_cores, network, &samples, args.seconds)?;
        let or_dash = |x: Option<f64>, f: &dyn Fn(f64) -> String| x.map_or("-".into(), f);
        println!(
            "{:<22} {:>10.0} {:>11} {:>11.3e} {:>11.3e} {:>7} {:>7} {:>11.1} {:>11.1}",
            network.network().name,
            guided_speed.cycles_per_sample,
            or_dash(column(0).map(|s| s.cycles_per_second), &|x| format!(
                "{x:.3e}"
            )),
            column(1).expect("measured").cycles_per_second,
            guided_speed.cycles_per_second,
            or_dash(ratio(1), &|x| format!("{x:.1}")),
            or_dash(ratio(2), &|x| format!("{x:.1}")),
            guided_speed.samples_per_second,
            parallel.samples_per_second
        );
        println!(
            "{:<22} verilated in {:.1} s, profile-guided in {:.1} s (about 0 when cached)",
            "", fast.build_seconds, guided.build_seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}
