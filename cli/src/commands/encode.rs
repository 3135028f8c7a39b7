//! `spikegate encode`: dense input values to an input spike file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use spikegate_model::load::read_json;
use spikegate_model::{load_network, InputSample, SpikeFile};
use spikegate_sim::encode::{rate, ttfs_latency};

use spikegate_gen::output::write_json;

/// The spike code to use.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Code {
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
    pub code: Code,
    /// Where to write the spike file.
    #[arg(long, short)]
    pub out: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Values {
    samples: Vec<ValueSample>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValueSample {
    values: Vec<f64>,
    #[serde(default)]
    label: Option<u32>,
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    let network = load_network(&args.model)?;
    let values: Values = read_json(&args.values)?;
    let (inputs, steps) = (network.network().inputs, network.network().time_steps);
    let mut samples = Vec::with_capacity(values.samples.len());
    for (k, sample) in values.samples.iter().enumerate() {
        if sample.values.len() != inputs {
            bail!(
                "{}: sample {k}: {} values, but the model has {inputs} inputs",
                args.values.display(),
                sample.values.len()
            );
        }
        // Checked here as well as by the encoders so that the value is
        // printed compactly: `{:?}` gives 1e308 where `{}` gives 309 digits.
        if let Some(n) = sample.values.iter().position(|x| !(0.0..=1.0).contains(x)) {
            bail!(
                "{}: sample {k}: input value {n} is {:?}; encoders take values from 0 to 1",
                args.values.display(),
                sample.values[n]
            );
        }
        let events = match args.code {
            Code::Ttfs => ttfs_latency(&sample.values, steps),
            Code::Rate => rate(&sample.values, steps),
        }
        .with_context(|| format!("{}: sample {k}", args.values.display()))?;
        samples.push(InputSample {
            label: sample.label,
            events,
        });
    }
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
