//! The neuron core of one layer, P processing elements wide: the control
//! that drives a [`Datapath`] from an AER input stream and serialises the
//! spikes it fires onto an AER output stream.
//!
//! * **Start** (`start`): every chunk of the neuron memory is cleared,
//!   one chunk a cycle (`C` cycles).
//! * **A spike from neuron `j`** (input beat): the core's [`Walker`] issues
//!   the spike's accumulate operations, one weight row (P synapses) into
//!   one neuron word a cycle, fully pipelined: in a dense layer row `j` of
//!   the weights into the `C` chunks, so back-to-back spikes cost exactly
//!   `C` cycles each; in a conv layer every valid kernel tap for each of
//!   the `Q` channel chunks ([`crate::walk`]). Work grows with the spikes,
//!   not with the weight matrix.
//! * **End of step** (input beat with the EOS bit): the core sweeps its
//!   chunks, one a cycle (leak, threshold, reset, fire-once in the PEs).
//!   A chunk's result (its spike mask) comes back [`RESULT_LATENCY`](crate::datapath::RESULT_LATENCY)
//!   cycles after its issue; the core keeps issuing while every result in
//!   flight has a place to go, the emitter's pending mask and three skid
//!   registers (at most four in flight or held). A chunk whose lanes fire
//!   hands its mask to the emitter, or to the skid while the emitter is
//!   busy; the emitter sends one spike a cycle, lowest neuron first, masks
//!   in chunk order. A multi-spike core and a readout core's last step
//!   wait for each result (a repeat follows its chunk; a readout's
//!   membranes must stay until they are sent). After the last chunk,
//!   every result in and every mask sent, the core sends its own EOS beat.
//!   Lane `k` of the word swept as channel chunk `q` (the sweep counts `q` mod
//!   `Q` beside the word) is neuron `base + k * plane`, where `base` steps
//!   by `P * plane` from one channel chunk to the next and by one position
//!   after the last ([`CorePlan::neuron_of`]), and travels with the sweep
//!   as its tag; a dense core has `plane = 1`
//!   and `Q = C`, so that is `c * P + k`. Its bias row is `q`'s.
//! * **Delays**: a layer with synaptic delays up to `D` keeps `S = D + 1`
//!   accumulator slots a neuron; a spike through a synapse of delay `d` in
//!   step `t` adds its weight to slot `(t + d) mod S`, and the sweep of
//!   step `t` takes and clears slot `t mod S`. The core counts the slot of
//!   the current step.
//! * **Recurrence**: a recurrent layer's core writes each spike it emits
//!   in the sweep of step `t` (but the last) to its [`SpikeList`], as
//!   source index `arrivals + j`, and in step `t + 1` replays the list into
//!   its walker before it takes any beat from its input, so each spike of
//!   neuron `j` accumulates the recurrent weight rows `c * (M + N) + M + j`
//!   like a spike from input `M + j`: `C` cycles a spike, alongside the
//!   step's feed-forward arrivals, with delay 0 (the slot of `t + 1`).
//! * **Readout** (the network's non-spiking last layer): the core never
//!   fires; in the last step its sweep hands every lane holding a neuron to
//!   the emitter, and each beat carries that neuron's final membrane on
//!   `out_value`, lowest neuron first, before the EOS beat.
//!
//! ```text
//!  clock      _/‾\_/‾\_/‾\_/‾\_/‾\_/‾\_/‾\_/‾\_/‾\_/‾\_/‾\_
//!  in beat    <EOS >
//!  op               <SW0 ><SW1 ><SW2 >              (C = 3, P = 4)
//!  fired                                    < 0  ><0101>< 0  >
//!  out beat                                             < n4 >< n6 ><EOS >
//! ```
//!
//! (Chunk 1's lanes 0 and 2, neurons 4 and 6, fire. Each result shows
//! four cycles after its issue; the three sweeps issue back to back.)

use std::sync::Arc;

use rust_hdl::prelude::*;

use crate::datapath::Datapath;
use crate::lowest_set_bit::LowestSetBit;
use crate::plan::CorePlan;
use crate::spike_list::SpikeList;
use crate::stream::{BEAT_BITS, EOS_BEAT, NEURON_BITS};
use crate::walk::Walker;

