//! A simple one-lane neuron core, one neuron at a time, kept beside the
//! P-wide [`crate::core::Core`] as its reference in tests.
//!
//! It has the same ports as the P-wide core and drives the same
//! [`Datapath`], built from a [`CorePlan`] with one lane (`P = 1`, so chunk
//! `c` is neuron `c` and `C = N`), but its control is deliberately naive:
//! every datapath operation is issued alone, and the state machine waits
//! for its result before it does anything else. An operation issued in one
//! cycle waits one cycle, its *result cycle* for an accumulate or a clear;
//! a sweep's or a repeat's result cycle is the one in which the datapath
//! shows its `fired` ([`crate::datapath::RESULT_LATENCY`] cycles after the
//! issue). Nothing that reads a chunk is issued before a sweep's or a
//! repeat's write to it is in; an accumulate's or a clear's write can
//! still be on its way when the next operation on its chunk reads it (a
//! one-neuron layer), and the datapath forwards it.
//!
//! * **Start** (`start`): every chunk is cleared, one chunk per 2 cycles.
//! * **A spike from neuron `j`** (input beat): for each chunk `c` an
//!   accumulate of weight row `c * M + j` (a running address that adds
//!   `M`, the fan-in), then its result cycle.
//! * **End of step** (input beat with the EOS bit): for each chunk `c` a
//!   sweep with bias row `bias_base + c`, then the wait for its result; if the
//!   neuron fires, the core offers the spike (neuron `c`) and holds it until
//!   it is taken, then moves on to the next chunk. After the last chunk it
//!   offers an EOS beat and waits until it is taken. Spikes leave lowest
//!   neuron first.
//! * Input beats are taken (`in_ready`) only between beats, when nothing
//!   else is going on.
//!
//! Cycle cost, with a consumer that keeps up and input always offered:
//! 2 cycles per synapse-chunk (`2 N + 1` per input spike, the `+ 1` taking
//! the beat), `L + 1` cycles per neuron per sweep (`L` the result latency)
//! plus one per output spike and two for the EOS beats (`(L + 1) N +
//! S_out + 2` per step), and `2 N` to clear:
//! about twice the P = 1 pipelined core, for control that is easy to check
//! by reading.
//!
//! ```text
//!  clock      _/‾\_/‾\_/‾\_/‾\_/‾\_/‾\_/‾\_/‾\_/‾\_/‾\_/‾\_/‾\_
//!  in beat    < EOS>                (N = 2)
//!  op               <SW0 >            <SW1 >
//!  fired                        < 0  >            < 1  >
//!  out beat                                             < n1 ><EOS >
//! ```

use std::sync::Arc;

use rust_hdl::prelude::*;

use crate::datapath::Datapath;
use crate::plan::CorePlan;
use crate::stream::{BEAT_BITS, EOS_BEAT, NEURON_BITS};

/// What the simple core is doing.
#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
pub enum SimpleState {
    /// After reset, before the first `start`.
    Idle,
    /// Issuing the clear of the current chunk.
    ClearIssue,
    /// The clear's result cycle.
    ClearResult,
    /// Between beats: the only state that takes an input beat.
    Ready,
    /// Issuing the accumulate of the current chunk.
    AccumulateIssue,
    /// The accumulate's result cycle.
    AccumulateResult,
    /// Issuing the sweep of the current chunk.
    SweepIssue,
    /// Waiting for the sweep's result; in its result cycle `fired` says
    /// whether the neuron spikes.
    SweepWait,
    /// Offering the current chunk's spike until it is taken.
    EmitSpike,
    /// Issuing a repeat of the current chunk: a multi-spike neuron has
    /// spikes left in this step.
    RepeatIssue,
    /// Waiting for the repeat's result (it fires).
    RepeatWait,
    /// Offering the end-of-step beat until it is taken.
    EmitEos,
}

/// The one-lane neuron core with naive, non-overlapping control.
#[derive(LogicBlock)]
pub struct SimpleCore {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// Start a sample: clear the neuron state.
    pub start: Signal<In, Bit>,
    /// Input beat offered.
    pub in_valid: Signal<In, Bit>,
    /// The core takes the input beat.
    pub in_ready: Signal<Out, Bit>,
    /// Input beat ([`crate::stream`]: EOS bit 16, neuron index 15..0).
    pub in_data: Signal<In, Bits<BEAT_BITS>>,
    /// Output beat offered.
    pub out_valid: Signal<Out, Bit>,
    /// The consumer takes the output beat.
    pub out_ready: Signal<In, Bit>,
    /// Output beat ([`crate::stream`]).
    pub out_data: Signal<Out, Bits<BEAT_BITS>>,
    datapath: Datapath,
    state: DFF<SimpleState>,
    /// The neuron offered has spikes left in this step: repeat its chunk.
    again: DFF<Bit>,
    chunk: DFF<Bits<32>>,
    weight_addr: DFF<Bits<32>>,
    last_chunk: Constant<Bits<32>>,
    fan_in: Constant<Bits<32>>,
    bias_base: Constant<Bits<32>>,
    eos_beat: Constant<Bits<BEAT_BITS>>,
}

impl SimpleCore {
    /// The simple core of `plan`.
    ///
    /// # Panics
    ///
    /// If `plan.lanes` is not 1: this core handles one neuron at a time.
    pub fn new(plan: Arc<CorePlan>) -> Self {
        assert_eq!(
            plan.lanes, 1,
            "SimpleCore needs a plan with lanes = 1 (one neuron per chunk), got lanes = {}",
            plan.lanes
        );
        let c = |v: usize| Constant::new((v as u64).into());
        SimpleCore {
            clock: Default::default(),
            reset: Default::default(),
            start: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            in_data: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_data: Default::default(),
            state: Default::default(),
            again: Default::default(),
            chunk: Default::default(),
            weight_addr: Default::default(),
            last_chunk: c(plan.chunks - 1),
            fan_in: c(plan.fan_in),
            bias_base: c(plan.bias_base()),
            eos_beat: Constant::new(EOS_BEAT.into()),
            datapath: Datapath::new(plan),
        }
    }

