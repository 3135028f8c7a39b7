//! Writes the large golden cases (`golden/large_*`) from fixed seeds.
//!
//! Their expected outputs come from the naive implementation
//! (`spikegate_sim::naive`), not from the event-driven reference that the
//! golden test checks. Rerun after a deliberate change of the semantics:
//! `cargo run -p spikegate-tests --bin make_large_golden`.

use std::path::Path;

use spikegate_model::json_text::to_text;
use spikegate_model::{
    validate, Decay, Decode, InputSample, Layer, Network, Neuron, Output, Reset, ResultFile,
    SampleResult, SpikeFile, ValidNetwork, Widths, MODEL_FORMAT, RESULT_FORMAT,
};
use spikegate_sim::naive::run_naive;
use spikegate_sim::random::{random_delays, random_input, random_latency_input, uniform_matrix};
use spikegate_sim::rng::SplitMix64;
use spikegate_sim::sample_result;
use spikegate_tests::workspace_root;

/// A dense layer with weights uniform in `lo..=hi`.
#[allow(clippy::too_many_arguments)]
fn dense(
    rng: &mut SplitMix64,
    fan_in: usize,
    size: usize,
    neuron: Neuron,
    widths: Widths,
    (lo, hi): (i64, i64),
    threshold: Option<i64>,
    reset: Option<Reset>,
    max_delay: Option<u32>,
) -> Layer {
    Layer {
        name: None,
        size,
        neuron,
        widths,
        threshold,
        reset,
        reset_timing: None,
        max_spikes: None,
        membrane_floor: None,
        weight_shift: None,
        input_pool: None,
        conv2d: None,
        weights: uniform_matrix(rng, fan_in, size, (lo, hi)),
        bias: None,
        delays: max_delay.map(|max| random_delays(rng, fan_in, size, max)),
        recurrent: None,
    }
}

fn large_ttfs() -> (ValidNetwork, Vec<InputSample>) {
    let mut rng = SplitMix64::new(20261123);
    let widths = Widths {
        weight: 8,
        membrane: 20,
        threshold: 20,
        current: Some(16),
        adaptation: None,
    };
    let layers = vec![
        dense(
            &mut rng,
            100,
            300,
            Neuron::Ttfs,
            widths,
            (-90, 127),
            Some(5000),
            Some(Reset::None),
            None,
        ),
        dense(
            &mut rng,
            300,
            10,
            Neuron::Ttfs,
            widths,
            (-100, 127),
            Some(4000),
            Some(Reset::None),
            None,
        ),
    ];
    let network = Network {
        format: MODEL_FORMAT.to_owned(),
        name: "large_ttfs".to_owned(),
        time_steps: 24,
        inputs: 100,
        layers,
        output: Output {
            decode: Decode::FirstSpike,
        },
    };
    let samples = (0..4)
        .map(|_| InputSample {
            label: None,
            events: random_latency_input(&mut rng, 100, 24, 0.3),
        })
        .collect();
    (validate(network).expect("valid"), samples)
}

fn large_mixed_delays() -> (ValidNetwork, Vec<InputSample>) {
    let mut rng = SplitMix64::new(140646420);
    let w = |current: Option<u32>, adaptation: Option<u32>| Widths {
        weight: 8,
        membrane: 16,
        threshold: 16,
        current,
        adaptation,
    };
    let mut hidden1 = dense(
        &mut rng,
        64,
        200,
        Neuron::Lif {
            leak: Decay::Multiply {
                beta: 230,
                frac_bits: 8,
            },
        },
        w(None, None),
        (-60, 100),
        Some(400),
        Some(Reset::Subtract),
        Some(8),
    );
    hidden1.bias = Some((0..200).map(|_| rng.range(-8, 8)).collect());
    let hidden2 = dense(
        &mut rng,
        200,
        150,
        Neuron::Cuba {
            current_decay: Some(Decay::Shift(2)),
            membrane_decay: Some(Decay::Shift(3)),
        },
        w(Some(16), None),
        (-50, 50),
        Some(1200),
        Some(Reset::Zero),
        Some(4),
    );
    let readout = dense(
        &mut rng,
        150,
        20,
        Neuron::Adlif {
            alpha: 900,
            beta: 1000,
            a: 100,
            b: 0,
            frac_bits: 10,
        },
        w(None, Some(14)),
        (-40, 40),
        None,
        None,
        Some(2),
    );
    let network = Network {
        format: MODEL_FORMAT.to_owned(),
        name: "large_mixed_delays".to_owned(),
        time_steps: 32,
        inputs: 64,
        layers: vec![hidden1, hidden2, readout],
        output: Output {
            decode: Decode::Readout,
        },
    };
    let samples = (0..4)
        .map(|_| InputSample {
            label: None,
            events: random_input(&mut rng, 64, 32, 0.1),
        })
        .collect();
    (validate(network).expect("valid"), samples)
}

