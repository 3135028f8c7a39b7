//! The quantization report: the discretized network in double precision
//! against the integer reference model on the same sample inputs.

use std::fmt;

use serde::Serialize;
use spikegate_model::{Decode, Spike, ValidNetwork};
use spikegate_sim::decode::decode;
use spikegate_sim::rng::SplitMix64;
use spikegate_sim::Reference;

use crate::float::{simulate, FloatNetwork};
use crate::quantize::LayerQuant;

/// Format identifier of the JSON report.
pub const REPORT_FORMAT: &str = "spikegate-import-report/1";

/// Where the report's sample inputs came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SampleSource {
    /// Random input spikes: each input spikes in each step with probability
    /// `rate`, independently, drawn by SplitMix64 from `seed`.
    Bernoulli {
        /// Number of samples.
        samples: usize,
        /// Spike probability per input per step.
        rate: f64,
        /// Seed of the generator.
        seed: u64,
    },
    /// A user's spike file (`spikegate-spikes/1`).
    File {
        /// The file.
        path: String,
        /// Number of samples in it.
        samples: usize,
    },
}

/// How often the float and integer layers spiked alike.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpikeAgreement {
    /// Fraction of `(sample, step, neuron)` spike bits that are equal.
    pub bits_equal: f64,
    /// Spikes of the float simulation, all samples.
    pub float_spikes: u64,
    /// Spikes of the integer reference, all samples.
    pub int_spikes: u64,
}

/// One layer of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerReport {
    /// What quantization did.
    #[serde(flatten)]
    pub quant: LayerQuant,
    /// Spike agreement (spiking layers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spikes: Option<SpikeAgreement>,
    /// For a readout layer: mean |integer membrane (in float units) - float
    /// membrane| after the last step, relative to the largest |float
    /// membrane|.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readout_error: Option<f64>,
}

/// Agreement of the decoded outputs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputAgreement {
    /// The decoding rule.
    pub decode: Decode,
    /// Samples compared.
    pub samples: usize,
    /// Samples whose winning class is the same in float and integer.
    pub class_equal: usize,
    /// `class_equal / samples` (1 when there are no samples).
    pub class_agreement: f64,
    /// Samples whose decoded values (first-spike steps or spike counts)
    /// are equal too; absent for readout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values_equal: Option<usize>,
}

/// The quantization report printed by `spikegate import` and written by
/// `--report FILE` (serialize it with `serde_json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Always [`REPORT_FORMAT`].
    pub format: String,
    /// The imported file.
    pub source: String,
    /// Weight width `B`.
    pub weight_bits: u32,
    /// State width `S` (membrane, current, threshold).
    pub state_bits: u32,
    /// Time steps `T`.
    pub time_steps: u32,
    /// The time step in seconds, when one was used.
    pub dt: Option<f64>,
    /// The sample inputs.
    pub inputs: SampleSource,
    /// Per layer.
    pub layers: Vec<LayerReport>,
    /// Decoded-output agreement.
    pub output: OutputAgreement,
    /// Everything the user should know: per-layer approximations, rounded
    /// delays, saturation.
    pub warnings: Vec<String>,
}

/// Seeded Bernoulli input spikes: `samples` samples of `steps` steps over
/// `inputs` neurons, each spiking with probability `rate` per step.
pub fn bernoulli_inputs(
    inputs: usize,
    steps: u32,
    samples: usize,
    rate: f64,
    seed: u64,
) -> Vec<Vec<Spike>> {
    let mut rng = SplitMix64::new(seed);
    (0..samples)
        .map(|_| {
            let mut events = Vec::new();
            for t in 0..steps {
                for j in 0..inputs {
                    if rng.chance(rate) {
                        events.push(Spike::new(t, j as u32));
                    }
                }
            }
            events
        })
        .collect()
}

/// What the comparison measured, before it is put into a [`Report`].
pub struct Comparison {
    /// Per layer, in order.
    pub layers: Vec<(Option<SpikeAgreement>, Option<f64>)>,
    /// The decoded outputs.
    pub output: OutputAgreement,
}

