//! Does a planned design fit a board's block RAM? Checked before any
//! Verilog is written, so a model too large for the part gets an error that
//! says what to change rather than a synthesis failure minutes later.
//!
//! Every memory (weights and neuron state of each core, a core's spike
//! decode table, and the board wrapper's 512-byte UART FIFO) is counted in
//! whole block RAMs. Where the Verilog instantiates the blocks (the weights
//! and state on ECP5 and iCE40) the count is theirs, from the tiling the
//! generator picks. An inferred memory is estimated in the family's best
//! shape for it: `ceil(words / depth) * ceil(width / width_b)` blocks for
//! the (depth, width_b) configuration that needs fewest; one of at most 16
//! words counts as logic, where yosys puts it. Synthesis may put other
//! small inferred memories in logic too.

use anyhow::{bail, Result};
use spikegate_hdl::memory::{Access, Tiling};
use spikegate_hdl::HardwarePlan;

use crate::board::protocol::RX_FIFO_BYTES;
use crate::targets::{Family, Target};

/// The board wrapper's UART receive FIFO: words of 8 bits.
const WRAPPER_FIFO: (usize, usize) = (RX_FIFO_BYTES, 8);

/// Memories of at most this many words are left to logic: yosys maps
/// them to flip-flops or LUT RAM rather than spend whole blocks on them.
pub const LOGIC_MEMORY_WORDS: usize = 16;

/// Block RAMs a `words` x `width` memory used as `access` takes on
/// `family`: the generator's own count where it instantiates the blocks
/// (see [`Instantiated`]), else the inferred estimate of [`inferred_blocks`].
pub fn blocks_for(family: Family, access: Instantiated, words: usize, width: usize) -> usize {
    let tiling = instantiated_tiling(family, access, words, width);
    counted_blocks(tiling, family, words, width)
}

/// The blocks of a memory whose instantiated tiling (if any) is `tiling`:
/// its own count, else the inferred estimate.
fn counted_blocks(tiling: Option<Tiling>, family: Family, words: usize, width: usize) -> usize {
    tiling.map_or_else(|| inferred_blocks(family, words, width), |t| t.blocks())
}

/// The blocks the generated Verilog instantiates for a `words` x `width`
/// memory used as `access` on `family`; `None` where it is inferred.
pub fn instantiated_tiling(
    family: Family,
    access: Instantiated,
    words: usize,
    width: usize,
) -> Option<Tiling> {
    match access {
        Instantiated::As(access) if width > 0 => family.block_ram().tiling(access, words, width),
        _ => None,
    }
}

/// Whether the generated Verilog builds a memory from instantiated block
/// RAMs (on the families that instantiate them), and as which access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instantiated {
    /// A datapath memory, built by the generator as `Access`.
    As(Access),
    /// Always inferred (the spike decode table, the wrapper's FIFO).
    No,
}

/// Block RAMs synthesis takes for an inferred `words` x `width` memory on
/// `family` (0 for a memory of at most [`LOGIC_MEMORY_WORDS`] words).
pub fn inferred_blocks(family: Family, words: usize, width: usize) -> usize {
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
    /// How the Verilog tiles it, where it instantiates the blocks; `None`
    /// for an inferred memory, whose `blocks` is an estimate.
    pub tiling: Option<Tiling>,
}

/// Every memory of `plan` on `family`, the wrapper's FIFO last.
pub fn memories(plan: &HardwarePlan, family: Family) -> Vec<MemoryUse> {
    let mut out = Vec::new();
    let mut push = |what: String, access: Instantiated, words: usize, width: usize| {
        let tiling = instantiated_tiling(family, access, words, width);
        out.push(MemoryUse {
            blocks: counted_blocks(tiling, family, words, width),
            tiling,
            what,
            words,
            width,
        })
    };
    for core in &plan.cores {
        let layer = format!("layer {} ({})", core.index, core.name);
        push(
            format!("{layer} weights"),
            Instantiated::As(Access::ReadOnly),
            core.weight_rows(),
            core.weight_word_bits(),
        );
        push(
            format!("{layer} neuron state"),
            Instantiated::As(Access::ReadWrite),
            core.chunks,
            core.state_word_bits(),
        );
        if let Some((words, width)) = spikegate_hdl::walk::table_shape(core) {
            push(
                format!("{layer} spike decode table"),
                Instantiated::No,
                words,
                width,
            );
        }
    }
    push(
        "board wrapper UART FIFO".into(),
        Instantiated::No,
        WRAPPER_FIFO.0,
        WRAPPER_FIFO.1,
    );
    out
}

