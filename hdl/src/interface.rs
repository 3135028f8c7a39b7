//! The port list of the accelerator top ([`crate::verilog::TOP_MODULE`]):
//! the one table of every port's name, direction, width and meaning
//! (docs/hardware.md, section 2, shows it).
//!
//! Everything else that names the top's ports reads it: `manifest.json`
//! (`spikegate-gen`), the co-simulator's named port values and waveforms,
//! and the Verilator harness and shim it generates (`spikegate-cosim`).
//! What Rust's types make a hand-written mapping (the `Signal` fields of
//! [`crate::top::Accelerator`], the co-simulator's `Inputs` and `Outputs`
//! structs) is checked against this table by tests: the generated Verilog's
//! `spikegate_top` ports against [`ports`] (tests/tests/cosim.rs), the
//! structs in their own crates, and docs/hardware.md's table below.
//!
//! A design has the [`FIXED`] ports, then, when it is built with taps, the
//! [`TAP`] ports of each hidden layer `l` in turn, named `tap<l>_<field>`.

use crate::plan::{HardwarePlan, NEURON_BITS};

/// Width of `out_value`: a readout neuron's membrane, sign-extended.
pub const VALUE_BITS: usize = 32;

/// Which way a port carries its signal, seen from the accelerator
/// (serialized as [`Direction::name`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Driven by the host.
    In,
    /// Driven by the accelerator.
    Out,
}

impl Direction {
    /// `in` or `out`, as `manifest.json` and docs/hardware.md write it.
    pub fn name(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }

    /// `input` or `output`, the Verilog keyword.
    pub fn verilog(self) -> &'static str {
        match self {
            Direction::In => "input",
            Direction::Out => "output",
        }
    }
}

/// One row of the table.
#[derive(Debug, PartialEq, Eq)]
pub struct PortSpec {
    /// The port's name; for a [`TAP`] row, the field after `tap<l>_`.
    pub name: &'static str,
    /// Which way it points.
    pub direction: Direction,
    /// Bits.
    pub width: usize,
    /// What it carries (`manifest.json`'s text; a [`TAP`] row's is
    /// [`tap_meaning`]).
    pub meaning: &'static str,
}

const fn row(
    name: &'static str,
    direction: Direction,
    width: usize,
    meaning: &'static str,
) -> PortSpec {
    PortSpec {
        name,
        direction,
        width,
        meaning,
    }
}

use Direction::{In, Out};

/// The name of the clock, the one port the co-simulator's back ends drive
/// themselves (so it has no field in the host's inputs).
pub const CLOCK: &str = "clock";

/// The ports of every design, in the order of the module's port list.
pub const FIXED: &[PortSpec] = &[
    row(CLOCK, In, 1, "rising-edge clock"),
    row("reset", In, 1, "synchronous reset, active high"),
    row(
        "start",
        In,
        1,
        "one-cycle pulse: clear all state and begin a sample",
    ),
    row("in_valid", In, 1, "an input beat is offered"),
    row("in_ready", Out, 1, "the accelerator takes the input beat"),
    row("in_neuron", In, NEURON_BITS, "input spike: neuron index"),
    row("in_eos", In, 1, "the input beat ends the current step"),
    row("out_valid", Out, 1, "an output beat is offered"),
    row("out_ready", In, 1, "the consumer takes the output beat"),
    row("out_neuron", Out, NEURON_BITS, "output spike: neuron index"),
    row("out_eos", Out, 1, "the output beat ends the current step"),
    row(
        "out_value",
        Out,
        VALUE_BITS,
        "readout networks: the neuron's final membrane (two's complement); otherwise 0",
    ),
    row("busy", Out, 1, "a sample is running"),
    row(
        "done",
        Out,
        1,
        "the last sample has finished (until the next start)",
    ),
];

/// The ports of one tapped hidden layer: its stream as it enters the next
/// FIFO (a beat moved when `valid` is high). Their meaning is
/// [`tap_meaning`].
pub const TAP: &[PortSpec] = &[
    row("valid", Out, 1, "a beat moved this cycle"),
    row("neuron", Out, NEURON_BITS, "its neuron index"),
    row("eos", Out, 1, "it ends a step"),
];

/// The meaning `manifest.json` gives every port of tapped layer `layer`.
pub fn tap_meaning(layer: usize) -> String {
    format!("layer {layer}'s output stream (observed)")
}

