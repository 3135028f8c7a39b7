//! From a discretized [`FloatNetwork`] to spikegate's integer model:
//! per-layer scaling of weights and thresholds, decays as shift or
//! multiplier, and what each choice cost (for the report). The rules are
//! written out in `docs/import.md`.

use serde::Serialize;
use spikegate_model::limits::{MAX_SPIKES_PER_STEP, MAX_WEIGHT_SHIFT};
use spikegate_model::width::range_of;
use spikegate_model::{
    Conv2d, Decay, Delays, Layer, Matrix, Network, Neuron, Output, Recurrent, Reset, ResetTiming,
    Widths, MODEL_FORMAT,
};

use crate::float::{FloatConv, FloatKind, FloatLayer, FloatNetwork};
use crate::ImportOptions;

/// How one decay factor became an integer decay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecayChoice {
    /// Which state it decays: `membrane` or `current`.
    pub state: String,
    /// The per-step factor in real numbers (the layer mean).
    pub factor: f64,
    /// Largest minus smallest per-neuron factor in the layer (0 when all
    /// neurons share one time constant).
    pub spread: f64,
    /// The integer form: `none`, `shift k` or `multiply b/2^F`.
    pub integer: String,
    /// The factor the integer form applies (`1 - 2^-k`, `b / 2^F`, or 1).
    pub effective: f64,
}

/// What quantization did to one layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerQuant {
    /// Layer name.
    pub name: String,
    /// The NIR nodes (or `.npz` layer) it came from.
    pub sources: Vec<String>,
    /// spikegate neuron kind.
    pub kind: String,
    /// Neurons.
    pub size: usize,
    /// Weight units per unit of threshold: each neuron's weights are
    /// scaled by `scale / theta_i` (for a readout, `scale` multiplies every
    /// weight); its threshold is `scale * 2^weight_shift` state units.
    pub scale: f64,
    /// Float thresholds (smallest and largest) of a spiking layer.
    pub threshold_float: Option<(f64, f64)>,
    /// The integer threshold in state units: `floor(scale * 2^k) + 1`,
    /// NIR's `v > theta` as `>=` (`scale * 2^k` for an inclusive test).
    pub threshold_int: Option<i64>,
    /// The decays.
    pub decays: Vec<DecayChoice>,
    /// Weights and biases quantized.
    pub weights: usize,
    /// Values clamped to the weight width.
    pub saturated: usize,
    /// Non-zero float weights that rounded to 0.
    pub zeroed: usize,
    /// Largest rounding error of an unsaturated weight, in LSB (at most 0.5).
    pub max_rounding_lsb: f64,
    /// The reset of a spiking layer and when it acts (`subtract`,
    /// `zero, deferred`).
    pub reset: Option<String>,
    /// State units per weight unit, as a power of two: the layer's
    /// `weight_shift` (docs/semantics.md section 3).
    pub weight_shift: u32,
    /// When the float weights already lay on a grid (quantization-aware
    /// training) and the scale keeps it exact: the largest |weight or
    /// bias| in grid steps. Such weights round without error.
    pub grid_levels: Option<i64>,
    /// Per-neuron factor from float membrane units to integer units.
    #[serde(skip)]
    pub neuron_scale: Vec<f64>,
}

/// The integer network and what each layer's quantization did.
pub struct Quantized {
    /// The model (not yet validated).
    pub network: Network,
    /// Per layer.
    pub layers: Vec<LayerQuant>,
    /// Notes for the report.
    pub warnings: Vec<String>,
}

