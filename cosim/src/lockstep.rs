//! Two back ends driven with the same inputs, every top-level output
//! compared on every cycle. Run on `verilator` and `rusthdl`, this catches
//! rust-hdl's simulation disagreeing with the Verilog it writes (its known
//! signed-arithmetic and width bugs) at the first cycle where it shows.

use crate::backend::{Backend, BackendError};
use crate::ports::{Inputs, Outputs};

/// Two back ends in lockstep; the first one's outputs are the answer.
pub struct Lockstep<A, B> {
    first: A,
    second: B,
    scratch: Outputs,
    cycle: u64,
}

impl<A: Backend, B: Backend> Lockstep<A, B> {
    /// Pairs two back ends of the same design, both in their power-on
    /// state.
    pub fn new(first: A, second: B) -> Self {
        Lockstep {
            first,
            second,
            scratch: Outputs::default(),
            cycle: 0,
        }
    }
}

impl<A: Backend, B: Backend> Backend for Lockstep<A, B> {
    fn name(&self) -> &'static str {
        "lockstep"
    }

    fn cycle(&mut self, inputs: &Inputs, outputs: &mut Outputs) -> Result<(), BackendError> {
        self.first.cycle(inputs, outputs)?;
        self.second.cycle(inputs, &mut self.scratch)?;
        if *outputs != self.scratch {
            let theirs = self.scratch.named();
            let (port, first_value, second_value) = outputs
                .named()
                .into_iter()
                .zip(theirs)
                .find(|(a, b)| a.1 != b.1)
                .map(|(a, b)| (a.0, a.1, b.1))
                .unwrap_or_else(|| {
                    (
                        "tap count".into(),
                        outputs.taps.len() as u64,
                        self.scratch.taps.len() as u64,
                    )
                });
            return Err(BackendError::Lockstep {
                cycle: self.cycle,
                port,
                first: self.first.name(),
                first_value,
                second: self.second.name(),
                second_value,
            });
        }
        self.cycle += 1;
        Ok(())
    }
}
