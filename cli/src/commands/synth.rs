//! `spikegate synth MODEL --target BOARD`: how big and how fast the
//! accelerator is on a real part.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use spikegate_hdl::cycles::mean_lower_bound;
use spikegate_hdl::{BuildOptions, HardwarePlan};
use spikegate_model::{load_network, load_spikes, ValidNetwork};

use spikegate_fpga::synth::{synthesize, BITSTREAM_NOTE};
use spikegate_fpga::targets;
use spikegate_gen::generate::generate;
use spikegate_gen::workdir::WorkDir;

/// Synthesise the accelerator for a board and report its size and speed.
///
/// Generates the design with its board wrapper (as `spikegate gen --target`
/// does; the block-RAM fit is checked first), runs yosys, and on iCE40 and
/// ECP5 places and routes it with nextpnr (nextpnr-ice40, and nextpnr-ecp5
/// or YoWASP's build of it). Prints logic cells, LUTs, flip-flops, block
/// RAMs, DSPs, the Fmax nextpnr measured, and the latency a sample: the
/// cycle formula's count (docs/hardware.md) on the input samples, over
/// Fmax. For Xilinx boards no open place-and-route exists here: the report
/// is yosys's synth_xilinx estimate, without Fmax, and says so.
#[derive(clap::Args)]
pub struct Args {
    /// The model file (JSON, docs/model-format.md).
    pub model: PathBuf,
    /// Board: icebreaker (iCE40 UP5K), ulx3s_85f (ECP5 85F), arty_a7_35t
    /// (Artix-7 35T; synthesis estimate only).
    #[arg(long)]
    pub target: String,
    /// Processing elements per core (1..=64).
    #[arg(long, default_value_t = 1)]
    pub pe: usize,
    /// Input spikes (spikegate-spikes/1) whose samples give the cycles a
    /// sample; default: input.json beside the model, if there is one.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Keep the design, the netlist, logs, nextpnr's report and the placed
    /// and routed output (iCE40 .asc and, with icestorm, the bitstream
    /// board.bin; ECP5 .config) in this folder (as `gen --out` writes it:
    /// an existing folder is replaced only if it is empty or an earlier
    /// spikegate output). Without it the run works in a temporary folder
    /// that is removed.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The cycle formula's count a sample, averaged over `input`'s samples, as
/// the reference model's spikes give it.
pub fn formula_cycles(network: &ValidNetwork, plan: &HardwarePlan, input: &Path) -> Result<f64> {
    let spikes = load_spikes(input, network)?;
    Ok(mean_lower_bound(network, plan, &spikes.event_lists())?)
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    let network = load_network(&args.model)?;
    let target = targets::find(&args.target).map_err(anyhow::Error::msg)?;
    let options = BuildOptions {
        pe: args.pe,
        ..BuildOptions::default()
    };
    let output = generate(&network, options, Some(target)).map_err(|e| {
        super::with_pe_flag(e).context(format!(
            "{}: cannot generate hardware",
            args.model.display()
        ))
    })?;
    let beside = args.model.with_file_name("input.json");
    let input = match &args.input {
        Some(p) => Some(p.clone()),
        None if beside.is_file() => Some(beside),
        None => None,
    };
    let cycles = input
        .as_deref()
        .map(|i| formula_cycles(&network, &output.plan, i))
        .transpose()
        .with_context(|| format!("{}: cannot count cycles", args.model.display()))?;
    eprintln!(
        "synthesising \"{}\" for {} ({}), P = {}",
        output.plan.name.escape_debug(),
        target.name,
        target.part,
        args.pe
    );
    let work = WorkDir::new(args.out.as_deref(), target.name, &output.files)?;
    let mut report = synthesize(&output.plan, target, work.tools(), cycles)?;
    if !work.kept() {
        // The temporary folder goes when `work` does: say so rather than
        // name a bitstream that will not be there.
        for note in &mut report.notes {
            if note.starts_with(BITSTREAM_NOTE) {
                *note = "a bitstream (board.bin) was built in a temporary folder and not \
                         kept: pass --out DIR to keep it"
                    .into();
            }
        }
    }
    if let Some(i) = &input {
        report
            .notes
            .push(format!("cycles counted on the samples of {}", i.display()));
    }
    if args.json {
        println!("{}", spikegate_model::json_text::to_text(&report)?);
    } else {
        print!("{report}");
        if let Some(out) = &args.out {
            println!("  files kept in {}", out.display());
        }
    }
    Ok(if report.fits() {
        ExitCode::SUCCESS
    } else {
        eprintln!("error: the design does not fit {}", target.part);
        ExitCode::FAILURE
    })
}
