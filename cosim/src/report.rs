//! What a co-simulation run found, in the form the command prints and the
//! `--report` file holds: per sample its status and figures, the tallies,
//! the sample a waveform should show, the comparison with an expected
//! result file, and the accuracy on labelled samples.

use std::ops::Range;
use std::path::PathBuf;

use serde::Serialize;
use spikegate_model::{ResultFile, Spike, ValidNetwork, RESULT_FORMAT};
use spikegate_sim::compare::first_difference_in;
use spikegate_sim::sample_result;

use crate::run::{mismatch_window, Prepared, SampleOutcome};
use crate::SessionError;

/// How one sample ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SampleStatus {
    /// Every observed spike equals the reference's.
    Match,
    /// The hardware's spikes differ from the reference's.
    Mismatch,
    /// The sample could not be run (timeout, lockstep disagreement).
    Failed,
}

/// One sample's line of the `--report` file.
#[derive(Debug, Clone, Serialize)]
pub struct SampleReport {
    /// The sample's index.
    pub sample: usize,
    /// How it ended.
    pub status: SampleStatus,
    /// The first difference, or why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Cycles from `start` to `done`.
    pub cycles: u64,
    /// The cycle formula's lower bound for this sample.
    pub formula_lower_bound: u64,
    /// The cycle formula's serial count for this sample.
    pub formula_serial: u64,
    /// `cycles` over the lower bound.
    pub cycles_over_bound: f64,
    /// The reference's spikes per layer.
    pub spikes_per_layer: Vec<usize>,
    /// Input spikes of the sample.
    pub input_spikes: usize,
    /// The reference's synaptic operations.
    pub synaptic_ops: u64,
    /// Lane operations the cycle formula counts.
    pub lane_operations: u64,
    /// Synaptic operations over (cycles x processing elements of all cores).
    pub pe_utilisation: f64,
}

impl SampleReport {
    /// The report of sample `sample` (of `input_spikes` spikes), run on a
    /// design of `lanes` processing elements in all.
    pub fn new(
        sample: usize,
        outcome: &Result<SampleOutcome, SessionError>,
        input_spikes: usize,
        lanes: u64,
    ) -> Self {
        match outcome {
            Err(e) => SampleReport {
                sample,
                status: SampleStatus::Failed,
                message: Some(e.to_string()),
                cycles: 0,
                formula_lower_bound: 0,
                formula_serial: 0,
                cycles_over_bound: 0.0,
                spikes_per_layer: vec![],
                input_spikes,
                synaptic_ops: 0,
                lane_operations: 0,
                pe_utilisation: 0.0,
            },
            Ok(o) => SampleReport {
                sample,
                status: if o.mismatch.is_some() {
                    SampleStatus::Mismatch
                } else {
                    SampleStatus::Match
                },
                message: o.mismatch.as_ref().map(|m| m.to_string()),
                cycles: o.hardware.cycles,
                formula_lower_bound: o.estimate.lower_bound,
                formula_serial: o.estimate.serial,
                cycles_over_bound: o.hardware.cycles as f64 / o.estimate.lower_bound.max(1) as f64,
                spikes_per_layer: o.reference.layers.iter().map(Vec::len).collect(),
                input_spikes,
                synaptic_ops: o.reference.synaptic_ops,
                lane_operations: o.estimate.lane_operations,
                pe_utilisation: o.reference.synaptic_ops as f64
                    / (o.hardware.cycles.max(1) * lanes) as f64,
            },
        }
    }
}

/// The samples counted by how they ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Samples that matched.
    pub matched: usize,
    /// Samples that mismatched.
    pub mismatched: usize,
    /// Samples that could not be run.
    pub failed: usize,
    /// Cycles of every sample that ran.
    pub cycles_total: u64,
    /// The first sample that did not match.
    pub first_problem: Option<usize>,
}

impl Tally {
    /// Counts `reports`.
    pub fn of(reports: &[SampleReport]) -> Self {
        let mut t = Tally::default();
        for r in reports {
            t.cycles_total += r.cycles;
            match r.status {
                SampleStatus::Match => t.matched += 1,
                SampleStatus::Mismatch => t.mismatched += 1,
                SampleStatus::Failed => t.failed += 1,
            }
            if r.status != SampleStatus::Match {
                t.first_problem.get_or_insert(r.sample);
            }
        }
        t
    }

    /// Whether every sample matched.
    pub fn all_matched(&self) -> bool {
        self.mismatched + self.failed == 0
    }
}

/// The `--report` file (`spikegate-cosim-report/1`).
#[derive(Debug, Serialize)]
pub struct RunReport {
    /// `spikegate-cosim-report/1`.
    pub format: &'static str,
    /// The model's name.
    pub model: String,
    /// The back end (`verilator`, `rusthdl`, or both in lockstep).
    pub backend: String,
    /// Processing elements asked for.
    pub pe: usize,
    /// One entry per sample.
    pub samples: Vec<SampleReport>,
    /// Samples that matched.
    pub matched: usize,
    /// Samples that mismatched.
    pub mismatched: usize,
    /// Samples that could not be run.
    pub failed: usize,
    /// Cycles of every sample.
    pub cycles_total: u64,
    /// Seconds the samples took.
    pub wall_seconds: f64,
    /// Seconds spent verilating.
    pub build_seconds: f64,
    /// Simulated cycles a second of wall time.
    pub simulated_cycles_per_second: f64,
    /// Samples a second.
    pub samples_per_second: f64,
}

