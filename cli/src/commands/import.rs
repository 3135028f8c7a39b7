//! `spikegate import FILE --out model.json`: a trained network from NIR
//! (HDF5) or NumPy `.npz` into the model format, with a quantization
//! report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use spikegate_import::{
    import_npz, Framework, ImportError, ImportOptions, Remedy, ReportInputs, ResetRule,
};
use spikegate_model::{Decode, ResetTiming};

use spikegate_gen::output::{check_writable, write_all_atomically};

/// Import a trained network from NIR or .npz, quantized to integers.
///
/// Reads a NIR graph (HDF5, as snnTorch, Norse, Sinabs, Rockpool and
/// SpikingJelly export it) or a NumPy .npz archive with a JSON spec
/// (--spec), discretizes and quantizes it as docs/import.md states, writes
/// the model file, and prints a quantization report: on sample inputs, the
/// double-precision network against the integer model, layer by layer
/// (spike agreement, spike counts) and in the decoded answers. A neuron
/// node that feeds itself back through one Affine or Linear node (snnTorch's
/// RLeaky and RSynaptic) becomes a recurrent layer. Graphs spikegate cannot
/// carry yet (branches, other loops) are refused with the node that stops
/// them.
#[derive(clap::Args)]
pub struct Args {
    /// The NIR file (.nir, HDF5) or NumPy archive (.npz, needs --spec).
    pub file: PathBuf,
    /// The .npz archive's spec (JSON, docs/import.md).
    #[arg(long)]
    pub spec: Option<PathBuf>,
    /// Where to write the model (JSON).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Weight and bias width in bits.
    #[arg(long, default_value_t = 8)]
    pub weight_bits: u32,
    /// State width in bits (membrane, synaptic current, threshold).
    #[arg(long, default_value_t = 16)]
    pub state_bits: u32,
    /// Time steps per sample.
    #[arg(long, default_value_t = 100)]
    pub time_steps: u32,
    /// The time step in seconds (NIR stores none; needed for time
    /// constants).
    #[arg(long)]
    pub dt: Option<f64>,
    /// Fraction bits of multiplier decays (1..=16).
    #[arg(long, default_value_t = 16)]
    pub decay_frac_bits: u32,
    /// How close a decay factor must be to 1 - 2^-k to become a shift
    /// decay.
    #[arg(long, default_value_t = 1e-6)]
    pub shift_tolerance: f64,
    /// Fraction of each layer's largest |weight| that maps to the largest
    /// weight value (0, 1]; smaller saturates outliers for finer steps.
    #[arg(long, default_value_t = 1.0)]
    pub weight_clip: f64,
    /// Override the reset of every spiking layer (`subtract` for snnTorch
    /// networks trained with reset_mechanism="subtract", which NIR cannot
    /// record).
    #[arg(long, value_parser = ["zero", "subtract"])]
    pub reset: Option<String>,
    /// When spiking layers reset: `immediate` (in the step of the spike,
    /// NIR's rule) or `deferred` (in the next step, after the leak:
    /// snnTorch's order). docs/semantics.md section 4.
    /// Default: as --framework says (NIR: immediate).
    #[arg(long, value_parser = ["immediate", "deferred"])]
    pub reset_timing: Option<String>,
    /// The framework that exported the NIR file: its preset fills in what
    /// NIR leaves open (the time step, the reset and when it acts, how
    /// current-based cells take their input). docs/import.md has a section
    /// per framework. `nir` (the default): the NIR specification alone.
    #[arg(long, value_parser = ["nir", "snntorch", "norse", "sinabs", "rockpool"], default_value = "nir")]
    pub framework: String,
    /// The most spikes a multi-spike neuron (Sinabs, Rockpool) fires in a
    /// step, 1..=255; default: as many as its membrane can hold thresholds
    /// (at most 255). The hardware (`gen`) takes at most 15.
    #[arg(long)]
    pub max_spikes: Option<u32>,
    /// State units per weight unit of each spiking layer, as a power of
    /// two (the model's weight_shift, docs/semantics.md section 3): the
    /// membrane gets finer steps than the weights, so decays round in
    /// fractions of a weight's step. Default: the largest shift that leaves
    /// the membrane room for 8 thresholds either way (in a multi-spike
    /// layer, for one more than --max-spikes); 0 turns it off.
    #[arg(long)]
    pub weight_shift: Option<u32>,
    /// Output decoding (default: readout when the last node is a leaky
    /// integrator, else spike_count).
    #[arg(long, value_parser = ["first_spike", "spike_count", "readout"])]
    pub decode: Option<String>,
    /// The model's name (default: the file's stem).
    #[arg(long)]
    pub name: Option<String>,
    /// Input spikes (spikegate-spikes/1) for the report; default: seeded
    /// random spikes (--samples, --input-rate, --seed).
    #[arg(long)]
    pub spikes: Option<PathBuf>,
    /// Random report samples.
    #[arg(long, default_value_t = 20)]
    pub samples: usize,
    /// Spike probability per input per step of the random samples.
    #[arg(long, default_value_t = 0.1)]
    pub input_rate: f64,
    /// Seed of the random samples.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also write the report as JSON.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

/// Whether `a` and `b` are the same file: the same path, or, when both
/// exist, the same file reached two ways.
fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

fn options(args: &Args) -> ImportOptions {
    ImportOptions {
        weight_bits: args.weight_bits,
        state_bits: args.state_bits,
        time_steps: args.time_steps,
        dt: args.dt,
        decay_frac_bits: args.decay_frac_bits,
        shift_tolerance: args.shift_tolerance,
        weight_clip: args.weight_clip,
        reset: match args.reset.as_deref() {
            Some("zero") => ResetRule::Zero,
            Some("subtract") => ResetRule::Subtract,
            _ => ResetRule::Nir,
        },
        reset_timing: args.reset_timing.as_deref().map(|t| match t {
            "deferred" => ResetTiming::Deferred,
            _ => ResetTiming::Immediate,
        }),
        framework: Framework::from_name(&args.framework).unwrap_or_default(),
        max_spikes: args.max_spikes,
        weight_shift: args.weight_shift,
        decode: args.decode.as_deref().map(|d| match d {
            "first_spike" => Decode::FirstSpike,
            "readout" => Decode::Readout,
            _ => Decode::SpikeCount,
        }),
        name: args.name.clone(),
        report_inputs: match &args.spikes {
            Some(p) => ReportInputs::File(p.clone()),
            None => ReportInputs::Bernoulli {
                samples: args.samples,
                rate: args.input_rate,
                seed: args.seed,
            },
        },
    }
}

/// The import error, with the option that fixes it named by its flag: an
/// error in the option itself names the flag as its field, another one
/// says which flag to set.
fn with_flag(mut e: ImportError) -> anyhow::Error {
    let Some(Remedy::Option(option)) = e.remedy else {
        return e.into();
    };
    let flag = match option {
        "report_inputs" => "--input-rate".to_owned(),
        "dt" => "--dt SECONDS".to_owned(),
        _ => format!("--{}", option.replace('_', "-")),
    };
    if e.place.is_none() && e.field.as_deref() == Some(option) {
        e.field = Some(flag.split(' ').next().unwrap_or_default().to_owned());
        return e.into();
    }
    anyhow::anyhow!("{e} (pass {flag})")
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    // Every output is checked before the import runs and written only when
    // all are ready: an unwritable --report never leaves a model behind.
    check_writable(&args.out)?;
    if let Some(report) = &args.report {
        if same_file(&args.out, report) {
            bail!(
                "--out and --report both name {}: give the report its own file",
                report.display()
            );
        }
        check_writable(report)?;
    }
    let options = options(args);
    let is_npz = args.file.extension().is_some_and(|e| e == "npz");
    let imported = match (is_npz, &args.spec) {
        (true, Some(spec)) => import_npz(&args.file, spec, &options).map_err(with_flag)?,
        (true, None) => bail!(
            "{}: an .npz archive needs its spec: pass --spec SPEC.json (docs/import.md)",
            args.file.display()
        ),
        (false, _) => spikegate_import::import_nir(&args.file, &options).map_err(with_flag)?,
    };
    let model = imported.model_json();
    let report = args.report.as_ref().map(|r| (r, imported.report_json()));
    let mut files: Vec<(&Path, &[u8])> = vec![(&args.out, model.as_bytes())];
    if let Some((path, text)) = &report {
        files.push((path, text.as_bytes()));
    }
    write_all_atomically(&files)?;
    println!(
        "{}: wrote \"{}\" ({} layers)",
        args.out.display(),
        // The name is the user's: no control character reaches the terminal.
        imported.network.network().name.escape_debug(),
        imported.network.network().layers.len()
    );
    print!("{}", imported.report);
    Ok(ExitCode::SUCCESS)
}
