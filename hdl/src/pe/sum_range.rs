//! The range of a sweep's membrane sum `v_sum` (the decayed membrane plus
//! the synaptic input, before an owed reset and the saturation), from the
//! lane's widths and the layer's constants.
//!
//! The PE registers `v_sum` between its two stages. The register must hold
//! the exact sum, because a deferred subtract takes theta off it before
//! saturating, and it should be no wider than that: the PE's internal
//! width keeps 20 bits of headroom that a flip-flop would pay for in every
//! lane. Interval arithmetic over the stored fields gives the width; every
//! step below is monotone in its input, so the ends of a range map to the
//! ends of the next.

use spikegate_model::width::{range_of, width_for_range};
use spikegate_model::Decay;

use crate::plan::{CorePlan, Update};

/// A closed range of integers, `(lo, hi)`.
type Range = (i128, i128);

fn of_width(width: u32) -> Range {
    let (lo, hi) = range_of(width);
    (i128::from(lo), i128::from(hi))
}

fn add(a: Range, b: Range) -> Range {
    (a.0 + b.0, a.1 + b.1)
}

fn sub(a: Range, b: Range) -> Range {
    (a.0 - b.1, a.1 - b.0)
}

/// The image of `a` under a monotone `f` (rising or falling).
fn map(a: Range, f: impl Fn(i128) -> i128) -> Range {
    let (x, y) = (f(a.0), f(a.1));
    (x.min(y), x.max(y))
}

/// `(z * factor) >> frac_bits`, rounding down as the PE's `>>>` does.
fn scale(a: Range, factor: i64, frac_bits: u32) -> Range {
    map(a, |z| (z * i128::from(factor)) >> frac_bits)
}

/// `D(z)` of docs/semantics.md over a range; an absent decay holds it.
/// `z - (z >> k)` rises by 0 or 1 with each step of `z`.
fn decay(a: Range, d: Option<Decay>) -> Range {
    match d {
        None => a,
        Some(Decay::Shift(k)) => map(a, |z| z - (z >> k.min(63))),
        Some(Decay::Multiply { beta, frac_bits }) => scale(a, beta, frac_bits),
    }
}

/// Every value `v_sum` can take in a sweep of `core`.
pub fn sum_range(core: &CorePlan) -> (i64, i64) {
    let l = core.lane;
    let v = of_width(l.membrane);
    let bias = match core.bias {
        Some(_) => of_width(core.weight_width),
        None => (0, 0),
    };
    let unshifted = add(of_width(l.acc), bias);
    let x = (
        unshifted.0 << core.weight_shift,
        unshifted.1 << core.weight_shift,
    );
    let current = || of_width(l.current.unwrap_or(l.membrane));
    let (lo, hi) = match core.update {
        Update::If => add(v, x),
        Update::LifShift(k) => add(decay(v, Some(Decay::Shift(k))), x),
        Update::LifMultiply { beta, frac_bits } => add(scale(v, beta, frac_bits), x),
        Update::Ttfs => add(v, current()),
        Update::Cuba { membrane, .. } => add(decay(v, membrane), current()),
        Update::Adlif {
            alpha, frac_bits, ..
        } => sub(
            add(scale(v, alpha, frac_bits), x),
            of_width(l.adaptation.unwrap_or(l.membrane)),
        ),
    };
    let clamp = |z: i128| z.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    (clamp(lo), clamp(hi))
}

/// Width of the stage register that holds `v_sum`: the fewest bits that
/// hold [`sum_range`], never more than the PE's internal width `wi` (in
/// which the sum is computed).
pub fn sum_bits(core: &CorePlan, wi: u32) -> u32 {
    let (lo, hi) = sum_range(core);
    width_for_range(lo, hi).min(wi)
}
