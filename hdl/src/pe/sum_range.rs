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

/// Whether the decayed current `i_dec` of a `cuba` or `ttfs` sweep stays
/// inside the current's range, so that `i_dec + x` can overflow upwards
/// only for a positive `x` and downwards only for a negative one (a decay
/// factor above one, or a negative one, can break this).
pub fn decayed_current_fits(core: &CorePlan) -> bool {
    let Some(width) = core.lane.current else {
        return false;
    };
    let decay = match core.update {
        Update::Ttfs => None,
        Update::Cuba { current, .. } => current,
        _ => return false,
    };
    let range = of_width(width);
    let (lo, hi) = self::decay(range, decay);
    range.0 <= lo && hi <= range.1
}

/// Width of the stage register that holds `v_sum`: the fewest bits that
/// hold [`sum_range`], never more than the PE's internal width `wi` (in
/// which the sum is computed).
pub fn sum_bits(core: &CorePlan, wi: u32) -> u32 {
    let (lo, hi) = sum_range(core);
    width_for_range(lo, hi).min(wi)
}

#[cfg(test)]
mod tests {
    use super::{decayed_current_fits, sum_range};
    use crate::plan::{plan, BuildOptions, CorePlan, Update};

    /// A core of a one-layer network, its lane set to an 8-bit membrane
    /// and a 10-bit accumulator, without a bias or a weight shift.
    fn core() -> CorePlan {
        let text = r#"{"format": "spikegate-model/1", "name": "t", "inputs": 1, "time_steps": 2,
            "layers": [{"size": 1, "neuron": {"kind": "if"},
            "widths": {"weight": 6, "membrane": 8, "threshold": 8},
            "threshold": 1, "reset": "subtract", "weights": [[1]]}],
            "output": {"decode": "spike_count"}}"#;
        let network = spikegate_model::parse_network(text).expect("valid");
        let mut core = plan(&network, BuildOptions::default()).unwrap().cores[0].clone();
        core.lane.membrane = 8;
        core.lane.acc = 10;
        core.bias = None;
        core.weight_shift = 0;
        core
    }

    // The ranges below are worked by hand: v in -128..=127, acc in
    // -512..=511.

    #[test]
    fn an_if_sum_spans_the_membrane_plus_the_accumulator() {
        assert_eq!(sum_range(&core()), (-640, 638));
    }

    #[test]
    fn a_bias_and_a_weight_shift_widen_the_input() {
        let mut c = core();
        c.bias = Some(vec![0]);
        c.weight_width = 6;
        c.weight_shift = 1;
        // x = (acc + bias) << 1 in -1088..=1084 (bias -32..=31).
        assert_eq!(sum_range(&c), (-1216, 1211));
    }

    #[test]
    fn a_shift_leak_narrows_the_membrane_first() {
        let mut c = core();
        c.update = Update::LifShift(2);
        // -128 - (-32) = -96 and 127 - 31 = 96.
        assert_eq!(sum_range(&c), (-608, 607));
    }

    #[test]
    fn only_a_decay_of_at_most_one_keeps_the_current_in_range() {
        let mut c = core();
        c.lane.current = Some(8);
        c.update = Update::Ttfs;
        assert!(decayed_current_fits(&c));
        let cuba = |beta| Update::Cuba {
            current: Some(spikegate_model::Decay::Multiply { beta, frac_bits: 8 }),
            membrane: None,
        };
        // 127 * 256 >> 8 = 127 and -128 * 256 >> 8 = -128: still inside.
        c.update = cuba(256);
        assert!(decayed_current_fits(&c));
        // 127 * 257 >> 8 = 127, but -128 * 257 >> 8 = -129.
        c.update = cuba(257);
        assert!(!decayed_current_fits(&c));
        // -128 * -256 >> 8 = 128.
        c.update = cuba(-256);
        assert!(!decayed_current_fits(&c));
        c.update = Update::Cuba {
            current: Some(spikegate_model::Decay::Shift(3)),
            membrane: None,
        };
        assert!(decayed_current_fits(&c));
    }

    #[test]
    fn an_adlif_sum_takes_the_adaptation_off() {
        let mut c = core();
        c.lane.adaptation = Some(8);
        c.update = Update::Adlif {
            alpha: 200,
            beta: 0,
            a: 0,
            b: 0,
            frac_bits: 8,
        };
        // -128 * 200 >> 8 = -100, 127 * 200 >> 8 = 99; w in -128..=127.
        assert_eq!(sum_range(&c), (-100 - 512 - 127, 99 + 511 + 128));
    }
}
