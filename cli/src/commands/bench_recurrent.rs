//! `spikegate bench-recurrent`: what recurrence costs in hardware, on a
//! network shaped like the recurrent SNNs of the Spiking Heidelberg
//! Digits (700 -> 128 recurrent -> 20, the shape Spiker+ reports): cycles
//! per sample measured on Verilator against the cycle formula at several
//! P, every spike checked against the reference.

use std::path::PathBuf;
use std::process::ExitCode;

use super::cycles::on_verilator;
use anyhow::{bail, Context, Result};
use spikegate_hdl::BuildOptions;
use spikegate_model::{InputSample, Spike, SpikeFile};
use spikegate_sim::random::{random_input, shd_network};
use spikegate_sim::rng::SplitMix64;
use spikegate_sim::Reference;

/// Measure recurrent cores on an SHD-shaped network.
///
/// Builds the seeded 700-128-20 `lif` network with a recurrent hidden
/// layer (random 8-bit weights: it measures cost, not accuracy) and
/// SHD-like input (each of the 700 channels spikes with probability RATE a
/// step: about 7,000 events a sample at the defaults, 100 steps of 10 ms,
/// the order of magnitude of an SHD recording; the data set is not here). For each P it co-simulates the
/// samples on Verilator (exit 1 on any spike that differs from the
/// reference) and prints the measured cycles per sample beside the cycle
/// formula's lower bound, the recurrent spikes replayed, and the weight
/// memory. With --out it also writes model.json and input.json there, for
/// `spikegate synth` (cells, block RAM, Fmax, latency).
#[derive(clap::Args)]
pub struct Args {
    /// Processing elements per core to measure.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 4, 16])]
    pub pe: Vec<usize>,
    /// Samples per P.
    #[arg(long, default_value_t = 3)]
    pub samples: usize,
    /// Input spike probability per channel per step.
    #[arg(long, default_value_t = 0.1)]
    pub rate: f64,
    /// Time steps per sample.
    #[arg(long, default_value_t = 100)]
    pub steps: u32,
    /// Seed of the network and inputs.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write the network and its input samples to this folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    if args.samples == 0 {
        bail!("--samples 0: nothing to measure");
    }
    let network = shd_network(args.seed, args.steps);
    let mut rng = SplitMix64::new(args.seed ^ 0x5bd);
    let samples: Vec<Vec<Spike>> = (0..args.samples)
        .map(|_| random_input(&mut rng, 700, args.steps, args.rate))
        .collect();
    if let Some(dir) = &args.out {
        write_case(dir, &network, &samples)?;
    }
    let mut reference = Reference::new(&network);
    let (mut input, mut hidden) = (0, 0);
    for s in &samples {
        input += s.len();
        hidden += reference.run(s)?.layers[0].len();
    }
    let n = samples.len();
    println!(
        "{}: {n} samples, {} input spikes and {} recurrent spikes a sample; Verilator vs the formula",
        network.network().name,
        input / n,
        hidden / n
    );
    println!(
        "{:>3} {:>10} {:>12} {:>7} {:>13}",
        "P", "measured", "lower bound", "ratio", "weight bits"
    );
    for &pe in &args.pe {
        let build = BuildOptions {
            pe,
            ..BuildOptions::default()
        };
        let (prepared, cycles) =
            on_verilator(&network, &samples, build).with_context(|| format!("P = {pe}"))?;
        let weights: usize = prepared
            .plan
            .cores
            .iter()
            .map(|c| c.weight_memory_bits())
            .sum();
        println!(
            "{pe:>3} {:>10} {:>12} {:>7.3} {weights:>13}",
            cycles.measured,
            cycles.bound,
            cycles.measured as f64 / cycles.bound.max(1) as f64,
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the network and its samples as `model.json` and `input.json`.
fn write_case(
    dir: &std::path::Path,
    network: &spikegate_model::ValidNetwork,
    samples: &[Vec<Spike>],
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let model = spikegate_model::json_text::to_text(network.network())?;
    let input = SpikeFile::new(
        network,
        samples
            .iter()
            .map(|events| InputSample {
                label: None,
                events: events.clone(),
            })
            .collect(),
    );
    let input = spikegate_model::json_text::to_text(&input)?;
    for (name, text) in [("model.json", model), ("input.json", input)] {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
