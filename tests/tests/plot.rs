//! spikegate-plot's pictures drawn from real runs and files: every one is
//! a well-formed SVG (its series, labels and layer names present as text)
//! or a PNG of the stated size, the same input gives the same bytes, a
//! raster marks mismatches exactly where the hardware differs, and bad
//! input files are errors that name the file and field.

use std::path::{Path, PathBuf};

use spikegate_model::Spike;
use spikegate_plot::activity::Activity;
use spikegate_plot::import_report::ImportAgreement;
use spikegate_plot::raster::Raster;
use spikegate_plot::read;
use spikegate_plot::ssr::{SsrCurve, SsrSeries};
use spikegate_plot::PlotError;
use spikegate_sim::Reference;
use spikegate_tests::{load_golden, workspace_root};

/// The colour of a mismatch's cross (and only of it).
const MISMATCH_COLOUR: &str = "#D62728";

/// A fresh scratch folder for test `name`.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spikegate-plot-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fixture(name: &str) -> PathBuf {
    workspace_root().join("tests/fixtures/plot").join(name)
}

/// Checks that `svg` is well-formed XML (every tag closed in order, no
/// stray `<` or `&`) with an `<svg>` root; returns the text of every
/// `<text>` element, entities decoded.
fn svg_texts(svg: &str) -> Vec<String> {
    let mut open: Vec<&str> = Vec::new();
    let mut texts = Vec::new();
    let mut rest = svg.trim_start();
    if let Some(decl) = rest.strip_prefix("<?xml") {
        rest = &decl[decl.find("?>").expect("the declaration ends") + 2..];
    }
    let mut roots = 0;
    while !rest.is_empty() {
        let lt = rest.find('<').unwrap_or(rest.len());
        let text = &rest[..lt];
        check_text(text);
        if open.last() == Some(&"text") {
            texts.push(decode(text.trim()));
        }
        rest = &rest[lt..];
        if rest.is_empty() {
            break;
        }
        let gt = rest.find('>').expect("every tag ends");
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                open.pop(),
                Some(name.trim()),
                "closing tag `{name}` in order"
            );
            continue;
        }
        let name = tag.split_whitespace().next().expect("a tag has a name");
        if open.is_empty() {
            roots += 1;
            assert_eq!(name, "svg", "the root element is <svg>");
        }
        if !tag.ends_with('/') {
            open.push(name);
        }
    }
    assert!(open.is_empty(), "unclosed elements {open:?}");
    assert_eq!(roots, 1, "one root element");
    texts
}

/// Text outside tags holds no `<`, and every `&` starts an entity.
fn check_text(text: &str) {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&entity),
            "a bad entity `{entity}`"
        );
    }
}

fn decode(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Reads the SVG at `path`, checks it and returns its texts.
fn read_svg(path: &Path) -> (String, Vec<String>) {
    let svg = std::fs::read_to_string(path).unwrap();
    let texts = svg_texts(&svg);
    (svg, texts)
}

/// Asserts that some text of `texts` contains each of `wanted`.
fn assert_texts(texts: &[String], wanted: &[&str]) {
    for w in wanted {
        assert!(
            texts.iter().any(|t| t.contains(w)),
            "no text with `{w}` in {texts:?}"
        );
    }
}

/// The width and height a PNG file's IHDR chunk states (after checking
/// the signature).
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "IHDR first");
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

/// The raster of golden case `case`'s sample 0 with the reference run, and
/// `hardware` (from the reference's layers) drawn over it.
fn raster(case: &str, hardware: impl FnOnce(&mut Vec<Vec<Spike>>)) -> Raster {
    let golden = load_golden(case);
    let input = &golden.samples()[0];
    let run = Reference::new(&golden.network).run(input).unwrap();
    let mut hw = run.layers.clone();
    hardware(&mut hw);
    Raster::of_sample(&golden.network, 0, input, Some(&hw), &run.layers, |_| true)
}

#[test]
fn a_raster_of_the_hardware_equal_to_the_reference_marks_nothing() {
    let dir = scratch("raster-equal");
    let r = raster("mnist_lif8", |_| {});
    assert!(r.disagreements().is_empty());
    let path = dir.join("r.svg");
    r.draw(&path).unwrap();
    let (svg, texts) = read_svg(&path);
    assert_texts(
        &texts,
        &[
            "mnist_lif8, sample 0",
            "input (784 neurons)",
            "lif1 (128 neurons)",
        ],
    );
    assert_texts(
        &texts,
        &[
            "lif2 (10 neurons): hardware 25 spikes, reference 25",
            "no mismatch",
        ],
    );
    assert!(!svg.contains(MISMATCH_COLOUR), "no mismatch is marked");
    r.draw(&dir.join("r.png")).unwrap();
    assert_eq!(png_size(&dir.join("r.png")).0, 960);
}

