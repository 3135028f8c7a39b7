//! One module per subcommand: its arguments (with their `--help` text) and
//! what it does.

pub mod bench;
pub mod bench_cosim;
pub mod bench_delays;
pub mod bench_hw;
pub mod check;
pub mod cosim;
pub mod design_space;
pub mod encode;
pub mod gen;
pub mod import;
pub mod sim;
pub mod synth;

use spikegate_hdl::plan::MAX_PE;

/// Refuses a `--pe` the hardware cannot take, naming the flag (the
/// library's own error names no flag).
pub fn check_pe(pe: usize) -> anyhow::Result<()> {
    if !(1..=MAX_PE).contains(&pe) {
        anyhow::bail!("--pe {pe}: processing elements per core must be 1..={MAX_PE}");
    }
    Ok(())
}
