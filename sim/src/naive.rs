//! A second, deliberately naive implementation of `docs/semantics.md`.
//!
//! Time-driven and dense: every step, every neuron sums over every synapse
//! and looks up whether the presynaptic spike that would arrive now was
//! emitted. All arithmetic is in `i128`, each equation written out as on
//! the page, sharing no code with the event-driven [`crate::Reference`]
//! beyond the model types. It is slow (steps x synapses per sample) and is
//! used only to check the fast model and to compute expected outputs of the
//! large golden cases.

// Index loops are the point here: each line reads like the page's equations.
#![allow(clippy::needless_range_loop)]

use spikegate_model::{
    Conv2d, Decay, Decode, DecodedOutput, Layer, Neuron, Reset, ResetTiming, Spike, SumPool,
    ValidNetwork,
};

fn clamp_to(width: u32, z: i128) -> i128 {
    let lo = -(1i128 << (width - 1));
    let hi = (1i128 << (width - 1)) - 1;
    if z < lo {
        lo
    } else if z > hi {
        hi
    } else {
        z
    }
}

/// Floor division by `2^k`, spelled out rather than with `>>`.
fn floor_div_pow2(z: i128, k: u32) -> i128 {
    z.div_euclid(1i128 << k)
}

fn apply_decay(z: i128, d: Option<Decay>) -> i128 {
    match d {
        None => z,
        Some(Decay::Shift(k)) => z - floor_div_pow2(z, k),
        Some(Decay::Multiply { beta, frac_bits }) => {
            floor_div_pow2(z * i128::from(beta), frac_bits)
        }
    }
}

/// The membrane's new value before saturation, for a neuron of `layer`
/// with synaptic input `x`, membrane `v`, current `cur` and adaptation
/// `adapt` (both updated here, saturated) and adlif's spike flag `flag`.
fn unclamped_membrane(
    layer: &Layer,
    x: i128,
    v: i128,
    cur: &mut i128,
    adapt: &mut i128,
    flag: bool,
) -> i128 {
    let w = layer.widths;
    match &layer.neuron {
        Neuron::If => v + x,
        Neuron::Lif { leak } => apply_decay(v, Some(*leak)) + x,
        Neuron::Cuba {
            current_decay,
            membrane_decay,
        } => {
            *cur = clamp_to(w.current.unwrap(), apply_decay(*cur, *current_decay) + x);
            apply_decay(v, *membrane_decay) + *cur
        }
        Neuron::Ttfs => {
            *cur = clamp_to(w.current.unwrap(), *cur + x);
            v + *cur
        }
        Neuron::Adlif {
            alpha,
            beta,
            a,
            b,
            frac_bits,
        } => {
            let s_prev = if flag { 1 } else { 0 };
            let new_w = floor_div_pow2(i128::from(*beta) * *adapt + i128::from(*a) * v, *frac_bits)
                + i128::from(*b) * s_prev;
            *adapt = clamp_to(w.adaptation.unwrap(), new_w);
            floor_div_pow2(i128::from(*alpha) * v, *frac_bits) + x - *adapt
        }
    }
}

/// The counts of a pooled map: each output `(c, Y, X)` sums the input
/// counts of its `ky x kx` window, written out as loops.
fn sum_pool(pool: &SumPool, counts: &[i128]) -> Vec<i128> {
    let [channels, h, w] = pool.input;
    let [ky, kx] = pool.kernel;
    let (ph, pw) = (h / ky, w / kx);
    let mut out = vec![0i128; channels * ph * pw];
    for c in 0..channels {
        for y in 0..ph {
            for x in 0..pw {
                for wy in 0..ky {
                    for wx in 0..kx {
                        out[(c * ph + y) * pw + x] +=
                            counts[(c * h + y * ky + wy) * w + x * kx + wx];
                    }
                }
            }
        }
    }
    out
}

/// The synaptic input of conv neuron `i` (channel `o`, row `oy`, column
/// `ox`) from the arriving `counts`: the dense sum over every tap of its
/// window, zero outside the map, plus the channel's bias.
fn convolved(conv: &Conv2d, bias: Option<&[i64]>, counts: &[i128], i: usize) -> i128 {
    let [c_in, h, w] = conv.input;
    let [kh, kw] = conv.kernel;
    let [sy, sx] = conv.stride.unwrap_or([1, 1]);
    let [py, px] = conv.padding.unwrap_or([0, 0]);
    let oh = (h + 2 * py - kh) / sy + 1;
    let ow = (w + 2 * px - kw) / sx + 1;
    let (o, oy, ox) = (i / (oh * ow), i / ow % oh, i % ow);
    let mut x = bias.map_or(0, |b| i128::from(b[o]));
    for c in 0..c_in {
        for dy in 0..kh {
            for dx in 0..kw {
                // Padded coordinates; the padding holds no spikes.
                let (y, xx) = (oy * sy + dy, ox * sx + dx);
                if y < py || xx < px || y - py >= h || xx - px >= w {
                    continue;
                }
                let count = counts[(c * h + y - py) * w + xx - px];
                x += count * i128::from(conv.weights[o][c][dy][dx]);
            }
        }
    }
    x
}

