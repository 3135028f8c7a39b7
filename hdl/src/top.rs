//! The accelerator top: one AER FIFO and one core per layer, chained, behind
//! one fixed port list (docs/hardware.md):
//!
//! ```text
//!  in ──► FIFO0 ──► Core0 ──► FIFO1 ──► Core1 ──► ... ──► Core(L-1) ──► out
//!                         └─► tap0             └─► tap1  (with taps)
//! ```
//!
//! The ports, their widths and meanings are the table of
//! [`crate::interface`] (docs/hardware.md, section 2); the fields below
//! are its hand-written side, which rust-hdl needs as typed signals, and
//! the co-simulation tests check the generated module's ports against the
//! table (tests/tests/cosim.rs).
//!
//! The number of layers varies with the model, and rust-hdl's kernels
//! cannot index a run-time number of sub-blocks, so the top is wiring only
//! and written as a custom block: the same connection list drives the Rust
//! simulation ([`Logic::update`]) and the Verilog ([`Logic::hdl`]).

use std::sync::Arc;

use rust_hdl::prelude::*;

use crate::core::Core;
use crate::fifo::AerFifo;
use crate::interface::{tap_count, VALUE_BITS};
use crate::plan::{HardwarePlan, NEURON_BITS};
use crate::sample_control::SampleControl;
use crate::stream;

/// A hidden layer's spike stream, observed at the handshake into the next
/// FIFO: a beat moved when `valid` is high.
#[derive(LogicInterface, Default)]
pub struct Tap {
    /// A beat moved this cycle.
    pub valid: Signal<Out, Bit>,
    /// Its neuron index.
    pub neuron: Signal<Out, Bits<NEURON_BITS>>,
    /// It ends a step.
    pub eos: Signal<Out, Bit>,
}

/// The whole accelerator.
#[derive(LogicBlock)]
pub struct Accelerator {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset, active high.
    pub reset: Signal<In, Bit>,
    /// Start a sample (one-cycle pulse).
    pub start: Signal<In, Bit>,
    /// Input beat offered.
    pub in_valid: Signal<In, Bit>,
    /// The accelerator takes the input beat.
    pub in_ready: Signal<Out, Bit>,
    /// Input spike's neuron index.
    pub in_neuron: Signal<In, Bits<NEURON_BITS>>,
    /// The input beat ends the step.
    pub in_eos: Signal<In, Bit>,
    /// Output beat offered.
    pub out_valid: Signal<Out, Bit>,
    /// The consumer takes the output beat.
    pub out_ready: Signal<In, Bit>,
    /// Output spike's neuron index.
    pub out_neuron: Signal<Out, Bits<NEURON_BITS>>,
    /// The output beat ends the step.
    pub out_eos: Signal<Out, Bit>,
    /// A readout network's beat: the neuron's final membrane (two's
    /// complement, sign-extended to 32 bits); zero for spiking networks.
    pub out_value: Signal<Out, Bits<VALUE_BITS>>,
    /// A sample is running.
    pub busy: Signal<Out, Bit>,
    /// The last sample has finished.
    pub done: Signal<Out, Bit>,
    /// Hidden layers' streams (empty unless built with taps).
    pub tap: Vec<Tap>,
    fifo: Vec<AerFifo>,
    core: Vec<Core>,
    control: SampleControl,
}

impl Accelerator {
    /// Assembles the accelerator of `plan`.
    pub fn new(plan: &HardwarePlan) -> Self {
        let layers = plan.cores.len();
        let taps = tap_count(plan);
        Accelerator {
            clock: Default::default(),
            reset: Default::default(),
            start: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            in_neuron: Default::default(),
            in_eos: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_neuron: Default::default(),
            out_eos: Default::default(),
            out_value: Default::default(),
            busy: Default::default(),
            done: Default::default(),
            tap: (0..taps).map(|_| Tap::default()).collect(),
            fifo: (0..layers)
                .map(|_| AerFifo::new(plan.options.fifo_depth))
                .collect(),
            core: plan
                .cores
                .iter()
                .map(|c| Core::new(Arc::new(c.clone())))
                .collect(),
            control: SampleControl::new(plan.time_steps),
        }
    }

    /// The core of layer `l` (tests read its state).
    pub fn core(&self, l: usize) -> &Core {
        &self.core[l]
    }
}

