//! The neuron update of `docs/semantics.md`, applied to a whole layer.
//!
//! State is kept as one vector per variable, and every pass is a straight,
//! branch-free loop over neurons, so that the compiler vectorises it: this
//! sweep runs every step for every neuron and dominates the reference's
//! cost on sparse input. The order of operations is the order the semantics
//! page gives; the page's worked examples are checked against this code.

use spikegate_model::width::range_of;
use spikegate_model::{Decay, Neuron, Reset};

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
        }
    }

    /// Back to the all-zero state of a new sample.
    pub fn clear(&mut self) {
        self.membrane.fill(S::default());
        self.current.fill(S::default());
        self.adaptation.fill(S::default());
        self.flag.fill(S::default());
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
    /// `Some((theta, reset))` for a spiking layer, `None` for a readout.
    pub firing: Option<(S, Reset)>,
}

impl<S: Lane> Dynamics<S> {
    /// Semantics steps 2 (state update) and 3-4 (threshold, reset) for every
    /// neuron, given each neuron's synaptic input `xs` (bias included).
    /// Sets `spiked[i]` to 1 if neuron `i` fires, else 0; returns whether
    /// any did.
    #[inline(always)]
    pub fn step(&self, state: &mut LayerState<S>, xs: &[S], spiked: &mut [S]) -> bool {
        self.integrate(state, xs);
        match self.firing {
            Some((theta, reset)) => fire(state, &self.neuron, theta, reset, spiked),
            None => false,
        }
    }

    #[inline(always)]
    fn integrate(&self, s: &mut LayerState<S>, xs: &[S]) {
        let (bv, bi, bw) = (self.membrane, self.current, self.adaptation);
        match self.neuron {
            Neuron::If => {
                for (v, &x) in s.membrane.iter_mut().zip(xs) {
                    *v = bv.sat(*v + x);
                }
            }
            Neuron::Lif { leak } => {
                for (v, &x) in s.membrane.iter_mut().zip(xs) {
                    *v = bv.sat(decay(*v, leak) + x);
                }
            }
            Neuron::Ttfs => {
                for ((v, c), &x) in s.membrane.iter_mut().zip(&mut s.current).zip(xs) {
                    *c = bi.sat(*c + x);
                    *v = bv.sat(*v + *c);
                }
            }
            Neuron::Cuba {
                current_decay,
                membrane_decay,
            } => {
                for ((v, c), &x) in s.membrane.iter_mut().zip(&mut s.current).zip(xs) {
                    *c = bi.sat(decay_opt(*c, current_decay) + x);
                    *v = bv.sat(decay_opt(*v, membrane_decay) + *c);
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
                let neurons = s.membrane.iter_mut().zip(&mut s.adaptation).zip(&s.flag);
                for (((v, w), &spiked), &x) in neurons.zip(xs) {
                    // w first, from the previous v and spike; then v from the new w.
                    let kick = if spiked != zero { b } else { zero };
                    *w = bw.sat(((beta * *w + a * *v) >> frac_bits) + kick);
                    *v = bv.sat(((alpha * *v) >> frac_bits) + x - *w);
                }
            }
        }
    }
}

/// Threshold test `v >= theta`, then reset, for every neuron, branch-free.
#[inline(always)]
fn fire<S: Lane>(
    s: &mut LayerState<S>,
    neuron: &Neuron,
    theta: S,
    reset: Reset,
    spiked: &mut [S],
) -> bool {
    let zero = S::default();
    let one = S::from_i64(1);
    let once = matches!(neuron, Neuron::Ttfs);
    let neurons = s
        .membrane
        .iter_mut()
        .zip(&mut s.flag)
        .zip(spiked.iter_mut());
    let mut any = zero;
    // Three copies of one loop, so that the reset is a constant in each.
    macro_rules! sweep {
        ($reset:expr) => {
            for ((v, flag), spike) in neurons {
                let fires = (*v >= theta) & !(once & (*flag != zero));
                let after = $reset(*v);
                *v = if fires { after } else { *v };
                let bit = if fires { one } else { zero };
                // ttfs remembers having fired; adlif remembers the last step.
                *flag = if once { *flag | bit } else { bit };
                *spike = bit;
                any = any | bit;
            }
        };
    }
    match reset {
        Reset::Subtract => sweep!(|v: S| v - theta),
        Reset::Zero => sweep!(|_: S| zero),
        Reset::None => sweep!(|v: S| v),
    }
    any != zero
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
