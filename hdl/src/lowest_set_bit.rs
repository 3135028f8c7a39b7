//! A priority encoder: the index of the lowest set bit of a core's
//! fired-lane mask. The core uses it to turn a chunk's mask into spike
//! addresses, lowest neuron first. The mask port is 64 bits wide (the
//! widest core), but only the core's `lanes` low bits can ever be set, so
//! the encoder looks at those alone: a one-lane core needs no logic at all,
//! and a simulator does not walk 64 bits every cycle.
//!
//! It also gives the lane's neuron offset, `index * stride`: lanes of a
//! dense core are consecutive neurons (stride 1), those of a conv core are
//! output channels, one plane of neurons apart (rust-hdl's kernels do not
//! multiply).
//!
//! rust-hdl's kernels cannot assign a loop index to a signal without a
//! width mismatch in the Verilog, so this is a custom block: a Rust model
//! (`trailing_zeros`) and a Verilog loop.

use rust_hdl::prelude::*;

/// Lowest-set-bit encoder over the low `lanes` bits of its mask.
#[derive(LogicBlock)]
pub struct LowestSetBit {
    /// The mask (bits at and above `lanes` are ignored).
    pub mask: Signal<In, Bits<64>>,
    /// Index of its lowest set bit; 0 when no bit below `lanes` is set.
    pub index: Signal<Out, Bits<16>>,
    /// `index * stride`: the neuron offset of that lane in its word.
    pub offset: Signal<Out, Bits<16>>,
    _lanes: usize,
    _stride: usize,
}

impl LowestSetBit {
    /// An encoder of a `lanes`-bit mask, `1..=64`, whose lanes are
    /// `stride` neurons apart.
    pub fn new(lanes: usize, stride: usize) -> Self {
        assert!(
            (1..=64).contains(&lanes),
            "lanes must be 1..=64, not {lanes}"
        );
        LowestSetBit {
            mask: Default::default(),
            index: Default::default(),
            offset: Default::default(),
            _lanes: lanes,
            _stride: stride,
        }
    }
}

impl Logic for LowestSetBit {
    fn update(&mut self) {
        let mut mask = self.mask.val().to_u64();
        if self._lanes < 64 {
            mask &= (1u64 << self._lanes) - 1;
        }
        let index = if mask == 0 { 0 } else { mask.trailing_zeros() };
        self.index.next = u64::from(index).into();
        let offset = (u64::from(index) * self._stride as u64) & 0xffff;
        self.offset.next = offset.into();
    }

    fn connect(&mut self) {
        self.index.connect();
        self.offset.connect();
    }

    fn hdl(&self) -> Verilog {
        // Mask bits at and above `lanes` are never set (and a one-lane
        // core needs none); reading them into an unused wire tells the
        // linter so.
        let first_unused = self._lanes;
        let unused = if first_unused < 64 {
            format!("\nwire unused_mask = &{{1'b0, mask[63:{first_unused}], 1'b0}};")
        } else {
            String::new()
        };
        let offset = if self._stride == 1 {
            "\nalways @(*) offset = index;".to_owned()
        } else {
            format!("\nalways @(*) offset = index * 16'd{};", self._stride)
        };
        let unused = offset + &unused;
        if self._lanes == 1 {
            // The answer is always 0, but the block reads mask[0]: an
            // `always @(*)` that reads no signal never runs in an
            // event-driven simulator (iverilog leaves `index` at x).
            return Verilog::Custom(format!(
                "always @(*) index = mask[0] ? 16'd0 : 16'd0;{unused}"
            ));
        }
        Verilog::Custom(format!(
            "\
integer k;
always @(*) begin
  index = 16'd0;
  for (k = {}; k >= 0; k = k - 1)
    if (mask[k]) index = k[15:0];
end{unused}",
            self._lanes - 1
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_lowest_set_bit() {
        for (lanes, mask, want) in [
            (64, 0u64, 0u64),
            (64, 1, 0),
            (64, 0b1000, 3),
            (64, 0b1010, 1),
            (64, 1 << 63, 63),
            (4, 0b1000, 3),
            (3, 0b1000, 0),
            (3, 0b1100, 2),
            (1, 0b10, 0),
        ] {
            let mut enc = LowestSetBit::new(lanes, 1);
            enc.connect_all();
            enc.mask.next = mask.into();
            simulate(&mut enc, 10);
            assert_eq!(
                enc.index.val().to_u64(),
                want,
                "{lanes} lanes, mask {mask:#b}"
            );
        }
    }

    #[test]
    fn verilog_walks_only_the_lanes() {
        let Verilog::Custom(v) = LowestSetBit::new(5, 1).hdl() else {
            panic!("a custom block")
        };
        assert!(v.contains("for (k = 4; k >= 0;"), "{v}");
        let Verilog::Custom(v) = LowestSetBit::new(1, 1).hdl() else {
            panic!("a custom block")
        };
        assert!(
            v.starts_with("always @(*) index = mask[0] ? 16'd0 : 16'd0;"),
            "{v}"
        );
        assert!(v.contains("mask[63:1]"), "{v}");
    }
}
