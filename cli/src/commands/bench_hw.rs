//! `spikegate bench-hw`: the hardware's cycles per sample on the benchmark
//! network, measured in the rust-hdl simulation against the cycle formula,
//! and optionally yosys's ECP5 cell and block-RAM counts.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use spikegate_cosim::rusthdl::RustHdl;
use spikegate_cosim::{DesignInfo, Pacing, Session};
use spikegate_hdl::cycles::{activity, estimate};
use spikegate_hdl::BuildOptions;
use spikegate_model::Spike;
use spikegate_sim::random::random_latency_input;
use spikegate_sim::rng::SplitMix64;
use spikegate_sim::Reference;

use spikegate_fpga::yosys::ecp5_report;
use spikegate_gen::generate::generate;
use spikegate_sim::random::bench_network;

use spikegate_gen::workdir::WorkDir;

/// Measure the generated hardware on the benchmark network (dense
/// 784-400-10 `ttfs`, 16-bit weights, latency-coded input at RATE).
///
/// For each P, runs SAMPLES samples through the rust-hdl simulation of the
/// accelerator (hidden layer observed through its tap), checks every spike
/// of both layers against the reference model (exit 1 on any difference),
/// and prints the measured cycles per sample beside the cycle formula's
/// lower bound. With --synth, also synthesises each design with yosys
/// (synth_ecp5 -abc9) and prints its cells and block RAMs.
#[derive(clap::Args)]
pub struct Args {
    /// Processing elements per core to measure.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 4, 16])]
    pub pe: Vec<usize>,
    /// Samples per P.
    #[arg(long, default_value_t = 3)]
    pub samples: usize,
    /// Input spike rate (fraction of the 784 inputs that spike once).
    #[arg(long, default_value_t = 0.1)]
    pub rate: f64,
    /// Time steps per sample.
    #[arg(long, default_value_t = 32)]
    pub steps: u32,
    /// Seed of the network and inputs.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also run yosys synth_ecp5 -abc9 on each design (minutes each).
    #[arg(long)]
    pub synth: bool,
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    let network = bench_network(args.seed, args.steps);
    let mut rng = SplitMix64::new(args.seed ^ 0x68_77);
    let inputs: Vec<Vec<Spike>> = (0..args.samples)
        .map(|_| random_latency_input(&mut rng, 784, args.steps, args.rate))
        .collect();
    let mut reference = Reference::new(&network);
    let runs: Vec<_> = inputs
        .iter()
        .map(|i| reference.run(i).expect("bench input is valid"))
        .collect();
    println!(
        "784-400-10 ttfs, T = {}, input rate {}, {} samples; spikes per sample: input {:.1}, hidden {:.1}, output {:.1}",
        args.steps,
        args.rate,
        args.samples,
        inputs.iter().map(Vec::len).sum::<usize>() as f64 / args.samples as f64,
        runs.iter().map(|r| r.layers[0].len()).sum::<usize>() as f64 / args.samples as f64,
        runs.iter().map(|r| r.layers[1].len()).sum::<usize>() as f64 / args.samples as f64,
    );
    println!(
        "{:>3} {:>12} {:>12} {:>9} {:>12} {:>10}",
        "P", "measured", "lower bound", "ratio", "serial", "sim cyc/s"
    );
    for &pe in &args.pe {
        let options = BuildOptions {
            pe,
            taps: true,
            ..BuildOptions::default()
        };
        let output = generate(&network, options, None)?;
        let plan = &output.plan;
        let mut session = Session::new(RustHdl::new(plan), DesignInfo::from_plan(plan))?;
        let (mut measured, mut bound, mut serial) = (0u64, 0u64, 0u64);
        let started = Instant::now();
        for (s, (input, want)) in inputs.iter().zip(&runs).enumerate() {
            let got = session.run(input, &mut Pacing::default().for_sample(s))?;
            if got.layers != want.layers {
                bail!("P = {pe}, sample {s}: the hardware's spikes differ from the reference");
            }
            let e = estimate(plan, &activity(input, &want.layers, args.steps));
            measured += got.cycles;
            bound += e.lower_bound;
            serial += e.serial;
        }
        let seconds = started.elapsed().as_secs_f64();
        let n = args.samples as u64;
        println!(
            "{:>3} {:>12} {:>12} {:>9.3} {:>12} {:>10.0}",
            pe,
            measured / n,
            bound / n,
            measured as f64 / bound as f64,
            serial / n,
            measured as f64 / seconds
        );
        if args.synth {
            let work = WorkDir::new(None, &format!("bench-hw-p{pe}"), &output.files)?;
            println!("    {}", ecp5_report(work.tools())?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
