//! `spikegate cosim MODEL --input SPIKES`: run the generated hardware and
//! check every spike against the reference model.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;
use spikegate_cosim::Pacing;
use spikegate_hdl::plan::DEFAULT_FIFO_DEPTH;
use spikegate_hdl::BuildOptions;
use spikegate_model::load::read_json;
use spikegate_model::{
    load_network, load_spikes, LayerSpikes, ResultFile, SampleResult, Spike, ValidNetwork,
    RESULT_FORMAT,
};
use spikegate_sim::compare::{check_expected, first_difference_in};

use spikegate_gen::cosim::{
    mismatch_window, prepare, run_all, write_waveform, BackendChoice, CosimOptions,
};
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
/// waveform around it (--vcd, or cosim-sample<N>.vcd) and exits 1.
#[derive(clap::Args)]
pub struct Args {
    /// The model file (JSON, docs/model-format.md).
    pub model: PathBuf,
    /// Input spikes (JSON spike file).
    #[arg(long, short)]
    pub input: PathBuf,
    /// Simulation back end [default: verilator if installed, else rusthdl].
    #[arg(long, value_enum)]
    pub backend: Option<BackendChoice>,
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

/// The `--report` file.
#[derive(Serialize)]
struct Report {
    format: &'static str,
    model: String,
    backend: String,
    pe: usize,
    samples: Vec<SampleReport>,
    matched: usize,
    mismatched: usize,
    failed: usize,
    cycles_total: u64,
    wall_seconds: f64,
    build_seconds: f64,
    simulated_cycles_per_second: f64,
    samples_per_second: f64,
}

#[derive(Serialize)]
struct SampleReport {
    sample: usize,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    cycles: u64,
    formula_lower_bound: u64,
    formula_serial: u64,
    cycles_over_bound: f64,
    spikes_per_layer: Vec<usize>,
    input_spikes: usize,
    synaptic_ops: u64,
    lane_operations: u64,
    /// Synaptic operations over (cycles x processing elements of all cores).
    pe_utilisation: f64,
}

fn check_probability(name: &str, p: f64) -> Result<()> {
    if !(0.0..1.0).contains(&p) {
        anyhow::bail!("--{name} must be in 0.0..1.0 (a probability below 1), not {p}");
    }
    Ok(())
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    check_probability("gaps", args.gaps)?;
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
        Some(path) => {
            let expected: ResultFile = read_json(path)?;
            check_expected(&expected, &network).map_err(|e| anyhow!("{}: {e}", path.display()))?;
            Some((path, expected))
        }
        None => None,
    };
    let labels: Vec<Option<u32>> = input.samples.iter().map(|s| s.label).collect();
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let options = CosimOptions {
        build: BuildOptions {
            pe: args.pe,
            taps: !args.no_taps,
            fifo_depth: args.fifo_depth,
        },
        design: args.design.clone(),
        allow_edited: args.allow_edited_design,
        backend: args.backend,
        lockstep: args.lockstep,
        pacing: Pacing {
            gaps: args.gaps,
            stalls: args.stalls,
            seed: args.seed,
        },
        threads,
        profile_guided: args.pgo.then(|| samples.clone()),
    };
    let prepared = prepare(&network, &options)
        .with_context(|| format!("{}: cannot prepare the co-simulation", args.model.display()))?;
    for note in &prepared.notes {
        eprintln!("note: {note}");
    }
    let backend_name = match (prepared.backend, prepared.lockstep) {
        (_, true) => "verilator+rusthdl (lockstep)",
        (BackendChoice::Verilator, _) => "verilator",
        (BackendChoice::Rusthdl, _) => "rusthdl",
    };
    println!(
        "{}: {} samples on {backend_name}, P = {}, {} threads{}",
        network.network().name,
        samples.len(),
        prepared.info.options.pe,
        threads,
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

    let bar = indicatif::ProgressBar::new(samples.len() as u64);
    if samples.len() < 20 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let started = Instant::now();
    let outcomes = run_all(&prepared, &network, &samples, &|n| {
        bar.set_position(n as u64)
    })?;
    let wall = started.elapsed().as_secs_f64();
    bar.finish_and_clear();

    let lanes: u64 = prepared.plan.cores.iter().map(|c| c.lanes as u64).sum();
    let mut report = Vec::new();
    let mut first_problem = None;
    let (mut matched, mut mismatched, mut failed, mut cycles_total) = (0, 0, 0, 0u64);
    for (i, outcome) in outcomes.iter().enumerate() {
        match outcome {
            Err(e) => {
                failed += 1;
                println!("sample {i}: FAILED: {e}");
                first_problem.get_or_insert(i);
                report.push(SampleReport {
                    sample: i,
                    status: "failed",
                    message: Some(e.to_string()),
                    cycles: 0,
                    formula_lower_bound: 0,
                    formula_serial: 0,
                    cycles_over_bound: 0.0,
                    spikes_per_layer: vec![],
                    input_spikes: samples[i].len(),
                    synaptic_ops: 0,
                    lane_operations: 0,
                    pe_utilisation: 0.0,
                });
            }
            Ok(o) => {
                cycles_total += o.hardware.cycles;
                let spikes: Vec<usize> = o.reference.layers.iter().map(Vec::len).collect();
                let status = if o.mismatch.is_some() {
                    mismatched += 1;
                    first_problem.get_or_insert(i);
                    "mismatch"
                } else {
                    matched += 1;
                    "match"
                };
                if !args.quiet || o.mismatch.is_some() {
                    println!(
                        "sample {i}: {}, {} cycles (formula bound {}), spikes per layer {:?}, {} synaptic ops",
                        if o.mismatch.is_some() { "MISMATCH" } else { "match" },
                        o.hardware.cycles,
                        o.estimate.lower_bound,
                        spikes,
                        o.reference.synaptic_ops
                    );
                }
                if let Some(m) = &o.mismatch {
                    println!("  {m}");
                }
                report.push(SampleReport {
                    sample: i,
                    status,
                    message: o.mismatch.as_ref().map(|m| m.to_string()),
                    cycles: o.hardware.cycles,
                    formula_lower_bound: o.estimate.lower_bound,
                    formula_serial: o.estimate.serial,
                    cycles_over_bound: o.hardware.cycles as f64
                        / o.estimate.lower_bound.max(1) as f64,
                    spikes_per_layer: spikes,
                    input_spikes: samples[i].len(),
                    synaptic_ops: o.reference.synaptic_ops,
                    lane_operations: o.estimate.lane_operations,
                    pe_utilisation: o.reference.synaptic_ops as f64
                        / (o.hardware.cycles.max(1) * lanes) as f64,
                });
            }
        }
    }

    // The waveform: around the first problem, or the whole first sample.
    let waveform = match first_problem {
        Some(i) => {
            let window = match &outcomes[i] {
                Ok(o) => mismatch_window(
                    o.mismatch.as_ref().expect("a mismatch"),
                    &o.hardware,
                    1_000_000,
                ),
                Err(_) => 0..u64::MAX,
            };
            let path = args
                .vcd
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("cosim-sample{i}.vcd")));
            Some((i, window, path))
        }
        None => args.vcd.clone().map(|p| (0, 0..u64::MAX, p)),
    };
    if let Some((i, window, path)) = waveform {
        if !samples.is_empty() {
            match write_waveform(&prepared, &samples[i], i, window.clone(), &path) {
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
        }
    }

    let mut expect_failed = false;
    if let Some((expect, expected)) = &expected {
        let prefix = args.samples.is_some();
        match compare_expected(&prepared, &network, expected, &outcomes, prefix) {
            None => println!(
                "match: the hardware's spikes ({}) and decoded outputs equal {} ({})",
                if prepared.info.taps {
                    "every layer"
                } else {
                    "the output layer; hidden layers are not observed without taps"
                },
                expect.display(),
                if outcomes.len() < expected.samples.len() {
                    format!(
                        "its first {} of {} samples",
                        outcomes.len(),
                        expected.samples.len()
                    )
                } else {
                    format!("all {} samples", outcomes.len())
                }
            ),
            Some(diff) => {
                println!("MISMATCH against {}: {diff}", expect.display());
                expect_failed = true;
            }
        }
    }

    print_accuracy(&network, &labels, &samples, &outcomes);
    println!(
        "{matched}/{} samples match the reference bit for bit{}; {} cycles in {:.2} s: {:.3e} simulated cycles/s, {:.1} samples/s",
        samples.len(),
        if mismatched + failed > 0 {
            format!(" ({mismatched} mismatched, {failed} failed)")
        } else {
            String::new()
        },
        cycles_total,
        wall,
        cycles_total as f64 / wall,
        samples.len() as f64 / wall
    );
    if let Some(path) = &args.report {
        let r = Report {
            format: "spikegate-cosim-report/1",
            model: network.network().name.clone(),
            backend: backend_name.into(),
            pe: prepared.info.options.pe,
            samples: report,
            matched,
            mismatched,
            failed,
            cycles_total,
            wall_seconds: wall,
            build_seconds: prepared.build_seconds,
            simulated_cycles_per_second: cycles_total as f64 / wall,
            samples_per_second: samples.len() as f64 / wall,
        };
        write_json(path, &r)?;
        println!("wrote {}", path.display());
    }
    Ok(if mismatched + failed > 0 || expect_failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// With labelled samples: the hardware's and the reference's accuracy, and
/// in how many samples their answers agree. Also the average spikes a
/// sample per layer, input first.
fn print_accuracy(
    network: &spikegate_model::ValidNetwork,
    labels: &[Option<u32>],
    samples: &[Vec<Spike>],
    outcomes: &[Result<spikegate_gen::cosim::SampleOutcome, spikegate_cosim::SessionError>],
) {
    let ran: Vec<(usize, &spikegate_gen::cosim::SampleOutcome)> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, o)| o.as_ref().ok().map(|o| (i, o)))
        .collect();
    if ran.is_empty() {
        return;
    }
    let n = ran.len() as f64;
    let mut spikes = vec![ran.iter().map(|(i, _)| samples[*i].len()).sum::<usize>() as f64 / n];
    for l in 0..network.network().layers.len() {
        spikes.push(
            ran.iter()
                .map(|(_, o)| o.reference.layers[l].len())
                .sum::<usize>() as f64
                / n,
        );
    }
    let spikes: Vec<String> = spikes.iter().map(|s| format!("{s:.1}")).collect();
    println!(
        "average spikes a sample: input {}, layers [{}]",
        spikes[0],
        spikes[1..].join(", ")
    );
    let labelled: Vec<(u32, &spikegate_gen::cosim::SampleOutcome)> = ran
        .iter()
        .filter_map(|(i, o)| labels.get(*i).copied().flatten().map(|l| (l, *o)))
        .collect();
    if labelled.is_empty() {
        return;
    }
    let (mut hw, mut reference, mut agree) = (0, 0, 0);
    for (label, o) in &labelled {
        let h = o.hardware_output(network).class();
        let r = o.reference.output.class();
        hw += usize::from(h == *label);
        reference += usize::from(r == *label);
        agree += usize::from(h == r);
    }
    let total = labelled.len();
    let pct = |k: usize| 100.0 * k as f64 / total as f64;
    println!(
        "accuracy on {total} labelled samples: hardware {hw}/{total} = {:.2}%, reference {reference}/{total} = {:.2}%; the two answers agree in {agree}/{total}",
        pct(hw),
        pct(reference)
    );
}

