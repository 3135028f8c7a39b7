//! The FPGA flow behind `spikegate synth`: the generated accelerator and
//! its board wrapper through yosys, then nextpnr (iCE40, ECP5) for a placed
//! and routed design with its Fmax, or yosys's `synth_xilinx` estimate for
//! Xilinx parts, which have no open place-and-route here.

pub mod report;

use anyhow::{bail, Context, Result};
use spikegate_hdl::verilog::VERILOG_FILE;
use spikegate_hdl::HardwarePlan;

use crate::board::BOARD_TOP;
use crate::targets::{Family, Target};
use crate::tools::{run_logged, which, ToolDir};
use report::{nextpnr_figures, yosys_counts, SynthReport};

/// The files the synthesis flow adds to the generated ones in its folder
/// (logs, yosys's statistics and netlist, nextpnr's report and placed and
/// routed output, the bitstream): a folder generated for a board may hold
/// them and still be spikegate's own (`spikegate_gen::output`).
pub const PRODUCTS: &[&str] = &[
    "yosys.log",
    "stat.txt",
    "board.json",
    "nextpnr.log",
    "report.json",
    "board.asc",
    "board.config",
    "icepack.log",
    "board.bin",
];

/// How the report's note on the iCE40 bitstream begins.
pub const BITSTREAM_NOTE: &str = "bitstream: board.bin";

/// The program that runs nextpnr for `family`: the native build when it is
/// on PATH, else YoWASP's (PyPI) build.
fn nextpnr_program(family: Family) -> Result<String> {
    let native = format!("nextpnr-{}", family.yosys_name());
    for program in [native.clone(), format!("yowasp-{native}")] {
        if which(&program) {
            return Ok(program);
        }
    }
    bail!(
        "{native} not found (neither `{native}` nor `yowasp-{native}` is on PATH): \
         install it with .ci/install-tools"
    )
}

/// [`run_logged`], telling the user on stderr what runs and how long it
/// took (synthesis takes minutes).
fn announced(work: ToolDir, program: &str, args: &[&str], log: &str) -> Result<()> {
    eprintln!("  running {program} ...");
    let took = run_logged(work, program, args, log)?;
    eprintln!("  {program} took {:.1} s", took.as_secs_f64());
    Ok(())
}

/// Synthesises (and on Lattice parts places and routes) the design of
/// `plan`, whose files (as `spikegate gen` writes them, generated for
/// `target`) are in the folder `work`. `cycles` is the cycle formula's
/// count a sample, if known; the latency is it over Fmax.
pub fn synthesize(
    plan: &HardwarePlan,
    target: &Target,
    work: ToolDir,
    cycles: Option<f64>,
) -> Result<SynthReport> {
    if !which("yosys") {
        bail!("yosys not found on PATH: install it with .ci/install-tools");
    }
    let nextpnr = if target.nextpnr_device.is_empty() {
        None
    } else {
        Some(nextpnr_program(target.family)?)
    };
    let mut report = run_yosys(plan, target, work, cycles)?;
    let Some(nextpnr) = nextpnr else {
        report.flow = format!("yosys synth_{} estimate", target.family.yosys_name());
        report.notes.push(format!(
            "no open place-and-route for {} here: the counts are yosys's synthesis \
             estimate before packing, and there is no Fmax or latency (use Vivado \
             with constraints/{} for those)",
            target.part, target.constraint_file
        ));
        return Ok(report);
    };
    place_and_route(plan, target, work, &nextpnr, &mut report)?;
    Ok(report)
}

