//! The `spikegate` binary as a user runs it: exit codes, messages, files.

mod common;

use common::{gen_into, golden, root, spikegate};

/// A fresh folder of this file's own.
fn scratch(name: &str) -> std::path::PathBuf {
    common::scratch("cli", name)
}

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_prints_the_summary() {
    let model = golden("readout", "model.json");
    let out = spikegate(&["check", model.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    // 2 inputs -> 2 if -> 2 lif readout; 4-bit weights: 8 synapses, 32 bits.
    assert!(
        stdout.contains(
            "total: 2 layers, 4 neurons, 8 synapses, 32 weight memory bits, 0 delay memory bits"
        ),
        "{stdout}"
    );
    // Readout: x in [-2-1, 3+4] = [-3, 7] needs 4 bits; layer 0: [0, 3] needs 3.
    assert!(
        stdout.contains("largest possible accumulator width: 4 bits"),
        "{stdout}"
    );
    assert!(stdout.contains("lif*"), "readout layer marked: {stdout}");
}

#[test]
fn check_reports_delay_memory() {
    let out = spikegate(&[
        "check",
        golden("delays", "model.json").to_str().unwrap(),
        "--json",
    ]);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Layer 0: 4 synapses x 2 bits (max 2); layer 1: 2 synapses x 2 bits (max 3).
    assert_eq!(summary["delay_bits"], 12);
    assert_eq!(summary["synapses"], 6);
}

#[test]
fn check_counts_recurrent_synapses() {
    let out = spikegate(&[
        "check",
        golden("recurrent", "model.json").to_str().unwrap(),
        "--json",
    ]);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // 1 input x 3 neurons at 4 bits, then 3 x 3 recurrent at 4 bits.
    assert_eq!(summary["synapses"], 3 + 9);
    assert_eq!(summary["weight_bits"], 12 + 36);
}

#[test]
fn sim_matches_every_golden_case_and_writes_the_result() {
    let dir = scratch("sim");
    for case in ["if_subtract", "delays", "readout", "large_ttfs"] {
        let out_file = dir.join(format!("{case}.json"));
        let out = spikegate(&[
            "sim",
            golden(case, "model.json").to_str().unwrap(),
            "--input",
            golden(case, "input.json").to_str().unwrap(),
            "--expect",
            golden(case, "expected.json").to_str().unwrap(),
            "--out",
            out_file.to_str().unwrap(),
        ]);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{case}: {stderr}");
        assert!(stdout.contains("match: all"), "{case}: {stdout}");
        // The written result is the expected file, value for value.
        let written: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(golden(case, "expected.json")).unwrap()).unwrap();
        assert_eq!(written, expected, "{case}");
    }
    let out = spikegate(&[
        "sim",
        golden("ttfs", "model.json").to_str().unwrap(),
        "--input",
        golden("ttfs", "input.json").to_str().unwrap(),
    ]);
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("sample 0: output 0; spikes per layer [3]"),
        "{stdout}"
    );
}

#[test]
fn sim_names_the_first_difference() {
    let dir = scratch("mismatch");
    let mut expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(golden("delays", "expected.json")).unwrap()).unwrap();
    expected["samples"][0]["layers"][0]["events"][1] = serde_json::json!([2, 1]);
    let bad = dir.join("expected.json");
    std::fs::write(&bad, expected.to_string()).unwrap();
    let out = spikegate(&[
        "sim",
        golden("delays", "model.json").to_str().unwrap(),
        "--input",
        golden("delays", "input.json").to_str().unwrap(),
        "--expect",
        bad.to_str().unwrap(),
    ]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("sample 0, layer 0 (layer0): unexpected spike at step 1, neuron 1"),
        "{stderr}"
    );
}

