//! One module per subcommand: its arguments (with their `--help` text) and
//! what it does.

pub mod bench;
pub mod bench_conv;
pub mod bench_cosim;
pub mod bench_delays;
pub mod bench_hw;
pub mod bench_model;
pub mod bench_recurrent;
pub mod check;
pub mod cosim;
pub mod cycles;
pub mod design_space;
pub mod encode;
pub mod gen;
pub mod import;
pub mod plot;
pub mod sim;
pub mod synth;

use spikegate_hdl::plan::{PlanError, MAX_PE};

/// The library's error, with a processing-element count it refused named
/// by this command line's flag (the library names no flag).
pub fn with_pe_flag(e: anyhow::Error) -> anyhow::Error {
    match e.downcast_ref::<PlanError>() {
        Some(PlanError::ProcessingElements { pe }) => {
            anyhow::anyhow!("--pe {pe}: processing elements per core must be 1..={MAX_PE}")
        }
        _ => e,
    }
}
