//! `spikegate encode`: dense input values to an input spike file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use spikegate_model::load::read_json;
use spikegate_model::{load_network, SpikeFile};
use spikegate_sim::encode::{encode_samples, Code, ValuesFile};

use spikegate_gen::output::write_json;

/// The spike code to use.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum CodeArg {
    /// One spike per input at step round((1 - x) * (T - 1)); 0 gives none.
    Ttfs,
    /// floor(T * x) spikes spread evenly over the sample.
    Rate,
}

/// Encode dense input values (0 to 1) as input spikes for a model.
///
/// VALUES is a JSON file `{"samples": [{"values": [...], "label": 3}, ...]}`
/// with one value per model input in each sample (`label` optional: an
/// output neuron). Every decimal is read as the nearest double. Both codes
/// are deterministic; docs/semantics.md (section 6) defines them.
#[derive(clap::Args)]
pub struct Args {
    /// The model the spikes are for (its inputs and time steps are used).
    pub model: PathBuf,
    /// The dense values (JSON, see above).
    pub values: PathBuf,
    /// Which code.
    #[arg(long, value_enum, default_value = "ttfs")]
    pub code: CodeArg,
    /// Where to write the spike file.
    #[arg(long, short)]
    pub out: PathBuf,
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    let network = load_network(&args.model)?;
    let values: ValuesFile = read_json(&args.values)?;
    let code = match args.code {
        CodeArg::Ttfs => Code::Ttfs,
        CodeArg::Rate => Code::Rate,
    };
    let samples = encode_samples(&values, &network, code)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.values.display()))?;
    let file = SpikeFile::new(&network, samples);
    // A label that is no output neuron is refused before anything is
    // written, as `sim` would refuse the file.
    file.check_against(&network)
        .map_err(|e| e.in_file(&args.values))?;
    write_json(&args.out, &file)?;
    println!(
        "wrote {} samples, {} spikes, to {}",
        file.samples.len(),
        file.samples.iter().map(|s| s.events.len()).sum::<usize>(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
