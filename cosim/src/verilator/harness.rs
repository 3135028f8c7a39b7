//! The co-simulation harness (`sg_harness`): a Verilog module, verilated
//! with the design, that holds the accelerator's inputs in registers.
//!
//! Verilator evaluates every kernel that reads a top-level input whenever
//! it is called after an input changed, and again after the clock edge, so
//! a design driven directly costs two passes of its combinational logic a
//! cycle. The harness takes the inputs of the *next* cycle on `next_*`
//! ports and registers them on the rising edge, together with the design's
//! own state; the design's inputs then change only at the edge, and one
//! pass after it settles everything for the new cycle. The design sees
//! exactly the input sequence the host drove, one value per cycle, and its
//! outputs are read after that pass, so they are exact even where they
//! depend combinationally on an input.
//!
//! At power-on each input register takes its `next_*` port (an `initial`
//! block, run by the model's first evaluation), so the first cycle needs no
//! edge before it.

use spikegate_hdl::interface::{self, Direction, Port};
use spikegate_hdl::verilog::TOP_MODULE;

/// The name of the harness's port that takes input `port` for the next
/// cycle.
fn next(port: &Port) -> String {
    format!("next_{}", port.name())
}

/// The harness for a design with `taps` tapped layers: its ports, its
/// registers and the design's connections all come from the port table
/// ([`interface::ports`]), the clock passed through, every other input
/// registered from its `next_*` port, every output passed out.
pub fn source(taps: usize) -> String {
    let ports = interface::ports(taps);
    let registered: Vec<&Port> = ports
        .iter()
        .filter(|p| p.direction() == Direction::In && !p.is_clock())
        .collect();
    let declarations: Vec<String> = ports
        .iter()
        .map(|p| {
            let name = if registered.contains(&p) {
                next(p)
            } else {
                p.name()
            };
            format!(
                "    {} wire {}{name}",
                p.direction().verilog(),
                p.verilog_range()
            )
        })
        .collect();
    let lines = |f: &dyn Fn(&Port) -> String| -> String {
        registered
            .iter()
            .map(|p| format!("        {}\n", f(p)))
            .collect()
    };
    let regs: String = registered
        .iter()
        .map(|p| format!("    reg {}{};\n", p.verilog_range(), p.name()))
        .collect();
    let initial = lines(&|p| format!("{} = {};", p.name(), next(p)));
    let edge = lines(&|p| format!("{} <= {};", p.name(), next(p)));
    let connections: Vec<String> = ports
        .iter()
        .map(|p| format!("        .{0}({0})", p.name()))
        .collect();
    format!(
        "// spikegate co-simulation harness: the accelerator's inputs, registered.
module sg_harness(
{declarations});
{regs}    initial begin
{initial}    end
    always @(posedge {clock}) begin
{edge}    end
    {TOP_MODULE} dut(
{connections});
endmodule
",
        clock = interface::CLOCK,
        declarations = declarations.join(",\n"),
        connections = connections.join(",\n"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tap_is_passed_through() {
        let v = source(2);
        assert!(v.contains("output wire tap1_valid") && v.contains(".tap1_eos(tap1_eos)"));
        assert!(!v.contains("tap2"));
        assert!(!source(0).contains("tap0"));
    }
}
