//! The `rusthdl` back end: rust-hdl's own simulation of the accelerator's
//! module tree, built from the same plan as the Verilog. It needs no
//! external tool, and it is slow (about 1e5 cycles a second).
//!
//! The copies between [`Inputs`]/[`Outputs`] and the accelerator's signals
//! are written by hand, field by field, because both sides are typed
//! structs; both are checked against the port table (`ports.rs`, and the
//! generated `spikegate_top` in tests/tests/cosim.rs), and the lockstep
//! tests compare every output with Verilator's on every cycle.

use rust_hdl::prelude::*;
use spikegate_hdl::top::Accelerator;
use spikegate_hdl::HardwarePlan;

use crate::backend::{Backend, BackendError};
use crate::ports::{Inputs, Outputs, TapBeat};

/// Most delta iterations one clock edge may take to settle.
const SETTLE_ITERATIONS: usize = 10_000;

/// The rust-hdl simulation of one accelerator.
pub struct RustHdl {
    dut: Box<Accelerator>,
    cycle: u64,
}

impl RustHdl {
    /// Builds the accelerator of `plan` (in its power-on state: the host
    /// must reset it).
    pub fn new(plan: &HardwarePlan) -> Self {
        let mut dut = Box::new(Accelerator::new(plan));
        dut.connect_all();
        RustHdl { dut, cycle: 0 }
    }

    fn settle(&mut self) -> Result<(), BackendError> {
        if simulate(&mut *self.dut, SETTLE_ITERATIONS) {
            Ok(())
        } else {
            Err(BackendError::NoSettle { cycle: self.cycle })
        }
    }
}

impl Backend for RustHdl {
    fn name(&self) -> &'static str {
        "rusthdl"
    }

    fn cycle(&mut self, inputs: &Inputs, outputs: &mut Outputs) -> Result<(), BackendError> {
        let d = &mut self.dut;
        d.clock.next = Clock { clk: false };
        d.reset.next = inputs.reset;
        d.start.next = inputs.start;
        d.in_valid.next = inputs.in_valid;
        d.in_eos.next = inputs.in_eos;
        d.in_neuron.next = u64::from(inputs.in_neuron).into();
        d.out_ready.next = inputs.out_ready;
        self.settle()?;
        let d = &self.dut;
        outputs.in_ready = d.in_ready.val();
        outputs.out_valid = d.out_valid.val();
        outputs.out_eos = d.out_eos.val();
        outputs.out_neuron = d.out_neuron.val().index() as u16;
        outputs.out_value = d.out_value.val().to_u64() as u32;
        outputs.busy = d.busy.val();
        outputs.done = d.done.val();
        outputs.taps.resize(d.tap.len(), TapBeat::default());
        for (beat, tap) in outputs.taps.iter_mut().zip(&d.tap) {
            *beat = TapBeat {
                valid: tap.valid.val(),
                eos: tap.eos.val(),
                neuron: tap.neuron.val().index() as u16,
            };
        }
        self.dut.clock.next = Clock { clk: true };
        self.settle()?;
        self.cycle += 1;
        Ok(())
    }
}