/// The per-layer integer decay for the per-neuron `factors` of one state
/// (`membrane` or `current`) of `layer`: none for a factor of 1, a shift
/// when `1 - 2^-k` is within the tolerance, else a multiplier. spikegate's
/// decays are per layer, so differing factors are averaged, with a warning.
fn choose_decay(
    state: &str,
    factors: &[f64],
    width: u32,
    options: &ImportOptions,
    layer: &str,
    warnings: &mut Vec<String>,
) -> (Option<Decay>, DecayChoice) {
    let n = factors.len().max(1) as f64;
    let mean = factors.iter().sum::<f64>() / n;
    let (lo, hi) = min_max(factors);
    let spread = if factors.is_empty() { 0.0 } else { hi - lo };
    if spread > 1e-9 {
        warnings.push(format!(
            "layer `{layer}`: per-neuron {state} decay factors differ ({lo:.6} to {hi:.6}); spikegate decays are per layer, so the mean {mean:.6} is used (the float side of this report keeps each neuron's own)"
        ));
    }
    let (decay, integer, effective) = if mean >= 1.0 - 1e-12 {
        (None, "none".to_owned(), 1.0)
    } else {
        let k = (-(1.0 - mean).log2()).round();
        let shift_factor = 1.0 - (-k).exp2();
        if k >= 1.0 && (k as u32) < width && (shift_factor - mean).abs() <= options.shift_tolerance
        {
            (
                Some(Decay::Shift(k as u32)),
                format!("shift {k}"),
                shift_factor,
            )
        } else {
            let f = options.decay_frac_bits;
            let one = 1i64 << f;
            let beta = ((mean * one as f64).round() as i64).clamp(0, one);
            (
                Some(Decay::Multiply { beta, frac_bits: f }),
                format!("multiply {beta}/2^{f}"),
                beta as f64 / one as f64,
            )
        }
    };
    (
        decay,
        DecayChoice {
            state: state.to_owned(),
            factor: mean,
            spread,
            integer,
            effective,
        },
    )
}

/// The smallest and largest of `values` (infinities when there are none).
fn min_max(values: &[f64]) -> (f64, f64) {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo, hi)
}

/// Quantizes `net` with the widths and rules of `options`.
pub fn quantize(net: &FloatNetwork, options: &ImportOptions) -> Quantized {
    let mut warnings = Vec::new();
    let (layers, reports) = net
        .layers
        .iter()
        .map(|layer| quantize_layer(layer, options, &mut warnings))
        .unzip();
    Quantized {
        network: Network {
            format: MODEL_FORMAT.to_owned(),
            name: net.name.clone(),
            time_steps: options.time_steps,
            inputs: net.inputs,
            layers,
            output: Output { decode: net.decode },
        },
        layers: reports,
        warnings,
    }
}

