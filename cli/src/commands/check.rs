//! `spikegate check MODEL`: validate a model and summarise it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use spikegate_model::{load_network, Summary};

/// Validate a model file and print its size: layers, neurons, synapses,
/// weight memory and the widest accumulator any layer needs.
///
/// Exits 0 when the model is valid; otherwise prints what is wrong (file,
/// layer, field) and exits 1.
#[derive(clap::Args)]
pub struct Args {
    /// The model file (JSON, docs/model-format.md).
    pub model: PathBuf,
    /// Print the summary as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    let network = load_network(&args.model)?;
    let summary = Summary::of(&network);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(ExitCode::SUCCESS);
    }
    let net = network.network();
    println!(
        "{}: valid model \"{}\" — {} inputs, {} time steps, decode {:?}",
        args.model.display(),
        net.name,
        net.inputs,
        net.time_steps,
        net.output.decode
    );
    println!(
        "{:<3} {:<16} {:<6} {:>8} {:>10} {:>12} {:>10} {:>6}",
        "#", "layer", "kind", "neurons", "synapses", "weight bits", "delay bits", "acc w"
    );
    for (i, l) in summary.layers.iter().enumerate() {
        let kind = if l.spiking {
            l.kind.to_owned()
        } else {
            format!("{}*", l.kind)
        };
        println!(
            "{:<3} {:<16} {:<6} {:>8} {:>10} {:>12} {:>10} {:>6}",
            i,
            l.name,
            kind,
            l.neurons,
            l.synapses,
            l.weight_bits,
            l.delay_bits,
            l.accumulator_width
        );
    }
    println!(
        "total: {} layers, {} neurons, {} synapses, {} weight memory bits, {} delay memory bits",
        summary.layers.len(),
        summary.neurons,
        summary.synapses,
        summary.weight_bits,
        summary.delay_bits
    );
    println!(
        "largest possible accumulator width: {} bits",
        summary.max_accumulator_width
    );
    if summary.layers.iter().any(|l| !l.spiking) {
        println!("(* readout layer: does not spike; its final membrane is the output)");
    }
    Ok(ExitCode::SUCCESS)
}
