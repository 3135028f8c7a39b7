//! The processing element: one lane's arithmetic, as a Rust model (what the
//! rust-hdl simulation runs) and as a combinational Verilog module (what the
//! generated design contains).
//!
//! A lane is one neuron's slice of a neuron-memory word. Every cycle the
//! datapath hands each lane an operation:
//!
//! | op | name | the lane's new word |
//! |---|---|---|
//! | 0 | idle | unchanged |
//! | 1 | accumulate | `acc + weight`, the rest unchanged |
//! | 2 | sweep | the neuron update of docs/semantics.md §4 with `x = acc + bias`; `acc = 0` |
//! | 3 | clear | all zero (start of a sample) |
//!
//! The Verilog is generated with the layer's exact widths (rust-hdl's
//! compile-time widths cannot follow a model's), so the arithmetic is as
//! narrow as the model allows; the Rust model is written independently of
//! the reference in `sim/` and both are checked against it.

use spikegate_model::width::{range_of, saturate};
use spikegate_model::Reset;

use crate::plan::{CorePlan, Update};

/// Datapath operation codes (the `op` input of the datapath and the PEs).
pub mod op {
    /// Nothing happens.
    pub const IDLE: u64 = 0;
    /// Add the weight to the accumulator.
    pub const ACCUMULATE: u64 = 1;
    /// End-of-step neuron update.
    pub const SWEEP: u64 = 2;
    /// Zero the lane (start of a sample).
    pub const CLEAR: u64 = 3;
}

/// One lane's state, as the neuron memory holds it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LaneState {
    /// Synaptic input accumulated in this step (without bias).
    pub acc: i64,
    /// Membrane potential.
    pub v: i64,
    /// Synaptic current (`ttfs`).
    pub i: i64,
    /// Fired before in this sample (`ttfs`).
    pub fired: bool,
}

/// Applies operation `op` to one lane with the weight-memory value
/// `weight` (a weight when accumulating, the bias when sweeping). Returns
/// the new state and whether the lane spikes.
pub fn apply(core: &CorePlan, op: u64, s: LaneState, weight: i64) -> (LaneState, bool) {
    match op {
        op::ACCUMULATE => (
            LaneState {
                acc: s.acc + weight,
                ..s
            },
            false,
        ),
        op::SWEEP => sweep(core, s, weight),
        op::CLEAR => (LaneState::default(), false),
        _ => (s, false),
    }
}

fn sweep(core: &CorePlan, s: LaneState, weight: i64) -> (LaneState, bool) {
    let bias = if core.bias.is_some() { weight } else { 0 };
    let x = s.acc + bias;
    let membrane = core.lane.membrane;
    let (i, v_sum) = match core.update {
        Update::If => (0, s.v + x),
        Update::LifShift(k) => (0, s.v - (s.v >> k.min(63)) + x),
        Update::LifMultiply { beta, frac_bits } => (0, ((s.v * beta) >> frac_bits) + x),
        Update::Ttfs => {
            let i = saturate(s.i + x, core.lane.current.unwrap_or(membrane));
            (i, s.v + i)
        }
    };
    let v = saturate(v_sum, membrane);
    let spike = v >= core.threshold && !s.fired;
    let v = match (spike, core.reset) {
        (true, Reset::Subtract) => v - core.threshold,
        (true, Reset::Zero) => 0,
        _ => v,
    };
    let fired = s.fired || (core.lane.fired_flag && spike);
    (
        LaneState {
            acc: 0,
            v,
            i,
            fired,
        },
        spike,
    )
}

/// Name of the PE module of `core`.
pub fn module_name(core: &CorePlan) -> String {
    format!("{}_pe", core.module_stem())
}

/// Width of the PE's internal signed arithmetic: room for `v * beta`
/// (an 18-bit factor) and for every sum; synthesis trims what sign
/// extension makes redundant.
fn internal_width(core: &CorePlan) -> u32 {
    let l = &core.lane;
    (l.acc + 1)
        .max(l.membrane)
        .max(l.current.unwrap_or(0))
        .max(core.weight_width)
        + 20
}

/// A signed Verilog literal of width `w`.
fn lit(w: u32, value: i64) -> String {
    if value < 0 {
        format!("-{w}'sd{}", value.unsigned_abs())
    } else {
        format!("{w}'sd{value}")
    }
}

/// Sign-extends the `from`-bit signal `name` to `to` bits.
fn sext(name: &str, from: u32, to: u32) -> String {
    if from == to {
        name.to_string()
    } else {
        format!("{{{{{}{{{name}[{}]}}}}, {name}}}", to - from, from - 1)
    }
}

/// `sat_B(z)` of the `wi`-bit signed signal `z`, as a `B`-bit expression.
fn saturate_expr(z: &str, width: u32, wi: u32) -> String {
    let (lo, hi) = range_of(width);
    let min = format!("{{1'b1, {{{}{{1'b0}}}}}}", width - 1);
    format!(
        "({z} > {hi}) ? {width}'sd{hv} : ({z} < {lo}) ? {min} : {z}[{top}:0]",
        hi = lit(wi, hi),
        lo = lit(wi, lo),
        hv = hi,
        top = width - 1,
    )
}

