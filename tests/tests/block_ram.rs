//! The block RAMs spikegate instantiates, simulated exactly.
//!
//! yosys 0.23 ships ECP5's `DP16KD` as a black box with no behaviour, so
//! spikegate writes its own model (`sim_models.v`). It is held to yosys's
//! reading of the primitive: yosys maps a plain Verilog memory onto
//! `DP16KD`s (choosing `INITVAL`, widths and address pins), and that netlist,
//! simulated with spikegate's model, must read back what the plain memory
//! holds, at every port width. Then each memory spikegate emits — `DP16KD`
//! tiles with the output register on, `SB_RAM40_4K` tiles under yosys's own
//! model — must give the inferred memory's word on every cycle, over
//! shapes that take several block rows and columns.

use std::path::PathBuf;

use spikegate_hdl::memory::{BlockRam, Ram, Rom, DP16KD_MODEL};
use spikegate_tests::{cells_sim, cells_without_dp16kd, require_tool, run_ok};

/// A small deterministic generator (the test's own: no shared code).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn bits(&mut self, n: usize) -> Vec<bool> {
        (0..n).map(|_| self.next() & 1 == 1).collect()
    }
}

fn hex(bits: &[bool]) -> String {
    let digits = bits.len().div_ceil(4);
    (0..digits)
        .rev()
        .map(|d| {
            let n = (0..4).fold(0u32, |acc, b| {
                acc | u32::from(bits.get(d * 4 + b).copied().unwrap_or(false)) << b
            });
            char::from_digit(n, 16).unwrap()
        })
        .collect()
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spikegate-bram-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The values a testbench printed, one hexadecimal word a line after `@`.
fn printed(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| l.strip_prefix('@'))
        .map(|v| v.trim().trim_start_matches('0').to_string())
        .collect()
}

fn trimmed(bits: &[bool]) -> String {
    hex(bits).trim_start_matches('0').to_string()
}

