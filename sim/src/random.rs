//! Seeded random networks and inputs, for differential tests, property
//! tests, benchmarks and the large golden cases.
//!
//! Everything here produces *valid* models (it validates before returning),
//! drawn so that neurons actually fire: thresholds are scaled to the
//! weights, and small widths are drawn often enough to reach saturation.

use spikegate_model::width::range_of;
use spikegate_model::{
    validate, Decay, Decode, Delays, Layer, Matrix, Network, Neuron, Output, Recurrent, Reset,
    ResetTiming, Spike, ValidNetwork, Widths, MODEL_FORMAT,
};

use crate::rng::SplitMix64;

/// The shape of a random network; unset choices are drawn at random.
#[derive(Debug, Clone)]
pub struct Shape {
    /// Input neurons.
    pub inputs: usize,
    /// Neurons per layer.
    pub sizes: Vec<usize>,
    /// Time steps.
    pub steps: u32,
    /// Neuron kind of every layer; `None` draws one per layer.
    pub neuron: Option<Neuron>,
    /// Weight width; `None` draws 2..=16.
    pub weight_width: Option<u32>,
    /// Largest delay; `None` draws whether a layer has delays (up to 6).
    pub max_delay: Option<u32>,
    /// Whether layers may have a bias; `None` draws per layer.
    pub bias: Option<bool>,
    /// Output decoding; `None` draws one.
    pub decode: Option<Decode>,
    /// Whether spiking layers may carry recurrent weights (about half of
    /// them then do, dense or sparse); off in [`Shape::new`], so that the
    /// networks drawn without it stay what they were.
    pub recurrent: bool,
}

impl Shape {
    /// A shape with every unset choice drawn at random.
    pub fn new(inputs: usize, sizes: &[usize], steps: u32) -> Self {
        Shape {
            inputs,
            sizes: sizes.to_vec(),
            steps,
            neuron: None,
            weight_width: None,
            max_delay: None,
            bias: None,
            decode: None,
            recurrent: false,
        }
    }
}

fn random_decay(rng: &mut SplitMix64, width: u32) -> Decay {
    if rng.chance(0.5) {
        Decay::Shift(rng.range(1, i64::from(width.min(8) - 1)) as u32)
    } else {
        let frac_bits = rng.range(1, 12) as u32;
        Decay::Multiply {
            beta: rng.range(0, 1 << frac_bits),
            frac_bits,
        }
    }
}

/// A neuron kind with random parameters, for a membrane of `width` bits.
pub fn random_neuron(rng: &mut SplitMix64, width: u32) -> Neuron {
    match rng.below(5) {
        0 => Neuron::If,
        1 => Neuron::Lif {
            leak: random_decay(rng, width),
        },
        2 => Neuron::Cuba {
            current_decay: rng.chance(0.7).then(|| random_decay(rng, width)),
            membrane_decay: rng.chance(0.7).then(|| random_decay(rng, width)),
        },
        3 => Neuron::Ttfs,
        _ => {
            let frac_bits = rng.range(1, 12) as u32;
            let one = 1i64 << frac_bits;
            Neuron::Adlif {
                alpha: rng.range(0, one),
                beta: rng.range(0, one),
                a: rng.range(-one, one),
                b: rng.range(0, 7),
                frac_bits,
            }
        }
    }
}

