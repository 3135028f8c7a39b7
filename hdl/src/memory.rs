//! The datapath's two block memories, emitted per FPGA family.
//!
//! Both read a word two cycles after its address: into the RAM's read
//! register, then into an output register, so that a block RAM's slow
//! clock-to-out feeds no logic. How that is built depends on the family:
//!
//! - [`BlockRam::Inferred`] (no target, and Xilinx): a Verilog array and two
//!   registers; synthesis infers the RAM.
//! - [`BlockRam::Ecp5`]: `DP16KD` primitives instantiated with the output
//!   register switched on (`REGMODE = OUTREG`). yosys's ECP5 mapping never
//!   turns it on, so an inferred RAM's second register is a row of fabric
//!   flip-flops behind a 5.8 ns clock-to-out; the primitive's own register
//!   has a clock-to-out under 1 ns. Contents come from `INITVAL` parameters
//!   computed from the same image the inferred RAM reads.
//! - [`BlockRam::Ice40`]: `SB_RAM40_4K` primitives, 256 x 16 to 2048 x 2
//!   (the iCE40 block RAM has no output register: the second register is in
//!   the fabric), filled by `INIT_0`..`INIT_F`.
//!
//! A memory deeper or wider than one block is tiled by the shape
//! [`Tiling::choose`] picks: few blocks, and few block rows behind the
//! read mux.
//!
//! A memory of at most [`LOGIC_WORDS`] words ([`ECP5_LUT_RAM_WORDS`] on
//! ECP5) is always inferred: synthesis puts it in flip-flops or LUT RAM,
//! where a whole block would be wasted.
//! The primitives are simulated with `DP16KD`'s behavioural model in
//! [`SIM_MODELS`] (written beside an ECP5 design; yosys 0.23 ships no
//! behaviour for it) and yosys's own `SB_RAM40_4K` model.

mod ecp5;
mod ice40;

pub use ecp5::DP16KD_MODEL;

/// How the block memories are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BlockRam {
    /// A Verilog array that synthesis maps (no target, Xilinx).
    #[default]
    Inferred,
    /// Lattice ECP5 `DP16KD`, output register on.
    Ecp5,
    /// Lattice iCE40 `SB_RAM40_4K`.
    Ice40,
}

/// How a memory is used, which decides the block shapes it can take: ECP5
/// reads a ROM's 36-bit word on both ports of one block, which a RAM
/// (written on one port, read on the other) cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read only: a [`Rom`].
    ReadOnly,
    /// Written and read: a [`Ram`].
    ReadWrite,
}

/// Memories of at most this many words are always inferred (flip-flops or
/// LUT RAM), as the fit check counts them.
pub const LOGIC_WORDS: usize = 16;

/// On ECP5, memories of at most this many words are inferred too: yosys
/// puts them in LUT RAM (or a block of its choice), where a block of ours
/// would hold a few words of a wide word (a state memory of few chunks).
pub const ECP5_LUT_RAM_WORDS: usize = 64;

/// File of a design folder holding the behavioural models of the
/// primitives its Verilog instantiates: for simulation only (synthesis and
/// place-and-route use the real primitives and never read it).
pub const SIM_MODELS: &str = "sim_models.v";

/// A read-only memory: `words[i]` is word `i`, `width` bits, lane 0 in the
/// least significant bit.
pub struct Rom<'a> {
    /// Name of the Verilog array (and prefix of every signal it adds).
    pub name: &'a str,
    /// Bits a word.
    pub width: usize,
    /// The contents, one bit vector a word (least significant first).
    pub words: &'a [Vec<bool>],
    /// `$readmemh` image the inferred array reads.
    pub file: &'a str,
    /// Address expression (at least as wide as the address).
    pub addr: &'a str,
    /// The output register's name: declared here, the word read two cycles
    /// after its address.
    pub out: &'a str,
}

