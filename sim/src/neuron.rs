//! The neuron update of `docs/semantics.md`, applied to a whole layer.
//!
//! State is kept as one vector per variable, and every pass is a straight,
//! branch-free loop over neurons, so that the compiler vectorises it: this
//! sweep runs every step for every neuron and dominates the reference's
//! cost on sparse input. The order of operations is the order the semantics
//! page gives; the page's worked examples are checked against this code.

use spikegate_model::width::range_of;
use spikegate_model::{Decay, Neuron, Reset, ResetTiming};

use crate::lane::Lane;

/// `decay(z)`: the value of state `z` after one step of decay. Both forms
/// shrink `|z|` (rounding towards minus infinity), so the result always
/// fits the width `z` had and needs no saturation.
#[inline(always)]
pub fn decay<S: Lane>(z: S, d: Decay) -> S {
    match d {
        Decay::Shift(k) => z - (z >> k),
        Decay::Multiply { beta, frac_bits } => (z * S::from_i64(beta)) >> frac_bits,
    }
}

#[inline(always)]
fn decay_opt<S: Lane>(z: S, d: Option<Decay>) -> S {
    match d {
        Some(d) => decay(z, d),
        None => z,
    }
}

/// Bounds of a saturating width, precomputed.
#[derive(Debug, Clone, Copy)]
pub struct Bounds<S> {
    lo: S,
    hi: S,
}

impl<S: Lane> Bounds<S> {
    /// The range of a `width`-bit two's-complement value.
    pub fn of(width: u32) -> Self {
        let (lo, hi) = range_of(width);
        Bounds {
            lo: S::from_i64(lo),
            hi: S::from_i64(hi),
        }
    }

    /// Saturation: `z` clamped into the range (`max`/`min` rather than
    /// `clamp`, which the compiler vectorises less readily).
    #[inline(always)]
    fn sat(self, z: S) -> S {
        z.max(self.lo).min(self.hi)
    }
}

/// The state variables of every neuron of one layer.
#[derive(Debug, Clone, Default)]
pub struct LayerState<S> {
    /// Membrane potential `v`.
    pub membrane: Vec<S>,
    /// Synaptic current `i` (`cuba`, `ttfs`; empty otherwise).
    pub current: Vec<S>,
    /// Adaptation `w` (`adlif`; empty otherwise).
    pub adaptation: Vec<S>,
    /// `ttfs`: has fired. `adlif`: spiked in the previous step (`s`).
    /// 1 or 0, in the lane type so the sweep needs no conversions.
    pub flag: Vec<S>,
    /// Deferred reset: the spikes the neuron fired in the previous step,
    /// whose reset it owes to this one (always 0 for an immediate reset).
    pub owed: Vec<S>,
}

impl<S: Lane> LayerState<S> {
    /// A zero state for `size` neurons of kind `neuron`.
    pub fn new(neuron: &Neuron, size: usize) -> Self {
        let sized = |on: bool| {
            if on {
                vec![S::default(); size]
            } else {
                Vec::new()
            }
        };
        LayerState {
            membrane: vec![S::default(); size],
            current: sized(neuron.has_current()),
            adaptation: sized(neuron.has_adaptation()),
            flag: vec![S::default(); size],
            owed: vec![S::default(); size],
        }
    }

    /// Back to the all-zero state of a new sample.
    pub fn clear(&mut self) {
        self.membrane.fill(S::default());
        self.current.fill(S::default());
        self.adaptation.fill(S::default());
        self.flag.fill(S::default());
        self.owed.fill(S::default());
    }
}

/// A layer's neuron parameters, ready for the update loops.
#[derive(Debug, Clone)]
pub struct Dynamics<S> {
    /// Kind and coefficients.
    pub neuron: Neuron,
    /// Saturation of `v`.
    pub membrane: Bounds<S>,
    /// Saturation of `i`.
    pub current: Bounds<S>,
    /// Saturation of `w`.
    pub adaptation: Bounds<S>,
    /// How a spiking layer fires and resets; `None` for a readout.
    pub firing: Option<Firing<S>>,
    /// The lower bound on the membrane (`membrane_floor`), if any.
    pub floor: Option<S>,
}

/// How a spiking layer fires and resets.
#[derive(Debug, Clone, Copy)]
pub struct Firing<S> {
    /// The threshold `theta`.
    pub theta: S,
    /// The reset.
    pub reset: Reset,
    /// When the reset acts.
    pub timing: ResetTiming,
    /// The most spikes a neuron fires in a step (`max_spikes`).
    pub max_spikes: S,
}

