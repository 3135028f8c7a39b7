//! A recurrent core's spike list: the spikes the layer fires in the sweep
//! of step `t`, kept so that the core replays each one into its own
//! neurons in step `t + 1` ([`crate::core`], docs/hardware.md).
//!
//! Each entry holds a *source index* of the core's walker, `arrivals + j`
//! for a spike of the layer's neuron `j`, so the replay costs no adder.
//! The list is written in order while the sweep emits (one entry a
//! spike, at most `N * max_spikes` a step) and read back in order in the
//! next step, so it is a plain memory with a write and a read address
//! the core counts; it is never read and written in the same step.
//!
//! The storage reads asynchronously (distributed RAM on FPGAs, like the
//! AER FIFO's), so the entry at the read address is there in the cycle
//! the walker takes it. A core without recurrence has a list of no
//! entries, which is no memory at all.

use rust_hdl::prelude::*;

use crate::datapath::address_bits;

/// The spike list: one write port, one asynchronous read port.
#[derive(LogicBlock)]
pub struct SpikeList {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Write this cycle.
    pub write_enable: Signal<In, Bit>,
    /// Entry written.
    pub write_addr: Signal<In, Bits<16>>,
    /// Source index to write.
    pub write_data: Signal<In, Bits<16>>,
    /// Entry read.
    pub read_addr: Signal<In, Bits<16>>,
    /// The source index at the read address (0 in a list of no entries).
    pub read_data: Signal<Out, Bits<16>>,
    _mem: Vec<u64>,
    /// Bits an entry keeps (the core's source indices need no more).
    _bits: u32,
}

impl SpikeList {
    /// A list of `depth` entries of `bits` bits.
    pub fn new(depth: usize, bits: u32) -> Self {
        SpikeList {
            clock: Default::default(),
            write_enable: Default::default(),
            write_addr: Default::default(),
            write_data: Default::default(),
            read_addr: Default::default(),
            read_data: Default::default(),
            _mem: vec![0; depth],
            _bits: bits,
        }
    }
}

impl Logic for SpikeList {
    fn update(&mut self) {
        let mask = (1u64 << self._bits) - 1;
        if self.clock.pos_edge() && self.write_enable.val() {
            if let Some(entry) = self._mem.get_mut(self.write_addr.val().index()) {
                *entry = self.write_data.val().to_u64() & mask;
            }
        }
        let value = self
            ._mem
            .get(self.read_addr.val().index())
            .copied()
            .unwrap_or(0);
        self.read_data.next = value.into();
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        let depth = self._mem.len();
        if depth == 0 {
            return Verilog::Custom(
                "\
always @(*) read_data = 16'd0;
wire unused_list = &{1'b0, clock, write_enable, write_addr, write_data, read_addr, 1'b0};"
                    .to_owned(),
            );
        }
        let (ab, db) = (address_bits(depth), self._bits);
        let pad = if db < 16 {
            format!("{}'d0, ", 16 - db)
        } else {
            String::new()
        };
        let unused_addr = if ab < 16 {
            format!("write_addr[15:{ab}], read_addr[15:{ab}], ")
        } else {
            String::new()
        };
        let unused_data = if db < 16 {
            format!("write_data[15:{db}], ")
        } else {
            String::new()
        };
        Verilog::Custom(format!(
            "\
reg [{dt}:0] mem [0:{last}];
always @(posedge clock) if (write_enable) mem[write_addr[{at}:0]] <= write_data[{dt}:0];
always @(*) read_data = {{{pad}mem[read_addr[{at}:0]]}};
wire unused_list = &{{1'b0, {unused_addr}{unused_data}1'b0}};",
            dt = db - 1,
            last = depth - 1,
            at = ab - 1,
        ))
    }
}