/// One layer as an integer model layer, with what its quantization did.
/// Notes (averaged decays, saturation, a capped threshold) go to
/// `warnings`, in that order.
fn quantize_layer(
    layer: &FloatLayer,
    options: &ImportOptions,
    warnings: &mut Vec<String>,
) -> (Layer, LayerQuant) {
    let b = options.weight_bits;
    let s = options.state_bits;
    let n = layer.size;
    let (neuron, decays) = integer_neuron(layer, options, warnings);
    let scaling = Scaling::of(layer, options);
    let mut rounder = Rounder::new(b);
    // Every float row has one value per neuron (the importers build them
    // so), which `from_flat` checks.
    let weights = Matrix::from_flat(
        layer.weights.len(),
        n,
        layer
            .weights
            .iter()
            .flat_map(|row| row.iter().enumerate())
            .map(|(i, &w)| rounder.round(w, scaling.neuron_scale[i]))
            .collect(),
    );
    let conv2d = layer
        .conv
        .as_ref()
        .map(|conv| quantize_kernels(conv, &scaling.neuron_scale, &mut rounder));
    // At the feed-forward weights' scale and width: both sum into one
    // accumulator.
    let recurrent = layer.recurrent.as_ref().map(|rows| Recurrent {
        width: b,
        weights: Matrix::from_fn(n, n, |j, i| {
            rounder.round(rows[j][i], scaling.neuron_scale[i])
        }),
    });
    // A conv layer's bias is one per output channel (the importer gives
    // every neuron of a channel the same).
    let bias_neurons: Vec<usize> = match &layer.conv {
        Some(conv) => (0..conv.geometry.out_channels)
            .map(|o| o * conv.plane())
            .collect(),
        None => (0..n).collect(),
    };
    let bias: Vec<i64> = bias_neurons
        .iter()
        .map(|&i| rounder.round(layer.bias[i], scaling.neuron_scale[i]))
        .collect();
    let count = dense_rows(layer).count() * n
        + layer.conv.as_ref().map_or(0, |c| c.kernels.len())
        + bias.len();
    if rounder.saturated > 0 {
        warnings.push(format!(
            "layer `{}`: {} of {count} weights and biases saturated at the {b}-bit weight range",
            layer.name, rounder.saturated
        ));
    }
    if layer.spiking && scaling.scale >= threshold_cap(s) {
        warnings.push(format!(
            "layer `{}`: the threshold was capped at half the {s}-bit membrane range, so the weights do not use the whole {b}-bit width; give more state bits",
            layer.name
        ));
    }
    let gain = (1u64 << scaling.shift) as f64;
    let state_scale = scaling.scale * gain;
    let report = LayerQuant {
        name: layer.name.clone(),
        sources: layer.sources.clone(),
        kind: neuron.kind_name().to_owned(),
        size: n,
        scale: scaling.scale,
        threshold_float: layer.spiking.then(|| min_max(&layer.threshold)),
        threshold_int: scaling.threshold_int,
        decays,
        weights: count,
        saturated: rounder.saturated,
        zeroed: rounder.zeroed,
        max_rounding_lsb: rounder.max_error,
        reset: layer.spiking.then(|| reset_name(layer.reset, layer.timing)),
        weight_shift: scaling.shift,
        grid_levels: scaling.grid_levels,
        neuron_scale: scaling.neuron_scale.iter().map(|k| k * gain).collect(),
    };
    let model = Layer {
        name: Some(layer.name.clone()),
        size: n,
        widths: Widths {
            weight: b,
            membrane: s,
            threshold: s,
            current: neuron.has_current().then_some(s),
            adaptation: None,
        },
        neuron,
        threshold: scaling.threshold_int,
        reset: layer.spiking.then_some(layer.reset),
        reset_timing: (layer.spiking && layer.timing == ResetTiming::Deferred)
            .then_some(ResetTiming::Deferred),
        max_spikes: max_spikes(layer, scaling.threshold_int, options, warnings),
        membrane_floor: layer
            .floor
            .filter(|_| layer.spiking)
            .map(|ratio| membrane_floor(ratio, state_scale, s)),
        weight_shift: (scaling.shift > 0).then_some(scaling.shift),
        input_pool: layer.pool.clone(),
        conv2d,
        weights,
        bias: bias.iter().any(|&x| x != 0).then_some(bias),
        delays: layer.delays.as_ref().map(|values| Delays {
            max: values.iter().flatten().copied().max().unwrap_or(0),
            values: Matrix::from_flat(values.len(), n, values.iter().flatten().copied().collect()),
        }),
        recurrent,
    };
    (model, report)
}

/// The model's `conv2d`: `conv`'s geometry with its kernels rounded, each
/// output channel at the scale of its neurons (`neuron_scale`, the same
/// for every neuron of a channel).
fn quantize_kernels(conv: &FloatConv, neuron_scale: &[f64], rounder: &mut Rounder) -> Conv2d {
    let g = &conv.geometry;
    let [c_in, _, _] = g.input;
    let [kh, kw] = g.kernel;
    let plane = conv.plane();
    let weights = (0..g.out_channels)
        .map(|o| {
            let k = neuron_scale[o * plane];
            (0..c_in)
                .map(|c| {
                    Matrix::from_fn(kh, kw, |dy, dx| rounder.round(conv.kernel(o, c, dy, dx), k))
                })
                .collect()
        })
        .collect();
    Conv2d {
        weights,
        ..g.clone()
    }
}

/// The integer neuron kind of `layer` and how each of its decays was
/// chosen. A LIF layer whose decay rounds to none becomes IF.
fn integer_neuron(
    layer: &FloatLayer,
    options: &ImportOptions,
    warnings: &mut Vec<String>,
) -> (Neuron, Vec<DecayChoice>) {
    let s = options.state_bits;
    let mut decay = |state: &str, factors: &[f64], decays: &mut Vec<DecayChoice>| {
        let (d, choice) = choose_decay(state, factors, s, options, &layer.name, warnings);
        decays.push(choice);
        d
    };
    let mut decays = Vec::new();
    let neuron = match &layer.kind {
        FloatKind::If => Neuron::If,
        FloatKind::Lif { decay: factors } => match decay("membrane", factors, &mut decays) {
            Some(leak) => Neuron::Lif { leak },
            None => Neuron::If,
        },
        FloatKind::Cuba { current, membrane } => Neuron::Cuba {
            current_decay: decay("current", current, &mut decays),
            membrane_decay: decay("membrane", membrane, &mut decays),
        },
    };
    (neuron, decays)
}

