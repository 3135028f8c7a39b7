//! `spikegate plot` and the raster `spikegate cosim` writes on a mismatch,
//! run as a user runs them: every kind writes the file --out names and
//! says so, a hardware run that differs from the reference exits 1 with
//! the differences marked, and bad input is an error naming the file.
//!
//! The hardware runs need Verilator: they skip with a loud message when it
//! is missing, and fail in CI (CI=true).

mod common;

use std::path::{Path, PathBuf};

use common::{gen_into, golden, root, s, spikegate, stderr, stdout, verilator_present};

/// The colour of a mismatch's cross (and only of it).
const MISMATCH_COLOUR: &str = "#D62728";

fn scratch(name: &str) -> PathBuf {
    common::scratch("plot-cli", name)
}

/// `spikegate plot KIND INPUTS... --out OUT`, which must succeed.
fn plot(kind: &str, inputs: &[PathBuf], out: &Path) -> std::process::Output {
    let mut args = vec!["plot", kind];
    args.extend(inputs.iter().map(|p| s(p)));
    args.extend(["--out", s(out)]);
    let run = spikegate(&args);
    assert!(run.status.success(), "{kind}: {}", stderr(&run));
    run
}

/// An SVG file's text, after checking that it is one.
fn svg(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        text.contains("<svg") && text.trim_end().ends_with("</svg>"),
        "{}: not an SVG",
        path.display()
    );
    text
}

/// Asserts that `path` starts with the PNG signature.
fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
}

/// golden/if_subtract's design generated into `dir`, with every weight
/// image replaced by that of the same model with all weights zero: the
/// hardware then fires nothing where the reference fires twice.
fn corrupted_design(dir: &Path) -> PathBuf {
    let model = golden("if_subtract", "model.json");
    let design = dir.join("design");
    let out = gen_into(&model, &design, &[]);
    assert!(out.status.success(), "{}", stderr(&out));

    let mut zero: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&model).unwrap()).unwrap();
    zero["layers"][0]["weights"] = serde_json::json!([[0, 0], [0, 0]]);
    let zero_model = dir.join("zero.json");
    std::fs::write(&zero_model, zero.to_string()).unwrap();
    let zero_design = dir.join("zero");
    let out = gen_into(&zero_model, &zero_design, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut images = 0;
    for entry in std::fs::read_dir(&zero_design).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "hex") {
            let name = path.file_name().unwrap();
            let before = std::fs::read(design.join(name)).unwrap();
            let after = std::fs::read(&path).unwrap();
            images += usize::from(before != after);
            std::fs::write(design.join(name), after).unwrap();
        }
    }
    assert!(images > 0, "a weight image changed");
    design
}

/// `spikegate cosim` of golden/if_subtract on Verilator, with `extra`.
fn cosim_if_subtract(extra: &[&str]) -> std::process::Output {
    let (model, input) = (
        golden("if_subtract", "model.json"),
        golden("if_subtract", "input.json"),
    );
    let mut args = vec![
        "cosim",
        s(&model),
        "--input",
        s(&input),
        "--backend",
        "verilator",
    ];
    args.extend_from_slice(extra);
    spikegate(&args)
}

#[test]
fn cosim_writes_the_first_mismatching_samples_raster_beside_its_waveform() {
    if !verilator_present("cosim raster") {
        return;
    }
    let dir = scratch("cosim");
    let design = corrupted_design(&dir);
    let vcd = dir.join("wave.vcd");
    let out = cosim_if_subtract(&[
        "--design",
        s(&design),
        "--allow-edited-design",
        "--vcd",
        s(&vcd),
    ]);
    let printed = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{printed}{}", stderr(&out));
    assert!(vcd.exists(), "the waveform is written");
    let raster = dir.join("wave.svg");
    assert!(
        printed.contains(&format!(
            "raster of sample 0 written to {}",
            raster.display()
        )),
        "{printed}"
    );
    let picture = svg(&raster);
    assert!(picture.contains(MISMATCH_COLOUR), "the mismatch is marked");
    // The reference's two spikes of neuron 0, at steps 1 and 2, are the
    // places the silent hardware differs.
    for place in [
        "step 1, neuron 0",
        "step 2, neuron 0",
        "mismatch (2 places)",
    ] {
        assert!(picture.contains(place), "{place} in the raster");
    }
}

