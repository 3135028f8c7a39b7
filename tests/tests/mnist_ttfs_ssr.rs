//! The sparse-firing TTFS network on real MNIST: the golden case
//! `mnist_ttfs_ssr` (784-400-10 `ttfs`, TTFS-coded input, T = 32, trained
//! with a sparse-firing penalty by golden/mnist_ttfs_ssr/train.py) on the
//! whole 1,000-digit test split, on the integer reference and, every
//! layer's spikes checked, on the hardware (Verilator, P = 16); and the
//! sweep the script recorded, checked against the cycle formula and the
//! shipped network.

use serde_json::Value;
use spikegate_cosim::run::{prepare, run_all};
use spikegate_model::{Neuron, Spike};
use spikegate_sim::Reference;
use spikegate_tests::{
    load_golden, mnist_test_split_ttfs, require_tool, split_cosim_options, workspace_root,
};

const CASE: &str = "mnist_ttfs_ssr";
const PE: usize = 16;

/// A JSON file of the golden case.
fn json(file: &str) -> Value {
    let path = workspace_root().join("golden").join(CASE).join(file);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

fn f64_at(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("`{key}` in {v}"))
}

/// The per-layer means of report.json's `key`.
fn per_layer(v: &Value, key: &str) -> Vec<f64> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// A recorded mean over the 1,000 test samples (written by the script with
/// three decimals at most) against a total counted here.
fn assert_mean(what: &str, recorded: f64, total: u64) {
    assert!(
        (recorded * 1000.0 - total as f64).abs() < 0.5,
        "{what}: recorded {recorded} a sample, counted {total} over 1000"
    );
}

#[test]
fn the_test_split_file_encodes_to_the_shipped_samples() {
    let case = load_golden(CASE);
    let split = mnist_test_split_ttfs(case.network.network().time_steps);
    assert_eq!(case.input.samples.len(), 100);
    for (i, sample) in case.input.samples.iter().enumerate() {
        assert_eq!(sample.label, Some(split[i].0), "sample {i}: label");
        assert_eq!(sample.events, split[i].1, "sample {i}: spikes");
    }
}

#[test]
fn the_network_is_the_shallow_ttfs_shape() {
    let case = load_golden(CASE);
    let network = case.network.network();
    assert_eq!((network.time_steps, network.inputs), (32, 784));
    let sizes: Vec<usize> = network.layers.iter().map(|l| l.size).collect();
    assert_eq!(sizes, [400, 10]);
    for layer in &network.layers {
        assert!(
            matches!(layer.neuron, Neuron::Ttfs),
            "{}",
            layer.name.as_deref().unwrap_or("?")
        );
        assert_eq!(
            layer.widths.weight,
            8,
            "{}",
            layer.name.as_deref().unwrap_or("?")
        );
    }
}

/// The reference on the whole split: per layer, the spikes of all 1,000
/// samples, and the digits it gets right.
fn reference_on_the_split() -> (Vec<u64>, usize) {
    let case = load_golden(CASE);
    let split = mnist_test_split_ttfs(32);
    let mut reference = Reference::new(&case.network);
    let mut spikes = vec![0u64; 2];
    let mut right = 0;
    for (label, input) in &split {
        let run = reference.run(input).unwrap();
        for (total, layer) in spikes.iter_mut().zip(&run.layers) {
            *total += layer.len() as u64;
        }
        right += usize::from(run.output.class() == *label);
    }
    (spikes, right)
}

#[test]
fn the_reference_gives_the_recorded_accuracy_and_spikes() {
    // report.json's figures were computed by the script's independent
    // numpy integer model (asserted equal to `spikegate sim` there).
    let report = json("report.json");
    let (spikes, right) = reference_on_the_split();
    assert_eq!(right as f64 / 1000.0, f64_at(&report, "accuracy"));
    assert_eq!(right, 959, "95.9% of the test split");
    for (l, (&total, recorded)) in spikes
        .iter()
        .zip(per_layer(&report, "spikes_per_layer"))
        .enumerate()
    {
        assert_mean(&format!("layer {l} spikes"), recorded, total);
    }
}

