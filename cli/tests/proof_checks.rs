//! What `sim --expect`, `cosim --expect` and `cosim --design` prove, run as
//! a user runs them (issue 15, items 4 and 5): a design folder must belong
//! to the model, every field of an expected file is compared, and an empty
//! comparison is an error, never a pass. Everything here runs on the
//! rusthdl back end, which needs no external tool.

mod common;

use common::{golden, s, spikegate};

/// A fresh folder of this file's own.
fn scratch(name: &str) -> std::path::PathBuf {
    common::scratch("proof", name)
}

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

/// Exit code, stdout and stderr.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = spikegate(args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// `spikegate gen` of golden case `case` into `dir/design`.
fn gen_design(case: &str, dir: &Path) -> PathBuf {
    let design = dir.join("design");
    let (code, _, err) = run(&["gen", s(&golden(case, "model.json")), "--out", s(&design)]);
    assert_eq!(code, Some(0), "{err}");
    design
}

fn cosim_design(case: &str, design: &Path) -> (Option<i32>, String, String) {
    run(&[
        "cosim",
        s(&golden(case, "model.json")),
        "--input",
        s(&golden(case, "input.json")),
        "--backend",
        "rusthdl",
        "--design",
        s(design),
    ])
}

#[test]
fn cosim_design_runs_a_folder_that_belongs_to_the_model() {
    let dir = scratch("design-ok");
    let design = gen_design("delays", &dir);
    let (code, out, err) = cosim_design("delays", &design);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("1/1 samples match"), "{out}");
}

#[test]
fn cosim_design_refuses_an_emptied_verilog_file_on_every_back_end() {
    let dir = scratch("design-empty");
    let design = gen_design("delays", &dir);
    std::fs::write(design.join("spikegate_top.v"), "").unwrap();
    let (code, out, err) = cosim_design("delays", &design);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains("spikegate_top.v: differs from what spikegate gen writes for this model"),
        "{err}"
    );
    assert!(!out.contains("match"), "{out}");
    // --allow-edited-design does not make rust-hdl pretend to run it.
    let (code, _, err) = run(&[
        "cosim",
        s(&golden("delays", "model.json")),
        "--input",
        s(&golden("delays", "input.json")),
        "--backend",
        "rusthdl",
        "--design",
        s(&design),
        "--allow-edited-design",
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("needs `--backend verilator`"), "{err}");
}

#[test]
fn cosim_design_refuses_a_folder_with_a_deleted_memory_image() {
    let dir = scratch("design-hex");
    let design = gen_design("delays", &dir);
    let hex = std::fs::read_dir(&design)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "hex"))
        .expect("a memory image");
    std::fs::remove_file(&hex).unwrap();
    let (code, out, err) = cosim_design("delays", &design);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("cannot read this file of the design"), "{err}");
    assert!(
        err.contains(hex.file_name().unwrap().to_str().unwrap()),
        "{err}"
    );
}

#[test]
fn cosim_design_refuses_a_folder_generated_from_another_model() {
    let dir = scratch("design-other");
    let design = gen_design("delays", &dir);
    // Same shape, one weight changed: only the hash tells them apart.
    let mut model = read_json(&golden("delays", "model.json"));
    let w = &mut model["layers"][0]["weights"][0][0];
    *w = json!(w.as_i64().unwrap() - 1);
    let changed = dir.join("model.json");
    std::fs::write(&changed, model.to_string()).unwrap();
    let (code, out, err) = run(&[
        "cosim",
        s(&changed),
        "--input",
        s(&golden("delays", "input.json")),
        "--backend",
        "rusthdl",
        "--design",
        s(&design),
    ]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains("the design was generated from another model or with other options"),
        "{err}"
    );
}

