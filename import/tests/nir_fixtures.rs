//! The real exporter files of tests/fixtures/nir/ (vendored, with their
//! origin and license in its README): the single-LIF graphs import,
//! validate and simulate, the Norse trace is reproduced, and the
//! graphs spikegate cannot carry yet fail with the documented messages
//! (the recurrent braille graphs: tests/tests/braille.rs).

use std::path::{Path, PathBuf};

use spikegate_import::{import_nir, ImportError, ImportOptions};
use spikegate_model::Spike;
use spikegate_sim::Reference;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/nir")
        .join(name)
}

fn options(dt: f64, steps: u32) -> ImportOptions {
    ImportOptions {
        dt: Some(dt),
        time_steps: steps,
        ..ImportOptions::default()
    }
}

fn error(name: &str, options: &ImportOptions) -> ImportError {
    match import_nir(&fixture(name), options) {
        Ok(_) => panic!("{name} imported, but it should fail"),
        Err(e) => e,
    }
}

/// The Norse trace: one row per step, `input, voltage, spike`.
fn norse_trace() -> Vec<(f64, f64, f64)> {
    let text = std::fs::read_to_string(fixture("lif_norse.csv")).expect("lif_norse.csv");
    text.lines()
        .map(|line| {
            let v: Vec<f64> = line
                .split(',')
                .map(|x| x.trim().parse().expect("number"))
                .collect();
            (v[0], v[1], v[2])
        })
        .collect()
}

#[test]
fn lif_norse_reproduces_the_norse_trace() {
    let trace = norse_trace();
    assert_eq!(trace.len(), 1000);
    let input: Vec<Spike> = trace
        .iter()
        .enumerate()
        .filter(|(_, r)| r.0 != 0.0)
        .map(|(t, _)| Spike::new(t as u32, 0))
        .collect();
    let want: Vec<u32> = trace
        .iter()
        .enumerate()
        .filter(|(_, r)| r.2 != 0.0)
        .map(|(t, _)| t as u32)
        .collect();
    assert_eq!(want, [460, 510, 710, 760], "the trace's own spike times");

    // The NIR paper ran this graph at dt = 1e-4 s.
    let imported = import_nir(&fixture("lif_norse.nir"), &options(1e-4, 1000)).expect("imports");
    let net = imported.network.network();
    assert_eq!(net.inputs, 1);
    assert_eq!(net.layers.len(), 1);
    assert_eq!(net.layers[0].neuron.kind_name(), "lif");
    // 0.04 per input spike -> 127, threshold 0.1 -> 317.5; a weight unit
    // is 2^3 state units, so `v >= floor(317.5 * 8) + 1 = 2541`.
    assert_eq!(net.layers[0].weights, vec![vec![127]]);
    assert_eq!(net.layers[0].weight_shift, Some(3));
    assert_eq!(net.layers[0].threshold, Some(2541));

    // The float side follows Norse's voltage to float32 precision.
    let float = spikegate_import::float::simulate(&imported.float, 1000, &input);
    assert_eq!(
        float.layers[0].iter().map(|s| s.step).collect::<Vec<_>>(),
        want,
        "float spike times"
    );

    // The integer model: same spike times, within the documented tolerance
    // of one step per spike (they are in fact equal).
    let run = Reference::new(&imported.network).run(&input).expect("runs");
    let got: Vec<u32> = run.layers[0].iter().map(|s| s.step).collect();
    assert_eq!(
        got.len(),
        want.len(),
        "integer spikes {got:?} vs Norse {want:?}"
    );
    for (g, w) in got.iter().zip(&want) {
        assert!(g.abs_diff(*w) <= 1, "integer spike at {g}, Norse at {w}");
    }
    assert_eq!(got, want, "integer spike times equal Norse's");
}

#[test]
fn lif_norse_float_voltage_matches_norse() {
    // Membrane of the float simulator (before reset) against Norse's trace:
    // the voltage column is after reset, so compare steps without a spike.
    let trace = norse_trace();
    let imported = import_nir(&fixture("lif_norse.nir"), &options(1e-4, 1000)).expect("imports");
    let layer = &imported.float.layers[0];
    let (w, f) = match &layer.kind {
        spikegate_import::float::FloatKind::Lif { decay } => (layer.weights[0][0], decay[0]),
        other => panic!("{other:?}"),
    };
    let mut v = 0.0f64;
    let mut worst = 0.0f64;
    for (x, volt, spike) in trace {
        v = f * v + w * x;
        if v > layer.threshold[0] {
            v = 0.0;
        }
        assert_eq!(spike != 0.0, v == 0.0 && x != 0.0, "spike flag");
        worst = worst.max((v - volt).abs());
    }
    assert!(worst < 1e-6, "largest voltage difference {worst}");
}

