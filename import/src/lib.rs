//! spikegate's importers: trained networks from NIR files (HDF5, as written
//! by snnTorch, Norse, Sinabs, Rockpool and others) and from NumPy `.npz`
//! archives with a small JSON spec, into the spikegate model format, with a
//! quantization report that shows what the chosen widths cost.
//!
//! The pipeline: a reader ([`nir`] or [`npz`]) gives a discretized network
//! in double precision ([`float::FloatNetwork`]); [`quantize`] turns it into
//! integers; [`report`] runs both on sample inputs and compares them. The
//! rules are written in `docs/import.md`.
//!
//! ```no_run
//! use spikegate_import::{import_nir, ImportOptions};
//! let options = ImportOptions { dt: Some(1e-4), time_steps: 1000, ..ImportOptions::default() };
//! let imported = import_nir(std::path::Path::new("lif_norse.nir"), &options).unwrap();
//! std::fs::write("model.json", imported.model_json()).unwrap();
//! println!("{}", imported.report);
//! ```

#![warn(missing_docs)]

pub mod budget;
pub mod chain;
pub mod error;
pub mod float;
pub mod framework;
pub mod nir;
pub mod npz;
pub mod quantize;
pub mod report;

use std::path::{Path, PathBuf};

use spikegate_model::{Decode, ResetTiming, Spike, ValidNetwork};

pub use error::{ImportError, Remedy};
pub use float::FloatNetwork;
pub use framework::Framework;
pub use report::Report;

/// How spiking layers reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResetRule {
    /// As the file says: NIR resets to `v_reset`, which must be 0 (reset to
    /// zero); `.npz` specs give `reset` per layer.
    #[default]
    Nir,
    /// Reset to zero in every spiking layer.
    Zero,
    /// Reset by subtraction in every spiking layer (for snnTorch networks
    /// trained with `reset_mechanism="subtract"`, which NIR cannot record).
    Subtract,
}

/// The sample inputs of the quantization report.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportInputs {
    /// Seeded random spikes: each input spikes with probability `rate` in
    /// each step.
    Bernoulli {
        /// Number of samples (default 20).
        samples: usize,
        /// Spike probability per input per step (default 0.1).
        rate: f64,
        /// Seed (default 1).
        seed: u64,
    },
    /// A spike file in the `spikegate-spikes/1` format (its `neurons` and
    /// `time_steps` must match the imported model).
    File(PathBuf),
}

impl Default for ReportInputs {
    fn default() -> Self {
        ReportInputs::Bernoulli {
            samples: 20,
            rate: 0.1,
            seed: 1,
        }
    }
}

/// Import settings. `ImportOptions::default()` gives the defaults listed
/// per field.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOptions {
    /// Weight (and bias) width `B` in bits, 2..=32 (default 8).
    pub weight_bits: u32,
    /// State width `S` in bits (membrane, synaptic current, threshold),
    /// 3..=32 (default 16).
    pub state_bits: u32,
    /// Time steps `T` per sample in the model (default 100).
    pub time_steps: u32,
    /// The time step in seconds. NIR files store none; nodes with time
    /// constants (LIF, CubaLIF, LI, CubaLI, Delay) need it, and the import
    /// fails with a message asking for `--dt` when it is missing
    /// (default `None`). `.npz` specs may give their own `dt`.
    pub dt: Option<f64>,
    /// Fraction bits `F` of multiplier decays, 1..=16 (default 16).
    pub decay_frac_bits: u32,
    /// A decay factor within this distance of `1 - 2^-k` becomes the shift
    /// decay `shift k` (default 1e-6).
    pub shift_tolerance: f64,
    /// Fraction of each layer's largest |weight| (in threshold units) that
    /// maps to the largest weight value, in `(0, 1]` (default 1: nothing
    /// saturates). Smaller values give finer steps and saturate the
    /// outliers, which the report counts.
    pub weight_clip: f64,
    /// Reset override (default: as the file says).
    pub reset: ResetRule,
    /// When spiking layers reset: in the step of the spike or in the next
    /// step after the update; `None` (the default): as the framework does
    /// (NIR: in the step of the spike).
    pub reset_timing: Option<ResetTiming>,
    /// The framework that wrote the NIR file, whose conventions fill in
    /// what NIR leaves open (default: the NIR specification alone).
    pub framework: Framework,
    /// The most spikes a multi-spike neuron may fire in a step, 1..=255
    /// (default: as many as its membrane can hold thresholds, at most 255;
    /// the hardware takes at most 15).
    pub max_spikes: Option<u32>,
    /// State units per weight unit of every spiking layer, as a power of
    /// two (the model's `weight_shift`); `None` (the default): the largest
    /// shift that leaves the membrane room for 8 thresholds either way (in
    /// a multi-spike layer, for one more than `max_spikes`, 255 by
    /// default), so that decays round in fractions of a weight's step.
    pub weight_shift: Option<u32>,
    /// Output decoding; default: `readout` when the last layer is a leaky
    /// integrator (LI, I, CubaLI), else `spike_count`.
    pub decode: Option<Decode>,
    /// The model's name (default: the file's stem).
    pub name: Option<String>,
    /// The report's sample inputs.
    pub report_inputs: ReportInputs,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            weight_bits: 8,
            state_bits: 16,
            time_steps: 100,
            dt: None,
            decay_frac_bits: 16,
            shift_tolerance: 1e-6,
            weight_clip: 1.0,
            reset: ResetRule::Nir,
            reset_timing: None,
            framework: Framework::Nir,
            max_spikes: None,
            weight_shift: None,
            decode: None,
            name: None,
            report_inputs: ReportInputs::default(),
        }
    }
}

