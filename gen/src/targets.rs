//! The FPGA boards `spikegate gen --target` knows: their constraint file
//! (from `constraints/`, built into the binary) and what their part holds.

/// One board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Name on the command line.
    pub name: &'static str,
    /// The FPGA part.
    pub part: &'static str,
    /// Family, as yosys names its synthesis command (`synth_<family>`).
    pub family: &'static str,
    /// Constraint file name.
    pub constraint_file: &'static str,
    /// Constraint file contents.
    pub constraints: &'static str,
    /// Block RAM bits of the part.
    pub block_ram_bits: usize,
}

/// Every board, in the order `--help` lists them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "icebreaker",
        part: "iCE40UP5K-SG48",
        family: "ice40",
        constraint_file: "icebreaker.pcf",
        constraints: include_str!("../../constraints/icebreaker.pcf"),
        block_ram_bits: 30 * 4096,
    },
    Target {
        name: "ulx3s_85f",
        part: "LFE5U-85F-6BG381C",
        family: "ecp5",
        constraint_file: "ulx3s_85f.lpf",
        constraints: include_str!("../../constraints/ulx3s_85f.lpf"),
        block_ram_bits: 208 * 18 * 1024,
    },
    Target {
        name: "arty_a7_35t",
        part: "XC7A35TICSG324-1L",
        family: "xilinx",
        constraint_file: "arty_a7_35t.xdc",
        constraints: include_str!("../../constraints/arty_a7_35t.xdc"),
        block_ram_bits: 50 * 36 * 1024,
    },
];

/// The board called `name`, or an error listing the known ones.
pub fn find(name: &str) -> Result<&'static Target, String> {
    TARGETS.iter().find(|t| t.name == name).ok_or_else(|| {
        let known: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
        format!("unknown target `{name}` (known: {})", known.join(", "))
    })
}
