//! `spikegate cosim MODEL --input SPIKES`: run the generated hardware and
//! check every spike against the reference model.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use spikegate_cosim::report::{
    accuracy, average_spikes, compare_expected, waveform_plan, RunReport, SampleReport,
    SampleStatus, Tally,
};
use spikegate_cosim::run::{
    prepare, run_all, write_waveform, BackendChoice, CosimOptions, DesignError, Prepared,
    SampleOutcome,
};
use spikegate_cosim::{Pacing, SessionError};
use spikegate_hdl::plan::DEFAULT_FIFO_DEPTH;
use spikegate_hdl::BuildOptions;
use spikegate_model::load::read_json;
use spikegate_model::{load_network, load_spikes, ResultFile, Spike, ValidNetwork};
use spikegate_sim::compare::check_expected;

use spikegate_gen::output::write_json;

/// Co-simulate the generated hardware against the reference model.
///
/// Generates the accelerator for MODEL (or takes a folder that
/// `spikegate gen` wrote, with --design), runs every input sample through
/// it cycle by cycle, and compares every spike of every observed layer,
/// step by step and neuron by neuron, with the bit-exact reference model.
/// Hidden layers are observed through tap ports (on by default here).
///
/// Back ends: `verilator` compiles the exact Verilog into a shared library
/// (cached by content under $SPIKEGATE_CACHE or ~/.cache/spikegate, so a
/// second run starts at once); `rusthdl` runs rust-hdl's own simulation
/// (no external tool, about 50x slower). Without --backend, Verilator is
/// used when installed. --lockstep runs both and compares every output
/// port on every cycle.
///
/// Prints per sample match or MISMATCH, cycles (and the cycle formula's
/// lower bound), spikes per layer and synaptic operations. On a mismatch
/// it names the first differing sample, layer, step and neuron, writes a
/// waveform around it (--vcd, or cosim-sample<N>.vcd) and beside it that
/// sample's spike raster (the same name with .svg: the hardware's spikes
/// over the reference's, every mismatch marked; see `spikegate plot
/// raster`), and exits 1.
#[derive(clap::Args)]
pub struct Args {
    /// The model file (JSON, docs/model-format.md).
    pub model: PathBuf,
    /// Input spikes (JSON spike file).
    #[arg(long, short)]
    pub input: PathBuf,
    /// Simulation back end [default: verilator if installed, else rusthdl].
    #[arg(long, value_enum)]
    pub backend: Option<BackendArg>,
    /// Run Verilator and rust-hdl together, comparing every top-level
    /// output on every cycle.
    #[arg(long)]
    pub lockstep: bool,
    /// Run only the first N samples (N >= 1); with --expect, the first N
    /// samples of the expected file are compared.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub samples: Option<u64>,
    /// Waveform file: on a mismatch, the cycles around it; otherwise the
    /// whole first sample.
    #[arg(long)]
    pub vcd: Option<PathBuf>,
    /// Write a JSON report: per sample cycles, the formula's bound,
    /// processing-element utilisation.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Also compare the hardware's spikes and decoded outputs with this
    /// expected result file (a golden case's expected.json).
    #[arg(long)]
    pub expect: Option<PathBuf>,
    /// Use this folder written by `spikegate gen` instead of generating.
    /// It must have been generated from MODEL (its manifest records the
    /// model's hash) and hold exactly the files gen writes for it.
    #[arg(long)]
    pub design: Option<PathBuf>,
    /// With --design: co-simulate the folder even where its Verilog or
    /// memory images differ from what gen writes for MODEL (hand edits),
    /// on Verilator.
    #[arg(long, requires = "design")]
    pub allow_edited_design: bool,
    /// Processing elements per core when generating.
    #[arg(long, default_value_t = 1)]
    pub pe: usize,
    /// Depth of each AER FIFO when generating.
    #[arg(long, default_value_t = DEFAULT_FIFO_DEPTH)]
    pub fifo_depth: usize,
    /// Generate without tap ports (only the output layer is checked).
    #[arg(long)]
    pub no_taps: bool,
    /// Probability that the host leaves a gap instead of offering a beat.
    #[arg(long, default_value_t = 0.0)]
    pub gaps: f64,
    /// Probability that the host holds out_ready low in a cycle.
    #[arg(long, default_value_t = 0.0)]
    pub stalls: f64,
    /// Seed of the gaps and stalls.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Threads [default: all cores].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Compile the Verilated model a second time with gcc's profile of a
    /// training run on this run's first samples: up to 1.06x faster
    /// simulation on the benchmark networks, for about three times the
    /// build time (cached like any build). Worth it only for long runs.
    #[arg(long)]
    pub pgo: bool,
    /// Print only the summary, not a line per sample.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `--backend`: which simulation runs the hardware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendArg {
    /// The generated Verilog, compiled by Verilator.
    Verilator,
    /// rust-hdl's simulation of the same module tree (no external tool).
    Rusthdl,
}

