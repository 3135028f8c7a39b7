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

/// The harness for a design with `taps` tapped layers (ports: see
/// docs/hardware.md, section 2).
pub fn source(taps: usize) -> String {
    let mut ports = String::new();
    let mut connect = String::new();
    for l in 0..taps {
        ports.push_str(&format!(
            ",\n    output wire tap{l}_valid, output wire [15:0] tap{l}_neuron, \
             output wire tap{l}_eos"
        ));
        connect.push_str(&format!(
            ",\n        .tap{l}_valid(tap{l}_valid), .tap{l}_neuron(tap{l}_neuron), \
             .tap{l}_eos(tap{l}_eos)"
        ));
    }
    format!(
        "// spikegate co-simulation harness: the accelerator's inputs, registered.
module sg_harness(
    input wire clock,
    input wire next_reset, input wire next_start, input wire next_in_valid,
    input wire [15:0] next_in_neuron, input wire next_in_eos, input wire next_out_ready,
    output wire in_ready, output wire out_valid, output wire [15:0] out_neuron,
    output wire out_eos, output wire [31:0] out_value, output wire busy,
    output wire done{ports});
    reg reset, start, in_valid, in_eos, out_ready;
    reg [15:0] in_neuron;
    initial begin
        reset = next_reset; start = next_start; in_valid = next_in_valid;
        in_neuron = next_in_neuron; in_eos = next_in_eos; out_ready = next_out_ready;
    end
    always @(posedge clock) begin
        reset <= next_reset; start <= next_start; in_valid <= next_in_valid;
        in_neuron <= next_in_neuron; in_eos <= next_in_eos; out_ready <= next_out_ready;
    end
    spikegate_top dut(
        .clock(clock), .reset(reset), .start(start), .in_valid(in_valid),
        .in_ready(in_ready), .in_neuron(in_neuron), .in_eos(in_eos),
        .out_valid(out_valid), .out_ready(out_ready), .out_neuron(out_neuron),
        .out_eos(out_eos), .out_value(out_value), .busy(busy), .done(done){connect});
endmodule
"
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
