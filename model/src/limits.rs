//! Limits on sizes. They are far above any network an FPGA can hold and
//! exist so that a hostile file cannot make spikegate allocate without end.

/// Most time steps in one sample.
pub const MAX_TIME_STEPS: u32 = 1_000_000;
/// Most neurons in the input or in one layer.
pub const MAX_LAYER_SIZE: usize = 1 << 20;
/// Most layers in one network.
pub const MAX_LAYERS: usize = 64;
/// Most synapses in the whole network.
pub const MAX_SYNAPSES: usize = 1 << 27;
/// Narrowest and widest value widths, in bits.
pub const WIDTHS: std::ops::RangeInclusive<u32> = 2..=32;
/// Most fraction bits of a fixed-point coefficient.
pub const MAX_FRAC_BITS: u32 = 16;
/// Width of the signed coefficient `a` of `adlif` (an 18-bit multiplier
/// operand, the DSP width of common FPGAs).
pub const COEFF_WIDTH: u32 = 18;
/// Most spikes one neuron fires in one step (`max_spikes`).
pub const MAX_SPIKES_PER_STEP: u32 = 255;
/// Largest `weight_shift`: a weight worth `2^32` state units.
pub const MAX_WEIGHT_SHIFT: u32 = 32;
/// Largest per-synapse delay, in steps.
pub const MAX_DELAY: u32 = 4096;
/// Most delay-slot accumulators of one layer, `(D_max + 1) x neurons`:
/// the reference (and the hardware) keep one sum per slot and neuron.
pub const MAX_DELAY_SLOTS: usize = 1 << 26;