#[test]
fn cosim_writes_no_raster_when_the_hardware_matches() {
    if !verilator_present("cosim raster on a match") {
        return;
    }
    let dir = scratch("cosim-match");
    let vcd = dir.join("wave.vcd");
    let out = cosim_if_subtract(&["--vcd", s(&vcd)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(vcd.exists());
    assert!(!dir.join("wave.svg").exists(), "no mismatch, no raster");
    assert!(!stdout(&out).contains("raster"), "{}", stdout(&out));
}

#[test]
fn plot_raster_of_the_hardware_exits_1_on_a_mismatch_and_0_on_a_match() {
    if !verilator_present("plot raster") {
        return;
    }
    let dir = scratch("raster");
    let model = golden("if_subtract", "model.json");
    let input = golden("if_subtract", "input.json");
    let design = corrupted_design(&dir);
    let bad = dir.join("bad.png");
    let raster = |extra: &[&str]| {
        let mut args = vec!["plot", "raster", s(&model), "--input", s(&input)];
        args.extend_from_slice(extra);
        spikegate(&args)
    };
    let out = raster(&[
        "--design",
        s(&design),
        "--allow-edited-design",
        "--out",
        s(&bad),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("MISMATCH at 2 places"),
        "{}",
        stdout(&out)
    );
    assert_png(&bad);

    let good = dir.join("good.svg");
    let out = raster(&["--backend", "verilator", "--out", s(&good)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("the hardware fired every spike the reference did"),
        "{}",
        stdout(&out)
    );
    let picture = svg(&good);
    assert!(picture.contains("no mismatch") && !picture.contains(MISMATCH_COLOUR));
}

#[test]
fn every_kind_writes_its_picture_and_says_so() {
    let dir = scratch("kinds");
    let lif8 = |f: &str| golden("mnist_lif8", f);
    let runs: [(&str, Vec<PathBuf>, &str); 4] = [
        (
            "activity",
            vec![lif8("model.json"), "--input".into(), lif8("input.json")],
            "activity.svg",
        ),
        (
            "design-space",
            vec![root().join("tests/fixtures/plot/design_space.md")],
            "design.png",
        ),
        (
            "import-report",
            vec![lif8("import_report.json")],
            "import.svg",
        ),
        (
            "ssr",
            vec![golden("mnist_ttfs_ssr", "ssr_784-400-10.json")],
            "ssr.png",
        ),
    ];
    for (kind, inputs, file) in runs {
        let out_path = dir.join(file);
        let out = plot(kind, &inputs, &out_path);
        assert_eq!(
            stdout(&out).trim(),
            format!("wrote {}", out_path.display()),
            "{kind}"
        );
        if file.ends_with(".png") {
            assert_png(&out_path);
        } else {
            svg(&out_path);
        }
    }
    let reference = dir.join("reference.svg");
    let out = spikegate(&[
        "plot",
        "raster",
        s(&lif8("model.json")),
        "--input",
        s(&lif8("input.json")),
        "--sample",
        "3",
        "--out",
        s(&reference),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("(the reference alone)"));
    assert!(svg(&reference).contains("mnist_lif8, sample 3"));
}

#[test]
fn bad_input_is_an_error_naming_the_file() {
    let dir = scratch("bad");
    let ssr = dir.join("ssr.json");
    std::fs::write(&ssr, r#"{"format": "spikegate-ssr/1", "network": "n"}"#).unwrap();
    let (model, input) = (
        golden("if_subtract", "model.json"),
        golden("if_subtract", "input.json"),
    );
    let report = golden("mnist_lif8", "import_report.json");
    let pdf = dir.join("picture.pdf");
    let cases: [(Vec<&str>, String); 4] = [
        (
            vec!["ssr", s(&ssr), "--out", "never.svg"],
            format!("{}: ", ssr.display()),
        ),
        (
            vec![
                "design-space",
                "/nonexistent/table.md",
                "--out",
                "never.svg",
            ],
            "/nonexistent/table.md: cannot read".into(),
        ),
        (
            vec![
                "raster",
                s(&model),
                "--input",
                s(&input),
                "--sample",
                "99",
                "--out",
                "never.svg",
            ],
            "--sample 99: ".into(),
        ),
        (
            vec!["import-report", s(&report), "--out", s(&pdf)],
            "picture.pdf: the extension chooses the format".into(),
        ),
    ];
    for (args, wanted) in cases {
        let mut all = vec!["plot"];
        all.extend(args.iter().copied());
        let out = spikegate(&all);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stdout(&out));
        assert!(stderr(&out).contains(&wanted), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
    assert!(
        !Path::new("never.svg").exists(),
        "nothing written on an error"
    );
    assert!(!pdf.exists());
}

#[test]
fn the_pictures_in_the_docs_are_what_their_commands_draw() {
    // docs/plots.md shows each picture under the command that made it;
    // those without a hardware run are redrawn here byte for byte.
    let dir = scratch("docs");
    let lif8 = |f: &str| golden("mnist_lif8", f);
    let ssr = |f: &str| golden("mnist_ttfs_ssr", f);
    let img = |f: &str| root().join("docs/img").join(f);
    let runs: [(&str, Vec<PathBuf>, &str); 4] = [
        (
            "activity",
            vec![lif8("model.json"), "--input".into(), lif8("input.json")],
            "activity_mnist_lif8.svg",
        ),
        (
            "design-space",
            vec![img("design_space.md")],
            "design_space.svg",
        ),
        (
            "import-report",
            vec![lif8("import_report.json")],
            "import_mnist_lif8.svg",
        ),
        (
            "ssr",
            vec![ssr("ssr_784-400-10.json"), ssr("ssr_784-128-512-10.json")],
            "ssr.svg",
        ),
    ];
    for (kind, inputs, file) in runs {
        let drawn = dir.join(file);
        plot(kind, &inputs, &drawn);
        assert!(
            std::fs::read(&drawn).unwrap() == std::fs::read(img(file)).unwrap(),
            "docs/img/{file} is not what `spikegate plot {kind}` draws now: rerun the command in docs/plots.md"
        );
    }
}
