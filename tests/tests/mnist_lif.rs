//! Spiker+'s network on real MNIST: the golden cases `mnist_lif8` and
//! `mnist_lif6` (784-128-10 `lif`, shift leak, deferred subtract reset,
//! rate-coded input, T = 25; trained with snnTorch and imported from its
//! NIR export at 8- and 6-bit weights) on the whole 1,000-digit test split
//! the MNIST cases share, on the integer reference and, every layer's
//! spikes checked, on the hardware (Verilator, P = 16).

use spikegate_cosim::run::{prepare, run_all};
use spikegate_model::{Neuron, Spike};
use spikegate_sim::Reference;
use spikegate_tests::{load_golden, mnist_test_split, require_tool, split_cosim_options};

/// The two cases and the test digits each gets right, the figure the
/// training script's independent numpy integer model recorded
/// (`golden/<case>/report.json`): 94.60% for both, above Spiker+'s 93.85%.
const CASES: [(&str, usize); 2] = [("mnist_lif8", 946), ("mnist_lif6", 946)];

#[test]
fn the_test_split_file_encodes_to_the_shipped_samples() {
    // The shipped input.json is the first 20 test samples, written by
    // train.py through `spikegate encode --code rate`.
    for (name, _) in CASES {
        let case = load_golden(name);
        let split = mnist_test_split(case.network.network().time_steps);
        assert_eq!(case.input.samples.len(), 20, "{name}");
        for (i, sample) in case.input.samples.iter().enumerate() {
            assert_eq!(sample.label, Some(split[i].0), "{name} sample {i}: label");
            assert_eq!(sample.events, split[i].1, "{name} sample {i}: spikes");
        }
    }
}

#[test]
fn the_networks_are_spiker_plus_shaped_at_their_weight_widths() {
    for (name, bits) in [("mnist_lif8", 8), ("mnist_lif6", 6)] {
        let case = load_golden(name);
        let network = case.network.network();
        assert_eq!(network.time_steps, 25, "{name}");
        assert_eq!(network.inputs, 784, "{name}");
        let sizes: Vec<usize> = network.layers.iter().map(|l| l.size).collect();
        assert_eq!(sizes, [128, 10], "{name}");
        for layer in &network.layers {
            assert_eq!(layer.widths.weight, bits, "{name}");
            assert!(matches!(layer.neuron, Neuron::Lif { .. }), "{name}");
        }
    }
}

#[test]
fn the_reference_beats_spiker_plus_on_the_test_split() {
    for (name, expected) in CASES {
        let case = load_golden(name);
        let split = mnist_test_split(case.network.network().time_steps);
        let mut reference = Reference::new(&case.network);
        let right = split
            .iter()
            .filter(|(label, spikes)| reference.run(spikes).unwrap().output.class() == *label)
            .count();
        assert_eq!(right, expected, "{name}: {right} of 1000 right");
        // Spiker+ reports 93.85% for this network shape.
        assert!(right as f64 / 1000.0 >= 0.9385, "{name}");
    }
}

#[test]
fn the_hardware_equals_the_reference_on_the_test_split() {
    if !require_tool(
        "verilator",
        "the MNIST lif networks' test split on hardware",
    ) {
        return;
    }
    for (name, expected) in CASES {
        let case = load_golden(name);
        let network = &case.network;
        let split = mnist_test_split(network.network().time_steps);
        let (labels, samples): (Vec<u32>, Vec<Vec<Spike>>) = split.into_iter().unzip();
        let opts = split_cosim_options(16);
        let prepared = prepare(network, &opts).expect("the network builds");
        let outcomes = run_all(&prepared, network, &samples, &|_| {}).expect("runs");
        assert_eq!(outcomes.len(), samples.len(), "{name}");
        let mut right = 0;
        for (s, (outcome, label)) in outcomes.into_iter().zip(&labels).enumerate() {
            let o = outcome.unwrap_or_else(|e| panic!("{name} sample {s}: {e}"));
            assert_eq!(o.mismatch, None, "{name} sample {s}");
            assert_eq!(o.hardware.layers, o.reference.layers, "{name} sample {s}");
            right += usize::from(o.reference.output.class() == *label);
        }
        println!("{name}: {right} of 1000 right, hardware = reference on every one");
        assert_eq!(right, expected, "{name}: the reference's answers");
    }
}
