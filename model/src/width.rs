//! Two's-complement width arithmetic shared by validation and reports.

/// The smallest and largest value of a `width`-bit two's-complement number.
pub fn range_of(width: u32) -> (i64, i64) {
    debug_assert!((1..=63).contains(&width));
    (-(1i64 << (width - 1)), (1i64 << (width - 1)) - 1)
}

/// Whether `value` is representable in `width` bits (two's complement).
pub fn fits(value: i64, width: u32) -> bool {
    let (lo, hi) = range_of(width);
    (lo..=hi).contains(&value)
}

/// The fewest two's-complement bits that hold every value in `lo..=hi`
/// (at least 1).
pub fn width_for_range(lo: i64, hi: i64) -> u32 {
    (1..=63).find(|&w| fits(lo, w) && fits(hi, w)).unwrap_or(64)
}

/// Clamps `value` into `width` bits: saturation, never wrap-around.
pub fn saturate(value: i64, width: u32) -> i64 {
    let (lo, hi) = range_of(width);
    value.clamp(lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_widths() {
        assert_eq!(range_of(8), (-128, 127));
        assert_eq!(range_of(2), (-2, 1));
        assert!(fits(127, 8) && !fits(128, 8) && fits(-128, 8) && !fits(-129, 8));
        assert_eq!(width_for_range(0, 0), 1);
        assert_eq!(width_for_range(-1, 0), 1);
        assert_eq!(width_for_range(0, 1), 2);
        assert_eq!(width_for_range(-128, 127), 8);
        assert_eq!(width_for_range(-129, 0), 9);
        assert_eq!(width_for_range(0, 128), 9);
        assert_eq!(saturate(300, 8), 127);
        assert_eq!(saturate(-300, 8), -128);
        assert_eq!(saturate(5, 8), 5);
    }
}
