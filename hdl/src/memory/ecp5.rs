//! ECP5 `DP16KD` block RAMs with the output register on.

use std::fmt::Write;

use super::{address_bits, block_name, Access, Ram, Rom, Tiling};

/// The behavioural model of `DP16KD` (simulation only), written into an
/// ECP5 design's folder as [`super::SIM_MODELS`].
pub const DP16KD_MODEL: &str = include_str!("dp16kd_model.v");

/// `DP16KD`'s true-dual-port shapes (depth, width), widest first. (The
/// 36-bit shape is another primitive, `PDPW16KD`.)
const SHAPES: [(usize, usize); 5] = [(1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1)];

/// Address pins below the word address (byte enables for 18 bits).
fn address_shift(width: usize) -> usize {
    match width {
        18 => 4,
        9 => 3,
        4 => 2,
        2 => 1,
        _ => 0,
    }
}

/// Bit `b` of word `word` in the 18 Kbit array: 1024 units of two 9-bit
/// bytes; a word narrower than 9 bits packs into a byte's low 8 bits, and
/// a 36-bit ROM word is two units (port A the low, port B the high).
fn array_bit(width: usize, word: usize, b: usize) -> usize {
    match width {
        36 | 18 | 9 => word * width + b,
        w => {
            let per_byte = 8 / w;
            (word / per_byte) * 9 + (word % per_byte) * w + b
        }
    }
}

/// The `INITVAL_xx` parameters of block `(row, col)` of `rom` (the non-zero
/// ones: a parameter left out is zero).
fn initvals(rom: &Rom, t: &Tiling, row: usize, col: usize) -> String {
    let mut bits = vec![false; 1024 * 18];
    for a in 0..t.depth {
        let Some(word) = rom.words.get(row * t.depth + a) else {
            break;
        };
        for b in 0..t.width {
            if word.get(col * t.width + b).copied().unwrap_or(false) {
                bits[array_bit(t.width, a, b)] = true;
            }
        }
    }
    let mut out = String::new();
    for (i, group) in bits.chunks(16 * 18).enumerate() {
        if group.iter().all(|b| !b) {
            continue;
        }
        // 16 units of 20 bits, the top two of each zero; hex, most
        // significant digit first.
        let mut value = vec![false; 320];
        for (u, unit) in group.chunks(18).enumerate() {
            value[u * 20..u * 20 + 18].copy_from_slice(unit);
        }
        let hex: String = value
            .chunks(4)
            .rev()
            .map(|n| {
                let d = n.iter().rev().fold(0u32, |acc, &b| acc << 1 | u32::from(b));
                char::from_digit(d, 16).expect("a nibble")
            })
            .collect();
        let _ = write!(out, ",\n  .INITVAL_{i:02X}(320'h{hex})");
    }
    out
}

/// One port's pins. `addr` is the word-address signal (its low
/// `low_bits` bits address the block), `data_in(k)` the expression on
/// `DIk`; the `DO` pins go to the instance's `_do_a` or `_do_b` wire.
struct Port<'a> {
    name: char,
    width: usize,
    low_bits: u32,
    addr: Option<(&'a str, u32)>,
    enable: bool,
    write: String,
    data_in: Vec<String>,
    /// A 36-bit ROM word's half this port reads (the lowest word-address
    /// pin), the address moving up a pin.
    half: Option<bool>,
}

impl<'a> Port<'a> {
    /// Whether the port reads a word (its output register is on).
    fn reads(&self) -> bool {
        self.enable && self.data_in.is_empty()
    }