#[test]
fn single_lif_graphs_import_validate_and_simulate() {
    for name in ["lif_norse.nir", "lif_rockpool.nir", "two_lif_neurons.nir"] {
        let imported = import_nir(&fixture(name), &options(1e-4, 200)).expect(name);
        // The model survives its own file format.
        let text = imported.model_json();
        let back = spikegate_model::parse_network(&text).expect("model JSON reloads");
        assert_eq!(&back, &imported.network);
        let input: Vec<Spike> = (0..200).step_by(3).map(|t| Spike::new(t, 0)).collect();
        let run = Reference::new(&imported.network).run(&input).expect("runs");
        assert!(!run.layers[0].is_empty(), "{name}: the first layer fires");
        let report = &imported.report;
        assert_eq!(report.layers.len(), imported.network.network().layers.len());
        let shown = report.to_string();
        assert!(shown.contains("spike bits equal"), "{shown}");
        let json: serde_json::Value = serde_json::from_str(&imported.report_json()).expect("JSON");
        assert_eq!(json["format"], "spikegate-import-report/1");
    }
}

#[test]
fn rockpool_reexport_and_norse_agree() {
    // Rockpool re-exported the Norse neuron as Linear(0.04) -> LIF(r = 24.02):
    // per-step input 1e-4 / 0.0025 * 24.02 * 0.04 = 0.0384 instead of 0.04.
    let imported = import_nir(&fixture("lif_rockpool.nir"), &options(1e-4, 100)).expect("imports");
    let l = &imported.float.layers[0];
    assert!(
        (l.weights[0][0] - 0.0384316).abs() < 1e-6,
        "{}",
        l.weights[0][0]
    );
    assert_eq!(
        imported.network.network().layers[0].name.as_deref(),
        Some("1_LIFNeuronTorch")
    );
}

#[test]
fn two_lif_neurons_leak_voltage_becomes_a_bias() {
    // lif1 has v_leak = 1.2 above its threshold 1.0: it fires with no input.
    let imported =
        import_nir(&fixture("two_lif_neurons.nir"), &options(1e-4, 2000)).expect("imports");
    let net = imported.network.network();
    assert_eq!(net.layers.len(), 2);
    assert!(
        net.layers[0].bias.as_ref().is_some_and(|b| b[0] > 0),
        "bias from v_leak"
    );
    let run = Reference::new(&imported.network).run(&[]).expect("runs");
    let float = spikegate_import::float::simulate(&imported.float, 2000, &[]);
    assert!(
        !float.layers[0].is_empty(),
        "float lif1 fires on its leak voltage"
    );
    let f: Vec<u32> = float.layers[0].iter().map(|s| s.step).collect();
    let i: Vec<u32> = run.layers[0].iter().map(|s| s.step).collect();
    assert_eq!(f.len(), i.len(), "float {f:?} vs integer {i:?}");
    // The multiplier decay's floor loses 0.5 LSB a step on average against
    // a per-step drive of 127 LSB (docs/import.md, "Tolerance"): the period
    // grows by about 1%, here 181 steps against 179.
    for (a, b) in f.iter().zip(&i) {
        assert!(
            f64::from(a.abs_diff(*b)) <= 1.0 + 0.015 * f64::from(*a),
            "float {f:?} vs integer {i:?}"
        );
    }
    // With 16-bit weights and 24-bit state the drift is gone.
    let wide = ImportOptions {
        weight_bits: 16,
        state_bits: 24,
        ..options(1e-4, 2000)
    };
    let imported = import_nir(&fixture("two_lif_neurons.nir"), &wide).expect("imports");
    let run = Reference::new(&imported.network).run(&[]).expect("runs");
    let i: Vec<u32> = run.layers[0].iter().map(|s| s.step).collect();
    assert_eq!(f.len(), i.len());
    for (a, b) in f.iter().zip(&i) {
        assert!(a.abs_diff(*b) <= 1, "float {f:?} vs 16-bit integer {i:?}");
    }
}

#[test]
fn missing_dt_asks_for_it() {
    let e = error("lif_norse.nir", &ImportOptions::default());
    assert_eq!(
        e.to_string(),
        format!(
            "{}: node `1` (LIF): the node has time constants but the NIR file stores no time step; give one (dt, in seconds; the NIR paper's examples and snnTorch exports use 1e-4)",
            fixture("lif_norse.nir").display()
        )
    );
}