impl RunReport {
    /// The report of `samples` on `prepared`, counted in `tally`
    /// ([`Tally::of`] them), which took `wall` seconds.
    pub fn new(
        network: &ValidNetwork,
        prepared: &Prepared,
        samples: Vec<SampleReport>,
        tally: &Tally,
        wall: f64,
    ) -> Self {
        let count = samples.len();
        RunReport {
            format: "spikegate-cosim-report/1",
            model: network.network().name.clone(),
            backend: prepared.backend_name().into(),
            pe: prepared.info.options.pe,
            samples,
            matched: tally.matched,
            mismatched: tally.mismatched,
            failed: tally.failed,
            cycles_total: tally.cycles_total,
            wall_seconds: wall,
            build_seconds: prepared.build_seconds,
            simulated_cycles_per_second: tally.cycles_total as f64 / wall,
            samples_per_second: count as f64 / wall,
        }
    }
}

/// Which sample a waveform shows and which of its cycles: around the first
/// problem (a mismatch's window, or all of a failed sample), else the
/// whole first sample when `vcd` was asked for; written to `vcd`, or
/// `cosim-sample<N>.vcd` for a problem.
pub fn waveform_plan(
    outcomes: &[Result<SampleOutcome, SessionError>],
    first_problem: Option<usize>,
    vcd: Option<PathBuf>,
) -> Option<(usize, Range<u64>, PathBuf)> {
    match first_problem {
        Some(i) => {
            let window = match &outcomes[i] {
                Ok(o) => match &o.mismatch {
                    Some(m) => mismatch_window(m, &o.hardware, 1_000_000),
                    None => 0..u64::MAX,
                },
                Err(_) => 0..u64::MAX,
            };
            let path = vcd.unwrap_or_else(|| PathBuf::from(format!("cosim-sample{i}.vcd")));
            Some((i, window, path))
        }
        None => vcd.map(|p| (0, 0..u64::MAX, p)),
    }
}

/// The hardware's observed layers and decoded output against an expected
/// result file (already checked against the model); the first difference
/// in words. With `prefix` (`--samples N`), the expected file may hold more
/// samples than were run, and its first ones are compared.
pub fn compare_expected(
    prepared: &Prepared,
    network: &ValidNetwork,
    expected: &ResultFile,
    outcomes: &[Result<SampleOutcome, SessionError>],
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
        samples.push(sample_result(
            network,
            o.hardware.layers.clone(),
            o.hardware_output(network),
        ));
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

/// The hardware's and the reference's answers on labelled samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accuracy {
    /// Labelled samples that ran.
    pub total: usize,
    /// Of them, answered right by the hardware.
    pub hardware: usize,
    /// Answered right by the reference.
    pub reference: usize,
    /// Answered alike by both.
    pub agree: usize,
}

/// The accuracy on the samples that ran and carry a label (`labels[i]` of
/// sample `i`), or `None` when there are none.
pub fn accuracy(
    network: &ValidNetwork,
    labels: &[Option<u32>],
    outcomes: &[Result<SampleOutcome, SessionError>],
) -> Option<Accuracy> {
    let mut a = Accuracy {
        total: 0,
        hardware: 0,
        reference: 0,
        agree: 0,
    };
    for (i, o) in outcomes.iter().enumerate() {
        let (Ok(o), Some(label)) = (o, labels.get(i).copied().flatten()) else {
            continue;
        };
        let h = o.hardware_output(network).class();
        let r = o.reference.output.class();
        a.total += 1;
        a.hardware += usize::from(h == label);
        a.reference += usize::from(r == label);
        a.agree += usize::from(h == r);
    }
    (a.total > 0).then_some(a)
}

/// The average spikes a sample that ran, the input's first and then every
/// layer's; `None` when no sample ran.
pub fn average_spikes(
    samples: &[Vec<Spike>],
    outcomes: &[Result<SampleOutcome, SessionError>],
) -> Option<Vec<f64>> {
    let ran: Vec<(usize, &SampleOutcome)> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, o)| o.as_ref().ok().map(|o| (i, o)))
        .collect();
    let (_, first) = ran.first()?;
    let n = ran.len() as f64;
    let mut spikes = vec![ran.iter().map(|(i, _)| samples[*i].len()).sum::<usize>() as f64 / n];
    for l in 0..first.reference.layers.len() {
        spikes.push(
            ran.iter()
                .map(|(_, o)| o.reference.layers[l].len())
                .sum::<usize>() as f64
                / n,
        );
    }
    Some(spikes)
}
