//! `spikegate import --framework`: a framework's export imports with its
//! preset and no expert flag, the report names the preset and each
//! layer's reset, and what a file cannot tell is asked for by name.

mod common;

use std::path::Path;
use std::process::Output;

use common::{root, s, scratch, spikegate, stderr, stdout};

/// `spikegate import FILE --framework FRAMEWORK --out MODEL` with `extra`
/// arguments.
fn import(file: &str, framework: &str, model: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["import", file, "--framework", framework, "--out", s(model)];
    args.extend_from_slice(extra);
    spikegate(&args)
}

fn fixture(case: &str) -> String {
    root()
        .join("tests/fixtures/frameworks")
        .join(case)
        .join("model.nir")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn snntorch_needs_its_reset_named_and_then_resets_deferred() {
    let dir = scratch("presets", "snntorch");
    let model = dir.join("model.json");
    let nir = fixture("snntorch_leaky_subtract");
    let out = import(&nir, "snntorch", &model, &[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("snnTorch's NIR export does not record reset_mechanism"),
        "{err}"
    );
    assert!(err.contains("field `--reset`"), "{err}");
    assert!(!model.exists(), "nothing is written on an error");

    let out = import(
        &nir,
        "snntorch",
        &model,
        &["--reset", "subtract", "--time-steps", "32"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    // The preset's dt, named in the heading with the preset.
    assert!(text.contains("dt = 0.0001 s, snntorch preset"), "{text}");
    assert!(text.contains("subtract, deferred"), "{text}");
    let json = std::fs::read_to_string(&model).expect("the model");
    assert_eq!(
        json.matches("\"reset_timing\": \"deferred\"").count(),
        2,
        "{json}"
    );
}

#[test]
fn norse_lifcell_imports_with_its_preset_alone() {
    let dir = scratch("presets", "norse");
    let model = dir.join("model.json");
    let nir = fixture("norse_lifcell");
    let out = import(&nir, "norse", &model, &["--time-steps", "32"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("dt = 0.001 s, norse preset"), "{text}");
    // Without the preset Norse's LIFCell input is scaled by dt / tau_syn
    // and the output layer stays silent; with it, neither layer is.
    assert!(!text.contains("never spikes"), "{text}");
}

#[test]
fn a_preset_is_for_nir_files_only() {
    let dir = scratch("presets", "npz");
    let model = dir.join("model.json");
    let npz = dir.join("net.npz");
    std::fs::write(&npz, b"not read").unwrap();
    let spec = dir.join("net.json");
    std::fs::write(&spec, b"{}").unwrap();
    let out = import(s(&npz), "snntorch", &model, &["--spec", s(&spec)]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("field `--framework`"), "{err}");
    assert!(err.contains("a .npz spec states its own dynamics"), "{err}");
}

#[test]
fn import_help_explains_the_presets() {
    let out = spikegate(&["import", "--help"]);
    let text = stdout(&out);
    assert!(text.contains("--framework"), "{text}");
    assert!(text.contains("snntorch"), "{text}");
    assert!(text.contains("--reset-timing"), "{text}");
}

#[test]
fn a_norse_time_constant_below_dt_names_the_export_quirk() {
    // A Norse file whose tau is below dt is what `to_nir` writes when it is
    // not called with dt = 1 (tau = dt / tau_inv); here dt is set too large
    // for the file's 2.5 ms instead.
    let dir = scratch("presets", "norse-tau");
    let model = dir.join("model.json");
    let nir = root().join("tests/fixtures/nir/lif_norse.nir");
    let out = import(s(&nir), "norse", &model, &["--dt", "0.01"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("forward Euler is unstable"), "{err}");
    assert!(
        err.contains("export with norse.torch.to_nir(model, sample, dt=1)"),
        "{err}"
    );
    assert!(!model.exists());
}

#[test]
fn max_spikes_out_of_range_names_the_flag() {
    let dir = scratch("presets", "max-spikes");
    let model = dir.join("model.json");
    let nir = fixture("sinabs_if_multispike");
    for bad in ["0", "256"] {
        let out = import(&nir, "sinabs", &model, &["--max-spikes", bad]);
        assert!(!out.status.success(), "--max-spikes {bad}");
        let err = stderr(&out);
        assert!(err.contains("field `--max-spikes`"), "{err}");
        assert!(
            err.contains(&format!("must be between 1 and 255, not {bad}")),
            "{err}"
        );
    }
    let out = import(
        &nir,
        "sinabs",
        &model,
        &["--max-spikes", "15", "--time-steps", "32"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let json = std::fs::read_to_string(&model).expect("the model");
    assert_eq!(json.matches("\"max_spikes\": 15").count(), 2, "{json}");
    assert!(json.contains("\"membrane_floor\": -"), "{json}");
}

#[test]
fn weight_shift_is_chosen_shown_and_can_be_set() {
    let dir = scratch("presets", "weight-shift");
    let model = dir.join("model.json");
    let nir = fixture("norse_lifbox_q8");
    let out = import(&nir, "norse", &model, &["--time-steps", "32"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Thresholds of about 360 and 290 weight units become 8 times finer,
    // and the fine-tuned weights lie on the grid exactly.
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(report.matches("a weight unit = 2^3").count(), 2, "{report}");
    assert_eq!(
        report.matches("(on a grid of +-127, exact)").count(),
        2,
        "{report}"
    );
    let json = std::fs::read_to_string(&model).expect("the model");
    assert_eq!(json.matches("\"weight_shift\": 3").count(), 2, "{json}");
    let out = import(&nir, "norse", &model, &["--weight-shift", "0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json = std::fs::read_to_string(&model).expect("the model");
    assert!(!json.contains("weight_shift"), "{json}");
    let out = import(&nir, "norse", &model, &["--weight-shift", "15"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("field `--weight-shift`"), "{err}");
    assert!(
        err.contains("must be between 0 and 14 (at most 16 state bits less 2), not 15"),
        "{err}"
    );
}
