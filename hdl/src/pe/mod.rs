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
//! | 2 | sweep | the neuron update of docs/semantics.md §4 with `x = (acc + bias) << weight_shift`; `acc = 0` |
//! | 3 | clear | all zero (start of a sample) |
//! | 4 | repeat | a multi-spike lane with spikes left in this step fires one more (`rem - 1`), the rest unchanged |
//!
//! The Verilog is generated with the layer's exact widths (rust-hdl's
//! compile-time widths cannot follow a model's), so the arithmetic is as
//! narrow as the model allows; the Rust model is written independently of
//! the reference in `sim/` and both are checked against it.

mod emit;
mod sum_range;

use spikegate_model::width::saturate;
use spikegate_model::{Decay, Reset, ResetTiming};

use crate::plan::{CorePlan, Update};

pub use emit::{module_name, verilog};

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
    let x = (s.acc[slot] + bias) << core.weight_shift;
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
