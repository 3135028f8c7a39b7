//! One clock cycle of a generated design, behind one trait, so the driver,
//! monitor and checker run unchanged on every back end.

use crate::ports::{Inputs, Outputs};

/// A design that can be clocked through its top-level ports.
///
/// A cycle is: drive `inputs` (the clock low), let the logic settle, read
/// the outputs (what the rising edge will sample), then the rising edge.
/// `ready` never depends on `valid` in these designs, so a host may decide
/// its inputs before it sees the outputs of the same cycle.
pub trait Backend {
    /// The back end's name, for messages (`verilator`, `rusthdl`, ...).
    fn name(&self) -> &'static str;

    /// Runs one cycle; `outputs` receives the values seen before the edge.
    fn cycle(&mut self, inputs: &Inputs, outputs: &mut Outputs) -> Result<(), BackendError>;

    /// Runs cycles with the same `inputs` (`reset` and `start` low): at
    /// least one, at most `max`, and none past the first cycle that shows
    /// the host something (its input beat taken, `in_valid && in_ready`;
    /// an output or tap beat offered; `done`). Returns how many ran;
    /// `outputs` holds the last one's. Every cycle before the last is one
    /// in which [`Backend::cycle`] would have shown nothing, so a host
    /// whose inputs change only on such events loses nothing. The default
    /// runs one cycle; the Verilator back end runs the quiet stretch
    /// without returning to Rust.
    fn run_quiet(
        &mut self,
        inputs: &Inputs,
        outputs: &mut Outputs,
        max: u64,
    ) -> Result<u64, BackendError> {
        let _ = max;
        self.cycle(inputs, outputs)?;
        Ok(1)
    }
}

/// Why a back end could not run a cycle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The rust-hdl simulation's combinational logic did not settle.
    #[error("the rust-hdl simulation did not settle in cycle {cycle}")]
    NoSettle {
        /// Cycle since the back end was created.
        cycle: u64,
    },
    /// Two back ends run in lockstep disagreed on a port.
    #[error(
        "lockstep: {first} and {second} disagree in cycle {cycle} on `{port}`: \
         {first} drives {first_value}, {second} drives {second_value}"
    )]
    Lockstep {
        /// Cycle since the back ends were created.
        cycle: u64,
        /// The port.
        port: String,
        /// Name of the first back end.
        first: &'static str,
        /// Its value.
        first_value: u64,
        /// Name of the second back end.
        second: &'static str,
        /// Its value.
        second_value: u64,
    },
}
