//! The event-driven reference against the naive dense implementation, on
//! seeded random networks of every kind, width, delay and decoding.
//! Set `SPIKEGATE_DIFF_CASES` for a longer run; a failure prints its seed.

use spikegate_sim::naive::run_naive;
use spikegate_sim::random::{random_input, random_network, Shape};
use spikegate_sim::rng::SplitMix64;
use spikegate_sim::Reference;

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
        let run = Reference::new(&network).run(&input).unwrap();
        let (spikes, output) = run_naive(&network, &input);
        assert_eq!(run.layers, spikes, "seed {seed}: layer spikes differ");
        assert_eq!(run.output, output, "seed {seed}: decoded output differs");
    }
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
    use spikegate_sim::simd::Simd;
    for seed in 0..cases() / 2 {
        let mut rng = SplitMix64::new(seed ^ 0x7137);
        let inputs = 1 + rng.below(40);
        let sizes: Vec<usize> = (0..1 + rng.below(3)).map(|_| 1 + rng.below(70)).collect();
        let steps = 1 + rng.below(20) as u32;
        let network = random_network(&mut rng, &Shape::new(inputs, &sizes, steps));
        let input = random_input(&mut rng, inputs, steps, 0.2);
        let base = Reference::with_simd(&network, Simd::Baseline)
            .run(&input)
            .unwrap();
        for tier in [Simd::Avx2, Simd::Avx512] {
            let run = Reference::with_simd(&network, tier).run(&input).unwrap();
            assert_eq!(
                run, base,
                "seed {seed}: tier {tier:?} differs from baseline"
            );
        }
    }
}