/// A network shaped like Deckers et al. (2024) on spoken digits: 140
/// input channels, two hidden layers of 64 adaptive LIF neurons with
/// learned-style synaptic delays up to 32 steps, a 20-neuron leaky
/// readout, T = 100, and sparse input (about 2% of channels a step).
fn large_adlif_delays() -> (ValidNetwork, Vec<InputSample>) {
    let mut rng = SplitMix64::new(140646420 + 32);
    let w = |adaptation: Option<u32>| Widths {
        weight: 8,
        membrane: 16,
        threshold: 16,
        current: None,
        adaptation,
    };
    let adlif = Neuron::Adlif {
        alpha: 972,
        beta: 1004,
        a: 8,
        b: 30,
        frac_bits: 10,
    };
    let hidden1 = dense(
        &mut rng,
        140,
        64,
        adlif.clone(),
        w(Some(14)),
        (-40, 100),
        Some(250),
        Some(Reset::Subtract),
        Some(32),
    );
    let hidden2 = dense(
        &mut rng,
        64,
        64,
        adlif,
        w(Some(14)),
        (-40, 110),
        Some(200),
        Some(Reset::Subtract),
        Some(32),
    );
    let readout = dense(
        &mut rng,
        64,
        20,
        Neuron::Lif {
            leak: Decay::Multiply {
                beta: 990,
                frac_bits: 10,
            },
        },
        w(None),
        (-60, 60),
        None,
        None,
        None,
    );
    let network = Network {
        format: MODEL_FORMAT.to_owned(),
        name: "large_adlif_delays".to_owned(),
        time_steps: 100,
        inputs: 140,
        layers: vec![hidden1, hidden2, readout],
        output: Output {
            decode: Decode::Readout,
        },
    };
    let samples = (0..4)
        .map(|_| InputSample {
            label: None,
            events: random_input(&mut rng, 140, 100, 0.02),
        })
        .collect();
    (validate(network).expect("valid"), samples)
}

fn write(dir: &Path, name: &str, text: String) {
    std::fs::write(dir.join(name), text)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()));
}

fn main() {
    for (network, samples) in [large_ttfs(), large_mixed_delays(), large_adlif_delays()] {
        let name = network.network().name.clone();
        let dir = workspace_root().join("golden").join(&name);
        std::fs::create_dir_all(&dir).expect("create the case folder");
        let input = SpikeFile::new(&network, samples);
        let results: Vec<SampleResult> = input
            .samples
            .iter()
            .map(|s| {
                let (layers, output) = run_naive(&network, &s.events);
                sample_result(&network, layers, output)
            })
            .collect();
        for (k, r) in results.iter().enumerate() {
            let counts: Vec<usize> = r.layers.iter().map(|l| l.events.len()).collect();
            println!(
                "{name} sample {k}: spikes per layer {counts:?}, output {:?}",
                r.output.class()
            );
        }
        let expected = ResultFile {
            format: RESULT_FORMAT.to_owned(),
            model: name.clone(),
            time_steps: network.network().time_steps,
            samples: results,
        };
        write(&dir, "model.json", to_text(network.network()).unwrap());
        write(&dir, "input.json", to_text(&input).unwrap());
        write(&dir, "expected.json", to_text(&expected).unwrap());
        println!("wrote {}", dir.display());
    }
}
