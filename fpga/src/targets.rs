//! The FPGA boards `spikegate gen --target` and `spikegate synth` know:
//! their constraint file (from `constraints/`, built into the binary), the
//! board's clock and I/O polarities for the wrapper, and what their part
//! holds.

use spikegate_hdl::memory::BlockRam;

/// An FPGA family: which yosys synthesis command and which place-and-route
/// tool serve it, and the shapes its block RAM can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Lattice iCE40 (UltraPlus): `synth_ice40`, nextpnr-ice40.
    Ice40,
    /// Lattice ECP5: `synth_ecp5`, nextpnr-ecp5.
    Ecp5,
    /// AMD/Xilinx 7-series: `synth_xilinx`; no open place-and-route here.
    Xilinx,
}

impl Family {
    /// The family's name in yosys's `synth_<name>` command.
    pub fn yosys_name(self) -> &'static str {
        match self {
            Family::Ice40 => "ice40",
            Family::Ecp5 => "ecp5",
            Family::Xilinx => "xilinx",
        }
    }

    /// How the family's memories are built: the Lattice parts' block RAMs
    /// are instantiated (ECP5's to switch on the output register yosys
    /// never infers), Xilinx's are inferred.
    pub fn block_ram(self) -> BlockRam {
        match self {
            Family::Ecp5 => BlockRam::Ecp5,
            Family::Ice40 => BlockRam::Ice40,
            Family::Xilinx => BlockRam::Inferred,
        }
    }

    /// The name of one block RAM of the family (the primitive synthesis
    /// reports).
    pub fn block_ram_primitive(self) -> &'static str {
        match self {
            Family::Ice40 => "SB_RAM40_4K",
            Family::Ecp5 => "DP16KD",
            Family::Xilinx => "RAMB36E1",
        }
    }

    /// The (depth, width) shapes one block RAM can be configured as.
    pub fn block_ram_shapes(self) -> &'static [(usize, usize)] {
        match self {
            // SB_RAM40_4K.
            Family::Ice40 => &[(256, 16), (512, 8), (1024, 4), (2048, 2)],
            // DP16KD (36 bits wide only as a pseudo-dual-port RAM).
            Family::Ecp5 => &[
                (512, 36),
                (1024, 18),
                (2048, 9),
                (4096, 4),
                (8192, 2),
                (16384, 1),
            ],
            // RAMB36E1 (72 bits wide in simple dual-port mode).
            Family::Xilinx => &[
                (512, 72),
                (1024, 36),
                (2048, 18),
                (4096, 9),
                (8192, 4),
                (16384, 2),
                (32768, 1),
            ],
        }
    }
}

/// One board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Name on the command line.
    pub name: &'static str,
    /// The FPGA part.
    pub part: &'static str,
    /// Its family.
    pub family: Family,
    /// nextpnr's device options for the part (empty: no open
    /// place-and-route).
    pub nextpnr_device: &'static [&'static str],
    /// Constraint file name.
    pub constraint_file: &'static str,
    /// Constraint file contents.
    pub constraints: &'static str,
    /// The board oscillator's frequency in Hz (the wrapper's UART divides
    /// it).
    pub clock_hz: u32,
    /// The reset button reads 0 while pressed.
    pub reset_active_low: bool,
    /// The LEDs light on 0.
    pub led_active_low: bool,
    /// Block RAMs of the part.
    pub block_rams: usize,
    /// Bits of one block RAM.
    pub block_ram_bits: usize,
    /// Look-up tables of the part (LUT4 on Lattice, LUT6 on Xilinx).
    pub luts: usize,
}

impl Target {
    /// Block RAM bits of the whole part.
    pub fn total_block_ram_bits(&self) -> usize {
        self.block_rams * self.block_ram_bits
    }
}

/// Every board, in the order `--help` lists them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "icebreaker",
        part: "iCE40UP5K-SG48",
        family: Family::Ice40,
        nextpnr_device: &["--up5k", "--package", "sg48"],
        constraint_file: "icebreaker.pcf",
        constraints: include_str!("../../constraints/icebreaker.pcf"),
        clock_hz: 12_000_000,
        reset_active_low: true,
        led_active_low: true,
        block_rams: 30,
        block_ram_bits: 4096,
        luts: 5280,
    },
    Target {
        name: "ulx3s_85f",
        part: "LFE5U-85F-6BG381C",
        family: Family::Ecp5,
        nextpnr_device: &["--85k", "--package", "CABGA381", "--speed", "6"],
        constraint_file: "ulx3s_85f.lpf",
        constraints: include_str!("../../constraints/ulx3s_85f.lpf"),
        clock_hz: 25_000_000,
        reset_active_low: false,
        led_active_low: false,
        block_rams: 208,
        block_ram_bits: 18 * 1024,
        luts: 83_640,
    },
    Target {
        name: "arty_a7_35t",
        part: "XC7A35TICSG324-1L",
        family: Family::Xilinx,
        nextpnr_device: &[],
        constraint_file: "arty_a7_35t.xdc",
        constraints: include_str!("../../constraints/arty_a7_35t.xdc"),
        clock_hz: 100_000_000,
        reset_active_low: false,
        led_active_low: false,
        block_rams: 50,
        block_ram_bits: 36 * 1024,
        luts: 20_800,
    },
];

/// The board called `name`, or an error listing the known ones.
pub fn find(name: &str) -> Result<&'static Target, String> {
    TARGETS.iter().find(|t| t.name == name).ok_or_else(|| {
        let known: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
        format!("unknown target `{name}` (known: {})", known.join(", "))
    })
}