/// The largest integer threshold of an `s`-bit membrane: thresholds stay
/// in the lower half of the membrane range, so the membrane can overshoot
/// them without saturating.
fn threshold_cap(s: u32) -> f64 {
    (1i64 << (s - 2)) as f64
}

/// The largest threshold a weight shift may give a layer of an `s`-bit
/// membrane: the finest state steps that leave the membrane room for 8
/// thresholds either way (an inhibited membrane in a framework goes well
/// below `-theta`; measured, room for 2 costs agreement). A multi-spike
/// layer keeps room for one more than the most spikes it may fire a step
/// (`max_spikes`, the user's or the model's 255), so that the shift never
/// caps a count the framework fires (the Sinabs CNN fires up to 96).
fn shift_cap(s: u32, multi_spike: bool, max_spikes: Option<u32>) -> f64 {
    let positive = (1i64 << (s - 1)) as f64;
    if multi_spike {
        let most = max_spikes.unwrap_or(MAX_SPIKES_PER_STEP);
        positive / f64::from(most + 1)
    } else {
        positive / 8.0
    }
}

/// How a layer's float values become integers.
struct Scaling {
    /// Integer units per unit of threshold (see [`LayerQuant::scale`]).
    scale: f64,
    /// Per neuron: the factor from float membrane units to integer units.
    neuron_scale: Vec<f64>,
    /// The integer threshold of a spiking layer, in state units.
    threshold_int: Option<i64>,
    /// The layer's `weight_shift`: state units are `2^shift` times finer
    /// than weight units.
    shift: u32,
    /// When the weights lay on a grid that the scale keeps exact: its
    /// largest |value| in steps.
    grid_levels: Option<i64>,
}

impl Scaling {
    /// The scaling that maps `layer`'s largest |weight or bias| (relative
    /// to each neuron's threshold, for a spiking layer) to the weight
    /// range's largest value, divided by the weight clip.
    fn of(layer: &FloatLayer, options: &ImportOptions) -> Self {
        let n = layer.size;
        // Largest |input| per neuron (weights and bias).
        let mut peak = layer.bias.iter().map(|b| b.abs()).collect::<Vec<_>>();
        for row in dense_rows(layer) {
            for (i, w) in row.iter().enumerate() {
                peak[i] = peak[i].max(w.abs());
            }
        }
        if let Some(conv) = &layer.conv {
            let plane = conv.plane();
            for (o, kernels) in conv.channels().enumerate() {
                let m = kernels.iter().fold(0.0f64, |m, w| m.max(w.abs()));
                for p in &mut peak[o * plane..(o + 1) * plane] {
                    *p = p.max(m);
                }
            }
        }
        let (_, wmax) = range_of(options.weight_bits);
        let full = wmax as f64 / options.weight_clip;
        if layer.spiking {
            let cap = threshold_cap(options.state_bits);
            let m = (0..n)
                .map(|i| peak[i] / layer.threshold[i])
                .fold(0.0f64, f64::max);
            let t = if m > 0.0 { (full / m).min(cap) } else { cap };
            // Weights trained on a grid keep it exactly.
            let grid = on_grid(layer, wmax);
            let t = grid.map_or(t, |g| g.scale_within(t, layer.inclusive));
            // An inclusive test (`v >= T`) is exact on integers only for a
            // whole `T`; the strict one is `v >= floor(T) + 1` for any `T`.
            let t = if layer.inclusive {
                // A hair above, so that an exact ratio (127 / (127 / 13))
                // rounded just below its integer floors to that integer.
                (t * (1.0 + 1e-12)).floor().max(1.0)
            } else {
                t
            };
            let threshold_at = |k: u32| {
                // A float32 grid's scale comes out a hair off its whole
                // value; the threshold is that whole value.
                let units = t * (1u64 << k) as f64;
                let whole = units.round();
                let units = if (units - whole).abs() <= GRID_TOLERANCE * units {
                    whole
                } else {
                    units
                };
                if layer.inclusive {
                    units as i64
                } else {
                    units.floor() as i64 + 1
                }
            };
            let shift_cap = shift_cap(options.state_bits, layer.multi_spike, options.max_spikes);
            let shift = options.weight_shift.unwrap_or_else(|| {
                (0..=MAX_WEIGHT_SHIFT.min(options.state_bits - 2))
                    .take_while(|&k| k == 0 || threshold_at(k) as f64 <= shift_cap)
                    .last()
                    .unwrap_or(0)
            });
            Scaling {
                scale: t,
                neuron_scale: layer.threshold.iter().map(|th| t / th).collect(),
                threshold_int: Some(threshold_at(shift)),
                shift,
                grid_levels: grid.filter(|g| g.kept_by(t)).map(|g| g.levels),
            }
        } else {
            let m = peak.iter().copied().fold(0.0f64, f64::max);
            let t = if m > 0.0 { full / m } else { 1.0 };
            Scaling {
                scale: t,
                neuron_scale: vec![t; n],
                threshold_int: None,
                shift: 0,
                grid_levels: None,
            }
        }
    }
}

