//! iCE40 `SB_RAM40_4K` block RAMs, 256 x 16 (`READ_MODE = WRITE_MODE =
//! 0`: in the narrower modes the data bits interleave). The block has no
//! output register: its word, muxed by block row, is registered in the
//! fabric.

use std::fmt::Write;

use super::{address_bits, Ram, Rom, Tiling};

const SHAPES: [(usize, usize); 1] = [(256, 16)];

/// `INIT_0`..`INIT_F` of block `(row, col)` (the non-zero ones): word `i`
/// of `INIT_k` is the block's word `16 k + i`, 16 bits from bit `16 i`.
fn inits(rom: &Rom, t: &Tiling, row: usize, col: usize) -> String {
    let mut out = String::new();
    for k in 0..16 {
        let mut hex = String::new();
        let mut any = false;
        for i in (0..16).rev() {
            let word = rom.words.get(row * t.depth + k * 16 + i);
            let value = (0..16).fold(0u32, |acc, b| {
                let bit = word
                    .and_then(|w| w.get(col * t.width + b))
                    .copied()
                    .unwrap_or(false);
                acc | u32::from(bit) << b
            });
            any |= value != 0;
            let _ = write!(hex, "{value:04x}");
        }
        if any {
            let _ = write!(out, ",\n  .INIT_{k:X}(256'h{hex})");
        }
    }
    out
}

/// One block: `read` (address signal, its used bits) on `RADDR`, the
/// optional write port (enable, address signal, data bits) on `W*`.
fn instance(
    inst: &str,
    init: &str,
    read: (&str, u32),
    write: Option<(String, (&str, u32), Vec<String>)>,
) -> String {
    let addr = |(signal, used): (&str, u32)| -> String {
        let bits: Vec<String> = (0..11)
            .rev()
            .map(|a| {
                if a < 8 && a < used {
                    format!("{signal}[{a}]")
                } else {
                    "1'b0".into()
                }
            })
            .collect();
        format!("{{{}}}", bits.join(", "))
    };
    let (we, waddr, wdata) = match write {
        Some((enable, waddr, data)) => {
            let data: Vec<String> = (0..16)
                .rev()
                .map(|k| data.get(k).cloned().unwrap_or_else(|| "1'b0".into()))
                .collect();
            (enable, addr(waddr), format!("{{{}}}", data.join(", ")))
        }
        None => ("1'b0".into(), "11'd0".into(), "16'd0".into()),
    };
    format!(
        "wire [15:0] {inst};
SB_RAM40_4K #(
  .READ_MODE(0), .WRITE_MODE(0){init}
) {inst}_ram (
  .RDATA({inst}), .RADDR({raddr}), .RCLK(clock), .RCLKE(1'b1), .RE(1'b1),
  .WADDR({waddr}), .WCLK(clock), .WCLKE(1'b1), .WE({we}), .MASK(16'd0),
  .WDATA({wdata})
);
",
        raddr = addr(read),
    )
}

/// The output register: the block row's word, one cycle after the blocks
/// registered it.
fn assemble(t: &Tiling, name: &str, addr: &str, out: &str, width: usize) -> String {
    let mut s = String::new();
    for r in 0..t.rows {
        let parts: Vec<String> = (0..t.cols)
            .rev()
            .map(|c| format!("{name}_b{r}_{c}"))
            .collect();
        s += &format!(
            "wire [{}:0] {name}_word{r} = {{{}}};\n",
            t.cols * 16 - 1,
            parts.join(", ")
        );
    }
    let row_word = |r: usize| format!("{name}_word{r}[{}:0]", width - 1);
    if t.cols * 16 > width {
        s += &super::unused_word_bits(name, t.rows, t.cols * 16, width);
    }
    let wt = width - 1;
    if t.rows == 1 {
        return s + &format!(
            "reg [{wt}:0] {out};\nalways @(posedge clock) {out} <= {};\n",
            row_word(0)
        );
    }
    let hb = address_bits(t.rows);
    s += &format!(
        "reg [{ht}:0] {name}_row_r;
always @(posedge clock) {name}_row_r <= {addr}[{top}:8];
wire [{wt}:0] {name}_rows [0:{rl}];
",
        ht = hb - 1,
        top = 8 + hb - 1,
        rl = t.rows - 1,
    );
    for r in 0..t.rows {
        s += &format!("assign {name}_rows[{r}] = {};\n", row_word(r));
    }
    s + &format!(
        "reg [{wt}:0] {out};\nalways @(posedge clock) {out} <= {name}_rows[{name}_row_r];\n"
    )
}

fn header(name: &str, t: &Tiling, depth: usize, width: usize) -> String {
    format!(
        "// {name}: {depth} x {width} bits in {n} SB_RAM40_4K ({r} x {c} of 256 x 16).\n",
        n = t.rows * t.cols,
        r = t.rows,
        c = t.cols,
    )
}

/// `rom` in `SB_RAM40_4K`s.
pub fn rom(rom: &Rom) -> String {
    let depth = rom.words.len();
    let t = Tiling::fewest(&SHAPES, depth, rom.width);
    let used = address_bits(depth);
    let mut s = header(rom.name, &t, depth, rom.width);
    for r in 0..t.rows {
        for c in 0..t.cols {
            let inst = format!("{}_b{r}_{c}", rom.name);
            s += &instance(&inst, &inits(rom, &t, r, c), (rom.addr, used), None);
        }
    }
    s + &assemble(&t, rom.name, rom.addr, rom.out, rom.width)
}

/// `ram` in `SB_RAM40_4K`s.
pub fn ram(ram: &Ram) -> String {
    let t = Tiling::fewest(&SHAPES, ram.depth, ram.width);
    let used = address_bits(ram.depth);
    let hb = address_bits(t.rows);
    let mut s = header(ram.name, &t, ram.depth, ram.width);
    for r in 0..t.rows {
        let enable = if t.rows == 1 {
            format!("({})", ram.write_enable)
        } else {
            format!(
                "({}) && {}[{}:8] == {hb}'d{r}",
                ram.write_enable,
                ram.write_addr,
                8 + hb - 1
            )
        };
        for c in 0..t.cols {
            let data = (0..16)
                .map(|k| {
                    let bit = c * 16 + k;
                    if bit < ram.width {
                        format!("{}[{bit}]", ram.write_data)
                    } else {
                        "1'b0".into()
                    }
                })
                .collect();
            let inst = format!("{}_b{r}_{c}", ram.name);
            let write = Some((enable.clone(), (ram.write_addr, used), data));
            s += &instance(&inst, "", (ram.read_addr, used), write);
        }
    }
    s + &assemble(&t, ram.name, ram.read_addr, ram.out, ram.width)
}