/// An imported network: the validated integer model, the discretized float
/// network it was quantized from, and the quantization report.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The integer model, validated.
    pub network: ValidNetwork,
    /// The discretized network in double precision.
    pub float: FloatNetwork,
    /// What quantization cost on the sample inputs.
    pub report: Report,
}

impl Imported {
    /// The model as `spikegate-model/1` JSON text (spikegate's layout).
    pub fn model_json(&self) -> String {
        spikegate_model::json_text::to_text(self.network.network())
            .expect("a model always serializes")
    }

    /// The report as JSON text.
    pub fn report_json(&self) -> String {
        serde_json::to_string_pretty(&self.report).expect("a report always serializes") + "\n"
    }
}

/// Checks the numeric options; an error names the [`ImportOptions`] field
/// at fault (a front end names it in its own terms, [`Remedy::Option`]).
fn check_options(file: &Path, o: &ImportOptions) -> Result<(), ImportError> {
    let bad = |option: &'static str, msg: String| {
        Err(ImportError::field(file, option, msg).fixed_by(Remedy::Option(option)))
    };
    if !(2..=32).contains(&o.weight_bits) {
        return bad(
            "weight_bits",
            format!("must be between 2 and 32, not {}", o.weight_bits),
        );
    }
    if !(3..=32).contains(&o.state_bits) {
        return bad(
            "state_bits",
            format!("must be between 3 and 32, not {}", o.state_bits),
        );
    }
    if o.time_steps == 0 || o.time_steps > spikegate_model::validate::limits::MAX_TIME_STEPS {
        return bad(
            "time_steps",
            format!("must be between 1 and 1000000, not {}", o.time_steps),
        );
    }
    if let Some(dt) = o.dt {
        if !(dt.is_finite() && dt > 0.0) {
            return bad(
                "dt",
                format!("must be a positive number of seconds, not {dt}"),
            );
        }
    }
    if let Some(m) = o.max_spikes {
        let most = spikegate_model::validate::limits::MAX_SPIKES_PER_STEP;
        if !(1..=most).contains(&m) {
            return bad(
                "max_spikes",
                format!("must be between 1 and {most}, not {m}"),
            );
        }
    }
    if let Some(k) = o.weight_shift {
        let most = spikegate_model::validate::limits::MAX_WEIGHT_SHIFT.min(o.state_bits - 2);
        if k > most {
            return bad(
                "weight_shift",
                format!(
                    "must be between 0 and {most} (at most {} state bits less 2), not {k}",
                    o.state_bits
                ),
            );
        }
    }
    if !(1..=16).contains(&o.decay_frac_bits) {
        return bad(
            "decay_frac_bits",
            format!("must be between 1 and 16, not {}", o.decay_frac_bits),
        );
    }
    if !(o.shift_tolerance.is_finite() && o.shift_tolerance >= 0.0) {
        return bad(
            "shift_tolerance",
            format!("must be a non-negative number, not {}", o.shift_tolerance),
        );
    }
    if !(o.weight_clip > 0.0 && o.weight_clip <= 1.0) {
        return bad(
            "weight_clip",
            format!("must be in (0, 1], not {}", o.weight_clip),
        );
    }
    if let ReportInputs::Bernoulli { rate, .. } = o.report_inputs {
        if !(0.0..=1.0).contains(&rate) {
            return bad(
                "report_inputs",
                format!("must be a probability in [0, 1], not {rate}"),
            );
        }
    }
    Ok(())
}