    /// A port that reads (output register on) at `addr` (signal, bits
    /// used), `low_bits` of it addressing the block.
    fn reading(name: char, width: usize, low_bits: u32, addr: (&'a str, u32)) -> Self {
        Port {
            low_bits,
            addr: Some(addr),
            enable: true,
            ..Port::idle(name, width)
        }
    }

    fn idle(name: char, width: usize) -> Self {
        Port {
            name,
            width,
            low_bits: 0,
            addr: None,
            enable: false,
            write: "1'b0".into(),
            data_in: Vec::new(),
            half: None,
        }
    }

    fn pins(&self, inst: &str) -> String {
        let p = self.name;
        let bit = |b: bool| if b { "1'b1" } else { "1'b0" };
        let mut s = format!(
            "  .CLK{p}({clk}), .CE{p}({en}), .OCE{p}({en}), .WE{p}({we}), .RST{p}(1'b0),\n  \
             .CS{p}2(1'b0), .CS{p}1(1'b0), .CS{p}0(1'b0)",
            clk = if self.enable { "clock" } else { "1'b0" },
            en = bit(self.enable),
            we = self.write,
        );
        let shift = address_shift(self.width);
        let writes = !self.data_in.is_empty();
        for i in 0..14 {
            let pin = if i < shift {
                // An 18-bit write's byte enables.
                bit(writes && self.width == 18).to_string()
            } else {
                let a = (i - shift) as u32;
                let a = match self.half {
                    Some(h) if a == 0 => {
                        let _ = write!(s, ",\n  .AD{p}{i}({})", bit(h));
                        continue;
                    }
                    Some(_) => a - 1,
                    None => a,
                };
                match self.addr {
                    Some((signal, used)) if a < self.low_bits && a < used => {
                        format!("{signal}[{a}]")
                    }
                    _ => "1'b0".into(),
                }
            };
            let _ = write!(s, ",\n  .AD{p}{i}({pin})");
        }
        for k in 0..18 {
            let pin = self.data_in.get(k).map_or("1'b0", String::as_str);
            let _ = write!(s, ", .DI{p}{k}({pin})");
        }
        let out = format!("{inst}_do_{}", p.to_ascii_lowercase());
        for k in 0..18 {
            let _ = write!(s, ", .DO{p}{k}({out}[{k}])");
        }
        s
    }
}

fn instance(inst: &str, init: &str, a: &Port, b: &Port) -> String {
    let regmode = |p: &Port| if p.reads() { "OUTREG" } else { "NOREG" };
    format!(
        "wire [17:0] {inst}_do_a;
wire [17:0] {inst}_do_b;
DP16KD #(
  .DATA_WIDTH_A({w}), .DATA_WIDTH_B({w}),
  .REGMODE_A(\"{ra}\"), .REGMODE_B(\"{rb}\"),
  .RESETMODE(\"SYNC\"), .ASYNC_RESET_RELEASE(\"SYNC\"),
  .CSDECODE_A(\"0b000\"), .CSDECODE_B(\"0b000\"),
  .WRITEMODE_A(\"NORMAL\"), .WRITEMODE_B(\"NORMAL\"),
  .GSR(\"DISABLED\"){init}
) {inst}_ram (
{pa},
{pb}
);
",
        w = a.width,
        ra = regmode(a),
        rb = regmode(b),
        pa = a.pins(inst),
        pb = b.pins(inst),
    )
}

/// Every output pin no word takes: the other port's, and the read port's
/// above the block width (a named sink, as lint asks).
fn unused_pins(name: &str, t: &Tiling, read_port: char) -> String {
    let (read, other) = if read_port == 'A' {
        ("a", "b")
    } else {
        ("b", "a")
    };
    let mut parts = Vec::new();
    for r in 0..t.rows {
        for c in 0..t.cols {
            let inst = block_name(name, r, c);
            parts.push(format!("{inst}_do_{other}"));
            if t.width < 18 {
                parts.push(format!("{inst}_do_{read}[17:{}]", t.width));
            }
        }
    }
    format!(
        "wire unused_{name}_pins = &{{1'b0, {}, 1'b0}};\n",
        parts.join(", ")
    )
}

/// The blocks of a `depth` x `width` memory: a ROM may also take 512 x 36
/// blocks, which read a word's halves on both ports.
pub(super) fn tiling(access: Access, depth: usize, width: usize) -> Tiling {
    match access {
        Access::ReadOnly => {
            let shapes: Vec<(usize, usize)> = std::iter::once((512, 36)).chain(SHAPES).collect();
            Tiling::choose(&shapes, depth, width)
        }
        Access::ReadWrite => Tiling::choose(&SHAPES, depth, width),
    }
}

/// `rom` in `DP16KD`s, read on port A; a 512 x 36 block reads a word's
/// halves on both ports.
pub fn rom(rom: &Rom) -> String {
    let depth = rom.words.len();
    let t = tiling(Access::ReadOnly, depth, rom.width);
    let used = address_bits(depth);
    let mut s = t.header(rom.name, depth, rom.width, "DP16KD", ", output register on");
    let block = |r: usize, c: usize| block_name(rom.name, r, c);
    let port_width = t.width.min(18);
    let read = |name: char, half: Option<bool>| Port {
        half,
        ..Port::reading(name, port_width, t.low_bits(), (rom.addr, used))
    };
    for r in 0..t.rows {
        for c in 0..t.cols {
            let init = initvals(rom, &t, r, c);
            let (a, b) = if t.width == 36 {
                (read('A', Some(false)), read('B', Some(true)))
            } else {
                (read('A', None), Port::idle('B', port_width))
            };
            s += &instance(&block(r, c), &init, &a, &b);
        }
    }
    let word = |r: usize, c: usize| {
        let inst = block(r, c);
        if t.width == 36 {
            format!("{inst}_do_b, {inst}_do_a")
        } else {
            format!("{inst}_do_a[{}:0]", t.width - 1)
        }
    };
    let unused = if t.width == 36 {
        String::new()
    } else {
        unused_pins(rom.name, &t, 'A')
    };
    s + &t.assemble(rom.name, rom.addr, rom.out, rom.width, word) + &unused
}

/// `ram` in `DP16KD`s: written on port A, read on port B.
pub fn ram(ram: &Ram) -> String {
    let t = tiling(Access::ReadWrite, ram.depth, ram.width);
    let used = address_bits(ram.depth);
    let mut s = t.header(
        ram.name,
        ram.depth,
        ram.width,
        "DP16KD",
        ", output register on",
    );
    let block = |r: usize, c: usize| block_name(ram.name, r, c);
    let lo = t.low_bits();
    for r in 0..t.rows {
        let write = t.row_write_enable(ram, r);
        for c in 0..t.cols {
            let data_in = t.column_data(ram, c);
            let a = Port {
                write: write.clone(),
                data_in,
                ..Port::reading('A', t.width, lo, (ram.write_addr, used))
            };
            let b = Port::reading('B', t.width, lo, (ram.read_addr, used));
            s += &instance(&block(r, c), "", &a, &b);
        }
    }
    s + &t.assemble(ram.name, ram.read_addr, ram.out, ram.width, |r, c| {
        format!("{}_do_b[{}:0]", block(r, c), t.width - 1)
    }) + &unused_pins(ram.name, &t, 'B')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_words_pack_into_bytes() {
        // Four 4-bit words: bits 0-3 and 4-7 of byte 0, then byte 1 (bit 9).
        assert_eq!(array_bit(4, 1, 0), 4);
        assert_eq!(array_bit(4, 2, 0), 9);
        assert_eq!(array_bit(2, 4, 1), 10);
        assert_eq!(array_bit(1, 8, 0), 9);
        assert_eq!(array_bit(9, 3, 8), 35);
        assert_eq!(array_bit(18, 1, 17), 35);
    }
}
