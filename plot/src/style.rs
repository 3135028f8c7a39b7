//! The colours and text sizes all plots share.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use plotters::coord::CoordTranslate;

use crate::canvas::{DrawResult, OrMessage, FAMILY};

/// The hardware's spikes.
pub(crate) const HARDWARE: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
/// The reference's (or the expected file's) spikes.
pub(crate) const REFERENCE: RGBColor = RGBColor(0x7f, 0x7f, 0x7f);
/// Input spikes, which both sides receive.
pub(crate) const INPUT: RGBColor = RGBColor(0x2b, 0x2b, 0x2b);
/// A disagreement.
pub(crate) const MISMATCH: RGBColor = RGBColor(0xd6, 0x27, 0x28);

/// Colours of successive series (networks, layers).
pub(crate) const SERIES: [RGBColor; 8] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x17, 0xbe, 0xcf),
    RGBColor(0xbc, 0xbd, 0x22),
];

/// The colour of series `i`.
pub(crate) fn series(i: usize) -> RGBColor {
    SERIES[i % SERIES.len()]
}

/// Body text of `size` pixels.
pub(crate) fn text(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&BLACK)
}

/// A figure's title.
pub(crate) fn title() -> TextStyle<'static> {
    text(20)
}

/// A panel's caption.
pub(crate) fn caption() -> TextStyle<'static> {
    text(15)
}

/// Axis labels and point labels.
pub(crate) fn small() -> TextStyle<'static> {
    text(12)
}

/// Small text centred on its point (bar values, category names).
pub(crate) fn centred() -> TextStyle<'static> {
    small().pos(Pos::new(HPos::Center, VPos::Bottom))
}

/// An integer tick's label; other ticks get none (axes of steps, neurons
/// and categories hold whole numbers only).
pub(crate) fn whole(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        String::new()
    }
}

/// A tick's label: a whole number without a fraction (`1200`), any other
/// value with at most three decimals, trailing zeros dropped (`0.25`).
pub(crate) fn number(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 && v.abs() < 1e15 {
        return format!("{}", v.round() as i64);
    }
    let text = format!("{v:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Draws the series' legend at `position`: small type on a white box.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> DrawResult {
    chart
        .configure_series_labels()
        .position(position)
        .label_font(small())
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .msg()
}

/// The height in pixels of a line of [`small`] type, with its gap.
pub(crate) const SMALL_LINE: i32 = 14;

/// Where to put labels that may overlap: label `i` belongs to the point at
/// pixel `(x, y)` and is `width` wide; each is drawn at `(x, y + offset)`
/// with the smallest offset (from 4, in steps of a line) at which it
/// overlaps none of the labels placed before it.
pub(crate) fn label_offsets(labels: &[(i32, i32, i32)]) -> Vec<i32> {
    let mut placed: Vec<(i32, i32, i32)> = Vec::new();
    labels
        .iter()
        .map(|&(x, y, width)| {
            let overlaps = |top: i32| {
                placed.iter().any(|&(px, ptop, pwidth)| {
                    x < px + pwidth
                        && px < x + width
                        && top < ptop + SMALL_LINE
                        && ptop < top + SMALL_LINE
                })
            };
            let mut offset = 4;
            while overlaps(y + offset) {
                offset += SMALL_LINE;
            }
            placed.push((x, y + offset, width));
            offset
        })
        .collect()
}

/// The width in pixels of `text` in [`small`] type, about.
pub(crate) fn small_width(text: &str) -> i32 {
    7 * text.chars().count() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_drop_needless_decimals() {
        assert_eq!(number(&1200.0), "1200");
        assert_eq!(number(&0.30000000000000004), "0.3");
        assert_eq!(number(&-2.5), "-2.5");
    }

    #[test]
    fn overlapping_labels_move_down_until_free() {
        // Three labels at one height overlapping in x stack; one far to
        // the right stays; one whose point lies most of a line lower than the
        // first moves below the stack's second line, not onto it.
        assert_eq!(
            label_offsets(&[(0, 0, 60), (20, 0, 60), (40, 0, 60), (100, 0, 60)]),
            vec![4, 18, 32, 4]
        );
        assert_eq!(label_offsets(&[(0, 10, 60), (20, 0, 60)]), vec![4, 32]);
    }
}
