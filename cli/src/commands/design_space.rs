//! `spikegate design-space`: cells, block RAMs, Fmax and latency a sample
//! on a board for several networks and P, placed and routed — the table in
//! docs/fpga.md, with Spiker+'s published MNIST figures beside the network
//! of the same shape.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use spikegate_hdl::BuildOptions;
use spikegate_model::{Decay, Decode, Neuron, Reset, Spike, ValidNetwork};
use spikegate_sim::random::{random_input, random_latency_input};
use spikegate_sim::rng::SplitMix64;

use spikegate_fpga::synth::synthesize;
use spikegate_fpga::targets;
use spikegate_gen::generate::generate;
use spikegate_gen::workdir::WorkDir;
use spikegate_hdl::cycles::mean_lower_bound;
use spikegate_sim::random::bench_network_shaped;

/// Spiker+'s MNIST figures (Carpegna et al., 784-128-10 on an Artix-7).
const SPIKER_CELLS: u64 = 7_612;
const SPIKER_BRAM: u64 = 18;
const SPIKER_LATENCY_US: f64 = 780.0;

/// Measure the design space on a board: each network at each P, through
/// yosys and nextpnr.
///
/// Networks (8-bit weights, so that the largest fits the ECP5 85F's block
/// RAM; `spiker6` is `spiker` with 6-bit weights): `small` is a dense 64-32-10 `ttfs` network, `bench` the dense
/// 784-400-10 `ttfs` benchmark network, both with latency-coded input
/// (10% of inputs spike once, T = 32); `spiker` is 784-128-10 `lif` (shift
/// leak, reset by subtraction, spike-count decoding) with rate-coded input
/// like MNIST's (each input spikes with probability 0.13 a step, the mean
/// MNIST pixel intensity, T = 25), the shape Spiker+ reports. Cycles a
/// sample are the cycle formula's on the reference model's spikes for
/// --samples random inputs; latency is that over the measured Fmax.
/// Prints a Markdown table (and writes it with --out). Takes minutes per
/// design.
#[derive(clap::Args)]
pub struct Args {
    /// Board.
    #[arg(long, default_value = "ulx3s_85f")]
    pub target: String,
    /// Networks: small, bench, spiker, spiker6.
    #[arg(long, value_delimiter = ',', default_values_t = ["small".to_string(), "spiker".to_string(), "bench".to_string()])]
    pub networks: Vec<String>,
    /// Processing elements per core.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 2, 4, 8, 16])]
    pub pe: Vec<usize>,
    /// Random input samples for the cycle counts.
    #[arg(long, default_value_t = 8)]
    pub samples: usize,
    /// Write the Markdown table here too.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Keep each design's folder (Verilog, yosys and nextpnr logs, with
    /// nextpnr's critical-path report) under this folder, named
    /// `NETWORK-pP`; without it they are temporary.
    #[arg(long)]
    pub keep: Option<PathBuf>,
}

/// A network of the table and its inputs.
struct Case {
    label: &'static str,
    network: ValidNetwork,
    inputs: Vec<Vec<Spike>>,
}

/// `network` with `bits`-bit weights: every weight and the threshold
/// shifted right by `shift`.
fn narrowed(network: ValidNetwork, shift: u32, bits: u32) -> spikegate_model::Network {
    let mut net = network.into_inner();
    for layer in &mut net.layers {
        layer.widths.weight = bits;
        for w in layer.weights.iter_mut().flatten() {
            *w >>= shift;
        }
        layer.threshold = layer.threshold.map(|t| (t >> shift).max(1));
    }
    net
}

