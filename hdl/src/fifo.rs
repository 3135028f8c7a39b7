//! The AER FIFO between cores: address-event beats (a neuron index, or an
//! end-of-step marker) with valid/ready handshakes on both sides.
//!
//! A beat is a [`crate::stream`] beat (17 bits: bit 16 set marks the end
//! of a step, bits 15..0 are the neuron index of a spike). A beat moves when `valid && ready` at a
//! rising clock edge; the FIFO accepts while it has room (`in_ready`) and
//! offers its oldest beat (`out_valid`, `out_data`) the cycle after it
//! arrived. Nothing is lost or duplicated when either side stalls.
//!
//! ```text
//!  clock     _/‾\_/‾\_/‾\_/‾\_/‾\_
//!  in_valid  ‾‾‾‾‾‾‾‾‾‾\_________
//!  in_data   < a  >< b  >
//!  out_valid ______/‾‾‾‾‾‾‾‾‾‾\___
//!  out_ready ‾‾‾‾‾‾‾‾‾‾\____/‾‾‾‾   (consumer stalls one cycle)
//!  out_data        < a  >< b  >< b >
//! ```
//!
//! The storage is a small memory with an asynchronous read (distributed
//! RAM on FPGAs), a custom block so its depth can be chosen at generation.

use rust_hdl::prelude::*;

use crate::stream::BEAT_BITS;

/// Storage of the FIFO: one write port, one asynchronous read port.
#[derive(LogicBlock)]
pub struct BeatStore {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Write this cycle.
    pub write_enable: Signal<In, Bit>,
    /// Write pointer (its low bits address the memory).
    pub write_ptr: Signal<In, Bits<9>>,
    /// Beat to write.
    pub write_data: Signal<In, Bits<BEAT_BITS>>,
    /// Read pointer (its low bits address the memory).
    pub read_ptr: Signal<In, Bits<9>>,
    /// Beat at the read pointer.
    pub read_data: Signal<Out, Bits<BEAT_BITS>>,
    _mem: Vec<u64>,
}

impl BeatStore {
    fn new(depth: usize) -> Self {
        BeatStore {
            clock: Default::default(),
            write_enable: Default::default(),
            write_ptr: Default::default(),
            write_data: Default::default(),
            read_ptr: Default::default(),
            read_data: Default::default(),
            _mem: vec![0; depth],
        }
    }

    fn slot(&self, ptr: Bits<9>) -> usize {
        ptr.index() & (self._mem.len() - 1)
    }
}

impl Logic for BeatStore {
    fn update(&mut self) {
        if self.clock.pos_edge() && self.write_enable.val() {
            let slot = self.slot(self.write_ptr.val());
            self._mem[slot] = self.write_data.val().to_u64();
        }
        let slot = self.slot(self.read_ptr.val());
        self.read_data.next = self._mem[slot].into();
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        let depth = self._mem.len();
        let bits = depth.trailing_zeros();
        Verilog::Custom(format!(
            "\
reg [{beat_top}:0] mem [0:{last}];
always @(posedge clock) if (write_enable) mem[write_ptr[{top}:0]] <= write_data;
always @(*) read_data = mem[read_ptr[{top}:0]];
wire unused_store = &{{1'b0, write_ptr[8:{bits}], read_ptr[8:{bits}], 1'b0}};",
            beat_top = BEAT_BITS - 1,
            last = depth - 1,
            top = bits - 1,
        ))
    }
}

/// The AER FIFO.
#[derive(LogicBlock)]
pub struct AerFifo {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: empties the FIFO.
    pub reset: Signal<In, Bit>,
    /// Start of a sample: empties the FIFO.
    pub start: Signal<In, Bit>,
    /// A beat is offered.
    pub in_valid: Signal<In, Bit>,
    /// The FIFO has room.
    pub in_ready: Signal<Out, Bit>,
    /// The offered beat.
    pub in_data: Signal<In, Bits<BEAT_BITS>>,
    /// The FIFO holds a beat.
    pub out_valid: Signal<Out, Bit>,
    /// The consumer takes the beat.
    pub out_ready: Signal<In, Bit>,
    /// The oldest beat.
    pub out_data: Signal<Out, Bits<BEAT_BITS>>,
    store: BeatStore,
    write_ptr: DFF<Bits<9>>,
    read_ptr: DFF<Bits<9>>,
    /// The FIFO holds `depth` beats (registered, so that no pointer
    /// arithmetic lies between the FIFO and the producer's control).
    full: DFF<Bit>,
    /// The FIFO holds a beat (registered, for the consumer's control).
    filled: DFF<Bit>,
    /// Beats held now, from the pointers alone.
    count: Signal<Local, Bits<9>>,
    depth: Constant<Bits<9>>,
    depth_less_one: Constant<Bits<9>>,
    one: Constant<Bits<9>>,
}

impl AerFifo {
    /// A FIFO of `depth` beats (a power of two, 2..=256).
    pub fn new(depth: usize) -> Self {
        assert!(
            depth.is_power_of_two() && (2..=256).contains(&depth),
            "FIFO depth must be a power of two in 2..=256, not {depth}"
        );
        AerFifo {
            clock: Default::default(),
            reset: Default::default(),
            start: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            in_data: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_data: Default::default(),
            store: BeatStore::new(depth),
            write_ptr: Default::default(),
            read_ptr: Default::default(),
            full: Default::default(),
            filled: Default::default(),
            count: Default::default(),
            depth: Constant::new((depth as u64).into()),
            depth_less_one: Constant::new((depth as u64 - 1).into()),
            one: Constant::new(1u64.into()),
        }
    }
}

