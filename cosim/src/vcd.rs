//! A waveform (VCD) of the top-level ports, written from what the host
//! drove and saw in each cycle: the clock, then the ports of
//! [`Inputs::named`] and [`Outputs::named`], all as the port table
//! ([`spikegate_hdl::interface`]) names them. Back ends without an internal waveform
//! (`rusthdl`) use it; Verilator writes its own, with every signal.
//!
//! Each cycle lasts 10 time units: the inputs change with the clock low at
//! `10 * cycle`, and the rising edge is at `10 * cycle + 5`.

use std::io::{self, Write};

use spikegate_hdl::interface;
use spikegate_hdl::verilog::TOP_MODULE;

use crate::ports::{Inputs, Outputs};

/// Writes the ports of the cycles in a window.
pub struct PortVcd<W: Write> {
    out: W,
    last: Vec<u64>,
    header_done: bool,
    /// Cycles (from `start`) to record.
    window: std::ops::Range<u64>,
}

/// VCD identifier of signal `i` (printable characters from `!`).
fn id(i: usize) -> String {
    let mut i = i;
    let mut s = String::new();
    loop {
        s.push((b'!' + (i % 94) as u8) as char);
        i /= 94;
        if i == 0 {
            return s;
        }
    }
}

fn value(v: u64, width: usize, ident: &str) -> String {
    if width == 1 {
        format!("{v}{ident}")
    } else {
        format!("b{v:b} {ident}")
    }
}

impl<W: Write> PortVcd<W> {
    /// A writer recording the cycles in `window`.
    pub fn new(out: W, window: std::ops::Range<u64>) -> Self {
        PortVcd {
            out,
            last: Vec::new(),
            header_done: false,
            window,
        }
    }

    /// Records one cycle (ignored outside the window).
    pub fn cycle(&mut self, cycle: u64, inputs: &Inputs, outputs: &Outputs) -> io::Result<()> {
        if !self.window.contains(&cycle) {
            return Ok(());
        }
        let signals: Vec<(String, u64, usize)> =
            inputs.named().into_iter().chain(outputs.named()).collect();
        if !self.header_done {
            writeln!(
                self.out,
                "$timescale 1ns $end\n$scope module {TOP_MODULE} $end"
            )?;
            let clock = interface::clock();
            writeln!(
                self.out,
                "$var wire {} {} {} $end",
                clock.width(),
                id(0),
                clock.name()
            )?;
            for (i, (name, _, width)) in signals.iter().enumerate() {
                writeln!(self.out, "$var wire {width} {} {name} $end", id(i + 1))?;
            }
            writeln!(self.out, "$upscope $end\n$enddefinitions $end")?;
            self.header_done = true;
            self.last = vec![u64::MAX; signals.len()];
        }
        writeln!(self.out, "#{}\n0{}", cycle * 10, id(0))?;
        for (i, (_, v, width)) in signals.iter().enumerate() {
            if self.last[i] != *v {
                writeln!(self.out, "{}", value(*v, *width, &id(i + 1)))?;
                self.last[i] = *v;
            }
        }
        writeln!(self.out, "#{}\n1{}", cycle * 10 + 5, id(0))
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_header_changes_and_clock() {
        let mut vcd = PortVcd::new(Vec::new(), 1..3);
        let mut i = Inputs::default();
        let o = Outputs::with_taps(1);
        for c in 0..4 {
            i.in_neuron = c as u16;
            vcd.cycle(c, &i, &o).unwrap();
        }
        let text = String::from_utf8(vcd.finish().unwrap()).unwrap();
        assert!(text.contains("$var wire 16 % in_neuron $end"), "{text}");
        assert!(text.contains("$var wire 16 0 tap0_neuron $end"), "{text}");
        assert!(text.contains("#10\n0!\n"), "{text}");
        assert!(text.contains("b1 %\n"), "{text}");
        assert!(text.contains("#20\n0!\nb10 %\n#25\n1!"), "{text}");
        assert!(
            !text.contains("#30"),
            "cycle 3 is outside the window:\n{text}"
        );
    }
}
