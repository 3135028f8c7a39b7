//! The event-driven reference against the naive dense implementation, on
//! seeded random networks of every kind, width, delay and decoding.
//! Set `SPIKEGATE_DIFF_CASES` for a longer run; a failure prints its seed.

use spikegate_sim::naive::run_naive;
use spikegate_sim::random::{random_input, random_network, Shape};
use spikegate_sim::random_maps::random_map_network;
use spikegate_sim::rng::SplitMix64;
use spikegate_sim::Reference;
use spikegate_tests::wide_sums::{random_wide_sum_network, wide_sum_case};

/// Runs `input` through the reference and the naive model, asserts that
/// they agree on every layer's spikes and on the output, and returns the
/// reference's run.
fn assert_equals_naive(
    network: &spikegate_model::ValidNetwork,
    input: &[spikegate_model::Spike],
    seed: u64,
) -> spikegate_sim::Run {
    let run = Reference::new(network).run(input).unwrap();
    let (spikes, output) = run_naive(network, input);
    assert_eq!(run.layers, spikes, "seed {seed}: layer spikes differ");
    assert_eq!(run.output, output, "seed {seed}: decoded output differs");
    run
}

fn cases() -> u64 {
    std::env::var("SPIKEGATE_DIFF_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400)
}

#[test]
fn event_driven_equals_naive_on_random_networks() {
    for seed in 0..cases() {
        let mut rng = SplitMix64::new(seed);
        // Sizes include 1 and non-powers of two.
        let inputs = 1 + rng.below(12);
        let layers = 1 + rng.below(3);
        let sizes: Vec<usize> = (0..layers).map(|_| 1 + rng.below(9)).collect();
        let steps = 1 + rng.below(24) as u32;
        let network = random_network(&mut rng, &Shape::new(inputs, &sizes, steps));
        let p = [0.05, 0.2, 0.5, 0.9][rng.below(4)];
        let input = random_input(&mut rng, inputs, steps, p);
        assert_equals_naive(&network, &input, seed);
    }
}

#[test]
fn event_driven_convolution_equals_the_dense_one_on_random_map_networks() {
    // Conv layers (kernels 1 to 7, strides 1 to 3, padding), sum pools and
    // flatten into a dense layer, every neuron kind: the reference scatters
    // each spike through its taps, the naive model sums every window.
    let mut spiking = 0;
    for seed in 0..cases() {
        let mut rng = SplitMix64::new(seed ^ 0xC0DE);
        let steps = 1 + rng.below(12) as u32;
        let network = random_map_network(&mut rng, steps);
        let inputs = network.network().inputs;
        let p = [0.1, 0.3, 0.6][rng.below(3)];
        let input = random_input(&mut rng, inputs, steps, p);
        let run = assert_equals_naive(&network, &input, seed);
        spiking += run.layers.iter().filter(|l| !l.is_empty()).count();
    }
    assert!(
        spiking as u64 * 3 > cases(),
        "only {spiking} spiking layers in {} map networks",
        cases()
    );
}

#[test]
fn event_driven_recurrence_equals_naive_on_random_networks() {
    // Recurrent layers at any depth, dense and sparse feedback of both
    // signs, with delays, biases, every kind, reset and timing: the
    // reference feeds each step's spikes back through their rows, the
    // naive model sums the previous step's counts over every neuron.
    let (mut recurrent_layers, mut changed) = (0, 0);
    for seed in 0..cases() {
        let mut rng = SplitMix64::new(seed ^ 0x4EC0);
        let inputs = 1 + rng.below(10);
        let sizes: Vec<usize> = (0..1 + rng.below(3)).map(|_| 1 + rng.below(12)).collect();
        let steps = 2 + rng.below(24) as u32;
        let shape = Shape {
            recurrent: true,
            ..Shape::new(inputs, &sizes, steps)
        };
        let network = random_network(&mut rng, &shape);
        let p = [0.1, 0.3, 0.6][rng.below(3)];
        let input = random_input(&mut rng, inputs, steps, p);
        let run = assert_equals_naive(&network, &input, seed);
        // The feedback must matter: without it the spikes would differ.
        let mut cut = network.network().clone();
        recurrent_layers += cut.layers.iter().filter(|l| l.recurrent.is_some()).count();
        cut.layers.iter_mut().for_each(|l| l.recurrent = None);
        let cut = spikegate_model::validate(cut).unwrap();
        changed += usize::from(Reference::new(&cut).run(&input).unwrap().layers != run.layers);
    }
    assert!(
        recurrent_layers as u64 * 3 > cases(),
        "only {recurrent_layers} recurrent layers in {} networks",
        cases()
    );
    assert!(
        changed as u64 * 5 > cases(),
        "the feedback changed the spikes of only {changed} of {} networks",
        cases()
    );
}

#[test]
fn random_networks_are_not_silent() {
    // The differential test is only worth something if spikes happen.
    let mut total = 0;
    for seed in 0..100 {
        let mut rng = SplitMix64::new(seed);
        let network = random_network(&mut rng, &Shape::new(6, &[5, 4], 16));
        let input = random_input(&mut rng, 6, 16, 0.3);
        let run = Reference::new(&network).run(&input).unwrap();
        total += run.layers.iter().filter(|l| !l.is_empty()).count();
    }
    assert!(total > 80, "only {total} of 200 layers spiked at all");
}

#[test]
fn every_vector_tier_gives_the_same_result() {
    for seed in 0..cases() / 2 {
        let mut rng = SplitMix64::new(seed ^ 0x7137);
        let inputs = 1 + rng.below(40);
        let sizes: Vec<usize> = (0..1 + rng.below(3)).map(|_| 1 + rng.below(70)).collect();
        let steps = 1 + rng.below(20) as u32;
        let network = random_network(&mut rng, &Shape::new(inputs, &sizes, steps));
        let input = random_input(&mut rng, inputs, steps, 0.2);
        assert_tiers_agree(&network, &input, seed);
        // Conv layers scatter in their own vector-tier copy.
        let network = random_map_network(&mut rng, steps);
        let input = random_input(&mut rng, network.network().inputs, steps, 0.3);
        assert_tiers_agree(&network, &input, seed);
    }
}

/// The reference gives the baseline tier's result in every wider tier.
fn assert_tiers_agree(
    network: &spikegate_model::ValidNetwork,
    input: &[spikegate_model::Spike],
    seed: u64,
) {
    use spikegate_sim::simd::Simd;
    let base = Reference::with_simd(network, Simd::Baseline)
        .run(input)
        .unwrap();
    for tier in [Simd::Avx2, Simd::Avx512] {
        let run = Reference::with_simd(network, tier).run(input).unwrap();
        assert_eq!(
            run, base,
            "seed {seed}: tier {tier:?} differs from baseline"
        );
    }
}

/// Checks step 0 of neuron 0 against the hand-worked `x` and spike, and the
/// whole run against the naive implementation.
fn assert_step0(network: &spikegate_model::ValidNetwork, input: &[spikegate_model::Spike], x: i64) {
    let (run, trace) = Reference::new(network).run_traced(input).unwrap();
    let row = trace.iter().find(|r| r.step == 0 && r.neuron == 0).unwrap();
    assert_eq!(row.input, x, "the synaptic input is the exact sum");
    assert!(
        row.spikes == 1,
        "x reaches the threshold, so the neuron fires"
    );
    let (spikes, output) = run_naive(network, input);
    assert_eq!(run.layers, spikes);
    assert_eq!(run.output, output);
}

#[test]
fn two_largest_32_bit_weights_and_the_most_negative_bias_sum_exactly() {
    // x = 2 (2^31 - 1) - 2^31 = 2^31 - 2; the partial sum 2^32 - 2 needs 33
    // bits although x fits 32 (issue 15, item 1).
    let max = (1i64 << 31) - 1;
    let (network, input) = wide_sum_case(32, vec![vec![max], vec![max]], vec![-(1 << 31)], max - 1);
    assert_eq!(network.accumulator_width(0), 33);
    assert_step0(&network, &input, 2_147_483_646);
}

#[test]
fn sixty_five_thousand_16_bit_weights_sum_past_32_bits_exactly() {
    // 65,539 x 32767 = 2,147,516,413 > 2^31 - 1 before the bias -32768
    // brings x back to 2,147,483,645.
    let inputs = 65_539;
    let (network, input) =
        wide_sum_case(16, vec![vec![32767]; inputs], vec![-32768], 2_147_483_645);
    assert!(network.accumulator_width(0) > 32);
    assert_step0(&network, &input, 2_147_483_645);
}

#[test]
fn sums_near_and_past_32_bits_equal_naive() {
    // Weights near the 32-bit extremes, a few inputs, biases of the sign
    // opposite to the weights: partial sums cross +-2^31 while x may not.
    let mut past_32 = 0;
    for seed in 0..cases() / 4 {
        let mut rng = SplitMix64::new(seed ^ 0x3232);
        let network = random_wide_sum_network(&mut rng);
        let (lo, hi) = network.input_range(0);
        if network.accumulator_width(0) > spikegate_model::width::width_for_range(lo, hi) {
            past_32 += 1;
        }
        let inputs = network.network().inputs;
        let input = random_input(&mut rng, inputs, 2, 0.7);
        assert_equals_naive(&network, &input, seed);
    }
    assert!(
        past_32 >= cases() / 20,
        "only {past_32} cases had partial sums wider than their biased total"
    );
}

#[test]
fn the_recurrence_trace_of_the_semantics_page() {
    // docs/semantics.md section 3, *Recurrence*: a neuron that excites
    // itself and inhibits its neighbour.
    let model = r#"{
        "format": "spikegate-model/1", "name": "recurrence", "time_steps": 5, "inputs": 1,
        "layers": [{
            "size": 2, "neuron": {"kind": "if"},
            "widths": {"weight": 4, "membrane": 8, "threshold": 8},
            "threshold": 4, "reset": "zero",
            "weights": [[4, 2]],
            "recurrent": {"width": 4, "weights": [[4, -3], [0, 0]]}
        }],
        "output": {"decode": "spike_count"}
    }"#;
    let network = spikegate_model::parse_network(model).unwrap();
    let input = [
        spikegate_model::Spike::new(0, 0),
        spikegate_model::Spike::new(1, 0),
    ];
    let (run, trace) = Reference::new(&network).run_traced(&input).unwrap();
    let column = |neuron: usize, f: fn(&spikegate_sim::reference::TraceRow) -> i64| {
        trace
            .iter()
            .filter(|r| r.neuron == neuron)
            .map(f)
            .collect::<Vec<_>>()
    };
    assert_eq!(column(0, |r| r.input), [4, 8, 4, 4, 4]);
    assert_eq!(column(0, |r| r.membrane), [0, 0, 0, 0, 0]);
    assert_eq!(column(0, |r| i64::from(r.spikes)), [1, 1, 1, 1, 1]);
    assert_eq!(column(1, |r| r.input), [2, -1, -3, -3, -3]);
    assert_eq!(column(1, |r| r.membrane), [2, 1, -2, -5, -8]);
    assert_eq!(column(1, |r| i64::from(r.spikes)), [0, 0, 0, 0, 0]);
    let (spikes, _) = run_naive(&network, &input);
    assert_eq!(run.layers, spikes);
    // Without the feedback: neuron 1 fires in step 1, neuron 0 stops.
    let mut cut = network.network().clone();
    cut.layers[0].recurrent = None;
    let cut = spikegate_model::validate(cut).unwrap();
    let plain = Reference::new(&cut).run(&input).unwrap();
    let fired: Vec<(u32, u32)> = plain.layers[0].iter().map(|s| (s.step, s.neuron)).collect();
    assert_eq!(fired, [(0, 0), (1, 0), (1, 1)]);
}