#[test]
fn cosim_design_refuses_a_manifest_without_a_model_hash() {
    let dir = scratch("design-old");
    let design = gen_design("delays", &dir);
    let mut manifest = read_json(&design.join("manifest.json"));
    manifest.as_object_mut().unwrap().remove("model_hash");
    std::fs::write(design.join("manifest.json"), manifest.to_string()).unwrap();
    let (code, _, err) = cosim_design("delays", &design);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("records no model hash"), "{err}");
}

/// Runs `sim` and `cosim` (rusthdl) of golden case `case` against the
/// expected file `edit` makes of the case's own; returns both results.
fn both_against(
    case: &str,
    name: &str,
    edit: impl Fn(&mut Value),
) -> [(Option<i32>, String, String); 2] {
    let dir = scratch(name);
    let mut expected = read_json(&golden(case, "expected.json"));
    edit(&mut expected);
    let path = dir.join("expected.json");
    std::fs::write(&path, expected.to_string()).unwrap();
    let model = golden(case, "model.json");
    let input = golden(case, "input.json");
    let common = [s(&model), "--input", s(&input), "--expect", s(&path)];
    let sim = run(&[&["sim"], &common[..]].concat());
    let cosim = run(&[&["cosim"], &common[..], &["--backend", "rusthdl"]].concat());
    [sim, cosim]
}

/// Both commands fail (exit 1) and print `needle`.
fn assert_both_fail(results: &[(Option<i32>, String, String); 2], needle: &str) {
    for (command, (code, out, err)) in ["sim", "cosim"].iter().zip(results) {
        assert_eq!(*code, Some(1), "{command}: {out}{err}");
        assert!(
            out.contains(needle) || err.contains(needle),
            "{command} does not say `{needle}`:\n{out}{err}"
        );
        assert!(!out.contains("match: "), "{command} claims a match: {out}");
    }
}

#[test]
fn an_unchanged_expected_file_matches_on_both_commands() {
    for (command, (code, out, err)) in
        ["sim", "cosim"]
            .iter()
            .zip(both_against("delays", "same", |_| {}))
    {
        assert_eq!(code, Some(0), "{command}: {out}{err}");
        assert!(out.contains("match: "), "{command}: {out}");
    }
}

#[test]
fn expected_files_with_other_header_fields_are_refused() {
    type Edit = fn(&mut Value);
    let cases: [(&str, Edit, &str); 4] = [
        (
            "format",
            |e| e["format"] = json!("spikegate-result/9"),
            "is not spikegate-result/1",
        ),
        (
            "model",
            |e| e["model"] = json!("other"),
            "results of model `other`",
        ),
        (
            "steps",
            |e| e["time_steps"] = json!(6),
            "time_steps is 6, the model has 5",
        ),
        (
            "neurons",
            |e| e["samples"][0]["layers"][0]["neurons"] = json!(3),
            "neurons is 3, the layer has 2",
        ),
    ];
    for (name, edit, needle) in cases {
        assert_both_fail(&both_against("delays", name, edit), needle);
    }
}

#[test]
fn an_expected_file_with_no_layers_is_refused() {
    let results = both_against("delays", "no-layers", |e| {
        e["samples"][0]["layers"] = json!([]);
    });
    assert_both_fail(&results, "sample 0 has 0 layers, the model has 2");
}

#[test]
fn an_expected_file_with_more_layers_than_the_model_is_an_error_not_a_panic() {
    let results = both_against("delays", "more-layers", |e| {
        let extra = e["samples"][0]["layers"][1].clone();
        e["samples"][0]["layers"]
            .as_array_mut()
            .unwrap()
            .push(extra);
    });
    assert_both_fail(&results, "sample 0 has 3 layers, the model has 2");
}

#[test]
fn an_expected_file_with_extra_samples_does_not_match() {
    let results = both_against("delays", "extra", |e| {
        let extra = e["samples"][0].clone();
        e["samples"].as_array_mut().unwrap().push(extra);
    });
    assert_both_fail(&results, "expected 2 samples, got 1");
}