/// A RAM with one write port and one read port, zero at configuration.
pub struct Ram<'a> {
    /// Name of the Verilog array (and prefix of every signal it adds).
    pub name: &'a str,
    /// Bits a word.
    pub width: usize,
    /// Words.
    pub depth: usize,
    /// Read address expression.
    pub read_addr: &'a str,
    /// The output register's name (declared here), as for [`Rom::out`].
    pub out: &'a str,
    /// Write enable expression.
    pub write_enable: &'a str,
    /// Write address expression.
    pub write_addr: &'a str,
    /// Write data expression (`width` bits).
    pub write_data: &'a str,
}

impl BlockRam {
    /// The style that a memory of `depth` words gets: small ones are
    /// inferred on every family.
    fn for_depth(self, depth: usize) -> BlockRam {
        let logic = match self {
            // ECP5 has LUT RAM, where yosys puts shallow memories.
            BlockRam::Ecp5 => ECP5_LUT_RAM_WORDS,
            _ => LOGIC_WORDS,
        };
        if depth <= logic {
            BlockRam::Inferred
        } else {
            self
        }
    }

    /// The blocks the Verilog of a `depth` x `width` memory instantiates,
    /// or `None` where the memory is inferred and synthesis lays it out.
    pub fn tiling(self, access: Access, depth: usize, width: usize) -> Option<Tiling> {
        match self.for_depth(depth) {
            BlockRam::Inferred => None,
            BlockRam::Ecp5 => Some(ecp5::tiling(access, depth, width)),
            BlockRam::Ice40 => Some(ice40::tiling(depth, width)),
        }
    }

    /// The Verilog of `rom`.
    pub fn rom(self, rom: &Rom) -> String {
        match self.for_depth(rom.words.len()) {
            BlockRam::Inferred => inferred_rom(rom),
            BlockRam::Ecp5 => ecp5::rom(rom),
            BlockRam::Ice40 => ice40::rom(rom),
        }
    }

    /// The Verilog of `ram`.
    pub fn ram(self, ram: &Ram) -> String {
        match self.for_depth(ram.depth) {
            BlockRam::Inferred => inferred_ram(ram),
            BlockRam::Ecp5 => ecp5::ram(ram),
            BlockRam::Ice40 => ice40::ram(ram),
        }
    }
}

fn inferred_rom(rom: &Rom) -> String {
    let (n, o, t) = (rom.name, rom.out, rom.width - 1);
    let a = address_bits(rom.words.len());
    format!(
        "reg [{t}:0] {n} [0:{last}];
initial $readmemh(\"{file}\", {n});
reg [{t}:0] {n}_r;
reg [{t}:0] {o};
always @(posedge clock) begin
  {n}_r <= {n}[{addr}[{at}:0]];
  {o} <= {n}_r;
end
",
        last = rom.words.len() - 1,
        file = rom.file,
        addr = rom.addr,
        at = a - 1,
    )
}

fn inferred_ram(ram: &Ram) -> String {
    let (n, o, t) = (ram.name, ram.out, ram.width - 1);
    format!(
        "reg [{t}:0] {n} [0:{last}];
reg [{t}:0] {n}_r;
reg [{t}:0] {o};
always @(posedge clock) begin
  {n}_r <= {n}[{ra}[{at}:0]];
  {o} <= {n}_r;
  if ({we}) {n}[{wa}] <= {wd};
end
",
        last = ram.depth - 1,
        ra = ram.read_addr,
        at = address_bits(ram.depth) - 1,
        we = ram.write_enable,
        wa = ram.write_addr,
        wd = ram.write_data,
    )
}

/// The bits of each block row's word (`all` bits) past `width`, in a
/// named sink (lint asks that an unused signal say so).
fn unused_word_bits(name: &str, rows: usize, all: usize, width: usize) -> String {
    let parts: Vec<String> = (0..rows)
        .map(|r| format!("{name}_word{r}[{}:{width}]", all - 1))
        .collect();
    format!(
        "wire unused_{name}_word = &{{1'b0, {}, 1'b0}};\n",
        parts.join(", ")
    )
}

/// The instance name of block `(r, c)` of memory `name`; its output wires
/// take it as their prefix.
fn block_name(name: &str, r: usize, c: usize) -> String {
    format!("{name}_b{r}_{c}")
}

/// Bits needed to address `n` entries (at least 1).
pub fn address_bits(n: usize) -> u32 {
    (usize::BITS - n.saturating_sub(1).leading_zeros()).max(1)
}

/// Blocks, in percent of the fewest a memory can take, that a tiling may
/// add to take fewer block rows (see [`Tiling::choose`]).
pub const ROW_SLACK_PERCENT: usize = 5;

/// A memory cut into `rows x cols` blocks of `depth` words x `width` bits
/// (block `(r, c)` holds words `r * depth..` and bits `c * width..`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiling {
    /// Words of one block.
    pub depth: usize,
    /// Bits a word of one block.
    pub width: usize,
    /// Block rows: the read mux behind the blocks has one input a row.
    pub rows: usize,
    /// Block columns.
    pub cols: usize,
}

