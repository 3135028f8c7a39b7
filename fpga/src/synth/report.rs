//! What `spikegate synth` reports, and reading it out of yosys's `stat`
//! and nextpnr's `--report` JSON.

use std::fmt;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::targets::{Family, Target};
use crate::yosys::cell_count;

/// One `spikegate synth` run's figures.
#[derive(Debug, Clone, Serialize)]
pub struct SynthReport {
    /// Board.
    pub target: &'static str,
    /// FPGA part.
    pub part: &'static str,
    /// Model name.
    pub model: String,
    /// Processing elements per core.
    pub pe: usize,
    /// How the figures were obtained.
    pub flow: String,
    /// Logic: nextpnr's packed logic cells (`ICESTORM_LC` on iCE40,
    /// `TRELLIS_COMB` on ECP5); on Xilinx, yosys's LUT count.
    pub logic_cells: u64,
    /// Logic cells the part has.
    pub logic_cells_available: u64,
    /// Look-up tables in yosys's netlist (LUT4 on Lattice, LUT1..LUT6 on
    /// Xilinx).
    pub luts: u64,
    /// Flip-flops.
    pub flip_flops: u64,
    /// Block RAMs used.
    pub block_rams: u64,
    /// Block RAMs the part has.
    pub block_rams_available: u64,
    /// Hard multipliers (DSP blocks).
    pub dsps: u64,
    /// The largest clock frequency the placed and routed design meets, MHz
    /// (`None` without place-and-route).
    pub fmax_mhz: Option<f64>,
    /// The board oscillator's frequency, MHz.
    pub board_clock_mhz: f64,
    /// Cycles per sample from the cycle formula (docs/hardware.md),
    /// averaged over the input samples (`None` without input).
    pub cycles_per_sample: Option<f64>,
    /// `cycles_per_sample / fmax`, microseconds.
    pub latency_us: Option<f64>,
    /// Limitations of the figures, if any.
    pub notes: Vec<String>,
}

impl SynthReport {
    /// Whether the design fits the part's logic and block RAM.
    pub fn fits(&self) -> bool {
        self.logic_cells <= self.logic_cells_available
            && self.block_rams <= self.block_rams_available
    }
}

impl fmt::Display for SynthReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |used: u64, of: u64| 100.0 * used as f64 / of.max(1) as f64;
        // The model's name is the user's: escaped, it cannot end the line
        // or send a terminal escape.
        writeln!(
            f,
            "{} on {} ({}), P = {}: {}",
            self.model.escape_debug(),
            self.target,
            self.part,
            self.pe,
            self.flow
        )?;
        writeln!(
            f,
            "  logic cells   {:>8} of {:>6} ({:.1}%)",
            self.logic_cells,
            self.logic_cells_available,
            pct(self.logic_cells, self.logic_cells_available)
        )?;
        writeln!(f, "  LUTs          {:>8}", self.luts)?;
        writeln!(f, "  flip-flops    {:>8}", self.flip_flops)?;
        writeln!(
            f,
            "  block RAMs    {:>8} of {:>6} ({:.1}%)",
            self.block_rams,
            self.block_rams_available,
            pct(self.block_rams, self.block_rams_available)
        )?;
        writeln!(f, "  DSPs          {:>8}", self.dsps)?;
        match self.fmax_mhz {
            Some(fmax) => writeln!(
                f,
                "  Fmax          {fmax:>8.1} MHz (board clock {} MHz: {})",
                self.board_clock_mhz,
                if fmax >= self.board_clock_mhz {
                    "met"
                } else {
                    "NOT met"
                }
            )?,
            None => writeln!(f, "  Fmax              n/a (no place-and-route)")?,
        }
        match (self.cycles_per_sample, self.latency_us) {
            (Some(c), Some(l)) => writeln!(
                f,
                "  latency       {l:>8.1} us a sample ({c:.0} cycles, cycle formula, at Fmax)"
            )?,
            (Some(c), None) => writeln!(f, "  cycles        {c:>8.0} a sample (cycle formula)")?,
            _ => writeln!(
                f,
                "  latency           n/a (no input spikes to count cycles with)"
            )?,
        }
        for note in &self.notes {
            writeln!(f, "  note: {note}")?;
        }
        Ok(())
    }
}