impl<S: Lane> Dynamics<S> {
    /// Semantics steps 2 (state update), 3 (threshold) and 4 (reset) for
    /// every neuron, in one pass, given each neuron's synaptic input `xs`
    /// (bias included). Sets `spiked[i]` to the spikes neuron `i` fires (0
    /// or 1 but in a multi-spike layer); returns whether any did.
    #[inline(always)]
    pub fn step(&self, s: &mut LayerState<S>, xs: &[S], spiked: &mut [u8]) -> bool {
        // The count of a multi-spike layer needs a division; a layer of one
        // spike a step gets a loop without it, which vectorises.
        // A layer that resets immediately never reads or writes `owed`.
        let one = S::from_i64(1);
        let multi = self.firing.is_some_and(|f| f.max_spikes > one);
        let deferred = self
            .firing
            .is_some_and(|f| f.timing == ResetTiming::Deferred);
        match (multi, deferred) {
            (false, false) => self.sweep::<false, false>(s, xs, spiked),
            (false, true) => self.sweep::<false, true>(s, xs, spiked),
            (true, false) => self.sweep::<true, false>(s, xs, spiked),
            (true, true) => self.sweep::<true, true>(s, xs, spiked),
        }
    }

    /// [`Dynamics::step`] for a layer that fires several spikes a step
    /// (`MULTI`) or one, and resets in the next step (`DEFERRED`) or in
    /// the step of the spike.
    #[inline(always)]
    fn sweep<const MULTI: bool, const DEFERRED: bool>(
        &self,
        s: &mut LayerState<S>,
        xs: &[S],
        spiked: &mut [u8],
    ) -> bool {
        let (bv, bi, bw) = (self.membrane, self.current, self.adaptation);
        let f = FireRule::new(self.firing, &self.neuron, bv, self.floor);
        let mut any = S::default();
        let v = s.membrane.iter_mut();
        let marks = s.flag.iter_mut().zip(s.owed.iter_mut());
        let each = v.zip(xs).zip(marks.zip(spiked.iter_mut()));
        // Each arm computes the membrane update `U` unsaturated; `apply`
        // folds in a deferred reset, saturates, and fires.
        match self.neuron {
            Neuron::If => {
                for ((v, &x), m) in each {
                    *v = f.apply::<MULTI, DEFERRED>(*v + x, m, &mut any);
                }
            }
            Neuron::Lif { leak } => {
                for ((v, &x), m) in each {
                    *v = f.apply::<MULTI, DEFERRED>(decay(*v, leak) + x, m, &mut any);
                }
            }
            Neuron::Ttfs => {
                for (((v, &x), m), c) in each.zip(&mut s.current) {
                    *c = bi.sat(*c + x);
                    *v = f.apply::<MULTI, DEFERRED>(*v + *c, m, &mut any);
                }
            }
            Neuron::Cuba {
                current_decay,
                membrane_decay,
            } => {
                for (((v, &x), m), c) in each.zip(&mut s.current) {
                    *c = bi.sat(decay_opt(*c, current_decay) + x);
                    *v =
                        f.apply::<MULTI, DEFERRED>(decay_opt(*v, membrane_decay) + *c, m, &mut any);
                }
            }
            Neuron::Adlif {
                alpha,
                beta,
                a,
                b,
                frac_bits,
            } => {
                let (alpha, beta, a, b) = (
                    S::from_i64(alpha),
                    S::from_i64(beta),
                    S::from_i64(a),
                    S::from_i64(b),
                );
                let zero = S::default();
                for (((v, &x), m), w) in each.zip(&mut s.adaptation) {
                    // w first, from the previous v and spike s (the flag);
                    // then v from the new w.
                    let kick = if *m.0 .0 != zero { b } else { zero };
                    *w = bw.sat(((beta * *w + a * *v) >> frac_bits) + kick);
                    let u = ((alpha * *v) >> frac_bits) + x - *w;
                    *v = f.apply::<MULTI, DEFERRED>(u, m, &mut any);
                }
            }
        }
        any != S::default()
    }
}

/// Saturation, steps 3 and 4 (threshold, reset) and the membrane floor as
/// branch-free arithmetic, so that the sweep stays one vectorisable loop
/// (but for the division of a multi-spike layer). A readout layer gets a
/// threshold no membrane can reach (membranes are at most 32 bits, lanes
/// wider).
#[derive(Clone, Copy)]
struct FireRule<S> {
    /// Saturation of the membrane.
    bounds: Bounds<S>,
    theta: S,
    /// `ttfs`: a neuron that has fired never fires again.
    once: bool,
    /// `max_spikes`: a neuron fires `min(max_spikes, v / theta)` spikes.
    max_spikes: S,
    /// All ones where an immediate reset keeps `v` (subtract, none, and
    /// every deferred reset), else zero.
    keep: S,
    /// What an immediate reset subtracts per spike (theta, or zero).
    minus: S,
    /// What a deferred subtract takes per owed spike from the update of
    /// the next step (theta, or zero).
    owed_minus: S,
    /// All ones where a deferred reset zeroes the next step's membrane.
    owed_zero: S,
    /// The membrane floor (the bottom of the width when there is none).
    floor: S,
}

