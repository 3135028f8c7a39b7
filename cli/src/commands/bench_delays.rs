//! `spikegate bench-delays`: what synaptic delays cost in hardware —
//! cycles per sample against the cycle formula, and with `--synth` the
//! ECP5 cells and block RAMs — for one network with its delays capped at
//! several `D_max`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use spikegate_hdl::BuildOptions;
use spikegate_model::{load_network, load_spikes, ValidNetwork};

use super::cycles::on_verilator;
use spikegate_fpga::yosys::ecp5_report;
use spikegate_gen::generate::generate;

use spikegate_gen::workdir::WorkDir;

/// Measure the cost of synaptic delays in hardware.
///
/// Takes a network with delays (by default the golden 140-64-64-20 `adlif`
/// network with delays up to 32, shaped like Deckers et al. 2024) and
/// rebuilds it with every delay `d` replaced by `d mod (D + 1)` for each D
/// of --d-max (D = 0: no delays; the weights stay the same). For each, it
/// co-simulates the samples on Verilator (every spike checked against the
/// reference) and prints the measured cycles per sample beside the cycle
/// formula's lower bound, and the neuron- and weight-memory bits; with
/// --synth also yosys's ECP5 cells and block RAMs.
#[derive(clap::Args)]
pub struct Args {
    /// The network (its delays are capped, or removed for D = 0).
    #[arg(long, default_value = "golden/large_adlif_delays/model.json")]
    pub model: PathBuf,
    /// Input samples.
    #[arg(long, default_value = "golden/large_adlif_delays/input.json")]
    pub input: PathBuf,
    /// The D_max values to measure.
    #[arg(long, value_delimiter = ',', default_values_t = [0, 8, 32])]
    pub d_max: Vec<u32>,
    /// Processing elements per core.
    #[arg(long, default_value_t = 1)]
    pub pe: usize,
    /// Also synthesise each design with yosys synth_ecp5 -abc9.
    #[arg(long)]
    pub synth: bool,
}

/// `network` with every delay `d` replaced by `d mod (d_max + 1)`, and no
/// delays at all for `d_max = 0`.
pub fn capped_delays(network: &ValidNetwork, d_max: u32) -> Result<ValidNetwork> {
    let mut net = network.network().clone();
    for layer in &mut net.layers {
        if d_max == 0 {
            layer.delays = None;
        } else if let Some(d) = &mut layer.delays {
            d.max = d_max;
            for v in d.values.iter_mut().flatten() {
                *v %= d_max + 1;
            }
        }
    }
    net.name = format!("{}-dmax{d_max}", net.name);
    Ok(spikegate_model::validate(net)?)
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    let network = load_network(&args.model)?;
    let input = load_spikes(&args.input, &network)?;
    let samples = input.event_lists();
    println!(
        "{}: {} samples, P = {}; cycles per sample measured on Verilator vs the formula",
        network.network().name,
        samples.len(),
        args.pe
    );
    println!(
        "{:>5} {:>10} {:>12} {:>7} {:>10} {:>14} {:>14}",
        "D_max", "measured", "lower bound", "ratio", "serial", "state bits", "weight bits"
    );
    for &d in &args.d_max {
        let net = capped_delays(&network, d)?;
        let build = BuildOptions {
            pe: args.pe,
            taps: true,
            ..BuildOptions::default()
        };
        let (prepared, cycles) =
            on_verilator(&net, &samples, build).with_context(|| format!("D_max = {d}"))?;
        let plan = &prepared.plan;
        let state: usize = plan.cores.iter().map(|c| c.state_memory_bits()).sum();
        let weights: usize = plan.cores.iter().map(|c| c.weight_memory_bits()).sum();
        println!(
            "{:>5} {:>10} {:>12} {:>7.3} {:>10} {:>14} {:>14}",
            d,
            cycles.measured,
            cycles.bound,
            cycles.measured as f64 / cycles.bound.max(1) as f64,
            cycles.serial,
            state,
            weights
        );
        if args.synth {
            let output = generate(&net, build, None)?;
            let work = WorkDir::new(None, &format!("bench-delays-d{d}"), &output.files)?;
            println!("      {}", ecp5_report(work.tools())?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_capped_by_remainder_and_removed_at_zero() {
        let model = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../golden/large_adlif_delays/model.json");
        let network = load_network(&model).unwrap();
        let original = network.network().layers[0].delays.clone().unwrap();
        assert_eq!(original.max, 32);
        let eight = capped_delays(&network, 8).unwrap();
        let capped = eight.network().layers[0].delays.as_ref().unwrap();
        assert_eq!(capped.max, 8);
        for (row, capped_row) in original.values.iter().zip(&capped.values) {
            for (&d, &c) in row.iter().zip(capped_row) {
                assert_eq!(c, d % 9);
            }
        }
        let none = capped_delays(&network, 0).unwrap();
        assert!(none.network().layers.iter().all(|l| l.delays.is_none()));
        assert_eq!(
            none.network().layers[0].weights,
            network.network().layers[0].weights
        );
    }
}