#[test]
fn the_hardware_equals_the_reference_on_the_test_split() {
    if !require_tool("verilator", "the SSR ttfs network's test split on hardware") {
        return;
    }
    let case = load_golden(CASE);
    let network = &case.network;
    let (labels, samples): (Vec<u32>, Vec<Vec<Spike>>) =
        mnist_test_split_ttfs(32).into_iter().unzip();
    let opts = split_cosim_options(PE);
    let prepared = prepare(network, &opts).expect("the network builds");
    let outcomes = run_all(&prepared, network, &samples, &|_| {}).expect("runs");
    assert_eq!(outcomes.len(), 1000);
    let (mut right, mut cycles, mut lane_ops) = (0, 0, 0);
    for (s, (outcome, label)) in outcomes.into_iter().zip(&labels).enumerate() {
        let o = outcome.unwrap_or_else(|e| panic!("sample {s}: {e}"));
        assert_eq!(o.mismatch, None, "sample {s}");
        assert_eq!(o.hardware.layers, o.reference.layers, "sample {s}");
        right += usize::from(o.hardware_output(network).class() == *label);
        cycles += o.hardware.cycles;
        lane_ops += o.estimate.lane_operations;
    }
    assert_eq!(right, 959);
    // The cycles and lane operations the sweep records for this network.
    let report = json("report.json");
    assert_mean("cycles", f64_at(&report, "cycles"), cycles);
    assert_mean("lane operations", f64_at(&report, "lane_ops"), lane_ops);
}

/// The sweep's points of `shape`, and its synthesis.
fn sweep(shape: &str) -> (Vec<Value>, Value) {
    let sweep = json("sweep.json");
    let network = &sweep["networks"][shape];
    (
        network["points"].as_array().unwrap().clone(),
        network["fpga_ulx3s_85f"].clone(),
    )
}

#[test]
fn the_sweep_follows_the_cycle_formula_and_ships_its_chosen_point() {
    let split = mnist_test_split_ttfs(32);
    let inputs = split.iter().map(|(_, s)| s.len()).sum::<usize>() as f64 / 1000.0;
    for (shape, sizes) in [
        ("784-400-10", vec![400usize, 10]),
        ("784-128-512-10", vec![128, 512, 10]),
    ] {
        let (points, fpga) = sweep(shape);
        assert!(points.len() >= 3, "{shape}: three strengths or more");
        assert_eq!(f64_at(&points[0], "strength"), 0.0, "{shape}: none first");
        let fmax = f64_at(&fpga, "fmax_mhz");
        let curve = json(&format!("ssr_{shape}.json"));
        assert_eq!(curve["format"], "spikegate-ssr/1");
        for (k, p) in points.iter().enumerate() {
            let what = format!("{shape}, strength {}", p["strength"]);
            // docs/hardware.md section 5: a core's work is its arriving
            // spikes times its chunks, T sweeps of its chunks, and a cycle
            // per spike it fires; the busiest core bounds the latency.
            let spikes = per_layer(p, "spikes_per_layer");
            let arriving: Vec<f64> = std::iter::once(inputs).chain(spikes.clone()).collect();
            let work: Vec<f64> = sizes
                .iter()
                .enumerate()
                .map(|(l, &n)| {
                    let chunks = n.div_ceil(PE) as f64;
                    arriving[l] * chunks + 32.0 * chunks + spikes[l]
                })
                .collect();
            for (w, recorded) in work.iter().zip(per_layer(p, "core_work")) {
                assert!(
                    (w - recorded).abs() < 0.01,
                    "{what}: core work {w} vs {recorded}"
                );
            }
            let busiest = (0..work.len())
                .max_by(|&a, &b| work[a].total_cmp(&work[b]))
                .unwrap();
            assert_eq!(p["bounding_core"], busiest, "{what}");
            let hidden: f64 = spikes[..spikes.len() - 1].iter().sum();
            assert!((f64_at(p, "hidden_spikes") - hidden).abs() < 1e-9, "{what}");
            assert!(f64_at(p, "cycles") >= f64_at(p, "cycles_bound"), "{what}");
            let latency = f64_at(p, "cycles") / fmax;
            assert!((f64_at(p, "latency_us") - latency).abs() < 1e-9, "{what}");
            for key in [
                "strength",
                "accuracy",
                "hidden_spikes",
                "lane_ops",
                "cycles",
            ] {
                assert_eq!(
                    curve["points"][k][key], p[key],
                    "{what}: {key} in the curve"
                );
            }
        }
    }
    // The golden case is the strongest 784-400-10 point within 1.5 points
    // of the unregularized network's accuracy, with about half its spikes.
    let (points, _) = sweep("784-400-10");
    let report = json("report.json");
    let base = f64_at(&points[0], "accuracy");
    let chosen = points
        .iter()
        .rfind(|p| f64_at(p, "accuracy") >= base - 0.015)
        .unwrap();
    for key in [
        "strength",
        "accuracy",
        "hidden_spikes",
        "cycles",
        "lane_ops",
    ] {
        assert_eq!(report[key], chosen[key], "{key}");
    }
    let fewer = f64_at(&points[0], "hidden_spikes") / f64_at(&report, "hidden_spikes");
    assert!(fewer > 1.9, "{fewer}x fewer hidden spikes");
}