#[test]
fn the_dp16kd_model_reads_what_yosys_maps_at_every_width() {
    if !require_tool("yosys", "DP16KD model check") || !require_tool("iverilog", "DP16KD model") {
        return;
    }
    for (width, depth) in [
        (18usize, 1024usize),
        (9, 2048),
        (4, 4096),
        (2, 8192),
        (1, 16384),
    ] {
        let dir = fresh_dir(&format!("map{width}"));
        let mut rng = Lcg(width as u64);
        let rom: Vec<Vec<bool>> = (0..depth).map(|_| rng.bits(width)).collect();
        let image: String = rom.iter().map(|w| hex(w) + "\n").collect();
        std::fs::write(dir.join("rom.hex"), image).unwrap();
        let ab = depth.trailing_zeros();
        // A ROM, and a RAM written on one port and read on the other.
        let design = format!(
            "module mems(input clock, input [{at}:0] a, input we, input [{at}:0] wa,
  input [{wt}:0] wd, output reg [{wt}:0] q, output reg [{wt}:0] r);
reg [{wt}:0] rom [0:{dl}];
initial $readmemh(\"rom.hex\", rom);
reg [{wt}:0] ram [0:{dl}];
always @(posedge clock) begin
  q <= rom[a];
  r <= ram[a];
  if (we) ram[wa] <= wd;
end
endmodule
",
            at = ab - 1,
            wt = width - 1,
            dl = depth - 1
        );
        std::fs::write(dir.join("mems.v"), design).unwrap();
        run_ok(
            &dir,
            "yosys",
            &[
                "-q",
                "-p",
                "read_verilog mems.v; synth_ecp5 -top mems; write_verilog -noattr netlist.v",
            ],
        );
        let netlist = std::fs::read_to_string(dir.join("netlist.v")).unwrap();
        assert_eq!(
            netlist
                .matches(&format!(".DATA_WIDTH_A(32'd{width})"))
                .count(),
            2,
            "yosys maps each {depth} x {width} memory onto one DP16KD of that width"
        );
        let ram: Vec<Vec<bool>> = (0..depth).map(|_| rng.bits(width)).collect();
        let writes: String = ram
            .iter()
            .enumerate()
            .map(|(i, w)| {
                format!(
                    "  wa = {i}; wd = {width}'h{}; @(posedge clock); #1;\n",
                    hex(w)
                )
            })
            .collect();
        let tb = format!(
            "`timescale 1ns/1ps
module tb;
reg clock = 0; always #5 clock = ~clock;
reg [{at}:0] a = 0, wa = 0; reg we = 0; reg [{wt}:0] wd = 0;
wire [{wt}:0] q, r;
mems dut(.clock(clock), .a(a), .we(we), .wa(wa), .wd(wd), .q(q), .r(r));
integer i;
initial begin
  #1; we = 1;
{writes}  we = 0;
  for (i = 0; i < {depth}; i = i + 1) begin
    a = i; @(posedge clock); #1; $display(\"@%h\", q); $display(\"@%h\", r);
  end
  $finish;
end
endmodule
",
            at = ab - 1,
            wt = width - 1,
        );
        std::fs::write(dir.join("tb.v"), tb).unwrap();
        std::fs::write(dir.join("model.v"), DP16KD_MODEL).unwrap();
        let ecp5 = cells_sim("ecp5");
        let cells = cells_without_dp16kd(&ecp5, &dir);
        run_ok(
            &dir,
            "iverilog",
            &[
                "-g2012",
                &format!("-I{}", ecp5.display()),
                "-o",
                "tb.vvp",
                "tb.v",
                "netlist.v",
                &cells,
                "model.v",
            ],
        );
        let got = printed(&run_ok(&dir, "vvp", &["-n", "tb.vvp"]));
        let want: Vec<String> = rom
            .iter()
            .zip(&ram)
            .flat_map(|(q, r)| [trimmed(q), trimmed(r)])
            .collect();
        assert_eq!(got.len(), want.len(), "width {width}: words read");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            let what = if i % 2 == 0 { "ROM" } else { "RAM" };
            assert_eq!(g, w, "width {width}, {what} word {}", i / 2);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The three builds of a `depth` x `width` ROM and RAM side by side, driven
/// by one random stimulus: every cycle a read of a random word and, with
/// probability one half, a write of random data to another word.
fn equal_builds(depth: usize, width: usize) {
    let dir = fresh_dir(&format!("{depth}x{width}"));
    let mut rng = Lcg((depth * 131 + width) as u64);
    let words: Vec<Vec<bool>> = (0..depth).map(|_| rng.bits(width)).collect();
    let image: String = words.iter().map(|w| hex(w) + "\n").collect();
    std::fs::write(dir.join("m.hex"), image).unwrap();
    let mut modules = String::new();
    for (style, suffix) in [
        (BlockRam::Inferred, "inferred"),
        (BlockRam::Ecp5, "ecp5"),
        (BlockRam::Ice40, "ice40"),
    ] {
        let rom = style.rom(&Rom {
            name: "rom",
            width,
            words: &words,
            file: "m.hex",
            addr: "addr",
            out: "rom_q",
        });
        let ram = style.ram(&Ram {
            name: "ram",
            width,
            depth,
            read_addr: "addr",
            out: "ram_q",
            write_enable: "we",
            write_addr: "wa",
            write_data: "wd",
        });
        modules += &format!(
            "module mem_{suffix}(input clock, input [15:0] addr, input we, input [15:0] wa,
  input [{wt}:0] wd, output [{wt}:0] q, output [{wt}:0] r);
{rom}{ram}assign q = rom_q;
assign r = ram_q;
endmodule
",
            wt = width - 1
        );
    }
    // Three reads a word, at most 30,000 (every row and column of a deep
    // memory still sees thousands).
    let cycles = (3 * depth).min(30_000);
    let tb = format!(
        "`timescale 1ns/1ps
module tb;
reg clock = 0; always #5 clock = ~clock;
reg [15:0] addr = 0, wa = 1; reg we = 0; reg [{wt}:0] wd = 0;
wire [{wt}:0] q0, r0, q1, r1, q2, r2;
mem_inferred m0(.clock(clock), .addr(addr), .we(we), .wa(wa), .wd(wd), .q(q0), .r(r0));
mem_ecp5 m1(.clock(clock), .addr(addr), .we(we), .wa(wa), .wd(wd), .q(q1), .r(r1));
mem_ice40 m2(.clock(clock), .addr(addr), .we(we), .wa(wa), .wd(wd), .q(q2), .r(r2));
integer i, bad = 0, seen = 0;
initial begin
  // The RAMs hold zeros at configuration; the inferred one is written
  // with zeros first.
  we = 1; wd = 0;
  for (i = 0; i < {depth}; i = i + 1) begin wa = i; addr = (i + 1) % {depth}; @(posedge clock); #1; end
  for (i = 0; i < {cycles}; i = i + 1) begin
    addr = $urandom % {depth};
    wa = (addr + 1 + $urandom % ({depth} - 1)) % {depth};
    we = $urandom % 2;
    wd = {{$urandom, $urandom, $urandom}};
    @(posedge clock); #1;
    if (i >= 2) begin
      seen = seen + 1;
      if (q1 !== q0 || q2 !== q0 || r1 !== r0 || r2 !== r0) begin
        bad = bad + 1;
        if (bad < 5) $display(\"cycle %0d: rom %h %h %h ram %h %h %h\", i, q0, q1, q2, r0, r1, r2);
      end
    end
  end
  $display(\"compared %0d mismatched %0d\", seen, bad);
  $finish;
end
endmodule
",
        wt = width - 1,
    );
    std::fs::write(dir.join("mems.v"), modules).unwrap();
    std::fs::write(dir.join("tb.v"), tb).unwrap();
    std::fs::write(dir.join("model.v"), DP16KD_MODEL).unwrap();
    let cells = cells_sim("ice40").join("cells_sim.v");
    run_ok(
        &dir,
        "iverilog",
        &[
            "-g2012",
            "-DNO_ICE40_DEFAULT_ASSIGNMENTS",
            "-o",
            "tb.vvp",
            "tb.v",
            "mems.v",
            "model.v",
            cells.to_str().unwrap(),
        ],
    );
    let log = run_ok(&dir, "vvp", &["-n", "tb.vvp"]);
    let want = format!("compared {} mismatched 0", cycles - 2);
    assert!(log.contains(&want), "{depth} x {width}:\n{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn instantiated_block_rams_give_the_inferred_memorys_words() {
    if !require_tool("iverilog", "block RAM equivalence") {
        return;
    }
    // One block (inferred on ECP5: at most 64 words); one row of several
    // columns with unused bits (a 512 x 36 DP16KD ROM reads on both
    // ports); a ROM of several 512 x 36 rows (1500 x 36: 3 x 1; its RAM
    // 1 x 4 of 2048 x 9); several rows of several columns (5000 x 40: 3 x 5
    // of DP16KD 2048 x 9, 5 x 10 of SB_RAM40_4K 1024 x 4; 2500 x 20: 3 x 5
    // of 1024 x 4 on iCE40, one row of 4096 x 4 on ECP5).
    equal_builds(40, 5);
    equal_builds(200, 40);
    equal_builds(1500, 36);
    equal_builds(5000, 40);
    equal_builds(2500, 20);
    // iCE40's narrow modes: 1024 x 4 (3000 x 3) and 2048 x 2 (5000 x 1).
    equal_builds(3000, 3);
    equal_builds(5000, 1);
    // ECP5's deep shapes in several rows, as the tiling picks them for the
    // large networks' weights (784-400-10 at P = 4: 5 x 32 of 16384 x 1):
    // 40000 x 3 is 3 x 3 of 16384 x 1 (20 x 2 of 2048 x 2 on iCE40),
    // 17000 x 2 is 3 x 1 of 8192 x 2.
    equal_builds(40_000, 3);
    equal_builds(17_000, 2);
}