/// What a core is doing.
#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
pub enum CoreMode {
    /// After reset, before the first `start`.
    Idle,
    /// Zeroing the neuron memory.
    Clear,
    /// Taking input beats and accumulating spikes.
    Run,
    /// End-of-step sweep and spike emission.
    Sweep,
}

/// The P-wide, pipelined neuron core.
#[derive(LogicBlock)]
pub struct Core {
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
    /// A readout core: the membrane of the neuron of the offered beat
    /// (two's complement, sign-extended); zero otherwise.
    pub out_value: Signal<Out, Bits<32>>,
    datapath: Datapath,
    encoder: LowestSetBit,
    walker: Walker,
    list: SpikeList,
    /// Entries written to the spike list in this step's sweep.
    list_count: DFF<Bits<16>>,
    /// Entries of the spike list replayed so far.
    list_read: DFF<Bits<16>>,
    /// The spike list has spikes left to replay.
    replay: Signal<Local, Bit>,
    /// A recurrent core (synthesis drops the list's logic otherwise).
    recurrent: Constant<Bit>,
    /// The first source index of the replayed spikes (`arrivals`).
    list_base: Constant<Bits<16>>,
    mode: DFF<CoreMode>,
    chunk: DFF<Bits<32>>,
    /// Channel chunk `q` of the word the sweep issues next.
    sweep_q: DFF<Bits<16>>,
    /// Sweeps and repeats issued whose results have not arrived.
    flight: DFF<Bits<4>>,
    /// A result arrives this cycle (`fired_valid` of an operation of this
    /// sample).
    arrive: Signal<Local, Bit>,
    /// The arriving result has spikes.
    spiking: Signal<Local, Bit>,
    /// Results in flight and masks held (pending or in a skid) at the
    /// end of this cycle, before any issue.
    load: Signal<Local, Bits<4>>,
    /// The control may issue a sweep or a repeat (or end the step) now.
    may_issue: Signal<Local, Bit>,
    /// A sweep or a repeat is issued this cycle.
    issued: Signal<Local, Bit>,
    /// Masks that arrived while the emitter was busy (up to three), with
    /// their bases and one-lane flags, held in a ring of three places:
    /// a mask stays in its place until the emitter takes it, so no place
    /// shifts and what a place loads depends on one write enable alone.
    skids: DFF<Bits<2>>,
    /// The place the next held mask goes to (0 to 2).
    held_in: DFF<Bits<2>>,
    /// The place of the oldest held mask (0 to 2).
    held_out: DFF<Bits<2>>,
    skid0_mask: DFF<Bits<64>>,
    skid0_base: DFF<Bits<16>>,
    skid0_single: DFF<Bit>,
    skid1_mask: DFF<Bits<64>>,
    skid1_base: DFF<Bits<16>>,
    skid1_single: DFF<Bit>,
    skid2_mask: DFF<Bits<64>>,
    skid2_base: DFF<Bits<16>>,
    skid2_single: DFF<Bit>,
    /// The emitter takes the oldest held mask this cycle.
    pop: Signal<Local, Bit>,
    /// The arriving mask goes to a skid.
    push: Signal<Local, Bit>,
    /// Sweeps issue before the previous one's result is back (a
    /// one-spike core; a readout core except in its last step).
    overlap: Constant<Bit>,
    readout: Constant<Bit>,
    /// The chunk swept last has spikes left (multi-spike): repeat it next.
    again: DFF<Bit>,
    /// The neuron base of the chunk to repeat.
    again_base: DFF<Bits<16>>,
    issue_base: DFF<Bits<16>>,
    pending: DFF<Bits<64>>,
    pending_base: DFF<Bits<16>>,
    /// The pending mask has a lane set (a register, so that `room` and
    /// `out_valid` need no OR over the mask).
    busy: DFF<Bit>,
    eos_pending: DFF<Bit>,
    step: DFF<Bits<32>>,
    slot: DFF<Bits<16>>,
    accept: Signal<Local, Bit>,
    room: Signal<Local, Bit>,
    pending_rest: Signal<Local, Bits<64>>,
    /// The pending mask has at most one lane set (registered, so that
    /// `room` needs no carry chain over the mask).
    pending_single: DFF<Bit>,
    /// The mask after this cycle's spike has at most one lane set.
    rest_single: Signal<Local, Bit>,
    /// The arriving mask has at most one lane set.
    fired_single: Signal<Local, Bit>,
    /// The core's `P` lanes: the masks' bits above them are constant zero
    /// (so synthesis keeps no flip-flop and no carry chain for them).
    lane_mask: Constant<Bits<64>>,
    chunks: Constant<Bits<32>>,
    last_chunk: Constant<Bits<32>>,
    last_q: Constant<Bits<16>>,
    /// A conv core: bias rows and neuron bases follow the channel chunk.
    maps: Constant<Bit>,
    bias_base: Constant<Bits<32>>,
    /// Neuron base from one channel chunk to the next, `P * plane`.
    base_step: Constant<Bits<16>>,
    /// Neuron base from the last channel chunk to the next position,
    /// `1 - (Q - 1) * P * plane` (mod 2^16).
    base_wrap: Constant<Bits<16>>,
    eos_beat: Constant<Bits<BEAT_BITS>>,
    last_step: Constant<Bits<32>>,
    last_slot: Constant<Bits<16>>,
}