#[test]
fn the_sinabs_cnn_imports_with_its_convolutions_and_pools() {
    // 2 x 34 x 34 -> Conv2d 16@5x5 stride 2 padding 1 -> IF -> Conv2d
    // 16@3x3 -> IF -> SumPool2d 2 -> Conv2d 8@3x3 -> IF -> SumPool2d 2 ->
    // Flatten -> Affine 256 -> IF -> Affine 10 -> IF, with Sinabs' preset.
    let options = ImportOptions {
        framework: spikegate_import::Framework::Sinabs,
        weight_bits: 16,
        state_bits: 24,
        time_steps: 16,
        report_inputs: spikegate_import::ReportInputs::Bernoulli {
            samples: 5,
            rate: 0.02,
            seed: 1,
        },
        ..ImportOptions::default()
    };
    let imported = import_nir(&fixture("cnn_sinabs.nir"), &options).expect("imports");
    let net = imported.network.network();
    assert_eq!(net.inputs, 2 * 34 * 34);
    let sizes: Vec<usize> = net.layers.iter().map(|l| l.size).collect();
    assert_eq!(sizes, [4096, 4096, 512, 256, 10]);
    let conv = net.layers[0].conv2d.as_ref().expect("conv");
    assert_eq!(
        (conv.input, conv.kernel, conv.strides(), conv.pads()),
        ([2, 34, 34], [5, 5], [2, 2], [1, 1])
    );
    let pooled: Vec<Option<[usize; 2]>> = net
        .layers
        .iter()
        .map(|l| l.input_pool.as_ref().map(|p| p.kernel))
        .collect();
    assert_eq!(pooled, [None, None, Some([2, 2]), Some([2, 2]), None]);
    assert_eq!(
        net.layers[2].conv2d.as_ref().map(|c| c.input),
        Some([16, 8, 8])
    );
    // The float graph against the integer model, per layer (measured: 100,
    // 100, 99.99, 99.95 and 99.75% of the spike entries).
    for l in &imported.report.layers {
        let s = l.spikes.as_ref().expect("spiking");
        assert!(s.float_spikes > 0, "{}: silent", l.quant.name);
        assert!(s.bits_equal >= 0.995, "{}: {}", l.quant.name, s.bits_equal);
    }
}

#[test]
fn options_out_of_range_name_the_flag() {
    let o = ImportOptions {
        weight_bits: 1,
        ..options(1e-4, 100)
    };
    let e = error("lif_norse.nir", &o);
    assert!(
        e.to_string()
            .ends_with("field `weight_bits`: must be between 2 and 32, not 1"),
        "{e}"
    );
    let o = ImportOptions {
        dt: Some(f64::NAN),
        ..options(1e-4, 100)
    };
    assert!(error("lif_norse.nir", &o)
        .to_string()
        .contains("field `dt`: must be a positive number of seconds, not NaN"));
    // dt above tau: forward Euler would be unstable.
    let e = error("lif_norse.nir", &options(0.005, 100));
    assert!(
        e.to_string().ends_with("node `1` (LIF): field `tau`: value 0: dt / tau = 0.005 / 0.0024999999441206455 = 2.0000 > 1, where forward Euler is unstable; choose a time step dt below the time constant"),
        "{e}"
    );
}

#[test]
fn report_of_the_documented_example() {
    // docs/import.md quotes this report: 8-bit weights, T = 1000, default
    // random inputs, and the same without the weight shift, whose whole
    // weight steps the decay rounds down by.
    let r8 = import_nir(&fixture("lif_norse.nir"), &options(1e-4, 1000))
        .expect("imports")
        .report;
    let s = r8.layers[0].spikes.as_ref().expect("spiking");
    assert_eq!((s.float_spikes, s.int_spikes), (463, 461));
    assert!((s.bits_equal - 0.99970).abs() < 1e-4, "{}", s.bits_equal);
    assert_eq!(r8.output.class_equal, 20);
    let unshifted = ImportOptions {
        weight_shift: Some(0),
        ..options(1e-4, 1000)
    };
    let r0 = import_nir(&fixture("lif_norse.nir"), &unshifted)
        .expect("imports")
        .report;
    let s0 = r0.layers[0].spikes.as_ref().expect("spiking");
    assert_eq!((s0.float_spikes, s0.int_spikes), (463, 447));
    assert!((s0.bits_equal - 0.99210).abs() < 1e-4, "{}", s0.bits_equal);
}

#[test]
fn fixtures_are_vendored_in_the_repository_with_origin_and_license() {
    // A user's clone has no sibling `shared/` folder: every fixture the
    // tests read must sit inside the repository, and its README must say
    // where each file came from and under which license.
    let dir = fixture("");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .canonicalize()
        .expect("workspace root");
    let dir = dir.canonicalize().expect("tests/fixtures/nir exists");
    assert!(
        dir.starts_with(&root),
        "{} is outside {}",
        dir.display(),
        root.display()
    );
    let readme = std::fs::read_to_string(dir.join("README.md")).expect("README.md");
    assert!(readme.contains("BSD 3-Clause License"), "license named");
    assert!(
        readme.contains("Copyright (c) 2023, NIR Team"),
        "copyright kept"
    );
    for name in [
        "lif_norse.nir",
        "lif_norse.csv",
        "lif_rockpool.nir",
        "two_lif_neurons.nir",
        "cnn_sinabs.nir",
        "braille_noDelay_bias_zero.nir",
        "braille_noDelay_noBias_subtract.nir",
    ] {
        assert!(dir.join(name).is_file(), "{name} is vendored");
        assert!(
            readme
                .lines()
                .any(|l| l.starts_with(&format!("| {name} |")) && l.contains("BSD-3-Clause")),
            "README gives the origin and license of {name}"
        );
    }
}
