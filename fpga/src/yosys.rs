//! yosys's figures for a generated design: its `stat` report read
//! ([`cell_count`]), and the ECP5 synthesis the benchmarks measure.

use anyhow::Result;
use spikegate_hdl::verilog::{TOP_MODULE, VERILOG_FILE};

use crate::tools::{run_logged, ToolDir};

/// Synthesises the design in `dir` (as `spikegate gen` wrote it) with
/// `synth_ecp5 -abc9` (the mapping `spikegate synth` uses, docs/fpga.md)
/// and returns one line of its cell counts.
pub fn ecp5_report(dir: ToolDir) -> Result<String> {
    let script = format!(
        "read_verilog {VERILOG_FILE}; synth_ecp5 -abc9 -top {TOP_MODULE}; tee -q -o stat.txt stat"
    );
    run_logged(dir, "yosys", &["-q", "-p", &script], "yosys.log")?;
    let stat = std::fs::read_to_string(dir.path.join("stat.txt"))?;
    let count = |cell: &str| cell_count(&stat, cell);
    Ok(format!(
        "ECP5 (yosys -abc9): {} cells: LUT4 {}, TRELLIS_FF {}, CCU2C {}, DP16KD {}, MULT18X18D {}, TRELLIS_DPR16X4 {}",
        count("Number"),
        count("LUT4"),
        count("TRELLIS_FF"),
        count("CCU2C"),
        count("DP16KD"),
        count("MULT18X18D"),
        count("TRELLIS_DPR16X4")
    ))
}

/// The count yosys's `stat` gives for `cell` (the last report's, which is
/// the top module's when the design is flattened); 0 when absent. Pass
/// `"Number"` for the line `Number of cells: N`.
pub fn cell_count(stat: &str, cell: &str) -> u64 {
    stat.lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            if parts.next() != Some(cell) {
                return None;
            }
            parts.filter_map(|p| p.parse().ok()).next()
        })
        .next_back()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_counts() {
        let stat = "   Number of cells:   52\n     DP16KD     3\n     LUT4    40\n";
        assert_eq!(super::cell_count(stat, "Number"), 52);
        assert_eq!(super::cell_count(stat, "DP16KD"), 3);
        assert_eq!(super::cell_count(stat, "MULT18X18D"), 0);
    }
}