impl Core {
    /// The core of `plan`.
    pub fn new(plan: Arc<CorePlan>) -> Self {
        let c = |v: usize| Constant::new((v as u64).into());
        Core {
            clock: Default::default(),
            reset: Default::default(),
            start: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            in_data: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_data: Default::default(),
            out_value: Default::default(),
            encoder: LowestSetBit::new(plan.lanes, plan.plane),
            walker: Walker::new(&plan),
            list: SpikeList::new(plan.spike_list_depth(), plan.spike_list_entry_bits()),
            list_count: Default::default(),
            list_read: Default::default(),
            replay: Default::default(),
            recurrent: Constant::new(plan.recurrent.is_some()),
            list_base: Constant::new((plan.arrivals as u64 & 0xffff).into()),
            mode: Default::default(),
            chunk: Default::default(),
            sweep_q: Default::default(),
            flight: Default::default(),
            arrive: Default::default(),
            spiking: Default::default(),
            load: Default::default(),
            may_issue: Default::default(),
            issued: Default::default(),
            skids: Default::default(),
            held_in: Default::default(),
            held_out: Default::default(),
            skid0_mask: Default::default(),
            skid0_base: Default::default(),
            skid0_single: Default::default(),
            skid1_mask: Default::default(),
            skid1_base: Default::default(),
            skid1_single: Default::default(),
            skid2_mask: Default::default(),
            skid2_base: Default::default(),
            skid2_single: Default::default(),
            pop: Default::default(),
            push: Default::default(),
            overlap: Constant::new(plan.max_spikes == 1),
            readout: Constant::new(plan.readout),
            again: Default::default(),
            again_base: Default::default(),
            issue_base: Default::default(),
            pending: Default::default(),
            pending_base: Default::default(),
            busy: Default::default(),
            eos_pending: Default::default(),
            step: Default::default(),
            slot: Default::default(),
            accept: Default::default(),
            room: Default::default(),
            pending_rest: Default::default(),
            pending_single: Default::default(),
            rest_single: Default::default(),
            fired_single: Default::default(),
            lane_mask: Constant::new(
                (if plan.lanes >= 64 {
                    u64::MAX
                } else {
                    (1u64 << plan.lanes) - 1
                })
                .into(),
            ),
            chunks: c(plan.chunks),
            last_chunk: c(plan.chunks - 1),
            last_q: Constant::new(((plan.channel_chunks - 1) as u64).into()),
            maps: Constant::new(plan.conv.is_some()),
            bias_base: c(plan.bias_base()),
            base_step: Constant::new(((plan.lanes * plan.plane) as u64 & 0xffff).into()),
            base_wrap: Constant::new(
                (1u64.wrapping_sub(((plan.channel_chunks - 1) * plan.lanes * plan.plane) as u64)
                    & 0xffff)
                    .into(),
            ),
            eos_beat: Constant::new(EOS_BEAT.into()),
            last_step: c(plan.time_steps.saturating_sub(1) as usize),
            last_slot: Constant::new(u64::from(plan.lane.slots - 1).into()),
            datapath: Datapath::new(plan),
        }
    }

    /// The datapath (tests read its neuron memory).
    pub fn datapath(&self) -> &Datapath {
        &self.datapath
    }
}

