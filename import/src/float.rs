//! The discretized network in double precision: what an importer produces
//! before quantization, and its simulator (the "float" side of the
//! quantization report).
//!
//! Every layer's dynamics are already per-step (forward Euler with the
//! chosen `dt` applied, `docs/import.md`): a neuron of layer `l` at step `t`
//!
//! 1. takes `x = bias + sum of weights[j][i]` over the presynaptic spikes
//!    arriving at `t` (delays in steps, as in `docs/semantics.md`), plus
//!    `recurrent[j][i]` for each of the layer's own spikes of `t - 1`;
//! 2. updates: `if`: `v = v + x`; `lif`: `v = f*v + x`;
//!    `cuba`: `i = g*i + x`, then `v = f*v + i` (the new `i`);
//! 3. spikes if `v > threshold` (strict, as NIR), for spiking layers;
//! 4. resets: `zero`: `v = 0`; `subtract`: `v = v - threshold`; `none`.
//!
//! This is the integer semantics with real numbers and the NIR threshold
//! test, so the report measures quantization alone.

use std::path::Path;

use serde::Serialize;
use spikegate_model::limits::MAX_SPIKES_PER_STEP;
use spikegate_model::{Conv2d, Decode, Reset, ResetTiming, Spike, SumPool};
use spikegate_sim::maps::ConvTaps;

/// The neuron dynamics of one layer, with per-neuron decay factors.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum FloatKind {
    /// `v = v + x`.
    If,
    /// `v = factor[i] * v + x`.
    Lif {
        /// Per-neuron membrane decay factors.
        decay: Vec<f64>,
    },
    /// `i = current[i] * i + x; v = membrane[i] * v + i`.
    Cuba {
        /// Per-neuron current decay factors.
        current: Vec<f64>,
        /// Per-neuron membrane decay factors.
        membrane: Vec<f64>,
    },
}

/// One dense layer in real numbers, per-step.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatLayer {
    /// Layer name (the neuron node's name for NIR).
    pub name: String,
    /// Where it came from: the NIR nodes folded into it, or the `.npz`
    /// layer, for the report.
    pub sources: Vec<String>,
    /// Number of neurons.
    pub size: usize,
    /// Dynamics.
    pub kind: FloatKind,
    /// `weights[j][i]`: per-step input to neuron `i` from a spike of
    /// presynaptic `j` (fan-out rows, as in the model format).
    pub weights: Vec<Vec<f64>>,
    /// Per-neuron input added every step.
    pub bias: Vec<f64>,
    /// Per-neuron thresholds (strict `v > threshold`); unused in a readout.
    pub threshold: Vec<f64>,
    /// Reset mode of a spiking layer.
    pub reset: Reset,
    /// When the reset acts: in the step of the spike, or in the next step
    /// after the update (docs/semantics.md section 4).
    pub timing: ResetTiming,
    /// Whether the threshold test includes equality (`v >= threshold`, as
    /// Sinabs fires) rather than NIR's strict `v > threshold`.
    pub inclusive: bool,
    /// Whether a neuron fires `floor(v / threshold)` spikes in a step (as
    /// Sinabs' multi-spike neurons do, without limit) rather than one.
    pub multi_spike: bool,
    /// A lower bound on each neuron's membrane, as a multiple of its
    /// threshold (Sinabs' `min_v_mem = -threshold`: -1).
    pub floor: Option<f64>,
    /// Whether the layer spikes (false only for a final readout layer).
    pub spiking: bool,
    /// Per-synapse delays in steps, `delays[j][i]`; `None` when all are 0.
    pub delays: Option<Vec<Vec<u32>>>,
    /// A sum pool the arriving spikes pass first (an average pool's
    /// `1 / (ky kx)` is already in the weights).
    pub pool: Option<SumPool>,
    /// A convolution instead of `weights` (which is then empty).
    pub conv: Option<FloatConv>,
    /// Recurrent weights `recurrent[j][i]`: the input to neuron `i` in
    /// step `t + 1` from a spike of the layer's own neuron `j` in step `t`.
    pub recurrent: Option<Vec<Vec<f64>>>,
}