/// `rows x cols of depth x width`, as the Verilog's comments and
/// `spikegate gen` print it.
impl std::fmt::Display for Tiling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} x {} of {} x {}",
            self.rows, self.cols, self.depth, self.width
        )
    }
}

impl Tiling {
    /// The tiling of a `depth` x `width` memory by a block shape of
    /// `shapes` (depth, width): the fewest block rows among the tilings
    /// within [`ROW_SLACK_PERCENT`] of the fewest blocks, then the fewest
    /// blocks, then the first shape (the widest).
    ///
    /// Rows cost more than blocks: every row past the first widens the
    /// read mux behind the blocks, one mux input per row on every output
    /// bit. The fewest blocks alone can mean a deep mux: 78,400 words of
    /// 32 bits take 154 blocks of 512 x 36 in 154 rows, where 16,384 x 1
    /// takes 160 in 5.
    fn choose(shapes: &[(usize, usize)], depth: usize, width: usize) -> Tiling {
        let tilings: Vec<Tiling> = shapes
            .iter()
            .map(|&(d, w)| Tiling {
                depth: d,
                width: w,
                rows: depth.div_ceil(d),
                cols: width.div_ceil(w),
            })
            .collect();
        let fewest = tilings
            .iter()
            .map(Tiling::blocks)
            .min()
            .expect("a family has block shapes");
        let budget = fewest + fewest * ROW_SLACK_PERCENT / 100;
        tilings
            .into_iter()
            .filter(|t| t.blocks() <= budget)
            .min_by_key(|t| (t.rows, t.blocks()))
            .expect("the fewest-blocks tiling is within budget")
    }

    /// Blocks the tiling takes.
    pub fn blocks(&self) -> usize {
        self.rows * self.cols
    }

    /// `ram`'s write enable for the blocks of row `r`: the row's address
    /// bits select it.
    fn row_write_enable(&self, ram: &Ram, r: usize) -> String {
        if self.rows == 1 {
            return format!("({})", ram.write_enable);
        }
        let (hb, lo) = (address_bits(self.rows), self.low_bits());
        format!(
            "({}) && {}[{}:{lo}] == {hb}'d{r}",
            ram.write_enable,
            ram.write_addr,
            lo + hb - 1
        )
    }

    /// `ram`'s write data bits for the blocks of column `c` (zeros past
    /// the word).
    fn column_data(&self, ram: &Ram, c: usize) -> Vec<String> {
        (0..self.width)
            .map(|k| {
                let bit = c * self.width + k;
                if bit < ram.width {
                    format!("{}[{bit}]", ram.write_data)
                } else {
                    "1'b0".into()
                }
            })
            .collect()
    }

    /// The comment heading a memory's blocks: `primitive` and its shape,
    /// `note` after it.
    fn header(
        &self,
        name: &str,
        depth: usize,
        width: usize,
        primitive: &str,
        note: &str,
    ) -> String {
        format!(
            "// {name}: {depth} x {width} bits in {n} {primitive} ({self}){note}.\n",
            n = self.blocks(),
        )
    }

    /// Address bits inside one block.
    fn low_bits(&self) -> u32 {
        self.depth.trailing_zeros()
    }