impl Logic for AerFifo {
    // The Verilog below (`hdl`) is this logic written by hand, so that the
    // status (what the FIFO offers) and the next state (what the handshakes
    // do) are separate blocks; see `hdl`.
    fn update(&mut self) {
        dff_setup!(self, clock, write_ptr, read_ptr, full, filled);
        self.store.clock.next = self.clock.val();
        // Not ready while reset or start empty the FIFO: a beat offered then
        // would be acknowledged and lost.
        self.in_ready.next = !self.full.q.val() & !self.reset.val() & !self.start.val();
        self.out_valid.next = self.filled.q.val();
        self.store.write_ptr.next = self.write_ptr.q.val();
        self.store.read_ptr.next = self.read_ptr.q.val();
        self.store.write_data.next = self.in_data.val();
        self.store.write_enable.next = false;
        self.out_data.next = self.store.read_data.val();
        let count = self.write_ptr.q.val() - self.read_ptr.q.val();
        self.count.next = count;
        let mut write_ptr = self.write_ptr.q.val();
        let mut read_ptr = self.read_ptr.q.val();
        let push = self.in_valid.val() & !self.full.q.val();
        let pop = self.out_ready.val() & self.filled.q.val();
        if push {
            self.store.write_enable.next = true;
            write_ptr = write_ptr + 1;
        }
        if pop {
            read_ptr = read_ptr + 1;
        }
        // The flags of the count a cycle on, each compared from the
        // registers and chosen by the handshakes: no adder lies between
        // a handshake and a flag.
        let (full, filled) = if push & !pop {
            (count == self.depth_less_one.val(), true)
        } else if pop & !push {
            (false, count != self.one.val())
        } else {
            (count == self.depth.val(), count.any())
        };
        self.full.d.next = full;
        self.filled.d.next = filled;
        if self.reset.val() | self.start.val() {
            self.store.write_enable.next = false;
            write_ptr = 0.into();
            read_ptr = 0.into();
            self.full.d.next = false;
            self.filled.d.next = false;
        }
        self.write_ptr.d.next = write_ptr;
        self.read_ptr.d.next = read_ptr;
    }

    fn connect(&mut self) {
        self.write_ptr.clock.connect();
        self.write_ptr.d.connect();
        self.read_ptr.clock.connect();
        self.read_ptr.d.connect();
        self.store.clock.connect();
        self.store.write_ptr.connect();
        self.store.read_ptr.connect();
        self.store.write_data.connect();
        self.store.write_enable.connect();
        self.full.clock.connect();
        self.full.d.connect();
        self.filled.clock.connect();
        self.filled.d.connect();
        self.count.connect();
        self.in_ready.connect();
        self.out_valid.connect();
        self.out_data.connect();
    }

    /// `update` in two blocks. One block per module (rust-hdl's own
    /// translation) would read `out_ready` and write `out_valid` in one
    /// block, while the consuming core's block reads `out_valid` and
    /// writes `out_ready`: a loop between blocks, though no signal depends
    /// on itself, which an event-driven simulator such as Verilator must
    /// iterate until it settles. Here the status depends only on the
    /// pointers, `reset` and `start`, and the next state reads the
    /// handshakes.
    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "\
// Status: what the FIFO offers and accepts, from registers only.
always @(*) begin
    write_ptr$clock = clock;
    read_ptr$clock = clock;
    full$clock = clock;
    filled$clock = clock;
    store$clock = clock;
    // Not ready while reset or start empty the FIFO: a beat offered then
    // would be acknowledged and lost.
    in_ready = ~full$q & ~reset & ~start;
    out_valid = filled$q;
    out_data = store$read_data;
    store$write_ptr = write_ptr$q;
    store$read_ptr = read_ptr$q;
    store$write_data = in_data;
    count = write_ptr$q - read_ptr$q;
end
// Next state: what the handshakes do.
always @(*) begin
    write_ptr$d = write_ptr$q;
    read_ptr$d = read_ptr$q;
    store$write_enable = 1'b0;
    if (in_valid & ~full$q) begin
        store$write_enable = 1'b1;
        write_ptr$d = write_ptr$q + 9'h1;
    end
    if (out_ready & filled$q) begin
        read_ptr$d = read_ptr$q + 9'h1;
    end
    // The flags a cycle on, compared from the registers and chosen by
    // the handshakes.
    if ((in_valid & ~full$q) & ~(out_ready & filled$q)) begin
        full$d = count == depth_less_one;
        filled$d = 1'b1;
    end else if (~(in_valid & ~full$q) & (out_ready & filled$q)) begin
        full$d = 1'b0;
        filled$d = count != one;
    end else begin
        full$d = count == depth;
        filled$d = |count;
    end
    if (reset | start) begin
        store$write_enable = 1'b0;
        write_ptr$d = 9'h0;
        read_ptr$d = 9'h0;
        full$d = 1'b0;
        filled$d = 1'b0;
    end
end"
            .into(),
        )
    }
}
