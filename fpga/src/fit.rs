//! Does a planned design fit a board's block RAM? Checked before any
//! Verilog is written, so a model too large for the part gets an error that
//! says what to change rather than a synthesis failure minutes later.
//!
//! The estimate maps every memory (weights and neuron state of each core,
//! and the board wrapper's 512-byte UART FIFO) onto whole block RAMs in the
//! family's best shape for it: `ceil(words / depth) * ceil(width / width_b)`
//! blocks for the (depth, width_b) configuration that needs fewest; a
//! memory of at most 16 words counts as logic, where yosys puts it. It is
//! an estimate: synthesis may put other small memories in logic too.

use anyhow::{bail, Result};
use spikegate_hdl::HardwarePlan;

use crate::board::protocol::RX_FIFO_BYTES;
use crate::targets::{Family, Target};

/// The board wrapper's UART receive FIFO: words of 8 bits.
const WRAPPER_FIFO: (usize, usize) = (RX_FIFO_BYTES, 8);

/// Memories of at most this many words are left to logic: yosys maps
/// them to flip-flops or LUT RAM rather than spend whole blocks on them.
pub const LOGIC_MEMORY_WORDS: usize = 16;

/// Block RAMs a `words` x `width` memory takes on `family` (0 for a memory
/// of at most [`LOGIC_MEMORY_WORDS`] words).
pub fn blocks_for(family: Family, words: usize, width: usize) -> usize {
    if words <= LOGIC_MEMORY_WORDS || width == 0 {
        return 0;
    }
    family
        .block_ram_shapes()
        .iter()
        .map(|&(depth, w)| words.div_ceil(depth) * width.div_ceil(w))
        .min()
        .expect("every family has a block RAM shape")
}

/// One memory of the design, as the fit check counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryUse {
    /// What it is, e.g. `layer 0 (hidden) weights`.
    pub what: String,
    /// Words.
    pub words: usize,
    /// Bits a word.
    pub width: usize,
    /// Block RAMs on the target's family.
    pub blocks: usize,
}

/// Every memory of `plan` on `family`, the wrapper's FIFO last.
pub fn memories(plan: &HardwarePlan, family: Family) -> Vec<MemoryUse> {
    let mut out = Vec::new();
    let mut push = |what: String, words: usize, width: usize| {
        out.push(MemoryUse {
            blocks: blocks_for(family, words, width),
            what,
            words,
            width,
        })
    };
    for core in &plan.cores {
        let layer = format!("layer {} ({})", core.index, core.name);
        push(
            format!("{layer} weights"),
            core.weight_rows(),
            core.weight_word_bits(),
        );
        push(
            format!("{layer} neuron state"),
            core.chunks,
            core.state_word_bits(),
        );
        if let Some((words, width)) = spikegate_hdl::walk::table_shape(core) {
            push(format!("{layer} spike decode table"), words, width);
        }
    }
    push(
        "board wrapper UART FIFO".into(),
        WRAPPER_FIFO.0,
        WRAPPER_FIFO.1,
    );
    out
}

/// Checks that `plan` fits `target`'s block RAM; the error names the need,
/// the part's capacity, the largest memory, and what to change.
pub fn check(plan: &HardwarePlan, target: &Target) -> Result<()> {
    let mems = memories(plan, target.family);
    let blocks: usize = mems.iter().map(|m| m.blocks).sum();
    let bits: usize = mems.iter().map(|m| m.words * m.width).sum();
    if blocks <= target.block_rams && bits <= target.total_block_ram_bits() {
        return Ok(());
    }
    let largest = mems
        .iter()
        .max_by_key(|m| m.blocks)
        .expect("a design has memories");
    let fewer_pe = if plan.options.pe > 1 {
        format!(
            "fewer processing elements (P = {} now: fewer lanes make words narrower and \
             deeper, wasting less of each block), ",
            plan.options.pe
        )
    } else {
        String::new()
    };
    bail!(
        "the model needs {bits} bits of block RAM (weights, neuron state and the board \
         wrapper's FIFO), {blocks} block RAMs of {} bits as synthesis would lay them out; \
         {} ({}) has {} bits in {} block RAMs. The largest memory is {}: {} words of {} bits \
         in {} block RAMs. To fit, use {fewer_pe}narrower weights or state, fewer neurons, \
         or a bigger part",
        target.block_ram_bits,
        target.name,
        target.part,
        target.total_block_ram_bits(),
        target.block_rams,
        largest.what,
        largest.words,
        largest.width,
        largest.blocks,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_shape_that_needs_fewest_blocks() {
        // 16 words or fewer: logic.
        assert_eq!(blocks_for(Family::Ice40, 16, 1344), 0);
        // 100 x 32 on ECP5: one 512 x 36 block.
        assert_eq!(blocks_for(Family::Ecp5, 100, 32), 1);
        // 7500 x 32: 512 x 36 needs 15, 1024 x 18 needs 8 x 2 = 16,
        // 2048 x 9 needs 4 x 4 = 16.
        assert_eq!(blocks_for(Family::Ecp5, 7500, 32), 15);
        // 30000 x 8 on iCE40: 512 x 8 needs 59; 256 x 16 needs 118.
        assert_eq!(blocks_for(Family::Ice40, 30000, 8), 59);
        // 128 lanes of 8 bits, 20 rows, on Artix-7: 72 bits a block.
        assert_eq!(blocks_for(Family::Xilinx, 20, 1024), 15);
    }
}
