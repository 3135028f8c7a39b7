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
//! | 4 | repeat | a multi-spike lane with spikes left in this step fires one more (`rem - 1`), the rest unchanged |
//!
//! The Verilog is generated with the layer's exact widths (rust-hdl's
//! compile-time widths cannot follow a model's), so the arithmetic is as
//! narrow as the model allows; the Rust model is written independently of
//! the reference in `sim/` and both are checked against it.

use spikegate_model::width::{range_of, saturate};
use spikegate_model::{Decay, Reset, ResetTiming};

use crate::plan::{CorePlan, Update};

/// Width of the `op` input of the datapath and the PEs.
pub const OP_BITS: usize = 3;

/// A datapath operation: the `op` input of the datapath and the PEs, with
/// its encoding as the discriminant (the table above).
///
/// The cores' `#[hdl_gen]` kernels write an operation as its code literal
/// (`self.datapath.op.next = 3.into()` for [`Op::Clear`]): rust-hdl
/// translates a kernel from its source text and takes only literals there.
/// Each such line names its operation in a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Op {
    /// Nothing happens.
    Idle = 0,
    /// Add the weight to the accumulator.
    Accumulate = 1,
    /// End-of-step neuron update.
    Sweep = 2,
    /// Zero the lane (start of a sample).
    Clear = 3,
    /// Fire one more of the spikes the sweep counted (multi-spike layers).
    Repeat = 4,
}

impl Op {
    /// The operation of the `op` signal's value `code` (its low
    /// [`OP_BITS`] bits; the codes no operation has do nothing).
    pub fn from_code(code: u64) -> Op {
        match code & ((1 << OP_BITS) - 1) {
            1 => Op::Accumulate,
            2 => Op::Sweep,
            3 => Op::Clear,
            4 => Op::Repeat,
            _ => Op::Idle,
        }
    }

    /// The encoding.
    pub fn code(self) -> u64 {
        self as u64
    }

    /// The encoding as a Verilog literal (`2'd2`).
    pub fn verilog(self) -> String {
        format!("{OP_BITS}'d{}", self.code())
    }
}

/// One lane's state, as the neuron memory holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaneState {
    /// Synaptic input accumulated for the coming steps (without bias), one
    /// slot a step of delay: slot `(t + d) mod S` collects what arrives at
    /// step `t + d`. One slot for a layer without delays.
    pub acc: Vec<i64>,
    /// Membrane potential.
    pub v: i64,
    /// Synaptic current (`cuba`, `ttfs`).
    pub i: i64,
    /// Adaptation (`adlif`).
    pub w: i64,
    /// `ttfs`: fired before in this sample; `adlif`: spiked in the
    /// previous step.
    pub flag: bool,
    /// Deferred reset: the spikes of the previous step, whose reset this
    /// step's update pays (`r` of docs/semantics.md section 4).
    pub owed: u32,
    /// Multi-spike layers: spikes the sweep counted that repeats have yet
    /// to fire in this step.
    pub rem: u32,
}

impl LaneState {
    /// The zero state of a lane with `slots` delay slots.
    pub fn zero(slots: u32) -> Self {
        LaneState {
            acc: vec![0; slots as usize],
            ..LaneState::default()
        }
    }
}

/// What the weight memory and the core give a lane in one operation: the
/// weight-memory value (a weight when accumulating, the bias when
/// sweeping), the synapse's delay, and the slot of the current step
/// (`t mod S`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LaneInput {
    /// Weight or bias.
    pub weight: i64,
    /// The synapse's delay (accumulate).
    pub delay: u32,
    /// Slot of the current step.
    pub slot: u32,
}

/// Applies operation `op` to one lane. Returns the new state and whether
/// the lane spikes.
pub fn apply(core: &CorePlan, op: Op, s: &LaneState, input: LaneInput) -> (LaneState, bool) {
    let slots = core.lane.slots;
    match op {
        Op::Accumulate => {
            let mut next = s.clone();
            let target = ((input.slot + input.delay) % slots) as usize;
            // The slot keeps its low `A` bits, as the neuron memory does.
            // A protocol-keeping host never carries it further (A holds
            // every partial sum of one step, docs/hardware.md, section 4);
            // a host that sends a spike twice in one step can, and the
            // model then wraps where the hardware does.
            next.acc[target] = wrap(next.acc[target] + input.weight, core.lane.acc);
            (next, false)
        }
        Op::Sweep => sweep(core, s, input),
        Op::Repeat if s.rem > 0 => (
            LaneState {
                rem: s.rem - 1,
                ..s.clone()
            },
            true,
        ),
        Op::Repeat => (s.clone(), false),
        Op::Clear => (LaneState::zero(slots), false),
        Op::Idle => (s.clone(), false),
    }
}