impl<S: Lane> FireRule<S> {
    fn new(
        firing: Option<Firing<S>>,
        neuron: &Neuron,
        bounds: Bounds<S>,
        floor: Option<S>,
    ) -> Self {
        let (zero, ones, one) = (S::default(), S::from_i64(-1), S::from_i64(1));
        let mut rule = FireRule {
            bounds,
            theta: S::MAX,
            once: matches!(neuron, Neuron::Ttfs),
            max_spikes: one,
            keep: ones,
            minus: zero,
            owed_minus: zero,
            owed_zero: zero,
            floor: floor.unwrap_or(bounds.lo),
        };
        let Some(f) = firing else {
            return rule;
        };
        rule.theta = f.theta;
        rule.max_spikes = f.max_spikes;
        match (f.timing, f.reset) {
            (ResetTiming::Immediate, Reset::Subtract) => rule.minus = f.theta,
            (ResetTiming::Immediate, Reset::Zero) => rule.keep = zero,
            (_, Reset::None) => {}
            (ResetTiming::Deferred, Reset::Subtract) => rule.owed_minus = f.theta,
            (ResetTiming::Deferred, Reset::Zero) => rule.owed_zero = ones,
        }
        rule
    }

    /// The membrane after saturation, threshold, reset and floor, given
    /// the unsaturated update `u`; records the spike count in `spike`, a
    /// spike in `any` and in `flag` (ttfs: has fired; adlif: fired in this
    /// step), and the count in `owed` (deferred reset).
    /// With `MULTI` false (one spike a step, `owed` 0 or 1) the products
    /// by a count are masks, and the loop has no division; with `DEFERRED`
    /// false `owed` is neither read nor written.
    #[inline(always)]
    fn apply<const MULTI: bool, const DEFERRED: bool>(
        self,
        u: S,
        ((flag, owed), spike): ((&mut S, &mut S), &mut u8),
        any: &mut S,
    ) -> S {
        let (zero, one) = (S::default(), S::from_i64(1));
        // The reset owed by the previous step's spikes: theta per spike off
        // the sum before saturating, or the saturated value zeroed.
        let v = if DEFERRED {
            let owed_mask = if MULTI {
                zero - (*owed).min(one)
            } else {
                zero - *owed
            };
            let taken = if MULTI {
                self.owed_minus * *owed
            } else {
                self.owed_minus & owed_mask
            };
            let v = self.bounds.sat(u - taken);
            v - (v & (owed_mask & self.owed_zero))
        } else {
            self.bounds.sat(u)
        };
        let fires = (v >= self.theta) & !(self.once & (*flag != zero));
        let bit = if fires { one } else { zero };
        // The count without a branch (most neurons do not fire), so the
        // loop vectorises: `floor(v / theta)`, capped, masked by `fires`.
        let count = if MULTI {
            v.floor_quotient(self.theta).min(self.max_spikes) & (zero - bit)
        } else {
            bit
        };
        *flag = if self.once { *flag | bit } else { bit };
        if DEFERRED {
            *owed = count;
        }
        *spike = if MULTI {
            count.to_i64() as u8
        } else {
            u8::from(fires)
        };
        *any = *any | bit;
        // fires ? reset(v) : v, on all-ones / all-zeros masks (a conditional
        // store here would compile to a slow masked store).
        let mask = zero - bit;
        let reset = (v & self.keep)
            - if MULTI {
                self.minus * count
            } else {
                self.minus & mask
            };
        (v - ((v - reset) & mask)).max(self.floor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_decay_floors() {
        let d = Decay::Shift(2);
        assert_eq!(decay(100i64, d), 75);
        assert_eq!(decay(7i64, d), 6); // 7 - 1
        assert_eq!(decay(-7i64, d), -5); // -7 - (-2)
        assert_eq!(decay(-1i64, d), 0); // -1 - (-1)
        assert_eq!(decay(3i32, d), 3); // 3 - 0: small values stop decaying
    }

    #[test]
    fn multiply_decay_floors() {
        let d = Decay::Multiply {
            beta: 192,
            frac_bits: 8,
        };
        assert_eq!(decay(100i64, d), 75);
        assert_eq!(decay(-100i32, d), -75);
        assert_eq!(decay(-1i64, d), -1); // -192 >> 8 = -1
        assert_eq!(decay(1i64, d), 0);
    }
}