/// Synthesises the board top with yosys and reports its counts (before
/// place and route).
fn run_yosys(
    plan: &HardwarePlan,
    target: &Target,
    work: ToolDir,
    cycles: Option<f64>,
) -> Result<SynthReport> {
    let family = target.family;
    // `-abc9`: yosys's timing-driven mapping. On this design it gives
    // 1.75x the Fmax on ECP5 (61.6 against 35.2 MHz for golden/ttfs at
    // P = 2) and 1.3x on iCE40, with fewer cells.
    let synth = match family {
        // Not `-abc9` on Xilinx: yosys 0.23's abc9_ops aborts
        // (`vector::_M_range_check`) on designs as small as digits_ttfs.
        Family::Xilinx => format!("synth_xilinx -family xc7 -top {BOARD_TOP}"),
        _ => format!(
            "synth_{} -abc9 -top {BOARD_TOP} -json board.json",
            family.yosys_name()
        ),
    };
    let script = format!(
        "read_verilog {VERILOG_FILE} {}; {synth}; tee -q -o stat.txt stat",
        crate::board::BOARD_FILE
    );
    announced(work, "yosys", &["-q", "-p", &script], "yosys.log")?;
    let stat =
        std::fs::read_to_string(work.path.join("stat.txt")).context("yosys wrote no stat")?;
    let (luts, flip_flops, yosys_rams, yosys_dsps) = yosys_counts(&stat, family);
    Ok(SynthReport {
        target: target.name,
        part: target.part,
        model: plan.name.clone(),
        pe: plan.options.pe,
        flow: String::new(),
        logic_cells: luts,
        logic_cells_available: target.luts as u64,
        luts,
        flip_flops,
        block_rams: yosys_rams,
        block_rams_available: target.block_rams as u64,
        dsps: yosys_dsps,
        fmax_mhz: None,
        board_clock_mhz: f64::from(target.clock_hz) / 1e6,
        cycles_per_sample: cycles,
        latency_us: None,
        notes: Vec::new(),
    })
}

/// nextpnr's arguments for `target` (device, constraints, outputs).
fn nextpnr_args(target: &Target) -> Vec<&'static str> {
    let constraint_flag = match target.family {
        Family::Ice40 => "--pcf",
        _ => "--lpf",
    };
    let mut args: Vec<&str> = target.nextpnr_device.to_vec();
    args.extend([
        constraint_flag,
        target.constraint_file,
        "--json",
        "board.json",
        "--report",
        "report.json",
        "--timing-allow-fail",
        "--seed",
        "1",
    ]);
    match target.family {
        Family::Ice40 => args.extend(["--asc", "board.asc"]),
        _ => args.extend(["--textcfg", "board.config"]),
    }
    args
}

/// Places and routes the synthesised design with `nextpnr` (and packs the
/// iCE40 bitstream when icestorm is installed), filling in `report`'s
/// placed figures, Fmax and latency.
fn place_and_route(
    plan: &HardwarePlan,
    target: &Target,
    work: ToolDir,
    nextpnr: &str,
    report: &mut SynthReport,
) -> Result<()> {
    if let Err(e) = announced(work, nextpnr, &nextpnr_args(target), "nextpnr.log") {
        return Err(explain_overfull(plan, target, work).unwrap_or(e));
    }
    let json = std::fs::read_to_string(work.path.join("report.json"))
        .context("nextpnr wrote no report")?;
    // The iCE40 bitstream, ready for iceprog, when icestorm is installed.
    let bitstream = target.family == Family::Ice40 && which("icepack");
    if bitstream {
        announced(work, "icepack", &["board.asc", "board.bin"], "icepack.log")?;
    }
    let (logic, available, rams, dsps, fmax) = nextpnr_figures(&json, target)?;
    report.flow = format!(
        "yosys synth_{} -abc9 + {nextpnr} (placed and routed)",
        target.family.yosys_name()
    );
    report.logic_cells = logic;
    report.logic_cells_available = available;
    report.block_rams = rams;
    report.dsps = dsps;
    report.fmax_mhz = Some(fmax);
    report.latency_us = report.cycles_per_sample.map(|c| c / fmax);
    if bitstream {
        report.notes.push(format!(
            "{BITSTREAM_NOTE} (program with `iceprog board.bin`)"
        ));
    }
    Ok(())
}

/// When nextpnr failed because the design needs more cells of some kind
/// than the part has, that in words; `None` when it failed otherwise.
fn explain_overfull(plan: &HardwarePlan, target: &Target, work: ToolDir) -> Option<anyhow::Error> {
    let log = std::fs::read_to_string(work.path.join("nextpnr.log")).unwrap_or_default();
    let over = report::overfull(&log);
    if over.is_empty() {
        return None;
    }
    let needs: Vec<String> = over
        .iter()
        .map(|(cell, used, available)| {
            format!(
                "{used} {cell} where the part has {available} ({:.0}%)",
                100.0 * *used as f64 / *available as f64
            )
        })
        .collect();
    Some(anyhow::anyhow!(
        "the design does not fit {} ({}): it needs {}. Use fewer processing elements \
         (P = {} now), narrower widths, or a bigger part",
        target.name,
        target.part,
        needs.join(", "),
        plan.options.pe
    ))
}