#[test]
fn bad_files_give_clear_errors_and_exit_1() {
    let dir = scratch("bad");
    let mut model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(golden("bias", "model.json")).unwrap()).unwrap();
    model["layers"][0]["weights"][0][1] = serde_json::json!(300);
    let path = dir.join("model.json");
    std::fs::write(&path, model.to_string()).unwrap();
    let out = spikegate(&["check", path.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(
        stderr.trim(),
        format!(
            "error: {}: layer 0: field `weights[0][1]`: 300 does not fit the 4-bit weight width (-8..=7)",
            path.display()
        )
    );

    model["layers"][0]["neuron"] = serde_json::json!({"kind": "izhikevich"});
    std::fs::write(&path, model.to_string()).unwrap();
    let (_, stderr) = text(&spikegate(&["check", path.to_str().unwrap()]));
    assert!(
        stderr.contains("layer 0") && stderr.contains("izhikevich"),
        "{stderr}"
    );

    let missing = dir.join("nope.json");
    let out = spikegate(&["check", missing.to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("nope.json: cannot read the file"),
        "{stderr}"
    );

    // An input file made for another model.
    let out = spikegate(&[
        "sim",
        golden("bias", "model.json").to_str().unwrap(),
        "--input",
        golden("ttfs", "input.json").to_str().unwrap(),
    ]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("input.json: field `neurons`: the model has 1 inputs, the spike file 2"),
        "{stderr}"
    );
}

#[test]
fn a_failed_write_leaves_no_file() {
    let dir = scratch("nowrite");
    let target = dir.join("missing-folder").join("out.json");
    let out = spikegate(&[
        "sim",
        golden("bias", "model.json").to_str().unwrap(),
        "--input",
        golden("bias", "input.json").to_str().unwrap(),
        "--out",
        target.to_str().unwrap(),
    ]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("cannot write"), "{stderr}");
    assert!(!target.exists());
}

#[test]
fn every_command_explains_itself() {
    for (cmd, words) in [
        ("check", &["MODEL", "accumulator", "--json"][..]),
        (
            "sim",
            &["MODEL", "--input", "--out", "--expect", "--trace"][..],
        ),
        ("encode", &["MODEL", "VALUES", "--code", "ttfs", "rate"][..]),
        (
            "bench",
            &[
                "--rates",
                "--steps",
                "--samples",
                "--threads",
                "--model",
                "floor",
            ][..],
        ),
        (
            "cosim",
            &[
                "MODEL",
                "--input",
                "--backend",
                "verilator",
                "rusthdl",
                "--lockstep",
                "--samples",
                "--vcd",
                "--report",
                "--design",
                "--gaps",
                "--stalls",
                "cache",
            ][..],
        ),
        ("bench-cosim", &["--samples", "ratio", "rust-hdl"][..]),
        ("bench-delays", &["--d-max", "--synth", "--pe", "mod"][..]),
        (
            "bench-conv",
            &["--model", "--input", "--pe", "--target", "dense equivalent"][..],
        ),
        (
            "synth",
            &[
                "MODEL",
                "--target",
                "--pe",
                "--input",
                "--json",
                "Fmax",
                "synth_xilinx",
            ][..],
        ),
        (
            "import",
            &[
                "FILE",
                "--out",
                "--weight-bits",
                "--state-bits",
                "--time-steps",
                "--dt",
                "--report",
                "--spec",
            ][..],
        ),
        (
            "design-space",
            &["--pe", "--networks", "Spiker+", "--out"][..],
        ),
        (
            "plot",
            &["raster", "activity", "design-space", "import-report", "ssr"][..],
        ),
    ] {
        let out = spikegate(&[cmd, "--help"]);
        let (stdout, _) = text(&out);
        assert!(out.status.success());
        for w in words {
            assert!(
                stdout.contains(w),
                "`spikegate {cmd} --help` lacks {w}: {stdout}"
            );
        }
    }
    let (stdout, _) = text(&spikegate(&["--help"]));
    for cmd in [
        "check", "sim", "encode", "bench", "cosim", "gen", "synth", "import", "plot",
    ] {
        assert!(stdout.contains(cmd), "{stdout}");
    }
}

#[test]
fn bench_runs_and_prints_its_figures() {
    let out = spikegate(&[
        "bench",
        "--samples",
        "20",
        "--rates",
        "0.1",
        "--steps",
        "8",
        "--threads",
        "2",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("synops/s") && stdout.contains("0.100"),
        "{stdout}"
    );
    let out = spikegate(&["bench", "--rates", "1.5"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn bench_measures_a_model_file_with_convolutions() {
    let model = golden("conv_stride_pad_pool", "model.json");
    let out = spikegate(&[
        "bench",
        "--model",
        model.to_str().unwrap(),
        "--rates",
        "0.2,0.8",
        "--samples",
        "50",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    // One line a rate; four times the input spikes give more synaptic work.
    let ops: Vec<f64> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("0."))
        .map(|l| l.split_whitespace().nth(3).unwrap().parse().unwrap())
        .collect();
    assert_eq!(ops.len(), 2, "{stdout}");
    assert!(ops[1] > 2.0 * ops[0], "{stdout}");
    let out = spikegate(&["bench", "--model", "/nonexistent/model.json"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("/nonexistent/model.json"), "{stderr}");
}

#[test]
fn sim_trace_prints_the_semantics_table() {
    let out = spikegate(&[
        "sim",
        golden("adlif", "model.json").to_str().unwrap(),
        "--input",
        golden("adlif", "input.json").to_str().unwrap(),
        "--trace",
    ]);
    let (stdout, _) = text(&out);
    // Step 2 of neuron 0 in docs/semantics.md 7.6.
    assert!(
        stdout.contains("| 2 | 0 | 0 | 8 | - | 5 | 3 | 0 |"),
        "{stdout}"
    );
}

#[test]
fn encode_writes_a_spike_file_the_model_accepts() {
    let dir = scratch("encode");
    let values = dir.join("values.json");
    std::fs::write(
        &values,
        r#"{"samples": [{"values": [1.0, 0.5], "label": 1}, {"values": [0.0, 0.25]}]}"#,
    )
    .unwrap();
    let model = golden("ttfs", "model.json"); // 2 inputs, T = 5
    let out_file = dir.join("spikes.json");
    let out = spikegate(&[
        "encode",
        model.to_str().unwrap(),
        values.to_str().unwrap(),
        "-o",
        out_file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out).1);
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    // ttfs: 1.0 -> step 0; 0.5 -> round(0.5 * 4) = 2; 0.0 -> none; 0.25 -> 3.
    assert_eq!(
        file["samples"][0]["events"],
        serde_json::json!([[0, 0], [2, 1]])
    );
    assert_eq!(file["samples"][0]["label"], 1);
    assert_eq!(file["samples"][1]["events"], serde_json::json!([[3, 1]]));
    let sim = spikegate(&[
        "sim",
        model.to_str().unwrap(),
        "--input",
        out_file.to_str().unwrap(),
    ]);
    assert!(sim.status.success(), "{}", text(&sim).1);
    assert!(
        text(&sim).0.contains("accuracy: "),
        "labels are used: {}",
        text(&sim).0
    );

    std::fs::write(&values, r#"{"samples": [{"values": [1.5, 0.5]}]}"#).unwrap();
    let out = spikegate(&[
        "encode",
        model.to_str().unwrap(),
        values.to_str().unwrap(),
        "-o",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out)
            .1
            .contains("sample 0: input value 0 is 1.5; encoders take values from 0 to 1"),
        "{}",
        text(&out).1
    );
}

fn folder_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn gen_writes_verilog_images_constraints_and_manifest_byte_identically() {
    let dir = scratch("gen-twice");
    let model = golden("large_ttfs", "model.json");
    let (a, b) = (dir.join("a"), dir.join("b"));
    let args = ["--pe", "4", "--target", "ulx3s_85f", "--taps"];
    assert!(gen_into(&model, &a, &args).status.success());
    assert!(gen_into(&model, &b, &args).status.success());
    let files = folder_bytes(&a);
    assert_eq!(files, folder_bytes(&b), "two runs differ");
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "manifest.json",
            "sg_l0_ttfs_n300_m100_p4_weights.hex",
            "sg_l1_ttfs_n10_m300_p4_weights.hex",
            "sim_models.v",
            "spikegate_board.v",
            "spikegate_top.v",
            "ulx3s_85f.lpf"
        ]
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["top"], "spikegate_top");
    assert_eq!(manifest["cores"][0]["pe"], 4);
    assert_eq!(manifest["cores"][0]["chunks"], 75);
    // 100 inputs x 75 chunks rows of 4 x 8-bit weights.
    assert_eq!(manifest["cores"][0]["weight_memory"]["bits"], 100 * 75 * 32);
    assert_eq!(manifest["cores"][1]["pe"], 4);
    let ports: Vec<&str> = manifest["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(ports.contains(&"tap0_neuron") && ports.contains(&"out_eos"));
    let board = String::from_utf8(files[4].1.clone()).unwrap();
    // The wrapper of this board: 25 MHz over 115200 baud, active-high
    // button and LEDs.
    assert!(board.contains("module spikegate_board"), "{board}");
    assert!(board.contains("parameter [15:0] CLKS_PER_BIT = 16'd217"));
    assert!(board.contains("parameter integer RESET_ACTIVE_LOW = 0"));
    let verilog = String::from_utf8(files[5].1.clone()).unwrap();
    assert!(verilog.contains("module spikegate_top("));
    // ECP5: DP16KD block RAMs, with their model beside the design.
    assert!(verilog.contains("DP16KD #("));
    let dp16kd = String::from_utf8(files[3].1.clone()).unwrap();
    assert!(dp16kd.contains("module DP16KD ("));
    assert!(
        verilog.contains("tap0_neuron"),
        "tap ports keep their documented names"
    );
    // Regenerating over an earlier output replaces it.
    assert!(gen_into(&model, &a, &["--pe", "2"]).status.success());
    assert!(!a.join("ulx3s_85f.lpf").exists());
}

#[test]
fn gen_reports_the_block_ram_the_verilog_instantiates() {
    let dir = scratch("gen-blocks");
    // (case, target, P, primitive, the report's total line, a memory line)
    let cases = [
        (
            "large_ttfs",
            "ulx3s_85f",
            "4",
            "DP16KD",
            "block RAM on ulx3s_85f: 30 of 208 DP16KD",
            // 7500 x 32: 15 blocks of 512 x 36; 2048 x 9 would take 16,
            // over the 5% the tiling may add for fewer rows.
            "layer 0 (layer0) weights: 7500 x 32 bits, 15 DP16KD (15 x 1 of 512 x 36)",
        ),
        (
            "digits_if",
            "icebreaker",
            "1",
            "SB_RAM40_4K",
            "block RAM on icebreaker: 14 of 30 SB_RAM40_4K",
            // 4096 x 8: 8 blocks in every shape from 512 x 8 to 2048 x 2;
            // the fewest rows win.
            "layer 0 (hidden) weights: 4096 x 8 bits, 8 SB_RAM40_4K (2 x 4 of 2048 x 2)",
        ),
    ];
    for (case, target, pe, primitive, total, memory) in cases {
        let out_dir = dir.join(case);
        let out = gen_into(
            &golden(case, "model.json"),
            &out_dir,
            &["--target", target, "--pe", pe],
        );
        let (stdout, err) = text(&out);
        assert!(out.status.success(), "{case}: {err}");
        assert!(stdout.contains(total), "{case}:\n{stdout}");
        assert!(stdout.contains(memory), "{case}:\n{stdout}");
        assert!(
            stdout.contains("board wrapper UART FIFO: 512 x 8 bits, about 1 ")
                && stdout.contains("(inferred: synthesis lays it out)"),
            "{case}:\n{stdout}"
        );
        // The blocks the report gives each instantiated memory add up to
        // the primitives the Verilog instantiates.
        let reported: usize = stdout
            .lines()
            .filter(|l| l.contains(&format!(" {primitive} (")) && !l.contains("inferred"))
            .map(|l| {
                let n = l.rsplit(", ").next().unwrap();
                n.split(' ').next().unwrap().parse::<usize>().unwrap()
            })
            .sum();
        let verilog = std::fs::read_to_string(out_dir.join("spikegate_top.v")).unwrap();
        let instances = verilog
            .lines()
            .filter(|l| l.trim_start().starts_with(&format!("{primitive} ")))
            .count();
        assert!(instances > 0, "{case}: no {primitive} in the Verilog");
        assert_eq!(reported, instances, "{case}:\n{stdout}");
    }
}

#[test]
fn gen_refuses_before_writing_anything() {
    let dir = scratch("gen-refuse");
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "ttfs",
            &["--pe", "0"],
            "--pe 0: processing elements per core must be 1..=64",
        ),
        (
            "ttfs",
            &["--fifo-depth", "3"],
            "FIFO depth 3: must be a power of two",
        ),
        (
            "ttfs",
            &["--target", "de10"],
            "unknown target `de10` (known: icebreaker",
        ),
        (
            "large_ttfs",
            &["--target", "icebreaker"],
            "the model needs 283916 bits of block RAM (weights, neuron state and the board \
             wrapper's FIFO), 74 block RAMs of 4096 bits as the design lays them out; \
             icebreaker (iCE40UP5K-SG48) has 122880 bits in 30 block RAMs. The largest memory \
             is layer 0 (layer0) weights: 30000 words of 8 bits in 60 block RAMs. To fit, use \
             narrower weights or state, fewer neurons, or a bigger part",
        ),
        (
            "large_ttfs",
            &["--target", "icebreaker", "--pe", "4"],
            "82 block RAMs of 4096 bits as the design lays them out; icebreaker \
             (iCE40UP5K-SG48) has 122880 bits in 30 block RAMs. The largest memory is layer 0 \
             (layer0) weights: 7500 words of 32 bits in 60 block RAMs. To fit, use fewer \
             processing elements (P = 4 now",
        ),
    ];
    for (case, extra, message) in cases {
        let out_dir = dir.join(format!("{case}-{}", extra.join("")));
        let out = gen_into(&golden(case, "model.json"), &out_dir, extra);
        let (_, err) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{case} {extra:?}: {err}");
        assert!(err.contains(message), "{case} {extra:?}: {err}");
        assert!(
            !out_dir.exists(),
            "{case} {extra:?}: wrote {}",
            out_dir.display()
        );
    }
    // Delays beyond the hardware's 64 slots a neuron.
    let mut model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(golden("delays", "model.json")).unwrap())
            .unwrap();
    model["layers"][0]["delays"]["max"] = 100.into();
    let long = dir.join("long-delays.json");
    std::fs::write(&long, model.to_string()).unwrap();
    let out_dir = dir.join("long-delays");
    let out = gen_into(&long, &out_dir, &[]);
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "layer 0: field `delays.max`: delays up to 100 steps need 101 accumulator slots a \
             neuron; the hardware holds at most 64 (delays up to 63)"
        ),
        "{err}"
    );
    assert!(!out_dir.exists());
    // A folder that is not an earlier output is never replaced.
    let foreign = dir.join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let out = gen_into(&golden("ttfs", "model.json"), &foreign, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("is not a spikegate output folder"));
    assert_eq!(
        std::fs::read_to_string(foreign.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn cosim_on_rusthdl_matches_a_golden_case_and_reports() {
    let dir = scratch("cosim-report");
    let report = dir.join("report.json");
    let out = spikegate(&[
        "cosim",
        golden("ttfs", "model.json").to_str().unwrap(),
        "--input",
        golden("ttfs", "input.json").to_str().unwrap(),
        "--expect",
        golden("ttfs", "expected.json").to_str().unwrap(),
        "--backend",
        "rusthdl",
        "--pe",
        "2",
        "--gaps",
        "0.5",
        "--stalls",
        "0.5",
        "--report",
        report.to_str().unwrap(),
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("sample 0: match"), "{stdout}");
    assert!(
        stdout.contains("samples match the reference bit for bit"),
        "{stdout}"
    );
    assert!(stdout.contains("decoded outputs equal"), "{stdout}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["format"], "spikegate-cosim-report/1");
    assert_eq!(json["backend"], "rusthdl");
    assert_eq!(json["mismatched"], 0);
    let sample = &json["samples"][0];
    assert_eq!(sample["status"], "match");
    let cycles = sample["cycles"].as_u64().unwrap();
    let bound = sample["formula_lower_bound"].as_u64().unwrap();
    assert!(cycles >= bound && bound > 0, "{sample}");
    let utilisation = sample["pe_utilisation"].as_f64().unwrap();
    assert!(utilisation > 0.0 && utilisation <= 1.0, "{sample}");
}

#[test]
fn cosim_without_verilator_says_so() {
    let model = golden("ttfs", "model.json");
    let input = golden("ttfs", "input.json");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_spikegate"))
            .args([
                "cosim",
                model.to_str().unwrap(),
                "--input",
                input.to_str().unwrap(),
            ])
            .args(extra)
            .env("SPIKEGATE_VERILATOR", "/nonexistent/verilator")
            .output()
            .unwrap()
    };
    // Asked for by name: a clear error naming the fix, exit 1.
    let out = run(&["--backend", "verilator"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("Verilator is not installed") && stderr.contains(".ci/install-tools"),
        "{stderr}"
    );
    // Not asked for: the rust-hdl back end, with a note saying why.
    let out = run(&[]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stderr.contains("falling back to the rusthdl back end"),
        "{stderr}"
    );
    assert!(stdout.contains("on rusthdl"), "{stdout}");
    // Lockstep needs Verilator.
    let out = run(&["--lockstep", "--backend", "rusthdl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out)
        .1
        .contains("--lockstep runs Verilator beside rust-hdl"));
}

#[test]
fn cosim_refuses_bad_pacing_and_mismatched_designs() {
    let model = golden("ttfs", "model.json");
    let input = golden("ttfs", "input.json");
    let out = spikegate(&[
        "cosim",
        model.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--stalls",
        "1.0",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out)
            .1
            .contains("--stalls must be in 0.0..1.0 (a probability below 1), not 1"),
        "{}",
        text(&out).1
    );
    // A design generated from another model.
    let dir = scratch("cosim-other-design");
    let other = dir.join("design");
    assert!(gen_into(&golden("if_subtract", "model.json"), &other, &[])
        .status
        .success());
    let out = spikegate(&[
        "cosim",
        model.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--design",
        other.to_str().unwrap(),
        "--backend",
        "rusthdl",
    ]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("the design was generated from another model or with other options"),
        "{stderr}"
    );
    // Not a design folder at all.
    let out = spikegate(&[
        "cosim",
        model.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--design",
        dir.to_str().unwrap(),
    ]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("manifest.json") && stderr.contains("spikegate gen"),
        "{stderr}"
    );
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/nir").join(name)
}

#[test]
fn import_writes_a_model_the_other_commands_take_and_prints_the_report() {
    let dir = scratch("import");
    let model = dir.join("lif.json");
    let report = dir.join("report.json");
    let out = spikegate(&[
        "import",
        fixture("lif_norse.nir").to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
        "--dt",
        "1e-4",
        "--time-steps",
        "1000",
        "--report",
        report.to_str().unwrap(),
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("spike bits equal"), "{stdout}");
    assert!(stdout.contains("same class in"), "{stdout}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["format"], "spikegate-import-report/1");
    let check = spikegate(&["check", model.to_str().unwrap()]);
    assert!(check.status.success(), "{}", text(&check).1);
}

#[test]
fn import_refuses_what_it_cannot_carry_and_writes_nothing() {
    let dir = scratch("import-refuse");
    let cases: &[(&str, &[&str], &str)] = &[
        // A recurrent graph now imports, but not at a dt above its tau.
        (
            "braille_noDelay_bias_zero.nir",
            &["--dt", "1e-3"],
            "node `lif1.lif` (CubaLIF): field `tau_syn`",
        ),
        ("lif_norse.nir", &[], "(pass --dt SECONDS)"),
        // The library names the option; the command line names its flag.
        (
            "lif_norse.nir",
            &["--weight-bits", "1"],
            "field `--weight-bits`: must be between 2 and 32, not 1",
        ),
    ];
    for (file, extra, message) in cases {
        let model = dir.join(format!("{file}.json"));
        let (path, model_path) = (fixture(file), model.to_str().unwrap().to_owned());
        let mut args = vec!["import", path.to_str().unwrap(), "--out", &model_path];
        args.extend_from_slice(extra);
        let out = spikegate(&args);
        let (_, err) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{file}: {err}");
        assert!(err.contains(message), "{file}: {err}");
        assert!(!model.exists(), "{file}: wrote a model");
    }
}

#[test]
fn the_sinabs_cnn_imports_checks_and_generates_with_its_decode_tables() {
    let dir = scratch("import-cnn");
    let model = dir.join("cnn.json");
    let nir = fixture("cnn_sinabs.nir");
    let out = spikegate(&[
        "import",
        nir.to_str().unwrap(),
        "--framework",
        "sinabs",
        "--time-steps",
        "8",
        "--samples",
        "2",
        "--out",
        model.to_str().unwrap(),
    ]);
    let (report, err) = text(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        report.contains("node `4` (SumPool2d), node `5` (Conv2d), node `6` (IF)"),
        "{report}"
    );
    let check = spikegate(&["check", model.to_str().unwrap()]);
    let (summary, err) = text(&check);
    assert!(check.status.success(), "{err}");
    // 16 x 16 x 16 neurons, each with 2 x 5 x 5 taps; 16 x 2 x 5 x 5 kernels.
    assert!(summary.contains("4096     204800"), "{summary}");
    let design = dir.join("design");
    let out = spikegate(&[
        "gen",
        model.to_str().unwrap(),
        "--out",
        design.to_str().unwrap(),
    ]);
    let (_, err) = text(&out);
    // Sinabs fires as many spikes as the membrane holds thresholds; the
    // hardware counts at most 15 a step.
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("field `max_spikes`: the hardware fires at most 15 spikes"),
        "{err}"
    );
    assert!(!design.exists(), "gen wrote a design");
    let capped = dir.join("cnn15.json");
    let out = spikegate(&[
        "import",
        nir.to_str().unwrap(),
        "--framework",
        "sinabs",
        "--max-spikes",
        "15",
        "--time-steps",
        "8",
        "--samples",
        "2",
        "--out",
        capped.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out).1);
    let out = spikegate(&[
        "gen",
        capped.to_str().unwrap(),
        "--pe",
        "16",
        "--out",
        design.to_str().unwrap(),
    ]);
    let (_, err) = text(&out);
    assert!(out.status.success(), "{err}");
    // Three conv layers and the dense layer behind the second pool read
    // their spikes through a decode table, one entry per presynaptic
    // neuron (2 x 34 x 34 inputs for the first).
    let tables: Vec<_> = std::fs::read_dir(&design)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with("_walk.hex"))
        .collect();
    assert_eq!(tables.len(), 4, "{tables:?}");
    let first = tables
        .iter()
        .find(|n| n.starts_with("sg_l0_"))
        .expect("layer 0's table");
    let lines = std::fs::read_to_string(design.join(first))
        .unwrap()
        .lines()
        .count();
    assert_eq!(lines, 2 * 34 * 34, "{first}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(design.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["cores"][0]["decode_table"]["words"], 2 * 34 * 34);
    assert!(manifest["cores"][4].get("decode_table").is_none());
}

#[test]
fn synth_without_the_tools_says_which_is_missing() {
    let model = golden("ttfs", "model.json");
    let out = Command::new(env!("CARGO_BIN_EXE_spikegate"))
        .args(["synth", model.to_str().unwrap(), "--target", "ulx3s_85f"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("yosys not found on PATH: install it with .ci/install-tools"),
        "{err}"
    );
    // A board too small for the model is refused before any tool runs.
    let big = golden("large_ttfs", "model.json");
    let out = spikegate(&["synth", big.to_str().unwrap(), "--target", "icebreaker"]);
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("74 block RAMs of 4096 bits"), "{err}");
}
