//! The FPGA flow behind `spikegate synth`: the generated accelerator and
//! its board wrapper through yosys, then nextpnr (iCE40, ECP5) for a placed
//! and routed design with its Fmax, or yosys's `synth_xilinx` estimate for
//! Xilinx parts, which have no open place-and-route here.

pub mod report;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::board::BOARD_TOP;
use crate::generate::{Output, VERILOG_FILE};
use crate::output::write_folder;
use crate::targets::{Family, Target};
use report::{nextpnr_figures, yosys_counts, SynthReport};

/// The files the synthesis flow adds to the generated ones in its folder
/// (logs, yosys's statistics and netlist, nextpnr's report and placed and
/// routed output, the bitstream): a folder generated for a board may hold
/// them and still be spikegate's own ([`crate::output`]).
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

/// Whether `program` is on PATH.
pub fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Runs `program` in `work`; its output goes to `log` in it. Fails with
/// the log's tail and a log path that outlives the run when the program
/// fails ([`WorkDir::keep_log`]).
fn run_logged(work: &WorkDir, program: &str, args: &[&str], log: &str) -> Result<()> {
    let dir = work.path();
    let started = Instant::now();
    eprintln!("  running {program} ...");
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .with_context(|| format!("cannot run {program} (install it with .ci/install-tools)"))?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    std::fs::write(dir.join(log), &text)?;
    eprintln!("  {program} took {:.1} s", started.elapsed().as_secs_f64());
    if !out.status.success() {
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "{program} failed (log: {}):\n{}",
            work.keep_log(log).display(),
            tail.join("\n")
        );
    }
    Ok(())
}

/// Where a synthesis run works: a folder kept for the user, or a
/// temporary one removed afterwards.
pub struct WorkDir {
    path: PathBuf,
    keep: bool,
}