/// Relative slack when comparing a grid's scale with another: float32
/// weights carry about 1e-7 of relative error.
const GRID_TOLERANCE: f64 = 1e-6;

/// A grid the float weights of a layer already lie on (quantization-aware
/// training): every weight and bias, in units of its neuron's threshold,
/// is a whole number of `1 / per_threshold`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Grid {
    /// Grid steps per threshold.
    per_threshold: f64,
    /// The largest |weight or bias| in grid steps.
    levels: i64,
}

impl Grid {
    /// The scale (integer units per threshold) at most `t` that keeps the
    /// grid exact: the grid's own times the largest whole number that
    /// fits. An inclusive test needs a whole scale, so there a grid of a
    /// fractional scale does not count and `t` stays.
    /// Whether the scale `t` keeps the grid exact: a whole multiple of
    /// the grid's own scale.
    fn kept_by(self, t: f64) -> bool {
        let r = t / self.per_threshold;
        r >= 1.0 - GRID_TOLERANCE && (r - r.round()).abs() <= GRID_TOLERANCE * r
    }

    fn scale_within(self, t: f64, inclusive: bool) -> f64 {
        let g = self.per_threshold;
        let whole = (g - g.round()).abs() <= GRID_TOLERANCE * g;
        if g > t * (1.0 + GRID_TOLERANCE) || (inclusive && !whole) {
            return t;
        }
        let scaled = g * (t / g * (1.0 + GRID_TOLERANCE)).floor().max(1.0);
        if inclusive {
            scaled.round()
        } else {
            scaled
        }
    }
}

/// Every fan-out row of `layer`'s dense weights: the feed-forward rows,
/// then the recurrent ones, which sum into the same accumulator and so
/// share its scale.
fn dense_rows(layer: &FloatLayer) -> impl Iterator<Item = &Vec<f64>> {
    layer.weights.iter().chain(layer.recurrent.iter().flatten())
}

/// The grid `layer`'s weights and biases lie on, if any, with at most
/// `max_level` steps on either side: the smallest non-zero |value| (in
/// threshold units) divided by 1 to 8, whichever makes every value a whole
/// number of steps (within 1e-3 of one, what float32 storage of a whole
/// number up to a few thousand steps keeps).
fn on_grid(layer: &FloatLayer, max_level: i64) -> Option<Grid> {
    let mut units: Vec<f64> = (0..layer.size)
        .flat_map(|i| {
            let th = layer.threshold[i];
            dense_rows(layer)
                .map(move |row| row[i] / th)
                .chain(std::iter::once(layer.bias[i] / th))
        })
        .collect();
    if let Some(conv) = &layer.conv {
        let plane = conv.plane();
        for (o, kernels) in conv.channels().enumerate() {
            let th = layer.threshold[o * plane];
            units.extend(kernels.iter().map(|w| w / th));
        }
    }
    let smallest = units
        .iter()
        .map(|u| u.abs())
        .filter(|&a| a > 0.0)
        .fold(f64::INFINITY, f64::min);
    if !smallest.is_finite() {
        return None;
    }
    // One magnitude is no grid: the full-width scale is exact for it.
    let magnitudes_differ = units
        .iter()
        .any(|u| u.abs() > 0.0 && (u.abs() - smallest).abs() > GRID_TOLERANCE * smallest);
    if !magnitudes_differ {
        return None;
    }
    (1..=8).find_map(|k| {
        let step = smallest / k as f64;
        let mut levels = 0i64;
        for u in &units {
            let l = u / step;
            if (l - l.round()).abs() > 1e-3 || l.abs().round() > max_level as f64 {
                return None;
            }
            levels = levels.max(l.abs().round() as i64);
        }
        Some(Grid {
            per_threshold: 1.0 / step,
            levels,
        })
    })
}