/// Runs `samples` through the float network and the integer reference and
/// compares them layer by layer. `quant` gives each layer's per-neuron
/// scale (to compare readout membranes).
pub fn compare(
    float: &FloatNetwork,
    int: &ValidNetwork,
    quant: &[LayerQuant],
    samples: &[Vec<Spike>],
) -> Comparison {
    let steps = int.network().time_steps;
    let n_layers = float.layers.len();
    let mut diff = vec![0u64; n_layers];
    let mut fcount = vec![0u64; n_layers];
    let mut icount = vec![0u64; n_layers];
    let mut readout_abs = 0.0;
    let mut readout_peak = 0.0f64;
    let mut readout_n = 0usize;
    let mut class_equal = 0;
    let mut values_equal = 0;
    let mut reference = Reference::new(int);
    for input in samples {
        let f = simulate(float, steps, input);
        let Ok(run) = reference.run(input) else {
            continue;
        };
        for l in 0..n_layers {
            let a: std::collections::BTreeSet<Spike> = f.layers[l].iter().copied().collect();
            let b: std::collections::BTreeSet<Spike> = run.layers[l].iter().copied().collect();
            diff[l] += a.symmetric_difference(&b).count() as u64;
            fcount[l] += a.len() as u64;
            icount[l] += b.len() as u64;
        }
        let last = float.layers.last().expect("at least one layer");
        let fout = if float.decode == Decode::Readout {
            let scale = &quant[n_layers - 1].neuron_scale;
            for (i, (&vf, &vi)) in f.membranes.iter().zip(run.output.membranes()).enumerate() {
                readout_abs += (vi as f64 / scale[i] - vf).abs();
                readout_peak = readout_peak.max(vf.abs());
                readout_n += 1;
            }
            let mut best = 0;
            for (i, &v) in f.membranes.iter().enumerate() {
                if v > f.membranes[best] {
                    best = i;
                }
            }
            best as u32
        } else {
            let out = decode(
                float.decode,
                &vec![0; last.size],
                &f.layers[n_layers - 1],
                steps,
            );
            if out == run.output {
                values_equal += 1;
            }
            out.class()
        };
        if fout == run.output.class() {
            class_equal += 1;
        }
    }
    let total = samples.len() as u64 * u64::from(steps);
    let layers = float
        .layers
        .iter()
        .enumerate()
        .map(|(l, layer)| {
            if layer.spiking {
                let bits = total * layer.size as u64;
                (
                    Some(SpikeAgreement {
                        bits_equal: if bits == 0 {
                            1.0
                        } else {
                            1.0 - diff[l] as f64 / bits as f64
                        },
                        float_spikes: fcount[l],
                        int_spikes: icount[l],
                    }),
                    None,
                )
            } else {
                let err = if readout_n == 0 || readout_peak == 0.0 {
                    0.0
                } else {
                    readout_abs / readout_n as f64 / readout_peak
                };
                (None, Some(err))
            }
        })
        .collect();
    Comparison {
        layers,
        output: OutputAgreement {
            decode: float.decode,
            samples: samples.len(),
            class_equal,
            class_agreement: if samples.is_empty() {
                1.0
            } else {
                class_equal as f64 / samples.len() as f64
            },
            values_equal: (float.decode != Decode::Readout).then_some(values_equal),
        },
    }
}

fn num(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "quantization report for {}: weights {} bits, state {} bits, T = {}{}",
            self.source,
            self.weight_bits,
            self.state_bits,
            self.time_steps,
            self.dt.map_or(String::new(), |dt| format!(", dt = {dt} s"))
        )?;
        match &self.inputs {
            SampleSource::Bernoulli { samples, rate, seed } => writeln!(
                f,
                "sample inputs: {samples} samples of random spikes (each input spikes with probability {rate} per step, seed {seed})"
            )?,
            SampleSource::File { path, samples } => {
                writeln!(f, "sample inputs: {samples} samples from {path}")?
            }
        }
        writeln!(f)?;
        let header = [
            "layer",
            "from",
            "kind",
            "neurons",
            "decay (float -> integer)",
            "threshold (float -> integer)",
            "weights",
            "saturated",
            "zeroed",
            "spike bits equal",
            "spikes float / integer",
        ];
        let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| (*s).to_owned()).collect()];
        for l in &self.layers {
            let q = &l.quant;
            let decay = if q.decays.is_empty() {
                "-".to_owned()
            } else {
                q.decays
                    .iter()
                    .map(|d| {
                        let spread = if d.spread > 0.0 {
                            format!(" (mean, spread {})", num(d.spread))
                        } else {
                            String::new()
                        };
                        format!("{} {}{} -> {}", d.state, num(d.factor), spread, d.integer)
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            let threshold = match (q.threshold_float, q.threshold_int) {
                (Some((lo, hi)), Some(t)) if lo == hi => format!("{} -> {t} (v >= {t})", num(lo)),
                (Some((lo, hi)), Some(t)) => {
                    format!("{}..{} -> {t} (per-neuron scale)", num(lo), num(hi))
                }
                _ => format!("readout, scale {}", num(q.scale)),
            };
            let (agree, counts) = match (&l.spikes, l.readout_error) {
                (Some(s), _) => (
                    format!("{:.2}%", 100.0 * s.bits_equal),
                    format!("{} / {}", s.float_spikes, s.int_spikes),
                ),
                (None, Some(e)) => (format!("membrane error {:.2}%", 100.0 * e), "-".to_owned()),
                _ => ("-".to_owned(), "-".to_owned()),
            };
            rows.push(vec![
                q.name.clone(),
                q.sources.join(", "),
                q.kind.clone(),
                q.size.to_string(),
                decay,
                threshold,
                q.weights.to_string(),
                q.saturated.to_string(),
                q.zeroed.to_string(),
                agree,
                counts,
            ]);
        }
        let widths: Vec<usize> = (0..header.len())
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        for row in &rows {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, &w)| format!("{cell:<w$}"))
                .collect();
            writeln!(f, "{}", line.join("  ").trim_end())?;
        }
        writeln!(f)?;
        let o = &self.output;
        let decode = match o.decode {
            Decode::FirstSpike => "first_spike",
            Decode::SpikeCount => "spike_count",
            Decode::Readout => "readout",
        };
        write!(
            f,
            "output ({decode}): same class in {} of {} samples ({:.2}%)",
            o.class_equal,
            o.samples,
            100.0 * o.class_agreement
        )?;
        if let Some(v) = o.values_equal {
            let what = if o.decode == Decode::FirstSpike {
                "first-spike steps"
            } else {
                "spike counts"
            };
            write!(f, "; same {what} in {v}")?;
        }
        writeln!(f)?;
        if !self.warnings.is_empty() {
            writeln!(f, "warnings:")?;
            for w in &self.warnings {
                writeln!(f, "  - {w}")?;
            }
        }
        Ok(())
    }
}
