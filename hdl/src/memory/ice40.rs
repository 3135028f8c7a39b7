//! iCE40 `SB_RAM40_4K` block RAMs in the shape [`Tiling::choose`] picks:
//! 256 x 16, 512 x 8, 1024 x 4 or 2048 x 2 (`READ_MODE = WRITE_MODE` 0 to
//! 3). The block has no output register: its word, muxed by block row, is
//! registered in the fabric.
//!
//! In mode `m` a block holds `L = 2^m` words in each of its 256 16-bit
//! rows: word `a` is in row `a mod 256`, lane `a / 256`, its bit `k` at the
//! row's bit `k L + lane`; its data bit `k` enters and leaves on pin `k`
//! (mode 0), `2 k` (1), `4 k + 1` (2) or `8 k + 3` (3) of `WDATA` and
//! `RDATA` (yosys's `SB_RAM40_4K` model, which the tests run).

use std::fmt::Write;

use super::{address_bits, block_name, Ram, Rom, Tiling};

const SHAPES: [(usize, usize); 4] = [(256, 16), (512, 8), (1024, 4), (2048, 2)];

/// The block's mode for a word of `width` bits.
fn mode(width: usize) -> usize {
    (16 / width).trailing_zeros() as usize
}

/// The `WDATA`/`RDATA` pin of data bit `k` at `width` bits a word.
fn pin(width: usize, k: usize) -> usize {
    match mode(width) {
        0 => k,
        m => (k << m) + (1 << (m - 1)) - 1,
    }
}

/// `INIT_0`..`INIT_F` of block `(row, col)` (the non-zero ones): `INIT_k`
/// holds rows `16 k` to `16 k + 15`, row `i` in bits `16 i` up.
fn inits(rom: &Rom, t: &Tiling, row: usize, col: usize) -> String {
    let lanes = 16 / t.width;
    let mut rows = [0u32; 256];
    for a in 0..t.depth {
        let Some(word) = rom.words.get(row * t.depth + a) else {
            break;
        };
        for k in 0..t.width {
            if word.get(col * t.width + k).copied().unwrap_or(false) {
                rows[a % 256] |= 1 << (k * lanes + a / 256);
            }
        }
    }
    let mut out = String::new();
    for (k, group) in rows.chunks(16).enumerate() {
        if group.iter().all(|&r| r == 0) {
            continue;
        }
        let hex: String = group.iter().rev().map(|r| format!("{r:04x}")).collect();
        let _ = write!(out, ",\n  .INIT_{k:X}(256'h{hex})");
    }
    out
}

/// An 11-bit address bus from `signal`'s low `min(low, used)` bits.
fn address(signal: &str, low: u32, used: u32) -> String {
    let bits: Vec<String> = (0..11)
        .rev()
        .map(|a| {
            if a < low && a < used {
                format!("{signal}[{a}]")
            } else {
                "1'b0".into()
            }
        })
        .collect();
    format!("{{{}}}", bits.join(", "))
}

/// One block `inst`: read address `read`, and the write port (enable,
/// address, data bits) if it has one.
fn instance(
    inst: &str,
    t: &Tiling,
    init: &str,
    read: (&str, u32),
    write: Option<(String, (&str, u32), Vec<String>)>,
) -> String {
    let low = t.low_bits();
    let (we, waddr, wdata) = match write {
        Some((enable, (signal, used), data)) => {
            let mut pins = vec!["1'b0".to_string(); 16];
            for (k, d) in data.into_iter().enumerate() {
                pins[pin(t.width, k)] = d;
            }
            pins.reverse();
            (
                enable,
                address(signal, low, used),
                format!("{{{}}}", pins.join(", ")),
            )
        }
        None => ("1'b0".into(), "11'd0".into(), "16'd0".into()),
    };
    format!(
        "wire [15:0] {inst};
SB_RAM40_4K #(
  .READ_MODE({m}), .WRITE_MODE({m}){init}
) {inst}_ram (
  .RDATA({inst}), .RADDR({raddr}), .RCLK(clock), .RCLKE(1'b1), .RE(1'b1),
  .WADDR({waddr}), .WCLK(clock), .WCLKE(1'b1), .WE({we}), .MASK(16'd0),
  .WDATA({wdata})
);
",
        m = mode(t.width),
        raddr = address(read.0, low, read.1),
    )
}