#[test]
fn unsorted_events_in_an_expected_file_are_refused_by_both_commands() {
    let results = both_against("delays", "unsorted", |e| {
        e["samples"][0]["layers"][0]["events"]
            .as_array_mut()
            .unwrap()
            .reverse();
    });
    assert_both_fail(&results, "are not sorted by step, then neuron");
}

#[test]
fn a_changed_spike_is_named_by_sample_layer_step_and_neuron_on_both_commands() {
    let results = both_against("delays", "changed", |e| {
        e["samples"][0]["layers"][0]["events"][1] = json!([2, 1]);
    });
    assert_both_fail(
        &results,
        "sample 0, layer 0 (layer0): unexpected spike at step 1, neuron 1",
    );
}

#[test]
fn empty_comparisons_are_errors() {
    let dir = scratch("empty");
    let mut input = read_json(&golden("delays", "input.json"));
    input["samples"] = json!([]);
    let empty_input = dir.join("input.json");
    std::fs::write(&empty_input, input.to_string()).unwrap();
    let mut expected = read_json(&golden("delays", "expected.json"));
    expected["samples"] = json!([]);
    let empty_expected = dir.join("expected.json");
    std::fs::write(&empty_expected, expected.to_string()).unwrap();
    let model = golden("delays", "model.json");
    let common = [
        s(&model),
        "--input",
        s(&empty_input),
        "--expect",
        s(&empty_expected),
    ];
    let (code, out, err) = run(&[&["sim"], &common[..]].concat());
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("nothing to compare"), "{err}");
    let (code, out, err) = run(&[&["cosim"], &common[..], &["--backend", "rusthdl"]].concat());
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("there are no samples to co-simulate"), "{err}");
    // --samples 0 is refused by the argument parser.
    let (code, _, err) = run(&[
        "cosim",
        s(&model),
        "--input",
        s(&golden("delays", "input.json")),
        "--backend",
        "rusthdl",
        "--samples",
        "0",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--samples"), "{err}");
}

#[test]
fn sim_into_a_closed_pipe_ends_quietly() {
    // `spikegate sim ... | head -1`: the reader goes away after one line.
    let model = golden("digits_ttfs", "model.json");
    let input = golden("digits_ttfs", "input.json");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' sim '{}' --input '{}' | head -n 1 >/dev/null",
            env!("CARGO_BIN_EXE_spikegate"),
            s(&model),
            s(&input)
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
}

#[test]
fn check_reports_an_accumulator_wide_enough_for_partial_sums() {
    // Two weights of 2^31 - 1 and a bias of -2^31: the total fits 32 bits,
    // the partial sum 2^32 - 2 of the two weights needs 33.
    let dir = scratch("wide-sum");
    let model = json!({
        "format": "spikegate-model/1",
        "name": "wide-sum",
        "time_steps": 1,
        "inputs": 2,
        "layers": [{
            "size": 1,
            "widths": {"weight": 32, "membrane": 32, "threshold": 32},
            "neuron": {"kind": "if"},
            "threshold": 2147483646,
            "reset": "zero",
            "weights": [[2147483647], [2147483647]],
            "bias": [-2147483648]
        }],
        "output": {"decode": "spike_count"}
    });
    let path = dir.join("model.json");
    std::fs::write(&path, model.to_string()).unwrap();
    let (code, out, err) = run(&["check", s(&path)]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("largest possible accumulator width: 33 bits"),
        "{out}"
    );
    // And sim gives the page's x = 2147483646 and a spike.
    let input = dir.join("input.json");
    let spikes = json!({
        "format": "spikegate-spikes/1",
        "neurons": 2,
        "time_steps": 1,
        "samples": [{"events": [[0, 0], [0, 1]]}]
    });
    std::fs::write(&input, spikes.to_string()).unwrap();
    let (code, out, err) = run(&["sim", s(&path), "--input", s(&input), "--trace"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("| 0 | 0 | 0 | 2147483646 | - | - | 0 | 1 |"),
        "{out}"
    );
}
