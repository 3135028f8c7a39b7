//! The neuron update of `docs/semantics.md`, applied to a whole layer.
//!
//! State is kept as one vector per variable so that each update is a
//! straight loop over neurons that the compiler can vectorise. The order of
//! operations is the order the semantics page gives, and the page's worked
//! examples are checked against this code by the tests.

use spikegate_model::width::range_of;
use spikegate_model::{Decay, Neuron, Reset};

/// `decay(z)`: the value of state `z` after one step of decay. Both forms
/// shrink `|z|` (rounding towards minus infinity), so the result always
/// fits the width `z` had and needs no saturation.
pub fn decay(z: i64, d: Decay) -> i64 {
    match d {
        Decay::Shift(k) => z - (z >> k),
        Decay::Multiply { beta, frac_bits } => (z * beta) >> frac_bits,
    }
}

/// Bounds of a saturating width, precomputed.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    lo: i64,
    hi: i64,
}

impl Bounds {
    /// The range of a `width`-bit two's-complement value.
    pub fn of(width: u32) -> Self {
        let (lo, hi) = range_of(width);
        Bounds { lo, hi }
    }

    #[inline(always)]
    fn sat(self, z: i64) -> i64 {
        z.clamp(self.lo, self.hi)
    }
}

/// The state variables of every neuron of one layer.
#[derive(Debug, Clone, Default)]
pub struct LayerState {
    /// Membrane potential `v`.
    pub membrane: Vec<i64>,
    /// Synaptic current `i` (`cuba`, `ttfs`; empty otherwise).
    pub current: Vec<i64>,
    /// Adaptation `w` (`adlif`; empty otherwise).
    pub adaptation: Vec<i64>,
    /// `ttfs`: has fired. `adlif`: spiked in the previous step (`s`).
    pub flag: Vec<bool>,
}

impl LayerState {
    /// A zero state for `size` neurons of kind `neuron`.
    pub fn new(neuron: &Neuron, size: usize) -> Self {
        let sized = |on: bool| if on { vec![0; size] } else { Vec::new() };
        LayerState {
            membrane: vec![0; size],
            current: sized(neuron.has_current()),
            adaptation: sized(neuron.has_adaptation()),
            flag: if matches!(neuron, Neuron::Ttfs | Neuron::Adlif { .. }) {
                vec![false; size]
            } else {
                Vec::new()
            },
        }
    }

    /// Back to the all-zero state of a new sample.
    pub fn clear(&mut self) {
        self.membrane.fill(0);
        self.current.fill(0);
        self.adaptation.fill(0);
        self.flag.fill(false);
    }
}

/// A layer's neuron parameters, ready for the update loops.
#[derive(Debug, Clone)]
pub struct Dynamics {
    /// Kind and coefficients.
    pub neuron: Neuron,
    /// Saturation of `v`.
    pub membrane: Bounds,
    /// Saturation of `i`.
    pub current: Bounds,
    /// Saturation of `w`.
    pub adaptation: Bounds,
    /// `Some((theta, reset))` for a spiking layer, `None` for a readout.
    pub firing: Option<(i64, Reset)>,
}

impl Dynamics {
    /// Semantics steps 2 (state update) and 3-4 (threshold, reset) for every
    /// neuron, given each neuron's synaptic input `xs` (bias included).
    /// Pushes the index of every neuron that fires onto `fired`.
    pub fn step(&self, state: &mut LayerState, xs: &[i64], fired: &mut Vec<u32>) {
        self.integrate(state, xs);
        if let Some((theta, reset)) = self.firing {
            fire(state, &self.neuron, theta, reset, fired);
        }
    }

    fn integrate(&self, s: &mut LayerState, xs: &[i64]) {
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
                let di = |z| current_decay.map_or(z, |d| decay(z, d));
                let dv = |z| membrane_decay.map_or(z, |d| decay(z, d));
                for ((v, c), &x) in s.membrane.iter_mut().zip(&mut s.current).zip(xs) {
                    *c = bi.sat(di(*c) + x);
                    *v = bv.sat(dv(*v) + *c);
                }
            }
            Neuron::Adlif {
                alpha,
                beta,
                a,
                b,
                frac_bits,
            } => {
                let neurons = s.membrane.iter_mut().zip(&mut s.adaptation).zip(&s.flag);
                for (((v, w), &spiked), &x) in neurons.zip(xs) {
                    // w first, from the previous v and spike; then v from the new w.
                    *w = bw.sat(((beta * *w + a * *v) >> frac_bits) + b * i64::from(spiked));
                    *v = bv.sat(((alpha * *v) >> frac_bits) + x - *w);
                }
            }
        }
    }
}

/// Threshold test `v >= theta`, then reset, for every neuron.
fn fire(s: &mut LayerState, neuron: &Neuron, theta: i64, reset: Reset, fired: &mut Vec<u32>) {
    let once = matches!(neuron, Neuron::Ttfs);
    let remember = matches!(neuron, Neuron::Adlif { .. });
    for (i, v) in s.membrane.iter_mut().enumerate() {
        let spike = *v >= theta && !(once && s.flag[i]);
        if spike {
            fired.push(i as u32);
            *v = match reset {
                Reset::Subtract => *v - theta,
                Reset::Zero => 0,
                Reset::None => *v,
            };
        }
        if once {
            s.flag[i] |= spike;
        } else if remember {
            s.flag[i] = spike;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_decay_floors() {
        let d = Decay::Shift(2);
        assert_eq!(decay(100, d), 75);
        assert_eq!(decay(7, d), 6); // 7 - 1
        assert_eq!(decay(-7, d), -5); // -7 - (-2)
        assert_eq!(decay(-1, d), 0); // -1 - (-1)
        assert_eq!(decay(3, d), 3); // 3 - 0: small values stop decaying
    }

    #[test]
    fn multiply_decay_floors() {
        let d = Decay::Multiply {
            beta: 192,
            frac_bits: 8,
        };
        assert_eq!(decay(100, d), 75);
        assert_eq!(decay(-100, d), -75);
        assert_eq!(decay(-1, d), -1); // -192 >> 8 = -1
        assert_eq!(decay(1, d), 0);
    }
}