#[test]
fn a_raster_marks_every_place_the_hardware_differs() {
    let dir = scratch("raster-mismatch");
    // The hardware loses the first spike of the output layer and fires
    // one more in the hidden layer, at a place the reference leaves empty.
    let r = raster("mnist_lif8", |hw| {
        let lost = hw[1].remove(0);
        assert_eq!((lost.step, lost.neuron), (0, 6), "lif2's first spike");
        hw[0].push(Spike::new(24, 0));
    });
    let places: Vec<(usize, u32, u32)> = r
        .disagreements()
        .iter()
        .map(|d| (d.panel, d.spike.step, d.spike.neuron))
        .collect();
    assert_eq!(places, vec![(1, 24, 0), (2, 0, 6)]);
    let path = dir.join("r.svg");
    r.draw(&path).unwrap();
    let (svg, texts) = read_svg(&path);
    assert_texts(
        &texts,
        &[
            "mismatch (2 places)",
            "step 24, neuron 0",
            "step 0, neuron 6",
        ],
    );
    assert_texts(
        &texts,
        &["lif2 (10 neurons): hardware 24 spikes, reference 25; 1 mismatch"],
    );
    assert!(svg.contains(MISMATCH_COLOUR));
}

#[test]
fn a_raster_of_the_reference_alone_has_no_hardware() {
    let dir = scratch("raster-reference");
    let golden = load_golden("lif_shift");
    let input = &golden.samples()[0];
    let run = Reference::new(&golden.network).run(input).unwrap();
    let r = Raster::of_sample(&golden.network, 0, input, None, &run.layers, |_| true);
    let path = dir.join("r.svg");
    r.draw(&path).unwrap();
    let (svg, texts) = read_svg(&path);
    assert_texts(
        &texts,
        &[
            "input (1 neuron): 3 spikes",
            "layer0 (3 neurons): reference 1 spikes",
        ],
    );
    assert!(!texts
        .iter()
        .any(|t| t.contains("hardware") || t.contains("mismatch")));
    assert!(!svg.contains(MISMATCH_COLOUR));
}

#[test]
fn the_same_raster_gives_the_same_bytes() {
    let dir = scratch("raster-twice");
    let r = raster("lif_shift", |hw| hw[0].clear());
    r.draw(&dir.join("a.svg")).unwrap();
    r.draw(&dir.join("b.svg")).unwrap();
    let a = std::fs::read(dir.join("a.svg")).unwrap();
    assert_eq!(a, std::fs::read(dir.join("b.svg")).unwrap());
}

#[test]
fn activity_of_a_reference_run_has_a_line_per_layer() {
    let dir = scratch("activity");
    let golden = load_golden("mnist_lif8");
    let net = golden.network.network();
    let names = vec!["input".into(), "lif1".into(), "lif2".into()];
    let mut activity = Activity::new("mnist_lif8".into(), net.time_steps, names);
    let mut reference = Reference::new(&golden.network);
    for sample in golden.samples() {
        let run = reference.run(&sample).unwrap();
        activity.add(&[&sample, &run.layers[0], &run.layers[1]]);
    }
    assert_eq!(activity.samples(), golden.samples().len());
    let means = activity.means();
    let total: f64 = means[2].iter().sum();
    let expected: usize = golden
        .expected
        .samples
        .iter()
        .map(|s| s.layers[1].events.len())
        .sum();
    assert!((total - expected as f64 / activity.samples() as f64).abs() < 1e-9);
    activity.draw(&dir.join("a.svg")).unwrap();
    let (_, texts) = read_svg(&dir.join("a.svg"));
    assert_texts(&texts, &["input", "lif1", "lif2", "step", "(20 samples)"]);
    activity.draw(&dir.join("a.png")).unwrap();
    assert_eq!(png_size(&dir.join("a.png")), (900, 520));
}

#[test]
fn the_design_space_has_a_series_per_network_and_p_labels() {
    let dir = scratch("design-space");
    let ds = read::design_space(&fixture("design_space.md")).unwrap();
    assert_eq!(ds.points.len(), 16);
    assert_eq!(ds.networks().len(), 4);
    ds.draw(&dir.join("d.svg")).unwrap();
    let (_, texts) = read_svg(&dir.join("d.svg"));
    assert_texts(
        &texts,
        &[
            "64-32-10 ttfs",
            "784-128-10 lif (Spiker+ shape)",
            "784-400-10 ttfs",
        ],
    );
    assert_texts(
        &texts,
        &["P=1", "P=16", "published", "ulx3s_85f", "logic cells"],
    );
    ds.draw(&dir.join("d.png")).unwrap();
    assert_eq!(png_size(&dir.join("d.png")), (900, 600));
}