/// Runs one sample; returns every layer's spikes (sorted) and the output.
/// The input must already be valid for the network.
pub fn run_naive(network: &ValidNetwork, input: &[Spike]) -> (Vec<Vec<Spike>>, DecodedOutput) {
    let net = network.network();
    let steps = net.time_steps as usize;
    // previous[t][j]: how many spikes presynaptic neuron j fired at step
    // t (the input first, 0 or 1).
    let mut previous: Vec<Vec<i128>> = vec![vec![0; net.inputs]; steps];
    for s in input {
        previous[s.step as usize][s.neuron as usize] = 1;
    }
    let mut all_spikes = Vec::new();
    let mut last_membranes = Vec::new();
    for (index, layer) in net.layers.iter().enumerate() {
        let n = layer.size;
        // What the synapses see each step: the spike counts, summed over
        // each window of a sum pool.
        let arriving: Vec<Vec<i128>> = match &layer.input_pool {
            Some(pool) => previous
                .iter()
                .map(|counts| sum_pool(pool, counts))
                .collect(),
            None => previous.clone(),
        };
        let fan_in = layer.weights.len();
        let spiking = network.is_spiking(index);
        let w = layer.widths;
        let mut v = vec![0i128; n];
        let mut cur = vec![0i128; n];
        let mut adapt = vec![0i128; n];
        let mut flag = vec![false; n];
        let mut spiked = vec![vec![0i128; n]; steps];
        let mut events = Vec::new();
        for t in 0..steps {
            for i in 0..n {
                let mut x: i128 = match &layer.conv2d {
                    Some(conv) => convolved(conv, layer.bias.as_deref(), &arriving[t], i),
                    None => layer.bias.as_ref().map_or(0, |b| i128::from(b[i])),
                };
                for j in 0..fan_in {
                    let d = layer.delays.as_ref().map_or(0, |d| d.values[j][i] as usize);
                    if t >= d {
                        x += arriving[t - d][j] * i128::from(layer.weights[j][i]);
                    }
                }
                // Feedback: every spike this layer fired one step ago.
                if let (Some(rec), true) = (&layer.recurrent, t > 0) {
                    for j in 0..n {
                        x += spiked[t - 1][j] * i128::from(rec.weights[j][i]);
                    }
                }
                // Weight units to state units.
                x *= 1i128 << layer.weight_shift.unwrap_or(0);
                // The membrane's new value before saturation.
                let unclamped =
                    unclamped_membrane(layer, x, v[i], &mut cur[i], &mut adapt[i], flag[i]);
                let floor = layer.membrane_floor.map_or(i128::MIN, i128::from);
                if !spiking {
                    v[i] = clamp_to(w.membrane, unclamped).max(floor);
                    continue;
                }
                let theta = i128::from(layer.threshold.unwrap());
                let reset = layer.reset.unwrap();
                let deferred = layer.timing() == ResetTiming::Deferred;
                // A deferred reset: the spikes of step t - 1 are paid now,
                // theta each before saturation, or by zeroing after it.
                let owed = if deferred && t > 0 {
                    spiked[t - 1][i]
                } else {
                    0
                };
                v[i] = if owed > 0 && reset == Reset::Subtract {
                    clamp_to(w.membrane, unclamped - owed * theta)
                } else if owed > 0 && reset == Reset::Zero {
                    0
                } else {
                    clamp_to(w.membrane, unclamped)
                };
                let fire_once = matches!(layer.neuron, Neuron::Ttfs);
                let fires = v[i] >= theta && !(fire_once && flag[i]);
                let most = i128::from(layer.spikes_per_step());
                let count = if fires {
                    v[i].div_euclid(theta).min(most)
                } else {
                    0
                };
                if fires {
                    spiked[t][i] = count;
                    for _ in 0..count {
                        events.push(Spike::new(t as u32, i as u32));
                    }
                    if !deferred {
                        match reset {
                            Reset::Subtract => v[i] -= count * theta,
                            Reset::Zero => v[i] = 0,
                            Reset::None => {}
                        }
                    }
                }
                v[i] = v[i].max(floor);
                match layer.neuron {
                    Neuron::Ttfs => flag[i] = flag[i] || fires,
                    Neuron::Adlif { .. } => flag[i] = fires,
                    _ => {}
                }
            }
        }
        all_spikes.push(events);
        previous = spiked;
        last_membranes = v.iter().map(|&z| z as i64).collect();
    }
    let last = all_spikes.last().cloned().unwrap_or_default();
    let output = naive_decode(net.output.decode, &last, &last_membranes, steps as u32);
    (all_spikes, output)
}

fn naive_decode(rule: Decode, spikes: &[Spike], membranes: &[i64], steps: u32) -> DecodedOutput {
    let n = membranes.len();
    match rule {
        Decode::FirstSpike => {
            let times: Vec<u32> = (0..n)
                .map(|i| {
                    spikes
                        .iter()
                        .filter(|s| s.neuron as usize == i)
                        .map(|s| s.step)
                        .min()
                        .unwrap_or(steps)
                })
                .collect();
            let best = *times.iter().min().unwrap();
            let class = times.iter().position(|&t| t == best).unwrap() as u32;
            DecodedOutput::FirstSpike {
                class,
                first_spike_steps: times,
            }
        }
        Decode::SpikeCount => {
            let counts: Vec<u32> = (0..n)
                .map(|i| spikes.iter().filter(|s| s.neuron as usize == i).count() as u32)
                .collect();
            let best = *counts.iter().max().unwrap();
            let class = counts.iter().position(|&c| c == best).unwrap() as u32;
            DecodedOutput::SpikeCount { class, counts }
        }
        Decode::Readout => {
            let best = *membranes.iter().max().unwrap();
            let class = membranes.iter().position(|&m| m == best).unwrap() as u32;
            DecodedOutput::Readout {
                class,
                membranes: membranes.to_vec(),
            }
        }
    }
}