/// Rounds scaled weights and biases into the weight range, counting what
/// that costs for the report.
struct Rounder {
    min: i64,
    max: i64,
    /// Values clamped to the range.
    saturated: usize,
    /// Non-zero values that rounded to 0.
    zeroed: usize,
    /// Largest rounding error of an unsaturated value, in LSB.
    max_error: f64,
}

impl Rounder {
    /// A rounder into the range of `bits`-bit weights.
    fn new(bits: u32) -> Self {
        let (min, max) = range_of(bits);
        Rounder {
            min,
            max,
            saturated: 0,
            zeroed: 0,
            max_error: 0.0,
        }
    }

    /// `x * k`, rounded and clamped to the range.
    fn round(&mut self, x: f64, k: f64) -> i64 {
        let r = (x * k).round();
        let v = (r as i64).clamp(self.min, self.max);
        if r < self.min as f64 || r > self.max as f64 {
            self.saturated += 1;
        } else {
            self.max_error = self.max_error.max((x * k - r).abs());
            if v == 0 && x != 0.0 {
                self.zeroed += 1;
            }
        }
        v
    }
}

/// A reset as the report names it: `subtract`, `zero, deferred`.
fn reset_name(reset: Reset, timing: ResetTiming) -> String {
    let name = reset.name();
    match timing {
        ResetTiming::Immediate => name.to_owned(),
        ResetTiming::Deferred => format!("{name}, deferred"),
    }
}

/// `max_spikes` of a multi-spike layer: as many spikes as the membrane
/// can hold thresholds (so the limit never binds), at most the user's
/// limit (`options.max_spikes`) or the model's, which a warning then names.
/// `None` for one spike a step.
fn max_spikes(
    layer: &FloatLayer,
    threshold: Option<i64>,
    options: &ImportOptions,
    warnings: &mut Vec<String>,
) -> Option<u32> {
    let theta = threshold.filter(|_| layer.multi_spike)?;
    let fit = range_of(options.state_bits).1 / theta.max(1);
    let most = i64::from(options.max_spikes.unwrap_or(MAX_SPIKES_PER_STEP));
    if fit > most {
        warnings.push(format!(
            "layer `{}`: a membrane can hold {fit} thresholds, but a neuron fires at most {most} \
             spikes a step; spikes beyond that stay in the membrane for the next step",
            layer.name
        ));
    }
    (fit > 1).then(|| fit.min(most) as u32)
}