/// A convolution in real numbers: the geometry of the model's `conv2d`
/// (its integer `weights` left empty) and the kernels.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatConv {
    /// Input map, output channels, kernel, stride and padding.
    pub geometry: Conv2d,
    /// `kernels[((o * C_in + c) * kh + dy) * kw + dx]`, per step, with the
    /// neurons' input gain applied.
    pub kernels: Vec<f64>,
}

impl FloatConv {
    /// Kernel value `[o][c][dy][dx]`.
    pub fn kernel(&self, o: usize, c: usize, dy: usize, dx: usize) -> f64 {
        let g = &self.geometry;
        let [kh, kw] = g.kernel;
        self.kernels[((o * g.input[0] + c) * kh + dy) * kw + dx]
    }

    /// Neurons of one output channel, `H_out * W_out`: channel `o` holds
    /// neurons `o * plane .. (o + 1) * plane`.
    pub fn plane(&self) -> usize {
        let [_, oh, ow] = self
            .geometry
            .output()
            .expect("the importer checks the kernel fits");
        oh * ow
    }

    /// Values of one output channel's kernels, `C_in * kh * kw`.
    fn per_channel(&self) -> usize {
        let [kh, kw] = self.geometry.kernel;
        (self.geometry.input[0] * kh * kw).max(1)
    }

    /// Each output channel's kernels, in channel order.
    pub fn channels(&self) -> std::slice::Chunks<'_, f64> {
        self.kernels.chunks(self.per_channel())
    }

    /// [`FloatConv::channels`], to change in place.
    pub fn channels_mut(&mut self) -> std::slice::ChunksMut<'_, f64> {
        let n = self.per_channel();
        self.kernels.chunks_mut(n)
    }
}

/// A discretized network in real numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatNetwork {
    /// Network name.
    pub name: String,
    /// Input neurons.
    pub inputs: usize,
    /// Layers, in order.
    pub layers: Vec<FloatLayer>,
    /// Output decoding.
    pub decode: Decode,
}

/// The network name an importer gives when the user and the file give
/// none: the imported file's stem (`imported` if it has none).
pub(crate) fn name_from_file(file: &Path) -> String {
    file.file_stem()
        .map_or("imported".to_owned(), |s| s.to_string_lossy().into_owned())
}

/// What one sample produced in the float simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatRun {
    /// Every layer's spikes, sorted by `(step, neuron)` (empty for a readout).
    pub layers: Vec<Vec<Spike>>,
    /// The last layer's membranes after the last step.
    pub membranes: Vec<f64>,
}

/// Applies the reset `rule`; `amount` is what a subtraction takes (the
/// threshold times the spikes).
fn reset(v: &mut f64, rule: Reset, amount: f64) {
    match rule {
        Reset::Zero => *v = 0.0,
        Reset::Subtract => *v -= amount,
        Reset::None => {}
    }
}

/// How many spikes a neuron of `layer` at membrane `v` fires.
fn spike_count(layer: &FloatLayer, v: f64, theta: f64) -> usize {
    let fires = layer.spiking
        && if layer.inclusive {
            v >= theta
        } else {
            v > theta
        };
    match (fires, layer.multi_spike) {
        (false, _) => 0,
        (true, false) => 1,
        // At most the model's limit, so that no membrane, however large,
        // makes a step fire without end.
        (true, true) => ((v / theta).floor() as usize).clamp(1, MAX_SPIKES_PER_STEP as usize),
    }
}

