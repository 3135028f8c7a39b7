//! The PE as Verilog: one combinational module per core, generated with
//! the layer's exact widths. Its pieces, in the module's order: the lane's
//! fields and the synaptic input (`input_wires`), the update of the kind
//! (`update_wires`), the threshold, count, reset and floor (`fire_wires`),
//! the new word of each operation (`state_out_case`) and the outputs.

use spikegate_model::width::range_of;
use spikegate_model::{Decay, Reset, ResetTiming};

use super::sum_range::{decayed_current_fits, sum_bits};
use super::{Op, OP_BITS};
use crate::plan::{CorePlan, Update};

/// Name of the PE module of `core`.
pub fn module_name(core: &CorePlan) -> String {
    format!("{}_pe", core.module_stem())
}

/// Width of the PE's internal signed arithmetic: room for `v * beta`
/// (an 18-bit factor) and for every sum; synthesis trims what sign
/// extension makes redundant.
fn internal_width(core: &CorePlan) -> u32 {
    let l = &core.lane;
    (l.acc + 1 + core.weight_shift)
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

/// Declares `<name>_x`, the `from`-bit signal `name` sign-extended to the
/// `wi`-bit internal width.
fn sext_wire(line: &mut dyn FnMut(String), name: &str, from: u32, wi: u32) {
    line(format!(
        "wire signed [{}:0] {name}_x = {};",
        wi - 1,
        sext(name, from, wi)
    ));
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

/// The tests that the `wi`-bit signed signal `z` lies above and below
/// the range of `width` bits, as expressions.
///
/// `z` fits in `width` bits exactly when its bits `wi-1 ..= width-1` are
/// all equal (all zero or all one), so the tests are reductions of those
/// bits, not comparisons with the bounds: a comparison is a carry chain,
/// and the saturations sit in the middle of the PE's longest path.
fn overflow_tests(z: &str, width: u32, wi: u32) -> (String, String) {
    let sign = format!("{z}[{}]", wi - 1);
    let upper = format!("{z}[{}:{}]", wi - 1, width - 1);
    (
        format!("!{sign} && (|{upper})"),
        format!("{sign} && !(&{upper})"),
    )
}

/// `z` saturated to `width` bits, given its overflow tests `over` and
/// `under` (operands of `?:`: names, or [`overflow_tests`] in
/// parentheses), as a `width`-bit expression.
fn saturated(over: &str, under: &str, z: &str, width: u32) -> String {
    format!(
        "{over} ? {width}'sd{hv} : {under} ? {{1'b1, {{{}{{1'b0}}}}}} : {z}[{top}:0]",
        width - 1,
        hv = range_of(width).1,
        top = width - 1,
    )
}

/// `sat_B(z)` of the `wi`-bit signed signal `z`, as a `B`-bit expression.
fn saturate_expr(z: &str, width: u32, wi: u32) -> String {
    let (over, under) = overflow_tests(z, width, wi);
    saturated(&format!("({over})"), &format!("({under})"), z, width)
}

/// Declares `name`, the `bits`-bit unsigned count `sel` times `theta` as a
/// `wi`-bit signed value, by a case over every value of `sel`: a constant
/// each, so each bit of the product is one LUT of the count's bits. A
/// multiplication would take a DSP and its routing (about 6 ns of the
/// multi-spike sweep's path on ECP5) for a product of a few bits by a
/// constant.
fn thetas_wires(
    line: &mut dyn FnMut(String),
    name: &str,
    sel: &str,
    bits: u32,
    theta: i64,
    wi: u32,
) {
    line(format!("reg signed [{}:0] {name};", wi - 1));
    line("always @(*) begin".into());
    line(format!("  case ({sel})"));
    for k in 0..1i64 << bits {
        line(format!("    {bits}'d{k}: {name} = {};", lit(wi, k * theta)));
    }
    line(format!("    default: {name} = {};", lit(wi, 0)));
    line("  endcase".into());
    line("end".into());
}

/// Declares `count`, the spikes a multi-spike lane fires in this step,
/// `min(max_spikes, floor(v / theta))` when it spikes, by comparing the
/// membrane with each multiple of the threshold, and `rem_new`, those the
/// repeats of the step still fire.
///
/// The comparisons read `unsaturated`, the `wi`-bit value `v_new`
/// saturates, so that they run beside the saturation rather than after
/// it. That is exact: saturation to `lo..=hi` is monotonic, so for a
/// multiple `c` of theta with `lo < c <= hi`, `sat(x) >= c` exactly when
/// `x >= c`, and a multiple above `hi` is never reached (the term is
/// dropped). The count only matters when the lane spikes, and then
/// `v_new` is `sat(unsaturated)` (a deferred zero reset owes nothing: theta
/// is at least 1, so a zeroed membrane does not spike).
fn count_wires(line: &mut dyn FnMut(String), core: &CorePlan, wi: u32, unsaturated: &str) {
    // A count `0..=max_spikes` is as wide as the lane's `rem` field.
    let c = core.lane.rem;
    let hi = range_of(core.lane.membrane).1;
    let mut chain = String::new();
    for k in (2..=core.max_spikes).rev() {
        let multiple = i64::from(k) * core.threshold;
        if multiple > hi {
            continue;
        }
        chain.push_str(&format!(
            "({unsaturated} >= {}) ? {c}'d{k} : ",
            lit(wi, multiple)
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

/// Declares `v_new`, the saturated membrane update from `sum` (the exact
/// membrane sum), with a
/// deferred reset owed by the previous step's spike folded in: theta off
/// the exact sum before saturation (subtract), or zero. Returns the
/// threshold test `v_new >= theta` (see [`threshold_test`]) and the name of
/// the `wi`-bit value `v_new` saturates when it is not zeroed.
fn deferred_reset_wires(
    line: &mut dyn FnMut(String),
    core: &CorePlan,
    wi: u32,
    sum: &str,
) -> (String, String) {
    let v = core.lane.membrane;
    let saturated = |z: &str| saturate_expr(z, v, wi);
    let ob = core.lane.owed;
    let theta = core.threshold;
    match (ob, core.reset) {
        (1, Reset::Subtract) => {
            line(format!(
                "wire signed [{}:0] v_owed = owed ? {sum} - {} : {sum};",
                wi - 1,
                lit(wi, theta)
            ));
            line(format!(
                "wire [{}:0] v_new = {};",
                v - 1,
                saturated("v_owed")
            ));
            (threshold_test(core, wi, "v_owed", None), "v_owed".into())
        }
        (2.., Reset::Subtract) => {
            // Theta once per owed spike, off the exact sum.
            thetas_wires(line, "owed_thetas", "owed", ob, theta, wi);
            line(format!(
                "wire signed [{}:0] v_owed = {sum} - owed_thetas;",
                wi - 1
            ));
            line(format!(
                "wire [{}:0] v_new = {};",
                v - 1,
                saturated("v_owed")
            ));
            (threshold_test(core, wi, "v_owed", None), "v_owed".into())
        }
        (1, Reset::Zero) => {
            line(format!(
                "wire [{}:0] v_new = owed ? {v}'d0 : {};",
                v - 1,
                saturated(sum)
            ));
            (threshold_test(core, wi, sum, Some("owed")), sum.into())
        }
        (2.., Reset::Zero) => {
            line(format!(
                "wire [{}:0] v_new = (owed != {ob}'d0) ? {v}'d0 : {};",
                v - 1,
                saturated(sum)
            ));
            let zeroed = format!("(owed != {ob}'d0)");
            (threshold_test(core, wi, sum, Some(&zeroed)), sum.into())
        }
        _ => {
            line(format!("wire [{}:0] v_new = {};", v - 1, saturated(sum)));
            (threshold_test(core, wi, sum, None), sum.into())
        }
    }
}

/// `v_new >= theta` as an expression. When theta lies inside the
/// membrane's range, saturation cannot move a value across it, so the test
/// reads `sum` (the `wi`-bit value `v_new` saturates, or zero when
/// `zeroed` holds) and runs beside the saturation instead of after it;
/// otherwise it reads `v_new_x`.
fn threshold_test(core: &CorePlan, wi: u32, sum: &str, zeroed: Option<&str>) -> String {
    let theta = core.threshold;
    let (lo, hi) = range_of(core.lane.membrane);
    if !(lo < theta && theta <= hi) {
        return format!("(v_new_x >= {})", lit(wi, theta));
    }
    let test = format!("({sum} >= {})", lit(wi, theta));
    match zeroed {
        None => test,
        Some(cond) => format!("({cond} ? 1'b{} : {test})", u8::from(theta <= 0)),
    }
}

/// The membrane sum as stage 2 reads it: the stage register `v_sum_q`
/// sign-extended to the internal width.
const HELD_SUM: &str = "v_sum_q_x";

/// The PE module of `core`: two stages, ports `clock`, `op`, `weight` (and
/// `delay`, `slot` with delays), `state_in`, `mid`, `state_out`, `fire`
/// (and `more` in a multi-spike layer).
///
/// Stage 1 reads `state_in` and the weight: it completes an accumulate and
/// a clear, and takes a sweep as far as the new current or adaptation and
/// the exact membrane sum `v_sum`. Its word (`mid`) and `v_sum` are
/// registered. Stage 2 reads only those registers: the owed reset, the
/// saturation, the threshold, the spike count, the reset and the floor of
/// a sweep, and a repeat's countdown, give `state_out`, `fire` and `more`
/// a cycle after the operation came in. `mid` is the operation's final
/// word for everything but a sweep and a repeat, which is what the
/// datapath forwards from it.
pub fn verilog(core: &CorePlan) -> String {
    let wi = internal_width(core);
    let held = sum_bits(core, wi);
    let mut body = String::new();
    let mut line = |s: String| {
        body.push_str("  ");
        body.push_str(&s);
        body.push('\n');
    };
    line("// Stage 1: the accumulate, the clear, a sweep up to its membrane sum.".into());
    input_wires(&mut line, core, wi);
    let fields = update_wires(&mut line, core, wi);
    stage1_word(&mut line, core, &fields);
    line(format!("reg [{}:0] op_q;", OP_BITS - 1));
    line(format!("reg signed [{}:0] v_sum_q;", held - 1));
    line("always @(posedge clock) begin".into());
    line("  op_q <= op;".into());
    line("  mid <= mid_word;".into());
    line(format!("  v_sum_q <= v_sum[{}:0];", held - 1));
    line("end".into());
    line("// Stage 2: the sweep's threshold, count, reset and floor; a repeat.".into());
    sext_wire(&mut line, "v_sum_q", held, wi);
    top_fields(&mut line, core, "mid");
    let v_final = fire_wires(&mut line, core, wi);
    let l = core.lane;
    let once = core.update == Update::Ttfs;
    // The sweep's new fields above `v` and below them from the stage
    // register, from the most significant.
    let mut swept = Vec::new();
    if l.rem > 0 {
        swept.push("rem_new".to_string());
    }
    if l.owed > 0 {
        swept.push(if l.owed == 1 { "spike" } else { "count" }.to_string());
    }
    if l.flag {
        swept.push(if once { "flag | spike" } else { "spike" }.to_string());
    }
    let base = l.slots * l.acc + l.membrane;
    let fw = l.current.or(l.adaptation).unwrap_or(0);
    if fw > 0 {
        swept.push(format!("mid[{}:{base}]", base + fw - 1));
    }
    swept.push(v_final.into());
    swept.push(format!("mid[{}:0]", l.slots * l.acc - 1));
    state_out_case(&mut line, core, &swept);
    output_wires(&mut line, core, wi, held);
    module_text(core, &body)
}

/// The lane's fields below the update: the accumulator slots, `v`, the
/// flags at the top of the lane (`rem`, `owed`, `flag`), the weight, the
/// accumulate sum `acc_sum` and the synaptic input `x`.
fn input_wires(line: &mut dyn FnMut(String), core: &CorePlan, wi: u32) {
    let l = core.lane;
    let (a, v, ww) = (l.acc, l.membrane, core.weight_width);
    // All accumulator slots together, below `v`.
    let ab = l.slots * a;
    if l.slots == 1 {
        line(format!(
            "wire signed [{}:0] acc = state_in[{}:0];",
            a - 1,
            a - 1
        ));
    } else {
        slot_wires(line, core);
    }
    line(format!(
        "wire signed [{}:0] v = state_in[{}:{}];",
        v - 1,
        ab + v - 1,
        ab
    ));
    sext_wire(line, "acc", a, wi);
    sext_wire(line, "v", v, wi);
    if matches!(core.update, Update::Adlif { .. }) {
        line(format!("wire flag_in = state_in[{}];", flag_bit(core)));
    }
    sext_wire(line, "weight", ww, wi);
    let acc_in = if l.slots == 1 {
        "acc_x"
    } else {
        sext_wire(line, "acc_t", a, wi);
        "acc_t_x"
    };
    line(format!(
        "wire signed [{}:0] acc_sum = {acc_in} + weight_x;",
        wi - 1
    ));
    let x = if core.bias.is_some() {
        "acc_x + weight_x"
    } else {
        "acc_x"
    };
    let x = match core.weight_shift {
        0 => x.to_owned(),
        k => format!("({x}) <<< {k}"),
    };
    line(format!("wire signed [{}:0] x = {x};", wi - 1));
}

/// The lane's flag bit (`ttfs`, `adlif`), below `owed` and `rem`.
fn flag_bit(core: &CorePlan) -> u32 {
    let l = core.lane;
    l.bits() - 1 - l.rem - l.owed
}

/// The fields at the top of the lane word `word`, from the most
/// significant: `rem`, `owed`, and a ttfs layer's `flag`. Stage 2 of an
/// adlif layer has no use for its flag (stage 1 read it as `flag_in`, and
/// the new flag is the spike), so it gets no wire there.
fn top_fields(line: &mut dyn FnMut(String), core: &CorePlan, word: &str) {
    let l = core.lane;
    let lb = l.bits();
    if l.rem > 0 {
        line(format!(
            "wire [{}:0] rem = {word}[{}:{}];",
            l.rem - 1,
            lb - 1,
            lb - l.rem
        ));
    }
    if l.owed > 0 {
        let top = lb - 1 - l.rem;
        line(if l.owed == 1 {
            format!("wire owed = {word}[{top}];")
        } else {
            format!(
                "wire [{}:0] owed = {word}[{top}:{}];",
                l.owed - 1,
                top + 1 - l.owed
            )
        });
    }
    if l.flag && core.update == Update::Ttfs {
        line(format!("wire flag = {word}[{}];", flag_bit(core)));
    }
}

/// `<name>` (a state field of `width` bits at `base`, above `v`) and its
/// sign extension `<name>_x`.
fn field_wires(line: &mut dyn FnMut(String), name: &str, width: u32, base: u32, wi: u32) {
    line(format!(
        "wire signed [{}:0] {name} = state_in[{}:{}];",
        width - 1,
        base + width - 1,
        base
    ));
    sext_wire(line, name, width, wi);
}

/// The update of the layer's kind up to `v_sum`, the membrane before
/// saturation; returns the new state fields above `v` (`i_new`, `w_new`).
fn update_wires(line: &mut dyn FnMut(String), core: &CorePlan, wi: u32) -> Vec<String> {
    let l = core.lane;
    // The state fields above `v` start here.
    let base = l.slots * l.acc + l.membrane;
    match core.update {
        Update::If => line(format!("wire signed [{}:0] v_sum = v_x + x;", wi - 1)),
        Update::LifShift(k) => {
            decay_wires(line, "v", Some(Decay::Shift(k)), wi);
            line(format!("wire signed [{}:0] v_sum = v_dec + x;", wi - 1));
        }
        Update::LifMultiply { beta, frac_bits } => {
            decay_wires(line, "v", Some(Decay::Multiply { beta, frac_bits }), wi);
            line(format!("wire signed [{}:0] v_sum = v_dec + x;", wi - 1));
        }
        Update::Ttfs => return current_wires(line, core, wi, base, None, None),
        Update::Cuba { current, membrane } => {
            return current_wires(line, core, wi, base, current, membrane)
        }
        Update::Adlif { .. } => return adaptation_wires(line, core, wi, base),
    }
    Vec::new()
}

/// `cuba` and `ttfs`: the new current `i_new` (saturated), then `v_sum`
/// from it.
///
/// `v_sum = v_dec + sat(i_dec + x)` as written would put two carry chains
/// and the saturation between them on the PE's longest path. Instead the
/// sum `v_dec + i_dec + x` goes through one level of carry-save (3:2)
/// addition and one chain, while `v_sat`, `v_dec` plus the bound the
/// current saturates at, is formed beside it; the current's overflow, from
/// the `i_sum` chain that runs in parallel, picks one. Both are exact
/// modulo 2^wi, and the stage register keeps only the low bits `sum_range`
/// bounds. Which bound applies is the sign of `x` whenever the decayed
/// current stays in range (`decayed_current_fits`): then `v_sat`'s chain
/// does not wait for `i_sum`'s.
fn current_wires(
    line: &mut dyn FnMut(String),
    core: &CorePlan,
    wi: u32,
    base: u32,
    current: Option<Decay>,
    membrane: Option<Decay>,
) -> Vec<String> {
    let iw = core
        .lane
        .current
        .expect("cuba and ttfs have a current width");
    field_wires(line, "i", iw, base, wi);
    decay_wires(line, "i", current, wi);
    let top = wi - 1;
    line(format!("wire signed [{top}:0] i_sum = i_dec + x;"));
    let (over, under) = overflow_tests("i_sum", iw, wi);
    line(format!("wire i_over = {over};"));
    line(format!("wire i_under = {under};"));
    line(format!(
        "wire [{}:0] i_new = {};",
        iw - 1,
        saturated("i_over", "i_under", "i_sum", iw)
    ));
    let (lo, hi) = range_of(iw);
    decay_wires(line, "v", membrane, wi);
    line(format!("wire signed [{top}:0] csa_s = v_dec ^ i_dec ^ x;"));
    line(format!(
        "wire signed [{top}:0] csa_c = ((v_dec & i_dec) | (v_dec & x) | (i_dec & x)) <<< 1;"
    ));
    line(format!("wire signed [{top}:0] v_sum_in = csa_s + csa_c;"));
    let downwards = if decayed_current_fits(core) {
        format!("x[{top}]")
    } else {
        "i_under".to_string()
    };
    line(format!(
        "wire signed [{top}:0] v_sat = v_dec + ({downwards} ? {} : {});",
        lit(wi, lo),
        lit(wi, hi)
    ));
    line(format!(
        "wire signed [{top}:0] v_sum = (i_over | i_under) ? v_sat : v_sum_in;"
    ));
    vec!["i_new".to_string()]
}

/// `adlif`: the new adaptation `w_new` from the previous `v` and spike,
/// then `v_sum` from it.
fn adaptation_wires(
    line: &mut dyn FnMut(String),
    core: &CorePlan,
    wi: u32,
    base: u32,
) -> Vec<String> {
    let Update::Adlif {
        alpha,
        beta,
        a: coupling,
        b,
        frac_bits,
    } = core.update
    else {
        unreachable!("adaptation wires are for adlif")
    };
    let aw = core.lane.adaptation.expect("adlif has an adaptation width");
    field_wires(line, "w", aw, base, wi);
    // `v` and `s` are the previous step's, after its reset.
    line(format!(
        "wire signed [{}:0] w_prod = w_x * {} + v_x * {};",
        wi - 1,
        lit(wi, beta),
        lit(wi, coupling)
    ));
    line(format!(
        "wire signed [{}:0] w_sum = (w_prod >>> {frac_bits}) + (flag_in ? {} : {});",
        wi - 1,
        lit(wi, b),
        lit(wi, 0)
    ));
    line(format!(
        "wire [{}:0] w_new = {};",
        aw - 1,
        saturate_expr("w_sum", aw, wi)
    ));
    sext_wire(line, "w_new", aw, wi);
    line(format!(
        "wire signed [{}:0] v_prod = v_x * {};",
        wi - 1,
        lit(wi, alpha)
    ));
    line(format!(
        "wire signed [{}:0] v_sum = (v_prod >>> {frac_bits}) + x - w_new_x;",
        wi - 1
    ));
    vec!["w_new".to_string()]
}

/// The reset of the step of a spike: `theta`, or `count` thetas in a
/// multi-spike layer, off the membrane (subtract), zero, or none; none
/// when the reset is deferred.
fn immediate_reset(core: &CorePlan) -> Reset {
    match core.timing {
        ResetTiming::Immediate => core.reset,
        ResetTiming::Deferred => Reset::None,
    }
}

/// `v_new` (with a deferred reset folded in), `spike`, the multi-spike
/// `count`, `v_reset` after the immediate reset and the floor; returns
/// the name of the membrane to store.
fn fire_wires(line: &mut dyn FnMut(String), core: &CorePlan, wi: u32) -> &'static str {
    let v = core.lane.membrane;
    let (reaches_threshold, unsaturated) = deferred_reset_wires(line, core, wi, HELD_SUM);
    let not_fired = if core.update == Update::Ttfs {
        " && !flag"
    } else {
        ""
    };
    if core.readout {
        // A readout layer never spikes (and so never resets).
        line("wire spike = 1'b0;".into());
    } else {
        // The multi-spike subtract and the threshold test of a threshold
        // outside the membrane's range read the saturated membrane.
        let multi_subtract = core.max_spikes > 1 && immediate_reset(core) == Reset::Subtract;
        if multi_subtract || reaches_threshold.contains("v_new_x") {
            sext_wire(line, "v_new", v, wi);
        }
        line(format!("wire spike = {reaches_threshold}{not_fired};"));
        if core.max_spikes > 1 {
            count_wires(line, core, wi, &unsaturated);
        }
    }
    let v_after = match immediate_reset(core) {
        Reset::Subtract if core.max_spikes > 1 => {
            thetas_wires(
                line,
                "count_thetas",
                "count",
                core.lane.rem,
                core.threshold,
                wi,
            );
            line(format!(
                "wire signed [{}:0] v_less = v_new_x - count_thetas;",
                wi - 1
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
    let Some(floor) = core.floor else {
        return "v_reset";
    };
    line(format!(
        "wire [{}:0] v_floor = ($signed(v_reset) < {}) ? {} : v_reset;",
        v - 1,
        lit(v, floor),
        lit(v, floor)
    ));
    "v_floor"
}

/// Stage 1's word `mid_word`: an accumulate's and a clear's final word; a
/// sweep's with this step's slot cleared and the new current or
/// adaptation (`fields`), the rest as read; otherwise the word as read.
fn stage1_word(line: &mut dyn FnMut(String), core: &CorePlan, fields: &[String]) {
    let l = core.lane;
    let a = l.acc;
    let ab = l.slots * a;
    let lb = l.bits();
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
    let base = ab + l.membrane;
    let fw = l.current.or(l.adaptation).unwrap_or(0);
    let mut swept = Vec::new();
    if lb > base + fw {
        swept.push(format!("state_in[{}:{}]", lb - 1, base + fw));
    }
    swept.extend(fields.iter().cloned());
    swept.push(format!("state_in[{}:{ab}]", base - 1));
    swept.push(cleared);
    line(format!("reg [{}:0] mid_word;", lb - 1));
    line("always @(*) begin".into());
    line("  case (op)".into());
    line(format!(
        "    {}: mid_word = {{state_in[{}:{ab}], {accumulated}}};",
        Op::Accumulate.verilog(),
        lb - 1,
    ));
    line(format!(
        "    {}: mid_word = {{{}}};",
        Op::Sweep.verilog(),
        swept.join(", ")
    ));
    line(format!("    {}: mid_word = {lb}'d0;", Op::Clear.verilog()));
    line("    default: mid_word = state_in;".into());
    line("  endcase".into());
    line("end".into());
}

/// Stage 2's new word: a sweep's (`swept`, its fields from the most
/// significant), a repeat's countdown, otherwise stage 1's word.
fn state_out_case(line: &mut dyn FnMut(String), core: &CorePlan, swept: &[String]) {
    let l = core.lane;
    let lb = l.bits();
    line("always @(*) begin".into());
    line("  case (op_q)".into());
    line(format!(
        "    {}: state_out = {{{}}};",
        Op::Sweep.verilog(),
        swept.join(", ")
    ));
    if l.rem > 0 {
        line(format!(
            "    {}: state_out = (rem != {c}'d0) ? {{rem - {c}'d1, mid[{}:0]}} : mid;",
            Op::Repeat.verilog(),
            lb - 1 - l.rem,
            c = l.rem
        ));
    }
    line("    default: state_out = mid;".into());
    line("  endcase".into());
    line("end".into());
}

/// `fire` (and `more`), and the bits unused by construction.
fn output_wires(line: &mut dyn FnMut(String), core: &CorePlan, wi: u32, held: u32) {
    let l = core.lane;
    if l.rem > 0 {
        // A repeat fires a lane with spikes left; `more` says some lane
        // still has spikes left after this operation.
        line(format!(
            "assign fire = ((op_q == {s}) && spike) || ((op_q == {r}) && (rem != {c}'d0));",
            s = Op::Sweep.verilog(),
            r = Op::Repeat.verilog(),
            c = l.rem
        ));
        line(format!(
            "assign more = ((op_q == {s}) && (rem_new != {c}'d0)) || ((op_q == {r}) && (rem > {c}'d1));",
            s = Op::Sweep.verilog(),
            r = Op::Repeat.verilog(),
            c = l.rem
        ));
    } else {
        line(format!(
            "assign fire = (op_q == {}) && spike;",
            Op::Sweep.verilog()
        ));
    }
    // The accumulate sum's top bits, a multi-spike subtraction's top bits
    // (the result fits the membrane) and, without a bias, the weight port
    // during a sweep are unused by construction.
    let less = if core.max_spikes > 1 && immediate_reset(core) == Reset::Subtract {
        format!("v_less[{}:{}], ", wi - 1, l.membrane)
    } else {
        String::new()
    };
    // The sum's bits above the stage register are its sign by
    // construction (sum_range.rs).
    let sum_top = if held < wi {
        format!("v_sum[{}:{held}], ", wi - 1)
    } else {
        String::new()
    };
    line(format!(
        "wire unused_pe = &{{1'b0, {less}{sum_top}acc_sum[{}:{}], 1'b0}};",
        wi - 1,
        l.acc
    ));
}

/// The module around `body`: its header comment and ports.
fn module_text(core: &CorePlan, body: &str) -> String {
    let l = core.lane;
    format!(
        "\n// One lane of layer {layer} ({kind}): accumulate, sweep{repeat} or clear,\n// in two stages (the second a cycle after the first).\n\
         module {name} (\n  input wire clock,\n  input wire [{opt}:0] op,\n  input wire [{wt}:0] weight,\n  {delay_ports}\
         input wire [{lbt}:0] state_in,\n  output reg [{lbt}:0] mid,\n  output reg [{lbt}:0] state_out,\n  output wire fire{more_port}\n);\n\
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
        wt = core.weight_width - 1,
        lbt = l.bits() - 1,
    )
}