pub(crate) fn random_layer(
    rng: &mut SplitMix64,
    shape: &Shape,
    fan_in: usize,
    size: usize,
    readout: bool,
) -> Layer {
    let weight = shape
        .weight_width
        .unwrap_or_else(|| rng.range(2, 16) as u32);
    // Often narrow, so saturation happens; never narrower than the weights.
    let membrane = rng.range(i64::from(weight.max(4)), 24) as u32;
    // Decays must suit the narrowest state they may apply to (current >= weight).
    let neuron = shape
        .neuron
        .clone()
        .unwrap_or_else(|| random_neuron(rng, weight));
    let current = neuron
        .has_current()
        .then(|| rng.range(i64::from(weight), 24) as u32);
    let adaptation = neuron.has_adaptation().then(|| rng.range(4, 20) as u32);
    let (wlo, whi) = range_of(weight);
    // Slightly excitatory on average so that spikes propagate.
    let weights = uniform_matrix(rng, fan_in, size, (wlo / 2, whi));
    let bias = match shape.bias {
        Some(false) => None,
        Some(true) => Some(true),
        None => rng.chance(0.3).then_some(true),
    }
    .map(|_| (0..size).map(|_| rng.range(wlo / 4, whi / 4)).collect());
    let delays = match shape.max_delay {
        Some(max) => Some(max),
        None => rng.chance(0.3).then(|| rng.range(0, 6) as u32),
    }
    .map(|max| random_delays(rng, fan_in, size, max));
    // Weights worth 2 or 4 state units in a fifth of the layers, where
    // the state the input enters is wide enough.
    let entering = match neuron {
        Neuron::Cuba { .. } | Neuron::Ttfs => current.unwrap_or(membrane),
        _ => membrane,
    };
    let weight_shift = rng
        .chance(0.2)
        .then(|| rng.range(1, 2) as u32)
        .filter(|&k| k + 2 < entering);
    let vmax = range_of(membrane).1;
    let theta_max = vmax.min((whi * 3) << weight_shift.unwrap_or(0)).max(1);
    let (threshold, reset, reset_timing) = if readout {
        (None, None, None)
    } else {
        let reset = [Reset::Subtract, Reset::Zero, Reset::None][rng.below(3)];
        let threshold = rng.range(1, theta_max);
        // A deferred reset (snnTorch's order) for a third of the layers that reset.
        let deferred = reset != Reset::None && rng.chance(0.35);
        let timing = deferred.then_some(ResetTiming::Deferred);
        (Some(threshold), Some(reset), timing)
    };
    // Several spikes a step (2 to 4) in about a quarter of the layers
    // that may fire them.
    let max_spikes = (!readout && !matches!(neuron, Neuron::Ttfs) && rng.chance(0.25))
        .then(|| rng.range(2, 4) as u32);
    // A floor somewhere between -theta and 0 in a quarter of the layers.
    let membrane_floor = rng
        .chance(0.25)
        .then(|| -rng.range(0, threshold.unwrap_or(vmax / 2)));
    Layer {
        name: None,
        size,
        widths: Widths {
            weight,
            membrane,
            threshold: membrane,
            current,
            adaptation,
        },
        neuron,
        threshold,
        reset,
        reset_timing,
        max_spikes,
        membrane_floor,
        weight_shift,
        input_pool: None,
        conv2d: None,
        weights,
        bias,
        delays,
        // Drawn last: a shape without recurrence draws what it always did.
        recurrent: (shape.recurrent && !readout && rng.chance(0.5))
            .then(|| random_recurrent(rng, size)),
    }
}

/// Recurrent weights for a layer of `size` neurons: a width of 2 to 12
/// bits, values of both signs (self-excitation and inhibition), dense in
/// half of the layers and with about one synapse in five elsewhere.
pub fn random_recurrent(rng: &mut SplitMix64, size: usize) -> Recurrent {
    let width = rng.range(2, 12) as u32;
    let (lo, hi) = range_of(width);
    let density = if rng.chance(0.5) { 1.0 } else { 0.2 };
    let weights = Matrix::from_fn(size, size, |_, _| {
        if rng.chance(density) {
            rng.range(lo / 2, hi)
        } else {
            0
        }
    });
    Recurrent { width, weights }
}

/// A `fan_in x size` matrix of integers uniform in `lo..=hi`, drawn row
/// by row.
pub fn uniform_matrix(
    rng: &mut SplitMix64,
    fan_in: usize,
    size: usize,
    (lo, hi): (i64, i64),
) -> Matrix<i64> {
    Matrix::from_fn(fan_in, size, |_, _| rng.range(lo, hi))
}