impl Logic for Accelerator {
    fn update(&mut self) {
        let last = self.core.len() - 1;
        let (clock, reset) = (self.clock.val(), self.reset.val());
        // Reset wins over a start in the same cycle, in every block alike
        // (docs/hardware.md section 2).
        let start = self.start.val() && !reset;
        self.control.clock.next = clock;
        self.control.reset.next = reset;
        self.control.start.next = start;
        for l in 0..=last {
            let fifo = &mut self.fifo[l];
            fifo.clock.next = clock;
            fifo.reset.next = reset;
            fifo.start.next = start;
            let core = &mut self.core[l];
            core.clock.next = clock;
            core.reset.next = reset;
            core.start.next = start;
            core.in_valid.next = self.fifo[l].out_valid.val();
            core.in_data.next = self.fifo[l].out_data.val();
            self.fifo[l].out_ready.next = self.core[l].in_ready.val();
        }
        self.fifo[0].in_valid.next = self.in_valid.val();
        self.fifo[0].in_data.next = stream::beat(self.in_eos.val(), self.in_neuron.val());
        self.in_ready.next = self.fifo[0].in_ready.val();
        for l in 0..last {
            let (valid, data) = (self.core[l].out_valid.val(), self.core[l].out_data.val());
            let ready = self.fifo[l + 1].in_ready.val();
            self.fifo[l + 1].in_valid.next = valid;
            self.fifo[l + 1].in_data.next = data;
            self.core[l].out_ready.next = ready;
            if let Some(tap) = self.tap.get_mut(l) {
                tap.valid.next = valid && ready;
                tap.neuron.next = stream::neuron(data);
                tap.eos.next = stream::is_eos(data);
            }
        }
        let (valid, data) = (
            self.core[last].out_valid.val(),
            self.core[last].out_data.val(),
        );
        self.out_valid.next = valid;
        self.out_neuron.next = stream::neuron(data);
        self.out_eos.next = stream::is_eos(data);
        self.out_value.next = self.core[last].out_value.val();
        self.core[last].out_ready.next = self.out_ready.val();
        self.control.step_done.next = valid && self.out_ready.val() && stream::is_eos(data);
        self.busy.next = self.control.busy.val();
        self.done.next = self.control.done.val();
    }

    fn connect(&mut self) {
        self.in_ready.connect();
        self.out_valid.connect();
        self.out_neuron.connect();
        self.out_eos.connect();
        self.out_value.connect();
        self.busy.connect();
        self.done.connect();
        for tap in &mut self.tap {
            tap.valid.connect();
            tap.neuron.connect();
            tap.eos.connect();
        }
        self.control.clock.connect();
        self.control.reset.connect();
        self.control.start.connect();
        self.control.step_done.connect();
        for fifo in &mut self.fifo {
            fifo.clock.connect();
            fifo.reset.connect();
            fifo.start.connect();
            fifo.in_valid.connect();
            fifo.in_data.connect();
            fifo.out_ready.connect();
        }
        for core in &mut self.core {
            core.clock.connect();
            core.reset.connect();
            core.start.connect();
            core.in_valid.connect();
            core.in_data.connect();
            core.out_ready.connect();
        }
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(wiring_verilog(self.core.len(), self.tap.len()))
    }
}

/// The top's connections as Verilog, mirroring [`Accelerator::update`].
fn wiring_verilog(layers: usize, taps: usize) -> String {
    let mut v = Vec::new();
    let mut a = |dst: String, src: String| v.push(format!("always @(*) {dst} = {src};"));
    a("control$clock".into(), "clock".into());
    a("control$reset".into(), "reset".into());
    // Reset wins over a start in the same cycle (as in `update`).
    let start = "start & ~reset";
    a("control$start".into(), start.into());
    for l in 0..layers {
        for block in ["fifo", "core"] {
            a(format!("{block}${l}$clock"), "clock".into());
            a(format!("{block}${l}$reset"), "reset".into());
            a(format!("{block}${l}$start"), start.into());
        }
        a(format!("core${l}$in_valid"), format!("fifo${l}$out_valid"));
        a(format!("core${l}$in_data"), format!("fifo${l}$out_data"));
        a(format!("fifo${l}$out_ready"), format!("core${l}$in_ready"));
    }
    a("fifo$0$in_valid".into(), "in_valid".into());
    a(
        "fifo$0$in_data".into(),
        stream::verilog_beat("in_eos", "in_neuron"),
    );
    a("in_ready".into(), "fifo$0$in_ready".into());
    let last = layers - 1;
    for l in 0..last {
        let n = l + 1;
        a(format!("fifo${n}$in_valid"), format!("core${l}$out_valid"));
        a(format!("fifo${n}$in_data"), format!("core${l}$out_data"));
        a(format!("core${l}$out_ready"), format!("fifo${n}$in_ready"));
        if l < taps {
            let data = format!("core${l}$out_data");
            a(
                format!("tap${l}$valid"),
                format!("core${l}$out_valid & fifo${n}$in_ready"),
            );
            a(format!("tap${l}$neuron"), stream::verilog_neuron(&data));
            a(format!("tap${l}$eos"), stream::verilog_eos(&data));
        }
    }
    let data = format!("core${last}$out_data");
    a("out_valid".into(), format!("core${last}$out_valid"));
    a("out_neuron".into(), stream::verilog_neuron(&data));
    a("out_eos".into(), stream::verilog_eos(&data));
    a("out_value".into(), format!("core${last}$out_value"));
    a(format!("core${last}$out_ready"), "out_ready".into());
    a(
        "control$step_done".into(),
        format!(
            "core${last}$out_valid & out_ready & {}",
            stream::verilog_eos(&data)
        ),
    );
    a("busy".into(), "control$busy".into());
    a("done".into(), "control$done".into());
    // Only the last core can be a readout; the others' value ports are 0.
    if last > 0 {
        let values: Vec<String> = (0..last).map(|l| format!("core${l}$out_value")).collect();
        v.push(format!(
            "wire unused_values = &{{1'b0, {}, 1'b0}};",
            values.join(", ")
        ));
    }
    v.join("\n")
}
