//! `spikegate sim MODEL --input SPIKES`: run the reference model.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use spikegate_model::load::read_json;
use spikegate_model::{load_network, load_spikes, ResultFile, RESULT_FORMAT};
use spikegate_sim::compare::{check_expected, first_difference};
use spikegate_sim::Reference;

use spikegate_gen::output::write_json;

/// Run the bit-exact reference model on input spikes.
///
/// Prints, per sample, the decoded output and the spike count of every
/// layer (and the accuracy when the samples carry labels). With --expect,
/// compares every field with an expected result file — its format, model,
/// time steps and sample count, every layer's name, neuron count and
/// spikes, the decoded output — and exits 1 at the first difference,
/// naming sample, layer, step and neuron. An expected file whose events
/// are not sorted by (step, neuron), or an input with no samples, is an
/// error: nothing is compared.
#[derive(clap::Args)]
pub struct Args {
    /// The model file (JSON, docs/model-format.md).
    pub model: PathBuf,
    /// Input spikes (JSON spike file: samples of [step, neuron] events).
    #[arg(long, short)]
    pub input: PathBuf,
    /// Write every layer's spike trains and the decoded outputs here
    /// (a result file, the same form as a golden case's expected.json).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Compare with this expected result file; exit 1 on any difference.
    #[arg(long)]
    pub expect: Option<PathBuf>,
    /// Print only the summary line, not one line per sample.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the state of every neuron after every step of the first
    /// sample, as a table in the form of docs/semantics.md's traces
    /// (meant for small models).
    #[arg(long)]
    pub trace: bool,
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    let network = load_network(&args.model)?;
    let input = load_spikes(&args.input, &network)?;
    // Read the expected file first: a bad one fails before any work.
    let expected = match &args.expect {
        Some(path) => {
            let expected: ResultFile = read_json(path)?;
            check_expected(&expected, &network)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            if input.samples.is_empty() {
                bail!(
                    "{}: there are no samples, so nothing to compare with {}",
                    args.input.display(),
                    path.display()
                );
            }
            Some((path, expected))
        }
        None => None,
    };
    let mut reference = Reference::new(&network);
    if args.trace {
        if let Some(first) = input.samples.first() {
            print_trace(&mut reference, &first.events)?;
        }
    }
    let mut samples = Vec::with_capacity(input.samples.len());
    let mut correct = 0;
    let mut labelled = 0;
    for (index, sample) in input.samples.iter().enumerate() {
        let run = reference
            .run(&sample.events)
            .with_context(|| format!("{}: sample {index}", args.input.display()))?;
        let class = run.output.class();
        if let Some(label) = sample.label {
            labelled += 1;
            correct += usize::from(label == class);
        }
        if !args.quiet {
            let counts: Vec<String> = run.layers.iter().map(|l| l.len().to_string()).collect();
            let label = sample
                .label
                .map_or(String::new(), |l| format!(" (label {l})"));
            println!(
                "sample {index}: output {class}{label}; spikes per layer [{}]; {} synaptic ops",
                counts.join(", "),
                run.synaptic_ops
            );
        }
        samples.push(run.into_sample(&network));
    }
    if labelled > 0 {
        println!(
            "accuracy: {correct}/{labelled} = {:.2}%",
            100.0 * correct as f64 / labelled as f64
        );
    }
    let result = ResultFile {
        format: RESULT_FORMAT.to_owned(),
        model: network.network().name.clone(),
        time_steps: network.network().time_steps,
        samples,
    };
    if let Some(out) = &args.out {
        write_json(out, &result)?;
        println!("wrote {}", out.display());
    }
    if let Some((expect, expected)) = &expected {
        if let Some(diff) = first_difference(expected, &result) {
            eprintln!("MISMATCH against {}: {diff}", expect.display());
            return Ok(ExitCode::FAILURE);
        }
        println!(
            "match: all {} samples equal {} (every layer, every spike, decoded output)",
            result.samples.len(),
            expect.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the first sample's trace as a markdown table.
fn print_trace(reference: &mut Reference, events: &[spikegate_model::Spike]) -> Result<()> {
    let (_, trace) = reference.run_traced(events)?;
    let opt = |v: Option<i64>| v.map_or("-".to_owned(), |v| v.to_string());
    println!("| t | layer | n | x | i | w | v | spike |");
    println!("|---|---|---|---|---|---|---|---|");
    for r in trace {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.step,
            r.layer,
            r.neuron,
            r.input,
            opt(r.current),
            opt(r.adaptation),
            r.membrane,
            r.spikes
        );
    }
    Ok(())
}
