//! Networks whose synaptic sums run near and past 32 bits (issue 15,
//! item 1): the differential test and the co-simulation test share them.

use spikegate_sim::rng::SplitMix64;

/// A one-layer `if` network with 32-bit membrane and threshold whose
/// weights, bias and threshold are given; every input spikes at step 0.
pub fn wide_sum_case(
    weight_width: u32,
    weights: Vec<Vec<i64>>,
    bias: Vec<i64>,
    threshold: i64,
) -> (spikegate_model::ValidNetwork, Vec<spikegate_model::Spike>) {
    use spikegate_model::*;
    let inputs = weights.len();
    let size = bias.len();
    let network = Network {
        format: MODEL_FORMAT.to_owned(),
        name: "wide-sum".to_owned(),
        time_steps: 2,
        inputs,
        layers: vec![Layer {
            name: None,
            size,
            widths: Widths {
                weight: weight_width,
                membrane: 32,
                threshold: 32,
                current: None,
                adaptation: None,
            },
            neuron: Neuron::If,
            threshold: Some(threshold),
            reset: Some(Reset::Zero),
            reset_timing: None,
            max_spikes: None,
            membrane_floor: None,
            weight_shift: None,
            input_pool: None,
            conv2d: None,
            weights: weights.into(),
            bias: Some(bias),
            delays: None,
            recurrent: None,
        }],
        output: Output {
            decode: Decode::SpikeCount,
        },
    };
    let input = (0..inputs as u32)
        .map(|neuron| Spike { step: 0, neuron })
        .collect();
    (validate(network).unwrap(), input)
}

/// A random one-layer network with weights near the 32-bit extremes and
/// biases of the opposite sign: partial sums cross +-2^31 while the biased
/// total may not.
pub fn random_wide_sum_network(rng: &mut SplitMix64) -> spikegate_model::ValidNetwork {
    let big = 1i64 << 31;
    let near_max = |rng: &mut SplitMix64| big - 1 - rng.range(0, 1 << 20);
    // Mostly excitatory with an inhibiting bias, or the mirror image.
    let sign = if rng.chance(0.5) { 1 } else { -1 };
    // Half the cases: two inputs of one sign, so the partial sum passes
    // 32 bits while the biased total fits; else a mix of signs.
    let pair = rng.chance(0.5);
    let inputs = if pair { 2 } else { 1 + rng.below(6) };
    let size = 1 + rng.below(4);
    let weight = |rng: &mut SplitMix64| {
        let flip = !pair && rng.chance(0.2);
        sign * near_max(rng) * if flip { -1 } else { 1 }
    };
    let weights: Vec<Vec<i64>> = (0..inputs)
        .map(|_| (0..size).map(|_| weight(rng)).collect())
        .collect();
    let bias = (0..size)
        .map(|_| {
            let b = near_max(rng);
            if sign > 0 {
                -b - 1
            } else {
                b
            }
        })
        .collect();
    let threshold = rng.range(1, big - 1);
    let (network, _) = wide_sum_case(32, weights, bias, threshold);
    network
}