/// The name of the port of tapped layer `layer` for the [`TAP`] row
/// `field`.
pub fn tap_name(layer: usize, field: &str) -> String {
    format!("tap{layer}_{field}")
}

/// How many tapped layers the design of `plan` has: every hidden layer
/// with taps, none without.
pub fn tap_count(plan: &HardwarePlan) -> usize {
    if plan.options.taps {
        plan.cores.len() - 1
    } else {
        0
    }
}

/// One port of a design: a row of the table and, for a tap port, its
/// layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port {
    /// The row.
    pub spec: &'static PortSpec,
    /// The tapped layer of a [`TAP`] row; `None` for a [`FIXED`] one.
    pub tap: Option<usize>,
}

impl Port {
    /// The port's name in the design.
    pub fn name(&self) -> String {
        match self.tap {
            Some(l) => tap_name(l, self.spec.name),
            None => self.spec.name.to_string(),
        }
    }

    /// Which way it points.
    pub fn direction(&self) -> Direction {
        self.spec.direction
    }

    /// Bits.
    pub fn width(&self) -> usize {
        self.spec.width
    }

    /// What it carries, as `manifest.json` says it.
    pub fn meaning(&self) -> String {
        match self.tap {
            Some(l) => tap_meaning(l),
            None => self.spec.meaning.to_string(),
        }
    }

    /// Whether this is the clock.
    pub fn is_clock(&self) -> bool {
        self.tap.is_none() && self.spec.name == CLOCK
    }

    /// Its Verilog range with a space after it (`[15:0] `), or nothing for
    /// one bit: `wire {range}name`.
    pub fn verilog_range(&self) -> String {
        match self.width() {
            1 => String::new(),
            w => format!("[{}:0] ", w - 1),
        }
    }
}

/// The clock's port.
pub fn clock() -> Port {
    ports(0)
        .into_iter()
        .find(Port::is_clock)
        .expect("the table has a clock")
}

/// Every port of a design with `taps` tapped layers, in the module's
/// order: the fixed ports, then each tapped layer's.
pub fn ports(taps: usize) -> Vec<Port> {
    let fixed = FIXED.iter().map(|spec| Port { spec, tap: None });
    let tapped = (0..taps).flat_map(|l| TAP.iter().map(move |spec| Port { spec, tap: Some(l) }));
    fixed.chain(tapped).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_the_fixed_ones_then_each_taps() {
        let names: Vec<String> = ports(2).iter().map(Port::name).collect();
        assert_eq!(names.len(), FIXED.len() + 2 * TAP.len());
        assert_eq!(names[0], "clock");
        assert_eq!(
            &names[FIXED.len()..],
            [
                "tap0_valid",
                "tap0_neuron",
                "tap0_eos",
                "tap1_valid",
                "tap1_neuron",
                "tap1_eos"
            ]
        );
        let unique: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "a port name twice: {names:?}");
        assert_eq!(ports(0).len(), FIXED.len());
        assert_eq!(
            ports(1)[FIXED.len()].meaning(),
            "layer 0's output stream (observed)"
        );
        assert_eq!(ports(0)[5].verilog_range(), "[15:0] ");
        assert_eq!(clock().verilog_range(), "");
        assert_eq!(clock().name(), CLOCK);
    }

    /// docs/hardware.md, section 2, shows the table: the same names,
    /// directions and widths, in the same order (the meanings there may
    /// say more).
    #[test]
    fn the_documented_table_is_this_one() {
        let doc = include_str!("../../docs/hardware.md");
        let section = &doc[doc.find("## 2. Top-level ports").expect("section 2")..];
        let rows: Vec<(String, String, usize)> = section
            .lines()
            .skip_while(|l| !l.starts_with("| `"))
            .take_while(|l| l.starts_with("| `"))
            .map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                let width = cells[3].parse().unwrap_or_else(|_| panic!("width in {l}"));
                (
                    cells[1].trim_matches('`').to_string(),
                    cells[2].to_string(),
                    width,
                )
            })
            .collect();
        let expected: Vec<(String, String, usize)> = FIXED
            .iter()
            .map(|p| (p.name.to_string(), p.direction.name().to_string(), p.width))
            .chain(TAP.iter().map(|p| {
                (
                    format!("tap<l>_{}", p.name),
                    p.direction.name().to_string(),
                    p.width,
                )
            }))
            .collect();
        assert_eq!(rows, expected);
    }
}