fn case(name: &str, samples: usize) -> Result<Case> {
    let mut rng = SplitMix64::new(0x5eed ^ name.len() as u64);
    let ttfs = |inputs: usize, sizes: &[usize], threshold: i64, label: &str| {
        bench_network_shaped(1, 32, inputs, sizes, threshold, label)
    };
    Ok(match name {
        "small" => {
            let net = narrowed(ttfs(64, &[32, 10], 24_000, "dense-64-32-10-ttfs"), 8, 8);
            Case {
                label: "64-32-10 ttfs",
                network: spikegate_model::validate(net)?,
                inputs: (0..samples)
                    .map(|_| random_latency_input(&mut rng, 64, 32, 0.1))
                    .collect(),
            }
        }
        "bench" => {
            let net = narrowed(
                ttfs(784, &[400, 10], 300_000, "bench-784-400-10-ttfs"),
                8,
                8,
            );
            Case {
                label: "784-400-10 ttfs",
                network: spikegate_model::validate(net)?,
                inputs: (0..samples)
                    .map(|_| random_latency_input(&mut rng, 784, 32, 0.1))
                    .collect(),
            }
        }
        "spiker" | "spiker6" => {
            // Spiker+'s 18 x 36 Kbit hold 6.6 bits a weight: `spiker6`
            // has 6-bit weights (the threshold scaled with them).
            let (shift, bits, threshold) = if name == "spiker" {
                (8, 8, 300)
            } else {
                (10, 6, 75)
            };
            let mut net = narrowed(
                ttfs(784, &[128, 10], 300_000, "spiker-784-128-10-lif"),
                shift,
                bits,
            );
            net.time_steps = 25;
            net.output.decode = Decode::SpikeCount;
            for layer in &mut net.layers {
                layer.neuron = Neuron::Lif {
                    leak: Decay::Shift(4),
                };
                layer.widths.current = None;
                layer.widths.membrane = 16;
                layer.widths.threshold = 16;
                layer.reset = Some(Reset::Subtract);
                layer.threshold = Some(threshold);
            }
            Case {
                label: if bits == 8 {
                    "784-128-10 lif (Spiker+ shape)"
                } else {
                    "784-128-10 lif, 6-bit weights (Spiker+ shape)"
                },
                network: spikegate_model::validate(net)?,
                inputs: (0..samples)
                    .map(|_| random_input(&mut rng, 784, 25, 0.13))
                    .collect(),
            }
        }
        other => anyhow::bail!("unknown network `{other}` (known: small, bench, spiker, spiker6)"),
    })
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    let target = targets::find(&args.target).map_err(anyhow::Error::msg)?;
    let mut table = "| network | P | logic cells | LUTs | FF | block RAM | DSP | Fmax MHz | cycles/sample | latency us |\n\
         |---|---|---|---|---|---|---|---|---|---|\n"
        .to_string();
    println!("{}", table.trim_end());
    let mut flow = None;
    for name in &args.networks {
        let case = case(name, args.samples)?;
        for &pe in &args.pe {
            let options = BuildOptions {
                pe,
                ..BuildOptions::default()
            };
            let row = match generate(&case.network, options, Some(target)) {
                Err(e) => format!(
                    "| {} | {pe} | does not fit: {} |||||||\n",
                    case.label,
                    e.to_string().split(". ").next().unwrap_or_default()
                ),
                Ok(output) => {
                    let cycles = mean_lower_bound(&case.network, &output.plan, &case.inputs)?;
                    let tag = format!("ds-{name}-p{pe}");
                    let kept = args.keep.as_ref().map(|k| k.join(format!("{name}-p{pe}")));
                    let work = WorkDir::new(kept.as_deref(), &tag, &output.files)?;
                    let r = synthesize(&output.plan, target, work.tools(), Some(cycles))?;
                    flow = Some(r.flow.clone());
                    format!(
                        "| {} | {pe} | {} | {} | {} | {} | {} | {} | {:.0} | {} |\n",
                        case.label,
                        r.logic_cells,
                        r.luts,
                        r.flip_flops,
                        r.block_rams,
                        r.dsps,
                        r.fmax_mhz.map_or("n/a".into(), |f| format!("{f:.1}")),
                        cycles,
                        r.latency_us.map_or("n/a".into(), |l| format!("{l:.1}")),
                    )
                }
            };
            print!("{row}");
            table.push_str(&row);
        }
        if name == "spiker" {
            let row = format!(
                "| Spiker+ MNIST 784-128-10 (published, Artix-7) | - | {SPIKER_CELLS} | | | {SPIKER_BRAM} (36 Kbit) | | | | {SPIKER_LATENCY_US} |\n"
            );
            print!("{row}");
            table.push_str(&row);
        }
    }
    let _ = writeln!(
        table,
        "\n{}: {} ({}); cycles from the cycle formula over {} random samples.",
        target.name,
        target.part,
        flow.as_deref().unwrap_or("nothing synthesised"),
        args.samples
    );
    if let Some(out) = &args.out {
        std::fs::write(out, &table)?;
        println!("wrote {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}