/// Delays uniform in `0..=max` for a `fan_in x size` layer, drawn row by
/// row.
pub fn random_delays(rng: &mut SplitMix64, fan_in: usize, size: usize, max: u32) -> Delays {
    Delays {
        max,
        values: Matrix::from_fn(fan_in, size, |_, _| rng.range(0, i64::from(max)) as u32),
    }
}

/// A random valid network of the given shape.
pub fn random_network(rng: &mut SplitMix64, shape: &Shape) -> ValidNetwork {
    let decode = shape
        .decode
        .unwrap_or_else(|| [Decode::FirstSpike, Decode::SpikeCount, Decode::Readout][rng.below(3)]);
    let mut fan_in = shape.inputs;
    let mut layers = Vec::new();
    for (index, &size) in shape.sizes.iter().enumerate() {
        let readout = decode == Decode::Readout && index + 1 == shape.sizes.len();
        layers.push(random_layer(rng, shape, fan_in, size, readout));
        fan_in = size;
    }
    let network = Network {
        format: MODEL_FORMAT.to_owned(),
        name: "random".to_owned(),
        time_steps: shape.steps,
        inputs: shape.inputs,
        layers,
        output: Output { decode },
    };
    validate(network).unwrap_or_else(|e| panic!("random network is invalid: {e}"))
}

/// Random input spikes: each input fires in each step with probability `p`.
pub fn random_input(rng: &mut SplitMix64, inputs: usize, steps: u32, p: f64) -> Vec<Spike> {
    let mut spikes = Vec::new();
    for t in 0..steps {
        for n in 0..inputs {
            if rng.chance(p) {
                spikes.push(Spike::new(t, n as u32));
            }
        }
    }
    spikes
}

/// Random latency-coded input: each input spikes once, at a random step,
/// with probability `p`, else never (the input of a TTFS network).
pub fn random_latency_input(rng: &mut SplitMix64, inputs: usize, steps: u32, p: f64) -> Vec<Spike> {
    let mut spikes = Vec::new();
    for n in 0..inputs {
        if rng.chance(p) {
            spikes.push(Spike::new(rng.below(steps as usize) as u32, n as u32));
        }
    }
    spikes.sort_unstable();
    spikes
}

/// The benchmark network: 784-400-10 `ttfs`, 16-bit weights.
pub fn bench_network(seed: u64, steps: u32) -> ValidNetwork {
    bench_network_shaped(
        seed,
        steps,
        784,
        &[400, 10],
        300_000,
        "bench-784-400-10-ttfs",
    )
}

/// A dense `ttfs` network of the benchmark's kind in any shape: zero-mean
/// 16-bit weights, 24-bit states, one threshold for every layer.
pub fn bench_network_shaped(
    seed: u64,
    steps: u32,
    inputs: usize,
    sizes: &[usize],
    threshold: i64,
    name: &str,
) -> ValidNetwork {
    let mut shape = Shape::new(inputs, sizes, steps);
    shape.neuron = Some(Neuron::Ttfs);
    shape.weight_width = Some(16);
    shape.max_delay = Some(0);
    shape.bias = Some(false);
    shape.decode = Some(Decode::FirstSpike);
    let mut rng = SplitMix64::new(seed);
    let mut network = random_network(&mut rng, &shape).into_inner();
    for layer in &mut network.layers {
        // Zero-mean weights and 24-bit states, as a trained, quantized TTFS
        // network has; the threshold lets a few percent of hidden neurons
        // fire (TTFS training makes hidden layers sparse).
        for w in layer.weights.iter_mut().flatten() {
            *w = rng.range(-4096, 4095);
        }
        layer.delays = None;
        layer.widths.membrane = 24;
        layer.widths.threshold = 24;
        layer.widths.current = Some(24);
        layer.threshold = Some(threshold);
    }
    network.name = name.to_owned();
    validate(network).expect("bench network is valid")
}