/// The hardware's observed layers and decoded output against an expected
/// result file (already checked against the model); the first difference
/// in words. With `prefix` (`--samples N`), the expected file may hold more
/// samples than were run, and its first ones are compared.
fn compare_expected(
    prepared: &spikegate_gen::cosim::Prepared,
    network: &ValidNetwork,
    expected: &ResultFile,
    outcomes: &[Result<spikegate_gen::cosim::SampleOutcome, spikegate_cosim::SessionError>],
    prefix: bool,
) -> Option<String> {
    let net = network.network();
    let count = if prefix {
        outcomes.len().min(expected.samples.len())
    } else {
        expected.samples.len()
    };
    let mut samples = Vec::with_capacity(outcomes.len());
    for (i, outcome) in outcomes.iter().enumerate() {
        let Ok(o) = outcome else {
            return Some(format!("sample {i} did not run"));
        };
        let layers = (0..net.layers.len())
            .map(|l| LayerSpikes {
                name: network.layer_name(l),
                neurons: net.layers[l].size,
                events: o.hardware.layers[l].clone(),
            })
            .collect();
        samples.push(SampleResult {
            layers,
            output: o.hardware_output(network),
        });
    }
    let actual = ResultFile {
        format: RESULT_FORMAT.to_owned(),
        model: net.name.clone(),
        time_steps: net.time_steps,
        samples,
    };
    let wanted = ResultFile {
        samples: expected.samples[..count].to_vec(),
        ..expected.clone()
    };
    first_difference_in(&wanted, &actual, &|l| prepared.info.observed(l))
}
