//! `spikegate plot raster`: one sample's spikes, a panel per layer; the
//! reference alone, or the hardware over it with every mismatch marked.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use spikegate_cosim::run::{prepare, run_all, CosimOptions, Prepared, SampleOutcome};
use spikegate_hdl::plan::DEFAULT_FIFO_DEPTH;
use spikegate_hdl::BuildOptions;
use spikegate_model::{Spike, ValidNetwork};
use spikegate_plot::raster::Raster;
use spikegate_sim::Reference;

use crate::commands::cosim::BackendArg;

/// One sample's spike raster, a panel per layer (the input first).
///
/// x is the step, y the neuron. Without --backend (or --design) it shows
/// the reference model's spikes alone. With it, the generated hardware
/// runs the sample too (as `spikegate cosim` does, tap ports on), and the
/// raster shows the hardware's spikes as dots over the reference's rings,
/// every step and neuron where the two differ marked with a red cross
/// (the first few labelled); the command then exits 1 on a mismatch.
#[derive(clap::Args)]
pub struct Args {
    /// The model file (JSON, docs/model-format.md).
    pub model: PathBuf,
    /// Input spikes (JSON spike file).
    #[arg(long, short)]
    pub input: PathBuf,
    /// The sample to draw (0 is the first).
    #[arg(long, default_value_t = 0)]
    pub sample: usize,
    /// Run the hardware on this back end and draw it over the reference.
    #[arg(long, value_enum)]
    pub backend: Option<BackendArg>,
    /// Run this folder written by `spikegate gen` instead of generating
    /// (implies a hardware run; Verilator unless --backend says).
    #[arg(long)]
    pub design: Option<PathBuf>,
    /// With --design: run it even where its files differ from what gen
    /// writes for MODEL (hand edits), on Verilator.
    #[arg(long, requires = "design")]
    pub allow_edited_design: bool,
    /// Processing elements per core when generating.
    #[arg(long, default_value_t = 1)]
    pub pe: usize,
    /// Generate without tap ports (hidden layers show the reference only).
    #[arg(long)]
    pub no_taps: bool,
    /// The picture (.svg or .png).
    #[arg(long, short)]
    pub out: PathBuf,
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    let (network, samples) = super::load(&args.model, &args.input, None)?;
    let Some(input) = samples.get(args.sample) else {
        bail!(
            "--sample {}: {} has {} samples (0..{})",
            args.sample,
            args.input.display(),
            samples.len(),
            samples.len()
        );
    };
    let raster = if args.backend.is_some() || args.design.is_some() {
        let (prepared, outcome) = run_hardware(args, &network, input)?;
        of_outcome(&network, &prepared, args.sample, input, &outcome)
    } else {
        let run = Reference::new(&network)
            .run(input)
            .with_context(|| format!("{}: sample {}", args.input.display(), args.sample))?;
        Raster::of_sample(&network, args.sample, input, None, &run.layers, |_| false)
    };
    raster.draw(&args.out)?;
    let mismatches = raster.disagreements().len();
    println!(
        "wrote {}{}",
        args.out.display(),
        if raster.hardware_name.is_none() {
            " (the reference alone)".to_owned()
        } else if mismatches == 0 {
            ": the hardware fired every spike the reference did".to_owned()
        } else {
            format!(": MISMATCH at {mismatches} places")
        }
    );
    Ok(if mismatches == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Generates (or reads) the design and runs `input` on it.
fn run_hardware(
    args: &Args,
    network: &ValidNetwork,
    input: &[Spike],
) -> Result<(Prepared, SampleOutcome)> {
    let build = BuildOptions {
        pe: args.pe,
        taps: !args.no_taps,
        fifo_depth: DEFAULT_FIFO_DEPTH,
    };
    let mut options = CosimOptions::new(build, args.backend.map(Into::into));
    options.design = args.design.clone();
    options.allow_edited = args.allow_edited_design;
    options.threads = 1;
    let prepared = prepare(network, &options)
        .map_err(crate::commands::with_pe_flag)
        .with_context(|| format!("{}: cannot prepare the hardware", args.model.display()))?;
    for note in &prepared.notes {
        eprintln!("note: {note}");
    }
    let mut outcomes = run_all(&prepared, network, &[input.to_vec()], &|_| {})?;
    let outcome = outcomes
        .pop()
        .ok_or_else(|| anyhow!("the hardware ran no sample"))?
        .map_err(|e| anyhow!("sample {}: {e}", args.sample))?;
    Ok((prepared, outcome))
}

/// The raster of one co-simulated sample: the hardware's spikes where the
/// design brings them out, over the reference's.
pub fn of_outcome(
    network: &ValidNetwork,
    prepared: &Prepared,
    sample: usize,
    input: &[Spike],
    outcome: &SampleOutcome,
) -> Raster {
    let mut raster = Raster::of_sample(
        network,
        sample,
        input,
        Some(&outcome.hardware.layers),
        &outcome.reference.layers,
        |l| prepared.info.observed(l),
    );
    raster.hardware_name = Some(format!(
        "hardware ({}, P = {})",
        prepared.backend_name(),
        prepared.info.options.pe
    ));
    raster
}

/// Writes the raster of the first sample whose hardware spikes differ from
/// the reference's beside the waveform at `waveform` (same name, `.svg`;
/// `cosim-sample<N>.svg` in its folder when the waveform shows another
/// sample); a raster that cannot be drawn is a warning.
pub fn write_first_mismatch(
    network: &ValidNetwork,
    prepared: &Prepared,
    samples: &[Vec<Spike>],
    outcomes: &[Result<SampleOutcome, spikegate_cosim::SessionError>],
    waveform: Option<(usize, &Path)>,
) {
    let Some((i, outcome)) = outcomes.iter().enumerate().find_map(|(i, o)| {
        o.as_ref()
            .ok()
            .filter(|o| o.mismatch.is_some())
            .map(|o| (i, o))
    }) else {
        return;
    };
    let path = match waveform {
        Some((w, vcd)) if w == i => vcd.with_extension("svg"),
        Some((_, vcd)) => vcd.with_file_name(format!("cosim-sample{i}.svg")),
        None => PathBuf::from(format!("cosim-sample{i}.svg")),
    };
    let raster = of_outcome(network, prepared, i, &samples[i], outcome);
    match raster.draw(&path) {
        Ok(()) => println!("raster of sample {i} written to {}", path.display()),
        Err(e) => eprintln!("warning: no raster: {e}"),
    }
}