#[test]
fn the_import_report_shows_each_layers_agreement() {
    let dir = scratch("import");
    let report = workspace_root().join("golden/mnist_lif8/import_report.json");
    let agreement = ImportAgreement::read(&report).unwrap();
    assert_eq!(agreement.layers.len(), 2);
    agreement.draw(&dir.join("i.svg")).unwrap();
    let (_, texts) = read_svg(&dir.join("i.svg"));
    assert_texts(
        &texts,
        &[
            "lif1", "lif2", "classes", "99.89%", "100.0%", "float", "integer",
        ],
    );
    agreement.draw(&dir.join("i.png")).unwrap();
    assert_eq!(png_size(&dir.join("i.png")), (1000, 520));
}

#[test]
fn the_ssr_curve_labels_every_strength() {
    let dir = scratch("ssr");
    let series =
        SsrSeries::read(&workspace_root().join("golden/mnist_ttfs_ssr/ssr_784-400-10.json"))
            .unwrap();
    let curve = SsrCurve {
        title: "SSR".into(),
        series: vec![series],
    };
    curve.draw(&dir.join("s.svg")).unwrap();
    let (_, texts) = read_svg(&dir.join("s.svg"));
    assert_texts(
        &texts,
        &[
            "784-400-10 ttfs, MNIST, P = 16",
            "s=0, 95.9%",
            "s=0.3, 95.9%",
        ],
    );
    assert_texts(
        &texts,
        &[
            "s=3, 93.2%",
            "lane operations",
            "latency (us)",
            "hidden spikes",
        ],
    );
    curve.draw(&dir.join("s.png")).unwrap();
    assert_eq!(png_size(&dir.join("s.png")), (1100, 520));
}

/// The error reading `text` as an SSR file.
fn ssr_error(dir: &Path, text: &str) -> String {
    let path = dir.join("bad.json");
    std::fs::write(&path, text).unwrap();
    let e = SsrSeries::read(&path).unwrap_err();
    assert!(matches!(e, PlotError::Input { .. }), "{e:?}");
    let message = e.to_string();
    assert!(
        message.starts_with(&format!("{}: ", path.display())),
        "{message}"
    );
    message
}

#[test]
fn bad_input_files_are_errors_naming_the_file_and_field() {
    let dir = scratch("errors");
    let good =
        std::fs::read_to_string(workspace_root().join("golden/mnist_ttfs_ssr/ssr_784-400-10.json"))
            .unwrap();
    let negative = good.replacen("\"lane_ops\": 61125.14", "\"lane_ops\": -1", 1);
    assert!(
        ssr_error(&dir, &negative).contains("points[1].lane_ops: -1 is not a finite value >= 0")
    );
    let missing = good.replacen("\"cycles\": 4838.219,", "", 1);
    let e = ssr_error(&dir, &missing);
    assert!(
        e.contains("points[2]") && e.contains("missing field `cycles`"),
        "{e}"
    );
    let other = good.replace("spikegate-ssr/1", "spikegate-ssr/9");
    assert!(ssr_error(&dir, &other).contains("format: is `spikegate-ssr/9`, not `spikegate-ssr/1`"));

    let report =
        std::fs::read_to_string(workspace_root().join("golden/mnist_lif8/import_report.json"))
            .unwrap()
            .replacen("\"bits_equal\": 0.9998", "\"bits_equal\": 1.5", 1);
    let path = dir.join("report.json");
    std::fs::write(&path, report).unwrap();
    let e = ImportAgreement::read(&path).unwrap_err().to_string();
    assert!(
        e.contains("report.json: layers[1].spikes.bits_equal: 1.5 is not a fraction"),
        "{e}"
    );

    let e = read::design_space(&dir.join("missing.md"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.md: cannot read"), "{e}");
}

#[test]
fn the_output_extension_chooses_the_format() {
    let dir = scratch("format");
    let r = raster("lif_shift", |_| {});
    let e = r.draw(&dir.join("r.pdf")).unwrap_err().to_string();
    assert!(e.contains("r.pdf: the extension chooses the format"), "{e}");
    r.draw(&dir.join("R.SVG")).unwrap();
    read_svg(&dir.join("R.SVG"));
}
