//! snnTorch's recurrent braille networks (tests/fixtures/nir/, vendored
//! from the NIR paper's repository with their origin and license): 12
//! taxels -> a recurrent `CubaLIF` layer (`RSynaptic`: its spikes return
//! through `lif1.w_rec`) -> 7 `CubaLIF`. Both graphs import with their
//! loops as recurrent weights, the float graph and the integer model agree
//! on braille-shaped input (the data set itself is not here: seeded random
//! events on the 12 taxels, about one in 20 a taxel a step, 256 steps as
//! the data's 5 ms bins), the design fits the ULX3S, and Verilator's run
//! of it equals the reference on every spike of both layers.

use std::path::PathBuf;

use spikegate_cosim::run::{prepare, run_all, BackendChoice, CosimOptions};
use spikegate_hdl::BuildOptions;
use spikegate_import::{import_nir, ImportOptions};
use spikegate_sim::random::random_input;
use spikegate_sim::rng::SplitMix64;
use spikegate_tests::{require_tool, workspace_root};

const BRAILLE: [&str; 2] = [
    "braille_noDelay_bias_zero.nir",
    "braille_noDelay_noBias_subtract.nir",
];

fn fixture(name: &str) -> PathBuf {
    workspace_root().join("tests/fixtures/nir").join(name)
}

/// A braille graph imported as the snnTorch preset exports it, on input
/// shaped like the braille data (12 taxels, 256 steps, about one event in
/// 20 a taxel a step), with `weight_bits`-bit weights.
fn import_braille(name: &str, weight_bits: u32) -> spikegate_import::Imported {
    let reset = if name.contains("subtract") {
        spikegate_import::ResetRule::Subtract
    } else {
        spikegate_import::ResetRule::Zero
    };
    let options = ImportOptions {
        framework: spikegate_import::Framework::Snntorch,
        reset,
        time_steps: 256,
        weight_bits,
        report_inputs: spikegate_import::ReportInputs::Bernoulli {
            samples: 20,
            rate: 0.05,
            seed: 1,
        },
        ..ImportOptions::default()
    };
    import_nir(&fixture(name), &options).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn the_recurrent_braille_graphs_import_with_their_loops() {
    // (file, hidden neurons, least bits-equal of the hidden and the output
    // layer: measured 99.21% / 80.96% and 99.90% / 99.48% at 12 bits).
    for (name, hidden, floors) in BRAILLE
        .into_iter()
        .zip([38, 40])
        .zip([[0.99, 0.78], [0.995, 0.99]])
        .map(|((n, h), f)| (n, h, f))
    {
        let imported = import_braille(name, 12);
        let net = imported.network.network();
        assert_eq!(net.layers.len(), 2, "{name}");
        let layer = &net.layers[0];
        let recurrent = layer
            .recurrent
            .as_ref()
            .expect("the loop is the recurrent weights");
        assert_eq!(
            (recurrent.weights.len(), recurrent.weights.row_len()),
            (hidden, hidden)
        );
        assert_eq!(
            layer.reset_timing,
            Some(spikegate_model::ResetTiming::Deferred)
        );
        // Against the file's own matrix, NIR's [out][in]: every weight
        // that does not round to zero keeps its sign, transposed.
        let graph = spikegate_import::nir::read_nir(&fixture(name)).unwrap();
        let w = &graph.nodes["lif1.w_rec"].params["weight"].values;
        let mut checked = 0;
        for (j, row) in recurrent.weights.iter().enumerate() {
            for (i, &q) in row.iter().enumerate() {
                if q != 0 {
                    assert_eq!(
                        q.signum() as f64,
                        w[i * hidden + j].signum(),
                        "{name}: r[{j}][{i}]"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > hidden * hidden / 2, "{name}: {checked} weights");
        for (l, floor) in imported.report.layers.iter().zip(floors) {
            let s = l.spikes.as_ref().expect("spiking");
            assert!(s.float_spikes > 0, "{name} {}: silent", l.quant.name);
            assert!(
                s.bits_equal >= floor,
                "{name} {}: {}",
                l.quant.name,
                s.bits_equal
            );
        }
    }
}

#[test]
fn the_braille_networks_fit_the_ulx3s_and_run_bit_exact_on_verilator() {
    if !require_tool("verilator", "braille co-simulation") {
        return;
    }
    let ulx3s = spikegate_fpga::targets::find("ulx3s_85f").expect("a target");
    for name in BRAILLE {
        let network = import_braille(name, 12).network;
        let build = BuildOptions {
            pe: 4,
            taps: true,
            ..BuildOptions::default()
        };
        spikegate_gen::generate::generate(&network, build, Some(ulx3s))
            .unwrap_or_else(|e| panic!("{name} does not fit the ULX3S: {e:#}"));
        let mut rng = SplitMix64::new(0xb7a1);
        let samples: Vec<_> = (0..4)
            .map(|_| random_input(&mut rng, 12, 256, 0.05))
            .collect();
        let opts = CosimOptions {
            threads: 2,
            ..CosimOptions::new(build, Some(BackendChoice::Verilator))
        };
        let prepared = prepare(&network, &opts).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        let outcomes = run_all(&prepared, &network, &samples, &|_| {})
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        let mut hidden_spikes = 0;
        for (s, o) in outcomes.into_iter().enumerate() {
            let o = o.unwrap_or_else(|e| panic!("{name}, sample {s}: {e}"));
            assert_eq!(o.mismatch, None, "{name}, sample {s}");
            assert_eq!(o.hardware.layers, o.reference.layers, "{name}, sample {s}");
            hidden_spikes += o.hardware.layers[0].len();
        }
        // The recurrent layer is not silent, so its replay was exercised.
        assert!(hidden_spikes > 100, "{name}: {hidden_spikes} hidden spikes");
    }
}
