//! The measurement behind the report: every sample through the float
//! network and the integer reference, spike by spike and output by output.

use std::collections::BTreeSet;

use spikegate_model::{Decode, Spike, ValidNetwork};
use spikegate_sim::decode::decode;
use spikegate_sim::{Reference, Run};

use super::{OutputAgreement, SpikeAgreement};
use crate::float::{simulate, FloatNetwork, FloatRun};
use crate::quantize::LayerQuant;

/// What the comparison measured, before it is put into a [`super::Report`].
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
    let mut tally = Tally::new(float.layers.len());
    let mut reference = Reference::new(int);
    for input in samples {
        let f = simulate(float, steps, input);
        // An input the reference refuses is left out of every count.
        let Ok(run) = reference.run(input) else {
            continue;
        };
        tally.add_spikes(&f, &run);
        let float_class = if float.decode == Decode::Readout {
            let last = &quant[float.layers.len() - 1];
            tally.add_readout(&f, &run, &last.neuron_scale)
        } else {
            tally.add_decoded(float, steps, &f, &run)
        };
        tally.add_classes(float_class, &f, &run);
    }
    tally.finish(float, samples.len(), steps)
}

/// The running counts of [`compare`], over the samples so far.
struct Tally {
    /// Per layer: spike bits that differ, float spikes, integer spikes.
    diff: Vec<u64>,
    float_spikes: Vec<u64>,
    int_spikes: Vec<u64>,
    /// Readout: sum of |integer - float| membranes (float units), the
    /// largest |float membrane|, and the number of membranes summed.
    readout_abs: f64,
    readout_peak: f64,
    readout_n: usize,
    /// Samples with the same class, and (spiking output) the same values.
    class_equal: usize,
    values_equal: usize,
    /// Samples with the same class although neither output spiked.
    silent_equal: usize,
    /// How often each class won, float and integer side.
    float_classes: Vec<usize>,
    int_classes: Vec<usize>,
}

impl Tally {
    /// Zero counts for a network of `layers` layers.
    fn new(layers: usize) -> Self {
        Tally {
            diff: vec![0; layers],
            float_spikes: vec![0; layers],
            int_spikes: vec![0; layers],
            readout_abs: 0.0,
            readout_peak: 0.0,
            readout_n: 0,
            class_equal: 0,
            values_equal: 0,
            silent_equal: 0,
            float_classes: Vec::new(),
            int_classes: Vec::new(),
        }
    }

    /// Counts one sample's decoded classes: equal, equal only because
    /// both spiking outputs are silent, and each side's winner.
    fn add_classes(&mut self, float_class: u32, f: &FloatRun, run: &Run) {
        let int_class = run.output.class();
        if float_class == int_class {
            self.class_equal += 1;
            let silent = |spikes: Option<&Vec<Spike>>| spikes.is_some_and(|s| s.is_empty());
            if run.output.membranes().is_empty()
                && silent(f.layers.last())
                && silent(run.layers.last())
            {
                self.silent_equal += 1;
            }
        }
        for (counts, class) in [
            (&mut self.float_classes, float_class),
            (&mut self.int_classes, int_class),
        ] {
            let c = class as usize;
            if counts.len() <= c {
                counts.resize(c + 1, 0);
            }
            counts[c] += 1;
        }
    }

    /// Counts one sample's spikes of every layer, float against integer.
    fn add_spikes(&mut self, f: &FloatRun, run: &Run) {
        for (l, (fs, is)) in f.layers.iter().zip(&run.layers).enumerate() {
            let a: BTreeSet<Spike> = fs.iter().copied().collect();
            let b: BTreeSet<Spike> = is.iter().copied().collect();
            self.diff[l] += a.symmetric_difference(&b).count() as u64;
            self.float_spikes[l] += a.len() as u64;
            self.int_spikes[l] += b.len() as u64;
        }
    }

    /// Adds one sample's readout membranes (`scale` converts integer
    /// membranes to float units) and returns the float side's class: the
    /// first neuron with the largest membrane.
    fn add_readout(&mut self, f: &FloatRun, run: &Run, scale: &[f64]) -> u32 {
        for (i, (&vf, &vi)) in f.membranes.iter().zip(run.output.membranes()).enumerate() {
            self.readout_abs += (vi as f64 / scale[i] - vf).abs();
            self.readout_peak = self.readout_peak.max(vf.abs());
            self.readout_n += 1;
        }
        let mut best = 0;
        for (i, &v) in f.membranes.iter().enumerate() {
            if v > f.membranes[best] {
                best = i;
            }
        }
        best as u32
    }

    /// Decodes one sample's float output spikes as the integer side does,
    /// counts equal decoded values and returns the float side's class.
    fn add_decoded(&mut self, float: &FloatNetwork, steps: u32, f: &FloatRun, run: &Run) -> u32 {
        let last = float.layers.last().expect("at least one layer");
        let out_spikes = f.layers.last().expect("at least one layer");
        let out = decode(float.decode, &vec![0; last.size], out_spikes, steps);
        if out == run.output {
            self.values_equal += 1;
        }
        out.class()
    }

    /// The agreements, over `samples` samples of `steps` steps.
    fn finish(self, float: &FloatNetwork, samples: usize, steps: u32) -> Comparison {
        let total = samples as u64 * u64::from(steps);
        let layers = float
            .layers
            .iter()
            .enumerate()
            .map(|(l, layer)| {
                if layer.spiking {
                    (
                        Some(self.spike_agreement(l, total * layer.size as u64)),
                        None,
                    )
                } else {
                    (None, Some(self.readout_error()))
                }
            })
            .collect();
        Comparison {
            layers,
            output: OutputAgreement {
                decode: float.decode,
                samples,
                class_equal: self.class_equal,
                class_agreement: if samples == 0 {
                    1.0
                } else {
                    self.class_equal as f64 / samples as f64
                },
                values_equal: (float.decode != Decode::Readout).then_some(self.values_equal),
                class_equal_both_silent: self.silent_equal,
                float_classes: self.float_classes,
                int_classes: self.int_classes,
            },
        }
    }

    /// Layer `l`'s agreement over its `bits` spike bits (1 when it has none).
    fn spike_agreement(&self, l: usize, bits: u64) -> SpikeAgreement {
        SpikeAgreement {
            bits_equal: if bits == 0 {
                1.0
            } else {
                1.0 - self.diff[l] as f64 / bits as f64
            },
            float_spikes: self.float_spikes[l],
            int_spikes: self.int_spikes[l],
        }
    }

    /// The mean readout membrane error relative to the largest float
    /// membrane (0 when there is nothing to compare).
    fn readout_error(&self) -> f64 {
        if self.readout_n == 0 || self.readout_peak == 0.0 {
            0.0
        } else {
            self.readout_abs / self.readout_n as f64 / self.readout_peak
        }
    }
}
