//! Where a spike lands in a layer that sees its input as a map: the
//! output positions a convolution's kernel taps reach from one input
//! position (docs/semantics.md section 3). The reference scatters each
//! spike to these; it never computes a dense convolution.

use spikegate_model::Conv2d;

/// One (scaled kernel offset, scaled output index) pair of a [`Reach`].
type Hit = (u32, u32);

/// Which output indices one input index reaches along one axis: for
/// input `i`, `hits[start[i]..start[i + 1]]` holds the pairs (kernel
/// offset `d` times `scale`, output index `o` times `out_scale`) with
/// `o * s - p + d = i` and `o` inside the map. Precomputed once, so a
/// spike's scatter does no division.
#[derive(Debug, Clone)]
struct Reach {
    start: Vec<u32>,
    hits: Vec<Hit>,
}

impl Reach {
    /// The reach of every input index `0..n_in` through a kernel of `k`
    /// taps with stride `s` and padding `p` onto `n_out` outputs.
    fn new(axis: Axis, scale: usize, out_scale: usize) -> Self {
        let mut start = Vec::with_capacity(axis.n_in + 1);
        let mut hits = Vec::new();
        for i in 0..axis.n_in {
            start.push(hits.len() as u32);
            for d in 0..axis.k {
                if let Some(o) = axis.output_index(i, d) {
                    hits.push(((d * scale) as u32, (o * out_scale) as u32));
                }
            }
        }
        start.push(hits.len() as u32);
        Reach { start, hits }
    }

    #[inline(always)]
    fn of(&self, i: usize) -> &[Hit] {
        &self.hits[self.start[i] as usize..self.start[i + 1] as usize]
    }
}

/// One axis of a convolution: input length, kernel, stride, padding,
/// output length.
#[derive(Debug, Clone, Copy)]
struct Axis {
    n_in: usize,
    k: usize,
    s: usize,
    p: usize,
    n_out: usize,
}

impl Axis {
    /// The output index `o` with `o * s - p + d = i`, if it is whole and
    /// below `n_out`.
    fn output_index(self, i: usize, d: usize) -> Option<usize> {
        let at = (i + self.p).checked_sub(d)?;
        (at % self.s == 0 && at / self.s < self.n_out).then_some(at / self.s)
    }
}

/// A convolution's geometry, for scattering input spikes.
#[derive(Debug, Clone)]
pub struct ConvTaps {
    /// Input map rows and columns.
    height: usize,
    width: usize,
    /// Taps of one input channel, `kh * kw`.
    taps_per_channel: usize,
    /// Per input row: (`dy * kw`, `oy * W_out`); per input column:
    /// (`dx`, `ox`).
    rows: Reach,
    cols: Reach,
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
        let y = Axis {
            n_in: height,
            k: kh,
            s: sy,
            p: py,
            n_out: out_h,
        };
        let x = Axis {
            n_in: width,
            k: kw,
            s: sx,
            p: px,
            n_out: out_w,
        };
        ConvTaps {
            height,
            width,
            taps_per_channel: kh * kw,
            rows: Reach::new(y, kw, out_w),
            cols: Reach::new(x, 1, 1),
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

    /// Where input `j` (channel, row, column) reaches: the first tap of
    /// its channel, `c * kh * kw`, and the reach of its row, pairs
    /// (`dy * kw`, `oy * W_out`), and of its column, pairs (`dx`, `ox`):
    /// tap `first + dy * kw + dx` adds into position `oy * W_out + ox`
    /// for every row pair and column pair (`oy * sy - py + dy = iy`,
    /// `ox * sx - px + dx = ix`, the output inside the map).
    #[inline(always)]
    fn reach(&self, j: usize) -> (usize, &[Hit], &[Hit]) {
        let plane_in = self.height * self.width;
        let (c, at) = (j / plane_in, j % plane_in);
        (
            c * self.taps_per_channel,
            self.rows.of(at / self.width),
            self.cols.of(at % self.width),
        )
    }

    /// Calls `f(tap, position)` for every kernel tap through which input
    /// `j` reaches an output position inside the map (see
    /// [`ConvTaps::reach`]), row by row.
    #[inline(always)]
    pub fn for_each_target(&self, j: usize, mut f: impl FnMut(usize, usize)) {
        let (first, rows, cols) = self.reach(j);
        for &(dy, oy) in rows {
            for &(dx, ox) in cols {
                f(first + (dy + dx) as usize, (oy + ox) as usize);
            }
        }
    }
}
