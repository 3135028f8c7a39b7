//! The AER spike stream every block passes on: the layout of a beat and
//! its valid/ready handshake, declared once for the FIFO
//! ([`crate::fifo::AerFifo`]), the cores ([`crate::core::Core`],
//! [`crate::simple_core::SimpleCore`]) and the top ([`crate::top`]).
//!
//! A stream is three signals: `valid` (the sender offers a beat), `ready`
//! (the receiver takes it) and the beat, which moves on a rising edge where
//! `valid && ready`. Inside the design a beat is [`BEAT_BITS`] wide: bit
//! [`EOS_BIT`] set marks the end of a time step (the beat carries no
//! spike), and bits `NEURON_BITS-1..0` are the neuron index of a spike. At
//! the top the beat is split into its fields (`in_eos`, `in_neuron`,
//! docs/hardware.md, section 2).
//!
//! **Why no `LogicInterface`.** rust-hdl could bundle the three signals as
//! one interface struct, but it names an interface's signals with `$`
//! (`in$valid`, `in$data`), which would rename every port of every FIFO
//! and core in the generated Verilog, and the Verilog must stay as it is
//! (its snapshots, and every report and waveform that names those
//! signals). So the blocks keep their flat `in_valid`/`in_ready`/`in_data`
//! and `out_valid`/`out_ready`/`out_data` ports, and what they share is
//! this module: the beat's width and fields, for the Rust simulation and
//! for the Verilog the top writes by hand.
//!
//! The cores' `#[hdl_gen]` kernels must still write the EOS bit as the
//! literal `16` (`in_data.val().get_bit(16)`): rust-hdl translates a kernel
//! to Verilog from its source text and takes only literals for a bit index
//! (a named constant would become a signal name). The tests of
//! `hdl/tests/simple_core.rs`, which drive the cores with beats built from
//! this module, would fail if the two disagreed.

use rust_hdl::prelude::*;

pub use crate::plan::NEURON_BITS;

/// Bit of a beat that marks the end of a step (above the neuron index).
pub const EOS_BIT: usize = NEURON_BITS;
/// Width of a beat inside the design: the neuron index and the EOS bit.
pub const BEAT_BITS: usize = NEURON_BITS + 1;
/// The end-of-step beat (no spike, neuron bits zero).
pub const EOS_BEAT: u64 = 1 << EOS_BIT;

/// The beat with end-of-step flag `eos` and neuron index `neuron`.
pub fn beat(eos: bool, neuron: Bits<NEURON_BITS>) -> Bits<BEAT_BITS> {
    let eos = if eos { EOS_BEAT } else { 0 };
    (eos | neuron.to_u64()).into()
}

/// The neuron index of `beat`.
pub fn neuron(beat: Bits<BEAT_BITS>) -> Bits<NEURON_BITS> {
    beat.get_bits::<NEURON_BITS>(0)
}

/// Whether `beat` ends a step.
pub fn is_eos(beat: Bits<BEAT_BITS>) -> bool {
    beat.get_bit(EOS_BIT)
}

/// Verilog for the beat packed from the expressions `eos` and `neuron`
/// (the inverse of [`verilog_neuron`] and [`verilog_eos`]).
pub fn verilog_beat(eos: &str, neuron: &str) -> String {
    format!("{{{eos}, {neuron}}}")
}

/// Verilog for the neuron index of the beat signal `beat`.
pub fn verilog_neuron(beat: &str) -> String {
    format!("{beat}[{}:0]", NEURON_BITS - 1)
}

/// Verilog for the end-of-step flag of the beat signal `beat`.
pub fn verilog_eos(beat: &str) -> String {
    format!("{beat}[{EOS_BIT}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_beat_packs_and_unpacks() {
        for (eos, n) in [(false, 0u64), (false, 0xffff), (true, 0), (true, 1234)] {
            let b = beat(eos, n.into());
            assert_eq!(is_eos(b), eos);
            assert_eq!(neuron(b).to_u64(), n);
        }
        assert_eq!(beat(true, 0.into()).to_u64(), EOS_BEAT);
        assert_eq!(verilog_beat("e", "n"), "{e, n}");
        assert_eq!(verilog_neuron("d"), "d[15:0]");
        assert_eq!(verilog_eos("d"), "d[16]");
    }
}