/// A network shaped like the recurrent SNNs of the Spiking Heidelberg
/// Digits (SHD): 700 input channels -> 128 recurrent `lif` (shift leak
/// `k = 3`, reset by subtraction) -> 20 `lif`, spike-count decoding,
/// 8-bit zero-mean weights (the recurrent ones 20% dense), 16-bit states,
/// thresholds that let a few percent of the hidden neurons fire a step on
/// SHD-like input ([`random_input`] at about 10% a channel a step). Its
/// weights are random: it measures the hardware's cost, not accuracy.
pub fn shd_network(seed: u64, steps: u32) -> ValidNetwork {
    let mut shape = Shape::new(700, &[128, 20], steps);
    shape.neuron = Some(Neuron::Lif {
        leak: Decay::Shift(3),
    });
    shape.weight_width = Some(8);
    shape.max_delay = Some(0);
    shape.bias = Some(false);
    shape.decode = Some(Decode::SpikeCount);
    let mut rng = SplitMix64::new(seed);
    let mut network = random_network(&mut rng, &shape).into_inner();
    for (l, layer) in network.layers.iter_mut().enumerate() {
        for w in layer.weights.iter_mut().flatten() {
            *w = rng.range(-100, 104);
        }
        layer.delays = None;
        layer.widths.membrane = 16;
        layer.widths.threshold = 16;
        layer.threshold = Some(if l == 0 { 1500 } else { 400 });
        layer.reset = Some(Reset::Subtract);
        layer.reset_timing = None;
        layer.max_spikes = None;
        layer.membrane_floor = None;
        layer.weight_shift = None;
        layer.recurrent = (l == 0).then(|| Recurrent {
            width: 8,
            weights: Matrix::from_fn(128, 128, |_, _| {
                if rng.chance(0.2) {
                    rng.range(-120, 100)
                } else {
                    0
                }
            }),
        });
    }
    network.name = "shd-700-128r-20-lif".to_owned();
    validate(network).expect("the SHD-shaped network is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each optional feature of the semantics appears in a fair share of
    /// the random layers, so the differential and co-simulation tests that
    /// draw from here exercise it.
    #[test]
    fn the_shd_network_has_spiker_plus_shape_and_a_recurrent_hidden_layer() {
        let network = shd_network(1, 10);
        let net = network.network();
        let sizes: Vec<usize> = net.layers.iter().map(|l| l.size).collect();
        assert_eq!((net.inputs, sizes), (700, vec![128, 20]));
        let recurrent = net.layers[0].recurrent.as_ref().expect("recurrent");
        let nonzero = recurrent
            .weights
            .iter()
            .flatten()
            .filter(|&&w| w != 0)
            .count();
        // About 20% of 128 x 128.
        assert!((2_800..3_800).contains(&nonzero), "{nonzero}");
        assert!(net.layers[1].recurrent.is_none());
    }

    #[test]
    fn random_layers_carry_every_optional_feature() {
        let mut rng = SplitMix64::new(7);
        let mut layers = 0;
        let mut counts = [0usize; 5];
        for _ in 0..300 {
            let net = random_network(&mut rng, &Shape::new(5, &[6, 4], 8));
            for l in &net.network().layers {
                layers += 1;
                let features = [
                    l.reset_timing == Some(ResetTiming::Deferred),
                    l.max_spikes.is_some(),
                    l.membrane_floor.is_some(),
                    l.weight_shift.is_some(),
                    l.delays.is_some(),
                ];
                for (c, f) in counts.iter_mut().zip(features) {
                    *c += usize::from(f);
                }
            }
        }
        for (name, c) in [
            "deferred",
            "max_spikes",
            "membrane_floor",
            "weight_shift",
            "delays",
        ]
        .iter()
        .zip(counts)
        {
            assert!(c * 20 >= layers, "{name}: {c} of {layers} layers");
        }
    }
}