/// Cell counts yosys reported for `family`: (LUTs, flip-flops, block RAMs,
/// DSPs).
pub fn yosys_counts(stat: &str, family: Family) -> (u64, u64, u64, u64) {
    let sum = |cells: &[&str]| cells.iter().map(|c| cell_count(stat, c)).sum::<u64>();
    match family {
        Family::Ice40 => (
            sum(&["SB_LUT4"]),
            sum(&[
                "SB_DFF",
                "SB_DFFE",
                "SB_DFFSR",
                "SB_DFFR",
                "SB_DFFS",
                "SB_DFFESR",
                "SB_DFFER",
                "SB_DFFES",
                "SB_DFFSS",
                "SB_DFFESS",
            ]),
            sum(&["SB_RAM40_4K"]),
            sum(&["SB_MAC16"]),
        ),
        Family::Ecp5 => (
            sum(&["LUT4"]),
            sum(&["TRELLIS_FF"]),
            sum(&["DP16KD"]),
            sum(&["MULT18X18D"]),
        ),
        Family::Xilinx => (
            sum(&["LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6"]),
            sum(&["FDRE", "FDSE", "FDCE", "FDPE"]),
            // A RAMB18E1 is half a RAMB36E1; round up.
            sum(&["RAMB36E1"]) + sum(&["RAMB18E1"]).div_ceil(2),
            sum(&["DSP48E1"]),
        ),
    }
}

/// What nextpnr's `--report` JSON says: (logic cells used, available; block
/// RAMs used; DSPs used; Fmax in MHz of the `clock` net).
pub fn nextpnr_figures(report: &str, target: &Target) -> Result<(u64, u64, u64, u64, f64)> {
    let json: serde_json::Value =
        serde_json::from_str(report).context("nextpnr's report is not JSON")?;
    let util = &json["utilization"];
    let cell = |name: &str, key: &str| util[name][key].as_u64().unwrap_or(0);
    let (logic, ram, dsp) = match target.family {
        Family::Ice40 => ("ICESTORM_LC", "ICESTORM_RAM", "ICESTORM_DSP"),
        _ => ("TRELLIS_COMB", "DP16KD", "MULT18X18D"),
    };
    let fmax = json["fmax"]
        .as_object()
        .and_then(|clocks| {
            clocks
                .iter()
                .find(|(name, _)| name.contains("clock"))
                .and_then(|(_, v)| v["achieved"].as_f64())
        })
        .context("nextpnr's report has no Fmax for the clock `clock`")?;
    Ok((
        cell(logic, "used"),
        cell(logic, "available"),
        cell(ram, "used"),
        cell(dsp, "used"),
        fmax,
    ))
}

/// The resources nextpnr's device-utilisation table (in its log) shows
/// over capacity: (cell type, used, available).
pub fn overfull(log: &str) -> Vec<(String, u64, u64)> {
    log.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("Info:")?.trim();
            let (cell, counts) = rest.split_once(':')?;
            let (used, available) = counts.split_once('/')?;
            let used: u64 = used.trim().parse().ok()?;
            let available: u64 = available.split_whitespace().next()?.parse().ok()?;
            (used > available).then(|| (cell.trim().to_string(), used, available))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::find;

    #[test]
    fn reads_nextpnr_utilisation_and_fmax() {
        let report = r#"{"utilization": {"TRELLIS_COMB": {"used": 2368, "available": 83640},
            "DP16KD": {"used": 18, "available": 208}},
            "fmax": {"$glbnet$clock$TRELLIS_IO_IN": {"achieved": 26.4, "constraint": 25.0}}}"#;
        let t = find("ulx3s_85f").unwrap();
        assert_eq!(
            nextpnr_figures(report, t).unwrap(),
            (2368, 83640, 18, 0, 26.4)
        );
        assert!(nextpnr_figures("{}", t)
            .unwrap_err()
            .to_string()
            .contains("no Fmax"));
    }

    #[test]
    fn finds_what_nextpnr_could_not_place() {
        let log = "Info: Device utilisation:\nInfo: \t         ICESTORM_LC: 16933/ 5280   320%\n\
                   Info: \t        ICESTORM_RAM:    17/   30    56%\nInfo: Placed 6 cells\n";
        assert_eq!(overfull(log), [("ICESTORM_LC".to_string(), 16933, 5280)]);
    }

    #[test]
    fn sums_yosys_cells_by_family() {
        let stat = "  Number of cells: 9\n  LUT2 3\n  LUT6 2\n  FDRE 4\n  RAMB18E1 3\n";
        assert_eq!(yosys_counts(stat, Family::Xilinx), (5, 4, 2, 0));
    }
}