/// The block RAM `plan` takes on `target`, a line a memory after a total:
/// each memory's shape, its blocks and, where the Verilog instantiates
/// them, their tiling (`spikegate gen --target` prints it).
pub fn layout_report(plan: &HardwarePlan, target: &Target) -> Vec<String> {
    let mems = memories(plan, target.family);
    let blocks: usize = mems.iter().map(|m| m.blocks).sum();
    let primitive = target.family.block_ram_primitive();
    let mut lines = vec![format!(
        "block RAM on {}: {blocks} of {} {primitive}",
        target.name, target.block_rams
    )];
    for m in &mems {
        let how = match (m.blocks, m.tiling) {
            (0, _) => "in logic".to_string(),
            (n, Some(tiling)) => format!("{n} {primitive} ({tiling})"),
            (n, None) => format!("about {n} {primitive} (inferred: synthesis lays it out)"),
        };
        lines.push(format!(
            "  {}: {} x {} bits, {how}",
            m.what, m.words, m.width
        ));
    }
    lines
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
         wrapper's FIFO), {blocks} block RAMs of {} bits as the design lays them out; \
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
    fn inferred_memories_take_the_shape_that_needs_fewest_blocks() {
        // 16 words or fewer: logic.
        assert_eq!(inferred_blocks(Family::Ice40, 16, 1344), 0);
        // 100 x 32 on ECP5: one 512 x 36 block.
        assert_eq!(inferred_blocks(Family::Ecp5, 100, 32), 1);
        // 7500 x 32: 512 x 36 needs 15, 1024 x 18 needs 8 x 2 = 16,
        // 2048 x 9 needs 4 x 4 = 16.
        assert_eq!(inferred_blocks(Family::Ecp5, 7500, 32), 15);
        // 30000 x 8 on iCE40: 512 x 8 needs 59; 256 x 16 needs 118.
        assert_eq!(inferred_blocks(Family::Ice40, 30000, 8), 59);
        // 128 lanes of 8 bits, 20 rows, on Artix-7: 72 bits a block.
        assert_eq!(inferred_blocks(Family::Xilinx, 20, 1024), 15);
    }

    #[test]
    fn instantiated_memories_count_the_generators_blocks() {
        let weights = Instantiated::As(Access::ReadOnly);
        let state = Instantiated::As(Access::ReadWrite);
        // 7500 x 32 weights on ECP5: 15 blocks of 512 x 36 in 15 rows; 16
        // of 2048 x 9 in 4 rows is over the budget (15 + 5% of 15, 15).
        assert_eq!(blocks_for(Family::Ecp5, weights, 7500, 32), 15);
        // 78,400 x 32: 154 of 512 x 36 in 154 rows, 160 of 16384 x 1 in 5
        // (within 154 + 7): 160.
        assert_eq!(blocks_for(Family::Ecp5, weights, 78_400, 32), 160);
        assert_eq!(inferred_blocks(Family::Ecp5, 78_400, 32), 154);
        // A RAM takes no 36-bit blocks: 100 x 32 is 2 of 1024 x 18.
        assert_eq!(blocks_for(Family::Ecp5, state, 100, 32), 2);
        // Up to 64 words on ECP5 are inferred (LUT RAM): the estimate.
        assert_eq!(blocks_for(Family::Ecp5, state, 64, 32), 1);
        // Xilinx infers every memory.
        assert_eq!(blocks_for(Family::Xilinx, weights, 20, 1024), 15);
        // The decode table is inferred everywhere.
        assert_eq!(blocks_for(Family::Ice40, Instantiated::No, 30000, 8), 59);
    }
}
