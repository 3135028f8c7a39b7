//! Where a spike lands in a layer that sees its input as a map: the
//! output positions a convolution's kernel taps reach from one input
//! position (docs/semantics.md section 3). The reference scatters each
//! spike to these; it never computes a dense convolution.

use spikegate_model::Conv2d;

/// A convolution's geometry, for scattering input spikes.
#[derive(Debug, Clone)]
pub struct ConvTaps {
    /// Input map rows and columns.
    height: usize,
    width: usize,
    /// Kernel rows and columns.
    kh: usize,
    kw: usize,
    /// Strides and paddings.
    sy: usize,
    sx: usize,
    py: usize,
    px: usize,
    /// Output map rows and columns.
    out_h: usize,
    out_w: usize,
    /// Output channels.
    pub out_channels: usize,
}

impl ConvTaps {
    /// The geometry of a validated `conv`.
    pub fn new(conv: &Conv2d) -> Self {
        let [_, height, width] = conv.input;
        let [kh, kw] = conv.kernel;
        let [sy, sx] = conv.strides();
        let [py, px] = conv.pads();
        let [out_channels, out_h, out_w] = conv.output().expect("validated: the kernel fits");
        ConvTaps {
            height,
            width,
            kh,
            kw,
            sy,
            sx,
            py,
            px,
            out_h,
            out_w,
            out_channels,
        }
    }

    /// Neurons of one output channel, `H_out * W_out`: output channel `o`'s
    /// neuron at position `n` is `o * plane + n`.
    pub fn plane(&self) -> usize {
        self.out_h * self.out_w
    }

    /// The kernels as tap rows: row `(c * kh + dy) * kw + dx` holds the
    /// weights of that tap to every output channel.
    pub fn tap_rows(conv: &Conv2d) -> Vec<i64> {
        let [c_in, _, _] = conv.input;
        let [kh, kw] = conv.kernel;
        let mut rows = Vec::with_capacity(c_in * kh * kw * conv.out_channels);
        for c in 0..c_in {
            for dy in 0..kh {
                for dx in 0..kw {
                    rows.extend((0..conv.out_channels).map(|o| conv.weight(o, c, dy, dx)));
                }
            }
        }
        rows
    }

    /// Calls `f(tap, position)` for every kernel tap through which input
    /// `j` (channel, row, column) reaches an output position inside the
    /// map: `oy * sy - py + dy = iy`, `ox * sx - px + dx = ix`.
    #[inline]
    pub fn for_each_target(&self, j: usize, mut f: impl FnMut(usize, usize)) {
        let (c, iy, ix) = (
            j / (self.height * self.width),
            j / self.width % self.height,
            j % self.width,
        );
        for dy in 0..self.kh {
            let Some(oy) = Self::output_index(iy, dy, self.py, self.sy, self.out_h) else {
                continue;
            };
            for dx in 0..self.kw {
                let Some(ox) = Self::output_index(ix, dx, self.px, self.sx, self.out_w) else {
                    continue;
                };
                f((c * self.kh + dy) * self.kw + dx, oy * self.out_w + ox);
            }
        }
    }

    /// The output index `o` with `o * s - p + d = i`, if it is whole and
    /// below `n`.
    #[inline]
    fn output_index(i: usize, d: usize, p: usize, s: usize, n: usize) -> Option<usize> {
        let at = (i + p).checked_sub(d)?;
        (at % s == 0 && at / s < n).then_some(at / s)
    }
}