/// The PE module of `core`: combinational, ports `op`, `weight`,
/// `state_in`, `state_out`, `fire`.
pub fn verilog(core: &CorePlan) -> String {
    let l = core.lane;
    let (a, v, ww) = (l.acc, l.membrane, core.weight_width);
    let lb = l.bits();
    let wi = internal_width(core);
    let mut body = String::new();
    let mut line = |s: String| {
        body.push_str("  ");
        body.push_str(&s);
        body.push('\n');
    };
    line(format!(
        "wire signed [{}:0] acc = state_in[{}:0];",
        a - 1,
        a - 1
    ));
    line(format!(
        "wire signed [{}:0] v = state_in[{}:{}];",
        v - 1,
        a + v - 1,
        a
    ));
    line(format!(
        "wire signed [{}:0] acc_x = {};",
        wi - 1,
        sext("acc", a, wi)
    ));
    line(format!(
        "wire signed [{}:0] v_x = {};",
        wi - 1,
        sext("v", v, wi)
    ));
    line(format!(
        "wire signed [{}:0] weight_x = {};",
        wi - 1,
        sext("weight", ww, wi)
    ));
    line(format!(
        "wire signed [{}:0] acc_sum = acc_x + weight_x;",
        wi - 1
    ));
    let x = if core.bias.is_some() {
        "acc_x + weight_x"
    } else {
        "acc_x"
    };
    line(format!("wire signed [{}:0] x = {x};", wi - 1));
    let mut rest_fields = Vec::new();
    match core.update {
        Update::If => line(format!("wire signed [{}:0] v_sum = v_x + x;", wi - 1)),
        Update::LifShift(k) => line(format!(
            "wire signed [{}:0] v_sum = v_x - (v_x >>> {k}) + x;",
            wi - 1
        )),
        Update::LifMultiply { beta, frac_bits } => {
            line(format!(
                "wire signed [{}:0] v_scaled = v_x * {};",
                wi - 1,
                lit(wi, beta)
            ));
            line(format!(
                "wire signed [{}:0] v_sum = (v_scaled >>> {frac_bits}) + x;",
                wi - 1
            ));
        }
        Update::Ttfs => {
            let iw = l.current.expect("ttfs has a current width");
            line(format!(
                "wire signed [{}:0] i = state_in[{}:{}];",
                iw - 1,
                a + v + iw - 1,
                a + v
            ));
            line(format!("wire fired = state_in[{}];", lb - 1));
            line(format!(
                "wire signed [{}:0] i_sum = {} + x;",
                wi - 1,
                sext("i", iw, wi)
            ));
            line(format!(
                "wire [{}:0] i_new = {};",
                iw - 1,
                saturate_expr("i_sum", iw, wi)
            ));
            line(format!(
                "wire signed [{}:0] i_new_x = {};",
                wi - 1,
                sext("i_new", iw, wi)
            ));
            line(format!("wire signed [{}:0] v_sum = v_x + i_new_x;", wi - 1));
            rest_fields.push("i_new".to_string());
        }
    }
    line(format!(
        "wire [{}:0] v_new = {};",
        v - 1,
        saturate_expr("v_sum", v, wi)
    ));
    let not_fired = if l.fired_flag { " && !fired" } else { "" };
    line(format!(
        "wire signed [{}:0] v_new_x = {};",
        wi - 1,
        sext("v_new", v, wi)
    ));
    line(format!(
        "wire spike = (v_new_x >= {}){not_fired};",
        lit(wi, core.threshold)
    ));
    let v_after = match core.reset {
        Reset::Subtract => format!(
            "spike ? v_new - {v}'d{} : v_new",
            core.threshold.rem_euclid(1i64 << v)
        ),
        Reset::Zero => format!("spike ? {v}'d0 : v_new"),
        Reset::None => "v_new".to_string(),
    };
    line(format!("wire [{}:0] v_reset = {v_after};", v - 1));
    if l.fired_flag {
        rest_fields.push("fired | spike".to_string());
    }
    // Fields from the most significant: fired, i, v, acc.
    rest_fields.reverse();
    let mut swept: Vec<String> = rest_fields;
    swept.push("v_reset".into());
    swept.push(format!("{a}'d0"));
    line("always @(*) begin".into());
    line("  case (op)".into());
    line(format!(
        "    2'd1: state_out = {{state_in[{}:{}], acc_sum[{}:0]}};",
        lb - 1,
        a,
        a - 1
    ));
    line(format!("    2'd2: state_out = {{{}}};", swept.join(", ")));
    line(format!("    2'd3: state_out = {lb}'d0;"));
    line("    default: state_out = state_in;".into());
    line("  endcase".into());
    line("end".into());
    line("assign fire = (op == 2'd2) && spike;".into());
    // The accumulate sum's top bits and, without a bias, the weight port
    // during a sweep are unused by construction.
    line(format!(
        "wire unused_pe = &{{1'b0, acc_sum[{}:{}], 1'b0}};",
        wi - 1,
        a
    ));
    format!(
        "\n// One lane of layer {layer} ({kind}): accumulate, sweep or clear.\n\
         module {name} (\n  input wire [1:0] op,\n  input wire [{wt}:0] weight,\n  \
         input wire [{lbt}:0] state_in,\n  output reg [{lbt}:0] state_out,\n  output wire fire\n);\n\
         {body}endmodule\n",
        layer = core.index,
        kind = core.update.tag(),
        name = module_name(core),
        wt = ww - 1,
        lbt = lb - 1,
    )
}