/// The output register: the block row's word, one cycle after the blocks
/// registered it; the pins no word takes go to a named sink.
fn assemble(t: &Tiling, name: &str, addr: &str, out: &str, width: usize) -> String {
    let mut s = String::new();
    let mut unused = Vec::new();
    for r in 0..t.rows {
        let mut bits = Vec::new();
        for c in 0..t.cols {
            let inst = block_name(name, r, c);
            let used: Vec<usize> = (0..t.width).map(|k| pin(t.width, k)).collect();
            for (k, &p) in used.iter().enumerate() {
                if c * t.width + k < width {
                    bits.push(format!("{inst}[{p}]"));
                } else {
                    unused.push(format!("{inst}[{p}]"));
                }
            }
            unused.extend(
                (0..16)
                    .filter(|p| !used.contains(p))
                    .map(|p| format!("{inst}[{p}]")),
            );
        }
        bits.reverse();
        s += &format!(
            "wire [{}:0] {name}_word{r} = {{{}}};\n",
            width - 1,
            bits.join(", ")
        );
    }
    if !unused.is_empty() {
        s += &format!(
            "wire unused_{name}_pins = &{{1'b0, {}, 1'b0}};\n",
            unused.join(", ")
        );
    }
    let wt = width - 1;
    if t.rows == 1 {
        return s + &format!(
            "reg [{wt}:0] {out};\nalways @(posedge clock) {out} <= {name}_word0;\n"
        );
    }
    let hb = address_bits(t.rows);
    let lo = t.low_bits();
    s += &format!(
        "reg [{ht}:0] {name}_row_r;
always @(posedge clock) {name}_row_r <= {addr}[{top}:{lo}];
wire [{wt}:0] {name}_rows [0:{rl}];
",
        ht = hb - 1,
        top = lo + hb - 1,
        rl = t.rows - 1,
    );
    for r in 0..t.rows {
        s += &format!("assign {name}_rows[{r}] = {name}_word{r};\n");
    }
    s + &format!(
        "reg [{wt}:0] {out};\nalways @(posedge clock) {out} <= {name}_rows[{name}_row_r];\n"
    )
}

/// The blocks of a `depth` x `width` memory (ROM or RAM alike).
pub(super) fn tiling(depth: usize, width: usize) -> Tiling {
    Tiling::choose(&SHAPES, depth, width)
}

/// `rom` in `SB_RAM40_4K`s.
pub fn rom(rom: &Rom) -> String {
    let depth = rom.words.len();
    let t = tiling(depth, rom.width);
    let used = address_bits(depth);
    let mut s = t.header(rom.name, depth, rom.width, "SB_RAM40_4K", "");
    for r in 0..t.rows {
        for c in 0..t.cols {
            let inst = block_name(rom.name, r, c);
            s += &instance(&inst, &t, &inits(rom, &t, r, c), (rom.addr, used), None);
        }
    }
    s + &assemble(&t, rom.name, rom.addr, rom.out, rom.width)
}

/// `ram` in `SB_RAM40_4K`s.
pub fn ram(ram: &Ram) -> String {
    let t = tiling(ram.depth, ram.width);
    let used = address_bits(ram.depth);
    let mut s = t.header(ram.name, ram.depth, ram.width, "SB_RAM40_4K", "");
    for r in 0..t.rows {
        let enable = t.row_write_enable(ram, r);
        for c in 0..t.cols {
            let data = t.column_data(ram, c);
            let inst = block_name(ram.name, r, c);
            let write = Some((enable.clone(), (ram.write_addr, used), data));
            s += &instance(&inst, &t, "", (ram.read_addr, used), write);
        }
    }
    s + &assemble(&t, ram.name, ram.read_addr, ram.out, ram.width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_modes_use_yosys_pins() {
        let pins = |w: usize| (0..w).map(|k| pin(w, k)).collect::<Vec<_>>();
        assert_eq!(pins(8), [0, 2, 4, 6, 8, 10, 12, 14]);
        assert_eq!(pins(4), [1, 5, 9, 13]);
        assert_eq!(pins(2), [3, 11]);
        assert_eq!(mode(16), 0);
        assert_eq!(mode(2), 3);
    }
}