impl Logic for Core {
    #[hdl_gen]
    fn update(&mut self) {
        #[rustfmt::skip] // One line a flip-flop would make the kernel long.
        dff_setup!(self, clock, mode, chunk, sweep_q, flight, skids, held_in, held_out, skid0_mask,
            skid0_base, skid0_single, skid1_mask, skid1_base, skid1_single, skid2_mask,
            skid2_base, skid2_single, again,
            again_base, issue_base, pending, pending_base, busy,
            pending_single, eos_pending,
            step, slot, list_count, list_read);
        self.datapath.clock.next = self.clock.val();
        self.walker.clock.next = self.clock.val();
        self.walker.clear.next = self.reset.val() | self.start.val();
        self.walker.load.next = false;
        self.walker.neuron.next = self.in_data.val().get_bits::<NEURON_BITS>(0);
        self.list.clock.next = self.clock.val();
        self.list.write_enable.next = false;
        self.list.write_addr.next = self.list_count.q.val();
        self.list.write_data.next =
            self.list_base.val() + self.pending_base.q.val() + self.encoder.offset.val();
        self.list.read_addr.next = self.list_read.q.val();
        self.replay.next =
            self.recurrent.val() & (self.list_read.q.val() != self.list_count.q.val());
        self.datapath.op.next = 0.into(); // Op::Idle
        self.datapath.chunk.next = self.chunk.q.val();
        self.datapath.weight_addr.next = self.walker.weight_addr.val();
        self.datapath.final_step.next = self.step.q.val() == self.last_step.val();
        self.datapath.slot.next = self.slot.q.val();
        self.datapath.tag.next = self.issue_base.q.val();
        self.arrive.next = self.datapath.fired_valid.val() & self.flight.q.val().any();
        self.spiking.next = self.arrive.val() & self.datapath.fired_any.val().any();
        self.issued.next = false;
        self.may_issue.next = false;
        // Every local gets a value on every path (no latches).
        self.load.next = 0.into();
        self.pop.next = false;
        self.push.next = false;
        self.datapath.value_lane.next = self.encoder.index.val();
        self.out_value.next = 0.into();
        self.in_ready.next = false;
        self.accept.next = false;

        // Emitter: the pending mask's lowest lane first, then EOS.
        self.encoder.mask.next = self.pending.q.val();
        self.pending_rest.next =
            self.pending.q.val() & (self.pending.q.val() - 1) & self.lane_mask.val();
        self.rest_single.next = !(self.pending_rest.val() & (self.pending_rest.val() - 1)).any();
        self.fired_single.next =
            !(self.datapath.fired.val() & (self.datapath.fired.val() - 1)).any();
        self.out_valid.next = self.busy.q.val() | self.eos_pending.q.val();
        self.out_data.next = self.eos_beat.val();
        if self.busy.q.val() {
            self.out_data.next = bit_cast::<BEAT_BITS, NEURON_BITS>(
                self.pending_base.q.val() + self.encoder.offset.val(),
            );
            self.out_value.next = self.datapath.value.val();
        }
        if self.out_ready.val() & self.busy.q.val() {
            self.pending.d.next = self.pending_rest.val();
            self.pending_single.d.next = self.rest_single.val();
            self.busy.d.next = !self.pending_single.q.val();
            // A recurrent core keeps the spike for the next step (the
            // last step's spikes reach no step).
            if self.recurrent.val() & (self.step.q.val() != self.last_step.val()) {
                self.list.write_enable.next = true;
                self.list_count.d.next = self.list_count.q.val() + 1;
            }
        }
        if self.out_ready.val() & !self.busy.q.val() & self.eos_pending.q.val() {
            self.eos_pending.d.next = false;
        }
        // The pending mask is empty at the end of this cycle.
        self.room.next = !self.busy.q.val() | (self.out_ready.val() & self.pending_single.q.val());

        match self.mode.q.val() {
            CoreMode::Idle => {}
            CoreMode::Clear => {
                // A start in the middle of a sweep leaves its results in
                // flight: the core clears the last chunk again (a clear
                // reads nothing) until they are in, so none of them is
                // taken for a result of the new sample.
                self.datapath.op.next = 3.into(); // Op::Clear
                self.chunk.d.next = self.chunk.q.val() + 1;
                if self.chunk.q.val() == self.last_chunk.val() {
                    self.chunk.d.next = self.chunk.q.val();
                    if !self.flight.q.val().any() {
                        self.mode.d.next = CoreMode::Run;
                        self.chunk.d.next = 0.into();
                    }
                }
            }
            CoreMode::Run => {
                if self.walker.issue.val() {
                    self.datapath.op.next = 1.into(); // Op::Accumulate
                    self.datapath.chunk.next = self.walker.word.val();
                }
                self.accept.next = self.walker.ready.val() & !self.eos_pending.q.val();
                self.in_ready.next = self.accept.val() & !self.replay.val();
                if self.replay.val() {
                    // The previous step's own spikes go first: the step's
                    // EOS beat cannot be taken before they are all in.
                    self.walker.neuron.next = self.list.read_data.val();
                    if self.accept.val() {
                        self.walker.load.next = true;
                        self.list_read.d.next = self.list_read.q.val() + 1;
                    }
                } else if self.in_valid.val() & self.accept.val() {
                    // Bit 16 is stream::EOS_BIT (a kernel takes only literals).
                    if self.in_data.val().get_bit(16) {
                        self.mode.d.next = CoreMode::Sweep;
                        if self.recurrent.val() {
                            self.list_count.d.next = 0.into();
                            self.list_read.d.next = 0.into();
                        }
                        self.chunk.d.next = 0.into();
                        self.sweep_q.d.next = 0.into();
                        self.issue_base.d.next = 0.into();
                    } else {
                        self.walker.load.next = true;
                    }
                }
            }
            CoreMode::Sweep => {
                // A dense core's channel chunks are its chunks: its bias row
                // is the chunk's (and synthesis drops `sweep_q`).
                self.datapath.weight_addr.next = self.bias_base.val() + self.chunk.q.val();
                if self.maps.val() {
                    self.datapath.weight_addr.next =
                        self.bias_base.val() + bit_cast::<32, 16>(self.sweep_q.q.val());
                }
                // A result arrives: a multi-spike chunk with spikes left is
                // repeated (it has fired, so its mask goes out first).
                if self.arrive.val() & self.datapath.more.val() {
                    self.again.d.next = true;
                    self.again_base.d.next = self.datapath.fired_tag.val();
                }
                // Masks go to the emitter in the order of their sweeps: the
                // held ones first, then one arriving.
                self.pop.next = self.room.val() & self.skids.q.val().any();
                self.push.next =
                    self.spiking.val() & !(self.room.val() & !self.skids.q.val().any());
                if self.pop.val() {
                    if self.held_out.q.val() == 0 {
                        self.pending.d.next = self.skid0_mask.q.val();
                        self.pending_base.d.next = self.skid0_base.q.val();
                        self.pending_single.d.next = self.skid0_single.q.val();
                    } else if self.held_out.q.val() == 1 {
                        self.pending.d.next = self.skid1_mask.q.val();
                        self.pending_base.d.next = self.skid1_base.q.val();
                        self.pending_single.d.next = self.skid1_single.q.val();
                    } else {
                        self.pending.d.next = self.skid2_mask.q.val();
                        self.pending_base.d.next = self.skid2_base.q.val();
                        self.pending_single.d.next = self.skid2_single.q.val();
                    }
                    self.busy.d.next = true;
                    self.held_out.d.next = self.held_out.q.val() + 1;
                    if self.held_out.q.val() == 2 {
                        self.held_out.d.next = 0.into();
                    }
                    self.skids.d.next = self.skids.q.val() - 1;
                } else if self.spiking.val() & !self.push.val() {
                    self.pending.d.next = self.datapath.fired.val();
                    self.pending_base.d.next = self.datapath.fired_tag.val();
                    self.pending_single.d.next = self.fired_single.val();
                    self.busy.d.next = true;
                }
                if self.push.val() {
                    // Into the ring's next place; a mask is never pushed
                    // while three are held (at most four in flight or held).
                    if self.held_in.q.val() == 0 {
                        self.skid0_mask.d.next = self.datapath.fired.val();
                        self.skid0_base.d.next = self.datapath.fired_tag.val();
                        self.skid0_single.d.next = self.fired_single.val();
                    }
                    if self.held_in.q.val() == 1 {
                        self.skid1_mask.d.next = self.datapath.fired.val();
                        self.skid1_base.d.next = self.datapath.fired_tag.val();
                        self.skid1_single.d.next = self.fired_single.val();
                    }
                    if self.held_in.q.val() == 2 {
                        self.skid2_mask.d.next = self.datapath.fired.val();
                        self.skid2_base.d.next = self.datapath.fired_tag.val();
                        self.skid2_single.d.next = self.fired_single.val();
                    }
                    self.held_in.d.next = self.held_in.q.val() + 1;
                    if self.held_in.q.val() == 2 {
                        self.held_in.d.next = 0.into();
                    }
                    self.skids.d.next = self.skids.q.val() + 1;
                    if self.pop.val() {
                        self.skids.d.next = self.skids.q.val();
                    }
                }
                // Issue while every result in flight has a place to go
                // (the pending mask and the three skids): at most four in
                // flight or held, so sweeps issue back to back. A multi-spike core and a readout core's last
                // step wait for each result (a repeat follows its chunk;
                // the membranes shown must stay until they are sent).
                self.load.next = self.flight.q.val();
                self.load.next = self.load.val() + bit_cast::<4, 2>(self.skids.q.val());
                if !self.room.val() {
                    self.load.next = self.load.val() + 1;
                }
                if self.spiking.val() {
                    self.load.next = self.load.val() + 1;
                }
                if self.arrive.val() {
                    self.load.next = self.load.val() - 1;
                }
                if self.overlap.val() & !(self.readout.val() & self.datapath.final_step.val()) {
                    self.may_issue.next = self.load.val() < 4;
                } else {
                    self.may_issue.next = !self.load.val().any();
                }
                if self.may_issue.val() {
                    if self.again.q.val() {
                        self.datapath.op.next = 4.into(); // Op::Repeat
                        self.datapath.chunk.next = self.chunk.q.val() - 1;
                        self.datapath.tag.next = self.again_base.q.val();
                        self.issued.next = true;
                        self.again.d.next = false;
                    } else if self.chunk.q.val() == self.chunks.val() {
                        // Every result is in and every mask sent.
                        if !self.load.val().any() {
                            self.eos_pending.d.next = true;
                            self.step.d.next = self.step.q.val() + 1;
                            self.slot.d.next = self.slot.q.val() + 1;
                            if self.slot.q.val() == self.last_slot.val() {
                                self.slot.d.next = 0.into();
                            }
                            self.mode.d.next = CoreMode::Run;
                            self.chunk.d.next = 0.into();
                        }
                    } else {
                        self.datapath.op.next = 2.into(); // Op::Sweep
                        self.chunk.d.next = self.chunk.q.val() + 1;
                        self.issued.next = true;
                        self.sweep_q.d.next = self.sweep_q.q.val() + 1;
                        self.issue_base.d.next = self.issue_base.q.val() + self.base_step.val();
                        if self.maps.val() & (self.sweep_q.q.val() == self.last_q.val()) {
                            self.sweep_q.d.next = 0.into();
                            self.issue_base.d.next = self.issue_base.q.val() + self.base_wrap.val();
                        }
                    }
                }
            }
            _ => {}
        }
        if self.issued.val() & !self.arrive.val() {
            self.flight.d.next = self.flight.q.val() + 1;
        }
        if !self.issued.val() & self.arrive.val() {
            self.flight.d.next = self.flight.q.val() - 1;
        }

        if self.reset.val() | self.start.val() {
            // Nothing issues under reset, which forgets what is in flight.
            if self.reset.val() {
                self.datapath.op.next = 0.into(); // Op::Idle
            }
            self.mode.d.next = CoreMode::Idle;
            if self.start.val() {
                self.mode.d.next = CoreMode::Clear;
            }
            self.chunk.d.next = 0.into();
            self.sweep_q.d.next = 0.into();
            // Results in flight at a start still arrive (see Clear).
            if self.reset.val() {
                self.flight.d.next = 0.into();
            }
            self.skids.d.next = 0.into();
            self.held_in.d.next = 0.into();
            self.held_out.d.next = 0.into();
            self.again.d.next = false;
            self.pending.d.next = 0.into();
            self.busy.d.next = false;
            self.pending_single.d.next = true;
            self.eos_pending.d.next = false;
            self.step.d.next = 0.into();
            self.slot.d.next = 0.into();
            // Only a recurrent core assigns the list's counters, so
            // synthesis removes them from every other core.
            if self.recurrent.val() {
                self.list_count.d.next = 0.into();
                self.list_read.d.next = 0.into();
            }
        }
    }
}