/// Adds input `j`'s kernel taps into the conv layer's arrivals `pending`.
fn scatter(conv: &FloatConv, taps: &ConvTaps, j: usize, pending: &mut [f64]) {
    let g = &conv.geometry;
    let [_, h, w] = g.input;
    let c = j / (h * w);
    let [kh, kw] = g.kernel;
    let plane = taps.plane();
    taps.for_each_target(j, |tap, at| {
        let (dy, dx) = (tap / kw % kh, tap % kw);
        for o in 0..g.out_channels {
            pending[o * plane + at] += conv.kernel(o, c, dy, dx);
        }
    });
}

/// Runs one sample of `steps` steps from the zero state.
pub fn simulate(net: &FloatNetwork, steps: u32, input: &[Spike]) -> FloatRun {
    let steps = steps as usize;
    let mut incoming: Vec<Vec<u32>> = vec![Vec::new(); steps];
    for s in input {
        if (s.step as usize) < steps && (s.neuron as usize) < net.inputs {
            incoming[s.step as usize].push(s.neuron);
        }
    }
    let mut all = Vec::with_capacity(net.layers.len());
    let mut membranes = Vec::new();
    for layer in &net.layers {
        let n = layer.size;
        let max_delay = layer
            .delays
            .as_ref()
            .map(|d| d.iter().flatten().copied().max().unwrap_or(0) as usize)
            .unwrap_or(0);
        // Arrivals per step, ring of max_delay + 1 slots.
        let slots = max_delay + 1;
        let mut pending = vec![vec![0.0f64; n]; slots];
        let mut v = vec![0.0f64; n];
        let mut cur = vec![0.0f64; n];
        // Deferred reset: the spikes the neuron fired in the previous step.
        let mut owed = vec![0.0f64; n];
        let deferred = layer.timing == ResetTiming::Deferred;
        let mut spikes = Vec::new();
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); steps];
        let taps = layer.conv.as_ref().map(|c| ConvTaps::new(&c.geometry));
        for t in 0..steps {
            if let (Some(recurrent), Some(before)) = (&layer.recurrent, t.checked_sub(1)) {
                for &j in &out[before] {
                    for (p, w) in pending[t % slots].iter_mut().zip(&recurrent[j as usize]) {
                        *p += w;
                    }
                }
            }
            for &j in &incoming[t] {
                let j = layer
                    .pool
                    .as_ref()
                    .map_or(j as usize, |p| p.pooled(j as usize));
                if let (Some(conv), Some(taps)) = (&layer.conv, &taps) {
                    scatter(conv, taps, j, &mut pending[t % slots]);
                    continue;
                }
                for i in 0..n {
                    let d = layer.delays.as_ref().map_or(0, |d| d[j][i] as usize);
                    if t + d < steps {
                        pending[(t + d) % slots][i] += layer.weights[j][i];
                    }
                }
            }
            let slot = t % slots;
            for i in 0..n {
                let x = layer.bias[i] + pending[slot][i];
                pending[slot][i] = 0.0;
                match &layer.kind {
                    FloatKind::If => v[i] += x,
                    FloatKind::Lif { decay } => v[i] = decay[i] * v[i] + x,
                    FloatKind::Cuba { current, membrane } => {
                        cur[i] = current[i] * cur[i] + x;
                        v[i] = membrane[i] * v[i] + cur[i];
                    }
                }
                let theta = layer.threshold[i];
                if deferred && owed[i] > 0.0 {
                    reset(&mut v[i], layer.reset, owed[i] * theta);
                }
                let count = spike_count(layer, v[i], theta);
                for _ in 0..count {
                    spikes.push(Spike::new(t as u32, i as u32));
                    out[t].push(i as u32);
                }
                if count > 0 && !deferred {
                    reset(&mut v[i], layer.reset, count as f64 * theta);
                }
                owed[i] = count as f64;
                if let Some(floor) = layer.floor {
                    v[i] = v[i].max(floor * theta);
                }
            }
        }
        all.push(spikes);
        incoming = out;
        membranes = v;
    }
    FloatRun {
        layers: all,
        membranes,
    }
}
