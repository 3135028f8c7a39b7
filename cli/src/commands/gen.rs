//! `spikegate gen MODEL --out DIR`: generate the accelerator's Verilog.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use spikegate_hdl::plan::DEFAULT_FIFO_DEPTH;
use spikegate_hdl::BuildOptions;
use spikegate_model::load_network;

use spikegate_fpga::targets;
use spikegate_gen::generate::generate;
use spikegate_gen::output::write_folder;

/// Generate synthesizable Verilog-2005 for a model.
///
/// Writes into DIR: spikegate_top.v (the whole accelerator, top module
/// `spikegate_top`, ports in docs/hardware.md), one weight-memory image per
/// layer (<module>_weights.hex, read by $readmemh from the working
/// directory), the board's constraint file with --target, and
/// manifest.json (ports, P and memory sizes per core, the cycle formula).
/// DIR is written completely or not at all; nothing is written when the
/// model cannot be built (unsupported kind, widths beyond the datapath, a
/// memory larger than the target's block RAM).
#[derive(clap::Args)]
pub struct Args {
    /// The model file (JSON, docs/model-format.md).
    pub model: PathBuf,
    /// Output folder: created, or replaced if it is empty or an earlier
    /// spikegate output holding only spikegate's files; anything else is
    /// refused. A symbolic link to a folder is written through.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Processing elements per core (1..=64): synapses accumulated per
    /// cycle and neurons swept per cycle.
    #[arg(long, default_value_t = 1)]
    pub pe: usize,
    /// Board: icebreaker (iCE40 UP5K), ulx3s_85f (ECP5 85F), arty_a7_35t
    /// (Artix-7 35T). Adds its constraint file and checks the memories fit.
    #[arg(long)]
    pub target: Option<String>,
    /// Bring every hidden layer's spike stream out as tap ports.
    #[arg(long)]
    pub taps: bool,
    /// Depth of the AER FIFO in front of each core (power of two, 2..=256).
    #[arg(long, default_value_t = DEFAULT_FIFO_DEPTH)]
    pub fifo_depth: usize,
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    let network = load_network(&args.model)?;
    let target = args
        .target
        .as_deref()
        .map(targets::find)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let options = BuildOptions {
        pe: args.pe,
        taps: args.taps,
        fifo_depth: args.fifo_depth,
    };
    let output = generate(&network, options, target).map_err(|e| {
        super::with_pe_flag(e).context(format!(
            "{}: cannot generate hardware",
            args.model.display()
        ))
    })?;
    write_folder(&args.out, &output.files)?;
    let plan = &output.plan;
    println!(
        "{}: wrote {} files for \"{}\" ({} cores, P = {}{})",
        args.out.display(),
        output.files.len(),
        // Names are the user's: no control character reaches the terminal.
        plan.name.escape_debug(),
        plan.cores.len(),
        args.pe,
        target
            .map(|t| format!(", target {}", t.name))
            .unwrap_or_default()
    );
    for core in &plan.cores {
        let table = spikegate_hdl::walk::table_shape(core)
            .map(|(words, bits)| format!(", decode table {} bits", words * bits))
            .unwrap_or_default();
        let connect = match &core.conv {
            Some(conv) => format!(
                "conv {}x{} to {} channels, ",
                conv.kernel[0], conv.kernel[1], conv.out_channels
            ),
            None => String::new(),
        };
        println!(
            "  layer {} ({}): {connect}{} neurons, {} lanes, {} chunks, weights {} bits, state {} \
             bits{table}",
            core.index,
            core.name.escape_debug(),
            core.neurons,
            core.lanes,
            core.chunks,
            core.weight_memory_bits(),
            core.state_memory_bits()
        );
    }
    if let Some(target) = target {
        for line in spikegate_fpga::fit::layout_report(plan, target) {
            println!("  {}", line.escape_debug());
        }
    }
    Ok(ExitCode::SUCCESS)
}