    /// The datapath (tests read its neuron memory).
    pub fn datapath(&self) -> &Datapath {
        &self.datapath
    }
}

impl Logic for SimpleCore {
    // rust-hdl kernels take no match guards, so the result waits stay ifs.
    #[allow(clippy::collapsible_match)]
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, again, chunk, weight_addr);
        self.datapath.clock.next = self.clock.val();
        // Idle unless a state below issues an operation.
        self.datapath.op.next = 0.into(); // Op::Idle
        self.datapath.chunk.next = self.chunk.q.val();
        self.datapath.weight_addr.next = self.weight_addr.q.val();
        // One lane, spiking layers only (its tests draw no readout).
        self.datapath.final_step.next = false;
        self.datapath.slot.next = 0.into();
        self.datapath.tag.next = 0.into();
        self.datapath.value_lane.next = 0.into();
        self.in_ready.next = false;
        self.out_valid.next = false;
        // With one lane, chunk c is neuron c.
        self.out_data.next =
            bit_cast::<BEAT_BITS, NEURON_BITS>(self.chunk.q.val().get_bits::<NEURON_BITS>(0));

        match self.state.q.val() {
            SimpleState::Idle => {}
            SimpleState::ClearIssue => {
                self.datapath.op.next = 3.into(); // Op::Clear
                self.state.d.next = SimpleState::ClearResult;
            }
            SimpleState::ClearResult => {
                if self.chunk.q.val() == self.last_chunk.val() {
                    self.chunk.d.next = 0.into();
                    self.state.d.next = SimpleState::Ready;
                } else {
                    self.chunk.d.next = self.chunk.q.val() + 1;
                    self.state.d.next = SimpleState::ClearIssue;
                }
            }
            SimpleState::Ready => {
                self.in_ready.next = true;
                if self.in_valid.val() {
                    self.chunk.d.next = 0.into();
                    // Bit 16 is stream::EOS_BIT (a kernel takes only literals).
                    if self.in_data.val().get_bit(16) {
                        self.state.d.next = SimpleState::SweepIssue;
                    } else {
                        // Row c * M + j, starting at c = 0.
                        self.weight_addr.d.next = bit_cast::<32, NEURON_BITS>(
                            self.in_data.val().get_bits::<NEURON_BITS>(0),
                        );
                        self.state.d.next = SimpleState::AccumulateIssue;
                    }
                }
            }
            SimpleState::AccumulateIssue => {
                self.datapath.op.next = 1.into(); // Op::Accumulate
                self.state.d.next = SimpleState::AccumulateResult;
            }
            SimpleState::AccumulateResult => {
                if self.chunk.q.val() == self.last_chunk.val() {
                    self.chunk.d.next = 0.into();
                    self.state.d.next = SimpleState::Ready;
                } else {
                    self.chunk.d.next = self.chunk.q.val() + 1;
                    self.weight_addr.d.next = self.weight_addr.q.val() + self.fan_in.val();
                    self.state.d.next = SimpleState::AccumulateIssue;
                }
            }
            SimpleState::SweepIssue => {
                self.datapath.op.next = 2.into(); // Op::Sweep
                self.datapath.weight_addr.next = self.bias_base.val() + self.chunk.q.val();
                self.state.d.next = SimpleState::SweepWait;
            }
            SimpleState::SweepWait => {
                // The sweep's result cycle, when its result shows.
                if self.datapath.fired_valid.val() {
                    self.again.d.next = self.datapath.more.val();
                    if self.datapath.fired.val().get_bit(0) {
                        self.state.d.next = SimpleState::EmitSpike;
                    } else if self.chunk.q.val() == self.last_chunk.val() {
                        self.chunk.d.next = 0.into();
                        self.state.d.next = SimpleState::EmitEos;
                    } else {
                        self.chunk.d.next = self.chunk.q.val() + 1;
                        self.state.d.next = SimpleState::SweepIssue;
                    }
                }
            }
            SimpleState::RepeatIssue => {
                self.datapath.op.next = 4.into(); // Op::Repeat
                self.state.d.next = SimpleState::RepeatWait;
            }
            SimpleState::RepeatWait => {
                // The repeat's result cycle (it fires), when its result shows.
                if self.datapath.fired_valid.val() {
                    self.again.d.next = self.datapath.more.val();
                    self.state.d.next = SimpleState::EmitSpike;
                }
            }
            SimpleState::EmitSpike => {
                self.out_valid.next = true;
                if self.out_ready.val() {
                    if self.again.q.val() {
                        self.state.d.next = SimpleState::RepeatIssue;
                    } else if self.chunk.q.val() == self.last_chunk.val() {
                        self.chunk.d.next = 0.into();
                        self.state.d.next = SimpleState::EmitEos;
                    } else {
                        self.chunk.d.next = self.chunk.q.val() + 1;
                        self.state.d.next = SimpleState::SweepIssue;
                    }
                }
            }
            SimpleState::EmitEos => {
                self.out_valid.next = true;
                self.out_data.next = self.eos_beat.val();
                if self.out_ready.val() {
                    self.state.d.next = SimpleState::Ready;
                }
            }
            _ => {}
        }

        if self.reset.val() | self.start.val() {
            self.state.d.next = SimpleState::Idle;
            if self.start.val() {
                self.state.d.next = SimpleState::ClearIssue;
            }
            self.chunk.d.next = 0.into();
        }
    }
}
