//! The integer type a layer's neuron state is computed in.
//!
//! Every result is defined on unbounded integers (`docs/semantics.md`); a
//! layer runs on `i32` lanes only when its widths prove that no
//! intermediate value can leave `i32` (see [`fits_in_i32`]), and on `i64`
//! lanes otherwise. `i32` lanes let the compiler process four to sixteen
//! neurons per instruction.

use std::ops::{Add, Div, Mul, Shr, Sub};

use spikegate_model::{Decay, Layer, Neuron};

/// An integer type the neuron update can run in.
pub trait Lane:
    Copy
    + Ord
    + Default
    + Send
    + Sync
    + std::fmt::Debug
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Shr<u32, Output = Self>
    + std::ops::BitOr<Output = Self>
    + std::ops::BitAnd<Output = Self>
    + 'static
{
    /// The largest value.
    const MAX: Self;
    /// Converts a value known to fit (validation and [`fits_in_i32`]
    /// guarantee it).
    fn from_i64(v: i64) -> Self;
    /// Widens to `i64`.
    fn to_i64(self) -> i64;
    /// `floor(self / d)` for `d > 0`, in a form the compiler can vectorise
    /// where the type allows.
    fn floor_quotient(self, d: Self) -> Self;
}

macro_rules! lane {
    ($t:ty, $div:expr) => {
        impl Lane for $t {
            const MAX: Self = <$t>::MAX;
            #[inline(always)]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline(always)]
            fn floor_quotient(self, d: Self) -> Self {
                $div(self, d)
            }
        }
    };
}
// In f64 the quotient of two i32 is exact to 2^-22 / d, below the 1 / d
// that separates a fraction from the next whole number, so the floor of
// the rounded quotient is the exact one; f64 division vectorises, i32
// division does not.
//
// The floor is then whole and inside i32, and adding 1.5 * 2^52 puts it
// in the low bits of the sum's mantissa: reading those bits back is the
// conversion, which vectorises. (`as i32` saturates and checks for NaN,
// which compiles to one scalar conversion per lane.)
lane!(i32, |n: i32, d: i32| {
    const SHIFTER: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52
    let q = (f64::from(n) / f64::from(d)).floor();
    (q + SHIFTER).to_bits() as u32 as i32
});
lane!(i64, |n: i64, d: i64| n.div_euclid(d));

/// Whether every intermediate value of `layer`'s update fits in `i32`:
/// states and synaptic input at most 30 bits wide (so the sum of any two
/// fits in 31), multiplier decays whose product fits, and no `adlif`
/// (whose products are wider). `input_width` is the wider of the
/// accumulator and the synaptic input in state units.
pub fn fits_in_i32(layer: &Layer, input_width: u32) -> bool {
    let w = layer.widths;
    let widest_state = w.membrane.max(w.current.unwrap_or(0)).max(w.threshold);
    let product_fits = |d: &Option<Decay>, width: u32| match d {
        Some(Decay::Multiply { frac_bits, .. }) => width + frac_bits < 31,
        _ => true,
    };
    let decays_fit = match &layer.neuron {
        Neuron::If | Neuron::Ttfs => true,
        Neuron::Lif { leak } => product_fits(&Some(*leak), w.membrane),
        Neuron::Cuba {
            current_decay,
            membrane_decay,
        } => {
            product_fits(current_decay, w.current.unwrap_or(32))
                && product_fits(membrane_decay, w.membrane)
        }
        Neuron::Adlif { .. } => false,
    };
    widest_state <= 30 && input_width <= 30 && decays_fit
}

#[cfg(test)]
mod tests {
    use super::Lane;

    #[test]
    fn i32_floor_division_through_f64_is_exact() {
        // Near-multiples, both signs, the extremes, and divisors of every
        // size: the f64 path equals integer floor division.
        let ds = [
            1,
            2,
            3,
            7,
            255,
            1000,
            65_535,
            1 << 20,
            (1 << 30) + 1,
            i32::MAX,
        ];
        for &d in &ds {
            for base in [0i64, 1, 2, 1000, i32::MAX as i64 / d as i64] {
                for off in -2i64..=2 {
                    for sign in [1i64, -1] {
                        let n = (sign * (base * d as i64 + off))
                            .clamp(i32::MIN as i64, i32::MAX as i64);
                        let n = n as i32;
                        assert_eq!(n.floor_quotient(d), n.div_euclid(d), "{n} / {d}");
                    }
                }
            }
        }
        assert_eq!(i32::MIN.floor_quotient(1), i32::MIN);
        assert_eq!((-7i32).floor_quotient(2), -4);
        assert_eq!(7i64.floor_quotient(2), 3);
    }
}