impl WorkDir {
    /// `keep` if given (written completely, like `spikegate gen --out`,
    /// and only over an earlier spikegate output), else a fresh temporary
    /// folder named after `tag`, removed when this is dropped.
    pub fn new(keep: Option<&Path>, tag: &str, files: &[(String, String)]) -> Result<Self> {
        if let Some(p) = keep {
            write_folder(p, files)?;
            return Ok(WorkDir {
                path: p.to_path_buf(),
                keep: true,
            });
        }
        let temp = std::env::temp_dir();
        remove_stale_temp(&temp);
        // A name no one holds: a folder of the same name (another user's,
        // or one a killed run left under a reused process id) is never
        // written over or deleted.
        let stem = format!("{TEMP_PREFIX}{tag}-{}", std::process::id());
        let path = (0u32..)
            .map(|n| temp.join(format!("{stem}-{n}")))
            .find(|p| std::fs::symlink_metadata(p).is_err())
            .context("no free name for a temporary folder")?;
        write_folder(&path, files)?;
        Ok(WorkDir { path, keep: false })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the folder stays after the run (`--out`).
    pub fn kept(&self) -> bool {
        self.keep
    }

    /// Where the log `name` of this folder can be read after the run: in
    /// the folder when it is kept, else a copy beside the temporary folder
    /// (which is removed), `spikegate-synth-failed-<pid>-<name>`.
    pub fn keep_log(&self, name: &str) -> PathBuf {
        let log = self.path.join(name);
        if self.keep {
            return log;
        }
        let copy = std::env::temp_dir().join(format!(
            "spikegate-synth-failed-{}-{name}",
            std::process::id()
        ));
        match std::fs::copy(&log, &copy) {
            Ok(_) => copy,
            Err(_) => log,
        }
    }
}

/// How temporary synthesis folders are named: this, the tag, the process
/// id and a number.
const TEMP_PREFIX: &str = "spikegate-synth-";

/// Removes the temporary synthesis folders in `temp` that runs killed
/// before they could remove them left (their process is gone and their
/// content is spikegate's; anything else is left alone).
fn remove_stale_temp(temp: &Path) {
    let Ok(read) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in read.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(TEMP_PREFIX)) else {
            continue;
        };
        // `TAG-PID-N`, where the tag may hold dashes itself.
        let mut parts = rest.rsplitn(3, '-');
        let (Some(n), Some(pid), Some(_tag)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if let (Ok(_), Ok(pid)) = (n.parse::<u32>(), pid.parse::<u32>()) {
            crate::output::remove_if_stale(&entry.path(), pid);
        }
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Synthesises (and on Lattice parts places and routes) `output`, which
/// must have been generated for `target`, in `work`. `cycles` is the cycle
/// formula's count a sample, if known; the latency is it over Fmax.
pub fn synthesize(
    output: &Output,
    target: &Target,
    work: &WorkDir,
    cycles: Option<f64>,
) -> Result<SynthReport> {
    let dir = work.path();
    if !which("yosys") {
        bail!("yosys not found on PATH: install it with .ci/install-tools");
    }
    let family = target.family;
    let place_and_route = !target.nextpnr_device.is_empty();
    let nextpnr = if place_and_route {
        Some(nextpnr_program(family)?)
    } else {
        None
    };
    // `-abc9`: yosys's timing-driven mapping. On this design it gives
    // 1.75x the Fmax on ECP5 (61.6 against 35.2 MHz for golden/ttfs at
    // P = 2) and 1.3x on iCE40, with fewer cells.
    let synth = match family {
        Family::Xilinx => format!("synth_xilinx -family xc7 -abc9 -top {BOARD_TOP}"),
        _ => format!(
            "synth_{} -abc9 -top {BOARD_TOP} -json board.json",
            family.yosys_name()
        ),
    };
    let script = format!(
        "read_verilog {VERILOG_FILE} {}; {synth}; tee -q -o stat.txt stat",
        crate::board::BOARD_FILE
    );
    run_logged(work, "yosys", &["-q", "-p", &script], "yosys.log")?;
    let stat = std::fs::read_to_string(dir.join("stat.txt")).context("yosys wrote no stat")?;
    let (luts, flip_flops, yosys_rams, yosys_dsps) = yosys_counts(&stat, family);
    let plan = &output.plan;
    let mut report = SynthReport {
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
    };
    let Some(nextpnr) = nextpnr else {
        report.flow = format!("yosys synth_{} -abc9 estimate", family.yosys_name());
        report.notes.push(format!(
            "no open place-and-route for {} here: the counts are yosys's synthesis \
             estimate before packing, and there is no Fmax or latency (use Vivado \
             with constraints/{} for those)",
            target.part, target.constraint_file
        ));
        return Ok(report);
    };
    let constraint_flag = match family {
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
    match family {
        Family::Ice40 => args.extend(["--asc", "board.asc"]),
        _ => args.extend(["--textcfg", "board.config"]),
    }
    if let Err(e) = run_logged(work, &nextpnr, &args, "nextpnr.log") {
        let log = std::fs::read_to_string(dir.join("nextpnr.log")).unwrap_or_default();
        let over = report::overfull(&log);
        if over.is_empty() {
            return Err(e);
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
        bail!(
            "the design does not fit {} ({}): it needs {}. Use fewer processing elements \
             (--pe {} now), narrower widths, or a bigger part",
            target.name,
            target.part,
            needs.join(", "),
            output.plan.options.pe
        );
    }
    let json =
        std::fs::read_to_string(dir.join("report.json")).context("nextpnr wrote no report")?;
    // The iCE40 bitstream, ready for iceprog, when icestorm is installed.
    let bitstream = family == Family::Ice40 && which("icepack");
    if bitstream {
        run_logged(work, "icepack", &["board.asc", "board.bin"], "icepack.log")?;
    }
    let (logic, available, rams, dsps, fmax) = nextpnr_figures(&json, target)?;
    report.flow = format!(
        "yosys synth_{} -abc9 + {nextpnr} (placed and routed)",
        family.yosys_name()
    );
    report.logic_cells = logic;
    report.logic_cells_available = available;
    report.block_rams = rams;
    report.dsps = dsps;
    report.fmax_mhz = Some(fmax);
    report.latency_us = cycles.map(|c| c / fmax);
    if bitstream {
        report.notes.push(format!(
            "{BITSTREAM_NOTE} (program with `iceprog board.bin`)"
        ));
    }
    Ok(report)
}