/// `z` reduced to a `bits`-bit two's-complement value (its low bits,
/// sign-extended).
fn wrap(z: i64, bits: u32) -> i64 {
    let unused = 64 - bits.min(64);
    (z << unused) >> unused
}

/// `D(z)` of docs/semantics.md; an absent decay holds the value.
fn decay(z: i64, d: Option<Decay>) -> i64 {
    match d {
        None => z,
        Some(Decay::Shift(k)) => z - (z >> k.min(63)),
        Some(Decay::Multiply { beta, frac_bits }) => (z * beta) >> frac_bits,
    }
}

fn sweep(core: &CorePlan, s: &LaneState, input: LaneInput) -> (LaneState, bool) {
    let bias = if core.bias.is_some() { input.weight } else { 0 };
    let slot = input.slot as usize;
    let x = s.acc[slot] + bias;
    let mut acc = s.acc.clone();
    acc[slot] = 0;
    let l = core.lane;
    let membrane = l.membrane;
    let (i, w, v_sum) = match core.update {
        Update::If => (0, 0, s.v + x),
        Update::LifShift(k) => (0, 0, decay(s.v, Some(Decay::Shift(k))) + x),
        Update::LifMultiply { beta, frac_bits } => (
            0,
            0,
            decay(s.v, Some(Decay::Multiply { beta, frac_bits })) + x,
        ),
        Update::Ttfs => {
            let i = saturate(s.i + x, l.current.unwrap_or(membrane));
            (i, 0, s.v + i)
        }
        Update::Cuba {
            current,
            membrane: membrane_decay,
        } => {
            let i = saturate(decay(s.i, current) + x, l.current.unwrap_or(membrane));
            (i, 0, decay(s.v, membrane_decay) + i)
        }
        Update::Adlif {
            alpha,
            beta,
            a,
            b,
            frac_bits,
        } => {
            // `v` and `s` here are the previous step's, after its reset.
            let kick = if s.flag { b } else { 0 };
            let w = saturate(
                ((beta * s.w + a * s.v) >> frac_bits) + kick,
                l.adaptation.unwrap_or(membrane),
            );
            (0, w, ((alpha * s.v) >> frac_bits) + x - w)
        }
    };
    let deferred = core.timing == ResetTiming::Deferred;
    // A reset owed by the previous step's spikes: theta each comes off the
    // exact sum before saturation, or the membrane is zeroed.
    let owed = i64::from(if deferred { s.owed } else { 0 });
    let v = match (owed > 0, core.reset) {
        (true, Reset::Subtract) => saturate(v_sum - owed * core.threshold, membrane),
        (true, Reset::Zero) => 0,
        _ => saturate(v_sum, membrane),
    };
    let once = core.update == Update::Ttfs;
    let spike = !core.readout && v >= core.threshold && !(once && s.flag);
    let count = if spike {
        (v / core.threshold).min(i64::from(core.max_spikes))
    } else {
        0
    };
    let v = match (spike && !deferred, core.reset) {
        (true, Reset::Subtract) => v - count * core.threshold,
        (true, Reset::Zero) => 0,
        _ => v,
    };
    let v = core.floor.map_or(v, |floor| v.max(floor));
    let flag = match core.update {
        Update::Ttfs => s.flag || spike,
        Update::Adlif { .. } => spike,
        _ => false,
    };
    let owed = if deferred { count as u32 } else { 0 };
    let rem = (count as u32).saturating_sub(1);
    (
        LaneState {
            acc,
            v,
            i,
            w,
            flag,
            owed,
            rem,
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
        .max(l.adaptation.unwrap_or(0))
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

/// Declares `<z>_dec`, the decay `d` of the `wi`-bit signal `<z>_x` (an
/// absent decay holds the value).
fn decay_wires(line: &mut dyn FnMut(String), z: &str, d: Option<Decay>, wi: u32) {
    let top = wi - 1;
    match d {
        None => line(format!("wire signed [{top}:0] {z}_dec = {z}_x;")),
        Some(Decay::Shift(k)) => line(format!(
            "wire signed [{top}:0] {z}_dec = {z}_x - ({z}_x >>> {k});"
        )),
        Some(Decay::Multiply { beta, frac_bits }) => {
            line(format!(
                "wire signed [{top}:0] {z}_prod = {z}_x * {};",
                lit(wi, beta)
            ));
            line(format!(
                "wire signed [{top}:0] {z}_dec = {z}_prod >>> {frac_bits};"
            ));
        }
    }
}

/// The delay slots of a lane: `acc_<m>`, the slot `acc` of this step
/// (`slot`, swept) and the slot `acc_t` an arriving spike lands in
/// (`target = (slot + delay) mod S`).
fn slot_wires(line: &mut dyn FnMut(String), core: &CorePlan) {
    let (a, slots, db) = (core.lane.acc, core.lane.slots, core.delay_bits());
    for m in 0..slots {
        line(format!(
            "wire signed [{}:0] acc_{m} = state_in[{}:{}];",
            a - 1,
            (m + 1) * a - 1,
            m * a
        ));
    }
    line(format!(
        "wire [{db}:0] target_sum = {{1'b0, slot}} + {{1'b0, delay}};"
    ));
    line(format!(
        "wire [{}:0] target_wrap = target_sum - {}'d{slots};",
        db,
        db + 1
    ));
    line(format!(
        "wire [{}:0] target = (target_sum >= {}'d{slots}) ? target_wrap[{}:0] : target_sum[{}:0];",
        db - 1,
        db + 1,
        db - 1,
        db - 1
    ));
    line(format!(
        "wire unused_target = &{{1'b0, target_wrap[{db}], 1'b0}};"
    ));
    for (name, sel) in [("acc", "slot"), ("acc_t", "target")] {
        line(format!("reg signed [{}:0] {name};", a - 1));
        line("always @(*) begin".into());
        line(format!("  case ({sel})"));
        for m in 0..slots {
            line(format!("    {m}: {name} = acc_{m};"));
        }
        line(format!("    default: {name} = {a}'d0;"));
        line("  endcase".into());
        line("end".into());
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

/// Bits of a spike count `0..=max_spikes` of `core`.
fn count_bits(core: &CorePlan) -> u32 {
    u32::BITS - core.max_spikes.leading_zeros()
}

/// Declares `count`, the spikes a multi-spike lane fires in this step,
/// `min(max_spikes, floor(v / theta))` when it spikes, by comparing the
/// membrane with each multiple of the threshold, and `rem_new`, those the
/// repeats of the step still fire.
fn count_wires(line: &mut dyn FnMut(String), core: &CorePlan, wi: u32) {
    let c = count_bits(core);
    let mut chain = String::new();
    for k in (2..=core.max_spikes).rev() {
        chain.push_str(&format!(
            "(v_new_x >= {}) ? {c}'d{k} : ",
            lit(wi, i64::from(k) * core.threshold)
        ));
    }
    line(format!(
        "wire [{}:0] count = !spike ? {c}'d0 : {chain}{c}'d1;",
        c - 1
    ));
    line(format!(
        "wire [{}:0] rem_new = spike ? count - {c}'d1 : {c}'d0;",
        c - 1
    ));
}

/// Declares `v_new`, the saturated membrane update from `v_sum`, with a
/// deferred reset owed by the previous step's spike folded in: theta off
/// the exact sum before saturation (subtract), or zero.
fn deferred_reset_wires(line: &mut dyn FnMut(String), core: &CorePlan, wi: u32) {
    let v = core.lane.membrane;
    let saturated = |z: &str| saturate_expr(z, v, wi);
    let ob = core.lane.owed;
    match (ob, core.reset) {
        (1, Reset::Subtract) => {
            line(format!(
                "wire signed [{}:0] v_owed = owed ? v_sum - {} : v_sum;",
                wi - 1,
                lit(wi, core.threshold)
            ));
            line(format!(
                "wire [{}:0] v_new = {};",
                v - 1,
                saturated("v_owed")
            ));
        }
        (2.., Reset::Subtract) => {
            // Theta once per owed spike, off the exact sum.
            line(format!(
                "wire signed [{}:0] v_owed = v_sum - {{{}'d0, owed}} * {};",
                wi - 1,
                wi - ob,
                lit(wi, core.threshold)
            ));
            line(format!(
                "wire [{}:0] v_new = {};",
                v - 1,
                saturated("v_owed")
            ));
        }
        (1, Reset::Zero) => line(format!(
            "wire [{}:0] v_new = owed ? {v}'d0 : {};",
            v - 1,
            saturated("v_sum")
        )),
        (2.., Reset::Zero) => line(format!(
            "wire [{}:0] v_new = (owed != {ob}'d0) ? {v}'d0 : {};",
            v - 1,
            saturated("v_sum")
        )),
        _ => line(format!(
            "wire [{}:0] v_new = {};",
            v - 1,
            saturated("v_sum")
        )),
    }
}

/// The PE module of `core`: combinational, ports `op`, `weight`,
/// `state_in`, `state_out`, `fire`.
pub fn verilog(core: &CorePlan) -> String {
    let l = core.lane;
    let (a, v, ww) = (l.acc, l.membrane, core.weight_width);
    // All accumulator slots together, below `v`.
    let ab = l.slots * a;
    let lb = l.bits();
    let wi = internal_width(core);
    let mut body = String::new();
    let mut line = |s: String| {
        body.push_str("  ");
        body.push_str(&s);
        body.push('\n');
    };
    if l.slots == 1 {
        line(format!(
            "wire signed [{}:0] acc = state_in[{}:0];",
            a - 1,
            a - 1
        ));
    } else {
        slot_wires(&mut line, core);
    }
    line(format!(
        "wire signed [{}:0] v = state_in[{}:{}];",
        v - 1,
        ab + v - 1,
        ab
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
    // The fields at the top of the lane, from the most significant: rem,
    // owed, flag.
    if l.rem > 0 {
        line(format!(
            "wire [{}:0] rem = state_in[{}:{}];",
            l.rem - 1,
            lb - 1,
            lb - l.rem
        ));
    }
    if l.owed > 0 {
        let top = lb - 1 - l.rem;
        line(if l.owed == 1 {
            format!("wire owed = state_in[{top}];")
        } else {
            format!(
                "wire [{}:0] owed = state_in[{top}:{}];",
                l.owed - 1,
                top + 1 - l.owed
            )
        });
    }
    if l.flag {
        line(format!(
            "wire flag = state_in[{}];",
            lb - 1 - l.rem - l.owed
        ));
    }
    line(format!(
        "wire signed [{}:0] weight_x = {};",
        wi - 1,
        sext("weight", ww, wi)
    ));
    if l.slots == 1 {
        line(format!(
            "wire signed [{}:0] acc_sum = acc_x + weight_x;",
            wi - 1
        ));
    } else {
        line(format!(
            "wire signed [{}:0] acc_t_x = {};",
            wi - 1,
            sext("acc_t", a, wi)
        ));
        line(format!(
            "wire signed [{}:0] acc_sum = acc_t_x + weight_x;",
            wi - 1
        ));
    }
    let x = if core.bias.is_some() {
        "acc_x + weight_x"
    } else {
        "acc_x"
    };
    line(format!("wire signed [{}:0] x = {x};", wi - 1));
    let mut rest_fields = Vec::new();
    // The state fields above `v`, from the least significant bit.
    let mut field_base = ab + v;
    let mut field = |line: &mut dyn FnMut(String), name: &str, width: u32| {
        line(format!(
            "wire signed [{}:0] {name} = state_in[{}:{}];",
            width - 1,
            field_base + width - 1,
            field_base
        ));
        line(format!(
            "wire signed [{}:0] {name}_x = {};",
            wi - 1,
            sext(name, width, wi)
        ));
        field_base += width;
    };
    match core.update {
        Update::If => line(format!("wire signed [{}:0] v_sum = v_x + x;", wi - 1)),
        Update::LifShift(k) => {
            decay_wires(&mut line, "v", Some(Decay::Shift(k)), wi);
            line(format!("wire signed [{}:0] v_sum = v_dec + x;", wi - 1));
        }
        Update::LifMultiply { beta, frac_bits } => {
            decay_wires(
                &mut line,
                "v",
                Some(Decay::Multiply { beta, frac_bits }),
                wi,
            );
            line(format!("wire signed [{}:0] v_sum = v_dec + x;", wi - 1));
        }
        Update::Ttfs | Update::Cuba { .. } => {
            let (current, membrane) = match core.update {
                Update::Cuba { current, membrane } => (current, membrane),
                _ => (None, None),
            };
            let iw = l.current.expect("cuba and ttfs have a current width");
            field(&mut line, "i", iw);
            decay_wires(&mut line, "i", current, wi);
            line(format!("wire signed [{}:0] i_sum = i_dec + x;", wi - 1));
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
            decay_wires(&mut line, "v", membrane, wi);
            line(format!(
                "wire signed [{}:0] v_sum = v_dec + i_new_x;",
                wi - 1
            ));
            rest_fields.push("i_new".to_string());
        }
        Update::Adlif {
            alpha,
            beta,
            a: coupling,
            b,
            frac_bits,
        } => {
            let aw = l.adaptation.expect("adlif has an adaptation width");
            field(&mut line, "w", aw);
            // `v` and `s` are the previous step's, after its reset.
            line(format!(
                "wire signed [{}:0] w_prod = w_x * {} + v_x * {};",
                wi - 1,
                lit(wi, beta),
                lit(wi, coupling)
            ));
            line(format!(
                "wire signed [{}:0] w_sum = (w_prod >>> {frac_bits}) + (flag ? {} : {});",
                wi - 1,
                lit(wi, b),
                lit(wi, 0)
            ));
            line(format!(
                "wire [{}:0] w_new = {};",
                aw - 1,
                saturate_expr("w_sum", aw, wi)
            ));
            line(format!(
                "wire signed [{}:0] w_new_x = {};",
                wi - 1,
                sext("w_new", aw, wi)
            ));
            line(format!(
                "wire signed [{}:0] v_prod = v_x * {};",
                wi - 1,
                lit(wi, alpha)
            ));
            line(format!(
                "wire signed [{}:0] v_sum = (v_prod >>> {frac_bits}) + x - w_new_x;",
                wi - 1
            ));
            rest_fields.push("w_new".to_string());
        }
    }
    deferred_reset_wires(&mut line, core, wi);
    let once = core.update == Update::Ttfs;
    let not_fired = if once { " && !flag" } else { "" };
    if core.readout {
        // A readout layer never spikes (and so never resets).
        line("wire spike = 1'b0;".into());
    } else {
        line(format!(
            "wire signed [{}:0] v_new_x = {};",
            wi - 1,
            sext("v_new", v, wi)
        ));
        line(format!(
            "wire spike = (v_new_x >= {}){not_fired};",
            lit(wi, core.threshold)
        ));
        if core.max_spikes > 1 {
            count_wires(&mut line, core, wi);
        }
    }
    let immediate = match core.timing {
        ResetTiming::Immediate => core.reset,
        ResetTiming::Deferred => Reset::None,
    };
    let v_after = match immediate {
        Reset::Subtract if core.max_spikes > 1 => {
            line(format!(
                "wire signed [{}:0] v_less = v_new_x - {{{}'d0, count}} * {};",
                wi - 1,
                wi - count_bits(core),
                lit(wi, core.threshold)
            ));
            format!("spike ? v_less[{}:0] : v_new", v - 1)
        }
        Reset::Subtract => format!(
            "spike ? v_new - {v}'d{} : v_new",
            core.threshold.rem_euclid(1i64 << v)
        ),
        Reset::Zero => format!("spike ? {v}'d0 : v_new"),
        Reset::None => "v_new".to_string(),
    };
    line(format!("wire [{}:0] v_reset = {v_after};", v - 1));
    let v_final = match core.floor {
        None => "v_reset",
        Some(floor) => {
            line(format!(
                "wire [{}:0] v_floor = ($signed(v_reset) < {}) ? {} : v_reset;",
                v - 1,
                lit(v, floor),
                lit(v, floor)
            ));
            "v_floor"
        }
    };
    if l.flag {
        rest_fields.push(if once { "flag | spike" } else { "spike" }.to_string());
    }
    if l.owed > 0 {
        rest_fields.push(if l.owed == 1 { "spike" } else { "count" }.to_string());
    }
    if l.rem > 0 {
        rest_fields.push("rem_new".to_string());
    }
    // Fields from the most significant: rem, owed, flag, w or i, v, acc.
    rest_fields.reverse();
    let mut swept: Vec<String> = rest_fields;
    swept.push(v_final.into());
    // Accumulate writes the target slot; the sweep clears this step's.
    let slot_fields = |sel: &str, value: &str| -> String {
        (0..l.slots)
            .rev()
            .map(|m| format!("({sel} == {m}) ? {value} : acc_{m}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (accumulated, cleared) = if l.slots == 1 {
        (format!("acc_sum[{}:0]", a - 1), format!("{a}'d0"))
    } else {
        (
            slot_fields("target", &format!("acc_sum[{}:0]", a - 1)),
            slot_fields("slot", &format!("{a}'d0")),
        )
    };
    swept.push(cleared);
    line("always @(*) begin".into());
    line("  case (op)".into());
    line(format!(
        "    {}: state_out = {{state_in[{}:{ab}], {accumulated}}};",
        Op::Accumulate.verilog(),
        lb - 1,
    ));
    line(format!(
        "    {}: state_out = {{{}}};",
        Op::Sweep.verilog(),
        swept.join(", ")
    ));
    line(format!("    {}: state_out = {lb}'d0;", Op::Clear.verilog()));
    if l.rem > 0 {
        line(format!(
            "    {}: state_out = (rem != {c}'d0) ? {{rem - {c}'d1, state_in[{}:0]}} : state_in;",
            Op::Repeat.verilog(),
            lb - 1 - l.rem,
            c = l.rem
        ));
    }
    line("    default: state_out = state_in;".into());
    line("  endcase".into());
    line("end".into());
    if l.rem > 0 {
        // A repeat fires a lane with spikes left; `more` says some lane
        // still has spikes left after this operation.
        line(format!(
            "assign fire = ((op == {s}) && spike) || ((op == {r}) && (rem != {c}'d0));",
            s = Op::Sweep.verilog(),
            r = Op::Repeat.verilog(),
            c = l.rem
        ));
        line(format!(
            "assign more = ((op == {s}) && (rem_new != {c}'d0)) || ((op == {r}) && (rem > {c}'d1));",
            s = Op::Sweep.verilog(),
            r = Op::Repeat.verilog(),
            c = l.rem
        ));
    } else {
        line(format!(
            "assign fire = (op == {}) && spike;",
            Op::Sweep.verilog()
        ));
    }
    // The accumulate sum's top bits, a multi-spike subtraction's top bits
    // (the result fits the membrane) and, without a bias, the weight port
    // during a sweep are unused by construction.
    let less = if core.max_spikes > 1 && immediate == Reset::Subtract {
        format!("v_less[{}:{v}], ", wi - 1)
    } else {
        String::new()
    };
    line(format!(
        "wire unused_pe = &{{1'b0, {less}acc_sum[{}:{}], 1'b0}};",
        wi - 1,
        a
    ));
    format!(
        "\n// One lane of layer {layer} ({kind}): accumulate, sweep{repeat} or clear.\n\
         module {name} (\n  input wire [{opt}:0] op,\n  input wire [{wt}:0] weight,\n  {delay_ports}\
         input wire [{lbt}:0] state_in,\n  output reg [{lbt}:0] state_out,\n  output wire fire{more_port}\n);\n\
         {body}endmodule\n",
        repeat = if l.rem > 0 { ", repeat" } else { "" },
        more_port = if l.rem > 0 {
            ",\n  output wire more"
        } else {
            ""
        },
        delay_ports = if l.slots > 1 {
            let db = core.delay_bits();
            format!(
                "input wire [{t}:0] delay,\n  input wire [{t}:0] slot,\n  ",
                t = db - 1
            )
        } else {
            String::new()
        },
        opt = OP_BITS - 1,
        layer = core.index,
        kind = core.update.tag(),
        name = module_name(core),
        wt = ww - 1,
        lbt = lb - 1,
    )
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_keeps_the_low_bits_as_a_signed_value() {
        assert_eq!(wrap(127 + 1, 8), -128);
        assert_eq!(wrap(-128 - 1, 8), 127);
        assert_eq!(wrap(-5, 8), -5);
        assert_eq!(wrap(i64::MIN, 64), i64::MIN);
        assert_eq!(wrap(3, 2), -1);
    }
}
