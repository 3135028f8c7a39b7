//! From a discretized [`FloatNetwork`] to spikegate's integer model:
//! per-layer scaling of weights and thresholds, decays as shift or
//! multiplier, and what each choice cost (for the report). The rules are
//! written out in `docs/import.md`.

use serde::Serialize;
use spikegate_model::width::range_of;
use spikegate_model::{Decay, Delays, Layer, Network, Neuron, Output, Reset, Widths, MODEL_FORMAT};

use crate::float::{FloatKind, FloatNetwork};
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
    /// Integer units per unit of threshold: a float threshold `theta_i` is
    /// the integer `scale`; each neuron's weights are scaled by
    /// `scale / theta_i` (for a readout, `scale` multiplies every weight).
    pub scale: f64,
    /// Float thresholds (smallest and largest) of a spiking layer.
    pub threshold_float: Option<(f64, f64)>,
    /// The integer threshold: `floor(scale) + 1`, NIR's `v > theta` as `>=`.
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
    let lo = factors.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = factors.iter().copied().fold(f64::NEG_INFINITY, f64::max);
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

/// Quantizes `net` with the widths and rules of `options`.
pub fn quantize(net: &FloatNetwork, options: &ImportOptions) -> Quantized {
    let b = options.weight_bits;
    let s = options.state_bits;
    let (wmin, wmax) = range_of(b);
    let mut warnings = Vec::new();
    let mut layers = Vec::new();
    let mut reports = Vec::new();
    for layer in &net.layers {
        let n = layer.size;
        let mut decays = Vec::new();
        let neuron = match &layer.kind {
            FloatKind::If => Neuron::If,
            FloatKind::Lif { decay } => {
                let (d, c) =
                    choose_decay("membrane", decay, s, options, &layer.name, &mut warnings);
                decays.push(c);
                match d {
                    Some(leak) => Neuron::Lif { leak },
                    None => Neuron::If,
                }
            }
            FloatKind::Cuba { current, membrane } => {
                let (dc, cc) =
                    choose_decay("current", current, s, options, &layer.name, &mut warnings);
                let (dm, cm) =
                    choose_decay("membrane", membrane, s, options, &layer.name, &mut warnings);
                decays.push(cc);
                decays.push(cm);
                Neuron::Cuba {
                    current_decay: dc,
                    membrane_decay: dm,
                }
            }
        };
        // Largest |input| per neuron (weights and bias).
        let mut peak = layer.bias.iter().map(|b| b.abs()).collect::<Vec<_>>();
        for row in &layer.weights {
            for (i, w) in row.iter().enumerate() {
                peak[i] = peak[i].max(w.abs());
            }
        }
        let full = wmax as f64 / options.weight_clip;
        // Thresholds stay in the lower half of the membrane range, so the
        // membrane can overshoot them without saturating.
        let cap = (1i64 << (s - 2)) as f64;
        let (scale, neuron_scale, threshold_int) = if layer.spiking {
            let m = (0..n)
                .map(|i| peak[i] / layer.threshold[i])
                .fold(0.0f64, f64::max);
            let t = if m > 0.0 { (full / m).min(cap) } else { cap };
            let per: Vec<f64> = layer.threshold.iter().map(|th| t / th).collect();
            (t, per, Some(t.floor() as i64 + 1))
        } else {
            let m = peak.iter().copied().fold(0.0f64, f64::max);
            let t = if m > 0.0 { full / m } else { 1.0 };
            (t, vec![t; n], None)
        };
        let mut saturated = 0;
        let mut zeroed = 0;
        let mut max_err = 0.0f64;
        let mut q = |x: f64, k: f64| -> i64 {
            let r = (x * k).round();
            let v = (r as i64).clamp(wmin, wmax);
            if r < wmin as f64 || r > wmax as f64 {
                saturated += 1;
            } else {
                max_err = max_err.max((x * k - r).abs());
                if v == 0 && x != 0.0 {
                    zeroed += 1;
                }
            }
            v
        };
        let weights: Vec<Vec<i64>> = layer
            .weights
            .iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .map(|(i, &w)| q(w, neuron_scale[i]))
                    .collect()
            })
            .collect();
        let bias: Vec<i64> = (0..n).map(|i| q(layer.bias[i], neuron_scale[i])).collect();
        let count = layer.weights.len() * n + n;
        if saturated > 0 {
            warnings.push(format!(
                "layer `{}`: {saturated} of {count} weights and biases saturated at the {b}-bit weight range",
                layer.name
            ));
        }
        if layer.spiking && threshold_int == Some(cap as i64 + 1) {
            warnings.push(format!(
                "layer `{}`: the threshold was capped at half the {s}-bit membrane range, so the weights do not use the whole {b}-bit width; give more state bits",
                layer.name
            ));
        }
        let widths = Widths {
            weight: b,
            membrane: s,
            threshold: s,
            current: neuron.has_current().then_some(s),
            adaptation: None,
        };
        let delays = layer.delays.as_ref().map(|values| Delays {
            max: values.iter().flatten().copied().max().unwrap_or(0),
            values: values.clone(),
        });
        reports.push(LayerQuant {
            name: layer.name.clone(),
            sources: layer.sources.clone(),
            kind: neuron.kind_name().to_owned(),
            size: n,
            scale,
            threshold_float: layer.spiking.then(|| {
                let lo = layer
                    .threshold
                    .iter()
                    .copied()
                    .fold(f64::INFINITY, f64::min);
                let hi = layer
                    .threshold
                    .iter()
                    .copied()
                    .fold(f64::NEG_INFINITY, f64::max);
                (lo, hi)
            }),
            threshold_int,
            decays,
            weights: count,
            saturated,
            zeroed,
            max_rounding_lsb: max_err,
            neuron_scale,
        });
        layers.push(Layer {
            name: Some(layer.name.clone()),
            size: n,
            neuron,
            widths,
            threshold: threshold_int,
            reset: layer.spiking.then_some(match layer.reset {
                Reset::Zero => Reset::Zero,
                Reset::Subtract => Reset::Subtract,
                Reset::None => Reset::None,
            }),
            weights,
            bias: bias.iter().any(|&x| x != 0).then_some(bias),
            delays,
        });
    }
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