/// The integer membrane floor for a floor of `ratio` thresholds, with the
/// threshold at `scale` integer units; clamped into the `state_bits` range.
fn membrane_floor(ratio: f64, scale: f64, state_bits: u32) -> i64 {
    let (lo, hi) = range_of(state_bits);
    ((ratio * scale).round() as i64).clamp(lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikegate_model::Decode;

    /// One strict (`v > 1`) LIF layer of two neurons with the weights
    /// `weights` from each of their inputs.
    fn layer(weights: Vec<Vec<f64>>, inclusive: bool, multi_spike: bool) -> FloatNetwork {
        let size = weights[0].len();
        FloatNetwork {
            name: "t".to_owned(),
            inputs: weights.len(),
            layers: vec![FloatLayer {
                name: "l".to_owned(),
                sources: vec![],
                size,
                kind: FloatKind::Lif {
                    decay: vec![0.9; size],
                },
                weights,
                bias: vec![0.0; size],
                threshold: vec![1.0; size],
                reset: Reset::Subtract,
                timing: ResetTiming::Immediate,
                inclusive,
                multi_spike,
                floor: None,
                spiking: true,
                delays: None,
                pool: None,
                conv: None,
                recurrent: None,
            }],
            decode: Decode::SpikeCount,
        }
    }

    fn options(weight_bits: u32, state_bits: u32) -> ImportOptions {
        ImportOptions {
            weight_bits,
            state_bits,
            ..ImportOptions::default()
        }
    }

    /// Weights `L / 100` for `L` from -50 to 50: a grid of 100 steps a
    /// threshold, 50 steps at most.
    fn on_a_grid() -> Vec<Vec<f64>> {
        (-50..=50)
            .map(|l| vec![l as f64 / 100.0, -(l as f64) / 100.0])
            .collect()
    }

    #[test]
    fn weights_on_a_grid_round_without_error_at_every_width() {
        for (bits, scale) in [(8, 200.0), (12, 4000.0), (16, 65500.0)] {
            let q = quantize(&layer(on_a_grid(), false, false), &options(bits, 24));
            let l = &q.layers[0];
            assert_eq!(l.scale, scale, "{bits} bits");
            assert_eq!(l.grid_levels, Some(50), "{bits} bits");
            assert!(
                l.max_rounding_lsb < 1e-9,
                "{bits} bits: {}",
                l.max_rounding_lsb
            );
        }
    }

    #[test]
    fn weights_off_any_grid_fill_the_width() {
        let weights = (0..40)
            .map(|j| vec![(j as f64 * 0.7391).sin(), (j as f64 * 1.3).cos() * 0.5])
            .collect();
        let q = quantize(&layer(weights, false, false), &options(8, 16));
        assert_eq!(q.layers[0].grid_levels, None);
        let peak = q.network.layers[0]
            .weights
            .as_flat()
            .iter()
            .map(|w| w.abs())
            .max();
        assert_eq!(peak, Some(127));
    }

    #[test]
    fn an_inclusive_threshold_keeps_only_a_whole_grid() {
        // 100.5 steps a threshold: not a whole scale, so the grid is lost
        // and the scale is the whole floor(127 / 0.4975) = 255.
        let weights = (-50..=50).map(|l| vec![l as f64 / 100.5, 0.0]).collect();
        let q = quantize(&layer(weights, true, false), &options(8, 16));
        assert_eq!(q.layers[0].grid_levels, None);
        assert_eq!(q.layers[0].scale, 255.0);
        let q = quantize(&layer(on_a_grid(), true, false), &options(8, 16));
        assert_eq!(
            (q.layers[0].scale, q.layers[0].grid_levels),
            (200.0, Some(50))
        );
    }

    #[test]
    fn the_shift_leaves_the_membrane_room_for_eight_thresholds() {
        // Largest weight = the threshold: 127 weight units a threshold.
        let weights = vec![vec![1.0, -0.53], vec![0.27, 0.71]];
        let q = quantize(&layer(weights.clone(), false, false), &options(8, 16));
        // floor(127 * 2^5) + 1 = 4065 <= 2^12; 2^6 would give 8129.
        let l = &q.network.layers[0];
        assert_eq!((l.weight_shift, l.threshold), (Some(5), Some(4065)));
        assert_eq!(q.layers[0].weight_shift, 5);
        // A multi-spike layer keeps room for one more than its most spikes
        // a step: 256 thresholds (2^15 / 256 = 128 >= 127, no shift), or
        // 16 with --max-spikes 15 (127 * 16 = 2032 <= 2048).
        let q = quantize(&layer(weights.clone(), true, true), &options(8, 16));
        let l = &q.network.layers[0];
        assert_eq!((l.weight_shift, l.threshold), (None, Some(127)));
        let mut capped = options(8, 16);
        capped.max_spikes = Some(15);
        let q = quantize(&layer(weights.clone(), true, true), &capped);
        let l = &q.network.layers[0];
        assert_eq!((l.weight_shift, l.threshold), (Some(4), Some(2032)));
        // The user's shift wins; 0 is none.
        let mut off = options(8, 16);
        off.weight_shift = Some(0);
        let q = quantize(&layer(weights, false, false), &off);
        let l = &q.network.layers[0];
        assert_eq!((l.weight_shift, l.threshold), (None, Some(128)));
    }
}
