//! `spikegate bench --model FILE`: the reference model's throughput on any
//! model file, with random rate-coded input, so that layers the built-in
//! benchmark does not have (convolutions, pools) are measured too.

use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use spikegate_model::{load_network, Spike};
use spikegate_sim::random::random_input;
use spikegate_sim::rng::SplitMix64;
use spikegate_sim::simd::best_simd;
use spikegate_sim::Reference;

/// Measures the model at `path` on one core: for each input spike rate,
/// `samples` samples of random input (each input spikes in each step with
/// that probability), warmed up, then timed.
pub fn run(path: &Path, rates: &[f64], samples: usize, seed: u64) -> Result<ExitCode> {
    let network = load_network(path).with_context(|| format!("{}", path.display()))?;
    let net = network.network();
    let (inputs, steps) = (net.inputs, net.time_steps);
    println!(
        "reference model benchmark: {} ({} inputs, {} layers, T = {steps}), {samples} samples per rate, seed {seed}, vector tier {:?}",
        path.display(),
        inputs,
        net.layers.len(),
        best_simd()
    );
    println!(
        "{:>6} {:>10} {:>12} {:>12} {:>12} {:>10} {:>10}",
        "rate", "in spk", "layer spk", "syn ops", "ops/in spk", "us/sample", "synops/s"
    );
    let mut rng = SplitMix64::new(seed ^ 0x5EED);
    let mut reference = Reference::new(&network);
    for &rate in rates {
        let batch: Vec<Vec<Spike>> = (0..samples)
            .map(|_| random_input(&mut rng, inputs, steps, rate))
            .collect();
        for input in batch.iter().take(5) {
            black_box(reference.run(input).expect("random input is valid"));
        }
        let (mut ops, mut spikes) = (0u64, 0usize);
        let start = Instant::now();
        for input in &batch {
            let run = reference
                .run(black_box(input))
                .expect("random input is valid");
            ops += run.synaptic_ops;
            spikes += run.layers.iter().map(Vec::len).sum::<usize>();
            black_box(&run);
        }
        let seconds = start.elapsed().as_secs_f64();
        let in_spikes: usize = batch.iter().map(Vec::len).sum();
        let per = |x: f64| x / samples as f64;
        println!(
            "{:>6.3} {:>10.1} {:>12.1} {:>12.0} {:>12.1} {:>10.1} {:>10.3e}",
            rate,
            per(in_spikes as f64),
            per(spikes as f64),
            per(ops as f64),
            ops as f64 / in_spikes.max(1) as f64,
            per(seconds * 1e6),
            ops as f64 / seconds
        );
    }
    println!("syn ops: weight additions delivered (a conv layer: valid taps x output channels per spike)");
    println!("ops/in spk: synaptic operations per input spike, all layers; synops/s: one core");
    Ok(ExitCode::SUCCESS)
}
