//! Reading yosys's `stat` report.

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