impl From<BackendArg> for BackendChoice {
    fn from(arg: BackendArg) -> Self {
        match arg {
            BackendArg::Verilator => BackendChoice::Verilator,
            BackendArg::Rusthdl => BackendChoice::Rusthdl,
        }
    }
}

fn check_probability(name: &str, p: f64) -> Result<()> {
    if !(0.0..1.0).contains(&p) {
        anyhow::bail!("--{name} must be in 0.0..1.0 (a probability below 1), not {p}");
    }
    Ok(())
}

/// Every sample's result.
type Outcomes = [Result<SampleOutcome, SessionError>];

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    check_probability("gaps", args.gaps)?;
    if args.lockstep && args.backend == Some(BackendArg::Rusthdl) {
        bail!("--lockstep runs Verilator beside rust-hdl: it needs `--backend verilator`");
    }
    check_probability("stalls", args.stalls)?;
    let network = load_network(&args.model)?;
    let input = load_spikes(&args.input, &network)?;
    let mut samples = input.event_lists();
    if samples.is_empty() {
        bail!(
            "{}: there are no samples to co-simulate",
            args.input.display()
        );
    }
    if let Some(n) = args.samples {
        samples.truncate(usize::try_from(n).unwrap_or(usize::MAX));
    }
    // Outputs that cannot be written fail now, not after the run.
    for path in [&args.vcd, &args.report].into_iter().flatten() {
        spikegate_gen::output::check_writable(path)?;
    }
    // Read the expected file first: a bad one fails before any work.
    let expected = match &args.expect {
        Some(path) => Some((path.as_path(), read_expected(path, &network)?)),
        None => None,
    };
    let labels: Vec<Option<u32>> = input.samples.iter().map(|s| s.label).collect();
    let options = options(args, &samples);
    let prepared = prepare(&network, &options)
        .map_err(|e| with_design_hint(super::with_pe_flag(e), args))
        .with_context(|| format!("{}: cannot prepare the co-simulation", args.model.display()))?;
    print_start(args, &network, &prepared, samples.len(), options.threads);
    let started = Instant::now();
    let outcomes = run_with_progress(&prepared, &network, &samples)?;
    let wall = started.elapsed().as_secs_f64();

    let lanes: u64 = prepared.plan.cores.iter().map(|c| c.lanes as u64).sum();
    let reports: Vec<SampleReport> = outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| SampleReport::new(i, o, samples[i].len(), lanes))
        .collect();
    print_samples(&reports, &outcomes, args.quiet);
    let tally = Tally::of(&reports);
    let waveform =
        write_requested_waveform(&prepared, &samples, &outcomes, tally.first_problem, args);
    let beside = waveform.as_ref().map(|(i, p)| (*i, p.as_path()));
    super::plot::raster::write_first_mismatch(&network, &prepared, &samples, &outcomes, beside);
    let expect_failed = match expected {
        Some((path, expected)) => {
            !check_against(&prepared, &network, path, &expected, &outcomes, args)
        }
        None => false,
    };
    print_accuracy(&network, &labels, &samples, &outcomes);
    print_summary(&tally, samples.len(), wall);
    if let Some(path) = &args.report {
        write_json(
            path,
            &RunReport::new(&network, &prepared, reports, &tally, wall),
        )?;
        println!("wrote {}", path.display());
    }
    Ok(if tally.all_matched() && !expect_failed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A design folder refused by the run, with what to type to fix it.
fn with_design_hint(e: anyhow::Error, args: &Args) -> anyhow::Error {
    let Some(design) = e.downcast_ref::<DesignError>() else {
        return e;
    };
    let regenerate = format!(
        "`spikegate gen {} --out {}`",
        args.model.display(),
        args.design.as_deref().unwrap_or(Path::new("DIR")).display()
    );
    let hint = match design {
        DesignError::NoModelHash { .. } | DesignError::OtherModel { .. } => regenerate,
        DesignError::Edited { .. } => format!("{regenerate}, or pass --allow-edited-design"),
        DesignError::EditedNeedsVerilator { .. } => {
            "an edited design needs `--backend verilator`".to_owned()
        }
    };
    anyhow!("{e} ({hint})")
}

/// The expected result file at `path`, checked against the model.
fn read_expected(path: &Path, network: &ValidNetwork) -> Result<ResultFile> {
    let expected: ResultFile = read_json(path)?;
    check_expected(&expected, network).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(expected)
}

/// The co-simulation options `args` ask for (`samples` train a
/// profile-guided build).
fn options(args: &Args, samples: &[Vec<Spike>]) -> CosimOptions {
    CosimOptions {
        build: BuildOptions {
            pe: args.pe,
            taps: !args.no_taps,
            fifo_depth: args.fifo_depth,
        },
        design: args.design.clone(),
        allow_edited: args.allow_edited_design,
        backend: args.backend.map(BackendChoice::from),
        lockstep: args.lockstep,
        pacing: Pacing {
            gaps: args.gaps,
            stalls: args.stalls,
            seed: args.seed,
        },
        threads: args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        profile_guided: args.pgo.then(|| samples.to_vec()),
    }
}

/// The notes of preparation and the line that says what runs where.
fn print_start(
    args: &Args,
    network: &ValidNetwork,
    prepared: &Prepared,
    count: usize,
    threads: usize,
) {
    for note in &prepared.notes {
        eprintln!("note: {note}");
    }
    println!(
        "{}: {count} samples on {}, P = {}, {threads} threads{}",
        network.network().name,
        prepared.backend_name(),
        prepared.info.options.pe,
        if prepared.library.is_some() {
            format!(
                ", verilated{} in {:.1} s",
                if args.pgo { " (profile-guided)" } else { "" },
                prepared.build_seconds
            )
        } else {
            String::new()
        }
    );
}

/// Runs every sample with a progress bar (for 20 samples or more).
fn run_with_progress(
    prepared: &Prepared,
    network: &ValidNetwork,
    samples: &[Vec<Spike>],
) -> Result<Vec<Result<SampleOutcome, SessionError>>> {
    let bar = indicatif::ProgressBar::new(samples.len() as u64);
    if samples.len() < 20 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let outcomes = run_all(prepared, network, samples, &|n| bar.set_position(n as u64))?;
    bar.finish_and_clear();
    Ok(outcomes)
}

/// A line per sample (with `quiet`, only the ones that did not match), and
/// the first difference of each mismatching one.
fn print_samples(reports: &[SampleReport], outcomes: &Outcomes, quiet: bool) {
    for (r, outcome) in reports.iter().zip(outcomes) {
        let i = r.sample;
        match outcome {
            Err(e) => println!("sample {i}: FAILED: {e}"),
            Ok(o) => {
                let matched = r.status == SampleStatus::Match;
                if !quiet || !matched {
                    println!(
                        "sample {i}: {}, {} cycles (formula bound {}), spikes per layer {:?}, {} synaptic ops",
                        if matched { "match" } else { "MISMATCH" },
                        r.cycles,
                        r.formula_lower_bound,
                        r.spikes_per_layer,
                        r.synaptic_ops
                    );
                }
                if let Some(m) = &o.mismatch {
                    println!("  {m}");
                }
            }
        }
    }
}

/// Writes the waveform `--vcd` asks for, or the one around the first
/// problem; a waveform that cannot be written is a warning. The sample it
/// shows and where it was meant to go.
fn write_requested_waveform(
    prepared: &Prepared,
    samples: &[Vec<Spike>],
    outcomes: &Outcomes,
    first_problem: Option<usize>,
    args: &Args,
) -> Option<(usize, PathBuf)> {
    let (i, window, path) = waveform_plan(outcomes, first_problem, args.vcd.clone())?;
    match write_waveform(prepared, &samples[i], i, window.clone(), &path) {
        Ok(()) => println!(
            "waveform of sample {i} (cycles {}..{} after start) written to {}",
            window.start,
            if window.end == u64::MAX {
                "done".to_string()
            } else {
                window.end.to_string()
            },
            path.display()
        ),
        Err(e) => eprintln!("warning: no waveform: {e:#}"),
    }
    Some((i, path))
}

/// Compares the hardware with the expected file at `path` and says how it
/// went; whether it matched.
fn check_against(
    prepared: &Prepared,
    network: &ValidNetwork,
    path: &Path,
    expected: &ResultFile,
    outcomes: &Outcomes,
    args: &Args,
) -> bool {
    let prefix = args.samples.is_some();
    if let Some(diff) = compare_expected(prepared, network, expected, outcomes, prefix) {
        println!("MISMATCH against {}: {diff}", path.display());
        return false;
    }
    println!(
        "match: the hardware's spikes ({}) and decoded outputs equal {} ({})",
        if prepared.info.taps {
            "every layer"
        } else {
            "the output layer; hidden layers are not observed without taps"
        },
        path.display(),
        if outcomes.len() < expected.samples.len() {
            format!(
                "its first {} of {} samples",
                outcomes.len(),
                expected.samples.len()
            )
        } else {
            format!("all {} samples", outcomes.len())
        }
    );
    true
}

/// The average spikes a sample per layer, input first, and with labelled
/// samples the hardware's and the reference's accuracy and in how many
/// samples their answers agree.
fn print_accuracy(
    network: &ValidNetwork,
    labels: &[Option<u32>],
    samples: &[Vec<Spike>],
    outcomes: &Outcomes,
) {
    let Some(spikes) = average_spikes(samples, outcomes) else {
        return;
    };
    let spikes: Vec<String> = spikes.iter().map(|s| format!("{s:.1}")).collect();
    println!(
        "average spikes a sample: input {}, layers [{}]",
        spikes[0],
        spikes[1..].join(", ")
    );
    let Some(a) = accuracy(network, labels, outcomes) else {
        return;
    };
    let pct = |k: usize| 100.0 * k as f64 / a.total as f64;
    println!(
        "accuracy on {total} labelled samples: hardware {hw}/{total} = {:.2}%, reference {reference}/{total} = {:.2}%; the two answers agree in {agree}/{total}",
        pct(a.hardware),
        pct(a.reference),
        total = a.total,
        hw = a.hardware,
        reference = a.reference,
        agree = a.agree,
    );
}

/// The closing line: how many samples matched, and how fast.
fn print_summary(tally: &Tally, count: usize, wall: f64) {
    println!(
        "{}/{count} samples match the reference bit for bit{}; {} cycles in {:.2} s: {:.3e} simulated cycles/s, {:.1} samples/s",
        tally.matched,
        if tally.all_matched() {
            String::new()
        } else {
            format!(" ({} mismatched, {} failed)", tally.mismatched, tally.failed)
        },
        tally.cycles_total,
        wall,
        tally.cycles_total as f64 / wall,
        count as f64 / wall
    );
}
