//! The report's alerts: a silent layer, agreement between silent outputs,
//! an output collapsed to one class and a suspicious time step are each a
//! warning in the printed report and an entry of `alerts` in the JSON one,
//! and a healthy import raises none.

use std::path::{Path, PathBuf};

use spikegate_import::float::{FloatKind, FloatLayer, FloatNetwork};
use spikegate_import::report::AlertKind;
use spikegate_import::{finish, import_nir, ImportOptions, Imported};
use spikegate_model::{Decode, Reset, ResetTiming};

/// A `2 -> 2 -> 2` network of `if` layers: each input drives its own
/// hidden neuron and that one its own output neuron, with weight 1 against
/// the threshold `theta` of every neuron.
fn two_paths(theta: f64) -> FloatNetwork {
    let layer = |name: &str| FloatLayer {
        name: name.to_owned(),
        sources: vec![name.to_owned()],
        size: 2,
        kind: FloatKind::If,
        weights: vec![vec![1.0, 0.0], vec![0.0, 1.0]],
        bias: vec![0.0; 2],
        threshold: vec![theta; 2],
        reset: Reset::Zero,
        timing: ResetTiming::Immediate,
        inclusive: false,
        multi_spike: false,
        floor: None,
        spiking: true,
        delays: None,
        pool: None,
        conv: None,
        recurrent: None,
    };
    FloatNetwork {
        name: "two_paths".to_owned(),
        inputs: 2,
        layers: vec![layer("hidden"), layer("out")],
        decode: Decode::SpikeCount,
    }
}

fn import(net: FloatNetwork) -> Imported {
    let options = ImportOptions {
        time_steps: 50,
        ..ImportOptions::default()
    };
    finish(Path::new("built.nir"), net, Vec::new(), None, &options).expect("imports")
}

fn kinds(imported: &Imported) -> Vec<(AlertKind, Option<String>)> {
    imported
        .report
        .alerts
        .iter()
        .map(|a| (a.kind, a.layer.clone()))
        .collect()
}

#[test]
fn a_healthy_import_raises_no_alert() {
    // Threshold 0.5: every input spike fires its path's neurons, and the
    // random inputs give both classes.
    let imported = import(two_paths(0.5));
    assert_eq!(kinds(&imported), vec![]);
    let text = imported.report.to_string();
    assert!(!text.contains("never spikes"), "{text}");
    assert!(!text.contains("both outputs silent"), "{text}");
}

#[test]
fn silent_layers_and_silent_agreement_are_named() {
    // A threshold no input can reach in 50 steps: every layer is silent on
    // both sides, and all 20 samples "agree" on the tie class 0.
    let imported = import(two_paths(1000.0));
    let report = &imported.report;
    assert_eq!(report.output.class_equal, 20);
    assert_eq!(report.output.class_equal_both_silent, 20);
    let got = kinds(&imported);
    for layer in ["hidden", "out"] {
        let silent: Vec<_> = got
            .iter()
            .filter(|(k, l)| *k == AlertKind::SilentLayer && l.as_deref() == Some(layer))
            .collect();
        assert_eq!(
            silent.len(),
            2,
            "float and integer side of {layer}: {got:?}"
        );
    }
    assert!(got.contains(&(AlertKind::SilentAgreement, None)), "{got:?}");
    let one_class = got
        .iter()
        .filter(|(k, _)| *k == AlertKind::OneClass)
        .count();
    assert_eq!(one_class, 2, "float and integer output: {got:?}");

    let text = report.to_string();
    assert!(
        text.contains(
            "same class in 20 of 20 samples (100.00%) (20 of them with both outputs silent)"
        ),
        "{text}"
    );
    assert!(
        text.contains("layer `out` never spikes in the integer reference on any sample"),
        "{text}"
    );
    assert!(
        text.contains("20 of the 20 samples counted as the same class agree only because neither output fired a spike"),
        "{text}"
    );
    assert!(
        text.contains("the float simulation answers class 0 on all 20 samples"),
        "{text}"
    );

    let json: serde_json::Value = serde_json::from_str(&imported.report_json()).expect("JSON");
    let alerts = json["alerts"].as_array().expect("an alerts array");
    assert!(alerts
        .iter()
        .any(|a| a["kind"] == "silent_layer" && a["layer"] == "hidden"));
    assert!(alerts.iter().any(|a| a["kind"] == "silent_agreement"));
    assert!(alerts.iter().any(|a| a["kind"] == "one_class"));
    assert_eq!(json["output"]["class_equal_both_silent"], 20);
}

fn lif_norse() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/nir/lif_norse.nir")
}

fn dt_alerts(dt: f64) -> Vec<String> {
    let options = ImportOptions {
        dt: Some(dt),
        time_steps: 200,
        ..ImportOptions::default()
    };
    let imported = import_nir(&lif_norse(), &options).expect("imports");
    imported
        .report
        .alerts
        .iter()
        .filter(|a| a.kind == AlertKind::SuspiciousDt)
        .map(|a| a.message.clone())
        .collect()
}

#[test]
fn a_time_step_far_from_the_time_constants_is_suspicious() {
    // lif_norse.nir: tau = 2.5 ms. The paper's dt = 0.1 ms: no alert.
    assert_eq!(dt_alerts(1e-4), Vec::<String>::new());
    // 10 ns: 0.99999 a step, 0.9992 over 200 steps.
    let slow = dt_alerts(1e-8);
    assert_eq!(slow.len(), 1, "{slow:?}");
    assert!(slow[0].contains("barely leak: is dt too small"), "{slow:?}");
    // 2 ms: a factor of 0.2 a step.
    let fast = dt_alerts(2e-3);
    assert_eq!(fast.len(), 1, "{fast:?}");
    assert!(fast[0].contains("is dt too large"), "{fast:?}");
}