    /// The `{name}_row` registers that follow the high address bits to the
    /// output (two cycles, as the data), the per-row words, and the output
    /// mux. `block(r, c)` names block `(r, c)`'s `width`-bit output.
    fn assemble(
        &self,
        name: &str,
        addr: &str,
        out: &str,
        width: usize,
        block: impl Fn(usize, usize) -> String,
    ) -> String {
        // Each block row's word (the last column's unused bits dropped).
        let all = self.cols * self.width;
        let mut s = String::new();
        for r in 0..self.rows {
            let parts: Vec<String> = (0..self.cols).rev().map(|c| block(r, c)).collect();
            s += &format!(
                "wire [{}:0] {name}_word{r} = {{{}}};\n",
                all - 1,
                parts.join(", ")
            );
        }
        let row_word = |r: usize| format!("{name}_word{r}[{}:0]", width - 1);
        if all > width {
            s += &unused_word_bits(name, self.rows, all, width);
        }
        if self.rows == 1 {
            return s + &format!("wire [{}:0] {out} = {};\n", width - 1, row_word(0));
        }
        let hb = address_bits(self.rows);
        let lo = self.low_bits();
        s += &format!(
            "// The block row of the word on the output, aligned with it.
reg [{ht}:0] {name}_row_r;
reg [{ht}:0] {name}_row_q;
always @(posedge clock) begin
  {name}_row_r <= {addr}[{top}:{lo}];
  {name}_row_q <= {name}_row_r;
end
wire [{t}:0] {name}_rows [0:{rl}];
",
            ht = hb - 1,
            top = lo + hb - 1,
            t = width - 1,
            rl = self.rows - 1,
        );
        for r in 0..self.rows {
            s += &format!("assign {name}_rows[{r}] = {};\n", row_word(r));
        }
        s += &format!(
            "wire [{}:0] {out} = {name}_rows[{name}_row_q];\n",
            width - 1
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_take_few_rows_within_a_few_blocks_of_the_fewest() {
        let shapes = [(1024, 18), (2048, 9), (4096, 4)];
        // 96 bits x 6272 words: 7 x 6 = 42 at 18 wide, 4 x 11 = 44 at 9
        // (within 42 + 2), 2 x 24 = 48 at 4 (over).
        let t = Tiling::choose(&shapes, 6272, 96);
        assert_eq!((t.width, t.rows, t.cols), (9, 4, 11));
        // 12 x 6 = 72 blocks at 18 wide, 6 x 11 = 66 at 9 (fewest), 3 x 24
        // = 72 at 4 (over 66 + 3): 9 wide.
        let t = Tiling::choose(&shapes, 12_000, 96);
        assert_eq!((t.width, t.rows, t.cols), (9, 6, 11));
        // 8 bits x 100352 words: 49 rows at 9 wide, 25 x 2 = 50 at 4
        // (within 49 + 2): 4 wide.
        let t = Tiling::choose(&shapes, 100_352, 8);
        assert_eq!((t.width, t.rows, t.cols), (4, 25, 2));
        // Equal blocks, fewer rows: 2000 x 18 is 2 x 1 at 18, 1 x 2 at 9.
        let t = Tiling::choose(&shapes, 2000, 18);
        assert_eq!((t.width, t.rows, t.cols), (9, 1, 2));
        // The first layer of 784-400-10 at P = 4 on ECP5: 154 blocks of
        // 512 x 36 in 154 rows, or 160 of 16384 x 1 in 5.
        let t = ecp5::tiling(Access::ReadOnly, 78_400, 32);
        assert_eq!((t.width, t.rows, t.cols), (1, 5, 32));
        // A RAM has no 512 x 36: 100 x 32 is one row of two 1024 x 18.
        let t = ecp5::tiling(Access::ReadWrite, 100, 32);
        assert_eq!((t.width, t.rows, t.cols), (18, 1, 2));
    }

    #[test]
    fn small_memories_stay_inferred() {
        let words = vec![vec![true; 4]; LOGIC_WORDS];
        let rom = Rom {
            name: "w",
            width: 4,
            words: &words,
            file: "w.hex",
            addr: "a",
            out: "q",
        };
        assert_eq!(BlockRam::Ecp5.rom(&rom), inferred_rom(&rom));
        assert_eq!(BlockRam::Ice40.rom(&rom), inferred_rom(&rom));
    }
}
