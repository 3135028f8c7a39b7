//! A priority encoder: the index of the lowest set bit of a 64-bit mask.
//! The core uses it to turn a chunk's fired-lane mask into spike addresses,
//! lowest neuron first.
//!
//! rust-hdl's kernels cannot assign a loop index to a signal without a
//! width mismatch in the Verilog, so this is a custom block: a Rust model
//! (`trailing_zeros`) and a Verilog loop.

use rust_hdl::prelude::*;

/// Lowest-set-bit encoder.
#[derive(LogicBlock, Default)]
pub struct LowestSetBit {
    /// The mask.
    pub mask: Signal<In, Bits<64>>,
    /// Index of its lowest set bit; 0 when the mask is zero.
    pub index: Signal<Out, Bits<16>>,
}

impl Logic for LowestSetBit {
    fn update(&mut self) {
        let mask = self.mask.val().to_u64();
        let index = if mask == 0 { 0 } else { mask.trailing_zeros() };
        self.index.next = u64::from(index).into();
    }

    fn connect(&mut self) {
        self.index.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "\
integer k;
always @(*) begin
  index = 16'd0;
  for (k = 63; k >= 0; k = k - 1)
    if (mask[k]) index = k[15:0];
end"
            .into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_lowest_set_bit() {
        let mut enc = LowestSetBit::default();
        enc.connect_all();
        for (mask, want) in [
            (0u64, 0u64),
            (1, 0),
            (0b1000, 3),
            (0b1010, 1),
            (1 << 63, 63),
        ] {
            enc.mask.next = mask.into();
            simulate(&mut enc, 10);
            assert_eq!(enc.index.val().to_u64(), want, "mask {mask:#b}");
        }
    }
}