/// Imports the NIR file at `path`.
pub fn import_nir(path: &Path, options: &ImportOptions) -> Result<Imported, ImportError> {
    check_options(path, options)?;
    let options = &framework::with_preset(path, options)?;
    let graph = nir::read_nir(path)?;
    let chain = chain::build(path, &graph, options)?;
    finish(path, chain.network, chain.warnings, options.dt, options)
}

/// Imports a `.npz` archive with its JSON spec (`docs/import.md`).
pub fn import_npz(
    npz: &Path,
    spec: &Path,
    options: &ImportOptions,
) -> Result<Imported, ImportError> {
    check_options(npz, options)?;
    if options.framework != Framework::Nir {
        return Err(ImportError::field(
            npz,
            "framework",
            format!(
                "the {} preset describes that framework's NIR export; a .npz spec states its \
                 own dynamics, so import it without a framework",
                options.framework.name()
            ),
        )
        .fixed_by(Remedy::Option("framework")));
    }
    let (float, dt, warnings) = npz::load(npz, spec, options)?;
    finish(npz, float, warnings, dt, options)
}

/// Quantizes a discretized network, validates it and writes the report.
/// The common back half of every importer; usable directly for networks
/// built in code.
pub fn finish(
    path: &Path,
    float: FloatNetwork,
    mut warnings: Vec<String>,
    dt: Option<f64>,
    options: &ImportOptions,
) -> Result<Imported, ImportError> {
    let q = quantize::quantize(&float, options);
    warnings.extend(q.warnings);
    let network = spikegate_model::validate(q.network).map_err(|e| {
        ImportError::file(
            path,
            format!("the quantized model is not valid (try other widths): {e}"),
        )
    })?;
    let (samples, source) = report_samples(&float, &network, options)?;
    let cmp = report::compare(&float, &network, &q.layers, &samples);
    let layers = q
        .layers
        .into_iter()
        .zip(cmp.layers)
        .map(|(quant, (spikes, readout_error))| report::LayerReport {
            quant,
            spikes,
            readout_error,
        })
        .collect::<Vec<_>>();
    let alerts = report::alerts(&float, &layers, &cmp.output, options.time_steps, dt);
    let report = Report {
        format: report::REPORT_FORMAT.to_owned(),
        source: path.display().to_string(),
        weight_bits: options.weight_bits,
        state_bits: options.state_bits,
        time_steps: options.time_steps,
        dt,
        framework: options.framework.name().to_owned(),
        inputs: source,
        layers,
        output: cmp.output,
        warnings,
        alerts,
    };
    Ok(Imported {
        network,
        float,
        report,
    })
}

/// The report's sample inputs as options say: seeded random spikes, or a
/// spike file, which must fit `network`. Also what the report says of them.
fn report_samples(
    float: &FloatNetwork,
    network: &ValidNetwork,
    options: &ImportOptions,
) -> Result<(Vec<Vec<Spike>>, report::SampleSource), ImportError> {
    Ok(match &options.report_inputs {
        ReportInputs::Bernoulli {
            samples,
            rate,
            seed,
        } => (
            report::bernoulli_inputs(float.inputs, options.time_steps, *samples, *rate, *seed),
            report::SampleSource::Bernoulli {
                samples: *samples,
                rate: *rate,
                seed: *seed,
            },
        ),
        ReportInputs::File(file) => {
            let spikes = spikegate_model::load_spikes(file, network).map_err(|e| {
                ImportError::file(file, format!("cannot use it as report input: {e}"))
            })?;
            let n = spikes.samples.len();
            (
                spikes.event_lists(),
                report::SampleSource::File {
                    path: file.display().to_string(),
                    samples: n,
                },
            )
        }
    })
}
